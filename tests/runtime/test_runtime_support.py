"""exceptions, api_response and _lazy: the small modules every package carries."""

from __future__ import annotations

import pickle
import sys
import types

import pytest
from runtime_under_test._lazy import lazy_attributes
from runtime_under_test._schema import Number
from runtime_under_test.api_response import ApiResponse
from runtime_under_test.exceptions import (
    ApiConnectionError,
    ApiException,
    ApiTimeoutError,
    ApiTypeError,
    ApiValueError,
    BadRequestException,
    ConflictException,
    ForbiddenException,
    NotFoundException,
    OpenApiException,
    ServiceException,
    TooManyRequestsException,
    UnauthorizedException,
    UnprocessableEntityException,
    exception_class_for,
)


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (400, BadRequestException),
        (401, UnauthorizedException),
        (403, ForbiddenException),
        (404, NotFoundException),
        (409, ConflictException),
        (422, UnprocessableEntityException),
        (429, TooManyRequestsException),
        (418, ApiException),
        (500, ServiceException),
        (503, ServiceException),
    ],
)
def test_exception_class_for(status: int, cls: type[ApiException]) -> None:
    assert exception_class_for(status) is cls


def test_argument_errors_are_the_builtin_errors_too() -> None:
    assert issubclass(ApiTypeError, TypeError) and issubclass(ApiValueError, ValueError)
    assert issubclass(ApiException, OpenApiException)


def test_oauth_fields_and_retry_after_are_read_from_the_answer() -> None:
    body = '{"error": "invalid_grant", "error_description": "expired", "error_uri": "u", "x": 1}'
    error = BadRequestException(400, "Bad Request", {"Retry-After": "3"}, body)
    assert (error.error, error.error_description, error.error_uri) == (
        "invalid_grant",
        "expired",
        "u",
    )
    assert error.retry_after == 3.0
    for not_oauth in (None, "", "[1]", "{not json", '{"error": 5}'):
        plain = ApiException(400, "Bad Request", None, not_oauth)
        assert (plain.error, plain.retry_after) == (None, None)


def test_the_text_is_one_line() -> None:
    body = '{"error": "e", "error_description": "line one\\nline two"}'
    error = ApiException(400, "Bad\r\nRequest", None, body)
    assert str(error) == "(400) Reason: Bad Request; error: e; error_description: line one line two"
    assert repr(error) == f"ApiException({error})"


def test_connection_errors() -> None:
    error = ApiTimeoutError("timed out connecting", connected=False)
    assert isinstance(error, ApiConnectionError) and error.status == 0
    assert str(error) == "(0) Reason: timed out connecting"
    copy = pickle.loads(pickle.dumps(error))
    assert (type(copy), copy.reason) == (ApiTimeoutError, "timed out connecting")


def test_api_response() -> None:
    response = ApiResponse(201, {"X": "1"}, {"a": 1}, b'{"a":1}')
    assert response.header_values == {}
    assert repr(response) == "ApiResponse(status_code=201, data={'a': 1})"
    typed = ApiResponse(200, {"X": "1", "Y": "2"}, None, b"", (("X", Number(integer=True)),))
    assert typed.header_values == {"X": 1}  # declared headers only, typed, read on first use


def test_lazy_attributes_import_on_first_use_and_keep_the_value() -> None:
    name = "runtime_under_test_lazy_probe"
    package = types.ModuleType(name)
    package.__path__ = []  # type: ignore[attr-defined]
    child = types.ModuleType(f"{name}.child")
    child.Thing = object()  # type: ignore[attr-defined]
    namespace: dict[str, object] = {"eager": 1}
    getattr_, dir_ = lazy_attributes(name, {"Thing": "child"}, namespace)
    sys.modules[name], sys.modules[f"{name}.child"] = package, child
    try:
        assert "Thing" not in namespace
        assert getattr_("Thing") is child.Thing  # type: ignore[attr-defined]
        assert namespace["Thing"] is child.Thing  # type: ignore[attr-defined]
        assert dir_() == ["Thing", "eager"]
        with pytest.raises(AttributeError, match=f"module '{name}' has no attribute 'Other'"):
            getattr_("Other")
    finally:
        del sys.modules[name], sys.modules[f"{name}.child"]
