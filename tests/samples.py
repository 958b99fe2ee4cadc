"""Wire samples of any generated model, read from its Prop table (the spec's types as values).

Tests that must hold for every model a spec has, today's and tomorrow's, build their data
here instead of writing one dict per model by hand: ``wire_sample(Model)`` is a dict with
every property, in the spec's order, each value of the declared type and within the declared
constraints (enums, lengths, ranges, item counts), nested models filled in the same way.
"""

from __future__ import annotations

import importlib
import pkgutil
from typing import Any

#: How deep nested models are filled in; deeper (recursive) references are left out.
MAX_DEPTH = 3


def models_of(package: Any) -> list[type]:
    """Every model class of a generated package's ``model`` subpackage, by name."""
    found = {}
    models = importlib.import_module(f"{package.__name__}.model")
    for info in pkgutil.iter_modules(models.__path__):
        module = importlib.import_module(f"{models.__name__}.{info.name}")
        for value in vars(module).values():
            if (
                isinstance(value, type)
                and value.__module__ == module.__name__
                and hasattr(value, "_props")
                and hasattr(value, "from_dict")
            ):
                found[value.__name__] = value
    return [found[name] for name in sorted(found)]


def wire_sample(model: type, depth: int = 0) -> dict[str, Any]:
    """A complete wire dict for ``model`` (its properties that can be sampled)."""
    sample = {}
    for prop in model._props:  # type: ignore[attr-defined]
        value = value_for(prop.schema, depth)
        if value is not _SKIP:
            sample[prop.wire] = value
    return sample


_SKIP = object()


def value_for(schema: Any, depth: int = 0) -> Any:
    """A wire value of a runtime schema (``Str(...)``, ``ListOf(...)``, ``Ref(...)``...)."""
    kind = type(schema).__name__
    if kind == "Ref":
        return value_for(schema.target, depth)
    if kind == "Nullable":
        return value_for(schema.of, depth)
    if kind == "Str":
        return _string(schema)
    if kind == "Number":
        return _number(schema)
    if kind == "Bool":
        return True
    if kind == "Date":
        return "2024-02-29"
    if kind == "DateTime":
        return "2024-02-29T12:34:56+00:00"  # as isoformat() writes it back
    if kind == "Base64":
        return "aGVsbG8="
    if kind == "ListOf":
        item = value_for(schema.of, depth)
        if item is _SKIP:
            return _SKIP
        count = max(1, schema.min_items or 0)
        if schema.unique and count > 1:
            return _SKIP
        return [item] * count
    if kind == "MapOf":
        value = value_for(schema.of, depth)
        return _SKIP if value is _SKIP else {"key": value}
    if kind == "ModelSchema":
        return _SKIP if depth >= MAX_DEPTH else wire_sample(schema.model, depth + 1)
    if kind == "OneOf":
        for branch in schema.branches:
            value = value_for(branch, depth)
            if value is not _SKIP:
                return value
        return _SKIP
    if kind == "Schema":  # ANY: any JSON value
        return {"any": [1, "two", None]}
    return _SKIP  # bytes and what this module does not know: left out


def _string(schema: Any) -> Any:
    if schema.enum:
        return schema.enum[0]
    length = max(schema.min_length or 0, min(8, schema.max_length or 8))
    for candidate in ("s" * length, "1" * length, "a-b_c.d1"[:length]):
        if schema.regex is None or schema.regex.search(candidate):
            return candidate
    return _SKIP


def _number(schema: Any) -> Any:
    if schema.enum:
        return schema.enum[0]
    value = 7 if schema.minimum is None else int(schema.minimum) + 1
    if schema.maximum is not None and value > schema.maximum:
        value = int(schema.maximum) - (1 if schema.exclusive_maximum else 0)
    return value if schema.integer else value + 0.5


def token_operation(package: Any) -> tuple[type, Any]:
    """The API class and ``Operation`` table of a package's token operation (the one with
    ``x-token-manager``; else its only operation), read from its ``api`` modules."""
    api = importlib.import_module(f"{package.__name__}.api")
    found = []
    for info in pkgutil.iter_modules(api.__path__):
        module = importlib.import_module(f"{api.__name__}.{info.name}")
        for value in vars(module).values():
            if type(value).__name__ == "Operation":
                classes = [
                    c
                    for c in vars(module).values()
                    if isinstance(c, type)
                    and c.__module__ == module.__name__
                    and c.__name__.endswith("Api")  # not the TokenManager
                    and callable(getattr(c, value.name, None))
                ]
                found.extend((cls, value) for cls in classes)
    tokens = [(cls, operation) for cls, operation in found if operation.token]
    ((cls, operation),) = tokens or found
    return cls, operation


def derived_call(package: Any, client: Any, **kwargs: Any) -> Any:
    """The token operation called with a valid value (from its Param table) for every
    required parameter, for a provider whose documented call no test writes out."""
    cls, operation = token_operation(package)
    arguments = {}
    for param in operation.params:
        if param.required:
            arguments[param.name] = param.schema.decode(value_for(param.schema))
    return getattr(cls(client), operation.name)(**arguments, **kwargs)
