"""`scrapy merge`: workers' outputs into one ordered, duplicate-free dataset."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from pressbot import outcome
from tests.conftest import ROOT

#: Runs a command with 1 GiB of address space (enough for Python and Scrapy, not for the input),
#: passes its output through, and prints its peak RSS last ("peak-kb N").
_LAUNCHER = """
import json, os, resource, subprocess, sys
def limit():
    resource.setrlimit(resource.RLIMIT_AS, (1024 * 2**20, 1024 * 2**20))
proc = subprocess.Popen(json.loads(sys.argv[1]), stdout=subprocess.PIPE, preexec_fn=limit)
out = proc.stdout.read()
_, status, usage = os.wait4(proc.pid, 0)
proc.returncode = os.waitstatus_to_exitcode(status)
sys.stdout.buffer.write(out + b"\\npeak-kb %d\\n" % usage.ru_maxrss)
sys.exit(proc.returncode)
"""


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


def _reference_merge(paths) -> list[bytes]:
    """What merge must write: the first of each (id, revision) met, ordered by crawled_at, id,
    revision (the in-memory merge pressbot had before it merged in bounded memory)."""
    from pressbot.items import record_line

    records: dict = {}
    for path in paths:
        for raw in path.read_bytes().splitlines(keepends=True):
            if not raw.endswith(b"\n"):
                continue
            try:
                rec = json.loads(raw)
                key = (rec["id"], int(rec["revision"]))
            except (ValueError, KeyError, TypeError):
                continue
            records.setdefault(key, rec)
    ordered = sorted(records.values(), key=lambda r: (r.get("crawled_at") or "", r["id"], r["revision"]))
    return [record_line(r) for r in ordered]


def _worker_files(tmp_path, workers: int, per_worker: int, seed: int = 5) -> list:
    """Workers' outputs with duplicates across and within files, revisions, equal times,
    records without crawled_at, a lone surrogate and a torn last line."""
    import random

    rnd = random.Random(seed)
    paths = []
    for w in range(workers):
        lines = []
        for _ in range(per_worker):
            i = rnd.randrange(per_worker * workers // 2)
            rev = rnd.choice((1, 1, 2))
            at = f"2026-01-01T00:{rnd.randrange(60):02d}:00Z" if rnd.random() > 0.05 else None
            body = {"id": f"{i:020x}", "source": "s", "revision": rev, "crawled_at": at, "w": w}
            if rnd.random() < 0.01:
                body["title"] = "half \ud800 pair"
            lines.append(json.dumps(body) + "\n")
        path = tmp_path / f"releases.w{w}.jsonl"
        path.write_text("".join(lines) + '{"id": "torn', encoding="utf-8")
        paths.append(path)
    return paths


@pytest.mark.parametrize("buffer", [1, 7, 100, 10_000])
def test_merge_in_bounded_memory_writes_what_the_whole_merge_writes(tmp_path, buffer, monkeypatch):
    import pressbot.merge as merging

    monkeypatch.setattr(merging, "FAN_IN", 3)  # several levels of merging, even at 2,000 records
    paths = _worker_files(tmp_path, workers=4, per_worker=500)
    out = tmp_path / "merged" / "all.jsonl"
    counts = merging.merge(paths, out, buffer=buffer)
    expected = _reference_merge(paths)
    assert out.read_bytes().splitlines(keepends=True) == expected
    assert counts["written"] == len(expected) and counts["torn"] == 4
    assert counts["lines"] == 2000 and counts["duplicates"] == 2000 - len(expected) > 0
    # Its sorted runs are gone with the temporary folder.
    assert {p.name for p in out.parent.iterdir()} == {"all.jsonl"}


def test_merge_holds_at_most_its_buffer(tmp_path, monkeypatch):
    import pressbot.merge as merging

    paths = _worker_files(tmp_path, workers=2, per_worker=300)
    held: list[int] = []
    real_sorted = sorted

    def watching_sorted(items, **kwargs):
        items = list(items)
        held.append(len(items))
        return real_sorted(items, **kwargs)

    monkeypatch.setattr(merging, "sorted", watching_sorted, raising=False)
    merging.merge(paths, tmp_path / "m.jsonl", buffer=50)
    assert held and max(held) <= 50 and len(held) > 4


def test_merge_refuses_a_buffer_of_nothing(tmp_path):
    from pressbot.merge import merge

    with pytest.raises(ValueError, match="at least 1"):
        merge([], tmp_path / "m.jsonl", buffer=0)


@pytest.mark.integration
def test_merge_command_stays_within_its_memory(tmp_path):
    """More records than fit in the memory it is allowed: 120,000 records of ~1.4 KB (~170 MB)
    merged with PRESSBOT_MERGE_BUFFER=2000 under an address-space limit; its peak RSS stays far
    below the input's size (the in-memory merge held every record: ~4x the input)."""
    pad = "x" * 1300
    with open(tmp_path / "releases.w0.jsonl", "w") as a, open(tmp_path / "releases.w1.jsonl", "w") as b:
        for i in range(120_000):
            line = (
                json.dumps(
                    {
                        "id": f"{(i * 7919) % 120_000:020x}",
                        "source": "s",
                        "revision": 1,
                        "crawled_at": f"2026-01-01T{i % 24:02d}:00:00Z",
                        "text": pad,
                    }
                )
                + "\n"
            )
            (a if i % 2 else b).write(line)
            if i % 100 == 0:
                b.write(line)  # a duplicate in the other worker's file
    size_mb = sum(p.stat().st_size for p in tmp_path.glob("*.jsonl")) / 2**20
    out = tmp_path / "merged.jsonl"

    # The merge runs under a small launcher: Linux starts a child's peak RSS at its parent's size
    # when it forked (the whole test session's, here), so the launcher, small itself, measures it.
    command = [
        sys.executable,
        "-m",
        "scrapy",
        "merge",
        "-s",
        "PRESSBOT_MERGE_BUFFER=2000",
        "-o",
        str(out),
        str(tmp_path / "releases.w0.jsonl"),
        str(tmp_path / "releases.w1.jsonl"),
    ]
    proc = subprocess.run(
        [sys.executable, "-c", _LAUNCHER, json.dumps(command)],
        cwd=ROOT,
        capture_output=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr
    stdout, peak = proc.stdout.rsplit(b"\n", 2)[0], proc.stdout.rsplit(b"\n", 2)[1]
    assert b"120000 records" in stdout and b"1200 duplicates" in stdout
    peak_mb = int(peak.removeprefix(b"peak-kb ")) / 1024
    assert size_mb > 160 and peak_mb < 120, (size_mb, peak_mb)
    ids = [json.loads(line)["id"] for line in out.read_text().splitlines()]
    assert len(ids) == len(set(ids)) == 120_000


@pytest.mark.integration
def test_merge_command_refuses_a_bad_buffer(tmp_path):
    a = tmp_path / "releases.w0.jsonl"
    a.write_text(rec(1, 1, "2026-01-01T00:00:02Z"))
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "scrapy",
            "merge",
            "-s",
            "PRESSBOT_MERGE_BUFFER=lots",
            "-o",
            str(tmp_path / "m.jsonl"),
            str(a),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == outcome.BAD_CONFIG
    assert "PRESSBOT_MERGE_BUFFER: 'lots' is not a positive number" in proc.stderr
    assert not (tmp_path / "m.jsonl").exists()
