"""Operating pressbot from cron, end to end: locks, files, settings, signals, summaries.

Each test is a way an operator (or a hostile tester) got a run to lose, duplicate or garble
releases, or to fail quietly; each ends with every release in the output exactly once, or a
non-zero exit and one line naming the cause.
"""

from __future__ import annotations

import json
import os
import subprocess
import time

import pytest

from pressbot import outcome
from pressbot.synthetic import SyntheticSite
from tests.conftest import (
    ROOT,
    SYNTHETIC_PROFILE,
    crawl_command,
    listing_hits,
    run_crawl,
)

#: Real `scrapy crawl` processes and servers: the slow loop (README).
pytestmark = pytest.mark.integration


def crawl(workdir, url, *args, **kw):
    return run_crawl(workdir, url, "-a", f"profile={SYNTHETIC_PROFILE}", *args, **kw)


def start(workdir, url, settings=None, **kw) -> subprocess.Popen:
    cmd = crawl_command(workdir, url, "-a", f"profile={SYNTHETIC_PROFILE}", settings=settings)
    return subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, **kw)


def wait_for(condition, timeout: float = 30, what: str = "it") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"waited {timeout} s for {what}"
        time.sleep(0.02)


def exactly_once(path, total: int) -> list[dict]:
    """Every line of the output is a whole record, and releases 0..total-1 are each there once."""
    raw = path.read_bytes()
    assert raw.endswith(b"\n")
    records = [json.loads(line) for line in raw.splitlines()]
    ks = [int(r["url"].rsplit("/", 1)[1].split(".")[0]) for r in records]
    assert sorted(ks) == list(range(total)), f"{len(ks)} lines for {total} releases"
    return records


def errors(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if " ERROR: " in line or line.startswith("pressbot: error")]


# --- 1. locks ---------------------------------------------------------------------------------
def test_deleting_lock_files_mid_run_lets_no_second_run_in(tmp_path, serve):
    """A "stale lock" clean-up mid-run (rm *.lock) used to let a second run through: 209 lines
    for 150 releases. The lock is the state file itself now."""
    site = SyntheticSite(releases=150, per_page=10, delay=0.1)
    srv = serve(site.hook)
    first = start(tmp_path, srv.url)
    try:
        wait_for(lambda: len(listing_hits(srv)) >= 2, what="the first run to be under way")
        for stale in tmp_path.glob("*.lock"):
            stale.unlink()
        second = crawl(tmp_path, srv.url)
        assert second.returncode == outcome.LOCKED, second.stderr[-2000:]
        assert errors(second.stderr) == [
            f"pressbot: error: another run (pid {first.pid} on {os.uname().nodename}) holds the lock on "
            f"{tmp_path / 'state.sqlite3'}"
        ]
    finally:
        _, err = first.communicate(timeout=120)
    assert first.returncode == 0, err[-2000:]
    exactly_once(tmp_path / "releases.jsonl", 150)


# --- 2. an output shorter than recorded --------------------------------------------------------
def test_an_output_restored_from_a_copy_taken_mid_write(tmp_path, serve, state_backend):
    """Cut mid-line to 60% (a copy taken mid-write, restored), then new releases: no fragment
    glued to a new line, and every release the output lost is collected again."""
    site = SyntheticSite(releases=50, per_page=10)
    srv = serve(site.hook)
    assert crawl(tmp_path, srv.url).returncode == 0
    out = tmp_path / "releases.jsonl"
    raw = out.read_bytes()
    cut = int(len(raw) * 0.6)
    assert raw[cut - 1 : cut] != b"\n"  # mid-line
    out.write_bytes(raw[:cut])
    site.publish(5)
    second = crawl(tmp_path, srv.url)
    assert second.returncode == 0, second.stderr[-2000:]
    exactly_once(out, 55)
    assert (tmp_path / "releases.jsonl.partial").read_bytes().endswith(b"\n")
    assert second.summary["sources"]["synthetic"]["mode"] == "full"
    assert any("shorter than recorded" in m for m in second.summary["repaired"])
    # full=1 has nothing left to find.
    assert crawl(tmp_path, srv.url, "-a", "full=1").returncode == 0
    exactly_once(out, 55)
