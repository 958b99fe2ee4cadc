"""TokenManager: obtains, caches and renews the access token of a token operation.

One token request at a time, however many threads ask; the token is reused
until ``expires_in`` minus a leeway (at most half the lifetime, so short tokens
are renewed halfway); a rotated refresh token is kept and handed to
``on_token`` so it can be stored. Each package's API module binds it to the
spec's token operation (``x-token-manager``).
"""

from __future__ import annotations

import json
import logging
import math
import threading
import time
from collections.abc import Mapping
from typing import Any, Callable, ClassVar, Generic, Optional, TypeVar
from urllib.parse import quote_plus

from ._api_client import ApiClient, Operation, basic_authorization, issued_tokens
from ._model import Model
from ._schema import ModelSchema, resolve
from .api_response import ApiResponse
from .exceptions import ApiException, ApiValueError, MalformedResponseError

logger = logging.getLogger(__package__)

T = TypeVar("T", bound=Model)
_Manager = TypeVar("_Manager", bound="TokenManager[Any]")


class _Flight:
    """One token request in progress, shared by every thread waiting for it."""

    def __init__(self) -> None:
        self.done = threading.Event()
        self.token: Any = None
        self.error: Optional[BaseException] = None


class TokenManager(Generic[T]):
    """Keeps a valid access token.

    Without a refresh token it uses the client_credentials grant (where the
    provider offers it); with one (given, from ``exchange_code`` or rotated by
    the server) the refresh_token grant. A refresh token the server rejects
    with ``invalid_grant`` is dropped: the manager falls back to
    client_credentials where offered, else raises, saying a new authorization
    is needed.

    :param client_id: the OAuth client id.
    :param client_secret: the OAuth client secret.
    :param refresh_token: a stored refresh token to start from.
    :param api_client: the client that sends token requests (default: a new one,
        closed by ``close()`` or leaving a ``with`` block).
    :param leeway: seconds before ``expires_in`` runs out that a token counts as expired.
    :param on_token: called with every new token response, e.g. to store a rotated
        refresh token (also with an answer refused for a bad ``expires_in`` that
        rotates one: the manager keeps it, as it keeps one from an answer it cannot
        read at all, see ``refresh_token``); if it raises, the call that fetched the
        token raises it.
    :param clock: the monotonic clock, in seconds (tests pass a fake one).
    """

    #: The spec's token operation.
    operation: ClassVar[Operation[Any]]
    #: The grants it supports, from ``x-token-manager``.
    grants: ClassVar[frozenset[str]] = frozenset()
    #: How the client authenticates: ``form`` (client_id and client_secret as form
    #: fields) or ``basic`` (HTTP Basic, client_secret_basic).
    client_auth: ClassVar[str] = "form"
    #: The ApiClient class of the package.
    api_client_class: ClassVar[type[ApiClient]] = ApiClient

    def __init__(
        self,
        client_id: str,
        client_secret: str,
        *,
        refresh_token: Optional[str] = None,
        api_client: Optional[ApiClient] = None,
        leeway: float = 60.0,
        on_token: Optional[Callable[[T], object]] = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not self.operation.token:
            raise TypeError(
                f"{type(self).__name__}.operation must be a token operation (token=True)"
            )
        if refresh_token is not None and "refresh_token" not in self.grants:
            raise TypeError("refresh_token: this token endpoint has no refresh_token grant")
        self._client_id = client_id
        self._client_secret = client_secret
        self._refresh_token = refresh_token
        self._own_client = api_client is None
        self.api_client = api_client if api_client is not None else self.api_client_class()
        self.leeway = leeway
        self.on_token = on_token
        self._clock = clock
        self._lock = threading.Lock()
        self._flight: Optional[_Flight] = None
        # (token response, monotonic expiry or None), replaced whole under the lock.
        self._state: tuple[Optional[T], Optional[float]] = (None, None)

    def __enter__(self: _Manager) -> _Manager:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the ApiClient this manager built (one passed in is left open)."""
        if self._own_client:
            self.api_client.close()

    @property
    def token(self) -> Optional[T]:
        """The last token response, or None before the first one."""
        return self._state[0]

    @property
    def refresh_token(self) -> Optional[str]:
        """The refresh token the next renewal sends, if any."""
        return self._refresh_token

    def get_token(self) -> str:
        """A valid access token: the cached one, or a new one fetched once for all threads."""
        token = self._fresh_token()
        if token is None:
            token = self._shared_fetch()
        access_token: str = token.access_token  # type: ignore[attr-defined]  # checked by ApiClient
        return access_token

    def invalidate(self, token: Optional[str] = None) -> None:
        """Forget the access token (not the refresh token): the next get_token fetches.

        With ``token``, forget it only if it is still the current one, so that
        many requests refused with the same token cause a single refresh.
        """
        with self._lock:
            current = self._state[0]
            if token is None or (
                current is not None and getattr(current, "access_token", None) == token
            ):
                self._state = (None, None)

    def _fresh_token(self) -> Optional[T]:
        token, expires_at = self._state
        if token is None:
            return None
        if expires_at is not None and self._clock() >= expires_at:
            return None
        return token

    def _next_grant(self) -> dict[str, Optional[str]]:
        """The form fields of the next token request, by OAuth 2.0 name."""
        if self._refresh_token is not None and "refresh_token" in self.grants:
            return {"grant_type": "refresh_token", "refresh_token": self._refresh_token}
        if "client_credentials" in self.grants:
            return {"grant_type": "client_credentials"}
        raise ApiValueError(
            "TokenManager has no refresh token: pass refresh_token= or call exchange_code(code) first"
        )

    def _shared_fetch(self) -> T:
        """Fetch a token, or wait for the fetch another thread has under way."""
        with self._lock:
            token = self._fresh_token()
            if token is not None:
                return token
            flight = self._flight
            leader = flight is None
            if flight is None:
                flight = self._flight = _Flight()
        if leader:
            try:
                flight.token = self._renew()
            except BaseException as error:  # noqa: BLE001 - re-raised in every waiting thread
                flight.error = error
            finally:
                with self._lock:
                    self._flight = None
                flight.done.set()
        else:
            flight.done.wait()
        if flight.error is not None:
            raise flight.error
        renewed: T = flight.token
        return renewed

    def _renew(self) -> T:
        """One renewal; a refresh token rejected with invalid_grant is dropped."""
        grant = self._next_grant()
        try:
            return self._fetch(grant)
        except ApiException as error:
            if grant["grant_type"] != "refresh_token" or error.error != "invalid_grant":
                raise
            with self._lock:
                if self._refresh_token == grant["refresh_token"]:
                    self._refresh_token = None
            if "client_credentials" in self.grants:
                logger.info(
                    "the refresh token was rejected (invalid_grant); using client_credentials"
                )
                return self._fetch({"grant_type": "client_credentials"})
            error.reason = (
                f"{error.reason}: the refresh token was rejected (invalid_grant) and dropped;"
                " a new authorization is needed (exchange_code, or refresh_token=)"
            )
            raise

    def _fetch(self, grant: Mapping[str, Optional[str]]) -> T:
        fields: dict[str, Optional[str]] = dict(grant)
        # Only the client credentials authenticate the client (RFC 6749 2.3.1): never also
        # the API key or token the configuration holds for the rest of the API.
        credentials: dict[str, str] = {}
        if self.client_auth == "basic":
            # RFC 6749 2.3.1: the id and secret are form-urlencoded before Basic encoding.
            user, password = quote_plus(self._client_id), quote_plus(self._client_secret)
            credentials = {"Authorization": basic_authorization(user, password)}
        else:
            fields.update(client_id=self._client_id, client_secret=self._client_secret)
        # A token operation's answer is checked by ApiClient: it has an access_token, and
        # a broken one raises MalformedResponseError with the issued tokens redacted.
        try:
            response: ApiResponse[T] = self.api_client.call_api(
                self.operation,
                self._arguments(fields),
                use_token_manager=False,
                credentials=credentials,
            )
        except MalformedResponseError as error:
            # A refused answer may still rotate the refresh token (and spend the old one).
            if 200 <= error.status < 300:
                self._keep_rotated(_rotated_in(error.unredacted_body))
            raise
        token = response.data
        rotated = getattr(token, "refresh_token", None)
        if not isinstance(rotated, str) or not rotated:
            rotated = None
        try:
            expires_at = self._expiry(response, token)
        except MalformedResponseError:
            # Refused, but the server may have rotated the refresh token and spent the old
            # one: keep the new one, and hand the answer to on_token to store it.
            if rotated is not None:
                self._keep_rotated(rotated)
                if self.on_token is not None:
                    self.on_token(token)
            raise
        with self._lock:
            self._state = (token, expires_at)
            if rotated is not None:
                self._refresh_token = rotated
        logger.debug("token fetched with grant %s", grant["grant_type"])
        if self.on_token is not None:
            self.on_token(token)
        return token

    def _keep_rotated(self, rotated: Optional[str]) -> None:
        """Keep a refresh token the server rotated in an answer that is refused."""
        if rotated is not None:
            with self._lock:
                self._refresh_token = rotated
            logger.info("the token answer was refused; the refresh token it rotated is kept")

    def _expiry(self, response: ApiResponse[T], token: T) -> Optional[float]:
        """When to renew: ``leeway`` before expiry, but never sooner than half the lifetime."""
        expires_in = getattr(token, "expires_in", None)
        if expires_in is None:
            return None
        if (
            isinstance(expires_in, bool)
            or not isinstance(expires_in, (int, float))
            or not math.isfinite(expires_in)
            or expires_in <= 0
        ):
            raise _malformed(
                response, "the token answer's expires_in is not a positive number of seconds"
            )
        lifetime = float(expires_in)
        return self._clock() + lifetime - min(self.leeway, lifetime / 2)

    def _arguments(self, fields: Mapping[str, Optional[str]]) -> dict[str, Any]:
        """The token operation's arguments for OAuth 2.0 form fields given by wire name."""
        arguments: dict[str, Any] = {}
        accepted: set[str] = set()
        for param in self.operation.params:
            if param.location == "form":
                arguments[param.name] = fields.get(param.wire)
                accepted.add(param.wire)
            elif param.location == "body" and isinstance(resolve(param.schema), ModelSchema):
                # A body model sent as a form: its properties are the form fields.
                schema = resolve(param.schema)
                assert isinstance(schema, ModelSchema)
                props = schema.model._props
                values = {prop.attr: fields.get(prop.wire) for prop in props}
                arguments[param.name] = schema.model(**values)
                accepted.update(prop.wire for prop in props)
        unsent = sorted(k for k, v in fields.items() if v is not None and k not in accepted)
        if unsent:
            raise ApiValueError(f"The token endpoint takes no {', '.join(unsent)}")
        return arguments


def _malformed(response: ApiResponse[Any], problem: str) -> MalformedResponseError:
    """A MalformedResponseError for a token answer, the tokens it issued redacted from the body."""
    error = MalformedResponseError(
        response.status_code,
        problem,
        response.headers,
        response.raw_data.decode("utf-8", errors="replace"),
    )
    error.redact(issued_tokens(response.raw_data))
    return error


def _rotated_in(body: Optional[str]) -> Optional[str]:
    """The non-empty refresh_token of a JSON token answer, whatever else is wrong with it."""
    try:
        parsed = json.loads(body or "")
    except (ValueError, RecursionError):
        return None
    rotated = parsed.get("refresh_token") if isinstance(parsed, dict) else None
    return rotated if isinstance(rotated, str) and rotated else None


class CodeExchange(TokenManager[T]):
    """A TokenManager whose endpoint has the authorization_code grant."""

    def exchange_code(self, code: str, redirect_uri: Optional[str] = None) -> T:
        """Exchange an authorization code for the first token and refresh token."""
        return self._fetch(
            {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri}
        )
