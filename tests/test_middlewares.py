"""Both downloader middlewares built directly: the destination guard and the backing-off retry."""

from __future__ import annotations

import asyncio

import pytest
from scrapy.http import Request, Response
from scrapy.spiders import Spider
from scrapy.utils.test import get_crawler

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
}


@pytest.fixture
def guard():
    crawler = get_crawler()
    return SafeDestinationMiddleware(crawler.stats, START), crawler.stats


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
    ],
)
def test_the_guard_refuses(guard, url, source, why):
    middleware, stats = guard
    with pytest.raises(UnsafeDestination, match=why.split(",")[0]):
        check(middleware, url, source)
    assert stats.get_value("pressbot/unsafe_refused") == 1


def test_outside_a_pressbot_run_no_local_place_is_trusted():
    middleware = SafeDestinationMiddleware.from_crawler(get_crawler())
    with pytest.raises(UnsafeDestination):
        check(middleware, "http://127.0.0.1:8123/news/")


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
