"""Fixtures for the live AWS adapter tests: an offline guard, mock accounts and the lab scenario."""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from types import ModuleType
from typing import Any

import pytest

from labcheck.catalog import get_lab
from labcheck.providers.aws.live import LiveAws
from labcheck.providers.aws.session import AwsOptions
from labcheck.testing.moto import ClientFactory, mock_aws_account

REGION = "eu-central-1"
LAB_ID = "aws-bedrock-privatelink"


def open_live() -> LiveAws:
    """The adapter as the demo opens it: the mock account's fake credentials, no retries."""
    return LiveAws.open(AwsOptions(region=REGION, max_attempts=1))


@pytest.fixture(scope="module", autouse=True)
def _offline() -> Iterator[list[str]]:
    """No test may reach a network: name lookups and connects are recorded and refused, and IMDS is off."""
    attempts: list[str] = []

    def refuse(what: str) -> Callable[..., Any]:
        def refused(*args: Any, **_: Any) -> Any:
            attempts.append(f"{what}{args[1:] if what == 'connect' else args[:1]}")
            raise OSError(f"labcheck tests are offline: {what} refused")

        return refused

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AWS_EC2_METADATA_DISABLED", "true")
        patch.setattr(socket, "getaddrinfo", refuse("getaddrinfo"))
        patch.setattr(socket.socket, "connect", refuse("connect"))
        patch.setattr(socket.socket, "connect_ex", refuse("connect"))
        yield attempts


@pytest.fixture(autouse=True)
def _no_network_attempts(_offline: list[str]) -> Iterator[None]:
    """Fail the test that tried to reach a network, even if the adapter turned the refusal into an error."""
    _offline.clear()
    yield
    assert _offline == [], f"a test tried to reach the network: {_offline}"


@pytest.fixture(scope="session")
def scenario() -> ModuleType:
    """The lab's scenario module (deploy, VARIANTS)."""
    return get_lab(LAB_ID).scenario()


@pytest.fixture
def account() -> Iterator[ClientFactory]:
    """A fresh, empty in-process mock account; yields its (writing) client factory."""
    with mock_aws_account(REGION) as client:
        yield client


@pytest.fixture
def deployed(account: ClientFactory, scenario: ModuleType) -> Callable[[str], LiveAws]:
    """Deploy a scenario variant into the fresh account and open the adapter on it."""

    def deploy(variant: str) -> LiveAws:
        scenario.deploy(account, variant)
        return open_live()

    return deploy
