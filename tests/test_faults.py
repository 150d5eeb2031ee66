"""Faults, traps and hostile pages against a fault-injecting local server: every crawl ends,
the offending URL and the reason are reported, and every good entry is still written."""

from __future__ import annotations

import pytest

from pressbot import outcome
from pressbot.synthetic import SyntheticSite
from tests.conftest import SYNTHETIC_PROFILE, run_crawl
from tests.faults import Faults

#: Real `scrapy crawl` processes and servers: the slow loop (README).
pytestmark = pytest.mark.integration

PAGE1, PAGE2, PAGE3 = (f"/synthetic/news/{p}.html" for p in ("index", "page-2", "page-3"))
FAST = {"PRESSBOT_RETRY_BACKOFF": "0.05", "RETRY_TIMES": "2", "DOWNLOAD_TIMEOUT": "1"}


def crawl(tmp_path, srv, *args, profile=SYNTHETIC_PROFILE, settings=None):
    result = run_crawl(
        tmp_path, srv.url, "-a", f"profile={profile}", *args, settings={**FAST, **(settings or {})}
    )
    result.source = result.summary["sources"].get("synthetic")
    return result


def titles(result) -> set[int]:
    return {int(r["url"].rsplit("/", 1)[1].split(".")[0]) for r in result.records()}


@pytest.fixture
def site():
    return SyntheticSite(releases=30, per_page=10)


@pytest.mark.parametrize(
    "actions",
    [
        (("status", 503, {"Retry-After": "1"}), ("status", 503), "ok"),
        (("status", 500), "ok"),
        (("status", 429, {"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"}), "ok"),
        (("sleep", 2.5), "ok"),  # longer than DOWNLOAD_TIMEOUT: a time-out, then fine
        ("reset", "ok"),
        ("empty", "ok"),
    ],
    ids=["503-retry-after", "500", "429", "timeout", "reset", "empty-200"],
)
def test_transient_faults_are_retried(tmp_path, serve, site, actions):
    faults = Faults(site.hook).on(PAGE2, *actions)
    srv = serve(faults.hook)
    result = crawl(tmp_path, srv)
    assert result.returncode == 0, result.stderr[-3000:]
    assert titles(result) == set(range(30))
    assert srv.hits.count(PAGE2) == len(actions)
    assert result.source["failed_pages"] == 0


@pytest.mark.parametrize(
    "action, error",
    [
        (("status", 503), "HTTP 503"),
        (("status", 404), "HTTP 404"),
        ("empty", "empty 200 response"),
        ("reset", "Connection"),
    ],
    ids=["503-forever", "404", "empty-forever", "reset-forever"],
)
def test_a_page_that_keeps_failing_is_reported_and_retried_next_run(tmp_path, serve, site, action, error):
    faults = Faults(site.hook).on(PAGE2, action)
    srv = serve(faults.hook)
    result = crawl(tmp_path, srv)
    assert result.returncode == outcome.PAGES_FAILED
    assert titles(result) == set(range(20, 30))  # page 1 kept
    assert result.source["stop_reason"] == "error"
    [err] = result.source["errors"]
    assert err["url"].endswith(PAGE2) and error in err["error"]
    assert "failed after retries" in result.stderr and PAGE2 in result.stderr
    # The site recovers: the next run walks on (the walk was incomplete) and gets the rest.
    faults.plan.clear()
    again = crawl(tmp_path, srv)
    assert again.returncode == 0
    assert titles(again) == set(range(30)) and len(again.records()) == 30


def test_pagination_loop_is_bounded(tmp_path, serve, site):
    looped = site.listing(3).replace(b"</nav>", b'<a rel="next" href="index.html">Next</a></nav>')
    srv = serve(Faults(site.hook).on(PAGE3, ("body", looped)).hook)
    result = crawl(tmp_path, srv)
    assert titles(result) == set(range(30))
    [trap] = result.source["traps"]
    assert trap["url"].endswith(PAGE1) and "loops back" in trap["problem"]
    assert srv.hits.count(PAGE1) == 1
    # A loop is no end of the archive: the walk is not complete, and the run says so.
    assert result.returncode == outcome.PAGES_FAILED
    assert (result.source["stop_reason"], result.source["walk_complete"]) == ("pagination loop", False)
    [error] = result.source["errors"]
    assert error["url"].endswith(PAGE3) and "pagination loop" in error["error"]


def test_next_link_to_another_domain_is_not_followed(tmp_path, serve, site):
    away = site.listing(2).replace(
        b'href="page-3.html">Next', b'href="http://press.example.invalid/page-3">Next'
    )
    srv = serve(Faults(site.hook).on(PAGE2, ("body", away)).hook)
    result = crawl(tmp_path, srv)
    assert result.returncode == outcome.PAGES_FAILED
    assert titles(result) == set(range(10, 30))
    [trap] = result.source["traps"]
    assert trap == {"url": "http://press.example.invalid/page-3", "problem": "next page is on another site"}
    assert result.source["stop_reason"] == "next page off the site" and not result.source["walk_complete"]


def test_endless_pages_are_bounded_by_max_pages(tmp_path, serve):
    site = SyntheticSite(releases=10_000, per_page=10)  # a calendar that never ends
    srv = serve(site.hook)
    result = crawl(tmp_path, srv, "-a", "max_pages=4")
    assert result.returncode == 0
    assert len(result.records()) == 40
    assert result.source["stop_reason"] == "run page limit"


def test_redirect_off_the_site_is_refused(tmp_path, serve, site):
    faults = Faults(site.hook).on(PAGE2, ("redirect", "http://elsewhere.invalid/news"))
    srv = serve(faults.hook)
    result = crawl(tmp_path, srv)
    assert titles(result) == set(range(20, 30))
    [trap] = result.source["traps"]
    assert trap["url"] == "http://elsewhere.invalid/news"
    assert result.returncode == outcome.PAGES_FAILED and not result.source["walk_complete"]


@pytest.mark.parametrize(
    "action, problem",
    [
        (
            ("body", b"<html><body>" + b"<p>padding</p>" * 200_000 + b"</body></html>"),
            "larger than download max size",
        ),
        ("gzip-bomb", "exceeded DOWNLOAD_MAXSIZE (1048576 B) during decompression"),
    ],
    ids=["huge", "gzip-bomb"],
)
def test_oversized_pages_are_capped(tmp_path, serve, site, action, problem):
    srv = serve(Faults(site.hook).on(PAGE2, action).hook)
    # Decompressing the bomb up to the cap takes a while on a loaded machine: no timeout then.
    settings = {"DOWNLOAD_MAXSIZE": str(1024 * 1024), "DOWNLOAD_TIMEOUT": "30"}
    result = crawl(tmp_path, srv, settings=settings)
    assert titles(result) == set(range(20, 30))
    [trap] = result.source["traps"]
    assert trap["url"].endswith(PAGE2) and problem in trap["problem"]
    assert result.returncode == outcome.PAGES_FAILED and not result.source["walk_complete"]


def test_truncated_page_keeps_its_good_entries(tmp_path, serve, site):
    srv = serve(Faults(site.hook).on(PAGE2, ("truncate", 0.5)).hook)
    result = crawl(tmp_path, srv)
    got = titles(result)
    assert set(range(20, 30)) <= got  # page 1 whole
    cut = got & set(range(10, 20))
    assert 3 <= len(cut) < 10  # the entries before the cut
    # The pager was cut off too: that is no end of the archive.
    assert result.returncode == outcome.PAGES_FAILED
    assert (result.source["stop_reason"], result.source["walk_complete"]) == ("listing page cut short", False)
    assert result.source["errors"][0]["url"].endswith(PAGE2)


def test_entries_without_link_or_date_are_dropped_with_reasons(tmp_path, serve, site):
    page = site.listing(1)
    page = page.replace(b'<a href="r/29.html">', b"<a>", 1)  # no link
    start = page.index(b'<span class="date">', page.index(b'id="r27"'))
    end = page.index(b"</span>", start) + len(b"</span>")
    page = page[:start] + page[end:]  # no date
    srv = serve(Faults(site.hook).on(PAGE1, ("body", page)).hook)
    result = crawl(tmp_path, srv)
    assert result.returncode == 0
    assert titles(result) == set(range(30)) - {29, 27}
    assert result.source["dropped"] == {"missing_id": 1, "missing_url": 1, "missing_published_raw": 1}
    assert "dropped: missing published_raw" in result.stderr


HOSTILE = """
name = "hostile"
base_url = "{fixtures}/synthetic/"
start_urls = ["news/index.html"]
# Even a profile that allows these hosts must not reach internal addresses it did not start on.
allowed_domains = ["127.0.0.1", "169.254.169.254", "10.0.0.1", "metadata.localhost"]
[listing]
entry = "div.news-list article.teaser"
next_page = "nav.pager a[rel=next]::attr(href)"
[listing.fields]
title = "h2.title a"
url = "h2.title a::attr(href)"
published_raw = ".meta .date"
[dates]
formats = ["%d %B %Y"]
"""


GUARD = "loopback, private or link-local address"


@pytest.mark.parametrize(
    "target, problem",
    [
        ("http://169.254.169.254/latest/meta-data/", GUARD),
        ("http://10.0.0.1/admin", GUARD),
        ("http://metadata.localhost/", GUARD),
        # Not in allowed_domains: Scrapy's offsite filter refuses it first.
        ("http://[::ffff:169.254.169.254]/", "redirected off the site"),
    ],
)
def test_redirects_to_internal_addresses_are_refused(tmp_path, serve, site, target, problem):
    profile = tmp_path / "hostile.toml"
    profile.write_text(HOSTILE)
    srv = serve(Faults(site.hook).on(PAGE2, ("redirect", target)).hook)
    result = crawl(tmp_path, srv, profile=profile)
    source = result.summary["sources"]["hostile"]
    [trap] = source["traps"]
    assert trap["url"] == target and problem in trap["problem"]
    assert len(result.records()) == 10
    # The rest of the listing was not collected: the walk is open and the run fails loudly.
    assert result.returncode == outcome.PAGES_FAILED and not source["walk_complete"]
    assert source["errors"] and source["errors"][0]["url"].endswith(PAGE2)


def test_non_http_links_are_refused(tmp_path, serve, site):
    page = site.listing(1).replace(b'href="page-2.html">Next', b'href="file:///etc/passwd">Next')
    srv = serve(Faults(site.hook).on(PAGE1, ("body", page)).hook)
    result = crawl(tmp_path, srv)
    assert len(result.records()) == 10
    [trap] = result.source["traps"]
    assert trap == {"url": "file:///etc/passwd", "problem": "next page is on another site"}


def test_retry_after_is_honoured(tmp_path, serve, site):
    faults = Faults(site.hook).on(PAGE2, ("status", 503, {"Retry-After": "2"}), "ok")
    srv = serve(faults.hook)
    result = crawl(tmp_path, srv)
    assert result.returncode == 0
    first, second = [t for path, t in srv.times if path == PAGE2]
    assert second - first >= 2.0  # the server asked for two seconds; back-off alone is 0.05


@pytest.mark.parametrize(
    "header, seconds", [("3", 3.0), ("0", 0.0), ("soon", 0.0), ("Wed, 21 Oct 2015 07:28:00 GMT", 0.0)]
)
def test_retry_after_values(header, seconds):
    from pressbot.middlewares import _retry_after_seconds

    assert _retry_after_seconds(header) == seconds


DETAIL = """
name = "detail-elsewhere"
base_url = "{fixtures}/synthetic/"
start_urls = ["news/index.html"]
[listing]
entry = "div.news-list article.teaser"
next_page = "nav.pager a[rel=next]::attr(href)"
[listing.fields]
title = "h2.title a"
url = "h2.title a::attr(href)"
published_raw = "span.date"
[dates]
formats = ["%d %B %Y"]
[detail]
follow = true
"""


def test_detail_links_to_another_local_port_are_refused_but_releases_kept(tmp_path, serve, site):
    page = site.listing(1).replace(b'href="r/', b'href="http://127.0.0.1:9/r/')
    srv = serve(Faults(site.hook).on(PAGE1, ("body", page)).hook)
    profile = tmp_path / "detail.toml"
    profile.write_text(DETAIL)
    result = crawl(tmp_path, srv, profile=profile, settings={"RETRY_TIMES": "0"})
    source = result.summary["sources"]["detail-elsewhere"]
    # Only the fixture server's own host and port are trusted, not every port of 127.0.0.1.
    assert len(source["traps"]) == 10
    assert all(t["url"].startswith("http://127.0.0.1:9/") and GUARD in t["problem"] for t in source["traps"])
    records = result.records()
    assert result.returncode == 0 and len(records) == 30
    refused = [r for r in records if r["url"].startswith("http://127.0.0.1:9/")]
    assert len(refused) == 10 and all(r["published_at"] is None for r in refused)
    assert all(r["published_at"] for r in records if r not in refused)  # from detail pages
