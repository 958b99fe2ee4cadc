"""Names that collide, on a probe spec: tests/specs/names.yaml.

Schemas named as the package's own classes (``Configuration``, ``Response``) or as
typing's (``List``) are generated as ``<Name>Model``, so nothing in a generated module
is shadowed; properties and parameters named as Python keywords get a ``var_`` prefix
and keep their wire names; ``format: byte`` is bytes in Python and base64 on the wire.
"""

from __future__ import annotations

import base64
import datetime
import json
from types import ModuleType
from typing import Any

import pytest
from generation import GENERATE, generate_script, probe_client, probe_fixture
from providers import REPO_ROOT
from pytest_httpserver import HTTPServer

PACKAGE = "names_probe"

ITEM = {
    "from": "sender",
    "self": 9007199254740993,
    "async": True,
    "1st": "first",
    "data.value": 1.5,
    "type": base64.b64encode(b"\x00\xffbytes").decode("ascii"),
    "id": "0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0",
}


probe = probe_fixture("names", PACKAGE)


def client(probe: ModuleType, server: HTTPServer) -> Any:
    return probe_client(probe, server.url_for("").rstrip("/"))


def test_a_schema_named_as_a_package_class_is_renamed(probe: ModuleType) -> None:
    from names_probe import _configuration

    assert probe.Configuration.__mro__[1] is _configuration.Configuration  # still the settings
    assert [prop.wire for prop in probe.ConfigurationModel._props] == ["ApiClient", "Optional"]
    assert probe.ResponseModel._props[0].wire == "message"
    assert probe.ListModel.__name__ == "ListModel"
    assert probe.Tree.__name__ == "Tree"  # a free name is kept
    exported = probe.__all__
    assert len(exported) == len(set(exported))
    assert {"ConfigurationModel", "ListModel", "ResponseModel", "ImportApi"} <= set(exported)
    for name in ("Configuration", "List", "Response"):
        assert not (GENERATE.parent.parent / "generated").joinpath(name).exists()


def test_keyword_names_keep_their_wire_names(probe: ModuleType, httpserver: HTTPServer) -> None:
    httpserver.expect_request("/items/a b").respond_with_json(ITEM)
    with client(probe, httpserver) as api_client:
        item = probe.DefaultApi(api_client).items_item_id_get(
            "a b",
            var_from=datetime.date(2024, 2, 29),
            type="with space",
            x_trace_id="0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0",
            digest=b"\x01\x02\xfe",
        )
    request = httpserver.log[0][0]
    assert request.url.split("/", 3)[3].startswith("items/a%20b?")
    assert request.args.to_dict(flat=False) == {
        "from": ["2024-02-29"],
        "type": ["with space"],
        "digest": [base64.b64encode(b"\x01\x02\xfe").decode("ascii")],
    }
    assert request.headers["X-Trace.Id"] == "0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0"
    assert isinstance(item, probe.ListModel)
    assert item.var_from == "sender" and item.var_self == 9007199254740993
    assert item.var_async is True and item.var_1st == "first" and item.data_value == 1.5
    assert item.type == b"\x00\xffbytes" and item.id == ITEM["id"]
    assert item.to_dict() == ITEM  # bytes go back to base64


def test_bad_base64_is_named_and_refused(probe: ModuleType, httpserver: HTTPServer) -> None:
    httpserver.expect_request("/items/x").respond_with_json({**ITEM, "type": "not base64!"})
    with client(probe, httpserver) as api_client:
        api = probe.DefaultApi(api_client)
        # format: byte is a facet of a string: kept as the text it was by default...
        assert api.items_item_id_get("x").type == "not base64!"
        api_client.configuration.strict_responses = True  # ...refused when strict
        with pytest.raises(probe.MalformedResponseError, match="`type`: expected base64") as caught:
            api.items_item_id_get("x")
        assert "not base64!" not in str(caught.value)
        with pytest.raises(probe.ApiTypeError, match="`digest`"):
            api.items_item_id_get("x", digest="text, not bytes")
    assert len(httpserver.log) == 2  # the bad argument sent nothing


def test_a_renamed_error_model_rides_on_the_exception(
    probe: ModuleType, httpserver: HTTPServer
) -> None:
    httpserver.expect_request("/items/gone").respond_with_json({"message": "gone"}, status=404)
    with client(probe, httpserver) as api_client, pytest.raises(probe.NotFoundException) as caught:
        probe.DefaultApi(api_client).items_item_id_get("gone")
    assert isinstance(caught.value.data, probe.ResponseModel)
    assert caught.value.data.message == "gone"


def test_an_operation_named_class_sends_a_recursive_model(
    probe: ModuleType, httpserver: HTTPServer
) -> None:
    httpserver.expect_request("/trees", method="POST").respond_with_json(
        {"ApiClient": "x", "Optional": "https://example.com/o"}, status=201
    )
    tree = probe.Tree(name="root", children=[probe.Tree(name="leaf", children=[])])
    with client(probe, httpserver) as api_client:
        answer = probe.ImportApi(api_client).call_class(tree=tree)
    sent = json.loads(httpserver.log[0][0].get_data())
    assert sent == {"name": "root", "children": [{"name": "leaf", "children": []}]}
    assert isinstance(answer, probe.ConfigurationModel)
    assert answer.api_client == "x" and answer.optional == "https://example.com/o"
    with client(probe, httpserver) as api_client, pytest.raises(probe.ApiValueError, match="name"):
        probe.ImportApi(api_client).call_class(tree=probe.Tree(children=[probe.Tree()]))


def test_renaming_follows_refs_and_discriminator_mappings() -> None:
    script = generate_script()
    reserved = script.reserved_model_names(REPO_ROOT / "templates" / "python" / "runtime")
    assert {"Configuration", "Response", "Model", "Operation", "List", "Optional"} <= reserved
    pet = {"$ref": "#/components/schemas/response"}
    spec = {
        "paths": {
            "/a": {
                "get": {
                    "tags": ["Pets"],
                    "responses": {
                        "200": {
                            "content": {
                                "application/json": {
                                    "schema": {
                                        "oneOf": [pet, {"$ref": "#/components/schemas/PetsApi"}],
                                        "discriminator": {
                                            "propertyName": "kind",
                                            "mapping": {
                                                "r": "#/components/schemas/response",
                                                "p": "PetsApi",
                                            },
                                        },
                                    }
                                }
                            }
                        }
                    },
                }
            }
        },
        "components": {
            "schemas": {
                "response": {"type": "object", "properties": {"mapping": pet}},
                "PetsApi": {"type": "object"},
                "ResponseModel": {"type": "object"},
                "Tree": {"type": "object"},
            }
        },
    }
    renames = script.model_renames(spec, reserved)
    # response's class would be Response: ResponseModel is taken, so ResponseModelModel.
    assert renames == {"response": "ResponseModelModel", "PetsApi": "PetsApiModel"}
    renamed = script.rename_schemas(spec, renames)
    assert list(renamed["components"]["schemas"]) == [
        "ResponseModelModel",
        "PetsApiModel",
        "ResponseModel",
        "Tree",
    ]
    answer = renamed["paths"]["/a"]["get"]["responses"]["200"]["content"]["application/json"]
    assert answer["schema"]["oneOf"] == [
        {"$ref": "#/components/schemas/ResponseModelModel"},
        {"$ref": "#/components/schemas/PetsApiModel"},
    ]
    assert answer["schema"]["discriminator"]["mapping"] == {
        "r": "#/components/schemas/ResponseModelModel",
        "p": "PetsApiModel",
    }
    properties = renamed["components"]["schemas"]["ResponseModelModel"]["properties"]
    assert properties == {"mapping": {"$ref": "#/components/schemas/ResponseModelModel"}}
    assert spec["components"]["schemas"]["response"]["properties"]["mapping"] is pet  # untouched
