"""The profile key table (pressbot/profile_keys.py), the loader and the JSON Schema agree: every
key of the table loads, and validates, with its example value; a value of the wrong type is
refused by both, naming the key; an unknown key is refused by both; every shipped, fixture and
old profile validates; the shipped schema file and README's reference are the table's."""

from __future__ import annotations

import copy
import subprocess
import tomllib
import warnings
from importlib import resources
from pathlib import Path

import jsonschema
import pytest

from pressbot import profile_keys
from pressbot.profile_keys import KEYS, SCHEMA_FILE, Key, Kind, keys_of
from pressbot.profiles import ProfileDeprecationWarning, ProfileError, available_sources, parse_profile
from tests.conftest import FIXTURES, ROOT

SCHEMA = profile_keys.profile_schema()
VALIDATOR = jsonschema.Draft4Validator(SCHEMA)

#: A profile that loads, with no warning: each test sets one key in a copy of it.
BASE: dict = {
    "name": "keys",
    "base_url": "https://press.invalid/",
    "start_urls": ["news"],
    "listing": {
        "entry": "article",
        "next_page": "a.next::attr(href)",
        "fields": {"title": "h2 a", "url": "h2 a::attr(href)", "published_raw": "time"},
    },
}
JSON_FIELDS = {"title": {"jmes": "t"}, "url": {"jmes": "u"}, "published_raw": {"jmes": "d"}}
#: What a key needs beside it to be read (and not to be a setting that does nothing).
CONTEXT: dict[str, dict[str, object]] = {
    "listing.format": {"listing.entry": {"jmes": "items"}, "listing.next_page": {"jmes": "next"}}
    | {"listing.fields": JSON_FIELDS},
    "listing.pagination": {"listing.template": "news?page={n}", "listing.next_page": None},
    "listing.pager": {"listing.pagination": "pager", "listing.next_page": None},
    "listing.template": {"listing.pagination": "template", "listing.next_page": None},
    "listing.first": {
        "listing.pagination": "template",
        "listing.template": "p{n}",
        "listing.next_page": None,
    },
    "listing.step": {"listing.pagination": "template", "listing.template": "p{n}", "listing.next_page": None},
    "listing.json": {"listing.json.fields": JSON_FIELDS},
    "detail.fields": {"detail.follow": True},
}


def _set(raw: dict, path: str, value: object) -> None:
    *tables, name = path.split(".")
    for table in tables:
        raw = raw.setdefault(table, {})
    if value is None:
        raw.pop(name, None)
    else:
        raw[name] = value


#: A table that loads, for the table keys (which have no example of their own).
TABLE_EXAMPLES: dict[str, object] = {
    "listing": BASE["listing"],
    "listing.fields": BASE["listing"]["fields"],
    "listing.json": {"entry": {"jmes": "items"}, "fields": JSON_FIELDS},
    "listing.json.fields": JSON_FIELDS,
    "detail.fields": {"body": ".entry-content p"},
}


def _example(key: Key) -> object:
    if key.kind is Kind.TABLE:
        return copy.deepcopy(TABLE_EXAMPLES.get(key.path, {}))
    return tomllib.loads(f"v = {key.example}")["v"]


def profile_with(key: Key, value: object) -> dict:
    """BASE with ``key`` set to ``value``, and what the key needs beside it."""
    raw = copy.deepcopy(BASE)
    if key.table == "selector":  # a selector's table: as the title selector (JSON: jmes)
        if "jmes" in value:  # type: ignore[operator]
            _set(raw, "listing.json", {"entry": {"jmes": "items"}, "fields": {**JSON_FIELDS, "title": value}})
            return raw
        _set(raw, "listing.fields.title", value)
        return raw
    if key.table.startswith("listing.json"):
        _set(raw, "listing.json", {"entry": {"jmes": "items"}, "fields": dict(JSON_FIELDS)})
    if key.table == "detail.fields":
        _set(raw, "detail.follow", True)
    for path, extra in CONTEXT.get(key.path, {}).items():
        _set(raw, path, extra)
    _set(raw, key.path, value)
    return raw


def load(raw: dict):
    return parse_profile(raw, "keys.toml", "https://fixtures.invalid")


WITH_EXAMPLES = [k for k in KEYS if k.example or k.kind is Kind.TABLE]


@pytest.mark.parametrize("key", WITH_EXAMPLES, ids=lambda k: f"{k.table}:{k.name}")
def test_every_key_loads_and_validates_with_its_example(key):
    raw = profile_with(key, _example(key))
    VALIDATOR.validate(raw)
    if key.renamed_to is None:
        load(raw)  # no ProfileError, and no warning (they are errors here)


def test_every_key_has_an_example_and_a_doc():
    for key in KEYS:
        assert key.doc and "\n" not in key.doc, key.path
        assert key.example or key.kind is Kind.TABLE or key.renamed_to, key.path


#: A value of the wrong type for each kind of key.
WRONG = {
    Kind.STRING: 3,
    Kind.NAME: "not a name!",
    Kind.URL: 3,
    Kind.URLS: [],
    Kind.HOSTS: "example.gov",
    Kind.CHOICE: "nope",
    Kind.INT: "many",
    Kind.SHARE: 2,
    Kind.BOOL: "yes",
    Kind.STRINGS: "%d",
    Kind.REGEX: 3,
    Kind.TIMEZONE: 3,
    Kind.TEMPLATE: "news?page=",
    Kind.SELECTOR: 3,
    Kind.JMES: "items",
    Kind.EXCLUDE: ".sr-only",
    Kind.DURATION: "14 days",
    Kind.TABLE: "a string",
}
#: Keys the loader reads more loosely than the schema (it always did): any TOML value as a title.
LOOSER = {"title"}


@pytest.mark.parametrize(
    "key", [k for k in KEYS if k.path not in LOOSER], ids=lambda k: f"{k.table}:{k.name}"
)
def test_a_wrong_type_is_refused_by_the_loader_and_the_schema(key):
    wrong = WRONG[key.kind]
    if key.table == "selector":
        raw = profile_with(
            key,
            {"css": "h2 a", key.name: wrong}
            if key.name not in ("css", "xpath", "jmes")
            else {key.name: wrong},
        )
        where = "listing.json.fields.title" if key.name == "jmes" else "listing.fields.title"
    else:
        raw = profile_with(key, wrong)
        where = key.path
    with pytest.raises(jsonschema.ValidationError):
        VALIDATOR.validate(raw)
    with pytest.raises(ProfileError) as err, warnings.catch_warnings():
        warnings.simplefilter("ignore", ProfileDeprecationWarning)  # (an old key says so first)
        load(raw)
    assert err.value.key.startswith(where), (err.value.key, where)


@pytest.mark.parametrize("key", [k for k in KEYS if k.kind is Kind.INT], ids=lambda k: k.path)
def test_a_number_under_its_minimum_is_refused_by_both(key):
    raw = profile_with(key, key.minimum - 1)
    with pytest.raises(jsonschema.ValidationError):
        VALIDATOR.validate(raw)
    with pytest.raises(ProfileError, match="at least"):
        load(raw)


@pytest.mark.parametrize("table", profile_keys.TABLES)
def test_an_unknown_key_is_refused_by_both_in_every_table(table):
    key = next(iter(keys_of(table).values()))
    if table == "selector":
        raw = profile_with(key, {"css": "h2 a", "typo": True})
        where = "listing.fields.title.typo"
    elif table == "":
        raw, where = {**copy.deepcopy(BASE), "typo": 1}, "typo"
    else:
        raw = profile_with(key, _example(key))
        _set(raw, f"{table}.typo", 1)
        where = f"{table}.typo"
    with pytest.raises(jsonschema.ValidationError, match="typo"):
        VALIDATOR.validate(raw)
    with pytest.raises(ProfileError) as err:
        load(raw)
    assert err.value.key == where and "unknown key" in err.value.problem


def test_the_schema_s_keys_are_the_loader_s_known_keys():
    """Each table of the schema has exactly the keys the table declares, and the loader reads
    every one of them: a profile holding all of a table's keys loads."""

    def tables(schema: dict, path: str = ""):
        yield path, schema
        for name, sub in schema.get("properties", {}).items():
            if sub.get("type") == "object" and "properties" in sub:
                yield from tables(sub, f"{path}.{name}" if path else name)

    found = dict(tables(SCHEMA))
    assert set(found) == set(profile_keys.TABLES) - {"selector"}
    for table, schema in found.items():
        assert list(schema["properties"]) == list(keys_of(table)), table
        assert schema["additionalProperties"] is False
    selector = SCHEMA["definitions"]["selector"]["oneOf"][1]
    assert list(selector["properties"]) == list(keys_of("selector"))


def test_the_shipped_schema_file_is_the_table_s():
    assert SCHEMA_FILE.read_text(encoding="utf-8") == profile_keys.schema_text(), (
        "pressbot/schema/profile.schema.json is out of date: run `python -m pressbot.profile_keys --write`"
    )
    # It is package data: it travels with an install, beside the shipped profiles.
    shipped = resources.files("pressbot") / "schema" / "profile.schema.json"
    assert shipped.read_text(encoding="utf-8") == profile_keys.schema_text()
    jsonschema.Draft4Validator.check_schema(SCHEMA)


def test_readme_s_reference_is_the_table_s():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert profile_keys.readme_reference() in readme, (
        "README's profile key reference is out of date: run `python -m pressbot.profile_keys --write`"
    )
    assert profile_keys.readme_with_reference(readme) == readme


EVERY_PROFILE = sorted(
    {
        *available_sources().values(),
        *FIXTURES.rglob("*.toml"),
        *(ROOT / "tests" / "old_profiles").glob("*.toml"),
    }
)


@pytest.mark.parametrize("path", EVERY_PROFILE, ids=lambda p: str(Path(p).relative_to(ROOT)))
def test_every_shipped_fixture_and_old_profile_validates(path):
    VALIDATOR.validate(tomllib.loads(Path(path).read_text(encoding="utf-8")))


@pytest.mark.parametrize("name", sorted(available_sources()))
def test_every_shipped_profile_names_the_schema_for_editors(name):
    first = available_sources()[name].read_text(encoding="utf-8").splitlines()[0]
    assert first == "#:schema ../schema/profile.schema.json"
    assert (available_sources()[name].parent / "../schema/profile.schema.json").is_file()


def test_an_old_field_name_stands_for_its_new_one_but_not_beside_it():
    old = copy.deepcopy(BASE)
    old["listing"]["fields"]["published"] = old["listing"]["fields"].pop("published_raw")
    VALIDATOR.validate(old)
    with pytest.warns(ProfileDeprecationWarning):
        load(old)
    both = copy.deepcopy(BASE)
    both["listing"]["fields"]["published"] = "time"
    with pytest.raises(jsonschema.ValidationError):
        VALIDATOR.validate(both)
    with pytest.raises(ProfileError, match="the old name of published_raw"):
        load(both)
    neither = copy.deepcopy(BASE)
    del neither["listing"]["fields"]["published_raw"]
    with pytest.raises(jsonschema.ValidationError):
        VALIDATOR.validate(neither)
    with pytest.raises(ProfileError, match="required"):
        load(neither)


def test_the_schema_refuses_what_a_profile_typo_looks_like():
    raw = copy.deepcopy(BASE)
    raw["listing"]["nextpage"] = "a.next"
    raw["listing"]["max_pages"] = "50"
    messages = sorted(e.message for e in VALIDATOR.iter_errors(raw))
    assert any("nextpage" in m for m in messages) and any(
        "'50' is not of type 'integer'" in m for m in messages
    )


@pytest.mark.integration
def test_taplo_checks_profiles_against_the_schema(tmp_path):
    """Taplo, the engine of VS Code's Even Better TOML (its command line, from the test extra),
    finds the schema through each shipped profile's #:schema line, passes them, and flags a typo
    and a wrong type with their lines."""
    taplo = Path(__import__("sys").executable).with_name("taplo")
    assert taplo.is_file(), "no taplo: pip install -e '.[test]' installs it"
    shipped = [str(p) for p in available_sources().values()]
    ok = subprocess.run([str(taplo), "check", *shipped], capture_output=True, text=True, timeout=60)
    assert ok.returncode == 0, ok.stderr
    broken = tmp_path / "broken.toml"
    text = available_sources()["wp-news"].read_text(encoding="utf-8")
    text = text.replace("#:schema ../schema/profile.schema.json", f"#:schema {SCHEMA_FILE.as_uri()}")
    broken.write_text(
        text.replace("max_pages = 100", 'max_pages = "100"\nnextpage = "a.next"'), encoding="utf-8"
    )
    bad = subprocess.run([str(taplo), "check", str(broken)], capture_output=True, text=True, timeout=60)
    assert bad.returncode != 0
    assert '"100" is not of type "integer"' in bad.stderr and "'nextpage' was unexpected" in bad.stderr
