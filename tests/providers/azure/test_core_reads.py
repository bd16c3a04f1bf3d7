"""The core Azure reads and the shared fragments, through the real azure-mgmt clients over a FakeArm."""

import copy

import pytest

from labcheck.errors import PermissionDeniedError, ReadOnlyViolationError
from labcheck.providers.azure import fragments
from labcheck.testing.arm import FAKE_SUBSCRIPTION, FakeArm, arm_responses, fake_azure

RG = f"/subscriptions/{FAKE_SUBSCRIPTION}/resourceGroups/rg-labcheck"
ACCOUNT = f"{RG}/providers/Microsoft.CognitiveServices/accounts/labcheck-aoai"
VNET = f"{RG}/providers/Microsoft.Network/virtualNetworks/vnet-labcheck"
PE = f"{RG}/providers/Microsoft.Network/privateEndpoints/pe-aoai"
ZONE = f"{RG}/providers/Microsoft.Network/privateDnsZones/privatelink.openai.azure.com"
WORKSPACE = f"{RG}/providers/Microsoft.OperationalInsights/workspaces/law-labcheck"
PRINCIPAL = "6f1c2a4e-0d7b-4c55-9a53-0e7f2f0c9b11"
OPENAI_USER = "5e0bd9bd-7b93-4f28-af87-19fc36ad61bd"
ASSIGNMENT = "0b7c3c9e-2f2a-4d3e-9f55-7a1a4f1f1a01"
ROLE_DEFINITIONS = f"/subscriptions/{FAKE_SUBSCRIPTION}/providers/Microsoft.Authorization/roleDefinitions"

ROUTES = {
    PE: {
        "id": PE,
        "name": "pe-aoai",
        "type": "Microsoft.Network/privateEndpoints",
        "location": "swedencentral",
        "etag": 'W/"3f1d"',
        "tags": {"labcheck-lab": "azure-openai-private-endpoint"},
        "properties": {
            "provisioningState": "Succeeded",
            "subnet": {"id": f"{VNET}/subnets/snet-private-endpoints"},
            "privateLinkServiceConnections": [
                {
                    "id": f"{PE}/privateLinkServiceConnections/aoai",
                    "name": "aoai",
                    "properties": {
                        "provisioningState": "Succeeded",
                        "privateLinkServiceId": ACCOUNT,
                        "groupIds": ["account"],
                        "privateLinkServiceConnectionState": {
                            "status": "Approved",
                            "description": "Auto-Approved",
                            "actionsRequired": "None",
                        },
                    },
                }
            ],
            "manualPrivateLinkServiceConnections": [],
            "networkInterfaces": [{"id": f"{RG}/providers/Microsoft.Network/networkInterfaces/pe-aoai.nic.1"}],
            "customDnsConfigs": [],
        },
    },
    f"{PE}/privateDnsZoneGroups": {
        "value": [
            {
                "id": f"{PE}/privateDnsZoneGroups/default",
                "name": "default",
                "properties": {
                    "provisioningState": "Succeeded",
                    "privateDnsZoneConfigs": [
                        {
                            "name": "privatelink-openai-azure-com",
                            "properties": {
                                "privateDnsZoneId": ZONE,
                                "recordSets": [
                                    {
                                        "recordType": "A",
                                        "recordSetName": "labcheck-aoai",
                                        "fqdn": "labcheck-aoai.privatelink.openai.azure.com",
                                        "ttl": 10,
                                        "ipAddresses": ["10.20.1.4"],
                                    }
                                ],
                            },
                        }
                    ],
                },
            }
        ]
    },
    ZONE: {
        "id": ZONE,
        "name": "privatelink.openai.azure.com",
        "type": "Microsoft.Network/privateDnsZones",
        "location": "global",
        "properties": {"numberOfRecordSets": 2, "provisioningState": "Succeeded"},
    },
    f"{ZONE}/virtualNetworkLinks": {
        "value": [
            {
                "id": f"{ZONE}/virtualNetworkLinks/vnet-labcheck",
                "name": "vnet-labcheck",
                "location": "global",
                "properties": {
                    "virtualNetwork": {"id": VNET},
                    "registrationEnabled": False,
                    "virtualNetworkLinkState": "Completed",
                    "provisioningState": "Succeeded",
                },
            }
        ]
    },
    f"{ZONE}/A/labcheck-aoai": {
        "id": f"{ZONE}/A/labcheck-aoai",
        "name": "labcheck-aoai",
        "type": "Microsoft.Network/privateDnsZones/A",
        "properties": {
            "ttl": 10,
            "fqdn": "labcheck-aoai.privatelink.openai.azure.com.",
            "aRecords": [{"ipv4Address": "10.20.1.4"}],
        },
    },
    f"{ACCOUNT}/providers/Microsoft.Insights/diagnosticSettings": {
        "value": [
            {
                "id": f"{ACCOUNT}/providers/microsoft.insights/diagnosticSettings/to-law",
                "name": "to-law",
                "properties": {
                    "workspaceId": WORKSPACE,
                    "logs": [
                        {"categoryGroup": "audit", "enabled": True},
                        {"categoryGroup": "allLogs", "enabled": True},
                    ],
                    "metrics": [],
                },
            }
        ]
    },
    f"{ACCOUNT}/providers/Microsoft.Authorization/roleAssignments": {
        "value": [
            {
                "id": f"{ACCOUNT}/providers/Microsoft.Authorization/roleAssignments/{ASSIGNMENT}",
                "name": ASSIGNMENT,
                "type": "Microsoft.Authorization/roleAssignments",
                "properties": {
                    "roleDefinitionId": f"{ROLE_DEFINITIONS}/{OPENAI_USER}",
                    "principalId": PRINCIPAL,
                    "principalType": "ServicePrincipal",
                    "scope": ACCOUNT,
                },
            }
        ]
    },
}


@pytest.fixture
def arm():
    with arm_responses(FakeArm(copy.deepcopy(ROUTES))) as fake:
        yield fake


def test_private_endpoint_is_read_and_normalised(arm):
    endpoint = fake_azure().private_endpoint(PE)
    assert endpoint is not None
    assert endpoint.provisioning_state == "Succeeded"
    assert endpoint.subnet_id.endswith("/subnets/snet-private-endpoints")
    (connection,) = endpoint.connections
    assert (connection.target_id, connection.status, connection.group_ids) == (ACCOUNT, "Approved", ("account",))
    assert fragments.endpoint_problems(endpoint, ACCOUNT.upper()) == []  # ids compare case-insensitively


def test_fragments_pass_on_the_reference_and_name_each_break(arm):
    azure = fake_azure()
    endpoint = azure.private_endpoint(PE)
    assert fragments.dns_problems(azure, endpoint, ["privatelink.openai.azure.com"], "labcheck-aoai") == []
    assert fragments.diagnostics_problems(azure, ACCOUNT, {"audit", "alllogs"}, set()) == []
    assert fragments.role_problems(azure, PRINCIPAL, ACCOUNT, {OPENAI_USER}) == []
    assert fragments.role_problems(azure, PRINCIPAL, ACCOUNT, {"a001fd3d-188f-4b5d-821b-7da978bf7442"})
    arm.set(
        f"{ZONE}/A/labcheck-aoai",
        {**ROUTES[f"{ZONE}/A/labcheck-aoai"], "properties": {"aRecords": [{"ipv4Address": "10.99.0.9"}]}},
    )
    arm.set(f"{ZONE}/virtualNetworkLinks", {"value": []})
    fresh = fake_azure()
    problems = fragments.dns_problems(
        fresh, fresh.private_endpoint(PE), ["privatelink.openai.azure.com"], "labcheck-aoai"
    )
    assert any("not linked" in p for p in problems)
    assert any("no A record" in p for p in problems)


def test_every_distinct_read_is_sent_once(arm):
    azure = fake_azure()
    for _ in range(3):
        azure.private_endpoint(PE)
        azure.zone_links(ZONE)
    assert [c[1] for c in arm.calls].count(PE.lower()) == 1
    assert all(version for _, _, version in arm.calls)  # every call carries the SDK's pinned api-version


def test_missing_resources_are_none_and_denials_name_the_action(arm):
    azure = fake_azure()
    assert azure.private_endpoint(PE + "-gone") is None
    arm.deny("/privatednszones/", "Microsoft.Network/privateDnsZones/read")
    with pytest.raises(PermissionDeniedError) as denied:
        fake_azure().private_zone_exists(ZONE)
    assert denied.value.action == "Microsoft.Network/privateDnsZones/read"


def test_the_pipeline_refuses_anything_but_get(arm):
    client = fake_azure().client("azure.mgmt.network:NetworkManagementClient")
    with pytest.raises(ReadOnlyViolationError):
        client.private_endpoints.begin_delete("rg-labcheck", "pe-aoai").result()
    assert not [c for c in arm.calls if c[0] != "GET"]  # refused before it was sent


def test_a_local_https_emulator_serves_the_real_pipeline(tmp_path, monkeypatch):
    from labcheck.providers.azure.live import LiveAzure
    from labcheck.providers.azure.session import AzureOptions
    from labcheck.testing.arm_server import arm_emulator

    arm = FakeArm(copy.deepcopy(ROUTES))
    with arm_emulator(arm, tmp_path) as environment:
        for name, value in environment.items():
            monkeypatch.setenv(name, value)
        azure = LiveAzure.open(AzureOptions())
        assert azure.identity == {"cloud": "azure", "subscription": FAKE_SUBSCRIPTION}
        assert azure.private_endpoint(PE).connections[0].status == "Approved"
    assert arm.calls == [("GET", PE.lower(), arm.calls[0][2])]
