"""What the crawl remembers between runs: releases seen, output progress, walks, the run lock.

One small interface (``State``) with two implementations: SQLite in one file (the default)
and Redis (``PRESSBOT_STATE=redis://host:port/db``), shared by distributed workers.
"""

from __future__ import annotations

import fcntl
import logging
import os
import socket
import sqlite3
import threading
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

logger = logging.getLogger(__name__)


class LockHeld(RuntimeError):
    """Another run holds the state's lock."""


class StateUnavailable(RuntimeError):
    """The state cannot be reached (a Redis server down) or used (its client not installed)."""


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

    def claim(self, id: str, hash: str) -> bool:
        """Take the right to write this version of a release; False if another writer has it
        (or it is already recorded). Only matters when several workers share the state."""

    def begin_walk(self, source: str, run: str | None = None) -> bool:
        """A walk of ``source`` begins: True if the previous walk ended cleanly (incremental
        stops are safe). Workers of one distributed ``run`` all get the first one's answer."""

    def end_walk(self, source: str, reason: str) -> None:
        """The walk of ``source`` ended cleanly, every release of it recorded."""

    def walk_complete(self, source: str) -> bool:
        """Whether the source's last walk ended cleanly."""

    def close(self) -> None:
        """Release the lock and resources."""


def open_state(location: str) -> State:
    """The state at ``location``: ``redis://…`` for Redis, else a SQLite file path."""
    if location.startswith(("redis://", "rediss://", "unix://")):
        return RedisState(location)
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
            chunk = ids[i : i + 500]
            rows = self.db.execute(
                f"SELECT id, source, hash, revision FROM releases WHERE id IN ({','.join('?' * len(chunk))})",
                chunk,
            )
            found.update((r[0], Seen(*r)) for r in rows)
        return found

    def record(self, seen: Iterable[Seen], output: str, offset: int) -> None:
        with self.db:
            self.db.execute("BEGIN")
            self.db.executemany(
                "INSERT INTO releases (id, source, hash, revision) VALUES (?, ?, ?, ?) "
                "ON CONFLICT(id) DO UPDATE SET hash = excluded.hash, revision = excluded.revision "
                "WHERE excluded.revision > releases.revision",
                [(s.id, s.source, s.hash, s.revision) for s in seen],
            )
            self.db.execute(
                "INSERT INTO outputs (path, offset) VALUES (?, ?) "
                "ON CONFLICT(path) DO UPDATE SET offset = excluded.offset",
                (output, offset),
            )

    def output_offset(self, output: str) -> int:
        row = self.db.execute("SELECT offset FROM outputs WHERE path = ?", (output,)).fetchone()
        return row[0] if row else 0

    def claim(self, id: str, hash: str) -> bool:
        return True  # one writer at a time: the lock sees to that

    def begin_walk(self, source: str, run: str | None = None) -> bool:
        was_complete = self.walk_complete(source)
        self._set_walk(source, False, None)
        return was_complete

    def end_walk(self, source: str, reason: str) -> None:
        self._set_walk(source, True, reason)

    def walk_complete(self, source: str) -> bool:
        row = self.db.execute("SELECT complete FROM walks WHERE source = ?", (source,)).fetchone()
        return bool(row and row[0])

    def _set_walk(self, source: str, complete: bool, reason: str | None) -> None:
        self.db.execute(
            "INSERT INTO walks (source, complete, reason) VALUES (?, ?, ?) ON CONFLICT(source) DO "
            "UPDATE SET complete = excluded.complete, reason = excluded.reason, "
            "updated = excluded.updated",
            (source, int(complete), reason),
        )

    def count(self, source: str | None = None) -> int:
        if source is None:
            return self.db.execute("SELECT count(*) FROM releases").fetchone()[0]
        return self.db.execute("SELECT count(*) FROM releases WHERE source = ?", (source,)).fetchone()[0]

    def close(self) -> None:
        self.db.close()
        if self._lock_fd is not None:
            fcntl.flock(self._lock_fd, fcntl.LOCK_UN)
            os.close(self._lock_fd)
            self._lock_fd = None


_RECORD = """
for i = 1, #ARGV - 2, 4 do
  local id, source, hash, rev = ARGV[i], ARGV[i + 1], ARGV[i + 2], tonumber(ARGV[i + 3])
  local old = redis.call('HGET', KEYS[1], id)
  local old_rev = old and tonumber(string.match(old, '([^|]*)$')) or 0
  if rev > old_rev then
    redis.call('HSET', KEYS[1], id, source .. '|' .. hash .. '|' .. rev)
  end
  redis.call('DEL', KEYS[3] .. id)
end
redis.call('HSET', KEYS[2], ARGV[#ARGV - 1], ARGV[#ARGV])
return 1
"""

_CLAIM = """
local old = redis.call('HGET', KEYS[1], ARGV[1])
if old and string.match(old, '^[^|]*|([^|]*)') == ARGV[2] then return 0 end
if redis.call('SET', KEYS[2], ARGV[3], 'NX', 'EX', ARGV[4]) then return 1 end
return 0
"""

_BEGIN_WALK = """
local shared = KEYS[2] ~= ''
if shared then
  local decided = redis.call('GET', KEYS[2])
  if decided then return tonumber(decided) end
end
local was = redis.call('HGET', KEYS[1], ARGV[1])
local complete = (was and string.sub(was, 1, 1) == '1') and 1 or 0
redis.call('HSET', KEYS[1], ARGV[1], '0|')
if shared then redis.call('SET', KEYS[2], complete, 'EX', 86400) end
return complete
"""

_UNLOCK = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""

_RENEW = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
"""


class RedisState:
    """State in Redis, for several workers (or machines) sharing one dataset.

    Keys, under a prefix (default ``pressbot``): ``releases`` (hash: id -> source|hash|revision),
    ``outputs`` (hash: output path -> recorded bytes), ``walks`` (hash: source -> 1|reason or 0|),
    ``claim:<id>`` (a writer's claim, with a time-out), ``lock`` (the run lock, with a
    time-to-live that its holder renews: a killed holder's lock expires on its own).
    """

    LOCK_TTL_MS = 30_000
    CLAIM_TTL_S = 600

    def __init__(self, url: str, prefix: str = "pressbot") -> None:
        try:
            import redis  # only needed for this backend
        except ImportError:
            raise StateUnavailable(
                "a redis:// state needs the Redis client: pip install 'pressbot[distributed]'"
            ) from None

        self.url = url
        # Any: redis-py's types cannot say that decode_responses makes every reply a str.
        self.redis: Any = redis.Redis.from_url(url, decode_responses=True)
        try:
            self.redis.ping()
        except redis.ConnectionError as exc:
            raise StateUnavailable(f"cannot reach the Redis state at {url}: {exc}") from None
        self.k = {name: f"{prefix}:{name}" for name in ("releases", "outputs", "walks", "lock")}
        self.claim_prefix = f"{prefix}:claim:"
        self.run_prefix = f"{prefix}:run:"
        self._record = self.redis.register_script(_RECORD)
        self._claim = self.redis.register_script(_CLAIM)
        self._begin = self.redis.register_script(_BEGIN_WALK)
        self._unlock = self.redis.register_script(_UNLOCK)
        self._renew = self.redis.register_script(_RENEW)
        self._token: str | None = None
        self._stop_renewing = threading.Event()
        self.owner = f"{socket.gethostname()}:{os.getpid()}"

    def acquire_lock(self) -> None:
        token = f"{self.owner}:{uuid.uuid4().hex[:8]}"
        if not self.redis.set(self.k["lock"], token, nx=True, px=self.LOCK_TTL_MS):
            holder = self.redis.get(self.k["lock"]) or "unknown"
            # A holder on this machine whose process is gone died without unlocking: take over
            # now rather than wait for its lock to time out. (Elsewhere, the time-out does it.)
            if not (
                self._dead_here(holder)
                and self._unlock(keys=[self.k["lock"]], args=[holder])
                and self.redis.set(self.k["lock"], token, nx=True, px=self.LOCK_TTL_MS)
            ):
                raise LockHeld(f"another run ({holder}) holds the lock on {self.url}")
            logger.warning("Took over the lock of %s, a run that died without releasing it", holder)
        self._token = token
        threading.Thread(target=self._keep_lock, daemon=True, name="pressbot-lock").start()

    @staticmethod
    def _dead_here(holder: str) -> bool:
        host, _, rest = holder.partition(":")
        pid = rest.partition(":")[0]
        if host != socket.gethostname() or not pid.isdigit():
            return False
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            return True
        except PermissionError:
            return False
        return False

    def _keep_lock(self) -> None:
        token = self._token
        assert token is not None  # started by acquire_lock, once it holds the lock
        while not self._stop_renewing.wait(self.LOCK_TTL_MS / 3000):
            try:
                if not self._renew(keys=[self.k["lock"]], args=[token, self.LOCK_TTL_MS]):
                    logger.error("Lost the run lock on %s", self.url)
                    return
            except Exception:  # noqa: BLE001 - a blip in Redis: try again next tick
                logger.warning("Could not renew the run lock on %s", self.url, exc_info=True)

    def lookup(self, ids: Iterable[str]) -> dict[str, Seen]:
        ids = list(ids)
        if not ids:
            return {}
        found = {}
        for i, value in zip(ids, self.redis.hmget(self.k["releases"], ids), strict=True):
            if value:
                source, hash_, rev = value.rsplit("|", 2)
                found[i] = Seen(i, source, hash_, int(rev))
        return found

    def record(self, seen: Iterable[Seen], output: str, offset: int) -> None:
        args: list = []
        for s in seen:
            args += [s.id, s.source, s.hash, s.revision]
        self._record(
            keys=[self.k["releases"], self.k["outputs"], self.claim_prefix], args=[*args, output, offset]
        )

    def output_offset(self, output: str) -> int:
        return int(self.redis.hget(self.k["outputs"], output) or 0)

    def claim(self, id: str, hash: str) -> bool:
        keys = [self.k["releases"], self.claim_prefix + id]
        args: list[str | int] = [id, hash, self.owner, self.CLAIM_TTL_S]
        if self._claim(keys=keys, args=args):
            return True
        # Claimed by a worker on this machine that died before writing it: take it over.
        holder = self.redis.get(keys[1])
        if holder and holder != self.owner and self._dead_here(holder + ":"):
            self._unlock(keys=[keys[1]], args=[holder])
            return bool(self._claim(keys=keys, args=args))
        return False

    def begin_walk(self, source: str, run: str | None = None) -> bool:
        shared = f"{self.run_prefix}{run}:walk:{source}" if run else ""
        return bool(self._begin(keys=[self.k["walks"], shared], args=[source]))

    def end_walk(self, source: str, reason: str) -> None:
        self.redis.hset(self.k["walks"], source, f"1|{reason}")

    def walk_complete(self, source: str) -> bool:
        return (self.redis.hget(self.k["walks"], source) or "0").startswith("1")

    def count(self, source: str | None = None) -> int:
        if source is None:
            return self.redis.hlen(self.k["releases"])
        return sum(1 for v in self.redis.hvals(self.k["releases"]) if v.startswith(source + "|"))

    def close(self) -> None:
        self._stop_renewing.set()
        if self._token is not None:
            self._unlock(keys=[self.k["lock"]], args=[self._token])
            self._token = None
        self.redis.close()
