"""Render a Report as console text, JSON, JUnit XML or Markdown.

rich is imported only inside `labcheck.report.console`, and that module only inside these functions,
so importing this package (as `labcheck --help` does) stays off rich.
"""

from __future__ import annotations

import importlib

from labcheck.errors import UsageError
from labcheck.model import Report

FORMATS = ("console", "json", "junit", "markdown")
"""The names `render` accepts, in the order the CLI lists them."""

# Each renderer is imported when used, so the CLI's start-up pays for none of them.
_MODULES = {"console": "console", "json": "json_format", "junit": "junit", "markdown": "markdown"}


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
    if fmt not in _MODULES:
        raise UsageError(f"unknown report format {fmt!r}; use one of {', '.join(FORMATS)}")
    text: str = importlib.import_module(f"labcheck.report.{_MODULES[fmt]}").render(report)
    return text


def print_console(report: Report, *, color: bool | None = None) -> None:
    """Print a report to stdout as a rich table.

    Args:
        report: The outcome of one lab run.
        color: True forces colour, False turns it off, None lets rich decide from the terminal and NO_COLOR.
    """
    from labcheck.report import console

    console.print_report(report, color=color)
