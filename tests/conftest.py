"""Fixtures shared by every suite."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from labcheck.testing.moto_server import start_moto_server


@pytest.fixture(scope="session")
def moto_url() -> Iterator[str]:
    """The base URL of the session's moto server on 127.0.0.1 (IAM enforcement off).

    One server for the whole session: moto keeps its state per process, not per server, so servers started
    in one process would share their accounts anyway. Each suite therefore uses an account range of its own.
    """
    server, url = start_moto_server()
    yield url
    server.stop()
