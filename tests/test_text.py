"""Text helpers: squash agrees with str.split, paragraphs survive cleaning, elements' text (however
deep), HTML held as text."""

from __future__ import annotations

import random

import pytest
from lxml import etree

from pressbot.text import BLOCK_TAGS, MarkupTooDeep, clean_text, element_text, html_text, squash

_LONG = "Ministers publish the report on housing and climate measures today " * 3


@pytest.mark.parametrize(
    "text",
    [
        _LONG.strip(),
        _LONG,
        " " + _LONG.strip(),
        _LONG.replace("the", "the  "),
        *(_LONG.strip().replace(" on ", f" on{ws}") for ws in "\t\n\r\x0b\x0c\x1c\x1d\x1e\x1f"),
        _LONG.strip().replace(" on ", " on\xa0"),
        _LONG.strip().replace(" on ", "\u2003on "),
        "",
        " ",
        "short  one",
        "05 September 2010",
    ],
)
def test_squash_is_split_and_join(text):
    # The fast path for clean long ASCII text must agree with str.split on every whitespace.
    assert squash(text) == " ".join(text.split())


@pytest.mark.parametrize(
    "value, paragraphs, cleaned",
    [
        (None, False, None),
        ("  ", False, None),
        (" One  para.\n\n\n Two. ", False, "One para. Two."),
        (" One  para.\n\n\n Two. ", True, "One para.\n\nTwo."),
        ("One.\r\n\r\nTwo.\r\n", True, "One.\n\nTwo."),  # Windows line ends still break paragraphs
        ("\n\n\n\n", True, None),
        (_LONG, True, _LONG.strip()),
    ],
)
def test_clean_text(value, paragraphs, cleaned):
    assert clean_text(value, paragraphs=paragraphs) == cleaned


def _reference_paragraphs(value: str) -> str | None:
    """clean_text(paragraphs=True) as it is defined: each paragraph squashed, empty ones left
    out, one blank line between them."""
    parts = [" ".join(p.split()) for p in value.replace("\r", "").split("\n\n")]
    return "\n\n".join(p for p in parts if p) or None


_CLEAN = "\n\n".join([_LONG.strip(), "Second paragraph of the teaser.", _LONG.strip()])


@pytest.mark.parametrize(
    "value",
    [
        _CLEAN,
        _CLEAN + "\n",
        "\n" + _CLEAN,
        _CLEAN.replace("\n\n", "\n", 1),
        _CLEAN.replace("\n\n", "\n\n\n", 1),
        _CLEAN.replace("\n\n", " \n\n", 1),
        _CLEAN.replace("\n\n", "\n\n ", 1),
        _CLEAN.replace("\n\n", "\n \n", 1),
        _CLEAN.replace("\n\n", "\r\n\r\n", 1),
        _CLEAN.replace("\n\n", "\n\n\n\n", 1),
        *(_CLEAN.replace(" on ", f" on{ws}", 1) for ws in "\t\r\x0b\x0c\x1c\x1d\x1e\x1f\xa0\u2003"),
        *(ws + _CLEAN for ws in " \t\x1c"),
    ],
)
def test_clean_paragraphs_agree_with_their_definition(value):
    assert clean_text(value, paragraphs=True) == _reference_paragraphs(value)


def test_clean_paragraphs_agree_with_their_definition_on_random_text():
    # Mostly clean teasers (words, single spaces, paragraph breaks), some with one flaw.
    rnd = random.Random(7)
    words = ["word", "Word.", "x" * 70, "é"]
    flaws = ["  ", "\n", "\n\n\n", "\r", "\t", "\xa0", " \n\n", "\n\n ", "\x1f", ""]
    for _ in range(3000):
        seps = rnd.choices([" ", "\n\n"], weights=[8, 2], k=rnd.randint(1, 30))
        value = "".join(rnd.choice(words[:3]) + sep for sep in seps) + "end."
        if rnd.random() < 0.5:
            at = rnd.randrange(len(value))
            value = value[:at] + rnd.choice(flaws + words[3:]) + value[at:]
        assert clean_text(value, paragraphs=True) == _reference_paragraphs(value), repr(value)


def _element(html: str) -> etree._Element:
    root = etree.fromstring(f"<html><body>{html}</body></html>", etree.HTMLParser())
    return root.xpath("//body/*")[0]


@pytest.mark.parametrize(
    "html, text",
    [
        ("<div><ul><li>One</li><li>Two</li></ul></div>", "One Two"),
        ("<p>Amnesty<em>’s</em> report</p>", "Amnesty’s report"),
        ("<div>a<br>b<script>var x = 1;</script></div>", "a b"),
        ("<div>a<!-- note -->b</div>", "ab"),
        ("<div><style>p {}</style><p>x</p><template>t</template></div>", "x"),
    ],
)
def test_element_text(html, text):
    assert " ".join(element_text(_element(html)).split()) == text


@pytest.mark.parametrize(
    "markup, text",
    [
        ("plain words", "plain words"),
        ("<p>One</p><p>Two</p>", "One Two"),
        ("Fish &amp; chips", "Fish & chips"),
        ("a<script>alert(1)</script>b", "ab"),
    ],
)
def test_html_text(markup, text):
    assert squash(html_text(markup)) == text


def _recursive_text(el: etree._Element) -> str:
    """element_text as it was written first, recursively: the reference for the stack walk."""
    parts: list[str] = []

    def walk(node) -> None:
        if node.tag in ("script", "style", "template") or not isinstance(node.tag, str):
            return
        block = node.tag in BLOCK_TAGS
        if block:
            parts.append(" ")
        if node.text:
            parts.append(node.text)
        for child in node:
            walk(child)
            if child.tail:
                parts.append(child.tail)
        if block:
            parts.append(" ")

    walk(el)
    return "".join(parts)


def test_element_text_walks_as_the_recursion_did():
    rnd = random.Random(7)
    tags = ["div", "p", "span", "b", "li", "script", "br", "em", "!--", "td"]
    for _ in range(2_000):
        html, open_tags = [], []
        for _ in range(rnd.randint(1, 25)):
            pick = rnd.random()
            if pick < 0.4:
                tag = rnd.choice(tags)
                if tag == "!--":
                    html.append("<!-- c -->")
                else:
                    html.append(f"<{tag}>")
                    open_tags.append(tag)
            elif pick < 0.6 and open_tags:
                html.append(f"</{open_tags.pop()}>")
            else:
                html.append(rnd.choice(["a", " b ", "c\n", "\xa0d"]))
        el = _element("<div>" + "".join(html) + "</div>")
        # (squashed: without blocks inside, element_text takes string(), without the outer spaces)
        assert squash(element_text(el)) == squash(_recursive_text(el)), html


def test_element_text_of_an_element_nested_past_python_s_recursion_limit():
    html = "<html><body><div>a" + "<div>" * 1800 + "deep" + "</div>" * 1800 + "b</div></body></html>"
    el = etree.fromstring(html, etree.HTMLParser(huge_tree=True)).find("body/div")
    assert squash(element_text(el)) == "a deep b"


@pytest.mark.parametrize(
    "markup, text",
    [
        ("<div>" * 1500 + "deep" + "</div>" * 1500 + "<p>tail</p>", "deep tail"),  # libxml2: 256
        ("<p>Caf\ud800 menu</p>", "Caf\ufffd menu"),  # a lone surrogate: lxml dropped the <p>
        ("<!-- only a comment -->", ""),
    ],
)
def test_html_text_of_awkward_fragments(markup, text):
    assert squash(html_text(markup)) == text


def test_html_text_nested_past_what_libxml2_reads_is_refused():
    with pytest.raises(MarkupTooDeep, match="2048 levels"):
        html_text("<b>" * 3000 + "x")
