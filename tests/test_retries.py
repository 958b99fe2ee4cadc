"""Retries: which failures are retried, how long each wait is, and that each is logged.

Waits are recorded through the injectable ``ApiClient.sleep`` (nothing really sleeps);
answers come from pytest-httpserver, refused connections from a bound, non-listening port.
"""

from __future__ import annotations

import email.utils
import json
import logging
import random
import socket
import time
from collections.abc import Callable, Iterator
from typing import Any

import criteo_api_retailmedia_v2022_10 as criteo
import CyberSource
import pandadoc_client
import pytest
import zuora_client
from providers import PACKAGES, TOKEN_PATHS, ZUORA_CLIENT_ID
from pytest_httpserver import HTTPServer
from werkzeug import Response

# Every test runs with the blocking classes and with the aio ones (conftest.driver).
pytestmark = pytest.mark.usefixtures("driver")

TOKEN = {"access_token": "tok-after-retry", "token_type": "bearer", "expires_in": 3600}
NOW = 1_800_000_000.0  # a frozen wall clock, on a whole second as HTTP dates are


def call(provider: str, client: Any) -> Any:
    """The provider's documented token call, with valid arguments."""
    if provider == "cybersource":
        request = CyberSource.CreateAccessTokenRequest(
            client_id="id", client_secret="secret", grant_type="refresh_token", refresh_token="rt"
        )
        return CyberSource.OAuthApi(client).create_access_token(request)
    if provider == "pandadoc":
        api = pandadoc_client.OAuth20AuthenticationApi(client)
        return api.access_token(grant_type="refresh_token", client_id="id", refresh_token="rt")
    if provider == "criteo":
        return criteo.OAuthApi(client).get_token("client_credentials", "id", "secret")
    return zuora_client.OAuthApi(client).create_token(
        ZUORA_CLIENT_ID, "secret", "client_credentials"
    )


def answer(status: int, retry_after: str | None = None) -> Response:
    """A JSON answer: the token on 200, an OAuth error otherwise."""
    headers = {"Retry-After": retry_after} if retry_after is not None else {}
    body = TOKEN if status == 200 else {"error": "slow_down", "error_description": "busy"}
    return Response(
        json.dumps(body), status=status, headers=headers, content_type="application/json"
    )


def http_date(seconds_from_now: float) -> str:
    """A Retry-After HTTP date, relative to the frozen clock."""
    return email.utils.formatdate(NOW + seconds_from_now, usegmt=True)


@pytest.fixture
def waits(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Every wait between retries, in every package; nothing really sleeps."""
    recorded: list[float] = []
    for package in PACKAGES.values():
        monkeypatch.setattr(package.ApiClient, "sleep", staticmethod(recorded.append))
    return recorded


@pytest.fixture
def frozen_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    """time.time() returns NOW, so an HTTP-date Retry-After gives an exact wait."""
    monkeypatch.setattr(time, "time", lambda: NOW)


@pytest.fixture
def refused_url() -> Iterator[str]:
    """A URL whose port is bound but not listening: connecting is refused at once."""
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        yield f"http://127.0.0.1:{holder.getsockname()[1]}"


def client_for(provider: str, host: str, **options: Any) -> Any:
    package = PACKAGES[provider]
    return package.ApiClient(package.Configuration(host=host, **options))


def host_of(server: HTTPServer) -> str:
    return f"http://{server.host}:{server.port}"


def queue(server: HTTPServer, provider: str, *responses: Response) -> None:
    """Answer the next requests with these responses, in order."""
    for response in responses:
        server.expect_ordered_request(TOKEN_PATHS[provider], method="POST").respond_with_response(
            response
        )


#: Providers whose documented call uses a grant that is not single-use (client_credentials).
REUSABLE = ["criteo", "zuora"]
#: Providers whose documented call here sends a refresh token (used up by the server).
SINGLE_USE = ["cybersource", "pandadoc"]


@pytest.mark.parametrize("provider", REUSABLE)
def test_retry_after_seconds_honoured_then_success(
    provider: str, httpserver: HTTPServer, waits: list[float]
) -> None:
    queue(httpserver, provider, answer(429, "3"), answer(503, "7"), answer(200))
    with client_for(provider, host_of(httpserver)) as client:
        token = call(provider, client)
    assert token.access_token == TOKEN["access_token"]
    assert waits == [3.0, 7.0]
    assert len(httpserver.log) == 3
    httpserver.check_assertions()


@pytest.mark.usefixtures("frozen_clock")
def test_retry_after_http_date_honoured(httpserver: HTTPServer, waits: list[float]) -> None:
    # 42 s ahead, 5 s ahead, and a date already past (retry at once).
    queue(
        httpserver,
        "zuora",
        answer(503, http_date(42)),
        answer(429, http_date(5)),
        answer(429, http_date(-30)),
        answer(200),
    )
    with client_for("zuora", host_of(httpserver), retries=3) as client:
        token = call("zuora", client)
    assert token.access_token == TOKEN["access_token"]
    assert waits == [42.0, 5.0, 0.0]
    assert len(httpserver.log) == 4


def test_unreadable_retry_after_falls_back_to_backoff(
    httpserver: HTTPServer, waits: list[float]
) -> None:
    queue(httpserver, "criteo", answer(503, "soon"), answer(200))
    with client_for("criteo", host_of(httpserver)) as client:
        assert call("criteo", client).access_token == TOKEN["access_token"]
    assert len(waits) == 1 and 0.0 <= waits[0] <= 0.5


@pytest.mark.usefixtures("frozen_clock")
@pytest.mark.parametrize(
    ("status", "retry_after", "cap", "exception", "expected"),
    [
        (429, "61", None, "TooManyRequestsException", 61.0),
        (503, "3600", None, "ServiceException", 3600.0),
        (429, http_date(120), None, "TooManyRequestsException", 120.0),
        (503, "6", 5.0, "ServiceException", 6.0),
        (429, "0.5", 0.25, "TooManyRequestsException", 0.5),
    ],
)
def test_retry_after_over_cap_raises_at_once(
    httpserver: HTTPServer,
    waits: list[float],
    status: int,
    retry_after: str,
    cap: float | None,
    exception: str,
    expected: float,
) -> None:
    httpserver.expect_request(TOKEN_PATHS["pandadoc"]).respond_with_response(
        answer(status, retry_after)
    )
    options = {} if cap is None else {"retry_after_cap": cap}
    client = client_for("pandadoc", host_of(httpserver), **options)
    with client, pytest.raises(pandadoc_client.ApiException) as caught:
        call("pandadoc", client)
    assert type(caught.value) is getattr(pandadoc_client, exception)
    assert caught.value.status == status
    assert caught.value.retry_after == expected
    assert waits == []
    assert len(httpserver.log) == 1


def test_retry_after_equal_to_cap_is_honoured(httpserver: HTTPServer, waits: list[float]) -> None:
    queue(httpserver, "cybersource", answer(429, "5"), answer(200))
    with client_for("cybersource", host_of(httpserver), retry_after_cap=5.0) as client:
        assert call("cybersource", client).access_token == TOKEN["access_token"]
    assert waits == [5.0]


@pytest.fixture
def seeded_random() -> Iterator[None]:
    """A fixed seed for the jitter, and the global random state restored afterwards."""
    state = random.getstate()
    random.seed(20240611)
    yield
    random.setstate(state)


@pytest.mark.usefixtures("seeded_random")
@pytest.mark.parametrize("backoff_factor", [0.5, 0.1, 2.0])
def test_backoff_is_bounded_full_jitter(
    refused_url: str, waits: list[float], backoff_factor: float
) -> None:
    """Without Retry-After, wait n is uniform in [0, factor * 2**n]: bounded, and spread."""
    runs, retries = 200, 4
    per_attempt: list[list[float]] = [[] for _ in range(retries)]
    with client_for(
        "zuora", refused_url, retries=retries, backoff_factor=backoff_factor
    ) as client:
        for _ in range(runs):
            waits.clear()
            with pytest.raises(zuora_client.ApiConnectionError) as caught:
                call("zuora", client)
            assert caught.value.connected is False
            assert len(waits) == retries
            for attempt, wait in enumerate(waits):
                per_attempt[attempt].append(wait)
    for attempt, observed in enumerate(per_attempt):
        ceiling = backoff_factor * 2**attempt
        assert all(0.0 <= wait <= ceiling for wait in observed)
        # Full jitter: the waits cover the range, they are not a fixed schedule.
        assert min(observed) < 0.1 * ceiling
        assert max(observed) > 0.9 * ceiling
        assert len(set(observed)) > runs // 2


def test_backoff_on_503_without_retry_after(httpserver: HTTPServer, waits: list[float]) -> None:
    httpserver.expect_request(TOKEN_PATHS["criteo"]).respond_with_response(answer(503))
    with client_for("criteo", host_of(httpserver), retries=3, backoff_factor=0.2) as client:
        for _ in range(20):
            waits.clear()
            with pytest.raises(criteo.ServiceException):
                call("criteo", client)
            assert len(waits) == 3
            assert all(0.0 <= wait <= 0.2 * 2**n for n, wait in enumerate(waits))
    assert len(httpserver.log) == 20 * 4


@pytest.mark.parametrize("status", [429, 503])
def test_retries_zero_disables_retrying(
    httpserver: HTTPServer, waits: list[float], status: int
) -> None:
    httpserver.expect_request(TOKEN_PATHS["zuora"]).respond_with_response(answer(status, "1"))
    client = client_for("zuora", host_of(httpserver), retries=0)
    with client, pytest.raises(zuora_client.ApiException) as caught:
        call("zuora", client)
    assert caught.value.status == status
    assert caught.value.retry_after == 1.0
    assert waits == []
    assert len(httpserver.log) == 1


def test_retries_zero_refused_connection(refused_url: str, waits: list[float]) -> None:
    client = client_for("cybersource", refused_url, retries=0)
    with client, pytest.raises(CyberSource.ApiConnectionError) as caught:
        call("cybersource", client)
    assert caught.value.connected is False
    assert waits == []


def test_retries_count_is_configurable(httpserver: HTTPServer, waits: list[float]) -> None:
    httpserver.expect_request(TOKEN_PATHS["zuora"]).respond_with_response(answer(429))
    client = client_for("zuora", host_of(httpserver), retries=5)
    with client, pytest.raises(zuora_client.TooManyRequestsException):
        call("zuora", client)
    assert len(waits) == 5
    assert len(httpserver.log) == 6


@pytest.mark.parametrize("status", [400, 401, 404, 500, 502, 504])
def test_other_statuses_are_not_retried(
    httpserver: HTTPServer, waits: list[float], status: int
) -> None:
    # Even with a Retry-After: only 429 and 503 say the request was not processed.
    httpserver.expect_request(TOKEN_PATHS["criteo"]).respond_with_response(answer(status, "1"))
    client = client_for("criteo", host_of(httpserver))
    with client, pytest.raises(criteo.ApiException) as caught:
        call("criteo", client)
    assert caught.value.status == status
    assert waits == []
    assert len(httpserver.log) == 1


@pytest.mark.parametrize("provider", REUSABLE)
def test_success_after_503_returns_the_data(
    provider: str, httpserver: HTTPServer, waits: list[float]
) -> None:
    queue(httpserver, provider, answer(503), answer(200))
    with client_for(provider, host_of(httpserver)) as client:
        token = call(provider, client)
    assert type(token).__name__ in {
        "AccessTokenResponse",
        "OAuth2AccessTokenResponse",
        "AccessTokenModel",
        "TokenResponse",
    }
    assert token.access_token == TOKEN["access_token"]
    assert token.expires_in == 3600
    assert len(waits) == 1
    assert len(httpserver.log) == 2


def retry_records(caplog: pytest.LogCaptureFixture, logger: str) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == logger and "retry" in r.getMessage()]


def test_each_retry_is_logged_at_info(
    httpserver: HTTPServer, waits: list[float], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="zuora_client")
    queue(httpserver, "zuora", answer(429, "3"), answer(503), answer(200))
    with client_for("zuora", host_of(httpserver)) as client:
        call("zuora", client)
    records = retry_records(caplog, "zuora_client")
    assert [r.levelno for r in records] == [logging.INFO, logging.INFO]
    first, second = (r.getMessage() for r in records)
    assert "429" in first and "retry 1 of 2" in first and "3.00 s" in first
    assert "503" in second and "retry 2 of 2" in second and f"{waits[1]:.2f} s" in second
    assert "/oauth/token" in first


def test_refused_retry_is_logged_with_reason(
    refused_url: str, waits: list[float], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="CyberSource")
    client = client_for("cybersource", refused_url)
    with client, pytest.raises(CyberSource.ApiConnectionError):
        call("cybersource", client)
    messages = [r.getMessage() for r in retry_records(caplog, "CyberSource")]
    assert len(messages) == 2 == len(waits)
    for attempt, (message, wait) in enumerate(zip(messages, waits), start=1):
        assert "could not connect" in message
        assert f"retry {attempt} of 2" in message
        assert f"{wait:.2f} s" in message


# --- single-use grants: never sent again once the server may have spent them -------------


def assert_sent_once(
    provider: str,
    status: int,
    send: Callable[[str, Any], Any],
    httpserver: HTTPServer,
    waits: list[float],
) -> None:
    """``send`` meets ``status`` once: the error comes back, nothing is sent again."""
    httpserver.expect_request(TOKEN_PATHS[provider]).respond_with_response(answer(status))
    with client_for(provider, host_of(httpserver)) as client, pytest.raises(
        PACKAGES[provider].ApiException
    ) as caught:
        send(provider, client)
    assert caught.value.status == status
    assert len(httpserver.log) == 1
    assert waits == []


@pytest.mark.parametrize("status", [503, 429])
@pytest.mark.parametrize("provider", SINGLE_USE)
def test_single_use_grant_is_not_resent_without_retry_after(
    provider: str, status: int, httpserver: HTTPServer, waits: list[float]
) -> None:
    assert_sent_once(provider, status, call, httpserver, waits)


def carrying_a_single_use_credential(provider: str, client: Any) -> Any:
    """A documented token call that carries a code or a refresh token, grant_type aside."""
    if provider == "pandadoc":  # grant_type left out: the server defaults it
        api = pandadoc_client.OAuth20AuthenticationApi(client)
        return api.access_token(refresh_token="rt-1234", client_id="id", client_secret="secret")
    if provider == "criteo":  # a refresh token sent with another grant_type
        return criteo.OAuthApi(client).get_token(
            "client_credentials", "id", "secret", refresh_token="rt-1234"
        )
    request = CyberSource.CreateAccessTokenRequest(  # a code, in the body model's form
        client_id="id", client_secret="secret", grant_type="authorization_code", code="c-1234"
    )
    return CyberSource.OAuthApi(client).create_access_token(request)


@pytest.mark.parametrize("status", [503, 429])
@pytest.mark.parametrize("provider", ["pandadoc", "criteo", "cybersource"])
def test_a_code_or_refresh_token_is_single_use_whatever_the_grant_type(
    provider: str, status: int, httpserver: HTTPServer, waits: list[float]
) -> None:
    assert_sent_once(provider, status, carrying_a_single_use_credential, httpserver, waits)


@pytest.mark.parametrize("provider", SINGLE_USE)
def test_single_use_grant_503_with_retry_after_is_not_resent(
    provider: str, httpserver: HTTPServer, waits: list[float]
) -> None:
    httpserver.expect_request(TOKEN_PATHS[provider]).respond_with_response(answer(503, "1"))
    with client_for(provider, host_of(httpserver)) as client, pytest.raises(
        PACKAGES[provider].ServiceException
    ):
        call(provider, client)
    assert len(httpserver.log) == 1


@pytest.mark.parametrize("provider", SINGLE_USE)
def test_single_use_grant_429_with_retry_after_is_resent(
    provider: str, httpserver: HTTPServer, waits: list[float]
) -> None:
    # 429 with Retry-After: the server refused the request before looking at the grant.
    queue(httpserver, provider, answer(429, "2"), answer(200))
    with client_for(provider, host_of(httpserver)) as client:
        token = call(provider, client)
    assert token.access_token == TOKEN["access_token"]
    assert waits == [2.0]
    assert len(httpserver.log) == 2


@pytest.mark.parametrize("provider", SINGLE_USE)
def test_single_use_grant_is_resent_when_no_connection_was_made(
    provider: str, refused_url: str, waits: list[float]
) -> None:
    with client_for(provider, refused_url) as client, pytest.raises(
        PACKAGES[provider].ApiConnectionError
    ):
        call(provider, client)
    assert len(waits) == 2  # nothing reached a server: retried as any request
