"""Operations as data, and the one request loop that sends them.

``ApiClient.call_api`` checks the arguments against the operation's parameters,
lays out the request, adds default headers and credentials, sends it (retrying
what the retry policy allows), and reads the answer against the spec: the
declared type of its status, or a typed ApiException.

The loop itself does no I/O: ``ApiClient.exchange`` is a generator that yields
steps (``Send`` a request, ``Wait`` before a retry, ``NeedToken`` from the token
manager) and is told their outcome. ``call_api`` drives it with blocking calls;
``aio.ApiClient`` (``_aio.py``) drives the same generator from asyncio, so checks,
retries, credentials, redaction and answers live here only.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
from collections.abc import Generator, Mapping
from typing import Any, Callable, ClassVar, Generic, NamedTuple, Optional, TypeVar, Union

from ._configuration import AsyncTokenSource, Configuration, Timeout, TokenSource, check_timeout
from ._grants import GRANT_NEEDS
from ._media import media_kind
from ._request import Param, Request, build_request, form_body, header_value
from ._retry import retry_after_seconds
from ._schema import (
    ANY,
    Binary,
    Invalid,
    ModelSchema,
    Schema,
    Str,
    Tolerated,
    header_values,
    resolve,
)
from ._secrets import issued_tokens, request_secrets
from ._security import add_credentials
from .api_response import ApiResponse
from .exceptions import (
    ApiConnectionError,
    ApiException,
    ApiValueError,
    MalformedResponseError,
    UnauthorizedException,
    exception_class_for,
)
from .rest import RESTClient, RESTResponse, Transport

logger = logging.getLogger(__package__)

T = TypeVar("T")
_Client = TypeVar("_Client", bound="ApiClient")
_C = TypeVar("_C")
_Default = TypeVar("_Default", bound="DefaultClient[Any]")


class Response(NamedTuple):
    """What the spec declares for one status: the body's type (None: no body) and headers.

    ``media`` is the declared media type where it, not JSON, decides how the body is
    read (``read_body``): ``text/plain``, ``*/*``; None for JSON and for bytes.
    """

    schema: Optional[Schema] = None
    headers: tuple[tuple[str, Schema], ...] = ()
    media: Optional[str] = None


class Operation(Generic[T]):
    """One operation of the spec: method, path, parameters, security and responses.

    ``T`` is what a successful call returns. ``single_use`` names form fields
    whose value is used up by the server (``grant_type`` values such as
    ``authorization_code``): such a request is not retried once the server
    may have seen it. ``token`` marks an OAuth 2.0 token operation
    (``x-token-manager``): its successful answer must carry a non-empty
    ``access_token`` (RFC 6749 section 5.1), and a request of it that carries a
    ``code`` or a ``refresh_token`` is single-use whatever its grant_type says.
    """

    __slots__ = (
        "_by_code",
        "accept",
        "content_type",
        "method",
        "name",
        "params",
        "path",
        "responses",
        "security",
        "single_use",
        "success",
        "token",
    )

    def __init__(
        self,
        name: str,
        method: str,
        path: str,
        params: tuple[Param, ...] = (),
        *,
        responses: Mapping[str, Response],
        content_type: Optional[str] = None,
        accept: Optional[str] = None,
        security: tuple[str, ...] = (),
        single_use: Optional[Mapping[str, tuple[str, ...]]] = None,
        token: bool = False,
    ) -> None:
        self.name = name
        self.method = method
        self.path = path
        self.params = params
        self.responses = dict(responses)
        self.content_type = content_type
        self.accept = accept
        self.security = security
        self.single_use = dict(single_use or {})
        self.token = token
        self._by_code = {int(code): r for code, r in self.responses.items() if code.isdigit()}
        success = [r for code, r in self.responses.items() if code.startswith("2")]
        #: What an undeclared 2xx status is read as: the first declared success, else
        #: ``default``, else no body.
        self.success = success[0] if success else self.responses.get("default", Response())

    def build(self, arguments: Mapping[str, Any]) -> Request:
        """Check the arguments and lay them out as this operation's request; sends nothing.

        A token operation's request must carry what its grant needs: ``code`` for
        authorization_code, ``refresh_token`` for refresh_token (RFC 6749).
        """
        request = build_request(self.path, self.params, arguments, self.content_type, self.accept)
        grant = request.fields.get("grant_type") if self.token else None
        if isinstance(grant, str) and grant in GRANT_NEEDS:
            needs = GRANT_NEEDS[grant]
            if not request.fields.get(needs[0]):
                raise ApiValueError(
                    f"Missing the required parameter `{self.field_name(needs[0])}`:"
                    f" grant_type {grant} needs it (RFC 6749 section {needs[1]})"
                )
        return request

    def field_name(self, wire: str) -> str:
        """The Python name of the argument that carries a form field (``model.attr`` in a body)."""
        for param in self.params:
            if param.location == "form" and param.wire == wire:
                return param.name
            if param.location == "body":
                schema = resolve(param.schema)
                if isinstance(schema, ModelSchema):
                    for prop in schema.model._props:
                        if prop.wire == wire:
                            return f"{param.name}.{prop.attr}"
        return wire

    def response_for(self, status: int) -> Optional[Response]:
        """What the spec declares for a status: exact code, then range; then for a 2xx
        ``success`` (never None), for any other status ``default`` (or None)."""
        exact = self._by_code.get(status)
        if exact is not None:
            return exact
        declared = self.responses.get(f"{str(status)[0]}XX")
        if declared is None and 200 <= status < 300:
            return self.success  # an undeclared 2xx still owes the success type
        return declared if declared is not None else self.responses.get("default")

    def is_single_use(self, request: Request) -> bool:
        """Whether the request carries a credential the server uses up.

        A token request that carries a ``code`` (RFC 6749 section 4.1.2) or a
        ``refresh_token`` (which a server may rotate, section 10.4) does, whatever its
        grant_type (which a server may default when it is left out).
        """
        fields = request.fields
        if (self.token or self.single_use) and (fields.get("code") or fields.get("refresh_token")):
            return True
        for field, values in self.single_use.items():
            if fields.get(field) in values:
                return True
        return False


# --- the steps of the request loop ----------------------------------------------------------
# ``ApiClient.exchange`` yields these; a driver performs each and sends back its outcome
# (or throws the exception it raised into the generator).


class Send(NamedTuple):
    """Send one request with the transport; the outcome is its ``RESTResponse``, or the
    ApiException the transport raised, thrown in."""

    method: str
    url: str
    headers: dict[str, str]
    body: Optional[bytes]
    timeout: Timeout


class Wait(NamedTuple):
    """Wait this many seconds before a retry; the outcome is None."""

    seconds: float


class NeedToken(NamedTuple):
    """A bearer token from ``manager``; the outcome is the token (str). With ``stale``,
    the manager first forgets that token (the server refused it with 401)."""

    manager: Union[TokenSource, AsyncTokenSource]
    stale: Optional[str] = None


#: What ``ApiClient.exchange`` yields, and the generator type it is.
Step = Union[Send, Wait, NeedToken]
Exchange = Generator[Step, Any, ApiResponse[T]]


class Run(Generic[T]):
    """One call's request loop, driven: ``step`` is the step to perform next (None once
    the loop has returned), ``resume`` and ``throw`` hand it that step's outcome."""

    __slots__ = ("_result", "_steps", "step")

    def __init__(self, steps: Exchange[T]) -> None:
        self._steps = steps
        self._result: Optional[ApiResponse[T]] = None
        self.step: Optional[Step] = None
        self.resume(None)

    def resume(self, outcome: Any) -> None:
        """Send the step's outcome into the loop."""
        self._advance(self._steps.send, outcome)

    def throw(self, error: Exception) -> None:
        """Throw the exception the step raised into the loop, which decides what it means."""
        self._advance(self._steps.throw, error)

    def _advance(self, how: Callable[[Any], Step], what: Any) -> None:
        try:
            self.step = how(what)
        except StopIteration as done:
            self.step, self._result = None, done.value

    def result(self) -> ApiResponse[T]:
        """What the loop returned."""
        assert self._result is not None and self.step is None
        return self._result


class DefaultClient(Generic[_C]):
    """``get_default`` and ``set_default`` of an ApiClient class (``_C``: the clients it takes).

    Each class has its own default, built on first use, and its own lock: building one
    class's default may ask for another's (an aio client made from the blocking default).
    """

    _default: ClassVar[Optional[Any]] = None
    _default_lock: ClassVar[threading.Lock] = threading.Lock()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._default_lock = threading.Lock()

    @classmethod
    def get_default(cls: type[_Default]) -> _Default:
        """The client an API class uses when it is given none."""
        with cls._default_lock:
            default: Optional[_Default] = cls.__dict__.get("_default")
            if default is None:
                default = cls()
                cls._default = default
            return default

    @classmethod
    def set_default(cls, client: Optional[_C]) -> None:
        """Make ``client`` the default one (None: a new default on next use)."""
        with cls._default_lock:
            cls._default = client


class ApiClient(DefaultClient["ApiClient"]):
    """Sends operations to the API; use it as a context manager to close its connections.

    :param configuration: host, credentials and settings (default: ``Configuration()``).
    :param transport: what sends the requests (default: a ``RESTClient`` built from the
        configuration, rebuilt when a transport setting of it changes).
    :param sleep: how to wait between retries (default: ``time.sleep``).
    """

    #: The Configuration class of the package.
    configuration_class: ClassVar[type[Configuration]] = Configuration
    #: The User-Agent header of the package.
    user_agent: ClassVar[str] = "tokenworks/python"

    def __init__(
        self,
        configuration: Optional[Configuration] = None,
        *,
        transport: Optional[Transport] = None,
        sleep: Optional[Callable[[float], object]] = None,
    ) -> None:
        self.configuration = (
            configuration if configuration is not None else self.configuration_class()
        )
        self._own_transport = transport is None
        self._transport_version = self.configuration.transport_version
        self.rest_client: Transport = (
            transport if transport is not None else RESTClient(self.configuration)
        )
        self.default_headers: dict[str, str] = {"User-Agent": self.user_agent}
        self._sleep = sleep
        self._transport_lock = threading.Lock()
        #: (operation, field) pairs whose broken facets were logged: each is logged once.
        self._warned: set[tuple[str, str]] = set()

    def __enter__(self: _Client) -> _Client:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Close every connection this client holds."""
        self.rest_client.close()

    @staticmethod
    def sleep(seconds: float) -> None:
        """Wait between retries; ``ApiClient(sleep=...)`` replaces it."""
        time.sleep(seconds)

    def set_default_header(self, name: str, value: str) -> None:
        """Send a header with every request of this client."""
        self.default_headers[name] = header_value(value, name)

    def call_api(
        self,
        operation: Operation[T],
        arguments: Mapping[str, Any],
        request_timeout: Optional[Timeout] = None,
        *,
        use_token_manager: bool = True,
        credentials: Optional[Mapping[str, str]] = None,
    ) -> ApiResponse[T]:
        """Check the arguments, send the operation's request and parse the answer.

        Adds the default headers and the credentials (``credentials`` replaces
        the configured credentials and any default ``Authorization`` header for this
        call: a TokenManager passes its client's, even none), and raises ApiException when the
        call fails. When the Configuration has a token manager and it supplied
        the bearer token, a 401 answer makes it fetch a new token and the
        request is sent once more.
        """
        # The blocking driver; aio.ApiClient.call_api is this with awaits.
        run = Run(
            self.exchange(operation, arguments, request_timeout, use_token_manager, credentials)
        )
        while run.step is not None:
            try:
                outcome = self._perform(run.step)
            except Exception as error:  # noqa: BLE001 - thrown into the loop, which decides
                run.throw(error)
            else:
                run.resume(outcome)
        return run.result()

    def _perform(self, step: Step) -> Any:
        if type(step) is Send:
            return self.perform(step)
        if type(step) is Wait:
            return (self._sleep or self.sleep)(step.seconds)
        assert type(step) is NeedToken
        return blocking_token(step)

    def perform(self, send: Send) -> RESTResponse:
        """Send one request over the transport (blocking); ``aio`` runs it in a thread."""
        return self._transport().request(
            send.method, send.url, send.headers, send.body, send.timeout
        )

    def exchange(
        self,
        operation: Operation[T],
        arguments: Mapping[str, Any],
        request_timeout: Optional[Timeout],
        use_token_manager: bool,
        credentials: Optional[Mapping[str, str]],
    ) -> Exchange[T]:
        """The request loop of one call as a generator of steps (see ``Send``, ``Wait``,
        ``NeedToken``); it returns the ApiResponse or raises the ApiException. Its
        arguments are those of ``call_api``, which a driver hands on whole.

        Everything but the I/O happens here, for every driver: checking the arguments
        (before the first step: nothing is sent for a bad one), headers and credentials,
        retries, the 401 token renewal, redaction of what the server echoes, and reading
        the answer against the spec.
        """
        request = operation.build(arguments)
        configuration = self.configuration
        headers = self.default_headers.copy()
        headers.update(request.headers)
        query = request.query
        managed = None
        if credentials is not None:  # the only credentials: not even a default Authorization
            for name in [name for name in headers if name.lower() == "authorization"]:
                del headers[name]
            headers.update(credentials)
        elif operation.security:
            query = list(query)
            manager = configuration.token_manager if use_token_manager else None
            managed = add_credentials(configuration, operation.security, headers, query, manager)
            if managed is not None:
                assert manager is not None  # the bearer scheme takes its token from it
                headers[managed] = _bearer((yield NeedToken(manager)))
        url = configuration.host.rstrip("/") + request.path
        if query:
            url += "?" + form_body(query).decode("ascii")
        timeout = configuration.timeout
        if request_timeout is not None:
            timeout = check_timeout(request_timeout, "_request_timeout")
        single_use = operation.is_single_use(request)
        send = Send(operation.method, url, headers, request.body, timeout)
        try:
            if managed is None:
                return (yield from self._attempts(operation, send, single_use))
            try:
                return (yield from self._attempts(operation, send, single_use))
            except UnauthorizedException:
                assert manager is not None  # it supplied the managed header
                logger.info(
                    "%s %s answered 401; fetching a new token", operation.method, operation.path
                )
                stale = headers[managed].removeprefix("Bearer ")
                headers[managed] = _bearer((yield NeedToken(manager, stale)))
                return (yield from self._attempts(operation, send, single_use))
        except ApiException as error:
            error.redact(self._secrets(operation, arguments, request, headers))
            raise

    def _transport(self) -> Transport:
        """The transport, rebuilt first if a transport setting of the configuration changed."""
        if self._own_transport and self._transport_version != self.configuration.transport_version:
            with self._transport_lock:
                if self._transport_version != self.configuration.transport_version:
                    old = self.rest_client
                    self.rest_client = RESTClient(self.configuration)
                    self._transport_version = self.configuration.transport_version
                    old.close()
        return self.rest_client

    def _attempts(
        self, operation: Operation[T], send: Send, single_use: bool
    ) -> Generator[Step, Any, ApiResponse[T]]:
        """Send, retrying only what the retry policy says the server did not process."""
        attempt = 0
        while True:
            try:
                # A Send step on every attempt: the driver asks for the transport each time,
                # so a retry goes over a rebuilt one.
                response = yield send
            except ApiConnectionError as error:
                policy = self.configuration.retry_policy
                if error.connected or attempt >= policy.retries:
                    raise
                why, wait = error.reason, policy.backoff(attempt)
            else:
                status = response.status
                if status < 400:
                    return self._read(operation, response)
                policy = self.configuration.retry_policy
                if attempt >= policy.retries:
                    return self._read(operation, response)
                retry_after = retry_after_seconds(response.headers.get("Retry-After"))
                if not policy.retry_status(status, retry_after, single_use):
                    return self._read(operation, response)
                why = f"{operation.method} {operation.path} answered {status}"
                wait = retry_after if retry_after is not None else policy.backoff(attempt)
            attempt += 1
            logger.info("%s; retry %d of %d in %.2f s", why, attempt, policy.retries, wait)
            yield Wait(wait)

    def _secrets(
        self,
        operation: Operation[Any],
        arguments: Mapping[str, Any],
        request: Request,
        headers: Mapping[str, str],
    ) -> list[str]:
        configuration = self.configuration
        return request_secrets(
            operation.params,
            arguments,
            request.fields,
            [*configuration.api_key.values(), configuration.access_token, configuration.password],
            headers.get("Authorization", ""),
        )

    def _tolerate(self, operation: Operation[Any], status: int, tolerated: Tolerated) -> None:
        """Log, once per operation and field, a field accepted though it breaks a facet."""
        for broken in tolerated.breaks:
            where = broken.where or "(the whole answer)"
            key = (operation.name, re.sub(r"\[\d+\]", "[]", where))
            if key in self._warned:
                continue
            if len(self._warned) < 1000:
                self._warned.add(key)
            logger.warning(
                "%s: the HTTP %d answer's field `%s` breaks the spec (%s); accepted"
                " (Configuration(strict_responses=True) refuses it)",
                operation.name, status, where, broken.reason,
            )  # fmt: skip

    def _read(self, operation: Operation[T], response: RESTResponse) -> ApiResponse[T]:
        status = response.status
        declared = operation.response_for(status)
        tolerate = None
        if not self.configuration.strict_responses:

            def tolerate(tolerated: Tolerated) -> None:
                self._tolerate(operation, status, tolerated)

        if 200 <= status < 300:
            assert declared is not None  # response_for answers every 2xx (at least: no body)
            try:
                data = read_body(declared.schema, response, declared.media, tolerate)
                if operation.token:
                    _check_token(data, response)
            except MalformedResponseError as malformed:
                if operation.token:  # a broken token answer still holds the tokens it issued
                    malformed.redact(issued_tokens(response.data))
                raise
            return ApiResponse(status, response.headers, data, response.data, declared.headers)
        error_model = None
        if declared is not None and declared.schema is not None and response.data:
            try:
                error_model = read_body(declared.schema, response, declared.media, tolerate)
            except MalformedResponseError:
                error_model = None
        error = exception_class_for(status)(
            status, response.reason, response.headers, _text(response.data), error_model
        )
        if declared is not None:
            error.header_values = header_values(declared.headers, response.headers)
        raise error


def read_body(
    schema: Optional[Schema],
    response: RESTResponse,
    media: Optional[str] = None,
    tolerate: Optional[Callable[[Tolerated], None]] = None,
) -> Any:
    """An answer's body as the spec says, or MalformedResponseError naming what is wrong.

    A body that breaks the spec only in facets (``Tolerated``) is given to ``tolerate``
    and returned all the same; without ``tolerate`` (strict) it is malformed too.

    The declared media type decides: JSON (``media`` None) is parsed and checked against
    the schema; ``text/*`` gives a str checked against it; a wildcard (``*/*``) goes by the
    answer's Content-Type: JSON parsed, text a str, anything else bytes when the spec
    declares no schema (``ANY``); any other media type gives bytes, as ``Binary`` does.
    A string schema under JSON media still reads an answer labelled text/* as text.
    """
    if schema is None:
        return None
    data = response.data
    if isinstance(schema, Binary):
        return data
    if media is not None:
        kind = _media_read_as(media, schema, response)
        if kind == "text":
            return _read_text(schema, response, tolerate)
        if kind != "json":
            return data
    content_type = (
        response.headers.get("Content-Type", "") if not data or isinstance(schema, Str) else ""
    )
    if not data:
        if schema is ANY:  # no schema: an empty answer is no value
            return None
        raise MalformedResponseError(
            response.status,
            f"an empty answer where the spec promises a body (Content-Type: {content_type or None})",
            response.headers,
            "",
        )
    if isinstance(schema, Str) and media_kind(content_type) == "text":
        return _read_text(schema, response, tolerate)
    try:
        parsed = _JSON.decode(data.decode(json.detect_encoding(data), "surrogatepass"))
    except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
        content_type = response.headers.get("Content-Type", "")
        problem = "an answer that is not JSON"
        raise _malformed(response, f"{problem} (Content-Type: {content_type or None})") from None
    return _decoded(schema, parsed, response, tolerate)


def _media_read_as(media: str, schema: Schema, response: RESTResponse) -> str:
    """How an answer of the declared ``media`` type is read: ``json``, ``text`` or ``bytes``."""
    kind = media_kind(media)
    if kind == "any":  # a wildcard: the answer's Content-Type decides
        kind = media_kind(response.headers.get("Content-Type", ""))
        if kind not in ("json", "text"):
            kind = "bytes" if schema is ANY else "text"  # a string schema: text
    return kind


def _decoded(
    schema: Schema,
    parsed: Any,
    response: RESTResponse,
    tolerate: Optional[Callable[[Tolerated], None]],
    what: str = "the answer breaks the spec",
) -> Any:
    """Parsed JSON (or text) as the schema's value; what breaks only facets goes to
    ``tolerate``; ``what`` leads the message of a malformed answer."""
    try:
        return schema.decode(parsed)
    except Tolerated as tolerated:
        if tolerate is None:
            raise _malformed(response, f"{what}: {tolerated}") from None
        tolerate(tolerated)
        return tolerated.value
    except Invalid as error:
        raise _malformed(response, f"{what}: {error}") from None
    except RecursionError:
        raise _malformed(response, "an answer nested too deeply") from None


def _read_text(
    schema: Schema, response: RESTResponse, tolerate: Optional[Callable[[Tolerated], None]]
) -> Any:
    """A text body in the charset of its Content-Type (UTF-8 by default), checked."""
    charset = _charset(response.headers.get("Content-Type", ""))
    try:
        text = response.data.decode(charset)
    except (UnicodeDecodeError, LookupError):
        raise _malformed(response, "an answer that is not text in its charset") from None
    return _decoded(schema, text, response, tolerate, "the answer")


def _check_token(data: Any, response: RESTResponse) -> None:
    """A token answer without a usable access_token raises MalformedResponseError."""
    if isinstance(data, dict):
        access_token = data.get("access_token")
    else:
        access_token = getattr(data, "access_token", None)
    if not isinstance(access_token, str) or not access_token:
        raise _malformed(response, "the token answer has no access_token, which OAuth 2.0 requires")


def _malformed(response: RESTResponse, problem: str) -> MalformedResponseError:
    return MalformedResponseError(response.status, problem, response.headers, _text(response.data))


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


#: JSON as RFC 8259 has it: NaN and Infinity are refused.
_JSON = json.JSONDecoder(parse_constant=_reject_constant)


def _charset(content_type: str) -> str:
    for part in content_type.split(";")[1:]:
        key, _, value = part.partition("=")
        if key.strip().lower() == "charset" and value.strip():
            return value.strip().strip('"')
    return "utf-8"


def _text(data: bytes) -> str:
    return data.decode("utf-8", errors="replace")


def _bearer(token: str) -> str:
    return header_value(f"Bearer {token}", "the token from token_manager")


def blocking_token(step: NeedToken) -> str:
    """A ``NeedToken`` step done with blocking calls (an ``aio`` TokenManager: the blocking
    TokenManager it wraps)."""
    manager: Any = getattr(step.manager, "blocking", step.manager)
    if step.stale is not None:
        manager.invalidate(step.stale)
    token: str = manager.get_token()
    return token
