"""Static tests for the Terraform of lab azure-ai-search-rag (no terraform binary, no network).

The solution must set everything the lab's required checks grade; the starter must leave exactly those
parts to the learner, with a TODO naming the check id at each place.
"""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path
from typing import Any

import hcl2
import pytest

from labcheck.catalog import get_lab

LAB_DIR = Path(__file__).resolve().parents[2] / "terraform" / "azure-ai-search-rag"
SOLUTION = LAB_DIR / "solution"
STARTER = LAB_DIR / "starter"
BOTH = pytest.mark.parametrize("variant", [STARTER, SOLUTION], ids=["starter", "solution"])
CHECK_IDS = [c.id for c in get_lab("azure-ai-search-rag").checks]

# Keys python-hcl2 adds to block bodies (8.x: __is_block__/__comments__, 4.x-7.x: line numbers).
_META_KEYS = frozenset({"__is_block__", "__comments__", "__inline_comments__", "__start_line__", "__end_line__"})
# The resource types of this lab that take tags (role assignments, subnets, links of Search and
# diagnostic settings do not).
TAGGABLE = {
    "azurerm_resource_group",
    "azurerm_virtual_network",
    "azurerm_log_analytics_workspace",
    "azurerm_cognitive_account",
    "azurerm_storage_account",
    "azurerm_search_service",
    "azurerm_private_dns_zone",
    "azurerm_private_dns_zone_virtual_network_link",
    "azurerm_private_endpoint",
}
SEARCH_ID = "${azurerm_search_service.lab.id}"
SEARCH_PRINCIPAL = "${azurerm_search_service.lab.identity[0].principal_id}"
OPENAI_ID = "${azurerm_cognitive_account.openai.id}"
STORAGE_ID = "${azurerm_storage_account.documents.id}"


def normalize(value: Any) -> Any:
    """Strip the quotes python-hcl2 8.x keeps around labels and strings, and drop its metadata keys."""
    if isinstance(value, str):
        return value[1:-1] if len(value) >= 2 and value[0] == value[-1] == '"' else value
    if isinstance(value, dict):
        return {normalize(k): normalize(v) for k, v in value.items() if k not in _META_KEYS}
    if isinstance(value, list):
        return [normalize(v) for v in value]
    return value


def load_dir(directory: Path) -> dict[str, list[Any]]:
    """Merge the top-level blocks of every .tf file in a directory, like Terraform does."""
    merged: dict[str, list[Any]] = defaultdict(list)
    for path in sorted(directory.glob("*.tf")):
        with path.open(encoding="utf-8") as handle:
            for key, value in normalize(hcl2.load(handle)).items():
                merged[key].extend(value)
    return dict(merged)


def typed(doc: dict[str, list[Any]], kind: str, type_name: str) -> dict[str, dict[str, Any]]:
    """{name: body} of the `resource` or `data` blocks of one type."""
    found: dict[str, dict[str, Any]] = {}
    for entry in doc.get(kind, []):
        found.update(entry.get(type_name, {}))
    return found


def resources(doc: dict[str, list[Any]], type_name: str) -> dict[str, dict[str, Any]]:
    return typed(doc, "resource", type_name)


def all_resources(doc: dict[str, list[Any]]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (kind, name, body)
        for entry in doc.get("resource", [])
        for kind, bodies in entry.items()
        for name, body in bodies.items()
    ]


def blocks(body: dict[str, Any], name: str) -> list[dict[str, Any]]:
    """Nested blocks are lists of bodies; tolerate a single body too."""
    value = body.get(name, [])
    return value if isinstance(value, list) else [value]


def only(mapping: dict[str, dict[str, Any]]) -> dict[str, Any]:
    assert len(mapping) == 1, f"expected exactly one block, found {sorted(mapping)}"
    return next(iter(mapping.values()))


def merged(doc: dict[str, list[Any]], kind: str) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for entry in doc.get(kind, []):
        found.update(entry)
    return found


@pytest.fixture(scope="module")
def solution() -> dict[str, list[Any]]:
    return load_dir(SOLUTION)


@pytest.fixture(scope="module")
def starter() -> dict[str, list[Any]]:
    return load_dir(STARTER)


# --- both -------------------------------------------------------------------------------------------


@BOTH
def test_every_file_parses(variant: Path) -> None:
    files = sorted(variant.glob("*.tf"))
    assert [p.name for p in files] == ["main.tf", "outputs.tf", "variables.tf", "versions.tf"]
    for path in files:
        with path.open(encoding="utf-8") as handle:
            assert isinstance(hcl2.load(handle), dict), path


@BOTH
def test_only_azurerm_and_azapi_pinned(variant: Path) -> None:
    providers: dict[str, Any] = {}
    for terraform in load_dir(variant)["terraform"]:
        for required in blocks(terraform, "required_providers"):
            providers.update(required)
    assert providers == {
        "azurerm": {"source": "hashicorp/azurerm", "version": "~> 5.2"},
        "azapi": {"source": "Azure/azapi", "version": "~> 2.12"},
    }


@BOTH
def test_every_taggable_resource_carries_the_lab_tags(variant: Path) -> None:
    doc = load_dir(variant)
    tags = merged(doc, "locals")["tags"]
    assert tags["labcheck-lab"] == "azure-ai-search-rag"
    assert tags["labcheck-learner"] == "${var.learner}"
    for kind, name, body in all_resources(doc):
        if kind in TAGGABLE:
            assert body.get("tags") == "${local.tags}", f"{kind}.{name}"


@BOTH
def test_the_resource_group_is_an_output(variant: Path) -> None:
    outputs = merged(load_dir(variant), "output")
    assert outputs["labcheck_resource_group"]["value"] == "${azurerm_resource_group.lab.name}"


@BOTH
def test_variables_and_defaults(variant: Path) -> None:
    variables = merged(load_dir(variant), "variable")
    assert variables["location"]["default"] == "swedencentral"
    assert variables["resource_group_name"]["default"] == "rg-labcheck-rag"
    assert "default" not in variables["name_suffix"]  # global names must be the learner's own
    assert variables["learner"]["default"] == ""


@BOTH
def test_the_given_openai_account_is_private_and_keyless(variant: Path) -> None:
    account = resources(load_dir(variant), "azurerm_cognitive_account")["openai"]
    assert account["kind"] == "OpenAI"
    assert account["custom_subdomain_name"] == "${local.openai_name}"
    assert account["public_network_access_enabled"] is False
    assert account["local_auth_enabled"] is False


@BOTH
def test_azapi_only_approves_connections(variant: Path) -> None:
    doc = load_dir(variant)
    azapi = [(kind, body) for kind, _, body in all_resources(doc) if kind.startswith("azapi_")]
    for kind, body in azapi:
        assert kind == "azapi_update_resource"
        assert "/privateEndpointConnections@" in body["type"]


# --- solution: sets what the checks grade -------------------------------------------------------------


def test_solution_search_service(solution: dict[str, list[Any]]) -> None:
    service = only(resources(solution, "azurerm_search_service"))
    allowed = get_lab("azure-ai-search-rag").inputs["allowed_skus"].default
    assert service["sku"] in allowed  # search-service-exists
    assert service["public_network_access_enabled"] is False  # search-public-network-disabled
    assert "allowed_ips" not in service
    assert service["local_authentication_enabled"] is False  # search-local-auth-disabled
    assert "authentication_failure_mode" not in service
    assert service["semantic_search_sku"] in {"free", "standard"}  # search-semantic-ranker
    assert blocks(service, "identity") == [{"type": "SystemAssigned"}]  # search-managed-identity


def test_solution_private_endpoint_and_dns(solution: dict[str, list[Any]]) -> None:
    endpoint = only(resources(solution, "azurerm_private_endpoint"))
    assert endpoint["subnet_id"] == "${azurerm_subnet.private_endpoints.id}"
    (connection,) = blocks(endpoint, "private_service_connection")
    assert connection["private_connection_resource_id"] == SEARCH_ID
    assert connection["subresource_names"] == ["searchService"]
    assert connection["is_manual_connection"] is False

    zone = resources(solution, "azurerm_private_dns_zone")["search"]
    assert zone["name"] == "privatelink.search.windows.net"
    (group,) = blocks(endpoint, "private_dns_zone_group")
    assert group["private_dns_zone_ids"] == ["${azurerm_private_dns_zone.search.id}"]
    link = only(resources(solution, "azurerm_private_dns_zone_virtual_network_link"))
    assert link["private_dns_zone_id"] == "${azurerm_private_dns_zone.search.id}"
    assert link["virtual_network_id"] == "${azurerm_virtual_network.lab.id}"


def test_solution_shared_private_links_and_their_approval(solution: dict[str, list[Any]]) -> None:
    links = resources(solution, "azurerm_search_shared_private_link_service")
    assert {(b["subresource_name"], b["target_resource_id"]) for b in links.values()} == {
        ("openai_account", OPENAI_ID),
        ("blob", STORAGE_ID),
    }
    assert {b["search_service_id"] for b in links.values()} == {SEARCH_ID}

    approvals = resources(solution, "azapi_update_resource")
    assert {b["type"].split("@")[0] for b in approvals.values()} == {
        "Microsoft.CognitiveServices/accounts/privateEndpointConnections",
        "Microsoft.Storage/storageAccounts/privateEndpointConnections",
    }
    for approval in approvals.values():
        assert approval["body"]["properties"]["privateLinkServiceConnectionState"]["status"] == "Approved"
    listed = typed(solution, "data", "azapi_resource_list")
    assert {b["parent_id"] for b in listed.values()} == {OPENAI_ID, STORAGE_ID}


def test_solution_role_assignments(solution: dict[str, list[Any]]) -> None:
    grants = {
        (b["scope"], b["role_definition_name"], b["principal_id"])
        for b in resources(solution, "azurerm_role_assignment").values()
    }
    assert grants == {
        (OPENAI_ID, "Cognitive Services OpenAI User", SEARCH_PRINCIPAL),  # search-rbac-openai
        (STORAGE_ID, "Storage Blob Data Reader", SEARCH_PRINCIPAL),  # search-rbac-storage
    }


def test_solution_storage_locked_down(solution: dict[str, list[Any]]) -> None:
    account = resources(solution, "azurerm_storage_account")["documents"]
    assert account["public_network_access_enabled"] is False
    assert account["shared_access_key_enabled"] is False
    assert account["allow_nested_items_to_be_public"] is False
    provider = next(p["azurerm"] for p in solution["provider"] if "azurerm" in p)
    assert provider["storage_use_azuread"] is True


def test_solution_diagnostics(solution: dict[str, list[Any]]) -> None:
    setting = only(resources(solution, "azurerm_monitor_diagnostic_setting"))
    assert setting["target_resource_id"] == SEARCH_ID
    assert setting["log_analytics_workspace_id"] == "${azurerm_log_analytics_workspace.lab.id}"
    assert {"category_group": "allLogs"} in blocks(setting, "enabled_log")


# --- starter: leaves the graded parts to the learner ------------------------------------------------


def test_starter_leaves_the_search_settings_open(starter: dict[str, list[Any]]) -> None:
    service = only(resources(starter, "azurerm_search_service"))
    assert service["sku"] == "free"
    for argument in ("public_network_access_enabled", "local_authentication_enabled", "semantic_search_sku"):
        assert argument not in service
    assert not blocks(service, "identity")


def test_starter_has_none_of_the_graded_resources(starter: dict[str, list[Any]]) -> None:
    for kind in (
        "azurerm_private_endpoint",
        "azurerm_private_dns_zone",
        "azurerm_private_dns_zone_virtual_network_link",
        "azurerm_search_shared_private_link_service",
        "azapi_update_resource",
        "azurerm_role_assignment",
        "azurerm_monitor_diagnostic_setting",
    ):
        assert not resources(starter, kind), kind
    account = resources(starter, "azurerm_storage_account")["documents"]
    for argument in ("public_network_access_enabled", "shared_access_key_enabled", "allow_nested_items_to_be_public"):
        assert argument not in account


def test_starter_todos_name_every_check() -> None:
    text = (STARTER / "main.tf").read_text(encoding="utf-8")
    named = set(re.findall(r"TODO \(([a-z0-9-]+)\)", text))
    assert named == set(CHECK_IDS)
