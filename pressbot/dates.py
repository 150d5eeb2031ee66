"""Publication dates: the profile's strptime formats first (fast), dateparser second, cached;
day/month orders that are declared or settled, never guessed; the publisher's time zone."""

from __future__ import annotations

import calendar
import datetime as dt
import email.utils
import re
from collections.abc import Iterable, Sequence
from functools import lru_cache
from itertools import pairwise
from zoneinfo import ZoneInfo

#: Dates before this are a misread, not a press release.
EARLIEST = dt.date(1990, 1, 1)
#: The orders a numeric date with its year last can be read in.
DAY_MONTH_ORDERS = ("DMY", "MDY")
#: How far an entry's date may stray from the listing's newest-first order before it is flagged:
#: a week, well under the month or more that a day/month swap or a wrong year moves a date by,
#: well over the time zones and same-day edits that shuffle neighbours on real listings.
OUT_OF_ORDER = dt.timedelta(days=7)

#: A numeric date with its year last, or first with four digits: "11.06.18", "04/12/2025",
#: "4. 12. 2025", "2013/5/1". Not a part of a longer run of numbers (a version, a phone number).
_NUMERIC = re.compile(r"(?<![\d.,/-])(\d{1,4})\s*([./-])\s*(\d{1,2})\s*\2\s*(\d{4}|\d{2})(?![\d])(?!\2\d)")


class DateProblem(ValueError):
    """A date that cannot be trusted; the message says why."""


class AmbiguousOrder(DateProblem):
    """A numeric date that reads as two different days, day first or month first: the profile's
    ``[dates] order`` must say which, or the listing page settle it (``settle_order``)."""

    def __init__(self, text: str, readings: dict[str, str]) -> None:
        #: order ("DMY", "MDY") -> the ISO date the text is in that order.
        self.text, self.readings = text, readings
        super().__init__(
            f"ambiguous day/month order: {text!r} is {readings['DMY']} day first or "
            f"{readings['MDY']} month first; set [dates] order"
        )


def parse_date(
    text: str | None,
    formats: tuple[str, ...] = (),
    languages: tuple[str, ...] = ("en",),
    order: str | None = None,
    today: dt.date | None = None,
    pattern: str | None = None,
    timezone: str | None = None,
) -> str:
    """The ISO date (YYYY-MM-DD) printed in ``text``; raises DateProblem rather than guess.

    ``pattern`` is a regular expression whose first group (or whole match) is the date within
    the text, for labels such as "Publié le 1er mars 2022" or "Posted on May 4, 2023".

    A numeric date with its year last ("04/12/2025") is read in the declared ``order``; with
    none, only when the text itself settles it (a day above 12, or the same day either way):
    else AmbiguousOrder, whose ``readings`` are both days (a reading in the future or before
    1990 is no reading). In a declared order, a date that the order cannot read ("12/25/2024"
    as DMY) is refused, not read in the other order.

    ``timezone`` (an IANA name): a timestamp in UTC or with no offset gives the day it was in
    that zone; a timestamp with another offset gives its own day, whatever the zone.
    """
    today = today or dt.datetime.now(dt.UTC).date()
    found = _parse_date(text, formats, languages, order, today, pattern, timezone)
    if isinstance(found, DateProblem):
        raise _fresh(found)
    return found


@lru_cache(maxsize=1024)
def _parse_date(
    text: str | None,
    formats: tuple[str, ...],
    languages: tuple[str, ...],
    order: str | None,
    today: dt.date,
    pattern: str | None,
    timezone: str | None,
) -> str | DateProblem:
    """parse_date's answer, or its problem (returned, not raised, so that it is cached too).

    A listing's entry is read twice, by the listing page (``read_listing_dates``) and again
    when it is normalised, and neighbouring entries often print the same day: a small cache of
    whole answers spares most readings (a few microseconds each, a fifth of normalising)."""
    try:
        return _parse_date_uncached(text, formats, languages, order, today, pattern, timezone)
    except DateProblem as exc:
        exc.__context__ = None
        return exc.with_traceback(None)


def _fresh(problem: DateProblem) -> DateProblem:
    """A new exception saying what a cached one says (a cached one keeps no traceback)."""
    if isinstance(problem, AmbiguousOrder):
        return AmbiguousOrder(problem.text, problem.readings)
    return type(problem)(*problem.args)


def _parse_date_uncached(
    text: str | None,
    formats: tuple[str, ...],
    languages: tuple[str, ...],
    order: str | None,
    today: dt.date,
    pattern: str | None,
    timezone: str | None,
) -> str:
    text = date_text(text, pattern)
    result = _read(text, formats, languages, order)
    if isinstance(result, AmbiguousOrder):
        # A reading in the future or before 1990 is none: the other one is the date.
        plausible = [day for day in result.readings.values() if _in_range(day, today) is None]
        if not plausible:
            raise DateProblem(_in_range(result.readings["DMY"], today))
        if len(plausible) > 1:
            raise AmbiguousOrder(text, result.readings)
        result = dt.date.fromisoformat(plausible[0])
    if isinstance(result, DateProblem):
        raise type(result)(*result.args)  # a fresh one: the cached one keeps no traceback
    day = result
    if timezone:
        moment = _moment(text)
        if moment is not None and (moment.tzinfo is None or moment.utcoffset() == dt.timedelta(0)):
            day = in_zone(moment, timezone).date()
    problem = _in_range(day.isoformat(), today)
    if problem:
        raise DateProblem(problem)
    return day.isoformat()


def date_text(text: str | None, pattern: str | None = None) -> str:
    """The date part of a printed text: whitespace-normalised, cut out by ``pattern``."""
    if not text or not text.strip():
        raise DateProblem("no date text")
    text = " ".join(text.split())
    if pattern:
        found = re.search(pattern, text)
        if found is None:
            raise DateProblem(f"date pattern {pattern!r} not found in {text!r}")
        text = found.group(1) if found.groups() else found.group(0)
    return text


def _in_range(iso: str, today: dt.date) -> str | None:
    day = dt.date.fromisoformat(iso)
    if day < EARLIEST:
        return f"date {iso} is before {EARLIEST.year}"
    if day > today + dt.timedelta(days=1):  # a day of slack for time zones ahead of UTC
        return f"date {iso} is in the future"
    return None


@lru_cache(maxsize=8192)
def _read(
    text: str, formats: tuple[str, ...], languages: tuple[str, ...], order: str | None
) -> dt.date | DateProblem:
    """The day ``text`` gives, or the problem (returned, not raised, so that it is cached too)."""
    # strptime costs microseconds, dateparser about a millisecond: try the profile's formats first.
    for fmt in formats:
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            pass
    try:
        return dt.datetime.fromisoformat(text).date()
    except ValueError:
        pass
    numeric = _day_month(text)
    if numeric is not None and (order is None or order in DAY_MONTH_ORDERS):
        valid = [o for o in DAY_MONTH_ORDERS if _numeric_day(numeric, o) is not None]
        if order is not None and order not in valid:
            return DateProblem(f"{text!r} is not a date in the declared order {order} ([dates] order)")
        if not valid:
            return DateProblem(f"unparseable date {text!r}")
        if order is None and len(valid) == 1:
            order = valid[0]  # the text settles it: a day above 12
        elif order is None and numeric[0] != numeric[1]:
            readings = {o: _dateparser(text, languages, o) for o in DAY_MONTH_ORDERS}
            if not all(readings.values()):
                return DateProblem(f"unparseable date {text!r}")
            return AmbiguousOrder(text, {o: d.isoformat() for o, d in readings.items() if d is not None})
    day = _dateparser(text, languages, order)
    return day if day is not None else DateProblem(f"unparseable date {text!r}")


@lru_cache(maxsize=8192)
def _dateparser(text: str, languages: tuple[str, ...], order: str | None) -> dt.date | None:
    settings = {
        "STRICT_PARSING": True,  # day, month and year must all be printed: never guess
        "PREFER_DAY_OF_MONTH": "first",
        "RETURN_AS_TIMEZONE_AWARE": False,
        # Printed dates only: no "yesterday" or "2 days ago" (relative to the clock, and
        # cached) and no bare Unix timestamps.
        "PARSERS": ["custom-formats", "absolute-time"],
    }
    if order:
        settings["DATE_ORDER"] = order
    import dateparser  # a third of a second to import: only when a profile's formats miss

    parsed = dateparser.parse(text, languages=list(languages), settings=settings)
    return parsed.date() if parsed else None


def _day_month(text: str) -> tuple[int, int, int] | None:
    """(first, second, year) of the first numeric date in ``text`` whose year is last; None
    when there is none, or when its year comes first (read year, month, day, as ISO 8601)."""
    found = _NUMERIC.search(text)
    if found is None or len(found.group(1)) > 2:
        return None
    year = int(found.group(4))
    if year < 100:  # two digits, as dateparser reads them: 00-69 are 20xx
        year += 2000 if year < 70 else 1900
    return int(found.group(1)), int(found.group(3)), year


def _numeric_day(numeric: tuple[int, int, int], order: str) -> dt.date | None:
    """The day (first, second, year) is in ``order`` ("DMY" or "MDY"), or None if none."""
    first, second, year = numeric
    day, month = (first, second) if order == "DMY" else (second, first)
    if not 1 <= month <= 12 or not 1 <= day <= calendar.monthrange(year, month)[1]:
        return None
    return dt.date(year, month, day)


def settle_order(texts: Iterable[str | None]) -> str | None:
    """The day/month order ("DMY" or "MDY") of one listing page's numeric dates, as the page
    itself proves it, or None when it does not.

    Proof is a date that only one order can read (``25.06.18``: there is no month 25), or, when
    every date reads both ways, the listing's newest-first order: the one order under which the
    page's dates do not go up. A page whose dates contradict each other, or read newest first
    both ways (one date, or dates that differ only in their year), settles nothing.
    """
    found = [n for t in texts if t and (n := _day_month(t)) is not None]
    if not found:
        return None
    orders = [o for o in DAY_MONTH_ORDERS if all(_numeric_day(n, o) is not None for n in found)]
    if len(orders) == 2:
        orders = [o for o in orders if _newest_first([_numeric_day(n, o) for n in found])]
    return orders[0] if len(orders) == 1 else None


def _newest_first(days: Sequence[dt.date | None]) -> bool:
    return all(a is not None and b is not None and a >= b for a, b in pairwise(days))


def out_of_order(days: Sequence[dt.date | None]) -> list[int]:
    """The indexes of the dates (in listing order, None for an entry without one) that are far
    (more than OUT_OF_ORDER) out of the listing's newest-first order.

    The order is the longest run of the page's dates, in page order, that never goes up (of
    runs as long, the one spanning the fewest days); a date off that run is flagged when it is
    newer than the kept date above it, or older than the kept date below it, by more than
    OUT_OF_ORDER: a pinned old post at the top, a misread date in the middle.
    """
    dated = [(i, d) for i, d in enumerate(days) if d is not None]
    if _newest_first([d for _, d in dated]):
        return []  # the common case, in one pass
    # best[k]: (length, -span) of the best run ending at dated[k]; first[k]: where it starts.
    best: list[tuple[int, int]] = []
    first: list[dt.date] = []
    before: list[int] = []
    for k, (_, day) in enumerate(dated):
        best.append((1, 0))
        first.append(day)
        before.append(-1)
        for j in range(k):
            if dated[j][1] >= day:
                option = (best[j][0] + 1, -(first[j] - day).days)
                if option > best[k]:
                    best[k], first[k], before[k] = option, first[j], j
    kept: set[int] = set()
    k = max(range(len(dated)), key=best.__getitem__, default=-1)
    while k != -1:
        kept.add(k)
        k = before[k]
    below: list[dt.date | None] = [None] * len(dated)  # the next kept date down the page
    for k in range(len(dated) - 2, -1, -1):
        below[k] = dated[k + 1][1] if k + 1 in kept else below[k + 1]
    flagged = []
    above: dt.date | None = None  # the last kept date up the page
    for k, (i, day) in enumerate(dated):
        if k in kept:
            above = day
            continue
        under = below[k]
        if (above is not None and day - above > OUT_OF_ORDER) or (
            under is not None and under - day > OUT_OF_ORDER
        ):
            flagged.append(i)
    return flagged


def _moment(text: str) -> dt.datetime | None:
    """An ISO 8601 or RFC 822 timestamp with a time of day, with its offset or none; else None."""
    try:
        if text[:4].isdigit() and ("T" in text or " " in text[10:11]):
            return dt.datetime.fromisoformat(text)
        if ":" in text:  # RFC 822, as RSS's pubDate: "Wed, 08 Jul 2020 09:00:00 +0000"
            return email.utils.parsedate_to_datetime(text)
    except (ValueError, TypeError):
        pass
    return None


def parse_datetime(text: str | None) -> str | None:
    """An ISO 8601 timestamp with a time of day (``<time datetime>``, JSON-LD, feeds), kept in
    its own offset and normalised to ``YYYY-MM-DDTHH:MM:SS±HH:MM`` (UTC as ``Z``); None for
    anything else. A timestamp printed with no offset comes back with none: ``publisher_time``
    says what it means."""
    if not text:
        return None
    moment = _moment(text.strip())
    return _iso(moment) if moment is not None else None


def publisher_time(text: str | None, timezone: str | None) -> str | None:
    """A timestamp (``parse_datetime``'s) as the record's ``published_at``: always with an offset.

    With the publisher's ``timezone``, a time in UTC or with no offset is put in that zone (the
    same moment; a time with no offset is taken to be the publisher's local time); a time with
    another offset keeps it. With no time zone, a time with no offset gives None: no offset is
    invented (the day it names is still the entry's date, from its printed text).
    """
    if not text:
        return None
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    if moment.tzinfo is None and not timezone:
        return None
    if timezone and (moment.tzinfo is None or moment.utcoffset() == dt.timedelta(0)):
        moment = in_zone(moment, timezone)
    return _iso(moment)


def in_zone(moment: dt.datetime, timezone: str) -> dt.datetime:
    """``moment`` in ``timezone``: converted if it has an offset, else taken as local time there."""
    zone = ZoneInfo(timezone)
    return moment.replace(tzinfo=zone) if moment.tzinfo is None else moment.astimezone(zone)


def _iso(moment: dt.datetime) -> str:
    text = moment.isoformat(timespec="seconds")
    return text.replace("+00:00", "Z") if moment.tzinfo is not None else text
