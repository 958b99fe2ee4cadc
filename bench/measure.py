"""Measurements: paired call timings, fresh-interpreter imports, sizes, generation, profiles."""

from __future__ import annotations

import cProfile
import gc
import importlib.util
import os
import pstats
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

REPO = Path(__file__).resolve().parent.parent
NEUTRAL_CWD = tempfile.gettempdir()  # so `python -c` finds nothing from the repo on sys.path


def median(values: list[float]) -> float:
    return statistics.median(values)


def quartiles(values: list[float]) -> tuple[float, float]:
    """The first and third quartile (the interquartile range's ends)."""
    ordered = sorted(values)
    return ordered[len(ordered) // 4], ordered[(3 * len(ordered)) // 4]


@dataclass
class Rounds:
    """Per-call costs of several sides timed in the same rounds, each round in a new order."""

    cpu: dict[str, list[float]]
    wall: dict[str, list[float]]

    def ratios(self, side: str, baseline: str = "raw") -> list[float]:
        return [a / b for a, b in zip(self.cpu[side], self.cpu[baseline])]

    def ratio(self, side: str = "package", baseline: str = "raw") -> float:
        """Median over rounds of side CPU / baseline CPU within the same round."""
        return median(self.ratios(side, baseline))

    def cpu_median(self, side: str) -> float:
        return median(self.cpu[side])

    def wall_median(self, side: str) -> float:
        return median(self.wall[side])


def _batch(call: Callable[[], Any], calls: int) -> tuple[float, float]:
    """(CPU seconds, wall seconds) per call over ``calls`` back-to-back calls."""
    gc.collect()
    cpu, wall = time.process_time, time.perf_counter
    cpu_start, wall_start = cpu(), wall()
    for _ in range(calls):
        call()
    return (cpu() - cpu_start) / calls, (wall() - wall_start) / calls


def round_orders(names: list[str], rounds: int) -> Iterator[list[str]]:
    """The order of the sides in each round: it rotates and reverses from round to round,
    so each side goes first, last and in between equally often."""
    for round_number in range(rounds):
        shift = (round_number // 2) % len(names)
        order = names[shift:] + names[:shift]
        if round_number % 2:
            order.reverse()
        yield order


def interleaved(
    sides: dict[str, Callable[[], Any]], calls: int, rounds: int, warmup: int
) -> Rounds:
    """Time every side once per round, in the orders of ``round_orders``."""
    for _ in range(warmup):
        for call in sides.values():
            call()
    names = list(sides)
    result = Rounds({name: [] for name in names}, {name: [] for name in names})
    for order in round_orders(names, rounds):
        for name in order:
            cpu, wall = _batch(sides[name], calls)
            result.cpu[name].append(cpu)
            result.wall[name].append(wall)
    return result


def cached_call_ns(call: Callable[[], Any], calls: int, rounds: int) -> float:
    """Median over rounds of the wall time of one call, in nanoseconds (10 calls per loop turn)."""
    per_round = []
    turns = max(1, calls // 10)
    for _ in range(rounds):
        start = time.perf_counter()
        for _ in range(turns):
            call(); call(); call(); call(); call(); call(); call(); call(); call(); call()
        per_round.append((time.perf_counter() - start) / (turns * 10) * 1e9)
    return median(per_round)


# -- fresh interpreters --------------------------------------------------------------------


def _python(code: str, *flags: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *flags, "-c", code],
        capture_output=True, text=True, check=True, cwd=NEUTRAL_CWD,
    )


def _top_level_imports(stderr: str) -> dict[str, int]:
    """Top-level entries of ``-X importtime`` output: name -> cumulative microseconds."""
    found: dict[str, int] = {}
    for line in stderr.splitlines():
        parts = line.split("|")
        if not line.startswith("import time:") or len(parts) != 3:
            continue
        name = parts[2][1:]
        if name.startswith(" "):
            continue  # nested under another import
        try:
            found[name.strip()] = int(parts[1])
        except ValueError:
            continue  # the header line
    return found


def startup_modules() -> set[str]:
    """What the interpreter imports before running ``-c`` (site, encodings, .pth hooks)."""
    return set(_top_level_imports(_python("pass", "-X", "importtime").stderr))


def import_time_us(module: str, startup: set[str]) -> int:
    """Cumulative microseconds of ``import module`` in a fresh interpreter (-X importtime)."""
    found = _top_level_imports(_python(f"import {module}", "-X", "importtime").stderr)
    return sum(us for name, us in found.items() if name not in startup)


_RSS_CODE = """import {module}
for line in open('/proc/self/status'):
    if line.startswith(('VmRSS:', 'VmHWM:')):
        print(line.split()[1])
"""


def rss_after_import_kb(module: str) -> tuple[int, int]:
    """(VmRSS, VmHWM) in KiB of a fresh interpreter right after ``import module``."""
    out = _python(_RSS_CODE.format(module=module)).stdout.split()
    return int(out[0]), int(out[1])


def fresh_interpreter_rounds(
    modules: list[str], rounds: int, measure: Callable[[str], Any]
) -> dict[str, list[Any]]:
    """``measure`` each module once per round, rotating the order every round."""
    results: dict[str, list[Any]] = {module: [] for module in modules}
    for module in modules:  # warm the OS file cache and make sure every .pyc exists
        measure(module)
    for round_number in range(rounds):
        shift = round_number % len(modules)
        for module in modules[shift:] + modules[:shift]:
            results[module].append(measure(module))
    return results


def paired_interpreter_rounds(
    baseline: str, modules: list[str], rounds: int, measure: Callable[[str], float]
) -> tuple[list[float], dict[str, list[float]]]:
    """Per round, ``measure`` each module right next to a run of ``baseline`` (order
    alternating), so a pair shares the machine's state of the moment.

    Returns every baseline figure and, per module, the ratio of each pair.
    """
    for module in [baseline, *modules]:  # warm the OS file cache and make sure every .pyc exists
        measure(module)
    baseline_runs: list[float] = []
    ratios: dict[str, list[float]] = {module: [] for module in modules}
    for round_number in range(rounds):
        for index, module in enumerate(modules):
            if (round_number + index) % 2:
                base, own = measure(baseline), measure(module)
            else:
                own, base = measure(module), measure(baseline)
            baseline_runs.append(base)
            ratios[module].append(own / base)
    return baseline_runs, ratios


def installed_dir(package: str) -> Path:
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(f"{package} is not installed")
    return Path(next(iter(spec.submodule_search_locations)))


def installed_size(package: str) -> tuple[int, int]:
    """(bytes without __pycache__, bytes with it) of the installed package directory."""
    source = cached = 0
    for root, _dirs, files in os.walk(installed_dir(package)):
        size = sum(os.path.getsize(os.path.join(root, name)) for name in files)
        cached += size
        if "__pycache__" not in Path(root).parts:
            source += size
    return source, cached


def installed_matches_generated(package: str, folder: str) -> bool:
    """Whether every installed .py/.typed file equals its counterpart in generated/."""
    site = installed_dir(package)
    generated = REPO / "generated" / folder / package
    for path in site.rglob("*"):
        if path.is_file() and "__pycache__" not in path.parts:
            twin = generated / path.relative_to(site)
            if not twin.is_file() or twin.read_bytes() != path.read_bytes():
                return False
    return True


# -- generation ----------------------------------------------------------------------------


@dataclass
class Generation:
    regenerate_s: list[float]
    regenerate_cpu_s: list[float]
    noop_s: list[float]
    noop_cpu_s: list[float]
    noop_output: str
    differing: list[str]  # files of the temp generation that differ from the repo's generated/


def measure_generation(runs: int, noop_runs: int) -> Generation:
    """Time ``make regenerate`` and a no-op ``make generate`` in a scratch copy of the inputs.

    Only openapi/, templates/, ruff.toml, Makefile and requirements-dev.txt are copied,
    with a symlink to the repository's .venv; the repository tree is never written.
    """
    with tempfile.TemporaryDirectory(prefix="tokenworks-bench-gen-") as tmp_name:
        tmp = Path(tmp_name)
        shutil.copytree(REPO / "openapi", tmp / "openapi")
        shutil.copytree(REPO / "templates", tmp / "templates")  # symlinks followed
        shutil.copytree(REPO / "scripts", tmp / "scripts")
        for name in ("ruff.toml", "Makefile", "requirements-dev.txt", "LICENSE"):
            shutil.copy2(REPO / name, tmp / name)
        (tmp / ".venv").symlink_to(REPO / ".venv")
        (tmp / ".make").mkdir()
        (tmp / ".make" / "venv").touch()  # newer than requirements-dev.txt: setup is done
        # A clean make environment: under `make bench` the parent's MAKEFLAGS (jobserver
        # descriptors this process does not pass on) would confuse the child make.
        env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL")}
        # Refuse to go on if make would (re)create the venv through the symlink.
        if subprocess.run(
            ["make", "-q", "-C", tmp_name, ".make/venv"], capture_output=True, check=False, env=env
        ).returncode != 0:
            raise RuntimeError("make would rebuild .make/venv in the scratch copy; not running it")

        def make(target: str) -> tuple[float, float, str]:
            """(wall s, CPU s of make and its children, output) of one make run."""
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            start = time.perf_counter()
            done = subprocess.run(
                ["make", "--no-print-directory", "-C", tmp_name, target],
                capture_output=True, text=True, check=False, env=env,
            )
            elapsed = time.perf_counter() - start
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
            if done.returncode != 0:
                raise RuntimeError(f"make {target} failed:\n{done.stdout}\n{done.stderr}")
            return elapsed, cpu, done.stdout + done.stderr

        regenerate, regenerate_cpu = [], []
        for _ in range(runs):
            elapsed, cpu, _output = make("regenerate")
            regenerate.append(elapsed)
            regenerate_cpu.append(cpu)
        noop, noop_cpu = [], []
        output = ""
        for _ in range(noop_runs):
            elapsed, cpu, output = make("generate")
            noop.append(elapsed)
            noop_cpu.append(cpu)
        differing = []
        for path in sorted((tmp / "generated").rglob("*")):
            if path.is_file():
                relative = path.relative_to(tmp)
                twin = REPO / relative
                if not twin.is_file() or twin.read_bytes() != path.read_bytes():
                    differing.append(str(relative))
        return Generation(regenerate, regenerate_cpu, noop, noop_cpu, output.strip(), differing)


# -- profiles ------------------------------------------------------------------------------


def _area(filename: str, package_dirs: dict[str, str]) -> str:
    for directory, package in package_dirs.items():
        if filename.startswith(directory):
            return f"{package}/{filename[len(directory) + 1:]}"
    if "/urllib3/" in filename:
        return "urllib3/" + filename.split("/urllib3/", 1)[1]
    if filename.startswith(("~", "<")):
        return "builtin"
    return "stdlib " + Path(filename).name


def hotspots(
    call: Callable[[], Any], calls: int, package: str, top: int
) -> tuple[float, list[tuple[str, float, float, float]]]:
    """Profile ``calls`` calls.

    Returns the profiled µs per call and, for the ``top`` functions by own time,
    (function, own µs per call, share of all own time, cumulative µs per call).
    """
    package_dirs = {str(installed_dir(package)): package}
    for _ in range(50):
        call()
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(calls):
        call()
    profiler.disable()
    stats = pstats.Stats(profiler)
    rows = []
    total = 0.0
    for (filename, line, name), entry in stats.stats.items():  # type: ignore[attr-defined]
        own, cumulative = entry[2], entry[3]
        total += own
        where = _area(filename, package_dirs)
        label = f"{where}:{line} {name}" if where != "builtin" else name
        rows.append((label, own, cumulative))
    rows.sort(key=lambda row: row[1], reverse=True)
    return (
        total / calls * 1e6,
        [
            (label, own / calls * 1e6, own / total, cumulative / calls * 1e6)
            for label, own, cumulative in rows[:top]
        ],
    )
