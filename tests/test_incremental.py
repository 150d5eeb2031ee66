"""Incremental runs and release pages against real crawls: pinned posts, a release listed twice,
release pages that fail or redirect elsewhere; nothing lost, nothing churned, nothing invented."""

from __future__ import annotations

from collections import Counter

import pytest

from pressbot import outcome
from pressbot.synthetic import SyntheticSite
from tests.conftest import FIXTURES, SYNTHETIC_PROFILE, listing_hits, run_crawl
from tests.faults import Faults

#: Real `scrapy crawl` processes and servers: the slow loop (README).
pytestmark = pytest.mark.integration

DETAIL_PROFILE = str(FIXTURES / "synthetic" / "synthetic-detail.toml")
FAST = {"PRESSBOT_RETRY_BACKOFF": "0.05", "RETRY_TIMES": "1", "DOWNLOAD_TIMEOUT": "2"}


def crawl(tmp_path, srv, profile=SYNTHETIC_PROFILE, settings=None):
    result = run_crawl(tmp_path, srv.url, "-a", f"profile={profile}", settings={**FAST, **(settings or {})})
    result.source = result.summary["sources"]["synthetic"]
    return result


def number(record) -> int:
    return int(record["url"].rsplit("/", 1)[1].split(".")[0])


def test_pinned_old_posts_do_not_stop_the_walk_before_new_releases(tmp_path, serve):
    site = SyntheticSite(releases=40, per_page=10, pinned=5)
    srv = serve(site.hook)
    assert crawl(tmp_path, srv).returncode == 0
    site.publish(12)  # ten on page 1 under the pins, two on page 2
    srv.hits.clear()
    again = crawl(tmp_path, srv)
    assert again.returncode == 0, again.stderr[-3000:]
    records = again.records()
    assert sorted({number(r) for r in records}) == list(range(52))
    assert len(records) == 52  # every release once
    assert "/synthetic/news/page-2.html" in listing_hits(srv)
    assert again.source["stop_reason"] == "caught up"


def test_a_release_listed_twice_is_one_observation_and_never_churns(tmp_path, serve):
    site = SyntheticSite(releases=30, per_page=10, featured=25)  # shown in a box on page 1 too
    srv = serve(site.hook)
    for _ in range(4):
        result = crawl(tmp_path, srv, settings={"PRESSBOT_OVERLAP_PAGES": "3"})
        assert result.returncode == 0, result.stderr[-3000:]
    records = result.records()
    assert Counter(number(r) for r in records)[25] == 1  # one record, no revisions
    assert len(records) == 30


def test_a_release_page_that_stays_404_keeps_its_release(tmp_path, serve):
    site = SyntheticSite(releases=30, per_page=10)
    faults = Faults(site.hook).on("/synthetic/news/r/25.html", ("status", 404))
    srv = serve(faults.hook)
    first = crawl(tmp_path, srv, profile=DETAIL_PROFILE)
    records = {number(r): r for r in first.records()}
    assert sorted(records) == list(range(30))
    gone = records[25]
    assert gone["title"] and gone["summary"] and gone["body"] is None
    assert gone["detail_error"] == "HTTP 404"
    assert all(r["body"] and r["detail_error"] is None for k, r in records.items() if k != 25)
    # A page that is gone is reported, not a failed run.
    assert first.returncode == 0, first.stderr[-3000:]
    assert first.source["detail_errors"] == 1
    assert first.source["errors"] == []
    assert first.source["gone"] == [
        {"url": f"{srv.url}/synthetic/news/r/25.html", "page": "detail", "error": "HTTP 404"}
    ]
    # A page that is gone does not keep the walk from being complete: the next run is incremental.
    assert first.source["walk_complete"] is True

    srv.hits.clear()
    second = crawl(tmp_path, srv, profile=DETAIL_PROFILE)
    assert second.source["mode"] == "incremental"
    # Asked for again: a walk that reaches the release (here page 1; an old one, the next full
    # walk) fetches its page again.
    assert srv.hits.count("/synthetic/news/r/25.html") == 1
    assert len(second.records()) == 30  # nothing written twice

    faults.plan.clear()  # the page is back
    third = crawl(tmp_path, srv, profile=DETAIL_PROFILE)
    [back] = third.records()[30:]
    assert number(back) == 25 and back["revision"] == 2 and back["body"] and back["detail_error"] is None


def test_release_pages_that_redirect_to_a_maintenance_page_keep_their_releases(tmp_path, serve):
    site = SyntheticSite(releases=30, per_page=10)
    faults = Faults(site.hook)
    for k in range(30):
        faults.on(f"/synthetic/news/r/{k}.html", ("redirect", "/maintenance.html"))
    faults.on("/maintenance.html", ("body", b"<html><body><p>Down for maintenance</p></body></html>"))
    srv = serve(faults.hook)
    first = crawl(tmp_path, srv, profile=DETAIL_PROFILE)
    records = first.records()
    assert sorted(number(r) for r in records) == list(range(30))
    assert all(r["body"] is None and "redirects elsewhere" in r["detail_error"] for r in records)
    assert not any("maintenance" in (r["body"] or "") + r["title"] for r in records)
    assert first.source["detail_errors"] == 30
    assert "/maintenance.html" not in srv.hits  # never read as a release

    faults.plan.clear()
    second = crawl(tmp_path, srv, profile=DETAIL_PROFILE)
    assert second.returncode == 0
    later = second.records()[30:]
    assert sorted(number(r) for r in later) == list(range(30))
    assert all(r["revision"] == 2 and r["body"] and r["detail_error"] is None for r in later)


def test_a_release_page_moved_to_https_or_a_slash_is_followed(tmp_path, serve):
    site = SyntheticSite(releases=10, per_page=10)
    faults = Faults(site.hook).on("/synthetic/news/r/3.html", ("redirect", "/synthetic/news/r/3.html/"))
    # (the same page with a trailing slash: served by the site again)
    faults.on("/synthetic/news/r/3.html/", ("body", site.detail(3)))
    srv = serve(faults.hook)
    result = crawl(tmp_path, srv, profile=DETAIL_PROFILE)
    [moved] = [r for r in result.records() if r["url"].endswith("/r/3.html")]
    assert moved["body"] and moved["detail_error"] is None
    assert result.returncode == outcome.OK
