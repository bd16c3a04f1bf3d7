"""The real `labcheck verify azure-openai-private-endpoint` path: a subprocess against the HTTPS ARM emulator.

The child gets nothing from this process's environment but PATH and HOME, plus the emulator's variables
(base URL, static token, CA bundle, subscription). It grades the reference ARM documents of the lab's
tests (tests/labs/azure_openai_private_endpoint/reference_arm.json) and one-change breakages of them.
"""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from labcheck.testing.arm import FAKE_SUBSCRIPTION, FakeArm, denied
from labcheck.testing.arm_server import arm_emulator

LAB = "azure-openai-private-endpoint"
ROOT = Path(__file__).resolve().parents[2]
REFERENCE = json.loads((ROOT / "tests/labs/azure_openai_private_endpoint/reference_arm.json").read_text("utf-8"))
RG_NAME = "rg-labcheck-aoai"
RG = f"/subscriptions/{FAKE_SUBSCRIPTION}/resourceGroups/{RG_NAME}"
ACCOUNT = f"{RG}/providers/Microsoft.CognitiveServices/accounts/aoai-labcheck-7f3a"
A_RECORD = f"{RG}/providers/Microsoft.Network/privateDnsZones/privatelink.openai.azure.com/A/aoai-labcheck-7f3a"
DIAGNOSTICS = f"{ACCOUNT}/providers/Microsoft.Insights/diagnosticSettings"
CLI_TIMEOUT_S = 60

Routes = dict[str, Any]


@dataclass(frozen=True)
class Run:
    """One finished `labcheck` subprocess and the ARM calls it made."""

    code: int
    stdout: str
    stderr: str
    calls: list[tuple[str, str, str]]

    def statuses(self) -> dict[str, str]:
        """Check id -> status, from the JSON report."""
        return {r["id"]: r["status"] for r in json.loads(self.stdout)["results"]}


def verify(routes: Routes, folder: Path, *args: str) -> Run:
    """`python -m labcheck verify LAB --format json ARGS` against an emulator serving `routes`."""
    arm = FakeArm(routes)
    inherited = {k: os.environ[k] for k in ("PATH", "HOME") if k in os.environ}
    with arm_emulator(arm, folder) as emulator:
        done = subprocess.run(
            [sys.executable, "-m", "labcheck", "verify", LAB, "--format", "json", *args],
            env=inherited | emulator,
            cwd=folder,
            capture_output=True,
            text=True,
            timeout=CLI_TIMEOUT_S,
            check=False,
        )
    return Run(done.returncode, done.stdout, done.stderr, list(arm.calls))


def reference() -> Routes:
    return copy.deepcopy(REFERENCE)


def public_access_on(routes: Routes) -> None:
    routes[ACCOUNT]["properties"]["publicNetworkAccess"] = "Enabled"
    for listed in routes[f"{RG}/providers/Microsoft.CognitiveServices/accounts"]["value"]:
        if listed["id"] == ACCOUNT:
            listed["properties"]["publicNetworkAccess"] = "Enabled"


def a_record_elsewhere(routes: Routes) -> None:
    routes[A_RECORD]["properties"]["aRecords"] = [{"ipv4Address": "10.99.0.9"}]


def global_deployment(routes: Routes) -> None:
    routes[f"{ACCOUNT}/deployments"]["value"][0]["sku"]["name"] = "GlobalStandard"


def test_reference_passes_with_exit_0(tmp_path: Path) -> None:
    run = verify(reference(), tmp_path, "--input", f"resource_group={RG_NAME}")
    assert run.code == 0, run.stderr
    document = json.loads(run.stdout)
    assert document["identity"] == {"cloud": "azure", "subscription": FAKE_SUBSCRIPTION}
    assert document["passed"] is True
    required = {r["id"]: r["status"] for r in document["results"] if r["severity"] == "required"}
    assert len(required) == 13
    assert set(required.values()) == {"pass"}, required
    assert set(run.statuses().values()) == {"pass"}  # the advisory checks too
    assert document["score"] == document["max_score"] == 30
    assert {method for method, _, _ in run.calls} == {"GET"}


BREAKAGES: list[tuple[str, Callable[[Routes], None]]] = [
    ("aoai-public-network-disabled", public_access_on),
    ("aoai-private-dns", a_record_elsewhere),
    ("aoai-deployment-data-zone", global_deployment),
]


@pytest.mark.parametrize(("broken", "edit"), BREAKAGES, ids=[b for b, _ in BREAKAGES])
def test_one_change_breakage_fails_its_check_with_exit_1(
    broken: str, edit: Callable[[Routes], None], tmp_path: Path
) -> None:
    routes = reference()
    edit(routes)
    run = verify(routes, tmp_path, "--input", f"resource_group={RG_NAME}")
    assert run.code == 1, run.stderr
    statuses = run.statuses()
    assert statuses[broken] == "fail"
    assert [c for c, status in statuses.items() if status != "pass"] == [broken]


def test_denied_route_is_error_with_exit_2(tmp_path: Path) -> None:
    routes = reference()
    routes[DIAGNOSTICS] = denied("Microsoft.Insights/diagnosticSettings/read")
    run = verify(routes, tmp_path, "--input", f"resource_group={RG_NAME}")
    assert run.code == 2, run.stderr
    document = json.loads(run.stdout)
    result = next(r for r in document["results"] if r["id"] == "aoai-diagnostics-to-law")
    assert result["status"] == "error"
    assert "Microsoft.Insights/diagnosticSettings/read" in result["message"]
    assert [c for c, status in run.statuses().items() if status != "pass"] == ["aoai-diagnostics-to-law"]


def test_missing_resource_group_is_a_one_line_usage_error(tmp_path: Path) -> None:
    run = verify(reference(), tmp_path)
    assert run.code == 2, run
    assert run.stdout == ""
    assert "Traceback" not in run.stderr
    assert len(run.stderr.strip().splitlines()) == 1, run.stderr
    assert "--input resource_group=" in run.stderr
    assert run.calls == []  # refused before anything was read
