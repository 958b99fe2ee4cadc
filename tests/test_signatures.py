"""Every documented name and signature, checked against a table written from the docs.

The tables below are written by hand from ../shared/reference/CONTRACT.md and the
providers' doc pages; a few tests also read the doc pages at test time, so that a
changed page makes the tables fail rather than silently drift (those few skip when the
pages are not beside the checkout).
"""

from __future__ import annotations

import importlib
import inspect
import re
import typing
from collections.abc import Iterator
from dataclasses import dataclass
from types import ModuleType
from typing import Any, Optional

import pytest
from providers import BY_NAME, PROVIDERS, Provider, doc_example, doc_page

POSITIONAL = inspect.Parameter.POSITIONAL_OR_KEYWORD
KEYWORD = inspect.Parameter.KEYWORD_ONLY
EMPTY = inspect.Parameter.empty


@dataclass(frozen=True)
class Documented:
    """One documented operation."""

    provider: str
    api_class: str  # dotted path, as the doc imports or names it
    method: str
    required: tuple[tuple[str, str], ...]  # (name, "str" or dotted model path), in order
    optional: tuple[str, ...]  # keyword-only, all str, in documented order
    returns: str  # dotted path of the return model


OPERATIONS = (
    Documented(
        "cybersource",
        "CyberSource.OAuthApi",
        "create_access_token",
        (
            (
                "create_access_token_request",
                "CyberSource.model.create_access_token_request.CreateAccessTokenRequest",
            ),
        ),
        ("v_c_client_correlation_id",),
        "CyberSource.model.access_token_response.AccessTokenResponse",
    ),
    Documented(
        "pandadoc",
        "pandadoc_client.api.o_auth_2_0_authentication_api.OAuth20AuthenticationApi",
        "access_token",
        (),
        ("grant_type", "client_id", "client_secret", "code", "scope", "refresh_token"),
        "pandadoc_client.model.o_auth2_access_token_response.OAuth2AccessTokenResponse",
    ),
    Documented(
        "criteo",
        "criteo_api_retailmedia_v2022_10.api.o_auth_api.OAuthApi",
        "get_token",
        (("grant_type", "str"), ("client_id", "str"), ("client_secret", "str")),
        ("redirect_uri", "code", "refresh_token"),
        "criteo_api_retailmedia_v2022_10.model.access_token_model.AccessTokenModel",
    ),
    Documented(
        "zuora",
        "zuora_client.OAuthApi",
        "create_token",
        (("client_id", "str"), ("client_secret", "str"), ("grant_type", "str")),
        ("zuora_track_id",),
        "zuora_client.model.token_response.TokenResponse",
    ),
)
OPERATION_IDS = [op.provider for op in OPERATIONS]

# The import lines of each doc's example, minus the standard library's.
IMPORT_LINES = {
    "cybersource": ("import CyberSource", "from CyberSource.rest import ApiException"),
    "pandadoc": (
        "import pandadoc_client",
        "from pandadoc_client.api import o_auth_2_0_authentication_api",
        (
            "from pandadoc_client.model.o_auth2_access_token_response import"
            " OAuth2AccessTokenResponse"
        ),
    ),
    "criteo": (
        "import criteo_api_retailmedia_v2022_10",
        "from criteo_api_retailmedia_v2022_10.api import o_auth_api",
        "from criteo_api_retailmedia_v2022_10.model.access_token_model import AccessTokenModel",
        "from criteo_api_retailmedia_v2022_10.model.o_auth_error_model import OAuthErrorModel",
    ),
    "zuora": ("import zuora_client", "from zuora_client.rest import ApiException"),
}
STDLIB_IMPORTS = ("from __future__ import", "import time", "from pprint import pprint")

# Names the docs and CONTRACT.md use, grouped: every name in a group is the same object.
SAME_OBJECT = (
    ("CyberSource.ApiException", "CyberSource.rest.ApiException"),
    ("CyberSource.OAuthApi",),
    ("CyberSource.Configuration",),
    ("CyberSource.ApiClient",),
    (
        "CyberSource.CreateAccessTokenRequest",
        "CyberSource.model.create_access_token_request.CreateAccessTokenRequest",
    ),
    (
        "CyberSource.AccessTokenResponse",
        "CyberSource.model.access_token_response.AccessTokenResponse",
    ),
    ("pandadoc_client.ApiException", "pandadoc_client.rest.ApiException"),
    (
        "pandadoc_client.OAuth20AuthenticationApi",
        "pandadoc_client.api.o_auth_2_0_authentication_api.OAuth20AuthenticationApi",
    ),
    ("pandadoc_client.Configuration",),
    ("pandadoc_client.ApiClient",),
    (
        "pandadoc_client.OAuth2AccessTokenResponse",
        "pandadoc_client.model.o_auth2_access_token_response.OAuth2AccessTokenResponse",
    ),
    (
        "criteo_api_retailmedia_v2022_10.ApiException",
        "criteo_api_retailmedia_v2022_10.rest.ApiException",
    ),
    (
        "criteo_api_retailmedia_v2022_10.OAuthApi",
        "criteo_api_retailmedia_v2022_10.api.o_auth_api.OAuthApi",
    ),
    ("criteo_api_retailmedia_v2022_10.Configuration",),
    ("criteo_api_retailmedia_v2022_10.ApiClient",),
    (
        "criteo_api_retailmedia_v2022_10.AccessTokenModel",
        "criteo_api_retailmedia_v2022_10.model.access_token_model.AccessTokenModel",
    ),
    (
        "criteo_api_retailmedia_v2022_10.OAuthErrorModel",
        "criteo_api_retailmedia_v2022_10.model.o_auth_error_model.OAuthErrorModel",
    ),
    ("zuora_client.ApiException", "zuora_client.rest.ApiException"),
    ("zuora_client.OAuthApi", "zuora_client.api.o_auth_api.OAuthApi"),
    ("zuora_client.Configuration",),
    ("zuora_client.ApiClient",),
    ("zuora_client.TokenResponse", "zuora_client.model.token_response.TokenResponse"),
)


@dataclass(frozen=True)
class F:
    """One model field as CONTRACT.md lists it (the wire name is the Python name)."""

    name: str
    kind: type
    nullable: bool = False


CYBERSOURCE_ERROR = (F("error", str), F("error_description", str))
MODELS: dict[str, tuple[F, ...]] = {
    "CyberSource.model.create_access_token_request.CreateAccessTokenRequest": (
        F("client_id", str),
        F("client_secret", str),
        F("grant_type", str),
        F("code", str),
        F("refresh_token", str),
    ),
    "CyberSource.model.access_token_response.AccessTokenResponse": (
        F("access_token", str),
        F("token_type", str),
        F("refresh_token", str),
        F("expires_in", int),
        F("scope", str),
        F("refresh_token_expires_in", int),
        F("client_status", str),
    ),
    "CyberSource.model.bad_request_error.BadRequestError": CYBERSOURCE_ERROR,
    "CyberSource.model.unauthorized_client_error.UnauthorizedClientError": CYBERSOURCE_ERROR,
    "CyberSource.model.resource_not_found_error.ResourceNotFoundError": CYBERSOURCE_ERROR,
    "pandadoc_client.model.o_auth2_access_token_response.OAuth2AccessTokenResponse": (
        F("access_token", str),
        F("token_type", str),
        F("expires_in", float),  # "number"
        F("scope", str),
        F("refresh_token", str),
    ),
    "criteo_api_retailmedia_v2022_10.model.access_token_model.AccessTokenModel": (
        F("access_token", str),
        F("token_type", str),
        F("refresh_token", str, nullable=True),
        F("expires_in", int),
    ),
    "criteo_api_retailmedia_v2022_10.model.o_auth_error_model.OAuthErrorModel": (
        F("error", str),
        F("error_description", str),
        F("error_uri", str),
    ),
    "zuora_client.model.token_response.TokenResponse": (
        F("access_token", str),
        F("expires_in", float),  # "number"
        F("jti", str),
        F("scope", str),
        F("token_type", str),
    ),
}

# CreateAccessTokenRequest: the fields the API requires, and grant_type's values.
CYBERSOURCE_REQUIRED_FIELDS = ("client_id", "client_secret", "grant_type")
CYBERSOURCE_GRANT_TYPES = ("authorization_code", "refresh_token")


def resolve(dotted: str) -> Any:
    """The object a dotted name such as ``pkg.module.Class`` or ``pkg.Class`` names."""
    if dotted == "str":
        return str
    parts = dotted.split(".")
    for split in range(len(parts), 0, -1):
        try:
            obj: Any = importlib.import_module(".".join(parts[:split]))
        except ModuleNotFoundError:
            continue
        for attribute in parts[split:]:
            obj = getattr(obj, attribute)
        return obj
    raise ImportError(dotted)


def package_of(provider: str) -> ModuleType:
    return importlib.import_module(BY_NAME[provider].package)


def doc_parameters(provider: str) -> list[tuple[str, bool]]:
    """(name, optional) per row of the doc's Parameters table, in order."""
    section = doc_page(provider).split("### Parameters", 1)[1].split("### Return type", 1)[0]
    rows = re.findall(r"^ *\*\*(\w+)\*\* \|(.*)$", section, re.MULTILINE)
    return [(name, "[optional]" in rest) for name, rest in rows]


def operation_parameters(op: Documented, with_http_info: bool) -> list[inspect.Parameter]:
    cls = resolve(op.api_class)
    method = getattr(cls, op.method + ("_with_http_info" if with_http_info else ""))
    params = list(inspect.signature(method).parameters.values())
    assert params[0].name == "self"
    return params[1:]


# The table against the doc pages themselves.


@pytest.mark.parametrize("op", OPERATIONS, ids=OPERATION_IDS)
def test_table_matches_the_doc_page(op: Documented) -> None:
    page = doc_page(op.provider)
    heading = re.search(r"^> (\w+) (\w+)\((.*)\)$", page, re.MULTILINE)
    assert heading, "the doc's signature line is missing"
    returns, method, arguments = heading.groups()
    assert (method, returns) == (op.method, op.returns.rsplit(".", 1)[1])
    # The signature line lists the required parameters, maybe followed by name=name.
    positional = [a.strip() for a in arguments.split(",") if a.strip() and "=" not in a]
    assert positional == [name for name, _ in op.required]
    expected = [(name, False) for name, _ in op.required] + [(n, True) for n in op.optional]
    assert doc_parameters(op.provider) == expected
    assert op.api_class.rsplit(".", 1)[1] in page.splitlines()[0]


@pytest.mark.parametrize("provider", [p.name for p in PROVIDERS])
def test_import_table_matches_the_doc_example(provider: str) -> None:
    lines = [
        line.strip()
        for line in doc_example(provider).splitlines()
        if re.match(r"\s*(import|from) \w", line) and not line.strip().startswith(STDLIB_IMPORTS)
    ]
    assert tuple(lines) == IMPORT_LINES[provider]


# Imports and names.


@pytest.mark.parametrize("line", [line for lines in IMPORT_LINES.values() for line in lines])
def test_documented_import_line_works(line: str) -> None:
    namespace: dict[str, Any] = {}
    exec(line, namespace)  # noqa: S102 - the doc's own import line
    imported = line.split()[-1]
    assert namespace[imported] is not None


@pytest.mark.parametrize("names", SAME_OBJECT, ids=lambda names: names[0])
def test_documented_names_are_one_object(names: tuple[str, ...]) -> None:
    objects = [resolve(name) for name in names]
    assert all(obj is objects[0] for obj in objects)
    assert inspect.isclass(objects[0])
    assert objects[0].__name__ == names[0].rsplit(".", 1)[1]


@pytest.mark.parametrize("provider", [p.name for p in PROVIDERS])
def test_api_exception_is_shared(provider: str) -> None:
    package = package_of(provider)
    rest = importlib.import_module(f"{package.__name__}.rest")
    exceptions = importlib.import_module(f"{package.__name__}.exceptions")
    assert rest.ApiException is package.ApiException is exceptions.ApiException
    assert issubclass(package.ApiTypeError, TypeError)
    assert issubclass(package.ApiValueError, ValueError)
    assert not issubclass(package.ApiValueError, package.ApiException)


# Operation signatures.


@pytest.mark.parametrize("with_http_info", [False, True], ids=["plain", "with_http_info"])
@pytest.mark.parametrize("op", OPERATIONS, ids=OPERATION_IDS)
def test_parameter_names_order_and_kinds(op: Documented, with_http_info: bool) -> None:
    """The documented required parameters, positional, in order; then keyword-only optional
    ones: the documented ones in their documented order, maybe among others the docs do not
    show (a parameter the spec adds later is optional, so no documented call breaks)."""
    params = operation_parameters(op, with_http_info)
    required = [name for name, _ in op.required]
    assert [p.name for p in params[: len(required)]] == required
    for param in params[: len(required)]:
        assert (param.kind, param.default) == (POSITIONAL, EMPTY), param.name
    optional = params[len(required) :]
    assert optional[-1].name == "_request_timeout"
    for param in optional:
        assert (param.kind, param.default) == (KEYWORD, None), param.name
    names = [p.name for p in optional]
    assert set(op.optional) <= set(names), f"documented optional parameters missing: {names}"
    assert [n for n in names if n in op.optional] == list(op.optional)


@pytest.mark.parametrize("op", OPERATIONS, ids=OPERATION_IDS)
def test_with_http_info_takes_the_same_parameters(op: Documented) -> None:
    plain = operation_parameters(op, with_http_info=False)
    info = operation_parameters(op, with_http_info=True)
    assert plain == info  # names, kinds, defaults and annotations


@pytest.mark.parametrize("op", OPERATIONS, ids=OPERATION_IDS)
def test_annotations_resolve_to_the_documented_types(op: Documented) -> None:
    cls = resolve(op.api_class)
    package = package_of(op.provider)
    configuration = importlib.import_module(f"{package.__name__}.configuration")
    model = resolve(op.returns)
    expected: dict[str, Any] = {name: resolve(kind) for name, kind in op.required}
    expected.update({name: Optional[str] for name in op.optional})
    expected["_request_timeout"] = Optional[configuration.Timeout]

    def documented(hints: dict[str, Any]) -> dict[str, Any]:
        """The hints of the documented parameters; the others (added since) are optional."""
        for name, hint in hints.items():
            if name not in expected and name != "return":
                assert type(None) in typing.get_args(hint), f"{name} is not optional: {hint}"
        return {name: hint for name, hint in hints.items() if name in expected}

    hints = typing.get_type_hints(getattr(cls, op.method))
    assert hints.pop("return") is model
    assert documented(hints) == expected

    info_hints = typing.get_type_hints(getattr(cls, op.method + "_with_http_info"))
    returned = info_hints.pop("return")
    assert documented(info_hints) == expected
    assert typing.get_origin(returned) is package.ApiResponse
    assert typing.get_args(returned) == (model,)


def test_timeout_alias_is_seconds_or_a_pair() -> None:
    for provider in PROVIDERS:
        configuration = importlib.import_module(f"{provider.package}.configuration")
        assert configuration.Timeout == typing.Union[float, tuple[float, float]]


# API classes, ApiClient and Configuration.


@pytest.fixture()
def fresh_default_clients() -> Iterator[None]:
    """Leave every package's default ApiClient as it was found."""
    saved = {p.name: package_of(p.name).ApiClient._default for p in PROVIDERS}
    for provider in PROVIDERS:
        package_of(provider.name).ApiClient.set_default(None)
    try:
        yield
    finally:
        for provider in PROVIDERS:
            client = package_of(provider.name).ApiClient
            if client._default is not None and client._default is not saved[provider.name]:
                client._default.close()
            client.set_default(saved[provider.name])


@pytest.mark.parametrize("op", OPERATIONS, ids=OPERATION_IDS)
def test_api_class_constructible_without_arguments(
    op: Documented, fresh_default_clients: None
) -> None:
    package = package_of(op.provider)
    api = resolve(op.api_class)()
    assert isinstance(api.api_client, package.ApiClient)
    assert api.api_client is package.ApiClient.get_default()
    assert resolve(op.api_class)().api_client is api.api_client


@pytest.mark.parametrize("op", OPERATIONS, ids=OPERATION_IDS)
def test_api_client_is_a_context_manager(op: Documented) -> None:
    package = package_of(op.provider)
    configuration = package.Configuration(host="http://127.0.0.1:9")
    with package.ApiClient(configuration) as api_client:
        assert isinstance(api_client, package.ApiClient)
        assert api_client.configuration is configuration
        api = resolve(op.api_class)(api_client)
        assert api.api_client is api_client
        assert callable(getattr(api, op.method))


@pytest.mark.parametrize("provider", PROVIDERS, ids=lambda p: p.name)
def test_configuration_signature(provider: Provider) -> None:
    params = inspect.signature(package_of(provider.name).Configuration).parameters
    leading = [(p.name, p.kind, p.default) for p in list(params.values())[:4]]
    assert leading == [
        ("host", POSITIONAL, None),
        ("api_key", POSITIONAL, None),
        ("api_key_prefix", POSITIONAL, None),
        ("access_token", POSITIONAL, None),
    ]
    assert (params["timeout"].kind, params["timeout"].default) == (KEYWORD, (10.0, 30.0))


@pytest.mark.parametrize("provider", PROVIDERS, ids=lambda p: p.name)
def test_configuration_attributes_the_docs_use(provider: Provider) -> None:
    configuration = package_of(provider.name).Configuration(host="https://example.test")
    assert configuration.host == "https://example.test"
    assert configuration.api_key == {}
    assert configuration.api_key_prefix == {}
    assert configuration.access_token is None
    configuration.api_key["apiKey"] = "my-api-key"
    configuration.api_key_prefix["apiKey"] = "API-Key"
    configuration.access_token = "my-access-token"
    assert configuration.api_key == {"apiKey": "my-api-key"}
    assert configuration.api_key_prefix == {"apiKey": "API-Key"}
    assert configuration.access_token == "my-access-token"
    # Dicts passed in are copied, not shared.
    keys = {"apiKey": "k"}
    assert package_of(provider.name).Configuration(api_key=keys).api_key is not keys


@pytest.mark.parametrize("provider", PROVIDERS, ids=lambda p: p.name)
def test_default_host_is_the_documented_one(
    provider: Provider, monkeypatch: pytest.MonkeyPatch
) -> None:
    documented = re.search(r"All URIs are relative to \*(\S+)\*", doc_page(provider.name))
    assert documented
    monkeypatch.delenv(provider.host_variable, raising=False)
    configuration = package_of(provider.name).Configuration
    assert configuration().host == documented.group(1)
    monkeypatch.setenv(provider.host_variable, "http://127.0.0.1:4010")
    assert configuration().host == "http://127.0.0.1:4010"
    assert configuration(host="https://other.test").host == "https://other.test"


# Models.


def documented_props(model: Any, fields: tuple[F, ...]) -> list[Any]:
    """The model's Props of the documented fields, in the model's order; fails when one is
    missing. Fields the docs do not list (added to the spec since) may sit among them."""
    names = [f.name for f in fields]
    props = [p for p in model._props if p.attr in names]
    assert [p.attr for p in props] == names, [p.attr for p in model._props]
    return props


@pytest.mark.parametrize("path", MODELS, ids=lambda path: path.rsplit(".", 1)[1])
def test_model_fields(path: str) -> None:
    model = resolve(path)
    fields = MODELS[path]
    names = [f.name for f in fields]
    props = documented_props(model, fields)
    assert [p.wire for p in props] == names
    kinds = [f"Optional[{f.kind.__name__}]" if f.nullable else f.kind.__name__ for f in fields]
    assert [p.schema.name for p in props] == kinds
    assert [p.nullable for p in props] == [f.nullable for f in fields]


@pytest.mark.parametrize("path", MODELS, ids=lambda path: path.rsplit(".", 1)[1])
def test_model_constructor_is_keyword_only(path: str) -> None:
    model = resolve(path)
    fields = MODELS[path]
    params = list(inspect.signature(model).parameters.values())
    assert [p.name for p in params] == [p.attr for p in model._props]
    documented_props(model, fields)
    assert all((p.kind, p.default) == (KEYWORD, None) for p in params)
    # Fields added since may be typed with models imported only for type checkers: the
    # documented fields' hints are resolved, the others must read Optional[...].
    annotations = dict(model.__init__.__annotations__)
    assert annotations.pop("return") == "None"
    namespace = vars(importlib.import_module(model.__module__))
    hints = {f.name: eval(annotations[f.name], namespace) for f in fields}
    assert hints == {f.name: Optional[f.kind] for f in fields}
    assert all(hint.startswith("Optional[") for hint in annotations.values()), annotations
    empty = model()  # CyberSource's example builds its request this way
    assert all(getattr(empty, p.attr) is None for p in model._props)
    with pytest.raises(TypeError):
        model("positional")


def test_create_access_token_request_constraints() -> None:
    model = resolve("CyberSource.CreateAccessTokenRequest")
    by_name = {p.attr: p for p in model._props}
    required = tuple(name for name, p in by_name.items() if p.required)
    assert required == CYBERSOURCE_REQUIRED_FIELDS
    assert by_name["grant_type"].schema.enum == CYBERSOURCE_GRANT_TYPES
    request = model(
        client_id="my-client-id",
        client_secret="my-client-secret",
        grant_type="refresh_token",
        refresh_token="my-refresh-token",
    )
    assert request.to_dict() == {
        "client_id": "my-client-id",
        "client_secret": "my-client-secret",
        "grant_type": "refresh_token",
        "refresh_token": "my-refresh-token",
    }
