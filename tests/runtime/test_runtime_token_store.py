"""Token stores: the rules a TokenManager follows with a store (_token_manager,
_token_sharing), the record and key (_token_store), and FileTokenStore's files and lock
protocol (_file_token_store); over a FakeTransport. Real processes and a real Redis are
in tests/test_token_store_fleet.py."""

from __future__ import annotations

import email.utils
import hashlib
import json
import logging
import os
import stat
import sys
import threading
import time
from pathlib import Path
from typing import Any, Optional

import pytest
from doubles import FakeClock, FakeTransport
from runtime_under_test._file_token_store import FileTokenStore, default_directory
from runtime_under_test._redis_token_store import RedisTokenStore
from runtime_under_test._token_store import MemoryTokenStore, StoredToken, TokenStore, store_key
from runtime_under_test.exceptions import (
    ApiTypeError,
    ApiValueError,
    BadRequestException,
    OpenApiException,
    TokenStoreError,
)
from token_operation import (
    CLIENT_ID,
    CLIENT_SECRET,
    Manager,
    RefreshOnly,
    api,
    form,
    oauth_error,
    token,
)

TOKEN_URL = "https://auth.example.com/oauth/token"
KEY = store_key(TOKEN_URL, CLIENT_ID, None)
SECRETS = (CLIENT_SECRET, "at-1", "at-2", "rt-0", "rt-1", "rt-2")


def shared(
    store: TokenStore, *answers: Any, cls: type[Manager | RefreshOnly] = Manager, **options: Any
) -> tuple[Any, FakeTransport]:
    client, transport = api(*answers)
    made = cls(
        CLIENT_ID, CLIENT_SECRET, api_client=client, store=store, clock=FakeClock(), **options
    )
    return made, transport


def record(store: TokenStore, key: str = KEY) -> dict[str, Any]:
    text = store.read(key)
    assert text is not None
    loaded: dict[str, Any] = json.loads(text)
    return loaded


def put(
    store: TokenStore, access: Optional[str], refresh: Optional[str], remaining: float = 3600
) -> None:
    """Store a record as another process would: a token of an hour, ``remaining`` seconds left."""
    response = {"access_token": access, "token_type": "Bearer", "expires_in": 3600}
    record = StoredToken(access, refresh, time.time() + remaining, response if access else None)
    store.write(KEY, record.encode(time.time()))


class FakeRedis:
    """The three redis-py methods RedisTokenStore uses, answering bytes as redis-py does."""

    def __init__(self) -> None:
        self.data: dict[str, bytes] = {}
        self.down = False

    def get(self, key: str) -> Optional[bytes]:
        if self.down:
            raise ConnectionError("refused")
        return self.data.get(key)

    def set(self, key: str, value: str, nx: bool = False, px: Optional[int] = None) -> bool:
        if nx and key in self.data:
            return False
        self.data[key] = value.encode()
        return True

    def eval(self, script: str, count: int, key: str, owner: str) -> int:
        if self.data.get(key) == owner.encode():
            del self.data[key]
            return 1
        return 0


class Outage(MemoryTokenStore):
    """A memory store that fails while ``down``: its reads, and its writes unless told not."""

    def __init__(self, *, down: bool, writes_fail: bool = True) -> None:
        super().__init__()
        self.down = down
        self.writes_fail = writes_fail

    def __repr__(self) -> str:
        return "Outage()"

    def read(self, key: str) -> Optional[str]:
        if self.down:
            raise TokenStoreError("Outage(): cannot read: Connection refused")
        return super().read(key)

    def write(self, key: str, record: str) -> None:
        if self.down and self.writes_fail:
            raise TokenStoreError("Outage(): cannot write: Connection refused")
        super().write(key, record)


class Broken(TokenStore):
    """A store whose every call fails, as a store that cannot be reached."""

    def __init__(self) -> None:
        self.calls = 0

    def __repr__(self) -> str:
        return "Broken()"

    def _fail(self) -> Any:
        self.calls += 1
        raise TokenStoreError("Broken(): cannot reach the store: Connection refused")

    def read(self, key: str) -> Optional[str]:
        return self._fail()  # type: ignore[no-any-return]

    def write(self, key: str, record: str) -> None:
        self._fail()

    def acquire(self, key: str, owner: str, lease: float) -> bool:
        return self._fail()  # type: ignore[no-any-return]

    def release(self, key: str, owner: str) -> None:
        self._fail()


# --- sharing ------------------------------------------------------------------------------


def test_two_managers_with_one_identity_share_one_token() -> None:
    store = MemoryTokenStore()
    first, sent_first = shared(store, token("at-1", refresh_token="rt-1"))
    second, sent_second = shared(store)
    assert first.get_token() == "at-1"
    assert second.get_token() == "at-1"
    assert (len(sent_first.sent), len(sent_second.sent)) == (1, 0)
    assert second.token is not None and second.token.access_token == "at-1"
    assert second.token.token_type == "Bearer"
    assert second.refresh_token == "rt-1"


def test_other_identities_never_share() -> None:
    store = MemoryTokenStore()
    first, _ = shared(store, token("at-1"))
    first.get_token()
    client, transport = api(token("at-other"))
    other = Manager("another-client", CLIENT_SECRET, api_client=client, store=store)
    assert other.get_token() == "at-other"
    named, named_sent = shared(store, token("at-merchant"), store_key="merchant-42")
    assert named.get_token() == "at-merchant"
    elsewhere_client, elsewhere = api(token("at-host"))
    elsewhere_client.configuration.host = "https://other.example.com"
    moved = Manager(CLIENT_ID, CLIENT_SECRET, api_client=elsewhere_client, store=store)
    assert moved.get_token() == "at-host"
    assert len(transport.sent) == len(named_sent.sent) == len(elsewhere.sent) == 1


def test_the_key_is_a_hash_of_the_identity_and_never_a_secret() -> None:
    identity = json.dumps([TOKEN_URL, CLIENT_ID, "m-1"], separators=(",", ":"))
    assert store_key(TOKEN_URL, CLIENT_ID, "m-1") == hashlib.sha256(identity.encode()).hexdigest()
    assert store_key(TOKEN_URL, CLIENT_ID, None) == store_key(TOKEN_URL, CLIENT_ID, "")
    assert (
        store_key(TOKEN_URL, "caf\u00e9", None)
        == hashlib.sha256(f'["{TOKEN_URL}","caf\u00e9",""]'.encode()).hexdigest()
    )
    store = MemoryTokenStore()
    manager, _ = shared(store, token("at-1", refresh_token="rt-1"))
    manager.get_token()
    (key,) = store._records
    assert key == KEY
    assert not any(secret in key for secret in SECRETS)


def test_the_record_is_written_with_the_server_clocks_expiry() -> None:
    store = MemoryTokenStore()
    server_now = int(time.time()) - 120  # the server's clock is two minutes behind this one
    answer = token("at-1", 900, refresh_token="rt-1", scope="read")
    answer.headers["date"] = email.utils.formatdate(server_now, usegmt=True)
    manager, _ = shared(store, answer)
    manager.get_token()
    stored = record(store)
    assert stored["version"] == 1
    assert stored["expires_at"] == server_now + 900
    assert (stored["access_token"], stored["refresh_token"]) == ("at-1", "rt-1")
    assert (stored["token_type"], stored["scope"]) == ("Bearer", "read")
    assert stored["response"]["expires_in"] == 900
    assert abs(stored["updated_at"] - time.time()) < 60


@pytest.mark.parametrize("date", [None, "yesterday", "Thu, 01 Jan 1970 00:00:00 GMT"])
def test_without_a_believable_date_this_machines_clock_sets_the_expiry(date: Optional[str]) -> None:
    store = MemoryTokenStore()
    answer = token("at-1", 900)
    if date is not None:
        answer.headers["Date"] = date
    manager, _ = shared(store, answer)
    before = time.time()
    manager.get_token()
    assert before + 900 <= record(store)["expires_at"] <= time.time() + 900


def test_a_stale_record_is_renewed_and_its_refresh_token_used() -> None:
    store = MemoryTokenStore()
    put(store, "at-old", "rt-stored", remaining=30)  # inside the 60 s leeway: stale
    manager, transport = shared(store, token("at-2", refresh_token="rt-2"), refresh_token="rt-0")
    assert manager.get_token() == "at-2"
    assert form(transport.sent[0])["refresh_token"] == "rt-stored"  # the store's wins
    assert record(store)["refresh_token"] == "rt-2"


def test_an_adopted_token_is_renewed_before_the_stored_expiry() -> None:
    store = MemoryTokenStore()
    put(store, "at-1", "rt-1", remaining=600)
    manager, transport = shared(store, token("at-2"))
    clock = manager._clock
    assert manager.get_token() == "at-1"
    clock.advance(600 - 60 - 60)  # minus the leeway, minus the most jitter (a tenth of it)
    assert manager.get_token() == "at-1"
    assert not transport.sent
    clock.advance(60)
    put(store, "at-1", "rt-1", remaining=50)  # as the stored token is by now
    assert manager.get_token() == "at-2"


def test_renewals_are_jittered_within_a_tenth_of_the_margin() -> None:
    expiries = set()
    for _ in range(20):
        manager, _ = shared(MemoryTokenStore(), token("at-1", 3600))
        manager.get_token()
        expires_at = manager._state[1]
        assert 1000 + 3600 - 60 - 6 <= expires_at <= 1000 + 3600 - 60
        expiries.add(expires_at)
    assert len(expiries) > 1


def test_on_token_is_called_only_where_the_token_was_fetched() -> None:
    store = MemoryTokenStore()
    seen: list[str] = []
    first, _ = shared(
        store, token("at-1"), on_token=lambda t: seen.append(("first", t.access_token))
    )
    second, _ = shared(store, on_token=lambda t: seen.append(("second", t.access_token)))
    first.get_token()
    second.get_token()
    assert seen == [("first", "at-1")]


# --- invalidation and rotation ------------------------------------------------------------


def test_invalidate_drops_the_shared_token_only_while_it_is_the_one_refused() -> None:
    store = MemoryTokenStore()
    first, _ = shared(
        store, token("at-1", refresh_token="rt-1"), token("at-2", refresh_token="rt-2")
    )
    second, second_sent = shared(store)
    assert first.get_token() == second.get_token() == "at-1"
    first.invalidate("at-1")
    assert record(store)["access_token"] is None
    assert record(store)["refresh_token"] == "rt-1"  # the authorization stays
    assert first.get_token() == "at-2"
    second.invalidate("at-1")  # a 401 seen late: the store already holds another token
    assert record(store)["access_token"] == "at-2"
    assert second.get_token() == "at-2"
    assert not second_sent.sent


def test_an_invalidated_token_still_in_the_store_is_not_taken_again() -> None:
    store = MemoryTokenStore()
    manager, transport = shared(store, token("at-1"), token("at-2"))
    manager.get_token()
    assert store.acquire(KEY, "someone-renewing", 0.05)  # the drop waits for no one
    manager.invalidate("at-1")
    assert record(store)["access_token"] == "at-1"
    time.sleep(0.06)
    assert manager.get_token() == "at-2"
    assert len(transport.sent) == 2


def test_invalid_grant_takes_the_refresh_token_another_process_rotated() -> None:
    store = MemoryTokenStore()
    manager, transport = shared(
        store,
        oauth_error("invalid_grant"),
        token("at-3", refresh_token="rt-3"),
        cls=RefreshOnly,
        refresh_token="rt-1",
    )

    class Racing(FakeTransport):
        def request(self, *args: Any, **kwargs: Any) -> Any:
            if len(self.sent) == 0:  # another process rotates rt-1 while ours is in flight
                put(store, None, "rt-2")
            return super().request(*args, **kwargs)

    manager.api_client.rest_client = Racing(*transport.answers)
    assert manager.get_token() == "at-3"
    sent = manager.api_client.rest_client.sent
    assert [form(s)["refresh_token"] for s in sent] == ["rt-1", "rt-2"]
    assert manager.refresh_token == "rt-3"
    assert record(store)["refresh_token"] == "rt-3"


def test_invalid_grant_with_the_stores_own_refresh_token_drops_it_there_too() -> None:
    store = MemoryTokenStore()
    put(store, None, "rt-1")
    manager, _ = shared(store, oauth_error("invalid_grant"), cls=RefreshOnly)
    with pytest.raises(BadRequestException) as caught:
        manager.get_token()
    assert "new authorization is needed" in str(caught.value)
    assert manager.refresh_token is None
    assert record(store)["refresh_token"] is None


def test_a_refused_answer_that_rotates_the_refresh_token_stores_the_new_one() -> None:
    store = MemoryTokenStore()
    broken = token("at-2", -5, refresh_token="rt-2")  # expires_in is refused
    manager, _ = shared(store, broken, cls=RefreshOnly, refresh_token="rt-1")
    with pytest.raises(OpenApiException):
        manager.get_token()
    assert record(store)["refresh_token"] == "rt-2"
    assert record(store)["access_token"] is None


def test_exchange_code_writes_the_new_authorization() -> None:
    store = MemoryTokenStore()
    manager, _ = shared(store, token("at-1", refresh_token="rt-1"), cls=RefreshOnly)
    manager.exchange_code("the-code")
    assert (record(store)["access_token"], record(store)["refresh_token"]) == ("at-1", "rt-1")


# --- leases -------------------------------------------------------------------------------


def test_a_waiter_takes_the_token_the_lease_holder_writes() -> None:
    store = MemoryTokenStore()
    assert store.acquire(KEY, "another-process", 30)
    manager, transport = shared(store)
    timer = threading.Timer(
        0.1, lambda: (put(store, "at-1", "rt-1"), store.release(KEY, "another-process"))
    )
    timer.start()
    assert manager.get_token() == "at-1"
    assert not transport.sent


def test_a_lease_whose_holder_died_runs_out_and_is_taken() -> None:
    store = MemoryTokenStore()
    assert store.acquire(KEY, "killed-process", 0.2)  # never given back
    manager, transport = shared(store, token("at-1"), lease=0.2)
    started = time.monotonic()
    assert manager.get_token() == "at-1"
    assert 0.15 <= time.monotonic() - started
    assert len(transport.sent) == 1


def test_a_wait_is_bounded_by_the_lease_and_the_request_timeout(
    caplog: pytest.LogCaptureFixture,
) -> None:
    class Busy(MemoryTokenStore):
        def acquire(self, key: str, owner: str, lease: float) -> bool:
            return False  # someone always holds it and never writes

    client, transport = api(token("at-1"), timeout=0.1, retries=0)
    manager = Manager(CLIENT_ID, CLIENT_SECRET, api_client=client, store=Busy(), lease=0.2)
    started = time.monotonic()
    with caplog.at_level(logging.WARNING):
        assert manager.get_token() == "at-1"
    assert time.monotonic() - started < 0.2 + 0.1 + 1.0
    (warning,) = caplog.records
    assert "no token after waiting" in warning.getMessage()
    raising = Manager(
        CLIENT_ID, CLIENT_SECRET, api_client=client, store=Busy(), lease=0.2, on_store_error="raise"
    )
    with pytest.raises(TokenStoreError):
        raising.get_token()
    assert len(transport.sent) == 1


def test_the_lease_is_given_back_after_a_failed_fetch() -> None:
    store = MemoryTokenStore()
    manager, _ = shared(store, oauth_error("invalid_client", 401))
    with pytest.raises(OpenApiException):
        manager.get_token()
    assert store.acquire(KEY, "next", 30)


# --- failures -----------------------------------------------------------------------------


def test_a_store_that_fails_is_reported_once_and_the_manager_fetches(
    caplog: pytest.LogCaptureFixture,
) -> None:
    store = Broken()
    manager, transport = shared(store, token("at-1", 1), token("at-2", 1))
    with caplog.at_level(logging.DEBUG):
        assert manager.get_token() == "at-1"
        manager._clock.advance(10)
        assert manager.get_token() == "at-2"
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "Broken()" in warnings[0].getMessage()
    assert len(transport.sent) == 2
    for entry in caplog.records:
        assert not any(secret in entry.getMessage() for secret in SECRETS)


def test_sharing_resumes_when_the_store_answers_again(caplog: pytest.LogCaptureFixture) -> None:
    store = Outage(down=True)
    manager, _ = shared(store, token("at-1", 1), token("at-2", 3600))
    with caplog.at_level(logging.INFO):
        manager.get_token()
        store.down = False
        manager._clock.advance(10)
        manager.get_token()
    assert record(store)["access_token"] == "at-2"
    assert any("answers again" in r.getMessage() for r in caplog.records)


def test_while_the_store_fails_a_token_that_has_not_expired_is_kept(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A refresh token must not be spent alone while other processes cannot be told."""

    store = Outage(down=False, writes_fail=False)
    manager, transport = shared(
        store, token("at-1", 600, refresh_token="rt-1"), token("at-2", 600, refresh_token="rt-2")
    )
    clock = manager._clock
    assert manager.get_token() == "at-1"
    store.down = True
    clock.advance(600 - 50)  # within the leeway: renewed if the store answered
    with caplog.at_level(logging.WARNING):
        for _ in range(30):  # half a minute of calls, the store asked again each second
            assert manager.get_token() == "at-1"
            clock.advance(1)
    assert len(transport.sent) == 1
    assert len(caplog.records) == 1
    store.down = False
    put(store, "at-1", "rt-1", remaining=20)  # as the stored token is by now
    assert manager.get_token() == "at-2"  # renewed through the store once it answers
    assert record(store)["refresh_token"] == "rt-2"
    store.down = True
    clock.advance(600)  # really expired now: fetched alone, as the only way to a token
    with pytest.raises(AssertionError, match="unexpected request"):
        manager.get_token()
    assert form(transport.sent[-1])["refresh_token"] == "rt-2"


def test_a_record_that_cannot_be_read_still_leaves_one_renewal_to_the_lease() -> None:
    store = MemoryTokenStore()
    store.write(KEY, "{cut short")
    first, first_sent = shared(
        store, token("at-1", refresh_token="rt-2"), cls=RefreshOnly, refresh_token="rt-1"
    )
    second, second_sent = shared(store, cls=RefreshOnly, refresh_token="rt-1")
    assert first.get_token() == "at-1"
    assert second.get_token() == "at-1"  # the record the first wrote, not rt-1 spent again
    assert (len(first_sent.sent), len(second_sent.sent)) == (1, 0)


def test_a_store_of_another_package_is_taken() -> None:
    class Foreign:  # the same four methods, not this runtime's TokenStore class
        def __init__(self) -> None:
            self.inner = MemoryTokenStore()

        def __getattr__(self, name: str) -> Any:
            return getattr(self.inner, name)

    manager, _ = shared(Foreign(), token("at-1"))  # type: ignore[arg-type]
    assert manager.get_token() == "at-1"


def test_raise_mode_raises_token_store_error_and_sends_nothing() -> None:
    manager, transport = shared(Broken(), token("at-1"), on_store_error="raise")
    with pytest.raises(TokenStoreError) as caught:
        manager.get_token()
    assert isinstance(caught.value, OpenApiException)
    assert "Broken()" in str(caught.value)
    assert not transport.sent


def test_raise_mode_keeps_a_fetched_token_whose_write_failed() -> None:
    class ReadOnly(MemoryTokenStore):
        def write(self, key: str, record: str) -> None:
            raise TokenStoreError("ReadOnly(): cannot write")

    manager, transport = shared(
        ReadOnly(), token("at-1", refresh_token="rt-1"), on_store_error="raise"
    )
    with pytest.raises(TokenStoreError):
        manager.get_token()
    assert manager.refresh_token == "rt-1"
    assert manager.get_token() == "at-1"
    assert len(transport.sent) == 1


@pytest.mark.parametrize(
    "text",
    [
        '{"version": 1, "access_token": 5}',
        "not json",
        "[]",
        '{"version": 99}',
        '{"version":1,"expires_at":"soon"}',
    ],
)
def test_a_record_that_cannot_be_read_is_reported_and_replaced(
    text: str, caplog: pytest.LogCaptureFixture
) -> None:
    store = MemoryTokenStore()
    store.write(KEY, text)
    manager, transport = shared(store, token("at-1"))
    with caplog.at_level(logging.WARNING):
        assert manager.get_token() == "at-1"
    (warning,) = caplog.records
    assert "MemoryTokenStore()" in warning.getMessage() and "record" in warning.getMessage()
    assert record(store)["access_token"] == "at-1"
    assert len(transport.sent) == 1


def test_a_stored_answer_the_operation_cannot_give_is_refused(
    caplog: pytest.LogCaptureFixture,
) -> None:
    store = MemoryTokenStore()
    store.write(
        KEY,
        StoredToken("at-x", None, time.time() + 3600, {"expires_in": "soon"}).encode(time.time()),
    )
    manager, transport = shared(store, token("at-1"))
    with caplog.at_level(logging.WARNING):
        assert manager.get_token() == "at-1"
    assert "not one this token operation gives" in caplog.records[0].getMessage()
    assert "at-x" not in caplog.text
    assert len(transport.sent) == 1


@pytest.mark.parametrize(
    ("options", "error", "named"),
    [
        ({"store": "redis://localhost"}, ApiTypeError, "store"),
        ({"store": MemoryTokenStore(), "lease": 0}, ApiValueError, "lease"),
        ({"store": MemoryTokenStore(), "lease": True}, ApiValueError, "lease"),
        ({"store": MemoryTokenStore(), "lease": float("nan")}, ApiValueError, "lease"),
        (
            {"store": MemoryTokenStore(), "on_store_error": "ignore"},
            ApiValueError,
            "on_store_error",
        ),
        ({"store": MemoryTokenStore(), "store_key": ""}, ApiValueError, "store_key"),
        ({"store_key": "merchant"}, ApiTypeError, "store_key"),
    ],
)
def test_bad_store_options_are_named(
    options: dict[str, Any], error: type[Exception], named: str
) -> None:
    client, transport = api()
    with pytest.raises(error) as caught:
        Manager(CLIENT_ID, CLIENT_SECRET, api_client=client, **options)
    assert str(caught.value).startswith(named)
    assert not transport.sent


# --- FileTokenStore -----------------------------------------------------------------------


def test_the_file_store_shares_between_managers_with_private_files(tmp_path: Path) -> None:
    folder = tmp_path / "cache" / "tokenworks"
    first, _ = shared(FileTokenStore(folder), token("at-1", refresh_token="rt-1"))
    second, second_sent = shared(FileTokenStore(folder))
    assert first.get_token() == second.get_token() == "at-1"
    assert not second_sent.sent
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    (path,) = folder.iterdir()  # no temporary file or lock left behind
    assert path.name == f"{KEY}.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert json.loads(path.read_text())["refresh_token"] == "rt-1"


def test_a_record_other_users_can_read_is_refused(tmp_path: Path) -> None:
    store = FileTokenStore(tmp_path / "tokens")
    put(store, "at-1", "rt-1")
    path = tmp_path / "tokens" / f"{KEY}.json"
    path.chmod(0o644)
    with pytest.raises(TokenStoreError) as caught:
        store.read(KEY)
    message = str(caught.value)
    assert "can be read by other users" in message and "0644" in message and "chmod 600" in message
    assert "at-1" not in message and "rt-1" not in message
    manager, transport = shared(store, token("at-2"), on_store_error="raise")
    with pytest.raises(TokenStoreError):
        manager.get_token()
    assert not transport.sent
    warning, _ = shared(store, token("at-2"))
    assert warning.get_token() == "at-2"  # fetched by itself, and the record left alone
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
    assert json.loads(path.read_text())["access_token"] == "at-1"


def test_a_folder_other_users_can_write_to_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "open"
    folder.mkdir()
    folder.chmod(0o777)
    with pytest.raises(TokenStoreError, match="other users can write to the folder"):
        FileTokenStore(folder).read(KEY)


def test_a_folder_that_cannot_be_made_is_a_store_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(TokenStoreError) as caught:
        FileTokenStore(blocker / "tokens").write(KEY, "{}")
    assert "cannot make the folder" in str(caught.value)


def test_a_folder_removed_under_the_store_is_made_again(tmp_path: Path) -> None:
    folder = tmp_path / "tokens"
    store = FileTokenStore(folder)
    put(store, "at-1", "rt-1")
    for path in folder.iterdir():
        path.unlink()
    folder.rmdir()
    with pytest.raises(TokenStoreError, match="cannot write"):
        put(store, "at-2", "rt-2")
    put(store, "at-2", "rt-2")
    assert json.loads(store.read(KEY) or "")["access_token"] == "at-2"
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700


def test_the_default_folder(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("TOKENWORKS_CACHE_DIR", str(tmp_path / "chosen"))
    assert FileTokenStore().directory == tmp_path / "chosen"
    monkeypatch.delenv("TOKENWORKS_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert default_directory() == tmp_path / "xdg" / "tokenworks"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert default_directory() == tmp_path / "home" / ".cache" / "tokenworks"


def test_file_leases_have_one_owner_at_a_time(tmp_path: Path) -> None:
    store = FileTokenStore(tmp_path)
    assert store.acquire(KEY, "a", 30)
    assert not store.acquire(KEY, "b", 30)
    store.release(KEY, "b")  # not b's: kept
    assert not store.acquire(KEY, "b", 30)
    lock = json.loads((tmp_path / f"{KEY}.lock").read_text())
    assert lock["owner"] == "a" and lock["pid"] == os.getpid()
    assert time.time() < lock["expires_at"] <= time.time() + 30
    store.release(KEY, "a")
    assert store.acquire(KEY, "b", 30)
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"{KEY}.lock"]


def test_a_file_lease_that_ran_out_is_broken(tmp_path: Path) -> None:
    store = FileTokenStore(tmp_path)
    assert store.acquire(KEY, "dead", 0.05)
    time.sleep(0.1)
    assert store.acquire(KEY, "alive", 30)
    assert json.loads((tmp_path / f"{KEY}.lock").read_text())["owner"] == "alive"
    store.release(KEY, "dead")  # too late: not its lease any more
    assert not store.acquire(KEY, "third", 30)


def test_an_unreadable_lock_ages_from_its_modification_time(tmp_path: Path) -> None:
    store = FileTokenStore(tmp_path)
    store.read(KEY)  # makes the folder ready
    lock = tmp_path / f"{KEY}.lock"
    lock.write_text("")
    assert not store.acquire(KEY, "a", 30)
    old = time.time() - 60
    os.utime(lock, (old, old))
    assert store.acquire(KEY, "a", 30)


def test_threads_race_for_a_file_lease_that_ran_out_and_one_wins(tmp_path: Path) -> None:
    store = FileTokenStore(tmp_path)
    for attempt in range(20):
        assert store.acquire(KEY, f"dead-{attempt}", 0.01)
        time.sleep(0.02)
        barrier = threading.Barrier(8)
        won: list[str] = []

        def race(name: str, barrier: threading.Barrier, won: list[str]) -> None:
            barrier.wait()
            if store.acquire(KEY, name, 30):
                won.append(name)

        threads = [threading.Thread(target=race, args=(f"t{i}", barrier, won)) for i in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert len(won) <= 1, f"attempt {attempt}: {won} all hold the lease"
        if won:
            assert json.loads((tmp_path / f"{KEY}.lock").read_text())["owner"] == won[0]
            store.release(KEY, won[0])
        else:  # every racer found the breaker taken: the lock is still the dead one's
            store.release(KEY, f"dead-{attempt}")
        assert not (tmp_path / f"{KEY}.lock").exists()


def test_a_breaker_left_by_a_dead_process_is_removed(tmp_path: Path) -> None:
    store = FileTokenStore(tmp_path)
    assert store.acquire(KEY, "dead", 0.01)
    breaker = tmp_path / f"{KEY}.lock.break"
    breaker.write_text("")
    time.sleep(0.02)
    assert not store.acquire(KEY, "alive", 30)  # a fresh breaker: someone is at it
    old = time.time() - 60
    os.utime(breaker, (old, old))
    assert store.acquire(KEY, "alive", 30)
    assert not breaker.exists()


def test_redis_from_url_without_redis_py_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "redis", None)  # as when redis-py is not installed
    with pytest.raises(ImportError) as caught:
        RedisTokenStore.from_url("redis://127.0.0.1:6379/0")
    assert "[redis]" in str(caught.value) and "pip install" in str(caught.value)


def test_redis_store_takes_only_a_client_with_get_set_and_eval() -> None:
    with pytest.raises(TypeError, match="redis-py compatible client"):
        RedisTokenStore("redis://127.0.0.1:6379/0")
    assert repr(RedisTokenStore(FakeRedis(), prefix="prod:")) == "RedisTokenStore(prefix='prod:')"


def test_redis_store_keys_and_a_client_that_fails(caplog: pytest.LogCaptureFixture) -> None:
    client = FakeRedis()
    store = RedisTokenStore(client, prefix="t:")
    manager, _ = shared(store, token("at-1"))
    manager.get_token()
    assert set(client.data) == {f"t:{KEY}"}
    client.down = True
    with pytest.raises(TokenStoreError) as caught:
        store.read(KEY)
    assert (
        str(caught.value) == "RedisTokenStore(prefix='t:'): cannot read: ConnectionError: refused"
    )


def test_store_reprs_name_the_store_and_nothing_secret(tmp_path: Path) -> None:
    assert repr(FileTokenStore(tmp_path)) == f"FileTokenStore({str(tmp_path)!r})"
    assert repr(MemoryTokenStore()) == "MemoryTokenStore()"
    with pytest.raises(TypeError, match="directory must be a path"):
        FileTokenStore(3)  # type: ignore[arg-type]


def test_no_secret_in_any_log_record_of_a_shared_renewal(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    store = FileTokenStore(tmp_path)
    put(store, None, "rt-0")
    manager, _ = shared(
        store,
        token("at-1", refresh_token="rt-1"),
        token("at-2", refresh_token="rt-2"),
        cls=RefreshOnly,
    )
    with caplog.at_level(logging.DEBUG):
        manager.get_token()
        manager.invalidate()
        manager.get_token()
    assert caplog.records
    for entry in caplog.records:
        assert not any(secret in entry.getMessage() for secret in SECRETS), entry.getMessage()
    assert record(store)["refresh_token"] == "rt-2"
