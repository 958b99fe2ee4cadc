"""What a ``*_with_http_info`` call returns: the data with the status and headers."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Generic, Optional, TypeVar

T = TypeVar("T")


class ApiResponse(Generic[T]):
    """A successful answer: ``data`` parsed into the operation's return type.

    ``headers`` are all the response headers as received; ``header_values`` the
    ones the spec declares for this status, typed (an integer header is an int).
    """

    __slots__ = ("data", "header_values", "headers", "raw_data", "status_code")

    def __init__(
        self,
        status_code: int,
        headers: Mapping[str, str],
        data: T,
        raw_data: bytes,
        header_values: Optional[Mapping[str, Any]] = None,
    ) -> None:
        self.status_code = status_code
        self.headers = headers
        self.data = data
        self.raw_data = raw_data
        self.header_values: Mapping[str, Any] = header_values or {}

    def __repr__(self) -> str:
        return f"ApiResponse(status_code={self.status_code}, data={self.data!r})"
