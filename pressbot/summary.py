"""The run summary: a JSON file per run (and latest.json) saying what each source did; the
pruning of old ones; and the run's outcome as the log's last lines."""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import json
import logging
import os
import re
import socket
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from scrapy import signals
from scrapy.exceptions import NotConfigured

from pressbot import __version__, alerts, outcome
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
    # Each source's dropped counts, in one pass over the stats (a pass per source is quadratic:
    # seconds at a thousand sources).
    dropped: dict[str, dict[str, Any]] = {}
    for key, value in stats.items():
        if key.startswith("pressbot/source/") and "/dropped/" in key:
            name, _, kind = key[len("pressbot/source/") :].partition("/dropped/")
            dropped.setdefault(name, {})[kind] = value
    for name, walk in run.walks.items():
        report = run.reports[name]
        prefix = f"pressbot/source/{name}/"
        entry: dict[str, Any] = {k: stats.get(prefix + k, 0) for k in _COUNTERS}
        entry["written"] = stats.get(prefix + "written", 0)
        entry["dropped"] = dropped.get(name, {})
        entry["mode"] = walk.mode
        entry["stop_reason"] = walk.stop.label if walk.stop is not None else None
        entry["walk_complete"] = name in complete
        entry["errors"] = list(report.errors)
        entry["drift"] = list(report.drift)
        entry["problems"] = list(report.problems)
        entry["gone"] = list(report.gone)
        entry["traps"] = list(report.traps)
        entry["silence"] = run.silence.get(name)
        if report.detected is not None:  # a source given by its URL alone (-a url=)
            entry["detected"] = report.detected
        sources[name] = entry
    started = stats.get("start_time")
    finished = dt.datetime.now(dt.UTC)
    return {
        "started_at": _iso(started),
        "finished_at": _iso(finished),
        "finish_reason": reason,
        "exit_code": code,
        "exit_meaning": outcome.DESCRIPTIONS.get(code, "unknown"),
        "written": stats.get("pressbot/written", 0),
        "output": str(run.ledger.output),
        "repaired": list(run.ledger.repaired),
        "sources": sources,
        **_about(started, finished, run.job, run.options.arguments, run.settings_given),
    }


def _about(
    started: Any,
    finished: dt.datetime,
    job: str | None,
    arguments: Mapping[str, str],
    settings: Mapping[str, Any],
) -> dict[str, Any]:
    """What the summary says of the run itself: how long, which job, given what, by what."""
    duration = (finished - started).total_seconds() if isinstance(started, dt.datetime) else None
    return {
        "duration_seconds": None if duration is None else round(duration, 3),
        "job": job,
        "arguments": dict(arguments),
        "settings": dict(settings),
        "version": __version__,
        "host": socket.gethostname(),
    }


def start_failure_summary(
    started: dt.datetime,
    code: int,
    error: str,
    output: str | None = None,
    *,
    job: str | None = None,
    arguments: Mapping[str, str] | None = None,
    settings: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The summary of a run that stopped before its crawl began (a bad setting, the lock held):
    no sources walked, nothing written, and the error."""
    finished = dt.datetime.now(dt.UTC)
    return {
        "started_at": _iso(started),
        "finished_at": _iso(finished),
        "finish_reason": "not started",
        "exit_code": code,
        "exit_meaning": outcome.DESCRIPTIONS.get(code, "unknown"),
        "error": error,
        "written": 0,
        "output": output,
        "repaired": [],
        "sources": {},
        **_about(started, finished, job, arguments or {}, settings or {}),
    }


#: The run summaries this process wrote, the newest last (pressbot.api returns its run's).
WRITTEN: list[Path] = []


#: A run summary's file name: its UTC time of writing (write_summary); latest.json aside,
#: nothing else in the folder is pruned.
_SUMMARY_NAME = re.compile(r"(\d{8}T\d{6}\.\d{6})Z\.json")
_STAMP = "%Y%m%dT%H%M%S.%f"


def write_summary(
    summary: Mapping[str, Any], runs_dir: str | os.PathLike, keep: int = 0, max_age_days: float = 0
) -> Path:
    """Write <runs_dir>/<timestamp>.json, and make it latest.json unless latest.json is of a
    run that started later (two runs racing: the one that started last is the latest); then
    prune the older summaries (prune_summaries)."""
    folder = Path(runs_dir)
    folder.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now(dt.UTC).strftime(_STAMP + "Z")
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
    if keep or max_age_days:
        try:
            prune_summaries(folder, keep, max_age_days, spare=path)
        except OSError as exc:  # (never a reason to fail a run)
            logger.warning("pressbot could not prune old run summaries in %s: %s", folder, exc)
    return path


def prune_summaries(
    runs_dir: str | os.PathLike,
    keep: int = 0,
    max_age_days: float = 0,
    *,
    spare: Path | None = None,
    now: dt.datetime | None = None,
) -> list[Path]:
    """Delete run summaries beyond the newest ``keep`` (0: no limit) and those older than
    ``max_age_days`` (0: no limit), by the time in their names; return what was deleted.

    Only a run summary is ever deleted: a regular file named as write_summary names them whose
    content is a summary (a JSON object with ``exit_code`` and ``finish_reason``); latest.json,
    other files, folders and symbolic links stay, and so does ``spare``."""
    folder = Path(runs_dir)
    named = []
    for path in folder.iterdir():
        match = _SUMMARY_NAME.fullmatch(path.name)
        if match is not None:
            named.append((match.group(1), path))
    named.sort(reverse=True)  # newest first: the names sort by time
    oldest = None
    if max_age_days:
        with contextlib.suppress(OverflowError):  # (further back than any date: none is too old)
            oldest = ((now or dt.datetime.now(dt.UTC)) - dt.timedelta(days=max_age_days)).strftime(_STAMP)
    deleted = []
    for i, (stamp, path) in enumerate(named):
        too_many = keep and i >= keep
        too_old = oldest is not None and stamp < oldest
        if (too_many or too_old) and path != spare and _is_summary(path):
            with contextlib.suppress(FileNotFoundError):  # (another run pruned it first)
                path.unlink()
                deleted.append(path)
    return deleted


def _is_summary(path: Path) -> bool:
    if path.is_symlink() or not path.is_file():
        return False
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(data, dict) and "exit_code" in data and "finish_reason" in data


def _started_at(path: Path) -> str | None:
    try:
        value = json.loads(path.read_text(encoding="utf-8")).get("started_at")
    except (OSError, ValueError, AttributeError):
        return None  # none yet, or not ours to keep
    return value if isinstance(value, str) else None


class RunSummary:
    """Extension: at the end of every pressbot run, write the run summary (as the spider
    closes); then, once Scrapy has dumped its stats, log the outcome (say_outcome)."""

    def __init__(
        self,
        run: Run,
        stats,
        runs_dir: str | os.PathLike,
        keep: int = 0,
        max_age_days: float = 0,
        settings=None,
    ) -> None:
        self.run = run
        self.stats = stats
        self.runs_dir = runs_dir
        self.keep = keep
        self.max_age_days = max_age_days
        self.settings = settings  # (the alerts' channels; None: no alerts)

    @classmethod
    def from_crawler(cls, crawler):
        run = Run.of(crawler)
        if run is None:
            raise NotConfigured  # not a pressbot run (no message: Scrapy warns of every one)
        settings = crawler.settings
        ext = cls(
            run, crawler.stats, settings.get("PRESSBOT_RUNS_DIR"), *_retention(settings), settings=settings
        )
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        # Scrapy dumps its stats after the spider_closed handlers, then the engine stops.
        crawler.signals.connect(ext.engine_stopped, signal=signals.engine_stopped)
        return ext

    def spider_closed(self, spider, reason: str) -> Path | None:
        summary = build_summary(self.stats.get_stats(), self.run, reason)
        self.run.summary_path = save_summary(summary, self.runs_dir, self.keep, self.max_age_days)
        if self.settings is not None:
            alerts.after_run(summary, self.settings)
        return self.run.summary_path

    def engine_stopped(self) -> None:
        if self.run.closed:  # (a run that closed; an abandoned one is said by close_abandoned)
            say_outcome(self.run, self.stats.get_stats())


def _retention(settings) -> tuple[int, float]:
    """PRESSBOT_RUNS_KEEP and PRESSBOT_RUNS_MAX_AGE (checked when the run opened)."""
    return settings.getint("PRESSBOT_RUNS_KEEP"), settings.getfloat("PRESSBOT_RUNS_MAX_AGE")


def save_summary(
    summary: Mapping[str, Any], runs_dir: str | os.PathLike, keep: int = 0, max_age_days: float = 0
) -> Path | None:
    """write_summary, or log why it could not be written (one line)."""
    try:
        return write_summary(summary, runs_dir, keep, max_age_days)
    except OSError as exc:
        logger.error("pressbot could not write its run summary to %s: %s", runs_dir, exc)
        return None


def outcome_lines(run: Run, stats: Mapping[str, Any]) -> list[str]:
    """The run's outcome, the log's last lines: what it wrote where, its summary, its exit
    status (as the crawl command exits) and what that means."""
    code = outcome.exit_code(stats)
    path = run.summary_path
    return [
        f"pressbot wrote {run.ledger.written} new or revised releases to {run.ledger.output}",
        f"pressbot run summary: {path if path is not None else 'not written (see the error above)'}",
        f"pressbot exit status {code}: {outcome.DESCRIPTIONS.get(code, 'unknown')}",
    ]


def say_outcome(run: Run, stats: Mapping[str, Any]) -> None:
    """Log the run's outcome, once; its exit status as an error when the run failed (a warning
    when it was interrupted), so that a log kept at WARNING still ends with it."""
    if run.outcome_said:
        return
    run.outcome_said = True
    *lines, status = outcome_lines(run, stats)
    for line in lines:
        logger.info("%s", line)
    code = outcome.exit_code(stats)
    level = {outcome.OK: logging.INFO, outcome.INTERRUPTED: logging.WARNING}.get(code, logging.ERROR)
    logger.log(level, "%s", status)


def close_abandoned(crawler, run: Run, runs_dir: str | os.PathLike) -> dict[str, Any]:
    """Finish a run whose crawl was cut off before its spider closed (a second SIGINT, or a
    stop that outlived PRESSBOT_STOP_TIMEOUT): what the pipelines tallied and queued, the
    ledger's last flush (no walk marked complete), the summary of an interrupted run, and its
    outcome in the log."""
    from pressbot import pipelines

    for cls in (pipelines.NormalisePipeline, pipelines.ValidatePipeline, pipelines.DeduplicatePipeline):
        with contextlib.suppress(RuntimeError):  # (no engine: the crawl never began)
            pipe = crawler.get_item_pipeline(cls)
            if pipe is not None:
                pipe.close_spider()
    with contextlib.suppress(RuntimeError):
        writer = crawler.get_item_pipeline(pipelines.WritePipeline)
        if writer is not None:
            writer.close_spider()  # (it flushes the ledger)
    run.close("shutdown")
    crawler.stats.set_value("finish_reason", "shutdown")
    summary = build_summary(crawler.stats.get_stats(), run, "shutdown")
    run.summary_path = save_summary(summary, runs_dir, *_retention(crawler.settings))
    alerts.after_run(summary, crawler.settings)  # (before the outcome: the log's last lines)
    say_outcome(run, crawler.stats.get_stats())
    return summary


def _iso(value: Any) -> str | None:
    # Milliseconds: two runs that start within a second are still told apart (latest.json).
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    return None
