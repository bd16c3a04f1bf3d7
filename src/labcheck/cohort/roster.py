"""The roster: one row per learner, read from YAML or CSV and validated as a whole before grading starts.

A CSV roster has a header row; its rows are numbered as a spreadsheet shows them (the header is row 1,
the first learner row 2). A YAML roster is a list of mappings, or a mapping with a `learners:` list; its
rows are numbered by position (the first learner is row 1). Every problem of every row is collected and
raised as one UsageError, one line long, so the instructor fixes the whole file in one pass.

Rosters hold references, never secrets: a column named like a credential, or a value shaped like an
AWS access key id or secret key, is refused.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from labcheck.catalog import Lab
from labcheck.errors import UsageError

FIELDS = (
    "id",
    "name",
    "email",
    "role_arn",
    "external_id",
    "region",
    "profile",
    "subscription_id",
    "tenant_id",
    "resource_group",
)
"""The columns every roster may have; the lab's inputs come on top, as `<name>` or `input.<name>`."""

INPUT_PREFIX = "input."

_SECRET_NAMES = re.compile(r"secret|password|passwd|token|credential|private_key|access_key|api_?key", re.IGNORECASE)
_ACCESS_KEY_ID = re.compile(r"(?<![A-Z0-9])(AKIA|ASIA)[A-Z0-9]{16}(?![A-Z0-9])")
_SECRET_KEY = re.compile(r"(?<![A-Za-z0-9/+=])[A-Za-z0-9/+=]{40}(?![A-Za-z0-9/+=])")
LEARNER_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,127}$")
"""A learner id: it names the learner's feedback file, so it cannot name a path."""
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_ROLE_ARN = re.compile(r"^arn:aws(-cn|-us-gov|-iso[a-z-]*)?:iam::\d{12}:role/[\w+=,.@/-]{1,512}$")
_EXTERNAL_ID = re.compile(r"^[\w+=,.@:/-]{2,1224}$")
REGION_NAME = re.compile(r"^[a-z]{2,4}(-[a-z]+)+-\d{1,2}$")
_PROFILE = re.compile(r"^[\w.@+:/-]{1,128}$")
_GUID = re.compile(r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")
_TENANT_DOMAIN = re.compile(r"^[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")
_RESOURCE_GROUP = re.compile(r"^[-\w.()]{0,89}[-\w()]$")


@dataclass(frozen=True)
class Learner:
    """One validated roster row: who the learner is, how to reach their account, and their lab inputs."""

    id: str
    row: int
    index: int
    name: str = ""
    email: str = ""
    role_arn: str = ""
    external_id: str = ""
    region: str = ""
    profile: str = ""
    subscription_id: str = ""
    tenant_id: str = ""
    resource_group: str = ""
    inputs: Mapping[str, Any] = field(default_factory=dict)


def load_roster(path: Path, lab: Lab) -> list[Learner]:
    """Read and validate a roster file for a lab.

    Args:
        path: A `.csv`, `.yaml` or `.yml` file.
        lab: The lab being graded; its inputs are the extra columns a row may carry.

    Returns:
        The learners in file order.

    Raises:
        UsageError: Naming the file and every bad row, in one line.
    """
    text = _read_text(path)
    if not text.strip():
        raise UsageError(f"{path.name}: the roster is empty (expected one row per learner with an id)")
    problems: list[str] = []
    is_yaml = path.suffix.lower() in (".yaml", ".yml")
    rows = _yaml_rows(path, text) if is_yaml else _csv_rows(path, text, lab, problems)
    learners = _validate(rows, lab, problems)
    if problems:
        raise UsageError(f"{path.name}: " + "; ".join(problems))
    if not learners:
        raise UsageError(f"{path.name}: the roster has no learners")
    return learners


def _validate(rows: Iterator[tuple[int, dict[str, Any]]], lab: Lab, problems: list[str]) -> list[Learner]:
    learners: list[Learner] = []
    seen: dict[str, int] = {}  # ids compared without case: they name files on case-insensitive disks too
    for row_number, raw in rows:
        learner, row_problems = _learner(raw, row_number, len(learners), lab)
        if learner is not None:
            first = seen.setdefault(learner.id.lower(), row_number)
            if first != row_number:
                row_problems.append(f"duplicate id {learner.id!r} (also row {first})")
        if row_problems:
            problems.append(f"row {row_number}: " + ", ".join(row_problems))
        elif learner is not None:
            learners.append(learner)
    return learners


def _read_text(path: Path) -> str:
    try:
        data = path.read_bytes()
    except OSError as error:
        raise UsageError(f"cannot read roster {path}: {error.strerror or error}") from None
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise UsageError(f"{path.name}: the roster is UTF-16 text; save it as UTF-8 (e.g. 'CSV UTF-8')")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        byte = data[error.start]
        raise UsageError(f"{path.name}: not UTF-8 text (byte 0x{byte:02x} on line {line}); save it as UTF-8") from None


def _csv_rows(path: Path, text: str, lab: Lab, problems: list[str]) -> Iterator[tuple[int, dict[str, Any]]]:
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [cell.strip() for cell in next(reader)]
    except csv.Error as error:
        raise UsageError(f"{path.name}: not a CSV file ({error})") from None
    refused = [name for name in header if _SECRET_NAMES.search(name)]
    if refused:
        raise UsageError(f"{path.name}: {_secret_column_message(refused)}")
    if "id" not in header:
        found = ", ".join(h for h in header if h) or "nothing"
        raise UsageError(f"{path.name}: no id column (the header has: {found})")
    if len(set(header)) != len(header):
        twice = sorted({h for h in header if header.count(h) > 1})
        raise UsageError(f"{path.name}: column {', '.join(twice)} appears more than once in the header")
    unknown = [h for h in header if h not in FIELDS and h.removeprefix(INPUT_PREFIX) not in lab.inputs]
    if unknown:
        problems.append(_unknown_message(unknown))
    return _csv_records(path, reader, [h if h not in unknown else "" for h in header])


def _csv_records(path: Path, reader: Any, header: list[str]) -> Iterator[tuple[int, dict[str, Any]]]:
    try:
        for cells in reader:
            if not any(cell.strip() for cell in cells):
                continue
            record: dict[str, Any] = {k: v for k, v in zip(header, cells, strict=False) if k}  # "": unknown
            if len(cells) > len(header):
                record[""] = f"{len(cells)} cells but the header has {len(header)} columns"
            yield reader.line_num, record
    except csv.Error as error:
        raise UsageError(f"{path.name}: row {reader.line_num}: not valid CSV ({error})") from None


def _yaml_rows(path: Path, text: str) -> Iterator[tuple[int, dict[str, Any]]]:
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark, what = getattr(error, "problem_mark", None), getattr(error, "problem", None) or "syntax error"
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        raise UsageError(f"{path.name}: not valid YAML ({where}{what})") from None
    if isinstance(document, Mapping) and "learners" in document:
        document = document["learners"]
    if not isinstance(document, list):
        raise UsageError(f"{path.name}: expected a list of learners (or a mapping with a 'learners' list)")
    for position, entry in enumerate(document, 1):
        if not isinstance(entry, Mapping):
            yield position, {"": f"a learner is a mapping of fields, not {type(entry).__name__}"}
            continue
        record = {str(key): value for key, value in entry.items() if key != "inputs"}
        nested = entry.get("inputs") or {}
        if not isinstance(nested, Mapping):
            record[""] = "inputs must be a mapping of lab input names to values"
        else:
            record.update({INPUT_PREFIX + str(key): value for key, value in nested.items()})
        yield position, record


def _secret_column_message(names: list[str]) -> str:
    quoted = ", ".join(repr(n) for n in names)
    return (
        f"column {quoted} would hold a secret: rosters carry references only "
        "(role_arn + external_id, or a profile name); remove it"
    )


def _unknown_message(names: list[str]) -> str:
    quoted = ", ".join(repr(n) for n in names)
    return f"unknown column {quoted} (known: {', '.join(FIELDS)}, a lab input, or input.<name>)"


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return ",".join(_text(item) for item in value)
    return str(value).strip()


def _secret_value_problem(column: str, value: str) -> str | None:
    if _ACCESS_KEY_ID.search(value):
        return f"{column} holds what looks like an AWS access key id (AKIA…/ASIA…); rosters must not carry credentials"
    if _ROLE_ARN.match(value):
        return None  # a long role name may be 40 letters and digits; an ARN is not a secret
    for candidate in _SECRET_KEY.findall(value):
        if re.search(r"[a-z]", candidate) and re.search(r"[A-Z]", candidate) and re.search(r"\d", candidate):
            return (
                f"{column} holds a 40-character string shaped like an AWS secret access key; "
                "rosters must not carry credentials (an external id of another length or a UUID is fine)"
            )
    return None


def _learner(raw: dict[str, Any], row: int, index: int, lab: Lab) -> tuple[Learner | None, list[str]]:
    problems: list[str] = [str(raw.pop(""))] if "" in raw else []
    values: dict[str, str] = {}
    inputs: dict[str, Any] = {}
    for column, value in raw.items():
        if _SECRET_NAMES.search(column):
            problems.append(_secret_column_message([column]))
            continue
        if isinstance(value, Mapping):
            problems.append(f"{column} must be a single value")
            continue
        text = _text(value)
        secret = _secret_value_problem(column, text) if text else None
        if secret:
            problems.append(secret)
        elif column in FIELDS:
            values[column] = text
        elif column.removeprefix(INPUT_PREFIX) in lab.inputs:
            _parse_input(lab, column.removeprefix(INPUT_PREFIX), text, inputs, problems)
        else:
            problems.append(_unknown_message([column]))
    problems += _field_problems(values, lab)
    if not values.get("id"):
        return None, problems
    return Learner(row=row, index=index, inputs=inputs, **values), problems


def _parse_input(lab: Lab, name: str, text: str, inputs: dict[str, Any], problems: list[str]) -> None:
    if not text:
        return  # an empty cell keeps the lab's default
    try:
        inputs[name] = lab.inputs[name].parse(text)
    except UsageError as error:
        problems.append(str(error))


_SHAPES: dict[str, tuple[re.Pattern[str], str]] = {
    "email": (_EMAIL, "is not an email address"),
    "role_arn": (_ROLE_ARN, "is not an IAM role ARN (arn:aws:iam::<12-digit account>:role/<name>)"),
    "external_id": (_EXTERNAL_ID, "is not a valid external id (2-1224 of letters, digits and +=,.@:/-)"),
    "region": (REGION_NAME, "is not an AWS Region name (for example eu-central-1)"),
    "profile": (_PROFILE, "is not a profile name"),
    "subscription_id": (_GUID, "is not an Azure subscription id (a GUID)"),
    "resource_group": (_RESOURCE_GROUP, "is not an Azure resource group name"),
}


def _field_problems(values: Mapping[str, str], lab: Lab) -> list[str]:
    problems = []
    learner_id = values.get("id", "")
    if not learner_id:
        problems.append("id is empty")
    elif not LEARNER_ID.match(learner_id):
        problems.append(f"id {learner_id!r} must be 1-128 letters, digits and ._@- (it names the feedback file)")
    for name, (shape, complaint) in _SHAPES.items():
        if values.get(name) and not shape.match(values[name]):
            problems.append(f"{name} {complaint}")
    tenant = values.get("tenant_id", "")
    if tenant and not (_GUID.match(tenant) or _TENANT_DOMAIN.match(tenant)):
        problems.append("tenant_id is not an Azure tenant id (a GUID or a domain)")
    if values.get("external_id") and not values.get("role_arn"):
        problems.append("external_id is set but role_arn is not")
    if lab.cloud == "aws" and not (values.get("role_arn") or values.get("profile")):
        problems.append("no role_arn or profile to reach the learner's AWS account")
    return problems
