"""Text helpers: whitespace and the text of elements, shared by parsing and normalisation."""

from __future__ import annotations

import re

from lxml import etree
from lxml import html as lxml_html


def squash(text: str) -> str:
    """``" ".join(text.split())``: every run of whitespace (Unicode's too) as one space, none at
    the ends. Long ASCII text that is already clean, a teaser paragraph as most pages give it, is
    recognised without splitting it into words: three times faster on 600 characters."""
    if (
        len(text) > 64
        and text.isascii()
        and text[0] != " "
        and text[-1] != " "
        and "  " not in text
        and "\n" not in text
        and _no_odd_space(text)
    ):
        return text
    return " ".join(text.split())


def _no_odd_space(text: str) -> bool:
    # The ASCII whitespace str.split() knows besides " " and "\n".
    return (
        "\t" not in text
        and "\r" not in text
        and "\x0b" not in text
        and "\x0c" not in text
        and "\x1c" not in text
        and "\x1d" not in text
        and "\x1e" not in text
        and "\x1f" not in text
    )


def _paragraphs(value: str) -> str:
    """Paragraphs squashed each, separated by one blank line."""
    if "\r" in value:
        value = value.replace("\r", "")
    parts = [squash(p) for p in value.split("\n\n")]
    return "\n\n".join([p for p in parts if p])


def clean_text(value: str | None, paragraphs: bool = False) -> str | None:
    """Collapse whitespace; with ``paragraphs``, keep blank-line paragraph breaks."""
    if value is None:
        return None
    return (_paragraphs(value) if paragraphs else squash(value)) or None


class MarkupTooDeep(ValueError):
    """HTML held as text nests deeper than libxml2 reads even with ``huge_tree`` (2048 levels):
    its text would be cut off where the nesting gets too deep, so it is not used at all."""


#: lxml.html's parser with huge_tree: libxml2 otherwise stops reading at 256 levels of nesting,
#: and everything after that point of the fragment is lost without an error.
_FRAGMENT_PARSER = lxml_html.HTMLParser(recover=True, huge_tree=True)
_TOO_DEEP = "Excessive depth"
_SURROGATE = re.compile("[\ud800-\udfff]")


def too_deep(parser: etree._FeedParser) -> bool:
    """Whether the parser's last document nested deeper than libxml2 reads (it stopped there)."""
    log = parser.error_log
    return bool(len(log)) and any(_TOO_DEEP in e.message for e in log)


def html_text(markup: str) -> str:
    """The text of an HTML fragment held as a string (an RSS description, a JSON teaser).

    Raises MarkupTooDeep when the fragment nests deeper than the parser reads. A lone surrogate
    (a JSON teaser's "\\ud800", which lxml cannot encode and would drop with its whole
    paragraph) is read as U+FFFD."""
    if "<" not in markup and "&" not in markup:
        return markup
    if not markup.isascii():
        try:
            markup.encode("utf-8")
        except UnicodeEncodeError:
            markup = _SURROGATE.sub("\ufffd", markup)
    try:
        fragment = lxml_html.fragment_fromstring(markup, create_parent="div", parser=_FRAGMENT_PARSER)
    except etree.ParserError:  # nothing but a comment, or a document with no body
        return ""
    if too_deep(_FRAGMENT_PARSER):
        raise MarkupTooDeep("markup nested deeper than 2048 levels")
    return element_text(fragment)


#: Elements whose edges separate words even when the markup has no space there (<li>a</li><li>b).
BLOCK_TAGS = frozenset(
    "address article aside blockquote br dd div dl dt figcaption figure footer h1 h2 h3 h4 h5 h6 "
    "header hr li main nav ol p pre section table tbody td th thead tr ul".split()
)
_SKIP_TAGS = frozenset(("script", "style", "template"))
_SPECIAL = BLOCK_TAGS | _SKIP_TAGS
_STRING = etree.XPath("string()", smart_strings=False)


def element_text(el: etree._Element) -> str:
    """An element's text, with block boundaries as spaces and scripts left out."""
    if not len(el) or not any(d.tag in _SPECIAL for d in el.iterdescendants()):
        return _STRING(el)  # the common case, done in C
    # A stack, not a recursion: pages are parsed with huge_tree, so an element may hold 2000
    # levels of nesting, twice Python's recursion limit. (element, closing) pairs, in the
    # reverse of document order: an element's tail comes after its closing.
    parts: list[str] = []
    append = parts.append
    stack: list[tuple[etree._Element, bool]] = [(el, False)]
    pop, push = stack.pop, stack.append
    while stack:
        node, closing = pop()
        tag = node.tag
        if closing:
            if tag in BLOCK_TAGS:
                append(" ")
        elif tag in _SKIP_TAGS or not isinstance(tag, str):
            pass  # scripts, comments, processing instructions: their tails only
        else:
            if tag in BLOCK_TAGS:
                append(" ")
            if node.text:
                append(node.text)
            push((node, True))
            stack.extend([(child, False) for child in reversed(node)])
            continue
        if node is not el and node.tail:
            append(node.tail)
    return "".join(parts)
