"""Running the generator as `make generate` does, for tests that generate into a scratch folder.

Both go through scripts/generate.py: the generator's batch run, the runtime copy,
and ruff's fix and format steps.
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.util
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

BIN = Path(sys.executable).parent
GENERATE = Path(__file__).resolve().parent.parent / "scripts" / "generate.py"
SPECS = Path(__file__).resolve().parent / "specs"  # the probe specs


def generate_script() -> ModuleType:
    """scripts/generate.py as a module, for tests of its functions."""
    loaded = importlib.util.spec_from_file_location("generate_script", GENERATE)
    assert loaded is not None and loaded.loader is not None
    module = importlib.util.module_from_spec(loaded)
    loaded.loader.exec_module(module)
    return module


def start_generation(configs: list[str], root: Path) -> subprocess.Popen[bytes]:
    """Start scripts/generate.py on ``configs`` (paths relative to ``root``, outputs too)."""
    return subprocess.Popen(
        [sys.executable, str(GENERATE), "--root", str(root), *configs],
        cwd=root,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )


def finish_generation(process: subprocess.Popen[bytes]) -> None:
    """Wait for a generation; fail with the end of its output unless it succeeded."""
    output, _ = process.communicate(timeout=240)
    assert process.returncode == 0, output.decode(errors="replace")[-4000:]


def generate(configs: list[str], root: Path) -> None:
    """Generate ``configs`` under ``root`` and wait for it."""
    finish_generation(start_generation(configs, root))


def generate_probe(spec: Path, package: str, root: Path) -> Path:
    """Generate a probe spec as a Python package under ``root``; check it with ruff and mypy.

    Returns the folder to put on ``sys.path``. The config is python-common.yaml with
    the spec, our templates and the package name: a provider's config, nothing more.
    """
    generate([_python_probe_config(spec, package, root).name], root)
    return _check_python_probe(package, root)


def generate_probes(spec: Path, package: str, module: str, root: Path) -> tuple[Path, Path]:
    """Generate a probe spec as a Python package (as generate_probe does) and as a Node.js
    package, in one generator run under ``root``.

    Returns the folder to put on ``sys.path`` and the Node package's folder (what
    ``require`` takes). The Node config is CyberSource's (openapi/cybersource-node.yaml)
    with the spec, our templates and ``module`` as its name.
    """
    import yaml

    repo = GENERATE.parent.parent
    config = yaml.safe_load((repo / "openapi" / "cybersource-node.yaml").read_text(encoding="utf-8"))
    properties = dict(config["additionalProperties"])
    properties.update(
        projectName=module, moduleName=module, packageFolder="out-node", clientCertificateRequired=False
    )
    config.update(
        inputSpec=str(spec),
        outputDir="out-node",
        templateDir=str(repo / "templates" / "javascript"),
        additionalProperties=properties,
    )
    node_config = root / f"{module}-node.yaml"
    node_config.write_text(yaml.safe_dump(config), encoding="utf-8")
    generate([_python_probe_config(spec, package, root).name, node_config.name], root)
    return _check_python_probe(package, root), root / "out-node"


def _python_probe_config(spec: Path, package: str, root: Path) -> Path:
    import yaml

    repo = GENERATE.parent.parent
    config = yaml.safe_load((repo / "openapi" / "python-common.yaml").read_text(encoding="utf-8"))
    config.update(
        inputSpec=str(spec),
        outputDir="out",
        templateDir=str(repo / "templates" / "python"),
        additionalProperties={
            "packageName": package,
            "projectName": package.replace("_", "-"),
            "packageVersion": "0.0.1",
        },
    )
    config_path = root / f"{package}-python.yaml"
    config_path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return config_path


def _check_python_probe(package: str, root: Path) -> Path:
    """ruff and mypy --strict on a generated probe package; its folder."""
    repo = GENERATE.parent.parent
    out = root / "out"
    for command in (
        [str(BIN / "ruff"), "check", "--no-cache", "--config", str(repo / "ruff.toml"), package],
        [str(BIN / "mypy"), "--strict", "--no-incremental", "-p", package],
    ):
        done = subprocess.run(command, cwd=out, capture_output=True, text=True, check=False)
        assert done.returncode == 0, done.stdout + done.stderr
    return out


def run_example(code: str, folder: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Run a docs example as a user would: ``folder/example.py`` in ``folder``, with ``env``."""
    script = folder / "example.py"
    script.write_text(code, encoding="utf-8")
    return subprocess.run(
        [sys.executable, str(script)],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@contextlib.contextmanager
def imported_probe(spec: Path, package: str, root: Path) -> Iterator[ModuleType]:
    """generate_probe, then the package imported; unimported again afterwards."""
    out = generate_probe(spec, package, root)
    sys.path.insert(0, str(out))
    try:
        yield importlib.import_module(package)
    finally:
        sys.path.remove(str(out))
        for name in [m for m in sys.modules if m == package or m.startswith(package + ".")]:
            del sys.modules[name]


def probe_fixture(spec: str, package: str) -> Any:
    """A module-scoped ``probe`` fixture: tests/specs/<spec>.yaml generated as ``package``,
    imported for the module's tests (``probe = probe_fixture(...)`` in the module)."""

    @pytest.fixture(scope="module")
    def probe(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModuleType]:
        root = tmp_path_factory.mktemp(spec)
        with imported_probe(SPECS / f"{spec}.yaml", package, root) as module:
            yield module

    return probe


def probe_client(probe: ModuleType, host: str, **settings: Any) -> Any:
    """An ApiClient of a probe package for ``host``, without retries."""
    return probe.ApiClient(probe.Configuration(host=host, retries=0, **settings))
