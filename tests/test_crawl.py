"""End-to-end: real `scrapy crawl releases` processes against the fixture site over HTTP."""

from __future__ import annotations

import json
from collections import Counter

import jsonschema

from pressbot import outcome
from tests.conftest import FIXTURES, ROOT, run_crawl

SCHEMA = json.loads((ROOT / "pressbot" / "schema" / "release.schema.json").read_text())


def expected_releases() -> dict[str, dict]:
    """The hand-written expected entries of every listing page, by path under the site."""
    out = {}
    for case in sorted((FIXTURES / "cases").glob("amnesty-ca-page-*")):
        for entry in json.loads((case / "expected.json").read_text(encoding="utf-8")):
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
    assert [r["published"] for r in records] == sorted((r["published"] for r in records),
                                                       reverse=True)
    # The three pages were fetched over HTTP, and the shifting duplicate was dropped.
    assert Counter(p for p in server.hits if p.endswith(".html")) == {
        "/amnesty-ca/news/index.html": 1, "/amnesty-ca/news/page-2.html": 1,
        "/amnesty-ca/news/page-3.html": 1}
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
        "2020-08-20", "2020-08-18", "2020-07-29", "2020-07-27", "2020-07-23", "2020-07-22"}
    # Page 2 still had a July 22 entry, so it was read; page 3 (all older) was not.
    assert "/amnesty-ca/news/page-2.html" in server.hits
    assert "/amnesty-ca/news/page-3.html" not in server.hits


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
