"""The report, built in-process: what it reads of summaries and the dataset, and what it shows."""

from __future__ import annotations

import datetime as dt
import json
import re
import subprocess
import sys

import pytest

from bench.history import write_history
from pressbot import report
from pressbot.silence import Rule
from tests.conftest import ROOT

NOW = dt.datetime(2026, 3, 4, 12, tzinfo=dt.UTC)  # a Wednesday


def summary(started: str, code: int = 0, **sources) -> dict:
    return {
        "started_at": started,
        "finished_at": started,
        "finish_reason": "finished",
        "exit_code": code,
        "exit_meaning": "clean run" if code == 0 else "pages failed after retries, or the state unreachable",
        "written": 1,
        "sources": sources,
    }


def write_runs(folder, summaries):
    folder.mkdir(exist_ok=True)
    for i, s in enumerate(summaries):
        (folder / f"20260301T{i:06d}.000000Z.json").write_text(json.dumps(s))


def record(k, source="a", published="2026-03-02", revision=1, title=None, url=None):
    return {
        "id": f"{k:020x}",
        "source": source,
        "url": url or f"https://a.example/{k}",
        "title": title or f"Release {k}",
        "published": published,
        "revision": revision,
        "crawled_at": f"2026-03-02T10:{k % 60:02d}:00Z",
    }


def write_dataset(path, records, extra: bytes = b""):
    path.write_bytes(b"".join(json.dumps(r).encode() + b"\n" for r in records) + extra)
    return path


def test_runs_are_read_oldest_first_old_summaries_and_broken_ones_included(tmp_path):
    runs_dir = tmp_path / "runs"
    new = summary("2026-03-01T11:00:00.000Z", 69, a={"new": 0, "errors": [{"url": "https://a.example/p2"}]})
    new.update(duration_seconds=2.5, job="j1", host="h1")
    write_runs(runs_dir, [summary("2026-03-01T10:00:00.000Z", a={"new": 3}, b={"new": 1}), new])
    (runs_dir / "20260301T999999.000000Z.json").write_text("{torn")
    (runs_dir / "latest.json").write_text(json.dumps(new))  # the newest again: not counted twice
    (runs_dir / "notes.txt").write_text("mine")
    runs = report.read_runs(runs_dir)
    assert [r["started_at"] for r in runs.rows] == ["2026-03-01T10:00:00.000Z", "2026-03-01T11:00:00.000Z"]
    assert runs.rows[0]["duration"] == 0.0 and runs.rows[1]["duration"] == 2.5  # computed for an old one
    assert runs.rows[1]["job"] == "j1" and runs.rows[0]["job"] is None
    assert runs.last["a"][0]["exit_code"] == 69 and runs.last["b"][0]["exit_code"] == 0
    assert runs.codes == {0: 1, 69: 1} and runs.failures == {"a": 1}  # (its own errors)
    assert runs.unreadable == ["20260301T999999.000000Z.json"]
    assert report.read_runs(tmp_path / "none").rows == []


def test_the_dataset_is_counted_per_source_and_week(tmp_path):
    records = [
        record(i, published=d) for i, d in enumerate(["2026-03-02", "2026-03-04", "2026-02-27", "2026-02-23"])
    ]
    records += [
        record(9, revision=2),
        record(10, published=None),
        record(11, source="b", published="2025-01-01"),
    ]
    path = write_dataset(tmp_path / "out.jsonl", records, b'{"id": "torn"}\n[1]\n{"torn')
    data = report.read_dataset([path, tmp_path / "missing.jsonl"], newest=2)
    a = data.sources["a"]
    assert (a.releases, a.records, a.undated) == (5, 6, 1)
    monday = dt.date(2026, 3, 2).toordinal()
    assert a.weeks == {monday: 2, monday - 7: 2}  # 9 (a revision) and 10 (undated) not counted
    assert [n[0] for n in a.newest] == ["2026-03-04", "2026-03-02"]
    assert data.unreadable == 3 and data.lines == 10
    assert data.files == [str(path)]


def build(tmp_path, records, summaries, **kw):
    write_runs(tmp_path / "runs", summaries)
    data = report.read_dataset([write_dataset(tmp_path / "out.jsonl", records)])
    return report.build_report(report.read_runs(tmp_path / "runs"), data, now=NOW, **kw)


def test_hostile_titles_and_urls_are_text_not_markup(tmp_path):
    evil = record(
        1,
        title='<script>alert(1)</script><img src="https://tracker.example/x.png">',
        url="javascript:alert(1)",
    )
    page = build(
        tmp_path,
        [evil, record(2)],
        [summary("2026-03-01T10:00:00.000Z", a={"errors": [{"url": "javascript:x", "error": "<b>"}]})],
    )
    assert "<script>alert" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert 'href="javascript' not in page and "<img" not in page and "&lt;b&gt;" in page
    assert '<a href="https://a.example/2" rel="noreferrer">Release 2</a>' in page


def test_every_section_and_the_caps(tmp_path):
    summaries = [
        summary(f"2026-03-01T{h:02d}:00:00.000Z", a={"new": 1, "pages": 2, "stop_reason": "caught up"})
        for h in range(20)
    ]
    records = [
        record(k, published=(dt.date(2026, 3, 4) - dt.timedelta(days=k)).isoformat()) for k in range(40)
    ]
    page = build(tmp_path, records, summaries, limits=report.Limits(weeks=8, runs=5, releases=3))
    assert len(re.findall(r'<tr class="run">', page)) == 5
    assert "The last 5 of 20 runs" in page
    assert len(re.findall(r'<tr class="source"', page)) == 1
    assert page.count('<g class="bar">') == 8 and 'data-bars="8"' in page
    assert len(re.findall(r"<li><time>", page)) == 3
    for section in ('id="sources"', 'id="source-a"', 'id="runs"'):
        assert section in page
    assert "<script" not in page.split("<body>")[0]  # nothing runs before the page is there
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", page.replace('href="https://a.example', ""))


def test_a_silent_source_is_reported(tmp_path):
    records = [
        record(k, published=(dt.date(2026, 1, 31) - dt.timedelta(days=k)).isoformat()) for k in range(30)
    ]
    page = build(
        tmp_path,
        records,
        [summary("2026-03-01T10:00:00.000Z", a={})],
        rules={"a": Rule(max_silence=dt.timedelta(days=14))},
    )
    assert '<p class="alarm silent">Silent: <a href="#source-a">a</a></p>' in page
    quiet = build(
        tmp_path, records, [summary("2026-03-01T10:00:00.000Z", a={})], rules={"a": Rule(max_silence=None)}
    )
    assert "alarm silent" not in quiet


def test_a_generated_year_builds(tmp_path):
    made = write_history(tmp_path, runs=300, releases=3000, sources=4, end=NOW)
    runs = report.read_runs(tmp_path / "runs")
    data = report.read_dataset([made["dataset"]])
    page = report.build_report(runs, data, now=NOW)
    assert len(runs.rows) == 300 and sum(s.releases for s in data.sources.values()) == 3000
    assert page.count('class="chart"') == 4
    assert "press-03" in page.split('class="alarm silent"')[1].split("</p>")[0]  # it falls silent


@pytest.mark.integration
def test_the_command_writes_the_report_and_refuses_bad_input(tmp_path):
    made = write_history(tmp_path, runs=30, releases=300, sources=2)
    out = tmp_path / "r" / "report.html"

    def run(*args):
        return subprocess.run(
            [sys.executable, "-m", "scrapy.cmdline", "report", *args],
            cwd=ROOT,
            capture_output=True,
            text=True,
        )

    done = run("-o", str(out), "--runs", str(tmp_path / "runs"), "--dataset", str(made["dataset"]))
    assert done.returncode == 0, done.stderr
    assert re.fullmatch(
        r"wrote .*report\.html \(\d+ KB\): 2 sources, 30 runs, 300 releases, in [\d.]+ s\n", done.stdout
    )
    assert out.read_text().startswith("<!DOCTYPE html>")
    for args, message in [
        (["--weeks", "0"], "--weeks: 0 must be from 1 to 520"),
        (["--weeks", "many"], "--weeks: 'many' is not a whole number"),
        (["extra"], "unexpected argument 'extra'"),
        (["--runs", str(tmp_path / "no"), "--dataset", str(tmp_path / "no.jsonl")], "nothing to report"),
        (["-s", "PRESSBOT_SILENCE_FACTOR=-1"], "setting PRESSBOT_SILENCE_FACTOR: -1.0 must be at least 0"),
        (["-o", str(tmp_path), "--runs", str(tmp_path / "runs")], "cannot write the report"),
    ]:
        done = run(*args)
        assert done.returncode == 64, (args, done.stderr)
        assert done.stderr.startswith("pressbot: error: ") and message in done.stderr, done.stderr
        assert len(done.stderr.splitlines()) == 1


def test_a_report_leaves_no_import_hook_that_warns_of_later_imports(tmp_path):
    """pygal adds a finder without find_spec to sys.meta_path; a missed import after a report
    would then raise ImportWarning (an error under filterwarnings = error)."""
    import importlib
    from collections import Counter

    report._chart("s", [1, 2], Counter({1: 3}))
    assert all(hasattr(f, "find_spec") for f in sys.meta_path), sys.meta_path
    with pytest.raises(ModuleNotFoundError):
        importlib.import_module("pressbot_no_such_module")
