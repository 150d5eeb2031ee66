"""The run summary: a JSON file per run (and latest.json) saying what each source did."""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import json
import logging
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from scrapy import signals
from scrapy.exceptions import NotConfigured

from pressbot import outcome
from pressbot.run import Run

logger = logging.getLogger(__name__)

_COUNTERS = (
    "pages",
    "detail_pages",
    "entries",
    "new",
    "revised",
    "duplicates",
    "date_problems",
    "dates_out_of_order",
    "failed_pages",
    "detail_errors",
    "incomplete_walks",
    "entry_problems",
    "traps",
)


def build_summary(stats: Mapping[str, Any], run: Run, reason: str) -> dict[str, Any]:
    """The summary of one run, from its stats and the run's walks and reports."""
    code = outcome.exit_code({**stats, "finish_reason": reason})
    # What the next run will find: a walk that ended completely in a clean, finished run.
    complete = run.finished_walks(reason)
    sources = {}
    for name, walk in run.walks.items():
        report = run.reports[name]
        prefix = f"pressbot/source/{name}/"
        entry: dict[str, Any] = {k: stats.get(prefix + k, 0) for k in _COUNTERS}
        entry["dropped"] = {
            k[len(prefix + "dropped/") :]: v for k, v in stats.items() if k.startswith(prefix + "dropped/")
        }
        entry["mode"] = walk.mode
        entry["stop_reason"] = walk.stop.label if walk.stop is not None else None
        entry["walk_complete"] = name in complete
        entry["errors"] = list(report.errors)
        entry["drift"] = list(report.drift)
        entry["problems"] = list(report.problems)
        entry["gone"] = list(report.gone)
        entry["traps"] = list(report.traps)
        sources[name] = entry
    return {
        "started_at": _iso(stats.get("start_time")),
        "finished_at": _iso(dt.datetime.now(dt.UTC)),
        "finish_reason": reason,
        "exit_code": code,
        "exit_meaning": outcome.DESCRIPTIONS.get(code, "unknown"),
        "written": stats.get("pressbot/written", 0),
        "output": str(run.ledger.output),
        "repaired": list(run.ledger.repaired),
        "sources": sources,
    }


def start_failure_summary(
    started: dt.datetime, code: int, error: str, output: str | None = None
) -> dict[str, Any]:
    """The summary of a run that stopped before its crawl began (a bad setting, the lock held):
    no sources walked, nothing written, and the error."""
    return {
        "started_at": _iso(started),
        "finished_at": _iso(dt.datetime.now(dt.UTC)),
        "finish_reason": "not started",
        "exit_code": code,
        "exit_meaning": outcome.DESCRIPTIONS.get(code, "unknown"),
        "error": error,
        "written": 0,
        "output": output,
        "repaired": [],
        "sources": {},
    }


#: The run summaries this process wrote, the newest last (pressbot.api returns its run's).
WRITTEN: list[Path] = []


def write_summary(summary: Mapping[str, Any], runs_dir: str | os.PathLike) -> Path:
    """Write <runs_dir>/<timestamp>.json, and make it latest.json unless latest.json is of a
    run that started later (two runs racing: the one that started last is the latest)."""
    folder = Path(runs_dir)
    folder.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S.%fZ")
    text = json.dumps(summary, ensure_ascii=False, indent=2) + "\n"
    path = folder / f"{stamp}.json"
    path.write_text(text, encoding="utf-8")
    WRITTEN.append(path)
    latest = folder / "latest.json"
    # One writer at a time compares and replaces (the lock file is the folder's own).
    fd = os.open(folder / ".latest.lock", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        if (summary.get("started_at") or "") >= (_started_at(latest) or ""):
            tmp = folder / f".latest.{os.getpid()}.tmp"
            tmp.write_text(text, encoding="utf-8")
            os.replace(tmp, latest)
    finally:
        os.close(fd)
    return path


def _started_at(path: Path) -> str | None:
    try:
        value = json.loads(path.read_text(encoding="utf-8")).get("started_at")
    except (OSError, ValueError, AttributeError):
        return None  # none yet, or not ours to keep
    return value if isinstance(value, str) else None


class RunSummary:
    """Extension: at the end of every pressbot run, write the run summary."""

    def __init__(self, run: Run, stats, runs_dir: str | os.PathLike) -> None:
        self.run = run
        self.stats = stats
        self.runs_dir = runs_dir

    @classmethod
    def from_crawler(cls, crawler):
        run = Run.of(crawler)
        if run is None:
            raise NotConfigured  # not a pressbot run (no message: Scrapy warns of every one)
        ext = cls(run, crawler.stats, crawler.settings.get("PRESSBOT_RUNS_DIR"))
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    def spider_closed(self, spider, reason: str) -> Path | None:
        return save_summary(build_summary(self.stats.get_stats(), self.run, reason), self.runs_dir)


def save_summary(summary: Mapping[str, Any], runs_dir: str | os.PathLike) -> Path | None:
    """write_summary, and log where it went, or why it could not be written (one line)."""
    try:
        path = write_summary(summary, runs_dir)
    except OSError as exc:
        logger.error("pressbot could not write its run summary to %s: %s", runs_dir, exc)
        return None
    logger.info("Run summary: %s (exit status %d: %s)", path, summary["exit_code"], summary["exit_meaning"])
    return path


def close_abandoned(crawler, run: Run, runs_dir: str | os.PathLike) -> dict[str, Any]:
    """Finish a run whose crawl was cut off before its spider closed (a second SIGINT, or a
    stop that outlived PRESSBOT_STOP_TIMEOUT): what the pipelines tallied and queued, the
    ledger's last flush (no walk marked complete), and the summary of an interrupted run."""
    from pressbot import pipelines

    for cls in (pipelines.NormalisePipeline, pipelines.ValidatePipeline, pipelines.DeduplicatePipeline):
        with contextlib.suppress(RuntimeError):  # (no engine: the crawl never began)
            pipe = crawler.get_item_pipeline(cls)
            if pipe is not None:
                pipe.close_spider()
    with contextlib.suppress(RuntimeError):
        writer = crawler.get_item_pipeline(pipelines.WritePipeline)
        if writer is not None:
            writer.close_spider()  # (it flushes the ledger, and says what it wrote)
    run.close("shutdown")
    crawler.stats.set_value("finish_reason", "shutdown")
    summary = build_summary(crawler.stats.get_stats(), run, "shutdown")
    save_summary(summary, runs_dir)
    return summary


def _iso(value: Any) -> str | None:
    # Milliseconds: two runs that start within a second are still told apart (latest.json).
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    return None
