"""_model: models built from answers (decode, from_dict) and sent (encode, to_dict), and shown.

The models are written here as the generator writes them: a Prop table and an __init__.
"""

from __future__ import annotations

import datetime
from typing import Any, Optional

import pytest
from runtime_under_test._model import Model, Prop, to_plain
from runtime_under_test._schema import (
    ANY,
    DateTime,
    Invalid,
    ListOf,
    MapOf,
    ModelSchema,
    Nullable,
    Number,
    Str,
)
from runtime_under_test.exceptions import ApiTypeError, ApiValueError

UTC = datetime.timezone.utc


class Toy(Model):
    _props = (Prop("label", "label", Str(), required=True), Prop("price", "price", Number()))

    def __init__(self, label: Optional[str] = None, price: Optional[float] = None) -> None:
        self.label = label
        self.price = price
        self.additional_properties = {}


class Pet(Model):
    _props = (
        Prop("id", "id", Number(integer=True), required=True, read_only=True),
        Prop("name", "name", Str(min_length=1), required=True),
        Prop("nickname", "nickName", Str(), required=True, nullable=True),
        Prop("born_at", "bornAt", DateTime()),
        Prop("toys", "toys", ListOf(ModelSchema(Toy))),
        Prop("chip_secret", "chipSecret", Str(), secret=True),
    )

    def __init__(
        self,
        name: Optional[str] = None,
        nickname: Optional[str] = None,
        born_at: Optional[datetime.datetime] = None,
        toys: Optional[list[Toy]] = None,
        chip_secret: Optional[str] = None,
        id: Optional[int] = None,
    ) -> None:
        self.id = id
        self.name = name
        self.nickname = nickname
        self.born_at = born_at
        self.toys = toys
        self.chip_secret = chip_secret
        self.additional_properties = {}


class Tagged(Model):
    """additionalProperties with a type: unknown fields are checked and converted."""

    _props = (Prop("name", "name", Str()),)
    _extra = Nullable(DateTime())

    def __init__(self, name: Optional[str] = None) -> None:
        self.name = name
        self.additional_properties = {}


PET = {
    "id": 7,
    "name": "Rex",
    "nickName": None,
    "bornAt": "2020-02-29T10:00:00Z",
    "toys": [{"label": "ball", "price": 2}],
}


def test_decode_reads_every_property_by_its_wire_name() -> None:
    pet = Pet.decode(PET)
    assert pet.id == 7 and pet.name == "Rex" and pet.nickname is None
    assert pet.born_at == datetime.datetime(2020, 2, 29, 10, tzinfo=UTC)
    assert pet.toys == [Toy("ball", 2.0)]
    assert isinstance(pet.toys[0].price, float)
    assert pet.chip_secret is None
    assert pet.additional_properties == {}


def test_decode_keeps_unknown_fields() -> None:
    pet = Pet.decode({**PET, "colour": "brown", "legs": 4})
    assert pet.additional_properties == {"colour": "brown", "legs": 4}
    assert pet.to_dict()["colour"] == "brown"


@pytest.mark.parametrize(
    ("data", "where", "reason"),
    [
        ({**PET, "name": None}, "name", "required property `name` is missing"),
        ({k: v for k, v in PET.items() if k != "name"}, "name", "required property `name` is missing"),
        # nullable and required: present as null is fine, absent is not
        ({k: v for k, v in PET.items() if k != "nickName"}, "nickName", "required property `nickName` is missing"),
        ({**PET, "bornAt": "yesterday"}, "bornAt", "expected an RFC 3339 date-time"),
        ({**PET, "toys": [{"label": "a"}, {"label": 5}]}, "toys[1].label", "expected str, got number"),
    ],
)  # fmt: skip
def test_decode_errors_say_where(data: dict[str, Any], where: str, reason: str) -> None:
    with pytest.raises(Invalid) as caught:
        Pet.decode(data)
    assert caught.value.where == where
    assert caught.value.reason == reason


def test_an_optional_property_sent_as_null_counts_as_absent() -> None:
    assert Pet.decode({**PET, "bornAt": None}).born_at is None


def test_typed_additional_properties_are_checked_and_converted() -> None:
    tagged = Tagged.decode({"name": "a", "seen": "2024-01-02T03:04:05Z", "gone": None})
    assert tagged.additional_properties == {
        "seen": datetime.datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC),
        "gone": None,
    }
    with pytest.raises(Invalid) as caught:
        Tagged.decode({"name": "a", "seen": "soon"})
    assert caught.value.where == "seen"


def test_typed_additional_properties_go_back_as_json() -> None:
    """A model read from an answer can be sent and dumped again: its extras too."""
    tagged = Tagged.decode({"name": "a", "seen": "2024-01-02T03:04:05Z"})
    assert tagged.to_dict() == {"name": "a", "seen": "2024-01-02T03:04:05+00:00"}
    assert tagged.encode("body") == {"name": "a", "seen": "2024-01-02T03:04:05+00:00"}
    tagged.additional_properties["seen"] = "soon"
    with pytest.raises(ApiTypeError, match=r"`body\['seen'\]`: expected datetime.datetime"):
        tagged.encode("body")


def test_from_dict_names_the_class_and_field() -> None:
    assert Pet.from_dict(PET) == Pet.decode(PET)
    with pytest.raises(ApiValueError) as caught:
        Pet.from_dict({**PET, "toys": [{"price": 1}]})
    assert str(caught.value) == (
        "Invalid value for `Pet.toys[0].label`: required property `label` is missing"
    )
    with pytest.raises(ApiValueError, match=r"^Invalid value for `Pet.id`: expected an integer"):
        Pet.from_dict({**PET, "id": 1.5})
    with pytest.raises(ApiTypeError, match="Pet.from_dict expects a mapping, got list"):
        Pet.from_dict([])  # type: ignore[arg-type]


def test_encode_checks_every_property_and_leaves_read_only_ones_out() -> None:
    pet = Pet("Rex", born_at=datetime.datetime(2020, 1, 1, tzinfo=UTC), toys=[Toy("ball")], id=7)
    assert pet.encode("pet") == {
        "name": "Rex",
        "nickName": None,  # required and nullable: sent as null
        "bornAt": "2020-01-01T00:00:00+00:00",
        "toys": [{"label": "ball"}],
    }
    pet.additional_properties = {"colour": "brown"}
    assert pet.encode("pet")["colour"] == "brown"
    assert Pet("Rex", nickname="R").encode("pet")["nickName"] == "R"


def test_encode_errors_name_the_argument_and_property() -> None:
    with pytest.raises(ApiValueError, match=r"^Missing the required parameter `pet.name`$"):
        Pet().encode("pet")
    with pytest.raises(ApiValueError, match=r"`pet.name`: length must be at least 1"):
        Pet("").encode("pet")
    with pytest.raises(ApiValueError, match=r"`pet.toys\[0\].label`"):
        Pet("Rex", toys=[Toy()]).validate("pet")
    with pytest.raises(ApiValueError, match="`pet.born_at`: a date-time needs a time zone"):
        Pet("Rex", born_at=datetime.datetime(2020, 1, 1)).validate("pet")
    Pet("Rex").validate("pet")  # a required read-only id is the server's to fill in


def test_to_dict_is_json_ready_and_keeps_what_encode_leaves_out() -> None:
    pet = Pet.decode({**PET, "chipSecret": "0123456789abcdef", "colour": "brown"})
    assert pet.to_dict() == {
        "id": 7,
        "name": "Rex",
        "nickName": None,
        "bornAt": "2020-02-29T10:00:00+00:00",
        "toys": [{"label": "ball", "price": 2.0}],
        "chipSecret": "0123456789abcdef",
        "colour": "brown",
    }
    assert Pet.decode(pet.to_dict()) == pet


def test_to_plain() -> None:
    day = datetime.date(2024, 1, 2)
    assert to_plain({"a": [Toy("x"), day], "b": 1}) == {"a": [{"label": "x"}, "2024-01-02"], "b": 1}
    assert to_plain([b"\x00\xff", bytearray(b"ab")]) == ["AP8=", "YWI="]  # bytes as base64


def test_equality_compares_type_and_data() -> None:
    assert Toy("a", 1) == Toy("a", 1)
    assert Toy("a", 1) != Toy("a", 2)
    assert Toy("a") != {"label": "a"}
    with pytest.raises(TypeError):
        hash(Toy("a"))


def test_repr_masks_secret_properties() -> None:
    pet = Pet("Rex", chip_secret="0123456789abcdef")
    pet.additional_properties = {"colour": "brown"}
    text = repr(pet)
    assert text == (
        "Pet(id=None, name='Rex', nickname=None, born_at=None, toys=None,"
        " chip_secret='0123\u2026', additional_properties={'colour': 'brown'})"
    )
    assert "0123456789abcdef" not in text
    assert "chip_secret='\u2026'" in repr(Pet("Rex", chip_secret="short-secret"[:11]))


def test_a_free_form_extra_keeps_values_as_they_are() -> None:
    class Free(Model):
        _props = ()
        _extra = MapOf(ANY)

    free = Free.decode({"a": {"b": [1]}})
    assert free.additional_properties == {"a": {"b": [1]}}
    with pytest.raises(Invalid) as caught:
        Free.decode({"a": 1})
    assert caught.value.where == "a"
