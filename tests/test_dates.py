"""Dates: (languages, formats, text) -> ISO date, or the reason it was refused."""

from __future__ import annotations

import datetime as dt

import pytest

from pressbot.dates import DateProblem, parse_date, parse_datetime

TODAY = dt.date(2026, 11, 25)


@pytest.mark.parametrize(
    "text, formats, languages, order, expected",
    [
        ("July 08, 2020", ("%B %d, %Y",), ("en",), None, "2020-07-08"),
        ("July 8, 2020", ("%B %d, %Y",), ("en",), None, "2020-07-08"),
        ("  August\n 20,  2020 ", ("%B %d, %Y",), ("en",), None, "2020-08-20"),
        ("20 August 2020", ("%B %d, %Y",), ("en",), None, "2020-08-20"),  # dateparser fallback
        ("20 août 2020", (), ("fr",), None, "2020-08-20"),
        ("1er mars 2021", (), ("fr",), None, "2021-03-01"),
        ("3. März 2021", (), ("de",), None, "2021-03-03"),
        ("5 de mayo de 2021", (), ("es",), None, "2021-05-05"),
        ("03/04/2021", (), ("en",), "DMY", "2021-04-03"),
        ("03/04/2021", (), ("en",), "MDY", "2021-03-04"),
        ("2020-08-20T12:00:00-04:00", (), ("en",), None, "2020-08-20"),
    ],
)
def test_parse(text, formats, languages, order, expected):
    assert parse_date(text, formats, languages, order, today=TODAY) == expected


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Publié le 1er mars 2022", "2022-03-01"),
        ("Publié le 20 août 2021", "2021-08-20"),
        ("Publié le 3 décembre 2021", "2021-12-03"),
        ("Publié le 14 juillet 2021", "2021-07-14"),
        ("Publié le 2 février 2022", "2022-02-02"),
    ],
)
def test_pattern_picks_the_date_out_of_a_label(text, expected):
    pattern = r"(\d{1,2}(?:er)?\s+\w+\s+\d{4})$"
    assert parse_date(text, (), ("fr",), "DMY", today=TODAY, pattern=pattern) == expected


def test_pattern_not_found():
    with pytest.raises(DateProblem, match="date pattern"):
        parse_date("Publié récemment", (), ("fr",), pattern=r"(\d{4})$", today=TODAY)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Tue, 04 Jun 2024 10:00:00 +0000", "2024-06-04"),
        ("Tue, 04 Jun 2024 10:00:00 GMT", "2024-06-04"),
        ("2024-02-01T00:01:00+01:00", "2024-02-01"),  # the printed local date, not UTC's
    ],
)
def test_feed_and_api_dates(text, expected):
    formats = ("%a, %d %b %Y %H:%M:%S %z", "%a, %d %b %Y %H:%M:%S %Z")
    assert parse_date(text, formats, ("en",), today=TODAY) == expected


@pytest.mark.parametrize(
    "text, problem",
    [
        ("", "no date text"),
        ("soon", "unparseable date 'soon'"),
        ("July 2020", "unparseable date"),  # no day: never guess one
        ("January 5, 1989", "before 1990"),
        ("January 5, 2031", "in the future"),
    ],
)
def test_refused(text, problem):
    with pytest.raises(DateProblem, match=problem):
        parse_date(text, ("%B %d, %Y",), ("en",), today=TODAY)


@pytest.mark.parametrize("text", ["yesterday", "2 days ago", "1594166400", "in 3 weeks"])
def test_relative_dates_and_timestamps_are_not_read(text):
    with pytest.raises(DateProblem, match="unparseable date"):
        parse_date(text, (), ("en",), today=TODAY)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("2020-07-08T09:00:00Z", "2020-07-08T09:00:00Z"),
        ("2020-07-08T09:00:00+02:00", "2020-07-08T09:00:00+02:00"),
        ("Wed, 08 Jul 2020 09:00:00 +0000", "2020-07-08T09:00:00Z"),  # RSS pubDate
        ("Wed, 08 Jul 2020 09:00:00 -0400", "2020-07-08T09:00:00-04:00"),
        ("Wed, 08 Jul 2020 09:00:00 GMT", "2020-07-08T09:00:00Z"),
        ("2020-07-08", None),  # a day, not a time
        ("08 July 2020", None),
        ("not a date: 12:00", None),
    ],
)
def test_published_at_reads_iso_and_rfc_822_times(text, expected):
    assert parse_datetime(text) == expected
