"""Mock-cloud plumbing around moto: an isolated in-process account for the demo and the tests.

Deploying a scenario mutates the mock account, so it happens here, outside the read-only adapter, and
only inside `mock_aws`, with fake credentials and any endpoint override removed from the environment.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any
from unittest import mock

from labcheck.errors import MissingExtraError

ClientFactory = Callable[[str], Any]

_FAKE_ENVIRONMENT = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_CONFIG_FILE": os.devnull,  # the user's own profiles never leak into a mock account
    "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
}
_CLEARED = ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_ENDPOINT_URL")


@contextmanager
def mock_aws_account(region: str) -> Iterator[ClientFactory]:
    """An empty in-process mock AWS account; yields a factory of clients (which may write) into it."""
    try:
        import boto3
        from moto import mock_aws
    except ImportError:
        raise MissingExtraError("demo", "moto") from None
    environment = {k: v for k, v in os.environ.items() if k not in _CLEARED}
    environment.update(_FAKE_ENVIRONMENT, AWS_DEFAULT_REGION=region, AWS_REGION=region)
    with mock.patch.dict(os.environ, environment, clear=True), mock_aws():
        session = boto3.Session(region_name=region)
        yield lambda service: session.client(service, region_name=region)  # type: ignore[call-overload]
