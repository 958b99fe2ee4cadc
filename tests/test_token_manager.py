"""TokenManager: caching, expiry, single flight, rotation, retries and use with the API.

Most tests run against ``TokenServer``, an in-process threaded HTTP server that records
every request and answers each one as the test scripts it (by default: a fresh token
``access-<n>`` for the n-th request). Time is a ``FakeClock`` the tests advance. The last
tests obtain tokens from the Prism mocks of the specs.
"""

from __future__ import annotations

import importlib
import json
import logging
import threading
import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import ModuleType
from typing import Any, Callable
from urllib.parse import parse_qsl

import pytest
import yaml
from mock_servers import PrismServer, spec_path
from providers import BY_NAME, ZUORA_CLIENT_ID

# Every test runs with the blocking classes and with the aio ones (conftest.driver).
pytestmark = pytest.mark.usefixtures("driver")

CLIENT_ID = ZUORA_CLIENT_ID  # 36 characters, as Zuora requires; any id suits the others
# Needs form escaping (+ / = &), so a wrong encoding shows as a wrong field.
CLIENT_SECRET = "cs-S3cr3t+/=&-9QzX"
STORED_REFRESH = "rtok-stored-5Wb2"
FORM = "application/x-www-form-urlencoded"
EXPIRES_IN = 3600
START = 1000.0
THREADS = 32


def access(n: int) -> str:
    """The access token TokenServer issues for its n-th request."""
    return f"atok-{n}-Hk7Q"


def refresh(n: int) -> str:
    """The refresh token TokenServer issues for its n-th request (when it rotates)."""
    return f"rtok-{n}-Jp3W"


# --- the packages -------------------------------------------------------------------------


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


# --- a fake clock and a scriptable token server -------------------------------------------


class FakeClock:
    """A monotonic clock that moves only when the test moves it."""

    def __init__(self, start: float = START) -> None:
        self.time = start

    def now(self) -> float:
        return self.time

    def advance(self, seconds: float) -> None:
        self.time += seconds

    def set(self, time_: float) -> None:
        self.time = time_


@dataclass
class Seen:
    """One request as the server received it."""

    method: str
    path: str
    headers: dict[str, str]  # names in lower case
    pairs: list[tuple[str, str]]  # the form fields, in order

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
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.05,), daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def count(self) -> int:
        with self._lock:
            return len(self.seen)

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
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(5)


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

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length).decode("ascii")
            seen = Seen(
                self.command,
                self.path,
                {name.lower(): value for name, value in self.headers.items()},
                parse_qsl(body, keep_blank_values=True, strict_parsing=bool(body)),
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


@pytest.fixture
def make_server() -> Iterator[Callable[[], TokenServer]]:
    servers: list[TokenServer] = []

    def make() -> TokenServer:
        servers.append(TokenServer())
        return servers[-1]

    yield make
    for server in servers:
        server.close()


@pytest.fixture
def server(make_server: Callable[[], TokenServer]) -> TokenServer:
    return make_server()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture(params=list(PACKAGES))
def pkg(request: pytest.FixtureRequest) -> Package:
    return PACKAGES[request.param]


@pytest.fixture
def waits(pkg: Package, monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The retry waits ApiClient asked for; nothing really sleeps."""
    recorded: list[float] = []
    monkeypatch.setattr(pkg.module.ApiClient, "sleep", staticmethod(recorded.append))
    return recorded


def manager(pkg: Package, server: TokenServer, clock: FakeClock, **options: Any) -> Any:
    """A TokenManager of pkg that asks server; refresh-only packages start from a stored token."""
    module = pkg.module
    if pkg.needs_refresh_token:
        options.setdefault("refresh_token", STORED_REFRESH)
    api_client = options.pop("api_client", None) or module.ApiClient(
        module.Configuration(host=server.url, **options.pop("configuration", {}))
    )
    return module.TokenManager(
        CLIENT_ID, CLIENT_SECRET, api_client=api_client, clock=clock.now, **options
    )


def run_together(count: int, call: Callable[[], Any], release: threading.Event) -> list[Any]:
    """Call ``call`` from ``count`` threads started together; results or raised exceptions.

    ``release`` is set once every thread is past the barrier and about to call.
    """
    barrier = threading.Barrier(count)
    outcomes: list[Any] = [None] * count
    started = 0
    started_lock = threading.Lock()

    def worker(index: int) -> None:
        nonlocal started
        barrier.wait()
        with started_lock:
            started += 1
            if started == count:
                release.set()
        try:
            outcomes[index] = call()
        except Exception as error:  # noqa: BLE001 - the test inspects it
            outcomes[index] = error

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not any(thread.is_alive() for thread in threads), "a caller never returned"
    return outcomes


# --- caching and expiry -------------------------------------------------------------------


def test_many_calls_on_a_valid_token_make_one_request(
    pkg: Package, server: TokenServer, clock: FakeClock
) -> None:
    tm = manager(pkg, server, clock)
    assert tm.token is None

    tokens = {tm.get_token() for _ in range(10_000)}

    assert tokens == {access(1)}
    assert server.count == 1
    assert tm.token.access_token == access(1)
    assert tm.token.expires_in == EXPIRES_IN


@pytest.mark.parametrize("leeway", [None, 0.0, 300.0], ids=["default-60", "0", "300"])
def test_token_is_fetched_again_at_expiry_minus_leeway(
    pkg: Package, server: TokenServer, clock: FakeClock, leeway: float | None
) -> None:
    tm = (
        manager(pkg, server, clock)
        if leeway is None
        else manager(pkg, server, clock, leeway=leeway)
    )
    expires_at = START + EXPIRES_IN - (60.0 if leeway is None else leeway)
    assert tm.get_token() == access(1)

    clock.set(expires_at - 1)
    assert [tm.get_token() for _ in range(100)] == [access(1)] * 100
    assert server.count == 1

    clock.set(expires_at)
    assert tm.get_token() == access(2)
    assert server.count == 2
    assert [tm.get_token() for _ in range(100)] == [access(2)] * 100
    assert server.count == 2


def test_token_without_expires_in_is_kept_until_invalidate(
    pkg: Package, server: TokenServer, clock: FakeClock
) -> None:
    server.expires_in = None
    tm = manager(pkg, server, clock)
    assert tm.get_token() == access(1)

    clock.advance(10 * 365 * 24 * 3600)
    assert tm.get_token() == access(1)
    assert server.count == 1

    tm.invalidate()
    assert tm.get_token() == access(2)
    assert server.count == 2


def test_invalidate_forces_a_fetch_and_keeps_the_refresh_token(
    pkg: Package, server: TokenServer, clock: FakeClock
) -> None:
    tm = manager(pkg, server, clock)
    assert tm.get_token() == access(1)
    tm.invalidate()
    assert tm.token is None
    assert tm.get_token() == access(2)
    assert server.count == 2
    # The same grant again: invalidate forgets the access token only.
    assert server.seen[1].form == server.seen[0].form == first_grant(pkg)


# --- one request for many threads ---------------------------------------------------------


def test_concurrent_callers_on_an_expired_token_share_one_request(
    pkg: Package, server: TokenServer, clock: FakeClock
) -> None:
    tm = manager(pkg, server, clock)
    assert tm.get_token() == access(1)
    clock.advance(EXPIRES_IN)
    release = threading.Event()
    server.then(Reply(hold=release, delay=0.2))

    outcomes = run_together(THREADS, tm.get_token, release)

    assert outcomes == [access(2)] * THREADS
    assert server.count == 2
    assert tm.get_token() == access(2)
    assert server.count == 2


def test_a_failed_fetch_reaches_every_waiter_as_the_same_exception(
    pkg: Package, server: TokenServer, clock: FakeClock
) -> None:
    tm = manager(pkg, server, clock)
    release = threading.Event()
    failure = {"error": "invalid_request", "error_description": "The request is not valid."}
    server.then(Reply(400, failure, hold=release, delay=0.2))

    outcomes = run_together(THREADS, tm.get_token, release)

    assert server.count == 1
    first = outcomes[0]
    assert isinstance(first, pkg.module.BadRequestException)
    assert first.status == 400
    assert first.error == "invalid_request"
    assert all(outcome is first for outcome in outcomes)
    assert tm.token is None
    # The failure is not kept: the next call asks again.
    assert tm.get_token() == access(2)
    assert server.count == 2


# --- rotated refresh tokens and on_token --------------------------------------------------


@pytest.mark.parametrize("name", REFRESHING)
def test_a_rotated_refresh_token_reaches_on_token_and_the_next_refresh(
    name: str, server: TokenServer, clock: FakeClock
) -> None:
    pkg = PACKAGES[name]
    server.rotate = True
    received: list[Any] = []
    tm = manager(pkg, server, clock, on_token=received.append)

    assert tm.get_token() == access(1)
    assert server.seen[0].form == first_grant(pkg)
    assert [token.refresh_token for token in received] == [refresh(1)]
    assert received[0] is tm.token

    clock.advance(EXPIRES_IN)
    assert tm.get_token() == access(2)
    assert server.seen[1].form == refresh_grant(refresh(1))
    assert [token.refresh_token for token in received] == [refresh(1), refresh(2)]

    # An answer without a refresh token keeps the last one.
    server.rotate = False
    tm.invalidate()
    assert tm.get_token() == access(3)
    assert server.seen[2].form == refresh_grant(refresh(2))
    assert received[2].refresh_token is None
    tm.invalidate()
    assert tm.get_token() == access(4)
    assert server.seen[3].form == refresh_grant(refresh(2))
    assert len(received) == 4


@pytest.mark.parametrize("expires_in", [0, -60, "3600"])
@pytest.mark.parametrize("name", REFRESHING)
def test_a_refused_answer_that_rotates_the_refresh_token_keeps_the_new_one(
    name: str, expires_in: Any, server: TokenServer, clock: FakeClock
) -> None:
    # The server spent the old refresh token when it answered: only the new one works now.
    pkg = PACKAGES[name]
    rotated = "rtok-rotated-Xb9K"
    body = {"access_token": "atok-refused-Qm4T", "token_type": "Bearer",
            "expires_in": expires_in, "refresh_token": rotated}
    server.then(Reply(body=body))
    received: list[Any] = []
    tm = manager(pkg, server, clock, refresh_token=STORED_REFRESH, on_token=received.append)
    with pytest.raises(pkg.module.MalformedResponseError) as caught:
        tm.get_token()
    for text in (str(caught.value), caught.value.body or ""):
        assert rotated not in text and "atok-refused-Qm4T" not in text
    assert tm.refresh_token == rotated
    assert tm.token is None
    # Read by the manager (a number, not positive): on_token hears of it to store it.
    assert [t.refresh_token for t in received] == ([] if isinstance(expires_in, str) else [rotated])
    assert tm.get_token() == access(2)
    assert server.seen[1].form == refresh_grant(rotated)


def test_on_token_gets_every_new_token(pkg: Package, server: TokenServer, clock: FakeClock) -> None:
    received: list[Any] = []
    tm = manager(pkg, server, clock, on_token=received.append)
    for _ in range(3):
        tm.get_token()
        tm.get_token()
        clock.advance(EXPIRES_IN)
    assert [token.access_token for token in received] == [access(1), access(2), access(3)]
    response_model = type(received[0])
    assert response_model.__module__.startswith(f"{BY_NAME[pkg.name].package}.model.")


def test_on_token_raising_is_raised_by_get_token_and_the_token_is_kept(
    pkg: Package, server: TokenServer, clock: FakeClock
) -> None:
    boom = RuntimeError("could not store the token")
    calls: list[Any] = []

    def on_token(token: Any) -> None:
        calls.append(token)
        raise boom

    tm = manager(pkg, server, clock, on_token=on_token)
    with pytest.raises(RuntimeError) as raised:
        tm.get_token()
    assert raised.value is boom
    assert tm.token is not None
    assert tm.token.access_token == access(1)

    assert tm.get_token() == access(1)
    assert server.count == 1
    assert len(calls) == 1


# --- 429 from the token endpoint ----------------------------------------------------------


def test_429_with_retry_after_waits_and_retries(
    pkg: Package, server: TokenServer, clock: FakeClock, waits: list[float]
) -> None:
    server.then(Reply(429, {"error": "rate_limited"}, {"Retry-After": "2"}))
    tm = manager(pkg, server, clock)

    assert tm.get_token() == access(2)

    assert waits == [2.0]
    assert server.count == 2
    assert server.seen[0].form == server.seen[1].form == first_grant(pkg)


def test_429_with_retry_after_over_the_cap_raises_at_once(
    pkg: Package, server: TokenServer, clock: FakeClock, waits: list[float]
) -> None:
    server.then(Reply(429, {"error": "rate_limited"}, {"Retry-After": "120"}))
    tm = manager(pkg, server, clock, configuration={"retry_after_cap": 60.0})

    with pytest.raises(pkg.module.TooManyRequestsException) as raised:
        tm.get_token()

    assert raised.value.status == 429
    assert raised.value.retry_after == 120.0
    assert server.count == 1
    assert waits == []
    assert tm.token is None


def test_429_more_often_than_retries_raises(
    pkg: Package, server: TokenServer, clock: FakeClock, waits: list[float]
) -> None:
    limited = Reply(429, {"error": "rate_limited"}, {"Retry-After": "1"})
    server.then(limited, Reply(429, {"error": "rate_limited"}, {"Retry-After": "1"}))
    tm = manager(pkg, server, clock, configuration={"retries": 1})

    with pytest.raises(pkg.module.TooManyRequestsException) as raised:
        tm.get_token()

    assert raised.value.retry_after == 1.0
    assert waits == [1.0]
    assert server.count == 2


# --- grants and their exact form fields ---------------------------------------------------


def test_first_request_sends_exactly_the_grant_fields(
    pkg: Package, server: TokenServer, clock: FakeClock
) -> None:
    tm = manager(pkg, server, clock)
    tm.get_token()

    seen = server.seen[0]
    assert seen.method == "POST"
    assert seen.path == pkg.token_path
    assert seen.headers["content-type"] == FORM
    assert "authorization" not in seen.headers
    assert seen.form == first_grant(pkg)


def test_criteo_with_a_stored_refresh_token_uses_the_refresh_grant(
    server: TokenServer, clock: FakeClock
) -> None:
    pkg = PACKAGES["criteo"]
    tm = manager(pkg, server, clock, refresh_token=STORED_REFRESH)
    assert tm.get_token() == access(1)
    assert server.seen[0].form == refresh_grant(STORED_REFRESH)


@pytest.mark.parametrize("name", ["cybersource", "pandadoc"])
def test_refresh_only_packages_need_a_refresh_token_or_a_code(
    name: str, server: TokenServer, clock: FakeClock
) -> None:
    pkg = PACKAGES[name]
    tm = manager(pkg, server, clock, refresh_token=None)
    with pytest.raises(pkg.module.ApiValueError, match="refresh token"):
        tm.get_token()
    assert server.count == 0


def test_zuora_has_client_credentials_only(server: TokenServer, clock: FakeClock) -> None:
    pkg = PACKAGES["zuora"]
    with pytest.raises(TypeError):
        manager(pkg, server, clock, refresh_token=STORED_REFRESH)
    tm = manager(pkg, server, clock)
    assert not hasattr(tm, "exchange_code")
    server.rotate = True  # a refresh token in the answer does not change the grant
    tm.get_token()
    tm.invalidate()
    tm.get_token()
    assert [seen.form for seen in server.seen] == [first_grant(pkg)] * 2


@pytest.mark.parametrize("name", EXCHANGING)
def test_exchange_code_then_refresh_with_the_returned_refresh_token(
    name: str, server: TokenServer, clock: FakeClock
) -> None:
    pkg = PACKAGES[name]
    server.rotate = True
    received: list[Any] = []
    tm = manager(pkg, server, clock, refresh_token=None, on_token=received.append)
    redirect = {"redirect_uri": "https://app.example/callback"} if name == "criteo" else {}

    token = tm.exchange_code("auth-code-77", **redirect)

    assert token.access_token == access(1)
    assert token.refresh_token == refresh(1)
    assert received == [token]
    assert server.seen[0].form == {
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "grant_type": "authorization_code",
        "code": "auth-code-77",
        **redirect,
    }
    assert tm.get_token() == access(1)
    assert server.count == 1

    clock.advance(EXPIRES_IN)
    assert tm.get_token() == access(2)
    assert server.seen[1].form == refresh_grant(refresh(1))


@pytest.mark.parametrize("name", ["cybersource", "pandadoc"])
def test_exchange_code_refuses_a_redirect_uri_the_endpoint_does_not_take(
    name: str, server: TokenServer, clock: FakeClock
) -> None:
    pkg = PACKAGES[name]
    tm = manager(pkg, server, clock, refresh_token=None)
    with pytest.raises(pkg.module.ApiValueError, match="redirect_uri"):
        tm.exchange_code("auth-code-77", redirect_uri="https://app.example/callback")
    assert server.count == 0


class SpySource:
    """A TokenSource that records every use (it must see none)."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    def get_token(self) -> str:
        self.calls.append("get_token")
        return "spy-token"

    def invalidate(self, token: str | None = None) -> None:
        self.calls.append("invalidate")


def test_the_managers_own_requests_do_not_use_a_token_manager(
    pkg: Package, server: TokenServer, clock: FakeClock
) -> None:
    module = pkg.module
    spy = SpySource()
    # The client the manager sends its token requests with has a token manager itself.
    client = module.ApiClient(module.Configuration(host=server.url, token_manager=spy))
    tm = manager(pkg, server, clock, api_client=client)

    assert tm.get_token() == access(1)
    assert server.count == 1
    assert "authorization" not in server.seen[0].headers
    assert spy.calls == []


#: The API's own credentials a client may hold beside a TokenManager: every security
#: scheme's API key and bearer token, and a default Authorization header.
API_CREDENTIALS = {
    "api_key": {"apiKey": "pd-key-123"},
    "api_key_prefix": {"apiKey": "API-Key"},
    "access_token": "api-bearer-456",
}


def test_the_managers_requests_authenticate_the_client_only_by_its_credentials(
    pkg: Package, server: TokenServer, clock: FakeClock
) -> None:
    module = pkg.module
    server.strict_client_auth = True
    client = module.ApiClient(module.Configuration(host=server.url, **API_CREDENTIALS))
    client.set_default_header("authorization", "API-Key default-789")
    tm = manager(pkg, server, clock, api_client=client)

    assert tm.get_token() == access(1)
    seen = server.seen[0]
    assert client_auth_mechanisms(seen) == 1
    assert seen.form == first_grant(pkg) or seen.headers["authorization"].startswith("Basic ")


def test_a_strict_server_refuses_a_direct_token_call_that_also_carries_an_api_key(
    server: TokenServer,
) -> None:
    # Configured credentials go with a direct call of the token operation, as the
    # provider's doc example sends them; a strict server refuses the second mechanism.
    module = PACKAGES["pandadoc"].module
    server.strict_client_auth = True
    config = module.Configuration(host=server.url, retries=0, **API_CREDENTIALS)
    api = module.OAuth20AuthenticationApi(module.ApiClient(config))

    with pytest.raises(module.BadRequestException) as raised:
        api.access_token(
            grant_type="refresh_token",
            client_id=CLIENT_ID,
            client_secret=CLIENT_SECRET,
            refresh_token=STORED_REFRESH,
        )

    assert raised.value.error == "invalid_request"
    assert server.seen[0].headers["authorization"] == "API-Key pd-key-123"


# --- the manager supplying the bearer token of API calls ----------------------------------


def criteo_api(api_server: TokenServer, tm: Any) -> Any:
    module = PACKAGES["criteo"].module
    configuration = module.Configuration(host=api_server.url, token_manager=tm)
    return module.OAuthApi(module.ApiClient(configuration))


def call_criteo(api: Any) -> Any:
    return api.get_token("client_credentials", "api-client", "api-secret")


def test_api_calls_carry_the_managed_bearer_token(
    make_server: Callable[[], TokenServer], clock: FakeClock
) -> None:
    token_server, api_server = make_server(), make_server()
    tm = manager(PACKAGES["criteo"], token_server, clock)
    api = criteo_api(api_server, tm)

    for _ in range(3):
        call_criteo(api)

    assert token_server.count == 1
    assert [seen.headers["authorization"] for seen in api_server.seen] == [
        f"Bearer {access(1)}"
    ] * 3

    clock.advance(EXPIRES_IN)
    call_criteo(api)
    assert token_server.count == 2
    assert api_server.seen[-1].headers["authorization"] == f"Bearer {access(2)}"


def test_a_401_refreshes_once_and_sends_again_with_the_new_token(
    make_server: Callable[[], TokenServer], clock: FakeClock
) -> None:
    token_server, api_server = make_server(), make_server()
    received: list[Any] = []
    tm = manager(PACKAGES["criteo"], token_server, clock, on_token=received.append)
    api = criteo_api(api_server, tm)
    api_server.then(Reply(401, {"error": "invalid_token"}))

    result = call_criteo(api)

    assert result.access_token == access(2)  # the API server's answer to its 2nd request
    assert token_server.count == 2
    assert [token.access_token for token in received] == [access(1), access(2)]
    assert [seen.headers["authorization"] for seen in api_server.seen] == [
        f"Bearer {access(1)}",
        f"Bearer {access(2)}",
    ]
    assert api_server.seen[0].form == api_server.seen[1].form
    assert tm.get_token() == access(2)


def test_a_second_401_raises_unauthorized(
    make_server: Callable[[], TokenServer], clock: FakeClock
) -> None:
    module = PACKAGES["criteo"].module
    token_server, api_server = make_server(), make_server()
    tm = manager(PACKAGES["criteo"], token_server, clock)
    api = criteo_api(api_server, tm)
    api_server.then(Reply(401, {"error": "invalid_token"}), Reply(401, {"error": "invalid_token"}))

    with pytest.raises(module.UnauthorizedException) as raised:
        call_criteo(api)

    assert raised.value.status == 401
    assert raised.value.error == "invalid_token"
    assert token_server.count == 2
    assert api_server.count == 2
    assert [seen.headers["authorization"] for seen in api_server.seen] == [
        f"Bearer {access(1)}",
        f"Bearer {access(2)}",
    ]


def test_a_token_failure_stops_the_api_call_before_it_is_sent(
    make_server: Callable[[], TokenServer], clock: FakeClock
) -> None:
    module = PACKAGES["criteo"].module
    token_server, api_server = make_server(), make_server()
    tm = manager(PACKAGES["criteo"], token_server, clock)
    api = criteo_api(api_server, tm)
    token_server.then(Reply(401, {"error": "invalid_client"}))

    with pytest.raises(module.UnauthorizedException) as raised:
        call_criteo(api)

    assert raised.value.error == "invalid_client"
    assert token_server.count == 1
    assert api_server.count == 0


def pandadoc_call(api_server: TokenServer, tm: Any, **configuration: Any) -> None:
    module = PACKAGES["pandadoc"].module
    config = module.Configuration(host=api_server.url, token_manager=tm, **configuration)
    with module.ApiClient(config) as api_client:
        api = module.OAuth20AuthenticationApi(api_client)
        api.access_token(grant_type="refresh_token", refresh_token="api-call-refresh")


def test_pandadoc_sends_the_managed_bearer_token_without_an_api_key(
    make_server: Callable[[], TokenServer], clock: FakeClock
) -> None:
    token_server, api_server = make_server(), make_server()
    tm = manager(PACKAGES["pandadoc"], token_server, clock)

    pandadoc_call(api_server, tm)

    assert api_server.seen[0].headers["authorization"] == f"Bearer {access(1)}"
    assert token_server.count == 1


def test_pandadoc_prefers_a_configured_api_key(
    make_server: Callable[[], TokenServer], clock: FakeClock
) -> None:
    module = PACKAGES["pandadoc"].module
    token_server, api_server = make_server(), make_server()
    tm = manager(PACKAGES["pandadoc"], token_server, clock)
    key = {"api_key": {"apiKey": "pd-key-123"}, "api_key_prefix": {"apiKey": "API-Key"}}

    pandadoc_call(api_server, tm, **key)
    assert api_server.seen[0].headers["authorization"] == "API-Key pd-key-123"
    assert token_server.count == 0

    # A 401 to an API-key request is not the manager's business: no refresh, no resend.
    api_server.then(Reply(401, {"error": "invalid_api_key"}))
    with pytest.raises(module.UnauthorizedException):
        pandadoc_call(api_server, tm, **key)
    assert api_server.count == 2
    assert token_server.count == 0


@pytest.mark.parametrize("name", ["cybersource", "zuora"])
def test_operations_without_oauth_security_do_not_use_the_manager(
    name: str, make_server: Callable[[], TokenServer], clock: FakeClock
) -> None:
    pkg = PACKAGES[name]
    module = pkg.module
    token_server, api_server = make_server(), make_server()
    tm = manager(pkg, token_server, clock)
    api_client = module.ApiClient(module.Configuration(host=api_server.url, token_manager=tm))
    api = module.OAuthApi(api_client)
    if name == "zuora":
        api.create_token(CLIENT_ID, CLIENT_SECRET, "client_credentials")
    else:
        request = module.CreateAccessTokenRequest(
            client_id=CLIENT_ID,
            client_secret=CLIENT_SECRET,
            grant_type="refresh_token",
            refresh_token=STORED_REFRESH,
        )
        api.create_access_token(request)

    assert api_server.count == 1
    assert "authorization" not in api_server.seen[0].headers
    assert token_server.count == 0


# --- secrets stay out of the logs ---------------------------------------------------------


def test_no_secret_is_logged_across_a_refresh_cycle(
    make_server: Callable[[], TokenServer],
    clock: FakeClock,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pkg = PACKAGES["criteo"]
    monkeypatch.setattr(pkg.module.ApiClient, "sleep", staticmethod(lambda seconds: None))
    caplog.set_level(logging.DEBUG)
    token_server, api_server = make_server(), make_server()
    token_server.rotate = True
    tm = manager(pkg, token_server, clock, refresh_token=STORED_REFRESH)
    api = criteo_api(api_server, tm)

    tm.exchange_code("auth-code-secret-31", redirect_uri="https://app.example/callback")
    call_criteo(api)  # with access(1)
    clock.advance(EXPIRES_IN)
    token_server.then(Reply(429, {"error": "rate_limited"}, {"Retry-After": "1"}))
    api_server.then(Reply(401, {"error": "invalid_token"}))
    call_criteo(api)  # refresh (429, then access(3)), 401, refresh again (access(4)), resend
    token_server.then(Reply(400, {"error": "invalid_request"}))
    tm.invalidate()
    with pytest.raises(pkg.module.BadRequestException):
        tm.get_token()

    assert token_server.count == 5
    messages = [record.getMessage() for record in caplog.records]
    text = "\n".join(messages) + "\n" + caplog.text
    # The cycle really was logged...
    assert "token fetched with grant refresh_token" in text
    assert "answered 401" in text
    assert "answered 429" in text
    assert "/oauth2/token -> 200" in text
    # ...and none of its secrets.
    secrets = [CLIENT_SECRET, STORED_REFRESH, "auth-code-secret-31", "api-secret"]
    secrets += [access(n) for n in range(1, 6)] + [refresh(n) for n in range(1, 6)]
    for secret in secrets:
        assert secret not in text, f"{secret!r} was logged"


# --- against the Prism mocks of the specs -------------------------------------------------


def spec_token(provider: str) -> str:
    """The access_token of the token operation's 200 examples (all of them agree)."""
    spec = yaml.safe_load(spec_path(provider).read_text(encoding="utf-8"))
    operations = [
        operation
        for path_item in spec["paths"].values()
        for operation in path_item.values()
        if isinstance(operation, dict) and "x-token-manager" in operation
    ]
    assert len(operations) == 1
    tokens = set()
    for media in operations[0]["responses"]["200"]["content"].values():
        example = media["example"]
        if isinstance(example, str):  # JSON text under a text/* media type
            example = json.loads(example)
        tokens.add(example["access_token"])
    assert len(tokens) == 1
    return tokens.pop()


PRISM_CASES = [
    ("cybersource", {"refresh_token": "stored-refresh-token"}),
    ("pandadoc", {"refresh_token": "stored-refresh-token"}),
    ("criteo", {}),
    ("criteo", {"refresh_token": "stored-refresh-token"}),
    ("zuora", {}),
]


@pytest.mark.parametrize(
    ("name", "options"),
    PRISM_CASES,
    ids=["cybersource", "pandadoc", "criteo", "criteo-refresh", "zuora"],
)
def test_each_manager_gets_the_spec_example_token_from_prism(
    name: str, options: dict[str, str], prism: dict[str, PrismServer]
) -> None:
    module = PACKAGES[name].module
    received: list[Any] = []
    api_client = module.ApiClient(module.Configuration(host=prism[name].url))
    tm = module.TokenManager(
        CLIENT_ID, "client-secret", api_client=api_client, on_token=received.append, **options
    )

    token = tm.get_token()

    assert token == spec_token(name)
    assert tm.get_token() == token
    assert len(received) == 1
    assert received[0].access_token == token


@pytest.mark.parametrize("name", EXCHANGING)
def test_each_exchange_code_gets_the_spec_example_token_from_prism(
    name: str, prism: dict[str, PrismServer]
) -> None:
    module = PACKAGES[name].module
    api_client = module.ApiClient(module.Configuration(host=prism[name].url))
    tm = module.TokenManager("client-id", "client-secret", api_client=api_client)
    redirect = {"redirect_uri": "https://app.example/callback"} if name == "criteo" else {}

    token = tm.exchange_code("authorization-code", **redirect)

    assert token.access_token == spec_token(name)
    assert tm.get_token() == spec_token(name)


def test_many_401s_with_the_same_token_cause_one_refresh(
    make_server: Callable[[], TokenServer], clock: FakeClock
) -> None:
    token_server, api_server = make_server(), make_server()
    tm = manager(PACKAGES["criteo"], token_server, clock)
    tm.get_token()
    all_arrived = threading.Event()  # every 401 waits until all eight requests are in
    api_server.then(*[Reply(401, {"error": "invalid_token"}, hold=all_arrived) for _ in range(8)])
    api = criteo_api(api_server, tm)

    def open_when_all_arrived() -> None:
        while api_server.count < 8:
            time.sleep(0.005)
        all_arrived.set()

    watcher = threading.Thread(target=open_when_all_arrived, daemon=True)
    watcher.start()
    results = run_together(8, lambda: call_criteo(api), threading.Event())
    watcher.join(10)

    assert all(not isinstance(result, BaseException) for result in results)
    assert token_server.count == 2  # the first token, and one refresh for all eight 401s
    assert {seen.headers["authorization"] for seen in api_server.seen[8:]} == {f"Bearer {access(2)}"}


def test_a_lifetime_shorter_than_the_leeway_is_still_cached_for_half_of_it(
    pkg: Package, server: TokenServer, clock: FakeClock
) -> None:
    server.expires_in = 30  # shorter than the default leeway of 60 s
    tm = manager(pkg, server, clock)
    assert [tm.get_token() for _ in range(5)] == [access(1)] * 5
    clock.advance(14)
    assert tm.get_token() == access(1)
    clock.advance(1)
    assert tm.get_token() == access(2)
    assert server.count == 2


def test_a_token_answer_without_access_token_is_a_malformed_response(
    pkg: Package, server: TokenServer, clock: FakeClock
) -> None:
    server.then(Reply(200, {"token_type": "Bearer", "expires_in": 60}))
    tm = manager(pkg, server, clock)
    with pytest.raises(pkg.module.MalformedResponseError) as caught:
        tm.get_token()
    assert "access_token" in str(caught.value)
    assert tm.token is None


# --- a rejected refresh token, unreadable lifetimes, closing -------------------------------


@pytest.mark.parametrize("name", REFRESHING)
def test_a_refresh_token_rejected_with_invalid_grant_is_dropped(
    name: str, server: TokenServer, clock: FakeClock
) -> None:
    pkg = PACKAGES[name]
    tm = manager(pkg, server, clock, refresh_token=STORED_REFRESH)
    server.then(Reply(400, {"error": "invalid_grant", "error_description": "expired"}))
    if "client_credentials" in pkg.grants:
        # Falls back to the grant that needs no refresh token, in the same call.
        assert tm.get_token() == access(2)
        assert [seen.form["grant_type"] for seen in server.seen] == [
            "refresh_token",
            "client_credentials",
        ]
    else:
        with pytest.raises(pkg.module.BadRequestException) as caught:
            tm.get_token()
        assert "a new authorization is needed" in str(caught.value)
        assert STORED_REFRESH not in str(caught.value)
        # The spent refresh token is never sent again.
        with pytest.raises(pkg.module.ApiValueError, match="no refresh token"):
            tm.get_token()
        assert server.count == 1
    assert tm.refresh_token is None


@pytest.mark.parametrize("expires_in", ["soon", [1], float("nan"), 0, -5, True])
@pytest.mark.parametrize("name", sorted(PACKAGES))
def test_an_unreadable_expires_in_is_a_malformed_response_and_nothing_is_cached(
    name: str, expires_in: Any, server: TokenServer, clock: FakeClock
) -> None:
    pkg = PACKAGES[name]
    tm = manager(pkg, server, clock)
    # json.dumps writes NaN as the bare word NaN, which is not JSON either.
    body = {"access_token": "tok-bad-lifetime-1", "token_type": "Bearer", "expires_in": expires_in}
    server.then(Reply(200, body))
    with pytest.raises(pkg.module.MalformedResponseError) as caught:
        tm.get_token()
    assert "tok-bad-lifetime-1" not in str(caught.value)
    assert tm.token is None
    assert tm.get_token() == access(2)  # the next call asks again


def test_a_manager_that_built_its_client_closes_it() -> None:
    pkg = PACKAGES["zuora"]
    with pkg.module.TokenManager("id", "secret") as tm:
        client = tm.api_client
        pool = client.rest_client.pool_for("http://127.0.0.1:9/oauth/token")
        assert client.rest_client.pools == {"http://127.0.0.1:9": pool}
    assert client.rest_client.pools == {}
    assert pool is not None and pool.pool is None  # closed
    shared = pkg.module.ApiClient()
    with pkg.module.TokenManager("id", "secret", api_client=shared):
        shared_pool = shared.rest_client.pool_for("http://127.0.0.1:9/oauth/token")
    assert shared.rest_client.pools == {"http://127.0.0.1:9": shared_pool}  # not ours to close
    assert shared_pool is not None and shared_pool.pool is not None
