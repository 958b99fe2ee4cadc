"""Exact bytes on the wire, against in-process servers.

Request side (headers, form bodies, credentials) is checked byte for byte with a tiny
raw-socket server; answers (media types, extra fields, error statuses) with
pytest-httpserver; timeouts and refused connections with sockets we control.
"""

from __future__ import annotations

import http
import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import criteo_api_retailmedia_v2022_10 as criteo
import CyberSource
import pandadoc_client
import pytest
import yaml
import zuora_client
from criteo_api_retailmedia_v2022_10.api import o_auth_api as criteo_o_auth_api
from mock_servers import spec_path
from pandadoc_client.api import o_auth_2_0_authentication_api
from providers import ZUORA_CLIENT_ID
from pytest_httpserver import HTTPServer

# Every test runs with the blocking classes and with the aio ones (conftest.driver).
pytestmark = pytest.mark.usefixtures("driver")

# A value that needs every kind of form escaping: space, & = +, Latin-1, CJK and an emoji.
TRICKY = "a b&c=d+e \u00e9 \u65e5\u672c \U0001f642"
# Written out by hand (UTF-8 bytes, percent-encoded, space as +), not computed with urlencode.
TRICKY_WIRE = b"a+b%26c%3Dd%2Be+%C3%A9+%E6%97%A5%E6%9C%AC+%F0%9F%99%82"
CORRELATION_ID = "123e4567-e89b-12d3-a456-426614174000"  # 36 characters
FORM = "application/x-www-form-urlencoded"


# --- a raw-socket HTTP server -------------------------------------------------------------


@dataclass
class RawRequest:
    """One request exactly as received."""

    raw: bytes
    request_line: str
    header_lines: list[str]
    body: bytes

    def headers_named(self, name: str) -> list[str]:
        """Values of every header line with this name (names compared case-insensitively)."""
        values = []
        for line in self.header_lines:
            key, _, value = line.partition(":")
            if key.lower() == name.lower():
                values.append(value.strip())
        return values


def http_answer(
    status: int = 200,
    body: bytes = b'{"access_token": "t"}',  # the least a token operation accepts
    content_type: str = "application/json",
    headers: dict[str, str] | None = None,
) -> bytes:
    """A complete HTTP/1.1 answer that closes the connection."""
    lines = [
        f"HTTP/1.1 {status} {http.HTTPStatus(status).phrase}",
        f"Content-Type: {content_type}",
        f"Content-Length: {len(body)}",
        "Connection: close",
    ]
    lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


class RawServer:
    """Records every request's bytes and sends ``answer`` after ``delay`` seconds."""

    def __init__(self, answer: bytes = b"", delay: float = 0.0) -> None:
        self.answer = answer or http_answer()
        self.delay = delay
        self.requests: list[RawRequest] = []
        self._stop = threading.Event()
        self._sock = socket.create_server(("127.0.0.1", 0))
        self._sock.settimeout(0.05)
        self.port = self._sock.getsockname()[1]
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            with conn:
                conn.settimeout(5)
                try:
                    self.requests.append(_read_request(conn))
                    if self._stop.wait(self.delay):
                        return
                    conn.sendall(self.answer)
                except OSError:
                    pass  # the client gave up (timeout test)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(5)
        self._sock.close()


def _read_request(conn: socket.socket) -> RawRequest:
    raw = b""
    while b"\r\n\r\n" not in raw:
        chunk = conn.recv(65536)
        if not chunk:
            break
        raw += chunk
    head, _, body = raw.partition(b"\r\n\r\n")
    request_line, *header_lines = head.decode("latin-1").split("\r\n")
    request = RawRequest(raw, request_line, header_lines, body)
    length = int((request.headers_named("Content-Length") or ["0"])[0])
    while len(body) < length:
        chunk = conn.recv(65536)
        if not chunk:
            break
        body += chunk
    request.raw, request.body = head + b"\r\n\r\n" + body, body
    return request


@pytest.fixture
def raw_server() -> Iterator[RawServer]:
    server = RawServer()
    yield server
    server.close()


def only_request(server: RawServer) -> RawRequest:
    assert len(server.requests) == 1, f"expected one request, got {len(server.requests)}"
    return server.requests[0]


# --- the four providers --------------------------------------------------------------------


@dataclass(frozen=True)
class Wire:
    """What one provider's known call must put on the wire."""

    name: str
    package: ModuleType
    path: str
    accept: str
    answer_content_type: str  # what the real API answers with
    token: dict[str, Any]  # a 200 body
    model: type
    call: Callable[..., Any]  # (api_client, **kwargs) -> ApiResponse of a valid call


def _zuora(client: Any, **kwargs: Any) -> Any:
    return zuora_client.OAuthApi(client).create_token_with_http_info(
        ZUORA_CLIENT_ID, "secret", "client_credentials", **kwargs
    )


def _cybersource(client: Any, **kwargs: Any) -> Any:
    request = CyberSource.CreateAccessTokenRequest(
        client_id="cid", client_secret="secret", grant_type="refresh_token", refresh_token="rt"
    )
    return CyberSource.OAuthApi(client).create_access_token_with_http_info(request, **kwargs)


def _pandadoc(client: Any, **kwargs: Any) -> Any:
    api = o_auth_2_0_authentication_api.OAuth20AuthenticationApi(client)
    return api.access_token_with_http_info(grant_type="refresh_token", refresh_token="rt", **kwargs)


def _criteo(client: Any, **kwargs: Any) -> Any:
    return criteo_o_auth_api.OAuthApi(client).get_token_with_http_info(
        "client_credentials", "cid", "secret", **kwargs
    )


WIRES = {
    "zuora": Wire(
        "zuora",
        zuora_client,
        "/oauth/token",
        "application/json; charset=utf-8",
        "application/json; charset=utf-8",
        {
            "access_token": "zuora-token",
            "expires_in": 3599,
            "jti": "jti-1",
            "scope": "entity.1 platform.write",
            "token_type": "bearer",
        },
        zuora_client.TokenResponse,
        _zuora,
    ),
    "cybersource": Wire(
        "cybersource",
        CyberSource,
        "/oauth2/v3/token",
        "application/json;charset=utf-8",
        "application/json;charset=utf-8",
        {
            "access_token": "eyJhbGciOiJSUzI1NiJ9.e30.sig",
            "token_type": "Bearer",
            "refresh_token": "refresh-1",
            "expires_in": 899,
            "scope": "merchant",
            "refresh_token_expires_in": 31535999,
            "client_status": "ACTIVE",
        },
        CyberSource.AccessTokenResponse,
        _cybersource,
    ),
    "pandadoc": Wire(
        "pandadoc",
        pandadoc_client,
        "/oauth2/access_token",
        "application/json",
        "application/json",
        {
            "access_token": "panda-token",
            "token_type": "Bearer",
            "expires_in": 31535999,
            "scope": "read+write",
            "refresh_token": "panda-refresh",
        },
        pandadoc_client.OAuth2AccessTokenResponse,
        _pandadoc,
    ),
    "criteo": Wire(
        "criteo",
        criteo,
        "/oauth2/token",
        "text/plain, application/json, text/json",
        "application/json",
        {
            "access_token": "criteo-token",
            "token_type": "Bearer",
            "refresh_token": None,
            "expires_in": 900,
        },
        criteo.AccessTokenModel,
        _criteo,
    ),
}
ALL = sorted(WIRES)


def client_for(wire: Wire, host: str, **settings: Any) -> Any:
    """An ApiClient for ``host``; no retries unless asked, so one call is one request."""
    settings.setdefault("retries", 0)
    return wire.package.ApiClient(wire.package.Configuration(host=host, **settings))


# --- request bytes --------------------------------------------------------------------------

# provider -> (make the call with the API class, request line, body, header param line)
KNOWN_CALLS: dict[str, tuple[Callable[[Any], Any], str, bytes, str | None]] = {
    "zuora": (
        lambda c: zuora_client.OAuthApi(c).create_token(
            "my client " + "0" * 26, TRICKY, "client_credentials", zuora_track_id="track-42 ok"
        ),
        "POST /oauth/token HTTP/1.1",
        b"client_id=my+client+" + b"0" * 26 + b"&client_secret=" + TRICKY_WIRE
        + b"&grant_type=client_credentials",
        "Zuora-Track-Id: track-42 ok",
    ),
    "cybersource": (
        # Keywords out of spec order: the body must follow the model's field order.
        lambda c: CyberSource.OAuthApi(c).create_access_token(
            CyberSource.CreateAccessTokenRequest(
                refresh_token="rt/1",
                grant_type="refresh_token",
                client_secret=TRICKY,
                client_id="cid",
            ),
            v_c_client_correlation_id=CORRELATION_ID,
        ),
        "POST /oauth2/v3/token HTTP/1.1",
        b"client_id=cid&client_secret="
        + TRICKY_WIRE
        + b"&grant_type=refresh_token&refresh_token=rt%2F1",
        f"v-c-client-correlation-id: {CORRELATION_ID}",
    ),
    "pandadoc": (
        # Keywords in reverse: the body must follow the spec's order.
        lambda c: o_auth_2_0_authentication_api.OAuth20AuthenticationApi(c).access_token(
            refresh_token="rt",
            scope="read+write",
            code="c0de",
            client_secret=TRICKY,
            client_id="cid",
            grant_type="refresh_token",
        ),
        "POST /oauth2/access_token HTTP/1.1",
        b"grant_type=refresh_token&client_id=cid&client_secret="
        + TRICKY_WIRE
        + b"&code=c0de&scope=read%2Bwrite&refresh_token=rt",
        None,
    ),
    "criteo": (
        lambda c: criteo_o_auth_api.OAuthApi(c).get_token(
            "authorization_code",
            "cid",
            TRICKY,
            refresh_token="rt",
            code="c",
            redirect_uri="https://app.example/cb?x=1",
        ),
        "POST /oauth2/token HTTP/1.1",
        b"grant_type=authorization_code&client_id=cid&client_secret="
        + TRICKY_WIRE
        + b"&redirect_uri=https%3A%2F%2Fapp.example%2Fcb%3Fx%3D1&code=c&refresh_token=rt",
        None,
    ),
}


@pytest.mark.parametrize("name", ALL)
def test_known_call_exact_request(name: str, raw_server: RawServer) -> None:
    wire = WIRES[name]
    call, request_line, body, header_line = KNOWN_CALLS[name]
    raw_server.answer = http_answer(
        body=json.dumps(wire.token).encode(), content_type=wire.answer_content_type
    )
    with client_for(wire, raw_server.url) as client:
        result = call(client)
    assert isinstance(result, wire.model)

    request = only_request(raw_server)
    assert request.request_line == request_line
    assert request.body == body
    assert request.headers_named("Content-Length") == [str(len(body))]
    # Exact header lines: wire-name case, exact value strings, each sent once.
    assert request.headers_named("Content-Type") == [FORM]
    assert f"Content-Type: {FORM}" in request.header_lines
    assert request.headers_named("Accept") == [wire.accept]
    assert f"Accept: {wire.accept}" in request.header_lines
    if header_line is not None:
        assert header_line in request.header_lines
    assert request.headers_named("Authorization") == []


# provider -> (call with only the required/minimal arguments, exact body, absent header)
MINIMAL_CALLS: dict[str, tuple[Callable[[Any], Any], bytes, str | None]] = {
    "zuora": (
        lambda c: zuora_client.OAuthApi(c).create_token(
            ZUORA_CLIENT_ID, "sec", "client_credentials"
        ),
        b"client_id=%s&client_secret=sec&grant_type=client_credentials" % ZUORA_CLIENT_ID.encode(),
        "Zuora-Track-Id",
    ),
    "cybersource": (
        lambda c: CyberSource.OAuthApi(c).create_access_token(
            CyberSource.CreateAccessTokenRequest(
                client_id="cid", client_secret="sec", grant_type="authorization_code", code="x"
            )
        ),
        b"client_id=cid&client_secret=sec&grant_type=authorization_code&code=x",
        "v-c-client-correlation-id",
    ),
    "pandadoc": (
        lambda c: o_auth_2_0_authentication_api.OAuth20AuthenticationApi(c).access_token(
            grant_type="refresh_token", refresh_token="rt"
        ),
        b"grant_type=refresh_token&refresh_token=rt",
        None,
    ),
    "criteo": (
        lambda c: criteo_o_auth_api.OAuthApi(c).get_token("client_credentials", "cid", "sec"),
        b"grant_type=client_credentials&client_id=cid&client_secret=sec",
        None,
    ),
}


@pytest.mark.parametrize("name", ALL)
def test_unset_optional_params_are_not_sent(name: str, raw_server: RawServer) -> None:
    wire = WIRES[name]
    call, body, absent_header = MINIMAL_CALLS[name]
    with client_for(wire, raw_server.url) as client:
        call(client)
    request = only_request(raw_server)
    assert request.body == body
    for token in (b"None", b"null", b"=&", b"redirect_uri", b"scope"):
        assert token not in request.body
    if absent_header is not None:
        assert request.headers_named(absent_header) == []


def test_pandadoc_documented_scope_default_is_not_sent(raw_server: RawServer) -> None:
    # The doc's `read+write` is a suggestion and grant_type's default is applied by the
    # server: an omitted parameter must not appear at all.
    with client_for(WIRES["pandadoc"], raw_server.url) as client:
        api = o_auth_2_0_authentication_api.OAuth20AuthenticationApi(client)
        api.access_token(client_id="cid", client_secret="sec", code="c0de")
    request = only_request(raw_server)
    assert request.body == b"client_id=cid&client_secret=sec&code=c0de"
    assert b"scope" not in request.body
    assert b"grant_type" not in request.body


# --- credentials ----------------------------------------------------------------------------


def _pandadoc_prefixed_after_construction() -> pandadoc_client.Configuration:
    # The doc's way: set the key and prefix on the dicts after construction.
    configuration = pandadoc_client.Configuration()
    configuration.api_key["apiKey"] = "pd-key-123"
    configuration.api_key_prefix["apiKey"] = "API-Key"
    return configuration


def _pandadoc_bearer_after_construction() -> pandadoc_client.Configuration:
    configuration = pandadoc_client.Configuration()
    configuration.access_token = "pd-oauth-token"
    return configuration


AUTH_CASES: dict[str, tuple[str, Callable[[], Any], list[str]]] = {
    "pandadoc-key": (
        "pandadoc",
        lambda: pandadoc_client.Configuration(api_key={"apiKey": "pd-key-123"}),
        ["pd-key-123"],
    ),
    "pandadoc-key-prefix": (
        "pandadoc",
        lambda: pandadoc_client.Configuration(
            api_key={"apiKey": "pd-key-123"}, api_key_prefix={"apiKey": "API-Key"}
        ),
        ["API-Key pd-key-123"],
    ),
    "pandadoc-key-prefix-doc-style": (
        "pandadoc",
        _pandadoc_prefixed_after_construction,
        ["API-Key pd-key-123"],
    ),
    "pandadoc-bearer": (
        "pandadoc",
        lambda: pandadoc_client.Configuration(access_token="pd-oauth-token"),
        ["Bearer pd-oauth-token"],
    ),
    "pandadoc-bearer-doc-style": (
        "pandadoc",
        _pandadoc_bearer_after_construction,
        ["Bearer pd-oauth-token"],
    ),
    "pandadoc-both-key-wins": (
        "pandadoc",
        lambda: pandadoc_client.Configuration(
            api_key={"apiKey": "pd-key-123"},
            api_key_prefix={"apiKey": "API-Key"},
            access_token="pd-oauth-token",
        ),
        ["API-Key pd-key-123"],
    ),
    "pandadoc-none": ("pandadoc", lambda: pandadoc_client.Configuration(), []),
    "criteo-bearer": (
        "criteo",
        lambda: criteo.Configuration(access_token="cr-oauth-token"),
        ["Bearer cr-oauth-token"],
    ),
    "criteo-none": ("criteo", lambda: criteo.Configuration(), []),
    "criteo-api-key-ignored": (
        "criteo",
        lambda: criteo.Configuration(api_key={"oauth": "cr-key-123", "apiKey": "cr-key-123"}),
        [],
    ),
    "zuora-never": (
        "zuora",
        lambda: zuora_client.Configuration(
            api_key={"apiKey": "zu-key-123", "oauth": "zu-key-123"},
            api_key_prefix={"apiKey": "API-Key"},
            access_token="zu-oauth-token",
        ),
        [],
    ),
    "cybersource-never": (
        "cybersource",
        lambda: CyberSource.Configuration(
            api_key={"apiKey": "cs-key-123", "oauth": "cs-key-123"},
            api_key_prefix={"apiKey": "API-Key"},
            access_token="cs-oauth-token",
        ),
        [],
    ),
}
SECRETS = [f"{p}-{kind}" for p in ("pd", "cr", "zu", "cs") for kind in ("key-123", "oauth-token")]


@pytest.mark.parametrize("case", sorted(AUTH_CASES))
def test_authorization_header(case: str, raw_server: RawServer) -> None:
    name, make_configuration, expected = AUTH_CASES[case]
    wire = WIRES[name]
    configuration = make_configuration()
    configuration.host = raw_server.url
    configuration.retries = 0
    with wire.package.ApiClient(configuration) as client:
        wire.call(client)
    request = only_request(raw_server)
    assert request.headers_named("Authorization") == expected
    for value in expected:
        assert f"Authorization: {value}" in request.header_lines
    if name == "zuora":
        assert request.headers_named("apiAccessKeyId") == []
        assert request.headers_named("apiSecretAccessKey") == []
    # Credentials appear nowhere but in the Authorization header.
    elsewhere = "\r\n".join(
        line for line in request.header_lines if not line.lower().startswith("authorization:")
    ).encode() + request.body
    for secret in SECRETS:
        assert secret.encode() not in elsewhere


# --- answers --------------------------------------------------------------------------------


@pytest.fixture
def served(httpserver: HTTPServer) -> Callable[..., Any]:
    """Serve one answer on the provider's path, then make its known call with http info."""

    def serve(
        name: str,
        body: bytes | str,
        status: int = 200,
        content_type: str | None = None,
        headers: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> Any:
        wire = WIRES[name]
        httpserver.expect_oneshot_request(wire.path, method="POST").respond_with_data(
            body,
            status=status,
            headers=headers,
            content_type=content_type or wire.answer_content_type,
        )
        try:
            with client_for(wire, httpserver.url_for("/")) as client:
                return wire.call(client, **kwargs)
        finally:
            assert len(httpserver.log) == 1

    return serve


@pytest.mark.parametrize("name", ALL)
def test_token_parsed_under_the_providers_media_type(name: str, served: Any) -> None:
    wire = WIRES[name]
    response = served(name, json.dumps(wire.token))
    assert response.status_code == 200
    assert response.headers["Content-Type"] == wire.answer_content_type
    assert isinstance(response.data, wire.model)
    assert response.data.to_dict() == {k: v for k, v in wire.token.items() if v is not None}
    for key, value in wire.token.items():
        assert getattr(response.data, key) == value
    assert response.data.additional_properties == {}
    assert response.raw_data == json.dumps(wire.token).encode()


@pytest.mark.parametrize(
    "content_type",
    ["text/plain", "application/json", "text/json", "application/json; charset=utf-8"],
)
def test_criteo_token_parsed_under_every_declared_media_type(
    content_type: str, served: Any
) -> None:
    body = '{"access_token":"abc","token_type":"Bearer","refresh_token":null,"expires_in":900}'
    response = served("criteo", body, content_type=content_type)
    assert response.headers["Content-Type"] == content_type  # the server sent it unchanged
    assert response.data == criteo.AccessTokenModel(
        access_token="abc", token_type="Bearer", refresh_token=None, expires_in=900
    )
    assert response.data.refresh_token is None


@pytest.mark.parametrize("body", ["access_token=abc", "", '["a list"]'])
def test_criteo_answer_that_is_not_a_json_object_is_an_api_exception(
    body: str, served: Any
) -> None:
    with pytest.raises(criteo.ApiException) as caught:
        served("criteo", body, content_type="text/plain")
    assert type(caught.value) is criteo.MalformedResponseError
    assert caught.value.status == 200
    assert caught.value.body == body


@pytest.mark.parametrize("name", ALL)
def test_unknown_answer_fields_are_kept(name: str, served: Any) -> None:
    wire = WIRES[name]
    # Hyphenated keys: no model declares them, whatever fields the spec adds.
    extra = {"x-new-field": {"nested": [1, "two"]}, "x-issued-at": "2024-01-01T00:00:00Z"}
    response = served(name, json.dumps({**wire.token, **extra}))
    assert response.data.additional_properties == extra
    assert response.data.to_dict()["x-new-field"] == {"nested": [1, "two"]}
    assert response.data.access_token == wire.token["access_token"]


def test_non_ascii_answer_is_decoded_as_utf8(served: Any) -> None:
    body = json.dumps({"access_token": "t", "scope": "caf\u00e9 \u65e5\u672c"}, ensure_ascii=False)
    response = served("zuora", body.encode("utf-8"))
    assert response.data.scope == "caf\u00e9 \u65e5\u672c"


ERROR_BODY = {
    "error": "invalid_client",
    "error_description": "Client authentication failed (cl\u00e9 \u00e9).",
}

# (provider, status, exception class name); what the body decodes to is the spec's answer.
ERROR_CASES = [
    ("criteo", 400, "BadRequestException"),
    ("criteo", 401, "UnauthorizedException"),
    ("cybersource", 400, "BadRequestException"),
    ("cybersource", 401, "UnauthorizedException"),
    ("cybersource", 404, "NotFoundException"),
    ("pandadoc", 400, "BadRequestException"),
    ("pandadoc", 401, "UnauthorizedException"),
    ("zuora", 400, "BadRequestException"),
    ("zuora", 401, "UnauthorizedException"),
    ("zuora", 429, "TooManyRequestsException"),
    ("criteo", 403, "ForbiddenException"),
    ("pandadoc", 409, "ConflictException"),
    ("cybersource", 422, "UnprocessableEntityException"),
] + [(name, 500, "ServiceException") for name in ALL] + [
    ("zuora", 503, "ServiceException"),
    ("criteo", 418, "ApiException"),
]


def declared_answer(wire: Wire, status: int) -> Any:
    """What the spec declares for ``status`` of the wire's operation: None (no body or not
    declared), dict (a free-form object), a model class ($ref), or a tuple of model
    classes (oneOf/anyOf of $refs)."""
    spec = yaml.safe_load(spec_path(wire.name).read_text(encoding="utf-8"))
    (operation,) = spec["paths"][wire.path].values()
    answer = operation["responses"].get(str(status))
    if not answer or not answer.get("content"):
        return None
    schema = next(iter(answer["content"].values()))["schema"]

    def model(ref: str) -> type:
        return getattr(wire.package, ref.rsplit("/", 1)[1])

    if "$ref" in schema:
        return model(schema["$ref"])
    branches = schema.get("oneOf") or schema.get("anyOf")
    if branches:
        return tuple(model(branch["$ref"]) for branch in branches)
    assert schema.get("type") == "object", schema
    return dict


@pytest.mark.parametrize(("name", "status", "exception"), ERROR_CASES)
def test_error_status_raises_the_right_exception(
    name: str, status: int, exception: str, served: Any
) -> None:
    wire = WIRES[name]
    declared = declared_answer(wire, status)
    body = json.dumps(ERROR_BODY)
    with pytest.raises(wire.package.ApiException) as caught:
        served(name, body, status=status, headers={"X-Request-Id": "req-77"})
    error = caught.value
    assert type(error) is getattr(wire.package, exception)
    assert isinstance(error, wire.package.rest.ApiException)
    assert error.status == status
    assert error.reason.upper() == http.HTTPStatus(status).phrase.upper()
    assert error.body == body
    assert error.headers["x-request-id"] == "req-77"
    assert error.error == "invalid_client"
    assert error.error_description == ERROR_BODY["error_description"]
    assert error.error_uri is None
    assert str(status) in str(error) and "invalid_client" in str(error)
    if declared is None:
        assert error.data is None
    elif declared is dict:
        assert error.data == ERROR_BODY
    else:
        assert type(error.data) in (declared if isinstance(declared, tuple) else (declared,))
        assert error.data.error == "invalid_client"
        assert error.data.to_dict() == ERROR_BODY  # fields it does not declare are kept


def test_criteo_error_uri_and_extra_fields(served: Any) -> None:
    body = {"error": "invalid_grant", "error_uri": "https://docs.example/e", "trace": "t-1"}
    with pytest.raises(criteo.BadRequestException) as caught:
        served("criteo", json.dumps(body), status=400, content_type="text/json")
    assert caught.value.error_uri == "https://docs.example/e"
    assert caught.value.error_description is None
    assert type(caught.value.data) is criteo.OAuthErrorModel
    assert caught.value.data.error == "invalid_grant"
    assert caught.value.data.error_uri == "https://docs.example/e"
    assert caught.value.data.additional_properties == {"trace": "t-1"}


@pytest.mark.parametrize("name", ["criteo", "cybersource"])
def test_error_body_that_is_not_json_still_raises_by_status(name: str, served: Any) -> None:
    wire = WIRES[name]
    with pytest.raises(wire.package.UnauthorizedException) as caught:
        served(name, "Unauthorized", status=401, content_type="text/plain")
    assert caught.value.body == "Unauthorized"
    assert caught.value.data is None
    assert caught.value.error is None


def test_zuora_track_id_echo_readable_case_insensitively(served: Any) -> None:
    response = served(
        "zuora",
        json.dumps(WIRES["zuora"].token),
        headers={"Zuora-Track-Id": "track-9", "Zuora-Request-Id": "r-1"},
        zuora_track_id="track-9",
    )
    assert response.status_code == 200
    for spelling in ("Zuora-Track-Id", "zuora-track-id", "ZUORA-TRACK-ID"):
        assert response.headers[spelling] == "track-9"
        assert response.headers.get(spelling) == "track-9"
    assert response.headers.get("zuora-request-id") == "r-1"
    assert isinstance(response.data, zuora_client.TokenResponse)


def test_cybersource_correlation_id_echo(served: Any) -> None:
    response = served(
        "cybersource",
        json.dumps(WIRES["cybersource"].token),
        headers={"v-c-client-correlation-id": CORRELATION_ID},
        v_c_client_correlation_id=CORRELATION_ID,
    )
    assert response.headers["V-C-Client-Correlation-Id"] == CORRELATION_ID


@pytest.mark.parametrize("status", [201, 203])
def test_other_2xx_status_is_reported(status: int, served: Any) -> None:
    response = served("pandadoc", json.dumps(WIRES["pandadoc"].token), status=status)
    assert response.status_code == status
    # Only 200 declares a body type; another 2xx with a body is read as that type.
    assert response.data == WIRES["pandadoc"].package.OAuth2AccessTokenResponse.from_dict(
        WIRES["pandadoc"].token
    )
    assert response.raw_data == json.dumps(WIRES["pandadoc"].token).encode()


# --- timeouts and connection failures -------------------------------------------------------


@pytest.fixture
def stalled_server() -> Iterator[RawServer]:
    """Accepts and reads the request, then answers only after 5 s."""
    server = RawServer(delay=5.0)
    yield server
    server.close()


@pytest.mark.parametrize("name", ALL)
@pytest.mark.parametrize("timeout", [0.3, (2.0, 0.3)])
def test_request_timeout_per_call(
    name: str, timeout: float | tuple[float, float], stalled_server: RawServer
) -> None:
    wire = WIRES[name]
    started = time.monotonic()
    client = client_for(wire, stalled_server.url)
    with client, pytest.raises(wire.package.ApiTimeoutError) as caught:
        wire.call(client, _request_timeout=timeout)
    elapsed = time.monotonic() - started
    assert isinstance(caught.value, wire.package.ApiException)
    assert isinstance(caught.value, wire.package.ApiConnectionError)
    assert caught.value.status == 0
    assert caught.value.connected is True  # the server may have seen the request
    assert elapsed < 3.0
    assert len(stalled_server.requests) == 1  # it was sent, then timed out


@pytest.mark.parametrize("name", ALL)
def test_per_call_timeout_overrides_the_configuration(name: str) -> None:
    wire = WIRES[name]
    server = RawServer(
        answer=http_answer(body=json.dumps(wire.token).encode(), content_type="application/json"),
        delay=0.6,
    )
    try:
        with client_for(wire, server.url, timeout=0.2) as client:
            with pytest.raises(wire.package.ApiTimeoutError):
                wire.call(client)  # the configured 0.2 s
            response = wire.call(client, _request_timeout=(2.0, 5.0))
        assert isinstance(response.data, wire.model)
        assert len(server.requests) == 2
    finally:
        server.close()


@pytest.mark.parametrize("name", ALL)
def test_connection_refused(name: str) -> None:
    wire = WIRES[name]
    # A bound socket that does not listen refuses connections; keep it bound meanwhile.
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        with client_for(wire, f"http://127.0.0.1:{port}") as client:
            started = time.monotonic()
            with pytest.raises(wire.package.ApiConnectionError) as caught:
                wire.call(client)
    assert not isinstance(caught.value, wire.package.ApiTimeoutError)
    assert caught.value.connected is False  # the server certainly saw nothing
    assert isinstance(caught.value, wire.package.ApiException)
    assert caught.value.status == 0
    assert time.monotonic() - started < 3.0
