"""Releases published as PDF: telling a PDF answer from a page, and reading its text, its dates
and its language (pypdf).

Pure functions over the answer's bytes: ``is_pdf`` decides by the Content-Type (whatever the URL
says), ``read_pdf`` reads the file or raises UnreadablePdf (broken, cut short, encrypted), and
``parse_pdf`` gives what a release page gives (``parse_detail``'s fields), with the release's day
where the listing prints none: its dateline, else the file's CreationDate; never guessed.
"""

from __future__ import annotations

import datetime as dt
import io
import logging
import re
from dataclasses import dataclass, field
from itertools import pairwise
from typing import TYPE_CHECKING

from pressbot.dates import AmbiguousOrder, DateProblem, parse_date, parse_datetime, publisher_time
from pressbot.pagedates import PAGE_METADATA, PAGE_TEXT
from pressbot.pagetext import detect_language, language_tag
from pressbot.parsing import EntryProblem
from pressbot.text import squash

if TYPE_CHECKING:
    from pressbot.profiles import Profile

logger = logging.getLogger(__name__)

#: EntryProblem.kind of a PDF that could not be read at all (its release keeps the listing's
#: values, with detail_error), of one that holds no text (a scan), and of a dateline that
#: could not be read as one day.
UNREADABLE_PDF = "unreadable_pdf"
NO_TEXT = "no_text"
PDF_DATE = "pdf_date"

#: Content-Types that say PDF.
PDF_TYPES = frozenset(
    {"application/pdf", "application/x-pdf", "application/acrobat", "applications/vnd.pdf", "text/pdf"}
)
#: Content-Types that say nothing of what the file is (or none at all, as file: URLs answer):
#: these are PDFs when their bytes say so.
UNTYPED = frozenset(
    {"", "application/octet-stream", "binary/octet-stream", "application/download", "application/x-download"}
)
#: Pages read of one PDF: a release is a few pages; a 900-page report linked from a listing is
#: read this far (and reported), so that one file cannot hold the crawl for minutes.
MAX_PAGES = 50
#: A line this long or shorter found on every page is a running header or footer.
RUNNING_CHARS = 100
#: A paragraph longer than this is no dateline...
DATELINE_CHARS = 60
#: ...and one longer than this is the text itself: a dateline is looked for above it (in the
#: letterhead and the heading), and at its start (a wire-style dateline), not further down.
TEXT_CHARS = 120


class _Lazy:
    """A regular expression compiled when first used: a crawl that meets no PDF never pays
    the few milliseconds of compiling them all."""

    def __init__(self, pattern: str, flags: int = 0) -> None:
        self.pattern, self.flags = pattern, flags
        self.compiled: re.Pattern[str] | None = None

    def __call__(self) -> re.Pattern[str]:
        if self.compiled is None:
            self.compiled = re.compile(self.pattern, self.flags)
        return self.compiled


class UnreadablePdf(ValueError):
    """A PDF that cannot be read (broken, cut short, encrypted); the message says why."""


@dataclass
class PdfDocument:
    """What a PDF file holds, as read."""

    #: The text, paragraph by paragraph, page numbers and running headers left out.
    paragraphs: list[str]
    #: The first page's paragraphs, each with its number of lines (where a dateline is).
    first_page: list[tuple[str, int]] = field(default_factory=list)
    #: The document information's CreationDate and ModDate, ISO 8601 (with the file's offset
    #: where it gives one; a date alone where it gives no time).
    created: str | None = None
    modified: str | None = None
    #: The catalog's /Lang, as a language tag.
    language: str | None = None
    pages: int = 0
    pages_read: int = 0


def is_pdf(content_type: str | None, body: bytes) -> bool:
    """Whether an answer is a PDF: its Content-Type says so; or it says nothing of the kind
    (none, ``application/octet-stream``) and the bytes begin as a PDF's do. A ``.pdf`` URL
    that answers ``text/html`` is a page."""
    media = (content_type or "").split(";")[0].strip().lower()
    if media in PDF_TYPES:
        return True
    return media in UNTYPED and b"%PDF-" in body[:1024]


def read_pdf(body: bytes) -> PdfDocument:
    """The text, dates and language of a PDF file; raises UnreadablePdf with the reason."""
    if b"%PDF-" not in body[:1024]:
        start = body[:40].decode("latin-1").strip()
        raise UnreadablePdf(f"not a PDF file (it begins {start!r})" if start else "the file is empty")
    if b"%%EOF" not in body[-4096:]:
        # pypdf would read what it can of it: a body cut off after page 2 of 5 is no body.
        raise UnreadablePdf("the file is cut short (it does not end with %%EOF)")
    from pypdf import PasswordType, PdfReader

    try:
        reader = PdfReader(io.BytesIO(body), strict=False)
        if reader.is_encrypted and reader.decrypt("") == PasswordType.NOT_DECRYPTED:
            raise UnreadablePdf("it is encrypted: a password is needed to open it")
        count = len(reader.pages)
        if not count:
            raise UnreadablePdf("it has no pages")
        texts = [_page_lines(reader.pages[i]) for i in range(min(count, MAX_PAGES))]
    except UnreadablePdf:
        raise
    except Exception as exc:  # pypdf's errors, and whatever a hostile file makes it raise
        logger.debug("could not read a PDF", exc_info=True)
        raise UnreadablePdf(f"it cannot be read: {_error(exc)}") from None
    info = _info(reader)
    pages = [_paragraphs(lines) for lines in texts]
    return PdfDocument(
        paragraphs=_without_running_lines([[text for text, _ in page] for page in pages]),
        first_page=pages[0] if pages else [],
        created=pdf_date(info.get("/CreationDate")),
        modified=pdf_date(info.get("/ModDate")),
        language=_catalog_language(reader),
        pages=count,
        pages_read=len(texts),
    )


def _error(exc: Exception) -> str:
    text = squash(str(exc))[:200]
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _info(reader) -> dict:
    try:
        info = reader.metadata
        return {str(k): v for k, v in (info or {}).items() if isinstance(v, str)}
    except Exception:  # a damaged information dictionary: the text still reads
        return {}


def _catalog_language(reader) -> str | None:
    try:
        return language_tag(str(reader.trailer["/Root"].get("/Lang") or ""))
    except Exception:
        return None


#: C0 control characters but the line breaks: no text holds them.
_CONTROLS = dict.fromkeys(c for c in range(32) if chr(c) not in "\n\t\r")


@dataclass(frozen=True)
class Line:
    """One line of a page's text: how high up the page it starts, and its type size."""

    text: str
    y: float
    size: float


def _page_lines(page) -> list[Line]:
    """A page's lines as pypdf reads them (with its own spacing between words), each with
    the position and size of its first piece of text."""
    pieces: list[tuple[str, list, list, float]] = []

    def visit(text: str, cm: list, tm: list, font: object, size: float) -> None:
        pieces.append((text, cm, tm, size))

    page.extract_text(visitor_text=visit)
    lines: list[Line] = []
    words: list[str] = []
    where: tuple[float, float] | None = None
    for text, cm, tm, size in pieces:
        text = text.translate(_CONTROLS)  # (a font without a text map yields NULs and the like)
        for i, part in enumerate(text.split("\n")):
            if i:  # a line ends
                if (line := squash("".join(words))) and where is not None:
                    lines.append(Line(line, *where))
                words, where = [], None
            if where is None and part.strip():
                # The text matrix in the page's space: where the line is, and how big.
                y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
                scale = abs(tm[3] * cm[3] + tm[2] * cm[1]) or 1.0
                where = (y, size * scale)
            words.append(part)
    if (line := squash("".join(words))) and where is not None:
        lines.append(Line(line, *where))
    return lines


_PAGE_NUMBER = _Lazy(
    r"(?:page|seite|página|pagina)?\s*[-–—]?\s*\d{1,3}\s*(?:(?:of|/|von|de|sur|di)\s*\d{1,3})?\s*[-–—]?",
    re.IGNORECASE,
)
_SOFT_BREAK = _Lazy(r"(?<=[^\W\d_])-$")


def _paragraphs(lines: list[Line]) -> list[tuple[str, int]]:
    """A page's lines as paragraphs, each with the number of lines it had. One ends where the
    type size changes (a heading, a footer), where the gap to the next line is wider than the
    page's line spacing (the space word processors leave between paragraphs), or where the next
    line is not below it (a new column, a box). A line ending in a hyphen after a letter runs
    on into the next (``Twenty-`` / ``three``); the others join with a space. Page numbers are
    left out."""
    # The line spacing, in type sizes: the closest two lines of one size are (a line's height
    # or more: a superscript is no line). A gap over 1.75 sizes ends a paragraph on any page.
    spacings = [
        (a.y - b.y) / a.size
        for a, b in pairwise(lines)
        if _same_size(a, b) and 0.8 * a.size <= a.y - b.y <= 3 * a.size
    ]
    spacing = min(spacings, default=None)
    groups: list[list[str]] = []
    for prev, line in zip([None, *lines], lines, strict=False):
        gap = (prev.y - line.y) / line.size if prev is not None else 0.0
        if (
            prev is None
            or spacing is None
            or not _same_size(prev, line)
            or not 0 < gap <= min(spacing * 1.3, 1.75)
        ):
            groups.append([line.text])
        else:
            groups[-1].append(line.text)
    paragraphs = []
    for group in groups:
        joined = group[0]
        for nxt in group[1:]:
            joined += nxt if _SOFT_BREAK().search(joined) and nxt[:1].islower() else " " + nxt
        if not _PAGE_NUMBER().fullmatch(joined):
            paragraphs.append((joined, len(group)))
    return paragraphs


def _same_size(a: Line, b: Line) -> bool:
    return abs(a.size - b.size) <= 0.1 * max(a.size, b.size)


def _without_running_lines(pages: list[list[str]]) -> list[str]:
    """Every page's paragraphs in order; a line on every page of several (a running header
    or footer, page numbers masked) is kept once, where it first appears."""
    if len(pages) < 2:
        return [p for page in pages for p in page]

    def mask(p: str) -> str:
        return re.sub(r"\d+", "#", p)

    # (Only short lines: a header or a footer, never a paragraph of the text.)
    running = set.intersection(*({mask(p) for p in page if len(p) <= RUNNING_CHARS} for page in pages))
    out: list[str] = []
    seen: set[str] = set()
    for page in pages:
        for p in page:
            key = mask(p)
            if key in running:
                if key in seen:
                    continue
                seen.add(key)
            out.append(p)
    return out


_PDF_DATE = _Lazy(
    r"(?:D:)?(\d{4})(\d{2})?(\d{2})?(\d{2})?(\d{2})?(\d{2})?\s*(?:([Zz])|([+-])(\d{2})'?(\d{2})?'?)?"
)


def pdf_date(value: str | None) -> str | None:
    """A PDF date string (``D:20240314083012+10'00'``) as ISO 8601: with its offset where it
    has one (``Z`` for UTC), without where it has none, a date alone where it gives no time;
    None where it is not a date."""
    if not value:
        return None
    match = _PDF_DATE().match(value.strip())
    if match is None:
        return None
    year, month, day, hour, minute, second, zulu, sign, off_h, off_m = match.groups()
    try:
        if hour is None:
            return dt.date(int(year), int(month or 1), int(day or 1)).isoformat() if day else None
        tz = None
        if zulu:
            tz = dt.UTC
        elif sign:
            delta = dt.timedelta(hours=int(off_h), minutes=int(off_m or 0))
            tz = dt.timezone(-delta if sign == "-" else delta)
        moment = dt.datetime(
            int(year), int(month), int(day), int(hour), int(minute or 0), int(second or 0), tzinfo=tz
        )
    except (ValueError, TypeError, OverflowError):
        return None
    return parse_datetime(moment.isoformat())


# --- what the release gets -------------------------------------------------------------------------
_LABEL = _Lazy(
    r"^(?:date|dated|issued|released|published|for (?:immediate )?release)\s*(?:on)?\s*[:\-–—]?\s*",
    re.IGNORECASE,
)
#: A wire-style dateline opening the first paragraph: "CALDER, 4 March 2024 – Twenty-three …".
_WIRE = _Lazy(r"^[A-Z][A-Z .'’-]{1,40},\s+(.{6,40}?)\s+[–—-]{1,2}\s")


def parse_pdf(
    body: bytes, profile: Profile, problems: list[EntryProblem] | None = None, today: dt.date | None = None
) -> dict[str, str | None]:
    """A release PDF's fields, as ``parse_detail`` gives a page's: ``body``, ``language``,
    ``modified_at`` (the file's ModDate), and ``published``, the day the release is of, for a
    listing that prints none (the listing's date stands wherever it gives one):

    - a dateline near the top of the first page (a date alone in a paragraph, after a label
      such as ``Issued:``, or opening a wire-style first paragraph), read with the profile's
      ``[dates]``; a numeric one whose day/month order is not known is settled by the
      CreationDate's day when that is one of its two readings, else not read;
    - else the file's CreationDate, the day in the file's own offset.

    Raises UnreadablePdf for a file that cannot be read. ``problems`` gets a file with no text
    and a dateline that could not be read as one day.
    """
    if problems is None:
        problems = []
    doc = read_pdf(body)
    text = "\n\n".join(doc.paragraphs) or None
    if text is None:
        problems.append(
            EntryProblem(None, "body", NO_TEXT, "the PDF holds no text (a scan, without a text layer?)")
        )
    if doc.pages_read < doc.pages:
        problems.append(
            EntryProblem(
                None,
                "body",
                UNREADABLE_PDF,
                f"the PDF has {doc.pages} pages: its body holds the text of the first {doc.pages_read}",
            )
        )
    return {
        "body": text,
        "language": doc.language or detect_language(text),
        "modified_at": parse_datetime(doc.modified) if doc.modified else None,
        **_release_day(doc, profile, problems, today),
    }


def _release_day(
    doc: PdfDocument, profile: Profile, problems: list[EntryProblem], today: dt.date | None
) -> dict[str, str | None]:
    """``published``, and its ``date_source`` (pressbot.pagedates): the dateline is the PDF's
    text, its CreationDate its metadata."""
    day = _dateline_day(doc, profile, problems, today)
    if day is not None:
        return {"published": day[0], "date_source": PAGE_TEXT if day[1] else PAGE_METADATA}
    return {"published": None, "date_source": None}


def _dateline_day(
    doc: PdfDocument, profile: Profile, problems: list[EntryProblem], today: dt.date | None
) -> tuple[str, bool] | None:
    """(day, read off the dateline), or None."""
    created = _created_day(doc, profile, today)
    found: set[str] = set()
    ambiguous: list[AmbiguousOrder] = []
    for candidate in _datelines(doc.first_page):
        try:
            found.add(
                parse_date(
                    candidate,
                    profile.date_formats,
                    profile.date_languages,
                    profile.date_order,
                    today=today,
                    timezone=profile.date_timezone,
                )
            )
        except AmbiguousOrder as exc:
            ambiguous.append(exc)
        except DateProblem:
            pass
    for unsure in ambiguous:
        if created is not None and created in unsure.readings.values():
            found.add(created)  # the file was made that day: it settles the order
        else:
            problems.append(EntryProblem(None, "published", PDF_DATE, f"the PDF's dateline: {unsure}"))
            return None
    if len(found) > 1:
        days = ", ".join(sorted(found))
        problems.append(
            EntryProblem(None, "published", PDF_DATE, f"the PDF's first page prints several dates ({days})")
        )
        return None
    if found:
        return found.pop(), True
    return (created, False) if created is not None else None


def _datelines(paragraphs: list[tuple[str, int]]) -> list[str]:
    """What on the first page may be the release's date: a paragraph of one short line above
    the text (less a label such as ``Issued:``), and the date of a wire-style dateline opening
    the text. A date inside the text (a closing date, an event) is none of these."""
    found = []
    for text, lines in paragraphs:
        if len(text) > TEXT_CHARS:
            wire = _WIRE().match(text)
            if wire:
                found.append(wire.group(1).rstrip(","))
            break
        if lines == 1 and len(text) <= DATELINE_CHARS:
            found.append(_LABEL().sub("", text).strip(" .,"))
    return found


def _created_day(doc: PdfDocument, profile: Profile, today: dt.date | None) -> str | None:
    """The CreationDate's day, as a timestamp's (``[dates] timezone`` makes a time in UTC the
    publisher's day), where it can be the release's: not before 1990 nor in the future (a
    file made in 1970, or next year, was made by a clock that was wrong)."""
    if not doc.created:
        return None
    local = publisher_time(doc.created, profile.date_timezone) if "T" in doc.created else None
    try:
        return parse_date((local or doc.created)[:10], today=today)
    except DateProblem:
        return None
