"""moto's IAM enforcement for tests: the body-less SigV4 fix, an enforcing server, grader users.

With enforcement on, moto re-computes each request's SigV4 signature before it evaluates the caller's
policies. moto 5.2.5 signs the wrong payload for a request without a body: the parsed query string or,
failing that, the request headers, where the client signed an empty payload. So every body-less REST call
(bedrock GetModelInvocationLoggingConfiguration, lambda ListFunctions, ...) is refused with
SignatureDoesNotMatch even when the policy allows it (testing-clouds.md §3.4). `patch_sigv4_recheck`
makes the re-check sign an empty payload for such requests, leaving form-encoded requests (the query
protocol: EC2, IAM, STS, whose body werkzeug consumes into the form) to moto's own handling.

moto 5.2.5 also authorises two S3 bucket reads under the wrong IAM action: GetBucketEncryption and
GetPublicAccessBlock both fall through to `s3:ListBucket`, where AWS requires s3:GetEncryptionConfiguration
and s3:GetBucketPublicAccessBlock. `patch_s3_action_names` maps them to the real actions, so a policy is
judged by the actions AWS would check. `patch_moto` applies both fixes.

Enforcement is a setting of the whole moto process, so an enforcing server runs in a child process of
its own (`start_enforcing_server`): switching it on there cannot change other moto servers or `mock_aws`
in the test process. It starts with enforcement off, so a test deploys and creates its grader users
(`create_grader`) first, then calls `set_enforcement(url, True)`.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from typing import IO, TYPE_CHECKING, Any

from labcheck.testing.moto_server import LOOPBACK, free_port

if TYPE_CHECKING:
    import boto3

_PATCHED = "_labcheck_empty_payload_fix"
_FORM = "application/x-www-form-urlencoded"
READY_LINE = "labcheck-moto-auth ready"


def _is_form_encoded(headers: Any) -> bool:
    return str(headers.get("Content-Type") or "").lower().startswith(_FORM)


def patch_sigv4_recheck() -> None:
    """Make moto's enforcement re-check sign an empty payload for body-less, non-form requests.

    Idempotent. Apply it in the process that runs the moto server (or `mock_aws`) before requests arrive.
    """
    from moto.iam import access_control

    request_class = access_control.IAMRequestBase  # the base of the normal and the S3 re-checks
    if getattr(request_class, _PATCHED, False):
        return
    build_request = request_class._create_aws_request

    def build_request_with_true_payload(self: Any) -> Any:
        request = build_request(self)
        if not self._body and not _is_form_encoded(self._headers):
            request.data = b""  # what the client signed: no body at all
        return request

    setattr(request_class, "_create_aws_request", build_request_with_true_payload)  # noqa: B010 (mypy: a method)
    setattr(request_class, _PATCHED, True)


# query-string key of a bucket GET -> the IAM action (without "s3:") that AWS authorises it with
_S3_BUCKET_GET_ACTIONS = {"encryption": "GetEncryptionConfiguration", "publicAccessBlock": "GetBucketPublicAccessBlock"}


def patch_s3_action_names() -> None:
    """Authorise S3 GetBucketEncryption and GetPublicAccessBlock by their real IAM actions. Idempotent."""
    from moto.s3 import responses

    responses.ACTION_MAP["BUCKET"]["GET"].update(_S3_BUCKET_GET_ACTIONS)


def patch_moto() -> None:
    """Apply every fix of this module to moto in this process."""
    patch_sigv4_recheck()
    patch_s3_action_names()


def set_enforcement(url: str, on: bool) -> str:
    """Switch IAM enforcement of a moto server on (every request is checked) or off.

    Args:
        url: The server's base URL.
        on: True to enforce from the next request on, False to stop enforcing.

    Returns:
        The server's previous setting ("inf": off; a number: requests left unchecked before enforcing).

    Raises:
        RuntimeError: If the server did not accept the change.
    """
    # text/plain: with a form content type werkzeug swallows the body and the endpoint answers 500
    request = urllib.request.Request(
        f"{url}/moto-api/reset-auth",
        data=b"0" if on else b"inf",
        headers={"Content-Type": "text/plain"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            answer = json.loads(response.read())
    except (urllib.error.URLError, ValueError) as error:
        raise RuntimeError(f"moto did not switch enforcement {'on' if on else 'off'}: {error}") from None
    if answer.get("status") != "ok":
        raise RuntimeError(f"moto did not switch enforcement {'on' if on else 'off'}: {answer}")
    return str(answer["PREVIOUS_INITIAL_NO_AUTH_ACTION_COUNT"])


def create_grader(
    url: str,
    account_id: str,
    region: str,
    policy: Mapping[str, Any],
    user_name: str = "labcheck-grader",
    *,
    admin: boto3.Session | None = None,
) -> boto3.Session:
    """Create, in one account of the server, an IAM user with an inline policy and access keys.

    Enforcement must still be off: the user is created through the server's IAM with the assumed-role
    keys of `account_session`, which carry no policy.

    Args:
        url: The server's base URL.
        account_id: The 12-digit account to create the user in.
        region: The Region of the returned session.
        policy: The user's only (inline) identity policy document.
        user_name: The user's name.
        admin: A session into the account from `account_session`, to reuse (default: a new one).

    Returns:
        A session signing with the user's access key; moto finds the account from the key.
    """
    from labcheck.testing.moto_server import _session_without_profile, account_session

    iam = (admin or account_session(url, account_id, region)).client("iam", endpoint_url=url)
    iam.create_user(UserName=user_name)
    iam.put_user_policy(UserName=user_name, PolicyName="labcheck-grader", PolicyDocument=json.dumps(policy))
    key = iam.create_access_key(UserName=user_name)["AccessKey"]
    return _session_without_profile(key["AccessKeyId"], key["SecretAccessKey"], None, region)


class EnforcingServer:
    """A patched moto server on 127.0.0.1 in a child process; enforcement starts off."""

    def __init__(self, process: subprocess.Popen[str], url: str) -> None:
        self.process = process
        self.url = url

    def stop(self) -> None:
        """Stop the child: closing its stdin ends it; it is killed if it lingers."""
        if self.process.stdin:
            self.process.stdin.close()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=5)

    def __enter__(self) -> EnforcingServer:
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()


def start_enforcing_server(timeout_s: float = 30, *, stock: bool = False) -> EnforcingServer:
    """Start `python -m labcheck.testing.moto_auth` on a free loopback port and wait until it answers.

    The child ends when its stdin closes, so it cannot outlive the process that started it.

    Args:
        timeout_s: How long to wait for the child to say it is ready.
        stock: Leave moto unpatched (to show the bugs the patches fix).

    Returns:
        The running server; `stop()` it (or use it as a context manager).

    Raises:
        RuntimeError: If the child exited or stayed silent past the timeout.
    """
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "labcheck.testing.moto_auth", "--port", str(port), *(["--stock"] if stock else [])],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    server = EnforcingServer(process, f"http://{LOOPBACK}:{port}")
    if not _wait_for_ready(process.stdout, time.monotonic() + timeout_s):
        server.stop()
        raise RuntimeError(f"the enforcing moto server did not start within {timeout_s} s")
    return server


def _wait_for_ready(stdout: IO[str] | None, deadline: float) -> bool:
    import selectors

    if stdout is None:
        return False
    with selectors.DefaultSelector() as selector:
        selector.register(stdout, selectors.EVENT_READ)
        while (left := deadline - time.monotonic()) > 0:
            if selector.select(timeout=left):
                line = stdout.readline()
                if not line:  # the child exited
                    return False
                if line.strip() == READY_LINE:
                    return True
    return False


def main(argv: list[str] | None = None) -> None:
    """Child process: patch moto (unless --stock), serve on 127.0.0.1:PORT until stdin closes."""
    import argparse
    import logging

    from moto.server import ThreadedMotoServer

    parser = argparse.ArgumentParser(prog="python -m labcheck.testing.moto_auth")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--stock", action="store_true", help="serve moto as it is, without the fixes")
    args = parser.parse_args(argv)
    if not args.stock:
        patch_moto()
    logging.getLogger("werkzeug").setLevel(logging.CRITICAL)
    ThreadedMotoServer(ip_address=LOOPBACK, port=args.port, verbose=False).start()  # serves from a daemon thread
    print(READY_LINE, flush=True)
    sys.stdin.read()  # returns at EOF, when the parent closed the pipe or died; the daemon thread ends with us


if __name__ == "__main__":
    main()
