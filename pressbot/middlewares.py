"""Downloader middlewares: a guard against unsafe destinations, retries that back off, and the
bundled press rooms answered in-process.

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
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from importlib.resources.abc import Traversable
from pathlib import Path
from urllib.parse import unquote, urlsplit

from scrapy.downloadermiddlewares.retry import RetryMiddleware, get_retry_request
from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.http import Headers
from scrapy.responsetypes import responsetypes

from pressbot import bundled
from pressbot.addresses import host_of, local_host, port_of, unsafe_ip
from pressbot.run import Run

logger = logging.getLogger(__name__)


#: How the guard asks DNS: a host name and port -> the addresses it resolves to (none when it
#: does not resolve). Tests hand in a table.
Resolve = Callable[[str, int], Awaitable[list[str]]]


async def resolve_addresses(host: str, port: int) -> list[str]:
    """The IPv4 and IPv6 addresses the system resolver gives for ``host``."""
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port)
    except OSError:
        return []
    return [str(info[4][0]) for info in infos if info[0] in (socket.AF_INET, socket.AF_INET6)]


@dataclass
class _Trust:
    """What one source's start URLs vouch for: their schemes, and the places they are on,
    ``(host, port)`` by name (as ``host_of`` gives it) and, once resolved, by address."""

    schemes: set[str]
    places: set[tuple[str, int | None]]
    addresses: set[tuple[str, int | None]] | None = None

    @classmethod
    def of(cls, start_urls: Iterable[str]) -> _Trust:
        schemes, places = {"http", "https"}, set()
        for url in start_urls:
            parts = urlsplit(url)
            if parts.scheme == "file":
                schemes.add("file")
            elif parts.scheme in ("http", "https"):
                places.add((host_of(parts), port_of(parts)))
        return cls(schemes, places)


def _address(text: str) -> str:
    """An address as text, written one way: ``::FFFF:7F00:1`` and ``::ffff:127.0.0.1`` are
    ``127.0.0.1`` (an IPv4-mapped address reaches the IPv4 one)."""
    ip = ipaddress.ip_address(text.split("%", 1)[0])
    mapped = ip.ipv4_mapped if isinstance(ip, ipaddress.IPv6Address) else None
    return str(mapped or ip)


class UnsafeDestination(IgnoreRequest):
    """A request to a non-HTTP scheme or an internal address that no profile asked for."""


class SafeDestinationMiddleware:
    """Refuse requests to non-HTTP(S) schemes and to loopback, private, link-local or reserved
    addresses (169.254.169.254 cloud metadata among them), after DNS resolution, unless a
    profile's own start URLs are on that very place: the same host name and port (a name that
    resolves to loopback, such as ``localhost`` or a ``/etc/hosts`` entry, included), or an
    address and port a start host resolves to (the bundled fixtures are on one)."""

    def __init__(
        self, stats, start_urls: Mapping[str, Iterable[str]], resolve: Resolve = resolve_addresses
    ) -> None:
        """``start_urls``: each source's start URLs, the local places it vouches for;
        ``resolve``: how to ask DNS."""
        self.stats = stats
        self._resolve = resolve
        #: Each host name's addresses, asked once a run.
        self._dns: dict[str, list[str]] = {}
        self._by_source = {name: _Trust.of(urls) for name, urls in start_urls.items()}
        # Requests of no source (robots.txt) may go where any source's start URLs go.
        self._any = _Trust.of([u for urls in start_urls.values() for u in urls])

    @classmethod
    def from_crawler(cls, crawler):
        run = Run.of(crawler)
        if run is None:
            # Not a pressbot run (scrapy shell, fetch, view, parse, bench, another spider): the
            # operator chose the URL, and nothing fetched is written anywhere. The guard keeps
            # pages from steering pressbot's crawls, whose output is published.
            raise NotConfigured
        return cls(crawler.stats, {name: p.start_urls for name, p in run.profiles.items()})

    async def process_request(self, request):
        parts = urlsplit(request.url)
        trust = self._by_source.get(request.meta.get("pressbot_source"), self._any)
        if parts.scheme not in trust.schemes:
            self._refuse(request, f"scheme {parts.scheme!r} is not crawled")
        if parts.scheme == "file":
            return None
        host, port = host_of(parts), port_of(parts)
        if (host, port) in trust.places:
            return None  # a start host and port of the profile, by name
        if host == bundled.HOST:
            return None  # answered in-process (BundledSitesMiddleware): it never leaves
        inside = [a for a in await self._addresses(host, port) if unsafe_ip(a)]
        if not inside and not local_host(host):
            return None  # public (or unresolvable: Scrapy's own DNS error follows)
        trusted = await self._start_addresses(trust) if inside else set()
        if inside and all((a, port) in trusted for a in inside):
            return None  # where a start host is, by address
        where = host if _is_address(host) or not inside else f"{host} ({', '.join(inside)})"
        self._refuse(request, f"{where} is a loopback, private or link-local address")
        return None

    async def _addresses(self, host: str, port: int | None) -> list[str]:
        """The host's addresses: itself if it is one, else what DNS said first, normalised."""
        if _is_address(host):
            return [_address(host)]
        if host not in self._dns:
            self._dns[host] = [_address(a) for a in await self._resolve(host, port or 80)]
        return self._dns[host]

    async def _start_addresses(self, trust: _Trust) -> set[tuple[str, int | None]]:
        if trust.addresses is None:
            found: set[tuple[str, int | None]] = set()
            for host, port in trust.places:
                found.update((a, port) for a in await self._addresses(host, port))
            trust.addresses = found
        return trust.addresses

    def _refuse(self, request, why: str) -> None:
        self.stats.inc_value("pressbot/unsafe_refused")
        raise UnsafeDestination(f"refused {request.url}: {why}")


def _is_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return False
    return True


class BundledSitesMiddleware:
    """Answer requests for ``https://fixtures.invalid/…`` (pressbot.bundled.ORIGIN) in-process,
    from the fixture sites bundled with pressbot (or the folder PRESSBOT_FIXTURES_DIR names),
    exactly as ``python -m pressbot.devserver`` serves them: folder paths, query strings and
    content types included. It sits last before the downloader, so every other middleware
    (robots.txt, the guard, retries, redirects, stats) sees these requests as any other."""

    def __init__(self, root: Traversable) -> None:
        self.root = root

    @classmethod
    def from_crawler(cls, crawler):
        folder = crawler.settings.get("PRESSBOT_FIXTURES_DIR")
        middleware = cls(Path(folder) if folder else bundled.sites())
        run = Run.of(crawler)
        if run is not None and any(
            urlsplit(u).hostname == bundled.HOST for p in run.profiles.values() for u in p.start_urls
        ):
            logger.info("pressbot answers %s/ in-process, from %s", bundled.ORIGIN, middleware.root)
        return middleware

    def process_request(self, request):
        parts = urlsplit(request.url)
        if parts.hostname != bundled.HOST or parts.scheme not in ("http", "https"):
            return None
        found = bundled.page(self.root, unquote(parts.path), parts.query)
        headers = Headers({"Content-Type": found.content_type, "Content-Length": str(len(found.body))})
        # The response class the HTTP download handler would give these headers (HtmlResponse,
        # XmlResponse, JsonResponse, ...).
        kind = responsetypes.from_args(headers=headers, url=request.url, body=found.body)
        return kind(request.url, status=found.status, headers=headers, body=found.body, request=request)


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
