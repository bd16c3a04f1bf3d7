"""Static tests for the Terraform of lab aws-bedrock-privatelink (no terraform binary, no network).

The solution must set everything the lab's checks grade; the starter must leave exactly those parts
to the learner, with a TODO naming the check id at each place.
"""

from __future__ import annotations

import importlib.util
import re
from collections import defaultdict
from pathlib import Path
from typing import Any

import hcl2
import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
TERRAFORM_ROOT = REPO_ROOT / "terraform"
LAB_DIR = TERRAFORM_ROOT / "aws-bedrock-privatelink"
SOLUTION = LAB_DIR / "solution"
STARTER = LAB_DIR / "starter"
BOTH = pytest.mark.parametrize("variant", [STARTER, SOLUTION], ids=["starter", "solution"])

# Keys python-hcl2 adds to block bodies (8.x: __is_block__/__comments__, 4.x-7.x: line numbers).
_META_KEYS = frozenset({"__is_block__", "__comments__", "__inline_comments__", "__start_line__", "__end_line__"})

STARTER_TODO_IDS = (
    "vpc-dns-enabled",
    "app-runs-in-private-subnets",
    "bedrock-runtime-interface-endpoint",
    "endpoint-private-dns",
    "endpoint-sg-443-from-vpc-only",
    "endpoint-policy-least-privilege",
    "app-role-requires-sourcevpce",
    "app-role-approved-models-only",
    "region-pinned",
    "invocation-logging-enabled",
    "invocation-logs-encrypted-cmk",
    "logging-role-confused-deputy",
)


# --------------------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------------------


def normalize(value: Any) -> Any:
    """Strip the quotes python-hcl2 8.x keeps around labels and strings, and drop its metadata keys.

    7.x returns plain strings already, so the result is the same for both versions.
    """
    if isinstance(value, str):
        if len(value) >= 2 and value[0] == value[-1] == '"':
            return value[1:-1]
        return value
    if isinstance(value, dict):
        return {normalize(k): normalize(v) for k, v in value.items() if k not in _META_KEYS}
    if isinstance(value, list):
        return [normalize(v) for v in value]
    return value


def load_tf(path: Path) -> dict[str, Any]:
    with path.open(encoding="utf-8") as handle:
        return normalize(hcl2.load(handle))


def load_dir(directory: Path) -> dict[str, list[Any]]:
    """Merge the top-level blocks of every .tf file in a directory, like Terraform does."""
    merged: dict[str, list[Any]] = defaultdict(list)
    for path in sorted(directory.glob("*.tf")):
        for key, value in load_tf(path).items():
            merged[key].extend(value)
    return dict(merged)


def typed_blocks(doc: dict[str, list[Any]], kind: str, type_name: str) -> dict[str, dict[str, Any]]:
    """Return {name: body} of the `resource` or `data` blocks of one type."""
    found: dict[str, dict[str, Any]] = {}
    for entry in doc.get(kind, []):
        found.update(entry.get(type_name, {}))
    return found


def resources(doc: dict[str, list[Any]], type_name: str) -> dict[str, dict[str, Any]]:
    return typed_blocks(doc, "resource", type_name)


def policy_documents(doc: dict[str, list[Any]]) -> dict[str, dict[str, Any]]:
    return typed_blocks(doc, "data", "aws_iam_policy_document")


def blocks(body: dict[str, Any], name: str) -> list[dict[str, Any]]:
    """Nested blocks are lists of bodies; tolerate a single body too."""
    value = body.get(name, [])
    return value if isinstance(value, list) else [value]


def only(mapping: dict[str, dict[str, Any]]) -> dict[str, Any]:
    assert len(mapping) == 1, f"expected exactly one block, found {sorted(mapping)}"
    return next(iter(mapping.values()))


def is_true(value: Any) -> bool:
    return value is True or value == "true"


def conditions(statement: dict[str, Any]) -> set[tuple[str, str]]:
    return {(c["test"], c["variable"]) for c in blocks(statement, "condition")}


def referenced_policy(doc: dict[str, list[Any]], expression: str) -> dict[str, Any]:
    """Resolve `${data.aws_iam_policy_document.<name>.json}` to that data block's body."""
    match = re.fullmatch(r"\$\{data\.aws_iam_policy_document\.(\w+)\.json\}", expression)
    assert match, f"expected a reference to an aws_iam_policy_document, got {expression!r}"
    return policy_documents(doc)[match.group(1)]


def tf_text(directory: Path) -> str:
    return "\n".join(p.read_text(encoding="utf-8") for p in sorted(directory.glob("*.tf")))


@pytest.fixture(scope="module")
def solution() -> dict[str, list[Any]]:
    return load_dir(SOLUTION)


@pytest.fixture(scope="module")
def starter() -> dict[str, list[Any]]:
    return load_dir(STARTER)


# --------------------------------------------------------------------------------------------------
# every lab directory parses
# --------------------------------------------------------------------------------------------------

TF_DIRS = sorted(p for p in TERRAFORM_ROOT.glob("*/*") if p.is_dir() and p.name in {"starter", "solution"})


def test_terraform_directories_are_found() -> None:
    assert SOLUTION in TF_DIRS
    assert STARTER in TF_DIRS


@pytest.mark.parametrize("directory", TF_DIRS, ids=[str(p.relative_to(TERRAFORM_ROOT)) for p in TF_DIRS])
def test_every_tf_file_parses(directory: Path) -> None:
    files = sorted(directory.glob("*.tf"))
    assert files, f"{directory} has no .tf files"
    for path in files:
        assert isinstance(load_tf(path), dict), path


# --------------------------------------------------------------------------------------------------
# shared by starter and solution
# --------------------------------------------------------------------------------------------------


@BOTH
def test_aws_provider_pinned(variant: Path) -> None:
    providers = {}
    for terraform in load_dir(variant)["terraform"]:
        for required in blocks(terraform, "required_providers"):
            providers.update(required)
    assert providers["aws"]["source"] == "hashicorp/aws"
    assert providers["aws"]["version"] == "~> 6.28"
    assert providers["archive"]["source"] == "hashicorp/archive"


@BOTH
def test_provider_default_tags_name_the_lab(variant: Path) -> None:
    doc = load_dir(variant)
    aws = next(p["aws"] for p in doc["provider"] if "aws" in p)
    assert aws["region"] == "${var.region}"
    tags = blocks(aws, "default_tags")[0]["tags"]
    assert tags["labcheck-lab"] == "aws-bedrock-privatelink"
    assert tags["labcheck-learner"] == "${var.learner_id}"


@BOTH
def test_variables_and_defaults(variant: Path) -> None:
    variables: dict[str, dict[str, Any]] = {}
    for entry in load_dir(variant)["variable"]:
        variables.update(entry)
    assert variables["region"]["default"] == "eu-central-1"
    assert variables["learner_id"]["default"] == ""
    assert variables["approved_model_ids"]["default"] == ["anthropic.claude-3-haiku-20240307-v1:0"]
    assert variables["vpc_cidr"]["default"] == "10.20.0.0/16"


@BOTH
def test_approved_model_arns_have_empty_account_field(variant: Path) -> None:
    locals_ = {}
    for entry in load_dir(variant)["locals"]:
        locals_.update(entry)
    arns = locals_["approved_model_arns"]
    assert "var.approved_model_ids" in arns
    assert "arn:aws:bedrock:${var.region}::foundation-model/${id}" in arns


@BOTH
def test_network_is_private(variant: Path) -> None:
    doc = load_dir(variant)
    assert not resources(doc, "aws_internet_gateway")
    assert not resources(doc, "aws_nat_gateway")
    assert not resources(doc, "aws_egress_only_internet_gateway")
    assert not resources(doc, "aws_route")
    assert all("route" not in table for table in resources(doc, "aws_route_table").values())

    subnets = only(resources(doc, "aws_subnet"))
    assert subnets["count"] == 2
    assert subnets["map_public_ip_on_launch"] is False
    assert "data.aws_availability_zones" in subnets["availability_zone"]
    assert "count.index" in subnets["availability_zone"]
    assert only(resources(doc, "aws_route_table_association"))["count"] == 2

    vpc = only(resources(doc, "aws_vpc"))
    assert vpc["cidr_block"] == "${var.vpc_cidr}"
    assert is_true(vpc["enable_dns_support"])


@BOTH
def test_app_function_and_role(variant: Path) -> None:
    doc = load_dir(variant)
    function = resources(doc, "aws_lambda_function")["app"]
    assert function["role"] == "${aws_iam_role.app.arn}"
    assert function["handler"] == "index.handler"
    assert blocks(function, "environment")[0]["variables"]["MODEL_ID"] == "${var.approved_model_ids[0]}"

    role = resources(doc, "aws_iam_role")["app"]
    trust = referenced_policy(doc, role["assume_role_policy"])
    principals = blocks(trust["statement"][0], "principals")
    assert principals == [{"type": "Service", "identifiers": ["lambda.amazonaws.com"]}]


class _FakeBedrockRuntime:
    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []

    def converse(self, **kwargs: Any) -> dict[str, Any]:
        self.calls.append(kwargs)
        return {
            "output": {"message": {"role": "assistant", "content": [{"text": "Private access."}]}},
            "usage": {"inputTokens": 12, "outputTokens": 3, "totalTokens": 15},
        }


@BOTH
def test_app_handler_calls_converse_with_model_from_env(variant: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    spec = importlib.util.spec_from_file_location(f"lab_app_{variant.name}", variant / "app" / "index.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)

    fake = _FakeBedrockRuntime()
    monkeypatch.setattr(module, "_bedrock_runtime", lambda: fake)
    monkeypatch.setenv("MODEL_ID", "anthropic.claude-3-haiku-20240307-v1:0")

    result = module.handler({"prompt": "hi"}, None)

    assert result["answer"] == "Private access."
    assert result["modelId"] == "anthropic.claude-3-haiku-20240307-v1:0"
    (call,) = fake.calls
    assert call["modelId"] == "anthropic.claude-3-haiku-20240307-v1:0"
    assert call["messages"] == [{"role": "user", "content": [{"text": "hi"}]}]


# --------------------------------------------------------------------------------------------------
# solution: sets everything the checks grade
# --------------------------------------------------------------------------------------------------

INVOKE_ACTIONS = ["bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream"]


def test_solution_vpc_dns_enabled(solution: dict[str, list[Any]]) -> None:
    vpc = only(resources(solution, "aws_vpc"))
    assert is_true(vpc["enable_dns_support"])
    assert is_true(vpc["enable_dns_hostnames"])


def test_solution_bedrock_runtime_endpoint(solution: dict[str, list[Any]]) -> None:
    endpoint = only(resources(solution, "aws_vpc_endpoint"))
    assert endpoint["vpc_endpoint_type"] == "Interface"
    assert endpoint["service_name"].startswith("com.amazonaws.")
    assert endpoint["service_name"].endswith(".bedrock-runtime")
    assert is_true(endpoint["private_dns_enabled"])
    assert endpoint["subnet_ids"] == "${aws_subnet.private[*].id}"
    assert endpoint["security_group_ids"] == ["${aws_security_group.vpce.id}"]
    assert endpoint["policy"]


def test_solution_endpoint_policy_least_privilege(solution: dict[str, list[Any]]) -> None:
    endpoint = only(resources(solution, "aws_vpc_endpoint"))
    policy = referenced_policy(solution, endpoint["policy"])
    (statement,) = policy["statement"]
    assert statement.get("effect", "Allow") == "Allow"
    assert statement["actions"] == INVOKE_ACTIONS
    assert statement["resources"] == "${local.approved_model_arns}"
    assert blocks(statement, "principals") == [{"type": "AWS", "identifiers": ["*"]}]
    assert conditions(statement) == {("StringEquals", "aws:PrincipalAccount")}


def test_solution_endpoint_sg_admits_443_from_vpc_only(solution: dict[str, list[Any]]) -> None:
    groups = resources(solution, "aws_security_group")
    assert set(groups) == {"app", "vpce"}
    for group in groups.values():
        assert "ingress" not in group
        assert "egress" not in group

    (rule,) = resources(solution, "aws_vpc_security_group_ingress_rule").values()
    assert rule["security_group_id"] == "${aws_security_group.vpce.id}"
    assert rule["ip_protocol"] == "tcp"
    assert rule["from_port"] == 443
    assert rule["to_port"] == 443
    assert rule["cidr_ipv4"] == "${aws_vpc.this.cidr_block}"


def test_solution_app_runs_in_private_subnets(solution: dict[str, list[Any]]) -> None:
    function = resources(solution, "aws_lambda_function")["app"]
    (vpc_config,) = blocks(function, "vpc_config")
    assert vpc_config["subnet_ids"] == "${aws_subnet.private[*].id}"
    assert vpc_config["security_group_ids"] == ["${aws_security_group.app.id}"]

    attachments = resources(solution, "aws_iam_role_policy_attachment").values()
    assert any(
        a["role"] == "${aws_iam_role.app.name}" and a["policy_arn"].endswith("/AWSLambdaVPCAccessExecutionRole")
        for a in attachments
    )


def test_solution_app_role_policy(solution: dict[str, list[Any]]) -> None:
    inline = resources(solution, "aws_iam_role_policy")
    app_policy = next(p for p in inline.values() if p["role"] == "${aws_iam_role.app.id}")
    statements = referenced_policy(solution, app_policy["policy"])["statement"]
    allows = [s for s in statements if s.get("effect", "Allow") == "Allow"]
    denies = [s for s in statements if s.get("effect") == "Deny"]

    # app-role-approved-models-only and app-role-requires-sourcevpce
    (allow,) = allows
    assert allow["actions"] == INVOKE_ACTIONS
    assert allow["resources"] == "${local.approved_model_arns}"
    (sourcevpce,) = blocks(allow, "condition")
    assert (sourcevpce["test"], sourcevpce["variable"]) == ("StringEquals", "aws:SourceVpce")
    assert sourcevpce["values"] == ["${aws_vpc_endpoint.bedrock_runtime.id}"]

    # region-pinned
    (deny,) = denies
    assert deny["actions"] == ["*"]
    (region,) = blocks(deny, "condition")
    assert (region["test"], region["variable"]) == ("StringNotEquals", "aws:RequestedRegion")
    assert region["values"] == ["${var.region}"]


def test_solution_invocation_logs_encrypted_cmk(solution: dict[str, list[Any]]) -> None:
    key = only(resources(solution, "aws_kms_key"))
    assert is_true(key["enable_key_rotation"])

    key_policy = referenced_policy(solution, key["policy"])
    logs_statements = [
        s
        for s in key_policy["statement"]
        if any("logs.${var.region}.amazonaws.com" in p["identifiers"] for p in blocks(s, "principals"))
    ]
    assert len(logs_statements) == 1
    assert ("ArnLike", "kms:EncryptionContext:aws:logs:arn") in conditions(logs_statements[0])

    log_group = only(resources(solution, "aws_cloudwatch_log_group"))
    assert log_group["kms_key_id"].startswith("${aws_kms_key.")
    assert log_group["retention_in_days"] >= 30


def test_solution_invocation_logging_enabled(solution: dict[str, list[Any]]) -> None:
    config = only(resources(solution, "aws_bedrock_model_invocation_logging_configuration"))
    (logging_config,) = blocks(config, "logging_config")
    assert is_true(logging_config["text_data_delivery_enabled"])
    for kind in ("image", "embedding", "video"):
        assert logging_config[f"{kind}_data_delivery_enabled"] is False
    (cloudwatch,) = blocks(logging_config, "cloudwatch_config")
    assert cloudwatch["log_group_name"] == "${aws_cloudwatch_log_group.invocations.name}"
    assert cloudwatch["role_arn"] == "${aws_iam_role.bedrock_logging.arn}"
    assert "${aws_iam_role_policy.bedrock_logging}" in config["depends_on"]


def test_solution_logging_role_confused_deputy(solution: dict[str, list[Any]]) -> None:
    role = resources(solution, "aws_iam_role")["bedrock_logging"]
    (statement,) = referenced_policy(solution, role["assume_role_policy"])["statement"]
    assert blocks(statement, "principals") == [{"type": "Service", "identifiers": ["bedrock.amazonaws.com"]}]
    assert ("StringEquals", "aws:SourceAccount") in conditions(statement)
    assert ("ArnLike", "aws:SourceArn") in conditions(statement)


def test_solution_pii_masking_policy(solution: dict[str, list[Any]]) -> None:
    policy = only(resources(solution, "aws_cloudwatch_log_data_protection_policy"))
    assert policy["log_group_name"] == "${aws_cloudwatch_log_group.invocations.name}"
    document = policy["policy_document"]
    assert "Audit" in document
    assert "Deidentify" in document
    assert "arn:aws:dataprotection::aws:data-identifier/EmailAddress" in tf_text(SOLUTION)


def test_solution_outputs(solution: dict[str, list[Any]]) -> None:
    outputs = {name for entry in solution["output"] for name in entry}
    assert outputs == {"vpc_id", "vpc_endpoint_id", "function_name", "log_group_name"}


# --------------------------------------------------------------------------------------------------
# starter: leaves the graded parts to the learner
# --------------------------------------------------------------------------------------------------


def test_starter_vpc_lacks_dns_hostnames(starter: dict[str, list[Any]]) -> None:
    vpc = only(resources(starter, "aws_vpc"))
    assert not is_true(vpc.get("enable_dns_hostnames", False))


def test_starter_has_no_endpoint_or_logging(starter: dict[str, list[Any]]) -> None:
    assert not resources(starter, "aws_vpc_endpoint")
    assert not resources(starter, "aws_bedrock_model_invocation_logging_configuration")
    assert not resources(starter, "aws_kms_key")
    assert not resources(starter, "aws_cloudwatch_log_group")
    assert not resources(starter, "aws_security_group")
    assert not resources(starter, "aws_iam_role_policy")
    assert not resources(starter, "aws_iam_role_policy_attachment")
    assert set(resources(starter, "aws_iam_role")) == {"app"}


def test_starter_function_not_in_vpc(starter: dict[str, list[Any]]) -> None:
    function = resources(starter, "aws_lambda_function")["app"]
    assert "vpc_config" not in function


@pytest.mark.parametrize(
    "token",
    [
        "enable_dns_hostnames",
        "private_dns_enabled",
        "aws_vpc_endpoint",
        "vpc_config",
        "aws_bedrock_model_invocation_logging_configuration",
        "enable_key_rotation",
    ],
)
def test_starter_text_has_no_graded_settings(token: str) -> None:
    assert token not in tf_text(STARTER)


def test_starter_todos_name_every_check() -> None:
    found = set(re.findall(r"#\s*TODO \(([a-z0-9-]+)\)", tf_text(STARTER)))
    missing = sorted(set(STARTER_TODO_IDS) - found)
    assert not missing, f"starter has no TODO for {missing}"


def test_solution_has_no_todos() -> None:
    assert "TODO" not in tf_text(SOLUTION)
