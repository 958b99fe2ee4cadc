"""Shared fixtures: one Prism mock per spec for the whole session; for the token store fleets
(Python and Node.js processes), a real redis-server per module and a strict token server
(tests/token_server.py);
the retry waits of every package, recorded instead of slept; a URL that refuses; a token
endpoint over HTTP and over TLS (tests/servers.py Target) and forward proxies."""

from __future__ import annotations

import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from certificates import issue, make_ca
from drivers import driver_fixture
from mock_servers import PrismServer, start_all, stop_all
from providers import PACKAGES
from redis_server import RedisServer
from servers import PROXY_CREDENTIALS, ForwardProxy, Target, serve_target
from servers import refused_url as refusing_url
from token_server import TokenServer


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
def token_server() -> Iterator[TokenServer]:
    """A token server with strict grants, whose one valid refresh token is rtok-0-Start."""
    server = TokenServer(strict_grants=True, refresh_token="rtok-0-Start")
    yield server
    server.close()


@pytest.fixture
def waits(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Every wait between retries, in every package; nothing really sleeps."""
    recorded: list[float] = []
    for package in PACKAGES.values():
        monkeypatch.setattr(package.ApiClient, "sleep", staticmethod(recorded.append))
    return recorded


@pytest.fixture
def refused_url() -> Iterator[str]:
    """A URL whose port is bound but not listening: connecting is refused at once."""
    with refusing_url() as url:
        yield url


@pytest.fixture(scope="module")
def ca_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A throwaway CA (ca.pem); certificates it signed for 127.0.0.1 (server) and a client."""
    if shutil.which("openssl") is None:
        pytest.skip("no openssl CLI")
    folder = tmp_path_factory.mktemp("proxy-certificates")
    make_ca(folder, "ca")
    issue(
        folder, "ca", "server", "127.0.0.1",
        "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n",
    )  # fmt: skip
    issue(folder, "ca", "client", "tokenworks-client", "extendedKeyUsage=clientAuth\n")
    return folder


@pytest.fixture
def http_target() -> Iterator[Target]:
    with serve_target() as target:
        yield target


@pytest.fixture
def https_target(ca_folder: Path) -> Iterator[Target]:
    with serve_target(ca_folder) as target:
        yield target


@pytest.fixture
def proxy() -> Iterator[ForwardProxy]:
    """A proxy that wants PROXY_CREDENTIALS."""
    server = ForwardProxy(PROXY_CREDENTIALS)
    yield server
    server.close()


@pytest.fixture
def open_proxy() -> Iterator[ForwardProxy]:
    """A proxy that wants no credentials."""
    server = ForwardProxy()
    yield server
    server.close()
