"""_request: arguments laid out as OpenAPI 3.0 says, for every location, style and explode.

The expected texts are the examples of the OpenAPI 3.0 specification's style table
(``id`` = 5, [3, 4, 5] or {"role": "admin", "firstName": "Alex"}).
"""

from __future__ import annotations

import email.parser
import email.policy
import io
from typing import Any, Optional
from urllib.parse import urlencode

import pytest
from hypothesis import given
from hypothesis import strategies as st
from runtime_under_test._model import Prop
from runtime_under_test._request import (
    Param,
    Request,
    build_request,
    form_body,
    header_value,
    multipart_body,
    text,
)
from runtime_under_test._schema import ANY, Binary, Bool, ListOf, MapOf, ModelSchema, Number, Str
from runtime_under_test.exceptions import ApiTypeError, ApiValueError
from token_operation import KeywordModel

PRIMITIVE = 5
ARRAY = [3, 4, 5]
OBJECT = {"role": "admin", "firstName": "Alex"}
SCHEMAS = {
    "primitive": Number(integer=True),
    "array": ListOf(Number(integer=True)),
    "object": MapOf(Str()),
}
VALUES = {"primitive": PRIMITIVE, "array": ARRAY, "object": OBJECT}


def build(
    location: str,
    kind: str,
    style: Optional[str] = None,
    explode: Optional[bool] = None,
    path: str = "/users/{id}",
) -> Request:
    param = Param("id", "id", location, SCHEMAS[kind], style=style, explode=explode)
    return build_request(path, (param,), {"id": VALUES[kind]}, None, None)


# --- path ---------------------------------------------------------------------------------

PATH_CASES = [
    # style, explode, kind, the path segment
    ("simple", False, "primitive", "5"),
    ("simple", False, "array", "3,4,5"),
    ("simple", False, "object", "role,admin,firstName,Alex"),
    ("simple", True, "primitive", "5"),
    ("simple", True, "array", "3,4,5"),
    ("simple", True, "object", "role=admin,firstName=Alex"),
    ("label", False, "primitive", ".5"),
    ("label", False, "array", ".3,4,5"),
    ("label", False, "object", ".role,admin,firstName,Alex"),
    ("label", True, "primitive", ".5"),
    ("label", True, "array", ".3.4.5"),
    ("label", True, "object", ".role=admin.firstName=Alex"),
    ("matrix", False, "primitive", ";id=5"),
    ("matrix", False, "array", ";id=3,4,5"),
    ("matrix", False, "object", ";id=role,admin,firstName,Alex"),
    ("matrix", True, "primitive", ";id=5"),
    ("matrix", True, "array", ";id=3;id=4;id=5"),
    ("matrix", True, "object", ";role=admin;firstName=Alex"),
]


@pytest.mark.parametrize(("style", "explode", "kind", "segment"), PATH_CASES)
def test_path_styles(style: str, explode: bool, kind: str, segment: str) -> None:
    assert build("path", kind, style, explode).path == f"/users/{segment}"


def test_path_defaults_to_simple_without_explode() -> None:
    param = Param("id", "id", "path", ListOf(Str()))
    assert (param.style, param.explode) == ("simple", False)
    assert build("path", "object").path == "/users/role,admin,firstName,Alex"


def test_path_values_are_percent_encoded_whole() -> None:
    param = Param("name", "name", "path", Str())
    request = build_request("/a/{name}/b", (param,), {"name": "x/y z?{id}#\u00e9"}, None, None)
    assert request.path == "/a/x%2Fy%20z%3F%7Bid%7D%23%C3%A9/b"


# --- query --------------------------------------------------------------------------------

QUERY_CASES = [
    ("form", True, "primitive", [("id", "5")]),
    ("form", True, "array", [("id", "3"), ("id", "4"), ("id", "5")]),
    ("form", True, "object", [("role", "admin"), ("firstName", "Alex")]),
    ("form", False, "primitive", [("id", "5")]),
    ("form", False, "array", [("id", "3,4,5")]),
    ("form", False, "object", [("id", "role,admin,firstName,Alex")]),
    ("spaceDelimited", False, "array", [("id", "3 4 5")]),
    ("spaceDelimited", False, "object", [("id", "role admin firstName Alex")]),
    ("pipeDelimited", False, "array", [("id", "3|4|5")]),
    ("pipeDelimited", False, "object", [("id", "role|admin|firstName|Alex")]),
    ("deepObject", True, "object", [("id[role]", "admin"), ("id[firstName]", "Alex")]),
]


@pytest.mark.parametrize(("style", "explode", "kind", "pairs"), QUERY_CASES)
def test_query_styles(style: str, explode: bool, kind: str, pairs: list[tuple[str, str]]) -> None:
    assert build("query", kind, style, explode).query == pairs


def test_query_defaults_to_form_exploded() -> None:
    param = Param("id", "id", "query", ListOf(Str()))
    assert (param.style, param.explode) == ("form", True)
    assert build("query", "array").query == [("id", "3"), ("id", "4"), ("id", "5")]


def test_query_text_of_booleans_and_objects() -> None:
    params = (
        Param("flag", "flag", "query", Bool()),
        Param("filter", "filter", "query", ANY, style="form", explode=False),
    )
    request = build_request("/", params, {"flag": False, "filter": [{"a": 1}]}, None, None)
    assert request.query == [("flag", "false"), ("filter", '{"a":1}')]


# --- header and cookie --------------------------------------------------------------------

HEADER_CASES = [
    (False, "primitive", "5"),
    (False, "array", "3,4,5"),
    (False, "object", "role,admin,firstName,Alex"),
    (True, "primitive", "5"),
    (True, "array", "3,4,5"),
    (True, "object", "role=admin,firstName=Alex"),
]


@pytest.mark.parametrize(("explode", "kind", "value"), HEADER_CASES)
def test_header_simple_style(explode: bool, kind: str, value: str) -> None:
    assert build("header", kind, "simple", explode).headers == {"id": value}


def test_header_defaults_to_simple_without_explode() -> None:
    param = Param("x", "X-Id", "header", Str())
    assert (param.style, param.explode) == ("simple", False)


@pytest.mark.parametrize(
    "bad", ["a\r\nSet-Cookie: x=1", "a\nb", "a\rb", "a\x00b", "caf\u00e9", "a\x7f"]
)
def test_header_injection_is_refused_before_sending(bad: str) -> None:
    param = Param("trace_id", "X-Trace-Id", "header", Str())
    with pytest.raises(ApiValueError) as caught:
        build_request("/", (param,), {"trace_id": bad}, None, None)
    assert "`trace_id`" in str(caught.value)
    assert "printable ASCII" in str(caught.value)
    assert bad not in str(caught.value)


def test_header_value_allows_tabs_and_spaces() -> None:
    assert header_value("a\tb c~", "x") == "a\tb c~"


def test_cookies_are_joined_and_quoted_when_they_must_be() -> None:
    params = (
        Param("session", "session", "cookie", Str()),
        Param("ids", "ids", "cookie", ListOf(Number(integer=True)), explode=False),
        Param("note", "note", "cookie", Str()),
    )
    request = build_request(
        "/", params, {"session": "abc", "ids": [3, 4, 5], "note": 'a b;c"\u00e9'}, None, None
    )
    assert request.headers == {"Cookie": "session=abc; ids=3%2C4%2C5; note=a%20b%3Bc%22%C3%A9"}
    assert Param("c", "c", "cookie", Str()).style == "form"


def test_a_cookie_without_special_characters_is_sent_as_it_is() -> None:
    param = Param("c", "c", "cookie", ListOf(Str()), explode=False)
    assert build_request("/", (param,), {"c": ["a", "b"]}, None, None).headers == {
        "Cookie": "c=a%2Cb"
    }
    single = Param("c", "c", "cookie", Str())
    assert build_request("/", (single,), {"c": "a-b.c"}, None, None).headers == {
        "Cookie": "c=a-b.c"
    }


# --- bodies -------------------------------------------------------------------------------


def test_form_body_with_content_type_and_fields() -> None:
    params = (
        Param("grant_type", "grant_type", "form", Str(), required=True),
        Param("scope", "scope", "form", ListOf(Str())),
        Param("client_secret", "client_secret", "form", Str()),
    )
    request = build_request(
        "/token",
        params,
        {"grant_type": "client_credentials", "scope": ["a b", "c"], "client_secret": "s&=+/"},
        "application/x-www-form-urlencoded",
        "application/json",
    )
    assert (
        request.body
        == b"grant_type=client_credentials&scope=a+b&scope=c&client_secret=s%26%3D%2B%2F"
    )
    assert request.headers == {
        "Content-Type": "application/x-www-form-urlencoded",
        "Accept": "application/json",
    }
    assert request.fields == {
        "grant_type": "client_credentials",
        "scope": "c",
        "client_secret": "s&=+/",
    }


def test_an_empty_form_is_an_empty_body() -> None:
    param = Param("scope", "scope", "form", Str())
    request = build_request("/", (param,), {}, "application/x-www-form-urlencoded", None)
    assert request.body == b""
    assert request.headers == {"Content-Type": "application/x-www-form-urlencoded"}
    assert request.fields == {}


class Credentials(KeywordModel):
    _props = (
        Prop("client_id", "client_id", Str(), required=True),
        Prop("client_secret", "client_secret", Str(), required=True, secret=True),
        Prop("scope", "scope", Str()),
    )


def credentials_body(name: str, content_type: Optional[str], **values: str) -> Request:
    """A request whose one parameter, the body ``name``, is Credentials(**values)."""
    param = Param(name, name, "body", ModelSchema(Credentials), required=True)
    return build_request("/", (param,), {name: Credentials(**values)}, content_type, None)


def test_a_body_model_with_a_form_content_type_is_its_properties_as_fields() -> None:
    form = "application/x-www-form-urlencoded"
    request = credentials_body("request", form, client_id="id", client_secret="se cret")
    assert request.body == b"client_id=id&client_secret=se+cret"
    assert request.headers == {"Content-Type": form}
    assert request.fields == {"client_id": "id", "client_secret": "se cret"}
    with pytest.raises(
        ApiValueError, match=r"^Missing the required parameter `request.client_secret`$"
    ):
        credentials_body("request", None, client_id="id")


def test_a_json_body_is_compact_utf8() -> None:
    request = credentials_body(
        "body", "application/json", client_id="id", client_secret="s\u00e9cret"
    )
    assert request.body == '{"client_id":"id","client_secret":"s\u00e9cret"}'.encode()
    assert request.headers == {"Content-Type": "application/json"}
    assert request.fields == {}


def test_no_body_no_content_type() -> None:
    param = Param("body", "body", "body", ANY)
    assert build_request("/", (param,), {}, "application/json", None).headers == {}


def parts(body: bytes, content_type: str) -> list[Any]:
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + body
    )
    return list(message.iter_parts())


def test_multipart_bytes_tuples_files_and_text() -> None:
    params = (
        Param("data", "data", "multipart", Binary()),
        Param("named", "named", "multipart", Binary()),
        Param("upload", "upload", "multipart", Binary()),
        Param("count", "count", "multipart", Number(integer=True)),
        Param("meta", "meta", "multipart", ANY),
    )
    upload = io.BytesIO(b"file bytes")
    upload.name = "/tmp/folder/report.pdf"
    request = build_request(
        "/upload",
        params,
        {
            "data": b"\x00\x01",
            "named": ("a.txt", b"hello", "text/plain"),
            "upload": upload,
            "count": 3,
            "meta": {"k": True},
        },
        "multipart/form-data",
        None,
    )
    content_type = request.headers["Content-Type"]
    assert content_type.startswith("multipart/form-data; boundary=")
    assert request.body is not None
    found = {
        part.get_param("name", header="content-disposition"): (
            part.get_filename(),
            part.get_content_type(),
            part.get_payload(decode=True),
        )
        for part in parts(request.body, content_type)
    }
    assert found == {
        "data": ("data", "application/octet-stream", b"\x00\x01"),
        "named": ("a.txt", "text/plain", b"hello"),
        "upload": ("report.pdf", "application/octet-stream", b"file bytes"),
        "count": (None, "text/plain", b"3"),
        "meta": (None, "text/plain", b'{"k":true}'),
    }


def test_multipart_body_returns_its_boundary() -> None:
    body, content_type = multipart_body([("a", "1")])
    boundary = content_type.split("boundary=", 1)[1]
    assert body.startswith(b"--" + boundary.encode())


# --- arguments ----------------------------------------------------------------------------


def test_required_arguments_and_their_types_are_checked_first() -> None:
    params = (
        Param("client_id", "client_id", "form", Str(), required=True),
        Param("limit", "limit", "query", Number(integer=True)),
    )
    with pytest.raises(ApiValueError, match=r"^Missing the required parameter `client_id`$"):
        build_request("/", params, {"limit": 1}, None, None)
    with pytest.raises(ApiTypeError, match="`limit`: expected int, got str"):
        build_request("/", params, {"client_id": "x", "limit": "1"}, None, None)
    assert build_request("/", params, {"client_id": "x", "limit": None}, None, None).query == []


def test_an_unknown_location_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown parameter location 'body2'"):
        Param("x", "x", "body2", Str())


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("a", "a"),
        (True, "true"),
        (False, "false"),
        (3, "3"),
        (2.5, "2.5"),
        ([1, "a"], '[1,"a"]'),
        ({"\u00e9": None}, '{"\u00e9":null}'),
    ],
)
def test_text(value: Any, shown: str) -> None:
    assert text(value) == shown


FIELD_TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=20)


@given(st.lists(st.tuples(FIELD_TEXT, FIELD_TEXT), max_size=5))
def test_form_body_is_byte_for_byte_urlencode(fields: list[tuple[str, str]]) -> None:
    assert form_body(fields) == urlencode(fields).encode("ascii")


def test_form_body_examples() -> None:
    fields = [("a~b", "c d"), ("e", "f+g&h=i"), ("k", "\u00e9*"), ("", "")]
    assert form_body(fields) == b"a~b=c+d&e=f%2Bg%26h%3Di&k=%C3%A9%2A&="
    assert form_body(fields) == urlencode(fields).encode()
