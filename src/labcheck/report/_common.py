"""Wording shared by the text renderers, so console and Markdown describe a result the same way."""

from __future__ import annotations

from labcheck.model import Report, Result, Status

ATTENTION = (Status.FAIL, Status.ERROR, Status.PENDING)
"""The statuses a learner has to act on; SKIP means not applicable, so there is nothing to fix."""


def status_word(result: Result) -> str:
    """The status in capitals, e.g. "FAIL"."""
    return result.status.value.upper()


def verdict_word(report: Report) -> str:
    """PASSED or FAILED for the whole lab."""
    return "PASSED" if report.passed else "FAILED"


def points_text(result: Result) -> str:
    """Earned over available points, or a dash when the result does not count towards the score."""
    if not result.check.required or result.status is Status.SKIP:
        return "—"
    return f"{result.earned}/{result.check.points}"


def counts_text(report: Report) -> str:
    """The non-zero status counts, e.g. "5 pass · 1 fail"."""
    return " · ".join(f"{n} {status.value}" for status, n in report.counts().items() if n)
