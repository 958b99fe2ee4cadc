"""Contract tests of every package against Prism, which validates each request.

Prism answers a request that breaks the spec with 400/422 (the SDK would raise
ApiException), so each successful call below is a request Prism validated;
``test_prism_rejects_invalid_requests`` shows Prism really does validate.
Error answers are forced with Prism's ``Prefer: code=<status>`` header, sent
through ``ApiClient.default_headers``.
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any, Callable
from urllib.parse import urlencode

import pytest
import urllib3
import yaml
from mock_servers import PrismServer, spec_path
from providers import BY_NAME

CORRELATION_ID = "3f9c2a4e-8b1d-4e6f-a0c7-5d2b9e1f4a83"
FORM = "application/x-www-form-urlencoded"


@dataclass(frozen=True)
class Api:
    """How a provider's operation is reached."""

    api_class: str
    method: str
    path: str
    returns: str


APIS = {
    "cybersource": Api(
        "OAuthApi", "create_access_token", "/oauth2/v3/token", "AccessTokenResponse"
    ),
    "pandadoc": Api(
        "OAuth20AuthenticationApi",
        "access_token",
        "/oauth2/access_token",
        "OAuth2AccessTokenResponse",
    ),
    "criteo": Api("OAuthApi", "get_token", "/oauth2/token", "AccessTokenModel"),
    "zuora": Api("OAuthApi", "create_token", "/oauth/token", "TokenResponse"),
}


def package_of(provider: str) -> ModuleType:
    return importlib.import_module(BY_NAME[provider].package)


def cybersource_request(**fields: str) -> Any:
    return package_of("cybersource").CreateAccessTokenRequest(**fields)


CYBERSOURCE_CREDENTIALS = {"client_id": "my-client-id", "client_secret": "my-client-secret"}
CRITEO_REQUIRED = ("client_credentials", "my-client-id", "my-client-secret")
ZUORA_REQUIRED = ("my-client-id", "my-client-secret", "client_credentials")


@dataclass(frozen=True)
class Call:
    """One call: the arguments (built lazily: models come from the package)."""

    provider: str
    name: str
    arguments: Callable[[], tuple[tuple[Any, ...], dict[str, Any]]]
    configuration: dict[str, Any] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return f"{self.provider}-{self.name}"


VALID_CALLS = (
    Call(
        "cybersource",
        "all-params",
        lambda: (
            (
                cybersource_request(
                    **CYBERSOURCE_CREDENTIALS,
                    grant_type="refresh_token",
                    refresh_token="my-refresh-token",
                ),
            ),
            {"v_c_client_correlation_id": CORRELATION_ID, "_request_timeout": 10.0},
        ),
    ),
    Call(
        "cybersource",
        "required-only",
        lambda: ((cybersource_request(**CYBERSOURCE_CREDENTIALS, grant_type="refresh_token"),), {}),
    ),
    Call(
        "cybersource",
        "authorization-code-by-keyword",
        lambda: (
            (),
            {
                "create_access_token_request": cybersource_request(
                    **CYBERSOURCE_CREDENTIALS, grant_type="authorization_code", code="my-code"
                )
            },
        ),
    ),
    Call(
        "pandadoc",
        "all-params",
        lambda: (
            (),
            {
                "grant_type": "refresh_token",
                "client_id": "479a3c7ba4a8d3cf28702",
                "client_secret": "a66515d3caf9183b8cad3eee546bcba892b45b01",
                "code": "a9a60d4dabb61ade665c712d2b41766e7bb9a2f9",
                "scope": "read+write",
                "refresh_token": "f61cc0cffd437c9a596f0acc8eb6f502a7a429d7",
                "_request_timeout": (5.0, 10.0),
            },
        ),
        {"api_key": {"apiKey": "my-api-key"}, "api_key_prefix": {"apiKey": "API-Key"}},
    ),
    Call("pandadoc", "no-params", lambda: ((), {})),
    Call(
        "pandadoc",
        "oauth2-token",
        lambda: ((), {"grant_type": "refresh_token", "refresh_token": "my-refresh-token"}),
        {"access_token": "my-access-token"},
    ),
    *(
        Call("criteo", f"required-only-{grant}", lambda g=grant: ((g, *CRITEO_REQUIRED[1:]), {}))
        for grant in ("client_credentials", "authorization_code", "refresh_token")
    ),
    Call(
        "criteo",
        "all-params",
        lambda: (
            CRITEO_REQUIRED,
            {
                "redirect_uri": "https://app.example.com/oauth/callback",
                "code": "my-authorization-code",
                "refresh_token": "my-refresh-token",
                "_request_timeout": 10.0,
            },
        ),
        {"access_token": "my-access-token"},
    ),
    Call(
        "criteo",
        "required-by-keyword",
        lambda: (
            (),
            {"grant_type": "client_credentials", "client_id": "id", "client_secret": "secret"},
        ),
    ),
    Call("zuora", "required-only", lambda: (ZUORA_REQUIRED, {})),
    Call(
        "zuora",
        "all-params",
        lambda: (ZUORA_REQUIRED, {"zuora_track_id": "order-sync-0042", "_request_timeout": 10.0}),
    ),
    Call(
        "zuora",
        "track-id-64-chars",
        lambda: (ZUORA_REQUIRED, {"zuora_track_id": "t" * 63 + "~"}),
    ),
)


def spec_operation(provider: str) -> dict[str, Any]:
    spec = yaml.safe_load(spec_path(provider).read_text(encoding="utf-8"))
    (operation,) = (op for path in spec["paths"].values() for op in path.values())
    return operation  # type: ignore[no-any-return]


def spec_example(provider: str, status: str, content_type: str) -> Any:
    """A response example of the spec, parsed (text/* examples are JSON text)."""
    example = spec_operation(provider)["responses"][status]["content"][content_type]["example"]
    return json.loads(example) if isinstance(example, str) else example


@pytest.fixture()
def client_for(prism: dict[str, PrismServer]) -> Iterator[Callable[..., tuple[Any, Any]]]:
    """(package, API instance) talking to the provider's Prism; closed afterwards."""
    clients: list[Any] = []

    def make(provider: str, **configuration: Any) -> tuple[Any, Any]:
        package = package_of(provider)
        config = package.Configuration(host=prism[provider].url, **configuration)
        client = package.ApiClient(config)
        clients.append(client)
        return package, getattr(package, APIS[provider].api_class)(client)

    yield make
    for client in clients:
        client.close()


def assert_example_model(provider: str, result: Any, content_type: str) -> None:
    package = package_of(provider)
    assert type(result) is getattr(package, APIS[provider].returns)
    example = spec_example(provider, "200", content_type)
    for name, value in example.items():
        assert getattr(result, name) == value, name
    assert result.additional_properties == {}
    assert result.to_dict() == {k: v for k, v in example.items() if v is not None}


@pytest.mark.parametrize("call", VALID_CALLS, ids=lambda call: call.id)
def test_valid_call_returns_the_example(call: Call, client_for: Callable[..., Any]) -> None:
    _, api = client_for(call.provider, **call.configuration)
    args, kwargs = call.arguments()
    result = getattr(api, APIS[call.provider].method)(*args, **kwargs)
    # Criteo declares three media types with the same example; the others one.
    content_type = next(iter(spec_operation(call.provider)["responses"]["200"]["content"]))
    assert_example_model(call.provider, result, content_type)


@pytest.mark.parametrize("call", VALID_CALLS, ids=lambda call: call.id)
def test_with_http_info_gives_status_and_content_type(
    call: Call, client_for: Callable[..., Any]
) -> None:
    _, api = client_for(call.provider, **call.configuration)
    args, kwargs = call.arguments()
    response = getattr(api, APIS[call.provider].method + "_with_http_info")(*args, **kwargs)
    success = spec_operation(call.provider)["responses"]["200"]
    assert response.status_code == 200
    content_type = response.headers.get("Content-Type")
    assert content_type in success["content"]
    if len(success["content"]) == 1:
        assert content_type == next(iter(success["content"]))
    for header in success.get("headers", {}):
        assert response.headers.get(header), header  # declared response headers arrive
    assert json.loads(response.raw_data) == spec_example(call.provider, "200", content_type)
    assert_example_model(call.provider, response.data, content_type)


@dataclass(frozen=True)
class ErrorCase:
    provider: str
    status: int
    exception: str  # class name in the package
    model: str | None  # error model class name; "dict" for a free-form object
    content_type: str | None  # where the spec's example is, None: no body


ERROR_CASES = (
    ErrorCase("cybersource", 400, "BadRequestException", "BadRequestError", "application/json;charset=utf-8"),
    ErrorCase("cybersource", 401, "UnauthorizedException", "UnauthorizedClientError", "application/json;charset=utf-8"),
    ErrorCase("cybersource", 404, "NotFoundException", "ResourceNotFoundError", "application/json;charset=utf-8"),
    ErrorCase("pandadoc", 400, "BadRequestException", "dict", "application/json"),
    ErrorCase("criteo", 400, "BadRequestException", "OAuthErrorModel", "text/plain"),
    ErrorCase("criteo", 401, "UnauthorizedException", "OAuthErrorModel", "text/plain"),
    ErrorCase("zuora", 429, "TooManyRequestsException", None, None),
)  # fmt: skip
FIRST_CALLS = {  # one valid call per provider
    provider: next(c for c in VALID_CALLS if c.provider == provider) for provider in APIS
}


@pytest.mark.parametrize("case", ERROR_CASES, ids=lambda c: f"{c.provider}-{c.status}")
def test_error_answer_raises_the_documented_exception(
    case: ErrorCase, client_for: Callable[..., Any]
) -> None:
    package, api = client_for(case.provider)
    api.api_client.default_headers["Prefer"] = f"code={case.status}"
    args, kwargs = FIRST_CALLS[case.provider].arguments()
    with pytest.raises(package.ApiException) as caught:
        getattr(api, APIS[case.provider].method)(*args, **kwargs)
    error = caught.value
    assert type(error) is getattr(package, case.exception)
    assert error.status == case.status
    if case.content_type is None:
        assert (error.data, error.error) == (None, None)
        return
    example = spec_example(case.provider, str(case.status), case.content_type)
    assert json.loads(error.body) == example
    assert error.error == example["error"]
    assert error.error_description == example.get("error_description")
    if case.model == "dict":
        assert error.data == example
    else:
        assert type(error.data) is getattr(package, case.model)
        assert error.data.error == example["error"]


@dataclass(frozen=True)
class RawCase:
    provider: str
    name: str
    form: dict[str, str]
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = FORM


CYBERSOURCE_FORM = {**CYBERSOURCE_CREDENTIALS, "grant_type": "refresh_token", "refresh_token": "r"}
CRITEO_FORM = {"grant_type": "client_credentials", "client_id": "id", "client_secret": "secret"}
ZUORA_FORM = {"client_id": "id", "client_secret": "secret", "grant_type": "client_credentials"}


def without(form: dict[str, str], name: str) -> dict[str, str]:
    return {key: value for key, value in form.items() if key != name}


VALID_RAW = (
    RawCase(
        "cybersource", "valid", CYBERSOURCE_FORM, {"v-c-client-correlation-id": CORRELATION_ID}
    ),
    RawCase("pandadoc", "valid", {"grant_type": "refresh_token"}),
    RawCase("criteo", "valid", CRITEO_FORM),
    RawCase("zuora", "valid", ZUORA_FORM, {"Zuora-Track-Id": "order-sync-0042"}),
)
INVALID_RAW = (
    RawCase("cybersource", "missing-client_id", without(CYBERSOURCE_FORM, "client_id")),
    RawCase("cybersource", "grant_type-not-in-enum", {**CYBERSOURCE_FORM, "grant_type": "password"}),
    RawCase("cybersource", "correlation-id-35-chars", CYBERSOURCE_FORM, {"v-c-client-correlation-id": CORRELATION_ID[:35]}),
    RawCase("cybersource", "correlation-id-bad-char", CYBERSOURCE_FORM, {"v-c-client-correlation-id": "!" * 36}),
    RawCase("pandadoc", "json-body", {"grant_type": "refresh_token"}, content_type="application/json"),
    RawCase("criteo", "missing-client_secret", without(CRITEO_FORM, "client_secret")),
    RawCase("criteo", "grant_type-not-in-enum", {**CRITEO_FORM, "grant_type": "password"}),
    RawCase("zuora", "missing-client_id", without(ZUORA_FORM, "client_id")),
    RawCase("zuora", "grant_type-not-in-enum", {**ZUORA_FORM, "grant_type": "password"}),
    RawCase("zuora", "track-id-with-semicolon", ZUORA_FORM, {"Zuora-Track-Id": "order;42"}),
    RawCase("zuora", "track-id-65-chars", ZUORA_FORM, {"Zuora-Track-Id": "t" * 65}),
)  # fmt: skip


def raw_post(server: PrismServer, case: RawCase) -> int:
    """POST the case's form with urllib3, bypassing the SDK; the status Prism answers."""
    if case.content_type == FORM:
        body = urlencode(case.form)
    else:
        body = json.dumps(case.form)
    headers = {"Content-Type": case.content_type, **case.headers}
    with urllib3.PoolManager() as http:
        response = http.request(
            "POST", server.url + APIS[case.provider].path, body=body, headers=headers
        )
    return response.status


@pytest.mark.parametrize("case", VALID_RAW, ids=lambda c: c.provider)
def test_prism_accepts_a_valid_raw_request(case: RawCase, prism: dict[str, PrismServer]) -> None:
    assert raw_post(prism[case.provider], case) == 200


@pytest.mark.parametrize("case", INVALID_RAW, ids=lambda c: f"{c.provider}-{c.name}")
def test_prism_rejects_invalid_requests(case: RawCase, prism: dict[str, PrismServer]) -> None:
    status = raw_post(prism[case.provider], case)
    assert 400 <= status < 600, status
    assert status not in (404, 405)  # rejected for its content, not its route


@dataclass(frozen=True)
class Refusal:
    provider: str
    name: str
    arguments: Callable[[], tuple[tuple[Any, ...], dict[str, Any]]]
    exception: str  # "ApiValueError" or "ApiTypeError"
    names: str  # the parameter the message names


def cybersource_call(**fields: Any) -> tuple[tuple[Any, ...], dict[str, Any]]:
    request = {**CYBERSOURCE_CREDENTIALS, "grant_type": "refresh_token", **fields}
    return (cybersource_request(**{k: v for k, v in request.items() if v is not None}),), {}


REFUSALS = (
    Refusal("zuora", "track-id-semicolon", lambda: (ZUORA_REQUIRED, {"zuora_track_id": "order;42"}), "ApiValueError", "zuora_track_id"),
    Refusal("zuora", "track-id-colon", lambda: (ZUORA_REQUIRED, {"zuora_track_id": "order:42"}), "ApiValueError", "zuora_track_id"),
    Refusal("zuora", "track-id-double-quote", lambda: (ZUORA_REQUIRED, {"zuora_track_id": 'order"42'}), "ApiValueError", "zuora_track_id"),
    Refusal("zuora", "track-id-quote", lambda: (ZUORA_REQUIRED, {"zuora_track_id": "order'42"}), "ApiValueError", "zuora_track_id"),
    Refusal("zuora", "track-id-non-ascii", lambda: (ZUORA_REQUIRED, {"zuora_track_id": "ordre-n\u00b042"}), "ApiValueError", "zuora_track_id"),
    Refusal("zuora", "track-id-65-chars", lambda: (ZUORA_REQUIRED, {"zuora_track_id": "t" * 65}), "ApiValueError", "zuora_track_id"),
    Refusal("zuora", "grant-type-not-in-enum", lambda: (("id", "secret", "password"), {}), "ApiValueError", "grant_type"),
    Refusal("zuora", "client-id-none", lambda: ((None, "secret", "client_credentials"), {}), "ApiValueError", "client_id"),
    Refusal("zuora", "client-id-int", lambda: ((42, "secret", "client_credentials"), {}), "ApiTypeError", "client_id"),
    Refusal("cybersource", "correlation-id-35-chars", lambda: (cybersource_call()[0], {"v_c_client_correlation_id": CORRELATION_ID[:35]}), "ApiValueError", "v_c_client_correlation_id"),
    Refusal("cybersource", "correlation-id-37-chars", lambda: (cybersource_call()[0], {"v_c_client_correlation_id": CORRELATION_ID + "0"}), "ApiValueError", "v_c_client_correlation_id"),
    Refusal("cybersource", "correlation-id-bad-char", lambda: (cybersource_call()[0], {"v_c_client_correlation_id": "!" * 36}), "ApiValueError", "v_c_client_correlation_id"),
    Refusal("cybersource", "grant-type-not-in-enum", lambda: cybersource_call(grant_type="client_credentials"), "ApiValueError", "create_access_token_request.grant_type"),
    Refusal("cybersource", "missing-client-id", lambda: cybersource_call(client_id=None), "ApiValueError", "create_access_token_request.client_id"),
    Refusal("cybersource", "request-is-a-dict", lambda: (({"client_id": "id"},), {}), "ApiTypeError", "create_access_token_request"),
    Refusal("cybersource", "request-is-none", lambda: ((None,), {}), "ApiValueError", "create_access_token_request"),
    Refusal("criteo", "grant-type-not-in-enum", lambda: (("password", "id", "secret"), {}), "ApiValueError", "grant_type"),
    Refusal("criteo", "client-secret-none", lambda: (("client_credentials", "id", None), {}), "ApiValueError", "client_secret"),
    Refusal("criteo", "code-int", lambda: (CRITEO_REQUIRED, {"code": 1234}), "ApiTypeError", "code"),
    Refusal("pandadoc", "grant-type-int", lambda: ((), {"grant_type": 1}), "ApiTypeError", "grant_type"),
    Refusal("pandadoc", "scope-list", lambda: ((), {"scope": ["read", "write"]}), "ApiTypeError", "scope"),
)  # fmt: skip


@pytest.mark.parametrize("refusal", REFUSALS, ids=lambda r: f"{r.provider}-{r.name}")
def test_sdk_refuses_what_the_spec_forbids(
    refusal: Refusal, client_for: Callable[..., Any]
) -> None:
    package, api = client_for(refusal.provider)
    args, kwargs = refusal.arguments()
    with pytest.raises(package.OpenApiException) as caught:
        getattr(api, APIS[refusal.provider].method)(*args, **kwargs)
    assert type(caught.value) is getattr(package, refusal.exception)
    assert not isinstance(caught.value, package.ApiException)  # no answer was involved
    assert f"`{refusal.names}`" in str(caught.value)
