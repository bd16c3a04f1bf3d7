"""The 14 checks of aws-bedrock-guardrails-finops against the reference architecture and one-edit variants of it.

Cases are data: (check id, name, an edit of a fresh reference FakeAws, expected status, a message fragment,
optional lab inputs). Edits name the reference's resources through placeholders filled from the fake itself
({guardrail}, {profile}, {model}, ...), so every case reads like the policy or resource a learner would write.
Every check runs through the real runner, so exceptions map to statuses exactly as in a report.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import pytest

from labcheck.catalog import get_lab
from labcheck.model import Result, Status
from labcheck.providers.aws.view import NamedPolicy
from labcheck.providers.aws.view_finops import (
    Alarm,
    Budget,
    BudgetNotification,
    BudgetSubscriber,
    CostAllocationTag,
    EnforcedGuardrail,
    GuardrailSummary,
    GuardrailVersion,
    MetricQuery,
    MetricStat,
    ProvisionedThroughput,
    TopicSubscription,
)
from labcheck.testing.aws import FakeAws
from tests.labs.contract import Case, LabContract, assert_cases_cover_every_check, unchanged

PASS, FAIL, ERROR, SKIP, PENDING = Status.PASS, Status.FAIL, Status.ERROR, Status.SKIP, Status.PENDING

LAB_ID = "aws-bedrock-guardrails-finops"
LAB = get_lab(LAB_ID)
CHECK_IDS = [c.id for c in LAB.checks]
SONNET = "anthropic.claude-3-5-sonnet-20240620-v1:0"
OTHER_GUARDRAIL = "arn:aws:bedrock:eu-central-1:111122223333:guardrail/gr0other00000"
OTHER_TOPIC = "arn:aws:sns:eu-central-1:111122223333:someone-elses-alerts"

Mutation = Callable[[FakeAws], None]
Reference = Callable[[], FakeAws]
Runner = Callable[..., Result]


# --- placeholders -----------------------------------------------------------------------------------


def names(fake: FakeAws) -> dict[str, str]:
    """The reference's resource names as the placeholders in case data use them."""
    profile = fake.inference_profiles[0] if fake.inference_profiles else None
    return {
        "account": fake.account_id,
        "region": fake.region,
        "guardrail": fake.guardrail_list[0].arn if fake.guardrail_list else "no-guardrail",
        "guardrail_id": fake.guardrail_list[0].id if fake.guardrail_list else "no-guardrail",
        "profile": profile.arn if profile else "no-profile",
        "profile_id": profile.id if profile else "no-profile",
        "model": profile.model_arns[0] if profile else "no-model",
        "model_id": profile.model_arns[0].rsplit("/", 1)[-1] if profile else "no-model",
        "topic": next(iter(fake.topics), "no-topic"),
        "key": next(iter(fake.keys), "no-key"),
    }


def fill(value: Any, fake: FakeAws) -> Any:
    """The value with every {placeholder} in its strings replaced (keys of mappings are left alone)."""
    if isinstance(value, str):
        return value.format_map(names(fake))
    if isinstance(value, list | tuple):
        return type(value)(fill(v, fake) for v in value)
    if isinstance(value, dict):
        return {k: fill(v, fake) for k, v in value.items()}
    return value


def chain(*mutations: Mutation) -> Mutation:
    """Several edits in order."""

    def mutate(fake: FakeAws) -> None:
        for mutation in mutations:
            mutation(fake)

    return mutate


# --- edits: guardrail -------------------------------------------------------------------------------


def versions(*pairs: tuple[str, str]) -> Mutation:
    """Replace the guardrail's versions with (version, status) pairs."""

    def mutate(fake: FakeAws) -> None:
        fake.guardrail_version_list[fake.guardrail_list[0].arn] = [GuardrailVersion(v, s) for v, s in pairs]

    return mutate


def edit_guardrail_summary(**changes: Any) -> Mutation:
    """Change the tagged guardrail as discovery sees it."""

    def mutate(fake: FakeAws) -> None:
        fake.guardrail_list[0] = dataclasses.replace(fake.guardrail_list[0], **changes)

    return mutate


def add_guardrail(guardrail_id: str, tags: dict[str, str]) -> Mutation:
    """Another guardrail carrying these tags, with a READY version 1 like the reference's."""

    def mutate(fake: FakeAws) -> None:
        arn = f"arn:aws:bedrock:{fake.region}:{fake.account_id}:guardrail/{guardrail_id}"
        fake.guardrail_list.append(GuardrailSummary(guardrail_id, arn, guardrail_id, tags))
        fake.guardrail_version_list[arn] = [GuardrailVersion("DRAFT", "READY"), GuardrailVersion("1", "READY")]
        reference = fake.guardrail_configs[(fake.guardrail_list[0].id, "1")]
        fake.guardrail_configs[(guardrail_id, "1")] = dataclasses.replace(reference, id=guardrail_id, arn=arn)

    return mutate


def publish(version: str, **changes: Any) -> Mutation:
    """Publish another READY version: a copy of version 1 with some fields changed."""

    def mutate(fake: FakeAws) -> None:
        guardrail = fake.guardrail_list[0]
        fake.guardrail_version_list[guardrail.arn].append(GuardrailVersion(version, "READY"))
        base = fake.guardrail_configs[(guardrail.id, "1")]
        fake.guardrail_configs[(guardrail.id, version)] = dataclasses.replace(base, version=version, **changes)

    return mutate


def edit_version(version: str = "1", **changes: Any) -> Mutation:
    """Change a published version of the guardrail."""

    def mutate(fake: FakeAws) -> None:
        key = (fake.guardrail_list[0].id, version)
        fake.guardrail_configs[key] = dataclasses.replace(fake.guardrail_configs[key], **fill(changes, fake))

    return mutate


def unreadable_version(fake: FakeAws) -> None:
    """ListGuardrails shows version 1, but GetGuardrail finds nothing."""
    del fake.guardrail_configs[(fake.guardrail_list[0].id, "1")]


def content_filter(kind: str, **changes: Any) -> Mutation:
    """Change one content filter of version 1 (None in `changes` removes the filter)."""

    def mutate(fake: FakeAws) -> None:
        key = (fake.guardrail_list[0].id, "1")
        config = fake.guardrail_configs[key]
        kept = []
        for f in config.content_filters:
            if f.type != kind:
                kept.append(f)
            elif changes != {"remove": True}:
                kept.append(dataclasses.replace(f, **changes))
        fake.guardrail_configs[key] = dataclasses.replace(config, content_filters=tuple(kept))

    return mutate


def weak_filters(fake: FakeAws) -> None:
    """Every content category at LOW."""
    key = (fake.guardrail_list[0].id, "1")
    config = fake.guardrail_configs[key]
    weak = tuple(
        f if f.type == "PROMPT_ATTACK" else dataclasses.replace(f, input_strength="LOW", output_strength="LOW")
        for f in config.content_filters
    )
    fake.guardrail_configs[key] = dataclasses.replace(config, content_filters=weak)


def pii(kind: str, **changes: Any) -> Mutation:
    """Change one PII entity of version 1 ({"remove": True} removes it)."""

    def mutate(fake: FakeAws) -> None:
        key = (fake.guardrail_list[0].id, "1")
        config = fake.guardrail_configs[key]
        kept = []
        for p in config.pii_entities:
            if p.type != kind:
                kept.append(p)
            elif changes != {"remove": True}:
                kept.append(dataclasses.replace(p, **changes))
        fake.guardrail_configs[key] = dataclasses.replace(config, pii_entities=tuple(kept))

    return mutate


def edit_key(**changes: Any) -> Mutation:
    """Change the guardrail's KMS key."""

    def mutate(fake: FakeAws) -> None:
        for ref, key in fake.keys.items():
            fake.keys[ref] = dataclasses.replace(key, **changes)

    return mutate


def no_key(fake: FakeAws) -> None:
    """The key the guardrail names does not exist."""
    fake.keys.clear()


def enforced(*configs: dict[str, Any]) -> Mutation:
    """Account-level enforced guardrail configurations (fields of EnforcedGuardrail, with placeholders)."""

    def mutate(fake: FakeAws) -> None:
        base = {"config_id": "cfg-1", "guardrail_arn": "{guardrail}", "guardrail_id": "{guardrail_id}", "version": "1"}
        fake.enforced_configs = [EnforcedGuardrail(**fill({**base, **c}, fake)) for c in configs]

    return mutate


# --- edits: app role and profile --------------------------------------------------------------------


def document(*statements: dict[str, Any]) -> dict[str, Any]:
    """A policy document."""
    return {"Version": "2012-10-17", "Statement": list(statements)}


def _statement(base: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    merged = {**base, **overrides}
    return {k: v for k, v in merged.items() if v is not None}  # an override of None removes the key


INVOKES = ["bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream"]
WITH_V1 = {"StringEquals": {"bedrock:GuardrailIdentifier": "{guardrail}:1"}}


def invoke_allow(**overrides: Any) -> dict[str, Any]:
    """The reference InvokeModel statement with some elements changed (None removes one)."""
    base = {"Effect": "Allow", "Action": INVOKES, "Resource": ["{profile}", "{model}"], "Condition": WITH_V1}
    return _statement(base, overrides)


def app_statements(*statements: dict[str, Any]) -> Mutation:
    """Replace the app role's permissions with one inline policy of these statements."""

    def mutate(fake: FakeAws) -> None:
        role = fake.functions[0].role_arn.rsplit("/", 1)[-1]
        fake.policies[role] = [NamedPolicy("bedrock", fill(document(*statements), fake))]

    return mutate


def role_allow(**overrides: Any) -> Mutation:
    """App permissions of the reference InvokeModel statement, changed."""
    return app_statements(invoke_allow(**overrides))


def guardrail_fence(operator: str, value: Any) -> dict[str, Any]:
    """A Deny of InvokeModel unless the request names the guardrail."""
    return {
        "Effect": "Deny",
        "Action": "bedrock:InvokeModel*",
        "Resource": "*",
        "Condition": {operator: {"bedrock:GuardrailIdentifier": value}},
    }


UNCONDITIONED = role_allow(Condition=None)


def edit_profile(**changes: Any) -> Mutation:
    """Change the application inference profile."""

    def mutate(fake: FakeAws) -> None:
        fake.inference_profiles[0] = dataclasses.replace(fake.inference_profiles[0], **fill(changes, fake))

    return mutate


def profile_tags(**tags: str) -> Mutation:
    """Replace the profile's tags (the lab tag stays)."""

    def mutate(fake: FakeAws) -> None:
        profile = fake.inference_profiles[0]
        fake.inference_profiles[0] = dataclasses.replace(profile, tags={"labcheck-lab": LAB_ID, **tags})

    return mutate


def add_profile(profile_id: str) -> Mutation:
    """A second tagged application profile."""

    def mutate(fake: FakeAws) -> None:
        profile = fake.inference_profiles[0]
        arn = profile.arn.rsplit("/", 1)[0] + "/" + profile_id
        fake.inference_profiles.append(dataclasses.replace(profile, id=profile_id, arn=arn, name=profile_id))

    return mutate


def edit_function(**changes: Any) -> Mutation:
    """Change the app function."""

    def mutate(fake: FakeAws) -> None:
        fake.functions[0] = dataclasses.replace(fake.functions[0], **changes)

    return mutate


def fm(region: str, model: str) -> str:
    """A foundation-model ARN."""
    return f"arn:aws:bedrock:{region}::foundation-model/{model}"


# --- edits: billing, alarms, topics, capacity -------------------------------------------------------


def cost_tags(*tags: tuple[str, str]) -> Mutation:
    """The cost allocation tags billing knows, as (key, status)."""

    def mutate(fake: FakeAws) -> None:
        fake.cost_tags = [CostAllocationTag(k, "UserDefined", s) for k, s in tags]

    return mutate


def edit_budget(**changes: Any) -> Mutation:
    """Change the Bedrock budget (its notifications keep their subscribers)."""

    def mutate(fake: FakeAws) -> None:
        fake.budget_list[0] = dataclasses.replace(fake.budget_list[0], **fill(changes, fake))

    return mutate


def notifications(*specs: tuple[str, str, float, str | None, tuple[BudgetSubscriber, ...]]) -> Mutation:
    """Replace the budget's notifications: (type, comparison, threshold, threshold type, subscribers)."""

    def mutate(fake: FakeAws) -> None:
        budget = fake.budget_list[0]
        fake.subscribers = {}
        notes = []
        for kind, comparison, threshold, threshold_type, subscribers in specs:
            note = BudgetNotification(kind, comparison, threshold, threshold_type)
            notes.append(note)
            fake.subscribers[(budget.name, note)] = list(fill(subscribers, fake))
        fake.budget_list[0] = dataclasses.replace(budget, notifications=tuple(notes))

    return mutate


EMAIL = (BudgetSubscriber("EMAIL", "learner@example.com"),)
TO_TOPIC = (BudgetSubscriber("SNS", "{topic}"),)


def add_budget(name: str, **fields: Any) -> Mutation:
    """Another budget, with its own notifications and subscribers ({note: subscribers})."""

    def mutate(fake: FakeAws) -> None:
        subscribers = fields.pop("subscribers", {})
        fake.budget_list.insert(0, Budget(name=name, **fill(fields, fake)))
        for note, who in subscribers.items():
            fake.subscribers[(name, note)] = list(fill(who, fake))

    return mutate


def no_budgets(fake: FakeAws) -> None:
    """The account has no budget."""
    fake.budget_list.clear()


def tokens(
    metric: str = "InputTokenCount",
    stat: str = "Sum",
    period: int = 3600,
    dimensions: dict[str, str] | None = None,
    namespace: str = "AWS/Bedrock",
) -> MetricStat:
    """A token metric, by default the reference one (dimension ModelId = the profile ARN)."""
    return MetricStat(namespace, metric, {"ModelId": "{profile}"} if dimensions is None else dimensions, stat, period)


def edit_alarm(index: int, **changes: Any) -> Mutation:
    """Change one of the reference alarms (0: tokens, 1: guardrail interventions)."""

    def mutate(fake: FakeAws) -> None:
        alarm = fake.alarms[index]
        if isinstance(changes.get("metric"), MetricStat):
            metric = changes["metric"]
            changes["metric"] = dataclasses.replace(metric, dimensions=fill(dict(metric.dimensions), fake))
        fake.alarms[index] = dataclasses.replace(alarm, **changes)

    return mutate


def math_alarm(*queries: MetricQuery) -> Mutation:
    """Turn the token alarm into a metric-math alarm over these queries."""

    def mutate(fake: FakeAws) -> None:
        filled = tuple(
            dataclasses.replace(q, stat=dataclasses.replace(q.stat, dimensions=fill(dict(q.stat.dimensions), fake)))
            if q.stat
            else q
            for q in queries
        )
        fake.alarms[0] = dataclasses.replace(fake.alarms[0], metric=None, queries=filled)

    return mutate


def drop_alarm(index: int) -> Mutation:
    """Delete one of the reference alarms."""

    def mutate(fake: FakeAws) -> None:
        del fake.alarms[index]

    return mutate


def no_published_metrics(fake: FakeAws) -> None:
    """The app has not been called yet: CloudWatch lists no token metric."""
    fake.published.clear()


def subscriptions(topic: str, *entries: tuple[str, str, str]) -> Mutation:
    """Replace one topic's subscriptions with (arn, protocol, endpoint)."""

    def mutate(fake: FakeAws) -> None:
        fake.topics[fill(topic, fake)] = [TopicSubscription(*fill(e, fake)) for e in entries]

    return mutate


def no_topic(fake: FakeAws) -> None:
    """The alarms' topic has been deleted."""
    fake.topics.clear()


def throughput(status: str, units: int = 1, commitment: str | None = None) -> Mutation:
    """A Provisioned Throughput."""

    def mutate(fake: FakeAws) -> None:
        arn = f"arn:aws:bedrock:{fake.region}:{fake.account_id}:provisioned-model/pt0abc"
        fake.throughputs.append(
            ProvisionedThroughput(
                "labcheck-pt", arn, status, units, commitment, fm(fake.region, "amazon.nova-micro-v1:0")
            )
        )

    return mutate


# --- cases ------------------------------------------------------------------------------------------

C1 = "guardrail-published"
C2 = "guardrail-content-filters"
C3 = "guardrail-prompt-attack"
C4 = "guardrail-pii"
C5 = "guardrail-enforced"
C6 = "guardrail-encrypted-cmk"
C7 = "app-uses-tagged-inference-profile"
C8 = "model-choice-cost-efficient"
C9 = "cost-allocation-tag-active"
C10 = "bedrock-budget-alerts"
C11 = "token-usage-alarm"
C12 = "guardrail-intervention-alarm"
C13 = "alerts-deliverable"
C14 = "no-provisioned-throughput"

BLOCKED_BY_PUBLISHED = "blocked by guardrail-published"
DRAFT_ONLY = versions(("DRAFT", "READY"))
# Version 2 is strong, version 1 (the enforced one) is weak: the enforced version is the one graded.
STRONG_V2_WEAK_V1 = chain(publish("2"), weak_filters)
GRADE_HIGHEST = chain(publish("2"), weak_filters, UNCONDITIONED)

GUARDRAIL_CASES = [
    Case(C1, "DRAFT only", DRAFT_ONLY, FAIL, "no READY numeric version (found: DRAFT READY)"),
    Case(C1, "version 1 FAILED", versions(("DRAFT", "READY"), ("1", "FAILED")), FAIL, "found: DRAFT READY, 1 FAILED"),
    Case(C1, "version 1 still VERSIONING", versions(("DRAFT", "READY"), ("1", "VERSIONING")), FAIL, "1 VERSIONING"),
    Case(C1, "no versions at all", versions(), FAIL, "found: none"),
    Case(C1, "a FAILED and a READY version", versions(("1", "FAILED"), ("2", "READY")), PASS, "READY version(s) 2"),
    Case(C2, "HATE filter missing", content_filter("HATE", remove=True), FAIL, "no HATE filter"),
    Case(C2, "input strength LOW", content_filter("HATE", input_strength="LOW"), FAIL, "HATE input strength LOW"),
    Case(C2, "output strength NONE", content_filter("SEXUAL", output_strength="NONE"), FAIL, "SEXUAL output strength"),
    Case(C2, "input action NONE", content_filter("VIOLENCE", input_action="NONE"), FAIL, "detect only"),
    Case(
        C2, "output action NONE", content_filter("INSULTS", output_action="NONE"), FAIL, "INSULTS output action is NONE"
    ),
    Case(
        C2, "output disabled", content_filter("MISCONDUCT", output_enabled=False), FAIL, "MISCONDUCT output is disabled"
    ),
    Case(C2, "input disabled", content_filter("HATE", input_enabled=False), FAIL, "HATE input is disabled"),
    Case(
        C2,
        "explicit BLOCK and enabled",
        content_filter("HATE", input_action="BLOCK", output_action="BLOCK", input_enabled=True, output_enabled=True),
        PASS,
        "blocks every required category",
    ),
    Case(
        C2, "exactly MEDIUM", content_filter("HATE", input_strength="MEDIUM", output_strength="MEDIUM"), PASS, "MEDIUM"
    ),
    Case(
        C2,
        "min_filter_strength=HIGH",
        content_filter("HATE", input_strength="MEDIUM"),
        FAIL,
        "below HIGH",
        ("min_filter_strength=HIGH",),
    ),
    Case(
        C2,
        "required_content_filters narrowed",
        content_filter("MISCONDUCT", remove=True),
        PASS,
        "blocks every required",
        ("required_content_filters=HATE,INSULTS,SEXUAL,VIOLENCE",),
    ),
    Case(
        C2,
        "STANDARD tier is reported",
        edit_version(
            tier="STANDARD",
            cross_region_profile="arn:aws:bedrock:{region}:{account}:guardrail-profile/eu.guardrail.v1:0",
        ),
        PASS,
        "STANDARD tier: filtering runs through the cross-Region profile",
    ),
    Case(
        C2,
        "the enforced (weak) version is graded, not the newest",
        STRONG_V2_WEAK_V1,
        FAIL,
        "version 1 (the enforced version)",
    ),
    Case(
        C2,
        "without enforcement the highest READY version is graded",
        GRADE_HIGHEST,
        PASS,
        "version 2 (the highest READY version)",
    ),
    Case(
        C2,
        "the DRAFT is never graded",
        chain(versions(("DRAFT", "READY"), ("1", "READY")), weak_filters),
        FAIL,
        "version 1",
    ),
    Case(
        C2,
        "an account-enforced version is graded",
        chain(publish("2"), weak_filters, UNCONDITIONED, enforced({"version": "1"})),
        FAIL,
        "version 1 (the enforced version)",
    ),
    Case(C2, "no READY version", DRAFT_ONLY, FAIL, BLOCKED_BY_PUBLISHED),
    Case(C2, "the version cannot be read", unreadable_version, FAIL, BLOCKED_BY_PUBLISHED),
    Case(C3, "PROMPT_ATTACK missing", content_filter("PROMPT_ATTACK", remove=True), FAIL, "no PROMPT_ATTACK filter"),
    Case(
        C3,
        "input strength MEDIUM",
        content_filter("PROMPT_ATTACK", input_strength="MEDIUM"),
        FAIL,
        "MEDIUM is below HIGH",
    ),
    Case(
        C3,
        "input disabled",
        content_filter("PROMPT_ATTACK", input_enabled=False),
        FAIL,
        "PROMPT_ATTACK input is disabled",
    ),
    Case(C3, "input action NONE", content_filter("PROMPT_ATTACK", input_action="NONE"), FAIL, "detect only"),
    Case(
        C3,
        "output strength is not graded",
        content_filter("PROMPT_ATTACK", output_strength="HIGH", output_enabled=False),
        PASS,
        "blocks prompt attacks at HIGH",
    ),
    Case(
        C3,
        "prompt_attack_min_strength=MEDIUM",
        content_filter("PROMPT_ATTACK", input_strength="MEDIUM"),
        PASS,
        "at MEDIUM",
        ("prompt_attack_min_strength=MEDIUM",),
    ),
    Case(C3, "no READY version", DRAFT_ONLY, FAIL, BLOCKED_BY_PUBLISHED),
    Case(C4, "AWS_SECRET_KEY missing", pii("AWS_SECRET_KEY", remove=True), FAIL, "no AWS_SECRET_KEY entity"),
    Case(C4, "action NONE", pii("PHONE", action="NONE"), FAIL, "PHONE input is NONE; PHONE output is NONE"),
    Case(C4, "input action overrides", pii("EMAIL", input_action="NONE"), FAIL, "EMAIL input is NONE"),
    Case(C4, "output disabled", pii("US_SOCIAL_SECURITY_NUMBER", output_enabled=False), FAIL, "output is disabled"),
    Case(
        C4,
        "per-direction actions win over action",
        pii("EMAIL", action="NONE", input_action="BLOCK", output_action="ANONYMIZE"),
        PASS,
        "blocks or anonymises",
    ),
    Case(C4, "required_pii adds NAME", unchanged, FAIL, "no NAME entity", ("required_pii=EMAIL,NAME",)),
    Case(C4, "no READY version", DRAFT_ONLY, FAIL, BLOCKED_BY_PUBLISHED),
    Case(C6, "AWS-owned key", edit_version(kms_key_arn=None), FAIL, "AWS-owned key, not a customer-managed key"),
    Case(C6, "AWS-managed key", edit_key(manager="AWS"), FAIL, "is an AWS-managed key"),
    Case(C6, "rotation off", edit_key(rotation_enabled=False), FAIL, "automatic rotation off"),
    Case(C6, "disabled key", edit_key(state="Disabled"), FAIL, "is Disabled, not Enabled"),
    Case(C6, "key missing", no_key, FAIL, "does not exist"),
    Case(C6, "no READY version", DRAFT_ONLY, FAIL, BLOCKED_BY_PUBLISHED),
]

ENFORCEMENT_CASES = [
    Case(C5, "no condition", UNCONDITIONED, FAIL, "without a StringEquals bedrock:GuardrailIdentifier condition"),
    Case(
        C5,
        "unversioned guardrail ARN",
        role_allow(Condition={"StringEquals": {"bedrock:GuardrailIdentifier": "{guardrail}"}}),
        FAIL,
        "without a version, which never matches",
    ),
    Case(
        C5,
        "a version that is not READY",
        role_allow(Condition={"StringEquals": {"bedrock:GuardrailIdentifier": "{guardrail}:7"}}),
        FAIL,
        ":7, not arn:aws:bedrock:eu-central-1:111122223333:guardrail/gr0abc12345x:<a READY version> (1)",
    ),
    Case(
        C5,
        "another guardrail",
        role_allow(Condition={"StringEquals": {"bedrock:GuardrailIdentifier": OTHER_GUARDRAIL + ":1"}}),
        FAIL,
        "gr0other00000:1",
    ),
    Case(
        C5,
        "DRAFT named",
        role_allow(Condition={"StringEquals": {"bedrock:GuardrailIdentifier": "{guardrail}:DRAFT"}}),
        FAIL,
        ":DRAFT",
    ),
    Case(
        C5,
        "StringEqualsIfExists does not count",
        role_allow(Condition={"StringEqualsIfExists": {"bedrock:GuardrailIdentifier": "{guardrail}:1"}}),
        FAIL,
        "without a StringEquals",
    ),
    Case(
        C5,
        "StringLike does not count",
        role_allow(Condition={"StringLike": {"bedrock:GuardrailIdentifier": "{guardrail}:*"}}),
        FAIL,
        "without a StringEquals",
    ),
    Case(
        C5,
        "one of two values is another guardrail",
        role_allow(
            Condition={"StringEquals": {"bedrock:GuardrailIdentifier": ["{guardrail}:1", OTHER_GUARDRAIL + ":1"]}}
        ),
        FAIL,
        "gr0other00000:1",
    ),
    Case(
        C5,
        "a second, unconditioned Allow",
        app_statements(invoke_allow(), {"Effect": "Allow", "Action": "bedrock:*", "Resource": "*"}),
        FAIL,
        "an Allow statement allows bedrock:InvokeModel without",
    ),
    Case(
        C5,
        "two READY versions named",
        chain(
            publish("2"),
            role_allow(Condition={"StringEquals": {"bedrock:GuardrailIdentifier": ["{guardrail}:1", "{guardrail}:2"]}}),
        ),
        PASS,
        "only with arn:aws:bedrock:eu-central-1:111122223333:guardrail/gr0abc12345x:2",
    ),
    Case(
        C5,
        "condition key in another case",
        role_allow(Condition={"StringEquals": {"Bedrock:guardrailIdentifier": "{guardrail}:1"}}),
        PASS,
        "may invoke models only with",
    ),
    Case(
        C5,
        "Deny fence with StringNotEquals",
        app_statements(invoke_allow(Condition=None), guardrail_fence("StringNotEquals", "{guardrail}:1")),
        PASS,
        "may invoke models only with",
    ),
    Case(
        C5,
        "Deny fence with StringNotEqualsIfExists",
        app_statements(invoke_allow(Condition=None), guardrail_fence("StringNotEqualsIfExists", ["{guardrail}:1"])),
        PASS,
        "may invoke models only with",
    ),
    Case(
        C5,
        "Deny fence on the unversioned ARN",
        app_statements(invoke_allow(Condition=None), guardrail_fence("StringNotEquals", "{guardrail}")),
        FAIL,
        "without a StringEquals",
    ),
    Case(
        C5,
        "role cannot invoke at all",
        app_statements({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}),
        FAIL,
        "not allowed bedrock:InvokeModel",
    ),
    Case(C5, "account-level enforcement", chain(UNCONDITIONED, enforced({})), PASS, "the account enforces"),
    Case(
        C5,
        "account-level enforcement by guardrail id and versioned ARN",
        chain(UNCONDITIONED, enforced({"guardrail_arn": "{guardrail}:1", "guardrail_id": "{guardrail_id}"})),
        PASS,
        "the account enforces",
    ),
    Case(
        C5,
        "account enforcement excludes the app's model",
        chain(UNCONDITIONED, enforced({"excluded_models": ("{model_id}",)})),
        FAIL,
        "leaves out the app's models",
    ),
    Case(
        C5,
        "account enforcement includes only another model",
        chain(UNCONDITIONED, enforced({"included_models": (SONNET,)})),
        FAIL,
        "leaves out the app's models",
    ),
    Case(
        C5,
        "account enforcement includes the app's model",
        chain(UNCONDITIONED, enforced({"included_models": ("{model_id}",)})),
        PASS,
        "the account enforces",
    ),
    Case(
        C5,
        "account enforcement on ALL models",
        chain(UNCONDITIONED, enforced({"included_models": ("ALL",)})),
        PASS,
        "the account enforces",
    ),
    Case(
        C5,
        "account enforcement on ALL but the app's model",
        chain(UNCONDITIONED, enforced({"included_models": ("ALL",), "excluded_models": ("{model_id}",)})),
        FAIL,
        "leaves out the app's models",
    ),
    Case(
        C5,
        "account enforcement without a numeric version",
        chain(UNCONDITIONED, enforced({"version": None})),
        FAIL,
        "not a READY numeric version",
    ),
    Case(
        C5,
        "account enforcement of another guardrail",
        chain(UNCONDITIONED, enforced({"guardrail_arn": OTHER_GUARDRAIL, "guardrail_id": "gr0other00000"})),
        FAIL,
        "no account-level enforced guardrail names it",
    ),
    Case(C5, "no READY version", DRAFT_ONLY, FAIL, BLOCKED_BY_PUBLISHED),
]

SONNET_PROFILE = edit_profile(model_arns=(fm("{region}", SONNET),))
GEO_MODELS = tuple(fm(r, "amazon.nova-micro-v1:0") for r in ("eu-central-1", "eu-west-1", "eu-west-3"))

PROFILE_CASES = [
    Case(C7, "no CostCenter tag", profile_tags(), FAIL, "labcheck-finops has no CostCenter tag value"),
    Case(C7, "empty CostCenter value", profile_tags(CostCenter=""), FAIL, "no CostCenter tag value"),
    Case(
        C7, "cost_tag_keys adds Project", unchanged, FAIL, "no Project tag value", ("cost_tag_keys=CostCenter,Project",)
    ),
    Case(C7, "not ACTIVE", edit_profile(status="DELETING"), FAIL, "is DELETING, not ACTIVE"),
    Case(
        C7,
        "role grants the model, not the profile",
        role_allow(Resource=["{model}"]),
        FAIL,
        "does not name arn:aws:bedrock",
    ),
    Case(
        C7,
        "profile only in a streaming statement",
        app_statements(
            invoke_allow(Action="bedrock:InvokeModel", Resource=["{model}"]),
            invoke_allow(Action="bedrock:InvokeModelWithResponseStream", Resource=["{profile}"]),
        ),
        FAIL,
        "does not name",
    ),
    Case(
        C7,
        "a geo profile copy routes to several Regions",
        edit_profile(model_arns=GEO_MODELS),
        PASS,
        "routes to eu-central-1, eu-west-1, eu-west-3",
    ),
    Case(
        C7,
        "a SYSTEM_DEFINED profile is no anchor",
        edit_profile(type="SYSTEM_DEFINED"),
        FAIL,
        "no application inference profile tagged",
    ),
    Case(
        C8,
        "profile copies Sonnet",
        chain(SONNET_PROFILE, role_allow(Resource=["{profile}", "{model}"])),
        FAIL,
        f"routes to {SONNET}, not a cost-efficient model",
    ),
    Case(C8, "Resource *", role_allow(Resource="*"), FAIL, "may also invoke *"),
    Case(
        C8,
        "foundation-model/* wildcard",
        role_allow(Resource=["{profile}", fm("{region}", "*")]),
        FAIL,
        "foundation-model/*",
    ),
    Case(
        C8,
        "an extra model",
        role_allow(Resource=["{profile}", "{model}", fm("{region}", SONNET)]),
        FAIL,
        f"may also invoke arn:aws:bedrock:eu-central-1::foundation-model/{SONNET}",
    ),
    Case(
        C8,
        "NotResource",
        role_allow(Resource=None, NotResource=fm("{region}", SONNET)),
        FAIL,
        "may also invoke anything outside its NotResource",
    ),
    Case(
        C8,
        "an extra model on the streaming action only",
        app_statements(
            invoke_allow(),
            invoke_allow(
                Action="bedrock:InvokeModelWithResponseStream", Resource=fm("{region}", SONNET), Condition=None
            ),
        ),
        FAIL,
        "may also invoke",
    ),
    Case(C8, "profile ARN only", role_allow(Resource=["{profile}"]), PASS, "the only model the app may invoke"),
    Case(
        C8,
        "a geo profile copy with every Region's model granted",
        chain(edit_profile(model_arns=GEO_MODELS), role_allow(Resource=["{profile}", *GEO_MODELS])),
        PASS,
        "the only model",
    ),
    Case(
        C8,
        "cost_efficient_model_ids without Nova Micro",
        unchanged,
        FAIL,
        "not a cost-efficient model",
        ("cost_efficient_model_ids=amazon.nova-lite-v1:0",),
    ),
    Case(
        C8,
        "Sonnet allowed by input",
        chain(SONNET_PROFILE, role_allow(Resource=["{profile}", "{model}"])),
        PASS,
        SONNET,
        (f"cost_efficient_model_ids={SONNET}",),
    ),
    Case(C8, "a profile with no model", edit_profile(model_arns=()), FAIL, "names no model"),
]

BUDGET_CASES = [
    Case(C9, "key not seen by billing yet", cost_tags(), PENDING, "run again later, or use --wait"),
    Case(C9, "PENDING names the wait", cost_tags(), PENDING, "up to 24 hours"),
    Case(C9, "Inactive", cost_tags(("CostCenter", "Inactive")), FAIL, "CostCenter are known to billing but Inactive"),
    Case(
        C9,
        "a second key not seen yet",
        unchanged,
        PENDING,
        "billing has not seen Project",
        ("cost_tag_keys=CostCenter,Project",),
    ),
    Case(
        C9,
        "one inactive, one unseen",
        cost_tags(("CostCenter", "Inactive")),
        FAIL,
        "Inactive",
        ("cost_tag_keys=CostCenter,Project",),
    ),
    Case(C10, "no budget", no_budgets, FAIL, "has no AWS Budget"),
    Case(C10, "USAGE budget", edit_budget(type="USAGE"), FAIL, "a USAGE budget, not COST"),
    Case(C10, "QUARTERLY", edit_budget(time_unit="QUARTERLY"), FAIL, "resets QUARTERLY"),
    Case(C10, "DAILY", edit_budget(time_unit="DAILY"), PASS, "(DAILY, Service = Amazon Bedrock)"),
    Case(C10, "limit above the cap", edit_budget(limit_amount=500.0), FAIL, "limit 500.0 above 50 USD"),
    Case(C10, "limit exactly the cap", edit_budget(limit_amount=50.0), PASS, "alerts on actual and forecasted"),
    Case(C10, "max_monthly_budget_usd=10", unchanged, FAIL, "limit 20.0 above 10 USD", ("max_monthly_budget_usd=10",)),
    Case(
        C10,
        "planned limits: the current period counts",
        edit_budget(limit_amount=None, planned_limits=((0, 20.0), (4102444800, 900.0))),
        PASS,
        "alerts on actual",
    ),
    Case(
        C10,
        "planned limits above the cap",
        edit_budget(limit_amount=None, planned_limits=((0, 90.0),)),
        FAIL,
        "limit 90.0 above",
    ),
    Case(
        C10,
        "another service",
        edit_budget(cost_filters={"Service": ("Amazon Elastic Compute Cloud - Compute",)}),
        FAIL,
        "not limited to Amazon Bedrock",
    ),
    Case(C10, "no filter at all", edit_budget(cost_filters={}), FAIL, "not limited to Amazon Bedrock"),
    Case(
        C10,
        "FilterExpression on SERVICE",
        edit_budget(
            cost_filters={}, filter_expression={"Dimensions": {"Key": "SERVICE", "Values": ["Amazon Bedrock"]}}
        ),
        PASS,
        "SERVICE = Amazon Bedrock",
    ),
    Case(
        C10,
        "FilterExpression SERVICE inside And",
        edit_budget(
            cost_filters={},
            filter_expression={
                "And": [
                    {"Dimensions": {"Key": "REGION", "Values": ["{region}"]}},
                    {"Dimensions": {"Key": "SERVICE", "Values": ["Amazon Bedrock"]}},
                ]
            },
        ),
        PASS,
        "SERVICE = Amazon Bedrock",
    ),
    Case(
        C10,
        "FilterExpression SERVICE under Not",
        edit_budget(
            cost_filters={}, filter_expression={"Not": {"Dimensions": {"Key": "SERVICE", "Values": ["Amazon Bedrock"]}}}
        ),
        FAIL,
        "not limited to Amazon Bedrock",
    ),
    Case(
        C10,
        "TagKeyValue cost filter",
        edit_budget(cost_filters={"TagKeyValue": ("user:CostCenter$genai-lab",)}),
        PASS,
        "tag CostCenter",
    ),
    Case(
        C10,
        "TagKeyValue of another tag",
        edit_budget(cost_filters={"TagKeyValue": ("user:Owner$me",)}),
        FAIL,
        "not limited",
    ),
    Case(
        C10,
        "FilterExpression on the cost tag",
        edit_budget(cost_filters={}, filter_expression={"Tags": {"Key": "user:CostCenter", "Values": ["genai-lab"]}}),
        PASS,
        "tag CostCenter",
    ),
    Case(
        C10,
        "no FORECASTED notification",
        notifications(("ACTUAL", "GREATER_THAN", 80.0, "PERCENTAGE", EMAIL)),
        FAIL,
        "no FORECASTED GREATER_THAN alert with a subscriber",
    ),
    Case(
        C10,
        "no ACTUAL notification",
        notifications(("FORECASTED", "GREATER_THAN", 100.0, "PERCENTAGE", EMAIL)),
        FAIL,
        "no ACTUAL",
    ),
    Case(
        C10,
        "LESS_THAN",
        notifications(
            ("ACTUAL", "LESS_THAN", 80.0, "PERCENTAGE", EMAIL),
            ("FORECASTED", "GREATER_THAN", 100.0, "PERCENTAGE", EMAIL),
        ),
        FAIL,
        "no ACTUAL",
    ),
    Case(
        C10,
        "percentage above 100",
        notifications(
            ("ACTUAL", "GREATER_THAN", 80.0, "PERCENTAGE", EMAIL),
            ("FORECASTED", "GREATER_THAN", 150.0, "PERCENTAGE", EMAIL),
        ),
        FAIL,
        "no FORECASTED",
    ),
    Case(
        C10,
        "absolute thresholds within the limit",
        notifications(
            ("ACTUAL", "GREATER_THAN", 15.0, "ABSOLUTE_VALUE", EMAIL),
            ("FORECASTED", "GREATER_THAN", 20.0, "ABSOLUTE_VALUE", TO_TOPIC),
        ),
        PASS,
        "alerts on actual",
    ),
    Case(
        C10,
        "absolute threshold above the limit",
        notifications(
            ("ACTUAL", "GREATER_THAN", 30.0, "ABSOLUTE_VALUE", EMAIL),
            ("FORECASTED", "GREATER_THAN", 100.0, "PERCENTAGE", EMAIL),
        ),
        FAIL,
        "no ACTUAL",
    ),
    Case(
        C10,
        "threshold type not returned means PERCENTAGE",
        notifications(
            ("ACTUAL", "GREATER_THAN", 80.0, None, EMAIL), ("FORECASTED", "GREATER_THAN", 100.0, None, EMAIL)
        ),
        PASS,
        "alerts on actual",
    ),
    Case(
        C10,
        "a notification without subscribers",
        notifications(
            ("ACTUAL", "GREATER_THAN", 80.0, "PERCENTAGE", ()),
            ("FORECASTED", "GREATER_THAN", 100.0, "PERCENTAGE", EMAIL),
        ),
        FAIL,
        "no ACTUAL GREATER_THAN alert with a subscriber",
    ),
    Case(
        C10,
        "a bad budget beside the good one",
        add_budget("monthly-total", type="COST", time_unit="MONTHLY", limit_amount=500.0, limit_unit="USD"),
        PASS,
        "budget labcheck-finops-bedrock",
    ),
    Case(
        C10,
        "only a bad budget",
        chain(
            no_budgets,
            add_budget("monthly-total", type="COST", time_unit="MONTHLY", limit_amount=500.0, limit_unit="USD"),
        ),
        FAIL,
        "no budget qualifies: budget monthly-total: limit 500.0 above 50 USD, not limited to Amazon Bedrock",
    ),
]

INTERVENTIONS = MetricStat("AWS/Bedrock/Guardrails", "InvocationsIntervened", {}, "Sum", 300)
SUM_OF_TOKENS = (
    MetricQuery("m1", tokens("InputTokenCount"), return_data=False),
    MetricQuery("m2", tokens("OutputTokenCount"), return_data=False),
    MetricQuery("e1", expression="m1 + m2", return_data=True),
)

ALARM_CASES = [
    Case(
        C11, "no token alarm", drop_alarm(0), FAIL, "no alarm watches AWS/Bedrock InputTokenCount or OutputTokenCount"
    ),
    Case(C11, "Average", edit_alarm(0, metric=tokens(stat="Average")), FAIL, "statistic Average, not Sum"),
    Case(C11, "SampleCount", edit_alarm(0, metric=tokens(stat="SampleCount")), FAIL, "statistic SampleCount, not Sum"),
    Case(C11, "daily period", edit_alarm(0, metric=tokens(period=86400)), FAIL, "period 86400 s is above 3600 s"),
    Case(C11, "max_alarm_period_s=300", unchanged, FAIL, "period 3600 s is above 300 s", ("max_alarm_period_s=300",)),
    Case(C11, "actions disabled", edit_alarm(0, actions_enabled=False), FAIL, "its actions are disabled"),
    Case(
        C11,
        "no SNS action",
        edit_alarm(0, alarm_actions=("arn:aws:lambda:eu-central-1:111122223333:function:pager",)),
        FAIL,
        "it notifies no SNS topic",
    ),
    Case(C11, "no action at all", edit_alarm(0, alarm_actions=()), FAIL, "it notifies no SNS topic"),
    Case(
        C11,
        "another model's dimension",
        edit_alarm(0, metric=tokens(dimensions={"ModelId": SONNET})),
        FAIL,
        "are not the app's model or profile",
    ),
    Case(
        C11,
        "an extra dimension",
        edit_alarm(0, metric=tokens(dimensions={"ModelId": "{profile}", "Operation": "Converse"})),
        FAIL,
        "are not the app's model or profile",
    ),
    Case(
        C11,
        "the model id dimension",
        edit_alarm(0, metric=tokens(dimensions={"ModelId": "{model_id}"})),
        PASS,
        "watches InputTokenCount",
    ),
    Case(
        C11,
        "the profile id dimension",
        edit_alarm(0, metric=tokens(dimensions={"ModelId": "{profile_id}"})),
        PASS,
        "watches InputTokenCount",
    ),
    Case(C11, "no dimension", edit_alarm(0, metric=tokens(dimensions={})), PASS, "watches InputTokenCount"),
    Case(C11, "OutputTokenCount", edit_alarm(0, metric=tokens("OutputTokenCount")), PASS, "watches OutputTokenCount"),
    Case(
        C11, "another namespace", edit_alarm(0, metric=tokens(namespace="AWS/BedrockMantle")), FAIL, "no alarm watches"
    ),
    Case(C11, "another metric", edit_alarm(0, metric=tokens("Invocations")), FAIL, "no alarm watches"),
    Case(
        C11,
        "metric math adding input and output",
        math_alarm(*SUM_OF_TOKENS),
        PASS,
        "watches InputTokenCount Sum per 3600 s",
    ),
    Case(
        C11,
        "metric math returning the token metric itself",
        math_alarm(MetricQuery("m1", tokens(dimensions={}), return_data=True)),
        PASS,
        "watches InputTokenCount",
    ),
    Case(
        C11,
        "metric math returning another metric",
        math_alarm(
            MetricQuery("m1", tokens(), return_data=False),
            MetricQuery("m2", tokens("Invocations"), return_data=True),
        ),
        FAIL,
        "no alarm watches",
    ),
    Case(
        C11,
        "metric math over Average",
        math_alarm(
            MetricQuery("m1", tokens(stat="Average"), return_data=False),
            MetricQuery("e1", expression="m1 * 60", return_data=True),
        ),
        FAIL,
        "statistic Average, not Sum",
    ),
    Case(
        C11,
        "metric math with a daily period",
        math_alarm(
            MetricQuery("m1", tokens(period=86400), return_data=False),
            MetricQuery("e1", expression="m1", return_data=True),
        ),
        FAIL,
        "period 86400 s",
    ),
    Case(C11, "no datapoints yet is informational", no_published_metrics, PASS, "no datapoints yet"),
    Case(
        C11,
        "a ModelId dimension needs the profile",
        lambda fake: fake.inference_profiles.clear(),
        FAIL,
        "no application inference profile tagged",
    ),
    Case(
        C11,
        "a good alarm beside a bad one",
        lambda fake: fake.alarms.insert(0, dataclasses.replace(fake.alarms[0], name="old", actions_enabled=False)),
        PASS,
        "alarm labcheck-finops-tokens",
    ),
    Case(
        C12,
        "no intervention alarm",
        drop_alarm(1),
        FAIL,
        "no alarm watches AWS/Bedrock/Guardrails InvocationsIntervened",
    ),
    Case(
        C12,
        "Average",
        edit_alarm(1, metric=dataclasses.replace(INTERVENTIONS, stat="Average")),
        FAIL,
        "statistic Average",
    ),
    Case(
        C12,
        "SampleCount",
        edit_alarm(1, metric=dataclasses.replace(INTERVENTIONS, stat="SampleCount")),
        PASS,
        "watches InvocationsIntervened",
    ),
    Case(C12, "actions disabled", edit_alarm(1, actions_enabled=False), FAIL, "its actions are disabled"),
    Case(C12, "no SNS action", edit_alarm(1, alarm_actions=()), FAIL, "notifies no SNS topic"),
    Case(
        C12,
        "any dimensions",
        edit_alarm(
            1, metric=dataclasses.replace(INTERVENTIONS, dimensions={"GuardrailArn": "x", "GuardrailVersion": "1"})
        ),
        PASS,
        "watches InvocationsIntervened",
    ),
]

CONFIRMED = ("{topic}:0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0", "email", "learner@example.com")
SECOND_TOPIC = "arn:aws:sns:eu-central-1:111122223333:labcheck-finops-budget"

DELIVERY_CASES = [
    Case(
        C13,
        "email subscription pending",
        subscriptions("{topic}", ("PendingConfirmation", "email", "learner@example.com")),
        FAIL,
        "has no confirmed subscription: learner@example.com (PendingConfirmation)",
    ),
    Case(C13, "no subscription", subscriptions("{topic}"), FAIL, "has no confirmed subscription"),
    Case(
        C13,
        "deleted subscription",
        subscriptions("{topic}", ("Deleted", "email", "x@example.com")),
        FAIL,
        "no confirmed",
    ),
    Case(
        C13,
        "one confirmed beside a pending one",
        subscriptions("{topic}", ("PendingConfirmation", "email", "a@example.com"), CONFIRMED),
        PASS,
        "each has a confirmed subscription",
    ),
    Case(C13, "topic deleted", no_topic, FAIL, "does not exist"),
    Case(
        C13,
        "the budget's own topic is pending",
        chain(
            notifications(
                ("ACTUAL", "GREATER_THAN", 80.0, "PERCENTAGE", EMAIL),
                ("FORECASTED", "GREATER_THAN", 100.0, "PERCENTAGE", (BudgetSubscriber("SNS", SECOND_TOPIC),)),
            ),
            subscriptions(SECOND_TOPIC, ("PendingConfirmation", "email", "finance@example.com")),
        ),
        FAIL,
        f"topic {SECOND_TOPIC} has no confirmed subscription",
    ),
    Case(
        C13,
        "a topic of a non-Bedrock budget is not graded",
        add_budget(
            "ec2",
            type="COST",
            time_unit="MONTHLY",
            limit_amount=10.0,
            limit_unit="USD",
            cost_filters={"Service": ("Amazon Elastic Compute Cloud - Compute",)},
            notifications=(BudgetNotification("ACTUAL", "GREATER_THAN", 50.0, "PERCENTAGE"),),
            subscribers={
                BudgetNotification("ACTUAL", "GREATER_THAN", 50.0, "PERCENTAGE"): (
                    BudgetSubscriber("SNS", OTHER_TOPIC),
                )
            },
        ),
        PASS,
        "each has a confirmed",
    ),
    Case(
        C13,
        "an unrelated alarm's topic is not graded",
        lambda fake: fake.alarms.append(
            Alarm(
                "cpu",
                "arn:aws:cloudwatch:eu-central-1:111122223333:alarm:cpu",
                True,
                (OTHER_TOPIC,),
                metric=MetricStat("AWS/EC2", "CPUUtilization", {}, "Average", 300),
            )
        ),
        PASS,
        "each has a confirmed",
    ),
    Case(
        C13,
        "nothing notifies a topic",
        chain(
            edit_alarm(0, alarm_actions=()),
            edit_alarm(1, alarm_actions=()),
            notifications(
                ("ACTUAL", "GREATER_THAN", 80.0, "PERCENTAGE", EMAIL),
                ("FORECASTED", "GREATER_THAN", 100.0, "PERCENTAGE", EMAIL),
            ),
        ),
        FAIL,
        "blocked by token-usage-alarm",
    ),
    Case(
        C14, "InService, no commitment", throughput("InService"), FAIL, "labcheck-pt (InService, 1 MU, no commitment)"
    ),
    Case(C14, "Creating", throughput("Creating"), FAIL, "labcheck-pt (Creating"),
    Case(C14, "Updating", throughput("Updating"), FAIL, "labcheck-pt (Updating"),
    Case(C14, "a commitment", throughput("InService", 1, "SixMonths"), FAIL, "SixMonths"),
    Case(C14, "Failed is not billed", throughput("Failed"), PASS, "no Provisioned Throughput in eu-central-1"),
    Case(
        C14,
        "allowed: 1 MU, no commitment",
        throughput("InService"),
        PASS,
        "as allowed",
        ("allow_provisioned_throughput=true",),
    ),
    Case(
        C14,
        "allowed, but committed",
        throughput("InService", 1, "OneMonth"),
        FAIL,
        "OneMonth",
        ("allow_provisioned_throughput=true",),
    ),
    Case(C14, "allowed, but 2 MU", throughput("InService", 2), FAIL, "2 MU", ("allow_provisioned_throughput=true",)),
]

LEARNER_TAGS = {"labcheck-lab": LAB_ID, "labcheck-learner": "bob"}
NO_GUARDRAIL = edit_guardrail_summary(tags={})

DISCOVERY_CASES = [
    *(
        Case(c, "no tagged guardrail", NO_GUARDRAIL, FAIL, f"no guardrail tagged labcheck-lab={LAB_ID}")
        for c in (C1, C2, C3, C4, C5, C6)
    ),
    *(
        Case(
            c,
            "two tagged guardrails",
            add_guardrail("gr0second0000", {"labcheck-lab": LAB_ID}),
            ERROR,
            "ambiguous: 2 guardrails",
        )
        for c in (C1, C2, C5)
    ),
    Case(
        C1,
        "two tagged guardrails, the learner tag picks one",
        chain(
            edit_guardrail_summary(tags={**LEARNER_TAGS, "labcheck-learner": "alice"}),
            add_guardrail("gr0second0000", LEARNER_TAGS),
        ),
        PASS,
        "guardrail labcheck-finops has READY",
        ("learner_id=alice",),
    ),
    Case(
        C1,
        "a guardrail tagged for another lab",
        edit_guardrail_summary(tags={"labcheck-lab": "aws-bedrock-rag-kb"}),
        FAIL,
        "no guardrail tagged",
    ),
    *(
        Case(
            c,
            "no tagged profile",
            lambda fake: fake.inference_profiles.clear(),
            FAIL,
            "no application inference profile tagged",
        )
        for c in (C7, C8)
    ),
    *(
        Case(
            c, "two tagged profiles", add_profile("f6e5d4c3b2a1"), ERROR, "ambiguous: 2 application inference profiles"
        )
        for c in (C7, C8)
    ),
    *(
        Case(c, "no tagged function", edit_function(tags={}), FAIL, "no Lambda function tagged")
        for c in (C2, C5, C7, C8)
    ),
]

CASES = [
    *GUARDRAIL_CASES,
    *ENFORCEMENT_CASES,
    *PROFILE_CASES,
    *BUDGET_CASES,
    *ALARM_CASES,
    *DELIVERY_CASES,
    *DISCOVERY_CASES,
]


CONTRACT = LabContract(LAB, CASES)

# --- tests ------------------------------------------------------------------------------------------

test_reference_passes = CONTRACT.reference_passes()
test_case = CONTRACT.case_test()


def test_cases_cover_every_check_with_a_failure() -> None:
    assert len(CHECK_IDS) == 14
    assert_cases_cover_every_check(CASES, CHECK_IDS)
    assert {c.check_id for c in CASES if c.status is PENDING} == {C9}


def test_reference_is_fresh_each_call(reference: Reference) -> None:
    first, second = reference(), reference()
    DRAFT_ONLY(first)
    UNCONDITIONED(first)
    first.alarms.clear()
    assert second.alarms
    assert len(second.guardrail_version_list[second.guardrail_list[0].arn]) == 2
    assert (
        second.policies["labcheck-finops-app"][0].document
        is not reference().policies["labcheck-finops-app"][0].document
    )


def test_pending_cost_tag_becomes_pass_once_billing_activates_it(reference: Reference, run: Runner) -> None:
    fake = reference()
    cost_tags()(fake)
    assert run(C9, fake).status is PENDING
    cost_tags(("CostCenter", "Active"))(fake)
    assert run(C9, fake).status is PASS


def test_the_content_checks_grade_no_draft(reference: Reference, run: Runner) -> None:
    fake = reference()
    fake.calls.clear()
    run(C2, fake)
    assert ("gr0abc12345x", "DRAFT") not in fake.guardrail_configs
    assert "bedrock:GetGuardrail" in fake.calls


GUARDRAIL_CHECKS = [c.id for c in LAB.checks if "bedrock:ListGuardrails" in c.spec.permissions]


@pytest.mark.parametrize("check_id", GUARDRAIL_CHECKS)
def test_untagged_guardrail_fails_with_a_tagging_hint(check_id: str, reference: Reference, run: Runner) -> None:
    fake = reference()
    NO_GUARDRAIL(fake)
    result = run(check_id, fake)
    assert result.status is FAIL, result.message
    assert f"no guardrail tagged labcheck-lab={LAB_ID}" in result.message
    assert "default_tags" in result.hint


def test_two_tagged_guardrails_none_with_the_learner_tag_is_ambiguous(reference: Reference, run: Runner) -> None:
    fake = reference()
    add_guardrail("gr0second0000", LEARNER_TAGS)(fake)
    result = run(C1, fake, ("learner_id=alice",))
    assert result.status is ERROR, result.message
    assert "ambiguous" in result.message


# --- permissions ------------------------------------------------------------------------------------

test_denied_action_is_error_or_not_reached = CONTRACT.denied_action_is_error_or_not_reached()
test_some_declared_action_is_needed = CONTRACT.some_declared_action_is_needed()


def test_account_enforcement_needs_its_action(reference: Reference, run: Runner) -> None:
    fake = reference()
    UNCONDITIONED(fake)
    fake.denied = {"bedrock:ListEnforcedGuardrailsConfiguration"}
    for check_id in (C2, C5):
        result = run(check_id, fake)
        assert result.status is ERROR, result.message
        assert "bedrock:ListEnforcedGuardrailsConfiguration" in result.message


test_declared_permissions_suffice = CONTRACT.declared_permissions_suffice()
