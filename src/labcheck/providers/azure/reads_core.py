"""Live reads of the core Azure view (view.py) with azure-mgmt-network, -privatedns, -monitor, -authorization."""

from __future__ import annotations

from typing import Any

from labcheck.providers.azure.reader import AzureReader
from labcheck.providers.azure.view import (
    READ_ACTIONS,
    DiagnosticSetting,
    LinkConnection,
    LogSetting,
    ManagedIdentity,
    PrivateEndpoint,
    RoleAssignment,
    VnetLink,
    ZoneConfig,
    group_and_name,
    optional_text,
    resource_name,
    text,
)

NETWORK = "azure.mgmt.network:NetworkManagementClient"
PRIVATE_DNS = "azure.mgmt.privatedns:PrivateDnsManagementClient"
MONITOR = "azure.mgmt.monitor:MonitorManagementClient"
AUTHORIZATION = "azure.mgmt.authorization:AuthorizationManagementClient"


def _connection(raw: Any) -> LinkConnection:
    state = raw.private_link_service_connection_state
    return LinkConnection(
        target_id=raw.private_link_service_id or "",
        status=text(state.status) if state else "",
        group_ids=tuple(raw.group_ids or ()),
    )


def managed_identity(raw: Any) -> ManagedIdentity | None:
    """A resource's `identity` block; Search and Cognitive Services models name its fields alike."""
    if raw is None:
        return None
    assigned = raw.user_assigned_identities or {}
    return ManagedIdentity(
        type=optional_text(raw.type) or "",
        principal_id=raw.principal_id or None,
        user_assigned={key: (value.principal_id if value else None) for key, value in assigned.items()},
    )


class CoreReads(AzureReader):
    """The reads of `AzureView` over the azure-mgmt SDKs."""

    def private_endpoint(self, endpoint_id: str) -> PrivateEndpoint | None:
        """A private endpoint by id (None: it does not exist)."""
        group, name = group_and_name(endpoint_id)
        found = self._read(
            READ_ACTIONS["private_endpoint"][0],
            ("pe", endpoint_id),
            lambda: self.client(NETWORK).private_endpoints.get(group, name),
            missing_ok=True,
        )
        if found is None:
            return None
        links = [
            *(found.private_link_service_connections or []),
            *(found.manual_private_link_service_connections or []),
        ]
        return PrivateEndpoint(
            id=found.id,
            provisioning_state=text(found.provisioning_state),
            subnet_id=found.subnet.id if found.subnet else "",
            connections=tuple(_connection(c) for c in links),
            network_interface_ids=tuple(n.id for n in found.network_interfaces or [] if n.id),
            custom_dns_ips=tuple(ip for c in found.custom_dns_configs or [] for ip in c.ip_addresses or []),
        )

    def private_dns_zone_configs(self, endpoint_id: str) -> list[ZoneConfig]:
        """The zones a private endpoint's DNS zone groups write to."""
        group, name = group_and_name(endpoint_id)
        groups = self._read(
            READ_ACTIONS["private_dns_zone_configs"][0],
            ("zone-groups", endpoint_id),
            # Keywords on purpose: this operation takes its positional arguments in the reverse order.
            lambda: list(
                self.client(NETWORK).private_dns_zone_groups.list(private_endpoint_name=name, resource_group_name=group)
            ),
        )
        return [
            ZoneConfig(
                zone_id=config.private_dns_zone_id or "",
                ip_addresses=tuple(ip for record in config.record_sets or [] for ip in record.ip_addresses or []),
            )
            for zone_group in groups or []
            for config in zone_group.private_dns_zone_configs or []
        ]

    def private_zone_exists(self, zone_id: str) -> bool:
        """Whether a private DNS zone exists."""
        group, name = group_and_name(zone_id)
        found = self._read(
            READ_ACTIONS["private_zone_exists"][0],
            ("zone", zone_id),
            lambda: self.client(PRIVATE_DNS).private_zones.get(group, name),
            missing_ok=True,
        )
        return found is not None

    def zone_links(self, zone_id: str) -> list[VnetLink]:
        """A private DNS zone's virtual network links."""
        group, name = group_and_name(zone_id)
        links = self._read(
            READ_ACTIONS["zone_links"][0],
            ("links", zone_id),
            lambda: list(self.client(PRIVATE_DNS).virtual_network_links.list(group, name)),
            missing_ok=True,
        )
        return [
            VnetLink(link.virtual_network.id if link.virtual_network else "", text(link.virtual_network_link_state))
            for link in links or []
        ]

    def a_record(self, zone_id: str, name: str) -> tuple[str, ...] | None:
        """The IPv4 addresses of an A record (None: no such record)."""
        group, zone = group_and_name(zone_id)
        found = self._read(
            READ_ACTIONS["a_record"][0],
            ("a", zone_id, name),
            lambda: self.client(PRIVATE_DNS).record_sets.get(group, zone, "A", name),
            missing_ok=True,
        )
        if found is None:
            return None
        return tuple(a.ipv4_address for a in found.a_records or [] if a.ipv4_address)

    def network_interface_ips(self, nic_id: str) -> tuple[str, ...]:
        """The private IPs of a network interface."""
        group, name = group_and_name(nic_id)
        found = self._read(
            READ_ACTIONS["network_interface_ips"][0],
            ("nic", nic_id),
            lambda: self.client(NETWORK).network_interfaces.get(group, name),
            missing_ok=True,
        )
        configs = found.ip_configurations or [] if found is not None else []
        return tuple(c.private_ip_address for c in configs if c.private_ip_address)

    def diagnostic_settings(self, resource_id: str) -> list[DiagnosticSetting]:
        """The diagnostic settings of a resource."""
        found = self._read(
            READ_ACTIONS["diagnostic_settings"][0],
            ("diagnostics", resource_id),
            lambda: list(self.client(MONITOR).diagnostic_settings.list(resource_uri=resource_id)),
        )
        return [
            DiagnosticSetting(
                name=s.name or "",
                workspace_id=s.workspace_id or None,
                logs=tuple(
                    LogSetting(entry.category, entry.category_group, bool(entry.enabled)) for entry in s.logs or []
                ),
            )
            for s in found or []
        ]

    def role_assignments(self, scope: str, principal_id: str) -> list[RoleAssignment]:
        """Role assignments of a principal that apply at a scope (including those inherited from above)."""
        found = self._read(
            READ_ACTIONS["role_assignments"][0],
            ("roles", scope, principal_id),
            lambda: list(
                self.client(AUTHORIZATION).role_assignments.list_for_scope(
                    scope, filter=f"principalId eq '{principal_id}'"
                )
            ),
        )
        # The service filters by principal; filtering again keeps a fake (or a lenient emulator) honest.
        return [
            RoleAssignment(a.scope or "", resource_name(a.role_definition_id or ""), a.principal_id or "")
            for a in found or []
            if (a.principal_id or "").lower() == principal_id.lower()
        ]
