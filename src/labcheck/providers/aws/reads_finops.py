"""Live reads of `FinopsView` (view_finops.py) over boto3, through the plumbing of reader.py.

Budgets and Cost Explorer answer only in us-east-1, and an SNS topic only in its own Region, while
`AwsReader.client` builds every client in the lab Region. `client` below therefore hands out clients
of other Regions under their own cache keys ("<service>@<region>"), built exactly like the reader's
(same session, configuration, credentials and read-only guard), so `_call`, `_pages` and their memo and
error translation work unchanged; a service name "<service>@<region>" asks for one explicitly.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from labcheck.providers.aws.reader import AwsReader
from labcheck.providers.aws.view_finops import (
    Alarm,
    Budget,
    BudgetNotification,
    BudgetSubscriber,
    ContentFilter,
    CostAllocationTag,
    EnforcedGuardrail,
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

_NOT_FOUND = ("ResourceNotFoundException",)


class FinopsReads(AwsReader):
    """The reads of `FinopsView` over boto3."""

    # --- guardrails -----------------------------------------------------------------------------

    def _bedrock_tags(self, arn: str) -> dict[str, str]:
        found = self.missing_as_none(
            _NOT_FOUND, lambda: self._call("bedrock", "list_tags_for_resource", resourceARN=arn)
        )
        return {t["key"]: t["value"] for t in (found or {}).get("tags", [])}

    def tagged_guardrails(self, key: str, value: str) -> list[GuardrailSummary]:
        """Guardrails carrying the tag key=value (ListGuardrails without an identifier lists each DRAFT)."""
        found = []
        for summary in self._pages("bedrock", "list_guardrails", "guardrails"):
            tags = self._bedrock_tags(summary["arn"])
            if tags.get(key) == value:
                found.append(GuardrailSummary(summary["id"], summary["arn"], summary.get("name", ""), tags))
        return found

    def guardrail_versions(self, guardrail_arn: str) -> list[GuardrailVersion]:
        """Every version of a guardrail, DRAFT included."""
        found = self._pages("bedrock", "list_guardrails", "guardrails", guardrailIdentifier=guardrail_arn)
        return [GuardrailVersion(str(g["version"]), str(g.get("status", "")).upper()) for g in found]

    def guardrail(self, guardrail_id: str, version: str) -> Guardrail | None:
        """One version of a guardrail (None: no such guardrail or version)."""
        found = self.missing_as_none(
            _NOT_FOUND,
            lambda: self._call("bedrock", "get_guardrail", guardrailIdentifier=guardrail_id, guardrailVersion=version),
        )
        return None if found is None else _guardrail(found)

    def enforced_guardrails(self) -> list[EnforcedGuardrail]:
        """The account's enforced-guardrail configurations in the lab Region."""
        found = self._pages("bedrock", "list_enforced_guardrails_configuration", "guardrailsConfig")
        return [_enforced(c) for c in found]

    # --- inference profiles and billing ---------------------------------------------------------

    def tagged_inference_profiles(self, key: str, value: str) -> list[InferenceProfile]:
        """Application inference profiles carrying the tag key=value."""
        found = []
        summaries = self._pages(
            "bedrock", "list_inference_profiles", "inferenceProfileSummaries", typeEquals="APPLICATION"
        )
        for summary in summaries:
            arn = summary["inferenceProfileArn"]
            tags = self._bedrock_tags(arn)
            if tags.get(key) == value:
                # The summary carries the same fields; GetInferenceProfile is the documented source.
                detail = self._call("bedrock", "get_inference_profile", inferenceProfileIdentifier=arn)
                found.append(_profile(detail, tags))
        return found

    def cost_allocation_tags(self, keys: tuple[str, ...]) -> list[CostAllocationTag]:
        """The user-defined cost allocation tags among the keys that billing knows."""
        if not keys:
            return []
        found = self._pages(
            "ce", "list_cost_allocation_tags", "CostAllocationTags", TagKeys=sorted(set(keys)), Type="UserDefined"
        )
        return [
            CostAllocationTag(t["TagKey"], t.get("Type", ""), t.get("Status", ""), t.get("LastUsedDate")) for t in found
        ]

    def budgets(self) -> list[Budget]:
        """Every budget, with FilterExpression (only sent when asked for) and notifications.

        The Budgets API answers NotFoundException where an account has no budgets or a budget no
        notifications; both mean "none".
        """
        found = self.missing_as_none(
            ("NotFoundException",),
            lambda: self._pages(
                "budgets", "describe_budgets", "Budgets", AccountId=self.account_id, ShowFilterExpression=True
            ),
        )
        return [self._budget(b) for b in found or []]

    def _budget(self, raw: dict[str, Any]) -> Budget:
        name = raw["BudgetName"]
        notes = self.missing_as_none(
            ("NotFoundException",),
            lambda: self._pages(
                "budgets",
                "describe_notifications_for_budget",
                "Notifications",
                AccountId=self.account_id,
                BudgetName=name,
            ),
        )
        limit = raw.get("BudgetLimit") or {}
        return Budget(
            name=name,
            type=raw.get("BudgetType", ""),
            time_unit=raw.get("TimeUnit", ""),
            limit_amount=_amount(limit.get("Amount")),
            limit_unit=limit.get("Unit"),
            planned_limits=_planned(raw.get("PlannedBudgetLimits") or {}),
            cost_filters={k: tuple(v) for k, v in (raw.get("CostFilters") or {}).items()},
            filter_expression=raw.get("FilterExpression") or None,
            notifications=tuple(_notification(n) for n in notes or []),
        )

    def budget_subscribers(self, budget_name: str, notification: BudgetNotification) -> list[BudgetSubscriber]:
        """The subscribers of one notification, which the API names by exactly these four members."""
        key: dict[str, Any] = {
            "NotificationType": notification.type,
            "ComparisonOperator": notification.comparison,
            "Threshold": notification.threshold,
        }
        if notification.threshold_type is not None:
            key["ThresholdType"] = notification.threshold_type
        found = self.missing_as_none(
            ("NotFoundException",),
            lambda: self._pages(
                "budgets",
                "describe_subscribers_for_notification",
                "Subscribers",
                AccountId=self.account_id,
                BudgetName=budget_name,
                Notification=key,
            ),
        )
        return [BudgetSubscriber(s["SubscriptionType"], s["Address"]) for s in found or []]

    # --- alarms, SNS, capacity ------------------------------------------------------------------

    def metric_alarms(self) -> list[Alarm]:
        """Every CloudWatch metric alarm in the lab Region."""
        found = self._pages("cloudwatch", "describe_alarms", "MetricAlarms", AlarmTypes=["MetricAlarm"])
        return [_alarm(a) for a in found]

    def published_metrics(self, namespace: str, metric_name: str) -> list[Mapping[str, str]]:
        """The dimension sets a metric has data for in the last two weeks."""
        found = self._pages("cloudwatch", "list_metrics", "Metrics", Namespace=namespace, MetricName=metric_name)
        return [_dimensions(m.get("Dimensions")) for m in found]

    def topic_subscriptions(self, topic_arn: str) -> list[TopicSubscription] | None:
        """The subscriptions of an SNS topic, read in the topic's own Region (None: no such topic)."""
        parts = topic_arn.split(":")
        region = parts[3] if len(parts) > 3 else ""
        service = "sns" if region in ("", self.region) else f"sns@{region}"
        found = self.missing_as_none(
            ("NotFound", "NotFoundException"),
            lambda: self._pages(service, "list_subscriptions_by_topic", "Subscriptions", TopicArn=topic_arn),
        )
        if found is None:
            return None
        return [
            TopicSubscription(s.get("SubscriptionArn", ""), s.get("Protocol", ""), s.get("Endpoint", "")) for s in found
        ]

    def provisioned_throughputs(self) -> list[ProvisionedThroughput]:
        """Every Provisioned Throughput in the lab Region."""
        found = self._pages("bedrock", "list_provisioned_model_throughputs", "provisionedModelSummaries")
        return [
            ProvisionedThroughput(
                name=p["provisionedModelName"],
                arn=p["provisionedModelArn"],
                status=p.get("status", ""),
                model_units=int(p.get("modelUnits", 0)),
                commitment=p.get("commitmentDuration") or None,
                foundation_model_arn=p.get("foundationModelArn", ""),
            )
            for p in found
        ]


def _guardrail(raw: dict[str, Any]) -> Guardrail:
    content = raw.get("contentPolicy") or {}
    sensitive = raw.get("sensitiveInformationPolicy") or {}
    return Guardrail(
        id=raw["guardrailId"],
        arn=raw["guardrailArn"],
        name=raw.get("name", ""),
        version=str(raw.get("version", "")),
        status=str(raw.get("status", "")).upper(),
        content_filters=tuple(
            ContentFilter(
                type=f["type"],
                input_strength=f.get("inputStrength", "NONE"),
                output_strength=f.get("outputStrength", "NONE"),
                input_action=f.get("inputAction"),
                output_action=f.get("outputAction"),
                input_enabled=f.get("inputEnabled"),
                output_enabled=f.get("outputEnabled"),
            )
            for f in content.get("filters") or []
        ),
        tier=(content.get("tier") or {}).get("tierName"),
        cross_region_profile=(raw.get("crossRegionDetails") or {}).get("guardrailProfileArn"),
        pii_entities=tuple(
            PiiEntity(
                type=p["type"],
                action=p.get("action", "NONE"),
                input_action=p.get("inputAction"),
                output_action=p.get("outputAction"),
                input_enabled=p.get("inputEnabled"),
                output_enabled=p.get("outputEnabled"),
            )
            for p in sensitive.get("piiEntities") or []
        ),
        kms_key_arn=raw.get("kmsKeyArn") or None,
    )


def _enforced(raw: dict[str, Any]) -> EnforcedGuardrail:
    models = raw.get("modelEnforcement") or {}
    return EnforcedGuardrail(
        config_id=raw.get("configId", ""),
        guardrail_arn=raw.get("guardrailArn", ""),
        guardrail_id=raw.get("guardrailId", ""),
        version=raw.get("guardrailVersion") or None,
        included_models=tuple(models.get("includedModels") or ()),
        excluded_models=tuple(models.get("excludedModels") or ()),
    )


def _profile(raw: dict[str, Any], tags: dict[str, str]) -> InferenceProfile:
    return InferenceProfile(
        id=raw.get("inferenceProfileId", ""),
        arn=raw["inferenceProfileArn"],
        name=raw.get("inferenceProfileName", ""),
        type=str(raw.get("type", "")).upper(),
        status=str(raw.get("status", "")).upper(),
        model_arns=tuple(m["modelArn"] for m in raw.get("models") or [] if m.get("modelArn")),
        tags=tags,
    )


def _amount(text: Any) -> float | None:
    try:
        return float(text)
    except (TypeError, ValueError):
        return None


def _planned(raw: Mapping[str, Any]) -> tuple[tuple[int, float], ...]:
    """PlannedBudgetLimits keys are the periods' start times in epoch seconds."""
    limits = []
    for start, spend in raw.items():
        amount = _amount((spend or {}).get("Amount"))
        if str(start).isdigit() and amount is not None:
            limits.append((int(start), amount))
    return tuple(sorted(limits))


def _notification(raw: dict[str, Any]) -> BudgetNotification:
    return BudgetNotification(
        type=raw["NotificationType"],
        comparison=raw["ComparisonOperator"],
        threshold=float(raw["Threshold"]),
        threshold_type=raw.get("ThresholdType"),
    )


def _dimensions(raw: list[dict[str, str]] | None) -> dict[str, str]:
    return {d["Name"]: d["Value"] for d in raw or []}


def _alarm(raw: dict[str, Any]) -> Alarm:
    metric = None
    if raw.get("MetricName"):
        metric = MetricStat(
            namespace=raw.get("Namespace", ""),
            metric_name=raw["MetricName"],
            dimensions=_dimensions(raw.get("Dimensions")),
            stat=raw.get("Statistic") or raw.get("ExtendedStatistic") or "",
            period=int(raw.get("Period") or 0),
        )
    return Alarm(
        name=raw["AlarmName"],
        arn=raw.get("AlarmArn", ""),
        actions_enabled=raw.get("ActionsEnabled") is True,
        alarm_actions=tuple(raw.get("AlarmActions") or ()),
        metric=metric,
        queries=tuple(_query(q) for q in raw.get("Metrics") or []),
    )


def _query(raw: dict[str, Any]) -> MetricQuery:
    stat = None
    if raw.get("MetricStat"):
        body = raw["MetricStat"]
        metric = body.get("Metric") or {}
        stat = MetricStat(
            namespace=metric.get("Namespace", ""),
            metric_name=metric.get("MetricName", ""),
            dimensions=_dimensions(metric.get("Dimensions")),
            stat=body.get("Stat", ""),
            period=int(body.get("Period") or 0),
        )
    return MetricQuery(raw["Id"], stat, raw.get("Expression") or None, raw.get("ReturnData"))
