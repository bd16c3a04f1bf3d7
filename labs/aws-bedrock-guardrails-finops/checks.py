"""The requirements of aws-bedrock-guardrails-finops, as code.

Anchors (the app function, the guardrail and the application inference profile) are found by the
labcheck-lab tag; the role, the guardrail's versions and key, and the SNS topics are reached from them by
reference; budgets and alarms are found by what they measure; the cost tag and Provisioned Throughput are
account facts.

The graded guardrail version G is the numeric version the enforcement names (the app role's
bedrock:GuardrailIdentifier condition, else an account-level enforced configuration); without one, it is
the highest READY numeric version. Filters are read from G, never from the DRAFT learners edit.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
import functools
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

from labcheck.errors import BlockedError
from labcheck.model import ADVISORY, REQUIRED, LabInputs, Verdict, check, failed, passed, pending
from labcheck.providers.aws import rules
from labcheck.providers.aws.discovery import FUNCTION_DISCOVERY, LAB_TAG, ROLE_POLICY_READS, lab_function, single_anchor
from labcheck.providers.aws.view import Document, Function
from labcheck.providers.aws.view_finops import (
    Alarm,
    Budget,
    BudgetNotification,
    FinopsView,
    Guardrail,
    GuardrailSummary,
    InferenceProfile,
    MetricStat,
)

INVOKE = "bedrock:InvokeModel"
INVOKE_ACTIONS = ("bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream")
GUARDRAIL_KEY = "bedrock:GuardrailIdentifier"
STRENGTH = {"NONE": 0, "LOW": 1, "MEDIUM": 2, "HIGH": 3}
BEDROCK_SERVICE = "Amazon Bedrock"
TOKEN_METRICS = ("InputTokenCount", "OutputTokenCount")
GUARDRAIL_NAMESPACE, INTERVENED = "AWS/Bedrock/Guardrails", "InvocationsIntervened"
ACTIVE_THROUGHPUT = {"creating", "inservice", "updating"}
PENDING_SUBSCRIPTION = {"pendingconfirmation", "deleted"}

GUARDRAIL_DISCOVERY = ("bedrock:ListGuardrails", "bedrock:ListTagsForResource")
APP_READS = (*FUNCTION_DISCOVERY, *ROLE_POLICY_READS)
ENFORCEMENT_READS = (*GUARDRAIL_DISCOVERY, *APP_READS, "bedrock:ListEnforcedGuardrailsConfiguration")
GRADED_READS = (*ENFORCEMENT_READS, "bedrock:GetGuardrail")
PROFILE_DISCOVERY = ("bedrock:ListInferenceProfiles", "bedrock:ListTagsForResource", "bedrock:GetInferenceProfile")
ALARM_READS = ("cloudwatch:DescribeAlarms",)
BUDGET_READS = ("budgets:ViewBudget",)


# --- anchors and the graded guardrail version -------------------------------------------------------


def _guardrail(aws: FinopsView, lab: LabInputs) -> GuardrailSummary:
    found = aws.tagged_guardrails(LAB_TAG, lab.lab_id)
    return single_anchor(found, "guardrail", lab, lambda g: g.tags, lambda g: g.name or g.id)


def _profile(aws: FinopsView, lab: LabInputs) -> InferenceProfile:
    found = aws.tagged_inference_profiles(LAB_TAG, lab.lab_id)
    return single_anchor(found, "application inference profile", lab, lambda p: p.tags, lambda p: p.name or p.id)


def _ready_versions(aws: FinopsView, guardrail: GuardrailSummary) -> set[str]:
    return {v.version for v in aws.guardrail_versions(guardrail.arn) if v.version.isdigit() and v.status == "READY"}


def _published(aws: FinopsView, lab: LabInputs) -> tuple[GuardrailSummary, set[str]]:
    """The lab guardrail and its READY numeric versions, of which there must be one."""
    guardrail = _guardrail(aws, lab)
    ready = _ready_versions(aws, guardrail)
    if not ready:
        raise BlockedError("guardrail-published", f"guardrail {guardrail.name or guardrail.id} has no READY version")
    return guardrail, ready


def _app(aws: FinopsView, lab: LabInputs) -> tuple[Function, list[Document]]:
    app = lab_function(aws, lab)
    return app, [p.document for p in aws.role_policies(app.role_arn.rsplit("/", 1)[-1])]


def _unversioned(arn: str) -> str:
    return ":".join(arn.split(":")[:6])


def _named_version(values: Sequence[str], guardrail_arn: str, ready: set[str]) -> str | None:
    """The highest version the condition values name, if every value is the lab guardrail at a READY version."""
    prefix = guardrail_arn + ":"
    versions = [v.removeprefix(prefix) for v in values if v.startswith(prefix)]
    if not values or len(versions) != len(values) or not set(versions) <= ready:
        return None
    return max(versions, key=int)


def _condition_problem(values: Sequence[str], guardrail_arn: str, ready: set[str]) -> str:
    if not values:
        return f"allows {INVOKE} without a StringEquals {GUARDRAIL_KEY} condition"
    if guardrail_arn in values:
        return f"names {guardrail_arn} without a version, which never matches (every call is denied)"
    return f"names {', '.join(values)}, not {guardrail_arn}:<a READY version> ({', '.join(sorted(ready, key=int))})"


def _iam_enforcement(documents: list[Document], guardrail_arn: str, ready: set[str]) -> tuple[str | None, list[str]]:
    """The version the app role forces on every InvokeModel, or why it forces none."""
    for deny in rules.denies_for(documents, INVOKE):
        values = deny.values(("StringNotEquals", "StringNotEqualsIfExists"), GUARDRAIL_KEY)
        if version := _named_version(values, guardrail_arn, ready):
            return version, []
    allows = rules.allows_for(documents, INVOKE)
    if not allows:
        return None, [f"the app role is not allowed {INVOKE}"]
    versions = [_named_version(s.values(("StringEquals",), GUARDRAIL_KEY), guardrail_arn, ready) for s in allows]
    problems = [
        f"an Allow statement {_condition_problem(s.values(('StringEquals',), GUARDRAIL_KEY), guardrail_arn, ready)}"
        for s, version in zip(allows, versions, strict=True)
        if version is None
    ]
    return (None, problems) if problems else (max((v for v in versions if v), key=int), [])


def _invoked(documents: list[Document]) -> set[str]:
    """What the app role may invoke, as ARNs and as the ids after their last slash."""
    arns = {r for a in INVOKE_ACTIONS for s in rules.allows_for(documents, a) for r in s.resources}
    return arns | {a.rsplit("/", 1)[-1] for a in arns}


def _matching(models: set[str], patterns: Sequence[str]) -> set[str]:
    """The models a list of model ids names; "ALL" names every one (includedModels only)."""
    return {m for m in models for p in patterns if p == "ALL" or fnmatch.fnmatchcase(m, p)}


def _account_enforcement(
    aws: FinopsView, guardrail: GuardrailSummary, ready: set[str], invoked: set[str]
) -> tuple[str | None, list[str]]:
    """The version an account-level enforced configuration applies to the app's models, or why none does."""
    problems = []
    for config in aws.enforced_guardrails():
        if _unversioned(config.guardrail_arn) != guardrail.arn and config.guardrail_id != guardrail.id:
            continue
        if config.version not in ready:
            problems.append(f"the account enforces version {config.version}, not a READY numeric version")
        elif _matching(invoked, config.excluded_models) or not _matching(invoked, config.included_models or ["ALL"]):
            problems.append(f"the account-enforced guardrail {config.config_id} leaves out the app's models")
        else:
            return config.version, []
    return None, problems or ["no account-level enforced guardrail names it"]


def _enforced_version(aws: FinopsView, lab: LabInputs, guardrail: GuardrailSummary, ready: set[str]) -> str | None:
    _, documents = _app(aws, lab)
    version, _ = _iam_enforcement(documents, guardrail.arn, ready)
    return version or _account_enforcement(aws, guardrail, ready, _invoked(documents))[0]


@dataclass(frozen=True)
class Graded:
    """The guardrail version the content checks grade, and why that one."""

    config: Guardrail
    why: str

    @property
    def label(self) -> str:
        """The guardrail and version, as messages name them."""
        return f"guardrail {self.config.name or self.config.id} version {self.config.version} ({self.why})"


def _graded(aws: FinopsView, lab: LabInputs) -> Graded:
    guardrail, ready = _published(aws, lab)
    enforced = _enforced_version(aws, lab, guardrail, ready)
    version = enforced or max(ready, key=int)
    config = aws.guardrail(guardrail.id, version)
    if config is None:
        raise BlockedError("guardrail-published", f"version {version} of {guardrail.arn} cannot be read")
    return Graded(config, "the enforced version" if enforced else "the highest READY version")


# --- guardrail --------------------------------------------------------------------------------------


@check(
    id="guardrail-published",
    title="The lab guardrail has a READY published (numeric) version",
    severity=REQUIRED,
    permissions=GUARDRAIL_DISCOVERY,
    hint="Publish a version with aws_bedrock_guardrail_version (guardrail_arn = the guardrail's guardrail_arn); "
    "apps should pin a numeric version, not DRAFT.",
)
def guardrail_published(aws: FinopsView, lab: LabInputs) -> Verdict:
    """The DRAFT changes whenever someone edits it; only a published version is a fixed, reviewable control."""
    guardrail = _guardrail(aws, lab)
    versions = aws.guardrail_versions(guardrail.arn)
    ready = sorted((v.version for v in versions if v.version.isdigit() and v.status == "READY"), key=int)
    if ready:
        return passed(
            f"guardrail {guardrail.name or guardrail.id} has READY version(s) {', '.join(ready)}", guardrail.arn
        )
    seen = ", ".join(f"{v.version} {v.status}" for v in versions) or "none"
    return failed(
        f"guardrail {guardrail.name or guardrail.id} has no READY numeric version (found: {seen})", guardrail.arn
    )


def _strength_ok(value: str, minimum: str) -> bool:
    return STRENGTH.get(value.upper(), -1) >= STRENGTH.get(minimum.upper(), 0)


def _direction_problems(name: str, strength: str, action: str | None, enabled: bool | None, minimum: str) -> list[str]:
    problems = []
    if enabled is False:
        problems.append(f"{name} is disabled")
    if (action or "BLOCK").upper() != "BLOCK":
        problems.append(f"{name} action is {action} (detect only)")
    if not _strength_ok(strength, minimum):
        problems.append(f"{name} strength {strength} is below {minimum}")
    return problems


@check(
    id="guardrail-content-filters",
    title="The graded guardrail version blocks every required content category on input and output",
    severity=REQUIRED,
    permissions=GRADED_READS,
    hint="In aws_bedrock_guardrail content_policy_config, add filters_config for HATE, INSULTS, SEXUAL, VIOLENCE and "
    "MISCONDUCT with input_strength and output_strength MEDIUM or higher, then publish a new version.",
)
def guardrail_content_filters(aws: FinopsView, lab: LabInputs) -> Verdict:
    """Content filters screen both the prompt and the completion for harmful categories."""
    graded = _graded(aws, lab)
    minimum = lab.text("min_filter_strength")
    filters = {f.type.upper(): f for f in graded.config.content_filters}
    problems = []
    for wanted in lab.items("required_content_filters"):
        f = filters.get(wanted.upper())
        if f is None:
            problems.append(f"no {wanted} filter")
            continue
        problems += _direction_problems(f"{wanted} input", f.input_strength, f.input_action, f.input_enabled, minimum)
        problems += _direction_problems(
            f"{wanted} output", f.output_strength, f.output_action, f.output_enabled, minimum
        )
    if problems:
        return failed(f"{graded.label}: " + "; ".join(problems), graded.config.arn)
    tier = ""
    if (graded.config.tier or "").upper() == "STANDARD":
        tier = f"; STANDARD tier: filtering runs through the cross-Region profile {graded.config.cross_region_profile}"
    return passed(f"{graded.label} blocks every required category at {minimum} or above{tier}", graded.config.arn)


@check(
    id="guardrail-prompt-attack",
    title="The graded guardrail version blocks prompt attacks on input at the required strength",
    severity=REQUIRED,
    permissions=GRADED_READS,
    hint='Add filters_config { type = "PROMPT_ATTACK", input_strength = "HIGH", output_strength = "NONE" } to the '
    "guardrail's content_policy_config, then publish a new version.",
)
def guardrail_prompt_attack(aws: FinopsView, lab: LabInputs) -> Verdict:
    """Jailbreaks and prompt injections arrive in the input; the prompt-attack filter screens for them."""
    graded = _graded(aws, lab)
    minimum = lab.text("prompt_attack_min_strength")
    found = [f for f in graded.config.content_filters if f.type.upper() == "PROMPT_ATTACK"]
    if not found:
        return failed(f"{graded.label} has no PROMPT_ATTACK filter", graded.config.arn)
    f = found[0]
    problems = _direction_problems("PROMPT_ATTACK input", f.input_strength, f.input_action, f.input_enabled, minimum)
    if problems:
        return failed(f"{graded.label}: " + "; ".join(problems), graded.config.arn)
    return passed(f"{graded.label} blocks prompt attacks at {f.input_strength}", graded.config.arn)


@check(
    id="guardrail-pii",
    title="The graded guardrail version blocks or anonymises every required PII type both ways",
    severity=REQUIRED,
    permissions=GRADED_READS,
    hint="In the guardrail's sensitive_information_policy_config add pii_entities_config blocks (EMAIL, PHONE, "
    "CREDIT_DEBIT_CARD_NUMBER, US_SOCIAL_SECURITY_NUMBER, AWS_ACCESS_KEY, AWS_SECRET_KEY) with action BLOCK or "
    "ANONYMIZE, then publish a new version.",
)
def guardrail_pii(aws: FinopsView, lab: LabInputs) -> Verdict:
    """Personal data and secrets must not reach the model or leave it in a completion."""
    graded = _graded(aws, lab)
    entities = {p.type.upper(): p for p in graded.config.pii_entities}
    problems = []
    for wanted in lab.items("required_pii"):
        p = entities.get(wanted.upper())
        if p is None:
            problems.append(f"no {wanted} entity")
            continue
        for name, action, enabled in (
            ("input", p.input_action, p.input_enabled),
            ("output", p.output_action, p.output_enabled),
        ):
            effective = (action or p.action).upper()
            if enabled is False or effective not in ("BLOCK", "ANONYMIZE"):
                problems.append(f"{wanted} {name} is {'disabled' if enabled is False else effective}")
    if problems:
        return failed(f"{graded.label}: " + "; ".join(problems), graded.config.arn)
    return passed(f"{graded.label} blocks or anonymises {', '.join(lab.items('required_pii'))}", graded.config.arn)


@check(
    id="guardrail-enforced",
    title="Every model call the app can make carries a published version of the lab guardrail",
    severity=REQUIRED,
    permissions=ENFORCEMENT_READS,
    hint="Condition the app role's InvokeModel statement on StringEquals bedrock:GuardrailIdentifier = "
    '"${aws_bedrock_guardrail.this.guardrail_arn}:${aws_bedrock_guardrail_version.this.version}" (or configure an '
    "account-level enforced guardrail).",
)
def guardrail_enforced(aws: FinopsView, lab: LabInputs) -> Verdict:
    """Guardrails apply only to requests that name one; the IAM condition makes naming it mandatory."""
    guardrail, ready = _published(aws, lab)
    app, documents = _app(aws, lab)
    version, problems = _iam_enforcement(documents, guardrail.arn, ready)
    if version:
        return passed(f"the role of {app.name} may invoke models only with {guardrail.arn}:{version}", app.role_arn)
    version, account_problems = _account_enforcement(aws, guardrail, ready, _invoked(documents))
    if version:
        return passed(f"the account enforces {guardrail.arn} version {version} on the app's models", guardrail.arn)
    return failed(f"the role of {app.name}: " + "; ".join(problems + account_problems), app.role_arn, guardrail.arn)


@check(
    id="guardrail-encrypted-cmk",
    title="The graded guardrail version is encrypted with a rotating customer-managed key",
    severity=REQUIRED,
    permissions=(*GRADED_READS, "kms:DescribeKey", "kms:GetKeyRotationStatus"),
    hint="Set kms_key_arn on the aws_bedrock_guardrail to an aws_kms_key with enable_key_rotation = true, then "
    "publish a new version.",
)
def guardrail_encrypted_cmk(aws: FinopsView, lab: LabInputs) -> Verdict:
    """Guardrail definitions hold your denied topics, words and patterns: encrypt them with a key you control."""
    graded = _graded(aws, lab)
    problem = rules.customer_key_problem(aws, graded.config.kms_key_arn, graded.label)
    if problem:
        return failed(problem, graded.config.arn)
    return passed(f"{graded.label} is encrypted with rotating CMK {graded.config.kms_key_arn}", graded.config.arn)


# --- model choice and cost attribution --------------------------------------------------------------


def _invoke_allows(documents: list[Document]) -> list[rules.Statement]:
    return list({id(s): s for a in INVOKE_ACTIONS for s in rules.allows_for(documents, a)}.values())


@check(
    id="app-uses-tagged-inference-profile",
    title="The app invokes an active application inference profile that carries the cost tags",
    severity=REQUIRED,
    permissions=(*PROFILE_DISCOVERY, *APP_READS),
    hint="Create aws_bedrock_inference_profile with model_source { copy_from = <foundation-model ARN> } and "
    "tags = { CostCenter = ... }, grant the app role InvokeModel on its arn, and call the model through that ARN.",
)
def app_uses_tagged_inference_profile(aws: FinopsView, lab: LabInputs) -> Verdict:
    """Bedrock token spend is attributable only through a tagged application inference profile."""
    profile = _profile(aws, lab)
    app, documents = _app(aws, lab)
    problems = [] if profile.status == "ACTIVE" else [f"{profile.arn} is {profile.status}, not ACTIVE"]
    problems += [f"{profile.name} has no {k} tag value" for k in lab.items("cost_tag_keys") if not profile.tags.get(k)]
    if not any(profile.arn in s.resources for s in rules.allows_for(documents, INVOKE)):
        problems.append(f"the role of {app.name} does not name {profile.arn} in an Allow on {INVOKE}")
    if problems:
        return failed("; ".join(problems), profile.arn, app.role_arn)
    regions = sorted({rules.arn_region(m) or "?" for m in profile.model_arns})
    note = f" (routes to {', '.join(regions)})" if len(regions) > 1 else ""
    return passed(
        f"the app may invoke {profile.name}, tagged {', '.join(lab.items('cost_tag_keys'))}{note}", profile.arn
    )


@check(
    id="model-choice-cost-efficient",
    title="The profile copies a cost-efficient model and the app role may invoke nothing else",
    severity=REQUIRED,
    permissions=(*PROFILE_DISCOVERY, *APP_READS),
    hint="For this workload copy a small on-demand model (e.g. Nova Micro/Lite, Claude Haiku) into the inference "
    "profile, and grant the app role only the profile ARN and that model's ARN.",
)
def model_choice_cost_efficient(aws: FinopsView, lab: LabInputs) -> Verdict:
    """A small on-demand model costs a fraction per token; a wildcard grant lets the app drift to pricier ones."""
    profile = _profile(aws, lab)
    app, documents = _app(aws, lab)
    allowed = set(lab.items("cost_efficient_model_ids"))
    models = [m.split("foundation-model/", 1)[-1] for m in profile.model_arns]
    problems = [f"{profile.name} routes to {m}, not a cost-efficient model" for m in models if m not in allowed]
    if not models:
        problems.append(f"{profile.name} names no model")
    granted = set(profile.model_arns) | {profile.arn}
    for statement in _invoke_allows(documents):
        extra = (
            ["anything outside its NotResource"]
            if statement.not_resource
            else sorted(set(statement.resources) - granted)
        )
        problems += [f"the role of {app.name} may also invoke {r}" for r in extra]
    if problems:
        return failed("; ".join(problems), profile.arn, app.role_arn)
    return passed(f"{profile.name} runs {', '.join(models)}, the only model the app may invoke", profile.arn)


@check(
    id="cost-allocation-tag-active",
    title="Every cost tag key is an active cost allocation tag",
    severity=REQUIRED,
    permissions=("ce:ListCostAllocationTags",),
    hint="Activate the CostCenter cost allocation tag (Billing console, or aws_ce_cost_allocation_tag with status = "
    '"Active"); in an AWS Organizations member account the management account activates it.',
)
def cost_allocation_tag_active(aws: FinopsView, lab: LabInputs) -> Verdict:
    """Tags reach Cost Explorer and budgets only once they are activated for cost allocation."""
    keys = lab.items("cost_tag_keys")
    known = {t.key: t for t in aws.cost_allocation_tags(keys)}
    inactive = [k for k in keys if k in known and known[k].status.lower() != "active"]
    if inactive:
        return failed(f"cost allocation tag(s) {', '.join(inactive)} are known to billing but Inactive")
    unseen = [k for k in keys if k not in known]
    if unseen:
        return pending(
            f"billing has not seen {', '.join(unseen)} yet: a tag key appears up to 24 hours after a tagged resource "
            "first incurs cost (call the app once); run again later, or use --wait"
        )
    return passed(f"cost allocation tag(s) {', '.join(keys)} are Active")


# --- budgets ----------------------------------------------------------------------------------------


def _positive_nodes(expression: Document | None) -> Iterator[Document]:
    """Every node of a budget filter expression that is not under a Not."""
    if not expression:
        return
    yield expression
    for child in [*(expression.get("And") or []), *(expression.get("Or") or [])]:
        yield from _positive_nodes(child)


def _bedrock_scope(budget: Budget, tag_keys: Sequence[str]) -> str | None:
    """How a budget is limited to Bedrock spend (None: it is not)."""
    if BEDROCK_SERVICE in budget.cost_filters.get("Service", ()):
        return "Service = Amazon Bedrock"
    nodes = list(_positive_nodes(budget.filter_expression))
    for node in nodes:
        dimension = node.get("Dimensions") or {}
        if dimension.get("Key") == "SERVICE" and BEDROCK_SERVICE in (dimension.get("Values") or []):
            return "SERVICE = Amazon Bedrock"
    for key in tag_keys:
        if any(v.startswith(f"user:{key}$") for v in budget.cost_filters.get("TagKeyValue", ())):
            return f"tag {key}"
        if any((node.get("Tags") or {}).get("Key") in (key, f"user:{key}") for node in nodes):
            return f"tag {key}"
    return None


def _current_limit(budget: Budget) -> float | None:
    if budget.limit_amount is not None:
        return budget.limit_amount
    now = dt.datetime.now(dt.UTC).timestamp()
    started = [amount for start, amount in budget.planned_limits if start <= now]
    return started[-1] if started else None


def _notification_ok(note: BudgetNotification, limit: float) -> bool:
    if note.comparison != "GREATER_THAN":
        return False
    if (note.threshold_type or "PERCENTAGE") == "PERCENTAGE":
        return note.threshold <= 100
    return note.threshold_type == "ABSOLUTE_VALUE" and note.threshold <= limit


def _budget_problems(aws: FinopsView, budget: Budget, lab: LabInputs) -> list[str]:
    limit, cap = _current_limit(budget), lab.number("max_monthly_budget_usd")
    problems = [] if budget.type == "COST" else [f"a {budget.type} budget, not COST"]
    problems += [] if budget.time_unit in ("MONTHLY", "DAILY") else [f"resets {budget.time_unit}, not MONTHLY or DAILY"]
    problems += [] if limit is not None and limit <= cap else [f"limit {limit} above {cap} USD"]
    if _bedrock_scope(budget, lab.items("cost_tag_keys")) is None:
        problems.append("not limited to Amazon Bedrock (or a cost tag)")
    for kind in ("ACTUAL", "FORECASTED"):
        good = [n for n in budget.notifications if n.type == kind and _notification_ok(n, limit or 0)]
        if not any(aws.budget_subscribers(budget.name, n) for n in good):
            problems.append(f"no {kind} GREATER_THAN alert with a subscriber")
    return problems


@check(
    id="bedrock-budget-alerts",
    title="A capped monthly cost budget on Bedrock alerts on actual and forecasted spend",
    severity=REQUIRED,
    permissions=BUDGET_READS,
    hint='Create aws_budgets_budget with budget_type = "COST", time_unit = "MONTHLY", limit_amount = var.budget_usd, '
    'cost_filter { name = "Service", values = ["Amazon Bedrock"] } and two notification blocks (ACTUAL and '
    "FORECASTED, GREATER_THAN) with a subscriber e-mail or SNS topic.",
)
def bedrock_budget_alerts(aws: FinopsView, lab: LabInputs) -> Verdict:
    """Token spend has no ceiling of its own: a budget warns before the bill does."""
    budgets = aws.budgets()
    if not budgets:
        return failed(f"account {aws.account_id} has no AWS Budget")
    reasons = []
    for budget in budgets:
        problems = _budget_problems(aws, budget, lab)
        if not problems:
            scope = _bedrock_scope(budget, lab.items("cost_tag_keys"))
            return passed(f"budget {budget.name} ({budget.time_unit}, {scope}) alerts on actual and forecasted spend")
        reasons.append(f"budget {budget.name}: " + ", ".join(problems))
    return failed("no budget qualifies: " + "; ".join(reasons))


# --- alarms and delivery ----------------------------------------------------------------------------


def _alarm_problems(alarm: Alarm, matches: Callable[[MetricStat], str]) -> list[str] | None:
    """Why an alarm on the metric does not qualify; None when it does not watch the metric at all."""
    verdicts = [matches(s) for s in alarm.evaluated]
    if not verdicts or all(v == "other metric" for v in verdicts):
        return None
    problems = [] if "" in verdicts else sorted({v for v in verdicts if v and v != "other metric"})
    problems += [] if alarm.actions_enabled else ["its actions are disabled"]
    problems += [] if alarm.sns_actions else ["it notifies no SNS topic"]
    return problems


def _qualifying(aws: FinopsView, matches: Callable[[MetricStat], str]) -> tuple[Alarm | None, list[str]]:
    reasons = []
    for alarm in aws.metric_alarms():
        problems = _alarm_problems(alarm, matches)
        if problems == []:
            return alarm, []
        if problems:
            reasons.append(f"alarm {alarm.name}: {', '.join(problems)}")
    return None, reasons


def _token_rule(aws: FinopsView, lab: LabInputs) -> Callable[[MetricStat], str]:
    """Why a metric is not an acceptable token-usage metric ("" when it is)."""

    @functools.cache
    def model_ids() -> frozenset[str]:  # the profile is read only when an alarm has a ModelId dimension
        profile = _profile(aws, lab)
        return frozenset({m.split("foundation-model/", 1)[-1] for m in profile.model_arns} | {profile.id, profile.arn})

    def why_not(stat: MetricStat) -> str:
        if stat.namespace != "AWS/Bedrock" or stat.metric_name not in TOKEN_METRICS:
            return "other metric"
        if stat.stat != "Sum":
            return f"statistic {stat.stat}, not Sum"
        if stat.period > lab.number("max_alarm_period_s"):
            return f"period {stat.period} s is above {lab.number('max_alarm_period_s')} s"
        if stat.dimensions and (set(stat.dimensions) != {"ModelId"} or stat.dimensions["ModelId"] not in model_ids()):
            return f"dimensions {dict(stat.dimensions)} are not the app's model or profile"
        return ""

    return why_not


@check(
    id="token-usage-alarm",
    title="A CloudWatch alarm on the Sum of Bedrock token counts notifies an SNS topic",
    severity=REQUIRED,
    permissions=(*ALARM_READS, "cloudwatch:ListMetrics", *PROFILE_DISCOVERY),
    hint='Create aws_cloudwatch_metric_alarm with namespace = "AWS/Bedrock", metric_name = "InputTokenCount", '
    'statistic = "Sum", period = 3600 (or metric_query blocks adding input and output tokens) and alarm_actions = '
    "[aws_sns_topic.alerts.arn].",
)
def token_usage_alarm(aws: FinopsView, lab: LabInputs) -> Verdict:
    """Token usage is what Bedrock bills; an alarm catches a runaway loop within the hour, not at month end."""
    alarm, reasons = _qualifying(aws, _token_rule(aws, lab))
    if alarm is None:
        return failed("; ".join(reasons) or f"no alarm watches AWS/Bedrock {' or '.join(TOKEN_METRICS)}")
    metric = next(s for s in alarm.evaluated if s.metric_name in TOKEN_METRICS)
    seen = aws.published_metrics(metric.namespace, metric.metric_name)
    evidence = f"{len(seen)} series published" if seen else "no datapoints yet (they appear after the first call)"
    return passed(f"alarm {alarm.name} watches {metric.metric_name} Sum per {metric.period} s; {evidence}", alarm.arn)


def _intervention_rule(stat: MetricStat) -> str:
    if stat.namespace != GUARDRAIL_NAMESPACE or stat.metric_name != INTERVENED:
        return "other metric"
    return "" if stat.stat in ("Sum", "SampleCount") else f"statistic {stat.stat}, not Sum or SampleCount"


@check(
    id="guardrail-intervention-alarm",
    title="A CloudWatch alarm on guardrail interventions notifies an SNS topic",
    severity=ADVISORY,
    permissions=ALARM_READS,
    hint='Create aws_cloudwatch_metric_alarm with namespace = "AWS/Bedrock/Guardrails", metric_name = '
    '"InvocationsIntervened", statistic = "Sum" and alarm_actions to notice attacks or over-blocking.',
)
def guardrail_intervention_alarm(aws: FinopsView) -> Verdict:
    """A burst of interventions means an attack, or a guardrail so strict that it blocks real users."""
    alarm, reasons = _qualifying(aws, _intervention_rule)
    if alarm is None:
        return failed("; ".join(reasons) or f"no alarm watches {GUARDRAIL_NAMESPACE} {INTERVENED}")
    return passed(f"alarm {alarm.name} watches {INTERVENED}", alarm.arn)


def _alert_topics(aws: FinopsView, lab: LabInputs) -> set[str]:
    """SNS topics of the Bedrock alarms and of the Bedrock budgets' notifications."""
    watched = {("AWS/Bedrock", m) for m in TOKEN_METRICS} | {(GUARDRAIL_NAMESPACE, INTERVENED)}
    topics = {
        t
        for a in aws.metric_alarms()
        if any((s.namespace, s.metric_name) in watched for s in a.evaluated)
        for t in a.sns_actions
    }
    for budget in aws.budgets():
        if _bedrock_scope(budget, lab.items("cost_tag_keys")):
            subscribers = [s for n in budget.notifications for s in aws.budget_subscribers(budget.name, n)]
            topics |= {s.address for s in subscribers if s.type.upper() == "SNS"}
    return topics


@check(
    id="alerts-deliverable",
    title="Every SNS topic the Bedrock alarms and budgets notify has a confirmed subscription",
    severity=REQUIRED,
    permissions=(*ALARM_READS, *BUDGET_READS, "sns:ListSubscriptionsByTopic"),
    hint="Confirm the SNS e-mail subscription (aws_sns_topic_subscription to var.alert_email; check your inbox for "
    "the AWS Notification message).",
)
def alerts_deliverable(aws: FinopsView, lab: LabInputs) -> Verdict:
    """An alarm that notifies a topic nobody has confirmed wakes no one."""
    topics = sorted(_alert_topics(aws, lab))
    if not topics:
        raise BlockedError("token-usage-alarm", "no Bedrock alarm or budget notifies an SNS topic")
    problems = []
    for topic in topics:
        subscriptions = aws.topic_subscriptions(topic)
        confirmed = [s for s in subscriptions or [] if s.arn.lower() not in PENDING_SUBSCRIPTION]
        if subscriptions is None:
            problems.append(f"topic {topic} does not exist")
        elif not confirmed:
            waiting = [f"{s.endpoint} ({s.arn})" for s in subscriptions]
            problems.append(
                f"topic {topic} has no confirmed subscription" + (f": {', '.join(waiting)}" if waiting else "")
            )
    if problems:
        return failed("; ".join(problems), *topics)
    return passed(f"{', '.join(topics)}: each has a confirmed subscription", *topics)


@check(
    id="no-provisioned-throughput",
    title="No Provisioned Throughput is bought for the lab's spiky traffic",
    severity=REQUIRED,
    permissions=("bedrock:ListProvisionedModelThroughputs",),
    hint="The lab's spiky, low-volume traffic belongs on on-demand: delete the "
    "aws_bedrock_provisioned_model_throughput, and never buy a commitment_duration in a lab (it cannot be "
    "cancelled before the term ends).",
)
def no_provisioned_throughput(aws: FinopsView, lab: LabInputs) -> Verdict:
    """Provisioned Throughput bills every hour whether or not a token flows; on-demand bills per token."""
    allowed = lab.flag("allow_provisioned_throughput")
    live = [p for p in aws.provisioned_throughputs() if p.status.lower() in ACTIVE_THROUGHPUT]
    bad = [p for p in live if not allowed or p.commitment or p.model_units > 1]
    if bad:
        described = [f"{p.name} ({p.status}, {p.model_units} MU, {p.commitment or 'no commitment'})" for p in bad]
        return failed(f"Provisioned Throughput in {aws.region}: {', '.join(described)}", *(p.arn for p in bad))
    if live:
        return passed(
            f"{len(live)} no-commitment Provisioned Throughput(s) of 1 MU, as allowed", *(p.arn for p in live)
        )
    return passed(f"no Provisioned Throughput in {aws.region}: inference is on demand")
