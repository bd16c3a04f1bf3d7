"""Render a Report as console text, JSON, JUnit XML or Markdown.

rich is imported only inside `labcheck.report.console`, and that module only inside these functions,
so importing this package (as `labcheck --help` does) stays off rich.
"""

from __future__ import annotations

from collections.abc import Callable

from labcheck.errors import UsageError
from labcheck.model import Report
from labcheck.report import json_format, junit, markdown

FORMATS = ("console", "json", "junit", "markdown")
"""The names `render` accepts, in the order the CLI lists them."""

_RENDERERS: dict[str, Callable[[Report], str]] = {
    "json": json_format.render,
    "junit": junit.render,
    "markdown": markdown.render,
}


def render(report: Report, fmt: str) -> str:
    """Render a report as text in one of `FORMATS`, for writing to a file.

    Args:
        report: The outcome of one lab run.
        fmt: One of `FORMATS`; "console" gives the console table without colour at width 120.

    Returns:
        The rendered report, ending with a newline.

    Raises:
        UsageError: If `fmt` is not one of `FORMATS`.
    """
    if fmt == "console":
        from labcheck.report import console

        return console.render_text(report)
    try:
        renderer = _RENDERERS[fmt]
    except KeyError:
        raise UsageError(f"unknown report format {fmt!r}; use one of {', '.join(FORMATS)}") from None
    return renderer(report)


def print_console(report: Report, *, color: bool | None = None) -> None:
    """Print a report to stdout as a rich table.

    Args:
        report: The outcome of one lab run.
        color: True forces colour, False turns it off, None lets rich decide from the terminal and NO_COLOR.
    """
    from labcheck.report import console

    console.print_report(report, color=color)
