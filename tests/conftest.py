"""Shared fixtures: one Prism mock per spec for the whole session."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from drivers import driver_fixture
from mock_servers import PrismServer, start_all, stop_all


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
