"""Attributes of a package imported on first use, so importing it stays cheap however large the spec."""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import Any, Callable


def lazy_attributes(
    package: str, modules: Mapping[str, str], eager: Mapping[str, Any]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """``__getattr__`` and ``__dir__`` for ``package``: name -> the submodule that defines it.

    ``eager`` is the package's namespace (its ``globals()``); a loaded name is stored there.
    """

    def __getattr__(name: str) -> Any:
        if name not in modules:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(f"{package}.{modules[name]}"), name)
        if isinstance(eager, dict):
            eager[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted(set(eager) | set(modules))

    return __getattr__, __dir__
