"""Request fingerprints per source: one page, two sources' walks, each fetched for itself."""

from __future__ import annotations

from scrapy import Request
from scrapy.utils.request import RequestFingerprinter
from scrapy.utils.test import get_crawler

from pressbot.fingerprint import SourceFingerprinter
from pressbot.redisfilter import SourceDupeFilter


def request(url: str = "https://x.test/news?page=2", source: str | None = None) -> Request:
    return Request(url, meta={"pressbot_source": source} if source else {})


def test_a_request_is_fingerprinted_with_its_source():
    crawler = get_crawler(
        settings_dict={"REQUEST_FINGERPRINTER_CLASS": "pressbot.fingerprint.SourceFingerprinter"}
    )
    assert isinstance(crawler.request_fingerprinter, SourceFingerprinter)
    fp = crawler.request_fingerprinter.fingerprint
    assert fp(request(source="a")) == fp(request(source="a"))
    assert fp(request(source="a")) != fp(request(source="b"))
    # Requests of no source (scrapy shell, fetch) are Scrapy's own fingerprint.
    assert fp(request()) == RequestFingerprinter().fingerprint(request())
    assert fp(request(source="a")) != fp(request())


def test_the_distributed_duplicate_filter_fingerprints_with_the_source_too():
    df = SourceDupeFilter(server=None, key="k")
    assert df.request_fingerprint(request(source="a")) == df.request_fingerprint(request(source="a"))
    assert df.request_fingerprint(request(source="a")) != df.request_fingerprint(request(source="b"))
    assert df.request_fingerprint(request()) == super(SourceDupeFilter, df).request_fingerprint(request())
