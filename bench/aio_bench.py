"""Item 9 of `make bench`: the packages' ``.aio`` classes.

- CPU per awaited call against the blocking call of the same package and against raw
  aiohttp sending the same request (and raw urllib3 run in a worker thread, the same
  I/O design as ``.aio`` without the package), one call at a time and 32 at once;
- ``import <package>.aio`` and the first use of its classes, in fresh interpreters;
- the event loop's lag while 200 calls wait on a server that answers after 1 s.

Each aio call is the documented call of bench/cases.py, the same method with the same
arguments on the aio API class: they are read off one blocking call.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import gc
import importlib
import json
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable
from pathlib import Path
from typing import Any, Callable

import urllib3
from cases import CASES, Case, capture, expected_token, make_raw_call
from measure import (
    NEUTRAL_CWD,
    Rounds,
    _top_level_imports,
    median,
    quartiles,
    round_orders,
    startup_modules,
)

try:
    import aiohttp
except ImportError:  # requirements-dev.txt has it; a bench without it leaves that side out
    aiohttp = None

#: Calls in flight at once in the concurrent rows.
CONCURRENCY = 32
#: The loop-lag scenario: calls in flight, the server's delay, the ticker's period.
LAG_CALLS, LAG_DELAY, TICK = 200, 1.0, 0.005
GOAL_LAG_P99_MS = 20.0

Batch = Callable[[int], Awaitable[None]]


def aio_call(case: Case, client: Any) -> Callable[[], Awaitable[Any]]:
    """The case's documented call on the aio API class: same method, same arguments."""
    seen: list[tuple[Any, dict[str, Any]]] = []

    class Recorder:
        def call_api(self, operation: Any, arguments: dict[str, Any], *_: Any) -> Any:
            seen.append((operation, dict(arguments)))
            raise LookupError  # recorded; nothing is sent

    try:
        case.make_call(case.module, Recorder())()
    except LookupError:
        pass
    operation, arguments = seen[0]
    api_class = type(arguments.pop("self")).__name__
    aio = importlib.import_module(f"{case.package}.aio")
    method = getattr(getattr(aio, api_class)(client), operation.name)
    return lambda: method(**arguments)


def aiohttp_call(session: Any, case: Case, host: str) -> Callable[[], Awaitable[Any]]:
    """The same POST (URL, headers, form) with aiohttp: send, check, read, json.loads."""
    from urllib.parse import urlencode

    request = capture(case, host)

    async def call() -> Any:
        body = urlencode(request.fields).encode("ascii")
        async with session.post(request.url, data=body, headers=request.headers) as response:
            if response.status != 200:
                raise RuntimeError(f"HTTP {response.status}")
            return json.loads(await response.read())

    return call


def sequential(call: Callable[[], Awaitable[Any]]) -> Batch:
    async def batch(calls: int) -> None:
        for _ in range(calls):
            await call()

    return batch


def at_once(call: Callable[[], Awaitable[Any]]) -> Batch:
    async def batch(calls: int) -> None:
        for _ in range(max(1, calls // CONCURRENCY)):
            await asyncio.gather(*(call() for _ in range(CONCURRENCY)))

    return batch


def blocking(call: Callable[[], Any]) -> Batch:
    async def batch(calls: int) -> None:
        for _ in range(calls):
            call()

    return batch


async def interleaved_async(sides: dict[str, Batch], calls: int, rounds: int) -> Rounds:
    """bench/measure.py's ``interleaved`` for batches awaited on the running loop:
    process CPU (worker threads included) and wall time per call."""
    for batch in sides.values():
        await batch(max(CONCURRENCY, calls // 5))
    names = list(sides)
    result = Rounds({name: [] for name in names}, {name: [] for name in names})
    for order in round_orders(names, rounds):
        for name in order:
            gc.collect()
            done = calls if not name.endswith("×32") else max(1, calls // CONCURRENCY) * CONCURRENCY
            cpu, wall = time.process_time(), time.perf_counter()
            await sides[name](calls)
            result.cpu[name].append((time.process_time() - cpu) / done)
            result.wall[name].append((time.perf_counter() - wall) / done)
    return result


async def bench_case(case: Case, host: str, calls: int, rounds: int) -> Rounds:
    aio = importlib.import_module(f"{case.package}.aio")
    blocking_client = case.make_client(case.module, host)
    aio_client = aio.ApiClient(blocking_client.configuration)
    raw = make_raw_call(urllib3.PoolManager(maxsize=CONCURRENCY), capture(case, host))
    workers = concurrent.futures.ThreadPoolExecutor(CONCURRENCY)
    loop = asyncio.get_running_loop()

    async def raw_in_thread() -> Any:
        return await loop.run_in_executor(workers, raw)

    call = aio_call(case, aio_client)
    token = expected_token(case)
    if (await call()).access_token != token or (await raw_in_thread())["access_token"] != token:
        raise AssertionError(f"{case.name}: a side did not get the expected token")
    sides: dict[str, Batch] = {
        "blocking": blocking(case.make_call(case.module, blocking_client)),
        "aio": sequential(call),
        "urllib3 in a thread": sequential(raw_in_thread),
        "aio ×32": at_once(call),
        "urllib3 in a thread ×32": at_once(raw_in_thread),
    }
    session = None
    if aiohttp is not None:
        session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=CONCURRENCY))
        raw_aiohttp = aiohttp_call(session, case, host)
        if (await raw_aiohttp())["access_token"] != token:
            raise AssertionError(f"{case.name}: aiohttp did not get the expected token")
        sides["aiohttp"] = sequential(raw_aiohttp)
        sides["aiohttp ×32"] = at_once(raw_aiohttp)
    try:
        return await interleaved_async(sides, calls, rounds)
    finally:
        if session is not None:
            await session.close()
        await aio_client.close()
        blocking_client.close()
        workers.shutdown()


def _ratio(result: Rounds, side: str, baseline: str) -> str:
    if baseline not in result.cpu:
        return "–"
    low, high = quartiles(result.ratios(side, baseline))
    return f"{result.ratio(side, baseline):.2f} ({low:.2f}–{high:.2f})"


def section_calls(host: str, calls: int, rounds: int, table: Callable[..., str]) -> str:
    results = {case.name: asyncio.run(bench_case(case, host, calls, rounds)) for case in CASES}
    rows = []
    for name, result in results.items():
        cpu = {side: result.cpu_median(side) * 1e6 for side in result.cpu}
        rows.append([
            name,
            f"{cpu['blocking']:.1f}",
            f"{cpu['aio']:.1f}",
            f"{cpu['urllib3 in a thread']:.1f}",
            f"{cpu['aiohttp']:.1f}" if "aiohttp" in cpu else "–",
            _ratio(result, "aio", "blocking"),
            _ratio(result, "aio", "aiohttp"),
            _ratio(result, "aio", "urllib3 in a thread"),
            f"{cpu['aio ×32']:.1f}",
            f"{cpu['aiohttp ×32']:.1f}" if "aiohttp ×32" in cpu else "–",
            _ratio(result, "aio ×32", "aiohttp ×32"),
            _ratio(result, "aio ×32", "urllib3 in a thread ×32"),
            f"{result.wall_median('aio ×32') * 1e6:.1f}",
        ])
    headers = [
        "package", "blocking CPU µs/call", "aio", "raw urllib3 in a thread", "raw aiohttp",
        "aio / blocking (IQR)", "aio / aiohttp", "aio / urllib3 in a thread",
        f"aio ×{CONCURRENCY} CPU µs/call", f"aiohttp ×{CONCURRENCY}",
        f"aio ×{CONCURRENCY} / aiohttp ×{CONCURRENCY}", "aio / urllib3 thread, both ×32",
        f"aio ×{CONCURRENCY} wall µs/call",
    ]
    version = f"aiohttp {aiohttp.__version__}" if aiohttp is not None else "aiohttp not installed"
    return (
        "## 9. asyncio: `<package>.aio`\n\n"
        "### 9a. CPU per awaited call\n\n"
        "Client-process CPU (`time.process_time`, worker threads included) per documented call"
        " against bench/server.py (another process, keep-alive), awaited on one event loop:"
        f" one call at a time, and {CONCURRENCY} at once (`asyncio.gather`); {calls} calls per"
        f" batch, median of {rounds} rounds, sides interleaved as in item 1; ratios are medians"
        " of per-round ratios (IQR). Sides: the blocking call of the package; its `.aio` call"
        " (the request loop of the blocking client driven with awaits, the urllib3 send in one"
        " of the client's worker threads); raw urllib3 (item 1's raw side) run in a"
        f" `ThreadPoolExecutor` of {CONCURRENCY}, which is the same I/O design without the"
        f" package; and raw {version} sending the same request (URL, headers, urlencoded form,"
        " status check, `json.loads`), an asyncio-native client.\n\n"
        + table(headers, rows) + "\n"
    )


_IMPORT_CODE = {
    "package": "import {package}",
    "package.aio": "import {package}.aio",
    "asyncio + package": "import asyncio\nfrom {package} import ApiClient, TokenManager",
    "asyncio + aio classes": "import asyncio\nfrom {package}.aio import ApiClient, TokenManager",
}


def _import_us(code: str, startup: set[str]) -> int:
    run = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", code],
        capture_output=True, text=True, check=True, cwd=NEUTRAL_CWD,
    )
    found = _top_level_imports(run.stderr)
    return sum(us for name, us in found.items() if name not in startup)


def section_imports(rounds: int, table: Callable[..., str]) -> str:
    """Each pair (the package / its aio; asyncio + the package / asyncio + the aio
    classes) measured side by side in every round, in alternating order: per-round
    ratios and differences, medians."""
    startup = startup_modules()
    pairs = (("package", "package.aio"), ("asyncio + package", "asyncio + aio classes"))
    rows = []
    for case in CASES:
        ms: dict[str, list[float]] = {key: [] for key in _IMPORT_CODE}
        for round_number in range(rounds + 1):  # the first round warms the file cache
            for base, own in pairs:
                order = (base, own) if round_number % 2 else (own, base)
                for key in order:
                    elapsed = _import_us(_IMPORT_CODE[key].format(package=case.package), startup)
                    if round_number:
                        ms[key].append(elapsed / 1000)
        row = [case.package]
        for base, own in pairs:
            ratios = [a / b for a, b in zip(ms[own], ms[base])]
            low, high = quartiles(ratios)
            added = median([a - b for a, b in zip(ms[own], ms[base])])
            row += [
                f"{median(ms[base]):.2f}", f"{median(ms[own]):.2f}",
                f"{median(ratios):.2f} ({low:.2f}–{high:.2f})", f"{added:+.2f}",
            ]
        rows.append(row)
    headers = [
        "package", "`import <package>` ms", "`import <package>.aio` ms", "ratio (IQR)",
        "aio adds ms", "`import asyncio` + `from <package> import ApiClient, TokenManager` ms",
        "`import asyncio` + `from <package>.aio import ApiClient, TokenManager` ms",
        "ratio (IQR)", "the aio classes add ms",
    ]
    return (
        "### 9b. Import time\n\n"
        "Cumulative `-X importtime` of fresh interpreters (what the interpreter imports at"
        f" startup left out); {rounds} rounds after a warm-up one, each pair side by side in"
        " alternating order; medians of the times, of the per-round ratios (IQR) and of the"
        " per-round differences. `import <package>.aio` imports its names on first use, so it"
        " costs what `import <package>` does; the aio classes need asyncio, which an asyncio"
        " program has imported already: the last columns compare them with the blocking"
        " classes of the same names in such a program.\n\n"
        + table(headers, rows) + "\n"
    )


class SlowTokenServer:
    """bench/server.py with ``--delay``: answers each request after that many seconds."""

    def __enter__(self) -> str:
        self.process = subprocess.Popen(
            [sys.executable, str(Path(__file__).with_name("server.py")), "--delay", str(LAG_DELAY)],
            stdout=subprocess.PIPE, text=True,
        )
        assert self.process.stdout is not None
        port = self.process.stdout.readline().split()[1]
        return f"http://127.0.0.1:{port}"

    def __exit__(self, *_exc: object) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


async def _lag_run(calls: Callable[[], Awaitable[Any]]) -> tuple[list[float], float]:
    """The ticker's lags (seconds) while ``calls`` runs, and how long it took."""
    stop, lags = asyncio.Event(), []

    async def tick() -> None:
        while not stop.is_set():
            asked = time.perf_counter()
            await asyncio.sleep(TICK)
            lags.append(time.perf_counter() - asked - TICK)

    ticker = asyncio.create_task(tick())
    await asyncio.sleep(0.05)
    started = time.perf_counter()
    await calls()
    elapsed = time.perf_counter() - started
    stop.set()
    await ticker
    return lags, elapsed


async def _lag_aio(host: str) -> tuple[list[float], float]:
    import zuora_client
    from zuora_client import aio

    configuration = zuora_client.Configuration(
        host=host, connection_pool_maxsize=LAG_CALLS, retries=0
    )
    async with aio.ApiClient(configuration) as client:
        call = aio_call(next(case for case in CASES if case.name == "zuora"), client)
        return await _lag_run(lambda: asyncio.gather(*(call() for _ in range(LAG_CALLS))))


async def _lag_aiohttp(host: str) -> tuple[list[float], float]:
    assert aiohttp is not None
    case = next(case for case in CASES if case.name == "zuora")
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=LAG_CALLS)) as session:
        call = aiohttp_call(session, case, host)
        return await _lag_run(lambda: asyncio.gather(*(call() for _ in range(LAG_CALLS))))


def section_lag(runs: int, table: Callable[..., str]) -> str:
    rows = []
    sides = {"zuora_client.aio": _lag_aio}
    if aiohttp is not None:
        sides["raw aiohttp"] = _lag_aiohttp
    with SlowTokenServer() as host:
        for name, side in sides.items():
            p99s, p50s, maxima, elapsed = [], [], [], []
            for _ in range(runs):
                lags, took = asyncio.run(side(host))
                p99s.append(statistics.quantiles(lags, n=100)[98] * 1000)
                p50s.append(statistics.median(lags) * 1000)
                maxima.append(max(lags) * 1000)
                elapsed.append(took)
            typical = median(p99s)
            rows.append([
                name, f"{median(p50s):.2f}", f"{typical:.2f}", f"{max(p99s):.2f}",
                f"{max(maxima):.1f}", f"{median(elapsed):.2f}",
                ("met" if typical <= GOAL_LAG_P99_MS else "**MISSED**") if name.endswith("aio") else "",
            ])
    headers = [
        "client", "p50 lag ms", "p99 lag ms (median run)", "p99 lag ms (worst run)",
        "max lag ms", f"{LAG_CALLS} calls took s", f"verdict (p99 ≤ {GOAL_LAG_P99_MS:.0f} ms)",
    ]
    return (
        "### 9c. Event-loop lag with 200 calls in flight\n\n"
        f"{LAG_CALLS} token calls at once (`connection_pool_maxsize={LAG_CALLS}`) against"
        f" bench/server.py answering each after {LAG_DELAY:.0f} s (another process); a ticker"
        f" task asks to wake every {TICK * 1000:.0f} ms and records how late it wakes, from just"
        f" before the first call to the last answer. {runs} runs each; the verdict is on the"
        " median run, as every figure of this report is a median (the worst run shows what"
        " other processes on the machine can add).\n\n"
        + table(headers, rows) + "\n"
    )


def section(host: str, quick: bool, table: Callable[..., str]) -> str:
    calls, rounds = (64, 5) if quick else (320, 11)
    return "\n".join([
        section_calls(host, calls, rounds, table),
        section_imports(3 if quick else 9, table),
        section_lag(2 if quick else 5, table),
    ])
