"""Static tests for the Terraform of lab azure-ai-content-safety-gateway (no terraform binary, no network).

The solution must set everything the lab's checks grade (its gateway policy is even parsed with the lab's own
policy reader); the starter must leave exactly those parts to the learner, with a TODO naming the check id
at each place.
"""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path
from typing import Any

import hcl2
import pytest

from labcheck.catalog import get_lab
from labcheck.providers.azure.view_gateway import PolicyDocument, PolicyElement, effective_section, parse_policy, walk

LAB_ID = "azure-ai-content-safety-gateway"
LAB_DIR = Path(__file__).resolve().parents[2] / "terraform" / LAB_ID
SOLUTION = LAB_DIR / "solution"
STARTER = LAB_DIR / "starter"
BOTH = pytest.mark.parametrize("variant", [STARTER, SOLUTION], ids=["starter", "solution"])

# Keys python-hcl2 adds to block bodies (8.x: __is_block__/__comments__, 4.x-7.x: line numbers).
_META_KEYS = frozenset({"__is_block__", "__comments__", "__inline_comments__", "__start_line__", "__end_line__"})
# Resource types of this lab that take tags; labcheck finds the lab's resources by the labcheck-lab tag.
TAGGABLE = (
    "azurerm_resource_group",
    "azurerm_log_analytics_workspace",
    "azurerm_cognitive_account",
    "azurerm_cognitive_account_rai_blocklist",
    "azurerm_api_management",
)
TOKENS_PER_MINUTE_DEFAULT = 5000


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


def resources(doc: dict[str, list[Any]], type_name: str) -> dict[str, dict[str, Any]]:
    """{name: body} of the resource blocks of one type."""
    found: dict[str, dict[str, Any]] = {}
    for entry in doc.get("resource", []):
        found.update(entry.get(type_name, {}))
    return found


def blocks(body: dict[str, Any], name: str) -> list[dict[str, Any]]:
    """Nested blocks are lists of bodies; tolerate a single body too."""
    value = body.get(name, [])
    return value if isinstance(value, list) else [value]


def merged(doc: dict[str, list[Any]], kind: str) -> dict[str, Any]:
    """All `locals`, `variable` or `output` entries as one mapping."""
    result: dict[str, Any] = {}
    for entry in doc.get(kind, []):
        result.update(entry)
    return result


def tf_text(directory: Path) -> str:
    return "\n".join(p.read_text(encoding="utf-8") for p in sorted(directory.glob("*.tf")))


@pytest.fixture(scope="module")
def solution() -> dict[str, list[Any]]:
    return load_dir(SOLUTION)


@pytest.fixture(scope="module")
def starter() -> dict[str, list[Any]]:
    return load_dir(STARTER)


def account(doc: dict[str, list[Any]], kind: str) -> dict[str, Any]:
    (found,) = [a for a in resources(doc, "azurerm_cognitive_account").values() if a["kind"] == kind]
    return found


# --------------------------------------------------------------------------------------------------
# both
# --------------------------------------------------------------------------------------------------


@BOTH
def test_every_file_parses_and_providers_are_pinned(variant: Path) -> None:
    doc = load_dir(variant)
    providers = {}
    for terraform in doc["terraform"]:
        for required in blocks(terraform, "required_providers"):
            providers.update(required)
    assert providers["azurerm"] == {"source": "hashicorp/azurerm", "version": "~> 5.2"}
    assert providers["azapi"] == {"source": "Azure/azapi", "version": "~> 2.12"}


@BOTH
def test_every_taggable_resource_carries_the_lab_tag(variant: Path) -> None:
    doc = load_dir(variant)
    assert merged(doc, "locals")["tags"]["labcheck-lab"] == LAB_ID
    found = 0
    for type_name in TAGGABLE:
        for name, body in resources(doc, type_name).items():
            assert body.get("tags") == "${local.tags}", f"{type_name}.{name}"
            found += 1
    assert found >= 3


@BOTH
def test_outputs_name_the_resource_group(variant: Path) -> None:
    outputs = merged(load_dir(variant), "output")
    assert outputs["labcheck_resource_group"]["value"] == "${azurerm_resource_group.lab.name}"


@BOTH
def test_the_openai_account_and_its_chat_deployment_are_given(variant: Path) -> None:
    doc = load_dir(variant)
    openai = account(doc, "OpenAI")
    assert openai["custom_subdomain_name"] == "${local.openai_name}"
    (deployment,) = resources(doc, "azurerm_cognitive_deployment").values()
    assert blocks(deployment, "sku")[0]["name"] == "DataZoneStandard"


# --------------------------------------------------------------------------------------------------
# solution: sets everything the checks grade
# --------------------------------------------------------------------------------------------------


def test_solution_gateway_tier_and_identity(solution: dict[str, list[Any]]) -> None:
    (gateway,) = resources(solution, "azurerm_api_management").values()
    assert not gateway["sku_name"].lower().startswith("consumption")
    assert blocks(gateway, "identity")[0]["type"] == "SystemAssigned"


def test_solution_ai_accounts_are_keyless(solution: dict[str, list[Any]]) -> None:
    safety = account(solution, "ContentSafety")
    assert safety["custom_subdomain_name"]
    assert safety["local_auth_enabled"] is False
    assert account(solution, "OpenAI")["local_auth_enabled"] is False


def _policy_filters(solution: dict[str, list[Any]]) -> dict[tuple[str, str], dict[str, Any]]:
    policy = resources(solution, "azapi_resource")["rai_policy"]
    assert policy["type"].startswith("Microsoft.CognitiveServices/accounts/raiPolicies@")
    filters = policy["body"]["properties"]["contentFilters"]
    return {(f["name"].lower().replace(" ", ""), f["source"].lower()): f for f in filters}


def test_solution_rai_policy_filters(solution: dict[str, list[Any]]) -> None:
    filters = _policy_filters(solution)
    for category in ("hate", "sexual", "violence", "selfharm"):
        for source in ("prompt", "completion"):
            found = filters[(category, source)]
            assert found["enabled"] is True
            assert found["blocking"] is True
            assert found["severityThreshold"] in ("Low", "Medium")
    for shield in ("jailbreak", "indirectattack"):
        assert filters[(shield, "prompt")]["blocking"] is True
        assert filters[(shield, "prompt")]["enabled"] is True
    assert filters[("protectedmaterialtext", "completion")]["blocking"] is True
    assert filters[("protectedmaterialcode", "completion")]["enabled"] is True
    # the provider rejects a threshold on shields and protected material
    assert not [
        f
        for key, f in filters.items()
        if key[0] not in ("hate", "sexual", "violence", "selfharm") and "severityThreshold" in f
    ]


def test_solution_blocklist_is_filled_and_attached_both_ways(solution: dict[str, list[Any]]) -> None:
    (blocklist_name,) = resources(solution, "azurerm_cognitive_account_rai_blocklist")
    items = resources(solution, "azapi_resource")["blocked_term"]
    assert items["type"].startswith("Microsoft.CognitiveServices/accounts/raiBlocklists/raiBlocklistItems@")
    assert items["parent_id"] == f"${{azurerm_cognitive_account_rai_blocklist.{blocklist_name}.id}}"
    policy = resources(solution, "azapi_resource")["rai_policy"]
    attached = policy["body"]["properties"]["customBlocklists"]
    assert {(b["source"], b["blocking"]) for b in attached} == {("Prompt", True), ("Completion", True)}
    assert {b["blocklistName"] for b in attached} == {
        f"${{azurerm_cognitive_account_rai_blocklist.{blocklist_name}.name}}"
    }


def test_solution_deployment_uses_the_custom_policy(solution: dict[str, list[Any]]) -> None:
    (deployment,) = resources(solution, "azurerm_cognitive_deployment").values()
    assert deployment["rai_policy_name"] == "${azapi_resource.rai_policy.name}"


def test_solution_api_requires_a_subscription(solution: dict[str, list[Any]]) -> None:
    (api,) = resources(solution, "azurerm_api_management_api").values()
    assert api["subscription_required"] is True
    assert api["path"] == "openai"
    assert api["service_url"] == "${azurerm_cognitive_account.openai.endpoint}openai"


def gateway_policy(solution: dict[str, list[Any]]) -> tuple[PolicyElement, ...]:
    """The API policy's <inbound> (top level), with its Terraform references resolved."""
    (policy,) = resources(solution, "azurerm_api_management_api_policy").values()
    assert policy["xml_content"] == "${local.gateway_policy}"
    text = merged(solution, "locals")["gateway_policy"]
    text = re.sub(r"^\"?<<-?XML\n|\n\s*XML\"?$", "", text)
    backends = resources(solution, "azurerm_api_management_backend")
    for name, body in backends.items():
        text = text.replace(f"${{azurerm_api_management_backend.{name}.name}}", body["name"])
    text = text.replace("${var.tokens_per_minute}", str(TOKENS_PER_MINUTE_DEFAULT))
    assert "${" not in text
    return parse_policy(text).section("inbound")


def test_solution_gateway_policy(solution: dict[str, list[Any]]) -> None:
    own = gateway_policy(solution)
    assert own[0].tag == "base"  # the service-wide policy stays in force
    inbound = effective_section(PolicyDocument({"inbound": own}), None, "inbound")
    tags = [e.tag for e in walk(inbound)]
    backends = {b["name"]: b for b in resources(solution, "azurerm_api_management_backend").values()}
    by_tag = {e.tag: e for e in walk(inbound)}
    assert backends[by_tag["set-backend-service"].attribute("backend-id")]["url"].endswith("openai")
    assert by_tag["authentication-managed-identity"].attribute("resource") == "https://cognitiveservices.azure.com"
    assert not [e for e in walk(inbound) if e.tag == "set-header"]
    safety = by_tag["llm-content-safety"]
    assert safety.attribute("shield-prompt") == "true"
    assert "content_safety.endpoint" in backends[safety.attribute("backend-id")]["url"]
    categories = {
        e.attribute("name"): int(e.attribute("threshold")) for e in walk(safety.children) if e.tag == "category"
    }
    assert set(categories) == {"Hate", "SelfHarm", "Sexual", "Violence"}
    assert max(categories.values()) <= 4
    limit = get_lab(LAB_ID).inputs["max_tokens_per_minute"].default
    assert int(by_tag["llm-token-limit"].attribute("tokens-per-minute")) <= limit
    assert "llm-emit-token-metric" in tags


def test_solution_tokens_per_minute_is_capped_by_the_lab_default(solution: dict[str, list[Any]]) -> None:
    variable = merged(solution, "variable")["tokens_per_minute"]
    assert variable["default"] == TOKENS_PER_MINUTE_DEFAULT
    assert str(get_lab(LAB_ID).inputs["max_tokens_per_minute"].default) in variable["validation"][0]["condition"]


def test_solution_role_assignments(solution: dict[str, list[Any]]) -> None:
    grants = {
        (a["scope"], a["role_definition_name"], a["principal_id"])
        for a in resources(solution, "azurerm_role_assignment").values()
    }
    principal = "${azurerm_api_management.gateway.identity[0].principal_id}"
    assert grants == {
        ("${azurerm_cognitive_account.openai.id}", "Cognitive Services OpenAI User", principal),
        ("${azurerm_cognitive_account.content_safety.id}", "Cognitive Services User", principal),
    }


def test_solution_diagnostics_on_both_accounts(solution: dict[str, list[Any]]) -> None:
    settings = resources(solution, "azurerm_monitor_diagnostic_setting").values()
    assert {s["target_resource_id"] for s in settings} == {
        "${azurerm_cognitive_account.openai.id}",
        "${azurerm_cognitive_account.content_safety.id}",
    }
    for setting in settings:
        assert setting["log_analytics_workspace_id"] == "${azurerm_log_analytics_workspace.lab.id}"
        assert blocks(setting, "enabled_log") == [{"category_group": "allLogs"}]


def test_solution_has_no_todos() -> None:
    assert "TODO" not in tf_text(SOLUTION)


# --------------------------------------------------------------------------------------------------
# starter: leaves the graded parts to the learner
# --------------------------------------------------------------------------------------------------


def test_starter_has_no_gateway_and_no_graded_resources(starter: dict[str, list[Any]]) -> None:
    for type_name in (
        "azurerm_api_management",
        "azurerm_api_management_backend",
        "azurerm_api_management_api",
        "azurerm_api_management_api_policy",
        "azurerm_role_assignment",
        "azurerm_monitor_diagnostic_setting",
        "azurerm_cognitive_account_rai_blocklist",
        "azapi_resource",
    ):
        assert not resources(starter, type_name), type_name
    assert [a["kind"] for a in resources(starter, "azurerm_cognitive_account").values()] == ["OpenAI"]


def test_starter_leaves_keys_on_and_the_default_filter(starter: dict[str, list[Any]]) -> None:
    assert "local_auth_enabled" not in account(starter, "OpenAI")
    (deployment,) = resources(starter, "azurerm_cognitive_deployment").values()
    assert "rai_policy_name" not in deployment


@pytest.mark.parametrize(
    "token", ["local_auth_enabled", "rai_policy_name =", "<llm-content-safety", "authentication-managed-identity"]
)
def test_starter_text_sets_no_graded_setting(token: str) -> None:
    code = "\n".join(line for line in tf_text(STARTER).splitlines() if not line.lstrip().startswith("#"))
    assert token not in code


def test_starter_todos_name_every_check() -> None:
    found = set(re.findall(r"#\s*TODO \(([a-z0-9-]+)\)", tf_text(STARTER)))
    assert found == {c.id for c in get_lab(LAB_ID).checks}
