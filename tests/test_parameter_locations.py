"""The request builders for locations no provider spec uses yet: path, query, cookie, JSON body.

tests/specs/locations.yaml is generated with the same templates into a temporary
directory (one JVM run), checked with ruff, imported, and called against a
recording server. The generated code must pass ruff and mypy --strict.
"""

from __future__ import annotations

import importlib
import json
from types import ModuleType

import pytest
from generation import probe_client, probe_fixture
from pytest_httpserver import HTTPServer

PACKAGE = "locations_probe"


probe = probe_fixture("locations", PACKAGE)  # tests/specs/locations.yaml


def _api(probe: ModuleType, url: str) -> object:
    return importlib.import_module(f"{PACKAGE}.api.items_api").ItemsApi(probe_client(probe, url))


def test_every_location_reaches_the_wire_encoded(probe: ModuleType, httpserver: HTTPServer) -> None:
    answer = {"name": "lamp", "size": 3, "tags": ["a"], "colour": "red"}
    httpserver.expect_oneshot_request("/items/a/b", method="PUT").respond_with_json(answer)
    api = _api(probe, httpserver.url_for(""))
    item = probe.Item(name="lamp", size=3, tags=["a"])
    stored = api.put_item(
        "a/b", q="x y&z", limit=5, session="s 1;", theme="dark", x_trace="abc1", x_flag=True,
        item=item,
    )
    [(request, _)] = httpserver.log
    assert request.environ["REQUEST_URI"] == "/items/a%2Fb?q=x+y%26z&limit=5"  # one path segment
    assert request.headers["Cookie"] == "session=s%201%3B; theme=dark"
    assert request.headers["X-Trace"] == "abc1"
    assert request.headers["X-Flag"] == "true"
    assert request.headers["Content-Type"] == "application/json"
    assert json.loads(request.get_data()) == {"name": "lamp", "size": 3, "tags": ["a"]}
    assert isinstance(stored, probe.Item)
    assert (stored.name, stored.size, stored.tags) == ("lamp", 3, ["a"])
    assert stored.additional_properties == {"colour": "red"}


def test_unset_optional_parameters_are_left_out(probe: ModuleType, httpserver: HTTPServer) -> None:
    httpserver.expect_oneshot_request("/items/x", method="PUT").respond_with_json({})
    _api(probe, httpserver.url_for("")).put_item("x")
    [(request, _)] = httpserver.log
    assert request.environ["REQUEST_URI"] == "/items/x"
    assert "Cookie" not in request.headers
    assert "X-Trace" not in request.headers
    assert "Content-Type" not in request.headers  # no body, so no media type
    assert request.get_data() == b""


def test_a_form_with_a_number(probe: ModuleType, httpserver: HTTPServer) -> None:
    httpserver.expect_oneshot_request("/forms", method="POST").respond_with_data("", status=204)
    result = _api(probe, httpserver.url_for("")).post_form(3, note="a+b é")
    [(request, _)] = httpserver.log
    assert result is None
    assert request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert request.get_data() == b"count=3&note=a%2Bb+%C3%A9"


@pytest.mark.parametrize(
    ("arguments", "error", "named"),
    [
        ({"limit": 0}, "ApiValueError", "limit"),
        ({"limit": 101}, "ApiValueError", "limit"),
        ({"limit": "5"}, "ApiTypeError", "limit"),
        ({"theme": "blue"}, "ApiValueError", "theme"),
        ({"x_trace": "ABC"}, "ApiValueError", "x_trace"),
        ({"x_trace": "abcdefghi"}, "ApiValueError", "x_trace"),
        ({"x_flag": "yes"}, "ApiTypeError", "x_flag"),
        ({"item": {"name": "lamp"}}, "ApiTypeError", "item"),
        ({"q": 5}, "ApiTypeError", "q"),
    ],
)
def test_bad_arguments_are_refused_before_sending(
    probe: ModuleType, httpserver: HTTPServer, arguments: dict[str, object], error: str, named: str
) -> None:
    api = _api(probe, httpserver.url_for(""))
    with pytest.raises(getattr(probe, error)) as caught:
        api.put_item("x", **arguments)
    assert f"`{named}`" in str(caught.value)
    assert len(httpserver.log) == 0


def test_a_bad_field_of_a_body_model_is_named(probe: ModuleType, httpserver: HTTPServer) -> None:
    api = _api(probe, httpserver.url_for(""))
    with pytest.raises(probe.ApiValueError, match=r"`item\.name`"):
        api.put_item("x", item=probe.Item(name="n" * 21))
    with pytest.raises(probe.ApiTypeError, match=r"`item\.tags\[0\]`"):
        api.put_item("x", item=probe.Item(tags=[1]))
    with pytest.raises(probe.ApiValueError, match="`id`"):
        api.put_item(None)
    assert len(httpserver.log) == 0
