"""One bad entry never costs a page, against a local server: a real crawl of a listing with one
spoiled entry (or one unreadable page) writes every good entry of that page and of the pages
after it, and does not end as an internal error (exit 70, which these cases gave before)."""

from __future__ import annotations

import pytest

from pressbot import outcome
from pressbot.synthetic import SyntheticSite
from tests.conftest import FIXTURES, SYNTHETIC_PROFILE, run_crawl
from tests.faults import Faults

#: Real `scrapy crawl` processes and servers: the slow loop (README).
pytestmark = pytest.mark.integration

PAGE1 = "/synthetic/news/index.html"
FAST = {"PRESSBOT_RETRY_BACKOFF": "0.05", "RETRY_TIMES": "1", "DOWNLOAD_TIMEOUT": "2"}
SYNTHETIC_DETAIL = str(FIXTURES / "synthetic" / "synthetic-detail.toml")


def crawl(tmp_path, srv, *args, source: str | None = None, profile: str = SYNTHETIC_PROFILE):
    chosen = ("-a", f"source={source}") if source else ("-a", f"profile={profile}")
    return run_crawl(tmp_path, srv.url, *chosen, *args, settings=FAST)


def number(record) -> int:
    return int(record["url"].rsplit("/", 1)[1].split(".")[0])


def numbers(result) -> set[int]:
    """The synthetic releases written, by number."""
    return {number(r) for r in result.records()}


def static_files(handler, path: str) -> bool:
    return False  # not answered here: the fixture server serves fixtures/ as files


@pytest.fixture
def site():
    return SyntheticSite(releases=30, per_page=10)


def test_entries_each_followed_by_unclosed_divs_are_all_written(tmp_path, serve, site):
    def hook(handler, path):
        body = site.listing(
            {"index.html": 1, "page-2.html": 2, "page-3.html": 3}.get(path.rsplit("/", 1)[1], 0)
        )
        if body is None or "/r/" in path:
            return site.hook(handler, path)
        handler.send_whole(200, body.replace(b"</article>", b"</article>" + b"<div>" * 30))
        return True

    result = crawl(tmp_path, serve(hook))
    assert result.returncode == outcome.OK, result.stderr[-3000:]
    assert numbers(result) == set(range(30))  # before: 8 of page 1's 10, and no page 2
    assert result.summary["sources"]["synthetic"]["stop_reason"] == "end of archive"


def test_a_very_deep_element_in_one_title_loses_nothing(tmp_path, serve, site):
    page = site.listing(1)
    end = page.index(b"</a></h2>", page.index(b'id="r26"'))
    page = page[:end] + b"<div>" * 1500 + b"deep" + b"</div>" * 1500 + page[end:]
    result = crawl(tmp_path, serve(Faults(site.hook).on(PAGE1, ("body", page)).hook))
    assert result.returncode == outcome.OK, result.stderr[-3000:]
    assert numbers(result) == set(range(30))  # before: the 6 entries after it, and every page
    [deep] = [r for r in result.records() if r["url"].endswith("/r/26.html")]
    assert deep["title"] == site.title(26) + " deep"


JSON_API = "/json-newsroom/api/releases"  # (all three pages: the offset is in the query)
JSON_PAGE_1 = (FIXTURES / "json-newsroom" / "api" / "releases@offset=0&limit=4.json").read_bytes()
JSON_RELEASES = 10


def test_json_lone_surrogate_in_one_url(tmp_path, serve):
    spoiled = JSON_PAGE_1.replace(b'q1-2024-results.html"', b'q1\\ud800.html"')
    assert spoiled != JSON_PAGE_1
    srv = serve(Faults(static_files).on(JSON_API, ("body", spoiled), "ok").hook)
    result = crawl(tmp_path, srv, source="json-newsroom")
    assert result.returncode == outcome.OK, result.stderr[-3000:]  # before: 70, nothing written
    urls = {r["url"].rsplit("/", 1)[1] for r in result.records()}
    assert len(urls) == JSON_RELEASES - 1 and "q1-2024-results.html" not in urls
    assert result.summary["sources"]["json-newsroom"]["dropped"] == {"missing_url": 1, "missing_id": 1}


def test_json_nested_100k_deep_is_one_reported_page(tmp_path, serve):
    deep = b'{"items": [{"tags": ' + b"[" * 100_000 + b"]" * 100_000 + b"}]}"
    faults = Faults(static_files).on(JSON_API, "ok", ("body", deep), "ok")  # page 2
    srv = serve(faults.hook)
    result = crawl(tmp_path, srv, source="json-newsroom")
    # The page's entries and its next link are in the document no parser read: drift (65),
    # the page named, and the walk left incomplete.
    assert result.returncode == outcome.DRIFT, result.stderr[-3000:]  # before: 70
    assert len(result.records()) == 4  # page 1
    source = result.summary["sources"]["json-newsroom"]
    assert source["walk_complete"] is False
    assert any(
        "offset=4" in d["url"] and "JSON nested deeper than the parser reads" in d["problem"]
        for d in source["drift"]
    )
    faults.plan.clear()  # the site is fixed: the next run collects the rest
    again = crawl(tmp_path, srv, source="json-newsroom")
    assert again.returncode == outcome.OK and len(again.records()) == JSON_RELEASES


FEED = "/feed-newsroom/feed"
FEED_XML = (FIXTURES / "feed-newsroom" / "feed.xml").read_bytes()


@pytest.mark.parametrize(
    "markup",
    [b"<div>" * 1500 + b"deep" + b"</div>" * 1500, b"&lt;div&gt;" * 1500 + b"deep" + b"&lt;/div&gt;" * 1500],
    ids=["elements", "escaped"],
)
def test_rss_description_with_1500_nested_divs(tmp_path, serve, markup):
    third = FEED_XML.index(b"<description>", FEED_XML.index(b"april-passenger-numbers-2024"))
    at = third + len(b"<description>")
    srv = serve(Faults(static_files).on(FEED, ("body", FEED_XML[:at] + markup + FEED_XML[at:])).hook)
    result = crawl(tmp_path, srv, source="feed-newsroom")
    assert result.returncode == outcome.OK, result.stderr[-3000:]  # before: 70 (or no summary)
    records = result.records()
    assert len(records) == 6
    [deep] = [r for r in records if r["url"].endswith("april-passenger-numbers-2024")]
    # (the nested <div>s are a block, then the description's paragraphs, a blank line apart)
    assert deep["summary"].startswith("deep\n\nWe carried 118,400 passengers")


@pytest.mark.parametrize(
    "href, status, kept",
    [
        ("javascript:void(0)", outcome.OK, False),
        ("mailto:press@example.org", outcome.OK, False),
        ("tel:+441234567", outcome.OK, False),
        # Absolute http(s) URLs: a host named x (its page fails: 69), and this very folder's
        # "x" (a 404: a page that is gone, reported but not failing the run). Either way the
        # release is kept as its listing gives it.
        ("//x", outcome.PAGES_FAILED, True),
        ("http:x", outcome.OK, True),
    ],
)
def test_detail_follow_with_one_odd_link(tmp_path, serve, site, href, status, kept):
    page = site.listing(1).replace(b'href="r/27.html"', f'href="{href}"'.encode())
    srv = serve(Faults(site.hook).on(PAGE1, ("body", page)).hook)
    result = crawl(tmp_path, srv, profile=SYNTHETIC_DETAIL)
    # before: ValueError in the callback, no release of the site written, on every run (70)
    assert result.returncode == status, result.stderr[-3000:]
    records = result.records()
    synthetic = [r for r in records if "/synthetic/news/r/" in r["url"]]
    assert {number(r) for r in synthetic} == set(range(30)) - {27}
    assert all(r["body"] for r in synthetic)  # every other release page was fetched
    odd = [r for r in records if r not in synthetic]
    if not kept:
        assert odd == []  # not a link at all: the entry is dropped, counted as missing its URL
    else:
        # A link to a page that fails: the release is kept as the listing gives it, and said so.
        [kept] = odd
        assert kept["title"] and kept["body"] is None and kept["detail_error"]


@pytest.mark.parametrize("href", ["//x", "http:x", "javascript:void(0)"])
def test_detail_follow_with_one_odd_link_on_a_file_site(tmp_path, site, href):
    """The same on saved pages (file:, as the bundled fixtures are crawled), where "//x" joins
    to another machine's file://x and "http:x" stays an http URL with no host: both raised
    ValueError in the callback before."""
    news = tmp_path / "site" / "synthetic" / "news"
    (news / "r").mkdir(parents=True)
    for n in range(1, site.pages + 1):
        page = site.listing(n)
        if n == 1:
            page = page.replace(b'href="r/27.html"', f'href="{href}"'.encode())
        (news / ("index.html" if n == 1 else f"page-{n}.html")).write_bytes(page)
    for k in range(site.total):
        (news / "r" / f"{k}.html").write_bytes(site.detail(k))
    result = run_crawl(
        tmp_path / "run", (tmp_path / "site").as_uri(), "-a", f"profile={SYNTHETIC_DETAIL}", settings=FAST
    )
    assert result.returncode == outcome.OK, result.stderr[-3000:]
    assert numbers(result) == set(range(30)) - {27}
    assert all(r["body"] for r in result.records())
