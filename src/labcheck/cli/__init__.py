"""The `labcheck` command line. Commands live in one module per group; none imports an SDK or rich at load.

`main` runs the typer app without click's standalone mode so that every usage problem, from a bad flag to
missing credentials, ends as one line on stderr and exit 2 (a traceback only with --debug).
"""

from __future__ import annotations

import sys
import traceback

import typer

try:  # recent typer releases carry their own copy of click; older ones use the click package itself
    from typer._click.exceptions import ClickException
except ImportError:  # pragma: no cover - depends on the installed typer
    from click.exceptions import ClickException  # type: ignore[assignment]

from labcheck.errors import UsageError

app = typer.Typer(
    name="labcheck",
    help="Grade a GenAI cloud lab deployment with read-only checks.",
    add_completion=False,
    rich_markup_mode=None,  # keeps rich off the start-up path
    pretty_exceptions_enable=False,
)

from labcheck.cli import (  # noqa: E402  (registers the commands)
    catalog_commands,
    demo_command,
    doctor_command,
    grade_command,
    permissions_command,
    verify_command,
)

__all__ = [
    "app",
    "catalog_commands",
    "demo_command",
    "doctor_command",
    "grade_command",
    "main",
    "permissions_command",
    "verify_command",
]


def fail(message: str) -> None:
    """Print one line on stderr and exit 2."""
    print(f"labcheck: error: {message}", file=sys.stderr)
    raise SystemExit(2)


def main(argv: list[str] | None = None) -> None:
    """Entry point of the `labcheck` script."""
    args = (sys.argv[1:] if argv is None else argv) or ["--help"]
    try:
        code = app(args=args, prog_name="labcheck", standalone_mode=False)
    except ClickException as error:
        context = getattr(error, "ctx", None)
        command = context.command_path if context else "labcheck"
        fail(f"{error.format_message()} (see: {command} --help)")
    except typer.Abort:
        print("labcheck: interrupted", file=sys.stderr)
        raise SystemExit(130) from None
    except UsageError as error:
        if "--debug" in args:
            traceback.print_exc()
        fail(str(error))
    raise SystemExit(code if isinstance(code, int) else 0)
