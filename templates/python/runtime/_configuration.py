"""Settings of an ApiClient: server, credentials, TLS, proxy, timeouts, retries and limits.

Each package's ``configuration.py`` subclasses ``Configuration`` with what its
spec says: the servers, the security schemes and the host variable.
"""

from __future__ import annotations

import logging
import math
import os
import threading
from collections.abc import Mapping
from typing import Any, Callable, ClassVar, NamedTuple, Optional, Protocol, Union
from urllib.parse import unquote, urlsplit

from ._request import header_value
from ._retry import RetryPolicy
from ._secrets import mask
from .exceptions import ApiTypeError, ApiValueError

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


def check_timeout(value: Any, name: str = "timeout") -> Timeout:
    """A timeout as calls take it: a positive number of seconds, or a (connect, read) pair.

    A two-item list is taken as that pair (a tuple is returned). Anything else raises
    ApiTypeError or ApiValueError naming ``name``. The common case costs two checks.
    """
    if value.__class__ is tuple:
        if len(value) == 2 and _positive(value[0]) and _positive(value[1]):
            return value
    elif _positive(value):
        return value  # type: ignore[no-any-return]
    if isinstance(value, (tuple, list)):
        if len(value) != 2:
            raise ApiValueError(
                f"Invalid value for `{name}`: a pair holds two numbers of seconds"
                f" (connect, read), got {len(value)} items"
            )
        return (_seconds(value[0], name, True), _seconds(value[1], name, True))
    return _seconds(value, name, True)


def _positive(value: Any) -> bool:
    """Whether ``value`` is a positive, finite int or float (not a bool)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool) and 0 < value < math.inf


def _seconds(value: Any, name: str, positive: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ApiTypeError(
            f"Invalid type for `{name}`: expected a number of seconds, got {type(value).__name__}"
        )
    if not (0 < value < math.inf if positive else 0 <= value < math.inf):
        kind = "positive" if positive else "zero or more"
        raise ApiValueError(f"Invalid value for `{name}`: seconds must be a finite number, {kind}")
    return value


def _count(name: str, least: int) -> Callable[[Any], int]:
    def check(value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ApiTypeError(
                f"Invalid type for `{name}`: expected int, got {type(value).__name__}"
            )
        if value < least:
            raise ApiValueError(f"Invalid value for `{name}`: it must be {least} or more")
        return value

    return check


def _flag(name: str) -> Callable[[Any], bool]:
    def check(value: Any) -> bool:
        if not isinstance(value, bool):
            raise ApiTypeError(
                f"Invalid type for `{name}`: expected bool, got {type(value).__name__}"
            )
        return value

    return check


def _text(name: str) -> Callable[[Any], Optional[str]]:
    def check(value: Any) -> Optional[str]:
        if value is not None and not isinstance(value, str):
            raise ApiTypeError(
                f"Invalid type for `{name}`: expected str or None, got {type(value).__name__}"
            )
        return value

    return check


def _texts(name: str) -> Callable[[Any], dict[str, str]]:
    """A mapping of str to str, as a dict (None: an empty one)."""

    def check(value: Any) -> dict[str, str]:
        if value is None:
            return {}
        if not isinstance(value, Mapping):
            raise ApiTypeError(
                f"Invalid type for `{name}`: expected a dict of str, got {type(value).__name__}"
            )
        for key, item in value.items():
            if not isinstance(key, str):
                raise ApiTypeError(
                    f"Invalid type for a key of `{name}`: expected str, got {type(key).__name__}"
                )
            if not isinstance(item, str):
                raise wrong_item_type(name, key, item)
        return value if isinstance(value, dict) else dict(value)

    return check


def wrong_item_type(setting: str, key: str, item: Any) -> ApiTypeError:
    """The error for a value of a dict setting (``api_key``...) that is not a str."""
    return ApiTypeError(
        f"Invalid type for `{setting}[{key!r}]`: expected str, got {type(item).__name__}"
    )


def _url_problem(url: str) -> Optional[str]:
    """What makes ``url`` unusable as an http(s) base URL, or None. Never quotes it."""
    if any(char <= " " or char == "\x7f" for char in url):
        return "it must not hold spaces or control characters (percent-encode them)"
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return "it must be an absolute http:// or https:// URL with a port from 1 to 65535"
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return "it must be an absolute http:// or https:// URL"
    if port == 0:
        return "its port must be from 1 to 65535"
    if "?" in url or "#" in url:
        return "it must not have a query (?) or a fragment (#)"
    return None


def _check_host(value: Any) -> str:
    if not isinstance(value, str):
        raise ApiTypeError(f"Invalid type for `host`: expected str, got {type(value).__name__}")
    problem = _url_problem(value)
    if problem is not None:
        raise ApiValueError(f"Invalid value for `host`: {problem}")
    return value


def _check_proxy(value: Any) -> Optional[str]:
    if value is None:
        return None
    if not isinstance(value, str):
        raise ApiTypeError(
            f"Invalid type for `proxy`: expected str or None, got {type(value).__name__}"
        )
    url = value if "://" in value else "http://" + value  # host:port is an http proxy
    problem = _url_problem(url)
    if problem is None:
        parts = urlsplit(url)
        if parts.path not in ("", "/"):
            problem = "a proxy URL has no path"
        else:
            try:  # Proxy-Authorization carries them as Latin-1, as http.client sends headers
                unquote(f"{parts.username or ''}:{parts.password or ''}").encode("latin-1")
            except UnicodeEncodeError:
                problem = "its user name and password must be Latin-1 text"
    if problem is not None:
        raise ApiValueError(
            f"Invalid value for `proxy`: {problem}; e.g. http://proxy.example.com:3128"
        )
    return value


def _check_proxy_headers(value: Any) -> dict[str, str]:
    """More headers for the proxy: each a header name and a header value."""
    headers = _texts("proxy_headers")(value)
    for name, item in headers.items():
        if not name or not name.isascii() or not name.isprintable() or ":" in name or " " in name:
            raise ApiValueError("Invalid value for a key of `proxy_headers`: not a header name")
        header_value(item, f"proxy_headers[{name!r}]")
    return headers


def _check_token_manager(value: Any) -> Optional[TokenSource]:
    if value is not None and not (hasattr(value, "get_token") and hasattr(value, "invalidate")):
        raise ApiTypeError(
            "Invalid type for `token_manager`: expected a TokenManager (get_token and"
            f" invalidate), got {type(value).__name__}"
        )
    return value  # type: ignore[no-any-return]


_UNSET = object()


def without_userinfo(url: str) -> str:
    """``url`` without a ``user:password@`` in its authority, as messages and logs show it."""
    scheme, separator, rest = url.partition("://")
    if not separator or "@" not in rest:
        return url
    end = len(rest)
    for mark in "/?#":
        found = rest.find(mark)
        if 0 <= found < end:
            end = found
    at = rest.rfind("@", 0, end)
    return url if at < 0 else f"{scheme}://{rest[at + 1 :]}"


#: How each setting is checked when it is set (at construction too): the checked value is
#: stored, or ApiTypeError / ApiValueError names the setting and never shows its value.
_CHECKS: dict[str, Callable[[Any], Any]] = {
    "host": _check_host,
    "api_key": _texts("api_key"),
    "api_key_prefix": _texts("api_key_prefix"),
    "access_token": _text("access_token"),
    "username": _text("username"),
    "password": _text("password"),
    "token_manager": _check_token_manager,
    "timeout": check_timeout,
    "retries": _count("retries", 0),
    "retry_after_cap": lambda value: _seconds(value, "retry_after_cap"),
    "backoff_factor": lambda value: _seconds(value, "backoff_factor"),
    "verify_ssl": _flag("verify_ssl"),
    "ssl_ca_cert": _text("ssl_ca_cert"),
    "cert_file": _text("cert_file"),
    "key_file": _text("key_file"),
    "proxy": _check_proxy,
    "proxy_headers": _check_proxy_headers,
    "trust_env": _flag("trust_env"),
    "connection_pool_maxsize": _count("connection_pool_maxsize", 1),
    "max_response_bytes": _count("max_response_bytes", 0),
    "strict_responses": _flag("strict_responses"),
}


class Configuration:
    """Where and how an ApiClient sends its requests.

    Every setting is checked when it is set, in the constructor or by a later assignment:
    a wrong type raises ApiTypeError and a wrong value ApiValueError, naming the setting
    and never quoting its value; a refused assignment leaves the old value.

    :param host: base URL: an absolute ``http://`` or ``https://`` URL, with a path or
        not, without a query or fragment (the operation's path is added to it). A
        ``user:password@`` in it is neither sent nor shown in messages, logs or repr.
        Default: the package's host environment variable (a URL, or the name of one of
        the spec's servers) if set, else ``server``, else the spec's first server.
    :param api_key: API keys (str) by security scheme name, e.g. ``{"apiKey": "..."}``.
    :param api_key_prefix: prefixes of those keys, e.g. ``{"apiKey": "API-Key"}``.
    :param access_token: OAuth 2.0 / bearer access token, sent as ``Authorization: Bearer``.
    :param server: one of the spec's servers, by name, description or index.
    :param server_variables: values for the chosen server's URL variables.
    :param username: user name for HTTP Basic authentication.
    :param password: password for HTTP Basic authentication.
    :param token_manager: a TokenManager (or any TokenSource) that supplies the
        bearer token of every request whose security needs one; a 401 answer makes
        it fetch a new token and the request is sent again once.
    :param timeout: default timeout of every call: a ``(connect, read)`` pair of positive
        seconds (to connect, and to wait for each read of the answer), or one number for
        both (a two-item list is taken as a pair); ``_request_timeout=`` on an operation
        takes the same forms.
    :param retries: how many times (an int, 0 or more) a call is retried when the server
        certainly did not process it (see ``RetryPolicy``); 0 disables retries.
    :param retry_after_cap: the longest ``Retry-After`` wait honoured, in seconds (0 or more);
        a longer one raises at once, with ``retry_after`` set on the exception.
    :param backoff_factor: the first backoff wait, in seconds (0 or more); doubled on each retry,
        with jitter, when the server gave no ``Retry-After``.
    :param verify_ssl: verify the server's TLS certificate (default True).
    :param ssl_ca_cert: CA bundle file to verify it with (default: the system's).
    :param cert_file: client certificate file, for mutual TLS.
    :param key_file: its private key file.
    :param proxy: URL of an HTTP(S) proxy: ``http://host:port``, ``https://host:port``
        or ``host:port`` (an http one), ``http://user:password@host:port`` for one that
        needs credentials (sent as ``Proxy-Authorization``); no path, query or fragment.
    :param proxy_headers: more headers for the proxy.
    :param trust_env: without ``proxy``, use ``HTTPS_PROXY``/``HTTP_PROXY``/``NO_PROXY``
        from the environment, as requests and httpx do (default True).
    :param connection_pool_maxsize: most connections open at once per host (1 or more);
        a call waits for a free one.
    :param max_response_bytes: the largest answer body read (an int, 0 or more); a
        larger one raises MalformedResponseError (default 1 MiB).
    :param strict_responses: refuse an answer that breaks any facet of the spec. By
        default (False) an answer is refused (MalformedResponseError) only for what code
        depends on: its JSON shape, a field's type, a required field missing; a value that
        breaks only a facet (``pattern``, lengths, ranges, the ``format`` of a string, a
        value outside an enum) is accepted as it came, and a WARNING names the field's
        path (never its value), once per operation and field. True refuses those too.
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
        strict_responses: bool = False,
        debug: bool = False,
    ) -> None:
        object.__setattr__(self, "transport_version", 0)
        self.host = host if host is not None else self.default_host(server, server_variables)
        self.api_key: dict[str, str] = _copy(api_key)
        self.api_key_prefix: dict[str, str] = _copy(api_key_prefix)
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
        self.proxy_headers: dict[str, str] = _copy(proxy_headers)
        self.trust_env = trust_env
        self.connection_pool_maxsize = connection_pool_maxsize
        self.max_response_bytes = max_response_bytes
        self.strict_responses = strict_responses
        self._debug_handler: Optional[logging.Handler] = None
        self.debug = debug

    def __setattr__(self, name: str, value: Any) -> None:
        check = _CHECKS.get(name)
        if check is not None:
            value = check(value)
        if name in TRANSPORT_SETTINGS and (
            isinstance(value, dict) or getattr(self, name, _UNSET) != value
        ):  # a dict may equal the old one only because that one was changed in place
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
            f"{type(self).__name__}(host={without_userinfo(self.host)!r}, api_key="
            + "{"
            + keys
            + "}"
            f", api_key_prefix={self.api_key_prefix!r}, access_token={token},"
            f" username={self.username!r}, password={password},"
            f" timeout={self.timeout!r}, verify_ssl={self.verify_ssl!r})"
        )


def _copy(value: Any) -> Any:
    """A mapping given to the constructor, copied (anything else is left for its check)."""
    return dict(value) if isinstance(value, Mapping) else value


def _debug_handlers(logger: logging.Logger) -> list[logging.Handler]:
    return [handler for handler in logger.handlers if handler.get_name() == DEBUG_HANDLER]
