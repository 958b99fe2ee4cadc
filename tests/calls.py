"""Each provider's token call, as the tests make it against their servers."""

from __future__ import annotations

from typing import Any

import criteo_api_retailmedia_v2022_10 as criteo
import CyberSource
import pandadoc_client
import zuora_client
from providers import BY_NAME, PACKAGES, ZUORA_CLIENT_ID
from samples import derived_call
from servers import Target


def call(provider: str, client: Any, timeout: Any = None) -> Any:
    """The provider's documented token call, with valid arguments."""
    if provider == "cybersource":
        request = CyberSource.CreateAccessTokenRequest(
            client_id="id", client_secret="secret", grant_type="refresh_token", refresh_token="rt"
        )
        return CyberSource.OAuthApi(client).create_access_token(request, _request_timeout=timeout)
    if provider == "pandadoc":
        api = pandadoc_client.OAuth20AuthenticationApi(client)
        return api.access_token(
            grant_type="refresh_token",
            client_id="id",
            client_secret="secret",
            refresh_token="rt",
            _request_timeout=timeout,
        )
    if provider == "criteo":
        api = criteo.OAuthApi(client)
        return api.get_token("client_credentials", "id", "secret", _request_timeout=timeout)
    if provider == "zuora":
        api = zuora_client.OAuthApi(client)
        return api.create_token(
            ZUORA_CLIENT_ID, "secret", "client_credentials", _request_timeout=timeout
        )
    # A provider added since: its token operation, with values read from its Param table.
    return derived_call(BY_NAME[provider].module, client, _request_timeout=timeout)


def cybersource_request(
    client_secret: str, code: str, refresh_token: str, grant_type: str = "refresh_token"
) -> Any:
    """CyberSource's request model holding every secret it takes."""
    return CyberSource.CreateAccessTokenRequest(
        client_id="client-id",
        client_secret=client_secret,
        grant_type=grant_type,
        code=code,
        refresh_token=refresh_token,
    )


def secret_call(
    provider: str, client: Any, client_secret: str, code: str, refresh_token: str
) -> Any:
    """The token call with every secret the operation takes in its form fields."""
    if provider == "cybersource":
        request = cybersource_request(client_secret, code, refresh_token)
        return CyberSource.OAuthApi(client).create_access_token(request)
    if provider == "pandadoc":
        return pandadoc_client.OAuth20AuthenticationApi(client).access_token(
            grant_type="refresh_token",
            client_id="client-id",
            client_secret=client_secret,
            code=code,
            refresh_token=refresh_token,
        )
    if provider == "criteo":
        return criteo.OAuthApi(client).get_token(
            "refresh_token", "client-id", client_secret, code=code, refresh_token=refresh_token
        )
    return zuora_client.OAuthApi(client).create_token(
        ZUORA_CLIENT_ID, client_secret, "client_credentials"
    )


def token_call(target: Target, provider: str = "zuora", **settings: Any) -> Any:
    """The provider's token call against ``target``; no retries, so each call is one attempt."""
    package = PACKAGES[provider]
    settings.setdefault("ssl_ca_cert", target.ca_cert)
    configuration = package.Configuration(host=target.url, retries=0, **settings)
    with package.ApiClient(configuration) as client:
        return call(provider, client, (5.0, 10.0))
