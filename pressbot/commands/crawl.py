"""`scrapy crawl` that exits with a status telling cron what happened (see pressbot.outcome).

Every run that starts leaves a run summary and logs its error (to ``LOG_FILE`` as well as
stderr), a run refused at the start included; a stop (SIGINT, SIGTERM) that outlives
``PRESSBOT_STOP_TIMEOUT`` abandons the requests still in flight, and a run cut off before its
spider closed (a second SIGINT) is finished here: last flush, summary, exit 130.
"""

from __future__ import annotations

import datetime as dt
import logging
import sys
import time
import traceback
from pathlib import Path
from typing import Any

from scrapy.commands.crawl import Command as ScrapyCrawl
from scrapy.exceptions import UsageError
from scrapy.utils.asyncio import create_looping_call

from pressbot import alerts, outcome
from pressbot.options import ArgumentError, given_settings
from pressbot.profiles import ProfileError, show_deprecations
from pressbot.run import Run
from pressbot.state import BadState, LockHeld, LockLost, StateUnavailable
from pressbot.summary import close_abandoned, say_outcome, start_failure_summary, write_summary

logger = logging.getLogger(__name__)

#: Errors raised while the crawl starts that are the user's to fix, and their exit codes.
_START_ERRORS = {
    ArgumentError: outcome.BAD_CONFIG,
    ProfileError: outcome.BAD_CONFIG,
    BadState: outcome.BAD_CONFIG,
    LockHeld: outcome.LOCKED,
    LockLost: outcome.LOCKED,
    StateUnavailable: outcome.UNAVAILABLE,
}


class Command(ScrapyCrawl):
    def process_options(self, args, opts) -> None:
        super().process_options(args, opts)
        # Scrapy opens LOG_FILE before any of pressbot runs: its folder is made here, as the
        # output's and the state's are, so `-s LOG_FILE=data/crawl.log` works on a fresh checkout.
        assert self.settings is not None  # (set before options are processed)
        log_file = self.settings.get("LOG_FILE")
        if isinstance(log_file, str) and log_file.strip():
            try:
                Path(log_file).parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                print(
                    f"pressbot: error: LOG_FILE {log_file!r}: its folder cannot be made: {exc}",
                    file=sys.stderr,
                )
                raise SystemExit(outcome.BAD_CONFIG) from None

    def run(self, args, opts) -> None:
        if len(args) != 1:
            raise UsageError("give exactly one spider name")
        show_deprecations()
        started = dt.datetime.now(dt.UTC)
        process = self.crawler_process
        assert process is not None  # (requires_crawler_process)
        crawler = self._create_crawler(args[0])
        errors: list[BaseException] = []

        def keep_error(exc: BaseException | None) -> None:
            if exc is not None:
                errors.append(exc)

        started_crawl: Any = process.crawl(crawler, **opts.spargs)
        # AsyncCrawlerProcess returns an asyncio Task, CrawlerProcess a Deferred.
        if hasattr(started_crawl, "add_done_callback"):
            started_crawl.add_done_callback(
                lambda task: keep_error(None if task.cancelled() else task.exception())
            )
        else:

            def on_failure(failure):
                if failure.check(*_START_ERRORS):
                    keep_error(failure.value)
                    return None
                return failure

            started_crawl.addErrback(on_failure)
        _stop_in_time(crawler)
        process.start()

        for exc in errors:
            for kind, code in _START_ERRORS.items():
                if isinstance(exc, kind):
                    self._refused(crawler, opts.spargs, started, code, f"pressbot: error: {exc}")
                    return
        if errors or process.bootstrap_failed:
            for exc in errors:  # unexpected: say what it was, with where it came from
                print("pressbot: internal error while starting the crawl:", file=sys.stderr)
                traceback.print_exception(exc, file=sys.stderr)
            error = "; ".join(f"{type(e).__name__}: {e}" for e in errors) or "the crawl did not start"
            message = f"pressbot: internal error: {error}"
            self._refused(crawler, opts.spargs, started, outcome.INTERNAL_ERROR, message)
            return
        run = Run.of(crawler)
        if run is not None and not run.closed:
            # The reactor stopped before the spider closed: finish the run here.
            summary = close_abandoned(crawler, run, crawler.settings.get("PRESSBOT_RUNS_DIR"))
            self.exitcode = summary["exit_code"]
            return
        stats = crawler.stats.get_stats()
        if run is not None:
            say_outcome(run, stats)  # (unless said already, once the engine stopped)
        self.exitcode = outcome.exit_code(stats)

    def _refused(self, crawler, spargs: dict, started: dt.datetime, code: int, message: str) -> None:
        """A run that stopped before its crawl began: one line on stderr (and in LOG_FILE), a
        run summary saying so, and the exit status."""
        settings = crawler.settings
        if code != outcome.INTERNAL_ERROR:  # (the traceback is on stderr already)
            print(message, file=sys.stderr)
        if settings.get("LOG_FILE"):
            logger.error(message)
        self.exitcode = code
        runs_dir = settings.get("PRESSBOT_RUNS_DIR")
        if not isinstance(runs_dir, str) or not runs_dir.strip() or "PRESSBOT_RUNS_DIR" in message:
            return
        output = settings.get("PRESSBOT_OUTPUT")
        try:
            given = given_settings(settings)
        except Exception:  # (a setting so broken it cannot even be listed: the error says it)
            given = {}
        job = spargs.get("_job") or settings.get("PRESSBOT_JOB_ID")
        summary = start_failure_summary(
            started,
            code,
            message,
            output if isinstance(output, str) else None,
            job=None if job is None else str(job),
            arguments={k: str(v) for k, v in spargs.items() if k != "_job"},
            settings=given,
        )
        try:
            keep, max_age = settings.getint("PRESSBOT_RUNS_KEEP"), settings.getfloat("PRESSBOT_RUNS_MAX_AGE")
        except (TypeError, ValueError, OverflowError):
            keep, max_age = 0, 0  # (the bad setting is the error: prune nothing)
        if keep < 0 or not max_age >= 0:  # (negative, or NaN)
            keep, max_age = 0, 0
        try:
            write_summary(summary, runs_dir, keep, max_age)
        except OSError as exc:
            logger.debug("No run summary for a run refused at the start: %s", exc)
        if "PRESSBOT_ALERT" not in message:  # (a broken alert setting cannot send the alert)
            alerts.after_run(summary, settings)


def _stop_in_time(crawler) -> None:
    """Once the crawl has begun to stop, give the requests still in flight PRESSBOT_STOP_TIMEOUT
    seconds (Scrapy waits for every one: a Retry-After wait of a minute would hold the stop that
    long), then stop the reactor; the run is finished after it (close_abandoned)."""
    from twisted.internet import reactor as installed

    reactor: Any = installed  # (twisted types the module, not the reactor installed in it)
    began: list[float] = []

    def check() -> None:
        if crawler.crawling or getattr(crawler, "_engine", None) is None:
            return
        # (Read once the crawl has begun: the run checked the setting when it opened.)
        timeout = crawler.settings.getfloat("PRESSBOT_STOP_TIMEOUT")
        if not began:
            began.append(time.monotonic())
        elif time.monotonic() - began[0] >= timeout:
            logger.warning(
                "pressbot: requests still in flight %g s after the stop began (a long Retry-After "
                "wait?) are abandoned; the next run collects what they held",
                timeout,
            )
            poll.stop()
            if reactor.running:
                reactor.stop()

    poll: Any = create_looping_call(check)
    reactor.callWhenRunning(poll.start, 0.2)
