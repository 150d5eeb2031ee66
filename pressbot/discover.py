"""Zero configuration: find a listing page's entries, their fields, its pagination and its dates'
settings from the page alone, as a profile (the dict pressbot.profiles validates).

    discovery = discover(body, url, headers)
    discovery.sure, discovery.reason, discovery.profile, discovery.fields, discovery.entries

A pure function of the page's bytes: no fetching, no crawler. It looks for the structure every
listing shares: a block repeated many times, each with one link to a release, most with a
date-like text, often a teaser; then writes CSS selectors a person can read for the entries
and each field, checks that they select exactly what it found (through pressbot.parsing, as the
crawl will), and settles the dates' language and day/month order from the dates themselves
(pressbot.datelike). Where it is unsure (no repeated block of links, a navigation menu, a single
article) it says so and gives no profile: a crawl then writes nothing.
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import json
import re
from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any
from urllib.parse import urljoin, urlsplit

from cssselect import SelectorError
from lxml import etree
from parsel.csstranslator import css2xpath
from w3lib.encoding import html_to_unicode

from pressbot import bundled, datelike
from pressbot.fields import REQUIRED_LISTING_FIELDS
from pressbot.normalise import normalise, read_listing_dates
from pressbot.parsing import Page, _base_url, _joiner, page_from_bytes, parse_listing
from pressbot.profiles import Profile, ProfileError, parse_profile
from pressbot.text import element_text, squash

#: Elements whose content is never an entry (scripts, styles, templates and their like).
_SKIP = frozenset(
    {"script", "style", "noscript", "template", "svg", "math", "head", "iframe", "select", "option"}
)
_HEADINGS = ("h1", "h2", "h3", "h4", "h5", "h6")
#: Class or id words of page furniture: a block there is navigation, not a listing.
_FURNITURE = re.compile(
    r"(?:^|[-_ ])(?:nav|navbar|navigation|menu|menus|megamenu|footer|header|masthead|breadcrumbs?|"
    r"sidebar|widget|widgets|tagcloud|tags|cloud|share|sharing|social|related|popular|trending|"
    r"most-read|mostread|ticker|pagination|pager|paging|skip|cookie|banner|toolbar|language|"
    r"lang|calendar|category-list|recent-posts|comments?|login|subnav|topbar)(?:$|[-_ ])",
    re.IGNORECASE,
)
_FURNITURE_TAGS = frozenset({"nav", "footer", "header", "aside", "form"})
_TITLE_CLASS = re.compile(r"title|headline|heading|head|name|titel|titre|titulo|titolo", re.IGNORECASE)
#: Words of "next page" links, in the languages pressbot meets, and arrows of icon-only links.
_NEXT_WORDS = re.compile(
    # words a next link starts with ("Older releases", "Nächste Seite ›")...
    r"^(?:(?:next|older|earlier|suivante?|page suivante|weiter|nächste|ältere|siguientes?|"
    r"successiv[ao]|pagina successiva|volgende|oudere|próxima|seguinte|neste|nästa|næste|"
    r"seuraava|następna|další|次へ|次のページ|下一页|下一頁|下页|后页|다음|следующая|далее|επόμενη|"
    r"sonraki|tiếp)(?:$|[\s»›→>]))"
    # ...or the whole of its text
    r"|^(?:more|load more|show more|plus|vor|más|avanti|次|»|›|→|>|>>|»»)$",
    re.IGNORECASE,
)
_NEXT_CLASS = re.compile(
    r"(?:^|[-_ ])(?:next|older|nextpostslink|next-page|pager-next|load-more|loadmore)(?:$|[-_ ])", re.I
)
#: Classes of an arrow icon: a next link when the link has no text of its own.
_ARROW_CLASS = re.compile(
    r"(?:^|[-_ ])(?:arrow-right|chevron-right|angle-right|caret-right)(?:$|[-_ ])", re.I
)
#: Where a "next" link is not the listing's (a calendar's next month, a gallery's next picture).
_NOT_PAGER = re.compile(
    r"calendar|widget|breadcrumb|sidebar|menu|footer|related|share|gallery|carousel|slider|comment", re.I
)
_PREV_WORDS = re.compile(
    r"prev|previous|newer|précédent|zurück|vorige|anterior|precedente|前|上一页|«|‹|←", re.I
)
#: A class or id word that says nothing lasting (counters, states, generated names).
_UNSTABLE = re.compile(r"\d|^(?:odd|even|first|last|active|current|selected|is-|has-|js-|ng-|css-|sc-)", re.I)
_HAS_DIGIT = re.compile(r"\d")
#: Classes of a date that is the last update, not the publication.
_UPDATED = re.compile(r"updated|modified|dateModified|changed|edited", re.IGNORECASE)
_CSS_IDENT = re.compile(r"^-?[A-Za-z_][A-Za-z0-9_-]*$")
#: Words of a page that is one article, not a listing (og:type, schema.org types).
_ARTICLE_TYPES = {"article", "newsarticle", "blogposting", "reportagenewsarticle", "report", "pressrelease"}

#: Fewest entries a listing has for the detector to be sure of it.
MIN_ENTRIES = 3
#: Fewest entries an undated listing needs (no date to confirm what the block is).
MIN_UNDATED = 5


@dataclass
class FieldReport:
    """How one field was found: its selector, how many entries it fills, how sure, why."""

    name: str
    selector: str | None
    filled: int
    total: int
    confidence: str  # "sure", "likely", "unsure", "none"
    note: str

    def line(self) -> str:
        sel = self.selector or "-"
        return f"{self.name:<13} {self.confidence:<7} {self.filled}/{self.total}  {sel}  ({self.note})"


@dataclass
class Discovery:
    """What the detector found on one page."""

    url: str
    #: Whether the page is a listing pressbot is sure of; ``profile`` is None when not.
    sure: bool
    #: Why not, or what it chose, in one line.
    reason: str
    #: The profile, as the dict ``pressbot.profiles.parse_profile`` validates (TOML's shape).
    profile: dict[str, Any] | None = None
    fields: list[FieldReport] = field(default_factory=list)
    #: Notes for the report, and for the generated file's comments (key -> why).
    notes: dict[str, str] = field(default_factory=dict)
    #: The entries it found, as dicts of the listing fields (before normalisation).
    entries: list[dict[str, str | None]] = field(default_factory=list)
    #: Feeds the page advertises (<link rel="alternate">), absolute URLs.
    feeds: list[str] = field(default_factory=list)
    #: Candidates it weighed: (score, selector, entries), best first.
    candidates: list[tuple[float, str, int]] = field(default_factory=list)
    #: Whether the page says it is one article (og:type, schema.org): its links to the press
    #: room are the site's navigation, not where the user pointed.
    article: bool = False


# --- names ---------------------------------------------------------------------------------


def source_name(url: str) -> str:
    """A profile name made from the URL alone, the same on every run: the host without ``www.``
    and the path's words, e.g. ``example-gov-press-releases``, with a short hash of the whole
    URL when that is cut (ids depend on it: see items.release_id)."""
    parts = urlsplit(url)
    host = (parts.hostname or "local").lower()
    host = host[4:] if host.startswith("www.") else host
    if parts.port:
        host += f" {parts.port}"
    words = re.findall(r"[a-z0-9]+", f"{host} {parts.path} {parts.query}".lower())
    name = "-".join(words) or "site"
    if len(name) > 60 or parts.query:
        digest = hashlib.blake2b(url.encode("utf-8"), digest_size=3).hexdigest()
        name = f"{name[:50].rstrip('-')}-{digest}"
    return name


def base_url_of(url: str) -> str:
    """The generated profile's ``base_url``: the site's root, so that ids stay put when the
    listing moves within the site."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}/"


# --- the page ------------------------------------------------------------------------------


def decode(body: bytes, headers: Mapping[str, Any] | None = None) -> str:
    """The page's encoding as Scrapy decides it: the Content-Type header, a byte-order mark,
    the page's own declaration, else UTF-8."""
    content_type = None
    if headers:
        for key, value in headers.items():
            k = key.decode("latin-1") if isinstance(key, bytes) else str(key)
            if k.lower() == "content-type":
                if isinstance(value, list | tuple):
                    value = value[0] if value else b""
                content_type = value.decode("latin-1") if isinstance(value, bytes) else str(value)
    encoding, _ = html_to_unicode(content_type, body, auto_detect_fun=lambda _: "utf-8")
    return encoding


#: Texts of the page being looked at, by element (one page at a time: discover() clears it).
_TEXTS: dict[etree._Element, str] = {}
#: The page's elements hidden from sight (screen-reader notes), found once.
_HIDDEN_ELS: list[etree._Element] = []
#: Characters of text under each element of the page being looked at (a cheap measure of size).
_LENGTHS: dict[etree._Element, int] = {}
#: How many elements of an entry are read for its date.
_DATE_NODES = 150


def _measure(root: etree._Element) -> None:
    """Fill _LENGTHS in one pass, children before parents (and _HIDDEN_ELS)."""
    for el in reversed(list(root.iter())):
        if not isinstance(el.tag, str):
            continue
        if el.get("class") and _hidden(el):
            _HIDDEN_ELS.append(el)
        size = _solid(el.text) if el.tag not in _SKIP else 0
        for child in el:
            size += _LENGTHS.get(child, 0) + _solid(child.tail)
        _LENGTHS[el] = size


def _solid(text: str | None) -> int:
    """Characters of a text that are not white space."""
    return len(text) - sum(map(text.count, " \n\t\r")) if text else 0


def _text(el: etree._Element) -> str:
    """An element's visible text, whitespace-normalised: screen-reader notes left out."""
    text = _TEXTS.get(el)
    if text is None:
        try:
            text = squash(element_text(el))
            hidden = (
                [h for h in _HIDDEN_ELS if any(a is el for a in h.iterancestors())] if _HIDDEN_ELS else []
            )
            for h in hidden:
                note = squash(element_text(h))
                if note:
                    text = squash(text.replace(note, " ", 1))
        except Exception:  # markup nested too deep: no text for the detector either
            text = ""
        _TEXTS[el] = text
    return text


#: Classes of text shown to screen readers only ("opens in a new window").
_HIDDEN_CLASS = re.compile(
    r"^(?:sr-only|visually-hidden|visuallyhidden|screen-reader-text|screen-reader-only|"
    r"element-invisible|a11y-hidden|hidden-visually|u-visually-hidden|offscreen|sr-text)$"
)


def _hidden(el: etree._Element) -> str | None:
    """The class that hides an element from sight (not from screen readers), or None."""
    for c in _classes(el):
        if _HIDDEN_CLASS.match(c):
            return c
    return None


def _hidden_in(entries: list[_Entry], attr: str) -> list[str]:
    """The screen-reader classes inside the elements a field selects: the field's exclude."""
    found: dict[str, None] = {}
    for e in entries:
        el = getattr(e, attr)
        if el is None:
            continue
        for h in el.iter():
            if h is not el and isinstance(h.tag, str) and (c := _hidden(h)):
                found[f".{c}"] = None
    return list(found)


def _classes(el: etree._Element) -> list[str]:
    raw = el.get("class")
    return raw.split() if isinstance(raw, str) else []


def _stable(tokens: list[str]) -> list[str]:
    return [t for t in tokens if _stable_token(t)]


@lru_cache(maxsize=65536)
def _stable_token(token: str) -> bool:
    return _CSS_IDENT.match(token) is not None and _UNSTABLE.search(token) is None


def _sig(el: etree._Element) -> str:
    """A CSS compound selector for the element's kind: its tag and its stable classes."""
    return el.tag + "".join(f".{c}" for c in sorted(set(_stable(_classes(el)))))


def _furniture(el: etree._Element, page_text: int = 0) -> str | None:
    """Why an element is page furniture (navigation, footer, sidebar...), or None. A wrapper
    that holds most of the page's text (``page_text`` characters) is layout, not furniture
    (``<div class="has-sidebar">`` around the whole content)."""
    node: etree._Element | None = el
    while node is not None and isinstance(node.tag, str):
        if page_text and node.tag not in _FURNITURE_TAGS and _LENGTHS.get(node, 0) > 0.4 * page_text:
            break
        if (
            node.tag in _FURNITURE_TAGS
            and node.tag != "header"
            or (node.tag == "header" and _is_page_header(node))
        ):
            return f"inside <{node.tag}>"
        if node.get("role") in ("navigation", "banner", "contentinfo", "complementary", "menu", "menubar"):
            return f"inside role={node.get('role')}"
        words = " ".join(_classes(node)) + " " + (node.get("id") or "")
        m = _FURNITURE.search(words.replace("_", "-"))
        if m is not None and node.tag not in ("html", "body", "main", "article"):
            return f"inside .{m.group(0).strip(' -_')}"
        node = node.getparent()
    return None


def _is_page_header(el: etree._Element) -> bool:
    """A <header> of the page (a banner), not an entry's own header."""
    up = el.getparent()
    while up is not None:
        if up.tag in ("article", "li", "section") and up.tag != "body":
            return False
        up = up.getparent()
    return True


@dataclass
class _Link:
    el: etree._Element
    url: str
    text: str


def _links(root: etree._Element, base: str, page_url: str) -> dict[etree._Element, _Link]:
    """Every link on the page that can lead to a release: http(s), not to this page itself."""
    out: dict[etree._Element, _Link] = {}
    here = page_url.split("#")[0]
    join = _joiner(base)
    for a in root.iter("a"):
        href = a.get("href")
        if not href:
            continue
        href = href.strip()
        if href.startswith("#") or href.lower().startswith(("javascript:", "mailto:", "tel:", "data:")):
            continue
        if any(anc.tag in _SKIP for anc in a.iterancestors()):
            continue
        url = join(href)
        if url is None or not url.startswith(("http://", "https://", "file://")) or url.split("#")[0] == here:
            continue
        out[a] = _Link(a, url.split("#")[0], _text(a))
    return out


# --- candidates ----------------------------------------------------------------------------


@dataclass
class _Entry:
    """One record of a candidate block: its element, the siblings it spans, and what it holds."""

    el: etree._Element
    scope: list[etree._Element]
    link: _Link | None = None
    url: str | None = None
    title_el: etree._Element | None = None
    title: str = ""
    date_el: etree._Element | None = None
    date_text: str = ""
    date_attr: str | None = None
    teaser_el: etree._Element | None = None
    text_len: int = 0
    #: A day and month with no year: the row of a listing, but no date.
    partial_date: bool = False
    #: The teaser is its element's paragraphs.
    teaser_paragraphs: bool = False
    subtitle_el: etree._Element | None = None
    #: Where the release URL is given when no link leads there (a share button's data-url).
    data_url_el: etree._Element | None = None
    data_url_attr: str | None = None


@dataclass
class _Candidate:
    key: tuple
    elements: list[etree._Element]
    entries: list[_Entry] = field(default_factory=list)
    score: float = 0.0
    why: str = ""
    furniture: str | None = None
    dated: int = 0
    segmented: bool = False
    page_text: int = 0
    sampled: bool = False
    median_words: int = 0
    links_per_entry: int = 0
    #: (XPath from an entry to the heading above it that holds the date, the headings' texts)
    heading_date: tuple[str, list[str]] | None = None


def _candidate_groups(root: etree._Element, links: dict) -> dict[tuple, list[etree._Element]]:
    """Sibling groups of elements that hold links: (the parents' signature path, the members'
    tag and shared classes) -> members, in document order. Groups whose parents look alike
    (rows of a grid, lists under day headings) are one group."""
    holders: set[etree._Element] = set()
    # Share buttons that give a release URL where the title has no link hold entries too.
    given = root.xpath("//*[" + " or ".join(f"@{a}" for a in _DATA_URLS) + "]")
    for a in [*links, *given]:
        for anc in a.iterancestors():
            if anc in holders:
                break
            holders.add(anc)
    holders.update(links)
    holders.update(given)
    groups: dict[tuple, list[etree._Element]] = defaultdict(list)
    paths: dict[etree._Element, tuple] = {}

    def path_of(el: etree._Element) -> tuple:
        if el in paths:
            return paths[el]
        up = el.getparent()
        result = (path_of(up) if up is not None else ()) + (_sig(el),)
        paths[el] = result
        return result

    parents = {el.getparent() for el in holders if el.getparent() is not None}
    for parent in parents:
        if parent.tag in _SKIP or not isinstance(parent.tag, str):
            continue
        by_tag: dict[str, list[etree._Element]] = defaultdict(list)
        for child in parent:
            if isinstance(child.tag, str) and child.tag not in _SKIP:
                by_tag[child.tag].append(child)
        for tag, members in by_tag.items():
            with_links = [m for m in members if m in holders]
            if len(with_links) < 2:
                continue
            counts = Counter(t for m in with_links for t in set(_stable(_classes(m))))
            core = tuple(sorted(t for t, n in counts.items() if n >= 0.6 * len(with_links)))
            # Members of one kind share most of the core (WordPress adds a class per category,
            # tag and format to each post).
            chosen = [m for m in with_links if len(set(core) & set(_classes(m))) >= 0.5 * len(core)]
            if len(chosen) < 2:
                continue
            key = (path_of(parent), tag, core)
            groups[key].extend(chosen)
    return groups


def _scope(members: list[etree._Element]) -> tuple[list[list[etree._Element]], bool]:
    """Each member's elements: itself, or, for members that are headings, links or terms
    between other siblings (entries with no wrapper), itself and its siblings up to the next
    member: those after it where the first member leads its group (``<h2>`` then its date and
    teaser), those before it where the siblings lead (``<dt>`` date, then ``<dd>`` link)."""
    small = all(m.tag in _HEADINGS or m.tag in ("a", "span", "strong", "b", "dt", "dd", "p") for m in members)
    if not small:
        return [[m] for m in members], False
    member_set = set(members)

    def others(m: etree._Element, preceding: bool) -> list[etree._Element]:
        out: list[etree._Element] = []
        for sib in m.itersiblings(preceding=preceding):
            if sib in member_set or len(out) >= 5:
                break
            if isinstance(sib.tag, str):
                if sib.tag in _HEADINGS and m.tag in _HEADINGS:
                    break
                out.append(sib)
        return out

    before_first = others(members[0], True)
    after_last = others(members[-1], False)
    lead = bool(before_first) and not after_last
    scopes = []
    for m in members:
        around = others(m, lead)
        scopes.append([*reversed(around), m] if lead else [m, *around])
    return scopes, any(len(sc) > 1 for sc in scopes)


def _main_link(scope: list[etree._Element], links: dict) -> _Link | None:
    """The entry's link to its release: of its links, the URL given the most text (a title, a
    thumbnail and a "read more" all lead there), the first such on a tie."""
    found: list[_Link] = []
    for el in scope:
        if el in links:
            found.append(links[el])
        found.extend(links[a] for a in el.iter("a") if a in links and a is not el)
    found = [lk for lk in found if not _taxonomy(lk.el, lk.url)] or found
    if not found:
        return None
    weight: dict[str, float] = defaultdict(float)
    first: dict[str, int] = {}
    for i, link in enumerate(found):
        words = len(link.text.split())
        inside_heading = any(anc.tag in _HEADINGS for anc in link.el.iterancestors()) or any(
            d.tag in _HEADINGS for d in link.el.iter()
        )
        key = _url_key(link.url)
        weight[key] += len(link.text) + (40 if inside_heading else 0) + (5 if words >= 3 else 0)
        first.setdefault(key, i)
    url = max(weight, key=lambda u: (weight[u], -first[u]))
    best = [lk for lk in found if _url_key(lk.url) == url]

    def rank(lk: _Link) -> tuple:
        heading = any(anc.tag in _HEADINGS for anc in lk.el.iterancestors())
        return (heading, len(lk.text))

    return max(best, key=rank)


_DATA_URLS = ("data-url", "data-href", "data-link", "data-permalink", "data-share-url")


def _data_url(scope: list[etree._Element], base: str) -> tuple[str, etree._Element, str] | None:
    """A release URL given only in an attribute (a share button's data-url), for entries whose
    title has no link: (URL, the element, the attribute)."""
    for el in scope:
        for node in el.iter():
            if not isinstance(node.tag, str):
                continue
            for attr in _DATA_URLS:
                value = node.get(attr)
                if value and not value.strip().startswith(("#", "javascript:")):
                    try:
                        return urljoin(base, value.strip()), node, attr
                    except ValueError:
                        return None
    return None


def _title_of(entry: _Entry, links: dict) -> None:
    """The entry's title element: of the elements leading to its release, the heading with the
    most words (a kicker above a headline is shorter), else an element whose class says title,
    else the link itself with its text (or its title attribute)."""
    link = entry.link
    if link is None:
        unlinked = [h for el in entry.scope for h in el.iter(*_HEADINGS) if _text(h)]
        if unlinked:
            entry.title_el, entry.title = unlinked[0], _text(unlinked[0])
        return
    same = [a for el in entry.scope for a in ([el] if el in links else []) + list(el.iter("a"))]
    same = [a for a in dict.fromkeys(same) if a in links and _url_key(links[a].url) == _url_key(link.url)]
    headings: list[etree._Element] = []
    for a in same:
        for anc in a.iterancestors():
            if anc.tag in _HEADINGS:
                headings.append(anc)
                break
            if anc in entry.scope:
                break
        headings.extend(h for h in a.iter(*_HEADINGS) if _text(h))
    headings = [h for h in dict.fromkeys(headings) if _text(h)]
    if headings:
        best = max(headings, key=lambda h: (len(_text(h).split()) + len(_text(h)) / 1000, -headings.index(h)))
        # A heading holding more than its link (a date, a counter) gives way to the link.
        inner = [a for a in same if a in best.iter("a")]
        if inner and len(_text(best)) > len(links[inner[0]].text) + 3 and links[inner[0]].text:
            best = inner[0]
        entry.title_el, entry.title = best, _text(best)
        return
    titled = [
        c
        for a in same
        for c in a.iter()
        if c is not a and isinstance(c.tag, str) and _TITLE_CLASS.search(" ".join(_classes(c))) and _text(c)
    ]
    if titled:
        entry.title_el, entry.title = titled[0], _text(titled[0])
        return
    texts = [a for a in same if links[a].text and datelike.find_date(links[a].text) is None]
    fitting = [a for a in texts if 2 <= len(links[a].text.split()) <= 40] or texts
    if fitting:
        # The link that reads as a title: the first with most words, short of a whole teaser.
        best = max(fitting, key=lambda a: (min(len(links[a].text.split()), 25), -fitting.index(a)))
        entry.title_el, entry.title = best, links[best].text
        return
    if link.el.get("title"):
        entry.title_el, entry.title = link.el, squash(link.el.get("title") or "")


def _date_of(entry: _Entry, languages: tuple[str, ...]) -> None:
    """The entry's date: a <time> (or an element with a datetime) whose text is a date, else
    the smallest element holding a whole printed date (not the title): first where the date is
    the element's own text, then where it spans a few small children (a box of day, month and
    year). A datetime attribute is kept for entries whose printed date is no date ("2 hours
    ago"). Only the first elements of an entry are read: a date leads or closes the teaser,
    it is not deep in a whole post."""
    title_el = entry.title_el
    above_title = set(title_el.iterancestors()) | {title_el} if title_el is not None else set()
    nodes = []
    for el in entry.scope:
        for node in el.iter():
            if isinstance(node.tag, str) and node.tag not in _SKIP:
                nodes.append(node)
            if len(nodes) >= _DATE_NODES:
                break
    best: tuple[int, etree._Element, str] | None = None
    # A <time> of the last update beside the one of publication: publication first.
    stamps = [n for n in nodes if n.tag == "time" or n.get("datetime")]
    stamps.sort(
        key=lambda n: _UPDATED.search(" ".join(_classes(n)) + " " + (n.get("itemprop") or "")) is not None
    )
    for node in stamps:
        text = _text(node)
        if datelike.find_date(text, languages) is not None:
            entry.date_el, entry.date_text = node, text
            return
    for node in nodes:
        stamp = node.get("datetime")
        if node.tag == "time" or stamp:
            if stamp and entry.date_attr is None:
                entry.date_attr, entry.date_el = stamp, node
            continue
        if node in above_title:
            continue
        own = (node.text or "") + "".join((c.tail or "") for c in node)
        # (A date's element is small: a long paragraph that mentions one is a teaser.)
        if len(own) > 300 or not _HAS_DIGIT.search(own) or datelike.find_date(own, languages) is None:
            continue
        text = _text(node)
        if len(text) <= 200 and (best is None or len(text) < best[0]):
            best = (len(text), node, text)
    if best is None:  # a date made of several small elements
        for node in nodes:
            if node in above_title or len(node) == 0 or _LENGTHS.get(node, 0) > 60:
                continue
            text = _text(node)
            dated = _HAS_DIGIT.search(text) and datelike.find_date(text, languages) is not None
            if dated and (best is None or len(text) < best[0]):
                best = (len(text), node, text)
    if best is not None:
        entry.date_el, entry.date_text = best[1], best[2]
        return
    for node in nodes:
        if (
            len(node) == 0
            and node.text
            and _HAS_DIGIT.search(node.text)
            and datelike.partial_date(node.text, languages)
        ):
            entry.partial_date = True
            return


def _teaser_of(entry: _Entry) -> None:
    """The entry's teaser: its longest paragraph of text that is neither title nor date."""
    best: tuple[int, etree._Element] | None = None
    skip = {entry.title_el, entry.date_el}
    for el in entry.scope:
        for node in el.iter("p", "div", "span", "section", "dd", "blockquote"):
            if node in skip or any(s is not None and s in node.iterancestors() for s in skip):
                continue
            if any(s is not None and node in s.iterancestors() for s in skip):
                continue  # holds the title or the date
            if any(c.tag in ("p", "div") for c in node) and node.tag != "p":
                continue
            text = _text(node)
            if len(text) < 40 or (entry.title and text.startswith(entry.title)):
                continue
            if best is None or len(text) > best[0] + 20:
                best = (len(text), node)
    if best is not None:
        node = best[1]
        parent = node.getparent()
        # A teaser of several paragraphs: their container, whose paragraphs the field keeps.
        kids = [c for c in parent if isinstance(c.tag, str)] if parent is not None else []
        # A teaser of paragraphs in a box of its own: the box, whose paragraphs the field keeps.
        if (
            node.tag == "p"
            and parent is not None
            and parent not in entry.scope
            and kids
            and all(c.tag == "p" for c in kids)
            and not any(s is not None and (s in kids or s is parent) for s in skip)
        ):
            entry.teaser_paragraphs = True
            node = parent
        entry.teaser_el = node


#: Classes of a deck line (a subtitle), as the themes name it.
_SUBTITLE_CLASS = re.compile(
    r"(?:^|[-_ ])(?:subtitle|sub-title|subtitel|deck|dek|standfirst|strapline|subheading|sub-heading|"
    r"untertitel|sous-titre|kicker-sub)(?:$|[-_ ])",
    re.IGNORECASE,
)


def _subtitle_of(entry: _Entry) -> None:
    """The entry's deck line: an element whose class says subtitle (or deck, standfirst), with
    text, that is neither the title, the date nor the teaser."""
    skip = {entry.title_el, entry.date_el, entry.teaser_el}
    for el in entry.scope:
        for node in itertools.islice(el.iter(), _DATE_NODES):  # (a deck is near the top)
            if not isinstance(node.tag, str) or node in skip:
                continue
            if _SUBTITLE_CLASS.search(" ".join(_classes(node))) and _text(node):
                if any(
                    s is not None and (s in node.iterancestors() or node in s.iterancestors()) for s in skip
                ):
                    continue
                entry.subtitle_el = node
                return


def _url_looks_like_release(url: str) -> float:
    """How much a URL looks like one release's page (a slug, an id, a deep path), 0..1."""
    path = urlsplit(url).path.rstrip("/")
    segs = [s for s in path.split("/") if s]
    if not segs:
        return 0.0
    last = segs[-1]
    score = 0.0
    if len(segs) >= 2:
        score += 0.3
    if last.count("-") + last.count("_") >= 2 or len(last) >= 20:
        score += 0.5
    if re.search(r"\d{3,}", path):
        score += 0.3
    if re.search(r"\.(html?|php|aspx?|pdf)$", last):
        score += 0.2
    if re.fullmatch(r"(page|category|tag|tags|author|topics?|section|search|archive)", last, re.I):
        score -= 0.5
    return max(0.0, min(1.0, score))


def _cjk(text: str) -> bool:
    return re.search(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]", text) is not None


def _words(text: str) -> int:
    """Words in a title; for scripts written without spaces, a word every two characters."""
    return len(text) // 2 if _cjk(text) else len(text.split())


_TAXONOMY = re.compile(
    r"/(?:category|categories|tag|tags|topics?|author|authors|label|labels|categoria|etiqueta|"
    r"kategorie|schlagwort|rubrique|themen?|thema|section|sections|people|archive)/",
    re.IGNORECASE,
)


def _taxonomy(a: etree._Element, url: str) -> bool:
    """A link to a category, tag or author page: beside a release, never the release."""
    rel = (a.get("rel") or "").lower().split()
    return "tag" in rel or "category" in rel or "author" in rel or _taxonomy_url(url)


@lru_cache(maxsize=8192)
def _taxonomy_url(url: str) -> bool:
    return _TAXONOMY.search(urlsplit(url).path) is not None


def _url_key(url: str) -> str:
    return url.split("#")[0].rstrip("/")


def _generic_titles(entries: list[_Entry]) -> None:
    """Entries whose link says the same in each ("Read more", "Mehr"): the title is their
    heading (or their element whose class says title), which has no link of its own."""
    titles = Counter(e.title for e in entries if e.title)
    if len(entries) < 3 or not titles or titles.most_common(1)[0][1] < 0.6 * len(entries):
        return
    for e in entries:
        found = [
            h
            for el in e.scope
            for h in el.iter()
            if isinstance(h.tag, str)
            and (h.tag in _HEADINGS or _TITLE_CLASS.search(" ".join(_classes(h))))
            and _text(h)
            and h is not (e.link.el if e.link else None)
        ]
        if found:
            e.title_el, e.title = found[0], _text(found[0])
        else:
            e.title_el, e.title = None, ""


#: Entries of a long block that its first score looks at.
_SAMPLE = 60


def _prescore(cand: _Candidate, links: dict, base: str, full: bool = False) -> None:
    """A first, cheap score from the entries' links and titles (no dates): the best few
    candidates are then weighed whole (``_evaluate``)."""
    elements = cand.elements
    if len(elements) > _SAMPLE and not full:  # a long block is judged on a sample first
        elements = elements[:: len(elements) // _SAMPLE + 1]
    cand.sampled = len(elements) < len(cand.elements)
    scopes, cand.segmented = _scope(cand.elements)
    scopes = scopes if not cand.sampled else [scopes[cand.elements.index(e)] for e in elements]
    entries = []
    for el, scope in zip(elements, scopes, strict=True):
        entry = _Entry(el=el, scope=scope)
        entry.link = _main_link(scope, links)
        entry.url = entry.link.url if entry.link else None
        if entry.link is None and (given := _data_url(scope, base)) is not None:
            entry.url, entry.data_url_el, entry.data_url_attr = given
        _title_of(entry, links)
        entries.append(entry)
    cand.entries = entries
    _generic_titles(entries)
    with_url = [e for e in entries if e.url and e.title]
    n = len(with_url)
    if n < 2:
        cand.score = 0.0
        return
    distinct = len({e.url for e in with_url}) / n
    words = sorted(_words(e.title) for e in with_url)[n // 2]
    cand.median_words = words
    title_q = 1.0 if words >= 4 else 0.7 if words == 3 else 0.35 if words == 2 else 0.1
    # One release a record: a block whose records each hold several titled links to different
    # pages is a list of lists (a column of sections, a mega menu), not a listing.
    titled = sorted(
        len(
            {
                _url_key(links[a].url)
                for el in e.scope
                for a in el.iter("a")
                if a in links and _words(links[a].text) >= 3 and not _taxonomy(a, links[a].url)
            }
        )
        for e in with_url
    )[n // 2]
    cand.links_per_entry = titled
    single = 1.0 if titled <= 1 else 1.0 / titled
    cand.furniture = _furniture(cand.elements[0].getparent(), cand.page_text)
    total = n * len(cand.elements) / len(entries)  # (the whole block's, from a sample)
    cand.score = (
        total**0.7 * title_q * distinct**3 * single * (0.15 if cand.furniture else 1.0) * n / len(entries)
    )


#: Entries of a block that its dates and fields are worked out from (a page of thousands is
#: read the same way throughout).
_FIELD_SAMPLE = 300


def _sample(entries: list[_Entry]) -> list[_Entry]:
    if len(entries) <= _FIELD_SAMPLE:
        return entries
    return entries[:: len(entries) // _FIELD_SAMPLE + 1]


def _evaluate(cand: _Candidate, languages: tuple[str, ...]) -> None:
    """The whole score: the prescore, weighed by dates, text and how release-like the links are."""
    with_url = _sample([e for e in cand.entries if e.url and e.title])
    n = len(with_url)
    for e in _sample(cand.entries):
        e.text_len = sum(_LENGTHS.get(s, 0) for s in e.scope)
        _date_of(e, languages)
    cand.dated = sum(1 for e in with_url if e.date_text or e.date_attr)
    partial = sum(1 for e in with_url if e.partial_date and not (e.date_text or e.date_attr))
    if not cand.dated:
        heading = _heading_date(cand)
        if heading is not None:
            cand.heading_date = heading
            cand.dated = n
    date_frac = (cand.dated + 0.5 * partial) / n
    avg_text = sum(e.text_len for e in with_url) / n
    richness = 1 + min(avg_text, 300) / 300
    release_like = sum(_url_looks_like_release(e.url or "") for e in with_url) / n
    slider = any(
        re.search(
            r"slide|slider|carousel|swiper|ticker|marquee",
            " ".join(_classes(a)) + " " + (a.get("id") or ""),
            re.I,
        )
        for a in [cand.elements[0], *list(cand.elements[0].iterancestors())[:3]]
    )
    cand.score *= (1 + 1.5 * date_frac) * richness * (0.4 + release_like) * (0.5 if slider else 1.0)
    cand.why = (
        f"{n} entries, {cand.dated} dated, titles of {cand.median_words} words, "
        f"{len({e.url for e in with_url}) / n:.0%} distinct links"
        + (f", {cand.links_per_entry} titled links an entry" if cand.links_per_entry > 1 else "")
        + (f", {cand.furniture}" if cand.furniture else "")
        + (", a slider" if slider else "")
    )


# --- selectors -----------------------------------------------------------------------------


@lru_cache(maxsize=4096)
def _xpath_of_css(css: str) -> str | None:
    try:
        return css2xpath(css)
    except (SelectorError, ValueError):
        return None


def _select(root: etree._Element, css: str) -> list[etree._Element]:
    xpath = _xpath_of_css(css)
    compiled = _xpath(xpath) if xpath is not None else None
    if compiled is None:
        return []
    try:
        return [n for n in compiled(root) if isinstance(n, etree._Element)]
    except etree.XPathError:
        return []


def _entry_css(root: etree._Element, elements: list[etree._Element], entries: list[_Entry]) -> str | None:
    """The shortest CSS selector (the elements' tag and fewest classes, then their ancestors')
    that selects ``elements`` on the page and nothing else that has a link to follow."""
    target = set(elements)
    ok_extra = _inert

    core = set.intersection(*(set(_stable(_classes(e))) for e in elements))
    page_text = _LENGTHS.get(next(root.iter("body"), root), 0)

    def kin(el: etree._Element) -> bool:
        # The same kind of record in another section of the listing (the day's rows under
        # another heading): an entry too, unless it sits in page furniture.
        return (
            len(elements) >= 2
            and bool(core)
            and el.tag == elements[0].tag
            and core <= set(_classes(el))
            and _furniture(el.getparent(), page_text) is None
            and not any(a in target for a in el.iterancestors())
        )

    def fits(css: str) -> bool:
        got = set(_select(root, css))
        extra = got - target
        if not target <= got:
            return False
        inert = [e for e in extra if ok_extra(e)]
        return len(inert) <= max(1, len(target) // 5) and all(e in inert or kin(e) for e in extra)

    owns = _own_options(elements)
    ancestors = []
    up = elements[0].getparent()
    while up is not None and up.tag != "html":
        ancestors.append(up)
        up = up.getparent()
    prefixes = []
    for i, anc in enumerate(ancestors):
        sig = _anc_sig(anc)
        if (
            sig is not None
            and all(_has_ancestor_sig(e, anc, i) for e in elements)
            or (sig is not None and all(any(_anc_sig(a) == sig for a in e.iterancestors()) for e in elements))
        ):
            prefixes.append((i, sig))
    for own in owns:
        if fits(own):
            return own
    for own in owns:
        for i, sig in prefixes:
            for css in ((f"{sig} > {own}",) if i == 0 else ()) + (f"{sig} {own}",):
                if fits(css):
                    return css
    for own in owns[:2]:
        for a, (_, sig1) in enumerate(prefixes):
            for _, sig2 in prefixes[a + 1 :]:
                css = f"{sig2} {sig1} {own}"
                if fits(css):
                    return css
    path = []
    node: etree._Element | None = elements[0].getparent()
    while node is not None and node.tag != "html":
        path.append(_anc_sig(node) or node.tag)
        node = node.getparent()
    css = " > ".join(reversed(path)) + " > " + owns[-1]
    return css if fits(css) else None


def _own_options(elements: list[etree._Element]) -> list[str]:
    """CSS compounds for the elements themselves, fewest classes first: the tag, the tag with
    each class all of them share (the rarest on the page first), then all shared classes."""
    counts = Counter(t for e in elements for t in set(_stable(_classes(e))))
    shared = sorted(t for t, n in counts.items() if n == len(elements))
    tag = elements[0].tag
    options = [tag] + [f"{tag}.{c}" for c in shared]
    if len(elements) < 3 and shared:  # a lone box: by its class, not by a tag every box has
        options = options[1:] + options[:1]
    if len(shared) >= 2:
        options += [f"{tag}.{a}.{b}" for i, a in enumerate(shared) for b in shared[i + 1 :]][:10]
        options.append(tag + "".join(f".{c}" for c in shared))
    return list(dict.fromkeys(options))


def _inert(el: etree._Element) -> bool:
    """Whether an element an entry selector picks beyond the entries gives nothing: no link (a
    section's header in the row of posts), so that validation drops it."""
    return not any(a.get("href") for a in el.iter("a")) and not (el.tag == "a" and el.get("href"))


def _shared_sig(elements: list[etree._Element]) -> str:
    counts = Counter(t for e in elements for t in set(_stable(_classes(e))))
    shared = sorted(t for t, n in counts.items() if n == len(elements))
    return elements[0].tag + "".join(f".{c}" for c in shared)


def _anc_sig(el: etree._Element) -> str | None:
    ident = el.get("id")
    if ident and _CSS_IDENT.match(ident) and not re.search(r"\d", ident):
        return f"{el.tag}#{ident}"
    stable = _stable(_classes(el))
    if stable:
        return el.tag + "".join(f".{c}" for c in sorted(set(stable))[:2])
    if el.tag in ("main", "article", "section", "ul", "ol", "dl", "table", "tbody", "body"):
        return el.tag
    return None


def _has_ancestor_sig(el: etree._Element, anc: etree._Element, depth: int) -> bool:
    sig = _anc_sig(anc)
    if sig is None:
        return False
    up = el
    for _ in range(depth + 1):
        up = up.getparent()
        if up is None:
            return False
    return _anc_sig(up) == sig


def _relative_css(entry_el: etree._Element, target: etree._Element) -> list[str]:
    """CSS selectors from an entry to an element inside it, most general first (``:scope``:
    the entry itself, for entries that are their own link)."""
    if target is entry_el:
        return [":scope"]
    path = []
    node: etree._Element | None = target
    while node is not None and node is not entry_el:
        path.append(node)
        node = node.getparent()
    path.reverse()
    last = path[-1]
    options = [_sig(last), last.tag]
    if len(path) >= 2:
        options.append(f"{_sig(path[-2])} {_sig(last)}")
        options.append(f"{_sig(path[-2])} > {_sig(last)}")
    options.append(" > ".join(_sig(p) for p in path))
    seen: list[str] = []
    for o in options:
        if o not in seen:
            seen.append(o)
    return seen


@lru_cache(maxsize=4096)
def _xpath(xpath: str) -> etree.XPath | None:
    try:
        return etree.XPath(xpath)
    except etree.XPathError:
        return None


def _first_match(entry_el: etree._Element, xpath: str):
    compiled = _xpath(xpath)
    if compiled is None:
        return None
    try:
        found = compiled(entry_el)
    except etree.XPathError:
        return None
    return found[0] if isinstance(found, list) and found else None


def _layout_css(blocks: list[list[_Entry]], attr: str) -> tuple[str | None, int]:
    """A field's selector over entries of one or more layouts: one selector if it fits them
    all, else each layout's own, joined (a CSS union: the first match in each entry)."""
    entries = [e for b in blocks for e in b]
    css, right = _field_css(entries, attr)
    if len(blocks) < 2 or css is None or right >= sum(1 for e in entries if getattr(e, attr) is not None):
        return css, right
    parts = []
    for block in blocks:
        own, _ = _field_css(block, attr)
        if own is not None and own.startswith("xpath:"):
            return css, right
        if own is not None and own != ":scope" and own not in parts:
            parts.append(own)
    if not parts:
        return css, right
    union = ", ".join(parts)
    xpath = _xpath_of_css(union)
    if xpath is None:
        return css, right
    got = sum(
        1 for e in entries if getattr(e, attr) is not None and _first_match(e.el, xpath) is getattr(e, attr)
    )
    return (union, got) if got > right else (css, right)


def _field_css(entries: list[_Entry], attr: str) -> tuple[str | None, int]:
    """The relative selector whose first match in each entry is the element the detector
    chose (``attr`` of the entry), for the most entries: (selector, entries it is right for).
    A CSS selector where the element is inside the entry; an XPath (``xpath:…``) from the entry
    to a sibling of it (entries with no wrapper: the date after the heading)."""
    chosen = [(e, getattr(e, attr)) for e in entries if getattr(e, attr) is not None]
    if not chosen:
        return None, 0
    options: Counter[str] = Counter()
    for e, t in chosen:
        if t is e.el or any(a is e.el for a in t.iterancestors()):
            for css in _relative_css(e.el, t):
                options[css] += 1
        else:
            for xp in _sibling_xpaths(e, t):
                options["xpath:" + xp] += 1
    best, best_right = None, -1
    for css, _ in options.most_common(12):
        xpath = css[6:] if css.startswith("xpath:") else "self::*" if css == ":scope" else _xpath_of_css(css)
        if xpath is None:
            continue
        right = sum(1 for e, t in chosen if _first_match(e.el, xpath) is t)
        wrong = sum(1 for e in entries if getattr(e, attr) is None and _first_match(e.el, xpath) is not None)
        score = right - wrong
        if score > best_right:
            best, best_right = css, score
    return best, max(best_right, 0)


def _sibling_xpaths(entry: _Entry, target: etree._Element) -> list[str]:
    """XPaths from an entry with no wrapper to an element in one of the siblings it spans."""
    holder = next(
        (s for s in entry.scope if s is target or any(a is s for a in target.iterancestors())), None
    )
    if holder is None or holder is entry.el:
        return []
    parent = entry.el.getparent()
    if parent is None:
        return []
    kids = [c for c in parent if isinstance(c.tag, str)]
    offset = kids.index(holder) - kids.index(entry.el)
    axis = "following-sibling" if offset > 0 else "preceding-sibling"
    step = f"{axis}::*[{abs(offset)}][self::{holder.tag}]"
    named = f"{axis}::{holder.tag}[1]"
    inner = ""
    if target is not holder:
        inner = "//" + target.tag
    return [step + inner, named + inner] if offset in (1, -1) else [step + inner]


# --- pagination ----------------------------------------------------------------------------


def _next_page(root: etree._Element, links: dict, base: str, page_url: str) -> tuple[dict[str, Any], str]:  # noqa: C901
    """The profile's pagination keys and a note on how the next page was found."""
    head_next = [
        h for h in root.xpath("//link[contains(concat(' ', normalize-space(@rel), ' '), ' next ')]/@href")
    ]
    candidates: list[tuple[int, etree._Element]] = []
    for a, link in links.items():
        rel = (a.get("rel") or "").lower().split()
        text = link.text.lower().strip()
        words = " ".join(_classes(a) + _classes(a.getparent()) if a.getparent() is not None else _classes(a))
        label = " ".join(filter(None, [a.get("aria-label"), a.get("title")])).strip().lower()
        icon = not text and len(a) > 0
        score = 0
        if "next" in rel:
            score += 5
        if _NEXT_CLASS.search(words.replace("_", "-")):
            score += 3
        if text and _NEXT_WORDS.match(text):
            score += 3
        if label and _NEXT_WORDS.match(label):
            score += 3
        if icon and _ARROW_CLASS.search(" ".join(c for d in a.iter() for c in _classes(d))):
            score += 3
        if score >= 3 and _off_pager(a):
            continue
        if _PREV_WORDS.search(text + " " + words + " " + label):
            score -= 4
        if score >= 3:
            candidates.append((score, a))
    if candidates:
        candidates.sort(key=lambda c: -c[0])
        a = candidates[0][1]
        sel = _next_selector(root, a)
        if sel is not None:
            return {"next_page": sel}, f"a next link ({_text(a) or a.get('aria-label') or 'an icon'})"
    if head_next:
        return {}, '<link rel="next"> in the head (the parser follows it by default)'
    pager = _numbered_pager(root, links)
    if pager is not None:
        return {"pagination": "pager", "pager": pager}, "a numbered pager"
    more = _load_more(root)
    if more is not None:
        return {"next_page": more}, (
            "a load-more endpoint (its data attribute): the pages it returns must hold the same "
            "entries; if it answers JSON, write a JSON listing profile"
        )
    return {}, "no next link, pager or <link rel=next>: one page"


def _off_pager(a: etree._Element) -> bool:
    """Whether a link sits where no listing's pager is (a calendar, a widget, a menu)."""
    for anc in a.iterancestors():
        words = " ".join(_classes(anc)) + " " + (anc.get("id") or "")
        if _NOT_PAGER.search(words) or anc.tag in ("aside", "footer"):
            return True
    return False


def _next_selector(root: etree._Element, a: etree._Element) -> str | dict[str, str] | None:
    """A selector for the next link made only of what says "next" about it (its rel, a class
    that says next, its label, an arrow icon, its text), so that it never picks the link back
    to the newer page on the pages after this one."""
    options: list[str | dict[str, str]] = []
    if "next" in (a.get("rel") or "").lower().split():
        options.append("a[rel~=next]::attr(href)")
    for c in _stable(_classes(a)):
        if _NEXT_CLASS.search(c):
            options.append(f"a.{c}::attr(href)")
    parent = a.getparent()
    if parent is not None:
        for c in _stable(_classes(parent)):
            if _NEXT_CLASS.search(c):
                options.append(f"{parent.tag}.{c} > a::attr(href)")
    for attr in ("aria-label", "title"):
        label = squash(a.get(attr) or "")
        if label and _NEXT_WORDS.match(label) and '"' not in label and "\\" not in label:
            options.append(f'a[{attr}="{label}"]::attr(href)')
    for d in a.iter():
        if d is a or not isinstance(d.tag, str):
            continue
        for c in _stable(_classes(d)):
            if _NEXT_CLASS.search(c) or _ARROW_CLASS.search(c):
                has_class = f"contains(concat(' ', normalize-space(@class), ' '), ' {c} ')"
                options.append({"xpath": f"//a[.//*[{has_class}]]/@href"})
    text = _text(a)
    if text and "'" not in text:
        options.append({"xpath": f"//a[normalize-space()='{text}']/@href"})
    for option in options:
        if isinstance(option, dict):
            found = [
                n
                for n in (_xpath(option["xpath"].rsplit("/@href", 1)[0]) or (lambda _r: []))(root)
                if isinstance(n, etree._Element)
            ]
        else:
            found = _select(root, option.replace("::attr(href)", ""))
        if found and found[0] is a:
            return option
    return None


_LOAD_MORE = (
    "data-next",
    "data-next-page",
    "data-next-url",
    "data-load-more",
    "data-more",
    "data-url",
    "data-href",
)


def _load_more(root: etree._Element) -> str | None:
    """A "load more" button's endpoint (``data-next``, or the data URL of a button whose text
    or class says more), as a next page selector."""
    for node in root.iter("button", "a", "div", "span", "li", "nav"):
        for attr in _LOAD_MORE:
            value = (node.get(attr) or "").strip()
            if not value or value.startswith(("#", "javascript:")):
                continue
            words = (_text(node) + " " + " ".join(_classes(node)) + " " + (node.get("id") or "")).lower()
            if (
                attr.startswith("data-next")
                or attr in ("data-load-more", "data-more")
                or (
                    _NEXT_WORDS.match(_text(node))
                    or re.search(r"load-?more|more|weitere|plus|más|altri|meer", words)
                )
            ):
                sel = f"[{attr}]::attr({attr})"
                found = _select(root, f"[{attr}]")
                if found and found[0] is node and not _off_pager(node):
                    return sel
    return None


def _numbered_pager(root: etree._Element, links: dict) -> str | None:
    by_parent: dict[etree._Element, list[etree._Element]] = defaultdict(list)
    for a, link in links.items():
        if link.text.isdigit() and not _off_pager(a):
            container = a.getparent()
            while container is not None and container.tag in ("li", "span"):
                container = container.getparent()
            if container is not None:
                by_parent[container].append(a)
    best = max(by_parent.items(), key=lambda kv: len(kv[1]), default=None)
    if best is None or len(best[1]) < 2:
        return None
    container = best[0]
    sig = _anc_sig(container)
    if sig is None:
        return None
    css = f"{sig} a[href]"
    if _select(root, css):
        return f"{css}::attr(href)"
    return None


# --- the whole page ------------------------------------------------------------------------


def _feeds(root: etree._Element, base: str) -> list[str]:
    out = []
    for link in root.iter("link"):
        rel = (link.get("rel") or "").lower().split()
        kind = (link.get("type") or "").lower()
        if "alternate" in rel and ("rss" in kind or "atom" in kind) and link.get("href"):
            with contextlib.suppress(ValueError):
                out.append(urljoin(base, link.get("href").strip()))
    return list(dict.fromkeys(out))


def _article_page(root: etree._Element) -> bool:
    """Whether the page says it is one article (og:type, a schema.org type at its top)."""
    for meta in root.iter("meta"):
        kind = (meta.get("property") or meta.get("name") or "").lower()
        if kind == "og:type" and (meta.get("content") or "").lower().strip() in _ARTICLE_TYPES:
            return True
    for script in root.iter("script"):
        if (script.get("type") or "").lower() != "application/ld+json" or not script.text:
            continue
        try:
            data = json.loads(script.text)
        except (ValueError, RecursionError):
            continue
        items = (
            data if isinstance(data, list) else data.get("@graph", [data]) if isinstance(data, dict) else []
        )
        for obj in items:
            if isinstance(obj, dict):
                kind = obj.get("@type")
                kinds = kind if isinstance(kind, list) else [kind]
                if any(isinstance(k, str) and k.lower() in _ARTICLE_TYPES for k in kinds) and (
                    "articleBody" in obj or obj.get("mainEntityOfPage")
                ):
                    return True
    return False


def _itemlist_urls(root: etree._Element, base: str) -> set[str]:
    """URLs a schema.org ItemList on the page names (JSON-LD or microdata)."""
    urls: set[str] = set()
    for script in root.iter("script"):
        if (script.get("type") or "").lower() != "application/ld+json" or not script.text:
            continue
        try:
            data = json.loads(script.text)
        except (ValueError, RecursionError):
            continue
        stack = [data]
        while stack:
            obj = stack.pop()
            if isinstance(obj, list):
                stack.extend(obj)
            elif isinstance(obj, dict):
                if obj.get("@type") == "ItemList":
                    for item in obj.get("itemListElement") or []:
                        if isinstance(item, dict):
                            u = (
                                item.get("url") or (item.get("item") or {}).get("url")
                                if isinstance(item.get("item"), dict)
                                else item.get("url") or item.get("item")
                            )
                            if isinstance(u, str):
                                urls.add(urljoin(base, u).split("#")[0])
                stack.extend(v for v in obj.values() if isinstance(v, dict | list))
    for el in root.xpath("//*[@itemtype and contains(@itemtype, 'ItemList')]//*[@itemprop='url']"):
        u = el.get("href") or el.get("content")
        if u:
            urls.add(urljoin(base, u).split("#")[0])
    return urls


#: The page being looked at (one at a time), for the last check of the selectors found.
_BODY: dict[str, Any] = {}


def discover(body: bytes, url: str, headers: Mapping[str, Any] | None = None) -> Discovery:
    """Find the listing on one page (see the module docstring). Never raises for a page."""
    _TEXTS.clear()
    _LENGTHS.clear()
    _HIDDEN_ELS.clear()
    _BODY.update(body=body, headers=headers)
    try:
        return _discover(body, url, headers)
    except Exception as exc:  # a page nothing here foresaw: not sure of it, and say why
        return Discovery(
            url=url, sure=False, reason=f"the page could not be read: {type(exc).__name__}: {exc}"
        )
    finally:
        _TEXTS.clear()
        _LENGTHS.clear()
        _HIDDEN_ELS.clear()
        _BODY.clear()


def _discover(body: bytes, url: str, headers: Mapping[str, Any] | None) -> Discovery:
    encoding = decode(body, headers)
    page = page_from_bytes(body, url, encoding, "html")
    root = page.root
    base = _base_url(root, url)
    declared = datelike.page_languages(root.get("lang") or _meta_language(root))
    date_languages = tuple(dict.fromkeys((*declared, *datelike.LANGUAGES)))
    links = _links(root, base, url)
    feeds = _feeds(root, base)
    discovery = Discovery(url=url, sure=False, reason="", feeds=feeds, article=_article_page(root))
    if not links:
        discovery.reason = "no links on the page: not a listing"
        return discovery
    body_el = next(root.iter("body"), root)
    _measure(root)
    page_text = _LENGTHS.get(body_el, 0)
    groups = _candidate_groups(root, links)
    itemlist = _itemlist_urls(root, base)
    candidates = []
    for key, members in groups.items():
        members = _outermost(members)
        if len(members) < 2:
            continue
        cand = _Candidate(key=key, elements=members, page_text=page_text)
        _prescore(cand, links, base)
        if cand.score > 0:
            candidates.append(cand)
    # Furniture last, then by score: the few best are weighed whole.
    candidates.sort(key=lambda c: (c.furniture is not None, -c.score))
    weighed = candidates[:10]
    for cand in weighed:
        if cand.furniture:  # it cannot win: the page is refused if nothing else is left
            cand.why = f"{len(cand.entries)} entries, {cand.furniture}"
            continue
        if cand.sampled:
            _prescore(cand, links, base, full=True)
        _evaluate(cand, date_languages)
        if itemlist:
            listed = sum(1 for e in cand.entries if e.url in itemlist)
            if listed >= 2:
                cand.score *= 1 + listed / max(len(cand.entries), 1)
                cand.why += f", {listed} named by the page's schema.org ItemList"
    weighed.sort(key=lambda c: (c.furniture is not None, -c.score))
    if not weighed:
        discovery.reason = "no block repeated on the page holds links with titles: not a listing"
        return discovery
    best = weighed[0]
    discovery.candidates = [(round(c.score, 1), _sig(c.elements[0]), len(c.elements)) for c in weighed[:8]]
    unsure = _unsure(best, root)
    if unsure:
        discovery.reason = unsure
        return discovery
    extra = _other_layouts(best, weighed[1:])
    featured = _featured(best, extra, links, base, date_languages)
    if featured is not None:
        extra.append(featured)
    return _profile(discovery, root, base, url, best, extra, links, declared)


def _meta_language(root: etree._Element) -> str | None:
    for meta in root.iter("meta"):
        key = (meta.get("http-equiv") or meta.get("property") or meta.get("name") or "").lower()
        if key in ("content-language", "og:locale", "language", "dc.language"):
            return meta.get("content")
    return None


def _outermost(elements: list[etree._Element]) -> list[etree._Element]:
    chosen = set(elements)
    return [e for e in elements if not any(a in chosen for a in e.iterancestors())]


def _unsure(best: _Candidate, root: etree._Element) -> str | None:
    """Why the best block is not a listing pressbot can be sure of, or None."""
    entries = [e for e in best.entries if e.url and e.title]
    n = len(entries)
    if best.furniture:
        return f"the most repeated block of links is page furniture ({best.why}): not a listing"
    if best.links_per_entry > 2:
        return f"the repeated block holds lists of links, not one release each ({best.why})"
    if n < MIN_ENTRIES:
        return f"no block is repeated often enough to be a listing ({best.why})"
    article = _article_page(root) and sum(e.text_len for e in best.entries) < best.page_text / 3
    if article:
        return (
            "the page is one article (its metadata says so, and its text is mostly not the "
            f"block's: {best.why})"
        )
    if best.dated >= max(2, 0.5 * n):
        return None
    if n >= MIN_UNDATED and _url_share(entries) >= 0.5:
        if best.median_words >= 4:
            return None
        return f"the repeated block's titles are too short to be releases ({best.why})"
    return f"the repeated block has too few dates and entries to be sure of it ({best.why})"


def _url_share(entries: list[_Entry]) -> float:
    """How alike the entries' URLs are (release URLs of one listing share a path and a form)."""
    prefixes: Counter[tuple] = Counter()
    for e in entries:
        parts = urlsplit(e.url or "")
        segs = [s for s in parts.path.split("/") if s]
        prefixes[(parts.netloc, tuple(segs[:1]), len(segs) > 0)] += 1
    return prefixes.most_common(1)[0][1] / max(len(entries), 1)


def _other_layouts(best: _Candidate, others: list[_Candidate]) -> list[_Candidate]:
    """Dated blocks of another layout in the same listing (a featured post above the river):
    near the best block, not furniture, with other releases; only where the best block is
    dated too (dates are what says both are the listing)."""
    out: list[_Candidate] = []
    if not best.dated or best.heading_date is not None:
        return out
    urls = {e.url for e in best.entries if e.url}
    container = best.elements[0].getparent()
    for _ in range(3):
        if (
            container is not None
            and container.getparent() is not None
            and container.tag not in ("body", "main")
        ):
            container = container.getparent()
    taken = set(best.elements)
    for cand in others:
        if cand.furniture or cand.score < 0.05 * best.score or cand.links_per_entry > 1:
            continue
        entries = [e for e in cand.entries if e.url and e.title]
        if not entries or any(e.url in urls for e in entries) or cand.dated < 0.5 * len(entries):
            continue
        if any(c in taken or any(a in taken for a in c.iterancestors()) for c in cand.elements):
            continue
        mine = set(cand.elements)
        if any(any(a in mine for a in b.iterancestors()) for b in taken):
            continue
        if container is None or not all(
            any(a is container for a in c.iterancestors()) for c in cand.elements
        ):
            continue
        out.append(cand)
        urls |= {e.url for e in entries if e.url}
        taken |= mine
    return out


def _featured(
    best: _Candidate, extra: list[_Candidate], links: dict, base: str, languages: tuple[str, ...]
) -> _Candidate | None:
    """A lone featured release just above the listing (a hero, a "featured" box): an element
    before the block, or before its container, that leads to one release like the block's
    (the same first path segment), with a title, and dated where the block is."""
    if not best.dated or best.heading_date is not None:
        return None  # undated, nothing tells a hero of the listing from the site's own promotion
    taken = {e.url for c in (best, *extra) for e in c.entries if e.url}
    firsts = Counter(_first_segment(u) for u in taken)
    if not firsts:
        return None
    segment, count = firsts.most_common(1)[0]
    if count < 0.6 * len(taken):
        return None
    node: etree._Element | None = best.elements[0]
    for _ in range(3):
        if node is None:
            return None
        for sib in itertools.islice(node.itersiblings(preceding=True), 3):
            if not isinstance(sib.tag, str) or sib.tag in _SKIP or sib.tag in _HEADINGS:
                continue
            entry = _Entry(el=sib, scope=[sib])
            entry.link = _main_link([sib], links)
            if entry.link is None or entry.link.url in taken or _first_segment(entry.link.url) != segment:
                continue
            titled = {
                _url_key(links[a].url) for a in sib.iter("a") if a in links and _words(links[a].text) >= 3
            }
            if len(titled) != 1:
                continue
            entry.url = entry.link.url
            _title_of(entry, links)
            if _words(entry.title) < 3:
                continue
            _date_of(entry, languages)
            if not (entry.date_text or entry.date_attr):
                continue
            if _furniture(sib, best.page_text):
                continue
            cand = _Candidate(key=("featured",), elements=[sib], entries=[entry], page_text=best.page_text)
            cand.dated = 1 if entry.date_text or entry.date_attr else 0
            return cand
        node = node.getparent()
    return None


def _first_segment(url: str) -> str:
    segs = [s for s in urlsplit(url).path.split("/") if s]
    return f"{urlsplit(url).netloc}/{segs[0] if len(segs) > 1 else ''}"


def _profile(
    discovery: Discovery,
    root: etree._Element,
    base: str,
    url: str,
    best: _Candidate,
    extra: list[_Candidate],
    links: dict,
    declared: tuple[str, ...],
) -> Discovery:
    blocks = [best, *extra]
    elements = [e for c in blocks for e in c.elements]
    entries = [e for c in blocks for e in c.entries]
    order = {el: i for i, el in enumerate(root.iter())}
    entries.sort(key=lambda e: order.get(e.el, 0))
    every = entries
    entries = _sample(entries)
    for c in blocks:
        c.entries = _sample(c.entries)
    csses = []
    for c in blocks:
        css = _entry_css(root, c.elements, c.entries)
        if css is None:
            discovery.reason = f"no CSS selector picks out the entries ({best.why})"
            return discovery
        csses.append(css)
    entry_css = ", ".join(csses)
    if not set(elements) <= set(_select(root, entry_css)):
        discovery.reason = f"the entries' selector {entry_css!r} does not select them alone"
        return discovery
    for e in entries:
        _teaser_of(e)
    n = len(entries)
    fields: dict[str, Any] = {}
    reports = []

    # url: from the title's link where the title is one, else the main link
    for e in entries:
        if e.link is None:
            continue
        if e.title_el is not None and (e.title_el is e.link.el or e.link.el in e.title_el.iter("a")):
            e.link = next(
                (
                    links[a]
                    for a in ([e.title_el] if e.title_el.tag == "a" else e.title_el.iter("a"))
                    if a in links
                ),
                e.link,
            )
    for e in entries:
        e.link_el = e.link.el if e.link is not None else e.data_url_el  # type: ignore[attr-defined]
    attrs = Counter(e.data_url_attr for e in entries if e.link is None and e.data_url_attr)
    href = attrs.most_common(1)[0][0] if attrs and len(attrs) == 1 and sum(attrs.values()) > n / 2 else "href"
    layouts = [c.entries for c in blocks]
    title_css, title_right = _layout_css(layouts, "title_el")
    url_css, url_right = _layout_css(layouts, "link_el")
    if title_css is None or url_css is None:
        discovery.reason = "no selector finds the entries' titles and links"
        return discovery
    fields["title"] = {"xpath": "."} if title_css == ":scope" else _spec(title_css)
    hidden = _hidden_in(entries, "title_el")
    if hidden:  # ("opens in a new window" is no part of a title)
        title_spec = fields["title"]
        fields["title"] = (
            {**title_spec, "exclude": hidden}
            if isinstance(title_spec, dict)
            else {"css": title_spec, "exclude": hidden}
        )
    fields["url"] = (
        {"xpath": f"@{href}"}
        if url_css == ":scope"
        else {"xpath": url_css[6:] + f"/@{href}"}
        if url_css.startswith("xpath:")
        else f"{url_css}::attr({href})"
    )
    reports.append(
        _report(
            "title",
            title_css,
            title_right,
            n,
            "the entry's heading"
            if any(e.title_el is not None and e.title_el.tag in _HEADINGS for e in entries)
            else "the entry's link text",
        )
    )
    reports.append(_report("url", fields["url"], url_right, n, "the link the entry gives the most text to"))

    # date
    date_css, date_right = _layout_css(layouts, "date_el")
    dated = [e for e in entries if e.date_text and e.url]
    settings = None
    notes = discovery.notes
    by_heading = False
    if date_css is not None and dated and best.heading_date is None:
        texts = [e.date_text for e in dated]
        settings = datelike.settle(texts, declared)
        fields["published_raw"] = _spec(date_css)
        if settings.read < 0.5 * len(dated) and any(e.date_attr for e in entries):
            fields["published_raw"] = _attr_css(date_css)
            settings = datelike.settle([e.date_attr or "" for e in entries if e.date_attr], declared)
        reports.append(
            _report(
                "published_raw",
                fields["published_raw"]
                if isinstance(fields["published_raw"], str)
                else str(fields["published_raw"]),
                date_right,
                n,
                f"{settings.read} of {settings.total} read as dates in {', '.join(settings.languages)}",
            )
        )
    else:
        heading = best.heading_date
        if heading is not None:
            by_heading = True
            fields["published_raw"] = {"xpath": heading[0]}
            settings = datelike.settle(heading[1], declared)
            reports.append(
                _report(
                    "published_raw", heading[0], len(entries), n, "the date of the heading above the entries"
                )
            )
        else:
            fields["published_raw"] = "time::attr(datetime)"
            reports.append(
                FieldReport(
                    "published_raw",
                    None,
                    0,
                    n,
                    "none",
                    "the listing prints no dates: each release page dates its entry",
                )
            )
    teaser_css, teaser_right = _layout_css(layouts, "teaser_el")
    if teaser_css is not None and teaser_right >= 0.5 * n:
        if (
            any(e.teaser_paragraphs for e in entries)
            and teaser_css != ":scope"
            and not teaser_css.startswith("xpath:")
        ):
            teaser_css = f"{teaser_css} p"
        fields["summary"] = _spec(teaser_css)
        reports.append(
            _report("summary", teaser_css, teaser_right, n, "the entry's longest text beside title and date")
        )
    else:
        reports.append(FieldReport("summary", None, 0, n, "none", "no teaser text repeated in the entries"))
    for e in entries:
        _subtitle_of(e)
    subtitle_css, subtitle_right = _layout_css(layouts, "subtitle_el")
    if subtitle_css is not None and subtitle_right >= 2:
        fields["subtitle"] = _spec(subtitle_css)
        reports.append(
            _report(
                "subtitle",
                subtitle_css,
                subtitle_right,
                n,
                "the deck line its class names (where there is one)",
            )
        )

    listing: dict[str, Any] = {"entry": entry_css}
    pagination, pnote = _next_page(root, links, base, url)
    listing.update(pagination)
    notes["pagination"] = pnote
    listing["max_pages"] = 1000 if pagination else 1
    listing["fields"] = fields
    name = source_name(url)
    profile: dict[str, Any] = {
        "name": name,
        "title": _page_title(root) or name,
        "base_url": base_url_of(url),
        "start_urls": [url],
        "listing": listing,
    }
    dates: dict[str, Any] = {}
    if settings is not None and settings.read:
        dates["languages"] = list(settings.languages)
        if settings.order:
            dates["order"] = settings.order
        if settings.pattern:
            dates["pattern"] = settings.pattern
        notes["dates"] = settings.order_reason
    if not dated and not by_heading:
        dates["optional"] = True
        profile["detail"] = {"follow": True}
        notes["detail"] = "the listing prints no dates: each release page is fetched for its date"
    elif len(dated) < n and not by_heading:
        # Some releases print no date: their pages date them.
        dates["optional"] = True
        profile["detail"] = {"follow": True}
        notes["optional"] = f"{n - len(dated)} of {n} entries print no date: their release pages date them"
        notes["detail"] = "entries that print no date are dated from their release pages"
    elif not by_heading:
        # A release on a later page that prints no date is kept, its date null and said why.
        dates["optional"] = True
        notes["optional"] = "a release that prints no date (on a later page) is kept, its date null"
    if dates:
        profile["dates"] = dates
    discovery.entries = [
        {"url": e.url, "title": e.title, "published_raw": e.date_text or None} for e in every if e.url
    ]
    # The selectors must give back what was found, as the crawl will read them.
    try:
        got = _given_back(load(profile), root, url)
    except ProfileError as exc:
        discovery.reason = f"the profile found does not validate: {exc}"
        return discovery
    wanted = {_url_key(e["url"] or "") for e in discovery.entries}
    back = {_url_key(u) for u in got}
    if len(wanted & back) < 0.8 * len(wanted):
        discovery.reason = (
            f"the selectors found give back {len(wanted & back)} of the {len(wanted)} entries found "
            f"({best.why}): not sure of them"
        )
        return discovery
    discovery.profile = profile
    discovery.fields = reports
    discovery.sure = True
    discovery.reason = f"{len(got)} releases in {entry_css!r}: {best.why}"
    return discovery


def _given_back(profile: Profile, root: etree._Element, url: str) -> list[str]:
    """The release URLs the profile's selectors give on the page (entries with every field a
    record needs, each once), as parse_listing reads them."""
    page = Page(root=root, type="html", base_url=url)
    listing = parse_listing(page, url, profile)
    required = [f for f in profile.required_fields if f in REQUIRED_LISTING_FIELDS]
    if profile.date_optional:
        required = [f for f in required if f != "published_raw"]
    urls = [e["url"] for e in listing.entries if all(e.get(f) for f in required)]
    return list(dict.fromkeys(u for u in urls if u))


def _attr_css(css: str) -> str | dict[str, str]:
    if css.startswith("xpath:"):
        return {"xpath": css[6:] + "/@datetime"}
    return f"{css}::attr(datetime)"


def _spec(selector: str) -> str | dict[str, str]:
    """A field's selector as a profile writes it: a CSS string, or ``{xpath = …}``."""
    return {"xpath": selector[6:]} if selector.startswith("xpath:") else selector


def _heading_date(cand: _Candidate) -> tuple[str, list[str]] | None:
    """Entries with no date of their own under a heading that is a date (a day's list): the
    XPath from each entry to that heading, and the headings' texts; None unless every entry
    has one."""
    texts = []
    tags: Counter[str] = Counter()
    for e in cand.entries:
        heading = None
        node: etree._Element | None = e.el
        hops = 0
        while node is not None and heading is None and hops < 4:
            for h in node.itersiblings(preceding=True):
                if h.tag in _HEADINGS:
                    heading = h
                    break
            node = node.getparent()
            hops += 1
        if heading is None:
            return None
        text = _text(heading)
        if datelike.find_date(text) is None:
            return None
        texts.append(text)
        tags[heading.tag] += 1
    tag = tags.most_common(1)[0][0]
    return f"preceding::{tag}[1]", texts


def _page_title(root: etree._Element) -> str | None:
    for t in root.iter("title"):
        text = squash(t.text or "")
        if text:
            return text[:120]
    return None


def _report(name: str, selector: Any, right: int, total: int, note: str) -> FieldReport:
    share = right / total if total else 0
    confidence = "sure" if share >= 0.95 else "likely" if share >= 0.7 else "unsure"
    return FieldReport(name, str(selector), right, total, confidence, note)


# --- what a profile gives ------------------------------------------------------------------


def load(profile: Mapping[str, Any], path: str = "<discovered>") -> Profile:
    """The discovered profile, validated as any profile file is (ProfileError if it is not)."""
    return parse_profile(dict(profile), path, bundled.ORIGIN)


def releases(
    profile: Profile, body: bytes, url: str, headers: Mapping[str, Any] | None = None
) -> tuple[list[dict[str, Any]], list[str]]:
    """The releases a crawl would write from this one listing page with ``profile`` (parsed,
    dated by the page, normalised, entries lacking a required field dropped, each release
    once), and the next pages it would walk to."""
    encoding = decode(body, headers)
    page = page_from_bytes(body, url, encoding, profile.format)
    listing = parse_listing(page, url, profile)
    read_listing_dates(listing, profile)
    out, seen = [], set()
    # What validation drops an entry for (the fields a crawl adds itself, source and the
    # like, are always there).
    required = [f for f in profile.required_fields if f in REQUIRED_LISTING_FIELDS]
    for entry in listing.entries:
        record = normalise(dict(entry), profile)
        if any(not record.get(f) for f in required) or record.get("id") in seen:
            continue
        seen.add(record.get("id"))
        out.append(record)
    return out, listing.next_urls


# --- a source given by its URL alone -------------------------------------------------------

#: A CSS type selector that matches nothing: the selectors of a source not detected yet.
_NOTHING = "pressbot-not-detected-yet"


def pending_profile(url: str) -> Profile:
    """The profile of a source given by its URL alone (``scrapy crawl releases -a url=URL``),
    before its first page is seen: the name, base URL and start URL that its ids and its state
    depend on, all made from the URL, and selectors that find nothing. The spider replaces it
    with what ``discover`` finds on the first page (``adopt``)."""
    raw = {
        "name": source_name(url),
        "title": url,
        "base_url": base_url_of(url),
        "start_urls": [url],
        "listing": {
            "entry": _NOTHING,
            "fields": {"title": _NOTHING, "url": _NOTHING, "published_raw": _NOTHING},
        },
    }
    return parse_profile(raw, f"<{url}>", bundled.ORIGIN)


def adopt(pending: Profile, found: Discovery) -> tuple[Profile, dict[str, Any]]:
    """The profile ``discover`` found, as the pending source's own (and as its dict): the name,
    base URL and start URL stay those made from the URL given (a redirect does not move the
    ids)."""
    assert found.profile is not None
    raw = dict(found.profile)
    raw.update(name=pending.name, base_url=pending.base_url, start_urls=list(pending.start_urls))
    return parse_profile(raw, f"<detected on {found.url}>", bundled.ORIGIN), raw


# --- feeds ---------------------------------------------------------------------------------


def looks_like_feed(body: bytes) -> bool:
    """Whether the bytes are an RSS or Atom document (by its first element)."""
    head = body[:2048].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if not head.startswith(b"<"):
        return False
    return any(tag in head for tag in (b"<rss", b"<feed", b"<rdf:rdf", b"<rdf"))


def discover_feed(body: bytes, url: str, name_url: str | None = None) -> Discovery:
    """A feed (RSS 2.0, RSS 1.0 or Atom) as a listing: the generic profile of its kind, taken
    when its items have titles, links and dates (``name_url``: the page the source is named
    after, the feed's own URL by default)."""
    discovery = Discovery(url=url, sure=False, reason="")
    page = page_from_bytes(body, url, "utf-8", "xml")
    root = page.root
    tag = root.tag if isinstance(getattr(root, "tag", None), str) else ""
    if tag == "feed":
        kind = "Atom"
        fields: dict[str, Any] = {
            "title": {"xpath": "title"},
            "url": {"xpath": "(link[@rel='alternate'] | link[not(@rel)])[1]/@href"},
            "published_raw": {"xpath": "(published | updated)[1]"},
            "summary": {"xpath": "(summary | content)[1]", "html": True},
        }
        entry = {"xpath": "//feed/entry"}
    elif tag in ("rss", "RDF"):
        kind = "RSS"
        fields = {
            "title": {"xpath": "title"},
            "url": {"xpath": "link"},
            "published_raw": {"xpath": "(pubDate | date)[1]"},
            "summary": {"xpath": "description", "html": True},
        }
        entry = {"xpath": "//item"}
    else:
        discovery.reason = "not an RSS or Atom feed"
        return discovery
    named = name_url or url
    profile: dict[str, Any] = {
        "name": source_name(named),
        "title": _feed_title(root) or source_name(named),
        "base_url": base_url_of(named),
        "start_urls": [url],
        "listing": {"format": "xml", "entry": entry, "max_pages": 1, "fields": fields},
    }
    try:
        records, _ = releases(load(profile), body, url)
    except ProfileError as exc:  # never: the profile above is fixed
        discovery.reason = f"the feed profile does not validate: {exc}"
        return discovery
    dated = sum(1 for r in records if r.get("published"))
    if len(records) < MIN_ENTRIES or dated < 0.5 * len(records):
        discovery.reason = f"the {kind} feed has {len(records)} items with a link and a title, {dated} dated"
        return discovery
    discovery.profile = profile
    discovery.sure = True
    discovery.reason = f"an {kind} feed of {len(records)} items, {dated} dated"
    discovery.notes["pagination"] = "a feed: the newest items only, no pages after it"
    discovery.entries = [
        {"url": r["url"], "title": r["title"], "published_raw": r.get("published_raw")} for r in records
    ]
    n = len(records)
    discovery.fields = [
        FieldReport("title", str(fields["title"]), n, n, "sure", f"the {kind} item's title"),
        FieldReport("url", str(fields["url"]), n, n, "sure", f"the {kind} item's link"),
        FieldReport("published_raw", str(fields["published_raw"]), dated, n, "sure", "the item's date"),
    ]
    return discovery


def _feed_title(root: etree._Element) -> str | None:
    for path in ("/rss/channel/title", "/feed/title", "//channel/title"):
        found = root.xpath(path)
        if found and isinstance(found[0], etree._Element) and (found[0].text or "").strip():
            return squash(found[0].text or "")[:120]
    return None


# --- "load more" endpoints that answer JSON ------------------------------------------------

#: Key names that say what a JSON item's value is, best first.
_JSON_NAMES = {
    "url": ("url", "link", "href", "permalink", "path", "uri", "canonical_url", "slug"),
    "title": ("title", "headline", "name", "heading", "label"),
    "published_raw": ("displaydate", "date_display", "datedisplay", "date", "published", "publishdate",
                      "published_at", "publishedat", "pubdate", "created", "created_at", "datetime"),
    "summary": ("teaser", "teaserhtml", "summary", "excerpt", "description", "lead", "intro", "abstract",
                "body", "content", "text"),
    "next_page": ("next", "next_url", "nexturl", "next_page", "nextpage", "nextpageurl", "more"),
}  # fmt: skip


def json_listing(body: bytes) -> dict[str, Any] | None:
    """The ``[listing.json]`` table that reads a "load more" endpoint's JSON answer: the array
    of items (each with a title, a link and a date) and, where the answer has one, the URL of
    the next batch; None when the answer holds no such array."""
    try:
        data = json.loads(body.decode("utf-8", errors="replace"))
    except (ValueError, RecursionError):
        return None
    best: tuple[int, str, list[dict]] | None = None
    stack: list[tuple[str, Any, int]] = [("", data, 0)]
    while stack:
        path, value, depth = stack.pop()
        if isinstance(value, list) and len(value) >= 2 and all(isinstance(v, dict) for v in value):
            if best is None or len(value) > best[0]:
                best = (len(value), path, value)
        elif isinstance(value, dict) and depth < 4:
            for key, child in value.items():
                if isinstance(key, str) and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", key):
                    stack.append((f"{path}.{key}" if path else key, child, depth + 1))
    if best is None:
        return None
    _, path, items = best
    fields: dict[str, Any] = {}
    taken: set[str] = set()
    for name, test in (
        ("url", _json_url),
        ("title", lambda v: isinstance(v, str) and len(v.split()) >= 2 and "<" not in v),
        ("published_raw", lambda v: isinstance(v, str) and datelike.find_date(v) is not None),
        ("summary", lambda v: isinstance(v, str) and len(v) >= 40),
    ):
        key = _json_key(items, name, test, taken)
        if key is None:
            if name in ("url", "title"):
                return None
            continue
        taken.add(key)
        spec: dict[str, Any] = {"jmes": key}
        if name == "summary" and any(isinstance(i.get(key), str) and "<" in i[key] for i in items):
            spec["html"] = True
        fields[name] = spec
    table: dict[str, Any] = {"entry": {"jmes": path or "@"}}
    if isinstance(data, dict):
        for key in data:
            if str(key).lower() in _JSON_NAMES["next_page"] and (data[key] is None or _json_url(data[key])):
                table["next_page"] = {"jmes": key}
                break
    table["fields"] = fields
    return table


def _json_url(value: Any) -> bool:
    return (
        isinstance(value, str)
        and " " not in value.strip()
        and ("/" in value or value.endswith((".html", ".htm", ".json")))
    )


def _json_key(items: list[dict], name: str, test, taken: set[str]) -> str | None:
    """The key whose values pass ``test`` in most items (at least 80%), a name that says it
    first."""
    counts: Counter[str] = Counter()
    for item in items:
        for key, value in item.items():
            if isinstance(key, str) and key not in taken and test(value):
                counts[key] += 1
    fitting = [
        k for k, n in counts.items() if n >= 0.8 * len(items) and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", k)
    ]
    if not fitting:
        return None
    names = _JSON_NAMES[name]
    return min(
        fitting, key=lambda k: (names.index(k.lower()) if k.lower() in names else len(names), -counts[k])
    )


def looks_like_json(body: bytes, headers: Mapping[str, Any] | None = None) -> bool:
    head = body[:64].lstrip(b"\xef\xbb\xbf \t\r\n")
    return head[:1] in (b"{", b"[")


def with_json_pages(profile: Mapping[str, Any], table: dict[str, Any]) -> dict[str, Any]:
    """The profile, its later pages read as the JSON ``table`` says (``[listing.json]``)."""
    out = json.loads(json.dumps(profile))
    out["listing"]["json"] = table
    return out
