"""A synthetic API of many operations, to show import time does not grow with them.

    python bench/synthetic_spec.py FOLDER [--operations 60]

writes FOLDER/synthetic.yaml: ``--operations`` operations spread over six tags (one API
module each), with a model per resource (nested $ref, arrays of models, dates, enums),
a list wrapper per resource and a shared error model; path, query (arrays too) and
header parameters, JSON bodies and several security schemes.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import yaml

TAGS = ("Accounts", "Campaigns", "Invoices", "Products", "Reports", "Users")
#: What each operation of a resource is, in turn: (method, path suffix, operationId verb).
SHAPES = (
    ("get", "", "list"),
    ("post", "", "create"),
    ("get", "/{id}", "get"),
    ("put", "/{id}", "replace"),
    ("patch", "/{id}", "update"),
    ("delete", "/{id}", "delete"),
    ("get", "/{id}/history", "history"),
    ("post", "/{id}/archive", "archive"),
    ("get", "/search", "search"),
    ("get", "/{id}/summary", "summarize"),
)


def ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def resource_schemas(tag: str) -> dict[str, Any]:
    """The model of one resource, its list wrapper and its status enum."""
    name = tag[:-1]
    return {
        f"{name}Status": {"type": "string", "enum": ["active", "paused", "archived"]},
        name: {
            "type": "object",
            "required": ["id", "name"],
            "properties": {
                "id": {"type": "string", "example": f"{name.lower()}-1"},
                "name": {"type": "string", "minLength": 1, "maxLength": 120, "example": name},
                "status": ref(f"{name}Status"),
                "created_at": {"type": "string", "format": "date-time", "readOnly": True},
                "starts_on": {"type": "string", "format": "date"},
                "budget": {"type": "number", "format": "double", "minimum": 0},
                "labels": {"type": "array", "items": {"type": "string"}},
                "owner": ref("Owner"),
                "attributes": {"type": "object", "additionalProperties": {"type": "string"}},
            },
        },
        f"{name}List": {
            "type": "object",
            "required": ["data"],
            "properties": {
                "data": {"type": "array", "items": ref(name)},
                "total": {"type": "integer", "format": "int64"},
                "next_page": {"type": "string", "nullable": True},
            },
        },
    }


def operation(tag: str, method: str, suffix: str, verb: str) -> dict[str, Any]:
    name = tag[:-1]
    op: dict[str, Any] = {
        "tags": [tag],
        "operationId": f"{verb}{name}",
        "summary": f"{verb.capitalize()} {name.lower()}",
        "parameters": [
            {"name": "X-Request-Id", "in": "header", "schema": {"type": "string"}},
        ],
        "responses": {
            "400": {
                "description": "Bad request.",
                "content": {"application/json": {"schema": ref("Error")}},
            },
        },
    }
    if "{id}" in suffix:
        op["parameters"].insert(
            0, {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}
        )
    if verb in ("list", "search", "history"):
        op["parameters"] += [
            {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 500}},
            {"name": "fields", "in": "query", "schema": {"type": "array", "items": {"type": "string"}}},
            {"name": "since", "in": "query", "schema": {"type": "string", "format": "date"}},
        ]
        answer: dict[str, Any] = ref(f"{name}List")
    else:
        answer = ref(name)
    if method in ("post", "put", "patch") and verb != "archive":
        op["requestBody"] = {"required": True, "content": {"application/json": {"schema": ref(name)}}}
    if method == "delete":
        op["responses"]["204"] = {"description": "Deleted."}
    else:
        code = "201" if verb == "create" else "200"
        op["responses"][code] = {
            "description": "The answer.",
            "content": {"application/json": {"schema": answer}},
        }
    return op


def synthetic_spec(operations: int = 60) -> dict[str, Any]:
    """An OpenAPI 3.0 document with ``operations`` operations over the six tags."""
    schemas: dict[str, Any] = {
        "Error": {
            "type": "object",
            "required": ["code"],
            "properties": {"code": {"type": "integer"}, "message": {"type": "string"}},
        },
        "Owner": {
            "type": "object",
            "properties": {"email": {"type": "string"}, "since": {"type": "string", "format": "date"}},
        },
    }
    paths: dict[str, dict[str, Any]] = {}
    for index in range(operations):
        tag = TAGS[index % len(TAGS)]
        method, suffix, verb = SHAPES[(index // len(TAGS)) % len(SHAPES)]
        round_number = index // (len(TAGS) * len(SHAPES))
        base = f"/v{round_number + 1}/{tag.lower()}"
        schemas.update(resource_schemas(tag))
        op = operation(tag, method, suffix, verb)
        if round_number:
            op["operationId"] += f"V{round_number + 1}"
        paths.setdefault(base + suffix, {})[method] = op
    return {
        "openapi": "3.0.3",
        "info": {"title": "Synthetic", "description": "Many operations.", "version": "1.0.0"},
        "servers": [{"url": "https://api.synthetic.example", "x-name": "production", "description": "Production"}],
        "security": [{"bearer": []}, {"apiKey": []}],
        "tags": [{"name": tag, "description": f"The {tag.lower()}."} for tag in TAGS],
        "paths": paths,
        "components": {
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer"},
                "apiKey": {"type": "apiKey", "in": "header", "name": "X-API-Key"},
            },
            "schemas": schemas,
        },
    }


def write_spec(folder: Path, operations: int = 60) -> Path:
    """Write the spec as ``folder/synthetic.yaml`` and return its path."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "synthetic.yaml"
    path.write_text(yaml.safe_dump(synthetic_spec(operations), sort_keys=False), encoding="utf-8")
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--operations", type=int, default=60)
    options = parser.parse_args()
    print(write_spec(options.folder, options.operations))


if __name__ == "__main__":
    main()
