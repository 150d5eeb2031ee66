"""The benchmark's loopback server: pressbot.synthetic.SyntheticSite behind a small asyncio
HTTP/1.1 keep-alive server, meant to run in a process of its own (``python -m bench.server``).

Why not pressbot.devserver.FixtureServer: that one is a ThreadingHTTPServer (a thread per
connection, header parsing in Python) and renders each listing page on every request (~1.3 ms
for 46 KB). Both crawls fetch their listing pages one after another, so every millisecond the
server spends is added to both wall times and hides the difference between them. This server
answers from a cache of rendered pages (the SyntheticSite's own ``hook`` renders them, so the
bytes are exactly what the tests serve) and can pre-render every page of the current site
before a timed crawl.

Control endpoints (not counted as hits), each answering JSON:

    /__control/stats             hits per kind since the last reset, the site, server CPU time
    /__control/reset             zero the hit counters
    /__control/total?n=4000      set the site's number of releases (a fresh full site)
    /__control/publish?n=20      publish n new releases at the top (everything shifts down)
    /__control/prerender         render every listing page of the current site into the cache
    /__control/prerender?details=1   ...and every release page too (the distributed section)
    /__control/quit              stop the server

On start the server prints one line, ``PORT <n>``, on stdout.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import sys
import time
from collections import Counter
from urllib.parse import parse_qs

from pressbot.synthetic import SyntheticSite

PREFIX = "/synthetic"
#: How many sites (totals) keep their rendered pages: the current one and the one before, so a
#: benchmark that publishes 20 releases and then resets the site does not render it all again.
KEEP_TOTALS = 2


class _Capture:
    """Stands in for devserver's Handler so that SyntheticSite.hook renders into memory."""

    def __init__(self) -> None:
        self.status = 500
        self.body = b""
        self.ctype = "text/html; charset=utf-8"

    def send_whole(
        self,
        status: int,
        body: bytes,
        ctype: str = "text/html; charset=utf-8",
        headers: dict[str, str] | None = None,
    ) -> None:
        self.status, self.body, self.ctype = status, body, ctype


_REASONS = {200: "OK", 404: "Not Found", 400: "Bad Request", 500: "Internal Server Error"}


def _response(status: int, body: bytes, ctype: str, close: bool = False) -> bytes:
    head = (
        f"HTTP/1.1 {status} {_REASONS.get(status, '')}\r\nContent-Type: {ctype}\r\n"
        f"Content-Length: {len(body)}\r\n" + ("Connection: close\r\n" if close else "") + "\r\n"
    )
    return head.encode("latin-1") + body


class Site:
    """The synthetic site, a cache of whole responses, and hit counters."""

    def __init__(self, releases: int) -> None:
        self.site = SyntheticSite(releases, per_page=20, prefix=PREFIX)
        self.cache: dict[int, dict[str, bytes]] = {}
        self.hits: Counter[str] = Counter()
        self.listing_paths: Counter[str] = Counter()
        self.detail_paths: Counter[str] = Counter()
        #: time.monotonic() of the first and the last page request since the last reset (the
        #: same clock as the benchmark's: CLOCK_MONOTONIC, system-wide on Linux).
        self.first_hit: float | None = None
        self.last_hit: float | None = None
        #: When each listing page was asked for: the listing walk's pace.
        self.listing_times: list[float] = []

    def kind(self, path: str) -> str:
        if path == "/robots.txt":
            return "robots"
        if path.startswith(PREFIX + "/news/r/"):
            return "detail"
        if path.startswith(PREFIX + "/news/"):
            return "listing"
        return "other"

    def _render(self, path: str) -> bytes:
        cap = _Capture()
        if not self.site.hook(cap, path):
            cap.send_whole(404, b"not found", "text/plain")
        return _response(cap.status, cap.body, cap.ctype)

    def get(self, path: str) -> bytes:
        kind = self.kind(path)
        self.hits[kind] += 1
        if kind == "listing":
            self.listing_paths[path] += 1
        elif kind == "detail":
            self.detail_paths[path] += 1
        if kind in ("listing", "detail"):
            now = time.monotonic()
            self.first_hit = self.first_hit or now
            self.last_hit = now
            if kind == "listing":
                self.listing_times.append(now)
        pages = self.cache.setdefault(self.site.total, {})
        data = pages.get(path)
        if data is None:
            data = pages[path] = self._render(path)
        return data

    def set_total(self, total: int) -> None:
        self.site.total = total
        self._trim()

    def publish(self, n: int) -> None:
        self.site.publish(n)
        self._trim()

    def prerender(self, details: bool = False) -> int:
        pages = self.cache.setdefault(self.site.total, {})
        paths = [
            f"{PREFIX}/news/index.html" if n == 1 else f"{PREFIX}/news/page-{n}.html"
            for n in range(1, self.site.pages + 1)
        ]
        if details:  # release pages (~4 KB each), for crawls that follow every release
            paths += [f"{PREFIX}/news/r/{k}.html" for k in range(self.site.total)]
        for path in paths:
            if path not in pages:
                pages[path] = self._render(path)
        return self.site.pages

    def _trim(self) -> None:
        # Keep the current site's pages and the most recent other ones.
        order = [t for t in self.cache if t != self.site.total]
        for t in order[: max(0, len(order) - (KEEP_TOTALS - 1))]:
            del self.cache[t]
        if self.site.total in self.cache:  # move to the end: most recently used
            self.cache[self.site.total] = self.cache.pop(self.site.total)

    def control(self, action: str, query: str) -> tuple[dict, bool]:
        args = {k: v[-1] for k, v in parse_qs(query).items()}
        stop = False
        if action == "reset":
            self.hits.clear()
            self.listing_paths.clear()
            self.detail_paths.clear()
            self.first_hit = self.last_hit = None
            self.listing_times.clear()
        elif action == "total":
            self.set_total(int(args["n"]))
        elif action == "publish":
            self.publish(int(args.get("n", "20")))
        elif action == "prerender":
            self.prerender(details=args.get("details") == "1")
        elif action == "quit":
            stop = True
        elif action != "stats":
            raise KeyError(action)
        return {
            "total": self.site.total,
            "pages": self.site.pages,
            "hits": dict(self.hits),
            "listing_pages": sum(self.listing_paths.values()),
            "distinct_listing_pages": len(self.listing_paths),
            "detail_pages": sum(self.detail_paths.values()),
            "distinct_detail_pages": len(self.detail_paths),
            "first_hit": self.first_hit,
            "last_hit": self.last_hit,
            "listing_interval_ms_median": _median_gap_ms(self.listing_times),
            "cached_pages": {str(t): len(p) for t, p in self.cache.items()},
            "cpu_seconds": time.process_time(),
            "pid": os.getpid(),
        }, stop


def _median_gap_ms(times: list[float]) -> float | None:
    gaps = sorted(b - a for a, b in zip(times, times[1:], strict=False))
    return 1000 * gaps[len(gaps) // 2] if gaps else None


class _Protocol(asyncio.Protocol):
    def __init__(self, site: Site, stop: asyncio.Future) -> None:
        self.site = site
        self.stop = stop
        self.buffer = b""
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport) -> None:
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while True:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            head, self.buffer = self.buffer[:end], self.buffer[end + 4 :]
            self._answer(head)
            if self.transport is None or self.transport.is_closing():
                return

    def _answer(self, head: bytes) -> None:
        lines = head.split(b"\r\n")
        parts = lines[0].split()
        close = any(
            line.lower().startswith(b"connection:") and b"close" in line.lower() for line in lines[1:]
        )
        if len(parts) < 2 or parts[0] not in (b"GET", b"HEAD"):
            self.transport.write(_response(400, b"bad request", "text/plain", close=True))
            self.transport.close()
            return
        target = parts[1].decode("latin-1")
        path, _, query = target.partition("?")
        if path.startswith("/__control/"):
            try:
                payload, stop = self.site.control(path[len("/__control/") :], query)
                data = _response(200, json.dumps(payload).encode(), "application/json")
            except (KeyError, ValueError) as exc:
                data, stop = _response(400, repr(exc).encode(), "text/plain"), False
            self.transport.write(data)
            if stop and not self.stop.done():
                self.stop.set_result(None)
        else:
            data = self.site.get(path)
            if parts[0] == b"HEAD":
                data = data[: data.find(b"\r\n\r\n") + 4]
            self.transport.write(data)
        if close:
            self.transport.close()


async def serve(releases: int, port: int) -> None:
    loop = asyncio.get_running_loop()
    stop = loop.create_future()
    site = Site(releases)
    server = await loop.create_server(lambda: _Protocol(site, stop), "127.0.0.1", port, backlog=512)
    print(f"PORT {server.sockets[0].getsockname()[1]}", flush=True)
    async with server:
        await stop
        await asyncio.sleep(0.05)  # let the quit answer go out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="The benchmark's synthetic press room server.")
    parser.add_argument("--releases", type=int, default=4000)
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args(argv)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(args.releases, args.port))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
