"""What a listing page is made of: whether it was read whole, and its template's fingerprint.

The walk trusts a page to end the archive only when it was read to its end (a page cut short
has no next link either) and, for a template walk's empty page, only when it is the site's own
page (the listing's template, not a one-off error page or a maintenance notice).
"""

from __future__ import annotations

import json
import re

from lxml import etree

#: Where an HTML document closes: its </html> or </body> (scripts may follow; a cut page has
#: neither near its end).
_HTML_END = re.compile(rb"</(?:html|body)\s*>", re.I)
#: The first element of an XML document, past its prolog and comments.
_XML_ROOT = re.compile(rb"<([A-Za-z_][\w.:-]*)")
#: How much of a page's end is looked at.
_TAIL = 8192
#: How many elements of a page its fingerprint looks at (the site's chrome comes first).
_FINGERPRINT_ELEMENTS = 3000
#: A page is the listing's own when this share of its fingerprint is in the first page's.
_SAME_TEMPLATE = 0.6
#: ...and it has at least this many distinct classes and ids to compare (else: unknown).
_LEAST_TOKENS = 5


def ends_whole(body: bytes, fmt: str = "html", encoding: str | None = None) -> bool:
    """Whether ``body`` ends as a whole document of the listing's format does: HTML that closes
    its </html> or </body> near its end, XML whose root element closes, JSON that parses (in
    the page's own encoding)."""
    if fmt == "json":
        try:
            json.loads(body.decode(encoding or "utf-8"))
        except (ValueError, RecursionError, LookupError):
            return False
        return True
    tail = body[-_TAIL:]
    if fmt == "xml":
        root = _XML_ROOT.search(_skip_prolog(body[:4096]))
        if root is None:
            return False
        return re.search(rb"</" + re.escape(root.group(1)) + rb"\s*>", tail) is not None
    return _HTML_END.search(tail) is not None


def _skip_prolog(head: bytes) -> bytes:
    """The document past its XML declaration, processing instructions, comments and doctype."""
    return re.sub(rb"<\?.*?\?>|<!--.*?-->|<![^>]*>", b"", head, flags=re.S)


def read_whole(
    body: bytes, fmt: str = "html", first_ends: bool | None = None, encoding: str | None = None
) -> bool:
    """Whether a listing page was read to its end. A page is judged cut only on evidence: it
    does not end as a whole document does, while the walk's first page did (``first_ends``;
    None for the first page itself, which has nothing to compare with and counts as whole). A
    site whose pages never close their </html> (HTML5 allows it) is read as whole."""
    if ends_whole(body, fmt, encoding):
        return True
    return first_ends is not True


def fingerprint(root: etree._Element) -> frozenset[str]:
    """The page's template as a set of ``tag.class`` and ``tag#id`` tokens of its elements."""
    tokens: set[str] = set()
    for n, el in enumerate(root.iter()):
        if n >= _FINGERPRINT_ELEMENTS:
            break
        tag = el.tag
        if not isinstance(tag, str):
            continue  # comments, processing instructions
        for cls in (el.get("class") or "").split():
            tokens.add(f"{tag}.{cls}")
        ident = el.get("id")
        if ident:
            tokens.add(f"{tag}#{ident}")
    return frozenset(tokens)


def same_template(page: frozenset[str], first: frozenset[str] | None) -> bool:
    """Whether a page with fingerprint ``page`` is built on the template of the walk's first
    page: most of what it is made of is in the first page too."""
    if first is None:
        return False
    if len(page) < _LEAST_TOKENS or len(first) < _LEAST_TOKENS:
        # Too plain a site (or a JSON or XML listing) to tell templates apart: the walk
        # confirms such an end with the page after it instead.
        return True
    return len(page & first) / len(page) >= _SAME_TEMPLATE
