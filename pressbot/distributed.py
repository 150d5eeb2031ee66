"""Distributed mode: workers share one frontier on scrapy-redis, one state on Redis.

Switched on by ``PRESSBOT_DISTRIBUTED=1`` with ``PRESSBOT_STATE=redis://…`` and a
``PRESSBOT_RUN_ID`` naming the run. Every worker started with the same run id shares its
request queue and duplicate filter, so each listing and detail page is fetched once across
workers in that run, while the next run (a new id) fetches the listings afresh. Each worker
writes its own output (``{worker}`` in ``PRESSBOT_OUTPUT``) through its own ledger; a claim in
Redis makes each release written by one worker only. ``scrapy merge`` joins the outputs.

Of scrapy-redis 0.9.1 we use the maintained core, its Scheduler (pressbot.frontier keeps a walk
with the worker walking it, and batches the round trips) and RFPDupeFilter. Not its
RedisSpider (it relies on ``start_requests()``, which Scrapy 2.16+ no longer calls) nor its
RedisStatsCollector (it crashes at close); the idle close below replaces RedisSpider's.
"""

from __future__ import annotations

import os
import socket
import time
import warnings

from scrapy import signals
from scrapy.exceptions import DontCloseSpider, NotConfigured, ScrapyDeprecationWarning
from twisted.internet import task

from pressbot.options import ArgumentError
from pressbot.walk import Stop


def configure(settings) -> None:
    """Fill in the worker id, and in distributed mode point the scheduler at scrapy-redis."""
    worker = settings.get("PRESSBOT_WORKER_ID") or f"{socket.gethostname()}-{os.getpid()}"
    settings.set("PRESSBOT_WORKER_ID", worker, priority="spider")
    if not settings.getbool("PRESSBOT_DISTRIBUTED"):
        return
    run = settings.get("PRESSBOT_RUN_ID")
    if not run:
        raise ArgumentError(
            "PRESSBOT_DISTRIBUTED needs PRESSBOT_RUN_ID: the workers of one run "
            "share it (for example the cron hour, 2026-11-25T10)"
        )
    state = settings.get("PRESSBOT_STATE")
    redis_url = settings.get("PRESSBOT_REDIS_URL") or (
        state if state.startswith(("redis://", "rediss://", "unix://")) else None
    )
    if not redis_url or not state.startswith(("redis://", "rediss://", "unix://")):
        raise ArgumentError(
            "PRESSBOT_DISTRIBUTED needs PRESSBOT_STATE=redis://host:port/db: "
            "workers must share what has been seen"
        )
    output = settings.get("PRESSBOT_OUTPUT")
    if "{worker}" not in output:
        stem, dot, suffix = output.rpartition(".")
        output = f"{stem}.{{worker}}.{suffix}" if dot else f"{output}.{{worker}}"
        settings.set("PRESSBOT_OUTPUT", output, priority="cmdline")
    prefix = run_key(run)
    for key, value in {
        "SCHEDULER": "pressbot.frontier.Frontier",
        "DUPEFILTER_CLASS": "pressbot.redisfilter.SourceDupeFilter",
        # Several workers share the queue: none may flush it when it closes.
        "SCHEDULER_PERSIST": True,
        # The frontier's scripts and pops use the sorted set of scrapy-redis's priority queue.
        "SCHEDULER_QUEUE_CLASS": "scrapy_redis.queue.PriorityQueue",
        "SCHEDULER_QUEUE_KEY": f"{prefix}:requests",
        "SCHEDULER_DUPEFILTER_KEY": f"{prefix}:dupefilter",
        "REDIS_URL": redis_url,
    }.items():
        settings.set(key, value, priority="spider")
    extensions = dict(settings.getdict("EXTENSIONS"))
    extensions["pressbot.distributed.IdleClose"] = 100
    settings.set("EXTENSIONS", extensions, priority="spider")
    # scrapy-redis 0.9.1 still passes spider= to the stats collector, which Scrapy 2.14+
    # deprecates; that is its business, not a problem of this crawl: keep our log clean.
    warnings.filterwarnings("ignore", category=ScrapyDeprecationWarning, module=r"scrapy_redis\.")


def frontier_redis(settings):
    """A client of the run's frontier Redis (``REDIS_URL``, which configure() sets): the run's
    queue, its duplicate filter and its counts live there together, since one script claims,
    queues and counts a start page (pressbot.frontier)."""
    from scrapy_redis.connection import get_redis_from_settings

    return get_redis_from_settings(settings)


def run_key(run: str, suffix: str = "") -> str:
    """The name of a run's key in Redis (its prefix, without ``suffix``)."""
    return f"pressbot:run:{run}" + (f":{suffix}" if suffix else "")


class RunTracker:
    """What the workers of one run have left to do, per source, kept in Redis.

    Every request a worker makes for a source adds one, and its callback, errback or drop
    takes one away: a worker killed with requests in hand leaves the count above zero, so no
    worker of that run marks the walk complete, and the next run walks the whole listing again.
    How a walk stopped and whether any worker saw errors or drift are shared the same way.

    ``batched``: a worker's counts and stops are kept here and recorded together, in one round
    trip and transaction, when ``flush`` is called (the run calls it with each ledger flush):
    not a round trip a page. That is safe because what lands at once is a whole account, and
    because no other worker can take a request before it is counted: a walk's first page is
    counted by the push that queues it, and the frontier records a worker's counts before it
    pushes the release pages they count (pressbot.frontier); a walk's later listing pages and
    its releases never leave its worker. So the count of a source is never below what is still
    owed: what a worker has told and not recorded is work only it holds (a worker killed before
    its flush leaves the count too high), and what others have done and not told yet makes it
    too high, not too low. A walk's stop lands with every count its worker had made by then.
    """

    #: A run's keys (these and scrapy-redis's queue and duplicate filter) outlive it by a day.
    TTL = 86400

    def __init__(self, redis, run: str, batched: bool = False) -> None:
        self.redis = redis
        self.key = run_key(run)
        self.batched = batched
        #: Counts and stops told and not recorded yet: they land together (a page's stop and
        #: its count, or neither).
        self._counts: dict[str, int] = {}
        self._stops: list[tuple[str, Stop]] = []

    @property
    def stops_untold(self) -> bool:
        """Whether stops wait to be recorded."""
        return bool(self._stops)

    def add(self, source: str, n: int = 1) -> None:
        self.add_many({source: n})

    def add_many(self, counts: dict[str, int]) -> None:
        """Add to several sources' counts (and record them, with the stops told since, in one
        round trip, unless ``batched``)."""
        mine = self._counts
        for source, n in counts.items():
            if n:
                mine[source] = mine.get(source, 0) + n
        if not self.batched:
            self.flush()

    def flush(self) -> None:
        """Record the counts and stops told since the last flush, in one transaction."""
        if not (self._counts or self._stops):
            return
        with self.redis.pipeline() as pipe:
            for source, n in self._counts.items():
                if n:
                    pipe.hincrby(self.key + ":pending", source, n)
            pipe.expire(self.key + ":pending", self.TTL)
            self._queue_stops(pipe)
            pipe.execute()
        self._counts.clear()
        self._stops.clear()

    def _queue_stops(self, pipe) -> None:
        for source, stop in self._stops:
            # A complete stop never hides an incomplete one another worker saw.
            if stop.complete:
                pipe.hsetnx(self.key + ":stops", source, stop.label)
            else:
                pipe.hset(self.key + ":stops", source, stop.label)

    def expire_run(self) -> None:
        """Let the run's keys go a day after its last worker stopped."""
        self.flush()
        for suffix in ("pending", "stops", "dirty", "requests", "dupefilter"):
            self.redis.expire(f"{self.key}:{suffix}", self.TTL)

    def stopped(self, source: str, stop: Stop) -> None:
        """A walk stopped: recorded with the next count (every page's callback ends with one),
        or when the run asks what is finished."""
        self._stops.append((source, stop))

    def dirty(self, source: str) -> None:
        self.redis.sadd(self.key + ":dirty", source)

    def finished(self, sources) -> dict[str, Stop]:
        """The sources whose walk every worker of the run ended completely, nothing owed."""
        # Three reads in one round trip, whatever the number of sources (a thousand sources
        # asked one by one are three thousand round trips at every worker's close).
        self.flush()
        with self.redis.pipeline(transaction=False) as pipe:
            pipe.hgetall(self.key + ":pending")
            pipe.hgetall(self.key + ":stops")
            pipe.smembers(self.key + ":dirty")
            pending_all, stops_all, dirty_all = pipe.execute()
        pending = {_text(k): int(v) for k, v in pending_all.items()}
        stops = {_text(k): _text(v) for k, v in stops_all.items()}
        dirty = {_text(m) for m in dirty_all}
        out = {}
        for source in sources:
            stop = Stop.from_label(stops.get(source))
            if pending.get(source, 0) <= 0 and stop is not None and stop.complete and source not in dirty:
                out[source] = stop
        return out


def _text(value) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


class IdleClose:
    """Keep a distributed worker alive while the shared frontier may still get work, pick that
    work up quickly, and close once the frontier has been empty for PRESSBOT_IDLE_CLOSE s."""

    def __init__(self, engine, wait: float, clock=time.monotonic) -> None:
        self.engine = engine
        self.wait = wait
        self.clock = clock
        self.idle_since: float | None = None
        self.poll = task.LoopingCall(self._poke)

    @classmethod
    def from_crawler(cls, crawler):
        if not crawler.settings.getbool("PRESSBOT_DISTRIBUTED"):
            raise NotConfigured
        # The engine is built after the extensions: ask the crawler for it when it is needed.
        ext = cls(_Engine(crawler), crawler.settings.getfloat("PRESSBOT_IDLE_CLOSE"))
        crawler.signals.connect(ext.spider_idle, signal=signals.spider_idle)
        crawler.signals.connect(ext.busy, signal=signals.response_received)
        crawler.signals.connect(ext.opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.closed, signal=signals.spider_closed)
        return ext

    def opened(self, spider) -> None:
        self.poll.start(0.2, now=False)

    def closed(self, spider) -> None:
        if self.poll.running:
            self.poll.stop()

    def busy(self, **kwargs) -> None:
        self.idle_since = None

    def _queue_size(self) -> int:
        scheduler = getattr(self.engine.slot, "scheduler", None)
        return len(scheduler) if scheduler is not None else 0

    def _poke(self) -> None:
        # Scrapy looks at an idle spider again only on its 5-second heartbeat; other workers
        # fill the shared queue at any moment, and the idle time-out should end on time: ask
        # the engine for its next step now (it takes a request, or finds the spider idle).
        slot = self.engine.slot
        if slot is not None:
            slot.nextcall.schedule()

    def spider_idle(self, spider) -> None:
        if self._queue_size():
            self.idle_since = None
            raise DontCloseSpider
        now = self.clock()
        self.idle_since = self.idle_since or now
        if now - self.idle_since < self.wait:
            raise DontCloseSpider


class _Engine:
    """The crawler's engine slot, looked up when asked (Scrapy keeps it private: ``_slot``)."""

    def __init__(self, crawler) -> None:
        self._crawler = crawler

    @property
    def slot(self):
        return getattr(self._crawler.engine, "_slot", None)
