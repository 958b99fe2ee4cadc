"""Settings of an ApiClient: server, credentials, TLS, proxy, timeouts, retries and limits.

Each package's ``configuration.py`` subclasses ``Configuration`` with what its
spec says: the servers, the security schemes and the host variable.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Mapping
from typing import Any, ClassVar, NamedTuple, Optional, Protocol, Union

from ._model import mask
from ._retry import RetryPolicy

#: (connect, read) seconds, or one number for both.
Timeout = Union[float, tuple[float, float]]


class ServerVariable(NamedTuple):
    """A ``{variable}`` of a server URL: its default, allowed values and description."""

    name: str
    default: str
    enum: tuple[str, ...] = ()
    description: str = ""


class Server(NamedTuple):
    """One entry of the spec's ``servers``; ``name`` is its ``x-name`` (or its description)."""

    url: str
    description: str = ""
    name: str = ""
    variables: tuple[ServerVariable, ...] = ()

    def resolve(self, values: Optional[Mapping[str, str]] = None) -> str:
        """The URL with every variable filled in: ``values``, else the defaults."""
        values = dict(values or {})
        url = self.url
        for variable in self.variables:
            value = values.pop(variable.name, variable.default)
            if variable.enum and value not in variable.enum:
                allowed = ", ".join(repr(v) for v in variable.enum)
                raise ValueError(f"server variable `{variable.name}` must be one of {allowed}")
            url = url.replace("{" + variable.name + "}", value)
        if values:
            raise ValueError(f"server {self.url!r} has no variable {min(values)!r}")
        return url


class SecurityScheme(NamedTuple):
    """How a security scheme of the spec is sent.

    ``kind`` is ``api_key`` (sent in ``where``: header, query or cookie, as
    ``param``), ``bearer`` (HTTP bearer and OAuth 2.0: ``Authorization: Bearer``)
    or ``basic`` (HTTP Basic from ``username`` and ``password``).
    """

    name: str
    kind: str
    where: str = "header"
    param: str = "Authorization"


class TokenSource(Protocol):
    """What ``Configuration(token_manager=...)`` needs: a TokenManager fits."""

    def get_token(self) -> str: ...

    def invalidate(self, token: Optional[str] = None) -> None: ...


#: The settings the connection pool is built from: changing one rebuilds it.
TRANSPORT_SETTINGS = frozenset(
    {
        "verify_ssl",
        "ssl_ca_cert",
        "cert_file",
        "key_file",
        "proxy",
        "proxy_headers",
        "trust_env",
        "connection_pool_maxsize",
        "max_response_bytes",
    }
)

#: The name of the handlers ``debug=True`` adds, which tells them from anyone else's.
DEBUG_HANDLER = "tokenworks debug"
#: Per package logger: its level before a debug handler made it DEBUG. Restored when the
#: last debug handler is removed (a handler removed by hand counts as removed).
_levels_before_debug: dict[str, int] = {}
_debug_lock = threading.Lock()


class Configuration:
    """Where and how an ApiClient sends its requests.

    :param host: base URL. Default: the package's host environment variable
        (a URL, or the name of one of the spec's servers) if set, else ``server``,
        else the spec's first server.
    :param api_key: API keys by security scheme name, e.g. ``{"apiKey": "..."}``.
    :param api_key_prefix: prefixes of those keys, e.g. ``{"apiKey": "API-Key"}``.
    :param access_token: OAuth 2.0 / bearer access token, sent as ``Authorization: Bearer``.
    :param server: one of the spec's servers, by name, description or index.
    :param server_variables: values for the chosen server's URL variables.
    :param username: user name for HTTP Basic authentication.
    :param password: password for HTTP Basic authentication.
    :param token_manager: a TokenManager (or any TokenSource) that supplies the
        bearer token of every request whose security needs one; a 401 answer makes
        it fetch a new token and the request is sent again once.
    :param timeout: default timeout of every call, in seconds: (connect, read) or one total.
    :param retries: how many times a call is retried when the server certainly did
        not process it (see ``RetryPolicy``); 0 disables retries.
    :param retry_after_cap: the longest ``Retry-After`` wait honoured, in seconds;
        a longer one raises at once, with ``retry_after`` set on the exception.
    :param backoff_factor: the first backoff wait, in seconds; doubled on each retry,
        with jitter, when the server gave no ``Retry-After``.
    :param verify_ssl: verify the server's TLS certificate (default True).
    :param ssl_ca_cert: CA bundle file to verify it with (default: the system's).
    :param cert_file: client certificate file, for mutual TLS.
    :param key_file: its private key file.
    :param proxy: URL of an HTTP(S) proxy, ``http://user:password@host:port`` for one
        that needs credentials (sent as ``Proxy-Authorization``).
    :param proxy_headers: more headers for the proxy.
    :param trust_env: without ``proxy``, use ``HTTPS_PROXY``/``HTTP_PROXY``/``NO_PROXY``
        from the environment, as requests and httpx do (default True).
    :param connection_pool_maxsize: most connections open at once per host.
    :param max_response_bytes: the largest answer body read; a larger one raises
        MalformedResponseError (default 1 MiB).
    :param debug: log the package's requests at DEBUG (method, URL, status, timing,
        header names; never values or bodies) to stderr while it is on. It adds one
        handler to the package logger and, if needed, lowers that logger's level to
        DEBUG; ``debug = False`` removes only that handler, and the level is restored
        when no other Configuration has debug on (unless someone changed it meanwhile).
    """

    #: The spec's servers, in order; the first is the default.
    servers: ClassVar[tuple[Server, ...]] = ()
    #: The spec's security schemes.
    security_schemes: ClassVar[tuple[SecurityScheme, ...]] = ()
    #: The environment variable that overrides the default host.
    host_variable: ClassVar[str] = ""
    #: The logger of the package.
    logger_name: ClassVar[str] = __package__ or __name__

    transport_version: int

    def __init__(
        self,
        host: Optional[str] = None,
        api_key: Optional[dict[str, str]] = None,
        api_key_prefix: Optional[dict[str, str]] = None,
        access_token: Optional[str] = None,
        *,
        server: Union[str, int, None] = None,
        server_variables: Optional[Mapping[str, str]] = None,
        username: Optional[str] = None,
        password: Optional[str] = None,
        token_manager: Optional[TokenSource] = None,
        timeout: Timeout = (10.0, 30.0),
        retries: int = 2,
        retry_after_cap: float = 60.0,
        backoff_factor: float = 0.5,
        verify_ssl: bool = True,
        ssl_ca_cert: Optional[str] = None,
        cert_file: Optional[str] = None,
        key_file: Optional[str] = None,
        proxy: Optional[str] = None,
        proxy_headers: Optional[Mapping[str, str]] = None,
        trust_env: bool = True,
        connection_pool_maxsize: int = 10,
        max_response_bytes: int = 1024 * 1024,
        debug: bool = False,
    ) -> None:
        object.__setattr__(self, "transport_version", 0)
        self.host = host if host is not None else self.default_host(server, server_variables)
        self.api_key: dict[str, str] = dict(api_key or {})
        self.api_key_prefix: dict[str, str] = dict(api_key_prefix or {})
        self.access_token = access_token
        self.username = username
        self.password = password
        self.token_manager = token_manager
        self.timeout = timeout
        self.retries = retries
        self.retry_after_cap = retry_after_cap
        self.backoff_factor = backoff_factor
        self.verify_ssl = verify_ssl
        self.ssl_ca_cert = ssl_ca_cert
        self.cert_file = cert_file
        self.key_file = key_file
        self.proxy = proxy
        self.proxy_headers: dict[str, str] = dict(proxy_headers or {})
        self.trust_env = trust_env
        self.connection_pool_maxsize = connection_pool_maxsize
        self.max_response_bytes = max_response_bytes
        self._debug_handler: Optional[logging.Handler] = None
        self.debug = debug

    def __setattr__(self, name: str, value: Any) -> None:
        if name in TRANSPORT_SETTINGS:
            # ApiClient compares versions on every call and rebuilds its pool on a change.
            object.__setattr__(self, "transport_version", self.transport_version + 1)
        object.__setattr__(self, name, value)

    @classmethod
    def find_server(cls, server: Union[str, int]) -> Server:
        """One of the spec's servers by index, ``x-name`` or description (any case)."""
        if isinstance(server, int) and not isinstance(server, bool):
            if 0 <= server < len(cls.servers):
                return cls.servers[server]
        elif isinstance(server, str):
            wanted = server.strip().lower()
            for candidate in cls.servers:
                if wanted in (candidate.name.lower(), candidate.description.lower()):
                    return candidate
        known = ", ".join(repr(s.name or s.description or s.url) for s in cls.servers)
        raise ValueError(f"no server {server!r} in the spec; the servers are {known}")

    @classmethod
    def default_host(
        cls,
        server: Union[str, int, None] = None,
        server_variables: Optional[Mapping[str, str]] = None,
    ) -> str:
        """The host environment variable (a URL or a server name), else ``server``, else the first."""
        from_env = os.environ.get(cls.host_variable, "").strip() if cls.host_variable else ""
        if from_env:
            if "://" in from_env:
                return from_env
            return cls.find_server(from_env).resolve(server_variables)
        if server is not None:
            return cls.find_server(server).resolve(server_variables)
        if not cls.servers:
            return "http://localhost"
        return cls.servers[0].resolve(server_variables)

    @property
    def retry_policy(self) -> RetryPolicy:
        """The retry settings as one value."""
        return RetryPolicy(self.retries, self.backoff_factor, self.retry_after_cap)

    @property
    def debug(self) -> bool:
        """Whether this configuration logs its requests at DEBUG to stderr."""
        return self._debug_handler is not None

    @debug.setter
    def debug(self, value: bool) -> None:
        # Only ever the handler this configuration added, and the level debug set, are undone.
        logger = logging.getLogger(self.logger_name)
        with _debug_lock:
            if value and self._debug_handler is None:
                if not _debug_handlers(logger):
                    _levels_before_debug.pop(self.logger_name, None)
                handler = logging.StreamHandler()
                handler.set_name(DEBUG_HANDLER)
                handler.setLevel(logging.DEBUG)
                logger.addHandler(handler)
                self._debug_handler = handler
                if logger.getEffectiveLevel() > logging.DEBUG:
                    _levels_before_debug.setdefault(self.logger_name, logger.level)
                    logger.setLevel(logging.DEBUG)
            elif not value and self._debug_handler is not None:
                logger.removeHandler(self._debug_handler)
                self._debug_handler = None
                if not _debug_handlers(logger):
                    level = _levels_before_debug.pop(self.logger_name, None)
                    if level is not None and logger.level == logging.DEBUG:
                        logger.setLevel(level)

    def scheme(self, name: str) -> Optional[SecurityScheme]:
        for scheme in self.security_schemes:
            if scheme.name == name:
                return scheme
        return None

    def __repr__(self) -> str:
        keys = ", ".join(f"{name!r}: {mask(key)}" for name, key in self.api_key.items())
        token = mask(self.access_token) if self.access_token else None
        password = mask(self.password) if self.password else None
        return (
            f"{type(self).__name__}(host={self.host!r}, api_key=" + "{" + keys + "}"
            f", api_key_prefix={self.api_key_prefix!r}, access_token={token},"
            f" username={self.username!r}, password={password},"
            f" timeout={self.timeout!r}, verify_ssl={self.verify_ssl!r})"
        )


def _debug_handlers(logger: logging.Logger) -> list[logging.Handler]:
    return [handler for handler in logger.handlers if handler.get_name() == DEBUG_HANDLER]
