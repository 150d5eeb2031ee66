"""Scrapy's own commands inside the project (shell, fetch, view, parse, bench, list, settings,
check, runspider): each works, and none takes the run lock, writes a run summary or changes the
state or the output. The integration tests run real `scrapy` processes in a copy of the project
folder (its scrapy.cfg, so the default data/ paths) after a real crawl, against a fixture server
on 127.0.0.1, and compare every file in it byte for byte before and after.
"""

from __future__ import annotations

import ast
import json
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from scrapy.http import Request

from pressbot.cases import CASES_DIR, case_names, load_case
from pressbot.commands.check import CaseResult, check_case
from pressbot.devserver import FixtureServer
from pressbot.items import Release
from pressbot.run import Run
from tests.conftest import FIXTURES, FIXTURES_URL, ROOT, fixture_response, open_crawler

# --- in-process: the look the releases spider gets in those commands --------------------------


def test_a_look_opens_no_state_and_is_no_run(tmp_path):
    crawler, spider = open_crawler(tmp_path, {"PRESSBOT_LOOK_ONLY": True})
    assert Run.of(crawler) is None  # pipelines, summary, guard: all stand aside
    assert spider.run.looking and list(spider.run.profiles) == ["amnesty-ca"]
    with pytest.raises(RuntimeError, match="has no ledger"):
        spider.run.ledger  # noqa: B018
    # A listing page from outside the walk (scrapy parse URL): its source found by its URL,
    # every entry new (as on a first run), the next page a request, nothing walked.
    out = spider.parse_listing(fixture_response(f"{FIXTURES_URL}/amnesty-ca/news/index.html"))
    items = [o for o in out if isinstance(o, Release)]
    requests = [o for o in out if isinstance(o, Request)]
    assert [i.title for i in items] == [
        r["title"] for r in load_case("amnesty-ca-page-1").expected()["records"]
    ]
    assert [r.url for r in requests] == [f"{FIXTURES_URL}/amnesty-ca/news/page-2.html"]
    again = spider.parse_listing(fixture_response(f"{FIXTURES_URL}/amnesty-ca/news/index.html"))
    assert len(again) == len(out)  # looked at again: no pagination loop, the same page
    spider.closed("finished")
    assert list(tmp_path.iterdir()) == []  # no state, no output, no runs folder


def test_a_real_run_still_opens_its_state(tmp_path):
    crawler, spider = open_crawler(tmp_path)
    assert Run.of(crawler) is spider.run and not spider.run.looking
    spider.closed("finished")
    assert (tmp_path / "state.sqlite3").exists()


def test_a_release_page_from_outside_the_walk(tmp_path):
    _, spider = open_crawler(tmp_path, {"PRESSBOT_LOOK_ONLY": True}, source="amnesty-ca,wp-news")
    url = f"{FIXTURES_URL}/wp-news/2023/05/04/river-quality-report-2022/"
    [item] = spider.parse_detail(fixture_response(url))
    adds = load_case("wp-news-release-river-quality-report-2022").expected()["adds"]
    assert item.source == "wp-news" and item.url == url and item.listing_url is None
    assert {k: getattr(item, k) for k in adds} == adds


def test_a_page_of_no_source_is_refused_with_what_to_do(tmp_path):
    _, spider = open_crawler(tmp_path, {"PRESSBOT_LOOK_ONLY": True}, source="amnesty-ca,wp-news")
    with pytest.raises(
        ValueError, match="on none of the sources amnesty-ca, wp-news: give its source with -a"
    ):
        spider.run.source_of("https://elsewhere.example/news")


# --- in-process: a case as a contract (scrapy check) -----------------------------------------


def _checked(cases_dir: Path, name: str) -> CaseResult:
    result = CaseResult(open(os.devnull, "w"), True, 0)  # noqa: SIM115 - closed with the test
    check_case("releases", name, cases_dir, result)
    result.stream.close()
    return result


@pytest.fixture
def cases(tmp_path) -> Path:
    folder = tmp_path / "cases"
    shutil.copytree(CASES_DIR, folder)
    return folder


def _edit(path: Path, change) -> None:
    data = json.loads(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(json.dumps(data), encoding="utf-8")


def test_a_case_that_holds_passes(cases):
    result = _checked(cases, "amnesty-ca-page-2")
    assert result.wasSuccessful() and result.testsRun == 1 and not result.failures


def test_a_broken_case_fails_naming_the_case_and_field(cases):
    _edit(cases / "amnesty-ca-page-2" / "expected.json", lambda d: d["records"][1].update(title="Not it"))
    result = _checked(cases, "amnesty-ca-page-2")
    [(test, text)] = result.failures
    assert str(test) == "[releases] amnesty-ca-page-2 (case)"
    assert text.startswith("amnesty-ca-page-2: pressbot's output differs from")
    assert "records[1].title:\n    expected 'Not it'\n    got      'Angelina Jolie" in text
    assert "Traceback" not in text


def test_a_case_marked_wrong_is_an_expected_failure_until_it_holds(cases):
    # (No shipped case is marked wrong now: the feeds' paragraphs, once run together, are read
    # apart. A case whose expected file says what pressbot does not read, marked so:)
    _edit(cases / "amnesty-ca-page-2" / "expected.json", lambda d: d["records"][1].update(title="Not it"))
    _edit(cases / "amnesty-ca-page-2" / "case.json", lambda d: d.update(wrong="the title is not read"))
    result = _checked(cases, "amnesty-ca-page-2")
    assert result.wasSuccessful() and len(result.expectedFailures) == 1
    # Marked wrong, but pressbot reads the page as expected: take the mark off.
    _edit(cases / "amnesty-ca-page-3" / "case.json", lambda d: d.update(wrong="it was"))
    [(_, text)] = _checked(cases, "amnesty-ca-page-3").failures
    assert "marked wrong (it was), but pressbot now reads the page as" in text
    assert f'take "wrong" out of {cases / "amnesty-ca-page-3" / "case.json"}' in text


def test_a_case_that_cannot_be_read_is_an_error(cases):
    (cases / "amnesty-ca-page-1" / "expected.json").write_text("{not json", encoding="utf-8")
    [(_, text)] = _checked(cases, "amnesty-ca-page-1").errors
    assert text.startswith("amnesty-ca-page-1: cannot check the case:")


# --- real scrapy processes in a copy of the project folder ------------------------------------


@pytest.fixture(scope="module")
def site():
    srv = FixtureServer(FIXTURES).start()
    yield srv
    srv.stop()


def scrapy(folder: Path, site: FixtureServer, *args: str, env: dict | None = None, **kwargs):
    """Run `scrapy ARGS` in ``folder`` with the fixtures served by ``site``."""
    return subprocess.run(
        [sys.executable, "-m", "scrapy", *args, "-s", f"PRESSBOT_FIXTURES_URL={site.url}"],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})},
        **kwargs,
    )


def new_project(folder: Path, site: FixtureServer) -> Path:
    """A copy of the project folder (its scrapy.cfg: data/ is the folder's own) after a real
    crawl: state, output, a run summary and latest.json all exist."""
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / "scrapy.cfg", folder)
    proc = scrapy(folder, site, "crawl", "releases")
    assert proc.returncode == 0, proc.stderr
    for name in ("releases.jsonl", "state.sqlite3", "runs/latest.json"):
        assert (folder / "data" / name).is_file(), name
    return folder


@pytest.fixture(scope="module")
def project(tmp_path_factory, site) -> Path:
    return new_project(tmp_path_factory.mktemp("project"), site)


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def untouched(project: Path, site: FixtureServer, *args: str, **kwargs) -> subprocess.CompletedProcess:
    """Run a command in the project; every file in it is as it was, and no file is new."""
    before = snapshot(project)
    proc = scrapy(project, site, *args, **kwargs)
    after = snapshot(project)
    assert sorted(after) == sorted(before), f"files made or removed by scrapy {' '.join(args)}"
    changed = [name for name in before if before[name] != after[name]]
    assert not changed, f"scrapy {' '.join(args)} changed {changed}"
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc


def parsed(stdout: str) -> tuple[list[dict], list[str]]:
    """The items and requests `scrapy parse --nocolour` printed."""
    items_text = stdout.split("# Scraped Items", 1)[1].split("\n", 1)[1].split("# Requests", 1)[0]
    requests_text = stdout.split("# Requests", 1)[1].split("\n", 1)[1]
    requests = [line.strip(" [],<>").removeprefix("GET ") for line in requests_text.splitlines()]
    return ast.literal_eval(items_text.strip()), [r for r in requests if r]


@pytest.mark.integration
def test_shell(project, site):
    url = f"{site.url}/amnesty-ca/news/index.html"
    proc = untouched(
        project, site, "shell", url, "-c", "(response.status, response.css('title::text').get())"
    )
    assert proc.returncode == 0
    assert "(200, 'News | Amnesty International Canada')" in proc.stdout


@pytest.mark.integration
def test_shell_with_the_releases_spider_and_its_callbacks(project, site):
    url = f"{site.url}/amnesty-ca/news/index.html"
    # (twice: a page looked at again is no pagination loop)
    code = "(lambda s, r: [[type(o).__name__ for o in s.parse_listing(r)] for _ in 'ab'])(spider, response)"
    proc = untouched(project, site, "shell", "--spider=releases", url, "-c", code)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip().splitlines()[-1] == str([["Release"] * 6 + ["Request"]] * 2)
    assert "pressbot: looking only (amnesty-ca): no run lock, state, output or run summary" in proc.stderr


@pytest.mark.integration
@pytest.mark.parametrize("spider", [[], ["--spider=releases"]], ids=["default", "releases"])
def test_fetch(project, site, spider):
    url = f"{site.url}/amnesty-ca/news/index.html"
    proc = untouched(project, site, "fetch", "--nolog", *spider, url)
    assert proc.returncode == 0
    # (the page, and the line end fetch adds)
    assert proc.stdout.encode() == (FIXTURES / "amnesty-ca" / "news" / "index.html").read_bytes() + b"\n"


@pytest.mark.integration
def test_view_opens_the_page_in_the_browser(project, site, tmp_path):
    opened = tmp_path / "opened.txt"
    browser = tmp_path / "browser.sh"
    browser.write_text(f'#!/bin/sh\necho "$1" >> {opened}\n')
    browser.chmod(0o755)
    url = f"{site.url}/amnesty-ca/news/index.html"
    proc = untouched(project, site, "view", "--nolog", url, env={"BROWSER": str(browser)})
    assert proc.returncode == 0
    [shown] = opened.read_text().split()
    page = Path(shown.removeprefix("file://"))
    html = page.read_text(encoding="utf-8")
    page.unlink()
    assert f'<base href="{url}">' in html and "<title>News | Amnesty International Canada</title>" in html


@pytest.mark.integration
def test_parse_shows_a_listing_pages_entries_and_its_next_page(project, site):
    url = f"{site.url}/amnesty-ca/news/index.html"
    hits = len(site.hits)
    proc = untouched(project, site, "parse", "--nocolour", "--spider=releases", url)
    assert proc.returncode == 0
    items, requests = parsed(proc.stdout)
    expected = load_case("amnesty-ca-page-1").expected()["records"]
    assert [(i["title"], i["published_raw"]) for i in items] == [
        (r["title"], r["published_raw"]) for r in expected
    ]
    assert requests == [f"{site.url}/amnesty-ca/news/page-2.html"]
    # ...without walking on: the one page (and robots.txt), nothing more.
    assert sorted(site.hits[hits:]) == ["/amnesty-ca/news/index.html", "/robots.txt"]


@pytest.mark.integration
def test_parse_a_listing_that_follows_release_pages(project, site):
    url = f"{site.url}/wp-news/category/press-releases/"
    proc = untouched(project, site, "parse", "--nocolour", "--spider=releases", "-a", "source=wp-news", url)
    items, requests = parsed(proc.stdout)
    entries = load_case("wp-news-page-1").expected()["records"]
    assert items == []  # each new release waits for its page: the requests are the entries
    assert requests == [r["url"].replace("https://fixtures.invalid", site.url) for r in entries] + [
        f"{site.url}/wp-news/category/press-releases/page/2/"
    ]


@pytest.mark.integration
def test_parse_a_release_page_with_the_detail_callback(project, site):
    url = f"{site.url}/wp-news/2023/05/04/river-quality-report-2022/"
    proc = untouched(
        project,
        site,
        "parse",
        "--nocolour",
        "--spider=releases",
        "-a",
        "source=wp-news",
        "-c",
        "parse_detail",
        url,
    )
    [item], requests = parsed(proc.stdout)
    adds = load_case("wp-news-release-river-quality-report-2022").expected()["adds"]
    assert requests == [] and item["url"] == url
    assert {k: item[k] for k in adds} == adds


@pytest.mark.integration
def test_bench(project, site):
    proc = untouched(project, site, "bench", "-s", "CLOSESPIDER_TIMEOUT=2")
    assert proc.returncode == 0
    received = int(proc.stderr.split("'response_received_count': ")[1].split(",")[0])
    assert received > 20  # its own server on loopback: no guard, no AutoThrottle in its way


@pytest.mark.integration
def test_list_and_settings(project, site):
    assert untouched(project, site, "list").stdout == "releases\n"
    proc = untouched(project, site, "settings", "--get", "PRESSBOT_OUTPUT")
    assert proc.stdout == "data/releases.jsonl\n"


@pytest.mark.integration
def test_runspider_of_another_spider(project, site, tmp_path):
    spider = project / "other_spider.py"
    spider.write_text(
        "import scrapy\n\n\nclass Other(scrapy.Spider):\n"
        f"    name = 'other'\n    start_urls = ['{site.url}/amnesty-ca/news/index.html']\n\n"
        "    def parse(self, response):\n"
        "        for title in response.css('.node__title a::text').getall():\n"
        "            yield {'title': title}\n"
    )
    try:
        proc = untouched(project, site, "runspider", "other_spider.py", "-O", str(tmp_path / "other.jsonl"))
    finally:
        spider.unlink()
    assert proc.returncode == 0
    assert len((tmp_path / "other.jsonl").read_text().splitlines()) == 6


@pytest.mark.integration
def test_check_runs_every_shipped_case(project, site):
    proc = untouched(project, site, "check")
    assert proc.returncode == 0, proc.stderr
    assert f"Ran {len(case_names())} contracts in " in proc.stderr and "\nOK\n" in proc.stderr
    listed = untouched(project, site, "check", "-l").stdout.splitlines()
    assert listed == ["releases"] + [f"  * {name} (case)" for name in case_names()]


@pytest.mark.integration
def test_check_fails_on_a_broken_case(project, site, cases):
    _edit(
        cases / "gouv-fr-page-2" / "expected.json", lambda d: d["records"][0].update(published="1999-01-01")
    )
    proc = untouched(project, site, "check", "-s", f"PRESSBOT_CASES_DIR={cases}")
    assert proc.returncode == 1
    assert "FAIL: [releases] gouv-fr-page-2 (case)" in proc.stderr
    assert "records[0].published:\n    expected '1999-01-01'" in proc.stderr
    assert "FAILED (failures=1)" in proc.stderr


@pytest.mark.integration
@pytest.mark.parametrize("spider", [[], ["--spider=releases"]], ids=["default", "releases"])
def test_an_open_shell_holds_no_lock(tmp_path, site, spider):
    project = new_project(tmp_path / "project", site)
    with subprocess.Popen(
        [sys.executable, "-m", "scrapy", "shell", *spider, f"{site.url}/amnesty-ca/news/index.html"]
        + ["-s", f"PRESSBOT_FIXTURES_URL={site.url}"],
        cwd=project,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env={**os.environ, "SCRAPY_PYTHON_SHELL": "python"},
    ) as shell:
        killer = threading.Timer(90, shell.kill)
        killer.start()
        try:
            assert shell.stdin is not None and shell.stdout is not None
            shell.stdin.write("print('SHELL-READY', response.status, flush=True)\n")
            shell.stdin.flush()
            while (line := shell.stdout.readline()) and "SHELL-READY" not in line:
                pass
            assert "SHELL-READY 200" in line  # the shell is open, with its page
            crawl = scrapy(project, site, "crawl", "releases", "-a", "full=1")
            assert crawl.returncode == 0, crawl.stderr
            shell.stdin.write("exit()\n")
            shell.stdin.close()
            assert shell.wait(60) == 0
        finally:
            killer.cancel()
            shell.kill()
