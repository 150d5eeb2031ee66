"""The profile development tool: entries field by field, why a field is empty, drift."""

from __future__ import annotations

import io
import subprocess
import sys

import pytest

from pressbot import outcome
from pressbot.inspect import inspect_page, resolve_profile
from tests.conftest import FIXTURES, ROOT


def test_inspect_shows_every_field_and_why_empty():
    profile = resolve_profile("amnesty-ca")
    body = (FIXTURES / "amnesty-ca" / "news" / "page-3.html").read_bytes()
    out = io.StringIO()
    drift = inspect_page(profile, body, "https://www.amnesty.ca/news/page-3.html", out)
    text = out.getvalue()
    assert drift == 0
    assert "matched 4 entries" in text
    assert "published_raw 'July 08, 2020' -> 2020-07-08" in text
    assert "subtitle      (empty: css:.field--name-field-subtitle matched nothing)" in text
    # A subtitle's list items, one a line: shown on one line, with the breaks marked.
    assert "subtitle      Airstrikes kill civilians, including children ↵ Arbitrary" in text
    assert "https://www.amnesty.ca/news/myanmar-rakhine-chin-airstrikes.html" in text
    assert text.rstrip().endswith("checks  ok")


@pytest.mark.integration
def test_inspect_command_reports_drift():
    page = FIXTURES / "redesign" / "amnesty-ca" / "news" / "index.html"
    proc = subprocess.run(
        [sys.executable, "-m", "scrapy", "inspect", "amnesty-ca", str(page)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == outcome.DRIFT
    assert "DRIFT   entry selector css:.view-news .views-row" in proc.stdout


@pytest.mark.integration
def test_inspect_command_bad_profile(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('name = "x"\n')
    page = FIXTURES / "amnesty-ca" / "news" / "index.html"
    proc = subprocess.run(
        [sys.executable, "-m", "scrapy", "inspect", str(bad), str(page)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == outcome.BAD_CONFIG
    assert f"pressbot: error: {bad}: [base_url]" in proc.stderr


def test_inspect_reads_the_page_in_the_encoding_it_declares():
    profile = resolve_profile("amnesty-ca")
    body = (FIXTURES / "amnesty-ca" / "news" / "page-3.html").read_text(encoding="utf-8")
    body = body.replace("<head>", '<head><meta charset="windows-1252">', 1)
    body = body.replace("Airstrikes kill civilians", "Frappes aériennes", 1)
    out = io.StringIO()
    inspect_page(
        profile, body.encode("cp1252", errors="replace"), "https://www.amnesty.ca/news/page-3.html", out
    )
    assert "Frappes aériennes" in out.getvalue()


@pytest.mark.integration
def test_inspect_command_bad_url():
    proc = subprocess.run(
        [sys.executable, "-m", "scrapy", "inspect", "amnesty-ca", "http://[oops/news"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == outcome.BAD_CONFIG
    assert "pressbot: error: cannot read http://[oops/news" in proc.stderr


@pytest.mark.integration
def test_inspect_command_shows_a_profile_s_old_keys_and_their_new_names():
    old_keys = ROOT / "tests" / "old_profiles" / "amnesty-ca.toml"
    page = FIXTURES / "amnesty-ca" / "news" / "page-3.html"
    proc = subprocess.run(
        [sys.executable, "-m", "scrapy", "inspect", str(old_keys), str(page)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0
    assert (
        f"ProfileDeprecationWarning: {old_keys}: [listing.fields.published] is deprecated: "
        "the key is now published_raw"
    ) in proc.stderr
    assert "published_raw 'July 08, 2020' -> 2020-07-08" in proc.stdout


def test_inspect_reads_a_later_page_of_a_mixed_listing_as_json_with_page():
    profile = resolve_profile("mixed-newsroom")
    body = (FIXTURES / "mixed-newsroom" / "news" / "more-2.json").read_bytes()
    out = io.StringIO()
    assert inspect_page(profile, body, "https://press.invalid/news/more-2.json", out, page_no=2) == 0
    text = out.getvalue()
    assert "read as [listing.json]: page 2" in text and "entry   jmes:items matched 10 entries" in text
    assert "subtitle      Level boarding at every tram stop by 2026 ↵ Work funded" in text
    # Read as the start page it is not, it is drift, and the hint says what to do.
    out = io.StringIO()
    assert inspect_page(profile, body, "https://press.invalid/news/more-2.json", out) == 1
    assert "HINT    a page after the start pages is read with [listing.json]: give --page 2" in out.getvalue()
