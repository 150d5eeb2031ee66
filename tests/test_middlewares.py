"""Both downloader middlewares built directly: the destination guard and the backing-off retry."""

from __future__ import annotations

import asyncio

import pytest
from scrapy.exceptions import NotConfigured
from scrapy.http import Request, Response
from scrapy.spiders import Spider
from scrapy.utils.test import get_crawler

from pressbot.addresses import local_host, unsafe_ip
from pressbot.middlewares import (
    BackoffRetryMiddleware,
    EmptyResponse,
    SafeDestinationMiddleware,
    UnsafeDestination,
    _retry_after_seconds,
)

START = {
    "local": ["http://127.0.0.1:8123/news/"],
    "files": ["file:///srv/fixtures/news.html"],
    "public": ["https://press.example.org/news/"],
    # Names that resolve to loopback: a test host in /etc/hosts, and localhost itself.
    "named": ["http://press.localtest:8000/news/"],
    "localhost": ["http://localhost:8000/news/"],
}

#: What DNS says in these tests: the guard is handed this table, not the network.
DNS = {
    "press.example.org": ["93.184.216.34"],
    "press.localtest": ["127.0.0.1"],
    "other.localtest": ["127.0.0.1"],
    "localhost": ["127.0.0.1"],
    "dual.localtest": ["127.0.0.1", "10.0.0.5"],  # one trusted address and one not
    "intranet.example.org": ["10.0.0.5"],
    "rebound.example.org": ["::ffff:169.254.169.254"],
    "nat64.example.org": ["64:ff9b::7f00:1"],
    "dns64.example.org": ["64:ff9b::5db8:d822"],  # a public host behind NAT64: fine
}


async def table_resolver(host: str, port: int) -> list[str]:
    return DNS.get(host, [])


@pytest.fixture
def guard():
    crawler = get_crawler()
    return SafeDestinationMiddleware(crawler.stats, START, resolve=table_resolver), crawler.stats


def check(guard, url: str, source: str | None = None):
    meta = {"pressbot_source": source} if source else {}
    return asyncio.run(guard.process_request(Request(url, meta=meta)))


@pytest.mark.parametrize(
    ("url", "source"),
    [
        ("http://127.0.0.1:8123/news/page-2.html", "local"),  # its own start host and port
        ("file:///srv/fixtures/page-2.html", "files"),
        ("http://127.0.0.1:8123/robots.txt", None),  # no source: any profile's start hosts
        ("https://93.184.216.34/news", "public"),  # a public address
        ("https://press.example.org/news/2", "public"),
        # A start host that is a name resolving to loopback: trusted by name...
        ("http://press.localtest:8000/news/page-2", "named"),
        ("http://PRESS.localtest.:8000/news/page-2", "named"),  # (case, trailing dot)
        ("http://localhost:8000/news/page-2", "localhost"),
        ("http://localhost.:8000/news/page-2", "localhost"),
        ("http://press.localtest:8000/robots.txt", None),
        # ... and by address: the very address and port it resolves to, whatever the name
        ("http://127.0.0.1:8000/news/page-2", "named"),
        ("http://other.localtest:8000/news/", "named"),
        ("http://127.0.0.1:8000/news/page-2", "localhost"),
        ("http://localhost:8123/news/", "local"),  # localhost is 127.0.0.1 here
        ("http://[::ffff:127.0.0.1]:8123/news/", "local"),  # the same address, written as IPv6
        ("http://dns64.example.org/news", "public"),
        ("http://unknown.example.org/news", "public"),  # no answer: Scrapy's DNS error follows
    ],
)
def test_the_guard_lets_through(guard, url, source):
    middleware, stats = guard
    assert check(middleware, url, source) is None
    assert stats.get_value("pressbot/unsafe_refused") is None


@pytest.mark.parametrize(
    ("url", "source", "why"),
    [
        ("http://127.0.0.1:8124/admin", "local", "loopback"),  # another port of the same host
        ("http://127.0.0.1:8123/news/", "public", "loopback"),  # another profile's host
        ("http://169.254.169.254/latest/meta-data/", "public", "loopback, private"),
        ("http://10.0.0.7/", "public", "private"),
        ("http://[::1]/", "public", "loopback"),
        ("http://[::ffff:127.0.0.1]/", "public", "loopback"),
        ("http://localhost:8123/", "public", "loopback"),
        ("file:///etc/passwd", "public", "scheme 'file'"),
        ("ftp://press.example.org/x", "public", "scheme 'ftp'"),
        # IPv6 forms of IPv4 loopback and private addresses
        ("http://[::7f00:2]/", "public", "loopback"),  # IPv4-compatible
        ("http://[::ffff:0:127.0.0.1]/", "public", "loopback"),  # IPv4-translated
        ("http://[64:ff9b::7f00:2]/", "public", "loopback"),  # NAT64
        ("http://[64:ff9b::a00:5]/", "public", "loopback"),  # NAT64 of 10.0.0.5
        ("http://[2002:7f00:2::]/", "public", "loopback"),  # 6to4
        ("http://[2002:a9fe:a9fe::1]/", "public", "loopback"),  # 6to4 of 169.254.169.254
        ("http://[2001:0:4136:e378:8000:63bf:80ff:fffe]/", "public", "loopback"),  # Teredo
        ("http://[fe80::1%25eth0]/", "public", "loopback"),  # link-local, with a zone
        ("http://[fec0::1]/", "public", "loopback"),  # the old site-local
        # localhost however written
        ("http://localhost./", "public", "loopback"),
        ("http://LOCALHOST.:8000/", "public", "loopback"),
        ("http://metadata.localhost./", "public", "loopback"),
        # names that resolve inside
        ("http://press.localtest:8001/news/", "named", "loopback"),  # its host, another port
        ("http://press.localtest:8000/news/", "public", "127.0.0.1"),  # another profile's
        ("http://other.localtest:8000/news/", "public", "127.0.0.1"),
        ("http://dual.localtest:8000/news/", "named", "10.0.0.5"),  # not all trusted
        ("http://intranet.example.org/", "public", "10.0.0.5"),
        ("http://rebound.example.org/", "public", "169.254.169.254"),
        ("http://nat64.example.org/", "public", "64:ff9b::7f00:1"),
    ],
)
def test_the_guard_refuses(guard, url, source, why):
    middleware, stats = guard
    with pytest.raises(UnsafeDestination, match=why.split(",")[0]):
        check(middleware, url, source)
    assert stats.get_value("pressbot/unsafe_refused") == 1


@pytest.mark.parametrize(
    ("address", "unsafe"),
    [
        ("93.184.216.34", False),
        ("2606:2800:220:1:248:1893:25c8:1946", False),
        ("64:ff9b::5db8:d822", False),  # NAT64 of a public address
        ("2002:5db8:d822::", False),  # 6to4 of a public address
        ("127.0.0.2", True),
        ("10.1.2.3", True),
        ("100.64.0.1", True),  # shared address space (carrier NAT)
        ("224.0.0.1", True),
        ("::1", True),
        ("::", True),
        ("::7f00:2", True),
        ("::a00:1", True),
        ("::ffff:127.0.0.1", True),
        ("::ffff:0:127.0.0.1", True),
        ("64:ff9b::7f00:2", True),
        ("64:ff9b:1::a00:1", True),  # local-use NAT64
        ("2002:7f00:2::", True),
        ("fc00::1", True),
        ("fe80::1%eth0", True),
        ("ff02::1", True),
        ("localhost", False),  # a name, not an address (local_host knows names)
    ],
)
def test_unsafe_addresses(address, unsafe):
    assert unsafe_ip(address) is unsafe


@pytest.mark.parametrize(
    ("host", "local"),
    [("localhost", True), ("a.localhost", True), ("127.0.0.1", True), ("press.localtest", False)],
)
def test_hosts_local_by_name_or_address_alone(host, local):
    assert local_host(host) is local


def test_each_name_is_asked_of_dns_once():
    asked = []

    async def counting(host: str, port: int) -> list[str]:
        asked.append(host)
        return DNS.get(host, [])

    middleware = SafeDestinationMiddleware(get_crawler().stats, START, resolve=counting)
    for _ in range(3):
        check(middleware, "https://press.example.org/a", "public")  # its own host: no DNS
        check(middleware, "http://other.localtest:8000/", "named")
    assert sorted(asked) == ["other.localtest", "press.localtest"]


def test_the_guard_stands_aside_outside_a_pressbot_run():
    # scrapy shell, fetch, view, bench, another spider: the operator chose the URL (a local
    # server included), and nothing fetched is written; pressbot's crawls keep their guard.
    with pytest.raises(NotConfigured):
        SafeDestinationMiddleware.from_crawler(get_crawler())


@pytest.fixture
def retry():
    crawler = get_crawler(
        settings_dict={"PRESSBOT_RETRY_BACKOFF": 0.0, "PRESSBOT_RETRY_MAX_DELAY": 60.0, "RETRY_TIMES": 2}
    )
    crawler.spider = Spider.from_crawler(crawler, "test")  # get_retry_request counts on it
    return BackoffRetryMiddleware.from_crawler(crawler)


def page(url: str = "http://press.example.org/news/") -> Request:
    return Request(url, meta={"pressbot_page": "listing", "pressbot_source": "s"})


def test_an_empty_200_is_retried_then_an_error(retry):
    request = page()
    empty = Response(request.url, status=200, body=b"", request=request)
    for tries in (1, 2):
        request = asyncio.run(retry.process_response(request, empty))
        assert isinstance(request, Request) and request.meta["retry_times"] == tries
    with pytest.raises(EmptyResponse, match="empty 200 response"):
        asyncio.run(retry.process_response(request, empty))


def test_a_page_with_a_body_is_kept(retry):
    request = page()
    response = Response(request.url, status=200, body=b"<html/>", request=request)
    assert asyncio.run(retry.process_response(request, response)) is response


def test_a_503_is_retried_and_retry_after_is_read(retry):
    request = page()
    response = Response(request.url, status=503, headers={"Retry-After": "0"}, request=request)
    again = asyncio.run(retry.process_response(request, response))
    assert isinstance(again, Request) and again.meta["retry_times"] == 1


def test_retry_after_seconds():
    assert _retry_after_seconds("120") == 120
    assert _retry_after_seconds("not a date") == 0
    assert _retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT") == 0  # in the past
