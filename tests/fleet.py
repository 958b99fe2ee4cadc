"""Worker processes for the token store fleet tests: tests/fleet_worker.py (Python) and
tests/node/fleet_worker.js (Node.js), started, told to go together, their answers read.

A worker prints ``ready``, waits for ``go`` on stdin, then prints one JSON answer (its
tokens, or the error) and exits; its stderr is what it logged.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Callable

from token_server import TokenServer

TESTS = Path(__file__).resolve().parent
PYTHON_WORKER = [sys.executable, str(TESTS / "fleet_worker.py")]  # then the package's name
NODE_WORKER = ["node", str(TESTS / "node" / "fleet_worker.js")]
CLIENT_SECRET = "cs-fleet-Q9x"  # the workers' default client secret


class Worker:
    """One worker process; ``ready()`` waits until it printed ``ready``."""

    def __init__(self, command: Sequence[str]) -> None:
        self.process = subprocess.Popen(
            list(command),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def ready(self) -> Worker:
        assert self.process.stdout is not None
        line = self.process.stdout.readline().strip()
        if line != "ready":
            self.process.kill()
            _, err = self.process.communicate(timeout=10)
            raise AssertionError(f"a worker did not start: {line!r} {err}")
        return self

    def go(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write("go\n")
        self.process.stdin.flush()

    def result(self, *, ok: bool = True) -> tuple[dict[str, Any], str]:
        """The worker's JSON answer and its stderr, once it finished."""
        out, err = self.process.communicate(timeout=120)
        answer: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
        assert (self.process.returncode == 0) is ok, f"{answer} {err}"
        return answer, err


def started(commands: Sequence[Sequence[str]]) -> list[Worker]:
    """Workers started at once, each ready before any is told to go."""
    workers = [Worker(command) for command in commands]
    return [worker.ready() for worker in workers]


def together(workers: Sequence[Worker]) -> list[tuple[dict[str, Any], str]]:
    """Tell every worker to go, then read each one's answer and stderr."""
    for worker in workers:
        worker.go()
    return [worker.result() for worker in workers]


def flush(redis_url: str) -> None:
    """Empty the Redis at ``redis_url``, for a fleet that starts with no record."""
    import redis as redis_py

    with redis_py.Redis.from_url(redis_url) as client:
        client.flushdb()


def no_secret_in(text: str) -> None:
    assert CLIENT_SECRET not in text
    assert "atok-" not in text and "rtok-" not in text


def assert_one_token_for_all(
    results: list[tuple[dict[str, Any], str]], server: TokenServer
) -> None:
    """Every worker got the same token, from one request, and logged no secret."""
    tokens = {token for answer, _ in results for token in answer["tokens"]}
    assert len(tokens) == 1
    assert server.count == 1
    for _, err in results:
        no_secret_in(err)


def broken_record(tmp_path: Path, seed: Callable[[str], Worker]) -> tuple[str, Path]:
    """A FileTokenStore folder whose one record, written by the worker ``seed(store)``, is
    then cut short: (the --store, the record)."""
    folder = tmp_path / "tokens"
    folder.mkdir(mode=0o700)
    store = f"file:{folder}"
    together([seed(store)])
    (record,) = folder.glob("*.json")
    record.write_text('{"version": 1, "access_token": ')  # cut short
    return store, record
