"""Generation is deterministic: two fresh runs give the same bytes.

Each run copies openapi/, templates/ and ruff.toml into its own temporary directory and
runs there what `make generate` runs: scripts/generate.py on every config. Whether
generated/ is what they produce is `make check-generated`'s job (CI runs it).
"""

from __future__ import annotations

import difflib
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from generation import finish_generation, start_generation
from providers import PROVIDERS, REPO_ROOT


def _configs(root: Path) -> dict[str, dict[str, object]]:
    """The generator configs under root/openapi (files with an outputDir), includes merged."""
    configs = {}
    for path in sorted((root / "openapi").glob("*.yaml")):
        config = yaml.safe_load(path.read_text(encoding="utf-8"))
        if not isinstance(config, dict) or "outputDir" not in config:
            continue  # a spec or a shared fragment
        included = config.get("!include")
        if included:
            config = {**yaml.safe_load((path.parent / included).read_text()), **config}
        configs[path.relative_to(root).as_posix()] = config
    return configs


CONFIGS = _configs(REPO_ROOT)


def _start_generation(workdir: Path) -> subprocess.Popen[bytes]:
    workdir.mkdir(parents=True)
    shutil.copytree(REPO_ROOT / "openapi", workdir / "openapi")
    shutil.copytree(REPO_ROOT / "templates", workdir / "templates")
    shutil.copy2(REPO_ROOT / "ruff.toml", workdir / "ruff.toml")
    configs = sorted(_configs(workdir))  # paths relative to the root, as the Makefile gives
    assert configs == sorted(CONFIGS)
    return start_generation(configs, workdir)


@pytest.fixture(scope="module")
def generations(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """Two independent generations, run in parallel; their generated/ folders."""
    base = tmp_path_factory.mktemp("determinism")
    workdirs = (base / "first", base / "second")
    processes = [_start_generation(workdir) for workdir in workdirs]
    try:
        for process in processes:
            finish_generation(process)
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
                process.wait()
    return workdirs[0] / "generated", workdirs[1] / "generated"


def _tree(root: Path) -> dict[str, bytes]:
    """Every file under root: relative POSIX path -> bytes."""
    return {
        path.relative_to(root).as_posix(): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def _differences(expected: dict[str, bytes], actual: dict[str, bytes]) -> str:
    """A readable account of how two trees differ (empty when they do not)."""
    lines = [f"only in the first: {name}" for name in sorted(expected.keys() - actual.keys())]
    lines += [f"only in the second: {name}" for name in sorted(actual.keys() - expected.keys())]
    for name in sorted(expected.keys() & actual.keys()):
        if expected[name] != actual[name]:
            diff = difflib.unified_diff(
                expected[name].decode(errors="replace").splitlines(),
                actual[name].decode(errors="replace").splitlines(),
                f"first/{name}",
                f"second/{name}",
                lineterm="",
                n=1,
            )
            lines += list(diff)[:40]
    return "\n".join(lines)


def test_every_package_is_generated(generations: tuple[Path, Path]) -> None:
    first = _tree(generations[0])
    python_folders = {
        str(config["outputDir"]) for config in CONFIGS.values() if config["generatorName"] == "python"
    }
    assert {f"generated/{p.folder}" for p in PROVIDERS} <= python_folders
    for provider in PROVIDERS:
        package = provider.package
        for module in ("__init__.py", "api_client.py", "configuration.py", "rest.py", "py.typed"):
            assert f"{provider.folder}/{package}/{module}" in first
        assert f"{provider.folder}/.openapi-generator/FILES" in first
        assert f"{provider.folder}/pyproject.toml" in first


def test_two_generations_give_identical_bytes(generations: tuple[Path, Path]) -> None:
    first, second = (_tree(root) for root in generations)
    assert len(first) > 40
    differences = _differences(first, second)
    if differences:
        pytest.fail(differences, pytrace=False)


def test_every_package_carries_the_runtime_byte_for_byte(generations: tuple[Path, Path]) -> None:
    """The runtime is one source: each package's copy is templates/python/runtime, unchanged."""
    first = _tree(generations[0])
    runtime = sorted((REPO_ROOT / "templates" / "python" / "runtime").glob("*.py"))
    assert len(runtime) >= 8
    for provider in PROVIDERS:
        for source in runtime:
            assert first[f"{provider.folder}/{provider.package}/{source.name}"] == source.read_bytes()
