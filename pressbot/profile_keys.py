"""Every key of a source profile, declared once: its table, what it takes, its default, what it does.

The loader's known keys (pressbot/profiles.py), the JSON Schema that editors check profiles
against (pressbot/schema/profile.schema.json) and README's profile reference all follow this
table; tests/test_profile_keys.py checks that the three agree. A new key is a row here, then its
loading in profiles.py, then ``python -m pressbot.profile_keys --write`` (the schema file and
README's reference are written from the table).
"""

from __future__ import annotations

import argparse
import json
import re
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from pressbot.fields import BY_NAME, DETAIL_FIELDS, LISTING_FIELDS, REQUIRED_LISTING_FIELDS

SCHEMA_FILE = Path(__file__).resolve().parent / "schema" / "profile.schema.json"


class Kind(StrEnum):
    """What a key takes (its README type is the value)."""

    STRING = "string"
    NAME = "name"
    URL = "URL"
    URLS = "list of URLs"
    HOSTS = "list of host names"
    CHOICE = "string, one of"
    INT = "whole number"
    SHARE = "number from 0 to 1"
    BOOL = "true or false"
    STRINGS = "list of strings"
    REGEX = "regular expression"
    TIMEZONE = "IANA time zone"
    TEMPLATE = "URL with {n}"
    SELECTOR = "selector"
    JMES = "JMESPath selector"
    EXCLUDE = "list of selectors"
    DURATION = "duration"
    TABLE = "table"


@dataclass(frozen=True)
class Key:
    """One key of a profile: ``table`` is where it is ("" for the top level, "selector" for
    the table form of any selector)."""

    table: str
    name: str
    kind: Kind
    doc: str
    #: The value when the key is left out (None: no value, or ``default_text`` says).
    default: Any = None
    #: What README says of the default where the value alone does not tell.
    default_text: str = ""
    #: A value, as written in TOML.
    example: str = ""
    required: bool = False
    choices: tuple[str, ...] = ()
    minimum: int | None = None
    #: A key that still loads under its old name: the new one.
    renamed_to: str | None = None

    @property
    def path(self) -> str:
        return f"{self.table}.{self.name}" if self.table else self.name


_FORMATS = ("html", "xml", "json")
_PAGINATIONS = ("next", "pager", "template")
_DATE_ORDERS = ("DMY", "MDY", "YMD", "YDM", "DYM", "MYD")


def _field_keys(table: str, fields: tuple[str, ...], jmes: bool, old: dict[str, str]) -> list[Key]:
    """The keys of a table of field selectors: one per item field it fills, then old names."""
    kind = Kind.JMES if jmes else Kind.SELECTOR
    keys = []
    for name in fields:
        field = BY_NAME[name]
        required = table != "detail.fields" and name in REQUIRED_LISTING_FIELDS
        # The printed date may be left out where the release pages date the entries.
        dated_by_pages = required and name == "published_raw"
        required = required and not dated_by_pages
        doc = f"fills `{name}`: {field.doc[:1].lower()}{field.doc[1:].rstrip('.')}"
        if dated_by_pages:
            doc += "; leave it out for a listing that prints no dates, with `[detail] follow = true`"
        if field.keeps_all:
            doc += "; every match is kept, as paragraphs (`all = false`: the first)"
        example = {
            "url": '".title a::attr(href)"',
            "title": '".title a"',
            "published_raw": '"time"',
            "summary": '".teaser p"',
            "subtitle": '".deck"',
            "published_at": '"time::attr(datetime)"',
            "modified_at": '"time.updated::attr(datetime)"',
            "body": '".entry-content p"',
            "author": '".byline"',
            "language": '"html::attr(lang)"',
        }[name]
        if jmes:
            example = {
                "url": "path",
                "title": "headline",
                "published_raw": "date",
                "summary": "teaser",
                "subtitle": "deck",
            }[name]
            example = f'{{ jmes = "{example}" }}'
        keys.append(
            Key(
                table,
                name,
                kind,
                doc,
                example=example,
                required=required,
                default_text="required without [detail] follow = true" if dated_by_pages else "",
            )
        )
    for name, new in old.items():
        keys.append(
            Key(table, name, kind, f"the old name of `{new}` (still loads, with a warning)", renamed_to=new)
        )
    return keys


#: Every key, table by table, in the order README lists them.
KEYS: tuple[Key, ...] = (
    Key(
        "",
        "$schema",
        Kind.STRING,
        "where editors find this schema (Taplo, VS Code's Even Better TOML); pressbot ignores it "
        "(a `#:schema` comment does the same)",
        example='"file:///…/pressbot/schema/profile.schema.json"',
    ),
    Key(
        "",
        "name",
        Kind.NAME,
        "the source's name: `-a source=NAME`, and part of every release id; letters, digits, `-`, `_`",
        example='"example-gov"',
        required=True,
    ),
    Key(
        "",
        "title",
        Kind.STRING,
        "the press room's name, for people",
        default_text="the name",
        example='"Example Government: Press"',
    ),
    Key(
        "",
        "base_url",
        Kind.URL,
        "ids are computed relative to it, and relative URLs resolve against it; `{fixtures}` is "
        "the bundled press rooms' origin, `https://fixtures.invalid` (`PRESSBOT_FIXTURES_URL`)",
        example='"https://www.example.gov/"',
        required=True,
    ),
    Key(
        "",
        "start_urls",
        Kind.URLS,
        "the listing's first pages, relative to `base_url`; each starts a walk",
        example='["press"]',
        required=True,
    ),
    Key(
        "",
        "allowed_domains",
        Kind.HOSTS,
        "hosts (and their subdomains) a next page may be on; one elsewhere is a trap",
        default_text="the start URLs' hosts",
        example='["example.gov"]',
    ),
    Key("", "listing", Kind.TABLE, "the listing pages", required=True),
    Key("", "dates", Kind.TABLE, "how printed dates are read"),
    Key("", "detail", Kind.TABLE, "release pages"),
    Key("", "checks", Kind.TABLE, "the drift alarm"),
    # [listing]
    Key(
        "listing",
        "format",
        Kind.CHOICE,
        "what the listing pages are: an HTML page, an RSS or Atom feed (namespaces removed), a JSON endpoint",
        default="html",
        example='"json"',
        choices=_FORMATS,
    ),
    Key(
        "listing",
        "entry",
        Kind.SELECTOR,
        "one match per entry: elements (HTML, XML), or the list of entries (JSON)",
        example='"article.teaser"',
        required=True,
    ),
    Key("listing", "fields", Kind.TABLE, "an entry's fields", required=True),
    Key(
        "listing",
        "next_page",
        Kind.SELECTOR,
        "the next page's link (a JSON response's \"next\" URL); the first match not read yet is "
        'followed; for HTML, `<link rel="next">` when it finds nothing',
        example='"a.next::attr(href)"',
    ),
    Key(
        "listing",
        "pagination",
        Kind.CHOICE,
        "how the next page is found: `next_page`; the first page of a numbered `pager` not read "
        "yet; or a URL `template`",
        default="next",
        example='"template"',
        choices=_PAGINATIONS,
    ),
    Key(
        "listing",
        "pager",
        Kind.SELECTOR,
        'every numbered-page link; required with `pagination = "pager"`',
        example='"nav.pager a::attr(href)"',
    ),
    Key(
        "listing",
        "template",
        Kind.TEMPLATE,
        'page N\'s URL, relative to `base_url`; required with `pagination = "template"`',
        example='"news?page={n}"',
    ),
    Key(
        "listing",
        "first",
        Kind.INT,
        "the template's `{n}` of the first page (page 2 is `first + step`)",
        default=1,
        example="0",
        minimum=0,
    ),
    Key(
        "listing",
        "step",
        Kind.INT,
        "what `{n}` grows by from page to page",
        default=1,
        example="20",
        minimum=1,
    ),
    Key(
        "listing",
        "max_pages",
        Kind.INT,
        "a walk reads at most this many listing pages (`page limit`)",
        default=1000,
        example="50",
        minimum=1,
    ),
    Key(
        "listing",
        "json",
        Kind.TABLE,
        'the pages after the start pages are JSON (a "Load more" endpoint)',
    ),
    *_field_keys("listing.fields", LISTING_FIELDS, jmes=False, old={"published": "published_raw"}),
    # [listing.json]
    Key(
        "listing.json",
        "entry",
        Kind.JMES,
        "the list of entries in a JSON page",
        example='{ jmes = "items" }',
        required=True,
    ),
    Key("listing.json", "fields", Kind.TABLE, "a JSON entry's fields", required=True),
    Key(
        "listing.json",
        "next_page",
        Kind.JMES,
        "the next JSON page's URL, relative to the JSON page's; null or missing on the last",
        example='{ jmes = "links.next" }',
    ),
    *_field_keys("listing.json.fields", LISTING_FIELDS, jmes=True, old={}),
    # [dates]
    Key(
        "dates",
        "formats",
        Kind.STRINGS,
        "strptime formats, tried first (microseconds a date)",
        default=[],
        example='["%d %B %Y"]',
    ),
    Key(
        "dates",
        "languages",
        Kind.STRINGS,
        "then dateparser, in these languages (a millisecond a date; cached)",
        default=["en"],
        example='["fr"]',
    ),
    Key(
        "dates",
        "order",
        Kind.CHOICE,
        "the day/month order of numeric dates such as 03/04/2024",
        default_text="settled by the date or its page, else not read",
        example='"DMY"',
        choices=_DATE_ORDERS,
    ),
    Key(
        "dates",
        "pattern",
        Kind.REGEX,
        "picks the date out of a longer label (searched in its whitespace-normalised text): its "
        "first group, else the whole match, is read; a label it does not match has no date "
        "(`date_problem`)",
        default_text="the whole text",
        example="'(\\d{1,2}(?:er)?\\s+\\w+\\s+\\d{4})$'",
    ),
    Key(
        "dates",
        "timezone",
        Kind.TIMEZONE,
        "the publisher's time zone: the local day of timestamps in UTC or with no offset",
        example='"Europe/Paris"',
    ),
    Key(
        "dates",
        "optional",
        Kind.BOOL,
        "entries that print no date are kept (null date, `date_problem` says why), not dropped",
        default=False,
        example="true",
    ),
    # [detail]
    Key(
        "detail",
        "follow",
        Kind.BOOL,
        "fetch the page of each new or changed release, for what the listing lacks",
        default=False,
        example="true",
    ),
    Key("detail", "fields", Kind.TABLE, "a release page's fields; only with `follow = true`"),
    *_field_keys("detail.fields", DETAIL_FIELDS, jmes=False, old={"published": "published_at"}),
    # [checks]
    Key(
        "checks",
        "min_entries",
        Kind.INT,
        "a listing page with fewer entries is drift (exit 65)",
        default=1,
        example="5",
        minimum=0,
    ),
    Key(
        "checks",
        "max_missing_share",
        Kind.SHARE,
        "a required field missing from more than this share of a page's entries is drift",
        default=0.5,
        example="0.2",
    ),
    Key(
        "checks",
        "max_silence",
        Kind.DURATION,
        "the source is [silent](#silent-sources) (exit status 66) when its newest release is older"
        ' than this: hours, days or weeks (`"36h"`, `"14d"`, `"2w"`); `"off"`: never',
        default_text="learned from the source's history",
        example='"14d"',
    ),
    # a selector's table form
    Key("selector", "css", Kind.STRING, "a CSS selector", example='{ css = "h2 a" }'),
    Key(
        "selector",
        "xpath",
        Kind.STRING,
        "an XPath, relative to the entry",
        example='{ xpath = ".//time/text()" }',
    ),
    Key(
        "selector",
        "jmes",
        Kind.STRING,
        "a JMESPath expression (JSON listings)",
        example='{ jmes = "headline" }',
    ),
    Key(
        "selector",
        "all",
        Kind.BOOL,
        "keep every match, as paragraphs, rather than the first",
        default_text="true for `summary` and `body`, else false",
        example='{ css = ".teaser p", all = true }',
    ),
    Key(
        "selector",
        "html",
        Kind.BOOL,
        "the matched text is itself HTML (an RSS description, a JSON teaser): take its text",
        default=False,
        example='{ xpath = "description", html = true }',
    ),
    Key(
        "selector",
        "exclude",
        Kind.EXCLUDE,
        "elements inside a match whose text is left out (a screen-reader note): CSS strings or "
        '`{ xpath = "…" }` tables, matched within the match (with `html = true`, within its HTML)',
        default=[],
        example='{ css = "h3 a", exclude = [".sr-only"] }',
    ),
)

#: The tables a profile has, by path, in README's order.
TABLES: tuple[str, ...] = tuple(dict.fromkeys(k.table for k in KEYS))
#: What each table is, for README and the schema.
TABLE_DOCS = {
    "": "Keys before any table",
    "listing": "The listing pages",
    "listing.fields": "An entry's fields: the key is the record field it fills",
    "listing.json": 'Pages after the start pages that are JSON ("Load more")',
    "listing.json.fields": "A JSON page's fields (JMESPath selectors)",
    "dates": "How printed dates are read",
    "detail": "Release pages",
    "detail.fields": "A release page's fields: the key is the record field it fills",
    "checks": "The drift alarm",
    "selector": "A selector written as a table (any selector above)",
}


def keys_of(table: str) -> dict[str, Key]:
    """The keys a table may hold, by name."""
    return {k.name: k for k in KEYS if k.table == table}


# --- the JSON Schema ---------------------------------------------------------------------------
# Draft 4: the newest Taplo (and so VS Code's Even Better TOML) reads.
_DRAFT = "http://json-schema.org/draft-04/schema#"


def profile_schema() -> dict[str, Any]:
    """The JSON Schema of a profile file, from the table."""
    selector_props = {k.name: _value_schema(k) for k in KEYS if k.table == "selector"}
    selector_table = {
        "type": "object",
        "additionalProperties": False,
        "properties": selector_props,
        "oneOf": [{"required": [kind]} for kind in ("css", "xpath", "jmes")],
    }
    top = _table_schema("")
    # The printed date (or its old name) is required, but where release pages date the entries.
    dated = {"anyOf": [{"required": ["published_raw"]}, {"required": ["published"]}]}
    follows = {"required": ["follow"], "properties": {"follow": {"enum": [True]}}}
    top.setdefault("allOf", []).append(
        {
            "anyOf": [
                {"required": ["detail"], "properties": {"detail": follows}},
                {"properties": {"listing": {"properties": {"fields": dated}}}},
            ]
        }
    )
    return {
        "$schema": _DRAFT,
        "id": "https://pressbot.invalid/schema/profile.schema.json",
        "title": "pressbot source profile",
        "description": "One press room's profile (pressbot/sources/*.toml): README, Profile reference.",
        **top,
        "definitions": {
            "selector": {
                "description": "A CSS string, or a table with exactly one of css, xpath, jmes.",
                "oneOf": [{"type": "string", "minLength": 1}, selector_table],
            },
            "jmes_selector": {
                "description": 'A table { jmes = "…" }, with all, html, exclude.',
                "type": "object",
                "additionalProperties": False,
                "properties": {n: p for n, p in selector_props.items() if n not in ("css", "xpath")},
                "required": ["jmes"],
            },
            "exclude_item": {
                "description": 'A CSS string, or a table { xpath = "…" }.',
                "oneOf": [
                    {"type": "string", "minLength": 1},
                    {
                        "type": "object",
                        "additionalProperties": False,
                        "properties": {"xpath": {"type": "string", "minLength": 1}},
                        "required": ["xpath"],
                    },
                ],
            },
        },
    }


def _table_schema(table: str) -> dict[str, Any]:
    keys = keys_of(table)
    out: dict[str, Any] = {
        "type": "object",
        "additionalProperties": False,
        "properties": {name: _value_schema(key) for name, key in keys.items()},
    }
    renamed = {key.renamed_to: name for name, key in keys.items() if key.renamed_to}
    required = [name for name, key in keys.items() if key.required and name not in renamed]
    if required:
        out["required"] = required
    # A required key may be given under its old name, but never both names.
    both: list[dict[str, Any]] = [
        {"anyOf": [{"required": [new]}, {"required": [old]}]}
        for new, old in renamed.items()
        if keys[new].required
    ]
    both += [{"not": {"required": [new, old]}} for new, old in renamed.items()]
    if both:
        out["allOf"] = both
    return out


def _value_schema(key: Key) -> dict[str, Any]:
    kind = key.kind
    schema: dict[str, Any]
    if kind is Kind.TABLE:
        schema = _table_schema(key.path)
    elif kind is Kind.SELECTOR:
        schema = {"$ref": "#/definitions/selector"}
    elif kind is Kind.JMES:
        schema = {"$ref": "#/definitions/jmes_selector"}
    elif kind is Kind.EXCLUDE:
        schema = {"type": "array", "items": {"$ref": "#/definitions/exclude_item"}}
    elif kind is Kind.NAME:
        schema = {"type": "string", "pattern": "^[A-Za-z0-9_-]+$"}
    elif kind is Kind.CHOICE:
        schema = {"type": "string", "enum": list(key.choices)}
    elif kind is Kind.INT:
        schema = {"type": "integer", "minimum": key.minimum}
    elif kind is Kind.SHARE:
        schema = {"type": "number", "minimum": 0, "maximum": 1}
    elif kind is Kind.BOOL:
        schema = {"type": "boolean"}
    elif kind is Kind.URLS:
        schema = {"type": "array", "items": {"type": "string", "minLength": 1}, "minItems": 1}
    elif kind in (Kind.HOSTS, Kind.STRINGS):
        schema = {"type": "array", "items": {"type": "string", "minLength": 1}}
    elif kind is Kind.TEMPLATE:
        schema = {"type": "string", "pattern": "\\{n\\}"}
    elif kind is Kind.DURATION:  # (as pressbot.silence reads it; "0d" is refused by the loader)
        schema = {"type": "string", "pattern": "^\\s*(\\d+(\\.\\d+)?\\s*[hdw]|[oO][fF][fF])\\s*$"}
    else:  # STRING, URL, REGEX, TIMEZONE: checked by the loader beyond their type
        schema = {"type": "string", "minLength": 1}
    if "$ref" in schema:
        # Taplo reads nothing beside a $ref: the description goes around it.
        schema = {"allOf": [schema]}
    schema["description"] = _plain(key.doc) + (
        f" Default: {_default_text(key)}." if _default_text(key) else ""
    )
    if key.default is not None:
        schema["default"] = key.default
    if key.renamed_to:
        schema["description"] = f"Deprecated: the key is now {key.renamed_to}."
    return schema


def _plain(doc: str) -> str:
    """README's markdown as plain text, for editors' hover."""
    text = re.sub(r"\[([^\]]+)\]\(#[^)]*\)", r"\1", doc).replace("`", "")
    return text[:1].upper() + text[1:] + ("" if text.endswith(".") else ".")


def _default_text(key: Key) -> str:
    if key.default_text:
        return key.default_text
    if key.default is None or key.default == []:
        return ""
    return json.dumps(key.default) if not isinstance(key.default, bool) else str(key.default).lower()


def schema_text() -> str:
    """The schema file's text, as it is shipped."""
    return json.dumps(profile_schema(), indent=2, ensure_ascii=False) + "\n"


# --- README's reference -----------------------------------------------------------------------
README_BEGIN = (
    "<!-- profile keys: written from pressbot/profile_keys.py by "
    "`python -m pressbot.profile_keys --write` -->"
)
README_END = "<!-- end of profile keys -->"


def readme_reference() -> str:
    """README's table of every key, table by table (between README_BEGIN and README_END)."""
    parts = [README_BEGIN, ""]
    for table in TABLES:
        parts.append(f"#### {_heading(table)}")
        parts.append("")
        parts.append(f"{TABLE_DOCS[table]}.")
        parts.append("")
        parts.append("| key | type | default | example | what |")
        parts.append("|---|---|---|---|---|")
        for key in keys_of(table).values():
            kind = str(key.kind) + (": " + ", ".join(f"`{c}`" for c in key.choices) if key.choices else "")
            if key.required:
                default = "required"
            elif key.renamed_to:
                default = ""
            else:
                default = _default_text(key)
                default = (
                    f"`{default}`"
                    if default and key.default is not None and not key.default_text
                    else default
                )
            example = f"`{key.example}`" if key.example else ""
            if key.kind is Kind.TABLE:
                kind = f"table: [[{key.path}]](#{_anchor(key.path)})"
            elif key.kind in (Kind.SELECTOR, Kind.JMES, Kind.EXCLUDE):
                kind = f"[{kind}](#{_anchor('selector')})"
            name = f'`"{key.name}"`' if key.name.startswith("$") else f"`{key.name}`"
            parts.append(f"| {name} | {kind} | {default or 'none'} | {example} | {_cell(key.doc)} |")
        parts.append("")
    parts.append(README_END)
    return "\n".join(parts)


def _heading(table: str) -> str:
    return "keys: " + (
        "top level" if not table else "selector tables" if table == "selector" else f"[{table}]"
    )


def _anchor(table: str) -> str:
    """The anchor GitHub gives the table's heading."""
    return re.sub(r"[^a-z0-9 _-]", "", _heading(table).lower()).replace(" ", "-")


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def readme_with_reference(readme: str) -> str:
    """README's text with its reference section replaced by ``readme_reference()``."""
    start, end = readme.index(README_BEGIN), readme.index(README_END) + len(README_END)
    return readme[:start] + readme_reference() + readme[end:]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="write the schema file and README's reference")
    parser.add_argument("--readme", type=Path, default=Path(__file__).resolve().parent.parent / "README.md")
    args = parser.parse_args(argv)
    if not args.write:
        print(SCHEMA_FILE)
        return 0
    SCHEMA_FILE.write_text(schema_text(), encoding="utf-8")
    args.readme.write_text(readme_with_reference(args.readme.read_text(encoding="utf-8")), encoding="utf-8")
    print(f"wrote {SCHEMA_FILE} and the reference in {args.readme}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
