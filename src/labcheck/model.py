"""The check model: what a check declares, what it returns, and the lab inputs it reads."""

from __future__ import annotations

import enum
import inspect
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from labcheck.errors import UsageError

PROVIDER_PARAMETERS = ("aws", "azure", "gcp", "databricks", "nim")
"""The parameter names a check may take besides `lab`; each names the cloud provider it is handed."""

_KEBAB = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")


class Status(enum.StrEnum):
    """The outcome of one check."""

    PASS = "pass"
    FAIL = "fail"
    ERROR = "error"  # could not evaluate: denied, throttled, unexpected shape
    SKIP = "skip"  # not applicable; left out of the maximum score
    PENDING = "pending"  # the evidence is not there yet


class Severity(enum.StrEnum):
    """Whether a check counts towards the grade."""

    REQUIRED = "required"
    ADVISORY = "advisory"


REQUIRED = Severity.REQUIRED
ADVISORY = Severity.ADVISORY


@dataclass(frozen=True)
class Verdict:
    """What a check function returns: the status, a message naming what was examined, and those resources."""

    status: Status
    message: str
    resources: tuple[str, ...] = ()


def passed(message: str, *resources: str) -> Verdict:
    """The requirement is met."""
    return Verdict(Status.PASS, message, resources)


def failed(message: str, *resources: str) -> Verdict:
    """The requirement is not met."""
    return Verdict(Status.FAIL, message, resources)


def pending(message: str, *resources: str) -> Verdict:
    """The evidence is not there yet (for example, no CloudTrail event yet)."""
    return Verdict(Status.PENDING, message, resources)


def not_applicable(message: str, *resources: str) -> Verdict:
    """The requirement does not apply to this design (SKIP; leaves the maximum score)."""
    return Verdict(Status.SKIP, message, resources)


CheckFunction = Callable[..., Verdict]


@dataclass(frozen=True)
class CheckSpec:
    """Everything a check declares about itself in its decorator."""

    id: str
    title: str
    severity: Severity
    permissions: tuple[str, ...]
    hint: str
    function: CheckFunction
    providers: tuple[str, ...]
    takes_lab: bool = False  # whether the function has a `lab` parameter for the lab inputs

    @property
    def why(self) -> str:
        """The check's docstring: why the requirement matters."""
        return inspect.cleandoc(self.function.__doc__ or "")


CHECK_ATTRIBUTE = "__labcheck_check__"


def check(
    *, id: str, title: str, severity: Severity, permissions: Sequence[str], hint: str
) -> Callable[[CheckFunction], CheckFunction]:
    """Declare a check: its stable id, passing condition, severity, read-only permissions and hint."""

    def decorate(function: CheckFunction) -> CheckFunction:
        if not _KEBAB.match(id) or function.__name__ != id.replace("-", "_"):
            raise TypeError(f"check {function.__name__}: id {id!r} must be the function name in kebab-case")
        names = tuple(inspect.signature(function).parameters)
        unknown = [n for n in names if n != "lab" and n not in PROVIDER_PARAMETERS]
        if unknown:
            raise TypeError(f"check {id}: unknown parameters {unknown}; use {PROVIDER_PARAMETERS} and lab")
        spec = CheckSpec(
            id=id,
            title=title,
            severity=severity,
            permissions=tuple(permissions),
            hint=hint,
            function=function,
            providers=tuple(n for n in names if n in PROVIDER_PARAMETERS),
            takes_lab="lab" in names,
        )
        setattr(function, CHECK_ATTRIBUTE, spec)
        return function

    return decorate


@dataclass(frozen=True)
class Check:
    """A check as a lab uses it: the code's declaration plus the lab's points and exam domains."""

    spec: CheckSpec
    points: int
    domains: tuple[str, ...]

    @property
    def id(self) -> str:
        """The stable check id."""
        return self.spec.id

    @property
    def required(self) -> bool:
        """Whether the check counts towards the grade."""
        return self.spec.severity is Severity.REQUIRED


class InputType(enum.StrEnum):
    """The types a lab input may declare in lab.yaml."""

    STR = "str"
    INT = "int"
    BOOL = "bool"
    LIST = "list"
    CHOICE = "choice"


_TRUE = {"true", "yes", "1", "on"}
_FALSE = {"false", "no", "0", "off"}


@dataclass(frozen=True)
class InputSpec:
    """One lab input: its type, default and help, as lab.yaml declares it."""

    name: str
    type: InputType
    default: Any
    help: str = ""
    choices: tuple[str, ...] = ()
    required: bool = False  # the learner must supply it (for example an Azure resource group)

    def parse(self, text: str) -> Any:
        """Turn command-line or roster text into a value of this input's type."""
        text = text.strip()
        if self.type is InputType.INT:
            try:
                return int(text)
            except ValueError:
                raise UsageError(f"input {self.name} takes a whole number, not {text!r}") from None
        if self.type is InputType.BOOL:
            if text.lower() not in _TRUE | _FALSE:
                raise UsageError(f"input {self.name} takes true or false, not {text!r}")
            return text.lower() in _TRUE
        if self.type is InputType.LIST:
            return [item.strip() for item in text.split(",") if item.strip()]
        if self.type is InputType.CHOICE and text not in self.choices:
            raise UsageError(f"input {self.name} takes one of {', '.join(self.choices)}, not {text!r}")
        return text


@dataclass(frozen=True)
class LabInputs:
    """The lab id and the values of its inputs, with typed accessors for checks."""

    lab_id: str
    values: Mapping[str, Any] = field(default_factory=dict)

    def _get(self, name: str, kind: type) -> Any:
        value = self.values[name]
        if not isinstance(value, kind):
            raise TypeError(f"input {name} is {type(value).__name__}, expected {kind.__name__}")
        return value

    def text(self, name: str) -> str:
        """A string or choice input."""
        return str(self._get(name, str))

    def number(self, name: str) -> int:
        """An integer input."""
        return int(self._get(name, int))

    def flag(self, name: str) -> bool:
        """A boolean input."""
        return bool(self._get(name, bool))

    def items(self, name: str) -> tuple[str, ...]:
        """A list input."""
        return tuple(str(v) for v in self._get(name, list))


@dataclass(frozen=True)
class Result:
    """One row of a report: a check's declaration, its lab weighting and its verdict."""

    check: Check
    status: Status
    message: str
    hint: str = ""  # the fix to show; empty when the check passed or does not apply
    resources: tuple[str, ...] = ()
    duration_s: float = 0.0

    @property
    def id(self) -> str:
        """The stable check id."""
        return self.check.id

    @property
    def earned(self) -> int:
        """Points this result adds to the score."""
        return self.check.points if self.check.required and self.status is Status.PASS else 0


@dataclass(frozen=True)
class Report:
    """The outcome of one lab run: results in lab order, identity and timing."""

    lab_id: str
    lab_title: str
    results: tuple[Result, ...]
    identity: Mapping[str, str]
    started_at: str
    duration_s: float

    @property
    def score(self) -> int:
        """Points of the passed required checks."""
        return sum(r.earned for r in self.results)

    @property
    def max_score(self) -> int:
        """Points of the applicable required checks (SKIP leaves the maximum)."""
        return sum(r.check.points for r in self.results if r.check.required and r.status is not Status.SKIP)

    def required_with(self, *statuses: Status) -> list[Result]:
        """The required results in any of the given statuses."""
        return [r for r in self.results if r.check.required and r.status in statuses]

    @property
    def passed(self) -> bool:
        """Whether every applicable required check passed."""
        return not self.required_with(Status.FAIL, Status.ERROR, Status.PENDING)

    @property
    def exit_code(self) -> int:
        """0 passed; 2 a required check could not be evaluated; 1 a required check failed or is pending."""
        if self.required_with(Status.ERROR):
            return 2
        return 1 if self.required_with(Status.FAIL, Status.PENDING) else 0

    def counts(self) -> dict[Status, int]:
        """How many results have each status."""
        return {status: sum(r.status is status for r in self.results) for status in Status}
