"""The 15 checks of azure-openai-private-endpoint through the real azure-mgmt clients over a FakeArm.

reference_arm.json is the passing deployment as ARM returns it: one full document per resource (envelope
and complete properties), lists as {"value": [...]}. Each case is a small edit of a fresh copy of it (the
spec's fail mutations among them) and the status and message fragment the check must give. Every check runs
through the real runner, the real SDK clients and the real deserialisation, so a wrong JSON key or attribute
path shows up as a failing case rather than as two wrong things agreeing.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from labcheck.catalog import get_lab
from labcheck.model import Status
from labcheck.runner import run_check
from labcheck.testing.arm import FAKE_SUBSCRIPTION, FakeArm, arm_path, arm_responses, fake_azure
from tests.labs.contract import ArmSubject, Case, LabContract, assert_cases_cover_every_check, case_id, unchanged

PASS, FAIL, ERROR = Status.PASS, Status.FAIL, Status.ERROR

LAB = get_lab("azure-openai-private-endpoint")
CHECK_IDS = [c.id for c in LAB.checks]
KNOWN = set(CHECK_IDS)
REFERENCE = json.loads(Path(__file__).with_name("reference_arm.json").read_text(encoding="utf-8"))

RG_NAME = "rg-labcheck-aoai"
RG = f"/subscriptions/{FAKE_SUBSCRIPTION}/resourceGroups/{RG_NAME}"
NAME = "aoai-labcheck-7f3a"
ACCOUNTS = f"{RG}/providers/Microsoft.CognitiveServices/accounts"
ACCOUNT = f"{ACCOUNTS}/{NAME}"
CONNECTIONS = f"{ACCOUNT}/privateEndpointConnections"
DEPLOYMENTS = f"{ACCOUNT}/deployments"
POLICY = f"{ACCOUNT}/raiPolicies/labcheck-strict"
DIAGNOSTICS = f"{ACCOUNT}/providers/Microsoft.Insights/diagnosticSettings"
PE = f"{RG}/providers/Microsoft.Network/privateEndpoints/pe-{NAME}"
ZONE_GROUPS = f"{PE}/privateDnsZoneGroups"
NIC = f"{RG}/providers/Microsoft.Network/networkInterfaces/pe-{NAME}.nic.3b5f1c2a-8d4e-4f6a-9b0c-1d2e3f4a5b6c"
ZONE = f"{RG}/providers/Microsoft.Network/privateDnsZones/privatelink.openai.azure.com"
LINKS = f"{ZONE}/virtualNetworkLinks"
A_RECORD = f"{ZONE}/A/{NAME}"
OTHER_VNET = f"{RG}/providers/Microsoft.Network/virtualNetworks/vnet-elsewhere"
SUBNET = f"{RG}/providers/Microsoft.Network/virtualNetworks/vnet-labcheck/subnets/snet-private-endpoints"
AI_SERVICES_ZONES = ("privatelink.cognitiveservices.azure.com", "privatelink.services.ai.azure.com")

A1, A2, A3, A4, A5 = CHECK_IDS[:5]
A6, A7, A8, A9, A10 = CHECK_IDS[5:10]
A11, A12, A13, OUTBOUND, UPGRADE = CHECK_IDS[10:]
DELETE = object()

Routes = dict[str, Any]
Edit = Callable[[Routes], None]

# The RBAC action behind each route, most specific first: the first fragment a path contains decides.
ROUTE_ACTIONS = (
    ("/providers/microsoft.insights/diagnosticsettings", "Microsoft.Insights/diagnosticSettings/read"),
    ("/privateendpointconnections", "Microsoft.CognitiveServices/accounts/privateEndpointConnections/read"),
    ("/deployments", "Microsoft.CognitiveServices/accounts/deployments/read"),
    ("/raipolicies/", "Microsoft.CognitiveServices/accounts/raiPolicies/read"),
    ("/microsoft.cognitiveservices/accounts", "Microsoft.CognitiveServices/accounts/read"),
    ("/privatednszonegroups", "Microsoft.Network/privateEndpoints/privateDnsZoneGroups/read"),
    ("/microsoft.network/privateendpoints/", "Microsoft.Network/privateEndpoints/read"),
    ("/virtualnetworklinks", "Microsoft.Network/privateDnsZones/virtualNetworkLinks/read"),
    ("/a/", "Microsoft.Network/privateDnsZones/A/read"),
    ("/microsoft.network/privatednszones/", "Microsoft.Network/privateDnsZones/read"),
    ("/microsoft.network/networkinterfaces/", "Microsoft.Network/networkInterfaces/read"),
)


def action_of(path: str) -> str:
    """The RBAC action a GET of this ARM path needs."""
    return next(action for fragment, action in ROUTE_ACTIONS if fragment in arm_path(path))


# --- editing the reference --------------------------------------------------------------------------


def reference() -> Routes:
    """A fresh copy of the passing deployment."""
    return copy.deepcopy(REFERENCE)


def put(document: Any, dotted: str, value: Any) -> None:
    """Set (or, with DELETE, remove) the value at a dotted path; digits index lists."""
    *parents, last = dotted.split(".")
    for key in parents:
        document = document[int(key)] if isinstance(document, list) else document[key]
    if isinstance(document, list):
        document[int(last)] = value
    elif value is DELETE:
        document.pop(last, None)
    else:
        document[last] = value


def at(path: str, dotted: str, value: Any) -> Edit:
    """Set one value inside one route's document."""
    return lambda routes: put(routes[path], dotted, value)


def account(dotted: str, value: Any) -> Edit:
    """Set one value of the account, in its GET document and in the resource group's list alike."""

    def edit(routes: Routes) -> None:
        put(routes[ACCOUNT], dotted, value)
        for listed in routes[ACCOUNTS]["value"]:
            if listed["id"] == ACCOUNT:
                put(listed, dotted, value)

    return edit


def replace(path: str, body: Any) -> Edit:
    """Replace a route's whole document."""
    return lambda routes: routes.__setitem__(path, copy.deepcopy(body))


def drop(path: str) -> Edit:
    """Remove a route, so ARM answers 404."""
    return lambda routes: routes.pop(path)


def chain(*edits: Edit) -> Edit:
    """Several edits in order."""

    def edit(routes: Routes) -> None:
        for each in edits:
            each(routes)

    return edit


def second_account(name: str, tagged: bool, **properties: Any) -> Edit:
    """Add another OpenAI account (a copy of the reference one) to the resource group."""

    def edit(routes: Routes) -> None:
        other = copy.deepcopy(routes[ACCOUNT])
        other["id"], other["name"] = f"{ACCOUNTS}/{name}", name
        other["properties"]["customSubDomainName"] = name
        other["properties"]["endpoint"] = f"https://{name}.openai.azure.com/"
        other["properties"].update(properties)
        if not tagged:
            other["tags"] = {}
        routes[ACCOUNTS]["value"].append(other)
        routes[other["id"]] = copy.deepcopy(other)

    return edit


def untag_account(routes: Routes) -> None:
    account("tags", {})(routes)


def only_content_safety(routes: Routes) -> None:
    routes[ACCOUNTS]["value"] = [a for a in routes[ACCOUNTS]["value"] if a["kind"] == "ContentSafety"]


def ai_services(all_zones: bool) -> Edit:
    """The account as kind AIServices; with all_zones, its two extra private DNS zones wired like the first."""

    def edit(routes: Routes) -> None:
        account("kind", "AIServices")(routes)
        account("properties.endpoint", f"https://{NAME}.cognitiveservices.azure.com/")(routes)
        if not all_zones:
            return
        configs = routes[ZONE_GROUPS]["value"][0]["properties"]["privateDnsZoneConfigs"]
        for zone_name in AI_SERVICES_ZONES:
            zone_id = ZONE.replace("privatelink.openai.azure.com", zone_name)
            for suffix in ("", "/virtualNetworkLinks", f"/A/{NAME}"):
                text = json.dumps(routes[ZONE + suffix]).replace("privatelink.openai.azure.com", zone_name)
                routes[zone_id + suffix] = json.loads(text)
            config = json.loads(json.dumps(configs[0]).replace("privatelink.openai.azure.com", zone_name))
            configs.append(config)

    return edit


def connection_state(status: str) -> Edit:
    return at(CONNECTIONS, "value.0.properties.privateLinkServiceConnectionState.status", status)


def deployment(index: int, dotted: str, value: Any) -> Edit:
    return at(DEPLOYMENTS, f"value.{index}.{dotted}", value)


def content_filter(name: str, source: str, key: str, value: Any) -> Edit:
    """Change one content filter of the reference RAI policy."""

    def edit(routes: Routes) -> None:
        for found in routes[POLICY]["properties"]["contentFilters"]:
            if found["name"] == name and found["source"] == source:
                put(found, key, value)

    return edit


def add_chat_deployment(name: str, policy: str) -> Edit:
    """A second chat deployment (a copy of the first) that uses another RAI policy."""

    def edit(routes: Routes) -> None:
        copied = copy.deepcopy(routes[DEPLOYMENTS]["value"][0])
        copied["id"], copied["name"] = f"{DEPLOYMENTS}/{name}", name
        copied["properties"]["raiPolicyName"] = policy
        routes[DEPLOYMENTS]["value"].append(copied)

    return edit


def nic_only_ips(routes: Routes) -> None:
    """The zone group records no IPs, so the endpoint's IPs come from its network interface."""
    put(routes[ZONE_GROUPS], "value.0.properties.privateDnsZoneConfigs.0.properties.recordSets", [])


# --- running ----------------------------------------------------------------------------------------


SUBJECT = ArmSubject(LAB, {"": reference}, RG_NAME, lambda path: {action_of(path)})
run = SUBJECT.run  # one check through the runner and the real SDK clients against these routes


@pytest.fixture
def subject() -> ArmSubject:
    """The reference and the grading the shared contract tests use."""
    return SUBJECT


ACCOUNT_CASES = [
    Case(A1, "account GET answers 404", drop(ACCOUNT), FAIL, "could not be read"),
    Case(A1, "provisioning failed", account("properties.provisioningState", "Failed"), FAIL, "is Failed"),
    Case(A1, "still creating", account("properties.provisioningState", "Creating"), FAIL, "is Creating"),
    Case(A1, "kind AIServices", ai_services(all_zones=False), PASS, "AIServices account"),
    Case(A1, "untagged but the only one", untag_account, PASS, NAME),
    Case(A1, "another account, only ours tagged", second_account("aoai-other", tagged=False), PASS, NAME),
    Case(
        A1,
        "override picks the other",
        second_account("aoai-other", tagged=False, provisioningState="Failed"),
        FAIL,
        "aoai-other is Failed",
        ("openai_account=aoai-other",),
    ),
    Case(A1, "override ignores case", unchanged, PASS, NAME, ("openai_account=AOAI-LABCHECK-7F3A",)),
    Case(A1, "override names nothing", unchanged, FAIL, "openai_account named nope", ("openai_account=nope",)),
    Case(
        A1,
        "override names the wrong kind",
        unchanged,
        FAIL,
        "named cs-labcheck-7f3a",
        ("openai_account=cs-labcheck-7f3a",),
    ),
    Case(A1, "resource group does not exist", drop(ACCOUNTS), FAIL, "no openai account tagged"),
    Case(A2, "eastus", account("location", "eastus"), FAIL, "is in eastus, not in swedencentral"),
    Case(A2, "display name", account("location", "Sweden Central"), PASS, "Sweden Central"),
    Case(
        A2,
        "instructor allows France only",
        unchanged,
        FAIL,
        "not in francecentral",
        ("allowed_locations=francecentral",),
    ),
    Case(
        A3,
        "no subdomain, regional endpoint",
        chain(
            account("properties.customSubDomainName", DELETE),
            account("properties.endpoint", "https://swedencentral.api.cognitive.microsoft.com/"),
        ),
        FAIL,
        "has no custom subdomain",
    ),
    Case(
        A3,
        "endpoint elsewhere",
        account("properties.endpoint", "https://other.openai.azure.com/"),
        FAIL,
        "does not use",
    ),
    Case(A3, "subdomain in upper case", account("properties.customSubDomainName", NAME.upper()), PASS, "answers at"),
    Case(A4, "public access enabled", account("properties.publicNetworkAccess", "Enabled"), FAIL, "is Enabled"),
    Case(A4, "public access unset", account("properties.publicNetworkAccess", DELETE), FAIL, "not set"),
    Case(A4, "no network ACL", account("properties.networkAcls", None), FAIL, "absent (Allow)"),
    Case(A4, "ACL allows by default", account("properties.networkAcls.defaultAction", "Allow"), FAIL, "is Allow"),
    Case(A4, "an IP rule", account("properties.networkAcls.ipRules", [{"value": "203.0.113.7"}]), FAIL, "203.0.113.7"),
    Case(
        A4,
        "a virtual network rule",
        account("properties.networkAcls.virtualNetworkRules", [{"id": SUBNET, "state": "Succeeded"}]),
        FAIL,
        "virtual network rules allow",
    ),
    Case(A4, "lower-case values", account("properties.publicNetworkAccess", "disabled"), PASS, "closed"),
    Case(A5, "disableLocalAuth absent", account("properties.disableLocalAuth", DELETE), FAIL, "not set, so keys work"),
    Case(
        A5, "disableLocalAuth false", account("properties.disableLocalAuth", False), FAIL, "disableLocalAuth is false"
    ),
    Case(A6, "no identity", account("identity", None), FAIL, "type none"),
    Case(A6, "identity None", account("identity", {"type": "None"}), FAIL, "type none"),
    Case(A6, "system identity without principal", account("identity.principalId", DELETE), FAIL, "no usable"),
    Case(
        A6,
        "user-assigned identity",
        account(
            "identity",
            {
                "type": "UserAssigned",
                "userAssignedIdentities": {
                    f"{RG}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-aoai": {
                        "principalId": "9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a",
                        "clientId": "1a2b3c4d-5e6f-4708-9a1b-2c3d4e5f6a7b",
                    }
                },
            },
        ),
        PASS,
        "UserAssigned",
    ),
    Case(A6, "user-assigned with none listed", account("identity", {"type": "UserAssigned"}), FAIL, "no usable"),
    Case(A6, "both kinds", account("identity.type", "SystemAssigned, UserAssigned"), PASS, "SystemAssigned, User"),
]

ENDPOINT_CASES = [
    Case(A7, "connection pending", connection_state("Pending"), FAIL, "no approved private-endpoint connection"),
    Case(A7, "no connections", replace(CONNECTIONS, {"value": []}), FAIL, "no approved private-endpoint connection"),
    Case(A7, "wrong sub-resource", at(CONNECTIONS, "value.0.properties.groupIds", ["other"]), FAIL, "no approved"),
    Case(A7, "endpoint gone", drop(PE), FAIL, "private endpoint does not exist"),
    Case(A7, "endpoint failed", at(PE, "properties.provisioningState", "Failed"), FAIL, f"pe-{NAME} is "),
    Case(A7, "endpoint outside a VNet", at(PE, "properties.subnet", None), FAIL, "not in a virtual network subnet"),
    Case(
        A7,
        "endpoint targets another account",
        at(PE, "properties.privateLinkServiceConnections.0.properties.privateLinkServiceId", f"{ACCOUNTS}/aoai-x"),
        FAIL,
        "no approved connection to the resource",
    ),
    Case(
        A7,
        "endpoint side still pending",
        at(
            PE,
            "properties.privateLinkServiceConnections.0.properties.privateLinkServiceConnectionState.status",
            "Pending",
        ),
        FAIL,
        "no approved connection to the resource",
    ),
    Case(
        A7,
        "approved manual connection",
        lambda r: r[PE]["properties"].update(
            manualPrivateLinkServiceConnections=r[PE]["properties"]["privateLinkServiceConnections"],
            privateLinkServiceConnections=[],
        ),
        PASS,
        "is approved",
    ),
    Case(A7, "lower-case status", connection_state("approved"), PASS, "is approved"),
    Case(A8, "no VNet links", replace(LINKS, {"value": []}), FAIL, "not linked to the endpoint's virtual network"),
    Case(A8, "A record elsewhere", at(A_RECORD, "properties.aRecords.0.ipv4Address", "10.99.0.9"), FAIL, "no A record"),
    Case(A8, "A record missing", drop(A_RECORD), FAIL, "no A record"),
    Case(
        A8,
        "link in progress",
        at(LINKS, "value.0.properties.virtualNetworkLinkState", "InProgress"),
        FAIL,
        "not linked",
    ),
    Case(A8, "link to another VNet", at(LINKS, "value.0.properties.virtualNetwork.id", OTHER_VNET), FAIL, "not linked"),
    Case(A8, "zone gone", drop(ZONE), FAIL, "no private DNS zone privatelink.openai.azure.com"),
    Case(A8, "no zone group", replace(ZONE_GROUPS, {"value": []}), FAIL, "no private DNS zone"),
    Case(A8, "IPs from the network interface", nic_only_ips, PASS, "resolves privately"),
    Case(
        A8,
        "AI Services with the OpenAI zone only",
        ai_services(all_zones=False),
        FAIL,
        "no private DNS zone privatelink.cognitiveservices.azure.com",
    ),
    Case(
        A8, "AI Services with its three zones", ai_services(all_zones=True), PASS, "privatelink.services.ai.azure.com"
    ),
    Case(A8, "endpoint not approved", connection_state("Pending"), FAIL, f"blocked by {A7}"),
    Case(A8, "no custom subdomain", account("properties.customSubDomainName", DELETE), FAIL, f"blocked by {A3}"),
]

DEPLOYMENT_CASES = [
    Case(A9, "no deployments", replace(DEPLOYMENTS, {"value": []}), FAIL, "deployments: none"),
    Case(A9, "chat deployment failed", deployment(0, "properties.provisioningState", "Failed"), FAIL, "Failed"),
    Case(A9, "embeddings only", lambda r: r[DEPLOYMENTS]["value"].pop(0), FAIL, "no succeeded chat deployment"),
    Case(A9, "gpt- without capabilities", deployment(0, "properties.capabilities", {}), PASS, "gpt-4o-mini"),
    Case(
        A9,
        "o-series model",
        chain(deployment(0, "properties.capabilities", None), deployment(0, "properties.model.name", "o4-mini")),
        PASS,
        "o4-mini",
    ),
    Case(A10, "global standard", deployment(0, "sku.name", "GlobalStandard"), FAIL, "gpt-4o-mini (GlobalStandard)"),
    Case(A10, "global batch", deployment(1, "sku.name", "GlobalBatch"), FAIL, "text-embedding-3-small (GlobalBatch)"),
    Case(A10, "no SKU", deployment(1, "sku", None), FAIL, "no SKU"),
    Case(A10, "lower-case SKU", deployment(0, "sku.name", "datazonestandard"), PASS, "every deployment"),
    Case(A10, "data zone only", unchanged, FAIL, "(Standard) not in", ("allowed_deployment_skus=DataZoneStandard",)),
    Case(A10, "no chat deployment", replace(DEPLOYMENTS, {"value": []}), FAIL, f"blocked by {A9}"),
    Case(A11, "capacity 450", deployment(0, "sku.capacity", 450), FAIL, "gpt-4o-mini has capacity 450 (limit 30)"),
    Case(A11, "capacity unset", deployment(1, "sku.capacity", DELETE), FAIL, "capacity None"),
    Case(
        A11,
        "provisioned throughput",
        deployment(0, "sku", {"name": "DataZoneProvisionedManaged", "capacity": 15}),
        FAIL,
        "provisioned SKU DataZoneProvisionedManaged",
    ),
    Case(
        A11,
        "total over the cap",
        chain(deployment(0, "sku.capacity", 30), deployment(1, "sku.capacity", 30)),
        FAIL,
        "total capacity 60 exceeds 50",
    ),
    Case(A11, "instructor total cap", unchanged, FAIL, "total capacity 20 exceeds 15", ("max_total_capacity=15",)),
    Case(A11, "at the cap", deployment(0, "sku.capacity", 30), PASS, "40K TPM"),
    Case(A11, "no chat deployment", deployment(0, "properties.provisioningState", "Failed"), FAIL, f"blocked by {A9}"),
    Case(
        A12,
        "default policy on chat",
        deployment(0, "properties.raiPolicyName", "Microsoft.DefaultV2"),
        FAIL,
        "gpt-4o-mini uses Microsoft.DefaultV2",
    ),
    Case(A12, "no policy named", deployment(0, "properties.raiPolicyName", DELETE), FAIL, "uses no policy"),
    Case(
        A12,
        "hate on completions at High",
        content_filter("Hate", "Completion", "severityThreshold", "High"),
        FAIL,
        "hate/completion",
    ),
    Case(A12, "jailbreak off", content_filter("Jailbreak", "Prompt", "enabled", False), FAIL, "jailbreak shield"),
    Case(
        A12, "violence annotate only", content_filter("Violence", "Prompt", "blocking", False), FAIL, "violence/prompt"
    ),
    Case(A12, "system-managed policy", at(POLICY, "properties.type", "SystemManaged"), FAIL, "is SystemManaged"),
    Case(A12, "policy gone", drop(POLICY), FAIL, "which does not exist"),
    Case(
        A12,
        "all at Low",
        lambda r: [
            f.update(severityThreshold="Low")
            for f in r[POLICY]["properties"]["contentFilters"]
            if "severityThreshold" in f
        ],
        PASS,
        "labcheck-strict",
    ),
    Case(
        A12,
        "names spelled differently",
        content_filter("Selfharm", "Prompt", "name", "Self_Harm"),
        PASS,
        "labcheck-strict",
    ),
    Case(
        A12,
        "second chat deployment on a missing policy",
        add_chat_deployment("gpt-4o-mini-2", "labcheck-lenient"),
        FAIL,
        "gpt-4o-mini-2 names RAI policy labcheck-lenient, which does not exist",
    ),
    Case(
        A12,
        "completion model in scope",
        chain(
            deployment(1, "properties.capabilities", {"completion": "true"}),
            deployment(1, "properties.model.name", "gpt-35-turbo-instruct"),
        ),
        FAIL,
        "text-embedding-3-small uses Microsoft.DefaultV2",
    ),
    Case(A12, "no chat deployment", replace(DEPLOYMENTS, {"value": []}), FAIL, f"blocked by {A9}"),
    Case(
        UPGRADE,
        "auto upgrade",
        deployment(0, "properties.versionUpgradeOption", "OnceNewDefaultVersionAvailable"),
        FAIL,
        "gpt-4o-mini (OnceNewDefaultVersionAvailable)",
    ),
    Case(
        UPGRADE, "option unset", deployment(1, "properties.versionUpgradeOption", DELETE), FAIL, "upgrade automatically"
    ),
    Case(
        UPGRADE,
        "once expired",
        deployment(0, "properties.versionUpgradeOption", "OnceCurrentVersionExpired"),
        PASS,
        "keeps",
    ),
    Case(UPGRADE, "no chat deployment", replace(DEPLOYMENTS, {"value": []}), FAIL, f"blocked by {A9}"),
]

MONITORING_CASES = [
    Case(A13, "no settings", replace(DIAGNOSTICS, {"value": []}), FAIL, "has no diagnostic setting"),
    Case(
        A13,
        "storage only",
        chain(
            at(DIAGNOSTICS, "value.0.properties.workspaceId", None),
            at(
                DIAGNOSTICS,
                "value.0.properties.storageAccountId",
                f"{RG}/providers/Microsoft.Storage/storageAccounts/stlabcheck",
            ),
        ),
        FAIL,
        "to a Log Analytics workspace",
    ),
    Case(
        A13,
        "logs disabled",
        at(DIAGNOSTICS, "value.0.properties.logs.0.enabled", False),
        FAIL,
        "no diagnostic setting sends",
    ),
    Case(
        A13,
        "trace only",
        at(DIAGNOSTICS, "value.0.properties.logs", [{"category": "Trace", "categoryGroup": None, "enabled": True}]),
        FAIL,
        "no diagnostic setting sends",
    ),
    Case(A13, "audit group", at(DIAGNOSTICS, "value.0.properties.logs.0.categoryGroup", "audit"), PASS, "audit logs"),
    Case(
        A13,
        "request-response category",
        at(
            DIAGNOSTICS,
            "value.0.properties.logs",
            [{"category": "RequestResponse", "categoryGroup": None, "enabled": True}],
        ),
        PASS,
        "audit logs",
    ),
    Case(
        OUTBOUND, "unrestricted", account("properties.restrictOutboundNetworkAccess", False), FAIL, "may call any host"
    ),
    Case(OUTBOUND, "unset", account("properties.restrictOutboundNetworkAccess", DELETE), FAIL, "may call any host"),
    Case(
        OUTBOUND,
        "allow-list",
        account("properties.allowedFqdnList", ["contoso.example"]),
        PASS,
        "(contoso.example)",
    ),
]

# Every check but A1 needs a provisioned account: a failed one blocks it.
BLOCKED_CASES = [
    Case(c, "account not provisioned", account("properties.provisioningState", "Failed"), FAIL, f"blocked by {A1}")
    for c in CHECK_IDS
    if c != A1
] + [Case(c, "account GET answers 404", drop(ACCOUNT), FAIL, f"blocked by {A1}") for c in (A2, A7, A9, A13)]

# Discovery, for every check: nothing to grade is FAIL with the tagging hint; two untagged is ERROR.
DISCOVERY_CASES = [
    Case(c, "no OpenAI account", only_content_safety, FAIL, "no openai account tagged labcheck-lab") for c in CHECK_IDS
] + [
    Case(
        c, "two untagged accounts", chain(untag_account, second_account("aoai-other", tagged=False)), ERROR, "ambiguous"
    )
    for c in CHECK_IDS
]

CASES = [*ACCOUNT_CASES, *ENDPOINT_CASES, *DEPLOYMENT_CASES, *MONITORING_CASES, *BLOCKED_CASES, *DISCOVERY_CASES]


CONTRACT = LabContract(LAB, CASES)

# --- tests ------------------------------------------------------------------------------------------

test_reference_passes = CONTRACT.reference_passes()
test_case = CONTRACT.case_test()


def test_cases_cover_every_check_with_its_own_failure() -> None:
    assert len(CHECK_IDS) == 15
    assert_cases_cover_every_check(CASES, CHECK_IDS)
    assert {c.check_id for c in CASES if c.status is FAIL and "blocked" not in c.fragment} == set(CHECK_IDS)


def test_the_spec_fail_mutations_are_among_the_cases() -> None:
    names = {case_id(c) for c in CASES}
    for expected in (
        f"{A1}[account GET answers 404]",
        f"{A2}[eastus]",
        f"{A4}[no network ACL]",
        f"{A5}[disableLocalAuth absent]",
        f"{A7}[connection pending]",
        f"{A8}[A record elsewhere]",
        f"{A9}[no deployments]",
        f"{A10}[global standard]",
        f"{A11}[capacity 450]",
        f"{A12}[jailbreak off]",
        f"{A13}[storage only]",
    ):
        assert expected in names


def test_reference_is_fresh_each_call() -> None:
    first = reference()
    replace(DEPLOYMENTS, {"value": []})(first)
    account("kind", "AIServices")(first)
    assert reference()[DEPLOYMENTS]["value"]
    assert reference()[ACCOUNT]["kind"] == "OpenAI"


def test_discovery_hint_names_the_tag() -> None:
    routes = reference()
    only_content_safety(routes)
    result, _ = run(A1, routes)
    assert "labcheck-lab" in result.hint


def test_account_is_listed_once_and_read_once_across_checks() -> None:
    arm = FakeArm(reference())
    inputs = LAB.resolve_inputs([f"resource_group={RG_NAME}"])
    with arm_responses(arm):
        azure = fake_azure()
        for each in LAB.checks:
            assert run_check(each, {"azure": azure}, inputs, KNOWN).status is PASS
    paths = [path for _, path, _ in arm.calls]
    assert paths.count(arm_path(ACCOUNTS)) == 1
    assert paths.count(arm_path(ACCOUNT)) == 1
    assert len(paths) == len(set(paths))
    assert {method for method, _, _ in arm.calls} == {"GET"}


# --- permissions ------------------------------------------------------------------------------------

test_denied_action_is_error_or_not_reached = CONTRACT.denied_action_is_error_or_not_reached()
test_some_declared_action_is_needed = CONTRACT.some_declared_action_is_needed()


def test_the_network_interface_fallback_is_reached_and_denied() -> None:
    routes = reference()
    nic_only_ips(routes)
    result, _ = run(A8, routes, denied_action="Microsoft.Network/networkInterfaces/read")
    assert result.status is ERROR, result.message
    assert "Microsoft.Network/networkInterfaces/read" in result.message


test_declared_permissions_suffice = CONTRACT.declared_permissions_suffice()


# --- the wire contract ------------------------------------------------------------------------------

API_VERSIONS = {
    ACCOUNTS: "2025-09-01",
    ACCOUNT: "2025-09-01",
    CONNECTIONS: "2025-09-01",
    DEPLOYMENTS: "2025-09-01",
    POLICY: "2025-09-01",
    DIAGNOSTICS: "2021-05-01-preview",
    PE: "2026-03-01",
    ZONE_GROUPS: "2026-03-01",
    NIC: "2026-03-01",
    ZONE: "2024-06-01",
    LINKS: "2024-06-01",
    A_RECORD: "2024-06-01",
}


def test_every_route_is_read_with_the_pinned_api_version() -> None:
    """An SDK upgrade that changes a wire contract shows up here, not as a silent change of grades."""
    versions: dict[str, set[str]] = {}
    for edit in (unchanged, nic_only_ips):  # the second pass reaches the network-interface fallback
        routes = reference()
        edit(routes)
        for check_id in CHECK_IDS:
            _, arm = run(check_id, routes)
            for _, path, version in arm.calls:
                versions.setdefault(path, set()).add(version)
    assert versions == {arm_path(path): {version} for path, version in API_VERSIONS.items()}
    assert {arm_path(p) for p in REFERENCE} == set(versions), "every reference route is read"
