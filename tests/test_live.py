"""While a real crawl runs: its counters move in Scrapy's stats (read by Scrapy's own PeriodicLog),
progress lines come, the log ends with the outcome, and old run summaries are pruned."""

from __future__ import annotations

import datetime as dt
import json
import re
import signal
import subprocess
import time

import pytest

from pressbot import outcome
from pressbot.synthetic import SyntheticSite
from tests.conftest import ROOT, SYNTHETIC_PROFILE, crawl_command, run_crawl
from tests.faults import Faults

#: Real `scrapy crawl` processes and servers: the slow loop (README).
pytestmark = pytest.mark.integration

SOURCE = "pressbot/source/synthetic/"
#: Scrapy's PeriodicLog (listed in pressbot's EXTENSIONS) every second, with pressbot's
#: per-source stats; progress lines too.
WATCHED = {
    "LOGSTATS_INTERVAL": "1",
    "PERIODIC_LOG_STATS": json.dumps({"include": [SOURCE]}),
    "PRESSBOT_PROGRESS_SECONDS": "1",
}


def crawl(workdir, url, *args, **kw):
    return run_crawl(workdir, url, "-a", f"profile={SYNTHETIC_PROFILE}", *args, **kw)


def during_the_run(log: str) -> str:
    """The log before the spider began to close."""
    return log[: log.index("Closing spider")]


def periodic_stats(log: str) -> list[dict]:
    """What Scrapy's PeriodicLog read from the crawl stats, snapshot by snapshot (each is JSON
    over several lines)."""
    marker = "[scrapy.extensions.periodic_log] INFO: "
    decoder = json.JSONDecoder()
    found = []
    at = log.find(marker)
    while at >= 0:
        found.append(decoder.raw_decode(log, at + len(marker))[0]["stats"])
        at = log.find(marker, at + 1)
    return found


def test_the_counters_move_in_scrapy_s_stats_while_the_crawl_runs(tmp_path, serve):
    site = SyntheticSite(releases=120, per_page=10, delay=0.4)  # 12 pages, about 5 s
    srv = serve(site.hook)
    first = crawl(tmp_path, srv.url, settings=WATCHED)
    assert first.returncode == 0, first.stderr[-3000:]
    assert first.summary["sources"]["synthetic"]["new"] == 120
    running = during_the_run(first.stderr)
    snapshots = [s for s in periodic_stats(running) if s.get(SOURCE + "new")]
    new = [s[SOURCE + "new"] for s in snapshots]
    written = [s.get(SOURCE + "written", 0) for s in snapshots]
    pages = [s[SOURCE + "pages"] for s in snapshots]
    # Seen by PeriodicLog before the spider closed: several values, growing, short of the end.
    assert len(set(new)) >= 2 and new == sorted(new) and new[-1] < 120, new
    assert len(set(written)) >= 2 and written == sorted(written) and written[-1] < 120, written
    assert len(set(pages)) >= 2 and pages[-1] < 12, pages
    # The progress lines, one a second for the one active source, say the same.
    progress = [line for line in running.splitlines() if "[pressbot.progress] INFO: synthetic: " in line]
    assert len(progress) >= 2, running[-3000:]
    read = [int(re.search(r"synthetic: (\d+) listing pages", line)[1]) for line in progress]
    assert read == sorted(read) and len(set(read)) >= 2 and read[-1] < 12
    assert re.search(
        r"\d+ new, 0 revised, 0 duplicates, 0 dropped, \d+ written; reached page \d+, dated 20", progress[-1]
    )

    # A full walk of the same site: every release a duplicate, counted as the walk goes.
    again = crawl(tmp_path, srv.url, "-a", "full=1", settings=WATCHED)
    assert again.returncode == 0, again.stderr[-3000:]
    assert again.summary["sources"]["synthetic"]["duplicates"] == 120
    duplicates = [s.get(SOURCE + "duplicates", 0) for s in periodic_stats(during_the_run(again.stderr))]
    moving = [d for d in duplicates if 0 < d < 120]
    assert len(set(moving)) >= 2 and duplicates == sorted(duplicates), duplicates


def tail(log: str, n: int = 3) -> list[str]:
    """The log's last n lines, without their time stamps."""
    return [re.sub(r"^\S+ \S+ ", "", line) for line in log.rstrip("\n").splitlines()[-n:]]


def test_the_log_ends_with_the_outcome_after_scrapy_s_stats(tmp_path, serve):
    srv = serve(SyntheticSite(releases=30, per_page=10).hook)
    log_file = tmp_path / "crawl.log"
    result = crawl(tmp_path, srv.url, settings={"LOG_FILE": str(log_file)})
    assert result.returncode == 0, log_file.read_text()[-3000:]
    log = log_file.read_text()
    summary = sorted((tmp_path / "runs").glob("2*.json"))[-1]
    assert tail(log) == [
        f"[pressbot.summary] INFO: pressbot wrote 30 new or revised releases to {result.output}",
        f"[pressbot.summary] INFO: pressbot run summary: {summary}",
        "[pressbot.summary] INFO: pressbot exit status 0: clean run",
    ]
    assert log.index("Dumping Scrapy stats") < log.index("pressbot wrote 30")
    assert log.count("pressbot wrote") == 1 and log.count("pressbot exit status") == 1


def test_a_failed_run_ends_with_its_exit_status_and_meaning(tmp_path, serve):
    site = SyntheticSite(releases=30, per_page=10)
    srv = serve(Faults(site.hook).on("/synthetic/news/page-2.html", ("status", 503)).hook)
    result = crawl(tmp_path, srv.url, settings={"RETRY_TIMES": "0"})
    assert result.returncode == outcome.PAGES_FAILED
    meaning = outcome.DESCRIPTIONS[outcome.PAGES_FAILED]
    # (an error: a log kept at WARNING ends with it too)
    assert tail(result.stderr, 1) == [f"[pressbot.summary] ERROR: pressbot exit status 69: {meaning}"]
    assert tail(result.stderr, 3)[0].startswith("[pressbot.summary] INFO: pressbot wrote 10 new or revised")


def start(workdir, url, settings=None) -> subprocess.Popen:
    cmd = crawl_command(workdir, url, "-a", f"profile={SYNTHETIC_PROFILE}", settings=settings)
    return subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def wait_for(condition, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "waited too long"
        time.sleep(0.02)


@pytest.mark.parametrize("abandoned", [False, True], ids=["stopped", "abandoned"])
def test_an_interrupted_run_ends_with_its_outcome_too(tmp_path, serve, abandoned):
    """SIGINT: the spider closes and the outcome comes last; or, stuck in a Retry-After wait
    past PRESSBOT_STOP_TIMEOUT, the run is abandoned and finished by the crawl command."""
    site = SyntheticSite(releases=30, per_page=10, delay=0.3)
    page2 = "/synthetic/news/page-2.html"
    faults = Faults(site.hook)
    if abandoned:
        faults.on(page2, ("status", 503, {"Retry-After": "60"}), "ok")
    srv = serve(faults.hook)
    proc = start(tmp_path, srv.url, {"PRESSBOT_RETRY_MAX_DELAY": "120", "PRESSBOT_STOP_TIMEOUT": "1"})
    wait_for(lambda: page2 in srv.hits)
    time.sleep(0.3)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == outcome.INTERRUPTED, err[-3000:]
    assert ("are abandoned" in err) is abandoned
    last = tail(err, 3)
    assert last[0].startswith("[pressbot.summary] INFO: pressbot wrote ")
    assert last[2] == "[pressbot.summary] WARNING: pressbot exit status 130: interrupted"
    assert json.loads((tmp_path / "runs" / "latest.json").read_text())["exit_code"] == 130


def test_old_summaries_are_pruned_and_nothing_else(tmp_path, serve):
    srv = serve(SyntheticSite(releases=10, per_page=10).hook)
    runs = tmp_path / "runs"
    runs.mkdir()
    now = dt.datetime.now(dt.UTC)
    # Forty earlier runs, one a day, the last one 31 days ago.
    old = [(now - dt.timedelta(days=31 + n)).strftime("%Y%m%dT%H%M%S.%fZ.json") for n in range(40)]
    for name in old:
        (runs / name).write_text(
            json.dumps({"started_at": name, "finish_reason": "finished", "exit_code": 0})
        )
    foreign = [
        "README.txt",
        old[-1] + ".orig",
        (now - dt.timedelta(days=400)).strftime("%Y%m%dT%H%M%S.%fZ.json"),  # named so, not one
    ]
    for name in foreign:
        (runs / name).write_text('{"not": "a summary"}')
    result = crawl(tmp_path, srv.url, settings={"PRESSBOT_RUNS_KEEP": "5"})
    assert result.returncode == 0, result.stderr[-3000:]
    ours = {p.name for p in runs.glob("2*.json")} - set(old) - set(foreign)
    assert len(ours) == 1  # this run's
    # The five newest summaries, this run's among them; the rest, and nothing else, deleted.
    assert {p.name for p in runs.glob("2*.json")} == {*ours, *old[:4], foreign[2]}
    assert all((runs / name).exists() for name in [*foreign, "latest.json"])
    # An age limit: none older than 30 days is kept; this run's and the last one's stay.
    again = crawl(tmp_path, srv.url, settings={"PRESSBOT_RUNS_KEEP": "0", "PRESSBOT_RUNS_MAX_AGE": "30"})
    assert again.returncode == 0
    left = {p.name for p in runs.glob("2*.json")} - set(foreign)
    assert len(left) == 2 and not left & set(old)
    assert all((runs / name).exists() for name in [*foreign, "latest.json"])
