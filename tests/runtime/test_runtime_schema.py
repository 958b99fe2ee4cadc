"""_schema: every type's decode (answers) and encode (arguments), constraints and messages.

Decoding raises Invalid with the path of the bad field; encoding raises ApiTypeError or
ApiValueError naming the parameter. Neither message ever repeats a secret value.
"""

from __future__ import annotations

import datetime
import enum
import io
import sys
import types
from typing import Any

import pytest
from runtime_under_test._model import Model, Prop
from runtime_under_test._schema import (
    ANY,
    Base64,
    Binary,
    Bool,
    Date,
    DateTime,
    Invalid,
    ListOf,
    MapOf,
    ModelSchema,
    Nullable,
    Number,
    OneOf,
    Ref,
    Str,
    Tolerated,
    compile_pattern,
    json_type,
    parse_datetime,
    resolve,
)
from runtime_under_test.exceptions import ApiTypeError, ApiValueError

UTC = datetime.timezone.utc
PLUS_0530 = datetime.timezone(datetime.timedelta(hours=5, minutes=30))
MINUS_0800 = datetime.timezone(-datetime.timedelta(hours=8))


def invalid(schema: Any, value: Any) -> Invalid:
    with pytest.raises(Invalid) as caught:
        schema.decode(value)
    return caught.value


# --- Invalid: where and how it is said ------------------------------------------------------


def test_invalid_path_reads_as_attribute_and_index_access() -> None:
    error = Invalid("expected float, got string").at("price").at("[0]").at("toys")
    assert error.path == ["toys", "[0]", "price"]
    assert error.where == "toys[0].price"
    assert str(error) == "field `toys[0].price`: expected float, got string"


def test_invalid_without_a_path_is_only_its_reason() -> None:
    error = Invalid("expected str, got number")
    assert error.where == ""
    assert str(error) == "expected str, got number"
    assert Invalid("x").at("[2]").where == "[2]"


@pytest.mark.parametrize(
    ("value", "name"),
    [
        (None, "null"),
        (True, "boolean"),
        (3, "number"),
        (2.5, "number"),
        ("a", "string"),
        ([], "array"),
        ({}, "object"),
        (b"x", "bytes"),
    ],
)
def test_json_type_names(value: Any, name: str) -> None:
    assert json_type(value) == name


def test_any_takes_everything_as_it_is() -> None:
    value = {"a": [1, None]}
    assert ANY.decode(value) is value
    assert ANY.encode(value, "x") is value


# --- Str ----------------------------------------------------------------------------------


def test_str_decodes_only_strings() -> None:
    assert Str().decode("text") == "text"
    assert str(invalid(Str(), 5)) == "expected str, got number"
    assert str(invalid(Str(), None)) == "expected str, got null"


def test_str_constraints_on_decode() -> None:
    assert str(invalid(Str(enum=("a", "b")), "c")) == "is not one of 'a', 'b'"
    assert str(invalid(Str(max_length=3), "abcd")) == "length must be at most 3"
    assert str(invalid(Str(min_length=3), "ab")) == "length must be at least 3"
    assert str(invalid(Str(pattern="^[a-z]+$"), "abc1")) == "must match the pattern ^[a-z]+$"
    assert Str(min_length=2, max_length=2, pattern="^[a-z]+$").decode("ab") == "ab"


def test_a_pattern_is_a_search_and_dollar_is_the_end_of_the_text() -> None:
    assert Str(pattern="b").decode("abc") == "abc"  # JSON Schema: anywhere in the text
    invalid(Str(pattern="^abc$"), "abc\n")  # Python's $ alone would accept the newline
    assert compile_pattern("^a$").pattern == "^a\\Z"
    assert compile_pattern("a\\$").pattern == "a\\$"  # an escaped dollar stays a dollar
    assert compile_pattern("a\\$").search("a$") is not None


def test_str_encode_checks_type_and_constraints_naming_the_parameter() -> None:
    with pytest.raises(ApiTypeError, match=r"^Invalid type for `scope`: expected str, got int$"):
        Str().encode(3, "scope")
    with pytest.raises(
        ApiValueError, match=r"^Invalid value for `scope`: length must be at most 2$"
    ):
        Str(max_length=2).encode("abc", "scope")


def test_str_encode_sends_a_str_subclass_as_plain_text() -> None:
    class Grant(str, enum.Enum):
        CLIENT_CREDENTIALS = "client_credentials"

    sent = Str(enum=("client_credentials",)).encode(Grant.CLIENT_CREDENTIALS, "grant_type")
    assert sent == "client_credentials" and type(sent) is str


def test_str_encode_refuses_lone_surrogates() -> None:
    assert Str().encode("h\u00e9llo \U0001f600", "name") == "h\u00e9llo \U0001f600"
    with pytest.raises(ApiValueError, match="`name`: not encodable as UTF-8"):
        Str().encode("a\ud800b", "name")


def test_an_enum_miss_names_a_short_plain_word() -> None:
    schema = Str(enum=("client_credentials", "refresh_token"))
    with pytest.raises(ApiValueError) as caught:
        schema.encode("password", "grant_type")
    assert str(caught.value) == (
        "Invalid value for `grant_type`: 'password' is not one of"
        " 'client_credentials', 'refresh_token'"
    )


@pytest.mark.parametrize(
    ("schema", "name", "value"),
    [
        (Str(enum=("a",)), "grant_type", "abc123"),  # digits: could be generated
        (Str(enum=("a",)), "grant_type", "x" * 33),  # longer than any word
        (Str(enum=("a",), secret=True), "mode", "hunter"),  # x-secret
        (Str(enum=("a",)), "client_secret", "hunter"),  # its name says secret
        (Str(enum=("a",)), "refresh_token", "hunter"),
        (Str(max_length=3), "scope", "hunter"),  # not an enum miss
        (Str(pattern="^[0-9]+$"), "scope", "hunter"),
    ],
)
def test_other_bad_values_are_never_repeated(schema: Str, name: str, value: str) -> None:
    with pytest.raises(ApiValueError) as caught:
        schema.encode(value, name)
    assert value not in str(caught.value)
    assert f"`{name}`" in str(caught.value)


def test_decode_messages_never_hold_the_value() -> None:
    secret = "s3cr3t-Value-1234"
    for schema in (Str(enum=("a",)), Str(max_length=3), Str(pattern="^x$"), Number(), Bool()):
        assert secret not in str(invalid(schema, secret))


# --- Number, Bool -------------------------------------------------------------------------


def test_integers_decode_as_int_and_whole_floats_are_accepted() -> None:
    schema = Number(integer=True)
    assert schema.decode(3) == 3 and type(schema.decode(3)) is int
    assert schema.decode(3.0) == 3 and type(schema.decode(3.0)) is int
    assert str(invalid(schema, 3.5)) == "expected an integer, got a fraction"
    assert str(invalid(schema, "3")) == "expected int, got string"
    assert str(invalid(schema, True)) == "expected int, got boolean"


def test_numbers_decode_as_float() -> None:
    schema = Number()
    assert schema.decode(3) == 3.0 and type(schema.decode(3)) is float
    assert schema.decode(2.5) == 2.5
    for value in (float("nan"), float("inf"), False, None):
        assert str(invalid(schema, value)).startswith("expected float, got ")


def test_number_ranges_inclusive_and_exclusive() -> None:
    inclusive = Number(minimum=1, maximum=3)
    assert inclusive.decode(1) == 1 and inclusive.decode(3) == 3
    assert str(invalid(inclusive, 0)) == "must be at least 1"
    assert str(invalid(inclusive, 4)) == "must be at most 3"
    exclusive = Number(minimum=1, maximum=3, exclusive_minimum=True, exclusive_maximum=True)
    assert exclusive.decode(2) == 2
    assert str(invalid(exclusive, 1)) == "must be more than 1"
    assert str(invalid(exclusive, 3)) == "must be less than 3"
    assert str(invalid(Number(enum=(1, 2)), 3)) == "is not one of 1, 2"


def test_number_encode() -> None:
    assert Number(integer=True).encode(5, "n") == 5
    assert Number().encode(5, "n") == 5
    assert Number().encode(0.5, "n") == 0.5
    with pytest.raises(ApiTypeError, match="`n`: expected int, got float"):
        Number(integer=True).encode(5.0, "n")
    with pytest.raises(ApiTypeError, match="`n`: expected float, got bool"):
        Number().encode(True, "n")
    with pytest.raises(ApiTypeError, match="`n`: expected float, got str"):
        Number().encode("5", "n")
    with pytest.raises(ApiValueError, match="`n`: must be a finite number"):
        Number().encode(float("inf"), "n")
    with pytest.raises(ApiValueError, match=r"^Invalid value for `n`: 0 must be at least 1$"):
        Number(minimum=1).encode(0, "n")


def test_bool() -> None:
    assert Bool().decode(False) is False
    assert str(invalid(Bool(), 0)) == "expected bool, got number"
    assert Bool().encode(True, "flag") is True
    with pytest.raises(ApiTypeError, match="`flag`: expected bool, got int"):
        Bool().encode(1, "flag")


# --- Date, DateTime -----------------------------------------------------------------------


def test_date() -> None:
    assert Date().decode("2024-02-29") == datetime.date(2024, 2, 29)
    assert str(invalid(Date(), "2023-02-29")) == "expected a date (YYYY-MM-DD)"
    assert str(invalid(Date(), 20240229)) == "expected datetime.date, got number"
    assert Date().encode(datetime.date(2024, 2, 29), "day") == "2024-02-29"
    with pytest.raises(ApiTypeError, match="`day`: expected datetime.date, got datetime"):
        Date().encode(datetime.datetime(2024, 2, 29, tzinfo=UTC), "day")
    with pytest.raises(ApiTypeError, match="`day`: expected datetime.date, got str"):
        Date().encode("2024-02-29", "day")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-05-06T07:08:09Z", datetime.datetime(2024, 5, 6, 7, 8, 9, tzinfo=UTC)),
        ("2024-05-06t07:08:09z", datetime.datetime(2024, 5, 6, 7, 8, 9, tzinfo=UTC)),
        ("2024-05-06 07:08:09Z", datetime.datetime(2024, 5, 6, 7, 8, 9, tzinfo=UTC)),
        ("2024-05-06T07:08:09+05:30", datetime.datetime(2024, 5, 6, 7, 8, 9, tzinfo=PLUS_0530)),
        ("2024-05-06T07:08:09-08:00", datetime.datetime(2024, 5, 6, 7, 8, 9, tzinfo=MINUS_0800)),
        ("2024-05-06T07:08:09.5Z", datetime.datetime(2024, 5, 6, 7, 8, 9, 500000, tzinfo=UTC)),
        (
            "2024-05-06T07:08:09.123456789Z",  # nanoseconds: cut to microseconds
            datetime.datetime(2024, 5, 6, 7, 8, 9, 123456, tzinfo=UTC),
        ),
        (
            "2016-12-31T23:59:60Z",  # a leap second: the last second Python can hold
            datetime.datetime(2016, 12, 31, 23, 59, 59, tzinfo=UTC),
        ),
    ],
)
def test_rfc3339_date_times(text: str, expected: datetime.datetime) -> None:
    parsed = DateTime().decode(text)
    assert parsed == expected
    assert parsed.utcoffset() == expected.utcoffset()


@pytest.mark.parametrize(
    "text",
    [
        "2024-05-06T07:08:09",  # no zone
        "2024-05-06",  # a date
        "2024-02-30T00:00:00Z",  # no such day
        "2023-02-29T00:00:00Z",  # not a leap year
        "2024-05-06T24:00:00Z",  # no such hour
        "2024-05-06T07:60:00Z",  # no such minute
        "2024-05-06T07:08:61Z",  # no such second, leap or not
        "2024-05-06T07:08:09+24:00",  # an offset of a day
        "2024-05-06T07:08:09+05:60",  # no such offset minute
        "2024-05-06T07:08:09.Z",  # a dot without digits
        "2024-05-06T07:08:09+0530",  # ISO 8601, not RFC 3339
        " 2024-05-06T07:08:09Z",
        "2024-05-06T07:08:09Z\n",
    ],
)
def test_what_is_not_an_rfc3339_date_time(text: str) -> None:
    assert parse_datetime(text) is None
    assert str(invalid(DateTime(), text)) == "expected an RFC 3339 date-time"


def test_datetime_encode_needs_an_aware_datetime() -> None:
    aware = datetime.datetime(2024, 5, 6, 7, 8, 9, tzinfo=UTC)
    assert DateTime().encode(aware, "at") == "2024-05-06T07:08:09+00:00"
    assert DateTime().decode(DateTime().encode(aware, "at")) == aware
    with pytest.raises(ApiValueError, match="`at`: a date-time needs a time zone"):
        DateTime().encode(datetime.datetime(2024, 5, 6), "at")
    with pytest.raises(ApiTypeError, match="`at`: expected datetime.datetime, got date"):
        DateTime().encode(datetime.date(2024, 5, 6), "at")
    assert str(invalid(DateTime(), 5)) == "expected datetime.datetime, got number"


# --- Binary -------------------------------------------------------------------------------


def test_binary() -> None:
    assert Binary().decode(b"\x00\xff") == b"\x00\xff"
    invalid(Binary(), "text")
    assert Binary().encode(bytearray(b"ab"), "file") == b"ab"
    assert Binary().encode(("a.txt", b"ab"), "file") == ("a.txt", b"ab")
    assert Binary().encode(("a.txt", b"ab", "text/plain"), "file") == ("a.txt", b"ab", "text/plain")
    stream = io.BytesIO(b"ab")
    assert Binary().encode(stream, "file") is stream
    for wrong in ("text", ("a.txt", "text"), ("a.txt",), 5):
        with pytest.raises(ApiTypeError, match="`file`: expected bytes"):
            Binary().encode(wrong, "file")


def test_base64_is_bytes_in_python_and_base64_text_on_the_wire() -> None:
    assert Base64().decode("AP9ieXRlcw==") == b"\x00\xffbytes"
    assert Base64().decode("") == b""
    assert Base64().encode(b"\x00\xffbytes", "digest") == "AP9ieXRlcw=="
    assert Base64().encode(bytearray(b"ab"), "digest") == "YWI="
    for bad in ("not base64!", "YWI", "YW\nI="):  # bad characters, bad padding
        with pytest.raises(Invalid, match="^expected base64 text$"):  # never the value
            Base64().decode(bad)
    invalid(Base64(), 5)
    with pytest.raises(ApiTypeError, match="`digest`: expected bytes, got str"):
        Base64().encode("YWI=", "digest")


# --- ListOf, MapOf, Nullable --------------------------------------------------------------


def test_list_decode_names_the_bad_index() -> None:
    schema = ListOf(Number(integer=True))
    assert schema.decode([1, 2]) == [1, 2]
    error = invalid(schema, [1, "2"])
    assert error.where == "[1]"
    assert str(error) == "field `[1]`: expected int, got string"
    assert str(invalid(schema, {"0": 1})) == "expected list[int], got object"


def test_list_constraints() -> None:
    schema = ListOf(Str(), min_items=1, max_items=2, unique=True)
    assert str(invalid(schema, [])) == "must have at least 1 items"
    assert str(invalid(schema, ["a", "b", "c"])) == "must have at most 2 items"
    assert str(invalid(schema, ["a", "a"])) == "items must be unique"
    assert schema.encode(("a", "b"), "scopes") == ["a", "b"]
    with pytest.raises(ApiValueError, match="`scopes`: items must be unique"):
        schema.encode(["a", "a"], "scopes")


def test_list_encode_names_the_item() -> None:
    with pytest.raises(ApiTypeError, match=r"`scopes\[1\]`: expected str, got int"):
        ListOf(Str()).encode(["a", 1], "scopes")
    with pytest.raises(ApiTypeError, match="`scopes`: expected list"):
        ListOf(Str()).encode("a b", "scopes")


def test_map() -> None:
    schema = MapOf(Number(integer=True))
    assert schema.name == "dict[str, int]"
    assert schema.decode({"a": 1}) == {"a": 1}
    error = invalid(schema, {"a": 1, "b": "x"})
    assert error.where == "b"
    invalid(schema, [1])
    assert schema.encode({"a": 1}, "counts") == {"a": 1}
    with pytest.raises(ApiTypeError, match="a key of `counts`"):
        schema.encode({1: 1}, "counts")
    with pytest.raises(ApiTypeError, match=r"`counts\['b'\]`: expected int"):
        schema.encode({"b": "x"}, "counts")
    with pytest.raises(ApiTypeError, match="`counts`: expected dict"):
        schema.encode([("a", 1)], "counts")


def test_nullable() -> None:
    schema = Nullable(Str(min_length=2))
    assert schema.name == "Optional[str]"
    assert schema.decode(None) is None and schema.encode(None, "x") is None
    assert schema.decode("ab") == "ab"
    invalid(schema, "a")
    with pytest.raises(ApiValueError, match="`x`"):
        schema.encode("a", "x")
    invalid(Str(), None)  # without Nullable, null is refused


# --- ModelSchema, Ref, OneOf --------------------------------------------------------------


class Cat(Model):
    _props = (
        Prop("pet_type", "petType", Str(), required=True),
        Prop("lives", "lives", Number(integer=True)),
    )

    def __init__(self, pet_type: str = "cat", lives: Any = None) -> None:
        self.pet_type = pet_type
        self.lives = lives
        self.additional_properties = {}


class Dog(Model):
    _props = (
        Prop("pet_type", "petType", Str(), required=True),
        Prop("bark", "bark", Str(), required=True),
    )

    def __init__(self, pet_type: str = "dog", bark: Any = None) -> None:
        self.pet_type = pet_type
        self.bark = bark
        self.additional_properties = {}


def test_model_schema() -> None:
    schema = ModelSchema(Cat)
    assert schema.name == "Cat"
    cat = schema.decode({"petType": "cat", "lives": 9})
    assert isinstance(cat, Cat) and cat.lives == 9
    assert str(invalid(schema, [])) == "expected a JSON object (Cat), got array"
    assert schema.encode(Cat(lives=3), "pet") == {"petType": "cat", "lives": 3}
    with pytest.raises(ApiTypeError, match="`pet`: expected Cat, got dict"):
        schema.encode({"petType": "cat"}, "pet")
    with pytest.raises(ApiTypeError, match=r"`pet\.lives`: expected int"):
        schema.encode(Cat(lives="nine"), "pet")


def test_ref_looks_the_module_up_on_first_use_and_once() -> None:
    name = "runtime_under_test_refs_cat"
    ref = Ref(name)  # the module does not exist yet: models may refer to each other
    module = types.ModuleType(name)
    module.SCHEMA = ModelSchema(Cat)  # type: ignore[attr-defined]
    sys.modules[name] = module
    try:
        assert ref.name == "Cat"
        assert ref.target is module.SCHEMA  # type: ignore[attr-defined]
        assert isinstance(ref.decode({"petType": "cat"}), Cat)
        assert ref.encode(Cat(), "pet") == {"petType": "cat"}
        assert resolve(ref) is module.SCHEMA  # type: ignore[attr-defined]
        del sys.modules[name]
        assert ref.target is module.SCHEMA  # type: ignore[attr-defined]  # kept, not looked up
    finally:
        sys.modules.pop(name, None)
    plain = Str()
    assert resolve(plain) is plain


def test_ref_relative_to_a_package() -> None:
    ref = Ref("._retry", "runtime_under_test")
    with pytest.raises(AttributeError):  # found the module; it has no SCHEMA
        ref.target  # noqa: B018


def test_one_of_with_a_discriminator_takes_the_named_branch() -> None:
    cat, dog = ModelSchema(Cat), ModelSchema(Dog)
    schema = OneOf("Pet", (cat, dog), discriminator="petType", mapping={"cat": cat, "dog": dog})
    assert isinstance(schema.decode({"petType": "dog", "bark": "woof"}), Dog)
    assert isinstance(schema.decode({"petType": "cat"}), Cat)
    # The named branch decides: a dog without its bark is not read as a cat.
    assert invalid(schema, {"petType": "dog"}).where == "bark"
    error = invalid(schema, {"petType": "cow"})
    assert str(error) == "`petType` must be one of 'cat', 'dog'"
    assert "cow" not in str(error)


def test_one_of_without_a_discriminator_takes_the_first_that_fits() -> None:
    schema = OneOf("DogOrCat", (ModelSchema(Dog), ModelSchema(Cat)))
    assert isinstance(schema.decode({"petType": "x", "bark": "woof"}), Dog)
    assert isinstance(schema.decode({"petType": "x"}), Cat)
    assert str(invalid(schema, {"lives": 1})) == "fits none of the schemas of DogOrCat"
    scalar = OneOf("IntOrStr", (Number(integer=True), Str()))
    assert scalar.decode(1) == 1 and scalar.decode("1") == "1"
    assert str(invalid(scalar, [])) == "fits none of the schemas of IntOrStr"


def test_one_of_with_a_discriminator_but_no_mapping_tries_every_branch() -> None:
    schema = OneOf("Pet", (ModelSchema(Dog), ModelSchema(Cat)), discriminator="petType")
    assert isinstance(schema.decode({"petType": "cat"}), Cat)


def test_one_of_encode() -> None:
    schema = OneOf("IntOrStr", (Number(integer=True), Str(max_length=2)))
    assert schema.encode(5, "v") == 5
    assert schema.encode("ab", "v") == "ab"
    with pytest.raises(ApiTypeError, match=r"^Invalid type for `v`: expected IntOrStr, got list$"):
        schema.encode([], "v")
    with pytest.raises(ApiValueError, match="`v`: length must be at most 2"):
        schema.encode("abc", "v")


def test_one_of_encode_reports_the_constraint_of_the_branch_whose_type_fits() -> None:
    """Str refuses -1 by type first; the Number branch's range is what is wrong with it."""
    schema = OneOf("Amount", (Str(), Number(minimum=0)))
    with pytest.raises(ApiValueError, match=r"^Invalid value for `amount`: -1 must be at least 0$"):
        schema.encode(-1, "amount")


# --- facets: broken only there, the value is decoded all the same ----------------------------


@pytest.mark.parametrize(
    ("schema", "value", "kept"),
    [
        (Str(enum=("a", "b")), "c", "c"),
        (Str(pattern="^#[0-9a-f]{6}$"), "sienna", "sienna"),
        (Str(max_length=2), "long", "long"),
        (Number(minimum=0), -1, -1.0),
        (Number(integer=True, enum=(1, 2)), 3, 3),
        (Date(), "29/02/2020", "29/02/2020"),
        (DateTime(), "yesterday", "yesterday"),
        (Base64(), "not base64!", "not base64!"),
        (ListOf(Str(), min_items=2), ["one"], ["one"]),
    ],
)
def test_a_broken_facet_is_tolerated_with_the_value(schema: Any, value: Any, kept: Any) -> None:
    with pytest.raises(Tolerated) as caught:
        schema.decode(value)
    assert caught.value.value == kept
    assert [broken.where for broken in caught.value.breaks] == [""]


def test_containers_gather_every_break_with_its_path_and_stop_at_a_wrong_type() -> None:
    schema = MapOf(ListOf(Str(enum=("x",))))
    with pytest.raises(Tolerated) as caught:
        schema.decode({"a": ["x", "y"], "b": ["z"]})
    assert caught.value.value == {"a": ["x", "y"], "b": ["z"]}
    assert [broken.where for broken in caught.value.breaks] == ["a[1]", "b[0]"]
    assert str(caught.value) == "field `a[1]`: is not one of 'x'"  # as an Invalid: the first
    with pytest.raises(Invalid) as hard:
        schema.decode({"a": ["y"], "b": [1]})
    assert not isinstance(hard.value, Tolerated) and hard.value.where == "b[0]"


def test_one_of_prefers_a_branch_that_fits_strictly() -> None:
    schema = OneOf("ShortOrNumber", (Str(max_length=2), Str(pattern="^[0-9]+$")))
    assert schema.decode("123") == "123"  # the second fits; the first only but for a length
    with pytest.raises(Tolerated) as caught:
        schema.decode("abc")  # fits none strictly: the first that fits but for facets
    assert caught.value.value == "abc" and "length" in caught.value.reason
