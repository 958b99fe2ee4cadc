"""_retry: which answers may be sent again, how long to wait, and Retry-After in both forms."""

from __future__ import annotations

import itertools
from datetime import datetime, timezone
from email.utils import format_datetime
from typing import Optional

import pytest
from runtime_under_test._retry import RETRY_STATUSES, RetryPolicy, retry_after_seconds

STATUSES = (200, 400, 401, 429, 500, 502, 503, 504)
RETRY_AFTERS = (None, 0.0, 5.0, 60.0, 61.0)


def expected_retry(status: int, retry_after: Optional[float], single_use: bool) -> bool:
    """The rule, written out: not processed (429/503), a wait we honour, and for a
    single-use credential only a 429 that says when to come back."""
    if status not in (429, 503):
        return False
    if retry_after is not None and retry_after > 60.0:
        return False
    if single_use:
        return status == 429 and retry_after is not None
    return True


@pytest.mark.parametrize(
    ("status", "retry_after", "single_use"),
    list(itertools.product(STATUSES, RETRY_AFTERS, (False, True))),
)
def test_retry_status_matrix(status: int, retry_after: Optional[float], single_use: bool) -> None:
    policy = RetryPolicy(retries=2, backoff_factor=0.5, retry_after_cap=60.0)
    assert policy.retry_status(status, retry_after, single_use) is expected_retry(
        status, retry_after, single_use
    )


def test_the_matrix_holds_retries_and_refusals() -> None:
    """The matrix above is not vacuous: both answers occur for each kind of request."""
    for single_use in (False, True):
        outcomes = {
            expected_retry(status, after, single_use)
            for status in STATUSES
            for after in RETRY_AFTERS
        }
        assert outcomes == {True, False}
    assert RETRY_STATUSES == {429, 503}


def test_the_cap_is_the_policys() -> None:
    assert RetryPolicy(2, 0.5, retry_after_cap=120.0).retry_status(503, 90.0, False) is True
    assert RetryPolicy(2, 0.5, retry_after_cap=10.0).retry_status(503, 11.0, False) is False


@pytest.mark.parametrize("attempt", range(6))
def test_backoff_is_full_jitter_up_to_factor_times_two_to_the_attempt(attempt: int) -> None:
    policy = RetryPolicy(2, backoff_factor=0.5, retry_after_cap=60.0)
    asked: list[tuple[float, float]] = []

    def highest(low: float, high: float) -> float:
        asked.append((low, high))
        return high

    assert policy.backoff(attempt, uniform=highest) == min(0.5 * 2**attempt, 60.0)
    assert policy.backoff(attempt, uniform=lambda low, high: low) == 0.0
    assert asked == [(0, 0.5 * 2**attempt)]


def test_backoff_never_exceeds_the_cap() -> None:
    policy = RetryPolicy(2, backoff_factor=10.0, retry_after_cap=15.0)
    assert policy.backoff(3, uniform=lambda low, high: high) == 15.0
    assert policy.backoff(0, uniform=lambda low, high: high) == 10.0


def test_backoff_with_the_default_uniform_stays_within_bounds() -> None:
    policy = RetryPolicy(2, backoff_factor=0.5, retry_after_cap=60.0)
    for attempt in range(4):
        for _ in range(20):
            assert 0.0 <= policy.backoff(attempt) <= 0.5 * 2**attempt


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("5", 5.0),
        (" 120 ", 120.0),
        ("0", 0.0),
        ("1.5", 1.5),
        (None, None),
        ("", None),
        ("-1", None),
        ("inf", None),
        ("nan", None),
        ("soon", None),
        ("Wed, 32 Oct 2015 07:28:00 GMT", None),
    ],
)
def test_retry_after_in_seconds(value: Optional[str], seconds: Optional[float]) -> None:
    assert retry_after_seconds(value) == seconds


WHEN = datetime(2015, 10, 21, 7, 28, tzinfo=timezone.utc)


@pytest.mark.parametrize(
    "value",
    [
        "Wed, 21 Oct 2015 07:28:00 GMT",  # IMF-fixdate
        "Wednesday, 21-Oct-15 07:28:00 GMT",  # RFC 850
        "Wed Oct 21 07:28:00 2015",  # asctime: no zone, UTC by HTTP's rule
        format_datetime(WHEN, usegmt=True),
    ],
)
def test_retry_after_as_an_http_date(value: str) -> None:
    assert retry_after_seconds(value, now=lambda: WHEN.timestamp() - 30) == 30.0
    assert retry_after_seconds(value, now=lambda: WHEN.timestamp() + 30) == 0.0  # passed


def test_retry_after_as_a_date_uses_the_wall_clock_by_default() -> None:
    assert retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0
    far = retry_after_seconds("Fri, 01 Jan 2100 00:00:00 GMT")
    assert far is not None and far > 365 * 24 * 3600
