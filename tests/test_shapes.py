"""Spec shapes that published specs use, on a probe spec: tests/specs/shapes.yaml.

Parameters, request bodies and answers by component ``$ref``; path-level parameters;
a global security requirement one operation lifts (``security: []``); answers declared
only as ``default``; a media type with a charset parameter; ``nullable`` with ``allOf``;
read-only and write-only fields; properties named as the Model class's own attributes
(``validate``, ``encode``, ``to_dict``, ``additional_properties``), which get ``var_``;
three shapes whose code once did not parse (Notion's parameter without a name, Mux's
body that is a oneOf of one $ref, Box's model without properties).
"""

from __future__ import annotations

import datetime
import inspect
import json
from types import ModuleType
from typing import Any

import pytest
from generation import probe_client, probe_fixture
from pytest_httpserver import HTTPServer

PACKAGE = "shapes_probe"
THING = {
    "name": "lamp",
    "validate": True,
    "encode": "utf-8",
    "to_dict": "yes",
    "additional_properties": "none",
    "owner": {"email": "a@example.com"},
    "created": "2024-05-06T07:08:09+00:00",
    "extra": {"k": [1, None]},
}


probe = probe_fixture("shapes", PACKAGE)


def api(probe: ModuleType, server: HTTPServer) -> Any:
    host = server.url_for("/v1").rstrip("/")
    return probe.DefaultApi(probe_client(probe, host, access_token="bearer-secret-1"))


def test_properties_named_as_model_attributes_get_var(probe: ModuleType) -> None:
    thing = probe.Thing.from_dict(THING)
    assert thing.var_validate is True and thing.var_encode == "utf-8"
    assert thing.var_to_dict == "yes" and thing.var_additional_properties == "none"
    assert thing.additional_properties == {}  # the Model's own, still a dict
    assert thing.to_dict() == THING
    thing.validate("thing")  # still the Model's method
    assert thing.owner.email == "a@example.com"
    assert thing.created == datetime.datetime(2024, 5, 6, 7, 8, 9, tzinfo=datetime.timezone.utc)


def test_component_refs_path_parameters_and_typed_headers(
    probe: ModuleType, httpserver: HTTPServer
) -> None:
    httpserver.expect_request("/v1/things/42", method="PUT").respond_with_json(
        THING, headers={"X-Rate-Limit": "99"}
    )
    thing = probe.Thing(
        name="lamp",
        var_validate=False,
        owner=None,
        secret="write-only-1",
        created=datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc),
    )
    answer = api(probe, httpserver).put_thing_with_http_info(42, thing)
    request = httpserver.log[0][0]
    assert request.headers["Authorization"] == "Bearer bearer-secret-1"
    # Read-only fields are not sent; write-only ones are; null owner left out.
    assert json.loads(request.get_data()) == {
        "name": "lamp",
        "validate": False,
        "secret": "write-only-1",
    }
    assert isinstance(answer.data, probe.Thing) and answer.data.var_to_dict == "yes"
    assert answer.header_values == {"X-Rate-Limit": 99}


def test_a_path_level_parameter_is_checked_before_sending(
    probe: ModuleType, httpserver: HTTPServer
) -> None:
    with pytest.raises(probe.ApiValueError, match="`id`"):
        api(probe, httpserver).put_thing(0, probe.Thing(name="lamp"))
    with pytest.raises(probe.ApiValueError, match="name"):
        api(probe, httpserver).put_thing(1, probe.Thing(name=""))
    assert httpserver.log == []


def test_a_default_answer_is_read_for_any_status(probe: ModuleType, httpserver: HTTPServer) -> None:
    httpserver.expect_request("/v1/things/7", method="PUT").respond_with_data(
        json.dumps({"title": "broken", "status": 500}),
        status=500,
        content_type="application/json; charset=utf-8",
    )
    with pytest.raises(probe.ServiceException) as caught:
        api(probe, httpserver).put_thing(7, probe.Thing(name="lamp"))
    assert isinstance(caught.value.data, probe.Problem)
    assert caught.value.data.title == "broken" and caught.value.data.status == 500
    assert "bearer-secret-1" not in str(caught.value)


def test_an_operation_that_lifts_security_sends_no_credentials(
    probe: ModuleType, httpserver: HTTPServer
) -> None:
    httpserver.expect_request("/v1/public").respond_with_json({"any": {"thing": [1]}})
    assert api(probe, httpserver).get_public(level=2, ratio=1.5) == {"any": {"thing": [1]}}
    request = httpserver.log[0][0]
    assert "Authorization" not in request.headers
    assert request.args.to_dict() == {"level": "2", "ratio": "1.5"}
    with pytest.raises(probe.ApiValueError, match="`level`"):
        api(probe, httpserver).get_public(level=4)
    assert len(httpserver.log) == 1


def test_an_undeclared_success_is_read_as_the_success_not_the_default(
    probe: ModuleType, httpserver: HTTPServer
) -> None:
    httpserver.expect_request("/v1/things/8", method="PUT").respond_with_json(THING, status=201)
    answer = api(probe, httpserver).put_thing_with_http_info(8, probe.Thing(name="lamp"))
    assert answer.status_code == 201
    assert isinstance(answer.data, probe.Thing) and answer.data.name == "lamp"


def test_a_nameless_parameter_a_one_member_oneof_body_and_a_model_without_properties(
    probe: ModuleType, httpserver: HTTPServer
) -> None:
    httpserver.expect_request(
        "/v1/filters", method="PUT", json={"email": "a@example.com"}
    ).respond_with_json({"filters": {"category": "online", "value": 5}})
    put_filter = api(probe, httpserver).put_filter
    assert list(inspect.signature(put_filter).parameters) == ["body", "_request_timeout"]
    search = put_filter(probe.Owner(email="a@example.com"))
    assert isinstance(search, probe.Search) and isinstance(search.filters, probe.SearchFilters)
    assert search.filters.additional_properties == {"category": "online", "value": 5}
    assert search.to_dict() == {"filters": {"category": "online", "value": 5}}
    assert probe.SearchFilters().to_dict() == {}
    with pytest.raises(probe.ApiTypeError):
        put_filter(probe.Problem(title="not an owner"))
    assert len(httpserver.log) == 1
