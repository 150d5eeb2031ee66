"""The site server's client: bench/server.py in a process of its own, and its speed check.

The server is driven through its control endpoints (a fresh site, counters, new releases);
``check_server`` measures that it is far faster than any crawl.
"""

from __future__ import annotations

import http.client
import json
import statistics
import subprocess
import sys
import threading
import time
from typing import Any

from bench.processes import child_env
from bench.settings import PROJECT_DIR, RELEASES_PER_PAGE


class SiteServer:
    """bench/server.py in a process of its own, driven through its control endpoints."""

    def __init__(self, releases: int = RELEASES_PER_PAGE) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bench.server", "--releases", str(releases)],
            cwd=PROJECT_DIR,
            stdout=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            env=child_env(),
            text=True,
        )
        first_line = self.proc.stdout.readline().strip()
        if not first_line.startswith("PORT "):
            self.stop()
            raise RuntimeError(f"benchmark server did not start (said {first_line!r})")
        self.port = int(first_line.split()[1])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def start_url(self) -> str:
        return f"{self.url}/synthetic/news/index.html"

    def control(self, action: str, **params: int) -> dict[str, Any]:
        query = "&".join(f"{name}={value}" for name, value in params.items())
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
        try:
            connection.request("GET", f"/__control/{action}" + (f"?{query}" if query else ""))
            response = connection.getresponse()
            body = response.read()
            if response.status != 200:
                raise RuntimeError(f"control {action}: HTTP {response.status}: {body!r}")
            return json.loads(body)
        finally:
            connection.close()

    def site(self, releases: int) -> dict[str, Any]:
        """A fresh site of ``releases`` releases, every listing page rendered, counters zeroed."""
        self.control("total", n=releases)
        self.control("prerender")
        return self.control("reset")

    def stop(self) -> None:
        if self.proc.poll() is None:
            try:
                self.control("quit")
                self.proc.wait(timeout=10)
            except (OSError, RuntimeError, subprocess.TimeoutExpired):
                self.proc.kill()
                self.proc.wait()
        if self.proc.stdout is not None:
            self.proc.stdout.close()

    def __enter__(self) -> SiteServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def check_server(
    server: SiteServer,
    pages: int,
    seconds: float = 3.0,
    clients: int = 4,
    max_requests: int = 50_000,
    latency_requests: int = 300,
) -> dict[str, Any]:
    """The server's own speed on the listing pages: throughput with ``clients`` keep-alive
    threads for at most ``seconds`` (and ``max_requests``), then one client's round trip."""
    paths = [
        f"/synthetic/news/{'index.html' if page == 1 else f'page-{page}.html'}"
        for page in range(1, pages + 1)
    ]
    before = server.control("stats")
    requests_done = [0] * clients
    errors: list[BaseException] = []
    deadline = time.perf_counter() + seconds
    per_client = max(1, max_requests // clients)

    def fetch_pages(client: int) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
        try:
            while requests_done[client] < per_client and time.perf_counter() < deadline:
                # Each client starts at its own place in the listing (7919 is a prime).
                connection.request("GET", paths[(client * 7919 + requests_done[client]) % len(paths)])
                response = connection.getresponse()
                response.read()
                if response.status != 200:
                    raise RuntimeError(f"HTTP {response.status}")
                requests_done[client] += 1
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=fetch_pages, args=(client,)) for client in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    if errors:
        raise RuntimeError(f"server check failed: {errors[0]!r}")
    after = server.control("stats")
    requests = sum(requests_done)

    round_trips, page_bytes = [], 0
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    try:
        for request in range(latency_requests):
            sent = time.perf_counter()
            connection.request("GET", paths[request % len(paths)])
            response = connection.getresponse()
            body = response.read()
            round_trips.append(time.perf_counter() - sent)
            page_bytes = len(body)
    finally:
        connection.close()
    server.control("reset")
    server_cpu_s = after["cpu_seconds"] - before["cpu_seconds"]
    return {
        "clients": clients,
        "requests": requests,
        "seconds": round(elapsed, 3),
        "requests_per_s": requests / elapsed,
        "server_cpu_ms_per_request": 1000 * server_cpu_s / requests if requests else None,
        "server_capacity_per_cpu_s": requests / server_cpu_s if server_cpu_s > 0 else None,
        "latency_ms_median": 1000 * statistics.median(round_trips),
        "latency_ms_p99": 1000 * sorted(round_trips)[int(0.99 * (len(round_trips) - 1))],
        "bytes_per_page": page_bytes,
    }
