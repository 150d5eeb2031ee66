"""Listing and detail parsing: pure functions from a parsed page and a profile to entries and links.

Nothing here knows about Scrapy's engine: tests feed saved pages straight in.
"""

from __future__ import annotations

import contextlib
import json
import logging
import re
from dataclasses import dataclass, field
from functools import lru_cache
from urllib.parse import urljoin, urlsplit

import parsel
from lxml import etree
from parsel.selector import SafeXMLParser, create_root_node

from pressbot import pagedates, pagetext
from pressbot.fields import REQUIRED_LISTING_FIELDS
from pressbot.items import canonical_url
from pressbot.profiles import Profile, Selector
from pressbot.text import MarkupTooDeep, element_text, html_text, squash, too_deep

logger = logging.getLogger(__name__)

_JSONLD = etree.XPath("//script[@type='application/ld+json']/text()", smart_strings=False)
_LINK_NEXT = etree.XPath("/html/head/link[@rel='next']/@href", smart_strings=False)


#: EntryProblem.kind: what was wrong with a value, in words fit for a counter's name.
NOT_HTTP_URL = "not_http_url"  # not an absolute http(s) URL once joined (javascript:, mailto:, …)
UNUSABLE_URL = "unusable_url"  # a URL that cannot be joined, encoded or requested (a lone
#                                surrogate, a port out of range, http://[oops/)
TOO_DEEP = "too_deep"  # markup or JSON nested deeper than its parser reads
NOT_JSON = "not_json"  # a JSON listing page that is not JSON
UNREADABLE = "unreadable"  # anything else that failed while reading the value or the page


@dataclass(frozen=True)
class EntryProblem:
    """A value on a page that could not be used, and why: the page and the walk go on without it.

    ``index`` is the entry's position in ``Listing.entries`` (0 for the first); that entry's
    ``field`` is None, the rest of the entry is as extracted. ``index`` None is a problem of the
    page itself: ``field`` is then ``"next_page"`` (a next link left out of ``next_urls``) or
    None (the page could not be read whole, e.g. JSON nested too deep: no entries, or markup
    nested past 2048 levels: what came before that point). ``kind`` is one of the module's
    constants (NOT_HTTP_URL, UNUSABLE_URL, TOO_DEEP, NOT_JSON, UNREADABLE), for counters;
    ``reason`` says in one line what was wrong, with the value where there is one. The same
    record serves release pages (``parse_detail``), with ``index`` None.
    """

    index: int | None
    field: str | None
    kind: str
    reason: str

    def __str__(self) -> str:
        where = "page" if self.index is None else f"entry {self.index}"
        return f"{where}: {self.field or 'page'}: {self.reason}"


@dataclass
class Listing:
    """What one listing page holds: its entries, in page order, and the pages it links on to."""

    url: str
    entries: list[dict[str, str | None]] = field(default_factory=list)
    next_urls: list[str] = field(default_factory=list)
    #: field -> how many entries lacked it (required fields only), for the drift alarm.
    missing: dict[str, int] = field(default_factory=dict)
    #: Values that could not be used (each made its entry's field None), and problems of the
    #: page itself, in the order found: see EntryProblem.
    problems: list[EntryProblem] = field(default_factory=list)


class Page(parsel.Selector):
    """A parsed page: a parsel Selector, with what the parser could not read of it."""

    __slots__ = ("problems",)
    #: Problems of the page itself (index None), copied into its Listing.
    problems: list[EntryProblem]


def page_from_bytes(
    body: bytes, url: str, encoding: str = "utf-8", fmt: str = "html", ids: bool = True
) -> Page:
    """A parsel page from saved bytes, as Scrapy would build it from a response.

    ``fmt`` is the profile's listing format: html, xml (RSS/Atom, namespaces removed) or json.
    HTML is parsed with lxml's plain HTML parser: parsel's default (lxml.html's) looks up a
    Python class for every element it hands out, a tenth of a millisecond a page here.
    ``ids=False`` skips the table of id attributes, which only XPath's id() function reads
    (``Profile.uses_xpath_id``).

    Never raises: a page that cannot be read whole says why in ``Page.problems`` (JSON nested
    deeper than Python's parser reads, markup nested past libxml2's 2048 levels), with what
    could be read of it.
    """
    problems: list[EntryProblem] = []
    try:
        page = _parse(body, url, encoding, fmt, ids, problems)
    except Exception as exc:  # a page no parser reads is a problem of that page, not a crash
        logger.debug("could not parse %s", url, exc_info=True)
        problems.append(EntryProblem(None, None, UNREADABLE, f"the page could not be parsed: {_error(exc)}"))
        page = Page(root=None, type="json") if fmt == "json" else Page(root=etree.fromstring(b"<html/>"))
    page.problems = problems
    return page


def _parse(body: bytes, url: str, encoding: str, fmt: str, ids: bool, problems: list[EntryProblem]) -> Page:
    if fmt == "json":
        return Page(root=_json(body.decode(encoding or "utf-8", errors="replace"), problems), type="json")
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
        _check_depth(parser, problems)
        if root is None:  # only whitespace or comments
            root = etree.fromstring(b"<html/>", parser=parser)
        return Page(root=root, type="html", base_url=url)
    # parsel's own XML reading (huge_tree, no entities), through a parser that is kept, to
    # read its error log.
    _XMLParser.last = None
    root = create_root_node(
        "", _XMLParser, base_url=url, huge_tree=True, body=body or b"<rss/>", encoding=encoding
    )
    if _XMLParser.last is not None:
        _check_depth(_XMLParser.last, problems)
    page = Page(root=root, type=fmt, base_url=url)
    page.remove_namespaces()  # Atom's default namespace would hide every element
    return page


class _XMLParser(SafeXMLParser):
    #: The last instance made: parsel makes one per page.
    last: etree.XMLParser | None = None

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        type(self).last = self


def _check_depth(parser, problems: list[EntryProblem]) -> None:
    if too_deep(parser):
        line = next(e.line for e in parser.error_log if "Excessive depth" in e.message)
        problems.append(
            EntryProblem(
                None,
                None,
                TOO_DEEP,
                f"markup nested deeper than 2048 levels: the page was read up to line {line} only",
            )
        )


def _json(text: str, problems: list[EntryProblem]):
    """The JSON document, or None (with the problem) when it cannot be read."""
    try:
        return json.loads(text)
    except RecursionError:
        problems.append(EntryProblem(None, None, TOO_DEEP, "JSON nested deeper than the parser reads"))
    except ValueError as exc:
        if "integer string conversion" in str(exc):
            # A number of more than 4,300 digits (Python's limit): kept as its digits.
            with contextlib.suppress(ValueError, RecursionError):
                return json.loads(text, parse_int=_int_or_digits)
        problems.append(EntryProblem(None, None, NOT_JSON, f"not JSON: {exc}"))
    return None


def _int_or_digits(digits: str) -> int | str:
    try:
        return int(digits)
    except ValueError:
        return digits


@lru_cache(maxsize=32)
def _html_parser(encoding: str, ids: bool) -> etree.HTMLParser:
    # The options parsel uses for HTML: recover from broken markup, keep the document whole
    # (huge_tree: without it libxml2 stops reading at 256 levels of nesting, and 10 entries
    # each followed by 30 unclosed <div>s lose their last entries and the next link).
    return etree.HTMLParser(
        recover=True, encoding=encoding, huge_tree=True, remove_comments=False, collect_ids=ids
    )


def parse_listing(page: parsel.Selector, url: str, profile: Profile) -> Listing:
    """Extract every entry on a listing page and the URLs of the pages after it.

    Never raises for a page: each entry's fields are read on their own, and a value that cannot
    be used (see EntryProblem) is None in its entry and recorded in ``Listing.problems``; the
    rest of the entry, the other entries and the next links stand.
    """
    listing = Listing(url=url, problems=list(getattr(page, "problems", ())))
    try:
        _read_listing(page, url, profile, listing)
    except Exception as exc:  # a bug, or a page nothing above foresaw: reported, not a crash
        logger.exception("%s: could not parse the listing page %s", profile.name, url)
        listing.problems.append(
            EntryProblem(None, None, UNREADABLE, f"the page could not be parsed: {_error(exc)}")
        )
    return listing


def _read_listing(page: parsel.Selector, url: str, profile: Profile, listing: Listing) -> None:
    problems = listing.problems
    nodes: list
    if profile.format == "json":
        base = url
        nodes = page.jmespath(profile.entry.query)
        columns = {
            name: [_guarded(n, sel, i, name, problems) for i, n in enumerate(nodes)]
            for name, sel in profile.fields.items()
        }
    else:
        base = _base_url(page.root, url)
        nodes = [n for n in _compiled(profile.entry.xpath)(page.root) if isinstance(n, etree._Element)]
        columns = _extract_columns(page.root, nodes, profile, problems)
    join = _joiner(base)
    if "url" in columns:
        columns["url"] = _entry_urls(columns["url"], join, base, _allows_file(profile), problems)
    keys = list(columns)  # a selector's key is the item field it fills
    listing.entries = [dict(zip(keys, row, strict=True)) for row in zip(*columns.values(), strict=True)]
    for name in REQUIRED_LISTING_FIELDS:  # (a value is a non-empty string or None)
        if name not in columns and name not in profile.required_fields:
            continue  # no date selector: the release pages date the entries
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
        if nxt == url or nxt in listing.next_urls:
            continue
        # Where a next link may lead is the walk's to judge (it reports links off the site); a
        # link that cannot even be requested is left out here.
        fine = nxt is not None and nxt.isascii() and _PLAIN_HTTP.match(nxt)
        problem = None if fine else _url_problem(nxt, href, any_scheme=True)
        if problem is not None:
            problems.append(EntryProblem(None, "next_page", *problem))
        elif nxt is not None:
            listing.next_urls.append(nxt)


def _entry_urls(
    hrefs: list, join, base: str, allow_file: bool, problems: list[EntryProblem]
) -> list[str | None]:
    """Each entry's link joined to the page's base URL, or None (recorded) where that is not
    a URL a release can have: absolute http(s), or file: for a profile that starts on file:."""
    urls = [join(h) if h else None for h in hrefs]
    given = [u for u in urls if u is not None]
    plain = _PLAIN_HTTP.match(base)
    if plain and len(given) == len(hrefs) - hrefs.count(None):  # every link joined
        # Nearly every page: all its links on the base's own http(s) host, told at once (20
        # links checked one by one cost a fortieth of the page's parse).
        origin = "\n" + plain.group().rstrip("/?#") + "/"
        lines = "\n" + "\n".join(given)  # (joined links hold no newline: urljoin drops them)
        if lines.isascii() and lines.count(origin) == len(given):
            return urls
    for i, url in enumerate(urls):
        if url is not None and url.isascii() and _PLAIN_HTTP.match(url):
            continue
        if hrefs[i]:
            problem = _url_problem(url, hrefs[i], allow_file=allow_file)
            if problem is not None:
                problems.append(EntryProblem(i, "url", *problem))
                urls[i] = None
    return urls


#: The start of an http(s) URL with a host name or IPv4 address and a port in range, up to
#: where its path begins: such a URL, if ASCII, is one _url_problem finds nothing wrong with.
_PLAIN_HTTP = re.compile(
    r"https?://[A-Za-z0-9._~-]+"
    r"(?::(?:[0-9]{1,4}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5]))?"
    r"(?:[/?#]|$)"
)


def _allows_file(profile: Profile) -> bool:
    """Whether file: release URLs are fine: only where the profile itself starts on file:
    (the bundled fixtures); a page on the web must not send the crawler to local files."""
    return any(u[:5].lower() == "file:" for u in profile.start_urls)


def _url_problem(
    url: str | None, href: str, allow_file: bool = False, any_scheme: bool = False
) -> tuple[str, str] | None:
    """(kind, reason) if ``url``, the link ``href`` joined, cannot be used; None if it can.

    Entries need an absolute http(s) URL with a host (``allow_file``: or a local file: URL);
    with ``any_scheme``, only whether the URL can be encoded, read and canonicalised."""
    if url is None:
        return UNUSABLE_URL, f"cannot be joined to the page's URL: {_short(href)}"
    try:
        parts = urlsplit(url)
        if parts.scheme in ("http", "https"):
            if not parts.hostname:
                return NOT_HTTP_URL, f"not an absolute http(s) URL: {_short(url)} (no host)"
        elif parts.scheme == "file" and allow_file:
            if parts.netloc not in ("", "localhost"):
                return NOT_HTTP_URL, f"not a local file: URL: {_short(url)} (on another host)"
        elif not any_scheme:
            return NOT_HTTP_URL, f"not an absolute http(s) URL: {_short(url)}"
        parts.port  # noqa: B018 - reading it is the check: a port out of range raises
        canonical_url(url)  # what the release id is made of (cached: the walk asks next)
    except UnicodeError:
        return UNUSABLE_URL, f"not valid Unicode (a lone surrogate): {_short(url)}"
    except ValueError as exc:
        return UNUSABLE_URL, f"{exc}: {_short(url)}"
    return None


def _short(value: str, limit: int = 200) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _error(exc: BaseException) -> str:
    """An exception in one line, for a problem's reason."""
    if isinstance(exc, RecursionError):
        return "nested too deep to read"
    text = " ".join(str(exc).split())
    if isinstance(exc, MarkupTooDeep) or not text:
        return text or type(exc).__name__
    return f"{type(exc).__name__}: {text}"


def _problem(index: int | None, name: str, exc: Exception) -> EntryProblem:
    kind = TOO_DEEP if isinstance(exc, MarkupTooDeep | RecursionError) else UNREADABLE
    return EntryProblem(index, name, kind, _error(exc))


def _guarded(node, sel: Selector, index: int | None, name: str, problems: list[EntryProblem]) -> str | None:
    """``extract``, for one entry's field: a value that cannot be read is None, and recorded."""
    try:
        return extract(node, sel)
    except Exception as exc:  # one entry's value, never its page
        problems.append(_problem(index, name, exc))
        return None


def check_listing(listing: Listing, profile: Profile) -> list[str]:
    """Drift: what on this page says the profile's selectors no longer fit the site, or that
    the page could not be read whole (then what it holds past that point, its next link
    included, is unknown: the walk must not look complete)."""
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
    for problem in listing.problems:
        if problem.index is not None:
            continue  # an entry's value: that entry's business (counted, the walk goes on)
        if problem.field is None:
            problems.append(f"page not read whole: {problem.reason}")
        elif not listing.next_urls:  # (a pager with one bad link of ten still leads on)
            problems.append(f"next link {problem.field} not followed: {problem.reason}")
    return problems


def parse_detail(
    page: parsel.Selector,
    url: str,
    profile: Profile,
    problems: list[EntryProblem] | None = None,
    *,
    teaser: str | None = None,
    content_language: str | None = None,
    body: bytes | None = None,
) -> dict[str, str | None]:
    """A release page's fields: what the profile selects, then the page's standard metadata.

    The publication comes from the profile's ``published_at`` selector, else the page's own
    signals, else its text (``pressbot.pagedates``; ``body``, the page's bytes, for htmldate):
    ``published_at`` the time with its offset where there is one, ``published`` the
    publisher's day and ``date_source`` where it came from (given only where the page gives
    a day; ``date_problem`` where it prints one that cannot be read for sure); the author from
    the profile, else JSON-LD. Without a ``body`` selector, the body is the page's main text
    (pressbot.pagetext.main_text), unless that is only the listing's ``teaser``.
    ``modified_at`` and ``language`` come from the profile's selectors, else the page's
    metadata (``content_language``: the HTTP header), else, for the language, the body's text
    (pressbot.pagetext).

    Never raises for a page: a value that cannot be read is None (the listing's value stands)
    and, with ``problems``, recorded there (``index`` None), after the page's own problems.
    """
    if problems is None:
        problems = []
    problems.extend(getattr(page, "problems", ()))
    try:
        return _read_detail(page.root, url, profile, problems, teaser, content_language, body)
    except Exception as exc:  # a bug, or a page nothing above foresaw: reported, not a crash
        logger.exception("%s: could not parse the release page %s", profile.name, url)
        problems.append(EntryProblem(None, None, UNREADABLE, f"the page could not be parsed: {_error(exc)}"))
        return {}


def _read_detail(
    root,
    url: str,
    profile: Profile,
    problems: list[EntryProblem],
    teaser: str | None = None,
    content_language: str | None = None,
    body: bytes | None = None,
) -> dict[str, str | None]:
    out = {name: _guarded(root, sel, None, name, problems) for name, sel in profile.detail_fields.items()}
    ld = _json_ld(root)
    selected = pagedates.read_value(out.pop("published_at", None))
    if selected is not None:  # the profile's selector: the page's date where the profile says
        out["published_at"] = selected.moment
        out["published"], out["date_source"] = selected.day.isoformat(), pagedates.PAGE_METADATA
    else:
        found = pagedates.tree_date(root, url, body=body, order=profile.date_order)
        out["published_at"] = found.moment
        if found.day is not None:
            out["published"], out["date_source"] = found.day, found.source
        elif found.problem is not None:
            out["date_problem"] = f"on the release page: {found.problem}"
    out["modified_at"] = pagetext.modified_time(root, ld, out.pop("modified_at", None))
    if "body" not in profile.detail_fields:
        # A page not read whole has no whole text (and trafilatura takes a second over 2048
        # levels of markup).
        whole = not any(p.kind == TOO_DEEP for p in problems)
        out["body"] = pagetext.main_text(root, url, teaser) if whole else None
    out["language"] = (
        pagetext.language_tag(out.pop("language", None))
        or pagetext.declared_language(root, content_language)
        or pagetext.detect_language(out.get("body"))
    )
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
        except (ValueError, RecursionError):  # not JSON, or nested too deep to read
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


def _extract_columns(
    root, nodes: list, profile: Profile, problems: list[EntryProblem] | None = None
) -> dict[str, list[str | None]]:
    """Every field for every entry: what ``extract`` gives entry by entry (tests/test_parsing.py
    compares the two), faster. Fields that only differ by a final ``/@attr`` (the title link and
    its href) share one evaluation of their common path. A value that cannot be read is None,
    and recorded in ``problems``."""
    if problems is None:
        problems = []
    if _nested(nodes):
        # A match inside an inner entry belongs to the outer one too: it cannot be traced back
        # to one entry, so such a page (rare) is read entry by entry.
        return {
            name: [_guarded(n, sel, i, name, problems) for i, n in enumerate(nodes)]
            for name, sel in profile.fields.items()
        }
    evaluated, derived = _field_plan(tuple(profile.fields.items()))
    columns: dict[str, list[str | None]] = {}
    firsts: dict[str, list | None] = {}  # field XPath -> first element it matched in each entry
    for name, sel in evaluated:
        columns[name], firsts[sel.xpath] = _extract_all(root, nodes, sel, name, problems)
    element = etree._Element
    for name, path, attr in derived:
        matches = firsts.get(path) or _first_elements(root, nodes, path)
        column = [_clean(m.get(attr)) if isinstance(m, element) else None for m in matches]
        for i, match in enumerate(matches):
            if column[i] is None and match is not None:
                # The first match has no such attribute (<a name> before <a href>), or is not
                # an element: a later match may have it.
                column[i] = _guarded(nodes[i], profile.fields[name], i, name, problems)
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


def _extract_all(
    root, nodes: list, sel: Selector, name: str, problems: list[EntryProblem]
) -> tuple[list[str | None], list | None]:
    """One field for every entry of a page with a single XPath evaluation over the page, and
    the first element matched in each entry (None when the matches are not elements).

    Evaluating 4 fields x 20 entries separately costs 80 XPath calls, each with its fixed
    overhead; here each match is traced back to its entry instead. Expressions that cannot be
    chained after the entries (functions, unions) fall back to one evaluation per entry, and so
    does a field whose text cannot be read in some entry: that entry alone gets None.
    """
    batch = _batched(sel.xpath)
    if batch is not None and nodes:
        try:
            return _batched_column(root, nodes, sel, batch)
        except Exception:  # (a guard in the loop would cost a sixth of its time)
            pass
    return [_guarded(n, sel, i, name, problems) for i, n in enumerate(nodes)], None


def _batched_column(root, nodes: list, sel: Selector, batch) -> tuple[list[str | None], list | None]:
    # The loop of _owned and _text_of, written out: it runs for every field of every entry.
    index = {node: i for i, node in enumerate(nodes)}
    found: list = [None] * len(nodes)  # first text, or (all) the list of texts
    first: list = [None] * len(nodes)
    every, element = sel.all, etree._Element
    plain = not sel.html and not sel.exclude  # a leaf's text is then all there is
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
        if is_element and plain and not len(match):
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
    """A match's text, whitespace-normalised (Unicode spaces too): one line, or with its lines
    and paragraphs (``sel.layout``), less what ``sel.exclude`` selects. Only markup has a
    layout: a text node's or an attribute's line breaks are the source's, spaces on the page."""
    if isinstance(match, etree._Element):
        if not len(match) and not sel.html and not sel.exclude:  # a leaf: its text is all there is
            return squash(match.text or "")
        if not sel.html:
            return element_text(match, _excluded(sel), sel.layout)
        text = element_text(match)  # markup held as text (an RSS description)
    else:
        text = str(match)
    if sel.html:
        return html_text(text, _excluded(sel), sel.layout)
    return squash(text)


def _excluded(sel: Selector) -> tuple[etree.XPath, ...]:
    return tuple(_compiled(x) for x in sel.exclude) if sel.exclude else ()


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
