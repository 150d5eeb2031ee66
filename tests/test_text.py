"""Text helpers: squash agrees with str.split, paragraphs survive cleaning, elements' text."""

from __future__ import annotations

import pytest
from lxml import etree

from pressbot.text import clean_text, element_text, html_text, squash

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
