"""One ApiClient shared by 16 threads: every answer reaches the call that asked for it.

A keep-alive HTTP/1.1 server echoes each request's Zuora-Track-Id in the JSON body
(as the access token) and in the response headers. 16 threads x 500 calls go through one
client whose pool holds at most 4 connections; afterwards ``close()`` leaves none open.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any

import pytest
import zuora_client
from providers import ZUORA_CLIENT_ID
from servers import ThreadedServer

THREADS = 16
CALLS = 500
POOL_SIZE = 4


@dataclass(repr=False)  # 8000 track ids would flood assertion messages
class Stats:
    """What the server saw: track ids, and connections open now and at most."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    closed: threading.Condition = field(init=False)
    track_ids: list[str] = field(default_factory=list)
    open_connections: int = 0
    most_open: int = 0
    connections: int = 0

    def __post_init__(self) -> None:
        self.closed = threading.Condition(self.lock)


class EchoHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive
    disable_nagle_algorithm = True
    stats: Stats

    def setup(self) -> None:
        super().setup()
        with self.stats.lock:
            self.stats.connections += 1
            self.stats.open_connections += 1
            self.stats.most_open = max(self.stats.most_open, self.stats.open_connections)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            with self.stats.lock:
                self.stats.open_connections -= 1
                self.stats.closed.notify_all()

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        track_id = self.headers.get("Zuora-Track-Id", "")
        with self.stats.lock:
            self.stats.track_ids.append(track_id)
        if track_id.startswith("slow-"):  # holds its connection a while
            time.sleep(float(track_id.split("-")[1]))
        body = json.dumps(
            {"access_token": track_id, "expires_in": 3600, "jti": track_id, "token_type": "bearer"}
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Zuora-Track-Id", track_id)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@dataclass
class Server:
    url: str
    stats: Stats


@pytest.fixture
def server() -> Iterator[Server]:
    stats = Stats()
    handler = type("CountingEchoHandler", (EchoHandler,), {"stats": stats})
    # A listen() backlog with room for every thread connecting at once.
    threaded = ThreadedServer(handler, backlog=64)
    try:
        yield Server(threaded.url, stats)
    finally:
        threaded.close()


@pytest.mark.timeout(120)
def test_shared_client_under_16_threads(server: Server) -> None:
    config = zuora_client.Configuration(host=server.url, connection_pool_maxsize=POOL_SIZE)
    client = zuora_client.ApiClient(config)
    api = zuora_client.OAuthApi(client)
    start = threading.Barrier(THREADS)
    results: list[list[tuple[str, str, str | None]]] = [[] for _ in range(THREADS)]
    errors: list[BaseException] = []

    def work(index: int) -> None:
        mine = results[index]
        start.wait()
        try:
            for call in range(CALLS):
                track_id = f"thread-{index:02d}-call-{call:03d}"
                answer = api.create_token_with_http_info(
                    ZUORA_CLIENT_ID, "client-secret", "client_credentials", zuora_track_id=track_id
                )
                mine.append((track_id, answer.data.access_token, answer.headers["Zuora-Track-Id"]))
        except Exception as error:  # noqa: BLE001 - the main thread asserts there are none
            errors.append(error)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    # Every answer belongs to the call that asked for it, in body and header.
    for mine in results:
        assert len(mine) == CALLS
        for track_id, access_token, echoed in mine:
            assert access_token == track_id
            assert echoed == track_id
    returned = {access_token for mine in results for _, access_token, _ in mine}
    assert len(returned) == THREADS * CALLS  # none lost, none duplicated
    assert sorted(server.stats.track_ids) == sorted(returned)  # each sent exactly once

    # The pool never opened more than its maximum at once, and reused connections.
    assert 1 <= server.stats.most_open <= POOL_SIZE
    assert server.stats.connections <= POOL_SIZE

    # close() drops every pool; the server sees every socket closed.
    assert len(client.rest_client.pools) == 1
    client.close()
    assert client.rest_client.pools == {}
    with server.stats.closed:
        all_closed = server.stats.closed.wait_for(
            lambda: server.stats.open_connections == 0, timeout=10.0
        )
    assert all_closed, f"{server.stats.open_connections} connections still open"


def token_in_thread(client: Any, track_id: str, results: dict[str, Any]) -> threading.Thread:
    def run() -> None:
        try:
            api = zuora_client.OAuthApi(client)
            results[track_id] = api.create_token(
                ZUORA_CLIENT_ID, "secret", "client_credentials", zuora_track_id=track_id
            ).access_token
        except zuora_client.ApiException as error:  # the test looks at it
            results[track_id] = error

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def wait_for(server: Server, track_id: str) -> None:
    deadline = time.monotonic() + 10
    while track_id not in server.stats.track_ids:
        assert time.monotonic() < deadline, f"{track_id} never reached the server"
        time.sleep(0.01)


@pytest.mark.timeout(60)
def test_a_call_waiting_for_a_connection_gets_one_after_close(server: Server) -> None:
    configuration = zuora_client.Configuration(
        host=server.url, connection_pool_maxsize=1, timeout=(1.0, 5.0)
    )
    client = zuora_client.ApiClient(configuration)
    results: dict[str, Any] = {}
    first = token_in_thread(client, "slow-0.8", results)
    wait_for(server, "slow-0.8")
    second = token_in_thread(client, "waiting", results)  # no free connection: it waits
    time.sleep(0.2)
    client.close()  # drops the pool the second call waits on
    first.join(15)
    second.join(15)
    assert not first.is_alive() and not second.is_alive()
    assert results == {"slow-0.8": "slow-0.8", "waiting": "waiting"}
    client.close()


@pytest.mark.timeout(60)
def test_waiting_for_a_connection_is_bounded_by_the_connect_timeout(server: Server) -> None:
    configuration = zuora_client.Configuration(
        host=server.url, connection_pool_maxsize=1, timeout=(0.3, 5.0), retries=0
    )
    with zuora_client.ApiClient(configuration) as client:
        results: dict[str, Any] = {}
        first = token_in_thread(client, "slow-1.5", results)
        wait_for(server, "slow-1.5")
        started = time.monotonic()
        second = token_in_thread(client, "waiting", results)
        second.join(15)
        waited = time.monotonic() - started
        first.join(15)
    error = results["waiting"]
    assert isinstance(error, zuora_client.ApiConnectionError) and error.connected is False
    assert "no free connection" in str(error)
    assert 0.25 < waited < 1.4  # gave up after the connect timeout, before the slow call ended
    assert results["slow-1.5"] == "slow-1.5"
    assert "waiting" not in server.stats.track_ids  # nothing was sent
