"""The ledger: the one place where a record is written to the output and then recorded as seen.

Order is what makes runs exactly-once. A record is appended and fsync'd before its id enters
the state, so a crash can lose nothing; and the state remembers how many bytes of the output
it has recorded, so at the next start any complete lines past that point (written, then the
process died before recording them) are recorded without being written again, and a torn last
line is set aside. Nothing is ever duplicated either.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Callable, Iterable
from pathlib import Path

from pressbot.items import content_hash, record_line
from pressbot.state import Seen, State

logger = logging.getLogger(__name__)

#: Not looked up yet (None in the look-up cache means looked up and unknown).
_UNASKED = Seen("", "", "", 0)


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
        # What recent look-ups found (None: unknown). The spider looks a page's ids up in one
        # query; the deduplicate pipeline then asks about each item again. Bounded, and kept
        # true by flush(): this ledger is the state's only writer (claims cover workers).
        self._recent: dict[str, Seen | None] = {}
        self.written = 0
        #: Called after each flush with {source: records made durable} (distributed runs).
        self.on_durable: Callable[[dict[str, int]], object] | None = None
        self.repaired: list[str] = []
        # One run holds the lock and is the only writer; distributed workers share a run
        # instead (see pressbot.distributed) and claim each release before writing it.
        self.shared = not lock
        if lock:
            self.state.acquire_lock()
        self.output.parent.mkdir(parents=True, exist_ok=True)
        self._offset = self._reconcile()
        # Unbuffered: what a failed write left behind can be cut back exactly (ftruncate).
        self._fd: int | None = os.open(self.output, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        self._broken: str | None = None  # why no more lines may be written this run

    def known(self, ids: Iterable[str]) -> dict[str, Seen]:
        """Known releases among ``ids``, including those written but not yet committed."""
        found: dict[str, Seen] = {}
        rest: list[str] = []
        for i in ids:
            seen = self._pending.get(i) or self._recent.get(i, _UNASKED)
            if seen is _UNASKED:
                rest.append(i)
            elif seen is not None:
                found[i] = seen
        if rest:
            looked = self.state.lookup(rest)
            found.update(looked)
            if len(self._recent) > 2_000:
                self._recent.clear()
            for i in rest:
                self._recent[i] = looked.get(i)
        return found

    def claim(self, record: dict) -> bool:
        """Take the right to write this version of a release (other workers may race for it)."""
        return not self.shared or self.state.claim(record["id"], content_hash(record))

    def write(self, record: dict) -> None:
        """Queue one record; it reaches the file, then the state, at the next flush."""
        self._lines.append(record_line(record))
        self._batch_sources[record["source"]] = self._batch_sources.get(record["source"], 0) + 1
        self._pending[record["id"]] = Seen(
            record["id"], record["source"], content_hash(record), record["revision"]
        )
        if len(self._lines) >= self.batch_size or time.monotonic() - self._last_flush >= self.batch_seconds:
            self.flush()

    def flush(self) -> None:
        """Write queued lines and fsync them, then record them and the new offset in the state.

        Lines that reached the disk are never queued again: if the state then fails (a full
        disk, Redis gone) their records stay pending for the next flush, or the next run's
        reconciliation, to record.
        """
        self._last_flush = time.monotonic()
        if self._lines:
            self._write(b"".join(self._lines))
            self.written += len(self._lines)
            self._lines.clear()
            self._recent.update(self._pending)  # on disk: known from now on
        if self._pending:
            self.state.record(self._pending.values(), str(self.output), self._offset)
            if self.on_durable is not None:
                self.on_durable(dict(self._batch_sources))
            self._pending.clear()
            self._batch_sources.clear()

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
            self.flush()
            for source, reason in (finished_walks or {}).items():
                self.state.end_walk(source, reason)
        finally:
            os.close(self._fd)
            self._fd = None
            self.state.close()

    def _reconcile(self) -> int:
        """Bring the state level with the output after an earlier run died between the two."""
        out = str(self.output)
        committed = self.state.output_offset(out)
        size = self.output.stat().st_size if self.output.exists() else 0
        if size < committed:
            # Someone rotated or truncated the output: the state still knows every id, so
            # nothing is written twice; we just start counting this file afresh.
            logger.warning(
                "Output %s is shorter than recorded (%d < %d bytes): rotated? "
                "Recording it from its current end.",
                out,
                size,
                committed,
            )
            self.state.record([], out, size)
            return size
        if size == committed:
            return size
        with open(self.output, "rb") as f:
            f.seek(committed)
            tail = f.read()
        good_end = tail.rfind(b"\n") + 1
        seen = []
        for raw in tail[:good_end].splitlines():
            try:
                rec = json.loads(raw)
                seen.append(Seen(rec["id"], rec["source"], content_hash(rec), rec["revision"]))
            except (ValueError, KeyError, TypeError):
                logger.error("Output %s holds an unreadable line past byte %d: %.80r", out, committed, raw)
        if good_end < len(tail):
            aside = self.output.with_name(self.output.name + ".partial")
            with open(aside, "ab") as f:
                f.write(tail[good_end:] + b"\n")
            with open(self.output, "r+b") as f:
                f.truncate(committed + good_end)
                os.fsync(f.fileno())
            msg = (
                f"Output {out} ended in a torn line ({len(tail) - good_end} bytes) left by an "
                f"interrupted run: moved it to {aside}"
            )
            logger.warning(msg)
            self.repaired.append(msg)
        if seen:
            msg = (
                f"Recorded {len(seen)} releases that an interrupted run wrote to {out} but "
                f"had not yet recorded as seen"
            )
            logger.warning(msg)
            self.repaired.append(msg)
        self.state.record(seen, out, committed + good_end)
        return committed + good_end
