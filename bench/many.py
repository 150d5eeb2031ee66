"""The many-sources benchmark: a thousand press rooms, each its own host, crawled hourly.

    python -m bench.many [--sources 1000] [--small 100] [--releases 40] [--workers 1,2,4]
                         [--repeats 1] [--json bench/results/many.json]

Every source is a pressbot.synthetic.SyntheticSite on its own loopback address
(bench/many_server.py: 127.1.x.y, one server process), with a profile of its own in a folder of
profiles (PRESSBOT_PROFILE_DIRS), crawled by name (``-a source=s0000,s0001,...``). For the
small and the large count, with one ordinary pressbot process and then with 1, 2 and 4
distributed workers on a real redis-server, three runs on one state, as cron would make them:

* ``first``: every source new (``releases`` each: 40 = two listing pages);
* ``hourly``: nothing new (each source reads its first page, then the overlap page);
* ``one-percent``: 1% of the sources published one release each.

Each run is timed from the first spawn to the last exit (``wall_s``) and to the last page the
server answered (``to_last_page_s``: a distributed worker waits PRESSBOT_IDLE_CLOSE s on an
empty frontier, and closes only at Scrapy's next heartbeat, after the work is done). Peak RSS
and CPU time are each process's own (``os.wait4``). Checks: each run wrote what was new
(``N*releases``, 0, ``N/100``); the union of the outputs of all three runs holds every release
exactly once; no page was fetched twice in one run; no worker logged a Traceback.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import orjson

from bench.many_server import address
from bench.processes import child_env, settings_args
from bench.settings import BENCH_DIR, PROJECT_DIR
from pressbot.devserver import RedisServer, redis_binary

#: Settings of every crawl: pressbot's defaults for concurrency per host and robots.txt
#: (politeness per host stays on), no throttling (loopback), nothing listening.
MANY_SETTINGS = {
    "CONCURRENT_REQUESTS": "64",
    "CONCURRENT_REQUESTS_PER_DOMAIN": "4",
    "ROBOTSTXT_OBEY": "True",
    "AUTOTHROTTLE_ENABLED": "False",
    "TELNETCONSOLE_ENABLED": "False",
    "LOG_LEVEL": "INFO",
    "PRESSBOT_PROGRESS_SECONDS": "0",
}
IDLE_CLOSE = 2
RUNS = ("first", "hourly", "one-percent")

PROFILE = """\
name = "{name}"
title = "Synthetic newsroom {index}"
base_url = "http://{host}:{port}/synthetic/"
start_urls = ["news/index.html"]

[listing]
entry = "div.news-list article.teaser"
next_page = "nav.pager a[rel=next]::attr(href)"

[listing.fields]
title = "h2.title a"
url = "h2.title a::attr(href)"
published_raw = "span.date"
summary = "div.teaser-body p"

[dates]
formats = ["%d %B %Y"]
languages = ["en"]
"""


def source_name(index: int) -> str:
    return f"s{index:05d}"


def write_profiles(folder: Path, count: int, port: int) -> list[str]:
    folder.mkdir(parents=True, exist_ok=True)
    names = []
    for index in range(count):
        name = source_name(index)
        text = PROFILE.format(name=name, index=index, host=address(index), port=port)
        (folder / f"{name}.toml").write_text(text, encoding="utf-8")
        names.append(name)
    return names


class ManyServer:
    """bench/many_server.py in a process of its own."""

    def __init__(self, sources: int, releases: int) -> None:
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "bench.many_server",
                "--sources",
                str(sources),
                "--releases",
                str(releases),
            ],
            cwd=PROJECT_DIR,
            stdout=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            env=child_env(),
            text=True,
        )
        line = self.proc.stdout.readline().strip() if self.proc.stdout else ""
        if not line.startswith("PORT "):
            self.proc.kill()
            raise RuntimeError(f"many-sources server did not start (said {line!r})")
        self.port = int(line.split()[1])

    def control(self, action: str, **params: object) -> dict[str, Any]:
        import http.client

        query = "&".join(f"{k}={v}" for k, v in params.items())
        conn = http.client.HTTPConnection(address(0), self.port, timeout=60)
        try:
            conn.request("GET", f"/__control/{action}" + (f"?{query}" if query else ""))
            response = conn.getresponse()
            body = response.read()
            if response.status != 200:
                raise RuntimeError(f"control {action}: HTTP {response.status}: {body!r}")
            return json.loads(body)
        finally:
            conn.close()

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


def _spawn_all(cmds: list[list[str]], logs: list[Path], timeout: float) -> tuple[float, list[tuple]]:
    """Start every command at once; (start time, [(exit time, exit code, rusage)])."""
    exits: dict[int, tuple[float, int, Any]] = {}
    procs, files, threads = [], [], []
    env = child_env()

    def reap(index: int, proc: subprocess.Popen) -> None:
        _, status, usage = os.wait4(proc.pid, 0)
        exits[index] = (time.monotonic(), os.waitstatus_to_exitcode(status), usage)
        proc.returncode = exits[index][1]

    started = time.monotonic()
    try:
        for index, (cmd, log) in enumerate(zip(cmds, logs, strict=True)):
            handle = open(log, "wb")  # noqa: SIM115 - closed below
            files.append(handle)
            proc = subprocess.Popen(
                cmd,
                cwd=PROJECT_DIR,
                stdout=handle,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=env,
            )
            procs.append(proc)
            thread = threading.Thread(target=reap, args=(index, proc), daemon=True)
            thread.start()
            threads.append(thread)
        for thread in threads:
            thread.join(max(0.0, started + timeout - time.monotonic()))
    finally:
        for index, proc in enumerate(procs):
            if index not in exits:
                proc.kill()
        for thread in threads:
            thread.join(10)
        for handle in files:
            handle.close()
    return started, [exits.get(i, (float("nan"), -9, None)) for i in range(len(cmds))]


def _count(path: Path) -> int:
    if not path.exists():
        return 0
    with open(path, "rb") as lines:
        return sum(1 for _ in lines)


def _ids(path: Path) -> Iterator[str]:
    """The ids of an output, line by line: the benchmark keeps its own memory small, because a
    child's peak RSS (wait4's ru_maxrss) starts from its parent's at the fork (Linux carries the
    high-water mark through exec)."""
    with open(path, "rb") as lines:
        for line in lines:
            yield orjson.loads(line)["id"]


def crawl(
    server: ManyServer,
    names: Sequence[str],
    folder: Path,
    workdir: Path,
    run: str,
    workers: int,
    redis: RedisServer | None,
    timeout: float = 900,
) -> dict[str, Any]:
    """One run over ``names``: one ordinary process (``workers`` = 0) or ``workers``
    distributed workers at once; its figures."""
    server.control("reset")
    outdir = workdir / "out"
    outdir.mkdir(parents=True, exist_ok=True)
    settings: dict[str, object] = {
        **MANY_SETTINGS,
        "PRESSBOT_PROFILE_DIRS": folder,
        "PRESSBOT_RUNS_DIR": workdir / "runs",
    }
    worker_names = [f"w{i}" for i in range(workers)] if workers else ["solo"]
    if workers:
        settings |= {
            "PRESSBOT_STATE": redis.url if redis else "",
            "PRESSBOT_DISTRIBUTED": "1",
            "PRESSBOT_RUN_ID": f"{run}-{time.time_ns()}",
            "PRESSBOT_IDLE_CLOSE": str(IDLE_CLOSE),
            "PRESSBOT_OUTPUT": outdir / "releases.{worker}.jsonl",
        }
    else:
        settings |= {
            "PRESSBOT_STATE": workdir / "state.sqlite3",
            "PRESSBOT_OUTPUT": outdir / "releases.solo.jsonl",
        }
    before = {w: _count(outdir / f"releases.{w}.jsonl") for w in worker_names}
    cmds = []
    for worker in worker_names:
        extra = {"PRESSBOT_WORKER_ID": worker} if workers else {}
        cmds.append(
            [
                sys.executable,
                "-m",
                "scrapy",
                "crawl",
                "releases",
                "-a",
                "source=" + ",".join(names),
                *settings_args({**settings, **extra}),
            ]
        )
    logs = [workdir / f"{run}.{w}.log" for w in worker_names]
    started, exits = _spawn_all(cmds, logs, timeout)
    stats = server.control("stats")
    failed = [w for w, (_, code, _) in zip(worker_names, exits, strict=True) if code != 0]
    if failed:
        tail = logs[worker_names.index(failed[0])].read_text(errors="replace")[-3000:]
        raise RuntimeError(f"{run}: worker(s) {failed} failed (see {workdir}):\n{tail}")
    written = {w: _count(outdir / f"releases.{w}.jsonl") - before[w] for w in worker_names}
    last_exit = max(e for e, _, _ in exits)
    pages = stats["listing_pages"] + stats["detail_pages"]
    to_last = (stats["last_hit"] - started) if stats["last_hit"] else None
    to_first = (stats["first_hit"] - started) if stats["first_hit"] else None
    return {
        "run": run,
        "workers": workers,
        "sources": len(names),
        "wall_s": last_exit - started,
        "to_first_page_s": to_first,
        "to_last_page_s": to_last,
        "pages_a_second": stats["pages_a_second"],
        "pages": pages,
        "robots": stats["hits"].get("robots", 0),
        "pages_twice": stats["pages_twice"],
        "hosts": stats["hosts"],
        "items": sum(written.values()),
        "items_by_worker": written,
        "peak_rss_mb": max(u.ru_maxrss / 1024 for _, _, u in exits),
        "cpu_s": sum(u.ru_utime + u.ru_stime for _, _, u in exits),
        "pages_per_s_to_last_page": pages / to_last if to_last else None,
        "tracebacks": sum(log.read_text(errors="replace").count("Traceback") for log in logs),
    }


def three_runs(
    server: ManyServer,
    names: Sequence[str],
    folder: Path,
    workdir: Path,
    releases: int,
    workers: int,
    redis: RedisServer | None,
    log: Callable[[str], None],
) -> dict[str, Any]:
    """first, hourly, one-percent on one fresh state; every release exactly once in the union."""
    server.control("total", n=releases)
    if redis is not None:
        redis.client.flushdb()
    figures: dict[str, Any] = {}
    expected = {"first": len(names) * releases, "hourly": 0, "one-percent": max(1, len(names) // 100)}
    for run in RUNS:
        if run == "one-percent":
            step = len(names) // expected[run]
            server.control(
                "publish",
                hosts=",".join(address(i) for i in range(0, len(names), step)[: expected[run]]),
                n=1,
            )
        result = crawl(server, names, folder, workdir, run, workers, redis)
        result["expected_items"] = expected[run]
        figures[run] = result
        log(
            f"  {len(names)} sources, {'workers=' + str(workers) if workers else 'one process'}, {run}: "
            f"{result['wall_s']:.1f} s (last page at {result['to_last_page_s'] or 0:.1f} s), "
            f"{result['pages']} pages, {result['items']} items, peak RSS {result['peak_rss_mb']:.0f} MB"
        )
    ids: Counter[str] = Counter()
    for output in (workdir / "out").glob("releases.*.jsonl"):
        ids.update(_ids(output))
    total = sum(expected.values())
    figures["union"] = {
        "releases": total,
        "distinct_ids": len(ids),
        "ids_twice": sum(1 for c in ids.values() if c > 1),
        "exactly_once": len(ids) == total and all(c == 1 for c in ids.values()),
    }
    figures["checks_ok"] = figures["union"]["exactly_once"] and all(
        figures[r]["items"] == figures[r]["expected_items"]
        and figures[r]["pages_twice"] == 0
        and figures[r]["tracebacks"] == 0
        for r in RUNS
    )
    return figures


def _median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def run_many(
    sources: int,
    small: int,
    releases: int,
    workers: Sequence[int],
    repeats: int,
    log: Callable[[str], None],
    workdir: Path | None = None,
) -> dict[str, Any]:
    root = workdir or Path(tempfile.mkdtemp(prefix="pressbot-many-"))
    server = ManyServer(sources, releases)
    redis = RedisServer() if workers and redis_binary() else None
    results: dict[str, Any] = {"sources": sources, "small": small, "releases": releases, "repeats": []}
    try:
        folders = {}
        for count in sorted({small, sources}):
            folders[count] = root / f"profiles-{count}"
            write_profiles(folders[count], count, server.port)
        for repeat in range(repeats):
            log(f"many: round {repeat + 1} of {repeats}")
            one: dict[str, Any] = {}
            modes: list[tuple[str, int, int]] = [(f"solo-{small}", small, 0), (f"solo-{sources}", sources, 0)]
            if redis is not None:
                modes += [(f"workers{k}-{sources}", sources, k) for k in workers]
            if repeat % 2:
                modes.reverse()
            for key, count, k in modes:
                names = [source_name(i) for i in range(count)]
                one[key] = three_runs(
                    server, names, folders[count], root / f"r{repeat}" / key, releases, k, redis, log
                )
            results["repeats"].append(one)
    finally:
        server.stop()
        if redis is not None:
            redis.stop()
    results["summary"] = summarize_many(results, workers if redis is not None else [])
    results["workdir"] = str(root)
    return results


def summarize_many(results: dict[str, Any], workers: Sequence[int]) -> dict[str, Any]:
    small, sources = results["small"], results["sources"]
    keys = [f"solo-{small}", f"solo-{sources}", *(f"workers{k}-{sources}" for k in workers)]
    rows: dict[str, Any] = {}
    for key in keys:
        runs = [rep[key] for rep in results["repeats"] if key in rep]
        row: dict[str, Any] = {"checks_ok": all(r["checks_ok"] for r in runs)}
        for run in RUNS:
            for figure in ("wall_s", "to_last_page_s", "pages", "items", "peak_rss_mb", "cpu_s"):
                row[f"{run}.{figure}"] = _median([r[run][figure] for r in runs if r[run][figure] is not None])
        row["peak_rss_mb"] = _median([max(r[x]["peak_rss_mb"] for x in RUNS) for r in runs])
        rows[key] = row

    def ratio(per_repeat: Callable[[dict[str, Any]], float]) -> float:
        return _median([per_repeat(rep) for rep in results["repeats"]])

    solo = f"solo-{sources}"
    targets = [
        {
            "target": f"hourly run over {sources} unchanged press rooms < 20 s",
            "value": rows[solo]["hourly.wall_s"],
            "ok": rows[solo]["hourly.wall_s"] < 20,
        },
        {
            "target": f"peak RSS at {sources} sources <= 1.3x at {small}",
            "value": ratio(
                lambda rep: (
                    max(rep[solo][r]["peak_rss_mb"] for r in RUNS)
                    / max(rep[f"solo-{small}"][r]["peak_rss_mb"] for r in RUNS)
                )
            ),
        },
    ]
    targets[1]["ok"] = targets[1]["value"] <= 1.3
    # Speed of the same work: the first run's time to its last page (a worker's idle close
    # after the work is done is not work); the ratios are taken within each round.
    if 1 in workers:
        one = f"workers1-{sources}"
        targets.append(
            {
                "target": "one distributed worker >= 0.9x one ordinary process (first run)",
                "value": ratio(
                    lambda rep: rep[solo]["first"]["to_last_page_s"] / rep[one]["first"]["to_last_page_s"]
                ),
            }
        )
        targets[-1]["ok"] = targets[-1]["value"] >= 0.9
        if 2 in workers:
            two = f"workers2-{sources}"
            targets.append(
                {
                    "target": "two distributed workers >= 1.7x one worker (first run)",
                    "value": ratio(
                        lambda rep: rep[one]["first"]["to_last_page_s"] / rep[two]["first"]["to_last_page_s"]
                    ),
                }
            )
            targets[-1]["ok"] = targets[-1]["value"] >= 1.7
    targets.append(
        {
            "target": "every release exactly once, every case",
            "value": None,
            "ok": all(r["checks_ok"] for r in rows.values()),
        }
    )
    return {"rows": rows, "targets": targets}


def format_many(results: dict[str, Any]) -> str:
    summary = results["summary"]
    out = [
        f"pressbot, many sources: {results['sources']} (and {results['small']}) synthetic press rooms, "
        f"{results['releases']} releases each, one host each; medians of {len(results['repeats'])} round(s)",
        "",
        f"{'case':<18} {'run':<12} {'wall s':>8} {'last pg s':>9} {'pages':>7} {'items':>7} "
        f"{'RSS MB':>7} {'CPU s':>7}",
    ]
    for key, row in summary["rows"].items():
        for run in RUNS:
            out.append(
                f"{key:<18} {run:<12} {row[run + '.wall_s']:>8.1f} {row[run + '.to_last_page_s']:>9.1f} "
                f"{row[run + '.pages']:>7.0f} {row[run + '.items']:>7.0f} {row[run + '.peak_rss_mb']:>7.0f} "
                f"{row[run + '.cpu_s']:>7.1f}"
            )
        out.append(f"{'':<18} {'checks':<12} {'PASS' if row['checks_ok'] else 'FAIL'}")
    out += ["", "Targets"]
    for target in summary["targets"]:
        value = "" if target["value"] is None else f"{target['value']:.2f}"
        out.append(f"  [{'ok' if target['ok'] else 'MISSED'}] {target['target']}: {value}")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.many", description=__doc__.split("\n\n")[0])
    parser.add_argument("--sources", type=int, default=1000)
    parser.add_argument("--small", type=int, default=100, help="the smaller count, for peak RSS")
    parser.add_argument("--releases", type=int, default=40, help="releases a source (20 a listing page)")
    parser.add_argument("--workers", default="1,2,4", help="distributed worker counts ('' for none)")
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--workdir")
    parser.add_argument("--json", default=str(BENCH_DIR / "results" / "many.json"))
    args = parser.parse_args(argv)
    workers = [int(w) for w in args.workers.split(",") if w.strip()]
    if (
        not 1 <= args.small <= args.sources
        or args.sources > 250 * 255
        or args.releases < 1
        or args.repeats < 1
    ):
        parser.error("need 1 <= --small <= --sources <= 63750, --releases >= 1, --repeats >= 1")
    if any(w < 1 for w in workers):
        parser.error("--workers must be positive")
    results = run_many(
        args.sources,
        args.small,
        args.releases,
        workers,
        args.repeats,
        log=lambda m: print(m, file=sys.stderr, flush=True),
        workdir=Path(args.workdir).resolve() if args.workdir else None,
    )
    print(format_many(results))
    path = Path(args.json)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(f"\nFigures written to {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
