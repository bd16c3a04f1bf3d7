"""Bad input to `labcheck verify`: exit 2, one clear line on stderr, no traceback, nothing on stdout.

Each case runs `python -m labcheck` as a subprocess against the reference account of the moto server;
the expired-credential cases put a chaos proxy in front of it that answers one service with ExpiredToken.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from trust_support import LAB, REGION, VERIFY, Run, base_env, run_subprocess

from labcheck.testing.chaos_proxy import ChaosProxy

KEYS = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN")


@dataclass(frozen=True)
class Bad:
    """A bad input: the arguments, what the environment lacks or adds, and a word the line must contain."""

    args: tuple[str, ...]
    says: str
    drop: tuple[str, ...] = ()
    proxy: dict[str, Any] = field(default_factory=dict)  # ChaosProxy options; empty: no proxy


CASES = {
    "unknown lab": Bad(("verify", "no-such-lab", "--region", REGION), "no-such-lab"),
    "unknown check": Bad((*VERIFY, "--check", "no-such-check"), "no-such-check"),
    "malformed input": Bad((*VERIFY, "--input", "min_endpoint_azs"), "key=value"),
    "malformed input value": Bad((*VERIFY, "--input", "min_endpoint_azs=many"), "many"),
    "unknown input key": Bad((*VERIFY, "--input", "no_such_key=1"), "no_such_key"),
    "unknown format": Bad((*VERIFY, "--format", "xml"), "xml"),
    "bad region": Bad(("verify", LAB, "--region", "moon-1"), "moon-1"),
    "unknown profile": Bad((*VERIFY, "--profile", "no-such-profile"), "no-such-profile"),
    "missing credentials": Bad(VERIFY, "credentials", drop=KEYS),
    "expired credentials": Bad(VERIFY, "expired", proxy={"services": {"sts"}, "fault": "expired-token"}),
    "unwritable output": Bad((*VERIFY, "--output", "{file}/report.json"), "report.json"),
}
EXPIRED_MID_RUN = Bad(VERIFY, "expired", proxy={"services": {"ec2"}, "fault": "expired-token"})
"""STS still answers, EC2 says ExpiredToken: the credentials expired while grading."""


def run_bad(bad: Bad, moto_url: str, env: dict[str, str], tmp_path: Path) -> tuple[Run, ChaosProxy]:
    """Run the case; the proxy (transparent unless the case says otherwise) counts what reached AWS."""
    regular_file = tmp_path / "a-file"
    regular_file.write_text("not a directory\n")
    args = [a.replace("{file}", str(regular_file)) for a in bad.args]
    with ChaosProxy(moto_url, rate=1.0 if bad.proxy else 0.0, **bad.proxy) as proxy:
        child_env = {k: v for k, v in (base_env() | env).items() if k not in bad.drop}
        run = run_subprocess(args, child_env | {"AWS_ENDPOINT_URL": proxy.url}, tmp_path)
    return run, proxy


def assert_one_line_usage_error(run: Run, says: str) -> None:
    assert run.code == 2, (run.code, run.stderr)
    assert "Traceback" not in run.stderr
    assert len(run.stderr.splitlines()) == 1, run.stderr
    assert run.stderr.startswith("labcheck: error: "), run.stderr
    assert says.lower() in run.stderr.lower(), run.stderr
    assert run.stdout == ""


@pytest.mark.parametrize(
    "case",
    [
        *CASES,
        "expired mid-run",
    ],
)
def test_bad_input_is_one_line_and_exit_2(moto_url, reference, tmp_path, case):
    bad = EXPIRED_MID_RUN if case == "expired mid-run" else CASES[case]
    run, _ = run_bad(bad, moto_url, reference[1], tmp_path)
    assert_one_line_usage_error(run, bad.says)


def test_the_expired_mid_run_case_opens_the_account_then_expires(moto_url, reference, tmp_path):
    """The expired case is mid-run for real: STS answered, then EC2 said ExpiredToken."""
    run, proxy = run_bad(EXPIRED_MID_RUN, moto_url, reference[1], tmp_path)
    assert proxy.requests["sts"] >= 1
    assert proxy.failed["sts"] == 0
    assert proxy.failed["ec2"] >= 1
    assert run.code == 2


@pytest.mark.parametrize("case", [c for c in CASES if not CASES[c].proxy and CASES[c].args[1] == LAB])
def test_bad_input_is_refused_before_any_request(moto_url, reference, tmp_path, case):
    """Nothing about the account is read when the command line alone is wrong."""
    run, proxy = run_bad(CASES[case], moto_url, reference[1], tmp_path)
    assert run.code == 2
    requests = sum(proxy.requests.values())
    assert requests == 0, f"{requests} requests reached AWS before the usage error"


def test_debug_keeps_exit_code_2(moto_url, reference, tmp_path):
    run, _ = run_bad(Bad((*VERIFY, "--input", "no_such_key=1", "--debug"), ""), moto_url, reference[1], tmp_path)
    assert "Traceback" in run.stderr
    assert run.code == 2
