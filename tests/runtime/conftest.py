"""The runtime as source: templates/python/runtime registered as the package ``runtime_under_test``.

No provider package is involved: the files the generator copies into every package are
imported from where they are written, under a package name of their own, so their relative
imports (``from .exceptions import ...``) resolve among themselves. The loader writes no
``__pycache__`` into templates/ (the Makefile regenerates when a file there changes).
The test doubles the runtime's constructors take are in doubles.py.
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import sys
from pathlib import Path

RUNTIME = Path(__file__).resolve().parents[2] / "templates" / "python" / "runtime"
PACKAGE = "runtime_under_test"


class _SourceOnlyLoader(importlib.machinery.SourceFileLoader):
    """Loads the runtime's .py files and never writes their bytecode next to them."""

    def set_data(self, path: str, data: bytes, *, _mode: int = 0o666) -> None:
        return None


def _register() -> None:
    if PACKAGE in sys.modules:
        return
    spec = importlib.machinery.ModuleSpec(PACKAGE, None, is_package=True)
    spec.submodule_search_locations = [str(RUNTIME)]
    sys.modules[PACKAGE] = importlib.util.module_from_spec(spec)
    sys.path_importer_cache[str(RUNTIME)] = importlib.machinery.FileFinder(
        str(RUNTIME), (_SourceOnlyLoader, importlib.machinery.SOURCE_SUFFIXES)
    )


_register()
