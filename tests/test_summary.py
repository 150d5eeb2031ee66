"""The run summary built from a run in-process: counters, stops, reports, the exit status."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from scrapy.exceptions import NotConfigured
from scrapy.utils.test import get_crawler

from pressbot import outcome
from pressbot.ledger import Ledger
from pressbot.options import RunOptions
from pressbot.profiles import load_sources
from pressbot.run import Run
from pressbot.state import SQLiteState
from pressbot.summary import RunSummary, build_summary
from pressbot.walk import Stop, Trap, WalkState


@pytest.fixture
def run(tmp_path):
    profiles = {p.name: p for p in load_sources("amnesty-ca,gouv-fr", "https://x.test")}
    ledger = Ledger(SQLiteState(tmp_path / "state.sqlite3"), tmp_path / "out.jsonl")
    stats = get_crawler().stats
    stats.set_value("start_time", dt.datetime(2026, 1, 1, 10, tzinfo=dt.UTC))
    walks = {"amnesty-ca": WalkState(incremental=True), "gouv-fr": WalkState(incremental=False)}
    run = Run(RunOptions(), profiles, ledger, walks, stats=stats)
    yield run
    ledger.close()


def test_a_clean_run(run):
    run.count("amnesty-ca", "pages", 2)
    run.count("amnesty-ca", "new", 7)
    run.walks["amnesty-ca"].end(Stop.CAUGHT_UP)
    run.walks["gouv-fr"].end(Stop.END_OF_ARCHIVE)
    summary = build_summary(run.stats.get_stats(), run, "finished")
    assert summary["exit_code"] == outcome.OK and summary["exit_meaning"] == "clean run"
    assert summary["started_at"] == "2026-01-01T10:00:00.000Z"
    amnesty = summary["sources"]["amnesty-ca"]
    assert (amnesty["mode"], amnesty["stop_reason"], amnesty["walk_complete"]) == (
        "incremental",
        "caught up",
        True,
    )
    assert (amnesty["pages"], amnesty["new"], amnesty["failed_pages"]) == (2, 7, 0)
    assert summary["sources"]["gouv-fr"]["mode"] == "full"
    assert summary["output"] == str(run.ledger.output)


def test_failures_traps_and_drift_reach_the_summary_and_the_exit_status(run):
    run.page_failed("gouv-fr", "listing", "https://x.test/p2", "HTTP 503")
    run.walks["gouv-fr"].end(Stop.ERROR)
    run.trap("amnesty-ca", Trap("https://evil.test/", "next page is on another site"))
    run.walks["amnesty-ca"].end(Stop.OFF_SITE)
    summary = build_summary(run.stats.get_stats(), run, "finished")
    assert summary["exit_code"] == outcome.PAGES_FAILED
    gouv = summary["sources"]["gouv-fr"]
    assert gouv["errors"] == [{"url": "https://x.test/p2", "page": "listing", "error": "HTTP 503"}]
    assert (gouv["stop_reason"], gouv["walk_complete"], gouv["failed_pages"]) == ("error", False, 1)
    amnesty = summary["sources"]["amnesty-ca"]
    assert amnesty["traps"] == [{"url": "https://evil.test/", "problem": "next page is on another site"}]
    run.drift("amnesty-ca", "https://x.test/", "entry selector matched 0 entries")
    assert build_summary(run.stats.get_stats(), run, "finished")["exit_code"] == outcome.DRIFT


def test_only_complete_clean_walks_are_finished(run):
    run.walks["amnesty-ca"].end(Stop.CAUGHT_UP)
    run.walks["gouv-fr"].end(Stop.RUN_PAGE_LIMIT)
    assert run.finished_walks("finished") == {"amnesty-ca": Stop.CAUGHT_UP}
    assert run.finished_walks("shutdown") == {}
    run.drift("amnesty-ca", "https://x.test/", "field 'title' found nothing")
    assert run.finished_walks("finished") == {}


def test_an_interrupted_run(run):
    summary = build_summary(run.stats.get_stats(), run, "shutdown")
    assert summary["exit_code"] == outcome.INTERRUPTED
    assert all(s["stop_reason"] is None for s in summary["sources"].values())


def test_the_extension_writes_the_summary_and_latest(run, tmp_path):
    ext = RunSummary(run, run.stats, tmp_path / "runs")
    path = ext.spider_closed(None, "finished")
    written = json.loads(path.read_text())
    assert written == json.loads((tmp_path / "runs" / "latest.json").read_text())
    assert set(written["sources"]) == {"amnesty-ca", "gouv-fr"}


def test_the_extension_stands_aside_outside_a_pressbot_run():
    with pytest.raises(NotConfigured):
        RunSummary.from_crawler(get_crawler())


def test_latest_is_never_an_older_run(tmp_path):
    """Two runs racing: the one that started last stays latest.json, whichever finishes last."""
    from pressbot.summary import write_summary

    runs = tmp_path / "runs"
    newer = {"started_at": "2026-01-01T10:00:00.500Z", "exit_code": 75}
    older = {"started_at": "2026-01-01T10:00:00.200Z", "exit_code": 0}
    write_summary(newer, runs)
    write_summary(older, runs)  # finishes later, but started first
    assert json.loads((runs / "latest.json").read_text()) == newer
    assert len(list(runs.glob("2*.json"))) == 2  # each run keeps its own summary
    newest = {"started_at": "2026-01-01T10:00:01.000Z", "exit_code": 0}
    write_summary(newest, runs)
    assert json.loads((runs / "latest.json").read_text()) == newest
    (runs / "latest.json").write_text("not json")  # someone else's: replaced
    write_summary(older, runs)
    assert json.loads((runs / "latest.json").read_text()) == older


def test_a_run_refused_at_the_start_has_a_summary(tmp_path):
    from pressbot.summary import start_failure_summary

    started = dt.datetime(2026, 1, 1, 10, 0, 0, 123456, tzinfo=dt.UTC)
    summary = start_failure_summary(started, outcome.LOCKED, "pressbot: error: another run holds the lock")
    assert summary["started_at"] == "2026-01-01T10:00:00.123Z"
    assert (summary["finish_reason"], summary["exit_code"], summary["written"], summary["sources"]) == (
        "not started",
        75,
        0,
        {},
    )
    assert summary["exit_meaning"] == "another run holds the lock, or took it from this one"
    assert summary["error"] == "pressbot: error: another run holds the lock"
