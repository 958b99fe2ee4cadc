"""Bad arguments are refused before anything is sent, and the error never shows the value.

Every client points at a local listening socket that counts the connections it
accepts (and answers a minimal token, so a valid call proves the count works).
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator
from typing import Any

import criteo_api_retailmedia_v2022_10 as criteo
import CyberSource
import pandadoc_client
import pytest
import zuora_client
from criteo_api_retailmedia_v2022_10.api import o_auth_api as criteo_o_auth_api
from pandadoc_client.api import o_auth_2_0_authentication_api
from providers import PACKAGES, ZUORA_CLIENT_ID

# Every test runs with the blocking classes and with the aio ones (conftest.driver).
pytestmark = pytest.mark.usefixtures("driver")

ANSWER = (
    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 21\r\n"
    b'Connection: close\r\n\r\n{"access_token": "t"}'
)
SECRET = "sk_live_51HxQ2eZvKYlo2C0d3adb33f"  # looks like a real secret; must never be shown
CORRELATION_ID = "123e4567-e89b-12d3-a456-426614174000"  # 36 characters, valid


class AcceptCounter:
    """A listening socket that counts accepted connections and answers each with a token."""

    def __init__(self) -> None:
        self.accepts = 0
        self._sock = socket.create_server(("127.0.0.1", 0))
        self._sock.settimeout(0.05)
        self._stop = threading.Event()
        self.url = f"http://127.0.0.1:{self._sock.getsockname()[1]}"
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            self.accepts += 1
            with conn:
                conn.settimeout(5)
                try:
                    data = b""
                    while b"\r\n\r\n" not in data:
                        chunk = conn.recv(65536)
                        if not chunk:
                            break
                        data += chunk
                    conn.sendall(ANSWER)
                except OSError:
                    pass

    def close(self) -> None:
        self._stop.set()
        self._thread.join(5)
        self._sock.close()


@pytest.fixture
def counter() -> Iterator[AcceptCounter]:
    server = AcceptCounter()
    yield server
    server.close()


def zuora(url: str, **settings: Any) -> zuora_client.OAuthApi:
    configuration = zuora_client.Configuration(host=url, retries=0, **settings)
    return zuora_client.OAuthApi(zuora_client.ApiClient(configuration))


def cybersource(url: str, **settings: Any) -> CyberSource.OAuthApi:
    configuration = CyberSource.Configuration(host=url, retries=0, **settings)
    return CyberSource.OAuthApi(CyberSource.ApiClient(configuration))


def pandadoc(url: str, **settings: Any) -> Any:
    configuration = pandadoc_client.Configuration(host=url, retries=0, **settings)
    client = pandadoc_client.ApiClient(configuration)
    return o_auth_2_0_authentication_api.OAuth20AuthenticationApi(client)


def criteo_api(url: str, **settings: Any) -> Any:
    configuration = criteo.Configuration(host=url, retries=0, **settings)
    return criteo_o_auth_api.OAuthApi(criteo.ApiClient(configuration))


def cs_request(**fields: Any) -> CyberSource.CreateAccessTokenRequest:
    """A valid CyberSource request, with ``fields`` replacing or adding values."""
    values: dict[str, Any] = {
        "client_id": "cid",
        "client_secret": SECRET,
        "grant_type": "refresh_token",
        "refresh_token": "rt",
    }
    values.update(fields)
    return CyberSource.CreateAccessTokenRequest(**values)


# --- a valid call of each package reaches the counter (the control) ------------------------

VALID_CALLS: dict[str, Callable[[str], Any]] = {
    "zuora": lambda u: zuora(u).create_token(ZUORA_CLIENT_ID, SECRET, "client_credentials"),
    "zuora-track-id-64": lambda u: zuora(u).create_token(
        ZUORA_CLIENT_ID, SECRET, "client_credentials", zuora_track_id="x" * 60 + " !#~"
    ),
    "zuora-track-id-every-allowed-char": lambda u: zuora(u).create_token(
        ZUORA_CLIENT_ID,
        SECRET,
        "client_credentials",
        zuora_track_id="".join(chr(c) for c in range(32, 127) if chr(c) not in ":;\"'")[:64],
    ),
    "cybersource": lambda u: cybersource(u).create_access_token(
        cs_request(), v_c_client_correlation_id=CORRELATION_ID
    ),
    "cybersource-correlation-charset": lambda u: cybersource(u).create_access_token(
        cs_request(), v_c_client_correlation_id="AZaz09.-_:" * 3 + "abcdef"
    ),
    "pandadoc-no-arguments": lambda u: pandadoc(u).access_token(),
    "criteo": lambda u: criteo_api(u).get_token("client_credentials", "cid", SECRET),
    # Zuora's published limits: a client id of exactly 36 characters, a secret of 42 at most.
    "zuora-client-id-36-secret-42": lambda u: zuora(u).create_token(
        "c" * 36, SECRET[:30] + "s" * 12, "client_credentials"
    ),
    "zuora-non-ascii-secret": lambda u: zuora(u).create_token(
        ZUORA_CLIENT_ID, "s\u00e9cr\u00e8t \u65e5\u672c \U0001f642", "client_credentials"
    ),
}


@pytest.mark.parametrize("case", sorted(VALID_CALLS))
def test_valid_call_reaches_the_server(case: str, counter: AcceptCounter) -> None:
    VALID_CALLS[case](counter.url)
    assert counter.accepts == 1


# --- refused by the package: ApiTypeError / ApiValueError ----------------------------------

TRACK = "SECRETtrack"  # offending header values start with this


def _refused(
    call: Callable[[str], Any], error: str, where: str, shown: str | None = SECRET
) -> tuple[Callable[[str], Any], str, str, str | None]:
    """A case: the call, the error class name, the name the message gives, a value never shown."""
    return call, error, where, shown


def _bad_correlation_id(
    value: str, shown: str
) -> tuple[Callable[[str], Any], str, str, str | None]:
    """A case: CyberSource's call with the correlation id ``value``, refused without ``shown``."""
    return _refused(
        lambda u: cybersource(u).create_access_token(cs_request(), v_c_client_correlation_id=value),
        "ApiValueError",
        "v_c_client_correlation_id",
        shown,
    )


REFUSED: dict[str, tuple[Callable[[str], Any], str, str, str | None]] = {
    # explicit None for a required parameter
    "zuora-none-client_id": _refused(
        lambda u: zuora(u).create_token(None, SECRET, "client_credentials"),
        "ApiValueError",
        "client_id",
    ),
    "zuora-none-client_secret": _refused(
        lambda u: zuora(u).create_token(ZUORA_CLIENT_ID, None, "client_credentials"),
        "ApiValueError",
        "client_secret",
        None,
    ),
    "zuora-none-grant_type": _refused(
        lambda u: zuora(u).create_token(ZUORA_CLIENT_ID, SECRET, None),
        "ApiValueError",
        "grant_type",
    ),
    "criteo-none-client_secret": _refused(
        lambda u: criteo_api(u).get_token("client_credentials", "cid", None),
        "ApiValueError",
        "client_secret",
        None,
    ),
    "criteo-none-grant_type": _refused(
        lambda u: criteo_api(u).get_token(None, "cid", SECRET), "ApiValueError", "grant_type"
    ),
    "cybersource-none-request": _refused(
        lambda u: cybersource(u).create_access_token(None),
        "ApiValueError",
        "create_access_token_request",
        None,
    ),
    # wrong types
    "zuora-int-client_id": _refused(
        lambda u: zuora(u).create_token(4242424242, SECRET, "client_credentials"),
        "ApiTypeError",
        "client_id",
        "4242424242",
    ),
    "zuora-bool-client_secret": _refused(
        lambda u: zuora(u).create_token(ZUORA_CLIENT_ID, True, "client_credentials"),
        "ApiTypeError",
        "client_secret",
        "True",
    ),
    "zuora-bytes-client_secret": _refused(
        lambda u: zuora(u).create_token(ZUORA_CLIENT_ID, SECRET.encode(), "client_credentials"),
        "ApiTypeError",
        "client_secret",
    ),
    "zuora-int-track-id": _refused(
        lambda u: zuora(u).create_token(
            ZUORA_CLIENT_ID, SECRET, "client_credentials", zuora_track_id=987654321
        ),
        "ApiTypeError",
        "zuora_track_id",
        "987654321",
    ),
    "pandadoc-int-scope": _refused(
        lambda u: pandadoc(u).access_token(scope=4242424242), "ApiTypeError", "scope", "4242424242"
    ),
    "pandadoc-bool-client_secret": _refused(
        lambda u: pandadoc(u).access_token(client_id=SECRET, client_secret=False),
        "ApiTypeError",
        "client_secret",
    ),
    "pandadoc-list-grant_type": _refused(
        lambda u: pandadoc(u).access_token(grant_type=[SECRET]), "ApiTypeError", "grant_type"
    ),
    "criteo-int-grant_type": _refused(
        lambda u: criteo_api(u).get_token(1, "cid", SECRET), "ApiTypeError", "grant_type"
    ),
    "criteo-int-redirect_uri": _refused(
        lambda u: criteo_api(u).get_token("client_credentials", "cid", SECRET, redirect_uri=1),
        "ApiTypeError",
        "redirect_uri",
    ),
    "criteo-bytes-refresh_token": _refused(
        lambda u: criteo_api(u).get_token(
            "refresh_token", "cid", "sec", refresh_token=SECRET.encode()
        ),
        "ApiTypeError",
        "refresh_token",
    ),
    "cybersource-int-correlation-id": _refused(
        lambda u: cybersource(u).create_access_token(
            cs_request(), v_c_client_correlation_id=123456789012345678901234567890123456
        ),
        "ApiTypeError",
        "v_c_client_correlation_id",
        "123456789012345678901234567890123456",
    ),
    # enums
    "zuora-enum-grant_type": _refused(
        lambda u: zuora(u).create_token(ZUORA_CLIENT_ID, "sec", SECRET),
        "ApiValueError",
        "grant_type",
    ),
    "zuora-enum-grant_type-case": _refused(
        lambda u: zuora(u).create_token(ZUORA_CLIENT_ID, "sec", "Client_Credentials"),
        "ApiValueError",
        "grant_type",
    ),
    "criteo-enum-grant_type": _refused(
        lambda u: criteo_api(u).get_token("password", "cid", SECRET), "ApiValueError", "grant_type"
    ),
    "cybersource-enum-grant_type": _refused(
        lambda u: cybersource(u).create_access_token(cs_request(grant_type="client_credentials")),
        "ApiValueError",
        "create_access_token_request.grant_type",
    ),
    # Zuora-Track-Id: at most 64 US-ASCII characters, none of : ; " '
    "zuora-track-id-65": _refused(
        lambda u: zuora(u).create_token(
            ZUORA_CLIENT_ID, "sec", "client_credentials", zuora_track_id=(TRACK * 6)[:65]
        ),
        "ApiValueError",
        "zuora_track_id",
        TRACK,
    ),
    **{
        f"zuora-track-id-{label}": _refused(
            lambda u, char=char: zuora(u).create_token(
                ZUORA_CLIENT_ID, "sec", "client_credentials", zuora_track_id=f"{TRACK}{char}x"
            ),
            "ApiValueError",
            "zuora_track_id",
            TRACK,
        )
        for label, char in [
            ("colon", ":"),
            ("semicolon", ";"),
            ("double-quote", '"'),
            ("quote", "'"),
            ("e-acute", "\u00e9"),
            ("cjk", "\u65e5\u672c"),
            ("emoji", "\U0001f642"),
            ("tab", "\t"),
            ("crlf", "\r\nX-Injected: 1"),
            ("lf", "\n"),
            ("nul", "\0"),
        ]
    },
    # `$` also matches before a final newline: the header check must still refuse it.
    "zuora-track-id-trailing-lf": _refused(
        lambda u: zuora(u).create_token(
            ZUORA_CLIENT_ID, "sec", "client_credentials", zuora_track_id=f"{TRACK}\n"
        ),
        "ApiValueError",
        "zuora_track_id",
        TRACK,
    ),
    # Zuora client id: exactly 36 characters; client secret: at most 42
    "zuora-client_id-35": _refused(
        lambda u: zuora(u).create_token(ZUORA_CLIENT_ID[:35], SECRET, "client_credentials"),
        "ApiValueError",
        "client_id",
        ZUORA_CLIENT_ID[:35],
    ),
    "zuora-client_id-37": _refused(
        lambda u: zuora(u).create_token(ZUORA_CLIENT_ID + "0", SECRET, "client_credentials"),
        "ApiValueError",
        "client_id",
        ZUORA_CLIENT_ID,
    ),
    "zuora-client_id-empty": _refused(
        lambda u: zuora(u).create_token("", SECRET, "client_credentials"),
        "ApiValueError",
        "client_id",
    ),
    "zuora-client_secret-43": _refused(
        lambda u: zuora(u).create_token(ZUORA_CLIENT_ID, SECRET + "s" * 11, "client_credentials"),
        "ApiValueError",
        "client_secret",
    ),
    # CyberSource correlation id: exactly 36 of [A-Za-z0-9.-_:]
    "cybersource-correlation-35": _bad_correlation_id(CORRELATION_ID[:35], CORRELATION_ID[:35]),
    "cybersource-correlation-37": _bad_correlation_id(CORRELATION_ID + "0", CORRELATION_ID),
    "cybersource-correlation-bang": _bad_correlation_id(
        CORRELATION_ID[:35] + "!", CORRELATION_ID[:35]
    ),
    "cybersource-correlation-trailing-lf": _bad_correlation_id(
        CORRELATION_ID[:35] + "\n", CORRELATION_ID[:35]
    ),
    "cybersource-correlation-crlf": _bad_correlation_id(
        CORRELATION_ID[:34] + "\r\n", CORRELATION_ID[:34]
    ),
    # CR/LF in credentials, which also become a header
    "pandadoc-api-key-crlf": _refused(
        lambda u: pandadoc(u, api_key={"apiKey": SECRET + "\r\nX-Injected: 1"}).access_token(),
        "ApiValueError",
        "credentials of apiKey",
    ),
    "pandadoc-prefix-lf": _refused(
        lambda u: pandadoc(
            u, api_key={"apiKey": SECRET}, api_key_prefix={"apiKey": "API-Key\n"}
        ).access_token(),
        "ApiValueError",
        "credentials of apiKey",
    ),
    "pandadoc-access-token-lf": _refused(
        lambda u: pandadoc(u, access_token=SECRET + "\n").access_token(),
        "ApiValueError",
        "credentials of oauth2",
    ),
    "criteo-access-token-crlf": _refused(
        lambda u: criteo_api(u, access_token=SECRET + "\r\nX: 1").get_token(
            "client_credentials", "cid", "sec"
        ),
        "ApiValueError",
        "credentials of oauth",
    ),
    # the CyberSource request model
    "cybersource-missing-client_id": _refused(
        lambda u: cybersource(u).create_access_token(cs_request(client_id=None)),
        "ApiValueError",
        "create_access_token_request.client_id",
    ),
    # grant_type is required by our spec (see the comment in openapi/cybersource.yaml)
    "cybersource-missing-grant_type": _refused(
        lambda u: cybersource(u).create_access_token(cs_request(grant_type=None)),
        "ApiValueError",
        "create_access_token_request.grant_type",
    ),
    "cybersource-missing-client_secret": _refused(
        lambda u: cybersource(u).create_access_token(cs_request(client_secret=None)),
        "ApiValueError",
        "create_access_token_request.client_secret",
        None,
    ),
    "cybersource-documented-empty-request": _refused(
        lambda u: cybersource(u).create_access_token(CyberSource.CreateAccessTokenRequest()),
        "ApiValueError",
        "create_access_token_request.client_id",
        None,
    ),
    "cybersource-int-client_id": _refused(
        lambda u: cybersource(u).create_access_token(cs_request(client_id=4242424242)),
        "ApiTypeError",
        "create_access_token_request.client_id",
        "4242424242",
    ),
    "cybersource-dict-request": _refused(
        lambda u: cybersource(u).create_access_token(
            {"client_id": "cid", "client_secret": SECRET, "grant_type": "refresh_token"}
        ),
        "ApiTypeError",
        "create_access_token_request",
    ),
    "cybersource-response-model-as-request": _refused(
        lambda u: cybersource(u).create_access_token(
            CyberSource.AccessTokenResponse(access_token=SECRET)
        ),
        "ApiTypeError",
        "create_access_token_request",
    ),
    "cybersource-other-package-model": _refused(
        lambda u: cybersource(u).create_access_token(zuora_client.TokenResponse(jti=SECRET)),
        "ApiTypeError",
        "create_access_token_request",
    ),
    # text that cannot be encoded (a lone surrogate)
    "zuora-lone-surrogate": _refused(
        lambda u: zuora(u).create_token(ZUORA_CLIENT_ID, SECRET + "\ud800", "client_credentials"),
        "ApiValueError",
        "client_secret",
    ),
    # a grant without what it needs (RFC 6749 sections 4.1.3 and 6)
    "pandadoc-refresh-grant-without-refresh-token": _refused(
        lambda u: pandadoc(u).access_token(
            grant_type="refresh_token", client_id="cid", client_secret=SECRET
        ),
        "ApiValueError",
        "refresh_token",
    ),
    "pandadoc-code-grant-without-code": _refused(
        lambda u: pandadoc(u).access_token(
            grant_type="authorization_code", client_id="cid", client_secret=SECRET, code=""
        ),
        "ApiValueError",
        "code",
    ),
    "cybersource-refresh-grant-without-refresh-token": _refused(
        lambda u: cybersource(u).create_access_token(cs_request(refresh_token=None)),
        "ApiValueError",
        "create_access_token_request.refresh_token",
    ),
    "cybersource-code-grant-without-code": _refused(
        lambda u: cybersource(u).create_access_token(
            cs_request(grant_type="authorization_code", refresh_token=None)
        ),
        "ApiValueError",
        "create_access_token_request.code",
    ),
    "criteo-refresh-grant-without-refresh-token": _refused(
        lambda u: criteo_api(u).get_token("refresh_token", "cid", SECRET, code="c-1234"),
        "ApiValueError",
        "refresh_token",
    ),
    "criteo-code-grant-without-code": _refused(
        lambda u: criteo_api(u).get_token("authorization_code", "cid", SECRET),
        "ApiValueError",
        "code",
    ),
}



@pytest.mark.parametrize("case", sorted(REFUSED))
def test_refused_before_sending(case: str, counter: AcceptCounter) -> None:
    call, error, where, shown = REFUSED[case]
    package = PACKAGES[case.split("-")[0]]
    with pytest.raises(package.OpenApiException) as caught:
        call(counter.url)
    assert type(caught.value) is getattr(package, error)
    builtin = TypeError if error == "ApiTypeError" else ValueError
    assert isinstance(caught.value, builtin)
    assert counter.accepts == 0
    message = str(caught.value)
    assert f"`{where}`" in message
    texts = [message, repr(caught.value), *map(str, caught.value.args)]
    for value in {SECRET, shown} - {None}:
        for text in texts:
            assert value not in text


def test_a_word_outside_an_enum_is_named_in_the_message(counter: AcceptCounter) -> None:
    """A placeholder left in (the docs' 'grant_type_example') is repeated, so the user sees it."""
    with pytest.raises(zuora_client.ApiValueError) as caught:
        zuora(counter.url).create_token("c" * 36, "sec", "grant_type_example")
    assert "'grant_type_example' is not one of 'client_credentials'" in str(caught.value)
    with pytest.raises(zuora_client.ApiValueError) as caught:
        zuora(counter.url).create_token("c" * 36, "sec", SECRET)
    assert SECRET not in str(caught.value)
    assert counter.accepts == 0


def test_a_word_outside_an_enum_is_named_in_a_model_field_too(counter: AcceptCounter) -> None:
    """As a parameter's: CyberSource's body model field, though the body's name holds 'token'."""
    expected = (
        "Invalid value for `create_access_token_request.grant_type`: 'grant_type_example'"
        " is not one of 'authorization_code', 'refresh_token'"
    )
    with pytest.raises(CyberSource.ApiValueError) as caught:
        cybersource(counter.url).create_access_token(cs_request(grant_type="grant_type_example"))
    assert expected in str(caught.value)
    with pytest.raises(CyberSource.ApiValueError) as caught:
        cs_request(grant_type="grant_type_example").validate("create_access_token_request")
    assert expected in str(caught.value)
    with pytest.raises(CyberSource.ApiValueError) as caught:
        cybersource(counter.url).create_access_token(cs_request(grant_type=SECRET))
    assert "`create_access_token_request.grant_type`" in str(caught.value)
    assert SECRET not in str(caught.value)
    assert counter.accepts == 0


# --- refused by Python itself: plain TypeError ----------------------------------------------

PYTHON_ERRORS: dict[str, tuple[Callable[[str], Any], str]] = {
    "zuora-missing-grant_type": (
        lambda u: zuora(u).create_token(ZUORA_CLIENT_ID, SECRET),
        "grant_type",
    ),
    "zuora-no-arguments": (lambda u: zuora(u).create_token(), "client_id"),
    "zuora-unknown-keyword": (
        lambda u: zuora(u).create_token(
            ZUORA_CLIENT_ID, SECRET, "client_credentials", track_id="t"
        ),
        "track_id",
    ),
    "zuora-optional-positional": (
        lambda u: zuora(u).create_token(ZUORA_CLIENT_ID, SECRET, "client_credentials", "track"),
        "create_token",
    ),
    "cybersource-missing-request": (
        lambda u: cybersource(u).create_access_token(),
        "create_access_token_request",
    ),
    "cybersource-optional-positional": (
        lambda u: cybersource(u).create_access_token(cs_request(), CORRELATION_ID),
        "create_access_token",
    ),
    "cybersource-model-positional": (
        lambda u: CyberSource.CreateAccessTokenRequest("cid"),
        "__init__",
    ),
    "cybersource-model-unknown-field": (
        lambda u: CyberSource.CreateAccessTokenRequest(clientId="cid"),
        "clientId",
    ),
    "pandadoc-positional": (lambda u: pandadoc(u).access_token("refresh_token"), "access_token"),
    "criteo-missing-client_secret": (
        lambda u: criteo_api(u).get_token("client_credentials", "cid"),
        "client_secret",
    ),
    "criteo-optional-positional": (
        lambda u: criteo_api(u).get_token("authorization_code", "cid", "sec", "https://x"),
        "get_token",
    ),
    "criteo-wire-name-keyword": (
        lambda u: criteo_api(u).get_token("client_credentials", "cid", "sec", redirectUri="x"),
        "redirectUri",
    ),
}


@pytest.mark.parametrize("case", sorted(PYTHON_ERRORS))
def test_bad_call_shape_is_pythons_type_error(case: str, counter: AcceptCounter) -> None:
    call, named = PYTHON_ERRORS[case]
    with pytest.raises(TypeError) as caught:
        call(counter.url)
    assert type(caught.value) is TypeError  # Python's own, not the package's ApiTypeError
    assert named in str(caught.value)
    assert SECRET not in str(caught.value)
    assert counter.accepts == 0


# --- model checks without a request -----------------------------------------------------------


@pytest.mark.parametrize(
    ("model", "value", "error"),
    [
        (criteo.AccessTokenModel(expires_in=True), "bool", criteo.ApiTypeError),
        (criteo.AccessTokenModel(expires_in=1.5), "float", criteo.ApiTypeError),
        (criteo.AccessTokenModel(expires_in="900"), "str", criteo.ApiTypeError),
        (
            CyberSource.AccessTokenResponse(refresh_token_expires_in=False),
            "bool",
            CyberSource.ApiTypeError,
        ),
        (zuora_client.TokenResponse(expires_in=True), "bool", zuora_client.ApiTypeError),
    ],
)
def test_bool_and_other_types_are_not_ints(model: Any, value: str, error: Any) -> None:
    with pytest.raises(error) as caught:
        model.validate("token")
    assert f"got {value}" in str(caught.value)
    assert "`token." in str(caught.value)


def test_int_is_accepted_where_a_number_is_declared() -> None:
    zuora_client.TokenResponse(expires_in=3599).validate("token")
    pandadoc_client.OAuth2AccessTokenResponse(expires_in=31535999).validate("token")
    criteo.AccessTokenModel(expires_in=900, refresh_token=None).validate("token")
