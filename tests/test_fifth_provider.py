"""A fifth provider is a spec and a config: nothing else in the repository changes.

tests/fixtures/fifth_provider/openapi holds Spotify Accounts' token endpoint
(client_credentials and refresh_token, the client authenticated with HTTP Basic:
client_secret_basic). The repository's generation inputs are copied into a temporary
checkout, ONLY those two files are added to its openapi/, and scripts/generate.py runs
there on the glob of configs, as `make generate` does. Then: the package is there, clean
under ruff and mypy --strict, found by the Makefile's and the tests' globs, its
documented TokenManager example obtains a token from a local server that checks the
exact Basic header and form body, and every file outside openapi/ and the new
package's folder is byte for byte what the repository has.
"""

from __future__ import annotations

import base64
import filecmp
import importlib
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from providers import REPO_ROOT, Provider, discover
from pytest_httpserver import HTTPServer

FIXTURE = REPO_ROOT / "tests" / "fixtures" / "fifth_provider" / "openapi"
#: What generation reads. LICENSE is there because templates/*/LICENSE link to it.
INPUTS = ("openapi", "templates", "scripts", "ruff.toml", "Makefile", "LICENSE")
PACKAGE = "spotify_accounts"
FOLDER = "spotify"
BIN = Path(sys.executable).parent

# The x-token-manager example credentials of the fixture, which the README's example uses.
CLIENT_ID = "0f1e2d3c4b5a69788796a5b4c3d2e1f0"
CLIENT_SECRET = "a1b2c3d4e5f60718293a4b5c6d7e8f90"
TOKEN = {"access_token": "BQD-fifth-provider-token", "token_type": "Bearer", "expires_in": 3600}


def run(command: list[str], cwd: Path, **options: Any) -> subprocess.CompletedProcess[str]:
    done: subprocess.CompletedProcess[str] = subprocess.run(
        command, cwd=cwd, capture_output=True, text=True, timeout=240, check=False, **options
    )
    return done


@pytest.fixture(scope="module")
def checkout(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The generation inputs copied, the fixture's two files added, generation run."""
    root = tmp_path_factory.mktemp("fifth-provider")
    for name in INPUTS:
        source = REPO_ROOT / name
        if source.is_dir():
            shutil.copytree(source, root / name, symlinks=True)
        else:
            shutil.copy2(source, root / name)
    added = sorted(FIXTURE.iterdir())
    assert [path.name for path in added] == ["spotify-python.yaml", "spotify.yaml"]
    for path in added:
        shutil.copy2(path, root / "openapi" / path.name)
    # No config named: scripts/generate.py takes every openapi/*-python.yaml and *-node.yaml.
    done = run([sys.executable, "scripts/generate.py"], root)
    assert done.returncode == 0, (done.stdout + done.stderr)[-4000:]
    assert f"generated/{FOLDER}" in done.stdout
    return root


@pytest.fixture(scope="module")
def package(checkout: Path) -> Iterator[ModuleType]:
    folder = str(checkout / "generated" / FOLDER)
    sys.path.insert(0, folder)
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(folder)
        for name in [m for m in sys.modules if m == PACKAGE or m.startswith(PACKAGE + ".")]:
            del sys.modules[name]


def test_the_package_is_generated_with_the_runtime_unchanged(checkout: Path) -> None:
    code = checkout / "generated" / FOLDER / PACKAGE
    assert (code / "api" / "token_api.py").is_file()
    assert (code / "py.typed").is_file()
    assert (checkout / "generated" / FOLDER / "pyproject.toml").is_file()
    runtime = sorted((REPO_ROOT / "templates" / "python" / "runtime").glob("*.py"))
    assert runtime
    for source in runtime:
        assert (code / source.name).read_bytes() == source.read_bytes(), source.name
    assert 'client_auth = "basic"' in (code / "api" / "token_api.py").read_text(encoding="utf-8")


def test_it_passes_ruff_and_mypy_strict(checkout: Path, tmp_path: Path) -> None:
    folder = checkout / "generated" / FOLDER
    settings = ["--no-cache", "--config", str(checkout / "ruff.toml")]
    for command in (
        [str(BIN / "ruff"), "check", *settings, PACKAGE],
        [str(BIN / "ruff"), "format", "--check", *settings, PACKAGE],
        [str(BIN / "mypy"), "--strict", "--cache-dir", str(tmp_path), "-p", PACKAGE],
    ):
        done = run(command, folder)
        assert done.returncode == 0, done.stdout + done.stderr


def test_the_globs_find_it(checkout: Path) -> None:
    """The tests' discovery (tests/providers.py) and the Makefile's package lists."""
    found = {provider.name: provider for provider in discover(checkout)}
    assert found[FOLDER] == Provider(
        FOLDER, PACKAGE, FOLDER, "spotify-python-TokenApi.md", "/api/token", checkout
    )
    assert set(found) == {p.name for p in discover()} | {FOLDER}
    printed = run(
        ["make", "--no-print-directory", "-f", "Makefile", "-f", "-", "print-providers"],
        checkout,
        input="print-providers:\n\t@echo $(PYTHON_PACKAGES) / $(PYTHON_DIRS)\n",
    )
    assert printed.returncode == 0, printed.stderr
    packages, _, dirs = printed.stdout.partition(" / ")
    assert FOLDER in packages.split()
    assert f"generated/{FOLDER}" in dirs.split()


def ignored(parts: tuple[str, ...]) -> bool:
    """What .gitignore leaves out: bytecode, and the build folders `make install` leaves."""
    caches = ("__pycache__", "build", ".ruff_cache", ".mypy_cache")
    return any(p in caches or p.endswith(".egg-info") for p in parts)


def files_under(root: Path, skip: tuple[str, ...]) -> dict[str, Path]:
    """Every file and link under root by relative path, leaving out the top folders in skip."""
    found = {}
    for path in root.rglob("*"):
        relative = path.relative_to(root)
        if relative.parts[0] in skip or ignored(relative.parts):
            continue
        if path.is_symlink() or path.is_file():
            found[relative.as_posix()] = path
    return found


def same(left: Path, right: Path) -> bool:
    if left.is_symlink() or right.is_symlink():
        return left.is_symlink() and right.is_symlink() and os.readlink(left) == os.readlink(right)
    return filecmp.cmp(left, right, shallow=False)


def test_nothing_outside_openapi_and_the_new_package_changed(checkout: Path) -> None:
    # The inputs: all as in the repository, but for the two files added to openapi/.
    ours = files_under(checkout, skip=("generated",))
    theirs = {
        relative: path
        for relative, path in files_under(REPO_ROOT, skip=("generated",)).items()
        if relative.split("/", 1)[0] in INPUTS
    }
    assert sorted(set(ours) - set(theirs)) == [
        "openapi/spotify-python.yaml",
        "openapi/spotify.yaml",
    ]
    assert sorted(set(theirs) - set(ours)) == []
    assert [name for name in theirs if not same(ours[name], theirs[name])] == []
    # The other packages: generated exactly as committed; only generated/spotify is new.
    ours = files_under(checkout / "generated", skip=(FOLDER,))
    theirs = files_under(REPO_ROOT / "generated", skip=(FOLDER,))
    assert sorted(set(ours) ^ set(theirs)) == []
    assert [name for name in theirs if not same(ours[name], theirs[name])] == []
    assert (checkout / "generated" / FOLDER).is_dir()


def readme_block(checkout: Path, heading: str) -> str:
    """The first ```python block after a README heading."""
    text = (checkout / "generated" / FOLDER / "README.md").read_text(encoding="utf-8")
    section = text.split(f"\n{heading}\n", 1)[1]
    return section.split("```python\n", 1)[1].split("```", 1)[0]


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def test_the_documented_token_manager_example_gets_a_token(
    checkout: Path, httpserver: HTTPServer, tmp_path: Path
) -> None:
    httpserver.expect_oneshot_request(
        "/api/token",
        method="POST",
        headers={
            "Authorization": basic(CLIENT_ID, CLIENT_SECRET),
            "Content-Type": "application/x-www-form-urlencoded",
        },
        data=b"grant_type=client_credentials",
    ).respond_with_json(TOKEN)
    script = tmp_path / "example.py"
    script.write_text(readme_block(checkout, "## Keeping a token"), encoding="utf-8")
    env = {
        **os.environ,
        "PYTHONPATH": str(checkout / "generated" / FOLDER),
        "SPOTIFY_ACCOUNTS_HOST": httpserver.url_for("").rstrip("/"),
    }
    done = run([sys.executable, str(script)], tmp_path, env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "token held; 3600 s to go when it was fetched" in done.stdout, done.stdout
    httpserver.check_assertions()
    assert len(httpserver.log) == 1  # the second get_token() used the kept token


def test_the_refresh_token_grant_with_basic_client_authentication(
    package: ModuleType, httpserver: HTTPServer
) -> None:
    rotated = {**TOKEN, "refresh_token": "AQB-rotated-refresh-token"}
    # RFC 6749 2.3.1: id and secret are form-encoded, then Base64-encoded as user:password.
    httpserver.expect_oneshot_request(
        "/api/token",
        method="POST",
        headers={"Authorization": basic("client+id", "s3cret%2B%2F")},
        data=b"grant_type=refresh_token&refresh_token=AQA-stored-refresh-token",
    ).respond_with_json(rotated)
    configuration = package.Configuration(host=httpserver.url_for("").rstrip("/"))
    with package.ApiClient(configuration) as client:
        manager = package.TokenManager(
            "client id", "s3cret+/", refresh_token="AQA-stored-refresh-token", api_client=client
        )
        assert manager.get_token() == TOKEN["access_token"]
        assert manager.refresh_token == "AQB-rotated-refresh-token"
    httpserver.check_assertions()
    assert type(manager.token).__name__ == "AccessToken"


#: The suite's tests that run for every provider, run for the fifth one only (``-k``).
#: Those needing Prism (the docs' examples) are left out: Prism is the slow part.
GENERIC_TESTS = (
    "test_connections.py",
    "test_proxies.py",
    "test_unicode_property.py",
    "test_generated_docs.py",
    "test_models.py",
    "test_versions.py",
    "test_reference_examples.py::test_every_provider_has_an_example",
)


def test_the_generic_tests_pass_for_it(checkout: Path, tmp_path: Path) -> None:
    """The tests that take every provider from the globs run for it: none falls back to
    another provider's call or needs a vendor extension the spec does not have."""
    # A checkout whose tests/ sees the fifth provider: the suite copied beside links to
    # the generated checkout's openapi/ and generated/ (the tests find the repository
    # from their own path).
    root = tmp_path / "repo"
    shutil.copytree(
        REPO_ROOT / "tests", root / "tests", ignore=shutil.ignore_patterns("__pycache__")
    )
    for name in ("openapi", "generated", "templates", "scripts", "LICENSE"):
        (root / name).symlink_to(checkout / name)
    env = {**os.environ, "PYTHONPATH": str(checkout / "generated" / FOLDER)}
    done = run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "-k",
            f"{FOLDER} or every_provider_has_an_example",
            "--deselect",
            "tests/test_generated_docs.py::test_example_runs",
            *(f"tests/{name}" for name in GENERIC_TESTS),
        ],
        root,
        env=env,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output[-6000:]
    assert " passed" in output and " failed" not in output, output[-2000:]
