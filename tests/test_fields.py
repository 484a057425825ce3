"""Field tables: the same rules for a web form and a JSON body, every problem named at once."""

from __future__ import annotations

import pytest
from starlette.datastructures import ImmutableMultiDict

from organise.fields import Field, FieldProblem, FieldTable
from organise.i18n import _l
from organise.refusal import Refused


def _upper_code(value: str) -> str:
    if len(value) != 2:
        raise FieldProblem(_l("Country must be a two-letter code."), "unknown_country")
    return value.upper()


TABLE = FieldTable(
    name="Example",
    fields=(
        Field("name", _l("Name"), required=True, max_chars=10),
        Field("count", _l("Count"), kind="integer", minimum=2, maximum=100),
        Field("public", _l("Listed"), kind="boolean"),
        Field(
            "tags", _l("Tags"), kind="list", max_items=3, max_chars=8, choices=lambda: {"a", "b"}
        ),
        Field("links", _l("Links"), kind="list", lines=True, max_items=2),
        Field("country", _l("Country"), normalise=_upper_code),
    ),
)


def _refusal(call, *args) -> Refused:
    with pytest.raises(Refused) as caught:
        call(*args)
    return caught.value


def test_json_and_form_give_the_same_values():
    from_json = TABLE.read_json(
        {"name": " Rosa ", "count": 12, "public": True, "tags": ["a", "b", "a"], "country": "de"}
    )
    typed = [("name", " Rosa "), ("count", "12"), ("public", "on"), ("country", "de")]
    form = ImmutableMultiDict([*typed, ("tags", "a"), ("tags", "b"), ("tags", "a"), ("links", "")])
    assert TABLE.read_form(form) == from_json
    assert from_json == {
        "name": "Rosa",
        "count": 12,
        "public": True,
        "tags": ["a", "b"],
        "links": [],
        "country": "DE",
    }


def test_every_problem_is_named_at_once():
    refusal = _refusal(
        TABLE.read_json, {"name": "", "count": 1, "public": "yes", "tags": ["z"], "country": "xyz"}
    )
    assert refusal.status == 422
    assert refusal.code == "missing_field"  # the first problem, in table order
    assert set(refusal.errors) == {"name", "count", "public", "tags", "country"}
    messages = refusal.field_messages()
    assert messages["name"] == "Name is required."
    assert messages["count"] == "Count must be a whole number from 2 to 100."
    assert messages["public"] == "Listed must be true or false."
    assert "not one of the accepted values" in messages["tags"]
    assert messages["country"] == "Country must be a two-letter code."


@pytest.mark.parametrize(
    ("data", "code", "status"),
    [
        ({"name": 7}, "invalid_field", 422),
        ({"name": "x" * 11}, "too_long", 422),
        ({"name": "a\x00b"}, "invalid_text", 400),
        ({"name": "\ud800"}, "invalid_text", 400),
        ({"name": "Rosa", "count": True}, "invalid_field", 422),
        ({"name": "Rosa", "count": "12"}, "invalid_field", 422),
        ({"name": "Rosa", "tags": "a"}, "invalid_field", 422),
        ({"name": "Rosa", "tags": ["a", "b", "a", "b"]}, "too_many", 422),
        ({"name": "Rosa", "extra": 1}, "unknown_field", 422),
    ],
)
def test_json_types_and_limits_are_enforced(data, code, status):
    refusal = _refusal(TABLE.read_json, data)
    assert (refusal.code, refusal.status) == (code, status)


@pytest.mark.parametrize("typed", ["١٢", "12.0", "-3", " ", "1e3", "٣"])
def test_form_numbers_are_ascii_digits_only(typed):
    form = ImmutableMultiDict([("name", "Rosa"), ("count", typed)])
    if typed.strip():
        assert _refusal(TABLE.read_form, form).code == "invalid_field"
    else:
        assert TABLE.read_form(form)["count"] is None


def test_an_unknown_field_name_is_echoed_only_when_plain():
    refusal = _refusal(TABLE.read_json, {"name": "Rosa", "<script>": 1})
    assert refusal.message == "Unknown field ?."


def test_lines_fields_take_one_item_per_line_from_a_form():
    form = ImmutableMultiDict([("name", "Rosa"), ("links", "one\r\n\r\n two \n")])
    assert TABLE.read_form(form)["links"] == ["one", "two"]
    assert TABLE.typed_back(form)["links"] == "one\r\n\r\n two \n"


def test_the_schema_states_the_enforced_limits():
    schema = TABLE.schema()
    assert schema["required"] == ["name"]
    assert schema["additionalProperties"] is False
    properties = schema["properties"]
    assert properties["name"] == {"type": "string", "maxLength": 10}
    assert properties["count"] == {
        "type": "integer",
        "minimum": 2,
        "maximum": 100,
        "nullable": True,
    }
    assert properties["tags"]["maxItems"] == 3
    assert properties["tags"]["items"] == {"type": "string", "maxLength": 8}


def test_a_table_refuses_a_field_listed_twice():
    with pytest.raises(ValueError, match="twice"):
        FieldTable("Twice", (Field("a", "A"), Field("a", "A again")))
