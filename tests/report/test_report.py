import dataclasses
import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from labcheck.errors import UsageError
from labcheck.model import (
    ADVISORY,
    REQUIRED,
    Check,
    CheckSpec,
    Report,
    Result,
    Severity,
    Status,
    Verdict,
    passed,
)
from labcheck.report import FORMATS, render

SRC = Path(__file__).resolve().parents[2] / "src"


def _noop() -> Verdict:
    return passed("not run")


def make_result(
    id: str,
    status: Status,
    *,
    points: int = 2,
    severity: Severity = REQUIRED,
    message: str = "",
    hint: str = "",
    resources: tuple[str, ...] = (),
) -> Result:
    spec = CheckSpec(
        id=id,
        title=f"Title of {id}",
        severity=severity,
        permissions=("ec2:DescribeVpcEndpoints",),
        hint=hint or f"Fix {id} in main.tf",
        function=_noop,
        providers=("aws",),
    )
    check = Check(spec=spec, points=points, domains=("security",))
    shown_hint = spec.hint if status in (Status.FAIL, Status.ERROR, Status.PENDING) else ""
    return Result(check, status, message or f"{id} examined", shown_hint, resources, duration_s=0.12345)


def make_report(*results: Result) -> Report:
    return Report(
        lab_id="private-bedrock",
        lab_title="Private Bedrock access",
        results=results,
        identity={"account": "123456789012", "region": "us-east-1"},
        started_at="2025-01-02T03:04:05Z",
        duration_s=1.23456,
    )


@pytest.fixture
def mixed() -> Report:
    return make_report(
        make_result("endpoint-exists", Status.PASS, points=3, resources=("vpce-1",)),
        make_result("private-dns", Status.FAIL, message="vpce-1 has private DNS off", hint="Set a | b"),
        make_result("role-policy", Status.ERROR, message="access denied: iam:GetRolePolicy"),
        make_result("kb-vector-store", Status.SKIP, points=4, message="not applicable"),
        make_result("invocation-logged", Status.PENDING, message="no CloudTrail event yet"),
        make_result("cmk-rotation", Status.FAIL, severity=ADVISORY, message="rotation off"),
        make_result("tags-present", Status.PASS, severity=ADVISORY),
    )


@pytest.fixture
def all_pass() -> Report:
    return make_report(
        make_result("endpoint-exists", Status.PASS, points=3),
        make_result("kb-vector-store", Status.SKIP, points=4),
        make_result("cmk-rotation", Status.FAIL, severity=ADVISORY),
    )


def test_json_document(mixed: Report) -> None:
    doc = json.loads(render(mixed, "json"))

    assert doc["schema"] == "labcheck.result/v1"
    assert doc["lab"] == "private-bedrock"
    assert doc["title"] == "Private Bedrock access"
    assert doc["identity"] == {"account": "123456789012", "region": "us-east-1"}
    assert doc["started_at"] == "2025-01-02T03:04:05Z"
    assert doc["duration_s"] == 1.235
    # Required and applicable: 3 + 2 + 2 + 2; SKIP (4) and advisory checks stay out.
    assert (doc["score"], doc["max_score"], doc["passed"], doc["exit_code"]) == (3, 9, False, 2)
    assert doc["counts"] == {"pass": 2, "fail": 2, "error": 1, "skip": 1, "pending": 1}
    assert [r["status"] for r in doc["results"]] == [
        "pass",
        "fail",
        "error",
        "skip",
        "pending",
        "fail",
        "pass",
    ]
    first, failing = doc["results"][0], doc["results"][1]
    assert first == {
        "id": "endpoint-exists",
        "status": "pass",
        "severity": "required",
        "points": 3,
        "earned": 3,
        "title": "Title of endpoint-exists",
        "message": "endpoint-exists examined",
        "hint": "",
        "resources": ["vpce-1"],
        "domains": ["security"],
        "permissions": ["ec2:DescribeVpcEndpoints"],
        "duration_s": 0.123,
    }
    assert (failing["earned"], failing["hint"]) == (0, "Set a | b")
    assert doc["results"][5]["severity"] == "advisory"


def test_json_is_indented_and_ends_with_newline(mixed: Report) -> None:
    text = render(mixed, "json")

    assert text.startswith('{\n  "schema"')
    assert text.endswith("}\n")


def test_json_passing_lab(all_pass: Report) -> None:
    doc = json.loads(render(all_pass, "json"))

    assert (doc["score"], doc["max_score"], doc["passed"], doc["exit_code"]) == (3, 3, True, 0)


def test_junit_counts_and_outcomes(mixed: Report) -> None:
    root = ET.fromstring(render(mixed, "junit"))

    suite = root.find("testsuite")
    assert root.tag == "testsuites"
    assert suite is not None
    assert suite.get("name") == "labcheck.private-bedrock"
    for element in (root, suite):
        assert element.get("tests") == "7"
        assert element.get("failures") == "3"  # two FAILs and a PENDING
        assert element.get("errors") == "1"
        assert element.get("skipped") == "1"
        assert element.get("time") == "1.235"
    cases = suite.findall("testcase")
    assert len(cases) == 7
    assert {c.get("classname") for c in cases} == {"private-bedrock"}
    assert cases[1].get("name") == "private-dns: Title of private-dns"
    assert [[child.tag for child in c if child.tag != "properties"] for c in cases] == [
        [],
        ["failure"],
        ["error"],
        ["skipped"],
        ["failure"],
        ["failure"],
        [],
    ]
    failure = cases[1].find("failure")
    assert failure is not None
    assert failure.get("message") == "vpce-1 has private DNS off"
    assert failure.text == "Set a | b"


def test_junit_properties_on_every_testcase(mixed: Report) -> None:
    suite = ET.fromstring(render(mixed, "junit")).find("testsuite")
    assert suite is not None

    properties = [{p.get("name"): p.get("value") for p in case.iter("property")} for case in suite.findall("testcase")]

    assert all(set(p) == {"severity", "points"} for p in properties)
    assert properties[5] == {"severity": "advisory", "points": "2"}
    assert properties[0] == {"severity": "required", "points": "3"}


def test_junit_survives_control_characters() -> None:
    report = make_report(make_result("odd-name", Status.FAIL, message='bucket \x00\x1b<&>" name'))

    failure = ET.fromstring(render(report, "junit")).find("testsuite/testcase/failure")

    assert failure is not None
    assert failure.get("message") == 'bucket \ufffd\ufffd<&>" name'


def test_markdown_table_and_fixes(mixed: Report) -> None:
    text = render(mixed, "markdown")

    assert text.startswith("## labcheck `private-bedrock`: FAILED (3/9)\n")
    assert "| **PASS** | `endpoint-exists` | Title of endpoint-exists | required | 3/3 |" in text
    assert "| **FAIL** | `private-dns` | Title of private-dns | required | 0/2 |" in text
    assert "| **SKIP** | `kb-vector-store` | Title of kb-vector-store | required | — |" in text
    assert "| **FAIL** | `cmk-rotation` | Title of cmk-rotation | advisory | — |" in text
    fixes = text.split("### What to fix", 1)[1]
    for check_id in ("private-dns", "role-policy", "invocation-logged", "cmk-rotation"):
        assert f"`{check_id}`" in fixes
    for check_id in ("endpoint-exists", "kb-vector-store", "tags-present"):
        assert f"`{check_id}`" not in fixes
    assert "  - vpce-1 has private DNS off\n  - Hint: Set a | b\n" in fixes
    assert "Fix role-policy in main.tf" in fixes
    assert "`cmk-rotation` — Title of cmk-rotation (advisory, not scored)\n" in fixes


def test_markdown_escapes_cells() -> None:
    check = make_result("pipe-title", Status.FAIL).check
    spec = dataclasses.replace(check.spec, title="A | B\nC")
    report = make_report(Result(dataclasses.replace(check, spec=spec), Status.FAIL, "m", spec.hint))

    text = render(report, "markdown")

    assert "| A \\| B<br>C |" in text


def test_markdown_passing_lab_lists_advisory_failure(all_pass: Report) -> None:
    text = render(all_pass, "markdown")

    assert "PASSED (3/3)" in text
    # The advisory failure is still worth a look.
    assert "### What to fix" in text


def test_markdown_all_green_has_no_fix_section() -> None:
    report = make_report(make_result("endpoint-exists", Status.PASS))

    assert "What to fix" not in render(report, "markdown")


def test_console_text(mixed: Report) -> None:
    text = render(mixed, "console")

    assert "\x1b[" not in text
    assert "private-bedrock" in text
    assert "account 123456789012  region us-east-1" in text
    for result in mixed.results:
        assert result.id in text
    for word in ("PASS", "FAIL", "ERROR", "SKIP", "PENDING"):
        assert word in text
    for check_id in ("role-policy", "invocation-logged", "cmk-rotation"):
        assert f"↳ Fix {check_id} in main.tf" in text
    assert "↳ Set a | b" in text
    assert "vpce-1 has private DNS off" in text
    assert "Fix endpoint-exists" not in text
    assert "Score 3/9 — FAILED" in text
    assert "2 pass · 2 fail · 1 error · 1 skip · 1 pending" in text
    assert max(len(line) for line in text.splitlines()) <= 120
    assert all(line == line.rstrip() for line in text.splitlines())


def test_console_prints_markup_literally() -> None:
    report = make_report(make_result("odd-name", Status.FAIL, message="[bold]bucket[/bold] [red]"))

    assert "[bold]bucket[/bold] [red]" in render(report, "console")


def test_console_passing_lab(all_pass: Report) -> None:
    assert "Score 3/3 — PASSED" in render(all_pass, "console")


@pytest.mark.parametrize("color", [True, False])
def test_print_console(mixed: Report, capsys: pytest.CaptureFixture[str], color: bool) -> None:
    from labcheck.report import print_console

    print_console(mixed, color=color)

    out = capsys.readouterr().out
    assert "Score 3/9" in out
    assert ("\x1b[" in out) is color


def test_every_format_ends_with_newline(mixed: Report) -> None:
    for fmt in FORMATS:
        assert render(mixed, fmt).endswith("\n"), fmt


def test_unknown_format(mixed: Report) -> None:
    with pytest.raises(UsageError, match="unknown report format 'yaml'"):
        render(mixed, "yaml")


def test_import_does_not_load_rich() -> None:
    code = "import labcheck.report, sys; print('rich' in sys.modules)"
    env = {**os.environ, "PYTHONPATH": str(SRC)}

    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)

    assert out.stdout.strip() == "False"
