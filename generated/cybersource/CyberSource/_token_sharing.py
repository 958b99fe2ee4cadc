"""How a TokenManager uses its store: records decoded, leases held, failures reported.

``SharedToken`` is the manager's side of one store: it turns the store's text into
``StoredToken`` records, owns this manager's lease id, and applies ``on_store_error``
(one WARNING, then the manager fetches for itself; or raise). The renewal rules that
use it are in ``_token_manager``.
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Optional

from ._configuration import is_positive_number
from ._token_store import StoredToken, TokenStore, store_key
from .exceptions import ApiTypeError, ApiValueError, TokenStoreError

logger = logging.getLogger(__package__)

#: What ``on_store_error`` accepts.
STORE_ERROR_POLICIES = ("warn", "raise")


class SharedToken:
    """One manager's view of a store: the record of its identity, and its lease."""

    def __init__(self, store: Any, name: Optional[str], lease: Any, on_store_error: Any) -> None:
        # Duck-typed: one provider package's store serves another package's managers too.
        if not all(
            callable(getattr(store, m, None)) for m in ("read", "write", "acquire", "release")
        ):
            raise ApiTypeError(
                "store must be a TokenStore (MemoryTokenStore, FileTokenStore, RedisTokenStore"
                f" or a subclass), got {type(store).__name__}"
            )
        if name is not None and (not isinstance(name, str) or not name):
            raise ApiValueError("store_key must be a non-empty str (it names one authorization)")
        if not is_positive_number(lease):
            raise ApiValueError(f"lease must be a positive number of seconds, got {lease!r}")
        if on_store_error not in STORE_ERROR_POLICIES:
            raise ApiValueError(f"on_store_error must be 'warn' or 'raise', got {on_store_error!r}")
        self.store: TokenStore = store
        self.name = name
        self.lease = float(lease)
        self.raises = on_store_error == "raise"
        self._failing = False
        self._lock = threading.Lock()

    def key(self, token_url: str, client_id: str) -> str:
        return store_key(token_url, client_id, self.name)

    def read(self, key: str) -> Optional[StoredToken]:
        """The record, or None; one that cannot be read is reported and counts as none,
        so the lease still decides who renews (and that renewal replaces it)."""
        text = self.store.read(key)
        try:
            record = None if text is None else StoredToken.decode(text, repr(self.store))
        except TokenStoreError as error:
            self.failed(error)
            return None
        self.answered()
        return record

    def write(self, key: str, record: StoredToken) -> None:
        self.store.write(key, record.encode(time.time()))
        self.answered()

    @contextmanager
    def leased(self, key: str) -> Iterator[bool]:
        """Try the lease once; the body runs holding it when it yields True, and it is given back."""
        # A new owner id for every lease: managers copied into forked processes, or a holder
        # whose lease ran out, never give back a lease someone else took since.
        owner = secrets.token_hex(16)
        taken = self.store.acquire(key, owner, self.lease)
        try:
            yield taken
        finally:
            if taken:
                try:
                    self.store.release(key, owner)
                except TokenStoreError as error:  # the lease runs out by itself
                    logger.warning("%s; its lease runs out by itself", error)

    def failed(self, error: TokenStoreError) -> None:
        """Raise (``on_store_error="raise"``), or log the first failure of an outage."""
        if self.raises:
            raise error
        with self._lock:
            first, self._failing = not self._failing, True
        if first:
            logger.warning("%s; this process fetches its own token meanwhile", error)
        else:
            logger.debug("%s", error)

    def answered(self) -> None:
        """The store answered: an outage, if there was one, is over."""
        if self._failing:
            with self._lock:
                back, self._failing = self._failing, False
            if back:
                logger.info("%r answers again; the token is shared again", self.store)
