"""What the crawl remembers between runs: releases seen, output progress, walks, the run lock.

One small interface (``State``) with two implementations: SQLite in one file (the default)
and Redis (``PRESSBOT_STATE=redis://host:port/db``), shared by distributed workers.
"""

from __future__ import annotations

import fcntl
import functools
import logging
import os
import socket
import sqlite3
import threading
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from operator import itemgetter
from pathlib import Path
from typing import Any, Concatenate, ParamSpec, Protocol, TypeVar

logger = logging.getLogger(__name__)


class LockHeld(RuntimeError):
    """Another run holds the state's lock."""


class LockLost(RuntimeError):
    """This run can no longer prove that it holds the lock: another run may be writing."""


class StateUnavailable(RuntimeError):
    """The state cannot be reached (a Redis server down) or used (its client not installed)."""


class BadState(ValueError):
    """A state location that cannot be used (a corrupt or unreadable file, a bad URL); the
    message names it and says what to do."""


@dataclass(frozen=True)
class Seen:
    """What the state knows of one release."""

    id: str
    source: str
    hash: str
    revision: int
    #: The generation of the output its latest record went to (0: unknown, or elsewhere).
    gen: int = field(default=0, compare=False)


class State(Protocol):
    """The state interface every backend implements."""

    def acquire_lock(self) -> None:
        """Take the run lock or raise LockHeld; a dead holder's lock must not block forever."""

    def confirm_lock(self) -> None:
        """Raise LockLost unless this run still provably holds the lock it took (nothing to
        prove for a state never locked)."""

    def lookup(self, ids: Iterable[str]) -> dict[str, Seen]:
        """The known releases among ``ids``."""

    def record(self, seen: Iterable[Seen], output: str, offset: int) -> None:
        """Record releases as seen (in the output's generation) and the output's committed
        length, atomically; raise LockLost, recording nothing, if the lock was lost."""

    def output_offset(self, output: str) -> int:
        """How many bytes of ``output`` are recorded (0 for an output never written)."""

    def start_output(self, output: str) -> None:
        """The file at ``output`` is a new one (the old one was rotated away): count it from 0,
        in a generation of its own; what the old file holds stays recorded."""

    def in_output(self, output: str) -> list[Seen]:
        """The releases whose latest record went to ``output`` since it was last started."""

    def rewind(self, restore: Iterable[Seen], forget: Iterable[Seen], output: str, offset: int) -> None:
        """``output`` lost its end: set the ``restore`` releases to exactly these revisions
        (backwards), forget the ``forget`` ones, record the output's new length, and mark the
        walks of their sources incomplete, atomically."""

    def claim(self, id: str, hash: str) -> bool:
        """Take the right to write this version of a release; False if another writer has it
        (or it is already recorded). Only matters when several workers share the state."""

    def claim_many(self, claims: Sequence[tuple[str, str]]) -> set[str]:
        """``claim`` for each (id, hash), in one go: the ids whose right this writer took."""

    def begin_walk(self, source: str, run: str | None = None) -> bool:
        """A walk of ``source`` begins: True if the previous walk ended cleanly (incremental
        stops are safe). Workers of one distributed ``run`` all get the first one's answer."""

    def begin_walks(self, sources: Iterable[str], run: str | None = None) -> dict[str, bool]:
        """``begin_walk`` of each source at once: source -> its answer."""

    def end_walk(self, source: str, reason: str) -> None:
        """The walk of ``source`` ended cleanly, every release of it recorded."""

    def end_walks(self, ended: Mapping[str, str]) -> None:
        """``end_walk`` of each source (source -> reason) at once."""

    def walk_complete(self, source: str) -> bool:
        """Whether the source's last walk ended cleanly."""

    def add_days(self, counts: Mapping[tuple[str, str], int], filled: bool = False) -> None:
        """Add releases to the calendar: (source, publication day) -> how many new releases;
        ``filled``: these are every release of the output (days_filled is then true)."""

    def days(self, source: str, limit: int = 101) -> dict[str, int]:
        """The newest ``limit`` days with releases of ``source``: day -> releases."""

    def days_filled(self) -> bool:
        """Whether the calendar holds the releases written before it existed (add_days filled)."""

    def watched_since(self, source: str, now: str) -> str:
        """When pressbot first crawled ``source`` (``now``, the first time it is asked)."""

    def histories(
        self, sources: Sequence[str], now: str, limit: int = 101
    ) -> dict[str, tuple[dict[str, int], str]]:
        """``days`` and ``watched_since`` of each source, in one go (a run opens with them)."""

    def close(self) -> None:
        """Release the lock and resources."""


#: The URL schemes of a Redis state.
REDIS_SCHEMES = ("redis://", "rediss://", "unix://")


def open_state(location: str, lock_ttl: float = 30.0) -> State:
    """The state at ``location``: ``redis://…`` for Redis, else a SQLite file path.
    ``lock_ttl``: seconds a Redis run lock lives unless its holder renews it."""
    if location.startswith(REDIS_SCHEMES):
        return RedisState(location, lock_ttl=lock_ttl)
    return SQLiteState(location)


class SQLiteState:
    """State in one SQLite file; the run lock is an flock on that very file.

    The kernel drops an flock when its process dies, however it dies, so a killed run never
    leaves a lock behind; and a lock on the state itself cannot be pulled out from under its
    holder by a clean-up that deletes lock files (there is none to delete).
    """

    def __init__(self, path: str | os.PathLike) -> None:
        self.path = Path(path)
        self._locked: tuple[int, int] | None = None  # (device, inode) of the file locked
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # Opened before SQLite opens the file and closed after it closes it: closing another
            # descriptor of the file while SQLite has it open would drop SQLite's own locks.
            self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        except OSError as exc:
            raise BadState(
                f"cannot open the state file {self.path}: {exc.strerror}; check that this user can "
                "read and write it and its folder"
            ) from None
        db = None
        try:
            self.db = db = sqlite3.connect(self.path, isolation_level=None)
            self._open()
        except sqlite3.DatabaseError as exc:
            if db is not None:
                db.close()
            os.close(self._fd)
            if "not a database" in str(exc) or "malformed" in str(exc):
                advice = "restore it from a backup, or move it aside together with the output to start afresh"
            else:
                advice = "check that this user can read and write it and its folder"
            raise BadState(f"cannot use the state file {self.path} ({exc}): {advice}") from None

    def _open(self) -> None:
        # WAL survives a killed process; NORMAL sync is safe there and loses at most the last
        # commits on power loss, which the output reconciliation then restores.
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.executescript(
            """
            CREATE TABLE IF NOT EXISTS releases (
                id TEXT PRIMARY KEY, source TEXT NOT NULL, hash TEXT NOT NULL,
                revision INTEGER NOT NULL, gen INTEGER NOT NULL DEFAULT 0
            ) WITHOUT ROWID;
            CREATE TABLE IF NOT EXISTS outputs (
                path TEXT PRIMARY KEY, offset INTEGER NOT NULL, gen INTEGER NOT NULL DEFAULT 0
            );
            CREATE TABLE IF NOT EXISTS walks (
                source TEXT PRIMARY KEY, complete INTEGER NOT NULL, reason TEXT,
                updated TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
            );
            CREATE TABLE IF NOT EXISTS holder (
                one INTEGER PRIMARY KEY CHECK (one = 1), pid INTEGER NOT NULL, host TEXT NOT NULL
            );
            CREATE TABLE IF NOT EXISTS days (
                source TEXT NOT NULL, day TEXT NOT NULL, releases INTEGER NOT NULL,
                PRIMARY KEY (source, day)
            ) WITHOUT ROWID;
            CREATE TABLE IF NOT EXISTS notes (key TEXT PRIMARY KEY, value TEXT NOT NULL);
            """
        )
        # States made before outputs had generations.
        for table in ("releases", "outputs"):
            columns = {row[1] for row in self.db.execute(f"PRAGMA table_info({table})")}
            if "gen" not in columns:
                self.db.execute(f"ALTER TABLE {table} ADD COLUMN gen INTEGER NOT NULL DEFAULT 0")

    def acquire_lock(self) -> None:
        try:
            fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            row = self.db.execute("SELECT pid, host FROM holder").fetchone()
            holder = f"pid {row[0]} on {row[1]}" if row else "unknown"
            raise LockHeld(f"another run ({holder}) holds the lock on {self.path}") from None
        st = os.fstat(self._fd)
        self._locked = (st.st_dev, st.st_ino)
        self.db.execute(
            "INSERT INTO holder (one, pid, host) VALUES (1, ?, ?) "
            "ON CONFLICT(one) DO UPDATE SET pid = excluded.pid, host = excluded.host",
            (os.getpid(), socket.gethostname()),
        )

    def confirm_lock(self) -> None:
        if self._locked is None:
            return
        try:
            st = os.stat(self.path)
            here: tuple[int, int] | None = (st.st_dev, st.st_ino)
        except FileNotFoundError:
            here = None
        if here != self._locked:
            raise LockLost(f"the state file {self.path} was deleted or replaced while this run held its lock")

    def lookup(self, ids: Iterable[str]) -> dict[str, Seen]:
        ids = list(ids)
        found: dict[str, Seen] = {}
        for i in range(0, len(ids), 500):
            chunk = ids[i : i + 500]
            rows = self.db.execute(
                "SELECT id, source, hash, revision, gen FROM releases "
                f"WHERE id IN ({','.join('?' * len(chunk))})",
                chunk,
            )
            found.update((r[0], Seen(*r)) for r in rows)
        return found

    def record(self, seen: Iterable[Seen], output: str, offset: int) -> None:
        self.confirm_lock()
        with self.db:
            self.db.execute("BEGIN")
            # An output gets its generation when first recorded (a state from before
            # generations has 0 there: it gets one too).
            self.db.execute(
                "INSERT INTO outputs (path, offset, gen) "
                "VALUES (?, ?, (SELECT coalesce(max(gen), 0) + 1 FROM outputs)) "
                "ON CONFLICT(path) DO UPDATE SET offset = excluded.offset, "
                "gen = CASE WHEN outputs.gen = 0 THEN excluded.gen ELSE outputs.gen END",
                (output, offset),
            )
            gen = self.db.execute("SELECT gen FROM outputs WHERE path = ?", (output,)).fetchone()[0]
            # In id order: ids are hashes, and a batch in their own order walks the table's
            # pages one after another instead of hopping between them (a tenth less time).
            rows = sorted(((s.id, s.source, s.hash, s.revision, gen) for s in seen), key=itemgetter(0))
            self.db.executemany(
                "INSERT INTO releases (id, source, hash, revision, gen) VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT(id) DO UPDATE SET hash = excluded.hash, revision = excluded.revision, "
                "gen = excluded.gen WHERE excluded.revision > releases.revision",
                rows,
            )

    def output_offset(self, output: str) -> int:
        row = self.db.execute("SELECT offset FROM outputs WHERE path = ?", (output,)).fetchone()
        return row[0] if row else 0

    def start_output(self, output: str) -> None:
        self.confirm_lock()
        self.db.execute(
            "INSERT INTO outputs (path, offset, gen) "
            "VALUES (?, 0, (SELECT coalesce(max(gen), 0) + 1 FROM outputs)) "
            "ON CONFLICT(path) DO UPDATE SET offset = 0, gen = excluded.gen",
            (output,),
        )

    def in_output(self, output: str) -> list[Seen]:
        rows = self.db.execute(
            "SELECT r.id, r.source, r.hash, r.revision, r.gen FROM releases r "
            "JOIN outputs o ON o.gen = r.gen WHERE o.path = ? AND o.gen > 0",
            (output,),
        )
        return [Seen(*r) for r in rows]

    def rewind(self, restore: Iterable[Seen], forget: Iterable[Seen], output: str, offset: int) -> None:
        restore, forget = list(restore), list(forget)
        self.confirm_lock()
        with self.db:
            self.db.execute("BEGIN")
            self.db.executemany(
                "UPDATE releases SET hash = ?, revision = ?, gen = ? WHERE id = ?",
                [(s.hash, s.revision, s.gen, s.id) for s in restore],
            )
            self.db.executemany("DELETE FROM releases WHERE id = ?", [(s.id,) for s in forget])
            self.db.execute("UPDATE outputs SET offset = ? WHERE path = ?", (offset, output))
            for source in sorted({s.source for s in restore + forget}):
                self._set_walk(source, False, None)

    def claim(self, id: str, hash: str) -> bool:
        return True  # one writer at a time: the lock sees to that

    def claim_many(self, claims: Sequence[tuple[str, str]]) -> set[str]:
        return {id for id, _ in claims}

    def begin_walk(self, source: str, run: str | None = None) -> bool:
        was_complete = self.walk_complete(source)
        self._set_walk(source, False, None)
        return was_complete

    def begin_walks(self, sources: Iterable[str], run: str | None = None) -> dict[str, bool]:
        return {source: self.begin_walk(source, run) for source in sources}

    def end_walk(self, source: str, reason: str) -> None:
        self.confirm_lock()
        self._set_walk(source, True, reason)

    def end_walks(self, ended: Mapping[str, str]) -> None:
        self.confirm_lock()
        with self.db:
            self.db.execute("BEGIN")
            for source, reason in ended.items():
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

    def add_days(self, counts: Mapping[tuple[str, str], int], filled: bool = False) -> None:
        with self.db:
            self.db.execute("BEGIN")
            self.db.executemany(
                "INSERT INTO days (source, day, releases) VALUES (?, ?, ?) "
                "ON CONFLICT(source, day) DO UPDATE SET releases = releases + excluded.releases",
                [(source, day, n) for (source, day), n in counts.items()],
            )
            if filled:
                self.db.execute("INSERT OR REPLACE INTO notes (key, value) VALUES ('days_filled', '1')")

    def days(self, source: str, limit: int = 101) -> dict[str, int]:
        rows = self.db.execute(
            "SELECT day, releases FROM days WHERE source = ? ORDER BY day DESC LIMIT ?", (source, limit)
        )
        return dict(rows)

    def days_filled(self) -> bool:
        return self.db.execute("SELECT 1 FROM notes WHERE key = 'days_filled'").fetchone() is not None

    def watched_since(self, source: str, now: str) -> str:
        self.db.execute("INSERT OR IGNORE INTO notes (key, value) VALUES (?, ?)", (f"watched:{source}", now))
        return self.db.execute("SELECT value FROM notes WHERE key = ?", (f"watched:{source}",)).fetchone()[0]

    def histories(
        self, sources: Sequence[str], now: str, limit: int = 101
    ) -> dict[str, tuple[dict[str, int], str]]:
        with self.db:  # (one transaction: a thousand sources' inserts, one commit)
            self.db.execute("BEGIN")
            return {s: (self.days(s, limit), self.watched_since(s, now)) for s in sources}

    def count(self, source: str | None = None) -> int:
        if source is None:
            return self.db.execute("SELECT count(*) FROM releases").fetchone()[0]
        return self.db.execute("SELECT count(*) FROM releases WHERE source = ?", (source,)).fetchone()[0]

    def close(self) -> None:
        if self._fd < 0:
            return
        self.db.close()
        # Closing the descriptor drops the flock, after SQLite has let go of the file.
        os.close(self._fd)
        self._fd = -1
        self._locked = None


# A release's value in the releases hash: source|content hash|revision|output generation.
_RECORD = """
if ARGV[1] ~= '' and redis.call('GET', KEYS[6]) ~= ARGV[1] then return 0 end
local gen = redis.call('HGET', KEYS[4], ARGV[2])
if not gen then
  gen = redis.call('INCR', KEYS[5])
  redis.call('HSET', KEYS[4], ARGV[2], gen)
end
for i = 4, #ARGV, 4 do
  local id, source, hash, rev = ARGV[i], ARGV[i + 1], ARGV[i + 2], tonumber(ARGV[i + 3])
  local old = redis.call('HGET', KEYS[1], id)
  local old_rev = old and tonumber(string.match(old, '^[^|]*|[^|]*|([^|]*)')) or 0
  if rev > old_rev then
    redis.call('HSET', KEYS[1], id, source .. '|' .. hash .. '|' .. rev .. '|' .. gen)
  end
  redis.call('DEL', KEYS[3] .. id)
end
redis.call('HSET', KEYS[2], ARGV[2], ARGV[3])
return 1
"""

_START_OUTPUT = """
if ARGV[1] ~= '' and redis.call('GET', KEYS[4]) ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[2], ARGV[2], redis.call('INCR', KEYS[3]))
redis.call('HSET', KEYS[1], ARGV[2], 0)
return 1
"""

_REWIND = """
if ARGV[1] ~= '' and redis.call('GET', KEYS[4]) ~= ARGV[1] then return 0 end
local restore, forget = tonumber(ARGV[4]), tonumber(ARGV[5])
local i = 6
for _ = 1, restore do
  redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1])
  i = i + 2
end
for _ = 1, forget do
  redis.call('HDEL', KEYS[1], ARGV[i])
  i = i + 1
end
while i <= #ARGV do
  redis.call('HSET', KEYS[3], ARGV[i], '0|')
  i = i + 1
end
redis.call('HSET', KEYS[2], ARGV[2], ARGV[3])
return 1
"""

_CLAIM = """
local old = redis.call('HGET', KEYS[1], ARGV[1])
if old and string.match(old, '^[^|]*|([^|]*)') == ARGV[2] then return 0 end
if redis.call('SET', KEYS[2], ARGV[3], 'NX', 'EX', ARGV[4]) then return 1 end
return 0
"""

#: _CLAIM for each (id, hash) of ARGV (after the owner and the time-out), KEYS[2] the claim
#: keys' prefix: 1 taken, 0 recorded already, 2 held by another writer.
_CLAIM_MANY = """
local out = {}
for i = 3, #ARGV, 2 do
  local id, hash = ARGV[i], ARGV[i + 1]
  local old = redis.call('HGET', KEYS[1], id)
  if old and string.match(old, '^[^|]*|([^|]*)') == hash then
    out[#out + 1] = 0
  elseif redis.call('SET', KEYS[2] .. id, ARGV[1], 'NX', 'EX', ARGV[2]) then
    out[#out + 1] = 1
  else
    out[#out + 1] = 2
  end
end
return out
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

_END_WALK = """
if ARGV[1] ~= '' and redis.call('GET', KEYS[2]) ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], ARGV[2], '1|' .. ARGV[3])
return 1
"""

_UNLOCK = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""

_RENEW = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
"""

_P = ParamSpec("_P")
_T = TypeVar("_T")


def _reachable(
    method: Callable[Concatenate[RedisState, _P], _T],
) -> Callable[Concatenate[RedisState, _P], _T]:
    """A Redis that stops answering mid-run is StateUnavailable (exit 69), not a traceback."""

    @functools.wraps(method)
    def call(self: RedisState, *args: _P.args, **kwargs: _P.kwargs) -> _T:
        try:
            return method(self, *args, **kwargs)
        except self.unreachable as exc:
            raise StateUnavailable(f"lost the Redis state at {self.url}: {exc}") from None

    return call


def _seen(id: str, value: str) -> Seen:
    source, hash_, rev, *gen = value.split("|")
    return Seen(id, source, hash_, int(rev), int(gen[0]) if gen else 0)


class RedisState:
    """State in Redis, for several workers (or machines) sharing one dataset.

    Keys, under a prefix (default ``pressbot``): ``releases`` (hash: id ->
    source|hash|revision|generation), ``outputs`` (hash: output path -> recorded bytes),
    ``output_gens`` (hash: output path -> its generation) and ``generation`` (the last one
    given), ``walks`` (hash: source -> 1|reason or 0|), ``claim:<id>`` (a writer's claim, with a
    time-out), ``lock`` (the run lock, with a time-to-live that its holder renews: a killed
    holder's lock expires on its own). Every write a lock holder makes checks, in the same
    script, that the lock is still its own.
    """

    CLAIM_TTL_S = 600

    def __init__(self, url: str, prefix: str = "pressbot", lock_ttl: float = 30.0) -> None:
        try:
            import redis  # only needed for this backend
        except ImportError:
            raise StateUnavailable(
                "a redis:// state needs the Redis client: pip install 'pressbot[distributed]'"
            ) from None

        self.url = url
        self.unreachable: tuple[type[Exception], ...] = (redis.ConnectionError, redis.TimeoutError)
        try:
            # Any: redis-py's types cannot say that decode_responses makes every reply a str.
            # Time-outs: a Redis that stops answering (its host gone) is unavailable, not a hang.
            self.redis: Any = redis.Redis.from_url(
                url, decode_responses=True, socket_timeout=30, socket_connect_timeout=10
            )
        except ValueError as exc:
            raise BadState(f"PRESSBOT_STATE {url!r} is not a usable Redis URL: {exc}") from None
        try:
            self.redis.ping()
        except self.unreachable as exc:
            raise StateUnavailable(f"cannot reach the Redis state at {url}: {exc}") from None
        names = ("releases", "outputs", "output_gens", "generation", "walks", "lock", "notes")
        self.k = {name: f"{prefix}:{name}" for name in names}
        self.claim_prefix = f"{prefix}:claim:"
        self.days_prefix = f"{prefix}:days:"
        self.run_prefix = f"{prefix}:run:"
        self._record = self.redis.register_script(_RECORD)
        self._start_output = self.redis.register_script(_START_OUTPUT)
        self._rewind = self.redis.register_script(_REWIND)
        self._claim = self.redis.register_script(_CLAIM)
        self._claim_many = self.redis.register_script(_CLAIM_MANY)
        self._begin = self.redis.register_script(_BEGIN_WALK)
        self._end = self.redis.register_script(_END_WALK)
        self._unlock = self.redis.register_script(_UNLOCK)
        self._renew = self.redis.register_script(_RENEW)
        self.lock_ttl_ms = max(1, int(lock_ttl * 1000))
        self._token: str | None = None
        self._lost = False
        self._stop_renewing = threading.Event()
        self.owner = f"{socket.gethostname()}:{os.getpid()}"

    @_reachable
    def acquire_lock(self) -> None:
        token = f"{self.owner}:{uuid.uuid4().hex[:8]}"
        if not self.redis.set(self.k["lock"], token, nx=True, px=self.lock_ttl_ms):
            holder = self.redis.get(self.k["lock"]) or "unknown"
            # A holder on this machine whose process is gone died without unlocking: take over
            # now rather than wait for its lock to time out. (Elsewhere, the time-out does it.)
            if not (
                self._dead_here(holder)
                and self._unlock(keys=[self.k["lock"]], args=[holder])
                and self.redis.set(self.k["lock"], token, nx=True, px=self.lock_ttl_ms)
            ):
                raise LockHeld(f"another run ({holder}) holds the lock on {self.url}")
            logger.warning("Took over the lock of %s, a run that died without releasing it", holder)
        self._token = token
        threading.Thread(target=self._keep_lock, daemon=True, name="pressbot-lock").start()

    @_reachable
    def confirm_lock(self) -> None:
        if self._token is None:
            return
        if self._lost or not self._renew(keys=[self.k["lock"]], args=[self._token, self.lock_ttl_ms]):
            self._lost = True
            raise self._lock_lost()

    def _lock_lost(self) -> LockLost:
        return LockLost(
            f"the run lock on {self.url} expired (this run was paused or cut off for more than "
            f"{self.lock_ttl_ms / 1000:g} s) and another run may hold it now"
        )

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
        while not self._stop_renewing.wait(self.lock_ttl_ms / 3000):
            try:
                if not self._renew(keys=[self.k["lock"]], args=[token, self.lock_ttl_ms]):
                    self._lost = True
                    logger.error("Lost the run lock on %s: this run writes nothing more", self.url)
                    return
            except Exception as exc:  # noqa: BLE001 - a blip in Redis: try again next tick
                logger.warning("Could not renew the run lock on %s: %s", self.url, exc)

    @_reachable
    def lookup(self, ids: Iterable[str]) -> dict[str, Seen]:
        ids = list(ids)
        if not ids:
            return {}
        found = {}
        for i, value in zip(ids, self.redis.hmget(self.k["releases"], ids), strict=True):
            if value:
                found[i] = _seen(i, value)
        return found

    def _keys(self, *names: str) -> list[str]:
        return [self.k[n] for n in names]

    @_reachable
    def record(self, seen: Iterable[Seen], output: str, offset: int) -> None:
        args: list = [self._token or "", output, offset]
        for s in seen:
            args += [s.id, s.source, s.hash, s.revision]
        keys = [self.k["releases"], self.k["outputs"], self.claim_prefix]
        keys += self._keys("output_gens", "generation", "lock")
        if not self._record(keys=keys, args=args):
            self._lost = True
            raise self._lock_lost()

    @_reachable
    def output_offset(self, output: str) -> int:
        return int(self.redis.hget(self.k["outputs"], output) or 0)

    @_reachable
    def start_output(self, output: str) -> None:
        keys = self._keys("outputs", "output_gens", "generation", "lock")
        if not self._start_output(keys=keys, args=[self._token or "", output]):
            self._lost = True
            raise self._lock_lost()

    @_reachable
    def in_output(self, output: str) -> list[Seen]:
        gen = int(self.redis.hget(self.k["output_gens"], output) or 0)
        if not gen:
            return []
        found = []
        for id, value in self.redis.hscan_iter(self.k["releases"], count=1000):
            seen = _seen(id, value)
            if seen.gen == gen:
                found.append(seen)
        return found

    @_reachable
    def rewind(self, restore: Iterable[Seen], forget: Iterable[Seen], output: str, offset: int) -> None:
        restore, forget = list(restore), list(forget)
        args: list = [self._token or "", output, offset, len(restore), len(forget)]
        for s in restore:
            args += [s.id, f"{s.source}|{s.hash}|{s.revision}|{s.gen}"]
        args += [s.id for s in forget]
        args += sorted({s.source for s in restore + forget})
        if not self._rewind(keys=self._keys("releases", "outputs", "walks", "lock"), args=args):
            self._lost = True
            raise self._lock_lost()

    @_reachable
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

    #: Claims a round trip takes at most (a Lua script blocks Redis while it runs).
    CLAIMS_A_TRIP = 500

    @_reachable
    def claim_many(self, claims: Sequence[tuple[str, str]]) -> set[str]:
        won: set[str] = set()
        for start in range(0, len(claims), self.CLAIMS_A_TRIP):
            part = claims[start : start + self.CLAIMS_A_TRIP]
            args: list[str | int] = [self.owner, self.CLAIM_TTL_S]
            for id, hash in part:
                args += [id, hash]
            answers = self._claim_many(keys=[self.k["releases"], self.claim_prefix], args=args)
            for (id, hash), answer in zip(part, answers, strict=True):
                # Held by another writer: taken over if that is a dead worker on this machine.
                if answer == 1 or (answer == 2 and self.claim(id, hash)):
                    won.add(id)
        return won

    @_reachable
    def begin_walk(self, source: str, run: str | None = None) -> bool:
        shared = f"{self.run_prefix}{run}:walk:{source}" if run else ""
        return bool(self._begin(keys=[self.k["walks"], shared], args=[source]))

    @_reachable
    def begin_walks(self, sources: Iterable[str], run: str | None = None) -> dict[str, bool]:
        # Pipelined, a few hundred a round trip: a thousand sources are not a thousand round
        # trips at every worker's start.
        sources = list(sources)
        out: dict[str, bool] = {}
        for start in range(0, len(sources), 500):
            chunk = sources[start : start + 500]
            with self.redis.pipeline(transaction=False) as pipe:
                for source in chunk:
                    shared = f"{self.run_prefix}{run}:walk:{source}" if run else ""
                    self._begin(keys=[self.k["walks"], shared], args=[source], client=pipe)
                out.update(zip(chunk, (bool(r) for r in pipe.execute()), strict=True))
        return out

    @_reachable
    def end_walk(self, source: str, reason: str) -> None:
        if not self._end(keys=self._keys("walks", "lock"), args=[self._token or "", source, reason]):
            self._lost = True
            raise self._lock_lost()

    @_reachable
    def end_walks(self, ended: Mapping[str, str]) -> None:
        items = list(ended.items())
        for start in range(0, len(items), self.SOURCES_A_TRIP):
            with self.redis.pipeline(transaction=False) as pipe:
                for source, reason in items[start : start + self.SOURCES_A_TRIP]:
                    args = [self._token or "", source, reason]
                    self._end(keys=self._keys("walks", "lock"), args=args, client=pipe)
                if not all(pipe.execute()):
                    self._lost = True
                    raise self._lock_lost()

    @_reachable
    def walk_complete(self, source: str) -> bool:
        return (self.redis.hget(self.k["walks"], source) or "0").startswith("1")

    @_reachable
    def add_days(self, counts: Mapping[tuple[str, str], int], filled: bool = False) -> None:
        pipe = self.redis.pipeline(transaction=True)
        for (source, day), n in counts.items():
            pipe.hincrby(self.days_prefix + source, day, n)
        if filled:
            pipe.hset(self.k["notes"], "days_filled", "1")
        pipe.execute()

    @_reachable
    def days(self, source: str, limit: int = 101) -> dict[str, int]:
        found = self.redis.hgetall(self.days_prefix + source)
        return {day: int(found[day]) for day in sorted(found, reverse=True)[:limit]}

    @_reachable
    def days_filled(self) -> bool:
        return bool(self.redis.hexists(self.k["notes"], "days_filled"))

    @_reachable
    def watched_since(self, source: str, now: str) -> str:
        self.redis.hsetnx(self.k["notes"], f"watched:{source}", now)
        return self.redis.hget(self.k["notes"], f"watched:{source}")

    #: Sources a round trip asks about at most, where a run asks about each.
    SOURCES_A_TRIP = 500

    @_reachable
    def histories(
        self, sources: Sequence[str], now: str, limit: int = 101
    ) -> dict[str, tuple[dict[str, int], str]]:
        out = {}
        for start in range(0, len(sources), self.SOURCES_A_TRIP):
            part = sources[start : start + self.SOURCES_A_TRIP]
            with self.redis.pipeline(transaction=False) as pipe:
                for source in part:
                    pipe.hsetnx(self.k["notes"], f"watched:{source}", now)
                    pipe.hget(self.k["notes"], f"watched:{source}")
                    pipe.hgetall(self.days_prefix + source)
                answers = pipe.execute()
            for n, source in enumerate(part):
                watched, found = answers[3 * n + 1], answers[3 * n + 2]
                days = {day: int(found[day]) for day in sorted(found, reverse=True)[:limit]}
                out[source] = (days, watched)
        return out

    @_reachable
    def count(self, source: str | None = None) -> int:
        if source is None:
            return self.redis.hlen(self.k["releases"])
        return sum(1 for v in self.redis.hvals(self.k["releases"]) if v.startswith(source + "|"))

    def close(self) -> None:
        self._stop_renewing.set()
        try:
            if self._token is not None:
                self._unlock(keys=[self.k["lock"]], args=[self._token])
        except self.unreachable as exc:
            # Gone: the lock expires on its own.
            logger.warning("Could not release the run lock on %s: %s", self.url, exc)
        finally:
            self._token = None
            self.redis.close()
