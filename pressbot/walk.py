"""The walk of one source's listing: what each page gives, what to fetch next, and why it stops.

Pure decisions, no Scrapy and no I/O: the spider parses a listing page, looks its releases up in
the ledger and hands both here; ``step()`` says which entries to write, which release pages to
fetch first, and either the next listing URL or a ``Stop``. ``after_failure()`` does the same for
a page that could not be read. Tests run both as tables (tests/test_walk.py).
"""

from __future__ import annotations

import datetime as dt
import enum
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

from pressbot.dates import DateProblem, parse_date
from pressbot.items import canonical_url, content_hash, release_id
from pressbot.normalise import normalise
from pressbot.parsing import Listing, check_listing
from pressbot.profiles import Profile
from pressbot.state import Seen


class Stop(enum.Enum):
    """Why a walk of a listing ended.

    ``complete``: the walk reached the listing's end or the releases already collected, so the
    next run may stop as soon as it is caught up. Any other stop makes the next run walk the
    whole listing again. ``severity`` orders the stops of one source's several walks (the worst
    is reported); ``level`` is how the stop is logged.
    """

    END_OF_ARCHIVE = ("end of archive", True, 0, logging.INFO)
    CAUGHT_UP = ("caught up", True, 1, logging.INFO)
    PAGE_LIMIT = ("page limit", True, 1, logging.INFO)
    #: A trap: the next link leads back to a page this walk read already.
    LOOP = ("pagination loop", True, 1, logging.WARNING)
    #: A trap: the next link leads off the source's site.
    OFF_SITE = ("next page off the site", True, 1, logging.WARNING)
    #: A guard (robots.txt, the size cap, the destination guard) refused a listing page.
    REFUSED = ("listing page refused", True, 1, logging.WARNING)
    RUN_PAGE_LIMIT = ("run page limit", False, 2, logging.INFO)
    DATE_LIMIT = ("date limit", False, 2, logging.INFO)
    DRIFT = ("drift", False, 3, logging.ERROR)
    ERROR = ("error", False, 4, logging.ERROR)

    def __init__(self, label: str, complete: bool, severity: int, level: int) -> None:
        self.label, self.complete, self.severity, self.level = label, complete, severity, level

    def __str__(self) -> str:
        return self.label

    @classmethod
    def from_label(cls, label: str | None) -> Stop | None:
        return _BY_LABEL.get(label) if label else None

    def worst(self, other: Stop | None) -> Stop:
        """The stop to report for a source whose walks ended with ``self`` and ``other``."""
        return self if other is None or self.severity > other.severity else other


_BY_LABEL = {s.label: s for s in Stop}


@dataclass(frozen=True)
class WalkOptions:
    """The run's options that steer every walk."""

    #: Skip entries published before this day, and stop walking past them.
    since: dt.date | None = None
    #: Walk at most this many listing pages (the profile's max_pages applies too).
    max_pages: int | None = None
    #: An incremental walk stops after this many known releases in a row (0: off), or a
    #: whole page of known releases.
    known_in_a_row: int = 5


@dataclass
class WalkState:
    """What one source's walk has done so far in this run (``step`` only reads it)."""

    #: Whether this walk may stop once it is caught up (the previous walk was complete).
    incremental: bool
    #: Canonical URLs of the listing pages this walk asked for.
    visited: set[str] = field(default_factory=set)
    #: Known releases in a row, carried from page to page.
    known_streak: int = 0
    #: How the walk ended (the worst, when a source has several start pages), or None.
    stop: Stop | None = None

    @property
    def mode(self) -> str:
        return "incremental" if self.incremental else "full"

    def ask(self, url: str) -> None:
        """A listing page is about to be requested."""
        self.visited.add(canonical_url(url))

    def advance(self, step: Step) -> None:
        """Take a step's outcome into the walk."""
        self.known_streak = step.known_streak
        if step.next_url is not None:
            self.ask(step.next_url)
        if step.stop is not None:
            self.end(step.stop)

    def end(self, stop: Stop) -> None:
        """One of the source's walks stopped; the worst stop is the source's."""
        self.stop = stop.worst(self.stop)


@dataclass(frozen=True)
class Trap:
    """A link the walk refused to follow, and why."""

    url: str
    problem: str


@dataclass
class Step:
    """What one listing page decides."""

    #: Entries to write as the listing gives them.
    emit: list[dict] = field(default_factory=list)
    #: Entries whose release page is fetched first (new or changed releases).
    follow: list[dict] = field(default_factory=list)
    #: The next listing page to request, or None when the walk stops here.
    next_url: str | None = None
    stop: Stop | None = None
    #: Why the page says the profile's selectors no longer fit the site.
    drift: list[str] = field(default_factory=list)
    traps: list[Trap] = field(default_factory=list)
    known_streak: int = 0


def entry_ids(profile: Profile, listing: Listing) -> list[str | None]:
    """The release id of each entry (None where the entry has no URL), to look up in the state."""
    return [
        release_id(profile.name, profile.base_url, e["url"]) if e.get("url") else None
        for e in listing.entries
    ]


def step(
    profile: Profile,
    walk: WalkState,
    listing: Listing,
    page_no: int,
    known: Mapping[str, Seen],
    options: WalkOptions,
) -> Step:
    """Decide what listing page ``page_no`` of ``profile`` gives, and where the walk goes next.

    ``known``: what the state knows of the page's releases, looked up before any is written.
    """
    out = Step(known_streak=walk.known_streak)
    # An empty page after the first ends a template walk (that is how such archives end);
    # anywhere else, too few entries means the selectors no longer fit the site.
    end_of_template = profile.pagination == "template" and page_no > 1 and not listing.entries
    if not end_of_template:
        out.drift = check_listing(listing, profile)

    ids = entry_ids(profile, listing)
    caught_up = False
    if walk.incremental and listing.entries:
        streak = walk.known_streak
        for i in ids:
            streak = streak + 1 if i in known else 0
            if options.known_in_a_row and streak >= options.known_in_a_row:
                caught_up = True
        out.known_streak = streak
        caught_up = caught_up or all(i in known for i in ids)

    older = [_before(profile, e.get("published_raw"), options.since) for e in listing.entries]
    for entry, old, rid in zip(listing.entries, older, ids, strict=True):
        if old:
            continue
        if profile.follow_detail and rid and _changed(entry, profile, known.get(rid)):
            out.follow.append(entry)
        else:
            out.emit.append(entry)

    next_url = next_listing_url(profile, walk, listing, page_no)
    if out.drift and not listing.entries:
        out.stop = Stop.DRIFT
    elif end_of_template:
        out.stop = Stop.END_OF_ARCHIVE
    elif caught_up:
        out.stop = Stop.CAUGHT_UP
    # Listings run newest first: once the page's last entry predates `since`, so does every
    # later page. (The last, not the first: a sticky post at the top may be old.)
    elif older and older[-1]:
        out.stop = Stop.DATE_LIMIT
    elif page_no >= profile.max_pages:
        out.stop = Stop.PAGE_LIMIT
    elif options.max_pages and page_no >= options.max_pages:
        out.stop = Stop.RUN_PAGE_LIMIT
    elif next_url is None:
        out.stop = Stop.END_OF_ARCHIVE
    elif canonical_url(next_url) in walk.visited:
        out.traps.append(Trap(next_url, "pagination loops back to a page already read"))
        out.stop = Stop.LOOP
    elif not on_site(next_url, profile):
        out.traps.append(Trap(next_url, "next page is on another site"))
        out.stop = Stop.OFF_SITE
    else:
        out.next_url = next_url
    return out


@dataclass
class Failure:
    """What a page that could not be read decides."""

    stop: Stop | None = None
    trap: Trap | None = None
    #: The error to report (the page's entries are then collected by the next run).
    error: str | None = None
    #: A release page was refused: write its release as the listing describes it.
    keep_entry: bool = False


def after_failure(
    profile: Profile, kind: str, url: str, page_no: int, status: int | None, refused: bool, message: str
) -> Failure:
    """Decide what a failed ``kind`` ("listing" or "detail") page means for the walk.

    ``status``: the HTTP status of the response that failed, None when none came back;
    ``refused``: a guard (robots.txt, the size cap, the destination guard) dropped the request.
    """
    if kind == "listing" and status == 404 and profile.pagination == "template" and page_no > 1:
        return Failure(stop=Stop.END_OF_ARCHIVE)  # WordPress answers /page/N+1/ with 404
    if refused and status is None:
        trap = Trap(url, message or "request refused")
        if kind == "listing":
            return Failure(stop=Stop.REFUSED, trap=trap)
        # The release itself is good: keep what its listing entry says.
        return Failure(trap=trap, keep_entry=True)
    error = f"HTTP {status}" if status is not None else message
    return Failure(stop=Stop.ERROR if kind == "listing" else None, error=error)


def next_listing_url(profile: Profile, walk: WalkState, listing: Listing, page_no: int) -> str | None:
    """The listing page after ``page_no``, as the profile's pagination finds it."""
    if profile.pagination == "template" and profile.template is not None:
        n = profile.first + page_no * profile.step
        return urljoin(profile.base_url, profile.template.replace("{n}", str(n)))
    if profile.pagination == "pager":
        # A numbered pager: the first page link not read yet (pagers list pages in order).
        return next((u for u in listing.next_urls if canonical_url(u) not in walk.visited), None)
    return listing.next_urls[0] if listing.next_urls else None


def on_site(url: str, profile: Profile) -> bool:
    """Whether ``url`` is on the source's site (its allowed domains, else its start scheme)."""
    if not profile.allowed_domains:
        return urlsplit(url).scheme == urlsplit(profile.start_urls[0]).scheme
    host = (urlsplit(url).hostname or "").lower()
    return any(host == d or host.endswith("." + d) for d in profile.allowed_domains)


def _changed(entry: dict, profile: Profile, seen: Seen | None) -> bool:
    """A release is new, or its listing entry changed: its release page is worth fetching."""
    return seen is None or seen.hash != content_hash(normalise(entry, profile))


def _before(profile: Profile, raw: str | None, since: dt.date | None) -> bool:
    if since is None:
        return False
    try:
        day = parse_date(
            raw,
            profile.date_formats,
            profile.date_languages,
            profile.date_order,
            pattern=profile.date_pattern,
        )
    except DateProblem:
        return False  # let the pipelines report it; never drop on a guess
    return day < since.isoformat()
