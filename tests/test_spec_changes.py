"""Ordinary edits a maintainer makes to a provider's spec, regenerated as `make generate` does.

openapi/, templates/, scripts/ and ruff.toml are copied into a temporary folder; Zuora's
spec there gets the edits of tests/specs/spec-changes/ (one file each: merge patches of
the parsed YAML, as a maintainer would write the edits), and scripts/generate.py
regenerates its package (under another package name, so the installed zuora_client is
not shadowed). Then: ruff and mypy --strict pass, the
package imports, every Python example in its docs runs against a local server answering
as the edited spec says, and the requests sent and the Python types of the answers are
the spec's.

The edits: a date-time field, a nested $ref object and an array of objects in the token
answer; allOf / oneOf (with a discriminator) / anyOf; an array query parameter with an
enum; binary and text/plain answers; HTTP Basic client authentication on the token
endpoint (client_secret_basic); a request model whose required fields have examples.
"""

from __future__ import annotations

import base64
import datetime
import importlib
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml
from generation import run_example
from providers import REPO_ROOT
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

PACKAGE = "zuora_edited"
FOLDER = "generated/zuora-edited"
BIN = Path(sys.executable).parent
PYTHON_BLOCK = re.compile(r"^```python\n(.*?)^```", re.DOTALL | re.MULTILINE)
DEFAULT_HOST = "https://rest.zuora.com"
#: The edits, one file each: JSON merge patches (RFC 7396) of openapi/zuora.yaml.
CHANGES = REPO_ROOT / "tests" / "specs" / "spec-changes"

TOKEN = {
    "access_token": "tok-edited",
    "expires_in": 3599,
    "token_type": "bearer",
    "issued_at": "2024-05-06T07:08:09Z",
    "client": {"name": "billing", "created": "2023-01-31"},
    "grants": [{"scope": "read", "expires_at": "2024-05-07T00:00:00+02:00"}],
}
ACCOUNT = {
    "id": "A-1",
    "name": "Ann",
    "status": {"state": "closed", "reason": "moved"},
    "contact": {"number": "+44 20 7946 0000"},
}
SUBSCRIPTION = {"account_id": "A-1", "plan": "pro", "start_date": "2024-01-02", "quantity": 3}


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7396: objects merge, a null member is removed, anything else replaces."""
    if not isinstance(patch, dict):
        return patch
    merged = dict(target) if isinstance(target, dict) else {}
    for name, value in patch.items():
        if value is None:
            merged.pop(name, None)
        else:
            merged[name] = merge_patch(merged.get(name), value)
    return merged


def edit(spec: dict[str, Any]) -> dict[str, Any]:
    """Zuora's spec with the edits in CHANGES, in the order of their names; every tag an
    operation uses is declared."""
    for change in sorted(CHANGES.glob("*.yaml")):
        spec = merge_patch(spec, yaml.safe_load(change.read_text(encoding="utf-8")))
    declared = [tag["name"] for tag in spec["tags"]]
    for path_item in spec["paths"].values():
        for operation in path_item.values():
            declared += [tag for tag in operation.get("tags", []) if tag not in declared]
    spec["tags"] += [{"name": name} for name in declared[len(spec["tags"]) :]]
    return spec


@pytest.fixture(scope="module")
def edited(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The edited spec's package, generated and checked; yields its folder."""
    root = tmp_path_factory.mktemp("spec-changes")
    for name in ("openapi", "templates", "scripts"):
        shutil.copytree(REPO_ROOT / name, root / name)
    shutil.copy(REPO_ROOT / "ruff.toml", root)
    spec_file = root / "openapi" / "zuora.yaml"
    spec = edit(yaml.safe_load(spec_file.read_text(encoding="utf-8")))
    spec_file.write_text(yaml.safe_dump(spec, sort_keys=False), encoding="utf-8")
    config_file = root / "openapi" / "zuora-python.yaml"
    config = yaml.safe_load(config_file.read_text(encoding="utf-8"))
    config["outputDir"] = FOLDER
    config["additionalProperties"].update(packageName=PACKAGE, repoFolder=FOLDER)
    config_file.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "scripts/generate.py", "openapi/zuora-python.yaml"],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
        timeout=240,
    )
    assert done.returncode == 0, (done.stdout + done.stderr)[-4000:]
    out = root / FOLDER
    sys.path.insert(0, str(out))
    try:
        yield out
    finally:
        sys.path.remove(str(out))
        for name in [m for m in sys.modules if m == PACKAGE or m.startswith(PACKAGE + ".")]:
            del sys.modules[name]


@pytest.fixture(scope="module")
def package(edited: Path) -> ModuleType:
    return importlib.import_module(PACKAGE)


@pytest.mark.parametrize(
    "command",
    [
        [
            str(BIN / "ruff"),
            "check",
            "--no-cache",
            "--config",
            str(REPO_ROOT / "ruff.toml"),
            PACKAGE,
        ],
        [str(BIN / "mypy"), "--strict", "--no-incremental", "-p", PACKAGE],
    ],
    ids=["ruff", "mypy"],
)
def test_the_package_is_clean(edited: Path, command: list[str]) -> None:
    done = subprocess.run(command, cwd=edited, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr


def serve_the_edited_spec(server: HTTPServer) -> None:
    """Answers as the edited spec says, for every operation."""
    server.expect_request("/oauth/token", method="POST").respond_with_json(TOKEN)
    server.expect_request("/v1/accounts/A-1").respond_with_json(ACCOUNT)
    server.expect_request("/v1/files/a.pdf").respond_with_data(
        b"%PDF\x00\xff", content_type="application/octet-stream"
    )
    server.expect_request("/v1/notes").respond_with_data(
        "caf\u00e9", content_type="text/plain; charset=utf-8"
    )

    def echo(request: Request) -> Response:
        return Response(request.data, status=201, content_type="application/json")

    server.expect_request("/v1/subscriptions", method="POST").respond_with_handler(echo)


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def doc_blocks(edited: Path) -> list[tuple[str, str]]:
    pages = [edited / "README.md", *sorted((edited / "docs").glob("*.md"))]
    return [
        (f"{page.name}#{index + 1}", code)
        for page in pages
        for index, code in enumerate(PYTHON_BLOCK.findall(page.read_text(encoding="utf-8")))
    ]


def test_every_doc_example_runs_and_sends_the_right_request(
    edited: Path, httpserver: HTTPServer, tmp_path: Path
) -> None:
    serve_the_edited_spec(httpserver)
    url = httpserver.url_for("").rstrip("/")
    env = {**os.environ, "PYTHONPATH": str(edited), f"{PACKAGE.upper()}_HOST": url}
    blocks = doc_blocks(edited)
    for page in ("AccountsApi.md", "FilesApi.md", "OAuthApi.md", "SubscriptionsApi.md"):
        assert any(name.startswith(page + "#") for name, _ in blocks), page
    for name, code in blocks:
        if "127.0.0.1:9" in code:  # the errors example: a host where nothing listens
            continue
        result = run_example(code.replace(DEFAULT_HOST, url), tmp_path, env)
        output = f"{name}\nstdout:\n{result.stdout}\nstderr:\n{result.stderr}"
        assert result.returncode == 0, output
        assert "failed:" not in result.stdout, output  # a caught ApiException
    sent = {(request.method, request.path): request for request, _ in httpserver.log}
    account = sent["GET", "/v1/accounts/A-1"]
    assert account.query_string == b"fields=id"
    assert account.headers["Authorization"] == "Bearer YOUR_ACCESS_TOKEN"
    subscription = sent["POST", "/v1/subscriptions"]
    assert json.loads(subscription.data) == SUBSCRIPTION  # required fields from the examples
    token = sent["POST", "/oauth/token"]
    assert token.headers["Authorization"] == basic("YOUR_USERNAME", "YOUR_PASSWORD")
    assert b"client_secret" not in token.data


def test_answers_have_the_spec_types(package: ModuleType, httpserver: HTTPServer) -> None:
    serve_the_edited_spec(httpserver)
    configuration = package.Configuration(
        host=httpserver.url_for("").rstrip("/"), retries=0, access_token="t-1"
    )
    client = package.ApiClient(configuration)
    configuration.username, configuration.password = "id-1", "s\u00e9cret"
    token = package.OAuthApi(client).create_token("client_credentials")
    assert token.issued_at == datetime.datetime(2024, 5, 6, 7, 8, 9, tzinfo=datetime.timezone.utc)
    assert type(token.client).__name__ == "ClientInfo"
    assert token.client.created == datetime.date(2023, 1, 31)
    (grant,) = token.grants
    assert type(grant).__name__ == "Grant"
    assert grant.expires_at.utcoffset() == datetime.timedelta(hours=2)

    account = package.AccountsApi(client).get_account("A-1", fields=["id", "status"])
    assert type(account).__name__ == "Account" and account.id == "A-1"
    assert type(account.status).__name__ == "Closed" and account.status.reason == "moved"
    assert type(account.contact).__name__ == "Phone"
    request, _ = httpserver.log[-1]
    assert request.query_string == b"fields=id&fields=status"
    with pytest.raises(package.ApiValueError, match=r"`fields\[1\]`"):
        package.AccountsApi(client).get_account("A-1", fields=["id", "colour"])

    files = package.FilesApi(client)
    assert files.get_file("a.pdf") == b"%PDF\x00\xff"
    notes = files.get_notes()
    assert notes == "caf\u00e9" and type(notes) is str

    body = package.Subscription(
        account_id="A-1", plan="pro", start_date=datetime.date(2024, 1, 2), quantity=3
    )
    created = package.SubscriptionsApi(client).create_subscription(body)
    assert created.start_date == datetime.date(2024, 1, 2) and type(created.quantity) is int


def test_token_manager_authenticates_with_http_basic(
    package: ModuleType, httpserver: HTTPServer
) -> None:
    serve_the_edited_spec(httpserver)
    configuration = package.Configuration(host=httpserver.url_for("").rstrip("/"), retries=0)
    manager = package.TokenManager(
        "5b1e8c4a-2f3d-4a6b-9c7e-1d0f2a3b4c5d",
        "zQ8vK2mN5pR7tX1wY4aB6cD9eF3gH0jL",
        api_client=package.ApiClient(configuration),
    )
    assert manager.get_token() == "tok-edited"
    request, _ = httpserver.log[-1]
    assert request.headers["Authorization"] == basic(
        "5b1e8c4a-2f3d-4a6b-9c7e-1d0f2a3b4c5d", "zQ8vK2mN5pR7tX1wY4aB6cD9eF3gH0jL"
    )
    assert request.data == b"grant_type=client_credentials"
