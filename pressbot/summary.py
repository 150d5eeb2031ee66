"""The run summary: a JSON file per run (and latest.json) saying what each source did."""

from __future__ import annotations

import datetime as dt
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


def write_summary(summary: Mapping[str, Any], runs_dir: str | os.PathLike) -> Path:
    """Write <runs_dir>/<timestamp>.json and replace latest.json atomically."""
    folder = Path(runs_dir)
    folder.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S.%fZ")
    text = json.dumps(summary, ensure_ascii=False, indent=2) + "\n"
    path = folder / f"{stamp}.json"
    path.write_text(text, encoding="utf-8")
    tmp = folder / f".latest.{os.getpid()}.tmp"
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, folder / "latest.json")
    return path


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
            raise NotConfigured("not a pressbot run")
        ext = cls(run, crawler.stats, crawler.settings.get("PRESSBOT_RUNS_DIR"))
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    def spider_closed(self, spider, reason: str) -> Path:
        summary = build_summary(self.stats.get_stats(), self.run, reason)
        path = write_summary(summary, self.runs_dir)
        logger.info(
            "Run summary: %s (exit status %d: %s)", path, summary["exit_code"], summary["exit_meaning"]
        )
        return path


def _iso(value: Any) -> str | None:
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    return None
