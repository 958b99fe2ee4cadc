"""Stoplight Prism mock servers for the OpenAPI specs in openapi/.

Prism comes from package.json: run ``npm ci`` in the repo root first.

    with PrismServer("zuora") as server:
        urllib.request.urlopen(server.url + "/oauth/token", data=...)

    servers = start_all()  # all four, booting in parallel
    ...
    stop_all(servers)

``python tests/mock_servers.py`` starts all four, prints ``<provider> <url>``
for each and runs until SIGTERM or SIGINT.
"""

from __future__ import annotations

import collections
import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from types import TracebackType
from typing import IO, final

REPO_ROOT = Path(__file__).resolve().parent.parent
PRISM = REPO_ROOT / "node_modules" / ".bin" / "prism"
#: Every provider with a package config: openapi/<provider>-python.yaml (and its spec).
PROVIDERS = tuple(
    sorted(path.name.removesuffix("-python.yaml") for path in (REPO_ROOT / "openapi").glob("*-python.yaml"))
)
READY_MARKER = "Prism is listening on"
HOST = "127.0.0.1"


class PrismError(RuntimeError):
    """Prism is missing, died or did not become ready in time."""


def spec_path(provider: str) -> Path:
    """The OpenAPI spec of one provider."""
    if provider not in PROVIDERS:
        raise ValueError(f"unknown provider {provider!r}, expected one of {PROVIDERS}")
    return REPO_ROOT / "openapi" / f"{provider}.yaml"


def free_ports(count: int) -> list[int]:
    """Distinct TCP ports on HOST that are free right now."""
    with contextlib.ExitStack() as stack:
        sockets = [stack.enter_context(socket.socket()) for _ in range(count)]
        for sock in sockets:
            sock.bind((HOST, 0))
        return [int(sock.getsockname()[1]) for sock in sockets]


def _port_open(port: int) -> bool:
    try:
        with socket.create_connection((HOST, port), timeout=1.0):
            return True
    except OSError:
        return False


def _signal_group(pgid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pgid, sig)


@final
class PrismServer:
    """``prism mock`` for one provider's spec, as a subprocess.

    Request validation is on (Prism's default); responses are the spec's
    examples, or are built from the schemas where there are none (static mode).
    """

    def __init__(
        self, provider: str, port: int | None = None, startup_timeout: float = 60.0
    ) -> None:
        self.provider = provider
        self.spec = spec_path(provider)
        self.port = free_ports(1)[0] if port is None else port
        self.url = f"http://{HOST}:{self.port}"
        self.startup_timeout = startup_timeout
        self._process: subprocess.Popen[str] | None = None
        self._reader: threading.Thread | None = None
        self._lines: collections.deque[str] = collections.deque(maxlen=1000)
        self._ready = threading.Event()
        self._stopped = False

    @property
    def output(self) -> str:
        """Prism's recent output, stdout and stderr (the last 1000 lines)."""
        return "\n".join(self._lines)

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def start(self) -> None:
        """Launch Prism without waiting for it: see ``wait_ready``."""
        if self._process is not None:
            raise PrismError(f"prism for {self.provider} was already started")
        if not PRISM.exists():
            raise PrismError(f"{PRISM} is missing: run `npm ci` in {REPO_ROOT}")
        command = [str(PRISM), "mock", str(self.spec), "--host", HOST]
        command += ["--port", str(self.port), "--dynamic=false"]
        self._process = subprocess.Popen(
            command,
            cwd=REPO_ROOT,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            encoding="utf-8",
            errors="replace",
            env={**os.environ, "FORCE_COLOR": "0"},
            start_new_session=True,  # its own process group, children included
        )
        self._reader = threading.Thread(
            target=self._read_output,
            args=(self._process.stdout,),
            name=f"prism-{self.provider}",
            daemon=True,
        )
        self._reader.start()

    def _read_output(self, stream: IO[str]) -> None:
        with stream:
            for line in stream:
                self._lines.append(line.rstrip("\n"))
                if READY_MARKER in line:
                    self._ready.set()

    def wait_ready(self) -> None:
        """Wait until Prism logged it is listening and its port takes connections."""
        if self._process is None:
            raise PrismError(f"prism for {self.provider} was not started")
        deadline = time.monotonic() + self.startup_timeout
        while not (self._ready.is_set() and _port_open(self.port)):
            if self._process.poll() is not None:
                self._fail(f"exited with code {self._process.returncode}")
            if time.monotonic() > deadline:
                self._fail(f"was not ready after {self.startup_timeout:g} s")
            time.sleep(0.1)

    def _fail(self, problem: str) -> None:
        self.stop()
        command = f"prism mock {self.spec.name} --port {self.port}"
        raise PrismError(f"{command} {problem}. Its output:\n{self.output}")

    def stop(self) -> None:
        """Terminate Prism and everything in its process group, and wait for it."""
        process = self._process
        if process is None or self._stopped:
            return
        self._stopped = True
        if process.poll() is None:
            _signal_group(process.pid, signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=10.0)
        _signal_group(process.pid, signal.SIGKILL)  # whatever is left
        process.wait()
        if self._reader is not None:
            self._reader.join(timeout=5.0)

    def __enter__(self) -> PrismServer:
        self.start()
        self.wait_ready()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


def start_all(
    providers: tuple[str, ...] = PROVIDERS, startup_timeout: float = 60.0
) -> dict[str, PrismServer]:
    """Start one Prism per provider, all booting at once; if one fails, stop all."""
    ports = free_ports(len(providers))
    servers = {
        provider: PrismServer(provider, port, startup_timeout)
        for provider, port in zip(providers, ports)
    }
    try:
        for server in servers.values():
            server.start()
        for server in servers.values():
            server.wait_ready()
    except BaseException:
        stop_all(servers)
        raise
    return servers


def stop_all(servers: dict[str, PrismServer]) -> None:
    for server in servers.values():
        server.stop()


def main() -> int:
    stopping = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda _signum, _frame: stopping.set())
    servers = start_all()
    try:
        for provider, server in servers.items():
            print(provider, server.url, flush=True)
        while not stopping.wait(1.0):
            dead = [p for p, server in servers.items() if not server.running]
            if dead:
                print(f"prism exited for {', '.join(dead)}", file=sys.stderr)
                return 1
    finally:
        stop_all(servers)
    return 0


if __name__ == "__main__":
    sys.exit(main())
