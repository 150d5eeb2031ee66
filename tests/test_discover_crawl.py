"""Zero configuration end to end: real `scrapy crawl releases -a url=URL` and `scrapy
genprofile` processes against the Harbourside fixture press room over HTTP on 127.0.0.1."""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib

import pytest

from pressbot import outcome
from pressbot.profiles import load_profile
from tests.conftest import FIXTURES, ROOT, run_crawl

pytestmark = pytest.mark.integration

EXPECTED = json.loads((FIXTURES / "discover" / "expected.json").read_text(encoding="utf-8"))["releases"]


def genprofile(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "scrapy", "genprofile", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_zero_configuration_crawl_then_an_incremental_run(tmp_path, server):
    press = f"{server.url}/discover/press/"
    first = run_crawl(tmp_path, server.url, "-a", f"url={press}")
    assert first.returncode == 0, first.stderr
    records = first.records()
    assert [(r["url"], r["title"], r["published_raw"], r["published"]) for r in records] == [
        (f"{server.url}/discover/{p}", t, raw, day) for p, t, raw, day in EXPECTED
    ]
    assert {r["source"] for r in records} == {"127-0-0-1-" + server.url.rsplit(":", 1)[1] + "-discover-press"}
    assert "detected the listing on" in first.stderr
    summary = first.summary
    assert summary["exit_code"] == 0
    source = next(iter(summary["sources"].values()))
    assert source["stop_reason"] == "end of archive"
    assert source["detected"]["page"] == press
    assert source["detected"]["entry"] == "li.release, div.featured-release"
    assert source["detected"]["fields"]["title"].endswith("(sure, 5/5)")
    # The second run detects again, is caught up at once and writes nothing: it reads the
    # first page and the overlap page, as a profiled source does.
    server.hits.clear()
    second = run_crawl(tmp_path, server.url, "-a", f"url={press}")
    assert second.returncode == 0, second.stderr
    assert len(second.records()) == len(records)  # (the same file: nothing appended)
    assert "wrote 0 new or revised releases" in second.stderr
    assert next(iter(second.summary["sources"].values()))["stop_reason"] == "caught up"
    assert [h for h in server.hits if h.startswith("/discover/")] == [
        "/discover/press/",
        "/discover/press/page-2.html",
    ]


def test_a_page_that_is_no_listing_writes_nothing_and_exits_66(tmp_path, server):
    # A page with no press room link and no feed; a release page (its menu's link to the press
    # room is not followed: the user pointed at one article).
    for page in ("discover/contact.html", "discover/press/2024-03-12-new-play-park.html"):
        result = run_crawl(tmp_path / page.replace("/", "-"), server.url, "-a", f"url={server.url}/{page}")
        assert result.returncode == outcome.NOT_A_LISTING == 67, result.stderr
        assert result.records() == []
        assert "no listing detected on" in result.stderr
        summary = result.summary
        assert summary["exit_code"] == 67
        source = next(iter(summary["sources"].values()))
        assert source["stop_reason"] == "no listing detected"
        assert source["detected"]["page"] is None and source["detected"]["tried"]
        assert source["errors"][0]["error"].startswith("no listing detected: ")


def test_a_home_page_leads_to_its_press_room_and_a_page_with_a_feed_to_the_feed(tmp_path, server):
    home = run_crawl(tmp_path / "home", server.url, "-a", f"url={server.url}/discover/")
    assert home.returncode == 0, home.stderr
    assert f"trying {server.url}/discover/press/ (the press room the page links to" in home.stderr
    assert [r["title"] for r in home.records()] == [t for _, t, _, _ in EXPECTED]
    feed = run_crawl(tmp_path / "feed", server.url, "-a", f"url={server.url}/discover/updates.html")
    assert feed.returncode == 0, feed.stderr
    assert f"trying {server.url}/discover/press/feed.xml (the feed the page advertises)" in feed.stderr
    assert [(r["title"], r["published"]) for r in feed.records()] == [
        (t, day) for _, t, _, day in EXPECTED[:5]
    ]


def test_a_load_more_newsroom_whose_later_pages_answer_json(tmp_path, server):
    want = json.loads((FIXTURES / "mixed-newsroom" / "expected.json").read_text(encoding="utf-8"))
    result = run_crawl(tmp_path, server.url, "-a", f"url={server.url}/mixed-newsroom/news/index.html")
    assert result.returncode == 0, result.stderr
    assert "the pages after the first answer JSON" in result.stderr
    got = [(r["url"].removeprefix(server.url), r["title"], r["published"]) for r in result.records()]
    assert got == [(w["path"], w["title"], w["published"]) for w in want]


def test_a_start_url_that_fails_is_a_failed_page_not_a_refusal(tmp_path, server):
    result = run_crawl(tmp_path, server.url, "-a", f"url={server.url}/discover/no-such-page.html")
    assert result.returncode == outcome.PAGES_FAILED == 69, result.stderr
    assert result.records() == []
    bad = run_crawl(tmp_path / "bad", server.url, "-a", "url=ftp://example.gov/press")
    assert bad.returncode == outcome.BAD_CONFIG
    assert "url: 'ftp://example.gov/press' is not an absolute http(s) URL" in bad.stderr


def test_genprofile_writes_a_profile_that_crawls_the_same_releases(tmp_path, server):
    press = f"{server.url}/discover/press/"
    target = tmp_path / "sources" / "harbourside.toml"
    made = genprofile(press, "-o", str(target))
    assert made.returncode == 0, made.stderr
    assert "releases   5 on this page:" in made.stdout
    assert "2024-03-14  Harbour wall repairs to begin on Monday" in made.stdout
    text = target.read_text(encoding="utf-8")
    assert text.startswith(f"# Written by `scrapy genprofile {press}`")
    profile = load_profile(target)
    assert profile.start_urls == (press,)
    # The file crawls what the zero-configuration run crawls, with the same ids.
    by_file = run_crawl(tmp_path / "file", server.url, "-a", f"profile={target}")
    by_url = run_crawl(tmp_path / "url", server.url, "-a", f"url={press}")
    assert by_file.returncode == by_url.returncode == 0, by_file.stderr + by_url.stderr
    keys = ("id", "source", "url", "title", "published", "summary")
    assert [{k: r[k] for k in keys} for r in by_file.records()] == [
        {k: r[k] for k in keys} for r in by_url.records()
    ]
    assert len(by_file.records()) == len(EXPECTED)
    # An existing file is not overwritten without --force.
    again = genprofile(press, "-o", str(target))
    assert again.returncode == outcome.BAD_CONFIG
    assert "exists: give --force" in again.stderr
    # scrapy inspect works on it as on any profile.
    shown = subprocess.run(
        [sys.executable, "-m", "scrapy", "inspect", str(target), f"{server.url}/discover/press/page-2.html"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert shown.returncode == 0, shown.stderr
    assert "matched 3 entries" in shown.stdout


def test_genprofile_finds_the_press_room_of_a_home_page(tmp_path, server):
    made = genprofile(f"{server.url}/discover/")
    assert made.returncode == 0, made.stderr
    profile = tomllib.loads(made.stdout)
    assert profile["start_urls"] == [f"{server.url}/discover/press/"]
    assert f"chose {server.url}/discover/press/: its text is 'press releases'" in made.stderr


def test_genprofile_refuses_a_page_that_is_no_listing(tmp_path, server):
    target = tmp_path / "x.toml"
    made = genprofile(f"{server.url}/discover/contact.html", "-o", str(target))
    assert made.returncode == outcome.NOT_A_LISTING
    assert "nothing written" in made.stderr
    assert "links to no page whose text or path says news, press or media" in made.stdout
    assert not target.exists()
