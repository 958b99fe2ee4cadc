"""Every way a token call can fail, as one table run against in-process servers.

Status and body rows are answered by pytest-httpserver; byte-level faults (a body cut
short, a reset, a stall) by a small raw-socket server of our own; a refused connection by
a port that is bound but not listening. Each row checks the exception class and fields,
how many requests reached a server (retries included) and the waits between attempts.
"""

from __future__ import annotations

import http
import json
import socket
import struct
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Union

import criteo_api_retailmedia_v2022_10 as criteo
import CyberSource
import pandadoc_client
import pytest
import urllib3
import zuora_client
from providers import BY_NAME, PACKAGES, TOKEN_PATHS, ZUORA_CLIENT_ID
from pytest_httpserver import HTTPServer
from samples import derived_call
from werkzeug import Response

# Every test runs with the blocking classes and with the aio ones (conftest.driver).
pytestmark = pytest.mark.usefixtures("driver")

BACKOFF_FACTOR = 0.5  # the Configuration default
HTML_PAGE = "<html><body><h1>502 Bad Gateway</h1><p>nginx</p></body></html>"


def call(provider: str, client: Any, timeout: Any = None) -> Any:
    """The provider's documented token call, with valid arguments."""
    if provider == "cybersource":
        request = CyberSource.CreateAccessTokenRequest(
            client_id="id", client_secret="secret", grant_type="refresh_token", refresh_token="rt"
        )
        return CyberSource.OAuthApi(client).create_access_token(request, _request_timeout=timeout)
    if provider == "pandadoc":
        api = pandadoc_client.OAuth20AuthenticationApi(client)
        return api.access_token(
            grant_type="refresh_token",
            client_id="id",
            client_secret="secret",
            refresh_token="rt",
            _request_timeout=timeout,
        )
    if provider == "criteo":
        api = criteo.OAuthApi(client)
        return api.get_token("client_credentials", "id", "secret", _request_timeout=timeout)
    if provider == "zuora":
        api = zuora_client.OAuthApi(client)
        return api.create_token(
            ZUORA_CLIENT_ID, "secret", "client_credentials", _request_timeout=timeout
        )
    # A provider added since: its token operation, with values read from its Param table.
    return derived_call(BY_NAME[provider].module, client, _request_timeout=timeout)


def oauth_error(status: int) -> str:
    """An RFC 6749 error body, distinct per status."""
    return json.dumps(
        {
            "error": f"error_{status}",
            "error_description": f"what went wrong ({status})",
            "error_uri": f"https://errors.example.com/{status}",
        }
    )


# --- how the server misbehaves ------------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    """An HTTP answer sent by pytest-httpserver to every request."""

    status: int
    body: str
    content_type: str = "application/json"
    retry_after: str | None = None


@dataclass(frozen=True)
class Raw:
    """Bytes written by the raw-socket server after it has read a whole request."""

    behaviour: Callable[[socket.socket], None]


REFUSED = "refused"  # a port with nothing listening
Fault = Union[Answer, Raw, str]


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


class RawServer:
    """Accepts connections, reads one request from each, counts it, then misbehaves."""

    def __init__(self, behaviour: Callable[[socket.socket], None]) -> None:
        self.behaviour = behaviour
        self.requests = 0
        self._counted = threading.Condition()
        self._threads: list[threading.Thread] = []
        self._listener = socket.socket()
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(16)
        self.url = f"http://127.0.0.1:{self._listener.getsockname()[1]}"
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self._listener.accept()
            except OSError:
                return
            thread = threading.Thread(target=self._serve, args=(conn,), daemon=True)
            self._threads.append(thread)
            thread.start()

    def _serve(self, conn: socket.socket) -> None:
        if read_request(conn):
            with self._counted:
                self.requests += 1
                self._counted.notify_all()
            self.behaviour(conn)
        else:
            conn.close()

    def close(self, expected: int) -> None:
        """Stop once ``expected`` requests arrived (or 10 s passed) and all are served.

        A client that timed out may return before the server has even read its request.
        """
        with self._counted:
            self._counted.wait_for(lambda: self.requests >= expected, timeout=10.0)
        try:
            self._listener.shutdown(socket.SHUT_RDWR)  # wakes the accept() thread on Linux
        except OSError:
            pass
        self._listener.close()
        for thread in list(self._threads):
            thread.join(timeout=10.0)


def read_request(conn: socket.socket) -> bool:
    """Read one request (head and Content-Length body); False if the peer closed first."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            return False
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    while len(body) < length:
        chunk = conn.recv(65536)
        if not chunk:
            return False
        body += chunk
    return True


# --- the table ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    id: str
    provider: str
    fault: Fault
    exception: str  # class name, looked up in the provider's package
    status: int
    requests: int  # requests that reached the server, retries included
    attempts: int  # attempts made (a refused one reaches no server); waits = attempts - 1
    error: bool = False  # the body's OAuth error fields are parsed onto the exception
    data: str | None = None  # the declared error model's class name, "dict" for a bare object
    connected: bool | None = None  # for connection errors
    retry_after: float | None = None
    reason: str | None = None  # a phrase the reason must contain (non-HTTP failures)
    timeout: Any = None  # _request_timeout of the call


def status_row(
    provider: str,
    status: int,
    exception: str,
    *,
    data: str | None = None,
    attempts: int = 1,
    content_type: str = "application/json",
    retry_after: str | None = None,
    suffix: str = "",
) -> Row:
    answer = Answer(status, oauth_error(status), content_type, retry_after)
    return Row(
        f"{status}-{provider}{suffix}",
        provider,
        answer,
        exception,
        status,
        requests=attempts,
        attempts=attempts,
        error=True,
        data=data,
        retry_after=float(retry_after) if retry_after is not None else None,
    )


def malformed_row(name: str, provider: str, body: str, content_type: str, reason: str) -> Row:
    return Row(
        f"200-{name}-{provider}",
        provider,
        Answer(200, body, content_type),
        "MalformedResponseError",
        200,
        requests=1,
        attempts=1,
        reason=reason,
    )


ROWS = [
    # Error statuses with an OAuth error body: class by status, declared model as data.
    status_row("criteo", 400, "BadRequestException", data="OAuthErrorModel"),
    status_row("criteo", 400, "BadRequestException", data="OAuthErrorModel",
               content_type="text/plain", suffix="-text-plain"),
    status_row("cybersource", 400, "BadRequestException", data="BadRequestError"),
    status_row("pandadoc", 400, "BadRequestException", data="OAuth2ErrorResponse"),
    status_row("criteo", 401, "UnauthorizedException", data="OAuthErrorModel"),
    status_row("cybersource", 401, "UnauthorizedException", data="UnauthorizedClientError"),
    status_row("zuora", 401, "UnauthorizedException", data="dict"),
    status_row("pandadoc", 403, "ForbiddenException"),
    status_row("cybersource", 404, "NotFoundException", data="ResourceNotFoundError"),
    status_row("zuora", 409, "ConflictException"),
    status_row("criteo", 422, "UnprocessableEntityException"),
    status_row("zuora", 418, "ApiException"),
    # 429 and 503: retried twice (default retries=2), so three requests reach the server.
    status_row("zuora", 429, "TooManyRequestsException", data="dict", attempts=3),
    status_row("criteo", 429, "TooManyRequestsException", attempts=3, retry_after="1",
               suffix="-retry-after"),
    status_row("cybersource", 500, "ServiceException"),
    status_row("pandadoc", 502, "ServiceException"),
    status_row("zuora", 503, "ServiceException", attempts=3),
    # A refresh_token grant is single-use: a 503 may come after the server spent it,
    # so it is not sent again, Retry-After or not.
    status_row("pandadoc", 503, "ServiceException", attempts=1, retry_after="2",
               suffix="-retry-after"),
    status_row("criteo", 504, "ServiceException"),
    # A proxy's HTML error page: the status class, no error fields, no model.
    Row("502-html-cybersource", "cybersource", Answer(502, HTML_PAGE, "text/html"),
        "ServiceException", 502, requests=1, attempts=1),
    # A 200 that cannot be read as the declared model.
    malformed_row("invalid-json", "zuora", '{"access_token": "abc", ', "application/json",
                  "not JSON"),
    malformed_row("html", "cybersource", HTML_PAGE, "text/html; charset=utf-8", "not JSON"),
    malformed_row("empty", "pandadoc", "", "application/json", "empty"),
    malformed_row("array", "criteo", '[{"access_token": "abc"}]', "application/json",
                  "JSON object"),
    malformed_row("string", "zuora", '"abc"', "application/json", "JSON object"),
    # Byte-level faults once connected: never retried.
    Row("truncated-body-zuora", "zuora", Raw(send_truncated), "ApiConnectionError", 0,
        requests=1, attempts=1, connected=True, reason="IncompleteRead"),
    Row("reset-mid-response-criteo", "criteo", Raw(reset_mid_response), "ApiConnectionError",
        0, requests=1, attempts=1, connected=True, reason="reset"),
    Row("read-timeout-cybersource", "cybersource", Raw(stall), "ApiTimeoutError", 0,
        requests=1, attempts=1, connected=True, reason="timed out", timeout=(5.0, 0.2)),
    Row("read-timeout-total-pandadoc", "pandadoc", Raw(stall), "ApiTimeoutError", 0,
        requests=1, attempts=1, connected=True, reason="timed out", timeout=0.5),
    # Nothing listening: retried, but no request ever reaches a server.
    Row("refused-zuora", "zuora", REFUSED, "ApiConnectionError", 0, requests=0, attempts=3,
        connected=False, reason="could not connect"),
    Row("refused-cybersource", "cybersource", REFUSED, "ApiConnectionError", 0, requests=0,
        attempts=3, connected=False, reason="could not connect"),
]


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
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        yield f"http://127.0.0.1:{holder.getsockname()[1]}"


@pytest.mark.parametrize("row", ROWS, ids=[row.id for row in ROWS])
def test_failure(
    row: Row, httpserver: HTTPServer, waits: list[float], refused_url: str
) -> None:
    package = PACKAGES[row.provider]
    raw_server: RawServer | None = None
    if isinstance(row.fault, Answer):
        answer = row.fault
        headers = {"X-Row": row.id}
        if answer.retry_after is not None:
            headers["Retry-After"] = answer.retry_after
        # Werkzeug upper-cases reason phrases; send the standard one, as servers do.
        status = f"{answer.status} {http.HTTPStatus(answer.status).phrase}"
        response = Response(
            answer.body, status=status, headers=headers, content_type=answer.content_type
        )
        httpserver.expect_request(TOKEN_PATHS[row.provider], method="POST").respond_with_response(
            response
        )
        host = f"http://{httpserver.host}:{httpserver.port}"
    elif isinstance(row.fault, Raw):
        raw_server = RawServer(row.fault.behaviour)
        host = raw_server.url
    else:
        host = refused_url

    client = package.ApiClient(package.Configuration(host=host))
    try:
        with pytest.raises(package.ApiException) as caught:
            call(row.provider, client, row.timeout)
    finally:
        client.close()
        if raw_server is not None:
            raw_server.close(expected=row.requests)
    error = caught.value

    # The exact class from the provider's own package; nothing from urllib3 escapes.
    assert type(error) is getattr(package, row.exception)
    assert isinstance(error, package.OpenApiException)
    assert not isinstance(error, urllib3.exceptions.HTTPError)
    assert error.status == row.status
    assert "\n" not in str(error)

    # How many requests reached the server, and the waits between the attempts.
    if isinstance(row.fault, Answer):
        assert len(httpserver.log) == row.requests
    elif raw_server is not None:
        assert raw_server.requests == row.requests
    assert len(waits) == row.attempts - 1
    for attempt, wait in enumerate(waits):
        if row.retry_after is not None:
            assert wait == row.retry_after
        else:
            assert 0.0 <= wait <= BACKOFF_FACTOR * 2**attempt

    if isinstance(row.fault, Answer):
        check_http_error(row, row.fault, error)
    else:
        assert isinstance(error, package.ApiConnectionError)
        assert error.connected is row.connected
        assert error.headers is None and error.body is None and error.data is None
        assert error.error is None and error.retry_after is None
        assert row.reason is not None and row.reason in error.reason
        assert str(error) == f"(0) Reason: {error.reason}"


def check_http_error(row: Row, answer: Answer, error: Any) -> None:
    """The fields of an exception raised for an HTTP answer."""
    reason = http.HTTPStatus(answer.status).phrase
    assert error.body == answer.body  # the raw body is kept
    assert error.headers is not None and error.headers.get("x-row") == row.id
    assert error.retry_after == row.retry_after
    if row.reason is not None:  # MalformedResponseError explains itself
        assert row.reason in error.reason
        if row.reason != "JSON object":  # a parse failure names the media type
            assert answer.content_type.split(";")[0] in error.reason
    else:
        assert error.reason == reason
    if row.error:
        fields = json.loads(answer.body)
        assert error.error == fields["error"]
        assert error.error_description == fields["error_description"]
        assert error.error_uri == fields["error_uri"]
        assert str(error) == (
            f"({answer.status}) Reason: {reason}; error: {fields['error']};"
            f" error_description: {fields['error_description']}"
        )
    else:
        assert error.error is None and error.error_description is None
        assert error.error_uri is None
        assert str(error) == f"({answer.status}) Reason: {error.reason}"
    if row.data is None:
        assert error.data is None
    elif row.data == "dict":
        assert error.data == json.loads(answer.body)
    else:
        assert type(error.data).__name__ == row.data
        assert error.data.error == error.error
        assert error.data.to_dict() == json.loads(answer.body)  # undeclared fields kept
