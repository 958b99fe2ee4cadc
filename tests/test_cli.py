"""The command line: ``python -m <package> token`` and each distribution's console script.

Every test runs the command as a user would, in a subprocess, against a real local token
server (``TokenServer`` of token_server.py, which records each request), with the
credentials in the environment or on stdin, and its own HOME and token store folder.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from mock_servers import spec_path
from providers import PROVIDERS, REPO_ROOT, Provider
from token_server import (
    CLIENT_ID,
    CLIENT_SECRET,
    PACKAGES,
    STORED_REFRESH,
    Reply,
    TokenServer,
    access,
    refresh,
)

BIN = Path(sys.executable).parent
CODE = "authcode-Qm7Z-single-use"
#: Every provider's environment prefix: the children never see a variable of the parent's.
PREFIXES = tuple(f"{provider.package.upper()}_" for provider in PROVIDERS)


@dataclass(frozen=True)
class Cli:
    """One provider's command, run in a subprocess with a clean environment."""

    provider: Provider
    home: Path

    @property
    def grants(self) -> frozenset[str]:
        return frozenset(self.provider.module.TokenManager.grants)

    @property
    def refresh_only(self) -> bool:
        return "client_credentials" not in self.grants

    @property
    def command(self) -> str:
        """The console script: the distribution's name."""
        return f"tokenworks-{self.provider.folder}"

    @property
    def form_fields(self) -> set[str]:
        """The token operation's form fields, from its spec."""
        spec = yaml.safe_load(spec_path(self.provider.name).read_text(encoding="utf-8"))
        (operation,) = spec["paths"][self.provider.token_path].values()
        (media,) = operation["requestBody"]["content"].values()
        schema = media["schema"]
        if "$ref" in schema:
            schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
        return set(schema["properties"])

    def env_name(self, what: str) -> str:
        return f"{self.provider.package.upper()}_{what}"

    def environment(self, **extra: str | None) -> dict[str, str]:
        """A clean environment: the credentials (a refresh token where the provider needs
        one), a HOME and store folder of the test's own, no proxy, then ``extra``
        (None removes a variable)."""
        env = {
            name: value
            for name, value in os.environ.items()
            if not name.startswith(PREFIXES) and not name.lower().endswith("_proxy")
        }
        env.update(
            HOME=str(self.home),
            TOKENWORKS_CACHE_DIR=str(self.home / "cache"),
            PYTHONDONTWRITEBYTECODE="1",
        )
        env[self.env_name("CLIENT_ID")] = CLIENT_ID
        env[self.env_name("CLIENT_SECRET")] = CLIENT_SECRET
        if self.refresh_only:
            env[self.env_name("REFRESH_TOKEN")] = STORED_REFRESH
        for name, value in extra.items():
            if value is None:
                env.pop(name, None)
            else:
                env[name] = value
        return env

    def run(
        self,
        *args: str,
        env: Mapping[str, str | None] | None = None,
        stdin: str = "",
        script: bool = False,
        timeout: float = 60,
    ) -> subprocess.CompletedProcess[str]:
        """``python -m <package> ARGS`` (or the console script), its output as text."""
        argv = (
            [str(BIN / self.command)] if script else [sys.executable, "-m", self.provider.package]
        )
        return subprocess.run(
            [*argv, *args],
            input=stdin,
            env=self.environment(**(env or {})),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def token(
        self, server: TokenServer, *args: str, **options: Any
    ) -> subprocess.CompletedProcess[str]:
        """``token --host <server> ARGS``."""
        return self.run("token", "--host", server.url, *args, **options)


@pytest.fixture
def server() -> Iterator[TokenServer]:
    token_server = TokenServer()
    yield token_server
    token_server.close()


@pytest.fixture(params=PROVIDERS, ids=lambda p: p.name)
def cli(request: pytest.FixtureRequest, tmp_path: Path) -> Cli:
    return Cli(request.param, tmp_path)


def _cli(name: str, tmp_path: Path) -> Cli:
    (provider,) = (p for p in PROVIDERS if p.name == name)
    return Cli(provider, tmp_path)


@pytest.fixture
def zuora(tmp_path: Path) -> Cli:
    """A client_credentials-only provider."""
    return _cli("zuora", tmp_path)


@pytest.fixture
def pandadoc(tmp_path: Path) -> Cli:
    """A provider whose tokens come only from a refresh token or a code."""
    return _cli("pandadoc", tmp_path)


def assert_one_line_error(result: subprocess.CompletedProcess[str], code: int, cli: Cli) -> str:
    """The exit code is ``code``, stdout empty, stderr one line naming the command, no
    traceback and no secret."""
    assert result.returncode == code, result.stderr
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert lines[0].startswith("python -m " + cli.provider.package + ": ")
    for secret in (CLIENT_SECRET, STORED_REFRESH, CODE):
        assert secret not in result.stderr
    return lines[0]


# --- a token on stdout --------------------------------------------------------------------


def test_the_token_alone_is_printed(cli: Cli, server: TokenServer) -> None:
    result = cli.token(server)

    assert (result.returncode, result.stdout, result.stderr) == (0, access(1) + "\n", "")
    (seen,) = server.seen
    assert seen.path == cli.provider.token_path
    form = seen.form
    assert (form["client_id"], form["client_secret"]) == (CLIENT_ID, CLIENT_SECRET)
    if cli.refresh_only:
        assert (form["grant_type"], form["refresh_token"]) == ("refresh_token", STORED_REFRESH)
    else:
        assert form["grant_type"] == "client_credentials"


def test_each_distribution_has_a_console_script(cli: Cli, server: TokenServer) -> None:
    result = cli.run("token", "--host", server.url, script=True)

    assert (result.returncode, result.stdout) == (0, access(1) + "\n"), result.stderr
    assert server.count == 1


def test_the_host_comes_from_the_environment(zuora: Cli, server: TokenServer) -> None:
    result = zuora.run("token", env={zuora.env_name("HOST"): server.url})

    assert (result.returncode, result.stdout) == (0, access(1) + "\n"), result.stderr
    assert server.count == 1


def test_host_wins_over_the_environment(zuora: Cli, server: TokenServer, refused_url: str) -> None:
    result = zuora.token(server, env={zuora.env_name("HOST"): refused_url})

    assert (result.returncode, result.stdout) == (0, access(1) + "\n"), result.stderr


def test_json_prints_the_whole_answer(cli: Cli, server: TokenServer) -> None:
    server.rotate = True
    result = cli.token(server, "--json")

    assert result.returncode == 0, result.stderr
    assert result.stdout.endswith("\n") and result.stdout.count("\n") == 1
    assert json.loads(result.stdout) == server.token_body(1)
    assert '"expires_in": 3600' in result.stdout and "3600.0" not in result.stdout  # as sent


def test_the_client_id_may_be_an_option(zuora: Cli, server: TokenServer) -> None:
    other = "0" * 36
    result = zuora.token(server, "--client-id", other, env={zuora.env_name("CLIENT_ID"): None})

    assert result.returncode == 0, result.stderr
    assert server.seen[0].form["client_id"] == other


def test_the_secrets_may_come_from_stdin(cli: Cli, server: TokenServer) -> None:
    secret, refresh_token = "stdin-secret-+/=&-Lp2", "stdin-refresh-Vb8"
    args = ["--client-secret-stdin"]
    lines = [secret]
    if "refresh_token" in cli.grants:
        args.append("--refresh-token-stdin")
        lines.append(refresh_token)
    result = cli.token(
        server,
        *args,
        stdin="\n".join(lines) + "\n",
        env={cli.env_name("CLIENT_SECRET"): None, cli.env_name("REFRESH_TOKEN"): None},
    )

    assert (result.returncode, result.stdout) == (0, access(1) + "\n"), result.stderr
    form = server.seen[0].form
    assert form["client_secret"] == secret
    if "refresh_token" in cli.grants:
        assert (form["grant_type"], form["refresh_token"]) == ("refresh_token", refresh_token)


@pytest.mark.parametrize(
    "name", [name for name, pkg in PACKAGES.items() if "authorization_code" in pkg.grants]
)
def test_code_exchanges_an_authorization_code(
    name: str, server: TokenServer, tmp_path: Path
) -> None:
    cli = _cli(name, tmp_path)
    # --redirect-uri is offered where the token operation has the field.
    takes_redirect = "redirect_uri" in cli.form_fields
    assert ("--redirect-uri" in cli.run("token", "--help").stdout) == takes_redirect
    redirect = "https://app.example.com/callback"
    args = ["--code", CODE] + (["--redirect-uri", redirect] if takes_redirect else [])
    result = cli.token(server, *args, env={cli.env_name("REFRESH_TOKEN"): None})

    assert (result.returncode, result.stdout) == (0, access(1) + "\n"), result.stderr
    (seen,) = server.seen
    form = seen.form
    assert (form["grant_type"], form["code"]) == ("authorization_code", CODE)
    assert form.get("redirect_uri") == (redirect if takes_redirect else None)


def test_code_may_come_from_stdin(pandadoc: Cli, server: TokenServer) -> None:
    result = pandadoc.token(server, "--code", "-", stdin=CODE + "\n")

    assert result.returncode == 0, result.stderr
    assert server.seen[0].form["code"] == CODE


# --- failures: exit code and one line on stderr -------------------------------------------


def test_refused_credentials_exit_3_with_the_oauth_error(cli: Cli, server: TokenServer) -> None:
    # The server echoes the secret: stderr shows it redacted.
    server.then(
        Reply(401, {"error": "invalid_client", "error_description": f"bad secret {CLIENT_SECRET}"})
    )
    line = assert_one_line_error(cli.token(server), 3, cli)

    assert "invalid_client" in line and "bad secret [redacted]" in line
    assert "(401)" in line


def test_rate_limiting_after_the_retries_exits_3_as_every_4xx(
    zuora: Cli, server: TokenServer
) -> None:
    server.then(*[Reply(429, {"error": "too_many_requests"})] * 3)
    line = assert_one_line_error(zuora.token(server), 3, zuora)

    assert server.count == 3  # the first request and both retries
    assert "rate limited" in line and "too_many_requests" in line


def test_a_refused_refresh_token_exits_3(pandadoc: Cli, server: TokenServer) -> None:
    server.then(Reply(400, {"error": "invalid_grant", "error_description": "expired"}))
    line = assert_one_line_error(pandadoc.token(server), 3, pandadoc)

    assert "invalid_grant" in line and "a new authorization is needed" in line


@pytest.mark.parametrize(
    "failure", ["connection refused", "500", "503 after retries", "timeout"]
)
def test_no_answer_exits_4(
    zuora: Cli, server: TokenServer, failure: str, refused_url: str
) -> None:
    host, args = server.url, []
    if failure == "connection refused":
        host = refused_url
    elif failure == "timeout":
        server.then(Reply(delay=3))
        args = ["--timeout", "0.5"]
    else:
        status = int(failure.split()[0])
        server.then(*[Reply(status, {"error": "temporarily_unavailable"})] * 3)
    result = zuora.run("token", "--host", host, *args)
    line = assert_one_line_error(result, 4, zuora)

    if "retries" in failure:
        assert server.count == 3  # the first request and both retries
    if failure == "timeout":
        assert "timed out" in line.lower() or "timeout" in line.lower()


@pytest.mark.parametrize(
    "body",
    [{"token_type": "Bearer", "expires_in": 60}, "not an object", {"access_token": 7}],
    ids=["no access_token", "a JSON string", "a number as access_token"],
)
def test_an_answer_that_breaks_the_spec_exits_5(cli: Cli, server: TokenServer, body: Any) -> None:
    server.then(Reply(200, body))
    line = assert_one_line_error(cli.token(server), 5, cli)

    assert "(200)" in line


def test_a_bad_expires_in_exits_5_without_showing_the_token(
    zuora: Cli, server: TokenServer
) -> None:
    server.then(Reply(200, {"access_token": "atok-shown-nowhere-9", "expires_in": -5}))
    line = assert_one_line_error(zuora.token(server), 5, zuora)

    assert "atok-shown-nowhere-9" not in line and "expires_in" in line


# --- usage errors: exit 2, nothing sent ---------------------------------------------------


@pytest.mark.parametrize(
    "missing", ["CLIENT_ID", "CLIENT_SECRET"], ids=["no client id", "no client secret"]
)
def test_missing_credentials_are_a_usage_error(cli: Cli, server: TokenServer, missing: str) -> None:
    line = assert_one_line_error(cli.token(server, env={cli.env_name(missing): None}), 2, cli)

    assert cli.env_name(missing) in line
    assert server.count == 0


def test_no_refresh_token_is_a_usage_error_where_it_is_needed(
    pandadoc: Cli, server: TokenServer
) -> None:
    result = pandadoc.token(server, env={pandadoc.env_name("REFRESH_TOKEN"): None})
    line = assert_one_line_error(result, 2, pandadoc)

    assert pandadoc.env_name("REFRESH_TOKEN") in line and "--code" in line
    assert server.count == 0


@pytest.mark.parametrize(
    "args",
    [
        ["--client-secret", CLIENT_SECRET],
        [f"--client-secret={CLIENT_SECRET}"],
        ["--refresh-token", STORED_REFRESH],
        ["--no-such-option", CLIENT_SECRET],
    ],
    ids=["--client-secret", "--client-secret=", "--refresh-token", "unknown option"],
)
def test_a_secret_is_never_taken_from_the_arguments(
    pandadoc: Cli, server: TokenServer, args: list[str]
) -> None:
    # A secret typed as an argument by mistake is refused, and not repeated on stderr.
    assert_one_line_error(pandadoc.token(server, *args), 2, pandadoc)
    assert server.count == 0


def test_an_argument_the_spec_refuses_is_a_usage_error(zuora: Cli, server: TokenServer) -> None:
    # Zuora client ids are 36 characters: the package refuses others before sending.
    line = assert_one_line_error(zuora.token(server, "--client-id", "short"), 2, zuora)

    assert "client_id" in line
    assert server.count == 0


@pytest.mark.parametrize(
    "args",
    [
        [],
        ["token", "--server", "no-such-server"],
        ["token", "--host", "ftp://example.com"],
        ["token", "--timeout", "-1"],
        ["token", "--server", "production", "--host", "http://127.0.0.1:9"],
        ["sing"],
    ],
    ids=["no command", "unknown server", "bad host", "bad timeout", "server and host", "typo"],
)
def test_bad_usage_exits_2(zuora: Cli, args: list[str]) -> None:
    assert_one_line_error(zuora.run(*args), 2, zuora)


def test_an_unknown_server_names_the_servers(zuora: Cli) -> None:
    line = assert_one_line_error(zuora.run("token", "--server", "no-such"), 2, zuora)

    assert "us-cloud-2-api-sandbox" in line


# --- verbose, help, version ---------------------------------------------------------------


def test_verbose_logs_the_requests_and_never_a_secret(cli: Cli, server: TokenServer) -> None:
    server.rotate = True
    result = cli.token(server, "--verbose")

    assert (result.returncode, result.stdout) == (0, access(1) + "\n"), result.stderr
    assert f"POST {server.url}{cli.provider.token_path}" in result.stderr
    for secret in (CLIENT_SECRET, STORED_REFRESH, access(1), server.token_body(1)["refresh_token"]):
        assert secret not in result.stderr


def test_verbose_shows_the_traceback_of_a_failure(zuora: Cli, server: TokenServer) -> None:
    server.then(Reply(401, {"error": "invalid_client", "error_description": CLIENT_SECRET}))
    result = zuora.token(server, "-v")

    assert result.returncode == 3
    assert "Traceback" in result.stderr and "UnauthorizedException" in result.stderr
    assert CLIENT_SECRET not in result.stderr


def test_help_names_the_variables_grants_and_examples(cli: Cli) -> None:
    result = cli.run("token", "--help")

    assert result.returncode == 0 and result.stderr == ""
    text = result.stdout
    for name in ("CLIENT_ID", "CLIENT_SECRET", "HOST"):
        assert f"{cli.env_name(name)} " in text
    assert (cli.env_name("REFRESH_TOKEN") in text) == ("refresh_token" in cli.grants)
    assert ("--refresh-token-stdin" in text) == ("refresh_token" in cli.grants)
    assert ("--code CODE" in text) == ("authorization_code" in cli.grants)
    assert ("--store-key" in text) == ("refresh_token" in cli.grants)
    assert "--store DIR" in text and "--no-store" in text and "TOKENWORKS_CACHE_DIR" in text
    assert f"$({cli.command} token)" in text  # the curl example
    examples = text.split("examples:", 1)[1]
    assert examples.count(cli.command) >= 3
    for known in cli.provider.module.Configuration.servers:
        assert known.name in text


def test_the_top_level_help_lists_the_token_command(zuora: Cli) -> None:
    result = zuora.run("--help")

    assert result.returncode == 0
    assert "token" in result.stdout and "examples:" in result.stdout


def test_version(cli: Cli) -> None:
    result = cli.run("--version")

    version = cli.provider.module.__version__
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout == f"{cli.command} {version} ({cli.provider.package})\n"


# What `import <package>` must not load: the CLI and argparse (only `python -m` needs them),
# asyncio (only `.aio` does), and inspect, which dataclasses imports (about 7 ms).
NOT_IMPORTED = ("argparse", "asyncio", "inspect", "dataclasses")


def test_importing_the_package_loads_neither_the_cli_nor_heavy_modules(cli: Cli) -> None:
    package = cli.provider.package
    code = (
        f"import sys, {package}; {package}.TokenManager;"
        f" print(sorted(m for m in sys.modules if m in {NOT_IMPORTED!r} or m.endswith('._cli')))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )

    assert result.stdout == "[]\n"


# --- the docs -----------------------------------------------------------------------------


def _shell_section(readme: Path) -> str:
    text = readme.read_text(encoding="utf-8")
    return text.split("## From the shell", 1)[1].split("\n## ", 1)[0]


def test_each_readme_shows_its_own_command_with_options_it_takes(cli: Cli) -> None:
    section = _shell_section(cli.provider.generated / "README.md")
    help_text = cli.run("token", "--help").stdout

    assert f"python -m {cli.provider.package} token" in section
    assert f"$({cli.command} token)" in section
    shown = set(re.findall(r"(?<![\w-])--[a-z][a-z-]*", section))
    assert shown and shown <= set(re.findall(r"--[a-z][a-z-]*", help_text)) | {"--version"}
    for name in ("CLIENT_ID", "CLIENT_SECRET"):
        assert cli.env_name(name) in section
    assert (cli.env_name("REFRESH_TOKEN") in section) == ("refresh_token" in cli.grants)
    assert ("--code" in section) == ("authorization_code" in cli.grants)


def test_the_repository_readme_shows_options_the_commands_take(zuora: Cli) -> None:
    section = _shell_section(REPO_ROOT / "README.md")
    options: set[str] = set()
    for provider in PROVIDERS:
        options |= set(
            re.findall(r"--[a-z][a-z-]*", Cli(provider, zuora.home).run("token", "--help").stdout)
        )

    shown = set(re.findall(r"(?<![\w-])--[a-z][a-z-]*", section))
    assert shown and shown <= options | {"--help", "--version"}


# --- the token store ----------------------------------------------------------------------


def test_a_hundred_runs_make_one_token_request(zuora: Cli, server: TokenServer) -> None:
    outputs = {zuora.token(server).stdout for _ in range(100)}

    assert outputs == {access(1) + "\n"}
    assert server.count == 1
    assert any((zuora.home / "cache").iterdir())  # the default store: $TOKENWORKS_CACHE_DIR


def test_a_rotated_refresh_token_is_carried_to_the_next_run(
    pandadoc: Cli, server: TokenServer
) -> None:
    server.rotate = True
    server.expires_in = 1  # renewed after half a second: each run below asks again
    for run in range(1, 4):
        result = pandadoc.token(server)
        assert (result.returncode, result.stdout) == (0, access(run) + "\n"), result.stderr
        time.sleep(0.6)

    sent = [seen.form["refresh_token"] for seen in server.seen]
    # The first run starts from the environment's; each next one from the last rotated.
    assert sent == [STORED_REFRESH, refresh(1), refresh(2)]


def test_a_refresh_token_from_a_code_is_kept_for_the_next_run(
    pandadoc: Cli, server: TokenServer
) -> None:
    server.rotate = True
    server.expires_in = 1
    first = pandadoc.token(server, "--code", CODE, env={pandadoc.env_name("REFRESH_TOKEN"): None})
    assert first.returncode == 0, first.stderr
    time.sleep(0.6)
    second = pandadoc.token(server, env={pandadoc.env_name("REFRESH_TOKEN"): None})

    assert (second.returncode, second.stdout) == (0, access(2) + "\n"), second.stderr
    assert server.seen[1].form["refresh_token"] == refresh(1)


def test_store_chooses_the_folder(zuora: Cli, server: TokenServer) -> None:
    folder = zuora.home / "chosen"
    runs = [zuora.token(server, "--store", str(folder)) for _ in range(2)]

    assert [run.stdout for run in runs] == [access(1) + "\n"] * 2
    assert server.count == 1
    assert not (zuora.home / "cache").exists()
    files = list(folder.iterdir())
    assert files and folder.stat().st_mode & 0o777 == 0o700
    for path in files:
        assert path.stat().st_mode & 0o777 == 0o600
        assert CLIENT_SECRET not in path.read_text(encoding="utf-8")


def test_no_store_fetches_every_time_and_keeps_nothing(zuora: Cli, server: TokenServer) -> None:
    runs = [zuora.token(server, "--no-store") for _ in range(2)]

    assert [run.stdout for run in runs] == [access(1) + "\n", access(2) + "\n"]
    assert server.count == 2
    assert not (zuora.home / "cache").exists()


def test_json_of_a_stored_token_is_the_whole_answer(zuora: Cli, server: TokenServer) -> None:
    first = zuora.token(server, "--json")
    second = zuora.token(server, "--json")

    assert json.loads(first.stdout) == json.loads(second.stdout) == server.token_body(1)
    assert "3600.0" not in second.stdout  # the stored answer as the server sent it
    assert server.count == 1


def test_store_key_keeps_two_authorizations_apart(pandadoc: Cli, server: TokenServer) -> None:
    def run(refresh_token: str, *args: str) -> subprocess.CompletedProcess[str]:
        return pandadoc.token(
            server, *args, env={pandadoc.env_name("REFRESH_TOKEN"): refresh_token}
        )

    # One client id, two merchants' refresh tokens: without a key they share one record.
    assert run("rtok-merchant-a", "--store-key", "a").stdout == access(1) + "\n"
    assert run("rtok-merchant-b", "--store-key", "b").stdout == access(2) + "\n"
    assert run("rtok-merchant-a", "--store-key", "a").stdout == access(1) + "\n"

    sent = [seen.form["refresh_token"] for seen in server.seen]
    assert sent == ["rtok-merchant-a", "rtok-merchant-b"]


def test_a_store_that_fails_warns_in_one_line_and_the_token_is_printed(
    zuora: Cli, server: TokenServer
) -> None:
    not_a_folder = zuora.home / "a-file"
    not_a_folder.write_text("", encoding="utf-8")
    result = zuora.token(server, "--store", str(not_a_folder))

    assert (result.returncode, result.stdout) == (0, access(1) + "\n")
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"python -m {zuora.provider.package}: FileTokenStore(")
    assert CLIENT_SECRET not in line and "Traceback" not in line
