"""The four packages' documented token calls, the raw urllib3 equivalents, and the stubs.

Every package call is the one its provider documents, through one reused ApiClient.
The raw side replays the exact request the package sent (URL, headers, form fields
via ``urllib.parse.urlencode``) with a plain ``urllib3.PoolManager`` and ``json.loads``.
"""

from __future__ import annotations

import importlib
import io
import json
import socket
from dataclasses import dataclass
from typing import Any, Callable
from urllib.parse import parse_qsl, urlencode

import urllib3
import urllib3.connection
from server import TOKEN_BODIES, response_bytes
from urllib3 import HTTPHeaderDict, HTTPResponse

CORRELATION_ID = "7d5b4a8e-2f0c-4d1e-9a3b-6c8f1e2d4b5a"  # fixed, so both sides send the same bytes


@dataclass(frozen=True)
class Case:
    """One package: how to build its client, make its documented call and its TokenManager."""

    name: str
    package: str
    path: str  # token path, a key of server.TOKEN_BODIES
    make_client: Callable[[Any, str], Any]  # (package module, host) -> ApiClient
    make_call: Callable[[Any, Any], Callable[[], Any]]  # (module, client) -> the documented call
    make_manager: Callable[[Any, Any], Any]  # (module, client) -> TokenManager

    @property
    def module(self) -> Any:
        return importlib.import_module(self.package)


def _plain_client(pkg: Any, host: str) -> Any:
    return pkg.ApiClient(pkg.Configuration(host=host))


def _pandadoc_client(pkg: Any, host: str) -> Any:
    configuration = pkg.Configuration(host=host)
    configuration.api_key["apiKey"] = "demo-api-key"
    configuration.api_key_prefix["apiKey"] = "API-Key"
    return pkg.ApiClient(configuration)


def _cybersource_call(pkg: Any, client: Any) -> Callable[[], Any]:
    api_instance = pkg.OAuthApi(client)

    def call() -> Any:
        request = pkg.CreateAccessTokenRequest(
            client_id="partner-client-id",
            client_secret="partner-client-secret",
            grant_type="refresh_token",
            refresh_token="stored-refresh-token",
        )
        return api_instance.create_access_token(request, v_c_client_correlation_id=CORRELATION_ID)

    return call


def _pandadoc_call(pkg: Any, client: Any) -> Callable[[], Any]:
    # from pandadoc_client.api import o_auth_2_0_authentication_api (by the module's own name,
    # so a renamed scratch copy of the package can be measured too)
    o_auth_2_0_authentication_api = importlib.import_module(
        f"{pkg.__name__}.api.o_auth_2_0_authentication_api"
    )
    api_instance = o_auth_2_0_authentication_api.OAuth20AuthenticationApi(client)

    def call() -> Any:
        return api_instance.access_token(
            grant_type="refresh_token",
            client_id="479a3c7ba4a8d3cf28702",
            client_secret="a66515d3caf9183b8cad3eee546bcba892b45b01",
            scope="read+write",
            refresh_token="f61cc0cffd437c9a596f0acc8eb6f502a7a429d7",
        )

    return call


def _criteo_call(pkg: Any, client: Any) -> Callable[[], Any]:
    o_auth_api = importlib.import_module(f"{pkg.__name__}.api.o_auth_api")
    api_instance = o_auth_api.OAuthApi(client)

    def call() -> Any:
        return api_instance.get_token("client_credentials", "demo-client-id", "demo-client-secret")

    return call


def _zuora_call(pkg: Any, client: Any) -> Callable[[], Any]:
    api_instance = pkg.OAuthApi(client)

    def call() -> Any:
        return api_instance.create_token(
            "5b1e8c4a-2f3d-4a6b-9c7e-1d0f2a3b4c5d", "demo-client-secret", "client_credentials",
            zuora_track_id="demo-1",
        )

    return call


def _refresh_manager(pkg: Any, client: Any) -> Any:
    return pkg.TokenManager("client-id", "client-secret", refresh_token="stored", api_client=client)


def _credentials_manager(pkg: Any, client: Any) -> Any:
    return pkg.TokenManager("5b1e8c4a-2f3d-4a6b-9c7e-1d0f2a3b4c5d", "client-secret", api_client=client)


CASES = (
    Case("cybersource", "CyberSource", "/oauth2/v3/token", _plain_client, _cybersource_call,
         _refresh_manager),
    Case("pandadoc", "pandadoc_client", "/oauth2/access_token", _pandadoc_client, _pandadoc_call,
         _refresh_manager),
    Case("criteo", "criteo_api_retailmedia_v2022_10", "/oauth2/token", _plain_client, _criteo_call,
         _credentials_manager),
    Case("zuora", "zuora_client", "/oauth/token", _plain_client, _zuora_call,
         _credentials_manager),
)


@dataclass(frozen=True)
class CapturedRequest:
    """What the package's documented call puts on the wire."""

    method: str
    url: str
    headers: dict[str, str]
    fields: list[tuple[str, str]]


def canned_response(path: str) -> Callable[..., HTTPResponse]:
    """A factory of urllib3 answers with the server's status, headers and body.

    Each call makes a fresh response, preloaded or not as the caller's
    ``preload_content`` asks (the package streams and caps the body; raw urllib3 preloads).
    """
    raw = response_bytes(path)
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.decode("ascii").split("\r\n")
    _version, status, reason = lines[0].split(" ", 2)
    headers = HTTPHeaderDict()
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers.add(name, value.strip())

    def answer(*_args: Any, preload_content: bool = True, **_kwargs: Any) -> HTTPResponse:
        return HTTPResponse(
            body=io.BytesIO(body),
            headers=headers,
            status=int(status),
            reason=reason,
            preload_content=preload_content,
        )

    return answer


def capture(case: Case, host: str) -> CapturedRequest:
    """Run the documented call once with the transport stubbed, and record the request."""
    seen: list[tuple[str, str, dict[str, str], bytes]] = []
    answer = canned_response(case.path)
    client = case.make_client(case.module, host)

    def record(method: str, target: str, *, body: bytes, headers: dict[str, str], **options: Any) -> Any:
        seen.append((method, host + target, dict(headers), body))  # the pool takes path and query
        return answer(preload_content=options.get("preload_content", True))

    client.rest_client.pool_for(host).urlopen = record
    case.make_call(case.module, client)()
    method, url, headers, body = seen[0]
    fields = parse_qsl(body.decode("ascii"), keep_blank_values=True, strict_parsing=True)
    if urlencode(fields).encode("ascii") != body:
        raise AssertionError(f"{case.name}: urlencode does not reproduce the package's body")
    return CapturedRequest(method, url, headers, fields)


def make_raw_call(
    pool: urllib3.PoolManager, request: CapturedRequest, **options: Any
) -> Callable[[], Any]:
    """The same POST with plain urllib3: urlencode the form, send, check, json.loads.

    ``options`` go to ``pool.request`` (e.g. the package's timeout and retries).
    """
    method, url, headers, fields = request.method, request.url, request.headers, request.fields

    def call() -> Any:
        body = urlencode(fields).encode("ascii")
        response = pool.request(method, url, body=body, headers=headers, **options)
        if response.status != 200:
            raise RuntimeError(f"HTTP {response.status}")
        return json.loads(response.data)

    return call


def make_raw_call_as_the_package_sends(request: CapturedRequest) -> Callable[[], Any]:
    """Raw urllib3 sending the way RESTClient does: straight to the origin's connection pool
    (``HTTPConnectionPool.urlopen``, no PoolManager lookup per request), a blocking pool of
    10, a (10 s connect, 30 s read) timeout (a socket timeout makes CPython poll before every
    send and receive), retries and redirects off; then status check and ``json.loads``."""
    method, headers, fields = request.method, request.headers, request.fields
    scheme, rest = request.url.split("://", 1)
    authority, _, path = rest.partition("/")
    pool = urllib3.connection_from_url(f"{scheme}://{authority}", maxsize=10, block=True)
    target, timeout = "/" + path, urllib3.Timeout(connect=10.0, read=30.0)

    def call() -> Any:
        body = urlencode(fields).encode("ascii")
        response = pool.urlopen(
            method, target, body=body, headers=headers, timeout=timeout, retries=False,
            redirect=False,
        )
        if response.status != 200:
            raise RuntimeError(f"HTTP {response.status}")
        return json.loads(response.data)

    return call


def expected_token(case: Case) -> str:
    return str(TOKEN_BODIES[case.path]["access_token"])


def stub_pool_request(pool: urllib3.PoolManager, path: str) -> None:
    """Replace ``pool.request`` (what the raw side calls) with a canned answer."""
    pool.request = canned_response(path)  # type: ignore[method-assign]


def stub_package_pool(client: Any, host: str, path: str) -> None:
    """Replace the ``urlopen`` of the package's pool for ``host`` (what RESTClient.request
    calls) with a canned answer."""
    client.rest_client.pool_for(host).urlopen = canned_response(path)


_ANSWERS = {path: response_bytes(path) for path in TOKEN_BODIES}


class _MemorySocket:
    """Stands in for a connected TCP socket: swallows what is sent, replays the canned answer.

    ``fileno`` is a real, never-readable descriptor so urllib3's liveness poll works.
    """

    def __init__(self, idle_fd: int) -> None:
        self._idle_fd = idle_fd
        self._path = ""

    def sendall(self, data: bytes) -> None:
        if data[:5] in (b"POST ", b"GET /"):
            self._path = data.split(b" ", 2)[1].decode("ascii")

    def makefile(self, mode: str = "rb", *_args: Any, **_kwargs: Any) -> io.BytesIO:
        return io.BytesIO(_ANSWERS.get(self._path) or response_bytes(self._path))

    def fileno(self) -> int:
        return self._idle_fd

    def settimeout(self, _timeout: float | None) -> None:
        pass

    def setsockopt(self, *_args: Any) -> None:
        pass

    def shutdown(self, _how: int) -> None:
        pass

    def close(self) -> None:
        pass


class MemorySockets:
    """While active, every new urllib3 HTTP connection talks to a _MemorySocket."""

    def __init__(self) -> None:
        self._pair = socket.socketpair()
        self._saved: Any = None

    def __enter__(self) -> None:
        self._saved = urllib3.connection.HTTPConnection._new_conn
        idle_fd = self._pair[0].fileno()

        def new_conn(_conn: Any) -> Any:
            return _MemorySocket(idle_fd)

        urllib3.connection.HTTPConnection._new_conn = new_conn  # type: ignore[method-assign,assignment]

    def __exit__(self, *_exc: object) -> None:
        urllib3.connection.HTTPConnection._new_conn = self._saved  # type: ignore[method-assign]
        for sock in self._pair:
            sock.close()
