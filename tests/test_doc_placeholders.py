"""A provider's doc example run as pasted, placeholders and all, says what is wrong with it.

Each doc page's Python example runs unchanged except for its host, pointed at a loopback
port with nothing listening. Where a placeholder breaks the spec the run stops before any
traffic with a message naming the parameter and, for a value that is not secret, the
value given (``'grant_type_example' is not one of ...``); a secret's value (placeholder or
not) never shows in the output.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from providers import BY_NAME, PROVIDERS, ZUORA_CLIENT_ID, doc_example

# What each example says when run as pasted (after the host), and what it must not say.
EXPECTED = {
    "criteo": "ApiValueError: Invalid value for `grant_type`: 'grant_type_example' is not one of"
    " 'client_credentials', 'authorization_code', 'refresh_token'",
    "zuora": "ApiValueError: Invalid value for `client_id`: length must be at least 36",
    "cybersource": "ApiValueError: Missing the required parameter"
    " `create_access_token_request.client_id`",
    "pandadoc": "Exception when calling OAuth20AuthenticationApi->access_token: (0) Reason:"
    " could not connect for POST",
}
SECRET_VALUES = (
    "client_secret_example",
    "refresh_token_example",
    "code_example",
    "YOUR_ACCESS_TOKEN",
    "YOUR_API_KEY",
    "a66515d3caf9183b8cad3eee546bcba892b45b01",  # PandaDoc's example client secret
    "a9a60d4dabb61ade665c712d2b41766e7bb9a2f9",  # ... code
    "f61cc0cffd437c9a596f0acc8eb6f502a7a429d7",  # ... refresh token
)


def run_pasted(code: str, url: str, tmp_path: Path) -> str:
    """Run ``code`` with every documented host, and each package's default, at ``url``."""
    code = re.sub(r"https://api\.[a-z]+\.com", url, code)
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    for provider in PROVIDERS:
        env[provider.host_variable] = url
    script = tmp_path / "pasted.py"
    script.write_text(code, encoding="utf-8")
    result = subprocess.run(
        [sys.executable, script.name], cwd=tmp_path, env=env, capture_output=True, text=True,
        timeout=120, check=False,
    )
    return result.stdout + result.stderr


@pytest.mark.parametrize("provider", sorted(BY_NAME))
def test_the_pasted_example_names_what_is_wrong(
    provider: str, refused_url: str, tmp_path: Path
) -> None:
    output = run_pasted(doc_example(provider), refused_url, tmp_path)
    assert EXPECTED[provider] in output, output
    for value in SECRET_VALUES:
        assert value not in output, f"{value!r} shown"


def test_the_zuora_grant_type_placeholder_is_named(refused_url: str, tmp_path: Path) -> None:
    """With a client id of the right shape, the next placeholder is the one reported."""
    code = doc_example("zuora").replace("'client_id_example'", repr(ZUORA_CLIENT_ID))
    output = run_pasted(code, refused_url, tmp_path)
    expected = "Invalid value for `grant_type`: 'grant_type_example' is not one of 'client_credentials'"
    assert expected in output, output
    assert "client_secret_example" not in output
