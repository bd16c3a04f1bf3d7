"""Static rules over AWS documents: IAM policy evaluation and the customer-managed-key rule.

Every AWS check that reads a policy or a key goes through here, so the normalisation rules live in one
place: statements may be a dict or a list; Action/Resource/Principal values a string or a list; actions
are case-insensitive with `*`/`?` wildcards; condition keys are case-insensitive but operator names are
not; an `...IfExists` operator on an Allow is a bypass (it applies when the key is absent), so it never
counts as scoping; NotAction grants everything not listed; NotResource and NotPrincipal mean "everything".
"""

from __future__ import annotations

import fnmatch
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from labcheck.providers.aws.view import AwsView, KmsKey

POSITIVE_OPERATORS = ("StringEquals", "StringLike", "ArnEquals", "ArnLike")
"""Operators that scope an Allow statement (their IfExists forms do not)."""

NEGATIVE_OPERATORS = tuple(
    op + suffix
    for op in ("StringNotEquals", "StringNotLike", "ArnNotEquals", "ArnNotLike")
    for suffix in ("", "IfExists")
)
"""Operators that make a Deny statement apply outside a scope; a missing key makes them true, as wanted."""


def _strings(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    items = value if isinstance(value, list) else [value]
    return tuple(str(v).lower() if isinstance(v, bool) else str(v) for v in items)


def _lower_keys(mapping: Mapping[str, Any]) -> dict[str, Any]:
    return {str(k).lower(): v for k, v in mapping.items()}


@dataclass(frozen=True)
class Statement:
    """One normalised policy statement."""

    effect: str  # "allow" or "deny"
    actions: tuple[str, ...]  # lower-cased; with not_action, the actions NOT granted
    not_action: bool
    resources: tuple[str, ...]
    not_resource: bool
    principals: Mapping[str, tuple[str, ...]]  # "aws" | "service" | "federated" | "*" -> values
    not_principal: bool
    conditions: Mapping[str, Mapping[str, tuple[str, ...]]]  # operator -> lower-cased key -> values

    @property
    def is_allow(self) -> bool:
        """Whether the statement allows."""
        return self.effect == "allow"

    @property
    def is_deny(self) -> bool:
        """Whether the statement denies."""
        return self.effect == "deny"

    def covers(self, action: str) -> bool:
        """Whether the statement applies to an action, wildcard- and NotAction-aware."""
        hit = any(fnmatch.fnmatchcase(action.lower(), pattern) for pattern in self.actions)
        return not hit if self.not_action else hit

    def values(self, operators: Iterable[str], key: str) -> tuple[str, ...]:
        """The values a condition key is tested against under any of the given operators."""
        found: list[str] = []
        for operator in operators:
            found.extend(self.conditions.get(operator, {}).get(key.lower(), ()))
        return tuple(found)

    @property
    def principal_is_anyone(self) -> bool:
        """Principal "*" or {"AWS": "*"}."""
        return "*" in self.principals or "*" in self.principals.get("aws", ())

    @property
    def has_negation(self) -> bool:
        """Whether the statement uses NotAction, NotResource or NotPrincipal."""
        return self.not_action or self.not_resource or self.not_principal


def _principals(raw: Mapping[str, Any]) -> tuple[dict[str, tuple[str, ...]], bool]:
    not_principal = "notprincipal" in raw
    value = raw.get("principal", raw.get("notprincipal"))
    if value is None:
        return {}, not_principal
    if value == "*":
        return {"*": ("*",)}, not_principal
    if isinstance(value, Mapping):
        return {str(k).lower(): _strings(v) for k, v in value.items()}, not_principal
    return {"aws": _strings(value)}, not_principal


def _conditions(raw: Any) -> dict[str, dict[str, tuple[str, ...]]]:
    if not isinstance(raw, Mapping):
        return {}
    return {
        str(operator): {str(k).lower(): _strings(v) for k, v in body.items()}
        for operator, body in raw.items()
        if isinstance(body, Mapping)
    }


def _statement(raw: Mapping[str, Any]) -> Statement:
    raw = _lower_keys(raw)
    principals, not_principal = _principals(raw)
    return Statement(
        effect=str(raw.get("effect", "")).lower(),
        actions=tuple(a.lower() for a in _strings(raw.get("action", raw.get("notaction")))),
        not_action="notaction" in raw,
        resources=_strings(raw.get("resource", raw.get("notresource"))),
        not_resource="notresource" in raw,
        principals=principals,
        not_principal=not_principal,
        conditions=_conditions(raw.get("condition")),
    )


def statements(document: Mapping[str, Any] | str | None) -> list[Statement]:
    """The statements of a policy document given as parsed JSON or JSON text (None: no statements)."""
    if document is None:
        return []
    if isinstance(document, str):
        document = json.loads(document) if document.strip() else {}
    raw = _lower_keys(document).get("statement", [])
    items = raw if isinstance(raw, list) else [raw]
    return [_statement(item) for item in items if isinstance(item, Mapping)]


def allows_for(documents: Iterable[Mapping[str, Any]], action: str) -> list[Statement]:
    """Every Allow statement, across documents, that grants an action."""
    return [s for doc in documents for s in statements(doc) if s.is_allow and s.covers(action)]


def denies_for(documents: Iterable[Mapping[str, Any]], action: str) -> list[Statement]:
    """Every Deny statement, across documents, that applies to an action."""
    return [s for doc in documents for s in statements(doc) if s.is_deny and s.covers(action)]


def allow_scoped_to(statement: Statement, key: str, wanted: str) -> bool:
    """An Allow is scoped when a positive (non-IfExists) operator tests `key` against `wanted`."""
    return wanted in statement.values(POSITIVE_OPERATORS, key)


def deny_outside(statement: Statement, key: str, wanted: str) -> bool:
    """A Deny fences a scope when a negative operator on `key` lists `wanted` (deny unless it matches)."""
    return wanted in statement.values(NEGATIVE_OPERATORS, key)


def arn_region(arn: str) -> str | None:
    """The Region field of an ARN (None for something that is not an ARN, such as "*")."""
    parts = arn.split(":")
    return parts[3] if len(parts) >= 6 and parts[0] == "arn" else None


def cmk_problem(key: KmsKey) -> str | None:
    """Why a key is not an enabled, rotating customer-managed key (None: it is one)."""
    if key.manager.upper() != "CUSTOMER":
        return f"{key.arn} is an AWS-managed key, not a customer-managed key"
    if key.state.lower() != "enabled":
        return f"{key.arn} is {key.state}, not Enabled"
    if key.spec.upper() == "SYMMETRIC_DEFAULT" and key.rotation_enabled is not True:
        return f"{key.arn} has automatic rotation off"
    return None


def is_aws_owned_key_ref(key_ref: str | None) -> bool:
    """Whether a key reference means "the service's own key": empty or the literal "auto"."""
    return not key_ref or key_ref.strip().lower() == "auto"


def customer_key_problem(aws: AwsView, key_ref: str | None, owner: str) -> str | None:
    """Why `owner` is not protected by an enabled, rotating customer-managed key (None: it is)."""
    if is_aws_owned_key_ref(key_ref):
        return f"{owner} uses an AWS-owned key, not a customer-managed key"
    key = aws.kms_key(str(key_ref))
    if key is None:
        return f"{owner}: key {key_ref} does not exist"
    problem = cmk_problem(key)
    return f"{owner}: {problem}" if problem else None
