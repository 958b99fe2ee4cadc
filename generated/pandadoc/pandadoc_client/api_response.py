"""What a ``*_with_http_info`` call returns: the data with the status and headers."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Generic, Optional, TypeVar

from ._schema import Schema, header_values

__all__ = ["ApiResponse"]

T = TypeVar("T")


class ApiResponse(Generic[T]):
    """A successful answer: ``data`` parsed into the operation's return type.

    ``headers`` are all the response headers as received; ``header_values`` the
    ones the spec declares for this status, typed (an integer header is an int).
    """

    __slots__ = (
        "_declared_headers",
        "_header_values",
        "data",
        "headers",
        "raw_data",
        "status_code",
    )

    def __init__(
        self,
        status_code: int,
        headers: Mapping[str, str],
        data: T,
        raw_data: bytes,
        declared_headers: Sequence[tuple[str, Schema]] = (),
    ) -> None:
        self.status_code = status_code
        self.headers = headers
        self.data = data
        self.raw_data = raw_data
        self._declared_headers = declared_headers
        self._header_values: Optional[Mapping[str, Any]] = None

    @property
    def header_values(self) -> Mapping[str, Any]:
        """The declared response headers, typed (read on first use)."""
        if self._header_values is None:
            self._header_values = header_values(self._declared_headers, self.headers)
        return self._header_values

    def __repr__(self) -> str:
        return f"ApiResponse(status_code={self.status_code}, data={self.data!r})"
