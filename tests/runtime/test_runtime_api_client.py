"""_api_client: the request loop with an injected transport and sleep.

``ApiClient(configuration, transport=FakeTransport(...), sleep=waits.append)``: what the
transport receives is the request byte for byte; what it answers is read against the
operation's declared responses. Nothing goes over a network.
"""

from __future__ import annotations

import base64
import json
import logging
import threading
from typing import Any, Optional

import pytest
from doubles import FakeTransport, answer
from runtime_under_test._api_client import ApiClient, Operation, Response, read_body
from runtime_under_test._configuration import Configuration, SecurityScheme
from runtime_under_test._media import media_kind
from runtime_under_test._model import Model, Prop
from runtime_under_test._request import Param
from runtime_under_test._schema import ANY, Binary, MapOf, ModelSchema, Number, Str, header_values
from runtime_under_test._security import basic_authorization
from runtime_under_test.api_response import ApiResponse
from runtime_under_test.exceptions import (
    ApiConnectionError,
    ApiException,
    ApiTypeError,
    ApiValueError,
    BadRequestException,
    MalformedResponseError,
    NotFoundException,
    ServiceException,
    TooManyRequestsException,
    UnauthorizedException,
)
from token_operation import KeywordModel, form_model_operation

HOST = "https://api.example.com/v1/"
JSON = {"Content-Type": "application/json"}


class Config(Configuration):
    security_schemes = (
        SecurityScheme("apiKeyHeader", "api_key", "header", "X-Api-Key"),
        SecurityScheme("apiKeyQuery", "api_key", "query", "api_key"),
        SecurityScheme("apiKeyCookie", "api_key", "cookie", "session"),
        SecurityScheme("bearer", "bearer"),
        SecurityScheme("basic", "basic"),
    )


class Pet(Model):
    _props = (Prop("id", "id", Number(integer=True), required=True), Prop("name", "name", Str()))

    def __init__(self, id: Optional[int] = None, name: Optional[str] = None) -> None:
        self.id = id
        self.name = name
        self.additional_properties = {}


class Problem(Model):
    _props = (Prop("message", "message", Str(), required=True),)


PET = ModelSchema(Pet)
RATE = (("X-Rate-Remaining", Number(integer=True)), ("X-Request-Id", Str(min_length=4)))

GET_PET: Operation[Pet] = Operation(
    "get_pet",
    "GET",
    "/pets/{petId}",
    (
        Param("pet_id", "petId", "path", Number(integer=True), required=True),
        Param("fields", "fields", "query", Str()),
        Param("trace", "X-Trace", "header", Str()),
        Param("theme", "theme", "cookie", Str()),
    ),
    responses={
        "200": Response(PET, RATE),
        "404": Response(ModelSchema(Problem), RATE),
        "4XX": Response(MapOf(ANY)),
    },
    accept="application/json",
    security=("apiKeyHeader", "apiKeyQuery", "apiKeyCookie", "bearer", "basic"),
)

TOKEN: Operation[Any] = Operation(
    "token",
    "POST",
    "/oauth/token",
    (
        Param("grant_type", "grant_type", "form", Str(), required=True),
        Param("code", "code", "form", Str()),
        Param("client_secret", "client_secret", "form", Str()),
        Param("password_hint", "hint", "form", Str(), secret=True),
    ),
    responses={"200": Response(MapOf(ANY))},
    content_type="application/x-www-form-urlencoded",
    accept="application/json",
    single_use={"grant_type": ("authorization_code",)},
)


def client(
    *answers: Any, sleep: Optional[list[float]] = None, **settings: Any
) -> tuple[ApiClient, FakeTransport]:
    transport = FakeTransport(*answers)
    waits = sleep if sleep is not None else []
    configuration = Config(host=HOST, **settings)
    return ApiClient(configuration, transport=transport, sleep=waits.append), transport


def pet_answer(status: int = 200, **headers: str) -> Any:
    return answer(status, json.dumps({"id": 7, "name": "Rex"}), {**JSON, **headers})


# --- the request --------------------------------------------------------------------------


def test_the_request_as_sent() -> None:
    api, transport = client(pet_answer(), api_key={"apiKeyHeader": "k-123"})
    result = api.call_api(
        GET_PET, {"pet_id": 7, "fields": "a b&c", "trace": "t-1", "theme": "dark"}
    )
    (sent,) = transport.sent
    assert sent.method == "GET"
    assert sent.url == "https://api.example.com/v1/pets/7?fields=a+b%26c"
    assert sent.headers == {
        "User-Agent": "tokenworks/python",
        "X-Trace": "t-1",
        "Cookie": "theme=dark",
        "Accept": "application/json",
        "X-Api-Key": "k-123",
    }
    assert sent.body is None
    assert sent.timeout == (10.0, 30.0)
    assert isinstance(result, ApiResponse)
    assert result.status_code == 200
    assert result.data == Pet(7, "Rex")
    assert result.raw_data == b'{"id": 7, "name": "Rex"}'


def test_a_form_request_and_the_timeouts() -> None:
    api, transport = client(answer(200, "{}", JSON), answer(200, "{}", JSON), timeout=5.0)
    api.call_api(TOKEN, {"grant_type": "client_credentials", "client_secret": "s+1"})
    api.call_api(TOKEN, {"grant_type": "client_credentials"}, request_timeout=(1.0, 2.0))
    first, second = transport.sent
    assert first.url == "https://api.example.com/v1/oauth/token"
    assert first.body == b"grant_type=client_credentials&client_secret=s%2B1"
    assert first.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert (first.timeout, second.timeout) == (5.0, (1.0, 2.0))


def test_bad_arguments_send_nothing() -> None:
    api, transport = client()
    with pytest.raises(ApiValueError, match="`pet_id`"):
        api.call_api(GET_PET, {"pet_id": None})
    with pytest.raises(ApiTypeError, match="`pet_id`"):
        api.call_api(GET_PET, {"pet_id": "7"})
    with pytest.raises(ApiValueError, match="`trace`"):
        api.call_api(GET_PET, {"pet_id": 7, "trace": "a\r\nX-Evil: 1"})
    assert transport.sent == []


def test_default_headers() -> None:
    api, transport = client(pet_answer())
    api.set_default_header("X-Client", "tests")
    api.call_api(GET_PET, {"pet_id": 1})
    assert transport.sent[0].headers["X-Client"] == "tests"
    with pytest.raises(ApiValueError, match="`X-Client`"):
        api.set_default_header("X-Client", "a\nb")


# --- credentials --------------------------------------------------------------------------


def sent_for(**settings: Any) -> Any:
    api, transport = client(pet_answer(), **settings)
    api.call_api(GET_PET, {"pet_id": 1, "theme": "dark"})
    return transport.sent[0]


def test_api_key_in_a_header_with_its_prefix() -> None:
    sent = sent_for(api_key={"apiKeyHeader": "k-1"}, api_key_prefix={"apiKeyHeader": "API-Key"})
    assert sent.headers["X-Api-Key"] == "API-Key k-1"
    assert "Authorization" not in sent.headers


def test_api_key_in_the_query() -> None:
    sent = sent_for(api_key={"apiKeyQuery": "k 1"})
    assert sent.url.endswith("/pets/1?api_key=k+1")
    assert "X-Api-Key" not in sent.headers


def test_api_key_in_a_cookie_after_the_cookie_parameters() -> None:
    sent = sent_for(api_key={"apiKeyCookie": "c-1"})
    assert sent.headers["Cookie"] == "theme=dark; session=c-1"


def test_bearer_and_basic() -> None:
    assert sent_for(access_token="tok-1").headers["Authorization"] == "Bearer tok-1"
    basic = sent_for(username="al\u00e9", password="pa:ss").headers["Authorization"]
    assert basic == "Basic " + base64.b64encode("al\u00e9:pa:ss".encode()).decode()
    assert basic_authorization("a", "b") == "Basic YTpi"


def test_the_first_configured_scheme_the_operation_lists_is_sent() -> None:
    sent = sent_for(access_token="tok-1", api_key={"apiKeyCookie": "c-1"}, username="u")
    assert sent.headers["Cookie"] == "theme=dark; session=c-1"
    assert "Authorization" not in sent.headers  # one scheme only
    assert "Authorization" not in sent_for(username="u").headers  # basic without a password


def test_no_credentials_no_header() -> None:
    sent = sent_for()
    assert set(sent.headers) == {"User-Agent", "Cookie", "Accept"}


@pytest.mark.parametrize("scheme", ["apiKeyHeader", "apiKeyCookie"])
def test_a_credential_that_would_inject_a_header_is_refused(scheme: str) -> None:
    api, transport = client(api_key={scheme: "k\r\nX-Evil: 1"})
    with pytest.raises(ApiValueError) as caught:
        api.call_api(GET_PET, {"pet_id": 1})
    assert f"credentials of {scheme}" in str(caught.value)
    assert "X-Evil" not in str(caught.value)
    assert transport.sent == []


def test_credentials_given_to_the_call_replace_the_configured_ones() -> None:
    api, transport = client(pet_answer(), access_token="tok-1")
    api.call_api(GET_PET, {"pet_id": 1}, credentials={"Authorization": "Basic eDp5"})
    assert transport.sent[0].headers["Authorization"] == "Basic eDp5"


class Tokens:
    """A TokenSource handing out tok-1, tok-2...; records what it was told to forget."""

    def __init__(self) -> None:
        self.issued = 0
        self.invalidated: list[Optional[str]] = []

    def get_token(self) -> str:
        if self.issued == 0 or len(self.invalidated) >= self.issued:
            self.issued += 1
        return f"tok-{self.issued}"

    def invalidate(self, token: Optional[str] = None) -> None:
        self.invalidated.append(token)


BEARER_ONLY: Operation[Pet] = Operation(
    "get_pet", "GET", "/pets", responses={"200": Response(PET)}, security=("bearer",)
)


def test_the_token_manager_supplies_the_bearer_and_a_401_renews_it_once() -> None:
    tokens = Tokens()
    api, transport = client(answer(401), pet_answer(), token_manager=tokens, access_token="x-1")
    assert api.call_api(BEARER_ONLY, {}).data == Pet(7, "Rex")
    first, second = transport.sent
    assert first.headers["Authorization"] == "Bearer tok-1"
    assert second.headers["Authorization"] == "Bearer tok-2"
    assert tokens.invalidated == ["tok-1"]


def test_a_second_401_is_raised() -> None:
    tokens = Tokens()
    api, transport = client(answer(401), answer(401), token_manager=tokens)
    with pytest.raises(UnauthorizedException):
        api.call_api(BEARER_ONLY, {})
    assert len(transport.sent) == 2
    assert tokens.invalidated == ["tok-1"]


def test_without_the_token_manager_the_access_token_is_sent_and_a_401_is_final() -> None:
    api, transport = client(answer(401), token_manager=Tokens(), access_token="x-1")
    with pytest.raises(UnauthorizedException):
        api.call_api(BEARER_ONLY, {}, use_token_manager=False)
    assert [s.headers["Authorization"] for s in transport.sent] == ["Bearer x-1"]


def test_a_401_with_a_configured_token_is_not_retried() -> None:
    api, transport = client(answer(401), access_token="x-1")
    with pytest.raises(UnauthorizedException):
        api.call_api(BEARER_ONLY, {})
    assert len(transport.sent) == 1


# --- retries ------------------------------------------------------------------------------


def test_503_and_429_are_retried_with_backoff_or_retry_after() -> None:
    waits: list[float] = []
    api, transport = client(
        answer(503), answer(429, headers={"Retry-After": "7"}), pet_answer(), sleep=waits
    )
    assert api.call_api(GET_PET, {"pet_id": 1}).data == Pet(7, "Rex")
    assert len(transport.sent) == 3
    assert len(waits) == 2
    assert 0.0 <= waits[0] <= 0.5  # the first backoff: factor * 2**0, with jitter
    assert waits[1] == 7.0
    assert transport.sent[0].url == transport.sent[2].url


def test_retries_run_out_and_the_last_answer_is_raised() -> None:
    waits: list[float] = []
    api, transport = client(answer(503), answer(503), answer(503), sleep=waits)
    with pytest.raises(ServiceException) as caught:
        api.call_api(GET_PET, {"pet_id": 1})
    assert caught.value.status == 503
    assert len(transport.sent) == 3  # the first attempt and retries=2
    assert 0.0 <= waits[0] <= 0.5 and 0.0 <= waits[1] <= 1.0


@pytest.mark.parametrize("status", [500, 502, 504, 400])
def test_other_errors_are_not_retried(status: int) -> None:
    api, transport = client(answer(status))
    with pytest.raises(ApiException):
        api.call_api(GET_PET, {"pet_id": 1})
    assert len(transport.sent) == 1


def test_retries_zero() -> None:
    api, transport = client(answer(503), retries=0)
    with pytest.raises(ServiceException):
        api.call_api(GET_PET, {"pet_id": 1})
    assert len(transport.sent) == 1


def test_a_retry_after_beyond_the_cap_raises_at_once() -> None:
    waits: list[float] = []
    api, transport = client(answer(429, headers={"Retry-After": "3600"}), sleep=waits)
    with pytest.raises(TooManyRequestsException) as caught:
        api.call_api(GET_PET, {"pet_id": 1})
    assert caught.value.retry_after == 3600.0
    assert (len(transport.sent), waits) == (1, [])


def test_a_connection_never_made_is_retried_one_made_is_not() -> None:
    waits: list[float] = []
    refused = ApiConnectionError("could not connect", connected=False)
    api, transport = client(refused, pet_answer(), sleep=waits)
    assert api.call_api(GET_PET, {"pet_id": 1}).status_code == 200
    assert len(transport.sent) == 2 and len(waits) == 1

    reset = ApiConnectionError("connection reset", connected=True)
    api, transport = client(reset, pet_answer())
    with pytest.raises(ApiConnectionError, match="connection reset"):
        api.call_api(GET_PET, {"pet_id": 1})
    assert len(transport.sent) == 1


def test_a_single_use_grant_is_retried_only_when_the_server_refused_it_unseen() -> None:
    api, transport = client(answer(503))
    with pytest.raises(ServiceException):
        api.call_api(TOKEN, {"grant_type": "authorization_code", "code": "c-1234"})
    assert len(transport.sent) == 1
    api, transport = client(answer(429), answer(200, "{}", JSON))
    with pytest.raises(TooManyRequestsException):  # 429 without Retry-After: not retried
        api.call_api(TOKEN, {"grant_type": "authorization_code", "code": "c-1234"})
    waits: list[float] = []
    api, transport = client(
        answer(429, headers={"Retry-After": "2"}), answer(200, "{}", JSON), sleep=waits
    )
    api.call_api(TOKEN, {"grant_type": "authorization_code", "code": "c-1234"})
    assert (len(transport.sent), waits) == (2, [2.0])
    api, transport = client(answer(503), answer(200, "{}", JSON))
    api.call_api(TOKEN, {"grant_type": "client_credentials"})  # not single-use
    assert len(transport.sent) == 2


class GrantForm(KeywordModel):
    """A token request's fields as a body model sent as a form (as CyberSource's is)."""

    _props = (
        Prop("grant_type", "grant_type", Str()),
        Prop("code", "code", Str(), secret=True),
        Prop("refresh_token", "refresh_token", Str(), secret=True),
    )


#: An OAuth token operation whose grant_type may be left out (the server defaults it).
OAUTH_TOKEN: Operation[Any] = Operation(
    "access_token",
    "POST",
    "/oauth/token",
    (
        Param("grant_type", "grant_type", "form", Str()),
        Param("auth_code", "code", "form", Str()),
        Param("refresh_token", "refresh_token", "form", Str()),
        Param("client_id", "client_id", "form", Str()),
    ),
    responses={"200": Response(MapOf(ANY))},
    content_type="application/x-www-form-urlencoded",
    token=True,
)
#: The same with the fields in a body model.
MODEL_TOKEN = form_model_operation(
    "create_token", "/oauth/token", "grant_request", GrantForm, MapOf(ANY)
)
TOKEN_ANSWER = answer(200, json.dumps({"access_token": "at-1234"}), JSON)


@pytest.mark.parametrize(
    ("operation", "arguments"),
    [
        (OAUTH_TOKEN, {"refresh_token": "rt-1234", "client_id": "id"}),  # grant_type left out
        (OAUTH_TOKEN, {"auth_code": "c-1234"}),
        (OAUTH_TOKEN, {"grant_type": "client_credentials", "refresh_token": "rt-1234"}),
        (OAUTH_TOKEN, {"grant_type": "urn:example:custom", "auth_code": "c-1234"}),
        (MODEL_TOKEN, {"grant_request": GrantForm(refresh_token="rt-1234")}),
        (MODEL_TOKEN, {"grant_request": GrantForm(grant_type="other", code="c-1234")}),
    ],
)
def test_a_token_request_carrying_a_code_or_refresh_token_is_single_use(
    operation: Operation[Any], arguments: dict[str, Any]
) -> None:
    # RFC 6749: a code and (with rotation) a refresh token work once, whatever grant_type says.
    for status in (503, 429):
        api, transport = client(answer(status), TOKEN_ANSWER)
        with pytest.raises(ApiException) as caught:
            api.call_api(operation, arguments)
        assert caught.value.status == status
        assert len(transport.sent) == 1


def test_a_token_request_without_a_single_use_credential_is_retried() -> None:
    for operation, arguments in (
        (OAUTH_TOKEN, {"grant_type": "client_credentials", "client_id": "id"}),
        (OAUTH_TOKEN, {"client_id": "id", "refresh_token": ""}),
        (MODEL_TOKEN, {"grant_request": GrantForm(grant_type="client_credentials")}),
    ):
        api, transport = client(answer(503), TOKEN_ANSWER)
        assert api.call_api(operation, arguments).data == {"access_token": "at-1234"}
        assert len(transport.sent) == 2


@pytest.mark.parametrize(
    ("operation", "arguments", "named"),
    [
        (OAUTH_TOKEN, {"grant_type": "refresh_token", "client_id": "id"}, "refresh_token"),
        (OAUTH_TOKEN, {"grant_type": "refresh_token", "refresh_token": ""}, "refresh_token"),
        (OAUTH_TOKEN, {"grant_type": "authorization_code", "client_id": "id"}, "auth_code"),
        (
            MODEL_TOKEN,
            {"grant_request": GrantForm(grant_type="refresh_token")},
            "grant_request.refresh_token",
        ),
        (
            MODEL_TOKEN,
            {"grant_request": GrantForm(grant_type="authorization_code", refresh_token="rt-1")},
            "grant_request.code",
        ),
    ],
)
def test_a_grant_without_what_it_needs_is_refused_before_sending(
    operation: Operation[Any], arguments: dict[str, Any], named: str
) -> None:
    api, transport = client(TOKEN_ANSWER)
    with pytest.raises(ApiValueError) as caught:
        api.call_api(operation, arguments)
    grant = "refresh_token" if named.endswith("refresh_token") else "authorization_code"
    section = "6" if grant == "refresh_token" else "4.1.3"
    assert str(caught.value) == (
        f"Missing the required parameter `{named}`:"
        f" grant_type {grant} needs it (RFC 6749 section {section})"
    )
    assert transport.sent == []


def test_grant_requirements_apply_to_token_operations_only() -> None:
    api, transport = client(answer(200, "{}", JSON))
    api.call_api(TOKEN, {"grant_type": "authorization_code"})  # not marked as a token operation
    assert len(transport.sent) == 1


def test_retries_are_logged_without_secrets(caplog: pytest.LogCaptureFixture) -> None:
    api, _ = client(answer(503), pet_answer(), api_key={"apiKeyHeader": "key-0123456789"})
    with caplog.at_level(logging.DEBUG, logger="runtime_under_test"):
        api.call_api(GET_PET, {"pet_id": 1})
    assert "GET /pets/{petId} answered 503; retry 1 of 2 in" in caplog.text
    assert "key-0123456789" not in caplog.text


# --- errors and redaction -----------------------------------------------------------------


def test_error_statuses_raise_typed_exceptions_with_the_declared_model() -> None:
    body = json.dumps({"message": "no pet 7"})
    api, _ = client(answer(404, body, {**JSON, "X-Rate-Remaining": "9"}, "Not Found"))
    with pytest.raises(NotFoundException) as caught:
        api.call_api(GET_PET, {"pet_id": 7})
    error = caught.value
    assert (error.status, error.reason, error.body) == (404, "Not Found", body)
    assert isinstance(error.data, Problem) and error.data.message == "no pet 7"
    assert error.header_values == {"X-Rate-Remaining": 9}


def test_an_error_body_that_breaks_its_model_is_kept_as_text() -> None:
    api, _ = client(answer(404, "<html>gone</html>"))
    with pytest.raises(NotFoundException) as caught:
        api.call_api(GET_PET, {"pet_id": 7})
    assert caught.value.data is None
    assert caught.value.body == "<html>gone</html>"


def test_oauth_error_fields_and_a_range_response() -> None:
    body = json.dumps({"error": "invalid_request", "error_description": "bad\nthing"})
    api, _ = client(answer(400, body, JSON, "Bad Request"))
    with pytest.raises(BadRequestException) as caught:
        api.call_api(GET_PET, {"pet_id": 7})
    error = caught.value
    assert error.data == {"error": "invalid_request", "error_description": "bad\nthing"}  # 4XX
    assert error.error == "invalid_request"
    assert str(error) == (
        "(400) Reason: Bad Request; error: invalid_request; error_description: bad thing"
    )


SECRET = "s3cret-0123456789"


def test_secrets_the_request_carried_are_redacted_from_errors() -> None:
    echo = f"client_secret={SECRET} code=code-98765 hint=hint-4321 Bearer tok-0123456789"
    body = json.dumps({"error": "invalid_client", "error_description": echo})
    api, _ = client(answer(401, body, JSON, f"Unauthorized {SECRET}"))
    with pytest.raises(UnauthorizedException) as caught:
        api.call_api(
            TOKEN,
            {
                "grant_type": "authorization_code",
                "code": "code-98765",
                "client_secret": SECRET,
                "password_hint": "hint-4321",
            },
        )
    error = caught.value
    for secret in (SECRET, "code-98765", "hint-4321"):
        for text in (str(error), repr(error), error.body or "", error.error_description or ""):
            assert secret not in text
    assert error.reason == "Unauthorized [redacted]"
    assert error.unredacted_body == body


@pytest.mark.parametrize(
    "body",
    [
        '{"access_token": "at-secret-0123", "refresh_token": "rt-secret-0123", "expires',
        '{"access_token":"at-secret-0123","refresh_token":"rt-secret-0123"',  # cut short
        '<pre>{"access_token": "at-secret-0123",\n "refresh_token" : "rt-secret-0123"}</pre>',
        '[{"access_token": "at-secret-0123", "refresh_token": "rt-secret-0123"}]',
        '{"access_token": "at\\/secret-0123", "refresh_token": "rt\\/secret-0123", ',  # PHP
        # JSON, but no access_token: the parsed values, as echoed with '\\/'
        '{"access_token": "", "refresh_token": "rt\\/secret-0123", "id_token": "at\\/secret-0123"}',
        '{"access_token": "at-secret-0123", "id_token": "rt-secret-0123", "expires_in": 0',
    ],
)
def test_a_broken_token_answer_keeps_no_token_it_issued(body: str) -> None:
    api, _ = client(answer(200, body, {"Content-Type": "text/html"}))
    with pytest.raises(MalformedResponseError) as caught:
        api.call_api(OAUTH_TOKEN, {"grant_type": "client_credentials"})
    error = caught.value
    for secret in ("at-secret-0123", "rt-secret-0123", "at\\/secret", "at/secret", "rt/secret"):
        for text in (str(error), repr(error), error.body or ""):
            assert secret not in text
    assert error.body is not None and "[redacted]" in error.body
    assert error.unredacted_body == body


@pytest.mark.parametrize(
    ("settings", "secret"),
    [
        ({"api_key": {"apiKeyHeader": "key-0123456789"}}, "key-0123456789"),
        ({"access_token": "tok-0123456789"}, "tok-0123456789"),
        ({"username": "user", "password": "pass-0123456789"}, "pass-0123456789"),
        (
            {"username": "user", "password": "pass-0123456789"},
            basic_authorization("user", "pass-0123456789").split(" ")[1],
        ),
    ],
)
def test_configured_credentials_are_redacted_from_errors(
    settings: dict[str, Any], secret: str
) -> None:
    body = json.dumps({"message": f"you sent {secret}"})
    api, _ = client(answer(403, body, JSON), **settings)
    with pytest.raises(ApiException) as caught:
        api.call_api(GET_PET, {"pet_id": 1})
    assert secret not in (caught.value.body or "")
    assert secret not in repr(caught.value.data)
    assert "[redacted]" in (caught.value.body or "")


# --- answers ------------------------------------------------------------------------------


def test_an_undeclared_2xx_is_read_as_the_first_declared_success() -> None:
    api, _ = client(pet_answer(201))
    result = api.call_api(GET_PET, {"pet_id": 1})
    assert (result.status_code, result.data) == (201, Pet(7, "Rex"))


def test_an_operation_without_a_success_body() -> None:
    delete: Operation[None] = Operation(
        "delete", "DELETE", "/pets/1", responses={"204": Response()}
    )
    api, _ = client(answer(204), answer(200, "ignored"))
    assert api.call_api(delete, {}).data is None
    assert api.call_api(delete, {}).data is None  # undeclared 200: no body declared either


def test_declared_response_headers_are_typed() -> None:
    headers = {**JSON, "X-Rate-Remaining": "99", "X-Request-Id": "abcd-1", "X-Other": "1"}
    api, _ = client(answer(200, '{"id": 1}', headers))
    result = api.call_api(GET_PET, {"pet_id": 1})
    assert result.header_values == {"X-Rate-Remaining": 99, "X-Request-Id": "abcd-1"}
    assert result.headers["X-Other"] == "1"


def test_unreadable_or_absent_headers_are_left_out() -> None:
    declared = Response(PET, RATE)
    values = header_values(
        declared.headers,
        answer(200, "", {"X-Rate-Remaining": "many", "X-Request-Id": "ab"}).headers,
    )
    assert values == {}
    assert header_values(declared.headers, answer(200, "", {"X-Rate-Remaining": "3"}).headers) == {
        "X-Rate-Remaining": 3
    }


def test_read_body_json() -> None:
    assert read_body(PET, answer(200, '{"id": 1}', JSON)) == Pet(1)
    assert read_body(None, answer(200, "anything")) is None
    assert read_body(MapOf(ANY), answer(200, b'{"a": [1]}')) == {"a": [1]}  # no Content-Type


@pytest.mark.parametrize(
    ("body", "headers", "problem"),
    [
        (b"", JSON, "an empty answer where the spec promises a body (Content-Type: application/json)"),
        (b"", {}, "an empty answer where the spec promises a body (Content-Type: None)"),
        (b"<html>", {"Content-Type": "text/html"}, "an answer that is not JSON (Content-Type: text/html)"),
        (b'{"id": NaN}', JSON, "an answer that is not JSON (Content-Type: application/json)"),
        (b'{"id": "1"}', JSON, "the answer breaks the spec: field `id`: expected int, got string"),
        (b"\xff\xfe", JSON, "an answer that is not JSON (Content-Type: application/json)"),
        (b"[" * 100000 + b"]" * 100000, JSON, None),
    ],
)  # fmt: skip
def test_read_body_malformed(body: bytes, headers: dict[str, str], problem: Optional[str]) -> None:
    with pytest.raises(MalformedResponseError) as caught:
        read_body(
            PET if problem is None or "field" in problem else MapOf(ANY), answer(200, body, headers)
        )
    if problem is not None:
        assert caught.value.reason == problem
    assert caught.value.status == 200


def test_read_body_text_in_its_charset() -> None:
    text = Str()
    latin = {"Content-Type": "text/plain; charset=ISO-8859-1"}
    assert read_body(text, answer(200, "caf\u00e9".encode("latin-1"), latin)) == "caf\u00e9"
    assert read_body(text, answer(200, "caf\u00e9", {"Content-Type": "text/csv"})) == "caf\u00e9"
    quoted = {"Content-Type": 'text/plain; charset="utf-8"'}
    assert read_body(text, answer(200, "ok", quoted)) == "ok"
    with pytest.raises(MalformedResponseError, match="not text in its charset"):
        read_body(text, answer(200, b"\xff", {"Content-Type": "text/plain"}))
    with pytest.raises(MalformedResponseError, match="not text in its charset"):
        read_body(text, answer(200, b"x", {"Content-Type": "text/plain; charset=nope"}))
    with pytest.raises(MalformedResponseError, match="the answer: length must be at most 1"):
        read_body(Str(max_length=1), answer(200, "ab", {"Content-Type": "text/plain"}))
    # a JSON string under a JSON type is JSON, not text
    assert read_body(text, answer(200, '"ok"', JSON)) == "ok"


def test_read_body_binary_is_the_bytes() -> None:
    octets = {"Content-Type": "application/octet-stream"}
    assert read_body(Binary(), answer(200, b"\x00\xff", octets)) == b"\x00\xff"
    assert read_body(Binary(), answer(200, b"", octets)) == b""


# --- the declared media type decides how a body is read ------------------------------------


@pytest.mark.parametrize(
    ("media_type", "kind"),
    [
        ("application/json", "json"),
        ("application/json; charset=utf-8", "json"),
        ("Application/Problem+JSON", "json"),
        ("text/json", "json"),
        ("text/plain", "text"),
        ("text/csv; charset=latin-1", "text"),
        ("text/*", "text"),
        ("*/*", "any"),
        ("application/*", "any"),
        ("application/octet-stream", "bytes"),
        ("application/pdf", "bytes"),
        ("image/png", "bytes"),
        ("application/x-ndjson", "bytes"),
        ("", "bytes"),
    ],
)
def test_media_kind(media_type: str, kind: str) -> None:
    assert media_kind(media_type) == kind


def test_declared_text_is_text_whatever_the_answer_is_labelled() -> None:
    text = "text/plain"
    assert read_body(Str(), answer(200, '{"a": 1}', JSON), text) == '{"a": 1}'
    latin = {"Content-Type": "application/octet-stream; charset=latin-1"}
    assert read_body(Str(), answer(200, "caf\u00e9".encode("latin-1"), latin), text) == "caf\u00e9"
    assert read_body(Str(), answer(200, b""), text) == ""  # empty text is a string too
    with pytest.raises(MalformedResponseError, match="the answer: length must be at most 1"):
        read_body(Str(max_length=1), answer(200, "ab", JSON), text)
    with pytest.raises(MalformedResponseError, match="not text in its charset"):
        read_body(Str(), answer(200, b"\xff"), "text/csv")


@pytest.mark.parametrize(
    ("headers", "body", "data"),
    [
        (JSON, b'{"a": [1]}', {"a": [1]}),
        ({"Content-Type": "application/vnd.api+json"}, b"[true]", [True]),
        (JSON, b"", None),
        ({"Content-Type": "text/csv; charset=latin-1"}, "\u00e9,1".encode("latin-1"), "\u00e9,1"),
        ({"Content-Type": "image/png"}, b"\x89PNG", b"\x89PNG"),
        ({}, b"{}", b"{}"),  # no Content-Type: what it is nobody says, so the bytes
    ],
)
def test_a_wildcard_without_a_schema_goes_by_the_answers_content_type(
    headers: dict[str, str], body: bytes, data: Any
) -> None:
    read = read_body(ANY, answer(200, body, headers), "*/*")
    assert read == data and type(read) is type(data)


def test_a_wildcard_with_a_string_schema_is_text_unless_labelled_json() -> None:
    octets = {"Content-Type": "application/octet-stream"}
    assert read_body(Str(), answer(200, b"plain", octets), "*/*") == "plain"
    assert read_body(Str(), answer(200, b'"quoted"', JSON), "*/*") == "quoted"
    with pytest.raises(MalformedResponseError, match="expected str, got number"):
        read_body(Str(), answer(200, b"1", JSON), "*/*")


def test_other_declared_media_are_bytes_and_json_is_parsed_whatever_the_label() -> None:
    assert read_body(ANY, answer(200, b'{"a": 1}', JSON), "application/pdf") == b'{"a": 1}'
    plain = {"Content-Type": "text/plain"}
    assert read_body(ANY, answer(200, b"[1]", plain), "application/json") == [1]
    assert read_body(ANY, answer(200, b"")) is None  # JSON without a schema: empty is no value
    with pytest.raises(MalformedResponseError, match="not JSON"):
        read_body(ANY, answer(200, b"<html>", plain))


def test_a_declared_media_type_reaches_read_body_for_successes_and_errors() -> None:
    notes: Operation[str] = Operation(
        "notes",
        "GET",
        "/notes",
        responses={
            "200": Response(Str(), media="text/plain"),
            "404": Response(Str(), media="text/plain"),
        },
    )
    octets = {"Content-Type": "application/octet-stream"}
    api, _ = client(answer(200, b"[1, 2]", octets), answer(404, b"gone", octets))
    assert api.call_api(notes, {}).data == "[1, 2]"
    with pytest.raises(NotFoundException) as caught:
        api.call_api(notes, {})
    assert caught.value.data == "gone"


# --- the client ---------------------------------------------------------------------------


def test_close_and_the_context_manager_close_the_transport() -> None:
    api, transport = client()
    with api as entered:
        assert entered is api
    assert transport.closed


def test_an_injected_transport_is_kept_when_transport_settings_change() -> None:
    api, transport = client(pet_answer())
    api.configuration.verify_ssl = False
    api.call_api(GET_PET, {"pet_id": 1})
    assert api.rest_client is transport and len(transport.sent) == 1


def test_its_own_transport_is_rebuilt_when_a_transport_setting_changes() -> None:
    configuration = Config(host="http://127.0.0.1:9", retries=0, timeout=2.0)
    with ApiClient(configuration) as api:
        first = api.rest_client
        configuration.connection_pool_maxsize = 2
        with pytest.raises(ApiConnectionError):  # nothing listens on the discard port
            api.call_api(BEARER_ONLY, {})
        assert api.rest_client is not first


def test_the_default_client_is_per_class() -> None:
    class Mine(ApiClient):
        configuration_class = Config

    try:
        default = Mine.get_default()
        assert Mine.get_default() is default
        assert isinstance(default.configuration, Config)
        replacement = ApiClient(Config(), transport=FakeTransport())
        Mine.set_default(replacement)
        assert Mine.get_default() is replacement
        Mine.set_default(None)
        assert Mine.get_default() is not replacement
    finally:
        Mine.set_default(None)


def test_building_a_default_may_ask_for_another_classs_default() -> None:
    # An aio client made from the blocking default does this; a lock shared by the
    # classes would never be released.
    class Base(ApiClient):
        configuration_class = Config

    class Derived(Base):
        def __init__(self) -> None:
            super().__init__(Base.get_default().configuration)

    built: list[ApiClient] = []
    thread = threading.Thread(target=lambda: built.append(Derived.get_default()), daemon=True)
    thread.start()
    thread.join(10)
    assert not thread.is_alive(), "Derived.get_default() waits for a lock it holds"
    assert built[0].configuration is Base.get_default().configuration
