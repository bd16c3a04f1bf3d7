"""The gradebook files and report.html: crash-safe log, safe cells, a self-contained page that renders."""

from __future__ import annotations

import base64
import hashlib
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from labcheck.cohort.gradebook import ResultLog, gradebook_csv, read_log
from labcheck.cohort.html import report_html
from labcheck.errors import UsageError

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def record(learner, status="fail", **extra):
    base = {
        "lab": "lab-x",
        "title": "Lab X",
        "learner": learner,
        "index": 0,
        "name": learner.title(),
        "email": "",
        "status": status,
        "reason": "",
        "score": 0,
        "max_score": 0,
        "graded_at": "2025-01-01T00:00:00+00:00",
        "duration_s": 0.1,
        "result": None,
    }
    return base | extra


def test_a_torn_last_line_is_dropped_and_a_corrupt_line_refused(tmp_path):
    log = tmp_path / "results.jsonl"
    log.write_text('{"learner": "ana", "lab": "lab-x"}\n{"learner": "b')
    records, complete = read_log(log)
    assert [r["learner"] for r in records] == ["ana"]
    assert complete == len('{"learner": "ana", "lab": "lab-x"}\n')
    with ResultLog.open(tmp_path, "lab-x", regrade=False) as opened:
        opened.append(record("ben"))
    assert [r["learner"] for r in read_log(log)[0]] == ["ana", "ben"]
    log.write_text('{"learner": "ana"}\nnot json\n{"learner": "ben"}\n')
    with pytest.raises(UsageError, match="line 2 is not a labcheck result"):
        read_log(log)


def test_a_second_run_on_the_same_directory_is_refused(tmp_path):
    with (
        ResultLog.open(tmp_path, "lab-x", regrade=False),
        pytest.raises(UsageError, match="in use by another labcheck grade run"),
    ):
        ResultLog.open(tmp_path, "lab-x", regrade=False)


def test_spreadsheet_formulas_from_the_roster_are_defused():
    text = gradebook_csv([record("ana", name="=HYPERLINK(1)", reason="@SUM(A1)")])
    assert "'=HYPERLINK(1)" in text
    assert "'@SUM(A1)" in text


def test_the_page_is_self_contained_escaped_and_runs_only_its_own_script():
    page = report_html([record("ana", name="<script>alert(1)</script>", status="error", reason="<b>denied</b>")])
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&lt;b&gt;denied&lt;/b&gt;" in page
    assert not re.search(r"https?://|//[a-z]|\bsrc=|\bhref=|@import|url\(", page)
    [script] = re.findall(r"<script>(.*?)</script>", page, re.DOTALL)
    digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
    assert f"script-src 'sha256-{digest}'" in page
    assert "default-src 'none'" in page


def test_failure_messages_are_grouped_without_resource_ids(graded_cohort):
    page = (graded_cohort.out / "report.html").read_text()
    assert "vpce-… has private DNS off" in page
    assert page.count("<tr><td>") == 8


def chromium(*args, tmp_path, timeout=90):
    profile = tmp_path / f"profile-{len(list(tmp_path.iterdir()))}"
    command = [
        str(CHROMIUM),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--enable-logging=stderr",
        "--v=0",
        f"--user-data-dir={profile}",
        *args,
    ]
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)


@pytest.mark.slow
@pytest.mark.skipif(not CHROMIUM.exists(), reason="needs /usr/bin/chromium: apt-get install -y chromium")
def test_the_report_renders_in_headless_chromium(graded_cohort, tmp_path):
    page = graded_cohort.out / "report.html"
    url = page.as_uri() + "#sort=score-desc"
    shot = tmp_path / "report.png"
    drawn = chromium(f"--screenshot={shot}", "--window-size=1280,1600", url, tmp_path=tmp_path)
    assert shot.is_file(), drawn.stderr[-2000:]
    assert shot.stat().st_size > 10_000
    ARTIFACTS.mkdir(exist_ok=True)
    shutil.copyfile(shot, ARTIFACTS / "cohort-report.png")

    dumped = chromium("--dump-dom", url, tmp_path=tmp_path)
    assert dumped.returncode == 0, dumped.stderr[-2000:]
    dom = dumped.stdout
    for log in (drawn.stderr, dumped.stderr):
        assert "Uncaught" not in log
        assert "Refused to" not in log  # a Content-Security-Policy violation
    assert 'data-sortable="ready"' in dom  # the script ran
    assert len(re.findall(r'<rect class="bar"', dom)) == 15  # one per check
    assert len(re.findall(r'<rect class="hist"', dom)) >= 2
    rows = re.findall(r"<tr><td>([^<]+)</td>", dom)
    assert sorted(rows) == sorted(["ana", "ben", "cai", "dee", "eli", "fay", "gus", "hal"])
    scores = [int(s) for s in re.findall(r'<td class="num" data-sort="(\d+)">', dom)]
    assert scores == sorted(scores, reverse=True)  # sorted by the #sort=score-desc address
    assert 'aria-sort="descending"' in dom
