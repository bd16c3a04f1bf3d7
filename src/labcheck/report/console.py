"""The console table: the one module in labcheck.report that uses rich.

rich is imported inside the functions, not at module level, so that even importing this module by
accident keeps `labcheck --help` fast. Every string from a Report goes into a `Text`, never into markup,
so brackets in a resource name or message are printed as they are.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

from labcheck.model import Report, Result, Status
from labcheck.report._common import ATTENTION, counts_text, points_text, status_word, verdict_word

if TYPE_CHECKING:
    from rich.console import Console, Group
    from rich.table import Table

TEXT_WIDTH = 120
"""Width of the uncoloured text written to --output files."""

_STYLE = {
    Status.PASS: "green",
    Status.FAIL: "red",
    Status.ERROR: "magenta",
    Status.PENDING: "yellow",
    Status.SKIP: "dim",
}

# An advisory check weighs nothing, so its failure is a warning rather than a red mark; the word stays FAIL
# so the status reads the same in every format.
_ADVISORY_FAIL_STYLE = "yellow"


def _status_style(result: Result) -> str:
    if result.status is Status.FAIL and not result.check.required:
        return _ADVISORY_FAIL_STYLE
    return _STYLE[result.status]


def _detail(result: Result) -> str:
    lines = [result.message] if result.message else []
    if result.hint:
        lines.append(f"↳ {result.hint}")
    return "\n".join(lines)


def _header(report: Report) -> Group:
    from rich.console import Group
    from rich.text import Text

    title = Text.assemble(("labcheck ", "bold"), (report.lab_id, "bold cyan"), f" — {report.lab_title}")
    who = "  ".join(f"{key} {value}" for key, value in report.identity.items())
    return Group(title, Text(who, style="dim")) if who else Group(title)


def _table(report: Report) -> Table:
    from rich import box
    from rich.table import Table
    from rich.text import Text

    # Three columns keep an 80-column terminal readable: the id and title share the one wide column.
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, expand=False)
    table.add_column("Status", no_wrap=True)
    table.add_column("Requirement", ratio=1)
    table.add_column("Points", justify="right", no_wrap=True)
    for result in report.results:
        spec = result.check.spec
        weight = points_text(result) if result.check.required else "advisory"
        table.add_row(
            Text(status_word(result), style=f"bold {_status_style(result)}"),
            Text.assemble((result.id, "bold"), "  ", spec.title),
            Text(weight, style="" if result.check.required else "dim"),
        )
        if result.status in ATTENTION and (detail := _detail(result)):
            table.add_row("", Text(detail, style="dim"), "")
    return table


def _footer(report: Report) -> Group:
    from rich.console import Group
    from rich.text import Text

    verdict = Text(verdict_word(report), style="bold green" if report.passed else "bold red")
    score = Text.assemble((f"Score {report.score}/{report.max_score} — ", "bold"), verdict)
    return Group(score, Text(counts_text(report), style="dim"))


def write(console: Console, report: Report) -> None:
    """Print the header, the table of checks and the score line to a rich console.

    Args:
        console: Where to print.
        report: The outcome of one lab run.
    """
    console.print(_header(report))
    console.print()
    console.print(_table(report))
    console.print()
    console.print(_footer(report))


def render(report: Report, *, width: int = TEXT_WIDTH) -> str:
    """Render the console view as plain text with no colour, for files.

    Args:
        report: The outcome of one lab run.
        width: Columns to lay the table out in.

    Returns:
        The text, ending with a newline.
    """
    from rich.console import Console

    buffer = io.StringIO()
    console = Console(file=buffer, width=width, color_system=None, force_terminal=False, highlight=False)
    write(console, report)
    # rich pads every cell to its column width; files and diffs are easier to read without that tail.
    return "".join(line.rstrip() + "\n" for line in buffer.getvalue().splitlines())


def print_report(report: Report, *, color: bool | None = None) -> None:
    """Print the console view to stdout.

    Args:
        report: The outcome of one lab run.
        color: True forces colour, False turns it off, None lets rich decide from the terminal and NO_COLOR.
    """
    from rich.console import Console

    # An explicit choice beats both terminal detection and the NO_COLOR variable.
    no_color = None if color is None else not color
    write(Console(force_terminal=color, no_color=no_color, highlight=False), report)
