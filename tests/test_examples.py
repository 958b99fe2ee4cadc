"""Every generated example runs as written, for any spec: tests/specs/examples.yaml.

The probe is a token endpoint as a new provider might write it, with nothing there for the
examples' sake: its grant_type lists ``authorization_code`` first, no field has an
example, and its client_id has a length no placeholder meets. It is generated twice: as
written (client_credentials offered, form fields as parameters), and with only the grants
that need a field (``authorization_code``, ``refresh_token``) and the form as ONE model
argument (``x-form-model``). Every ```python block of each package's README and docs runs,
unchanged but for its host, against a server that answers as the spec says: a token for a
request that carries what its grant needs and a client id of the right length, else 400.
"""

from __future__ import annotations

import copy
import json
import os
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from generation import generate_probe, run_example
from providers import REPO_ROOT
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

SPEC = REPO_ROOT / "tests" / "specs" / "examples.yaml"
PACKAGE = "examples_probe"
HOST = "https://auth.example.com"
TOKEN = {"access_token": "probe-example-token", "token_type": "Bearer", "expires_in": 3600}
PYTHON_BLOCK = re.compile(r"^```python\n(.*?)^```", re.DOTALL | re.MULTILINE)
NOWHERE = "http://127.0.0.1:9"


def without_client_credentials(spec: dict[str, Any]) -> dict[str, Any]:
    """The probe with only the grants that need a field, its form body as one model."""
    spec = copy.deepcopy(spec)
    operation = spec["paths"]["/oauth/token"]["post"]
    del operation["x-token-manager"]["client_credentials"]
    media = operation["requestBody"]["content"]["application/x-www-form-urlencoded"]
    body = media["schema"]
    body["properties"]["grant_type"]["enum"] = ["authorization_code", "refresh_token"]
    spec["components"]["schemas"]["TokenRequest"] = body
    media["schema"] = {"$ref": "#/components/schemas/TokenRequest"}
    operation["x-form-model"] = {"paramName": "token_request", "dataType": "TokenRequest"}
    return spec


VARIANTS = {"as-written": lambda spec: spec, "code-or-refresh-only": without_client_credentials}


@pytest.fixture(scope="module", params=list(VARIANTS))
def package(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp(f"examples-{request.param}")
    spec = VARIANTS[request.param](yaml.safe_load(SPEC.read_text(encoding="utf-8")))
    spec_file = root / "examples.yaml"
    spec_file.write_text(yaml.safe_dump(spec, sort_keys=False), encoding="utf-8")
    return generate_probe(spec_file, PACKAGE, root)


def answer_as_the_spec_says(request: Request) -> Response:
    """A token when the request has what its grant needs (RFC 6749), else 400."""
    form = request.form
    needs = {"authorization_code": "code", "refresh_token": "refresh_token"}
    grant = form.get("grant_type", "")
    problem = None
    if grant not in ("authorization_code", "refresh_token", "client_credentials"):
        problem = "unsupported_grant_type"
    elif grant in needs and not form.get(needs[grant]):
        problem = "invalid_request"
    elif len(form.get("client_id", "")) != 36 or not form.get("client_secret"):
        problem = "invalid_client"
    if problem is not None:
        return Response(json.dumps({"error": problem}), 400, content_type="application/json")
    return Response(json.dumps(TOKEN), 200, content_type="application/json")


def test_every_example_runs_as_written(
    package: Path, httpserver: HTTPServer, tmp_path: Path
) -> None:
    httpserver.expect_request("/oauth/token", method="POST").respond_with_handler(
        answer_as_the_spec_says
    )
    url = httpserver.url_for("").rstrip("/")
    env = {**os.environ, "PYTHONPATH": str(package), "EXAMPLES_PROBE_HOST": url}
    pages = [package / "README.md", *sorted((package / "docs").glob("*.md"))]
    blocks = [block for page in pages for block in PYTHON_BLOCK.findall(page.read_text("utf-8"))]
    calls = [block for block in blocks if f"except {PACKAGE}.ApiException" in block]
    assert len(calls) >= 3, "the README, the API page and the TokenManager have examples"
    for code in blocks:
        result = run_example(code.replace(HOST, url), tmp_path, env)
        output = f"{code}\nstdout:\n{result.stdout}\nstderr:\n{result.stderr}"
        assert result.returncode == 0, output
        if NOWHERE in code:  # the errors example: a host where nothing listens
            assert "could not connect" in result.stdout, output
        elif "pprint(api_response" in code:
            assert TOKEN["access_token"] in result.stdout, output
        elif "token_manager.get_token()" in code:
            assert "failed" not in result.stdout and "no token" not in result.stdout, output
    assert all(request.form.get("grant_type") for request, _ in httpserver.log)
    assert not [r for _, r in httpserver.log if r.status_code != 200], "a request was refused"
