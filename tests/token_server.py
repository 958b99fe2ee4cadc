"""A scriptable OAuth token server for the tests, and the packages' token-manager facts.

``TokenServer`` is an in-process threaded HTTP server that records every request and answers
each one as the test scripts it (by default: a fresh token ``access(n)`` for the n-th
request). ``PACKAGES`` says what each package's TokenManager must do (from the spec's
x-token-manager). Used by test_token_manager.py, test_cli.py and test_unicode_property.py.
"""

from __future__ import annotations

import importlib
import json
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from types import ModuleType
from typing import Any
from urllib.parse import parse_qsl

from providers import BY_NAME, ZUORA_CLIENT_ID
from servers import ThreadedServer

CLIENT_ID = ZUORA_CLIENT_ID  # 36 characters, as Zuora requires; any id suits the others
# Needs form escaping (+ / = &), so a wrong encoding shows as a wrong field.
CLIENT_SECRET = "cs-S3cr3t+/=&-9QzX"
STORED_REFRESH = "rtok-stored-5Wb2"
FORM = "application/x-www-form-urlencoded"
EXPIRES_IN = 3600


def access(n: int) -> str:
    """The access token TokenServer issues for its n-th request."""
    return f"atok-{n}-Hk7Q"


def refresh(n: int) -> str:
    """The refresh token TokenServer issues for its n-th request (when it rotates)."""
    return f"rtok-{n}-Jp3W"


@dataclass(frozen=True)
class Package:
    """A provider package and what its TokenManager must do (from the spec's x-token-manager)."""

    name: str
    token_path: str
    grants: frozenset[str]

    @property
    def module(self) -> ModuleType:
        return importlib.import_module(BY_NAME[self.name].package)

    @property
    def needs_refresh_token(self) -> bool:
        """Without client_credentials a manager can only start from a refresh token."""
        return "client_credentials" not in self.grants


PACKAGES = {
    "cybersource": Package(
        "cybersource", "/oauth2/v3/token", frozenset({"refresh_token", "authorization_code"})
    ),
    "pandadoc": Package(
        "pandadoc", "/oauth2/access_token", frozenset({"refresh_token", "authorization_code"})
    ),
    "criteo": Package(
        "criteo",
        "/oauth2/token",
        frozenset({"client_credentials", "refresh_token", "authorization_code"}),
    ),
    "zuora": Package("zuora", "/oauth/token", frozenset({"client_credentials"})),
}
REFRESHING = [name for name, pkg in PACKAGES.items() if "refresh_token" in pkg.grants]
EXCHANGING = [name for name, pkg in PACKAGES.items() if "authorization_code" in pkg.grants]


def first_grant(pkg: Package) -> dict[str, str]:
    """The form fields of a fresh manager's first request (manager() gives it its start)."""
    fields = {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET}
    if pkg.needs_refresh_token:
        return {**fields, "grant_type": "refresh_token", "refresh_token": STORED_REFRESH}
    return {**fields, "grant_type": "client_credentials"}


def refresh_grant(refresh_token: str) -> dict[str, str]:
    return {
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "grant_type": "refresh_token",
        "refresh_token": refresh_token,
    }


# --- the server --------------------------------------------------------------------------


@dataclass
class Seen:
    """One request as the server received it."""

    method: str
    path: str
    headers: dict[str, str]  # names in lower case
    pairs: list[tuple[str, str]]  # the form fields, in order
    body: bytes  # as received

    @property
    def form(self) -> dict[str, str]:
        names = [name for name, _ in self.pairs]
        assert len(names) == len(set(names)), f"a form field was sent twice: {names}"
        return dict(self.pairs)


@dataclass
class Reply:
    """How to answer one request. ``body`` None: a token; ``hold``: wait for it first."""

    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    hold: threading.Event | None = None


class TokenServer:
    """Records every request; answers each with the next scripted Reply, else a token.

    The default token answer for the n-th request is ``access(n)``, ``expires_in``
    (``EXPIRES_IN``; None leaves the field out) and, while ``rotate`` is on, a new
    refresh token ``refresh(n)``.
    """

    def __init__(self) -> None:
        self.seen: list[Seen] = []
        self.script: deque[Reply] = deque()
        self.expires_in: float | None = EXPIRES_IN
        self.rotate = False
        #: Refuse a request that authenticates the client more than one way, as a strict
        #: server (oidc-provider, RFC 6749 section 2.3.1) does.
        self.strict_client_auth = False
        self._lock = threading.Lock()
        self._server = ThreadedServer(_handler_for(self))
        self.url = self._server.url

    @property
    def count(self) -> int:
        with self._lock:
            return len(self.seen)

    def clear(self) -> None:
        """Forget the requests received so far (the count starts again)."""
        with self._lock:
            self.seen.clear()

    def taken(self) -> list[Seen]:
        """The requests received so far."""
        with self._lock:
            return list(self.seen)

    def then(self, *replies: Reply) -> None:
        """Answer the next requests with these, in order."""
        self.script.extend(replies)

    def token_body(self, n: int) -> dict[str, Any]:
        body: dict[str, Any] = {"access_token": access(n), "token_type": "Bearer"}
        if self.expires_in is not None:
            body["expires_in"] = self.expires_in
        if self.rotate:
            body["refresh_token"] = refresh(n)
        return body

    def record(self, seen: Seen) -> Reply:
        with self._lock:
            self.seen.append(seen)
            n = len(self.seen)
            if self.strict_client_auth and client_auth_mechanisms(seen) > 1:
                return Reply(400, dict(ONE_MECHANISM))
            reply = self.script.popleft() if self.script else Reply()
        if reply.body is None:
            reply.body = self.token_body(n)
        return reply

    def close(self) -> None:
        self._server.close()


#: What oidc-provider answers a token request that authenticates the client twice.
ONE_MECHANISM = {
    "error": "invalid_request",
    "error_description": "client authentication must only be provided using one mechanism",
}


def client_auth_mechanisms(seen: Seen) -> int:
    """How many ways a request authenticates the client: the Authorization header, and the
    client_secret form field (RFC 6749 section 2.3.1 allows one)."""
    return ("authorization" in seen.headers) + ("client_secret" in dict(seen.pairs))


def _handler_for(server: TokenServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # keep-alive answers go out at once

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length)
            body = raw.decode("ascii")
            seen = Seen(
                self.command,
                self.path,
                {name.lower(): value for name, value in self.headers.items()},
                parse_qsl(body, keep_blank_values=True, strict_parsing=bool(body)),
                raw,
            )
            reply = server.record(seen)
            if reply.hold is not None:
                reply.hold.wait(30)
            if reply.delay:
                time.sleep(reply.delay)
            data = json.dumps(reply.body).encode("utf-8")
            self.send_response(reply.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for name, value in reply.headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            pass  # quiet

    return Handler
