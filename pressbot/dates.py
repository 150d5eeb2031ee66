"""Publication dates: the profile's strptime formats first (fast), dateparser second, cached."""

from __future__ import annotations

import datetime as dt
import email.utils
import re
from functools import lru_cache

#: Dates before this are a misread, not a press release.
EARLIEST = dt.date(1990, 1, 1)


class DateProblem(ValueError):
    """A date that cannot be trusted; the message says why."""


def parse_date(
    text: str | None,
    formats: tuple[str, ...] = (),
    languages: tuple[str, ...] = ("en",),
    order: str | None = None,
    today: dt.date | None = None,
    pattern: str | None = None,
) -> str:
    """The ISO date (YYYY-MM-DD) printed in ``text``; raises DateProblem rather than guess.

    ``pattern`` is a regular expression whose first group (or whole match) is the date within
    the text, for labels such as "Publié le 1er mars 2022" or "Posted on May 4, 2023".
    """
    if not text or not text.strip():
        raise DateProblem("no date text")
    text = " ".join(text.split())
    if pattern:
        found = re.search(pattern, text)
        if found is None:
            raise DateProblem(f"date pattern {pattern!r} not found in {text!r}")
        text = found.group(1) if found.groups() else found.group(0)
    day = _parse(text, formats, languages, order)
    if day is None:
        raise DateProblem(f"unparseable date {text.strip()!r}")
    today = today or dt.datetime.now(dt.UTC).date()
    if day < EARLIEST:
        raise DateProblem(f"date {day.isoformat()} is before {EARLIEST.year}")
    if day > today + dt.timedelta(days=1):  # a day of slack for time zones ahead of UTC
        raise DateProblem(f"date {day.isoformat()} is in the future")
    return day.isoformat()


@lru_cache(maxsize=8192)
def _parse(
    text: str, formats: tuple[str, ...], languages: tuple[str, ...], order: str | None
) -> dt.date | None:
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


def parse_datetime(text: str | None) -> str | None:
    """An ISO 8601 timestamp with a time of day (``<time datetime>``, JSON-LD, feeds), kept in
    its own offset and normalised to ``YYYY-MM-DDTHH:MM:SS±HH:MM``; None for anything else."""
    if not text:
        return None
    text = text.strip()
    try:
        if text[:4].isdigit() and ("T" in text or " " in text[10:11]):
            moment = dt.datetime.fromisoformat(text)
        elif ":" in text:  # RFC 822, as RSS's pubDate: "Wed, 08 Jul 2020 09:00:00 +0000"
            moment = email.utils.parsedate_to_datetime(text)
        else:
            return None
    except (ValueError, TypeError):
        return None
    if moment.tzinfo is None:
        return moment.isoformat(timespec="seconds")
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")
