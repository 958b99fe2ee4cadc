"""Obtain a token from each provider's local Prism mock with its documented call.

Run by `make demo`, which first regenerates and installs the four packages.
Each call is the one on the provider's doc page, with real-looking values.
"""

from __future__ import annotations

import os
import sys
import uuid
from pathlib import Path
from pprint import pprint

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from mock_servers import start_all, stop_all


def cybersource(url: str) -> None:
    os.environ["CYBERSOURCE_HOST"] = url  # OAuthApi() uses the default client
    import CyberSource

    api_instance = CyberSource.OAuthApi()
    request = CyberSource.CreateAccessTokenRequest(
        client_id="partner-client-id",
        client_secret="partner-client-secret",
        grant_type="refresh_token",
        refresh_token="stored-refresh-token",
    )
    pprint(api_instance.create_access_token(request, v_c_client_correlation_id=str(uuid.uuid4())))


def pandadoc(url: str) -> None:
    import pandadoc_client
    from pandadoc_client.api import o_auth_2_0_authentication_api

    configuration = pandadoc_client.Configuration(host=url)
    configuration.api_key["apiKey"] = "demo-api-key"
    configuration.api_key_prefix["apiKey"] = "API-Key"
    with pandadoc_client.ApiClient(configuration) as api_client:
        api_instance = o_auth_2_0_authentication_api.OAuth20AuthenticationApi(api_client)
        pprint(
            api_instance.access_token(
                grant_type="refresh_token",
                client_id="479a3c7ba4a8d3cf28702",
                client_secret="a66515d3caf9183b8cad3eee546bcba892b45b01",
                scope="read+write",
                refresh_token="f61cc0cffd437c9a596f0acc8eb6f502a7a429d7",
            )
        )


def criteo(url: str) -> None:
    import criteo_api_retailmedia_v2022_10
    from criteo_api_retailmedia_v2022_10.api import o_auth_api

    configuration = criteo_api_retailmedia_v2022_10.Configuration(host=url)
    with criteo_api_retailmedia_v2022_10.ApiClient(configuration) as api_client:
        api_instance = o_auth_api.OAuthApi(api_client)
        pprint(api_instance.get_token("client_credentials", "demo-client-id", "demo-client-secret"))


def zuora(url: str) -> None:
    os.environ["ZUORA_CLIENT_HOST"] = url  # OAuthApi() uses the default client
    import zuora_client

    api_instance = zuora_client.OAuthApi()
    pprint(
        api_instance.create_token(
            "demo-client-id", "demo-client-secret", "client_credentials", zuora_track_id="demo-1"
        )
    )


def main() -> int:
    print("starting one Prism mock per spec ...", flush=True)
    servers = start_all()
    try:
        for name, call in (
            ("cybersource", cybersource),
            ("pandadoc", pandadoc),
            ("criteo", criteo),
            ("zuora", zuora),
        ):
            print(f"\n== {name} ({servers[name].url})", flush=True)
            call(servers[name].url)
    finally:
        stop_all(servers)
    return 0


if __name__ == "__main__":
    sys.exit(main())
