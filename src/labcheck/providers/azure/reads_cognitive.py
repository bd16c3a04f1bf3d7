"""Live reads of `CognitiveView` (view_cognitive.py) over azure-mgmt-cognitiveservices, through reader.py.

Cognitive Services models are nested msrest models (`account.properties.x`), and its private-endpoint
connection list is not paged: it returns a `PrivateEndpointConnectionListResult` whose `.value` holds them.
"""

from __future__ import annotations

from typing import Any

from labcheck.providers.azure.reader import AzureReader
from labcheck.providers.azure.reads_core import managed_identity
from labcheck.providers.azure.view import LinkConnection, group_and_name, optional_text
from labcheck.providers.azure.view_cognitive import (
    READ_ACTIONS,
    BlocklistItem,
    BlocklistReference,
    CognitiveAccount,
    ContentFilter,
    ModelDeployment,
    NetworkAcls,
    RaiPolicy,
)

COGNITIVE = "azure.mgmt.cognitiveservices:CognitiveServicesManagementClient"


def _network_acls(raw: Any) -> NetworkAcls | None:
    if raw is None:
        return None
    return NetworkAcls(
        default_action=optional_text(raw.default_action) or "",
        bypass=optional_text(raw.bypass),
        ip_rules=tuple(rule.value for rule in raw.ip_rules or [] if rule.value),
        virtual_network_rules=tuple(rule.id for rule in raw.virtual_network_rules or [] if rule.id),
    )


def _account(raw: Any) -> CognitiveAccount:
    properties = raw.properties
    return CognitiveAccount(
        id=raw.id or "",
        name=raw.name or "",
        kind=raw.kind or "",
        location=raw.location or "",
        provisioning_state=optional_text(properties.provisioning_state if properties else None) or "",
        sku=raw.sku.name if raw.sku else None,
        tags=dict(raw.tags or {}),
        custom_subdomain=properties.custom_sub_domain_name if properties else None,
        endpoint=properties.endpoint if properties else None,
        endpoint_urls=tuple((properties.endpoints or {}).values()) if properties else (),
        public_network_access=optional_text(properties.public_network_access) if properties else None,
        network_acls=_network_acls(properties.network_acls) if properties else None,
        disable_local_auth=properties.disable_local_auth if properties else None,
        identity=managed_identity(raw.identity),
        restrict_outbound_network_access=properties.restrict_outbound_network_access if properties else None,
        allowed_fqdns=tuple(properties.allowed_fqdn_list or []) if properties else (),
    )


def _endpoint_connection(raw: Any) -> LinkConnection:
    properties = raw.properties
    state = properties.private_link_service_connection_state if properties else None
    endpoint = properties.private_endpoint if properties else None
    return LinkConnection(
        target_id=(endpoint.id if endpoint else "") or "",
        status=optional_text(state.status if state else None) or "",
        group_ids=tuple(properties.group_ids or []) if properties else (),
    )


def _deployment(raw: Any) -> ModelDeployment:
    properties = raw.properties
    model = properties.model if properties else None
    return ModelDeployment(
        id=raw.id or "",
        name=raw.name or "",
        provisioning_state=optional_text(properties.provisioning_state if properties else None) or "",
        model_name=(model.name if model else "") or "",
        model_version=model.version if model else None,
        model_format=model.format if model else None,
        sku=raw.sku.name if raw.sku else None,
        capacity=raw.sku.capacity if raw.sku else None,
        capabilities=dict(properties.capabilities or {}) if properties else {},
        rai_policy_name=properties.rai_policy_name if properties else None,
        version_upgrade_option=optional_text(properties.version_upgrade_option) if properties else None,
    )


def _content_filter(raw: Any) -> ContentFilter:
    return ContentFilter(
        name=raw.name or "",
        source=optional_text(raw.source) or "",
        enabled=raw.enabled,
        blocking=raw.blocking,
        severity_threshold=optional_text(raw.severity_threshold),
    )


def _blocklist_reference(raw: Any) -> BlocklistReference:
    return BlocklistReference(
        blocklist_name=raw.blocklist_name or "",
        source=optional_text(raw.source) or "",
        blocking=raw.blocking,
    )


def _rai_policy(raw: Any) -> RaiPolicy:
    properties = raw.properties
    return RaiPolicy(
        id=raw.id or "",
        name=raw.name or "",
        policy_type=optional_text(properties.type if properties else None) or "",
        mode=optional_text(properties.mode) if properties else None,
        base_policy_name=properties.base_policy_name if properties else None,
        content_filters=tuple(_content_filter(f) for f in (properties.content_filters or [] if properties else [])),
        custom_blocklists=tuple(
            _blocklist_reference(b) for b in (properties.custom_blocklists or [] if properties else [])
        ),
    )


def _blocklist_item(raw: Any) -> BlocklistItem:
    properties = raw.properties
    return BlocklistItem(
        name=raw.name or "",
        pattern=(properties.pattern if properties else "") or "",
        is_regex=properties.is_regex if properties else None,
    )


class CognitiveReads(AzureReader):
    """The reads of `CognitiveView` over azure-mgmt-cognitiveservices."""

    def cognitive_accounts(self, resource_group: str, *, missing_group_ok: bool = False) -> list[CognitiveAccount]:
        """Every Cognitive Services account in a resource group, of any kind (none: `missing_group_ok` and no group)."""
        found = self._read(
            READ_ACTIONS["cognitive_accounts"][0],
            ("cognitive-accounts", resource_group),
            lambda: list(self.client(COGNITIVE).accounts.list_by_resource_group(resource_group)),
            missing_ok=missing_group_ok,
        )
        return [_account(raw) for raw in found or []]

    def cognitive_account(self, resource_group: str, name: str) -> CognitiveAccount | None:
        """One account by resource group and name (None: it does not exist)."""
        found = self._read(
            READ_ACTIONS["cognitive_account"][0],
            ("cognitive-account", resource_group, name),
            lambda: self.client(COGNITIVE).accounts.get(resource_group, name),
            missing_ok=True,
        )
        return None if found is None else _account(found)

    def account_endpoint_connections(self, account_id: str) -> list[LinkConnection]:
        """The account's private-endpoint connections; `target_id` is each connection's private endpoint id."""
        group, name = group_and_name(account_id)
        found = self._read(
            READ_ACTIONS["account_endpoint_connections"][0],
            ("cognitive-endpoint-connections", account_id),
            # Not paged: a PrivateEndpointConnectionListResult, whose `.value` holds the connections.
            lambda: self.client(COGNITIVE).private_endpoint_connections.list(group, name).value,
            missing_ok=True,
        )
        return [_endpoint_connection(raw) for raw in found or []]

    def model_deployments(self, account_id: str, *, missing_account_ok: bool = False) -> list[ModelDeployment]:
        """The model deployments of an account (none: `missing_account_ok` and no account)."""
        group, name = group_and_name(account_id)
        found = self._read(
            READ_ACTIONS["model_deployments"][0],
            ("cognitive-deployments", account_id),
            lambda: list(self.client(COGNITIVE).deployments.list(group, name)),
            missing_ok=missing_account_ok,
        )
        return [_deployment(raw) for raw in found or []]

    def rai_policy(self, account_id: str, name: str) -> RaiPolicy | None:
        """A RAI policy of an account by name (None: it does not exist)."""
        group, account = group_and_name(account_id)
        found = self._read(
            READ_ACTIONS["rai_policy"][0],
            ("rai-policy", account_id, name),
            lambda: self.client(COGNITIVE).rai_policies.get(group, account, name),
            missing_ok=True,
        )
        return None if found is None else _rai_policy(found)

    def rai_blocklists(self, account_id: str) -> list[str]:
        """The names of an account's RAI blocklists."""
        group, account = group_and_name(account_id)
        found = self._read(
            READ_ACTIONS["rai_blocklists"][0],
            ("rai-blocklists", account_id),
            lambda: list(self.client(COGNITIVE).rai_blocklists.list(group, account)),
        )
        return [b.name or "" for b in found or []]

    def rai_blocklist_items(self, account_id: str, blocklist: str) -> list[BlocklistItem]:
        """The items of a RAI blocklist (listed: the single-item GET is unreliable server-side)."""
        group, account = group_and_name(account_id)
        found = self._read(
            READ_ACTIONS["rai_blocklist_items"][0],
            ("rai-blocklist-items", account_id, blocklist),
            lambda: list(self.client(COGNITIVE).rai_blocklist_items.list(group, account, blocklist)),
            missing_ok=True,
        )
        return [_blocklist_item(raw) for raw in found or []]
