"""Text helpers: whitespace and the text of elements, shared by parsing and normalisation."""

from __future__ import annotations

import copy
import re

import html_text as html_text_lib
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


def clean_text(value: str | None, paragraphs: bool = False) -> str | None:
    """Collapse whitespace; with ``paragraphs``, keep the text's layout: its lines, and the
    blank lines between its paragraphs (see ``lines``)."""
    if value is None:
        return None
    return (lines(value) if paragraphs else squash(value)) or None


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


def html_text(markup: str, exclude: tuple[etree.XPath, ...] = (), layout: bool = False) -> str:
    """The text of an HTML fragment held as a string (an RSS description, a JSON teaser), as
    ``element_text`` gives it.

    Raises MarkupTooDeep when the fragment nests deeper than the parser reads. A lone surrogate
    (a JSON teaser's "\\ud800", which lxml cannot encode and would drop with its whole
    paragraph) is read as U+FFFD."""
    if "<" not in markup and "&" not in markup:
        return squash(markup)
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
    return element_text(fragment, exclude, layout)


#: Where lines and paragraphs end: html-text's layout tables (a line per list item, table row,
#: <br> or <div>; a blank line around paragraphs, headings and lists), plus the other elements
#: whose edges separate words even where the markup has no space there (<td>a</td><td>b</td>,
#: <section>): those are a space.
BLOCK_TAGS = (
    frozenset(
        "address article aside blockquote br dd div dl dt figcaption figure footer h1 h2 h3 h4 h5 "
        "h6 header hr li main nav ol p pre section table tbody td tfoot th thead tr ul".split()
    )
    | html_text_lib.NEWLINE_TAGS
    | html_text_lib.DOUBLE_NEWLINE_TAGS
)
_SKIP_TAGS = frozenset(("script", "style", "template"))
_SPECIAL = BLOCK_TAGS | _SKIP_TAGS
_STRING = etree.XPath("string()", smart_strings=False)
#: A blank line: where one paragraph ends and the next begins.
BLANK_LINE = re.compile(r"\n[^\S\n]*\n\s*")


def element_text(el: etree._Element, exclude: tuple[etree.XPath, ...] = (), layout: bool = False) -> str:
    """An element's text, whitespace-normalised, scripts (and what ``exclude`` selects, with
    the element's own descendants) left out.

    Block boundaries always separate words. Without ``layout`` the text is one line; with it,
    lines and paragraphs stay apart as a browser shows them (html-text's layout): a line per
    list item, table row or ``<br>``, a blank line between paragraphs, headings and lists.
    Whitespace in the markup is never a line break: it is a space, as a browser renders it.
    """
    # (The elements themselves, held: lxml keeps one proxy per node only while it is referenced.)
    dropped = {n for xpath in exclude for n in xpath(el) if isinstance(n, etree._Element)} if exclude else ()
    if el in dropped:
        return ""
    if not dropped and (not len(el) or not any(d.tag in _SPECIAL for d in el.iterdescendants())):
        return squash(_STRING(el))  # the common case, done in C
    if el.tag in _SKIP_TAGS:
        return ""
    tree = copy.deepcopy(el)
    tree.tail = None
    if dropped:
        # The copy has the element's shape: its nodes, in document order, pair with the original's.
        for node, twin in zip(el.iter(), list(tree.iter()), strict=True):
            if node in dropped:
                _drop(twin)
    etree.strip_elements(tree, etree.Comment, etree.ProcessingInstruction, *_SKIP_TAGS, with_tail=False)
    # Inline elements go, their text kept in place: html-text puts a space wherever one text
    # ends and the next begins (issue #16), which would split "<b>JBS</b>'s" or "H<sub>2</sub>O".
    inline = {n.tag for n in tree.iterdescendants()} - BLOCK_TAGS
    if inline:
        etree.strip_tags(tree, *inline)
    text = html_text_lib.etree_to_text(tree, guess_punct_space=False, guess_layout=layout)
    return lines(text) if layout else squash(text)


def _drop(node: etree._Element) -> None:
    """Remove ``node`` from its tree, keeping the text that follows it."""
    parent = node.getparent()
    if parent is None:
        return
    if node.tail:
        before = node.getprevious()
        if before is not None:
            before.tail = (before.tail or "") + node.tail
        else:
            parent.text = (parent.text or "") + node.tail
    parent.remove(node)


def lines(text: str) -> str:
    """Text with its layout: each line whitespace-normalised, empty lines dropped, paragraphs
    (a blank line between them) kept apart by exactly one blank line."""
    if "\n" not in text:
        return squash(text)  # one line, as most teasers are
    if "\r" in text:  # a Windows line end is one; a lone carriage return is a space, as squash has it
        text = text.replace("\r\n", "\n").replace("\r", " ")
    out = []
    for para in BLANK_LINE.split(text):
        kept = [line for line in (squash(part) for part in para.split("\n")) if line]
        if kept:
            out.append("\n".join(kept))
    return "\n\n".join(out)
