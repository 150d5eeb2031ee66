"""The report as a person sees it: opened offline in headless Chromium (Debian's `chromium`).

What the browser made of the page (its DOM after the scripts ran) is checked: every section, a
chart of 52 bars per source, each bar with the tooltip the report's script gives it, the tables'
rows; and the browser's console must stay silent (a script error, or anything the page tried to
fetch, which its Content-Security-Policy refuses, is a console message). A screenshot is left in
``.pytest-artifacts/report.png`` for people to look at.
"""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess

import lxml.html
import pytest

from bench.history import write_history
from pressbot import report
from tests.conftest import ROOT

pytestmark = pytest.mark.integration

SOURCES = 4
RUNS = 150
ARTIFACTS = ROOT / ".pytest-artifacts"


def chromium(tmp_path, page, *args: str) -> subprocess.CompletedProcess:
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        pytest.fail("headless Chromium is needed: apt-get install chromium (.ci/run installs it)")
    return subprocess.run(
        [
            browser,
            "--headless",
            "--no-sandbox",  # (root, in CI)
            "--disable-gpu",
            "--no-first-run",
            f"--user-data-dir={tmp_path / 'chromium'}",
            "--enable-logging=stderr",
            "--v=0",
            *args,
            page.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )


def console(done: subprocess.CompletedProcess) -> list[str]:
    """What the page said on the browser's console (script errors, refused fetches)."""
    return [line for line in done.stderr.splitlines() if ":CONSOLE" in line]


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    folder = tmp_path_factory.mktemp("history")
    made = write_history(folder, runs=RUNS, releases=6000, sources=SOURCES)
    text = report.build_report(report.read_runs(folder / "runs"), report.read_dataset([made["dataset"]]))
    path = folder / "report.html"
    report.write_report(text, path)
    return path


def test_the_report_in_a_browser(page, tmp_path):
    done = chromium(tmp_path, page, "--dump-dom")
    assert console(done) == []
    dom = lxml.html.fromstring(done.stdout)
    others = dom.xpath("//section[not(contains(@class, 'source'))]")
    assert [s.get("id") for s in others] == ["sources", "runs"]
    sections = dom.xpath("//section[contains(@class, 'source')]")
    assert [s.get("id") for s in sections] == [f"source-press-{i:02d}" for i in range(SOURCES)]
    for section in sections:
        charts = section.xpath(".//figure[@class='chart']//*[local-name()='svg']")
        assert len(charts) == 1
        bars = charts[0].xpath(".//*[local-name()='g'][@class='bar']")
        assert len(bars) == 52
        # The report's script ran: each bar has its tooltip, "week: releases".
        tips = [b.xpath("./*[local-name()='title']/text()") for b in bars]
        assert all(len(t) == 1 for t in tips)
        week = dt.date.today() - dt.timedelta(days=dt.date.today().weekday())
        assert tips[-1][0].startswith(week.isoformat() + ": ")
        assert sum(int(t[0].rsplit(": ", 1)[1]) for t in tips) > 0
        assert len(section.xpath(".//ol[@class='releases']/li/a[starts-with(@href, 'https://')]")) == 10
    assert len(dom.xpath("//table[@class='overview']//tr[@class='source']")) == SOURCES
    assert len(dom.xpath("//table[@class='runs']//tr[@class='run']")) == 100
    assert sum(int(n.replace(",", "")) for n in dom.xpath("//table[@class='codes']//tr/td[3]/text()")) == RUNS
    assert dom.xpath("//p[contains(@class, 'silent')]/a/text()") == ["press-03"]
    assert "generated" in dom.xpath("string(//header)")


def test_a_screenshot_for_people_to_look_at(page, tmp_path):
    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "report.png"
    shot.unlink(missing_ok=True)
    done = chromium(tmp_path, page, "--hide-scrollbars", "--window-size=1200,1600", f"--screenshot={shot}")
    assert console(done) == []
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert (int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")) == (1200, 1600)
    assert len(data) > 50_000  # a page of text and charts, not a blank one


def test_the_browser_check_sees_script_errors_and_fetches(page, tmp_path):
    """The console check can fail: a broken script, or a page that fetches, is seen."""
    broken = tmp_path / "broken.html"
    text = page.read_text(encoding="utf-8")
    broken.write_text(
        text.replace("</body>", '<img src="https://example.org/x.png"><script>nope();</script></body>'),
        encoding="utf-8",
    )
    said = "\n".join(console(chromium(tmp_path, broken, "--dump-dom")))
    assert "nope is not defined" in said
    assert "Content Security Policy" in said
