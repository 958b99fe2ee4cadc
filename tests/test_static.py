"""Static checks: ruff on all our Python, mypy --strict on the runtime source, the generated
code and a user's script.

These are the repository's only ruff and mypy runs (`make lint` and `make typecheck` run
these tests).

The negative check proves the installed packages' annotations reach the type checker
(py.typed): a script with type errors must fail, at the lines that hold them.
"""

from __future__ import annotations

import importlib
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from providers import PROVIDERS, REPO_ROOT, Provider

BIN = Path(sys.executable).parent
RUFF = BIN / "ruff"
MYPY = BIN / "mypy"


def _run(command: list[str | Path], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(part) for part in command],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )


@pytest.fixture(scope="module")
def mypy_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A cache of our own, so parallel runs in the checkout do not share one."""
    return tmp_path_factory.mktemp("mypy-cache")


# Every Python file of the repository: the generated packages, the runtime source and our code.
RUNTIME = REPO_ROOT / "templates" / "python" / "runtime"
RUFF_PATHS = ["generated", "templates/python/runtime", "tests", "scripts", "bench", "setup.py"]


def test_ruff_passes_on_the_repository() -> None:
    result = _run([RUFF, "check", "--no-cache", *RUFF_PATHS], REPO_ROOT)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_runtime_source_is_formatted() -> None:
    """scripts/generate.py formats the copies; the source must already read the same."""
    result = _run([RUFF, "format", "--check", "--no-cache", RUNTIME], REPO_ROOT)
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_strict_passes_on_the_runtime_source(mypy_cache: Path) -> None:
    """templates/python/runtime as written, checked as the package ``runtime``."""
    result = _run(
        [MYPY, "--strict", "--cache-dir", mypy_cache, "--explicit-package-bases", "runtime"],
        RUNTIME.parent,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    files = len(list(RUNTIME.glob("*.py")))
    assert f"Success: no issues found in {files} source files" in result.stdout


@pytest.mark.parametrize("provider", PROVIDERS, ids=lambda p: p.name)
def test_installed_packages_are_marked_typed(provider: Provider) -> None:
    package = importlib.import_module(provider.package)
    assert package.__file__ is not None
    assert (Path(package.__file__).parent / "py.typed").is_file()


@pytest.mark.parametrize("script", ["typing_check.py", "typing_check_aio.py"])
def test_mypy_strict_passes_on_the_typing_script(script: str, mypy_cache: Path) -> None:
    """A user's scripts: the blocking classes, and the asyncio ones (``.aio``)."""
    result = _run([MYPY, "--strict", "--cache-dir", mypy_cache, f"tests/{script}"], REPO_ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Success: no issues found in 1 source file" in result.stdout


@pytest.mark.parametrize("provider", PROVIDERS, ids=lambda p: p.name)
def test_mypy_strict_passes_on_the_generated_package_itself(
    provider: Provider, mypy_cache: Path
) -> None:
    """The package's own code, not only what a user's script sees of it."""
    result = _run(
        [MYPY, "--strict", "--cache-dir", mypy_cache, "-p", provider.package], provider.generated
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Success: no issues found" in result.stdout


# Each wrong line ends with `# E: <mypy error code>`; reveal_type lines with `# R: <type>`.
# Positional optional arguments are None: that fits any optional parameter the spec may add,
# so only the positional use itself is wrong.
WRONG = textwrap.dedent(
    """\
    from __future__ import annotations

    import criteo_api_retailmedia_v2022_10
    import CyberSource
    import pandadoc_client
    import zuora_client
    from criteo_api_retailmedia_v2022_10.api import o_auth_api
    from pandadoc_client.api import o_auth_2_0_authentication_api

    zuora = zuora_client.OAuthApi()
    token = zuora.create_token(123, "secret", "client_credentials")  # E: arg-type
    zuora.create_token("id", "secret", "client_credentials", track_id="t")  # E: call-arg
    zuora.create_token("id", "secret")  # E: call-arg
    zuora.create_token("id", "secret", "client_credentials", None)  # E: call-arg
    expires: str = token.expires_in  # E: assignment
    reveal_type(token)  # R: zuora_client.model.token_response.TokenResponse

    request = CyberSource.CreateAccessTokenRequest(client_id=42)  # E: arg-type
    CyberSource.CreateAccessTokenRequest("cid")  # E: call-arg
    CyberSource.OAuthApi().create_access_token({"client_id": "x"})  # E: arg-type
    cs = CyberSource.OAuthApi().create_access_token(request)
    cs.expires_in.bit_length()  # E: union-attr
    reveal_type(cs)  # R: CyberSource.model.access_token_response.AccessTokenResponse

    with pandadoc_client.ApiClient(pandadoc_client.Configuration()) as client:
        api = o_auth_2_0_authentication_api.OAuth20AuthenticationApi(client)
        api.access_token(scope=["read", "write"])  # E: arg-type
        api.access_token("refresh_token")  # E: call-arg
        reveal_type(api.access_token())  # R: pandadoc_client.model.o_auth2_access_token_response.OAuth2AccessTokenResponse

    configuration = criteo_api_retailmedia_v2022_10.Configuration(access_token=1)  # E: arg-type
    with criteo_api_retailmedia_v2022_10.ApiClient(configuration) as client:
        criteo = o_auth_api.OAuthApi(client)
        criteo.get_token("client_credentials", "id", "secret", redirectUri="x")  # E: call-arg
        criteo.get_token("client_credentials", "id", "secret", _request_timeout="5")  # E: arg-type
        info = criteo.get_token_with_http_info("client_credentials", "id", "secret")
        info.status_code.upper()  # E: attr-defined
        reveal_type(info.data)  # R: criteo_api_retailmedia_v2022_10.model.access_token_model.AccessTokenModel
    """
)
# The same for the asyncio classes: awaited calls are typed as the blocking ones.
WRONG_AIO = textwrap.dedent(
    """\
    from __future__ import annotations

    import zuora_client
    from zuora_client import aio


    async def main() -> None:
        api = aio.OAuthApi(aio.ApiClient(zuora_client.Configuration()))
        created = await api.create_token(123, "secret", "client_credentials")  # E: arg-type
        await api.create_token_with_http_info("id", "secret", track_id="t")  # E: call-arg
        reveal_type(created)  # R: zuora_client.model.token_response.TokenResponse
        manager = aio.TokenManager("id", "secret", api_client=aio.ApiClient())
        reveal_type(await manager.get_token())  # R: str
        await manager.get_token(True)  # E: call-arg
    """
)


@pytest.mark.parametrize("source", [WRONG, WRONG_AIO], ids=["blocking", "aio"])
def test_mypy_strict_rejects_wrong_calls(source: str, tmp_path: Path, mypy_cache: Path) -> None:
    script = tmp_path / "wrong_calls.py"
    script.write_text(source, encoding="utf-8")
    result = _run([MYPY, "--strict", "--cache-dir", mypy_cache, script.name], tmp_path)
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    # The packages were found and are typed: no import complaints, no Any leaking in.
    for complaint in ("import-untyped", "import-not-found", "no-any", "Any"):
        assert complaint not in output, output

    expected_errors = set()
    expected_reveals = set()
    for number, line in enumerate(source.splitlines(), start=1):
        _code, _, comment = line.partition("  # ")
        if comment.startswith("E: "):
            expected_errors.add((number, comment[3:]))
        elif comment.startswith("R: "):
            expected_reveals.add((number, comment[3:]))
    assert len(expected_errors) >= (15 if source is WRONG else 3)

    found_errors = set()
    found_reveals = set()
    for line in output.splitlines():
        prefix = f"{script.name}:"
        if not line.startswith(prefix):
            continue
        number_text, _, rest = line[len(prefix) :].partition(": ")
        number = int(number_text)
        if rest.startswith("error:") and rest.endswith("]"):
            found_errors.add((number, rest.rsplit("[", 1)[1][:-1]))
        elif rest.startswith("note: Revealed type is "):
            found_reveals.add((number, rest.split('"')[1]))
        elif rest.startswith("error:"):
            found_errors.add((number, rest))
    assert found_errors == expected_errors, output
    assert found_reveals == expected_reveals, output


#: The longest template line (issue 24): logic that needs more belongs in scripts/generate.py.
TEMPLATE_LINE_LIMIT = 160


def test_no_template_line_is_over_the_limit() -> None:
    """A template line longer than the limit is split where the output allows: a line may end
    in ``{{!`` and the next begin with ``}}``, a comment that swallows the newline."""
    long_lines = [
        f"{path.relative_to(REPO_ROOT)}:{number}: {len(line)} characters"
        for language in ("python", "javascript")
        for path in sorted((REPO_ROOT / "templates" / language).rglob("*.mustache"))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if len(line) > TEMPLATE_LINE_LIMIT
    ]
    assert not long_lines, "\n".join(long_lines)
