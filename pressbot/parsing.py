"""Listing and detail parsing: pure functions from a parsed page and a profile to entries and links.

Nothing here knows about Scrapy's engine: tests feed saved pages straight in.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from urllib.parse import urljoin

from lxml import etree
from parsel import Selector as Page

from pressbot.profiles import REQUIRED_LISTING_FIELDS, Profile, Selector

#: Listing field -> item field.
_ITEM_FIELD = {"published": "published_raw"}
_BASE_HREF = etree.XPath("//base/@href", smart_strings=False)


@dataclass
class Listing:
    """What one listing page holds: its entries, in page order, and the pages it links on to."""

    url: str
    entries: list[dict[str, str | None]] = field(default_factory=list)
    next_urls: list[str] = field(default_factory=list)
    #: field -> how many entries lacked it (required fields only), for the drift alarm.
    missing: dict[str, int] = field(default_factory=dict)


def page_from_bytes(body: bytes, url: str, encoding: str = "utf-8") -> Page:
    """A parsel page from saved bytes, as Scrapy would build it from a response."""
    return Page(body=body, base_url=url, encoding=encoding, type="html")


def parse_listing(page: Page, url: str, profile: Profile) -> Listing:
    """Extract every entry on a listing page and the URLs of the pages after it."""
    root = page.root
    base = _base_url(root, url)
    listing = Listing(url=url)
    for node in _compiled(profile.entry.xpath)(root):
        if not isinstance(node, etree._Element):
            continue
        entry: dict[str, str | None] = {}
        for name, sel in profile.fields.items():
            value = extract(node, sel)
            if name == "url" and value:
                value = urljoin(base, value)
            entry[_ITEM_FIELD.get(name, name)] = value
        for name in REQUIRED_LISTING_FIELDS:
            if not entry.get(_ITEM_FIELD.get(name, name)):
                listing.missing[name] = listing.missing.get(name, 0) + 1
        listing.entries.append(entry)
    if profile.next_page is not None:
        for href in _matches(root, profile.next_page):
            nxt = urljoin(base, href)
            if nxt != url and nxt not in listing.next_urls:
                listing.next_urls.append(nxt)
    return listing


def check_listing(listing: Listing, profile: Profile) -> list[str]:
    """Drift: what on this page says the profile's selectors no longer fit the site."""
    problems = []
    found = len(listing.entries)
    if found < profile.min_entries:
        problems.append(f"entry selector {profile.entry} matched {found} entries "
                        f"(at least {profile.min_entries} expected)")
    for name, missing in listing.missing.items():
        if found and missing / found > profile.max_missing_share:
            problems.append(f"field {name!r} selector {profile.fields[name]} found nothing in "
                            f"{missing} of {found} entries (more than "
                            f"{profile.max_missing_share:.0%})")
    return problems


def parse_detail(page: Page, url: str, profile: Profile) -> dict[str, str | None]:
    """Extract the detail-page fields a profile asks for; absent fields are None."""
    return {name: extract(page.root, sel) for name, sel in profile.detail_fields.items()}


def extract(node: etree._Element, sel: Selector) -> str | None:
    """One field's text: the first match, or every match joined as paragraphs (``all``)."""
    values = _matches(node, sel)
    if not values:
        return None
    return "\n\n".join(values) if sel.all else values[0]


def _matches(node: etree._Element, sel: Selector) -> list[str]:
    """Whitespace-normalised, non-empty texts of a selector's matches, in document order."""
    out = []
    for match in _compiled(sel.xpath)(node):
        text = element_text(match) if isinstance(match, etree._Element) else str(match)
        text = " ".join(text.split())
        if text:
            out.append(text)
            if not sel.all:
                break
    return out


#: Elements whose edges separate words even when the markup has no space there (<li>a</li><li>b).
BLOCK_TAGS = frozenset(
    "address article aside blockquote br dd div dl dt figcaption figure footer h1 h2 h3 h4 h5 h6 "
    "header hr li main nav ol p pre section table tbody td th thead tr ul".split())
_SKIP_TAGS = frozenset(("script", "style", "template"))


def element_text(el: etree._Element) -> str:
    """An element's text, with block boundaries as spaces and scripts left out."""
    if not any(d.tag in BLOCK_TAGS or d.tag in _SKIP_TAGS for d in el.iterdescendants()):
        return el.xpath("string()")  # the common case, done in C
    parts: list[str] = []
    _walk(el, parts)
    return "".join(parts)


def _walk(el: etree._Element, parts: list[str]) -> None:
    if el.tag in _SKIP_TAGS or not isinstance(el.tag, str):
        return  # scripts, comments, processing instructions
    block = el.tag in BLOCK_TAGS
    if block:
        parts.append(" ")
    if el.text:
        parts.append(el.text)
    for child in el:
        _walk(child, parts)
        if child.tail:
            parts.append(child.tail)
    if block:
        parts.append(" ")


def _base_url(root: etree._Element, url: str) -> str:
    hrefs = _BASE_HREF(root)
    return urljoin(url, str(hrefs[0]).strip()) if hrefs else url


@lru_cache(maxsize=1024)
def _compiled(xpath: str) -> etree.XPath:
    # Compile once per profile selector; parsel would re-compile the expression on every call.
    return etree.XPath(xpath, smart_strings=False)
