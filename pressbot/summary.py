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

from pressbot import outcome

logger = logging.getLogger(__name__)

_COUNTERS = ("pages", "detail_pages", "entries", "new", "revised", "duplicates", "date_problems",
             "failed_pages", "traps")


def build_summary(stats: Mapping[str, Any], report: Mapping[str, Mapping[str, Any]],
                  reason: str) -> dict[str, Any]:
    """The summary of one run, from its stats and the spider's per-source report."""
    code = outcome.exit_code({**stats, "finish_reason": reason})
    sources = {}
    for name, rep in report.items():
        prefix = f"pressbot/source/{name}/"
        entry: dict[str, Any] = {k: stats.get(prefix + k, 0) for k in _COUNTERS}
        entry["dropped"] = {k[len(prefix + "dropped/"):]: v for k, v in stats.items()
                            if k.startswith(prefix + "dropped/")}
        entry["mode"] = rep.get("mode")
        entry["stop_reason"] = rep.get("stop_reason")
        entry["errors"] = list(rep.get("errors", []))
        entry["drift"] = list(rep.get("drift", []))
        entry["traps"] = list(rep.get("traps", []))
        sources[name] = entry
    return {
        "started_at": _iso(stats.get("start_time")),
        "finished_at": _iso(dt.datetime.now(dt.UTC)),
        "finish_reason": reason,
        "exit_code": code,
        "exit_meaning": outcome.DESCRIPTIONS.get(code, "unknown"),
        "written": stats.get("pressbot/written", 0),
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
    """Extension: at the end of every crawl, write the run summary."""

    def __init__(self, crawler) -> None:
        self.crawler = crawler
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def spider_closed(self, spider, reason: str) -> None:
        stats = self.crawler.stats.get_stats()
        summary = build_summary(stats, getattr(spider, "report", {}), reason)
        ledger = getattr(spider, "ledger", None)
        if ledger is not None:
            summary["output"] = str(ledger.output)
            summary["repaired"] = list(ledger.repaired)
        path = write_summary(summary, self.crawler.settings.get("PRESSBOT_RUNS_DIR"))
        logger.info("Run summary: %s (exit status %d: %s)", path, summary["exit_code"],
                    summary["exit_meaning"])


def _iso(value: Any) -> str | None:
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    return None
