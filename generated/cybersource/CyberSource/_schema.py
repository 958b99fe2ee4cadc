"""The types of the spec as values: each checks and converts one JSON value.

A schema has two directions:

- ``decode(value)`` turns parsed JSON from an answer into Python (a model, a
  ``datetime``...) and raises ``Invalid`` when the answer breaks the spec: in what code
  depends on (JSON shape and types, required properties), or, as ``Tolerated`` carrying
  the whole value decoded all the same, only in facets (``pattern``, lengths, ranges, the
  ``format`` of a string, a value outside an enum).
- ``encode(value, name)`` checks an argument before it is sent and turns it into
  JSON-ready data; it raises ``ApiTypeError`` or ``ApiValueError`` naming ``name``.

Messages name the field or parameter, never its value: it may be a secret.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import importlib
import json
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Callable, ClassVar, Optional, Union

from ._secrets import SHOWN_VALUE_LENGTH, field_of, looks_secret
from .exceptions import ApiTypeError, ApiValueError

if TYPE_CHECKING:
    from ._model import Model


class Invalid(Exception):
    """An answer breaks the spec: ``path`` is where (keys and indexes), ``reason`` what."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.path: list[str] = []

    def at(self, key: str) -> Invalid:
        """Prefix the path with ``key`` while the error travels up; returns self."""
        self.path.insert(0, key)
        return self

    @property
    def where(self) -> str:
        """The path as text: ``toys[0].price`` (empty for the whole value)."""
        text = ""
        for key in self.path:
            text += key if key.startswith("[") or not text else "." + key
        return text

    def __str__(self) -> str:
        """``field `toys[0].price`: expected float, got string`` (no value, ever)."""
        return f"field `{self.where}`: {self.reason}" if self.path else self.reason


class Tolerated(Invalid):
    """A value that breaks only facets of the spec: ``value`` is it decoded all the same
    (a string kept as it came where its format did not parse), ``breaks`` says where and
    how. Containers gather the breaks of their items and raise one for the whole value;
    as an Invalid it reads as its first break.
    """

    def __init__(self, value: Any, breaks: list[Invalid]) -> None:
        Exception.__init__(self, breaks[0].reason)
        self.value = value
        self.breaks = breaks

    @property
    def reason(self) -> str:  # type: ignore[override]
        return self.breaks[0].reason

    @property
    def path(self) -> list[str]:  # type: ignore[override]
        return self.breaks[0].path

    def at(self, key: str) -> Tolerated:
        for broken in self.breaks:
            broken.at(key)
        return self


def facet(value: Any, problem: str) -> Tolerated:
    """The Tolerated of a value that breaks one facet (``problem``) and is kept as it is."""
    return Tolerated(value, [Invalid(problem)])


def gather(breaks: Optional[list[Invalid]], tolerated: Tolerated, key: str) -> list[Invalid]:
    """``breaks`` (None: none yet) with those of an item at ``key`` added (in place)."""
    tolerated.at(key)
    if breaks is None:
        return tolerated.breaks  # the item is done with its list: it becomes the container's
    breaks.extend(tolerated.breaks)
    return breaks


def decode_into(
    result: Union[list[Any], dict[str, Any]],
    entries: Iterable[tuple[Any, Any]],
    decode: Callable[[Any], Any],
    where: Callable[[Any], str],
    breaks: Optional[list[Invalid]] = None,
) -> Optional[list[Invalid]]:
    """Decode the (key, item) entries of a container into ``result[key]``; return ``breaks``
    with those of the items that break only facets (kept all the same) added. An invalid
    item raises, placed at ``where(key)``."""
    for key, item in entries:
        try:
            result[key] = decode(item)
        except Tolerated as tolerated:
            result[key] = tolerated.value
            breaks = gather(breaks, tolerated, where(key))
        except Invalid as error:
            raise error.at(where(key)) from None
    return breaks


#: Where an item of an array is (``where`` of ``decode_into``).
_index = "[{}]".format


def json_type(value: Any) -> str:
    """The JSON name of a parsed value's type, for messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


class Schema:
    """Base of every type: subclasses override decode, encode and describe."""

    #: What messages and docs call the type.
    name = "any value"
    #: The Python type whose values this schema takes and gives back unchanged (a str for
    #: an unconstrained string), so callers may skip decode and encode for them; else None.
    plain: Optional[type] = None

    def decode(self, value: Any) -> Any:
        return value

    def encode(self, value: Any, name: str) -> Any:
        return value

    def wrong_type(self, value: Any, name: str) -> ApiTypeError:
        return ApiTypeError(
            f"Invalid type for `{name}`: expected {self.name}, got {type(value).__name__}"
        )

    def invalid(self, value: Any) -> Invalid:
        return Invalid(f"expected {self.name}, got {json_type(value)}")


ANY = Schema()


class Str(Schema):
    """A string, with the spec's enum, length and pattern constraints."""

    name = "str"

    def __init__(
        self,
        *,
        enum: Optional[Sequence[str]] = None,
        min_length: Optional[int] = None,
        max_length: Optional[int] = None,
        pattern: Optional[str] = None,
        secret: bool = False,
    ) -> None:
        self.enum = tuple(enum) if enum is not None else None
        self.min_length = min_length
        self.max_length = max_length
        self.pattern = pattern
        self.regex = compile_pattern(pattern) if pattern is not None else None
        self.secret = secret
        self.constrained = any(c is not None for c in (enum, min_length, max_length, pattern))
        self.plain = None if self.constrained else str

    def decode(self, value: Any) -> Any:
        if type(value) is not str:
            raise self.invalid(value)
        if self.constrained:
            problem = self.problem(value)
            if problem is not None:
                raise facet(value, problem)
        return value

    def encode(self, value: Any, name: str) -> Any:
        if type(value) is not str:
            if not isinstance(value, str):
                raise self.wrong_type(value, name)
            # A str subclass (a (str, Enum) member, say) goes out as its text: str() would
            # give the member's name ('Grant.CLIENT_CREDENTIALS') before Python 3.11's StrEnum.
            value = str.__str__(value)
        if not value.isascii():
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                raise ApiValueError(
                    f"Invalid value for `{name}`: not encodable as UTF-8 (lone surrogate)"
                ) from None
        if self.constrained:
            problem = self.problem(value)
            if problem is not None:
                # Name the value only where it helps and cannot be a secret passed in the
                # wrong place: a short word outside an enum ('grant_type_example' is not
                # one of ...); generated secrets are longer or carry digits.
                named = (
                    self.enum is not None
                    and value not in self.enum
                    and len(value) <= SHOWN_VALUE_LENGTH
                    and not any(char.isdigit() for char in value)
                    and not (self.secret or looks_secret(field_of(name)))
                )
                shown = f"{value!r} " if named else ""
                raise ApiValueError(f"Invalid value for `{name}`: {shown}{problem}")
        return value

    def problem(self, value: str) -> Optional[str]:
        """What is wrong with a string of this type, or None."""
        if self.enum is not None and value not in self.enum:
            return "is not one of " + ", ".join(repr(v) for v in self.enum)
        if self.max_length is not None and len(value) > self.max_length:
            return f"length must be at most {self.max_length}"
        if self.min_length is not None and len(value) < self.min_length:
            return f"length must be at least {self.min_length}"
        if self.regex is not None and self.regex.search(value) is None:
            return f"must match the pattern {self.pattern}"
        return None


class Number(Schema):
    """An integer (``integer=True``) or any number, with range and enum constraints."""

    def __init__(
        self,
        *,
        integer: bool = False,
        enum: Optional[Sequence[float]] = None,
        minimum: Optional[float] = None,
        maximum: Optional[float] = None,
        exclusive_minimum: bool = False,
        exclusive_maximum: bool = False,
    ) -> None:
        self.integer = integer
        self.name = "int" if integer else "float"
        unconstrained = enum is None and minimum is None and maximum is None
        self.plain = int if integer and unconstrained else None
        self.enum = tuple(enum) if enum is not None else None
        self.minimum = minimum
        self.maximum = maximum
        self.exclusive_minimum = exclusive_minimum
        self.exclusive_maximum = exclusive_maximum

    def decode(self, value: Any) -> Any:
        kind = type(value)
        if kind is int:
            number: float = value if self.integer else float(value)
        elif kind is float and math.isfinite(value):
            if self.integer:
                if not value.is_integer():
                    raise Invalid("expected an integer, got a fraction")
                number = int(value)
            else:
                number = value
        else:
            raise self.invalid(value)
        problem = self.problem(number)
        if problem is not None:
            raise facet(number, problem)
        return number

    def encode(self, value: Any, name: str) -> Any:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self.wrong_type(value, name)
        if self.integer and not isinstance(value, int):
            raise self.wrong_type(value, name)
        if not math.isfinite(value):
            raise ApiValueError(f"Invalid value for `{name}`: must be a finite number")
        problem = self.problem(value)
        if problem is not None:
            raise ApiValueError(f"Invalid value for `{name}`: {value!r} {problem}")
        return value

    def problem(self, value: float) -> Optional[str]:
        if self.enum is not None and value not in self.enum:
            return "is not one of " + ", ".join(repr(v) for v in self.enum)
        minimum, maximum = self.minimum, self.maximum
        if minimum is not None and (
            value < minimum or (self.exclusive_minimum and value == minimum)
        ):
            more = "more than" if self.exclusive_minimum else "at least"
            return f"must be {more} {minimum}"
        if maximum is not None and (
            value > maximum or (self.exclusive_maximum and value == maximum)
        ):
            less = "less than" if self.exclusive_maximum else "at most"
            return f"must be {less} {maximum}"
        return None


class Bool(Schema):
    name = "bool"
    plain = bool

    def decode(self, value: Any) -> Any:
        if type(value) is not bool:
            raise self.invalid(value)
        return value

    def encode(self, value: Any, name: str) -> Any:
        if type(value) is not bool:
            raise self.wrong_type(value, name)
        return value


class Date(Schema):
    """``format: date``: ``datetime.date`` in Python, ``YYYY-MM-DD`` on the wire."""

    name = "datetime.date"

    def decode(self, value: Any) -> Any:
        if type(value) is not str:
            raise self.invalid(value)
        try:
            return datetime.date.fromisoformat(value)
        except ValueError:
            raise facet(value, "expected a date (YYYY-MM-DD)") from None

    def encode(self, value: Any, name: str) -> Any:
        if isinstance(value, datetime.datetime) or not isinstance(value, datetime.date):
            raise self.wrong_type(value, name)
        return value.isoformat()


_RFC3339 = re.compile(
    r"(\d{4})-(\d\d)-(\d\d)[Tt ](\d\d):(\d\d):(\d\d)(?:\.(\d+))?(?:([Zz])|([+-])(\d\d):(\d\d))\Z"
)


class DateTime(Schema):
    """``format: date-time``: an aware ``datetime.datetime``, RFC 3339 on the wire."""

    name = "datetime.datetime"

    def decode(self, value: Any) -> Any:
        if type(value) is not str:
            raise self.invalid(value)
        parsed = parse_datetime(value)
        if parsed is None:
            raise facet(value, "expected an RFC 3339 date-time")
        return parsed

    def encode(self, value: Any, name: str) -> Any:
        if not isinstance(value, datetime.datetime):
            raise self.wrong_type(value, name)
        if value.tzinfo is None or value.utcoffset() is None:
            raise ApiValueError(
                f"Invalid value for `{name}`: a date-time needs a time zone"
                " (e.g. datetime.timezone.utc)"
            )
        return value.isoformat()


def parse_datetime(text: str) -> Optional[datetime.datetime]:
    """An RFC 3339 date-time (``Z`` or an offset, any fraction) as an aware datetime."""
    match = _RFC3339.match(text)
    if match is None:
        return None
    year, month, day, hour, minute, second, fraction, zulu, sign, off_h, off_m = match.groups()
    if int(second) > 60:  # 60 is a leap second; more is no time at all
        return None
    if zulu:
        zone = datetime.timezone.utc
    elif int(off_h) > 23 or int(off_m) > 59:  # datetime.timezone would raise ValueError
        return None
    else:
        offset = datetime.timedelta(hours=int(off_h), minutes=int(off_m))
        zone = datetime.timezone(-offset if sign == "-" else offset)
    micro = int((fraction or "0")[:6].ljust(6, "0"))
    try:
        return datetime.datetime(
            int(year), int(month), int(day), int(hour), int(minute),
            min(int(second), 59), micro, tzinfo=zone,
        )  # fmt: skip
    except ValueError:
        return None


class Binary(Schema):
    """``format: binary``: ``bytes`` (or a file opened in binary mode, to send)."""

    name = "bytes"

    def decode(self, value: Any) -> Any:
        if not isinstance(value, bytes):
            raise self.invalid(value)
        return value

    def encode(self, value: Any, name: str) -> Any:
        if isinstance(value, (bytes, bytearray)):
            return bytes(value)
        if isinstance(value, tuple) and len(value) in (2, 3) and isinstance(value[1], bytes):
            return value  # (filename, data) or (filename, data, content type)
        read = getattr(value, "read", None)
        if callable(read):
            return value
        raise self.wrong_type(value, name)


class Base64(Schema):
    """``format: byte``: base64 text on the wire, ``bytes`` in Python."""

    name = "bytes"

    def decode(self, value: Any) -> Any:
        if not isinstance(value, str):
            raise self.invalid(value)
        try:
            return base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            raise facet(value, "expected base64 text") from None

    def encode(self, value: Any, name: str) -> Any:
        if not isinstance(value, (bytes, bytearray)):
            raise self.wrong_type(value, name)
        return base64.b64encode(value).decode("ascii")


class Around(Schema):
    """A schema built on another one, ``of`` (the items of an array, the values of a map,
    what a nullable holds), and named after it: each subclass gives ``named``, its name
    with ``{}`` for that one's."""

    named: ClassVar[str]

    def __init__(self, of: Schema) -> None:
        self.of = of

    def __init_subclass__(cls, named: Optional[str] = None, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if named is not None:
            cls.named = named

    @property
    def name(self) -> str:  # type: ignore[override]
        return self.named.format(self.of.name)


class ListOf(Around, named="list[{}]"):
    """An array of ``of``."""

    def __init__(
        self,
        of: Schema,
        *,
        min_items: Optional[int] = None,
        max_items: Optional[int] = None,
        unique: bool = False,
    ) -> None:
        super().__init__(of)
        self.min_items = min_items
        self.max_items = max_items
        self.unique = unique

    def decode(self, value: Any) -> Any:
        if type(value) is not list:
            raise self.invalid(value)
        problem = self.problem(value)
        breaks = None if problem is None else [Invalid(problem)]
        items: list[Any] = [None] * len(value)
        breaks = decode_into(items, enumerate(value), self.of.decode, _index, breaks)
        if breaks:
            raise Tolerated(items, breaks)
        return items

    def encode(self, value: Any, name: str) -> Any:
        if not isinstance(value, (list, tuple)):
            raise self.wrong_type(value, name)
        problem = self.problem(value)
        if problem is not None:
            raise ApiValueError(f"Invalid value for `{name}`: {problem}")
        return [self.of.encode(item, f"{name}[{index}]") for index, item in enumerate(value)]

    def problem(self, value: Sequence[Any]) -> Optional[str]:
        if self.min_items is not None and len(value) < self.min_items:
            return f"must have at least {self.min_items} items"
        if self.max_items is not None and len(value) > self.max_items:
            return f"must have at most {self.max_items} items"
        if self.unique and len({repr(item) for item in value}) != len(value):
            return "items must be unique"
        return None


class MapOf(Around, named="dict[str, {}]"):
    """An object used as a map: string keys, every value an ``of``."""

    def decode(self, value: Any) -> Any:
        if type(value) is not dict:
            raise self.invalid(value)
        result: dict[str, Any] = {}
        breaks = decode_into(result, value.items(), self.of.decode, str)
        if breaks:
            raise Tolerated(result, breaks)
        return result

    def encode(self, value: Any, name: str) -> Any:
        if not isinstance(value, Mapping):
            raise self.wrong_type(value, name)
        result = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise ApiTypeError(f"Invalid type for a key of `{name}`: expected str")
            result[key] = self.of.encode(item, f"{name}[{key!r}]")
        return result


class Nullable(Around, named="Optional[{}]"):
    """``nullable: true``: null (None) or an ``of``."""

    def decode(self, value: Any) -> Any:
        return None if value is None else self.of.decode(value)

    def encode(self, value: Any, name: str) -> Any:
        return None if value is None else self.of.encode(value, name)


class ModelSchema(Schema):
    """An object with properties: a generated Model class."""

    def __init__(self, model: type[Model]) -> None:
        self.model = model
        self.name = model.__name__

    def decode(self, value: Any) -> Any:
        if type(value) is not dict:
            raise Invalid(f"expected a JSON object ({self.name}), got {json_type(value)}")
        return self.model.decode(value)

    def encode(self, value: Any, name: str) -> Any:
        if not isinstance(value, self.model):
            raise self.wrong_type(value, name)
        return value.encode(name)


class Ref(Schema):
    """Another model module's SCHEMA, looked up on first use (models may refer to each other)."""

    def __init__(self, module: str, package: Optional[str] = None) -> None:
        self.module = module
        self.package = package
        self._target: Optional[Schema] = None

    @property
    def target(self) -> Schema:
        if self._target is None:
            schema = importlib.import_module(self.module, self.package).SCHEMA
            assert isinstance(schema, Schema)
            self._target = schema
        return self._target

    @property
    def name(self) -> str:  # type: ignore[override]
        return self.target.name

    def decode(self, value: Any) -> Any:
        return (self._target or self.target).decode(value)

    def encode(self, value: Any, name: str) -> Any:
        return (self._target or self.target).encode(value, name)


class OneOf(Schema):
    """``oneOf`` / ``anyOf``: the branch the discriminator names, else the first that fits."""

    def __init__(
        self,
        name: str,
        branches: Sequence[Schema],
        *,
        discriminator: Optional[str] = None,
        mapping: Optional[Mapping[str, Schema]] = None,
    ) -> None:
        self.name = name
        self.branches = tuple(branches)
        self.discriminator = discriminator
        self.mapping = dict(mapping or {})

    def decode(self, value: Any) -> Any:
        if self.discriminator is not None and type(value) is dict:
            tag = value.get(self.discriminator)
            if tag in self.mapping:
                return self.mapping[tag].decode(value)
            if self.mapping:
                raise Invalid(
                    f"`{self.discriminator}` must be one of "
                    + ", ".join(repr(key) for key in self.mapping)
                )
        fits_but: Optional[Tolerated] = None  # the first branch that fits but for facets
        for branch in self.branches:
            try:
                return branch.decode(value)
            except Tolerated as tolerated:
                fits_but = fits_but or tolerated
            except Invalid:
                continue
        if fits_but is not None:
            raise fits_but
        raise Invalid(f"fits none of the schemas of {self.name}")

    def encode(self, value: Any, name: str) -> Any:
        wrong: Optional[ApiValueError] = None
        for branch in self.branches:
            try:
                return branch.encode(value, name)
            except ApiTypeError:
                continue
            except ApiValueError as error:  # the value has this branch's type: say what is wrong
                wrong = wrong or error
        if wrong is not None:
            raise wrong
        raise ApiTypeError(
            f"Invalid type for `{name}`: expected {self.name}, got {type(value).__name__}"
        )


def resolve(schema: Schema) -> Schema:
    """The schema a Ref stands for (any other schema as it is)."""
    return schema.target if isinstance(schema, Ref) else schema


def header_values(
    declared: Sequence[tuple[str, Schema]], headers: Mapping[str, str]
) -> dict[str, Any]:
    """The response headers the spec declares, typed; absent or unreadable ones left out."""
    values: dict[str, Any] = {}
    for name, schema in declared:
        raw = headers.get(name)
        if raw is None:
            continue
        if not isinstance(resolve(schema), Str):
            try:
                raw = json.loads(raw)
            except ValueError:
                pass  # not a number or a boolean: the schema says whether that fits
        try:
            values[name] = schema.decode(raw)
        except Invalid:
            continue  # a header that breaks the spec is left out, the raw value stays in headers
    return values


def compile_pattern(pattern: str) -> re.Pattern[str]:
    """JSON Schema pattern semantics: a search, where ``$`` is the end of the text.

    Python's ``$`` also matches before a final newline, so a final ``$`` becomes ``\\Z``.
    """
    if pattern.endswith("$") and not pattern.endswith("\\$"):
        pattern = pattern[:-1] + "\\Z"
    return re.compile(pattern)
