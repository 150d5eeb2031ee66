"""Releases published as PDF: telling a PDF answer, its text, dates and language, the files that
cannot be read; the spider's callbacks in-process; and the gov-pdf press room crawled for real.

The PDFs are written by fixtures/gov-pdf/make_pdfs.py from texts and dates a person wrote; the
expected bodies here are built from those texts, never from pressbot's output.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import importlib.util
import json
import sys
import zlib

import pytest
from scrapy.http import HtmlResponse, Request, Response

from pressbot.items import Release
from pressbot.normalise import normalise
from pressbot.pdf import (
    MAX_PAGES,
    NO_TEXT,
    PDF_DATE,
    UNREADABLE_PDF,
    Line,
    UnreadablePdf,
    _paragraphs,
    is_pdf,
    parse_pdf,
    pdf_date,
    read_pdf,
)
from pressbot.profiles import available_sources, load_profile
from tests.conftest import FIXTURES, FIXTURES_URL, fixture_response, open_crawler, run_crawl

SITE = FIXTURES / "gov-pdf"
RELEASES = SITE / "media" / "releases"


def _generator():
    spec = importlib.util.spec_from_file_location("make_pdfs", SITE / "make_pdfs.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["make_pdfs"] = module  # (dataclasses look their module up)
    spec.loader.exec_module(module)
    return module


make_pdfs = _generator()
PROFILE = load_profile(available_sources()["gov-pdf"], "https://fixtures.invalid")
TODAY = dt.date(2024, 6, 1)
BY_FILE = {r.file: r for r in make_pdfs.RELEASES}


def written_text(release) -> str:
    """The release's text as its author wrote it: letterhead, dateline, title, paragraphs."""
    head = [f"{make_pdfs.DEPARTMENT} \u2013 {make_pdfs.PROVINCE} MEDIA RELEASE"]
    head += [release.dateline] if release.dateline else []
    return "\n\n".join([*head, release.title, *(p for page in release.pages for p in page)])


def release(**changes):
    """A release PDF made for one test, from the first fixture release."""
    base = make_pdfs.RELEASES[0]
    return make_pdfs.pdf_bytes(dataclasses.replace(base, file=f"test/{sorted(changes)}.pdf", **changes))


# --- what a PDF is ------------------------------------------------------------------------------
PDF = (RELEASES / "2024" / "MR-2024-031.pdf").read_bytes()
HTML = b"<!DOCTYPE html><html><body><p>Page</p></body></html>"


@pytest.mark.parametrize(
    "content_type, body, pdf",
    [
        ("application/pdf", PDF, True),
        ("application/pdf; qs=0.001", PDF, True),
        ("APPLICATION/PDF", PDF, True),
        ("application/x-pdf", PDF, True),
        ("application/pdf", HTML, True),  # said PDF: read as one (and reported if it is not)
        ("text/html; charset=utf-8", PDF, False),  # said HTML: a page, whatever the URL says
        ("text/html", HTML, False),
        (None, PDF, True),  # no type at all (a file: URL): the bytes tell
        ("", HTML, False),
        ("application/octet-stream", PDF, True),
        ("application/octet-stream", HTML, False),
        ("application/octet-stream", b"\xef\xbb\xbf  \r\n%PDF-1.7\n...", True),  # junk before the header
        ("image/png", PDF, False),
    ],
)
def test_a_pdf_is_told_by_its_content_type(content_type, body, pdf):
    assert is_pdf(content_type, body) is pdf


def test_the_generator_reproduces_the_committed_files():
    files = make_pdfs.files()
    assert len(files) == 7
    for name, data in files.items():
        assert (RELEASES / name).resolve().read_bytes() == data, name


# --- reading a PDF ------------------------------------------------------------------------------
@pytest.mark.parametrize("file", sorted(BY_FILE))
def test_each_release_s_text_is_read_paragraph_by_paragraph(file):
    found = parse_pdf((RELEASES / file).resolve().read_bytes(), PROFILE, today=TODAY)
    assert found["body"] == written_text(BY_FILE[file])


def test_a_release_of_two_pages_is_read_whole_without_its_page_numbers():
    doc = read_pdf((RELEASES / "2024" / "MR-2024-027.pdf").read_bytes())
    assert (doc.pages, doc.pages_read) == (2, 2)
    assert "Police will run an additional 40,000 roadside breath tests" in doc.paragraphs[-3]
    assert not any(p.startswith("Page ") for p in doc.paragraphs)


@pytest.mark.parametrize(
    "body, reason",
    [
        (
            (RELEASES / "2024" / "MR-2024-026.pdf").read_bytes(),
            "the file is cut short (it does not end with %%EOF)",
        ),
        (
            (RELEASES / "2024" / "MR-2024-020.pdf").read_bytes(),
            "it is encrypted: a password is needed to open it",
        ),
        (HTML, "not a PDF file (it begins '<!DOCTYPE html><html><body><p>Page</p></')"),
        (b"", "the file is empty"),
        (b"%PDF-1.7\n" + bytes(range(256)) * 8 + b"\n%%EOF\n", "it cannot be read: "),
        (PDF.replace(b"/Type /Pages", b"/Type /Nopes").replace(b"/Kids", b"/Kats"), "it has no pages"),
    ],
    ids=["cut-short", "encrypted", "html", "empty", "garbage", "no-pages"],
)
def test_a_pdf_that_cannot_be_read_says_why(body, reason):
    with pytest.raises(UnreadablePdf) as caught:
        read_pdf(body)
    assert str(caught.value).startswith(reason)


def test_a_pdf_bomb_is_refused_not_decompressed():
    # A page whose text stream inflates to 80 MB, from 80 kB: pypdf stops at 75 MB.
    squeeze = zlib.compressobj(1)
    stream = squeeze.compress(b"BT /F1 11 Tf 72 700 Td (Hello) Tj ET\n")
    stream += b"".join(squeeze.compress(b" " * 2**20) for _ in range(80)) + squeeze.flush()
    start = PDF.index(b"6 0 obj")
    end = PDF.index(b"endobj", start) + len(b"endobj")
    bomb = b"6 0 obj\n<< /Length %d /Filter /FlateDecode >>\nstream\n%s\nendstream\nendobj" % (
        len(stream),
        stream,
    )
    with pytest.raises(UnreadablePdf, match="LimitReachedError"):
        read_pdf(PDF[:start] + bomb + PDF[end:])


def test_control_characters_never_reach_the_text():
    pdf = release(pages=[["A font with no text map: \x01\x02 left these."]])
    assert "A font with no text map: left these." in read_pdf(pdf).paragraphs


def test_a_pdf_encrypted_without_a_password_to_open_it_reads():
    # Only the owner's permissions are protected (printing, copying): it opens for anyone.
    doc = read_pdf(release(user_password=""))
    assert doc.paragraphs[2] == make_pdfs.RELEASES[0].title


def test_a_scan_without_text_has_no_body_and_says_so():
    problems: list = []
    found = parse_pdf(release(scanned=True, lang=None), PROFILE, problems, today=TODAY)
    assert found["body"] is None and found["language"] is None
    assert [p.kind for p in problems] == [NO_TEXT]
    assert found["published"] == "2024-03-14"  # its CreationDate still dates it


def test_a_long_pdf_is_read_to_its_page_limit_and_reported():
    def name(n: int) -> str:  # (letters, not digits: lines that differ by a number alone on
        return chr(65 + n // 26) + chr(65 + n % 26)  # every page are a running header)

    pages = [[f"Section {name(n)} of the annual report."] for n in range(MAX_PAGES + 2)]
    problems: list = []
    found = parse_pdf(release(pages=pages), PROFILE, problems, today=TODAY)
    assert found["body"].count("Section ") == MAX_PAGES
    assert f"Section {name(MAX_PAGES - 1)} of" in found["body"]
    assert f"Section {name(MAX_PAGES)} of" not in found["body"]
    assert [(p.kind, p.reason) for p in problems] == [
        (
            UNREADABLE_PDF,
            f"the PDF has {MAX_PAGES + 2} pages: its body holds the text of the first {MAX_PAGES}",
        )
    ]


def test_a_line_on_every_page_is_kept_once():
    banner = "EMBARGOED UNTIL 6AM THURSDAY"
    doc = read_pdf(release(pages=[[banner, "First page text."], [banner, "Second page text."]]))
    assert doc.paragraphs.count(banner) == 1
    assert doc.paragraphs[-3:] == [banner, "First page text.", "Second page text."]


def test_lines_join_into_paragraphs_and_hyphens_run_on():
    lines = [
        Line("Twenty-", 700, 11),
        Line("three people lost their lives on Eastmoor", 685, 11),
        Line("roads in February, the well-", 670, 11),
        Line("Known figure said.", 655, 11),
        Line("A second paragraph, after a gap.", 631, 11),  # 24 points down: a new paragraph
        Line("A heading", 600, 15),  # another size
        Line("3", 60, 8),  # a page number
    ]
    assert [text for text, _ in _paragraphs(lines)] == [
        "Twenty-three people lost their lives on Eastmoor roads in February, the well- Known figure said.",
        "A second paragraph, after a gap.",
        "A heading",
    ]


@pytest.mark.parametrize(
    "value, iso",
    [
        ("D:20240314083012+10'00'", "2024-03-14T08:30:12+10:00"),
        ("D:20240314083012+10'00", "2024-03-14T08:30:12+10:00"),
        ("D:20240314083012-05'30'", "2024-03-14T08:30:12-05:30"),
        ("D:20240314083012Z", "2024-03-14T08:30:12Z"),
        ("D:20240314083012Z00'00'", "2024-03-14T08:30:12Z"),
        ("D:20240314083012", "2024-03-14T08:30:12"),  # no offset: none invented
        ("20240314083012+01'00'", "2024-03-14T08:30:12+01:00"),
        ("D:20240314", "2024-03-14"),  # a day, no time
        ("D:2024", None),
        ("D:20241399", None),
        ("yesterday", None),
        ("", None),
        (None, None),
    ],
)
def test_pdf_dates(value, iso):
    assert pdf_date(value) == iso


# --- the release's day, where the listing prints none ---------------------------------------
CREATED = "D:20240304111500+10'00'"


@pytest.mark.parametrize(
    "dateline, info, profile_changes, day, problem",
    [
        ("14 March 2024", {"CreationDate": "D:20240313170000+10'00'"}, {}, "2024-03-14", None),
        ("Issued: 4 March 2024", {}, {}, "2024-03-04", None),
        ("Date: Monday 4 March 2024", {}, {}, "2024-03-04", None),
        (None, {"CreationDate": CREATED}, {}, "2024-03-04", None),
        # A numeric dateline whose order is not known: the CreationDate settles it, or nothing.
        ("04/03/2024", {"CreationDate": CREATED}, {}, "2024-03-04", None),
        ("04/03/2024", {"CreationDate": "D:20240403090000+10'00'"}, {}, "2024-04-03", None),
        ("04/03/2024", {"CreationDate": "D:20240501090000+10'00'"}, {}, None, "ambiguous day/month order"),
        ("04/03/2024", {}, {}, None, "ambiguous day/month order"),
        ("04/03/2024", {}, {"date_order": "DMY"}, "2024-03-04", None),
        ("04/03/2024", {}, {"date_order": "MDY"}, "2024-04-03", None),
        # A CreationDate from a clock that was wrong, or none: no date.
        (None, {"CreationDate": "D:19700101000000Z"}, {}, None, None),
        (None, {"CreationDate": "D:20300101000000Z"}, {}, None, None),
        (None, {}, {}, None, None),
        # In UTC, with the publisher's zone: the publisher's day.
        (
            None,
            {"CreationDate": "D:20240303200000Z"},
            {"date_timezone": "Australia/Brisbane"},
            "2024-03-04",
            None,
        ),
        (None, {"CreationDate": "D:20240303200000Z"}, {"date_timezone": None}, "2024-03-03", None),
    ],
)
def test_a_pdf_dates_its_release_from_its_dateline_else_its_creation(
    dateline, info, profile_changes, day, problem
):
    problems: list = []
    pdf = release(dateline=dateline, info=info)
    found = parse_pdf(pdf, dataclasses.replace(PROFILE, **profile_changes), problems, today=TODAY)
    assert found["published"] == day
    reasons = [p.reason for p in problems if p.kind == PDF_DATE]
    if problem is None:
        assert reasons == []
    else:
        assert len(reasons) == 1 and reasons[0].startswith(f"the PDF's dateline: {problem}")


#: Wrapped as the fixture's PDFs are (88 characters), its second line is a date alone.
CLOSES = (
    "The consultation is open to all who live, work or study in Millbank, and it closes on "
    "Friday 22 March 2024."
)


def test_a_date_in_the_text_is_not_the_release_s():
    # The release prints no dateline; its text names days (a deadline, an event) that are not
    # its own: one alone on the second line of a paragraph, one alone in a paragraph below the
    # text. The CreationDate dates it.
    text = "The interchange will replace the kerbside stops on Station Street, where eleven routes stop."
    for page in (
        [CLOSES],
        [text * 2, "Friday 22 March 2024"],
    ):
        found = parse_pdf(
            release(dateline=None, pages=[page], info={"CreationDate": CREATED}), PROFILE, today=TODAY
        )
        assert found["published"] == "2024-03-04", page
    # The same date alone in a paragraph above the text is a dateline.
    found = parse_pdf(
        release(dateline=None, pages=[["Friday 22 March 2024", text * 2]]), PROFILE, today=TODAY
    )
    assert found["published"] == "2024-03-22"


def test_a_wire_style_dateline_opens_the_text():
    pages = [["CALDER, 4 March 2024 \u2013 Twenty-three people lost their lives on Eastmoor roads " * 2]]
    found = parse_pdf(release(dateline=None, pages=pages, info={}), PROFILE, today=TODAY)
    assert found["published"] == "2024-03-04"


def test_two_datelines_that_disagree_date_nothing():
    pages = [["Issued: 5 March 2024", "The text of the release, long enough to be its text. " * 3]]
    problems: list = []
    found = parse_pdf(release(dateline="4 March 2024", pages=pages, info={}), PROFILE, problems, today=TODAY)
    assert found["published"] is None
    assert [p.reason for p in problems] == [
        "the PDF's first page prints several dates (2024-03-04, 2024-03-05)"
    ]


def test_modified_at_and_language_of_a_pdf():
    found = parse_pdf(release(), PROFILE, today=TODAY)
    assert (found["modified_at"], found["language"]) == ("2024-03-14T09:15:44+10:00", "en-AU")
    bare = parse_pdf(release(lang=None, info={"ModDate": "D:20240314091544"}), PROFILE, today=TODAY)
    assert bare["language"] == "en"  # detected from its text
    # No offset: normalisation writes it only with the publisher's zone, as for published_at.
    assert normalise({**bare, "url": "https://x.invalid/a.pdf"}, PROFILE)["modified_at"] == (
        "2024-03-14T09:15:44+10:00"
    )
    assert (
        normalise(
            {**bare, "url": "https://x.invalid/a.pdf"}, dataclasses.replace(PROFILE, date_timezone=None)
        )["modified_at"]
        is None
    )


# --- the spider, in-process -------------------------------------------------------------------
@pytest.fixture
def gov(tmp_path):
    crawler, spider = open_crawler(tmp_path, source="gov-pdf")
    [start] = _start(spider)
    out = list(start.callback(fixture_response(start.url, start), **start.cb_kwargs))
    details = {r.url: r for r in out if isinstance(r, Request) and r.meta["pressbot_page"] == "detail"}
    page2 = next(r for r in out if isinstance(r, Request) and r.meta["pressbot_page"] == "listing")
    out2 = list(page2.callback(fixture_response(page2.url, page2), **page2.cb_kwargs))
    details.update({r.url: r for r in out2 if isinstance(r, Request) and r.meta["pressbot_page"] == "detail"})
    yield crawler, spider, details
    spider.closed("finished")


def _start(spider):
    async def collect():
        return [r async for r in spider.start()]

    return asyncio.run(collect())


BASE = f"{FIXTURES_URL}/gov-pdf/media"


def answer(request: Request, path, content_type: str | None):
    body = (SITE / "media" / path).read_bytes()
    headers = {"Content-Type": content_type} if content_type else {}
    cls = HtmlResponse if content_type and "html" in content_type else Response
    return list(
        request.callback(cls(request.url, body=body, headers=headers, request=request), **request.cb_kwargs)
    )


def test_a_release_published_as_pdf_gets_its_text(gov):
    crawler, spider, details = gov
    request = details[f"{BASE}/releases/2024/MR-2024-031.pdf"]
    [item] = answer(request, "releases/2024/MR-2024-031.pdf", "application/pdf")
    release_ = BY_FILE["2024/MR-2024-031.pdf"]
    assert item.body == written_text(release_)
    assert (item.title, item.published_raw) == (release_.title, "14 March 2024")  # the listing's
    assert (item.language, item.modified_at, item.detail_error) == (
        "en-AU",
        "2024-03-14T09:15:44+10:00",
        None,
    )
    assert crawler.stats.get_value("pressbot/detail_pages") == 1


def test_a_pdf_at_a_url_that_does_not_say_so_is_a_pdf_and_a_pdf_url_answering_html_is_a_page(gov):
    crawler, spider, details = gov
    [item] = answer(details[f"{BASE}/download?id=2291"], "download@id=2291.pdf", "application/pdf")
    assert item.body == written_text(BY_FILE["../download@id=2291.pdf"])
    statement = details[f"{BASE}/releases/2024/statement-brennan-street.pdf"]
    [page] = answer(statement, "releases/2024/statement-brennan-street.pdf.html", "text/html; charset=utf-8")
    assert page.body.startswith("At about 7.50am today a southbound freight train struck a car")
    assert page.body.endswith("Helen Achterberg Director-General, Department of Roads and Transport")
    assert (page.language, page.modified_at) == ("en-AU", "2024-03-07T16:45:00+10:00")
    # The same PDF with no Content-Type at all (as a file: URL answers) is read by its bytes.
    [untyped] = answer(details[f"{BASE}/download?id=2291"], "download@id=2291.pdf", None)
    assert untyped.body == item.body


def test_an_undated_entry_is_dated_by_its_pdf_and_a_dated_one_by_its_listing(gov):
    crawler, spider, details = gov
    request = details[f"{BASE}/releases/2024/MR-2024-023.pdf"]
    assert request.cb_kwargs["entry"].get("published_raw") is None
    [item] = answer(request, "releases/2024/MR-2024-023.pdf", "application/pdf")
    record = normalise(dataclasses.asdict(item), PROFILE)
    assert (record["published"], record["date_problem"]) == ("2024-02-22", None)  # its dateline
    # A listing date stands, even where the PDF prints another.
    request = details[f"{BASE}/releases/2024/MR-2024-031.pdf"]
    request.cb_kwargs["entry"] = {**request.cb_kwargs["entry"], "published_raw": "13 March 2024"}
    [item] = answer(request, "releases/2024/MR-2024-031.pdf", "application/pdf")
    assert normalise(dataclasses.asdict(item), PROFILE)["published"] == "2024-03-13"
    # ...and one the listing prints but cannot read stays unread: the PDF's day (4 March, one of
    # its two readings) does not settle the listing's day/month order.
    request = details[f"{BASE}/releases/2024/MR-2024-027.pdf"]
    request.cb_kwargs["entry"] = {**request.cb_kwargs["entry"], "published_raw": "04/03/2024"}
    [item] = answer(request, "releases/2024/MR-2024-027.pdf", "application/pdf")
    record = normalise(dataclasses.asdict(item), PROFILE)
    assert record["published"] is None and record["date_problem"].startswith("ambiguous day/month order")


@pytest.mark.parametrize(
    "path, why",
    [
        (
            "releases/2024/MR-2024-026.pdf",
            "the PDF could not be read: the file is cut short (it does not end with %%EOF)",
        ),
        (
            "releases/2024/MR-2024-020.pdf",
            "the PDF could not be read: it is encrypted: a password is needed to open it",
        ),
    ],
)
def test_a_broken_or_encrypted_pdf_keeps_the_listing_s_values_and_is_reported(gov, path, why):
    crawler, spider, details = gov
    request = details[f"{BASE}/{path}"]
    [item] = answer(request, path, "application/pdf")
    assert isinstance(item, Release)
    entry = request.cb_kwargs["entry"]
    assert (item.title, item.published_raw, item.summary) == (
        entry["title"],
        entry["published_raw"],
        entry.get("summary"),
    )
    assert (item.body, item.detail_error) == (None, why)
    report = spider.run.reports["gov-pdf"]
    assert report.problems == [{"url": request.url, "entry": None, "field": None, "problem": why}]
    assert report.errors == [] and report.clean  # the walk is not failed
    assert crawler.stats.get_value("pressbot/detail_errors") == 1
    assert crawler.stats.get_value("pressbot/failed_pages") is None


# --- the gov-pdf press room, crawled for real ---------------------------------------------------
EXPECTED = {r["path"]: r for r in json.loads((SITE / "expected.json").read_text(encoding="utf-8"))}
READABLE = {
    "/gov-pdf/media/releases/2024/MR-2024-031.pdf": "2024/MR-2024-031.pdf",
    "/gov-pdf/media/download?id=2291": "../download@id=2291.pdf",
    "/gov-pdf/media/releases/2024/MR-2024-027.pdf": "2024/MR-2024-027.pdf",
    "/gov-pdf/media/releases/2024/MR-2024-023.pdf": "2024/MR-2024-023.pdf",
    "/gov-pdf/media/releases/2024/MR-2024-021.pdf": "2024/MR-2024-021.pdf",
}
BROKEN = {
    "/gov-pdf/media/releases/2024/MR-2024-026.pdf": "the file is cut short (it does not end with %%EOF)",
    "/gov-pdf/media/releases/2024/MR-2024-020.pdf": "it is encrypted: a password is needed to open it",
}


def by_path(records, srv) -> dict:
    return {r["url"].replace(srv.url, ""): r for r in records}


@pytest.mark.integration
def test_the_pdf_press_room_crawls_exactly(tmp_path, server):
    result = run_crawl(tmp_path, server.url, "-a", "source=gov-pdf")
    assert result.returncode == 0, result.stderr[-3000:]
    records = result.records()
    got = by_path(records, server)
    assert len(records) == len(got) == len({r["id"] for r in records}) == 8  # every release once
    assert set(got) == set(EXPECTED)
    for path, want in EXPECTED.items():
        record = got[path]
        assert (record["title"], record["published"], record["published_raw"]) == (
            want["title"],
            want["published"],
            want["published_raw"],
        ), path
        assert record["revision"] == 1 and record["date_problem"] is None, path
    # Where each day came from: the listing's, else the PDF's dateline (its text), else its
    # CreationDate (its metadata).
    sources = {path: record["date_source"] for path, record in got.items() if not record["published_raw"]}
    assert sources == {
        "/gov-pdf/media/releases/2024/MR-2024-023.pdf": "page text",  # "Thursday 22 February 2024"
        "/gov-pdf/media/releases/2024/MR-2024-021.pdf": "page metadata",  # no dateline
    }
    assert {r["date_source"] for r in records if r["published_raw"]} == {"listing"}
    for path, file in READABLE.items():
        record, written = got[path], BY_FILE[file]
        assert record["body"] == written_text(written), path
        assert record["detail_error"] is None, path
        assert record["language"] == (written.lang or "en"), path  # declared, else detected
        modified = written.info.get("ModDate")
        assert record["modified_at"] == (pdf_date(modified) if modified else None), path
        assert record["published_at"] is None, path  # a PDF states no publication time
    statement = got["/gov-pdf/media/releases/2024/statement-brennan-street.pdf"]
    assert statement["body"].split("\n\n")[0].startswith("At about 7.50am today")
    assert statement["summary"] not in statement["body"]
    assert (statement["published_at"], statement["modified_at"], statement["language"]) == (
        "2024-03-07T11:20:00+10:00",
        "2024-03-07T16:45:00+10:00",
        "en-AU",
    )
    for path, why in BROKEN.items():
        record = got[path]
        assert record["detail_error"] == f"the PDF could not be read: {why}", path
        assert (record["body"], record["language"], record["modified_at"]) == (None, None, None), path
    assert got["/gov-pdf/media/releases/2024/MR-2024-026.pdf"]["summary"] == (
        "Apprentices and trainees will pay concession fares on all Eastmoor buses, trains and "
        "ferries from 1 April 2024."
    )
    source = result.summary["sources"]["gov-pdf"]
    assert (source["errors"], source["traps"], source["drift"]) == ([], [], [])
    assert sorted((p["url"].replace(server.url, ""), p["problem"]) for p in source["problems"]) == sorted(
        (path, f"the PDF could not be read: {why}") for path, why in BROKEN.items()
    )
    assert (source["detail_errors"], source["detail_pages"], source["new"]) == (2, 6, 8)
    assert (source["stop_reason"], source["walk_complete"]) == ("end of archive", True)
    # Every answer was asked for once.
    asked = [h for h in server.hits if h != "/robots.txt"]
    assert sorted(asked) == sorted(
        ["/gov-pdf/media/releases/", "/gov-pdf/media/releases/page-2.html", *EXPECTED]
    )

    again = run_crawl(tmp_path, server.url, "-a", "source=gov-pdf")
    assert again.returncode == 0 and len(again.records()) == 8  # nothing written twice
    assert again.summary["sources"]["gov-pdf"]["stop_reason"] == "caught up"


@pytest.mark.integration
def test_a_pdf_over_the_size_cap_keeps_its_listing_values(tmp_path, serve):
    big = "/gov-pdf/media/releases/2024/MR-2024-027.pdf"

    def hook(handler, path: str) -> bool:
        if path != big:
            return False
        # Nine megabytes, over DOWNLOAD_MAXSIZE (8 MB) as Scrapy's default settings here cap it.
        handler.send_whole(200, b"%PDF-1.7\n" + b"0" * (9 * 1024 * 1024) + b"\n%%EOF\n", "application/pdf")
        return True

    srv = serve(hook)
    result = run_crawl(tmp_path, srv.url, "-a", "source=gov-pdf")
    assert result.returncode == 0, result.stderr[-3000:]
    got = by_path(result.records(), srv)
    assert len(got) == 8
    record = got[big]
    assert (record["title"], record["published"], record["body"]) == (
        "Road toll: February 2024 figures",
        "2024-03-04",
        None,
    )
    assert record["detail_error"].startswith("refused") and "size" in record["detail_error"]
    assert got["/gov-pdf/media/releases/2024/MR-2024-031.pdf"]["body"] == written_text(
        BY_FILE["2024/MR-2024-031.pdf"]
    )
    source = result.summary["sources"]["gov-pdf"]
    assert [t["url"].replace(srv.url, "") for t in source["traps"]] == [big]
