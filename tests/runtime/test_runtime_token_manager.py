"""_token_manager: a TokenManager bound to a small token Operation built here, with an
injected clock and an ApiClient over a fake transport (token_operation.py)."""

from __future__ import annotations

import base64
import json
import threading
import time
from typing import Any

import pytest
from doubles import FakeTransport, Sent, answer
from runtime_under_test._api_client import ApiClient, Operation, Response
from runtime_under_test._configuration import Configuration, SecurityScheme
from runtime_under_test._model import Prop
from runtime_under_test._schema import ANY, MapOf, ModelSchema, Str
from runtime_under_test._token_manager import TokenManager
from runtime_under_test.exceptions import (
    ApiValueError,
    BadRequestException,
    MalformedResponseError,
    ServiceException,
    UnauthorizedException,
)
from token_operation import (
    CLIENT_ID,
    CLIENT_SECRET,
    JSON,
    BasicManager,
    KeywordModel,
    Manager,
    RefreshOnly,
    Token,
    api,
    form,
    form_model_operation,
    manager,
    oauth_error,
    token,
)

# --- requests -----------------------------------------------------------------------------


def test_client_credentials_with_the_client_in_the_form() -> None:
    tokens, transport, _ = manager(token())
    assert tokens.get_token() == "at-1"
    (sent,) = transport.sent
    assert (sent.method, sent.url) == ("POST", "https://auth.example.com/oauth/token")
    assert sent.body == (
        b"grant_type=client_credentials&client_id=client-id&client_secret=client-secret-0123456789"
    )
    assert "Authorization" not in sent.headers
    assert sent.headers["Content-Type"] == "application/x-www-form-urlencoded"


def test_client_secret_basic() -> None:
    tokens, transport, _ = manager(token(), cls=BasicManager)
    tokens.get_token()
    (sent,) = transport.sent
    expected = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
    assert sent.headers["Authorization"] == f"Basic {expected}"
    assert sent.body == b"grant_type=client_credentials"


def test_client_secret_basic_form_encodes_the_credentials_first() -> None:
    """RFC 6749 2.3.1: id and secret are form-urlencoded, then joined by a colon."""
    client, transport = api(token())
    BasicManager("id:1 \u00e9", "se:cr+et/", api_client=client).get_token()
    value = transport.sent[0].headers["Authorization"].removeprefix("Basic ")
    assert base64.b64decode(value) == b"id%3A1+%C3%A9:se%3Acr%2Bet%2F"


def test_the_api_clients_settings_are_used_and_its_default_credentials_are_not() -> None:
    client, transport = api(token(), access_token="other-token", api_key={"k": "v"})
    Manager(CLIENT_ID, CLIENT_SECRET, api_client=client).get_token()
    assert "Authorization" not in transport.sent[0].headers


class SpySource:
    """A token source that records every use (a manager's own requests must make none)."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    def get_token(self) -> str:
        self.calls.append("get_token")
        return "spy-token"

    def invalidate(self, token: Any = None) -> None:
        self.calls.append("invalidate")


def test_the_managers_requests_use_no_token_manager_and_no_default_authorization() -> None:
    spy = SpySource()
    client, transport = api(token(), token_manager=spy)
    client.set_default_header("authorization", "API-Key default-789")
    Manager(CLIENT_ID, CLIENT_SECRET, api_client=client).get_token()
    assert "Authorization" not in transport.sent[0].headers
    assert {k.lower() for k in transport.sent[0].headers}.isdisjoint({"authorization"})
    assert spy.calls == []


def test_a_429_with_retry_after_is_waited_for_and_the_request_sent_again() -> None:
    waits: list[float] = []
    transport = FakeTransport(answer(429, headers={"Retry-After": "2"}), token())
    client = ApiClient(
        Configuration(host="https://auth.example.com"), transport=transport, sleep=waits.append
    )
    assert Manager(CLIENT_ID, CLIENT_SECRET, api_client=client).get_token() == "at-1"
    assert waits == [2.0]
    assert form(transport.sent[0]) == form(transport.sent[1])


# --- caching and expiry -------------------------------------------------------------------


def test_the_token_is_kept_until_leeway_before_expiry() -> None:
    tokens, transport, clock = manager(token("at-1", 3600), token("at-2", 3600))
    assert tokens.get_token() == "at-1"
    clock.advance(3600 - 60 - 1)
    assert tokens.get_token() == "at-1"
    assert len(transport.sent) == 1
    clock.advance(1)
    assert tokens.get_token() == "at-2"
    assert len(transport.sent) == 2
    assert tokens.token is not None and tokens.token.access_token == "at-2"


@pytest.mark.parametrize("leeway", [0.0, 300.0])
def test_a_given_leeway_moves_the_renewal(leeway: float) -> None:
    tokens, transport, clock = manager(token("at-1", 3600), token("at-2", 3600), leeway=leeway)
    tokens.get_token()
    clock.advance(3600 - leeway - 1)
    assert [tokens.get_token() for _ in range(100)] == ["at-1"] * 100
    clock.advance(1)
    assert tokens.get_token() == "at-2"
    assert len(transport.sent) == 2


def test_a_short_token_is_renewed_halfway() -> None:
    tokens, _, clock = manager(token("at-1", 60), token("at-2", 60), leeway=60.0)
    tokens.get_token()
    clock.advance(29)
    assert tokens.get_token() == "at-1"
    clock.advance(1)
    assert tokens.get_token() == "at-2"


def test_a_token_without_expires_in_is_kept_until_invalidated() -> None:
    tokens, transport, clock = manager(token("at-1", None), token("at-2", None))
    tokens.get_token()
    clock.advance(10**9)
    assert tokens.get_token() == "at-1"
    tokens.invalidate("someone-elses")  # not the current token: kept
    assert tokens.get_token() == "at-1"
    tokens.invalidate("at-1")
    assert tokens.get_token() == "at-2"
    tokens.invalidate()
    assert tokens.token is None
    assert len(transport.sent) == 2


def test_invalidate_forgets_the_access_token_and_keeps_the_refresh_token() -> None:
    tokens, transport, _ = manager(token("at-1"), token("at-2"), refresh_token="rt-1")
    tokens.get_token()
    tokens.invalidate()
    assert tokens.token is None
    assert tokens.get_token() == "at-2"
    assert form(transport.sent[1]) == form(transport.sent[0])
    assert form(transport.sent[1])["refresh_token"] == "rt-1"


def test_a_failure_is_not_cached() -> None:
    tokens, _, _ = manager(oauth_error("invalid_client", 401), token())
    with pytest.raises(UnauthorizedException) as caught:
        tokens.get_token()
    assert caught.value.error == "invalid_client"
    assert tokens.get_token() == "at-1"


def from_threads(count: int, *answers: Any) -> tuple[list[Any], FakeTransport, Manager]:
    """get_token from ``count`` threads, all asking while the first one's request is held.

    Each thread's outcome is its token or the exception it raised.
    """
    entered, release = threading.Event(), threading.Event()

    class Slow(FakeTransport):
        def request(self, *args: Any, **kwargs: Any) -> Any:
            entered.set()
            release.wait(30)
            return super().request(*args, **kwargs)

    transport = Slow(*answers)
    client = ApiClient(Configuration(host="https://auth.example.com"), transport=transport)
    tokens = Manager(CLIENT_ID, CLIENT_SECRET, api_client=client)
    outcomes: list[Any] = []

    def call() -> None:
        try:
            outcomes.append(tokens.get_token())
        except Exception as error:  # noqa: BLE001 - the test inspects it
            outcomes.append(error)

    threads = [threading.Thread(target=call) for _ in range(count)]
    threads[0].start()
    assert entered.wait(30)
    for thread in threads[1:]:
        thread.start()
    time.sleep(0.2)  # the others are waiting for the first one's request
    release.set()
    for thread in threads:
        thread.join(30)
    assert len(outcomes) == count, "a caller never returned"
    return outcomes, transport, tokens


def test_threads_share_one_request() -> None:
    outcomes, transport, _ = from_threads(8, token())
    assert outcomes == ["at-1"] * 8
    assert len(transport.sent) == 1


def test_a_failed_fetch_reaches_every_waiting_thread_as_the_same_exception() -> None:
    outcomes, transport, tokens = from_threads(8, oauth_error("invalid_request"), token("at-2"))
    assert isinstance(outcomes[0], BadRequestException)
    assert outcomes[0].error == "invalid_request"
    assert all(outcome is outcomes[0] for outcome in outcomes)
    assert len(transport.sent) == 1
    assert tokens.token is None
    assert tokens.get_token() == "at-2"  # the failure is not kept


# --- refresh tokens -----------------------------------------------------------------------


def test_a_refresh_token_is_used_and_a_rotated_one_kept_and_reported() -> None:
    seen: list[Token] = []
    tokens, transport, clock = manager(
        token("at-1", 100, refresh_token="rt-2"),
        token("at-2", 100),
        refresh_token="rt-1",
        on_token=seen.append,
    )
    tokens.get_token()
    assert form(transport.sent[0]) == {
        "grant_type": "refresh_token",
        "refresh_token": "rt-1",
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
    }
    assert tokens.refresh_token == "rt-2"
    assert seen[0] is tokens.token
    clock.advance(100)
    tokens.get_token()
    assert form(transport.sent[1])["refresh_token"] == "rt-2"
    assert tokens.refresh_token == "rt-2"  # the second answer rotated nothing
    assert [t.access_token for t in seen] == ["at-1", "at-2"]


def test_a_rejected_refresh_token_falls_back_to_client_credentials() -> None:
    tokens, transport, _ = manager(oauth_error("invalid_grant"), token(), refresh_token="rt-old")
    assert tokens.get_token() == "at-1"
    assert [form(s)["grant_type"] for s in transport.sent] == [
        "refresh_token",
        "client_credentials",
    ]
    assert tokens.refresh_token is None


def test_a_rejected_refresh_token_without_client_credentials_asks_for_authorization() -> None:
    tokens, transport, _ = manager(
        oauth_error("invalid_grant"), cls=RefreshOnly, refresh_token="rt-old"
    )
    with pytest.raises(BadRequestException) as caught:
        tokens.get_token()
    assert "a new authorization is needed" in str(caught.value.reason)
    assert "rt-old" not in str(caught.value)
    assert tokens.refresh_token is None
    with pytest.raises(ApiValueError, match="TokenManager has no refresh token"):
        tokens.get_token()  # nothing left to ask with: nothing is sent
    assert len(transport.sent) == 1


def test_without_client_credentials_a_refresh_token_or_a_code_is_needed() -> None:
    tokens, transport, _ = manager(cls=RefreshOnly)
    with pytest.raises(ApiValueError, match="no refresh token"):
        tokens.get_token()
    assert transport.sent == []


def test_other_errors_keep_the_refresh_token() -> None:
    tokens, _, _ = manager(oauth_error("invalid_client", 401), refresh_token="rt-1")
    with pytest.raises(UnauthorizedException):
        tokens.get_token()
    assert tokens.refresh_token == "rt-1"


def test_a_refresh_request_is_not_retried_after_a_503() -> None:
    tokens, transport, _ = manager(answer(503), token(), refresh_token="rt-1")
    with pytest.raises(ServiceException):
        tokens.get_token()
    assert len(transport.sent) == 1


def test_a_refresh_token_needs_the_grant() -> None:
    class CredentialsOnly(Manager):
        grants = frozenset({"client_credentials"})

    with pytest.raises(
        TypeError, match="refresh_token: this token endpoint has no refresh_token grant"
    ):
        CredentialsOnly(CLIENT_ID, CLIENT_SECRET, refresh_token="rt", api_client=api()[0])


def test_exchange_code() -> None:
    seen: list[Token] = []
    tokens, transport, clock = manager(
        token("at-1", refresh_token="rt-1"), token("at-2"), cls=RefreshOnly, on_token=seen.append
    )
    assert isinstance(tokens, RefreshOnly)
    first = tokens.exchange_code("code-1234")
    assert seen == [first]
    assert first.access_token == "at-1"
    assert form(transport.sent[0]) == {
        "grant_type": "authorization_code",
        "code": "code-1234",
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
    }
    assert tokens.get_token() == "at-1"
    assert tokens.refresh_token == "rt-1"
    with pytest.raises(ApiValueError, match=r"^The token endpoint takes no redirect_uri$"):
        tokens.exchange_code("code-1234", redirect_uri="https://app.example/cb")
    assert len(transport.sent) == 1
    clock.advance(3600)
    assert tokens.get_token() == "at-2"
    assert form(transport.sent[1])["refresh_token"] == "rt-1"


# --- broken answers -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ({"token_type": "Bearer", "refresh_token": "rt-secret-0123"}, "required property"),
        ({"access_token": "", "refresh_token": "rt-secret-0123"}, "has no access_token"),
        ({"access_token": "at-secret-0123", "expires_in": 0}, "expires_in is not a positive"),
        ({"access_token": "at-secret-0123", "expires_in": -5}, "expires_in is not a positive"),
        ({"access_token": "at-secret-0123", "expires_in": "soon"}, "expires_in"),
        ({"access_token": "at-secret-0123", "expires_in": [1]}, "expires_in"),
        ({"access_token": "at-secret-0123", "expires_in": True}, "expires_in"),
        ({"access_token": "at-secret-0123", "expires_in": float("nan")}, ""),
    ],
)
def test_a_broken_token_answer_raises_without_its_tokens(
    body: dict[str, Any], problem: str
) -> None:
    tokens, _, _ = manager(answer(200, json.dumps(body), JSON), token("at-2"))
    with pytest.raises(MalformedResponseError) as caught:
        tokens.get_token()
    error = caught.value
    assert problem in str(error.reason)
    for secret in ("at-secret-0123", "rt-secret-0123"):
        assert secret not in str(error) and secret not in (error.body or "")
    assert tokens.token is None
    assert tokens.get_token() == "at-2"  # nothing was cached: the next call asks again


@pytest.mark.parametrize("expires_in", [0, -5, "900", None])
def test_a_refused_answer_that_rotates_the_refresh_token_keeps_the_new_one(expires_in: Any) -> None:
    # The server may have spent rt-1 when it answered: sending it again would fail.
    seen: list[Token] = []
    body = {"access_token": "at-secret-0123", "refresh_token": "rt-2-secret"}
    if expires_in is not None:
        body["expires_in"] = expires_in
    else:
        body["access_token"] = ""  # refused by ApiClient: no access_token
    tokens, transport, _ = manager(
        answer(200, json.dumps(body), JSON),
        token("at-2"),
        refresh_token="rt-1",
        on_token=seen.append,
    )
    with pytest.raises(MalformedResponseError) as caught:
        tokens.get_token()
    for secret in ("rt-2-secret", "at-secret-0123"):
        assert secret not in str(caught.value) and secret not in (caught.value.body or "")
    assert tokens.refresh_token == "rt-2-secret"
    assert tokens.token is None
    if isinstance(expires_in, int):  # the manager read the answer: on_token hears of it
        assert [t.refresh_token for t in seen] == ["rt-2-secret"]
    else:  # an answer that is not a token: nothing to hand over, the manager keeps it
        assert seen == []
    assert tokens.get_token() == "at-2"
    assert form(transport.sent[1])["refresh_token"] == "rt-2-secret"


def test_a_refused_answer_without_a_new_refresh_token_keeps_the_old_one() -> None:
    seen: list[Token] = []
    tokens, _, _ = manager(token("at-1", 0), refresh_token="rt-1", on_token=seen.append)
    with pytest.raises(MalformedResponseError, match="expires_in"):
        tokens.get_token()
    assert tokens.refresh_token == "rt-1"
    assert seen == []


def test_on_token_raising_raises_from_the_call_and_keeps_the_token() -> None:
    calls: list[Token] = []

    def refuse(token: Token) -> None:
        calls.append(token)
        raise RuntimeError("store is down")

    tokens, transport, _ = manager(token(), on_token=refuse)
    with pytest.raises(RuntimeError, match="store is down"):
        tokens.get_token()
    assert tokens.token is not None and tokens.token.access_token == "at-1"
    assert tokens.get_token() == "at-1"
    assert len(transport.sent) == 1
    assert len(calls) == 1  # told once: the kept token is not new


# --- with an ApiClient that sends its calls with the managed token -------------------------


class OAuthConfig(Configuration):
    security_schemes = (SecurityScheme("oauth", "bearer"),)


ME: Operation[Any] = Operation(
    "me", "GET", "/me", responses={"200": Response(MapOf(ANY))}, security=("oauth",)
)


def test_calls_carry_the_managed_token_and_a_401_renews_it() -> None:
    tokens, token_transport, _ = manager(token("at-1"), token("at-2"))
    transport = FakeTransport(answer(401), answer(200, "{}", JSON), answer(200, "{}", JSON))
    client = ApiClient(
        OAuthConfig(host="https://api.example.com", token_manager=tokens), transport=transport
    )
    client.call_api(ME, {})
    client.call_api(ME, {})
    assert [s.headers["Authorization"] for s in transport.sent] == [
        "Bearer at-1",
        "Bearer at-2",
        "Bearer at-2",
    ]
    assert len(token_transport.sent) == 2


def test_a_second_401_raises_unauthorized() -> None:
    tokens, token_transport, _ = manager(token("at-1"), token("at-2"))
    transport = FakeTransport(answer(401), oauth_error("invalid_token", 401))
    client = ApiClient(
        OAuthConfig(host="https://api.example.com", token_manager=tokens), transport=transport
    )
    with pytest.raises(UnauthorizedException) as caught:
        client.call_api(ME, {})
    assert caught.value.status == 401
    assert caught.value.error == "invalid_token"
    assert [s.headers["Authorization"] for s in transport.sent] == ["Bearer at-1", "Bearer at-2"]
    assert len(token_transport.sent) == 2


def test_a_token_failure_stops_the_call_before_it_is_sent() -> None:
    tokens, token_transport, _ = manager(oauth_error("invalid_client", 401))
    transport = FakeTransport()
    client = ApiClient(
        OAuthConfig(host="https://api.example.com", token_manager=tokens), transport=transport
    )
    with pytest.raises(UnauthorizedException) as caught:
        client.call_api(ME, {})
    assert caught.value.error == "invalid_client"
    assert len(token_transport.sent) == 1
    assert transport.sent == []


def test_many_401s_with_the_same_token_cause_one_renewal() -> None:
    calls = 8
    tokens, token_transport, _ = manager(token("at-1"), token("at-2"))
    tokens.get_token()
    all_arrived = threading.Event()

    class Gathering(FakeTransport):
        """Answers 401 to the first ``calls`` requests once all of them are in, then 200."""

        def request(self, method: str, url: str, headers: Any, *rest: Any) -> Any:
            with lock:
                self.sent.append(Sent(method, url, dict(headers), *rest))
                first_round = len(self.sent) <= calls
                if len(self.sent) == calls:
                    all_arrived.set()
            if first_round:
                assert all_arrived.wait(30)
                return answer(401)
            return answer(200, "{}", JSON)

    lock = threading.Lock()
    transport = Gathering()
    client = ApiClient(
        OAuthConfig(host="https://api.example.com", token_manager=tokens), transport=transport
    )
    errors: list[BaseException] = []

    def call() -> None:
        try:
            client.call_api(ME, {})
        except BaseException as error:  # noqa: BLE001 - the test reports it
            errors.append(error)

    threads = [threading.Thread(target=call) for _ in range(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == []
    assert len(token_transport.sent) == 2  # the first token, and one renewal for all eight 401s
    assert {s.headers["Authorization"] for s in transport.sent[calls:]} == {"Bearer at-2"}


# --- token operations with a form body model, and closing ----------------------------------------------


class TokenForm(KeywordModel):
    _props = (
        Prop("grant_type", "grant_type", Str(), required=True),
        Prop("client_id", "client_id", Str(), required=True),
        Prop("client_secret", "client_secret", Str(), required=True, secret=True),
    )


class FormModelManager(TokenManager[Token]):
    operation = form_model_operation("create", "/token", "request", TokenForm, ModelSchema(Token))
    grants = frozenset({"client_credentials"})


def test_a_token_operation_with_a_form_body_model() -> None:
    tokens, transport, _ = manager(token(), cls=FormModelManager)
    assert tokens.get_token() == "at-1"
    assert form(transport.sent[0]) == {
        "grant_type": "client_credentials",
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
    }


def test_close_closes_only_a_client_the_manager_built() -> None:
    made: list[FakeTransport] = []

    class OwnClient(ApiClient):
        def __init__(self) -> None:
            made.append(FakeTransport())
            super().__init__(Configuration(), transport=made[-1])

    class Owning(Manager):
        api_client_class = OwnClient

    with Owning(CLIENT_ID, CLIENT_SECRET):
        pass
    assert made[0].closed
    client, transport = api()
    with Manager(CLIENT_ID, CLIENT_SECRET, api_client=client):
        pass
    assert not transport.closed


def test_a_manager_needs_a_token_operation() -> None:
    """ApiClient checks a token operation's answer (access_token); the manager relies on it."""

    class Misbound(TokenManager[Token]):
        operation = ME
        grants = frozenset({"client_credentials"})

    with pytest.raises(TypeError, match="token operation"):
        Misbound(
            "id",
            "secret",
            api_client=ApiClient(Configuration(host="http://x"), transport=FakeTransport()),
        )
