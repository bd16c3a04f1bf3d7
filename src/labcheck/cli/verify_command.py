"""`labcheck verify`: grade one lab against the account the standard credential chain points at."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Annotated, Any

import typer

from labcheck.catalog import get_lab
from labcheck.cli import app
from labcheck.errors import UsageError
from labcheck.files import write_atomically
from labcheck.model import Report, Result
from labcheck.providers import open_provider
from labcheck.providers.aws.session import DEFAULT_MAX_ATTEMPTS, AwsOptions
from labcheck.providers.azure.session import AzureOptions
from labcheck.report import FORMATS, print_console, render
from labcheck.runner import run_lab, wait_for_pending


def provider_options(
    name: str,
    region: str | None,
    profile: str | None,
    subscription: str | None,
    tenant: str | None,
    max_attempts: int = DEFAULT_MAX_ATTEMPTS,
) -> Any:
    """The options a provider opens with, from the command line."""
    if name == "aws":
        return AwsOptions(region=region, profile=profile, max_attempts=max_attempts)
    if name == "azure":
        return AzureOptions(subscription_id=subscription, tenant_id=tenant, max_attempts=max_attempts)
    raise UsageError(f"labcheck has no {name} provider yet")


def check_writable(path: Path) -> None:
    """Refuse an --output that cannot be written before grading, not after."""
    ancestor = path.parent.resolve()
    while not ancestor.exists():
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        raise UsageError(f"cannot write {path}: {ancestor} is not a directory")
    if path.is_dir():
        raise UsageError(f"cannot write {path}: it is a directory")
    if not os.access(ancestor, os.W_OK | os.X_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise UsageError(f"cannot write {path}: not writable")


def progress_line(total: int) -> Callable[[Result], None] | None:
    """On a terminal, a one-line counter on stderr while the checks run (none when output is piped)."""
    if not sys.stderr.isatty():
        return None
    done = [0]

    def show(result: Result) -> None:
        done[0] += 1
        end = "\n" if done[0] == total else ""
        sys.stderr.write(f"\r\033[Kchecked {done[0]}/{total}: {result.id}{end}")
        sys.stderr.flush()

    return show


def say_waiting(waiting: list[str], seconds_left: float) -> None:
    """Progress while --wait polls: which checks are pending and how long is left."""
    typer.echo(f"waiting for {', '.join(waiting)} ({seconds_left:.0f} s left)", err=True)


def emit(report: Report, fmt: str, output: Path | None) -> None:
    """Show the report: the chosen format to stdout, or to --output with the console view on stdout."""
    if output is not None:
        write_atomically(output, render(report, fmt))
        print_console(report)
        typer.echo(f"{fmt} report written to {output}", err=True)
    elif fmt == "console":
        print_console(report)
    else:
        sys.stdout.write(render(report, fmt))


@app.command()
def verify(
    lab_id: Annotated[str, typer.Argument(metavar="LAB", help="Lab id (see: labcheck list).")],
    region: Annotated[str | None, typer.Option(help="Cloud Region (default: from your AWS configuration).")] = None,
    profile: Annotated[str | None, typer.Option(help="AWS named profile.")] = None,
    subscription: Annotated[
        str | None, typer.Option(help="Azure subscription id (default: AZURE_SUBSCRIPTION_ID).")
    ] = None,
    tenant: Annotated[str | None, typer.Option(help="Azure tenant id (default: AZURE_TENANT_ID).")] = None,
    inputs: Annotated[
        list[str] | None,
        typer.Option("--input", help="Lab input key=value (repeatable; lists comma-separated)."),
    ] = None,
    fmt: Annotated[str, typer.Option("--format", help=f"One of: {', '.join(FORMATS)}.")] = "console",
    output: Annotated[Path | None, typer.Option(help="Write the report to this file.")] = None,
    checks: Annotated[list[str] | None, typer.Option("--check", help="Run only this check (repeatable).")] = None,
    wait: Annotated[
        int, typer.Option(min=0, metavar="SECONDS", help="Re-check PENDING evidence until it appears or time runs out.")
    ] = 0,
    max_attempts: Annotated[
        int,
        typer.Option(min=1, max=10, help="Total attempts per API request (raise it for heavily throttled accounts)."),
    ] = DEFAULT_MAX_ATTEMPTS,
    debug: Annotated[bool, typer.Option(help="Show tracebacks for errors.")] = False,
) -> None:
    """Grade a lab deployment: exit 0 passed, 1 a required check failed or is pending, 2 not evaluated."""
    del debug  # read by labcheck.cli.main before the command runs
    if fmt not in FORMATS:
        raise UsageError(f"--format takes one of {', '.join(FORMATS)}, not {fmt!r}")
    lab = get_lab(lab_id)
    lab_inputs = lab.resolve_inputs(inputs or ())
    if output is not None:
        check_writable(output)

    def opener(name: str) -> Any:
        return open_provider(name, provider_options(name, region, profile, subscription, tenant, max_attempts))

    def grade(only: Sequence[str]) -> Report:
        return run_lab(lab, lab_inputs, opener, only, progress_line(len(only) or len(lab.checks)))

    report = wait_for_pending(grade(checks or ()), grade, wait, on_wait=say_waiting) if wait else grade(checks or ())
    emit(report, fmt, output)
    raise typer.Exit(report.exit_code)
