"""Normalisation of one entry, and the exit status a run's stats give: pure functions."""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging

import pytest

from pressbot import outcome
from pressbot.fields import FIELDS, Format, Origin
from pressbot.normalise import NO_DATE, normalise, read_listing_dates
from pressbot.parsing import Listing
from pressbot.profiles import available_sources, load_profile

TODAY = dt.date(2026, 11, 25)


@pytest.fixture(scope="module")
def profile():
    return load_profile(available_sources()["amnesty-ca"], "https://fixtures.invalid")


def entry(**fields):
    return {
        "title": "  A  title\n",
        "url": "https://fixtures.invalid/amnesty-ca/en/news/a#top",
        "published_raw": "July 8, 2020",
        "summary": " One  para.\n\n\n Two. ",
        **fields,
    }


def test_a_clean_entry(profile):
    out = normalise(entry(), profile, today=TODAY)
    assert out["title"] == "A title" and out["summary"] == "One para.\n\nTwo."
    assert out["url"] == "https://fixtures.invalid/amnesty-ca/en/news/a"
    assert out["published"] == "2020-07-08" and out["date_problem"] is None
    assert len(out["id"]) == 20


@pytest.mark.parametrize(
    "raw, problem",
    [
        ("July 8, 2027", "in the future"),
        ("July 2020", "unparseable date"),
        ("July 8, 1989", "before 1990"),
    ],
)
def test_a_date_that_cannot_be_trusted_is_null_with_the_reason(profile, raw, problem):
    out = normalise(entry(published_raw=raw), profile, today=TODAY)
    assert out["published"] is None
    assert problem in out["date_problem"]
    assert out["published_raw"] == raw  # the printed text is kept


def test_an_entry_is_not_changed_in_place(profile):
    original = entry()
    normalise(original, profile, today=TODAY)
    assert original == entry()


MESSY = " One  para.\n\n\n Two. "
EXTRACTED_TEXT = [
    f
    for f in FIELDS
    if f.format in (Format.LINE, Format.TEXT, Format.PARAGRAPHS)
    and {Origin.LISTING, Origin.DETAIL} & set(f.origins)
]


@pytest.mark.parametrize("field", EXTRACTED_TEXT, ids=lambda f: f.name)
def test_extracted_text_is_cleaned_as_its_format_says(profile, field):
    out = normalise(entry(**{field.name: MESSY}), profile, today=TODAY)
    assert out[field.name] == ("One para.\n\nTwo." if field.keeps_layout else "One para. Two.")
    lines = normalise(entry(**{field.name: " A  list\n item \n\n"}), profile, today=TODAY)
    assert lines[field.name] == ("A list\nitem" if field.keeps_layout else "A list item")


@pytest.mark.parametrize("field", [f for f in FIELDS if f.origins == (Origin.CRAWL,)], ids=lambda f: f.name)
def test_what_the_crawl_sets_is_left_alone(profile, field):
    assert normalise(entry(**{field.name: MESSY}), profile, today=TODAY)[field.name] == MESSY


@pytest.mark.parametrize(
    "stats, code",
    [
        ({}, outcome.OK),
        ({"pressbot/drift": 1, "pressbot/failed_pages": 2, "finish_reason": "shutdown"}, outcome.DRIFT),
        ({"pressbot/failed_pages": 2, "spider_exceptions/ValueError": 1}, outcome.PAGES_FAILED),
        ({"spider_exceptions/ValueError": 1, "finish_reason": "shutdown"}, outcome.INTERNAL_ERROR),
        ({"pressbot/internal_errors": 1}, outcome.INTERNAL_ERROR),
        ({"finish_reason": "shutdown"}, outcome.INTERRUPTED),
        ({"finish_reason": "finished", "pressbot/new": 15}, outcome.OK),
    ],
)
def test_the_worst_problem_sets_the_exit_status(stats, code):
    assert outcome.exit_code(stats) == code


# --- dates whose reading needs the listing page, the profile's [dates] table -------------------
def dated(profile, **dates):
    """``profile`` with its [dates] table replaced: no formats, no order unless given."""
    values = {"date_formats": (), "date_order": None, **{f"date_{k}": v for k, v in dates.items()}}
    return dataclasses.replace(profile, **values)


def page(*raws, url="https://fixtures.invalid/amnesty-ca/en/news/"):
    entries = [entry(url=f"{url}{i}", published_raw=raw) for i, raw in enumerate(raws)]
    return Listing(url=url, entries=entries)


def read(listing, profile):
    """The page's part, then each entry's, as the spider and the normalise pipeline do."""
    flagged = read_listing_dates(listing, profile, today=TODAY)
    return flagged, [normalise(e, profile, today=TODAY) for e in listing.entries]


@pytest.mark.parametrize("raw", ["11.06.18", "04/12/2025", "09.12.25"])
def test_an_ambiguous_numeric_date_without_an_order_is_null_with_the_reason(profile, raw):
    out = normalise(entry(published_raw=raw), dated(profile), today=TODAY)
    assert out["published"] is None and out["published_raw"] == raw
    assert out["date_problem"].startswith(f"ambiguous day/month order: {raw!r} is ")
    assert out["date_problem"].endswith("set [dates] order")
    assert normalise(entry(published_raw=raw), dated(profile, order="DMY"), today=TODAY)["published"]


@pytest.mark.parametrize(
    "raws, expected",
    [
        # A day above 12 on the page: day first for every entry of it.
        (["25.06.18", "11.06.18", "09.06.18"], ["2018-06-25", "2018-06-11", "2018-06-09"]),
        # Only day-first keeps the page newest first.
        (["02.07.18", "11.06.18", "05.06.18"], ["2018-07-02", "2018-06-11", "2018-06-05"]),
        (["07/02/2018", "06/11/2018", "06/05/2018"], ["2018-07-02", "2018-06-11", "2018-06-05"]),
        # Nothing settles it (newest first both ways): null, each with its reason.
        (["04.05.18", "03.05.18"], [None, None]),
        (["04/12/2025"], [None]),
    ],
)
def test_the_listing_page_settles_an_undeclared_order(profile, raws, expected):
    flagged, out = read(page(*raws), dated(profile))
    assert [o["published"] for o in out] == expected
    assert all(
        ("ambiguous day/month order" in (o["date_problem"] or "")) == (not o["published"]) for o in out
    )
    assert flagged == 0


def test_a_declared_order_is_not_overruled_by_the_page(profile):
    _, out = read(page("11.06.18", "06.25.18"), dated(profile, order="DMY"))
    assert out[0]["published"] == "2018-06-11"
    assert out[1]["published"] is None and "declared order DMY" in out[1]["date_problem"]


def test_only_a_reading_of_the_printed_text_stands_for_it(profile):
    # What the page settled is one of the two days the text can be; anything else is ignored.
    no_order = dated(profile)
    kept = normalise(entry(published_raw="11.06.18", published="2018-06-11"), no_order, today=TODAY)
    assert (kept["published"], kept["date_problem"]) == ("2018-06-11", None)
    forged = normalise(entry(published_raw="11.06.18", published="2018-01-01"), no_order, today=TODAY)
    assert forged["published"] is None and "ambiguous" in forged["date_problem"]
    stale = normalise(entry(published_raw="July 8, 2020", published="2018-06-11"), profile, today=TODAY)
    assert stale["published"] == "2020-07-08"
    # Normalising twice gives the same record.
    assert normalise(kept, no_order, today=TODAY) == kept


def test_dates_far_out_of_the_listing_s_order_are_kept_counted_and_logged(profile, caplog):
    listing = page("September 2, 2019", "May 4, 2023", "April 26, 2023", "Someday", "April 11, 2023")
    with caplog.at_level(logging.WARNING, "pressbot.normalise"):
        flagged, out = read(listing, dated(profile, formats=("%B %d, %Y",)))
    assert flagged == 1
    assert [o["published"] for o in out] == ["2019-09-02", "2023-05-04", "2023-04-26", None, "2023-04-11"]
    [message] = caplog.messages
    assert "amnesty-ca: date 2019-09-02 ('September 2, 2019') of " in message
    assert "far out of the listing's newest-first order on https://fixtures.invalid/" in message


def test_optional_dates_keep_an_undated_entry_with_the_reason(profile):
    optional = dated(profile, optional=True)
    out = normalise(entry(published_raw=None), optional, today=TODAY)
    assert (out["published"], out["date_problem"]) == (None, NO_DATE)
    # A release page's time gives the date, in the publisher's zone.
    paris = dated(profile, optional=True, timezone="Europe/Paris")
    detail = normalise(entry(published_raw=None, published_at="2024-06-04T22:30:00Z"), paris, today=TODAY)
    assert (detail["published"], detail["date_problem"]) == ("2024-06-05", None)
    assert detail["published_at"] == "2024-06-05T00:30:00+02:00"
    # Not optional: no reason given here, the entry is dropped by validation (as before).
    assert normalise(entry(published_raw=None), profile, today=TODAY)["date_problem"] is None


def test_a_release_page_dates_an_entry_its_listing_does_not(profile):
    optional = dated(profile, optional=True)
    # What pressbot.parsing.parse_detail gives for the page (pressbot.pagedates).
    page_date = {
        "published": "2024-03-04",
        "date_source": "page metadata",
        "published_at": "2024-03-04T23:30:00-05:00",
    }
    out = normalise(entry(published_raw=None, **page_date), optional, today=TODAY)
    assert (out["published"], out["date_source"], out["date_problem"], out["published_at"]) == (
        "2024-03-04",
        "page metadata",
        None,
        "2024-03-04T23:30:00-05:00",
    )
    assert normalise(out, optional, today=TODAY) == out  # (the pipeline normalises it again)
    # The listing's printed date stands over the page's, and the page does not settle it.
    out = normalise(entry(**page_date), optional, today=TODAY)
    assert (out["published"], out["date_source"]) == ("2020-07-08", "listing")
    ambiguous = entry(published_raw="03/04/2024", **page_date)
    out = normalise(ambiguous, optional, today=TODAY)
    assert (out["published"], out["date_source"]) == (None, None)
    assert out["date_problem"].startswith("ambiguous day/month order: '03/04/2024'")
    # A date read from the page's text says so.
    guess = entry(published_raw=None, published="2024-02-05", date_source="page text")
    assert normalise(guess, optional, today=TODAY)["date_source"] == "page text"
    # A date the page prints that cannot be read for sure: the page's reason.
    problem = "on the release page: ambiguous day/month order: '02/01/2024' is …"
    out = normalise(entry(published_raw=None, date_problem=problem), optional, today=TODAY)
    assert (out["published"], out["date_source"], out["date_problem"]) == (None, None, problem)
    # With the publisher's time zone, a page's time in UTC gives its local day.
    paris = dated(profile, optional=True, timezone="Europe/Paris")
    late = {"published": "2024-06-04", "date_source": "page metadata", "published_at": "2024-06-04T22:30:00Z"}
    out = normalise(entry(published_raw=None, **late), paris, today=TODAY)
    assert (out["published"], out["published_at"]) == ("2024-06-05", "2024-06-05T00:30:00+02:00")


def test_optional_dates_are_not_missing_fields_for_the_drift_alarm(profile):
    listing = page(None, None, "July 8, 2020")
    listing.missing = {"published_raw": 2}
    read_listing_dates(listing, profile, today=TODAY)
    assert listing.missing == {"published_raw": 2}
    read_listing_dates(listing, dated(profile, optional=True), today=TODAY)
    assert listing.missing == {}


@pytest.mark.parametrize(
    "raw, timezone, published, published_at",
    [
        ("2024-06-04T22:30:00Z", "Europe/Paris", "2024-06-05", "2024-06-05T00:30:00+02:00"),
        ("2024-06-04T22:30:00Z", None, "2024-06-04", "2024-06-04T22:30:00Z"),
        ("2024-06-04T23:30:00", "Europe/Paris", "2024-06-04", "2024-06-04T23:30:00+02:00"),
        # No offset and no zone: the printed day, and no published_at rather than an invented one.
        ("2024-06-04T23:30:00", None, "2024-06-04", None),
        ("2024-06-04T23:30:00-04:00", "Europe/Paris", "2024-06-04", "2024-06-04T23:30:00-04:00"),
        ("Tue, 04 Jun 2024 22:30:00 +0000", "Europe/Paris", "2024-06-05", "2024-06-05T00:30:00+02:00"),
    ],
)
def test_timestamps_in_the_publisher_s_time_zone(profile, raw, timezone, published, published_at):
    out = normalise(entry(published_raw=raw), dated(profile, timezone=timezone), today=TODAY)
    assert (out["published"], out["published_at"], out["date_problem"]) == (published, published_at, None)


def test_a_release_page_adds_what_its_listing_lacks_and_its_date_only_where_the_listing_has_none():
    from pressbot.normalise import with_page

    page = {"body": "Text.", "published": "2024-03-04", "date_source": "page metadata", "title": "Page's"}
    listed = {"title": "Listing's", "published_raw": "04/03/2024", "published": "2024-03-04"}
    # A listing date (here one its listing page settled) stands, and the page's date stays out.
    assert with_page(listed, page) == {**listed, "body": "Text."}
    undated = {"title": "Listing's", "published_raw": None}
    assert with_page(undated, page) == {**page, "title": "Listing's", "published_raw": None}
