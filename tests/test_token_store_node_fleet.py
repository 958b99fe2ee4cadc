"""Python and Node.js processes sharing one token store: the CyberSource Python package
(tests/fleet_worker.py) and the CyberSource Node.js package (tests/node/fleet_worker.js) on
the same folder and the same Redis, against a token server with strict,
rotating grants (tests/token_server.py). The Node runtime's own rules are tested in
tests/node/runtime/token_store.test.js.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import threading
import time
from collections.abc import Sequence
from pathlib import Path

import pytest
from fleet import (
    NODE_WORKER,
    PYTHON_WORKER,
    Worker,
    assert_one_token_for_all,
    broken_record,
    flush,
    no_secret_in,
    together,
)
from redis_server import RedisServer
from token_server import TokenServer

START = "rtok-0-Start"
pytestmark = [
    pytest.mark.timeout(180),
    pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed"),
]


@pytest.fixture(params=["file", "redis:node-redis", "redis:ioredis"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[str, list[str]]:
    """The --store of both languages, and the Node worker's extra arguments."""
    if request.param == "file":
        return f"file:{tmp_path / 'tokens'}", []
    server: RedisServer = request.getfixturevalue("redis")
    flush(server.url)
    return f"redis:{server.url}", ["--redis-client", request.param.split(":")[1]]


def python(server: TokenServer, store: str, *more: str) -> Worker:
    """A CyberSource Python worker, ready."""
    command = [*PYTHON_WORKER, "CyberSource", "--host", server.url, "--store", store, *more]
    return Worker(command).ready()


def node(server: TokenServer, store: str, extra: Sequence[str], *more: str) -> Worker:
    """A CyberSource Node.js worker, ready."""
    return Worker([*NODE_WORKER, "--host", server.url, "--store", store, *extra, *more]).ready()


def test_python_and_node_processes_asking_at_once_send_one_token_request(
    token_server: TokenServer, store: tuple[str, list[str]]
) -> None:
    where, extra = store
    start = ("--refresh-token", START, "--threads", "4")
    workers = [python(token_server, where, *start) for _ in range(3)]
    workers += [node(token_server, where, extra, *start) for _ in range(3)]
    assert_one_token_for_all(together(workers), token_server)


def test_node_and_python_take_turns_on_one_rotating_refresh_token(
    token_server: TokenServer, store: tuple[str, list[str]]
) -> None:
    where, extra = store
    rotate = ("--refresh-token", START, "--mode", "rotate", "--rounds", "15")
    workers = [python(token_server, where, *rotate) for _ in range(2)]
    workers += [node(token_server, where, extra, *rotate) for _ in range(2)]
    results = together(workers)
    assert token_server.invalid_grants == 0 and not token_server.revoked
    assert token_server.grants["refresh_token"] >= 15
    # Then strictly one after the other, each given the first (long spent) refresh token:
    # each adopts the stored one, renews, and leaves the rotated one for the next.
    one_round = ("--refresh-token", START, "--mode", "rotate", "--rounds", "2")
    for turn in range(4):
        worker = (
            node(token_server, where, extra, *one_round)
            if turn % 2
            else python(token_server, where, *one_round)
        )
        worker.go()
        answer, err = worker.result()
        assert answer["refresh_token"] == token_server.refresh_token
        results.append((answer, err))
    assert token_server.invalid_grants == 0 and not token_server.revoked
    for _, err in results:
        no_secret_in(err)


@pytest.mark.parametrize("killed", ["node", "python"])
def test_a_killed_lease_holder_blocks_python_and_node_for_at_most_its_lease(
    token_server: TokenServer, store: tuple[str, list[str]], killed: str
) -> None:
    """A Node.js holder SIGKILLed mid-fetch (a Python and a Node waiter); a Python one, whose
    lease a Node waiter takes over (the Python-only case is tests/test_token_store_fleet.py)."""
    where, extra = store
    lease, timeout = 2.0, 5.0
    common = ("--refresh-token", START, "--lease", str(lease), "--timeout", str(timeout))
    if killed == "node":
        holder = node(token_server, where, extra, *common)
    else:
        holder = python(token_server, where, *common)
    waiters = [node(token_server, where, extra, *common)]
    if killed == "node":
        waiters.insert(0, python(token_server, where, *common))
    token_server.hold = held = threading.Event()
    holder.go()
    assert token_server.arrived.wait(30)  # the holder took the lease; its request is in flight
    os.kill(holder.process.pid, signal.SIGKILL)
    holder.process.wait(10)
    token_server.hold = None
    started = time.monotonic()
    results = together(waiters)
    elapsed = time.monotonic() - started
    held.set()
    (token,) = {answer["tokens"][0] for answer, _ in results}  # one renewed, the other adopted
    assert token.startswith("atok-")
    assert elapsed < lease + timeout + 5  # not forever: the lease ran out
    assert token_server.invalid_grants == 0


def test_a_redis_outage_warns_once_and_fetches_locally_or_raises(token_server: TokenServer) -> None:
    server = RedisServer()
    if server.binary is None:
        pytest.skip("redis-server is not installed (make test installs it)")
    where = f"redis:{server.url}"
    start = ("--refresh-token", START)
    for client in ("node-redis", "ioredis"):
        extra = ["--redis-client", client]
        token_server.reset(START)
        worker = node(token_server, where, extra, *start)  # Redis is down
        worker.go()
        answer, err = worker.result()
        assert answer["tokens"][0].startswith("atok-")
        assert err.count("TokenStoreWarning") == 1, err
        assert "RedisTokenStore(prefix='tokenworks:')" in err
        no_secret_in(err)
        requests = token_server.count
        raising = node(token_server, where, extra, *start, "--on-store-error", "raise")
        raising.go()
        answer, _ = raising.result(ok=False)
        assert answer["error"] == "TokenStoreError" and "RedisTokenStore" in answer["message"]
        assert token_server.count == requests  # raise: nothing sent
    server.start()
    try:
        token_server.reset(START)
        first = node(token_server, where, ["--redis-client", "node-redis"], *start)
        first.go()
        (answer, err) = first.result()
        requests = token_server.count
        second = python(token_server, where, *start)
        second.go()
        (shared, _) = second.result()
        assert shared["tokens"] == answer["tokens"]  # shared again: the second sent nothing
        assert token_server.count == requests
        assert "Warning" not in err
    finally:
        server.stop()


def test_node_processes_with_a_broken_record_or_folder_still_get_tokens(
    token_server: TokenServer, tmp_path: Path
) -> None:
    where, record = broken_record(
        tmp_path, lambda store: python(token_server, store, "--refresh-token", START)
    )
    # The record held the rotated refresh token; the worker is given it, as a service that
    # keeps it elsewhere too (onToken) would be. (One worker: a store that cannot be read
    # leaves each process to renew alone, which a rotating refresh token does not survive.)
    rotated = token_server.refresh_token
    assert rotated is not None
    broken = node(token_server, where, [], "--refresh-token", rotated)
    ((answer, err),) = together([broken])
    assert answer["tokens"][0].startswith("atok-")
    assert err.count("TokenStoreWarning") == 1 and "cannot be read" in err, err
    no_secret_in(err)
    assert json.loads(record.read_text())["access_token"] == answer["tokens"][0]  # repaired
    after = node(token_server, where, [], "--refresh-token", START)
    ((adopted, quiet),) = together([after])
    assert adopted["tokens"] == answer["tokens"] and "Warning" not in quiet
    blocked = tmp_path / "a-file"
    blocked.write_text("")
    nowhere = node(token_server, f"file:{blocked / 'tokens'}", [], "--refresh-token", START)
    token_server.reset(START)
    nowhere.go()
    answer, err = nowhere.result()
    assert answer["tokens"][0].startswith("atok-")
    assert "FileTokenStore" in err and "cannot make the folder" in err
