"""`labcheck grade` and `labcheck merge` against one moto server holding every learner's account."""

from __future__ import annotations

import csv
import json
import threading
import time

import pytest
from cohort_helpers import COHORT, LAB, STALLED, TEST_ATTEMPTS, Faults, run_cli, write_roster

from labcheck.catalog import get_lab
from labcheck.cli import grade_command
from labcheck.cohort.accounts import AccountOptions, AwsAccounts
from labcheck.cohort.grading import GradeOptions, Shard, grade_cohort
from labcheck.cohort.roster import load_roster

EXPECTED = {m.id: m.expected for m in COHORT}


def read_gradebook(out):
    with (out / "gradebook.csv").open(encoding="utf-8", newline="") as handle:
        return {row["learner"]: row for row in csv.DictReader(handle)}


def wait_for_workers(limit_s=10.0):
    deadline = time.monotonic() + limit_s
    while any(t.name.startswith("grade") for t in threading.enumerate()) and time.monotonic() < deadline:
        time.sleep(0.05)
    return not any(t.name.startswith("grade") for t in threading.enumerate())


def records(out):
    return [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]


def test_mixed_cohort_is_graded_and_the_run_completes(graded_cohort):
    run = graded_cohort.run
    assert run.code == 0, run.stderr
    assert "8 learners: 3 passed, 2 failed, 3 error" in run.stdout
    assert "grading" in run.stderr
    assert "8/8" in run.stderr
    assert "Traceback" not in run.stderr
    book = read_gradebook(graded_cohort.out)
    assert {learner: row["status"] for learner, row in book.items()} == EXPECTED
    assert list(book) == [m.id for m in COHORT]  # roster order
    assert book["ana"]["score"] == book["ana"]["max"] == "30"
    assert book["ana"]["passed"] == "true"
    assert book["cai"]["endpoint-private-dns"] == "fail"
    assert book["cai"]["vpc-dns-enabled"] == "pass"
    assert book["dee"]["invocation-logging-enabled"] == "fail"


def test_unreachable_learners_are_error_rows_with_the_reason(graded_cohort):
    book = read_gradebook(graded_cohort.out)
    assert "access denied (AccessDenied)" in book["eli"]["reason"]
    assert "trust arn:aws:sts::123456789012:user/moto with" in book["eli"]["reason"]  # the instructor
    assert "arn:aws:iam::520000000005:role/labcheck-grader" in book["eli"]["reason"]
    assert "expired (ExpiredToken)" in book["fay"]["reason"]
    assert "throttled" in book["gus"]["reason"]
    for learner in ("eli", "fay", "gus"):
        assert book[learner]["score"] == "0"
        assert book[learner]["passed"] == "false"
    for learner in ("eli", "fay"):
        assert book[learner]["endpoint-private-dns"] == ""  # never reached, so not evaluated
    checks = [c.id for c in get_lab(LAB).checks]
    assert {book["gus"][c] for c in checks} == {"error"}  # reached, but no read answered: ERROR, never FAIL
    assert "still throttled after retries" in book["gus"]["reason"]
    assert "ERROR eli: cannot assume" in graded_cohort.run.stdout


def test_a_throttle_that_clears_is_retried_on_the_learners_own_client(graded_cohort):
    injected = graded_cohort.faults.injected
    assert injected["520000000008"] >= 1  # hal's first DescribeVpcs was throttled...
    assert read_gradebook(graded_cohort.out)["hal"]["status"] == "pass"  # ...and the retry passed
    gus = injected["520000000007"]  # each read that gus's checks need used every attempt of the bounded retries
    assert gus >= TEST_ATTEMPTS
    assert gus % TEST_ATTEMPTS == 0  # then ERROR (see above)


def test_results_json_holds_every_learners_result_document(graded_cohort):
    body = json.loads((graded_cohort.out / "results.json").read_text())
    assert body["schema"] == "labcheck.cohort/v1"
    assert body["lab"] == LAB
    assert body["summary"] == {
        "learners": 8,
        "pass": 3,
        "fail": 2,
        "error": 3,
        "max_score": 30,
        "mean_score": pytest.approx(body["summary"]["mean_score"]),
    }
    by_id = {r["learner"]: r for r in body["learners"]}
    assert by_id["ana"]["result"]["schema"] == "labcheck.result/v1"
    assert by_id["ana"]["result"]["identity"]["account"] == "520000000001"
    assert by_id["cai"]["result"]["identity"]["account"] == "520000000003"
    assert by_id["eli"]["result"] is None
    assert by_id["gus"]["result"]["counts"]["error"] == len(get_lab(LAB).checks)  # opened, but nothing answered


def test_feedback_names_what_failed_with_its_hint(graded_cohort):
    feedback = graded_cohort.out / "feedback"
    assert sorted(p.stem for p in feedback.iterdir()) == sorted(EXPECTED)
    cai = (feedback / "cai.md").read_text()
    assert "**FAILED: 28/30 points.**" in cai
    assert "`endpoint-private-dns`" in cai
    assert "Hint: Set private_dns_enabled = true" in cai
    eli = (feedback / "eli.md").read_text()
    assert "**Not graded.**" in eli
    assert "access denied" in eli
    ana = (feedback / "ana.md").read_text()
    assert "## What to fix" not in ana
    assert "## Could not be checked" in ana  # moto implements neither advisory check's API


def test_every_finished_learner_was_appended_once(graded_cohort):
    saved = records(graded_cohort.out)
    assert sorted(r["learner"] for r in saved) == sorted(EXPECTED)


def test_resume_after_an_interrupted_run_grades_only_the_rest(deployed, instructor, faults, tmp_path):
    lab = get_lab(LAB)
    roster = write_roster(tmp_path / "roster.csv", deployed)
    out = tmp_path / "out"
    accounts = AwsAccounts(AccountOptions(max_attempts=TEST_ATTEMPTS))
    faults.install(accounts)
    learners = load_roster(roster, lab)
    accounts.preflight(learners)

    def interrupt_after_three(tally, record):
        if tally.done == 3:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        grade_cohort(lab, learners, accounts, out, GradeOptions(concurrency=2, timeout_s=60), interrupt_after_three)
    wait_for_workers()  # the interrupted run's workers stop at their next request
    first = records(out)
    assert len(first) == 3
    with (out / "results.jsonl").open("a") as log:
        log.write('{"learner": "torn", "sta')  # a crash in the middle of a write
    assumed_before = sum(faults.assumed.values())

    run = run_cli("grade", LAB, "--roster", str(roster), "--out", str(out), "--concurrency", "4")
    assert run.code == 0, run.stderr
    saved = records(out)
    assert saved[:3] == first  # kept as they were
    assert sorted(r["learner"] for r in saved) == sorted(EXPECTED)  # each learner once; the torn line is gone
    # Only the learners without a result were reached again (deny and expire never get an assumed role).
    rest = {m.id for m in deployed if m.fault not in ("deny", "expire")} - {r["learner"] for r in first}
    assert sum(faults.assumed.values()) - assumed_before == len(rest)
    assert {r["learner"]: r["status"] for r in saved} == EXPECTED


def test_regrade_grades_everyone_again_and_keeps_the_old_log(graded_cohort, instructor, faults, tmp_path):
    roster = write_roster(tmp_path / "roster.csv", COHORT[:2])
    out = tmp_path / "out"
    assert run_cli("grade", LAB, "--roster", str(roster), "--out", str(out)).code == 0
    assert run_cli("grade", LAB, "--roster", str(roster), "--out", str(out)).code == 0
    assert faults.assumed["520000000001"] == 1  # the second run resumed: nothing left to grade
    run = run_cli("grade", LAB, "--roster", str(roster), "--out", str(out), "--regrade")
    assert run.code == 0, run.stderr
    assert faults.assumed["520000000001"] == 2
    assert len(records(out)) == 2
    assert (out / "results.jsonl.previous").is_file()


def without_timing(value):
    if isinstance(value, dict):
        return {k: without_timing(v) for k, v in value.items() if k not in ("graded_at", "started_at", "duration_s")}
    if isinstance(value, list):
        return [without_timing(v) for v in value]
    return value


def test_shards_merged_equal_a_single_run(deployed, instructor, faults, graded_cohort, tmp_path):
    roster = write_roster(tmp_path / "roster.csv", deployed)
    shards = []
    for k in (1, 2):
        out = tmp_path / f"shard-{k}"
        run = run_cli("grade", LAB, "--roster", str(roster), "--out", str(out), "--shard", f"{k}/2")
        assert run.code == 0, run.stderr
        shards.append(out)
    ids = [{r["learner"] for r in records(out)} for out in shards]
    assert ids[0]
    assert ids[1]
    assert not ids[0] & ids[1]
    assert ids[0] == {m.id for m in deployed if Shard(1, 2).holds(m.id)}

    merged = tmp_path / "merged"
    run = run_cli("merge", *map(str, shards), "--out", str(merged))
    assert run.code == 0, run.stderr
    single = graded_cohort.out
    for name in ("gradebook.csv", "report.html", *(f"feedback/{m.id}.md" for m in deployed)):
        assert (merged / name).read_text() == (single / name).read_text(), name
    assert without_timing(json.loads((merged / "results.json").read_text())) == without_timing(
        json.loads((single / "results.json").read_text())
    )


def test_merge_refuses_a_directory_without_results(tmp_path):
    run = run_cli("merge", str(tmp_path), "--out", str(tmp_path / "merged"))
    assert run.code == 2
    assert run.stderr.count("\n") == 1
    assert "holds no results.jsonl" in run.stderr


def test_a_learner_over_time_is_an_error_row_and_its_worker_stops(instructor, tmp_path):
    lab = get_lab(LAB)
    learners = load_roster(write_roster(tmp_path / "roster.csv", [STALLED]), lab)
    injected = Faults((STALLED,))
    accounts = AwsAccounts(AccountOptions(max_attempts=TEST_ATTEMPTS))
    injected.install(accounts)
    accounts.preflight(learners)
    clock = time.monotonic()
    try:
        [record] = grade_cohort(lab, learners, accounts, tmp_path / "out", GradeOptions(timeout_s=1.0))
        elapsed = time.monotonic() - clock
    finally:
        injected.release.set()
    assert injected.stalled.is_set()
    assert record["status"] == "error"
    assert record["reason"] == "timed out after 1 s (--timeout)"
    assert elapsed < 5
    assert wait_for_workers()  # the abandoned worker stopped at its next request


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (("--shard", "0/2"), "--shard takes K/N"),
        (("--shard", "3/2"), "--shard takes K/N"),
        (("--concurrency", "0"), "--concurrency takes 1 to 256"),
        (("--timeout", "0"), "--timeout takes a positive number"),
        (("--format", "xml"), "--format takes one of console, json, csv"),
        (("--region", "mars"), "--region 'mars' is not an AWS Region name"),
    ],
)
def test_bad_options_are_one_line_and_exit_2(tmp_path, argv, message):
    roster = write_roster(tmp_path / "roster.csv", COHORT[:1])
    run = run_cli("grade", LAB, "--roster", str(roster), "--out", str(tmp_path / "out"), *argv)
    assert run.code == 2
    assert run.stderr.count("\n") == 1
    assert message in run.stderr
    assert not (tmp_path / "out").exists()


def test_an_output_directory_of_another_lab_is_refused(instructor, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "results.jsonl").write_text('{"lab": "other-lab", "learner": "ana"}\n')
    roster = write_roster(tmp_path / "roster.csv", COHORT[:1])
    run = run_cli("grade", LAB, "--roster", str(roster), "--out", str(out))
    assert run.code == 2
    assert "holds results of lab other-lab" in run.stderr


def test_json_and_csv_formats_print_the_files(graded_cohort, instructor, faults, tmp_path):
    roster = write_roster(tmp_path / "roster.csv", COHORT[:1])
    out = tmp_path / "out"
    as_json = run_cli("grade", LAB, "--roster", str(roster), "--out", str(out), "--format", "json")
    assert json.loads(as_json.stdout)["summary"]["pass"] == 1
    as_csv = run_cli("grade", LAB, "--roster", str(roster), "--out", str(out), "--format", "csv")
    assert as_csv.stdout == (out / "gradebook.csv").read_text()


def test_preflight_names_unknown_profiles_and_rows_without_a_region(instructor, tmp_path):
    roster = tmp_path / "roster.csv"
    roster.write_text(
        "id,profile,role_arn,region\n"
        "ana,nope,,eu-central-1\n"
        "ben,,arn:aws:iam::520000000001:role/labcheck-grader,\n"
        "cy,,arn:aws:iam::520000000002:role/labcheck-grader,\n"
    )
    run = run_cli("grade", LAB, "--roster", str(roster), "--out", str(tmp_path / "out"))
    assert run.code == 2
    assert run.stderr == (
        "labcheck: error: roster: row 2: profile 'nope' is not in your AWS configuration; "
        "row 3, 4: no region (add a region column or pass --region)\n"
    )
    assert not (tmp_path / "out").exists()


def test_instructor_credentials_that_do_not_work_stop_the_run_before_grading(instructor, monkeypatch, tmp_path):
    from cohort_helpers import refuse_instructor

    opened = grade_command.open_accounts

    def refusing(region, timeout_s, max_attempts=1, concurrency=16):
        accounts = opened(region, timeout_s)
        accounts.session.events.register_first("before-send", refuse_instructor)
        return accounts

    monkeypatch.setattr(grade_command, "open_accounts", refusing)
    roster = write_roster(tmp_path / "roster.csv", COHORT[:2])
    run = run_cli("grade", LAB, "--roster", str(roster), "--out", str(tmp_path / "out"), "--region", "eu-central-1")
    assert run.code == 2
    assert run.stderr == "labcheck: error: the instructor's AWS credentials do not work (InvalidClientTokenId)\n"
    assert not (tmp_path / "out").exists()
