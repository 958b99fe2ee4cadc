"""A user's asyncio script: every package's ``.aio`` called the documented ways, typed.

Not a test module: tests/test_static.py runs ``mypy --strict`` on it (the aio classes'
annotations reach a user's type checker), and tests/test_aio.py runs it against a local
server. By hand:

    python tests/typing_check_aio.py http://127.0.0.1:4010
"""

from __future__ import annotations

import asyncio
import sys
from typing import TYPE_CHECKING

import criteo_api_retailmedia_v2022_10 as criteo
import CyberSource
import pandadoc_client
import zuora_client
from criteo_api_retailmedia_v2022_10 import aio as criteo_aio
from CyberSource import aio as cybersource_aio
from pandadoc_client import aio as pandadoc_aio
from zuora_client.aio import ApiClient, OAuthApi, TokenManager

if TYPE_CHECKING:
    from typing_extensions import assert_type

CLIENT_ID = "5b1e8c4a-2f3d-4a6b-9c7e-1d0f2a3b4c5d"


async def zuora(host: str) -> str:
    """The issue's example: an aio client, a call, http info, and a TokenManager."""
    configuration = zuora_client.Configuration(host=host)
    async with ApiClient(configuration) as api_client:
        token = await OAuthApi(api_client).create_token(CLIENT_ID, "secret", "client_credentials")
        info = await OAuthApi(api_client).create_token_with_http_info(
            CLIENT_ID, "secret", "client_credentials", _request_timeout=(3.0, 10.0)
        )
        status: int = info.status_code
        async with TokenManager(CLIENT_ID, "secret", api_client=api_client) as manager:
            first, second = await asyncio.gather(manager.get_token(), manager.get_token())
            await manager.invalidate(first)
        if TYPE_CHECKING:
            assert_type(token, zuora_client.TokenResponse)
            assert_type(info, zuora_client.ApiResponse[zuora_client.TokenResponse])
            assert_type(second, str)
            assert_type(manager.token, zuora_client.TokenResponse | None)
        print(status, token.access_token, first == second)
        return first


async def criteo_and_others(host: str) -> None:
    """A managed bearer token on an API call; a code exchange; the default client."""
    async with criteo_aio.TokenManager(
        "cid", "secret", api_client=criteo_aio.ApiClient(criteo.Configuration(host=host))
    ) as manager:
        configuration = criteo.Configuration(host=host, token_manager=manager)
        async with criteo_aio.ApiClient(configuration) as api_client:
            model = await criteo_aio.OAuthApi(api_client).get_token("client_credentials", "a", "b")
            exchanged = await manager.exchange_code("auth-code")
            refresh: str | None = manager.refresh_token
            print(model.expires_in, exchanged.access_token, refresh)
            if TYPE_CHECKING:
                assert_type(model, criteo.AccessTokenModel)
                assert_type(exchanged, criteo.AccessTokenModel)
        await manager.api_client.close()

    cybersource_aio.ApiClient.set_default(
        cybersource_aio.ApiClient(CyberSource.Configuration(host=host))
    )
    request = CyberSource.CreateAccessTokenRequest(
        client_id="cid", client_secret="secret", grant_type="refresh_token", refresh_token="rt"
    )
    access = await cybersource_aio.OAuthApi().create_access_token(request)
    await cybersource_aio.ApiClient.get_default().close()

    async with pandadoc_aio.ApiClient(pandadoc_client.Configuration(host=host)) as client:
        api = pandadoc_aio.OAuth20AuthenticationApi(client)
        try:
            panda = await api.access_token(grant_type="refresh_token", refresh_token="rt")
        except pandadoc_client.ApiException as e:  # the package's own exceptions
            print(e.status, e.error)
            return
    if TYPE_CHECKING:
        assert_type(access, CyberSource.AccessTokenResponse)
        assert_type(panda, pandadoc_client.OAuth2AccessTokenResponse)
    print(access.access_token, panda.access_token)


async def main(host: str) -> None:
    await zuora(host)
    await criteo_and_others(host)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:4010"))
