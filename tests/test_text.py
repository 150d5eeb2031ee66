"""Text helpers: squash agrees with str.split, paragraphs and lines survive cleaning, elements'
text (however deep) with and without its layout, excluded elements, HTML held as text."""

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
        (" A  list\n item \n\n \n\n end\n", True, "A list\nitem\n\nend"),  # lines, paragraphs
        ("a\n \t\nb", True, "a\n\nb"),  # a line of spaces is a blank line
        ("One.\r\n\r\nTwo.\r\n", True, "One.\n\nTwo."),  # Windows line ends still break paragraphs
        ("\n\n\n\n", True, None),
        (_LONG, True, _LONG.strip()),
    ],
)
def test_clean_text(value, paragraphs, cleaned):
    assert clean_text(value, paragraphs=paragraphs) == cleaned


def _reference_paragraphs(value: str) -> str | None:
    """clean_text(paragraphs=True) as it is defined: each line squashed, empty lines left out,
    paragraphs (a blank line between them) one blank line apart."""
    paragraphs: list[list[str]] = [[]]
    for line in value.replace("\r\n", "\n").replace("\r", " ").split("\n"):
        if line.split():
            paragraphs[-1].append(" ".join(line.split()))
        elif paragraphs[-1]:
            paragraphs.append([])
    return "\n\n".join("\n".join(p) for p in paragraphs if p) or None


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
    assert element_text(_element(html)) == text


@pytest.mark.parametrize(
    "html, text",
    [
        # README's sample subtitle: a list of three points, one a line (0.1 ran them together).
        ("<div><ul><li>One</li><li>Two</li><li>Three</li></ul></div>", "One\nTwo\nThree"),
        ("<div><p>One</p><p>Two</p></div>", "One\n\nTwo"),
        ("<div><p>Intro</p><ul><li>a</li><li>b</li></ul><p>End</p></div>", "Intro\n\na\nb\n\nEnd"),
        ("<p>Line one<br>line two</p>", "Line one\nline two"),
        ("<div><h3>Head</h3>text</div>", "Head\n\ntext"),
        ("<table><tr><td>a</td><td>b</td></tr><tr><td>c</td></tr></table>", "a b\nc"),
        # Inline elements never split a word (html-text's own walk would give "JBS ’s", "H 2 O").
        ("<div><p><b>JBS</b>’s H<sub>2</sub>O</p><p>x</p></div>", "JBS’s H2O\n\nx"),
        # Whitespace in the markup is a space, never a line.
        ("<div><p>One\n   long\n line</p>\n\n\n<p>Two</p></div>", "One long line\n\nTwo"),
        ("<div>a<!-- c\n\n -->b<script>x\n\ny</script><ul><li>c</li></ul></div>", "ab\n\nc"),
        ("<div><ul><li> </li><li>\xa0</li><li>x</li></ul></div>", "x"),  # empty items: no lines
    ],
)
def test_element_text_with_its_layout(html, text):
    assert element_text(_element(html), layout=True) == text
    assert element_text(_element(html)) == squash(text)  # without: the same words, one line


_SR_ONLY = etree.XPath("descendant-or-self::*[contains(concat(' ', @class, ' '), ' sr-only ')]")


@pytest.mark.parametrize(
    "html, text",
    [
        ('<a href="x">Budget<span class="sr-only"> (opens in a new window)</span></a>', "Budget"),
        (
            '<a><span class="sr-only">Read:</span> Budget <i class="sr-only">x</i>statement</a>',
            "Budget statement",
        ),
        ('<h3><a>Budget</a><span class="sr-only"><b>nested</b> note</span>, 2024</h3>', "Budget, 2024"),
        ('<span class="sr-only">only the note</span>', ""),  # the match itself
        ('<div><ul><li>a<span class="sr-only">x</span></li><li>b</li></ul></div>', "a\nb"),
    ],
)
def test_element_text_leaves_out_what_exclude_selects(html, text):
    el = _element(html)
    before = etree.tostring(el)
    assert element_text(el, (_SR_ONLY,), layout=True) == text
    assert etree.tostring(el) == before  # the page itself is left as it was
    assert "sr-only" not in text and (element_text(el) != text or not html.count("sr-only"))


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
    assert html_text(markup) == text


def test_html_text_keeps_the_fragment_s_layout_and_leaves_out_what_exclude_selects():
    markup = '<p>One <span class="sr-only">(note)</span>line</p><ul><li>a</li><li>b</li></ul>'
    assert html_text(markup, layout=True) == "One (note)line\n\na\nb"
    assert html_text(markup, (_SR_ONLY,), layout=True) == "One line\n\na\nb"
    assert html_text("plain\n\n  words", layout=True) == "plain words"  # not markup: no layout


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
        assert element_text(el) == squash(_recursive_text(el)), html
        # With its layout, the words are the same: 0.1's text and hash (see test_text_upgrade).
        assert squash(element_text(el, layout=True)) == squash(_recursive_text(el)), html


def test_element_text_of_an_element_nested_past_python_s_recursion_limit():
    html = "<html><body><div>a" + "<div>" * 1800 + "deep" + "</div>" * 1800 + "b</div></body></html>"
    el = etree.fromstring(html, etree.HTMLParser(huge_tree=True)).find("body/div")
    assert element_text(el) == "a deep b"
    assert element_text(el, layout=True) == "a\ndeep\nb"


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
