"""Downloader middlewares: a guard against unsafe destinations, and retries that back off.

A crawler run from a server must not become a way in: pages and redirects may point anywhere,
so every request's scheme and address is checked before it is sent.
"""

from __future__ import annotations

import asyncio
import email.utils
import ipaddress
import logging
import socket
import time
from urllib.parse import urlsplit

from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.exceptions import IgnoreRequest

logger = logging.getLogger(__name__)


def _unsafe_ip(text: str) -> bool:
    try:
        ip = ipaddress.ip_address(text.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return not ip.is_global or ip.is_multicast


def is_local_url(url: str) -> bool:
    """A file:// URL, or one whose host is a loopback, private or link-local address."""
    parts = urlsplit(url)
    if parts.scheme == "file":
        return True
    host = (parts.hostname or "").lower()
    return host == "localhost" or host.endswith(".localhost") or _unsafe_ip(host)


def _port(parts) -> int | None:
    try:
        return parts.port or {"http": 80, "https": 443}.get(parts.scheme)
    except ValueError:
        return None


class UnsafeDestination(IgnoreRequest):
    """A request to a non-HTTP scheme or an internal address that no profile asked for."""


class SafeDestinationMiddleware:
    """Refuse requests to non-HTTP(S) schemes and to loopback, private, link-local or reserved
    addresses (169.254.169.254 cloud metadata among them), after DNS resolution, unless a
    profile's own start URLs are on that very host (the bundled fixtures are)."""

    def __init__(self, crawler) -> None:
        self.crawler = crawler
        self._resolved: dict[str, bool] = {}

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def _trusted(self, source: str | None) -> tuple[set[str], set[tuple[str, int | None]]]:
        """Schemes and local (host, port) pairs that the start URLs of the request's own
        profile vouch for (of every profile, for requests of no profile such as robots.txt)."""
        profiles = getattr(self.crawler.spider, "profiles", {})
        chosen = [profiles[source]] if source in profiles else list(profiles.values())
        schemes, places = {"http", "https"}, set()
        for profile in chosen:
            for url in profile.start_urls:
                parts = urlsplit(url)
                if parts.scheme == "file":
                    schemes.add("file")
                elif is_local_url(url):
                    places.add(((parts.hostname or "").lower(), _port(parts)))
        return schemes, places

    async def process_request(self, request):
        parts = urlsplit(request.url)
        schemes, places = self._trusted(request.meta.get("pressbot_source"))
        if parts.scheme not in schemes:
            self._refuse(request, f"scheme {parts.scheme!r} is not crawled")
        if parts.scheme == "file":
            return None
        host = (parts.hostname or "").lower()
        if (host, _port(parts)) in places:
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
            self._resolved[host] = any(_unsafe_ip(info[4][0]) for info in infos
                                       if info[0] in (socket.AF_INET, socket.AF_INET6))
        return self._resolved[host]

    def _refuse(self, request, why: str) -> None:
        self.crawler.stats.inc_value("pressbot/unsafe_refused")
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
        if (response.status == 200 and not response.body and "pressbot_page" in request.meta
                and not request.meta.get("dont_retry")):
            retry = self._retry(request, "empty response")
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
