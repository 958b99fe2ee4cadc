"""A user's script: every package called the documented ways, with correct types.

Not a test module: `make typecheck` and tests/test_static.py run `mypy --strict` on it,
which proves the packages' annotations (py.typed) reach a user's type checker and
that the documented calls type-check. It can also be run against mocks:

    python tests/typing_check.py cybersource=http://127.0.0.1:4010 zuora=http://...
"""

from __future__ import annotations

import sys
import uuid
from collections.abc import Callable, Mapping
from pprint import pprint
from typing import TYPE_CHECKING

import criteo_api_retailmedia_v2022_10
import CyberSource
import pandadoc_client
import zuora_client
from criteo_api_retailmedia_v2022_10.api import o_auth_api
from criteo_api_retailmedia_v2022_10.model.access_token_model import AccessTokenModel
from criteo_api_retailmedia_v2022_10.model.o_auth_error_model import OAuthErrorModel
from CyberSource.rest import ApiException as CyberSourceApiException
from pandadoc_client.api import o_auth_2_0_authentication_api
from pandadoc_client.model.o_auth2_access_token_response import OAuth2AccessTokenResponse
from zuora_client.rest import ApiException as ZuoraApiException

if TYPE_CHECKING:
    from typing_extensions import assert_type


def cybersource(host: str) -> CyberSource.AccessTokenResponse | None:
    """The CyberSource doc: the default client, a request model built empty, then filled."""
    CyberSource.ApiClient.set_default(CyberSource.ApiClient(CyberSource.Configuration(host=host)))
    api_instance = CyberSource.OAuthApi()
    create_access_token_request = CyberSource.CreateAccessTokenRequest()
    create_access_token_request.client_id = "partner-client-id"
    create_access_token_request.client_secret = "partner-client-secret"
    create_access_token_request.grant_type = "refresh_token"
    create_access_token_request.refresh_token = "stored-refresh-token"
    v_c_client_correlation_id = str(uuid.uuid4())
    try:
        api_response = api_instance.create_access_token(
            create_access_token_request, v_c_client_correlation_id=v_c_client_correlation_id
        )
        pprint(api_response)
    except CyberSourceApiException as e:
        print(f"Exception when calling OAuthApi->create_access_token: {e}\n")
        if isinstance(e.data, CyberSource.BadRequestError):
            error: str | None = e.data.error
            print(error, e.data.error_description)
        return None

    # An explicit client, keyword-built request, http info and a per-call timeout.
    with CyberSource.ApiClient(CyberSource.Configuration(host=host)) as api_client:
        request = CyberSource.CreateAccessTokenRequest(
            client_id="partner-client-id",
            client_secret="partner-client-secret",
            grant_type="authorization_code",
            code="auth-code",
        )
        info = CyberSource.OAuthApi(api_client).create_access_token_with_http_info(
            request, _request_timeout=(3.05, 27.0)
        )
        status: int = info.status_code
        headers: Mapping[str, str] = info.headers
        raw: bytes = info.raw_data
        print(status, headers.get("v-c-client-correlation-id"), len(raw))
        data = info.data
        expires_in: int | None = data.expires_in
        refresh_expires_in: int | None = data.refresh_token_expires_in
        print(expires_in, refresh_expires_in)
        if TYPE_CHECKING:
            assert_type(api_response, CyberSource.AccessTokenResponse)
            assert_type(data, CyberSource.AccessTokenResponse)
    return api_response


def pandadoc(host: str) -> OAuth2AccessTokenResponse | None:
    """The PandaDoc doc: API key with prefix, or an OAuth access token."""
    configuration = pandadoc_client.Configuration(host=host)
    configuration.api_key["apiKey"] = "YOUR_API_KEY"
    configuration.api_key_prefix["apiKey"] = "API-Key"

    with pandadoc_client.ApiClient(configuration) as api_client:
        api_instance = o_auth_2_0_authentication_api.OAuth20AuthenticationApi(api_client)
        refresh_token = "f61cc0cffd437c9a596f0acc8eb6f502a7a429d7"
        try:
            api_response = api_instance.access_token(
                grant_type="refresh_token",
                client_id="479a3c7ba4a8d3cf28702",
                client_secret="a66515d3caf9183b8cad3eee546bcba892b45b01",
                code="a9a60d4dabb61ade665c712d2b41766e7bb9a2f9",
                scope="read+write",
                refresh_token=refresh_token,
            )
            pprint(api_response)
        except pandadoc_client.ApiException as e:
            print(f"Exception when calling OAuth20AuthenticationApi->access_token: {e}\n")
            return None

    oauth = pandadoc_client.Configuration(host=host)
    oauth.access_token = "YOUR_ACCESS_TOKEN"
    with pandadoc_client.ApiClient(oauth) as api_client:
        api = o_auth_2_0_authentication_api.OAuth20AuthenticationApi(api_client)
        again = api.access_token(grant_type="refresh_token", refresh_token=refresh_token)
        seconds: float | None = again.expires_in
        print(seconds)
        if TYPE_CHECKING:
            assert_type(api_response, OAuth2AccessTokenResponse)
            assert_type(api.access_token_with_http_info().data, OAuth2AccessTokenResponse)
    return api_response


def criteo(host: str) -> AccessTokenModel | None:
    """The Criteo doc: required values positionally, optional ones by keyword."""
    configuration = criteo_api_retailmedia_v2022_10.Configuration(host=host)
    configuration.access_token = "YOUR_ACCESS_TOKEN"
    api_response: AccessTokenModel | None = None
    with criteo_api_retailmedia_v2022_10.ApiClient(configuration) as api_client:
        api_instance = o_auth_api.OAuthApi(api_client)
        grant_type = "client_credentials"
        client_id = "client_id_example"
        client_secret = "client_secret_example"
        redirect_uri = "https://app.example/callback"
        code = "code_example"
        refresh_token = "refresh_token_example"
        try:
            api_response = api_instance.get_token(grant_type, client_id, client_secret)
            pprint(api_response)
        except criteo_api_retailmedia_v2022_10.ApiException as e:
            print(f"Exception when calling OAuthApi->get_token: {e}\n")
            if isinstance(e.data, OAuthErrorModel):
                print(e.data.error, e.data.error_description, e.data.error_uri)
            description: str | None = e.error_description
            print(e.status, e.reason, e.body, description)
        try:
            api_response = api_instance.get_token(
                "authorization_code",
                client_id,
                client_secret,
                redirect_uri=redirect_uri,
                code=code,
                refresh_token=refresh_token,
                _request_timeout=10.0,
            )
            pprint(api_response)
        except criteo_api_retailmedia_v2022_10.ApiException as e:
            print(f"Exception when calling OAuthApi->get_token: {e}\n")
    if api_response is not None:
        refresh: str | None = api_response.refresh_token  # nullable
        lifetime: int | None = api_response.expires_in
        print(refresh, lifetime)
        copy = AccessTokenModel.from_dict(api_response.to_dict())
        if TYPE_CHECKING:
            assert_type(copy, AccessTokenModel)
        print(copy == api_response)
    return api_response


def zuora(host: str) -> zuora_client.TokenResponse | None:
    """The Zuora doc: the default client and three positional form fields."""
    zuora_client.ApiClient.set_default(zuora_client.ApiClient(zuora_client.Configuration(host)))
    api_instance = zuora_client.OAuthApi()
    client_id = "client_id_example"
    client_secret = "client_secret_example"
    grant_type = "client_credentials"
    zuora_track_id = "zuora_track_id_example"
    try:
        api_response = api_instance.create_token(
            client_id, client_secret, grant_type, zuora_track_id=zuora_track_id
        )
        pprint(api_response)
    except ZuoraApiException as e:
        print(f"Exception when calling OAuthApi->create_token: {e}\n")
        if isinstance(e, zuora_client.TooManyRequestsException):
            print("slow down", e.status, e.headers)
        return None
    except zuora_client.ApiTypeError as e:  # a bad argument: nothing was sent
        print(e)
        return None

    info = api_instance.create_token_with_http_info(
        client_id, client_secret, grant_type, _request_timeout=5
    )
    track: str | None = info.headers.get("Zuora-Track-Id")
    token: str | None = info.data.access_token
    expires_in: float | None = info.data.expires_in
    print(track, token, expires_in, info.data.additional_properties)
    if TYPE_CHECKING:
        assert_type(api_response, zuora_client.TokenResponse)
        assert_type(info, zuora_client.ApiResponse[zuora_client.TokenResponse])
    return api_response


CALLS: dict[str, Callable[[str], object]] = {
    "cybersource": cybersource,
    "pandadoc": pandadoc,
    "criteo": criteo,
    "zuora": zuora,
}


def main(argv: list[str]) -> int:
    """Call each provider named as ``provider=url`` on the command line."""
    if not argv:
        print(__doc__)
        return 2
    for argument in argv:
        name, _, url = argument.partition("=")
        if name not in CALLS or not url:
            print(f"expected provider=url with provider one of {sorted(CALLS)}: {argument!r}")
            return 2
        print(name, "->", CALLS[name](url))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
