"""The crawl measurement at one N: full crawls by pressbot and the baseline, incremental runs.

pressbot's incremental runs (over the unchanged site, then after new releases) are compared
with Scrapy's own cost to start and fetch one page (the baseline stopped after one page).
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.processes import (
    FinishedProcess,
    count_lines,
    pipelines_enabled,
    pressbot_command,
    run_process,
    scrapy_stat,
    settings_args,
)
from bench.server_client import SiteServer
from bench.settings import (
    BASELINE_SPIDER,
    COMMON_SETTINGS,
    PROJECT_DIR,
    RELEASES_PER_PAGE,
    SYNTHETIC_PROFILE,
)
from bench.stats import summarize, summarize_runs

#: New releases published before the second incremental run.
NEW_RELEASES = 20

_FULL_CRAWL_FIGURES = (
    "wall_s",
    "pages",
    "items",
    "pages_per_s",
    "items_per_s",
    "peak_rss_mb",
    "cpu_s",
    "crawl_elapsed_s",
    "crawl_pages_per_s",
)
_INCREMENTAL_FIGURES = ("wall_s", "pages", "summary_pages", "written", "items", "peak_rss_mb", "cpu_s")


def run_baseline(
    server: SiteServer, workdir: Path, max_pages: int = 0, timeout: float = 600
) -> dict[str, Any]:
    """The plain Scrapy spider, run from ``workdir`` (no scrapy.cfg: pressbot's settings and
    pipelines are not loaded), writing JSON Lines with ``-O``."""
    workdir.mkdir(parents=True, exist_ok=True)
    from scrapy.utils.conf import closest_scrapy_cfg

    if closest_scrapy_cfg(workdir):
        raise RuntimeError(f"{workdir} is under a scrapy.cfg: the baseline would load a project")
    output = workdir / "out.jsonl"
    cmd = [
        sys.executable,
        "-m",
        "scrapy",
        "runspider",
        str(BASELINE_SPIDER),
        "-a",
        f"start_url={server.start_url}",
        "-O",
        str(output),
        *settings_args(COMMON_SETTINGS),
    ]
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
        raise RuntimeError(
            f"baseline crawl ran with pressbot's settings or pipelines "
            f"({pipelines!r}); see {workdir / 'crawl.log'}"
        )
    return crawl_figures(proc, hits, count_lines(output), pipelines=pipelines, bot=bot.group(1))


def run_pressbot(server: SiteServer, workdir: Path, *args: str, timeout: float = 600) -> dict[str, Any]:
    """A real ``scrapy crawl releases`` from the project folder, output and state in ``workdir``
    (kept between calls: the second call on the same folder is an incremental run)."""
    workdir.mkdir(parents=True, exist_ok=True)
    output, runs_dir = workdir / "releases.jsonl", workdir / "runs"
    settings = {
        "PRESSBOT_OUTPUT": output,
        "PRESSBOT_STATE": workdir / "state.sqlite3",
        "PRESSBOT_RUNS_DIR": runs_dir,
        **COMMON_SETTINGS,
    }
    cmd = [*pressbot_command(SYNTHETIC_PROFILE, server.url, settings), *args]
    lines_before = count_lines(output)
    server.control("reset")
    earlier_runs = len(list(workdir.glob("crawl*.log")))
    proc = run_process(cmd, PROJECT_DIR, workdir / f"crawl{earlier_runs}.log", timeout)
    hits = server.control("stats")
    if proc.returncode != 0:
        raise RuntimeError(f"pressbot crawl exited {proc.returncode}:\n{proc.log[-3000:]}")
    pipelines = pipelines_enabled(proc.log) or []
    if not any(pipeline.startswith("pressbot.") for pipeline in pipelines):
        raise RuntimeError(f"pressbot crawl ran without pressbot's pipelines ({pipelines!r})")
    summary = json.loads((runs_dir / "latest.json").read_text(encoding="utf-8"))
    source = summary["sources"]["synthetic"]
    figures = crawl_figures(proc, hits, count_lines(output) - lines_before)
    figures.update(
        summary_pages=source["pages"],
        written=summary["written"],
        mode=source["mode"],
        stop_reason=source["stop_reason"],
        pipelines=pipelines,
    )
    return figures


def crawl_figures(proc: FinishedProcess, hits: dict[str, Any], items: int, **extra: Any) -> dict[str, Any]:
    """One crawl's figures from its process, the server's hit counts and the items it wrote."""
    pages = hits["listing_pages"]
    elapsed = scrapy_stat(proc.log, "elapsed_time_seconds")
    return {
        "wall_s": proc.wall_s,
        "pages": pages,
        "items": items,
        "pages_per_s": pages / proc.wall_s,
        "items_per_s": items / proc.wall_s,
        "peak_rss_mb": proc.peak_rss_mb,
        "cpu_s": proc.cpu_s,
        "crawl_elapsed_s": elapsed,
        "crawl_pages_per_s": pages / elapsed if elapsed else None,
        "requests": sum(hits["hits"].values()),
        **extra,
    }


def _expect(ok: bool, message: str) -> None:
    if not ok:
        raise RuntimeError(message)


def warm_up(server: SiteServer, workroot: Path) -> None:
    """One throwaway run of each crawl, so the first timed one does not pay for a cold cache."""
    server.site(2 * RELEASES_PER_PAGE)
    run_baseline(server, workroot / "warm-baseline", max_pages=1)
    run_pressbot(server, workroot / "warm-pressbot")


def bench_size(
    server: SiteServer, listing_pages: int, repeats: int, workroot: Path, log: Callable[[str], None] = print
) -> dict[str, Any]:
    """Every crawl measurement at N = ``listing_pages``, ``repeats`` times."""
    releases = listing_pages * RELEASES_PER_PAGE
    timeout = 120 + 0.5 * listing_pages
    runs: dict[str, list[dict[str, Any]]] = {
        "baseline": [],
        "pressbot": [],
        "incremental": [],
        "one_page": [],
        "after_publish": [],
    }
    for repeat in range(repeats):
        server.site(releases)
        order = ("baseline", "pressbot") if repeat % 2 == 0 else ("pressbot", "baseline")
        run_name = f"{listing_pages}-{repeat}"
        state = workroot / f"pressbot-{run_name}"
        progress = f"  N={listing_pages} run {repeat + 1}/{repeats}:"
        for who in order:
            if who == "baseline":
                full = run_baseline(server, workroot / f"baseline-{run_name}", timeout=timeout)
            else:
                full = run_pressbot(server, state, timeout=timeout)
            _expect(full["items"] == releases, f"{who} wrote {full['items']} items, not {releases}")
            _expect(
                full["pages"] == listing_pages,
                f"{who} fetched {full['pages']} listing pages, not {listing_pages}",
            )
            runs[who].append(full)
            log(
                f"{progress} {who:8} full crawl {full['wall_s']:7.2f} s, "
                f"{full['pages_per_s']:7.1f} pages/s, {full['items']} items, "
                f"peak RSS {full['peak_rss_mb']:.0f} MB"
            )
        unchanged = run_pressbot(server, state, timeout=timeout)
        _expect(
            unchanged["written"] == 0,
            f"incremental run over an unchanged site wrote {unchanged['written']} releases",
        )
        runs["incremental"].append(unchanged)
        one_page = run_baseline(server, workroot / f"one-page-{run_name}", max_pages=1, timeout=timeout)
        _expect(
            one_page["pages"] == 1 and one_page["items"] == RELEASES_PER_PAGE,
            f"one-page baseline fetched {one_page['pages']} pages, {one_page['items']} items",
        )
        runs["one_page"].append(one_page)
        server.control("publish", n=NEW_RELEASES)
        after_publish = run_pressbot(server, state, timeout=timeout)
        _expect(
            after_publish["written"] == NEW_RELEASES,
            f"after publishing {NEW_RELEASES} releases the incremental run wrote {after_publish['written']}",
        )
        runs["after_publish"].append(after_publish)
        log(
            f"{progress} incremental {unchanged['wall_s']:.2f} s, "
            f"{unchanged['pages']} page(s); one-page Scrapy start {one_page['wall_s']:.2f} s; "
            f"after +{NEW_RELEASES}: {after_publish['pages']} page(s), "
            f"{after_publish['written']} written, {after_publish['wall_s']:.2f} s"
        )
        if workroot.exists():  # the big outputs are not needed any more
            for folder in (state, workroot / f"baseline-{run_name}"):
                for output in folder.glob("*.jsonl"):
                    output.unlink()

    pairs = list(zip(runs["pressbot"], runs["baseline"], strict=True))
    return {
        "listing_pages": listing_pages,
        "releases": releases,
        "repeats": repeats,
        "baseline": summarize_runs(runs["baseline"], _FULL_CRAWL_FIGURES),
        "pressbot": summarize_runs(runs["pressbot"], _FULL_CRAWL_FIGURES),
        "ratio_pages_per_s": summarize(
            pressbot["pages_per_s"] / baseline["pages_per_s"] for pressbot, baseline in pairs
        ),
        "ratio_crawl_pages_per_s": summarize(
            pressbot["crawl_pages_per_s"] / baseline["crawl_pages_per_s"]
            for pressbot, baseline in pairs
            if pressbot["crawl_pages_per_s"] and baseline["crawl_pages_per_s"]
        ),
        "ratio_peak_rss": summarize(
            pressbot["peak_rss_mb"] / baseline["peak_rss_mb"] for pressbot, baseline in pairs
        ),
        "ratio_cpu_s": summarize(pressbot["cpu_s"] / baseline["cpu_s"] for pressbot, baseline in pairs),
        "incremental_unchanged": summarize_runs(runs["incremental"], _INCREMENTAL_FIGURES),
        "one_page_scrapy": summarize_runs(runs["one_page"], ("wall_s", "pages", "items", "peak_rss_mb")),
        "ratio_incremental_one_page": summarize(
            incremental["wall_s"] / one_page["wall_s"]
            for incremental, one_page in zip(runs["incremental"], runs["one_page"], strict=True)
        ),
        "incremental_after_publish": summarize_runs(runs["after_publish"], _INCREMENTAL_FIGURES),
        "published": NEW_RELEASES,
    }
