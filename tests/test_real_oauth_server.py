"""The packages against a real, certified OAuth 2.0 server: oidc-provider, from npm.

oidc-provider refuses a token request that authenticates the client two ways (RFC 6749
section 2.3.1: ``400 invalid_request``, "client authentication must only be provided using
one mechanism"), as a strict server does. The providers whose token endpoint offers
client_credentials (Criteo, Zuora) get a token from it with a TokenManager whose ApiClient
also holds the API's own credential, and a direct call of the token operation that sends
that credential is refused as the README says. Skipped, with the reason, where node or the
npm package is missing.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from typing import Any

import pytest
from providers import PACKAGES, REPO_ROOT, ZUORA_CLIENT_ID

SERVER = REPO_ROOT / "tests" / "node" / "oidc_server.mjs"
CLIENT_SECRET = "oidc-provider-secret-7Qx"
TOKEN_PATHS = {"criteo": "/oauth2/token", "zuora": "/oauth/token"}

pytestmark = pytest.mark.skipif(
    shutil.which("node") is None or not (REPO_ROOT / "node_modules" / "oidc-provider").is_dir(),
    reason="node or the oidc-provider npm package (make .make/npm) is missing",
)


@pytest.fixture(scope="module", params=list(TOKEN_PATHS))
def server(request: pytest.FixtureRequest) -> Iterator[tuple[str, str]]:
    """(provider, URL) of a real OAuth server at that provider's token path."""
    process = subprocess.Popen(
        ["node", str(SERVER), TOKEN_PATHS[request.param], ZUORA_CLIENT_ID, CLIENT_SECRET],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert process.stdout is not None
        port = json.loads(process.stdout.readline())["port"]
        yield request.param, f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(10)


def client(provider: str, url: str, **settings: Any) -> Any:
    package = PACKAGES[provider]
    return package.ApiClient(package.Configuration(host=url, retries=0, **settings))


#: The API's own credentials a client holds for the rest of the API (Criteo: bearer).
API_CREDENTIALS = {"access_token": "criteo-api-token-for-the-rest-of-the-api"}


def test_the_token_manager_authenticates_the_client_once(server: tuple[str, str]) -> None:
    provider, url = server
    package = PACKAGES[provider]
    api_client = client(provider, url, **API_CREDENTIALS)
    api_client.set_default_header("Authorization", "API-Key default-for-every-request")
    with package.TokenManager(ZUORA_CLIENT_ID, CLIENT_SECRET, api_client=api_client) as manager:
        token = manager.get_token()
        assert len(token) >= 20 and manager.get_token() == token
        assert manager.token.expires_in > 0 and manager.token.token_type == "Bearer"


def test_a_direct_call_sends_the_configured_credential_and_a_strict_server_refuses_it(
    server: tuple[str, str],
) -> None:
    provider, url = server
    package = PACKAGES[provider]
    api_client = client(provider, url)
    api_client.set_default_header("Authorization", "API-Key default-for-every-request")
    with pytest.raises(package.BadRequestException) as refused:
        call(provider, api_client)
    assert refused.value.error == "invalid_request"
    assert "only be provided using one mechanism" in str(refused.value.error_description)
    assert call(provider, client(provider, url)).access_token  # without it: a token


def call(provider: str, api_client: Any) -> Any:
    """The provider's documented token call, with the client credentials the server knows."""
    package = PACKAGES[provider]
    if provider == "criteo":
        return package.OAuthApi(api_client).get_token(
            "client_credentials", ZUORA_CLIENT_ID, CLIENT_SECRET
        )
    return package.OAuthApi(api_client).create_token(
        ZUORA_CLIENT_ID, CLIENT_SECRET, "client_credentials"
    )
