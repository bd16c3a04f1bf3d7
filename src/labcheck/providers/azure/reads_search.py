"""Live reads of the search and storage part of `SearchView` (view_search.py) over the azure-mgmt SDKs.

Model styles differ by package: Search is flattened msrest (`svc.public_network_access`, no `.properties`),
Storage is a TypeSpec hybrid whose flattened names still work. Enum values are kept as returned; the checks
compare them case-insensitively. The Cognitive Services reads the view inherits are reads_cognitive.py's.
"""

from __future__ import annotations

from typing import Any

from labcheck.providers.azure.reader import AzureReader
from labcheck.providers.azure.reads_core import managed_identity
from labcheck.providers.azure.view import group_and_name, optional_text
from labcheck.providers.azure.view_search import (
    READ_ACTIONS,
    SearchEndpointConnection,
    SearchService,
    SharedPrivateLink,
    StorageAccount,
)

SEARCH = "azure.mgmt.search:SearchManagementClient"
STORAGE = "azure.mgmt.storage:StorageManagementClient"


def _service(raw: Any) -> SearchService:
    rules = (raw.network_rule_set.ip_rules or []) if raw.network_rule_set else []
    options = raw.auth_options
    both = options.aad_or_api_key if options else None
    cmk = raw.encryption_with_cmk
    return SearchService(
        id=raw.id or "",
        name=raw.name or "",
        location=raw.location or "",
        tags=dict(raw.tags or {}),
        sku=(raw.sku.name if raw.sku else "") or "",
        status=raw.status or "",
        provisioning_state=raw.provisioning_state or "",
        public_network_access=raw.public_network_access or "",
        ip_rules=tuple(rule.value for rule in rules if rule.value),
        disable_local_auth=raw.disable_local_auth,
        aad_failure_mode=(both.aad_auth_failure_mode or "") if both else None,
        api_key_only=bool(options and options.api_key_only is not None),
        identity=managed_identity(raw.identity),
        semantic_search=raw.semantic_search,
        cmk_enforcement=cmk.enforcement if cmk else None,
        cmk_compliance=cmk.encryption_compliance_status if cmk else None,
        exfiltration_protections=tuple(raw.data_exfiltration_protections or ()),
    )


def _storage(raw: Any) -> StorageAccount:
    rules = raw.network_rule_set
    return StorageAccount(
        id=raw.id or "",
        name=raw.name or "",
        tags=dict(raw.tags or {}),
        public_network_access=optional_text(raw.public_network_access),
        default_action=optional_text(rules.default_action) if rules else None,
        allow_shared_key_access=raw.allow_shared_key_access,
        allow_blob_public_access=raw.allow_blob_public_access,
    )


class SearchReads(AzureReader):
    """The search and storage reads of `SearchView`."""

    def search_services(self, resource_group: str) -> list[SearchService]:
        """The search services of a resource group."""
        found = self._read(
            READ_ACTIONS["search_services"][0],
            ("search-services", resource_group),
            lambda: list(self.client(SEARCH).services.list_by_resource_group(resource_group)),
        )
        return [_service(raw) for raw in found or []]

    def search_service(self, service_id: str) -> SearchService | None:
        """A search service by id (None: it does not exist)."""
        group, name = group_and_name(service_id)
        found = self._read(
            READ_ACTIONS["search_service"][0],
            ("search-service", service_id),
            lambda: self.client(SEARCH).services.get(group, name),
            missing_ok=True,
        )
        return None if found is None else _service(found)

    def search_endpoint_connections(self, service_id: str) -> list[SearchEndpointConnection]:
        """The private-endpoint connections of a search service."""
        group, name = group_and_name(service_id)
        found = self._read(
            READ_ACTIONS["search_endpoint_connections"][0],
            ("search-endpoint-connections", service_id),
            lambda: list(self.client(SEARCH).private_endpoint_connections.list_by_service(group, name)),
            missing_ok=True,
        )
        connections = []
        for raw in found or []:
            props = raw.properties
            state = props.private_link_service_connection_state if props else None
            endpoint = props.private_endpoint if props else None
            connections.append(
                SearchEndpointConnection(
                    id=raw.id or "",
                    endpoint_id=(endpoint.id if endpoint else "") or "",
                    group_id=(props.group_id if props else "") or "",
                    status=(state.status if state else "") or "",
                    provisioning_state=(props.provisioning_state if props else "") or "",
                )
            )
        return connections

    def shared_private_links(self, service_id: str) -> list[SharedPrivateLink]:
        """The shared private links of a search service."""
        group, name = group_and_name(service_id)
        found = self._read(
            READ_ACTIONS["shared_private_links"][0],
            ("search-shared-links", service_id),
            lambda: list(self.client(SEARCH).shared_private_link_resources.list_by_service(group, name)),
            missing_ok=True,
        )
        links = []
        for raw in found or []:
            props = raw.properties
            links.append(
                SharedPrivateLink(
                    id=raw.id or "",
                    name=raw.name or "",
                    target_id=(props.private_link_resource_id if props else "") or "",
                    group_id=(props.group_id if props else "") or "",
                    status=(props.status if props else "") or "",
                    provisioning_state=(props.provisioning_state if props else "") or "",
                )
            )
        return links

    def storage_accounts(self, resource_group: str) -> list[StorageAccount]:
        """The storage accounts of a resource group."""
        found = self._read(
            READ_ACTIONS["storage_accounts"][0],
            ("search-storage-accounts", resource_group),
            lambda: list(self.client(STORAGE).storage_accounts.list_by_resource_group(resource_group)),
        )
        return [_storage(raw) for raw in found or []]

    def storage_account(self, account_id: str) -> StorageAccount | None:
        """A storage account by id (None: it does not exist)."""
        group, name = group_and_name(account_id)
        found = self._read(
            READ_ACTIONS["storage_account"][0],
            ("search-storage-account", account_id),
            lambda: self.client(STORAGE).storage_accounts.get_properties(group, name),
            missing_ok=True,
        )
        return None if found is None else _storage(found)
