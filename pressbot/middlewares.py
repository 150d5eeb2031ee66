"""Downloader middlewares: a guard against unsafe destinations, and retries that back off.

A crawler run from a server must not become a way in: pages and redirects may point anywhere,
so every request's scheme and address is checked before it is sent.
"""

from __future__ import annotations

import asyncio
import email.utils
import logging
import socket
import time
from collections.abc import Iterable, Mapping
from urllib.parse import urlsplit

from scrapy.downloadermiddlewares.retry import RetryMiddleware, get_retry_request
from scrapy.exceptions import IgnoreRequest

from pressbot.addresses import is_local_url, port_of, unsafe_ip
from pressbot.run import Run

logger = logging.getLogger(__name__)


def _trusted(start_urls: Iterable[str]) -> tuple[set[str], set[tuple[str, int | None]]]:
    """Schemes and local (host, port) pairs that these start URLs vouch for."""
    schemes, places = {"http", "https"}, set()
    for url in start_urls:
        parts = urlsplit(url)
        if parts.scheme == "file":
            schemes.add("file")
        elif is_local_url(url):
            places.add(((parts.hostname or "").lower(), port_of(parts)))
    return schemes, places


class UnsafeDestination(IgnoreRequest):
    """A request to a non-HTTP scheme or an internal address that no profile asked for."""


class SafeDestinationMiddleware:
    """Refuse requests to non-HTTP(S) schemes and to loopback, private, link-local or reserved
    addresses (169.254.169.254 cloud metadata among them), after DNS resolution, unless a
    profile's own start URLs are on that very host (the bundled fixtures are)."""

    def __init__(self, stats, start_urls: Mapping[str, Iterable[str]]) -> None:
        """``start_urls``: each source's start URLs, the local places it vouches for."""
        self.stats = stats
        self._resolved: dict[str, bool] = {}
        self._by_source = {name: _trusted(urls) for name, urls in start_urls.items()}
        # Requests of no source (robots.txt) may go where any source's start URLs go.
        self._any = _trusted([u for urls in start_urls.values() for u in urls])

    @classmethod
    def from_crawler(cls, crawler):
        # Outside a pressbot run (scrapy shell, scrapy fetch) no profile vouches for anything.
        run = Run.of(crawler)
        profiles = run.profiles if run is not None else {}
        return cls(crawler.stats, {name: p.start_urls for name, p in profiles.items()})

    async def process_request(self, request):
        parts = urlsplit(request.url)
        schemes, places = self._by_source.get(request.meta.get("pressbot_source"), self._any)
        if parts.scheme not in schemes:
            self._refuse(request, f"scheme {parts.scheme!r} is not crawled")
        if parts.scheme == "file":
            return None
        host = (parts.hostname or "").lower()
        if (host, port_of(parts)) in places:
            return None
        if is_local_url(request.url) or await self._resolves_inside(host, parts.port):
            self._refuse(request, f"{host} is a loopback, private or link-local address")
        return None

    async def _resolves_inside(self, host: str, port: int | None) -> bool:
        if host not in self._resolved:
            try:
                infos = await asyncio.get_running_loop().getaddrinfo(host, port or 80)
            except OSError:
                return False  # let the download fail with Scrapy's own DNS error
            self._resolved[host] = any(
                unsafe_ip(str(info[4][0])) for info in infos if info[0] in (socket.AF_INET, socket.AF_INET6)
            )
        return self._resolved[host]

    def _refuse(self, request, why: str) -> None:
        self.stats.inc_value("pressbot/unsafe_refused")
        raise UnsafeDestination(f"refused {request.url}: {why}")


class EmptyResponse(Exception):
    """A listing or detail page that came back 200 with an empty body, retries spent."""


class BackoffRetryMiddleware(RetryMiddleware):
    """Scrapy's RetryMiddleware, plus exponential back-off, ``Retry-After`` (seconds or an
    HTTP date, capped) and a retry of empty 200 responses."""

    def __init__(self, settings) -> None:
        super().__init__(settings)
        self.backoff = settings.getfloat("PRESSBOT_RETRY_BACKOFF")
        self.max_delay = settings.getfloat("PRESSBOT_RETRY_MAX_DELAY")

    async def process_response(self, request, response):
        if (
            response.status == 200
            and not response.body
            and "pressbot_page" in request.meta
            and not request.meta.get("dont_retry")
        ):
            retry = get_retry_request(
                request,
                spider=self.crawler.spider,
                reason="empty response",
                max_retry_times=request.meta.get("max_retry_times", self.max_retry_times),
                priority_adjust=request.meta.get("priority_adjust", self.priority_adjust),
            )
            if retry is None:
                raise EmptyResponse(f"empty 200 response from {request.url}")
            await asyncio.sleep(self._delay(retry, None))
            return retry
        result = super().process_response(request, response)
        if result is not response:
            await asyncio.sleep(self._delay(result, response))
        return result

    async def process_exception(self, request, exception):
        result = super().process_exception(request, exception)
        if result is not None:
            await asyncio.sleep(self._delay(result, None))
        return result

    def _delay(self, retry, response) -> float:
        tries = retry.meta.get("retry_times", 1)
        delay = self.backoff * 2 ** (tries - 1)
        header = response.headers.get(b"Retry-After") if response is not None else None
        if header:
            delay = max(delay, _retry_after_seconds(header.decode("latin-1")))
        return min(delay, self.max_delay)


def _retry_after_seconds(value: str) -> float:
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return 0.0
    return max(0.0, when.timestamp() - time.time())
