"""Distributed mode's frontier: scrapy-redis's scheduler, with a walk kept by the worker walking
it, and what is shared pushed and popped a batch a round trip.

What goes to the run's shared queue (``shared``), where any worker takes it:

* a walk's first page: every worker starts every walk, and the first to claim the page puts it
  in the queue (``SharedQueue.push``, a round trip per 500 sources); whoever takes it walks;
* release pages, which any worker may fetch.

A walk's later listing pages stay with the worker walking it (a local queue and duplicate
filter, no round trip): a walk goes one page after another, so there is nothing to share; what
the walk has seen so far (its first page's template, where it is heading) is in that worker;
and its host sees one worker's requests, so politeness per host holds across workers.

A worker killed with walks in hand takes them with it, as it takes its requests in flight: the
run's counts (pressbot.distributed.RunTracker) stay above zero for those sources, the walks are
not complete, and the next run walks their listings whole.

The queue is scrapy-redis's PriorityQueue (its key, its encoding), and the duplicate filter its
set: other scrapy-redis tools read them as they always have.
"""

from __future__ import annotations

import heapq
import itertools
import logging
from collections import deque
from collections.abc import Callable, Sequence

from scrapy import signals
from scrapy.utils.asyncio import call_later
from scrapy_redis.queue import PriorityQueue
from scrapy_redis.scheduler import Scheduler

from pressbot.distributed import RunTracker, run_key
from pressbot.redisfilter import source_fingerprint

logger = logging.getLogger(__name__)

#: Requests one push carries at most, and one pop takes at most.
PUSH_BATCH = 500
POP_BATCH = 16

# KEYS: the duplicate filter (a set), the queue (a sorted set), the run's counts (a hash).
# ARGV: the counts' time to live, then per request its fingerprint ('' for a request that is
# not filtered), score, encoding and the source to count it for ('' for none).
# Each request whose page the run has not claimed yet is claimed, queued and counted in one
# step: no worker can take a request before it is counted as owed.
_PUSH = """
local out = {}
local counted = false
for i = 2, #ARGV, 4 do
  local new = 1
  if ARGV[i] ~= '' then new = redis.call('SADD', KEYS[1], ARGV[i]) end
  if new == 1 then
    redis.call('ZADD', KEYS[2], ARGV[i + 1], ARGV[i + 2])
    if ARGV[i + 3] ~= '' then
      redis.call('HINCRBY', KEYS[3], ARGV[i + 3], 1)
      counted = true
    end
  end
  out[#out + 1] = new
end
if counted then redis.call('EXPIRE', KEYS[3], ARGV[1]) end
return out
"""


def shared(request) -> bool:
    """Whether a request goes to the run's shared queue: a walk's first page as the spider's
    start made it (``pressbot_start``), a release page, any request not of a walk; a walk's
    later listing pages, and a first page's redirects and retries, stay with its worker."""
    return request.meta.get("pressbot_page") != "listing" or bool(request.meta.get("pressbot_start"))


class SharedQueue:
    """The run's shared queue, pushed and popped in batches."""

    def __init__(
        self,
        server,
        spider,
        queue_key: str,
        dupefilter_key: str,
        run: str,
        fingerprint: Callable[[object], str] = source_fingerprint,
        serializer=None,
    ) -> None:
        self.server = server
        self.queue = PriorityQueue(server, spider, queue_key, serializer)
        self.key = queue_key
        self.keys = [dupefilter_key, queue_key, run_key(run, "pending")]
        self.fingerprint = fingerprint
        self._push = server.register_script(_PUSH)

    @classmethod
    def from_settings(cls, settings, server, spider) -> SharedQueue:
        """The queue and filter the run's scheduler uses (pressbot.distributed.configure)."""
        serializer = settings.get("SCHEDULER_SERIALIZER")
        if isinstance(serializer, str):
            import importlib

            serializer = importlib.import_module(serializer)
        name = {"spider": spider.name}
        return cls(
            server,
            spider,
            settings.get("SCHEDULER_QUEUE_KEY") % name,
            settings.get("SCHEDULER_DUPEFILTER_KEY") % name,
            settings.get("PRESSBOT_RUN_ID"),
            serializer=serializer,
        )

    def push(self, requests: Sequence, count: bool = False) -> list[bool]:
        """Queue each request whose page the run has not claimed yet (a request that is not
        filtered is always queued); whether each was. ``count``: each one queued is counted as
        owed to its source, with it."""
        out: list[bool] = []
        for start in range(0, len(requests), PUSH_BATCH):
            args: list = [RunTracker.TTL]
            for request in requests[start : start + PUSH_BATCH]:
                args += [
                    "" if request.dont_filter else self.fingerprint(request),
                    -request.priority,
                    self.queue._encode_request(request),
                    (request.meta.get("pressbot_source") or "") if count else "",
                ]
            out += [bool(new) for new in self._push(keys=self.keys, args=args)]
        return out

    def pop(self, n: int) -> list:
        """Up to ``n`` requests, highest priority first, taken from the queue in one step."""
        with self.server.pipeline() as pipe:  # MULTI/EXEC: no two workers take one request
            pipe.zrange(self.key, 0, n - 1)
            pipe.zremrangebyrank(self.key, 0, n - 1)
            taken, _ = pipe.execute()
        return [self.queue._decode_request(data) for data in taken]

    def put_back(self, requests: Sequence) -> None:
        """Return requests taken and not made (their pages are claimed already)."""
        if requests:
            with self.server.pipeline(transaction=False) as pipe:
                for request in requests:
                    pipe.zadd(self.key, {self.queue._encode_request(request): -request.priority})
                pipe.execute()

    def __len__(self) -> int:
        return self.server.zcard(self.key)


class Frontier(Scheduler):
    """SCHEDULER of a distributed run (pressbot.distributed.configure)."""

    @classmethod
    def from_crawler(cls, crawler):
        frontier = super().from_crawler(crawler)
        frontier.crawler = crawler
        return frontier

    def open(self, spider):
        super().open(spider)
        settings = self.crawler.settings
        self.shared = SharedQueue(
            self.server,
            spider,
            self.queue.key,
            self.df.key,
            settings.get("PRESSBOT_RUN_ID"),
            fingerprint=self.df.request_fingerprint,
            serializer=self.serializer,
        )
        #: Shared requests made here, on their way to the shared queue (a push a batch).
        self._outbox: list = []
        self._pushing = None
        #: Shared requests taken from the queue and not yet handed to the engine.
        self._in_hand: deque = deque()
        #: This worker's walks' later listing pages: a priority queue, and their fingerprints.
        self._local: list[tuple[int, int, object]] = []
        self._local_seen: set[str] = set()
        self._order = itertools.count()

    def __len__(self) -> int:
        return len(self._local) + len(self._in_hand) + len(self._outbox) + len(self.shared)

    def has_pending_requests(self) -> bool:
        return bool(self._local or self._in_hand or self._outbox) or len(self.shared) > 0

    def enqueue_request(self, request) -> bool:
        if shared(request):
            self._outbox.append(request)
            if len(self._outbox) >= PUSH_BATCH:
                self._push()
            elif self._pushing is None:
                # What the callback makes next goes in the same push (one round trip a page).
                self._pushing = call_later(0, self._push)
            return True
        if not request.dont_filter:
            fingerprint = self.df.request_fingerprint(request)
            if fingerprint in self._local_seen:
                self.df.log(request, self.spider)
                return False
            self._local_seen.add(fingerprint)
        heapq.heappush(self._local, (-request.priority, next(self._order), request))
        self.stats.inc_value("scheduler/enqueued/local")
        return True

    def _push(self) -> None:
        if self._pushing is not None:
            self._pushing.cancel()
            self._pushing = None
        requests, self._outbox = self._outbox, []
        if not requests:
            return
        try:
            # What these requests are counted in lands before any worker can take one (the
            # run's counts are otherwise recorded with the ledger's flushes).
            tracker = getattr(getattr(self.spider, "run", None), "tracker", None)
            if tracker is not None:
                tracker.flush()
            pushed = self.shared.push(requests)
        except Exception:
            self._outbox[:0] = requests  # kept, for the next push (or the next run: counted)
            raise
        for request, new in zip(requests, pushed, strict=True):
            if new:
                self.stats.inc_value("scheduler/enqueued/redis")
            else:
                # As the engine does for a request its scheduler refuses.
                self.df.log(request, self.spider)
                self.crawler.signals.send_catch_log(
                    signals.request_dropped, request=request, spider=self.spider
                )

    def next_request(self):
        if self._outbox:
            self._push()
        if self._local:
            self.stats.inc_value("scheduler/dequeued/local")
            return heapq.heappop(self._local)[2]
        if not self._in_hand:
            self._in_hand.extend(self.shared.pop(self._room()))
        if not self._in_hand:
            return None
        request = self._in_hand.popleft()
        if request.meta.pop("pressbot_start", None):
            # The walk is this worker's now: its later pages (and this one's redirects) stay.
            self._local_seen.add(self.df.request_fingerprint(request))
        self.stats.inc_value("scheduler/dequeued/redis")
        return request

    def _room(self) -> int:
        """How many requests the downloader takes now (the engine asks until it is full): a
        worker takes no more of the shared queue than it can start at once."""
        try:
            downloader = self.crawler.engine.downloader
        except (AttributeError, RuntimeError):  # (no engine yet)
            return 1
        free = downloader.total_concurrency - len(downloader.active)
        return max(1, min(POP_BATCH, free))

    def close(self, reason):
        try:
            self._push()
            self.shared.put_back(list(self._in_hand))
            self._in_hand.clear()
        except Exception as exc:  # Redis gone: as if killed (the run's counts show it)
            logger.warning("pressbot could not hand back its shared requests: %s", exc)
        return super().close(reason)
