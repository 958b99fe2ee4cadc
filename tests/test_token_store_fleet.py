"""Token stores with real parts: fleets of real processes (tests/fleet_worker.py) using the
installed packages, a real redis-server, and a strict token server that rotates refresh
tokens and revokes the authorization when a spent one comes back (tests/token_server.py,
``strict_grants``).

The rules themselves are tested on the runtime (tests/runtime/test_runtime_token_store.py).
"""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from redis_server import RedisServer
from token_server import TokenServer

WORKER = str(Path(__file__).with_name("fleet_worker.py"))
CLIENT_SECRET = "cs-fleet-Q9x"
pytestmark = pytest.mark.timeout(180)


@pytest.fixture(params=["file", "redis"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The --store of a fleet: a private folder, or a fresh prefix in the real Redis."""
    if request.param == "file":
        return f"file:{tmp_path / 'tokens'}"
    redis: RedisServer = request.getfixturevalue("redis")
    import redis as redis_py

    with redis_py.Redis.from_url(redis.url) as client:
        client.flushdb()
    return f"redis:{redis.url}"


class Fleet:
    """Worker processes started together: each is ready before any is told to go."""

    def __init__(self, count: int, args: Sequence[str]) -> None:
        self.processes = [self.spawn(args) for _ in range(count)]
        for process in self.processes:
            assert process.stdout is not None
            line = process.stdout.readline().strip()
            assert line == "ready", f"a worker did not start: {line!r} {self.stderr(process)}"

    @staticmethod
    def spawn(args: Sequence[str]) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [sys.executable, WORKER, *args],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    @staticmethod
    def stderr(process: subprocess.Popen[str]) -> str:
        if process.poll() is None:
            return ""
        assert process.stderr is not None
        return process.stderr.read()

    def go(self) -> None:
        for process in self.processes:
            assert process.stdin is not None
            process.stdin.write("go\n")
            process.stdin.flush()

    def results(self) -> list[tuple[dict[str, Any], str]]:
        """Each worker's JSON answer and its stderr, once all have finished."""
        done = []
        for process in self.processes:
            out, err = process.communicate(timeout=120)
            answer = json.loads(out.strip().splitlines()[-1])
            assert process.returncode == 0, f"{answer} {err}"
            done.append((answer, err))
        return done


def worker_args(package: str, server: TokenServer, store: str, *more: str) -> list[str]:
    return [package, "--host", server.url, "--store", store, *more]


def no_secret_in(text: str) -> None:
    assert CLIENT_SECRET not in text
    assert "atok-" not in text and "rtok-" not in text


def test_a_fleet_asking_at_once_sends_one_token_request(
    token_server: TokenServer, store: str
) -> None:
    fleet = Fleet(8, worker_args("zuora_client", token_server, store, "--threads", "8"))
    fleet.go()
    results = fleet.results()
    tokens = {token for answer, _ in results for token in answer["tokens"]}
    assert len(tokens) == 1
    assert token_server.count == 1
    for _, err in results:
        no_secret_in(err)


def test_processes_take_turns_on_one_rotating_refresh_token(
    token_server: TokenServer, store: str
) -> None:
    start = ("--refresh-token", "rtok-0-Start", "--mode", "rotate")
    fleet = Fleet(4, worker_args("CyberSource", token_server, store, *start, "--rounds", "30"))
    fleet.go()
    results = fleet.results()
    assert token_server.invalid_grants == 0 and not token_server.revoked
    assert token_server.grants["refresh_token"] >= 20
    last = token_server.refresh_token
    # The last refresh token, as the store holds it, still works: a new process given the
    # first (long spent) one adopts the stored token, then renews with the stored refresh token.
    follower = Fleet(1, worker_args("CyberSource", token_server, store, *start, "--rounds", "2"))
    follower.go()
    ((answer, err),) = follower.results()
    assert answer["refresh_token"] == token_server.refresh_token != last
    assert token_server.invalid_grants == 0
    for _, text in [*results, (answer, err)]:
        no_secret_in(text)


def test_a_killed_lease_holder_blocks_the_others_for_at_most_its_lease(
    token_server: TokenServer, store: str
) -> None:
    lease, timeout = 2.0, 5.0
    args = worker_args(
        "zuora_client", token_server, store, "--lease", str(lease), "--timeout", str(timeout)
    )
    holder = Fleet(1, args)
    waiter = Fleet(1, args)
    token_server.hold = held = threading.Event()
    holder.go()
    assert token_server.arrived.wait(30)  # the holder took the lease and its request is in flight
    os.kill(holder.processes[0].pid, signal.SIGKILL)
    holder.processes[0].wait(10)
    token_server.hold = None
    started = time.monotonic()
    waiter.go()
    ((answer, _),) = waiter.results()
    assert answer["tokens"][0].startswith("atok-")
    assert time.monotonic() - started < lease + timeout + 5  # not forever: the lease ran out
    held.set()


def test_a_redis_outage_is_survived_and_sharing_resumes(
    token_server: TokenServer, caplog: pytest.LogCaptureFixture
) -> None:
    import zuora_client

    redis = RedisServer()
    if redis.binary is None:
        pytest.skip("redis-server is not installed (make test installs it)")
    redis.start()
    try:

        def manager(**options: Any) -> Any:
            configuration = zuora_client.Configuration(host=token_server.url)
            store = zuora_client.RedisTokenStore.from_url(
                redis.url, socket_timeout=0.5, socket_connect_timeout=0.5
            )
            return zuora_client.TokenManager(
                "5b1e8c4a-2f3d-4a6b-9c7e-1d0f2a3b4c5d",
                CLIENT_SECRET,
                api_client=zuora_client.ApiClient(configuration),
                store=store,
                **options,
            )

        redis.stop()
        with caplog.at_level(logging.WARNING, logger="zuora_client"):
            assert manager().get_token().startswith("atok-")
        (warning,) = caplog.records
        assert "RedisTokenStore(prefix='tokenworks:')" in warning.getMessage()
        no_secret_in(caplog.text)
        assert token_server.count == 1
        with pytest.raises(zuora_client.TokenStoreError) as caught:
            manager(on_store_error="raise").get_token()
        assert "RedisTokenStore" in str(caught.value)
        assert token_server.count == 1  # raise: nothing sent
        redis.start()
        first = manager().get_token()
        assert manager().get_token() == first  # shared again: the second one sent nothing
        assert token_server.count == 2
    finally:
        redis.stop()


def test_a_fleet_with_a_broken_record_or_folder_still_gets_tokens(
    token_server: TokenServer, tmp_path: Path
) -> None:
    folder = tmp_path / "tokens"
    folder.mkdir(mode=0o700)
    seed = Fleet(1, worker_args("zuora_client", token_server, f"file:{folder}"))
    seed.go()
    seed.results()
    (record,) = folder.glob("*.json")
    record.write_text('{"version": 1, "access_token": ')  # cut short
    broken = Fleet(2, worker_args("zuora_client", token_server, f"file:{folder}"))
    broken.go()
    for answer, err in broken.results():
        assert answer["tokens"][0].startswith("atok-")
        assert err.count("WARNING") == 1 and "cannot be read" in err
        no_secret_in(err)
    assert json.loads(record.read_text())["access_token"].startswith("atok-")  # repaired
    blocked = tmp_path / "a-file"
    blocked.write_text("")
    nowhere = Fleet(1, worker_args("zuora_client", token_server, f"file:{blocked / 'tokens'}"))
    nowhere.go()
    ((answer, err),) = nowhere.results()
    assert answer["tokens"][0].startswith("atok-")
    assert "FileTokenStore" in err and "cannot make the folder" in err
