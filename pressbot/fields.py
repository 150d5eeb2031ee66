"""The release's fields, declared once: name, origin, text format, whether required, whether content.

The Release dataclass (pressbot/items.py), the profile keys (pressbot/profiles.py), the parser,
normalisation, item validation and the JSON Schema (pressbot/schema) all follow this table;
tests/test_fields.py checks that the dataclass and the schema agree with it. A new field is a
row here, then its tests.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Origin(StrEnum):
    """Where a field's value comes from."""

    LISTING = "listing"  # a selector in the profile's [listing.fields], keyed by the field's name
    DETAIL = "detail"  # a selector in [detail.fields] (or the release page's own metadata)
    NORMALISE = "normalise"  # computed from the other fields by pressbot.normalise
    CRAWL = "crawl"  # set by the spider or the pipelines, never missing
    FETCH = "fetch"  # how fetching the release page went: set by the spider when it failed


class Format(StrEnum):
    """What a field's text looks like in the output."""

    ID = "id"  # 20 lower-case hex digits
    NAME = "name"  # a profile name: letters, digits, '-' and '_'
    LINE = "line"  # one line, whitespace-normalised
    #: Text with its layout: a line per list item (or <br>, table row), whitespace-normalised
    #: within each; paragraphs separated by one blank line.
    TEXT = "text"
    PARAGRAPHS = "paragraphs"  # text as above; every match of its selector a paragraph
    URL = "url"  # an absolute URL
    DATE = "iso date"  # YYYY-MM-DD
    DATETIME = "iso datetime"  # YYYY-MM-DDTHH:MM:SS with an offset or Z
    LANGUAGE = "language tag"  # BCP 47: en, en-GB, zh-Hant-TW
    INT = "int"
    DATE_SOURCE = "date source"  # listing, page metadata or page text (pressbot.pagedates)


@dataclass(frozen=True)
class Field:
    """One field of a release record."""

    name: str
    format: Format
    #: Where the value comes from, first the source that wins.
    origins: tuple[Origin, ...]
    doc: str
    #: A record without a value for it is dropped (and counted) by validation.
    required: bool = False
    #: A change of its value makes a known release a new revision.
    content: bool = False
    #: A required field that a profile may declare optional (the printed date, with
    #: ``[dates] optional = true``): that source's records may then hold null.
    profile_optional: bool = False

    @property
    def nullable(self) -> bool:
        """Whether a written record may hold null: neither required (or a profile may waive it)
        nor set by the crawl, which always sets what it sets."""
        return (not self.required or self.profile_optional) and Origin.CRAWL not in self.origins

    @property
    def keeps_all(self) -> bool:
        """Whether a selector of it keeps every match (joined as paragraphs) by default."""
        return self.format is Format.PARAGRAPHS

    @property
    def keeps_layout(self) -> bool:
        """Whether its text keeps lines and paragraphs apart (else it is one line)."""
        return self.format in (Format.TEXT, Format.PARAGRAPHS)


_L, _D, _N, _C = Origin.LISTING, Origin.DETAIL, Origin.NORMALISE, Origin.CRAWL

#: Every field, in the order of the record's keys (and of the Release dataclass).
FIELDS: tuple[Field, ...] = (
    Field(
        "id",
        Format.ID,
        (_N,),
        "Stable id: a hash of the source and the canonical URL relative "
        "to the source's base_url; the same on every run and machine, for every revision.",
        required=True,
    ),
    Field("source", Format.NAME, (_C,), "Name of the source profile that found it.", required=True),
    Field(
        "url", Format.URL, (_L,), "Absolute canonical URL of the release page (no fragment).", required=True
    ),
    Field("title", Format.LINE, (_L, _D), "Headline, whitespace-normalised.", required=True, content=True),
    Field(
        "published",
        Format.DATE,
        (_N,),
        "Publication date; null when the printed date could "
        "not be read or is out of range (see date_problem).",
        content=True,
    ),
    Field(
        "published_raw",
        Format.LINE,
        (_L,),
        "The date as printed on the listing; null only where the profile says dates are optional "
        "(or gives no date selector) and the entry prints none.",
        required=True,
        profile_optional=True,
    ),
    Field(
        "date_source",
        Format.DATE_SOURCE,
        (_N,),
        "Where published came from: 'listing' (the listing's printed date), 'page metadata' (a "
        "structured signal of the release page: JSON-LD, meta tags, <time>, its URL), 'page "
        "text' (a date printed in the release page's text: a guess, said so); null with no date.",
    ),
    Field("summary", Format.PARAGRAPHS, (_L,), "Teaser text from the listing.", content=True),
    Field(
        "subtitle",
        Format.TEXT,
        (_L, _D),
        "The subtitle or deck, where there is one (a deck of bullet points: one a line).",
        content=True,
    ),
    Field(
        "published_at",
        Format.DATETIME,
        (_D, _N),
        "Publication time with its offset, where the source gives one (a detail page, a feed, a JSON API).",
    ),
    Field(
        "modified_at",
        Format.DATETIME,
        (_D, _N),
        "When the release page (or PDF) says it was last modified, with its offset; else null.",
    ),
    Field(
        "body",
        Format.PARAGRAPHS,
        (_D,),
        "Full text of the release, from its detail page: the profile's selector, else the page's "
        "main text (trafilatura), or a PDF's text.",
    ),
    Field("author", Format.LINE, (_D,), "Author or dateline, from the detail page."),
    Field(
        "language",
        Format.LANGUAGE,
        (_D,),
        "The release page's language: as the page (or PDF) declares it, else detected from its "
        "text where the detector is sure; else null.",
    ),
    Field("listing_url", Format.URL, (_C,), "The listing page the entry was found on."),
    Field("crawled_at", Format.DATETIME, (_C,), "When this record was written, UTC (Z)."),
    Field(
        "revision",
        Format.INT,
        (_C,),
        "1 for the first record of a release; n+1 each time its content is seen changed.",
    ),
    Field(
        "date_problem",
        Format.LINE,
        (_N,),
        "Why published is null (unparseable, an ambiguous day/month order, before 1990, in the "
        "future, no date on the listing); else null.",
    ),
    Field(
        "detail_error",
        Format.LINE,
        (Origin.FETCH,),
        "Why the release page added nothing (it failed, is gone, was refused or redirects "
        "elsewhere): the record holds what the listing gives, and the next run fetches the page "
        "again; else null.",
    ),
)

#: Field name -> Field.
BY_NAME: dict[str, Field] = {f.name: f for f in FIELDS}

#: What validation checks: a record lacking any of these is dropped.
REQUIRED_FIELDS: tuple[str, ...] = tuple(f.name for f in FIELDS if f.required)
#: What makes a revision, in the order content_hash reads them (stored hashes depend on it).
CONTENT_FIELDS: tuple[str, ...] = tuple(f.name for f in FIELDS if f.content)
#: The keys of a profile's [listing.fields] and [detail.fields]: the item fields they fill.
LISTING_FIELDS: tuple[str, ...] = tuple(f.name for f in FIELDS if Origin.LISTING in f.origins)
DETAIL_FIELDS: tuple[str, ...] = tuple(f.name for f in FIELDS if Origin.DETAIL in f.origins)
#: Listing selectors every profile must give; entries lacking them count towards drift.
REQUIRED_LISTING_FIELDS: tuple[str, ...] = tuple(n for n in LISTING_FIELDS if BY_NAME[n].required)
#: Extracted text, cleaned by normalisation as one line, or with its layout.
_EXTRACTED = [f for f in FIELDS if {Origin.LISTING, Origin.DETAIL} & set(f.origins)]
LINE_FIELDS: tuple[str, ...] = tuple(f.name for f in _EXTRACTED if f.format is Format.LINE)
#: (Paragraph fields and text fields alike keep their layout: see Field.keeps_layout.)
PARAGRAPH_FIELDS: tuple[str, ...] = tuple(f.name for f in _EXTRACTED if f.keeps_layout)
