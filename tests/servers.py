"""The suite's own servers, for what pytest-httpserver cannot do.

Status codes, bodies and headers are answered by pytest-httpserver (the ``httpserver``
fixture). What it cannot do is here, once:

- ``ThreadedServer``: a ``ThreadingHTTPServer`` serving a handler class in a daemon thread
  on a free loopback port, over HTTP or TLS (``tls``: a server-side SSLContext; refused
  handshakes are recorded). For servers that hold a request, count connections or see
  the TLS peer: tests/token_server.py, test_concurrency.py,
  test_client_certificate.py and the proxy tests' target.
- ``RawServer``: a socket server that reads one request per connection, records it, then
  does what the test says with the socket, for protocol faults (a body cut short, a
  reset, a stall, bytes that are not HTTP) and requests checked byte for byte.
- ``ForwardProxy``: a forward proxy (HTTP forwarding and CONNECT tunnels) to loopback.
- ``Target`` (``serve_target``): a token endpoint over HTTP or TLS that records headers;
  its handler's base, ``TokenAnswerHandler``, also serves test_client_certificate.py.
- ``refused_url``: a URL whose port is bound but not listening.
"""

from __future__ import annotations

import base64
import contextlib
import http
import json
import socket
import ssl
import struct
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Callable, Optional
from urllib.parse import urlsplit

# --- a threaded HTTP server ---------------------------------------------------------------


class ThreadedServer:
    """Serves ``handler`` on 127.0.0.1 in a daemon thread; ``url`` is where.

    A handler reaches ``state`` as ``self.server.state``. ``tls`` makes it HTTPS (the
    reasons of refused handshakes go to ``refused``); ``backlog`` is the listen() queue;
    with ``join_handlers`` ``close()`` returns only once every connection is finished.
    """

    def __init__(
        self,
        handler: type[BaseHTTPRequestHandler],
        state: Any = None,
        *,
        tls: Optional[ssl.SSLContext] = None,
        backlog: int = 64,
        join_handlers: bool = False,
    ) -> None:
        self.refused: list[str] = []
        refused = self.refused

        class Server(ThreadingHTTPServer):
            daemon_threads = not join_handlers
            request_queue_size = backlog

            def get_request(self) -> Any:
                try:
                    return super().get_request()  # with TLS, the handshake happens here
                except ssl.SSLError as error:
                    refused.append(error.reason or str(error))
                    raise

            def handle_error(self, request: Any, client_address: Any) -> None:
                """Quiet: a client that went away is no error of the test's."""

        self.httpd = Server(("127.0.0.1", 0), handler)
        self.httpd.state = state  # type: ignore[attr-defined]
        if tls is not None:
            self.httpd.socket = tls.wrap_socket(self.httpd.socket, server_side=True)
        scheme = "https" if tls is not None else "http"
        self.url = f"{scheme}://127.0.0.1:{self.httpd.server_address[1]}"
        self._thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True)
        self._thread.start()

    def close(self) -> None:
        if self._thread.is_alive():
            self.httpd.shutdown()
            self._thread.join(10)
        self.httpd.server_close()


def server_tls(cert: str, key: str, client_ca: Optional[str] = None) -> ssl.SSLContext:
    """A server-side TLS context; with ``client_ca`` it wants a client certificate it signed."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    if client_ca is not None:
        context.load_verify_locations(client_ca)
        context.verify_mode = ssl.CERT_REQUIRED
    return context


# --- a raw-socket server ------------------------------------------------------------------


@dataclass
class RawRequest:
    """One request exactly as received."""

    raw: bytes
    request_line: str
    header_lines: list[str]
    body: bytes

    def headers_named(self, name: str) -> list[str]:
        """Values of every header line with this name (names compared case-insensitively)."""
        values = []
        for line in self.header_lines:
            key, _, value = line.partition(":")
            if key.lower() == name.lower():
                values.append(value.strip())
        return values


def read_request(conn: socket.socket) -> Optional[RawRequest]:
    """Read one request (head and Content-Length body); None if the peer closed first."""
    raw = b""
    while b"\r\n\r\n" not in raw:
        chunk = conn.recv(65536)
        if not chunk:
            return None
        raw += chunk
    head, _, body = raw.partition(b"\r\n\r\n")
    request_line, *header_lines = head.decode("latin-1").split("\r\n")
    request = RawRequest(raw, request_line, header_lines, body)
    length = int((request.headers_named("Content-Length") or ["0"])[0])
    while len(body) < length:
        chunk = conn.recv(65536)
        if not chunk:
            return None
        body += chunk
    request.raw, request.body = head + b"\r\n\r\n" + body, body
    return request


def http_answer(
    status: int = 200,
    body: bytes = b'{"access_token": "t"}',  # the least a token operation accepts
    content_type: str = "application/json",
    headers: Optional[dict[str, str]] = None,
) -> bytes:
    """A complete HTTP/1.1 answer that closes the connection."""
    lines = [
        f"HTTP/1.1 {status} {http.HTTPStatus(status).phrase}",
        f"Content-Type: {content_type}",
        f"Content-Length: {len(body)}",
        "Connection: close",
    ]
    lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


Behaviour = Callable[[socket.socket], None]


class SocketServer:
    """A listening socket on 127.0.0.1; each connection is served by ``_serve`` in a thread
    of its own. ``_stop_listening`` then ``_join`` end it."""

    def __init__(self) -> None:
        self._threads: list[threading.Thread] = []
        self._sockets: list[socket.socket] = []
        self._listener = socket.create_server(("127.0.0.1", 0), backlog=16)
        self.port = self._listener.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._start(self._accept)

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
        raise NotImplementedError

    def _stop_listening(self) -> None:
        with contextlib.suppress(OSError):
            self._listener.shutdown(socket.SHUT_RDWR)  # wakes the accept() thread on Linux
        self._listener.close()

    def _join(self) -> None:
        for thread in list(self._threads):
            thread.join(timeout=10.0)


class RawServer(SocketServer):
    """Accepts connections, reads and records one request from each, then misbehaves.

    ``behaviour`` gets the socket once the request is read; without one the server
    waits ``delay`` seconds (or until closed), sends ``answer`` (by default
    ``http_answer()``) and closes the connection.
    """

    def __init__(
        self, behaviour: Optional[Behaviour] = None, *, answer: bytes = b"", delay: float = 0.0
    ) -> None:
        self.behaviour = behaviour or self._answer
        self.answer = answer or http_answer()
        self.delay = delay
        self.requests: list[RawRequest] = []
        self._counted = threading.Condition()
        self._stop = threading.Event()
        super().__init__()

    def _serve(self, conn: socket.socket) -> None:
        try:
            request = read_request(conn)
        except OSError:
            request = None
        if request is None:
            conn.close()
            return
        with self._counted:
            self.requests.append(request)
            self._counted.notify_all()
        self.behaviour(conn)

    def _answer(self, conn: socket.socket) -> None:
        with conn:
            if self._stop.wait(self.delay):
                return
            with contextlib.suppress(OSError):  # the client gave up (a timeout test)
                conn.sendall(self.answer)

    def close(self, expected: int = 0) -> None:
        """Stop once ``expected`` requests arrived (or 10 s passed) and all are served.

        A client that timed out may return before the server has even read its request.
        """
        with self._counted:
            self._counted.wait_for(lambda: len(self.requests) >= expected, timeout=10.0)
        self._stop.set()
        self._stop_listening()
        self._join()


def send_truncated(conn: socket.socket) -> None:
    """Promise 500 bytes of body, send 21, then close normally."""
    conn.sendall(
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n"
        b'{"access_token": "abc'
    )
    conn.close()


def reset_mid_response(conn: socket.socket) -> None:
    """Send half the status and headers, then abort the connection (RST)."""
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: appli")
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    conn.close()


def stall(conn: socket.socket) -> None:
    """Answer nothing; wait until the client gives up and closes its end."""
    conn.settimeout(10.0)
    try:
        while conn.recv(4096):
            pass
    except OSError:
        pass
    conn.close()


def sending(data: bytes) -> Behaviour:
    """Write ``data`` and close; a client that stops reading early makes the write fail,
    which is fine."""

    def behaviour(conn: socket.socket) -> None:
        try:
            conn.sendall(data)
        except OSError:
            pass
        conn.close()

    return behaviour


# --- a forward proxy (raw sockets: CONNECT tunnels) ---------------------------------------

#: The credentials a ForwardProxy that wants some is given in the tests.
PROXY_USER = "proxy-user"
PROXY_PASSWORD = "pr0xy-Pa55w0rd-Zq9"
PROXY_CREDENTIALS = f"{PROXY_USER}:{PROXY_PASSWORD}"
LOOPBACK = ("127.0.0.1", "::1", "localhost")  # where a ForwardProxy connects, and nowhere else


@dataclass(frozen=True)
class ProxySeen:
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


class ForwardProxy(SocketServer):
    """A forward proxy on 127.0.0.1 (HTTP forwarding and CONNECT), to loopback only.

    With ``credentials`` ("user:password") it answers 407 to any request whose
    ``Proxy-Authorization`` is not those credentials in Basic form.
    """

    def __init__(self, credentials: Optional[str] = None) -> None:
        self.expected = (
            "Basic " + base64.b64encode(credentials.encode()).decode() if credentials else None
        )
        self.seen: list[ProxySeen] = []
        super().__init__()

    def with_credentials(self, credentials: str = PROXY_CREDENTIALS) -> str:
        return f"http://{credentials}@127.0.0.1:{self.port}"

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
        self.seen.append(ProxySeen(method, target, headers))
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
            forwarded += [
                line for line in lines if line.partition(":")[0].strip().lower() not in hop
            ]
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
        self._stop_listening()
        for sock in list(self._sockets):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()
        self._join()


# --- a token endpoint that records headers, over HTTP or TLS -------------------------------

TOKEN_BODY = json.dumps(
    {"access_token": "issued-through-proxy", "token_type": "Bearer", "expires_in": 3600}
)


@dataclass
class Target:
    """A token endpoint on 127.0.0.1 that records the headers of every request."""

    url: str
    ca_cert: Optional[str] = None  # the CA file that verifies it, over TLS
    requests: list[dict[str, str]] = field(default_factory=list)

    @property
    def https(self) -> bool:
        return self.ca_cert is not None


class TokenAnswerHandler(BaseHTTPRequestHandler):
    """Reads a POST, lets ``record()`` note what it needs, answers 200 with ``answer()``."""

    protocol_version = "HTTP/1.1"
    content_type = "application/json"
    server: Any

    def record(self) -> None:
        """What a subclass records of the request, in ``self.server.state``."""

    def answer(self) -> bytes:
        return TOKEN_BODY.encode()

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self.record()
        body = self.answer()
        self.send_response(200)
        self.send_header("Content-Type", self.content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        """Quiet: the tests read what the server recorded."""


class _TargetHandler(TokenAnswerHandler):
    def record(self) -> None:
        self.server.state.requests.append({k.lower(): v for k, v in self.headers.items()})


@contextlib.contextmanager
def serve_target(
    ca_folder: Optional[Path] = None, *, client_certificate: bool = False
) -> Iterator[Target]:
    """A Target over HTTP, or over TLS with the certificates of ``ca_folder``.

    With ``client_certificate`` it wants one the CA signed (mutual TLS).
    """
    tls = ca_cert = None
    if ca_folder is not None:
        ca_cert = str(ca_folder / "ca.pem")
        client_ca = ca_cert if client_certificate else None
        tls = server_tls(str(ca_folder / "server.pem"), str(ca_folder / "server.key"), client_ca)
    target = Target("", ca_cert)
    server = ThreadedServer(_TargetHandler, target, tls=tls, join_handlers=True)
    target.url = server.url
    try:
        yield target
    finally:
        server.close()


# --- a port that refuses ------------------------------------------------------------------


@contextlib.contextmanager
def refused_url() -> Iterator[str]:
    """A URL whose port is bound but not listening: connecting is refused at once."""
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        yield f"http://127.0.0.1:{holder.getsockname()[1]}"
