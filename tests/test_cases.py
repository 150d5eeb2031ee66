"""Every saved-page case, offline (fixtures/cases/<case>/): every field of every entry, and the
next links, against the expected file a person checked against the page. No reactor, no HTTP.

Re-run one case: ``python -m pytest tests/test_cases.py -k NAME``.
"""

from __future__ import annotations

import pytest

from pressbot.cases import (
    FIXTURES_URL,
    RECORD_FIELDS,
    case_diff,
    case_names,
    load_case,
    run_case,
)
from pressbot.profiles import available_sources, load_profile

_FEED_PARAGRAPHS = ("an HTML summary of two <p> paragraphs comes out as one paragraph: html = true "
                    "fields take the fragment's text with its block boundaries as spaces")
#: Cases where pressbot's output disagrees with the page. Their expected files say what the page
#: says; the test fails until pressbot does too (strict: a fix shows up as an XPASS).
WRONG = {
    "feed-newsroom-page-1": _FEED_PARAGRAPHS,
    "feed-newsroom-atom-page-1": _FEED_PARAGRAPHS,
}
CASES = case_names()


def _params():
    for name in CASES:
        marks = [pytest.mark.xfail(strict=True, reason=WRONG[name])] if name in WRONG else []
        yield pytest.param(name, marks=marks, id=name)


@pytest.mark.parametrize("name", list(_params()))
def test_case(name):
    case = load_case(name)
    problems = case_diff(case.expected(), run_case(case))
    assert not problems, (f"{name}: pressbot's output differs from {case.expected_file} "
                          f"(the page: {case.page}):\n" + "\n".join(problems))


def test_every_wrong_case_exists():
    assert set(WRONG) <= set(CASES)


@pytest.mark.parametrize("source", sorted(available_sources()))
def test_every_shipped_source_has_its_cases(source):
    """Each source's start page is a listing case; a source that follows release pages has at
    least two of them; every record holds every field but the run's own."""
    cases = [load_case(n) for n in CASES]
    mine = [c for c in cases if c.profile_ref == source]
    profile = load_profile(available_sources()[source], FIXTURES_URL)
    assert set(profile.start_urls) <= {c.url for c in mine if c.kind == "listing"}
    if profile.follow_detail:
        assert len([c for c in mine if c.kind == "detail"]) >= 2
    for case in mine:
        expected = case.expected()
        if case.kind == "listing":
            assert set(expected) == {"next", "records"}, case.name
            for record in expected["records"]:
                assert tuple(record) == RECORD_FIELDS, case.name
                assert (record["source"], record["listing_url"]) == (source, case.url), case.name
        else:
            assert set(expected) == {"adds"}, case.name


def test_a_diff_names_each_value_that_differs():
    want = {"next": ["a"], "records": [{"title": "A", "published": "2020-07-29"}]}
    got = {"next": [], "records": [{"title": "A", "published": "2020-07-30"}, {"title": "B"}]}
    assert case_diff(want, got) == [
        "next:\n    expected ['a']\n    got      []",
        "records: expected 1 items, got 2",
        "records[0].published:\n    expected '2020-07-29'\n    got      '2020-07-30'",
    ]
