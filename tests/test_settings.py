"""Configuration settings have no side effects beyond their own client, and changes are honoured.

``debug=True`` adds one handler to the package logger and may lower its level; turning it
off removes only that handler and restores only the level it set, however many
configurations share the logger. Transport settings (TLS, client certificates, proxy,
pool size, answer size cap) changed on a Configuration after its ApiClient was built
apply from the next call: the client rebuilds its connection pools.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from calls import call
from providers import PACKAGES, PROVIDERS
from servers import ForwardProxy, Target, serve_target

PACKAGE_IDS = [provider.name for provider in PROVIDERS]


# --- debug -------------------------------------------------------------------------------


@pytest.fixture
def logger(request: pytest.FixtureRequest) -> Iterator[logging.Logger]:
    """The package logger, bare at the start, restored as it was at the end."""
    package: ModuleType = PACKAGES[request.param]
    log = logging.getLogger(package.__name__)
    saved = (log.level, list(log.handlers))
    for handler in saved[1]:
        log.removeHandler(handler)
    log.setLevel(logging.NOTSET)
    yield log
    for handler in list(log.handlers):
        log.removeHandler(handler)
    for handler in saved[1]:
        log.addHandler(handler)
    log.setLevel(saved[0])


def package_of(logger: logging.Logger) -> Any:
    return next(p for p in PACKAGES.values() if p.__name__ == logger.name)


@pytest.mark.parametrize("logger", PACKAGE_IDS, indirect=True)
def test_debug_off_leaves_the_users_level_and_handlers(logger: logging.Logger) -> None:
    package = package_of(logger)
    mine = logging.NullHandler()
    logger.addHandler(mine)
    logger.setLevel(logging.INFO)
    configuration = package.Configuration(debug=True)
    assert configuration.debug is True
    assert logger.level == logging.DEBUG and len(logger.handlers) == 2
    configuration.debug = True  # again: still one handler of its own
    assert len(logger.handlers) == 2
    configuration.debug = False
    assert configuration.debug is False
    assert logger.handlers == [mine] and logger.level == logging.INFO


@pytest.mark.parametrize("found", [logging.NOTSET, logging.WARNING, logging.ERROR])
@pytest.mark.parametrize("logger", PACKAGE_IDS, indirect=True)
def test_debug_off_restores_the_level_debug_on_found(logger: logging.Logger, found: int) -> None:
    package = package_of(logger)
    logger.setLevel(found)
    configuration = package.Configuration()
    configuration.debug = True
    assert logger.level == logging.DEBUG
    configuration.debug = False
    assert logger.level == found and logger.handlers == []
    assert logger.getEffectiveLevel() == (found or logging.getLogger().getEffectiveLevel())


@pytest.mark.parametrize("logger", PACKAGE_IDS[:1], indirect=True)
def test_a_level_the_user_set_to_debug_stays(logger: logging.Logger) -> None:
    package = package_of(logger)
    logger.setLevel(logging.DEBUG)
    configuration = package.Configuration(debug=True)
    configuration.debug = False
    assert logger.level == logging.DEBUG and logger.handlers == []


@pytest.mark.parametrize("logger", PACKAGE_IDS[:1], indirect=True)
def test_a_level_changed_while_debug_was_on_is_kept(logger: logging.Logger) -> None:
    package = package_of(logger)
    configuration = package.Configuration(debug=True)
    logger.setLevel(logging.ERROR)  # the user's own choice, made later
    configuration.debug = False
    assert logger.level == logging.ERROR and logger.handlers == []


@pytest.mark.parametrize("logger", PACKAGE_IDS[:1], indirect=True)
def test_debug_off_is_a_no_op_when_it_was_never_on(logger: logging.Logger) -> None:
    package = package_of(logger)
    logger.setLevel(logging.WARNING)
    package.Configuration(debug=False).debug = False
    assert logger.level == logging.WARNING and logger.handlers == []


@pytest.mark.parametrize("logger", ["zuora"], indirect=True)
def test_two_configurations_do_not_fight(
    logger: logging.Logger, http_target: Target, capsys: pytest.CaptureFixture[str]
) -> None:
    package = package_of(logger)
    logger.setLevel(logging.WARNING)
    first = package.Configuration(host=http_target.url, debug=True)
    second = package.Configuration(host=http_target.url, debug=True)
    assert len(logger.handlers) == 2
    first.debug = False  # the second one still logs: its handler, and the level, stay
    assert len(logger.handlers) == 1 and logger.level == logging.DEBUG
    with package.ApiClient(second) as client:
        call("zuora", client)
    lines = [line for line in capsys.readouterr().err.splitlines() if "-> 200" in line]
    assert len(lines) == 1 and "POST" in lines[0]  # once: only the second one's handler
    second.debug = False  # the last one off: the level the user set comes back
    assert logger.handlers == [] and logger.level == logging.WARNING
    with package.ApiClient(second) as client:
        call("zuora", client)
    assert "-> 200" not in capsys.readouterr().err


# --- transport settings changed after the client was built --------------------------------


def zuora_client_for(target: Target, **settings: Any) -> tuple[Any, Any]:
    package = PACKAGES["zuora"]
    configuration = package.Configuration(host=target.url, retries=0, **settings)
    return configuration, package.ApiClient(configuration)


@pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning")
def test_tls_settings_changed_later_are_honoured(https_target: Target) -> None:
    configuration, client = zuora_client_for(https_target)
    package = PACKAGES["zuora"]
    with client:
        with pytest.raises(package.ApiConnectionError, match="TLS failed"):
            call("zuora", client)  # the throwaway CA is not among the system's
        configuration.ssl_ca_cert = https_target.ca_cert
        assert call("zuora", client).access_token == "issued-through-proxy"
        configuration.ssl_ca_cert = None
        with pytest.raises(package.ApiConnectionError, match="TLS failed"):
            call("zuora", client)
        configuration.verify_ssl = False
        assert call("zuora", client).access_token == "issued-through-proxy"
        configuration.verify_ssl = True
        with pytest.raises(package.ApiConnectionError, match="TLS failed"):
            call("zuora", client)
    assert len(https_target.requests) == 2


def test_a_client_certificate_set_later_is_presented(ca_folder: Path) -> None:
    package = PACKAGES["zuora"]
    with serve_target(ca_folder, client_certificate=True) as target:
        configuration, client = zuora_client_for(target, ssl_ca_cert=target.ca_cert)
        with client:
            with pytest.raises(package.ApiConnectionError):
                call("zuora", client)
            configuration.cert_file = str(ca_folder / "client.pem")
            configuration.key_file = str(ca_folder / "client.key")
            assert call("zuora", client).access_token == "issued-through-proxy"
        assert len(target.requests) == 1


def test_proxy_settings_changed_later_are_honoured(
    http_target: Target, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("http_proxy", "https_proxy", "all_proxy", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.upper(), raising=False)
    proxy, other = ForwardProxy(), ForwardProxy()
    try:
        configuration, client = zuora_client_for(http_target, trust_env=False)
        with client:
            call("zuora", client)
            configuration.proxy = proxy.url
            call("zuora", client)
            configuration.proxy_headers = {"X-Proxy-Team": "tokenworks"}
            call("zuora", client)
            configuration.proxy = None
            call("zuora", client)
            monkeypatch.setenv("HTTP_PROXY", other.url)
            configuration.trust_env = True
            call("zuora", client)
        assert len(http_target.requests) == 5
        assert [seen.headers.get("x-proxy-team") for seen in proxy.seen] == [None, "tokenworks"]
        assert len(other.seen) == 1
        via = ["via" in request for request in http_target.requests]
        assert via == [False, True, True, False, True]
    finally:
        proxy.close()
        other.close()


@pytest.mark.parametrize("package", list(PACKAGES.values()), ids=list(PACKAGES))
def test_a_pool_size_changed_later_is_used(package: ModuleType, http_target: Target) -> None:
    configuration = package.Configuration(host=http_target.url, connection_pool_maxsize=2)
    with package.ApiClient(configuration) as client:
        provider = next(name for name, p in PACKAGES.items() if p is package)
        call(provider, client)
        pool = client.rest_client.pool_for(http_target.url)
        assert pool is not None and pool.pool is not None and pool.pool.maxsize == 2
        configuration.connection_pool_maxsize = 5
        call(provider, client)
        pool = client.rest_client.pool_for(http_target.url)
        assert pool is not None and pool.pool is not None and pool.pool.maxsize == 5


def test_a_size_cap_changed_later_is_used(http_target: Target) -> None:
    configuration, client = zuora_client_for(http_target)
    with client:
        call("zuora", client)
        configuration.max_response_bytes = 10
        with pytest.raises(PACKAGES["zuora"].MalformedResponseError, match="max_response_bytes"):
            call("zuora", client)


def test_a_transport_given_to_the_client_is_kept(http_target: Target) -> None:
    package = PACKAGES["zuora"]
    configuration = package.Configuration(host=http_target.url)
    transport = package.rest.RESTClient(configuration)
    with package.ApiClient(configuration, transport=transport) as client:
        configuration.verify_ssl = False
        call("zuora", client)
        assert client.rest_client is transport
