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
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from fleet import (
    CLIENT_SECRET,
    PYTHON_WORKER,
    Worker,
    assert_one_token_for_all,
    broken_record,
    flush,
    no_secret_in,
    started,
    together,
)
from redis_server import RedisServer
from token_server import TokenServer

pytestmark = pytest.mark.timeout(180)


@pytest.fixture(params=["file", "redis"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The --store of a fleet: a private folder, or a fresh prefix in the real Redis."""
    if request.param == "file":
        return f"file:{tmp_path / 'tokens'}"
    redis: RedisServer = request.getfixturevalue("redis")
    flush(redis.url)
    return f"redis:{redis.url}"


def fleet(count: int, args: Sequence[str]) -> list[Worker]:
    """``count`` Python workers with these arguments, ready."""
    return started([[*PYTHON_WORKER, *args]] * count)


def worker_args(package: str, server: TokenServer, store: str, *more: str) -> list[str]:
    return [package, "--host", server.url, "--store", store, *more]


def test_a_fleet_asking_at_once_sends_one_token_request(
    token_server: TokenServer, store: str
) -> None:
    workers = fleet(8, worker_args("zuora_client", token_server, store, "--threads", "8"))
    assert_one_token_for_all(together(workers), token_server)


def test_processes_take_turns_on_one_rotating_refresh_token(
    token_server: TokenServer, store: str
) -> None:
    start = ("--refresh-token", "rtok-0-Start", "--mode", "rotate")
    workers = fleet(4, worker_args("CyberSource", token_server, store, *start, "--rounds", "30"))
    results = together(workers)
    assert token_server.invalid_grants == 0 and not token_server.revoked
    assert token_server.grants["refresh_token"] >= 20
    last = token_server.refresh_token
    # The last refresh token, as the store holds it, still works: a new process given the
    # first (long spent) one adopts the stored token, then renews with the stored refresh token.
    follower = fleet(1, worker_args("CyberSource", token_server, store, *start, "--rounds", "2"))
    ((answer, err),) = together(follower)
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
    holder, waiter = fleet(2, args)
    token_server.hold = held = threading.Event()
    holder.go()
    assert token_server.arrived.wait(30)  # the holder took the lease and its request is in flight
    os.kill(holder.process.pid, signal.SIGKILL)
    holder.process.wait(10)
    token_server.hold = None
    begun = time.monotonic()
    ((answer, _),) = together([waiter])
    assert answer["tokens"][0].startswith("atok-")
    assert time.monotonic() - begun < lease + timeout + 5  # not forever: the lease ran out
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
    def zuora(store: str, count: int = 1) -> list[Worker]:
        return fleet(count, worker_args("zuora_client", token_server, store))

    where, record = broken_record(tmp_path, lambda store: zuora(store)[0])
    broken = zuora(where, 2)
    for answer, err in together(broken):
        assert answer["tokens"][0].startswith("atok-")
        assert err.count("WARNING") == 1 and "cannot be read" in err
        no_secret_in(err)
    assert json.loads(record.read_text())["access_token"].startswith("atok-")  # repaired
    blocked = tmp_path / "a-file"
    blocked.write_text("")
    nowhere = zuora(f"file:{blocked / 'tokens'}")
    ((answer, err),) = together(nowhere)
    assert answer["tokens"][0].startswith("atok-")
    assert "FileTokenStore" in err and "cannot make the folder" in err
