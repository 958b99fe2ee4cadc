"""Test doubles for the runtime's injection points: a transport and a clock.

``ApiClient(configuration, transport=FakeTransport(...), sleep=waits.append)`` sends nothing
over a network; ``TokenManager(..., clock=FakeClock())`` expires tokens when the test says.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple, Optional, Union

from runtime_under_test.exceptions import ApiConnectionError
from runtime_under_test.rest import RESTResponse


class Sent(NamedTuple):
    """One request a FakeTransport received."""

    method: str
    url: str
    headers: dict[str, str]
    body: Optional[bytes]
    timeout: Any


Answer = Union[RESTResponse, ApiConnectionError]


def answer(
    status: int = 200,
    body: Union[bytes, str] = b"",
    headers: Optional[Mapping[str, str]] = None,
    reason: str = "",
) -> RESTResponse:
    """A RESTResponse as a transport returns it; ``body`` text is UTF-8."""
    data = body.encode("utf-8") if isinstance(body, str) else body
    return RESTResponse(status, reason, dict(headers or {}), data)


class FakeTransport:
    """A Transport that answers from ``answers`` in order and records every request.

    An ApiConnectionError in the list is raised instead of answering.
    """

    def __init__(self, *answers: Answer) -> None:
        self.answers = list(answers)
        self.sent: list[Sent] = []
        self.closed = False

    def request(
        self, method: str, url: str, headers: Mapping[str, str], body: Optional[bytes], timeout: Any
    ) -> RESTResponse:
        self.sent.append(Sent(method, url, dict(headers), body, timeout))
        if not self.answers:
            raise AssertionError(f"unexpected request {method} {url}")
        next_answer = self.answers.pop(0)
        if isinstance(next_answer, ApiConnectionError):
            raise next_answer
        return next_answer

    def close(self) -> None:
        self.closed = True


class FakeClock:
    """A monotonic clock that moves only when the test says so."""

    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds
