"""Secrets: the credentials in the environment never appear in any output, on any path.

Every case runs `labcheck verify` and asserts that the values of
AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN it was given are in none of stdout, stderr, the --output file
or any other file the run leaves in its working directory. A grading case runs once as a subprocess (json
to stdout: real stderr, tracebacks and exit code) and then once per report format with --output in this
process (the file, and the console view on stdout).

Where moto allows it the values are planted canaries ("SECRETCANARY..."), and the word CANARY must not
appear either, to catch a truncated one. moto accepts any secret and token while IAM enforcement is off.
Under enforcement it checks both (an IAM user's key with any token at all is refused), so the "denied by
IAM" case carries the grader's real, generated secret, which is just as recognisable; the "refused" case
is the canary secret that enforcement rejects.
"""

from __future__ import annotations

import concurrent.futures
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from trust_support import VERIFY, Run, base_env, deploy, run_in_process, run_subprocess

from labcheck import permissions
from labcheck.catalog import get_lab
from labcheck.testing.chaos_proxy import ChaosProxy
from labcheck.testing.moto_auth import create_grader, set_enforcement, start_enforcing_server
from labcheck.testing.moto_server import account_env

SECRET = "SECRETCANARY0secret0Zq8w1Ff3Kk9Lm2Nn4Pp6Rr8Tt"  # 40+ characters, as a real secret access key
TOKEN = "SECRETCANARY0token0" + "IQoJb3JpZ2luX2VjEJr" * 8  # long, as a real session token
MARKER = "CANARY"
CHILDREN = 4
FILE_FORMATS = {"junit": "report.xml", "markdown": "report.md", "console": "report.txt", "json": "report.json"}


@dataclass(frozen=True)
class Case:
    """A way of running verify with planted credentials, and what proves it took the intended path."""

    name: str
    env: dict[str, str]
    args: tuple[str, ...] = VERIFY
    code: int | None = 0  # None: not checked
    says: str = ""  # text the run must show (stdout or stderr), so the case is known to take its path
    grades: bool = True  # False: it stops before grading, so one run (no formats) is enough
    formats: bool = True  # also run once per --output format (only when it grades)

    def __post_init__(self) -> None:
        if not self.grades:
            object.__setattr__(self, "formats", False)


@dataclass
class Outcome:
    """The runs of a case and everything they left behind."""

    runs: list[Run] = field(default_factory=list)
    files: dict[str, str] = field(default_factory=dict)


def planted(env: dict[str, str], canaries: bool = True) -> dict[str, str]:
    """The variables a case runs with: the canaries as secret and token, or the account's own credentials."""
    return base_env() | env | ({"AWS_SECRET_ACCESS_KEY": SECRET, "AWS_SESSION_TOKEN": TOKEN} if canaries else {})


def no_token(env: dict[str, str]) -> dict[str, str]:
    """The variables without a session token."""
    return {k: v for k, v in env.items() if k != "AWS_SESSION_TOKEN"}


def secrets_of(env: dict[str, str]) -> list[str]:
    """What must never be shown: the secret and the token the run was given, and the canary marker."""
    return [env[k] for k in ("AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN") if env.get(k)] + [MARKER, MARKER.lower()]


def _collect(outcome: Outcome, folder: Path, label: str) -> None:
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            outcome.files[f"{label}/{path.name}"] = path.read_text(errors="replace")


def run_case(case: Case, workdir: Path) -> Outcome:
    """One real subprocess (json to stdout when it grades), in a directory of its own."""
    outcome = Outcome()
    cwd = workdir / case.name
    cwd.mkdir(parents=True)
    outcome.runs.append(run_subprocess([*case.args, *(("--format", "json") if case.grades else ())], case.env, cwd))
    _collect(outcome, cwd, case.name)
    return outcome


def run_formats(case: Case, outcome: Outcome, workdir: Path) -> None:
    """The same case once per --output format, in this process (the console view goes to stdout).

    botocore's retry sleeps are zeroed here: the throttled case takes the same path, only sooner.
    """
    from botocore.retries import standard

    folder = workdir / f"{case.name}-files"
    folder.mkdir(parents=True)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(standard.ExponentialBackoff, "delay_amount", lambda self, context: 0.0)
        for fmt, name in FILE_FORMATS.items():
            arguments = [*case.args, "--format", fmt, "--output", str(folder / name)]
            outcome.runs.append(run_in_process(arguments, case.env))
    _collect(outcome, folder, f"{case.name}-files")


@pytest.fixture(scope="module")
def enforcing() -> Iterator[dict[str, dict[str, str]]]:
    """An enforcing server with the reference: env of a grader lacking ec2:DescribeVpcs, and of a full grader."""
    lab = get_lab("aws-bedrock-privatelink")
    policy = permissions.iam_policy([lab])
    statement = policy["Statement"][0]  # type: ignore[index]
    narrow = {
        **policy,
        "Statement": [{**statement, "Action": [a for a in statement["Action"] if a != "ec2:DescribeVpcs"]}],
    }
    with start_enforcing_server() as server:
        account, admin = deploy(server.url, "reference")
        graders = {
            "narrow": create_grader(server.url, account, "eu-central-1", narrow, "narrow", admin=admin),
            "full": create_grader(server.url, account, "eu-central-1", policy, "full", admin=admin),
        }
        set_enforcement(server.url, True)
        yield {name: account_env(server.url, grader) for name, grader in graders.items()}


CASES = (
    "pass",
    "pass-debug",
    "fail",
    "denied-by-iam",
    "denied-by-proxy",
    "throttled",
    "refused",
    "refused-no-token",
    "refused-debug",
    "expired",
    "bad-input",
    "bad-input-debug",
    "bad-region",
)


@pytest.fixture(scope="module")
def outcomes(moto_url, reference, enforcing, tmp_path_factory) -> Iterator[dict[str, tuple[Case, Outcome]]]:
    """Every case, run (CHILDREN at a time) while its servers and proxies are up."""
    _, reference_env = reference
    _, broken = deploy(moto_url, "private-dns-off")
    broken_env = account_env(moto_url, broken)
    workdir = tmp_path_factory.mktemp("secrets")
    bad_input = (*VERIFY, "--input", "nope=1")
    bad_region = ("verify", VERIFY[1], "--region", "moon-1")
    with (
        ChaosProxy(moto_url, rate=1.0, services={"ec2"}, fault="denied") as denying,
        ChaosProxy(moto_url, rate=1.0, services={"bedrock"}) as throttling,
        ChaosProxy(moto_url, rate=1.0, services={"sts"}, fault="expired-token") as expiring,
    ):
        cases = [
            Case("pass", planted(reference_env), says="pass"),
            Case("pass-debug", planted(reference_env), args=(*VERIFY, "--debug"), says="pass", formats=False),
            Case("fail", planted(broken_env), code=1, says="private DNS off"),
            Case("denied-by-iam", planted(enforcing["narrow"], False), code=2, says="access denied: ec2:"),
            Case("denied-by-proxy", planted(reference_env | {"AWS_ENDPOINT_URL": denying.url}), code=2, says="denied"),
            Case("throttled", planted(reference_env | {"AWS_ENDPOINT_URL": throttling.url}), code=2, says="throttled"),
            Case("refused", planted(enforcing["full"]), code=2, says="refused the credentials", grades=False),
            Case("refused-no-token", no_token(planted(enforcing["full"])), code=2, says="refused", grades=False),
            # with --debug a usage error is re-raised: the traceback is the point here, not the exit code
            Case(
                "refused-debug",
                planted(enforcing["full"]),
                args=(*VERIFY, "--debug"),
                code=None,
                says="Traceback",
                grades=False,
            ),
            Case(
                "expired",
                planted(reference_env | {"AWS_ENDPOINT_URL": expiring.url}),
                code=2,
                says="ExpiredToken",
                grades=False,
            ),
            Case("bad-input", planted(reference_env), args=bad_input, code=2, says="nope", grades=False),
            Case(
                "bad-input-debug",
                planted(reference_env),
                args=(*bad_input, "--debug"),
                code=None,
                says="Traceback",
                grades=False,
            ),
            Case("bad-region", planted(reference_env), args=bad_region, code=2, says="moon-1", grades=False),
        ]
        assert tuple(c.name for c in cases) == CASES
        with concurrent.futures.ThreadPoolExecutor(CHILDREN) as pool:
            done = list(pool.map(lambda c: run_case(c, workdir), cases))
        for case, outcome in zip(cases, done, strict=True):
            if case.formats:
                run_formats(case, outcome, workdir)
        yield {case.name: (case, outcome) for case, outcome in zip(cases, done, strict=True)}


def test_the_canaries_are_recognisable():
    assert SECRET.startswith("SECRETCANARY")
    assert TOKEN.startswith("SECRETCANARY")
    assert len(SECRET) >= 40
    assert len(TOKEN) >= 100


@pytest.mark.parametrize("name", CASES)
def test_no_output_contains_a_planted_credential(outcomes, name):
    case, outcome = outcomes[name]
    for run in outcome.runs:
        if case.code is not None:
            assert run.code == case.code, (run.code, run.stderr[-2000:])
        assert case.says.lower() in (run.stdout + run.stderr).lower(), (run.stdout[-2000:], run.stderr[-2000:])
    texts = {
        f"run {n} {stream}": getattr(run, stream)
        for n, run in enumerate(outcome.runs)
        for stream in ("stdout", "stderr")
    }
    texts |= outcome.files
    if case.formats:
        assert {Path(p).name for p in outcome.files} == set(FILE_FORMATS.values())
        assert len(outcome.runs) == 1 + len(FILE_FORMATS)
    assert any(texts.values())
    secrets = secrets_of(case.env)
    assert secrets[0] == case.env["AWS_SECRET_ACCESS_KEY"], "the case carries no secret to look for"
    for where, text in texts.items():
        for secret in secrets:
            assert secret not in text, f"{secret[:12]}... leaked into {where}"
