"""When a failed call is sent again, and how long to wait first.

A call is retried only when the server certainly did not process it:

- no connection could be made (nothing reached the server), or
- it answered 429 Too Many Requests or 503 Service Unavailable.

A request that carries a single-use credential (an authorization code, a refresh
token that the provider rotates) is different: if a gateway answers 503 after
the server spent it, sending it again gets ``invalid_grant`` and loses the new
token. Such a request is retried only when no connection was made, or on 429
with a ``Retry-After`` header (the server refused it before looking at it).
"""

from __future__ import annotations

import math
import random
import time
from datetime import timezone
from email.utils import parsedate_to_datetime
from typing import Callable, NamedTuple, Optional

#: Statuses that say the request was not processed, so sending it again is safe.
RETRY_STATUSES = frozenset({429, 503})


class RetryPolicy(NamedTuple):
    """How many retries, and the waits between them (a Configuration's ``retry_policy``:
    the defaults are its settings')."""

    #: Retries after the first attempt; 0 disables retrying.
    retries: int
    #: The first backoff wait, in seconds; doubled on each retry, with full jitter.
    backoff_factor: float
    #: The longest ``Retry-After`` honoured; a longer one raises at once.
    retry_after_cap: float

    def retry_status(self, status: int, retry_after: Optional[float], single_use: bool) -> bool:
        """Whether an answer with ``status`` may be sent again (attempts aside)."""
        if status not in RETRY_STATUSES:
            return False
        if retry_after is not None and retry_after > self.retry_after_cap:
            return False
        if single_use:
            return status == 429 and retry_after is not None
        return True

    def backoff(
        self, attempt: int, uniform: Callable[[float, float], float] = random.uniform
    ) -> float:
        """Exponential backoff with full jitter: up to factor * 2**attempt seconds, capped."""
        ceiling = self.backoff_factor * (2**attempt)
        return min(uniform(0, ceiling), self.retry_after_cap)


def retry_after_seconds(
    value: Optional[str], now: Optional[Callable[[], float]] = None
) -> Optional[float]:
    """Seconds to wait from a Retry-After value (seconds or an HTTP date), or None.

    ``now`` is the wall clock an HTTP date is compared with (default: ``time.time``,
    looked up at each call).
    """
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:
        return seconds if math.isfinite(seconds) and seconds >= 0 else None
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:  # asctime dates carry no zone; HTTP dates are UTC
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, when.timestamp() - (now or time.time)())
