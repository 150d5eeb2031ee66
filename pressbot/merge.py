"""Merge the JSON Lines files of distributed workers into one ordered, duplicate-free dataset."""

from __future__ import annotations

import glob
import json
import logging
import os
from collections.abc import Iterable
from pathlib import Path

from pressbot.items import record_line

logger = logging.getLogger(__name__)


def worker_outputs(pattern: str) -> list[Path]:
    """The worker files a PRESSBOT_OUTPUT pattern with ``{worker}`` names."""
    return sorted(Path(p) for p in glob.glob(pattern.replace("{worker}", "*")))


def merge(files: Iterable[str | os.PathLike], out: str | os.PathLike) -> dict[str, int]:
    """Write every record of ``files`` once (by id and revision), ordered by the time it was
    written, then id and revision. Torn last lines (a killed worker's) are skipped and counted.
    The result replaces ``out`` atomically."""
    records: dict[tuple[str, int], dict] = {}
    counts = {"files": 0, "lines": 0, "duplicates": 0, "torn": 0}
    for path in files:
        counts["files"] += 1
        with open(path, "rb") as f:
            for raw in f:
                if not raw.endswith(b"\n"):
                    counts["torn"] += 1
                    continue
                try:
                    rec = json.loads(raw)
                    key = (rec["id"], int(rec["revision"]))
                except (ValueError, KeyError, TypeError):
                    counts["torn"] += 1
                    continue
                counts["lines"] += 1
                if key in records:
                    counts["duplicates"] += 1
                    continue
                records[key] = rec
    ordered = sorted(records.values(), key=lambda r: (r.get("crawled_at") or "", r["id"], r["revision"]))
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as f:
            for rec in ordered:
                f.write(record_line(rec))
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, out)
    finally:
        tmp.unlink(missing_ok=True)
    counts["written"] = len(ordered)
    return counts
