"""Check fragments several Azure labs share: private endpoint, private DNS, diagnostics and role grants.

Each returns the problems it found (an empty list: the requirement holds), so a lab's check only adds its
own resource and message. Nothing here imports an SDK.
"""

from __future__ import annotations

from collections.abc import Iterable

from labcheck.providers.azure.view import (
    AzureView,
    LinkConnection,
    PrivateEndpoint,
    same_id,
    same_word,
    vnet_of_subnet,
)

PRIVATE_ENDPOINT_READS = ("Microsoft.Network/privateEndpoints/read",)
PRIVATE_DNS_READS = (
    "Microsoft.Network/privateEndpoints/privateDnsZoneGroups/read",
    "Microsoft.Network/privateDnsZones/read",
    "Microsoft.Network/privateDnsZones/virtualNetworkLinks/read",
    "Microsoft.Network/privateDnsZones/A/read",
    "Microsoft.Network/networkInterfaces/read",
)
DIAGNOSTICS_READS = ("Microsoft.Insights/diagnosticSettings/read",)
ROLE_READS = ("Microsoft.Authorization/roleAssignments/read",)


def approved(connections: Iterable[LinkConnection], groups: set[str]) -> list[LinkConnection]:
    """The approved connections to any of the expected sub-resources (group ids)."""
    return [
        c
        for c in connections
        if same_word(c.status, "approved") and {g.lower() for g in c.group_ids} & {g.lower() for g in groups}
    ]


def endpoint_problems(endpoint: PrivateEndpoint | None, target_id: str) -> list[str]:
    """Why a private endpoint does not privately reach the target (none: it does)."""
    if endpoint is None:
        return ["the approved connection's private endpoint does not exist"]
    problems = []
    if not same_word(endpoint.provisioning_state, "succeeded"):
        problems.append(f"private endpoint {endpoint.id} is {endpoint.provisioning_state or 'not provisioned'}")
    if "/virtualnetworks/" not in endpoint.subnet_id.lower() or "/subnets/" not in endpoint.subnet_id.lower():
        problems.append(f"private endpoint {endpoint.id} is not in a virtual network subnet")
    if not [c for c in endpoint.connections if same_id(c.target_id, target_id) and same_word(c.status, "approved")]:
        problems.append(f"private endpoint {endpoint.id} has no approved connection to the resource")
    return problems


def endpoint_ips(azure: AzureView, endpoint: PrivateEndpoint) -> set[str]:
    """The private IPs of an endpoint: what its zone groups recorded, its custom DNS, else its interfaces."""
    ips = {ip for config in azure.private_dns_zone_configs(endpoint.id) for ip in config.ip_addresses}
    ips |= set(endpoint.custom_dns_ips)
    if not ips:
        ips = {ip for nic in endpoint.network_interface_ids for ip in azure.network_interface_ips(nic)}
    return ips


def dns_problems(azure: AzureView, endpoint: PrivateEndpoint, zone_names: Iterable[str], record: str) -> list[str]:
    """Why clients in the endpoint's VNet would not resolve `record` in each zone to the endpoint."""
    configs = azure.private_dns_zone_configs(endpoint.id)
    ips = endpoint_ips(azure, endpoint)
    vnet = vnet_of_subnet(endpoint.subnet_id)
    problems = []
    for zone in zone_names:
        zone_id = next((c.zone_id for c in configs if c.zone_id.lower().endswith("/" + zone.lower())), "")
        if not zone_id or not azure.private_zone_exists(zone_id):
            problems.append(f"no private DNS zone {zone} is attached to the endpoint's zone group")
            continue
        if not any(
            same_id(link.vnet_id, vnet) and same_word(link.state, "completed") for link in azure.zone_links(zone_id)
        ):
            problems.append(f"{zone} is not linked to the endpoint's virtual network")
        addresses = azure.a_record(zone_id, record)
        if not addresses or not set(addresses) <= ips:
            problems.append(
                f"{zone} has no A record {record} pointing at the endpoint ({', '.join(sorted(ips)) or 'no IP'})"
            )
    return problems


def diagnostics_problems(azure: AzureView, resource_id: str, groups: set[str], categories: set[str]) -> list[str]:
    """Why no diagnostic setting of a resource sends the accepted logs to a Log Analytics workspace."""
    settings = azure.diagnostic_settings(resource_id)
    for setting in settings:
        to_workspace = "/microsoft.operationalinsights/workspaces/" in (setting.workspace_id or "").lower()
        logs = [
            entry
            for entry in setting.logs
            if entry.enabled
            and ((entry.category_group or "").lower() in groups or (entry.category or "").lower() in categories)
        ]
        if to_workspace and logs:
            return []
    if not settings:
        return ["it has no diagnostic setting"]
    return [f"no diagnostic setting sends {' or '.join(sorted(groups | categories))} logs to a Log Analytics workspace"]


def role_problems(azure: AzureView, principal_id: str, target_id: str, role_guids: set[str]) -> list[str]:
    """Why a principal does not hold one of the roles on the target (an assignment above the target counts)."""
    assignments = azure.role_assignments(target_id, principal_id)
    held = [
        a
        for a in assignments
        if a.role_guid.lower() in {g.lower() for g in role_guids}
        and target_id.lower().startswith(a.scope.lower().rstrip("/"))
    ]
    return [] if held else [f"principal {principal_id} holds none of the required roles on {target_id}"]
