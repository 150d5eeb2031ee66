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
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

from pressbot.dates import DateProblem, parse_date
from pressbot.items import canonical_url, release_id, run_key, same_content
from pressbot.normalise import normalise
from pressbot.parsing import Listing, check_listing
from pressbot.profiles import Profile
from pressbot.state import Seen
from pressbot.structure import same_template


class Stop(enum.Enum):
    """Why a walk of a listing ended.

    ``complete``: the walk reached a genuine end of the listing, on a page read whole, or the
    releases already collected; only then may the next run stop as soon as it is caught up. Any
    other stop makes the next run walk the whole listing again. ``short``: the walk ended before
    the archive's end through a fault or a trap, not the operator's choice (``-a max_pages``,
    ``-a since``): the run's exit status is then not 0. ``severity`` orders the stops of one
    source's several walks (the worst is reported); ``level`` is how the stop is logged.
    """

    END_OF_ARCHIVE = ("end of archive", True, False, 0, logging.INFO)
    CAUGHT_UP = ("caught up", True, False, 1, logging.INFO)
    PAGE_LIMIT = ("page limit", True, False, 1, logging.INFO)
    RUN_PAGE_LIMIT = ("run page limit", False, False, 2, logging.INFO)
    DATE_LIMIT = ("date limit", False, False, 2, logging.INFO)
    #: A trap: the next link leads back to a page this walk read already.
    LOOP = ("pagination loop", False, True, 3, logging.ERROR)
    #: A trap: the next link leads off the source's site.
    OFF_SITE = ("next page off the site", False, True, 3, logging.ERROR)
    #: A guard (robots.txt, the size cap, the redirect limit, the destination guard) refused a
    #: listing page.
    REFUSED = ("listing page refused", False, True, 3, logging.ERROR)
    #: The last page read has no next link, but it was cut short: its end is not the archive's.
    TRUNCATED = ("listing page cut short", False, True, 3, logging.ERROR)
    #: A template walk's page past the first came back empty, or 404, but is not the listing's
    #: own page (a one-off error, an empty body, a maintenance notice).
    NOT_AN_END = ("template page is not the listing's end", False, True, 3, logging.ERROR)
    #: A listing page redirected back to a page already requested: the duplicate filter
    #: dropped it.
    DROPPED = ("listing page dropped as a duplicate", False, True, 3, logging.ERROR)
    DRIFT = ("drift", False, True, 4, logging.ERROR)
    #: No profile, and the first page is not a listing pressbot is sure of (pressbot.discover).
    UNDETECTED = ("no listing detected", False, True, 4, logging.ERROR)
    ERROR = ("error", False, True, 5, logging.ERROR)

    def __init__(self, label: str, complete: bool, short: bool, severity: int, level: int) -> None:
        self.label, self.complete, self.short = label, complete, short
        self.severity, self.level = severity, level

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
    #: An incremental walk is caught up after this many known releases in a row (0: off),
    #: or a whole page of known releases...
    known_in_a_row: int = 5
    #: ...and then reads this many pages more, so edits to recent releases are seen.
    overlap_pages: int = 1


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
    #: The page on which the walk was first caught up (it then reads the overlap), or None.
    caught_up_page: int | None = None
    #: Releases already listed on an earlier page of this walk (pinned posts repeat); kept by
    #: incremental walks only, the only ones that read it.
    listed: set[int | str] = field(default_factory=set)  # (by pressbot.items.run_key: less memory)
    #: The template fingerprint of the walk's first page (pressbot.structure).
    first_page: frozenset[str] | None = None
    #: Whether the walk's first page ended as a whole document (pressbot.structure.read_whole).
    first_ends: bool | None = None
    #: A template walk's page that looked like the end, waiting for the page after it.
    suspected_end: int | None = None

    @property
    def mode(self) -> str:
        return "incremental" if self.incremental else "full"

    def ask(self, url: str) -> None:
        """A listing page is about to be requested."""
        self.visited.add(canonical_url(url))

    def advance(self, step: Step) -> None:
        """Take a step's outcome into the walk."""
        self.known_streak = step.known_streak
        self.caught_up_page = step.caught_up_page
        self.suspected_end = step.suspected_end
        if self.incremental:  # (only an incremental walk reads it: it grows with the archive)
            self.listed.update(map(run_key, step.listed))
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
    #: The ids of releases the state holds as the listing gives them (each listed once on the
    #: page): nothing to write or fetch. (Through Scrapy's item path, each would cost a tenth
    #: of a millisecond, to be dropped as a duplicate.)
    unchanged: list[str] = field(default_factory=list)
    #: The next listing page to request, or None when the walk stops here.
    next_url: str | None = None
    stop: Stop | None = None
    #: Why the page says the profile's selectors no longer fit the site.
    drift: list[str] = field(default_factory=list)
    traps: list[Trap] = field(default_factory=list)
    known_streak: int = 0
    caught_up_page: int | None = None
    #: A template walk's page that looked like the end, waiting for the page after it.
    suspected_end: int | None = None
    #: The page's release ids, for the walk's memory of what it listed.
    listed: list[str] = field(default_factory=list)
    #: Why the walk ended short, or (with no stop) why it cannot be complete though it goes on
    #: (a page cut short, a page that failed before this one): for the run summary.
    problem: str | None = None


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
    *,
    whole: bool = True,
    template: frozenset[str] | None = None,
) -> Step:
    """Decide what listing page ``page_no`` of ``profile`` gives, and where the walk goes next.

    ``known``: what the state knows of the page's releases, looked up before any is written.
    ``whole``: whether the page was read to its end (pressbot.structure.read_whole);
    ``template``: its fingerprint, given for the first page and for an empty one.
    """
    ids = entry_ids(profile, listing)
    out = Step(
        known_streak=walk.known_streak, caught_up_page=walk.caught_up_page, listed=[i for i in ids if i]
    )
    # An empty page after the first ends a template walk (that is how such archives end), but
    # only the listing's own page, read whole; anywhere else, too few entries means the
    # selectors no longer fit the site.
    empty_template_page = profile.pagination == "template" and page_no > 1 and not listing.entries
    # It looks like the end if it is the listing's own page (its site's template; any JSON or
    # XML page that parses) read whole. The page after it confirms: an end is a page with no
    # entries followed by another (or a 404); one that is followed by entries was a fault.
    looks_like_end = (
        empty_template_page
        and whole
        and (profile.format != "html" or same_template(template or frozenset(), walk.first_page))
    )
    out.suspected_end = walk.suspected_end
    if walk.suspected_end is not None and listing.entries:
        gap = walk.suspected_end
        out.problem = f"page {gap} had no entries, but page {page_no} after it has: page {gap} failed"
        out.suspected_end = None
    if not empty_template_page:
        out.drift = check_listing(listing, profile)

    older = [_before(profile, e, options.since) for e in listing.entries]
    # A page cut short may have cut its last entry too (half a teaser): that one waits for the
    # next run, which walks again anyway, rather than be written with a guessed end.
    last = len(listing.entries) - 1 if not whole else -1
    unchanged = _unchanged(profile, listing, ids, known)
    # A release listed twice on the page goes to the pipelines both times, in the page's order:
    # a run keeps its first sighting (pressbot.pipelines.DeduplicatePipeline; Run.sighted).
    once = Counter(ids)
    for n, (entry, old, rid, same) in enumerate(zip(listing.entries, older, ids, unchanged, strict=True)):
        if old or n == last:
            continue
        if same and rid is not None and once[rid] == 1:
            out.unchanged.append(rid)
        elif profile.follow_detail and rid and not same:
            out.follow.append(entry)
        else:
            out.emit.append(entry)

    if walk.incremental and listing.entries:
        same_ids = {rid for rid, same in zip(ids, unchanged, strict=True) if same and rid is not None}
        _catch_up(out, profile, walk, listing, ids, page_no, known, same_ids, options)

    next_url = next_listing_url(profile, walk, listing, page_no)
    if out.drift and not listing.entries:
        out.stop = Stop.DRIFT
    elif empty_template_page and walk.suspected_end is not None:
        out.stop = Stop.END_OF_ARCHIVE  # two pages with no entries in a row: the end, confirmed
    elif empty_template_page and looks_like_end and page_no < profile.max_pages:
        out.next_url, out.suspected_end = next_url, page_no  # confirm with the page after it
    elif empty_template_page:
        out.stop = Stop.END_OF_ARCHIVE if looks_like_end else Stop.NOT_AN_END
        if not looks_like_end:
            out.problem = "an empty page that is not the listing's own page" + (
                "" if whole else ", cut short"
            )
    elif out.caught_up_page is not None and page_no - out.caught_up_page >= options.overlap_pages:
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
        out.stop = Stop.END_OF_ARCHIVE if whole else Stop.TRUNCATED
        if not whole:
            out.problem = "the page has no next link, but it was cut short"
    elif canonical_url(next_url) in walk.visited:
        out.traps.append(Trap(next_url, "pagination loops back to a page already read"))
        out.stop = Stop.LOOP
    elif not on_site(next_url, profile):
        out.traps.append(Trap(next_url, "next page is on another site"))
        out.stop = Stop.OFF_SITE
    else:
        out.next_url = next_url
    if out.stop in (Stop.END_OF_ARCHIVE, Stop.PAGE_LIMIT) and out.caught_up_page is not None:
        out.stop = Stop.CAUGHT_UP  # caught up, and the overlap ran out of pages: say the former
    if not whole and out.problem is None:
        out.problem = (
            "the page was cut short (it does not end as the walk's first page did); "
            "its last entry waits for the next run"
        )
    if out.traps and out.problem is None:
        out.problem = f"{out.traps[0].problem}: {out.traps[0].url}"
    return out


def _catch_up(
    out: Step,
    profile: Profile,
    walk: WalkState,
    listing: Listing,
    ids: list[str | None],
    page_no: int,
    known: Mapping[str, Seen],
    same: set[str],
    options: WalkOptions,
) -> None:
    """Whether an incremental walk is caught up with what it collected before.

    Known releases in a row count only where they are unchanged (an edited release, or one
    still waiting for its release page, is not caught up with), in the listing's newest-first
    order, and not listed already on an earlier page: pinned posts (old, at the top of every
    page) must not make a walk stop before the new releases under them. A new release on a page
    read after the walk was caught up (the overlap) starts the count over.
    """
    days = [_day(profile, e) for e in listing.entries]
    newest_after: list[str | None] = [None] * len(days)
    newest: str | None = None
    for i in range(len(days) - 1, -1, -1):
        newest_after[i] = newest
        day = days[i]
        if day is not None and (newest is None or day > newest):
            newest = day
    streak, caught = walk.known_streak, False
    before = [rid is not None and run_key(rid) in walk.listed for rid in ids]  # on an earlier page
    for rid, day, later, repeated in zip(ids, days, newest_after, before, strict=True):
        if repeated or (day is not None and later is not None and later > day):
            continue  # repeated from an earlier page, or out of date order: pinned
        streak = streak + 1 if rid in same else 0
        if options.known_in_a_row and streak >= options.known_in_a_row:
            caught = True
    out.known_streak = streak
    if all(i in same for i in ids):
        caught = True
    fresh = [i for i, repeated in zip(ids, before, strict=True) if i and i not in known and not repeated]
    if walk.caught_up_page is not None and fresh:
        out.caught_up_page = None  # new releases past the point it was caught up: go on
    elif caught and out.caught_up_page is None:
        out.caught_up_page = page_no


@dataclass
class Failure:
    """What a page that could not be read decides."""

    stop: Stop | None = None
    trap: Trap | None = None
    #: A failure to report with the page's URL; ``failed``: one that makes the run's exit
    #: status say pages failed (a release page that is gone, 404 or 410, is only reported).
    error: str | None = None
    failed: bool = False
    #: A release page failed: write its release as the listing describes it, with this as
    #: its ``detail_error`` (the next run fetches the page again).
    detail_error: str | None = None
    #: A template walk's page that looks like the end: ask for the page after it to confirm.
    next_url: str | None = None
    suspected_end: int | None = None


#: Statuses of a release page that is gone rather than failing: reported, never retried.
GONE = (404, 410)


def after_failure(
    profile: Profile,
    kind: str,
    url: str,
    page_no: int,
    status: int | None,
    refused: bool,
    message: str,
    *,
    end_page: bool = False,
    walk: WalkState | None = None,
) -> Failure:
    """Decide what a failed ``kind`` ("listing" or "detail") page means for the walk.

    ``status``: the HTTP status of the response that failed, None when none came back;
    ``refused``: a guard (robots.txt, the size cap, the redirect limit, the destination guard)
    dropped the request; ``end_page``: the response, a 404 of a template walk's page past the
    first, is the listing's own page with no entries (as WordPress answers /page/N+1/), which
    the page after it confirms as the end (another 404, or no entries).
    """
    what = f"HTTP {status}" if status is not None else (message or "request refused")
    if kind == "listing":
        template_past_first = profile.pagination == "template" and page_no > 1
        if status == 404 and template_past_first and walk is not None and walk.suspected_end is not None:
            return Failure(stop=Stop.END_OF_ARCHIVE)  # the page after a suspected end: confirmed
        if status == 404 and template_past_first and end_page and page_no < profile.max_pages:
            probe = walk is not None and next_listing_url(profile, walk, Listing(url=url), page_no)
            if probe:
                return Failure(next_url=probe, suspected_end=page_no)
        if status == 404 and template_past_first and end_page:
            return Failure(stop=Stop.END_OF_ARCHIVE)
        if refused and status is None:
            return Failure(stop=Stop.REFUSED, trap=Trap(url, what), error=_refused(what), failed=True)
        return Failure(stop=Stop.ERROR, error=what, failed=True)
    # A release page: the release itself is good, keep what its listing entry says.
    if refused and status is None:
        return Failure(trap=Trap(url, what), detail_error=_refused(what))
    return Failure(error=what, failed=status not in GONE, detail_error=what)


def _refused(what: str) -> str:
    return what if what.lower().startswith("refused") else f"refused: {what}"


def next_listing_url(profile: Profile, walk: WalkState, listing: Listing, page_no: int) -> str | None:
    """The listing page after ``page_no``, as the profile's pagination finds it."""
    if profile.pagination == "template" and profile.template is not None:
        n = profile.first + page_no * profile.step
        return urljoin(profile.base_url, profile.template.replace("{n}", str(n)))
    if profile.pagination == "pager":
        # A numbered pager: the first page link not read yet (pagers list pages in order).
        return next((u for u in listing.next_urls if canonical_url(u) not in walk.visited), None)
    return listing.next_urls[0] if listing.next_urls else None


def join_url(base: str, href: str) -> str | None:
    """``href`` made absolute against ``base``; None when it cannot be read as a URL."""
    try:
        return urljoin(base, href) if href else None
    except ValueError:
        return None


def same_page(a: str, b: str) -> bool:
    """Whether two URLs name the same page written differently: http or https, with or
    without ``www.``, a trailing slash, the host's case, the query's order."""

    def key(url: str) -> tuple[str, str, str]:
        parts = urlsplit(canonical_url(url))
        host = (parts.hostname or "").lower().removeprefix("www.")
        return host, parts.path.rstrip("/") or "/", parts.query

    try:
        return key(a) == key(b)
    except ValueError:
        return False


def on_site(url: str, profile: Profile) -> bool:
    """Whether ``url`` is on the source's site (its allowed domains, else its start scheme)."""
    if not profile.allowed_domains:
        return urlsplit(url).scheme == urlsplit(profile.start_urls[0]).scheme
    host = (urlsplit(url).hostname or "").lower()
    return any(host == d or host.endswith("." + d) for d in profile.allowed_domains)


def _unchanged(
    profile: Profile, listing: Listing, ids: list[str | None], known: Mapping[str, Seen]
) -> list[bool]:
    """For each entry of the page, whether the state holds its release as the entry gives it."""
    return [
        rid is not None and rid in known and not _changed(entry, profile, known[rid])
        for rid, entry in zip(ids, listing.entries, strict=True)
    ]


def _changed(entry: dict, profile: Profile, seen: Seen | None) -> bool:
    """A release is new, or its listing entry changed: its release page is worth fetching."""
    return seen is None or not same_content(seen.hash, normalise(entry, profile))


def _day(profile: Profile, entry: dict) -> str | None:
    """The entry's ISO day: the one its listing page settled (pressbot.normalise's
    read_listing_dates), else the one its printed date says; None where neither can be read
    (never guessed)."""
    if entry.get("published"):
        return entry["published"]
    raw = entry.get("published_raw")
    if not raw:
        return None
    try:
        return parse_date(
            raw,
            profile.date_formats,
            profile.date_languages,
            profile.date_order,
            pattern=profile.date_pattern,
        )
    except DateProblem:
        return None


#: The entry's ISO day as the walk reads it, or None (the run's progress lines say it too).
entry_day = _day


def _before(profile: Profile, entry: dict, since: dt.date | None) -> bool:
    if since is None:
        return False
    day = _day(profile, entry)  # unreadable: let the pipelines report it; never drop on a guess
    return day is not None and day < since.isoformat()
