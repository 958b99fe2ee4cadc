"""Every error this package raises.

``except ApiException`` catches every failure of a call: an error status, an
answer that cannot be read, a refused connection or a timeout. Bad arguments
raise ``ApiTypeError`` or ``ApiValueError`` before anything is sent.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any, Optional

from ._retry import retry_after_seconds
from ._secrets import redact_headers, redact_text, redact_value, shown_forms

__all__ = [
    "ApiConnectionError",
    "ApiException",
    "ApiTimeoutError",
    "ApiTypeError",
    "ApiValueError",
    "BadRequestException",
    "ConflictException",
    "ForbiddenException",
    "MalformedResponseError",
    "NotFoundException",
    "OpenApiException",
    "ServiceException",
    "TokenStoreError",
    "TooManyRequestsException",
    "UnauthorizedException",
    "UnprocessableEntityException",
    "exception_class_for",
]


class OpenApiException(Exception):
    """Base of every error raised by this package."""


class ApiTypeError(OpenApiException, TypeError):
    """An argument has the wrong type; nothing was sent."""


class ApiValueError(OpenApiException, ValueError):
    """An argument breaks a constraint of the spec; nothing was sent."""


class TokenStoreError(OpenApiException):
    """A token store could not be read or written, or refused a record.

    Raised by a TokenManager built with ``on_store_error="raise"``; by default the
    manager logs one warning and fetches its token itself. The text names the store
    and what failed, never a token.
    """


class ApiException(OpenApiException):
    """A call failed; ``status`` is 0 when no HTTP answer was received.

    ``body`` is the raw answer text, ``data`` the error model the spec declares
    for this status (or None), ``error``, ``error_description`` and
    ``error_uri`` the OAuth 2.0 error fields when the body carries them, and
    ``retry_after`` the seconds a ``Retry-After`` header asks to wait, and
    ``header_values`` the response headers the spec declares, typed.

    Secrets the request carried are replaced by ``[redacted]`` in ``body``,
    ``error_description``, ``data`` and the text of the exception when the server
    echoes them; the body as received is ``unredacted_body``.
    """

    header_values: Mapping[str, Any] = {}

    def __init__(
        self,
        status: int = 0,
        reason: Optional[str] = None,
        headers: Optional[Mapping[str, str]] = None,
        body: Optional[str] = None,
        data: Any = None,
    ) -> None:
        self.status = status
        self.reason = reason
        self.headers = headers
        self.body = body
        self.data = data
        fields = _oauth_error_fields(body)
        self.error: Optional[str] = fields.get("error")
        self.error_description: Optional[str] = fields.get("error_description")
        self.error_uri: Optional[str] = fields.get("error_uri")
        self.retry_after = retry_after_seconds(headers.get("Retry-After") if headers else None)
        self.unredacted_body = body
        super().__init__(status, reason)

    def redact(self, secrets: Iterable[str]) -> None:
        """Replace every secret in the body, the error fields and the headers with ``[redacted]``.

        A secret counts as shown in any of the forms a server may echo it in
        (``_secrets.shown_forms``).
        """
        forms = shown_forms(secrets)
        if self.headers:
            self.headers = redact_headers(self.headers, forms)
        if self.header_values:
            self.header_values = {
                name: redact_value(value, forms) for name, value in self.header_values.items()
            }
        for name in ("body", "reason", "error", "error_description", "error_uri"):
            value = getattr(self, name)
            if isinstance(value, str):
                setattr(self, name, redact_text(value, forms))
        self.args = tuple(
            redact_text(arg, forms) if isinstance(arg, str) else arg for arg in self.args
        )
        if self.data is not None and any(form in repr(self.data) for form in forms):
            self.data = None  # the error model repeats a secret; body (redacted) stays

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self})"

    def __str__(self) -> str:
        text = f"({self.status}) Reason: {self.reason}"
        if self.error:
            text += f"; error: {self.error}"
        if self.error_description:
            text += f"; error_description: {self.error_description}"
        return " ".join(text.split())  # one line, whatever the server sent


class BadRequestException(ApiException):
    """The server answered 400 Bad Request."""


class UnauthorizedException(ApiException):
    """The server answered 401 Unauthorized."""


class ForbiddenException(ApiException):
    """The server answered 403 Forbidden."""


class NotFoundException(ApiException):
    """The server answered 404 Not Found."""


class ConflictException(ApiException):
    """The server answered 409 Conflict."""


class UnprocessableEntityException(ApiException):
    """The server answered 422 Unprocessable Entity."""


class TooManyRequestsException(ApiException):
    """The server answered 429 Too Many Requests."""


class ServiceException(ApiException):
    """The server answered with a 5xx status."""


class MalformedResponseError(ApiException):
    """The answer could not be read as the spec says: not JSON, empty, or the wrong shape."""


class ApiConnectionError(ApiException):
    """No answer was received: refused, reset, DNS or TLS failure.

    ``connected`` is False when the connection could not even be established,
    so the server certainly did not see the request.
    """

    def __init__(self, reason: str, *, connected: bool = False) -> None:
        super().__init__(0, reason)
        self.args = (reason,)  # what pickle passes back to __init__
        self.connected = connected


class ApiTimeoutError(ApiConnectionError):
    """Connecting, or waiting for the answer, took longer than the timeout."""


_BY_STATUS = {
    400: BadRequestException,
    401: UnauthorizedException,
    403: ForbiddenException,
    404: NotFoundException,
    409: ConflictException,
    422: UnprocessableEntityException,
    429: TooManyRequestsException,
}


def exception_class_for(status: int) -> type[ApiException]:
    """The ApiException subclass raised for an HTTP status."""
    if status >= 500:
        return ServiceException
    return _BY_STATUS.get(status, ApiException)


def _oauth_error_fields(body: Optional[str]) -> Mapping[str, str]:
    """RFC 6749 error fields of a JSON body; empty when there are none."""
    if not body or not body.lstrip().startswith("{"):
        return {}
    try:
        parsed = json.loads(body)
    except (ValueError, RecursionError):  # nested deeper than Python recurses: no fields
        return {}
    if not isinstance(parsed, dict):
        return {}
    names = ("error", "error_description", "error_uri")
    return {k: v for k, v in parsed.items() if k in names and isinstance(v, str)}
