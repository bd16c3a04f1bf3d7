"""The 15 checks of azure-ai-search-rag through the real azure-mgmt clients, over a FakeArm of realistic ARM JSON.

reference_arm.json holds one full ARM document per resource of the reference deployment, keyed by ARM path;
every check passes on it (the advisory stretch goals included). Each case is one small edit of a fresh copy:
the spec's fail mutation of a check, or one of its rules at a time. Every case runs through the real runner,
so exceptions map to statuses exactly as in a report.
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
from labcheck.model import Result, Status
from labcheck.runner import run_check
from labcheck.testing.arm import FAKE_SUBSCRIPTION, FakeArm, arm_path, arm_responses, fake_azure
from tests.labs.contract import ArmSubject, Case, LabContract, assert_cases_cover_every_check, unchanged

PASS, FAIL, ERROR, SKIP = Status.PASS, Status.FAIL, Status.ERROR, Status.SKIP

LAB = get_lab("azure-ai-search-rag")
IDS = {c.id for c in LAB.checks}
REFERENCE: dict[str, Any] = json.loads(Path(__file__).with_name("reference_arm.json").read_text())["routes"]

RG_NAME = "rg-labcheck-rag"
RG = f"/subscriptions/{FAKE_SUBSCRIPTION}/resourceGroups/{RG_NAME}"
SVC_NAME = "srch-labcheck-rag-7f3a"
SEARCH_LIST = f"{RG}/providers/Microsoft.Search/searchServices"
SVC = f"{SEARCH_LIST}/{SVC_NAME}"
PECS = f"{SVC}/privateEndpointConnections"
SPLS = f"{SVC}/sharedPrivateLinkResources"
DIAGNOSTICS = f"{SVC}/providers/Microsoft.Insights/diagnosticSettings"
PE = f"{RG}/providers/Microsoft.Network/privateEndpoints/pe-srch-labcheck-rag"
ZONE_GROUPS = f"{PE}/privateDnsZoneGroups"
ZONE = f"{RG}/providers/Microsoft.Network/privateDnsZones/privatelink.search.windows.net"
LINKS = f"{ZONE}/virtualNetworkLinks"
A_RECORD = f"{ZONE}/A/{SVC_NAME}"
ACCOUNT_LIST = f"{RG}/providers/Microsoft.CognitiveServices/accounts"
AOAI = f"{ACCOUNT_LIST}/aoai-labcheck-rag-7f3a"
STORAGE_LIST = f"{RG}/providers/Microsoft.Storage/storageAccounts"
ST = f"{STORAGE_LIST}/stlabcheckrag7f3a"
AOAI_ROLES = f"{AOAI}/providers/Microsoft.Authorization/roleAssignments"
ST_ROLES = f"{ST}/providers/Microsoft.Authorization/roleAssignments"
SEARCH_PRINCIPAL = "3c1f9a0e-6b2d-4e8f-a7c4-5d9e0b1f2a34"
UAI = f"{RG}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-search-rag"
UAI_PRINCIPAL = "6b7c8d9e-0f1a-4b2c-9d3e-4f5a6b7c8d9e"
ROLE_DEFINITIONS = f"/subscriptions/{FAKE_SUBSCRIPTION}/providers/Microsoft.Authorization/roleDefinitions"
OPENAI_CONTRIBUTOR = "a001fd3d-188f-4b5d-821b-7da978bf7442"
BLOB_CONTRIBUTOR = "ba92f5b4-2d11-453d-a403-e96b0029c9fe"
READER = "acdd72a7-3385-48ef-bd42-f606fba81ae7"

Mutation = Callable[[FakeArm], None]
DELETE = object()  # as a value in an edit: remove the key


# --- running ----------------------------------------------------------------------------------------


def fresh() -> FakeArm:
    """A FakeArm over a private copy of the reference."""
    return FakeArm(copy.deepcopy(REFERENCE))


def actions_of(path: str) -> set[str]:
    """The RBAC actions whose routes (ACTION_ROUTES, below) cover this lower-cased ARM path."""
    return {action for action, pattern in ACTION_ROUTES.items() if re.search(pattern, path)}


# The edits of this lab's cases take the FakeArm itself, so it answers as it is.
SUBJECT = ArmSubject(LAB, {"": fresh}, RG_NAME, actions_of, as_arm=lambda arm: arm)


def run(arm: FakeArm, check_id: str, inputs: tuple[str, ...] = ()) -> Result:
    """One check through the runner, the real SDK clients and the FakeArm."""
    return SUBJECT.run(check_id, arm, inputs)[0]


@pytest.fixture
def subject() -> ArmSubject:
    """The reference and the grading the shared contract tests use."""
    return SUBJECT


# --- edits of the reference -------------------------------------------------------------------------


def _put(document: Any, dotted: str, value: Any) -> None:
    *parents, last = dotted.split(".")
    for key in parents:
        document = document[int(key)] if isinstance(document, list) else document[key]
    if isinstance(document, list):
        document[int(last)] = value
    elif value is DELETE:
        document.pop(last, None)
    else:
        document[last] = value


def edit(path: str, changes: dict[str, Any]) -> Mutation:
    """Set (or with DELETE remove) dotted keys of one route's document; list items by index."""

    def mutate(arm: FakeArm) -> None:
        for dotted, value in changes.items():
            _put(arm.routes[arm_path(path)], dotted, value if value is DELETE else copy.deepcopy(value))

    return mutate


def route(path: str, body: Any) -> Mutation:
    """Add or replace a route."""
    return lambda arm: arm.set(path, copy.deepcopy(body))


def drop(path: str) -> Mutation:
    """Remove a route, so it answers 404."""
    return lambda arm: arm.remove(path)


def both(*mutations: Mutation) -> Mutation:
    """Several edits at once."""

    def mutate(arm: FakeArm) -> None:
        for each in mutations:
            each(arm)

    return mutate


def edit_service(changes: dict[str, Any]) -> Mutation:
    """The same edit of the search service in its GET and in the resource group's listing."""
    return both(edit(SVC, changes), edit(SEARCH_LIST, {f"value.0.{k}": v for k, v in changes.items()}))


def edit_storage(changes: dict[str, Any]) -> Mutation:
    """The same edit of the storage account in its GET and in the resource group's listing."""
    return both(edit(ST, changes), edit(STORAGE_LIST, {f"value.0.{k}": v for k, v in changes.items()}))


def other(document: dict[str, Any], name: str, **changes: Any) -> dict[str, Any]:
    """A copy of a resource under another name (its id follows), with top-level keys changed."""
    copied = copy.deepcopy(document)
    copied["id"] = copied["id"].rsplit("/", 1)[0] + "/" + name
    copied["name"] = name
    copied.update(changes)
    return copied


def listing(path: str, *extra: dict[str, Any], untag: bool = False) -> Mutation:
    """The resource group's listing at `path` with more resources; `untag` strips the reference's tags."""

    def mutate(arm: FakeArm) -> None:
        items = arm.routes[arm_path(path)]["value"]
        if untag:
            for item in items:
                item["tags"] = {}
        items.extend(copy.deepcopy(list(extra)))

    return mutate


def assignment(scope: str, principal: str, role: str) -> dict[str, Any]:
    """A role assignment as list_for_scope returns it."""
    guid = "f0e1d2c3-b4a5-4968-8776-655443322110"
    return {
        "id": f"{scope}/providers/Microsoft.Authorization/roleAssignments/{guid}",
        "name": guid,
        "type": "Microsoft.Authorization/roleAssignments",
        "properties": {
            "roleDefinitionId": f"{ROLE_DEFINITIONS}/{role}",
            "principalId": principal,
            "principalType": "ServicePrincipal",
            "scope": scope,
        },
    }


SERVICE_DOC = REFERENCE[SVC]
AOAI_DOC = REFERENCE[ACCOUNT_LIST]["value"][0]
STORAGE_DOC = REFERENCE[ST]
OTHER_SERVICE = other(SERVICE_DOC, "srch-other", tags={}, sku={"name": "free"})
OTHER_AOAI = other(AOAI_DOC, "aoai-other", tags={})
CONTENT_SAFETY = other(AOAI_DOC, "cs-labcheck", tags={}, kind="ContentSafety")
OTHER_STORAGE = other(STORAGE_DOC, "stother7f3a", tags={})
NO_IDENTITY = edit_service({"identity": DELETE})
USER_ASSIGNED = edit_service(
    {"identity": {"type": "UserAssigned", "userAssignedIdentities": {UAI: {"principalId": UAI_PRINCIPAL}}}}
)
ONLY_BLOB_LINK = edit(SPLS, {"value": [REFERENCE[SPLS]["value"][1]]})
ONLY_OPENAI_LINK = edit(SPLS, {"value": [REFERENCE[SPLS]["value"][0]]})
NO_SERVICES = route(SEARCH_LIST, {"value": []})


# --- the cases --------------------------------------------------------------------------------------

EXISTS = "search-service-exists"
PUBLIC = "search-public-network-disabled"
ENDPOINT = "search-private-endpoint-approved"
DNS = "search-private-dns"
KEYS = "search-local-auth-disabled"
IDENTITY = "search-managed-identity"
SEMANTIC = "search-semantic-ranker"
SPL_OPENAI = "search-spl-openai-approved"
SPL_STORAGE = "search-spl-storage-approved"
RBAC_OPENAI = "search-rbac-openai"
RBAC_STORAGE = "search-rbac-storage"
STORAGE = "search-storage-locked-down"
DIAG = "search-diagnostics-to-law"
CMK = "search-cmk-enforced"
EXFIL = "search-exfiltration-blocked"

CASES = [
    # B1: the root, its discovery and its pass rules
    Case(EXISTS, "reference", unchanged, PASS, "is basic, running and provisioned"),
    Case(EXISTS, "free tier", edit_service({"sku.name": "free"}), FAIL, "tier free is not one of"),
    Case(EXISTS, "tier in another case", edit_service({"sku.name": "Standard"}), PASS, "is Standard"),
    Case(
        EXISTS,
        "tier not allowed here",
        unchanged,
        FAIL,
        "tier basic is not one of standard",
        ("allowed_skus=standard",),
    ),
    Case(EXISTS, "not running", edit_service({"properties.status": "degraded"}), FAIL, "status is degraded"),
    Case(
        EXISTS,
        "provisioning failed",
        edit_service({"properties.provisioningState": "failed"}),
        FAIL,
        "provisioning state is failed",
    ),
    Case(EXISTS, "listed but gone", drop(SVC), FAIL, "is listed but was not found"),
    Case(
        EXISTS,
        "none in the group",
        NO_SERVICES,
        FAIL,
        "no search service tagged labcheck-lab=azure-ai-search-rag",
        hint='"labcheck-lab" = "azure-ai-search-rag"',
    ),
    Case(
        EXISTS, "two untagged", listing(SEARCH_LIST, OTHER_SERVICE, untag=True), ERROR, "ambiguous: 2 search services"
    ),
    Case(EXISTS, "two, one tagged", listing(SEARCH_LIST, OTHER_SERVICE), PASS, SVC_NAME),
    Case(
        EXISTS,
        "override picks the reference",
        listing(SEARCH_LIST, OTHER_SERVICE, untag=True),
        PASS,
        SVC_NAME,
        (f"search_service={SVC_NAME.upper()}",),
    ),
    Case(
        EXISTS,
        "override picks the other",
        both(listing(SEARCH_LIST, OTHER_SERVICE), route(OTHER_SERVICE["id"], OTHER_SERVICE)),
        FAIL,
        "srch-other: tier free",
        ("search_service=srch-other",),
    ),
    Case(
        EXISTS, "override names none", unchanged, FAIL, "search_service named srch-gone", ("search_service=srch-gone",)
    ),
    # B2
    Case(PUBLIC, "reference", unchanged, PASS, "public network access disabled"),
    Case(
        PUBLIC,
        "fail mutation: enabled",
        edit_service({"properties.publicNetworkAccess": "Enabled"}),
        FAIL,
        "public network access is Enabled",
    ),
    Case(
        PUBLIC,
        "secured by perimeter",
        edit_service({"properties.publicNetworkAccess": "securedByPerimeter"}),
        FAIL,
        "is securedByPerimeter",
    ),
    Case(
        PUBLIC,
        "IP rule",
        edit_service({"properties.networkRuleSet.ipRules": [{"value": "203.0.113.7"}]}),
        FAIL,
        "IP rules admit 203.0.113.7",
    ),
    Case(PUBLIC, "service gone", drop(SVC), FAIL, "blocked by search-service-exists"),
    Case(PUBLIC, "no service", NO_SERVICES, FAIL, "no search service tagged"),
    # B3
    Case(ENDPOINT, "reference", unchanged, PASS, "pe-srch-labcheck-rag privately reaches"),
    Case(
        ENDPOINT,
        "fail mutation: pending",
        edit(PECS, {"value.0.properties.privateLinkServiceConnectionState.status": "Pending"}),
        FAIL,
        "is Pending",
    ),
    Case(ENDPOINT, "no connection", route(PECS, {"value": []}), FAIL, "no private-endpoint connection"),
    Case(
        ENDPOINT,
        "connection still updating",
        edit(PECS, {"value.0.properties.provisioningState": "Updating"}),
        FAIL,
        "provisioning Updating",
    ),
    Case(ENDPOINT, "group in lower case", edit(PECS, {"value.0.properties.groupId": "searchservice"}), PASS, "reaches"),
    Case(ENDPOINT, "endpoint deleted", drop(PE), FAIL, "private endpoint does not exist"),
    Case(
        ENDPOINT,
        "endpoint failed",
        edit(PE, {"properties.provisioningState": "Failed"}),
        FAIL,
        "privateEndpoints/pe-srch-labcheck-rag is",  # the shared fragment words the state
    ),
    Case(
        ENDPOINT,
        "endpoint targets another service",
        edit(PE, {"properties.privateLinkServiceConnections.0.properties.privateLinkServiceId": OTHER_SERVICE["id"]}),
        FAIL,
        "has no approved connection to the resource",
    ),
    Case(
        ENDPOINT,
        "manual connection, approved",
        both(
            edit(
                PE,
                {
                    "properties.manualPrivateLinkServiceConnections": REFERENCE[PE]["properties"][
                        "privateLinkServiceConnections"
                    ]
                },
            ),
            edit(PE, {"properties.privateLinkServiceConnections": []}),
        ),
        PASS,
        "reaches",
    ),
    Case(
        ENDPOINT,
        "endpoint outside a subnet",
        edit(PE, {"properties.subnet": None}),
        FAIL,
        "is not in a virtual network subnet",
    ),
    # B4
    Case(DNS, "reference", unchanged, PASS, "privatelink.search.windows.net resolves"),
    Case(DNS, "fail mutation: no VNet link", route(LINKS, {"value": []}), FAIL, "is not linked to the endpoint's"),
    Case(
        DNS,
        "link in progress",
        edit(LINKS, {"value.0.properties.virtualNetworkLinkState": "InProgress"}),
        FAIL,
        "is not linked",
    ),
    Case(
        DNS,
        "fail mutation: A record elsewhere",
        edit(A_RECORD, {"properties.aRecords": [{"ipv4Address": "10.99.0.9"}]}),
        FAIL,
        "no A record srch-labcheck-rag-7f3a pointing at the endpoint (10.42.1.4)",
    ),
    Case(DNS, "A record missing", drop(A_RECORD), FAIL, "no A record"),
    Case(DNS, "zone missing", drop(ZONE), FAIL, "no private DNS zone privatelink.search.windows.net"),
    Case(DNS, "no zone group", route(ZONE_GROUPS, {"value": []}), FAIL, "no private DNS zone"),
    Case(
        DNS,
        "endpoint IPs from its interface",
        edit(ZONE_GROUPS, {"value.0.properties.privateDnsZoneConfigs.0.properties.recordSets": []}),
        PASS,
        "resolves",
    ),
    Case(
        DNS,
        "endpoint not approved",
        edit(PECS, {"value.0.properties.privateLinkServiceConnectionState.status": "Pending"}),
        FAIL,
        "blocked by search-private-endpoint-approved",
    ),
    # B5
    Case(KEYS, "reference", unchanged, PASS, "has API keys disabled"),
    Case(
        KEYS,
        "fail mutation: keys or Entra ID",
        edit_service(
            {
                "properties.disableLocalAuth": False,
                "properties.authOptions": {"aadOrApiKey": {"aadAuthFailureMode": "http401WithBearerChallenge"}},
            }
        ),
        FAIL,
        "accepts API keys or Entra ID (http401WithBearerChallenge)",
    ),
    Case(KEYS, "never set", edit_service({"properties.disableLocalAuth": DELETE}), FAIL, "disableLocalAuth is not set"),
    Case(
        KEYS,
        "keys only",
        edit_service({"properties.disableLocalAuth": False, "properties.authOptions": {"apiKeyOnly": {}}}),
        FAIL,
        "disableLocalAuth is false; it accepts API keys only",
    ),
    # B6
    Case(IDENTITY, "reference", unchanged, PASS, "has a SystemAssigned managed identity"),
    Case(IDENTITY, "fail mutation: no identity", NO_IDENTITY, FAIL, "it has no managed identity"),
    Case(IDENTITY, "type None", edit_service({"identity": {"type": "None"}}), FAIL, "its identity is None"),
    Case(
        IDENTITY,
        "system-assigned without principal",
        edit_service({"identity.principalId": DELETE}),
        FAIL,
        "with no principal",
    ),
    Case(IDENTITY, "user-assigned", USER_ASSIGNED, PASS, "has a UserAssigned managed identity"),
    # B7
    Case(SEMANTIC, "reference", unchanged, PASS, "on the free plan"),
    Case(
        SEMANTIC,
        "fail mutation: disabled",
        edit_service({"properties.semanticSearch": "disabled"}),
        FAIL,
        "semantic ranker disabled",
    ),
    Case(SEMANTIC, "never set", edit_service({"properties.semanticSearch": DELETE}), FAIL, "semantic ranker not set"),
    Case(SEMANTIC, "standard plan", edit_service({"properties.semanticSearch": "standard"}), PASS, "standard plan"),
    Case(
        SEMANTIC,
        "not required here",
        edit_service({"properties.semanticSearch": "disabled"}),
        SKIP,
        "semantic_required=false",
        ("semantic_required=false",),
    ),
    # B8
    Case(
        SPL_OPENAI, "reference", unchanged, PASS, "spl-aoai (openai_account) to OpenAI account aoai-labcheck-rag-7f3a"
    ),
    Case(
        SPL_OPENAI,
        "fail mutation: pending",
        edit(SPLS, {"value.0.properties.status": "Pending"}),
        FAIL,
        "spl-aoai (openai_account) is Pending",
    ),
    Case(
        SPL_OPENAI,
        "provisioning failed",
        edit(SPLS, {"value.0.properties.provisioningState": "Failed"}),
        FAIL,
        "provisioning Failed",
    ),
    Case(
        SPL_OPENAI,
        "cognitive services group",
        edit(SPLS, {"value.0.properties.groupId": "cognitiveservices_account"}),
        PASS,
        "(cognitiveservices_account)",
    ),
    Case(
        SPL_OPENAI,
        "no link: the group's only OpenAI account",
        both(ONLY_BLOB_LINK, listing(ACCOUNT_LIST, CONTENT_SAFETY)),
        FAIL,
        "has no shared private link to OpenAI account aoai-labcheck-rag-7f3a",
    ),
    Case(
        SPL_OPENAI,
        "wrong sub-resource",
        edit(SPLS, {"value.0.properties.groupId": "account"}),
        FAIL,
        "no approved cognitiveservices_account or openai_account shared private link",
    ),
    Case(
        SPL_OPENAI,
        "no link, no account",
        both(ONLY_BLOB_LINK, route(ACCOUNT_LIST, {"value": []})),
        FAIL,
        "no openai account tagged",
    ),
    Case(
        SPL_OPENAI,
        "no link, two untagged accounts",
        both(ONLY_BLOB_LINK, listing(ACCOUNT_LIST, OTHER_AOAI, untag=True)),
        ERROR,
        "ambiguous: 2 openai accounts",
    ),
    Case(
        SPL_OPENAI,
        "override names another account",
        listing(ACCOUNT_LIST, OTHER_AOAI),
        FAIL,
        "no shared private link to OpenAI account aoai-other",
        ("openai_account=aoai-other",),
    ),
    Case(SPL_OPENAI, "service gone", drop(SVC), FAIL, "blocked by search-service-exists"),
    # B9
    Case(SPL_STORAGE, "reference", unchanged, PASS, "spl-blob (blob) to storage account stlabcheckrag7f3a"),
    Case(
        SPL_STORAGE,
        "fail mutation: pending",
        edit(SPLS, {"value.1.properties.status": "Pending"}),
        FAIL,
        "spl-blob (blob) is Pending",
    ),
    Case(
        SPL_STORAGE,
        "no link: the group's only storage account",
        ONLY_OPENAI_LINK,
        FAIL,
        "has no shared private link to storage account stlabcheckrag7f3a",
    ),
    Case(
        SPL_STORAGE,
        "override names another account",
        listing(STORAGE_LIST, OTHER_STORAGE),
        FAIL,
        "no shared private link to storage account stother7f3a",
        ("storage_account=stother7f3a",),
    ),
    # B10
    Case(RBAC_OPENAI, "reference", unchanged, PASS, "holds Cognitive Services OpenAI User on aoai-labcheck-rag-7f3a"),
    Case(RBAC_OPENAI, "fail mutation: none", route(AOAI_ROLES, {"value": []}), FAIL, "holds neither"),
    Case(
        RBAC_OPENAI,
        "another principal's",
        route(AOAI_ROLES, {"value": [assignment(AOAI, UAI_PRINCIPAL, "5e0bd9bd-7b93-4f28-af87-19fc36ad61bd")]}),
        FAIL,
        "holds neither Cognitive Services OpenAI User nor",
    ),
    Case(
        RBAC_OPENAI,
        "a role that does not call models",
        route(AOAI_ROLES, {"value": [assignment(AOAI, SEARCH_PRINCIPAL, READER)]}),
        FAIL,
        "holds neither",
    ),
    Case(
        RBAC_OPENAI,
        "contributor",
        route(AOAI_ROLES, {"value": [assignment(AOAI, SEARCH_PRINCIPAL, OPENAI_CONTRIBUTOR)]}),
        PASS,
        "Contributor on aoai-labcheck-rag-7f3a; Cognitive Services OpenAI User would be least privilege",
    ),
    Case(
        RBAC_OPENAI,
        "granted on the resource group",
        route(AOAI_ROLES, {"value": [assignment(RG, SEARCH_PRINCIPAL, "5e0bd9bd-7b93-4f28-af87-19fc36ad61bd")]}),
        PASS,
        "granted above it: assign at resource scope",
    ),
    Case(
        RBAC_OPENAI,
        "user-assigned identity",
        both(
            USER_ASSIGNED,
            route(AOAI_ROLES, {"value": [assignment(AOAI, UAI_PRINCIPAL, "5e0bd9bd-7b93-4f28-af87-19fc36ad61bd")]}),
        ),
        PASS,
        f"search identity {UAI_PRINCIPAL} holds Cognitive Services OpenAI User",
    ),
    Case(RBAC_OPENAI, "no identity", NO_IDENTITY, FAIL, "blocked by search-managed-identity"),
    # B11
    Case(RBAC_STORAGE, "reference", unchanged, PASS, "holds Storage Blob Data Reader on stlabcheckrag7f3a"),
    Case(RBAC_STORAGE, "fail mutation: none", route(ST_ROLES, {"value": []}), FAIL, "holds neither"),
    Case(
        RBAC_STORAGE,
        "contributor",
        route(ST_ROLES, {"value": [assignment(ST, SEARCH_PRINCIPAL, BLOB_CONTRIBUTOR)]}),
        PASS,
        "Storage Blob Data Reader would be least privilege",
    ),
    Case(
        RBAC_STORAGE,
        "only another principal holds it",
        edit(ST_ROLES, {"value.1.properties.principalId": UAI_PRINCIPAL}),
        FAIL,
        "holds neither Storage Blob Data Reader nor Storage Blob Data Contributor",
    ),
    Case(RBAC_STORAGE, "no identity", NO_IDENTITY, FAIL, "blocked by search-managed-identity"),
    # B12
    Case(STORAGE, "reference", unchanged, PASS, "stlabcheckrag7f3a is closed"),
    Case(
        STORAGE,
        "fail mutation: shared keys on",
        edit_storage({"properties.allowSharedKeyAccess": True}),
        FAIL,
        "shared key access is on",
    ),
    Case(
        STORAGE,
        "shared keys never set",
        edit_storage({"properties.allowSharedKeyAccess": DELETE}),
        FAIL,
        "shared key access is not disabled",
    ),
    Case(
        STORAGE,
        "public, allow by default",
        edit_storage({"properties.publicNetworkAccess": "Enabled", "properties.networkAcls.defaultAction": "Allow"}),
        FAIL,
        "public network access is Enabled with default Allow",
    ),
    Case(
        STORAGE,
        "public endpoint, deny by default",
        edit_storage({"properties.publicNetworkAccess": "Enabled"}),
        PASS,
        "is closed",
    ),
    Case(
        STORAGE,
        "anonymous blobs",
        edit_storage({"properties.allowBlobPublicAccess": True}),
        FAIL,
        "anonymous blob access is allowed",
    ),
    Case(STORAGE, "account deleted", drop(ST), FAIL, "storage account stlabcheckrag7f3a was not found"),
    Case(STORAGE, "no search service: the group's storage", NO_SERVICES, PASS, "is closed"),
    Case(
        STORAGE,
        "no service, no storage",
        both(NO_SERVICES, route(STORAGE_LIST, {"value": []})),
        FAIL,
        "no storage account tagged",
    ),
    # B13
    Case(DIAG, "reference", unchanged, PASS, "sends its logs to Log Analytics"),
    Case(DIAG, "fail mutation: no setting", route(DIAGNOSTICS, {"value": []}), FAIL, "it has no diagnostic setting"),
    Case(
        DIAG,
        "fail mutation: storage only",
        edit(
            DIAGNOSTICS,
            {
                "value.0.properties.workspaceId": None,
                "value.0.properties.storageAccountId": ST,
            },
        ),
        FAIL,
        "no diagnostic setting sends",
    ),
    Case(DIAG, "logs off", edit(DIAGNOSTICS, {"value.0.properties.logs.0.enabled": False}), FAIL, "no diagnostic"),
    Case(
        DIAG,
        "OperationLogs category",
        edit(DIAGNOSTICS, {"value.0.properties.logs.0": {"category": "OperationLogs", "enabled": True}}),
        PASS,
        "sends its logs",
    ),
    Case(
        DIAG,
        "audit group",
        edit(DIAGNOSTICS, {"value.0.properties.logs.0.categoryGroup": "audit"}),
        PASS,
        "sends its logs",
    ),
    # B14 (advisory)
    Case(CMK, "reference", unchanged, PASS, "enforces customer-managed keys"),
    Case(
        CMK,
        "fail mutation: unspecified",
        edit_service({"properties.encryptionWithCmk.enforcement": "Unspecified"}),
        FAIL,
        "CMK enforcement is Unspecified",
    ),
    Case(
        CMK,
        "non-compliant",
        edit_service({"properties.encryptionWithCmk.encryptionComplianceStatus": "NonCompliant"}),
        FAIL,
        "compliance NonCompliant",
    ),
    Case(
        CMK,
        "asked for by the course",
        edit_service({"properties.encryptionWithCmk": None}),
        FAIL,
        "is not set, compliance unknown (the lab's settings ask for it)",
        ("cmk_required=true",),
    ),
    # exfiltration (advisory)
    Case(EXFIL, "reference", unchanged, PASS, "blocks all data exfiltration"),
    Case(
        EXFIL,
        "absent",
        edit_service({"properties.dataExfiltrationProtections": DELETE}),
        FAIL,
        "data exfiltration protection is not set",
    ),
    Case(EXFIL, "empty", edit_service({"properties.dataExfiltrationProtections": []}), FAIL, "is not set"),
]


CONTRACT = LabContract(
    LAB,
    CASES,
    # a denied read must be an ERROR, but for the declared fallbacks (NOT_REACHED, below) the reference never reaches
    must_error=lambda check_id, action, denied_run: (check_id, action) not in NOT_REACHED,
)
test_reference_passes = CONTRACT.reference_passes()
test_case = CONTRACT.case_test()
test_declared_permissions_suffice = CONTRACT.declared_permissions_suffice()


def test_every_check_has_a_passing_and_a_failing_case():
    assert_cases_cover_every_check(CASES, list(IDS))
    for check_id in IDS:
        statuses = {c.status for c in CASES if c.check_id == check_id}
        assert {PASS, FAIL} <= statuses, check_id


# --- denied reads -----------------------------------------------------------------------------------

# Which routes each RBAC action covers (ARM paths are lower case in the FakeArm).
ACTION_ROUTES = {
    "Microsoft.Search/searchServices/read": r"/microsoft\.search/searchservices(/[^/]+)?$",
    "Microsoft.Search/searchServices/privateEndpointConnections/read": r"/searchservices/[^/]+/privateendpointconn",
    "Microsoft.Search/searchServices/sharedPrivateLinkResources/read": r"/sharedprivatelinkresources$",
    "Microsoft.Network/privateEndpoints/read": r"/privateendpoints/[^/]+$",
    "Microsoft.Network/privateEndpoints/privateDnsZoneGroups/read": r"/privatednszonegroups$",
    "Microsoft.Network/privateDnsZones/read": r"/privatednszones/[^/]+$",
    "Microsoft.Network/privateDnsZones/virtualNetworkLinks/read": r"/virtualnetworklinks$",
    "Microsoft.Network/privateDnsZones/A/read": r"/privatednszones/[^/]+/a/[^/]+$",
    "Microsoft.Network/networkInterfaces/read": r"/networkinterfaces/[^/]+$",
    "Microsoft.Insights/diagnosticSettings/read": r"/diagnosticsettings$",
    "Microsoft.Authorization/roleAssignments/read": r"/roleassignments$",
    "Microsoft.CognitiveServices/accounts/read": r"/microsoft\.cognitiveservices/accounts(/[^/]+)?$",
    "Microsoft.Storage/storageAccounts/read": r"/microsoft\.storage/storageaccounts(/[^/]+)?$",
}
# Declared fallbacks the reference never reaches: denying them leaves the check passing.
NOT_REACHED = {
    (DNS, "Microsoft.Network/networkInterfaces/read"),  # the zone group records the endpoint's IP
    (SPL_OPENAI, "Microsoft.CognitiveServices/accounts/read"),  # the shared link names the account
    (RBAC_OPENAI, "Microsoft.CognitiveServices/accounts/read"),
    (SPL_STORAGE, "Microsoft.Storage/storageAccounts/read"),
    (RBAC_STORAGE, "Microsoft.Storage/storageAccounts/read"),
}
DENIED = [(c.id, action) for c in LAB.checks for action in c.spec.permissions]
test_denied_action_is_error_or_not_reached = CONTRACT.denied_action_is_error_or_not_reached()
test_some_declared_action_is_needed = CONTRACT.some_declared_action_is_needed()


def test_every_check_can_be_denied_and_every_fallback_is_declared():
    for check_id in IDS:
        assert [a for c, a in DENIED if c == check_id and (c, a) not in NOT_REACHED], check_id
    assert set(DENIED) >= NOT_REACHED


# --- wire contract ----------------------------------------------------------------------------------

API_VERSIONS = {
    "microsoft.insights/diagnosticsettings": "2021-05-01-preview",
    "microsoft.authorization/roleassignments": "2022-04-01",
    "microsoft.search/": "2025-05-01",
    "microsoft.network/privatednszones/": "2024-06-01",
    "microsoft.network/": "2026-03-01",
    "microsoft.cognitiveservices/": "2025-09-01",
    "microsoft.storage/": "2026-09-01",
}


def _expected_version(path: str) -> str:
    return next(version for marker, version in API_VERSIONS.items() if marker in path)


def test_api_versions_are_pinned():
    """An SDK upgrade that changes the wire contract shows up here, not as a silent grading change."""
    arm = fresh()
    for each in LAB.checks:
        run(arm, each.id)
    run(arm, SPL_OPENAI, ("openai_account=aoai-labcheck-rag-7f3a", "storage_account=stlabcheckrag7f3a"))
    run(arm, RBAC_STORAGE, ("storage_account=stlabcheckrag7f3a",))
    edit(ZONE_GROUPS, {"value.0.properties.privateDnsZoneConfigs.0.properties.recordSets": []})(arm)
    run(arm, DNS)
    seen = {(path, version) for _, path, version in arm.calls}
    assert {path for path, _ in seen} == set(arm.routes)  # every route of the reference is read by some check
    assert {(path, _expected_version(path)) for path, _ in seen} == seen


def test_a_full_run_reads_each_route_once_and_only_gets():
    arm = fresh()
    azure_inputs = LAB.resolve_inputs([f"resource_group={RG_NAME}"])
    with arm_responses(arm):
        azure = fake_azure()
        results = [run_check(c, {"azure": azure}, azure_inputs, IDS) for c in LAB.checks]
    assert {r.status for r in results} == {PASS}
    paths = [path for _, path, _ in arm.calls]
    assert len(paths) == len(set(paths))
    assert {method for method, _, _ in arm.calls} == {"GET"}
