"""Mixed listings: an HTML first page whose "Load more" leads to JSON pages ([listing.json]).

The fixture press room is fixtures/mixed-newsroom/ (Harwick Transit): 10 releases on the HTML
page, a button whose data-next names the first JSON batch, then two JSON batches of 10 and 9,
the first repeating the HTML page's last release: 28 releases, one listed twice. Its expected
releases (fixtures/mixed-newsroom/expected.json) were written from the pages, by hand.
"""

from __future__ import annotations

import json

import pytest

from pressbot import outcome
from pressbot.parsing import page_from_bytes, parse_listing
from pressbot.profiles import ProfileError, available_sources, load_profile
from pressbot.walk import Stop
from tests.conftest import FIXTURES, FIXTURES_URL, open_crawler, run_crawl
from tests.faults import Faults
from tests.test_spider import drive, write_all

EXPECTED = json.loads((FIXTURES / "mixed-newsroom" / "expected.json").read_text(encoding="utf-8"))
NEWS = "/mixed-newsroom/news/"
FAST = {"PRESSBOT_RETRY_BACKOFF": "0.05", "RETRY_TIMES": "1", "DOWNLOAD_TIMEOUT": "5"}


def paths(records, prefix: str) -> list[str]:
    return [r["url"].removeprefix(prefix) for r in records]


# --- in-process: the profile, the parser, the spider's callbacks -------------------------------


def test_the_start_page_is_read_as_html_and_the_pages_after_it_as_json():
    profile = load_profile(available_sources()["mixed-newsroom"], FIXTURES_URL)
    assert profile.for_page(1) is profile and profile.format == "html"
    later = profile.for_page(2)
    assert later is profile.for_page(7) and later.format == "json" and later.later is None
    assert (later.name, later.base_url, later.max_pages) == (
        profile.name,
        profile.base_url,
        profile.max_pages,
    )
    assert str(later.entry) == "jmes:items" and str(later.next_page) == "jmes:next"
    assert later.fields["summary"].html and later.fields["summary"].layout
    for page_no, name, count, nxt in [
        (1, "index.html", 10, "more-2.json"),
        (2, "more-2.json", 10, "more-3.json"),
    ]:
        url = f"{FIXTURES_URL}{NEWS}{name}"
        reader = profile.for_page(page_no)
        body = (FIXTURES / "mixed-newsroom" / "news" / name).read_bytes()
        listing = parse_listing(page_from_bytes(body, url, "utf-8", reader.format), url, reader)
        assert len(listing.entries) == count and listing.problems == []
        assert listing.next_urls == [f"{FIXTURES_URL}{NEWS}{nxt}"]
        if page_no == 1:
            # Two title links carry a screen-reader note; exclude leaves it out, the link stays.
            assert body.count(b'<span class="sr-only"> (opens in a new window)</span>') == 2
            pdf, consultation = listing.entries[1], listing.entries[8]
            assert pdf["title"] == "Harwick Transit publishes 2023 annual report"
            assert pdf["url"] == f"{FIXTURES_URL}/mixed-newsroom/files/harwick-transit-annual-report-2023.pdf"
            assert consultation["title"] == "Consultation opens on the Riverside tram extension"
            assert consultation["url"] == "https://haveyoursay.harwick-transit.example/riverside"
            assert not any("new window" in e["title"] for e in listing.entries)
            # A deck of points is one a line; a teaser of two paragraphs keeps them apart.
            third = listing.entries[2]
            assert third["subtitle"] == "Replacement buses every 6 minutes\nLine reopens on 25 August"
            assert third["summary"].count("\n\n") == 1


def test_the_spider_walks_html_then_json_and_writes_each_release_once(tmp_path):
    crawler, spider = open_crawler(tmp_path, source="mixed-newsroom")
    items = drive(spider)
    assert len(items) == 29  # the HTML page's last release is in the first JSON batch too
    write_all(crawler, items)
    written = [json.loads(line) for line in (tmp_path / "releases.jsonl").read_text().splitlines()]
    assert sorted(paths(written, FIXTURES_URL)) == sorted(e["path"] for e in EXPECTED)
    assert len({r["id"] for r in written}) == 28
    walk = spider.run.walks["mixed-newsroom"]
    assert walk.stop is Stop.END_OF_ARCHIVE
    # Page 1's entries are the HTML page's, 2 and 3 the JSON batches'.
    by_page = {}
    for item in items:
        by_page.setdefault(item.listing_url.rsplit("/", 1)[1], []).append(item)
    assert {k: len(v) for k, v in by_page.items()} == {"index.html": 10, "more-2.json": 10, "more-3.json": 9}
    spider.closed("finished")


MIXED = """
name = "mixed"
base_url = "https://press.invalid/"
start_urls = ["news"]
[listing]
entry = "article"
next_page = "button::attr(data-next)"
[listing.fields]
title = "h3 a"
url = "h3 a::attr(href)"
published_raw = "time"
[listing.json]
entry = { jmes = "items" }
next_page = { jmes = "next" }
[listing.json.fields]
title = { jmes = "title" }
url = { jmes = "url" }
published_raw = { jmes = "date" }
"""


@pytest.mark.parametrize(
    "change, key, problem",
    [
        (("[listing]\n", '[listing]\nformat = "xml"\n'), "listing.json", 'this listing is format = "xml"'),
        (
            ('next_page = "button::attr(data-next)"', 'pagination = "pager"\npager = "nav a::attr(href)"'),
            "listing.json",
            "cannot follow a pager",
        ),
        (
            ('next_page = "button::attr(data-next)"\n', ""),
            "listing.next_page",
            "required with [listing.json]",
        ),
        (('entry = { jmes = "items" }\n', ""), "listing.json.entry", 'missing: {jmes = "..."} is required'),
        (
            ('entry = { jmes = "items" }', 'entry = "div.items"'),
            "listing.json.entry",
            "must be a table {jmes",
        ),
        (('url = { jmes = "url" }\n', ""), "listing.json.fields.url", "missing: this field is required"),
        (
            ('next_page = { jmes = "next" }', 'next_page = { jmes = "next[" }'),
            "listing.json.next_page",
            "does not compile",
        ),
        (("[listing.json]\n", '[listing.json]\nformat = "json"\n'), "listing.json.format", "unknown key"),
        (
            ('title = { jmes = "title" }', 'title = { jmes = "title" }\nheadline = { jmes = "h" }'),
            "listing.json.fields.headline",
            "unknown key",
        ),
        # The old field name loads in [listing.fields] (with a warning), but [listing.json] is new.
        (
            ('published_raw = { jmes = "date" }', 'published = { jmes = "date" }'),
            "listing.json.fields.published",
            "unknown key",
        ),
    ],
)
def test_a_broken_listing_json_table_names_its_key(tmp_path, change, key, problem):
    path = tmp_path / "mixed.toml"
    assert change[0] in MIXED
    path.write_text(MIXED.replace(*change, 1), encoding="utf-8")
    with pytest.raises(ProfileError) as err:
        load_profile(path)
    assert err.value.key == key and problem in err.value.problem, err.value


def test_a_template_walk_reads_its_later_pages_as_json_too(tmp_path):
    path = tmp_path / "mixed.toml"
    text = MIXED.replace(
        'next_page = "button::attr(data-next)"', 'pagination = "template"\ntemplate = "api/news?page={n}"'
    )
    path.write_text(text.replace('next_page = { jmes = "next" }\n', ""), encoding="utf-8")
    profile = load_profile(path)
    assert profile.for_page(1).format == "html" and profile.for_page(2).format == "json"
    assert profile.for_page(2).template == "api/news?page={n}"


# --- real crawls over HTTP, the walk's guarantees for both formats ------------------------------


def crawl(tmp_path, url, *args):
    result = run_crawl(tmp_path, url, "-a", "source=mixed-newsroom", *args, settings=FAST)
    result.source = result.summary["sources"]["mixed-newsroom"]
    return result


@pytest.mark.integration
def test_every_release_is_collected_exactly_once_and_a_second_run_reads_two_pages(tmp_path, server):
    first = crawl(tmp_path, server.url)
    assert first.returncode == 0, first.stderr[-3000:]
    records = first.records()
    assert sorted(paths(records, server.url)) == sorted(e["path"] for e in EXPECTED)
    assert len(records) == len({r["id"] for r in records}) == 28
    got = {r["url"].removeprefix(server.url): r for r in records}
    for want in EXPECTED:  # title and dates as the pages print them
        record = got[want["path"]]
        assert (record["title"], record["published"], record["published_raw"]) == (
            want["title"],
            want["published"],
            want["published_raw"],
        )
    assert "opens in a new window" not in json.dumps(records)  # the screen-reader note is left out
    summary = first.source
    assert (summary["pages"], summary["entries"], summary["new"], summary["duplicates"]) == (3, 29, 28, 1)
    assert summary["stop_reason"] == "end of archive" and summary["walk_complete"] is True
    assert [h for h in server.hits if h.startswith(NEWS)] == [
        NEWS + p for p in ("index.html", "more-2.json", "more-3.json")
    ]

    # Caught up on the HTML page (all known), it reads one page more, the first JSON batch.
    again = crawl(tmp_path, server.url)
    assert again.returncode == 0 and len(again.records()) == 28
    assert (again.source["pages"], again.source["stop_reason"], again.source["new"]) == (2, "caught up", 0)


@pytest.mark.integration
def test_the_bundled_press_room_crawls_offline_from_file_urls(tmp_path):
    result = crawl(tmp_path, (FIXTURES).as_uri())
    assert result.returncode == 0, result.stderr[-3000:]
    assert len(result.records()) == len({r["id"] for r in result.records()}) == 28


def _new_cards() -> bytes:
    page = (FIXTURES / "mixed-newsroom" / "news" / "index.html").read_bytes()
    card = page[page.index(b"<article") : page.index(b"</article>") + len(b"</article>")]
    new = [
        card.replace(b"2024-06-night-bus-network-five-districts", f"2024-07-new-{i}".encode())
        .replace(b"Night bus network extended to all five districts", f"New release {i}".encode())
        .replace(b'datetime="2024-06-20">20 June 2024', f'datetime="2024-07-0{i}">{i} July 2024'.encode())
        for i in (2, 1)
    ]
    return page.replace(card, b"\n".join([*new, card]), 1)


@pytest.mark.integration
def test_an_incremental_run_collects_what_is_new_on_the_html_page(tmp_path, serve):
    faults = Faults(lambda handler, path: False)
    srv = serve(faults.hook)
    assert crawl(tmp_path, srv.url).returncode == 0
    faults.on(NEWS + "index.html", ("body", _new_cards()))
    second = crawl(tmp_path, srv.url)
    assert second.returncode == 0, second.stderr[-3000:]
    assert second.source["new"] == 2 and second.source["stop_reason"] == "caught up"
    assert len(second.records()) == 30 and len({r["id"] for r in second.records()}) == 30


def _json(name: str, **changes) -> bytes:
    doc = json.loads((FIXTURES / "mixed-newsroom" / "news" / name).read_text(encoding="utf-8"))
    doc.update(changes)
    return json.dumps(doc).encode()


@pytest.mark.integration
@pytest.mark.parametrize(
    "path, body, stop, status, where",
    [
        # A JSON page's next link back to a page already read: a trap.
        (
            "more-3.json",
            _json("more-3.json", next="more-2.json"),
            "pagination loop",
            outcome.PAGES_FAILED,
            "traps",
        ),
        # A JSON page's next link off the site: a trap.
        (
            "more-2.json",
            _json("more-2.json", next="https://elsewhere.invalid/more-3.json"),
            "next page off the site",
            outcome.PAGES_FAILED,
            "traps",
        ),
        # The HTML page's data-next off the site: a trap before any JSON page.
        (
            "index.html",
            (FIXTURES / "mixed-newsroom" / "news" / "index.html")
            .read_bytes()
            .replace(b'data-next="more-2.json"', b'data-next="https://elsewhere.invalid/more-2.json"'),
            "next page off the site",
            outcome.PAGES_FAILED,
            "traps",
        ),
        # The API renamed its list: the JSON selectors no longer fit.
        ("more-2.json", json.dumps({"results": [], "next": None}).encode(), "drift", outcome.DRIFT, "drift"),
        # A maintenance page where JSON should be.
        ("more-2.json", b"<html><body>Back soon</body></html>", "drift", outcome.DRIFT, "drift"),
    ],
    ids=["json-loop", "json-off-site", "html-off-site", "json-renamed", "json-is-html"],
)
def test_the_walk_s_guarantees_hold_on_the_json_pages(tmp_path, serve, path, body, stop, status, where):
    faults = Faults(lambda handler, path: False).on(NEWS + path, ("body", body))
    srv = serve(faults.hook)
    broken = crawl(tmp_path, srv.url)
    assert broken.returncode == status, broken.stderr[-3000:]
    assert broken.source["stop_reason"] == stop and broken.source["walk_complete"] is False
    assert broken.source[where], broken.source
    written = broken.records()
    assert len(written) == len({r["id"] for r in written}) >= 10  # what was read is kept, once

    faults.plan.clear()  # the site is fixed: the next run walks it all again
    fixed = crawl(tmp_path, srv.url)
    assert fixed.returncode == 0, fixed.stderr[-3000:]
    assert fixed.source["mode"] == "full"
    records = fixed.records()
    assert sorted(paths(records, srv.url)) == sorted(e["path"] for e in EXPECTED)
    assert len(records) == len({r["id"] for r in records}) == 28


@pytest.mark.integration
def test_drift_on_a_json_page_names_the_json_selector(tmp_path, serve):
    faults = Faults(lambda handler, path: False).on(NEWS + "more-2.json", ("body", b'{"results": []}'))
    result = crawl(tmp_path, serve(faults.hook).url)
    assert result.returncode == outcome.DRIFT
    [drift] = result.source["drift"]
    assert drift["url"].endswith(NEWS + "more-2.json") and "jmes:items matched 0 entries" in drift["problem"]


@pytest.mark.integration
def test_a_json_page_that_fails_leaves_the_walk_open_and_the_next_run_collects_the_rest(tmp_path, serve):
    faults = Faults(lambda handler, path: False).on(NEWS + "more-3.json", ("status", 500))
    srv = serve(faults.hook)
    failed = crawl(tmp_path, srv.url)
    assert failed.returncode == outcome.PAGES_FAILED
    assert failed.source["stop_reason"] == "error" and len(failed.records()) == 19
    faults.plan.clear()
    fixed = crawl(tmp_path, srv.url)
    assert fixed.returncode == 0 and fixed.source["mode"] == "full"
    assert len(fixed.records()) == len({r["id"] for r in fixed.records()}) == 28
