"""Dates: (languages, formats, text) -> ISO date, or the reason it was refused."""

from __future__ import annotations

import datetime as dt

import pytest

from pressbot.dates import (
    AmbiguousOrder,
    DateProblem,
    out_of_order,
    parse_date,
    parse_datetime,
    publisher_time,
    settle_order,
)

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


# --- numeric dates: the day/month order is declared or settled, never guessed -------------------
@pytest.mark.parametrize(
    "text, day_first, month_first",
    [
        # The three, read month first with no warning before.
        ("11.06.18", "2018-06-11", "2018-11-06"),
        ("04/12/2025", "2025-12-04", "2025-04-12"),
        ("09.12.25", "2025-12-09", "2025-09-12"),
        ("02.10.2015 08:00", "2015-10-02", "2015-02-10"),  # a time after it changes nothing
        ("4. 12. 2025", "2025-12-04", "2025-04-12"),
        ("03-04-2021", "2021-04-03", "2021-03-04"),
    ],
)
def test_an_ambiguous_numeric_date_is_not_read_without_an_order(text, day_first, month_first):
    with pytest.raises(AmbiguousOrder, match=r"ambiguous day/month order: .*set \[dates\] order") as exc:
        parse_date(text, (), ("en",), None, today=TODAY)
    assert exc.value.readings == {"DMY": day_first, "MDY": month_first}
    assert parse_date(text, (), ("en",), "DMY", today=TODAY) == day_first
    assert parse_date(text, (), ("en",), "MDY", today=TODAY) == month_first


@pytest.mark.parametrize(
    "text, expected",
    [
        ("25.06.18", "2018-06-25"),  # no month 25: the text settles it
        ("06/25/2018", "2018-06-25"),
        ("16.02.2016 15:06", "2016-02-16"),
        ("12.12.2020", "2020-12-12"),  # the same day either way
        ("2013/5/1", "2013-05-01"),  # year first: year, month, day
        ("2024.03.04", "2024-03-04"),
        ("12.11.26", "2026-11-12"),  # 2026-12-11 is in the future: no reading
    ],
)
def test_a_numeric_date_whose_own_text_settles_its_order(text, expected):
    assert parse_date(text, (), ("en",), None, today=TODAY) == expected


def test_a_profile_s_format_declares_the_order():
    assert parse_date("03/04/2021", ("%d/%m/%Y",), ("en",), None, today=TODAY) == "2021-04-03"


@pytest.mark.parametrize(
    "text, order, problem",
    [
        ("12/25/2024", "DMY", "not a date in the declared order DMY"),  # not read as MDY
        ("25/12/2024", "MDY", "not a date in the declared order MDY"),
        ("13/13/2024", None, "unparseable date"),
        ("31.02.2024", None, "unparseable date"),
        ("01.02.89", None, "before 1990"),  # both readings are
    ],
)
def test_a_numeric_date_no_order_can_read_is_refused(text, order, problem):
    with pytest.raises(DateProblem, match=problem):
        parse_date(text, (), ("en",), order, today=TODAY)


@pytest.mark.parametrize(
    "texts, order",
    [
        (["11.06.18", "25.06.18"], "DMY"),  # a day above 12 elsewhere on the page
        (["04/12/2025", "03/28/2025"], "MDY"),
        (["Posted 11.06.18", None, "", "no date", "13.05.18"], "DMY"),  # labels, gaps
        # Newest first: only day-first keeps these going down (month first: Feb 7, Nov 6, ...).
        (["02.07.18", "11.06.18", "05.06.18", "01.06.18"], "DMY"),
        (["07/02/2018", "06/11/2018", "06/05/2018"], "MDY"),
        (["02.10.2015", "11.02.2015", "10.09.2014", "03.06.2014", "09.01.2014"], "DMY"),
        # Settles nothing: one date; dates newest first both ways; dates that contradict.
        (["04/12/2025"], None),
        (["04.05.18", "03.05.18", "01.05.18"], None),
        (["01.02.18", "03.04.18"], None),  # going up both ways (an oldest-first page)
        (["13.01.20", "01.13.20"], None),
        (["July 8, 2020", "2020-07-08"], None),
        ([], None),
    ],
)
def test_a_listing_page_settles_its_order_from_its_own_dates(texts, order):
    assert settle_order(texts) == order


D = dt.date


@pytest.mark.parametrize(
    "days, flagged",
    [
        ([D(2023, 5, 4), D(2023, 4, 26), D(2023, 4, 26), D(2023, 4, 1)], []),
        ([], []),
        ([None, D(2020, 1, 1), None], []),
        # A pinned old post at the top (wp-news's sticky post).
        ([D(2019, 9, 2), D(2023, 5, 4), D(2023, 4, 26), D(2023, 4, 11)], [0]),
        # A misread in the middle: 11 June read as 6 November.
        ([D(2018, 6, 11), D(2018, 11, 6), D(2018, 6, 1), None, D(2018, 5, 20)], [1]),
        ([D(2020, 1, 10), D(2020, 1, 9), D(2019, 1, 1), D(2020, 1, 8), D(2020, 1, 7)], [2]),
        # Neighbours a few days out of order (time zones, edits) are not far out of it.
        ([D(2020, 1, 10), D(2020, 1, 12), D(2020, 1, 9), D(2020, 1, 2)], []),
    ],
)
def test_dates_far_out_of_the_listing_s_newest_first_order(days, flagged):
    assert out_of_order(days) == flagged


# --- the publisher's time zone ----------------------------------------------------------------
@pytest.mark.parametrize(
    "text, timezone, expected",
    [
        ("2024-06-04T22:30:00Z", "Europe/Paris", "2024-06-05"),  # UTC: the day in Paris
        ("2024-06-04T22:30:00+00:00", "Europe/Paris", "2024-06-05"),
        ("Tue, 04 Jun 2024 22:30:00 GMT", "Europe/Paris", "2024-06-05"),
        ("2024-06-05T01:30:00Z", "America/New_York", "2024-06-04"),
        ("2024-06-04T23:30:00", "Europe/Paris", "2024-06-04"),  # no offset: local time
        # Its own offset gives its day, whatever the zone (never converted to UTC for it).
        ("2024-06-04T23:30:00-04:00", "Europe/Paris", "2024-06-04"),
        ("2024-02-01T00:01:00+01:00", "America/New_York", "2024-02-01"),
        ("2024-06-04T22:30:00Z", None, "2024-06-04"),  # no zone given: the UTC day, as printed
        ("4 June 2024", "Asia/Tokyo", "2024-06-04"),  # a day, not a time: as printed
    ],
)
def test_the_publisher_s_time_zone_gives_the_day_of_utc_and_local_times(text, timezone, expected):
    assert parse_date(text, (), ("en",), today=TODAY, timezone=timezone) == expected


@pytest.mark.parametrize(
    "text, timezone, expected",
    [
        ("2024-06-04T22:30:00Z", "Europe/Paris", "2024-06-05T00:30:00+02:00"),
        ("2024-01-04T22:30:00Z", "Europe/Paris", "2024-01-04T23:30:00+01:00"),
        ("2024-06-04T23:30:00", "Europe/Paris", "2024-06-04T23:30:00+02:00"),
        ("2024-06-04T23:30:00-04:00", "Europe/Paris", "2024-06-04T23:30:00-04:00"),
        ("2024-06-04T22:30:00Z", None, "2024-06-04T22:30:00Z"),
        ("2024-06-04T23:30:00", None, None),  # no offset and no zone: none invented
        ("2024-01-04T10:00:00Z", "Europe/London", "2024-01-04T10:00:00Z"),
        (None, "Europe/Paris", None),
        ("not a time", "Europe/Paris", None),
    ],
)
def test_published_at_always_carries_an_offset(text, timezone, expected):
    assert publisher_time(text, timezone) == expected


def test_a_reading_asked_again_is_answered_the_same_and_raised_afresh():
    # Answers are cached (an entry is read by its listing page, then normalised): a problem
    # asked for twice is raised twice, as a new exception each time, saying the same.
    raised = []
    for _ in range(2):
        with pytest.raises(AmbiguousOrder) as caught:
            parse_date("04/12/2025", today=TODAY)
        raised.append(caught.value)
    assert raised[0] is not raised[1] and raised[0].readings == raised[1].readings
    assert str(raised[0]) == str(raised[1]) and raised[1].__traceback__.tb_next is not None
    for _ in range(2):
        with pytest.raises(DateProblem, match="unparseable") as caught:
            parse_date("Tuesday", ("%d %B %Y",), today=TODAY)
        assert type(caught.value) is DateProblem


def test_the_day_it_is_is_part_of_a_cached_answer():
    # A date in the future one day is a date the next: today is part of what is cached.
    with pytest.raises(DateProblem, match="in the future"):
        parse_date("5 June 2026", ("%d %B %Y",), today=dt.date(2026, 6, 1))
    assert parse_date("5 June 2026", ("%d %B %Y",), today=dt.date(2026, 6, 10)) == "2026-06-05"
    with pytest.raises(DateProblem, match="in the future"):
        parse_date("5 June 2026", ("%d %B %Y",), today=dt.date(2026, 6, 1))
