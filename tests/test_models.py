"""The generated models: wire-name dicts, unknown fields, equality, repr, constructors."""

from __future__ import annotations

import copy
import inspect
from typing import Any

import criteo_api_retailmedia_v2022_10 as criteo
import CyberSource
import pandadoc_client
import pytest
import zuora_client
from criteo_api_retailmedia_v2022_10.model.access_token_model import AccessTokenModel
from criteo_api_retailmedia_v2022_10.model.o_auth_error_model import OAuthErrorModel
from pandadoc_client.model.o_auth2_access_token_response import OAuth2AccessTokenResponse

# Every model, with a complete wire sample whose keys are in the spec's order.
SAMPLES: dict[str, tuple[type, dict[str, Any]]] = {
    "zuora.TokenResponse": (
        zuora_client.TokenResponse,
        {
            "access_token": "zuora-access",
            "expires_in": 3599,
            "jti": "8ac9a7a8-jti",
            "scope": "entity.1a2b platform.write",
            "token_type": "bearer",
        },
    ),
    "cybersource.AccessTokenResponse": (
        CyberSource.AccessTokenResponse,
        {
            "access_token": "eyJhbGciOiJSUzI1NiJ9.e30.sig",
            "token_type": "Bearer",
            "refresh_token": "cs-refresh",
            "expires_in": 899,
            "scope": "merchant",
            "refresh_token_expires_in": 31535999,
            "client_status": "ACTIVE",
        },
    ),
    "cybersource.CreateAccessTokenRequest": (
        CyberSource.CreateAccessTokenRequest,
        {
            "client_id": "cid",
            "client_secret": "cs-secret-value",
            "grant_type": "authorization_code",
            "code": "auth-code",
            "refresh_token": "cs-refresh",
        },
    ),
    "cybersource.BadRequestError": (
        CyberSource.BadRequestError,
        {"error": "invalid_request", "error_description": "Missing grant_type."},
    ),
    "cybersource.UnauthorizedClientError": (
        CyberSource.UnauthorizedClientError,
        {"error": "unauthorized_client", "error_description": "Unknown client."},
    ),
    "cybersource.ResourceNotFoundError": (
        CyberSource.ResourceNotFoundError,
        {"error": "not_found", "error_description": "No such resource."},
    ),
    "pandadoc.OAuth2AccessTokenResponse": (
        OAuth2AccessTokenResponse,
        {
            "access_token": "pd-access",
            "token_type": "Bearer",
            "expires_in": 31535999,
            "scope": "read+write",
            "refresh_token": "pd-refresh",
        },
    ),
    "pandadoc.OAuth2ErrorResponse": (
        pandadoc_client.OAuth2ErrorResponse,
        {"error": "invalid_grant"},
    ),
    "criteo.AccessTokenModel": (
        AccessTokenModel,
        {
            "access_token": "criteo-access",
            "token_type": "Bearer",
            "refresh_token": "criteo-refresh",
            "expires_in": 900,
        },
    ),
    "criteo.OAuthErrorModel": (
        OAuthErrorModel,
        {
            "error": "invalid_client",
            "error_description": "Bad secret.",
            "error_uri": "https://developers.criteo.com/",
        },
    ),
}
NAMES = sorted(SAMPLES)


def test_every_package_model_is_sampled() -> None:
    packages = (zuora_client, CyberSource, pandadoc_client, criteo)
    models = {
        f"{name}.{cls.__name__}"
        for package, name in zip(packages, ("zuora", "cybersource", "pandadoc", "criteo"))
        for cls in (getattr(package, attribute) for attribute in dir(package))
        if isinstance(cls, type) and hasattr(cls, "from_dict") and hasattr(cls, "_props")
    }
    assert models == set(SAMPLES)


@pytest.mark.parametrize("name", NAMES)
def test_round_trip_with_wire_names(name: str) -> None:
    cls, sample = SAMPLES[name]
    original = copy.deepcopy(sample)
    model = cls.from_dict(sample)
    assert sample == original  # the input is not modified
    for key, value in sample.items():
        assert getattr(model, key) == value
    assert model.additional_properties == {}
    data = model.to_dict()
    assert data == sample
    assert list(data) == list(sample)  # spec order
    assert cls.from_dict(data) == model
    # Built from keywords, it writes the same dict.
    assert cls(**sample).to_dict() == sample


@pytest.mark.parametrize("name", NAMES)
def test_unset_fields_are_left_out(name: str) -> None:
    cls, sample = SAMPLES[name]
    first = next(iter(sample))
    model = cls(**{first: sample[first]})
    assert model.to_dict() == {first: sample[first]}
    assert cls().to_dict() == {}


@pytest.mark.parametrize("name", NAMES)
def test_unknown_fields_are_kept_and_written_back(name: str) -> None:
    cls, sample = SAMPLES[name]
    extra = {"issued_at": 1700000000, "nested": {"list": [1, "two", None]}, "flag": False}
    model = cls.from_dict({**sample, **extra})
    assert model.additional_properties == extra
    for key in extra:
        assert not hasattr(model, key)
    assert model.to_dict() == {**sample, **extra}
    assert cls.from_dict(model.to_dict()) == model
    # Not shared between instances.
    assert cls.from_dict(sample).additional_properties == {}
    assert cls().additional_properties == {}


@pytest.mark.parametrize("name", NAMES)
def test_to_dict_is_a_copy(name: str) -> None:
    cls, sample = SAMPLES[name]
    model = cls.from_dict({**sample, "extra": 1})
    data = model.to_dict()
    data.clear()
    assert model.to_dict() == {**sample, "extra": 1}


@pytest.mark.parametrize("name", NAMES)
def test_equality(name: str) -> None:
    cls, sample = SAMPLES[name]
    first_key = next(iter(sample))
    model = cls.from_dict(sample)
    assert model == cls(**sample)
    assert model != cls(**{**sample, first_key: "something else"})
    assert model != cls.from_dict({**sample, "extra": 1})
    assert model != sample  # not equal to its dict
    assert model != cls()
    assert cls() == cls()


def test_models_of_different_classes_are_never_equal() -> None:
    data = {"error": "invalid_client", "error_description": "x"}
    bad_request = CyberSource.BadRequestError.from_dict(data)
    unauthorized = CyberSource.UnauthorizedClientError.from_dict(data)
    assert bad_request.to_dict() == unauthorized.to_dict()
    assert bad_request != unauthorized
    # Same name and fields in another package is another class too.
    zuora_token = zuora_client.TokenResponse(access_token="a")
    pandadoc_token = pandadoc_client.OAuth2AccessTokenResponse(access_token="a")
    assert zuora_token != pandadoc_token


def test_repr_lists_every_field_by_name() -> None:
    token = zuora_client.TokenResponse(access_token="tok", expires_in=3599, token_type="bearer")
    assert repr(token) == (
        "TokenResponse(access_token='tok', expires_in=3599, jti=None, scope=None,"
        " token_type='bearer')"
    )
    with_extra = zuora_client.TokenResponse.from_dict({"jti": "j", "region": "eu"})
    assert repr(with_extra) == (
        "TokenResponse(access_token=None, expires_in=None, jti='j', scope=None,"
        " token_type=None, additional_properties={'region': 'eu'})"
    )


@pytest.mark.parametrize("name", NAMES)
def test_repr_names_the_class_and_fields(name: str) -> None:
    cls, sample = SAMPLES[name]
    text = repr(cls.from_dict(sample))
    assert text.startswith(f"{cls.__name__}(") and text.endswith(")")
    positions = [text.index(f"{key}=") for key in sample]
    assert positions == sorted(positions)  # in spec order


def test_repr_of_the_cybersource_request_hides_its_secrets() -> None:
    secret, code, refresh = "cs_secret_0123456789abcdef", "code_0123456789abcdef", "rt_0123456789"
    request = CyberSource.CreateAccessTokenRequest(
        client_id="partner-client",
        client_secret=secret,
        grant_type="authorization_code",
        code=code,
        refresh_token=refresh,
    )
    text = repr(request)
    assert "client_id='partner-client'" in text
    assert "grant_type='authorization_code'" in text
    for field, value in (("client_secret", secret), ("code", code), ("refresh_token", refresh)):
        assert f"{field}=" in text
        assert value not in text
        assert value[5:] not in text
    # Unset secrets still read as None.
    assert "client_secret=None" in repr(CyberSource.CreateAccessTokenRequest())


@pytest.mark.parametrize("name", NAMES)
def test_constructor_is_keyword_only(name: str) -> None:
    cls, sample = SAMPLES[name]
    parameters = list(inspect.signature(cls).parameters.values())
    assert [p.name for p in parameters] == list(sample)
    assert all(p.kind is inspect.Parameter.KEYWORD_ONLY for p in parameters)
    assert all(p.default is None for p in parameters)
    with pytest.raises(TypeError):
        cls(next(iter(sample.values())))
    with pytest.raises(TypeError):
        cls(not_a_field="x")


def test_documented_empty_cybersource_request() -> None:
    # The doc builds it with no arguments, then fills it in.
    request = CyberSource.CreateAccessTokenRequest()
    assert request.to_dict() == {}
    assert request.additional_properties == {}
    for field in ("client_id", "client_secret", "grant_type", "code", "refresh_token"):
        assert getattr(request, field) is None
    request.client_id = "cid"
    request.client_secret = "secret"
    request.grant_type = "refresh_token"
    request.refresh_token = "rt"
    assert request.to_dict() == {
        "client_id": "cid",
        "client_secret": "secret",
        "grant_type": "refresh_token",
        "refresh_token": "rt",
    }
    request.validate("create_access_token_request")  # complete now


def test_criteo_refresh_token_is_nullable() -> None:
    token = AccessTokenModel.from_dict(
        {"access_token": "a", "token_type": "Bearer", "refresh_token": None, "expires_in": 900}
    )
    assert token.refresh_token is None
    assert token.access_token == "a"
    assert token.additional_properties == {}
    token.validate("token")  # null is allowed
    assert AccessTokenModel.from_dict(token.to_dict()) == token
    assert token == AccessTokenModel(access_token="a", token_type="Bearer", expires_in=900)


@pytest.mark.parametrize("data", [None, [], "access_token", 42, [("access_token", "a")]])
def test_from_dict_refuses_what_is_not_a_mapping(data: Any) -> None:
    with pytest.raises(criteo.ApiTypeError) as caught:
        AccessTokenModel.from_dict(data)
    assert "AccessTokenModel" in str(caught.value)
    assert isinstance(caught.value, TypeError)


def test_models_are_importable_from_their_documented_modules() -> None:
    assert criteo.AccessTokenModel is AccessTokenModel
    assert criteo.OAuthErrorModel is OAuthErrorModel
    assert pandadoc_client.OAuth2AccessTokenResponse is OAuth2AccessTokenResponse
