"""Merge the JSON Lines files of distributed workers into one ordered, duplicate-free dataset,
in bounded memory (an external sort: sorted runs on disk, then k-way merges)."""

from __future__ import annotations

import glob
import heapq
import json
import logging
import os
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import orjson

from pressbot.items import record_line

logger = logging.getLogger(__name__)

#: Records held in memory at once (one sorted run); PRESSBOT_MERGE_BUFFER.
DEFAULT_BUFFER = 100_000
#: Runs merged at once: open files stay few whatever the size of the input.
FAN_IN = 64


def worker_outputs(pattern: str) -> list[Path]:
    """The worker files a PRESSBOT_OUTPUT pattern with ``{worker}`` names."""
    return sorted(Path(p) for p in glob.glob(pattern.replace("{worker}", "*")))


def merge(
    files: Iterable[str | os.PathLike], out: str | os.PathLike, buffer: int = DEFAULT_BUFFER
) -> dict[str, int]:
    """Write every record of ``files`` once (by id and revision: the first met, in the order
    of the files and their lines), ordered by the time it was written, then id and revision.
    Torn last lines (a killed worker's) are skipped and counted. The result replaces ``out``
    atomically. At most ``buffer`` records are held in memory: the rest wait in sorted runs in
    a temporary folder beside ``out``, removed at the end."""
    if buffer < 1:
        raise ValueError(f"merge buffer must be at least 1 record, not {buffer}")
    counts = {"files": 0, "lines": 0, "duplicates": 0, "torn": 0, "written": 0}
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    with tempfile.TemporaryDirectory(prefix=f".{out.name}.merge-", dir=out.parent) as work:
        runs = _Runs(Path(work), buffer)
        # Pass 1: by (id, revision, order read), so that the first of each record is kept.
        by_id = runs.sort(_read(files, counts))
        # Pass 2: the survivors by (written at, id, revision), streamed from pass 1.
        ordered = runs.sort(_first_of_each(by_id, counts))
        try:
            with open(tmp, "wb") as f:
                for _, line in ordered:
                    f.write(line)
                    counts["written"] += 1
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, out)
        finally:
            tmp.unlink(missing_ok=True)
    return counts


def _read(files: Iterable[str | os.PathLike], counts: dict[str, int]) -> Iterator[tuple[list, bytes]]:
    seq = 0
    for path in files:
        counts["files"] += 1
        with open(path, "rb") as f:
            for raw in f:
                if not raw.endswith(b"\n"):
                    counts["torn"] += 1
                    continue
                try:
                    rec = json.loads(raw)
                    key = [rec["id"], int(rec["revision"]), seq, rec.get("crawled_at") or ""]
                except (ValueError, KeyError, TypeError):
                    counts["torn"] += 1
                    continue
                counts["lines"] += 1
                seq += 1
                yield key, record_line(rec)


def _first_of_each(
    by_id: Iterable[tuple[list, bytes]], counts: dict[str, int]
) -> Iterator[tuple[list, bytes]]:
    """The first record of each (id, revision), keyed by (written at, id, revision)."""
    previous: Any = None
    for (ident, revision, _, written), line in by_id:
        if (ident, revision) == previous:
            counts["duplicates"] += 1
            continue
        previous = (ident, revision)
        yield [written, ident, revision], line


class _Runs:
    """An external sort: records in, sorted runs of at most ``buffer`` records on disk, merged
    ``FAN_IN`` at a time; each record is its key (a JSON list) and its line."""

    def __init__(self, folder: Path, buffer: int) -> None:
        self.folder = folder
        self.buffer = buffer
        self.made = 0

    def sort(self, records: Iterable[tuple[list, bytes]]) -> Iterator[tuple[list, bytes]]:
        runs: list[Path] = []
        held: list[tuple[list, bytes]] = []
        for record in records:
            held.append(record)
            if len(held) >= self.buffer:
                runs.append(self._write(sorted(held, key=_key)))
                held = []
        if not runs:  # it all fits: no disk
            yield from sorted(held, key=_key)
            return
        if held:
            runs.append(self._write(sorted(held, key=_key)))
        del held
        while len(runs) > FAN_IN:
            runs = [self._write(self._merged(runs[i : i + FAN_IN])) for i in range(0, len(runs), FAN_IN)]
        yield from self._merged(runs)

    def _write(self, records: Iterable[tuple[list, bytes]]) -> Path:
        path = self.folder / f"run-{self.made}"
        self.made += 1
        with open(path, "wb") as f:
            for key, line in records:
                # The key is orjson's JSON, which holds no raw tab: the first tab ends it.
                f.write(_dump_key(key) + b"\t" + line)
        return path

    def _merged(self, runs: list[Path]) -> Iterator[tuple[list, bytes]]:
        try:
            yield from heapq.merge(*(self._read_run(p) for p in runs), key=_key)
        finally:
            for path in runs:
                path.unlink(missing_ok=True)

    @staticmethod
    def _read_run(path: Path) -> Iterator[tuple[list, bytes]]:
        with open(path, "rb") as f:
            for raw in f:
                key, _, line = raw.partition(b"\t")
                try:
                    yield orjson.loads(key), line
                except orjson.JSONDecodeError:  # (written by json: a lone surrogate)
                    yield json.loads(key), line


def _key(record: tuple[list, bytes]) -> list:
    return record[0]


def _dump_key(key: list) -> bytes:
    try:
        return orjson.dumps(key)
    except orjson.JSONEncodeError:  # (an id with a lone surrogate)
        return json.dumps(key).encode("ascii")
