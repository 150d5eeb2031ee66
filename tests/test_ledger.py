"""The ledger: write-then-record, recovery after a crash, a full disk (the state contract is
tests/test_state.py)."""

from __future__ import annotations

import json
import sqlite3

import pytest

from pressbot.items import content_hash
from pressbot.ledger import Ledger, LedgerFailed
from pressbot.state import LockLost, SQLiteState


def record(n: int, revision: int = 1, title: str | None = None) -> dict:
    return {
        "id": f"{n:020x}",
        "source": "s",
        "url": f"https://x.invalid/{n}",
        "title": title or f"Release {n}",
        "published": "2020-07-08",
        "summary": "é “quoted”",
        "subtitle": None,
        "revision": revision,
    }


def lines(path) -> list[dict]:
    return [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines()]


def open_ledger(tmp_path, batch=3) -> Ledger:
    return Ledger(SQLiteState(tmp_path / "state.sqlite3"), tmp_path / "out.jsonl", batch)


def test_write_then_record_in_batches(tmp_path):
    ledger = open_ledger(tmp_path)
    for n in range(4):
        ledger.write(record(n))
    # Three flushed (file + state), one pending: still known, to deduplicate within the run.
    assert len(lines(tmp_path / "out.jsonl")) == 3
    assert set(ledger.known([f"{n:020x}" for n in range(5)])) == {f"{n:020x}" for n in range(4)}
    assert ledger.state.count() == 3
    ledger.close()
    out = tmp_path / "out.jsonl"
    assert [r["id"] for r in lines(out)] == [f"{n:020x}" for n in range(4)]
    assert "“quoted”" in out.read_text(encoding="utf-8")  # UTF-8, not \\u escapes
    state = SQLiteState(tmp_path / "state.sqlite3")
    assert state.output_offset(str(out.resolve())) == out.stat().st_size
    seen = state.lookup([f"{0:020x}"])[f"{0:020x}"]
    assert seen.hash == content_hash(record(0)) and seen.revision == 1


def test_lines_written_but_not_recorded_are_recorded_at_next_start(tmp_path):
    out = tmp_path / "out.jsonl"
    ledger = open_ledger(tmp_path, batch=100)
    ledger.write(record(1))
    ledger.close()
    # A run that died after its write and before its commit: lines past the recorded offset.
    with open(out, "a", encoding="utf-8") as f:
        f.write(json.dumps(record(2)) + "\n" + json.dumps(record(3)) + "\n")
    ledger = open_ledger(tmp_path)
    assert set(ledger.known([f"{n:020x}" for n in (1, 2, 3)])) == {f"{n:020x}" for n in (1, 2, 3)}
    assert any("Recorded 2 releases" in m for m in ledger.repaired)
    ledger.close()
    assert len(lines(out)) == 3


def test_torn_last_line_is_set_aside(tmp_path):
    out = tmp_path / "out.jsonl"
    ledger = open_ledger(tmp_path)
    ledger.write(record(1))
    ledger.close()
    good = out.read_bytes()
    torn = json.dumps(record(2)).encode()[:25]
    with open(out, "ab") as f:
        f.write(torn)
    ledger = open_ledger(tmp_path)
    assert out.read_bytes() == good
    assert (tmp_path / "out.jsonl.partial").read_bytes() == torn + b"\n"
    assert ledger.known([f"{2:020x}"]) == {}  # not recorded: the next crawl collects it again
    ledger.write(record(2))
    ledger.close()
    assert [r["id"] for r in lines(out)] == [f"{1:020x}", f"{2:020x}"]


def test_rotated_output_starts_afresh_without_rewriting(tmp_path):
    out = tmp_path / "out.jsonl"
    ledger = open_ledger(tmp_path)
    ledger.write(record(1))
    ledger.close()
    out.rename(tmp_path / "old.jsonl")
    ledger = open_ledger(tmp_path)
    assert f"{1:020x}" in ledger.known([f"{1:020x}"])
    ledger.write(record(2))
    ledger.close()
    assert [r["id"] for r in lines(out)] == [f"{2:020x}"]


def test_a_line_is_json_lines_exactly_as_the_standard_library_writes_it(tmp_path):
    ledger = open_ledger(tmp_path, batch=1)
    rec = record(1, title="Déclaration\u2028 “quoted”\t\x01 </script> 🙂")
    ledger.write(rec)
    ledger.close()
    raw = (tmp_path / "out.jsonl").read_bytes()
    assert raw == (json.dumps(rec, ensure_ascii=False, separators=(",", ":")) + "\n").encode()


def test_text_utf8_cannot_hold_is_escaped_not_lost(tmp_path):
    ledger = open_ledger(tmp_path, batch=1)
    ledger.write(record(1, title="half a pair \ud800 here"))
    ledger.write(record(2))
    ledger.close()
    assert [r["title"] for r in lines(tmp_path / "out.jsonl")] == ["half a pair \ud800 here", "Release 2"]


def test_a_full_disk_mid_batch_leaves_no_torn_line_and_writes_nothing_twice(tmp_path):
    """The disk fills in the middle of a batch (a file-size limit, the kernel's EFBIG), then
    frees up: the file is cut back to whole lines, and the batch is written once, later."""
    import resource
    import signal

    ledger = open_ledger(tmp_path, batch=3)
    for n in range(3):
        ledger.write(record(n, title="long " * 40))
    out = tmp_path / "out.jsonl"
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    previous = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    try:
        resource.setrlimit(resource.RLIMIT_FSIZE, (out.stat().st_size + 200, hard))
        with pytest.raises(OSError):
            for n in range(3, 6):
                ledger.write(record(n, title="long " * 40))
        assert len(lines(out)) == 3  # cut back: every line whole
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
        signal.signal(signal.SIGXFSZ, previous)
    ledger.write(record(6))
    ledger.close()
    assert [int(r["id"], 16) for r in lines(out)] == list(range(7))
    assert SQLiteState(tmp_path / "state.sqlite3").count() == 7


def test_a_state_that_fails_after_the_lines_are_on_disk_gets_them_recorded_not_rewritten(tmp_path):
    ledger = open_ledger(tmp_path, batch=2)
    ledger.write(record(1))
    ledger.state.db.execute("PRAGMA query_only=ON")  # SQLite refuses every write from now on
    with pytest.raises(sqlite3.OperationalError):
        ledger.write(record(2))
    ledger.state.db.execute("PRAGMA query_only=OFF")
    ledger.write(record(3))
    ledger.write(record(4))
    ledger.close()
    out = tmp_path / "out.jsonl"
    assert [int(r["id"], 16) for r in lines(out)] == [1, 2, 3, 4]
    state = SQLiteState(tmp_path / "state.sqlite3")
    assert state.count() == 4 and state.output_offset(str(out.resolve())) == out.stat().st_size


# --- an output cut short: nothing glued, nothing the output lacks still recorded --------------
def test_an_output_restored_from_a_copy_taken_mid_write_forgets_what_it_lost(tmp_path):
    out = tmp_path / "out.jsonl"
    ledger = open_ledger(tmp_path, batch=2)
    for n in range(6):
        ledger.write(record(n))
    ledger.close({"s": "end of archive"})
    whole = out.read_bytes()
    cut = len(b"".join(whole.splitlines(keepends=True)[:3])) + 17  # three lines and a fragment
    out.write_bytes(whole[:cut])  # the copy, restored

    ledger = open_ledger(tmp_path, batch=2)
    assert out.read_bytes() == whole[: cut - 17]  # the fragment set aside...
    assert (tmp_path / "out.jsonl.partial").read_bytes() == whole[cut - 17 : cut] + b"\n"
    assert set(ledger.known([f"{n:020x}" for n in range(6)])) == {f"{n:020x}" for n in range(3)}
    assert any("shorter than recorded" in m and "3 releases" in m for m in ledger.repaired)
    assert not ledger.state.walk_complete("s")  # the next walk collects the three again
    for n in range(3, 8):
        ledger.write(record(n))
    ledger.close()
    assert [int(r["id"], 16) for r in lines(out)] == list(range(8))  # no glued line, none twice


def test_an_output_cut_short_goes_back_to_the_revision_it_still_holds(tmp_path):
    out = tmp_path / "out.jsonl"
    ledger = open_ledger(tmp_path, batch=1)
    ledger.write(record(1))
    ledger.write(record(2))
    ledger.write(record(1, revision=2, title="Changed"))
    ledger.write(record(2, revision=2, title="Changed"))
    ledger.close()
    whole = out.read_bytes()
    out.write_bytes(whole[: len(b"".join(whole.splitlines(keepends=True)[:1]))])  # rev 1 of 1 only

    ledger = open_ledger(tmp_path)
    known = ledger.known([f"{1:020x}", f"{2:020x}"])
    assert known[f"{1:020x}"].revision == 1 and known[f"{1:020x}"].hash == content_hash(record(1))
    # Release 2 is not in the file at all: its next record is revision 2 again, never a second 1.
    assert known[f"{2:020x}"].revision == 1 and known[f"{2:020x}"].hash == ""
    ledger.close()


def test_an_output_moved_aside_is_a_new_file_and_writes_nothing_twice(tmp_path):
    out = tmp_path / "out.jsonl"
    ledger = open_ledger(tmp_path)
    ledger.write(record(1))
    ledger.close()
    out.rename(tmp_path / "out.1.jsonl")
    out.write_bytes(b"")  # rotated: an empty file in its place
    ledger = open_ledger(tmp_path)
    ledger.write(record(2))
    ledger.close()
    # Later cut short too: only what the new file held since it was started is forgotten.
    ledger = open_ledger(tmp_path)
    ledger.write(record(3))
    ledger.close()
    out.write_bytes(out.read_bytes()[:10])
    ledger = open_ledger(tmp_path)
    assert set(ledger.known([f"{n:020x}" for n in (1, 2, 3)])) == {f"{1:020x}"}
    ledger.close()


# --- failures, told once ----------------------------------------------------------------------
def test_a_lost_lock_stops_every_write_and_record(tmp_path):
    ledger = open_ledger(tmp_path, batch=2)
    told = []
    ledger.on_failure = told.append
    ledger.write(record(1))
    ledger.write(record(2))
    out = tmp_path / "out.jsonl"
    assert len(lines(out)) == 2
    (tmp_path / "state.sqlite3").rename(tmp_path / "elsewhere.sqlite3")  # pulled out from under it
    ledger.write(record(3))
    with pytest.raises(LedgerFailed, match="deleted or replaced"):
        ledger.write(record(4))
    with pytest.raises(LedgerFailed):
        ledger.write(record(5))
    with pytest.raises(LedgerFailed):
        ledger.flush()
    ledger.close({"s": "end of archive"})
    assert len(lines(out)) == 2  # nothing more reached the output
    assert [type(e) for e in told] == [LockLost]


def test_a_full_disk_is_told_once_and_then_every_write_refused(tmp_path):
    import resource
    import signal

    ledger = open_ledger(tmp_path, batch=1)
    told = []
    ledger.on_failure = told.append
    ledger.write(record(0))
    out = tmp_path / "out.jsonl"
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    previous = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    try:
        resource.setrlimit(resource.RLIMIT_FSIZE, (out.stat().st_size + 50, hard))
        for n in range(1, 5):
            with pytest.raises(LedgerFailed):
                ledger.write(record(n, title="long " * 40))
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
        signal.signal(signal.SIGXFSZ, previous)
    assert len(told) == 1 and isinstance(told[0], OSError)
    ledger.close({"s": "end of archive"})  # the disk has room again: the queued record goes out
    assert [int(r["id"], 16) for r in lines(out)] == [0, 1]
    assert not SQLiteState(tmp_path / "state.sqlite3").walk_complete("s")


# --- what was written, per source: durable lines only, each counted once -----------------------
def test_written_per_source_counts_lines_on_disk_once(tmp_path):
    ledger = open_ledger(tmp_path, batch=3)
    other = {**record(9), "source": "t"}
    for r in (record(1), other, record(2), record(3)):
        ledger.write(r)
    # One batch of three on disk; the fourth waits: not written yet.
    assert ledger.written_by_source == {"s": 2, "t": 1} and ledger.written == 3
    ledger.state.db.execute("PRAGMA query_only=ON")  # the state fails once the lines are on disk
    with pytest.raises(sqlite3.OperationalError):
        ledger.flush()
    assert ledger.written_by_source == {"s": 3, "t": 1}
    ledger.state.db.execute("PRAGMA query_only=OFF")
    ledger.flush()  # records what is on disk, writes nothing again: counts nothing again
    ledger.close()
    assert ledger.written_by_source == {"s": 3, "t": 1} and ledger.written == 4
    assert len(lines(tmp_path / "out.jsonl")) == 4


def test_shared_ledgers_claim_each_batch_and_write_each_release_once(tmp_path, redis_url):
    """Distributed workers: each ledger claims its batch's releases in one go when it writes
    them; a release both took as new is written by the one that claimed it first, and the
    other is told (on_unclaimed), so that it counts a duplicate, not a new release."""
    from pressbot.state import open_state

    first = Ledger(open_state(redis_url), tmp_path / "w1.jsonl", batch_size=100, lock=False)
    second = Ledger(open_state(redis_url), tmp_path / "w2.jsonl", batch_size=100, lock=False)
    told: list[str] = []
    second.on_unclaimed = lambda lost: told.extend(s.id for s in lost)
    for n in range(5):
        first.write(record(n))
    for n in range(3, 8):
        second.write(record(n))
    # Not yet claimed, still known to its worker (a later sighting in the run is a duplicate).
    assert set(second.known([f"{n:020x}" for n in (3, 7)])) == {f"{n:020x}" for n in (3, 7)}
    first.flush()
    second.flush()
    assert told == [f"{n:020x}" for n in (3, 4)]
    ids = [r["id"] for r in lines(tmp_path / "w1.jsonl") + lines(tmp_path / "w2.jsonl")]
    assert sorted(ids) == [f"{n:020x}" for n in range(8)]
    assert (first.written, second.written) == (5, 3)
    assert second.written_by_source == {"s": 3}
    assert set(second.known([f"{n:020x}" for n in range(8)])) == {f"{n:020x}" for n in range(8)}
    first.close()
    second.close()


class CountingState(SQLiteState):
    """A real SQLite state that counts its look-ups."""

    lookups = 0

    def lookup(self, ids):
        self.lookups += 1
        return super().lookup(ids)


def test_a_pages_releases_are_looked_up_once_though_many_pages_come_between(tmp_path):
    # The spider looks a page's releases up; the pipeline asks about each item later, after
    # other pages' look-ups (a distributed worker's look-up is a round trip to Redis).
    state = CountingState(tmp_path / "state.sqlite3")
    ledger = Ledger(state, tmp_path / "out.jsonl", 1000)
    pages = [[f"{p * 20 + n:020x}" for n in range(20)] for p in range(250)]
    for page in pages:
        assert ledger.known(page) == {}
    assert state.lookups == 250
    for page in pages[-120:]:
        for i in page:
            assert ledger.known([i]) == {}
    assert state.lookups == 250
    assert len(ledger._recent) <= Ledger.RECENT  # bounded: the oldest are forgotten
    ledger.known(pages[0])
    assert state.lookups == 251
