"""Exactly-once through crashes: SIGKILL real crawls at many seeded moments, then rerun.

Replay one failure with PRESSBOT_CRASH_SEED=<seed printed in the failure> pytest -k crash.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import time

import pytest

from pressbot.synthetic import SyntheticSite
from tests.conftest import (
    ROOT,
    STATE,
    SYNTHETIC_PROFILE,
    crawl_command,
    listing_hits,
    run_crawl,
)
from tests.faults import Faults

#: Real `scrapy crawl` processes and servers: the slow loop (README).
pytestmark = pytest.mark.integration

DEFAULT_SEED = 20200708
BASE_SEED = int(os.environ.get("PRESSBOT_CRASH_SEED", DEFAULT_SEED))
RELEASES = 150


def killed_run(workdir, srv, pages: int, offset: float) -> bool:
    """Start a crawl and SIGKILL it ``offset`` seconds after it has fetched ``pages`` listing
    pages (0: during start-up). True if it was still running when killed."""
    cmd = crawl_command(
        workdir, srv.url, "-a", f"profile={SYNTHETIC_PROFILE}", settings={"PRESSBOT_FLUSH_ITEMS": "3"}
    )
    before = len(listing_hits(srv))
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while len(listing_hits(srv)) - before < pages and proc.poll() is None:
        assert time.monotonic() < deadline
        time.sleep(0.005)
    time.sleep(offset)
    alive = proc.poll() is None
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    return alive


def plan(seed: int) -> tuple[list[tuple[int, float]], list[int]]:
    """A case's kills and what the site publishes after each (0: nothing), drawn from its seed.
    Each kill: after a random number of listing pages (0 = while starting up), plus a random
    fraction of a page's time, so kills land before, between and during writes and commits."""
    rnd = random.Random(seed)
    moments = [(rnd.randint(0, 12), round(rnd.uniform(0, 0.05), 3)) for _ in range(rnd.randint(1, 3))]
    return moments, [rnd.randint(1, 5) if rnd.random() < 0.5 else 0 for _ in moments]


#: The cases' seeds (BASE_SEED + n): each class of kill point on each backend (see the guard
#: below), no class many times over.
CASES = [(n, "sqlite") for n in (0, 1, 3, 4, 7, 10)] + [(n, "redis") for n in (3, 12, 13, 15)]

#: Where a kill can land, as a case's plan tells: the classes every backend's cases must cover.
KILL_POINTS = {
    "during start-up": lambda moments, publish: any(pages == 0 for pages, _ in moments),
    "as a page arrives": lambda moments, publish: any(offset < 0.005 for _, offset in moments),
    "late in the walk": lambda moments, publish: any(pages >= 11 for pages, _ in moments),
    "one kill": lambda moments, publish: len(moments) == 1,
    "three kills in a row": lambda moments, publish: len(moments) == 3,
    "the site publishing between runs": lambda moments, publish: any(publish),
}


def test_the_cases_cover_every_kind_of_kill_point():
    """Guard for the cases: at the default seed, each backend's plans hold every class of kill
    point (a new seed or case list must keep them covered)."""
    for backend in ("sqlite", "redis"):
        plans = [plan(DEFAULT_SEED + n) for n, b in CASES if b == backend]
        missing = [name for name, holds in KILL_POINTS.items() if not any(holds(*p) for p in plans)]
        assert not missing, f"{backend}: no case kills {missing}"


@pytest.mark.parametrize("n, backend", CASES)
def test_killed_runs_lose_and_duplicate_nothing(request, tmp_path, serve, n, backend):
    if backend == "redis":
        STATE[tmp_path] = request.getfixturevalue("redis_url")
        request.addfinalizer(lambda: STATE.pop(tmp_path, None))
    seed = BASE_SEED + n
    site = SyntheticSite(releases=RELEASES, per_page=10, delay=0.04)
    srv = serve(site.hook)
    moments, publish = plan(seed)
    alive = []
    for (pages, offset), new in zip(moments, publish, strict=True):
        alive.append(killed_run(tmp_path, srv, pages, offset))
        if new:
            site.publish(new)  # the site moves on between runs, too
    assert any(alive), "no kill landed on a running crawl: the test proved nothing"
    final = run_crawl(
        tmp_path, srv.url, "-a", f"profile={SYNTHETIC_PROFILE}", settings={"PRESSBOT_FLUSH_ITEMS": "3"}
    )
    context = f"{backend}, seed {seed}, kills after (pages, seconds) {moments}"
    assert final.returncode == 0, (context, final.stderr[-2000:])
    raw = (tmp_path / "releases.jsonl").read_bytes()
    assert raw.endswith(b"\n"), context
    records = [json.loads(line) for line in raw.splitlines()]  # no torn or interleaved line
    urls = [r["url"].rsplit("/", 1)[1] for r in records]
    assert len(urls) == len(set(urls)), f"duplicates, {context}"
    assert set(urls) == {f"{k}.html" for k in range(site.total)}, f"losses, {context}"
    assert {r["revision"] for r in records} == {1}, context


FAULTS = [("truncate", 0.5), ("status", 503), "self-redirect", "gzip-bomb"]
#: Every fault (FAULTS[n % 4]) and both backends, kills before and past the bad page (the guard).
SHORT_CASES = [(n, "sqlite") for n in (31, 32, 33)] + [(n, "redis") for n in (34, 35)]


def short_plan(seed: int) -> tuple[int, list[tuple[int, float]]]:
    """A short case's misbehaving listing page (its number) and its kills, drawn from its seed."""
    rnd = random.Random(seed)
    bad = rnd.randint(2, 12)
    return bad, [(rnd.randint(0, 12), round(rnd.uniform(0, 0.05), 3)) for _ in range(rnd.randint(1, 3))]


def test_the_short_cases_cover_every_fault_and_kills_on_both_sides_of_it():
    plans = {n: short_plan(DEFAULT_SEED + n) for n, _ in SHORT_CASES}
    assert {str(FAULTS[n % len(FAULTS)]) for n in plans} == {str(f) for f in FAULTS}
    assert {b for _, b in SHORT_CASES} == {"sqlite", "redis"}
    kills = [(pages, bad) for bad, moments in plans.values() for pages, _ in moments]
    assert any(pages < bad for pages, bad in kills), "no kill before the bad page"
    assert any(pages >= bad for pages, bad in kills), "no kill once the walk reached the bad page"


@pytest.mark.parametrize("n, backend", SHORT_CASES)
def test_killed_runs_and_walks_ended_short_lose_and_duplicate_nothing(request, tmp_path, serve, n, backend):
    """Kills while a listing page misbehaves, a run that ends short of it (exit 69), then the
    site fixed: the last run walks everything and the output holds every release once."""
    if backend == "redis":
        STATE[tmp_path] = request.getfixturevalue("redis_url")
        request.addfinalizer(lambda: STATE.pop(tmp_path, None))
    seed = BASE_SEED + n
    site = SyntheticSite(releases=RELEASES, per_page=10, delay=0.04)
    page, moments = short_plan(seed)
    bad = f"/synthetic/news/page-{page}.html"
    fault = FAULTS[n % len(FAULTS)]
    faults = Faults(site.hook).on(bad, ("redirect", bad) if fault == "self-redirect" else fault)
    broken = {"on": True}
    srv = serve(lambda handler, path: (faults.hook if broken["on"] else site.hook)(handler, path))
    settings = {
        "PRESSBOT_FLUSH_ITEMS": "3",
        "RETRY_TIMES": "1",
        "PRESSBOT_RETRY_BACKOFF": "0.05",
        "DOWNLOAD_MAXSIZE": str(1024 * 1024),
    }
    for pages, offset in moments:
        killed_run(tmp_path, srv, pages, offset)
    context = f"{backend}, seed {seed}, {fault} on {bad}, kills after {moments}"
    short = run_crawl(tmp_path, srv.url, "-a", f"profile={SYNTHETIC_PROFILE}", settings=settings)
    assert short.returncode == 69, (context, short.stderr[-2000:])
    broken["on"] = False
    final = run_crawl(tmp_path, srv.url, "-a", f"profile={SYNTHETIC_PROFILE}", settings=settings)
    assert final.returncode == 0, (context, final.stderr[-2000:])
    records = [json.loads(line) for line in (tmp_path / "releases.jsonl").read_bytes().splitlines()]
    urls = [r["url"].rsplit("/", 1)[1] for r in records]
    assert len(urls) == len(set(urls)), f"duplicates, {context}"
    assert set(urls) == {f"{k}.html" for k in range(site.total)}, f"losses, {context}"


def test_kill_lands_mid_crawl(tmp_path, serve):
    """Guard for the test above: a kill in its window does interrupt a crawl in progress."""
    site = SyntheticSite(releases=RELEASES, per_page=10, delay=0.04)
    srv = serve(site.hook)
    assert killed_run(tmp_path, srv, 12, 0.05)
    assert len(listing_hits(srv)) < RELEASES // 10
    lines = (tmp_path / "releases.jsonl").read_text().splitlines()
    assert 0 < len(lines) < RELEASES
