"""Static tests for the Terraform of lab aws-bedrock-guardrails-finops (no terraform binary, no network).

The solution must set everything the lab's checks grade, with values the lab's default inputs accept;
the starter must leave exactly those parts to the learner, with a TODO naming the check id at each place.
"""

from __future__ import annotations

import importlib.util
import re
from collections import defaultdict
from pathlib import Path
from typing import Any

import hcl2
import pytest

from labcheck.catalog import get_lab

REPO_ROOT = Path(__file__).resolve().parents[2]
LAB_ID = "aws-bedrock-guardrails-finops"
LAB_DIR = REPO_ROOT / "terraform" / LAB_ID
SOLUTION = LAB_DIR / "solution"
STARTER = LAB_DIR / "starter"
BOTH = pytest.mark.parametrize("variant", [STARTER, SOLUTION], ids=["starter", "solution"])
LAB = get_lab(LAB_ID)
DEFAULTS = {name: spec.default for name, spec in LAB.inputs.items()}
STRENGTH = {"NONE": 0, "LOW": 1, "MEDIUM": 2, "HIGH": 3}

# Keys python-hcl2 adds to block bodies (8.x: __is_block__/__comments__, 4.x-7.x: line numbers).
_META_KEYS = frozenset({"__is_block__", "__comments__", "__inline_comments__", "__start_line__", "__end_line__"})


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


def typed_blocks(doc: dict[str, list[Any]], kind: str, type_name: str) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for entry in doc.get(kind, []):
        found.update(entry.get(type_name, {}))
    return found


def resources(doc: dict[str, list[Any]], type_name: str) -> dict[str, dict[str, Any]]:
    return typed_blocks(doc, "resource", type_name)


def blocks(body: dict[str, Any], name: str) -> list[dict[str, Any]]:
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


def referenced_policy(doc: dict[str, list[Any]], expression: str) -> dict[str, Any]:
    match = re.fullmatch(r"\$\{data\.aws_iam_policy_document\.(\w+)\.json\}", expression)
    assert match, f"expected a reference to an aws_iam_policy_document, got {expression!r}"
    return typed_blocks(doc, "data", "aws_iam_policy_document")[match.group(1)]


def tf_text(directory: Path) -> str:
    return "\n".join(p.read_text(encoding="utf-8") for p in sorted(directory.glob("*.tf")))


@pytest.fixture(scope="module")
def solution() -> dict[str, list[Any]]:
    return load_dir(SOLUTION)


@pytest.fixture(scope="module")
def starter() -> dict[str, list[Any]]:
    return load_dir(STARTER)


# --- both ---------------------------------------------------------------------------------------------


@BOTH
def test_every_file_parses(variant: Path) -> None:
    names = {p.name for p in variant.glob("*.tf")}
    assert names == {"main.tf", "variables.tf", "outputs.tf", "versions.tf"}
    assert load_dir(variant)["resource"]


@BOTH
def test_aws_provider_pinned(variant: Path) -> None:
    providers: dict[str, Any] = {}
    for terraform in load_dir(variant)["terraform"]:
        for required in blocks(terraform, "required_providers"):
            providers.update(required)
    assert providers["aws"] == {"source": "hashicorp/aws", "version": "~> 6.28"}
    assert providers["archive"]["source"] == "hashicorp/archive"


@BOTH
def test_default_tags_name_the_lab_and_the_cost_center(variant: Path) -> None:
    aws = next(p["aws"] for p in load_dir(variant)["provider"] if "aws" in p)
    assert aws["region"] == "${var.region}"
    tags = blocks(aws, "default_tags")[0]["tags"]
    assert tags == {
        "labcheck-lab": LAB_ID,
        "labcheck-learner": "${var.learner_id}",
        "CostCenter": "${var.cost_center}",
    }


@BOTH
def test_variables_fit_the_lab_inputs(variant: Path) -> None:
    variables = merged(load_dir(variant), "variable")
    assert {"alert_email", "budget_usd", "model_id", "region", "learner_id", "cost_center"} <= set(variables)
    assert "default" not in variables["alert_email"]  # the learner must say where alerts go
    assert variables["model_id"]["default"] in DEFAULTS["cost_efficient_model_ids"]
    assert 0 < variables["budget_usd"]["default"] <= DEFAULTS["max_monthly_budget_usd"]
    assert variables["cost_center"]["default"]


@BOTH
def test_given_app_and_role(variant: Path) -> None:
    doc = load_dir(variant)
    function = resources(doc, "aws_lambda_function")["app"]
    assert function["role"] == "${aws_iam_role.app.arn}"
    assert function["handler"] == "index.handler"
    assert set(blocks(function, "environment")[0]["variables"]) == {"MODEL_ARN", "GUARDRAIL_ID", "GUARDRAIL_VERSION"}
    trust = referenced_policy(doc, resources(doc, "aws_iam_role")["app"]["assume_role_policy"])
    assert blocks(trust["statement"][0], "principals") == [{"type": "Service", "identifiers": ["lambda.amazonaws.com"]}]


@BOTH
def test_no_provisioned_throughput(variant: Path) -> None:
    assert not resources(load_dir(variant), "aws_bedrock_provisioned_model_throughput")


class _FakeRuntime:
    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []

    def converse(self, **kwargs: Any) -> dict[str, Any]:
        self.calls.append(kwargs)
        return {
            "output": {"message": {"role": "assistant", "content": [{"text": "Because the DRAFT changes."}]}},
            "stopReason": "end_turn",
            "usage": {"inputTokens": 14, "outputTokens": 6, "totalTokens": 20},
        }


def _app_module(variant: Path) -> Any:
    spec = importlib.util.spec_from_file_location(f"finops_app_{variant.name}", variant / "app" / "index.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@BOTH
def test_app_sends_the_guardrail_version(variant: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    module = _app_module(variant)
    fake = _FakeRuntime()
    monkeypatch.setattr(module, "_bedrock_runtime", lambda: fake)
    profile = "arn:aws:bedrock:us-east-1:111122223333:application-inference-profile/a1b2c3d4e5f6"
    monkeypatch.setenv("MODEL_ARN", profile)
    monkeypatch.setenv("GUARDRAIL_ID", "gr0abc12345x")
    monkeypatch.setenv("GUARDRAIL_VERSION", "3")
    result = module.handler({"prompt": "hi"}, None)
    assert result["answer"] == "Because the DRAFT changes."
    assert (result["modelArn"], result["stopReason"]) == (profile, "end_turn")
    (call,) = fake.calls
    assert call["modelId"] == profile
    assert call["guardrailConfig"] == {
        "guardrailIdentifier": "gr0abc12345x",
        "guardrailVersion": "3",
        "trace": "enabled",
    }
    assert call["messages"] == [{"role": "user", "content": [{"text": "hi"}]}]


@BOTH
def test_app_without_a_guardrail_sends_none(variant: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    module = _app_module(variant)
    fake = _FakeRuntime()
    monkeypatch.setattr(module, "_bedrock_runtime", lambda: fake)
    monkeypatch.setenv("MODEL_ARN", "arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-micro-v1:0")
    monkeypatch.setenv("GUARDRAIL_ID", "")
    module.handler(None, None)
    (call,) = fake.calls
    assert "guardrailConfig" not in call


# --- solution: sets everything the checks grade -------------------------------------------------------


def test_solution_guardrail_published(solution: dict[str, list[Any]]) -> None:
    version = only(resources(solution, "aws_bedrock_guardrail_version"))
    assert version["guardrail_arn"] == "${aws_bedrock_guardrail.this.guardrail_arn}"
    assert version["skip_destroy"] is False


def _filters(solution: dict[str, list[Any]]) -> dict[str, dict[str, Any]]:
    guardrail = only(resources(solution, "aws_bedrock_guardrail"))
    (content,) = blocks(guardrail, "content_policy_config")
    return {f["type"]: f for f in blocks(content, "filters_config")}


def test_solution_guardrail_content_filters(solution: dict[str, list[Any]]) -> None:
    filters = _filters(solution)
    minimum = STRENGTH[DEFAULTS["min_filter_strength"]]
    for category in DEFAULTS["required_content_filters"]:
        f = filters[category]
        assert STRENGTH[f["input_strength"]] >= minimum, category
        assert STRENGTH[f["output_strength"]] >= minimum, category
        assert f.get("input_action", "BLOCK") == f.get("output_action", "BLOCK") == "BLOCK"
        assert f.get("input_enabled", True) is not False
        assert f.get("output_enabled", True) is not False


def test_solution_guardrail_prompt_attack(solution: dict[str, list[Any]]) -> None:
    attack = _filters(solution)["PROMPT_ATTACK"]
    assert STRENGTH[attack["input_strength"]] >= STRENGTH[DEFAULTS["prompt_attack_min_strength"]]
    assert attack["output_strength"] == "NONE"


def test_solution_guardrail_pii(solution: dict[str, list[Any]]) -> None:
    guardrail = only(resources(solution, "aws_bedrock_guardrail"))
    (sensitive,) = blocks(guardrail, "sensitive_information_policy_config")
    entities = {p["type"]: p["action"] for p in blocks(sensitive, "pii_entities_config")}
    for kind in DEFAULTS["required_pii"]:
        assert entities[kind] in ("BLOCK", "ANONYMIZE"), kind


def test_solution_guardrail_encrypted_cmk(solution: dict[str, list[Any]]) -> None:
    guardrail = only(resources(solution, "aws_bedrock_guardrail"))
    assert guardrail["kms_key_arn"] == "${aws_kms_key.guardrail.arn}"
    assert resources(solution, "aws_kms_key")["guardrail"]["enable_key_rotation"] is True
    assert guardrail["blocked_input_messaging"]
    assert guardrail["blocked_outputs_messaging"]


def _app_statements(solution: dict[str, list[Any]]) -> dict[str, dict[str, Any]]:
    policy = resources(solution, "aws_iam_role_policy")["app_bedrock"]
    assert policy["role"] == "${aws_iam_role.app.id}"
    return {s["sid"]: s for s in referenced_policy(solution, policy["policy"])["statement"]}


def test_solution_guardrail_enforced(solution: dict[str, list[Any]]) -> None:
    identifier = merged(solution, "locals")["guardrail_identifier"]
    assert identifier == "${aws_bedrock_guardrail.this.guardrail_arn}:${aws_bedrock_guardrail_version.this.version}"
    invoke = _app_statements(solution)["InvokeThroughProfileWithGuardrail"]
    assert blocks(invoke, "condition") == [
        {"test": "StringEquals", "variable": "bedrock:GuardrailIdentifier", "values": ["${local.guardrail_identifier}"]}
    ]
    variables = blocks(resources(solution, "aws_lambda_function")["app"], "environment")[0]["variables"]
    assert variables["GUARDRAIL_ID"] == "${aws_bedrock_guardrail.this.guardrail_id}"
    assert variables["GUARDRAIL_VERSION"] == "${aws_bedrock_guardrail_version.this.version}"


def test_solution_app_uses_tagged_inference_profile(solution: dict[str, list[Any]]) -> None:
    profile = only(resources(solution, "aws_bedrock_inference_profile"))
    assert blocks(profile, "model_source") == [{"copy_from": "${local.model_arn}"}]
    assert profile["tags"] == {"CostCenter": "${var.cost_center}"}
    variables = blocks(resources(solution, "aws_lambda_function")["app"], "environment")[0]["variables"]
    assert variables["MODEL_ARN"] == "${aws_bedrock_inference_profile.this.arn}"


def test_solution_model_choice_cost_efficient(solution: dict[str, list[Any]]) -> None:
    model_arn = merged(solution, "locals")["model_arn"]
    assert model_arn == "arn:aws:bedrock:${var.region}::foundation-model/${var.model_id}"
    statements = _app_statements(solution)
    invoke = statements["InvokeThroughProfileWithGuardrail"]
    assert invoke["actions"] == ["bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream"]
    assert invoke["resources"] == ["${aws_bedrock_inference_profile.this.arn}", "${local.model_arn}"]
    others = [s for sid, s in statements.items() if sid != "InvokeThroughProfileWithGuardrail"]
    assert all(not any(a.startswith("bedrock:Invoke") for a in s["actions"]) for s in others)


def test_solution_cost_allocation_tag_active(solution: dict[str, list[Any]]) -> None:
    tag = only(resources(solution, "aws_ce_cost_allocation_tag"))
    assert (tag["tag_key"], tag["status"]) == ("CostCenter", "Active")
    assert merged(solution, "variable")["activate_cost_allocation_tag"]["default"] is True


def test_solution_bedrock_budget_alerts(solution: dict[str, list[Any]]) -> None:
    budget = only(resources(solution, "aws_budgets_budget"))
    assert (budget["budget_type"], budget["time_unit"], budget["limit_unit"]) == ("COST", "MONTHLY", "USD")
    assert budget["limit_amount"] == "${var.budget_usd}"
    assert blocks(budget, "cost_filter") == [{"name": "Service", "values": ["Amazon Bedrock"]}]
    notes = {n["notification_type"]: n for n in blocks(budget, "notification")}
    assert set(notes) == {"ACTUAL", "FORECASTED"}
    for note in notes.values():
        assert note["comparison_operator"] == "GREATER_THAN"
        assert note["threshold_type"] == "PERCENTAGE"
        assert note["threshold"] <= 100
        assert note["subscriber_email_addresses"] == ["${var.alert_email}"]
        assert note["subscriber_sns_topic_arns"] == ["${aws_sns_topic.alerts.arn}"]


def test_solution_token_usage_alarm(solution: dict[str, list[Any]]) -> None:
    alarm = resources(solution, "aws_cloudwatch_metric_alarm")["tokens"]
    assert (alarm["namespace"], alarm["metric_name"], alarm["statistic"]) == ("AWS/Bedrock", "InputTokenCount", "Sum")
    assert alarm["period"] <= DEFAULTS["max_alarm_period_s"]
    assert alarm["dimensions"] == {"ModelId": "${aws_bedrock_inference_profile.this.arn}"}
    assert alarm["alarm_actions"] == ["${aws_sns_topic.alerts.arn}"]
    assert alarm.get("actions_enabled", True) is True


def test_solution_guardrail_intervention_alarm(solution: dict[str, list[Any]]) -> None:
    alarm = resources(solution, "aws_cloudwatch_metric_alarm")["guardrail_interventions"]
    assert (alarm["namespace"], alarm["metric_name"]) == ("AWS/Bedrock/Guardrails", "InvocationsIntervened")
    assert alarm["statistic"] in ("Sum", "SampleCount")
    assert alarm["alarm_actions"] == ["${aws_sns_topic.alerts.arn}"]


def test_solution_alerts_deliverable(solution: dict[str, list[Any]]) -> None:
    subscription = only(resources(solution, "aws_sns_topic_subscription"))
    assert subscription == {
        "topic_arn": "${aws_sns_topic.alerts.arn}",
        "protocol": "email",
        "endpoint": "${var.alert_email}",
    }
    topic_policy = only(resources(solution, "aws_sns_topic_policy"))
    (statement,) = referenced_policy(solution, topic_policy["policy"])["statement"]
    (principals,) = blocks(statement, "principals")
    assert "budgets.amazonaws.com" in principals["identifiers"]
    assert statement["actions"] == ["SNS:Publish"]


def test_solution_outputs(solution: dict[str, list[Any]]) -> None:
    outputs = {name for entry in solution["output"] for name in entry}
    assert {"function_name", "guardrail_id", "guardrail_version", "inference_profile_arn"} <= outputs


def test_solution_has_no_todos() -> None:
    assert "TODO" not in tf_text(SOLUTION)


# --- starter: leaves the graded parts to the learner --------------------------------------------------

GRADED_TYPES = (
    "aws_kms_key",
    "aws_bedrock_guardrail",
    "aws_bedrock_guardrail_version",
    "aws_bedrock_inference_profile",
    "aws_ce_cost_allocation_tag",
    "aws_iam_role_policy",
    "aws_sns_topic",
    "aws_sns_topic_subscription",
    "aws_budgets_budget",
    "aws_cloudwatch_metric_alarm",
)


@pytest.mark.parametrize("type_name", GRADED_TYPES)
def test_starter_lacks_graded_resources(starter: dict[str, list[Any]], type_name: str) -> None:
    assert not resources(starter, type_name)


def test_starter_app_calls_the_model_directly_without_a_guardrail(starter: dict[str, list[Any]]) -> None:
    variables = blocks(resources(starter, "aws_lambda_function")["app"], "environment")[0]["variables"]
    assert variables == {"MODEL_ARN": "${local.model_arn}", "GUARDRAIL_ID": "", "GUARDRAIL_VERSION": ""}
    assert set(resources(starter, "aws_iam_role")) == {"app"}


def test_starter_keeps_provisioned_throughput_commented_out() -> None:
    text = tf_text(STARTER)
    assert '# resource "aws_bedrock_provisioned_model_throughput"' in text
    assert not re.search(r'^resource "aws_bedrock_provisioned_model_throughput"', text, re.MULTILINE)


def test_starter_todos_name_every_check() -> None:
    found = set(re.findall(r"#\s*TODO \(([a-z0-9-]+)\)", tf_text(STARTER)))
    assert found == {c.id for c in LAB.checks}
