"""The Cognitive Services view the Azure AI labs share: accounts, deployments, RAI policies and `CognitiveView`.

Azure OpenAI, AI Services and Content Safety are all Cognitive Services accounts (they differ by kind), so
every lab reads them through these nouns. Nothing here imports an Azure SDK: reads_cognitive.py implements
`CognitiveView` over azure-mgmt-cognitiveservices. Fields keep ARM's values as read (enum casing differs
between resource providers, so checks compare them with `same_word`); an absent boolean stays None, because
a property that was never set is not the same as one set to false (keys stay on when `disableLocalAuth` is
absent).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol

from labcheck.providers.azure.view import AzureView, LinkConnection, ManagedIdentity


@dataclass(frozen=True)
class NetworkAcls:
    """An account's network rule set (`properties.networkAcls`)."""

    default_action: str  # Allow | Deny
    bypass: str | None  # None | AzureServices
    ip_rules: tuple[str, ...] = ()
    virtual_network_rules: tuple[str, ...] = ()  # subnet ids


@dataclass(frozen=True)
class CognitiveAccount:
    """A Cognitive Services account (kind OpenAI, AIServices, ContentSafety, ...), flattened."""

    id: str
    name: str
    kind: str
    location: str
    provisioning_state: str
    sku: str | None = None
    tags: Mapping[str, str] = field(default_factory=dict)
    custom_subdomain: str | None = None
    endpoint: str | None = None
    endpoint_urls: tuple[str, ...] = ()  # every endpoint the account answers at (`properties.endpoints`)
    public_network_access: str | None = None  # Enabled | Disabled
    network_acls: NetworkAcls | None = None  # None: no rule set at all (everything allowed)
    disable_local_auth: bool | None = None  # None: never set, so keys still work
    identity: ManagedIdentity | None = None
    restrict_outbound_network_access: bool | None = None
    allowed_fqdns: tuple[str, ...] = ()


@dataclass(frozen=True)
class ModelDeployment:
    """A model deployment of an account: its model, SKU, capacity and content filter."""

    id: str
    name: str
    provisioning_state: str
    model_name: str
    model_version: str | None = None
    model_format: str | None = None
    sku: str | None = None  # Standard | DataZoneStandard | GlobalStandard | ProvisionedManaged | ...
    capacity: int | None = None  # units of 1K tokens per minute for the Standard families
    capabilities: Mapping[str, str] = field(default_factory=dict)  # chatCompletion: "true", embeddings: "true", ...
    rai_policy_name: str | None = None
    # OnceNewDefaultVersionAvailable (ARM's default) | OnceCurrentVersionExpired | NoAutoUpgrade
    version_upgrade_option: str | None = None


@dataclass(frozen=True)
class ContentFilter:
    """One content filter of a RAI policy: a category on prompts or completions."""

    name: str  # Hate, Sexual, Violence, Selfharm, Jailbreak, Indirect Attack, Protected Material Text, ...
    source: str  # Prompt | Completion
    enabled: bool | None
    blocking: bool | None
    severity_threshold: str | None = None  # Low (strictest) | Medium | High; None for shields and protected material

    @property
    def key(self) -> tuple[str, str]:
        """(normalised name, lower-cased source): ("selfharm", "prompt"), ("indirectattack", "prompt")."""
        return self.name.lower().replace(" ", "").replace("_", ""), self.source.lower()


@dataclass(frozen=True)
class BlocklistReference:
    """A custom blocklist a RAI policy applies to one source."""

    blocklist_name: str
    source: str  # Prompt | Completion
    blocking: bool | None


@dataclass(frozen=True)
class RaiPolicy:
    """A responsible-AI (content filtering) policy of an account."""

    id: str
    name: str
    policy_type: str  # UserManaged | SystemManaged
    mode: str | None
    base_policy_name: str | None
    content_filters: tuple[ContentFilter, ...] = ()
    custom_blocklists: tuple[BlocklistReference, ...] = ()


@dataclass(frozen=True)
class BlocklistItem:
    """One term (or regular expression) of a RAI blocklist."""

    name: str
    pattern: str
    is_regex: bool | None


class CognitiveView(AzureView, Protocol):
    """What Azure AI checks may ask about Cognitive Services accounts besides the core view; read-only and memoised.

    Two listings let the lab say what a missing parent means, because the labs grade it differently:
    azure-openai-private-endpoint treats a resource group (or account) that does not exist as holding
    nothing (FAIL with the tagging hint); the other labs report the failed read (ERROR), as for any listing.
    """

    def cognitive_accounts(self, resource_group: str, *, missing_group_ok: bool = False) -> list[CognitiveAccount]:
        """Every Cognitive Services account in a resource group, of any kind (none: `missing_group_ok` and no group)."""

    def cognitive_account(self, resource_group: str, name: str) -> CognitiveAccount | None:
        """One account by resource group and name (None: it does not exist)."""

    def account_endpoint_connections(self, account_id: str) -> list[LinkConnection]:
        """The account's private-endpoint connections; `target_id` is each connection's private endpoint id."""

    def model_deployments(self, account_id: str, *, missing_account_ok: bool = False) -> list[ModelDeployment]:
        """The model deployments of an account (none: `missing_account_ok` and no account)."""

    def rai_policy(self, account_id: str, name: str) -> RaiPolicy | None:
        """A RAI policy of an account by name (None: it does not exist)."""

    def rai_blocklists(self, account_id: str) -> list[str]:
        """The names of an account's RAI blocklists."""

    def rai_blocklist_items(self, account_id: str, blocklist: str) -> list[BlocklistItem]:
        """The items of a RAI blocklist (listed: the single-item GET is unreliable server-side)."""


READ_ACTIONS: dict[str, tuple[str, ...]] = {
    "cognitive_accounts": ("Microsoft.CognitiveServices/accounts/read",),
    "cognitive_account": ("Microsoft.CognitiveServices/accounts/read",),
    "account_endpoint_connections": ("Microsoft.CognitiveServices/accounts/privateEndpointConnections/read",),
    "model_deployments": ("Microsoft.CognitiveServices/accounts/deployments/read",),
    "rai_policy": ("Microsoft.CognitiveServices/accounts/raiPolicies/read",),
    "rai_blocklists": ("Microsoft.CognitiveServices/accounts/raiBlocklists/read",),
    "rai_blocklist_items": ("Microsoft.CognitiveServices/accounts/raiBlocklists/raiBlocklistItems/read",),
}
"""The RBAC action behind each `CognitiveView` read (all within the built-in Reader role)."""
