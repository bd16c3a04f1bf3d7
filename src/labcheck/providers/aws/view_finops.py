"""The view lab aws-bedrock-guardrails-finops reads: its nouns as frozen dataclasses and `FinopsView`.

Normalisation on the way in: Bedrock tags (a list of {key, value}) become a dict; enum strings whose case
differs between the model and real answers are upper-cased where the checks compare them; absent lists
are empty and absent optional members None, so "not set" stays distinguishable from "set to false".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol

from labcheck.providers.aws.view import AwsView, Document

# --- guardrails -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class GuardrailSummary:
    """A guardrail as discovery finds it: the DRAFT that ListGuardrails returns, with its tags."""

    id: str
    arn: str  # unversioned: arn:aws:bedrock:<region>:<account>:guardrail/<id>
    name: str
    tags: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class GuardrailVersion:
    """One version of a guardrail: "DRAFT" or a published number, and its status (upper-case)."""

    version: str
    status: str  # CREATING | UPDATING | VERSIONING | READY | FAILED | DELETING


@dataclass(frozen=True)
class ContentFilter:
    """One content filter of a guardrail; None members were not returned (older guardrails omit them)."""

    type: str  # SEXUAL | VIOLENCE | HATE | INSULTS | MISCONDUCT | PROMPT_ATTACK
    input_strength: str  # NONE | LOW | MEDIUM | HIGH
    output_strength: str
    input_action: str | None = None  # BLOCK | NONE; None means BLOCK
    output_action: str | None = None
    input_enabled: bool | None = None  # None means enabled
    output_enabled: bool | None = None


@dataclass(frozen=True)
class PiiEntity:
    """One PII entity type a guardrail handles."""

    type: str  # EMAIL, PHONE, US_SOCIAL_SECURITY_NUMBER, AWS_ACCESS_KEY, ...
    action: str  # BLOCK | ANONYMIZE | NONE
    input_action: str | None = None  # overrides `action` for input when set
    output_action: str | None = None
    input_enabled: bool | None = None
    output_enabled: bool | None = None


@dataclass(frozen=True)
class Guardrail:
    """One version of a guardrail, as GetGuardrail returns it for that version."""

    id: str
    arn: str
    name: str
    version: str
    status: str
    content_filters: tuple[ContentFilter, ...] = ()
    tier: str | None = None  # CLASSIC | STANDARD (content filters)
    cross_region_profile: str | None = None  # the guardrail profile ARN the STANDARD tier needs
    pii_entities: tuple[PiiEntity, ...] = ()
    kms_key_arn: str | None = None  # None: an AWS-owned key


@dataclass(frozen=True)
class EnforcedGuardrail:
    """An account-level enforced-guardrail configuration."""

    config_id: str
    guardrail_arn: str
    guardrail_id: str
    version: str | None
    included_models: tuple[str, ...] = ()  # empty: every model
    excluded_models: tuple[str, ...] = ()


# --- inference profiles and cost attribution --------------------------------------------------------


@dataclass(frozen=True)
class InferenceProfile:
    """An application inference profile with the models it routes to and its tags."""

    id: str
    arn: str
    name: str
    type: str  # APPLICATION | SYSTEM_DEFINED
    status: str  # upper-case; ACTIVE
    model_arns: tuple[str, ...]
    tags: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class CostAllocationTag:
    """A cost allocation tag key as billing knows it."""

    key: str
    type: str  # UserDefined | AWSGenerated
    status: str  # Active | Inactive
    last_used: str | None = None


@dataclass(frozen=True)
class BudgetNotification:
    """One notification of a budget, exactly as the Budgets API keys it."""

    type: str  # ACTUAL | FORECASTED
    comparison: str  # GREATER_THAN | LESS_THAN | EQUAL_TO
    threshold: float
    threshold_type: str | None = None  # PERCENTAGE | ABSOLUTE_VALUE; None was not returned (PERCENTAGE)


@dataclass(frozen=True)
class BudgetSubscriber:
    """Where a budget notification goes."""

    type: str  # EMAIL | SNS
    address: str


@dataclass(frozen=True)
class Budget:
    """An AWS Budget with its scope and notifications (subscribers are read per notification)."""

    name: str
    type: str  # COST | USAGE | ...
    time_unit: str  # DAILY | MONTHLY | QUARTERLY | ANNUALLY | CUSTOM
    limit_amount: float | None
    limit_unit: str | None
    planned_limits: tuple[tuple[int, float], ...] = ()  # (period start, epoch seconds; amount), sorted
    cost_filters: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    filter_expression: Document | None = None
    notifications: tuple[BudgetNotification, ...] = ()


# --- alarms, notifications, capacity ----------------------------------------------------------------


@dataclass(frozen=True)
class MetricStat:
    """A metric and the statistic an alarm evaluates it with."""

    namespace: str
    metric_name: str
    dimensions: Mapping[str, str]
    stat: str  # Sum, SampleCount, Average, p90, ...
    period: int


@dataclass(frozen=True)
class MetricQuery:
    """One entry of a metric-math alarm: a metric or an expression over the others."""

    id: str
    stat: MetricStat | None = None
    expression: str | None = None
    return_data: bool | None = None  # None: not returned


@dataclass(frozen=True)
class Alarm:
    """A CloudWatch metric alarm: a plain one (`metric`) or a metric-math one (`queries`)."""

    name: str
    arn: str
    actions_enabled: bool
    alarm_actions: tuple[str, ...]
    metric: MetricStat | None = None
    queries: tuple[MetricQuery, ...] = ()

    @property
    def evaluated(self) -> tuple[MetricStat, ...]:
        """The metrics the alarm's state follows: the plain metric, or what the returned entry reads."""
        if self.metric is not None:
            return (self.metric,)
        returned = [q for q in self.queries if q.return_data] or [q for q in self.queries if q.return_data is None]
        if any(q.expression for q in returned):
            return tuple(q.stat for q in self.queries if q.stat)
        return tuple(q.stat for q in returned if q.stat)

    @property
    def sns_actions(self) -> tuple[str, ...]:
        """The SNS topics the alarm notifies when it fires."""
        return tuple(a for a in self.alarm_actions if a.startswith("arn:aws:sns:"))


@dataclass(frozen=True)
class TopicSubscription:
    """A subscription of an SNS topic; `arn` is "PendingConfirmation" until the endpoint confirms."""

    arn: str
    protocol: str
    endpoint: str


@dataclass(frozen=True)
class ProvisionedThroughput:
    """A Provisioned Throughput purchase."""

    name: str
    arn: str
    status: str  # Creating | InService | Updating | Failed
    model_units: int
    commitment: str | None  # OneMonth | SixMonths; None: no commitment
    foundation_model_arn: str


class FinopsView(AwsView, Protocol):
    """What the aws-bedrock-guardrails-finops checks may ask besides the core view; read-only and memoised."""

    def tagged_guardrails(self, key: str, value: str) -> list[GuardrailSummary]:
        """Guardrails carrying the tag key=value."""

    def guardrail_versions(self, guardrail_arn: str) -> list[GuardrailVersion]:
        """Every version of a guardrail, DRAFT included."""

    def guardrail(self, guardrail_id: str, version: str) -> Guardrail | None:
        """One version of a guardrail (None: no such guardrail or version)."""

    def enforced_guardrails(self) -> list[EnforcedGuardrail]:
        """The account's enforced-guardrail configurations in the lab Region."""

    def tagged_inference_profiles(self, key: str, value: str) -> list[InferenceProfile]:
        """Application inference profiles carrying the tag key=value."""

    def cost_allocation_tags(self, keys: tuple[str, ...]) -> list[CostAllocationTag]:
        """The user-defined cost allocation tags among the keys that billing knows."""

    def budgets(self) -> list[Budget]:
        """Every budget of the account, with filter expressions and notifications."""

    def budget_subscribers(self, budget_name: str, notification: BudgetNotification) -> list[BudgetSubscriber]:
        """The subscribers of one notification of a budget."""

    def metric_alarms(self) -> list[Alarm]:
        """Every CloudWatch metric alarm in the lab Region."""

    def published_metrics(self, namespace: str, metric_name: str) -> list[Mapping[str, str]]:
        """The dimension sets a metric has recent data for (an empty list: nothing published yet)."""

    def topic_subscriptions(self, topic_arn: str) -> list[TopicSubscription] | None:
        """The subscriptions of an SNS topic (None: no such topic)."""

    def provisioned_throughputs(self) -> list[ProvisionedThroughput]:
        """Every Provisioned Throughput in the lab Region."""


READ_ACTIONS: dict[str, tuple[str, ...]] = {
    "tagged_guardrails": ("bedrock:ListGuardrails", "bedrock:ListTagsForResource"),
    "guardrail_versions": ("bedrock:ListGuardrails",),
    "guardrail": ("bedrock:GetGuardrail",),
    # The operation's name; the Service Authorization Reference has not been checked for it [verify-live].
    "enforced_guardrails": ("bedrock:ListEnforcedGuardrailsConfiguration",),
    "tagged_inference_profiles": (
        "bedrock:ListInferenceProfiles",
        "bedrock:ListTagsForResource",
        "bedrock:GetInferenceProfile",
    ),
    "cost_allocation_tags": ("ce:ListCostAllocationTags",),
    "budgets": ("budgets:ViewBudget",),
    "budget_subscribers": ("budgets:ViewBudget",),
    "metric_alarms": ("cloudwatch:DescribeAlarms",),
    "published_metrics": ("cloudwatch:ListMetrics",),
    "topic_subscriptions": ("sns:ListSubscriptionsByTopic",),
    "provisioned_throughputs": ("bedrock:ListProvisionedModelThroughputs",),
}
"""The IAM actions behind each `FinopsView` read: what a check that calls it must declare."""
