"""The runtime as source, in files and functions of a readable size: one module per concern,
small steps. The twin of tests/node/runtime/source.test.js, with the same limits."""

from __future__ import annotations

import ast
from pathlib import Path

RUNTIME = Path(__file__).resolve().parents[2] / "templates" / "python" / "runtime"

#: The longest a runtime file and a runtime function (nested ones included) may be.
MAX_FILE_LINES = 700
MAX_FUNCTION_LINES = 60


def test_no_runtime_file_over_700_lines_and_no_function_over_60() -> None:
    too_long = []
    for path in sorted(RUNTIME.glob("*.py")):
        text = path.read_text(encoding="utf-8")
        lines = len(text.splitlines())
        if lines > MAX_FILE_LINES:
            too_long.append(f"{path.name}: {lines} lines")
        for node in ast.walk(ast.parse(text, path.name)):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                first = min([node.lineno] + [d.lineno for d in node.decorator_list])
                length = (node.end_lineno or node.lineno) - first + 1
                if length > MAX_FUNCTION_LINES:
                    too_long.append(f"{path.name}:{first} {node.name}: {length} lines")
    assert too_long == []
