"""What the crawl remembers between runs: releases seen, output progress and the run lock.

One small interface (``State``) with an embedded SQLite implementation, the default.
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol


class LockHeld(RuntimeError):
    """Another run holds the state's lock."""


@dataclass(frozen=True)
class Seen:
    """What the state knows of one release."""

    id: str
    source: str
    hash: str
    revision: int


class State(Protocol):
    """The state interface every backend implements."""

    def acquire_lock(self) -> None:
        """Take the run lock or raise LockHeld; a dead holder's lock must not block forever."""

    def lookup(self, ids: Iterable[str]) -> dict[str, Seen]:
        """The known releases among ``ids``."""

    def record(self, seen: Iterable[Seen], output: str, offset: int) -> None:
        """Record releases as seen and the output's committed length, atomically."""

    def output_offset(self, output: str) -> int:
        """How many bytes of ``output`` are recorded (0 for an output never written)."""

    def walk_complete(self, source: str) -> bool:
        """Whether the source's last walk of its listing ended cleanly (so incremental stops apply)."""

    def set_walk(self, source: str, complete: bool, reason: str | None = None) -> None:
        """Record that a walk of ``source`` began (False) or ended cleanly (True)."""

    def close(self) -> None:
        """Release the lock and resources."""


def open_state(location: str) -> State:
    """The state at ``location``: a path for SQLite."""
    return SQLiteState(location)


class SQLiteState:
    """State in one SQLite file, with an flock'd sidecar file as the run lock.

    The kernel drops an flock when its process dies, however it dies, so a killed run
    never leaves a lock behind.
    """

    def __init__(self, path: str | os.PathLike) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock_fd: int | None = None
        self.db = sqlite3.connect(self.path, isolation_level=None)
        # WAL survives a killed process; NORMAL sync is safe there and loses at most the last
        # commits on power loss, which the output reconciliation then restores.
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.executescript(
            """
            CREATE TABLE IF NOT EXISTS releases (
                id TEXT PRIMARY KEY, source TEXT NOT NULL, hash TEXT NOT NULL,
                revision INTEGER NOT NULL
            ) WITHOUT ROWID;
            CREATE TABLE IF NOT EXISTS outputs (path TEXT PRIMARY KEY, offset INTEGER NOT NULL);
            CREATE TABLE IF NOT EXISTS walks (
                source TEXT PRIMARY KEY, complete INTEGER NOT NULL, reason TEXT,
                updated TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
            );
            """
        )

    def acquire_lock(self) -> None:
        lock_path = self.path.with_name(self.path.name + ".lock")
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 64).decode(errors="replace").strip() or "unknown"
            os.close(fd)
            raise LockHeld(f"another run (pid {holder}) holds the lock on {self.path}") from None
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())
        self._lock_fd = fd

    def lookup(self, ids: Iterable[str]) -> dict[str, Seen]:
        ids = list(ids)
        found: dict[str, Seen] = {}
        for i in range(0, len(ids), 500):
            chunk = ids[i:i + 500]
            rows = self.db.execute(
                f"SELECT id, source, hash, revision FROM releases WHERE id IN "
                f"({','.join('?' * len(chunk))})", chunk)
            found.update((r[0], Seen(*r)) for r in rows)
        return found

    def record(self, seen: Iterable[Seen], output: str, offset: int) -> None:
        with self.db:
            self.db.execute("BEGIN")
            self.db.executemany(
                "INSERT INTO releases (id, source, hash, revision) VALUES (?, ?, ?, ?) "
                "ON CONFLICT(id) DO UPDATE SET hash = excluded.hash, revision = excluded.revision "
                "WHERE excluded.revision > releases.revision",
                [(s.id, s.source, s.hash, s.revision) for s in seen])
            self.db.execute(
                "INSERT INTO outputs (path, offset) VALUES (?, ?) "
                "ON CONFLICT(path) DO UPDATE SET offset = excluded.offset", (output, offset))

    def output_offset(self, output: str) -> int:
        row = self.db.execute("SELECT offset FROM outputs WHERE path = ?", (output,)).fetchone()
        return row[0] if row else 0

    def walk_complete(self, source: str) -> bool:
        row = self.db.execute("SELECT complete FROM walks WHERE source = ?", (source,)).fetchone()
        return bool(row and row[0])

    def set_walk(self, source: str, complete: bool, reason: str | None = None) -> None:
        self.db.execute(
            "INSERT INTO walks (source, complete, reason) VALUES (?, ?, ?) ON CONFLICT(source) DO "
            "UPDATE SET complete = excluded.complete, reason = excluded.reason, "
            "updated = excluded.updated", (source, int(complete), reason))

    def count(self, source: str | None = None) -> int:
        if source is None:
            return self.db.execute("SELECT count(*) FROM releases").fetchone()[0]
        return self.db.execute("SELECT count(*) FROM releases WHERE source = ?",
                               (source,)).fetchone()[0]

    def close(self) -> None:
        self.db.close()
        if self._lock_fd is not None:
            fcntl.flock(self._lock_fd, fcntl.LOCK_UN)
            os.close(self._lock_fd)
            self._lock_fd = None
