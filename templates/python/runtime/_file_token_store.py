"""FileTokenStore: tokens shared by the processes of one machine, in a private folder.

Standard library only, and a protocol a Node.js process follows too (it has no
``flock``): a record is ``<key>.json``, replaced by renaming a finished temporary file
over it; a lease is ``<key>.lock``, made by hard-linking a finished temporary file to
that name, which fails when it exists. A lock is replaced (its lease ran out) or removed
(given back) only by the holder of ``<key>.lock.break``, made with O_EXCL, after it read
the lock again. The runtime contract (templates/RUNTIME-CONTRACT.md, "Token stores")
gives the details.
"""

from __future__ import annotations

import json
import os
import secrets
import socket
import stat
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Optional, Union

from ._token_store import TokenStore
from .exceptions import TokenStoreError

__all__ = ["FileTokenStore", "default_directory"]

#: Seconds after which a breaker file is taken for one its process left behind.
BREAKER_STALE = 10.0


def default_directory() -> Path:
    """``$TOKENWORKS_CACHE_DIR``, else the user's cache folder with ``tokenworks`` in it."""
    chosen = os.environ.get("TOKENWORKS_CACHE_DIR")
    if chosen:
        return Path(chosen)
    home = Path.home()
    if sys.platform == "win32":
        local = os.environ.get("LOCALAPPDATA")
        return Path(local if local else home / "AppData" / "Local") / "tokenworks" / "Cache"
    if sys.platform == "darwin":
        return home / "Library" / "Caches" / "tokenworks"
    xdg = os.environ.get("XDG_CACHE_HOME")
    return Path(xdg if xdg and os.path.isabs(xdg) else home / ".cache") / "tokenworks"


class FileTokenStore(TokenStore):
    """Keeps shared tokens as files in ``directory``, for the processes of one machine.

    :param directory: the folder (default: ``$TOKENWORKS_CACHE_DIR``, else
        ``$XDG_CACHE_HOME/tokenworks`` or ``~/.cache/tokenworks``,
        ``~/Library/Caches/tokenworks`` on macOS, ``%LOCALAPPDATA%\\tokenworks\\Cache``
        on Windows). It is made with mode 0700 when missing, and its files with 0600.
        A record that other users can read, or that belongs to another user, is refused
        with ``TokenStoreError``, as ssh refuses such a key, and so is a folder that
        other users can write to.
    """

    def __init__(self, directory: Union[str, os.PathLike[str], None] = None) -> None:
        if directory is not None and not isinstance(directory, (str, os.PathLike)):
            raise TypeError(
                f"FileTokenStore: directory must be a path, got {type(directory).__name__}"
            )
        self.directory = Path(directory) if directory is not None else default_directory()
        self._ready = False

    def __repr__(self) -> str:
        return f"FileTokenStore({str(self.directory)!r})"

    # --- records ---------------------------------------------------------------------------

    def read(self, key: str) -> Optional[str]:
        path = self._path(key, ".json")
        try:
            with open(path, encoding="utf-8") as file:
                self._check_private(path, os.fstat(file.fileno()))
                return file.read()
        except FileNotFoundError:
            return None
        except (OSError, UnicodeDecodeError) as error:
            raise self._error("cannot read", path, error) from None

    def write(self, key: str, record: str) -> None:
        path = self._path(key, ".json")
        try:
            self._check_private(path, os.stat(path))  # a refused record is not replaced either
        except FileNotFoundError:
            pass
        except OSError as error:
            raise self._error("cannot write", path, error) from None
        try:
            temporary = self._finished_file(key, record)
            try:
                os.replace(temporary, path)
            except OSError:
                _unlink(temporary)
                raise
            self._sync_directory()
        except OSError as error:
            raise self._error("cannot write", path, error) from None

    # --- leases ----------------------------------------------------------------------------

    def acquire(self, key: str, owner: str, lease: float) -> bool:
        path = self._path(key, ".lock")
        content = json.dumps(
            {
                "owner": owner,
                "expires_at": time.time() + lease,
                "host": socket.gethostname(),
                "pid": os.getpid(),
            }
        )
        try:
            temporary = self._finished_file(key, content)
            try:
                return self._take(key, path, temporary, lease)
            finally:
                _unlink(temporary)
        except OSError as error:
            raise self._error("cannot take the lease", path, error) from None

    def _take(self, key: str, path: Path, temporary: Path, lease: float) -> bool:
        """Link ``temporary`` as the lock; replace a lock whose lease ran out, under the breaker."""
        if self._link(temporary, path):
            return True
        seen = _read_lock(path)
        if seen is None:  # given back in the meantime
            return self._link(temporary, path)
        if not _expired(seen, path, lease):
            return False
        with self._breaker(key, wait=0.0) as breaking:
            if not breaking:
                return False  # another process is breaking it or giving one back
            found = _read_lock(path)
            if found is None:
                return self._link(temporary, path)
            if found != seen or not _expired(found, path, lease):
                return False
            os.replace(temporary, path)  # the name never disappears: no one links in between
            return True

    def release(self, key: str, owner: str) -> None:
        path = self._path(key, ".lock")
        try:
            with self._breaker(key, wait=1.0) as held:
                found = _read_lock(path) if held else None
                if found is not None and found.get("owner") == owner:
                    os.unlink(path)
        except OSError as error:
            raise self._error("cannot give the lease back", path, error) from None

    # --- helpers ---------------------------------------------------------------------------

    def _path(self, key: str, suffix: str) -> Path:
        if not self._ready:
            self._prepare()
        return self.directory / f"{key}{suffix}"

    def _prepare(self) -> None:
        """Make the folder (0700) when missing; refuse one that other users can write to."""
        try:
            self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
            info = os.stat(self.directory)
        except OSError as error:
            raise self._error("cannot make the folder", self.directory, error) from None
        if not stat.S_ISDIR(info.st_mode):
            raise TokenStoreError(f"{self!r}: {self.directory} is not a folder")
        if os.name == "posix" and info.st_mode & 0o022:
            raise TokenStoreError(
                f"{self!r}: other users can write to the folder (mode"
                f" {stat.S_IMODE(info.st_mode):04o}); choose a private folder or chmod 700 it"
            )
        self._ready = True

    def _check_private(self, path: Path, info: os.stat_result) -> None:
        if os.name != "posix":
            return
        if info.st_uid != os.geteuid():
            raise TokenStoreError(f"{self!r}: {path.name} belongs to another user; not used")
        if info.st_mode & 0o077:
            raise TokenStoreError(
                f"{self!r}: {path.name} can be read by other users (mode"
                f" {stat.S_IMODE(info.st_mode):04o}); not used: chmod 600 it or delete it"
            )

    def _finished_file(self, key: str, content: str) -> Path:
        """A new file (0600) in the folder holding ``content``, flushed to the disk."""
        temporary = self.directory / f".{key}.{secrets.token_hex(8)}.tmp"
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(descriptor, "w", encoding="utf-8") as file:
                file.write(content)
                file.flush()
                os.fsync(file.fileno())
        except OSError:
            _unlink(temporary)
            raise
        return temporary

    def _link(self, source: Path, target: Path) -> bool:
        """Give ``source`` the name ``target`` too, unless that name exists."""
        try:
            os.link(source, target)
        except FileExistsError:
            return False
        return True

    @contextmanager
    def _breaker(self, key: str, wait: float) -> Iterator[bool]:
        """``<key>.lock.break``: held while a lock is replaced or removed, so never by two.

        Tries for ``wait`` seconds. One left by a process that died holding it (older than
        ``BREAKER_STALE`` seconds) is removed first.
        """
        path = self.directory / f"{key}.lock.break"
        deadline = time.monotonic() + wait
        while True:
            try:
                os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
                break
            except FileExistsError:
                if _age(path) > BREAKER_STALE:
                    _unlink(path)
                    continue
                if time.monotonic() >= deadline:
                    yield False
                    return
                time.sleep(0.005)
        try:
            yield True
        finally:
            _unlink(path)

    def _sync_directory(self) -> None:
        if os.name != "posix":
            return
        descriptor = os.open(self.directory, os.O_RDONLY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)

    def _error(self, what: str, path: Path, error: BaseException) -> TokenStoreError:
        if isinstance(error, FileNotFoundError):
            self._ready = False  # the folder went away: the next call makes it again
        reason = (
            error.strerror
            if isinstance(error, OSError) and error.strerror
            else type(error).__name__
        )
        return TokenStoreError(f"{self!r}: {what} {path.name}: {reason}")


def _read_lock(path: Path) -> Optional[dict[str, object]]:
    """A lock file's content, or None when it is gone or cannot be read as a lock."""
    try:
        with open(path, encoding="utf-8") as file:
            content = json.load(file)
    except FileNotFoundError:
        return None
    except (OSError, ValueError):
        return {}
    return content if isinstance(content, dict) else {}


def _expired(content: dict[str, object], path: Path, lease: float) -> bool:
    """Whether a lock's lease ran out; one without a readable expiry ages from its mtime."""
    expires_at = content.get("expires_at")
    if isinstance(expires_at, (int, float)) and not isinstance(expires_at, bool):
        return expires_at <= time.time()
    try:
        return os.stat(path).st_mtime + lease <= time.time()
    except FileNotFoundError:
        return True


def _age(path: Path) -> float:
    """Seconds since ``path`` was last changed; 0 when it is gone."""
    try:
        return time.time() - os.stat(path).st_mtime
    except FileNotFoundError:
        return 0.0


def _unlink(path: Path) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
