"""_configuration: servers by name, description or index, their variables, the host
environment variable, the transport version, and what repr shows."""

from __future__ import annotations

import inspect
import logging
from collections.abc import Iterator

import pytest
from runtime_under_test._configuration import (
    HOST_CHOICE,
    SETTINGS,
    TRANSPORT_SETTINGS,
    Configuration,
    SecurityScheme,
    Server,
    ServerVariable,
)
from runtime_under_test._retry import RetryPolicy

REGION = ServerVariable("region", "us", ("us", "eu"), "Where the tenant lives")


class Config(Configuration):
    """A package's Configuration as the generator writes it."""

    servers = (
        Server("https://api.example.com", "Production (the default)", "production"),
        Server("https://sandbox.example.com", "Sandbox", ""),
        Server("https://{region}.example.com:{port}", "Regional", "regional", (
            REGION,
            ServerVariable("port", "443"),
        )),
    )  # fmt: skip
    security_schemes = (SecurityScheme("apiKey", "api_key", "header", "X-Api-Key"),)
    host_variable = "RUNTIME_UNDER_TEST_HOST"


@pytest.fixture(autouse=True)
def no_host_variable(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.delenv(Config.host_variable, raising=False)
    yield


def test_the_first_server_is_the_default() -> None:
    assert Config().host == "https://api.example.com"
    assert Configuration().host == "http://localhost"  # a spec without servers
    assert Config(host="http://127.0.0.1:8080").host == "http://127.0.0.1:8080"


@pytest.mark.parametrize(
    ("server", "host"),
    [
        ("production", "https://api.example.com"),
        (" PRODUCTION ", "https://api.example.com"),
        ("Sandbox", "https://sandbox.example.com"),  # no x-name: its description
        ("production (the default)", "https://api.example.com"),
        (1, "https://sandbox.example.com"),
        (0, "https://api.example.com"),
        ("regional", "https://us.example.com:443"),
    ],
)
def test_servers_by_name_description_or_index(server: str | int, host: str) -> None:
    assert Config(server=server).host == host


@pytest.mark.parametrize("server", ["staging", 3, -1, True])
def test_an_unknown_server_names_the_known_ones(server: str | int) -> None:
    with pytest.raises(ValueError) as caught:
        Config(server=server)
    assert str(caught.value) == (
        f"no server {server!r} in the spec; the servers are 'production', 'Sandbox', 'regional'"
    )


def test_server_variables() -> None:
    assert Config(server="regional", server_variables={"region": "eu"}).host == (
        "https://eu.example.com:443"
    )
    assert Config(server=2, server_variables={"region": "eu", "port": "8443"}).host == (
        "https://eu.example.com:8443"
    )
    with pytest.raises(ValueError, match=r"^server variable `region` must be one of 'us', 'eu'$"):
        Config(server="regional", server_variables={"region": "ap"})
    with pytest.raises(ValueError, match=r"has no variable 'tenant'$"):
        Config(server="regional", server_variables={"tenant": "x"})
    with pytest.raises(ValueError, match=r"has no variable 'region'$"):
        Config(server_variables={"region": "eu"})  # the default server has none


def test_server_resolve_alone() -> None:
    server = Config.servers[2]
    assert server.resolve() == "https://us.example.com:443"
    values = {"region": "eu"}
    assert server.resolve(values) == "https://eu.example.com:443"
    assert values == {"region": "eu"}  # the caller's mapping is left as it was


def test_the_host_variable_as_a_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(Config.host_variable, " http://127.0.0.1:4010 ")
    assert Config().host == "http://127.0.0.1:4010"
    assert Config(server="sandbox").host == "http://127.0.0.1:4010"  # it wins over server=
    assert Config(host="http://other").host == "http://other"  # host= wins over it


def test_the_host_variable_as_a_server_name(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(Config.host_variable, "Sandbox")
    assert Config().host == "https://sandbox.example.com"
    monkeypatch.setenv(Config.host_variable, "regional")
    assert Config(server_variables={"region": "eu"}).host == "https://eu.example.com:443"
    monkeypatch.setenv(Config.host_variable, "nowhere")
    with pytest.raises(ValueError, match="no server 'nowhere'"):
        Config()
    monkeypatch.setenv(Config.host_variable, "  ")
    assert Config().host == "https://api.example.com"  # blank: not set


#: A value other than the default, for each transport setting.
CHANGED = {
    "cert_file": "/tmp/client.pem",
    "key_file": "/tmp/client.key",
    "ssl_ca_cert": "/tmp/ca.pem",
    "connection_pool_maxsize": 3,
    "max_response_bytes": 1000,
    "proxy": "http://proxy.example.com:3128",
    "proxy_headers": {"X-Proxy-Note": "1"},
    "trust_env": False,
    "verify_ssl": False,
}


@pytest.mark.parametrize("setting", sorted(TRANSPORT_SETTINGS))
def test_a_transport_setting_changed_bumps_the_version(setting: str) -> None:
    configuration = Config()
    before = configuration.transport_version
    setattr(configuration, setting, getattr(configuration, setting))  # the same value
    # A dict is taken as new: the old one may have been changed in place.
    assert configuration.transport_version == before + (setting == "proxy_headers")
    before = configuration.transport_version
    setattr(configuration, setting, CHANGED[setting])
    assert configuration.transport_version == before + 1


def test_other_settings_leave_the_version() -> None:
    configuration = Config()
    before = configuration.transport_version
    configuration.host = "http://127.0.0.1"
    configuration.timeout = 3.0
    configuration.retries = 0
    configuration.api_key["apiKey"] = "k"
    configuration.access_token = "t"
    assert configuration.transport_version == before
    assert {"verify_ssl", "ssl_ca_cert", "cert_file", "key_file"} <= TRANSPORT_SETTINGS


def test_the_constructor_takes_the_declared_settings() -> None:
    """SETTINGS declares each setting once; the explicit signature (for IDEs and mypy) and
    the attributes' types must follow it: the same names in the same order, the same
    defaults, server and server_variables after the positional four."""
    host_choice = [name for name, _ in HOST_CHOICE]
    parameters = list(inspect.signature(Configuration).parameters.values())
    assert [(p.name, p.default) for p in parameters if p.name not in host_choice] == [
        (setting.name, setting.default) for setting in SETTINGS
    ]
    assert [p.name for p in parameters][4:6] == host_choice
    typed = {
        name
        for name, annotation in Configuration.__annotations__.items()
        if name != "transport_version" and not str(annotation).startswith("ClassVar")
    }
    assert typed == {setting.name for setting in SETTINGS} - {"debug"}  # debug: a property
    for setting in SETTINGS:
        assert f":param {setting.name}: " in (Configuration.__doc__ or "")


def test_the_constructor_copies_the_dict_settings() -> None:
    given = {"X-Proxy": "1"}
    configuration = Config(api_key={"apiKey": "k"}, api_key_prefix={}, proxy_headers=given)
    given["X-Other"] = "2"
    assert configuration.proxy_headers == {"X-Proxy": "1"}
    assert [s.name for s in SETTINGS if s.copied] == ["api_key", "api_key_prefix", "proxy_headers"]


def test_the_retry_policy_follows_the_settings() -> None:
    configuration = Config(retries=4, backoff_factor=0.25, retry_after_cap=30.0)
    assert configuration.retry_policy == RetryPolicy(4, 0.25, 30.0)
    configuration.retries = 0
    assert configuration.retry_policy.retries == 0


def test_schemes_by_name() -> None:
    assert Config().scheme("apiKey") == SecurityScheme("apiKey", "api_key", "header", "X-Api-Key")
    assert Config().scheme("bearer") is None


def test_repr_masks_every_secret() -> None:
    configuration = Config(
        api_key={"apiKey": "key-0123456789abcdef"},
        api_key_prefix={"apiKey": "API-Key"},
        access_token="token-0123456789abcdef",
        username="user",
        password="password-0123456789",
    )
    text = repr(configuration)
    for secret in ("key-0123456789abcdef", "token-0123456789abcdef", "password-0123456789"):
        assert secret not in text
    assert text == (
        "Config(host='https://api.example.com', api_key={'apiKey': 'key-\u2026'},"
        " api_key_prefix={'apiKey': 'API-Key'}, access_token='toke\u2026', username='user',"
        " password='pass\u2026', timeout=(10.0, 30.0), verify_ssl=True)"
    )
    assert "access_token=None" in repr(Config())


def test_debug_adds_one_handler_and_removes_only_it() -> None:
    logger = logging.getLogger(Config.logger_name)
    assert Config.logger_name == "runtime_under_test"
    handlers, level = list(logger.handlers), logger.level
    configuration = Config(debug=True)
    try:
        assert configuration.debug is True
        assert len(logger.handlers) == len(handlers) + 1
        assert logger.isEnabledFor(logging.DEBUG)
        configuration.debug = True  # no second handler
        assert len(logger.handlers) == len(handlers) + 1
    finally:
        configuration.debug = False
    assert configuration.debug is False
    assert logger.handlers == handlers
    assert logger.level == level
