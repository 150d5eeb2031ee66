"""Scrapy's per-page and per-item work that pressbot's settings spare: DEBUG messages made only
where a handler shows them, a few item workers a response."""

from __future__ import annotations

import logging

import pytest
from scrapy.exceptions import DropItem
from scrapy.http import HtmlResponse, Request
from scrapy.logformatter import LogFormatter as ScrapyLogFormatter
from scrapy.utils.test import get_crawler

from pressbot import logs
from pressbot.items import Release
from pressbot.settings import CONCURRENT_ITEMS, LOG_FORMATTER
from tests.conftest import FIXTURES_URL, run_crawl


@pytest.fixture
def tree(monkeypatch):
    """A logger tree of its own, ``top`` and its ``child``, outside logging's registry (no
    handler of pytest's or of the root's reaches it), standing in for Scrapy's loggers."""
    top = logging.Logger("top", logging.DEBUG)  # (as Scrapy leaves the root: handlers filter)
    child = logging.Logger("top.child")
    child.parent, top.propagate = top, False
    monkeypatch.setattr(logs, "_ENGINE", child)
    monkeypatch.setattr(logs, "_SCRAPER", child)
    return top, child


def handler(level: int) -> logging.Handler:
    h = logging.NullHandler()
    h.setLevel(level)
    return h


def arguments():
    spider = get_crawler().spidercls("x")
    spider.crawler = get_crawler(settings_dict={"DEFAULT_DROPITEM_LOG_LEVEL": "WARNING"})
    request = Request(f"{FIXTURES_URL}/a.html")
    response = HtmlResponse(request.url, body=b"<html></html>", request=request)
    return spider, request, response, Release(source="s", url=request.url)


def test_at_info_scrapys_debug_messages_are_not_made(tree):
    top, child = tree
    top.addHandler(handler(logging.INFO))
    spider, request, response, item = arguments()
    formatter = logs.LogFormatter()
    assert formatter.scraped(item, response, spider) is None
    assert formatter.crawled(request, response, spider) is None
    assert formatter.dropped(item, DropItem("dup", log_level="DEBUG"), response, spider) is None
    # A drop Scrapy logs as a warning is still logged, as Scrapy words it.
    bad = DropItem("bad")
    warning = formatter.dropped(item, bad, response, spider)
    assert warning == ScrapyLogFormatter().dropped(item, bad, response, spider)
    assert warning["level"] == logging.WARNING


@pytest.mark.parametrize("where", ["top", "child"])
def test_a_handler_at_debug_anywhere_up_the_tree_gets_every_message(tree, where):
    top, child = tree
    top.addHandler(handler(logging.WARNING))
    (top if where == "top" else child).addHandler(handler(logging.DEBUG))
    spider, request, response, item = arguments()
    formatter, scrapys = logs.LogFormatter(), ScrapyLogFormatter()
    assert formatter.scraped(item, response, spider) == scrapys.scraped(item, response, spider)
    assert formatter.crawled(request, response, spider) == scrapys.crawled(request, response, spider)
    drop = DropItem("dup", log_level="DEBUG")
    assert formatter.dropped(item, drop, response, spider) == scrapys.dropped(item, drop, response, spider)


def test_what_is_shown_follows_levels_propagation_and_the_last_resort(tree):
    top, child = tree
    assert logs.shown(child, logging.WARNING)  # no handler at all: the last resort shows warnings
    assert not logs.shown(child, logging.INFO)
    top.addHandler(handler(logging.ERROR))
    assert not logs.shown(child, logging.WARNING)  # a handler is found: no last resort
    child.addHandler(handler(logging.DEBUG))
    child.setLevel(logging.INFO)
    assert not logs.shown(child, logging.DEBUG)  # the logger's own level comes first
    assert logs.shown(child, logging.INFO)
    child.handlers = []
    child.propagate = False
    assert logs.shown(child, logging.WARNING)  # cut off from top: the last resort again
    child.propagate = True


def test_the_project_uses_it():
    assert LOG_FORMATTER == "pressbot.logs.LogFormatter"


def test_scrapy_starts_a_few_item_workers_a_response_not_a_hundred():
    # Scrapy makes CONCURRENT_ITEMS asyncio tasks for every response; pressbot's pipelines
    # never wait, so more than a few only cost (and items still go through in listing order,
    # which tests/test_crawl.py checks on a real crawl).
    assert 2 <= CONCURRENT_ITEMS <= 16


@pytest.mark.integration
def test_a_crawl_at_debug_still_logs_every_item_and_page(tmp_path, server):
    result = run_crawl(tmp_path, server.url, "-a", "source=amnesty-ca", settings={"LOG_LEVEL": "DEBUG"})
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stderr.count("Scraped from <200 ") == len(result.records()) > 0
    assert "DEBUG: Crawled (200) <GET " in result.stderr


@pytest.mark.integration
def test_a_crawl_at_info_logs_no_debug_line(tmp_path, server):
    result = run_crawl(tmp_path, server.url, "-a", "source=amnesty-ca")
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.records() and "Scraped from" not in result.stderr and "DEBUG:" not in result.stderr
