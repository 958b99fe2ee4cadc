"""Settings are checked when they are set: a clear error naming the setting, never its value.

Every Configuration setting is checked at construction and on later assignment (a refused
assignment keeps the old value and leaves the transport version alone); ``_request_timeout``
is checked on each call before the transport is asked anything. A ``user:password@`` in the
host is accepted but never shown: not in repr, not in a message.
"""

from __future__ import annotations

import math
from typing import Any

import pytest
from doubles import FakeTransport, answer
from runtime_under_test._api_client import ApiClient, Operation, Response
from runtime_under_test._configuration import (
    Configuration,
    SecurityScheme,
    check_timeout,
    without_userinfo,
)
from runtime_under_test._request import Param
from runtime_under_test._schema import Str
from runtime_under_test.exceptions import ApiTypeError, ApiValueError

PASSWORD = "pw-s3cr3t-in-the-url"


class Config(Configuration):
    security_schemes = (
        SecurityScheme("apiKey", "api_key", "header", "X-Api-Key"),
        SecurityScheme("bearer", "bearer"),
    )


BAD = [
    # (setting, value, error class)
    ("timeout", "x", ApiTypeError),
    ("timeout", -1, ApiValueError),
    ("timeout", 0, ApiValueError),
    ("timeout", math.nan, ApiValueError),
    ("timeout", math.inf, ApiValueError),
    ("timeout", True, ApiTypeError),
    ("timeout", None, ApiTypeError),
    ("timeout", (1, 2, 3), ApiValueError),
    ("timeout", (5,), ApiValueError),
    ("timeout", (-1, 5), ApiValueError),
    ("timeout", (1, "2"), ApiTypeError),
    ("retries", "2", ApiTypeError),
    ("retries", -1, ApiValueError),
    ("retries", 1.5, ApiTypeError),
    ("retries", True, ApiTypeError),
    ("backoff_factor", "a", ApiTypeError),
    ("backoff_factor", -0.5, ApiValueError),
    ("backoff_factor", math.inf, ApiValueError),
    ("retry_after_cap", -1, ApiValueError),
    ("retry_after_cap", "60", ApiTypeError),
    ("max_response_bytes", -5, ApiValueError),
    ("max_response_bytes", 1.5, ApiTypeError),
    ("max_response_bytes", "1024", ApiTypeError),
    ("connection_pool_maxsize", 0, ApiValueError),
    ("connection_pool_maxsize", -1, ApiValueError),
    ("connection_pool_maxsize", "10", ApiTypeError),
    ("connection_pool_maxsize", None, ApiTypeError),
    ("host", 5, ApiTypeError),
    ("host", "http://127.0.0.1:99999", ApiValueError),
    ("host", "http://127.0.0.1:0", ApiValueError),
    ("host", "http://127.0.0.1:port", ApiValueError),
    ("host", "http://exa mple.com", ApiValueError),
    ("host", "http://example.com/a\nb", ApiValueError),
    ("host", "https://h/base?q=1", ApiValueError),
    ("host", "https://h/base#frag", ApiValueError),
    ("host", "https://h?", ApiValueError),
    ("host", "ftp://h", ApiValueError),
    ("host", "http://[::1", ApiValueError),
    ("host", "h.example.com", ApiValueError),
    ("api_key", {"apiKey": 12345}, ApiTypeError),
    ("api_key", {1: "key"}, ApiTypeError),
    ("api_key", "key", ApiTypeError),
    ("api_key_prefix", {"apiKey": None}, ApiTypeError),
    ("access_token", 5, ApiTypeError),
    ("access_token", b"token", ApiTypeError),
    ("username", 5, ApiTypeError),
    ("password", 5, ApiTypeError),
    ("proxy", "not a proxy", ApiValueError),
    ("proxy", "socks5://127.0.0.1:1080", ApiValueError),
    ("proxy", "http://127.0.0.1:99999", ApiValueError),
    ("proxy", "http://proxy.example.com:3128/path", ApiValueError),
    ("proxy", "http://proxy.example.com:3128?x=1", ApiValueError),
    ("proxy", 3128, ApiTypeError),
    ("proxy_headers", {"X-Proxy": 1}, ApiTypeError),
    ("proxy_headers", {"X-Proxy": "Basic c2VjcmV0\r\nX-Injected: 1"}, ApiValueError),
    ("proxy_headers", {"X Proxy": "1"}, ApiValueError),
    ("proxy_headers", {"X-Proxy:": "1"}, ApiValueError),
    ("proxy", "http://user:p%E2%82%ACss@proxy.example.com:3128", ApiValueError),  # not Latin-1
    ("verify_ssl", "false", ApiTypeError),
    ("trust_env", 0, ApiTypeError),
    ("ssl_ca_cert", 5, ApiTypeError),
    ("token_manager", "a token", ApiTypeError),
]


@pytest.mark.parametrize(("setting", "value", "error"), BAD)
def test_a_bad_setting_is_refused_at_construction(setting: str, value: Any, error: type) -> None:
    with pytest.raises(error, match=f"^Invalid (type|value) for (a key of )?`{setting}") as caught:
        Config(**{setting: value})
    assert type(caught.value) is error
    assert repr(value) not in str(caught.value) or isinstance(value, (int, float, type(None)))


@pytest.mark.parametrize(("setting", "value", "error"), BAD)
def test_a_bad_setting_is_refused_when_assigned(setting: str, value: Any, error: type) -> None:
    configuration = Config()
    before, version = getattr(configuration, setting), configuration.transport_version
    with pytest.raises(error, match=f"^Invalid (type|value) for (a key of )?`{setting}"):
        setattr(configuration, setting, value)
    assert getattr(configuration, setting) == before
    assert configuration.transport_version == version


@pytest.mark.parametrize(
    ("setting", "value", "stored"),
    [
        ("timeout", 5, 5),
        ("timeout", 2.5, 2.5),
        ("timeout", (1, 2.5), (1, 2.5)),
        ("timeout", [3, 4], (3, 4)),  # a list is taken as the pair
        ("retries", 0, 0),
        ("backoff_factor", 0, 0),
        ("retry_after_cap", 0.0, 0.0),
        ("max_response_bytes", 0, 0),
        ("connection_pool_maxsize", 1, 1),
        ("host", "http://127.0.0.1:8080", "http://127.0.0.1:8080"),
        ("host", "https://api.example.com/v1/", "https://api.example.com/v1/"),
        ("host", "http://[::1]:4010/base", "http://[::1]:4010/base"),
        ("host", f"https://user:{PASSWORD}@h.example.com", f"https://user:{PASSWORD}@h.example.com"),
        ("proxy", "proxy.example.com:3128", "proxy.example.com:3128"),
        ("proxy", "http://user:pass@proxy.example.com:3128/", "http://user:pass@proxy.example.com:3128/"),
        ("proxy", "https://proxy.example.com", "https://proxy.example.com"),
        ("proxy", "http://user:p%C3%A9ss@proxy.example.com", "http://user:p%C3%A9ss@proxy.example.com"),
        ("proxy", None, None),
        ("api_key", None, {}),
        ("proxy_headers", {"X-Proxy": "1"}, {"X-Proxy": "1"}),
        ("access_token", None, None),
    ],
)  # fmt: skip
def test_accepted_forms(setting: str, value: Any, stored: Any) -> None:
    assert getattr(Config(**{setting: value}), setting) == stored
    configuration = Config()
    setattr(configuration, setting, value)
    assert getattr(configuration, setting) == stored


def test_a_refused_setting_keeps_the_old_value() -> None:
    configuration = Config(connection_pool_maxsize=4)
    with pytest.raises(ApiValueError, match="`connection_pool_maxsize`: it must be 1 or more"):
        configuration.connection_pool_maxsize = 0
    assert configuration.connection_pool_maxsize == 4
    with pytest.raises(ApiTypeError, match="^Invalid type for `host`: expected str, got NoneType"):
        configuration.host = None  # type: ignore[assignment]  # None means the default only at construction


def test_check_timeout_returns_the_same_object_when_it_is_fine() -> None:
    pair = (10.0, 30.0)
    assert check_timeout(pair) is pair
    assert check_timeout(7) == 7
    with pytest.raises(ApiValueError, match="^Invalid value for `_request_timeout`: a pair holds"):
        check_timeout((1, 2, 3), "_request_timeout")


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("http://user:pw@h:8080/base", "http://h:8080/base"),
        ("https://user@h/", "https://h/"),
        ("http://u:p@ss@h/a@b", "http://h/a@b"),  # the last @ before the path ends it
        ("http://h/a@b", "http://h/a@b"),  # an @ in the path is not userinfo
        ("http://h", "http://h"),
        ("no scheme @ all", "no scheme @ all"),
    ],
)
def test_without_userinfo(url: str, shown: str) -> None:
    assert without_userinfo(url) == shown


def test_repr_never_shows_the_hosts_credentials() -> None:
    configuration = Config(host=f"https://user:{PASSWORD}@api.example.com/v1")
    assert PASSWORD not in repr(configuration)
    assert "user" not in repr(configuration).split("username=")[0]
    assert repr(configuration).startswith("Config(host='https://api.example.com/v1',")


def test_a_bad_host_with_credentials_is_named_without_them() -> None:
    for host in (f"http://user:{PASSWORD}@h:99999", f"http://user:{PASSWORD}@h/x?y=1"):
        with pytest.raises(ApiValueError, match="`host`") as caught:
            Config(host=host)
        assert PASSWORD not in str(caught.value) and PASSWORD not in repr(caught.value)


# --- per call -------------------------------------------------------------------------------

ECHO: Operation[str] = Operation(
    "echo",
    "GET",
    "/echo",
    (Param("word", "word", "query", Str()),),
    responses={"200": Response(Str(), "text/plain")},
    security=("apiKey", "bearer"),
)


@pytest.mark.parametrize(
    ("timeout", "error"),
    [
        ("x", ApiTypeError),
        (-1, ApiValueError),
        ((1, 2, 3), ApiValueError),
        ((-1, 5), ApiValueError),
        (math.nan, ApiValueError),
        (False, ApiTypeError),
    ],
)
def test_a_bad_request_timeout_is_refused_before_sending(timeout: Any, error: type) -> None:
    transport = FakeTransport()  # any request would fail the test
    client = ApiClient(Config(host="https://api.example.com"), transport=transport)
    with pytest.raises(error, match="^Invalid (type|value) for `_request_timeout`"):
        client.call_api(ECHO, {"word": "hi"}, timeout)
    assert transport.sent == []


def test_a_request_timeout_reaches_the_transport() -> None:
    transport = FakeTransport(answer(200, "hi", {"Content-Type": "text/plain"}))
    client = ApiClient(Config(host="https://api.example.com"), transport=transport)
    assert client.call_api(ECHO, {"word": "hi"}, [1, 2]).data == "hi"
    assert transport.sent[0].timeout == (1, 2)


@pytest.mark.parametrize(
    ("change", "named"),
    [
        (lambda c: c.api_key.update(apiKey=12345), "api_key['apiKey']"),
        (lambda c: c.api_key_prefix.update(apiKey=5), "api_key_prefix['apiKey']"),
    ],
)
def test_a_key_changed_in_place_to_a_non_string_is_refused_before_sending(
    change: Any, named: str
) -> None:
    configuration = Config(host="https://api.example.com", api_key={"apiKey": "key"})
    change(configuration)
    transport = FakeTransport()
    client = ApiClient(configuration, transport=transport)
    with pytest.raises(ApiTypeError) as caught:
        client.call_api(ECHO, {"word": "hi"})
    assert str(caught.value).startswith(f"Invalid type for `{named}`: expected str, got int")
    assert transport.sent == []


def test_an_access_token_that_is_not_a_string_is_never_sent() -> None:
    with pytest.raises(ApiTypeError, match="`access_token`"):
        Config(access_token=5)  # type: ignore[arg-type]


def test_assigning_the_same_transport_setting_does_not_rebuild_the_pools() -> None:
    configuration = Config(verify_ssl=True, connection_pool_maxsize=4)
    version = configuration.transport_version
    configuration.verify_ssl = True
    configuration.connection_pool_maxsize = 4
    assert configuration.transport_version == version
    configuration.connection_pool_maxsize = 5
    assert configuration.transport_version == version + 1
