"""Contract tests of every package against Prism, which validates each request.

Prism answers a request that breaks the spec with 400/422 (the SDK would raise
ApiException), so each successful call below is a request Prism validated;
``test_prism_rejects_invalid_requests`` shows Prism really does validate.
Every response a spec declares is enumerated from the spec itself (each status,
each media type, each response header) and forced with Prism's
``Prefer: code=<status>`` header (through ``ApiClient.default_headers`` for the
package, with ``Accept`` picking the media type for raw requests): Prism serves
the spec's examples, so each declared answer and header is checked as the
package reads it.
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
from providers import BY_NAME, ZUORA_CLIENT_ID

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
ZUORA_REQUIRED = (ZUORA_CLIENT_ID, "my-client-secret", "client_credentials")


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
    Call(  # the schema's required fields, and the refresh token the grant needs (RFC 6749)
        "cybersource",
        "required-only",
        lambda: (
            (
                cybersource_request(
                    **CYBERSOURCE_CREDENTIALS, grant_type="refresh_token", refresh_token="rt"
                ),
            ),
            {},
        ),
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
    *(  # the required parameters, and the code or refresh token the grant needs (RFC 6749)
        Call("criteo", f"required-only-{grant}", lambda g=grant, n=needs: ((g, *CRITEO_REQUIRED[1:]), n))
        for grant, needs in (
            ("client_credentials", {}),
            ("authorization_code", {"code": "my-authorization-code"}),
            ("refresh_token", {"refresh_token": "my-refresh-token"}),
        )
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
        "client-id-36-chars-secret-42-chars",
        lambda: (("0" * 36, "s" * 42, "client_credentials"), {}),
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


#: The exception each error status raises (any other status: ApiException itself).
EXCEPTIONS = {
    400: "BadRequestException",
    401: "UnauthorizedException",
    403: "ForbiddenException",
    404: "NotFoundException",
    409: "ConflictException",
    422: "UnprocessableEntityException",
    429: "TooManyRequestsException",
}
FIRST_CALLS = {  # one valid call per provider
    provider: next(c for c in VALID_CALLS if c.provider == provider) for provider in APIS
}


@dataclass(frozen=True)
class Declared:
    """One response the spec declares: a status and one of its media types (None: no body)."""

    provider: str
    status: str
    content_type: str | None

    @property
    def response(self) -> dict[str, Any]:
        responses = spec_operation(self.provider)["responses"]
        return responses[self.status]  # type: ignore[no-any-return]

    @property
    def headers(self) -> dict[str, dict[str, Any]]:
        """Declared response headers by name (YAML aliases are already resolved)."""
        return self.response.get("headers", {})  # type: ignore[no-any-return]

    @property
    def example(self) -> Any:
        assert self.content_type is not None
        return spec_example(self.provider, self.status, self.content_type)

    @property
    def id(self) -> str:
        media = f"-{self.content_type}" if self.content_type else ""
        return f"{self.provider}-{self.status}{media}"


def declared_responses() -> list[Declared]:
    """Every (status, media type) of every spec, read from the specs themselves."""
    return [
        Declared(provider, status, content_type)
        for provider in APIS
        for status, response in spec_operation(provider)["responses"].items()
        for content_type in response.get("content") or [None]
    ]


DECLARED = declared_responses()
#: One per status: the SDK asks for all its media types at once; Prism answers the first.
DECLARED_STATUSES = [
    d for d in DECLARED if d.content_type == next(iter(d.response.get("content") or [None]))
]


def header_example(header: dict[str, Any]) -> str:
    """The value Prism sends for a declared header: its example, as header text."""
    example = header.get("example", header["schema"].get("example"))
    assert example is not None, "a declared header needs an example for Prism to serve"
    return str(example)


def assert_fits_schema(name: str, value: str, schema: dict[str, Any]) -> None:
    """A header value is of the declared type and within the declared lengths."""
    if schema.get("type") == "integer":
        int(value)
    assert len(value) >= schema.get("minLength", 0), name
    assert len(value) <= schema.get("maxLength", len(value)), name


def assert_declared_headers(declared: Declared, headers: Any) -> None:
    for name, header in declared.headers.items():
        value = headers.get(name)
        assert value == header_example(header), name
        assert_fits_schema(name, value, header["schema"])


def test_the_enumeration_finds_what_the_providers_publish() -> None:
    """The cases below come from the specs; this checks the specs hold what issue 13 lists."""
    for provider in APIS:
        statuses = {d.status for d in DECLARED if d.provider == provider}
        assert "200" in statuses and len(statuses) > 1, provider
    zuora = {d.status: set(d.headers) for d in DECLARED if d.provider == "zuora"}
    assert set(zuora) == {"200", "400", "401", "403", "429"}
    published = {"Zuora-Request-Id", "Zuora-Track-Id"}
    published |= {"X-RateLimit-Limit-minute", "X-RateLimit-Remaining-minute"}
    assert all(published <= names for names in zuora.values())
    assert "WWW-Authenticate" in zuora["401"]
    for declared in DECLARED:
        if declared.provider == "cybersource":
            assert "v-c-client-correlation-id" in declared.headers, declared.id


@pytest.mark.parametrize("declared", DECLARED, ids=lambda d: d.id)
def test_prism_serves_every_declared_response(
    declared: Declared, prism: dict[str, PrismServer]
) -> None:
    """A valid raw request with ``Prefer: code=`` gets the spec's example and headers."""
    case = next(c for c in VALID_RAW if c.provider == declared.provider)
    extra = {"Prefer": f"code={declared.status}"}
    if declared.content_type is not None:
        extra["Accept"] = declared.content_type
    request = RawCase(case.provider, case.name, case.form, {**case.headers, **extra})
    response = raw_post(prism[declared.provider], request)
    assert response.status == int(declared.status)
    assert_declared_headers(declared, response.headers)
    if declared.content_type is None:
        assert response.data == b""
        return
    assert response.headers["Content-Type"] == declared.content_type
    assert json.loads(response.data) == declared.example


@pytest.mark.parametrize("declared", DECLARED_STATUSES, ids=lambda d: f"{d.provider}-{d.status}")
def test_sdk_reads_every_declared_response(
    declared: Declared, client_for: Callable[..., Any]
) -> None:
    """Through the package: 2xx gives the model and the headers, an error its exception."""
    package, api = client_for(declared.provider, retries=0)
    api.api_client.default_headers["Prefer"] = f"code={declared.status}"
    args, kwargs = FIRST_CALLS[declared.provider].arguments()
    method = getattr(api, APIS[declared.provider].method + "_with_http_info")
    status = int(declared.status)
    if status < 300:
        answer = method(*args, **kwargs)
        assert answer.status_code == status
        assert_declared_headers(declared, answer.headers)
        assert type(answer.data) is getattr(package, APIS[declared.provider].returns)
        return
    with pytest.raises(package.ApiException) as caught:
        method(*args, **kwargs)
    error = caught.value
    assert type(error) is getattr(package, EXCEPTIONS.get(status, "ApiException"))
    assert error.status == status
    assert_declared_headers(declared, error.headers)
    if declared.content_type is None:
        assert (error.data, error.error) == (None, None)
        return
    example = declared.example
    assert json.loads(error.body) == example
    assert error.error == example.get("error")
    assert error.error_description == example.get("error_description")
    schema = declared.response["content"][declared.content_type]["schema"]
    refs = [schema] if "$ref" in schema else schema.get("oneOf") or schema.get("anyOf") or []
    if refs:  # a declared model (or one of them): every field of the example lands in it
        models = [getattr(package, ref["$ref"].rsplit("/", 1)[1]) for ref in refs]
        assert type(error.data) in models
        assert error.data.to_dict() == example
    else:  # a free-form object
        assert error.data == example


@dataclass(frozen=True)
class RawCase:
    provider: str
    name: str
    form: dict[str, str]
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = FORM


CYBERSOURCE_FORM = {**CYBERSOURCE_CREDENTIALS, "grant_type": "refresh_token", "refresh_token": "r"}
CRITEO_FORM = {"grant_type": "client_credentials", "client_id": "id", "client_secret": "secret"}
ZUORA_FORM = {
    "client_id": ZUORA_CLIENT_ID,
    "client_secret": "s",
    "grant_type": "client_credentials",
}


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
    RawCase("zuora", "client_id-35-chars", {**ZUORA_FORM, "client_id": ZUORA_CLIENT_ID[:35]}),
    RawCase("zuora", "client_id-37-chars", {**ZUORA_FORM, "client_id": ZUORA_CLIENT_ID + "0"}),
    RawCase("zuora", "client_secret-43-chars", {**ZUORA_FORM, "client_secret": "s" * 43}),
    RawCase("cybersource", "missing-grant_type", without(CYBERSOURCE_FORM, "grant_type")),
)  # fmt: skip


def raw_post(server: PrismServer, case: RawCase) -> urllib3.BaseHTTPResponse:
    """POST the case's form with urllib3, bypassing the SDK; Prism's answer."""
    if case.content_type == FORM:
        body = urlencode(case.form)
    else:
        body = json.dumps(case.form)
    headers = {"Content-Type": case.content_type, **case.headers}
    with urllib3.PoolManager() as http:
        response = http.request(
            "POST", server.url + APIS[case.provider].path, body=body, headers=headers
        )
    return response


@pytest.mark.parametrize("case", VALID_RAW, ids=lambda c: c.provider)
def test_prism_accepts_a_valid_raw_request(case: RawCase, prism: dict[str, PrismServer]) -> None:
    assert raw_post(prism[case.provider], case).status == 200


@pytest.mark.parametrize("case", INVALID_RAW, ids=lambda c: f"{c.provider}-{c.name}")
def test_prism_rejects_invalid_requests(case: RawCase, prism: dict[str, PrismServer]) -> None:
    status = raw_post(prism[case.provider], case).status
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
    Refusal("zuora", "grant-type-not-in-enum", lambda: ((ZUORA_CLIENT_ID, "secret", "password"), {}), "ApiValueError", "grant_type"),
    Refusal("zuora", "client-id-35-chars", lambda: ((ZUORA_CLIENT_ID[:35], "secret", "client_credentials"), {}), "ApiValueError", "client_id"),
    Refusal("zuora", "client-id-37-chars", lambda: ((ZUORA_CLIENT_ID + "0", "secret", "client_credentials"), {}), "ApiValueError", "client_id"),
    Refusal("zuora", "client-secret-43-chars", lambda: ((ZUORA_CLIENT_ID, "s" * 43, "client_credentials"), {}), "ApiValueError", "client_secret"),
    Refusal("zuora", "client-id-none", lambda: ((None, "secret", "client_credentials"), {}), "ApiValueError", "client_id"),
    Refusal("zuora", "client-id-int", lambda: ((42, "secret", "client_credentials"), {}), "ApiTypeError", "client_id"),
    Refusal("cybersource", "correlation-id-35-chars", lambda: (cybersource_call()[0], {"v_c_client_correlation_id": CORRELATION_ID[:35]}), "ApiValueError", "v_c_client_correlation_id"),
    Refusal("cybersource", "correlation-id-37-chars", lambda: (cybersource_call()[0], {"v_c_client_correlation_id": CORRELATION_ID + "0"}), "ApiValueError", "v_c_client_correlation_id"),
    Refusal("cybersource", "correlation-id-bad-char", lambda: (cybersource_call()[0], {"v_c_client_correlation_id": "!" * 36}), "ApiValueError", "v_c_client_correlation_id"),
    Refusal("cybersource", "grant-type-not-in-enum", lambda: cybersource_call(grant_type="client_credentials"), "ApiValueError", "create_access_token_request.grant_type"),
    Refusal("cybersource", "missing-client-id", lambda: cybersource_call(client_id=None), "ApiValueError", "create_access_token_request.client_id"),
    Refusal("cybersource", "missing-grant-type", lambda: cybersource_call(grant_type=None), "ApiValueError", "create_access_token_request.grant_type"),
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
