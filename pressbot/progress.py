"""Live counts while a run goes: the tallies pushed to the crawl stats every second, and a
progress line per active source every PRESSBOT_PROGRESS_SECONDS.

The pipelines count into plain counters (the stats collector costs too much per item) that the
run pushes to the stats (``Run.push_counts``) when this extension's timer says, once a second:
Scrapy's PeriodicLog, Spidermon's periodic monitors, anything that reads ``crawler.stats`` during
the run, sees ``pressbot/…`` move.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from typing import Any

from scrapy import signals
from scrapy.exceptions import NotConfigured
from scrapy.utils.asyncio import create_looping_call

from pressbot.run import Run

logger = logging.getLogger(__name__)

#: What a progress line says of a source, from its stats (pressbot/source/<name>/<key>).
_FIGURES = ("pages", "detail_pages", "new", "revised", "duplicates", "dropped", "written")


def progress_line(name: str, stats: Mapping[str, Any], run: Run) -> str:
    """One source's progress: pages read, what came of their releases, how far back it got."""
    prefix = f"pressbot/source/{name}/"
    n = {k: stats.get(prefix + k, 0) for k in _FIGURES}
    line = (
        f"{name}: {n['pages']} listing pages, {n['detail_pages']} release pages read; "
        f"{n['new']} new, {n['revised']} revised, {n['duplicates']} duplicates, "
        f"{n['dropped']} dropped, {n['written']} written"
    )
    reached = run.reached.get(name)
    if reached is not None:
        page_no, day = reached  # (the day of the last dated entry of the last page read)
        line += f"; reached page {page_no}" + (f", dated {day}" if day else "")
    walk = run.walks[name]
    if walk.stop is not None:
        line += f"; walk stopped: {walk.stop.label}"
    return line


class LiveCounts:
    """Extension: push the run's tallies to the stats every ``push_seconds``, and log a
    progress line for each active source every ``progress_seconds`` (0: none). A source is
    active while its walk goes on, and while its counts still move (its release pages)."""

    #: How often the tallies reach the stats.
    PUSH_SECONDS = 1.0

    def __init__(
        self,
        run: Run,
        stats,
        progress_seconds: float,
        push_seconds: float = PUSH_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.run = run
        self.stats = stats
        self.progress_seconds = progress_seconds
        self.push_seconds = push_seconds
        self.clock = clock
        self._next_progress: float | None = None
        self._said: dict[str, tuple] = {}  # what each source's last line said
        self._timer: Any = None

    @classmethod
    def from_crawler(cls, crawler):
        run = Run.of(crawler)
        if run is None:
            raise NotConfigured  # not a pressbot run (no message: Scrapy warns of every one)
        # (The run checked the setting when it opened.)
        ext = cls(run, crawler.stats, crawler.settings.getfloat("PRESSBOT_PROGRESS_SECONDS"))
        crawler.signals.connect(ext.start, signal=signals.engine_started)
        crawler.signals.connect(ext.stop, signal=signals.spider_closed)
        return ext

    def start(self) -> None:
        if self.progress_seconds > 0:
            self._next_progress = self.clock() + self.progress_seconds
        # (Progress lines come with a push: at most one a push, however short the setting.)
        self._timer = create_looping_call(self.tick)
        self._timer.start(self.push_seconds, now=False)

    def stop(self) -> None:
        # The pipelines push their last counts as the spider closes.
        if self._timer is not None and self._timer.running:
            self._timer.stop()

    def tick(self) -> None:
        self.run.push_counts()
        now = self.clock()
        if self._next_progress is not None and now >= self._next_progress:
            # On the beat (the timer's own jitter would skip every other one), unless behind it.
            self._next_progress += self.progress_seconds
            if self._next_progress <= now:
                self._next_progress = now + self.progress_seconds
            for line in self.progress():
                logger.info("%s", line)

    def progress(self) -> list[str]:
        """The progress lines due now: one per active source."""
        stats = self.stats.get_stats()
        lines = []
        for name, walk in self.run.walks.items():
            prefix = f"pressbot/source/{name}/"
            figures = tuple(stats.get(prefix + k, 0) for k in _FIGURES)
            if walk.stop is not None and self._said.get(name) == figures:
                continue  # done, and nothing has moved since its last line
            self._said[name] = figures
            lines.append(progress_line(name, stats, self.run))
        return lines
