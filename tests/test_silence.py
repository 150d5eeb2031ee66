"""Silent sources: max_silence, the usual gap learned from a source's days, the state's calendar,
and a silent source's own exit status in the run summary."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json

import pytest
from scrapy.utils.test import get_crawler

from pressbot import outcome, silence
from pressbot.ledger import Ledger
from pressbot.options import RunOptions
from pressbot.profiles import ProfileError, load_profile, load_sources
from pressbot.run import Run
from pressbot.silence import Rule, judge, parse_duration, usual_gap
from pressbot.state import SQLiteState, open_state
from pressbot.summary import build_summary
from pressbot.walk import Stop, WalkState
from tests.test_profiles import GOOD, write

NOW = dt.datetime(2026, 3, 1, 12, tzinfo=dt.UTC)
LONG_AGO = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)


def every(days: int, count: int, last: str) -> list[str]:
    """``count`` days with releases, ``days`` apart, the newest ``last``."""
    end = dt.date.fromisoformat(last)
    return [(end - dt.timedelta(days=days * i)).isoformat() for i in range(count)]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("14d", dt.timedelta(days=14)),
        ("36h", dt.timedelta(hours=36)),
        ("2w", dt.timedelta(weeks=2)),
        (" 1.5d ", dt.timedelta(hours=36)),
        ("off", None),
        ("OFF", None),
    ],
)
def test_durations(text, expected):
    assert parse_duration(text) == expected


@pytest.mark.parametrize(
    "value, problem",
    [
        ("14", "not a duration"),
        ("14 days", "not a duration"),
        ("d", "not a duration"),
        ("-3d", "not a duration"),
        ("0d", "longer than zero"),
        ("", "not a duration"),
        (14, "must be a string"),
        (True, "must be a string"),
        ("1" + "0" * 400 + "w", "longer than any date"),
        ("9999999999w", "longer than any date"),
    ],
)
def test_bad_durations(value, problem):
    with pytest.raises(silence.SilenceError, match=problem):
        parse_duration(value)


def test_max_silence_in_a_profile(tmp_path):
    ten = load_profile(write(tmp_path, GOOD + '[checks]\nmax_silence = "10d"\n'))
    assert ten.max_silence == dt.timedelta(days=10)
    assert load_profile(write(tmp_path, GOOD + '[checks]\nmax_silence = "off"\n')).max_silence is None
    # A profile without the key (every profile before it existed) learns its limit.
    assert load_profile(write(tmp_path, GOOD)).max_silence == silence.LEARN
    for name, profile in {p.name: p for p in load_sources("amnesty-ca,wp-news,gouv-fr")}.items():
        assert profile.max_silence == silence.LEARN, name


@pytest.mark.parametrize("value", ['"fortnight"', "14", '"0h"', "[1]"])
def test_a_bad_max_silence_names_the_file_and_key(tmp_path, value):
    path = write(tmp_path, GOOD + f"[checks]\nmax_silence = {value}\n")
    with pytest.raises(ProfileError) as err:
        load_profile(path)
    assert err.value.key == "checks.max_silence"
    assert str(err.value).startswith(f"{path}: [checks.max_silence] ")


def test_the_usual_gap_is_the_90th_percentile_of_the_gaps():
    assert usual_gap(every(1, 10, "2026-02-01")) is None  # 9 gaps: too few to learn from
    assert usual_gap(every(1, 11, "2026-02-01")) == dt.timedelta(days=1)
    # 18 gaps of 2 days and 2 of 10 (holidays): the 90th percentile is still 2 days...
    days = every(2, 10, "2026-02-01") + every(2, 10, "2026-01-01") + ["2025-12-01"]
    assert usual_gap(days) == dt.timedelta(days=2)
    # ...but with a third long gap, 10 days.
    assert usual_gap(days + ["2025-11-21"]) == dt.timedelta(days=10)
    # Only the newest HISTORY_DAYS days count: an old rhythm is forgotten.
    old = every(30, 50, "2019-01-01")
    assert usual_gap(old + every(1, 120, "2026-02-01")) == dt.timedelta(days=1)


def test_a_source_past_its_max_silence_is_silent():
    rule = Rule(max_silence=dt.timedelta(days=14))
    verdict = judge(["2026-02-10", "2026-01-03"], rule, NOW)
    # The newest day ended at 2026-02-11 00:00 UTC: 18.5 days before NOW.
    assert verdict == {
        "newest_release": "2026-02-10",
        "silent_days": 18.5,
        "allowed_days": 14.0,
        "allowed_by": "max_silence",
        "usual_gap_days": None,
        "silent": True,
        "note": None,
    }
    assert not judge(["2026-02-20"], rule, NOW)["silent"]
    assert judge(["2026-02-10"], Rule(max_silence=None), NOW)["silent"] is False
    assert judge([], rule, NOW)["note"] == "no dated release known"
    # A release today (in a zone ahead of UTC: tomorrow) is no silence at all.
    assert judge(["2026-03-02"], rule, NOW)["silent_days"] == 0


def test_the_learned_limit_is_a_multiple_of_the_usual_gap_with_a_floor():
    daily = every(1, 30, "2026-02-20")  # 9.5 days quiet; usual gap 1 day
    verdict = judge(daily, Rule(factor=3, floor=dt.timedelta(days=7)), NOW, LONG_AGO)
    assert (verdict["allowed_days"], verdict["allowed_by"], verdict["silent"]) == (7.0, "usual gap", True)
    assert not judge(daily, Rule(factor=3, floor=dt.timedelta(days=10)), NOW, LONG_AGO)["silent"]
    weekly = every(7, 30, "2026-02-10")  # 18.5 days quiet; allowed 3 x 7
    verdict = judge(weekly, Rule(factor=3), NOW, LONG_AGO)
    assert (verdict["usual_gap_days"], verdict["allowed_days"], verdict["silent"]) == (7, 21.0, False)
    assert judge(weekly, Rule(factor=2), NOW, LONG_AGO)["silent"]
    assert judge(weekly, Rule(factor=0), NOW, LONG_AGO)["silent"] is False


def test_the_learned_limit_waits_until_the_source_was_watched_that_long():
    """An old archive crawled for the first time (a test crawl of a fixture site) is no alarm."""
    daily = every(1, 30, "2020-02-20")
    assert judge(daily, Rule(), NOW, NOW - dt.timedelta(hours=1))["silent"] is False
    assert "not judged yet" in judge(daily, Rule(), NOW, NOW - dt.timedelta(hours=1))["note"]
    assert judge(daily, Rule(), NOW, NOW - dt.timedelta(days=8))["silent"] is True
    assert judge(daily, Rule(), NOW, None)["silent"] is False
    # The profile's own limit is judged at once.
    assert judge(daily, Rule(max_silence=dt.timedelta(days=14)), NOW, NOW)["silent"] is True
    few = every(1, 5, "2020-02-20")
    assert "fewer than 11 days" in judge(few, Rule(), NOW, LONG_AGO)["note"]


@pytest.fixture(params=["sqlite", "redis"])
def location(request, tmp_path):
    if request.param == "sqlite":
        return str(tmp_path / "state.sqlite3")
    return request.getfixturevalue("redis_url")


@pytest.mark.integration
def test_the_state_keeps_a_calendar_on_both_backends(location):
    state = open_state(location)
    assert state.days("a") == {} and not state.days_filled()
    state.add_days({("a", "2026-01-02"): 2, ("a", "2026-01-01"): 1, ("b", "2025-12-31"): 4})
    state.add_days({("a", "2026-01-02"): 1}, filled=True)
    assert state.days("a") == {"2026-01-02": 3, "2026-01-01": 1}
    assert state.days("a", limit=1) == {"2026-01-02": 3}
    assert state.days_filled()
    assert state.watched_since("a", "2026-01-05T00:00:00+00:00") == "2026-01-05T00:00:00+00:00"
    assert state.watched_since("a", "2026-02-05T00:00:00+00:00") == "2026-01-05T00:00:00+00:00"
    state.close()
    again = open_state(location)
    assert again.days("b") == {"2025-12-31": 4}
    again.close()


@pytest.mark.integration
def test_a_run_opens_with_every_sources_history_in_one_go_on_both_backends(location):
    state = open_state(location)
    state.add_days({("a", "2026-01-02"): 2, ("a", "2026-01-01"): 1, ("b", "2025-12-31"): 4})
    state.watched_since("a", "2025-06-01T00:00:00+00:00")
    sources = ["a", "b"] + [f"s{n}" for n in range(1200)]  # past one round trip's worth
    found = state.histories(sources, "2026-02-05T00:00:00+00:00", limit=1)
    assert list(found) == sources
    assert found["a"] == ({"2026-01-02": 2}, "2025-06-01T00:00:00+00:00")
    assert found["b"] == ({"2025-12-31": 4}, "2026-02-05T00:00:00+00:00")  # watched from now on
    assert found["s1199"] == ({}, "2026-02-05T00:00:00+00:00")
    # The same as asking source by source (and the first answer stands).
    assert state.watched_since("b", "2027-01-01T00:00:00+00:00") == "2026-02-05T00:00:00+00:00"
    assert state.days("a", limit=1) == found["a"][0]
    state.close()


def record(id, source="amnesty-ca", published="2026-01-02", revision=1, crawled="2026-01-03T00:00:00Z"):
    return {"id": id, "source": source, "published": published, "revision": revision, "crawled_at": crawled}


def test_the_ledger_adds_new_releases_days_to_the_calendar(tmp_path):
    ledger = Ledger(SQLiteState(tmp_path / "s.sqlite3"), tmp_path / "out.jsonl")
    ledger.write(record("a"))
    ledger.write(record("b", published=None))  # undated: no day
    ledger.write(record("c", revision=2))  # a revision is no new release
    ledger.write(record("d", published="2026-01-01"))
    ledger.flush()
    assert dict(ledger.days) == {("amnesty-ca", "2026-01-02"): 1, ("amnesty-ca", "2026-01-01"): 1}
    assert ledger.state.days("amnesty-ca") == {"2026-01-02": 1, "2026-01-01": 1}
    ledger.close()


def test_an_older_state_s_calendar_is_filled_from_the_output_once(tmp_path):
    """A state made before the calendar existed: its releases' days come from the output."""
    out = tmp_path / "out.jsonl"
    lines = [record("a", crawled="2025-06-01T10:00:00Z"), record("b", published="2025-12-01")]
    lines += [record("a", revision=2), record("z", source="gouv-fr", published=None)]
    out.write_bytes(b"".join(json.dumps(r).encode() + b"\n" for r in lines) + b'{"torn')
    state = SQLiteState(tmp_path / "s.sqlite3")
    state.record([], str(out), out.stat().st_size)  # the state knows the whole output
    state.close()
    ledger = Ledger(SQLiteState(tmp_path / "s.sqlite3"), out)
    assert ledger.state.days("amnesty-ca") == {"2026-01-02": 1, "2025-12-01": 1}
    assert ledger.state.watched_since("amnesty-ca", "2026-09-09") == "2025-06-01T10:00:00Z"
    assert ledger.state.watched_since("gouv-fr", "2026-09-09") == "2026-01-03T00:00:00Z"
    ledger.close()
    ledger = Ledger(SQLiteState(tmp_path / "s.sqlite3"), out)  # once: not counted again
    assert ledger.state.days("amnesty-ca") == {"2026-01-02": 1, "2025-12-01": 1}
    ledger.close()


@pytest.fixture
def run(tmp_path):
    profiles = {p.name: p for p in load_sources("amnesty-ca,gouv-fr", "https://x.test")}
    ledger = Ledger(SQLiteState(tmp_path / "state.sqlite3"), tmp_path / "out.jsonl")
    stats = get_crawler().stats
    walks = {name: WalkState(incremental=True) for name in profiles}
    run = Run(RunOptions(), profiles, ledger, walks, stats=stats)
    for walk in walks.values():
        walk.end(Stop.CAUGHT_UP)
    yield run
    ledger.close()


def test_a_silent_source_has_its_own_exit_status_in_the_summary(run):
    run.profiles["gouv-fr"] = dataclasses.replace(run.profiles["gouv-fr"], max_silence=dt.timedelta(days=14))
    run.history["gouv-fr"] = ({d: 1 for d in every(1, 3, "2026-02-01")}, None)
    run.history["amnesty-ca"] = ({d: 1 for d in every(1, 30, "2026-02-27")}, LONG_AGO)
    run.judge_silence(NOW)
    summary = build_summary(run.stats.get_stats(), run, "finished")
    assert summary["exit_code"] == outcome.SILENT == 66
    assert summary["exit_meaning"] == "a source is silent: no release for longer than it allows"
    gouv = summary["sources"]["gouv-fr"]["silence"]
    assert (gouv["silent"], gouv["newest_release"], gouv["allowed_by"]) == (True, "2026-02-01", "max_silence")
    assert summary["sources"]["amnesty-ca"]["silence"]["silent"] is False
    assert run.stats.get_value("pressbot/source/gouv-fr/silent") == 1


def test_a_release_written_by_this_run_ends_the_silence(run):
    run.profiles["gouv-fr"] = dataclasses.replace(run.profiles["gouv-fr"], max_silence=dt.timedelta(days=14))
    run.history["gouv-fr"] = ({"2026-01-01": 1}, None)
    run.ledger.write(record("new", source="gouv-fr", published="2026-02-28"))
    run.ledger.flush()
    run.judge_silence(NOW)
    assert run.silence["gouv-fr"]["newest_release"] == "2026-02-28"
    assert not run.silence["gouv-fr"]["silent"]
    assert outcome.exit_code(run.stats.get_stats()) == outcome.OK


def test_worse_problems_win_over_silence():
    assert outcome.exit_code({"pressbot/silent": 1, "pressbot/failed_pages": 1}) == outcome.PAGES_FAILED
    assert outcome.exit_code({"pressbot/silent": 1, "finish_reason": "shutdown"}) == outcome.INTERRUPTED
    assert outcome.exit_code({"pressbot/silent": 1}) == outcome.SILENT
