"""The publication date of a release page without a selector: its structured signals, then htmldate.

A pure function of the page (bytes, or a tree parsed once with lxml) and its URL. Every signal
is a value the publisher put in the page for machines: JSON-LD (``@graph``, arrays, nested
objects), meta names and properties (Open Graph, Dublin Core, the publishing platforms' own),
``itemprop`` and RDFa attributes on any element, microformats, ``<time>`` inside the article
rather than anywhere on the page, a date in the URL's path, the page's own JSON data. The day is
the publisher's local day: the date the value prints in its own offset, never converted to
UTC; a time in UTC is read in the offset the page writes its other times in, where it has one,
else in the time zones of the publisher's country, where they were all on one day then.
The original publication is preferred over a modification. A signal's day that neither the
page's text nor its URL confirms is no day where the page's other signals or its text doubt it
(a rival claim far from it, a later update only): a doubtful day is worse than none. Only when
no signal answers is the page's text read: the date printed by its headline, else one its words
call the publication, else htmldate's reading where the page prints that day; a date its words
call an update is none of them; each is recorded as a text guess (``PAGE_TEXT``). A numeric
date whose day/month order the page does not settle (nor its declared language, nor dots) is
never read.
tests/test_pagedates.py holds a page snippet per signal; ``python -m bench.pagedates``
measures the chain on saved pages.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from functools import lru_cache

from lxml import etree

from pressbot.pagetext import declared_language

#: Where a release's date came from (the record's ``date_source``).
LISTING = "listing"  # the listing's printed date (or a feed's, a JSON API's)
PAGE_METADATA = "page metadata"  # a structured signal of the release page (or its URL)
PAGE_TEXT = "page text"  # a date htmldate found in the release page's text: a guess, said so
DATE_SOURCES = (LISTING, PAGE_METADATA, PAGE_TEXT)
#: The release page's.
PAGE_SOURCES = (PAGE_METADATA, PAGE_TEXT)

#: Dates before this are a misread, not a press release (as pressbot.dates.EARLIEST).
EARLIEST = dt.date(1990, 1, 1)


@dataclass(frozen=True)
class Signal:
    """One date the page gives, and where: ``kind`` (json-ld, meta, itemprop, time, …), ``name``
    (the property, e.g. ``article:published_time``), the ``value`` as written."""

    kind: str
    name: str
    value: str
    day: dt.date
    #: The moment, normalised (``2020-07-15T23:30:00-05:00``), where the value has a time.
    moment: str | None = None
    #: Whether the value carries an offset other than UTC's: it then names the local day.
    local: bool = False
    modified: bool = False
    #: Lower is stronger (see _RANKS).
    rank: int = 50


@dataclass(frozen=True)
class PageDate:
    """What a release page says of its publication date."""

    #: ISO day, the publisher's local day; None when the page gives none that can be trusted.
    day: str | None = None
    #: The publication time with its offset (or none, as printed), where the signal has one.
    moment: str | None = None
    #: PAGE_METADATA or PAGE_TEXT; None with no day.
    source: str | None = None
    #: The signal that gave the day, in words (``meta article:published_time``).
    signal: str | None = None
    #: Why there is no day although the page has a date (an ambiguous day/month order).
    problem: str | None = None
    #: The last modification, where the page says (a signal, never the text).
    modified: str | None = None
    #: Every signal read, for inspection and the benchmark's breakdown.
    signals: tuple[Signal, ...] = field(default=(), repr=False)


def _today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


# --- reading one value ------------------------------------------------------------------------

#: An ISO 8601 date at the start of a value, with what may follow: "2020-07-15", "2020-7-5",
#: "2020-07-15T23:30:00.000-0500", "2020-07-15 23:30:00 +02:00", "2020/07/15".
_ISO = re.compile(
    r"(\d{4})([-/.])(\d{1,2})\2(\d{1,2})"
    r"(?:[T ]\s*(\d{1,2}):(\d{2})(?::(\d{2})(?:[.,]\d+)?)?\s*(Z|UTC|GMT|[+-]\d{2}(?::?\d{2})?)?)?"
    r"(?![\d])",
    re.I,
)
_COMPACT = re.compile(r"(\d{4})(\d{2})(\d{2})(?:T?(\d{2})(\d{2})(\d{2})?)?(Z|[+-]\d{2}:?\d{2})?$")
_EPOCH = re.compile(r"\d{10}(?:\d{3})?$")


@dataclass(frozen=True)
class Reading:
    day: dt.date
    moment: str | None
    local: bool


def read_value(text: str | None, today: dt.date | None = None) -> Reading | None:
    """A structured date value: ISO 8601 (date only, or with a time and an offset, or none),
    compact ``20200715``, RFC 822, a Unix time in seconds or milliseconds (UTC); else the
    value as printed words (``July 15, 2020``, ``15 juillet 2020``) when it names day, month
    and year and its day/month order is certain. None for anything else, or out of range."""
    if not text:
        return None
    text = text.strip()
    if not text or len(text) > 100:
        return None
    reading = _read_value(text)
    if reading is None:
        return None
    if not EARLIEST <= reading.day <= (today or _today()) + dt.timedelta(days=1):
        return None
    return reading


@lru_cache(maxsize=4096)
def _read_value(text: str) -> Reading | None:
    found = _ISO.match(text)
    if found is not None:
        year, _, month, day, hh, mm, ss, offset = found.groups()
        try:
            date = dt.date(int(year), int(month), int(day))
        except ValueError:
            return None
        if hh is None:
            return Reading(date, None, False)
        return _moment(date, hh, mm, ss, offset)
    found = _COMPACT.match(text)
    if found is not None:
        year, month, day, hh, mm, ss, offset = found.groups()
        try:
            date = dt.date(int(year), int(month), int(day))
        except ValueError:
            return None
        return Reading(date, None, False) if hh is None else _moment(date, hh, mm, ss, offset)
    if _EPOCH.match(text):
        seconds = int(text) / (1000 if len(text) == 13 else 1)
        try:
            stamp = dt.datetime.fromtimestamp(seconds, dt.UTC)
        except (OverflowError, OSError, ValueError):
            return None
        return Reading(stamp.date(), _iso(stamp), False)
    if ":" in text and "," in text[:5]:  # RFC 822: "Wed, 15 Jul 2020 10:00:00 +0200"
        try:
            moment = email.utils.parsedate_to_datetime(text)
        except (ValueError, TypeError, IndexError):
            return _reading(_words(text))
        return Reading(moment.date(), _iso(moment), _is_local(moment))
    return _reading(_words(text))


def _reading(day: dt.date | None) -> Reading | None:
    return Reading(day, None, False) if day is not None else None


def _moment(date: dt.date, hh: str, mm: str, ss: str | None, offset: str | None) -> Reading | None:
    try:
        clock = dt.time(int(hh), int(mm), int(ss or 0))
    except ValueError:
        return None
    tz: dt.tzinfo | None = None
    if offset:
        offset = offset.upper()
        if offset in ("Z", "UTC", "GMT"):
            tz = dt.UTC
        else:
            sign = -1 if offset[0] == "-" else 1
            digits = offset[1:].replace(":", "")
            hours, minutes = int(digits[:2]), int(digits[2:4] or 0)
            if hours > 18 or minutes > 59:
                return None
            tz = dt.timezone(sign * dt.timedelta(hours=hours, minutes=minutes))
    moment = dt.datetime.combine(date, clock, tz)
    return Reading(date, _iso(moment), _is_local(moment))


def _is_local(moment: dt.datetime) -> bool:
    offset = moment.utcoffset()
    return offset is not None and offset != dt.timedelta(0)


def _iso(moment: dt.datetime) -> str:
    text = moment.isoformat(timespec="seconds")
    return text.replace("+00:00", "Z") if moment.tzinfo is not None else text


def _words(text: str) -> dt.date | None:
    """A date printed in words or numbers (``July 15, 2020``, ``15. Juli 2020``, ``2020年7月15日``,
    ``15/07/2020``): the first one, if it names a day for sure (an ambiguous day/month order
    is no date). Read as the page's text is (_ANY_DATE): dateparser costs a millisecond a
    value, and seconds to load its languages."""
    if not any(c.isdigit() for c in text):
        return None
    return next((sure for _, sure, _ in _dates_in(text)), None)


# --- the signals ----------------------------------------------------------------------------

#: Meta names and properties (lower case) that give the original publication, in common use:
#: Open Graph and Facebook's article properties, Dublin Core, schema.org as meta, the
#: publishing platforms' and analytics' own (Sailthru, Parse.ly, Cxense, Google Scholar's
#: citation_*, Bloomberg, Yandex, …).
PUBLISHED_NAMES = frozenset(
    """
    article:published_time article:published article:published_date article:publicationdate
    article:post_date article.published article.created article_date_original
    og:published_time og:article:published_time og:article:published og:pubdate og:publish_date
    og:datepublished og:regdate og:question:published_time
    datepublished date_published published_time published-time publishdate publish_date
    publish-date published_date published-date publisheddate publish_time publication_date
    publicationdate pubdate pub_date rbpubdate pdate originalpublicationdate
    date dc.date dc.date.issued dc.date.created dc.date.publication dc.created dc.issued
    dc:date dc:created dc:issued dcterms.date dcterms.issued dcterms.created dcterms:date
    dcterms:issued dcterms:created dc.date.available
    sailthru.date parsely-pub-date cxenseparse:recs:publishtime cxenseparse:publishtime
    citation_publication_date citation_date citation_online_date
    bt:pubdate rnews:datepublished dcsext.articlefirstpublished shareaholic:article_published_time
    vr:published_time vr:published-time mediator_published_time displaydate doc_date
    datecreated date_created content_create_date dateposted
    """.split()
)
#: ... and a modification.
MODIFIED_NAMES = frozenset(
    """
    article:modified_time article:modified article:modified_date article:post_modified
    og:updated_time og:modified_time og:article:modified_time
    datemodified date_modified modified_time modified last-modified lastmodified last_modified
    lastmod dc.date.modified dc.modified dcterms.modified dc:date.modified dcterms:modified
    bt:moddate updated_time revision_date modificationdate dateupdated
    """.split()
)
#: How strong each kind of signal is, lower first. A JSON-LD article and the article:
#: properties are written by the publishing system for this page; a bare name="date" or a
#: <time> may be anyone's.
_RANKS = {
    "meta article": 10,
    "json-ld article": 11,
    "itemprop": 12,
    "meta": 20,
    "json-ld": 25,
    "microformat": 30,
    "time article": 32,
    "url": 40,
    "json": 45,
}
#: Meta names of the strongest kind (the page's own article properties).
_ARTICLE_NAMES = frozenset(
    """
    article:published_time og:published_time og:article:published_time datepublished
    """.split()
)
#: schema.org types whose datePublished is the page's own (CreativeWork's article-like kinds).
ARTICLE_TYPES = frozenset(
    """
    article newsarticle blogposting reportagenewsarticle analysisnewsarticle opinionnewsarticle
    reviewnewsarticle backgroundnewsarticle askpublicnewsarticle satiricalarticle
    scholarlyarticle medicalscholarlyarticle techarticle apireference report socialmediaposting
    liveblogposting discussionforumposting advertisercontentarticle
    """.split()
)
_JSON_PUBLISHED = ("datePublished", "dateCreated", "uploadDate")
_JSON_MODIFIED = ("dateModified",)

#: The attributes that may hold a date on any element (itemprop, RDFa's property, a class
#: named published), found in one pass over the tree's attributes: a predicate over every
#: element costs three times as much on a large page.
_ATTRIBUTES = etree.XPath("//@itemprop|//@property|//@class[contains(., 'published')]")
#: Class names of a page's furniture (sidebars, related articles, comments, menus): a
#: <time> in one of them is not the article's.
_FURNITURE = re.compile(
    r"sidebar|side-bar|widget|related|recommend|popular|trending|most-read|comment|reply|"
    r"footer|nav|menu|breadcrumb|teaser|card|promo|newsletter|more-|also|recent|archive",
    re.I,
)
_FURNITURE_TAGS = frozenset({"aside", "nav", "footer"})
_MAIN_TAGS = frozenset({"article", "main"})
_MAIN_ROLES = frozenset({"main", "article"})


def page_date(body: bytes, url: str | None = None, encoding: str | None = None, **kwargs) -> PageDate:
    """The publication date of the page ``body`` (parsed here, once): see ``tree_date``."""
    from pressbot.parsing import page_from_bytes

    encoding = encoding or _declared_encoding(body)
    page = page_from_bytes(body, url or "", encoding, ids=False)
    return tree_date(page.root, url, body=body, **kwargs)


def _declared_encoding(body: bytes) -> str:
    from w3lib.encoding import html_body_declared_encoding

    return html_body_declared_encoding(body[:4096]) or "utf-8"


def tree_date(
    root: etree._Element,
    url: str | None = None,
    body: bytes | None = None,
    text: bool = True,
    today: dt.date | None = None,
    order: str | None = None,
) -> PageDate:
    """The publication date of a parsed page (lxml's tree; the page's URL for a date in its path;
    ``order``: the profile's ``[dates] order``, for numeric dates in the page's text).

    1. The structured signals (``collect``): the strongest that gives the original publication,
       in the publisher's day (``choose``): ``PAGE_METADATA``.
    2. With ``text``, when no signal answers: the date printed nearest the headline
       (``headline_date``) in the page's visible text, then the first one its words call the
       publication (``labelled_date``), then htmldate over the page (``body``: the bytes it
       reads) where the page's visible text, outside its sidebars and menus, prints the day it
       finds, and not as a modification: ``PAGE_TEXT``, a guess and said so. A numeric date
       whose day/month order the page does not settle (its other dates, its markup, the profile's order, its
       declared language: ``language_order``) is no date (``problem`` says so).

    A signal's day that the page never shows its readers, nor its URL, is checked against the
    page's other signals and text: where another of its metadata claims a day far from it that
    the page does not show either (``_rivals``), or where its markup says it was modified later
    and its text labels only a later update of itself, and not that one (``later_update``), no
    day (``problem`` says why: a doubtful day is worse than none); where a generic kind of
    signal (rank ``meta`` or weaker: a bare ``name="date"``, a WebPage's) meets another day
    printed by the headline, the printed one, as ``PAGE_TEXT``. htmldate's day, where the page labels
    only a later update, is a date its text mentions: no day either.

    A modification is never taken for the publication (``modified`` keeps it apart). A 1 January
    with no time that the page does not show is no publication (``_placeholder``).
    """
    signals = tuple(collect(root, url, today))
    modified = min((s for s in signals if s.modified), key=lambda s: s.rank, default=None)
    none = PageDate(
        modified=(modified.moment or modified.day.isoformat()) if modified else None, signals=signals
    )
    shown = _Shown(root)
    published = [s for s in signals if not s.modified and not (_placeholder(s) and not shown(s.day))]
    chosen = choose(published, shown, lambda: publisher_zones(root, url), lambda: page_offset(body))
    latest = (today or _today()) + dt.timedelta(days=1)
    if chosen is not None:
        day, best = chosen
        answer = replace(
            none,
            day=day.isoformat(),
            moment=best.moment,
            source=PAGE_METADATA,
            signal=f"{best.kind} {best.name}",
        )
        if not text or any(s.kind == "url" and s.day == day for s in signals):
            return answer  # (the URL's day agrees: two signals)
        rivals = _rivals(published, day)
        later = modified is not None and max(s.day for s in signals if s.modified) > day
        if not (rivals or later or best.rank >= _RANKS["meta"]) or shown(day):
            return answer  # (nothing to doubt it, or the page shows the day: two signals agree)
        rival = next((d for d in rivals if not shown(d)), None)
        if rival is not None:
            # Signals that claim days far apart, and the page confirms none of them: which is
            # the publication is a guess, and none is better than a doubtful one.
            return replace(
                none,
                problem=f"the page's signals disagree ({day.isoformat()}, {rival.isoformat()}), "
                "and the page shows neither",
            )
        usual = language_order(declared_language(root))
        update = later_update(outside_furniture(root), day, order, body, usual) if later else None
        if update is not None and all(abs((update - s.day).days) > 1 for s in signals if s.modified):
            # The page shows its readers only an update, and not the one its markup gives:
            # nothing of the page confirms the markup's days (a template's, a copy's, stale),
            # and none is better than a doubtful one. (Where the shown update is the markup's
            # modification, the markup is the page's own, and its publication stands.)
            return replace(
                none,
                problem=f"the page shows only an update ({update.isoformat()}), neither the "
                f"modification nor the publication its markup gives ({day.isoformat()})",
            )
        if best.rank < _RANKS["meta"]:
            return answer
        # A signal of a generic kind (a bare name="date", a WebPage's, a <time>) that the page
        # never shows, against the day it prints by its headline: what readers see.
        near = _nearest(_by_headline(root, shown.visible(), latest, body, order, usual))
        if near is None or near == day:
            return answer
        return replace(none, day=near.isoformat(), source=PAGE_TEXT, signal="text near the headline")
    if not text:
        return none
    usual = language_order(declared_language(root))
    near = headline_date(root, shown.visible(), latest, body, order, usual)
    if near is not None:
        return replace(none, day=near.isoformat(), source=PAGE_TEXT, signal="text near the headline")
    said = labelled_date(shown.visible(), latest, order, body, usual)
    if said is not None:
        return replace(
            none, day=said.isoformat(), source=PAGE_TEXT, signal="text labelled as the publication"
        )
    if body is None:
        return none
    article = outside_furniture(root)
    found, problem = text_date(body, article, latest, order, usual)
    if found is not None:
        update = later_update(article, dt.date.fromisoformat(found), order, body, usual)
        if update is not None:
            # A date of the text that nothing labels, where the page labels only a later
            # update of itself: a date the text mentions, as likely as the publication.
            return replace(
                none,
                problem=f"the page shows only an update ({update.isoformat()}), and htmldate's "
                f"{found} is a date its text mentions",
            )
        return replace(none, day=found, source=PAGE_TEXT, signal="htmldate")
    return replace(none, problem=problem)


def _rivals(signals: list[Signal], day: dt.date) -> list[dt.date]:
    """The days more than a day from ``day`` (further than an offset explains) that others of
    the page's metadata (meta, JSON-LD, itemprop, RDFa) claim for the publication. A property
    given with several days is a list of other items, and claims nothing; nor do the weaker
    kinds (a <time>, the page's JSON data: often another item's), nor the URL (which
    confirms, see tree_date)."""
    named: dict[tuple[str, str], set[dt.date]] = {}
    for s in signals:
        named.setdefault((s.kind, s.name), set()).add(s.day)
    return [
        s.day
        for s in signals
        if abs((s.day - day).days) > 1 and s.rank < _RANKS["microformat"] and len(named[s.kind, s.name]) == 1
    ]


#: How many dates of a page's text later_update reads (a page of a thousand is a list).
_MAX_UPDATES = 500


def later_update(
    text: str, day: dt.date, order: str | None = None, body: bytes | None = None, usual: str | None = None
) -> dt.date | None:
    """The first date of the page's ``text`` that its words call an update or a modification
    ("Updated May 06, 2019", "Letzte Änderung: 14.01.2022") and that is later than ``day``."""
    order = order or proven_order(text)
    for looks, (pos, found) in enumerate(text_dates(text, order, body, usual)):
        if looks >= _MAX_UPDATES:
            break
        if found > day and label(text, pos) == "modified":
            return found
    return None


def _placeholder(signal: Signal) -> bool:
    """A 1 January with no time: a year stored as a date as often as a day (a catalogue's
    "01/01/2004", a migration's default); it stands where the page shows that day."""
    return signal.moment is None and signal.day.month == 1 and signal.day.day == 1


class _Shown:
    """Whether the page's visible text prints a day (in any form that can be it), the text read
    once and only if asked."""

    def __init__(self, root: etree._Element) -> None:
        self.root = root
        self.text: str | None = None

    def visible(self) -> str:
        if self.text is None:
            self.text = visible_text(self.root)
        return self.text

    def __call__(self, day: dt.date) -> bool:
        return printed(day, self.visible(), ambiguous_ok=True)[0] is not None


_VISIBLE = etree.XPath(
    "/html/body/descendant::text()[not(parent::script|parent::style|parent::noscript|parent::template)]",
    smart_strings=False,
)
_VISIBLE_ANYWHERE = etree.XPath(
    "descendant::text()[not(parent::script|parent::style|parent::noscript|parent::template)]",
    smart_strings=False,
)


_OUTSIDE_FURNITURE = etree.XPath(
    "/html/body/descendant::text()[not(parent::script|parent::style|parent::noscript|parent::template)]"
    "[not(ancestor::aside|ancestor::nav)]",
    smart_strings=False,
)


def outside_furniture(root: etree._Element) -> str:
    """The visible text but that of the page's sidebars and menus (``<aside>``, ``<nav>``): a
    date printed only there is another item's (the day's other news, an archive's calendar).
    Footers stay: an article's own footer often holds its date ("Posted on …")."""
    nodes = _OUTSIDE_FURNITURE(root) or _VISIBLE_ANYWHERE(root)
    return " ".join(" ".join(nodes).split())


def visible_text(root: etree._Element) -> str:
    """The text a reader sees: the body's text nodes but scripts' and styles', each apart from
    the next (``<span>Updated</span><span>2 March</span>`` is "Updated 2 March"), whitespace
    squashed. (One XPath from the body down: ``//`` or a walk in Python costs twice as much.)"""
    nodes = _VISIBLE(root) or _VISIBLE_ANYWHERE(root)
    return " ".join(" ".join(nodes).split())


def choose(signals: list[Signal], shown=None, country=None, zone=None) -> tuple[dt.date, Signal] | None:
    """The publication day among the page's signals, and the signal that gives it: the
    strongest kind, in the publisher's day.

    ``shown(day)`` tells whether the page prints a day for its readers (pressbot reads it from
    the page's visible text only when the signals leave a doubt):

    - signals that disagree: the strongest whose day the page shows (a publishing system's
      JSON-LD may keep a first draft's date where the page shows the day it went out);
    - a time in UTC (``Z``, ``+00:00``) names the UTC day, the publisher's only where the
      publisher is on UTC. A signal that names the local day of the same moment corrects it:
      the same moment in the publisher's own offset, or printed with no offset at a whole
      offset from it, or a day alone a day off it (a date-only value, the URL's date) where an
      offset can reach it; else the day in the offset the page writes its other times in
      (``zone()``, see page_offset), unless the page shows the UTC day and not that one; else
      the day the page shows, of the days an offset reaches; else the day it was at that
      moment in the publisher's country (``country()``: its time zones, see publisher_zones),
      where all its zones were on one day then.
    """
    if not signals:
        return None
    ranked = sorted(signals, key=lambda s: s.rank)
    best = ranked[0]
    days = {s.day for s in ranked}
    if len(days) > 1 and shown is not None and not shown(best.day):
        # A property given with several days is a list of other items (related articles).
        named: dict[tuple[str, str], set[dt.date]] = {}
        for s in ranked:
            named.setdefault((s.kind, s.name), set()).add(s.day)
        for other in ranked[1:]:
            if other.day == best.day or other.kind == "url" or len(named[other.kind, other.name]) > 1:
                continue
            if shown(other.day):
                best = other
                break
    if not best.moment or best.local or best.moment[-1] != "Z":
        return best.day, best
    utc = dt.datetime.fromisoformat(best.moment)
    minutes = utc.hour * 60 + utc.minute
    # West of UTC (to -10:00) the local day may be the day before, east (to +14:00) the day after.
    reachable = {best.day}
    if minutes < 10 * 60:
        reachable.add(best.day - dt.timedelta(days=1))
    if minutes >= 10 * 60:
        reachable.add(best.day + dt.timedelta(days=1))
    for other in ranked:
        if other is not best and other.local and other.moment and _same_moment(other.moment, best.moment):
            return other.day, other
    for other in ranked:
        if other.day == best.day or other.day not in reachable:
            continue
        if other.moment is not None and not other.local and other.moment[-1] != "Z":
            # Printed with no offset: the publisher's clock, if it is a whole offset away.
            shift = (dt.datetime.fromisoformat(other.moment) - utc.replace(tzinfo=None)).total_seconds()
            if -10 * 3600 <= shift <= 14 * 3600 and shift % 900 < 60:
                return other.day, other
        elif other.moment is None:
            return other.day, best
    offset = zone() if zone is not None else None
    if offset is not None:
        # The offset the page writes its other times in is the publisher's: its day, unless
        # the page shows its readers the UTC day and not that one.
        day = (utc + offset).date()
        if day == best.day or shown is None or not shown(best.day) or shown(day):
            return day, best
        return best.day, best
    if shown is not None and not shown(best.day):
        local = [d for d in reachable if d != best.day and shown(d)]
        if len(local) == 1:
            return local[0], best
    if (utc.hour, utc.minute, utc.second) != (0, 0, 0) and country is not None:
        # (Midnight exactly is a day written as a moment, not a moment.)
        day = _local_day(utc, country())
        if day is not None and (shown is None or not shown(best.day) or shown(day)):
            return day, best
    return best.day, best


#: An offset as pages write it after a time, in their markup and scripts: ISO 8601
#: ("2020-05-01T23:00:00-04:00") and RFC 822 ("Fri, 01 May 2020 23:00:00 -0400"). Found after
#: the colon of the time's last digits (a pattern that starts with the sign costs ten times as
#: much on a large page, one that starts with a time's digits five), then checked to follow a
#: timestamp's time: a date's, or one with seconds ("11:00-11:30" is a span of the day).
_OFFSET = re.compile(rb":\d\d(?:[.,]\d{1,9})? ?([+-](?:0\d|1[0-4]):?[0-5]\d)(?![\d:])")
_AFTER_TIME = re.compile(rb"(?:\d{4}-\d\d-\d\d[T ]\d\d:\d\d|\d\d:\d\d:\d\d(?:[.,]\d{1,9})?) ?$")
_OFFSET_BYTES = 2_000_000


def page_offset(body: bytes | None) -> dt.timedelta | None:
    """The offset from UTC that the page writes its times in (its schedule, its other
    articles, its scripts' data): the one non-zero offset of at least two of its times and two
    thirds of those with a non-zero offset, or None."""
    if not body:
        return None
    counts: dict[bytes, int] = {}
    for found in _OFFSET.finditer(body, 0, _OFFSET_BYTES):
        start = found.start(1)
        if _AFTER_TIME.search(body, max(0, start - 30), start) is None:
            continue
        value = found.group(1).replace(b":", b"")
        if value[1:] != b"0000":
            counts[value] = counts.get(value, 0) + 1
    if not counts:
        return None
    value, most = max(counts.items(), key=lambda item: item[1])
    if most < 2 or most * 3 < sum(counts.values()) * 2:
        return None
    hours, minutes = int(value[1:3]), int(value[3:5])
    return (-1 if value[:1] == b"-" else 1) * dt.timedelta(hours=hours, minutes=minutes)


#: Country-code domains in common use as generic ones (a site's name, not its country).
GENERIC_DOMAINS = frozenset(
    "co io tv me fm ai ag ly to cc ws nu la am im sh ac vc so bz gg gl is it tk ml ga cf gq cx".split()
)


def publisher_zones(root: etree._Element, url: str | None) -> tuple[str, ...]:
    """The time zones of the publisher's country (tz database names, as pytz lists them by
    country): its host's country-code domain (``.ca``, ``.com.br``; not one in common use as
    a generic domain, GENERIC_DOMAINS), else the region of its declared language (``fr-CA``,
    ``es-MX``; not ``en-US``, the default language of common publishing systems); none where
    neither says."""
    import pytz

    host = (url or "").split("//", 1)[-1].split("/", 1)[0].split(":", 1)[0].lower()
    suffix = host.rsplit(".", 1)[-1]
    countries = [suffix] if "." in host and len(suffix) == 2 and suffix not in GENERIC_DOMAINS else []
    tag = declared_language(root) or ""
    region = tag.rsplit("-", 1)[-1] if "-" in tag else ""
    if len(region) == 2 and region.isalpha() and tag != "en-US":
        countries.append(region.lower())
    for country in countries:
        zones = pytz.country_timezones.get("gb" if country == "uk" else country)
        if zones:
            return tuple(zones)
    return ()


def _local_day(utc: dt.datetime, zones: tuple[str, ...]) -> dt.date | None:
    """The day it was at the moment ``utc`` in every one of ``zones``, if it was one day."""
    import pytz

    days = {utc.astimezone(pytz.timezone(zone)).date() for zone in zones[:50]}
    return days.pop() if len(days) == 1 else None


def _same_moment(a: str, b: str) -> bool:
    try:
        x, y = dt.datetime.fromisoformat(a), dt.datetime.fromisoformat(b)
        return x.tzinfo is not None and y.tzinfo is not None and abs(x - y) <= dt.timedelta(minutes=1)
    except ValueError:
        return False


_MAX_UNMARKED_TIMES = 50
_MAX_JSON_LD = 50
_MAX_ATTRIBUTES = 5000


def collect(root: etree._Element, url: str | None = None, today: dt.date | None = None) -> Iterator[Signal]:
    """Every date signal of the page: meta elements, JSON-LD, <time>, then attributes of other
    elements (itemprop, RDFa, microformats), each in document order; then the URL's."""
    article_time = False
    has_article = next(root.iter("article", "main"), None) is not None
    # Bounds for hostile pages (each a multiple of what real pages hold): where an unmarked
    # <time> is (a walk up the tree each), JSON-LD blocks, attributes.
    unmarked, scripts = [_MAX_UNMARKED_TIMES], _MAX_JSON_LD
    for el in root.iter("meta", "script", "time"):
        tag = el.tag
        if tag == "meta":
            if el.get("content") or el.get("datetime"):
                yield from _meta(el, today)
        elif tag == "script":
            kind = el.get("type", "").strip().lower()
            if scripts and kind in ("application/ld+json", "application/ld-json"):
                scripts -= 1
                yield from _json_ld(el.text, today)
            elif scripts and kind == "application/json":
                scripts -= 1
                signal = _json_data(el.text, today)
                if signal is not None:
                    yield signal
        else:
            signal = _time(el, today, article_time, has_article, unmarked)
            if signal is not None:
                article_time = article_time or signal.kind == "time article"
                yield signal
    seen = set()
    for attr in _ATTRIBUTES(root)[:_MAX_ATTRIBUTES]:
        el = attr.getparent()
        if el is None or el.tag in ("meta", "time") or el in seen:
            continue
        seen.add(el)
        yield from _attributes(el, today)
    if url:
        signal = _url(url, today)
        if signal is not None:
            yield signal


def _meta(el: etree._Element, today: dt.date | None) -> Iterator[Signal]:
    value = el.get("content") or el.get("datetime")
    for attr in ("property", "name", "itemprop", "http-equiv"):
        name = el.get(attr)
        if not name:
            continue
        for key in name.lower().split():  # RDFa: property="dc:date dc:created"
            if attr == "http-equiv":
                kind = "date" if key == "date" else "last-modified" if key == "last-modified" else None
                if kind is None:
                    continue
                published = kind == "date"
            elif key in PUBLISHED_NAMES:
                published = True
            elif key in MODIFIED_NAMES:
                published = False
            else:
                continue
            reading = read_value(value, today)
            if reading is None:
                continue
            rank = _RANKS["meta article"] if key in _ARTICLE_NAMES else _RANKS["meta"]
            if attr == "itemprop":
                rank = _RANKS["itemprop"]
            yield _signal(
                "meta", f"{attr}={key}" if attr != "property" else key, value, reading, not published, rank
            )
            return  # one signal per element


_SCHEMA_PREFIX = re.compile(r"^(?:schema|sdo|https?://schema\.org/?):")


def _attributes(el: etree._Element, today: dt.date | None) -> Iterator[Signal]:
    """itemprop="datePublished" and RDFa property="…" on any element, and microformats."""
    prop = el.get("itemprop")
    if prop:
        key = prop.strip().lower()
        published = key in ("datepublished", "datecreated")
        if published or key in ("datemodified", "dateupdated"):
            value = el.get("content") or el.get("datetime") or el.get("title") or _text(el)
            reading = read_value(value, today)
            if reading is not None:
                yield _signal("itemprop", key, value or "", reading, not published, _RANKS["itemprop"])
                return
    prop = el.get("property")
    if prop:
        for key in prop.lower().split():
            key = _SCHEMA_PREFIX.sub("", key)  # RDFa's schema.org vocabulary: schema:dateCreated
            if (key in PUBLISHED_NAMES or key in MODIFIED_NAMES) and el.get("content"):
                value = el.get("content")
                reading = read_value(value, today)
                if reading is not None:
                    yield _signal("rdfa", key, value or "", reading, key in MODIFIED_NAMES, _RANKS["meta"])
                    return
    classes = (el.get("class") or "").lower().split()
    if "dt-published" in classes or "published" in classes:
        # microformats2 (dt-published) and hAtom (published): the value in datetime, title
        # (<abbr class="published" title="2020-07-15T10:00:00+02:00">) or the text.
        value = el.get("datetime") or el.get("title") or el.get("content") or _text(el)
        reading = read_value(value, today)
        if reading is not None:
            yield _signal("microformat", "published", value or "", reading, False, _RANKS["microformat"])


def _text(el: etree._Element) -> str | None:
    """An element's text, if it is as short as a date (read no further than that)."""
    parts, size = [], 0
    for part in el.itertext():
        parts.append(part)
        size += len(part)
        if size > 200:
            return None
    text = " ".join("".join(parts).split())
    return text if 6 <= len(text) <= 60 else None


def _time(
    el: etree._Element,
    today: dt.date | None,
    seen_article_time: bool,
    has_article: bool,
    unmarked: list[int],
) -> Signal | None:
    """A <time>: a publication where it says so (pubdate, itemprop, a class); else the first one
    inside the article (or, on a page with no <article> or <main>, the first one in none of the
    page's furniture)."""
    classes = (el.get("class") or "").lower()
    prop = (el.get("itemprop") or "").lower()
    if prop in ("datemodified", "dateupdated") or "updated" in classes.split() or "modified" in classes:
        kind, name, modified, rank = "time", "modified", True, _RANKS["time article"]
    elif prop in ("datepublished", "datecreated"):
        kind, name, modified, rank = "itemprop", prop, False, _RANKS["itemprop"]
    elif el.get("pubdate") is not None or "published" in classes or "entry-date" in classes:
        kind, name, modified, rank = "time", "pubdate", False, _RANKS["microformat"]
    elif seen_article_time or unmarked[0] <= 0:
        return None  # (a list of other items' times, most often: nothing more to read)
    else:
        unmarked[0] -= 1
        where = _where(el)
        if not (where == "article" or (where == "page" and not has_article)):
            return None
        kind, name, modified, rank = "time article", "first", False, _RANKS["time article"]
    value = el.get("datetime") or _text(el)
    reading = read_value(value, today)
    if reading is None:
        return None
    return _signal(kind, name, value or "", reading, modified, rank)


def _where(el: etree._Element) -> str | None:
    """Where a <time> is: "article" inside an <article>, <main> (or role main) and in none of
    the page's furniture (sidebars, related articles, comments, menus); "page" in neither; None
    in furniture."""
    inside = False
    up = el.getparent()
    while up is not None:
        tag = up.tag
        if tag in _FURNITURE_TAGS:
            return None
        if tag in _MAIN_TAGS or up.get("role") in _MAIN_ROLES:
            inside = True
        elif not inside:
            cls = (up.get("class") or "") + " " + (up.get("id") or "")
            if _FURNITURE.search(cls):
                return None
        up = up.getparent()
    return "article" if inside else "page"


def _json_ld(text: str | None, today: dt.date | None) -> Iterator[Signal]:
    if not text or "date" not in text:
        return
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        # Pages often end a JSON-LD block with a stray comma or hold two objects: what can be
        # read of it is still read, with a pattern, as the strongest plain JSON-LD can be.
        yield from _json_ld_text(text, today)
        return
    yield from _json_objects(data, today, 0)


def _json_objects(data, today: dt.date | None, depth: int) -> Iterator[Signal]:
    if depth > 8:
        return
    if isinstance(data, list):
        for item in data:
            yield from _json_objects(item, today, depth + 1)
        return
    if not isinstance(data, dict):
        return
    types = data.get("@type")
    names = [types] if isinstance(types, str) else types if isinstance(types, list) else []
    type_names = [str(t).rsplit("/", 1)[-1].lower() for t in names]
    article = any(t in ARTICLE_TYPES for t in type_names)
    label = next((str(t) for t in names), "object")
    for keys, modified in ((_JSON_PUBLISHED, False), (_JSON_MODIFIED, True)):
        for key in keys:
            value = data.get(key)
            if isinstance(value, list) and value:
                value = value[0]
            if not isinstance(value, str):
                continue
            reading = read_value(value, today)
            if reading is None:
                continue
            rank = _RANKS["json-ld article"] if article else _RANKS["json-ld"]
            if key != "datePublished":
                rank += 2
            yield _signal("json-ld", f"{label}.{key}", value, reading, modified, rank)
            break
    for key, value in data.items():
        if key in ("@graph", "mainEntity", "mainEntityOfPage", "hasPart", "itemListElement", "item") or (
            isinstance(value, dict | list) and key not in ("publisher", "author", "image", "logo")
        ):
            yield from _json_objects(value, today, depth + 1)


_JSON_TEXT = re.compile(r'"(datePublished|dateModified)"\s*:\s*"([^"]{8,40})"')


def _json_ld_text(text: str, today: dt.date | None) -> Iterator[Signal]:
    for key, value in _JSON_TEXT.findall(text):
        reading = read_value(value, today)
        if reading is not None:
            yield _signal("json-ld", key, value, reading, key == "dateModified", _RANKS["json-ld"])


#: The keys that name a publication in a page's own JSON data (a framework's initial state:
#: ``{"publishedDate": "2016-11-04T20:37:27Z", "updatedDate": …}``).
_JSON_DATA = re.compile(
    r'"(datePublished|publishedDate|publishDate|publishedAt|published_at|publicationDate|'
    r'firstPublishedAt|firstPublishedDate|datePosted)"\s*:\s*"([^"]{8,40})"'
)
_JSON_DATA_CHARS = 200_000


def _json_data(text: str | None, today: dt.date | None) -> Signal | None:
    """A ``<script type="application/json">`` block's publication date, where all the
    publication keys it holds give one day (several days: a list of items, not the page's)."""
    if not text or "ublish" not in text and "datePosted" not in text:
        return None
    found = None
    for key, value in _JSON_DATA.findall(text[:_JSON_DATA_CHARS]):
        reading = read_value(value, today)
        if reading is None:
            continue
        if found is not None and found[2].day != reading.day:
            return None
        found = found or (key, value, reading)
    if found is None:
        return None
    key, value, reading = found
    return _signal("json", key, value, reading, False, _RANKS["json"])


#: A date in a URL's path: /2020/07/15/, /2020-07-15-, /20200715/.
_URL_DATE = re.compile(
    r"/((?:19|20)\d{2})(?:[/_-](0?[1-9]|1[0-2])[/_-](0?[1-9]|[12]\d|3[01])(?=[/_.-]|$)"
    r"|(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])(?=/))"
)


def _url(url: str, today: dt.date | None) -> Signal | None:
    path = url.split("?", 1)[0].split("#", 1)[0]
    found = _URL_DATE.search(path[path.find("/", path.find("//") + 2) :] if "//" in path else path)
    if found is None:
        return None
    try:
        month, mday = (found.group(2), found.group(3)) if found.group(2) else (found.group(4), found.group(5))
        day = dt.date(int(found.group(1)), int(month), int(mday))
    except ValueError:
        return None
    if not EARLIEST <= day <= (today or _today()) + dt.timedelta(days=1):
        return None
    return Signal("url", "path", found.group(0), day, rank=_RANKS["url"])


def _signal(kind: str, name: str, value: str, reading: Reading, modified: bool, rank: int) -> Signal:
    return Signal(kind, name, value, reading.day, reading.moment, reading.local, modified, rank)


# --- the page's text: the date by the headline, then htmldate -----------------------------------

_H1 = etree.XPath("//h1")
_MAX_H1 = 20
_TITLE = etree.XPath("//meta[@property='og:title']/@content | (//title)[1]/text()", smart_strings=False)
#: What parts a page's title from the site's name: "Headline | Site", "Headline - Site".
_TITLE_SITE = re.compile(r"\s[|–—:·-]\s|\s\||\|\s")


def headline_date(
    root: etree._Element,
    text: str,
    latest: dt.date,
    body: bytes | None = None,
    order: str | None = None,
    usual: str | None = None,
) -> dt.date | None:
    """The date printed nearest the page's headline in its visible text ``text``: from 300
    characters before it to 2,000 after, the nearest first; one that names day, month and year
    for sure (``text_dates``; ``body``, the page's bytes, may settle a numeric date's order).
    A date its words call a modification or someone else's ("Updated", "Registriert:") is
    not one; one they call the publication ("Posted on") comes first. A numeric date with a
    two-digit year ("31.10.23") is read where the page's order is known (``short_dates``). The
    headline is the ``<h1>`` the page's title names, else the first ``<h1>`` with text, else the
    page's title before the site's name."""
    return _nearest(_by_headline(root, text, latest, body, order, usual))


def _nearest(near: list[tuple[str | None, int, dt.date]]) -> dt.date | None:
    best: tuple[bool, int, dt.date] | None = None
    for said, distance, day in near:
        if said in ("modified", "other"):
            continue
        rank = (said != "published", distance, day)
        if best is None or rank < best:
            best = rank
    return best[2] if best else None


def _by_headline(
    root: etree._Element,
    text: str,
    latest: dt.date,
    body: bytes | None,
    order: str | None,
    usual: str | None,
) -> list[tuple[str | None, int, dt.date]]:
    """(what its words say of it: ``label``, distance from the headline, day) of every date
    printed by the page's headline (see headline_date)."""
    at = -1
    for heading in _headings(root):
        at = text.find(heading)
        if at >= 0:
            break
    if at < 0:
        return []
    start = max(0, at - 300)
    window = text[start : at + 2000]
    order = order or proven_order(text)
    short = order or usual
    found = list(text_dates(window, order, body, usual))
    found += short_dates(window, short, latest)
    return [
        (label(text, start + pos), abs(start + pos - at), day)
        for pos, day in found
        if EARLIEST <= day <= latest
    ]


#: A numeric date with a two-digit year: "31.10.23" (not a version, "v1.12.20", "3.1.12.20").
_SHORT_DATE = re.compile(r"(?<![\w.,/-])(\d{1,2})\s?([./-])\s?(\d{1,2})\s?\2\s?(\d{2})(?![\d]|[.,/-]\d)")


def short_dates(text: str, order: str | None, latest: dt.date) -> Iterator[tuple[int, dt.date]]:
    """(position, day) of every numeric date of ``text`` with a two-digit year ("31.10.23"),
    read in the day/month ``order`` the page is known to write ("DMY" or "MDY"); where it is
    not known, only those written with dots, day first (as every language that writes dates
    with dots does)."""
    for found in _SHORT_DATE.finditer(text):
        if order not in ("DMY", "MDY") and found.group(2) != ".":
            continue
        a, b, yy = int(found.group(1)), int(found.group(3)), int(found.group(4))
        mday, month = (b, a) if order == "MDY" else (a, b)
        year = 2000 + yy if 2000 + yy <= latest.year else 1900 + yy
        day = _day(year, month, mday)
        if day is not None:
            yield found.start(), day


def _headings(root: etree._Element) -> Iterator[str]:
    titles = [" ".join(str(title).split()) for title in _TITLE(root)]
    named = [t.casefold() for t in titles]
    heads = [" ".join("".join(h.itertext()).split()) for h in _H1(root)[:_MAX_H1]]
    heads = [h for h in heads if len(h) >= 3]
    for head in heads:
        # Of several <h1> (the site's logo, a section's name, the headline), the one the
        # page's title names.
        if len(head) >= 10 and any(head.casefold() in t for t in named):
            yield head[:40]
            return
    if heads:
        yield heads[0][:40]
        return
    # No <h1>: the headline as the page's title gives it, before the site's name.
    for title in titles:
        text = _TITLE_SITE.split(title, maxsplit=1)[0]
        if len(text) >= 15:
            yield text[:40]
            return


#: The words a page prints before a date to say it is a modification, and before one to say
#: it is the publication, in the languages of MONTH_LANGUAGES that publish most (lower case).
MODIFIED_LABELS = (
    "updated|update:|last modified|modified|last edited|edited|revised|last changed|"
    "aktualisiert|aktualisierung|zuletzt|geändert|letzte änderung|stand:|"
    "mis à jour|mise à jour|modifié|actualizado|actualizada|actualización|modificado|"
    "atualizado|atualizada|atualização|aggiornato|aggiornata|aggiornamento|modificato|"
    "bijgewerkt|gewijzigd|laatst|обновлено|обновлен|изменено|zaktualizowano|aktualizacja|"
    "aktualizováno|upraveno|uppdaterad|uppdaterat|opdateret|oppdatert|päivitetty|"
    "güncellendi|güncelleme|diperbarui"
)
PUBLISHED_LABELS = (
    "published|posted|released|publication date|date of publication|created|issued|"
    "veröffentlicht|erschienen|erstellt|publiziert|publié|publiée|mis en ligne|"
    "publicado|publicada|publicación|publicação|pubblicato|pubblicata|gepubliceerd|"
    "geplaatst|опубликовано|опубликован|opublikowano|publikováno|zveřejněno|"
    "publicerad|publicerat|publiceret|publisert|julkaistu|yayınlanma|yayınlandı|"
    "diterbitkan|dipublikasikan|diposting"
)
#: ...and before a date that is someone's, not the page's (a forum member's registration).
OTHER_LABELS = (
    "registered|joined|member since|registriert|mitglied seit|dabei seit|inscrit|inscrito|"
    "registrado|iscritto|lid sinds|geregistreerd|зарегистрирован|dołączył"
)
_LABEL = re.compile(
    rf"(?<!\w)(?:(?P<modified>{MODIFIED_LABELS})|(?P<published>{PUBLISHED_LABELS})|(?P<other>{OTHER_LABELS}))",
    re.I,
)
#: How far before a date its label may be: "Published on Monday, " fits, a sentence does not.
_LABEL_REACH = 32


def label(text: str, at: int) -> str | None:
    """What the words just before position ``at`` of ``text`` say of the date there:
    "modified" ("Updated", "Letzte Änderung:", "mis à jour le"), "published" ("Posted on",
    "Veröffentlicht am", "Publié le"), "other" (someone else's date: "Registriert:", "Joined"),
    the nearest where several are ("Last updated 4 June 2020, originally created 17 June
    2019"), or None."""
    last = None
    for found in _LABEL.finditer(text, max(0, at - _LABEL_REACH), at):
        last = found
    if last is None:
        return None
    return "modified" if last.group("modified") else "published" if last.group("published") else "other"


_PUBLISHED_LABEL = re.compile(rf"(?<!\w)(?:{PUBLISHED_LABELS})", re.I)
_MAX_LABELS = 200


def labelled_date(
    text: str,
    latest: dt.date,
    order: str | None = None,
    body: bytes | None = None,
    usual: str | None = None,
) -> dt.date | None:
    """The first date of the page's visible ``text`` that its words call the publication
    ("Veröffentlicht am 3. März 2023", "Posted on May 4, 2020"): right after the label, one
    that names day, month and year for sure (``text_dates``)."""
    order = order or proven_order(text)
    for looks, found in enumerate(_PUBLISHED_LABEL.finditer(text)):
        if looks >= _MAX_LABELS:
            break  # (a page of a thousand "Posted" lines is a list of other items)
        end = found.end()
        for pos, day in text_dates(text[end : end + _LABEL_REACH + 20], order, body, usual):
            if pos <= _LABEL_REACH and EARLIEST <= day <= latest and label(text, end + pos) == "published":
                return day
            break
    return None


def text_date(
    body: bytes, text: str, latest: dt.date, order: str | None = None, usual: str | None = None
) -> tuple[str | None, str | None]:
    """htmldate's reading of the page (``find_date``, original date, its fast mode; its extensive
    search only where the fast one finds nothing: it costs five times as much, and dateparser's
    languages load once per process the first time), checked against the page's visible
    ``text`` (outside its sidebars and menus: ``outside_furniture``): (day, None) where the
    text prints that day; (None, problem) where it prints it only as a numeric date whose
    day/month order the page does not settle (``printed``); (None, None) where htmldate finds
    nothing, or a day the text never prints (one made of a year or a month alone, the 1st of
    January of a copyright line, a date in a script)."""
    from htmldate import find_date

    try:
        # bytes, never a str: htmldate downloads a str that looks like a URL.
        found = find_date(
            bytes(body), original_date=True, extensive_search=False, max_date=latest.isoformat()
        ) or find_date(bytes(body), original_date=True, extensive_search=True, max_date=latest.isoformat())
        day = dt.date.fromisoformat(str(found)[:10]) if found else None
    except Exception:  # a library's failure on one page is no date, not a crash
        return None, None
    if day is None or not EARLIEST <= day <= latest:
        return None, None
    return printed(day, text, body=body, order=order, usual=usual)


def settle(one: dt.date, other: dt.date, body: bytes | None) -> dt.date | None:
    """Which of a numeric date's two readings the page's markup (``body``) holds with the year
    first (``2023-11-01``, in an attribute or a script), if it holds one and not the other."""
    if body is None:
        return None
    held = [d for d in (one, other) if _iso_bytes(d) in body or _iso_bytes(d, b"/") in body]
    return held[0] if len(held) == 1 else None


def _iso_bytes(day: dt.date, sep: bytes = b"-") -> bytes:
    return b"%d%s%02d%s%02d" % (day.year, sep, day.month, sep, day.day)


#: How many mentions of a year printed() reads (a page of a thousand dates is a list).
_MAX_MENTIONS = 500


def printed(
    day: dt.date,
    text: str,
    ambiguous_ok: bool = False,
    body: bytes | None = None,
    order: str | None = None,
    usual: str | None = None,
) -> tuple[str | None, str | None]:
    """Whether ``text`` prints ``day``: (day, None) where it does in a form that names day,
    month and year for sure (year first, a month's name, a day above 12 or equal to the month,
    a numeric order another date of the text proves, or the profile's ``order``, or the page's
    markup ``body`` with the year first: ``settle``, or its language's order, or dots, day
    first); (None, problem) where it prints it only
    as a numeric date that could be another day (``ambiguous_ok``: that is enough); (None,
    None) where it does not print it at all. Only the text around each mention of the year is
    read."""
    iso = day.isoformat()
    year = str(day.year)
    proven = order
    ambiguous = None
    at, looks = text.find(year), _MAX_MENTIONS
    while at >= 0 and looks:
        looks -= 1
        start = max(0, at - 40)
        window = text[start : at + 45]
        for found, sure, readings in _dates_in(window):
            if label(text, start + found.start()) in ("modified", "other"):
                continue  # "Updated 4 May 2020" does not print a publication on 4 May
            if sure == day:
                return iso, None
            if readings is not None and day in readings and ambiguous is None:
                ambiguous = (found.group(0).strip(), readings, found.group("s5"))
        at = text.find(year, at + 4)
    if ambiguous is None:
        if not ambiguous_ok and _short_form(day, text, order or proven_order(text) or usual):
            return iso, None
        return None, None
    printed_as, (day_first, month_first), separator = ambiguous
    if ambiguous_ok:
        return iso, None
    proven = proven or proven_order(text)
    if (proven == "DMY" and day == day_first) or (proven == "MDY" and day == month_first):
        return iso, None
    other = month_first if day == day_first else day_first
    if settle(day, other, body) == day:
        return iso, None
    if (usual == "DMY" and day == day_first) or (usual == "MDY" and day == month_first):
        return iso, None
    if separator == "." and day == day_first:
        return iso, None
    return None, (
        f"ambiguous day/month order: {printed_as!r} is {day_first.isoformat()} day first or "
        f"{month_first.isoformat()} month first, and the page settles neither"
    )


def _short_form(day: dt.date, text: str, order: str | None) -> bool:
    """Whether ``text`` prints ``day`` numerically with a two-digit year in the page's known
    day/month ``order`` ("30/10/23" day first), or with dots, day first, where the order is not
    known ("30.10.23"): read only to confirm a day found otherwise."""
    separators = "./-"
    if order not in ("DMY", "MDY"):
        order, separators = "DMY", "."
    d, m = (f"0?{day.day}", f"0?{day.month}")
    first, second = (d, m) if order == "DMY" else (m, d)
    pattern = (
        rf"(?<![\w.,/-]){first}\s?([{separators}])\s?{second}\s?\1\s?{day.year % 100:02d}(?![\d]|[.,/-]\d)"
    )
    return re.search(pattern, text) is not None


#: A date with its day, month and year, in any of the forms the text is read in; a word where
#: a month's name can be (looked up in _month_index: an alternation of the names is slow to
#: compile and to run), or two names of one month ("24 نيسان / أبريل 2020": the Levant's and
#: the standard Arabic name; the second is read).
_ANY_DATE = re.compile(
    r"(?<!\d)(?P<y1>(?:19|20)\d{2})\s?([-/.])\s?(?P<m1>\d{1,2})\s?\2\s?(?P<d1>\d{1,2})(?!\d)(?!\s?[-–~]\s?\d)"
    r"|(?<!\d)(?P<y0>(?:19|20)\d{2})(?P<m0>0[1-9]|1[0-2])(?P<d0>0[1-9]|[12]\d|3[01])(?!\d)"
    r"|(?P<y2>(?:19|20)\d{2})\s*[年년]\s*(?P<m2>\d{1,2})\s*[月월]\s*(?P<d2>\d{1,2})"
    r"|(?<![\w])(?P<d3>\d{1,2})(?:st|nd|rd|th|er|e|º|\.)?\s*(?:de\s+|of\s+)?"
    r"(?:[^\W\d_]{3,}\s?/\s?)?(?P<w3>[^\W\d_]{3,})\.?,?\s*"
    r"(?:de\s+)?(?P<y3>(?:19|20)\d{2})(?!\d)"
    r"|(?<![\w])(?P<w4>[^\W\d_]{3,})\.?\s*(?P<d4>\d{1,2})(?:st|nd|rd|th)?\.?,?\s+(?P<y4>(?:19|20)\d{2})(?!\d)"
    r"|(?<![\d.,/-])(?P<a5>\d{1,2})\s?(?P<s5>[-/.])\s?(?P<b5>\d{1,2})\s?(?P=s5)\s?(?P<y5>(?:19|20)\d{2})(?!\d)",
)


#: The start of a range that a date ends: "14.–", "14 - ", "28 June – ", "31. Dezember 2021–".
_RANGE_START = re.compile(
    r"(\d{1,2})(?:st|nd|rd|th|er)?\.?(?:\s*([^\W\d_]{3,})\.?,?(?:\s*(?:19|20)\d{2})?)?\s*[-–—]\s*$"
)


_RANGE_DASH = re.compile(r"\s*[-–—]\s*")
_MACHINE_TIME = re.compile(r"T\d\d:\d\d")


def _dates_in(text: str) -> Iterator[tuple[re.Match[str], dt.date | None, tuple[dt.date, dt.date] | None]]:
    """Every date of ``text`` as _decode reads it, with its match. A match that is no date (a
    word that is no month's name: "12 Posted 2020") is tried again one character on, so that
    it does not hide a date it overlaps ("2020年07月12日"). The end of a range of days names no
    one day: it is no date ("14.–20. Januar 2022", "14 - 20 July 2022", "28 June – 3 July
    2022", "31. Dezember 2021–6. Januar 2022": a smaller day, or a day and a month, and a
    year, before a dash; "Nr. 12 – 3. März 2020" is a number and a date), nor its start where
    that is a date of its own ("31. Dezember 2021 – …"). A timestamp as markup writes it
    ("2021-10-27T20:35:36+01:00", an attribute's value a template printed) is the markup's
    signal, not a date shown to readers: it confirms nothing."""
    pos = 0
    while (found := _ANY_DATE.search(text, pos)) is not None:
        sure, readings = _decode(found)
        if sure is None and readings is None:
            pos = found.start() + 1
            continue
        if found.group("y1") and _MACHINE_TIME.match(text, found.end()):
            pos = found.end()  # "2021-10-27T20:35:36+01:00": markup's value shown by mistake
            continue
        dash = _RANGE_DASH.match(text, found.end()) if sure is not None else None
        if dash is not None and _ANY_DATE.match(text, dash.end()):
            pos = dash.end()  # the start of a range of days (its end is then no day either)
            continue
        if sure is not None and (found.group("d3") or found.group("w4")):
            before = _RANGE_START.search(text, max(0, found.start() - 30), found.start())
            if before is not None and (
                int(before.group(1)) < sure.day or _month_index().get((before.group(2) or "").lower())
            ):
                pos = found.end()
                continue
        yield found, sure, readings
        pos = found.end()


def _decode(found: re.Match[str]) -> tuple[dt.date | None, tuple[dt.date, dt.date] | None]:
    """A match of _ANY_DATE: (the day it names for sure, None), or (None, (day first, month
    first)) for a numeric date that reads as either, or (None, None) for no date."""
    g = found.groupdict()
    try:
        if g["y1"]:
            return dt.date(int(g["y1"]), int(g["m1"]), int(g["d1"])), None
        if g["y0"]:
            return dt.date(int(g["y0"]), int(g["m0"]), int(g["d0"])), None
        if g["y2"]:
            return dt.date(int(g["y2"]), int(g["m2"]), int(g["d2"])), None
        index = _month_index()
        if g["y3"]:
            month = index.get(g["w3"].lower())
            return (dt.date(int(g["y3"]), month, int(g["d3"])), None) if month else (None, None)
        if g["y4"]:
            month = index.get(g["w4"].lower())
            return (dt.date(int(g["y4"]), month, int(g["d4"])), None) if month else (None, None)
        a, b, y = int(g["a5"]), int(g["b5"]), int(g["y5"])
    except ValueError:
        return None, None
    first = _day(y, b, a)
    second = _day(y, a, b)
    if first is None or second is None or first == second:
        return first or second, None
    return None, (first, second)


def _day(year: int, month: int, day: int) -> dt.date | None:
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def text_dates(
    text: str, order: str | None = None, body: bytes | None = None, usual: str | None = None
) -> Iterator[tuple[int, dt.date]]:
    """(position, day) of every date ``text`` prints in a form that names one day for sure:
    numeric dates with the year last in ``order``, or where only one order reads them, or
    where the page's bytes ``body`` hold one of the two readings with the year first (its
    markup's own ISO date) and not the other, or in the order of the page's language
    (``usual``), or day first where written with dots (``04.05.2018``: every language that
    writes dates with dots writes the day first)."""
    for found, sure, readings in _dates_in(text):
        if readings is not None:
            day_first, month_first = readings
            sure = day_first if order == "DMY" else month_first if order == "MDY" else None
            sure = sure or settle(day_first, month_first, body)
            sure = sure or (day_first if usual == "DMY" else month_first if usual == "MDY" else None)
            sure = sure or (day_first if found.group("s5") == "." else None)
        if sure is not None:
            yield found.start(), sure


_NUMERIC_DATES = re.compile(r"(?<![\d.,/-])(\d{1,2})\s?([-/.])\s?(\d{1,2})\s?\2\s?(?:19|20)?\d{2}(?![\d])")


def proven_order(text: str) -> str | None:
    """The day/month order ("DMY" or "MDY") that the numeric dates of a page prove: one that
    only day first can read (``25.06.2018``) and none that only month first can, or the
    reverse; None when none proves either, or they contradict each other."""
    day_first = month_first = False
    for first, _, second in _NUMERIC_DATES.findall(text):
        a, b = int(first), int(second)
        if 12 < a <= 31 and 1 <= b <= 12:
            day_first = True
        elif 12 < b <= 31 and 1 <= a <= 12:
            month_first = True
    if day_first == month_first:
        return None
    return "DMY" if day_first else "MDY"


#: Languages whose numeric dates with the year last are written day first (``04.05.2018`` is
#: 4 May), whatever the country: the usage of every language but English (and those that
#: write the year first: Chinese, Japanese, Korean, Hungarian, Lithuanian, left out).
DAY_FIRST_LANGUAGES = frozenset(
    (
        "de fr es it pt nl ru pl cs sk sl hr sr bs ro el tr uk be bg mk sq da nb nn no sv fi is et "
        "lv ca eu gl ga cy id ms vi th ar fa he hi af sw lb"
    ).split()
)
#: English is written day first in these regions; month first in the United States, and
#: ``en-US`` is the default of common publishing systems whatever the site's country, so it
#: settles nothing (nor does a bare ``en``).
DAY_FIRST_ENGLISH = frozenset("GB UK IE AU NZ IN ZA SG MY PK NG KE GH MT HK".split())


def language_order(tag: str | None) -> str | None:
    """The day/month order of numeric dates that the page's declared language (``de-CH``,
    ``en-GB``: pressbot.pagetext.declared_language) implies, if it implies one: "DMY" for a
    day-first language or English of a day-first region, else None. The page's own proof
    (proven_order, its markup's ISO dates: ``settle``) and the profile's order come first."""
    if not tag:
        return None
    primary, _, rest = tag.partition("-")
    if primary in DAY_FIRST_LANGUAGES:
        return "DMY"
    if primary == "en" and rest.split("-")[-1] in DAY_FIRST_ENGLISH:
        return "DMY"
    return None


#: The languages whose month names dates in a page's text are read in (dateparser's locale
#: data; reading all 200 of its locales costs a second and a half once per process).
MONTH_LANGUAGES = (
    "en de fr es it pt nl sv da nb nn fi is pl cs sk sl hr sr bs ro hu el ru uk be bg mk sq tr id "
    "ms vi tl ca eu gl lt lv et ga cy af sw ar fa he hi th"
).split()


@lru_cache(maxsize=1)
def _month_index() -> dict[str, int]:
    """Month name or abbreviation (lower case, 3 letters or more, or any of a script without
    case) -> its month, for the names that only one month has in MONTH_LANGUAGES."""
    from dateparser.languages.loader import default_loader

    keys = "january february march april may june july august september october november december"
    owners: dict[str, set[int]] = {}
    for locale in default_loader.get_locales(languages=MONTH_LANGUAGES):
        for month, key in enumerate(keys.split(), 1):
            for word in locale.info.get(key, ()):
                word = word.strip(". ").lower()
                if len(word) >= 3 or not word.isascii():
                    owners.setdefault(word, set()).add(month)
    return {w: next(iter(ms)) for w, ms in owners.items() if len(ms) == 1}


def describe(signals: Iterable[Signal]) -> list[str]:
    """The signals in words, one a line (inspection and the benchmark's verbose output)."""
    return [f"{s.kind} {s.name}={s.value!r} -> {s.day}{' (modified)' if s.modified else ''}" for s in signals]
