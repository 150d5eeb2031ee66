"""Normalisation of one entry, and the exit status a run's stats give: pure functions."""

from __future__ import annotations

import datetime as dt

import pytest

from pressbot import outcome
from pressbot.fields import FIELDS, Format, Origin
from pressbot.normalise import normalise
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
    if f.format in (Format.LINE, Format.PARAGRAPHS) and {Origin.LISTING, Origin.DETAIL} & set(f.origins)
]


@pytest.mark.parametrize("field", EXTRACTED_TEXT, ids=lambda f: f.name)
def test_extracted_text_is_cleaned_as_its_format_says(profile, field):
    out = normalise(entry(**{field.name: MESSY}), profile, today=TODAY)
    assert out[field.name] == ("One para.\n\nTwo." if field.format is Format.PARAGRAPHS else "One para. Two.")


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
