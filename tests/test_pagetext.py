"""A release page without selectors: its main text (trafilatura), its language and its
modification time; pure functions over saved bytes, and parse_detail as the crawl calls it."""

from __future__ import annotations

import dataclasses

import pytest

from pressbot.normalise import normalise
from pressbot.pagetext import declared_language, detect_language, language_tag, main_text, modified_time
from pressbot.parsing import _json_ld, page_from_bytes, parse_detail
from pressbot.profiles import available_sources, load_profile
from tests.conftest import FIXTURES

URL = "https://press.example.org/news/2024/bridge"
WP = load_profile(available_sources()["wp-news"], "https://fixtures.invalid")
#: wp-news without its body selector: the page's main text is the body.
NO_BODY = dataclasses.replace(WP, detail_fields={})

ENGLISH = (
    "The Harlow River Bridge on the Eastern Highway will be strengthened and widened under a $48 "
    "million upgrade announced today by the Minister for Transport. The 1962 bridge carries more "
    "than 21,000 vehicles a day, including around 3,400 heavy vehicles."
)
FRENCH = (
    "Le pont de la rivière Harlow sera renforcé et élargi grâce à un investissement de 48 millions "
    "de dollars annoncé aujourd'hui par la ministre des Transports. Construit en 1962, le pont voit "
    "passer chaque jour plus de 21 000 véhicules, dont quelque 3 400 poids lourds."
)


def root(html: str):
    return page_from_bytes(html.encode(), URL).root


@pytest.mark.parametrize(
    "value, tag",
    [
        ("en", "en"),
        ("EN", "en"),
        ("en_gb", "en-GB"),
        ("en-au", "en-AU"),
        (" fr-CA ", "fr-CA"),
        ("zh-hant-tw", "zh-Hant-TW"),
        ("es-419", "es-419"),
        ("fil", "fil"),
        ("und", None),  # undetermined: no language declared
        ("zxx", None),
        ("mul", None),
        ("", None),
        ("en, fr", None),  # a list names no one language; none is picked from it
        ("English", None),
        ("x-default", None),
        (None, None),
        (42, None),
    ],
)
def test_language_tags_are_read_as_bcp_47_or_not_at_all(value, tag):
    assert language_tag(value) == tag


@pytest.mark.parametrize(
    "head, header, language",
    [
        ('<html lang="en-GB"><head><meta http-equiv="Content-Language" content="fr">', "de", "en-GB"),
        ('<html><head><meta http-equiv="content-language" content="fr-CA">', "de", "fr-CA"),
        ('<html><head><meta name="language" content="nl">', None, "nl"),
        ('<html><head><meta property="og:locale" content="pt_BR">', "de-AT", "de-AT"),  # header first
        ('<html><head><meta property="og:locale" content="pt_BR">', None, "pt-BR"),
        ('<html lang=""><head><meta property="og:locale" content="es_ES">', None, "es-ES"),
        ('<html lang="und"><head>', "it", "it"),  # declares none: the next declaration answers
        ('<html xml:lang="sv"><head>', None, "sv"),
        ("<html><head>", "en, fr", None),  # two languages: neither is written
        ("<html><head>", None, None),
    ],
)
def test_the_declared_language_in_its_order(head, header, language):
    assert declared_language(root(head + "</head><body><p>x</p></body></html>"), header) == language


def test_a_language_is_detected_only_where_the_detector_is_sure():
    assert detect_language(ENGLISH) == "en"
    assert detect_language(FRENCH) == "fr"
    assert detect_language(ENGLISH[:150]) is None  # too little text to tell
    assert detect_language(None) is None and detect_language("") is None
    # Long enough, but names and numbers, or two languages at once: unsure, so null.
    assert detect_language("Helen Achterberg, Daniel Reyes, Margaret Okafor, Thomas Whitfield, " * 4) is None
    assert detect_language("0400 555 182 " * 20) is None
    mixed = (
        "The minister said que le gouvernement va investir dans les routes and the bridges of the "
        "province, der Minister sagte auch dass die Brücken "
    ) * 2
    assert detect_language(mixed) is None


@pytest.mark.parametrize(
    "head, expected",
    [
        (
            '<meta property="article:modified_time" content="2024-03-07T16:45:00+10:00">',
            "2024-03-07T16:45:00+10:00",
        ),
        ('<meta property="og:updated_time" content="2024-03-07T06:45:00Z">', "2024-03-07T06:45:00Z"),
        ('<meta itemprop="dateModified" content="2024-03-07T16:45:00-05:00">', "2024-03-07T16:45:00-05:00"),
        ('<meta name="dcterms.modified" content="2024-03-07T16:45:00+01:00">', "2024-03-07T16:45:00+01:00"),
        (
            '<script type="application/ld+json">{"@type": "NewsArticle", "headline": "h", '
            '"dateModified": "2024-03-08T09:00:00+02:00"}</script>',
            "2024-03-08T09:00:00+02:00",
        ),
        (
            '<script type="application/ld+json">{"@graph": [{"@type": "WebPage"}, {"@type": '
            '"Article", "headline": "h", "dateModified": "2024-03-08T09:00:00+02:00"}]}</script>',
            "2024-03-08T09:00:00+02:00",
        ),
        # A modification day with no time of day is no modification time: none is invented.
        ('<meta property="article:modified_time" content="2024-03-07">', None),
        ('<meta property="article:modified_time" content="last Tuesday">', None),
        # The page's metadata in its order: the meta tag before JSON-LD.
        (
            '<meta property="article:modified_time" content="2024-03-07T16:45:00+10:00">'
            '<script type="application/ld+json">{"headline": "h", "dateModified": '
            '"2024-03-09T09:00:00Z"}</script>',
            "2024-03-07T16:45:00+10:00",
        ),
        ("", None),
    ],
)
def test_the_modification_time_keeps_its_offset(head, expected):
    page = root(f"<html><head>{head}</head><body><p>x</p></body></html>")
    assert modified_time(page, _json_ld(page)) == expected


def test_a_modified_at_selector_comes_before_the_page_s_metadata():
    page = root('<html><head><meta property="article:modified_time" content="2024-03-07T16:45:00Z">')
    assert modified_time(page, {}, "2024-03-09T10:00:00+01:00") == "2024-03-09T10:00:00+01:00"
    assert modified_time(page, {}, "not a time") == "2024-03-07T16:45:00Z"


# --- the main text -----------------------------------------------------------------------------
PAGE = """<!DOCTYPE html><html lang="en-AU"><head><title>Harlow River Bridge upgrade</title></head>
<body><header><nav><ul><li><a href="/">Home</a></li><li><a href="/roads">Roads and traffic</a></li>
<li><a href="/media">Media releases</a></li></ul></nav></header>
<main><article><h1>Harlow River Bridge upgrade</h1>
{teaser}{article}
</article><aside class="related"><h2>Related releases</h2><ul>
<li><a href="/a">Road toll: February 2024 figures</a></li>
<li><a href="/b">Weekend closures on the Coastal Motorway</a></li></ul></aside></main>
<footer><p>© Province of Eastmoor 2024. Copyright · Privacy · Accessibility</p></footer></body></html>"""
TEASER = "A second northbound lane and a shared path for the 1962 bridge on the Eastern Highway."
ARTICLE = """<div class="body">
<p>The Harlow River Bridge on the Eastern Highway will be strengthened and widened under a
$48 million upgrade announced today by the Minister for Transport, Margaret Okafor.</p>
<p>The 1962 bridge carries more than 21,000 vehicles a day, including around 3,400 heavy vehicles
travelling between the Port of Calder and the inland freight terminal at Millbank.</p>
<h2>Construction</h2>
<p>Early works will begin in May 2024. Major construction is expected to start in early 2025 and
finish in late 2026, weather permitting.<br>Night closures will be announced seven days ahead.</p>
<ul><li>A second northbound lane</li><li>A separated path for people walking and cycling</li></ul>
</div>"""


def test_the_main_text_keeps_its_paragraphs_and_leaves_the_page_s_furniture_out():
    body = main_text(root(PAGE.format(teaser="", article=ARTICLE)), URL)
    assert body is not None
    assert body.split("\n\n") == [
        "The Harlow River Bridge on the Eastern Highway will be strengthened and widened under a "
        "$48 million upgrade announced today by the Minister for Transport, Margaret Okafor.",
        "The 1962 bridge carries more than 21,000 vehicles a day, including around 3,400 heavy "
        "vehicles travelling between the Port of Calder and the inland freight terminal at Millbank.",
        "Construction",
        "Early works will begin in May 2024. Major construction is expected to start in early 2025 "
        "and finish in late 2026, weather permitting. Night closures will be announced seven days ahead.",
        "A second northbound lane",
        "A separated path for people walking and cycling",
    ]


@pytest.mark.parametrize(
    "teaser_html, listing_teaser",
    [
        # The page shows the listing's teaser and nothing else (its text is loaded by script).
        (f'<p class="lede">{TEASER}</p><div id="app" data-src="/api/body"></div>', TEASER),
        # ...or a part of it, or it cut short on the listing with an ellipsis.
        (f'<p class="lede">{TEASER}</p>', TEASER + " Construction starts in 2025."),
        (f'<p class="lede">{TEASER}</p>', "A second northbound lane and a shared…"),
        # ...in another case, with other punctuation.
        (f'<p class="lede">{TEASER.upper()}</p>', TEASER.replace(",", "")),
    ],
)
def test_the_listing_s_teaser_is_never_taken_for_the_body(teaser_html, listing_teaser):
    page = root(PAGE.format(teaser=teaser_html, article=""))
    assert main_text(page, URL, teaser=listing_teaser) is None
    # The same page through parse_detail, as the spider calls it with the entry's teaser.
    html = PAGE.format(teaser=teaser_html, article="")
    found = parse_detail(page_from_bytes(html.encode(), URL), URL, NO_BODY, teaser=listing_teaser)
    assert found["body"] is None
    # Without the teaser to compare, the extractor does return it: the test can fail.
    assert main_text(page, URL) is not None


def test_a_page_that_says_more_than_the_teaser_has_its_text_as_the_body():
    page = root(PAGE.format(teaser=f'<p class="lede">{TEASER}</p>', article=ARTICLE))
    for teaser in (TEASER, "A second northbound lane and a shared…"):
        body = main_text(page, URL, teaser=teaser)
        assert body is not None and body.startswith(TEASER + "\n\nThe Harlow River Bridge")
    # A teaser not cut short is no prefix: a page's one paragraph that goes on past it is text.
    lede = root(PAGE.format(teaser=f'<p class="lede">{TEASER} It opens in 2026.</p>', article=""))
    assert main_text(lede, URL, teaser=TEASER) == f"{TEASER} It opens in 2026."


def test_a_page_not_read_whole_has_no_main_text():
    # Nested past the 2048 levels libxml2 reads: what was read is no release's whole text.
    # Its first paragraphs were read; the rest, past the cut, was not.
    paragraphs = f"<p>{ENGLISH}</p>".encode() * 3
    deep = b"<html><body><article>" + paragraphs + b"<div>" * 3000 + paragraphs + b"</div>" * 3000
    problems: list = []
    found = parse_detail(page_from_bytes(deep + b"</article></body></html>", URL), URL, NO_BODY, problems)
    assert found["body"] is None
    assert [p.kind for p in problems] == ["too_deep"]
    shallow = b"<html><body><article>" + b"<div>" * 30 + f"<p>{ENGLISH}</p>".encode() * 3 + b"</div>" * 30
    assert parse_detail(page_from_bytes(shallow + b"</article></body></html>", URL), URL, NO_BODY)["body"]


def test_a_page_with_no_main_text_has_no_body():
    assert main_text(root("<html><body><nav><a href='/'>Home</a></nav></body></html>"), URL) is None
    assert main_text(root("<html/>"), URL) is None


# --- parse_detail: the crawl's view ------------------------------------------------------------
def test_without_a_body_selector_the_body_is_the_page_s_main_text():
    html = PAGE.format(teaser="", article=ARTICLE).encode()
    found = parse_detail(page_from_bytes(html, URL), URL, NO_BODY)
    assert found["body"] == main_text(root(html.decode()), URL)
    assert found["language"] == "en-AU"
    # With a selector the profile decides, even where it matches nothing.
    with_selector = dataclasses.replace(NO_BODY, detail_fields={"body": WP.detail_fields["body"]})
    assert parse_detail(page_from_bytes(html, URL), URL, with_selector)["body"] is None


def test_a_shipped_release_page_without_its_selector_gives_the_same_paragraphs():
    path = FIXTURES / "wp-news" / "2023" / "05" / "04" / "river-quality-report-2022" / "index.html"
    page = page_from_bytes(path.read_bytes(), URL)
    assert parse_detail(page, URL, NO_BODY)["body"] == parse_detail(page, URL, WP)["body"]


def test_the_language_comes_from_the_page_then_the_header_then_the_text():
    body = f"<p>{ENGLISH}</p><p>{ENGLISH}</p>"
    declared = f'<html lang="en-NZ"><body><article>{body}</article></body></html>'.encode()
    assert (
        parse_detail(page_from_bytes(declared, URL), URL, NO_BODY, content_language="fr")["language"]
        == "en-NZ"
    )
    bare = f"<html><body><article>{body}</article></body></html>".encode()
    assert parse_detail(page_from_bytes(bare, URL), URL, NO_BODY, content_language="fr")["language"] == "fr"
    assert parse_detail(page_from_bytes(bare, URL), URL, NO_BODY)["language"] == "en"  # detected
    french = f"<html><body><article><p>{FRENCH}</p><p>{FRENCH}</p></article></body></html>".encode()
    assert parse_detail(page_from_bytes(french, URL), URL, NO_BODY)["language"] == "fr"
    short = b"<html><body><article><p>Budget statement.</p></article></body></html>"
    assert parse_detail(page_from_bytes(short, URL), URL, NO_BODY)["language"] is None  # never guessed


def test_modified_at_and_language_through_normalisation():
    # The same rules as published_at: the offset kept; UTC put in the publisher's zone; a time
    # with no offset written only where the profile gives the zone.
    tz = dataclasses.replace(WP, date_timezone="Europe/London")
    entry = {"url": URL, "title": "T", "published_raw": "May 4, 2023"}
    assert normalise({**entry, "modified_at": "2023-05-04T09:41:12+02:00"}, WP)["modified_at"] == (
        "2023-05-04T09:41:12+02:00"
    )
    assert normalise({**entry, "modified_at": "2023-05-04T09:41:12Z"}, tz)["modified_at"] == (
        "2023-05-04T10:41:12+01:00"
    )
    assert normalise({**entry, "modified_at": "2023-05-04T09:41:12"}, WP)["modified_at"] is None
    assert normalise({**entry, "modified_at": "2023-05-04T09:41:12"}, tz)["modified_at"] == (
        "2023-05-04T09:41:12+01:00"
    )
    assert normalise({**entry, "language": "en_gb"}, WP)["language"] == "en-GB"
    assert normalise({**entry, "language": "English"}, WP)["language"] is None
    # A modification is no publication: it never dates the release.
    undated = dataclasses.replace(WP, date_optional=True)
    out = normalise({"url": URL, "title": "T", "modified_at": "2023-05-04T09:41:12Z"}, undated)
    assert (out["published"], out["date_problem"]) == (None, "no date on the listing")
