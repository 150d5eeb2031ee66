"""Distributed mode's duplicate filter: scrapy-redis's, fingerprinting per source as
pressbot.fingerprint does (scrapy-redis computes its own fingerprints, not the crawler's)."""

from __future__ import annotations

from scrapy_redis.dupefilter import RFPDupeFilter

from pressbot.fingerprint import with_source


class SourceDupeFilter(RFPDupeFilter):
    def request_fingerprint(self, request) -> str:
        fingerprint = super().request_fingerprint(request)
        if request.meta.get("pressbot_source") is None:
            return fingerprint
        return with_source(fingerprint.encode(), request).hex()
