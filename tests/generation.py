"""Running the generator as `make generate` does, for tests that generate into a scratch folder.

The Makefile runs openapi-generator's batch command on the configs, copies the JavaScript
runtime into each Node package, then runs ruff's fix step, because mustache cannot sort
imports or ``__all__``.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

BIN = Path(sys.executable).parent


def start_batch(configs: list[str], cwd: Path) -> subprocess.Popen[bytes]:
    """Start one generator JVM on ``configs`` (paths relative to ``cwd``)."""
    return subprocess.Popen(
        [str(BIN / "openapi-generator-cli"), "batch", "--fail-fast", *configs],
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )


def finish_batch(process: subprocess.Popen[bytes]) -> None:
    """Wait for a batch run; fail with the end of its output unless it succeeded."""
    output, _ = process.communicate(timeout=240)
    assert process.returncode == 0, output.decode(errors="replace")[-4000:]


def sort_imports(folders: list[str], cwd: Path) -> None:
    """ruff's fix step of `make generate`: imports and ``__all__`` in ruff's order."""
    fix = subprocess.run(
        [
            str(BIN / "ruff"),
            "check",
            "--quiet",
            "--no-cache",
            "--fix-only",
            "--select",
            "I001,RUF022",
            *folders,
        ],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert fix.returncode == 0, fix.stdout + fix.stderr


def copy_javascript_runtime(cwd: Path) -> None:
    """Copy templates/javascript/runtime/*.js into src/ of each openapi/*-node.yaml's outputDir."""
    for config in sorted((cwd / "openapi").glob("*-node.yaml")):
        match = re.search(r"^outputDir: *(\S+)$", config.read_text(encoding="utf-8"), re.MULTILINE)
        assert match, f"{config} has no outputDir"
        for source in sorted((cwd / "templates" / "javascript" / "runtime").glob("*.js")):
            shutil.copyfile(source, cwd / match.group(1) / "src" / source.name)
