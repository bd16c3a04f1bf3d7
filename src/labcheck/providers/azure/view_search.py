"""The view lab azure-ai-search-rag reads: its nouns as frozen dataclasses and `SearchView`.

Enum strings are kept as ARM returns them (Search answers in lower case, Storage in Pascal case);
checks compare them with `same_word`, resource ids with `same_id`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

from labcheck.providers.azure.view import ManagedIdentity
from labcheck.providers.azure.view_cognitive import CognitiveView


@dataclass(frozen=True)
class SearchService:
    """An Azure AI Search service as its ARM GET shows it."""

    id: str
    name: str
    location: str
    tags: Mapping[str, str]
    sku: str  # free | basic | standard | standard2 | standard3 | storage_optimized_l1 | ...
    status: str  # running | provisioning | degraded | ...
    provisioning_state: str  # succeeded | provisioning | failed
    public_network_access: str  # enabled | disabled | securedByPerimeter
    ip_rules: tuple[str, ...]
    disable_local_auth: bool | None  # None: never set, so API keys still work
    aad_failure_mode: str | None  # set only when keys and Entra ID tokens are both accepted
    api_key_only: bool  # authOptions.apiKeyOnly is present
    identity: ManagedIdentity | None
    semantic_search: str | None  # disabled | free | standard
    cmk_enforcement: str | None  # Disabled | Enabled | Unspecified
    cmk_compliance: str | None  # Compliant | NonCompliant
    exfiltration_protections: tuple[str, ...]  # BlockAll (newest API only)


@dataclass(frozen=True)
class SearchEndpointConnection:
    """An inbound private-endpoint connection of a search service (Search names one group, not a list)."""

    id: str
    endpoint_id: str
    group_id: str  # searchService
    status: str  # Pending | Approved | Rejected | Disconnected
    provisioning_state: str  # Succeeded | Updating | Failed | ...


@dataclass(frozen=True)
class SharedPrivateLink:
    """An outbound shared private link from a search service to a target's sub-resource."""

    id: str
    name: str
    target_id: str
    group_id: str  # openai_account | cognitiveservices_account | blob | ...
    status: str  # Pending | Approved | Rejected | Disconnected
    provisioning_state: str  # Updating | Deleting | Failed | Succeeded | Incomplete


@dataclass(frozen=True)
class StorageAccount:
    """A storage account's exposure: network access, shared keys and anonymous blob access."""

    id: str
    name: str
    tags: Mapping[str, str]
    public_network_access: str | None  # Enabled | Disabled | SecuredByPerimeter
    default_action: str | None  # networkAcls.defaultAction: Allow | Deny
    allow_shared_key_access: bool | None  # None: never set, so shared keys still work
    allow_blob_public_access: bool | None


class SearchView(CognitiveView, Protocol):
    """What the azure-ai-search-rag checks may ask besides `CognitiveView`; read-only and memoised."""

    def search_services(self, resource_group: str) -> list[SearchService]:
        """The search services of a resource group."""

    def search_service(self, service_id: str) -> SearchService | None:
        """A search service by id (None: it does not exist)."""

    def search_endpoint_connections(self, service_id: str) -> list[SearchEndpointConnection]:
        """The private-endpoint connections of a search service."""

    def shared_private_links(self, service_id: str) -> list[SharedPrivateLink]:
        """The shared private links of a search service."""

    def storage_accounts(self, resource_group: str) -> list[StorageAccount]:
        """The storage accounts of a resource group."""

    def storage_account(self, account_id: str) -> StorageAccount | None:
        """A storage account by id (None: it does not exist)."""


READ_ACTIONS: dict[str, tuple[str, ...]] = {
    "search_services": ("Microsoft.Search/searchServices/read",),
    "search_service": ("Microsoft.Search/searchServices/read",),
    "search_endpoint_connections": ("Microsoft.Search/searchServices/privateEndpointConnections/read",),
    "shared_private_links": ("Microsoft.Search/searchServices/sharedPrivateLinkResources/read",),
    "storage_accounts": ("Microsoft.Storage/storageAccounts/read",),
    "storage_account": ("Microsoft.Storage/storageAccounts/read",),
}
"""The RBAC action behind each read `SearchView` adds (all within the built-in Reader role)."""
