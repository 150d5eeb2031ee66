"""pressbot's benchmark: speed, memory and the cost of a scheduled run, beside plain Scrapy.

    python -m bench [--sizes 200,2000] [--repeats 3] [--json bench/results/latest.json]
    python -m bench --quick          # N = 20, 50 listing pages, one run each (a smoke run)
    python -m bench --no-distributed # without the distributed section (no redis-server)

What it does, all on 127.0.0.1 (see README.md, "Benchmark"):

* serves pressbot.synthetic.SyntheticSite (20 releases a listing page, ~46 KB a page) from
  bench/server.py in a process of its own, and checks the server is far faster than the crawls;
* at each N: a full ``scrapy crawl releases`` (pressbot) and a full crawl by a plain Scrapy
  spider with the same selectors writing JSON Lines with ``-O`` (bench/baseline.py), each a real
  process of its own, timed from spawn to exit, with the peak RSS of that process (wait4);
* right after pressbot's full crawl, an incremental run over the unchanged site, and Scrapy's
  own cost to start and fetch one page (the baseline stopped after one page) to compare with;
* 20 new releases published, then another incremental run: pages fetched, releases written;
* pressbot's listing parser alone over one page in a loop, beside ``lxml.html.fromstring`` on
  the same bytes (the floor) and the baseline's parsel extraction;
* distributed (bench/distributed.py): 1, 2 and 4 concurrent workers on a redis-server of its
  own, over the site with every release followed to its page: wall time, pages/s, items/s,
  each worker's share and peak RSS, every release exactly once in the union, and what Redis
  holds per release;
* the median, min and max of ``repeats`` runs of each, printed and written as JSON.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import http.client
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BENCH = Path(__file__).resolve().parent
PROFILE = ROOT / "fixtures" / "synthetic" / "synthetic.toml"
BASELINE = BENCH / "baseline.py"
PER_PAGE = 20
#: New releases published before the second incremental run.
PUBLISH = 20

#: Settings given to both crawls, identically, on the command line. pressbot's own defaults
#: (pressbot/settings.py) for concurrency and robots.txt; no throttling; nothing listening.
COMMON_SETTINGS = {
    "CONCURRENT_REQUESTS": "16",
    "CONCURRENT_REQUESTS_PER_DOMAIN": "8",
    "ROBOTSTXT_OBEY": "True",
    "AUTOTHROTTLE_ENABLED": "False",
    "REMOTE_CONTROL_ENABLED": "False",
    "TELNETCONSOLE_ENABLED": "False",
    "LOG_LEVEL": "INFO",
}

#: The targets of issue 5, checked against the figures (see ``targets``).
TARGET_SPEED_RATIO = 1.0
TARGET_RSS_GROWTH = 1.2
TARGET_INCREMENTAL_PAGES = 2
TARGET_INCREMENTAL_VS_ONE_PAGE = 1.5
TARGET_PARSER_VS_LXML = 0.5


# --- the server process ----------------------------------------------------------------------
class SiteServer:
    """bench/server.py in a process of its own, driven through its control endpoints."""

    def __init__(self, releases: int = PER_PAGE) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bench.server", "--releases", str(releases)], cwd=ROOT,
            stdout=subprocess.PIPE, stdin=subprocess.DEVNULL, env=_child_env(), text=True)
        line = self.proc.stdout.readline().strip()
        if not line.startswith("PORT "):
            self.stop()
            raise RuntimeError(f"benchmark server did not start (said {line!r})")
        self.port = int(line.split()[1])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def start_url(self) -> str:
        return f"{self.url}/synthetic/news/index.html"

    def control(self, action: str, **params: int) -> dict[str, Any]:
        query = "&".join(f"{k}={v}" for k, v in params.items())
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
        try:
            conn.request("GET", f"/__control/{action}" + (f"?{query}" if query else ""))
            resp = conn.getresponse()
            body = resp.read()
            if resp.status != 200:
                raise RuntimeError(f"control {action}: HTTP {resp.status}: {body!r}")
            return json.loads(body)
        finally:
            conn.close()

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


def check_server(server: SiteServer, pages: int, seconds: float = 3.0, clients: int = 4,
                 max_requests: int = 50_000, latency_requests: int = 300) -> dict[str, Any]:
    """The server's own speed on the listing pages: throughput with ``clients`` keep-alive
    threads for at most ``seconds`` (and ``max_requests``), then one client's round trip."""
    paths = [f"/synthetic/news/{'index.html' if n == 1 else f'page-{n}.html'}"
             for n in range(1, pages + 1)]
    before = server.control("stats")
    counts = [0] * clients
    errors: list[BaseException] = []
    deadline = time.perf_counter() + seconds
    per_client = max(1, max_requests // clients)

    def client(i: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
        try:
            while counts[i] < per_client and time.perf_counter() < deadline:
                conn.request("GET", paths[(i * 7919 + counts[i]) % len(paths)])
                resp = conn.getresponse()
                resp.read()
                if resp.status != 200:
                    raise RuntimeError(f"HTTP {resp.status}")
                counts[i] += 1
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            conn.close()

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - t0
    if errors:
        raise RuntimeError(f"server check failed: {errors[0]!r}")
    after = server.control("stats")
    done = sum(counts)

    rtts, page_bytes = [], 0
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    try:
        for k in range(latency_requests):
            t = time.perf_counter()
            conn.request("GET", paths[k % len(paths)])
            resp = conn.getresponse()
            body = resp.read()
            rtts.append(time.perf_counter() - t)
            page_bytes = len(body)
    finally:
        conn.close()
    server.control("reset")
    cpu = after["cpu_seconds"] - before["cpu_seconds"]
    return {
        "clients": clients, "requests": done, "seconds": round(elapsed, 3),
        "requests_per_s": done / elapsed,
        "server_cpu_ms_per_request": 1000 * cpu / done if done else None,
        "server_capacity_per_cpu_s": done / cpu if cpu > 0 else None,
        "latency_ms_median": 1000 * statistics.median(rtts),
        "latency_ms_p99": 1000 * sorted(rtts)[int(0.99 * (len(rtts) - 1))],
        "bytes_per_page": page_bytes,
    }


# --- crawl processes ---------------------------------------------------------------------------
@dataclass
class Proc:
    """One finished child process: exit status, wall time, and its own peak RSS."""

    returncode: int
    wall_s: float
    maxrss_mb: float
    cpu_s: float
    log: str


def run_process(cmd: Sequence[str], cwd: Path, log_path: Path, timeout: float,
                env: dict[str, str] | None = None) -> Proc:
    """Run ``cmd`` to completion; wall time from spawn to reap, and the peak RSS of exactly
    that process (``wait4``'s rusage: ru_maxrss, KiB on Linux, of that child alone)."""
    with open(log_path, "wb") as log:
        t0 = time.perf_counter()
        proc = subprocess.Popen(list(cmd), cwd=cwd, stdout=log, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, env=env or _child_env())
        timer = threading.Timer(timeout, proc.kill)
        timer.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            timer.cancel()
        wall = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
    return Proc(proc.returncode, wall, usage.ru_maxrss / 1024, usage.ru_utime + usage.ru_stime,
                log_path.read_text(encoding="utf-8", errors="replace"))


def _child_env() -> dict[str, str]:
    # No inherited SCRAPY_SETTINGS_MODULE/SCRAPY_PROJECT: each crawl picks its settings from
    # where it runs (pressbot: the project's scrapy.cfg; baseline: a folder without one).
    return {k: v for k, v in os.environ.items() if not k.startswith("SCRAPY_")}


def _settings_args(settings: dict[str, str]) -> list[str]:
    return [a for k, v in settings.items() for a in ("-s", f"{k}={v}")]


def scrapy_stat(log: str, name: str) -> float | None:
    """A value from Scrapy's closing stats dump in a crawl log."""
    m = re.search(rf"'{re.escape(name)}': ([0-9.]+)", log)
    return float(m.group(1)) if m else None


def count_lines(path: Path) -> int:
    if not path.exists():
        return 0
    with open(path, "rb") as f:
        return sum(1 for _ in f)


def pipelines_enabled(log: str) -> list[str] | None:
    """The item pipelines a crawl log says were enabled (None if the log does not say)."""
    m = re.search(r"Enabled item pipelines:\s*\n(\[.*?\])", log, re.S)
    if not m:
        return None
    return re.findall(r"'([^']+)'", m.group(1))


def run_baseline(server: SiteServer, workdir: Path, max_pages: int = 0,
                 timeout: float = 600) -> dict[str, Any]:
    """The plain Scrapy spider, run from ``workdir`` (no scrapy.cfg: pressbot's settings and
    pipelines are not loaded), writing JSON Lines with ``-O``."""
    workdir.mkdir(parents=True, exist_ok=True)
    from scrapy.utils.conf import closest_scrapy_cfg

    if closest_scrapy_cfg(workdir):
        raise RuntimeError(f"{workdir} is under a scrapy.cfg: the baseline would load a project")
    out = workdir / "out.jsonl"
    cmd = [sys.executable, "-m", "scrapy", "runspider", str(BASELINE),
           "-a", f"start_url={server.start_url}", "-O", str(out),
           *_settings_args(COMMON_SETTINGS)]
    if max_pages:
        cmd += ["-a", f"max_pages={max_pages}"]
    server.control("reset")
    proc = run_process(cmd, workdir, workdir / "crawl.log", timeout)
    hits = server.control("stats")
    pipelines = pipelines_enabled(proc.log)
    if proc.returncode != 0:
        raise RuntimeError(f"baseline crawl failed ({proc.returncode}):\n{proc.log[-3000:]}")
    bot = re.search(r"\(bot: ([^)]*)\)", proc.log)
    if pipelines != [] or bot is None or bot.group(1) != "scrapybot":
        raise RuntimeError(f"baseline crawl ran with pressbot's settings or pipelines "
                           f"({pipelines!r}); see {workdir / 'crawl.log'}")
    return _crawl_figures(proc, hits, count_lines(out), pipelines=pipelines, bot=bot.group(1))


def run_pressbot(server: SiteServer, workdir: Path, *args: str,
                 timeout: float = 600) -> dict[str, Any]:
    """A real ``scrapy crawl releases`` from the project folder, output and state in ``workdir``
    (kept between calls: the second call on the same folder is an incremental run)."""
    workdir.mkdir(parents=True, exist_ok=True)
    output, runs = workdir / "releases.jsonl", workdir / "runs"
    cmd = [sys.executable, "-m", "scrapy", "crawl", "releases", "-a", f"profile={PROFILE}",
           "-s", f"PRESSBOT_FIXTURES_URL={server.url}", "-s", f"PRESSBOT_OUTPUT={output}",
           "-s", f"PRESSBOT_STATE={workdir / 'state.sqlite3'}", "-s", f"PRESSBOT_RUNS_DIR={runs}",
           *_settings_args(COMMON_SETTINGS), *args]
    before = count_lines(output)
    server.control("reset")
    n = len(list(workdir.glob("crawl*.log")))
    proc = run_process(cmd, ROOT, workdir / f"crawl{n}.log", timeout)
    hits = server.control("stats")
    if proc.returncode != 0:
        raise RuntimeError(f"pressbot crawl exited {proc.returncode}:\n{proc.log[-3000:]}")
    pipelines = pipelines_enabled(proc.log) or []
    if not any(p.startswith("pressbot.") for p in pipelines):
        raise RuntimeError(f"pressbot crawl ran without pressbot's pipelines ({pipelines!r})")
    summary = json.loads((runs / "latest.json").read_text(encoding="utf-8"))
    source = summary["sources"]["synthetic"]
    figures = _crawl_figures(proc, hits, count_lines(output) - before)
    figures.update(summary_pages=source["pages"], written=summary["written"],
                   mode=source["mode"], stop_reason=source["stop_reason"],
                   pipelines=pipelines)
    return figures


def _crawl_figures(proc: Proc, hits: dict[str, Any], items: int, **extra: Any) -> dict[str, Any]:
    pages = hits["listing_pages"]
    elapsed = scrapy_stat(proc.log, "elapsed_time_seconds")
    return {
        "wall_s": proc.wall_s,
        "pages": pages,
        "items": items,
        "pages_per_s": pages / proc.wall_s,
        "items_per_s": items / proc.wall_s,
        "peak_rss_mb": proc.maxrss_mb,
        "cpu_s": proc.cpu_s,
        "crawl_elapsed_s": elapsed,
        "crawl_pages_per_s": pages / elapsed if elapsed else None,
        "requests": sum(hits["hits"].values()),
        **extra,
    }


# --- parse throughput ------------------------------------------------------------------------
def parse_throughput(seconds: float = 1.0, rounds: int = 3) -> dict[str, Any]:
    """Entries/s of pressbot's listing parser (parsel page from bytes + parse_listing, as the
    spider does), of the baseline's parsel extraction, and of bare ``lxml.html.fromstring`` on
    the same bytes (entries/s equivalent: 20 per parse), over one synthetic page in a loop."""
    import lxml.html
    from parsel import Selector

    from bench.baseline import extract_entries
    from pressbot.parsing import page_from_bytes, parse_listing
    from pressbot.profiles import load_profile
    from pressbot.synthetic import SyntheticSite

    base = "http://127.0.0.1:8000"
    site = SyntheticSite(100 * PER_PAGE)
    body = site.listing(2)
    url = f"{base}/synthetic/news/page-2.html"
    profile = load_profile(str(PROFILE), base)
    ids = profile.uses_xpath_id  # False here: as the spider does, no table of id attributes
    entries = len(parse_listing(page_from_bytes(body, url, ids=ids), url, profile).entries)
    baseline_entries = len(list(extract_entries(Selector(body=body, type="html"), str)))
    if entries != PER_PAGE or baseline_entries != PER_PAGE:
        raise RuntimeError(f"parsers found {entries} / {baseline_entries} entries, not {PER_PAGE}")

    def pressbot_parse() -> None:
        parse_listing(page_from_bytes(body, url, ids=ids), url, profile)

    def lxml_floor() -> None:
        lxml.html.fromstring(body)

    def baseline_parse() -> None:
        for _ in extract_entries(Selector(body=body, base_url=url, type="html"),
                                 lambda h: h):
            pass

    runs: dict[str, list[float]] = {"pressbot": [], "lxml": [], "baseline_parsel": []}
    funcs: dict[str, Callable[[], None]] = {"pressbot": pressbot_parse, "lxml": lxml_floor,
                                            "baseline_parsel": baseline_parse}
    for fn in funcs.values():
        fn()  # warm caches (compiled XPath, imports)
    for _ in range(rounds):
        for name, fn in funcs.items():
            runs[name].append(PER_PAGE / _time_per_call(fn, seconds))
    ratios = [p / x for p, x in zip(runs["pressbot"], runs["lxml"], strict=True)]
    return {
        "page_bytes": len(body), "entries_per_page": PER_PAGE, "seconds_per_round": seconds,
        "pressbot_entries_per_s": summarize(runs["pressbot"]),
        "lxml_entries_per_s": summarize(runs["lxml"]),
        "baseline_parsel_entries_per_s": summarize(runs["baseline_parsel"]),
        "ratio_pressbot_lxml": summarize(ratios),
    }


def _time_per_call(fn: Callable[[], None], seconds: float) -> float:
    calls, t0 = 0, time.perf_counter()
    deadline = t0 + seconds
    while True:
        fn()
        calls += 1
        now = time.perf_counter()
        if now >= deadline:
            return (now - t0) / calls


# --- the benchmark ---------------------------------------------------------------------------
def summarize(values: Iterable[float | None]) -> dict[str, Any]:
    vals = [v for v in values if v is not None]
    if not vals:
        return {"median": None, "min": None, "max": None, "runs": []}
    return {"median": statistics.median(vals), "min": min(vals), "max": max(vals), "runs": vals}


def _summarize_runs(runs: list[dict[str, Any]], keys: Iterable[str]) -> dict[str, Any]:
    return {k: summarize(r.get(k) for r in runs) for k in keys}


_CRAWL_KEYS = ("wall_s", "pages", "items", "pages_per_s", "items_per_s", "peak_rss_mb",
               "cpu_s", "crawl_elapsed_s", "crawl_pages_per_s")
_INCR_KEYS = ("wall_s", "pages", "summary_pages", "written", "items", "peak_rss_mb", "cpu_s")


def bench_size(server: SiteServer, n: int, repeats: int, workroot: Path,
               log: Callable[[str], None] = print) -> dict[str, Any]:
    """Every crawl measurement at N = ``n`` listing pages, ``repeats`` times."""
    releases = n * PER_PAGE
    timeout = 120 + 0.5 * n
    runs: dict[str, list[dict[str, Any]]] = {
        "baseline": [], "pressbot": [], "incremental": [], "one_page": [], "after_publish": []}
    for r in range(repeats):
        server.site(releases)
        order = ("baseline", "pressbot") if r % 2 == 0 else ("pressbot", "baseline")
        state = workroot / f"pressbot-{n}-{r}"
        for who in order:
            if who == "baseline":
                res = run_baseline(server, workroot / f"baseline-{n}-{r}", timeout=timeout)
            else:
                res = run_pressbot(server, state, timeout=timeout)
            _expect(res["items"] == releases, f"{who} wrote {res['items']} items, not {releases}")
            _expect(res["pages"] == n, f"{who} fetched {res['pages']} listing pages, not {n}")
            runs[who].append(res)
            log(f"  N={n} run {r + 1}/{repeats}: {who:8} full crawl {res['wall_s']:7.2f} s, "
                f"{res['pages_per_s']:7.1f} pages/s, {res['items']} items, "
                f"peak RSS {res['peak_rss_mb']:.0f} MB")
        inc = run_pressbot(server, state, timeout=timeout)
        _expect(inc["written"] == 0, f"incremental run over an unchanged site wrote "
                                     f"{inc['written']} releases")
        runs["incremental"].append(inc)
        one = run_baseline(server, workroot / f"one-page-{n}-{r}", max_pages=1, timeout=timeout)
        _expect(one["pages"] == 1 and one["items"] == PER_PAGE,
                f"one-page baseline fetched {one['pages']} pages, {one['items']} items")
        runs["one_page"].append(one)
        server.control("publish", n=PUBLISH)
        pub = run_pressbot(server, state, timeout=timeout)
        _expect(pub["written"] == PUBLISH, f"after publishing {PUBLISH} releases the incremental "
                                           f"run wrote {pub['written']}")
        runs["after_publish"].append(pub)
        log(f"  N={n} run {r + 1}/{repeats}: incremental {inc['wall_s']:.2f} s, "
            f"{inc['pages']} page(s); one-page Scrapy start {one['wall_s']:.2f} s; "
            f"after +{PUBLISH}: {pub['pages']} page(s), {pub['written']} written, "
            f"{pub['wall_s']:.2f} s")
        if workroot.exists():  # the big outputs are not needed any more
            for d in (state, workroot / f"baseline-{n}-{r}"):
                for f in d.glob("*.jsonl"):
                    f.unlink()

    pairs = list(zip(runs["pressbot"], runs["baseline"], strict=True))
    return {
        "listing_pages": n, "releases": releases, "repeats": repeats,
        "baseline": _summarize_runs(runs["baseline"], _CRAWL_KEYS),
        "pressbot": _summarize_runs(runs["pressbot"], _CRAWL_KEYS),
        "ratio_pages_per_s": summarize(p["pages_per_s"] / b["pages_per_s"] for p, b in pairs),
        "ratio_crawl_pages_per_s": summarize(
            p["crawl_pages_per_s"] / b["crawl_pages_per_s"] for p, b in pairs
            if p["crawl_pages_per_s"] and b["crawl_pages_per_s"]),
        "ratio_peak_rss": summarize(p["peak_rss_mb"] / b["peak_rss_mb"] for p, b in pairs),
        "ratio_cpu_s": summarize(p["cpu_s"] / b["cpu_s"] for p, b in pairs),
        "incremental_unchanged": _summarize_runs(runs["incremental"], _INCR_KEYS),
        "one_page_scrapy": _summarize_runs(runs["one_page"], ("wall_s", "pages", "items",
                                                              "peak_rss_mb")),
        "ratio_incremental_one_page": summarize(
            i["wall_s"] / o["wall_s"] for i, o in zip(runs["incremental"], runs["one_page"],
                                                      strict=True)),
        "incremental_after_publish": _summarize_runs(runs["after_publish"], _INCR_KEYS),
        "published": PUBLISH,
    }


def _expect(ok: bool, message: str) -> None:
    if not ok:
        raise RuntimeError(message)


def warm_up(server: SiteServer, workroot: Path) -> None:
    """One throwaway run of each crawl, so the first timed one does not pay for a cold cache."""
    server.site(2 * PER_PAGE)
    run_baseline(server, workroot / "warm-baseline", max_pages=1)
    run_pressbot(server, workroot / "warm-pressbot")


def run_benchmark(sizes: Sequence[int] = (200, 2000), repeats: int = 3,
                  server_seconds: float = 3.0, parse_seconds: float = 1.0,
                  workdir: Path | None = None,
                  log: Callable[[str], None] = print,
                  distributed: int | None = 100,
                  distributed_workers: Sequence[int] = (1, 2, 4),
                  redis_fill: int = 1_000_000) -> dict[str, Any]:
    """Run everything; return the figures (see README.md, "Benchmark", for the fields).
    ``distributed``: N of the distributed section (listing pages), None to leave it out."""
    started = time.perf_counter()
    started_at = dt.datetime.now(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    own_dir = workdir is None
    workroot = Path(tempfile.mkdtemp(prefix="pressbot-bench-")) if own_dir else workdir
    workroot.mkdir(parents=True, exist_ok=True)
    results: dict[str, Any] = {"started_at": started_at, "machine": machine(),
                               "settings": dict(COMMON_SETTINGS), "per_page": PER_PAGE,
                               "sizes": {}}
    try:
        with SiteServer() as server:
            biggest = max(sizes)
            server.site(biggest * PER_PAGE)
            log(f"server: bench/server.py (pid {server.control('stats')['pid']}) at {server.url}")
            results["server"] = check_server(server, biggest, seconds=server_seconds)
            s = results["server"]
            log(f"server: {s['requests_per_s']:.0f} listing pages/s with {s['clients']} "
                f"keep-alive clients, {s['latency_ms_median']:.2f} ms median round trip, "
                f"{s['server_cpu_ms_per_request']:.3f} ms server CPU a page")
            warm_up(server, workroot)
            for n in sizes:
                log(f"N = {n} listing pages ({n * PER_PAGE} releases), {repeats} run(s) each")
                results["sizes"][str(n)] = bench_size(server, n, repeats, workroot, log=log)
            if distributed:
                from bench.distributed import bench_distributed

                results["distributed"] = bench_distributed(
                    server, distributed, repeats, workroot, workers=distributed_workers,
                    fill=redis_fill, log=log)
            else:
                results["distributed"] = {"skipped": "left out (--no-distributed)"}
        log("parser throughput")
        results["parse"] = parse_throughput(parse_seconds, rounds=max(5, repeats))
    finally:
        if own_dir:
            shutil.rmtree(workroot, ignore_errors=True)
    fastest = max((results["sizes"][k][who]["pages_per_s"]["max"]
                   for k in results["sizes"] for who in ("baseline", "pressbot")), default=0)
    s = results["server"]
    s["fastest_crawl_pages_per_s"] = fastest
    s["times_fastest_crawl"] = s["requests_per_s"] / fastest if fastest else None
    results["targets"] = targets(results)
    results["duration_s"] = time.perf_counter() - started
    results["machine"]["load_average_end"] = list(os.getloadavg())
    return results


def machine() -> dict[str, Any]:
    import lxml.etree
    import parsel
    import scrapy
    import twisted

    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = None
    with contextlib.suppress(OSError, ValueError, IndexError):
        mem = int(Path("/proc/meminfo").read_text().split()[1]) // 1024
    return {
        "load_average_start": list(os.getloadavg()),
        "platform": platform.platform(), "cpu": cpu, "cpus": os.cpu_count(), "memory_mb": mem,
        "python": platform.python_version(), "scrapy": scrapy.__version__,
        "twisted": twisted.__version__, "parsel": parsel.__version__,
        "lxml": ".".join(map(str, lxml.etree.LXML_VERSION)),
    }


# --- targets and the table -------------------------------------------------------------------
def targets(results: dict[str, Any]) -> list[dict[str, Any]]:
    """Issue 5's targets, each with the measured value and whether it holds."""
    out = []
    sizes = results["sizes"]
    for n, fig in sizes.items():
        v = fig["ratio_pages_per_s"]["median"]
        out.append({"target": f"N={n}: pressbot pages/s >= {TARGET_SPEED_RATIO}x baseline",
                    "value": v, "limit": TARGET_SPEED_RATIO,
                    "holds": v is not None and v >= TARGET_SPEED_RATIO})
    if len(sizes) >= 2:
        lo, hi = min(sizes, key=int), max(sizes, key=int)
        a = sizes[lo]["pressbot"]["peak_rss_mb"]["median"]
        b = sizes[hi]["pressbot"]["peak_rss_mb"]["median"]
        out.append({"target": f"pressbot peak RSS at N={hi} <= {TARGET_RSS_GROWTH}x N={lo}",
                    "value": b / a, "limit": TARGET_RSS_GROWTH,
                    "holds": b / a <= TARGET_RSS_GROWTH})
    for n, fig in sizes.items():
        pages = max(fig["incremental_unchanged"]["pages"]["max"],
                    fig["incremental_unchanged"]["summary_pages"]["max"])
        out.append({"target": f"N={n}: incremental run (unchanged site) fetches <= "
                              f"{TARGET_INCREMENTAL_PAGES} listing pages",
                    "value": pages, "limit": TARGET_INCREMENTAL_PAGES,
                    "holds": pages <= TARGET_INCREMENTAL_PAGES})
        ratio = fig["ratio_incremental_one_page"]["median"]
        out.append({"target": f"N={n}: incremental run <= {TARGET_INCREMENTAL_VS_ONE_PAGE}x "
                              f"Scrapy start + one page",
                    "value": ratio, "limit": TARGET_INCREMENTAL_VS_ONE_PAGE,
                    "holds": ratio <= TARGET_INCREMENTAL_VS_ONE_PAGE})
        pages = fig["incremental_after_publish"]["pages"]["max"]
        out.append({"target": f"N={n}: incremental run after +{PUBLISH} releases fetches <= "
                              f"{TARGET_INCREMENTAL_PAGES} listing pages",
                    "value": pages, "limit": TARGET_INCREMENTAL_PAGES,
                    "holds": pages <= TARGET_INCREMENTAL_PAGES})
    if "parse" in results:
        v = results["parse"]["ratio_pressbot_lxml"]["median"]
        out.append({"target": f"parser >= {TARGET_PARSER_VS_LXML:.0%} of lxml.html.fromstring",
                    "value": v, "limit": TARGET_PARSER_VS_LXML,
                    "holds": v >= TARGET_PARSER_VS_LXML})
    return out


def _fmt(v: Any, digits: int = 2) -> str:
    if v is None:
        return "-"
    if isinstance(v, float) and v.is_integer() and digits == 0:
        return f"{int(v)}"
    if isinstance(v, int):
        return str(v)
    return f"{v:,.{digits}f}"


def format_table(results: dict[str, Any]) -> str:
    """The figures as a plain-text table: median (min..max) of the runs."""
    rows: list[tuple[str, str, str, str, str]] = []

    def row(label: str, stat: dict[str, Any] | None, unit: str = "", digits: int = 2) -> None:
        if stat is None:
            return
        rows.append((label, _fmt(stat["median"], digits), _fmt(stat["min"], digits),
                     _fmt(stat["max"], digits), unit))

    for n, fig in results["sizes"].items():
        rows.append((f"N = {n} listing pages, {fig['releases']} releases "
                     f"({fig['repeats']} runs)", "median", "min", "max", ""))
        for who in ("baseline", "pressbot"):
            f = fig[who]
            row(f"  {who}: full crawl wall time", f["wall_s"], "s")
            row(f"  {who}: pages/s (wall)", f["pages_per_s"], "pages/s", 1)
            row(f"  {who}: items/s (wall)", f["items_per_s"], "items/s", 0)
            row(f"  {who}: pages/s (Scrapy elapsed, no start-up)", f["crawl_pages_per_s"],
                "pages/s", 1)
            row(f"  {who}: peak RSS", f["peak_rss_mb"], "MB", 1)
            row(f"  {who}: CPU time (user+sys)", f["cpu_s"], "s")
            row(f"  {who}: items written", f["items"], "", 0)
        row("  ratio pressbot/baseline: pages/s (wall)", fig["ratio_pages_per_s"], "x", 3)
        row("  ratio pressbot/baseline: pages/s (elapsed)", fig["ratio_crawl_pages_per_s"], "x", 3)
        row("  ratio pressbot/baseline: peak RSS", fig["ratio_peak_rss"], "x", 3)
        row("  ratio pressbot/baseline: CPU time", fig["ratio_cpu_s"], "x", 3)
        inc = fig["incremental_unchanged"]
        row("  incremental, unchanged site: listing pages (server)", inc["pages"], "", 0)
        row("  incremental, unchanged site: pages (runs/latest.json)", inc["summary_pages"], "",
            0)
        row("  incremental, unchanged site: wall time", inc["wall_s"], "s")
        row("  Scrapy start + fetch one page (baseline): wall time",
            fig["one_page_scrapy"]["wall_s"], "s")
        row("  ratio incremental / one-page start", fig["ratio_incremental_one_page"], "x", 3)
        pub = fig["incremental_after_publish"]
        row(f"  incremental after +{fig['published']} releases: listing pages", pub["pages"], "",
            0)
        row(f"  incremental after +{fig['published']} releases: written", pub["written"], "", 0)
        row(f"  incremental after +{fig['published']} releases: wall time", pub["wall_s"], "s")
    dist = results.get("distributed")
    if dist and "workers" in dist:
        from bench.distributed import table_rows

        table_rows(dist, row, lambda label: rows.append((label, "median", "min", "max", "")))
    if "parse" in results:
        p = results["parse"]
        rows.append((f"Parser, one {p['page_bytes'] // 1024} KB page, {p['entries_per_page']} "
                     f"entries, in a loop", "median", "min", "max", ""))
        row("  pressbot page_from_bytes + parse_listing", p["pressbot_entries_per_s"],
            "entries/s", 0)
        row("  baseline parsel css extraction", p["baseline_parsel_entries_per_s"], "entries/s",
            0)
        row("  lxml.html.fromstring alone (floor)", p["lxml_entries_per_s"], "entries/s", 0)
        row("  ratio pressbot/lxml", p["ratio_pressbot_lxml"], "x", 3)
    widths = [max(len(r[i]) for r in rows) for i in range(5)]
    lines = []
    for r in rows:
        if not r[0].startswith("  "):
            lines.append("")
        lines.append(f"{r[0]:<{widths[0]}}  {r[1]:>{widths[1]}}  {r[2]:>{widths[2]}}  "
                     f"{r[3]:>{widths[3]}}  {r[4]}".rstrip())
    s = results.get("server")
    if s:
        lines += ["", f"Server (bench/server.py, own process): {s['requests_per_s']:,.0f} listing "
                      f"pages/s with {s['clients']} keep-alive clients = "
                      f"{_fmt(s.get('times_fastest_crawl'), 1)}x the fastest crawl; "
                      f"{s['latency_ms_median']:.2f} ms median round trip; "
                      f"{s['server_cpu_ms_per_request']:.3f} ms server CPU a page"]
    if dist:
        from bench.distributed import text_lines

        lines += ["", *text_lines(dist)]
    if results.get("targets"):
        lines += ["", "Targets (issue 5)"]
        for t in results["targets"]:
            lines.append(f"  [{'ok' if t['holds'] else 'MISSED'}] {t['target']}: "
                         f"{_fmt(t['value'], 3)}")
    m = results["machine"]
    lines += ["", f"Machine: {m['cpus']} CPUs ({m['cpu']}), {m['memory_mb']} MB, {m['platform']}; "
                  f"Python {m['python']}, Scrapy {m['scrapy']}, Twisted {m['twisted']}, "
                  f"parsel {m['parsel']}, lxml {m['lxml']}"]
    if "load_average_end" in m:
        lines.append(f"Load average (1, 5, 15 min) at start "
                     f"{', '.join(f'{x:.2f}' for x in m['load_average_start'])}, at end "
                     f"{', '.join(f'{x:.2f}' for x in m['load_average_end'])}")
    if "duration_s" in results:
        lines.append(f"Benchmark took {results['duration_s']:.0f} s")
    return "\n".join(lines).lstrip("\n")
