"""Shared fixtures: one Prism mock per spec for the whole session."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from mock_servers import PrismServer, start_all, stop_all


@pytest.fixture(scope="session")
def prism() -> Iterator[dict[str, PrismServer]]:
    """Provider name -> a running Prism serving its spec (request validation on)."""
    servers = start_all()
    try:
        yield servers
    finally:
        stop_all(servers)
