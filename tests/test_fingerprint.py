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


def test_workers_claim_their_start_requests_in_one_go_and_each_page_once(redis_url):
    import redis

    server = redis.Redis.from_url(redis_url)
    one, two = SourceDupeFilter(server, key="run:df"), SourceDupeFilter(server, key="run:df")
    pages = [request(f"https://x.test/news?page={n}", source="a") for n in range(1200)]
    assert one.claim(pages[:700]) == [True] * 700
    assert two.claim(pages) == [False] * 700 + [True] * 500  # the rest is the second's
    # A claimed request passes the scheduler's check once; then it is seen, for both workers.
    assert one.request_seen(pages[0]) is False
    assert one.request_seen(pages[0]) is True and two.request_seen(pages[0]) is True
    assert two.request_seen(pages[1199]) is False and two.request_seen(pages[1199]) is True
    # Another source's walk of the same page is its own.
    assert one.request_seen(request("https://x.test/news?page=0", source="b")) is False
    server.close()
