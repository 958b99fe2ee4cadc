"""Security schemes in a spec: the Node.js package sends the credentials as the Python package does.

CyberSource's spec is copied with security schemes added (an API key in a header with a
prefix, in a query parameter and in a cookie; HTTP bearer; HTTP Basic; OAuth 2.0), one
operation secured by each and one by three alternatives, and HTTP Basic on the token
operation (client_secret_basic). The copy is generated with our templates as a Python
package and as a Node.js package (tests/generation.py generate_probes) in a temporary
folder. Each scenario configures the same credentials on both sides and calls the same
operation against one loopback server: the requests must be exactly the expected ones, on
both sides. The Node side runs in tests/node/security_driver.js.
"""

from __future__ import annotations

import base64
import copy
import importlib
import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any, Optional
from urllib.parse import quote_plus

import pytest
import yaml
from generation import generate_probes
from providers import REPO_ROOT
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

PACKAGE = "cybersource_secured"
MODULE = "CyberSourceSecured"
DRIVER = Path(__file__).resolve().parent / "node" / "security_driver.js"
TOKEN_PATH = "/oauth2/v3/token"

API_KEY = "k-Zt4Gy6Uw1Ie3Oa5S"
QUERY_KEY = "q key/+=~*Pq7"
COOKIE_KEY = "c-Qa1Ws2Ed3Rf4T"
ACCESS_TOKEN = "eyJhbGciOi.Lk9Mj8-Nh7Bg6"
PASSWORD = "p\u00e4ss-w0rd:x"
CLIENT_ID = "partner id"
CLIENT_SECRET = "s3c:r/t~*Zq9+"
SECRETS = [API_KEY, QUERY_KEY, COOKIE_KEY, ACCESS_TOKEN, PASSWORD, CLIENT_SECRET]

pytestmark = pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def operation(operation_id: str, suffix: str, security: list[dict[str, list[str]]],
              *extra: dict[str, Any]) -> dict[str, Any]:
    error = {"content": {"application/json;charset=utf-8": {
        "schema": {"$ref": "#/components/schemas/BadRequestError"}}}}
    return {"get": {
        "tags": ["Things"],
        "operationId": operation_id,
        "summary": f"A thing, with {suffix} credentials",
        "security": security,
        "parameters": [
            {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}},
            *extra,
        ],
        "responses": {
            "204": {"description": "No content."},
            "400": {"description": "Invalid request.", **error},
            "401": {"description": "Unauthorized.", **error},
        },
    }}


def secured(spec: dict[str, Any]) -> dict[str, Any]:
    """CyberSource's spec with security schemes and operations secured by each."""
    spec = copy.deepcopy(spec)
    spec["components"]["securitySchemes"] = {
        "apiKeyHeader": {"type": "apiKey", "in": "header", "name": "X-API-Key",
                         "x-api-key-prefix": "Token"},
        "apiKeyQuery": {"type": "apiKey", "in": "query", "name": "api_key"},
        "apiKeyCookie": {"type": "apiKey", "in": "cookie", "name": "session_key"},
        "bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"},
        "basicAuth": {"type": "http", "scheme": "basic"},
        "oauth": {"type": "oauth2", "flows": {"clientCredentials": {
            "tokenUrl": "https://api-ma.Cybersource.com/oauth2/v3/token", "scopes": {}}}},
    }
    # client_secret_basic: the client's id and secret leave the form for HTTP Basic.
    token = spec["paths"][TOKEN_PATH]["post"]
    token["security"] = [{"basicAuth": []}]
    spec["components"]["schemas"]["CreateAccessTokenRequest"]["required"] = ["grant_type"]
    spec["tags"].append({"name": "Things", "description": "Secured operations."})
    query = {"name": "fields", "in": "query", "schema": {"type": "string"}}
    cookie = {"name": "theme", "in": "cookie", "schema": {"type": "string"}}
    spec["paths"].update({
        "/v1/things/{id}/header": operation("getWithHeaderKey", "an API key header", [{"apiKeyHeader": []}]),
        "/v1/things/{id}/query": operation("getWithQueryKey", "an API key query", [{"apiKeyQuery": []}], query),
        "/v1/things/{id}/cookie": operation("getWithCookieKey", "an API key cookie", [{"apiKeyCookie": []}], cookie),
        "/v1/things/{id}/bearer": operation("getWithBearer", "bearer", [{"bearerAuth": []}]),
        "/v1/things/{id}/basic": operation("getWithBasic", "HTTP Basic", [{"basicAuth": []}]),
        "/v1/things/{id}/oauth": operation("getWithOAuth", "OAuth 2.0", [{"oauth": []}]),
        "/v1/things/{id}/any": operation(
            "getWithAny", "any", [{"apiKeyHeader": []}, {"oauth": []}, {"basicAuth": []}]
        ),
        # No required parameter: its index.d.ts signature starts with opts.
        "/v1/status": {"get": {
            "tags": ["Things"], "operationId": "getStatus", "summary": "The status",
            "security": [], "responses": {"204": {"description": "No content."}},
        }},
    })
    return spec


@pytest.fixture(scope="module")
def probes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ModuleType, Path]]:
    """The secured spec generated as a Python package (imported) and as a Node package."""
    root = tmp_path_factory.mktemp("secured")
    spec_path = root / "cybersource-secured.yaml"
    spec = yaml.safe_load((REPO_ROOT / "openapi" / "cybersource.yaml").read_text(encoding="utf-8"))
    spec_path.write_text(yaml.safe_dump(secured(spec), sort_keys=False), encoding="utf-8")
    python_out, node_out = generate_probes(spec_path, PACKAGE, MODULE, root)
    sys.path.insert(0, str(python_out))
    try:
        yield importlib.import_module(PACKAGE), node_out
    finally:
        sys.path.remove(str(python_out))
        for name in [m for m in sys.modules if m == PACKAGE or m.startswith(PACKAGE + ".")]:
            del sys.modules[name]


@dataclass(frozen=True)
class Scenario:
    id: str
    operation: str  # operationId
    settings: dict[str, Any]  # Configuration keywords (Python names)
    expected: dict[str, Optional[str]]  # the credentials' headers (None: absent), and "query"
    opts: dict[str, str] = field(default_factory=dict)


NONE = {"Authorization": None, "X-API-Key": None, "Cookie": None, "query": ""}
SCENARIOS = [
    Scenario("api-key-header", "getWithHeaderKey", {"api_key": {"apiKeyHeader": API_KEY}},
             {**NONE, "X-API-Key": API_KEY}),
    Scenario("api-key-header-prefix", "getWithHeaderKey",
             {"api_key": {"apiKeyHeader": API_KEY}, "api_key_prefix": {"apiKeyHeader": "Token"}},
             {**NONE, "X-API-Key": f"Token {API_KEY}"}),
    Scenario("api-key-query", "getWithQueryKey", {"api_key": {"apiKeyQuery": QUERY_KEY}},
             {**NONE, "query": "fields=a+b&api_key=q+key%2F%2B%3D~%2APq7"}, {"fields": "a b"}),
    Scenario("api-key-query-prefix", "getWithQueryKey",
             {"api_key": {"apiKeyQuery": QUERY_KEY}, "api_key_prefix": {"apiKeyQuery": "K"}},
             {**NONE, "query": "api_key=K+q+key%2F%2B%3D~%2APq7"}),
    Scenario("api-key-cookie", "getWithCookieKey", {"api_key": {"apiKeyCookie": COOKIE_KEY}},
             {**NONE, "Cookie": f"theme=dark; session_key={COOKIE_KEY}"}, {"theme": "dark"}),
    Scenario("api-key-cookie-alone", "getWithCookieKey", {"api_key": {"apiKeyCookie": COOKIE_KEY}},
             {**NONE, "Cookie": f"session_key={COOKIE_KEY}"}),
    Scenario("http-bearer", "getWithBearer", {"access_token": ACCESS_TOKEN},
             {**NONE, "Authorization": f"Bearer {ACCESS_TOKEN}"}),
    Scenario("http-basic", "getWithBasic", {"username": "ann", "password": PASSWORD},
             {**NONE, "Authorization": basic("ann", PASSWORD)}),
    Scenario("oauth2", "getWithOAuth", {"access_token": ACCESS_TOKEN},
             {**NONE, "Authorization": f"Bearer {ACCESS_TOKEN}"}),
    # An operation with alternatives sends the first of them that is configured, in the
    # order the generator lists them (HTTP, then OAuth 2.0, then API keys; not the spec's).
    Scenario("any-basic-first", "getWithAny",
             {"api_key": {"apiKeyHeader": API_KEY}, "access_token": ACCESS_TOKEN,
              "username": "ann", "password": PASSWORD},
             {**NONE, "Authorization": basic("ann", PASSWORD)}),
    Scenario("any-oauth-before-api-key", "getWithAny",
             {"api_key": {"apiKeyHeader": API_KEY}, "access_token": ACCESS_TOKEN},
             {**NONE, "Authorization": f"Bearer {ACCESS_TOKEN}"}),
    Scenario("any-api-key", "getWithAny", {"api_key": {"apiKeyHeader": API_KEY}},
             {**NONE, "X-API-Key": API_KEY}),
    # Credentials of a scheme the operation does not list are not sent.
    Scenario("other-schemes-only", "getWithBearer",
             {"api_key": {"apiKeyHeader": API_KEY, "apiKeyQuery": QUERY_KEY},
              "username": "ann", "password": PASSWORD},
             dict(NONE)),
    Scenario("nothing-configured", "getWithAny", {}, dict(NONE)),
]

#: Python Configuration keyword -> Node ApiClient option.
NODE_NAMES = {"api_key": "apiKey", "api_key_prefix": "apiKeyPrefix", "access_token": "accessToken",
              "username": "username", "password": "password"}


def snake(name: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in name)


def wire(request: Request) -> dict[str, Any]:
    """What a request carried: method, path, the credentials' headers and the query."""
    seen: dict[str, Any] = {"method": request.method, "path": request.path,
                            "query": request.query_string.decode("latin-1")}
    for name in ("Authorization", "X-API-Key", "Cookie"):
        seen[name] = request.headers.get(name)
    if request.path == TOKEN_PATH:
        seen["body"] = request.get_data(as_text=True)
    return seen


def python_calls(package: ModuleType, host: str, settings: dict[str, Any],
                 calls: list[tuple[str, dict[str, str]]],
                 token_manager: Optional[dict[str, str]] = None) -> list[dict[str, Any]]:
    configuration = package.Configuration(host=host, retries=0, **settings)
    if token_manager is not None:
        manager_client = package.ApiClient(package.Configuration(host=host, retries=0))
        configuration.token_manager = package.TokenManager(
            token_manager["clientId"], token_manager["clientSecret"],
            refresh_token=token_manager["refreshToken"], api_client=manager_client,
        )
    api = importlib.import_module(f"{PACKAGE}.api.things_api").ThingsApi(package.ApiClient(configuration))
    outcomes: list[dict[str, Any]] = []
    for operation_id, opts in calls:
        try:
            getattr(api, snake(operation_id))("id-1", **opts)
            outcomes.append({"family": "ok"})
        except package.ApiException as error:
            shown = "\n".join(str(part) for part in (str(error), error.body, error.error_description, error.reason) if part)
            outcomes.append({"family": "ApiException" if type(error) is package.ApiException else type(error).__name__,
                             "status": error.status, "secret_shown": [s for s in SECRETS if s in shown]})
    return outcomes


def node_calls(node_package: Path, host: str, settings: dict[str, Any],
               calls: list[tuple[str, dict[str, str]]],
               token_manager: Optional[dict[str, str]] = None) -> list[dict[str, Any]]:
    spec = {
        "package": str(node_package),
        "host": host,
        "options": {NODE_NAMES[key]: value for key, value in settings.items()},
        "tokenManager": token_manager,
        "calls": [{"method": operation_id, "args": ["id-1"], "opts": opts} for operation_id, opts in calls],
        "secrets": SECRETS,
    }
    result = subprocess.run(["node", str(DRIVER), json.dumps(spec)],
                            capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    outcomes: list[dict[str, Any]] = json.loads(result.stdout)
    return outcomes


def host(httpserver: HTTPServer) -> str:
    return httpserver.url_for("").rstrip("/")


def path_of(operation_id: str) -> str:
    """The path of a Things operation: getWithHeaderKey -> /v1/things/id-1/header."""
    return "/v1/things/id-1/" + operation_id.removeprefix("getWith").lower().replace("key", "")


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda scenario: scenario.id)
def test_each_scheme_on_the_wire(
    scenario: Scenario, probes: tuple[ModuleType, Path], httpserver: HTTPServer
) -> None:
    package, node_package = probes
    httpserver.expect_request(path_of(scenario.operation)).respond_with_data("", status=204)
    calls = [(scenario.operation, scenario.opts)]
    python = python_calls(package, host(httpserver), scenario.settings, calls)
    python_wire = [wire(request) for request, _ in httpserver.log]
    httpserver.clear_log()
    node = node_calls(node_package, host(httpserver), scenario.settings, calls)
    node_wire = [wire(request) for request, _ in httpserver.log]
    assert python == node == [{"family": "ok"}]
    assert node_wire == python_wire
    [sent] = node_wire
    assert {key: sent[key] for key in scenario.expected} == scenario.expected


def test_the_scenarios_cover_every_scheme() -> None:
    operations = {scenario.operation for scenario in SCENARIOS}
    assert {"getWithHeaderKey", "getWithQueryKey", "getWithCookieKey", "getWithBearer",
            "getWithBasic", "getWithOAuth", "getWithAny"} <= operations


def test_token_manager_basic_client_auth_and_a_401_renewal(
    probes: tuple[ModuleType, Path], httpserver: HTTPServer
) -> None:
    """OAuth 2.0 with a token manager: the token operation's HTTP Basic security makes it
    client_secret_basic (id and secret form-encoded first); a 401 to its token fetches a
    new token and the call goes once more; a second 401 is raised."""
    package, node_package = probes
    issued: list[str] = []

    def token(request: Request) -> Response:
        issued.append(f"issued-{len(issued) + 1}-Xc8Vb7")
        return Response(json.dumps({"access_token": issued[-1], "token_type": "Bearer", "expires_in": 900}),
                        content_type="application/json")

    def thing(request: Request) -> Response:
        # The first token each side gets (issued first and third) is refused.
        refused = {f"Bearer {issued[i]}" for i in (0, 2) if i < len(issued)}
        return Response("", status=401 if request.headers.get("Authorization") in refused else 204)

    httpserver.expect_request(TOKEN_PATH, method="POST").respond_with_handler(token)
    httpserver.expect_request("/v1/things/id-1/oauth").respond_with_handler(thing)
    manager = {"clientId": CLIENT_ID, "clientSecret": CLIENT_SECRET, "refreshToken": "stored-refresh"}
    calls = [("getWithOAuth", {}), ("getWithOAuth", {})]
    python = python_calls(package, host(httpserver), {}, calls, manager)
    python_wire = [wire(request) for request, _ in httpserver.log]
    httpserver.clear_log()
    node = node_calls(node_package, host(httpserver), {}, calls, manager)
    node_wire = [wire(request) for request, _ in httpserver.log]
    assert python == node == [{"family": "ok"}, {"family": "ok"}]
    for side, seen, tokens in (("python", python_wire, issued[:2]), ("node", node_wire, issued[2:])):
        client_auth = basic(quote_plus(CLIENT_ID), quote_plus(CLIENT_SECRET))
        token_request = {"method": "POST", "path": TOKEN_PATH, "query": "", "Authorization": client_auth,
                         "X-API-Key": None, "Cookie": None,
                         "body": "grant_type=refresh_token&refresh_token=stored-refresh"}
        thing_request = {"method": "GET", "path": "/v1/things/id-1/oauth", "query": "", "X-API-Key": None, "Cookie": None}
        assert seen == [
            token_request,
            {**thing_request, "Authorization": f"Bearer {tokens[0]}"},  # refused: 401
            token_request,
            {**thing_request, "Authorization": f"Bearer {tokens[1]}"},
            {**thing_request, "Authorization": f"Bearer {tokens[1]}"},  # the cached token
        ], side
    assert client_auth == "Basic cGFydG5lcitpZDpzM2MlM0FyJTJGdH4lMkFacTklMkI="


def test_a_server_echoing_the_credentials_shows_none_of_them(
    probes: tuple[ModuleType, Path], httpserver: HTTPServer
) -> None:
    """Every scenario against a server whose 400 repeats what it got: no credential shows
    in the error's text, body, reason or OAuth fields, on either side."""
    package, node_package = probes

    def echo(request: Request) -> Response:
        sent = " ".join(f"{name}={request.headers.get(name)}" for name in ("Authorization", "X-API-Key", "Cookie"))
        authorization = request.headers.get("Authorization", "")
        decoded = ""
        if authorization.startswith("Basic "):  # and the Basic pair decoded
            decoded = base64.b64decode(authorization.removeprefix("Basic ")).decode()
        body = {"error": "invalid_request",
                "error_description": f"you sent {sent} ?{request.query_string.decode()} {decoded}"}
        reason = request.headers.get("X-API-Key", "Request")  # the reason phrase repeats the key
        return Response(json.dumps(body), status=f"400 Bad {reason}", content_type="application/json")

    for scenario in SCENARIOS:
        httpserver.clear()
        httpserver.expect_request(path_of(scenario.operation)).respond_with_handler(echo)
        calls = [(scenario.operation, scenario.opts)]
        python = python_calls(package, host(httpserver), scenario.settings, calls)
        node = node_calls(node_package, host(httpserver), scenario.settings, calls)
        assert python == node, scenario.id
        assert python[0]["family"] == "BadRequestException" and python[0]["secret_shown"] == [], scenario.id


def test_the_node_types_take_the_api_key_schemes_by_name(
    probes: tuple[ModuleType, Path], tmp_path: Path
) -> None:
    """The probe's src/index.d.ts under tsc --strict: apiKey and apiKeyPrefix take the spec's
    API key scheme names, and a misspelt one fails to compile on its line."""
    _, node_package = probes
    tsc = REPO_ROOT / "node_modules" / "typescript" / "bin" / "tsc"
    source = (
        f"import P = require({json.dumps(str(node_package / 'src' / 'index'))});\n"
        "new P.ApiClient({ apiKey: { apiKeyHeader: 'k', apiKeyQuery: 'q', apiKeyCookie: 'c' },"
        " apiKeyPrefix: { apiKeyHeader: 'Token' }, accessToken: 't', username: 'u', password: 'p' });\n"
        "new P.ApiClient({ apiKey: { apiKeyHeadr: 'k' } });\n"
        "new P.ThingsApi().getWithQueryKey('id-1', { fields: 'a' }).then((data: null) => data);\n"
    )
    (tmp_path / "user.ts").write_text(source, encoding="utf-8")
    result = subprocess.run(
        ["node", str(tsc), "--strict", "--noEmit", "--pretty", "false", "--target", "es2020",
         "--module", "commonjs", "--moduleResolution", "node10", "--types", "node",
         "--typeRoots", str(REPO_ROOT / "node_modules" / "@types"), "user.ts"],
        cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False,
    )
    errors = [line for line in result.stdout.splitlines() if ": error TS" in line]
    assert [line.split("(")[1].split(",")[0] for line in errors] == ["3"], result.stdout + result.stderr
    assert "apiKeyHeadr" in errors[0]
