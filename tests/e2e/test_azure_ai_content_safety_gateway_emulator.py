"""`labcheck verify azure-ai-content-safety-gateway` as a subprocess against a local HTTPS ARM emulator.

The child gets the emulator's environment (base URL, static token, CA bundle, subscription) and PATH/HOME,
nothing else, so it grades exactly the ARM documents served: the lab's reference deployment and one-change
breakages of it, all from the same reference_arm.json the check tests use.
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

from labcheck.catalog import get_lab
from labcheck.testing.arm import FAKE_SUBSCRIPTION, FakeArm, denied
from labcheck.testing.arm_server import arm_emulator

LAB_ID = "azure-ai-content-safety-gateway"
RG_NAME = "rg-labcheck-gateway"
CLI_TIMEOUT_S = 120
FIXTURE = Path(__file__).resolve().parents[1] / "labs" / "azure_ai_content_safety_gateway" / "reference_arm.json"
REFERENCE = json.loads(FIXTURE.read_text(encoding="utf-8"))
REQUIRED = [c.id for c in get_lab(LAB_ID).checks if c.required]

RG = f"/subscriptions/{FAKE_SUBSCRIPTION}/resourceGroups/{RG_NAME}"
APIM = f"{RG}/providers/Microsoft.ApiManagement/service/apim-labcheck-gw"
API_POLICY = f"{APIM}/apis/azure-openai/policies/policy"
ACCOUNTS = f"{RG}/providers/Microsoft.CognitiveServices/accounts"
RAI_POLICY = f"{ACCOUNTS}/aoai-labcheck-gw/raiPolicies/gateway-strict"
CS_ROLES = f"{ACCOUNTS}/cs-labcheck-gw/providers/Microsoft.Authorization/roleAssignments"

Routes = dict[str, Any]


@dataclass(frozen=True)
class Run:
    """One finished `labcheck` child."""

    code: int
    stdout: str
    stderr: str

    def statuses(self) -> dict[str, str]:
        """Check id -> status, from the JSON report."""
        return {r["id"]: r["status"] for r in json.loads(self.stdout)["results"]}


def verify(routes: Routes, folder: Path, *args: str) -> Run:
    """Serve `routes` from an HTTPS emulator and grade them with `python -m labcheck verify` in a child."""
    with arm_emulator(FakeArm(routes), folder) as emulator:
        env = {k: os.environ[k] for k in ("PATH", "HOME", "SYSTEMROOT") if k in os.environ} | emulator
        done = subprocess.run(
            [sys.executable, "-m", "labcheck", "verify", LAB_ID, "--format", "json", *args],
            env=env,
            cwd=folder,
            capture_output=True,
            text=True,
            timeout=CLI_TIMEOUT_S,
            check=False,
        )
    return Run(done.returncode, done.stdout, done.stderr)


def reference() -> Routes:
    return copy.deepcopy(REFERENCE)


def keys_on(routes: Routes) -> None:
    routes[ACCOUNTS]["value"][0]["properties"]["disableLocalAuth"] = False


def shield_off(routes: Routes) -> None:
    policy = routes[API_POLICY]["properties"]
    policy["value"] = policy["value"].replace('shield-prompt="true"', 'shield-prompt="false"')


def consumption_tier(routes: Routes) -> None:
    for document in (routes[APIM], routes[f"{RG}/providers/Microsoft.ApiManagement/service"]["value"][0]):
        document["sku"] = {"name": "Consumption", "capacity": 0}


BREAKAGES: dict[str, tuple[Callable[[Routes], None], str]] = {
    "openai-keys-on": (keys_on, "gw-aoai-local-auth-disabled"),
    "prompt-shield-off": (shield_off, "gw-llm-content-safety-policy"),
    "consumption-tier": (consumption_tier, "gw-apim-exists"),
}


def test_reference_passes(tmp_path):
    run = verify(reference(), tmp_path, "--input", f"resource_group={RG_NAME}")
    assert run.code == 0, run.stderr
    document = json.loads(run.stdout)
    assert document["identity"] == {"cloud": "azure", "subscription": FAKE_SUBSCRIPTION}
    assert document["passed"] is True
    statuses = run.statuses()
    assert {statuses[i] for i in REQUIRED} == {"pass"}, statuses
    assert document["score"] == document["max_score"] > 0


@pytest.mark.parametrize("name", BREAKAGES)
def test_breakage_fails_its_check(tmp_path, name):
    edit, broken = BREAKAGES[name]
    routes = reference()
    edit(routes)
    run = verify(routes, tmp_path, "--input", f"resource_group={RG_NAME}")
    assert run.code == 1, run.stderr
    statuses = run.statuses()
    assert statuses[broken] == "fail", statuses
    assert "error" not in statuses.values()


def test_denied_read_is_error_and_exit_2(tmp_path):
    routes = reference()
    action = "Microsoft.Authorization/roleAssignments/read"
    routes[CS_ROLES] = denied(action)
    run = verify(routes, tmp_path, "--input", f"resource_group={RG_NAME}")
    assert run.code == 2, run.stderr
    result = next(r for r in json.loads(run.stdout)["results"] if r["id"] == "gw-apim-rbac-content-safety")
    assert result["status"] == "error"
    assert action in result["message"]


def test_missing_resource_group_is_a_one_line_usage_error(tmp_path):
    run = verify(reference(), tmp_path)
    assert run.code == 2, run
    assert run.stdout == ""
    assert "Traceback" not in run.stderr
    assert len(run.stderr.strip().splitlines()) == 1, run.stderr
    assert "resource_group" in run.stderr
