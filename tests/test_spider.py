"""The spider's callbacks in-process: responses built from fixture bytes, no engine, no reactor."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import json
from pathlib import Path

import jsonschema
import pytest
from scrapy import signals
from scrapy.exceptions import DropItem, IgnoreRequest
from scrapy.http import Request
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from pressbot.items import Release, release_id
from pressbot.pipelines import DeduplicatePipeline, NormalisePipeline, ValidatePipeline, WritePipeline
from pressbot.walk import Stop
from tests.conftest import FIXTURES, FIXTURES_URL, ROOT, fixture_response, open_crawler, read_jsonl

AMNESTY = f"{FIXTURES_URL}/amnesty-ca/news/"
SCHEMA = json.loads((ROOT / "pressbot" / "schema" / "release.schema.json").read_text())


def start_requests(spider) -> list[Request]:
    async def collect():
        return [r async for r in spider.start()]

    return asyncio.run(collect())


def call(request: Request, response=None) -> list:
    return list(request.callback(response or fixture_response(request.url, request), **request.cb_kwargs))


def failed(request: Request, exc: Exception) -> list:
    failure = Failure(exc)
    failure.request = request
    return list(request.errback(failure))


def drive(spider, limit: int = 100) -> list[Release]:
    """Follow every request the spider makes, depth first, answering from the fixtures."""
    pending, items = start_requests(spider), []
    while pending and limit:
        limit -= 1
        for out in call(pending.pop(0)):
            (items if isinstance(out, Release) else pending).append(out)
    assert not pending, "the walk did not end"
    return items


def write_all(crawler, items) -> None:
    run = crawler.spider.run
    chain = [
        NormalisePipeline(crawler.stats, run.profiles),
        DeduplicatePipeline(crawler.stats, run.ledger, run.seen),
        WritePipeline(crawler.stats, run.ledger),
    ]
    for item in items:
        with contextlib.suppress(DropItem):
            for pipe in chain:
                item = pipe.process_item(item)
    chain[-1].close_spider()


def test_first_listing_page_gives_its_entries_and_the_next_page(tmp_path):
    crawler, spider = open_crawler(tmp_path)
    [first] = start_requests(spider)
    assert first.url == AMNESTY + "index.html" and first.priority == 10
    out = call(first)
    items = [o for o in out if isinstance(o, Release)]
    [nxt] = [o for o in out if isinstance(o, Request)]
    assert len(items) == 6 and all(i.source == "amnesty-ca" for i in items)
    assert items[0].title == "Russia: Navalny’s sudden illness must be fully investigated"
    assert items[0].published_raw == "August 20, 2020" and items[0].listing_url == first.url
    assert nxt.url == AMNESTY + "page-2.html" and nxt.cb_kwargs["page_no"] == 2
    assert nxt.meta["pressbot_page"] == "listing"
    assert crawler.stats.get_value("pressbot/source/amnesty-ca/pages") == 1
    assert crawler.stats.get_value("pressbot/entries") == 6
    spider.closed("finished")


def test_a_whole_walk_in_process_ends_at_the_archive_end(tmp_path):
    crawler, spider = open_crawler(tmp_path)
    items = drive(spider)
    # 16 entries on three pages, one release listed twice (the deduplicate pipeline's job)
    assert len(items) == 16 and len({i.url for i in items}) == 15
    walk = spider.run.walks["amnesty-ca"]
    assert walk.stop is Stop.END_OF_ARCHIVE and walk.mode == "full"
    assert crawler.stats.get_value("pressbot/source/amnesty-ca/stop_reason") == "end of archive"
    spider.closed("finished")


def test_the_next_run_after_a_complete_walk_stops_when_caught_up(tmp_path):
    crawler, spider = open_crawler(tmp_path)
    write_all(crawler, drive(spider))
    spider.closed("finished")
    assert len(read_jsonl(tmp_path / "releases.jsonl")) == 15

    crawler, spider = open_crawler(tmp_path)
    assert spider.run.walks["amnesty-ca"].mode == "incremental"
    out = call(start_requests(spider)[0])
    [overlap] = [o for o in out if isinstance(o, Request)]  # page 1 known: one page more
    # Every release of the overlap page is known and unchanged: nothing to write, no page more.
    assert call(overlap) == [] and spider.run.walks["amnesty-ca"].stop is Stop.CAUGHT_UP
    spider.closed("finished")

    crawler, spider = open_crawler(tmp_path, settings={"PRESSBOT_OVERLAP_PAGES": 0})
    out = call(start_requests(spider)[0])
    assert not [o for o in out if isinstance(o, Request)]  # no overlap: no page 2
    assert spider.run.walks["amnesty-ca"].stop is Stop.CAUGHT_UP
    spider.closed("finished")


def test_known_unchanged_releases_are_passed_over_and_still_seen_by_the_run(tmp_path):
    crawler, spider = open_crawler(tmp_path)
    first = drive(spider)
    write_all(crawler, first)
    spider.closed("finished")
    assert len(read_jsonl(tmp_path / "releases.jsonl")) == 15

    crawler, spider = open_crawler(tmp_path, full="1")
    # 16 entries on three pages, each as the state holds it: none goes through the pipelines,
    # and each counts as the duplicate it is.
    assert drive(spider) == []
    assert set(spider.run.seen.values()) == {True} and len(spider.run.seen) == 15
    assert crawler.stats.get_value("pressbot/source/amnesty-ca/duplicates") == 16
    # A later sighting with other text (a "Featured" box's) is no revision: the run took the
    # release when it passed over it.
    again = first[0]
    again.summary = "Featured: other words"
    write_all(crawler, [again])
    spider.closed("finished")
    assert len(read_jsonl(tmp_path / "releases.jsonl")) == 15


def test_a_release_on_its_way_to_the_pipelines_is_the_runs_first_sighting(tmp_path):
    crawler, spider = open_crawler(tmp_path)
    write_all(crawler, drive(spider))
    spider.closed("finished")

    crawler, spider = open_crawler(tmp_path, full="1")
    run, edited = spider.run, drive(open_crawler(tmp_path / "other")[1])[0]
    edited.summary = "Edited: new words"
    # Listed with new text on one page (on its way to the pipelines), then as the state holds
    # it on the next page, passed over, before the first item reached the pipelines: the
    # edited one is still written, as a revision.
    rid = release_id("amnesty-ca", run.profiles["amnesty-ca"].base_url, edited.url)
    run.sighted("amnesty-ca", [rid], [])
    run.sighted("amnesty-ca", [rid], [rid])
    write_all(crawler, [edited])
    spider.closed("finished")
    records = read_jsonl(tmp_path / "releases.jsonl")
    assert len(records) == 16 and records[-1]["revision"] == 2


def test_a_walk_cut_short_by_the_run_is_walked_whole_next_time(tmp_path):
    crawler, spider = open_crawler(tmp_path, max_pages="1")
    items = drive(spider)
    write_all(crawler, items)
    assert spider.run.walks["amnesty-ca"].stop is Stop.RUN_PAGE_LIMIT
    spider.closed("finished")
    crawler, spider = open_crawler(tmp_path)
    assert spider.run.walks["amnesty-ca"].mode == "full"
    spider.closed("finished")


def test_a_run_that_did_not_finish_leaves_the_walk_open(tmp_path):
    crawler, spider = open_crawler(tmp_path)
    write_all(crawler, drive(spider))
    spider.closed("shutdown")
    crawler, spider = open_crawler(tmp_path)
    assert spider.run.walks["amnesty-ca"].mode == "full"
    spider.closed("finished")


def test_a_listing_page_that_fails_stops_the_walk_with_an_error(tmp_path):
    crawler, spider = open_crawler(tmp_path)
    [first] = start_requests(spider)
    nxt = [o for o in call(first) if isinstance(o, Request)][0]
    response = fixture_response(nxt.url, nxt, status=503)
    assert failed(nxt, HttpError(response, "Ignoring non-200 response")) == []
    run = spider.run
    assert run.walks["amnesty-ca"].stop is Stop.ERROR
    assert run.reports["amnesty-ca"].errors == [{"url": nxt.url, "page": "listing", "error": "HTTP 503"}]
    assert crawler.stats.get_value("pressbot/failed_pages") == 1
    assert run.finished_walks("finished") == {}
    spider.closed("finished")


def test_a_refused_listing_page_is_a_trap(tmp_path):
    crawler, spider = open_crawler(tmp_path)
    [first] = start_requests(spider)
    assert failed(first, IgnoreRequest("Forbidden by robots.txt")) == []
    run = spider.run
    assert run.walks["amnesty-ca"].stop is Stop.REFUSED
    assert run.reports["amnesty-ca"].traps == [{"url": first.url, "problem": "Forbidden by robots.txt"}]
    spider.closed("finished")


def test_a_page_with_no_entries_is_drift(tmp_path):
    crawler, spider = open_crawler(tmp_path)
    [first] = start_requests(spider)
    response = fixture_response(first.url, first).replace(body=b"<html><body>Moved</body></html>")
    assert call(first, response) == []
    run = spider.run
    assert run.walks["amnesty-ca"].stop is Stop.DRIFT
    assert "matched 0 entries" in run.reports["amnesty-ca"].drift[0]["problem"]
    assert crawler.stats.get_value("pressbot/drift") == 1
    spider.closed("finished")


@pytest.fixture
def wp(tmp_path):
    crawler, spider = open_crawler(tmp_path, source="wp-news")
    out = call(start_requests(spider)[0])
    details = [o for o in out if isinstance(o, Request) and o.meta["pressbot_page"] == "detail"]
    yield crawler, spider, details
    spider.closed("finished")


def test_release_pages_are_followed_and_add_what_the_listing_lacks(wp):
    crawler, spider, details = wp
    assert details and all(d.meta["allow_offsite"] for d in details)
    request = details[0]
    [item] = call(request)
    entry = request.cb_kwargs["entry"]
    assert item.title == entry["title"] and item.url == entry["url"]  # the listing's stand
    assert item.body and item.body not in (entry.get("summary") or "")  # the page's text
    assert crawler.stats.get_value("pressbot/detail_pages") == 1


def test_a_refused_release_page_keeps_its_listing_entry(wp):
    crawler, spider, details = wp
    request = details[0]
    [item] = failed(request, IgnoreRequest("offsite"))
    assert item.title == request.cb_kwargs["entry"]["title"] and item.body is None
    assert spider.run.walks["wp-news"].stop is None  # the walk goes on
    assert spider.run.reports["wp-news"].traps[0]["url"] == request.url


# --- dates: settled by the listing page, optional, in the publisher's time zone ---------------
DATES = FIXTURES / "dates"
AMBIGUOUS = "ambiguous day/month order: '{}' is {} day first or {} month first; set [dates] order"


def crawl_in_process(tmp_path, profile: Path) -> tuple[dict, list[dict]]:
    """Walk ``profile``'s listing and put every item through the pipelines, as a crawl does."""
    crawler, spider = open_crawler(tmp_path, profile=str(profile))
    run = spider.run
    chain = [
        NormalisePipeline(crawler.stats, run.profiles),
        ValidatePipeline.from_crawler(crawler),
        DeduplicatePipeline(crawler.stats, run.ledger),
        WritePipeline(crawler.stats, run.ledger),
    ]
    for item in drive(spider):
        with contextlib.suppress(DropItem):
            for pipe in chain:
                item = pipe.process_item(item)
    for pipe in chain:
        pipe.close_spider()
    spider.closed("finished")
    return crawler.stats.get_stats(), read_jsonl(tmp_path / "releases.jsonl")


@pytest.mark.parametrize(
    "name, published, problems, out_of_order",
    [
        # Day first with two-digit years and no [dates] table: read month first before (all six
        # wrong). Page 1 only reads newest first day first; page 2 reads newest first both ways.
        (
            "press-dotted",
            ["2018-07-02", "2018-06-11", "2018-06-05", "2018-06-01", None, None],
            {
                4: AMBIGUOUS.format("04.05.18", "2018-05-04", "2018-04-05"),
                5: AMBIGUOUS.format("03.05.18", "2018-05-03", "2018-03-05"),
            },
            0,
        ),
        # Days above 12 settle the page (three of these were read month first before); the pinned
        # welcome post at the top is far out of the listing's order: kept, and counted.
        (
            "nordic-news",
            ["2013-11-27", "2016-02-16", "2015-10-02", "2015-09-18", "2015-02-11", "2014-06-03"],
            {},
            1,
        ),
        # Year first: year, month, day, as before.
        ("blog-cards", ["2013-05-01", "2013-04-16", "2013-04-04", "2013-03-12"], {}, 0),
    ],
)
def test_numeric_dates_without_a_dates_table(tmp_path, name, published, problems, out_of_order):
    stats, records = crawl_in_process(tmp_path, DATES / f"{name}.toml")
    assert [r["published"] for r in records] == published
    assert {i: r["date_problem"] for i, r in enumerate(records) if r["date_problem"]} == problems
    assert stats.get(f"pressbot/source/{name}/date_problems", 0) == len(problems)
    assert stats[f"pressbot/source/{name}/dates_out_of_order"] == out_of_order
    for record in records:
        jsonschema.validate(record, SCHEMA)


def test_optional_dates_keep_undated_entries(tmp_path):
    stats, records = crawl_in_process(tmp_path / "optional", DATES / "undated.toml")
    assert [(r["published_raw"], r["published"], r["date_problem"]) for r in records] == [
        ("12. Juni 2024", "2024-06-12", None),
        (None, None, "no date on the listing"),
        ("3. Juni 2024", "2024-06-03", None),
        (None, None, "no date on the listing"),
    ]
    assert stats["pressbot/source/undated/date_problems"] == 2
    assert "pressbot/dropped" not in stats
    for record in records:
        jsonschema.validate(record, SCHEMA)
    # The same profile without optional = true drops them, as before.
    required = tmp_path / "required.toml"
    required.write_text((DATES / "undated.toml").read_text().replace("optional = true", ""))
    stats, records = crawl_in_process(tmp_path / "required", required)
    assert [r["published"] for r in records] == ["2024-06-12", "2024-06-03"]
    assert stats["pressbot/source/undated/dropped/missing_published_raw"] == 2


#: The Port of Kelmarsh's releases (fixtures/dates/dated-by-pages): listed undated, each
#: dated from its page as a person reads it, and how.
DATED_BY_PAGES = [
    ("harbour-dredging.html", "2024-03-04", "page metadata", None),  # 23:30 at -05:00: the 4th
    ("ferry-timetable.html", "2024-02-27", "page metadata", None),  # published, not modified
    ("volunteer-awards.html", "2024-02-20", "page metadata", None),  # the article's <time>
    ("bridge-closure.html", "2024-02-12", "page metadata", None),  # dcterms.date, date only
    ("annual-report.html", "2024-02-05", "page text", None),  # "Published 5 February 2024"
    (
        "community-grants.html",
        None,
        None,
        "on the release page: ambiguous day/month order: '02/01/2024' is 2024-01-02 day first or "
        "2024-02-01 month first, and the page settles neither",
    ),
]


def test_a_listing_without_dates_is_dated_from_its_release_pages(tmp_path):
    stats, records = crawl_in_process(tmp_path, DATES / "dated-by-pages.toml")
    assert [
        (r["url"].rsplit("/", 1)[1], r["published"], r["date_source"], r["date_problem"]) for r in records
    ] == DATED_BY_PAGES
    assert [r["published_raw"] for r in records] == [None] * 6
    assert records[0]["published_at"] == "2024-03-04T23:30:00-05:00"
    assert "From 23 March the ferry to Ostholm adds two crossings" in records[1]["body"]
    assert "pressbot/dropped" not in stats and stats["pressbot/source/dated-by-pages/date_problems"] == 1
    for record in records:
        jsonschema.validate(record, SCHEMA)


def test_the_publisher_s_time_zone_gives_the_local_day(tmp_path):
    _, records = crawl_in_process(tmp_path, DATES / "late-feed.toml")
    assert [(r["published"], r["published_at"]) for r in records] == [
        ("2024-06-05", "2024-06-05T00:30:00+02:00"),  # 22:30 UTC on 4 June is 5 June in Paris
        ("2024-06-04", "2024-06-04T10:00:00+02:00"),
        ("2024-06-02", "2024-06-02T23:45:00+02:00"),  # its own offset: its own day
    ]


def test_values_a_page_could_not_use_are_counted_logged_and_listed(tmp_path):
    crawler, spider = open_crawler(tmp_path)
    [first] = start_requests(spider)
    response = fixture_response(first.url, first)
    bad = response.body.replace(b'href="russia-navalny-illness.html"', b'href="javascript:void(0)"', 1)
    assert bad != response.body
    out = call(first, response.replace(body=bad))
    items = [o for o in out if isinstance(o, Release)]
    assert len(items) == 6 and items[0].url is None  # the entry goes on, without its link
    [problem] = spider.run.reports["amnesty-ca"].problems
    assert (problem["url"], problem["entry"], problem["field"]) == (first.url, 0, "url")
    assert "javascript:void(0)" in problem["problem"]
    assert crawler.stats.get_value("pressbot/source/amnesty-ca/entry_problems/not_http_url") == 1
    spider.closed("finished")


def test_a_start_url_off_the_profiles_domains_is_a_walk_that_ends_short(tmp_path):
    profile = tmp_path / "moved.toml"
    text = (FIXTURES / "synthetic" / "synthetic.toml").read_text()
    profile.write_text(
        text.replace(
            'start_urls = ["news/index.html"]',
            'start_urls = ["news/index.html"]\nallowed_domains = ["press.example.org"]',
        )
    )
    crawler, spider = open_crawler(tmp_path, profile=str(profile))
    assert start_requests(spider) == []
    walk = spider.run.walks["synthetic"]
    assert walk.stop is Stop.OFF_SITE and not walk.stop.complete
    [error] = spider.run.reports["synthetic"].errors
    assert "allowed_domains" in error["error"]
    assert crawler.stats.get_value("pressbot/incomplete_walks") == 1  # the run exits 69
    spider.closed("finished")


@pytest.mark.parametrize(
    "setting, before, during",
    [
        (None, (700, 10, 10), (10000, 10, 10)),  # pressbot's default
        ("2500", (700, 5, 7), (2500, 5, 7)),
        ("0", (700, 10, 10), (700, 10, 10)),  # left alone
        (None, (50000, 10, 10), (50000, 10, 10)),  # already waiting longer
        (None, (0, 10, 10), (0, 10, 10)),  # switched off
    ],
)
def test_the_garbage_collector_waits_longer_while_the_engine_runs(tmp_path, setting, before, during):
    saved = gc.get_threshold()
    settings = {} if setting is None else {"PRESSBOT_GC_THRESHOLD": setting}
    try:
        gc.set_threshold(*before)
        crawler, spider = open_crawler(tmp_path, settings)
        crawler.signals.send_catch_log(signals.engine_started)
        assert gc.get_threshold() == during
        crawler.signals.send_catch_log(signals.engine_stopped)
        assert gc.get_threshold() == before
        spider.closed("finished")
    finally:
        gc.set_threshold(*saved)
