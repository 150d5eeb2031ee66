"""Live counts in-process: the pipelines' tallies reach the stats while the run goes, and the
progress lines say how far each source got (no engine, no reactor: the timer's tick is called)."""

from __future__ import annotations

import contextlib
import logging

import pytest
from scrapy.exceptions import DropItem, NotConfigured
from scrapy.utils.test import get_crawler

from pressbot.items import Release
from pressbot.pipelines import DeduplicatePipeline, NormalisePipeline, ValidatePipeline, WritePipeline
from pressbot.progress import LiveCounts, progress_line
from pressbot.walk import Stop
from tests.conftest import open_crawler
from tests.test_spider import call, start_requests

SOURCE = "pressbot/source/amnesty-ca/"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def crawl(tmp_path):
    """A run with its pipelines built as Scrapy builds them (from_crawler), and a function that
    passes items through them."""
    crawler, spider = open_crawler(tmp_path)
    chain = [
        cls.from_crawler(crawler)
        for cls in (NormalisePipeline, ValidatePipeline, DeduplicatePipeline, WritePipeline)
    ]

    def feed(items) -> None:
        for item in items:
            with contextlib.suppress(DropItem):
                for pipe in chain:
                    item = pipe.process_item(item)

    yield crawler, spider, feed
    spider.closed("finished")


def first_page(spider) -> list:
    [request] = start_requests(spider)
    return call(request)


def test_counts_reach_the_stats_while_the_run_goes_not_only_at_close(crawl):
    crawler, spider, feed = crawl
    out = first_page(spider)
    items = [o for o in out if isinstance(o, Release)]
    feed(items)
    feed([items[0]])  # the same release again: a duplicate
    feed([Release(source="amnesty-ca", listing_url=items[0].listing_url, title="No link")])  # dropped
    stats = crawler.stats
    assert stats.get_value(SOURCE + "new") is None  # tallied, not pushed yet
    spider.run.push_counts()  # what the run's timer does every second
    assert stats.get_value(SOURCE + "new") == 6 and stats.get_value("pressbot/new") == 6
    assert stats.get_value(SOURCE + "duplicates") == 1
    assert stats.get_value(SOURCE + "dropped") == 1
    assert stats.get_value(SOURCE + "dropped/missing_url") == 1
    assert stats.get_value(SOURCE + "written") is None  # queued, not on disk yet
    spider.run.ledger.flush()
    spider.run.push_counts()
    assert stats.get_value(SOURCE + "written") == 6 and stats.get_value("pressbot/written") == 6
    # Pushing again adds nothing twice.
    spider.run.push_counts()
    assert stats.get_value(SOURCE + "new") == 6 and stats.get_value("pressbot/duplicates") == 1


def test_a_progress_line_per_active_source_when_due(crawl, caplog):
    crawler, spider, feed = crawl
    clock = Clock()
    live = LiveCounts(spider.run, crawler.stats, progress_seconds=60, clock=clock)
    live._next_progress = clock.now + 60  # (what start() sets, without a reactor)
    feed([o for o in first_page(spider) if isinstance(o, Release)])
    caplog.set_level(logging.INFO, logger="pressbot.progress")
    clock.now += 59
    live.tick()
    assert crawler.stats.get_value(SOURCE + "new") == 6  # pushed at every tick
    assert caplog.messages == []  # the line is not due yet
    clock.now += 1
    live.tick()
    assert caplog.messages == [
        "amnesty-ca: 1 listing pages, 0 release pages read; 6 new, 0 revised, 0 duplicates, "
        "0 dropped, 0 written; reached page 1, dated 2020-07-22"
    ]
    # (The last entry of the page read, July 22, 2020: listings run newest first.)
    # The walk ends and nothing moves any more: one line saying so, then none.
    spider.run.ledger.flush()
    spider.run.walks["amnesty-ca"].end(Stop.END_OF_ARCHIVE)
    caplog.clear()
    clock.now += 60
    live.tick()
    assert caplog.messages[0].endswith(
        "6 written; reached page 1, dated 2020-07-22; walk stopped: end of archive"
    )
    caplog.clear()
    clock.now += 60
    live.tick()
    assert caplog.messages == []


def test_a_line_without_dates_says_the_page(crawl):
    crawler, spider, _ = crawl
    first_page(spider)
    assert spider.run.reached["amnesty-ca"] == (1, "2020-07-22")
    spider.run.reached["amnesty-ca"] = (1, None)  # a page whose entries give no date
    line = progress_line("amnesty-ca", crawler.stats.get_stats(), spider.run)
    assert line.endswith("0 written; reached page 1")


def test_no_progress_lines_when_switched_off(crawl, caplog):
    crawler, spider, feed = crawl
    clock = Clock()
    live = LiveCounts(spider.run, crawler.stats, progress_seconds=0, clock=clock)
    feed([o for o in first_page(spider) if isinstance(o, Release)])
    caplog.set_level(logging.INFO, logger="pressbot.progress")
    clock.now += 10_000
    live.tick()
    assert caplog.messages == [] and crawler.stats.get_value(SOURCE + "new") == 6


def test_live_counts_stand_aside_outside_a_pressbot_run():
    with pytest.raises(NotConfigured):
        LiveCounts.from_crawler(get_crawler())
