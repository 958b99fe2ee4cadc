"""Answers that arrive but cannot be accepted raise MalformedResponseError, never "connection failed".

A raw socket server (tests/test_failures.RawServer) reads the request and writes bytes no
HTTP library would: an answer far over ``max_response_bytes`` (with a length, chunked, or
gzip that inflates past it), a body that is not the gzip it claims, a status line that is
not HTTP, more than 100 headers, a header line over 64 KiB. Each is read once (not
retried, whatever the status) and named in the error; none shows a secret the request sent.
"""

from __future__ import annotations

import gzip
import json
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Optional

import pytest
from providers import PACKAGES, PROVIDERS
from test_failures import RawServer, call, waits

# Every test runs with the blocking classes and with the aio ones (conftest.driver).
pytestmark = pytest.mark.usefixtures("driver")

__all__ = ["waits"]  # the fixture recording the waits between retries

MIB = 1024 * 1024
TOKEN = json.dumps({"access_token": "issued", "token_type": "Bearer", "expires_in": 3600})


def head(status: str = "200 OK", *headers: str) -> bytes:
    lines = [f"HTTP/1.1 {status}", "Content-Type: application/json", *headers]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def answer(data: bytes) -> Callable[[socket.socket], None]:
    """Write ``data``; a client that stops reading early makes the write fail, which is fine."""

    def behaviour(conn: socket.socket) -> None:
        try:
            conn.sendall(data)
        except OSError:
            pass
        conn.close()

    return behaviour


def stream(prefix: bytes, size: int, chunked: bool = False) -> Callable[[socket.socket], None]:
    """``prefix``, then ``size`` bytes of JSON-ish padding, in 64 KiB pieces (or chunks)."""

    def behaviour(conn: socket.socket) -> None:
        piece = b" " * 65536
        try:
            conn.sendall(prefix)
            for _ in range(size // len(piece)):
                conn.sendall(b"10000\r\n" + piece + b"\r\n" if chunked else piece)
            if chunked:
                conn.sendall(b"0\r\n\r\n")
        except OSError:
            pass
        conn.close()

    return behaviour


BIG = 20 * MIB
GZIP_BOMB = gzip.compress(b"{" + b" " * BIG + b"}", compresslevel=9)


@dataclass(frozen=True)
class Fault:
    id: str
    behaviour: Callable[[socket.socket], None]
    status: int  # of the MalformedResponseError
    reason: str  # a phrase the reason holds


FAULTS = [
    Fault(
        "20-mb-with-length",
        stream(head("200 OK", f"Content-Length: {BIG}"), BIG),
        200,
        "larger than max_response_bytes (1048576)",
    ),
    Fault(
        "20-mb-chunked",
        stream(head("200 OK", "Transfer-Encoding: chunked"), BIG, True),
        200,
        "larger than max_response_bytes",
    ),
    Fault(
        "20-mb-error-page",
        stream(head("500 Internal Server Error", f"Content-Length: {BIG}"), BIG),
        500,
        "larger than max_response_bytes",
    ),
    Fault(
        "gzip-inflating-to-20-mb",
        answer(
            head("200 OK", "Content-Encoding: gzip", f"Content-Length: {len(GZIP_BOMB)}")
            + GZIP_BOMB
        ),
        200,
        "larger than max_response_bytes",
    ),
    Fault(
        "bad-gzip",
        answer(
            head("200 OK", "Content-Encoding: gzip", f"Content-Length: {len(TOKEN)}")
            + TOKEN.encode()
        ),
        200,
        "could not be decoded",
    ),
    Fault("garbage-status-line", answer(b"SSH-2.0-OpenSSH_9.6\r\n\r\n"), 0, "not valid HTTP"),
    Fault(
        "status-not-a-number",
        answer(b"HTTP/1.1 OK FINE\r\nContent-Length: 0\r\n\r\n"),
        0,
        "not valid HTTP",
    ),
    Fault(
        "101-headers",
        answer(head("200 OK", *(f"X-Header-{i}: {i}" for i in range(101)))),
        0,
        "got more than 100 headers",
    ),
    Fault(
        "header-line-over-64-kib",
        answer(head("200 OK", "X-Long: " + "a" * 70000)),
        0,
        "not valid HTTP",
    ),
]


def failing_call(
    provider: str, behaviour: Callable[[socket.socket], None], **settings: Any
) -> tuple[Any, RawServer]:
    """The provider's token call against a raw server; the error it raised, and the server."""
    package = PACKAGES[provider]
    server = RawServer(behaviour)
    error: Optional[BaseException] = None
    try:
        configuration = package.Configuration(host=server.url, **settings)
        with package.ApiClient(configuration) as client:
            try:
                call(provider, client)
            except package.ApiException as raised:
                error = raised
    finally:
        server.close(expected=1)
    assert error is not None, "the call succeeded"
    return error, server


@pytest.mark.parametrize("provider", [p.name for p in PROVIDERS])
@pytest.mark.parametrize("fault", FAULTS, ids=[fault.id for fault in FAULTS])
def test_an_unacceptable_answer_is_malformed(
    fault: Fault, provider: str, waits: list[float]
) -> None:
    package = PACKAGES[provider]
    error, server = failing_call(provider, fault.behaviour)
    assert type(error) is package.MalformedResponseError
    assert error.status == fault.status
    assert fault.reason in error.reason
    assert f"POST {server.url}/" in error.reason  # names the request, without its query
    assert server.requests == 1 and waits == []  # read once, never sent again
    assert "\n" not in str(error) and "secret" not in str(error)


@pytest.mark.parametrize("cap", [len(TOKEN), 4096])
def test_the_cap_is_configurable(cap: int, waits: list[float]) -> None:
    exactly = TOKEN.encode().ljust(cap)
    fits = answer(head("200 OK", f"Content-Length: {cap}") + exactly)
    package = PACKAGES["zuora"]
    server = RawServer(fits)
    try:
        configuration = package.Configuration(host=server.url, max_response_bytes=cap)
        with package.ApiClient(configuration) as client:
            assert call("zuora", client).access_token == "issued"
    finally:
        server.close(expected=1)
    over = answer(head("200 OK", f"Content-Length: {cap + 1}") + exactly + b" ")
    error, _ = failing_call("zuora", over, max_response_bytes=cap)
    assert type(error) is package.MalformedResponseError
    assert f"larger than max_response_bytes ({cap})" in error.reason


def test_a_generous_cap_accepts_a_large_answer(waits: list[float]) -> None:
    """2 MiB of whitespace around the token: over the default, under a cap of 4 MiB."""
    body = TOKEN.encode() + b" " * (2 * MIB)
    behaviour = answer(head("200 OK", f"Content-Length: {len(body)}") + body)
    package = PACKAGES["criteo"]
    server = RawServer(behaviour)
    try:
        configuration = package.Configuration(host=server.url, max_response_bytes=4 * MIB)
        with package.ApiClient(configuration) as client:
            assert call("criteo", client).access_token == "issued"
    finally:
        server.close(expected=1)
    error, _ = failing_call("criteo", behaviour)
    assert type(error) is package.MalformedResponseError


def test_a_body_cut_short_is_still_a_connection_error(waits: list[float]) -> None:
    """The contrast: an answer that did not arrive whole is a connection failure."""
    cut = answer(head("200 OK", "Content-Length: 500") + TOKEN.encode())
    error, _ = failing_call("pandadoc", cut)
    assert type(error) is PACKAGES["pandadoc"].ApiConnectionError
    assert error.connected is True


# --- an abandoned answer gives its connection back ------------------------------------------


def in_turn(*behaviours: Callable[[socket.socket], None]) -> Callable[[socket.socket], None]:
    """Each connection's request gets the next behaviour, in the order the requests arrive."""
    queue = list(behaviours)
    lock = threading.Lock()

    def behaviour(conn: socket.socket) -> None:
        with lock:
            following = queue.pop(0)
        following(conn)

    return behaviour


SMALL_CAP = 1024
OVER_WITH_LENGTH = stream(head("200 OK", f"Content-Length: {2 * 65536}"), 2 * 65536)
OVER_CHUNKED = stream(head("200 OK", "Transfer-Encoding: chunked"), 2 * 65536, chunked=True)
# The raw server closes every connection after its answer, so the answers say so: an
# answer read whole may otherwise go back to the pool open, racing the server's close.
FITS = answer(head("200 OK", f"Content-Length: {len(TOKEN)}", "Connection: close") + TOKEN.encode())


def free_connections(client: Any, url: str) -> int:
    """How many connections of the pool for ``url`` are not out (the pool blocks at 0)."""
    pool = client.rest_client.pool_for(url)
    return int(pool.pool.qsize())


BAD_GZIP = answer(
    head("200 OK", "Content-Encoding: gzip", f"Content-Length: {len(TOKEN)}", "Connection: close")
    + TOKEN.encode()
)
CUT_SHORT = answer(head("200 OK", "Content-Length: 500", "Connection: close") + TOKEN.encode())
ABANDONED = [
    # (behaviour, exception class name, a phrase of its reason)
    (OVER_WITH_LENGTH, "MalformedResponseError", "max_response_bytes"),
    (OVER_CHUNKED, "MalformedResponseError", "max_response_bytes"),
    (BAD_GZIP, "MalformedResponseError", "could not be decoded"),
    (CUT_SHORT, "ApiConnectionError", "connection failed"),
]


@pytest.mark.timeout(60)  # the bug this guards against made the last call wait for ever
def test_every_abandoned_answer_frees_its_connection(waits: list[float]) -> None:
    """One connection in the pool: each answer given up on must give it back."""
    package = PACKAGES["zuora"]
    server = RawServer(in_turn(*[behaviour for behaviour, _, _ in ABANDONED], FITS))
    try:
        configuration = package.Configuration(
            host=server.url, connection_pool_maxsize=1, max_response_bytes=SMALL_CAP
        )
        with package.ApiClient(configuration) as client:
            for _, name, phrase in ABANDONED:
                with pytest.raises(getattr(package, name), match=phrase) as caught:
                    call("zuora", client)
                assert type(caught.value) is getattr(package, name)
                assert free_connections(client, server.url) == 1
            assert call("zuora", client).access_token == "issued"
    finally:
        server.close(expected=len(ABANDONED) + 1)
    assert waits == []  # none of them was sent again


@pytest.mark.timeout(60)
def test_answers_over_the_cap_from_many_threads_free_their_connections(waits: list[float]) -> None:
    package = PACKAGES["criteo"]
    threads = 6
    server = RawServer(in_turn(*[OVER_WITH_LENGTH, OVER_CHUNKED] * (threads // 2), FITS))
    errors: list[BaseException] = []
    try:
        configuration = package.Configuration(
            host=server.url, connection_pool_maxsize=2, max_response_bytes=SMALL_CAP
        )
        with package.ApiClient(configuration) as client:

            def oversized() -> None:
                try:
                    call("criteo", client)
                except BaseException as error:  # noqa: BLE001 - checked below
                    errors.append(error)

            workers = [threading.Thread(target=oversized) for _ in range(threads)]
            for worker in workers:
                worker.start()
            for worker in workers:
                worker.join()
            assert len(errors) == threads
            assert all(type(error) is package.MalformedResponseError for error in errors)
            assert free_connections(client, server.url) == 2
            assert call("criteo", client).access_token == "issued"
    finally:
        server.close(expected=threads + 1)


# --- an error answer nested deeper than Python recurses --------------------------------------

#: 100,000 nested arrays inside the object an OAuth error answer would be.
DEEP = '{"error": "invalid_request", "detail": ' + "[" * 100_000 + "]" * 100_000 + "}"


@pytest.mark.parametrize("status", ["400 Bad Request", "401 Unauthorized", "503 Unavailable"])
@pytest.mark.parametrize("provider", [p.name for p in PROVIDERS])
def test_a_deeply_nested_error_body_raises_the_statuss_exception(
    provider: str, status: str, waits: list[float]
) -> None:
    package = PACKAGES[provider]
    code = int(status.split()[0])
    body = DEEP.encode()
    error, _ = failing_call(
        provider, answer(head(status, f"Content-Length: {len(body)}") + body), retries=0
    )
    expected = {400: "BadRequestException", 401: "UnauthorizedException", 503: "ServiceException"}
    assert type(error) is getattr(package, expected[code])
    assert error.status == code
    assert error.body == DEEP  # the raw body kept
    assert error.data is None and error.error is None  # no parsed fields
