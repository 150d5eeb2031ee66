"""Normalisation of one extracted entry: clean text, canonical URL, stable id, ISO dates; and
the part of reading dates that needs the whole listing page (``read_listing_dates``).

``normalise`` is a pure function of the entry and its profile, used by the normalise pipeline,
and by the spider where it must know an entry's id and content before deciding to fetch its
detail page.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import TYPE_CHECKING, Any

from pressbot.dates import (
    AmbiguousOrder,
    DateProblem,
    date_text,
    out_of_order,
    parse_date,
    parse_datetime,
    publisher_time,
    settle_order,
)
from pressbot.fields import LINE_FIELDS, PARAGRAPH_FIELDS
from pressbot.items import canonical_url, release_id
from pressbot.pagedates import LISTING, PAGE_METADATA, PAGE_SOURCES
from pressbot.pagetext import language_tag
from pressbot.profiles import Profile
from pressbot.text import clean_text, squash

if TYPE_CHECKING:
    from pressbot.parsing import Listing

logger = logging.getLogger(__name__)

#: The date_problem of an entry that prints no date, where the profile says dates are optional.
NO_DATE = "no date on the listing"


def normalise(entry: dict[str, Any], profile: Profile, today: dt.date | None = None) -> dict:
    """A normalised copy of ``entry`` (item fields); date problems are reported, never guessed.

    A ``published`` already in the entry is what its listing page read (``read_listing_dates``):
    it stands for a numeric date whose day/month order only the page settles, and only as one
    of the two days the printed text can be.
    """
    out = dict(entry)
    # (clean_text, inlined: it runs for six fields of every release, most of them empty)
    for name in LINE_FIELDS:
        if (value := out.get(name)) is not None:
            out[name] = squash(value) or None
    for name in PARAGRAPH_FIELDS:
        if (value := out.get(name)) is not None:
            out[name] = clean_text(value, paragraphs=True)
    if out.get("url"):
        # The id canonicalises the URL itself: give it the URL as the spider did (a cache hit).
        out["id"] = release_id(profile.name, profile.base_url, out["url"])
        out["url"] = canonical_url(out["url"])
    raw = out.get("published_raw")
    # A detail page's time first, else the listing's own text, when it is a timestamp.
    out["published_at"] = publisher_time(
        out.get("published_at") or parse_datetime(raw), profile.date_timezone
    )
    if out.get("modified_at"):
        out["modified_at"] = publisher_time(out["modified_at"], profile.date_timezone)
    if out.get("language"):
        out["language"] = language_tag(out["language"])
    # What the release page said of its date (pressbot.parsing.parse_detail, pressbot.pdf): it
    # stands only where the listing prints no date.
    page_day = entry.get("published") if entry.get("date_source") in PAGE_SOURCES else None
    page_source, page_problem = entry.get("date_source"), entry.get("date_problem")
    out["published"], out["date_problem"], out["date_source"] = None, None, None
    if raw:
        # (A page's day never settles the listing's own date: the walk, which knows only the
        # listing, must see the same record, or it would fetch the page again on every run.)
        settled = None if page_day else entry.get("published")
        try:
            out["published"] = _read(raw, profile, today, settled=settled)
            out["date_source"] = LISTING
        except DateProblem as exc:
            out["date_problem"] = str(exc)
    elif page_day:
        out["published"], out["date_source"] = page_day, page_source
        if page_source == PAGE_METADATA and profile.date_timezone and out["published_at"]:
            # The publisher's zone is known: a time in UTC or with none gives its local day.
            out["published"] = out["published_at"][:10]
    elif out["published_at"]:
        out["published"], out["date_source"] = out["published_at"][:10], PAGE_METADATA
    elif page_problem:
        out["date_problem"] = page_problem
    elif profile.date_optional:
        out["date_problem"] = NO_DATE
    return out


#: What a release page says of its date (pressbot.parsing.parse_detail).
PAGE_DATE_FIELDS = ("published", "date_source", "date_problem")


def with_page(entry: dict[str, Any], found: dict[str, Any]) -> dict[str, Any]:
    """A listing entry with what its release page adds: the listing's values stand, the page
    fills in what the listing lacks; its date only where the listing prints none (a date the
    listing page settled included)."""
    merged = dict(entry)
    listed = bool(entry.get("published_raw"))
    for key, value in found.items():
        if value and not merged.get(key) and not (listed and key in PAGE_DATE_FIELDS):
            merged[key] = value
    return merged


def read_listing_dates(listing: Listing, profile: Profile, today: dt.date | None = None) -> int:
    """What one listing page says about its entries' dates, taken into the entries (in place),
    between ``parse_listing`` and the walk; returns how many dates are out of the listing's
    order (each logged).

    - Where the profile declares no ``[dates] order``, the page's own dates may settle it
      (``settle_order``): an entry whose numeric date is ambiguous then gets ``published``, the
      day in that order, which ``normalise`` keeps. Unsettled, it stays ambiguous: null, with
      the reason.
    - A date far out of the listing's newest-first order (``out_of_order``: a pinned post, a
      misread) is kept as read, logged and counted.
    - Where dates are optional (``[dates] optional = true``), entries without one do not count
      towards the drift alarm's missing fields.
    """
    if profile.date_optional:
        listing.missing.pop("published_raw", None)
    entries = listing.entries
    read: list[str | None] = []
    ambiguous: dict[int, AmbiguousOrder] = {}
    for i, entry in enumerate(entries):
        day = None
        raw = entry.get("published_raw")
        if raw:
            try:
                day = _read(raw, profile, today)
            except AmbiguousOrder as exc:
                ambiguous[i] = exc
            except DateProblem:
                pass
        read.append(day)
    if ambiguous:  # (never where the profile declares the order)
        order = settle_order(_date_texts(entries, profile))
        if order is not None:
            for i, problem in ambiguous.items():
                read[i] = entries[i]["published"] = problem.readings[order]
    days = [dt.date.fromisoformat(day) if day else None for day in read]
    flagged = out_of_order(days)
    for i in flagged:
        logger.warning(
            "%s: date %s (%r) of %s is far out of the listing's newest-first order on %s "
            "(a pinned post, or a misread date); kept",
            profile.name,
            days[i],
            entries[i].get("published_raw"),
            entries[i].get("url"),
            listing.url,
        )
    return len(flagged)


def _date_texts(entries: list[dict[str, Any]], profile: Profile) -> list[str | None]:
    texts: list[str | None] = []
    for entry in entries:
        try:
            texts.append(date_text(entry.get("published_raw"), profile.date_pattern))
        except DateProblem:
            texts.append(None)
    return texts


def _read(raw: str, profile: Profile, today: dt.date | None, settled: str | None = None) -> str:
    """The entry's ISO date from its printed text; ``settled``: the listing page's reading."""
    try:
        return parse_date(
            raw,
            profile.date_formats,
            profile.date_languages,
            profile.date_order,
            today=today,
            pattern=profile.date_pattern,
            timezone=profile.date_timezone,
        )
    except AmbiguousOrder as exc:
        if settled is not None and settled in exc.readings.values():
            return settled
        raise
