"""Zero configuration, in-process: the detector on the fixture sites, on a table of page shapes,
on pages it must refuse, on real saved pages (tests/data/listings); the profile it writes; the
press room of a home page."""

# ruff: noqa: E501 - the table of page shapes holds one row of HTML a line

from __future__ import annotations

import hashlib
import json
import tomllib

import pytest

from pressbot import datelike, discover, outcome, pressroom
from pressbot.cases import case_names, load_case
from pressbot.genprofile import report, to_toml
from pressbot.options import ArgumentError, RunOptions
from tests.conftest import FIXTURES, FIXTURES_URL, ROOT, fixture_response, open_crawler

HARBOUR = FIXTURES / "discover"
HARBOUR_URL = "https://harbourside.example/discover/"


def found_releases(body: bytes, url: str) -> tuple[discover.Discovery, list[dict], list[str]]:
    found = discover.discover(body, url)
    assert found.sure, found.reason
    records, next_urls = discover.releases(discover.load(found.profile), body, url)
    return found, records, next_urls


def triples(records: list[dict]) -> list[tuple]:
    return [(r["url"], r["title"], r["published"]) for r in records]


# --- the fixture sites ---------------------------------------------------------------------

LISTING_CASES = [
    n for n in case_names() if (c := load_case(n)).kind == "listing" and c.profile().format == "html"
]


@pytest.mark.parametrize("name", LISTING_CASES)
def test_fixture_sites_are_detected_as_their_profiles_read_them(name):
    case = load_case(name)
    expected = case.expected()["records"]
    found = discover.discover(case.body(), case.url)
    if len(expected) < discover.MIN_ENTRIES:
        # The last page of drupal-views (2 releases) and the empty view past it: too little
        # to be sure of as a first page, so nothing is written.
        assert not found.sure and found.profile is None
        return
    assert found.sure, found.reason
    records, _ = discover.releases(discover.load(found.profile), case.body(), case.url)
    assert triples(records) == [(r["url"], r["title"], r["published"]) for r in expected]


def test_harbourside_press_room_first_page():
    body = (HARBOUR / "press" / "index.html").read_bytes()
    found, records, next_urls = found_releases(body, HARBOUR_URL + "press/")
    want = json.loads((HARBOUR / "expected.json").read_text(encoding="utf-8"))["releases"]
    assert triples(records) == [(HARBOUR_URL + p, t, day) for p, t, _, day in want[:5]]
    assert [r["published_raw"] for r in records] == [raw for _, _, raw, _ in want[:5]]
    # The featured box above the list is one of the releases; the icon-only "Older releases"
    # link is the next page, by its label (not by its pager, which links back on page 2).
    assert next_urls == [HARBOUR_URL + "press/page-2.html"]
    assert found.profile["listing"]["next_page"] == 'a[aria-label="Older releases"]::attr(href)'
    assert found.feeds == [HARBOUR_URL + "press/feed.xml"]
    page2 = (HARBOUR / "press" / "page-2.html").read_bytes()
    records2, next2 = discover.releases(
        discover.load(found.profile), page2, HARBOUR_URL + "press/page-2.html"
    )
    assert triples(records2) == [(HARBOUR_URL + p, t, day) for p, t, _, day in want[5:]]
    assert next2 == []  # the "Newer releases" link is no next page


# --- page shapes ---------------------------------------------------------------------------


def page(body: str, lang: str = "en", head: str = "") -> bytes:
    return f'<!DOCTYPE html><html lang="{lang}"><head><meta charset="utf-8">{head}</head><body>{body}</body></html>'.encode()


NAV = (
    '<nav class="menu"><ul><li><a href="/">Home</a></li><li><a href="/about">About us</a></li>'
    '<li><a href="/services">Our services</a></li><li><a href="/contact">Contact</a></li></ul></nav>'
)
TITLES = [
    "Minister opens the new coastal research station",
    "Quarterly water quality figures published today",
    "Funding for rural broadband doubled next year",
    "Agency responds to the flooding in the north",
    "Annual report shows record recycling rates",
]
SLUGS = ["coastal-station", "water-quality-figures", "rural-broadband", "flooding-response", "annual-report"]


def rows(template: str, dates: list[str]) -> str:
    return "".join(
        template.format(slug=s, title=t, date=d, i=i)
        for i, (s, t, d) in enumerate(zip(SLUGS, TITLES, dates, strict=True))
    )


EN = ["12 March 2024", "5 March 2024", "27 February 2024", "20 February 2024", "13 February 2024"]
EN_DAYS = ["2024-03-12", "2024-03-05", "2024-02-27", "2024-02-20", "2024-02-13"]
SHAPES = {
    "cards": (
        page(
            NAV
            + '<main><div class="news-grid">'
            + rows(
                '<div class="card"><h3 class="card-title"><a href="/news/{slug}">{title}</a></h3>'
                '<time datetime="2024-01-01">{date}</time><p>Summary of the release, in a sentence or two of teaser text.</p></div>',
                EN,
            )
            + "</div></main>"
        ),
        EN,
        EN_DAYS,
    ),
    "table rows": (
        page(
            NAV
            + '<table class="releases"><tr><th>Date</th><th>Title</th></tr>'
            + rows(
                '<tr><td>{date}</td><td><a href="/press/{slug}.html">{title}</a></td></tr>',
                ["12/03/2024", "05/03/2024", "27/02/2024", "20/02/2024", "13/02/2024"],
            )
            + "</table>"
        ),
        ["12/03/2024", "05/03/2024", "27/02/2024", "20/02/2024", "13/02/2024"],
        EN_DAYS,
    ),
    "definition list": (
        page(
            NAV
            + '<dl class="news">'
            + rows('<dt>{date}</dt><dd><a href="/news/{slug}">{title}</a></dd>', EN)
            + "</dl>"
        ),
        EN,
        EN_DAYS,
    ),
    "entries without a wrapper": (
        page(
            NAV
            + '<div class="content">'
            + rows(
                '<h2><a href="/news/{slug}">{title}</a></h2><p class="date">{date}</p><p>The teaser of the release, a sentence of text.</p>',
                EN,
            )
            + "</div>"
        ),
        EN,
        EN_DAYS,
    ),
    "whole card is one link": (
        page(
            NAV
            + '<section class="list">'
            + rows(
                '<a class="teaser" href="/news/{slug}"><img src="/i/{i}.jpg" alt=""><h4>{title}</h4>'
                '<div class="byline">Press office | {date}</div><p>A teaser of the release with a few words more.</p></a>',
                EN,
            )
            + "</section>"
        ),
        [f"Press office | {d}" for d in EN],
        EN_DAYS,
    ),
    "sticky box and river": (
        page(
            NAV
            + '<main><div class="sticky-post"><h2><a href="/news/sticky-welcome-to-the-newsroom">Welcome to the newsroom of the agency</a></h2><span class="d">1 January 2024</span></div>'
            '<ul class="river">'
            + rows(
                '<li class="item"><h3><a href="/news/{slug}">{title}</a></h3><span class="d">{date}</span></li>',
                EN,
            )
            + "</ul></main>"
        ),
        ["1 January 2024", *EN],
        ["2024-01-01", *EN_DAYS],
    ),
    "french": (
        page(
            NAV
            + '<ul class="communiques">'
            + rows(
                '<li class="communique"><a href="/fr/communiques/{slug}">{title}</a><p class="meta">Publié le {date}</p></li>',
                ["1er mars 2024", "14 février 2024", "7 février 2024", "31 janvier 2024", "24 janvier 2024"],
            )
            + "</ul>",
            lang="fr",
        ),
        [
            f"Publié le {d}"
            for d in [
                "1er mars 2024",
                "14 février 2024",
                "7 février 2024",
                "31 janvier 2024",
                "24 janvier 2024",
            ]
        ],
        ["2024-03-01", "2024-02-14", "2024-02-07", "2024-01-31", "2024-01-24"],
    ),
    "german, day first proven": (
        page(
            NAV
            + '<div class="pm-liste">'
            + rows(
                '<div class="pm"><span class="datum">{date}</span><h3><a href="/presse/{slug}">{title}</a></h3></div>',
                ["12.03.2024", "05.03.2024", "27.02.2024", "20.02.2024", "13.02.2024"],
            )
            + "</div>",
            lang="de",
        ),
        ["12.03.2024", "05.03.2024", "27.02.2024", "20.02.2024", "13.02.2024"],
        EN_DAYS,
    ),
    "spanish": (
        page(
            NAV
            + '<div class="noticias">'
            + rows(
                '<article class="noticia"><h2><a href="/prensa/{slug}">{title}</a></h2><p>Publicado el {date} por Prensa</p></article>',
                [
                    "12 de marzo de 2024",
                    "5 de marzo de 2024",
                    "27 de febrero de 2024",
                    "20 de febrero de 2024",
                    "13 de febrero de 2024",
                ],
            )
            + "</div>",
            lang="es",
        ),
        [
            f"Publicado el {d} por Prensa"
            for d in [
                "12 de marzo de 2024",
                "5 de marzo de 2024",
                "27 de febrero de 2024",
                "20 de febrero de 2024",
                "13 de febrero de 2024",
            ]
        ],
        EN_DAYS,
    ),
    "read more links": (
        page(
            NAV
            + '<div class="view-news">'
            + rows(
                '<div class="views-row"><h3 class="title">{title}</h3><span class="date">{date}</span>'
                '<p>The teaser of the release, a sentence of text.</p><a href="/news/{slug}">Read more</a></div>',
                EN,
            )
            + "</div>"
        ),
        EN,
        EN_DAYS,
    ),
    "url only in a share button": (
        page(
            NAV
            + '<ul class="press">'
            + rows(
                '<li class="item"><h3>{title}</h3><p class="d">{date}</p>'
                '<button class="share" data-url="https://agency.example/press/{slug}">Share</button></li>',
                EN,
            )
            + "</ul>"
        ),
        EN,
        EN_DAYS,
    ),
    "dates in headings": (
        page(
            NAV
            + '<div class="day"><h2>Tuesday, March 12, 2024</h2><ul class="items">'
            + rows('<li><a href="https://member{i}.example/news/{slug}">{title}</a></li>', EN)
            + "</ul></div>"
        ),
        ["Tuesday, March 12, 2024"] * 5,
        ["2024-03-12"] * 5,
    ),
}


@pytest.mark.parametrize("shape", SHAPES)
def test_page_shapes(shape):
    body, raws, days = SHAPES[shape]
    url = "https://agency.example/news/"
    found, records, _ = found_releases(body, url)
    titles = TITLES if shape != "sticky box and river" else ["Welcome to the newsroom of the agency", *TITLES]
    assert [r["title"] for r in records] == titles
    assert [r["published_raw"] for r in records] == raws
    assert [r["published"] for r in records] == days
    assert all(r["url"].startswith("https://") for r in records)
    assert len({r["url"] for r in records}) == len(records)
    # Whatever the shape, the profile is one a person can read and pressbot validates.
    text = to_toml(found, "scrapy genprofile " + url)
    assert tomllib.loads(text) == found.profile


def test_day_first_order_is_proven_by_the_dates_themselves():
    body, _, _ = SHAPES["german, day first proven"]
    found = discover.discover(body, "https://agency.example/presse/")
    assert found.profile["dates"]["order"] == "DMY"
    assert found.profile["dates"]["languages"] == ["de"]
    # With only ambiguous dates, no order is written: each listing page settles its own.
    settled = datelike.settle(["04.03.2024", "03.02.2024"], ("de",))
    assert settled.order is None and "settles its own" in settled.order_reason


# --- pages pressbot refuses ----------------------------------------------------------------

REFUSED = {
    "a home page": (HARBOUR / "index.html").read_bytes(),
    "a navigation menu": (HARBOUR / "about.html").read_bytes(),
    "a single article": (HARBOUR / "press" / "2024-03-12-new-play-park.html").read_bytes(),
    "a tag cloud": page(
        NAV
        + '<div class="tagcloud">'
        + "".join(
            f'<a href="/tag/{w}">{w}</a> ' for w in "water energy health farming roads schools ports".split()
        )
        + "</div>"
    ),
    "an empty page": b"",
    "no links": page("<p>Nothing here but text.</p>" * 20),
    "two releases": page(
        '<ul><li><a href="/news/a-release-about-water">A release about the water</a> 1 May 2024</li>'
        '<li><a href="/news/a-release-about-power">A release about the power</a> 2 May 2024</li></ul>'
    ),
    "not html": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)),
}


@pytest.mark.parametrize("kind", REFUSED)
def test_unsure_pages_are_refused_with_a_reason(kind):
    found = discover.discover(REFUSED[kind], "https://agency.example/page")
    assert not found.sure
    assert found.profile is None
    assert found.reason


# --- the profile written -------------------------------------------------------------------


def test_names_and_ids_come_from_the_url_alone():
    url = "https://www.example.gov/press/releases?lang=en"
    assert discover.source_name(url) == discover.source_name(url)
    assert discover.source_name("https://www.example.gov/press/") == "example-gov-press"
    assert discover.source_name("http://127.0.0.1:8080/news/") == "127-0-0-1-8080-news"
    pending = discover.pending_profile(url)
    assert pending.base_url == "https://www.example.gov/"
    body = (HARBOUR / "press" / "index.html").read_bytes()
    found = discover.discover(body, "https://www.example.gov/moved/after/a/redirect/")
    adopted, raw = discover.adopt(pending, found)
    assert raw["name"] == pending.name
    assert (adopted.name, adopted.base_url, adopted.start_urls) == (
        pending.name,
        pending.base_url,
        pending.start_urls,
    )


def test_generated_toml_is_commented_and_reads_back():
    body = (HARBOUR / "press" / "index.html").read_bytes()
    found = discover.discover(body, HARBOUR_URL + "press/")
    text = to_toml(found, "scrapy genprofile " + HARBOUR_URL + "press/")
    assert tomllib.loads(text) == found.profile
    assert text.startswith("# Written by `scrapy genprofile https://harbourside.example/discover/press/`")
    assert 'entry = "li.release, div.featured-release"  # one match per entry (5)' in text
    assert "title = " in text and "# sure, 5/5" in text
    shown = report(found, body, [])
    assert "releases   5 on this page:" in shown
    assert "2024-03-14  Harbour wall repairs to begin on Monday" in shown
    assert "next       https://harbourside.example/discover/press/page-2.html" in shown


def test_pressroom_of_a_home_page():
    body = (HARBOUR / "index.html").read_bytes()
    rooms = pressroom.find(body, HARBOUR_URL)
    assert rooms[0].url == HARBOUR_URL + "press/"
    assert "'press releases'" in rooms[0].why


def test_url_argument():
    assert RunOptions.parse(url=" https://example.gov/press ").url == "https://example.gov/press"
    for bad, message in [
        ({"url": "example.gov/press"}, r"not an absolute http\(s\) URL"),
        ({"url": "ftp://example.gov/"}, r"not an absolute http\(s\) URL"),
        ({"url": "http://example.gov:99999/"}, "not a valid URL"),
        ({"url": "https://example.gov/", "source": "amnesty-ca"}, "one of source, profile or url"),
    ]:
        with pytest.raises(ArgumentError, match=message):
            RunOptions.parse(**bad)


def test_undetected_is_its_own_exit_status():
    assert outcome.exit_code({"pressbot/undetected": 1}) == outcome.NOT_A_LISTING == 67
    assert outcome.exit_code({"pressbot/undetected": 1, "pressbot/drift": 1}) == outcome.DRIFT
    assert outcome.exit_code({"pressbot/undetected": 1, "pressbot/failed_pages": 1}) == outcome.NOT_A_LISTING


@pytest.mark.parametrize("name", ["feed.xml", "atom.xml"])
def test_feeds_are_listings_of_their_kind(name):
    body = (FIXTURES / "feed-newsroom" / name).read_bytes()
    assert discover.looks_like_feed(body)
    found = discover.discover_feed(body, f"https://ferries.example/{name}", "https://ferries.example/news/")
    assert found.sure, found.reason
    assert found.profile["name"] == "ferries-example-news"
    assert found.profile["listing"]["format"] == "xml"
    records, _ = discover.releases(discover.load(found.profile), body, f"https://ferries.example/{name}")
    assert len(records) == 6
    assert records[0]["title"] == "Summer timetable adds late sailings on the island route"
    assert records[0]["published"] == "2024-06-04"
    assert tomllib.loads(to_toml(found, "scrapy genprofile x")) == found.profile


def test_a_page_that_is_not_a_feed_is_no_feed_listing():
    body = (HARBOUR / "press" / "index.html").read_bytes()
    assert not discover.looks_like_feed(body)
    assert not discover.discover_feed(body, HARBOUR_URL + "press/").sure


def test_publication_time_before_the_update_and_a_load_more_endpoint():
    items = "".join(
        f'<article class="post"><h2><a href="/news/{s}">{t}</a></h2>'
        f'<time class="updated" datetime="2024-04-01">1 April 2024</time> <time class="published">{d}</time></article>'
        for s, t, d in zip(SLUGS, TITLES, EN, strict=True)
    )
    body = page(NAV + f'<main>{items}<button class="btn" data-next="/news?page=2">Load more</button></main>')
    found, records, next_urls = found_releases(body, "https://agency.example/news")
    assert [r["published"] for r in records] == EN_DAYS
    assert found.profile["listing"]["next_page"] == "[data-next]::attr(data-next)"
    assert next_urls == ["https://agency.example/news?page=2"]
    assert "load-more endpoint" in found.notes["pagination"]


def test_a_schema_org_itemlist_names_the_listing():
    items = "".join(
        f'<div class="c"><h3><a href="/news/{s}">{t}</a></h3><span>{d}</span></div>'
        for s, t, d in zip(SLUGS, TITLES, EN, strict=True)
    )
    listed = ",".join(
        f'{{"@type": "ListItem", "position": {i + 1}, "url": "https://agency.example/news/{s}"}}'
        for i, s in enumerate(SLUGS)
    )
    ld = f'<script type="application/ld+json">{{"@type": "ItemList", "itemListElement": [{listed}]}}</script>'
    found = discover.discover(page(NAV + f"<main>{items}</main>", head=ld), "https://agency.example/news")
    assert found.sure
    assert "named by the page's schema.org ItemList" in found.reason


def test_a_load_more_endpoint_that_answers_json():
    body = (FIXTURES / "mixed-newsroom" / "news" / "more-2.json").read_bytes()
    assert discover.looks_like_json(body)
    table = discover.json_listing(body)
    assert table == {
        "entry": {"jmes": "items"},
        "next_page": {"jmes": "next"},
        "fields": {
            "url": {"jmes": "url"},
            "title": {"jmes": "title"},
            "published_raw": {"jmes": "displayDate"},
            "summary": {"jmes": "teaserHtml", "html": True},
        },
    }
    first = (FIXTURES / "mixed-newsroom" / "news" / "index.html").read_bytes()
    url = "https://fixtures.invalid/mixed-newsroom/news/index.html"
    found = discover.discover(first, url)
    profile = discover.load(discover.with_json_pages(found.profile, table))
    records, next_urls = discover.releases(
        profile.for_page(2), body, url.replace("index.html", "more-2.json")
    )
    assert len(records) == 10 and records[0]["title"] == "Accessible boarding ramps fitted at 120 stops"
    assert next_urls == ["https://fixtures.invalid/mixed-newsroom/news/more-3.json"]
    assert tomllib.loads(to_toml(found, "x")) == found.profile
    # JSON with no array of items with titles and links is no listing.
    assert discover.json_listing(b'{"items": [{"a": 1}, {"a": 2}]}') is None
    assert discover.json_listing(b"not json") is None


def test_url_is_refused_in_distributed_mode(tmp_path):
    with pytest.raises(ArgumentError, match="not with PRESSBOT_DISTRIBUTED"):
        open_crawler(tmp_path, {"PRESSBOT_DISTRIBUTED": True}, url=f"{FIXTURES_URL}/discover/press/")


def test_the_spider_detects_on_the_first_page_and_walks_on(tmp_path):
    from pressbot.items import Release

    press = f"{FIXTURES_URL}/discover/press/"
    crawler, spider = open_crawler(tmp_path, url=press)
    try:
        source = next(iter(spider.run.profiles))
        assert source == "fixtures-test-discover-press" and spider.run.pending == {source}
        out = spider.parse_listing(fixture_response(press), source=source, page_no=1)
        releases = [o for o in out if isinstance(o, Release)]
        assert [r.title for r in releases][:2] == [
            "Harbour wall repairs to begin on Monday",
            "New play park opens in Quayside Gardens",
        ]
        assert [o.url for o in out if not isinstance(o, Release)] == [f"{press}page-2.html"]
        assert spider.run.pending == set() and spider.run.detected == {source}
        # A home page is no listing: the spider asks for the press room it links to instead.
        crawler2, spider2 = open_crawler(tmp_path / "home", url=f"{FIXTURES_URL}/discover/")
        source2 = next(iter(spider2.run.profiles))
        out2 = spider2.parse_listing(fixture_response(f"{FIXTURES_URL}/discover/"), source=source2, page_no=1)
        assert [o.url for o in out2] == [press]
        spider2.closed("finished")
    finally:
        spider.closed("finished")


def test_pressroom_from_a_sitemap():
    sitemap = (
        b"<urlset><url><loc>https://ex.org/</loc></url><url><loc>https://ex.org/about/</loc></url>"
        b"<url><loc>https://ex.org/en/press/2024/03/budget.html</loc></url>"
        b"<url><loc>https://ex.org/en/press/</loc></url><url><loc>https://ex.org/news-and-media/x</loc></url>"
        b"<url><loc>javascript:alert(1)</loc></url></urlset>"
    )
    rooms = pressroom.from_sitemap(sitemap, "https://ex.org/sitemap.xml")
    assert [r.url for r in rooms] == ["https://ex.org/en/press/", "https://ex.org/news-and-media/"]
    assert pressroom.from_sitemap(b"not a sitemap", "https://ex.org/sitemap.xml") == []


DATE_SPELLINGS = {
    "a weekday": (
        [
            "Tuesday, 12 March 2024",
            "Tuesday, 5 March 2024",
            "Tuesday, 27 February 2024",
            "Tuesday, 20 February 2024",
            "Tuesday, 13 February 2024",
        ],
        "en",
    ),
    "in brackets": (["(12.03.2024)", "(05.03.2024)", "(27.02.2024)", "(20.02.2024)", "(13.02.2024)"], "de"),
    "split by <br>": (
        [
            "12<br>March<br>2024",
            "5<br>March<br>2024",
            "27<br>February<br>2024",
            "20<br>February<br>2024",
            "13<br>February<br>2024",
        ],
        "en",
    ),
    "1er and French months": (
        ["12 mars 2024", "5 mars 2024", "27 février 2024", "20 février 2024", "1er février 2024"],
        "fr",
    ),
    "two-digit years, day first": (["12.03.24", "05.03.24", "27.02.24", "20.02.24", "13.02.24"], "de"),
    "month first, proven": (["03/12/2024", "03/05/2024", "02/27/2024", "02/20/2024", "02/13/2024"], "en"),
    "ISO": (["2024-03-12", "2024-03-05", "2024-02-27", "2024-02-20", "2024-02-13"], "en"),
}
DAYS_1ER = ["2024-03-12", "2024-03-05", "2024-02-27", "2024-02-20", "2024-02-01"]


@pytest.mark.parametrize("spelling", DATE_SPELLINGS)
def test_date_spellings(spelling):
    dates, lang = DATE_SPELLINGS[spelling]
    body = page(
        NAV
        + '<div class="list">'
        + rows(
            '<div class="item"><h3><a href="/news/{slug}">{title}</a></h3><p class="date">{date}</p></div>',
            dates,
        )
        + "</div>",
        lang=lang,
    )
    found, records, _ = found_releases(body, "https://agency.example/news/")
    want = DAYS_1ER if spelling == "1er and French months" else EN_DAYS
    assert [r["published"] for r in records] == want, found.profile.get("dates")


#: Four real saved listing pages with their hand-built truth and the development set's scorer,
#: copied from shared/datasets/listings (tests/data/listings/README.md says which and why).
LISTINGS = ROOT / "tests" / "data" / "listings"
SAVED = {p["slug"]: p for p in json.loads((LISTINGS / "manifest.json").read_text(encoding="utf-8"))["pages"]}
#: What each page's detected pagination finds (the manifest's `pagination`, resolved).
SAVED_NEXT = {
    "us-senate-nelson": ["http://www.billnelson.senate.gov/newsroom/press-releases?page=2"],
    "us-house-gop": [],  # (no pager: the links to other days are no next page)
    "jslcae-news": ["http://jslcae.com/xingyexinwen/list_48_3.html"],
    "darkveins-news": ["http://www.darkveins.com/horror-news/page/21/"],
}


def test_the_saved_pages_are_the_development_sets() -> None:
    assert sorted(SAVED) == sorted(SAVED_NEXT)
    for slug, page in SAVED.items():
        body = (LISTINGS / "listings" / f"{slug}.html").read_bytes()
        assert hashlib.sha256(body).hexdigest() == page["sha256"] and len(body) == page["bytes"], slug


@pytest.mark.parametrize("slug", sorted(SAVED_NEXT))
def test_discovery_finds_every_entry_of_a_real_saved_page(slug: str) -> None:
    page = SAVED[slug]
    body = (LISTINGS / "listings" / f"{slug}.html").read_bytes()
    truth = [json.loads(line) for line in (LISTINGS / page["truth"]).read_text(encoding="utf-8").splitlines()]
    assert len(truth) == page["truth_entries"]
    found, records, next_urls = found_releases(body, page["url"])
    assert triples(records) == [(t["url"], t["title"], t["published"]) for t in truth], found.reason
    assert next_urls == SAVED_NEXT[slug], found.notes


def test_the_benchmark_scores_pages_with_the_dataset_s_scorer(tmp_path, capsys):
    from bench import discover as bench

    out = tmp_path / "figures.json"
    args = ["--dataset", str(LISTINGS), "--slug", "us-senate-nelson", "--slug", "jslcae-news"]
    assert bench.main([*args, "--json", str(out)]) == 0
    figures = json.loads(out.read_text(encoding="utf-8"))
    rows = {r["slug"]: r for r in figures["dataset"]}
    assert list(rows) == ["us-senate-nelson", "jslcae-news"]  # (--slug: those alone, in the manifest's order)
    assert [(r["truth"], r["output"], r["matched"]) for r in rows.values()] == [(10, 10, 10), (20, 20, 20)]
    assert all(r["precision"] == r["recall"] == r["title_exact"] == 1.0 for r in rows.values())
    assert rows["us-senate-nelson"]["date_accuracy"] == 1.0
    assert rows["jslcae-news"]["date_accuracy"] is None  # (the page prints no dates)
    assert any(r["slug"] == "harbourside-page-1" and r["recall"] == 1.0 for r in figures["fixtures"])
    printed = capsys.readouterr().out
    assert "| us-senate-nelson | 10 | 10 | 10 | 1.000 | 1.000 | 1.000 | 1.000 |" in printed
    assert "| jslcae-news | 20 | 20 | 20 | 1.000 | 1.000 | 1.000 | - |" in printed
