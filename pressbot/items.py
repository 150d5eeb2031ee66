"""The Release item and its identity: stable ids, canonical URLs, content hashes, output lines."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from functools import lru_cache

import orjson
from w3lib.url import canonicalize_url

from pressbot.fields import CONTENT_FIELDS
from pressbot.text import BLANK_LINE, squash

#: pressbot.pagedates.PAGE_SOURCES (not imported: pagedates reads pages, items does not).
_PAGE_SOURCES = ("page metadata", "page text")


@dataclass
class Release:
    """One release record. Its fields' formats and documentation are in pressbot/fields.py;
    they are written out here too, rather than built from that table, so that readers and type
    checkers see them (tests/test_fields.py checks the two name the same fields in one order)."""

    id: str | None = None
    source: str | None = None
    url: str | None = None
    title: str | None = None
    published: str | None = None
    published_raw: str | None = None
    date_source: str | None = None
    summary: str | None = None
    subtitle: str | None = None
    published_at: str | None = None
    modified_at: str | None = None
    body: str | None = None
    author: str | None = None
    language: str | None = None
    listing_url: str | None = None
    crawled_at: str | None = None
    revision: int = 1
    date_problem: str | None = None
    detail_error: str | None = None


#: URLs that w3lib's canonicalize_url returns unchanged: http(s), a lower-case ASCII host, a port
#: without leading zeros, a path of characters it never escapes (nor reads as ;params), no query,
#: no fragment; checked apart: no dot segments, no punycode. Most release URLs are like this, and
#: w3lib takes ~8 µs a URL to say so. (tests/test_items.py compares the two on random URLs.)
_CANONICAL_AS_IS = re.compile(
    r"https?://[a-z0-9-]+(?:\.[a-z0-9-]+)*\.?(?::(?:[1-9][0-9]{0,3}|[1-5][0-9]{4}))?"
    r"/[A-Za-z0-9\-._~!$&'()*+,=:@/]*"
)


@lru_cache(maxsize=2048)
def canonical_url(url: str) -> str:
    """The URL used for identity: canonicalised (sorted query, no fragment)."""
    if _CANONICAL_AS_IS.fullmatch(url) and "/." not in url and "xn--" not in url:
        return url
    return canonicalize_url(url, keep_fragments=False)


@lru_cache(maxsize=2048)
def release_id(source: str, base_url: str, url: str) -> str:
    """A release's stable id: blake2b of its source and its URL relative to the source's base."""
    canon = canonical_url(url)
    base = canonical_url(base_url)
    key = canon[len(base) :] if canon.startswith(base) else canon
    return hashlib.blake2b(f"{source}\n{key}".encode(), digest_size=10).hexdigest()


def content_hash(record: dict) -> str:
    """A digest of the fields whose change is a revision, read as words: every run of
    whitespace, a line or paragraph break included, counts as one space. A change of layout
    alone (a list's items now one a line, a paragraph split in two) is no revision; and a record
    whose text has no line breaks hashes as pressbot 0.1 hashed it."""
    record = _as_listed(record)
    return _digest([squash(str(record.get(k) or "")) for k in CONTENT_FIELDS], record)


def _as_listed(record: dict) -> dict:
    if record.get("date_source") in _PAGE_SOURCES:
        # A date read from the release page is not the listing entry's: a record dated from
        # its page hashes as its listing entry does, so that the walk sees it unchanged and
        # does not fetch its page again on every run.
        return {**record, "published": None}
    return record


def _digest(values: list[str], record: dict) -> str:
    text = "\x1f".join(values)
    if record.get("detail_error"):
        # A record that lacks its release page's part differs from the whole one: the next run
        # sees the listing entry as changed, fetches the page again, and writes the whole
        # record as a revision. (Whole records hash as they always did.)
        text += "\x1f!detail"
    # surrogatepass: a lone surrogate (a JSON feed's "\\ud800") hashes instead of failing.
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=12).hexdigest()


#: The content fields whose blank lines pressbot 0.1 hashed (its one paragraphs field).
_PARAGRAPHS_0_1 = ("summary",)


def content_hash_0_1(record: dict) -> str:
    """The digest pressbot 0.1 stored for this record's text, as near as today's text tells:
    its summary's paragraphs kept apart, all else read as words (0.1 read list items and a
    paragraph's lines as words too). For a record with a one-paragraph summary (or none), it
    is ``content_hash``."""
    record = _as_listed(record)
    values = []
    for k in CONTENT_FIELDS:
        value = str(record.get(k) or "")
        if k in _PARAGRAPHS_0_1:
            value = "\n\n".join(squash(p) for p in BLANK_LINE.split(value) if p.strip())
        else:
            value = squash(value)
        values.append(value)
    return _digest(values, record)


def same_content(stored: str, record: dict) -> bool:
    """Whether ``record`` holds the content whose hash the state stored: the hash of today
    (``content_hash``), or, for a release recorded by pressbot 0.1 whose summary has several
    paragraphs, the hash 0.1 stored for that same text (``content_hash_0_1``). So an upgrade
    rewrites no release whose text only gained its layout."""
    if stored == content_hash(record):
        return True
    summary = record.get("summary")
    return isinstance(summary, str) and "\n" in summary and stored == content_hash_0_1(record)


def record_line(record: dict) -> bytes:
    """One JSON Lines line of the output: compact, UTF-8, newline-terminated.

    orjson writes the same bytes as ``json.dumps(ensure_ascii=False, separators=(",", ":"))``
    encoded as UTF-8, fifteen times faster (0.5 µs a release, not 8). Text UTF-8 cannot hold (a
    lone surrogate from a JSON feed's "\\ud800") is written escaped instead, so that the line is
    valid JSON and reads back as the very same string.
    """
    try:
        return orjson.dumps(record) + b"\n"
    except orjson.JSONEncodeError:
        return json.dumps(record, separators=(",", ":")).encode("ascii") + b"\n"


def run_key(release_id: str) -> int | str:
    """A release id as a set of a whole run's releases keeps it: one of ours (20 lower-case hex
    digits) as the number it spells, 40 bytes of memory rather than 72; any other id as it is.
    A number stands only for the one id it spells back, so no two ids share a key."""
    if len(release_id) == 20:
        try:
            number = int(release_id, 16)
        except ValueError:
            return release_id
        if f"{number:020x}" == release_id:  # (not upper case, no sign, no "_")
            return number
    return release_id
