"""_secrets: what looks secret, how a secret is masked, which tokens an answer issued, and
how an error's text is redacted.

How the request loop hands these the secrets a request carried is tested with the loop
(test_runtime_api_client.py: errors and redaction); the packages' end-to-end rules in
tests/test_secrets.py.
"""

from __future__ import annotations

import pytest
from runtime_under_test._secrets import issued_tokens, looks_secret, mask
from runtime_under_test.exceptions import ApiException


@pytest.mark.parametrize(
    ("name", "secret"),
    [
        ("client_secret", True),
        ("Password", True),
        ("refresh_token", True),
        ("code", True),
        ("x_api_key", True),
        ("Authorization", True),
        ("credentials", True),
        ("scope", False),
        ("grant_type", False),
        ("redirect_uri", False),
    ],
)
def test_looks_secret(name: str, secret: bool) -> None:
    assert looks_secret(name) is secret


def test_mask_shows_four_characters_of_long_secrets_only() -> None:
    assert mask("abcdefghijkl") == "'abcd\u2026'"
    assert mask("abcdefghijk") == "'\u2026'"
    assert mask("") == "'\u2026'"


def test_issued_tokens_reads_cut_and_escaped_bodies() -> None:
    assert issued_tokens(b'{"access_token": "a\\/b\\u00e9c", "token_type": "x"') == [
        "a\\/b\\u00e9c",
        "a/b\u00e9c",
    ]
    assert set(issued_tokens(b'{"access_token": "abc\\')) == {"abc"}  # cut inside an escape
    assert issued_tokens(b'{"refresh_token": 5, "scope": "access_token"}') == []
    assert issued_tokens(b'{"id_token": "x.y.z"}') == ["x.y.z", "x.y.z", "x.y.z"]


def test_redact_replaces_secrets_of_four_characters_or_more() -> None:
    body = '{"error": "bad", "error_description": "secret-1234 and abc"}'
    error = ApiException(400, "Bad secret-1234", None, body, data={"echo": "secret-1234"})
    error.redact(["secret-1234", "abc", ""])
    assert error.body == '{"error": "bad", "error_description": "[redacted] and abc"}'
    assert error.error_description == "[redacted] and abc"
    assert error.reason == "Bad [redacted]"
    assert error.data is None
    assert error.unredacted_body == body


@pytest.mark.parametrize(
    ("secret", "echoed"),
    [
        ("tok/en+1234", "tok\\/en+1234"),  # PHP's json_encode writes '/' as '\/'
        ("tøk/en-1234", "t\\u00f8k\\/en-1234"),  # and non-ASCII as \uXXXX
        ("tøk/en-1234", "tøk\\/en-1234"),
        ("tøk/en-1234", "t\\u00f8k/en-1234"),
    ],
)
def test_redact_matches_a_secret_json_escaped_with_escaped_slashes(
    secret: str, echoed: str
) -> None:
    body = f'{{"error": "bad", "error_description": "you sent {echoed}"}}'
    error = ApiException(400, "Bad Request", None, body)
    error.redact([secret])
    assert error.body == '{"error": "bad", "error_description": "you sent [redacted]"}'
    assert error.error_description == "you sent [redacted]"
