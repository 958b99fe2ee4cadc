"""The same fault cases against the CyberSource Python package and its Node.js package.

templates/RUNTIME-CONTRACT.md says both runtimes follow the same rules. Each case here makes
the documented token call with both, against the same loopback server (pytest-httpserver
for statuses and bodies, a raw socket server for faults below HTTP, a port with nothing
listening), and compares the outcomes: the error's class family, status, OAuth fields,
retry_after, whether a connection was made, how many requests reached the server and how
many retries were made, and whether a secret shows in the error's text. The Node side runs
in tests/node/parity_driver.js; neither side really waits between retries.
"""

from __future__ import annotations

import http
import json
import os
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional, Union

import CyberSource
import pytest
from pytest_httpserver import HTTPServer
from servers import (
    PROXY_CREDENTIALS,
    ForwardProxy,
    RawServer,
    refused_url,
    reset_mid_response,
    stall,
)
from werkzeug import Response

DRIVER = Path(__file__).resolve().parent / "node" / "parity_driver.js"
TOKEN_PATH = "/oauth2/v3/token"
SECRET = "Zm9vYmFyLXNlY3JldC0xMjM0NTY3ODkw"
REFRESH = "eyJraWQiOiJyZWZyZXNoIn0.stored-refresh"
CODE = "code-from-the-redirect-0123456789"
ACCESS = "eyJhbGciOiJSUzI1NiJ9.parity.c2ln"
ROTATED = "rt/rotated+parity=="  # with a '/', which PHP's json_encode writes as '\\/'
CORRELATION_ID = "3a1c1b5e-7d2f-4c3b-9a4e-2f6d8e0b1c7a"
FIELDS = {"client_id": "partner", "client_secret": SECRET, "grant_type": "refresh_token",
          "refresh_token": REFRESH}
TOKEN = json.dumps({"access_token": ACCESS, "token_type": "Bearer", "expires_in": 900})

pytestmark = pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")


@dataclass(frozen=True)
class Answer:
    status: int
    body: str
    content_type: str = "application/json;charset=utf-8"
    retry_after: Optional[str] = None
    echo_secret: bool = False  # the body repeats the client secret


REFUSED = "refused"


@dataclass(frozen=True)
class Case:
    id: str
    fault: Union[Answer, RawServer, str, None]  # None: bad input, no server needed
    fields: dict[str, Any] = field(default_factory=lambda: dict(FIELDS))
    correlation_id: Optional[Any] = CORRELATION_ID
    timeout: Union[float, tuple[float, float], None] = None
    raw: Any = None  # behaviour of a RawServer
    tokens: tuple[str, ...] = ()  # issued tokens the answer holds, which no error may show


def oauth(status: int) -> str:
    return json.dumps({"error": f"error_{status}", "error_description": f"what went wrong ({status})"})


def slow_steps(conn: socket.socket) -> None:
    """A token in two steps, each 0.5 s after the last: every wait is under a timeout of
    0.8 s, the whole answer is not."""
    body = TOKEN.encode()
    time.sleep(0.5)
    conn.sendall(
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n"
        + f"Content-Length: {len(body)}\r\n\r\n".encode()
    )
    time.sleep(0.5)
    conn.sendall(body)
    conn.close()


CASES = [
    Case("200", Answer(200, TOKEN)),
    Case("400", Answer(400, oauth(400))),
    Case("401", Answer(401, oauth(401))),
    Case("404", Answer(404, oauth(404))),
    Case("418", Answer(418, oauth(418))),
    Case("500", Answer(500, oauth(500))),
    Case("502-html", Answer(502, "<html><h1>502 Bad Gateway</h1></html>", "text/html")),
    Case("429-retry-after", Answer(429, oauth(429), retry_after="1")),
    Case("429-retry-after-over-cap", Answer(429, oauth(429), retry_after="600")),
    # A refresh_token grant is single-use: not sent again after a 503 or a 429 without
    # Retry-After, which may come after the server spent the token.
    Case("429-single-use", Answer(429, oauth(429))),
    Case("503-single-use", Answer(503, oauth(503))),
    Case("503-retry-after-single-use", Answer(503, oauth(503), retry_after="1")),
    # So is an authorization_code grant (the operation's x-single-use lists both).
    Case("503-code-single-use", Answer(503, oauth(503)),
         fields={"client_id": "partner", "client_secret": SECRET, "grant_type": "authorization_code",
                 "code": CODE}),
    # 200 answers that are not what the spec promises.
    Case("200-empty", Answer(200, "")),
    Case("200-not-json", Answer(200, '{"access_token": "abc", ')),
    Case("200-html", Answer(200, "<html>maintenance</html>", "text/html")),
    Case("200-array", Answer(200, f'[{{"access_token": "{ACCESS}"}}]')),
    Case("200-string", Answer(200, json.dumps(ACCESS))),
    # A token operation's answer needs a non-empty access_token (RFC 6749 section 5.1).
    Case("200-empty-object", Answer(200, "{}")),
    Case("200-no-access-token", Answer(200, '{"token_type": "Bearer", "expires_in": 900}')),
    Case("200-empty-access-token", Answer(200, '{"access_token": "", "token_type": "Bearer"}')),
    Case("200-wrong-type", Answer(200, f'{{"access_token": "{ACCESS}", "expires_in": "900"}}')),
    # Broken token answers still hold the tokens they issued: cut out, JSON or not.
    Case("200-cut-short-with-tokens",
         Answer(200, f'{{"access_token": "{ACCESS}", "refresh_token": "{ROTATED}", "exp'),
         tokens=(ACCESS, ROTATED)),
    Case("200-html-with-tokens",
         Answer(200, f'<pre>{{"access_token": "{ACCESS}",\n "refresh_token": "{ROTATED}"}}</pre>',
                "text/html"),
         tokens=(ACCESS, ROTATED)),
    Case("200-no-access-token-php-escaped",
         Answer(200, '{"access_token": "", "refresh_token": "' + ROTATED.replace("/", "\\/") + '"}'),
         tokens=(ROTATED, ROTATED.replace("/", "\\/"))),
    # Below HTTP.
    Case("refused", REFUSED),
    Case("read-timeout", "raw", timeout=(5.0, 0.3), raw=stall),
    Case("reset-mid-response", "raw", raw=reset_mid_response),
    # One number is one meaning on both sides: the limit to connect, and to each read.
    Case("one-number-timeout-each-step-within", "raw", timeout=0.8, raw=slow_steps),
    Case("one-number-timeout-stall", "raw", timeout=0.3, raw=stall),
    # Bad input: refused before anything is sent.
    Case("missing-client-secret", None,
         fields={k: v for k, v in FIELDS.items() if k != "client_secret"}),
    Case("grant-type-not-in-enum", None, fields={**FIELDS, "grant_type": "password"}),
    Case("client-secret-not-a-string", None, fields={**FIELDS, "client_secret": 12345}),
    Case("misspelt-field", None, fields={**FIELDS, "refreshTokn": "x"}),
    # A grant without what it needs (RFC 6749 sections 6 and 4.1.3).
    Case("refresh-grant-without-refresh-token", None,
         fields={k: v for k, v in FIELDS.items() if k != "refresh_token"}),
    Case("code-grant-without-code", None, fields={**FIELDS, "grant_type": "authorization_code"}),
    Case("correlation-id-too-short", None, correlation_id="abc"),
    # Secrets: a server that echoes the submitted secret in its error.
    Case("400-echoes-the-secret", Answer(400, "", echo_secret=True)),
]


def python_outcome(case: Case, host: str, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    waits: list[float] = []
    monkeypatch.setattr(CyberSource.ApiClient, "sleep", staticmethod(waits.append))
    timeout = case.timeout
    outcome: dict[str, Any]
    with CyberSource.ApiClient(CyberSource.Configuration(host=host)) as client:
        try:
            request = CyberSource.CreateAccessTokenRequest(**case.fields)
            data = CyberSource.OAuthApi(client).create_access_token(
                request, v_c_client_correlation_id=case.correlation_id, _request_timeout=timeout
            )
            outcome = {"family": "ok", "status": 200, "access_token": data.access_token}
        except CyberSource.ApiException as error:
            shown = "\n".join(
                str(part) for part in (str(error), error.body, error.error_description, error.reason)
                if part
            )
            outcome = {
                "family": "ApiException" if type(error) is CyberSource.ApiException else type(error).__name__,
                "status": error.status,
                "connected": getattr(error, "connected", None),
                "error": error.error,
                "error_description": error.error_description,
                "retry_after": error.retry_after,
                "secret_shown": any(secret in shown for secret in (SECRET, *case.tokens)),
            }
        except (TypeError, ValueError) as error:
            outcome = bad_input("TypeError" if isinstance(error, TypeError) else "ValueError")
    outcome["retries"] = len(waits)
    return outcome


def bad_input(family: str) -> dict[str, Any]:
    return {"family": family, "status": None, "connected": None, "error": None,
            "error_description": None, "retry_after": None, "secret_shown": False}


def node_outcome(case: Case, host: str) -> dict[str, Any]:
    spec = {"host": host, "fields": case.fields, "correlation_id": case.correlation_id,
            "timeout": case.timeout, "secrets": [SECRET, *case.tokens]}
    result = subprocess.run(
        ["node", str(DRIVER), json.dumps(spec)], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    outcome: dict[str, Any] = json.loads(result.stdout)
    if outcome["family"] in ("TypeError", "ValueError"):
        outcome = {**bad_input(outcome["family"]), "retries": outcome["retries"]}
    return outcome


def serve(httpserver: HTTPServer, answer: Answer) -> None:
    headers = {}
    if answer.retry_after is not None:
        headers["Retry-After"] = answer.retry_after

    def respond(request: Any) -> Response:
        body = answer.body
        if answer.echo_secret:
            sent = request.get_data(as_text=True)
            body = json.dumps({"error": "invalid_client",
                               "error_description": f"secret {SECRET} is wrong; you sent {sent}"})
        status = f"{answer.status} {http.HTTPStatus(answer.status).phrase}"
        return Response(body, status=status, headers=headers, content_type=answer.content_type)

    httpserver.expect_request(TOKEN_PATH, method="POST").respond_with_handler(respond)


def outcome_of(side: str, case: Case, httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """One side's outcome of a case, with the requests that reached the server."""
    raw_server: Optional[RawServer] = None
    with refused_url() as refusing:  # refused, or bad input: a port bound but not listening
        host = refusing
        if isinstance(case.fault, Answer):
            httpserver.clear()
            serve(httpserver, case.fault)
            host = f"http://{httpserver.host}:{httpserver.port}"
        elif case.fault == "raw":
            raw_server = RawServer(case.raw)
            host = raw_server.url
        if side == "python":
            outcome = python_outcome(case, host, monkeypatch)
        else:
            outcome = node_outcome(case, host)
    if isinstance(case.fault, Answer):
        outcome["requests"] = len(httpserver.log)
    elif raw_server is not None:
        raw_server.close(expected=1)
        outcome["requests"] = len(raw_server.requests)
    else:
        outcome["requests"] = 0
    return outcome


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.id)
def test_same_outcome(case: Case, httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch) -> None:
    python = outcome_of("python", case, httpserver, monkeypatch)
    node = outcome_of("node", case, httpserver, monkeypatch)
    assert node == python
    # And what the contract says, on both sides.
    if node["family"] in ("TypeError", "ValueError"):
        assert node["requests"] == 0
    if case.id == "refused":
        assert node["retries"] == 2 and node["connected"] is False
    if case.id in ("200-empty-object", "200-no-access-token", "200-empty-access-token"):
        assert (node["family"], node["status"], node["requests"]) == ("MalformedResponseError", 200, 1)
    assert node.get("secret_shown") is not True


def test_the_cases_cover_the_contract() -> None:
    """Statuses 400/401/404/429/500/503, malformed bodies, refused, read timeout, bad input."""
    answered = {case.fault.status for case in CASES if isinstance(case.fault, Answer)}
    assert {200, 400, 401, 404, 429, 500, 503} <= answered
    ids = {case.id for case in CASES}
    assert {"refused", "read-timeout", "200-empty", "200-array", "misspelt-field"} <= ids


# --- proxies from the environment: the same variables, the same rules ----------------------

RUNTIME_PROXY = Path(__file__).resolve().parent.parent / "templates" / "javascript" / "runtime" / "proxy.js"
PROXY_TARGETS = [
    ("https", "example.com"),
    ("https", "api.example.com:8443"),
    ("http", "127.0.0.1:8080"),
    ("http", "127.0.0.1:9090"),
    ("http", "[::1]:8080"),
    ("http", "EXAMPLE.com"),
    ("http", "notexample.com"),
    ("https", "localhost"),
]
PROXY_ENVIRONMENTS = [
    {},
    {"HTTPS_PROXY": "http://upper:1"},
    {"HTTPS_PROXY": "http://upper:1", "https_proxy": "http://lower:2"},
    {"HTTPS_PROXY": "http://upper:1", "https_proxy": ""},  # an empty lower-case one removes it
    {"Https_Proxy": "http://mixed:1", "HTTP_PROXY": ""},
    {"HTTP_PROXY": "http://cgi:1", "REQUEST_METHOD": "GET"},  # a client's Proxy: header in CGI
    {"http_proxy": "http://cgi:1", "REQUEST_METHOD": "GET"},
    {"ALL_PROXY": "http://all:1", "NO_PROXY": "example.com"},
    {"all_proxy": "http://all:1", "no_proxy": "*"},
    {"ALL_PROXY": "http://all:1", "no_proxy": "*, localhost"},
    {"HTTP_PROXY": "http://h:1", "HTTPS_PROXY": "http://s:1", "NO_PROXY": " .Example.COM , ,127.0.0.1:8080,[::1]"},
    {"HTTP_PROXY": "http://h:1", "HTTPS_PROXY": "http://s:1", "no_proxy": "api.example.com:8443,localhost:443,.0.0.1"},
]


def test_proxy_environment_rules_match_python(monkeypatch: pytest.MonkeyPatch) -> None:
    """Which proxy each target gets in each environment: the Node runtime's proxy.js against
    the Python packages' rest.py (urllib.request's getproxies_environment and NO_PROXY rules)."""
    from CyberSource import rest

    expected = []
    for environment in PROXY_ENVIRONMENTS:
        for name in list(os.environ):
            if name.lower().endswith("_proxy") or name == "REQUEST_METHOD":
                monkeypatch.delenv(name)
        for name, value in environment.items():
            monkeypatch.setenv(name, value)
        proxies = rest._environment_proxies()
        expected.append([rest._proxy_for(f"{scheme}://{netloc}", proxies) for scheme, netloc in PROXY_TARGETS])
    script = (
        f"const proxy = require({json.dumps(str(RUNTIME_PROXY))});"
        f"const targets = {json.dumps(PROXY_TARGETS)};"
        f"console.log(JSON.stringify({json.dumps(PROXY_ENVIRONMENTS)}.map((env) => {{"
        " const proxies = proxy.environmentProxies(env);"
        " return targets.map(([scheme, netloc]) => proxy.environmentProxyFor(scheme, netloc, proxies)); })));"
    )
    result = subprocess.run(["node", "-e", script], capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == expected
    # The cases tell the rules apart: proxies by several names, and rows where NO_PROXY bypasses some.
    assert len({proxy for row in expected for proxy in row}) >= 6
    assert sum(row.count(None) not in (0, len(row)) for row in expected) >= 4


@pytest.mark.parametrize("given", ["right-credentials", "wrong-credentials", "unreachable"])
def test_same_outcome_through_the_environments_proxy(
    given: str, httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """HTTP_PROXY names a proxy that wants credentials (tests/servers.py ForwardProxy):
    both packages use it, get 407 for the wrong ones (not retried), and retry a proxy that
    cannot be reached as a connection never made."""
    for name in list(os.environ):
        if name.lower().endswith("_proxy"):
            monkeypatch.delenv(name)
    case = Case(given, Answer(200, TOKEN))
    outcomes = {}
    for side in ("python", "node"):
        proxy = ForwardProxy(PROXY_CREDENTIALS)
        try:
            with refused_url() as refusing:
                address = {
                    "right-credentials": proxy.with_credentials(),
                    "wrong-credentials": proxy.with_credentials("proxy-user:wrong"),
                    "unreachable": refusing.replace("http://", f"http://{PROXY_CREDENTIALS}@"),
                }[given]
                monkeypatch.setenv("HTTP_PROXY", address)
                outcome = outcome_of(side, case, httpserver, monkeypatch)
            outcomes[side] = {**outcome, "proxied": len(proxy.seen)}
        finally:
            proxy.close()
    assert outcomes["node"] == outcomes["python"]
    expected = {"right-credentials": ("ok", 200, 1, 1), "wrong-credentials": ("ApiException", 407, 0, 1),
                "unreachable": ("ApiConnectionError", 0, 0, 0)}[given]
    node = outcomes["node"]
    assert (node["family"], node["status"], node["requests"], node["proxied"]) == expected
    assert node["retries"] == (2 if given == "unreachable" else 0)
