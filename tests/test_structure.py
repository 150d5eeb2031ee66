"""Whether a listing page was read whole, and whether a page is built on the listing's template."""

from __future__ import annotations

import pytest

from pressbot.structure import ends_whole, read_whole, same_template

WHOLE = b"<html><body><p>x</p></body></html>\n"


@pytest.mark.parametrize(
    ("body", "fmt", "encoding", "ends"),
    [
        (WHOLE, "html", None, True),
        (WHOLE + b"<script>track()</script>\n", "html", None, True),  # a script after </html>
        (b"<html><body><p>x</p></body>", "html", None, True),  # </html> left out
        (b"<html><body><div><p>a half", "html", None, False),  # cut
        (b'<?xml version="1.0"?><!-- c --><rss><channel>&nbsp;&</channel></rss>', "xml", None, True),
        (b'<?xml version="1.0"?><feed xmlns="x"><entry>', "xml", None, False),
        ('{"items": ["café"]}'.encode("latin-1"), "json", "latin-1", True),  # in its own encoding
        (b'{"items": [1, 2', "json", None, False),
    ],
)
def test_ends_whole(body, fmt, encoding, ends):
    assert ends_whole(body, fmt, encoding) is ends


def test_a_page_is_cut_only_where_the_first_page_ended_whole():
    cut = b"<html><body><div><p>a half"
    assert read_whole(cut, first_ends=True) is False  # the site closes its pages: this one is cut
    assert read_whole(cut, first_ends=False) is True  # the site never does: no evidence
    assert read_whole(cut, first_ends=None) is True  # the first page itself: nothing to compare
    assert read_whole(WHOLE, first_ends=True) is True


def test_same_template():
    site = frozenset({"div#page", "header.site", "nav.menu", "footer.site", "div.view", "ul.pager"})
    first = site | {"article.teaser", "h2.title"}
    assert same_template(site | {"p.empty"}, first)
    assert not same_template(frozenset({"p.down", "div.notice", "h1.x", "span.y", "div.z"}), first)
    assert not same_template(site, None)
    assert same_template(frozenset({"p.x"}), first)  # too plain to tell: the next page confirms
