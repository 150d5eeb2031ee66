"""The distributed run's tracker and idle close, in-process against a real redis-server."""

from __future__ import annotations

import pytest
import redis
from scrapy.exceptions import DontCloseSpider, NotConfigured
from scrapy.utils.test import get_crawler

from pressbot.distributed import IdleClose, RunTracker
from pressbot.walk import Stop


@pytest.fixture
def tracker(redis_url):
    client = redis.Redis.from_url(redis_url, decode_responses=True)
    yield RunTracker(client, "2026-12-01T10")
    client.close()


def test_a_walk_is_finished_when_nothing_is_owed_and_it_stopped_completely(tracker):
    tracker.add("a", 3)
    tracker.stopped("a", Stop.END_OF_ARCHIVE)
    assert tracker.finished(["a"]) == {}  # three requests still out
    tracker.add("a", -3)
    assert tracker.finished(["a"]) == {"a": Stop.END_OF_ARCHIVE}


def test_an_incomplete_stop_of_any_worker_wins(tracker):
    tracker.stopped("a", Stop.ERROR)  # one worker's page failed
    tracker.stopped("a", Stop.END_OF_ARCHIVE)  # another reached the end
    assert tracker.finished(["a"]) == {}
    tracker.stopped("b", Stop.CAUGHT_UP)
    tracker.stopped("b", Stop.RUN_PAGE_LIMIT)
    assert tracker.finished(["b"]) == {}


def test_a_stop_is_recorded_with_the_next_count_in_one_round_trip(tracker):
    tracker.stopped("a", Stop.END_OF_ARCHIVE)
    assert tracker.stops_untold and tracker.redis.hgetall(tracker.key + ":stops") == {}
    tracker.add_many({"a": 2, "b": 1, "c": 0})
    assert not tracker.stops_untold
    assert tracker.redis.hgetall(tracker.key + ":stops") == {"a": Stop.END_OF_ARCHIVE.label}
    assert tracker.redis.hgetall(tracker.key + ":pending") == {"a": "2", "b": "1"}
    # Stops told last are recorded when the run asks what is finished.
    tracker.add_many({"a": -2, "b": -1})
    tracker.stopped("b", Stop.CAUGHT_UP)
    assert tracker.finished(["a", "b"]) == {"a": Stop.END_OF_ARCHIVE, "b": Stop.CAUGHT_UP}


def test_a_batched_tracker_records_its_counts_and_stops_together_at_its_flush(tracker):
    batched = RunTracker(tracker.redis, "2026-12-01T10", batched=True)
    batched.add_many({"a": 3, "b": 1})
    batched.stopped("a", Stop.END_OF_ARCHIVE)
    batched.add("a", -1)
    assert tracker.redis.hgetall(tracker.key + ":pending") == {}  # no round trip a page
    assert tracker.redis.hgetall(tracker.key + ":stops") == {}
    # Asked what is finished, it records first: the stop lands with the two "a" still owes.
    assert batched.finished(["a", "b"]) == {}
    assert tracker.redis.hgetall(tracker.key + ":pending") == {"a": "2", "b": "1"}
    assert tracker.redis.hgetall(tracker.key + ":stops") == {"a": Stop.END_OF_ARCHIVE.label}
    batched.add_many({"a": -2, "b": -1})
    assert tracker.finished(["a", "b"]) == {}  # told, not recorded: still owed
    batched.flush()
    assert tracker.finished(["a", "b"]) == {"a": Stop.END_OF_ARCHIVE}  # b never stopped
    batched.flush()  # nothing told since: no round trip, nothing changed
    assert tracker.redis.hgetall(tracker.key + ":pending") == {"a": "0", "b": "0"}


def test_a_dirty_source_is_never_finished(tracker):
    tracker.stopped("a", Stop.CAUGHT_UP)
    tracker.dirty("a")
    assert tracker.finished(["a", "never-started"]) == {}


def test_runs_are_kept_apart(tracker):
    other = RunTracker(tracker.redis, "2026-12-01T11")
    tracker.add("a", 1)
    tracker.stopped("a", Stop.END_OF_ARCHIVE)
    other.stopped("a", Stop.END_OF_ARCHIVE)
    assert other.finished(["a"]) == {"a": Stop.END_OF_ARCHIVE}
    assert tracker.finished(["a"]) == {}


def test_a_run_expires_a_day_after_its_last_worker(tracker):
    tracker.add("a", 1)
    tracker.redis.persist(tracker.key + ":pending")
    tracker.expire_run()
    assert 0 < tracker.redis.ttl(tracker.key + ":pending") <= RunTracker.TTL


class Engine:
    """What IdleClose asks of the engine: its slot (None before the crawl opens)."""

    slot = None


def test_idle_close_keeps_a_worker_for_its_wait_then_lets_it_close():
    clock = iter([100.0, 103.0, 106.0])
    idle = IdleClose(Engine(), wait=5, clock=lambda: next(clock))
    with pytest.raises(DontCloseSpider):
        idle.spider_idle(None)  # idle from 100
    with pytest.raises(DontCloseSpider):
        idle.spider_idle(None)  # 3 s
    idle.spider_idle(None)  # 6 s: may close


def test_idle_close_is_off_outside_distributed_runs():
    with pytest.raises(NotConfigured):
        IdleClose.from_crawler(get_crawler())


def test_a_tracker_on_a_client_that_answers_bytes_reads_its_stops(redis_url):
    # The run's tracker shares the frontier's client (scrapy-redis's: replies are bytes).
    client = redis.Redis.from_url(redis_url)
    raw = RunTracker(client, "2026-12-01T12", batched=True)
    raw.add("a", 1)
    raw.stopped("a", Stop.END_OF_ARCHIVE)
    raw.add("a", -1)
    assert raw.finished(["a"]) == {"a": Stop.END_OF_ARCHIVE}
    client.close()
