"""Every saved-page case, offline (fixtures/cases/<case>/): every field of every entry, and the
next links, against the expected file a person checked against the page. No reactor, no HTTP.

Re-run one case: ``python -m pytest tests/test_cases.py -k NAME``.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest

from pressbot import outcome
from pressbot.cases import (
    FIXTURES_URL,
    RECORD_FIELDS,
    case_diff,
    case_names,
    load_case,
    run_case,
)
from pressbot.profiles import available_sources, load_profile
from tests.conftest import FIXTURES, ROOT

CASES = case_names()
#: Cases where pressbot's output disagrees with the page (case.json's "wrong" says how). Their
#: expected files say what the page says; the test fails until pressbot does too (strict: a fix
#: shows up as an XPASS), and `scrapy check` counts them as expected failures.
WRONG = {name: case.wrong for name in CASES if (case := load_case(name)).wrong}


def _params():
    for name in CASES:
        marks = [pytest.mark.xfail(strict=True, reason=WRONG[name])] if name in WRONG else []
        yield pytest.param(name, marks=marks, id=name)


@pytest.mark.parametrize("name", list(_params()))
def test_case(name):
    case = load_case(name)
    problems = case_diff(case.expected(), run_case(case))
    assert not problems, (
        f"{name}: pressbot's output differs from {case.expected_file} "
        f"(the page: {case.page}):\n" + "\n".join(problems)
    )


@pytest.mark.parametrize("source", sorted(available_sources()))
def test_every_shipped_source_has_its_cases(source):
    """Each source's start page is a listing case; a source that follows release pages has at
    least two of them; every record holds every field but the run's own."""
    cases = [load_case(n) for n in CASES]
    mine = [c for c in cases if c.profile_ref == source]
    profile = load_profile(available_sources()[source], FIXTURES_URL)
    assert set(profile.start_urls) <= {c.url for c in mine if c.kind == "listing"}
    if profile.follow_detail:
        assert len([c for c in mine if c.kind == "detail"]) >= 2
    for case in mine:
        expected = case.expected()
        if case.kind == "listing":
            assert set(expected) == {"next", "records"}, case.name
            for record in expected["records"]:
                assert tuple(record) == RECORD_FIELDS, case.name
                assert (record["source"], record["listing_url"]) == (source, case.url), case.name
        else:
            assert set(expected) == {"adds"}, case.name


def test_a_diff_names_each_value_that_differs():
    want = {"next": ["a"], "records": [{"title": "A", "published": "2020-07-29"}]}
    got = {"next": [], "records": [{"title": "A", "published": "2020-07-30"}, {"title": "B"}]}
    assert case_diff(want, got) == [
        "next:\n    expected ['a']\n    got      []",
        "records: expected 1 items, got 2",
        "records[0].published:\n    expected '2020-07-29'\n    got      '2020-07-30'",
    ]


# --- saving a case: `scrapy inspect ... --save-case NAME` -------------------------------------


def _inspect(tmp_path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "scrapy", "inspect", *args, "-s", f"PRESSBOT_CASES_DIR={tmp_path / 'cases'}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )


def _saved_case_passes(tmp_path, name: str, like: str):
    """The saved case loads, passes, and its draft matches the bundled hand-checked case."""
    case = load_case(name, tmp_path / "cases")
    assert case_diff(case.expected(), run_case(case)) == []
    assert case.expected() == load_case(like).expected()
    return case


@pytest.mark.integration
def test_save_case_of_a_fixture_page_references_it(tmp_path):
    page = "fixtures/wp-news/category/press-releases/page/2/index.html"
    url = "https://fixtures.invalid/wp-news/category/press-releases/page/2/"
    proc = _inspect(tmp_path, "wp-news", page, "--url", url, "--save-case", "wp-news-two")
    assert proc.returncode == 0, proc.stderr
    assert "matched 5 entries" in proc.stdout  # the inspection, as without --save-case
    assert f"saved   case wp-news-two in {tmp_path / 'cases' / 'wp-news-two'}/" in proc.stdout
    assert "CHECK   expected.json is only a draft: read the page" in proc.stdout
    assert "python -m pytest tests/test_cases.py -k wp-news-two" in proc.stdout
    folder = tmp_path / "cases" / "wp-news-two"
    assert sorted(p.name for p in folder.iterdir()) == ["case.json", "expected.json"]
    assert json.loads((folder / "case.json").read_text()) == {
        "source": "wp-news",
        "kind": "listing",
        "url": url,
        "page": "wp-news/category/press-releases/page/2/index.html",
    }
    _saved_case_passes(tmp_path, "wp-news-two", like="wp-news-page-2")


@pytest.mark.integration
def test_save_case_of_a_release_page(tmp_path):
    page = "fixtures/wp-news/2023/05/04/river-quality-report-2022/index.html"
    proc = _inspect(tmp_path, "wp-news", page, "--detail", "--save-case", "report")
    assert proc.returncode == 0, proc.stderr
    case = _saved_case_passes(tmp_path, "report", like="wp-news-release-river-quality-report-2022")
    # Without --url, a page under fixtures/ stands for its path under the fixed fixtures URL.
    assert (case.kind, case.url) == (
        "detail",
        f"{FIXTURES_URL}/wp-news/2023/05/04/river-quality-report-2022/index.html",
    )


@pytest.mark.integration
def test_save_case_of_a_page_elsewhere_freezes_a_copy(tmp_path):
    page = tmp_path / "saved.html"
    shutil.copy(FIXTURES / "amnesty-ca" / "news" / "page-3.html", page)
    url = "https://fixtures.invalid/amnesty-ca/news/page-3.html"
    proc = _inspect(tmp_path, "amnesty-ca", str(page), "--url", url, "--save-case", "frozen")
    assert proc.returncode == 0, proc.stderr
    folder = tmp_path / "cases" / "frozen"
    assert json.loads((folder / "case.json").read_text()) == {
        "source": "amnesty-ca",
        "kind": "listing",
        "url": url,
        "copy": "page.html",
    }
    assert (folder / "page.html").read_bytes() == page.read_bytes()
    page.unlink()  # the case no longer needs the original
    _saved_case_passes(tmp_path, "frozen", like="amnesty-ca-page-3")


@pytest.mark.parametrize(
    "args, message",
    [
        (("amnesty-ca", "{elsewhere}", "--save-case", "x"), "give the URL the page stands for (--url)"),
        (
            ("amnesty-ca", "fixtures/amnesty-ca/news/index.html", "--save-case", "../x"),
            "case name '../x': use letters, digits",
        ),
        (
            ("amnesty-ca", "fixtures/amnesty-ca/news/index.html", "--save-case", "taken"),
            "taken exists: a case's expected file was checked by a person",
        ),
    ],
)
@pytest.mark.integration
def test_save_case_refusals(tmp_path, args, message):
    (tmp_path / "cases" / "taken").mkdir(parents=True)
    shutil.copy(FIXTURES / "amnesty-ca" / "news" / "index.html", tmp_path / "elsewhere.html")
    args = tuple(a.replace("{elsewhere}", str(tmp_path / "elsewhere.html")) for a in args)
    proc = _inspect(tmp_path, *args)
    assert proc.returncode == outcome.BAD_CONFIG
    assert "pressbot: error: " in proc.stderr and message in proc.stderr, proc.stderr
    assert proc.stdout == ""
    assert sorted(p.name for p in (tmp_path / "cases").iterdir()) == ["taken"]
