"""Helpers of test_grade_faults.py: a cohort on a moto server, a proxy that fails chosen learners, grade runs.

Cost on a 2-core CI runner. Grading one learner of aws-bedrock-privatelink costs about 0.2 s of this
process's CPU (botocore signs and parses ~30 requests under the GIL) and 0.1 s of the server's; deploying
one account costs about 0.5 s. So the moto server runs in a child process (it gets the other core), and
learners share accounts: learner i is graded in account i mod len(ACCOUNT_VARIANTS). Each learner is
still reached as in a real cohort, by an AssumeRole of their own into their account, so each learner's
requests carry an access key of their own: what KeyedChaosProxy keys on.
"""

from __future__ import annotations

import csv
import json
import os
import re
import subprocess
import sys
import threading
import time
import urllib.parse
from collections import Counter
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from trust_support import LAB, REGION, Run, base_env, run_in_process

from labcheck.catalog import get_lab
from labcheck.cli import grade_command
from labcheck.testing.chaos_proxy import ChaosProxy, Injected, _Handler
from labcheck.testing.moto_server import FAKE_KEY, account_session, client_factory

ROLE = "labcheck-grader"
ACCOUNT_VARIANTS = (
    "reference",
    "deny-fence",  # a valid alternative design: passes
    "private-dns-off",
    "reference",
    "logging-off",
    "sg-open",
    "role-unguarded",
    "public-subnets",
)
"""What each account of the cohort holds: three passing designs, five breakages."""
FIRST_ACCOUNT = 530_000_000_001  # a server of its own, but other suites' ranges are avoided all the same
_ACCESS_KEY = re.compile(r"Credential=([^/,\s]+)/")
_ASSUMED_KEY = re.compile(rb"<AccessKeyId>([^<]+)</AccessKeyId>")


@dataclass(frozen=True)
class Member:
    """A learner of the test cohort and the account they are graded in."""

    id: str
    account: str
    variant: str

    @property
    def role_arn(self) -> str:
        return f"arn:aws:iam::{self.account}:role/{ROLE}"

    @property
    def session_name(self) -> str:
        """The RoleSessionName labcheck's AwsAccounts gives the learner's AssumeRole."""
        return f"labcheck-{self.id}"


def account_of(index: int) -> str:
    return f"{FIRST_ACCOUNT + index:012d}"


def cohort(size: int) -> list[Member]:
    """`size` learners spread over the accounts of ACCOUNT_VARIANTS, in roster order."""
    k = len(ACCOUNT_VARIANTS)
    return [Member(f"l{i:03d}", account_of(i % k), ACCOUNT_VARIANTS[i % k]) for i in range(size)]


def deploy_accounts(url: str, threads: int = 4) -> float:
    """Deploy every account of ACCOUNT_VARIANTS (boto3 in this process, a few threads); the seconds it took."""
    scenario = get_lab(LAB).scenario()
    started = time.perf_counter()
    jobs = list(enumerate(ACCOUNT_VARIANTS))
    errors: list[BaseException] = []

    def work(share: Sequence[tuple[int, str]]) -> None:
        try:
            for index, variant in share:
                session = account_session(url, account_of(index), REGION)
                scenario.deploy(client_factory(url, session), variant)
        except BaseException as error:  # noqa: BLE001 - re-raised on the calling thread
            errors.append(error)

    pool = [threading.Thread(target=work, args=(jobs[i::threads],)) for i in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    if errors:
        raise errors[0]
    return time.perf_counter() - started


def write_roster(path: Path, members: Iterable[Member]) -> Path:
    lines = ["id,name,email,role_arn,external_id,region"]
    lines += [f"{m.id},Learner {m.id},{m.id}@example.edu,{m.role_arn},cohort-faults,{REGION}" for m in members]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def instructor_env(endpoint: str) -> dict[str, str]:
    """The instructor's fake base keys, `endpoint` as every AWS endpoint, and no user configuration."""
    return {
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_ACCESS_KEY_ID": FAKE_KEY,
        "AWS_SECRET_ACCESS_KEY": FAKE_KEY,
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "AWS_EC2_METADATA_DISABLED": "true",
    }


class _KeyedHandler(_Handler):
    """ChaosProxy's handler, telling the proxy which access key and attempt each request carries."""

    def _handle(self) -> None:
        proxy: KeyedChaosProxy = self.proxy  # type: ignore[assignment]
        found = _ACCESS_KEY.search(self.headers.get("Authorization") or "")
        proxy.local.key = found[1] if found else ""
        proxy.local.first = (self.headers.get("amz-sdk-request") or "").startswith("attempt=1;")
        super()._handle()

    def _forward(self, body: bytes) -> Injected:
        answer = super()._forward(body)
        proxy: KeyedChaosProxy = self.proxy  # type: ignore[assignment]
        proxy.observe(body, answer)
        return answer


class KeyedChaosProxy(ChaosProxy):
    """A ChaosProxy that also fails every request of chosen learners, and counts each learner's AssumeRole.

    A learner is known by the RoleSessionName of their AssumeRole (see Member.session_name): the proxy reads
    the access key id from the answer to that AssumeRole, and answers every later request signed with that
    key (for the chosen services) with `doomed_fault`; none of them reaches the server. The other requests
    get ChaosProxy's seeded `rate`.

    Args:
        upstream: The moto server's base URL.
        doomed: Learner id -> the services (signing names) whose requests fail; None: every request.
        doomed_fault: One of chaos_proxy.FAULTS.
        **options: ChaosProxy's rate, seed, services, fault and lifetime_s.
    """

    def __init__(
        self,
        upstream: str,
        doomed: Mapping[str, Collection[str] | None] | None = None,
        doomed_fault: str = "throttle",
        **options: Any,
    ) -> None:
        super().__init__(upstream, **options)
        self.doomed = {k: None if v is None else frozenset(v) for k, v in (doomed or {}).items()}
        self.doomed_fault = doomed_fault
        self.doomed_failed: Counter[str] = Counter()  # learner id -> requests answered with doomed_fault
        self.first_attempts = 0  # requests that are not retries (amz-sdk-request: attempt=1)
        self.assumed: Counter[str] = Counter()  # RoleSessionName -> AssumeRole calls the server answered
        self.local = threading.local()  # the access key and attempt of the request this handler thread serves
        self._key_owner: dict[str, str] = {}  # a doomed learner's access key id -> their id
        # ChaosProxy builds its handler from _Handler; no request has arrived yet (nobody knows the port).
        self._server.RequestHandlerClass = type("KeyedHandler", (_KeyedHandler,), {"proxy": self})

    def decide(self, service: str) -> str | None:
        """Fail the request if its key is a doomed learner's (for that service), else as ChaosProxy decides."""
        key, first = getattr(self.local, "key", ""), getattr(self.local, "first", False)
        with self._lock:
            self.first_attempts += first
            owner = self._key_owner.get(key)
            if owner is not None and service in (self.doomed[owner] or (service,)):
                self.requests[service] += 1
                self.failed[service] += 1
                self.doomed_failed[owner] += 1
                return self.doomed_fault
        return super().decide(service)

    def observe(self, body: bytes, answer: Injected) -> None:
        """Note a successful AssumeRole: who it was for, and the key a doomed learner will sign with."""
        if answer.status != 200 or b"Action=AssumeRole" not in body:
            return
        session = urllib.parse.parse_qs(body.decode()).get("RoleSessionName", [""])[0]
        found = _ASSUMED_KEY.search(answer.body)
        learner = session.removeprefix("labcheck-")
        with self._lock:
            self.assumed[session] += 1
            if learner in self.doomed and found:
                self._key_owner[found[1].decode()] = learner


class Backoff:
    """botocore's standard-mode backoff scaled by `scale` (its decisions unchanged), and what it would have slept.

    Sleeps are summed per operation. An operation that ever met a retryable error other than throttling is
    one moto lacks (it answers HTTP 500, and botocore retries it to the last attempt whatever the proxy does):
    `split` keeps those apart from the operations whose only retries are the injected throttles.
    """

    def __init__(self, scale: float) -> None:
        self.scale = scale
        self.retries: Counter[str] = Counter()  # "service:Operation" -> retries
        self.unscaled_s: Counter[str] = Counter()  # ... -> seconds botocore wanted to sleep
        self.failing: set[str] = set()  # operations that met a non-throttling retryable error
        self._lock = threading.Lock()

    def split(self) -> dict[str, tuple[int, float]]:
        """Retries and unscaled seconds of the "throttled" operations, and of the "unimplemented" ones."""
        kinds: dict[str, tuple[int, float]] = {}
        for kind, failing in (("throttled", False), ("unimplemented", True)):
            ops = [op for op in self.retries if (op in self.failing) == failing]
            kinds[kind] = (sum(self.retries[op] for op in ops), sum(self.unscaled_s[op] for op in ops))
        return kinds

    @contextmanager
    def installed(self) -> Iterator[Backoff]:
        from botocore.retries import standard

        delay = standard.ExponentialBackoff.delay_amount
        throttling = standard.ExponentialBackoff._DEFAULT_BACKOFF_CONFIG["throttling_base_scale"]

        def scaled(backoff: Any, context: Any) -> float:
            wanted: float = delay(backoff, context)
            model = context.operation_model
            operation = f"{model.service_model.service_name}:{model.name}" if model else "?"
            with self._lock:
                self.retries[operation] += 1
                self.unscaled_s[operation] += wanted
                if backoff._get_base_scale(context) != throttling:
                    self.failing.add(operation)
            return wanted * self.scale

        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(standard.ExponentialBackoff, "delay_amount", scaled)
            yield self


@contextmanager
def retry_budget(max_attempts: int) -> Iterator[None]:
    """`labcheck grade` opens accounts with this many attempts per request, whatever --max-attempts says."""
    from labcheck.cohort.accounts import AccountOptions, AwsAccounts

    def open_accounts(
        region: str | None, timeout_s: float, _attempts_from_cli: int = 0, concurrency: int = 16
    ) -> AwsAccounts:
        seconds = int(min(3600, max(900, timeout_s + 60)))
        options = AccountOptions(region, max_attempts, seconds, concurrency)
        return AwsAccounts(options)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(grade_command, "open_accounts", open_accounts)
        yield


@dataclass(frozen=True)
class Graded:
    """One finished `labcheck grade`: the run, its output directory, the proxy it went through, its seconds."""

    run: Run
    out: Path
    proxy: KeyedChaosProxy
    elapsed_s: float

    def gradebook(self) -> str:
        return (self.out / "gradebook.csv").read_text(encoding="utf-8")

    def rows(self) -> dict[str, dict[str, str]]:
        return rows_of(self.gradebook())


def rows_of(gradebook: str) -> dict[str, dict[str, str]]:
    """gradebook.csv text -> learner -> row."""
    return {row["learner"]: row for row in csv.DictReader(gradebook.splitlines())}


def grade_args(roster: Path, out: Path, *extra: str) -> list[str]:
    return ["grade", LAB, "--roster", str(roster), "--out", str(out), *extra]


def grade_in_process(proxy: KeyedChaosProxy, roster: Path, out: Path, *extra: str) -> Graded:
    """`labcheck grade` in this process through the proxy; the caller sets the budget and backoff."""
    started = time.perf_counter()
    run = run_in_process(grade_args(roster, out, *extra), instructor_env(proxy.url))
    return Graded(run, out, proxy, time.perf_counter() - started)


def subprocess_env(endpoint: str) -> dict[str, str]:
    return {**base_env(), **instructor_env(endpoint), "PYTHONUNBUFFERED": "1"}


def start_grade(args: Sequence[str], env: Mapping[str, str], cwd: Path) -> subprocess.Popen[bytes]:
    """`python -m labcheck ARGS` started in the background; its stdout and stderr go to files in `cwd`.

    Files, not pipes: nobody reads a pipe while the run goes on, and a full one would stall the child.
    """
    with (cwd / "grade.stdout").open("wb") as stdout, (cwd / "grade.stderr").open("wb") as stderr:
        return subprocess.Popen(
            [sys.executable, "-m", "labcheck", *args], env=dict(env), cwd=cwd, stdout=stdout, stderr=stderr
        )


def complete_lines(path: Path) -> tuple[list[dict[str, Any]], bytes]:
    """results.jsonl: the records of its complete lines, and the torn tail after the last newline (b"" if none).

    Raises:
        AssertionError: A complete line that is not a JSON object.
    """
    data = path.read_bytes() if path.exists() else b""
    cut = data.rfind(b"\n") + 1
    records = []
    for number, line in enumerate(data[:cut].splitlines(), 1):
        record = json.loads(line)
        assert isinstance(record, dict), f"line {number} of {path} is not a record"
        records.append(record)
    return records, data[cut:]


def wait_for_lines(path: Path, low: int, process: subprocess.Popen[bytes], limit_s: float) -> int:
    """Poll until results.jsonl has at least `low` newlines, the process ended, or time ran out; the count."""
    deadline = time.monotonic() + limit_s
    count = 0
    while time.monotonic() < deadline and process.poll() is None:
        count = path.read_bytes().count(b"\n") if path.exists() else 0
        if count >= low:
            break
        time.sleep(0.01)
    return count
