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


# --- what the summary says of the run itself ---------------------------------------------------
def test_the_summary_says_how_long_which_job_given_what_by_what(run):
    import socket

    from pressbot import __version__

    run.job = "6487ec79947edab326d6db28a2d86511"
    run.options = RunOptions.parse(source="amnesty-ca,gouv-fr", max_pages="3")
    run.settings_given = {"PRESSBOT_OUTPUT": "/srv/out.jsonl"}
    run.count("amnesty-ca", "new", 2)
    run.stats.set_value("pressbot/source/amnesty-ca/written", 2)
    summary = build_summary(run.stats.get_stats(), run, "finished")
    finished = dt.datetime.fromisoformat(summary["finished_at"])
    # (finished_at is to the millisecond; the duration from the times themselves)
    elapsed = (finished - dt.datetime(2026, 1, 1, 10, tzinfo=dt.UTC)).total_seconds()
    assert abs(summary["duration_seconds"] - elapsed) <= 0.002
    assert summary["job"] == "6487ec79947edab326d6db28a2d86511"
    assert summary["arguments"] == {"source": "amnesty-ca,gouv-fr", "max_pages": "3"}
    assert summary["settings"] == {"PRESSBOT_OUTPUT": "/srv/out.jsonl"}
    assert (summary["version"], summary["host"]) == (__version__, socket.gethostname())
    assert summary["sources"]["amnesty-ca"]["written"] == 2
    assert summary["sources"]["gouv-fr"]["written"] == 0
    json.dumps(summary)  # (plain JSON throughout)


def test_the_summary_only_adds_to_what_readers_knew(tmp_path):
    """Readers of summaries keep working: every key the summary had stays."""
    from pressbot.summary import start_failure_summary

    before = {
        "started_at", "finished_at", "finish_reason", "exit_code", "exit_meaning", "written",
        "output", "repaired", "sources",
    }  # fmt: skip
    source_before = {
        "pages", "detail_pages", "entries", "new", "revised", "duplicates", "date_problems",
        "dates_out_of_order", "failed_pages", "detail_errors", "incomplete_walks", "entry_problems",
        "traps", "dropped", "mode", "stop_reason", "walk_complete", "errors", "drift", "problems",
        "gone",
    }  # fmt: skip
    profiles = {p.name: p for p in load_sources("amnesty-ca", "https://x.test")}
    ledger = Ledger(SQLiteState(tmp_path / "s.sqlite3"), tmp_path / "out.jsonl")
    walks = {"amnesty-ca": WalkState(incremental=False)}
    run = Run(RunOptions(), profiles, ledger, walks, stats=get_crawler().stats)
    summary = build_summary(run.stats.get_stats(), run, "finished")
    ledger.close()
    assert before <= set(summary) and source_before <= set(summary["sources"]["amnesty-ca"])
    assert summary["duration_seconds"] is None  # (no start time in these stats)
    assert (summary["job"], summary["arguments"], summary["settings"]) == (None, {}, {})
    refused = start_failure_summary(dt.datetime.now(dt.UTC), 64, "pressbot: error: x")
    assert before | {"error"} <= set(refused)


def test_a_refused_run_s_summary_says_the_job_and_what_was_given():
    from pressbot.summary import start_failure_summary

    started = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=2)
    summary = start_failure_summary(
        started, 64, "pressbot: error: x", job="j1", arguments={"source": "nope"}, settings={"PRESSBOT_X": 1}
    )
    assert (summary["job"], summary["arguments"], summary["settings"]) == (
        "j1",
        {"source": "nope"},
        {"PRESSBOT_X": 1},
    )
    assert 2 <= summary["duration_seconds"] < 60


# --- the outcome, the log's last lines ----------------------------------------------------------
def test_the_outcome_lines_say_what_was_written_the_summary_and_the_exit_status(run, tmp_path, caplog):
    from pressbot.summary import outcome_lines, say_outcome

    caplog.set_level("INFO", logger="pressbot.summary")
    assert outcome_lines(run, {"pressbot/drift": 1}) == [
        f"pressbot wrote 0 new or revised releases to {run.ledger.output}",
        "pressbot run summary: not written (see the error above)",
        "pressbot exit status 65: drift: selectors stopped matching",
    ]
    run.summary_path = tmp_path / "runs" / "x.json"
    assert outcome_lines(run, {})[1:] == [
        f"pressbot run summary: {tmp_path / 'runs' / 'x.json'}",
        "pressbot exit status 0: clean run",
    ]
    say_outcome(run, {"pressbot/drift": 1})
    assert [(r.levelname, r.getMessage()) for r in caplog.records][-1] == (
        "ERROR",
        "pressbot exit status 65: drift: selectors stopped matching",
    )
    assert [r.levelname for r in caplog.records] == ["INFO", "INFO", "ERROR"]
    say_outcome(run, {})  # once only
    assert len(caplog.records) == 3


@pytest.mark.parametrize("stats, level", [({}, "INFO"), ({"finish_reason": "shutdown"}, "WARNING")])
def test_the_exit_status_line_is_as_loud_as_the_outcome(run, caplog, stats, level):
    from pressbot.summary import say_outcome

    caplog.set_level("INFO", logger="pressbot.summary")
    say_outcome(run, stats)
    assert caplog.records[-1].levelname == level


# --- pruning ----------------------------------------------------------------------------------
def _summaries(runs, stamps):
    runs.mkdir(parents=True, exist_ok=True)
    paths = []
    for stamp in stamps:
        path = runs / f"{stamp}Z.json"
        path.write_text(json.dumps({"started_at": stamp, "finish_reason": "finished", "exit_code": 0}))
        paths.append(path)
    return paths


def _day(n: int) -> str:
    """A summary's time stamp n days before 2026-06-30 10:00 UTC."""
    return (dt.datetime(2026, 6, 30, 10, tzinfo=dt.UTC) - dt.timedelta(days=n)).strftime("%Y%m%dT%H%M%S.%f")


NOW = dt.datetime(2026, 6, 30, 10, 0, 1, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    "keep, max_age, kept_days",
    [
        (3, 0, [0, 1, 2]),  # the newest three
        (0, 2.5, [0, 1, 2]),  # none older than two and a half days
        (2, 2.5, [0, 1]),  # both limits: the stricter wins
        (10, 1.5, [0, 1]),
        (0, 0, [0, 1, 2, 3, 4, 5]),  # no limit: all kept
        (100, 0, [0, 1, 2, 3, 4, 5]),
        (0, 1e9, [0, 1, 2, 3, 4, 5]),  # further back than any date
    ],
)
def test_pruning_keeps_the_newest_and_the_recent(tmp_path, keep, max_age, kept_days):
    from pressbot.summary import prune_summaries

    runs = tmp_path / "runs"
    paths = _summaries(runs, [_day(n) for n in range(6)])
    deleted = prune_summaries(runs, keep, max_age, now=NOW)
    assert sorted(p.name for p in runs.glob("2*.json")) == sorted(paths[n].name for n in kept_days)
    assert len(deleted) == 6 - len(kept_days)


def test_pruning_never_deletes_what_is_not_a_summary(tmp_path):
    from pressbot.summary import prune_summaries

    runs = tmp_path / "runs"
    _summaries(runs, [_day(n) for n in range(3)])
    (runs / "latest.json").write_text(
        json.dumps({"started_at": "x", "finish_reason": "finished", "exit_code": 0})
    )
    foreign = {
        "notes.txt": "mine",
        f"{_day(30)}Z.json.bak": "{}",  # not a summary's name
        f"{_day(31)}Z.json": json.dumps({"some": "thing else"}),  # a summary's name, not its content
        f"{_day(32)}Z.json": "not json",
        f"{_day(33)}Z.json": json.dumps([1, 2]),
        "20260101T000000Z.json": json.dumps({"finish_reason": "finished", "exit_code": 0}),  # other stamp
    }
    for name, text in foreign.items():
        (runs / name).write_text(text)
    (runs / f"{_day(40)}Z.json").mkdir()  # a folder
    target = tmp_path / "elsewhere.json"
    target.write_text(json.dumps({"finish_reason": "finished", "exit_code": 0}))
    (runs / f"{_day(41)}Z.json").symlink_to(target)  # a link, even to a summary
    deleted = prune_summaries(runs, 1, 0.5, now=NOW)
    assert [p.name for p in deleted] == [f"{_day(1)}Z.json", f"{_day(2)}Z.json"]
    for name in [*foreign, "latest.json", f"{_day(40)}Z.json", f"{_day(41)}Z.json", f"{_day(0)}Z.json"]:
        assert (runs / name).exists(), name
    assert target.exists()


def test_writing_a_summary_prunes_but_keeps_itself_and_latest(tmp_path):
    from pressbot.summary import write_summary

    runs = tmp_path / "runs"
    _summaries(runs, [_day(n) for n in range(5, 10)])  # all older than the new one
    first = write_summary(
        {"started_at": "2026-12-01T00:00:00.000Z", "finish_reason": "finished", "exit_code": 0}, runs, 2, 0
    )
    assert sorted(p.name for p in runs.glob("2*.json")) == sorted([first.name, f"{_day(5)}Z.json"])
    assert json.loads((runs / "latest.json").read_text())["started_at"] == "2026-12-01T00:00:00.000Z"
    # max age alone: the new ones are never too old, the old one goes.
    path = write_summary(
        {"started_at": "2026-12-01T00:00:01.000Z", "finish_reason": "finished", "exit_code": 0}, runs, 0, 1
    )
    assert sorted(p.name for p in runs.glob("2*.json")) == sorted([first.name, path.name])
