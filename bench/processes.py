"""Crawls as processes of their own, and their figures: wall time, peak RSS, CPU time, log.

The peak RSS and CPU time are those of exactly that process (``os.wait4``); the log and the
output are read for Scrapy's stats, the enabled pipelines and the items written.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path


@dataclass
class FinishedProcess:
    """One finished child process: exit status, wall time, and its own peak RSS and CPU time."""

    returncode: int
    wall_s: float
    peak_rss_mb: float
    cpu_s: float
    log: str


def run_process(
    cmd: Sequence[str], cwd: Path, log_path: Path, timeout: float, env: dict[str, str] | None = None
) -> FinishedProcess:
    """Run ``cmd`` to completion; wall time from spawn to reap, and the peak RSS of exactly
    that process (``wait4``'s rusage: ru_maxrss, KiB on Linux, of that child alone)."""
    with open(log_path, "wb") as log_file:
        started = time.perf_counter()
        proc = subprocess.Popen(
            list(cmd),
            cwd=cwd,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=env or child_env(),
        )
        timer = threading.Timer(timeout, proc.kill)
        timer.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            timer.cancel()
        wall_s = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
    return FinishedProcess(
        proc.returncode,
        wall_s,
        usage.ru_maxrss / 1024,
        usage.ru_utime + usage.ru_stime,
        log_path.read_text(encoding="utf-8", errors="replace"),
    )


def child_env() -> dict[str, str]:
    """This process's environment without SCRAPY_* variables."""
    # No inherited SCRAPY_SETTINGS_MODULE/SCRAPY_PROJECT: each crawl picks its settings from
    # where it runs (pressbot: the project's scrapy.cfg; baseline: a folder without one).
    return {name: value for name, value in os.environ.items() if not name.startswith("SCRAPY_")}


def settings_args(settings: dict[str, object]) -> list[str]:
    """``settings`` as Scrapy command-line options: ``-s NAME=VALUE`` each."""
    return [arg for name, value in settings.items() for arg in ("-s", f"{name}={value}")]


def pressbot_command(profile: str | Path, fixtures_url: str, settings: dict[str, object]) -> list[str]:
    """``scrapy crawl releases`` on a profile file, with pressbot and Scrapy settings."""
    return [
        sys.executable,
        "-m",
        "scrapy",
        "crawl",
        "releases",
        "-a",
        f"profile={profile}",
        *settings_args({"PRESSBOT_FIXTURES_URL": fixtures_url, **settings}),
    ]


def scrapy_stat(log: str, name: str) -> float | None:
    """A value from Scrapy's closing stats dump in a crawl log."""
    match = re.search(rf"'{re.escape(name)}': ([0-9.]+)", log)
    return float(match.group(1)) if match else None


def count_lines(path: Path) -> int:
    if not path.exists():
        return 0
    with open(path, "rb") as lines:
        return sum(1 for _ in lines)


def pipelines_enabled(log: str) -> list[str] | None:
    """The item pipelines a crawl log says were enabled (None if the log does not say)."""
    match = re.search(r"Enabled item pipelines:\s*\n(\[.*?\])", log, re.S)
    if not match:
        return None
    return re.findall(r"'([^']+)'", match.group(1))
