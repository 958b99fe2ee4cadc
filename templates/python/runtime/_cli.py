"""The command line of every package: ``python -m <package> token`` prints an access token.

Only the package's ``__main__`` (``python -m <package>`` and the distribution's console
script) imports this module, so ``import <package>`` never loads it or argparse. What
differs between packages comes from the package itself: its name, distribution and
environment prefix from ``__main__`` (rendered from the generator config), the options
and examples from its ``TokenManager.grants`` and ``Configuration.servers``.

Exit codes: 0 the token was printed; 2 a usage error (nothing was sent); 3 the server
refused the request (a 4xx answer, a 429 after the retries too); 4 no answer (no
connection, a timeout, a 5xx after the retries); 5 an answer that breaks the spec; 1 a bug
(an exception of no kind above). By default tokens are kept in the package's
FileTokenStore, so that many runs share one token and a rotated refresh token.
"""

from __future__ import annotations

import argparse
import getpass
import importlib
import json
import logging
import os
import sys
import textwrap
import traceback
from collections.abc import Iterable, Sequence
from types import ModuleType
from typing import Any, NoReturn, Optional, TextIO

from ._schema import ModelSchema, resolve
from ._secrets import redact_text, shown_forms
from .exceptions import (
    ApiException,
    ApiTypeError,
    ApiValueError,
    MalformedResponseError,
    OpenApiException,
    TokenStoreError,
)

OK, USAGE, REFUSED, NO_ANSWER, BAD_ANSWER = 0, 2, 3, 4, 5
#: Options that would put a secret in the process list; refused with a pointer elsewhere.
_SECRET_OPTIONS = ("--client-secret", "--refresh-token", "--secret")


class UsageError(Exception):
    """A command line or environment that cannot work; nothing was sent."""


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser whose errors raise UsageError and never repeat an argument's value.

    ``unrecognized arguments: --client-secret hunter2`` would copy a secret typed by
    mistake into the terminal's scrollback and CI logs: only option names are shown.
    """

    def error(self, message: str) -> NoReturn:
        prefix = "unrecognized arguments: "
        if message.startswith(prefix):
            words = message[len(prefix) :].split()
            names = [word.split("=", 1)[0] for word in words if word.startswith("-")]
            hidden = len(words) - len(names)
            message = prefix + " ".join(names + (["(and values not shown)"] if hidden else []))
        raise UsageError(message)


class _Formatter(argparse.RawDescriptionHelpFormatter):
    """Keeps the descriptions and examples as written; wraps option help between words
    only, so a server name like ``us-cloud-2-api-sandbox`` is never cut at a hyphen."""

    def _split_lines(self, text: str, width: int) -> list[str]:
        return textwrap.wrap(" ".join(text.split()), width, break_on_hyphens=False)


class Package:
    """What the command needs to know about the package it runs for."""

    def __init__(self, package: str, command: str, env_prefix: str) -> None:
        self.name = package
        self.command = command  # the console script, named after the distribution
        self.env_prefix = env_prefix
        self.module: ModuleType = importlib.import_module(package)
        self.token_manager: Any = getattr(self.module, "TokenManager", None)
        if self.token_manager is None:
            raise UsageError(f"{package} has no token operation (x-token-manager)")
        self.configuration: Any = self.module.Configuration
        self.grants: frozenset[str] = frozenset(self.token_manager.grants)

    @property
    def form_fields(self) -> frozenset[str]:
        """The form fields the token operation sends, by wire name."""
        fields: set[str] = set()
        for param in self.token_manager.operation.params:
            schema = resolve(param.schema)
            if param.location == "form":
                fields.add(param.wire)
            elif param.location == "body" and isinstance(schema, ModelSchema):
                fields.update(prop.wire for prop in schema.model._props)
        return frozenset(fields)

    def env(self, what: str) -> str:
        return f"{self.env_prefix}_{what}"

    @property
    def version(self) -> str:
        return str(getattr(self.module, "__version__", "unknown"))


def main(
    argv: Optional[Sequence[str]] = None,
    *,
    package: str,
    command: str,
    env_prefix: str,
    prog: Optional[str] = None,
) -> int:
    """Run the command line; returns the exit code.

    :param package: the import name, e.g. ``zuora_client``.
    :param command: the console script, e.g. ``tokenworks-zuora``.
    :param env_prefix: the prefix of the environment variables, e.g. ``ZUORA_CLIENT``
        (the same one as the package's ``<PREFIX>_HOST``).
    :param prog: the name shown in messages (default ``command``).
    """
    args = list(sys.argv[1:] if argv is None else argv)
    name = prog or command
    verbose = "-v" in args or "--verbose" in args
    secrets: list[str] = []
    try:
        pkg = Package(package, command, env_prefix)
        _refuse_secret_arguments(args, pkg)
        options = build_parser(pkg, name).parse_args(args)
        if options.version:
            print(f"{command} {pkg.version} ({package})")
            return OK
        return _token(pkg, options, secrets, name)
    except UsageError as error:
        _fail(name, str(error))
        return USAGE
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return OK if _quiet_broken_pipe() else 1
    except OpenApiException as error:
        code, what = classify(error)
        if verbose:
            _print_traceback(secrets)
        _fail(name, f"{what}: {_scrub(str(error), secrets)}")
        return code
    except Exception as error:  # noqa: BLE001 - one line, not a traceback, unless --verbose
        if verbose:
            _print_traceback(secrets)
        detail = _scrub(f"{type(error).__name__}: {error}", secrets)
        _fail(name, f"unexpected error: {detail} (--verbose shows where)")
        return 1


def classify(error: OpenApiException) -> tuple[int, str]:
    """The exit code for a failure, and what to call it on stderr."""
    if isinstance(error, (ApiTypeError, ApiValueError)):
        return USAGE, "not sent"
    if isinstance(error, TokenStoreError):
        return USAGE, "the token store failed (--store DIR chooses another, --no-store none)"
    if not isinstance(error, ApiException):
        return USAGE, "error"
    if isinstance(error, MalformedResponseError):
        return BAD_ANSWER, "the token answer breaks the spec"
    status = error.status
    if status == 0:
        return NO_ANSWER, "no answer from the token endpoint"
    if status >= 500:
        return NO_ANSWER, "no token from the token endpoint, try again later"
    if status == 429:
        return REFUSED, "the token endpoint refused the request for now (rate limited)"
    if 400 <= status < 500:
        return REFUSED, "the token endpoint refused the request"
    return BAD_ANSWER, "the token answer breaks the spec"


def build_parser(pkg: Package, prog: str) -> argparse.ArgumentParser:
    """The parser: a ``token`` command whose options follow the package's grants."""
    parser = _Parser(
        prog=prog,
        description=f"Command line of {pkg.name} ({pkg.command}): OAuth 2.0 access tokens.",
        epilog=_examples(pkg),
        formatter_class=_Formatter,
        allow_abbrev=False,
    )
    parser.add_argument(
        "--version", action="store_true", help="print the version of the package and exit"
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    token = commands.add_parser(
        "token",
        help="print an access token on stdout",
        description=_token_description(pkg),
        epilog=_examples(pkg),
        formatter_class=_Formatter,
        allow_abbrev=False,
    )
    _add_credentials(token, pkg)
    _add_where(token, pkg)
    _add_store(token, pkg)
    output = token.add_argument_group("output")
    output.add_argument(
        "--json", action="store_true", help="print the whole token answer as JSON instead"
    )
    output.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        help="log the requests to stderr (never a secret), and a traceback on failure",
    )
    return parser


def _add_credentials(token: argparse.ArgumentParser, pkg: Package) -> None:
    """The options that say who asks: the client id, and the secrets from stdin."""
    grants = pkg.grants
    who = token.add_argument_group("credentials (secrets only from the environment or stdin)")
    who.add_argument(
        "--client-id", metavar="ID", help=f"the OAuth client id (default: ${pkg.env('CLIENT_ID')})"
    )
    who.add_argument(
        "--client-secret-stdin",
        action="store_true",
        help=f"read the client secret from the first line of stdin"
        f" (default: ${pkg.env('CLIENT_SECRET')})",
    )
    if "refresh_token" in grants:
        who.add_argument(
            "--refresh-token-stdin",
            action="store_true",
            help="read the refresh token from the next line of stdin"
            f" (default: ${pkg.env('REFRESH_TOKEN')}; a refresh token in the store wins)",
        )
    if "authorization_code" in grants:
        who.add_argument(
            "--code",
            metavar="CODE",
            help="exchange this authorization code (single use; '-' reads it from the next"
            " line of stdin) for the first token"
            + (" and refresh token" if "refresh_token" in grants else ""),
        )
        if "redirect_uri" in pkg.form_fields:
            who.add_argument(
                "--redirect-uri",
                metavar="URL",
                help="the redirect_uri of the authorization, sent with --code",
            )


def _add_where(token: argparse.ArgumentParser, pkg: Package) -> None:
    """The options that say where the token endpoint is, and how to reach it."""
    where = token.add_argument_group("where")
    place = where.add_mutually_exclusive_group()
    names = [s.name or s.description for s in pkg.configuration.servers]
    place.add_argument(
        "--server",
        metavar="NAME",
        help="one of the provider's servers: " + ", ".join(names) + f" (default: {names[0]})"
        if names
        else "one of the provider's servers, by name or index",
    )
    place.add_argument(
        "--host",
        metavar="URL",
        help=f"the base URL of the token endpoint, e.g. a mock (default: ${pkg.env('HOST')},"
        " a URL or a server name, else the first server)",
    )
    where.add_argument("--cert", metavar="FILE", help="client certificate (PEM), for mutual TLS")
    where.add_argument("--key", metavar="FILE", help="the certificate's private key (PEM)")
    where.add_argument("--ca-cert", metavar="FILE", help="CA bundle to verify the server with")
    where.add_argument(
        "--timeout",
        metavar="SECONDS",
        type=_positive_seconds,
        help="the longest wait to connect, and for each read of the answer, as one timeout"
        " number means in Configuration (default: 10 s to connect, 30 s for each read)",
    )


def _add_store(token: argparse.ArgumentParser, pkg: Package) -> None:
    """The options of the token store: which folder, none, which authorization."""
    kept = token.add_argument_group(
        "token store (a token is reused while it lasts, a rotated refresh token kept)"
    )
    store = kept.add_mutually_exclusive_group()
    store.add_argument(
        "--store",
        metavar="DIR",
        help="keep tokens in this folder (default: $TOKENWORKS_CACHE_DIR, else"
        " ~/.cache/tokenworks or the platform's cache folder; made 0700, files 0600)",
    )
    store.add_argument(
        "--no-store",
        action="store_true",
        help="keep nothing: every run asks the token endpoint"
        + (
            " (a refresh token the server rotates is then yours to keep: --json shows it)"
            if "refresh_token" in pkg.grants
            else ""
        ),
    )
    if "refresh_token" in pkg.grants:
        kept.add_argument(
            "--store-key",
            metavar="NAME",
            help="names one authorization when a client holds several (e.g. one per"
            " merchant), so that their refresh tokens are kept apart",
        )


def _positive_seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError("a positive number of seconds")
    return value


def _token_description(pkg: Package) -> str:
    grants = pkg.grants
    lines = [
        "Print an access token, alone on stdout.",
        "",
        "Environment (the prefix is the import name, as in " + pkg.env("HOST") + "):",
        f"  {pkg.env('CLIENT_ID')}      the OAuth client id (or --client-id)",
        f"  {pkg.env('CLIENT_SECRET')}  the client secret (or --client-secret-stdin)",
    ]
    if "refresh_token" in grants:
        lines.append(f"  {pkg.env('REFRESH_TOKEN')}  a refresh token (or --refresh-token-stdin)")
    lines.append(f"  {pkg.env('HOST')}           the host, a URL or a server name (or --host)")
    lines.append("  TOKENWORKS_CACHE_DIR  the token store's folder (or --store)")
    lines += [
        "",
        "A secret is never taken as an argument: other users can read the process list.",
        "",
        "A token is kept in the token store and printed again, with no request, while it",
        "lasts, so a script may run this as often as it likes.",
        "",
        "Grants: " + ", ".join(sorted(grants)) + ".",
    ]
    if "client_credentials" in grants:
        lines.append("Without a refresh token the client id and secret get the token.")
    if "refresh_token" in grants:
        lines.append(
            "With a refresh token the token is renewed with it. A refresh token the server\n"
            "rotates is kept in the store for the next run, and one kept there wins over the\n"
            "environment's, which the server may have spent."
        )
    if "authorization_code" in grants:
        lines.append("--code exchanges the code of an authorization redirect.")
    lines += [
        "",
        "Exit codes: 0 the token was printed; 2 usage error, nothing was sent; 3 the server",
        "refused the request (4xx, a 429 after retries too); 4 no answer (connection,",
        "timeout, 5xx after retries); 5 the answer breaks the spec.",
    ]
    return "\n".join(lines)


def _examples(pkg: Package) -> str:
    grants = pkg.grants
    cmd = pkg.command
    curl = f'  curl -H "Authorization: Bearer $({cmd} token)" https://...   # as often as you like'
    lines = ["examples:", f"  export {pkg.env('CLIENT_ID')}=... {pkg.env('CLIENT_SECRET')}=..."]
    if "client_credentials" in grants:
        lines.append(curl)
    if "authorization_code" in grants:
        kept = "; its refresh token is kept" if "refresh_token" in grants else ""
        lines.append(f"  {cmd} token --code CODE >/dev/null   # once: your redirect's code{kept}")
    if "refresh_token" in grants:
        if "client_credentials" not in grants:
            lines.append(curl)
        lines.append(
            f"  pass show refresh-token | {cmd} token --refresh-token-stdin   # one you hold"
        )
    else:
        lines.append(f"  pass show client-secret | {cmd} token --client-secret-stdin")
    servers = pkg.configuration.servers
    if len(servers) > 1:
        lines.append(f"  {cmd} token --server {servers[1].name or 1} --json")
    else:
        lines.append(f"  {cmd} token --json | jq -r .expires_in")
    return "\n".join(lines)


def _refuse_secret_arguments(args: Sequence[str], pkg: Package) -> None:
    for arg in args:
        if arg == "--":
            return
        option = arg.split("=", 1)[0]
        if option in _SECRET_OPTIONS:
            what = "REFRESH_TOKEN" if "refresh" in option else "CLIENT_SECRET"
            stdin = "--refresh-token-stdin" if "refresh" in option else "--client-secret-stdin"
            raise UsageError(
                f"{option} is not taken: other users can read arguments in the process list;"
                f" set ${pkg.env(what)} or pipe it to {stdin}"
            )


class _Credentials:
    def __init__(self, pkg: Package, options: argparse.Namespace) -> None:
        environ = os.environ
        self.client_id = options.client_id or environ.get(pkg.env("CLIENT_ID")) or None
        wanted = []
        if options.client_secret_stdin:
            wanted.append("client secret")
        if getattr(options, "refresh_token_stdin", False):
            wanted.append("refresh token")
        code = getattr(options, "code", None)
        if code == "-":
            wanted.append("authorization code")
        read = dict(zip(wanted, _read_stdin(wanted)))
        self.client_secret = read.get("client secret") or environ.get(pkg.env("CLIENT_SECRET"))
        self.refresh_token: Optional[str] = None
        if "refresh_token" in pkg.grants:
            self.refresh_token = read.get("refresh token") or (
                environ.get(pkg.env("REFRESH_TOKEN")) or None
            )
        self.code: Optional[str] = read.get("authorization code") if code == "-" else code
        if not self.client_id:
            raise UsageError(f"no client id: set ${pkg.env('CLIENT_ID')} or pass --client-id")
        if not self.client_secret:
            raise UsageError(
                f"no client secret: set ${pkg.env('CLIENT_SECRET')} or pipe it to"
                " --client-secret-stdin"
            )
        if code is not None and not self.code:
            raise UsageError("--code: the authorization code is empty")

    def secrets(self) -> list[str]:
        found = (self.client_secret, self.refresh_token, self.code)
        return [secret for secret in found if secret]


def _read_stdin(wanted: Sequence[str]) -> list[str]:
    """One line of stdin per secret, in order; from a terminal, asked for without echo."""
    values = []
    for what in wanted:
        if sys.stdin is not None and sys.stdin.isatty():
            value = getpass.getpass(f"{what}: ")
        else:
            line = sys.stdin.readline() if sys.stdin is not None else ""
            if not line:
                raise UsageError(f"stdin ended before the {what}")
            value = line.rstrip("\r\n")
        if not value:
            raise UsageError(f"the {what} read from stdin is empty")
        values.append(value)
    return values


def _configuration(pkg: Package, options: argparse.Namespace) -> Any:
    settings: dict[str, Any] = {
        "cert_file": options.cert,
        "key_file": options.key,
        "ssl_ca_cert": options.ca_cert,
        "debug": options.verbose,
    }
    if options.timeout is not None:
        settings["timeout"] = options.timeout
    if options.host is not None:
        settings["host"] = options.host
    elif options.server is not None:
        server: Any = options.server
        if server.isdigit():
            server = int(server)
        try:
            # Resolved here so that --server wins over $<PREFIX>_HOST, as --host does.
            settings["host"] = pkg.configuration.find_server(server).resolve()
        except ValueError as error:
            raise UsageError(f"--server: {error}") from None
    try:
        return pkg.configuration(**settings)
    except (ApiTypeError, ApiValueError) as error:
        raise UsageError(str(error)) from None


def _token(pkg: Package, options: argparse.Namespace, secrets: list[str], prog: str) -> int:
    if options.command != "token":
        raise UsageError("choose a command: token")
    credentials = _Credentials(pkg, options)
    secrets.extend(credentials.secrets())
    configuration = _configuration(pkg, options)
    _log_to_stderr(pkg.name, prog, options.verbose, secrets)
    api_client = pkg.module.ApiClient(configuration)
    try:
        sharing: dict[str, Any] = {}
        if not options.no_store:
            sharing["store"] = pkg.module.FileTokenStore(options.store)
            sharing["store_key"] = getattr(options, "store_key", None)
        manager = pkg.token_manager(
            credentials.client_id,
            credentials.client_secret,
            refresh_token=credentials.refresh_token,
            api_client=api_client,
            **sharing,
        )
        try:
            if credentials.code is not None:
                manager.exchange_code(credentials.code, getattr(options, "redirect_uri", None))
            try:
                access_token = manager.get_token()
            except ApiValueError:
                if manager.refresh_token is None and "client_credentials" not in pkg.grants:
                    raise UsageError(_no_refresh_token(pkg)) from None
                raise
            secrets.append(access_token)
            if options.json:
                # The answer as the server sent it (3600 stays 3600, not the model's 3600.0).
                answer = manager._answer
                if answer is None and manager.token is not None:
                    answer = manager.token.to_dict()
                text = json.dumps(answer)
            else:
                text = access_token
        finally:
            manager.close()
    finally:
        api_client.close()
    sys.stdout.write(text + "\n")
    sys.stdout.flush()
    return OK


class _Redact(logging.Filter):
    """Cuts the secrets the command read out of every record of the package's logger."""

    def __init__(self, secrets: list[str]) -> None:
        super().__init__()
        self.secrets = secrets

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = redact_text(message, shown_forms(self.secrets))
        if redacted != message:
            record.msg, record.args = redacted, None
        return True


def _log_to_stderr(package: str, prog: str, verbose: bool, secrets: list[str]) -> None:
    """Warnings (a token store that fails, say) as one line each on stderr, after the
    command's name; with --verbose, Configuration(debug=True) logs everything instead."""
    logger = logging.getLogger(package)
    logger.addFilter(_Redact(secrets))
    if not verbose:
        handler = logging.StreamHandler()
        handler.setLevel(logging.WARNING)
        handler.setFormatter(logging.Formatter(f"{prog}: %(message)s"))
        logger.addHandler(handler)


def _no_refresh_token(pkg: Package) -> str:
    how = f"set ${pkg.env('REFRESH_TOKEN')} or pipe it to --refresh-token-stdin"
    if "authorization_code" in pkg.grants:
        how += ", or exchange an authorization code with --code CODE"
    return f"no refresh token: {how}"


def _scrub(text: str, secrets: Iterable[str]) -> str:
    """``text`` on one line, without the secrets or control characters."""
    text = "".join(
        ch if ch.isprintable() else " " for ch in redact_text(text, shown_forms(secrets))
    )
    return " ".join(text.split())


def _print_traceback(secrets: Iterable[str]) -> None:
    """The traceback of the exception being handled, for --verbose, secrets redacted."""
    sys.stderr.write(redact_text(traceback.format_exc(), shown_forms(secrets)))


def _fail(prog: str, message: str, stream: Optional[TextIO] = None) -> None:
    stream = stream if stream is not None else sys.stderr
    stream.write(f"{prog}: {_scrub(message, ())}\n")
    stream.flush()


def _quiet_broken_pipe() -> bool:
    """stdout was closed by the reader (``| head``): leave quietly, as other tools do."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        return False
    return True
