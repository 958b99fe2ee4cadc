"""`make bench`: how the four packages compare with raw urllib3, and how fast generation is.

The CyberSource Node.js package is measured against raw node:http by bench/node_bench.js,
run from here against the same token server (item 6b). The `.aio` classes are measured
against the blocking calls and raw aiohttp by bench/aio_bench.py (item 9).

Prints a markdown report and writes it to bench/results.md. Every figure is a median
over repeated rounds; every ratio compares two sides measured in the same run, in
alternating rounds, so machine noise hits both. Run with the .venv interpreter, after
`make install`: the installed packages are what is measured.

    .venv/bin/python bench/run.py [--quick] [--skip-generation] [--no-profile]
    .venv/bin/python bench/run.py --only-synthetic [--quick]   # item 3b alone, printed only
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import Any, Callable

import aio_bench
import urllib3
from cases import (
    CASES,
    Case,
    MemorySockets,
    capture,
    expected_token,
    make_raw_call,
    make_raw_call_as_the_package_sends,
    stub_package_pool,
    stub_pool_request,
)
from measure import (
    REPO,
    Rounds,
    cached_call_ns,
    fresh_interpreter_rounds,
    hotspots,
    import_time_us,
    installed_matches_generated,
    installed_size,
    interleaved,
    measure_generation,
    median,
    paired_interpreter_rounds,
    quartiles,
    rss_after_import_kb,
    startup_modules,
)
from stores import section_stores
from synthetic_spec import write_spec

RESULTS = Path(__file__).resolve().parent / "results.md"
FOLDERS = {
    "CyberSource": "cybersource",
    "pandadoc_client": "pandadoc",
    "criteo_api_retailmedia_v2022_10": "criteo-retailmedia-v2022-10",
    "zuora_client": "zuora",
}

GOAL_CALL_RATIO = 1.10
GOAL_STUB_RATIO = 1.5
GOAL_IMPORT_RATIO = 1.15
GOAL_SYNTHETIC_IMPORT_RATIO = 1.3
SYNTHETIC_OPERATIONS = 60
GOAL_RSS_DELTA_KB = 2 * 1024
GOAL_SIZE_BYTES = 300_000
GOAL_REGENERATE_S = 10.0
GOAL_NOOP_S = 1.0
GOAL_GET_TOKEN_NS = 2000.0
GOAL_NODE_CALL_RATIO = 1.10
GOAL_NODE_REQUIRE_MS = 15.0
#: Cached Node getToken() with a token store: at most this much slower than without (ns).
GOAL_NODE_STORE_CACHED_EXTRA_NS = 2000.0


@dataclass(frozen=True)
class Settings:
    rounds: int
    socket_rounds: int
    socket_calls: int
    memory_calls: int
    stub_calls: int
    interpreter_rounds: int
    generation_runs: int
    noop_runs: int
    get_token_calls: int
    profile_calls: int


FULL = Settings(15, 31, 200, 500, 2000, 21, 3, 7, 100_000, 3000)
QUICK = Settings(5, 5, 50, 100, 300, 5, 1, 3, 20_000, 500)


def verdict(ok: bool) -> str:
    return "met" if ok else "**MISSED**"


def table(headers: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def section(title: str, note: str, headers: list[str], rows: list[list[str]]) -> str:
    """A section of bench/results.md: its title, what was measured, and the table."""
    return f"## {title}\n\n{note}\n\n{table(headers, rows)}\n"


def us(seconds: float) -> str:
    return f"{seconds * 1e6:.1f}"


class TokenServer:
    """bench/server.py in a child process; stopped by its own handle."""

    def __enter__(self) -> str:
        self.process = subprocess.Popen(
            [sys.executable, str(Path(__file__).with_name("server.py"))],
            stdout=subprocess.PIPE, text=True,
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline().split()
        if len(line) != 2 or line[0] != "PORT":
            self.process.kill()
            raise RuntimeError("the token server did not start")
        return f"http://127.0.0.1:{line[1]}"

    def __exit__(self, *_exc: object) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


def _check(case: Case, package_call: Any, raw_call: Any) -> None:
    token = expected_token(case)
    if package_call().access_token != token or raw_call()["access_token"] != token:
        raise AssertionError(f"{case.name}: a side did not get the expected token")


def bench_socket(case: Case, host: str, settings: Settings) -> Rounds:
    """Item 1: both sides over real keep-alive connections to the server process."""
    client = case.make_client(case.module, host)
    package_call = case.make_call(case.module, client)
    request = capture(case, host)
    raw_call = make_raw_call(urllib3.PoolManager(), request)
    _check(case, package_call, raw_call)
    sides = {
        "package": package_call,
        "raw": raw_call,
        "raw as sent": make_raw_call_as_the_package_sends(request),
    }
    try:
        return interleaved(sides, settings.socket_calls, settings.socket_rounds, warmup=20)
    finally:
        client.close()


def bench_memory_socket(case: Case, host: str, settings: Settings) -> Rounds:
    """Item 2a: the TCP socket replaced by an in-memory one; urllib3 and http.client run."""
    request = capture(case, host)
    with MemorySockets():
        client = case.make_client(case.module, host)
        package_call = case.make_call(case.module, client)
        raw_call = make_raw_call(urllib3.PoolManager(), request)
        _check(case, package_call, raw_call)
        sides = {"package": package_call, "raw": raw_call}
        return interleaved(sides, settings.memory_calls, settings.rounds, warmup=50)


def stubbed_sides(case: Case, host: str) -> tuple[Any, Any]:
    """Both sides with their urllib3 call answering a canned urllib3.HTTPResponse: the
    package's pool ``urlopen``, the raw side's ``PoolManager.request``."""
    request = capture(case, host)
    client = case.make_client(case.module, host)
    stub_package_pool(client, host, case.path)
    pool = urllib3.PoolManager()
    stub_pool_request(pool, case.path)
    package_call = case.make_call(case.module, client)
    raw_call = make_raw_call(pool, request)
    _check(case, package_call, raw_call)
    return package_call, raw_call


def bench_stubbed(case: Case, host: str, settings: Settings) -> Rounds:
    """Item 2b: only the package's own Python work vs urlencode + json.loads."""
    package_call, raw_call = stubbed_sides(case, host)
    sides = {"package": package_call, "raw": raw_call}
    return interleaved(sides, settings.stub_calls, settings.rounds, warmup=200)


def section_calls(title: str, note: str, results: dict[str, Rounds], goal: float) -> str:
    as_sent = all("raw as sent" in result.cpu for result in results.values())
    rows = []
    for name, result in results.items():
        package, raw = result.cpu_median("package"), result.cpu_median("raw")
        ratios = result.ratios("package")
        row = [
            name,
            us(package),
            us(raw),
            f"{result.ratio():.2f}",
            "{:.2f}–{:.2f}".format(*quartiles(ratios)),
            verdict(result.ratio() <= goal),
            f"{(package - raw) * 1e6:+.1f}",
            us(result.wall_median("package")),
            us(result.wall_median("raw")),
        ]
        if as_sent:
            row += [
                us(result.cpu_median("raw as sent")),
                f"{result.ratio('package', 'raw as sent'):.2f}",
            ]
        rows.append(row)
    headers = [
        "package", "package CPU µs/call", "raw urllib3 CPU µs/call", f"ratio (goal ≤ {goal:.2f})",
        "ratio IQR", "verdict", "package extra CPU µs", "package wall µs", "raw wall µs",
    ]
    if as_sent:
        headers += ["raw sent as the package sends CPU µs", "package / that"]
    return section(title, note, headers, rows)


def recording_import_time(
    startup: set[str], runs: dict[str, list[float]]
) -> Callable[[str], float]:
    """``import_time_us`` of a module that also records each run of the modules in ``runs``."""

    def measure(module: str) -> float:
        elapsed = float(import_time_us(module, startup))
        if module in runs:
            runs[module].append(elapsed)
        return elapsed

    return measure


def section_imports(settings: Settings) -> str:
    startup = startup_modules()
    packages = [case.package for case in CASES]
    own_runs: dict[str, list[float]] = {package: [] for package in packages}
    measure = recording_import_time(startup, own_runs)

    baseline_runs, ratios = paired_interpreter_rounds(
        "urllib3", packages, settings.interpreter_rounds, measure
    )
    rows = [["urllib3", f"{median(baseline_runs) / 1000:.2f}", "1.00", "", "(baseline)"]]
    for package in packages:
        ratio = median(ratios[package])
        low, high = quartiles(ratios[package])
        rows.append([
            package, f"{median(own_runs[package]) / 1000:.2f}", f"{ratio:.2f}",
            f"{low:.2f}–{high:.2f}", verdict(ratio <= GOAL_IMPORT_RATIO),
        ])
    headers = [
        "import", "cumulative ms", f"ratio to urllib3 (goal ≤ {GOAL_IMPORT_RATIO})", "ratio IQR",
        "verdict",
    ]
    return section(
        "3. Import time in a fresh interpreter",
        f"`python -X importtime -c \"import <module>\"`: cumulative µs of the top-level import(s)"
        f" beyond interpreter start-up. {settings.interpreter_rounds} rounds; in each, every"
        " package is imported in a fresh interpreter right next to a fresh `import urllib3`"
        " (order alternating), and the ratio is the median of those pairs' ratios. The"
        " package's import includes urllib3's.",
        headers,
        rows,
    )


def generate_synthetic(root: Path, package: str) -> Path:
    """bench/synthetic_spec.py's spec generated with our templates into ``root/out``."""
    import yaml

    spec = write_spec(root, SYNTHETIC_OPERATIONS)
    config = yaml.safe_load((REPO / "openapi" / "python-common.yaml").read_text(encoding="utf-8"))
    config.update(
        inputSpec=str(spec), outputDir="out", templateDir=str(REPO / "templates" / "python"),
        additionalProperties={
            "packageName": package, "projectName": package.replace("_", "-"),
            "packageVersion": "0.0.1", "repoFolder": "out",
        },
    )
    (root / "synthetic-python.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")
    subprocess.run(
        [sys.executable, str(REPO / "scripts" / "generate.py"), "--root", str(root),
         "synthetic-python.yaml"],
        cwd=root, capture_output=True, check=True,
    )
    return root / "out"


def section_synthetic(settings: Settings) -> str:
    """Item 3b: a 60-operation package's import next to urllib3's, and its generation time."""
    package = "synthetic_client"
    generation_s: list[float] = []
    with tempfile.TemporaryDirectory(prefix="tokenworks-bench-synthetic-") as tmp_name:
        for run in range(settings.generation_runs):
            root = Path(tmp_name) / f"run{run}"
            started = time.perf_counter()
            out = generate_synthetic(root, package)
            generation_s.append(time.perf_counter() - started)
        operations = sum(
            path.read_text(encoding="utf-8").count("] = Operation(")
            for path in (out / package / "api").glob("*_api.py")
        )
        modules = len(list((out / package / "api").glob("*_api.py")))
        models = len(list((out / package / "model").glob("*.py"))) - 1
        # Byte-compiled, as pip installs a package (PYTHONDONTWRITEBYTECODE may be set).
        subprocess.run([sys.executable, "-m", "compileall", "-q", str(out)], check=True)
        startup = startup_modules()
        old_path = os.environ.get("PYTHONPATH")
        os.environ["PYTHONPATH"] = str(out)  # the fresh interpreters find the package there
        # A token package beside it, in the same rounds: the import should not grow.
        compared = [package, "zuora_client"]
        own: dict[str, list[float]] = {module: [] for module in compared}
        measure = recording_import_time(startup, own)

        try:
            baseline_runs, ratios = paired_interpreter_rounds(
                "urllib3", compared, settings.interpreter_rounds, measure
            )
        finally:
            if old_path is None:
                del os.environ["PYTHONPATH"]
            else:
                os.environ["PYTHONPATH"] = old_path
    rows = [["`import urllib3`", f"{median(baseline_runs) / 1000:.2f}", "1.00", "", "(baseline)"]]
    for module in compared:
        ratio = median(ratios[module])
        low, high = quartiles(ratios[module])
        rows.append([
            f"`import {module}`", f"{median(own[module]) / 1000:.2f}", f"{ratio:.2f}",
            f"{low:.2f}–{high:.2f}",
            verdict(ratio <= GOAL_SYNTHETIC_IMPORT_RATIO) if module == package else "(token package)",
        ])
    headers = [
        "import", "cumulative ms", f"ratio to urllib3 (goal ≤ {GOAL_SYNTHETIC_IMPORT_RATIO})",
        "ratio IQR", "verdict",
    ]
    return section(
        "3b. Import time of a large package",
        f"bench/synthetic_spec.py writes a spec of {SYNTHETIC_OPERATIONS} operations; generated"
        f" with our templates (scripts/generate.py, ruff pass included) it has {operations}"
        f" operations in {modules} API modules and {models} model modules. Generation took"
        f" {median(generation_s):.2f} s wall (median of {len(generation_s)}). Its import is"
        f" measured as in item 3 ({settings.interpreter_rounds} paired rounds): API and model"
        " modules load on first use, so it should cost what a token package's import costs"
        " (zuora_client, measured in the same rounds).",
        headers,
        rows,
    )


def section_memory(settings: Settings) -> str:
    modules = ["urllib3", *(case.package for case in CASES)]
    runs = fresh_interpreter_rounds(modules, settings.interpreter_rounds, rss_after_import_kb)
    base_rss = median([rss for rss, _ in runs["urllib3"]])
    rows = [["urllib3", f"{base_rss / 1024:.2f}", "", "(baseline)", "", "", ""]]
    for case in CASES:
        deltas = [rss - base for (rss, _), (base, _) in zip(runs[case.package], runs["urllib3"])]
        delta = median(deltas)
        source, cached = installed_size(case.package)
        rows.append([
            case.package,
            f"{median([rss for rss, _ in runs[case.package]]) / 1024:.2f}",
            f"{delta / 1024:+.2f}",
            verdict(delta <= GOAL_RSS_DELTA_KB),
            f"{source / 1000:.1f}",
            f"{cached / 1000:.1f}",
            verdict(cached < GOAL_SIZE_BYTES),
        ])
    headers = [
        "import", "VmRSS after import (MiB)", "Δ vs urllib3 (MiB, goal ≤ +2)", "verdict",
        "installed kB, no __pycache__", "installed kB, with __pycache__", "verdict (< 300 kB)",
    ]
    return section(
        "4. Memory after import, installed size",
        f"VmRSS of a fresh interpreter right after the import (median of"
        f" {settings.interpreter_rounds}); Δ is the median of per-round differences. Size: the"
        " installed package directory in site-packages (1 kB = 1000 bytes); the size verdict"
        " uses the larger, with __pycache__.",
        headers,
        rows,
    )


def section_generation(settings: Settings) -> str:
    result = measure_generation(settings.generation_runs, settings.noop_runs)
    regenerate, noop = median(result.regenerate_s), median(result.noop_s)
    rows = [
        [
            "`make regenerate` (all four packages, one JVM, ruff pass)", f"{regenerate:.2f}",
            f"{min(result.regenerate_s):.2f}", f"{max(result.regenerate_s):.2f}",
            f"{median(result.regenerate_cpu_s):.2f}", str(len(result.regenerate_s)),
            f"≤ {GOAL_REGENERATE_S:.0f}", verdict(regenerate <= GOAL_REGENERATE_S),
        ],
        [
            "no-op `make generate`", f"{noop:.3f}", f"{min(result.noop_s):.3f}",
            f"{max(result.noop_s):.3f}", f"{median(result.noop_cpu_s):.3f}",
            str(len(result.noop_s)), f"≤ {GOAL_NOOP_S:.0f}", verdict(noop <= GOAL_NOOP_S),
        ],
    ]
    headers = [
        "what", "median wall s", "min s", "max s", "median CPU s (make + children)", "runs",
        "goal (wall) s", "verdict",
    ]
    if result.differing:
        shown = ", ".join(result.differing[:5]) + (" …" if len(result.differing) > 5 else "")
        same = f"{len(result.differing)} file(s) differ from the repository's generated/: {shown}"
    else:
        same = "identical to the repository's generated/"
    return section(
        "5. Generation",
        "Wall time, in a scratch copy of openapi/, templates/, scripts/, ruff.toml and the Makefile with a"
        f" symlink to .venv (the repository is not written). Output of the scratch run: {same}."
        f" The no-op run said: `{result.noop_output or '(nothing)'}`.",
        headers,
        rows,
    )


def section_get_token(host: str, settings: Settings, socket_results: dict[str, Rounds]) -> str:
    rows = []
    for case in CASES:
        client = case.make_client(case.module, host)
        manager = case.make_manager(case.module, client)
        if manager.get_token() != expected_token(case):
            raise AssertionError(f"{case.name}: TokenManager got an unexpected token")
        cached = cached_call_ns(manager.get_token, settings.get_token_calls, settings.rounds)
        client.close()
        request = socket_results[case.name]
        wall, cpu = request.wall_median("package"), request.cpu_median("package")
        rows.append([
            case.name, f"{cached:.0f}", verdict(cached < GOAL_GET_TOKEN_NS), us(wall), us(cpu),
            f"{wall * 1e9 / cached:,.0f}×",
        ])
    headers = [
        "package", "cached get_token() ns/call (goal < 2000)", "verdict",
        "one token request, wall µs (item 1)", "CPU µs (item 1)", "request / cached",
    ]
    return section(
        "6. Cached `TokenManager.get_token()`",
        f"`time.perf_counter` over {settings.get_token_calls:,} calls after one real fetch,"
        f" median of {settings.rounds} rounds, next to one token request of item 1.",
        headers,
        rows,
    )


def section_node(host: str, quick: bool) -> str:
    """The Node.js package against raw node:http, measured by bench/node_bench.js."""
    title = "## 6b. The CyberSource Node.js package against raw `node:http`\n\n"
    if shutil.which("node") is None:
        return title + "Skipped: `node` is not installed.\n"
    command = ["node", str(Path(__file__).with_name("node_bench.js")), host]
    result = json.loads(subprocess.run(
        command + (["--quick"] if quick else []), capture_output=True, text=True, check=True
    ).stdout)
    call, required = result["call"], result["require"]
    rows = [
        [
            "CPU per documented call (Promise form)", f"{call['package_cpu_us']:.1f} µs",
            f"{call['raw_cpu_us']:.1f} µs", f"{call['ratio']:.2f}",
            "{:.2f}–{:.2f}".format(*call["ratio_iqr"]), f"≤ {GOAL_NODE_CALL_RATIO:.2f}",
            verdict(call["ratio"] <= GOAL_NODE_CALL_RATIO),
        ],
        [
            "`require()` in a fresh process", f"{required['package_ms']:.2f} ms",
            f"{required['http_https_ms']:.2f} ms", f"{required['delta_ms']:+.2f} ms",
            "{:+.2f}–{:+.2f}".format(*required["delta_iqr"]), f"≤ +{GOAL_NODE_REQUIRE_MS:.0f} ms",
            verdict(required["delta_ms"] <= GOAL_NODE_REQUIRE_MS),
        ],
    ]
    rows.append([
        "(raw `http` with a 30 s socket timeout)", "",
        f"{call['raw_timeout_cpu_us']:.1f} µs", f"{call['ratio_to_raw_timeout']:.2f}", "", "", "",
    ])
    cached = result["cached"]
    for store in ("memory", "file"):
        extra = cached[f"{store}_extra_ns"]
        rows.append([
            f"cached `getToken()` with {store.capitalize()}TokenStore",
            f"{cached[f'{store}_ns']:.0f} ns", f"{cached['none_ns']:.0f} ns (no store)",
            f"{extra / 1000:+.2f} µs", "", f"≤ +{GOAL_NODE_STORE_CACHED_EXTRA_NS / 1000:.0f} µs",
            verdict(extra <= GOAL_NODE_STORE_CACHED_EXTRA_NS),
        ])
    headers = ["what", "package", "raw `http` / `http`+`https`", "ratio / difference", "IQR",
               "goal", "verdict"]
    return (
        title
        + f"Node {result['node']}, `bench/node_bench.js`. Call: client-process CPU"
        " (`process.cpuUsage`) per `createAccessToken` over a keep-alive connection to the"
        " same token server, against the same POST sent by `http.request` (form encoded per"
        " call) + status check + `JSON.parse`, each side on a keep-alive agent of its own. The"
        " sides take turns call by call (a busy machine slows them alike), in an order that"
        f" rotates and reverses; {call['calls']} calls per side and round, median of"
        f" {call['rounds']} per-round ratios. The row in parentheses: the raw side with a 30 s socket"
        " timeout, as a Node user would set one. `require()`: wall time of"
        " requiring the package in a fresh `node`, next to a fresh `node` that requires only"
        f" `http` and `https` (median of {required['rounds']} pairs' differences). Cached"
        " `getToken()`: wall time per `await manager.getToken()` of a manager holding a fresh"
        f" token, {cached['calls']:,} calls per side and round, the sides taking turns, median of"
        f" {cached['rounds']} per-round differences to the manager without a store (a fresh token"
        " is served from memory: the store is not read).\n\n"
        + table(headers, rows) + "\n"
    )


def section_hotspots(host: str, settings: Settings, cases: list[Case]) -> str:
    parts = [
        (
            "## Where the package's time goes\n\n"
            "cProfile of the documented call with its urllib3 call stubbed (item 2b), own time"
            " per call of the top functions (cProfile inflates small functions; compare the"
            " shares, not the absolute figures).\n"
        )
    ]
    for case in cases:
        package_call, _raw = stubbed_sides(case, host)
        total, rows = hotspots(package_call, settings.profile_calls, case.package, top=12)
        lines = [
            [label.replace("|", "\\|"), f"{own:.2f}", f"{share:.0%}", f"{cumulative:.2f}"]
            for label, own, share, cumulative in rows
        ]
        parts.append(
            f"### {case.package} ({total:.1f} µs/call under the profiler)\n\n"
            + table(["function", "own µs/call", "share of own time", "cumulative µs/call"], lines)
            + "\n"
        )
    return "\n".join(parts)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer rounds, for a smoke run")
    parser.add_argument("--skip-generation", action="store_true", help="leave out item 5")
    parser.add_argument("--no-profile", action="store_true", help="leave out the hotspot tables")
    parser.add_argument("--output", type=Path, default=RESULTS, help="where to write the report")
    parser.add_argument(
        "--only-synthetic", action="store_true", help="run item 3b alone and print it"
    )
    parser.add_argument("--only-aio", action="store_true", help="run item 9 alone and print it")
    args = parser.parse_args()
    settings = QUICK if args.quick else FULL
    if args.only_synthetic:
        print(section_synthetic(settings), flush=True)
        return 0
    if args.only_aio:
        with TokenServer() as host:
            print(aio_bench.section(host, args.quick, table), flush=True)
        return 0
    started = time.perf_counter()

    stale = [p for p, folder in FOLDERS.items() if not installed_matches_generated(p, folder)]
    header = [
        "# Benchmark: generated token clients vs raw urllib3\n",
        (
            f"Python {platform.python_version()}, urllib3 {version('urllib3')},"
            f" {platform.machine()}, {len(os.sched_getaffinity(0))} CPU(s);"
            f" {time.strftime('%Y-%m-%d %H:%M %Z')}; {'quick' if args.quick else 'full'} run;"
            f" load average at start {os.getloadavg()[0]:.2f}."
        ),
    ]
    if stale:
        header.append(
            f"\n**Warning:** installed {', '.join(stale)} differ(s) from generated/: run"
            " `make install` first."
        )
    sections: dict[str, str] = {"0": "\n".join(header) + "\n"}

    def emit(key: str, text: str) -> None:
        sections[key] = text  # the report keeps the items in order, whatever ran first
        print(text, flush=True)

    print(sections["0"], flush=True)
    # Fresh interpreters first, while no server process shares the CPUs.
    emit("3", section_imports(settings))
    emit("3b", section_synthetic(settings))
    emit("4", section_memory(settings))
    with TokenServer() as host:
        socket_results = {case.name: bench_socket(case, host, settings) for case in CASES}
        emit("1", section_calls(
            "1. Token call over a local keep-alive HTTP/1.1 server (another process)",
            f"Client-process CPU (`time.process_time`) per documented call, {settings.socket_calls}"
            f" calls per batch, median of {settings.socket_rounds} rounds; every round times each"
            " side once, in an order that rotates and reverses from round to round. The ratio is"
            " the median of per-round ratios (IQR: their interquartile range). Raw side: the same"
            " POST (URL, headers, urlencoded form) with a default `urllib3.PoolManager` + status"
            " check + `json.loads`. Last two columns: a third side, raw urllib3 sending the way the"
            " package does, which isolates the package's own work: straight to the origin's"
            " `HTTPConnectionPool.urlopen` (the package keeps one pool per origin and skips"
            " PoolManager's per-request pool lookup, which costs default urllib3 about 30 µs),"
            " pool of 10 with block=True, 10 s/30 s timeout (a socket timeout makes CPython poll"
            " before each send and receive: system calls default urllib3 does not make),"
            " retries and redirects off.",
            socket_results, GOAL_CALL_RATIO,
        ))
        memory_results = {case.name: bench_memory_socket(case, host, settings) for case in CASES}
        emit("2a", section_calls(
            "2a. Socket layer stubbed: in-memory socket",
            "urllib3's `HTTPConnection._new_conn` returns an in-memory socket that replays the"
            " server's exact answer bytes, for both sides: urllib3, http.client, the package and"
            f" `json.loads` all run, no system calls but one poll. {settings.memory_calls} calls"
            f" per batch, median of {settings.rounds} rounds, sides interleaved as in item 1.",
            memory_results, GOAL_STUB_RATIO,
        ))
        stub_results = {case.name: bench_stubbed(case, host, settings) for case in CASES}
        emit("2b", section_calls(
            "2b. Transport stubbed: the urllib3 call returns a canned response",
            "Both sides' urllib3 call (the package's `HTTPConnectionPool.urlopen`, the raw side's"
            " `PoolManager.request`) returns the same prebuilt `urllib3.HTTPResponse`"
            " (status, reason, headers, body): only the package's own Python work is compared"
            f" with urlencode + status check + `json.loads`. {settings.stub_calls} calls per"
            f" batch, median of {settings.rounds} rounds, sides interleaved as in item 1."
            " The package does not call urlencode: its generated request builder checks each"
            " argument and its `form_body` takes unreserved-only text as it is (quote_plus for"
            " the rest); the bench checks that both sides send the same body bytes.",
            stub_results, GOAL_STUB_RATIO,
        ))
        emit("6", section_get_token(host, settings, socket_results))
        emit("6b", section_node(host, args.quick))
        emit("6c", section_stores(settings.get_token_calls, settings.rounds, args.quick))
        emit("9", aio_bench.section(host, args.quick, table))
        if not args.no_profile:
            emit("7", section_hotspots(host, settings, list(CASES)))
    if not args.skip_generation:
        emit("5", section_generation(settings))
    emit("8", (
        f"_Total benchmark time: {time.perf_counter() - started:.0f} s; load average at the end"
        f" {os.getloadavg()[0]:.2f} (other processes share the CPUs: CPU-time ratios hold up"
        " better than wall times)._\n"
    ))
    args.output.write_text("\n".join(sections[key] for key in sorted(sections)), encoding="utf-8")
    print(f"written to {args.output.relative_to(REPO) if args.output.is_relative_to(REPO) else args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
