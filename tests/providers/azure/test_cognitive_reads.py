"""The Cognitive Services reads every Azure AI lab shares, through the real azure-mgmt clients over a FakeArm."""

import inspect

import pytest

from labcheck.errors import PermissionDeniedError, ProviderError
from labcheck.providers.azure import view_cognitive, view_gateway, view_search
from labcheck.providers.azure.view import ManagedIdentity
from labcheck.providers.azure.view_cognitive import BlocklistReference, CognitiveView, NetworkAcls
from labcheck.testing.arm import FAKE_SUBSCRIPTION, FakeArm, arm_responses, fake_azure

RG_NAME = "rg-labcheck"
RG = f"/subscriptions/{FAKE_SUBSCRIPTION}/resourceGroups/{RG_NAME}"
ACCOUNTS = f"{RG}/providers/Microsoft.CognitiveServices/accounts"
ACCOUNT = f"{ACCOUNTS}/aoai-labcheck"
IDENTITY = f"{RG}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-aoai"
POLICY = f"{ACCOUNT}/raiPolicies/labcheck-strict"
ITEMS = f"{ACCOUNT}/raiBlocklists/labcheck-terms/raiBlocklistItems"

ACCOUNT_DOCUMENT = {
    "id": ACCOUNT,
    "name": "aoai-labcheck",
    "kind": "OpenAI",
    "location": "swedencentral",
    "sku": {"name": "S0"},
    "tags": {"labcheck-lab": "azure-openai-private-endpoint"},
    "identity": {
        "type": "SystemAssigned, UserAssigned",
        "principalId": "principal-system",
        "userAssignedIdentities": {IDENTITY: {"principalId": "principal-user", "clientId": "client-user"}},
    },
    "properties": {
        "provisioningState": "Succeeded",
        "customSubDomainName": "aoai-labcheck",
        "endpoint": "https://aoai-labcheck.openai.azure.com/",
        "endpoints": {"OpenAI Language Model Instance API": "https://aoai-labcheck.openai.azure.com/"},
        "publicNetworkAccess": "Disabled",
        "networkAcls": {"defaultAction": "Deny", "ipRules": [{"value": "203.0.113.7"}], "virtualNetworkRules": []},
        "disableLocalAuth": True,
    },
}
ROUTES = {
    ACCOUNTS: {"value": [ACCOUNT_DOCUMENT]},
    f"{ACCOUNT}/deployments": {
        "value": [
            {
                "id": f"{ACCOUNT}/deployments/chat",
                "name": "chat",
                "sku": {"name": "DataZoneStandard", "capacity": 10},
                "properties": {
                    "provisioningState": "Succeeded",
                    "model": {"format": "OpenAI", "name": "gpt-4o-mini", "version": "2024-07-18"},
                    "capabilities": {"chatCompletion": "true"},
                    "raiPolicyName": "labcheck-strict",
                },
            }
        ]
    },
    POLICY: {
        "id": POLICY,
        "name": "labcheck-strict",
        "properties": {
            "type": "UserManaged",
            "mode": "Blocking",
            "basePolicyName": "Microsoft.DefaultV2",
            "contentFilters": [
                {"name": "Indirect Attack", "source": "Prompt", "enabled": True, "blocking": True},
                {"name": "Hate", "source": "Completion", "severityThreshold": "Medium", "enabled": True},
            ],
            "customBlocklists": [{"blocklistName": "labcheck-terms", "source": "Prompt", "blocking": True}],
        },
    },
    f"{ACCOUNT}/raiBlocklists": {
        "value": [{"id": f"{ACCOUNT}/raiBlocklists/labcheck-terms", "name": "labcheck-terms"}]
    },
    ITEMS: {"value": [{"id": f"{ITEMS}/codename", "name": "codename", "properties": {"pattern": "Project X"}}]},
}


@pytest.fixture
def arm():
    with arm_responses(FakeArm(ROUTES)) as fake:
        yield fake


def test_an_account_carries_what_every_lab_grades(arm):
    (account,) = fake_azure().cognitive_accounts(RG_NAME)
    assert (account.kind, account.provisioning_state, account.sku) == ("OpenAI", "Succeeded", "S0")
    assert account.endpoint_urls == ("https://aoai-labcheck.openai.azure.com/",)
    assert account.network_acls == NetworkAcls("Deny", None, ("203.0.113.7",), ())
    assert account.identity == ManagedIdentity(
        "SystemAssigned, UserAssigned", "principal-system", {IDENTITY: "principal-user"}
    )
    assert account.identity.usable
    assert account.disable_local_auth is True
    assert fake_azure().cognitive_account(RG_NAME, "aoai-labcheck") is None  # only the listing is routed


def test_deployments_policies_and_blocklists(arm):
    azure = fake_azure()
    (deployment,) = azure.model_deployments(ACCOUNT)
    assert (deployment.model_name, deployment.sku, deployment.capacity) == ("gpt-4o-mini", "DataZoneStandard", 10)
    policy = azure.rai_policy(ACCOUNT, deployment.rai_policy_name or "")
    assert policy is not None
    assert policy.policy_type == "UserManaged"
    shield, hate = policy.content_filters
    assert shield.key == ("indirectattack", "prompt")
    assert shield.severity_threshold is None
    assert hate.blocking is None  # never set stays None, not False
    assert policy.custom_blocklists == (BlocklistReference("labcheck-terms", "Prompt", True),)
    assert azure.rai_blocklists(ACCOUNT) == ["labcheck-terms"]
    assert [(i.name, i.pattern) for i in azure.rai_blocklist_items(ACCOUNT, "labcheck-terms")] == [
        ("codename", "Project X")
    ]


def test_a_missing_parent_is_empty_only_where_the_lab_says_so(arm):
    arm.remove(ACCOUNTS)
    arm.remove(f"{ACCOUNT}/deployments")
    azure = fake_azure()
    assert azure.cognitive_accounts(RG_NAME, missing_group_ok=True) == []
    assert azure.model_deployments(ACCOUNT, missing_account_ok=True) == []
    with pytest.raises(ProviderError, match="not found"):
        azure.cognitive_accounts(RG_NAME)
    with pytest.raises(ProviderError, match="not found"):
        azure.model_deployments(ACCOUNT)
    assert [path for _, path, _ in arm.calls].count(ACCOUNTS.lower()) == 1  # one read, whatever the reading


def _own_methods(view: type, base: type) -> set[str]:
    return {name for name, _ in inspect.getmembers(view, inspect.isfunction) if not hasattr(base, name)}


@pytest.mark.parametrize(
    ("module", "view"),
    [(view_gateway, view_gateway.GatewayView), (view_search, view_search.SearchView)],
    ids=["gateway", "search"],
)
def test_each_lab_view_adds_its_own_reads_to_the_cognitive_view(module, view):
    assert CognitiveView in view.__mro__
    assert set(module.READ_ACTIONS) == _own_methods(view, CognitiveView)


def test_every_cognitive_read_is_declared_and_a_denial_names_its_action(arm):
    from labcheck.providers.azure.view import AzureView

    assert set(view_cognitive.READ_ACTIONS) == _own_methods(CognitiveView, AzureView)
    arguments = {
        "cognitive_accounts": (RG_NAME,),
        "cognitive_account": (RG_NAME, "aoai-labcheck"),
        "account_endpoint_connections": (ACCOUNT,),
        "model_deployments": (ACCOUNT,),
        "rai_policy": (ACCOUNT, "labcheck-strict"),
        "rai_blocklists": (ACCOUNT,),
        "rai_blocklist_items": (ACCOUNT, "labcheck-terms"),
    }
    assert set(arguments) == set(view_cognitive.READ_ACTIONS)
    arm.set(ACCOUNT, ACCOUNT_DOCUMENT)
    arm.set(f"{ACCOUNT}/privateEndpointConnections", {"value": []})
    arm.deny("/microsoft.cognitiveservices/")
    for method, args in arguments.items():
        with pytest.raises(PermissionDeniedError) as denied:
            getattr(fake_azure(), method)(*args)
        assert denied.value.action == view_cognitive.READ_ACTIONS[method][0]
