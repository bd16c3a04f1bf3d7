"""Trust-test fixtures: a reference deployment in the session's moto server (tests/conftest.py), and shared models."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from trust_support import deploy, shared_loader

from labcheck.testing.moto_server import account_env


@pytest.fixture(scope="module", autouse=True)
def _shared_botocore_loader() -> Iterator[None]:
    """Sessions made in this process share parsed service models (see trust_support.shared_loader)."""
    import botocore.session

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(botocore.session, "create_loader", shared_loader)
        yield


@pytest.fixture(scope="session")
def reference(moto_url: str) -> tuple[str, dict[str, str]]:
    """An account holding the reference architecture: its id and the AWS variables that reach it."""
    account, session = deploy(moto_url, "reference")
    return account, account_env(moto_url, session)
