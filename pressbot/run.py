"""One crawl's shared parts: options, profiles, ledger, walks, reports and tracker, built once.

The spider opens the ``Run`` when the crawl starts (it is the first component that knows the
spider arguments) and attaches it to the crawler; every other component gets it from
``Run.of(crawler)`` in its ``from_crawler`` and takes what it needs in ``__init__``, so tests
build each of them directly. The run also keeps the books every component shares: counters,
per-source reports, the distributed tracker, and closing the ledger once the finish reason is
known.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import gc
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from scrapy import signals
from scrapy.utils.asyncio import create_looping_call
from scrapy.utils.defer import deferred_from_coro

from pressbot import __version__, alerts, discover, distributed, pressroom, silence
from pressbot.addresses import is_local_url
from pressbot.catalogue import run_profiles
from pressbot.items import run_key
from pressbot.ledger import Ledger, LedgerFailed
from pressbot.options import ArgumentError, RunOptions, check_paths, check_settings, given_settings
from pressbot.profiles import Profile, ProfileError
from pressbot.state import LockLost, StateUnavailable, open_state
from pressbot.walk import Stop, Trap, WalkOptions, WalkState, on_site

logger = logging.getLogger(__name__)

#: The crawler attribute that holds its run (one crawler, one run).
_ATTRIBUTE = "pressbot_run"
#: What the commands that only look at pages add to their ``default_settings``
#: (pressbot/commands/: shell, fetch, view, parse, check, bench). No default in settings.py: a
#: project setting would outrank the commands' own.
LOOK_ONLY = {"PRESSBOT_LOOK_ONLY": True}

_Tallier = TypeVar("_Tallier")


@dataclass
class SourceReport:
    """What went wrong for one source in this run, for the run summary."""

    errors: list[dict[str, Any]] = field(default_factory=list)
    drift: list[dict[str, Any]] = field(default_factory=list)
    traps: list[dict[str, Any]] = field(default_factory=list)
    #: Values on pages that could not be used (pressbot.parsing.EntryProblem), the first ones.
    problems: list[dict[str, Any]] = field(default_factory=list)
    #: Release pages that are gone (404, 410): their releases are kept from the listing; this
    #: does not keep the walk from being complete.
    gone: list[dict[str, Any]] = field(default_factory=list)
    #: A source given by a URL alone: what pressbot detected, where, and why (or what it tried).
    detected: dict[str, Any] | None = None

    @property
    def clean(self) -> bool:
        return not self.errors and not self.drift


class Run:
    """Everything one crawl shares; see the module docstring."""

    def __init__(
        self,
        options: RunOptions,
        profiles: dict[str, Profile],
        ledger: Ledger | None,
        walks: dict[str, WalkState],
        *,
        stats=None,
        walk_options: WalkOptions | None = None,
        tracker: distributed.RunTracker | None = None,
    ) -> None:
        self.options = options
        self.profiles = profiles
        #: None for a look at pages (see the module docstring): nothing is known or recorded.
        self._ledger = ledger
        self.walks = walks
        self.reports = {name: SourceReport() for name in profiles}
        self._stats = stats
        self._crawler = None  # stats come from the crawler once it has built them
        self._inc: Any = None  # the stats' inc_value, once looked up
        self.walk_options = walk_options or WalkOptions(since=options.since, max_pages=options.max_pages)
        self.tracker = tracker
        self.closed = False
        #: Per source, what the state knew when the run opened: its days with releases, and
        #: since when pressbot has watched it (pressbot.silence).
        self.history: dict[str, tuple[dict[str, int], dt.datetime | None]] = {}
        #: The learned silence limit: PRESSBOT_SILENCE_FACTOR times the usual gap, at least
        #: PRESSBOT_SILENCE_MIN_DAYS.
        self.silence_rule = silence.Rule()
        #: Per source, its silence as judged when the run closed (silence.judge).
        self.silence: dict[str, dict[str, Any]] = {}
        #: The job's id (scrapyd's ``_job``, else PRESSBOT_JOB_ID) and the PRESSBOT_ settings
        #: that differ from their defaults, as given: for the run summary.
        self.job = options.job
        self.settings_given: dict[str, Any] = {}
        #: Per source, the last listing page read: its number and its last entry's day (progress).
        self.reached: dict[str, tuple[int, str | None]] = {}
        #: The releases this run has seen, by pressbot.items.run_key: True once one sighting is
        #: taken (by the pipelines, or passed over as known and unchanged: ``sighted``), False
        #: while a listed one is on its way to the pipelines. A run keeps a release's first
        #: sighting (pressbot.pipelines.DeduplicatePipeline).
        self.seen: dict[int | str, bool] = {}
        #: The run summary written (None until it is, or if it could not be), and whether the
        #: run's outcome has been logged (pressbot.summary.say_outcome).
        self.summary_path: Path | None = None
        self.outcome_said = False
        self._tallies: list[Callable[[], object]] = []
        #: Sources given by a URL alone (``-a url=``), whose profile their first page gives.
        self.pending: set[str] = set(profiles) if options.url else set()
        #: Such a source's pages found to be no listing (URL: why), and those left to try.
        self._tried: dict[str, list[str]] = {}
        self._queue: dict[str, list[tuple[str, str]]] = {}
        #: The profiles detected, as their dicts: a later page may add to them (JSON).
        self._detected: dict[str, dict[str, Any]] = {}

    # --- building -------------------------------------------------------------------------
    @classmethod
    def open(cls, crawler, options: RunOptions) -> Run:
        """Check the settings, load the profiles, open the ledger (taking the run lock) and
        begin each source's walk; attach the run to ``crawler``. In a command that only looks
        at pages (``PRESSBOT_LOOK_ONLY``), a look instead: see ``Run.look``."""
        settings = crawler.settings
        if settings.getbool("PRESSBOT_LOOK_ONLY"):
            return cls.look(crawler, options)
        check_settings(settings)
        alerts.check_settings(settings)
        given = given_settings(settings)  # (before the run sets any of its own)
        if options.url and settings.getbool("PRESSBOT_DISTRIBUTED"):
            raise ArgumentError(
                "url: not with PRESSBOT_DISTRIBUTED: each worker would detect the listing on its own "
                "pages; write its profile with `scrapy genprofile URL -o FILE` and give -a profile=FILE"
            )
        loaded = _run_profiles(settings, options)
        profiles = {p.name: p for p in loaded}
        _polite_settings(settings, loaded)
        distributed.configure(settings)
        check_paths(settings, crawler.spidercls.name)
        is_distributed = settings.getbool("PRESSBOT_DISTRIBUTED")
        run_id = settings.get("PRESSBOT_RUN_ID")
        state = open_state(settings.get("PRESSBOT_STATE"), lock_ttl=settings.getfloat("PRESSBOT_LOCK_TTL"))
        output = settings.get("PRESSBOT_OUTPUT").replace("{worker}", settings.get("PRESSBOT_WORKER_ID"))
        # Opening the ledger takes the run lock: a second run stops here, before any request.
        ledger = Ledger(
            state,
            output,
            settings.getint("PRESSBOT_FLUSH_ITEMS"),
            lock=not is_distributed,
            batch_seconds=settings.getfloat("PRESSBOT_FLUSH_SECONDS"),
        )
        # Incremental stops are safe only once a walk of the whole listing has ended cleanly:
        # after a first run, a crash or a failed page, walk everything again.
        clean = state.begin_walks(profiles, run_id)
        walks = {name: WalkState(incremental=clean[name] and not options.full) for name in profiles}
        # (configure() made sure a distributed run's state is a RedisState)
        tracker = (
            # On the frontier's Redis, with the run's queue (their keys are counted together);
            # its counts go with the ledger's flushes, when the ledger flushes on a timer.
            distributed.RunTracker(
                distributed.frontier_redis(settings), run_id, batched=ledger.batch_seconds > 0
            )
            if is_distributed
            else None
        )
        run = cls(
            options,
            profiles,
            ledger,
            walks,
            tracker=tracker,
            walk_options=WalkOptions(
                since=options.since,
                max_pages=options.max_pages,
                known_in_a_row=settings.getint("PRESSBOT_KNOWN_IN_A_ROW"),
                overlap_pages=settings.getint("PRESSBOT_OVERLAP_PAGES"),
            ),
        )
        now = dt.datetime.now(dt.UTC)
        found = state.histories(list(profiles), now.isoformat(timespec="seconds"), silence.HISTORY_DAYS + 1)
        run.history = {name: (days, _when(watched)) for name, (days, watched) in found.items()}
        run.silence_rule = silence.Rule(
            factor=settings.getfloat("PRESSBOT_SILENCE_FACTOR"),
            floor=dt.timedelta(days=settings.getfloat("PRESSBOT_SILENCE_MIN_DAYS")),
        )
        run._crawler = crawler
        run.job = options.job or settings.get("PRESSBOT_JOB_ID")
        run.settings_given = given
        run.connect(crawler)
        _keep_ledger(crawler, run)
        _tune_gc(crawler)
        setattr(crawler, _ATTRIBUTE, run)
        return run

    @classmethod
    def look(cls, crawler, options: RunOptions) -> Run:
        """A look at pages for Scrapy's shell, fetch, view, parse and check: the profiles and a
        fresh walk for each (as on a first run: every entry is new), so that the spider's
        callbacks show what a page gives; no state is opened (no lock), nothing is recorded or
        written, the settings are left as they are (the shell has frozen them), and the run is
        not attached to the crawler (``Run.of`` is None: the other components stand aside)."""
        settings = crawler.settings
        profiles = {p.name: p for p in _run_profiles(settings, options)}
        run = cls(
            options,
            profiles,
            None,
            {name: WalkState(incremental=False) for name in profiles},
            walk_options=WalkOptions(
                since=options.since,
                max_pages=options.max_pages,
                known_in_a_row=settings.getint("PRESSBOT_KNOWN_IN_A_ROW"),
                overlap_pages=settings.getint("PRESSBOT_OVERLAP_PAGES"),
            ),
        )
        run._crawler = crawler
        run.connect(crawler)
        logger.info(
            "pressbot: looking only (%s): no run lock, state, output or run summary",
            ", ".join(profiles),
        )
        return run

    @staticmethod
    def of(crawler) -> Run | None:
        """The crawler's run, or None when the crawl is not one of pressbot's runs (``scrapy
        shell``, ``fetch``, ``view``, ``parse``, ``check``, ``bench``, another spider): pressbot's
        components then stand aside."""
        return getattr(crawler, _ATTRIBUTE, None)

    @property
    def looking(self) -> bool:
        """Whether this is a look at pages, not a run (see ``Run.look``)."""
        return self._ledger is None

    @property
    def ledger(self) -> Ledger:
        if self._ledger is None:
            raise RuntimeError("a look at pages (scrapy shell, parse, ...) has no ledger")
        return self._ledger

    def known(self, ids: list[str]) -> dict:
        """What the state knows of these releases (a look knows none: every entry is new)."""
        return {} if self._ledger is None else self._ledger.known(ids)

    def sighted(self, source: str, listed: list[str], unchanged: list[str]) -> None:
        """A listing page's releases: those it gives as the state holds them (``unchanged``)
        are taken here, counted as the duplicates they are, without a trip through the item
        pipelines, unless one listed earlier in the run is still on its way there (it is the
        run's first sighting); the others are on their way."""
        seen, passed = self.seen, set(unchanged)
        for rid in listed:
            key = run_key(rid)
            if key not in seen:
                seen[key] = rid in passed
        if unchanged:
            self.count(source, "duplicates", len(unchanged))

    def walk_from(self, url: str) -> str:
        """A listing page from outside the walk (``scrapy parse URL``, the shell): its source,
        whose walk begins at it; in a look, afresh each time (a page looked at twice is no
        pagination loop)."""
        source = self.source_of(url)
        if self.looking:
            self.walks[source] = WalkState(incremental=False)
        self.walks[source].ask(url)
        return source

    def source_of(self, url: str) -> str:
        """The source a page given from outside the walk belongs to (``scrapy parse URL``):
        the profile whose base URL holds it (the longest), else the one whose site it is on,
        else the only one."""
        under = [p for p in self.profiles.values() if url.startswith(p.base_url)]
        if under:
            return max(under, key=lambda p: len(p.base_url)).name
        on = [p.name for p in self.profiles.values() if on_site(url, p)]
        if on or len(self.profiles) == 1:
            return (on or list(self.profiles))[0]
        raise ValueError(
            f"{url} is on none of the sources {', '.join(self.profiles)}: give its source with -a source=NAME"
        )

    @property
    def stats(self):
        # Scrapy builds the crawler's stats collector after the spider, which opens the run.
        return self._stats if self._stats is not None else self._crawler.stats

    def connect(self, crawler) -> None:
        s = crawler.signals
        s.connect(self._request_scheduled, signal=signals.request_scheduled)
        s.connect(self._request_dropped, signal=signals.request_dropped)
        s.connect(self._item_error, signal=signals.item_error)
        if self.tracker is not None:
            # An item is owed until it is durable (the ledger's flush) or dropped.
            s.connect(self._item_dropped, signal=signals.item_dropped)
            self.ledger.on_durable = self._durable

    def _durable(self, counts: dict[str, int]) -> None:
        assert self.tracker is not None
        self.tracker.add_many({source: -n for source, n in counts.items()})

    def share_starts(self, requests: list, spider) -> list:
        """The start requests for this worker to make. Distributed, every worker starts every
        walk: each first page is put in the run's shared queue by the first worker to claim it,
        counted as owed in the same step, and any worker takes it (pressbot.frontier); so none
        is left to make here. Otherwise, all of them."""
        if self.tracker is None:
            return requests
        from pressbot.frontier import SharedQueue

        queue = SharedQueue.from_settings(spider.settings, self.tracker.redis, spider)
        queue.push(requests, count=True)
        return []

    # --- the books ------------------------------------------------------------------------
    def count(self, source: str, key: str, n: int = 1) -> None:
        """Add ``n`` to the crawl stats' ``pressbot/<key>`` and ``pressbot/source/<source>/<key>``.
        Cheap enough for every page or item: the stats collector's method is looked up once
        (Scrapy 2.19 wraps every look-up of it)."""
        inc = self._inc
        if inc is None:
            inc = self._inc = self.stats.inc_value
        # (The names are made each time: kept, a thousand sources' are a MB, for a microsecond.)
        inc(f"pressbot/{key}", n)
        inc(f"pressbot/source/{source}/{key}", n)

    def tallied(self, component: _Tallier) -> _Tallier:
        """A component that tallies its counts locally (per item, the stats collector would
        cost too much) and adds them to the stats in ``push_counts()``: the run has them pushed
        every second while the crawl runs (pressbot.progress), so the stats are live."""
        self._tallies.append(component.push_counts)  # type: ignore[attr-defined]
        return component

    def push_counts(self) -> None:
        """Bring the stats up to date with what the components tallied."""
        for push in self._tallies:
            push()

    def track(self, source: str, n: int, dirty: bool = False) -> None:
        """Distributed runs: count this worker's requests in and out, in Redis (RunTracker)."""
        if self.tracker is None:
            return
        if n or self.tracker.stops_untold:
            self.tracker.add(source, n)  # (with the stops told since the last count)
        if dirty:
            self.tracker.dirty(source)

    def trap(self, source: str, trap: Trap) -> None:
        self.count(source, "traps")
        self.reports[source].traps.append({"url": trap.url, "problem": trap.problem})
        logger.warning("%s: not following %s: %s", source, trap.url, trap.problem)

    #: How many entry problems a source's report lists (all are counted and logged).
    PROBLEMS_LISTED = 100

    def entry_problems(self, source: str, url: str, problems: list) -> None:
        """Values a page gave that could not be used: the entry (or field) went without them.
        Counted by kind, logged each, and the first ones listed in the run summary."""
        listed = self.reports[source].problems
        for p in problems:
            self.count(source, "entry_problems")
            self.count(source, f"entry_problems/{p.kind}")
            logger.warning("%s: %s: %s", source, url, p)
            if len(listed) < self.PROBLEMS_LISTED:
                listed.append({"url": url, "entry": p.index, "field": p.field, "problem": p.reason})

    #: Pages a source given by its URL alone tries after its own, when that is no listing: the
    #: press room it links to, its feed.
    DETECT_TRIES = 3

    def detect(self, source: str, url: str, body: bytes, headers=None) -> Profile | str | None:
        """A source given by its URL alone: its profile, found on its first page
        (pressbot.discover), taken as the source's for the rest of the run. When that page is
        no listing, the URL of the next page to try instead (the press room it links to on
        the same site, then the feed it advertises), to be fetched as the first page; None,
        with the walk ended and reported, when pressbot is sure of none of them."""
        pending = self.profiles[source]
        if discover.looks_like_feed(body):
            found = discover.discover_feed(body, url, name_url=pending.start_urls[0])
        else:
            found = discover.discover(body, url, headers)
        tried = self._tried.setdefault(source, [])
        if not found.sure:
            tried.append(f"{url}: {found.reason}")
            if len(tried) == 1:
                self._queue[source] = _fallbacks(pending, body, url, found)
            queue = self._queue.get(source, [])
            if queue and len(tried) <= self.DETECT_TRIES:
                nxt, why = queue.pop(0)
                logger.info("%s: %s is no listing (%s); trying %s (%s)", source, url, found.reason, nxt, why)
                return nxt
        self.pending.discard(source)
        if found.sure:
            profile, self._detected[source] = discover.adopt(self.profiles[source], found)
            self.profiles[source] = profile
            self.count(source, "detected")
            listing = found.profile["listing"] if found.profile else {}
            self.reports[source].detected = {
                "page": url,
                "why": found.reason,
                "tried": list(tried),
                "entry": listing.get("entry"),
                "fields": {
                    r.name: f"{r.selector} ({r.confidence}, {r.filled}/{r.total})" for r in found.fields
                },
                "pagination": found.notes.get("pagination"),
            }
            logger.info("%s: detected the listing on %s: %s", source, url, found.reason)
            for report in found.fields:
                logger.info("%s: detected %s", source, report.line())
            logger.info("%s: pagination: %s", source, found.notes.get("pagination", "none"))
            return profile
        self.count(source, "undetected")
        self.reports[source].detected = {"page": None, "why": None, "tried": list(tried)}
        start = pending.start_urls[0]
        problem = "; ".join(tried) + f"; nothing is written (write a profile: scrapy genprofile {start})"
        self.reports[source].errors.append(
            {"url": url, "page": "listing", "error": f"no listing detected: {problem}"}
        )
        self.walks[source].end(Stop.UNDETECTED)
        self.stopped(source, Stop.UNDETECTED, url)
        logger.error("%s: no listing detected on %s: %s", source, url, problem)
        return None

    @property
    def detected(self) -> set[str]:
        """The sources given by a URL alone whose profile was detected."""
        return set(self._detected)

    def later_pages(self, source: str, url: str, body: bytes) -> None:
        """A detected source's later page that answers JSON (a "load more" endpoint): its
        items are read from then on as ``pressbot.discover.json_listing`` finds them."""
        raw = self._detected.get(source)
        if raw is None or self.profiles[source].later is not None or not discover.looks_like_json(body):
            return
        table = discover.json_listing(body)
        if table is None:
            logger.warning("%s: %s answers JSON with no array of items with titles and links", source, url)
            return
        raw = discover.with_json_pages(raw, table)
        try:
            self.profiles[source] = discover.load(raw, f"<detected on {url}>")
        except ProfileError as exc:  # the page is then read as HTML: drift, and said so
            logger.warning("%s: %s answers JSON that pressbot cannot read: %s", source, url, exc)
            return
        self._detected[source] = raw
        logger.info("%s: the pages after the first answer JSON: read as %s", source, table)

    def drift(self, source: str, url: str, problem: str) -> None:
        self.count(source, "drift")
        self.reports[source].drift.append({"url": url, "problem": problem})
        self.track(source, 0, dirty=True)
        logger.error("%s: drift on %s: %s", source, url, problem)

    def page_failed(self, source: str, kind: str, url: str, error: str, failed: bool = True) -> None:
        """A page could not be read. ``failed``: it counts in the exit status (a release page
        that is gone, 404, is only reported: its release is written from the listing)."""
        report = self.reports[source]
        (report.errors if failed else report.gone).append({"url": url, "page": kind, "error": error})
        if kind == "detail":
            self.detail_failed(source, url, error, failed=failed)
            return
        self.count(source, "failed_pages")
        self.track(source, 0, dirty=True)
        logger.error(
            "%s: listing page %s failed after retries: %s; the walk stops here and the next run "
            "walks the whole listing again",
            source,
            url,
            error,
        )

    def detail_failed(self, source: str, url: str, why: str, failed: bool = False) -> None:
        """A release page added nothing: its release is written as the listing gives it, with
        ``detail_error`` saying why, and the next run fetches the page again."""
        self.count(source, "detail_errors")
        if failed:
            self.count(source, "failed_pages")
            self.track(source, 0, dirty=True)
        logger.warning("%s: release page %s: %s; its listing values are written", source, url, why)

    def short(self, source: str, url: str | None, problem: str) -> None:
        """The walk of ``source`` missed something at ``url``: it cannot be complete this run,
        the run fails (69) and the next one walks the whole listing again."""
        self.count(source, "incomplete_walks")
        self.reports[source].errors.append({"url": url, "page": "listing", "error": problem})
        self.track(source, 0, dirty=True)
        logger.error("%s: %s: %s; the next run walks the whole listing again", source, url, problem)

    def stopped(self, source: str, stop: Stop, url: str | None = None, problem: str | None = None) -> None:
        """A walk of ``source`` ended at ``url`` (the walk state already holds it). A walk that
        ended short, ``problem`` saying why, is reported with its URL and fails the run."""
        if problem is not None:
            self.short(source, url, f"{stop.label}: {problem}")
        if self.tracker is not None:
            self.tracker.stopped(source, stop)
        worst = self.walks[source].stop or stop
        self.stats.set_value(f"pressbot/source/{source}/stop_reason", worst.label)
        logger.log(stop.level, "%s: stopped walking the listing: %s", source, stop.label)

    def finished_walks(self, reason: str) -> dict[str, Stop]:
        """Sources whose walk ended completely, in a run that finished (so every request it
        made, release pages included, is done). In a distributed run, the run's shared
        tracker answers for all workers."""
        if reason != "finished":
            return {}
        if self.tracker is not None:
            return self.tracker.finished(self.profiles)
        return {
            name: walk.stop
            for name, walk in self.walks.items()
            if walk.stop is not None and walk.stop.complete and self.reports[name].clean
        }

    def close(self, reason: str) -> None:
        """Close the ledger, recording the walks that ended completely (after its last flush:
        a walk is never marked complete while any of its releases is unrecorded)."""
        if self.closed:
            return
        self.closed = True
        if self._ledger is None:
            return  # a look: nothing to close
        try:
            self.ledger.close({s: stop.label for s, stop in self.finished_walks(reason).items()})
        except LedgerFailed:
            pass  # logged once, when it failed (_keep_ledger)
        except Exception:
            # Walks stay open (close() records them last): the next run walks them again.
            self.stats.inc_value("pressbot/internal_errors")
            logger.exception("pressbot could not close its output %s and state", self.ledger.output)
        # (The last flush may have found releases another worker claimed: counted now.)
        self.push_counts()
        if self.tracker is not None:
            self.tracker.expire_run()
        self.judge_silence()

    def judge_silence(self, now: dt.datetime | None = None) -> None:
        """Judge each source's silence from what the state knew and what this run wrote; a
        silent source is counted (``pressbot/silent``: its own exit status) and logged."""
        now = now or dt.datetime.now(dt.UTC)
        written: dict[str, set[str]] = {}
        for source, day in self.ledger.days:
            written.setdefault(source, set()).add(day)
        for name, profile in self.profiles.items():
            known, watched = self.history.get(name, ({}, None))
            days = set(known) | written.get(name, set())
            rule = dataclasses.replace(self.silence_rule, max_silence=profile.max_silence)
            verdict = silence.judge(sorted(days), rule, now, watched)
            self.silence[name] = verdict
            if verdict["silent"]:
                self.count(name, "silent")
                logger.warning("%s", silence.describe(name, verdict))

    # --- signals --------------------------------------------------------------------------
    def _request_scheduled(self, request, spider) -> None:
        # Scrapy's offsite filter drops a redirect off the site when it is scheduled, without
        # calling the errback: note it here so that it reaches the run summary.
        source = request.meta.get("pressbot_source")
        # (Release pages may live elsewhere: allow_offsite lets their redirects through too.)
        if (
            source in self.profiles
            and request.meta.get("redirect_urls")
            and not request.meta.get("allow_offsite")
            and not on_site(request.url, self.profiles[source])
        ):
            first = request.meta["redirect_urls"][0]
            self.trap(source, Trap(request.url, f"redirected off the site from {first}"))
            if request.meta.get("pressbot_page") == "listing":
                # The walk goes no further than this page, and nothing will say so but us.
                self.walks[source].end(Stop.OFF_SITE)
                self.stopped(source, Stop.OFF_SITE, first, f"it redirects off the site to {request.url}")

    def _request_dropped(self, request, spider) -> None:
        # A page asked for twice in a run (by two workers, or the same release on two listing
        # pages) is fetched once: the second request is done as it is dropped. But a listing
        # page that redirects back to a page already requested ends its walk short, unseen by
        # any callback: say so.
        source = request.meta.get("pressbot_source")
        if source not in self.reports:
            return
        if request.meta.get("pressbot_page") == "listing" and request.meta.get("redirect_urls"):
            first = request.meta["redirect_urls"][0]
            self.walks[source].end(Stop.DROPPED)
            self.stopped(source, Stop.DROPPED, first, f"it redirects to {request.url}, already requested")
        self.track(source, -1)

    def _item_dropped(self, item, response, exception, spider) -> None:
        source = getattr(item, "source", None)
        if source in self.reports:
            self.track(source, -1)

    def _item_error(self, item, response, spider, failure) -> None:
        source = getattr(item, "source", None) or (item.get("source") if isinstance(item, dict) else None)
        self.stats.inc_value("pressbot/internal_errors")
        if source in self.reports:
            self.track(source, -1, dirty=True)
            self.reports[source].errors.append(
                {
                    "url": getattr(item, "url", None),
                    "page": "item",
                    "error": f"{failure.type.__name__}: {failure.getErrorMessage()}",
                }
            )


def _when(text: str | None) -> dt.datetime | None:
    """A time the state wrote (ISO 8601, UTC), or None for one it cannot read."""
    try:
        when = dt.datetime.fromisoformat(text) if text else None
    except ValueError:
        return None
    return when if when is None or when.tzinfo else when.replace(tzinfo=dt.UTC)


def _fallbacks(pending: Profile, body: bytes, url: str, found: discover.Discovery) -> list[tuple[str, str]]:
    """Pages to try when a source's own page is no listing, best first, with the reason: the
    press room links of the page, then its feeds; only on the source's own site (the run's
    allowed domains)."""
    out: list[tuple[str, str]] = []
    if found.article:  # a release page given by mistake: its menu is not the user's choice
        return out
    for room in pressroom.find(body, url)[:2]:
        out.append((room.url, f"the press room the page links to: {room.why}"))
    out += [(feed, "the feed the page advertises") for feed in found.feeds[:1]]
    return [(u, why) for u, why in dict(out).items() if on_site(u, pending)] if out else []


def _run_profiles(settings, options: RunOptions) -> list[Profile]:
    """The run's profiles (pressbot.catalogue.run_profiles), or, for ``-a url=``, the source
    that URL names, whose profile its first page gives."""
    if options.url:
        return [discover.pending_profile(options.url)]
    return run_profiles(settings, options)


def _polite_settings(settings, profiles: list[Profile]) -> None:
    """Identity and throttling: AutoThrottle for real sites, full speed for local fixtures."""
    contact = settings.get("PRESSBOT_CONTACT_URL")
    if contact and settings.getpriority("USER_AGENT") <= settings.getpriority("BOT_NAME"):
        settings.set("USER_AGENT", f"pressbot/{__version__} (+{contact})", priority="spider")
    if all(is_local_url(u) for p in profiles for u in p.start_urls):
        settings.set("AUTOTHROTTLE_ENABLED", False, priority="spider")


def _tune_gc(crawler) -> None:
    """While the engine runs, let Python's cyclic garbage collector wait for
    PRESSBOT_GC_THRESHOLD new container objects rather than 700: the crawl's garbage goes by
    reference counting, and at 700 the collector runs after every few pages for nothing. A
    collector switched off, or already waiting longer, is left as it is; the engine's stop puts
    back what it was."""
    threshold = crawler.settings.getint("PRESSBOT_GC_THRESHOLD")
    saved: list[tuple[int, int, int]] = []

    def start() -> None:
        current = gc.get_threshold()
        if threshold > current[0] > 0 and gc.isenabled():
            saved.append(current)
            gc.set_threshold(threshold, *current[1:])

    def stop() -> None:
        if saved:
            gc.set_threshold(*saved.pop())

    crawler.signals.connect(start, signal=signals.engine_started, weak=False)
    crawler.signals.connect(stop, signal=signals.engine_stopped, weak=False)


def _keep_ledger(crawler, run: Run) -> None:
    """Flush the ledger on a timer, so that records are durable within PRESSBOT_FLUSH_SECONDS
    even when no further item comes; and when its output, state or lock fails, say so once and
    stop the crawl: it writes nothing more, and the next run collects the rest."""
    ledger = run.ledger

    def failed(exc: BaseException) -> None:
        if isinstance(exc, LockLost):
            key, reason, what = "lock_lost", "lock lost", "lost the run lock"
        elif isinstance(exc, StateUnavailable):
            key, reason, what = "state_unavailable", "state unavailable", "lost its state"
        elif isinstance(exc, OSError):
            key, reason, what = "internal_errors", "output failed", f"could not write {ledger.output}"
        else:
            key, reason, what = "internal_errors", "state failed", "could not record in its state"
        run.stats.inc_value(f"pressbot/{key}")
        logger.error(
            "pressbot %s (%s): it writes nothing more and stops; the next run collects the rest",
            what,
            exc,
        )
        for source in run.profiles:
            # Distributed: no worker may end the walk. (Redis gone too: it stays open anyway.)
            with contextlib.suppress(Exception):
                run.track(source, 0, dirty=True)
        engine = getattr(crawler, "_engine", None)  # (None before the crawl starts)
        if not run.closed and engine is not None and engine.spider is not None:
            deferred_from_coro(engine.close_spider_async(reason=reason)).addErrback(lambda _: None)

    ledger.on_failure = failed
    if ledger.batch_seconds <= 0:
        return  # every record is flushed as it comes

    def tick() -> None:
        if run.closed:
            return
        if ledger.unflushed and ledger.failure is None:
            with contextlib.suppress(LedgerFailed):  # failed() said it
                ledger.flush()
        if run.tracker is not None:
            try:
                run.tracker.flush()  # (what the flush made durable, and the pages since)
            except Exception as exc:  # Redis gone: kept, and told at the next tick
                logger.warning("pressbot could not record the run's counts in Redis: %s", exc)

    timers: list[Any] = []  # made when the engine starts: it needs the reactor (or loop)

    def start() -> None:
        timers.append(create_looping_call(tick))
        timers[0].start(ledger.batch_seconds / 2, now=False)

    def stop() -> None:
        if timers and timers[0].running:
            timers[0].stop()

    crawler.signals.connect(start, signal=signals.engine_started, weak=False)
    crawler.signals.connect(stop, signal=signals.engine_stopped, weak=False)
