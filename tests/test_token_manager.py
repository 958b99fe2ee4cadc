"""TokenManager wiring: each package's manager over HTTP, bound to its token operation.

The manager's rules (expiry and leeway, half-life, threads, rotation, invalid_grant, 401,
close) are tested once, on the runtime (tests/runtime/test_runtime_token_manager.py). Here
each package shows that its TokenManager is bound to its spec's token operation, grants and
client authentication, and that it works over HTTP: against ``TokenServer``
(tests/token_server.py), which records every request and answers as the test scripts it,
and against the Prism mocks of the specs.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Any, Callable

import pytest
import yaml
from mock_servers import PrismServer, spec_path
from providers import BY_NAME
from token_server import (
    CLIENT_ID,
    CLIENT_SECRET,
    EXCHANGING,
    EXPIRES_IN,
    FORM,
    PACKAGES,
    STORED_REFRESH,
    Package,
    Reply,
    TokenServer,
    access,
    client_auth_mechanisms,
    first_grant,
    refresh,
    refresh_grant,
)

# Every test runs with the blocking classes and with the aio ones (conftest.driver).
pytestmark = pytest.mark.usefixtures("driver")


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


@pytest.fixture(params=list(PACKAGES))
def pkg(request: pytest.FixtureRequest) -> Package:
    return PACKAGES[request.param]


def manager(pkg: Package, server: TokenServer, **options: Any) -> Any:
    """A TokenManager of pkg that asks server; refresh-only packages start from a stored token."""
    module = pkg.module
    if pkg.needs_refresh_token:
        options.setdefault("refresh_token", STORED_REFRESH)
    api_client = options.pop("api_client", None) or module.ApiClient(
        module.Configuration(host=server.url, **options.pop("configuration", {}))
    )
    return module.TokenManager(CLIENT_ID, CLIENT_SECRET, api_client=api_client, **options)


# --- each package's manager: its token operation, grants and client authentication --------


#: The API's own credentials a client may hold beside a TokenManager: every security
#: scheme's API key and bearer token, and a default Authorization header.
API_CREDENTIALS = {
    "api_key": {"apiKey": "pd-key-123"},
    "api_key_prefix": {"apiKey": "API-Key"},
    "access_token": "api-bearer-456",
}


def test_each_manager_is_bound_to_its_token_operation(pkg: Package, server: TokenServer) -> None:
    """Its token operation, its first grant, and the client authenticated by its own
    credentials only, though its ApiClient holds the API's (a strict server refuses two)."""
    module = pkg.module
    server.strict_client_auth = True
    client = module.ApiClient(module.Configuration(host=server.url, **API_CREDENTIALS))
    client.set_default_header("authorization", "API-Key default-789")
    received: list[Any] = []
    tm = manager(pkg, server, api_client=client, on_token=received.append)
    assert tm.token is None

    assert {tm.get_token() for _ in range(3)} == {access(1)}

    (seen,) = server.seen
    assert seen.method == "POST"
    assert seen.path == pkg.token_path
    assert seen.headers["content-type"] == FORM
    assert "authorization" not in seen.headers  # the client authenticates in the form
    assert client_auth_mechanisms(seen) == 1
    assert seen.form == first_grant(pkg)
    assert received == [tm.token]
    assert tm.token.access_token == access(1)
    assert tm.token.expires_in == EXPIRES_IN
    assert type(tm.token).__module__.startswith(f"{BY_NAME[pkg.name].package}.model.")
    tm.invalidate()
    assert tm.get_token() == access(2)
    assert server.seen[1].form == first_grant(pkg)


def test_criteo_with_a_stored_refresh_token_uses_the_refresh_grant(server: TokenServer) -> None:
    pkg = PACKAGES["criteo"]
    tm = manager(pkg, server, refresh_token=STORED_REFRESH)
    assert tm.get_token() == access(1)
    assert server.seen[0].form == refresh_grant(STORED_REFRESH)


@pytest.mark.parametrize("name", ["cybersource", "pandadoc"])
@pytest.mark.parametrize(
    ("attempt", "message"),
    [
        pytest.param(lambda tm: tm.get_token(), "refresh token", id="no-refresh-token-nor-code"),
        pytest.param(
            lambda tm: tm.exchange_code(
                "auth-code-77", redirect_uri="https://app.example/callback"
            ),
            "redirect_uri",
            id="a-redirect_uri-the-endpoint-does-not-take",
        ),
    ],
)
def test_refresh_only_packages_refuse_before_sending(
    name: str, attempt: Callable[[Any], object], message: str, server: TokenServer
) -> None:
    """Without client_credentials, a manager needs a refresh token or a code; and its
    exchange_code takes no redirect_uri when the token endpoint does not."""
    pkg = PACKAGES[name]
    tm = manager(pkg, server, refresh_token=None)
    with pytest.raises(pkg.module.ApiValueError, match=message):
        attempt(tm)
    assert server.count == 0


def test_zuora_has_client_credentials_only(server: TokenServer) -> None:
    pkg = PACKAGES["zuora"]
    with pytest.raises(TypeError):
        manager(pkg, server, refresh_token=STORED_REFRESH)
    tm = manager(pkg, server)
    assert not hasattr(tm, "exchange_code")
    server.rotate = True  # a refresh token in the answer does not change the grant
    tm.get_token()
    tm.invalidate()
    tm.get_token()
    assert [seen.form for seen in server.seen] == [first_grant(pkg)] * 2


@pytest.mark.parametrize("name", EXCHANGING)
def test_exchange_code_then_refresh_with_the_returned_refresh_token(
    name: str, server: TokenServer
) -> None:
    pkg = PACKAGES[name]
    server.rotate = True
    received: list[Any] = []
    tm = manager(pkg, server, refresh_token=None, on_token=received.append)
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

    tm.invalidate()
    assert tm.get_token() == access(2)
    assert server.seen[1].form == refresh_grant(refresh(1))


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


def test_a_401_refreshes_once_and_sends_again_with_the_new_token(
    make_server: Callable[[], TokenServer],
) -> None:
    token_server, api_server = make_server(), make_server()
    received: list[Any] = []
    tm = manager(PACKAGES["criteo"], token_server, on_token=received.append)
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


def pandadoc_call(api_server: TokenServer, tm: Any, **configuration: Any) -> None:
    module = PACKAGES["pandadoc"].module
    config = module.Configuration(host=api_server.url, token_manager=tm, **configuration)
    with module.ApiClient(config) as api_client:
        api = module.OAuth20AuthenticationApi(api_client)
        api.access_token(grant_type="refresh_token", refresh_token="api-call-refresh")


def test_pandadoc_sends_the_managed_bearer_token_without_an_api_key(
    make_server: Callable[[], TokenServer],
) -> None:
    token_server, api_server = make_server(), make_server()
    tm = manager(PACKAGES["pandadoc"], token_server)

    pandadoc_call(api_server, tm)

    assert api_server.seen[0].headers["authorization"] == f"Bearer {access(1)}"
    assert token_server.count == 1


def test_pandadoc_prefers_a_configured_api_key(make_server: Callable[[], TokenServer]) -> None:
    module = PACKAGES["pandadoc"].module
    token_server, api_server = make_server(), make_server()
    tm = manager(PACKAGES["pandadoc"], token_server)
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
    name: str, make_server: Callable[[], TokenServer]
) -> None:
    pkg = PACKAGES[name]
    module = pkg.module
    token_server, api_server = make_server(), make_server()
    tm = manager(pkg, token_server)
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
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pkg = PACKAGES["criteo"]
    monkeypatch.setattr(pkg.module.ApiClient, "sleep", staticmethod(lambda seconds: None))
    caplog.set_level(logging.DEBUG)
    token_server, api_server = make_server(), make_server()
    token_server.rotate = True
    tm = manager(pkg, token_server, refresh_token=STORED_REFRESH)
    api = criteo_api(api_server, tm)

    tm.exchange_code("auth-code-secret-31", redirect_uri="https://app.example/callback")
    call_criteo(api)  # with access(1)
    tm.invalidate()
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
