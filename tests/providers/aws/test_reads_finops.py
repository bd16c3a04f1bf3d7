"""The FinOps reads of the live adapter through real boto3: moto in-process, Stubber where moto lacks an API.

moto 5.2.5 has budgets (without DescribeSubscribersForNotification), CloudWatch alarms and metrics, and SNS;
it has none of the Bedrock guardrail, inference-profile or Provisioned Throughput APIs, nor Cost Explorer's
ListCostAllocationTags. Those are answered by a botocore Stubber on the very client the adapter uses,
with shape-valid responses (a misspelt member fails at add_response). Every test runs offline (conftest.py).
"""

from __future__ import annotations

import datetime as dt
import inspect
import json
from collections import Counter
from collections.abc import Callable, Mapping
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from labcheck.errors import PermissionDeniedError, ProviderError, ReadOnlyViolationError
from labcheck.providers.aws.actions import iam_action
from labcheck.providers.aws.clients import ClientPool
from labcheck.providers.aws.live import LiveAws
from labcheck.providers.aws.session import AwsOptions, new_session
from labcheck.providers.aws.view import AwsView
from labcheck.providers.aws.view_finops import (
    READ_ACTIONS,
    Alarm,
    Budget,
    BudgetNotification,
    BudgetSubscriber,
    ContentFilter,
    CostAllocationTag,
    EnforcedGuardrail,
    FinopsView,
    Guardrail,
    GuardrailSummary,
    GuardrailVersion,
    InferenceProfile,
    MetricQuery,
    MetricStat,
    PiiEntity,
    ProvisionedThroughput,
    TopicSubscription,
)
from labcheck.testing.moto import ClientFactory

REGION = "eu-central-1"
ACCOUNT = "123456789012"  # moto's default account
OPTIONS = AwsOptions(region=REGION, max_attempts=1)
LAB_ID = "aws-bedrock-guardrails-finops"
LAB_TAG = "labcheck-lab"
WHEN = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)
GUARDRAIL_ID = "gr0abc12345x"
GUARDRAIL_ARN = f"arn:aws:bedrock:{REGION}:{ACCOUNT}:guardrail/{GUARDRAIL_ID}"
OTHER_ARN = f"arn:aws:bedrock:{REGION}:{ACCOUNT}:guardrail/gr0other00000"
KEY_ARN = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
MODEL_ARN = f"arn:aws:bedrock:{REGION}::foundation-model/amazon.nova-micro-v1:0"
PROFILE_ARN = f"arn:aws:bedrock:{REGION}:{ACCOUNT}:application-inference-profile/a1b2c3d4e5f6"
OTHER_PROFILE = f"arn:aws:bedrock:{REGION}:{ACCOUNT}:application-inference-profile/f6e5d4c3b2a1"
BUDGET = "labcheck-finops-bedrock"
ACTUAL = BudgetNotification("ACTUAL", "GREATER_THAN", 80.0, "PERCENTAGE")
FORECASTED = BudgetNotification("FORECASTED", "GREATER_THAN", 100.0, "PERCENTAGE")


def open_live() -> LiveAws:
    return LiveAws.open(OPTIONS)


def _summary(guardrail_id: str, version: str, status: str = "READY") -> dict[str, Any]:
    arn = f"arn:aws:bedrock:{REGION}:{ACCOUNT}:guardrail/{guardrail_id}"
    return {
        "id": guardrail_id,
        "arn": arn,
        "status": status,
        "name": f"name-of-{guardrail_id}",
        "version": version,
        "createdAt": WHEN,
        "updatedAt": WHEN,
    }


def _tags(**tags: str) -> dict[str, Any]:
    return {"tags": [{"key": k, "value": v} for k, v in tags.items()]}


GET_GUARDRAIL: dict[str, Any] = {
    "name": "labcheck-finops",
    "guardrailId": GUARDRAIL_ID,
    "guardrailArn": GUARDRAIL_ARN,
    "version": "1",
    "status": "READY",
    "createdAt": WHEN,
    "updatedAt": WHEN,
    "blockedInputMessaging": "Sorry, I cannot help with that.",
    "blockedOutputsMessaging": "Sorry, I cannot answer that.",
    "contentPolicy": {
        "filters": [
            # An older guardrail: no actions, no enabled flags.
            {"type": "HATE", "inputStrength": "HIGH", "outputStrength": "MEDIUM"},
            {
                "type": "PROMPT_ATTACK",
                "inputStrength": "HIGH",
                "outputStrength": "NONE",
                "inputAction": "BLOCK",
                "outputAction": "NONE",
                "inputEnabled": True,
                "outputEnabled": False,
            },
        ],
        "tier": {"tierName": "STANDARD"},
    },
    "crossRegionDetails": {
        "guardrailProfileId": "eu.guardrail.v1:0",
        "guardrailProfileArn": f"arn:aws:bedrock:{REGION}:{ACCOUNT}:guardrail-profile/eu.guardrail.v1:0",
    },
    "sensitiveInformationPolicy": {
        "piiEntities": [
            {"type": "EMAIL", "action": "ANONYMIZE"},
            {"type": "AWS_ACCESS_KEY", "action": "NONE", "inputAction": "BLOCK", "outputAction": "BLOCK"},
        ],
        "regexes": [{"name": "ticket", "pattern": "T-[0-9]+", "action": "BLOCK"}],
    },
    "kmsKeyArn": KEY_ARN,
}


def _profile_summary(arn: str, name: str) -> dict[str, Any]:
    return {
        "inferenceProfileName": name,
        "inferenceProfileArn": arn,
        "models": [{"modelArn": MODEL_ARN}],
        "inferenceProfileId": arn.rsplit("/", 1)[1],
        "status": "ACTIVE",
        "type": "APPLICATION",
        "createdAt": WHEN,
        "updatedAt": WHEN,
    }


def _throughput(name: str, status: str, units: int, commitment: str | None = None) -> dict[str, Any]:
    summary: dict[str, Any] = {
        "provisionedModelName": name,
        "provisionedModelArn": f"arn:aws:bedrock:{REGION}:{ACCOUNT}:provisioned-model/{name}",
        "modelArn": MODEL_ARN,
        "desiredModelArn": MODEL_ARN,
        "foundationModelArn": MODEL_ARN,
        "modelUnits": units,
        "desiredModelUnits": units,
        "status": status,
        "creationTime": WHEN,
        "lastModifiedTime": WHEN,
    }
    if commitment:
        summary["commitmentDuration"] = commitment
        summary["commitmentExpirationTime"] = WHEN + dt.timedelta(days=30)
    return summary


def _notification_key(note: BudgetNotification) -> dict[str, Any]:
    return {
        "NotificationType": note.type,
        "ComparisonOperator": note.comparison,
        "Threshold": note.threshold,
        "ThresholdType": note.threshold_type,
    }


# --- moto fixtures ----------------------------------------------------------------------------------


def _create_budgets(client: ClientFactory) -> None:
    budgets = client("budgets")
    with_service = {
        "BudgetName": BUDGET,
        "BudgetLimit": {"Amount": "20", "Unit": "USD"},
        "CostFilters": {"Service": ["Amazon Bedrock"]},
        "TimeUnit": "MONTHLY",
        "BudgetType": "COST",
    }
    notes = [
        {
            "Notification": _notification_key(n),
            "Subscribers": [{"SubscriptionType": "EMAIL", "Address": "a@example.com"}],
        }
        for n in (ACTUAL, FORECASTED)
    ]
    budgets.create_budget(AccountId=ACCOUNT, Budget=with_service, NotificationsWithSubscribers=notes)
    expression = {
        "And": [
            {"Dimensions": {"Key": "SERVICE", "Values": ["Amazon Bedrock"]}},
            {"Tags": {"Key": "user:CostCenter", "Values": ["genai-lab"]}},
        ]
    }
    planned = {
        "BudgetName": "planned",
        "PlannedBudgetLimits": {
            "1767225600": {"Amount": "30", "Unit": "USD"},
            "1704067200": {"Amount": "20", "Unit": "USD"},
        },
        "FilterExpression": expression,
        "TimeUnit": "MONTHLY",
        "BudgetType": "COST",
    }
    budgets.create_budget(AccountId=ACCOUNT, Budget=planned)


def _create_alarms(client: ClientFactory) -> str:
    topic = client("sns").create_topic(Name="labcheck-finops-alerts")["TopicArn"]
    cloudwatch = client("cloudwatch")
    cloudwatch.put_metric_alarm(
        AlarmName="tokens",
        Namespace="AWS/Bedrock",
        MetricName="InputTokenCount",
        Dimensions=[{"Name": "ModelId", "Value": PROFILE_ARN}],
        Statistic="Sum",
        Period=3600,
        EvaluationPeriods=1,
        Threshold=100000,
        ComparisonOperator="GreaterThanThreshold",
        TreatMissingData="notBreaching",
        AlarmActions=[topic],
    )
    stat = {"Period": 3600, "Stat": "Sum"}
    cloudwatch.put_metric_alarm(
        AlarmName="tokens-math",
        EvaluationPeriods=1,
        Threshold=100000,
        ComparisonOperator="GreaterThanThreshold",
        ActionsEnabled=False,
        AlarmActions=[topic],
        Metrics=[
            {
                "Id": "m1",
                "MetricStat": {"Metric": {"Namespace": "AWS/Bedrock", "MetricName": "InputTokenCount"}, **stat},
                "ReturnData": False,
            },
            {
                "Id": "m2",
                "MetricStat": {"Metric": {"Namespace": "AWS/Bedrock", "MetricName": "OutputTokenCount"}, **stat},
                "ReturnData": False,
            },
            {"Id": "e1", "Expression": "m1 + m2", "Label": "tokens", "ReturnData": True},
        ],
    )
    cloudwatch.put_metric_alarm(
        AlarmName="interventions",
        Namespace="AWS/Bedrock/Guardrails",
        MetricName="InvocationsIntervened",
        ExtendedStatistic="p90",
        Period=300,
        EvaluationPeriods=1,
        Threshold=5,
        ComparisonOperator="GreaterThanThreshold",
    )
    return topic


# --- clients, Regions and the read-only guard --------------------------------------------------------


@pytest.mark.parametrize("service", ["budgets", "ce"])
def test_billing_clients_sign_for_us_east_1(account: ClientFactory, service: str) -> None:
    live = open_live()
    client = live.client(service)
    assert client is live.client(service)
    assert client is live.client(f"{service}@us-east-1")
    scopes: list[str] = []
    client.meta.events.register_first(  # ahead of moto's own before-send answer
        "before-send", lambda request, **_: scopes.append(request.headers["Authorization"].decode())
    )
    if service == "budgets":
        live.budgets()
    else:
        with pytest.raises(ProviderError, match="ce:ListCostAllocationTags is not implemented"):
            live.cost_allocation_tags(("CostCenter",))
    assert scopes
    assert all("/us-east-1/" + service + "/aws4_request" in s for s in scopes)


def test_regional_clients_stay_in_the_lab_region(account: ClientFactory) -> None:
    live = open_live()
    assert live.client("bedrock").meta.region_name == REGION
    assert live.client("sns") is live.client(f"sns@{REGION}")
    assert live.client("sns@us-east-1").meta.region_name == "us-east-1"
    assert live.client("sns@us-east-1") is not live.client("sns")


CANNED = {
    "create_provisioned_model_throughput": {
        "provisionedModelArn": f"arn:aws:bedrock:{REGION}:{ACCOUNT}:provisioned-model/p"
    }
}


@pytest.mark.parametrize(
    ("service", "method", "params"),
    [
        ("budgets", "delete_budget", {"AccountId": ACCOUNT, "BudgetName": BUDGET}),
        (
            "ce",
            "update_cost_allocation_tags_status",
            {"CostAllocationTagsStatus": [{"TagKey": "CostCenter", "Status": "Active"}]},
        ),
        ("sns@us-east-1", "delete_topic", {"TopicArn": f"arn:aws:sns:us-east-1:{ACCOUNT}:t"}),
        ("bedrock", "delete_guardrail", {"guardrailIdentifier": GUARDRAIL_ID}),
        (
            "bedrock",
            "create_provisioned_model_throughput",
            {"modelUnits": 1, "provisionedModelName": "p", "modelId": MODEL_ARN},
        ),
        ("cloudwatch", "delete_alarms", {"AlarmNames": ["tokens"]}),
    ],
)
def test_writes_are_refused_on_every_client(
    account: ClientFactory, service: str, method: str, params: dict[str, Any]
) -> None:
    live = open_live()
    client = live.client(service)
    sent: list[str] = []
    client.meta.events.register_first("before-send", lambda request, **_: sent.append(request.url))
    with Stubber(client) as stub:  # even a canned answer is never reached
        stub.add_response(method, CANNED.get(method, {}))
        with pytest.raises(ReadOnlyViolationError, match=client.meta.method_to_api_mapping[method]):
            getattr(client, method)(**params)
    assert sent == []


# --- Bedrock through Stubber ------------------------------------------------------------------------


def test_tagged_guardrails_over_two_pages(account: ClientFactory) -> None:
    live = open_live()
    gone = f"arn:aws:bedrock:{REGION}:{ACCOUNT}:guardrail/gr0gone000000"
    with Stubber(live.client("bedrock")) as stub:
        stub.add_response("list_guardrails", {"guardrails": [_summary(GUARDRAIL_ID, "DRAFT")], "nextToken": "p2"}, {})
        stub.add_response(
            "list_guardrails",
            {"guardrails": [_summary("gr0other00000", "DRAFT"), _summary("gr0gone000000", "DRAFT")]},
            {"nextToken": "p2"},
        )
        stub.add_response(
            "list_tags_for_resource", _tags(**{LAB_TAG: LAB_ID, "CostCenter": "x"}), {"resourceARN": GUARDRAIL_ARN}
        )
        stub.add_response("list_tags_for_resource", _tags(**{LAB_TAG: "another-lab"}), {"resourceARN": OTHER_ARN})
        stub.add_client_error(
            "list_tags_for_resource",
            "ResourceNotFoundException",
            http_status_code=404,
            expected_params={"resourceARN": gone},
        )
        found = live.tagged_guardrails(LAB_TAG, LAB_ID)
        assert live.tagged_guardrails(LAB_TAG, LAB_ID) == found  # memoised
        stub.assert_no_pending_responses()
    assert found == [
        GuardrailSummary(GUARDRAIL_ID, GUARDRAIL_ARN, f"name-of-{GUARDRAIL_ID}", {LAB_TAG: LAB_ID, "CostCenter": "x"})
    ]


def test_guardrail_versions(account: ClientFactory) -> None:
    live = open_live()
    answer = [_summary(GUARDRAIL_ID, "DRAFT"), _summary(GUARDRAIL_ID, "1"), _summary(GUARDRAIL_ID, "2", "VERSIONING")]
    with Stubber(live.client("bedrock")) as stub:
        stub.add_response("list_guardrails", {"guardrails": answer}, {"guardrailIdentifier": GUARDRAIL_ARN})
        assert live.guardrail_versions(GUARDRAIL_ARN) == [
            GuardrailVersion("DRAFT", "READY"),
            GuardrailVersion("1", "READY"),
            GuardrailVersion("2", "VERSIONING"),
        ]


def test_guardrail_version_is_normalised(account: ClientFactory) -> None:
    live = open_live()
    with Stubber(live.client("bedrock")) as stub:
        stub.add_response(
            "get_guardrail", GET_GUARDRAIL, {"guardrailIdentifier": GUARDRAIL_ID, "guardrailVersion": "1"}
        )
        found = live.guardrail(GUARDRAIL_ID, "1")
    assert found == Guardrail(
        id=GUARDRAIL_ID,
        arn=GUARDRAIL_ARN,
        name="labcheck-finops",
        version="1",
        status="READY",
        content_filters=(
            ContentFilter("HATE", "HIGH", "MEDIUM"),
            ContentFilter("PROMPT_ATTACK", "HIGH", "NONE", "BLOCK", "NONE", True, False),
        ),
        tier="STANDARD",
        cross_region_profile=f"arn:aws:bedrock:{REGION}:{ACCOUNT}:guardrail-profile/eu.guardrail.v1:0",
        pii_entities=(PiiEntity("EMAIL", "ANONYMIZE"), PiiEntity("AWS_ACCESS_KEY", "NONE", "BLOCK", "BLOCK")),
        kms_key_arn=KEY_ARN,
    )


def test_guardrail_without_policies_or_key(account: ClientFactory) -> None:
    live = open_live()
    bare = {
        k: v
        for k, v in GET_GUARDRAIL.items()
        if k not in ("contentPolicy", "sensitiveInformationPolicy", "kmsKeyArn", "crossRegionDetails")
    }
    with Stubber(live.client("bedrock")) as stub:
        stub.add_response(
            "get_guardrail", {**bare, "version": "2"}, {"guardrailIdentifier": GUARDRAIL_ID, "guardrailVersion": "2"}
        )
        found = live.guardrail(GUARDRAIL_ID, "2")
    assert found is not None
    assert (found.content_filters, found.pii_entities, found.kms_key_arn, found.tier) == ((), (), None, None)


def test_missing_guardrail_version_is_none(account: ClientFactory) -> None:
    live = open_live()
    with Stubber(live.client("bedrock")) as stub:
        stub.add_client_error("get_guardrail", "ResourceNotFoundException", http_status_code=404)
        assert live.guardrail(GUARDRAIL_ID, "9") is None


def test_enforced_guardrails(account: ClientFactory) -> None:
    live = open_live()
    config = {
        "configId": "cfg-1",
        "guardrailArn": GUARDRAIL_ARN,
        "guardrailId": GUARDRAIL_ID,
        "inputTags": "IGNORE",
        "guardrailVersion": "1",
        "createdAt": WHEN,
        "owner": "ACCOUNT",
        "modelEnforcement": {
            "includedModels": ["ALL"],
            "excludedModels": ["anthropic.claude-3-5-sonnet-20240620-v1:0"],
        },
    }
    with Stubber(live.client("bedrock")) as stub:
        stub.add_response(
            "list_enforced_guardrails_configuration", {"guardrailsConfig": [config], "nextToken": "n"}, {}
        )
        stub.add_response(
            "list_enforced_guardrails_configuration", {"guardrailsConfig": [{"configId": "cfg-2"}]}, {"nextToken": "n"}
        )
        found = live.enforced_guardrails()
    assert found == [
        EnforcedGuardrail(
            "cfg-1", GUARDRAIL_ARN, GUARDRAIL_ID, "1", ("ALL",), ("anthropic.claude-3-5-sonnet-20240620-v1:0",)
        ),
        EnforcedGuardrail("cfg-2", "", "", None),
    ]


def test_tagged_inference_profiles(account: ClientFactory) -> None:
    live = open_live()
    with Stubber(live.client("bedrock")) as stub:
        stub.add_response(
            "list_inference_profiles",
            {
                "inferenceProfileSummaries": [
                    _profile_summary(PROFILE_ARN, "lab"),
                    _profile_summary(OTHER_PROFILE, "other"),
                ]
            },
            {"typeEquals": "APPLICATION"},
        )
        stub.add_response(
            "list_tags_for_resource",
            _tags(**{LAB_TAG: LAB_ID, "CostCenter": "genai-lab"}),
            {"resourceARN": PROFILE_ARN},
        )
        stub.add_response(
            "get_inference_profile", _profile_summary(PROFILE_ARN, "lab"), {"inferenceProfileIdentifier": PROFILE_ARN}
        )
        stub.add_response("list_tags_for_resource", _tags(), {"resourceARN": OTHER_PROFILE})
        found = live.tagged_inference_profiles(LAB_TAG, LAB_ID)
        stub.assert_no_pending_responses()
    assert found == [
        InferenceProfile(
            "a1b2c3d4e5f6",
            PROFILE_ARN,
            "lab",
            "APPLICATION",
            "ACTIVE",
            (MODEL_ARN,),
            {LAB_TAG: LAB_ID, "CostCenter": "genai-lab"},
        )
    ]


def test_provisioned_throughputs(account: ClientFactory) -> None:
    live = open_live()
    with Stubber(live.client("bedrock")) as stub:
        stub.add_response(
            "list_provisioned_model_throughputs",
            {
                "provisionedModelSummaries": [
                    _throughput("pt-a", "InService", 1),
                    _throughput("pt-b", "Creating", 2, "SixMonths"),
                ]
            },
            {},
        )
        found = live.provisioned_throughputs()
    arn = f"arn:aws:bedrock:{REGION}:{ACCOUNT}:provisioned-model/"
    assert found == [
        ProvisionedThroughput("pt-a", arn + "pt-a", "InService", 1, None, MODEL_ARN),
        ProvisionedThroughput("pt-b", arn + "pt-b", "Creating", 2, "SixMonths", MODEL_ARN),
    ]


@pytest.mark.parametrize(
    ("read", "action"),
    [
        (lambda live: live.tagged_guardrails(LAB_TAG, LAB_ID), "bedrock:ListGuardrails"),
        (lambda live: live.guardrail_versions(GUARDRAIL_ARN), "bedrock:ListGuardrails"),
        (lambda live: live.guardrail(GUARDRAIL_ID, "1"), "bedrock:GetGuardrail"),
        (lambda live: live.enforced_guardrails(), "bedrock:ListEnforcedGuardrailsConfiguration"),
        (lambda live: live.tagged_inference_profiles(LAB_TAG, LAB_ID), "bedrock:ListInferenceProfiles"),
        (lambda live: live.provisioned_throughputs(), "bedrock:ListProvisionedModelThroughputs"),
    ],
)
def test_bedrock_reads_are_unimplemented_in_moto(
    account: ClientFactory, read: Callable[[LiveAws], Any], action: str
) -> None:
    with pytest.raises(ProviderError, match=f"{action} is not implemented"):
        read(open_live())


# --- Cost Explorer and Budgets (us-east-1) ----------------------------------------------------------


def test_cost_allocation_tags(account: ClientFactory) -> None:
    live = open_live()
    tags = [{"TagKey": "CostCenter", "Type": "UserDefined", "Status": "Active", "LastUsedDate": "2026-02-01T00:00:00Z"}]
    with Stubber(live.client("ce")) as stub:
        stub.add_response(
            "list_cost_allocation_tags",
            {"CostAllocationTags": tags, "NextToken": "n"},
            {"TagKeys": ["CostCenter", "Project"], "Type": "UserDefined"},
        )
        stub.add_response(
            "list_cost_allocation_tags",
            {"CostAllocationTags": [{"TagKey": "Project", "Type": "UserDefined", "Status": "Inactive"}]},
            {"TagKeys": ["CostCenter", "Project"], "Type": "UserDefined", "NextToken": "n"},
        )
        found = live.cost_allocation_tags(("Project", "CostCenter", "Project"))
        assert live.cost_allocation_tags(()) == []  # no keys, no request
        stub.assert_no_pending_responses()
    assert found == [
        CostAllocationTag("CostCenter", "UserDefined", "Active", "2026-02-01T00:00:00Z"),
        CostAllocationTag("Project", "UserDefined", "Inactive"),
    ]


def test_cost_allocation_tags_denied_in_a_member_account(account: ClientFactory) -> None:
    live = open_live()
    with Stubber(live.client("ce")) as stub:
        stub.add_client_error("list_cost_allocation_tags", "AccessDeniedException", http_status_code=400)
        with pytest.raises(PermissionDeniedError) as caught:
            live.cost_allocation_tags(("CostCenter",))
    assert caught.value.action == "ce:ListCostAllocationTags"


def test_budgets_from_moto(account: ClientFactory) -> None:
    _create_budgets(account)
    found = {b.name: b for b in open_live().budgets()}
    assert found[BUDGET] == Budget(
        name=BUDGET,
        type="COST",
        time_unit="MONTHLY",
        limit_amount=20.0,
        limit_unit="USD",
        cost_filters={"Service": ("Amazon Bedrock",)},
        notifications=(ACTUAL, FORECASTED),
    )
    planned = found["planned"]
    assert (planned.limit_amount, planned.limit_unit) == (None, None)
    assert planned.planned_limits == ((1704067200, 20.0), (1767225600, 30.0))
    assert planned.filter_expression is not None
    assert planned.filter_expression["And"][0] == {"Dimensions": {"Key": "SERVICE", "Values": ["Amazon Bedrock"]}}
    assert planned.notifications == ()


def test_budgets_are_read_once_with_filter_expressions(account: ClientFactory) -> None:
    _create_budgets(account)
    live = open_live()
    sent: Counter[str] = Counter()
    live.client("budgets").meta.events.register_first(
        "before-send", lambda request, **_: sent.update([request.body.decode()])
    )
    live.budgets()
    live.budgets()
    assert sum(sent.values()) == 3  # DescribeBudgets, then the notifications of each budget
    assert set(sent.values()) == {1}
    describe = next(json.loads(b) for b in sent if "ShowFilterExpression" in b)
    assert describe == {"AccountId": ACCOUNT, "ShowFilterExpression": True}


def test_budget_subscribers_through_stubber(account: ClientFactory) -> None:
    _create_budgets(account)
    live = open_live()
    [budget] = [b for b in live.budgets() if b.name == BUDGET]  # moto answers these two
    topic = f"arn:aws:sns:{REGION}:{ACCOUNT}:labcheck-finops-alerts"
    with Stubber(live.client("budgets")) as stub:  # moto lacks DescribeSubscribersForNotification
        for note, subscribers in zip(
            budget.notifications,
            (
                [{"SubscriptionType": "EMAIL", "Address": "a@example.com"}],
                [{"SubscriptionType": "SNS", "Address": topic}],
            ),
            strict=True,
        ):
            stub.add_response(
                "describe_subscribers_for_notification",
                {"Subscribers": subscribers},
                {"AccountId": ACCOUNT, "BudgetName": BUDGET, "Notification": _notification_key(note)},
            )
        assert [live.budget_subscribers(BUDGET, n) for n in budget.notifications] == [
            [BudgetSubscriber("EMAIL", "a@example.com")],
            [BudgetSubscriber("SNS", topic)],
        ]
        stub.assert_no_pending_responses()


def test_budget_subscribers_without_threshold_type(account: ClientFactory) -> None:
    live = open_live()
    note = BudgetNotification("ACTUAL", "GREATER_THAN", 80.0, None)
    expected = {
        "AccountId": ACCOUNT,
        "BudgetName": BUDGET,
        "Notification": {"NotificationType": "ACTUAL", "ComparisonOperator": "GREATER_THAN", "Threshold": 80.0},
    }
    with Stubber(live.client("budgets")) as stub:
        stub.add_client_error(
            "describe_subscribers_for_notification", "NotFoundException", http_status_code=404, expected_params=expected
        )
        assert live.budget_subscribers(BUDGET, note) == []


def test_budget_subscribers_unimplemented_in_moto(account: ClientFactory) -> None:
    with pytest.raises(ProviderError, match="budgets:ViewBudget is not implemented"):
        open_live().budget_subscribers(BUDGET, ACTUAL)


def test_an_account_without_budgets(account: ClientFactory) -> None:
    assert open_live().budgets() == []  # moto: an empty list
    live = open_live()
    with Stubber(live.client("budgets")) as stub:  # AWS: NotFoundException
        stub.add_client_error("describe_budgets", "NotFoundException", http_status_code=400)
        assert live.budgets() == []


def test_budgets_denied(account: ClientFactory) -> None:
    live = open_live()
    with Stubber(live.client("budgets")) as stub:
        stub.add_client_error("describe_budgets", "AccessDeniedException", http_status_code=400)
        with pytest.raises(PermissionDeniedError) as caught:
            live.budgets()
    assert caught.value.action == "budgets:ViewBudget"


# --- CloudWatch and SNS (moto) ----------------------------------------------------------------------


def test_metric_alarms_from_moto(account: ClientFactory) -> None:
    topic = _create_alarms(account)
    found = {a.name: a for a in open_live().metric_alarms()}
    plain = found["tokens"]
    assert plain.metric == MetricStat("AWS/Bedrock", "InputTokenCount", {"ModelId": PROFILE_ARN}, "Sum", 3600)
    assert (plain.actions_enabled, plain.sns_actions, plain.queries) == (True, (topic,), ())
    assert plain.arn.endswith(":alarm:tokens")
    assert plain.evaluated == (plain.metric,)
    math = found["tokens-math"]
    assert (math.metric, math.actions_enabled) == (None, False)
    assert math.queries == (
        MetricQuery("m1", MetricStat("AWS/Bedrock", "InputTokenCount", {}, "Sum", 3600), None, False),
        MetricQuery("m2", MetricStat("AWS/Bedrock", "OutputTokenCount", {}, "Sum", 3600), None, False),
        MetricQuery("e1", None, "m1 + m2", True),
    )
    assert [s.metric_name for s in math.evaluated] == ["InputTokenCount", "OutputTokenCount"]
    interventions = found["interventions"]
    assert interventions.metric is not None
    assert (interventions.metric.stat, interventions.alarm_actions) == ("p90", ())


def test_alarm_evaluates_the_returned_metric_only() -> None:
    tokens = MetricStat("AWS/Bedrock", "InputTokenCount", {}, "Sum", 3600)
    calls = MetricStat("AWS/Bedrock", "Invocations", {}, "Sum", 3600)
    alarm = Alarm(
        "a", "arn", True, (), queries=(MetricQuery("m1", tokens, None, False), MetricQuery("m2", calls, None, True))
    )
    assert alarm.evaluated == (calls,)
    unmarked = Alarm("b", "arn", True, (), queries=(MetricQuery("m1", tokens),))
    assert unmarked.evaluated == (tokens,)


def test_published_metrics_from_moto(account: ClientFactory) -> None:
    cloudwatch = account("cloudwatch")
    cloudwatch.put_metric_data(
        Namespace="AWS/Bedrock",
        MetricData=[
            {"MetricName": "InputTokenCount", "Dimensions": [{"Name": "ModelId", "Value": PROFILE_ARN}], "Value": 42}
        ],
    )
    live = open_live()
    assert live.published_metrics("AWS/Bedrock", "InputTokenCount") == [{"ModelId": PROFILE_ARN}]
    assert live.published_metrics("AWS/Bedrock", "OutputTokenCount") == []


def test_topic_subscriptions_from_moto(account: ClientFactory) -> None:
    sns = account("sns")
    topic = sns.create_topic(Name="labcheck-finops-alerts")["TopicArn"]
    sns.subscribe(TopicArn=topic, Protocol="email", Endpoint="learner@example.com")
    live = open_live()
    [subscription] = live.topic_subscriptions(topic) or []
    # moto confirms e-mail subscriptions at once: a real ARN, never PendingConfirmation
    assert subscription.arn.startswith(topic + ":")
    assert (subscription.protocol, subscription.endpoint) == ("email", "learner@example.com")
    assert live.topic_subscriptions(topic + "-gone") is None


def test_pending_subscription_through_stubber(account: ClientFactory) -> None:
    live = open_live()
    topic = f"arn:aws:sns:{REGION}:{ACCOUNT}:labcheck-finops-alerts"
    pending = {
        "SubscriptionArn": "PendingConfirmation",
        "Owner": ACCOUNT,
        "Protocol": "email",
        "Endpoint": "learner@example.com",
        "TopicArn": topic,
    }
    with Stubber(live.client("sns")) as stub:
        stub.add_response("list_subscriptions_by_topic", {"Subscriptions": [pending]}, {"TopicArn": topic})
        assert live.topic_subscriptions(topic) == [
            TopicSubscription("PendingConfirmation", "email", "learner@example.com")
        ]


def test_a_topic_in_another_region_is_read_there(account: ClientFactory) -> None:
    other = boto3.Session(region_name="us-east-1").client("sns", region_name="us-east-1")
    topic = other.create_topic(Name="budget-alerts")["TopicArn"]
    other.subscribe(TopicArn=topic, Protocol="email", Endpoint="finance@example.com")
    live = open_live()
    [subscription] = live.topic_subscriptions(topic) or []
    assert subscription.endpoint == "finance@example.com"  # moto is regional: found only by asking us-east-1


# --- READ_ACTIONS honesty ---------------------------------------------------------------------------


class ActionRecorder:
    """Records the IAM action of every operation a view read calls (ahead of any Stubber's answer)."""

    def __init__(self) -> None:
        self._session = new_session(OPTIONS)
        self._actions: set[str] = set()
        self._session.events.register_first("before-call.*.*", self._record)

    def _record(self, model: Any, **_: Any) -> None:
        self._actions.add(iam_action(model.service_model.signing_name, model.name))

    def actions_of(self, read: Callable[[LiveAws], Any]) -> set[str]:
        live = LiveAws(ClientPool(self._session, OPTIONS.max_attempts), REGION)
        self._actions.clear()
        read(live)
        return set(self._actions)


def _stubbed(
    service: str, *answers: tuple[str, dict[str, Any]], read: Callable[[LiveAws], Any]
) -> Callable[[LiveAws], None]:
    def run(live: LiveAws) -> None:
        with Stubber(live.client(service)) as stub:
            for operation, response in answers:
                stub.add_response(operation, response)
            read(live)
            stub.assert_no_pending_responses()

    return run


def _reads(topic: str) -> Mapping[str, Callable[[LiveAws], Any]]:
    tagged = _tags(**{LAB_TAG: LAB_ID})
    return {
        "tagged_guardrails": _stubbed(
            "bedrock",
            ("list_guardrails", {"guardrails": [_summary(GUARDRAIL_ID, "DRAFT")]}),
            ("list_tags_for_resource", tagged),
            read=lambda live: live.tagged_guardrails(LAB_TAG, LAB_ID),
        ),
        "guardrail_versions": _stubbed(
            "bedrock", ("list_guardrails", {"guardrails": []}), read=lambda live: live.guardrail_versions(GUARDRAIL_ARN)
        ),
        "guardrail": _stubbed(
            "bedrock", ("get_guardrail", GET_GUARDRAIL), read=lambda live: live.guardrail(GUARDRAIL_ID, "1")
        ),
        "enforced_guardrails": _stubbed(
            "bedrock",
            ("list_enforced_guardrails_configuration", {"guardrailsConfig": []}),
            read=lambda live: live.enforced_guardrails(),
        ),
        "tagged_inference_profiles": _stubbed(
            "bedrock",
            ("list_inference_profiles", {"inferenceProfileSummaries": [_profile_summary(PROFILE_ARN, "lab")]}),
            ("list_tags_for_resource", tagged),
            ("get_inference_profile", _profile_summary(PROFILE_ARN, "lab")),
            read=lambda live: live.tagged_inference_profiles(LAB_TAG, LAB_ID),
        ),
        "cost_allocation_tags": _stubbed(
            "ce",
            ("list_cost_allocation_tags", {"CostAllocationTags": []}),
            read=lambda live: live.cost_allocation_tags(("CostCenter",)),
        ),
        "budgets": lambda live: live.budgets(),
        "budget_subscribers": _stubbed(
            "budgets",
            (
                "describe_subscribers_for_notification",
                {"Subscribers": [{"SubscriptionType": "EMAIL", "Address": "a@example.com"}]},
            ),
            read=lambda live: live.budget_subscribers(BUDGET, ACTUAL),
        ),
        "metric_alarms": lambda live: live.metric_alarms(),
        "published_metrics": lambda live: live.published_metrics("AWS/Bedrock", "InputTokenCount"),
        "topic_subscriptions": lambda live: live.topic_subscriptions(topic),
        "provisioned_throughputs": _stubbed(
            "bedrock",
            ("list_provisioned_model_throughputs", {"provisionedModelSummaries": []}),
            read=lambda live: live.provisioned_throughputs(),
        ),
    }


def test_read_actions_cover_exactly_the_finops_methods() -> None:
    core = {n for n, _ in inspect.getmembers(AwsView, inspect.isfunction)}
    methods = {n for n, _ in inspect.getmembers(FinopsView, inspect.isfunction) if not n.startswith("_")}
    assert set(READ_ACTIONS) == methods - core


def test_read_actions_are_the_calls_made(account: ClientFactory) -> None:
    _create_budgets(account)
    topic = _create_alarms(account)
    recorder = ActionRecorder()
    recorded = {method: recorder.actions_of(read) for method, read in _reads(topic).items()}
    assert recorded == {m: set(a) for m, a in READ_ACTIONS.items()}


def test_enforced_guardrail_action_is_the_operation_name() -> None:
    # [verify-live]: the Service Authorization Reference was not checked; this pins what labcheck declares.
    model = boto3.Session(region_name=REGION).client("bedrock").meta.service_model
    operation = model.operation_model("ListEnforcedGuardrailsConfiguration")
    assert iam_action(model.signing_name, operation.name) == "bedrock:ListEnforcedGuardrailsConfiguration"
    assert READ_ACTIONS["enforced_guardrails"] == ("bedrock:ListEnforcedGuardrailsConfiguration",)
