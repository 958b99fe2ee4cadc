"""The base class of every generated model, and its property table."""

from __future__ import annotations

import base64
from collections.abc import Mapping
from typing import Any, ClassVar, Optional, TypeVar

from ._schema import Invalid, Schema, Tolerated, gather
from ._secrets import mask
from .exceptions import ApiTypeError, ApiValueError

_M = TypeVar("_M", bound="Model")

_MISSING = object()


class Prop:
    """One property of a model: attribute name, wire name, type and flags from the spec."""

    __slots__ = ("attr", "nullable", "plain", "read_only", "required", "schema", "secret", "wire")

    def __init__(
        self,
        attr: str,
        wire: str,
        schema: Schema,
        *,
        required: bool = False,
        nullable: bool = False,
        read_only: bool = False,
        secret: bool = False,
    ) -> None:
        self.attr = attr
        self.wire = wire
        self.schema = schema
        self.required = required
        self.nullable = nullable
        self.read_only = read_only
        self.secret = secret
        #: The schema's ``plain`` type, for the fast path of ``Model.decode``.
        self.plain = schema.plain


class Model:
    """Base of every generated model.

    Properties an answer carries that the spec does not name are kept in
    ``additional_properties`` (reachable, and written back by ``to_dict``).
    """

    _props: ClassVar[tuple[Prop, ...]] = ()
    _wire_names: ClassVar[frozenset[str]] = frozenset()
    #: The type of properties the spec does not name (``additionalProperties``), if it gives one.
    _extra: ClassVar[Optional[Schema]] = None
    additional_properties: dict[str, Any]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._wire_names = frozenset(prop.wire for prop in cls._props)

    @classmethod
    def decode(cls: type[_M], data: dict[str, Any]) -> _M:
        """Build the model from a parsed JSON object; raises Invalid if it breaks the spec
        (Tolerated, with the model built all the same, if only in facets)."""
        model = cls.__new__(cls)
        attributes = model.__dict__
        breaks = None  # the facets broken inside, when that is all that is wrong
        for prop in cls._props:
            value = data.get(prop.wire, _MISSING)
            if type(value) is prop.plain:
                pass  # the common case: a plain value the schema takes as it is
            elif value is _MISSING or value is None:
                # A null for a property that is not nullable counts as absent;
                # a required property must be there (and be non-null unless nullable).
                if prop.required and (value is _MISSING or not prop.nullable):
                    raise Invalid(f"required property `{prop.wire}` is missing").at(prop.wire)
                value = None
            else:
                try:
                    value = prop.schema.decode(value)
                except Tolerated as tolerated:
                    value = tolerated.value
                    breaks = gather(breaks, tolerated, prop.wire)
                except Invalid as error:
                    raise error.at(prop.wire) from None
            attributes[prop.attr] = value
        if data.keys() <= cls._wire_names:  # the common case: nothing unknown
            model.additional_properties = {}
        else:
            extra = {key: value for key, value in data.items() if key not in cls._wire_names}
            if cls._extra is not None:
                for key, value in extra.items():
                    try:
                        extra[key] = cls._extra.decode(value)
                    except Tolerated as tolerated:
                        extra[key] = tolerated.value
                        breaks = gather(breaks, tolerated, key)
                    except Invalid as error:
                        raise error.at(key) from None
            model.additional_properties = extra
        if breaks:
            raise Tolerated(model, breaks)
        return model

    @classmethod
    def from_dict(cls: type[_M], data: Mapping[str, Any]) -> _M:
        """Build the model from JSON-like data (wire names); ApiValueError names what is wrong."""
        if not isinstance(data, Mapping):
            raise ApiTypeError(
                f"{cls.__name__}.from_dict expects a mapping, got {type(data).__name__}"
            )
        try:
            return cls.decode(dict(data))
        except Invalid as error:
            where = f"{cls.__name__}.{error.where}" if error.path else cls.__name__
            raise ApiValueError(f"Invalid value for `{where}`: {error.reason}") from None

    def encode(self, where: str) -> dict[str, Any]:
        """Check every property against the spec and return the JSON-ready object.

        Errors name ``where.property``; read-only properties are not sent.
        """
        data: dict[str, Any] = {}
        for prop in self._props:
            value = getattr(self, prop.attr)
            if value is None:
                if prop.required and not prop.read_only:
                    if not prop.nullable:
                        raise ApiValueError(f"Missing the required parameter `{where}.{prop.attr}`")
                    data[prop.wire] = None  # required and nullable: present, as null
                continue
            if prop.read_only:
                continue
            plain = type(value) is prop.plain
            if plain and (prop.plain is not str or value.isascii()):
                data[prop.wire] = value  # the common case: nothing to check or convert
            else:
                data[prop.wire] = prop.schema.encode(value, f"{where}.{prop.attr}")
        if self.additional_properties:
            extra = self._extra
            for key, value in self.additional_properties.items():
                data[key] = (
                    to_plain(value) if extra is None else extra.encode(value, f"{where}[{key!r}]")
                )
        return data

    def validate(self, where: str) -> None:
        """Raise ApiTypeError or ApiValueError unless every property fits the spec."""
        self.encode(where)

    def to_dict(self) -> dict[str, Any]:
        """The model as JSON-ready data keyed by wire names; unset properties are left out.

        A required nullable property is always there (null when unset), as the spec needs.
        """
        data: dict[str, Any] = {}
        for prop in self._props:
            value = getattr(self, prop.attr)
            if value is not None:
                data[prop.wire] = to_plain(value)
            elif prop.required and prop.nullable:
                data[prop.wire] = None  # decode() needs it back
        for key, value in self.additional_properties.items():
            data[key] = to_plain(value)
        return data

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return self.to_dict() == other.to_dict()

    __hash__ = None  # type: ignore[assignment]  # mutable

    def __repr__(self) -> str:
        parts = []
        for prop in self._props:
            value = getattr(self, prop.attr)
            shown = mask(value) if prop.secret and isinstance(value, str) else repr(value)
            parts.append(f"{prop.attr}={shown}")
        if self.additional_properties:
            parts.append(f"additional_properties={self.additional_properties!r}")
        return f"{type(self).__name__}({', '.join(parts)})"


def to_plain(value: Any) -> Any:
    """Models, lists, dicts, dates and bytes (as base64 text) as JSON-ready values."""
    if isinstance(value, Model):
        return value.to_dict()
    if isinstance(value, (bytes, bytearray)):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, list):
        return [to_plain(item) for item in value]
    if isinstance(value, dict):
        return {key: to_plain(item) for key, item in value.items()}
    isoformat = getattr(value, "isoformat", None)
    if callable(isoformat):
        return isoformat()
    return value
