"""`labcheck grade` and `labcheck merge`: grade a whole cohort from a roster, and combine shards of it."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from labcheck.catalog import get_lab
from labcheck.cli import app
from labcheck.errors import MissingExtraError, UsageError
from labcheck.providers.aws.session import DEFAULT_MAX_ATTEMPTS

# The cohort modules load when a command runs, not when `labcheck --help` starts.
if TYPE_CHECKING:
    from labcheck.cohort.accounts import AwsAccounts
    from labcheck.cohort.azure_accounts import AzureAccounts
    from labcheck.cohort.gradebook import Record
    from labcheck.cohort.grading import Progress, Tally

FORMATS = ("console", "json", "csv")
"""What `grade` and `merge` print on stdout when done: a summary, results.json, or gradebook.csv."""

_FORMAT_HELP = "Printed on stdout when done: console (a summary), json (results.json) or csv (gradebook.csv)."


@app.command()
def grade(
    lab_id: Annotated[str, typer.Argument(metavar="LAB", help="Lab id (see: labcheck list).")],
    roster: Annotated[Path, typer.Option(help="Roster file (.csv, .yaml, .yml): one learner a row.")],
    out: Annotated[Path, typer.Option(help="Output directory: results.jsonl, gradebook.csv, report.html, ...")],
    concurrency: Annotated[int, typer.Option(help="Learners graded at once.")] = 16,
    timeout: Annotated[float, typer.Option(help="Seconds per learner; a learner over time is an ERROR row.")] = 120.0,
    regrade: Annotated[
        bool, typer.Option(help="Grade everyone again (default: only learners without a result).")
    ] = False,
    shard: Annotated[str | None, typer.Option(help="Grade only shard K/N of the roster (by a hash of the id).")] = None,
    region: Annotated[str | None, typer.Option(help="Region of roster rows that name none.")] = None,
    max_attempts: Annotated[
        int, typer.Option(min=1, max=15, help="Total attempts per API request (raise it when heavily throttled).")
    ] = DEFAULT_MAX_ATTEMPTS,
    fmt: Annotated[str, typer.Option("--format", help=_FORMAT_HELP)] = "console",
    debug: Annotated[bool, typer.Option(help="Show tracebacks for errors.")] = False,
) -> None:
    """Grade every learner of a roster, each in their own account, through their read-only grader role.

    The roster (CSV with a header row, or YAML) has one row per learner: id (required, unique), name,
    email; role_arn and external_id (or a profile of your AWS configuration), region; subscription_id,
    tenant_id, resource_group (Azure); and lab inputs as columns named like the input or input.<name>.
    It holds references, never secrets: credential-like columns and key-shaped values are refused.

    For AWS labs, your credentials (AWS_PROFILE, environment, SSO) assume each role_arn with its
    external_id. For Azure labs, your Azure identity (az login, a service principal) reads each row's
    subscription_id and resource_group; give it Reader there (labcheck permissions LAB). A learner who
    cannot be graded (role denied, credentials expired, throttled, timed out) becomes an
    ERROR row with the reason, and the run goes on. Each finished learner is saved at once in
    OUT/results.jsonl, so a run that was interrupted resumes where it stopped; --regrade starts afresh.
    OUT then gets gradebook.csv, results.json, report.html and feedback/<id>.md.

    The exit code says whether the run completed, not how the learners did: 0 when every learner has a
    result (pass, fail or error), 2 for bad input (nothing is graded), 130 when interrupted.
    """
    from labcheck.cohort.grading import GradeOptions, Shard, grade_cohort
    from labcheck.cohort.roster import REGION_NAME, load_roster

    del debug  # read by labcheck.cli.main before the command runs
    _check_format(fmt)
    if not 1 <= concurrency <= 256:
        raise UsageError(f"--concurrency takes 1 to 256, not {concurrency}")
    if not timeout > 0:
        raise UsageError(f"--timeout takes a positive number of seconds, not {timeout:g}")
    if region is not None and not REGION_NAME.match(region):
        raise UsageError(f"--region {region!r} is not an AWS Region name (for example eu-central-1)")
    options = GradeOptions(concurrency, timeout, regrade, Shard.parse(shard) if shard else None)
    lab = get_lab(lab_id)
    if lab.cloud not in ("aws", "azure"):
        raise UsageError(f"cohort grading reaches AWS and Azure accounts; lab {lab.id} runs on {lab.cloud}")
    learners = load_roster(roster, lab)
    if lab.cloud == "aws":
        accounts: AwsAccounts | AzureAccounts = open_accounts(region, timeout, max_attempts, concurrency)
    else:
        accounts = open_azure_accounts()
    accounts.preflight(learners)
    try:
        with progress_bar() as progress:
            records = grade_cohort(lab, learners, accounts, out, options, progress)
    except KeyboardInterrupt:
        typer.echo(f"labcheck: interrupted; finished learners are saved in {out}: run again to resume", err=True)
        raise typer.Exit(130) from None
    finish(out, records, fmt)


def open_azure_accounts() -> AzureAccounts:
    """The instructor's Azure credential, shared by every learner's subscription."""
    try:
        from labcheck.cohort.azure_accounts import AzureAccounts
        from labcheck.providers.azure import reader  # noqa: F401 - fails early when the Azure SDKs are missing
    except ImportError:
        raise MissingExtraError("azure", "azure-mgmt-network") from None

    return AzureAccounts()


def open_accounts(
    region: str | None, timeout_s: float, max_attempts: int = DEFAULT_MAX_ATTEMPTS, concurrency: int = 16
) -> AwsAccounts:
    """The instructor's account opener (tests replace this to inject faults)."""
    if importlib.util.find_spec("boto3") is None:
        raise MissingExtraError("aws", "boto3")
    from labcheck.cohort.accounts import AccountOptions, AwsAccounts

    # Assumed-role sessions outlive a learner's grading, within STS's default one-hour role maximum.
    session_seconds = int(min(3600, max(900, timeout_s + 60)))
    options = AccountOptions(region, max_attempts, session_seconds, concurrency)
    return AwsAccounts(options)


@app.command()
def merge(
    directories: Annotated[list[Path], typer.Argument(metavar="DIR...", help="Output directories of grade runs.")],
    out: Annotated[Path, typer.Option(help="Directory for the merged results and gradebook.")],
    fmt: Annotated[str, typer.Option("--format", help=_FORMAT_HELP)] = "console",
) -> None:
    """Combine the results of several grade runs (e.g. shards 1/N..N/N) into one gradebook and report."""
    from labcheck.cohort.gradebook import merge_logs, write_log

    _check_format(fmt)
    records = merge_logs(directories)
    write_log(out, records)
    finish(out, records, fmt)


def _check_format(fmt: str) -> None:
    if fmt not in FORMATS:
        raise UsageError(f"--format takes one of {', '.join(FORMATS)}, not {fmt!r}")


def finish(out: Path, records: list[Record], fmt: str) -> None:
    """Write the gradebook files and print the chosen summary."""
    from labcheck.cohort.gradebook import gradebook_csv, results_json, write_gradebook

    files = write_gradebook(out, records)
    if fmt == "json":
        sys.stdout.write(results_json(records))
    elif fmt == "csv":
        sys.stdout.write(gradebook_csv(records))
    else:
        print_summary(records)
    feedback = sum(1 for f in files if f.parent.name == "feedback")
    typer.echo(f"Wrote {out}/gradebook.csv, results.json, report.html and {feedback} feedback files", err=True)


def print_summary(records: list[Record]) -> None:
    """A few lines: counts, mean score, and every learner that could not be graded, with the reason."""
    from labcheck.cohort.gradebook import summary

    stats = summary(records)
    lab = records[0]["lab"] if records else "no lab"
    mean = "-" if stats["mean_score"] is None else f"{stats['mean_score']:g}"
    typer.echo(
        f"{lab}: {stats['learners']} learners: {stats['pass']} passed, {stats['fail']} failed, "
        f"{stats['error']} error; mean score {mean}/{stats['max_score']}"
    )
    for record in records:
        if record["status"] == "error":
            typer.echo(f"  ERROR {record['learner']}: {record['reason']}")


@contextmanager
def progress_bar() -> Iterator[Progress]:
    """A rich progress bar on stderr: done/total, pass, fail, error, elapsed and ETA."""
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )
    from rich.progress import Progress as Bar

    counts = (
        "[green]pass {task.fields[passed]}[/] [red]fail {task.fields[failed]}[/] [yellow]error {task.fields[errors]}"
    )
    bar = Bar(
        TextColumn("grading"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn(counts),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
        console=Console(stderr=True),
    )
    task = bar.add_task("grading", total=None, passed=0, failed=0, errors=0)

    def update(tally: Tally, _: Record | None) -> None:
        bar.update(
            task, total=tally.total, completed=tally.done, passed=tally.passed, failed=tally.failed, errors=tally.errors
        )

    with bar:
        yield update
