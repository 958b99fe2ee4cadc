"""A keep-alive HTTP/1.1 token server for the benchmark, meant to run in its own process.

``python bench/server.py [--delay SECONDS]`` listens on 127.0.0.1 (a free port), prints
``PORT <n>`` and answers every POST to a provider's token path with that provider's fixed
JSON token body, over as many requests per connection as the client sends; with
``--delay``, each answer after that many seconds (without holding anything meanwhile).
``response_bytes`` is also what the in-memory socket of the stubbed runs replays,
so both see byte-identical answers.
"""

from __future__ import annotations

import asyncio
import json
import sys

_TOKEN = "eyJraWQiOiJiZW5jaCIsImFsZyI6IlJTMjU2In0." + "x" * 600 + ".c2lnbmF0dXJl"
_REFRESH = "f61cc0cffd437c9a596f0acc8eb6f502a7a429d7"

#: Token path -> the JSON body the provider answers with (fields of its token model).
TOKEN_BODIES: dict[str, dict[str, object]] = {
    "/oauth2/v3/token": {  # CyberSource
        "access_token": _TOKEN,
        "token_type": "Bearer",
        "refresh_token": _REFRESH,
        "expires_in": 899,
        "scope": "merchant_read merchant_write",
        "refresh_token_expires_in": 31535999,
        "client_status": "active",
    },
    "/oauth2/access_token": {  # PandaDoc
        "access_token": _TOKEN,
        "token_type": "Bearer",
        "expires_in": 31535999,
        "scope": "read+write",
        "refresh_token": _REFRESH,
    },
    "/oauth2/token": {  # Criteo
        "access_token": _TOKEN,
        "token_type": "Bearer",
        "refresh_token": None,
        "expires_in": 900,
    },
    "/oauth/token": {  # Zuora
        "access_token": _TOKEN,
        "expires_in": 3599,
        "jti": "c1f5e2a0b9d84c6f8e3a7b2d1f0e9c8b",
        "scope": "entity.1a2b7a37-3e7d-4cb3-b0e2-883de9e766cc platform.write service.usage.delete",
        "token_type": "bearer",
    },
}

_NOT_FOUND = b"HTTP/1.1 404 Not Found\r\nContent-Type: text/plain\r\nContent-Length: 9\r\n\r\nnot found"


def response_bytes(path: str) -> bytes:
    """The complete HTTP/1.1 answer (status line, headers, body) to a POST to ``path``."""
    body = TOKEN_BODIES.get(path.split("?", 1)[0])
    if body is None:
        return _NOT_FOUND
    data = json.dumps(body).encode("utf-8")
    head = (
        "HTTP/1.1 200 OK\r\n"
        "Content-Type: application/json; charset=utf-8\r\n"
        "Cache-Control: no-store\r\n"
        "Pragma: no-cache\r\n"
        f"Content-Length: {len(data)}\r\n"
        "\r\n"
    )
    return head.encode("ascii") + data


_ANSWERS = {path.encode("ascii"): response_bytes(path) for path in TOKEN_BODIES}


class _TokenProtocol(asyncio.Protocol):
    """Reads pipelined or sequential requests off one connection and answers each."""

    #: Seconds before each answer (``--delay``).
    delay = 0.0

    def __init__(self) -> None:
        self.buffer = b""
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while True:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            head = self.buffer[:end]
            length = 0
            for line in head.split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            total = end + 4 + length
            if len(self.buffer) < total:
                return
            self.buffer = self.buffer[total:]
            path = head.split(b" ", 2)[1].split(b"?", 1)[0]
            assert self.transport is not None
            answer = _ANSWERS.get(path, _NOT_FOUND)
            if self.delay:
                asyncio.get_running_loop().call_later(self.delay, self._answer, answer)
            else:
                self.transport.write(answer)

    def _answer(self, answer: bytes) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(answer)


async def _serve() -> None:
    loop = asyncio.get_running_loop()
    server = await loop.create_server(_TokenProtocol, "127.0.0.1", 0, backlog=1024)
    port = server.sockets[0].getsockname()[1]
    print(f"PORT {port}", flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    if sys.argv[1:2] == ["--delay"]:
        _TokenProtocol.delay = float(sys.argv[2])
    try:
        asyncio.run(_serve())
    except KeyboardInterrupt:
        sys.exit(0)
