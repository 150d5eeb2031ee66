"""Walks that end short never count as complete: a fault on one listing page in one run, the
site fixed for the next, and every release is collected by then; the faulty run exits non-zero
naming the page and the cause. Real crawls against a fault-injecting local server."""

from __future__ import annotations

import pytest

from pressbot import outcome
from pressbot.synthetic import SyntheticSite
from tests.conftest import SYNTHETIC_PROFILE, run_crawl
from tests.faults import Faults

#: Real `scrapy crawl` processes and servers: the slow loop (README).
pytestmark = pytest.mark.integration

PAGE2, PAGE3 = "/synthetic/news/page-2.html", "/synthetic/news/page-3.html"
FAST = {"PRESSBOT_RETRY_BACKOFF": "0.05", "RETRY_TIMES": "1", "DOWNLOAD_TIMEOUT": "2"}

TEMPLATE_PROFILE = """
name = "synthetic"
base_url = "{fixtures}/synthetic/"
start_urls = ["news/index.html"]
[listing]
entry = "div.news-list article.teaser"
pagination = "template"
template = "news/page-{n}.html"
first = 1
[listing.fields]
title = "h2.title a"
url = "h2.title a::attr(href)"
published_raw = "span.date"
[dates]
formats = ["%d %B %Y"]
"""


def numbers(records) -> set[int]:
    return {int(r["url"].rsplit("/", 1)[1].split(".")[0]) for r in records}


def crawl(tmp_path, srv, profile=SYNTHETIC_PROFILE, settings=None):
    result = run_crawl(tmp_path, srv.url, "-a", f"profile={profile}", settings={**FAST, **(settings or {})})
    result.source = result.summary["sources"]["synthetic"]
    return result


class Switch:
    """A site hook that misbehaves (``faulty``) in the first run and not after (``fix()``)."""

    def __init__(self, site: SyntheticSite, faulty) -> None:
        self.site, self.faulty, self.broken = site, faulty, True

    def fix(self) -> None:
        self.broken = False

    def hook(self, handler, path: str) -> bool:
        return (self.faulty if self.broken else self.site.hook)(handler, path)


LONG_REDIRECT = [("redirect", f"/synthetic/hop-{i}") for i in range(5)]
CASES = {
    # case: (the fault on page 2, settings, what the summary's error says)
    "body cut at 50%": ([("truncate", 0.5)], {}, "listing page cut short"),
    "page over the size cap": (
        [("body", b"<html><body>" + b"<p>padding</p>" * 100_000 + b"</body></html>")],
        {"DOWNLOAD_MAXSIZE": str(512 * 1024)},
        "refused",
    ),
    # (decompressing it up to the cap takes a while on a loaded machine: no time-out then)
    "gzip bomb": (["gzip-bomb"], {"DOWNLOAD_MAXSIZE": str(512 * 1024), "DOWNLOAD_TIMEOUT": "30"}, "refused"),
    "redirect chain past the limit": (LONG_REDIRECT, {"REDIRECT_MAX_TIMES": "3"}, "refused"),
    "self-redirect dropped by the duplicate filter": (
        [("redirect", PAGE2)],
        {},
        "listing page dropped as a duplicate",
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_a_walk_cut_short_is_walked_again_once_the_site_is_fixed(tmp_path, serve, case):
    actions, settings, error = CASES[case]
    site = SyntheticSite(releases=50, per_page=10)
    faults = Faults(site.hook).on(PAGE2, *actions)
    for i in range(5):  # the redirect chain's hops lead on
        faults.on(f"/synthetic/hop-{i}", ("redirect", f"/synthetic/hop-{i + 1}"))
    switch = Switch(site, faults.hook)
    srv = serve(switch.hook)

    first = crawl(tmp_path, srv, settings=settings)
    assert first.returncode == outcome.PAGES_FAILED, first.stderr[-3000:]
    assert numbers(first.records()) >= set(range(40, 50))  # page 1 is kept
    assert not first.source["walk_complete"]
    assert any(error in e["error"] and e["url"].endswith(PAGE2) for e in first.source["errors"])
    assert error in first.stderr  # the log says it too

    switch.fix()
    second = crawl(tmp_path, srv, settings=settings)
    assert second.returncode == 0, second.stderr[-3000:]
    assert second.source["mode"] == "full"  # the last walk was not complete: walk it all
    records = second.records()
    assert numbers(records) == set(range(50)) and len(records) == 50  # all, once


def test_robots_txt_disallowing_the_listing_is_loud(tmp_path, serve):
    site = SyntheticSite(releases=30, per_page=10)
    robots = b"User-agent: *\nDisallow: /synthetic/news/page-2.html\n"
    faults = Faults(site.hook).on("/robots.txt", ("body", robots))
    switch = Switch(site, faults.hook)
    srv = serve(switch.hook)
    first = crawl(tmp_path, srv)
    assert first.returncode == outcome.PAGES_FAILED
    assert numbers(first.records()) == set(range(20, 30))
    assert first.source["stop_reason"] == "listing page refused" and not first.source["walk_complete"]
    assert "robots.txt" in first.source["errors"][0]["error"]
    switch.fix()
    second = crawl(tmp_path, srv)
    assert second.returncode == 0 and numbers(second.records()) == set(range(30))


@pytest.mark.parametrize(
    "fault",
    [("status", 404), "empty", ("body", b"Down for maintenance")],
    ids=["404", "empty-200", "not-the-listing"],
)
def test_a_template_walk_ends_only_on_the_listings_own_empty_page(tmp_path, serve, fault):
    profile = tmp_path / "template.toml"
    profile.write_text(TEMPLATE_PROFILE)
    site = SyntheticSite(releases=60, per_page=10)
    switch = Switch(site, Faults(site.hook).on(PAGE3, fault).hook)
    srv = serve(switch.hook)
    first = crawl(tmp_path, srv, profile=profile)
    assert first.returncode == outcome.PAGES_FAILED, first.stderr[-3000:]
    assert numbers(first.records()) == set(range(40, 60))
    assert not first.source["walk_complete"] and first.source["errors"][0]["url"].endswith(PAGE3)

    switch.fix()
    second = crawl(tmp_path, srv, profile=profile)
    assert second.returncode == 0, second.stderr[-3000:]
    assert numbers(second.records()) == set(range(60))
    # The walk ended on the empty page after the last, the listing's own: a real end.
    assert (second.source["stop_reason"], second.source["walk_complete"]) == ("end of archive", True)
    third = crawl(tmp_path, srv, profile=profile)
    assert third.source["mode"] == "incremental" and third.source["stop_reason"] == "caught up"
