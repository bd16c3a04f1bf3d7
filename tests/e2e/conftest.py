"""End-to-end fixtures: one moto server on 127.0.0.1 per test session, one fresh account per deployment.

Deployments use boto3 in this process; `labcheck` itself runs as a real subprocess (`python -m labcheck`)
whose environment holds nothing but the account's AWS settings and PATH/HOME/SYSTEMROOT.

The variant matrix is pipelined (`Cohort`): while one child grades an account, this process deploys the
next, and up to CHILDREN children run at once. Each variant still has its own account, child and test.
"""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from labcheck.catalog import get_lab
from labcheck.testing.moto_server import account_env, account_session, client_factory

LAB = "aws-bedrock-privatelink"
REGION = "eu-central-1"
CLI_TIMEOUT_S = 60
CHILDREN = max(2, min(4, os.cpu_count() or 1))  # concurrent `labcheck` children in the variant pipeline
_ACCOUNTS = itertools.count(410_000_000_001)  # unique within the session's server; never 123456789012


@dataclass(frozen=True)
class Run:
    """One finished `labcheck` subprocess."""

    code: int
    stdout: str
    stderr: str

    def document(self) -> dict[str, Any]:
        """The JSON report on stdout."""
        parsed: dict[str, Any] = json.loads(self.stdout)
        return parsed

    def statuses(self) -> dict[str, str]:
        """Check id -> status, from the JSON report."""
        return {r["id"]: r["status"] for r in self.document()["results"]}


def base_env() -> dict[str, str]:
    """The only variables of the test process a child inherits."""
    return {k: os.environ[k] for k in ("PATH", "HOME", "SYSTEMROOT") if k in os.environ}


class Cloud:
    """Deploys scenario variants into fresh accounts of the server and runs the CLI against them."""

    def __init__(self, url: str, scenario: ModuleType, workdir: Path) -> None:
        self.url = url
        self.scenario = scenario
        self.workdir = workdir

    def deploy(self, variant: str) -> tuple[str, dict[str, str]]:
        """Deploy a variant into a brand-new account; its id and the env that points a child at it."""
        account = f"{next(_ACCOUNTS):012d}"
        session = account_session(self.url, account, REGION)
        self.scenario.deploy(client_factory(self.url, session), variant)
        return account, base_env() | account_env(self.url, session)

    def run(self, env: dict[str, str], *args: str) -> Run:
        """Run `python -m labcheck ARGS` with exactly this environment."""
        done = subprocess.run(
            [sys.executable, "-m", "labcheck", *args],
            env=env,
            cwd=self.workdir,
            capture_output=True,
            text=True,
            timeout=CLI_TIMEOUT_S,
            check=False,
        )
        return Run(done.returncode, done.stdout, done.stderr)

    def verify(self, env: dict[str, str], *extra: str) -> Run:
        """`labcheck verify` of the lab in the lab Region, with extra options."""
        return self.run(env, *self.verify_args(*extra))

    @staticmethod
    def verify_args(*extra: str) -> tuple[str, ...]:
        """The arguments of `labcheck verify` of the lab in the lab Region."""
        return ("verify", LAB, "--region", REGION, *extra)

    def start(self, env: dict[str, str], name: str, *args: str) -> Child:
        """Start `python -m labcheck ARGS` without waiting; its output goes to files named after `name`."""
        out, err = self.workdir / f"{name}.out", self.workdir / f"{name}.err"
        with out.open("w") as stdout, err.open("w") as stderr:
            process = subprocess.Popen(
                [sys.executable, "-m", "labcheck", *args], env=env, cwd=self.workdir, stdout=stdout, stderr=stderr
            )
        return Child(process, out, err)


@dataclass(frozen=True)
class Child:
    """A running `labcheck` subprocess."""

    process: subprocess.Popen[bytes]
    out: Path
    err: Path

    def wait(self) -> Run:
        """Wait for it (killing it past the timeout) and collect its output."""
        try:
            code = self.process.wait(timeout=CLI_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            self.process.kill()
            code = self.process.wait()
        return Run(code, self.out.read_text(), self.err.read_text())


class Cohort:
    """Every variant, each in its own fresh account, graded by its own `labcheck verify --format json` child.

    The first request runs the whole pipeline; a variant whose deployment raised re-raises in its own test.
    """

    def __init__(self, cloud: Cloud, variants: list[str]) -> None:
        self.cloud = cloud
        self.variants = variants
        self._results: dict[str, tuple[str, Run] | BaseException] = {}

    def result(self, variant: str) -> tuple[str, Run]:
        """The variant's account id and finished run."""
        if not self._results:
            self._run_all()
        outcome = self._results[variant]
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome

    def _run_all(self) -> None:
        running: list[tuple[str, str, Child]] = []
        for variant in self.variants:
            try:
                account, env = self.cloud.deploy(variant)
            except Exception as error:  # noqa: BLE001  (re-raised in the variant's own test)
                self._results[variant] = error
                continue
            while len(running) >= CHILDREN:
                self._collect(*running.pop(0))
            running.append((variant, account, self.cloud.start(env, variant, *Cloud.verify_args("--format", "json"))))
        for each in running:
            self._collect(*each)

    def _collect(self, variant: str, account: str, child: Child) -> None:
        self._results[variant] = (account, child.wait())


@pytest.fixture(scope="session")
def scenario() -> ModuleType:
    """The lab's scenario module: VARIANTS and deploy."""
    return get_lab(LAB).scenario()


@pytest.fixture(scope="session")
def cloud(moto_url: str, scenario: ModuleType, tmp_path_factory: pytest.TempPathFactory) -> Cloud:
    """Deploy-and-verify helper bound to the session's server."""
    return Cloud(moto_url, scenario, tmp_path_factory.mktemp("e2e-cwd"))


@pytest.fixture(scope="session")
def cohort(cloud: Cloud, scenario: ModuleType) -> Cohort:
    """Every scenario variant deployed and graded through the real CLI, one fresh account each."""
    return Cohort(cloud, list(scenario.VARIANTS))


@pytest.fixture(scope="session")
def reference_env(cloud: Cloud) -> dict[str, str]:
    """The environment of an account holding the reference, shared by tests that only read it."""
    return cloud.deploy("reference")[1]
