"""Distributed mode's frontier (pressbot.frontier), in-process against a real redis-client: the
shared queue pushed and popped in batches, and a walk kept by the worker walking it."""

from __future__ import annotations

import asyncio
import socket

import pytest
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry
from scrapy import Request, Spider, signals
from scrapy.utils.test import get_crawler

from pressbot.distributed import RunTracker, run_key
from pressbot.frontier import POP_BATCH, Frontier, SharedQueue, shared

RUN = "2026-12-01T10"
QUEUE, FILTER = f"pressbot:run:{RUN}:requests", f"pressbot:run:{RUN}:dupefilter"


class Walker(Spider):
    name = "walker"

    def parse(self, response):
        return []


def listing(url: str, source: str = "a", start: bool = False, priority: int = 10) -> Request:
    meta = {"pressbot_source": source, "pressbot_page": "listing"}
    if start:
        meta["pressbot_start"] = True
    return Request(url, priority=priority, meta=meta)


def detail(url: str, source: str = "a") -> Request:
    return Request(url, meta={"pressbot_source": source, "pressbot_page": "detail"})


@pytest.fixture
def client(redis_url):
    client = redis.Redis.from_url(redis_url)
    yield client
    client.close()


def queue(client) -> SharedQueue:
    return SharedQueue(client, Walker(), QUEUE, FILTER, RUN)


def test_only_a_walks_later_listing_pages_stay_with_its_worker():
    assert shared(listing("https://a.test/news", start=True))
    assert shared(detail("https://a.test/news/1"))
    assert shared(Request("https://a.test/elsewhere"))  # not a walk's: scrapy-redis's way
    assert not shared(listing("https://a.test/news?page=2"))


def test_each_start_page_is_queued_once_across_workers_and_counted_with_it(client):
    one, two = queue(client), queue(client)
    pages = [
        listing(f"https://s{n % 3}.test/news?n={n}", source=f"s{n % 3}", start=True) for n in range(1200)
    ]
    assert one.push(pages[:700], count=True) == [True] * 700
    assert two.push(pages, count=True) == [False] * 700 + [True] * 500  # the rest is the second's
    assert client.zcard(QUEUE) == 1200
    pending = {k.decode(): int(v) for k, v in client.hgetall(run_key(RUN, "pending")).items()}
    assert pending == {"s0": 400, "s1": 400, "s2": 400}  # owed from the moment it is queued
    assert 0 < client.ttl(run_key(RUN, "pending")) <= 86400
    # Another source's walk of the same page is its own; a request not filtered always goes.
    assert one.push([listing("https://s0.test/news?n=0", source="other")]) == [True]
    again = Request("https://s0.test/news?n=0", dont_filter=True, meta={"pressbot_source": "s0"})
    assert one.push([again]) == [True]
    assert client.zcard(QUEUE) == 1202
    assert int(client.hget(run_key(RUN, "pending"), "other") or 0) == 0  # count=False: not counted


def test_a_pop_takes_a_batch_highest_priority_first_and_each_request_once(client):
    one, two = queue(client), queue(client)
    one.push([detail(f"https://a.test/r/{n}") for n in range(30)] + [listing("https://b.test/", "b", True)])
    first = one.pop(POP_BATCH)
    assert len(first) == POP_BATCH and first[0].url == "https://b.test/"  # listing pages first
    rest = two.pop(100)
    urls = [r.url for r in first + rest]
    assert len(urls) == 31 == len(set(urls)) and one.pop(5) == []
    # Decoded as the spider made them: meta, priority, callback.
    assert first[0].meta["pressbot_start"] and first[0].priority == 10
    one.put_back(rest[:3])
    assert sorted(r.url for r in two.pop(10)) == sorted(r.url for r in rest[:3])


def frontier(redis_url: str, worker: str):
    settings = {
        "SCHEDULER": "pressbot.frontier.Frontier",
        "DUPEFILTER_CLASS": "pressbot.redisfilter.SourceDupeFilter",
        "SCHEDULER_PERSIST": True,
        "SCHEDULER_QUEUE_KEY": QUEUE,
        "SCHEDULER_DUPEFILTER_KEY": FILTER,
        "REDIS_URL": redis_url,
        "PRESSBOT_RUN_ID": RUN,
        "PRESSBOT_WORKER_ID": worker,
    }
    crawler = get_crawler(Walker, settings_dict=settings)
    crawler.spider = Walker.from_crawler(crawler)
    sched = Frontier.from_crawler(crawler)
    sched.open(crawler.spider)
    dropped: list[str] = []
    crawler.signals.connect(
        lambda request, spider: dropped.append(request.url), signals.request_dropped, weak=False
    )
    return sched, dropped


def test_a_worker_keeps_its_walks_and_shares_the_rest(redis_url, client):
    async def scenario():
        mine, dropped = frontier(redis_url, "w0")
        other, _ = frontier(redis_url, "w1")
        queue(client).push([listing("https://a.test/news", start=True)], count=True)
        start = mine.next_request()
        assert start.url == "https://a.test/news" and "pressbot_start" not in start.meta  # walked here
        assert other.next_request() is None

        # The walk's next page stays here: no round trip, never in the shared queue, first out.
        assert mine.enqueue_request(listing("https://a.test/news?page=2"))
        assert client.zcard(QUEUE) == 0 and mine.has_pending_requests() and len(mine) == 1
        # A page the walk has asked for already is refused here (as a loop back to page 1).
        assert not mine.enqueue_request(listing("https://a.test/news?page=2"))
        assert not mine.enqueue_request(listing("https://a.test/news"))

        # Release pages go out together, once the callback's outputs are in (one push).
        other_claim = detail("https://a.test/r/2")
        queue(client).push([other_claim])  # another worker queued this one already
        client.zpopmin(QUEUE)  # (and took it)
        for n in range(4):
            assert mine.enqueue_request(detail(f"https://a.test/r/{n}"))
        assert client.zcard(QUEUE) == 0  # not yet
        await asyncio.sleep(0.01)
        assert client.zcard(QUEUE) == 3 and dropped == ["https://a.test/r/2"]  # the duplicate dropped
        assert mine.next_request().url == "https://a.test/news?page=2"  # the walk goes first
        # Any worker takes the release pages, as many as its downloader can start.
        got = [other.next_request() for _ in range(3)]
        assert sorted(r.url for r in got) == [
            "https://a.test/r/0",
            "https://a.test/r/1",
            "https://a.test/r/3",
        ]
        assert mine.next_request() is None and not mine.has_pending_requests()

        # Requests taken and not made go back at close, for the other workers.
        queue(client).push([detail(f"https://b.test/r/{n}", "b") for n in range(3)])
        other._room = lambda: 3
        assert other.next_request().url.startswith("https://b.test/r/")
        other.close("shutdown")
        assert client.zcard(QUEUE) == 2
        mine.close("finished")

    asyncio.run(scenario())


def test_a_page_s_counts_are_recorded_before_its_release_pages_can_be_taken(redis_url, client):
    # A worker's counts otherwise go with its ledger's flushes: were a release page taken and
    # done by another worker first, the source's count would fall below what is still owed.
    async def scenario():
        mine, _ = frontier(redis_url, "w0")
        tracker = RunTracker(client, RUN, batched=True)
        mine.spider.run = type("Run", (), {"tracker": tracker})()
        tracker.add("a", 3 - 1)  # a listing page's callback: three release pages, itself done
        for n in range(3):
            mine.enqueue_request(detail(f"https://a.test/r/{n}"))
        assert client.hget(run_key(RUN, "pending"), "a") is None  # (told, not recorded yet)
        await asyncio.sleep(0.01)
        assert client.zcard(QUEUE) == 3
        assert int(client.hget(run_key(RUN, "pending"), "a")) == 2

    asyncio.run(scenario())


def test_a_push_that_fails_keeps_its_requests(redis_url, client):
    async def scenario():
        mine, _ = frontier(redis_url, "w0")
        mine.enqueue_request(detail("https://a.test/r/1"))
        working = mine.shared
        with socket.socket() as free:  # a port nothing listens on: Redis gone
            free.bind(("127.0.0.1", 0))
            port = free.getsockname()[1]
        gone = redis.Redis(host="127.0.0.1", port=port, retry=Retry(NoBackoff(), 0))
        mine.shared = SharedQueue(gone, mine.spider, QUEUE, FILTER, RUN)
        with pytest.raises(redis.ConnectionError):
            mine.next_request()
        mine.shared = working
        assert mine.has_pending_requests() and mine.next_request().url == "https://a.test/r/1"

    asyncio.run(scenario())
