"""Listing and detail parsing with no crawl: the parser's edge cases, mostly on small crafted pages.
Every field of every entry of the shipped sources' saved pages is checked by tests/test_cases.py."""

from __future__ import annotations

import dataclasses
import json
import random
from pathlib import Path
from urllib.parse import urljoin

import pytest
from lxml import etree

from pressbot.cases import load_case
from pressbot.parsing import (
    _batched,
    _compiled,
    _extract_columns,
    _field_plan,
    _joiner,
    extract,
    page_from_bytes,
    parse_detail,
    parse_listing,
)
from pressbot.profiles import Selector, available_sources, load_profile
from pressbot.synthetic import SyntheticSite
from tests.conftest import FIXTURES


def _case_page(name: str):
    case = load_case(name)
    return case, case.profile(), page_from_bytes(case.body(), case.url)


def test_page_chrome_is_not_an_entry():
    case, profile, page = _case_page("amnesty-ca-page-1")
    listing = parse_listing(page, case.url, profile)
    texts = json.dumps(listing.entries, ensure_ascii=False)
    for chrome in ("Main menu", "Facebook Share", "Subscribe to news", "search form"):
        assert chrome not in texts


def test_teaser_dates_are_not_taken_for_the_entry_date():
    """The July 29 teaser says "(30 July)"; the entry date stays the printed one."""
    case, profile, page = _case_page("amnesty-ca-page-1")
    entry = parse_listing(page, case.url, profile).entries[2]
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
    listing = parse_listing(
        page_from_bytes(html, "https://x.invalid/news/"), "https://x.invalid/news/", profile
    )
    assert len(listing.entries) == 2
    assert listing.entries[0]["title"] is None and listing.entries[0]["url"] is None
    assert listing.entries[1] == {
        "title": "Fine title",
        "url": "https://x.invalid/ok",
        "published_raw": "July 2, 2020",
        "subtitle": None,
        "summary": None,
    }
    assert listing.missing == {"title": 1, "url": 1}


def test_link_rel_next_is_the_fallback_of_next_pagination():
    html = b"""<html><head><link rel="next" href="/news?page=2"></head><body>
      <div class="view-news"><div class="views-row"><article class="node--view-mode-teaser">
      <h3 class="node__title"><a href="/a">A</a></h3><div class="node__date">July 2, 2020</div>
      </article></div></div></body></html>"""
    profile = load_profile(available_sources()["amnesty-ca"], "https://fixtures.invalid")
    url = "https://x.invalid/news"
    assert parse_listing(page_from_bytes(html, url), url, profile).next_urls == [
        "https://x.invalid/news?page=2"
    ]


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
    assert [e["url"] for e in parse_listing(page, url, profile).entries] == ["https://press.invalid/a"]
    # Without the table, id() finds nothing: which is why the spider asks the profile.
    assert parse_listing(page_from_bytes(html, url, ids=False), url, profile).entries == []


_LINK_BASES = [
    "http://a",
    "http://a/",
    "http://a/b/c",
    "https://u:p@a:8080/b/c.html?x=1/y#f",
    "http://a/b?q",
    "file:///tmp/x/y.html",
    "http://a/b/c;p",
    "http://A/b/./c",
    "https://a.b/é/c",
    "http://a:80",
    "http://[::1]:8/x/",
    "http://a/b//c/",
]
_LINK_STARTS = [
    "",
    "",
    "/",
    "//",
    "http://",
    "https://",
    "http:/",
    "HTTP://",
    "./",
    "../",
    "?",
    "#",
    "mailto:",
    "x:",
    "http://h",
    "https://h:1/",
]


def test_links_join_as_urljoin_joins_them():
    rnd = random.Random(2020)
    for _ in range(30_000):
        base = rnd.choice(_LINK_BASES)
        href = rnd.choice(_LINK_STARTS) + "".join(
            rnd.choice("ab/.?#;:é% 0-_=&@[]\t\n") for _ in range(rnd.randint(0, 8))
        )
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
    path.write_text(
        f'name = "p"\nbase_url = "https://p.invalid/"\nstart_urls = ["news"]\n'
        f'[listing]\nentry = {entry}\nnext_page = "a[rel=next]::attr(href)"\n'
        f"[listing.fields]\n{fields}\n"
    )
    return load_profile(path)


def test_fields_found_outside_the_entry_and_computed_fields(tmp_path):
    """A definition list: the entry is the <dt>, its date the <dd> after it (a sibling axis,
    which the one-XPath-per-page batching cannot follow); the title computed by XPath."""
    profile = _profile_file(
        tmp_path,
        '{ xpath = "//dl/dt" }',
        """
title = { xpath = "normalize-space(a)" }
url = "a::attr(href)"
published_raw = { xpath = "following-sibling::dd[1]" }
summary = { xpath = "../@data-kind" }""",
    )
    html = b"""<dl data-kind="Release"><dt><a href="/a">  First
      one </a></dt><dd>2 July 2020</dd><dt><a href="/b">Second</a></dt><dd>1 July 2020</dd></dl>"""
    url = "https://p.invalid/news"
    listing = parse_listing(page_from_bytes(html, url), url, profile)
    assert [(e["title"], e["url"], e["published_raw"], e["summary"]) for e in listing.entries] == [
        ("First one", "https://p.invalid/a", "2 July 2020", "Release"),
        ("Second", "https://p.invalid/b", "1 July 2020", "Release"),
    ]
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
    assert parse_listing(page_from_bytes(html, url), url, profile).entries[0]["url"] == "https://x.invalid/a"
    for ld, author in [
        ("null", None),
        ('"text"', None),
        ('[1, {"headline": "h"}]', None),
        ('{"headline": "h", "author": {"name": ["A", "B"]}}', "A, B"),
    ]:
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
    assert found == {
        "title": "T",
        "published_at": "2020-07-02T09:30:00+02:00",
        "body": "One.\n\nTwo.",
        "author": None,
    }
    # Without the selector's match, the page's metadata answers.
    found = parse_detail(page_from_bytes(html.replace(b"<time", b"<span"), url), url, profile)
    assert found["published_at"] == "2020-07-01T08:00:00Z"


# --- the batched extraction against the reference ---------------------------------------------
# parse_listing evaluates each field once for all of a page's entries (_extract_columns); the
# reference is extract() entry by entry. Whatever the page and the selector, the two must agree.


def _reference_columns(nodes, profile) -> dict[str, list]:
    return {name: [extract(n, sel) for n in nodes] for name, sel in profile.fields.items()}


def _entries(page, profile) -> list:
    return [n for n in _compiled(profile.entry.xpath)(page.root) if isinstance(n, etree._Element)]


def _site_pages(profile) -> list[Path]:
    """Every saved page of the profile's fixture site (listings, and release pages: a page the
    entry selector finds nothing on must agree too), and its redesigned copy if there is one."""
    site = profile.base_url.removeprefix(FIXTURES.as_uri()).strip("/").split("/")[0]
    suffixes = {"html": {".html", ""}, "xml": {".xml", ""}}[profile.format]
    pages = []
    for folder in (FIXTURES / site, FIXTURES / "redesign" / site):
        pages += sorted(
            p for p in folder.rglob("*") if p.is_file() and p.suffix in suffixes and p.name != "expected.json"
        )
    return pages


SHIPPED = [
    n for n, path in available_sources().items() if load_profile(path).format != "json"
]  # JSON listings are read entry by entry anyway


@pytest.mark.parametrize("name", SHIPPED)
def test_batched_fields_equal_the_reference_on_every_saved_page(name):
    profile = load_profile(available_sources()[name])
    pages, entries = _site_pages(profile), 0
    for path in pages:
        page = page_from_bytes(path.read_bytes(), path.as_uri(), fmt=profile.format)
        nodes = _entries(page, profile)
        entries += len(nodes)
        assert _extract_columns(page.root, nodes, profile) == _reference_columns(nodes, profile), path
    assert entries >= 4 and len(pages) >= 2  # the site's listing pages were among them


@pytest.mark.parametrize("profile_file", sorted((FIXTURES / "synthetic").glob("*.toml")))
def test_batched_fields_equal_the_reference_on_the_synthetic_site(profile_file):
    profile = load_profile(profile_file)
    site = SyntheticSite(45, per_page=20)
    for n in range(1, site.pages + 1):
        page = page_from_bytes(site.listing(n), f"{profile.base_url}news/page-{n}.html")
        nodes = _entries(page, profile)
        assert nodes
        assert _extract_columns(page.root, nodes, profile) == _reference_columns(nodes, profile)


TRICKY_PAGE = b"""<html><head><base href="https://x.invalid/"></head><body>
<div class="list" data-kind="Release">
  <article id="a1" data-id="1"><h2><a href="/one" title="First">One <em>title</em></a></h2>
    <time datetime="2020-07-02">2 July 2020</time><!-- a comment -->
    <p>First para.</p><p>  Second
      para. </p><span class="tag">x</span> tail text
    <ul><li>i</li><li>ii</li></ul></article>
  <dd class="d1">after one</dd>
  <article id="a2" data-id="2"> <h2><a name="top"></a><a href="/two">Two</a></h2><p></p>
    <p>Only para</p><div class="teaser">&lt;b&gt;Bold&lt;/b&gt; teaser &amp; more</div>
    <a href="">empty link</a><a href="  /two-b  ">spaced link</a></article>
  <dd class="d2">after two</dd>
  <article id="a3"><h2>No link</h2><script>var x = "<p>no</p>";</script><div><p>a</p><p>b</p>
    </div><time datetime="2020-07-03"></time></article>
  <article id="a4"></article>
  <article id="a5"><h2><a href="/five">  Five
    </a></h2><a href="/five-again">again</a><p>\xc2\xa0\xe2\x80\x83</p><p>Last \xc3\xa9t\xc3\xa9</p>
    </article>
</div>
<ul class="nested">
  <li class="e"><a href="/outer">Outer</a> outer text<ul><li class="e"><a href="/inner">Inner</a>
    inner text</li></ul> after inner<b>bold</b></li>
  <li class="e"><a href="/sibling">Sibling</a></li>
</ul>
<div class="e"><h3>Top</h3><div class="e"><h3>Inside</h3><p>deep</p></div><p>shallow</p></div>
<dl><dt><a href="/dt1">Term one</a></dt><dd>2 July 2020</dd><dt><a href="/dt2">Term two</a></dt>
  <dd>1 July 2020</dd></dl>
</body></html>"""

ARTICLES, NESTED_LI, NESTED_DIV, TERMS = "//article", "//li[@class='e']", "//div[@class='e']", "//dl/dt"

#: (entry XPath, field XPath, all, html, evaluated once for the page): selectors that are easy to
#: get wrong in one batched evaluation: sibling, parent and ancestor axes, unions, functions and
#: comparisons, text and attribute nodes, every-match fields, HTML held as text, entries inside
#: entries. The last column keeps both paths covered: a selector that leaves its entry or
#: computes a value is evaluated entry by entry.
TRICKY = [
    (ARTICLES, "h2/a", False, False, True),
    (ARTICLES, "h2/a/@href", False, False, True),
    (ARTICLES, ".//a/@href", False, False, True),
    (ARTICLES, ".//a/@href", True, False, True),
    (ARTICLES, "h2/a/text()", False, False, True),
    (ARTICLES, "text()", False, False, True),
    (ARTICLES, "text()", True, False, True),
    (ARTICLES, ".//text()", True, False, True),
    (ARTICLES, "p", False, False, True),
    (ARTICLES, "p", True, False, True),
    (ARTICLES, ".//p[2]", False, False, True),
    (ARTICLES, ".//li[last()]", False, False, True),
    (ARTICLES, ".", False, False, True),
    (ARTICLES, "*[2]", False, False, True),
    (ARTICLES, "div[@class='teaser']", False, True, True),
    (ARTICLES, "div[@class='teaser']/text()", True, True, True),
    (ARTICLES, ".//script", False, False, True),
    (ARTICLES, "comment()", False, False, True),
    (ARTICLES, "@data-id", False, False, True),
    (ARTICLES, "@*", True, False, True),
    (ARTICLES, "self::*/@id", False, False, True),
    (ARTICLES, "time/@datetime", False, False, True),
    (ARTICLES, "descendant-or-self::*[@href][1]/@href", False, False, True),
    (ARTICLES, "following-sibling::dd[1]", False, False, False),
    (ARTICLES, "following-sibling ::dd[1]", False, False, False),
    (ARTICLES, "preceding-sibling::*[1]/@id", False, False, False),
    (ARTICLES, "../@data-kind", False, False, False),
    (ARTICLES, "parent::div/@class", False, False, False),
    (ARTICLES, "ancestor::div[1]/@data-kind", False, False, False),
    (ARTICLES, "h2/a | time", False, False, False),
    (ARTICLES, "h2/a | time", True, False, False),
    (ARTICLES, "(.//p)[2]", False, False, False),
    (ARTICLES, "id('a1')/h2", False, False, False),
    (ARTICLES, "//h2", False, False, False),
    (ARTICLES, "string(h2)", False, False, False),
    (ARTICLES, "normalize-space(h2)", False, False, False),
    (ARTICLES, "substring-before(time, ' ')", False, False, False),
    (ARTICLES, "count(p)", False, False, False),
    (ARTICLES, "count(p) > 1", False, False, False),
    (ARTICLES, "p = 'Only para'", False, False, False),
    (ARTICLES, "h2/a or time", False, False, False),
    (ARTICLES, "time/@datetime > 0", False, False, False),
    (NESTED_LI, "a", False, False, True),
    (NESTED_LI, ".//a/@href", False, False, True),
    (NESTED_LI, ".//a", True, False, True),
    (NESTED_LI, "text()", True, False, True),
    (NESTED_LI, "b", False, False, True),
    (NESTED_DIV, ".//p", True, False, True),
    (NESTED_DIV, ".//p", False, False, True),
    (NESTED_DIV, "h3", False, False, True),
    (TERMS, "a", False, False, True),
    (TERMS, "following-sibling::dd[1]", False, False, False),
    (TERMS, "normalize-space(a)", False, False, False),
]


def _tricky_profile(entry: str, fields: dict[str, Selector]):
    profile = load_profile(available_sources()["amnesty-ca"], "https://fixtures.invalid")
    return dataclasses.replace(profile, entry=Selector("xpath", entry, entry), fields=fields)


@pytest.mark.parametrize("entry, xpath, every, markup, batched", TRICKY)
def test_batched_field_equals_the_reference(entry, xpath, every, markup, batched):
    assert (_batched(xpath) is not None) == batched
    profile = _tricky_profile(entry, {"title": Selector("xpath", xpath, xpath, every, markup)})
    page = page_from_bytes(TRICKY_PAGE, "https://x.invalid/news")
    nodes = _entries(page, profile)
    assert len(nodes) >= 2
    assert _extract_columns(page.root, nodes, profile) == _reference_columns(nodes, profile)


#: (entry, a field's XPath, a second field's: that XPath and /@attribute): read off the first
#: field's elements instead of being evaluated again.
DERIVED = [
    (ARTICLES, "h2/a", "h2/a/@href"),
    (ARTICLES, ".//a", ".//a/@href"),
    (ARTICLES, "h2/a", "h2/a/@title"),
    (ARTICLES, "time", "time/@datetime"),
    (ARTICLES, "following-sibling::dd[1]", "following-sibling::dd[1]/@class"),
    (ARTICLES, "following-sibling::*[1]", "following-sibling::*[1]/@class"),
    (NESTED_LI, ".//a", ".//a/@href"),
    (TERMS, "a", "a/@href"),
    (ARTICLES, "text()", "text()/@href"),
    (ARTICLES, "node()", "node()/@href"),
    (ARTICLES, "*", "*/@datetime"),
]


@pytest.mark.parametrize("entry, owner, attribute", DERIVED)
def test_a_field_read_off_another_field_s_elements_equals_the_reference(entry, owner, attribute):
    fields = {"title": Selector("xpath", owner, owner), "url": Selector("xpath", attribute, attribute)}
    profile = _tricky_profile(entry, fields)
    assert _field_plan(tuple(fields.items()))[1] == [("url", owner, attribute.rsplit("/@", 1)[1])]
    page = page_from_bytes(TRICKY_PAGE, "https://x.invalid/news")
    nodes = _entries(page, profile)
    assert _extract_columns(page.root, nodes, profile) == _reference_columns(nodes, profile)
