"""Saved-page cases (fixtures/cases/<case>/): load one, run it offline, save a new one.

A case is a folder holding ``case.json`` (the source, the kind of page, the URL it stands for and
where the saved page is) and ``expected.json``, what pressbot must make of that page, written or
at least checked by a person who read it. Running a case is pure: page bytes + URL + profile ->
``parse_listing`` or ``parse_detail`` -> ``normalise``; no crawler, no reactor, no HTTP.

``case.json``::

    {"source": "wp-news", "kind": "listing",
     "url": "https://fixtures.invalid/wp-news/category/press-releases/",
     "page": "wp-news/category/press-releases/index.html"}

``page`` is a page under fixtures/ (referenced, not copied); ``copy`` instead names a frozen copy
inside the case folder. ``page_no`` (default 1) is the page's place in its walk: for a profile
whose pages after the start pages are JSON (``[listing.json]``), a case with ``page_no`` 2 or more
is read as one of those. ``source`` is a bundled profile (``profile``: a profile file instead).
``wrong``, where pressbot still gets the page wrong, says how: expected.json keeps what the page
says, and the case is an expected failure until pressbot reads the page right (then it fails, so
that the mark is taken off).
Profiles are loaded with ``{fixtures}`` = ``https://fixtures.invalid``, so ids never depend on the
machine. ``expected.json`` holds, for a listing, ``{"next": [...], "records": [...]}``: the links
the profile's next/pager selectors find, and every field of every entry except those that depend
on the run (crawled_at, revision); for a release page, ``{"adds": {...}}``: the fields it gives
(a release page that is a PDF file, as its bytes say, is read as the crawl reads one: pressbot.pdf).
"""

from __future__ import annotations

import dataclasses
import json
import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from w3lib.encoding import html_body_declared_encoding

from pressbot import bundled
from pressbot.items import Release
from pressbot.normalise import normalise
from pressbot.parsing import page_from_bytes, parse_detail, parse_listing
from pressbot.pdf import is_pdf, parse_pdf
from pressbot.profiles import FIXTURES_DIR, Profile, available_sources, load_profile

#: What ``{fixtures}`` means in a case's profile: the bundled sites' origin, as in a crawl of them.
FIXTURES_URL = bundled.ORIGIN
#: The bundled cases.
CASES_DIR = FIXTURES_DIR / "cases"
KINDS = ("listing", "detail")
#: Item fields a case does not compare: they depend on the run (and how its fetches went), not
#: on the page.
RUN_FIELDS = ("crawled_at", "revision", "detail_error")
RECORD_FIELDS = tuple(f.name for f in dataclasses.fields(Release) if f.name not in RUN_FIELDS)
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")
_SUFFIX = {"html": ".html", "xml": ".xml", "json": ".json"}


class CaseError(ValueError):
    """A case that cannot be loaded or saved; the message says which and why."""


@dataclass(frozen=True)
class Case:
    name: str
    folder: Path
    kind: str
    #: The URL the saved page stands for: its links resolve against it, it is the listing_url.
    url: str
    #: The saved page's file (under fixtures/, or a copy in the case folder).
    page: Path
    #: A bundled profile name, or a profile file.
    profile_ref: str
    encoding: str | None = None
    #: The page's place in its walk (1: a start page).
    page_no: int = 1
    #: How pressbot still gets this page wrong (case.json's ``wrong``), or None.
    wrong: str | None = None

    def profile(self) -> Profile:
        """The profile that reads the case's page (for a listing, as page ``page_no``)."""
        path = available_sources().get(self.profile_ref, Path(self.profile_ref))
        profile = load_profile(path, FIXTURES_URL)
        return profile.for_page(self.page_no) if self.kind == "listing" else profile

    def body(self) -> bytes:
        return self.page.read_bytes()

    @property
    def expected_file(self) -> Path:
        return self.folder / "expected.json"

    def expected(self) -> dict[str, Any]:
        return json.loads(self.expected_file.read_text(encoding="utf-8"))


def case_names(cases_dir: Path = CASES_DIR) -> list[str]:
    """Every case in a folder of cases, by name."""
    if not cases_dir.is_dir():
        return []
    return sorted(p.name for p in cases_dir.iterdir() if (p / "case.json").is_file())


def load_case(name: str, cases_dir: Path = CASES_DIR, fixtures_dir: Path = FIXTURES_DIR) -> Case:
    """Read ``cases_dir/name/case.json``; a saved page under fixtures/ is found in
    ``fixtures_dir``."""
    folder = cases_dir / name
    try:
        meta = json.loads((folder / "case.json").read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CaseError(
            f"{folder}: no case.json (known cases: {', '.join(case_names(cases_dir)) or 'none'})"
        ) from None
    except ValueError as exc:
        raise CaseError(f"{folder / 'case.json'}: not valid JSON: {exc}") from None
    kind = meta.get("kind", "listing")
    if kind not in KINDS:
        raise CaseError(f"{folder / 'case.json'}: kind {kind!r} must be one of {', '.join(KINDS)}")
    if ("page" in meta) == ("copy" in meta):
        raise CaseError(
            f"{folder / 'case.json'}: give either page (under fixtures/) or copy (in the case folder)"
        )
    page = fixtures_dir / meta["page"] if "page" in meta else folder / meta["copy"]
    ref = meta.get("source") or meta.get("profile")
    if not ref or not meta.get("url"):
        raise CaseError(f"{folder / 'case.json'}: source (or profile) and url are required")
    page_no = meta.get("page_no", 1)
    if not isinstance(page_no, int) or isinstance(page_no, bool) or page_no < 1:
        raise CaseError(f"{folder / 'case.json'}: page_no {page_no!r} must be a whole number of at least 1")
    wrong = meta.get("wrong")
    if wrong is not None and (not isinstance(wrong, str) or not wrong.strip()):
        raise CaseError(f"{folder / 'case.json'}: wrong must say, in words, what pressbot gets wrong")
    return Case(
        name=name,
        folder=folder,
        kind=kind,
        url=meta["url"],
        page=page,
        profile_ref=ref,
        encoding=meta.get("encoding"),
        page_no=page_no,
        wrong=wrong,
    )


def run_case(case: Case) -> dict[str, Any]:
    """What pressbot makes of the case's page, in expected.json's shape (see the module doc)."""
    profile = case.profile()
    body = case.body()
    if case.kind == "detail" and is_pdf(None, body):  # a release published as PDF
        found = parse_pdf(body, profile)
        cleaned = normalise(found, profile)
        return {"adds": {key: cleaned[key] for key in found}}
    encoding = case.encoding or html_body_declared_encoding(body) or "utf-8"
    fmt = profile.format if case.kind == "listing" else "html"
    page = page_from_bytes(body, case.url, encoding, fmt, ids=profile.uses_xpath_id)
    if case.kind == "detail":
        found = parse_detail(page, case.url, profile, body=body)
        cleaned = normalise(found, profile)
        return {"adds": {key: cleaned[key] for key in found}}
    listing = parse_listing(page, case.url, profile)
    return {
        "next": listing.next_urls,
        "records": [_record(entry, profile, case.url) for entry in listing.entries],
    }


def _record(entry: dict, profile: Profile, listing_url: str) -> dict[str, Any]:
    # As the spider builds the item and the normalise pipeline fills it in.
    item = dataclasses.asdict(Release(source=profile.name, listing_url=listing_url, **entry))
    item.update(normalise(item, profile))
    return {name: item[name] for name in RECORD_FIELDS}


def case_diff(expected: dict[str, Any], got: dict[str, Any]) -> list[str]:
    """One line per value that differs, named by its place (``records[2].published``)."""
    lines: list[str] = []
    _diff(expected, got, "", lines)
    return lines


def _diff(want, got, where: str, lines: list[str]) -> None:
    if isinstance(want, dict) and isinstance(got, dict):
        for key in list(want) + [k for k in got if k not in want]:
            place = f"{where}.{key}" if where else key
            if key not in got:
                lines.append(f"{place}: missing (expected {want[key]!r})")
            elif key not in want:
                lines.append(f"{place}: not expected (got {got[key]!r})")
            else:
                _diff(want[key], got[key], place, lines)
    elif (
        isinstance(want, list) and isinstance(got, list) and all(isinstance(v, dict) for v in want + got)
    ):  # records: entry by entry
        if len(want) != len(got):
            lines.append(f"{where}: expected {len(want)} items, got {len(got)}")
        for i, (w, g) in enumerate(zip(want, got, strict=False)):
            _diff(w, g, f"{where}[{i}]", lines)
    elif want != got:
        lines.append(f"{where}:\n    expected {want!r}\n    got      {got!r}")


def save_case(
    name: str,
    profile_ref: str,
    body: bytes,
    url: str | None,
    kind: str = "listing",
    page_file: Path | None = None,
    cases_dir: Path = CASES_DIR,
    fixtures_dir: Path = FIXTURES_DIR,
    encoding: str | None = None,
    page_no: int = 1,
) -> Case:
    """Write ``cases_dir/name/``: case.json and a *draft* expected.json (pressbot's own output,
    which a person must then check against the page). A page under ``fixtures_dir`` is referenced;
    any other page (a live one, a file elsewhere) is copied into the case folder."""
    if not _NAME.fullmatch(name):
        raise CaseError(f"case name {name!r}: use letters, digits, '.', '-' and '_'")
    if kind not in KINDS:
        raise CaseError(f"kind {kind!r} must be one of {', '.join(KINDS)}")
    folder = cases_dir / name
    if folder.exists():
        raise CaseError(
            f"{folder} exists: a case's expected file was checked by a person; "
            "remove the folder first to save it again"
        )
    bundled = available_sources()
    if profile_ref not in bundled:
        profile_ref = str(Path(profile_ref).resolve())
    profile = load_profile(bundled.get(profile_ref, Path(profile_ref)), FIXTURES_URL)
    if kind == "listing":
        profile = profile.for_page(page_no)
    meta: dict[str, Any] = {"source" if profile_ref in bundled else "profile": profile_ref, "kind": kind}
    if page_no != 1:
        meta["page_no"] = page_no
    under = _relative_to(page_file, fixtures_dir) if page_file is not None else None
    if url is None:
        if under is None:
            raise CaseError(
                "give the URL the page stands for (--url): its links resolve "
                "against it, and its ids depend on it"
            )
        url = f"{FIXTURES_URL}/{under}"
    meta["url"] = url
    if under is not None:
        meta["page"] = under
    else:
        fmt = profile.format if kind == "listing" else "html"
        meta["copy"] = "page" + (
            page_file.suffix if page_file is not None and page_file.suffix else _SUFFIX[fmt]
        )
    if encoding:
        meta["encoding"] = encoding
    cases_dir.mkdir(parents=True, exist_ok=True)
    folder.mkdir()
    try:
        if "copy" in meta:
            (folder / meta["copy"]).write_bytes(body)
        _write_json(folder / "case.json", meta)
        case = load_case(name, cases_dir, fixtures_dir)
        _write_json(case.expected_file, run_case(case))
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return case


def _relative_to(path: Path, root: Path) -> str | None:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return None


def _write_json(path: Path, data: Any) -> None:
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def saved_message(case: Case) -> str:
    """What `scrapy inspect --save-case` says once it has written a case."""
    result = case.expected()
    what = (
        f"{len(result['records'])} entries, next: {', '.join(result['next']) or 'none'}"
        if case.kind == "listing"
        else f"fields {', '.join(result['adds'])}"
    )
    rerun = f"python -m pytest tests/test_cases.py -k {case.name}"
    if case.folder.parent.resolve() != CASES_DIR.resolve():
        rerun = f"move the folder to {CASES_DIR}/, then {rerun}"
    return (
        f"saved   case {case.name} in {case.folder}/: case.json, and expected.json as pressbot "
        f"reads the page today ({what})\n"
        "CHECK   expected.json is only a draft: read the page and check every value in it "
        "(titles, dates and their day/month order, paragraph breaks, subtitles, next links), "
        "and fix it where the page says otherwise before you commit it\n"
        f"re-run  {rerun}"
    )
