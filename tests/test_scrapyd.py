"""scrapyd: deploy pressbot with scrapyd-deploy, schedule `releases` through the API, collect."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from pressbot.devserver import free_port
from tests.conftest import ROOT

#: Real `scrapy crawl` processes and servers: the slow loop (README).
pytestmark = pytest.mark.integration

BIN = Path(sys.executable).parent


def api(base: str, path: str, data: list[tuple[str, str]] | None = None) -> dict:
    body = urllib.parse.urlencode(data).encode() if data is not None else None
    with urllib.request.urlopen(f"{base}/{path}", data=body, timeout=30) as response:
        return json.load(response)


@pytest.fixture
def scrapyd(tmp_path):
    port = free_port()
    home = tmp_path / "scrapyd"
    home.mkdir()
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
        [str(BIN / "scrapyd")], cwd=home, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
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


def test_deploy_schedule_collect(tmp_path, scrapyd, server):
    base, home = scrapyd
    # Deploy from a copy of the project (scrapyd-deploy builds in place), aimed at this scrapyd.
    project = tmp_path / "project"
    project.mkdir()
    for name in ("pressbot", "scrapy.cfg", "setup.py", "pyproject.toml", "README.md"):
        src = ROOT / name
        (shutil.copytree if src.is_dir() else shutil.copy)(src, project / name)
    cfg = (project / "scrapy.cfg").read_text().replace("http://127.0.0.1:6800/", base + "/")
    (project / "scrapy.cfg").write_text(cfg)
    deploy = subprocess.run(
        [str(BIN / "scrapyd-deploy"), "local", "-p", "pressbot"],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert deploy.returncode == 0, deploy.stderr + deploy.stdout
    assert api(base, "listspiders.json?project=pressbot")["spiders"] == ["releases"]

    out = tmp_path / "out"
    settings = {
        "PRESSBOT_FIXTURES_URL": server.url,
        "PRESSBOT_OUTPUT": out / "releases.jsonl",
        "PRESSBOT_STATE": out / "state.sqlite3",
        "PRESSBOT_RUNS_DIR": out / "runs",
    }
    job = api(
        base,
        "schedule.json",
        [
            ("project", "pressbot"),
            ("spider", "releases"),
            ("source", "amnesty-ca"),
            *(("setting", f"{k}={v}") for k, v in settings.items()),
        ],
    )
    assert job["status"] == "ok"
    deadline = time.monotonic() + 120
    while True:
        jobs = api(base, "listjobs.json?project=pressbot")
        if any(j["id"] == job["jobid"] for j in jobs["finished"]):
            break
        assert time.monotonic() < deadline, jobs
        time.sleep(0.5)
    records = [json.loads(line) for line in (out / "releases.jsonl").read_text().splitlines()]
    assert len(records) == 15 and len({r["id"] for r in records}) == 15
    assert {r["source"] for r in records} == {"amnesty-ca"}
    summary = json.loads((out / "runs" / "latest.json").read_text())
    assert summary["exit_code"] == 0 and summary["written"] == 15
    # The summary names the scrapyd job (its _job argument), and what the job was given.
    assert summary["job"] == job["jobid"]
    assert summary["arguments"] == {"source": "amnesty-ca"}
    assert summary["settings"] == {k: str(v) for k, v in settings.items()}
    assert summary["sources"]["amnesty-ca"]["written"] == 15 and summary["duration_seconds"] > 0
    log = (home / "logs" / "pressbot" / "releases" / f"{job['jobid']}.log").read_text()
    # The job's log ends with the outcome, after Scrapy's stats.
    last = [line.split("] INFO: ", 1)[-1] for line in log.rstrip().splitlines()[-3:]]
    assert last == [
        f"pressbot wrote 15 new or revised releases to {out / 'releases.jsonl'}",
        f"pressbot run summary: {sorted((out / 'runs').glob('2*.json'))[-1]}",
        "pressbot exit status 0: clean run",
    ]
    assert log.index("Dumping Scrapy stats") < log.index("pressbot wrote 15")
