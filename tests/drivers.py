"""Run the suite's blocking-style tests through each package's ``aio`` classes too.

The ``driver`` fixture (tests/conftest.py) is ``sync`` or ``aio``. Under ``aio`` each
package's ``ApiClient``, API classes and ``TokenManager`` (in the package and in its API
modules) are replaced, for one test, by stand-ins with the blocking interface whose every
call is a coroutine of ``<package>.aio`` awaited on an event loop running in a thread of
its own: the same test cases then check the async driver, with no copy of them. A
``Configuration(token_manager=...)`` given a stand-in holds its aio TokenManager, so
aio clients await it as a user's would; a stand-in ApiClient's retry waits are
``asyncio.sleep`` (a TokenManager's renewal: ``time.sleep`` in its worker thread), or the
test's recorder when it patches ``ApiClient.sleep``.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import threading
import time
from collections.abc import Coroutine, Iterator
from types import ModuleType
from typing import Any, Callable, Optional, TypeVar

import pytest

T = TypeVar("T")


class LoopThread:
    """An event loop running in a daemon thread; ``run`` awaits a coroutine on it."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True, name="aio-tests")
        self.thread.start()

    def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        assert threading.current_thread() is not self.thread, "a blocking call on the loop"
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result()

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()


_LOOP: Optional[LoopThread] = None


def loop_thread() -> LoopThread:
    global _LOOP
    if _LOOP is None:
        _LOOP = LoopThread()
    return _LOOP


def _blocking(method: Callable[..., Any]) -> Callable[..., Any]:
    """A coroutine method as a blocking one, awaited on the loop thread."""

    @functools.wraps(method)
    def call(*args: Any, **kwargs: Any) -> Any:
        return loop_thread().run(method(*args, **kwargs))

    return call


def _awaited(name: str) -> Callable[..., Any]:
    """A method that awaits the aio object's method ``name`` on the loop thread."""

    def call(self: Any, *args: Any, **kwargs: Any) -> Any:
        return loop_thread().run(getattr(self.aio, name)(*args, **kwargs))

    call.__name__ = name
    return call


class ApiClientStandIn:
    """The blocking ApiClient interface over ``aio_class`` (a package's aio.ApiClient)."""

    aio_class: Any
    sleep: Any = staticmethod(time.sleep)  # tests replace it to record the waits

    def __init__(self, configuration: Any = None, *, transport: Any = None, sleep: Any = None):
        cls = type(self)
        wait = None
        recorded = sleep is not None or cls.sleep is not time.sleep
        if recorded:

            async def wait(seconds: float) -> None:
                (sleep or cls.sleep)(seconds)

        self.aio = cls.aio_class(configuration, transport=transport, sleep=wait)
        if recorded:  # a TokenManager's renewal retries in its worker thread, blocking
            self.aio.blocking._sleep = lambda seconds: (sleep or cls.sleep)(seconds)

    def __getattr__(self, name: str) -> Any:
        aio = self.__dict__["aio"]
        return getattr(aio, name) if hasattr(aio, name) else getattr(aio.blocking, name)

    def close(self) -> None:
        loop_thread().run(self.aio.close())

    def __enter__(self) -> Any:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @classmethod
    def set_default(cls, client: Optional[ApiClientStandIn]) -> None:
        cls.aio_class.set_default(client.aio if client is not None else None)

    @classmethod
    def get_default(cls) -> Any:
        return cls.aio_class.get_default()


class ApiStandIn:
    """An API class's blocking interface over its aio class."""

    aio_class: Any

    def __init__(self, api_client: Optional[ApiClientStandIn] = None) -> None:
        self.aio = type(self).aio_class(api_client.aio if api_client is not None else None)
        self.api_client = api_client

    def __getattr__(self, name: str) -> Any:
        value = getattr(self.__dict__["aio"], name)
        return _blocking(value) if inspect.iscoroutinefunction(value) else value


class TokenManagerStandIn:
    """The blocking TokenManager interface over a package's aio.TokenManager."""

    aio_class: Any

    def __init__(self, *args: Any, api_client: Optional[ApiClientStandIn] = None, **kwargs: Any):
        client = api_client.aio if api_client is not None else None
        self.aio = self._aio_class()(*args, api_client=client, **kwargs)

    @classmethod
    def _aio_class(cls) -> Any:
        """The aio class; for a test's subclass (``client_auth = "basic"``...), one whose
        blocking TokenManager has the subclass's class attributes."""
        overrides: dict[str, Any] = {}
        for klass in cls.__mro__:
            if "aio_class" in vars(klass):
                break
            overrides.update((k, v) for k, v in vars(klass).items() if not k.startswith("__"))
        aio_class = cls.aio_class
        if not overrides:
            return aio_class
        blocking = type(cls.__name__, (aio_class.blocking_class,), overrides)
        return type(cls.__name__, (aio_class,), {"blocking_class": blocking})

    def __getattr__(self, name: str) -> Any:
        value = getattr(self.__dict__["aio"], name)
        return _blocking(value) if inspect.iscoroutinefunction(value) else value

    def __enter__(self) -> Any:
        return self

    def __exit__(self, *exc_info: object) -> None:
        loop_thread().run(self.aio.close())


_STAND_INS: dict[str, dict[str, type]] = {}


def stand_ins(package: ModuleType) -> dict[str, type]:
    """Name -> stand-in class, for every name of ``<package>.aio`` (made once per package)."""
    made = _STAND_INS.get(package.__name__)
    if made is None:
        import importlib

        aio = importlib.import_module(f"{package.__name__}.aio")
        made = {}
        for name in aio.__all__:
            base: type = (
                ApiClientStandIn
                if name == "ApiClient"
                else TokenManagerStandIn
                if name == "TokenManager"
                else ApiStandIn
            )
            aio_class = getattr(aio, name)
            attributes: dict[str, Any] = {"aio_class": aio_class}
            if base is ApiStandIn:  # its operations as methods of the class, in its module
                attributes["__module__"] = getattr(package, name).__module__
                for method, function in vars(aio_class).items():
                    if not method.startswith("_") and inspect.iscoroutinefunction(function):
                        attributes[method] = _awaited(method)
            made[name] = type(name, (base,), attributes)
        _STAND_INS[package.__name__] = made
    return made


def unwrap_token_manager(check: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """A Configuration's token_manager check that stores a stand-in's aio TokenManager."""

    def checked(value: Any) -> Any:
        return check(value.aio if isinstance(value, TokenManagerStandIn) else value)

    return checked


def use_aio(monkeypatch: pytest.MonkeyPatch, packages: list[ModuleType]) -> None:
    """Replace each package's ApiClient, API classes and TokenManager by stand-ins over
    its aio ones, wherever the package and its API modules name them."""
    import sys

    for package in packages:
        classes = stand_ins(package)
        for name in classes:
            getattr(package, name)  # imports the API module that defines it
        prefix = package.__name__ + "."
        modules = [package] + [
            module
            for name, module in list(sys.modules.items())
            if name.startswith(prefix + "api") and isinstance(module, ModuleType)
        ]
        for name, stand_in in classes.items():
            for module in modules:
                if name in vars(module) or module is package:
                    monkeypatch.setattr(module, name, stand_in)
        checks = sys.modules[prefix + "_configuration"]._CHECKS
        monkeypatch.setitem(checks, "token_manager", unwrap_token_manager(checks["token_manager"]))


def driver_fixture(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> Iterator[str]:
    """The body of the ``driver`` fixture: ``aio`` swaps the stand-ins in."""
    if request.param == "aio":
        from providers import PACKAGES

        use_aio(monkeypatch, list(PACKAGES.values()))
    yield request.param
