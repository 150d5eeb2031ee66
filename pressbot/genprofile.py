"""A discovered profile as a TOML file a person can read and edit: the keys in the order of a
hand-written profile, each with a comment saying what it matched and how sure pressbot is;
and the report ``scrapy genprofile`` prints beside it.
"""

from __future__ import annotations

import datetime as dt
import json
import tomllib
from typing import Any

from pressbot import __version__
from pressbot.discover import Discovery, load, releases

#: Keys of the tables in the order a hand-written profile has them.
_TOP = ("name", "title", "base_url", "start_urls", "allowed_domains")
_LISTING = ("format", "entry", "pagination", "next_page", "pager", "template", "first", "step", "max_pages")


def toml_value(value: Any) -> str:
    """A TOML value for the profile's kinds: strings (literal where they hold backslashes, as
    regular expressions do), lists, inline tables, booleans and whole numbers."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        if "\\" in value and "'" not in value and "\n" not in value:
            return f"'{value}'"
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {toml_value(v)}" for k, v in value.items()) + " }"
    raise TypeError(f"no TOML for {type(value).__name__}")


def _line(key: str, value: Any, comment: str | None = None) -> str:
    text = f"{key} = {toml_value(value)}"
    return f"{text}  # {comment}" if comment else text


def to_toml(found: Discovery, command: str, page: str | None = None) -> str:
    """The profile ``found`` as a commented TOML file; it loads back to the same profile."""
    assert found.profile is not None
    profile = found.profile
    notes = found.notes
    lines = [
        f"# Written by `{command}` on {dt.date.today().isoformat()} (pressbot {__version__}).",
        f"# The listing: {found.reason}.",
    ]
    if page:
        lines.append(f"# Chosen: {page}")
    lines += [
        "# Check it with `scrapy inspect THIS_FILE URL`, edit any selector, then",
        "# `scrapy crawl releases -a profile=THIS_FILE`.",
        "",
    ]
    comments = {
        "base_url": "ids are computed relative to this: keep it when the listing moves",
        "start_urls": "the listing's first page",
    }
    for key in _TOP:
        if key in profile:
            lines.append(_line(key, profile[key], comments.get(key)))
    listing = profile["listing"]
    lines += ["", "[listing]"]
    by_field = {r.name: r for r in found.fields}
    for key in _LISTING:
        if key not in listing:
            continue
        comment = None
        if key == "entry":
            comment = f"one match per entry ({len(found.entries) or 'see the report'})"
        elif key in ("next_page", "pager", "template"):
            comment = notes.get("pagination")
        elif key == "max_pages" and listing[key] == 1:
            comment = "no pagination found: raise it where the listing has more pages"
        lines.append(_line(key, listing[key], comment))
    if not any(k in listing for k in ("next_page", "pager", "template")):
        lines.append(f"# next_page: {notes.get('pagination', 'none found')}")
    lines += ["", "[listing.fields]"]
    for key, value in listing["fields"].items():
        report = by_field.get(key)
        comment = f"{report.confidence}, {report.filled}/{report.total}: {report.note}" if report else None
        if report is not None and report.confidence == "none":
            comment = report.note
        lines.append(_line(key, value, comment))
    for name, report in by_field.items():
        if name not in listing["fields"]:
            lines.append(f"# {name}: {report.note}")
    later = listing.get("json")
    if later:
        lines += ["", "[listing.json]  # the pages after the first answer JSON (a load-more endpoint)"]
        for key in ("entry", "next_page"):
            if key in later:
                lines.append(_line(key, later[key]))
        lines += ["", "[listing.json.fields]"]
        for key, value in later["fields"].items():
            lines.append(_line(key, value))
    dates = profile.get("dates")
    if dates:
        lines += ["", "[dates]"]
        for key, value in dates.items():
            comment = None
            if key == "languages":
                comment = "the language the dates are printed in"
            elif key == "pattern":
                comment = "the date within its label"
            elif key == "order":
                comment = notes.get("dates")
            elif key == "optional":
                comment = notes.get("optional") or "entries may print no date"
            lines.append(_line(key, value, comment))
        if "order" not in dates and notes.get("dates") and "numeric" in notes.get("dates", "") + "order":
            lines.append(f"# order: {notes['dates']}")
    detail = profile.get("detail")
    if detail:
        lines += ["", "[detail]"]
        for key, value in detail.items():
            lines.append(_line(key, value, notes.get("detail")))
    text = "\n".join(lines) + "\n"
    if tomllib.loads(text) != profile:  # what is written is what was found
        raise AssertionError("the TOML written does not read back as the profile found")
    return text


def report(found: Discovery, body: bytes, chosen_why: list[str], limit: int = 10) -> str:
    """What pressbot found, field by field, how sure it is, and the releases it would write."""
    lines = [f"page       {found.url} ({len(body):,} bytes)"]
    lines += [f"why        {w}" for w in chosen_why]
    lines.append(f"listing    {'yes' if found.sure else 'NO'}: {found.reason}")
    if found.feeds:
        lines.append(f"feeds      {', '.join(found.feeds)}")
    if not found.sure or found.profile is None:
        for score, sig, n in found.candidates[:5]:
            lines.append(f"weighed    {sig} x{n} (score {score})")
        return "\n".join(lines) + "\n"
    listing = found.profile["listing"]
    lines.append(f"entry      {listing['entry']}")
    for r in found.fields:
        lines.append(f"field      {r.line()}")
    lines.append(f"pagination {found.notes.get('pagination', 'none')}")
    if "dates" in found.profile:
        lines.append(f"dates      {json.dumps(found.profile['dates'], ensure_ascii=False)}")
        if found.notes.get("dates"):
            lines.append(f"order      {found.notes['dates']}")
    records, next_urls = releases(load(found.profile), body, found.url)
    lines.append(f"next       {next_urls[0] if next_urls else 'none'}")
    lines.append(
        f"releases   {len(records)} on this page" + (f", the first {limit}:" if len(records) > limit else ":")
    )
    for record in records[:limit]:
        day = record.get("published") or "    -     "
        lines.append(f"  {day}  {record['title'][:90]}")
        lines.append(f"              {record['url']}")
    return "\n".join(lines) + "\n"
