"""Token stores: where TokenManagers keep the token they share, and the record they keep.

A store holds, per identity, one record (JSON text) and one lease (a lock with an owner
and an expiry). A TokenManager with a store renews under the lease, reads the record
again once it holds it, and writes the new record before it releases the lease; the
rules live in ``_token_manager``, the stores only keep text and leases. The record
format, the key and the lock protocols are written down once for Python and Node.js in
the runtime contract (templates/RUNTIME-CONTRACT.md, "Token stores").
"""

from __future__ import annotations

import hashlib
import json
import math
import threading
import time
from typing import Any, NamedTuple, Optional

from .exceptions import TokenStoreError

__all__ = ["MemoryTokenStore", "StoredToken", "TokenStore", "store_key"]

#: The record format this runtime writes and reads.
RECORD_VERSION = 1


class TokenStore:
    """Where TokenManagers keep a shared token: the base of every store.

    A store maps a key (a hex digest, never a secret) to a record (JSON text) and
    holds one lease per key. Its methods raise ``TokenStoreError`` when the store
    cannot be reached or refuses; a subclass implements all four.
    """

    def read(self, key: str) -> Optional[str]:
        """The record stored under ``key``, or None when there is none."""
        raise NotImplementedError

    def write(self, key: str, record: str) -> None:
        """Replace the record under ``key`` at once: a reader sees the old or the new one."""
        raise NotImplementedError

    def acquire(self, key: str, owner: str, lease: float) -> bool:
        """Take the lease on ``key`` for ``lease`` seconds, if no one holds it; never waits.

        A lease that has run out counts as free, so a holder that died does not
        block the others for longer than its lease.
        """
        raise NotImplementedError

    def release(self, key: str, owner: str) -> None:
        """Give the lease back, only if ``owner`` still holds it."""
        raise NotImplementedError


class MemoryTokenStore(TokenStore):
    """A store in this process's memory: managers given the same one share a token.

    ``TokenManager(store=None)`` (the default) keeps its token to itself instead.
    """

    def __init__(self) -> None:
        self._records: dict[str, str] = {}
        self._leases: dict[str, tuple[str, float]] = {}
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return "MemoryTokenStore()"

    def read(self, key: str) -> Optional[str]:
        return self._records.get(key)

    def write(self, key: str, record: str) -> None:
        self._records[key] = record

    def acquire(self, key: str, owner: str, lease: float) -> bool:
        with self._lock:
            held = self._leases.get(key)
            if held is not None and held[1] > time.monotonic():
                return False
            self._leases[key] = (owner, time.monotonic() + lease)
            return True

    def release(self, key: str, owner: str) -> None:
        with self._lock:
            held = self._leases.get(key)
            if held is not None and held[0] == owner:
                del self._leases[key]


def store_key(token_url: str, client_id: str, name: Optional[str]) -> str:
    """The key of one authorization: the SHA-256 of its identity, never a secret.

    The identity is the JSON array ``[token URL, client id, store_key or ""]`` written
    without spaces (as JSON.stringify writes it), as UTF-8.
    """
    identity = json.dumps(
        [token_url, client_id, name or ""], ensure_ascii=False, separators=(",", ":")
    )
    return hashlib.sha256(identity.encode("utf-8")).hexdigest()


class StoredToken(NamedTuple):
    """One record: the shared token of one authorization.

    ``expires_at`` is Unix time in seconds (the server's clock when its answer had a
    ``Date``), ``None`` when the answer gave no ``expires_in``; ``response`` is the
    token answer as the server sent it (a JSON object). A record may hold a refresh
    token and no access token (after one was invalidated).
    """

    access_token: Optional[str]
    refresh_token: Optional[str]
    expires_at: Optional[float]
    response: Optional[dict[str, Any]]

    def encode(self, now: float) -> str:
        """The record as JSON text, ``now`` (Unix time) as its ``updated_at``."""
        response = self.response or {}
        return json.dumps(
            {
                "version": RECORD_VERSION,
                "access_token": self.access_token,
                "token_type": _text(response.get("token_type")),
                "scope": _text(response.get("scope")),
                "expires_at": self.expires_at,
                "refresh_token": self.refresh_token,
                "response": self.response,
                "updated_at": now,
            },
            separators=(",", ":"),
        )

    @classmethod
    def decode(cls, text: str, where: str) -> StoredToken:
        """A record read from ``where`` (a store's repr), or TokenStoreError saying what is wrong."""
        try:
            data = json.loads(text)
        except (ValueError, RecursionError):
            raise _unreadable(where, "it is not JSON") from None
        if not isinstance(data, dict):
            raise _unreadable(where, "it is not a JSON object")
        version = data.get("version")
        if isinstance(version, bool) or version != RECORD_VERSION:
            raise _unreadable(where, f"its version is not {RECORD_VERSION}")
        for field in ("access_token", "refresh_token"):
            value = data.get(field)
            if value is not None and (not isinstance(value, str) or not value):
                raise _unreadable(where, f"its {field} is not a non-empty string")
        expires_at = data.get("expires_at")
        if expires_at is not None and (
            isinstance(expires_at, bool)
            or not isinstance(expires_at, (int, float))
            or not math.isfinite(expires_at)
        ):
            raise _unreadable(where, "its expires_at is not a number")
        response = data.get("response")
        if response is not None and not isinstance(response, dict):
            raise _unreadable(where, "its response is not a JSON object")
        return cls(
            data.get("access_token"),
            data.get("refresh_token"),
            None if expires_at is None else float(expires_at),
            response,
        )


def _unreadable(where: str, problem: str) -> TokenStoreError:
    return TokenStoreError(f"{where}: the stored record cannot be read: {problem}")


def _text(value: Any) -> Optional[str]:
    return value if isinstance(value, str) else None
