"""TokenManager: obtains, caches and renews the access token of a token operation.

One token request at a time, however many threads ask; the token is reused
until ``expires_in`` minus a leeway (at most half the lifetime, so short tokens
are renewed halfway); a rotated refresh token is kept and handed to
``on_token`` so it can be stored. With a ``store``, managers in many processes
share one token: one of them renews it, under the store's lease (see
``_token_sharing`` and ``_token_store``). Each package's API module binds it to
the spec's token operation (``x-token-manager``).
"""

from __future__ import annotations

import email.utils
import json
import logging
import random
import threading
import time
from collections.abc import Mapping
from typing import Any, Callable, ClassVar, Generic, Optional, TypeVar
from urllib.parse import quote_plus

from ._api_client import ApiClient, Operation, read_body
from ._configuration import is_positive_number
from ._model import Model
from ._schema import ModelSchema, resolve
from ._secrets import issued_tokens
from ._security import basic_authorization
from ._token_sharing import SharedToken
from ._token_store import StoredToken, TokenStore
from .api_response import ApiResponse
from .exceptions import (
    ApiException,
    ApiTypeError,
    ApiValueError,
    MalformedResponseError,
    TokenStoreError,
)
from .rest import RESTResponse

logger = logging.getLogger(__package__)

T = TypeVar("T", bound=Model)

#: How far (seconds) a token answer's ``Date`` may be from this machine's clock to set
#: the stored expiry.
DATE_TRUST = 600.0
#: While the store fails, how often (seconds) a manager holding a valid token asks it again.
STORE_RETRY = 1.0
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
    :param refresh_token: a stored refresh token to start from (one the ``store``
        holds for this authorization wins: another process may have spent this one).
    :param api_client: the client that sends token requests (default: a new one,
        closed by ``close()`` or leaving a ``with`` block).
    :param leeway: seconds before ``expires_in`` runs out that a token counts as expired.
    :param on_token: called with every new token response, e.g. to store a rotated
        refresh token (also with an answer refused for a bad ``expires_in`` that
        rotates one: the manager keeps it, as it keeps one from an answer it cannot
        read at all, see ``refresh_token``); if it raises, the call that fetched the
        token raises it. With a store, only the process that fetched calls it.
    :param clock: the monotonic clock, in seconds (tests pass a fake one).
    :param store: where to share the token with other managers and processes
        (``MemoryTokenStore``, ``FileTokenStore``, ``RedisTokenStore``); None keeps
        it in this manager only.
    :param store_key: names one authorization when a client holds several (a
        merchant id, say); the record's key is a hash of the token URL, the client
        id and this name.
    :param lease: seconds one renewal may hold the store's lease; a process that dies
        while renewing blocks the others for at most this long.
    :param on_store_error: ``"warn"`` (default): when the store fails, log one
        warning and fetch the token in this process; ``"raise"``: raise
        ``TokenStoreError``, sending nothing.
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
    #: The wall clock (Unix time) that stored expiry times are read with.
    wall_clock: Callable[[], float] = staticmethod(time.time)

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
        store: Optional[TokenStore] = None,
        store_key: Optional[str] = None,
        lease: float = 30.0,
        on_store_error: str = "warn",
    ) -> None:
        if not self.operation.token:
            raise TypeError(
                f"{type(self).__name__}.operation must be a token operation (token=True)"
            )
        if refresh_token is not None and "refresh_token" not in self.grants:
            raise TypeError("refresh_token: this token endpoint has no refresh_token grant")
        if store is None and store_key is not None:
            raise ApiTypeError("store_key names a record in a store: pass store= too")
        self._sharing = (
            None if store is None else SharedToken(store, store_key, lease, on_store_error)
        )
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
        # The access token last invalidated: a store still holding it is not trusted.
        self._rejected: Optional[str] = None
        # When the held token really expires (monotonic; None: no expires_in), and the
        # token answer as the server sent it (a JSON object), for the command line.
        self._expires: Optional[float] = None
        self._answer: Optional[dict[str, Any]] = None

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

    @property
    def store(self) -> Optional[TokenStore]:
        """The store this manager shares its token through, or None."""
        return None if self._sharing is None else self._sharing.store

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
        many requests refused with the same token cause a single refresh. With a
        store, its record forgets the token too, only if it still holds it.
        """
        with self._lock:
            current = getattr(self._state[0], "access_token", None)
            if token is None or current == token:
                self._state = (None, None)
            rejected = current if token is None else token
            if rejected is not None:
                self._rejected = rejected
        if self._sharing is not None and rejected is not None:
            try:
                self._unshare(rejected)
            except TokenStoreError as error:
                self._sharing.failed(error)

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
        """One renewal: from the store when another process renewed, else fetched.

        When the store fails, a token that has not really expired yet is kept (the store
        is asked again in a second): fetching alone while the store is out could spend a
        refresh token another process is about to use.
        """
        if self._sharing is None:
            return self._renew_alone()
        try:
            return self._renew_shared(self._sharing)
        except TokenStoreError as error:
            self._sharing.failed(error)
            token = self._still_valid()
            return token if token is not None else self._renew_alone()

    def _still_valid(self) -> Optional[T]:
        """The held token while it has not really expired, asked about again in a second."""
        with self._lock:
            token, expires = self._state[0], self._expires
            now = self._clock()
            if token is None or (expires is not None and now >= expires):
                return None
            retry_at = now + STORE_RETRY
            self._state = (token, retry_at if expires is None else min(expires, retry_at))
            return token

    def _renew_shared(self, sharing: SharedToken) -> T:
        """Take the store's token, or the lease to renew it; wait while another process renews."""
        key = self._store_key(sharing)
        waited_since = time.monotonic()
        deadline = waited_since + sharing.lease + self._request_budget()
        pause = 0.002
        while True:
            token = self._adopt(sharing.read(key))
            if token is not None:
                return token
            with sharing.leased(key) as held:
                if held:
                    # Read again under the lease: the holder before may have just renewed.
                    token = self._adopt(sharing.read(key))
                    return token if token is not None else self._renew_alone()
            if time.monotonic() >= deadline:
                raise TokenStoreError(
                    f"{sharing.store!r}: no token after waiting"
                    f" {time.monotonic() - waited_since:.1f} s for the process renewing it"
                )
            time.sleep(pause)
            pause = min(pause * 2, 0.02)

    def _renew_alone(self) -> T:
        """One renewal; a refresh token rejected with invalid_grant is dropped."""
        grant = self._next_grant()
        try:
            return self._fetch(grant)
        except ApiException as error:
            if grant["grant_type"] != "refresh_token" or error.error != "invalid_grant":
                raise
            spent = grant["refresh_token"]
            token = self._after_spent(spent)
            if token is not None:
                return token
            with self._lock:
                if self._refresh_token == spent:
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

    def _after_spent(self, spent: Optional[str]) -> Optional[T]:
        """After ``invalid_grant``: the store's token when another process rotated the refresh token.

        Otherwise the store forgets ``spent`` (if it still holds it) and None is returned.
        """
        sharing = self._sharing
        if sharing is None:
            return None
        try:
            key = self._store_key(sharing)
            record = sharing.read(key)
            if record is not None and record.refresh_token not in (None, spent):
                token = self._adopt(record)
                return token if token is not None else self._fetch(self._next_grant())
            if record is not None and record.refresh_token == spent:
                sharing.write(key, StoredToken(None, None, None, None))
        except TokenStoreError as error:
            sharing.failed(error)
        return None

    def _adopt(self, record: Optional[StoredToken]) -> Optional[T]:
        """Take the refresh token of a stored record, and its access token while fresh."""
        if record is None:
            return None
        if record.refresh_token is not None:
            with self._lock:
                self._refresh_token = record.refresh_token
        if record.access_token is None or record.access_token == self._rejected:
            return None
        lifetime = (record.response or {}).get("expires_in")
        margin = self._margin(lifetime if is_positive_number(lifetime) else None)
        expires_at = None
        remaining = 0.0
        if record.expires_at is not None:
            remaining = record.expires_at - self.wall_clock()
            if remaining <= margin:
                return None
            expires_at = self._clock() + remaining - margin - self._jitter(margin)
        try:
            token = self._stored_answer(record)
        except TokenStoreError as error:
            assert self._sharing is not None
            self._sharing.failed(error)
            return None  # renewed under the lease, as if there were no record
        with self._lock:
            self._state = (token, expires_at)
            self._expires = None if expires_at is None else self._clock() + remaining
            self._answer = {**(record.response or {}), "access_token": record.access_token}
        return token

    def _stored_answer(self, record: StoredToken) -> T:
        """The token answer of a record, read as the spec says an answer is read."""
        body = dict(record.response or {})
        body["access_token"] = record.access_token
        declared = self.operation.response_for(200)
        assert declared is not None  # response_for answers every 2xx
        answer = RESTResponse(
            200, "OK", {"Content-Type": "application/json"}, json.dumps(body).encode("utf-8")
        )
        try:
            token: T = read_body(declared.schema, answer, declared.media)
        except MalformedResponseError:
            raise TokenStoreError(
                f"{self.store!r}: the stored token answer is not one this token operation gives"
            ) from None
        return token

    def _unshare(self, rejected: str) -> None:
        """Make the store forget ``rejected`` if it still holds it (not its refresh token)."""
        sharing = self._sharing
        assert sharing is not None
        key = self._store_key(sharing)
        record = sharing.read(key)
        if record is None or record.access_token != rejected:
            return
        with sharing.leased(key) as held:
            record = sharing.read(key) if held else None
            if record is not None and record.access_token == rejected:
                sharing.write(key, StoredToken(None, record.refresh_token, None, None))

    def _store_key(self, sharing: SharedToken) -> str:
        token_url = self.api_client.configuration.host.rstrip("/") + self.operation.path
        return sharing.key(token_url, self._client_id)

    def _request_budget(self) -> float:
        """How long one token request may take, with its retries, in seconds."""
        configuration = self.api_client.configuration
        timeout = configuration.timeout
        once = float(sum(timeout)) if isinstance(timeout, tuple) else float(timeout)
        return once * (configuration.retry_policy.retries + 1)

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
            lifetime = self._lifetime(response, token)
        except MalformedResponseError:
            # Refused, but the server may have rotated the refresh token and spent the old
            # one: keep the new one, and hand the answer to on_token to store it.
            if rotated is not None:
                self._keep_rotated(rotated)
                if self.on_token is not None:
                    self.on_token(token)
            raise
        self._remember(response, lifetime, rotated)
        logger.debug("token fetched with grant %s", grant["grant_type"])
        if self.on_token is not None:
            self.on_token(token)
        return token

    def _remember(
        self, response: ApiResponse[T], lifetime: Optional[float], rotated: Optional[str]
    ) -> None:
        """Keep a fetched token, here and in the store (before the lease is given back)."""
        expires_at = None
        if lifetime is not None:
            margin = self._margin(lifetime)
            jitter = self._jitter(margin) if self._sharing is not None else 0.0
            expires_at = self._clock() + lifetime - margin - jitter
        answer = _json_object(response.raw_data)
        with self._lock:
            self._state = (response.data, expires_at)
            self._expires = None if lifetime is None else self._clock() + lifetime
            self._answer = answer
            if rotated is not None:
                self._refresh_token = rotated
            refresh_token = self._refresh_token
        if self._sharing is None:
            return
        access_token = getattr(response.data, "access_token", None)
        # Absolute, and by the server's clock: every host reading the record agrees on it.
        expires_at_unix = None if lifetime is None else _server_time(response.headers) + lifetime
        self._share(StoredToken(access_token, refresh_token, expires_at_unix, answer))

    def _keep_rotated(self, rotated: Optional[str]) -> None:
        """Keep a refresh token the server rotated in an answer that is refused."""
        if rotated is not None:
            with self._lock:
                self._refresh_token = rotated
            logger.info("the token answer was refused; the refresh token it rotated is kept")
            if self._sharing is not None:
                self._share(StoredToken(None, rotated, None, None))

    def _share(self, record: StoredToken) -> None:
        """Write ``record`` to the store; a failure is reported, the token is kept here."""
        sharing = self._sharing
        assert sharing is not None
        try:
            sharing.write(self._store_key(sharing), record)
        except TokenStoreError as error:
            sharing.failed(error)

    def _lifetime(self, response: ApiResponse[T], token: T) -> Optional[float]:
        """The token's ``expires_in``, or MalformedResponseError when it is not usable."""
        expires_in = getattr(token, "expires_in", None)
        if expires_in is None:
            return None
        if not is_positive_number(expires_in):
            raise _malformed(
                response, "the token answer's expires_in is not a positive number of seconds"
            )
        return float(expires_in)

    def _margin(self, lifetime: Optional[float]) -> float:
        """How long before expiry a token is renewed: ``leeway``, at most half the lifetime."""
        return self.leeway if lifetime is None else min(self.leeway, lifetime / 2)

    @staticmethod
    def _jitter(margin: float) -> float:
        """A random part of a tenth of the margin, so a fleet does not renew in the same second."""
        return random.uniform(0.0, margin / 10)

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


def _server_time(headers: Mapping[str, str]) -> float:
    """Now by the server's clock (its ``Date`` header), else by this machine's.

    A ``Date`` more than ``DATE_TRUST`` seconds off this machine's clock is taken for a
    wrong header rather than a skewed clock, and this machine's clock is used.
    """
    now = time.time()
    for name, value in headers.items():
        if name.lower() == "date":
            try:
                server_now = email.utils.parsedate_to_datetime(value).timestamp()
            except (TypeError, ValueError, IndexError, OverflowError):
                break
            return server_now if abs(server_now - now) <= DATE_TRUST else now
    return now


def _json_object(body: bytes) -> Optional[dict[str, Any]]:
    try:
        parsed = json.loads(body)
    except (ValueError, RecursionError):
        return None
    return parsed if isinstance(parsed, dict) else None


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
