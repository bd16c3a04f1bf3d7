"""Helpers shared by the trust tests (conftest.py holds the fixtures).

Deployments go into fresh accounts of a moto server on 127.0.0.1 (boto3 in this process). The CLI runs
either in this process (`run_in_process`: `labcheck.cli.main` with the environment patched, fast) or as
a subprocess (`run_subprocess`: the real interpreter, real stderr and exit code).
"""

from __future__ import annotations

import contextlib
import functools
import io
import itertools
import json
import os
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from labcheck.catalog import get_lab
from labcheck.cli import main
from labcheck.testing.moto_server import account_session, client_factory

LAB = "aws-bedrock-privatelink"
REGION = "eu-central-1"
VERIFY = ("verify", LAB, "--region", REGION)
CLI_TIMEOUT_S = 120
_ACCOUNTS = itertools.count(540_000_000_001)  # unique in this process: the cohort suite uses 52xxx, e2e 4xxxx


@dataclass(frozen=True)
class Run:
    """One finished `labcheck` run."""

    code: int
    stdout: str
    stderr: str

    def document(self) -> dict[str, Any]:
        """The JSON report on stdout."""
        parsed: dict[str, Any] = json.loads(self.stdout)
        return parsed

    def results(self) -> dict[str, dict[str, Any]]:
        """Check id -> its JSON result."""
        return {r["id"]: r for r in self.document()["results"]}

    def statuses(self) -> dict[str, str]:
        """Check id -> status."""
        return {i: r["status"] for i, r in self.results().items()}


def new_account() -> str:
    """A 12-digit account id no other test of this process uses."""
    return f"{next(_ACCOUNTS):012d}"


def deploy(url: str, variant: str, account: str | None = None) -> tuple[str, Any]:
    """Deploy a scenario variant into a fresh account; its id and a session (assumed role) into it."""
    account = account or new_account()
    session = account_session(url, account, REGION)
    get_lab(LAB).scenario().deploy(client_factory(url, session), variant)
    return account, session


def base_env() -> dict[str, str]:
    """The only variables of the test process a subprocess inherits."""
    return {k: os.environ[k] for k in ("PATH", "HOME", "SYSTEMROOT") if k in os.environ}


@functools.cache
def shared_loader(data_path: str | None) -> Any:
    """One botocore data loader (it caches the parsed service-model JSON) for every session of the process.

    Patched over `botocore.session.create_loader` by conftest.py: each CLI run still opens a new boto3
    session, as the CLI does, but stops re-parsing the same JSON, which saves most of a second per run and
    changes no behaviour.
    """
    from botocore.loaders import create_loader

    return create_loader(data_path)


def run_in_process(args: Sequence[str], env: Mapping[str, str]) -> Run:
    """`labcheck ARGS` in this process, with every AWS_* variable replaced by those of `env`."""
    out, err = io.StringIO(), io.StringIO()
    with pytest.MonkeyPatch.context() as patch:
        for name in [n for n in os.environ if n.startswith("AWS_")]:
            patch.delenv(name)
        for name, value in env.items():
            if name.startswith("AWS_"):
                patch.setenv(name, value)
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                main(list(args))
                code = 0
            except SystemExit as exit_:
                code = exit_.code if isinstance(exit_.code, int) else 1
    return Run(code, out.getvalue(), err.getvalue())


def run_subprocess(args: Sequence[str], env: Mapping[str, str], cwd: Path) -> Run:
    """`python -m labcheck ARGS` with exactly this environment."""
    done = subprocess.run(
        [sys.executable, "-m", "labcheck", *args],
        env=dict(env),
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=CLI_TIMEOUT_S,
        check=False,
    )
    return Run(done.returncode, done.stdout, done.stderr)
