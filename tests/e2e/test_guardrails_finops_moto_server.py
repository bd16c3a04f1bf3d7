"""`labcheck verify aws-bedrock-guardrails-finops` as a subprocess against the session's moto server.

moto 5.2.5 serves only part of this lab: IAM, Lambda, CloudWatch alarms and metrics, SNS, and budgets with
their notifications. What it lacks (every Bedrock guardrail, inference-profile and Provisioned Throughput
API, Cost Explorer's ListCostAllocationTags, Budgets' DescribeSubscribersForNotification) answers HTTP 500,
so the checks that need it must come out ERROR, never PASS, and the run exits 2. The checks moto can serve
end to end (the token-usage and guardrail-intervention alarms) PASS on the reference and FAIL on a breakage.

Deployment is here rather than in a scenario.py: moto can hold too little of this lab for the demo's
variant matrix. Each variant gets its own fresh account and its own `labcheck` child.
"""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from labcheck.catalog import get_lab
from labcheck.testing.moto_server import account_env, account_session, client_factory

LAB_ID = "aws-bedrock-guardrails-finops"
REGION = "eu-central-1"
CLI_TIMEOUT_S = 120
TAGS = {"labcheck-lab": LAB_ID}
ALERT_EMAIL = "learner@example.com"
_ACCOUNTS = itertools.count(420_000_000_001)  # apart from the other e2e modules' accounts on the shared server

CHECK_IDS = [c.id for c in get_lab(LAB_ID).checks]
EVALUATED = ("token-usage-alarm", "guardrail-intervention-alarm")
# Each of these reaches at least one API moto lacks; the API named is the first one the check calls.
UNSERVED = {
    "guardrail-published": "bedrock:ListGuardrails",
    "guardrail-content-filters": "bedrock:ListGuardrails",
    "guardrail-prompt-attack": "bedrock:ListGuardrails",
    "guardrail-pii": "bedrock:ListGuardrails",
    "guardrail-enforced": "bedrock:ListGuardrails",
    "guardrail-encrypted-cmk": "bedrock:ListGuardrails",
    "app-uses-tagged-inference-profile": "bedrock:ListInferenceProfiles",
    "model-choice-cost-efficient": "bedrock:ListInferenceProfiles",
    "cost-allocation-tag-active": "ce:ListCostAllocationTags",
    "bedrock-budget-alerts": "budgets:ViewBudget",
    "alerts-deliverable": "budgets:ViewBudget",
    "no-provisioned-throughput": "bedrock:ListProvisionedModelThroughputs",
}


@dataclass(frozen=True)
class Design:
    """What one deployment contains; the defaults are the reference as far as moto can hold it."""

    token_alarm: str = "plain"  # plain | metric-math | none
    token_period: int = 3600
    token_actions_enabled: bool = True
    intervention_alarm: bool = True


VARIANTS: dict[str, tuple[Design, str | None]] = {
    "reference": (Design(), None),
    "token-alarm-metric-math": (Design(token_alarm="metric-math"), None),
    "token-alarm-daily": (Design(token_period=86400), "token-usage-alarm"),
    "token-alarm-actions-disabled": (Design(token_actions_enabled=False), "token-usage-alarm"),
    "no-token-alarm": (Design(token_alarm="none"), "token-usage-alarm"),
    "no-intervention-alarm": (Design(intervention_alarm=False), "guardrail-intervention-alarm"),
}


def _function_zip() -> bytes:
    import io
    import zipfile

    code = io.BytesIO()
    with zipfile.ZipFile(code, "w") as archive:
        archive.writestr("index.py", "def handler(event, context):\n    return {}\n")
    return code.getvalue()


def _app(client: Callable[[str], Any], account: str) -> None:
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }
    iam = client("iam")
    role = iam.create_role(RoleName="labcheck-finops-app", AssumeRolePolicyDocument=json.dumps(trust))["Role"]
    guardrail = f"arn:aws:bedrock:{REGION}:{account}:guardrail/gr0abc12345x"
    profile = f"arn:aws:bedrock:{REGION}:{account}:application-inference-profile/a1b2c3d4e5f6"
    invoke = {
        "Effect": "Allow",
        "Action": ["bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream"],
        "Resource": [profile, f"arn:aws:bedrock:{REGION}::foundation-model/amazon.nova-micro-v1:0"],
        "Condition": {"StringEquals": {"bedrock:GuardrailIdentifier": f"{guardrail}:1"}},
    }
    document = {"Version": "2012-10-17", "Statement": [invoke]}
    iam.put_role_policy(RoleName="labcheck-finops-app", PolicyName="bedrock", PolicyDocument=json.dumps(document))
    client("lambda").create_function(
        FunctionName="labcheck-finops-app",
        Runtime="python3.12",
        Role=role["Arn"],
        Handler="index.handler",
        Code={"ZipFile": _function_zip()},
        Tags=TAGS,
    )


def _budget(client: Callable[[str], Any], account: str, topic: str) -> None:
    subscribers = [{"SubscriptionType": "EMAIL", "Address": ALERT_EMAIL}, {"SubscriptionType": "SNS", "Address": topic}]
    notifications = [
        {
            "Notification": {
                "NotificationType": kind,
                "ComparisonOperator": "GREATER_THAN",
                "Threshold": threshold,
                "ThresholdType": "PERCENTAGE",
            },
            "Subscribers": subscribers,
        }
        for kind, threshold in (("ACTUAL", 80.0), ("FORECASTED", 100.0))
    ]
    client("budgets").create_budget(
        AccountId=account,
        Budget={
            "BudgetName": "labcheck-finops-bedrock",
            "BudgetLimit": {"Amount": "20", "Unit": "USD"},
            "CostFilters": {"Service": ["Amazon Bedrock"]},
            "TimeUnit": "MONTHLY",
            "BudgetType": "COST",
        },
        NotificationsWithSubscribers=notifications,
    )


def _alarms(client: Callable[[str], Any], design: Design, topic: str) -> None:
    cloudwatch = client("cloudwatch")
    common = {
        "EvaluationPeriods": 1,
        "ComparisonOperator": "GreaterThanThreshold",
        "TreatMissingData": "notBreaching",
        "AlarmActions": [topic],
    }
    # No ModelId dimension: with one, the check would also read the inference profile, which moto lacks.
    if design.token_alarm == "plain":
        cloudwatch.put_metric_alarm(
            AlarmName="labcheck-finops-input-tokens",
            Namespace="AWS/Bedrock",
            MetricName="InputTokenCount",
            Statistic="Sum",
            Period=design.token_period,
            Threshold=200000,
            ActionsEnabled=design.token_actions_enabled,
            **common,
        )
    if design.token_alarm == "metric-math":
        stat = {"Period": design.token_period, "Stat": "Sum"}
        cloudwatch.put_metric_alarm(
            AlarmName="labcheck-finops-tokens",
            Threshold=400000,
            ActionsEnabled=design.token_actions_enabled,
            Metrics=[
                {
                    "Id": "i",
                    "MetricStat": {"Metric": {"Namespace": "AWS/Bedrock", "MetricName": "InputTokenCount"}, **stat},
                    "ReturnData": False,
                },
                {
                    "Id": "o",
                    "MetricStat": {"Metric": {"Namespace": "AWS/Bedrock", "MetricName": "OutputTokenCount"}, **stat},
                    "ReturnData": False,
                },
                {"Id": "total", "Expression": "i + o", "Label": "tokens", "ReturnData": True},
            ],
            **common,
        )
    if design.intervention_alarm:
        cloudwatch.put_metric_alarm(
            AlarmName="labcheck-finops-guardrail-interventions",
            Namespace="AWS/Bedrock/Guardrails",
            MetricName="InvocationsIntervened",
            Statistic="Sum",
            Period=300,
            Threshold=5,
            **common,
        )


def deploy(client: Callable[[str], Any], design: Design) -> None:
    """What moto can hold of the lab's architecture: the app and its role, the budget, SNS and the alarms."""
    account = client("sts").get_caller_identity()["Account"]
    _app(client, account)
    sns = client("sns")
    topic = sns.create_topic(Name="labcheck-finops-alerts")["TopicArn"]
    sns.subscribe(TopicArn=topic, Protocol="email", Endpoint=ALERT_EMAIL)
    _budget(client, account, topic)
    _alarms(client, design, topic)


@dataclass(frozen=True)
class Run:
    """One finished `labcheck` subprocess."""

    account: str
    code: int
    stdout: str
    stderr: str

    def results(self) -> dict[str, dict[str, Any]]:
        """Check id -> result, from the JSON report."""
        return {r["id"]: r for r in json.loads(self.stdout)["results"]}


def _deployed(url: str, design: Design) -> tuple[str, dict[str, str]]:
    """Deploy a design into a brand-new account; its id and the environment that points a child at it."""
    account = f"{next(_ACCOUNTS):012d}"
    session = account_session(url, account, REGION)
    deploy(client_factory(url, session), design)
    base = {k: os.environ[k] for k in ("PATH", "HOME", "SYSTEMROOT") if k in os.environ}
    return account, base | account_env(url, session)


def _start(env: dict[str, str], workdir: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "labcheck", "verify", LAB_ID, "--format", "json", *args],
        env=env,
        cwd=workdir,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _finish(account: str, child: subprocess.Popen[str]) -> Run:
    try:
        out, err = child.communicate(timeout=CLI_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        child.kill()
        out, err = child.communicate()
    return Run(account, child.returncode, out, err)


@pytest.fixture(scope="module")
def runs(moto_url: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Run]:
    """Every variant deployed into its own account and graded by its own child, the children in parallel."""
    workdir = tmp_path_factory.mktemp("finops-e2e")
    started = []
    for name, (design, _) in VARIANTS.items():
        account, env = _deployed(moto_url, design)
        started.append((name, account, _start(env, workdir)))
    return {name: _finish(account, child) for name, account, child in started}


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_exit_code_is_2_while_moto_lacks_apis(runs: dict[str, Run], variant: str) -> None:
    run = runs[variant]
    assert run.code == 2, run.stderr
    assert "Traceback" not in run.stderr
    document = json.loads(run.stdout)
    assert document["identity"] == {"cloud": "aws", "account": run.account, "region": REGION}
    assert document["exit_code"] == 2
    assert document["passed"] is False
    assert set(run.results()) == set(CHECK_IDS)


@pytest.mark.parametrize("variant", list(VARIANTS))
@pytest.mark.parametrize("check_id", sorted(UNSERVED))
def test_unserved_checks_are_errors_never_passes(runs: dict[str, Run], variant: str, check_id: str) -> None:
    result = runs[variant].results()[check_id]
    assert result["status"] == "error", result
    assert UNSERVED[check_id] in result["message"]


@pytest.mark.parametrize("variant", [v for v, (_, breaks) in VARIANTS.items() if breaks is None])
def test_valid_designs_pass_what_moto_serves(runs: dict[str, Run], variant: str) -> None:
    results = runs[variant].results()
    assert {c: results[c]["status"] for c in EVALUATED} == dict.fromkeys(EVALUATED, "pass")


@pytest.mark.parametrize("variant", [v for v, (_, breaks) in VARIANTS.items() if breaks is not None])
def test_breakage_fails_its_check(runs: dict[str, Run], variant: str) -> None:
    broken = VARIANTS[variant][1]
    results = runs[variant].results()
    assert results[broken]["status"] == "fail", results[broken]
    assert results[broken]["hint"]
    others = [c for c in EVALUATED if c != broken]
    assert {c: results[c]["status"] for c in others} == dict.fromkeys(others, "pass")


def test_reference_messages_name_what_was_read(runs: dict[str, Run]) -> None:
    results = runs["reference"].results()
    assert (
        "alarm labcheck-finops-input-tokens watches InputTokenCount Sum per 3600 s"
        in results["token-usage-alarm"]["message"]
    )
    assert "no datapoints yet" in results["token-usage-alarm"]["message"]
    assert results["guardrail-intervention-alarm"]["severity"] == "advisory"


def test_one_evaluable_check_alone_exits_0(moto_url: str, tmp_path: Path) -> None:
    account, env = _deployed(moto_url, Design())
    run = _finish(account, _start(env, tmp_path, "--check", "token-usage-alarm"))
    assert run.code == 0, run.stderr
    assert {c: r["status"] for c, r in run.results().items()} == {"token-usage-alarm": "pass"}
