"""`scrapy crawl` that exits with a status telling cron what happened (see pressbot.outcome)."""

from __future__ import annotations

import sys
import traceback
from typing import Any

from scrapy.commands.crawl import Command as ScrapyCrawl
from scrapy.exceptions import UsageError

from pressbot import outcome
from pressbot.options import ArgumentError
from pressbot.profiles import ProfileError, show_deprecations
from pressbot.state import LockHeld, StateUnavailable

#: Errors raised while the crawl starts that are the user's to fix, and their exit codes.
_START_ERRORS = {
    ArgumentError: outcome.BAD_CONFIG,
    ProfileError: outcome.BAD_CONFIG,
    LockHeld: outcome.LOCKED,
    StateUnavailable: outcome.UNAVAILABLE,
}


class Command(ScrapyCrawl):
    def run(self, args, opts) -> None:
        if len(args) != 1:
            raise UsageError("give exactly one spider name")
        show_deprecations()
        process = self.crawler_process
        assert process is not None  # (requires_crawler_process)
        crawler = self._create_crawler(args[0])
        errors: list[BaseException] = []

        def keep_error(exc: BaseException | None) -> None:
            if exc is not None:
                errors.append(exc)

        started: Any = process.crawl(crawler, **opts.spargs)
        # AsyncCrawlerProcess returns an asyncio Task, CrawlerProcess a Deferred.
        if hasattr(started, "add_done_callback"):
            started.add_done_callback(lambda task: keep_error(None if task.cancelled() else task.exception()))
        else:

            def on_failure(failure):
                if failure.check(*_START_ERRORS):
                    keep_error(failure.value)
                    return None
                return failure

            started.addErrback(on_failure)
        process.start()

        for exc in errors:
            for kind, code in _START_ERRORS.items():
                if isinstance(exc, kind):
                    print(f"pressbot: error: {exc}", file=sys.stderr)
                    self.exitcode = code
                    return
        if errors or process.bootstrap_failed:
            for exc in errors:  # unexpected: say what it was, with where it came from
                print("pressbot: internal error while starting the crawl:", file=sys.stderr)
                traceback.print_exception(exc, file=sys.stderr)
            self.exitcode = outcome.INTERNAL_ERROR
            return
        self.exitcode = outcome.exit_code(crawler.stats.get_stats())
