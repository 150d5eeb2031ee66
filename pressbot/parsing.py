"""Listing and detail parsing: pure functions from a parsed page and a profile to entries and links.

Nothing here knows about Scrapy's engine: tests feed saved pages straight in.
"""

from __future__ import annotations

import contextlib
import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from urllib.parse import urljoin, urlsplit

from lxml import etree
from parsel import Selector as Page

from pressbot.dates import parse_datetime
from pressbot.fields import REQUIRED_LISTING_FIELDS
from pressbot.profiles import Profile, Selector
from pressbot.text import element_text, html_text, squash

_META_PUBLISHED = etree.XPath("//meta[@property='article:published_time']/@content", smart_strings=False)
_JSONLD = etree.XPath("//script[@type='application/ld+json']/text()", smart_strings=False)
_TIME_DATETIME = etree.XPath("//time/@datetime", smart_strings=False)
_LINK_NEXT = etree.XPath("/html/head/link[@rel='next']/@href", smart_strings=False)


@dataclass
class Listing:
    """What one listing page holds: its entries, in page order, and the pages it links on to."""

    url: str
    entries: list[dict[str, str | None]] = field(default_factory=list)
    next_urls: list[str] = field(default_factory=list)
    #: field -> how many entries lacked it (required fields only), for the drift alarm.
    missing: dict[str, int] = field(default_factory=dict)


def page_from_bytes(
    body: bytes, url: str, encoding: str = "utf-8", fmt: str = "html", ids: bool = True
) -> Page:
    """A parsel page from saved bytes, as Scrapy would build it from a response.

    ``fmt`` is the profile's listing format: html, xml (RSS/Atom, namespaces removed) or json.
    HTML is parsed with lxml's plain HTML parser: parsel's default (lxml.html's) looks up a
    Python class for every element it hands out, a tenth of a millisecond a page here.
    ``ids=False`` skips the table of id attributes, which only XPath's id() function reads
    (``Profile.uses_xpath_id``).
    """
    if fmt == "json":
        return Page(text=body.decode(encoding or "utf-8", errors="replace"), type="json")
    if fmt == "html":
        try:
            parser = _html_parser(encoding or "utf-8", ids)
        except LookupError:
            # An encoding libxml2 does not know (euc_jp, utf-16-le, mac-roman): decoded here
            # if Python knows it, else read as UTF-8; either way parsed as UTF-8.
            with contextlib.suppress(LookupError):
                body = body.decode(encoding, errors="replace").encode("utf-8")
            parser = _html_parser("utf-8", ids)
        root = etree.fromstring(body or b"<html/>", parser=parser, base_url=url)
        if root is None:  # only whitespace or comments
            root = etree.fromstring(b"<html/>", parser=parser)
        return Page(root=root, type="html", base_url=url)
    page = Page(body=body or b"<rss/>", base_url=url, encoding=encoding, type=fmt)
    page.remove_namespaces()  # Atom's default namespace would hide every element
    return page


@lru_cache(maxsize=32)
def _html_parser(encoding: str, ids: bool) -> etree.HTMLParser:
    # The options parsel uses for HTML: recover from broken markup, keep the document whole.
    return etree.HTMLParser(
        recover=True, encoding=encoding, huge_tree=False, remove_comments=False, collect_ids=ids
    )


def parse_listing(page: Page, url: str, profile: Profile) -> Listing:
    """Extract every entry on a listing page and the URLs of the pages after it."""
    listing = Listing(url=url)
    nodes: list
    if profile.format == "json":
        base = url
        nodes = page.jmespath(profile.entry.query)
        columns = {name: [extract(n, sel) for n in nodes] for name, sel in profile.fields.items()}
    else:
        base = _base_url(page.root, url)
        nodes = [n for n in _compiled(profile.entry.xpath)(page.root) if isinstance(n, etree._Element)]
        columns = _extract_columns(page.root, nodes, profile)
    join = _joiner(base)
    if "url" in columns:
        columns["url"] = [join(u) if u else u for u in columns["url"]]
    keys = list(columns)  # a selector's key is the item field it fills
    listing.entries = [dict(zip(keys, row, strict=True)) for row in zip(*columns.values(), strict=True)]
    for name in REQUIRED_LISTING_FIELDS:  # (a value is a non-empty string or None)
        lacking = columns[name].count(None) if name in columns else len(nodes)
        if lacking:
            listing.missing[name] = lacking
    root = page if profile.format == "json" else page.root
    links = profile.pager if profile.pagination == "pager" else profile.next_page
    hrefs = _matches(root, links) if links is not None else []
    if not hrefs and profile.pagination == "next" and profile.format == "html":
        hrefs = [str(h) for h in _LINK_NEXT(page.root)]  # <link rel="next"> in the head
    for href in hrefs:
        nxt = join(href)
        if nxt and nxt != url and nxt not in listing.next_urls:
            listing.next_urls.append(nxt)
    return listing


def check_listing(listing: Listing, profile: Profile) -> list[str]:
    """Drift: what on this page says the profile's selectors no longer fit the site."""
    problems = []
    found = len(listing.entries)
    if found < profile.min_entries:
        problems.append(
            f"entry selector {profile.entry} matched {found} entries "
            f"(at least {profile.min_entries} expected)"
        )
    for name, missing in listing.missing.items():
        if found and missing / found > profile.max_missing_share:
            problems.append(
                f"field {name!r} selector {profile.fields[name]} found nothing in "
                f"{missing} of {found} entries (more than "
                f"{profile.max_missing_share:.0%})"
            )
    return problems


def parse_detail(page: Page, url: str, profile: Profile) -> dict[str, str | None]:
    """A release page's fields: what the profile selects, then the page's standard metadata.

    The publication time comes from the profile's ``published_at`` selector, else
    ``article:published_time``, else JSON-LD ``datePublished``, else the first
    ``<time datetime>``; the author from the profile, else JSON-LD.
    """
    root = page.root
    out = {name: extract(root, sel) for name, sel in profile.detail_fields.items()}
    ld = _json_ld(root)
    candidates = [
        out.pop("published_at", None),
        *_META_PUBLISHED(root),
        ld.get("datePublished"),
        *_TIME_DATETIME(root)[:1],
    ]
    out["published_at"] = next((t for c in candidates if (t := parse_datetime(_str(c)))), None)
    if not out.get("author"):
        author = ld.get("author")
        if isinstance(author, list) and author:
            author = author[0]
        if isinstance(author, dict):
            author = author.get("name")
        if isinstance(author, list):  # {"name": ["A", "B"]}
            author = ", ".join(str(a) for a in author if a) or None
        out["author"] = _str(author) if isinstance(author, str | int | float) else None
    return out


def _json_ld(root: etree._Element) -> dict:
    """The first JSON-LD object on the page that looks like an article."""
    for text in _JSONLD(root):
        try:
            data = json.loads(text)
        except ValueError:
            continue
        if not isinstance(data, list | dict):
            continue
        for obj in data if isinstance(data, list) else data.get("@graph", [data]):
            if isinstance(obj, dict) and ("datePublished" in obj or "headline" in obj):
                return obj
    return {}


def _str(value) -> str | None:
    return squash(str(value)) or None if value not in (None, "") else None


_TAIL = re.compile(r"^(.+)/(@[A-Za-z_][\w.:-]*)$")


def _extract_columns(root, nodes: list, profile: Profile) -> dict[str, list[str | None]]:
    """Every field for every entry: what ``extract`` gives entry by entry (tests/test_parsing.py
    compares the two), faster. Fields that only differ by a final ``/@attr`` (the title link and
    its href) share one evaluation of their common path."""
    if _nested(nodes):
        # A match inside an inner entry belongs to the outer one too: it cannot be traced back
        # to one entry, so such a page (rare) is read entry by entry.
        return {name: [extract(n, sel) for n in nodes] for name, sel in profile.fields.items()}
    evaluated, derived = _field_plan(tuple(profile.fields.items()))
    columns: dict[str, list[str | None]] = {}
    firsts: dict[str, list | None] = {}  # field XPath -> first element it matched in each entry
    for name, sel in evaluated:
        columns[name], firsts[sel.xpath] = _extract_all(root, nodes, sel)
    element = etree._Element
    for name, path, attr in derived:
        matches = firsts.get(path) or _first_elements(root, nodes, path)
        column = [_clean(m.get(attr)) if isinstance(m, element) else None for m in matches]
        for i, match in enumerate(matches):
            if column[i] is None and match is not None:
                # The first match has no such attribute (<a name> before <a href>), or is not
                # an element: a later match may have it.
                column[i] = extract(nodes[i], profile.fields[name])
        columns[name] = column
    return columns


def _nested(nodes: list) -> bool:
    """Whether an entry holds another. Each ancestor is looked at once: entries that share a
    parent stop at it."""
    entries, seen = set(nodes), set()
    for node in nodes:
        up = node.getparent()
        while up is not None and up not in seen:
            if up in entries:
                return True
            seen.add(up)
            up = up.getparent()
    return False


@lru_cache(maxsize=256)
def _field_plan(fields: tuple) -> tuple[list, list]:
    """A profile's fields split into those evaluated, (name, selector), and those read off
    another field's elements, (name, that field's XPath, attribute name)."""
    by_xpath = {sel.xpath: name for name, sel in fields if sel.kind != "jmes"}
    evaluated, derived = [], []
    for name, sel in fields:
        tail = _TAIL.match(sel.xpath) if sel.kind != "jmes" else None
        owner = by_xpath.get(tail.group(1)) if tail else None
        if tail and owner is not None and owner != name and not sel.all and not sel.html:
            derived.append((name, tail.group(1), tail.group(2)[1:]))
        else:
            evaluated.append((name, sel))
    return evaluated, derived


def _clean(value: str | None) -> str | None:
    return (squash(value) or None) if value else None


def _owned(matches, nodes: list):
    """(entry index, match) for each match, traced up to the entry that holds it."""
    index = {node: i for i, node in enumerate(nodes)}
    for match in matches:
        owner = match if isinstance(match, etree._Element) else match.getparent()
        while owner is not None and owner not in index:
            owner = owner.getparent()
        if owner is not None:
            yield index[owner], match


def _first_elements(root, nodes: list, xpath: str) -> list:
    """For each entry, the first node the path matches from it, or None."""
    batch = _batched(xpath)
    if batch is None:  # evaluated from each entry: its matches are its own, wherever they are
        return [next(iter(_compiled(xpath)(n)), None) for n in nodes]
    first: list = [None] * len(nodes)
    for i, match in _owned(batch(root, entries=nodes), nodes):
        if first[i] is None:
            first[i] = match
    return first


def _extract_all(root, nodes: list, sel: Selector) -> tuple[list[str | None], list | None]:
    """One field for every entry of a page with a single XPath evaluation over the page, and
    the first element matched in each entry (None when the matches are not elements).

    Evaluating 4 fields x 20 entries separately costs 80 XPath calls, each with its fixed
    overhead; here each match is traced back to its entry instead. Expressions that cannot be
    chained after the entries (functions, unions) fall back to one evaluation per entry.
    """
    batch = _batched(sel.xpath)
    if batch is None or not nodes:
        return [extract(n, sel) for n in nodes], None
    # The loop of _owned and _text_of, written out: it runs for every field of every entry.
    index = {node: i for i, node in enumerate(nodes)}
    found: list = [None] * len(nodes)  # first text, or (all) the list of texts
    first: list = [None] * len(nodes)
    every, markup, element = sel.all, sel.html, etree._Element
    for match in batch(root, entries=nodes):
        is_element = isinstance(match, element)
        owner, i = (match if is_element else match.getparent()), None
        while owner is not None and (i := index.get(owner)) is None:
            owner = owner.getparent()
        if i is None:
            continue
        if first[i] is None:
            first[i] = match
        elif not every and found[i] is not None:
            continue
        if is_element and not markup and not len(match):  # a leaf: its text is all there is
            text = match.text
            text = squash(text) if text else ""
        else:
            text = _text_of(match, sel)
        if not text:
            continue
        if not every:
            found[i] = text
        elif found[i] is None:
            found[i] = [text]
        else:
            found[i].append(text)
    if every:
        found = [None if v is None else "\n\n".join(v) for v in found]
    if not isinstance(next((m for m in first if m is not None), None), element):
        return found, None
    return found, first


_LEAVES_ENTRY = re.compile(
    r"(?:following|preceding|ancestor|parent)(?:-sibling|-or-self)?\s*::"
    r"|\.\.|\bid\s*\(|^\s*/"
)
#: Where a batched expression is tried once, to see what it returns.
_NO_ENTRIES = etree.fromstring("<html/>")


@lru_cache(maxsize=1024)
def _batched(field_xpath: str) -> etree.XPath | None:
    # Only paths that stay inside the entry can be batched: a match found through a sibling,
    # parent or ancestor axis (or an absolute path, a union) cannot be traced back to its entry.
    # Function calls do not compile after "$entries/"; they are evaluated entry by entry too.
    if "|" in field_xpath or _LEAVES_ENTRY.search(field_xpath):
        return None
    try:  # the page's entries come in as a node-set variable: no second entry search
        # (smart strings: a text or attribute result knows its parent element)
        batch = etree.XPath(f"$entries/{field_xpath}")
        # A comparison or a sum ("p = 'x'", "a or b") compiles too, but computes one value for
        # the whole page; an XPath's result type does not depend on the page, so one try tells.
        return batch if isinstance(batch(_NO_ENTRIES, entries=[]), list) else None
    except (etree.XPathSyntaxError, etree.XPathEvalError):
        return None


def _joiner(base: str):
    """urljoin for many links against one base, with the common cases done by hand (the same
    result, as tests/test_parsing.py checks on random links, in a third of the time). A link
    urljoin cannot read (``http://[oops/``) joins to None: a missing URL, not a crash."""
    parts = urlsplit(base)
    origin = f"{parts.scheme}://{parts.netloc}"
    path = parts.path or "/"
    folder = origin + path[: path.rfind("/") + 1]
    hierarchical = (
        bool(parts.netloc) and parts.scheme in ("http", "https") and "/." not in path and "//" not in path
    )

    def join(href: str) -> str | None:
        href = href.strip()
        # urljoin drops an empty query, fragment or ;params, resolves dot segments and empty
        # ones (a//b), removes tabs and newlines, and checks brackets (IPv6 hosts): all of those
        # go to urljoin.
        if (
            href
            and href[-1] not in "?#"
            and "?#" not in href
            and ";" not in href
            and "[" not in href
            and "]" not in href
            and "\t" not in href
            and "\n" not in href
            and "\r" not in href
        ):
            if href.startswith(("http://", "https://")):
                host = 7 if href[4] == ":" else 8
                if href[host : host + 1] not in ("", "/", "?", "#"):  # absolute, with a host
                    return href
            elif hierarchical and "/." not in href and href[0] != "." and "//" not in href:
                if href[0].isalnum() and ":" not in href:
                    return folder + href
                if href[0] == "/" and href[1:2] != "/":
                    return origin + href
        try:
            return urljoin(base, href)
        except ValueError:
            return None

    return join


def extract(node, sel: Selector) -> str | None:
    """One field's text: the first match, or every match joined as paragraphs (``all``)."""
    values = _matches(node, sel)
    if not values:
        return None
    return "\n\n".join(values) if sel.all else values[0]


def _matches(node, sel: Selector) -> list[str]:
    """Whitespace-normalised, non-empty texts of a selector's matches, in document order."""
    out = []
    if sel.kind == "jmes":
        found = node.jmespath(sel.query).getall()
        matches = [m for m in found if m is not None and not isinstance(m, dict | list)]
    else:
        matches = _compiled(sel.xpath)(node)
        if not isinstance(matches, list):  # string(), normalize-space(), count(): one value
            matches = (
                []
                if isinstance(matches, bool)
                else [matches if isinstance(matches, str) else format(matches, "g")]
            )
    for match in matches:
        text = _text_of(match, sel)
        if text:
            out.append(text)
            if not sel.all:
                break
    return out


def _text_of(match, sel: Selector) -> str:
    """A match's text, whitespace-normalised (Unicode spaces too)."""
    if isinstance(match, etree._Element):
        if not len(match) and not sel.html:  # a leaf: its text is all there is
            return squash(match.text or "")
        text = element_text(match)
    else:
        text = str(match)
    if sel.html:
        text = html_text(text)
    return squash(text)


def _base_url(root: etree._Element, url: str) -> str:
    # Browsers take the first <base href> wherever it is (libxml2 moves it out of the head when
    # anything body-like comes first). iter() with a tag walks the tree in C: 2 µs, XPath 10.
    for base in root.iter("base"):
        href = base.get("href")
        if href is not None:
            try:
                return urljoin(url, href.strip())
            except ValueError:  # <base href="http://[oops/">: as if there were none
                return url
    return url


@lru_cache(maxsize=1024)
def _compiled(xpath: str) -> etree.XPath:
    # Compile once per profile selector; parsel would re-compile the expression on every call.
    return etree.XPath(xpath, smart_strings=False)
