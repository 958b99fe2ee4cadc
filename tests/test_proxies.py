"""Calls through a forward proxy: configured or from the environment, http and https, credentials.

``ForwardProxy`` is a small proxy of our own on 127.0.0.1: it forwards plain-HTTP requests
(absolute URIs) and opens CONNECT tunnels for HTTPS, only ever to loopback, and answers
407 when it wants credentials and the request lacks them. It records every request it
got (method, target, headers), so the tests show which way each call went. The target is
a loopback token endpoint, over HTTP or over TLS with a throwaway CA made by ``openssl``.
"""

from __future__ import annotations

import base64
import contextlib
import json
import logging
import shutil
import socket
import ssl
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Optional
from urllib.parse import urlsplit

import pytest
from providers import PACKAGES, PROVIDERS, TOKEN_PATHS
from test_client_certificate import issue, make_ca
from test_failures import call

# Every test runs with the blocking classes and with the aio ones (conftest.driver).
pytestmark = pytest.mark.usefixtures("driver")

LOOPBACK = ("127.0.0.1", "::1", "localhost")
TOKEN_BODY = json.dumps(
    {"access_token": "issued-through-proxy", "token_type": "Bearer", "expires_in": 3600}
)
PROXY_USER = "proxy-user"
PROXY_PASSWORD = "pr0xy-Pa55w0rd-Zq9"
PROXY_CREDENTIALS = f"{PROXY_USER}:{PROXY_PASSWORD}"
ENVIRONMENT = ("http_proxy", "https_proxy", "all_proxy", "no_proxy")



# --- the proxy ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Seen:
    """One request the proxy received: CONNECT host:port, or a method and absolute URI."""

    method: str
    target: str
    headers: dict[str, str]  # names lower-cased


def _read_head(conn: socket.socket) -> tuple[bytes, bytes]:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            return b"", b""
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    return head, rest


def _pipe(source: socket.socket, sink: socket.socket) -> None:
    try:
        while chunk := source.recv(65536):
            sink.sendall(chunk)
    except OSError:
        pass
    finally:
        try:
            sink.shutdown(socket.SHUT_WR)
        except OSError:
            pass


class ForwardProxy:
    """A forward proxy on 127.0.0.1 (HTTP forwarding and CONNECT), to loopback only.

    With ``credentials`` ("user:password") it answers 407 to any request whose
    ``Proxy-Authorization`` is not those credentials in Basic form.
    """

    def __init__(self, credentials: Optional[str] = None) -> None:
        self.expected = (
            "Basic " + base64.b64encode(credentials.encode()).decode() if credentials else None
        )
        self.seen: list[Seen] = []
        self._threads: list[threading.Thread] = []
        self._sockets: list[socket.socket] = []
        self._listener = socket.socket()
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(16)
        self.port = self._listener.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._start(self._accept)

    def with_credentials(self, credentials: str = PROXY_CREDENTIALS) -> str:
        return f"http://{credentials}@127.0.0.1:{self.port}"

    def _start(self, target: Any, *args: Any) -> None:
        thread = threading.Thread(target=target, args=args, daemon=True)
        self._threads.append(thread)
        thread.start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self._listener.accept()
            except OSError:
                return
            self._sockets.append(conn)
            self._start(self._serve, conn)

    def _serve(self, conn: socket.socket) -> None:
        head, rest = _read_head(conn)
        if not head:
            conn.close()
            return
        request_line, *lines = head.decode("latin-1").split("\r\n")
        method, target, _version = request_line.split(" ", 2)
        headers: dict[str, str] = {}
        for line in lines:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        self.seen.append(Seen(method, target, headers))
        if self.expected is not None and headers.get("proxy-authorization") != self.expected:
            conn.sendall(
                b"HTTP/1.1 407 Proxy Authentication Required\r\n"
                b'Proxy-Authenticate: Basic realm="tokenworks"\r\n'
                b"Content-Length: 0\r\nConnection: close\r\n\r\n"
            )
            conn.close()
            return
        if method == "CONNECT":
            host, _, port = target.rpartition(":")
            upstream = self._connect(conn, host.strip("[]"), int(port))
            if upstream is None:
                return
            conn.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
            if rest:
                upstream.sendall(rest)
        else:
            parts = urlsplit(target)
            upstream = self._connect(conn, parts.hostname or "", parts.port or 80)
            if upstream is None:
                return
            path = parts.path + (f"?{parts.query}" if parts.query else "")
            hop = {"proxy-authorization", "proxy-connection", "connection", "keep-alive"}
            forwarded = [f"{method} {path} HTTP/1.1"]
            forwarded += [line for line in lines if line.partition(":")[0].strip().lower() not in hop]
            forwarded += ["Connection: close", "Via: 1.1 tokenworks-test-proxy"]
            upstream.sendall("\r\n".join(forwarded).encode("latin-1") + b"\r\n\r\n" + rest)
        # Both ways until each side is done; a plain-HTTP exchange ends when the target closes.
        self._start(_pipe, conn, upstream)
        _pipe(upstream, conn)
        if method != "CONNECT":
            conn.close()

    def _connect(self, conn: socket.socket, host: str, port: int) -> Optional[socket.socket]:
        if host not in LOOPBACK:
            conn.sendall(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")
            conn.close()
            return None
        upstream = socket.create_connection((host, port), timeout=10)
        upstream.settimeout(None)
        self._sockets.append(upstream)
        return upstream

    def close(self) -> None:
        try:
            self._listener.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self._listener.close()
        for sock in list(self._sockets):
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            sock.close()
        for thread in list(self._threads):
            thread.join(timeout=10)


# --- the target ---------------------------------------------------------------------------


@dataclass
class Target:
    """A token endpoint on 127.0.0.1 that records the headers of every request."""

    url: str
    ca_cert: Optional[str] = None  # the CA file that verifies it, over TLS
    requests: list[dict[str, str]] = field(default_factory=list)

    @property
    def https(self) -> bool:
        return self.ca_cert is not None


class _TargetHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: Any

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self.server.target.requests.append({k.lower(): v for k, v in self.headers.items()})
        body = TOKEN_BODY.encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        """Quiet: the tests read what the server recorded."""


@contextlib.contextmanager
def serve_target(
    ca_folder: Optional[Path] = None, *, client_certificate: bool = False
) -> Iterator[Target]:
    """A Target over HTTP, or over TLS with the certificates of ``ca_folder``.

    With ``client_certificate`` it wants one the CA signed (mutual TLS).
    """
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _TargetHandler)
    ca_cert = None
    if ca_folder is not None:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(str(ca_folder / "server.pem"), str(ca_folder / "server.key"))
        if client_certificate:
            context.load_verify_locations(str(ca_folder / "ca.pem"))
            context.verify_mode = ssl.CERT_REQUIRED
        httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
        ca_cert = str(ca_folder / "ca.pem")
    httpd.handle_error = lambda request, address: None  # type: ignore[method-assign]
    scheme = "https" if ca_folder is not None else "http"
    target = Target(f"{scheme}://127.0.0.1:{httpd.server_address[1]}", ca_cert)
    httpd.target = target  # type: ignore[attr-defined]
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield target
    finally:
        httpd.shutdown()
        thread.join()
        httpd.server_close()


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


@pytest.fixture(params=["http", "https"])
def target(request: pytest.FixtureRequest) -> Target:
    """The token endpoint over HTTP, then over HTTPS."""
    chosen: Target = request.getfixturevalue(f"{request.param}_target")
    return chosen


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


@pytest.fixture(autouse=True)
def no_proxy_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Start without any proxy variable the machine has (CI often sets no_proxy)."""
    for name in ENVIRONMENT:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.upper(), raising=False)


def token_call(target: Target, provider: str = "zuora", **settings: Any) -> Any:
    """The provider's token call against ``target``; no retries, so each call is one attempt."""
    package = PACKAGES[provider]
    settings.setdefault("ssl_ca_cert", target.ca_cert)
    configuration = package.Configuration(host=target.url, retries=0, **settings)
    with package.ApiClient(configuration) as client:
        return call(provider, client, (5.0, 10.0))


def assert_no_proxy_password(*texts: str) -> None:
    expected = base64.b64encode(PROXY_CREDENTIALS.encode()).decode()
    for text in texts:
        assert PROXY_PASSWORD not in text
        assert expected not in text


# --- configured proxies -------------------------------------------------------------------


@pytest.mark.parametrize("provider", [p.name for p in PROVIDERS])
def test_http_through_a_proxy_that_wants_credentials(
    provider: str, proxy: ForwardProxy, http_target: Target, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    token = token_call(http_target, provider=provider, proxy=proxy.with_credentials())
    assert token.access_token == "issued-through-proxy"
    [seen] = proxy.seen
    assert (seen.method, seen.target) == ("POST", http_target.url + TOKEN_PATHS[provider])
    assert seen.headers["proxy-authorization"] == proxy.expected
    [request] = http_target.requests
    assert request["via"] == "1.1 tokenworks-test-proxy"  # it came through the proxy
    assert "proxy-authorization" not in request
    assert_no_proxy_password(caplog.text)


def test_https_through_a_tunnel_with_credentials(
    proxy: ForwardProxy, https_target: Target, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    token = token_call(https_target, proxy=proxy.with_credentials())
    assert token.access_token == "issued-through-proxy"
    [seen] = proxy.seen
    assert (seen.method, seen.target) == ("CONNECT", https_target.url.removeprefix("https://"))
    assert seen.headers["proxy-authorization"] == proxy.expected
    [request] = https_target.requests
    # Inside the tunnel: the proxy's credentials never reach the API.
    assert "proxy-authorization" not in request and "via" not in request
    assert_no_proxy_password(caplog.text)


def test_percent_encoded_credentials_are_decoded(http_target: Target) -> None:
    credentials = "user@corp:p@ss:w0rd/x"
    server = ForwardProxy(credentials)
    try:
        quoted = "user%40corp:p%40ss%3Aw0rd%2Fx"
        token_call(http_target, proxy=f"http://{quoted}@127.0.0.1:{server.port}")
        [seen] = server.seen
        assert seen.headers["proxy-authorization"] == server.expected
    finally:
        server.close()


def test_a_proxy_without_credentials(
    target: Target, open_proxy: ForwardProxy
) -> None:
    token = token_call(target, proxy=open_proxy.url)
    assert token.access_token == "issued-through-proxy"
    [seen] = open_proxy.seen
    assert seen.method == ("CONNECT" if target.https else "POST")
    assert "proxy-authorization" not in seen.headers
    assert len(target.requests) == 1


@pytest.mark.parametrize("given", ["no-credentials", "wrong-password"])
def test_refused_credentials_raise_407_once_and_never_show(
    target: Target,
    given: str,
    proxy: ForwardProxy,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    caplog.set_level(logging.DEBUG)
    package = PACKAGES["zuora"]
    waits: list[float] = []
    monkeypatch.setattr(package.ApiClient, "sleep", staticmethod(waits.append))
    address = proxy.url if given == "no-credentials" else proxy.with_credentials(
        f"{PROXY_USER}:wrong-{PROXY_PASSWORD}"
    )
    configuration = package.Configuration(  # the default retries: a 407 is not retried
        host=target.url, proxy=address, ssl_ca_cert=target.ca_cert
    )
    with package.ApiClient(configuration) as client, pytest.raises(package.ApiException) as caught:
        call("zuora", client)
    error = caught.value
    assert type(error) is package.ApiException  # not a connection error: the proxy answered
    assert (error.status, error.reason) == (407, "Proxy Authentication Required")
    assert len(proxy.seen) == 1 and waits == []
    assert target.requests == []
    assert_no_proxy_password(str(error), repr(error), caplog.text)


def test_proxy_headers_reach_the_proxy(
    target: Target, open_proxy: ForwardProxy
) -> None:
    token_call(
        target,
        proxy=open_proxy.url,
        proxy_headers={"X-Proxy-Team": "tokenworks"},
    )
    [seen] = open_proxy.seen
    assert seen.headers["x-proxy-team"] == "tokenworks"
    if target.https:
        assert "x-proxy-team" not in target.requests[0]  # for the proxy only


def test_a_proxy_authorization_header_replaces_the_urls_credentials(
    proxy: ForwardProxy, http_target: Target
) -> None:
    assert proxy.expected is not None
    token_call(
        http_target,
        proxy=proxy.with_credentials("someone:else"),
        proxy_headers={"Proxy-Authorization": proxy.expected},
    )
    [seen] = proxy.seen
    assert seen.headers["proxy-authorization"] == proxy.expected


# --- proxies from the environment ---------------------------------------------------------


@pytest.mark.parametrize("upper", [True, False], ids=["upper-case", "lower-case"])
def test_the_environments_proxy_is_used_by_default(
    upper: bool, target: Target, proxy: ForwardProxy, monkeypatch: pytest.MonkeyPatch
) -> None:
    variable = "HTTPS_PROXY" if target.https else "HTTP_PROXY"
    monkeypatch.setenv(variable if upper else variable.lower(), proxy.with_credentials())
    token = token_call(target)
    assert token.access_token == "issued-through-proxy"
    [seen] = proxy.seen
    assert seen.method == ("CONNECT" if target.https else "POST")
    assert seen.headers["proxy-authorization"] == proxy.expected


def test_the_other_schemes_proxy_is_not_used(
    proxy: ForwardProxy, http_target: Target, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HTTPS_PROXY", proxy.with_credentials())
    token_call(http_target)
    assert proxy.seen == [] and len(http_target.requests) == 1


@pytest.mark.parametrize("variable", ["NO_PROXY", "no_proxy"])
@pytest.mark.parametrize(
    ("no_proxy", "bypassed"),
    [
        ("127.0.0.1", True),
        ("example.com, 127.0.0.1", True),
        ("*", True),
        ("example.com,10.0.0.1", False),
    ],
)
def test_no_proxy_hosts_bypass_it(
    target: Target,
    no_proxy: str,
    bypassed: bool,
    variable: str,
    proxy: ForwardProxy,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HTTPS_PROXY" if target.https else "HTTP_PROXY", proxy.with_credentials())
    monkeypatch.setenv(variable, no_proxy)
    token_call(target)
    assert len(target.requests) == 1
    assert len(proxy.seen) == (0 if bypassed else 1)


def test_trust_env_false_ignores_the_environment(
    target: Target, proxy: ForwardProxy, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HTTP_PROXY", proxy.with_credentials())
    monkeypatch.setenv("https_proxy", proxy.with_credentials())
    token_call(target, trust_env=False)
    assert proxy.seen == [] and len(target.requests) == 1


def test_a_configured_proxy_wins_over_the_environment(
    proxy: ForwardProxy, open_proxy: ForwardProxy, http_target: Target,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HTTP_PROXY", proxy.with_credentials())
    token_call(http_target, proxy=open_proxy.url)
    assert proxy.seen == [] and len(open_proxy.seen) == 1


def test_an_unreachable_proxy_is_a_connection_error_without_credentials(
    http_target: Target, monkeypatch: pytest.MonkeyPatch
) -> None:
    package = PACKAGES["zuora"]
    with socket.socket() as holder:  # bound, not listening: connecting is refused
        holder.bind(("127.0.0.1", 0))
        port = holder.getsockname()[1]
        monkeypatch.setenv("HTTP_PROXY", f"http://{PROXY_CREDENTIALS}@127.0.0.1:{port}")
        with pytest.raises(package.ApiConnectionError) as caught:
            token_call(http_target)
    assert caught.value.connected is False and "proxy" in caught.value.reason
    assert http_target.requests == []
    assert_no_proxy_password(str(caught.value), repr(caught.value))


def test_all_proxy_serves_every_scheme(
    target: Target, proxy: ForwardProxy, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ALL_PROXY", proxy.with_credentials())
    token_call(target)
    assert len(proxy.seen) == 1 and len(target.requests) == 1
