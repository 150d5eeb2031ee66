"""Request fingerprints per source: two sources' walks may read one page, each for itself.

Scrapy fetches a request once a run, by its fingerprint (URL, method, body). Two profiles of
one run that share a page (a copy of a profile with other selectors, two feeds of one press
room, ``-a source=all``) would then have the second walk's request dropped as a duplicate:
that walk would stop there and say nothing. So a request of one of pressbot's walks (its
``pressbot_source`` meta) is fingerprinted with its source too; within one source, and across
the workers of a distributed run, a page is still fetched once.
"""

from __future__ import annotations

import hashlib
from typing import Any

from scrapy.utils.request import RequestFingerprinter


def with_source(fingerprint: bytes, request: Any) -> bytes:
    source = request.meta.get("pressbot_source")
    if source is None:
        return fingerprint
    return hashlib.sha1(fingerprint + b"\x00" + str(source).encode("utf-8", "surrogatepass")).digest()


class SourceFingerprinter(RequestFingerprinter):
    """Scrapy's fingerprint (REQUEST_FINGERPRINTER_CLASS), and the request's source."""

    def fingerprint(self, request) -> bytes:
        return with_source(super().fingerprint(request), request)
