"""The runner over a small lab pack of its own: status mapping, scoring, exit codes and --wait polling."""

import textwrap

import pytest

from labcheck.catalog import all_labs, get_lab
from labcheck.errors import UsageError
from labcheck.model import Status
from labcheck.runner import run_lab, wait_for_pending

CHECKS = '''
from labcheck.errors import AnchorNotFoundError, BlockedError, PermissionDeniedError
from labcheck.model import ADVISORY, REQUIRED, check, failed, passed, pending

STATE = {"evidence": False}


def _declare(id, severity=REQUIRED):
    return check(id=id, title=f"{id} holds", severity=severity, permissions=("ec2:DescribeVpcs",),
                 hint=f"Fix {id} in main.tf.")


@_declare("always-passes")
def always_passes(aws, lab):
    """It is fine."""
    return passed("fine", "vpc-1")


@_declare("fails-for-real")
def fails_for_real(aws):
    """It is not fine."""
    return failed("not fine")


@_declare("needs-missing-thing")
def needs_missing_thing(aws):
    """It needs another."""
    raise BlockedError("fails-for-real", "no thing")


@_declare("denied-read")
def denied_read(aws):
    """It cannot read."""
    raise PermissionDeniedError("ec2:DescribeVpcs", "AccessDenied")


@_declare("untagged")
def untagged(aws, lab):
    """It finds nothing."""
    raise AnchorNotFoundError("VPC", lab.lab_id)


@_declare("crashes", ADVISORY)
def crashes(aws):
    """It has a bug."""
    return {}["missing"]


@_declare("waits-for-evidence")
def waits_for_evidence(aws):
    """It needs time."""
    return passed("seen") if STATE["evidence"] else pending("not yet")
'''

LAB_YAML = """
id: demo-pack
title: A lab pack for runner tests
certification: none
cloud: aws
inputs:
  size: {type: int, default: 2, help: How big.}
checks:
  always-passes: {points: 2, domains: [D1]}
  fails-for-real: {points: 3, domains: [D1]}
  needs-missing-thing: {points: 1, domains: [D1]}
  denied-read: {points: 1, domains: [D1]}
  untagged: {points: 1, domains: [D1]}
  crashes: {points: 0, domains: [D1]}
  waits-for-evidence: {points: 2, domains: [D1]}
"""


@pytest.fixture
def lab(tmp_path, monkeypatch):
    folder = tmp_path / "labs" / "demo-pack"
    folder.mkdir(parents=True)
    (folder / "lab.yaml").write_text(textwrap.dedent(LAB_YAML))
    (folder / "checks.py").write_text(CHECKS)
    (folder / "README.md").write_text("# demo\n")
    monkeypatch.setenv("LABCHECK_LAB_PATH", str(tmp_path / "labs"))
    return get_lab("demo-pack")


def by_id(report):
    return {r.id: r for r in report.results}


def test_an_instructors_lab_pack_is_found_beside_the_bundled_labs(lab):
    assert {"demo-pack", "aws-bedrock-privatelink"} <= set(all_labs())
    assert lab.resolve_inputs(["size=5"]).number("size") == 5


def test_every_outcome_maps_to_its_status_and_hint(lab):
    opened = []
    report = run_lab(lab, lab.resolve_inputs(), lambda name: opened.append(name) or object())
    results = by_id(report)
    assert opened == ["aws"]
    assert results["always-passes"].status is Status.PASS
    assert results["always-passes"].hint == ""
    assert results["fails-for-real"].status is Status.FAIL
    assert results["fails-for-real"].hint == "Fix fails-for-real in main.tf."
    assert results["needs-missing-thing"].status is Status.FAIL
    assert results["needs-missing-thing"].message == "blocked by fails-for-real: no thing"
    assert results["denied-read"].status is Status.ERROR
    assert "ec2:DescribeVpcs" in results["denied-read"].message
    assert "ec2:DescribeVpcs" in results["denied-read"].hint
    assert results["untagged"].status is Status.FAIL
    assert "default_tags" in results["untagged"].hint
    assert results["crashes"].status is Status.ERROR
    assert "KeyError" in results["crashes"].message
    assert results["waits-for-evidence"].status is Status.PENDING


def test_score_counts_passed_required_points_and_exit_code_prefers_error(lab):
    report = run_lab(lab, lab.resolve_inputs(), lambda name: object())
    assert (report.score, report.max_score) == (2, 10)
    assert not report.passed
    assert report.exit_code == 2  # a required check could not be evaluated


def test_only_runs_the_named_checks_and_rejects_unknown_ones(lab):
    report = run_lab(lab, lab.resolve_inputs(), lambda name: object(), only=["fails-for-real"])
    assert [r.id for r in report.results] == ["fails-for-real"]
    assert report.exit_code == 1
    with pytest.raises(UsageError, match="no check 'nope'"):
        run_lab(lab, lab.resolve_inputs(), lambda name: object(), only=["nope"])


def test_wait_polls_pending_checks_until_the_evidence_appears(lab):
    state = lab._module("checks").STATE
    state["evidence"] = False
    now = [0.0]
    reruns = []

    def grade(only):
        reruns.append(list(only))
        return run_lab(lab, lab.resolve_inputs(), lambda name: object(), only)

    def sleep(seconds):
        now[0] += seconds
        state["evidence"] = now[0] >= 60  # billing shows the evidence after a minute

    first = grade(())
    waited = []
    final = wait_for_pending(
        first, grade, 300, poll_s=30, on_wait=lambda ids, left: waited.append(left), sleep=sleep, clock=lambda: now[0]
    )
    assert by_id(final)["waits-for-evidence"].status is Status.PASS
    assert reruns[1:] == [["waits-for-evidence"], ["waits-for-evidence"]]
    assert waited == [300, 270]
    assert by_id(final)["fails-for-real"].status is Status.FAIL  # untouched results stay


def test_wait_gives_up_when_the_time_runs_out(lab):
    lab._module("checks").STATE["evidence"] = False
    now = [0.0]

    def sleep(seconds):
        now[0] += seconds

    def grade(only):
        return run_lab(lab, lab.resolve_inputs(), lambda name: object(), only)

    final = wait_for_pending(grade(()), grade, 45, poll_s=30, sleep=sleep, clock=lambda: now[0])
    assert by_id(final)["waits-for-evidence"].status is Status.PENDING
    assert now[0] == 45
