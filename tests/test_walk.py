"""The walk's decisions as tables, no reactor: every stop, every trap, since and page limits, the
known streak, template ends and failed pages."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from pressbot.items import content_hash, release_id, run_key
from pressbot.normalise import normalise
from pressbot.parsing import Listing
from pressbot.profiles import load_sources
from pressbot.state import Seen
from pressbot.walk import Stop, Trap, WalkOptions, WalkState, after_failure, entry_ids, step

BASE = "https://press.example.org/"
NEWS = BASE + "news/"
PROFILE = dataclasses.replace(
    load_sources("amnesty-ca", "https://press.example.org")[0],
    base_url=BASE,
    start_urls=(NEWS,),
    allowed_domains=("press.example.org",),
    max_pages=50,
)
TEMPLATE = dataclasses.replace(PROFILE, pagination="template", template="news?page={n}", first=0)
PAGER = dataclasses.replace(PROFILE, pagination="pager")
DETAIL = dataclasses.replace(PROFILE, follow_detail=True)


def entry(n: int, day: str | None = "2020-07-15") -> dict:
    return {
        "title": f"Release {n}",
        "url": f"{NEWS}r{n}.html",
        "published_raw": day and dt.date.fromisoformat(day).strftime("%B %d, %Y"),
        "summary": None,
        "subtitle": None,
    }


def listing(numbers=range(10), next_urls=(NEWS + "page-2.html",), day="2020-07-15") -> Listing:
    return Listing(url=NEWS, entries=[entry(n, day) for n in numbers], next_urls=list(next_urls))


def seen(profile, *numbers, changed: bool = False) -> dict[str, Seen]:
    out = {}
    for n in numbers:
        e = entry(n)
        rid = release_id(profile.name, profile.base_url, e["url"])
        digest = "stale" if changed else content_hash(normalise(e, profile))
        out[rid] = Seen(rid, profile.name, digest, 1)
    return out


def known_as_listed(profile, page: Listing, numbers) -> dict[str, Seen]:
    """What the state holds of these releases when it stored them as ``page`` lists them."""
    out = {}
    for e in page.entries:
        if int(e["url"].rsplit("r", 1)[1].split(".")[0]) in numbers:
            rid = release_id(profile.name, profile.base_url, e["url"])
            out[rid] = Seen(rid, profile.name, content_hash(normalise(e, profile)), 1)
    return out


def walk(incremental: bool = False, visited=(), streak: int = 0) -> WalkState:
    return WalkState(incremental=incremental, visited=set(visited), known_streak=streak)


OPTS = WalkOptions()
NO_OVERLAP = WalkOptions(overlap_pages=0)

# (case, profile, walk state, listing, page number, known releases, options)
#   -> (stop, next url, traps' problems)
STOPS = [
    ("next link followed", PROFILE, walk(), listing(), 1, {}, OPTS, None, NEWS + "page-2.html", []),
    (
        "no next link: end of archive",
        PROFILE,
        walk(),
        listing(next_urls=()),
        1,
        {},
        OPTS,
        Stop.END_OF_ARCHIVE,
        None,
        [],
    ),
    (
        "incremental, whole page known: caught up",
        PROFILE,
        walk(True),
        listing(range(3)),
        1,
        seen(PROFILE, 0, 1, 2),
        WalkOptions(known_in_a_row=0, overlap_pages=0),
        Stop.CAUGHT_UP,
        None,
        [],
    ),
    (
        "incremental, 5 known in a row mid-page: caught up",
        PROFILE,
        walk(True),
        listing(),
        1,
        seen(PROFILE, 2, 3, 4, 5, 6),
        NO_OVERLAP,
        Stop.CAUGHT_UP,
        None,
        [],
    ),
    (
        "incremental, 4 known in a row: go on",
        PROFILE,
        walk(True),
        listing(),
        1,
        seen(PROFILE, 2, 3, 4, 5),
        OPTS,
        None,
        NEWS + "page-2.html",
        [],
    ),
    (
        "incremental, streak carried over from the last page",
        PROFILE,
        walk(True, streak=3),
        listing(),
        2,
        seen(PROFILE, 0, 1),
        NO_OVERLAP,
        Stop.CAUGHT_UP,
        None,
        [],
    ),
    (
        "known in a row off: only a whole known page stops",
        PROFILE,
        walk(True),
        listing(),
        1,
        seen(PROFILE, *range(9)),
        WalkOptions(known_in_a_row=0),
        None,
        NEWS + "page-2.html",
        [],
    ),
    (
        "full walk never stops for known releases",
        PROFILE,
        walk(False),
        listing(range(3)),
        1,
        seen(PROFILE, 0, 1, 2),
        OPTS,
        None,
        NEWS + "page-2.html",
        [],
    ),
    (
        "since: the page's last entry is older",
        PROFILE,
        walk(),
        listing(),
        1,
        {},
        WalkOptions(since=dt.date(2020, 8, 1)),
        Stop.DATE_LIMIT,
        None,
        [],
    ),
    (
        "since: every entry is newer",
        PROFILE,
        walk(),
        listing(),
        1,
        {},
        WalkOptions(since=dt.date(2020, 7, 1)),
        None,
        NEWS + "page-2.html",
        [],
    ),
    (
        "profile's page limit",
        dataclasses.replace(PROFILE, max_pages=3),
        walk(),
        listing(),
        3,
        {},
        OPTS,
        Stop.PAGE_LIMIT,
        None,
        [],
    ),
    (
        "run's page limit",
        PROFILE,
        walk(),
        listing(),
        2,
        {},
        WalkOptions(max_pages=2),
        Stop.RUN_PAGE_LIMIT,
        None,
        [],
    ),
    (
        "profile's limit before the run's",
        dataclasses.replace(PROFILE, max_pages=2),
        walk(),
        listing(),
        2,
        {},
        WalkOptions(max_pages=2),
        Stop.PAGE_LIMIT,
        None,
        [],
    ),
    (
        "trap: next link back to a page read",
        PROFILE,
        walk(visited=[NEWS + "page-2.html"]),
        listing(),
        2,
        {},
        OPTS,
        Stop.LOOP,
        None,
        ["pagination loops back to a page already read"],
    ),
    (
        "trap: next link back, differently written",
        PROFILE,
        walk(visited=[NEWS + "list?a=1&b=2"]),
        listing(next_urls=[NEWS + "list?b=2&a=1#top"]),
        2,
        {},
        OPTS,
        Stop.LOOP,
        None,
        ["pagination loops back to a page already read"],
    ),
    (
        "trap: next link off the site",
        PROFILE,
        walk(),
        listing(next_urls=["https://evil.test/p2"]),
        1,
        {},
        OPTS,
        Stop.OFF_SITE,
        None,
        ["next page is on another site"],
    ),
    (
        "a subdomain is on the site",
        PROFILE,
        walk(),
        listing(next_urls=["https://www.press.example.org/p2"]),
        1,
        {},
        OPTS,
        None,
        "https://www.press.example.org/p2",
        [],
    ),
    ("no entries on a page: drift", PROFILE, walk(), listing(range(0)), 1, {}, OPTS, Stop.DRIFT, None, []),
    (
        "template: next page from the template",
        TEMPLATE,
        walk(),
        listing(next_urls=()),
        1,
        {},
        OPTS,
        None,
        BASE + "news?page=1",
        [],
    ),
    (
        "template: page 3 is page=2 (first = 0)",
        TEMPLATE,
        walk(),
        listing(next_urls=()),
        3,
        {},
        OPTS,
        None,
        BASE + "news?page=3",
        [],
    ),
    (
        "template: an empty page unlike the first is not the end",
        TEMPLATE,
        walk(),
        listing(range(0)),
        4,
        {},
        OPTS,
        Stop.NOT_AN_END,
        None,
        [],
    ),
    (
        "template: an empty first page is drift",
        TEMPLATE,
        walk(),
        listing(range(0)),
        1,
        {},
        OPTS,
        Stop.DRIFT,
        None,
        [],
    ),
    (
        "pager: the first page link not read yet",
        PAGER,
        walk(visited=[NEWS + "p1", NEWS + "p2"]),
        listing(next_urls=[NEWS + "p1", NEWS + "p2", NEWS + "p3", NEWS + "p4"]),
        2,
        {},
        OPTS,
        None,
        NEWS + "p3",
        [],
    ),
    (
        "pager: every page read is the end",
        PAGER,
        walk(visited=[NEWS + "p1", NEWS + "p2"]),
        listing(next_urls=[NEWS + "p1", NEWS + "p2"]),
        2,
        {},
        OPTS,
        Stop.END_OF_ARCHIVE,
        None,
        [],
    ),
]


@pytest.mark.parametrize(
    ("profile", "state", "page", "page_no", "known", "options", "stop", "next_url", "traps"),
    [c[1:] for c in STOPS],
    ids=[c[0] for c in STOPS],
)
def test_step_stops(profile, state, page, page_no, known, options, stop, next_url, traps):
    decided = step(profile, state, page, page_no, known, options)
    assert decided.stop is stop
    assert decided.next_url == next_url
    assert [t.problem for t in decided.traps] == traps
    if traps:
        assert decided.traps[0].url == page.next_urls[0]


def test_step_reads_the_state_and_leaves_it_alone():
    state = walk(True, visited=[NEWS], streak=2)
    before = dataclasses.replace(state, visited=set(state.visited))
    step(PROFILE, state, listing(), 1, seen(PROFILE, 0, 1, 2), OPTS)
    assert state == before


def test_advance_takes_the_step_into_the_walk():
    state = walk(True, visited=[NEWS])
    decided = step(PROFILE, state, listing(), 1, seen(PROFILE, 8, 9), OPTS)
    state.advance(decided)
    assert state.known_streak == 2 and NEWS + "page-2.html" in state.visited
    page2 = listing(range(10, 20), next_urls=[NEWS + "page-3.html"])
    state.advance(step(PROFILE, state, page2, 2, seen(PROFILE, 10, 11, 12), NO_OVERLAP))
    assert state.stop is Stop.CAUGHT_UP


def test_drift_in_some_entries_is_reported_and_the_walk_goes_on():
    page = listing()
    for e in page.entries[:6]:
        e["published_raw"] = None
    page.missing = {"published_raw": 6}
    decided = step(PROFILE, walk(), page, 1, {}, OPTS)
    assert decided.stop is None and decided.next_url == NEWS + "page-2.html"
    assert len(decided.drift) == 1 and "6 of 10" in decided.drift[0]


def test_since_skips_older_entries_but_a_sticky_old_post_does_not_stop_the_walk():
    page = listing(range(4))
    page.entries[0] = entry(0, "2019-01-01")  # pinned at the top
    decided = step(PROFILE, walk(), page, 1, {}, WalkOptions(since=dt.date(2020, 1, 1)))
    assert decided.stop is None
    assert [e["title"] for e in decided.emit] == ["Release 1", "Release 2", "Release 3"]


def test_since_never_drops_an_entry_on_an_unreadable_date():
    page = listing(range(2))
    page.entries[1]["published_raw"] = "sometime soon"
    decided = step(PROFILE, walk(), page, 1, {}, WalkOptions(since=dt.date(2020, 8, 1)))
    assert [e["title"] for e in decided.emit] == ["Release 1"]
    assert decided.stop is None  # the last entry's date is unknown, not old


def test_every_entry_is_emitted_followed_or_passed_over_as_unchanged_once():
    known = seen(PROFILE, 0, 1)
    decided = step(PROFILE, walk(True), listing(), 1, known, OPTS)
    assert [e["title"] for e in decided.emit] == [f"Release {n}" for n in range(2, 10)]
    assert decided.unchanged == list(known)
    assert decided.follow == []


def test_a_known_release_whose_entry_changed_is_written_again():
    decided = step(PROFILE, walk(True), listing(range(3)), 1, seen(PROFILE, 1, changed=True), OPTS)
    assert [e["title"] for e in decided.emit] == ["Release 0", "Release 1", "Release 2"]
    assert decided.unchanged == []


def test_a_release_listed_twice_on_a_page_goes_to_the_pipelines_both_times():
    # (A "Featured" box and its own entry: the pipelines keep the first, in the page's order.)
    page = listing([0, 1, 0])
    known = seen(PROFILE, 0, 1)
    decided = step(PROFILE, walk(True), page, 1, known, OPTS)
    assert decided.unchanged == [list(known)[1]]
    assert [e["title"] for e in decided.emit] == ["Release 0", "Release 0"]


def test_release_pages_are_fetched_for_new_and_changed_releases_only():
    known = {**seen(DETAIL, 0, 1), **seen(DETAIL, 2, changed=True)}
    page = listing(range(4))
    page.entries.append({**entry(4), "url": None})  # no link: emitted, validation drops it
    decided = step(DETAIL, walk(), page, 1, known, OPTS)
    assert [e["title"] for e in decided.follow] == ["Release 2", "Release 3"]
    assert [e["title"] for e in decided.emit] == ["Release 4"]
    assert decided.unchanged == list(seen(DETAIL, 0, 1))


def test_entry_ids_are_the_release_ids():
    page = listing(range(2))
    page.entries.append({**entry(2), "url": None})
    assert entry_ids(PROFILE, page) == [
        release_id(PROFILE.name, BASE, NEWS + "r0.html"),
        release_id(PROFILE.name, BASE, NEWS + "r1.html"),
        None,
    ]


# (case, profile, kind, page number, status, refused, message, the listing's own end page)
#   -> (stop, trap problem, error, fails the run, detail_error)
FAILURES = [
    (
        "template page past the first: a 404 that is the listing's own page",
        TEMPLATE,
        "listing",
        3,
        404,
        False,
        "",
        True,
        Stop.END_OF_ARCHIVE,
        None,
        None,
        False,
        None,
    ),
    (
        "template page past the first: a one-off 404",
        TEMPLATE,
        "listing",
        3,
        404,
        False,
        "",
        False,
        Stop.ERROR,
        None,
        "HTTP 404",
        True,
        None,
    ),
    (
        "template's first page answers 404",
        TEMPLATE,
        "listing",
        1,
        404,
        False,
        "",
        True,
        Stop.ERROR,
        None,
        "HTTP 404",
        True,
        None,
    ),
    (
        "a next-link page answers 404",
        PROFILE,
        "listing",
        3,
        404,
        False,
        "",
        True,
        Stop.ERROR,
        None,
        "HTTP 404",
        True,
        None,
    ),
    (
        "listing page 503 after retries",
        PROFILE,
        "listing",
        2,
        503,
        False,
        "",
        False,
        Stop.ERROR,
        None,
        "HTTP 503",
        True,
        None,
    ),
    (
        "listing page times out",
        PROFILE,
        "listing",
        2,
        None,
        False,
        "TimeoutError",
        False,
        Stop.ERROR,
        None,
        "TimeoutError",
        True,
        None,
    ),
    (
        "listing page refused by robots.txt",
        PROFILE,
        "listing",
        2,
        None,
        True,
        "Forbidden by robots.txt",
        False,
        Stop.REFUSED,
        "Forbidden by robots.txt",
        "refused: Forbidden by robots.txt",
        True,
        None,
    ),
    (
        "release page refused: keep the listing's entry",
        DETAIL,
        "detail",
        1,
        None,
        True,
        "",
        False,
        None,
        "request refused",
        None,
        False,
        "refused: request refused",
    ),
    (
        "release page 500: kept, reported, fails the run",
        DETAIL,
        "detail",
        1,
        500,
        False,
        "",
        False,
        None,
        None,
        "HTTP 500",
        True,
        "HTTP 500",
    ),
    (
        "release page gone (404): kept, reported only",
        DETAIL,
        "detail",
        1,
        404,
        False,
        "",
        False,
        None,
        None,
        "HTTP 404",
        False,
        "HTTP 404",
    ),
    (
        "release page times out: kept",
        DETAIL,
        "detail",
        1,
        None,
        False,
        "TimeoutError",
        False,
        None,
        None,
        "TimeoutError",
        True,
        "TimeoutError",
    ),
]


@pytest.mark.parametrize(
    (
        "profile",
        "kind",
        "page_no",
        "status",
        "refused",
        "message",
        "end_page",
        "stop",
        "trap",
        "error",
        "failed",
        "detail_error",
    ),
    [c[1:] for c in FAILURES],
    ids=[c[0] for c in FAILURES],
)
def test_after_failure(
    profile, kind, page_no, status, refused, message, end_page, stop, trap, error, failed, detail_error
):
    url = NEWS + "page-x.html"
    decided = after_failure(profile, kind, url, page_no, status, refused, message, end_page=end_page)
    assert decided.stop is stop
    assert decided.trap == (Trap(url, trap) if trap else None)
    assert (decided.error, decided.failed, decided.detail_error) == (error, failed, detail_error)


def test_which_stops_are_complete_and_which_end_a_walk_short():
    assert {s.label for s in Stop if s.complete} == {"end of archive", "caught up", "page limit"}
    # The operator's own limits leave the walk open, but are not faults.
    assert {s.label for s in Stop if not s.complete and not s.short} == {"run page limit", "date limit"}
    assert Stop.LOOP.short and Stop.REFUSED.short and Stop.TRUNCATED.short and Stop.DROPPED.short


def test_the_worst_stop_of_a_source_is_reported():
    assert Stop.END_OF_ARCHIVE.worst(None) is Stop.END_OF_ARCHIVE
    assert Stop.CAUGHT_UP.worst(Stop.END_OF_ARCHIVE) is Stop.CAUGHT_UP
    assert Stop.END_OF_ARCHIVE.worst(Stop.CAUGHT_UP) is Stop.CAUGHT_UP
    assert Stop.ERROR.worst(Stop.DRIFT) is Stop.ERROR
    assert Stop.CAUGHT_UP.worst(Stop.RUN_PAGE_LIMIT) is Stop.RUN_PAGE_LIMIT
    assert all(Stop.from_label(s.label) is s for s in Stop)
    assert Stop.from_label("no such stop") is None and Stop.from_label(None) is None


# --- walks that end short -----------------------------------------------------------------
SITE = frozenset({"div#page", "header.site", "nav.menu", "footer.site", "div.view", "ul.pager"})
FIRST = SITE | {"article.teaser", "h2.title", "p.lede"}


def test_template_walk_ends_on_the_listings_own_empty_page_once_the_next_confirms():
    state = walk()
    state.first_page = FIRST
    decided = step(TEMPLATE, state, listing(range(0)), 4, {}, OPTS, template=SITE | {"p.empty"})
    # It looks like the end: the page after it is asked for, to be sure.
    assert decided.stop is None and decided.drift == [] and decided.suspected_end == 4
    assert decided.next_url == BASE + "news?page=4"
    state.advance(decided)
    confirmed = step(TEMPLATE, state, listing(range(0)), 5, {}, OPTS, template=SITE)
    assert confirmed.stop is Stop.END_OF_ARCHIVE and confirmed.problem is None


def test_an_empty_template_page_followed_by_entries_was_a_fault():
    state = walk()
    state.first_page = FIRST
    state.advance(step(TEMPLATE, state, listing(range(0)), 3, {}, OPTS, template=SITE))
    decided = step(TEMPLATE, state, listing(range(20, 30), next_urls=()), 4, {}, OPTS)
    assert decided.stop is None and decided.next_url == BASE + "news?page=4"
    assert len(decided.emit) == 10  # the page's releases are collected this run
    assert decided.problem == "page 3 had no entries, but page 4 after it has: page 3 failed"
    assert decided.suspected_end is None


def test_a_404_after_a_suspected_end_confirms_it_and_a_first_one_asks_for_the_next():
    state = walk()
    first = after_failure(TEMPLATE, "listing", NEWS, 3, 404, False, "", end_page=True, walk=state)
    assert first.stop is None and first.suspected_end == 3 and first.next_url == BASE + "news?page=3"
    state.suspected_end = 3
    second = after_failure(TEMPLATE, "listing", NEWS, 4, 404, False, "", walk=state)
    assert second.stop is Stop.END_OF_ARCHIVE


@pytest.mark.parametrize(
    ("whole", "template", "why"),
    [
        (False, SITE, "cut short"),  # the site's page, but not all of it
        (True, frozenset({"p.maintenance", "div.notice", "h1.down", "span.x", "div.y"}), ""),
    ],
    ids=["cut-short", "another-page"],
)
def test_an_empty_template_page_that_is_not_the_listing_is_no_end(whole, template, why):
    state = walk()
    state.first_page = FIRST
    decided = step(TEMPLATE, state, listing(range(0)), 3, {}, OPTS, whole=whole, template=template)
    assert decided.stop is Stop.NOT_AN_END and not decided.stop.complete
    assert "not the listing's own page" in decided.problem and why in decided.problem


def test_a_page_cut_short_with_a_next_link_goes_on_but_the_walk_cannot_be_complete():
    decided = step(PROFILE, walk(), listing(), 2, {}, OPTS, whole=False)
    assert decided.stop is None and decided.next_url == NEWS + "page-2.html"
    assert "cut short" in decided.problem


def test_a_last_page_cut_short_is_no_end():
    decided = step(PROFILE, walk(), listing(next_urls=()), 2, {}, OPTS, whole=False)
    assert decided.stop is Stop.TRUNCATED and "cut short" in decided.problem


def test_traps_say_what_and_where():
    decided = step(PROFILE, walk(), listing(next_urls=["https://evil.test/p2"]), 1, {}, OPTS)
    assert decided.problem == "next page is on another site: https://evil.test/p2"


# --- incremental stops: pinned posts, the overlap -----------------------------------------
def pinned_listing(pinned=range(100, 105), new=range(0, 10)) -> Listing:
    """Five old releases pinned at the top of the page, then the page's own, newest first."""
    page = Listing(url=NEWS, next_urls=[NEWS + "page-2.html"])
    page.entries = [entry(n, f"2019-01-{n - 99:02d}") for n in pinned]
    page.entries += [entry(n, f"2020-07-{20 - n:02d}") for n in new]
    return page


def test_pinned_old_releases_at_the_top_do_not_stop_the_walk():
    page = pinned_listing()
    known = known_as_listed(PROFILE, page, set(range(100, 105)))  # collected long ago
    decided = step(PROFILE, walk(True), page, 1, known, NO_OVERLAP)
    assert decided.stop is None and decided.known_streak == 0


def test_releases_repeated_from_an_earlier_page_do_not_count():
    state = walk(True)
    state.listed = set(map(run_key, seen(PROFILE, *range(100, 105))))  # the pins, listed on page 1 too
    known = seen(PROFILE, *range(100, 105), 0, 1)
    page = Listing(
        url=NEWS,
        entries=[entry(n) for n in (100, 101, 102, 103, 104, 0, 1, 2)],
        next_urls=[NEWS + "page-3.html"],
    )
    decided = step(PROFILE, state, page, 2, known, NO_OVERLAP)
    assert decided.stop is None and decided.known_streak == 0  # 0, 1 known, then 2 is new


@pytest.mark.parametrize("incremental", [True, False])
def test_only_an_incremental_walk_remembers_what_it_listed(incremental):
    # Only _catch_up reads it; a full walk would keep every release id of the archive for nothing.
    state = walk(incremental)
    state.advance(step(PROFILE, state, listing(), 1, {}, OPTS))
    assert state.listed == ({run_key(i) for i in entry_ids(PROFILE, listing())} if incremental else set())


def test_an_edited_or_incomplete_release_is_not_caught_up_with():
    page = listing()
    known = {**seen(PROFILE, *range(10)), **seen(PROFILE, 3, changed=True)}
    options = WalkOptions(known_in_a_row=7, overlap_pages=0)
    decided = step(PROFILE, walk(True), page, 1, known, options)
    # 4..9: the streak broke at 3; and a page with an edited release is not a known page
    assert decided.stop is None and decided.known_streak == 6


def test_caught_up_after_the_pins_when_the_page_is_known():
    page = pinned_listing()
    known = known_as_listed(PROFILE, page, {*range(100, 105), *range(5)})
    decided = step(PROFILE, walk(True), page, 1, known, NO_OVERLAP)
    assert decided.stop is Stop.CAUGHT_UP


def test_the_overlap_reads_one_page_past_the_point_it_was_caught_up():
    state = walk(True)
    first = step(PROFILE, state, listing(), 1, seen(PROFILE, *range(10)), OPTS)
    assert first.stop is None and first.caught_up_page == 1 and first.next_url
    state.advance(first)
    edited = {**seen(PROFILE, *range(10, 20)), **seen(DETAIL, 12, changed=True)}
    second = step(PROFILE, state, listing(range(10, 20)), 2, edited, OPTS)
    assert second.stop is Stop.CAUGHT_UP
    # The overlap's edited release is written again; the others are passed over, unchanged.
    assert [e["title"] for e in second.emit] == ["Release 12"]
    assert len(second.unchanged) == 9


def test_a_new_release_in_the_overlap_starts_the_count_over():
    state = walk(True)
    state.advance(step(PROFILE, state, listing(), 1, seen(PROFILE, *range(10)), OPTS))
    page2 = listing(range(10, 20), next_urls=[NEWS + "page-3.html"])
    decided = step(PROFILE, state, page2, 2, seen(PROFILE, *range(10, 19)), OPTS)
    assert decided.stop is None and decided.caught_up_page is None
    assert decided.next_url == NEWS + "page-3.html"


def test_a_page_cut_short_holds_its_last_entry_back():
    decided = step(PROFILE, walk(), listing(range(4)), 2, {}, OPTS, whole=False)
    assert [e["title"] for e in decided.emit] == ["Release 0", "Release 1", "Release 2"]


def test_the_day_a_listing_page_settled_is_the_walks_day():
    page = listing(range(3))
    for e in page.entries:  # printed ambiguously; the page's own dates settled them
        e["published_raw"], e["published"] = "07/06/2020", "2020-07-06"
    decided = step(PROFILE, walk(), page, 1, {}, WalkOptions(since=dt.date(2020, 8, 1)))
    assert decided.emit == [] and decided.stop is Stop.DATE_LIMIT
