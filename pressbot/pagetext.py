"""What a release page says beyond the profile's selectors: its main text (trafilatura), its
language (declared, else detected), and when it was last modified.

Pure functions over a parsed page (or plain text): no crawler. trafilatura and the language
model (py3langid) are imported on first use, so a crawl that never needs them never pays for
them (half a second of imports, and 1.5 s to load the model).
"""

from __future__ import annotations

import logging
import re
from functools import lru_cache
from typing import Any

from lxml import etree

from pressbot.dates import parse_datetime
from pressbot.text import squash

logger = logging.getLogger(__name__)

#: Release-page metadata that says when the page was last modified, in the order read.
_MODIFIED = etree.XPath(
    "//meta[@property='article:modified_time' or @property='og:updated_time'"
    " or @itemprop='dateModified' or @name='dcterms.modified' or @name='DC.date.modified'"
    " or @name='last-modified']/@content",
    smart_strings=False,
)
_HTML_LANG = etree.XPath("/html/@lang | /html/@*[name()='xml:lang']", smart_strings=False)
_META_LANGUAGE = etree.XPath(
    "//meta[translate(@http-equiv, 'CONTENTLAGU', 'contentlagu')='content-language']/@content"
    " | //meta[@name='language' or @name='DC.language' or @name='dc.language']/@content",
    smart_strings=False,
)
_OG_LOCALE = etree.XPath("//meta[@property='og:locale']/@content", smart_strings=False)

#: A language tag as pages write them: en, en-GB, en_GB, pt-br, zh-Hant-TW, fil.
_TAG = re.compile(r"([A-Za-z]{2,3})((?:[-_][A-Za-z0-9]{1,8})*)")
#: Tags that declare no language: undetermined, several, none, or a private placeholder.
_NO_LANGUAGE = {"und", "mul", "mis", "zxx", "xx"}

#: A detected language is written only for this much text...
DETECT_MIN_CHARS = 200
#: ...and this confidence (py3langid's normalised probability): below either, it stays null.
DETECT_MIN_CONFIDENCE = 0.95
#: How much of a text is looked at.
DETECT_MAX_CHARS = 1000


def language_tag(value: Any) -> str | None:
    """A declared language as a BCP 47 tag (``en_gb`` -> ``en-GB``, ``zh-hant-tw`` ->
    ``zh-Hant-TW``), or None where it declares none (``und``, empty, ``en, fr``: a list
    names no one language, and none is picked from it)."""
    if not isinstance(value, str):
        return None
    match = _TAG.fullmatch(value.strip())
    if match is None:
        return None
    primary = match.group(1).lower()
    if primary in _NO_LANGUAGE:
        return None
    parts = [primary]
    for sub in re.split(r"[-_]", match.group(2))[1:]:
        if len(sub) == 2 and sub.isalpha():
            parts.append(sub.upper())  # a region: GB
        elif len(sub) == 4 and sub.isalpha():
            parts.append(sub.title())  # a script: Hant
        else:
            parts.append(sub.lower())
    return "-".join(parts)


def declared_language(root: etree._Element, content_language: str | None = None) -> str | None:
    """The language the page declares: ``<html lang>``, else a ``content-language`` (or
    ``language``) meta tag, else the HTTP ``Content-Language`` header, else ``og:locale``."""
    for candidates in (
        _HTML_LANG(root),
        _META_LANGUAGE(root),
        [content_language] if content_language else [],
        _OG_LOCALE(root),
    ):
        for value in candidates:
            tag = language_tag(value)
            if tag is not None:
                return tag
    return None


def detect_language(text: str | None) -> str | None:
    """The language of ``text`` as py3langid identifies it (an ISO 639-1 code), only where it
    is sure: at least DETECT_MIN_CHARS characters and DETECT_MIN_CONFIDENCE; else None."""
    if not text or len(text) < DETECT_MIN_CHARS:
        return None
    # The first thousand characters tell as well as the whole text, in a fraction of the time.
    language, confidence = _identifier().classify(text[:DETECT_MAX_CHARS])
    return language if confidence >= DETECT_MIN_CONFIDENCE and language not in _NO_LANGUAGE else None


@lru_cache(maxsize=1)
def _identifier():
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def modified_time(root: etree._Element, json_ld: dict, selected: str | None = None) -> str | None:
    """When the page says it was last modified, as ``parse_datetime`` gives it (its own
    offset, or none): the profile's ``modified_at`` selector, else ``article:modified_time``
    and the other modification meta tags, else JSON-LD ``dateModified``. A date with no time
    of day is no modification time: None."""
    for value in (selected, *_MODIFIED(root), json_ld.get("dateModified")):
        if isinstance(value, str) and (moment := parse_datetime(value)):
            return moment
    return None


# --- the main text -----------------------------------------------------------------------------
#: trafilatura's own block elements, each a paragraph of the body.
_BLOCKS = {"p", "head", "quote", "code", "item", "row"}


def main_text(root: etree._Element, url: str | None = None, teaser: str | None = None) -> str | None:
    """The page's main text through trafilatura, paragraphs separated by a blank line; None
    where it finds none, or where what it finds is only the listing's ``teaser`` (a page
    whose text is loaded by script, say, shows the teaser alone: that is no body)."""
    import trafilatura

    html = etree.tostring(root, encoding="unicode", method="html")
    try:
        document = trafilatura.bare_extraction(
            html, url=url, include_comments=False, include_tables=True, with_metadata=False
        )
    except Exception:  # a page trafilatura cannot read has no main text; the crawl goes on
        logger.debug("trafilatura could not read %s", url, exc_info=True)
        return None
    body = getattr(document, "body", None)
    if body is None:
        return None
    paragraphs = _paragraphs(body)
    if not paragraphs or _only_teaser(paragraphs, teaser):
        return None
    return "\n\n".join(paragraphs)


def _paragraphs(body: etree._Element) -> list[str]:
    for lb in body.iter("lb"):  # a line break inside a paragraph: a space between its words
        lb.tail = " " + (lb.tail or "")
    out: list[str] = []
    for element in body.iter():
        tag = element.tag
        if tag not in _BLOCKS or _inside_block(element):
            continue
        if not out and tag == "head" and element.get("rend") == "h1":
            continue  # the page's headline: the release's title, not its text
        if tag == "row":
            cells = [squash("".join(c.itertext())) for c in element if c.tag == "cell"]
            text = " | ".join(c for c in cells if c)
        else:
            text = squash("".join(element.itertext()))
        if text:
            out.append(text)
    return out


def _inside_block(element: etree._Element) -> bool:
    """Whether a block sits inside another (a list item's paragraph): the outer one holds it."""
    up = element.getparent()
    while up is not None:
        if up.tag in _BLOCKS:
            return True
        up = up.getparent()
    return False


def _words(text: str) -> str:
    """Text compared without case, punctuation or a trailing ellipsis."""
    return " ".join(re.findall(r"\w+", text.casefold()))


def _only_teaser(paragraphs: list[str], teaser: str | None) -> bool:
    """Whether the extracted text is the teaser: every paragraph of it within the teaser (the
    teaser itself, or a part of it), or, where the listing cut the teaser short with an
    ellipsis, one paragraph that the teaser begins."""
    if not teaser:
        return False
    known = f" {_words(teaser)} "
    if not known.strip():
        return False
    if all(f" {_words(p)} " in known for p in paragraphs):
        return True
    cut = teaser.rstrip().endswith(("…", "..."))
    return cut and len(paragraphs) == 1 and f" {_words(paragraphs[0])} ".startswith(known)
