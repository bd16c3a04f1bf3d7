"""The versioned JSON document: the stable, machine-readable form of a Report."""

from __future__ import annotations

import json
from typing import Any

from labcheck.model import Report, Result

SCHEMA = "labcheck.result/v1"
"""Bumped whenever a field changes meaning or disappears; adding a field keeps the version."""


def _result(result: Result) -> dict[str, Any]:
    spec = result.check.spec
    return {
        "id": result.id,
        "status": result.status.value,
        "severity": spec.severity.value,
        "points": result.check.points,
        "earned": result.earned,
        "title": spec.title,
        "message": result.message,
        "hint": result.hint,
        "resources": list(result.resources),
        "domains": list(result.check.domains),
        "permissions": list(spec.permissions),
        "duration_s": round(result.duration_s, 3),
    }


def document(report: Report) -> dict[str, Any]:
    """The report as plain JSON-ready data under `SCHEMA`.

    Args:
        report: The outcome of one lab run.

    Returns:
        A dict of strings, numbers, booleans, lists and dicts.
    """
    return {
        "schema": SCHEMA,
        "lab": report.lab_id,
        "title": report.lab_title,
        "identity": dict(report.identity),
        "started_at": report.started_at,
        "duration_s": round(report.duration_s, 3),
        "score": report.score,
        "max_score": report.max_score,
        "passed": report.passed,
        "exit_code": report.exit_code,
        "counts": {status.value: n for status, n in report.counts().items()},
        "results": [_result(r) for r in report.results],
    }


def render(report: Report) -> str:
    """Render the report as an indented JSON document ending with a newline.

    Args:
        report: The outcome of one lab run.

    Returns:
        The JSON text.
    """
    return json.dumps(document(report), indent=2) + "\n"
