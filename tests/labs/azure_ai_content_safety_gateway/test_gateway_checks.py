"""The 17 checks of azure-ai-content-safety-gateway through the real azure-mgmt clients over a FakeArm.

reference_arm.json is the passing deployment as ARM returns it: one full document per resource (envelope and
complete properties), lists as {"value": [...]}. Each case is a small edit of a fresh copy (the spec's fail
mutations among them) and the status and message fragment the check must give. Every check runs through the
real runner, SDK clients and deserialisation, so a wrong JSON key or attribute path fails a case instead of
agreeing with a wrong fixture.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from labcheck.catalog import get_lab
from labcheck.model import Status
from labcheck.providers.azure.view_gateway import effective_section, parse_policy
from labcheck.runner import run_check
from labcheck.testing.arm import FAKE_SUBSCRIPTION, FakeArm, arm_responses, denied, fake_azure
from tests.labs.contract import ArmSubject, Case, LabContract, assert_cases_cover_every_check

PASS, FAIL, ERROR = Status.PASS, Status.FAIL, Status.ERROR

LAB = get_lab("azure-ai-content-safety-gateway")
CHECK_IDS = [c.id for c in LAB.checks]
KNOWN = set(CHECK_IDS)
REFERENCE = json.loads(Path(__file__).with_name("reference_arm.json").read_text(encoding="utf-8"))

RG_NAME = "rg-labcheck-gateway"
RG = f"/subscriptions/{FAKE_SUBSCRIPTION}/resourceGroups/{RG_NAME}"
APIM_LIST = f"{RG}/providers/Microsoft.ApiManagement/service"
APIM = f"{APIM_LIST}/apim-labcheck-gw"
APIS = f"{APIM}/apis"
API_POLICY = f"{APIM}/apis/azure-openai/policies/policy"
GLOBAL_POLICY = f"{APIM}/policies/policy"
BACKENDS = f"{APIM}/backends"
ACCOUNTS = f"{RG}/providers/Microsoft.CognitiveServices/accounts"
AOAI = f"{ACCOUNTS}/aoai-labcheck-gw"
CS = f"{ACCOUNTS}/cs-labcheck-gw"
DEPLOYMENTS = f"{AOAI}/deployments"
RAI_POLICY = f"{AOAI}/raiPolicies/gateway-strict"
BLOCKLISTS = f"{AOAI}/raiBlocklists"
ITEMS = f"{BLOCKLISTS}/gateway-terms/raiBlocklistItems"
AOAI_DIAGNOSTICS = f"{AOAI}/providers/Microsoft.Insights/diagnosticSettings"
CS_DIAGNOSTICS = f"{CS}/providers/Microsoft.Insights/diagnosticSettings"
AOAI_ROLES = f"{AOAI}/providers/Microsoft.Authorization/roleAssignments"
CS_ROLES = f"{CS}/providers/Microsoft.Authorization/roleAssignments"
ROLE_DEFINITIONS = f"/subscriptions/{FAKE_SUBSCRIPTION}/providers/Microsoft.Authorization/roleDefinitions"
OPENAI_CONTRIBUTOR = "a001fd3d-188f-4b5d-821b-7da978bf7442"
OPENAI_USER = "5e0bd9bd-7b93-4f28-af87-19fc36ad61bd"
COGNITIVE_SERVICES_USER = "a97b65f3-24c7-4388-baec-2e87135dc908"
APIM_PRINCIPAL = "3c1f9a52-6b7e-4d1a-9c0e-5a2b7d4e8f10"
USER_IDENTITY = f"{RG}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-apim-gateway"
USER_PRINCIPAL = "d2e3f4a5-b6c7-4d8e-9f0a-1b2c3d4e5f60"
USER_CLIENT = "e3f4a5b6-c7d8-4e9f-8a0b-2c3d4e5f6a71"
MI_ELEMENT = '<authentication-managed-identity resource="https://cognitiveservices.azure.com" />'
SAFETY_ELEMENT = re.search(
    r"<llm-content-safety.*?</llm-content-safety>", REFERENCE[API_POLICY]["properties"]["value"], re.S
)[0]

(C1, C2, C3, C4, C5, C6, C7, C8, C9, C10, C11, C12, C13, C14, C15, NETWORK, METRICS) = CHECK_IDS
DELETE = object()

Routes = dict[str, Any]
Edit = Callable[[Routes], None]


def reference() -> Routes:
    """A fresh copy of the passing deployment."""
    return copy.deepcopy(REFERENCE)


def actions_of(path: str) -> set[str]:
    """The RBAC actions whose routes (ACTION_ROUTES, below) cover this lower-cased ARM path."""
    return {action for action, pattern in ACTION_ROUTES.items() if re.search(pattern, path)}


SUBJECT = ArmSubject(LAB, {"": reference}, RG_NAME, actions_of)
run = SUBJECT.run  # one check through the runner, the real SDK clients and a FakeArm serving the routes


@pytest.fixture
def subject() -> ArmSubject:
    """The reference and the grading the shared contract tests use."""
    return SUBJECT


# --- edits ------------------------------------------------------------------------------------------


def _assign(document: Any, dotted: str, value: Any) -> None:
    *parents, last = dotted.split(".")
    for key in parents:
        document = document[int(key)] if isinstance(document, list) else document.setdefault(key, {})
    if value is DELETE:
        document.pop(last, None)
    else:
        document[last] = value


def at(path: str, dotted: str, value: Any) -> Edit:
    """Set (or DELETE) one field of one route's document."""
    return lambda routes: _assign(routes[path], dotted, value)


def apim(dotted: str, value: Any) -> Edit:
    """Set a field of the API Management instance, in its GET and in the list alike."""

    def edit(routes: Routes) -> None:
        _assign(routes[APIM], dotted, value)
        _assign(routes[APIM_LIST]["value"][0], dotted, value)

    return edit


def account(name: str, dotted: str, value: Any) -> Edit:
    """Set a field of one account in the resource group's account list."""

    def edit(routes: Routes) -> None:
        found = next(a for a in routes[ACCOUNTS]["value"] if a["name"] == name)
        _assign(found, dotted, value)

    return edit


def content_filter(name: str, source: str, field: str, value: Any) -> Edit:
    """Set (or DELETE) a field of one content filter of the RAI policy; field None drops the filter."""

    def edit(routes: Routes) -> None:
        filters = routes[RAI_POLICY]["properties"]["contentFilters"]
        found = next(f for f in filters if f["name"] == name and f["source"] == source)
        if field is None:
            filters.remove(found)
        else:
            _assign(found, field, value)

    return edit


def policy(old: str, new: str, path: str = API_POLICY) -> Edit:
    """Replace text in a policy document (the text must be there)."""

    def edit(routes: Routes) -> None:
        value = routes[path]["properties"]["value"]
        assert old in value, old
        routes[path]["properties"]["value"] = value.replace(old, new)

    return edit


def drop(path: str) -> Edit:
    """Remove a route: it answers ARM's 404."""
    return lambda routes: routes.pop(path)


def empty(path: str) -> Edit:
    """An empty list."""
    return lambda routes: routes.__setitem__(path, {"value": []})


def both(*edits: Edit) -> Edit:
    """Several edits in order."""

    def edit(routes: Routes) -> None:
        for each in edits:
            each(routes)

    return edit


def second_account(name: str, original: str, **changes: Any) -> Edit:
    """Another account in the group: a copy of `original` renamed, untagged, with some fields changed."""

    def edit(routes: Routes) -> None:
        source = next(a for a in routes[ACCOUNTS]["value"] if a["name"] == original)
        clone = copy.deepcopy(source)
        clone.update(id=f"{ACCOUNTS}/{name}", name=name, tags={})
        clone["properties"].update(
            customSubDomainName=name, endpoint=source["properties"]["endpoint"].replace(original, name), endpoints={}
        )
        for dotted, value in changes.items():
            _assign(clone, dotted.replace("__", "."), value)
        routes[ACCOUNTS]["value"].append(clone)

    return edit


def second_apim(tagged: bool) -> Edit:
    """Another API Management instance in the group (tagged for the lab or not), and the original untagged."""

    def edit(routes: Routes) -> None:
        clone = copy.deepcopy(routes[APIM])
        clone.update(id=f"{APIM_LIST}/apim-other", name="apim-other", tags={"labcheck-lab": LAB.id} if tagged else {})
        routes[APIM_LIST]["value"][0]["tags"] = {}
        routes[APIM_LIST]["value"].append(clone)
        routes[f"{APIM_LIST}/apim-other"] = clone

    return edit


def user_identity(type_: str = "UserAssigned") -> Edit:
    """APIM with a user-assigned identity (and the system one only if the type says so)."""
    identity = {
        "type": type_,
        "userAssignedIdentities": {USER_IDENTITY: {"principalId": USER_PRINCIPAL, "clientId": USER_CLIENT}},
    }
    if "SystemAssigned" in type_:
        identity |= {
            "principalId": APIM_PRINCIPAL,
            "tenantId": "72f988bf-0000-4000-8000-00000000c0de",
        }
    return apim("identity", identity)


NAMES_CLIENT = policy(MI_ELEMENT, MI_ELEMENT.replace(" />", f' client-id="{USER_CLIENT}" />'))


def grant(path: str, role: str, principal: str = APIM_PRINCIPAL, scope: str = "") -> Edit:
    """Replace the role assignments of a scope with one assignment."""

    def edit(routes: Routes) -> None:
        assignment = routes[path]["value"][0]
        properties = assignment["properties"]
        properties.update(roleDefinitionId=f"{ROLE_DEFINITIONS}/{role}", principalId=principal)
        if scope:
            properties["scope"] = scope

    return edit


NO_OPENAI_API = both(
    at(f"{APIS}", "value.0.properties.serviceUrl", "https://elsewhere.example.com/api"),
    policy('<set-backend-service backend-id="aoai-backend" />', ""),
)
NO_CUSTOM_POLICY = at(DEPLOYMENTS, "value.0.properties.raiPolicyName", "Microsoft.DefaultV2")


def without_account(name: str) -> Edit:
    """The account is gone from the resource group."""
    return lambda routes: routes[ACCOUNTS].__setitem__(
        "value", [a for a in routes[ACCOUNTS]["value"] if a["name"] != name]
    )


NO_AOAI = without_account("aoai-labcheck-gw")
NO_CS = without_account("cs-labcheck-gw")
ONLY_STORAGE_LOGS = at(AOAI_DIAGNOSTICS, "value.0.properties", {
    "storageAccountId": f"{RG}/providers/Microsoft.Storage/storageAccounts/stlabcheckgw",
    "workspaceId": None,
    "logs": [{"categoryGroup": "allLogs", "enabled": True}],
    "metrics": [],
})  # fmt: skip


# --- cases ------------------------------------------------------------------------------------------

CASES = [
    # discovery of the root
    Case(C1, "no API Management instance", empty(APIM_LIST), FAIL, "labcheck-lab"),
    Case(C1, "two untagged instances", second_apim(tagged=False), ERROR, "ambiguous"),
    Case(C1, "two instances, one tagged", second_apim(tagged=True), PASS, "apim-other"),
    Case(
        C1,
        "override picks one",
        second_apim(tagged=False),
        PASS,
        "apim-labcheck-gw",
        ("apim_service=APIM-LABCHECK-GW",),
    ),
    Case(
        C1,
        "override names nothing",
        lambda r: None,
        FAIL,
        "apim_service named apim-missing",
        ("apim_service=apim-missing",),
    ),
    Case(C3, "no instance: dependants fail on discovery", empty(APIM_LIST), FAIL, "labcheck-lab"),
    # C1
    Case(C1, "Consumption tier", apim("sku", {"name": "Consumption", "capacity": 0}), FAIL, "Consumption tier"),
    Case(C1, "provisioning failed", apim("properties.provisioningState", "Failed"), FAIL, "is Failed"),
    Case(C1, "listed but its GET is gone", drop(APIM), FAIL, "was not found"),
    Case(
        C1, "Basic v2 with public Content Safety (the Terraform solution)", apim("sku.name", "BasicV2"), PASS, "BasicV2"
    ),
    # C2
    Case(C2, "identity null", apim("identity", None), FAIL, "no managed identity"),
    Case(C2, "identity type None", apim("identity", {"type": "None"}), FAIL, "type None"),
    Case(C2, "system-assigned without a principal", apim("identity.principalId", DELETE), FAIL, "no managed identity"),
    Case(C2, "user-assigned named by client-id", both(user_identity(), NAMES_CLIENT), PASS, USER_PRINCIPAL),
    Case(C2, "user-assigned not named by the policy", user_identity(), FAIL, "no authentication-managed-identity"),
    Case(C2, "both kinds", user_identity("SystemAssigned, UserAssigned"), PASS, "system-assigned"),
    Case(C2, "instance GET gone: blocked", drop(APIM), FAIL, f"blocked by {C1}"),
    # C3
    Case(
        C3,
        "api-key header instead of the identity (spec mutation)",
        policy(
            MI_ELEMENT, '<set-header name="api-key" exists-action="override"><value>{{aoai-key}}</value></set-header>'
        ),
        FAIL,
        "sets an api-key header",
    ),
    Case(
        C3,
        "identity for the wrong audience",
        policy("https://cognitiveservices.azure.com", "https://management.azure.com"),
        FAIL,
        "has no <authentication-managed-identity",
    ),
    Case(
        C3,
        "backend sends an api-key header",
        at(BACKENDS, "value.0.properties.credentials", {"header": {"api-key": ["{{aoai-key}}"]}}),
        FAIL,
        "api-key header through backend aoai-backend",
    ),
    Case(C3, "trailing slash on the audience", policy('azure.com" />', 'azure.com/" />'), PASS, "managed identity"),
    Case(
        C3,
        "no set-backend-service: serviceUrl targets the account",
        policy('<set-backend-service backend-id="aoai-backend" />', ""),
        PASS,
        "managed identity",
    ),
    Case(
        C3,
        "base-url to the account",
        policy('backend-id="aoai-backend"', 'base-url="https://aoai-labcheck-gw.openai.azure.com/openai"'),
        PASS,
        "managed identity",
    ),
    Case(
        C3,
        "backend id names no backend",
        policy('backend-id="aoai-backend"', 'backend-id="nowhere"'),
        FAIL,
        "no API of apim-labcheck-gw forwards",
    ),
    Case(C3, "no API forwards to the account", NO_OPENAI_API, FAIL, "forwards to aoai-labcheck-gw"),
    Case(C3, "no APIs at all", empty(APIS), FAIL, "no API of apim-labcheck-gw forwards"),
    Case(C3, "non-current revision only", at(APIS, "value.0.properties.isCurrent", False), FAIL, "no API"),
    Case(C3, "no Azure OpenAI account", NO_AOAI, FAIL, "no Azure OpenAI account"),
    Case(
        C3,
        "no API-scope policy: only the global one",
        drop(API_POLICY),
        FAIL,
        "has no <authentication-managed-identity",
    ),
    Case(
        C3,
        "identity set at service scope, inherited through <base />",
        both(policy(MI_ELEMENT, ""), policy("<inbound />", f"<inbound>{MI_ELEMENT}</inbound>", GLOBAL_POLICY)),
        PASS,
        "managed identity",
    ),
    Case(
        C3,
        "API policy without <base /> does not inherit",
        both(
            policy(MI_ELEMENT, ""),
            policy("<base />", "", API_POLICY),
            policy("<inbound />", f"<inbound>{MI_ELEMENT}</inbound>", GLOBAL_POLICY),
        ),
        FAIL,
        "has no <authentication",
    ),
    Case(
        C3,
        "identity inside <choose>",
        policy(MI_ELEMENT, f'<choose><when condition="@(true)">{MI_ELEMENT}</when></choose>'),
        PASS,
        "managed identity",
    ),
    Case(
        C3,
        "AI Services account on services.ai.azure.com",
        both(
            account("aoai-labcheck-gw", "kind", "AIServices"),
            at(BACKENDS, "value.0.properties.url", "https://aoai-labcheck-gw.services.ai.azure.com/openai"),
        ),
        PASS,
        "managed identity",
    ),
    Case(C3, "policy is not well-formed XML", policy("</policies>", ""), ERROR, "not well-formed XML"),
    # C4
    Case(C4, "no assignment (spec mutation)", empty(AOAI_ROLES), FAIL, "does not hold Cognitive Services OpenAI User"),
    Case(
        C4,
        "assignment for another principal",
        grant(AOAI_ROLES, OPENAI_USER, principal=USER_PRINCIPAL),
        FAIL,
        "does not hold",
    ),
    Case(C4, "Contributor is accepted with a note", grant(AOAI_ROLES, OPENAI_CONTRIBUTOR), PASS, "broader role"),
    Case(
        C4, "Cognitive Services User is not enough", grant(AOAI_ROLES, COGNITIVE_SERVICES_USER), FAIL, "does not hold"
    ),
    Case(
        C4,
        "granted at the resource group",
        grant(AOAI_ROLES, OPENAI_USER, scope=RG),
        PASS,
        "assigned above the account",
    ),
    Case(C4, "granted on another account's scope", grant(AOAI_ROLES, OPENAI_USER, scope=CS), FAIL, "does not hold"),
    Case(
        C4,
        "user-assigned identity holds the role",
        both(user_identity(), NAMES_CLIENT, grant(AOAI_ROLES, OPENAI_USER, principal=USER_PRINCIPAL)),
        PASS,
        USER_PRINCIPAL,
    ),
    Case(
        C4,
        "policy calls with the user-assigned identity, which lacks the role",
        both(user_identity("SystemAssigned, UserAssigned"), NAMES_CLIENT),
        FAIL,
        USER_PRINCIPAL,
    ),
    Case(C4, "no identity: blocked", apim("identity", None), FAIL, f"blocked by {C2}"),
    Case(C4, "no Azure OpenAI account: blocked", NO_AOAI, FAIL, f"blocked by {C8}"),
    # C5
    Case(C5, "no assignment", empty(CS_ROLES), FAIL, "does not hold Cognitive Services User"),
    Case(C5, "OpenAI User is not Cognitive Services User", grant(CS_ROLES, OPENAI_USER), FAIL, "does not hold"),
    Case(
        C5,
        "granted at the subscription",
        grant(CS_ROLES, COGNITIVE_SERVICES_USER, scope=f"/subscriptions/{FAKE_SUBSCRIPTION}"),
        PASS,
        "above the account",
    ),
    Case(C5, "no identity: blocked", apim("identity", None), FAIL, f"blocked by {C2}"),
    Case(C5, "no Content Safety account: blocked", NO_CS, FAIL, f"blocked by {C7}"),
    # C6
    Case(
        C6,
        "prompt shield off (spec mutation)",
        policy('shield-prompt="true"', 'shield-prompt="false"'),
        FAIL,
        'shield-prompt="false"',
    ),
    Case(C6, "element deleted (spec mutation)", policy(SAFETY_ELEMENT, ""), FAIL, "has no <llm-content-safety>"),
    Case(
        C6,
        "Violence at threshold 6",
        policy('"Violence" threshold="2"', '"Violence" threshold="6"'),
        FAIL,
        "does not block violence",
    ),
    Case(
        C6,
        "SelfHarm category missing",
        policy('<category name="SelfHarm" threshold="2" />', ""),
        FAIL,
        "does not block selfharm",
    ),
    Case(
        C6,
        "threshold is an expression",
        policy('"Hate" threshold="2"', '"Hate" threshold="@(2)"'),
        FAIL,
        "does not block hate",
    ),
    Case(C6, "category names in other casing", policy('"SelfHarm"', '"selfharm"'), PASS, "llm-content-safety"),
    Case(C6, "eight severity levels", policy("FourSeverityLevels", "EightSeverityLevels"), FAIL, "EightSeverityLevels"),
    Case(
        C6,
        "backend points elsewhere",
        at(BACKENDS, "value.1.properties.url", "https://other-cs.cognitiveservices.azure.com"),
        FAIL,
        "does not point at cs-labcheck-gw",
    ),
    Case(
        C6,
        "backend id names no backend",
        policy('backend-id="content-safety-backend"', 'backend-id="missing"'),
        FAIL,
        "backend missing, which does not point",
    ),
    Case(C6, "no API forwards to the account: blocked", NO_OPENAI_API, FAIL, f"blocked by {C3}"),
    Case(C6, "no Content Safety account: blocked", NO_CS, FAIL, f"blocked by {C7}"),
    # C7
    Case(
        C7,
        "keys on (spec mutation)",
        account("cs-labcheck-gw", "properties.disableLocalAuth", False),
        FAIL,
        "accepts keys",
    ),
    Case(
        C7,
        "disableLocalAuth never set",
        account("cs-labcheck-gw", "properties.disableLocalAuth", DELETE),
        FAIL,
        "disableLocalAuth is None",
    ),
    Case(
        C7,
        "no custom subdomain",
        account("cs-labcheck-gw", "properties.customSubDomainName", DELETE),
        FAIL,
        "no custom subdomain",
    ),
    Case(
        C7,
        "still provisioning",
        account("cs-labcheck-gw", "properties.provisioningState", "Creating"),
        FAIL,
        "is Creating",
    ),
    Case(C7, "no Content Safety account", NO_CS, FAIL, "no Content Safety account"),
    Case(
        C7,
        "two accounts: the gateway's backend picks one",
        second_account("cs-other", "cs-labcheck-gw", properties__disableLocalAuth=False),
        PASS,
        "cs-labcheck-gw",
    ),
    Case(
        C7,
        "two accounts, neither targeted nor tagged",
        both(
            second_account("cs-other", "cs-labcheck-gw"),
            account("cs-labcheck-gw", "tags", {}),
            at(BACKENDS, "value.1.properties.url", "https://cs-third.cognitiveservices.azure.com"),
        ),
        ERROR,
        "ambiguous",
    ),
    Case(
        C7,
        "override picks the other account",
        second_account("cs-other", "cs-labcheck-gw", properties__disableLocalAuth=False),
        FAIL,
        "cs-other accepts keys",
        ("content_safety_account=cs-other",),
    ),
    # C8
    Case(
        C8,
        "keys on (spec mutation)",
        account("aoai-labcheck-gw", "properties.disableLocalAuth", False),
        FAIL,
        "accepts API keys",
    ),
    Case(
        C8,
        "disableLocalAuth never set",
        account("aoai-labcheck-gw", "properties.disableLocalAuth", DELETE),
        FAIL,
        "is None",
    ),
    Case(C8, "no Azure OpenAI account", NO_AOAI, FAIL, "no Azure OpenAI"),
    Case(C8, "an AI Services (Foundry) account", account("aoai-labcheck-gw", "kind", "AIServices"), PASS, "disabled"),
    Case(
        C8,
        "two accounts: the gateway's API picks one",
        second_account("aoai-other", "aoai-labcheck-gw", properties__disableLocalAuth=False),
        PASS,
        "aoai-labcheck-gw",
    ),
    Case(
        C8,
        "override picks the other account",
        second_account("aoai-other", "aoai-labcheck-gw", properties__disableLocalAuth=False),
        FAIL,
        "aoai-other accepts",
        ("openai_account=aoai-other",),
    ),
    Case(C8, "override names nothing", lambda r: None, FAIL, "openai_account named nope", ("openai_account=nope",)),
    # C9
    Case(
        C9,
        "indirect attack not blocking (spec mutation)",
        content_filter("Indirect Attack", "Prompt", "blocking", False),
        FAIL,
        "indirectattack/prompt is not on and blocking",
    ),
    Case(C9, "jailbreak disabled", content_filter("Jailbreak", "Prompt", "enabled", False), FAIL, "jailbreak/prompt"),
    Case(
        C9,
        "indirect attack filter absent",
        content_filter("Indirect Attack", "Prompt", None, None),
        FAIL,
        "indirectattack/prompt",
    ),
    Case(C9, "no custom policy: blocked", NO_CUSTOM_POLICY, FAIL, f"blocked by {C10}"),
    Case(C9, "no Azure OpenAI account: blocked", NO_AOAI, FAIL, f"blocked by {C10}"),
    # C10
    Case(
        C10,
        "chat deployment on the default policy (spec mutation)",
        NO_CUSTOM_POLICY,
        FAIL,
        "uses Microsoft.DefaultV2 RAI policy",
    ),
    Case(
        C10,
        "Hate/Completion at High (spec mutation)",
        content_filter("Hate", "Completion", "severityThreshold", "High"),
        FAIL,
        "hate/completion",
    ),
    Case(
        C10,
        "jailbreak disabled (spec mutation)",
        content_filter("Jailbreak", "Prompt", "enabled", False),
        FAIL,
        "Jailbreak prompt shield off",
    ),
    Case(
        C10,
        "Selfharm prompt filter annotates only",
        content_filter("Selfharm", "Prompt", "blocking", False),
        FAIL,
        "selfharm/prompt",
    ),
    Case(
        C10,
        "Sexual completion filter absent",
        content_filter("Sexual", "Completion", None, None),
        FAIL,
        "sexual/completion",
    ),
    Case(
        C10,
        "Low is stricter than Medium",
        content_filter("Violence", "Prompt", "severityThreshold", "Low"),
        PASS,
        "gateway-strict",
    ),
    Case(C10, "no deployments", empty(DEPLOYMENTS), FAIL, "no provisioned chat deployment"),
    Case(
        C10,
        "chat deployment still creating",
        at(DEPLOYMENTS, "value.0.properties.provisioningState", "Creating"),
        FAIL,
        "no provisioned chat",
    ),
    Case(C10, "policy named but missing", drop(RAI_POLICY), FAIL, "does not exist"),
    Case(
        C10,
        "policy is system-managed",
        at(RAI_POLICY, "properties.type", "SystemManaged"),
        FAIL,
        "SystemManaged policy",
    ),
    Case(
        C10,
        "no RAI policy at all",
        at(DEPLOYMENTS, "value.0.properties.raiPolicyName", DELETE),
        FAIL,
        "uses no RAI policy",
    ),
    Case(
        C10,
        "embeddings on a custom policy too",
        at(DEPLOYMENTS, "value.1.properties.raiPolicyName", "gateway-strict"),
        PASS,
        "gateway-strict",
    ),
    Case(C10, "no Azure OpenAI account", NO_AOAI, FAIL, "no Azure OpenAI account"),
    # C11
    Case(
        C11,
        "protected text annotate-only",
        content_filter("Protected Material Text", "Completion", "blocking", False),
        FAIL,
        "protectedmaterialtext/completion is not on and blocking",
    ),
    Case(
        C11,
        "protected code off",
        content_filter("Protected Material Code", "Completion", "enabled", False),
        FAIL,
        "protectedmaterialcode/completion is not on",
    ),
    Case(
        C11,
        "protected code blocking too",
        content_filter("Protected Material Code", "Completion", "blocking", True),
        PASS,
        "protected-material",
    ),
    Case(C11, "no custom policy: blocked", NO_CUSTOM_POLICY, FAIL, f"blocked by {C10}"),
    # C12
    Case(C12, "blocklist empty (spec mutation)", empty(ITEMS), FAIL, "which has no items"),
    Case(
        C12,
        "no Completion entry (spec mutation)",
        at(
            RAI_POLICY,
            "properties.customBlocklists",
            [{"blocklistName": "gateway-terms", "blocking": True, "source": "Prompt"}],
        ),
        FAIL,
        "to Completion",
    ),
    Case(
        C12,
        "prompt entry not blocking",
        at(RAI_POLICY, "properties.customBlocklists.0.blocking", False),
        FAIL,
        "to Prompt",
    ),
    Case(C12, "attached blocklist does not exist", empty(BLOCKLISTS), FAIL, "no existing blocklist"),
    Case(C12, "items listing 404", drop(ITEMS), FAIL, "which has no items"),
    Case(
        C12,
        "a separate blocklist per source",
        both(
            at(RAI_POLICY, "properties.customBlocklists.1.blocklistName", "gateway-out"),
            lambda r: r[BLOCKLISTS]["value"].append(
                {**r[BLOCKLISTS]["value"][0], "name": "gateway-out", "id": f"{BLOCKLISTS}/gateway-out"}
            ),
            lambda r: r.__setitem__(f"{BLOCKLISTS}/gateway-out/raiBlocklistItems", r[ITEMS]),
        ),
        PASS,
        "both ways",
    ),
    Case(C12, "no custom policy: blocked", NO_CUSTOM_POLICY, FAIL, f"blocked by {C10}"),
    # C13
    Case(
        C13,
        "no token limit (spec mutation)",
        policy('tokens-per-minute="5000"', 'tokens-per-minute="1000000"'),
        FAIL,
        "no llm-token-limit of at most 10000",
    ),
    Case(
        C13, "element removed (spec mutation)", policy("<llm-token-limit ", "<llm-other "), FAIL, "no llm-token-limit"
    ),
    Case(
        C13,
        "a quota instead of a rate",
        policy('tokens-per-minute="5000"', 'token-quota="100000" token-quota-period="Monthly"'),
        PASS,
        "caps tokens",
    ),
    Case(
        C13,
        "quota without its period",
        policy('tokens-per-minute="5000"', 'token-quota="100000"'),
        FAIL,
        "no llm-token-limit",
    ),
    Case(C13, "the azure-openai- spelling", policy("llm-token-limit", "azure-openai-token-limit"), PASS, "caps tokens"),
    Case(C13, "a stricter lab limit", lambda r: None, FAIL, "at most 1000 tokens", ("max_tokens_per_minute=1000",)),
    Case(C13, "no API forwards to the account: blocked", NO_OPENAI_API, FAIL, f"blocked by {C3}"),
    # C14
    Case(
        C14,
        "no subscription key (spec mutation)",
        at(APIS, "value.0.properties.subscriptionRequired", False),
        FAIL,
        "neither a subscription key",
    ),
    Case(
        C14,
        "no key but Entra ID tokens validated",
        both(
            at(APIS, "value.0.properties.subscriptionRequired", False),
            policy(
                "<set-backend-service",
                '<validate-azure-ad-token tenant-id="72f988bf-0000-4000-8000-00000000c0de" /><set-backend-service',
            ),
        ),
        PASS,
        "identified callers",
    ),
    Case(C14, "no API forwards to the account: blocked", NO_OPENAI_API, FAIL, f"blocked by {C3}"),
    # C15
    Case(
        C15,
        "no diagnostic setting on the OpenAI account (spec mutation)",
        empty(AOAI_DIAGNOSTICS),
        FAIL,
        "aoai-labcheck-gw: it has no diagnostic setting",
    ),
    Case(
        C15,
        "Content Safety logs to storage only (spec mutation)",
        both(
            at(CS_DIAGNOSTICS, "value.0.properties.workspaceId", None),
            at(
                CS_DIAGNOSTICS,
                "value.0.properties.storageAccountId",
                f"{RG}/providers/Microsoft.Storage/storageAccounts/stlabcheckgw",
            ),
        ),
        FAIL,
        "cs-labcheck-gw: no diagnostic setting sends",
    ),
    Case(C15, "storage instead of a workspace", ONLY_STORAGE_LOGS, FAIL, "aoai-labcheck-gw: no diagnostic setting"),
    Case(
        C15, "logs disabled", at(AOAI_DIAGNOSTICS, "value.0.properties.logs.0.enabled", False), FAIL, "aoai-labcheck-gw"
    ),
    Case(
        C15,
        "categories instead of groups",
        at(
            CS_DIAGNOSTICS,
            "value.0.properties.logs",
            [{"category": "RequestResponse", "enabled": True}, {"category": "Audit", "enabled": True}],
        ),
        PASS,
        "send logs",
    ),
    Case(C15, "no Content Safety account", NO_CS, FAIL, "no Content Safety account"),
    # advisory
    Case(
        NETWORK,
        "public and allow-all",
        both(
            account("cs-labcheck-gw", "properties.publicNetworkAccess", "Enabled"),
            account("cs-labcheck-gw", "properties.networkAcls.defaultAction", "Allow"),
        ),
        FAIL,
        "allows public network access",
    ),
    Case(
        NETWORK,
        "public with default deny",
        account("cs-labcheck-gw", "properties.publicNetworkAccess", "Enabled"),
        PASS,
        "closed",
    ),
    Case(NETWORK, "no Content Safety account: blocked", NO_CS, FAIL, f"blocked by {C7}"),
    Case(
        METRICS, "no token metrics", policy("llm-emit-token-metric", "llm-other-metric"), FAIL, "emits no token metrics"
    ),
    Case(
        METRICS,
        "the azure-openai- spelling",
        policy("llm-emit-token-metric", "azure-openai-emit-token-metric"),
        PASS,
        "emits token metrics",
    ),
    Case(METRICS, "no API forwards to the account: blocked", NO_OPENAI_API, FAIL, f"blocked by {C3}"),
]


CONTRACT = LabContract(
    LAB,
    CASES,
    # a read the check reaches must be an ERROR when denied; one it never reaches leaves it passing
    must_error=lambda check_id, action, denied_run: action in denied_run.actions,
)

test_reference_passes = CONTRACT.reference_passes()
test_case = CONTRACT.case_test()


def test_every_check_has_a_failing_case():
    assert_cases_cover_every_check(CASES, CHECK_IDS)


def test_every_requires_of_the_spec_is_a_blocked_case():
    blocked = {
        (c.check_id, c.fragment.removeprefix("blocked by ")) for c in CASES if c.fragment.startswith("blocked by")
    }
    spec_requires = {
        (C2, C1), (C4, C2), (C5, C2), (C5, C7), (C6, C3), (C9, C10), (C11, C10), (C12, C10), (C13, C3), (C14, C3),
        (NETWORK, C7), (METRICS, C3),
    }  # fmt: skip
    assert spec_requires <= blocked


# --- denied reads -----------------------------------------------------------------------------------

# The routes each RBAC action covers (regular expressions over the lower-cased ARM path).
ACTION_ROUTES = {
    "Microsoft.ApiManagement/service/read": r"/microsoft\.apimanagement/service(/[^/]+)?$",
    "Microsoft.ApiManagement/service/apis/read": r"/service/[^/]+/apis$",
    "Microsoft.ApiManagement/service/apis/policies/read": r"/apis/[^/]+/policies/",
    "Microsoft.ApiManagement/service/policies/read": r"/service/[^/]+/policies/",
    "Microsoft.ApiManagement/service/backends/read": r"/backends$",
    "Microsoft.CognitiveServices/accounts/read": r"/microsoft\.cognitiveservices/accounts$",
    "Microsoft.CognitiveServices/accounts/deployments/read": r"/deployments$",
    "Microsoft.CognitiveServices/accounts/raiPolicies/read": r"/raipolicies/",
    "Microsoft.CognitiveServices/accounts/raiBlocklists/read": r"/raiblocklists$",
    "Microsoft.CognitiveServices/accounts/raiBlocklists/raiBlocklistItems/read": r"/raiblocklistitems$",
    "Microsoft.Insights/diagnosticSettings/read": r"/diagnosticsettings$",
    "Microsoft.Authorization/roleAssignments/read": r"/roleassignments$",
}
DECLARED = [(c.id, action) for c in LAB.checks for action in c.spec.permissions]


def test_every_declared_action_has_routes():
    assert {action for _, action in DECLARED} == set(ACTION_ROUTES)


test_denied_action_is_error_or_not_reached = CONTRACT.denied_action_is_error_or_not_reached()
test_some_declared_action_is_needed = CONTRACT.some_declared_action_is_needed()
test_declared_permissions_suffice = CONTRACT.declared_permissions_suffice()


# --- the wire contract ------------------------------------------------------------------------------

API_VERSIONS = {
    r"/microsoft\.apimanagement/": "2024-05-01",
    r"/microsoft\.cognitiveservices/accounts": "2025-09-01",
    r"/diagnosticsettings$": "2021-05-01-preview",
    r"/roleassignments$": "2022-04-01",
}


def test_api_versions_are_pinned():
    arm = FakeArm(reference())
    with arm_responses(arm):
        azure = fake_azure()
        inputs = LAB.resolve_inputs([f"resource_group={RG_NAME}"])
        for each in LAB.checks:
            run_check(each, {"azure": azure}, inputs, KNOWN)
    seen: dict[str, set[str]] = {}
    for method, path, version in arm.calls:
        assert method == "GET"
        kind = next(k for k in reversed(API_VERSIONS) if re.search(k, path))
        seen.setdefault(kind, set()).add(version)
    assert seen == {k: {v} for k, v in API_VERSIONS.items()}
    # one shared provider sends each distinct read once, however many checks need it
    assert len(arm.calls) == len({path for _, path, _ in arm.calls}) == 15


# --- policy documents -------------------------------------------------------------------------------


def test_effective_inbound_puts_the_service_scope_where_base_is():
    api = parse_policy("<policies><inbound><a /><base /><b /></inbound><outbound /></policies>")
    service = parse_policy("<policies><inbound><s1 /><s2 /></inbound></policies>")
    assert [e.tag for e in effective_section(api, service, "inbound")] == ["a", "s1", "s2", "b"]
    assert [e.tag for e in effective_section(None, service, "inbound")] == ["s1", "s2"]
    assert effective_section(api, None, "backend") == ()


@pytest.mark.parametrize(
    ("check_id", "edit"),
    [
        (C8, second_account("aoai-other", "aoai-labcheck-gw")),
        (C7, second_account("cs-other", "cs-labcheck-gw")),
    ],
    ids=["openai account", "content safety account"],
)
def test_several_accounts_are_told_apart_through_the_gateway_reads(check_id, edit):
    routes = reference()
    edit(routes)
    assert run(check_id, routes)[0].status is PASS
    action = "Microsoft.ApiManagement/service/apis/read"
    routes[APIS] = denied(action)
    result, _ = run(check_id, routes)
    assert result.status is ERROR
    assert action in result.message
