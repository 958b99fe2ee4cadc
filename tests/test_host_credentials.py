"""A ``user:password@`` in the host setting is never shown, whatever fails.

The host URL may carry credentials (``http://user:PW@host``); they are not sent (the
packages authenticate with the settings the spec's security schemes name) and must not
leak: not in the text or repr of any error a call raises (connection refused, timeout,
an answer that is not HTTP, an error status), not in the retry lines logged at INFO or
the request lines at DEBUG, not in ``repr(Configuration)``, and not in the request line a
forward proxy receives.
"""

from __future__ import annotations

import dataclasses
import json
import logging
from typing import Any

import pytest
from calls import call, token_call
from providers import PACKAGES, PROVIDERS, TOKEN_PATHS
from pytest_httpserver import HTTPServer
from servers import ForwardProxy, RawServer, sending, stall

PASSWORD = "pw-in-the-host-url-0123"


def with_credentials(url: str) -> str:
    return url.replace("://", f"://user:{PASSWORD}@", 1)


def assert_hidden(
    error: BaseException, configuration: Any, caplog: pytest.LogCaptureFixture
) -> None:
    texts = [str(error), repr(error), caplog.text, repr(configuration)]
    texts += [str(getattr(error, name, "")) for name in ("reason", "body")]
    for text in texts:
        assert PASSWORD not in text
        assert f"user:{PASSWORD[:4]}" not in text


def without_userinfo(url: str) -> str:
    return url.replace(f"user:{PASSWORD}@", "")


def failed_call(provider: str, host: str, **settings: Any) -> tuple[BaseException, Any]:
    package = PACKAGES[provider]
    configuration = package.Configuration(host=host, **settings)
    with package.ApiClient(configuration) as client:
        with pytest.raises(package.ApiException) as caught:
            call(provider, client)
        assert list(client.rest_client.pools) == [without_userinfo(host)]  # keyed without it
    return caught.value, configuration


@pytest.mark.parametrize("provider", [p.name for p in PROVIDERS])
def test_connection_refused_and_its_retries(
    provider: str, refused_url: str, waits: list[float], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    error, configuration = failed_call(provider, with_credentials(refused_url), retries=2)
    assert type(error) is PACKAGES[provider].ApiConnectionError
    assert len(waits) == 2 and "retry 2 of 2" in caplog.text  # the retry lines were logged
    assert f"POST {refused_url}/" in str(error)  # the URL is named, without the credentials
    assert_hidden(error, configuration, caplog)


def test_a_timeout(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    server = RawServer(stall)
    try:
        package = PACKAGES["zuora"]
        configuration = package.Configuration(host=with_credentials(server.url), retries=0)
        refused = pytest.raises(package.ApiTimeoutError)
        with package.ApiClient(configuration) as client, refused as caught:
            call("zuora", client, (5.0, 0.2))
    finally:
        server.close(expected=1)
    assert f"POST {server.url}/" in str(caught.value)
    assert_hidden(caught.value, configuration, caplog)


def test_an_answer_that_is_not_http(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    server = RawServer(sending(b"SSH-2.0-OpenSSH_9.6\r\n\r\n"))
    try:
        error, configuration = failed_call("pandadoc", with_credentials(server.url))
    finally:
        server.close(expected=1)
    assert type(error) is PACKAGES["pandadoc"].MalformedResponseError
    assert f"POST {server.url}/" in str(error)
    assert_hidden(error, configuration, caplog)


@pytest.mark.parametrize("status", [400, 500])
def test_an_error_status(
    status: int, httpserver: HTTPServer, waits: list[float], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    body = json.dumps({"error": "invalid_client", "error_description": "no"})
    httpserver.expect_request(TOKEN_PATHS["criteo"]).respond_with_data(
        body, status=status, content_type="application/json"
    )
    host = with_credentials(httpserver.url_for("").rstrip("/"))
    error, configuration = failed_call("criteo", host, retries=0)
    assert error.status == status
    assert_hidden(error, configuration, caplog)
    [(request, _)] = httpserver.log
    assert "Authorization" not in request.headers  # the credentials are not sent either
    assert PASSWORD not in caplog.text and "-> " + str(status) in caplog.text


def test_a_proxy_is_not_sent_the_credentials(
    open_proxy: ForwardProxy, http_target: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    target = dataclasses.replace(http_target, url=with_credentials(http_target.url))
    assert token_call(target, proxy=open_proxy.url).access_token == "issued-through-proxy"
    [seen] = open_proxy.seen
    assert seen.target == http_target.url + TOKEN_PATHS["zuora"]  # no user:password@ in it
    assert PASSWORD not in caplog.text
