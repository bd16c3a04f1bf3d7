"""A moto server on 127.0.0.1 for end-to-end tests and benchmarks, with one isolated account per learner.

The server is moto's `ThreadedMotoServer` bound to the loopback interface only. Each learner account is
reached by assuming `arn:aws:iam::<account>:role/labcheck-e2e` through the server's STS: moto registers
the issued keys in the target account, so every request signed with them lands there (never set
MOTO_ACCOUNT_ID on a shared server: it would override the account of every request).
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import boto3

LOOPBACK = "127.0.0.1"
ROLE_NAME = "labcheck-e2e"
FAKE_KEY = "testing"
"""Access key and secret of the base caller; moto accepts any keys while IAM enforcement is off."""


def free_port() -> int:
    """A TCP port on 127.0.0.1 that is free right now.

    Returns:
        The port number the operating system handed out.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((LOOPBACK, 0))
        port: int = probe.getsockname()[1]
        return port


def start_moto_server(port: int = 0) -> tuple[Any, str]:
    """Start a threaded moto server listening on 127.0.0.1 only.

    Args:
        port: The port to listen on; 0 picks a free one.

    Returns:
        The running `ThreadedMotoServer` (call `.stop()` when done) and its base URL.
    """
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.CRITICAL)  # a line per request, a traceback per HTTP 500
    chosen = port or free_port()
    server = ThreadedMotoServer(ip_address=LOOPBACK, port=chosen, verbose=False)
    server.start()
    return server, f"http://{LOOPBACK}:{chosen}"


def account_session(url: str, account_id: str, region: str) -> boto3.Session:
    """A boto3 session whose requests land in one account of the moto server.

    Args:
        url: The server's base URL, from `start_moto_server`.
        account_id: A 12-digit account id; moto creates the account on first use.
        region: The session's Region.

    Returns:
        A session carrying the credentials of the role assumed into the account. A session cannot carry
        an endpoint: build its clients with `endpoint_url=url` (see `client_factory`), or they reach AWS.
    """
    base = _session_without_profile(FAKE_KEY, FAKE_KEY, None, region)
    sts = base.client("sts", endpoint_url=url)
    credentials = sts.assume_role(
        RoleArn=f"arn:aws:iam::{account_id}:role/{ROLE_NAME}", RoleSessionName="labcheck-e2e"
    )["Credentials"]
    return _session_without_profile(
        credentials["AccessKeyId"], credentials["SecretAccessKey"], credentials["SessionToken"], region
    )


def _session_without_profile(key: str, secret: str, token: str | None, region: str) -> boto3.Session:
    """A session with explicit keys that ignores AWS_PROFILE, which may name a profile this machine lacks."""
    import boto3
    import botocore.session

    core = botocore.session.Session(session_vars={"profile": (None, None, None, None)})  # no AWS_PROFILE lookup
    return boto3.Session(
        aws_access_key_id=key,
        aws_secret_access_key=secret,
        aws_session_token=token,
        region_name=region,
        botocore_session=core,
    )


def client_factory(url: str, session: boto3.Session) -> Callable[[str], Any]:
    """A factory of clients (which may write) into the session's account on the server.

    Args:
        url: The server's base URL, from `start_moto_server`.
        session: A session from `account_session`.

    Returns:
        A function from a service name to a client bound to the server; what a scenario's `deploy` takes.
    """
    return lambda service: session.client(service, endpoint_url=url)  # type: ignore[call-overload]


def account_env(url: str, session: boto3.Session) -> dict[str, str]:
    """The environment variables that point a `labcheck` subprocess at the session's account.

    Only the AWS settings are returned; the caller adds PATH, HOME and whatever else the child needs.
    The user's own AWS configuration files are hidden and instance metadata is switched off, so the
    child can reach nothing but the server.

    Args:
        url: The server's base URL, from `start_moto_server`.
        session: A session from `account_session`.

    Returns:
        The variables, by name.

    Raises:
        ValueError: If the session has no credentials or no Region.
    """
    credentials = session.get_credentials()
    frozen = credentials.get_frozen_credentials() if credentials else None
    if frozen is None or not frozen.access_key or not frozen.secret_key or not session.region_name:
        raise ValueError("the session has no credentials or no Region")
    environment = {
        "AWS_ENDPOINT_URL": url,
        "AWS_ACCESS_KEY_ID": frozen.access_key,
        "AWS_SECRET_ACCESS_KEY": frozen.secret_key,
        "AWS_REGION": session.region_name,
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "AWS_EC2_METADATA_DISABLED": "true",
    }
    if frozen.token:
        environment["AWS_SESSION_TOKEN"] = frozen.token
    return environment
