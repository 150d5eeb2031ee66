"""The many-sources benchmark's server: one synthetic press room per loopback address.

Source ``i`` lives at ``127.1.x.y`` (``address(i)``): one listening socket per address, all in
one asyncio process, so that each source is its own host to Scrapy (its own download slot,
connection and robots.txt: politeness per host is exactly as for real press rooms). Every
source starts as the same ``pressbot.synthetic.SyntheticSite`` (release ids differ, being
taken from each host's URLs); a source that publishes gets a total of its own. Pages are
rendered once per total and shared by every host with that total.

Control endpoints on any address (not counted), each answering JSON:

    /__control/stats                  hits since the last reset
    /__control/reset                  zero the counters
    /__control/total?n=40             every source back to n releases
    /__control/publish?hosts=A,B&n=1  those sources publish n new releases each
    /__control/quit

On start it prints ``PORT <n>`` on stdout.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import resource
import socket
import sys
import time
from collections import Counter
from urllib.parse import parse_qs

from bench.server import PREFIX, _Capture, _response
from pressbot.synthetic import SyntheticSite


def address(index: int) -> str:
    """Source ``index``'s address: 127.1.0.1, 127.1.0.2, ... 250 a block."""
    return f"127.1.{index // 250}.{index % 250 + 1}"


class ManySite:
    def __init__(self, releases: int) -> None:
        self.base = releases
        self.totals: dict[str, int] = {}
        self.site = SyntheticSite(releases, per_page=20, prefix=PREFIX)
        self.cache: dict[int, dict[str, bytes]] = {}
        self.hits: Counter[str] = Counter()
        #: (host, path) of listing and release pages since the last reset: each once?
        self.pages: Counter[tuple[str, str]] = Counter()
        self.hosts: set[str] = set()
        self.first_hit: float | None = None
        self.last_hit: float | None = None
        #: Listing and release pages served, per second of the monotonic clock.
        self.seconds: Counter[int] = Counter()

    def get(self, host: str, path: str) -> bytes:
        if path == "/robots.txt":
            self.hits["robots"] += 1
            return _response(404, b"not found", "text/plain")
        kind = "detail" if path.startswith(PREFIX + "/news/r/") else "listing"
        self.hits[kind] += 1
        self.pages[(host, path)] += 1
        self.hosts.add(host)
        now = time.monotonic()
        self.first_hit = self.first_hit or now
        self.last_hit = now
        self.seconds[int(now)] += 1
        total = self.totals.get(host, self.base)
        pages = self.cache.setdefault(total, {})
        data = pages.get(path)
        if data is None:
            self.site.total = total
            cap = _Capture()
            if not self.site.hook(cap, path):
                cap.send_whole(404, b"not found", "text/plain")
            data = pages[path] = _response(cap.status, cap.body, cap.ctype)
        return data

    def control(self, action: str, query: str) -> tuple[dict, bool]:
        args = {k: v[-1] for k, v in parse_qs(query).items()}
        if action == "reset":
            self.hits.clear()
            self.pages.clear()
            self.hosts.clear()
            self.first_hit = self.last_hit = None
            self.seconds.clear()
        elif action == "total":
            self.base = int(args["n"])
            self.totals.clear()
        elif action == "publish":
            n = int(args.get("n", "1"))
            for host in filter(None, args.get("hosts", "").split(",")):
                self.totals[host] = self.totals.get(host, self.base) + n
        elif action not in ("stats", "quit"):
            raise KeyError(action)
        return {
            "base": self.base,
            "published_hosts": len(self.totals),
            "hits": dict(self.hits),
            "listing_pages": self.hits["listing"],
            "detail_pages": self.hits["detail"],
            "pages_twice": sum(1 for c in self.pages.values() if c > 1),
            "hosts": len(self.hosts),
            "first_hit": self.first_hit,
            "last_hit": self.last_hit,
            "pages_a_second": [self.seconds[k] for k in range(min(self.seconds), max(self.seconds) + 1)]
            if self.seconds
            else [],
            "cpu_seconds": time.process_time(),
            "pid": os.getpid(),
        }, action == "quit"


class _Protocol(asyncio.Protocol):
    def __init__(self, site: ManySite, stop: asyncio.Future) -> None:
        self.site, self.stop = site, stop
        self.buffer = b""
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport) -> None:
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while self.transport is not None and not self.transport.is_closing():
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            head, self.buffer = self.buffer[:end], self.buffer[end + 4 :]
            self._answer(head)

    def _answer(self, head: bytes) -> None:
        assert self.transport is not None
        lines = head.split(b"\r\n")
        parts = lines[0].split()
        if len(parts) < 2 or parts[0] not in (b"GET", b"HEAD"):
            self.transport.write(_response(400, b"bad request", "text/plain", close=True))
            self.transport.close()
            return
        path, _, query = parts[1].decode("latin-1").partition("?")
        if path.startswith("/__control/"):
            try:
                payload, stop = self.site.control(path[len("/__control/") :], query)
                data = _response(200, json.dumps(payload).encode(), "application/json")
            except (KeyError, ValueError) as exc:
                data, stop = _response(400, repr(exc).encode(), "text/plain"), False
            self.transport.write(data)
            if stop and not self.stop.done():
                self.stop.set_result(None)
            return
        # The source is the address the client connected to (its Host header says the same).
        host = self.transport.get_extra_info("sockname")[0]
        data = self.site.get(host, path)
        if parts[0] == b"HEAD":
            data = data[: data.find(b"\r\n\r\n") + 4]
        self.transport.write(data)


async def serve(sources: int, releases: int) -> None:
    loop = asyncio.get_running_loop()
    stop = loop.create_future()
    site = ManySite(releases)
    # One port on every address: bind the first to a free port, the others to the same.
    first = socket.socket()
    first.bind((address(0), 0))
    port = first.getsockname()[1]
    first.close()
    server = await loop.create_server(
        lambda: _Protocol(site, stop), [address(i) for i in range(sources)], port, backlog=128
    )
    print(f"PORT {port}", flush=True)
    async with server:
        await stop
        await asyncio.sleep(0.05)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="The many-sources benchmark's server.")
    parser.add_argument("--sources", type=int, default=1000)
    parser.add_argument("--releases", type=int, default=40)
    args = parser.parse_args(argv)
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(args.sources, args.releases))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
