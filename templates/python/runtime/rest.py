"""HTTP transport: urllib3 pools, direct or through a proxy, that turn failures into ApiException.

``RESTClient`` is the transport an ApiClient uses unless it is given another:
any object with the same ``request`` and ``close`` methods will do (tests pass
one that answers from memory).
"""

from __future__ import annotations

import http.client
import logging
import os
import re
import threading
import time
from collections.abc import Mapping
from typing import Any, NamedTuple, Optional, Protocol, Union
from urllib.parse import unquote, urlsplit

import urllib3

from ._configuration import Configuration, Timeout, without_userinfo
from .exceptions import (
    ApiConnectionError,
    ApiException,
    ApiTimeoutError,
    ApiValueError,
    MalformedResponseError,
    exception_class_for,
)

# ApiException is importable from here, as the provider docs show.
__all__ = ["ApiException", "RESTClient", "RESTResponse", "Transport"]

logger = logging.getLogger(__package__)


class RESTResponse(NamedTuple):
    """A complete HTTP answer, its body read."""

    status: int
    reason: str
    headers: Mapping[str, str]
    data: bytes


class Transport(Protocol):
    """What an ApiClient sends requests with."""

    def request(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str],
        body: Optional[bytes],
        timeout: Timeout,
    ) -> RESTResponse: ...

    def close(self) -> None: ...


class RESTClient:
    """Sends requests over connection pools built from a Configuration.

    Each origin (``scheme://host[:port]``) gets one urllib3 connection pool,
    which requests go to straight: a ``PoolManager`` would look the pool up
    again on every request, about a tenth of a token call's CPU time. A pool
    holds at most ``connection_pool_maxsize`` connections; threads beyond that
    wait for a free one, up to the connect timeout (then ApiConnectionError with
    ``connected=False``, which the retry policy may retry). Safe to share
    between threads.
    Requests go through ``configuration.proxy`` when set, else (with
    ``trust_env``) through the proxy the environment names for the URL's scheme,
    unless ``NO_PROXY`` lists its host.
    """

    def __init__(self, configuration: Configuration) -> None:
        if not configuration.verify_ssl:
            _warn_unverified_once()
        self._pool_options: dict[str, Any] = {
            "maxsize": configuration.connection_pool_maxsize,
            "block": True,
        }
        self._tls_options: dict[str, Any] = {
            "cert_reqs": "CERT_REQUIRED" if configuration.verify_ssl else "CERT_NONE",
            "ca_certs": configuration.ssl_ca_cert,
            "cert_file": configuration.cert_file,
            "key_file": configuration.key_file,
        }
        self._max_bytes = configuration.max_response_bytes
        self._proxy = configuration.proxy
        self._proxy_headers = dict(configuration.proxy_headers)
        self._env_proxies = _environment_proxies() if configuration.trust_env else {}
        self._routes: dict[str, _Route] = {}  # by scheme://host[:port]
        self._routes_lock = threading.Lock()

    @property
    def pools(self) -> dict[str, urllib3.HTTPConnectionPool]:
        """The direct connection pools opened so far, by ``scheme://host[:port]``."""
        return {
            origin: route.opener
            for origin, route in self._routes.items()
            if isinstance(route.opener, urllib3.HTTPConnectionPool)
        }

    def pool_for(self, url: str) -> Optional[urllib3.HTTPConnectionPool]:
        """The pool of direct connections that serves ``url`` (opened if need be),
        or None when requests to it go through a proxy."""
        opener = self._route(_origin(url)).opener
        return opener if isinstance(opener, urllib3.HTTPConnectionPool) else None

    def _route(self, origin: str) -> _Route:
        """How requests to ``scheme://host[:port]`` go: one pool of direct connections
        to it, or the proxy manager of the proxy that serves it."""
        route = self._routes.get(origin)
        if route is None:
            if "@" in origin:  # user:password@ of the host: not sent, and no part of the key
                return self._route(without_userinfo(origin))
            with self._routes_lock:
                route = self._routes.get(origin)
                if route is None:
                    proxy = self._proxy or _proxy_for(origin, self._env_proxies)
                    if proxy:
                        route = _Route(self._proxy_manager(proxy), whole_url=True)
                    else:
                        route = _Route(self._direct_pool(origin), whole_url=False)
                    self._routes[origin] = route
        return route

    def _direct_pool(self, origin: str) -> urllib3.HTTPConnectionPool:
        if origin[:5].lower() == "https":
            return urllib3.connection_from_url(origin, **self._pool_options, **self._tls_options)
        return urllib3.connection_from_url(origin, **self._pool_options)

    def _proxy_manager(self, proxy: str) -> urllib3.ProxyManager:
        headers = dict(self._proxy_headers)
        parts = urlsplit(proxy if "://" in proxy else "http://" + proxy)
        if parts.username is not None and "proxy-authorization" not in {h.lower() for h in headers}:
            credentials = f"{unquote(parts.username)}:{unquote(parts.password or '')}"
            headers.update(urllib3.make_headers(proxy_basic_auth=credentials))
        host = parts.hostname or ""
        host = f"[{host}]" if ":" in host else host  # an IPv6 address
        address = f"{parts.scheme}://{host}" + (f":{parts.port}" if parts.port else "")
        for route in self._routes.values():
            proxy_url = getattr(route.opener, "proxy", None)
            if proxy_url is not None and proxy_url.url == urllib3.util.parse_url(address).url:
                assert isinstance(route.opener, urllib3.ProxyManager)
                return route.opener
        return urllib3.ProxyManager(
            address, proxy_headers=headers, **self._pool_options, **self._tls_options
        )

    def request(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str],
        body: Optional[bytes],
        timeout: Timeout,
    ) -> RESTResponse:
        """Send one request and read the whole answer; never retries.

        Transport failures raise ApiConnectionError or ApiTimeoutError, an
        answer that cannot be read as HTTP (or is over max_response_bytes)
        raises MalformedResponseError, and a proxy refusing a CONNECT tunnel
        raises the ApiException of its status (407...); their text names the
        failure and the URL without its query. A URL that is not an absolute
        http(s) one raises ApiValueError before anything is sent.
        """
        debug = logger.isEnabledFor(logging.DEBUG)
        started = time.monotonic() if debug else 0.0
        status = 0
        # Waiting for a free connection counts as connecting: bounded, never forever
        # (urllib3 takes a float, though its type hint says int).
        pool_wait: Any = timeout[0] if isinstance(timeout, tuple) else timeout
        try:
            origin = _origin(url)
            route = self._route(origin)
            response = route.opener.urlopen(
                method,
                _proxied(url, origin) if route.whole_url else url[len(origin) :] or "/",
                body=body,
                headers=headers,
                timeout=_limits(timeout),
                pool_timeout=pool_wait,
                retries=_NO_RETRIES,
                redirect=False,
                preload_content=False,
            )
            status = response.status
            data = self._read(response, method, url)
        except urllib3.exceptions.HTTPError as error:
            raise _failure(error, status, _where(method, url)) from error
        if debug:
            logger.debug(
                "%s -> %s in %.1f ms; request headers: %s",
                _where(method, url),
                status,
                (time.monotonic() - started) * 1000,
                ", ".join(sorted(headers)),
            )
        return RESTResponse(status, response.reason or "", response.headers, data)

    def _read(self, response: urllib3.BaseHTTPResponse, method: str, url: str) -> bytes:
        """The whole body of an answer, up to max_response_bytes; the connection given back."""
        try:
            length = response.length_remaining
            if (
                length is not None
                and length <= self._max_bytes
                and not response.headers.get("Content-Encoding")
            ):
                data = response.read()  # the common case: a small answer of known length
            else:
                data = response.read(self._max_bytes + 1, decode_content=True)
        except BaseException:
            _abandon(response)
            raise
        if len(data) > self._max_bytes:
            _abandon(response)
            raise MalformedResponseError(
                response.status,
                f"the answer to {_where(method, url)} is larger than"
                f" max_response_bytes ({self._max_bytes})",
                response.headers,
            )
        response.release_conn()
        return data

    def close(self) -> None:
        """Close every pooled connection; a later request opens new ones."""
        with self._routes_lock:
            routes, self._routes = self._routes, {}
        for route in routes.values():
            if isinstance(route.opener, urllib3.ProxyManager):
                route.opener.clear()
            else:
                route.opener.close()


class _Route(NamedTuple):
    """What sends the requests to one origin."""

    #: A pool of direct connections, or a proxy's manager.
    opener: Union[urllib3.HTTPConnectionPool, urllib3.ProxyManager]
    #: Whether the opener takes the whole URL (a proxy manager) or only the path and query.
    whole_url: bool


#: How http.client reports a proxy's answer to CONNECT other than 200.
_TUNNEL_REFUSED = re.compile(r"Tunnel connection failed: (\d{3})(.*)")
#: urllib3 never retries or follows redirects for us: ApiClient decides what to retry.
_NO_RETRIES = urllib3.Retry(False, redirect=False)
_timeouts: dict[Timeout, urllib3.Timeout] = {}


def _limits(timeout: Timeout) -> urllib3.Timeout:
    """The urllib3 Timeout of a timeout setting; one number is both limits, as in Node: to
    connect, and to wait for each read."""
    limits = _timeouts.get(timeout)
    if limits is None:  # urllib3 copies a Timeout before use, so one serves every call
        connect, read = timeout if isinstance(timeout, tuple) else (timeout, timeout)
        limits = urllib3.Timeout(connect=connect, read=read)
        if len(_timeouts) < 64:
            _timeouts[timeout] = limits
    return limits


class _Failure(NamedTuple):
    """What a urllib3 failure of a request becomes: the first row whose ``kind`` it is."""

    kind: type[urllib3.exceptions.HTTPError]
    #: The message, with the request as ``{where}`` and the innermost error as ``{cause}``.
    message: str
    #: ApiConnectionError, ApiTimeoutError, or MalformedResponseError for an answer that came.
    raises: type[ApiException]
    #: Whether a connection was made: False is the only failure the retry policy may resend.
    connected: bool = False


_FAILURES = (
    # NewConnectionError is a kind of ConnectTimeoutError in urllib3 2: it comes first.
    _Failure(
        urllib3.exceptions.NewConnectionError,
        "could not connect for {where}: {cause}",
        ApiConnectionError,
    ),
    _Failure(
        urllib3.exceptions.ConnectTimeoutError, "timed out connecting for {where}", ApiTimeoutError
    ),
    _Failure(
        urllib3.exceptions.ReadTimeoutError,
        "timed out waiting for the answer to {where}",
        ApiTimeoutError,
        connected=True,
    ),
    _Failure(
        urllib3.exceptions.SSLError,
        "TLS failed for {where}: {cause}",
        ApiConnectionError,
        connected=True,
    ),
    _Failure(
        urllib3.exceptions.DecodeError,
        "the answer to {where} could not be decoded: {cause}",
        MalformedResponseError,
    ),
    _Failure(
        urllib3.exceptions.ProxyError, "the proxy failed for {where}: {cause}", ApiConnectionError
    ),
    _Failure(
        urllib3.exceptions.EmptyPoolError,
        "no free connection for {where} within the connect timeout"
        " (all connection_pool_maxsize connections are busy)",
        ApiConnectionError,
    ),
    _Failure(
        urllib3.exceptions.ClosedPoolError,
        "the connection pool closed before {where} was sent",
        ApiConnectionError,
    ),
    _Failure(
        urllib3.exceptions.HTTPError,
        "connection failed during {where}: {cause}",
        ApiConnectionError,
        connected=True,
    ),
)


def _failure(error: urllib3.exceptions.HTTPError, status: int, where: str) -> ApiException:
    """The ApiException that a urllib3 failure of the request ``where`` raises.

    Two of them may be answers that came: a proxy refusing a CONNECT tunnel with an error
    status (no retry helps: that status's exception), and bytes that are not HTTP.
    """
    row = next(row for row in _FAILURES if isinstance(error, row.kind))
    if row.kind is urllib3.exceptions.ProxyError:
        refusal = _TUNNEL_REFUSED.search(str(_innermost(error)))
        if refusal:
            status = int(refusal.group(1))
            return exception_class_for(status)(status, refusal.group(2).strip())
    elif row.kind is urllib3.exceptions.HTTPError:
        not_http = _not_http(error)
        if not_http is not None:
            problem = f"{type(not_http).__name__}: {not_http}"[:200]  # the server's bytes
            return MalformedResponseError(
                status, f"the answer to {where} is not valid HTTP: {problem}"
            )
    message = row.message.format(where=where, cause=_root_cause(error))
    raises = row.raises
    if issubclass(raises, ApiConnectionError):
        return raises(message, connected=row.connected)
    return raises(status, message)


def _origin(url: str) -> str:
    """``scheme://host[:port]`` of an absolute http(s) URL; ApiValueError for any other URL."""
    match = _ORIGIN.match(url)
    if match is None or match.group(1).lower() not in ("http", "https"):
        raise ApiValueError(
            "Invalid value for `host`: it must be an absolute http:// or https:// URL"
        )
    return match.group()


_ORIGIN = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*)://[^/?#]+")


def _abandon(response: urllib3.BaseHTTPResponse) -> None:
    """Close an answer that will not be read to its end, and give its connection back.

    The closed connection goes back to its pool, as urllib3 does on its own error paths:
    the pool blocks once ``maxsize`` connections are out, so one never given back would
    leave every later call waiting for ever. The pool reopens it when it is next taken.
    """
    response.close()
    response.release_conn()


def _environment_proxies() -> dict[str, str]:
    """The proxies the environment names (``HTTPS_PROXY``, ``no_proxy``...), by scheme."""
    if not any(name.lower().endswith("_proxy") for name in os.environ):
        return {}  # the common case; urllib.request is not even imported
    import urllib.request

    return urllib.request.getproxies_environment()


def _proxy_for(origin: str, proxies: Mapping[str, str]) -> Optional[str]:
    """The environment's proxy for ``scheme://host[:port]``, or None (none, or NO_PROXY)."""
    if not proxies:
        return None
    scheme = origin.split("://", 1)[0].lower()
    proxy = proxies.get(scheme) or proxies.get("all")
    if not proxy:
        return None
    import urllib.request

    host = urlsplit(origin).netloc.rsplit("@", 1)[-1]
    # NO_PROXY as read with the proxies (typeshed does not list proxy_bypass_environment)
    if urllib.request.proxy_bypass_environment(host, dict(proxies)):  # type: ignore[attr-defined]
        return None
    return proxy


def _proxied(url: str, origin: str) -> str:
    """The URL a proxy is asked for: without the ``user:password@`` of the host setting,
    which is never sent."""
    return without_userinfo(url) if "@" in origin else url


def _where(method: str, url: str) -> str:
    """The request as messages name it: the method and the URL without its query or
    ``user:password@``."""
    return f"{method} {without_userinfo(url.split('?', 1)[0])}"


def _chain(error: BaseException) -> list[BaseException]:
    """The error and the ones under it (cause, context, urllib3's reason), outermost first."""
    chain = [error]
    while len(chain) < 32:
        inner = error.__cause__ or error.__context__
        reason = getattr(error, "reason", None)
        if isinstance(reason, BaseException) and reason is not error:
            inner = reason
        if inner is None and len(error.args) > 1 and isinstance(error.args[1], BaseException):
            inner = error.args[1]
        if inner is None or inner in chain:
            break
        chain.append(inner)
        error = inner
    return chain


def _innermost(error: BaseException) -> BaseException:
    return _chain(error)[-1]


def _not_http(error: BaseException) -> Optional[http.client.HTTPException]:
    """The http.client error saying the answer is not valid HTTP, if that is what failed.

    A connection closed or cut short (RemoteDisconnected, IncompleteRead) is not one.
    """
    for inner in _chain(error):
        if isinstance(inner, (ConnectionError, http.client.IncompleteRead)):
            return None
        if isinstance(inner, http.client.HTTPException):
            return inner
    return None


def _root_cause(error: BaseException) -> str:
    """The innermost error's message, without object reprs."""
    inner = _innermost(error)
    text = str(inner)
    if ">: " in text:  # urllib3 prefixes "<connection object at 0x...>: "
        text = text.split(">: ", 1)[1]
    return text or type(inner).__name__


_warned_unverified = False


def _warn_unverified_once() -> None:
    global _warned_unverified
    if not _warned_unverified:
        _warned_unverified = True
        logger.warning("TLS certificate verification is off (verify_ssl=False)")
