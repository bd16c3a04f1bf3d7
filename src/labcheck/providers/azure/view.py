"""The core Azure view: the networking, DNS, monitoring, identity and RBAC nouns every Azure lab reads.

Nothing here imports an Azure SDK. Comparisons follow ARM's rules: resource ids and enum strings are
case-insensitive, and some providers return location display names ("Sweden Central"); `same_id`,
`same_word` and `location_key` normalise them in one place.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol


def text(value: object) -> str:
    """An SDK enum member or string as its plain ARM text ("Succeeded", not "ProvisioningState.SUCCEEDED")."""
    return str(getattr(value, "value", value) or "")


def optional_text(value: object) -> str | None:
    """Like `text`, but an absent value stays None (where "not set" differs from empty)."""
    return None if value is None else str(getattr(value, "value", value))


def same_id(left: str | None, right: str | None) -> bool:
    """Whether two ARM resource ids name the same resource (case-insensitive, no trailing slash)."""
    return bool(left and right) and str(left).lower().rstrip("/") == str(right).lower().rstrip("/")


def same_word(value: object, expected: str) -> bool:
    """Case-insensitive enum comparison ("Disabled" and "disabled" are the same ARM value)."""
    return text(value).lower() == expected.lower()


def location_key(location: str | None) -> str:
    """A location as a comparable key: "Sweden Central" and "swedencentral" give the same."""
    return (location or "").replace(" ", "").lower()


def id_part(resource_id: str, segment: str) -> str:
    """The value that follows a segment of a resource id (the resource group after "resourceGroups")."""
    parts = resource_id.strip("/").split("/")
    lowered = [p.lower() for p in parts]
    index = lowered.index(segment.lower()) if segment.lower() in lowered else -1
    return parts[index + 1] if 0 <= index < len(parts) - 1 else ""


def resource_name(resource_id: str) -> str:
    """The last segment of a resource id."""
    return resource_id.rstrip("/").rsplit("/", 1)[-1]


def group_and_name(resource_id: str) -> tuple[str, str]:
    """The resource group and name of a resource id, as the SDKs' get operations take them."""
    return id_part(resource_id, "resourceGroups"), resource_name(resource_id)


def vnet_of_subnet(subnet_id: str) -> str:
    """The virtual network id a subnet id belongs to."""
    return subnet_id.rstrip("/").lower().split("/subnets/")[0]


@dataclass(frozen=True)
class LinkConnection:
    """One private-link connection: what it targets, its approval state and sub-resources."""

    target_id: str
    status: str  # Pending | Approved | Rejected | Disconnected
    group_ids: tuple[str, ...]


@dataclass(frozen=True)
class PrivateEndpoint:
    """A private endpoint and its connections."""

    id: str
    provisioning_state: str
    subnet_id: str
    connections: tuple[LinkConnection, ...]  # automatic and manual
    network_interface_ids: tuple[str, ...] = ()
    custom_dns_ips: tuple[str, ...] = ()


@dataclass(frozen=True)
class ZoneConfig:
    """One private DNS zone a private endpoint's zone group writes to, with the IPs it recorded."""

    zone_id: str
    ip_addresses: tuple[str, ...]


@dataclass(frozen=True)
class VnetLink:
    """A private DNS zone's link to a virtual network."""

    vnet_id: str
    state: str  # InProgress | Completed


@dataclass(frozen=True)
class LogSetting:
    """One log entry of a diagnostic setting."""

    category: str | None
    category_group: str | None
    enabled: bool


@dataclass(frozen=True)
class DiagnosticSetting:
    """A diagnostic setting of a resource."""

    name: str
    workspace_id: str | None
    logs: tuple[LogSetting, ...]


@dataclass(frozen=True)
class ManagedIdentity:
    """A resource's managed identity (`identity`): its type, the system-assigned principal, the user-assigned ones."""

    type: str  # None | SystemAssigned | UserAssigned | "SystemAssigned, UserAssigned"
    principal_id: str | None
    user_assigned: Mapping[str, str | None] = field(default_factory=dict)  # identity resource id -> principal id

    @property
    def usable(self) -> bool:
        """Whether a principal can act as the resource: a system-assigned one, or any user-assigned one."""
        kind = self.type.lower().replace(" ", "")
        system = "systemassigned" in kind and bool(self.principal_id)
        return system or ("userassigned" in kind and bool(self.user_assigned))


@dataclass(frozen=True)
class RoleAssignment:
    """A role assignment: at which scope, which role (GUID), to whom."""

    scope: str
    role_guid: str
    principal_id: str


class AzureView(Protocol):
    """What Azure checks may ask about a subscription. Every method is read-only and memoised."""

    @property
    def subscription_id(self) -> str:
        """The subscription being graded."""

    @property
    def identity(self) -> dict[str, str]:
        """What a report shows: cloud and subscription."""

    def private_endpoint(self, endpoint_id: str) -> PrivateEndpoint | None:
        """A private endpoint by id (None: it does not exist)."""

    def private_dns_zone_configs(self, endpoint_id: str) -> list[ZoneConfig]:
        """The zones a private endpoint's DNS zone groups write to."""

    def private_zone_exists(self, zone_id: str) -> bool:
        """Whether a private DNS zone exists."""

    def zone_links(self, zone_id: str) -> list[VnetLink]:
        """A private DNS zone's virtual network links."""

    def a_record(self, zone_id: str, name: str) -> tuple[str, ...] | None:
        """The IPv4 addresses of an A record (None: no such record)."""

    def network_interface_ips(self, nic_id: str) -> tuple[str, ...]:
        """The private IPs of a network interface."""

    def diagnostic_settings(self, resource_id: str) -> list[DiagnosticSetting]:
        """The diagnostic settings of a resource."""

    def role_assignments(self, scope: str, principal_id: str) -> list[RoleAssignment]:
        """Role assignments of a principal that apply at a scope (including those inherited from above)."""


READ_ACTIONS: dict[str, tuple[str, ...]] = {
    "private_endpoint": ("Microsoft.Network/privateEndpoints/read",),
    "private_dns_zone_configs": ("Microsoft.Network/privateEndpoints/privateDnsZoneGroups/read",),
    "private_zone_exists": ("Microsoft.Network/privateDnsZones/read",),
    "zone_links": ("Microsoft.Network/privateDnsZones/virtualNetworkLinks/read",),
    "a_record": ("Microsoft.Network/privateDnsZones/A/read",),
    "network_interface_ips": ("Microsoft.Network/networkInterfaces/read",),
    "diagnostic_settings": ("Microsoft.Insights/diagnosticSettings/read",),
    "role_assignments": ("Microsoft.Authorization/roleAssignments/read",),
}
"""The RBAC action behind each `AzureView` read: what a check that calls it must declare (all under Reader)."""
