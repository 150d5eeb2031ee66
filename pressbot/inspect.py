"""Profile development: show what each selector of a profile extracts from one page.

    scrapy inspect PROFILE PAGE [--url URL] [--detail]

PROFILE is a bundled source name or a profile file; PAGE a saved file or an http(s) URL.
No crawl, no state, no output: just the entries, field by field, and why a field is empty.
"""

from __future__ import annotations

import urllib.request
from pathlib import Path
from typing import TextIO

from lxml import etree
from w3lib.encoding import html_body_declared_encoding

from pressbot.catalogue import Catalogue
from pressbot.dates import DateProblem, parse_date
from pressbot.fields import DETAIL_FIELDS, LISTING_FIELDS
from pressbot.parsing import (
    _compiled,
    check_listing,
    page_from_bytes,
    parse_detail,
    parse_listing,
)
from pressbot.pdf import UnreadablePdf, is_pdf, parse_pdf
from pressbot.profiles import Profile, Selector, load_profile
from pressbot.text import clean_text

MAX_BYTES = 8 * 1024 * 1024
#: Field names are printed in a column as wide as the longest a profile can select.
_WIDTH = max(map(len, LISTING_FIELDS + DETAIL_FIELDS))


def read_page(page: str, user_agent: str) -> tuple[bytes, str, str | None]:
    """The bytes of a saved page or a live URL, the URL to resolve its links against, and the
    encoding its server declared (None for a file)."""
    if page.startswith(("http://", "https://")):
        request = urllib.request.Request(page, headers={"User-Agent": user_agent})
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - http(s) only
            return (response.read(MAX_BYTES), response.geturl(), response.headers.get_content_charset())
    path = Path(page)
    return path.read_bytes(), path.resolve().as_uri(), None


def resolve_profile(
    name_or_path: str, fixtures_url: str | None = None, catalogue: Catalogue | None = None
) -> Profile:
    """A source by name (shipped, or in the catalogue's folders), else a profile file."""
    catalogue = catalogue or Catalogue.from_folders([])
    if name_or_path in catalogue.files:
        return catalogue.load(name_or_path, fixtures_url)
    return load_profile(Path(name_or_path), fixtures_url)


def why_empty(node, sel: Selector) -> str:
    if sel.kind == "jmes":
        return f"{sel} matched nothing"
    matches = _compiled(sel.xpath)(node)
    if not matches:
        return f"{sel} matched nothing"
    return f"{sel} matched {len(matches)} node(s) with no text"


def inspect_page(
    profile: Profile,
    body: bytes,
    url: str,
    out: TextIO,
    detail: bool = False,
    encoding: str | None = None,
    page_no: int = 1,
) -> int:
    """Print the page's entries field by field, as the crawl reads them; returns the number of
    drift problems. ``encoding``: the page's, else what its markup declares, else UTF-8.
    ``page_no``: the listing page's place in its walk (a profile's [listing.json] reads pages
    after the start pages)."""
    if detail and is_pdf(None, body):  # a release published as PDF
        print(f"profile {profile.name} ({profile.path})", file=out)
        print(f"page    {url} ({len(body):,} bytes)", file=out)
        try:
            fields = parse_pdf(body, profile)
        except UnreadablePdf as exc:
            print(f"  the PDF could not be read: {exc}", file=out)
            return 0
        for name, value in fields.items():
            print(f"  {name:<{_WIDTH}} {_show(value)}", file=out)
        return 0
    encoding = encoding or html_body_declared_encoding(body) or "utf-8"
    has_later = not detail and profile.later is not None
    later = has_later and page_no > 1
    if not detail:
        profile = profile.for_page(page_no)
    page = page_from_bytes(body, url, encoding, "html" if detail else profile.format)
    print(f"profile {profile.name} ({profile.path})", file=out)
    print(f"page    {url} ({len(body):,} bytes)", file=out)
    if later:
        print(f"read as [listing.json]: page {page_no}, a JSON page after the start pages", file=out)
    if detail:
        for name, value in parse_detail(page, url, profile, body=body).items():
            print(f"  {name:<{_WIDTH}} {_show(value)}", file=out)
        return 0
    listing = parse_listing(page, url, profile)
    print(f"entry   {profile.entry} matched {len(listing.entries)} entries\n", file=out)
    # The entries' nodes, as parse_listing selected them, to say why a field came out empty.
    nodes = (
        page.jmespath(profile.entry.query)
        if profile.format == "json"
        else [n for n in _compiled(profile.entry.xpath)(page.root) if isinstance(n, etree._Element)]
    )
    for i, (entry, node) in enumerate(zip(listing.entries, nodes, strict=True), 1):
        print(f"#{i}", file=out)
        for name, sel in profile.fields.items():
            value = entry[name]
            if value is None:
                print(f"  {name:<{_WIDTH}} (empty: {why_empty(node, sel)})", file=out)
            elif name == "published_raw":
                try:
                    day = parse_date(
                        value,
                        profile.date_formats,
                        profile.date_languages,
                        profile.date_order,
                        pattern=profile.date_pattern,
                    )
                except DateProblem as exc:
                    day = f"NOT A DATE: {exc}"
                print(f"  {name:<{_WIDTH}} {value!r} -> {day}", file=out)
            elif name == "url":
                print(f"  {name:<{_WIDTH}} {entry['url']}", file=out)
            else:
                print(f"  {name:<{_WIDTH}} {_show(value)}", file=out)
    print(f"\nnext    {listing.next_urls or 'none'}", file=out)
    problems = check_listing(listing, profile)
    for problem in problems:
        print(f"DRIFT   {problem}", file=out)
    if problems and not listing.entries and has_later and page_no == 1:
        print("HINT    a page after the start pages is read with [listing.json]: give --page 2", file=out)
    if not problems:
        print("checks  ok", file=out)
    return len(problems)


def _show(value: str | None, width: int = 100) -> str:
    if value is None:
        return "(empty)"
    text = clean_text(value, paragraphs=True) or ""
    paras = text.count("\n\n") + 1
    flat = text.replace("\n\n", " ¶ ").replace("\n", " ↵ ")  # paragraphs, and lines
    flat = flat if len(flat) <= width else flat[: width - 1] + "…"
    return flat + (f"  ({paras} paragraphs)" if paras > 1 else "")
