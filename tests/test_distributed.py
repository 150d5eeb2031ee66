"""Distributed mode: several real `scrapy crawl releases` workers share one scrapy-redis frontier
and one Redis state, against a local site; each release is written once across workers."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
import time
from collections import Counter

import pytest

from pressbot.merge import merge
from pressbot.synthetic import SyntheticSite
from tests.conftest import FIXTURES, ROOT

#: Real `scrapy crawl` processes and servers: the slow loop (README).
pytestmark = pytest.mark.integration

PROFILE = str(FIXTURES / "synthetic" / "synthetic-detail.toml")


def worker(tmp_path, srv, redis_url, run: str, name: str, frontier: str | None = None) -> subprocess.Popen:
    """Start a worker; its log goes to <tmp_path>/<run>-<name>.log. ``frontier``: the Redis of
    the run's queue, apart from the state's (PRESSBOT_REDIS_URL)."""
    cmd = [
        sys.executable,
        "-m",
        "scrapy",
        "crawl",
        "releases",
        "-a",
        f"profile={PROFILE}",
        "-s",
        f"PRESSBOT_FIXTURES_URL={srv.url}",
        "-s",
        f"PRESSBOT_OUTPUT={tmp_path / 'out' / 'releases.jsonl'}",
        "-s",
        f"PRESSBOT_STATE={redis_url}",
        "-s",
        f"PRESSBOT_RUNS_DIR={tmp_path / 'runs'}",
        "-s",
        "PRESSBOT_DISTRIBUTED=1",
        "-s",
        f"PRESSBOT_RUN_ID={run}",
        "-s",
        f"PRESSBOT_WORKER_ID={name}",
        "-s",
        "PRESSBOT_IDLE_CLOSE=2",
        # Two requests at a time each, or the first worker would take a page's ten release
        # pages at once and leave the others nothing to show for this small site.
        "-s",
        "CONCURRENT_REQUESTS=2",
        "-s",
        "LOG_LEVEL=INFO",
        *(["-s", f"PRESSBOT_REDIS_URL={frontier}"] if frontier else []),
    ]
    log = open(tmp_path / f"{run}-{name}.log", "w")  # noqa: SIM115 - closed with the process
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=log)
    log.close()
    return proc


def log_of(tmp_path, run: str, name: str) -> str:
    return (tmp_path / f"{run}-{name}.log").read_text()


def gated(site: SyntheticSite, gate: threading.Event):
    """The site's hook, holding the first listing page until ``gate`` is set."""

    def hook(handler, path):
        if path == "/synthetic/news/index.html":
            gate.wait(60)
        return site.hook(handler, path)

    return hook


def start_together(tmp_path, gate, run: str, names: list[str]) -> None:
    """Let the crawl begin once every worker has opened (all share the work from the start)."""
    deadline = time.monotonic() + 60
    while not all("Spider opened" in log_of(tmp_path, run, n) for n in names):
        assert time.monotonic() < deadline, "workers did not start"
        time.sleep(0.05)
    gate.set()


def outputs(tmp_path) -> dict[str, list[dict]]:
    return {
        p.name: [json.loads(line) for line in p.read_text().splitlines()]
        for p in sorted((tmp_path / "out").glob("releases.*.jsonl"))
    }


def page_hits(srv) -> Counter:
    return Counter(p for p in srv.hits if p.startswith("/synthetic/"))


@pytest.mark.parametrize("workers", [2, 3])
def test_workers_share_the_frontier_and_write_each_release_once(tmp_path, serve, redis_url, workers):
    site = SyntheticSite(releases=60, per_page=10, delay=0.05, detail_delay=0.02)
    gate = threading.Event()
    srv = serve(gated(site, gate))
    names = [f"w{i}" for i in range(workers)]
    procs = [worker(tmp_path, srv, redis_url, "run-1", n) for n in names]
    start_together(tmp_path, gate, "run-1", names)
    for p in procs:
        p.wait(timeout=120)
    errors = [log_of(tmp_path, "run-1", n) for n in names]
    assert [p.returncode for p in procs] == [0] * workers, errors[0][-2000:]
    for err in errors:  # scrapy-redis's deprecation warnings are kept out of our log
        assert "Warning" not in err and "Traceback" not in err
    outs = outputs(tmp_path)
    assert len(outs) == workers
    ids = Counter(r["id"] for recs in outs.values() for r in recs)
    assert len(ids) == 60 and set(ids.values()) == {1}  # every release, exactly once
    hits = page_hits(srv)
    assert len(hits) == 6 + 60 and set(hits.values()) == {1}  # every page fetched once
    assert all(recs for recs in outs.values()), {k: len(v) for k, v in outs.items()}

    merged = merge(sorted((tmp_path / "out").glob("releases.*.jsonl")), tmp_path / "all.jsonl")
    assert merged["written"] == 60 and merged["duplicates"] == 0

    # The next scheduled run (a new run id) reads the listing again, writes nothing new.
    srv.hits.clear()
    again = [worker(tmp_path, srv, redis_url, "run-2", n) for n in names]
    for p in again:
        p.wait(timeout=120)
    assert page_hits(srv)["/synthetic/news/index.html"] == 1
    assert sum(len(v) for v in outputs(tmp_path).values()) == 60


def test_a_killed_worker_loses_and_duplicates_nothing(tmp_path, serve, redis_url):
    site = SyntheticSite(releases=80, per_page=10, delay=0.1, detail_delay=0.03)
    srv = serve(site.hook)
    doomed = worker(tmp_path, srv, redis_url, "run-1", "w0")
    survivor = worker(tmp_path, srv, redis_url, "run-1", "w1")
    deadline = time.monotonic() + 30
    while len(page_hits(srv)) < 25 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert doomed.poll() is None, "the worker to kill finished too soon"
    doomed.send_signal(signal.SIGKILL)
    doomed.wait()
    assert survivor.wait(timeout=120) == 0
    first = Counter(r["id"] for recs in outputs(tmp_path).values() for r in recs)
    assert set(first.values()) <= {1}  # nothing twice
    # The killed worker's in-flight pages died with it; the next run (its walk was left
    # incomplete, so a full one) collects whatever they held. Then: all, each once.
    nxt = worker(tmp_path, srv, redis_url, "run-2", "w0")
    assert nxt.wait(timeout=120) == 0
    merged = merge(sorted((tmp_path / "out").glob("releases.*.jsonl")), tmp_path / "all.jsonl")
    records = [json.loads(line) for line in (tmp_path / "all.jsonl").read_text().splitlines()]
    assert len(records) == 80 == len({r["id"] for r in records})
    assert merged["duplicates"] == 0


def test_a_frontier_on_a_redis_of_its_own_holds_the_runs_work(tmp_path, serve, redis_url):
    import redis

    # PRESSBOT_REDIS_URL apart from PRESSBOT_STATE: the run's queue, duplicate filter and
    # counts live together on the frontier's Redis; the releases and walks on the state's.
    frontier = redis_url.rsplit("/", 1)[0] + "/1"
    queue_db, state_db = redis.Redis.from_url(frontier), redis.Redis.from_url(redis_url)
    queue_db.flushdb()
    site = SyntheticSite(releases=30, per_page=10, delay=0.02, detail_delay=0.01)
    srv = serve(site.hook)
    procs = [worker(tmp_path, srv, redis_url, "run-1", n, frontier=frontier) for n in ("w0", "w1")]
    for p in procs:
        p.wait(timeout=120)
    assert [p.returncode for p in procs] == [0, 0], log_of(tmp_path, "run-1", "w0")[-2000:]
    ids = Counter(r["id"] for recs in outputs(tmp_path).values() for r in recs)
    assert len(ids) == 30 and set(ids.values()) == {1}
    assert queue_db.exists("pressbot:run:run-1:pending") and queue_db.exists("pressbot:run:run-1:dupefilter")
    assert not state_db.exists("pressbot:run:run-1:pending")
    assert state_db.hlen("pressbot:releases") == 30
    # Every worker agreed the walk ended completely: the next run may stop where it caught up.
    assert state_db.hget("pressbot:walks", "synthetic").startswith(b"1")
    queue_db.close()
    state_db.close()
