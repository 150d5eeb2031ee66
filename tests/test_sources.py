"""Every shipped profile crawls its fixture site over HTTP to exactly its expected releases."""

from __future__ import annotations

import json

import pytest

from pressbot.profiles import available_sources
from tests.conftest import FIXTURES, ROOT, run_crawl

#: Real `scrapy crawl` processes and servers: the slow loop (README).
pytestmark = pytest.mark.integration

#: Where each shipped profile's hand-written expected releases are.
EXPECTED = {n: FIXTURES / n / "expected.json" for n in available_sources()}
EXPECTED["feed-newsroom-atom"] = FIXTURES / "feed-newsroom" / "expected-atom.json"
EXPECTED["amnesty-ca"] = None  # checked field by field in test_crawl.py and test_parsing.py
SITES = sorted(n for n, path in EXPECTED.items() if path is not None)


@pytest.mark.parametrize("name", SITES)
def test_source_crawls_its_fixture_exactly(tmp_path, server, name):
    expected = json.loads(EXPECTED[name].read_text(encoding="utf-8"))
    result = run_crawl(tmp_path, server.url, "-a", f"source={name}")
    assert result.returncode == 0, result.stderr[-3000:]
    records = result.records()

    def key(r):
        return r["url"].replace(server.url, "")

    got = [
        {
            "path": key(r),
            "title": r["title"],
            "published": r["published"],
            "published_raw": r["published_raw"],
        }
        for r in records
    ]
    assert sorted(got, key=lambda r: r["path"]) == sorted(expected, key=lambda r: r["path"])
    assert len({r["id"] for r in records}) == len(expected)
    summary = result.summary["sources"][name]
    assert summary["stop_reason"] in ("end of archive", "page limit")
    assert summary["traps"] == [] and summary["drift"] == [] and summary["errors"] == []
    # A second run over the unchanged site reads the first listing page, then one more (the
    # overlap), and writes nothing.
    pages = result.summary["sources"][name]["pages"]
    again = run_crawl(tmp_path, server.url, "-a", f"source={name}")
    assert again.returncode == 0 and len(again.records()) == len(records)
    summary = again.summary["sources"][name]
    assert (summary["pages"], summary["stop_reason"]) == (min(2, pages), "caught up")


def test_detail_pages_add_time_author_and_body(tmp_path, server):
    result = run_crawl(tmp_path, server.url, "-a", "source=wp-news")
    by_path = {r["url"].replace(server.url, ""): r for r in result.records()}
    report = by_path["/wp-news/2023/05/04/river-quality-report-2022/"]
    assert report["published_at"] == "2023-05-04T09:30:00Z"
    assert report["author"] and report["body"].count("\n\n") >= 1
    assert report["summary"] and report["summary"] != report["body"]
    assert all(r["published_at"] for r in by_path.values())


def test_identity_and_robots(tmp_path, server):
    result = run_crawl(
        tmp_path,
        server.url,
        "-a",
        "source=drupal-views",
        "-a",
        "max_pages=1",
        settings={"PRESSBOT_CONTACT_URL": "https://data.example.org/pressbot"},
    )
    assert result.returncode == 0
    assert server.agents == {"pressbot/0.1.0 (+https://data.example.org/pressbot)"}
    assert server.hits[0] == "/robots.txt"  # robots.txt is asked for first
    assert "AutoThrottle" not in result.stderr  # local fixtures: no throttling


def test_several_sources_in_one_run_each_get_their_own_walk(tmp_path, server):
    result = run_crawl(tmp_path, server.url, "-a", "source=wp-news,gouv-fr")
    assert result.returncode == 0, result.stderr[-3000:]
    by_source: dict[str, set[str]] = {}
    for r in result.records():
        by_source.setdefault(r["source"], set()).add(r["id"])
    for name in ("wp-news", "gouv-fr"):
        expected = json.loads(EXPECTED[name].read_text(encoding="utf-8"))
        assert len(by_source[name]) == len(expected), name
        assert result.summary["sources"][name]["stop_reason"] == "end of archive"
    assert set(by_source) == {"wp-news", "gouv-fr"}


def test_a_profile_with_the_old_field_keys_crawls_as_the_shipped_one_and_says_so(tmp_path, server):
    old_keys = ROOT / "tests" / "old_profiles" / "amnesty-ca.toml"
    old = run_crawl(tmp_path / "old", server.url, "-a", f"profile={old_keys}")
    new = run_crawl(tmp_path / "new", server.url, "-a", "source=amnesty-ca")
    assert old.returncode == new.returncode == 0, old.stderr[-3000:]
    assert (
        "ProfileDeprecationWarning: "
        f"{old_keys}: [listing.fields.published] is deprecated: "
        "the key is now published_raw"
    ) in old.stderr
    assert "ProfileDeprecationWarning" not in new.stderr

    def records(result):
        return [{k: v for k, v in r.items() if k != "crawled_at"} for r in result.records()]

    assert len(records(new)) == 15 and records(old) == records(new)
