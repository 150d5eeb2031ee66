"""Listing and detail parsing with no crawl: the parser's edge cases, mostly on small crafted pages.
Every field of every entry of the shipped sources' saved pages is checked by tests/test_cases.py."""

from __future__ import annotations

import dataclasses
import json
import random
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
from lxml import etree
from scrapy.http import Request

from pressbot.cases import load_case
from pressbot.items import release_id
from pressbot.parsing import (
    NOT_HTTP_URL,
    NOT_JSON,
    TOO_DEEP,
    UNUSABLE_URL,
    _batched,
    _compiled,
    _entry_urls,
    _extract_columns,
    _field_plan,
    _joiner,
    _url_problem,
    check_listing,
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


def test_the_detail_published_at_selector_comes_before_the_page_s_metadata(tmp_path):
    # amnesty-ca with the release pages it leaves out (commented out in the profile) followed.
    text = available_sources()["amnesty-ca"].read_text(encoding="utf-8")
    text = text.replace("\n# [detail]", "\n[detail]").replace("\n# follow", "\nfollow")
    text = text.replace("\n# [detail.fields]", "\n[detail.fields]").replace("\n# title =", "\ntitle =")
    text = text.replace("\n# published_at", "\npublished_at").replace("\n# body", "\nbody")
    (tmp_path / "amnesty-ca.toml").write_text(text, encoding="utf-8")
    profile = load_profile(tmp_path / "amnesty-ca.toml", "https://fixtures.invalid")
    assert profile.follow_detail
    assert profile.detail_fields["published_at"].query == "time::attr(datetime)"
    html = b"""<html><head><meta property="article:published_time" content="2020-07-01T08:00:00Z">
      </head><body><h1 class="node__title">T</h1><time datetime="2020-07-02T09:30:00+02:00">2 July
      </time><div class="node__body"><p>One.</p><p>Two.</p></div></body></html>"""
    url = "https://x.invalid/news/t"
    found = parse_detail(page_from_bytes(html, url), url, profile)
    assert found == {
        "title": "T",
        "published_at": "2020-07-02T09:30:00+02:00",
        "published": "2020-07-02",  # the day in the value's own offset
        "date_source": "page metadata",
        "body": "One.\n\nTwo.",
        "modified_at": None,
        "language": None,  # none declared, and "One. Two." too short to tell
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
    profile = load_profile(available_sources()[name], FIXTURES.as_uri())
    pages, entries = _site_pages(profile), 0
    for path in pages:
        page = page_from_bytes(path.read_bytes(), path.as_uri(), fmt=profile.format)
        nodes = _entries(page, profile)
        entries += len(nodes)
        assert _extract_columns(page.root, nodes, profile) == _reference_columns(nodes, profile), path
        assert parse_listing(page, path.as_uri(), profile).problems == [], path  # nothing unusable
    # The site's listing pages were among them (a mixed listing has one HTML page, then JSON).
    assert entries >= 4 and len(pages) >= (1 if profile.later else 2)


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


# --- pages parsed whole ------------------------------------------------------------------------
# libxml2 stops reading at 256 levels of nesting unless told otherwise (huge_tree, as parsel
# does); past 2048 even then. Real pages with unclosed tags get deep fast.

HTTP_SITE = "http://127.0.0.1:8000"
SYNTHETIC_PAGE_1 = f"{HTTP_SITE}/synthetic/news/index.html"


def _synthetic(per_page: int = 10, fixtures_url: str = HTTP_SITE):
    profile = load_profile(FIXTURES / "synthetic" / "synthetic.toml", fixtures_url)
    return SyntheticSite(3 * per_page, per_page=per_page), profile


def _entry_numbers(listing) -> list[int | None]:
    return [int(e["url"].rsplit("/", 1)[1].split(".")[0]) if e["url"] else None for e in listing.entries]


def test_entries_each_followed_by_unclosed_divs_are_all_read():
    site, profile = _synthetic()
    html = site.listing(1).replace(b"</article>", b"</article>" + b"<div>" * 30)
    listing = parse_listing(page_from_bytes(html, SYNTHETIC_PAGE_1), SYNTHETIC_PAGE_1, profile)
    assert _entry_numbers(listing) == list(range(29, 19, -1))  # 10, not 8
    assert listing.next_urls == [f"{HTTP_SITE}/synthetic/news/page-2.html"]
    assert listing.problems == [] and check_listing(listing, profile) == []


@pytest.mark.parametrize(
    ("tag", "space"),
    [("span", ""), ("div", " ")],  # a <div> takes element_text's own walk, and is a word break
)
def test_a_very_deep_element_in_one_title_loses_nothing(tag, space):
    site, profile = _synthetic()
    html = site.listing(1)
    end = html.index(b"</a></h2>", html.index(b'id="r26"'))  # the title link
    deep = f"<{tag}>".encode() * 1500 + b"deep" + f"</{tag}>".encode() * 1500
    html = html[:end] + deep + html[end:]
    listing = parse_listing(page_from_bytes(html, SYNTHETIC_PAGE_1), SYNTHETIC_PAGE_1, profile)
    assert _entry_numbers(listing) == list(range(29, 19, -1))
    assert listing.entries[3]["title"] == site.title(26) + space + "deep"
    assert listing.next_urls and listing.problems == []


def test_a_page_nested_past_what_libxml2_reads_is_reported_not_trusted():
    """Past 2048 levels libxml2 stops even with huge_tree: the entries before that point are
    kept, and the page is drift (its next link may be past the cut)."""
    site, profile = _synthetic()
    html = site.listing(1)
    cut = html.index(b'<article class="teaser" id="r25"')
    html = html[:cut] + b"<div>" * 3000 + html[cut:]
    listing = parse_listing(page_from_bytes(html, SYNTHETIC_PAGE_1), SYNTHETIC_PAGE_1, profile)
    assert _entry_numbers(listing)[:4] == [29, 28, 27, 26]
    [problem] = listing.problems
    assert (problem.index, problem.field, problem.kind) == (None, None, TOO_DEEP)
    assert "nested deeper than 2048 levels" in problem.reason
    assert any("page not read whole" in d for d in check_listing(listing, profile))


# --- one bad entry never costs a page ----------------------------------------------------------
# Every case: a saved page with one entry (or the page) spoiled; what each entry's URL becomes
# (None for the spoiled one, or every entry's when the page cannot be read), the problems
# recorded as (index, field, kind, words of the reason), and whether the next link survives.

JSON_PAGE = FIXTURES / "json-newsroom" / "api" / "releases@offset=0&limit=4.json"
JSON_URL = f"{HTTP_SITE}/json-newsroom/api/releases?offset=0&limit=4"
JSON_PATHS = [
    "/json-newsroom/releases/battery-storage-ostfeld-online.html",
    "/json-newsroom/releases/solar-ppa-stadtwerke-brueckenau.html",
    "/json-newsroom/releases/q1-2024-results.html",
    "/json-newsroom/releases/grid-technician-training-centre.html",
]
FEED_PAGE = FIXTURES / "feed-newsroom" / "feed.xml"
FEED_URL = f"{HTTP_SITE}/feed-newsroom/feed"


def _json_case(old: bytes, new: bytes) -> bytes:
    body = JSON_PAGE.read_bytes()
    assert old in body
    return body.replace(old, new, 1)


def _feed_case(markup: bytes, item: int = 2) -> bytes:
    body = FEED_PAGE.read_bytes()
    at = 0
    for _ in range(item + 1):
        at = body.index(b"<item>", at + 1)
    at = body.index(b"<description>", at) + len(b"<description>")
    return body[:at] + markup + body[at:]


def _html_case(href: str) -> bytes:
    return SyntheticSite(30, per_page=10).listing(1).replace(b'href="r/27.html"', f'href="{href}"'.encode())


_DEEP_DIVS = b"<div>" * 1500 + b"deep" + b"</div>" * 1500
_ESCAPED = b"&lt;div&gt;" * 1500 + b"deep" + b"&lt;/div&gt;" * 1500
_TOO_DEEP_ESCAPED = b"&lt;div&gt;" * 3000 + b"deep" + b"&lt;/div&gt;" * 3000

#: (case, source, page URL, page bytes, the entry whose URL is spoiled (None: none; "page":
#: no entry read), problems as (index, field, kind, words in the reason), whether the next
#: links are those of the clean page (a feed has none))
BAD = [
    (
        "json-lone-surrogate-in-url",
        "json-newsroom",
        JSON_URL,
        _json_case(b'q1-2024-results.html"', b'q1\\ud800.html"'),
        2,
        [(2, "url", UNUSABLE_URL, "lone surrogate")],
        True,
    ),
    (
        "json-nested-100k-deep",
        "json-newsroom",
        JSON_URL,
        _json_case(b'"tags": ["storage", "operations"]', b'"tags": ' + b"[" * 100_000 + b"]" * 100_000),
        "page",
        [(None, None, TOO_DEEP, "JSON nested deeper")],
        False,
    ),
    (
        "json-not-json",
        "json-newsroom",
        JSON_URL,
        b"<html><body>Service unavailable</body></html>",
        "page",
        [(None, None, NOT_JSON, "not JSON")],
        False,
    ),
    (
        "json-number-of-5000-digits",
        "json-newsroom",
        JSON_URL,
        _json_case(b'"id": 912', b'"id": ' + b"9" * 5000),
        None,
        [],
        True,
    ),
    (
        "json-next-link-lone-surrogate",
        "json-newsroom",
        JSON_URL,
        _json_case(b'offset=4&limit=4"', b'offset=4\\udc00"'),
        None,
        [(None, "next_page", UNUSABLE_URL, "lone surrogate")],
        False,
    ),
    ("rss-1500-nested-divs", "feed-newsroom", FEED_URL, _feed_case(_DEEP_DIVS), None, [], True),
    ("rss-1500-nested-divs-escaped", "feed-newsroom", FEED_URL, _feed_case(_ESCAPED), None, [], True),
    (
        "rss-3000-nested-divs-escaped",
        "feed-newsroom",
        FEED_URL,
        _feed_case(_TOO_DEEP_ESCAPED),
        None,  # the entry stands, without its summary
        [(2, "summary", TOO_DEEP, "nested deeper than 2048 levels")],
        True,
    ),
    *[
        (
            f"link-{href}",
            "synthetic",
            SYNTHETIC_PAGE_1,
            _html_case(href),
            2,
            [(2, "url", NOT_HTTP_URL, "not an absolute http(s) URL")],
            True,
        )
        for href in ("javascript:void(0)", "mailto:press@example.org", "tel:+441234567", "data:text/html,x")
    ],
    (
        "link-file-from-a-web-page",
        "synthetic",
        SYNTHETIC_PAGE_1,
        _html_case("file:///etc/passwd"),
        2,
        [(2, "url", NOT_HTTP_URL, "'file:///etc/passwd'")],
        True,
    ),
    (
        "link-port-out-of-range",
        "synthetic",
        SYNTHETIC_PAGE_1,
        _html_case("http://127.0.0.1:99999/r/27.html"),
        2,
        [(2, "url", UNUSABLE_URL, "Port out of range")],
        True,
    ),
    (
        "link-unjoinable",
        "synthetic",
        SYNTHETIC_PAGE_1,
        _html_case("http://[oops/"),
        2,
        [(2, "url", UNUSABLE_URL, "cannot be joined")],
        True,
    ),
    (
        "next-link-port-out-of-range",
        "synthetic",
        SYNTHETIC_PAGE_1,
        SyntheticSite(30, per_page=10).listing(1).replace(b'href="page-2.html"', b'href="//h:70000/p2"'),
        None,
        [(None, "next_page", UNUSABLE_URL, "Port out of range")],
        False,
    ),
]


def _bad_profile(source: str):
    if source == "synthetic":
        return _synthetic()[1]
    return load_profile(available_sources()[source], HTTP_SITE)


def _fmt(source: str) -> str:
    return {"json-newsroom": "json", "feed-newsroom": "xml"}.get(source, "html")


@pytest.mark.parametrize(
    ("source", "url", "body", "spoiled", "problems", "next_kept"),
    [b[1:] for b in BAD],
    ids=[b[0] for b in BAD],
)
def test_one_bad_entry_never_costs_a_page(source, url, body, spoiled, problems, next_kept):
    profile = _bad_profile(source)
    clean = {
        "json-newsroom": JSON_PAGE.read_bytes(),
        "feed-newsroom": FEED_PAGE.read_bytes(),
        "synthetic": SyntheticSite(30, per_page=10).listing(1),
    }[source]
    good = parse_listing(page_from_bytes(clean, url, fmt=_fmt(source)), url, profile)
    listing = parse_listing(page_from_bytes(body, url, fmt=_fmt(source)), url, profile)

    got = [(p.index, p.field, p.kind) for p in listing.problems]
    assert got == [p[:3] for p in problems], listing.problems
    for problem, (*_, words) in zip(listing.problems, problems, strict=True):
        assert words in problem.reason, problem
    if spoiled == "page":
        assert listing.entries == [] and listing.next_urls == []
        assert any("page not read whole" in d for d in check_listing(listing, profile))
        return
    # Every other entry is exactly what the clean page gives; the spoiled one lacks its URL only.
    assert len(listing.entries) == len(good.entries)
    for i, (entry, clean_entry) in enumerate(zip(listing.entries, good.entries, strict=True)):
        if i == spoiled:
            assert entry == {**clean_entry, "url": None}
        elif problems and problems[0][1] == "summary" and i == problems[0][0]:
            assert entry == {**clean_entry, "summary": None}
        elif source == "feed-newsroom" and i == 2:
            # (the deep <div>s are a block before the description's paragraphs)
            assert entry["summary"].startswith("deep\n") and entry["title"] == clean_entry["title"]
        else:
            assert entry == clean_entry
    assert (listing.next_urls == good.next_urls) is next_kept
    if next_kept:
        assert check_listing(listing, profile) == []


@pytest.mark.parametrize(
    ("href", "start", "url", "problem"),
    [
        # against an http page: absolute http(s) URLs, whatever the host
        ("//x", HTTP_SITE, "http://x", None),
        ("http:x", HTTP_SITE, f"{HTTP_SITE}/synthetic/news/x", None),
        ("HTTPS://Press.Example.org/a", HTTP_SITE, "HTTPS://Press.Example.org/a", None),  # as urljoin
        ("http://", HTTP_SITE, SYNTHETIC_PAGE_1, None),  # (urljoin: the page itself)
        ("file:///etc/passwd", HTTP_SITE, None, NOT_HTTP_URL),
        ("ftp://press.example.org/a", HTTP_SITE, None, NOT_HTTP_URL),
        ("http://@/a", HTTP_SITE, None, NOT_HTTP_URL),
        ("http://h:port/a", HTTP_SITE, None, UNUSABLE_URL),
        # against a profile that starts on file: (saved pages in a folder), local files too
        ("r/1.html", None, "{fixtures}/synthetic/news/r/1.html", None),
        ("file:///srv/x.html", None, "file:///srv/x.html", None),
        ("//x", None, None, NOT_HTTP_URL),  # file://x: another machine's file
        ("http:x", None, None, NOT_HTTP_URL),  # no host
        ("javascript:void(0)", None, None, NOT_HTTP_URL),
    ],
)
def test_which_entry_links_are_release_urls(href, start, url, problem):
    site, profile = _synthetic(fixtures_url=start or FIXTURES.as_uri())
    page_url = profile.start_urls[0]
    listing = parse_listing(page_from_bytes(_html_case(href), page_url), page_url, profile)
    fixtures = profile.base_url.removesuffix("/synthetic/")
    assert listing.entries[2]["url"] == (url.replace("{fixtures}", fixtures) if url else None)
    assert [p.kind for p in listing.problems] == ([problem] if problem else [])
    assert [e["url"] for i, e in enumerate(listing.entries) if i != 2] == [
        e["url"]
        for i, e in enumerate(
            parse_listing(page_from_bytes(site.listing(1), page_url), page_url, profile).entries
        )
        if i != 2
    ]


def test_every_release_url_the_parser_lets_through_can_be_requested():
    """Random links against random bases: a link the fast check passes, the full check passes
    too; and whatever passes has an id and makes a Scrapy request (the spider makes both)."""
    rnd = random.Random(11)
    bases = [
        "http://127.0.0.1:8000/news/",
        "https://a.example/b/c.html",
        "http://[::1]:8/x",
        "file:///srv/f/i.html",
    ]
    starts = ["", "/", "//", "http://", "https://", "http:", "file:", "javascript:", "//h:", "http://h:9"]
    for _ in range(20_000):
        base = rnd.choice(bases)
        href = rnd.choice(starts) + "".join(
            rnd.choice("ab/.:?#%é\ud800[]@0-9 ") for _ in range(rnd.randint(0, 10))
        )
        allow_file = base.startswith("file:")
        join = _joiner(base)
        fast = _entry_urls([href, "a"], join, base, allow_file, [])[0]
        joined = join(href) if href else None
        slow = joined if href and _url_problem(joined, href, allow_file=allow_file) is None else None
        assert fast == (slow if href else None), (base, href)
        if fast is not None:
            assert urlsplit(fast).scheme in (("http", "https", "file") if allow_file else ("http", "https"))
            release_id("s", base, fast)
            Request(fast)


def test_a_release_page_that_cannot_be_read_gives_what_it_can():
    profile = load_profile(available_sources()["wp-news"], HTTP_SITE)
    url = f"{HTTP_SITE}/wp-news/2023/05/04/river-quality-report-2022/"
    ld = '{"datePublished": "2023-05-04T09:30:00Z", "x": ' + "[" * 100_000 + "]" * 100_000 + "}"
    html = (
        f'<html><head><script type="application/ld+json">{ld}</script></head><body>'
        '<div class="entry-content"><p>Intro.</p>'
        + "<div>" * 1500
        + "<p>Deep text.</p>"
        + "</div>" * 1500
        + "</div>"
        '<time datetime="2023-05-04T10:00:00Z">4 May</time></body></html>'
    ).encode()
    problems: list = []
    found = parse_detail(page_from_bytes(html, url), url, profile, problems)
    # JSON-LD nested too deep to parse: its datePublished is still read, as text.
    assert found["published_at"] == "2023-05-04T09:30:00Z"
    assert found["body"] == "Intro.\n\nDeep text."
    assert problems == []


@pytest.mark.parametrize("xpath", ["div", "div | nothing"])  # batched, and entry by entry
def test_a_value_that_cannot_be_read_is_none_in_its_entry_alone(xpath):
    too_deep = "&lt;b&gt;" * 3000 + "x"
    html = (
        "<html><body>"
        + "".join(f"<article><div>{t}</div></article>" for t in ("One", too_deep, "&lt;i&gt;Three"))
        + "</body></html>"
    ).encode()
    profile = _tricky_profile("//article", {"title": Selector("xpath", xpath, xpath, False, True)})
    assert (_batched(xpath) is not None) == (xpath == "div")
    page = page_from_bytes(html, "https://x.invalid/news")
    problems: list = []
    assert _extract_columns(page.root, _entries(page, profile), profile, problems) == {
        "title": ["One", None, "Three"]
    }
    assert [(p.index, p.field, p.kind) for p in problems] == [(1, "title", TOO_DEEP)]
