"""Runs a lab's checks against the providers it asks for and turns every outcome into a scored Result.

This is the one place with a broad `except`: whatever a check raises becomes ERROR with the reason, so
an exception can never become PASS, and "could not read" is never reported as FAIL.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from labcheck.catalog import Lab
from labcheck.errors import (
    AnchorNotFoundError,
    BlockedError,
    LabcheckError,
    PermissionDeniedError,
    UsageError,
)
from labcheck.model import Check, LabInputs, Report, Result, Status, Verdict

ProviderOpener = Callable[[str], Any]
"""Opens a provider by name ("aws", ...); called once per provider the selected checks use."""

Progress = Callable[[Result], None]


def select_checks(lab: Lab, only: Sequence[str]) -> tuple[Check, ...]:
    """The lab's checks, or the named subset in lab order (an unknown id is a usage error)."""
    wanted = {lab.check(check_id).id for check_id in only}
    return tuple(c for c in lab.checks if not wanted or c.id in wanted)


def run_lab(
    lab: Lab,
    inputs: LabInputs,
    open_provider: ProviderOpener,
    only: Sequence[str] = (),
    progress: Progress | None = None,
) -> Report:
    """Open the providers the selected checks need, run the checks in lab order and score them."""
    started = dt.datetime.now(dt.UTC)
    clock = time.perf_counter()
    checks = select_checks(lab, only)
    names = sorted({name for c in checks for name in c.spec.providers})
    providers = {name: open_provider(name) for name in names}
    known_ids = {c.id for c in lab.checks}
    results = []
    for each in checks:
        result = run_check(each, providers, inputs, known_ids)
        results.append(result)
        if progress:
            progress(result)
    identity: dict[str, str] = {}
    for provider in providers.values():
        identity.update(getattr(provider, "identity", {}))
    return Report(
        lab_id=lab.id,
        lab_title=lab.title,
        results=tuple(results),
        identity=identity,
        started_at=started.isoformat(timespec="seconds"),
        duration_s=time.perf_counter() - clock,
    )


def run_check(each: Check, providers: Mapping[str, Any], inputs: LabInputs, known_ids: set[str]) -> Result:
    """Run one check and map its verdict or exception to a Result."""
    arguments = {name: providers[name] for name in each.spec.providers}
    if each.spec.takes_lab:
        arguments["lab"] = inputs
    clock = time.perf_counter()
    status, message, hint, resources = _evaluate(each, arguments, known_ids)
    return Result(
        check=each,
        status=status,
        message=message,
        hint=hint if status not in (Status.PASS, Status.SKIP) else "",
        resources=resources,
        duration_s=time.perf_counter() - clock,
    )


def _evaluate(
    each: Check, arguments: Mapping[str, Any], known_ids: set[str]
) -> tuple[Status, str, str, tuple[str, ...]]:
    try:
        verdict = each.spec.function(**arguments)
    except UsageError:  # e.g. credentials that expired mid-run: no check can succeed, so the run stops
        raise
    except LabcheckError as error:
        return _from_error(error, each, known_ids)
    except Exception as error:  # noqa: BLE001 - the one broad except: an unexpected shape is ERROR, never PASS
        return Status.ERROR, f"unexpected {type(error).__name__} while evaluating: {error}", "", ()
    if not isinstance(verdict, Verdict):
        return Status.ERROR, f"check returned {type(verdict).__name__}, not a Verdict", "", ()
    return verdict.status, verdict.message, each.spec.hint, verdict.resources


def _from_error(error: LabcheckError, each: Check, known_ids: set[str]) -> tuple[Status, str, str, tuple[str, ...]]:
    """What labcheck's own errors mean for a check: blocked and untagged are FAIL, the rest ERROR."""
    if isinstance(error, BlockedError):
        if error.prerequisite not in known_ids:
            return Status.ERROR, f"labcheck bug: unknown prerequisite {error.prerequisite}", "", ()
        return Status.FAIL, str(error), each.spec.hint, ()
    if isinstance(error, AnchorNotFoundError):
        return Status.FAIL, str(error), error.hint, ()
    if isinstance(error, PermissionDeniedError):
        return Status.ERROR, str(error), f"Allow {error.action} for the identity labcheck runs as.", ()
    return Status.ERROR, str(error), "", ()  # ambiguous anchors, unreadable APIs, refused writes


def pending_ids(report: Report) -> list[str]:
    """The checks still waiting for evidence."""
    return [r.id for r in report.results if r.status is Status.PENDING]


def wait_for_pending(
    report: Report,
    rerun: Callable[[Sequence[str]], Report],
    wait_s: float,
    poll_s: float = 30.0,
    on_wait: Callable[[list[str], float], None] | None = None,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> Report:
    """Re-run the PENDING checks every `poll_s` until none is pending or `wait_s` has passed.

    `rerun` grades the named checks afresh (a new provider, so nothing memoised is reused); their results
    replace the pending ones, and the rest of the report stays as it was.
    """
    deadline = clock() + wait_s
    while (waiting := pending_ids(report)) and (left := deadline - clock()) > 0:
        if on_wait:
            on_wait(waiting, left)
        sleep(min(poll_s, left))
        fresh = {r.id: r for r in rerun(waiting).results}
        report = dataclasses.replace(report, results=tuple(fresh.get(r.id, r) for r in report.results))
    return report
