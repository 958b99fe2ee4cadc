"""A server that echoes the secrets a request carried never gets them into the exception's text.

Every package makes its token call carrying every secret it can (client secret, refresh
token, code, and the Authorization value or API key its security schemes send), against a
loopback server that repeats them in its answer: in an OAuth error JSON, in plain text, in
the reason phrase, in a 200 that is not JSON; as received (percent-encoded form body) and
decoded. The secrets hold characters that JSON and form encoding change. None may show in
``str(e)``, ``repr(e)``, ``e.args``, ``e.body``, ``e.reason``, ``e.error``,
``e.error_description`` or ``e.data``; ``e.unredacted_body`` keeps the answer as received.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from types import ModuleType
from typing import Any, Callable
from urllib.parse import parse_qsl, quote_plus

import pandadoc_client
import pytest
from providers import PACKAGES, TOKEN_PATHS
from pytest_httpserver import HTTPServer
from test_secrets import call
from werkzeug import Request, Response

# Every test runs with the blocking classes and with the aio ones (conftest.driver).
pytestmark = pytest.mark.usefixtures("driver")

# Characters JSON escapes (") and form encoding changes (/ + = space) included.
CLIENT_SECRET = 'cs/7Q2+vX9"kL=mN 4pR8'
REFRESH_TOKEN = "rt.Hj3Kd8/Fq2+Lz5=="
CODE = "code-Pq7Wn2Bx5Yt8Rm"
API_KEY = "ak-Zt4Gy6Uw1Ie3Oa5S"
ACCESS_TOKEN = "eyJhbGciOi.Lk9Mj8/Nh7+Bg6="
ISSUED_ACCESS = "srv-at-Qa1Ws2Ed3Rf4T"


def token_call(provider: str, client: Any) -> Any:
    """The token call with every secret the operation takes."""
    return call(provider, client, CLIENT_SECRET, CODE, REFRESH_TOKEN)


@dataclass(frozen=True)
class Scenario:
    """A provider and the credentials its client sends; ``secrets``: all the call carries."""

    provider: str
    auth: str  # none, api_key, access_token, token_manager

    @property
    def id(self) -> str:
        return f"{self.provider}-{self.auth}"

    @property
    def secrets(self) -> tuple[str, ...]:
        form = (CLIENT_SECRET,) if self.provider == "zuora" else (CLIENT_SECRET, REFRESH_TOKEN, CODE)
        extra = {"none": (), "api_key": (API_KEY,), "access_token": (ACCESS_TOKEN,),
                 "token_manager": (ISSUED_ACCESS,)}[self.auth]
        return form + extra


SCENARIOS = [
    Scenario("cybersource", "none"),
    Scenario("zuora", "none"),
    Scenario("pandadoc", "api_key"),
    Scenario("pandadoc", "access_token"),
    Scenario("pandadoc", "token_manager"),
    Scenario("criteo", "access_token"),
    Scenario("criteo", "token_manager"),
]


def configuration(package: ModuleType, host: str, auth: str) -> Any:
    if auth == "api_key":
        return package.Configuration(
            host=host, api_key={"apiKey": API_KEY}, api_key_prefix={"apiKey": "API-Key"}
        )
    if auth == "access_token":
        return package.Configuration(host=host, access_token=ACCESS_TOKEN)
    if auth == "token_manager":
        manager = package.TokenManager(
            "client-id", "manager-secret", refresh_token="manager-refresh",
            api_client=package.ApiClient(package.Configuration(host=host, retries=0)),
        )
        return package.Configuration(host=host, token_manager=manager, retries=0)
    return package.Configuration(host=host)


def manager_token(scenario: Scenario, request: Request) -> Response | None:
    """The token answer to a TokenManager's own request, in the token_manager scenarios."""
    form = dict(parse_qsl(request.get_data(as_text=True)))
    if scenario.auth != "token_manager" or form.get("client_secret") != "manager-secret":
        return None
    body = json.dumps({"access_token": ISSUED_ACCESS, "token_type": "Bearer", "expires_in": 3600})
    return Response(body, status=200, content_type="application/json")


def echo_of(request: Request) -> str:
    """Everything secret the request carried: the form as sent and decoded, Authorization."""
    raw = request.get_data(as_text=True)
    decoded = " ".join(f"{k}={v}" for k, v in parse_qsl(raw))
    return f"you sent {raw} ({decoded}) with {request.headers.get('Authorization')}"


# How the server echoes: (status, content type, body) for a request; a reason phrase.
Echo = Callable[[Request], tuple[str, str, str]]
ECHOES: dict[str, Echo] = {
    "oauth-json-400": lambda r: ("400 Bad Request", "application/json", json.dumps(
        {"error": "invalid_grant", "error_description": echo_of(r)})),
    "oauth-json-401": lambda r: ("401 Unauthorized", "application/json", json.dumps(
        {"error": "invalid_client", "error_description": echo_of(r),
         "error_uri": "https://errors.example.com/?" + r.get_data(as_text=True)})),
    "json-not-ascii-401": lambda r: ("401 Unauthorized", "application/json", json.dumps(
        {"error": "invalid_client", "error_description": "\u00e9 " + echo_of(r)},
        ensure_ascii=True)),
    "plain-text-401": lambda r: ("401 Unauthorized", "text/plain", echo_of(r)),
    "reason-phrase-401": lambda r: (
        f"401 Wrong {r.headers.get('Authorization') or dict(parse_qsl(r.get_data(as_text=True)))['client_secret']}",
        "application/json", json.dumps({"error": "invalid_client"})),
    "html-200": lambda r: ("200 OK", "text/html", f"<html><p>{echo_of(r)}</p></html>"),
}


@pytest.mark.parametrize("echo", list(ECHOES))
@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.id for s in SCENARIOS])
def test_echoed_secrets_are_redacted(scenario: Scenario, echo: str, httpserver: HTTPServer) -> None:
    package = PACKAGES[scenario.provider]
    path = TOKEN_PATHS[scenario.provider]

    def answer(request: Request) -> Response:
        issued = manager_token(scenario, request)
        if issued is not None:
            return issued
        status, content_type, body = ECHOES[echo](request)
        return Response(body, status=status, content_type=content_type)

    httpserver.expect_request(path, method="POST").respond_with_handler(answer)
    host = f"http://{httpserver.host}:{httpserver.port}"
    client = package.ApiClient(configuration(package, host, scenario.auth))
    with client, pytest.raises(package.ApiException) as caught:
        token_call(scenario.provider, client)
    error = caught.value
    expected = package.MalformedResponseError if echo == "html-200" else package.ApiException
    assert isinstance(error, expected)

    shown = {
        "str": str(error),
        "repr": repr(error),
        "args": repr(error.args),
        "body": error.body or "",
        "reason": error.reason or "",
        "error": error.error or "",
        "error_description": error.error_description or "",
        "error_uri": error.error_uri or "",
        "data": repr(error.data),
    }
    for secret in scenario.secrets:
        for where, text in shown.items():
            assert secret not in text, f"{secret!r} in e.{where}"
            assert json.dumps(secret)[1:-1] not in text, f"{secret!r} JSON-escaped in e.{where}"
            assert quote_plus(secret) not in text, f"{secret!r} form-encoded in e.{where}"
    # The server did echo them, and the raw answer is kept where it is asked for by name.
    raw = error.unredacted_body or ""
    if echo != "reason-phrase-401":
        assert "[redacted]" in error.body
        assert all(json.dumps(secret)[1:-1] in raw or secret in raw for secret in scenario.secrets)
    else:
        assert "[redacted]" in error.reason
    if echo.startswith("oauth-json"):
        assert "[redacted]" in error.error_description and "[redacted]" in str(error)


def test_a_basic_client_secret_is_redacted(httpserver: HTTPServer) -> None:
    """client_secret_basic: the password inside the Authorization value, decoded, too."""

    class BasicAuthManager(pandadoc_client.TokenManager):
        client_auth = "basic"

    def answer(request: Request) -> Response:
        assert request.authorization is not None
        description = f"password {request.authorization.password} is wrong"
        return Response(json.dumps({"error": "invalid_client", "error_description": description}),
                        status=401, content_type="application/json")

    httpserver.expect_request(TOKEN_PATHS["pandadoc"], method="POST").respond_with_handler(answer)
    host = f"http://{httpserver.host}:{httpserver.port}"
    client = pandadoc_client.ApiClient(pandadoc_client.Configuration(host=host, retries=0))
    manager = BasicAuthManager("client-id", CLIENT_SECRET, refresh_token=REFRESH_TOKEN,
                               api_client=client)
    with manager, pytest.raises(pandadoc_client.UnauthorizedException) as caught:
        manager.get_token()
    error = caught.value
    escaped = json.dumps(CLIENT_SECRET)[1:-1]
    assert escaped not in str(error) + repr(error) + (error.body or "")
    assert error.error_description == "password [redacted] is wrong"
    # The secret went out form-encoded inside Basic (RFC 6749 2.3.1), as the server echoed it.
    assert quote_plus(CLIENT_SECRET) in (error.unredacted_body or "")


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.id for s in SCENARIOS])
def test_secrets_echoed_in_headers_are_redacted(scenario: Scenario, httpserver: HTTPServer) -> None:
    package = PACKAGES[scenario.provider]

    def answer(request: Request) -> Response:
        issued = manager_token(scenario, request)
        if issued is not None:
            return issued
        headers = [("X-Echo", echo_of(request)), ("X-Echo", "second " + echo_of(request)),
                   ("X-Request-Id", "req-1"),
                   ("WWW-Authenticate", f'Bearer error="{echo_of(request)}"')]
        return Response(json.dumps({"error": "invalid_client"}), status=401,
                        content_type="application/json", headers=headers)

    httpserver.expect_request(TOKEN_PATHS[scenario.provider], method="POST").respond_with_handler(
        answer
    )
    host = f"http://{httpserver.host}:{httpserver.port}"
    client = package.ApiClient(configuration(package, host, scenario.auth))
    with client, pytest.raises(package.UnauthorizedException) as caught:
        token_call(scenario.provider, client)
    headers = caught.value.headers
    echoed = headers.getlist("X-Echo")
    assert len(echoed) == 2 and all("[redacted]" in value for value in echoed)
    assert headers["X-Request-Id"] == "req-1" and headers["Content-Type"] == "application/json"
    typed = caught.value.header_values  # what the spec declares (Zuora: WWW-Authenticate)
    assert ("WWW-Authenticate" in typed) == (scenario.provider == "zuora")
    for secret in scenario.secrets:
        for value in [*echoed, headers["WWW-Authenticate"], *map(str, typed.values())]:
            assert secret not in value and quote_plus(secret) not in value
