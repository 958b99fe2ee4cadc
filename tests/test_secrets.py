"""Secrets in the Python packages: what shows of them, and what becomes of an echo of them.

- Every package is driven through a successful and a failing (401) call with distinctive
  secret values, with DEBUG on for the package logger and the root logger (caplog) and
  ``Configuration(debug=True)`` writing to stderr (capsys). Nothing captured may hold a
  secret, or even its tail (masks show at most the first four characters).
- Every package makes its token call carrying every secret it can (client secret, refresh
  token, code, and the Authorization value or API key its security schemes send), against
  a loopback server that repeats them in its answer: in an OAuth error JSON, in plain text,
  in the reason phrase, in headers, in a 200 that is not JSON; as received (percent-encoded
  form body) and decoded. None may show in ``str(e)``, ``repr(e)``, ``e.args``, ``e.body``,
  ``e.reason``, ``e.error``, ``e.error_description``, ``e.data`` or the headers;
  ``e.unredacted_body`` keeps the answer as received.
- Arguments that break the spec and hold a secret are refused without showing it.

The secrets hold characters that JSON and form encoding change. The runtime's own rules
(what looks secret, masks, redaction) are unit-tested in tests/runtime/test_runtime_secrets.py;
Node's in tests/node/runtime/secrets.test.js (runtime) and tests/node/faults.test.js (package).
The credentials of every kind of security scheme, echoed to both packages: test_node_security.py.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from types import ModuleType
from typing import Any, Callable
from urllib.parse import parse_qsl, quote_plus

import criteo_api_retailmedia_v2022_10 as criteo
import CyberSource
import pandadoc_client
import pytest
import zuora_client
from calls import cybersource_request, secret_call
from providers import PACKAGES, TOKEN_PATHS, ZUORA_CLIENT_ID
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

# What the caller holds; characters JSON escapes (") and form encoding changes (/ + = space).
CLIENT_SECRET = 'cs/7Q2+vX9"kL=mN 4pR8'
REFRESH_TOKEN = "rt.Hj3Kd8/Fq2+Lz5=="
CODE = "code-Pq7Wn2Bx5Yt8Rm"
API_KEY = "ak-Zt4Gy6Uw1Ie3Oa5S"
ACCESS_TOKEN = "eyJhbGciOi.Lk9Mj8/Nh7+Bg6="
# What the server issues (and a TokenManager then sends as its Bearer token).
ISSUED_ACCESS = "srv-at-Qa1Ws2Ed3Rf4T"
ISSUED_REFRESH = "srv-rt-Yh5Uj6Ik7Ol8P"
SECRETS = (CLIENT_SECRET, REFRESH_TOKEN, CODE, API_KEY, ACCESS_TOKEN, ISSUED_ACCESS, ISSUED_REFRESH)

TOKEN_BODY = json.dumps(
    {
        "access_token": ISSUED_ACCESS,
        "refresh_token": ISSUED_REFRESH,
        "token_type": "Bearer",
        "expires_in": 3600,
    }
)
ERROR_BODY = json.dumps({"error": "invalid_client", "error_description": "Client auth failed"})


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
        form = (
            (CLIENT_SECRET,) if self.provider == "zuora" else (CLIENT_SECRET, REFRESH_TOKEN, CODE)
        )
        extra = {
            "none": (),
            "api_key": (API_KEY,),
            "access_token": (ACCESS_TOKEN,),
            "token_manager": (ISSUED_ACCESS,),
        }[self.auth]
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
by_scenario = pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.id for s in SCENARIOS])


def assert_no_secret(text: str, where: str, secrets: tuple[str, ...] = SECRETS) -> None:
    for secret in secrets:
        # The whole value, its tail past the four characters a mask may show, and the
        # value as JSON and form encoding write it.
        assert secret not in text, f"{secret!r} in {where}"
        assert secret[4:] not in text, f"tail of {secret!r} in {where}"
        assert json.dumps(secret)[1:-1] not in text, f"{secret!r} JSON-escaped in {where}"
        assert quote_plus(secret) not in text, f"{secret!r} form-encoded in {where}"


def configuration(package: ModuleType, host: str, auth: str, **settings: Any) -> tuple[Any, Any]:
    """(Configuration with this scenario's credentials and ``settings``, its TokenManager)."""
    settings = {"host": host, "retries": 0, **settings}
    if auth == "token_manager":
        token_client = package.ApiClient(package.Configuration(**settings))
        manager = package.TokenManager(
            "client-id", CLIENT_SECRET, refresh_token=REFRESH_TOKEN, api_client=token_client
        )
        return package.Configuration(token_manager=manager, **settings), manager
    if auth == "api_key":
        config = package.Configuration(
            api_key={"apiKey": API_KEY},
            api_key_prefix={"apiKey": "API-Key"},
            access_token=ACCESS_TOKEN,
            **settings,
        )
        return config, None
    # Packages without security still hold (and must mask) an access token if given one.
    return package.Configuration(access_token=ACCESS_TOKEN, **settings), None


def manager_token(scenario: Scenario, request: Request) -> Response | None:
    """The token answer to a TokenManager's own request (it carries no Authorization)."""
    if scenario.auth != "token_manager" or "Authorization" in request.headers:
        return None
    return Response(TOKEN_BODY, status=200, content_type="application/json")


# --- logs, stderr, exception text, reprs ------------------------------------------------
@pytest.fixture
def package_loggers() -> Iterator[None]:
    """Start without any debug handler an earlier test added; restore the loggers after."""
    saved = {}
    for name in PACKAGES.values():
        logger = logging.getLogger(name.__name__)
        saved[logger] = (logger.level, list(logger.handlers))
        for handler in list(logger.handlers):
            logger.removeHandler(handler)
    yield
    for logger, (level, handlers) in saved.items():
        logger.setLevel(level)
        for handler in list(logger.handlers):
            logger.removeHandler(handler)
        for handler in handlers:
            logger.addHandler(handler)


@pytest.mark.usefixtures("package_loggers")
@by_scenario
def test_no_secret_in_logs_errors_or_reprs(
    scenario: Scenario,
    httpserver: HTTPServer,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    provider, auth = scenario.provider, scenario.auth
    package = PACKAGES[provider]
    path = TOKEN_PATHS[provider]
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger=package.__name__)
    failing = False
    authorizations: list[str | None] = []

    def answer(request: Request) -> Response:
        authorizations.append(request.headers.get("Authorization"))
        issued = manager_token(scenario, request)  # a TokenManager's own request succeeds
        if failing and issued is None:
            return Response(ERROR_BODY, status=401, content_type="application/json")
        return issued or Response(TOKEN_BODY, status=200, content_type="application/json")

    httpserver.expect_request(path, method="POST").respond_with_handler(answer)
    host = f"http://{httpserver.host}:{httpserver.port}"
    config, manager = configuration(package, host, auth, debug=True)

    with package.ApiClient(config) as client:
        token = secret_call(provider, client, CLIENT_SECRET, CODE, REFRESH_TOKEN)
        assert token.access_token == ISSUED_ACCESS
        failing = True
        with pytest.raises(package.UnauthorizedException) as caught:
            secret_call(provider, client, CLIENT_SECRET, CODE, REFRESH_TOKEN)
    error = caught.value
    assert error.status == 401 and error.error == "invalid_client"

    # The credentials really were sent (so their absence from the logs means something).
    expected_authorization = {
        "api_key": f"API-Key {API_KEY}",
        "access_token": f"Bearer {ACCESS_TOKEN}",
        "token_manager": f"Bearer {ISSUED_ACCESS}",
        "none": None,
    }[auth]
    assert expected_authorization in authorizations
    if auth == "token_manager":
        # fetch + call; then 401 -> a new token fetched and the call sent once more.
        assert authorizations.count(None) == 2 and len(authorizations) == 5

    captured = capsys.readouterr()
    assert_no_secret(caplog.text, "log records")
    for record in caplog.records:
        assert_no_secret(record.getMessage(), f"record {record.name}")
    assert_no_secret(captured.err, "stderr")
    assert_no_secret(captured.out, "stdout")
    assert_no_secret(str(error), "str(exception)")
    assert_no_secret(repr(error), "repr(exception)")
    assert_no_secret(repr(config), "repr(Configuration)")
    if manager is not None:
        assert_no_secret(repr(manager), "repr(TokenManager)")
        assert_no_secret(repr(manager.api_client.configuration), "repr(token Configuration)")

    # Masked, not dropped: repr(Configuration) shows at most the first four characters.
    if auth in ("api_key", "access_token", "none"):
        assert repr(ACCESS_TOKEN[:4] + "\u2026") in repr(config)
    if auth == "api_key":
        assert repr(API_KEY[:4] + "\u2026") in repr(config)

    # DEBUG logging really happened: method, path, status and header names, in the
    # records and on stderr (debug=True), on the package logger.
    debug_lines = [
        r.getMessage()
        for r in caplog.records
        if r.name == package.__name__ and r.levelno == logging.DEBUG
    ]
    for status in (200, 401):
        lines = [m for m in debug_lines if f"-> {status}" in m]
        if auth != "none":  # the API call's line (a TokenManager's own request has none)
            lines = [m for m in lines if "Authorization" in m]
        assert lines, debug_lines
        for line in lines:
            assert "POST" in line and path in line and "Content-Type" in line
            assert line in captured.err
    assert any(r.name.startswith("urllib3") for r in caplog.records)  # root at DEBUG too


def test_cybersource_request_model_repr_masks_x_secret_fields() -> None:
    request = cybersource_request(CLIENT_SECRET, CODE, REFRESH_TOKEN, "authorization_code")
    shown = repr(request)
    assert_no_secret(shown, "repr(CreateAccessTokenRequest)")
    assert "client_id='client-id'" in shown  # not a secret: shown as is
    assert "grant_type='authorization_code'" in shown
    for name, secret in (
        ("client_secret", CLIENT_SECRET),
        ("code", CODE),
        ("refresh_token", REFRESH_TOKEN),
    ):
        assert f"{name}={secret[:4] + chr(0x2026)!r}" in shown
    # Short secrets show nothing of themselves; unset ones still read as None.
    short = CyberSource.CreateAccessTokenRequest(client_secret="tiny-secret")
    assert "tiny" not in repr(short)
    assert "code=None" in repr(short)


# --- a server that echoes the secrets --------------------------------------------------


def echo_of(request: Request) -> str:
    """Everything secret the request carried: the form as sent and decoded, Authorization."""
    raw = request.get_data(as_text=True)
    decoded = " ".join(f"{k}={v}" for k, v in parse_qsl(raw))
    return f"you sent {raw} ({decoded}) with {request.headers.get('Authorization')}"


# How the server echoes: (status, content type, body) for a request; a reason phrase.
Echo = Callable[[Request], tuple[str, str, str]]
ECHOES: dict[str, Echo] = {
    "oauth-json-400": lambda r: (
        "400 Bad Request",
        "application/json",
        json.dumps({"error": "invalid_grant", "error_description": echo_of(r)}),
    ),
    "oauth-json-401": lambda r: (
        "401 Unauthorized",
        "application/json",
        json.dumps(
            {
                "error": "invalid_client",
                "error_description": echo_of(r),
                "error_uri": "https://errors.example.com/?" + r.get_data(as_text=True),
            }
        ),
    ),
    "json-not-ascii-401": lambda r: (
        "401 Unauthorized",
        "application/json",
        json.dumps(
            {"error": "invalid_client", "error_description": "\u00e9 " + echo_of(r)},
            ensure_ascii=True,
        ),
    ),
    "plain-text-401": lambda r: ("401 Unauthorized", "text/plain", echo_of(r)),
    "reason-phrase-401": lambda r: (
        f"401 Wrong {r.headers.get('Authorization') or dict(parse_qsl(r.get_data(as_text=True)))['client_secret']}",
        "application/json",
        json.dumps({"error": "invalid_client"}),
    ),
    "html-200": lambda r: ("200 OK", "text/html", f"<html><p>{echo_of(r)}</p></html>"),
}


@pytest.mark.usefixtures("driver")  # the blocking classes and the aio ones (conftest.py)
@pytest.mark.parametrize("echo", list(ECHOES))
@by_scenario
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
    client = package.ApiClient(configuration(package, host, scenario.auth)[0])
    with client, pytest.raises(package.ApiException) as caught:
        secret_call(scenario.provider, client, CLIENT_SECRET, CODE, REFRESH_TOKEN)
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
    for where, text in shown.items():
        assert_no_secret(text, f"e.{where}", scenario.secrets)
    # The server did echo them, and the raw answer is kept where it is asked for by name.
    raw = error.unredacted_body or ""
    if echo != "reason-phrase-401":
        assert "[redacted]" in error.body
        assert all(json.dumps(secret)[1:-1] in raw or secret in raw for secret in scenario.secrets)
    else:
        assert "[redacted]" in error.reason
    if echo.startswith("oauth-json"):
        assert "[redacted]" in error.error_description and "[redacted]" in str(error)


@pytest.mark.usefixtures("driver")
def test_a_basic_client_secret_is_redacted(httpserver: HTTPServer) -> None:
    """client_secret_basic: the password inside the Authorization value, decoded, too."""

    class BasicAuthManager(pandadoc_client.TokenManager):
        client_auth = "basic"

    def answer(request: Request) -> Response:
        assert request.authorization is not None
        description = f"password {request.authorization.password} is wrong"
        return Response(
            json.dumps({"error": "invalid_client", "error_description": description}),
            status=401,
            content_type="application/json",
        )

    httpserver.expect_request(TOKEN_PATHS["pandadoc"], method="POST").respond_with_handler(answer)
    host = f"http://{httpserver.host}:{httpserver.port}"
    client = pandadoc_client.ApiClient(pandadoc_client.Configuration(host=host, retries=0))
    manager = BasicAuthManager(
        "client-id", CLIENT_SECRET, refresh_token=REFRESH_TOKEN, api_client=client
    )
    with manager, pytest.raises(pandadoc_client.UnauthorizedException) as caught:
        manager.get_token()
    error = caught.value
    escaped = json.dumps(CLIENT_SECRET)[1:-1]
    assert escaped not in str(error) + repr(error) + (error.body or "")
    assert error.error_description == "password [redacted] is wrong"
    # The secret went out form-encoded inside Basic (RFC 6749 2.3.1), as the server echoed it.
    assert quote_plus(CLIENT_SECRET) in (error.unredacted_body or "")


@pytest.mark.usefixtures("driver")
@by_scenario
def test_secrets_echoed_in_headers_are_redacted(scenario: Scenario, httpserver: HTTPServer) -> None:
    package = PACKAGES[scenario.provider]

    def answer(request: Request) -> Response:
        issued = manager_token(scenario, request)
        if issued is not None:
            return issued
        headers = [
            ("X-Echo", echo_of(request)),
            ("X-Echo", "second " + echo_of(request)),
            ("X-Request-Id", "req-1"),
            ("WWW-Authenticate", f'Bearer error="{echo_of(request)}"'),
        ]
        return Response(
            json.dumps({"error": "invalid_client"}),
            status=401,
            content_type="application/json",
            headers=headers,
        )

    httpserver.expect_request(TOKEN_PATHS[scenario.provider], method="POST").respond_with_handler(
        answer
    )
    host = f"http://{httpserver.host}:{httpserver.port}"
    client = package.ApiClient(configuration(package, host, scenario.auth)[0])
    with client, pytest.raises(package.UnauthorizedException) as caught:
        secret_call(scenario.provider, client, CLIENT_SECRET, CODE, REFRESH_TOKEN)
    headers = caught.value.headers
    echoed = headers.getlist("X-Echo")
    assert len(echoed) == 2 and all("[redacted]" in value for value in echoed)
    assert headers["X-Request-Id"] == "req-1" and headers["Content-Type"] == "application/json"
    typed = caught.value.header_values  # what the spec declares (Zuora: WWW-Authenticate)
    assert ("WWW-Authenticate" in typed) == (scenario.provider == "zuora")
    for value in [*echoed, headers["WWW-Authenticate"], *map(str, typed.values())]:
        assert_no_secret(value, "a header", scenario.secrets)


# --- arguments that break the spec ------------------------------------------------------


@pytest.mark.parametrize(
    "attempt",
    [
        # (package, call) pairs whose arguments break the spec and hold a secret.
        pytest.param(
            lambda: zuora_client.OAuthApi(client_for(zuora_client)).create_token(
                ZUORA_CLIENT_ID, CLIENT_SECRET + "\ud800", "client_credentials"
            ),
            id="zuora-lone-surrogate",
        ),
        pytest.param(
            lambda: zuora_client.OAuthApi(client_for(zuora_client)).create_token(
                ZUORA_CLIENT_ID, "secret", CLIENT_SECRET
            ),
            id="zuora-enum",
        ),
        pytest.param(
            lambda: zuora_client.OAuthApi(client_for(zuora_client)).create_token(
                ZUORA_CLIENT_ID, "secret", "client_credentials", zuora_track_id=ACCESS_TOKEN + ";"
            ),
            id="zuora-header-pattern",
        ),
        pytest.param(
            lambda: zuora_client.OAuthApi(client_for(zuora_client)).create_token(
                ZUORA_CLIENT_ID, "secret", "client_credentials", zuora_track_id=ACCESS_TOKEN * 4
            ),
            id="zuora-header-length",
        ),
        pytest.param(
            lambda: zuora_client.OAuthApi(client_for(zuora_client)).create_token(
                ZUORA_CLIENT_ID, CLIENT_SECRET.encode(), "client_credentials"
            ),
            id="zuora-type",
        ),
        pytest.param(
            lambda: zuora_client.OAuthApi(client_for(zuora_client)).create_token(
                ZUORA_CLIENT_ID, CLIENT_SECRET * 3, "client_credentials"
            ),
            id="zuora-secret-over-42-chars",
        ),
        pytest.param(
            lambda: zuora_client.OAuthApi(client_for(zuora_client)).create_token(
                CLIENT_SECRET, "secret", "client_credentials"
            ),
            id="zuora-secret-given-as-client-id",
        ),
        pytest.param(
            lambda: CyberSource.OAuthApi(client_for(CyberSource)).create_access_token(
                CyberSource.CreateAccessTokenRequest(
                    client_id="id", client_secret="s", grant_type=REFRESH_TOKEN
                )
            ),
            id="cybersource-model-enum",
        ),
        pytest.param(
            lambda: pandadoc_client.OAuth20AuthenticationApi(
                client_for(pandadoc_client, api_key={"apiKey": API_KEY + "\r\nX-Injected: 1"})
            ).access_token(client_id="id"),
            id="pandadoc-api-key-crlf",
        ),
        pytest.param(
            lambda: criteo.OAuthApi(
                client_for(criteo, access_token=ACCESS_TOKEN + "\u00e9")
            ).get_token("client_credentials", "id", "secret"),
            id="criteo-access-token-non-ascii",
        ),
    ],
)
def test_validation_errors_never_include_the_value(attempt: Any) -> None:
    with pytest.raises(
        (
            zuora_client.OpenApiException,
            CyberSource.OpenApiException,
            pandadoc_client.OpenApiException,
            criteo.OpenApiException,
        )
    ) as caught:
        attempt()
    assert isinstance(caught.value, (TypeError, ValueError))
    assert_no_secret(str(caught.value), "the error message")
    assert_no_secret(repr(caught.value), "the error repr")


def client_for(package: ModuleType, **credentials: Any) -> Any:
    """A client for a host that is never reached: validation fails before sending."""
    return package.ApiClient(package.Configuration(host="http://127.0.0.1:9", **credentials))


@pytest.mark.parametrize("package", list(PACKAGES.values()), ids=list(PACKAGES))
def test_verify_ssl_off_warns_once(
    package: ModuleType, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(package.rest, "_warned_unverified", False)  # as in a new process
    caplog.set_level(logging.DEBUG, logger=package.__name__)

    def warnings() -> list[logging.LogRecord]:
        return [
            r for r in caplog.records if r.name == package.__name__ and r.levelno == logging.WARNING
        ]

    package.ApiClient(package.Configuration(verify_ssl=True)).close()
    assert warnings() == []
    package.ApiClient(package.Configuration(verify_ssl=False)).close()
    package.ApiClient(package.Configuration(verify_ssl=False)).close()
    [warning] = warnings()
    assert "verify_ssl=False" in warning.getMessage()
