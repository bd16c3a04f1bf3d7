"""`labcheck verify azure-ai-search-rag` as a subprocess against the HTTPS ARM emulator on 127.0.0.1.

The emulator serves the reference deployment's ARM documents (tests/labs/azure_ai_search_rag/reference_arm.json)
to the real azure-mgmt clients in a child process whose environment holds only PATH, HOME and the emulator's
variables. The reference passes (exit 0); one-change breakages fail their check (exit 1); a denied read is
an ERROR (exit 2); a missing required input is a one-line usage error (exit 2).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from subprocess import PIPE
from typing import Any

import pytest

from labcheck.catalog import get_lab
from labcheck.testing.arm import FAKE_SUBSCRIPTION, FakeArm, arm_path, denied
from labcheck.testing.arm_server import arm_emulator

LAB = "azure-ai-search-rag"
RG_NAME = "rg-labcheck-rag"
RG = f"/subscriptions/{FAKE_SUBSCRIPTION}/resourceGroups/{RG_NAME}"
SEARCH_LIST = f"{RG}/providers/Microsoft.Search/searchServices"
SVC = f"{SEARCH_LIST}/srch-labcheck-rag-7f3a"
SPLS = f"{SVC}/sharedPrivateLinkResources"
DIAGNOSTICS = f"{SVC}/providers/Microsoft.Insights/diagnosticSettings"
STORAGE_LIST = f"{RG}/providers/Microsoft.Storage/storageAccounts"
ST = f"{STORAGE_LIST}/stlabcheckrag7f3a"
REFERENCE = Path(__file__).resolve().parents[1] / "labs" / "azure_ai_search_rag" / "reference_arm.json"
CLI_TIMEOUT_S = 120
REQUIRED = [c.id for c in get_lab(LAB).checks if c.required]


def routes() -> dict[str, Any]:
    """A fresh copy of the reference's ARM documents."""
    loaded: dict[str, Any] = json.loads(REFERENCE.read_text())["routes"]
    return loaded


@dataclass(frozen=True)
class Run:
    """One finished `labcheck verify` child and the emulator's call log."""

    arm: FakeArm
    code: int
    stdout: str
    stderr: str


def _set(documents: dict[str, Any], path: str, dotted: str, value: Any) -> None:
    target = documents[path]
    *parents, last = dotted.split(".")
    for key in parents:
        target = target[int(key)] if isinstance(target, list) else target[key]
    target[last] = value


GRADE = ("--format", "json", "--input", f"resource_group={RG_NAME}")
BREAKAGES = [
    # (name, the check it must fail, edits as (path, dotted key, value))
    ("free tier", "search-service-exists", [(SVC, "sku.name", "free"), (SEARCH_LIST, "value.0.sku.name", "free")]),
    ("openai link pending", "search-spl-openai-approved", [(SPLS, "value.0.properties.status", "Pending")]),
    (
        "shared keys on",
        "search-storage-locked-down",
        [
            (ST, "properties.allowSharedKeyAccess", True),
            (STORAGE_LIST, "value.0.properties.allowSharedKeyAccess", True),
        ],
    ),
]


def scenarios() -> dict[str, tuple[FakeArm, tuple[str, ...]]]:
    """Each scenario's emulated ARM and `labcheck verify` arguments."""
    found = {"reference": (FakeArm(routes()), GRADE)}
    for name, _, edits in BREAKAGES:
        documents = routes()
        for path, dotted, value in edits:
            _set(documents, path, dotted, value)
        found[name] = (FakeArm(documents), GRADE)
    denied_arm = FakeArm(routes())
    denied_arm.routes[arm_path(DIAGNOSTICS)] = denied("Microsoft.Insights/diagnosticSettings/read")
    found["diagnostics denied"] = (denied_arm, GRADE)
    found["no resource group"] = (FakeArm(routes()), ("--format", "json"))
    return found


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Run]:
    """Every scenario graded at once, each by its own child against its own emulator."""
    base = {k: os.environ[k] for k in ("PATH", "HOME") if k in os.environ}
    finished = {}
    with ExitStack() as stack:
        started = {}
        for name, (arm, args) in scenarios().items():
            folder = tmp_path_factory.mktemp(name.replace(" ", "-"))
            env = base | stack.enter_context(arm_emulator(arm, folder))
            command = [sys.executable, "-m", "labcheck", "verify", LAB, *args]
            child = subprocess.Popen(command, env=env, cwd=folder, stdout=PIPE, stderr=PIPE, text=True)
            started[name] = (arm, child)
        for name, (arm, child) in started.items():
            try:
                stdout, stderr = child.communicate(timeout=CLI_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                child.kill()
                stdout, stderr = child.communicate()
            finished[name] = Run(arm, child.returncode, stdout, stderr)
    return finished


def statuses(done: Run) -> dict[str, str]:
    """Check id -> status, from the JSON report."""
    return {r["id"]: r["status"] for r in json.loads(done.stdout)["results"]}


def test_the_reference_passes(runs: dict[str, Run]):
    done = runs["reference"]
    assert done.code == 0, done.stderr
    found = statuses(done)
    assert {found[i] for i in REQUIRED} == {"pass"}
    assert {method for method, _, _ in done.arm.calls} == {"GET"}


@pytest.mark.parametrize(("name", "check_id", "edits"), BREAKAGES, ids=[b[0] for b in BREAKAGES])
def test_a_one_change_breakage_fails_its_check(runs: dict[str, Run], name: str, check_id: str, edits: list[Any]):
    done = runs[name]
    assert done.code == 1, done.stderr
    found = statuses(done)
    assert found[check_id] == "fail"
    assert {i for i in REQUIRED if found[i] != "pass"} == {check_id}


def test_a_denied_read_is_an_error(runs: dict[str, Run]):
    done = runs["diagnostics denied"]
    assert done.code == 2, done.stderr
    report = json.loads(done.stdout)
    (row,) = [r for r in report["results"] if r["id"] == "search-diagnostics-to-law"]
    assert row["status"] == "error"
    assert "Microsoft.Insights/diagnosticSettings/read" in row["message"]
    assert {r["status"] for r in report["results"] if r["id"] != row["id"]} == {"pass"}


def test_the_resource_group_is_required(runs: dict[str, Run]):
    done = runs["no resource group"]
    assert done.code == 2
    assert done.stdout == ""
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "--input resource_group=" in lines[0]
    assert done.arm.calls == []
