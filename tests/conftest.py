"""Shared fixtures: one Prism mock per spec for the whole session; for the token store fleets
(Python and Node.js processes), a real redis-server per module and a rotating token server."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from drivers import driver_fixture
from mock_servers import PrismServer, start_all, stop_all
from oauth_server import RotatingTokenServer
from redis_server import RedisServer


@pytest.fixture(scope="session")
def prism() -> Iterator[dict[str, PrismServer]]:
    """Provider name -> a running Prism serving its spec (request validation on)."""
    servers = start_all()
    try:
        yield servers
    finally:
        stop_all(servers)


@pytest.fixture(params=["sync", "aio"])
def driver(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """How the test's calls are made: ``sync``, or ``aio`` (each package's ApiClient, API
    classes and TokenManager stand for their ``aio`` ones, awaited; see drivers.py).
    A module runs every test both ways with ``pytestmark = pytest.mark.usefixtures("driver")``."""
    yield from driver_fixture(request, monkeypatch)


@pytest.fixture(scope="module")
def redis() -> Iterator[RedisServer]:
    """A redis-server of the module's own, on a free port."""
    server = RedisServer()
    if server.binary is None:
        pytest.skip("redis-server is not installed (make test installs it)")
    server.start()
    yield server
    server.stop()


@pytest.fixture
def token_server() -> Iterator[RotatingTokenServer]:
    """The strict token server, whose one valid refresh token is rtok-0-Start."""
    server = RotatingTokenServer(refresh_token="rtok-0-Start")
    yield server
    server.close()
