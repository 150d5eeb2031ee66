"""scrapyd: deploy pressbot with scrapyd-deploy to a host without the source tree, schedule
`releases` through the API, collect."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
import urllib.parse
import urllib.request
import zipfile
from pathlib import Path

import pytest

from pressbot import bundled
from pressbot.devserver import free_port
from tests.installs import case_records, copy_project, fresh_venv, python_sees
from tests.test_sources import EXPECTED

#: Real `scrapy crawl` processes and servers: the slow loop (README).
pytestmark = pytest.mark.integration

BIN = Path(sys.executable).parent


def api(base: str, path: str, data: list[tuple[str, str]] | None = None) -> dict:
    body = urllib.parse.urlencode(data).encode() if data is not None else None
    with urllib.request.urlopen(f"{base}/{path}", data=body, timeout=30) as response:
        return json.load(response)


@pytest.fixture
def scrapyd(tmp_path):
    """A scrapyd on a host without the source tree: a virtualenv with Scrapy and scrapyd but no
    pressbot, run from a folder that has no fixtures/, no scrapy.cfg, no project at all. Its jobs
    run whatever egg is deployed to it."""
    host = fresh_venv(tmp_path / "host")
    port = free_port()
    home = tmp_path / "scrapyd"
    home.mkdir()
    assert "No module named 'pressbot'" in python_sees(host, home, "import pressbot")
    (home / "scrapyd.conf").write_text(f"""[scrapyd]
bind_address = 127.0.0.1
http_port = {port}
eggs_dir = {home / "eggs"}
logs_dir = {home / "logs"}
dbs_dir = {home / "dbs"}
items_dir =
poll_interval = 0.5
""")
    proc = subprocess.Popen(
        [str(host / "python"), "-m", "scrapyd"],
        cwd=home,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            api(base, "daemonstatus.json")
            break
        except OSError:
            assert proc.poll() is None and time.monotonic() < deadline, "scrapyd did not start"
            time.sleep(0.2)
    yield base, home
    proc.terminate()
    proc.wait(timeout=20)


def deploy(tmp_path: Path, base: str) -> None:
    """README's `scrapyd-deploy local -p pressbot`, from a copy of the project aimed at this
    scrapyd (scrapyd-deploy builds in place); the copy is gone before any job runs."""
    project = copy_project(tmp_path / "project")
    cfg = (project / "scrapy.cfg").read_text().replace("http://127.0.0.1:6800/", base + "/")
    (project / "scrapy.cfg").write_text(cfg)
    done = subprocess.run(
        [str(BIN / "scrapyd-deploy"), "local", "-p", "pressbot"],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr + done.stdout
    shutil.rmtree(project)


def job_settings(out: Path) -> dict[str, Path]:
    """README's three paths of a job, under ``out``."""
    return {
        "PRESSBOT_OUTPUT": out / "releases.jsonl",
        "PRESSBOT_STATE": out / "state.sqlite3",
        "PRESSBOT_RUNS_DIR": out / "runs",
    }


def schedule(base: str, source: str, out: Path) -> str:
    """README's schedule.json call."""
    settings = job_settings(out)
    job = api(
        base,
        "schedule.json",
        [
            ("project", "pressbot"),
            ("spider", "releases"),
            ("source", source),
            *(("setting", f"{k}={v}") for k, v in settings.items()),
        ],
    )
    assert job["status"] == "ok", job
    return job["jobid"]


def test_an_egg_crawls_the_bundled_sources_on_a_host_without_the_source_tree(tmp_path, scrapyd):
    base, home = scrapyd
    deploy(tmp_path, base)
    assert api(base, "listspiders.json?project=pressbot")["spiders"] == ["releases"]
    (egg,) = (home / "eggs" / "pressbot").glob("*.egg")
    with zipfile.ZipFile(egg) as z:
        assert "pressbot/fixtures/wp-news/category/press-releases/index.html" in z.namelist()

    # README's job (the default source), and three sources that need folder paths, query
    # strings, JSON and XML answered as a web server answers them.
    jobs = {
        source: schedule(base, source, tmp_path / "out" / source)
        for source in ("amnesty-ca", "wp-news,json-newsroom,feed-newsroom")
    }
    deadline = time.monotonic() + 120
    while True:
        finished = {j["id"] for j in api(base, "listjobs.json?project=pressbot")["finished"]}
        if finished >= set(jobs.values()):
            break
        assert time.monotonic() < deadline, finished
        time.sleep(0.5)
    for arg, job in jobs.items():
        out = tmp_path / "out" / arg
        log = (home / "logs" / "pressbot" / "releases" / f"{job}.log").read_text()
        # The pages came from inside the egg: there is no other copy of them on this host.
        assert f"pressbot answers {bundled.ORIGIN}/ in-process, from {egg}/pressbot/fixtures" in log
        summary = json.loads((out / "runs" / "latest.json").read_text())
        assert summary["exit_code"] == 0, log[-3000:]
        records = [json.loads(line) for line in (out / "releases.jsonl").read_text().splitlines()]
        assert summary["written"] == len(records)
        for name in arg.split(","):
            mine = [r for r in records if r["source"] == name]
            expected = EXPECTED[name]
            count = 15 if expected is None else len(json.loads(expected.read_text(encoding="utf-8")))
            assert len(mine) == len({r["id"] for r in mine}) == count, name
            assert summary["sources"][name]["written"] == count
            # the ids and URLs of the saved-page cases: the same on every install
            cases = case_records(name)
            assert {r["id"]: r["url"] for r in mine} == {i: r["url"] for i, r in cases.items()}
        # The summary names the scrapyd job (its _job argument), and what the job was given.
        assert summary["job"] == job and summary["duration_seconds"] > 0
        assert summary["arguments"] == {"source": arg}
        assert summary["settings"] == {k: str(v) for k, v in job_settings(out).items()}
        # The job's log ends with the outcome, after Scrapy's stats.
        last = [line.split("] INFO: ", 1)[-1] for line in log.rstrip().splitlines()[-3:]]
        assert last == [
            f"pressbot wrote {len(records)} new or revised releases to {out / 'releases.jsonl'}",
            f"pressbot run summary: {sorted((out / 'runs').glob('2*.json'))[-1]}",
            "pressbot exit status 0: clean run",
        ]
        assert log.index("Dumping Scrapy stats") < log.index(f"pressbot wrote {len(records)}")
