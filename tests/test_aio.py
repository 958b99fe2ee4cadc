"""``<package>.aio`` against a real server that answers slowly: the event loop stays free,
one token fetch serves every task, and cancelling waiters loses nothing.

The wire, validation, failure, retry, proxy and token-manager cases run through the aio
classes as well, by the ``driver`` fixture (conftest.py, drivers.py); these are the cases
only an event loop has. The server (slow_server.py) runs on its own loop in a thread and
answers each request after a delay, without a thread per request.
"""

from __future__ import annotations

import asyncio
import gc
import importlib
import inspect
import logging
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import criteo_api_retailmedia_v2022_10 as criteo
import pytest
import zuora_client
from criteo_api_retailmedia_v2022_10 import aio as criteo_aio
from providers import PACKAGES, ZUORA_CLIENT_ID
from slow_server import SlowServer
from zuora_client import aio as zuora_aio

#: The ticker's period: it asks to wake every 5 ms and records how late it woke.
TICK = 0.005
CALLS = 200
TASKS = 500


@pytest.fixture
def slow_server() -> Iterator[SlowServer]:
    server = SlowServer(delay=1.0)
    yield server
    server.close()


async def tick(stop: asyncio.Event, lags: list[float]) -> None:
    """Record how late each 5 ms sleep wakes: the event loop's lag."""
    while not stop.is_set():
        asked = time.perf_counter()
        await asyncio.sleep(TICK)
        lags.append(time.perf_counter() - asked - TICK)


@pytest.fixture
def slow_server_process() -> Iterator[str]:
    """slow_server.py answering after 1 s in a process of its own; its URL."""
    process = subprocess.Popen(
        [sys.executable, str(Path(__file__).with_name("slow_server.py")), "1.0"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None and process.stdin is not None
    port = process.stdout.readline().split()[1]
    yield f"http://127.0.0.1:{port}"
    process.stdin.close()
    process.wait(10)


async def calls_in_flight(url: str) -> tuple[list[Any], list[float], float]:
    """CALLS token calls at once while the ticker runs: the tokens, the lags, the time taken."""
    configuration = zuora_client.Configuration(host=url, connection_pool_maxsize=CALLS, retries=0)
    async with zuora_aio.ApiClient(configuration) as client:
        api = zuora_aio.OAuthApi(client)
        stop, lags = asyncio.Event(), []
        ticker = asyncio.create_task(tick(stop, lags))
        await asyncio.sleep(0.05)  # ticking before the first call
        started = time.perf_counter()
        tokens = await asyncio.gather(
            *(
                api.create_token(ZUORA_CLIENT_ID, "secret", "client_credentials")
                for _ in range(CALLS)
            )
        )
        elapsed = time.perf_counter() - started
        stop.set()
        await ticker
    return tokens, lags, elapsed


def test_the_loop_stays_responsive_with_200_calls_in_flight(slow_server_process: str) -> None:
    """p99 of the ticker's lag <= 20 ms while 200 calls wait 1 s each on a real server.

    The server runs in a process of its own, and the garbage of the tests before this one
    is collected first and set aside, so what is measured is what the calls cost the loop.
    Other processes share this machine's CPUs, though, and can starve this one for tens of
    milliseconds at a time (the ticker alone, with no call in flight, sees that too): a run
    so spoiled is run again, up to three runs; the goal itself is never relaxed.
    """
    runs = []
    for _ in range(3):
        gc.collect()
        gc.freeze()
        try:
            tokens, lags, elapsed = asyncio.run(calls_in_flight(slow_server_process))
        finally:
            gc.unfreeze()
        assert len({token.access_token for token in tokens}) == CALLS  # 200 requests answered
        assert elapsed < 5.0, f"the {CALLS} calls of 1 s each were not in flight together"
        p99 = statistics.quantiles(lags, n=100)[98]
        runs.append(
            f"p99 {p99 * 1000:.1f} ms over {len(lags)} ticks, the worst"
            f" {[round(lag * 1000, 1) for lag in sorted(lags)[-3:]]} ms"
        )
        if p99 <= 0.020:
            return
    pytest.fail(f"the loop lagged in every run: {'; '.join(runs)}")


@pytest.fixture
def errors_seen(caplog: pytest.LogCaptureFixture) -> Iterator[list[str]]:
    """Every ERROR logged and every exception the event loop's handler got; [] expected."""
    caplog.set_level(logging.INFO)
    seen: list[str] = []
    yield seen
    gc.collect()  # "exception was never retrieved" is logged when the future is collected
    seen.extend(r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR)


def run_loop(main: Any, seen: list[str]) -> Any:
    """asyncio.run(main()) with the loop's exception handler recording into ``seen``."""

    async def wrapped() -> Any:
        asyncio.get_running_loop().set_exception_handler(
            lambda loop, context: seen.append(str(context.get("message")))
        )
        return await main()

    return asyncio.run(wrapped())


def test_500_tasks_and_8_threads_asking_at_once_make_one_token_request(
    slow_server: SlowServer, errors_seen: list[str]
) -> None:
    slow_server.delay = 0.5
    configuration = zuora_client.Configuration(host=slow_server.url)

    async def main() -> tuple[list[str], list[str]]:
        async with zuora_aio.TokenManager(
            ZUORA_CLIENT_ID, "secret", api_client=zuora_aio.ApiClient(configuration)
        ) as tm:
            threaded: list[str] = []
            threads = [
                threading.Thread(target=lambda: threaded.append(tm.blocking.get_token()))
                for _ in range(8)
            ]
            tasks = [asyncio.create_task(tm.get_token()) for _ in range(TASKS)]
            for thread in threads:
                thread.start()
            tokens = await asyncio.gather(*tasks)
            await asyncio.to_thread(lambda: [thread.join(10) for thread in threads])
            assert await tm.get_token() == "token-1"  # from memory now
            await tm.api_client.close()
        return tokens, threaded

    tokens, threaded = run_loop(main, errors_seen)

    assert tokens == ["token-1"] * TASKS
    assert threaded == ["token-1"] * 8
    assert slow_server.count == 1
    assert errors_seen == []


@pytest.mark.parametrize("cancelled", ["half", "all"])
def test_cancelled_waiters_do_not_cancel_the_fetch_nor_lose_its_tokens(
    cancelled: str, slow_server: SlowServer, errors_seen: list[str]
) -> None:
    slow_server.delay = 0.5
    configuration = criteo.Configuration(host=slow_server.url)

    async def main() -> tuple[list[Any], Any]:
        client = criteo_aio.ApiClient(configuration)
        tm = criteo_aio.TokenManager("cid", "secret", refresh_token="refresh-0", api_client=client)
        tasks = [asyncio.create_task(tm.get_token()) for _ in range(TASKS)]
        await asyncio.sleep(0.1)  # every task is waiting for the one fetch
        assert slow_server.count == 1
        gone = tasks[::2] if cancelled == "half" else tasks
        for task in gone:
            task.cancel()
        outcomes = await asyncio.gather(*tasks, return_exceptions=True)
        if cancelled == "all":  # nobody waits now; the fetch still lands in the manager
            for _ in range(100):
                if tm.token is not None:
                    break
                await asyncio.sleep(0.05)
        after = (tm.token, tm.refresh_token, await tm.get_token())
        await client.close()
        return outcomes, after

    outcomes, (token, refresh_token, again) = run_loop(main, errors_seen)

    for index, outcome in enumerate(outcomes):
        if cancelled == "all" or index % 2 == 0:
            assert isinstance(outcome, asyncio.CancelledError)
        else:
            assert outcome == "token-1"
    assert token is not None and token.access_token == "token-1"
    assert refresh_token == "refresh-1"  # the rotated one was kept
    assert again == "token-1"
    assert slow_server.count == 1  # one fetch, never repeated
    assert slow_server.paths == ["/oauth2/token"]
    assert errors_seen == []


def public_methods(cls: type) -> dict[str, Any]:
    """The public methods of a class, by name (functions, class and static methods)."""
    return {
        name: getattr(cls, name)
        for name, value in inspect.getmembers(cls)
        if not name.startswith("_") and (inspect.isfunction(value) or inspect.ismethod(value))
    }


def parameters(function: Any) -> list[tuple[str, Any, Any]]:
    return [(p.name, p.kind, p.default) for p in inspect.signature(function).parameters.values()]


@pytest.mark.parametrize("name", sorted(PACKAGES))
def test_every_package_has_the_aio_names_with_the_same_signatures(name: str) -> None:
    package = PACKAGES[name]
    aio = importlib.import_module(f"{package.__name__}.aio")
    api_classes = [n for n in package.__all__ if n.endswith("Api")]
    assert sorted(aio.__all__) == sorted(["ApiClient", "TokenManager", *api_classes])
    for public in aio.__all__:
        blocking, awaitable = getattr(package, public), getattr(aio, public)
        assert awaitable.__name__ == blocking.__name__
        # The same parameters (a sleep= of the aio ApiClient is a coroutine function).
        assert parameters(awaitable) == parameters(blocking), public
        ours = public_methods(awaitable)
        for method, function in public_methods(blocking).items():
            if public == "ApiClient" and method in ("exchange", "perform"):
                continue  # the request loop and its transport step, which the aio client drives
            assert method in ours, f"{public}.{method}"
            if public in api_classes:  # the operations: the same documented signatures
                assert inspect.signature(ours[method]) == inspect.signature(function)
            if public in api_classes or method in ("get_token", "exchange_code", "call_api"):
                assert inspect.iscoroutinefunction(ours[method]), f"{public}.{method}"


def test_the_user_script_runs(errors_seen: list[str]) -> None:
    """tests/typing_check_aio.py (mypy-checked by test_static.py) against a real server."""
    import typing_check_aio

    server = SlowServer(delay=0.0)
    try:
        run_loop(lambda: typing_check_aio.main(server.url), errors_seen)
    finally:
        server.close()
    assert server.count == 8
    assert errors_seen == []


class WatchedFileStore(zuora_client.FileTokenStore):
    """A FileTokenStore that records the thread of every one of its calls."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.threads: list[threading.Thread] = []

    def read(self, key: str) -> Any:
        self.threads.append(threading.current_thread())
        return super().read(key)

    def write(self, key: str, record: str) -> None:
        self.threads.append(threading.current_thread())
        super().write(key, record)

    def acquire(self, key: str, owner: str, lease: float) -> bool:
        self.threads.append(threading.current_thread())
        return super().acquire(key, owner, lease)

    def release(self, key: str, owner: str) -> None:
        self.threads.append(threading.current_thread())
        super().release(key, owner)


def test_an_aio_and_a_blocking_manager_share_a_token_through_a_file_store(
    tmp_path: Path, slow_server: SlowServer, errors_seen: list[str]
) -> None:
    slow_server.delay = 0.0
    configuration = zuora_client.Configuration(host=slow_server.url)
    aio_store, blocking_store = WatchedFileStore(tmp_path), WatchedFileStore(tmp_path)
    blocking = zuora_client.TokenManager(
        ZUORA_CLIENT_ID,
        "secret",
        api_client=zuora_client.ApiClient(configuration),
        store=blocking_store,
        store_key="shop-1",
    )

    async def main() -> tuple[str, str, str, threading.Thread]:
        async with zuora_aio.TokenManager(
            ZUORA_CLIENT_ID,
            "secret",
            api_client=zuora_aio.ApiClient(configuration),
            store=aio_store,
            store_key="shop-1",
            lease=5.0,
        ) as manager:
            assert manager.store is aio_store
            fetched = await manager.get_token()  # fetched, and written to the store
            shared = await asyncio.to_thread(blocking.get_token)  # read from the store
            await manager.invalidate(fetched)  # the store forgets it too
            renewed = await manager.get_token()
            await manager.api_client.close()
        return fetched, shared, renewed, threading.current_thread()

    fetched, shared, renewed, loop_thread = run_loop(main, errors_seen)
    blocking.close()

    assert fetched == shared == "token-1"
    assert renewed == "token-2"
    assert slow_server.count == 2  # the blocking manager sent nothing
    assert aio_store.threads and loop_thread not in aio_store.threads  # never on the loop
    assert errors_seen == []
