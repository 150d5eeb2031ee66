"""`scrapy merge`: workers' outputs into one ordered, duplicate-free dataset."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from pressbot import outcome
from tests.conftest import ROOT


def rec(i: int, rev: int, at: str) -> str:
    return (
        json.dumps(
            {"id": f"{i:020x}", "source": "s", "revision": rev, "crawled_at": at, "title": f"t{i}.{rev}"}
        )
        + "\n"
    )


@pytest.mark.integration
def test_merge_command(tmp_path):
    a, b = tmp_path / "releases.w0.jsonl", tmp_path / "releases.w1.jsonl"
    a.write_text(
        rec(1, 1, "2026-01-01T00:00:02Z")
        + rec(2, 1, "2026-01-01T00:00:01Z")
        + rec(2, 2, "2026-01-01T00:00:05Z")
        + '{"id": "torn'
    )
    b.write_text(rec(3, 1, "2026-01-01T00:00:03Z") + rec(1, 1, "2026-01-01T00:00:04Z"))
    out = tmp_path / "merged" / "all.jsonl"
    proc = subprocess.run(
        [sys.executable, "-m", "scrapy", "merge", "-o", str(out), str(a), str(b)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert "4 records" in proc.stdout and "1 duplicates, 1 torn lines" in proc.stdout
    got = [json.loads(line) for line in out.read_text().splitlines()]
    assert [(int(r["id"], 16), r["revision"]) for r in got] == [(2, 1), (1, 1), (3, 1), (2, 2)]


@pytest.mark.integration
def test_merge_without_inputs_is_an_error(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "scrapy", "merge", "-s", f"PRESSBOT_OUTPUT={tmp_path}/none.jsonl"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == outcome.BAD_CONFIG and "no worker outputs match" in proc.stderr


def test_merge_keeps_text_utf8_cannot_hold_and_leaves_no_temporary_file(tmp_path):
    from pressbot.merge import merge

    a = tmp_path / "releases.w0.jsonl"
    a.write_text(
        json.dumps({"id": "a", "revision": 1, "title": "half \ud800 pair é"})
        + "\n"
        + rec(2, 1, "2026-01-01T00:00:01Z")
    )
    out = tmp_path / "merged.jsonl"
    assert merge([a], out)["written"] == 2
    assert [json.loads(line)["title"] for line in out.read_text("utf-8").splitlines()] == [
        "half \ud800 pair é",
        "t2.1",
    ]
    assert {p.name for p in tmp_path.iterdir()} == {"releases.w0.jsonl", "merged.jsonl"}
