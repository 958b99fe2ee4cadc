"""Property tests: any Unicode form value arrives exactly; bad header values never leave.

One in-process HTTP/1.1 server (module scope, tests/token_server.py) records every request; each
hypothesis example clears the record, calls the package, and checks what arrived: the
form body parsed with urllib.parse.parse_qs, the headers as the server read them, or
that nothing arrived at all when the call was refused with ApiValueError.
"""

from __future__ import annotations

import string
import uuid
from collections.abc import Iterator
from importlib import import_module
from types import ModuleType
from typing import Any, Callable
from urllib.parse import parse_qs, urlencode

import criteo_api_retailmedia_v2022_10 as criteo
import CyberSource
import pandadoc_client
import pytest
import zuora_client
from hypothesis import given, settings
from hypothesis import strategies as st
from providers import PACKAGES
from token_server import TokenServer, access

# Form fields that take any string (enum-constrained grant types are fixed instead).
FREE_FIELDS = {
    "cybersource": ("client_id", "client_secret", "code", "refresh_token"),
    "pandadoc": ("grant_type", "client_id", "client_secret", "code", "scope", "refresh_token"),
    "criteo": ("client_id", "client_secret", "redirect_uri", "code", "refresh_token"),
    "zuora": ("client_id", "client_secret"),
}
# Zuora's published limits: a client id of exactly 36 characters, a secret of 42 at most.
# CyberSource's refresh_token grant needs a refresh token (RFC 6749 section 6): not empty.
SIZES = {
    ("zuora", "client_id"): (36, 36),
    ("zuora", "client_secret"): (0, 42),
    ("cybersource", "refresh_token"): (1, None),
}
FIXED_FIELDS = {
    "cybersource": {"grant_type": "refresh_token"},
    "pandadoc": {},
    "criteo": {"grant_type": "client_credentials"},
    "zuora": {"grant_type": "client_credentials"},
}
EXAMPLES = settings(max_examples=60, deadline=None)
# The providers whose form fields are listed above; one added since is skipped, saying so.
FORM_PROVIDERS = [
    name
    if name in FREE_FIELDS
    else pytest.param(
        name, marks=pytest.mark.skip(reason=f"{name}: no FREE_FIELDS/FIXED_FIELDS entry here")
    )
    for name in sorted(PACKAGES)
]

# Zuora-Track-Id: visible US-ASCII and space, none of : ; " '
TRACK_ID_ALPHABET = "".join(
    c for c in string.printable if " " <= c <= "~" and c not in ":;\"'"
)
CORRELATION_ALPHABET = string.ascii_letters + string.digits + ".-_:"
PRINTABLE_ASCII = "".join(chr(c) for c in range(0x20, 0x7F))

# Characters no header value may hold: CR, LF, other controls (tab aside), DEL, non-ASCII.
CONTROL = st.characters(categories=["Cc"], exclude_characters="\t")
NON_ASCII = st.characters(min_codepoint=0x80)
NEVER_IN_A_HEADER = st.one_of(st.sampled_from("\r\n\x00\x7f"), CONTROL, NON_ASCII)


def with_bad_char(alphabet: str, bad: st.SearchStrategy[str], size: int = 20) -> Any:
    """Strings of ``alphabet`` characters with one ``bad`` character somewhere."""
    ok = st.text(alphabet=alphabet, max_size=size)
    return st.tuples(ok, bad, ok).map("".join)


# --- the server ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def server() -> Iterator[TokenServer]:
    """Records every request (tests/token_server.py); each example clears the record."""
    token_server = TokenServer()
    yield token_server
    token_server.close()


@pytest.fixture(scope="module")
def clients(server: TokenServer) -> Iterator[dict[str, Any]]:
    """One ApiClient per package, reused by every example."""
    made = {
        name: package.ApiClient(package.Configuration(host=server.url, retries=0))
        for name, package in PACKAGES.items()
    }
    yield made
    for client in made.values():
        client.close()


def send(provider: str, client: Any, fields: dict[str, str], **extra: Any) -> Any:
    """Call the token operation with these form fields (by wire name)."""
    if provider == "cybersource":
        request = CyberSource.CreateAccessTokenRequest(**fields)
        return CyberSource.OAuthApi(client).create_access_token(request, **extra)
    if provider == "pandadoc":
        return pandadoc_client.OAuth20AuthenticationApi(client).access_token(**fields, **extra)
    if provider == "criteo":
        return criteo.OAuthApi(client).get_token(**fields, **extra)
    return zuora_client.OAuthApi(client).create_token(**fields, **extra)


def any_text(provider: str, name: str) -> st.SearchStrategy[str]:
    """Any text the field accepts: of any length, unless the spec limits it."""
    low, high = SIZES.get((provider, name), (0, None))
    return st.text(min_size=low, max_size=high)


def valid_fields(provider: str) -> dict[str, str]:
    free = {
        name: "v" * max(1, SIZES.get((provider, name), (1, None))[0])
        for name in FREE_FIELDS[provider]
    }
    return {**free, **FIXED_FIELDS[provider]}


def refused(
    server: TokenServer, package: ModuleType, attempt: Callable[[], object], name: str
) -> None:
    """The call raises ApiValueError naming ``name``, and nothing reaches the server."""
    server.clear()
    with pytest.raises(package.ApiValueError) as caught:
        attempt()
    assert name in str(caught.value)
    assert server.taken() == []


# --- form fields --------------------------------------------------------------------------


def for_each_form_provider(test: Callable[..., None]) -> Any:
    """A property of every provider's form, its values drawn from ``data``."""
    return pytest.mark.parametrize("provider", FORM_PROVIDERS)(
        EXAMPLES(given(data=st.data())(test))
    )


@for_each_form_provider
def test_any_unicode_form_value_arrives_exactly(
    provider: str, data: st.DataObject, server: TokenServer, clients: dict[str, Any]
) -> None:
    free = data.draw(
        st.fixed_dictionaries({name: any_text(provider, name) for name in FREE_FIELDS[provider]}),
        label="fields",
    )
    fields = {**free, **FIXED_FIELDS[provider]}
    server.clear()
    token = send(provider, clients[provider], fields)
    assert token.access_token == access(1)  # the first request since the record was cleared
    [received] = server.taken()
    assert received.headers["content-type"] == "application/x-www-form-urlencoded"
    parsed = parse_qs(
        received.body.decode("ascii"),  # form encoding is pure ASCII on the wire
        keep_blank_values=True,
        strict_parsing=True,
        encoding="utf-8",
        errors="strict",
    )
    assert parsed == {name: [value] for name, value in fields.items()}


@for_each_form_provider
def test_lone_surrogate_is_refused_before_sending(
    provider: str, data: st.DataObject, server: TokenServer, clients: dict[str, Any]
) -> None:
    name = data.draw(st.sampled_from(FREE_FIELDS[provider]), label="field")
    value = data.draw(
        st.tuples(st.text(), st.characters(categories=["Cs"]), st.text()).map("".join),
        label="value",
    )
    fields = {**valid_fields(provider), name: value}
    refused(server, PACKAGES[provider], lambda: send(provider, clients[provider], fields), name)


# --- header values ------------------------------------------------------------------------


@EXAMPLES
@given(track_id=st.text(alphabet=TRACK_ID_ALPHABET, max_size=64))
def test_valid_zuora_track_id_arrives(
    track_id: str, server: TokenServer, clients: dict[str, Any]
) -> None:
    server.clear()
    send("zuora", clients["zuora"], valid_fields("zuora"), zuora_track_id=track_id)
    [received] = server.taken()
    # Leading and trailing spaces are not part of an HTTP field value.
    assert received.headers["zuora-track-id"].strip(" ") == track_id.strip(" ")


@EXAMPLES
@given(
    track_id=st.one_of(
        with_bad_char(TRACK_ID_ALPHABET, st.sampled_from(":;\"'")),
        with_bad_char(TRACK_ID_ALPHABET, NEVER_IN_A_HEADER),
        with_bad_char(TRACK_ID_ALPHABET, st.just("\t")),
        st.text(alphabet=TRACK_ID_ALPHABET, min_size=65, max_size=300),
    )
)
def test_bad_zuora_track_id_is_refused(
    track_id: str, server: TokenServer, clients: dict[str, Any]
) -> None:
    refused(
        server,
        zuora_client,
        lambda: send("zuora", clients["zuora"], valid_fields("zuora"), zuora_track_id=track_id),
        "zuora_track_id",
    )


@EXAMPLES
@given(correlation_id=st.text(alphabet=CORRELATION_ALPHABET, min_size=36, max_size=36))
def test_valid_cybersource_correlation_id_arrives(
    correlation_id: str, server: TokenServer, clients: dict[str, Any]
) -> None:
    server.clear()
    send(
        "cybersource",
        clients["cybersource"],
        valid_fields("cybersource"),
        v_c_client_correlation_id=correlation_id,
    )
    [received] = server.taken()
    assert received.headers["v-c-client-correlation-id"] == correlation_id


@EXAMPLES
@given(
    position=st.integers(min_value=0, max_value=35),
    bad=st.one_of(NEVER_IN_A_HEADER, st.sampled_from(" /@\t\"';")),
)
def test_bad_cybersource_correlation_id_is_refused(
    position: int, bad: str, server: TokenServer, clients: dict[str, Any]
) -> None:
    # A 36-character UUID with one character swapped for one the header cannot carry.
    valid = str(uuid.UUID(int=position + 1))
    correlation_id = valid[:position] + bad + valid[position + 1 :]
    refused(
        server,
        CyberSource,
        lambda: send(
            "cybersource",
            clients["cybersource"],
            valid_fields("cybersource"),
            v_c_client_correlation_id=correlation_id,
        ),
        "v_c_client_correlation_id",
    )


# Credentials travel in the Authorization header; a configured value must be printable.
CREDENTIALS = [
    pytest.param("pandadoc", "api_key", "API-Key ", id="pandadoc-api_key"),
    pytest.param("pandadoc", "access_token", "Bearer ", id="pandadoc-access_token"),
    pytest.param("criteo", "access_token", "Bearer ", id="criteo-access_token"),
]


def configured(provider: str, server: TokenServer, kind: str, value: str) -> Any:
    package = PACKAGES[provider]
    if kind == "api_key":
        configuration = package.Configuration(
            host=server.url, api_key={"apiKey": value}, api_key_prefix={"apiKey": "API-Key"}
        )
    else:
        configuration = package.Configuration(host=server.url, access_token=value)
    return package.ApiClient(configuration)


@pytest.mark.parametrize(("provider", "kind", "prefix"), CREDENTIALS)
@EXAMPLES
@given(value=st.text(alphabet=PRINTABLE_ASCII + "\t", min_size=1, max_size=80))
def test_printable_credential_arrives(
    provider: str, kind: str, prefix: str, value: str, server: TokenServer
) -> None:
    server.clear()
    with configured(provider, server, kind, value) as client:
        send(provider, client, valid_fields(provider))
    [received] = server.taken()
    assert received.headers["authorization"].strip(" \t") == (prefix + value).strip(" \t")


@pytest.mark.parametrize(("provider", "kind", "prefix"), CREDENTIALS)
@EXAMPLES
@given(value=with_bad_char(PRINTABLE_ASCII, NEVER_IN_A_HEADER, size=40))
def test_bad_credential_is_refused(
    provider: str, kind: str, prefix: str, value: str, server: TokenServer
) -> None:
    client = configured(provider, server, kind, value)
    with client:
        refused(
            server,
            PACKAGES[provider],
            lambda: send(provider, client, valid_fields(provider)),
            "credentials",
        )


class _FixedTokenSource:
    """A token manager stand-in that hands out one fixed token."""

    def __init__(self, token: str) -> None:
        self.token = token

    def get_token(self) -> str:
        return self.token

    def invalidate(self) -> None:
        pass


@pytest.mark.parametrize("provider", ["pandadoc", "criteo"])
@EXAMPLES
@given(value=with_bad_char(PRINTABLE_ASCII, NEVER_IN_A_HEADER, size=40))
def test_bad_token_from_a_token_manager_is_refused(provider: str, value: str, server: TokenServer) -> None:
    package = PACKAGES[provider]
    configuration = package.Configuration(host=server.url, token_manager=_FixedTokenSource(value))
    with package.ApiClient(configuration) as client:
        refused(
            server,
            package,
            lambda: send(provider, client, valid_fields(provider)),
            "token_manager",
        )


@pytest.mark.parametrize("package", PACKAGES.values(), ids=list(PACKAGES))
@settings(max_examples=300, deadline=None)
@given(fields=st.lists(st.tuples(st.text(), st.text()), max_size=6))
def test_form_body_is_byte_for_byte_what_urlencode_gives(
    package: ModuleType, fields: list[tuple[str, str]]
) -> None:
    """The packages build form bodies without urlencode (it is slow); the bytes must not differ."""
    form_body = import_module(f"{package.__name__}._request").form_body
    try:
        expected = urlencode(fields).encode("ascii")
    except UnicodeEncodeError:  # a lone surrogate: the parameter checks refuse it before this
        with pytest.raises(UnicodeEncodeError):
            form_body(fields)
    else:
        assert form_body(fields) == expected
