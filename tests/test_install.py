"""README's crawl commands, exactly as written, offline, from an editable install and from a
regular one (a wheel installed into a fresh virtualenv, run in a copy of the project folder):
every shipped source, and two at once. Both give the same records, ids and URLs, and
those of the saved-page cases. (A scrapyd egg on a host without the source tree:
tests/test_scrapyd.py.)"""

from __future__ import annotations

import functools
import json
import shutil
import subprocess
import sys
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

import pressbot
from pressbot import bundled
from pressbot.profiles import available_sources
from tests.conftest import FIXTURES, ROOT, read_jsonl
from tests.installs import build_wheel, case_records, copy_project, fresh_venv, python_sees
from tests.test_sources import EXPECTED

#: Real `scrapy crawl` processes and a wheel build: the slow loop (README).
pytestmark = pytest.mark.integration

SOURCES = sorted(available_sources())
#: README's commands: `scrapy crawl releases -a source=NAME` for each shipped source, and two at once.
TOGETHER = "wp-news,gouv-fr"


@functools.cache
def install(kind: str, tmp: Path) -> tuple[Path, Path]:
    """(bin folder, where its pressbot's bundled sites are) for an editable or a regular install."""
    if kind == "editable":
        # This environment: `pip install -e '.[test]'` of this checkout, as README sets it up.
        assert Path(pressbot.__file__).resolve().is_relative_to(ROOT), pressbot.__file__
        return Path(sys.executable).parent, FIXTURES
    wheel = build_wheel(tmp)
    with zipfile.ZipFile(wheel) as z:
        names = set(z.namelist())
    for name in SOURCES:
        assert f"pressbot/sources/{name}.toml" in names
    assert "pressbot/fixtures/wp-news/category/press-releases/index.html" in names
    assert "pressbot/fixtures/json-newsroom/api/releases@offset=0&limit=4.json" in names
    bin_dir = fresh_venv(tmp / "venv")
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(bin_dir / "python"), "install", "-q", "--no-deps"]
        + ["--no-index", str(wheel)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    site = Path(
        python_sees(bin_dir, tmp, "import pressbot, pathlib; print(pathlib.Path(pressbot.__file__).parent)")
    )
    assert site.is_relative_to(tmp / "venv"), site  # the wheel's pressbot, not this checkout
    return bin_dir, site / "fixtures"


def run_folder(kind: str, to: Path) -> Path:
    """Where README's command runs (its data/ goes there). A regular install runs in a copy of
    the project folder, whose own pressbot/ and fixtures/ it must not use; an editable one in a
    folder with only scrapy.cfg (Scrapy puts the folder of scrapy.cfg on sys.path, and a copy of
    pressbot/ there would stand in for the checkout the install points at)."""
    if kind == "regular":
        return copy_project(to)
    to.mkdir(parents=True)
    shutil.copy(ROOT / "scrapy.cfg", to / "scrapy.cfg")
    return to


@functools.cache
def crawled(kind: str, tmp: Path) -> dict[str, tuple[subprocess.CompletedProcess, list[dict]]]:
    """Each README command run in a folder of its own (two at a time: the machine has two
    cores): the process and the records it wrote."""
    bin_dir, _ = install(kind, tmp / "install")

    def crawl(arg: str) -> tuple[subprocess.CompletedProcess, list[dict]]:
        folder = run_folder(kind, tmp / kind / arg)
        proc = subprocess.run(
            [str(bin_dir / "scrapy"), "crawl", "releases", "-a", f"source={arg}"],
            cwd=folder,
            capture_output=True,
            text=True,
            timeout=120,
        )
        return proc, read_jsonl(folder / "data" / "releases.jsonl")

    args = [*SOURCES, TOGETHER]
    with ThreadPoolExecutor(max_workers=2) as pool:
        return dict(zip(args, pool.map(crawl, args), strict=True))


@pytest.fixture(scope="module")
def tmp(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("installs")


@pytest.mark.parametrize("kind", ["editable", "regular"])
def test_every_shipped_source_crawls_offline_with_readmes_command(tmp, kind):
    _, sites = install(kind, tmp / "install")
    results = crawled(kind, tmp)
    for arg, (proc, records) in results.items():
        assert proc.returncode == 0, f"{arg}: exit {proc.returncode}\n{proc.stderr[-3000:]}"
        assert f"pressbot answers {bundled.ORIGIN}/ in-process, from {sites}" in proc.stderr, arg
        assert f"pressbot wrote {len(records)} new or revised releases to " in proc.stderr, arg
        summary = json.loads((tmp / kind / arg / "data" / "runs" / "latest.json").read_text())
        assert summary["exit_code"] == 0 and summary["written"] == len(records)
        for name in arg.split(","):
            mine = [r for r in records if r["source"] == name]
            assert summary["sources"][name]["errors"] == [] and summary["sources"][name]["drift"] == []
            # The releases its fixture site holds (checked by hand), at their documented URLs ...
            if EXPECTED[name] is not None:
                expected = json.loads(EXPECTED[name].read_text(encoding="utf-8"))
                got = [
                    {
                        "path": r["url"].removeprefix(bundled.ORIGIN),
                        **{k: r[k] for k in ("title", "published", "published_raw")},
                    }
                    for r in mine
                ]
                assert sorted(got, key=lambda r: r["path"]) == sorted(expected, key=lambda r: r["path"])
            # ... with the ids and URLs of its saved-page cases.
            cases = case_records(name)
            assert cases and {r["id"] for r in mine} == set(cases), name
            for r in mine:
                assert (r["url"], r["listing_url"]) == (cases[r["id"]]["url"], cases[r["id"]]["listing_url"])
        assert {r["source"] for r in records} == set(arg.split(","))
    # README's sample record, as README shows it.
    (sample,) = [r for r in results["amnesty-ca"][1] if r["url"].endswith("/brazil-amazon-cattle-jbs.html")]
    assert sample["id"] == "b85f614858aa4980ec05"
    assert sample["url"] == "https://fixtures.invalid/amnesty-ca/news/brazil-amazon-cattle-jbs.html"
    assert sample["listing_url"] == "https://fixtures.invalid/amnesty-ca/news/page-2.html"


def test_both_installs_write_the_same_records(tmp):
    def without_time(results):
        return {
            arg: [{k: v for k, v in r.items() if k != "crawled_at"} for r in rs]
            for arg, (_, rs) in results.items()
        }

    editable, regular = without_time(crawled("editable", tmp)), without_time(crawled("regular", tmp))
    assert editable == regular
    assert sum(map(len, regular.values())) > 70


def test_a_folder_of_your_own_saved_pages_crawls_as_the_bundled_ones(tmp):
    """PRESSBOT_FIXTURES_DIR: your own saved press room, answered at https://fixtures.invalid/
    in-process from any install (here the regular one), folder paths and all."""
    bin_dir, _ = install("regular", tmp / "install")
    folder = run_folder("regular", tmp / "own")
    shutil.copytree(FIXTURES / "wp-news", folder / "saved" / "press")
    profile = (ROOT / "pressbot" / "sources" / "wp-news.toml").read_text()
    profile = profile.replace('name = "wp-news"', 'name = "press"').replace(
        "{fixtures}/wp-news/", "{fixtures}/press/"
    )
    (folder / "press.toml").write_text(profile)
    proc = subprocess.run(
        [str(bin_dir / "scrapy"), "crawl", "releases", "-a", "profile=press.toml"]
        + ["-s", "PRESSBOT_FIXTURES_DIR=saved"],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert f"pressbot answers {bundled.ORIGIN}/ in-process, from saved" in proc.stderr
    records = read_jsonl(folder / "data" / "releases.jsonl")
    wp_news = crawled("regular", tmp)["wp-news"][1]
    assert [r["url"] for r in records] == [r["url"].replace("/wp-news/", "/press/") for r in wp_news]
    assert all(r["body"] for r in records)  # release pages too
