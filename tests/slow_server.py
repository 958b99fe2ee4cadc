"""A real HTTP server that answers slowly, for the aio tests and the bench.

An asyncio server on its own event loop in a daemon thread: it reads each request
(head and ``Content-Length`` body), waits ``delay`` seconds without holding a thread,
then answers a token (``access_token`` ``token-<n>`` for the n-th request, and a rotated
``refresh_token`` ``refresh-<n>``) on a keep-alive connection. Light on purpose: the
tests measure the client's event loop, which shares the interpreter with it. The loop-lag
test runs it in a process of its own instead (``python tests/slow_server.py DELAY``, which
prints ``PORT <n>``), so that it takes no share of the client's GIL at all.
"""

from __future__ import annotations

import asyncio
import json
import sys
import threading
from typing import Optional


class SlowServer:
    """Answers every request with a token after ``delay`` seconds; counts the requests."""

    def __init__(self, delay: float = 1.0) -> None:
        self.delay = delay
        self.count = 0
        self.paths: list[str] = []
        self._loop = asyncio.new_event_loop()
        self._server: Optional[asyncio.base_events.Server] = None
        ready = threading.Event()
        self._thread = threading.Thread(
            target=self._run, args=(ready,), daemon=True, name="slow-server"
        )
        self._thread.start()
        ready.wait(10)
        assert self._server is not None
        self.port = self._server.sockets[0].getsockname()[1]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _run(self, ready: threading.Event) -> None:
        asyncio.set_event_loop(self._loop)
        self._server = self._loop.run_until_complete(
            asyncio.start_server(self._serve, "127.0.0.1", 0, backlog=1024)
        )
        ready.set()
        self._loop.run_forever()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n")[1:]:
                    name, _, value = line.partition(b":")
                    if name.strip().lower() == b"content-length":
                        length = int(value)
                if length:
                    await reader.readexactly(length)
                self.count += 1
                n = self.count
                self.paths.append(head.split(b" ", 2)[1].decode())
                await asyncio.sleep(self.delay)
                body = json.dumps(
                    {
                        "access_token": f"token-{n}",
                        "token_type": "Bearer",
                        "expires_in": 3600,
                        "refresh_token": f"refresh-{n}",
                    }
                ).encode()
                writer.write(
                    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                    b"Content-Length: %d\r\n\r\n%s" % (len(body), body)
                )
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    def close(self) -> None:
        async def stop() -> None:
            assert self._server is not None
            self._server.close()

        asyncio.run_coroutine_threadsafe(stop(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)


if __name__ == "__main__":
    server = SlowServer(float(sys.argv[1]) if len(sys.argv) > 1 else 1.0)
    print(f"PORT {server.port}", flush=True)
    sys.stdin.read()  # until the test closes our stdin
    server.close()
