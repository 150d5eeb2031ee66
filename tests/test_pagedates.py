"""The release-page date chain (pressbot.pagedates) on page snippets, one per kind of signal.

Each snippet is a page a person wrote with its publication day known; in-process, no crawl.
"""

from __future__ import annotations

import datetime as dt

import pytest

from pressbot import pagedates
from pressbot.pagedates import PAGE_METADATA, PAGE_TEXT, page_date, read_value

TODAY = dt.date(2026, 11, 30)


def page(head: str = "", body: str = "", lang: str | None = None) -> bytes:
    html = f'<html lang="{lang}">' if lang else "<html>"
    return f"<!DOCTYPE html>{html}<head><title>T</title>{head}</head><body>{body}</body></html>".encode()


def ld(obj: str) -> str:
    return f'<script type="application/ld+json">{obj}</script>'


HYDRANGEAS = (
    '{"@type": "Article", "datePublished": "2016-08-29T21:54:39Z", "dateModified": "2020-10-01T13:23:47Z"}'
)

#: (id, page, url, day, source): every kind of signal, and the traps around them.
SNIPPETS = [
    # --- meta names and properties ---
    (
        "og article:published_time",
        page('<meta property="article:published_time" content="2020-07-15T10:00:00+02:00">'),
        None,
        "2020-07-15",
        PAGE_METADATA,
    ),
    (
        "og:published_time",
        page('<meta property="og:published_time" content="2021-03-02T08:00:00Z">'),
        None,
        "2021-03-02",
        PAGE_METADATA,
    ),
    (
        "name=date, date only",
        page('<meta name="date" content="2018-06-21">'),
        None,
        "2018-06-21",
        PAGE_METADATA,
    ),
    (
        "name=pubdate",
        page('<meta name="pubdate" content="2019-11-05T12:00:00-08:00">'),
        None,
        "2019-11-05",
        PAGE_METADATA,
    ),
    (
        "name=publishdate",
        page('<meta name="publishdate" content="2019-11-06">'),
        None,
        "2019-11-06",
        PAGE_METADATA,
    ),
    (
        "DC.date.issued",
        page('<meta name="DC.date.issued" content="2017-01-09">'),
        None,
        "2017-01-09",
        PAGE_METADATA,
    ),
    (
        "dcterms.created",
        page('<meta name="dcterms.created" content="2016-05-04">'),
        None,
        "2016-05-04",
        PAGE_METADATA,
    ),
    (
        "sailthru.date",
        page('<meta name="sailthru.date" content="2015-10-21 14:05:00">'),
        None,
        "2015-10-21",
        PAGE_METADATA,
    ),
    (
        "parsely-pub-date",
        page('<meta name="parsely-pub-date" content="2014-02-28T19:30:00-05:00">'),
        None,
        "2014-02-28",
        PAGE_METADATA,
    ),
    (
        "citation_publication_date",
        page('<meta name="citation_publication_date" content="2013/08/12">'),
        None,
        "2013-08-12",
        PAGE_METADATA,
    ),
    (
        "compact 20200715",
        page('<meta name="publish-date" content="20200715">'),
        None,
        "2020-07-15",
        PAGE_METADATA,
    ),
    (
        "http-equiv date",
        page('<meta http-equiv="date" content="Wed, 15 Jul 2020 10:00:00 +0200">'),
        None,
        "2020-07-15",
        PAGE_METADATA,
    ),
    # --- itemprop and RDFa on any element ---
    (
        "itemprop content",
        page(body='<span itemprop="datePublished" content="2022-01-24">24 Jan</span>'),
        None,
        "2022-01-24",
        PAGE_METADATA,
    ),
    (
        "itemprop datetime",
        page(body='<time itemprop="datePublished" datetime="2022-01-25T09:00:00+01:00">25.1.</time>'),
        None,
        "2022-01-25",
        PAGE_METADATA,
    ),
    (
        "itemprop text",
        page(body='<span itemprop="datePublished">January 26, 2022</span>'),
        None,
        "2022-01-26",
        PAGE_METADATA,
    ),
    (
        "itemprop meta",
        page(body='<div itemscope><meta itemprop="datePublished" content="2022-01-27"></div>'),
        None,
        "2022-01-27",
        PAGE_METADATA,
    ),
    (
        "RDFa dc:date",
        page(body='<span property="dc:date dc:created" content="2020-07-14T10:00:00-04:00"></span>'),
        None,
        "2020-07-14",
        PAGE_METADATA,
    ),
    (
        "RDFa schema:",
        page(body='<span property="schema:dateCreated" content="2022-01-28T12:45:46+01:00"></span>'),
        None,
        "2022-01-28",
        PAGE_METADATA,
    ),
    # --- JSON-LD ---
    (
        "JSON-LD NewsArticle",
        page(ld('{"@type": "NewsArticle", "datePublished": "2023-11-08T17:49:09-08:00"}')),
        None,
        "2023-11-08",
        PAGE_METADATA,
    ),
    (
        "JSON-LD @graph",
        page(
            ld(
                '{"@graph": [{"@type": "WebSite", "name": "x"}, {"@type": "BlogPosting", '
                '"datePublished": "2019-04-01T09:00:00+00:00"}]}'
            )
        ),
        None,
        "2019-04-01",
        PAGE_METADATA,
    ),
    (
        "JSON-LD array",
        page(ld('[{"@type": "Organization"}, {"@type": "Article", "datePublished": "2019-04-02"}]')),
        None,
        "2019-04-02",
        PAGE_METADATA,
    ),
    (
        "JSON-LD nested",
        page(ld('{"@type": "WebPage", "mainEntity": {"@type": "Report", "datePublished": "2019-04-03"}}')),
        None,
        "2019-04-03",
        PAGE_METADATA,
    ),
    (
        "JSON-LD broken",
        page(ld('{"@type": "NewsArticle", "datePublished": "2019-04-04T10:00:00+02:00",}')),
        None,
        "2019-04-04",
        PAGE_METADATA,
    ),
    (
        "JSON-LD article over WebPage",
        page(
            ld(
                '{"@graph": [{"@type": "WebPage", "datePublished": "2019-01-01"}, {"@type": "NewsArticle", '
                '"datePublished": "2019-04-05"}]}'
            )
        ),
        None,
        "2019-04-05",
        PAGE_METADATA,
    ),
    (
        "the page's JSON data",
        page(
            body='<script type="application/json" data-initial-state="review-dates">'
            '{"publishedDate":"2016-11-04T20:37:27+01:00","updatedDate":"2016-11-05T20:39:47+01:00"}</script>'
        ),
        None,
        "2016-11-04",
        PAGE_METADATA,
    ),
    (
        "the page's JSON data with several days is a list",
        page(
            body='<script type="application/json">{"items": [{"publishedAt": "2016-11-04"}, '
            '{"publishedAt": "2016-11-02"}]}</script>'
        ),
        None,
        None,
        None,
    ),
    (
        "the page's JSON data is the weakest signal",
        page(
            '<meta name="date" content="2020-12-29">',
            '<script type="application/json">{"publishDate": "2019-02-12"}</script>',
        ),
        None,
        "2020-12-29",
        PAGE_METADATA,
    ),
    # --- offsets: the publisher's day, never UTC's ---
    (
        "late evening west of UTC",
        page('<meta property="article:published_time" content="2020-07-15T23:30:00-05:00">'),
        None,
        "2020-07-15",
        PAGE_METADATA,
    ),
    (
        "just after midnight east of UTC",
        page('<meta property="article:published_time" content="2020-07-16T00:10:00+09:00">'),
        None,
        "2020-07-16",
        PAGE_METADATA,
    ),
    (
        "UTC, and the same moment in the publisher's offset",
        page(
            '<meta property="article:published_time" content="2023-11-09T01:49:09Z">'
            + ld('{"@type": "WebPage", "datePublished": "2023-11-08T17:49:09-08:00"}')
        ),
        None,
        "2023-11-08",
        PAGE_METADATA,
    ),
    (
        "UTC, and the publisher's clock with no offset",
        page(
            ld('{"@type": "NewsArticle", "datePublished": "2023-11-09T01:09:55Z"}')
            + ld('{"@type": "AnalysisNewsArticle", "datePublished": "2023-11-08 18:09:55"}')
        ),
        None,
        "2023-11-08",
        PAGE_METADATA,
    ),
    (
        "UTC, and the URL's day",
        page('<meta property="article:published_time" content="2020-02-25T02:25:54+00:00">'),
        "https://news.example/2020/02/24/story/",
        "2020-02-24",
        PAGE_METADATA,
    ),
    (
        "UTC mid-morning: the URL's day before is no local day",
        page(ld('{"@type": "NewsArticle", "datePublished": "2020-07-09T10:04:04Z"}')),
        "https://news.example/2020/07/08/story/",
        "2020-07-09",
        PAGE_METADATA,
    ),
    (
        "UTC, and the offset the page writes its other times in",
        page(
            '<meta property="article:published_time" content="2020-05-02T02:54:29Z">',
            '<script>var schedule = [{"date": "Fri, 01 May 2020 23:00:00 -0400"}, '
            '{"date": "Sat, 02 May 2020 06:00:00 -0400"}];</script>'
            "<p>Open 11:00-11:30 and 11:00-12:00.</p>",  # spans of the day, no offsets
        ),
        "https://news.example.com/traffic/story/6144149/",
        "2020-05-01",
        PAGE_METADATA,
    ),
    (
        "UTC, the page's offset, and the page shows the UTC day",
        page(
            '<meta property="article:published_time" content="2023-11-09T04:31:00Z">',
            "<h1>Salon</h1><p>Thursday, November 9, 2023 4:41AM</p>"
            '<script>var s = ["2023-11-09T04:30:07-06:00", "2023-11-09T05:00:00-06:00"];</script>',
        ),
        "https://news.example.com/story/14030671/",
        "2023-11-09",
        PAGE_METADATA,
    ),
    (
        "UTC after midnight, a publisher in Canada (its domain): the evening before there",
        page('<meta property="article:published_time" content="2020-08-25T00:23:33Z">'),
        "https://news.example.ca/nouvelle/1728875/transport",
        "2020-08-24",
        PAGE_METADATA,
    ),
    (
        "UTC after midnight, a publisher in Brazil (its language's region): the evening before",
        page(ld('{"@type": "NewsArticle", "datePublished": "2020-05-02T01:54:29.000Z"}'), lang="pt-BR"),
        "https://news.example.com/story",
        "2020-05-01",
        PAGE_METADATA,
    ),
    (
        "UTC at a moment the publisher's country was on two days: the UTC day",
        # 02:54 UTC: 23:54 the day before in São Paulo, 00:54 on Fernando de Noronha (UTC-2).
        page(ld('{"@type": "NewsArticle", "datePublished": "2020-05-02T02:54:29.000Z"}'), lang="pt-BR"),
        "https://news.example.com/story",
        "2020-05-02",
        PAGE_METADATA,
    ),
    (
        "UTC late evening, a publisher in Australia: the next morning there",
        page('<meta property="article:published_time" content="2020-04-24T21:25:06+00:00">'),
        "https://www.news.example.com.au/national/story",
        "2020-04-25",
        PAGE_METADATA,
    ),
    (
        "UTC late evening, a publisher in Germany in summer (UTC+2): the next day there",
        page('<meta property="article:published_time" content="2020-08-24T22:30:00Z">'),
        "https://news.example.de/artikel/1",
        "2020-08-25",
        PAGE_METADATA,
    ),
    (
        "UTC late evening, a publisher in Germany in winter (UTC+1): the same day there",
        page('<meta property="article:published_time" content="2020-01-24T22:30:00Z">'),
        "https://news.example.de/artikel/1",
        "2020-01-24",
        PAGE_METADATA,
    ),
    (
        "UTC after midnight, a publisher in Europe: the UTC day",
        page('<meta property="article:published_time" content="2020-08-25T00:23:33Z">', lang="de"),
        "https://news.example.de/artikel/1",
        "2020-08-25",
        PAGE_METADATA,
    ),
    (
        "UTC late evening in Switzerland, but the page shows the UTC day: it stands",
        page(
            '<meta property="article:published_time" content="2019-12-26T23:07:45+00:00">',
            "<h1>Protokoll der Vorstandssitzung</h1><p>26/12/2019 von Webteam</p>",
            lang="de-DE",
        ),
        "https://www.verein.example.ch/?p=5031",
        "2019-12-26",
        PAGE_METADATA,
    ),
    (
        "a country-code domain in use as a generic one says nothing of the place",
        page('<meta property="article:published_time" content="2020-08-24T22:30:00Z">'),
        "https://startup.example.io/blog/launch",
        "2020-08-24",
        PAGE_METADATA,
    ),
    (
        "UTC after midnight, en-US (a publishing system's default) says nothing of the place",
        page('<meta property="article:published_time" content="2020-08-25T00:23:33Z">', lang="en-US"),
        "https://news.example.com/story",
        "2020-08-25",
        PAGE_METADATA,
    ),
    (
        "midnight UTC exactly is a day written as a moment",
        page('<meta property="article:published_time" content="2019-06-17T00:00:00+00:00">'),
        "https://news.example.ca/story",
        "2019-06-17",
        PAGE_METADATA,
    ),
    # --- published over modified ---
    (
        "modified first, published second",
        page(
            '<meta property="article:modified_time" content="2024-03-02T08:15:00+01:00">'
            '<meta property="article:published_time" content="2024-02-27T09:00:00+01:00">'
        ),
        None,
        "2024-02-27",
        PAGE_METADATA,
    ),
    (
        "JSON-LD dateModified is no publication",
        page(ld('{"@type": "NewsArticle", "dateModified": "2024-03-06", "datePublished": "2024-03-04"}')),
        None,
        "2024-03-04",
        PAGE_METADATA,
    ),
    (
        "only modified: no publication",
        page('<meta property="article:modified_time" content="2024-03-02T08:15:00+01:00">'),
        None,
        None,
        None,
    ),
    (
        "1 January with no time, not shown: a year stored as a date",
        page(
            '<meta itemprop="dateCreated" content="01/01/2004">'
            '<meta itemprop="dateModified" content="06/13/2019">',
            "<h1>Pineapple cake</h1><p>By the kitchens</p>",
        ),
        None,
        None,
        None,
    ),
    (
        "1 January with no time, shown: the day",
        page('<meta name="date" content="2016-01-01">', "<h1>New Year</h1><p>1 January 2016</p>"),
        None,
        "2016-01-01",
        PAGE_METADATA,
    ),
    (
        "1 January with a time is a moment, not a year",
        page('<meta property="article:published_time" content="2016-01-01T18:23:32+02:00">'),
        None,
        "2016-01-01",
        PAGE_METADATA,
    ),
    # --- the markup's day against what the page shows its readers ---
    (
        "markup's publication the page never shows, a later modification, only an update shown: no day",
        page(
            ld(HYDRANGEAS),
            "<h1>How to care for hydrangeas</h1><p>By Sarah Yang Updated May 06, 2019</p>",
        ),
        None,
        None,
        None,
    ),
    (
        "markup's publication the page never shows, the markup's own modification shown: the publication",
        page(
            ld(HYDRANGEAS),
            "<h1>How to care for hydrangeas</h1><p>By Sarah Yang Updated October 1, 2020</p>",
        ),
        None,
        "2016-08-29",
        PAGE_METADATA,
    ),
    (
        "markup's publication the page never shows, an update shown, no later modification: the markup's",
        page(
            ld('{"@type": "Article", "datePublished": "2016-08-29T21:54:39Z"}'),
            "<h1>How to care for hydrangeas</h1><p>By Sarah Yang Updated May 06, 2019</p>",
        ),
        None,
        "2016-08-29",
        PAGE_METADATA,
    ),
    (
        "markup's publication and a later update, both shown: the publication",
        page(
            ld(HYDRANGEAS),
            "<h1>How to care for hydrangeas</h1><p>Published August 29, 2016. Updated May 06, 2019</p>",
        ),
        None,
        "2016-08-29",
        PAGE_METADATA,
    ),
    (
        "markup's publication never shown, a later update shown, the URL's day agrees: the publication",
        page(
            ld(HYDRANGEAS),
            "<h1>How to care for hydrangeas</h1><p>By Sarah Yang Updated May 06, 2019</p>",
        ),
        "https://news.example/2016/08/29/hydrangeas",
        "2016-08-29",
        PAGE_METADATA,
    ),
    (
        "signals far apart, the page shows neither: no day",
        page(
            '<meta name="date" content="2023-01-01T14:11:58+01:00">'
            + ld('{"@type": "NewsArticle", "datePublished": "2020-01-10T16:50:00+00:00"}'),
            "<h1>Robo-Advisor</h1><p>Kluge Sparer legen ihr Geld an.</p>",
        ),
        None,
        None,
        None,
    ),
    (
        "signals far apart, the page shows one: that one",
        page(
            '<meta name="date" content="2023-01-01T14:11:58+01:00">'
            + ld('{"@type": "NewsArticle", "datePublished": "2020-01-10T16:50:00+00:00"}'),
            "<h1>Robo-Advisor</h1><p>1. Januar 2023</p>",
            lang="de",
        ),
        None,
        "2023-01-01",
        PAGE_METADATA,
    ),
    (
        "signals a day apart (an offset explains it), the page shows neither: the strongest",
        page(
            '<meta name="date" content="2020-01-11">'
            + ld('{"@type": "NewsArticle", "datePublished": "2020-01-10T16:50:00+01:00"}'),
            "<h1>Robo-Advisor</h1><p>Kluge Sparer legen ihr Geld an.</p>",
        ),
        None,
        "2020-01-10",
        PAGE_METADATA,
    ),
    (
        "a generic name=date the page never shows, another day by the headline: the headline's",
        page(
            '<meta name="date" content="2020-02-12">',
            "<p>05.02.2020 - Redaktion</p><h1>Faire Lieferketten</h1><p>Aktionen planen</p>",
            lang="de",
        ),
        None,
        "2020-02-05",
        PAGE_TEXT,
    ),
    (
        "the article's own property the page never shows, another day by the headline: the property",
        page(
            '<meta property="article:published_time" content="2020-02-12">',
            "<p>05.02.2020 - Redaktion</p><h1>Faire Lieferketten</h1><p>Aktionen planen</p>",
            lang="de",
        ),
        None,
        "2020-02-12",
        PAGE_METADATA,
    ),
    (
        "signals disagree: a machine timestamp in the text does not show its day to readers",
        page(
            '<meta name="date" content="2021-10-28T13:21:30+01:00">',
            '<h1>Klimakonferenz</h1><span itemprop="datePublished">2021-10-27T20:35:36+01:00</span>'
            "<p>Berlin, 28.10.2021, 058/21 Vor Beginn der Konferenz</p>",
            lang="de",
        ),
        None,
        "2021-10-28",
        PAGE_METADATA,
    ),
    # --- <time> inside the article, not anywhere ---
    (
        "first <time> in a sidebar",
        page(
            body=(
                '<aside class="sidebar"><time datetime="2024-03-04">4 March</time></aside><article>'
                '<h1>Awards</h1><time datetime="2024-02-20">20 February 2024</time><p>Text.</p></article>'
            ),
        ),
        None,
        "2024-02-20",
        PAGE_METADATA,
    ),
    (
        "first <time> in related posts",
        page(
            body=(
                '<main><div class="related-posts"><time datetime="2024-01-02">2 Jan</time></div>'
                '<p>By the press office <time datetime="2024-02-21">21 Feb</time></p></main>'
            ),
        ),
        None,
        "2024-02-21",
        PAGE_METADATA,
    ),
    (
        "<time pubdate>",
        page(body='<div><time pubdate datetime="2011-02-03">3 Feb</time></div>'),
        None,
        "2011-02-03",
        PAGE_METADATA,
    ),
    (
        "WordPress entry-date",
        page(
            body=(
                '<div><time class="entry-date published" datetime="2023-05-04T09:30:00+00:00">May 4, '
                '2023</time><time class="updated" datetime="2023-05-06T10:00:00+00:00">May 6</time></div>'
            ),
        ),
        None,
        "2023-05-04",
        PAGE_METADATA,
    ),
    (
        "hAtom abbr.published",
        page(body='<abbr class="published" title="2010-12-08T10:00:00+01:00">8 Dec</abbr>'),
        None,
        "2010-12-08",
        PAGE_METADATA,
    ),
    (
        "a <time> in a page's footer only",
        page(body='<footer><time datetime="2024-01-01">2024</time></footer>'),
        None,
        None,
        None,
    ),
    # --- the URL ---
    ("URL /2016/12/23/", page(), "https://blog.example/2016/12/23/python-360/", "2016-12-23", PAGE_METADATA),
    ("URL /20200428/", page(), "https://news.example/20200428/story", "2020-04-28", PAGE_METADATA),
    # --- the page's text: a guess, said so ---
    (
        "text under the headline",
        page(body="<h1>Annual report</h1><p>Published 5 February 2024 by the press office</p>"),
        None,
        "2024-02-05",
        PAGE_TEXT,
    ),
    (
        "text in German",
        page(body="<h1>Neue Brücke</h1><p>Veröffentlicht am 3. März 2023</p>"),
        None,
        "2023-03-03",
        PAGE_TEXT,
    ),
    (
        "text: an update by the headline is no publication",
        page(body="<h1>Docker builds</h1><p>Last updated 04 Jun 2020, originally created 17 Jun 2019</p>"),
        None,
        "2019-06-17",
        PAGE_TEXT,
    ),
    (
        "text: a date labelled as the publication over a nearer one",
        page(body="<h1>Spring fair</h1><p>The fair opens on 5 May 2020.</p><p>Posted on 1 May 2020</p>"),
        None,
        "2020-05-01",
        PAGE_TEXT,
    ),
    (
        "text: a date printed only as a modification is no publication",
        page(
            body="<h1>Salsa figures</h1>"
            + "<p>Filler text about the figures.</p>" * 100
            + '<div>page revision: 8, last edited: <span class="odate">17 Jun 2018 15:15</span></div>'
        ),
        None,
        None,
        None,
    ),
    (
        "text: a member's registration by the headline is no publication",
        page(
            body="<h1>Was ist Freie Software</h1><p>r23 Registriert: 18.09.2008, 05:56</p>"
            "<p>Beitrag von r23 » 21.01.2009, 05:42</p>",
            lang="de",
        ),
        None,
        "2009-01-21",
        PAGE_TEXT,
    ),
    (
        "text: no <h1>, the headline as the title gives it",
        page(
            '<meta property="og:title" content="Effiziente Hybridbatterie für Meerwasser | idw">',
            "<div>Teilen: 01.11.2023 11:35</div><h2>Effiziente Hybridbatterie für Meerwasser</h2>"
            "<p>Text.</p>",
            lang="de",
        ),
        None,
        "2023-11-01",
        PAGE_TEXT,
    ),
    (
        "text: of several <h1>, the headline is the one the title names",
        page(
            '<meta property="og:title" content="Grab courier flies to Singapore, Thailand">',
            "<h1>Bangkok</h1><p>Bangkok news of 30 October 2023</p>"
            + "<p>Filler.</p>" * 50
            + "<h1>Grab courier flies to Singapore</h1><p>By Björn, 31 October 2023</p>",
        ),
        None,
        "2023-10-31",
        PAGE_TEXT,
    ),
    (
        "text: a two-digit year by the headline, in the page's known order",
        page(body="<h1>Kein App Store mehr</h1><p>macbacchi 28.09.19 12:44</p><p>Hallo</p>", lang="de"),
        None,
        "2019-09-28",
        PAGE_TEXT,
    ),
    (
        "text: a two-digit year by the headline, the order unknown: no day",
        page(body="<h1>No App Store any more</h1><p>macbacchi 05/09/19 12:44</p><p>Hi</p>", lang="en"),
        None,
        None,
        None,
    ),
    (
        "text: a two-digit year by the headline, written with dots: day first",
        page(body="<h1>What's on the cards</h1><p>In the media 02.12.19</p><p>Text.</p>", lang="en"),
        None,
        "2019-12-02",
        PAGE_TEXT,
    ),
    (
        "text: a version number is no date",
        page(body="<h1>Versionshinweise</h1><p>Version v1.12.20 und 3.1.12.20 sind da</p>", lang="de"),
        None,
        None,
        None,
    ),
    (
        "text, numeric, written with dots: day first",
        page(body="<h1>Grants</h1><p>Posted 02.01.2024</p>"),
        None,
        "2024-01-02",
        PAGE_TEXT,
    ),
    (
        "text: a month given by two names (the Levant's and the standard Arabic)",
        page(
            body="<h1>أميركا: 50 ألفا حصيلة الوفيات</h1>"
            "<p>تم نشره الجمعة 24 نيسان / أبريل 2020 09:22 مساءً</p>"
        ),
        None,
        "2020-04-24",
        PAGE_TEXT,
    ),
    (
        "text, numeric, a day above 12",
        page(body="<h1>Grants</h1><p>Posted 25.06.2018</p>"),
        None,
        "2018-06-25",
        PAGE_TEXT,
    ),
    (
        "text, numeric, another date proves the order",
        page(body="<h1>Grants</h1><p>Posted 04.05.2018</p><p>Applications close 30.06.2018.</p>"),
        None,
        "2018-05-04",
        PAGE_TEXT,
    ),
    (
        "text, numeric, ambiguous: no date",
        page(body="<h1>Grants</h1><p>Posted 02/01/2024</p>"),
        None,
        None,
        None,
    ),
    (
        "text, numeric, a day-first language settles it",
        page(body="<h1>Zuschüsse</h1><p>Erstellt am 02.01.2024</p>", lang="de-CH"),
        None,
        "2024-01-02",
        PAGE_TEXT,
    ),
    (
        "text, numeric, English of a day-first region settles it",
        page(body="<h1>Grants</h1><p>Posted 02/01/2024</p>", lang="en-GB"),
        None,
        "2024-01-02",
        PAGE_TEXT,
    ),
    (
        "text, numeric, en-US (a publishing system's default) settles nothing",
        page(body="<h1>Grants</h1><p>Posted 02/01/2024</p>", lang="en-US"),
        None,
        None,
        None,
    ),
    (
        "text, numeric, the page's proof beats its language",
        page(body="<h1>Grants</h1><p>Posted 02/01/2024</p><p>Closes 12/25/2024.</p>", lang="de"),
        None,
        "2024-02-01",
        PAGE_TEXT,
    ),
    (
        "text, numeric, the markup's ISO date settles it",
        page(body='<h1>Grants</h1><p>Posted 02/01/2024</p><div data-created="2024-01-02T09:00:00"></div>'),
        None,
        "2024-01-02",
        PAGE_TEXT,
    ),
    (
        "a date range is no day",
        page(body="<h1>Race results</h1><p>Winners of 2020/7/11-12</p><p>Posted 2020年07月12日</p>"),
        None,
        "2020-07-12",
        PAGE_TEXT,
    ),
    (
        "the end of a range of days is no day",
        page(body="<h1>Wochenbericht</h1><p>Bericht vom 14.–20. Januar 2022</p>", lang="de"),
        None,
        None,
        None,
    ),
    (
        "the end of a range of days across months is no day",
        page(body="<h1>Festival</h1><p>Held 28 June – 3 July 2022 in the park.</p>"),
        None,
        None,
        None,
    ),
    (
        "the end of a range of days across years is no day",
        page(body="<h1>Wochenbericht</h1><p>Bericht 31. Dezember 2021–6. Januar 2022</p>", lang="de"),
        None,
        None,
        None,
    ),
    (
        "a number before a dash and a date is no range",
        page(body="<h1>Medienmitteilung</h1><p>Nr. 12 – 3. März 2020</p>"),
        None,
        "2020-03-03",
        PAGE_TEXT,
    ),
    (
        "a copyright year is no day",
        page(body="<h1>About us</h1><p>Who we are.</p><footer>© 2019 Example</footer>"),
        None,
        None,
        None,
    ),
    ("nothing", page(body="<p>No date here.</p>"), None, None, None),
]


@pytest.mark.parametrize("html, url, day, source", [s[1:] for s in SNIPPETS], ids=[s[0] for s in SNIPPETS])
def test_a_page_s_publication_day(html, url, day, source):
    found = page_date(html, url, today=TODAY)
    assert (found.day, found.source) == (day, source), pagedates.describe(found.signals)


def test_a_numeric_date_the_page_does_not_settle_is_refused_with_the_reason():
    found = page_date(page(body="<h1>Grants</h1><p>Posted 02/01/2024</p>"), today=TODAY)
    assert found.day is None
    assert found.problem == (
        "ambiguous day/month order: '02/01/2024' is 2024-01-02 day first or 2024-02-01 month first, "
        "and the page settles neither"
    )
    # The profile's [dates] order reads it.
    html = page(body="<h1>Grants</h1><p>Posted 02/01/2024</p>")
    assert page_date(html, today=TODAY, order="MDY").day == "2024-02-01"
    assert page_date(html, today=TODAY, order="DMY").day == "2024-01-02"


def test_a_publication_the_page_never_shows_against_its_update_is_refused_with_the_reason():
    html = page(
        ld(HYDRANGEAS), "<h1>How to care for hydrangeas</h1><p>By Sarah Yang Updated May 06, 2019</p>"
    )
    found = page_date(html, today=TODAY)
    assert (found.day, found.problem) == (
        None,
        "the page shows only an update (2019-05-06), neither the modification nor the publication its "
        "markup gives (2016-08-29)",
    )


def test_signals_far_apart_that_the_page_confirms_neither_are_refused_with_the_reason():
    html = page(
        '<meta name="date" content="2023-01-01T14:11:58+01:00">'
        + ld('{"@type": "NewsArticle", "datePublished": "2020-01-10T16:50:00+00:00"}'),
        "<h1>Robo-Advisor</h1><p>Kluge Sparer legen ihr Geld an.</p>",
    )
    found = page_date(html, today=TODAY)
    assert (found.day, found.problem) == (
        None,
        "the page's signals disagree (2020-01-10, 2023-01-01), and the page shows neither",
    )


def test_the_moment_keeps_its_offset_and_the_modification_is_kept_apart():
    found = page_date(
        page(
            '<meta property="article:published_time" content="2020-07-15T23:30:00-05:00">'
            '<meta property="article:modified_time" content="2020-07-17T08:00:00-05:00">'
        ),
        today=TODAY,
    )
    assert (found.day, found.moment, found.modified) == (
        "2020-07-15",
        "2020-07-15T23:30:00-05:00",
        "2020-07-17T08:00:00-05:00",
    )
    assert found.signal == "meta article:published_time"


def test_htmldate_is_not_run_when_a_signal_answers(monkeypatch):
    import htmldate

    def fail(*args, **kwargs):
        raise AssertionError("htmldate ran")

    monkeypatch.setattr(htmldate, "find_date", fail)
    assert page_date(page('<meta name="date" content="2018-06-21">'), today=TODAY).day == "2018-06-21"


def test_a_date_the_text_labels_as_the_publication_is_read_anywhere():
    # Far from the headline, after the modification: htmldate's reading is the modification.
    html = page(
        body="<h1>Vom Boden aus gedacht</h1>"
        + "<p>Text der Rezension.</p>" * 200
        + "<p>Letzte Änderung: 31.10.2023 - 14:49:39 Erschienen am: 01.11.2023</p>",
        lang="de-DE",
    )
    found = page_date(html, today=TODAY)
    assert (found.day, found.source, found.signal) == (
        "2023-11-01",
        PAGE_TEXT,
        "text labelled as the publication",
    )


@pytest.mark.parametrize(
    "lang, separator, day", [("de", "/", "2023-10-05"), ("en", ".", "2023-10-05"), ("en", "/", None)]
)
def test_htmldate_s_day_printed_with_a_two_digit_year_stands_in_the_page_s_known_order(lang, separator, day):
    # htmldate reads "05/10/23" day first; the page prints the day only so: it stands where
    # the page's language says day first, or where dots say so, and is no date where nothing
    # says which order.
    html = page(
        body="<h1>Halloween-Kostüme</h1>"
        + "<p>Ein Text über Kostüme.</p>" * 100
        + f'<div class="date"> Party, 05{separator}10{separator}23 </div>',
        lang=lang,
    )
    found = page_date(html, today=TODAY)
    assert (found.day, found.signal) == (day, "htmldate" if day else None)


def test_htmldate_s_day_stands_only_where_the_page_prints_it():
    # htmldate reads a date in a script (and a copyright year as 1 January); the page prints
    # neither for its readers: no date.
    html = page(body='<h1>Hi</h1><p>Nothing dated.</p><script>var d = "2019-03-04";</script>')
    assert page_date(html, today=TODAY).day is None
    # The same day printed in the text, away from the headline: htmldate finds it, and it stands.
    html = page(body="<h1>Hi</h1>" + "<p>Filler text.</p>" * 200 + "<p>Signed in Geneva on 2019-03-04.</p>")
    found = page_date(html, today=TODAY)
    assert (found.day, found.source, found.signal) == ("2019-03-04", PAGE_TEXT, "htmldate")


def test_htmldate_s_extensive_search_when_its_fast_one_finds_nothing():
    # No <h1> a date stands by, no label: only htmldate's extensive search reads the date.
    html = page(
        body="<h1>Quicklinks</h1>"
        + "<p>Ein Text über das Schwimmen.</p>" * 100
        + "<p>Synchronschwimmen 01.02.2022 Kategorie: Synchronschwimmen</p>",
        lang="de",
    )
    found = page_date(html, today=TODAY)
    assert (found.day, found.source, found.signal) == ("2022-02-01", PAGE_TEXT, "htmldate")


def test_htmldate_s_day_where_the_page_labels_only_a_later_update_is_no_date():
    # A date the text mentions (a data set's), far from the headline; the page labels only its
    # update: htmldate's reading of the mention is no publication.
    article = "<h1>Schneekarten</h1>" + "<p>Ein Text über Schnee.</p>" * 100
    mention = "<p>Datensatz vom 09.03.2016</p>" + "<p>Mehr Text.</p>" * 20
    html = page(body=article + mention + "<p>Letzte Änderung: 14.01.2022 um 09:25</p>", lang="de")
    found = page_date(html, today=TODAY)
    assert (found.day, found.problem) == (
        None,
        "the page shows only an update (2022-01-14), and htmldate's 2016-03-09 is a date its text mentions",
    )
    found = page_date(page(body=article + mention, lang="de"), today=TODAY)
    assert (found.day, found.signal) == ("2016-03-09", "htmldate")


@pytest.mark.parametrize("where", ["aside", "nav"])
def test_htmldate_s_day_printed_only_in_a_sidebar_or_a_menu_is_no_date(where):
    # Another item's date, in the page's furniture; htmldate finds it (fast, or extensive).
    filler = "<h1>Hi</h1>" + "<p>Filler text.</p>" * 200
    html = page(body=filler + f"<{where}><p>News of 2019-03-04.</p></{where}>")
    assert page_date(html, today=TODAY).day is None
    html = page(body=filler + "<div><p>News of 2019-03-04.</p></div>")
    assert page_date(html, today=TODAY).day == "2019-03-04"


@pytest.mark.parametrize(
    "value, day, moment",
    [
        ("2020-07-15", "2020-07-15", None),
        ("2020-7-5", "2020-07-05", None),
        ("2020-07-15T23:30:00-05:00", "2020-07-15", "2020-07-15T23:30:00-05:00"),
        ("2020-07-15T23:30:00.000-0500", "2020-07-15", "2020-07-15T23:30:00-05:00"),
        ("2020-07-16T04:30:00.000Z", "2020-07-16", "2020-07-16T04:30:00Z"),
        ("2020-07-15 23:30", "2020-07-15", "2020-07-15T23:30:00"),
        ("2020/07/15", "2020-07-15", None),
        ("20200715", "2020-07-15", None),
        ("1594872000", "2020-07-16", "2020-07-16T04:00:00Z"),
        ("Wed, 15 Jul 2020 23:30:00 -0500", "2020-07-15", "2020-07-15T23:30:00-05:00"),
        ("July 15, 2020", "2020-07-15", None),
        ("15 juillet 2020", "2020-07-15", None),
        ("15.07.2020", "2020-07-15", None),
        ("04.05.2020", None, None),  # day first or month first: no date
        ("2020-02-30", None, None),
        ("1989-12-31", None, None),  # before 1990
        ("2027-01-01", None, None),  # in the future
        ("", None, None),
        ("soon", None, None),
    ],
)
def test_reading_one_value(value, day, moment):
    reading = read_value(value, TODAY)
    assert ((reading.day.isoformat(), reading.moment) if reading else (None, None)) == (day, moment)


@pytest.mark.parametrize(
    "html, day",
    [
        # Unclosed <div>s 1500 deep around thousands of <time>s: read, within bounds.
        (
            "<html><body>"
            + "<div>" * 1500
            + "<time datetime='2020-01-02'>x</time>" * 3000
            + "</body></html>",
            "2020-01-02",
        ),
        # JSON-LD nested too deep to parse, and JSON-LD that is no JSON.
        ("<html><head><script type='application/ld+json'>" + "[" * 100_000 + "</script></head></html>", None),
        ("<html><head><script type='application/ld+json'>{\"datePublished\": </script></head></html>", None),
        # A word of a million letters after a day, a year said ten thousand times.
        ("<html><body><h1>Headline</h1><p>1 " + "a" * 1_000_000 + " 2020</p></body></html>", None),
        ("<html><body><h1>Headline</h1>" + "<p>2020 2020</p>" * 10_000 + "</body></html>", None),
        # "Posted" thirty thousand times, and as many offsets after times in a script.
        ("<html><body><h1>Headline</h1>" + "<p>Posted on 3 May</p>" * 30_000 + "</body></html>", None),
        (
            '<meta property="article:published_time" content="2020-05-02T02:54:29Z"><script>'
            + '"2020-05-01T23:00:00-04:00",' * 100_000
            + "</script>",
            "2020-05-01",
        ),
        # Thousands of JSON-LD articles; a value that is no text; an empty page.
        (
            "<script type='application/ld+json'>["
            + ",".join(['{"@type":"Article","datePublished":"2020-01-03"}'] * 5000)
            + "]</script>",
            "2020-01-03",
        ),
        (
            '<script type=\'application/ld+json\'>{"@type": "Article", "datePublished": {"x": 1}}</script>',
            None,
        ),
        ("", None),
    ],
    ids=[
        "nested times",
        "deep JSON-LD",
        "broken JSON-LD",
        "long word",
        "many years",
        "many labels",
        "many offsets",
        "many articles",
        "odd value",
        "empty",
    ],
)
def test_hostile_pages_give_what_they_can(html, day):
    assert page_date(html.encode(), "https://x.example/a", today=TODAY).day == day
