"""One process of a fleet: a TokenManager of an installed package, with a token store.

Run by tests/test_token_store_fleet.py (and bench/run.py) as a real process:

    python tests/fleet_worker.py zuora_client --host URL --store file:DIR|redis:URL [...]

It builds the manager, prints ``ready``, waits for a line on stdin (so every process of a
fleet starts at the same moment), then does its ``--mode`` and prints one JSON line:

- ``once``: ``--threads`` threads call ``get_token()`` together; ``{"tokens": [...]}``;
- ``rotate``: ``--rounds`` times, ``get_token()`` then ``invalidate(token)``, which
  forces a renewal; ``{"tokens": [...], "refresh_token": ...}``;
- ``expire``: calls ``get_token()`` until ``--seconds`` have passed (tokens expire);
  ``{"tokens": [distinct tokens seen]}``.

A failure prints ``{"error": class name, "message": text}`` and exits 1.
"""

from __future__ import annotations

import argparse
import importlib
import json
import logging
import sys
import threading
import time
from typing import Any


def build_store(package: Any, spec: str) -> Any:
    kind, _, where = spec.partition(":")
    if kind == "file":
        return package.FileTokenStore(where)
    if kind == "redis":
        return package.RedisTokenStore.from_url(
            where, socket_timeout=1.0, socket_connect_timeout=1.0
        )
    if kind == "none":
        return None
    raise SystemExit(f"--store: file:DIR, redis:URL or none, got {spec!r}")


def run(manager: Any, options: argparse.Namespace) -> dict[str, Any]:
    if options.mode == "once":
        tokens: list[Any] = [None] * options.threads
        barrier = threading.Barrier(options.threads)

        def ask(index: int) -> None:
            barrier.wait()
            tokens[index] = manager.get_token()

        threads = [threading.Thread(target=ask, args=(i,)) for i in range(options.threads)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return {"tokens": tokens}
    if options.mode == "rotate":
        seen = []
        for _ in range(options.rounds):
            token = manager.get_token()
            seen.append(token)
            manager.invalidate(token)
        return {"tokens": seen, "refresh_token": manager.refresh_token}
    seen_in_order: list[str] = []
    ends = time.monotonic() + options.seconds
    while time.monotonic() < ends:
        token = manager.get_token()
        if not seen_in_order or seen_in_order[-1] != token:
            seen_in_order.append(token)
        time.sleep(0.01)
    return {"tokens": seen_in_order, "refresh_token": manager.refresh_token}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("package")
    parser.add_argument("--host", required=True)
    parser.add_argument("--store", default="none")
    parser.add_argument("--client-id", default="5b1e8c4a-2f3d-4a6b-9c7e-1d0f2a3b4c5d")
    parser.add_argument("--client-secret", default="cs-fleet-Q9x")
    parser.add_argument("--refresh-token")
    parser.add_argument("--mode", choices=("once", "rotate", "expire"), default="once")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--seconds", type=float, default=1.0)
    parser.add_argument("--lease", type=float, default=30.0)
    parser.add_argument("--timeout", type=float, default=10.0)
    parser.add_argument("--on-store-error", default="warn")
    options = parser.parse_args()
    logging.basicConfig(
        level=logging.WARNING, stream=sys.stderr, format="%(levelname)s %(message)s"
    )
    package = importlib.import_module(options.package)
    configuration = package.Configuration(host=options.host, timeout=options.timeout)
    extra = {} if options.refresh_token is None else {"refresh_token": options.refresh_token}
    manager = package.TokenManager(
        options.client_id,
        options.client_secret,
        api_client=package.ApiClient(configuration),
        store=build_store(package, options.store),
        lease=options.lease,
        on_store_error=options.on_store_error,
        **extra,
    )
    print("ready", flush=True)
    sys.stdin.readline()
    try:
        result = run(manager, options)
    except Exception as error:  # noqa: BLE001 - reported to the test
        print(json.dumps({"error": type(error).__name__, "message": str(error)}), flush=True)
        return 1
    print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
