"""End-to-end: real `scrapy crawl releases` processes against the fixture site over HTTP."""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter

import jsonschema
import pytest

from pressbot import outcome
from pressbot.synthetic import SyntheticSite
from tests.conftest import FIXTURES, ROOT, SYNTHETIC_PROFILE, run_crawl

#: Real `scrapy crawl` processes and servers: the slow loop (README).
pytestmark = pytest.mark.integration

SCHEMA = json.loads((ROOT / "pressbot" / "schema" / "release.schema.json").read_text())


def expected_releases() -> dict[str, dict]:
    """The hand-written expected entries of every listing page, by path under the site."""
    out = {}
    for case in sorted((FIXTURES / "cases").glob("amnesty-ca-page-*")):
        expected = json.loads((case / "expected.json").read_text(encoding="utf-8"))
        for entry in expected["records"]:
            out.setdefault(entry["url"].split("/amnesty-ca/", 1)[1], entry)
    return out


def test_crawl_writes_the_15_seed_releases_once_then_nothing(tmp_path, server):
    first = run_crawl(tmp_path, server.url, feed=tmp_path / "feed1.jsonl")
    assert first.returncode == 0, first.stderr
    records = first.records()
    expected = expected_releases()
    assert len(expected) == 15
    assert len(records) == 15
    by_path = {r["url"].split("/amnesty-ca/", 1)[1]: r for r in records}
    assert set(by_path) == set(expected)
    for path, want in expected.items():
        got = by_path[path]
        for key in ("title", "published", "published_raw", "subtitle", "summary"):
            assert got[key] == want[key], (path, key)
        assert got["url"] == f"{server.url}/amnesty-ca/{path}"
        assert got["listing_url"].startswith(f"{server.url}/amnesty-ca/news/")
        assert got["revision"] == 1
    assert len({r["id"] for r in records}) == 15
    # Seed order is kept: newest first, as listed.
    assert [r["published"] for r in records] == sorted((r["published"] for r in records), reverse=True)
    # The three pages were fetched over HTTP, and the shifting duplicate was dropped.
    assert Counter(p for p in server.hits if p.endswith(".html")) == {
        "/amnesty-ca/news/index.html": 1,
        "/amnesty-ca/news/page-2.html": 1,
        "/amnesty-ca/news/page-3.html": 1,
    }
    assert "wrote 15 new or revised releases" in first.stderr
    # Scrapy's own feed export holds exactly this run's new releases.
    assert [r["id"] for r in first.feed_records()] == [r["id"] for r in records]
    for record in records:
        jsonschema.validate(record, SCHEMA)

    second = run_crawl(tmp_path, server.url, feed=tmp_path / "feed2.jsonl")
    assert second.returncode == 0, second.stderr
    assert second.records() == records  # nothing appended
    assert second.feed_records() == []
    assert "wrote 0 new or revised releases" in second.stderr


def test_ids_are_stable_across_hosts(tmp_path, server):
    """The same release served from another origin (or file://) keeps its id."""
    over_http = run_crawl(tmp_path / "http", server.url).records()
    over_file = run_crawl(tmp_path / "file", FIXTURES.as_uri()).records()
    assert [r["id"] for r in over_http] == [r["id"] for r in over_file]
    assert over_file[0]["url"].startswith("file://")


def test_max_pages_and_since_bound_the_walk(tmp_path, server):
    one_page = run_crawl(tmp_path / "a", server.url, "-a", "max_pages=1")
    assert one_page.returncode == 0, one_page.stderr
    assert len(one_page.records()) == 6
    server.hits.clear()
    recent = run_crawl(tmp_path / "b", server.url, "-a", "since=2020-07-22")
    assert recent.returncode == 0, recent.stderr
    assert {r["published"] for r in recent.records()} == {
        "2020-08-20",
        "2020-08-18",
        "2020-07-29",
        "2020-07-27",
        "2020-07-23",
        "2020-07-22",
    }
    # Page 2 still had a July 22 entry, so it was read; page 3 (all older) was not.
    assert "/amnesty-ca/news/page-2.html" in server.hits
    assert "/amnesty-ca/news/page-3.html" not in server.hits
    # Runs cut short by their own options did not walk the archive: the next plain run does,
    # instead of stopping at the first known page, and collects what they left behind.
    for workdir, before in ((tmp_path / "a", 6), (tmp_path / "b", 6)):
        rest = run_crawl(workdir, server.url)
        assert rest.returncode == 0, rest.stderr
        records = rest.records()
        assert len(records) == 15 and len({r["id"] for r in records}) == 15, workdir
        assert rest.summary["written"] == 15 - before


def test_bad_arguments_fail_before_any_request(tmp_path, server):
    for args, message in [
        (("-a", "max_pages=zero"), "max_pages: 'zero' is not a whole number"),
        (("-a", "since=last week"), "since: 'last week' is not a date"),
        (("-a", "source=amnesty-ca,nowhere"), "[source] unknown source nowhere; known: amnesty-ca"),
        (("-a", "colour=red"), "unknown argument(s) colour"),
        (("-a", f"profile={tmp_path / 'missing.toml'}"), "no such profile file"),
    ]:
        result = run_crawl(tmp_path, server.url, *args)
        assert result.returncode == outcome.BAD_CONFIG, (args, result.stderr)
        assert "pressbot: error: " in result.stderr and message in result.stderr
        assert "Traceback" not in result.stderr
    assert server.hits == []


def test_user_profile_file(tmp_path, server):
    src = (ROOT / "pressbot" / "sources" / "amnesty-ca.toml").read_text()
    own = tmp_path / "mine.toml"
    own.write_text(src.replace('name = "amnesty-ca"', 'name = "my-copy"'))
    result = run_crawl(tmp_path, server.url, "-a", f"profile={own}")
    assert result.returncode == 0, result.stderr
    records = result.records()
    assert len(records) == 15 and {r["source"] for r in records} == {"my-copy"}


class BadDates(SyntheticSite):
    """Release 7 is dated in the future, release 3 before 1990: a site's typos."""

    def date(self, k: int) -> dt.date:
        return {7: dt.date(2099, 1, 1), 3: dt.date(1970, 1, 1)}.get(k, super().date(k))


def test_dates_that_cannot_be_trusted_are_written_null_counted_and_logged(tmp_path, serve):
    srv = serve(BadDates(releases=10).hook)
    result = run_crawl(tmp_path, srv.url, "-a", f"profile={SYNTHETIC_PROFILE}")
    assert result.returncode == 0, result.stderr
    records = {int(r["url"].rsplit("/", 1)[1].split(".")[0]): r for r in result.records()}
    assert len(records) == 10  # written all the same: nothing is lost over a typo
    assert records[7]["published"] is None and "in the future" in records[7]["date_problem"]
    assert records[3]["published"] is None and "before 1990" in records[3]["date_problem"]
    assert records[7]["published_raw"] == "01 January 2099"
    assert all(r["published"] and r["date_problem"] is None for k, r in records.items() if k not in (3, 7))
    assert result.summary["sources"]["synthetic"]["date_problems"] == 2
    assert result.stderr.count("WARNING: synthetic: date") == 2


def test_a_day_first_source_without_a_dates_table_is_never_read_month_first(tmp_path, server):
    """fixtures/dates/press-dotted: "11.06.18" and the like, with no [dates] order. Before, all
    six were written month first (2018-11-06), exit 0, no warning."""
    profile = FIXTURES / "dates" / "press-dotted.toml"
    result = run_crawl(tmp_path, server.url, "-a", f"profile={profile}")
    # Unreadable dates are reported, not lost: a clean run (README, exit status).
    assert result.returncode == outcome.OK, result.stderr
    records = result.records()
    assert [(r["published_raw"], r["published"]) for r in records] == [
        ("02.07.18", "2018-07-02"),  # page 1: only day first keeps it newest first
        ("11.06.18", "2018-06-11"),
        ("05.06.18", "2018-06-05"),
        ("01.06.18", "2018-06-01"),
        ("04.05.18", None),  # page 2: newest first either way, so not read
        ("03.05.18", None),
    ]
    assert records[4]["date_problem"] == (
        "ambiguous day/month order: '04.05.18' is 2018-05-04 day first or 2018-04-05 month first; "
        "set [dates] order"
    )
    assert "ambiguous day/month order: '03.05.18'" in records[5]["date_problem"]
    for record in records:
        jsonschema.validate(record, SCHEMA)
    source = result.summary["sources"]["press-dotted"]
    assert (source["date_problems"], source["dates_out_of_order"], source["new"]) == (2, 0, 6)
    assert result.summary["exit_code"] == outcome.OK
    assert result.stderr.count("WARNING: press-dotted: ambiguous day/month order") == 2

    # Declaring the order reads them all, as revisions of the two (their date changed); a full
    # walk, since an incremental one stops at page 1, which it knows (README, Dates).
    declared = tmp_path / "declared.toml"
    declared.write_text(profile.read_text() + '\n[dates]\norder = "DMY"\n')
    again = run_crawl(tmp_path, server.url, "-a", f"profile={declared}", "-a", "full=1")
    assert again.returncode == outcome.OK, again.stderr
    revised = again.records()[6:]
    assert [(r["published"], r["revision"]) for r in revised] == [("2018-05-04", 2), ("2018-05-03", 2)]
    assert again.summary["sources"]["press-dotted"]["date_problems"] == 0


def test_a_source_with_optional_dates_keeps_its_undated_entries(tmp_path, server):
    result = run_crawl(tmp_path, server.url, "-a", f"profile={FIXTURES / 'dates' / 'undated.toml'}")
    assert result.returncode == outcome.OK, result.stderr
    records = result.records()
    assert [r["date_problem"] for r in records] == [
        None,
        "no date on the listing",
        None,
        "no date on the listing",
    ]
    for record in records:
        jsonschema.validate(record, SCHEMA)
    source = result.summary["sources"]["undated"]
    assert (source["new"], source["dropped"], source["drift"]) == (4, {}, [])


def test_a_listing_without_dates_is_dated_from_its_release_pages_once(tmp_path, server):
    from tests.test_spider import DATED_BY_PAGES

    profile = f"profile={FIXTURES / 'dates' / 'dated-by-pages.toml'}"
    result = run_crawl(tmp_path, server.url, "-a", profile)
    assert result.returncode == outcome.OK, result.stderr
    records = result.records()
    got = [(r["url"].rsplit("/", 1)[1], r["published"], r["date_source"], r["date_problem"]) for r in records]
    assert sorted(got, key=str) == sorted(DATED_BY_PAGES, key=str)  # (release pages come in any order)
    for record in records:
        jsonschema.validate(record, SCHEMA)
    source = result.summary["sources"]["dated-by-pages"]
    assert (source["new"], source["dropped"], source["drift"], source["date_problems"]) == (6, {}, [], 1)
    pages = [p for p in server.hits if p.startswith("/dates/dated-by-pages/")]
    assert len(pages) == 8 and len(set(pages)) == 8  # two listing pages, six release pages, once each
    # The next run finds the listing unchanged: it follows no release page again, writes nothing.
    del server.hits[:]
    again = run_crawl(tmp_path, server.url, "-a", profile)
    assert again.returncode == outcome.OK, again.stderr
    assert len(again.records()) == 6
    assert not [p for p in server.hits if not p.endswith(("index.html", "page-2.html", "robots.txt"))]
    assert again.summary["sources"]["dated-by-pages"]["stop_reason"] == "caught up"
