"""JUnit XML, so CI systems show each check as a test case."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from labcheck.model import Report, Result, Status

# XML 1.0 cannot carry most control characters even escaped; a resource name or message read from
# a cloud API could hold one and make the whole file unparseable.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")

_OUTCOME = {
    Status.FAIL: "failure",
    Status.PENDING: "failure",
    Status.ERROR: "error",
    Status.SKIP: "skipped",
}


def _clean(text: str) -> str:
    return _NOT_XML.sub("\ufffd", text)


def _seconds(value: float) -> str:
    return f"{value:.3f}"


def _properties(parent: ET.Element, values: dict[str, str]) -> None:
    properties = ET.SubElement(parent, "properties")
    for name, value in values.items():
        ET.SubElement(properties, "property", name=name, value=_clean(value))


def _testcase(suite: ET.Element, lab_id: str, result: Result) -> None:
    case = ET.SubElement(
        suite,
        "testcase",
        classname=lab_id,
        name=_clean(f"{result.id}: {result.check.spec.title}"),
        time=_seconds(result.duration_s),
    )
    _properties(case, {"severity": result.check.spec.severity.value, "points": str(result.check.points)})
    tag = _OUTCOME.get(result.status)
    if tag is None:
        return
    outcome = ET.SubElement(case, tag, message=_clean(result.message), type=result.status.value)
    outcome.text = _clean(result.hint) or None


def _counts(report: Report) -> dict[str, str]:
    counts = report.counts()
    return {
        "tests": str(len(report.results)),
        "failures": str(counts[Status.FAIL] + counts[Status.PENDING]),
        "errors": str(counts[Status.ERROR]),
        "skipped": str(counts[Status.SKIP]),
        "time": _seconds(report.duration_s),
    }


def render(report: Report) -> str:
    """Render the report as JUnit XML: one testsuite, one testcase per check.

    FAIL and PENDING become `<failure>`, ERROR `<error>`, SKIP `<skipped>`; advisory checks fail the
    same way and are told apart by their `severity` property.

    Args:
        report: The outcome of one lab run.

    Returns:
        The XML document with its declaration, ending with a newline.
    """
    counts = _counts(report)
    root = ET.Element("testsuites", {"name": "labcheck", **counts})
    suite = ET.SubElement(
        root, "testsuite", {"name": f"labcheck.{report.lab_id}", "timestamp": report.started_at, **counts}
    )
    _properties(
        suite,
        {
            "lab_title": report.lab_title,
            "score": str(report.score),
            "max_score": str(report.max_score),
            "passed": str(report.passed).lower(),
        },
    )
    for result in report.results:
        _testcase(suite, report.lab_id, result)
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"
