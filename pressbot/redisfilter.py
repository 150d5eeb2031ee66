"""Distributed mode's duplicate filter: scrapy-redis's, fingerprinting per source as
pressbot.fingerprint does (scrapy-redis computes its own fingerprints, not the crawler's)."""

from __future__ import annotations

from scrapy_redis.dupefilter import RFPDupeFilter

from pressbot.fingerprint import with_source


def source_fingerprint(request) -> str:
    """scrapy-redis's fingerprint of a request, with its source (pressbot.fingerprint)."""
    fingerprint = RFPDupeFilter.request_fingerprint(None, request)  # (it uses no state)
    if request.meta.get("pressbot_source") is None:
        return fingerprint
    return with_source(fingerprint.encode(), request).hex()


class SourceDupeFilter(RFPDupeFilter):
    def request_fingerprint(self, request) -> str:
        return source_fingerprint(request)
