"""Calls through a forward proxy: configured or from the environment, http and https, credentials.

``ForwardProxy`` is a small proxy of our own on 127.0.0.1: it forwards plain-HTTP requests
(absolute URIs) and opens CONNECT tunnels for HTTPS, only ever to loopback, and answers
407 when it wants credentials and the request lacks them. It records every request it
got (method, target, headers), so the tests show which way each call went. The target is
a loopback token endpoint, over HTTP or over TLS with a throwaway CA made by ``openssl``.
"""

from __future__ import annotations

import base64
import logging
import socket

import pytest
from calls import call, token_call
from providers import PACKAGES, PROVIDERS, TOKEN_PATHS
from servers import PROXY_CREDENTIALS, PROXY_PASSWORD, PROXY_USER, ForwardProxy, Target

# Every test runs with the blocking classes and with the aio ones (conftest.driver).
pytestmark = pytest.mark.usefixtures("driver")

ENVIRONMENT = ("http_proxy", "https_proxy", "all_proxy", "no_proxy")


@pytest.fixture(params=["http", "https"])
def target(request: pytest.FixtureRequest) -> Target:
    """The token endpoint over HTTP, then over HTTPS."""
    chosen: Target = request.getfixturevalue(f"{request.param}_target")
    return chosen


@pytest.fixture(autouse=True)
def no_proxy_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Start without any proxy variable the machine has (CI often sets no_proxy)."""
    for name in ENVIRONMENT:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.upper(), raising=False)


def assert_no_proxy_password(*texts: str) -> None:
    expected = base64.b64encode(PROXY_CREDENTIALS.encode()).decode()
    for text in texts:
        assert PROXY_PASSWORD not in text
        assert expected not in text


# --- configured proxies -------------------------------------------------------------------


@pytest.mark.parametrize("provider", [p.name for p in PROVIDERS])
def test_http_through_a_proxy_that_wants_credentials(
    provider: str, proxy: ForwardProxy, http_target: Target, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    token = token_call(http_target, provider=provider, proxy=proxy.with_credentials())
    assert token.access_token == "issued-through-proxy"
    [seen] = proxy.seen
    assert (seen.method, seen.target) == ("POST", http_target.url + TOKEN_PATHS[provider])
    assert seen.headers["proxy-authorization"] == proxy.expected
    [request] = http_target.requests
    assert request["via"] == "1.1 tokenworks-test-proxy"  # it came through the proxy
    assert "proxy-authorization" not in request
    assert_no_proxy_password(caplog.text)


def test_https_through_a_tunnel_with_credentials(
    proxy: ForwardProxy, https_target: Target, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    token = token_call(https_target, proxy=proxy.with_credentials())
    assert token.access_token == "issued-through-proxy"
    [seen] = proxy.seen
    assert (seen.method, seen.target) == ("CONNECT", https_target.url.removeprefix("https://"))
    assert seen.headers["proxy-authorization"] == proxy.expected
    [request] = https_target.requests
    # Inside the tunnel: the proxy's credentials never reach the API.
    assert "proxy-authorization" not in request and "via" not in request
    assert_no_proxy_password(caplog.text)


def test_percent_encoded_credentials_are_decoded(http_target: Target) -> None:
    credentials = "user@corp:p@ss:w0rd/x"
    server = ForwardProxy(credentials)
    try:
        quoted = "user%40corp:p%40ss%3Aw0rd%2Fx"
        token_call(http_target, proxy=f"http://{quoted}@127.0.0.1:{server.port}")
        [seen] = server.seen
        assert seen.headers["proxy-authorization"] == server.expected
    finally:
        server.close()


def test_a_proxy_without_credentials(
    target: Target, open_proxy: ForwardProxy
) -> None:
    token = token_call(target, proxy=open_proxy.url)
    assert token.access_token == "issued-through-proxy"
    [seen] = open_proxy.seen
    assert seen.method == ("CONNECT" if target.https else "POST")
    assert "proxy-authorization" not in seen.headers
    assert len(target.requests) == 1


@pytest.mark.parametrize("given", ["no-credentials", "wrong-password"])
def test_refused_credentials_raise_407_once_and_never_show(
    target: Target,
    given: str,
    proxy: ForwardProxy,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    caplog.set_level(logging.DEBUG)
    package = PACKAGES["zuora"]
    waits: list[float] = []
    monkeypatch.setattr(package.ApiClient, "sleep", staticmethod(waits.append))
    address = proxy.url if given == "no-credentials" else proxy.with_credentials(
        f"{PROXY_USER}:wrong-{PROXY_PASSWORD}"
    )
    configuration = package.Configuration(  # the default retries: a 407 is not retried
        host=target.url, proxy=address, ssl_ca_cert=target.ca_cert
    )
    with package.ApiClient(configuration) as client, pytest.raises(package.ApiException) as caught:
        call("zuora", client)
    error = caught.value
    assert type(error) is package.ApiException  # not a connection error: the proxy answered
    assert (error.status, error.reason) == (407, "Proxy Authentication Required")
    assert len(proxy.seen) == 1 and waits == []
    assert target.requests == []
    assert_no_proxy_password(str(error), repr(error), caplog.text)


def test_proxy_headers_reach_the_proxy(
    target: Target, open_proxy: ForwardProxy
) -> None:
    token_call(
        target,
        proxy=open_proxy.url,
        proxy_headers={"X-Proxy-Team": "tokenworks"},
    )
    [seen] = open_proxy.seen
    assert seen.headers["x-proxy-team"] == "tokenworks"
    if target.https:
        assert "x-proxy-team" not in target.requests[0]  # for the proxy only


def test_a_proxy_authorization_header_replaces_the_urls_credentials(
    proxy: ForwardProxy, http_target: Target
) -> None:
    assert proxy.expected is not None
    token_call(
        http_target,
        proxy=proxy.with_credentials("someone:else"),
        proxy_headers={"Proxy-Authorization": proxy.expected},
    )
    [seen] = proxy.seen
    assert seen.headers["proxy-authorization"] == proxy.expected


# --- proxies from the environment ---------------------------------------------------------


@pytest.mark.parametrize("upper", [True, False], ids=["upper-case", "lower-case"])
def test_the_environments_proxy_is_used_by_default(
    upper: bool, target: Target, proxy: ForwardProxy, monkeypatch: pytest.MonkeyPatch
) -> None:
    variable = "HTTPS_PROXY" if target.https else "HTTP_PROXY"
    monkeypatch.setenv(variable if upper else variable.lower(), proxy.with_credentials())
    token = token_call(target)
    assert token.access_token == "issued-through-proxy"
    [seen] = proxy.seen
    assert seen.method == ("CONNECT" if target.https else "POST")
    assert seen.headers["proxy-authorization"] == proxy.expected


def test_the_other_schemes_proxy_is_not_used(
    proxy: ForwardProxy, http_target: Target, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HTTPS_PROXY", proxy.with_credentials())
    token_call(http_target)
    assert proxy.seen == [] and len(http_target.requests) == 1


@pytest.mark.parametrize("variable", ["NO_PROXY", "no_proxy"])
@pytest.mark.parametrize(
    ("no_proxy", "bypassed"),
    [
        ("127.0.0.1", True),
        ("example.com, 127.0.0.1", True),
        ("*", True),
        ("example.com,10.0.0.1", False),
    ],
)
def test_no_proxy_hosts_bypass_it(
    target: Target,
    no_proxy: str,
    bypassed: bool,
    variable: str,
    proxy: ForwardProxy,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HTTPS_PROXY" if target.https else "HTTP_PROXY", proxy.with_credentials())
    monkeypatch.setenv(variable, no_proxy)
    token_call(target)
    assert len(target.requests) == 1
    assert len(proxy.seen) == (0 if bypassed else 1)


def test_trust_env_false_ignores_the_environment(
    target: Target, proxy: ForwardProxy, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HTTP_PROXY", proxy.with_credentials())
    monkeypatch.setenv("https_proxy", proxy.with_credentials())
    token_call(target, trust_env=False)
    assert proxy.seen == [] and len(target.requests) == 1


def test_a_configured_proxy_wins_over_the_environment(
    proxy: ForwardProxy, open_proxy: ForwardProxy, http_target: Target,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HTTP_PROXY", proxy.with_credentials())
    token_call(http_target, proxy=open_proxy.url)
    assert proxy.seen == [] and len(open_proxy.seen) == 1


def test_an_unreachable_proxy_is_a_connection_error_without_credentials(
    http_target: Target, monkeypatch: pytest.MonkeyPatch
) -> None:
    package = PACKAGES["zuora"]
    with socket.socket() as holder:  # bound, not listening: connecting is refused
        holder.bind(("127.0.0.1", 0))
        port = holder.getsockname()[1]
        monkeypatch.setenv("HTTP_PROXY", f"http://{PROXY_CREDENTIALS}@127.0.0.1:{port}")
        with pytest.raises(package.ApiConnectionError) as caught:
            token_call(http_target)
    assert caught.value.connected is False and "proxy" in caught.value.reason
    assert http_target.requests == []
    assert_no_proxy_password(str(caught.value), repr(caught.value))


def test_all_proxy_serves_every_scheme(
    target: Target, proxy: ForwardProxy, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ALL_PROXY", proxy.with_credentials())
    token_call(target)
    assert len(proxy.seen) == 1 and len(target.requests) == 1
