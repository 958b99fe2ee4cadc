"""Each provider doc's Python example, run as a user runs it, with real values.

The example is read from ../shared/reference at test time (the tests skip when those
pages are not beside the checkout). Its placeholders are
replaced by exact string replacement (a placeholder that is gone from the page
fails the test, so a changed page is noticed) and the script runs in a
subprocess, in an empty directory, against the installed package:

- against Prism, which validates the request and answers the spec's example;
- against a recording server, to check the request is exactly the documented one.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import pytest
import yaml
from generation import run_example
from mock_servers import PrismServer, spec_path
from providers import BY_NAME, PROVIDERS, REFERENCE, ZUORA_CLIENT_ID, doc_example, doc_page
from pytest_httpserver import HTTPServer

CORRELATION_ID = "0c5a7b3e-2d41-4f8e-9a6b-7e1d2c3b4a59"  # a UUID: 36 characters
ZUORA_TRACK_ID = "order-sync-0042"
PANDADOC_API_KEY = "0f6b1c2d3e4a5b6c7d8e9f0a1b2c3d4e5f6a7b8c"
CRITEO_ACCESS_TOKEN = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJteS1hcHAifQ.c2lnbmF0dXJl"
NO_AUTH_HEADERS = ("Authorization", "apiAccessKeyId", "apiSecretAccessKey")
Form = tuple[tuple[str, str], ...]
#: Criteo's example calls with every field of the form, each "<name>_example" replaced.
CRITEO_FORM: Form = (
    ("grant_type", "client_credentials"),
    ("client_id", "my-client-id"),
    ("client_secret", "my-client-secret"),
    ("redirect_uri", "https://app.example.com/oauth/callback"),
    ("code", "my-authorization-code"),
    ("refresh_token", "my-refresh-token"),
)


@dataclass(frozen=True)
class Example:
    provider: str
    path: str  # the documented request path
    replacements: tuple[tuple[str, str], ...]  # placeholder -> real value, exact text
    host_literal: str | None  # the example's host string; None: the env var sets it
    forms: tuple[Form, ...]  # the form body of each call the example makes
    header_params: dict[str, str] = field(default_factory=dict)  # wire name -> value
    authorization: str | None = None  # the Authorization header, None: no auth header


EXAMPLES = (
    Example(
        "cybersource",
        "/oauth2/v3/token",
        (
            (
                "CyberSource.CreateAccessTokenRequest()",
                (
                    "CyberSource.CreateAccessTokenRequest(client_id='my-client-id',"
                    " client_secret='my-client-secret', grant_type='refresh_token',"
                    " refresh_token='my-refresh-token')"
                ),
            ),
            ("'v_c_client_correlation_id_example'", repr(CORRELATION_ID)),
        ),
        None,
        (
            (
                ("client_id", "my-client-id"),
                ("client_secret", "my-client-secret"),
                ("grant_type", "refresh_token"),
                ("refresh_token", "my-refresh-token"),
            ),
        ),
        header_params={"v-c-client-correlation-id": CORRELATION_ID},
    ),
    Example(
        "pandadoc",
        "/oauth2/access_token",
        (
            ("'YOUR_API_KEY'", repr(PANDADOC_API_KEY)),
            ("'YOUR_ACCESS_TOKEN'", "'a-pandadoc-oauth-access-token'"),  # commented out
        ),
        '"https://api.pandadoc.com"',
        (
            # The doc's own values, already real-looking.
            (
                ("grant_type", "refresh_token"),
                ("client_id", "479a3c7ba4a8d3cf28702"),
                ("client_secret", "a66515d3caf9183b8cad3eee546bcba892b45b01"),
                ("code", "a9a60d4dabb61ade665c712d2b41766e7bb9a2f9"),
                ("scope", "read+write"),
                ("refresh_token", "f61cc0cffd437c9a596f0acc8eb6f502a7a429d7"),
            ),
        ),
        authorization=f"API-Key {PANDADOC_API_KEY}",
    ),
    Example(
        "criteo",
        "/oauth2/token",
        (
            ("'YOUR_ACCESS_TOKEN'", repr(CRITEO_ACCESS_TOKEN)),
            *((f'"{name}_example"', json.dumps(value)) for name, value in CRITEO_FORM),
        ),
        '"https://api.criteo.com"',
        (CRITEO_FORM[:3], CRITEO_FORM),  # the client_credentials call, then every field
        authorization=f"Bearer {CRITEO_ACCESS_TOKEN}",
    ),
    Example(
        "zuora",
        "/oauth/token",
        (
            # Real Zuora values: a 36-character client id, a secret of at most 42.
            ("'client_id_example'", repr(ZUORA_CLIENT_ID)),
            ("'client_secret_example'", "'my-client-secret'"),
            ("'grant_type_example'", "'client_credentials'"),
            ("'zuora_track_id_example'", repr(ZUORA_TRACK_ID)),
        ),
        None,
        (
            (
                ("client_id", ZUORA_CLIENT_ID),
                ("client_secret", "my-client-secret"),
                ("grant_type", "client_credentials"),
            ),
        ),
        header_params={"Zuora-Track-Id": ZUORA_TRACK_ID},
    ),
)
EXAMPLE_IDS = [example.provider for example in EXAMPLES]


def doc_request_headers(provider: str) -> dict[str, str]:
    """The doc's "HTTP request headers" section: header name -> value, as written."""
    section = doc_page(provider).split("### HTTP request headers", 1)[1].split("\n#", 1)[0]
    headers = dict(re.findall(r"^ - \*\*([\w-]+)\*\*: (.+?)\s*$", section, re.MULTILINE))
    assert set(headers) == {"Content-Type", "Accept"}
    return headers


def doc_return_type(provider: str) -> str:
    match = re.search(r"^> (\w+) \w+\(", doc_page(provider), re.MULTILINE)
    assert match
    return match.group(1)


def spec_success(provider: str) -> tuple[str, str, dict[str, Any]]:
    """The spec's 200 answer: (content type, body text, parsed example)."""
    spec = yaml.safe_load(spec_path(provider).read_text(encoding="utf-8"))
    (operation,) = (op for path in spec["paths"].values() for op in path.values())
    content_type, media = next(iter(operation["responses"]["200"]["content"].items()))
    example = media["example"]
    if isinstance(example, str):  # JSON text under a text/* media type
        return content_type, example, json.loads(example)
    return content_type, json.dumps(example), example


def user_script(example: Example, host: str | None) -> str:
    """The doc's example with every placeholder replaced by a real value."""
    code = doc_example(example.provider)
    replacements = list(example.replacements)
    if example.host_literal is not None:
        assert host is not None
        replacements.append((example.host_literal, json.dumps(host)))
    for placeholder, value in replacements:
        assert placeholder in code, (
            f"{placeholder!r} is no longer in {BY_NAME[example.provider].reference_doc}"
        )
        code = code.replace(placeholder, value)
    leftovers = re.findall(r"\w+_example\b|YOUR_\w+", code)
    assert not leftovers, f"placeholders without a real value: {leftovers}"
    return code


def run_as_user(example: Example, url: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """Run the example with the installed package, from an empty directory."""
    provider = BY_NAME[example.provider]
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    for other in PROVIDERS:
        env.pop(other.host_variable, None)
    if example.host_literal is None:
        env[provider.host_variable] = url  # the example uses the default client
    return run_example(user_script(example, url), tmp_path, env)


def assert_obtained_tokens(example: Example, result: subprocess.CompletedProcess[str]) -> None:
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "Exception when calling" not in output, output
    assert "Traceback" not in output, output
    _, _, expected = spec_success(example.provider)
    calls = len(example.forms)
    assert result.stdout.count(f"access_token={expected['access_token']!r}") == calls, output
    assert result.stdout.count(f"{doc_return_type(example.provider)}(") == calls, output


def test_every_provider_has_an_example() -> None:
    """Every provider whose doc page is in the reference has its example here; a provider
    without a page (one added before its page is) has nothing to compare with."""
    documented = [p.name for p in PROVIDERS if (REFERENCE / p.reference_doc).is_file()]
    if not REFERENCE.is_dir():
        pytest.skip(f"no provider doc pages to compare with: {REFERENCE} is absent")
    assert set(EXAMPLE_IDS) <= {p.name for p in PROVIDERS}
    assert sorted(documented) == sorted(EXAMPLE_IDS)


@pytest.mark.parametrize("example", EXAMPLES, ids=EXAMPLE_IDS)
def test_example_obtains_a_token_from_prism(
    example: Example, prism: dict[str, PrismServer], tmp_path: Path
) -> None:
    result = run_as_user(example, prism[example.provider].url, tmp_path)
    assert_obtained_tokens(example, result)


@pytest.mark.parametrize("example", EXAMPLES, ids=EXAMPLE_IDS)
def test_example_sends_the_documented_request(
    example: Example, httpserver: HTTPServer, tmp_path: Path
) -> None:
    content_type, body, _ = spec_success(example.provider)
    httpserver.expect_request(example.path, method="POST").respond_with_data(
        body, status=200, content_type=content_type
    )
    result = run_as_user(example, httpserver.url_for("").rstrip("/"), tmp_path)
    assert_obtained_tokens(example, result)

    documented = doc_request_headers(example.provider)
    requests = [request for request, _ in httpserver.log]
    assert len(requests) == len(example.forms)
    for request, form in zip(requests, example.forms):
        assert request.method == "POST"
        assert request.path == example.path
        assert request.query_string == b""
        assert request.headers.get("Content-Type") == documented["Content-Type"]
        assert request.headers.get("Accept") == documented["Accept"]
        sent = parse_qsl(
            request.get_data(as_text=True), keep_blank_values=True, strict_parsing=True
        )
        assert sent == list(form)
        for name, value in example.header_params.items():
            assert request.headers.get(name) == value, name
        if example.authorization is None:
            for name in NO_AUTH_HEADERS:
                assert name not in request.headers, name
        else:
            assert request.headers.get("Authorization") == example.authorization
