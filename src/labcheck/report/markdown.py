"""Markdown sized for a GitHub Actions step summary ($GITHUB_STEP_SUMMARY)."""

from __future__ import annotations

from labcheck.model import Report, Result
from labcheck.report._common import ATTENTION, counts_text, points_text, status_word, verdict_word


def _cell(text: str) -> str:
    # A bare "|" would end the cell and a newline the row.
    return text.replace("|", "\\|").replace("\r\n", "<br>").replace("\n", "<br>")


def _item(text: str, depth: int) -> str:
    # Continuation lines indented under their bullet stay inside that list item.
    indent = "  " * depth
    return f"{indent}- " + f"\n{indent}  ".join(text.splitlines())


def _row(result: Result) -> str:
    cells = (
        f"**{status_word(result)}**",
        f"`{result.id}`",
        _cell(result.check.spec.title),
        result.check.spec.severity.value,
        points_text(result),
    )
    return "| " + " | ".join(cells) + " |"


def _fix(result: Result) -> list[str]:
    advisory = "" if result.check.required else " (advisory, not scored)"
    lines = [_item(f"**{status_word(result)}** `{result.id}` — {result.check.spec.title}{advisory}", 0)]
    if result.message:
        lines.append(_item(result.message, 1))
    if result.hint:
        lines.append(_item(f"Hint: {result.hint}", 1))
    return lines


def render(report: Report) -> str:
    """Render the report as Markdown: a verdict heading, a table of checks, then what to fix.

    Args:
        report: The outcome of one lab run.

    Returns:
        The Markdown text, ending with a newline.
    """
    lines = [
        f"## labcheck `{report.lab_id}`: {verdict_word(report)} ({report.score}/{report.max_score})",
        "",
        f"{report.lab_title} · {counts_text(report)}",
        "",
        "| Status | Check | Title | Severity | Points |",
        "| --- | --- | --- | --- | --- |",
        *(_row(r) for r in report.results),
    ]
    to_fix = [r for r in report.results if r.status in ATTENTION]
    if to_fix:
        lines += ["", "### What to fix", ""]
        for result in to_fix:
            lines += _fix(result)
    return "\n".join(lines) + "\n"
