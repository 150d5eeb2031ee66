"""Normalisation of one extracted entry: clean text, canonical URL, stable id, ISO dates.

A pure function of the entry and its profile, used by the normalise pipeline, and by the
spider where it must know an entry's id and content before deciding to fetch its detail page.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from pressbot.dates import DateProblem, parse_date, parse_datetime
from pressbot.fields import LINE_FIELDS, PARAGRAPH_FIELDS
from pressbot.items import canonical_url, release_id
from pressbot.profiles import Profile
from pressbot.text import clean_text


def normalise(entry: dict[str, Any], profile: Profile, today: dt.date | None = None) -> dict:
    """A normalised copy of ``entry`` (item fields); date problems are reported, never guessed."""
    out = dict(entry)
    for name in LINE_FIELDS:
        if name in out:
            out[name] = clean_text(out[name])
    for name in PARAGRAPH_FIELDS:
        if name in out:
            out[name] = clean_text(out[name], paragraphs=True)
    if out.get("url"):
        # The id canonicalises the URL itself: give it the URL as the spider did (a cache hit).
        out["id"] = release_id(profile.name, profile.base_url, out["url"])
        out["url"] = canonical_url(out["url"])
    out["published"], out["date_problem"] = None, None
    raw = out.get("published_raw")
    if raw:
        try:
            out["published"] = parse_date(
                raw,
                profile.date_formats,
                profile.date_languages,
                profile.date_order,
                today=today,
                pattern=profile.date_pattern,
            )
        except DateProblem as exc:
            out["date_problem"] = str(exc)
        if not out.get("published_at"):
            out["published_at"] = parse_datetime(raw)
    if out.get("published_at") and not out["published"] and not out["date_problem"]:
        out["published"] = out["published_at"][:10]
    return out
