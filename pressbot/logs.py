"""Scrapy's per-page and per-item log messages, made only where a handler would show them.

Scrapy logs a DEBUG line for every page crawled, every item scraped and every duplicate
dropped, and leaves the filtering to its handler: at ``LOG_LEVEL = INFO`` (pressbot's default)
each of them still builds a log record (the caller's frame, the time, the thread) only for the
handler to throw it away, which costs a release about as much as normalising it. This log
formatter (``LOG_FORMATTER``) returns None instead, Scrapy's way of saying "nothing to log",
when no handler would show the message; at ``LOG_LEVEL = DEBUG``, or with a handler of one's
own at DEBUG, every message is made exactly as Scrapy makes it.
"""

from __future__ import annotations

import logging
from typing import Any

from scrapy import logformatter

#: The loggers the messages are logged on: the engine's (pages) and the scraper's (items).
_ENGINE = logging.getLogger("scrapy.core.engine")
_SCRAPER = logging.getLogger("scrapy.core.scraper")


def shown(logger: logging.Logger, level: int) -> bool:
    """Whether a record of ``level`` on ``logger`` would reach a handler that takes it, as
    ``Logger.callHandlers`` finds them (the last-resort handler too, when there is none)."""
    if not logger.isEnabledFor(level):
        return False
    found = False
    node: logging.Logger | None = logger
    while node is not None:
        for handler in node.handlers:
            found = True
            if level >= handler.level:
                return True
        node = node.parent if node.propagate else None
    last = logging.lastResort
    return not found and last is not None and level >= last.level


class LogFormatter(logformatter.LogFormatter):
    """Scrapy's messages, each left out (None) where no handler would show it."""

    def crawled(self, request, response, spider) -> Any:
        result = super().crawled(request, response, spider)
        return result if shown(_ENGINE, result["level"]) else None

    def scraped(self, item, response, spider) -> Any:
        # Scrapy's message is DEBUG: asked first, so that nothing is built for nothing.
        return super().scraped(item, response, spider) if shown(_SCRAPER, logging.DEBUG) else None

    def dropped(self, item, exception, response, spider) -> Any:
        result = super().dropped(item, exception, response, spider)
        return result if shown(_SCRAPER, result["level"]) else None
