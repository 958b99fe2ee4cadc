"""A small token operation and TokenManagers bound to it, for the token manager's and the
token stores' runtime tests: an ApiClient over a FakeTransport, a FakeClock. Also a model
built from keyword values and a token operation that sends one as a form, for the tests of
body models (request, api_client, token manager)."""

from __future__ import annotations

import json
from typing import Any, Optional
from urllib.parse import parse_qsl

from doubles import FakeClock, FakeTransport, answer
from runtime_under_test._api_client import ApiClient, Operation, Response
from runtime_under_test._configuration import Configuration
from runtime_under_test._model import Model, Prop
from runtime_under_test._request import Param
from runtime_under_test._schema import ANY, MapOf, ModelSchema, Number, Schema, Str
from runtime_under_test._token_manager import CodeExchange, TokenManager

JSON = {"Content-Type": "application/json"}
CLIENT_ID = "client-id"
CLIENT_SECRET = "client-secret-0123456789"


class Token(Model):
    _props = (
        Prop("access_token", "access_token", Str(), required=True, secret=True),
        Prop("token_type", "token_type", Str()),
        Prop("expires_in", "expires_in", Number(integer=True)),
        Prop("refresh_token", "refresh_token", Str(), secret=True),
    )


FORM = "form"
TOKEN: Operation[Token] = Operation(
    "get_token",
    "POST",
    "/oauth/token",
    (
        Param("grant_type", "grant_type", FORM, Str(), required=True),
        Param("code", "code", FORM, Str()),
        Param("refresh_token", "refresh_token", FORM, Str(), secret=True),
        Param("client_id", "client_id", FORM, Str()),
        Param("client_secret", "client_secret", FORM, Str(), secret=True),
    ),
    responses={"200": Response(ModelSchema(Token)), "400": Response(MapOf(ANY))},
    content_type="application/x-www-form-urlencoded",
    accept="application/json",
    single_use={"grant_type": ("authorization_code", "refresh_token")},
    token=True,
)


class Manager(TokenManager[Token]):
    operation = TOKEN
    grants = frozenset({"client_credentials", "refresh_token"})


class BasicManager(Manager):
    client_auth = "basic"


class RefreshOnly(CodeExchange[Token]):
    operation = TOKEN
    grants = frozenset({"refresh_token", "authorization_code"})


def token(access: str = "at-1", expires_in: Optional[int] = 3600, **more: Any) -> Any:
    data = {"access_token": access, "token_type": "Bearer", **more}
    if expires_in is not None:
        data["expires_in"] = expires_in
    return answer(200, json.dumps(data), JSON)


def oauth_error(error: str, status: int = 400) -> Any:
    return answer(status, json.dumps({"error": error}), JSON, "Bad Request")


def api(*answers: Any, **settings: Any) -> tuple[ApiClient, FakeTransport]:
    transport = FakeTransport(*answers)
    configuration = Configuration(host="https://auth.example.com", **settings)
    return ApiClient(configuration, transport=transport, sleep=lambda seconds: None), transport


def form(sent: Any) -> dict[str, str]:
    return dict(parse_qsl(sent.body.decode("ascii"), keep_blank_values=True))


def manager(
    *answers: Any, cls: type[TokenManager[Token]] = Manager, **options: Any
) -> tuple[TokenManager[Token], FakeTransport, FakeClock]:
    client, transport = api(*answers)
    clock = FakeClock()
    made = cls(CLIENT_ID, CLIENT_SECRET, api_client=client, clock=clock, **options)
    return made, transport, clock


class KeywordModel(Model):
    """A model built from keyword values, those not given None (a subclass sets _props)."""

    def __init__(self, **values: Any) -> None:
        for prop in self._props:
            setattr(self, prop.attr, values.get(prop.attr))
        self.additional_properties = {}


def form_model_operation(
    name: str, path: str, param: str, model: type[Model], answer: Schema
) -> Operation[Any]:
    """A token operation whose one parameter ``param`` is ``model``, sent as a form."""
    return Operation(
        name,
        "POST",
        path,
        (Param(param, param, "body", ModelSchema(model), required=True),),
        responses={"200": Response(answer)},
        content_type="application/x-www-form-urlencoded",
        token=True,
    )
