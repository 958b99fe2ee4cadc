"""How requests reach the server: one connection pool per origin, no redirect followed,
and a host that is not an http(s) URL refused before anything is sent.

RESTClient sends straight to the pool of the URL's origin (``scheme://host[:port]``);
these tests pin what that must keep from urllib3's PoolManager: a base path in the host,
the scheme in any case, a pool per origin, ``close()`` and a later call reopening.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from calls import call
from providers import PACKAGES, PROVIDERS, TOKEN_PATHS
from pytest_httpserver import HTTPServer
from samples import derived_call
from werkzeug import Response

PACKAGE_IDS = [provider.name for provider in PROVIDERS]
TOKEN = {"access_token": "tok-connections-1", "token_type": "Bearer", "expires_in": 3600}


def token_response() -> Response:
    return Response(json.dumps(TOKEN), status=200, content_type="application/json")


@pytest.fixture
def second_server() -> Iterator[HTTPServer]:
    server = HTTPServer(host="127.0.0.1", port=0)
    server.start()
    yield server
    server.clear()
    if server.is_running():
        server.stop()


@pytest.mark.parametrize("provider", PACKAGE_IDS)
def test_a_redirect_is_answered_as_an_error_not_followed(
    provider: str, httpserver: HTTPServer
) -> None:
    package = PACKAGES[provider]
    path = TOKEN_PATHS[provider]
    httpserver.expect_request(path, method="POST").respond_with_response(
        Response("", status=307, headers={"Location": httpserver.url_for("/elsewhere")})
    )
    httpserver.expect_request("/elsewhere").respond_with_response(token_response())
    configuration = package.Configuration(host=httpserver.url_for("/"))
    with package.ApiClient(configuration) as client, pytest.raises(package.ApiException) as caught:
        call(provider, client)
    assert caught.value.status == 307
    # The credentials went to the token endpoint only, once: a redirect may point anywhere.
    assert [entry[0].path for entry in httpserver.log] == [path]


@pytest.mark.parametrize("provider", PACKAGE_IDS)
def test_a_base_path_and_an_upper_case_scheme_in_the_host_are_kept(
    provider: str, httpserver: HTTPServer
) -> None:
    package = PACKAGES[provider]
    path = "/gateway/v1" + TOKEN_PATHS[provider]
    httpserver.expect_request(path, method="POST").respond_with_response(token_response())
    host = httpserver.url_for("/gateway/v1/").replace("http://", "HTTP://")
    with package.ApiClient(package.Configuration(host=host)) as client:
        assert call(provider, client).access_token == TOKEN["access_token"]
        assert list(client.rest_client.pools) == [host.split("/gateway", 1)[0]]
    assert [entry[0].path for entry in httpserver.log] == [path]


@pytest.mark.parametrize("provider", PACKAGE_IDS)
def test_the_call_read_from_the_spec_reaches_the_token_path(
    provider: str, httpserver: HTTPServer
) -> None:
    """The call ``call()`` makes for a provider no test writes a call for (its required
    parameters filled in from the Param table) is valid for every provider's spec."""
    package = PACKAGES[provider]
    httpserver.expect_request(TOKEN_PATHS[provider], method="POST").respond_with_response(
        token_response()
    )
    configuration = package.Configuration(host=httpserver.url_for("/").rstrip("/"), retries=0)
    with package.ApiClient(configuration) as client:
        assert derived_call(package, client).access_token == TOKEN["access_token"]
    assert [entry[0].path for entry in httpserver.log] == [TOKEN_PATHS[provider]]


def test_each_origin_has_one_pool_and_close_reopens(
    httpserver: HTTPServer, second_server: HTTPServer
) -> None:
    package = PACKAGES["zuora"]
    path = TOKEN_PATHS["zuora"]
    for server in (httpserver, second_server):
        server.expect_request(path, method="POST").respond_with_response(token_response())
    first, second = httpserver.url_for("/").rstrip("/"), second_server.url_for("/").rstrip("/")
    configuration = package.Configuration(host=first)
    client = package.ApiClient(configuration)
    call("zuora", client)
    call("zuora", client)
    configuration.host = second  # not a transport setting: the same client, a second pool
    call("zuora", client)
    pools = client.rest_client.pools
    assert set(pools) == {first, second}
    first_pool = pools[first]
    client.close()
    assert client.rest_client.pools == {}
    assert first_pool.pool is None  # closed: its connections are gone
    configuration.host = first
    assert call("zuora", client).access_token == TOKEN["access_token"]  # reopened on use
    assert list(client.rest_client.pools) == [first]
    client.close()
    assert len(httpserver.log) == 3 and len(second_server.log) == 1


@pytest.mark.parametrize(
    "host",
    [
        "ftp://127.0.0.1:{port}",
        "127.0.0.1:{port}",
        "//127.0.0.1:{port}",
        "http://",
        "file:///etc/passwd",
        "",
    ],
)
@pytest.mark.parametrize("provider", PACKAGE_IDS)
def test_a_host_that_is_not_an_http_url_is_refused_before_sending(
    provider: str, host: str, httpserver: HTTPServer
) -> None:
    package = PACKAGES[provider]
    url = host.format(port=httpserver.port)
    with pytest.raises(package.ApiValueError, match="`host`.*http:// or https://"):
        package.Configuration(host=url)
    configuration = package.Configuration(host=httpserver.url_for(""))
    with pytest.raises(package.ApiValueError, match="`host`.*http:// or https://"):
        configuration.host = url  # set later: refused as well, and the old host kept
    assert configuration.host == httpserver.url_for("")
    assert httpserver.log == []
