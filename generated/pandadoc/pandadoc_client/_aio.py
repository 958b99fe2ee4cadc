"""asyncio: the ApiClient and the TokenManager as coroutines, over the blocking runtime.

Nothing here checks, retries, redacts or reads answers: ``ApiClient.call_api`` drives
the blocking client's request loop (``_api_client.ApiClient.exchange``), a generator of
steps, and only performs the steps differently:

- ``Send``: the blocking urllib3 transport sends it in a worker thread of a pool this
  client owns (``Workers``), as large as its connection pool (``connection_pool_maxsize``),
  so a worker never waits for a connection another worker holds and the event loop never
  blocks;
- ``Wait`` (before a retry): ``await asyncio.sleep``;
- ``NeedToken``: an ``aio.TokenManager`` (any source whose ``get_token`` is a coroutine)
  is awaited; a blocking one is asked in a worker thread.

``TokenManager`` is a thin facade over the blocking TokenManager of the package, so it
follows every rule of that one: a cached token is read from memory; otherwise one renewal
of the blocking manager runs in a worker thread, and every task that asks awaits that one
future, shielded: a task cancelled while it waits does not cancel it, and the token (and
rotated refresh token) it fetches is kept by the blocking manager whoever still waits.
Threads using the blocking manager share the same single fetch.
"""

from __future__ import annotations

import _thread
import asyncio
import inspect
import queue
import threading
import time
from collections.abc import Awaitable, Mapping
from typing import Any, Callable, ClassVar, Generic, Optional, TypeVar

from ._api_client import ApiClient as BlockingApiClient
from ._api_client import DefaultClient, NeedToken, Operation, Run, Send, Step, Wait, blocking_token
from ._configuration import AsyncTokenSource, Configuration, Timeout
from ._model import Model
from ._token_manager import CodeExchange as BlockingCodeExchange
from ._token_manager import TokenManager as BlockingTokenManager
from ._token_store import TokenStore
from .api_response import ApiResponse
from .rest import Transport

T = TypeVar("T")
R = TypeVar("R")
M = TypeVar("M", bound=Model)
_Closing = TypeVar("_Closing", bound="AsyncClosing")


class AsyncClosing:
    """``async with`` it to ``close`` it on the way out."""

    async def __aenter__(self: _Closing) -> _Closing:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def close(self) -> None:
        """Release what it holds."""


class ApiClient(AsyncClosing, DefaultClient["ApiClient"]):
    """Sends operations to the API from asyncio; ``async with`` it to close its connections.

    The same settings, checks, retries, errors and answers as the blocking ApiClient,
    which it drives (``blocking``: same configuration, same connections).

    :param configuration: host, credentials and settings (default: ``Configuration()``).
    :param transport: what sends the requests (blocking; run in worker threads).
    :param sleep: how to wait between retries (default: ``asyncio.sleep``).
    """

    #: The blocking ApiClient class of the package.
    blocking_class: ClassVar[type[BlockingApiClient]] = BlockingApiClient

    def __init__(
        self,
        configuration: Optional[Configuration] = None,
        *,
        transport: Optional[Transport] = None,
        sleep: Optional[Callable[[float], Awaitable[object]]] = None,
    ) -> None:
        #: The blocking client whose request loop this one drives.
        self.blocking = self.blocking_class(configuration, transport=transport)
        self.configuration = self.blocking.configuration
        self.default_headers = self.blocking.default_headers
        self._sleep = sleep
        self._workers: Optional[Workers] = None
        self._workers_lock = threading.Lock()

    async def close(self) -> None:
        """Close every connection this client holds; its worker threads end once idle."""
        with self._workers_lock:
            workers, self._workers = self._workers, None
        if workers is not None:
            workers.close()
        self.blocking.close()

    @property
    def rest_client(self) -> Transport:
        """The transport the blocking client sends with."""
        return self.blocking.rest_client

    @staticmethod
    async def sleep(seconds: float) -> None:
        """Wait between retries; ``ApiClient(sleep=...)`` replaces it."""
        await asyncio.sleep(seconds)

    def set_default_header(self, name: str, value: str) -> None:
        """Send a header with every request of this client."""
        self.blocking.set_default_header(name, value)

    async def call_api(
        self,
        operation: Operation[T],
        arguments: Mapping[str, Any],
        request_timeout: Optional[Timeout] = None,
        *,
        use_token_manager: bool = True,
        credentials: Optional[Mapping[str, str]] = None,
    ) -> ApiResponse[T]:
        """``ApiClient.call_api`` as a coroutine: the same request loop, awaited."""
        # The asyncio driver: the blocking one (ApiClient.call_api) with awaits.
        run = Run(
            self.blocking.exchange(
                operation, arguments, request_timeout, use_token_manager, credentials
            )
        )
        while run.step is not None:
            try:
                outcome = await self._perform(run.step)
            except Exception as error:  # noqa: BLE001 - thrown into the loop, which decides
                run.throw(error)
            else:
                run.resume(outcome)
        return run.result()

    async def _perform(self, step: Step) -> Any:
        if type(step) is Send:
            return await self.submit(self.blocking.perform, step)
        if type(step) is Wait:
            return await (self._sleep or self.sleep)(step.seconds)
        assert type(step) is NeedToken
        return await self._token(step)

    def submit(self, function: Callable[..., R], *args: Any) -> asyncio.Future[R]:
        """Run a blocking function in one of this client's worker threads; await the future.

        There are at most ``connection_pool_maxsize`` workers (a new pool when that
        setting changes): one per connection, so no worker waits for a connection a
        worker holds.
        """
        size = self.configuration.connection_pool_maxsize
        workers = self._workers
        if workers is None or workers.size != size:
            with self._workers_lock:
                old, workers = self._workers, self._workers
                if workers is None or workers.size != size:
                    workers = self._workers = Workers(size, f"{__package__}.aio")
                    if old is not None:
                        old.close()
        return workers.submit(function, *args)

    async def _token(self, step: NeedToken) -> str:
        manager = step.manager
        if isinstance(manager, TokenManager) or inspect.iscoroutinefunction(manager.get_token):
            source: AsyncTokenSource = manager  # type: ignore[assignment]  # checked just above
            if step.stale is not None:
                await source.invalidate(step.stale)
            return await source.get_token()
        return await self.submit(blocking_token, step)  # a blocking TokenSource


class Workers:
    """At most ``size`` threads that run blocking calls for an event loop.

    Not ``concurrent.futures.ThreadPoolExecutor``, for the event loop's sake: that one
    starts its threads inside ``submit``, on the loop, waiting each time until the new
    thread runs; and when many calls start at once, all their threads then contend for
    the GIL together, the loop's thread among them, which stalls the loop for tens of
    milliseconds on a busy machine. Here threads start one after another: the loop
    starts at most one (``_thread.start_new_thread``, which does not wait), and each new
    worker, once it has a job, starts the next while jobs are waiting. So at any moment
    few threads do Python work besides the loop, and calls still all get under way
    within milliseconds. Workers are daemon threads; ``close()`` ends them once idle.
    """

    def __init__(self, size: int, name: str) -> None:
        self.size = size
        self.name = name
        self._jobs: queue.SimpleQueue[Optional[_Job]] = queue.SimpleQueue()
        self._idle = threading.Semaphore(0)  # released by each worker that waits for a job
        self._lock = threading.Lock()
        self._started = 0
        self._starting = False  # a started worker has not taken its first job yet

    def submit(self, function: Callable[..., R], *args: Any) -> asyncio.Future[R]:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[R] = loop.create_future()
        self._jobs.put((loop, future, function, args))
        if not self._idle.acquire(blocking=False):  # no worker is free: maybe one more
            self._start_one(waiting=True)
        return future

    def close(self) -> None:
        """End every worker once it is idle; a call under way finishes first."""
        with self._lock:
            started, self._started = self._started, self.size  # no new ones
        for _ in range(started):
            self._jobs.put(None)

    def _start_one(self, waiting: bool) -> None:
        """Start a worker if jobs are ``waiting``, none is starting and fewer than ``size`` run."""
        with self._lock:
            start = waiting and not self._starting and self._started < self.size
            if start:
                self._started += 1
                self._starting = True
        if start:
            _thread.start_new_thread(self._work, ())

    def _work(self) -> None:
        first = True
        while True:
            job = self._jobs.get()
            if first:  # the next worker starts while this one works
                first = False
                with self._lock:
                    self._starting = False
                self._start_one(waiting=not self._jobs.empty())
            if job is None:
                return
            loop, future, function, args = job
            del job
            if not future.cancelled():  # a hint only: a call cancelled before it starts is not made
                try:
                    outcome: tuple[bool, Any] = (True, function(*args))
                except BaseException as error:  # noqa: BLE001 - handed to the awaiting task
                    outcome = (False, error)
                try:
                    loop.call_soon_threadsafe(_settle, future, *outcome)
                except RuntimeError:  # the loop is closed: nobody waits any more
                    pass
                del future, outcome
            self._idle.release()


#: A blocking call for a worker: the loop and future of its caller, the function, its arguments.
_Job = tuple[asyncio.AbstractEventLoop, "asyncio.Future[Any]", Callable[..., Any], tuple[Any, ...]]


def _settle(future: asyncio.Future[Any], succeeded: bool, outcome: Any) -> None:
    if not future.cancelled():
        if succeeded:
            future.set_result(outcome)
        else:
            future.set_exception(outcome)


class TokenManager(AsyncClosing, Generic[M]):
    """Keeps a valid access token, for asyncio: the blocking TokenManager's rules, awaited.

    Takes the same arguments as the package's blocking ``TokenManager`` (``api_client``
    is an ``aio.ApiClient``) and builds one (``blocking``), whose renewals run in the
    ApiClient's worker threads. ``get_token`` answers from memory while the token is
    fresh; else every task that asks awaits one shared renewal, which a task cancelled
    while it waits does not cancel (the token and any rotated refresh token it fetches
    are kept). ``on_token`` is called in the worker thread that fetched; a ``store``'s
    I/O (its lease, reads and writes) happens in worker threads too, never on the loop.
    """

    #: The blocking TokenManager class of the package.
    blocking_class: ClassVar[type[BlockingTokenManager[Any]]]
    #: The aio ApiClient class of the package.
    api_client_class: ClassVar[type[ApiClient]] = ApiClient

    def __init__(
        self,
        client_id: str,
        client_secret: str,
        *,
        refresh_token: Optional[str] = None,
        api_client: Optional[ApiClient] = None,
        leeway: float = 60.0,
        on_token: Optional[Callable[[M], object]] = None,
        clock: Callable[[], float] = time.monotonic,
        store: Optional[TokenStore] = None,
        store_key: Optional[str] = None,
        lease: float = 30.0,
        on_store_error: str = "warn",
    ) -> None:
        self._own_client = api_client is None
        self.api_client = api_client if api_client is not None else self.api_client_class()
        #: The blocking TokenManager this one awaits (threads may share it).
        self.blocking: BlockingTokenManager[M] = self.blocking_class(
            client_id,
            client_secret,
            refresh_token=refresh_token,
            api_client=self.api_client.blocking,
            leeway=leeway,
            on_token=on_token,
            clock=clock,
            store=store,
            store_key=store_key,
            lease=lease,
            on_store_error=on_store_error,
        )
        self._flight: Optional[asyncio.Future[str]] = None

    async def close(self) -> None:
        """Close the ApiClient this manager built (one passed in is left open)."""
        if self._own_client:
            await self.api_client.close()

    @property
    def token(self) -> Optional[M]:
        """The last token response, or None before the first one."""
        return self.blocking.token

    @property
    def refresh_token(self) -> Optional[str]:
        """The refresh token the next renewal sends, if any."""
        return self.blocking.refresh_token

    @property
    def store(self) -> Optional[TokenStore]:
        """The store this manager shares its token through, or None."""
        return self.blocking.store

    async def get_token(self) -> str:
        """A valid access token: the cached one, or a new one fetched once for all tasks."""
        fresh = self.blocking._fresh_token()
        if fresh is not None:
            access_token: str = fresh.access_token  # type: ignore[attr-defined]  # checked
            return access_token
        flight = self._flight
        if flight is None or flight.done() or flight.get_loop() is not asyncio.get_running_loop():
            # The blocking manager's get_token: its own checks (fresh again? another thread's
            # fetch under way?) and its one renewal, in a worker thread.
            flight = self._flight = self.api_client.submit(self.blocking.get_token)
            flight.add_done_callback(self._landed)
        return await asyncio.shield(flight)

    async def invalidate(self, token: Optional[str] = None) -> None:
        """Forget the access token (not the refresh token): the next get_token fetches.

        With ``token``, forget it only if it is still the current one. With a store, its
        record forgets the token too (in a worker thread; not undone by a cancellation).
        """
        if self.blocking.store is None:
            self.blocking.invalidate(token)  # memory only
        else:
            await asyncio.shield(self.api_client.submit(self.blocking.invalidate, token))

    def _landed(self, flight: asyncio.Future[str]) -> None:
        if self._flight is flight:
            self._flight = None
        if not flight.cancelled():
            flight.exception()  # retrieved: every waiter may have been cancelled meanwhile


class CodeExchange(TokenManager[M]):
    """An aio TokenManager whose endpoint has the authorization_code grant."""

    async def exchange_code(self, code: str, redirect_uri: Optional[str] = None) -> M:
        """Exchange an authorization code for the first token and refresh token.

        Cancelling the call does not lose them: the blocking manager keeps what it fetched.
        """
        manager = self.blocking
        assert isinstance(manager, BlockingCodeExchange)
        exchanged: M = await asyncio.shield(
            self.api_client.submit(manager.exchange_code, code, redirect_uri)
        )
        return exchanged
