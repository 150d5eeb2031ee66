"""pressbot.api: crawls started from Python, for real (a child `scrapy crawl` against local servers)."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pressbot import api, outcome
from pressbot.api import ArgumentError, ProfileError, Result, crawl
from pressbot.synthetic import SyntheticSite
from tests.conftest import FIXTURES, ROOT, SYNTHETIC_PROFILE, read_jsonl


def paths(work: Path, fixtures_url: str = "https://fixtures.invalid") -> dict[str, object]:
    return {
        "PRESSBOT_OUTPUT": work / "releases.jsonl",  # (a Path: the API takes paths as values)
        "PRESSBOT_STATE": str(work / "state.sqlite3"),
        "PRESSBOT_RUNS_DIR": str(work / "runs"),
        "PRESSBOT_FIXTURES_URL": fixtures_url,
    }


# --- a bad argument raises before any crawl starts (no child, no file) ----------------------------
@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        ({"sources": 5}, ArgumentError, "sources: 5 is not a source name or a list of them"),
        ({"sources": ["amnesty-ca", 3]}, ArgumentError, "sources: 3 is not a source name"),
        ({"sources": []}, ArgumentError, "sources: give one or more source names"),
        ({"sources": "nowhere"}, ProfileError, "[source] unknown source nowhere; known: amnesty-ca"),
        ({"profiles": 7}, ArgumentError, "profiles: 7 is not a profile path or a list of them"),
        ({"profiles": ["a,b.toml"]}, ArgumentError, "profiles: 'a,b.toml' holds a comma"),
        ({"profiles": "missing.toml"}, ProfileError, "missing.toml: [file] no such profile file"),
        ({"profiles": ["x.toml", "x.toml"]}, ArgumentError, "profile: x.toml given twice"),
        ({"since": "last week"}, ArgumentError, "since: 'last week' is not a date like 2020-07-15"),
        (
            {"since": dt.datetime(2020, 1, 1)},
            ArgumentError,
            "since: datetime.datetime(2020, 1, 1, 0, 0) is not a date",
        ),
        ({"since": 2020}, ArgumentError, "since: 2020 is not a date"),
        ({"max_pages": "3"}, ArgumentError, "max_pages: '3' is not an int"),
        ({"max_pages": True}, ArgumentError, "max_pages: True is not an int"),
        ({"max_pages": 0}, ArgumentError, "max_pages: 0 must be at least 1"),
        ({"full": "yes"}, ArgumentError, "full: 'yes' must be True or False"),
        ({"settings": ["PRESSBOT_OUTPUT"]}, ArgumentError, "settings: ['PRESSBOT_OUTPUT'] is not a dict"),
        ({"settings": {"LOG_LEVEL": object()}}, ArgumentError, "settings['LOG_LEVEL']: <object object"),
        ({"settings": {"X": float("nan")}}, ArgumentError, "settings['X']: nan cannot be given to a crawl"),
        (
            {"settings": {"PRESSBOT_FLUSH_ITEMS": "lots"}},
            ArgumentError,
            "setting PRESSBOT_FLUSH_ITEMS: 'lots'",
        ),
        (
            {"settings": {"PRESSBOT_PROFILE_DIRS": "/nonexistent"}},
            ArgumentError,
            "/nonexistent does not exist",
        ),
        (
            {"settings": {"PRESSBOT_STATE": "{work}/same", "PRESSBOT_OUTPUT": "{work}/same"}},
            ArgumentError,
            "setting PRESSBOT_OUTPUT: {work}/same (the output) is also the state file",
        ),
    ],
)
def test_a_bad_argument_raises_a_value_error_naming_it_before_any_crawl(
    tmp_path, monkeypatch, kwargs, error, message
):
    work = tmp_path / "work"
    kwargs = dict(kwargs)
    given = kwargs.pop("settings", {})
    if isinstance(given, dict):
        given = {
            **paths(work),
            **{k: v.format(work=work) if isinstance(v, str) else v for k, v in given.items()},
        }
    monkeypatch.chdir(tmp_path)  # (relative profile paths: none of them exists here)
    with pytest.raises(error) as err:
        crawl(settings=given, **kwargs)
    assert isinstance(err.value, ValueError)
    assert message.format(work=work) in str(err.value)
    assert not work.exists()  # no crawl started: no output, state or summary


# --- real crawls ----------------------------------------------------------------------------------
@pytest.mark.integration
def test_crawl_returns_the_summary_and_exit_status_and_runs_again(tmp_path, server, monkeypatch):
    monkeypatch.chdir(tmp_path)  # a script's folder, not the project's
    work = tmp_path / "work"
    first = crawl("amnesty-ca", settings=paths(work, server.url))
    assert isinstance(first, Result)
    assert (first.exit_code, first.exit_meaning, first.ok, first.written) == (0, "clean run", True, 15)
    assert first.summary == json.loads(first.summary_path.read_text())
    assert first.summary_path.parent == work / "runs" and first.summary_path.is_absolute()
    assert first.summary["sources"]["amnesty-ca"]["stop_reason"] == "end of archive"
    assert "pressbot wrote 15 new or revised releases" in first.log
    assert len(read_jsonl(work / "releases.jsonl")) == 15
    # A second crawl in the same process (Scrapy's reactor could not start again here).
    again = crawl(["amnesty-ca"], settings=paths(work, server.url), max_pages=1)
    assert (again.exit_code, again.written) == (0, 0)
    assert again.summary["sources"]["amnesty-ca"]["stop_reason"] == "run page limit"
    assert again.summary_path != first.summary_path


@pytest.mark.integration
def test_crawl_from_a_running_event_loop_as_in_a_notebook(tmp_path, server):
    """A notebook kernel runs its own asyncio loop, where a CrawlerProcess cannot start."""
    work = tmp_path / "work"
    own = tmp_path / "own.toml"
    own.write_text(
        (ROOT / "pressbot" / "sources" / "amnesty-ca.toml").read_text().replace('"amnesty-ca"', '"own"')
    )

    async def cell():
        assert asyncio.get_running_loop().is_running()
        one = crawl(profiles=[own], settings=paths(work, server.url), since=dt.date(2020, 8, 1))
        two = crawl(sources="all", profiles=str(own), settings=paths(work, server.url), full=True)
        return one, two

    one, two = asyncio.run(cell())
    assert (one.exit_code, one.summary["sources"]["own"]["stop_reason"]) == (0, "date limit")
    records = read_jsonl(work / "releases.jsonl")
    assert (
        one.written
        == len([r for r in records if r["source"] == "own" and r["published"] >= "2020-08-01"])
        > 0
    )
    assert two.exit_code == 0, two.log[-3000:]
    assert sorted(two.summary["sources"]) == sorted(
        [p.stem for p in (ROOT / "pressbot" / "sources").glob("*.toml")] + ["own"]
    )
    assert two.summary["sources"]["own"]["mode"] == "full"


@pytest.mark.integration
def test_what_the_run_finds_is_in_the_result_not_raised(tmp_path, server):
    """What only the run can find (a corrupt state: 64; another run's lock: 75) is a Result."""
    work = tmp_path / "work"
    work.mkdir()
    (work / "state.sqlite3").write_bytes(b"this is not a database" * 100)
    result = crawl("amnesty-ca", settings=paths(work, server.url))
    assert (result.exit_code, result.exit_meaning, result.ok) == (
        outcome.BAD_CONFIG,
        "bad arguments or profile",
        False,
    )
    assert result.summary["finish_reason"] == "not started"
    assert result.error.startswith("pressbot: error: ") and "state.sqlite3" in result.error
    assert server.hits == []


SCRIPT = """
import sys
from pressbot.api import crawl
where = {"PRESSBOT_OUTPUT": "releases.jsonl", "PRESSBOT_STATE": "state.sqlite3", "PRESSBOT_RUNS_DIR": "runs"}
try:
    crawl(profiles=[sys.argv[1]], settings={**where, "PRESSBOT_FIXTURES_URL": sys.argv[2]})
except KeyboardInterrupt:
    print("interrupted", flush=True)
"""


def _ctrl_c_as_a_terminal_gives_it() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@pytest.mark.integration
def test_ctrl_c_stops_the_crawl_keeps_what_it_wrote_and_is_raised(tmp_path, serve):
    # Slow pages: the crawl must still be walking when its first records are out, however loaded
    # the machine (300 pages, a second each: longer than the 120 s it waits for the first ones).
    site = SyntheticSite(releases=3000, per_page=10, delay=1.0)
    srv = serve(site.hook)
    proc = subprocess.Popen(
        [sys.executable, "-c", SCRIPT, SYNTHETIC_PROFILE, srv.url],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        # As a terminal starts it: a suite run in the background (`.ci/run &`) ignores SIGINT,
        # and a Python started so would never see the Ctrl-C this test sends.
        preexec_fn=_ctrl_c_as_a_terminal_gives_it,
    )
    deadline = time.monotonic() + 120
    out_file = tmp_path / "releases.jsonl"
    # (The output exists from the start; wait for its first records.)
    while not (out_file.exists() and out_file.stat().st_size) and time.monotonic() < deadline:
        time.sleep(0.2)
    proc.send_signal(signal.SIGINT)  # (only the script: the crawl is in its own process group)
    out, err = proc.communicate(timeout=60)
    summary = json.loads((tmp_path / "runs" / "latest.json").read_text())
    said = f"exit {proc.returncode}, the run: {summary.get('finish_reason')} {summary.get('exit_code')}"
    assert out.strip() == "interrupted", f"{said}; {err[-3000:]}"
    assert (summary["exit_code"], summary["finish_reason"]) == (outcome.INTERRUPTED, "shutdown")
    written = read_jsonl(tmp_path / "releases.jsonl")
    assert 0 < len(written) < 3000 and summary["written"] == len(written)
    # Nothing is left running: the crawl is over, its lock free.
    assert crawl(profiles=SYNTHETIC_PROFILE, max_pages=1, settings=paths(tmp_path / "next", srv.url)).ok


@pytest.mark.integration
def test_sources_and_export_from_python(tmp_path, server):
    work = tmp_path / "work"
    assert crawl("gouv-fr", settings=paths(work, server.url)).ok
    listed = {row["name"]: row for row in api.sources(settings=paths(work, server.url))}
    assert listed["gouv-fr"]["last_run"]["new"] == 11 and listed["wp-news"]["last_run"] is None
    counts = api.export(tmp_path / "current.csv", settings=paths(work, server.url))
    assert (counts["releases"], counts["records"], counts["older"]) == (11, 11, 0)
    assert len((tmp_path / "current.csv").read_text(encoding="utf-8").splitlines()) >= 12
    with pytest.raises(ArgumentError, match="cannot tell the format"):
        api.export(tmp_path / "current.txt", settings=paths(work, server.url))
    with pytest.raises(ArgumentError, match="--source: unknown source nope"):
        api.export(tmp_path / "x.json", sources=["nope"], settings=paths(work, server.url))
    assert FIXTURES.exists()


@pytest.mark.integration
def test_readme_example_runs_as_written(tmp_path, monkeypatch, capsys):
    """README's example, offline (the bundled press room, from file://), in a folder of its own."""
    from tests.test_export import readme_block

    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    exec(compile(readme_block("from pressbot.api import crawl"), "README.md", "exec"), namespace)  # noqa: S102
    assert namespace["result"].exit_code == 0
    assert capsys.readouterr().out.splitlines() == ["0 clean run 15", "amnesty-ca end of archive 15 new"]
    assert len(read_jsonl(tmp_path / "data" / "releases.jsonl")) == 15
