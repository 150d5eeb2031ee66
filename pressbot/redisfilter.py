"""Distributed mode's duplicate filter: scrapy-redis's, fingerprinting per source as
pressbot.fingerprint does (scrapy-redis computes its own fingerprints, not the crawler's), and
claiming many requests in one round trip (every worker of a run starts every source's walk)."""

from __future__ import annotations

from collections.abc import Sequence

from scrapy_redis.dupefilter import RFPDupeFilter

from pressbot.fingerprint import with_source

#: Fingerprints one round trip adds at most.
CLAIMS_A_TRIP = 500


class SourceDupeFilter(RFPDupeFilter):
    def __init__(self, server, key, debug=False) -> None:
        super().__init__(server, key, debug)
        #: Requests this worker claimed in advance (``claim``): each passes request_seen once.
        self._claimed: set[str] = set()

    @classmethod
    def from_spider(cls, spider):
        dupefilter = super().from_spider(spider)
        run = getattr(spider, "run", None)
        if run is not None:
            run.dupefilter = dupefilter  # (the spider's start claims its requests through it)
        return dupefilter

    def request_fingerprint(self, request) -> str:
        fingerprint = super().request_fingerprint(request)
        if request.meta.get("pressbot_source") is None:
            return fingerprint
        return with_source(fingerprint.encode(), request).hex()

    def claim(self, requests: Sequence) -> list[bool]:
        """Whether each request is the run's first of its page, in one round trip per 500: a
        request claimed here is this worker's to make (and is not asked about again)."""
        prints = [self.request_fingerprint(r) for r in requests]
        first: list[bool] = []
        for start in range(0, len(prints), CLAIMS_A_TRIP):
            with self.server.pipeline(transaction=False) as pipe:
                for fingerprint in prints[start : start + CLAIMS_A_TRIP]:
                    pipe.sadd(self.key, fingerprint)
                first += [bool(added) for added in pipe.execute()]
        self._claimed.update(f for f, won in zip(prints, first, strict=True) if won)
        return first

    def request_seen(self, request) -> bool:
        fingerprint = self.request_fingerprint(request)
        if fingerprint in self._claimed:
            self._claimed.discard(fingerprint)
            return False
        return self.server.sadd(self.key, fingerprint) == 0
