"""An operation's arguments laid out as an HTTP request: path, query, headers, cookies, body.

Parameters are serialised as OpenAPI 3.0 says for their ``style`` and ``explode``:
arrays in a query are repeated keys by default (``form``, exploded), or joined
with commas, spaces or pipes; objects become ``key=value`` pairs or
``name[key]=value`` (``deepObject``).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from typing import Any, BinaryIO, NamedTuple, Optional, Union
from urllib.parse import quote, quote_plus

import urllib3

from ._schema import Schema
from .exceptions import ApiValueError

#: The characters a form field keeps as they are (RFC 3986 unreserved); quote_plus quotes the rest.
FORM_SAFE = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-~"

#: Where a parameter goes. A ``body`` sent with a form content type is a model (or a
#: mapping) whose properties are the form fields.
LOCATIONS = ("path", "query", "header", "cookie", "form", "multipart", "body")

#: The content types whose body is a list of fields.
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")

_DEFAULT_STYLE = {"path": "simple", "query": "form", "header": "simple", "cookie": "form"}
_JOINERS = {"form": ",", "simple": ",", "spaceDelimited": " ", "pipeDelimited": "|"}


class Param:
    """One parameter of an operation: Python name, wire name, place, type and style."""

    __slots__ = (
        "explode",
        "location",
        "name",
        "plain",
        "required",
        "schema",
        "secret",
        "style",
        "wire",
    )

    def __init__(
        self,
        name: str,
        wire: str,
        location: str,
        schema: Schema,
        *,
        required: bool = False,
        style: Optional[str] = None,
        explode: Optional[bool] = None,
        secret: bool = False,
    ) -> None:
        if location not in LOCATIONS:
            raise ValueError(f"unknown parameter location {location!r}")
        self.name = name
        self.wire = wire
        self.location = location
        self.schema = schema
        self.required = required
        self.style = style or _DEFAULT_STYLE.get(location, "form")
        self.explode = explode if explode is not None else self.style == "form"
        self.secret = secret
        self.plain = schema.plain


class Request(NamedTuple):
    """What goes on the wire, before credentials and default headers are added."""

    path: str
    query: list[tuple[str, str]]
    headers: dict[str, str]
    body: Optional[bytes]
    #: The form fields a form body carries, by wire name (the retry policy reads grant_type).
    fields: Mapping[str, Any]


def build_request(
    path: str,
    params: tuple[Param, ...],
    arguments: Mapping[str, Any],
    content_type: Optional[str],
    accept: Optional[str],
) -> Request:
    """Check every argument against its parameter and lay them out; sends nothing.

    Raises ApiTypeError or ApiValueError naming the parameter.
    """
    query: list[tuple[str, str]] = []
    headers: dict[str, str] = {}
    cookies: list[str] = []
    form: list[tuple[str, Any]] = []
    body: Optional[bytes] = None
    for param in params:
        value = arguments.get(param.name)
        if value is None:
            if param.required:
                raise ApiValueError(f"Missing the required parameter `{param.name}`")
            continue
        plain = type(value) is param.plain  # an unconstrained str, int or bool: nothing to convert
        if not plain or (param.plain is str and not value.isascii()):
            value = param.schema.encode(value, param.name)  # checks, and converts to JSON data
        location = param.location
        if location == "form" or location == "multipart":
            if isinstance(value, list) and location == "form":
                form.extend((param.wire, item) for item in value)
            else:
                form.append((param.wire, value))
        elif location == "query":
            query.extend(_query_pairs(param, value))
        elif location == "header":
            headers[param.wire] = header_value(_simple(param, value), param.name)
        elif location == "path":
            path = path.replace("{" + param.wire + "}", _path_segment(param, value))
        elif location == "cookie":
            cookies.append(f"{param.wire}={_cookie_text(param, value)}")
        elif content_type in FORM_TYPES and isinstance(value, dict):  # a form body model
            form.extend(value.items())
        else:  # body
            body = json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    if cookies:
        headers["Cookie"] = "; ".join(cookies)
    if content_type == "multipart/form-data":
        body, content_type = multipart_body(form)
    elif form or content_type == "application/x-www-form-urlencoded":
        body = form_body([(name, text(value)) for name, value in form])
    if content_type is not None and body is not None:
        headers["Content-Type"] = content_type
    if accept is not None:
        headers["Accept"] = accept
    return Request(path, query, headers, body, dict(form) if form else {})


def text(value: Any) -> str:
    """A JSON-ready value as parameter text: booleans as true/false, objects as JSON."""
    if type(value) is str:
        return value
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return str(value)


def _query_pairs(param: Param, value: Any) -> list[tuple[str, str]]:
    if isinstance(value, list):
        if param.explode and param.style == "form":
            return [(param.wire, text(item)) for item in value]
        joiner = _JOINERS.get(param.style, ",")
        return [(param.wire, joiner.join(text(item) for item in value))]
    if isinstance(value, dict):
        if param.style == "deepObject":
            return [(f"{param.wire}[{key}]", text(item)) for key, item in value.items()]
        if param.explode and param.style == "form":
            return [(key, text(item)) for key, item in value.items()]
        joiner = _JOINERS.get(param.style, ",")
        pairs = (f"{key}{joiner}{text(item)}" for key, item in value.items())
        return [(param.wire, joiner.join(pairs))]
    return [(param.wire, text(value))]


def _simple(param: Param, value: Any) -> str:
    """``simple`` style: arrays and objects as comma-separated text."""
    if isinstance(value, list):
        return ",".join(text(item) for item in value)
    if isinstance(value, dict):
        pair = "=" if param.explode else ","
        return ",".join(f"{key}{pair}{text(item)}" for key, item in value.items())
    return text(value)


def _path_segment(param: Param, value: Any) -> str:
    """A path parameter, percent-encoded, in its style (simple, label or matrix)."""
    explode = param.explode
    if isinstance(value, list):
        items = [quote(text(item), safe="") for item in value]
    elif isinstance(value, dict):
        pair = "=" if explode else ","  # exploded objects are key=value pairs
        items = [
            f"{quote(key, safe='')}{pair}{quote(text(item), safe='')}"
            for key, item in value.items()
        ]
        if explode and param.style == "matrix":
            return "".join(f";{item}" for item in items)
    else:
        items = [quote(text(value), safe="")]
    if param.style == "label":
        return "." + ("." if explode else ",").join(items)
    if param.style == "matrix":
        if explode and isinstance(value, list):
            return "".join(f";{param.wire}={item}" for item in items)
        return f";{param.wire}=" + ",".join(items)
    return ",".join(items)


def _cookie_text(param: Param, value: Any) -> str:
    cookie = _simple(param, value)
    if any(char in cookie for char in ' ;,"\\') or not cookie.isascii() or not cookie.isprintable():
        cookie = quote(cookie, safe="")
    return cookie


def header_value(value: str, name: str) -> str:
    """A header value, refused unless it is visible ASCII, spaces and tabs."""
    if value.isascii() and value.isprintable():  # visible ASCII and spaces: the common case
        return value
    if not all(char == "\t" or " " <= char <= "~" for char in value):
        raise ApiValueError(
            f"Invalid value for `{name}`: a header holds only printable ASCII (no CR, LF or control)"
        )
    return value


def form_body(fields: list[tuple[str, str]]) -> bytes:
    """Form fields as an application/x-www-form-urlencoded body, byte for byte what urlencode gives.

    Text made only of unreserved characters needs no quoting and is taken as it is
    (``text.strip(FORM_SAFE)`` leaves nothing of it); the rest goes through quote_plus.
    """
    return "&".join(
        [
            (name if not name.strip(FORM_SAFE) else quote_plus(name))
            + "="
            + (value if not value.strip(FORM_SAFE) else quote_plus(value))
            for name, value in fields
        ]
    ).encode("ascii")


def multipart_body(fields: list[tuple[str, Any]]) -> tuple[bytes, str]:
    """A multipart/form-data body and its Content-Type (with the boundary).

    Bytes, ``(filename, bytes[, content type])`` and binary files are file parts;
    other values are text parts (objects as JSON).
    """
    parts: list[tuple[str, Any]] = []
    for name, value in fields:
        if isinstance(value, bytes):
            parts.append((name, (name, value, "application/octet-stream")))
        elif isinstance(value, tuple):
            parts.append((name, value))
        elif callable(getattr(value, "read", None)):
            filename = os.path.basename(str(getattr(value, "name", name)))
            parts.append((name, (filename, value.read(), "application/octet-stream")))
        else:
            parts.append((name, text(value)))
    return urllib3.encode_multipart_formdata(parts)


#: What a file parameter takes: the bytes, ``(filename, bytes[, content type])``, or a binary file.
FileInput = Union[bytes, tuple[str, bytes], tuple[str, bytes, str], BinaryIO]
