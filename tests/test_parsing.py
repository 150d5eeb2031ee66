"""Listing parsing on saved pages, with no crawl: every field of every entry, against files a
person wrote from the seed (fixtures/cases/<case>/expected.json)."""

from __future__ import annotations

import json
import random
from urllib.parse import urljoin

import pytest

from pressbot.dates import parse_date
from pressbot.parsing import _joiner, page_from_bytes, parse_detail, parse_listing
from pressbot.profiles import available_sources, load_profile
from tests.conftest import FIXTURES

CASES = sorted(p.name for p in (FIXTURES / "cases").iterdir() if (p / "case.json").exists())


def load_case(name: str):
    case = json.loads((FIXTURES / "cases" / name / "case.json").read_text(encoding="utf-8"))
    expected = json.loads((FIXTURES / "cases" / name / "expected.json").read_text(encoding="utf-8"))
    base = case["url"].split("/" + case["page"].split("/", 1)[0] + "/", 1)[0]
    profile = load_profile(available_sources()[case["source"]], fixtures_url=base)
    body = (FIXTURES / case["page"]).read_bytes()
    return case, expected, profile, page_from_bytes(body, case["url"])


@pytest.mark.parametrize("name", CASES)
def test_listing_page_matches_expected(name):
    case, expected, profile, page = load_case(name)
    listing = parse_listing(page, case["url"], profile)
    assert listing.next_urls == case["next"]
    assert len(listing.entries) == len(expected)
    for got, want in zip(listing.entries, expected, strict=True):
        published = parse_date(got["published_raw"], profile.date_formats, profile.date_languages)
        assert {**got, "published": published} == want
    assert listing.missing == {}


def test_page_chrome_is_not_an_entry():
    _, _, profile, page = load_case("amnesty-ca-page-1")
    listing = parse_listing(page, "https://fixtures.invalid/amnesty-ca/news/index.html", profile)
    texts = json.dumps(listing.entries, ensure_ascii=False)
    for chrome in ("Main menu", "Facebook Share", "Subscribe to news", "search form"):
        assert chrome not in texts


def test_teaser_dates_are_not_taken_for_the_entry_date():
    """The July 29 teaser says "(30 July)"; the entry date stays the printed one."""
    case, _, profile, page = load_case("amnesty-ca-page-1")
    entry = parse_listing(page, case["url"], profile).entries[2]
    assert "(30 July)" in entry["summary"]
    assert entry["published_raw"] == "July 29, 2020"


def test_markup_breakage_is_counted_not_fatal():
    html = b"""<div class="view-news"><div class="views-row">
      <article class="node--view-mode-teaser"><div class="node__date">July 1, 2020</div>
      <div class="node__teaser"><p>No title here</p></div></article></div>
      <div class="views-row"><article class="node--view-mode-teaser">
      <h3 class="node__title"><a href="/ok">Fine <em>title</em></a></h3>
      <div class="node__date">July 2, 2020</div></article></div></div><p>unclosed <b>markup"""
    profile = load_profile(available_sources()["amnesty-ca"], "https://fixtures.invalid")
    listing = parse_listing(page_from_bytes(html, "https://x.invalid/news/"), "https://x.invalid/news/",
                            profile)
    assert len(listing.entries) == 2
    assert listing.entries[0]["title"] is None and listing.entries[0]["url"] is None
    assert listing.entries[1] == {"title": "Fine title", "url": "https://x.invalid/ok",
                                  "published_raw": "July 2, 2020", "subtitle": None,
                                  "summary": None}
    assert listing.missing == {"title": 1, "url": 1}


def test_link_rel_next_is_the_fallback_of_next_pagination():
    html = b"""<html><head><link rel="next" href="/news?page=2"></head><body>
      <div class="view-news"><div class="views-row"><article class="node--view-mode-teaser">
      <h3 class="node__title"><a href="/a">A</a></h3><div class="node__date">July 2, 2020</div>
      </article></div></div></body></html>"""
    profile = load_profile(available_sources()["amnesty-ca"], "https://fixtures.invalid")
    url = "https://x.invalid/news"
    assert parse_listing(page_from_bytes(html, url), url, profile).next_urls == [
        "https://x.invalid/news?page=2"]


def test_base_href_outside_a_head_tag_is_still_found():
    html = b"""<base href="https://cdn.invalid/news/"><div class="view-news"><div class="views-row">
      <article class="node--view-mode-teaser"><h3 class="node__title"><a href="item-1">A</a></h3>
      <div class="node__date">July 2, 2020</div></article></div></div>"""
    profile = load_profile(available_sources()["amnesty-ca"], "https://fixtures.invalid")
    url = "https://x.invalid/news"
    listing = parse_listing(page_from_bytes(html, url), url, profile)
    assert listing.entries[0]["url"] == "https://cdn.invalid/news/item-1"


def test_base_href_that_libxml2_moves_out_of_the_head_is_still_found():
    # Anything body-like before <base> (a stray <span> in the head) puts it in the body.
    html = b"""<html><head><title>t</title><span></span><base href="https://cdn.invalid/news/">
      </head><body><div class="view-news"><div class="views-row">
      <article class="node--view-mode-teaser"><h3 class="node__title"><a href="item-1">A</a></h3>
      <div class="node__date">July 2, 2020</div></article></div></div></body></html>"""
    profile = load_profile(available_sources()["amnesty-ca"], "https://fixtures.invalid")
    url = "https://x.invalid/list/"
    listing = parse_listing(page_from_bytes(html, url), url, profile)
    assert listing.entries[0]["url"] == "https://cdn.invalid/news/item-1"


def test_a_profile_calling_xpath_id_gets_pages_with_their_id_table(tmp_path):
    path = tmp_path / "ids.toml"
    path.write_text("""
name = "ids"
base_url = "https://press.invalid/"
start_urls = ["news"]
[listing]
entry = { xpath = "id('news')/article" }
next_page = "a[rel=next]::attr(href)"
[listing.fields]
title = "h2 a"
url = "h2 a::attr(href)"
published_raw = "time"
""")
    profile = load_profile(path)
    assert profile.uses_xpath_id
    assert not load_profile(available_sources()["amnesty-ca"], "https://f.invalid").uses_xpath_id
    html = b"""<div id="news"><article><h2><a href="/a">A</a></h2><time>2 July 2020</time>
      </article></div>"""
    url = "https://press.invalid/news"
    page = page_from_bytes(html, url, ids=profile.uses_xpath_id)
    assert [e["url"] for e in parse_listing(page, url, profile).entries] == [
        "https://press.invalid/a"]
    # Without the table, id() finds nothing: which is why the spider asks the profile.
    assert parse_listing(page_from_bytes(html, url, ids=False), url, profile).entries == []


_LINK_BASES = ["http://a", "http://a/", "http://a/b/c", "https://u:p@a:8080/b/c.html?x=1/y#f",
               "http://a/b?q", "file:///tmp/x/y.html", "http://a/b/c;p", "http://A/b/./c",
               "https://a.b/é/c", "http://a:80", "http://[::1]:8/x/", "http://a/b//c/"]
_LINK_STARTS = ["", "", "/", "//", "http://", "https://", "http:/", "HTTP://", "./", "../", "?",
                "#", "mailto:", "x:", "http://h", "https://h:1/"]


def test_links_join_as_urljoin_joins_them():
    rnd = random.Random(2020)
    for _ in range(30_000):
        base = rnd.choice(_LINK_BASES)
        href = rnd.choice(_LINK_STARTS) + "".join(
            rnd.choice("ab/.?#;:é% 0-_=&@[]\t\n") for _ in range(rnd.randint(0, 8)))
        try:
            want = urljoin(base, href.strip())
        except ValueError:  # http://[oops: a missing URL, not a crashed page
            want = None
        assert _joiner(base)(f" {href}\n") == want, (base, href)


def test_links_against_a_base_without_a_path_and_a_link_urljoin_cannot_read():
    html = b"""<html><head><base href="https://x.invalid"></head><body>
      <div class="view-news"><div class="views-row"><article class="node--view-mode-teaser">
      <h3 class="node__title"><a href="a.html">A</a></h3><div class="node__date">July 2, 2020</div>
      </article></div><div class="views-row"><article class="node--view-mode-teaser">
      <h3 class="node__title"><a href="http://[oops/">B</a></h3>
      <div class="node__date">July 1, 2020</div></article></div></div>
      <nav class="pager"><a rel="next" href="page2.html">next</a></nav></body></html>"""
    profile = load_profile(available_sources()["amnesty-ca"], "https://fixtures.invalid")
    url = "https://x.invalid/news"
    listing = parse_listing(page_from_bytes(html, url), url, profile)
    assert [e["url"] for e in listing.entries] == ["https://x.invalid/a.html", None]
    assert listing.missing == {"url": 1}
    assert listing.next_urls == ["https://x.invalid/page2.html"]


def _profile_file(tmp_path, entry: str, fields: str):
    path = tmp_path / "p.toml"
    path.write_text(f'name = "p"\nbase_url = "https://p.invalid/"\nstart_urls = ["news"]\n'
                    f'[listing]\nentry = {entry}\nnext_page = "a[rel=next]::attr(href)"\n'
                    f"[listing.fields]\n{fields}\n")
    return load_profile(path)


def test_fields_found_outside_the_entry_and_computed_fields(tmp_path):
    """A definition list: the entry is the <dt>, its date the <dd> after it (a sibling axis,
    which the one-XPath-per-page batching cannot follow); the title computed by XPath."""
    profile = _profile_file(tmp_path, '{ xpath = "//dl/dt" }', """
title = { xpath = "normalize-space(a)" }
url = "a::attr(href)"
published_raw = { xpath = "following-sibling::dd[1]" }
summary = { xpath = "../@data-kind" }""")
    html = b"""<dl data-kind="Release"><dt><a href="/a">  First
      one </a></dt><dd>2 July 2020</dd><dt><a href="/b">Second</a></dt><dd>1 July 2020</dd></dl>"""
    url = "https://p.invalid/news"
    listing = parse_listing(page_from_bytes(html, url), url, profile)
    assert [(e["title"], e["url"], e["published_raw"], e["summary"]) for e in listing.entries] == [
        ("First one", "https://p.invalid/a", "2 July 2020", "Release"),
        ("Second", "https://p.invalid/b", "1 July 2020", "Release")]
    assert listing.missing == {}


@pytest.mark.parametrize("encoding", ["euc_jp", "utf-16-le", "mac-roman", "x-no-such-encoding"])
def test_pages_in_encodings_libxml2_does_not_know(encoding):
    text = "Communiqué 日本" if encoding in ("euc_jp", "utf-16-le") else "Communiqué"
    codec = "utf-8" if encoding.startswith("x-") else encoding
    html = f"<html><body><p>{text}</p></body></html>".encode(codec)
    page = page_from_bytes(html, "https://x.invalid/", encoding)
    assert page.root.xpath("string(//p)") == text


def test_hostile_base_and_json_ld_lose_nothing():
    profile = load_profile(available_sources()["amnesty-ca"], "https://fixtures.invalid")
    html = b"""<html><head><base href="http://[oops/"></head><body><div class="view-news">
      <div class="views-row"><article class="node--view-mode-teaser"><h3 class="node__title">
      <a href="/a">A</a></h3><div class="node__date">July 2, 2020</div></article></div></div>
      </body></html>"""
    url = "https://x.invalid/news"
    assert parse_listing(page_from_bytes(html, url), url, profile).entries[0]["url"] == \
        "https://x.invalid/a"
    for ld, author in [("null", None), ('"text"', None), ('[1, {"headline": "h"}]', None),
                       ('{"headline": "h", "author": {"name": ["A", "B"]}}', "A, B")]:
        page = page_from_bytes(f'<script type="application/ld+json">{ld}</script>'.encode(), url)
        assert parse_detail(page, url, profile)["author"] == author, ld


def test_the_detail_published_at_selector_comes_before_the_page_s_metadata():
    profile = load_profile(available_sources()["amnesty-ca"], "https://fixtures.invalid")
    assert profile.detail_fields["published_at"].query == "time::attr(datetime)"
    html = b"""<html><head><meta property="article:published_time" content="2020-07-01T08:00:00Z">
      </head><body><h1 class="node__title">T</h1><time datetime="2020-07-02T09:30:00+02:00">2 July
      </time><div class="node__body"><p>One.</p><p>Two.</p></div></body></html>"""
    url = "https://x.invalid/news/t"
    found = parse_detail(page_from_bytes(html, url), url, profile)
    assert found == {"title": "T", "published_at": "2020-07-02T09:30:00+02:00",
                     "body": "One.\n\nTwo.", "author": None}
    # Without the selector's match, the page's metadata answers.
    found = parse_detail(page_from_bytes(html.replace(b"<time", b"<span"), url), url, profile)
    assert found["published_at"] == "2020-07-01T08:00:00Z"
