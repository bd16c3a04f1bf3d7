"""The passing architecture of aws-bedrock-guardrails-finops as a FakeAws, and the runner glue its tests share.

`reference()` mirrors the lab's Terraform solution (shared/specs/aws.md §5, Lab C Terraform): every check
passes on it, and each test case is one small edit of a fresh copy. The test module reaches everything here
through fixtures, so nothing imports this file by name.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from labcheck.catalog import Lab, get_lab
from labcheck.model import Result
from labcheck.providers.aws.view import Function, KmsKey, NamedPolicy, Role
from labcheck.providers.aws.view_finops import (
    Alarm,
    Budget,
    BudgetNotification,
    BudgetSubscriber,
    ContentFilter,
    CostAllocationTag,
    Guardrail,
    GuardrailSummary,
    GuardrailVersion,
    InferenceProfile,
    MetricStat,
    PiiEntity,
    TopicSubscription,
)
from labcheck.testing.aws import FakeAws
from tests.labs.contract import AwsSubject

LAB_ID = "aws-bedrock-guardrails-finops"
ACCOUNT = "111122223333"
REGION = "eu-central-1"
MODEL_ID = "amazon.nova-micro-v1:0"
MODEL_ARN = f"arn:aws:bedrock:{REGION}::foundation-model/{MODEL_ID}"
PROFILE_ID = "a1b2c3d4e5f6"
PROFILE_ARN = f"arn:aws:bedrock:{REGION}:{ACCOUNT}:application-inference-profile/{PROFILE_ID}"
GUARDRAIL_ID = "gr0abc12345x"
GUARDRAIL_ARN = f"arn:aws:bedrock:{REGION}:{ACCOUNT}:guardrail/{GUARDRAIL_ID}"
APP_ROLE = "labcheck-finops-app"
APP_ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/{APP_ROLE}"
FUNCTION_ARN = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:labcheck-finops-app"
KEY_ID = "1234abcd-12ab-34cd-56ef-1234567890ab"
KEY_ARN = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/{KEY_ID}"
TOPIC_ARN = f"arn:aws:sns:{REGION}:{ACCOUNT}:labcheck-finops-alerts"
ALERT_EMAIL = "learner@example.com"
BUDGET = "labcheck-finops-bedrock"
LAB_TAGS = {"labcheck-lab": LAB_ID}
INVOKE_ACTIONS = ["bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream"]
CATEGORIES = ("HATE", "INSULTS", "SEXUAL", "VIOLENCE", "MISCONDUCT")
PII = ("EMAIL", "PHONE", "CREDIT_DEBIT_CARD_NUMBER", "US_SOCIAL_SECURITY_NUMBER", "AWS_ACCESS_KEY", "AWS_SECRET_KEY")
ACTUAL = BudgetNotification("ACTUAL", "GREATER_THAN", 80.0, "PERCENTAGE")
FORECASTED = BudgetNotification("FORECASTED", "GREATER_THAN", 100.0, "PERCENTAGE")


def app_policy() -> dict[str, Any]:
    """The profile and its model, only with version 1 of the lab guardrail, and ApplyGuardrail on it."""
    invoke = {
        "Sid": "InvokeThroughProfileWithGuardrail",
        "Effect": "Allow",
        "Action": list(INVOKE_ACTIONS),
        "Resource": [PROFILE_ARN, MODEL_ARN],
        "Condition": {"StringEquals": {"bedrock:GuardrailIdentifier": f"{GUARDRAIL_ARN}:1"}},
    }
    apply = {
        "Sid": "ApplyTheGuardrail",
        "Effect": "Allow",
        "Action": "bedrock:ApplyGuardrail",
        "Resource": GUARDRAIL_ARN,
    }
    decrypt = {"Sid": "ReadTheGuardrailKey", "Effect": "Allow", "Action": "kms:Decrypt", "Resource": KEY_ARN}
    return {"Version": "2012-10-17", "Statement": [invoke, apply, decrypt]}


def guardrail_version(version: str = "1") -> Guardrail:
    """The published guardrail: five categories at HIGH, prompt attacks at HIGH, six PII types, a CMK."""
    filters = tuple(ContentFilter(c, "HIGH", "HIGH") for c in CATEGORIES)
    filters += (ContentFilter("PROMPT_ATTACK", "HIGH", "NONE"),)
    pii = tuple(PiiEntity(p, "ANONYMIZE" if p in ("EMAIL", "PHONE") else "BLOCK") for p in PII)
    return Guardrail(
        id=GUARDRAIL_ID,
        arn=GUARDRAIL_ARN,
        name="labcheck-finops",
        version=version,
        status="READY",
        content_filters=filters,
        tier="CLASSIC",
        pii_entities=pii,
        kms_key_arn=KEY_ARN,
    )


def _guardrail(fake: FakeAws) -> None:
    fake.guardrail_list.append(GuardrailSummary(GUARDRAIL_ID, GUARDRAIL_ARN, "labcheck-finops", dict(LAB_TAGS)))
    fake.guardrail_version_list[GUARDRAIL_ARN] = [GuardrailVersion("DRAFT", "READY"), GuardrailVersion("1", "READY")]
    fake.guardrail_configs[(GUARDRAIL_ID, "1")] = guardrail_version("1")
    fake.keys[KEY_ARN] = KmsKey(KEY_ID, KEY_ARN, "CUSTOMER", "Enabled", "SYMMETRIC_DEFAULT", rotation_enabled=True)


def _app(fake: FakeAws) -> None:
    fake.functions.append(Function("labcheck-finops-app", FUNCTION_ARN, APP_ROLE_ARN, (), (), dict(LAB_TAGS)))
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }
    fake.roles[APP_ROLE] = Role(APP_ROLE, APP_ROLE_ARN, trust)
    fake.policies[APP_ROLE] = [NamedPolicy("bedrock", app_policy())]
    tags = {**LAB_TAGS, "CostCenter": "genai-lab"}
    fake.inference_profiles.append(
        InferenceProfile(PROFILE_ID, PROFILE_ARN, "labcheck-finops", "APPLICATION", "ACTIVE", (MODEL_ARN,), tags)
    )


def _finops(fake: FakeAws) -> None:
    fake.cost_tags.append(CostAllocationTag("CostCenter", "UserDefined", "Active", "2026-01-01T00:00:00Z"))
    fake.budget_list.append(
        Budget(
            name=BUDGET,
            type="COST",
            time_unit="MONTHLY",
            limit_amount=20.0,
            limit_unit="USD",
            cost_filters={"Service": ("Amazon Bedrock",)},
            notifications=(ACTUAL, FORECASTED),
        )
    )
    fake.subscribers[(BUDGET, ACTUAL)] = [BudgetSubscriber("EMAIL", ALERT_EMAIL)]
    fake.subscribers[(BUDGET, FORECASTED)] = [
        BudgetSubscriber("EMAIL", ALERT_EMAIL),
        BudgetSubscriber("SNS", TOPIC_ARN),
    ]
    tokens = MetricStat("AWS/Bedrock", "InputTokenCount", {"ModelId": PROFILE_ARN}, "Sum", 3600)
    interventions = MetricStat("AWS/Bedrock/Guardrails", "InvocationsIntervened", {}, "Sum", 300)
    fake.alarms += [
        Alarm("labcheck-finops-tokens", _alarm_arn("tokens"), True, (TOPIC_ARN,), metric=tokens),
        Alarm("labcheck-finops-interventions", _alarm_arn("interventions"), True, (TOPIC_ARN,), metric=interventions),
    ]
    fake.published[("AWS/Bedrock", "InputTokenCount")] = [{"ModelId": PROFILE_ARN}]
    fake.topics[TOPIC_ARN] = [
        TopicSubscription(f"{TOPIC_ARN}:0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0", "email", ALERT_EMAIL)
    ]


def _alarm_arn(name: str) -> str:
    return f"arn:aws:cloudwatch:{REGION}:{ACCOUNT}:alarm:labcheck-finops-{name}"


def reference() -> FakeAws:
    """A fresh copy of the passing architecture."""
    fake = FakeAws(account_id=ACCOUNT, region=REGION)
    _guardrail(fake)
    _app(fake)
    _finops(fake)
    return fake


Runner = Callable[..., Result]


@pytest.fixture(scope="session")
def lab() -> Lab:
    """The lab under test."""
    return get_lab(LAB_ID)


@pytest.fixture(name="reference")
def reference_fixture() -> Callable[[], FakeAws]:
    """The factory of fresh reference architectures."""
    return reference


@pytest.fixture
def subject(lab: Lab) -> AwsSubject:
    """The references and the grading the shared contract tests use."""
    return AwsSubject(lab, {"": reference})


@pytest.fixture
def run(subject: AwsSubject) -> Runner:
    """Run one check through the real runner against a fake account, with optional key=value inputs."""
    return subject.run
