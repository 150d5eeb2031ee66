"""Cron-grade runs, end to end: incremental stops, revisions, exit codes, drift, the lock."""

from __future__ import annotations

import json
import signal
import subprocess
import threading
import time

import pytest

from pressbot import outcome
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

#: Real `scrapy crawl` processes and servers: the slow loop (README).
pytestmark = pytest.mark.integration


def crawl(workdir, url, *args, **kw):
    return run_crawl(workdir, url, "-a", f"profile={SYNTHETIC_PROFILE}", *args, **kw)


def test_incremental_runs_fetch_what_is_new(tmp_path, serve, state_backend):
    site = SyntheticSite(releases=95, per_page=10)
    srv = serve(site.hook)
    # The bare rule: caught up, no overlap (test_overlap_finds_an_edit_past_the_first_page).
    settings = {"PRESSBOT_OVERLAP_PAGES": "0"}

    first = crawl(tmp_path, srv.url, settings=settings)
    assert first.returncode == 0, first.stderr
    assert len(first.records()) == 95
    assert len(listing_hits(srv)) == 10
    s = first.summary["sources"]["synthetic"]
    assert (s["mode"], s["stop_reason"], s["pages"], s["new"]) == ("full", "end of archive", 10, 95)

    # Nothing changed: one listing page, nothing written.
    srv.hits.clear()
    second = crawl(tmp_path, srv.url, settings=settings)
    assert second.returncode == 0, second.stderr
    assert listing_hits(srv) == ["/synthetic/news/index.html"]
    assert len(second.records()) == 95
    s = second.summary["sources"]["synthetic"]
    assert (s["mode"], s["stop_reason"], s["new"], s["duplicates"]) == ("incremental", "caught up", 0, 10)

    # One release published: still one page, exactly that release written.
    site.publish(1)
    srv.hits.clear()
    third = crawl(tmp_path, srv.url, settings=settings)
    assert listing_hits(srv) == ["/synthetic/news/index.html"]
    new = third.records()[95:]
    assert [r["url"].rsplit("/", 1)[1] for r in new] == ["95.html"]

    # Fifteen more, and a correction to a known release that is now on page 2: 15 new,
    # 1 revision.
    site.publish(15)
    site.edit(93, "Release 93: corrected headline")
    srv.hits.clear()
    fourth = crawl(tmp_path, srv.url, settings=settings)
    assert fourth.returncode == 0, fourth.stderr
    # (The edited release breaks the known streak on page 2: page 3 is read to be sure.)
    assert listing_hits(srv) == [
        "/synthetic/news/index.html",
        "/synthetic/news/page-2.html",
        "/synthetic/news/page-3.html",
    ]
    new = fourth.records()[96:]
    revised = [r for r in new if r["revision"] > 1]
    assert len(new) == 16 and len(revised) == 1
    assert revised[0]["title"] == "Release 93: corrected headline"
    assert revised[0]["revision"] == 2
    original = next(r for r in fourth.records() if r["id"] == revised[0]["id"] and r["revision"] == 1)
    assert original["title"] != revised[0]["title"]
    assert len({r["id"] for r in fourth.records()}) == 111

    # full=1 walks every page again and still writes nothing that is not new.
    srv.hits.clear()
    full = crawl(tmp_path, srv.url, "-a", "full=1", settings=settings)
    assert full.returncode == 0, full.stderr
    assert len(listing_hits(srv)) == 12
    assert len(full.records()) == 112


def test_overlap_reads_past_the_caught_up_point_and_finds_edits(tmp_path, serve):
    site = SyntheticSite(releases=50, per_page=10)
    srv = serve(site.hook)
    assert crawl(tmp_path, srv.url).returncode == 0
    site.publish(3)
    site.edit(35, "Release 35: corrected headline")  # on page 2 after the three new ones
    srv.hits.clear()
    again = crawl(tmp_path, srv.url)
    assert again.returncode == 0, again.stderr[-3000:]
    # Page 1 holds the three new releases and seven known ones: caught up; then one page more.
    assert listing_hits(srv) == ["/synthetic/news/index.html", "/synthetic/news/page-2.html"]
    new = again.records()[50:]
    assert sorted(r["url"].rsplit("/", 1)[1] for r in new if r["revision"] == 1) == [
        "50.html",
        "51.html",
        "52.html",
    ]
    [revised] = [r for r in new if r["revision"] > 1]
    assert revised["title"] == "Release 35: corrected headline"
    assert again.summary["sources"]["synthetic"]["stop_reason"] == "caught up"


def test_an_interrupted_walk_is_finished_by_the_next_run(tmp_path, serve, state_backend):
    """A first run stopped early (page limit aside) leaves the walk incomplete: no early stop."""
    site = SyntheticSite(releases=50, per_page=10)
    srv = serve(site.hook)
    # A page that fails makes the walk incomplete...
    broken = {"/synthetic/news/page-3.html"}

    def hook(handler, path):
        if path in broken:
            handler.send_whole(503, b"busy", "text/plain")
            return True
        return site.hook(handler, path)

    srv.hook = hook
    first = crawl(tmp_path, srv.url, settings={"RETRY_TIMES": "1"})
    assert first.returncode == outcome.PAGES_FAILED
    assert len(first.records()) == 20
    s = first.summary["sources"]["synthetic"]
    assert s["stop_reason"] == "error" and s["failed_pages"] == 1
    assert s["errors"][0]["url"].endswith("/synthetic/news/page-3.html")
    assert s["errors"][0]["error"] == "HTTP 503"
    # ...so the next run walks past the known first pages and collects the rest.
    broken.clear()
    second = crawl(tmp_path, srv.url)
    assert second.returncode == 0, second.stderr
    assert second.summary["sources"]["synthetic"]["mode"] == "full"
    assert len(second.records()) == 50
    assert len({r["id"] for r in second.records()}) == 50


def test_drift_names_the_selector_and_fails(tmp_path, serve):
    srv = serve()
    result = run_crawl(tmp_path, f"{srv.url}/redesign")
    assert result.returncode == outcome.DRIFT, result.stderr
    message = "entry selector css:.view-news .views-row article.node--view-mode-teaser matched 0 entries"
    assert message in result.stderr
    assert f"{srv.url}/redesign/amnesty-ca/news/index.html" in result.stderr
    s = result.summary
    assert s["exit_code"] == outcome.DRIFT
    assert s["sources"]["amnesty-ca"]["drift"][0]["problem"].startswith(message)
    assert s["sources"]["amnesty-ca"]["stop_reason"] == "drift"


def test_drift_in_a_required_field(tmp_path, serve):
    site = SyntheticSite(releases=20, per_page=10)

    def hook(handler, path):
        if path == "/synthetic/news/index.html":  # the title markup changed on the first page
            body = site.listing(1).replace(b'class="title"', b'class="heading"')
            handler.send_whole(200, body)
            return True
        return site.hook(handler, path)

    srv = serve(hook)
    result = crawl(tmp_path, srv.url)
    assert result.returncode == outcome.DRIFT
    assert "field 'title' selector css:h2.title a found nothing in 10 of 10 entries" in result.stderr
    assert "field 'url' selector" in result.stderr
    # Entries without a title are dropped and counted, never written half-empty.
    s = result.summary["sources"]["synthetic"]
    assert s["dropped"] == {"missing_title": 10, "missing_id": 10, "missing_url": 10}
    assert len(result.records()) == 10  # the second page was still fine


def test_lock_held_exits_at_once(tmp_path, serve, state_backend):
    srv = serve(SyntheticSite(releases=10).hook)
    holder = open_state(STATE.get(tmp_path, str(tmp_path / "state.sqlite3")))
    holder.acquire_lock()
    try:
        result = crawl(tmp_path, srv.url)
    finally:
        holder.close()
    assert result.returncode == outcome.LOCKED
    assert "pressbot: error: another run (" in result.stderr and "holds the lock" in result.stderr
    assert srv.hits == [] and result.records() == []


def test_overlapping_run_is_refused_and_corrupts_nothing(tmp_path, serve, state_backend):
    site = SyntheticSite(releases=60, per_page=10)
    gate = threading.Event()

    def held(handler, path):
        # The first run's walk waits on its second page until the second run has given up:
        # the two overlap however slow the machine is.
        if path.endswith("/page-2.html"):
            gate.wait(60)
        return site.hook(handler, path)

    srv = serve(held)
    cmd = crawl_command(tmp_path, srv.url, "-a", f"profile={SYNTHETIC_PROFILE}")
    first = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 30
        while not listing_hits(srv) and time.monotonic() < deadline:
            time.sleep(0.05)
        second = crawl(tmp_path, srv.url)
        assert second.returncode == outcome.LOCKED
        assert "holds the lock" in second.stderr
        assert first.poll() is None, "the locked run should have given up while the first ran"
    finally:
        gate.set()
        _, err = first.communicate(timeout=60)
    assert first.returncode == 0, err
    records = second.records()
    assert len(records) == 60 and len({r["id"] for r in records}) == 60


def test_a_bad_setting_is_refused_before_any_request(tmp_path, serve):
    srv = serve(SyntheticSite(releases=10).hook)
    result = crawl(tmp_path, srv.url, settings={"PRESSBOT_FLUSH_ITEMS": "lots"})
    assert result.returncode == outcome.BAD_CONFIG
    assert "setting PRESSBOT_FLUSH_ITEMS: 'lots' is not a whole number" in result.stderr
    assert srv.hits == [] and not (tmp_path / "releases.jsonl").exists()


def test_an_unexpected_error_at_start_is_an_internal_error_that_says_what(tmp_path, serve):
    srv = serve(SyntheticSite(releases=10).hook)
    # (A state path that cannot be made is the user's to fix now: exit 64, test_operations.py.)
    result = crawl(tmp_path, srv.url, settings={"EXTENSIONS": '{"pressbot.nowhere.Extension": 10}'})
    assert result.returncode == outcome.INTERNAL_ERROR
    assert "internal error while starting the crawl" in result.stderr
    assert "No module named 'pressbot.nowhere'" in result.stderr and srv.hits == []
    assert result.summary["exit_code"] == outcome.INTERNAL_ERROR


def test_sigint_is_interrupted_and_keeps_what_was_written(tmp_path, serve):
    site = SyntheticSite(releases=200, per_page=10, delay=0.2)
    srv = serve(site.hook)
    cmd = crawl_command(tmp_path, srv.url, "-a", f"profile={SYNTHETIC_PROFILE}")
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 20
    while len(listing_hits(srv)) < 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == outcome.INTERRUPTED, err
    written = [json.loads(x) for x in (tmp_path / "releases.jsonl").read_text().splitlines()]
    assert len(written) >= 20
    assert json.loads((tmp_path / "runs" / "latest.json").read_text())["finish_reason"] == "shutdown"
    # The walk was not finished, so the next run is a full walk and completes the set.
    done = crawl(tmp_path, srv.url)
    assert done.returncode == 0
    assert done.summary["sources"]["synthetic"]["mode"] == "full"
    assert len({r["id"] for r in done.records()}) == 200 == len(done.records())


def test_an_unreachable_redis_state_is_unavailable_with_a_message(tmp_path, serve):
    from pressbot.devserver import free_port

    srv = serve(SyntheticSite(releases=10).hook)
    url = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there
    result = crawl(tmp_path, srv.url, settings={"PRESSBOT_STATE": url})
    assert result.returncode == outcome.UNAVAILABLE == 69
    assert f"pressbot: error: cannot reach the Redis state at {url}" in result.stderr
    assert srv.hits == [] and not (tmp_path / "releases.jsonl").exists()
