"""The whole benchmark in order, every figure in one dict.

The server and its check, a warm-up, the crawls at each N, the distributed section, the
parser, then the targets.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from bench.crawl import bench_size, warm_up
from bench.distributed import bench_distributed
from bench.machine import describe_machine
from bench.parser import parse_throughput
from bench.server_client import SiteServer, check_server
from bench.settings import COMMON_SETTINGS, RELEASES_PER_PAGE
from bench.targets import check_targets


def run_benchmark(
    sizes: Sequence[int] = (200, 2000),
    repeats: int = 3,
    server_seconds: float = 3.0,
    parse_seconds: float = 1.0,
    workdir: Path | None = None,
    log: Callable[[str], None] = print,
    distributed: int | None = 100,
    distributed_workers: Sequence[int] = (1, 2, 4),
    redis_fill: int = 1_000_000,
) -> dict[str, Any]:
    """Run everything; return the figures (see README.md, "Benchmark", for the fields).
    ``distributed``: N of the distributed section (listing pages), None to leave it out."""
    started = time.perf_counter()
    started_at = dt.datetime.now(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    own_dir = workdir is None
    workroot = Path(tempfile.mkdtemp(prefix="pressbot-bench-")) if own_dir else workdir
    workroot.mkdir(parents=True, exist_ok=True)
    results: dict[str, Any] = {
        "started_at": started_at,
        "machine": describe_machine(),
        "settings": dict(COMMON_SETTINGS),
        "per_page": RELEASES_PER_PAGE,
        "sizes": {},
    }
    try:
        with SiteServer() as server:
            largest = max(sizes)
            server.site(largest * RELEASES_PER_PAGE)
            log(f"server: bench/server.py (pid {server.control('stats')['pid']}) at {server.url}")
            results["server"] = check_server(server, largest, seconds=server_seconds)
            server_figures = results["server"]
            log(
                f"server: {server_figures['requests_per_s']:.0f} listing pages/s with "
                f"{server_figures['clients']} keep-alive clients, "
                f"{server_figures['latency_ms_median']:.2f} ms median round trip, "
                f"{server_figures['server_cpu_ms_per_request']:.3f} ms server CPU a page"
            )
            warm_up(server, workroot)
            for listing_pages in sizes:
                log(
                    f"N = {listing_pages} listing pages "
                    f"({listing_pages * RELEASES_PER_PAGE} releases), {repeats} run(s) each"
                )
                results["sizes"][str(listing_pages)] = bench_size(
                    server, listing_pages, repeats, workroot, log=log
                )
            if distributed:
                results["distributed"] = bench_distributed(
                    server,
                    distributed,
                    repeats,
                    workroot,
                    workers=distributed_workers,
                    fill=redis_fill,
                    log=log,
                )
            else:
                results["distributed"] = {"skipped": "left out (--no-distributed)"}
        log("parser throughput")
        results["parse"] = parse_throughput(parse_seconds, rounds=max(5, repeats))
    finally:
        if own_dir:
            shutil.rmtree(workroot, ignore_errors=True)
    fastest = max(
        (
            results["sizes"][size][who]["pages_per_s"]["max"]
            for size in results["sizes"]
            for who in ("baseline", "pressbot")
        ),
        default=0,
    )
    server_figures = results["server"]
    server_figures["fastest_crawl_pages_per_s"] = fastest
    server_figures["times_fastest_crawl"] = server_figures["requests_per_s"] / fastest if fastest else None
    results["targets"] = check_targets(results)
    results["duration_s"] = time.perf_counter() - started
    results["machine"]["load_average_end"] = list(os.getloadavg())
    return results
