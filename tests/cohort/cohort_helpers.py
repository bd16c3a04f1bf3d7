"""Cohort test helpers: the test cohort, fault injection, rosters and an in-process CLI runner.

Each learner account is reached the way an instructor reaches a real one: the instructor's (fake) base
credentials assume arn:aws:iam::<account>:role/labcheck-grader, and moto lands the assumed keys in that
account. Faults are botocore `before-send` hooks on the instructor's shared session: they deny or expire
one learner's AssumeRole, or throttle or stall the requests signed with one learner's assumed keys.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import threading
import urllib.parse
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from labcheck.cli import main

LAB = "aws-bedrock-privatelink"
REGION = "eu-central-1"
ROLE = "labcheck-grader"


@dataclass(frozen=True)
class Member:
    """A learner of the test cohort: their account, what is deployed there, and the fault they meet."""

    id: str
    account: str
    variant: str | None  # None: nothing deployed (the account is never reached)
    fault: str | None = None  # deny | expire | throttle | throttle-once | stall
    expected: str = "pass"

    @property
    def role_arn(self) -> str:
        return f"arn:aws:iam::{self.account}:role/{ROLE}"


COHORT = (
    Member("ana", "520000000001", "reference"),
    Member("ben", "520000000002", "deny-fence"),  # a valid alternative design
    Member("cai", "520000000003", "private-dns-off", expected="fail"),
    Member("dee", "520000000004", "logging-off", expected="fail"),
    Member("eli", "520000000005", None, "deny", expected="error"),
    Member("fay", "520000000006", None, "expire", expected="error"),
    Member("gus", "520000000007", "reference", "throttle", expected="error"),
    Member("hal", "520000000008", "reference", "throttle-once"),
)
STALLED = Member("ivy", "520000000009", None, "stall", expected="error")


def instructor_environment(url: str) -> dict[str, str | None]:
    """Fake instructor credentials, the server as every endpoint, and no user configuration."""
    return {
        "AWS_ENDPOINT_URL": url,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_SESSION_TOKEN": None,
        "AWS_PROFILE": None,
        "AWS_DEFAULT_PROFILE": None,
        "AWS_REGION": None,
        "AWS_DEFAULT_REGION": None,
    }


def apply_environment(patch: pytest.MonkeyPatch, environment: dict[str, str | None]) -> None:
    for name, value in environment.items():
        if value is None:
            patch.delenv(name, raising=False)
        else:
            patch.setenv(name, value)


class _Body:
    def __init__(self, body: bytes) -> None:
        self._body = body

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self._body


def _error(url: str, status: int, code: str, ec2: bool = False) -> Any:
    from botocore.awsrequest import AWSResponse

    inner = f"<Error><Type>Sender</Type><Code>{code}</Code><Message>injected {code}</Message></Error>"
    body = (
        f"<Response><Errors>{inner}</Errors><RequestID>t</RequestID></Response>"
        if ec2
        else f"<ErrorResponse>{inner}<RequestId>t</RequestId></ErrorResponse>"
    )
    return AWSResponse(url, status, {"Content-Type": "text/xml"}, _Body(body.encode()))


def refuse_instructor(request: Any, **_: Any) -> Any:
    """A before-send hook: STS refuses the instructor's own (fake) keys."""
    if b"Credential=testing/" in request.headers.get("Authorization", b""):
        return _error(request.url, 403, "InvalidClientTokenId")
    return None


class Faults:
    """before-send faults for chosen learner accounts, and a count of what happened."""

    def __init__(self, members: tuple[Member, ...]) -> None:
        self.by_account = {m.account: m.fault for m in members if m.fault}
        self.keys: dict[str, str] = {}  # assumed access key -> account
        self.assumed: Counter[str] = Counter()  # successful AssumeRole per account
        self.injected: Counter[str] = Counter()
        self.release = threading.Event()
        self.stalled = threading.Event()

    def install(self, accounts: Any) -> None:
        """Watch the instructor's AssumeRole calls and fault the requests of every learner's clients."""
        accounts.session.events.register("after-call.sts.AssumeRole", self._remember)
        accounts.on_request(self._before_send)

    def _remember(self, parsed: dict[str, Any], **_: Any) -> None:
        if "Credentials" in parsed:
            account = parsed["AssumedRoleUser"]["Arn"].split(":")[4]
            self.keys[parsed["Credentials"]["AccessKeyId"]] = account
            self.assumed[account] += 1

    def _before_send(self, request: Any, **_: Any) -> Any:
        body = request.body.decode() if isinstance(request.body, bytes) else str(request.body or "")
        form = urllib.parse.parse_qs(body)
        if form.get("Action") == ["AssumeRole"]:
            account = form["RoleArn"][0].split(":")[4]
            fault = self.by_account.get(account)
            if fault == "deny":
                return self._inject(account, _error(request.url, 403, "AccessDenied"))
            if fault == "expire":
                return self._inject(account, _error(request.url, 400, "ExpiredToken"))
            return None
        found = re.search(r"Credential=([^/]+)/", request.headers.get("Authorization", b"").decode())
        account = self.keys.get(found[1]) if found else None
        fault = self.by_account.get(account or "")
        if fault == "throttle":
            return self._inject(account, _error(request.url, 400, "Throttling"))
        first_attempt = b"attempt=1" in request.headers.get("amz-sdk-request", b"")
        if fault == "throttle-once" and form.get("Action") == ["DescribeVpcs"] and first_attempt:
            return self._inject(account, _error(request.url, 503, "RequestLimitExceeded", ec2=True))
        if fault == "stall":
            self.stalled.set()
            self.release.wait(30)
        return None

    def _inject(self, account: str | None, response: Any) -> Any:
        self.injected[account or ""] += 1
        return response


TEST_ATTEMPTS = 2
"""Attempts per request in these tests: one retry shows the retry path, without the default's long backoffs."""


def opener_with(faults: Faults) -> Callable[..., Any]:
    """A stand-in for `grade_command.open_accounts`: the same opener, with faults and fewer attempts."""

    def open_accounts(
        region: str | None, timeout_s: float, max_attempts: int = TEST_ATTEMPTS, concurrency: int = 16
    ) -> Any:
        from labcheck.cohort.accounts import AccountOptions, AwsAccounts

        accounts = AwsAccounts(AccountOptions(region=region, max_attempts=TEST_ATTEMPTS, concurrency=concurrency))
        faults.install(accounts)
        return accounts

    return open_accounts


def write_roster(path: Path, members: tuple[Member, ...] | list[Member]) -> Path:
    lines = ["id,name,email,role_arn,external_id,region"]
    lines += [f"{m.id},{m.id.title()} Learner,{m.id}@example.edu,{m.role_arn},cohort-7,{REGION}" for m in members]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@dataclass(frozen=True)
class Run:
    code: int
    stdout: str
    stderr: str


def run_cli(*argv: str) -> Run:
    """`labcheck ARGV` in-process, with stdout and stderr captured."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            main(list(argv))
            code = 0
        except SystemExit as done:
            code = int(done.code or 0)
    return Run(code, out.getvalue(), err.getvalue())


@dataclass(frozen=True)
class Graded:
    out: Path
    run: Run
    faults: Faults
