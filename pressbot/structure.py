"""What a listing page is made of: whether it was read whole, and its template's fingerprint.

The walk trusts a page to end the archive only when it was read to its end (a page cut short
has no next link either) and, for a template walk's empty page, only when it is the site's own
page (the listing's template, not a one-off error page or a maintenance notice).
"""

from __future__ import annotations

import json
import re

from lxml import etree

#: The end of an HTML document: its closing </html> or </body>, then only space or comments.
_HTML_END = re.compile(rb"</(?:html|body)\s*>(?:\s|<!--.*?-->)*\Z", re.I | re.S)
#: How many elements of a page its fingerprint looks at (the site's chrome comes first).
_FINGERPRINT_ELEMENTS = 3000
#: A page is the listing's own when this share of its fingerprint is in the first page's.
_SAME_TEMPLATE = 0.6
#: ...and it has at least this many distinct classes and ids to compare.
_LEAST_TOKENS = 5


def read_whole(body: bytes, fmt: str = "html") -> bool:
    """Whether ``body`` looks like a whole document of the listing's format: HTML that closes
    its </html> or </body>, XML whose root element closes, JSON that parses."""
    if fmt == "json":
        try:
            json.loads(body)
        except (ValueError, RecursionError):
            return False
        return True
    tail = body[-4096:].rstrip()
    if fmt == "xml":
        return tail.endswith(b">") and _closes_root(body)
    return bool(_HTML_END.search(tail))


def _closes_root(body: bytes) -> bool:
    try:
        etree.fromstring(body, etree.XMLParser(recover=False, huge_tree=True, resolve_entities=False))
    except etree.XMLSyntaxError:
        return False
    return True


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
    if first is None or len(page) < _LEAST_TOKENS:
        return False
    return len(page & first) / len(page) >= _SAME_TEMPLATE
