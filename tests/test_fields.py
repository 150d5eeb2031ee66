"""The field table: the Release dataclass and the JSON Schema say what pressbot/fields.py says."""

from __future__ import annotations

import dataclasses
import json

import jsonschema
import pytest

from pressbot import fields
from pressbot.fields import FIELDS, Field, Format, Origin
from pressbot.items import Release, content_hash
from pressbot.normalise import NO_DATE
from tests.conftest import ROOT

SCHEMA = json.loads((ROOT / "pressbot" / "schema" / "release.schema.json").read_text())

#: A value of each format that the schema accepts, and one it must refuse.
GOOD = {
    Format.ID: "0123456789abcdef0123",
    Format.NAME: "amnesty-ca",
    Format.LINE: "A line",
    Format.TEXT: "One.\nTwo.",
    Format.PARAGRAPHS: "One.\n\nTwo.",
    Format.URL: "https://press.invalid/a",
    Format.DATE: "2020-07-08",
    Format.DATETIME: "2020-07-08T09:30:00Z",
    Format.LANGUAGE: "en-GB",
    Format.INT: 2,
    Format.DATE_SOURCE: "listing",
}
BAD = {
    Format.ID: "not-an-id",
    Format.URL: "/relative",
    Format.DATE: "July 8, 2020",
    Format.DATETIME: "2020-07-08",
    Format.LANGUAGE: "English",
    Format.INT: "2",
    Format.DATE_SOURCE: "guessed",
}


def record(**values) -> dict:
    return {**{f.name: GOOD[f.format] for f in FIELDS}, **values}


def test_the_release_dataclass_has_the_table_s_fields_in_order():
    declared = dataclasses.fields(Release)
    assert [f.name for f in declared] == [f.name for f in FIELDS]
    for dc, field in zip(declared, FIELDS, strict=True):
        assert dc.type == ("int" if field.format is Format.INT else "str | None"), field.name
    # Records are written in the dataclass's order: a new Release is already the record's shape.
    assert list(dataclasses.asdict(Release())) == [f.name for f in FIELDS]


def test_the_schema_has_the_table_s_fields_in_order_and_requires_every_key():
    assert list(SCHEMA["properties"]) == [f.name for f in FIELDS]
    assert SCHEMA["required"] == [f.name for f in FIELDS]
    assert SCHEMA["additionalProperties"] is False


@pytest.mark.parametrize("field", FIELDS, ids=lambda f: f.name)
def test_the_schema_types_each_field_as_the_table_does(field: Field):
    prop = SCHEMA["properties"][field.name]
    types = prop["type"] if isinstance(prop["type"], list) else [prop["type"]]
    assert ("null" in types) == field.nullable
    assert [t for t in types if t != "null"] == ["integer" if field.format is Format.INT else "string"]
    assert prop["description"]
    jsonschema.validate(record(), SCHEMA)
    if field.nullable:
        jsonschema.validate(record(**{field.name: None}), SCHEMA)
    else:
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(record(**{field.name: None}), SCHEMA)
    if field.required:  # a required field is a non-empty one
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(record(**{field.name: ""}), SCHEMA)
    if field.format in BAD:
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(record(**{field.name: BAD[field.format]}), SCHEMA)


def test_every_field_says_where_it_comes_from_and_what_it_is():
    for field in FIELDS:
        assert field.origins and len(set(field.origins)) == len(field.origins), field.name
        assert field.doc and "\n" not in field.doc, field.name
    assert len({f.name for f in FIELDS}) == len(FIELDS)
    assert fields.BY_NAME["published_raw"].origins == (Origin.LISTING,)


def test_what_the_rest_of_pressbot_reads_off_the_table():
    # Spelled out, because each is a contract: the validate pipeline drops on REQUIRED_FIELDS,
    # stored content hashes read CONTENT_FIELDS in this order, profiles are keyed by the rest.
    assert fields.REQUIRED_FIELDS == ("id", "source", "url", "title", "published_raw")
    assert fields.CONTENT_FIELDS == ("title", "published", "summary", "subtitle")
    assert fields.LISTING_FIELDS == ("url", "title", "published_raw", "summary", "subtitle")
    assert fields.REQUIRED_LISTING_FIELDS == ("url", "title", "published_raw")
    assert fields.DETAIL_FIELDS == (
        "title",
        "subtitle",
        "published_at",
        "modified_at",
        "body",
        "author",
        "language",
    )
    assert fields.LINE_FIELDS == ("title", "published_raw", "author")
    assert fields.PARAGRAPH_FIELDS == ("summary", "subtitle", "body")  # text with its layout


def test_content_fields_make_the_content_hash():
    base = record()
    for field in FIELDS:
        changed = content_hash({**base, field.name: "something else"}) != content_hash(base)
        assert changed == field.content, field.name
    # A record's hash as the code before the table computed it: state databases hold these.
    assert (
        content_hash({"title": "T", "published": "2020-07-08", "summary": "S", "subtitle": None})
        == "a80a031353b719c4ca3b5526"
    )


def test_a_record_without_a_printed_date_says_why():
    # Only a source whose profile says dates are optional writes one (pressbot.normalise.NO_DATE).
    jsonschema.validate(record(published_raw=None, published=None, date_problem=NO_DATE), SCHEMA)
    jsonschema.validate(record(published_raw=None, date_problem=None), SCHEMA)  # a release page's date
    # ... or what the release page printed that could not be read for sure.
    page_problem = "on the release page: ambiguous day/month order: '04.05.2021' is …"
    jsonschema.validate(record(published_raw=None, published=None, date_problem=page_problem), SCHEMA)
    for problem in (None, "unparseable date 'x'"):
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(record(published_raw=None, published=None, date_problem=problem), SCHEMA)
    assert fields.REQUIRED_FIELDS == ("id", "source", "url", "title", "published_raw")
    assert [f.name for f in FIELDS if f.profile_optional] == ["published_raw"]
