"""Grading a cohort: each learner's lab run on a bounded thread pool, every finished learner saved at once.

A learner's run can only end as a record: PASS, FAIL, or ERROR with the reason (the grader role could
not be assumed, credentials expired, throttling outlasted the retries, the per-learner timeout passed).
Such failures never become FAIL and never stop the run. Records are appended to DIR/results.jsonl as they
finish, so an interrupted run resumes with the learners that have none.

Threads cannot be killed, so time limits are cooperative as well as enforced: the main thread records a
learner as timed out when its time is up, and the worker stops at its next request or check, where
`checkpoint()` raises. The same flag stops every worker when the run is interrupted.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from labcheck.catalog import Lab
from labcheck.cohort.gradebook import Record, ResultLog
from labcheck.cohort.roster import Learner
from labcheck.errors import LabcheckError, UsageError
from labcheck.model import Report, Status
from labcheck.report.json_format import document
from labcheck.runner import run_lab

_worker = threading.local()


class LearnerCancelledError(LabcheckError):
    """The learner's time ran out, or the run was stopped."""


def checkpoint() -> None:
    """Raise LearnerCancelledError if the calling worker's learner is out of time or the run is stopping.

    Cheap enough to call before every request; a no-op outside a grading worker.
    """
    deadline: float | None = getattr(_worker, "deadline", None)
    if deadline is None:
        return
    if _worker.stop.is_set():
        raise LearnerCancelledError("grading was interrupted")
    if time.monotonic() > deadline:
        raise LearnerCancelledError(f"timed out after {_worker.timeout:g} s (--timeout)")


@contextmanager
def _cancellable(timeout_s: float, stop: threading.Event) -> Iterator[None]:
    _worker.deadline, _worker.timeout, _worker.stop = time.monotonic() + timeout_s, timeout_s, stop
    try:
        yield
    finally:
        _worker.deadline = None


class AccountOpener(Protocol):
    """Opens a learner's cloud account as the provider view a check asks for."""

    def open_provider(self, learner: Learner, name: str) -> Any:
        """The provider `name` ("aws", ...) for the learner's account."""


@dataclass(frozen=True)
class Shard:
    """Shard K of N: the learners whose id hashes to K-1 modulo N (stable when the roster grows or reorders)."""

    index: int
    count: int

    @classmethod
    def parse(cls, text: str) -> Shard:
        """Read "K/N", e.g. "2/4"."""
        found = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", text)
        if not found or not 1 <= int(found[1]) <= int(found[2]):
            raise UsageError(f"--shard takes K/N with 1 <= K <= N, e.g. 2/4, not {text!r}")
        return cls(int(found[1]), int(found[2]))

    def holds(self, learner_id: str) -> bool:
        """Whether the learner belongs to this shard."""
        digest = hashlib.sha256(learner_id.lower().encode()).digest()
        return int.from_bytes(digest[:8], "big") % self.count == self.index - 1


@dataclass(frozen=True)
class GradeOptions:
    """How a cohort run behaves."""

    concurrency: int = 16
    timeout_s: float = 120.0
    regrade: bool = False
    shard: Shard | None = None


@dataclass
class Tally:
    """Where the run stands, for a progress display."""

    total: int
    done: int = 0
    passed: int = 0
    failed: int = 0
    errors: int = 0

    def add(self, record: Record) -> None:
        """Count one finished learner."""
        self.done += 1
        status = record["status"]
        self.passed += status == "pass"
        self.failed += status == "fail"
        self.errors += status == "error"


Progress = Callable[[Tally, Record | None], None]
"""Called on the main thread once before grading (record None) and after each finished learner."""


def learner_inputs(lab: Lab, learner: Learner) -> dict[str, Any]:
    """The row's lab inputs; the roster's resource_group column feeds an Azure lab's resource_group input."""
    values = dict(learner.inputs)
    if learner.resource_group and "resource_group" in lab.inputs:
        values.setdefault("resource_group", learner.resource_group)
    return values


def grade_learner(lab: Lab, learner: Learner, opener: AccountOpener) -> Record:
    """Grade one learner; whatever happens becomes a record, never an exception.

    Args:
        lab: The lab to run.
        learner: The roster row.
        opener: Opens the learner's account.

    Returns:
        The learner's record (see `gradebook.Record`).
    """
    clock = time.perf_counter()
    try:
        inputs = lab.resolve_inputs(values=learner_inputs(lab, learner))
        report = run_lab(lab, inputs, lambda name: opener.open_provider(learner, name), progress=lambda _: checkpoint())
    except LabcheckError as error:
        return _record(lab, learner, "error", str(error), None, clock)
    except Exception as error:  # noqa: BLE001 - one learner's surprise must not end the cohort's run
        return _record(lab, learner, "error", f"unexpected {type(error).__name__}: {error}", None, clock)
    return _record(lab, learner, *_verdict(report), report, clock)


def _verdict(report: Report) -> tuple[str, str]:
    if report.passed:
        return "pass", ""
    unread = report.required_with(Status.ERROR)
    if unread:
        first = unread[0]
        return "error", f"{len(unread)} required check(s) could not be evaluated; {first.id}: {first.message}"
    return "fail", ""


def _record(lab: Lab, learner: Learner, status: str, reason: str, report: Report | None, clock: float) -> Record:
    return {
        "lab": lab.id,
        "title": lab.title,
        "learner": learner.id,
        "index": learner.index,
        "name": learner.name,
        "email": learner.email,
        "status": status,
        "reason": reason,
        "score": report.score if report else 0,
        "max_score": report.max_score if report else 0,
        "graded_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "duration_s": round(time.perf_counter() - clock, 3),
        "result": document(report) if report else None,
    }


def grade_cohort(
    lab: Lab,
    learners: list[Learner],
    opener: AccountOpener,
    out: Path,
    options: GradeOptions,
    progress: Progress | None = None,
) -> list[Record]:
    """Grade the learners of the shard that have no saved result yet (all of them with `regrade`).

    Args:
        lab: The lab to run.
        learners: The validated roster.
        opener: Opens each learner's account; called from worker threads.
        out: The output directory holding results.jsonl.
        options: Concurrency, timeout, regrade and shard.
        progress: Told about the start and each finished learner, on the calling thread.

    Returns:
        The records of the shard's learners in roster order, saved and new.
    """
    selected = [x for x in learners if options.shard is None or options.shard.holds(x.id)]
    with ResultLog.open(out, lab.id, regrade=options.regrade) as log:
        wanted = {x.id for x in selected}
        saved = {k: v for k, v in log.records.items() if k in wanted}
        tally = Tally(total=len(selected))
        for record in saved.values():
            tally.add(record)
        if progress:
            progress(tally, None)

        def finish(record: Record) -> None:
            log.append(record)
            saved[record["learner"]] = record
            tally.add(record)
            if progress:
                progress(tally, record)

        _run_pool(lab, [x for x in selected if x.id not in saved], opener, options, finish)
    return [saved[x.id] for x in selected]


def _run_pool(
    lab: Lab, todo: list[Learner], opener: AccountOpener, options: GradeOptions, finish: Callable[[Record], None]
) -> None:
    if todo:
        _Pool(lab, todo, opener, options).run(finish)


class _Pool:
    """A thread pool fed a window of at most `concurrency` learners, so waiting stays cheap for big cohorts."""

    def __init__(self, lab: Lab, todo: list[Learner], opener: AccountOpener, options: GradeOptions) -> None:
        self.lab, self.opener, self.options = lab, opener, options
        self.workers = max(1, min(options.concurrency, len(todo)))
        self.stop = threading.Event()
        self.started: dict[str, float] = {}  # learners whose worker is running: when it began
        self.waiting = iter(todo)
        self.in_flight: dict[Future[Record], Learner] = {}
        self.pool = ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="grade")

    def run(self, finish: Callable[[Record], None]) -> None:
        """Grade every learner; `finish` gets each record on this thread, as learners end or run out of time."""
        try:
            for _ in range(self.workers):
                self._submit_next()
            while self.in_flight:
                for record in self._ended():
                    finish(record)
        finally:
            self.stop.set()  # workers still running (interrupted or timed out) stop at their next request
            self.pool.shutdown(wait=False, cancel_futures=True)

    def _work(self, learner: Learner) -> Record:
        self.started[learner.id] = time.monotonic()
        with _cancellable(self.options.timeout_s, self.stop):
            return grade_learner(self.lab, learner, self.opener)

    def _submit_next(self) -> None:
        learner = next(self.waiting, None)
        if learner is not None:
            self.in_flight[self.pool.submit(self._work, learner)] = learner

    def _ended(self) -> Iterator[Record]:
        timeout = self.options.timeout_s
        now = time.monotonic()
        wake = max(0.01, min([0.5, *(began + timeout - now for began in list(self.started.values()))]))
        done, _ = wait(self.in_flight, timeout=wake, return_when=FIRST_COMPLETED)
        now = time.monotonic()
        for future, learner in list(self.in_flight.items()):
            late = now - self.started.get(learner.id, now) > timeout
            if future in done or late:  # a late one is abandoned: its worker stops at its next request
                del self.in_flight[future]
                self.started.pop(learner.id, None)
                yield future.result() if future in done else self._timed_out(learner)
                self._submit_next()

    def _timed_out(self, learner: Learner) -> Record:
        reason = f"timed out after {self.options.timeout_s:g} s (--timeout)"
        return _record(self.lab, learner, "error", reason, None, time.perf_counter() - self.options.timeout_s)
