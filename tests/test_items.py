"""Identity: canonical URLs and stable release ids."""

from __future__ import annotations

import random

import pytest
from w3lib.url import canonicalize_url

from pressbot.items import canonical_url, content_hash, release_id

HOSTS = [
    "e.com",
    "a-b.example.org",
    "1.2.3.4",
    "E.com",
    "e.com.",
    "xn--caf-dma.com",
    "xn--a.com",
    "e..com",
    "-e.com",
    "localhost",
    "café.example",
]
PORTS = ["", ":80", ":8000", ":08000", ":65535", ":65536", ":99999", ":0", ":12345", ":"]
PATH_CHARS = "aZ09-._~!$&'()*+,;=:@/%?#[]| é"


def _w3lib(url: str):
    try:
        return canonicalize_url(url, keep_fragments=False)
    except ValueError as exc:
        return type(exc)


def _ours(url: str):
    canonical_url.cache_clear()
    try:
        return canonical_url(url)
    except ValueError as exc:
        return type(exc)


def test_fast_path_agrees_with_w3lib_on_random_urls():
    rnd = random.Random(20201125)
    for _ in range(20_000):
        path = "/" + "".join(rnd.choice(PATH_CHARS) for _ in range(rnd.randint(0, 12)))
        url = f"{rnd.choice(['http', 'https', 'HTTP'])}://{rnd.choice(HOSTS)}{rnd.choice(PORTS)}{path}"
        assert _ours(url) == _w3lib(url), url


@pytest.mark.parametrize(
    "url, canonical",
    [
        (
            "http://127.0.0.1:8000/synthetic/news/r/1979.html",
            "http://127.0.0.1:8000/synthetic/news/r/1979.html",
        ),
        ("HTTP://Example.COM/a/./b/../c", "http://example.com/a/c"),
        ("https://e.com/a;", "https://e.com/a"),
        ("https://e.com/a?b=1&a=2#top", "https://e.com/a?a=2&b=1"),
        ("http://e.com/a b", "http://e.com/a%20b"),
    ],
)
def test_canonical_url(url, canonical):
    assert _ours(url) == canonical == _w3lib(url)


def test_release_id_is_relative_to_the_base_and_ignores_the_fragment():
    a = release_id("s", "http://127.0.0.1:8000/", "http://127.0.0.1:8000/news/1.html#x")
    b = release_id("s", "https://mirror.invalid/", "https://mirror.invalid/news/1.html")
    assert a == b and len(a) == 20
    assert release_id("other", "http://127.0.0.1:8000/", "http://127.0.0.1:8000/news/1.html") != a


BASE_RECORD = {
    "id": "a",
    "source": "s",
    "url": "https://x.invalid/1",
    "title": "Title",
    "published": "2020-07-08",
    "summary": "One.\n\nTwo.",
    "subtitle": "Sub",
    "listing_url": "https://x.invalid/news",
    "crawled_at": "2026-11-25T10:00:00Z",
    "revision": 1,
}


@pytest.mark.parametrize("field", ["title", "published", "summary", "subtitle"])
def test_a_change_of_content_is_a_revision(field):
    changed = {**BASE_RECORD, field: "something else"}
    assert content_hash(changed) != content_hash(BASE_RECORD)


@pytest.mark.parametrize(
    "field, value",
    [
        ("listing_url", "https://x.invalid/news?page=2"),
        ("crawled_at", "2026-11-26T10:00:00Z"),
        ("revision", 2),
        ("id", "b"),
        ("body", "The full text."),
        ("author", "Press office"),
    ],
)
def test_where_and_when_a_release_was_seen_is_not_a_revision(field, value):
    assert content_hash({**BASE_RECORD, field: value}) == content_hash(BASE_RECORD)


def test_a_record_dated_from_its_release_page_hashes_as_its_listing_entry():
    # The walk compares a listing entry (no date) with what was written (the page's date): the
    # two must agree, or every run would fetch every such release page again.
    listing = {"title": "T", "published": None, "summary": "S", "subtitle": None, "date_source": None}
    for source in ("page metadata", "page text"):
        assert content_hash({**listing, "published": "2024-03-04", "date_source": source}) == content_hash(
            listing
        )
    # A listing's own date is content, as ever.
    assert content_hash({**listing, "published": "2024-03-04", "date_source": "listing"}) != content_hash(
        listing
    )
