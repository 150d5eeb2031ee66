"""The ledger: the one place where a record is written to the output and then recorded as seen.

Order is what makes runs exactly-once. A record is appended and fsync'd before its id enters
the state, so a crash can lose nothing; and the state remembers how many bytes of the output
it has recorded, so at the next start any complete lines past that point (written, then the
process died before recording them) are recorded without being written again, and a torn last
line is set aside. Nothing is ever duplicated either. An output found shorter than recorded (a
copy restored from mid-write) has its torn end set aside and the releases it no longer holds
forgotten, so that they are collected again.

Before each batch it writes, the ledger asks the state to confirm that this run still holds
the lock: a run that cannot prove it writes nothing more.
"""

from __future__ import annotations

import itertools
import json
import logging
import os
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import NoReturn

import orjson

from pressbot.items import content_hash, record_line
from pressbot.state import LockLost, Seen, State

logger = logging.getLogger(__name__)

#: Not looked up yet (None in the look-up cache means looked up and unknown).
_UNASKED = Seen("", "", "", 0)


class LedgerFailed(RuntimeError):
    """The ledger's output, state or lock failed, and its ``on_failure`` was told (once): what
    callers get instead of the failure itself, so that it is reported once, not per record."""


class Ledger:
    """Output file plus state, written in that order, in batches."""

    def __init__(
        self,
        state: State,
        output: str | os.PathLike,
        batch_size: int = 1000,
        lock: bool = True,
        batch_seconds: float = 1.0,
    ) -> None:
        self.state = state
        self.output = Path(output).resolve()
        self.batch_size = max(1, batch_size)
        self.batch_seconds = batch_seconds
        self._last_flush = time.monotonic()
        self._lines: list[bytes] = []
        self._pending: dict[str, Seen] = {}
        self._batch_sources: dict[str, int] = {}  # lines of this batch per source
        self._batch_days: Counter[tuple[str, str]] = Counter()  # new releases per (source, day)
        #: New releases made durable by this run, per (source, publication day): the state's
        #: calendar (pressbot.silence) gets them with each flush.
        self.days: Counter[tuple[str, str]] = Counter()
        # What recent look-ups found (None: unknown). The spider looks a page's ids up in one
        # query; the deduplicate pipeline then asks about each item again. Bounded, and kept
        # true by flush(): this ledger is the state's only writer (claims cover workers).
        self._recent: dict[str, Seen | None] = {}
        self.written = 0
        #: Lines made durable, per source (live in the crawl stats, and in the run summary).
        self.written_by_source: dict[str, int] = {}
        self._line_sources: dict[str, int] = {}  # queued lines per source, until written
        #: Called after each flush with {source: records made durable} (distributed runs).
        self.on_durable: Callable[[dict[str, int]], object] | None = None
        #: Distributed runs: records waiting for their claim (line, release, new release's
        #: day), by id too; and who is told of those another worker claimed (not written).
        self._to_claim: list[tuple[bytes, Seen, str | None]] = []
        self._pending_claims: dict[str, Seen] = {}
        self.on_unclaimed: Callable[[list[Seen]], object] | None = None
        self.repaired: list[str] = []
        #: The first failure of the output, the state or the lock (None while all is well).
        self.failure: BaseException | None = None
        #: Told of that first failure; then every write, look-up and flush raises LedgerFailed.
        #: Without it, failures reach the caller as they are, and writes may be retried.
        self.on_failure: Callable[[BaseException], object] | None = None
        self._lost: str | None = None  # the lock is lost: nothing more is written or recorded
        # One run holds the lock and is the only writer; distributed workers share a run
        # instead (see pressbot.distributed) and claim each release before writing it.
        self.shared = not lock
        if lock:
            self.state.acquire_lock()
        self.output.parent.mkdir(parents=True, exist_ok=True)
        self._offset = self._reconcile()
        if not self.state.days_filled():
            self._fill_days()
        # Unbuffered: what a failed write left behind can be cut back exactly (ftruncate).
        self._fd: int | None = os.open(self.output, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        self._broken: str | None = None  # why no more lines may be written this run

    def known(self, ids: Iterable[str]) -> dict[str, Seen]:
        """Known releases among ``ids``, including those written but not yet committed."""
        found: dict[str, Seen] = {}
        rest: list[str] = []
        for i in ids:
            seen = self._pending.get(i) or self._pending_claims.get(i) or self._recent.get(i, _UNASKED)
            if seen is _UNASKED:
                rest.append(i)
            elif seen is not None:
                found[i] = seen
        if rest:
            try:
                looked = self.state.lookup(rest)
            except Exception as exc:
                self._raise(exc)
            found.update(looked)
            self._remember({i: looked.get(i) for i in rest})
        return found

    #: How many look-ups ``_recent`` keeps: a few hundred pages' worth, the pages in flight
    #: and their items on their way through the pipelines (a distributed worker's look-up is a
    #: round trip to Redis: an item that misses costs one).
    RECENT = 4_000

    def _remember(self, answers: Mapping[str, Seen | None]) -> None:
        recent = self._recent
        recent.update(answers)
        if len(recent) > self.RECENT:  # the oldest quarter goes (a dict keeps insertion order)
            for key in list(itertools.islice(recent, len(recent) - self.RECENT * 3 // 4)):
                del recent[key]

    def write(self, record: dict) -> None:
        """Queue one record; it reaches the file, then the state, at the next flush.

        A ledger shared by distributed workers first claims the batch's releases, in one round
        trip, at the flush: a record another worker claimed is not written (``on_unclaimed``).
        """
        if (self.failure is not None and self.on_failure is not None) or self._lost is not None:
            raise LedgerFailed(f"{self.output}: not written: {self.failure}")
        seen = Seen(record["id"], record["source"], content_hash(record), record["revision"])
        day = record["published"] if record["revision"] == 1 and record.get("published") else None
        if self.shared:
            self._to_claim.append((record_line(record), seen, day))
            self._pending_claims[seen.id] = seen
        else:
            self._queue(record_line(record), seen, day)
        queued = len(self._lines) + len(self._to_claim)
        if queued >= self.batch_size or time.monotonic() - self._last_flush >= self.batch_seconds:
            self.flush()

    def _queue(self, line: bytes, seen: Seen, day: str | None) -> None:
        self._lines.append(line)
        source = seen.source
        self._batch_sources[source] = self._batch_sources.get(source, 0) + 1
        self._line_sources[source] = self._line_sources.get(source, 0) + 1
        self._pending[seen.id] = seen
        if day is not None:
            self._batch_days[source, day] += 1

    def _claim_queued(self) -> None:
        """Claim the records waiting for their claim; queue those taken, and give the others
        (another worker is writing them) to ``on_unclaimed``."""
        waiting = self._to_claim
        won = self.state.claim_many([(seen.id, seen.hash) for _, seen, _ in waiting])
        self._to_claim, self._pending_claims = [], {}
        lost = []
        for line, seen, day in waiting:
            if seen.id in won:
                self._queue(line, seen, day)
            else:
                lost.append(seen)
        if lost and self.on_unclaimed is not None:
            self.on_unclaimed(lost)

    @property
    def unflushed(self) -> bool:
        """Whether records wait to be written or recorded."""
        return bool(self._lines or self._pending or self._to_claim) and self._lost is None

    def flush(self) -> None:
        """Write queued lines and fsync them, then record them and the new offset in the state.

        Lines that reached the disk are never queued again: if the state then fails (a full
        disk, Redis gone) their records stay pending for the next flush, or the next run's
        reconciliation, to record. Once the lock is lost nothing more is written or recorded:
        the run that holds it now (or the next one) collects what is left.
        """
        if self._lost is not None:
            raise LedgerFailed(f"{self.output}: not written: {self._lost}")
        try:
            self._flush()
        except Exception as exc:
            self._raise(exc)

    def _flush(self) -> None:
        self._last_flush = time.monotonic()
        if self._to_claim:
            self._claim_queued()
        if self._lines:
            if not self.shared:
                self.state.confirm_lock()
            self._write(b"".join(self._lines))
            self.written += len(self._lines)
            by_source = self.written_by_source
            for source, n in self._line_sources.items():
                by_source[source] = by_source.get(source, 0) + n
            self._line_sources.clear()
            self._lines.clear()
            self._remember(self._pending)  # on disk: known from now on
        if self._pending:
            self.state.record(self._pending.values(), str(self.output), self._offset)
            if self.on_durable is not None:
                self.on_durable(dict(self._batch_sources))
            self._pending.clear()
            self._batch_sources.clear()
        if self._batch_days:
            days, self._batch_days = self._batch_days, Counter()
            self.days.update(days)
            self.state.add_days(days)

    def _raise(self, exc: BaseException) -> NoReturn:
        """Raise what a failure becomes: itself, or LedgerFailed (saying it, not chaining it:
        one traceback is enough) once ``on_failure`` has been told."""
        failed = self._failed(exc)
        if failed is exc:
            raise exc
        raise failed from None

    def _failed(self, exc: BaseException) -> BaseException:
        """Note a failure (once) and return what to raise: the failure itself, or LedgerFailed
        once ``on_failure`` has been told."""
        if isinstance(exc, LedgerFailed):
            return exc
        if isinstance(exc, LockLost) and self._lost is None:
            self._lost = str(exc)
            self._lines.clear()
            self._line_sources.clear()
            self._pending.clear()
            self._batch_sources.clear()
            self._batch_days.clear()
            self._to_claim.clear()
            self._pending_claims.clear()
        if self.failure is None:
            self.failure = exc
            if self.on_failure is not None:
                self.on_failure(exc)
        if self.on_failure is None:
            return exc
        return LedgerFailed(f"{self.output}: {exc}")

    def _write(self, data: bytes) -> None:
        if self._broken:
            raise OSError(f"{self.output}: no more writes this run: {self._broken}")
        fd = self._fd
        if fd is None:
            raise OSError(f"{self.output}: the ledger is closed")
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            os.fsync(fd)
        except OSError as exc:
            # A full disk, say: cut the file back to its last whole batch, so that no torn line
            # is left mid-file, and let the error surface. The batch stays queued: a later
            # flush may still write it, once.
            try:
                os.ftruncate(fd, self._offset)
            except OSError:
                # Not even that: leave the file to the next start's reconciliation (torn line
                # aside, whole lines recorded), and write nothing more.
                self._broken = f"could not cut back a failed write ({exc})"
            raise
        self._offset += len(data)

    def close(self, finished_walks: dict[str, str] | None = None) -> None:
        """Flush, then record the sources whose walk ended cleanly: in that order, so a walk is
        never marked complete while any of its releases is unrecorded."""
        if self._fd is None:
            return
        try:
            if self._lost is None:
                self.flush()
                # (A run whose output or state failed leaves its walks open.)
                if self.failure is None and finished_walks:
                    self.state.end_walks(finished_walks)
        except Exception as exc:
            self._raise(exc)
        finally:
            os.close(self._fd)
            self._fd = None
            self.state.close()

    def _reconcile(self) -> int:
        """Bring the state level with the output after an earlier run died between the two, or
        after the output was rotated or cut short."""
        out = str(self.output)
        committed = self.state.output_offset(out)
        size = self.output.stat().st_size if self.output.exists() else 0
        if size < committed:
            if size == 0:
                # Moved aside (rotated) or emptied: a new file. What the old one holds stays
                # recorded, so nothing is written twice; this file is counted afresh.
                logger.warning(
                    "Output %s is empty but %d bytes were recorded: rotated? Starting it afresh "
                    "(the releases already written stay recorded)",
                    out,
                    committed,
                )
                self.state.start_output(out)
                return 0
            return self._shortened(committed, size)
        if size == committed:
            return size
        with open(self.output, "rb") as f:
            f.seek(committed)
            tail = f.read()
        good_end = tail.rfind(b"\n") + 1
        seen = []
        for raw in tail[:good_end].splitlines():
            rec = _parse(raw)
            if rec is None:
                logger.error("Output %s holds an unreadable line past byte %d: %.80r", out, committed, raw)
            else:
                seen.append(rec)
        if good_end < len(tail):
            self._set_aside(committed + good_end, tail[good_end:], "left by an interrupted run")
        if seen:
            msg = (
                f"Recorded {len(seen)} releases that an interrupted run wrote to {out} but "
                f"had not yet recorded as seen"
            )
            logger.warning(msg)
            self.repaired.append(msg)
        self.state.record(seen, out, committed + good_end)
        return committed + good_end

    def _shortened(self, committed: int, size: int) -> int:
        """The output holds fewer bytes than recorded (a copy restored from mid-write, say):
        set its torn end aside, and forget the releases whose lines it no longer holds, so that
        the next walk collects them again. Releases whose latest revision is gone but an older
        one is still there go back to that revision."""
        out = str(self.output)
        with open(self.output, "rb") as f:
            f.seek(max(0, size - 65536))
            end = f.read()
            good_end = size - len(end) + end.rfind(b"\n") + 1 if b"\n" in end else -1
            if good_end < 0:  # a line longer than the window: look for its start from the top
                f.seek(0)
                good_end = f.read().rfind(b"\n") + 1
            f.seek(good_end)
            torn = f.read()
        if torn:
            self._set_aside(good_end, torn, "after it was cut short")
        recorded = {s.id: s for s in self.state.in_output(out)}
        held: dict[str, Seen] = {}  # the latest revision of each of those the output holds
        with open(self.output, "rb") as f:
            for raw in f:
                rec = _parse(raw)
                if (
                    rec is not None
                    and rec.id in recorded
                    and rec.revision > held.get(rec.id, _UNASKED).revision
                ):
                    held[rec.id] = rec
        restore, forget = [], []
        for s in recorded.values():
            h = held.get(s.id)
            if h is not None and h.revision >= s.revision:
                continue
            if h is not None:
                restore.append(Seen(s.id, s.source, h.hash, h.revision, s.gen))
            elif s.revision > 1:
                # Its earlier revisions are in an older output or lost too: the next one it gets
                # is this revision again, so that no (id, revision) is ever written twice.
                restore.append(Seen(s.id, s.source, "", s.revision - 1))
            else:
                forget.append(s)
        self.state.rewind(restore, forget, out, good_end)
        msg = (
            f"Output {out} is shorter than recorded ({size} < {committed} bytes: restored from a "
            f"copy taken mid-write?): {len(restore) + len(forget)} releases it no longer holds are "
            "no longer recorded as seen, and the walks of their sources start afresh to collect them"
        )
        logger.warning(msg)
        self.repaired.append(msg)
        return good_end

    def _fill_days(self) -> None:
        """Give the state's calendar the releases the output held before the calendar existed
        (a state from an older pressbot): once, reading the output line by line."""
        counts: Counter[tuple[str, str]] = Counter()
        first: dict[str, str] = {}  # each source's first record: pressbot has watched it since
        if self.output.exists():
            with open(self.output, "rb") as f:
                for raw in f:
                    try:
                        rec = orjson.loads(raw)
                        source, crawled = rec["source"], rec.get("crawled_at")
                        if isinstance(crawled, str) and crawled < first.get(source, "~"):
                            first[source] = crawled
                        if rec.get("revision") == 1 and isinstance(rec.get("published"), str):
                            counts[source, rec["published"]] += 1
                    except (orjson.JSONDecodeError, AttributeError, KeyError, TypeError):
                        continue  # (a torn line: reconciliation has said so)
            if counts:
                logger.info("Calendar of publication days filled from %s (%d days)", self.output, len(counts))
        for source, crawled in first.items():
            self.state.watched_since(source, crawled)
        self.state.add_days(counts, filled=True)

    def _set_aside(self, keep: int, torn: bytes, why: str) -> None:
        """Move a torn last line (``torn``, from byte ``keep`` on) to ``<output>.partial``."""
        aside = self.output.with_name(self.output.name + ".partial")
        with open(aside, "ab") as f:
            f.write(torn + b"\n")
        with open(self.output, "r+b") as f:
            f.truncate(keep)
            os.fsync(f.fileno())
        msg = f"Output {self.output} ended in a torn line ({len(torn)} bytes) {why}: moved it to {aside}"
        logger.warning(msg)
        self.repaired.append(msg)


def _parse(raw: bytes) -> Seen | None:
    """What one output line records, or None for a line that is not a whole record."""
    try:
        rec = json.loads(raw)
        return Seen(rec["id"], rec["source"], content_hash(rec), rec["revision"])
    except (ValueError, KeyError, TypeError):
        return None
