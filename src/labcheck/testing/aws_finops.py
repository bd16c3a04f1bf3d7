"""The `FinopsView` in memory, a mixin of `labcheck.testing.aws.FakeAws`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from labcheck.providers.aws.view_finops import (
    Alarm,
    Budget,
    BudgetNotification,
    BudgetSubscriber,
    CostAllocationTag,
    EnforcedGuardrail,
    Guardrail,
    GuardrailSummary,
    GuardrailVersion,
    InferenceProfile,
    ProvisionedThroughput,
    TopicSubscription,
)
from labcheck.testing.aws_account import FakeAccount


@dataclass
class FakeFinops(FakeAccount):
    """The aws-bedrock-guardrails-finops architecture in memory. Fields are the architecture."""

    guardrail_list: list[GuardrailSummary] = field(default_factory=list)
    guardrail_version_list: dict[str, list[GuardrailVersion]] = field(default_factory=dict)  # by guardrail ARN
    guardrail_configs: dict[tuple[str, str], Guardrail] = field(default_factory=dict)  # by (id, version)
    enforced_configs: list[EnforcedGuardrail] = field(default_factory=list)
    inference_profiles: list[InferenceProfile] = field(default_factory=list)
    cost_tags: list[CostAllocationTag] = field(default_factory=list)  # the keys billing knows
    budget_list: list[Budget] = field(default_factory=list)
    subscribers: dict[tuple[str, BudgetNotification], list[BudgetSubscriber]] = field(default_factory=dict)
    alarms: list[Alarm] = field(default_factory=list)
    published: dict[tuple[str, str], list[Mapping[str, str]]] = field(default_factory=dict)
    topics: dict[str, list[TopicSubscription]] = field(default_factory=dict)  # by topic ARN; absent: no topic
    throughputs: list[ProvisionedThroughput] = field(default_factory=list)

    def tagged_guardrails(self, key: str, value: str) -> list[GuardrailSummary]:
        """Guardrails carrying the tag."""
        self._read("tagged_guardrails")
        return [g for g in self.guardrail_list if g.tags.get(key) == value]

    def guardrail_versions(self, guardrail_arn: str) -> list[GuardrailVersion]:
        """Every version of a guardrail."""
        self._read("guardrail_versions")
        return list(self.guardrail_version_list.get(guardrail_arn, []))

    def guardrail(self, guardrail_id: str, version: str) -> Guardrail | None:
        """One version of a guardrail."""
        self._read("guardrail")
        return self.guardrail_configs.get((guardrail_id, version))

    def enforced_guardrails(self) -> list[EnforcedGuardrail]:
        """The account's enforced-guardrail configurations."""
        self._read("enforced_guardrails")
        return list(self.enforced_configs)

    def tagged_inference_profiles(self, key: str, value: str) -> list[InferenceProfile]:
        """Application inference profiles carrying the tag."""
        self._read("tagged_inference_profiles")
        return [p for p in self.inference_profiles if p.type == "APPLICATION" and p.tags.get(key) == value]

    def cost_allocation_tags(self, keys: tuple[str, ...]) -> list[CostAllocationTag]:
        """The user-defined cost allocation tags among the keys."""
        if not keys:
            return []
        self._read("cost_allocation_tags")
        return [t for t in self.cost_tags if t.key in keys and t.type == "UserDefined"]

    def budgets(self) -> list[Budget]:
        """Every budget."""
        self._read("budgets")
        return list(self.budget_list)

    def budget_subscribers(self, budget_name: str, notification: BudgetNotification) -> list[BudgetSubscriber]:
        """The subscribers of one notification."""
        self._read("budget_subscribers")
        return list(self.subscribers.get((budget_name, notification), []))

    def metric_alarms(self) -> list[Alarm]:
        """Every metric alarm."""
        self._read("metric_alarms")
        return list(self.alarms)

    def published_metrics(self, namespace: str, metric_name: str) -> list[Mapping[str, str]]:
        """The dimension sets a metric has data for."""
        self._read("published_metrics")
        return list(self.published.get((namespace, metric_name), []))

    def topic_subscriptions(self, topic_arn: str) -> list[TopicSubscription] | None:
        """The subscriptions of a topic (None: no such topic)."""
        self._read("topic_subscriptions")
        found = self.topics.get(topic_arn)
        return None if found is None else list(found)

    def provisioned_throughputs(self) -> list[ProvisionedThroughput]:
        """Every Provisioned Throughput."""
        self._read("provisioned_throughputs")
        return list(self.throughputs)
