"""RedisTokenStore: tokens shared by processes on many machines, through Redis.

It takes a client the user built (redis-py's ``Redis``, ``Sentinel.master_for(...)``,
``RedisCluster``, or one with the same ``get``/``set``/``eval`` methods), so TLS, ACLs
and topology are the user's choice. redis-py itself is needed only by ``from_url``.
A lease is ``SET <lock key> <owner> NX PX <ms>`` and is given back by a script that
deletes it only while it still holds the owner (as redis-py's ``Lock`` does).
"""

from __future__ import annotations

import importlib
from typing import Any, Optional

from ._token_store import TokenStore
from .exceptions import TokenStoreError

__all__ = ["RedisTokenStore"]

#: Deletes the lease only if the caller still owns it.
RELEASE_SCRIPT = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
    return redis.call('DEL', KEYS[1])
end
return 0
"""

#: What ``from_url`` waits at most for Redis, unless told otherwise.
DEFAULT_SOCKET_TIMEOUT = 5.0


class RedisTokenStore(TokenStore):
    """Keeps shared tokens in Redis: ``<prefix><key>`` the record, ``<prefix><key>:lock`` the lease.

    :param client: a redis-py compatible client (its answers may be bytes or text).
    :param prefix: put before every key this store uses.
    """

    def __init__(self, client: Any, *, prefix: str = "tokenworks:") -> None:
        for method in ("get", "set", "eval"):
            if not callable(getattr(client, method, None)):
                raise TypeError(
                    f"RedisTokenStore: client must be a redis-py compatible client (it has no {method}())"
                )
        if not isinstance(prefix, str):
            raise TypeError(f"RedisTokenStore: prefix must be a str, got {type(prefix).__name__}")
        self.client = client
        self.prefix = prefix

    @classmethod
    def from_url(cls, url: str, *, prefix: str = "tokenworks:", **options: Any) -> RedisTokenStore:
        """A store over ``redis.Redis.from_url(url, **options)`` (redis://, rediss://, unix://).

        Needs redis-py: ``pip install <distribution>[redis]``. Unless ``options`` say
        otherwise, connecting and each command wait at most 5 seconds.
        """
        try:
            redis = importlib.import_module("redis")
        except ImportError:
            raise ImportError(
                "RedisTokenStore.from_url needs redis-py, which this package installs as an"
                f" extra: pip install '{_distribution()}[redis]'"
            ) from None
        options.setdefault("socket_timeout", DEFAULT_SOCKET_TIMEOUT)
        options.setdefault("socket_connect_timeout", DEFAULT_SOCKET_TIMEOUT)
        return cls(redis.Redis.from_url(url, **options), prefix=prefix)

    def __repr__(self) -> str:
        return f"RedisTokenStore(prefix={self.prefix!r})"

    def read(self, key: str) -> Optional[str]:
        value = self._run("cannot read", "get", self.prefix + key)
        if value is None:
            return None
        if isinstance(value, bytes):
            try:
                return value.decode("utf-8")
            except UnicodeDecodeError:
                raise TokenStoreError(f"{self!r}: the stored record is not UTF-8 text") from None
        return str(value)

    def write(self, key: str, record: str) -> None:
        self._run("cannot write", "set", self.prefix + key, record)

    def acquire(self, key: str, owner: str, lease: float) -> bool:
        milliseconds = max(1, int(lease * 1000))
        taken = self._run(
            "cannot take the lease", "set", self._lock(key), owner, nx=True, px=milliseconds
        )
        return bool(taken)

    def release(self, key: str, owner: str) -> None:
        self._run("cannot give the lease back", "eval", RELEASE_SCRIPT, 1, self._lock(key), owner)

    def _lock(self, key: str) -> str:
        return f"{self.prefix}{key}:lock"

    def _run(self, what: str, command: str, *args: Any, **kwargs: Any) -> Any:
        try:
            return getattr(self.client, command)(*args, **kwargs)
        except Exception as error:  # noqa: BLE001 - any client's failure is the store's failure
            raise TokenStoreError(f"{self!r}: {what}: {type(error).__name__}: {error}") from None


def _distribution() -> str:
    """The distribution that ships this package, for the install hint."""
    try:
        from importlib import metadata

        package = __package__ or ""
        names = metadata.packages_distributions().get(package.split(".")[0], [])
        return names[0] if names else "the package's distribution"
    except Exception:  # noqa: BLE001 - only a hint
        return "the package's distribution"
