"""Secrets never reach logs, stderr, exception text or reprs; DEBUG logs still say what happened.

Every package is driven through a successful and a failing (401) call with distinctive
secret values, with DEBUG on for the package logger and the root logger (caplog) and
``Configuration(debug=True)`` writing to stderr (capsys). Nothing captured may hold a
secret, or even its tail (masks show at most the first four characters).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from types import ModuleType
from typing import Any

import criteo_api_retailmedia_v2022_10 as criteo
import CyberSource
import pandadoc_client
import pytest
import zuora_client
from calls import secret_call
from providers import PACKAGES, TOKEN_PATHS, ZUORA_CLIENT_ID
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

# What the caller holds.
CLIENT_SECRET = "cs-7Q2vX9kLmN4pR8tW"
REFRESH_TOKEN = "rt-Hj3Kd8Fq2Lz5Xc9V"
CODE = "code-Pq7Wn2Bx5Yt8Rm"
API_KEY = "ak-Zt4Gy6Uw1Ie3Oa5S"
ACCESS_TOKEN = "at-Lk9Mj8Nh7Bg6Vf5C"
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

# (provider, how it authenticates): the credentials each scenario configures.
SCENARIOS = [
    ("cybersource", "none"),
    ("zuora", "none"),
    ("pandadoc", "api_key"),
    ("pandadoc", "access_token"),
    ("pandadoc", "token_manager"),
    ("criteo", "access_token"),
    ("criteo", "token_manager"),
]


def assert_no_secret(text: str, where: str) -> None:
    for secret in SECRETS:
        # The whole value, and its tail past the four characters a mask may show.
        assert secret not in text, f"{secret!r} in {where}"
        assert secret[4:] not in text, f"tail of {secret!r} in {where}"


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


def configuration(package: ModuleType, host: str, auth: str) -> tuple[Any, Any]:
    """(Configuration with debug=True and this scenario's credentials, its TokenManager)."""
    if auth == "token_manager":
        token_client = package.ApiClient(package.Configuration(host=host, debug=True))
        manager = package.TokenManager(
            "client-id", CLIENT_SECRET, refresh_token=REFRESH_TOKEN, api_client=token_client
        )
        return package.Configuration(host=host, token_manager=manager, debug=True), manager
    if auth == "api_key":
        config = package.Configuration(
            host=host,
            api_key={"apiKey": API_KEY},
            api_key_prefix={"apiKey": "API-Key"},
            access_token=ACCESS_TOKEN,
            debug=True,
        )
        return config, None
    # Packages without security still hold (and must mask) an access token if given one.
    return package.Configuration(host=host, access_token=ACCESS_TOKEN, debug=True), None


@pytest.mark.usefixtures("package_loggers")
@pytest.mark.parametrize(("provider", "auth"), SCENARIOS)
def test_no_secret_in_logs_errors_or_reprs(
    provider: str,
    auth: str,
    httpserver: HTTPServer,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    package = PACKAGES[provider]
    path = TOKEN_PATHS[provider]
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger=package.__name__)
    failing = False
    authorizations: list[str | None] = []

    def answer(request: Request) -> Response:
        authorization = request.headers.get("Authorization")
        authorizations.append(authorization)
        # A TokenManager's own token request carries no Authorization: it always succeeds.
        if failing and (auth != "token_manager" or authorization is not None):
            return Response(ERROR_BODY, status=401, content_type="application/json")
        return Response(TOKEN_BODY, status=200, content_type="application/json")

    httpserver.expect_request(path, method="POST").respond_with_handler(answer)
    host = f"http://{httpserver.host}:{httpserver.port}"
    config, manager = configuration(package, host, auth)

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
    request = CyberSource.CreateAccessTokenRequest(
        client_id="client-id",
        client_secret=CLIENT_SECRET,
        grant_type="authorization_code",
        code=CODE,
        refresh_token=REFRESH_TOKEN,
    )
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
    # Short secrets show nothing of themselves.
    short = CyberSource.CreateAccessTokenRequest(client_secret="tiny-secret")
    assert "tiny" not in repr(short)


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
    with pytest.raises((zuora_client.OpenApiException, CyberSource.OpenApiException,
                        pandadoc_client.OpenApiException, criteo.OpenApiException)) as caught:
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
            r
            for r in caplog.records
            if r.name == package.__name__ and r.levelno == logging.WARNING
        ]

    package.ApiClient(package.Configuration(verify_ssl=True)).close()
    assert warnings() == []
    package.ApiClient(package.Configuration(verify_ssl=False)).close()
    package.ApiClient(package.Configuration(verify_ssl=False)).close()
    [warning] = warnings()
    assert "verify_ssl=False" in warning.getMessage()
