"""Static tests for the Terraform of lab azure-openai-private-endpoint (no terraform binary, no network).

The solution must set everything the lab's checks grade; the starter must leave exactly those parts to the
learner, with a TODO naming the check id at each place. python-hcl2 8 keeps the quotes around strings and
block labels, and adds metadata keys to block bodies: `normalize` strips both.
"""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path
from typing import Any

import hcl2
import pytest

from labcheck.catalog import get_lab

REPO_ROOT = Path(__file__).resolve().parents[2]
LAB_ID = "azure-openai-private-endpoint"
LAB_DIR = REPO_ROOT / "terraform" / LAB_ID
SOLUTION = LAB_DIR / "solution"
STARTER = LAB_DIR / "starter"
BOTH = pytest.mark.parametrize("variant", [STARTER, SOLUTION], ids=["starter", "solution"])
LAB = get_lab(LAB_ID)

_META_KEYS = frozenset({"__is_block__", "__comments__", "__inline_comments__", "__start_line__", "__end_line__"})

# Resource types that take tags; every one of them must carry the lab's tags.
TAGGABLE = {
    "azurerm_resource_group",
    "azurerm_virtual_network",
    "azurerm_log_analytics_workspace",
    "azurerm_cognitive_account",
    "azurerm_private_dns_zone",
    "azurerm_private_dns_zone_virtual_network_link",
    "azurerm_private_endpoint",
    "azurerm_cognitive_account_rai_policy",
}
GRADED_ACCOUNT_ARGUMENTS = (
    "custom_subdomain_name",
    "public_network_access_enabled",
    "local_auth_enabled",
    "identity",
    "network_acls",
    "outbound_network_access_restricted",
)
GRADED_RESOURCES = (
    "azurerm_private_endpoint",
    "azurerm_private_dns_zone",
    "azurerm_private_dns_zone_virtual_network_link",
    "azurerm_cognitive_account_rai_policy",
    "azurerm_cognitive_deployment",
    "azurerm_monitor_diagnostic_setting",
)
HARMS = ("Hate", "Sexual", "Violence", "Selfharm")


# --- helpers ----------------------------------------------------------------------------------------


def normalize(value: Any) -> Any:
    """Strip the quotes python-hcl2 8 keeps around labels and strings, and drop its metadata keys."""
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


def resources(doc: dict[str, list[Any]], type_name: str) -> dict[str, dict[str, Any]]:
    """{name: body} of the resources of one type."""
    found: dict[str, dict[str, Any]] = {}
    for entry in doc.get("resource", []):
        found.update(entry.get(type_name, {}))
    return found


def only(doc: dict[str, list[Any]], type_name: str) -> dict[str, Any]:
    found = resources(doc, type_name)
    assert len(found) == 1, f"expected one {type_name}, found {sorted(found)}"
    return next(iter(found.values()))


def block(body: dict[str, Any], name: str) -> dict[str, Any]:
    (found,) = body[name]
    return found


def merged(doc: dict[str, list[Any]], kind: str) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for entry in doc.get(kind, []):
        found.update(entry)
    return found


def tf_text(directory: Path) -> str:
    return "\n".join(p.read_text(encoding="utf-8") for p in sorted(directory.glob("*.tf")))


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
    assert {p.name for p in files} == {"main.tf", "variables.tf", "outputs.tf", "versions.tf"}
    for path in files:
        with path.open(encoding="utf-8") as handle:
            assert isinstance(hcl2.load(handle), dict), path


@BOTH
def test_only_azurerm_is_needed(variant: Path) -> None:
    providers: dict[str, Any] = {}
    for terraform in load_dir(variant)["terraform"]:
        for required in terraform["required_providers"]:
            providers.update(required)
    # azapi is for what azurerm cannot express (RAI blocklists, shared private links): nothing in this lab.
    assert providers == {"azurerm": {"source": "hashicorp/azurerm", "version": "~> 5.2"}}
    assert "azapi_" not in tf_text(variant)


@BOTH
def test_every_taggable_resource_carries_the_lab_tag(variant: Path) -> None:
    doc = load_dir(variant)
    tags = merged(doc, "locals")["tags"]
    assert tags == {"labcheck-lab": LAB_ID, "labcheck-learner": "${var.learner}"}
    for entry in doc["resource"]:
        for type_name, named in entry.items():
            for name, body in named.items():
                if type_name in TAGGABLE:
                    assert body.get("tags") == "${local.tags}", f"{type_name}.{name}"


@BOTH
def test_resource_group_is_an_output(variant: Path) -> None:
    outputs = merged(load_dir(variant), "output")
    assert outputs["labcheck_resource_group"]["value"] == "${azurerm_resource_group.lab.name}"
    assert merged(load_dir(variant), "variable")["resource_group_name"]["default"] == "rg-labcheck-aoai"


@BOTH
def test_given_network_account_and_workspace(variant: Path) -> None:
    doc = load_dir(variant)
    assert only(doc, "azurerm_virtual_network")["name"] == "vnet-labcheck"
    assert only(doc, "azurerm_subnet")["name"] == "snet-private-endpoints"
    workspace = only(doc, "azurerm_log_analytics_workspace")
    assert (workspace["sku"], workspace["retention_in_days"]) == ("PerGB2018", 30)
    account = only(doc, "azurerm_cognitive_account")
    assert (account["kind"], account["sku_name"]) == ("OpenAI", "S0")
    assert account["location"] == "${azurerm_resource_group.lab.location}"


# --- solution: sets what the checks grade -----------------------------------------------------------


def test_solution_region_is_allowed(solution: dict[str, list[Any]]) -> None:
    location = merged(solution, "variable")["location"]["default"]
    assert location in LAB.inputs["allowed_locations"].default


def test_solution_account_is_private_keyless_and_has_an_identity(solution: dict[str, list[Any]]) -> None:
    account = only(solution, "azurerm_cognitive_account")
    assert account["custom_subdomain_name"] == "${local.name}"
    assert account["public_network_access_enabled"] is False
    assert account["local_auth_enabled"] is False
    assert block(account, "identity") == {"type": "SystemAssigned"}
    assert block(account, "network_acls") == {"default_action": "Deny", "bypass": "None"}
    assert account["outbound_network_access_restricted"] is True
    assert account["fqdns"] == []


def test_solution_private_endpoint_and_dns(solution: dict[str, list[Any]]) -> None:
    endpoint = only(solution, "azurerm_private_endpoint")
    assert endpoint["subnet_id"] == "${azurerm_subnet.private_endpoints.id}"
    connection = block(endpoint, "private_service_connection")
    assert connection["private_connection_resource_id"] == "${azurerm_cognitive_account.openai.id}"
    assert connection["subresource_names"] == ["account"]
    assert connection["is_manual_connection"] is False
    group = block(endpoint, "private_dns_zone_group")
    assert group["private_dns_zone_ids"] == ["${azurerm_private_dns_zone.openai.id}"]

    assert only(solution, "azurerm_private_dns_zone")["name"] == "privatelink.openai.azure.com"
    link = only(solution, "azurerm_private_dns_zone_virtual_network_link")
    assert link["private_dns_zone_id"] == "${azurerm_private_dns_zone.openai.id}"
    assert link["virtual_network_id"] == "${azurerm_virtual_network.lab.id}"
    assert link["registration_enabled"] is False


def test_solution_content_filter_blocks_harms_and_jailbreaks(solution: dict[str, list[Any]]) -> None:
    policy = only(solution, "azurerm_cognitive_account_rai_policy")
    assert policy["cognitive_account_id"] == "${azurerm_cognitive_account.openai.id}"
    assert policy["base_policy_name"] == "Microsoft.DefaultV2"
    filters = {(f["name"], f["source"]): f for f in policy["content_filter"]}
    for harm in HARMS:
        for source in ("Prompt", "Completion"):
            found = filters[(harm, source)]
            assert found["filter_enabled"] is True
            assert found["block_enabled"] is True
            assert found["severity_threshold"] in ("Low", "Medium")
    jailbreak = filters[("Jailbreak", "Prompt")]
    assert (jailbreak["filter_enabled"], jailbreak["block_enabled"]) == (True, True)
    shields = [f for (name, _), f in filters.items() if name not in HARMS]
    assert all("severity_threshold" not in f for f in shields), "the provider rejects a threshold on a shield"


def test_solution_deployment_is_data_zone_capped_and_filtered(solution: dict[str, list[Any]]) -> None:
    deployment = only(solution, "azurerm_cognitive_deployment")
    assert deployment["cognitive_account_id"] == "${azurerm_cognitive_account.openai.id}"
    model = block(deployment, "model")
    assert model["format"] == "OpenAI"
    assert merged(solution, "variable")["chat_model"]["default"]["name"].startswith("gpt-")
    sku = block(deployment, "sku")
    assert sku["name"] in LAB.inputs["allowed_deployment_skus"].default
    assert "global" not in sku["name"].lower()
    assert sku["capacity"] <= LAB.inputs["max_capacity_per_deployment"].default
    assert sku["capacity"] <= LAB.inputs["max_total_capacity"].default
    assert deployment["rai_policy_name"] == "${azurerm_cognitive_account_rai_policy.strict.name}"
    assert deployment["version_upgrade_option"] == "NoAutoUpgrade"


def test_solution_diagnostics_to_log_analytics(solution: dict[str, list[Any]]) -> None:
    setting = only(solution, "azurerm_monitor_diagnostic_setting")
    assert setting["target_resource_id"] == "${azurerm_cognitive_account.openai.id}"
    assert setting["log_analytics_workspace_id"] == "${azurerm_log_analytics_workspace.lab.id}"
    assert block(setting, "enabled_log") == {"category_group": "allLogs"}
    assert block(setting, "enabled_metric") == {"category": "AllMetrics"}
    assert "metric" not in setting  # azurerm 5 removed the old block


def test_solution_has_no_todos() -> None:
    assert "TODO" not in tf_text(SOLUTION)


# --- starter: leaves the graded parts to the learner -------------------------------------------------


def test_starter_region_is_not_allowed_yet(starter: dict[str, list[Any]]) -> None:
    location = merged(starter, "variable")["location"]["default"]
    assert location not in LAB.inputs["allowed_locations"].default


@pytest.mark.parametrize("argument", GRADED_ACCOUNT_ARGUMENTS)
def test_starter_account_lacks_graded_argument(argument: str, starter: dict[str, list[Any]]) -> None:
    assert argument not in only(starter, "azurerm_cognitive_account")


@pytest.mark.parametrize("type_name", GRADED_RESOURCES)
def test_starter_lacks_graded_resource(type_name: str, starter: dict[str, list[Any]]) -> None:
    assert not resources(starter, type_name)


def test_starter_todos_name_every_check_but_the_given_account() -> None:
    found = set(re.findall(r"#\s*TODO \(([a-z0-9-]+)\)", tf_text(STARTER)))
    expected = {c.id for c in LAB.checks} - {"aoai-account-exists"}
    assert found == expected
