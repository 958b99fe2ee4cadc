"""Settings of an ApiClient: server, credentials, TLS, proxy, timeouts, retries and limits.

Each package's ``configuration.py`` subclasses ``Configuration`` with what its
spec says: the servers, the security schemes and the host variable.
"""

from __future__ import annotations

import logging
import math
import os
import textwrap
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


class AsyncTokenSource(Protocol):
    """The same as coroutines: what an ``aio.TokenManager`` is, for ``aio`` clients (a
    blocking client uses the blocking TokenManager it wraps, its ``blocking``)."""

    async def get_token(self) -> str: ...

    async def invalidate(self, token: Optional[str] = None) -> None: ...


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
        if len(value) == 2 and is_positive_number(value[0]) and is_positive_number(value[1]):
            return value
    elif is_positive_number(value):
        return value  # type: ignore[no-any-return]
    if isinstance(value, (tuple, list)):
        if len(value) != 2:
            raise ApiValueError(
                f"Invalid value for `{name}`: a pair holds two numbers of seconds"
                f" (connect, read), got {len(value)} items"
            )
        return (_seconds(value[0], name, True), _seconds(value[1], name, True))
    return _seconds(value, name, True)


def is_positive_number(value: Any) -> bool:
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


def _check_token_manager(value: Any) -> Union[TokenSource, AsyncTokenSource, None]:
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


class Setting(NamedTuple):
    """One setting of a Configuration, declared once: the rest is derived from ``SETTINGS``
    (the checks and assignments, ``TRANSPORT_SETTINGS``, the docstring, the repr, the
    README's settings table, and a test holds the constructor's signature to it)."""

    name: str
    #: The constructor's default (a dict setting: None, which its check makes ``{}``).
    default: Any
    #: Checks a value when it is set (at construction too): the checked value is stored, or
    #: ApiTypeError / ApiValueError names the setting and never shows its value. None: none.
    check: Optional[Callable[[Any], Any]]
    #: What it means, as the docstring says it (reStructuredText).
    meaning: str
    #: The connection pool is built from it: changing it rebuilds the pool.
    transport: bool = False
    #: How the repr shows it (None: it does not).
    shown: Optional[Callable[[Any], str]] = None
    #: A dict the constructor copies, so that changing the caller's dict changes nothing.
    copied: bool = False


def _masked(value: Optional[str]) -> str:
    return mask(value) if value else "None"


def _masked_keys(keys: Mapping[str, str]) -> str:
    return "{" + ", ".join(f"{name!r}: {mask(key)}" for name, key in keys.items()) + "}"


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "host",
        None,
        _check_host,
        "base URL: an absolute ``http://`` or ``https://`` URL, with a path or not, without"
        " a query or fragment (the operation's path is added to it). A ``user:password@``"
        " in it is neither sent nor shown in messages, logs or repr. Default: the package's"
        " host environment variable (a URL, or the name of one of the spec's servers) if"
        " set, else ``server``, else the spec's first server.",
        shown=lambda host: repr(without_userinfo(host)),
    ),
    Setting(
        "api_key",
        None,
        _texts("api_key"),
        'API keys (str) by security scheme name, e.g. ``{"apiKey": "..."}``.',
        shown=_masked_keys,
        copied=True,
    ),
    Setting(
        "api_key_prefix",
        None,
        _texts("api_key_prefix"),
        'prefixes of those keys, e.g. ``{"apiKey": "API-Key"}``.',
        shown=repr,
        copied=True,
    ),
    Setting(
        "access_token",
        None,
        _text("access_token"),
        "OAuth 2.0 / bearer access token, sent as ``Authorization: Bearer``.",
        shown=_masked,
    ),
    Setting(
        "username", None, _text("username"), "user name for HTTP Basic authentication.", shown=repr
    ),
    Setting(
        "password",
        None,
        _text("password"),
        "password for HTTP Basic authentication.",
        shown=_masked,
    ),
    Setting(
        "token_manager",
        None,
        _check_token_manager,
        "a TokenManager (or any TokenSource) that supplies the bearer token of every request"
        " whose security needs one; a 401 answer makes it fetch a new token and the request"
        " is sent again once. An ``aio.TokenManager`` fits too: ``aio`` clients await it,"
        " blocking ones use the TokenManager it wraps.",
    ),
    Setting(
        "timeout",
        (10.0, 30.0),
        check_timeout,
        "default timeout of every call: a ``(connect, read)`` pair of positive seconds (to"
        " connect, and to wait for each read of the answer), or one number for both (a"
        " two-item list is taken as a pair); ``_request_timeout=`` on an operation takes"
        " the same forms.",
        shown=repr,
    ),
    Setting(
        "retries",
        2,
        _count("retries", 0),
        "how many times (an int, 0 or more) a call is retried when the server certainly did"
        " not process it (see ``RetryPolicy``); 0 disables retries.",
    ),
    Setting(
        "retry_after_cap",
        60.0,
        lambda value: _seconds(value, "retry_after_cap"),
        "the longest ``Retry-After`` wait honoured, in seconds (0 or more); a longer one"
        " raises at once, with ``retry_after`` set on the exception.",
    ),
    Setting(
        "backoff_factor",
        0.5,
        lambda value: _seconds(value, "backoff_factor"),
        "the first backoff wait, in seconds (0 or more); doubled on each retry, with"
        " jitter, when the server gave no ``Retry-After``.",
    ),
    Setting(
        "verify_ssl",
        True,
        _flag("verify_ssl"),
        "verify the server's TLS certificate (default True).",
        transport=True,
        shown=repr,
    ),
    Setting(
        "ssl_ca_cert",
        None,
        _text("ssl_ca_cert"),
        "CA bundle file to verify it with (default: the system's).",
        transport=True,
    ),
    Setting(
        "cert_file",
        None,
        _text("cert_file"),
        "client certificate file, for mutual TLS.",
        transport=True,
    ),
    Setting("key_file", None, _text("key_file"), "its private key file.", transport=True),
    Setting(
        "proxy",
        None,
        _check_proxy,
        "URL of an HTTP(S) proxy: ``http://host:port``, ``https://host:port`` or"
        " ``host:port`` (an http one), ``http://user:password@host:port`` for one that"
        " needs credentials (sent as ``Proxy-Authorization``); no path, query or fragment.",
        transport=True,
    ),
    Setting(
        "proxy_headers",
        None,
        _check_proxy_headers,
        "more headers for the proxy.",
        transport=True,
        copied=True,
    ),
    Setting(
        "trust_env",
        True,
        _flag("trust_env"),
        "without ``proxy``, use ``HTTPS_PROXY``/``HTTP_PROXY``/``NO_PROXY`` from the"
        " environment, as requests and httpx do (default True).",
        transport=True,
    ),
    Setting(
        "connection_pool_maxsize",
        10,
        _count("connection_pool_maxsize", 1),
        "most connections open at once per host (1 or more); a call waits for a free one.",
        transport=True,
    ),
    Setting(
        "max_response_bytes",
        1024 * 1024,
        _count("max_response_bytes", 0),
        "the largest answer body read (an int, 0 or more); a larger one raises"
        " MalformedResponseError (default 1 MiB).",
        transport=True,
    ),
    Setting(
        "strict_responses",
        False,
        _flag("strict_responses"),
        "refuse an answer that breaks any facet of the spec. By default (False) an answer"
        " is refused (MalformedResponseError) only for what code depends on: its JSON"
        " shape, a field's type, a required field missing; a value that breaks only a facet"
        " (``pattern``, lengths, ranges, the ``format`` of a string, a value outside an"
        " enum) is accepted as it came, and a WARNING names the field's path (never its"
        " value), once per operation and field. True refuses those too.",
    ),
    Setting(
        "debug",
        False,
        None,
        "log the package's requests at DEBUG (method, URL, status, timing, header names;"
        " never values or bodies) to stderr while it is on. It adds one handler to the"
        " package logger and, if needed, lowers that logger's level to DEBUG; ``debug ="
        " False`` removes only that handler, and the level is restored when no other"
        " Configuration has debug on (unless someone changed it meanwhile).",
    ),
)

#: How each setting is checked when it is set.
_CHECKS = {setting.name: setting.check for setting in SETTINGS if setting.check is not None}
#: The settings the connection pool is built from: changing one rebuilds it.
TRANSPORT_SETTINGS = frozenset(setting.name for setting in SETTINGS if setting.transport)
#: The constructor's arguments that are no settings: they only choose the default host.
HOST_CHOICE = (
    ("server", "one of the spec's servers, by name, description or index."),
    ("server_variables", "values for the chosen server's URL variables."),
)


def _docstring(intro: str) -> str:
    """The class docstring: ``intro``, then each constructor argument's ``:param:``."""
    params = [(s.name, s.meaning) for s in SETTINGS]
    params[4:4] = HOST_CHOICE  # where the signature has them, after the positional four
    first, _, rest = intro.strip().partition("\n")  # the rest indented, or not (3.13)
    lines = [first, textwrap.dedent(rest), ""]
    for name, meaning in params:
        lines.extend(textwrap.wrap(f":param {name}: {meaning}", 88, subsequent_indent="    "))
    return "\n".join(lines) + "\n"


class Configuration:
    """Where and how an ApiClient sends its requests.

    Every setting is checked when it is set, in the constructor or by a later assignment:
    a wrong type raises ApiTypeError and a wrong value ApiValueError, naming the setting
    and never quoting its value; a refused assignment leaves the old value.
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
    # The settings' types, for type checkers (SETTINGS declares them; a test holds the two
    # to each other and to the constructor's signature).
    host: str
    api_key: dict[str, str]
    api_key_prefix: dict[str, str]
    access_token: Optional[str]
    username: Optional[str]
    password: Optional[str]
    token_manager: Union[TokenSource, AsyncTokenSource, None]
    timeout: Timeout
    retries: int
    retry_after_cap: float
    backoff_factor: float
    verify_ssl: bool
    ssl_ca_cert: Optional[str]
    cert_file: Optional[str]
    key_file: Optional[str]
    proxy: Optional[str]
    proxy_headers: dict[str, str]
    trust_env: bool
    connection_pool_maxsize: int
    max_response_bytes: int
    strict_responses: bool

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
        token_manager: Union[TokenSource, AsyncTokenSource, None] = None,
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
        self._debug_handler: Optional[logging.Handler] = None
        given = locals()
        if host is None:
            given["host"] = self.default_host(server, server_variables)
        for setting in SETTINGS:  # checked and set in this order: host first
            value = given[setting.name]
            setattr(self, setting.name, _copy(value) if setting.copied else value)

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
        shown = ", ".join(
            f"{setting.name}={setting.shown(getattr(self, setting.name))}"
            for setting in SETTINGS
            if setting.shown is not None
        )
        return f"{type(self).__name__}({shown})"


Configuration.__doc__ = _docstring(Configuration.__doc__ or "")


def _copy(value: Any) -> Any:
    """A mapping given to the constructor, copied (anything else is left for its check)."""
    return dict(value) if isinstance(value, Mapping) else value


def _debug_handlers(logger: logging.Logger) -> list[logging.Handler]:
    return [handler for handler in logger.handlers if handler.get_name() == DEBUG_HANDLER]
