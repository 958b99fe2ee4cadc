"""Build every distribution into dist/ and show that each is one a publisher can ship.

Run by `make dist`. The packages come from their generator configs
(``openapi/*-python.yaml``, ``openapi/*-node.yaml``), never from a list of names:

1. build: each Python package's sdist, and its wheel built from that sdist (so the sdist
   is complete); the top-level ``tokenworks`` distribution (setup.py); the Node package's
   ``npm pack`` tarball. Python builds run on copies, so no build leftovers land in
   generated/, and without build isolation: the venv's pinned setuptools, no download;
2. ``twine check --strict``, and what each artifact must hold: docs/, LICENSE and
   CHANGELOG.md; py.typed; the config's version; one import package per distribution
   and none in ``tokenworks``;
3. each wheel installed into a clean venv of its own with ``--no-index`` (urllib3 from
   ``--wheels``) and imported from there; ``tokenworks`` installed with its requirements
   from dist/;
4. each package's documented example (the first one of its ``docs/*Api.md`` pages) run as
   a user runs it against the package's Prism mock: with that venv's Python, or for the
   Node tarball, installed into an empty npm project and run with node.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
import zipfile
from dataclasses import dataclass
from email.parser import HeaderParser
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
DIST = ROOT / "dist"
sys.path.insert(0, str(ROOT / "tests"))

from mock_servers import PrismServer, free_ports, stop_all

# What the top-level setup.py needs to build its sdist and wheel.
META_FILES = ("setup.py", "MANIFEST.in", "LICENSE", "openapi/python-common.yaml")
META_NAME = "tokenworks"
BUILD_LEFTOVERS = shutil.ignore_patterns("build", "dist", "*.egg-info", "__pycache__", "*.py[cod]")


class DistError(Exception):
    """An artifact that cannot be shipped, or a step that failed."""


@dataclass(frozen=True)
class Package:
    """One generated package, as its generator config describes it."""

    config: Path
    folder: Path  # outputDir
    name: str  # the distribution (Python) or package.json name (Node)
    version: str
    module: str  # the import package (Python) or the require() name (Node)
    spec: Path  # inputSpec
    node: bool

    @property
    def provider(self) -> str:
        """The name tests/mock_servers.py knows the spec by: openapi/<provider>.yaml."""
        return self.spec.stem


def load_config(path: Path) -> dict[str, Any]:
    """A generator config with its '!include' merged in (the included keys come first)."""
    config: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    included = config.pop("!include", None)
    if included:
        base: dict[str, Any] = yaml.safe_load((path.parent / included).read_text(encoding="utf-8"))
        config = {**base, **config}
    return config


def packages() -> list[Package]:
    found = []
    for pattern, node in (("*-python.yaml", False), ("*-node.yaml", True)):
        for path in sorted((ROOT / "openapi").glob(pattern)):
            config = load_config(path)
            settings = config["additionalProperties"]
            found.append(
                Package(
                    config=path,
                    folder=ROOT / config["outputDir"],
                    name=str(settings["projectName"]),
                    version=str(settings["projectVersion" if node else "packageVersion"]),
                    module=str(settings["moduleName" if node else "packageName"]),
                    spec=ROOT / config["inputSpec"],
                    node=node,
                )
            )
    if not any(not p.node for p in found):
        raise DistError("no Python package configs (openapi/*-python.yaml)")
    return found


def run(command: list[str | Path], cwd: Path, env: dict[str, str] | None = None) -> str:
    """Run a command; its output, or a DistError holding the end of it."""
    result = subprocess.run(
        [str(part) for part in command],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if result.returncode != 0:
        output = (result.stdout + result.stderr)[-4000:]
        raise DistError(f"`{' '.join(map(str, command))}` failed ({result.returncode}):\n{output}")
    return result.stdout


def step(message: str) -> None:
    print(message, flush=True)


# 1. Build.


def build_python(source: Path, work: Path) -> tuple[Path, Path]:
    """The sdist, then the wheel from it, of a copy of ``source``: (sdist, wheel) in dist/."""
    copy = work / "src" / source.name
    shutil.copytree(source, copy, ignore=BUILD_LEFTOVERS)
    before = set(DIST.iterdir())
    run([sys.executable, "-m", "build", "--no-isolation", "--outdir", DIST, copy], cwd=work)
    built = set(DIST.iterdir()) - before
    sdists = [path for path in built if path.name.endswith(".tar.gz")]
    wheels = [path for path in built if path.suffix == ".whl"]
    if len(sdists) != 1 or len(wheels) != 1 or len(built) != 2:
        raise DistError(f"building {source} gave {sorted(path.name for path in built)}")
    return sdists[0], wheels[0]


def meta_version() -> str:
    """The version of the top-level distribution: set in setup.py, not in a config."""
    match = re.search(
        r'^VERSION = "([^"]+)"$', (ROOT / "setup.py").read_text("utf-8"), re.MULTILINE
    )
    if match is None:
        raise DistError("setup.py sets no VERSION")
    return match.group(1)


def meta_source(work: Path, python: list[Package]) -> Path:
    """The files the top-level setup.py builds from, copied into ``work``."""
    source = work / META_NAME
    for name in [*META_FILES, *(p.config.relative_to(ROOT).as_posix() for p in python)]:
        (source / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, source / name)
    return source


def build_node(package: Package) -> Path:
    (packed,) = json.loads(
        run(["npm", "pack", "--json", "--pack-destination", DIST, package.folder], cwd=ROOT)
    )
    return DIST / str(packed["filename"])


# 2. What each artifact holds.


def files_under(folder: Path) -> set[str]:
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}


def require(missing: set[str], artifact: Path) -> None:
    if missing:
        raise DistError(f"{artifact.name} lacks {', '.join(sorted(missing))}")


def check_sdist(sdist: Path, package: Package) -> None:
    with tarfile.open(sdist) as archive:
        names = {name.split("/", 1)[1] for name in archive.getnames() if "/" in name}
    docs = {f"docs/{name}" for name in files_under(package.folder / "docs")}
    expected = {"LICENSE", "CHANGELOG.md", "README.md", "pyproject.toml", "PKG-INFO"}
    require((expected | docs | {f"{package.module}/py.typed"}) - names, sdist)


def wheel_metadata(wheel: Path) -> tuple[set[str], dict[str, list[str]]]:
    """The wheel's top-level import packages and its METADATA fields."""
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        (metadata_name,) = (n for n in names if n.endswith(".dist-info/METADATA"))
        message = HeaderParser().parsestr(archive.read(metadata_name).decode("utf-8"))
    top = {name.split("/", 1)[0] for name in names if ".dist-info/" not in name}
    fields: dict[str, list[str]] = {}
    for key, value in message.items():
        fields.setdefault(key, []).append(value)
    if not any(n.endswith(".dist-info/licenses/LICENSE") for n in names):
        raise DistError(f"{wheel.name} lacks its LICENSE")
    return top, fields


def check_wheel(wheel: Path, name: str, version: str, modules: set[str]) -> None:
    top, fields = wheel_metadata(wheel)
    if top != modules:
        raise DistError(f"{wheel.name} holds {sorted(top)}, expected {sorted(modules)}")
    expected = {"Name": [name], "Version": [version], "License-Expression": ["Apache-2.0"]}
    expected["Requires-Python"] = [">=3.9"]
    for key, values in expected.items():
        if fields.get(key) != values:
            raise DistError(f"{wheel.name}: {key} is {fields.get(key)}, expected {values}")
    if modules:
        with zipfile.ZipFile(wheel) as archive:
            require({f"{m}/py.typed" for m in modules} - set(archive.namelist()), wheel)
        if "Typing :: Typed" not in fields.get("Classifier", []):
            raise DistError(f"{wheel.name} does not say it is typed")


def check_tarball(tarball: Path, package: Package) -> None:
    with tarfile.open(tarball) as archive:
        names = {name.split("/", 1)[1] for name in archive.getnames()}
        manifest = json.load(archive.extractfile("package/package.json"))  # type: ignore[arg-type]
    docs = {f"docs/{name}" for name in files_under(package.folder / "docs")}
    expected = {"LICENSE", "CHANGELOG.md", "README.md", "package.json", "src/index.js"}
    require((expected | docs) - names, tarball)
    for key, value in (("name", package.name), ("version", package.version)):
        if manifest.get(key) != value:
            raise DistError(f"{tarball.name}: package.json {key} is {manifest.get(key)!r}")
    if manifest.get("license") != "Apache-2.0":
        raise DistError(f"{tarball.name}: package.json has no Apache-2.0 license")


# 3. and 4. Installed into clean environments, imported, the documented example run.


def clean_env() -> dict[str, str]:
    """The environment without variables that would reach outside the venv under test."""
    drop = ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "PIP_FIND_LINKS", "PIP_INDEX_URL")
    return {key: value for key, value in os.environ.items() if key not in drop}


def venv_with(work: Path, label: str, requirement: str, wheels: Path) -> Path:
    """A new venv with only ``requirement`` and its dependencies, from dist/ and ``wheels``."""
    venv = work / f"venv-{label}"
    run([sys.executable, "-m", "venv", "--without-pip", venv], cwd=work)
    python = venv / "bin" / "python"
    pip: list[str | Path] = [sys.executable, "-m", "pip", "--python", python, "install", "-q"]
    sources: list[str | Path] = ["--no-index", "--find-links", DIST, "--find-links", wheels]
    run([*pip, *sources, requirement], cwd=work, env=clean_env())
    return python


def check_imports(python: Path, modules: dict[str, tuple[str, str]]) -> None:
    """Each module imports from the venv; module -> (distribution, version) installed."""
    venv = python.parent.parent
    code = (
        "import importlib, importlib.metadata as m, json, sys\n"
        "print(json.dumps({name: [importlib.import_module(name).__file__, m.version(dist)]"
        " for name, (dist, _) in json.loads(sys.argv[1]).items()}))"
    )
    found = json.loads(run([python, "-c", code, json.dumps(modules)], cwd=venv, env=clean_env()))
    for module, (path, version) in found.items():
        if not Path(path).is_relative_to(venv):
            raise DistError(f"{module} was imported from {path}, not from {venv}")
        if version != modules[module][1]:
            raise DistError(f"{modules[module][0]} is installed at {version}")


def example_token(spec: Path) -> str:
    """The access_token of the spec's first 200 example: what its Prism mock answers."""
    for path_item in yaml.safe_load(spec.read_text(encoding="utf-8"))["paths"].values():
        for operation in path_item.values():
            answer = (
                operation.get("responses", {}).get("200", {}) if isinstance(operation, dict) else {}
            )
            for media in answer.get("content", {}).values():
                example = media.get("example")
                example = json.loads(example) if isinstance(example, str) else example
                if isinstance(example, dict) and "access_token" in example:
                    return str(example["access_token"])
    raise DistError(f"{spec.name} has no 200 example with an access_token")


def documented_example(package: Package, language: str) -> str:
    """The first example of the package's API pages."""
    for page in sorted((package.folder / "docs").glob("*Api.md")):
        match = re.search(
            rf"^```{language}\n(.*?)^```", page.read_text("utf-8"), re.DOTALL | re.MULTILINE
        )
        if match:
            return match.group(1)
    raise DistError(f"{package.folder}/docs has no {language} example")


def run_example(command: list[str | Path], cwd: Path, env: dict[str, str], token: str) -> None:
    output = run(command, cwd=cwd, env=env)
    if token not in output:
        raise DistError(f"the example did not print the mock's access token:\n{output}")


def python_example(package: Package, python: Path, server: PrismServer, work: Path) -> None:
    spec = yaml.safe_load(package.spec.read_text(encoding="utf-8"))
    code = documented_example(package, "python").replace(spec["servers"][0]["url"], server.url)
    folder = work / f"example-{package.provider}"
    folder.mkdir()
    (folder / "example.py").write_text(code, encoding="utf-8")
    env = {**clean_env(), f"{package.module.upper()}_HOST": server.url}
    run_example([python, "example.py"], folder, env, example_token(package.spec))


def node_example(package: Package, tarball: Path, server: PrismServer, work: Path) -> None:
    project = work / "node-project"
    project.mkdir()
    (project / "package.json").write_text('{"name": "user-project", "private": true}')
    run(
        ["npm", "install", "--offline", "--no-audit", "--no-fund", "--loglevel=error", tarball],
        cwd=project,
    )
    base_path = re.compile(
        rf'^// ({re.escape(package.module)}\.ApiClient\.instance\.basePath = )"[^"]*";$',
        re.MULTILINE,
    )
    code, count = base_path.subn(
        rf"\g<1>{json.dumps(server.url)};", documented_example(package, "javascript")
    )
    if count != 1:
        raise DistError(f"{package.folder}/docs: the example does not show how to set basePath")
    (project / "example.js").write_text(code, encoding="utf-8")
    run_example(["node", "example.js"], project, clean_env(), example_token(package.spec))
    step(f"  {tarball.name}: npm install in an empty project; its doc example got a token")


def size(path: Path) -> str:
    return f"{path.stat().st_size / 1024:6.1f} kB"


@dataclass
class Artifacts:
    python: dict[Package, tuple[Path, Path]]  # (sdist, wheel)
    meta: tuple[Path, Path]
    node: dict[Package, Path]


def build(work: Path, all_packages: list[Package]) -> Artifacts:
    python = [p for p in all_packages if not p.node]
    node = [p for p in all_packages if p.node]
    step(f"building {len(python)} Python packages, {META_NAME} and {len(node)} Node package(s)")
    return Artifacts(
        python={p: build_python(p.folder, work) for p in python},
        meta=build_python(meta_source(work, python), work),
        node={p: build_node(p) for p in node},
    )


def check_contents(artifacts: Artifacts) -> None:
    python_artifacts = sorted(DIST.glob("*.whl")) + sorted(DIST.glob("*.tar.gz"))
    run([sys.executable, "-m", "twine", "check", "--strict", *python_artifacts], cwd=ROOT)
    step(f"twine check --strict passed on {len(python_artifacts)} artifacts")
    for package, (sdist, wheel) in artifacts.python.items():
        check_sdist(sdist, package)
        check_wheel(wheel, package.name, package.version, {package.module})
    check_wheel(artifacts.meta[1], META_NAME, meta_version(), set())
    for package, tarball in artifacts.node.items():
        check_tarball(tarball, package)
    step("contents checked: docs/, LICENSE, CHANGELOG.md, py.typed, versions, no overlap")


def check_installs(
    artifacts: Artifacts, servers: dict[str, PrismServer], work: Path, wheels: Path
) -> None:
    for package, (_, wheel) in artifacts.python.items():
        python = venv_with(work, package.provider, str(wheel), wheels)
        check_imports(python, {package.module: (package.name, package.version)})
        python_example(package, python, servers[package.provider], work)
        step(f"  {wheel.name}: imports in a clean venv; its doc example got a token")
    python = venv_with(work, META_NAME, META_NAME, wheels)
    check_imports(python, {p.module: (p.name, p.version) for p in artifacts.python})
    step(f"  {artifacts.meta[1].name}: installs the {len(artifacts.python)} from dist/, all import")
    for package, tarball in artifacts.node.items():
        node_example(package, tarball, servers[package.provider], work)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--wheels", type=Path, required=True, help="folder with the urllib3 wheel")
    wheels = parser.parse_args().wheels.resolve()
    start = time.monotonic()
    all_packages = packages()
    shutil.rmtree(DIST, ignore_errors=True)
    DIST.mkdir()
    # Prism boots (a few seconds) while the packages build.
    names = sorted({p.provider for p in all_packages})
    servers = {name: PrismServer(name, port) for name, port in zip(names, free_ports(len(names)))}
    try:
        for server in servers.values():
            server.start()
        with tempfile.TemporaryDirectory(prefix="tokenworks-dist-") as scratch:
            work = Path(scratch)
            artifacts = build(work, all_packages)
            check_contents(artifacts)
            for server in servers.values():
                server.wait_ready()
            check_installs(artifacts, servers, work, wheels)
    finally:
        stop_all(servers)
    for artifact in sorted(DIST.iterdir()):
        step(f"{size(artifact)}  dist/{artifact.name}")
    step(f"dist/ is ready ({time.monotonic() - start:.0f} s)")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except DistError as error:
        print(f"make dist: {error}", file=sys.stderr)
        sys.exit(1)
