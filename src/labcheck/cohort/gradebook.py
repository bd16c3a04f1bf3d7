"""What a cohort run leaves in DIR: the append-only results.jsonl, and the gradebook files made from it.

results.jsonl is the source of truth: one JSON record per finished learner, appended and fsync'd at
once, so a crash loses at most the line being written (a torn last line is dropped on the next run).
gradebook.csv, results.json, feedback/<id>.md and report.html are rebuilt from it after every run and
written atomically (a temporary file renamed over the old one), so readers never see half a file.
"""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
from collections.abc import Iterable
from pathlib import Path
from types import TracebackType
from typing import IO, Any

from labcheck.cohort.roster import LEARNER_ID
from labcheck.errors import UsageError
from labcheck.files import write_atomically

Record = dict[str, Any]
"""One learner's outcome: lab, title, learner, index, name, email, status (pass/fail/error), reason,
score, max_score, graded_at, duration_s, and result (the labcheck.result/v1 document, or None)."""

RESULTS_LOG = "results.jsonl"
COHORT_SCHEMA = "labcheck.cohort/v1"


def read_log(path: Path) -> tuple[list[Record], int]:
    """Read a results.jsonl.

    Args:
        path: The file.

    Returns:
        The records in file order and the length in bytes of its complete lines (a torn last line,
        left by a crash in the middle of a write, is not counted).

    Raises:
        UsageError: If the file cannot be read or a complete line is not a record.
    """
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return [], 0
    except OSError as error:
        raise UsageError(f"cannot read {path}: {error.strerror or error}") from None
    complete = data.rfind(b"\n") + 1
    records = []
    for number, line in enumerate(data[:complete].splitlines(), 1):
        try:
            record = json.loads(line)
        except ValueError:
            record = None
        if not isinstance(record, dict) or not LEARNER_ID.match(str(record.get("learner", ""))):
            raise UsageError(
                f"{path}: line {number} is not a labcheck result; remove it, or grade again with --regrade"
            )
        records.append(record)
    return records, complete


class ResultLog:
    """The append-only results.jsonl of one output directory, locked against a second writer."""

    def __init__(self, path: Path, handle: IO[str], records: dict[str, Record]) -> None:
        self.path = path
        self._handle = handle
        self.records = records

    @classmethod
    def open(cls, out: Path, lab_id: str, *, regrade: bool) -> ResultLog:
        """Open DIR/results.jsonl for appending, with the saved records (none with `regrade`).

        Args:
            out: The output directory; created if missing.
            lab_id: The lab being graded; a directory holding another lab's results is refused.
            regrade: Start afresh; the old file is kept as results.jsonl.previous.

        Returns:
            The open log; use it as a context manager.
        """
        path = out / RESULTS_LOG
        try:
            out.mkdir(parents=True, exist_ok=True)
            handle = path.open("a+", encoding="utf-8")
        except OSError as error:
            raise UsageError(f"cannot write to {out}: {error.strerror or error}") from None
        try:
            _lock(handle, out)
            found, complete = read_log(path)
            other = sorted({r.get("lab") for r in found} - {lab_id}, key=str)
            if other:
                raise UsageError(f"{out} holds results of lab {other[0]}; choose another --out")
            if regrade and complete:
                shutil.copyfile(path, out / (RESULTS_LOG + ".previous"))
                found, complete = [], 0
            handle.truncate(complete)  # drops a torn last line, so the next record starts a line of its own
        except OSError as error:
            handle.close()
            raise UsageError(f"cannot write to {out}: {error.strerror or error}") from None
        except UsageError:
            handle.close()
            raise
        return cls(path, handle, {r["learner"]: r for r in found})

    def append(self, record: Record) -> None:
        """Save one record durably before returning."""
        try:
            self._handle.write(json.dumps(record, separators=(",", ":"), sort_keys=True) + "\n")
            self._handle.flush()
            os.fsync(self._handle.fileno())
        except OSError as error:
            raise UsageError(f"cannot write {self.path}: {error.strerror or error}") from None
        self.records[record["learner"]] = record

    def __enter__(self) -> ResultLog:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self._handle.close()


def _lock(handle: IO[str], out: Path) -> None:
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows: no advisory lock; one run per DIR is documented
        return
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        raise UsageError(f"{out} is in use by another labcheck grade run") from None


def check_ids(records: Iterable[Record]) -> list[str]:
    """The lab's check ids in lab order, from the first record that has a result document."""
    for record in records:
        if record.get("result"):
            return [r["id"] for r in record["result"]["results"]]
    return []


def _cell(value: Any) -> str:
    text = "" if value is None else str(value)
    # A leading = + - @ makes a spreadsheet evaluate the cell; names and reasons come from outside.
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


def gradebook_csv(records: list[Record]) -> str:
    """gradebook.csv: learner, name, email, score, max, passed, status, reason, then one status per check."""
    ids = check_ids(records)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["learner", "name", "email", "score", "max", "passed", "status", "reason", *ids])
    for record in records:
        statuses = {r["id"]: r["status"] for r in (record.get("result") or {}).get("results", [])}
        fixed = [record["learner"], record["name"], record["email"], record["score"], record["max_score"]]
        writer.writerow(
            [_cell(v) for v in fixed]
            + [str(record["status"] == "pass").lower(), record["status"], _cell(record["reason"])]
            + [statuses.get(check_id, "") for check_id in ids]
        )
    return buffer.getvalue()


def summary(records: list[Record]) -> dict[str, Any]:
    """Counts and mean score of a cohort."""
    scores = [r["score"] for r in records if r.get("result")]
    return {
        "learners": len(records),
        "pass": sum(r["status"] == "pass" for r in records),
        "fail": sum(r["status"] == "fail" for r in records),
        "error": sum(r["status"] == "error" for r in records),
        "max_score": max((r["max_score"] for r in records), default=0),
        "mean_score": round(sum(scores) / len(scores), 2) if scores else None,
    }


def results_json(records: list[Record]) -> str:
    """results.json: the cohort summary and every learner's record with its labcheck.result/v1 document."""
    lab = records[0]["lab"] if records else ""
    body = {"schema": COHORT_SCHEMA, "lab": lab, "summary": summary(records), "learners": records}
    return json.dumps(body, indent=2, sort_keys=True) + "\n"


def feedback_markdown(record: Record) -> str:
    """A learner's feedback: the verdict, what failed or could not be read with its hint, and what passed."""
    who = f"{record['name']} ({record['learner']})" if record["name"] else record["learner"]
    lines = [f"# {record['title']}: feedback for {who}", ""]
    result = record.get("result")
    if result is None:
        lines += [
            "**Not graded.** " + record["reason"],
            "",
            "Nothing was scored. Once this is fixed, ask for a regrade.",
        ]
        return "\n".join(lines) + "\n"
    verdict = {"pass": "PASSED", "fail": "FAILED", "error": "INCOMPLETE"}[record["status"]]
    lines += [f"**{verdict}: {record['score']}/{record['max_score']} points.**", ""]
    if record["reason"]:
        lines += [record["reason"], ""]
    for heading, statuses in (("What to fix", ("fail", "pending")), ("Could not be checked", ("error",))):
        items = [r for r in result["results"] if r["status"] in statuses]
        if items:
            lines += [f"## {heading}", "", *(line for item in items for line in _feedback_item(item)), ""]
    done = [r for r in result["results"] if r["status"] == "pass"]
    if done:
        lines += ["## Passed", "", *(f"- `{r['id']}`: {r['title']}" for r in done)]
    return "\n".join(lines) + "\n"


def _feedback_item(item: dict[str, Any]) -> list[str]:
    scored = "" if item["severity"] == "required" else " (advisory, not scored)"
    lines = [f"- **{item['status'].upper()}** `{item['id']}`: {item['title']}{scored}"]
    return lines + [f"  - {text}" for text in (item["message"], item["hint"] and "Hint: " + item["hint"]) if text]


def write_gradebook(out: Path, records: list[Record]) -> list[Path]:
    """Write gradebook.csv, results.json, report.html and feedback/<id>.md for the records.

    Args:
        out: The output directory.
        records: The learners' records in roster order.

    Returns:
        The files written.
    """
    from labcheck.cohort.html import report_html

    files = {
        out / "gradebook.csv": gradebook_csv(records),
        out / "results.json": results_json(records),
        out / "report.html": report_html(records),
    }
    files.update({out / "feedback" / f"{r['learner']}.md": feedback_markdown(r) for r in records})
    for path, text in files.items():
        write_atomically(path, text)
    return list(files)


def merge_logs(directories: list[Path]) -> list[Record]:
    """The records of several runs (shards) of one lab; a learner graded twice keeps the later result.

    Args:
        directories: Output directories of `labcheck grade`.

    Returns:
        The records in roster order.

    Raises:
        UsageError: A directory without results, or results of different labs.
    """
    merged: dict[str, Record] = {}
    for directory in directories:
        records, _ = read_log(directory / RESULTS_LOG)
        if not records:
            raise UsageError(f"{directory} holds no {RESULTS_LOG} (is it a labcheck grade --out directory?)")
        for record in records:
            known = merged.get(record["learner"])
            if known is None or record["graded_at"] >= known["graded_at"]:
                merged[record["learner"]] = record
    labs = sorted({r["lab"] for r in merged.values()})
    if len(labs) > 1:
        raise UsageError(f"cannot merge results of different labs: {', '.join(labs)}")
    return sorted(merged.values(), key=lambda r: (r["index"], r["learner"]))


def write_log(out: Path, records: list[Record]) -> None:
    """Write a whole results.jsonl at once (for a merge), atomically."""
    text = "".join(json.dumps(r, separators=(",", ":"), sort_keys=True) + "\n" for r in records)
    write_atomically(out / RESULTS_LOG, text)
