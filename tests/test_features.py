"""The OpenAPI 3.0 features the templates cover, on a probe spec no provider uses yet.

tests/specs/features.yaml (models, composition, parameter styles, bodies, responses,
security, servers) is generated with our templates into a temporary folder, checked
with ruff and mypy --strict (by generate_probe), imported, and called against a local
server: exact request bytes out, and the Python types of every answer field back.
"""

from __future__ import annotations

import datetime
import importlib
import inspect
import json
import logging
import re
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from generation import generate_script, imported_probe, probe_client, probe_fixture
from providers import REPO_ROOT
from pytest_httpserver import HTTPServer
from werkzeug import Request

PACKAGE = "features_probe"

PET = {
    "id": 7,
    "name": "Rex",
    "species": "dog",
    "weight": 12,
    "height": 0.5,
    "vaccinated": True,
    "level": 2,
    "birthday": "2020-02-29",
    "registered_at": "2024-05-06T07:08:09.123456789Z",
    "category": {"id": 1, "name": "Dogs"},
    "tags": ["good"],
    "toys": [{"label": "ball", "price": 2.5}],
    "attributes": {"colour": "brown"},
    "nickname": None,
    "chip": "a field the spec does not name",
}


probe = probe_fixture("features", PACKAGE)


def client(probe: ModuleType, server: HTTPServer, **options: Any) -> Any:
    return probe_client(probe, server.url_for("").rstrip("/"), **options)


def pets(probe: ModuleType, server: HTTPServer, **options: Any) -> Any:
    return importlib.import_module(f"{PACKAGE}.api.pets_api").PetsApi(
        client(probe, server, **options)
    )


def files(probe: ModuleType, server: HTTPServer) -> Any:
    return importlib.import_module(f"{PACKAGE}.api.files_api").FilesApi(client(probe, server))


def media(probe: ModuleType, server: HTTPServer) -> Any:
    return importlib.import_module(f"{PACKAGE}.api.media_api").MediaApi(client(probe, server))


def last_request(server: HTTPServer) -> Request:
    request, _ = server.log[-1]
    return request


# --- models: nested, arrays, maps, dates, enums, nullable, unknown fields ---------------------


def test_an_answer_becomes_typed_models(probe: ModuleType, httpserver: HTTPServer) -> None:
    httpserver.expect_request("/pets").respond_with_json([PET], headers={"X-Total-Count": "1"})
    response = pets(probe, httpserver, api_key={"apiKeyHeader": "k-123"}).list_pets_with_http_info()
    (pet,) = response.data
    assert type(pet).__name__ == "Pet"
    assert pet.id == 7 and type(pet.id) is int
    assert pet.weight == 12.0 and type(pet.weight) is float
    assert pet.birthday == datetime.date(2020, 2, 29)
    assert pet.registered_at == datetime.datetime(
        2024, 5, 6, 7, 8, 9, 123456, tzinfo=datetime.timezone.utc
    )
    assert type(pet.category).__name__ == "Category" and pet.category.name == "Dogs"
    assert [type(t).__name__ for t in pet.toys] == ["Toy"] and pet.toys[0].price == 2.5
    assert pet.attributes == {"colour": "brown"}
    assert pet.species == "dog" and pet.nickname is None
    assert pet.additional_properties == {"chip": "a field the spec does not name"}
    assert response.header_values == {"X-Total-Count": 1}
    assert last_request(httpserver).headers["X-API-Key"] == "k-123"


def test_composition_all_of_one_of_any_of(probe: ModuleType, httpserver: HTTPServer) -> None:
    owner = {
        "id": "0f8fad5b-d9cb-469f-a165-70867728950e",
        "name": "Ann",
        "pets": [PET],
        "favourite": {"kind": "cat", "indoor": True},
        "contact": {"number": "+44 20 7946 0000"},
    }
    httpserver.expect_request("/owners/0f8fad5b").respond_with_json(owner)
    result = pets(probe, httpserver, api_key={"apiKeyCookie": "c-1"}).get_owner("0f8fad5b")
    assert type(result).__name__ == "Owner"  # allOf: one model with every property
    assert result.id == owner["id"] and result.pets[0].name == "Rex"
    assert type(result.favourite).__name__ == "Cat" and result.favourite.indoor is True
    assert type(result.contact).__name__ == "Phone"  # anyOf: the branch that fits
    assert last_request(httpserver).headers["Cookie"] == "token=c-1"


def test_a_json_body_is_sent_as_the_spec_says(probe: ModuleType, httpserver: HTTPServer) -> None:
    httpserver.expect_request("/pets", method="POST").respond_with_json(PET, status=201)
    model = importlib.import_module(f"{PACKAGE}.model.pet").Pet
    category = importlib.import_module(f"{PACKAGE}.model.category").Category
    pet = model(
        id=99,  # read-only: never sent
        name="Rex",
        species="dog",
        birthday=datetime.date(2021, 1, 2),
        registered_at=datetime.datetime(2024, 1, 2, 3, 4, 5, tzinfo=datetime.timezone.utc),
        category=category(name="Dogs"),
        tags=["a", "b"],
    )
    created = pets(probe, httpserver, access_token="tok-1").create_pet(pet)
    request = last_request(httpserver)
    assert json.loads(request.data) == {
        "name": "Rex",
        "species": "dog",
        "birthday": "2021-01-02",
        "registered_at": "2024-01-02T03:04:05+00:00",
        "vaccinated": False,  # the spec's default, filled in by the constructor
        "category": {"name": "Dogs"},
        "tags": ["a", "b"],
    }
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["Authorization"] == "Bearer tok-1"
    assert created.name == "Rex"


def test_query_path_header_cookie_styles(probe: ModuleType, httpserver: HTTPServer) -> None:
    httpserver.expect_request("/pets").respond_with_json([])
    api = pets(probe, httpserver)
    api.list_pets(
        tags=["cute", "small"],
        ids=[1, 2],
        limit=5,
        born_after=datetime.date(2020, 1, 1),
        x_request_id="r-1",
    )
    request = last_request(httpserver)
    assert request.query_string == (b"tags=cute&tags=small&ids=1%2C2&limit=5&born_after=2020-01-01")
    assert request.headers["X-Request-Id"] == "r-1"
    httpserver.expect_request("/pets/42").respond_with_json(PET)
    pets(probe, httpserver, api_key={"apiKeyQuery": "q-key"}).get_pet(
        42, fields=["name", "id"], session="s 1"
    )
    request = last_request(httpserver)
    assert request.query_string == b"fields=name%2Cid&api_key=q-key"
    assert request.headers["Cookie"] == "session=s%201"


def test_bad_arguments_name_the_parameter_and_send_nothing(
    probe: ModuleType, httpserver: HTTPServer
) -> None:
    api = pets(probe, httpserver)
    with pytest.raises(probe.ApiValueError, match="`tags\\[1\\]`"):
        api.list_pets(tags=["cute", "huge"])
    with pytest.raises(probe.ApiTypeError, match="`ids\\[0\\]`"):
        api.list_pets(ids=["1"])
    with pytest.raises(probe.ApiValueError, match="`limit`"):
        api.list_pets(limit=0)
    with pytest.raises(probe.ApiTypeError, match="`born_after`"):
        api.list_pets(born_after="2020-01-01")
    model = importlib.import_module(f"{PACKAGE}.model.pet").Pet
    with pytest.raises(probe.ApiValueError, match="`pet.species`"):
        api.create_pet(model(name="Rex", species="lion"))
    with pytest.raises(probe.ApiValueError, match="`pet.registered_at`"):
        api.create_pet(
            model(name="Rex", species="dog", registered_at=datetime.datetime(2024, 1, 1))
        )
    assert httpserver.log == []


# --- bodies and answers of other kinds ------------------------------------------------------


def test_maps_primitives_text_bytes_and_no_content(
    probe: ModuleType, httpserver: HTTPServer
) -> None:
    httpserver.expect_request("/stats").respond_with_json({"dog": 3})
    httpserver.expect_request("/count").respond_with_json(4)
    httpserver.expect_request("/notes").respond_with_data(
        "caf\u00e9", content_type="text/plain; charset=utf-8"
    )
    httpserver.expect_request("/files/a.bin").respond_with_data(
        b"\x00\xff", content_type="application/octet-stream"
    )
    httpserver.expect_request("/pets/3", method="DELETE").respond_with_data("", status=204)
    assert pets(probe, httpserver).get_stats() == {"dog": 3}
    count = pets(probe, httpserver).count_pets()
    assert count == 4 and type(count) is int
    assert files(probe, httpserver).get_notes() == "caf\u00e9"
    assert files(probe, httpserver).download_file("a.bin") == b"\x00\xff"
    api = pets(probe, httpserver, username="ann", password="p\u00e4ss")
    assert api.delete_pet(3) is None
    assert last_request(httpserver).headers["Authorization"] == "Basic YW5uOnDDpHNz"


def test_multipart_upload_and_form_with_numbers(probe: ModuleType, httpserver: HTTPServer) -> None:
    httpserver.expect_request("/uploads", method="POST").respond_with_json(
        {"size": 3, "stored_at": "2024-01-01T00:00:00+02:00"}
    )
    upload = files(probe, httpserver).upload_file(("a.txt", b"abc"), description="three")
    request = last_request(httpserver)
    assert request.files["file"].filename == "a.txt"
    assert request.files["file"].read() == b"abc"
    assert request.form["description"] == "three"
    assert upload.stored_at.utcoffset() == datetime.timedelta(hours=2)
    httpserver.clear()
    problem = {"code": "slow", "detail": "kept"}
    httpserver.expect_request("/uploads", method="POST").respond_with_json(
        {
            "checksums": ["a", "b"],
            "meta": {"k": [1]},
            "warnings": [problem],
            "first_warning": problem,
        }
    )
    upload = files(probe, httpserver).upload_file(b"abc")
    assert upload.checksums == ["a", "b"] and upload.meta == {"k": [1]}
    assert [type(w).__name__ for w in upload.warnings] == ["Problem"]
    assert type(upload.first_warning).__name__ == "Problem" and upload.first_warning.code == "slow"
    assert upload.first_warning.additional_properties == {"detail": "kept"}
    httpserver.expect_request("/forms", method="POST").respond_with_data("", status=204)
    files(probe, httpserver).submit_form(3, ratio=0.5, labels=["x y", "z"])
    request = last_request(httpserver)
    assert request.data == b"count=3&ratio=0.5&labels=x+y&labels=z"
    assert request.headers["Content-Type"] == "application/x-www-form-urlencoded"


# --- answers by their declared media type -----------------------------------------------------

PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"
MEDIA_PATHS = {
    "get_any_json": "/media/json",
    "get_any_text": "/media/text",
    "get_pdf": "/media/pdf",
    "get_octets": "/media/octets",
    "get_anything": "/media/anything",
}


@pytest.mark.parametrize(
    ("operation", "content_type", "body", "expected"),
    [
        # application/json without a schema: any JSON value, unchecked; empty is None
        ("get_any_json", "application/json", b'{"a": [1, 2.5, null]}', {"a": [1, 2.5, None]}),
        ("get_any_json", "application/json", b'["x", true]', ["x", True]),
        ("get_any_json", "application/problem+json", b"", None),
        # text/plain without a schema: text in its charset, whatever the label says
        ("get_any_text", "text/plain; charset=latin-1", "caf\u00e9".encode("latin-1"), "caf\u00e9"),
        ("get_any_text", "application/octet-stream", b'{"not": "parsed"}', '{"not": "parsed"}'),
        ("get_any_text", "text/plain", b"", ""),
        # application/pdf without a schema, octet-stream as `type: string`: the bytes
        ("get_pdf", "application/pdf", PDF, PDF),
        ("get_octets", "application/octet-stream", b'"\x00\xff', b'"\x00\xff'),
        ("get_octets", "application/json", b'"json"', b'"json"'),
        # */* without a schema: the answer's Content-Type decides
        ("get_anything", "application/vnd.api+json", b'{"id": 1}', {"id": 1}),
        ("get_anything", "text/csv; charset=utf-8", b"a,b\n1,2\n", "a,b\n1,2\n"),
        ("get_anything", "image/png", b"\x89PNG\r\n", b"\x89PNG\r\n"),
    ],
)
def test_a_declared_media_type_decides_how_the_body_is_read(
    probe: ModuleType,
    httpserver: HTTPServer,
    operation: str,
    content_type: str,
    body: bytes,
    expected: Any,
) -> None:
    httpserver.expect_request(MEDIA_PATHS[operation]).respond_with_data(
        body, content_type=content_type
    )
    response = getattr(media(probe, httpserver), f"{operation}_with_http_info")()
    assert response.data == expected
    assert type(response.data) is type(expected)
    assert response.raw_data == body


def test_each_operation_is_annotated_with_what_it_returns(probe: ModuleType) -> None:
    api = importlib.import_module(f"{PACKAGE}.api.media_api").MediaApi
    returns = {
        name: inspect.signature(getattr(api, name)).return_annotation for name in MEDIA_PATHS
    }
    assert returns == {
        "get_any_json": "Any",
        "get_any_text": "str",
        "get_pdf": "bytes",
        "get_octets": "bytes",
        "get_anything": "Any",
    }
    assert inspect.signature(api.get_pdf_with_http_info).return_annotation == "ApiResponse[bytes]"


def test_a_text_error_answer_rides_on_the_exception_as_text(
    probe: ModuleType, httpserver: HTTPServer
) -> None:
    httpserver.expect_request("/media/text").respond_with_data(
        "no such note", status=404, content_type="application/octet-stream"
    )
    with pytest.raises(probe.NotFoundException) as caught:
        media(probe, httpserver).get_any_text()
    assert caught.value.data == "no such note"


def test_json_media_without_a_schema_must_still_be_json(
    probe: ModuleType, httpserver: HTTPServer
) -> None:
    httpserver.expect_request("/media/json").respond_with_data(
        "{oops", content_type="application/json"
    )
    with pytest.raises(probe.MalformedResponseError, match="not JSON") as caught:
        media(probe, httpserver).get_any_json()
    assert caught.value.body == "{oops"


def test_a_json_spec_is_read_as_json_control_characters_and_all(tmp_path: Path) -> None:
    spec = {"openapi": "3.0.3", "info": {"title": "t", "description": "a\u009fb"}, "paths": {}}
    (tmp_path / "spec.json").write_text(json.dumps(spec, ensure_ascii=False), encoding="utf-8")
    assert generate_script().read_spec(tmp_path / "spec.json") == spec  # YAML refuses U+009F
    (tmp_path / "spec.yaml").write_text("openapi: 3.0.3\npaths: {}\n", encoding="utf-8")
    assert generate_script().read_spec(tmp_path / "spec.yaml") == {"openapi": "3.0.3", "paths": {}}


def _normalise(spec: dict[str, Any]) -> dict[str, Any]:
    """scripts/generate.py's normalise_spec: what the generator reads instead of ``spec``."""
    normalised: dict[str, Any] = generate_script().normalise_spec(spec)
    return normalised


def test_the_generator_reads_each_answer_with_the_schema_its_media_type_gives() -> None:
    model = {"$ref": "#/components/schemas/Token"}
    spec = {
        "paths": {
            "/a": {
                "get": {
                    "responses": {
                        "200": {
                            "content": {
                                "image/png": {"schema": {"$ref": "#/components/schemas/Png"}},
                                "text/plain": {},
                            }
                        },
                        "400": {"$ref": "#/components/responses/Problem"},
                        "401": {"content": {"text/plain": {"schema": model}}},
                    }
                },
                "parameters": [],
            }
        },
        "components": {
            "schemas": {
                "Png": {"type": "string", "format": "byte"},
                "Token": {"type": "object", "properties": {"access_token": {"type": "string"}}},
            },
            "responses": {"Problem": {"content": {"*/*": {"schema": {"description": "any"}}}}},
        },
    }
    normalised = _normalise(spec)
    answers = normalised["paths"]["/a"]["get"]["responses"]
    binary = {"type": "string", "format": "binary"}
    assert answers["200"] == {
        "content": {"image/png": {"schema": binary}, "text/plain": {"schema": {"type": "string"}}}
    }  # the first media type's schema is the one the generator uses: no x-media for text
    assert answers["401"] == {"content": {"text/plain": {"schema": model}}}  # JSON text
    assert normalised["components"]["responses"]["Problem"] == {
        "content": {"*/*": {"schema": {}}},
        "x-media": "*/*",
    }
    assert spec["components"]["responses"]["Problem"]["content"]["*/*"]["schema"] == {
        "description": "any"
    }  # the spec itself is left as it is


# --- answers that break the spec ------------------------------------------------------------


#: Answers that break what code depends on (JSON shape, types, required fields): refused.
BROKEN = [
    ({"id": "seven"}, "[0].id"),
    ({"toys": [{"price": "cheap"}]}, "[0].toys[0].price"),
    ({"name": None}, "[0].name"),
    ({"attributes": {"colour": 1}}, "[0].attributes.colour"),
    ({"tags": "good"}, "[0].tags"),
]
#: Answers that break only a facet (enum, format, pattern, length, range): accepted as they
#: came by default, refused with strict_responses=True.
FACETS = [
    ({"species": "lion"}, "[0].species", "lion"),  # an enum value added since
    ({"birthday": "29/02/2020"}, "[0].birthday", "29/02/2020"),  # format: date
    ({"registered_at": "yesterday"}, "[0].registered_at", "yesterday"),  # format: date-time
    ({"toys": [{"colour": "sienna"}]}, "[0].toys[0].colour", "sienna"),  # pattern, deep
    ({"toys": [{"price": -1}]}, "[0].toys[0].price", -1),  # minimum
    ({"name": "R" * 41}, "[0].name", "R" * 41),  # maxLength
    ({"level": 9}, "[0].level", 9),  # an integer enum
]


@pytest.mark.parametrize("strict", [False, True])
@pytest.mark.parametrize(("change", "field"), BROKEN)
def test_an_answer_that_breaks_the_spec_names_the_field(
    probe: ModuleType, httpserver: HTTPServer, change: dict[str, Any], field: str, strict: bool
) -> None:
    body = json.dumps([{**PET, **change}])
    httpserver.expect_request("/pets").respond_with_data(body, content_type="application/json")
    with pytest.raises(probe.MalformedResponseError) as caught:
        pets(probe, httpserver, strict_responses=strict).list_pets()
    assert f"`{field}`" in str(caught.value)
    assert caught.value.body == body  # the raw body is kept
    assert "seven" not in str(caught.value) and "cheap" not in str(caught.value)


def read_as(pet: Any, field: str) -> Any:
    """The value at an answer path such as ``[0].toys[0].colour`` of ``[pet]``."""
    value: Any = [pet]
    for part in re.findall(r"\[(\d+)\]|\.?(\w+)", field):
        value = value[int(part[0])] if part[0] else getattr(value, part[1])
    return value


@pytest.mark.parametrize(("change", "field", "sent"), FACETS)
def test_an_answer_that_breaks_only_a_facet_is_accepted_with_one_warning(
    probe: ModuleType,
    httpserver: HTTPServer,
    caplog: pytest.LogCaptureFixture,
    change: dict[str, Any],
    field: str,
    sent: Any,
) -> None:
    body = json.dumps([{**PET, **change}, {**PET, **change}])  # the same field broken twice
    httpserver.expect_request("/pets").respond_with_data(body, content_type="application/json")
    api = pets(probe, httpserver)
    with caplog.at_level(logging.WARNING, logger=PACKAGE):
        first = api.list_pets()
        again = api.list_pets()
    assert read_as(first[0], field) == sent and read_as(again[1], field) == sent  # as it came
    assert first[0].name and first[0].category.name == "Dogs"  # the rest decoded as ever
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1, warnings  # once per operation and field
    assert f"list_pets: the HTTP 200 answer's field `{field}` breaks the spec" in warnings[0]
    assert str(sent) not in warnings[0].replace(field, "")  # the path, never the value

    with pytest.raises(probe.MalformedResponseError) as caught:
        pets(probe, httpserver, strict_responses=True).list_pets()
    assert f"`{field}`" in str(caught.value) and caught.value.body == body


def test_strict_responses_is_a_checked_setting(probe: ModuleType) -> None:
    configuration = probe.Configuration()
    assert configuration.strict_responses is False
    configuration.strict_responses = True
    with pytest.raises(probe.ApiTypeError, match="strict_responses"):
        configuration.strict_responses = "yes"
    assert configuration.strict_responses is True


def test_nesting_deeper_than_python_recurses_is_a_malformed_answer(
    probe: ModuleType, httpserver: HTTPServer
) -> None:
    httpserver.expect_request("/stats").respond_with_data("[" * 100_000 + "]" * 100_000)
    with pytest.raises(probe.MalformedResponseError):
        pets(probe, httpserver).get_stats()


def test_undeclared_2xx_is_read_with_the_success_type(
    probe: ModuleType, httpserver: HTTPServer
) -> None:
    httpserver.expect_request("/pets/1").respond_with_json(PET, status=203)
    assert pets(probe, httpserver).get_pet(1).name == "Rex"
    httpserver.clear()
    httpserver.expect_request("/pets/1").respond_with_data("", status=202)
    with pytest.raises(probe.MalformedResponseError, match="empty answer"):
        pets(probe, httpserver).get_pet(1)


def test_a_declared_error_model_rides_on_the_exception(
    probe: ModuleType, httpserver: HTTPServer
) -> None:
    httpserver.expect_request("/pets/5").respond_with_json(
        {"code": 404, "message": "gone"}, status=404
    )
    with pytest.raises(probe.NotFoundException) as caught:
        pets(probe, httpserver).get_pet(5)
    assert type(caught.value.data).__name__ == "Error" and caught.value.data.code == 404


# --- servers --------------------------------------------------------------------------------


def test_servers_by_name_index_and_variables(
    probe: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("FEATURES_PROBE_HOST", raising=False)
    configuration = probe.Configuration
    assert configuration().host == "https://eu.pets.example/v1"
    assert configuration(server="local").host == "http://127.0.0.1:8080"
    assert configuration(server=1).host == "http://127.0.0.1:8080"
    assert configuration(server="Production", server_variables={"region": "us"}).host == (
        "https://us.pets.example/v1"
    )
    with pytest.raises(ValueError, match="must be one of"):
        configuration(server_variables={"region": "mars"})
    with pytest.raises(ValueError, match="no server 'staging'"):
        configuration(server="staging")
    monkeypatch.setenv("FEATURES_PROBE_HOST", "local")
    assert configuration(server="production").host == "http://127.0.0.1:8080"
    monkeypatch.setenv("FEATURES_PROBE_HOST", "http://mock:4010")
    assert configuration().host == "http://mock:4010"


def test_import_is_lazy(probe: ModuleType) -> None:
    """Importing the package loads no API or model module until one is used."""
    for name in [m for m in sys.modules if m.startswith((f"{PACKAGE}.api.", f"{PACKAGE}.model."))]:
        del sys.modules[name]
    for attribute in ("PetsApi", "Pet"):
        probe.__dict__.pop(attribute, None)
    assert f"{PACKAGE}.api.pets_api" not in sys.modules
    assert probe.PetsApi.__name__ == "PetsApi"
    assert f"{PACKAGE}.api.pets_api" in sys.modules
    assert "Pet" in dir(probe) and probe.Pet.__name__ == "Pet"


# --- against Prism ----------------------------------------------------------------------------


def test_every_operation_answers_prism_with_typed_data(probe: ModuleType) -> None:
    """Prism serves features.yaml (answers built from its schemas, requests validated)."""
    import mock_servers

    server = mock_servers.PrismServer("zuora")  # a provider's name, and the probe spec instead
    server.spec = REPO_ROOT / "tests" / "specs" / "features.yaml"
    with server:
        configuration = probe.Configuration(
            host=server.url,
            retries=0,
            access_token="tok-1",
            username="ann",
            password="pw",
            api_key={"apiKeyHeader": "k-1", "apiKeyQuery": "q-1", "apiKeyCookie": "c-1"},
        )
        api_client = probe.ApiClient(configuration)
        pets_api = importlib.import_module(f"{PACKAGE}.api.pets_api").PetsApi(api_client)
        files_api = importlib.import_module(f"{PACKAGE}.api.files_api").FilesApi(api_client)
        pet_model = importlib.import_module(f"{PACKAGE}.model.pet").Pet

        listed = pets_api.list_pets(tags=["cute"], ids=[1, 2], born_after=datetime.date(2020, 1, 1))
        assert {type(pet).__name__ for pet in listed} == {"Pet"}
        for pet in [
            *listed,
            pets_api.get_pet(1),
            pets_api.create_pet(pet_model(name="Rex", species="dog")),
        ]:
            assert type(pet.name) is str and pet.species in ("dog", "cat", "bird")
            assert pet.birthday is None or type(pet.birthday) is datetime.date
            assert pet.registered_at is None or pet.registered_at.tzinfo is not None
            assert pet.category is None or type(pet.category).__name__ == "Category"
            assert all(type(toy).__name__ == "Toy" for toy in pet.toys or [])
        owner = pets_api.get_owner("0f8fad5b-d9cb-469f-a165-70867728950e")
        assert type(owner).__name__ == "Owner" and type(owner.id) is str
        assert type(owner.favourite).__name__ in ("Cat", "Dog", "NoneType")
        assert type(owner.contact).__name__ in ("Email", "Phone", "NoneType")
        assert pets_api.delete_pet(1) is None
        stats = pets_api.get_stats()
        assert type(stats) is dict and all(type(v) is int for v in stats.values())
        assert type(pets_api.count_pets()) is int
        assert type(files_api.get_notes()) is str
        upload = files_api.upload_file(("a.txt", b"abc"), description="d")
        assert type(upload).__name__ == "Upload"
        assert upload.stored_at is None or type(upload.stored_at) is datetime.datetime
        # Answers without a schema, or with one that is not JSON: the examples, typed.
        media_api = importlib.import_module(f"{PACKAGE}.api.media_api").MediaApi(api_client)
        assert media_api.get_any_json() == {"colour": "brown", "sizes": [1, 2.5], "note": None}
        assert media_api.get_any_text() == "caf\u00e9 au lait"
        assert media_api.get_pdf() == b"%PDF-1.7"
        octets = media_api.get_octets()
        assert type(octets) is bytes and octets  # built from `type: string`, not JSON
        assert media_api.get_anything() == "a,b\n1,2\n"  # Prism labels it text/plain
        # No labels: Prism does not read repeated form keys (labels=a&labels=b, OpenAPI's
        # default for a form array) as an array; test_multipart_upload_and_form_with_numbers
        # checks those bytes against a local server.
        assert files_api.submit_form(3, ratio=0.5) is None


def test_constructors_take_the_spec_defaults(probe: ModuleType) -> None:
    pet = importlib.import_module(f"{PACKAGE}.model.pet").Pet
    assert pet(name="Rex", species="dog").vaccinated is False  # default: false
    assert pet(name="Rex", species="dog", vaccinated=True).vaccinated is True
    assert pet(name="Rex", species="dog").weight is None  # no default: unset
    # An answer says what the server sent: a property it left out stays None.
    assert pet.from_dict({"name": "Rex", "species": "dog"}).vaccinated is None


def test_a_map_answer_has_its_values_checked(probe: ModuleType, httpserver: HTTPServer) -> None:
    httpserver.expect_request("/stats").respond_with_json({"dog": 3, "cat": "many"})
    with pytest.raises(probe.MalformedResponseError, match="`cat`"):
        pets(probe, httpserver).get_stats()


NO_MODELS_SPEC = {
    "openapi": "3.0.3",
    "info": {"title": "No models", "version": "1.0.0"},
    "servers": [{"url": "http://localhost"}],
    "paths": {
        "/status": {
            "get": {
                "operationId": "getStatus",
                "tags": ["Status"],
                "responses": {
                    "200": {
                        "description": "The status line.",
                        "content": {"text/plain": {"schema": {"type": "string"}}},
                    }
                },
            }
        },
        "/limits": {
            "get": {
                "operationId": "getLimits",
                "tags": ["Status"],
                "parameters": [
                    {
                        "name": "names",
                        "in": "query",
                        "schema": {"type": "array", "items": {"type": "string"}},
                    }
                ],
                "responses": {
                    "200": {
                        "description": "Limits by name.",
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "additionalProperties": {"type": "integer"},
                                }
                            }
                        },
                    },
                    "204": {"description": "No limits."},
                },
            }
        },
    },
}


def test_a_spec_without_models_generates_a_clean_package(
    tmp_path: Path, httpserver: HTTPServer
) -> None:
    spec = tmp_path / "no-models.yaml"
    spec.write_text(json.dumps(NO_MODELS_SPEC), encoding="utf-8")  # JSON is YAML
    with imported_probe(spec, "no_models_probe", tmp_path) as package:
        assert importlib.import_module("no_models_probe.model").__all__ == []
        httpserver.expect_request("/status").respond_with_data(
            "all good", content_type="text/plain"
        )
        httpserver.expect_request("/limits", query_string="names=a&names=b").respond_with_json(
            {"a": 1, "b": 2}
        )
        configuration = package.Configuration(host=httpserver.url_for("").rstrip("/"))
        with package.ApiClient(configuration) as api_client:
            api = package.StatusApi(api_client)
            assert api.get_status() == "all good"
            assert api.get_limits(names=["a", "b"]) == {"a": 1, "b": 2}


def test_every_link_in_the_generated_docs_resolves(probe: ModuleType) -> None:
    out = Path(probe.__file__).resolve().parent.parent
    pages = [out / "README.md", *sorted((out / "docs").glob("*.md"))]
    assert len(pages) > 5
    broken = []
    for page in pages:
        for target in re.findall(
            r"\]\(([^)#:]+\.md)(?:#[^)]*)?\)", page.read_text(encoding="utf-8")
        ):
            if not (page.parent / target).is_file():
                broken.append(f"{page.name} -> {target}")
    assert broken == []


def test_the_generator_reads_a_token_operations_grants_and_client_auth_computed() -> None:
    """normalise_spec decides once what the templates print for a token operation: its
    grants, its single-use grants, and HTTP Basic client auth from its security."""
    form = {"application/x-www-form-urlencoded": {"schema": {"type": "object"}}}
    spec = {
        "paths": {
            "/token": {
                "post": {
                    "x-token-manager": {"authorization_code": True, "refresh_token": True},
                    "security": [{"clientBasic": []}],
                    "requestBody": {"content": form},
                    "responses": {"200": {"description": "ok"}},
                }
            },
            "/token2": {
                "post": {
                    "x-token-manager": {"client_credentials": True, "client_auth": "form"},
                    "requestBody": {"content": form},
                    "responses": {"200": {"description": "ok"}},
                }
            },
            "/token3": {
                "post": {
                    "x-token-manager": {"client_credentials": True},
                    "security": [],
                    "requestBody": {"content": form},
                    "responses": {"200": {"description": "ok"}},
                }
            },
        },
        "security": [{"clientBasic": []}],
        "components": {"securitySchemes": {"clientBasic": {"type": "http", "scheme": "basic"}}},
    }
    paths = _normalise(spec)["paths"]
    code = paths["/token"]["post"]
    assert code["x-grants"] == ["refresh_token", "authorization_code"]
    assert code["x-single-use"] == {"grant_type": ["authorization_code", "refresh_token"]}
    assert code["x-client-auth"] == "basic"
    assert code["x-content-type"] == "application/x-www-form-urlencoded"
    given = paths["/token2"]["post"]  # the global security is basic, but the extension says
    assert given["x-grants"] == ["client_credentials"]
    assert "x-single-use" not in given
    assert given["x-client-auth"] == "form"
    assert "x-client-auth" not in paths["/token3"]["post"]  # security: [] lifts the global one
    assert "x-grants" not in spec["paths"]["/token"]["post"]  # the spec itself is left as it is
