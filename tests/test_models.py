"""The generated models: wire-name dicts, unknown fields, equality, repr, constructors.

Every model of every provider's package is checked, with a wire sample read from its Prop
table (tests/samples.py); the documented models' samples take the hand-written values
below for the fields they list, so a field the spec adds later is sampled too.
"""

from __future__ import annotations

import copy
import inspect
import re
from typing import Any

import criteo_api_retailmedia_v2022_10 as criteo
import CyberSource
import pandadoc_client
import pytest
import zuora_client
from criteo_api_retailmedia_v2022_10.model.access_token_model import AccessTokenModel
from criteo_api_retailmedia_v2022_10.model.o_auth_error_model import OAuthErrorModel
from pandadoc_client.model.o_auth2_access_token_response import OAuth2AccessTokenResponse
from providers import PROVIDERS
from samples import models_of, wire_sample

# The documented models, with hand-written wire values for the fields the docs list.
DOCUMENTED: dict[str, tuple[type, dict[str, Any]]] = {
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


def _samples() -> dict[str, tuple[type, dict[str, Any]]]:
    """Every model of every package: a complete wire sample in the spec's order, with the
    documented values where DOCUMENTED has them."""
    samples = {}
    for provider in PROVIDERS:
        for cls in models_of(provider.module):
            name = f"{provider.name}.{cls.__name__}"
            sample = wire_sample(cls)
            sample.update(DOCUMENTED.get(name, (cls, {}))[1])
            samples[name] = (cls, {p.wire: sample[p.wire] for p in cls._props if p.wire in sample})
    return samples


SAMPLES = _samples()
NAMES = sorted(SAMPLES)
#: Keys no model declares: hyphenated, so no Python attribute can take them either.
EXTRA = {"x-issued-at": 1700000000, "x-nested": {"list": [1, "two", None]}, "x-flag": False}


def python_values(cls: type, sample: dict[str, Any]) -> dict[str, Any]:
    """Constructor keywords (attribute names, decoded values) for a wire sample."""
    model = cls.from_dict(sample)  # type: ignore[attr-defined]
    props = cls._props  # type: ignore[attr-defined]
    return {p.attr: getattr(model, p.attr) for p in props if p.wire in sample}


def test_every_documented_model_is_in_its_package() -> None:
    for name, (cls, sample) in DOCUMENTED.items():
        assert name in SAMPLES, name
        assert SAMPLES[name][0] is cls
        wires = [p.wire for p in cls._props]  # type: ignore[attr-defined]
        assert set(sample) <= set(wires), (name, wires)
        assert [w for w in wires if w in sample] == list(sample)  # documented in spec order


@pytest.mark.parametrize("name", NAMES)
def test_round_trip_with_wire_names(name: str) -> None:
    cls, sample = SAMPLES[name]
    original = copy.deepcopy(sample)
    model = cls.from_dict(sample)
    assert sample == original  # the input is not modified
    for prop in cls._props:
        if prop.wire in sample and prop.schema.name in ("str", "int", "float", "bool"):
            assert getattr(model, prop.attr) == sample[prop.wire], prop.attr
    assert model.additional_properties == {}
    data = model.to_dict()
    assert data == sample
    assert list(data) == list(sample)  # spec order
    assert cls.from_dict(data) == model
    # Built from keywords, it writes the same dict.
    assert cls(**python_values(cls, sample)).to_dict() == sample


@pytest.mark.parametrize("name", NAMES)
def test_unset_fields_are_left_out(name: str) -> None:
    cls, sample = SAMPLES[name]
    first = next(iter(sample))
    attr, value = next(iter(python_values(cls, sample).items()))
    model = cls(**{attr: value})
    assert model.to_dict() == {first: sample[first]}
    assert cls().to_dict() == {}


@pytest.mark.parametrize("name", NAMES)
def test_unknown_fields_are_kept_and_written_back(name: str) -> None:
    cls, sample = SAMPLES[name]
    extra = EXTRA
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
    first_attr = cls._props[0].attr
    model = cls.from_dict(sample)
    assert model == cls(**python_values(cls, sample))
    other = cls.from_dict(sample)
    setattr(other, first_attr, "something else")
    assert model != other
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
    # The documented fields first, as Zuora lists them; fields added since follow, unset.
    unset = "".join(f", {p.attr}=None" for p in zuora_client.TokenResponse._props[5:])
    token = zuora_client.TokenResponse(access_token="tok", expires_in=3599, token_type="bearer")
    assert repr(token) == (
        "TokenResponse(access_token='tok', expires_in=3599, jti=None, scope=None,"
        f" token_type='bearer'{unset})"
    )
    with_extra = zuora_client.TokenResponse.from_dict({"jti": "j", "x-region": "eu"})
    assert repr(with_extra) == (
        "TokenResponse(access_token=None, expires_in=None, jti='j', scope=None,"
        f" token_type=None{unset}, additional_properties={{'x-region': 'eu'}})"
    )


@pytest.mark.parametrize("name", NAMES)
def test_repr_names_the_class_and_fields(name: str) -> None:
    cls, sample = SAMPLES[name]
    text = repr(cls.from_dict(sample))
    assert text.startswith(f"{cls.__name__}(") and text.endswith(")")
    attrs = [p.attr for p in cls._props if p.wire in sample]
    positions = [re.search(rf"\b{attr}=", text).start() for attr in attrs]  # type: ignore[union-attr]
    assert positions == sorted(positions)  # in spec order


@pytest.mark.parametrize("name", NAMES)
def test_constructor_is_keyword_only(name: str) -> None:
    cls, sample = SAMPLES[name]
    parameters = list(inspect.signature(cls).parameters.values())
    assert [p.name for p in parameters] == [p.attr for p in cls._props]
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
