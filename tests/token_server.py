"""The suite's OAuth token server, and the packages' token-manager facts.

``TokenServer`` is an in-process threaded HTTP server (tests/servers.py ``ThreadedServer``)
on a free loopback port that records every request. A request the test scripted (``then``)
gets its ``Reply``; any other is answered by the server's grant rules:

- by default, any request gets a token: ``access(n)`` for the n-th request, ``expires_in``
  and, while ``rotate`` is on, a new refresh token ``refresh(n)``;
- with ``strict_grants`` (the fleet tests with real processes, bench/stores.py), those of a
  strict server that rotates refresh tokens: ``client_credentials`` issues an access token;
  ``refresh_token`` with the one valid ``refresh_token`` issues one and a new refresh token,
  and the old one is spent. A spent one answers ``400 invalid_grant`` and, as strict servers
  do, revokes the whole authorization (``revoked``); ``authorization_code`` with
  ``issued_code`` starts a new one.

``hold`` (an Event) makes the requests that arrive while it is set wait for it, ``delay``
wait a while, so a test can kill a process while its request is in flight. ``PACKAGES``
says what each package's TokenManager must do (from the spec's x-token-manager).
"""

from __future__ import annotations

import importlib
import json
import threading
import time
from collections import Counter, deque
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
    """Records every request; answers each with the next scripted Reply, else by its grants.

    ``count`` is the number of requests received, ``grants`` the same by grant type.
    """

    def __init__(
        self,
        *,
        strict_grants: bool = False,
        refresh_token: str | None = None,
        expires_in: float | None = EXPIRES_IN,
    ) -> None:
        self.seen: list[Seen] = []
        self.script: deque[Reply] = deque()
        self.expires_in = expires_in  # None leaves the field out
        self.rotate = False
        #: Refuse a request that authenticates the client more than one way, as a strict
        #: server (oidc-provider, RFC 6749 section 2.3.1) does.
        self.strict_client_auth = False
        self.strict_grants = strict_grants
        self.refresh_token = refresh_token  # with strict_grants: the one valid, if any
        self.issued_code = "code-7Hq2"
        self.spent: set[str] = set()
        self.revoked = False
        self.grants: Counter[str] = Counter()
        self.invalid_grants = 0
        self.delay = 0.0
        self.hold: threading.Event | None = None
        self.arrived = threading.Event()
        self._holds: list[threading.Event] = []
        self._lock = threading.Lock()
        # A fleet connects at once: the default listen() backlog of 5 would drop some.
        self._server = ThreadedServer(_handler_for(self), backlog=256)
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

    def reset(self, refresh_token: str) -> None:
        """A new authorization: ``refresh_token`` is the one valid refresh token again."""
        with self._lock:
            self.refresh_token = refresh_token
            self.spent.clear()
            self.revoked = False

    def token_body(self, n: int, *, rotate: bool = False) -> dict[str, Any]:
        body: dict[str, Any] = {"access_token": access(n), "token_type": "Bearer"}
        if self.expires_in is not None:
            body["expires_in"] = self.expires_in
        if rotate or self.rotate:
            body["refresh_token"] = refresh(n)
        return body

    def receive(self, seen: Seen) -> tuple[int, Reply | None, list[threading.Event]]:
        """Record a request: its number, its Reply if scripted (or refused at once), and
        the events it must wait for before it is answered."""
        with self._lock:
            self.seen.append(seen)
            n = len(self.seen)
            self.grants[dict(seen.pairs).get("grant_type", "")] += 1
            reply: Reply | None = None
            if self.strict_client_auth and client_auth_mechanisms(seen) > 1:
                reply = Reply(400, dict(ONE_MECHANISM))
            elif self.script:
                reply = self.script.popleft()
            holds = [event for event in (self.hold, reply and reply.hold) if event]
            self._holds += holds
            return n, reply, holds

    def answer(self, n: int, seen: Seen) -> Reply:
        """The answer to the n-th request, by the grant rules."""
        with self._lock:
            if not self.strict_grants:
                return Reply(200, self.token_body(n))
            form = dict(seen.pairs)
            grant = form.get("grant_type", "")
            if grant == "client_credentials":
                return Reply(200, self.token_body(n))
            if grant == "authorization_code" and form.get("code") == self.issued_code:
                self.revoked = False
                return Reply(200, self._rotated(n))
            if grant == "refresh_token":
                sent = form.get("refresh_token")
                if not self.revoked and sent is not None and sent == self.refresh_token:
                    self.spent.add(sent)
                    return Reply(200, self._rotated(n))
                if sent in self.spent:
                    self.revoked = True  # a spent token came back: the grant may be stolen
                self.invalid_grants += 1
                return Reply(400, dict(INVALID_GRANT))
            return Reply(400, {"error": "unsupported_grant_type"})

    def _rotated(self, n: int) -> dict[str, Any]:
        self.refresh_token = refresh(n)
        return self.token_body(n, rotate=True)

    def close(self) -> None:
        for hold in self._holds:
            hold.set()
        self._server.close()


INVALID_GRANT = {"error": "invalid_grant", "error_description": "refresh token not valid"}

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
            n, reply, holds = server.receive(seen)
            server.arrived.set()
            for hold in holds:
                hold.wait(60)
            delay = reply.delay if reply is not None else server.delay
            if delay:
                time.sleep(delay)
            if reply is None:
                reply = server.answer(n, seen)
            elif reply.body is None:
                reply.body = server.token_body(n)
            data = json.dumps(reply.body).encode("utf-8")
            self.send_response(reply.status)  # adds Date, as real servers do
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for name, value in reply.headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            pass  # quiet

    return Handler
