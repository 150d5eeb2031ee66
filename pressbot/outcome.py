"""How a run ended, as the exit status cron sees: one table of codes, decided from crawl stats."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

OK = 0
#: Bad spider arguments, a broken profile, a bad setting or a state file that cannot be used
#: (sysexits EX_USAGE): fix the command, the setting or the file.
BAD_CONFIG = 64
#: Drift: a listing page's selectors stopped matching (EX_DATAERR): the site changed.
DRIFT = 65
#: No profile, and the page given is not a listing pressbot is sure of (no repeated block of
#: links with dates, a navigation menu, a single article): nothing was
#: written; write a profile (``scrapy genprofile`` shows what it found) or give the listing's URL.
#: (66, EX_NOINPUT, is a silent source's: below.)
NOT_A_LISTING = 67
#: Pages that still failed after retries, or a state that cannot be reached, at the start or
#: mid-run (EX_UNAVAILABLE): the next run picks their entries up.
PAGES_FAILED = UNAVAILABLE = 69
#: An unexpected error in pressbot's own code (EX_SOFTWARE): see the log.
INTERNAL_ERROR = 70
#: Another run holds the lock on the state (EX_TEMPFAIL): nothing was done, try later. Also a
#: run that lost its lock mid-run (its lock file replaced, its Redis lock expired while it was
#: paused): it stopped writing at once, and the run that holds the lock, or the next, goes on.
LOCKED = 75
#: The run was interrupted (SIGINT/SIGTERM) before it finished; what it wrote is kept.
INTERRUPTED = 130
#: A source is silent: its newest release is older than its profile's max_silence, or than
#: its usual gap allows (EX_NOINPUT: no new input); see pressbot.silence.
SILENT = 66

DESCRIPTIONS = {
    OK: "clean run",
    BAD_CONFIG: "bad arguments or profile",
    DRIFT: "drift: selectors stopped matching",
    NOT_A_LISTING: "no listing detected on the page given",
    PAGES_FAILED: "pages failed after retries, or the state unreachable",
    INTERNAL_ERROR: "internal error",
    LOCKED: "another run holds the lock, or took it from this one",
    INTERRUPTED: "interrupted",
    SILENT: "a source is silent: no release for longer than it allows",
}


def exit_code(stats: Mapping[str, Any]) -> int:
    """The exit status of a crawl that started, from its final stats. Worst problem wins."""
    if stats.get("pressbot/lock_lost"):
        return LOCKED
    if stats.get("pressbot/drift"):
        return DRIFT
    if stats.get("pressbot/undetected"):
        return NOT_A_LISTING
    if (
        stats.get("pressbot/failed_pages")
        or stats.get("pressbot/incomplete_walks")
        or stats.get("pressbot/state_unavailable")
    ):
        return PAGES_FAILED
    if (
        stats.get("spider_exceptions")
        or any(k.startswith("spider_exceptions/") for k in stats)
        or stats.get("pressbot/internal_errors")
    ):
        return INTERNAL_ERROR
    if stats.get("finish_reason") == "shutdown":
        return INTERRUPTED
    if stats.get("pressbot/silent"):
        return SILENT
    return OK
