"""A strict OAuth 2.0 token endpoint that rotates refresh tokens, for tests with real processes.

``RotatingTokenServer`` serves any token path over HTTP on a free loopback port (a real
socket, threads, a ``Date`` header) and keeps its state under one lock:

- ``client_credentials`` issues an access token;
- ``refresh_token`` with the current refresh token issues an access token and a new
  refresh token; the old one is spent. A spent one answers ``400 invalid_grant`` and,
  as strict servers do, revokes the whole authorization: from then on no refresh token
  of it works (``revoked`` is set);
- ``authorization_code`` with ``issued_code`` starts the authorization.

Every request is counted by grant when it is answered; ``hold`` (an Event) makes the
requests that arrive while it is set wait for it before they are answered, ``delay``
wait a while, so a test can kill a process while its request is in flight.
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler
from typing import Any, Optional
from urllib.parse import parse_qsl

from servers import ThreadedServer


class RotatingTokenServer:
    """A token endpoint; ``refresh_token`` is the one valid refresh token, if any."""

    def __init__(self, *, expires_in: int = 3600, refresh_token: Optional[str] = None) -> None:
        self.expires_in = expires_in
        self.refresh_token = refresh_token
        self.issued_code = "code-7Hq2"
        self.spent: set[str] = set()
        self.revoked = False
        self.grants: Counter[str] = Counter()
        self.invalid_grants = 0
        self.delay = 0.0
        self.hold: Optional[threading.Event] = None
        self.arrived = threading.Event()
        self._issued = 0
        self._holds: list[threading.Event] = []
        self._lock = threading.Lock()
        # A fleet connects at once: the default listen() backlog of 5 would drop some.
        self._server = ThreadedServer(_handler_for(self), backlog=256)
        self.url = self._server.url

    @property
    def requests(self) -> int:
        with self._lock:
            return sum(self.grants.values())

    def close(self) -> None:
        for hold in self._holds:
            hold.set()
        self._server.close()

    def answer(self, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        """The status and JSON body for one token request."""
        grant = form.get("grant_type", "")
        with self._lock:
            self.grants[grant] += 1
            if grant == "client_credentials":
                return 200, self._token(rotate=False)
            if grant == "authorization_code" and form.get("code") == self.issued_code:
                self.revoked = False
                return 200, self._token(rotate=True)
            if grant == "refresh_token":
                sent = form.get("refresh_token")
                if not self.revoked and sent is not None and sent == self.refresh_token:
                    self.spent.add(sent)
                    return 200, self._token(rotate=True)
                if sent in self.spent:
                    self.revoked = True  # a spent token came back: the grant may be stolen
                self.invalid_grants += 1
                return 400, {
                    "error": "invalid_grant",
                    "error_description": "refresh token not valid",
                }
            return 400, {"error": "unsupported_grant_type"}

    def _token(self, *, rotate: bool) -> dict[str, Any]:
        self._issued += 1
        body: dict[str, Any] = {
            "access_token": f"atok-{self._issued}-Zp4v",
            "token_type": "Bearer",
            "expires_in": self.expires_in,
            "scope": "read",
        }
        if rotate:
            self.refresh_token = f"rtok-{self._issued}-Wc8e"
            body["refresh_token"] = self.refresh_token
        return body


def _handler_for(server: RotatingTokenServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            form = dict(parse_qsl(self.rfile.read(length).decode("ascii")))
            hold = server.hold
            if hold is not None:
                server._holds.append(hold)
            server.arrived.set()
            if hold is not None:
                hold.wait(60)
            if server.delay:
                time.sleep(server.delay)
            status, body = server.answer(form)
            data = json.dumps(body).encode("utf-8")
            self.send_response(status)  # adds Date, as real servers do
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            pass  # quiet

    return Handler
