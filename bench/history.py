"""A generated history for the report: hourly run summaries and a dataset of releases.

Deterministic for a seed: sources publish on weekdays at their own rate, one of them falls
silent weeks before the end, runs fail now and then (a listing page that failed, drift, a trap,
the lock held), and a summary every so often is of an older pressbot (without the fields added
since: duration, job, host, silence). Records have the shape pressbot writes.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import random
from pathlib import Path

import orjson

from pressbot import outcome

_WORDS = (
    "minister council report rights health workers court ruling agency community investment "
    "climate security privacy data review statement budget programme education transport housing"
).split()


def source_names(count: int) -> list[str]:
    return [f"press-{i:02d}" for i in range(count)]


def write_history(
    folder: Path,
    runs: int = 24 * 365,
    releases: int = 1_000_000,
    sources: int = 12,
    end: dt.datetime | None = None,
    seed: int = 7,
    silent: str | None = "press-03",
) -> dict[str, object]:
    """Write ``folder``/runs/*.json (``runs`` hourly summaries ending at ``end``) and
    ``folder``/releases.jsonl (``releases`` records, published over the three years before
    ``end``, newest last); return what was written."""
    end = end or dt.datetime.now(dt.UTC).replace(minute=17, second=0, microsecond=0)
    rnd = random.Random(seed)
    names = source_names(sources)
    runs_dir = folder / "runs"
    runs_dir.mkdir(parents=True, exist_ok=True)
    silent_from = end - dt.timedelta(days=40)
    _write_dataset(folder / "releases.jsonl", releases, names, end, rnd, silent, silent_from)
    for i in range(runs):
        started = end - dt.timedelta(hours=runs - 1 - i)
        summary = _summary(
            started, names, rnd, old=i % 97 == 0, silent=silent if started > silent_from else None
        )
        name = started.strftime("%Y%m%dT%H%M%S.%f") + "Z.json"
        (runs_dir / name).write_bytes(orjson.dumps(summary, option=orjson.OPT_INDENT_2))
    if runs:
        (runs_dir / "latest.json").write_bytes((runs_dir / name).read_bytes())
    return {"runs": runs, "releases": releases, "sources": names, "dataset": folder / "releases.jsonl"}


def _write_dataset(path, releases, names, end, rnd, silent, silent_from) -> None:
    days = 3 * 365
    weights = [rnd.uniform(0.2, 3.0) for _ in names]
    with open(path, "wb") as f:
        batch = []
        for k in range(releases):
            # Spread evenly over the days, oldest first (as runs append them), weekdays only.
            day = (end - dt.timedelta(days=days * (releases - 1 - k) / max(1, releases - 1))).date()
            if day.weekday() >= 5:
                day -= dt.timedelta(days=day.weekday() - 4)
            source = rnd.choices(names, weights)[0]
            if source == silent and day > silent_from.date():
                source = names[0]
            title = f"Release {k}: " + " ".join(rnd.choice(_WORDS) for _ in range(7)).capitalize()
            slug = hashlib.blake2b(f"{source}{k}".encode(), digest_size=10).hexdigest()
            revised = rnd.random() < 0.02
            record = {
                "id": slug,
                "source": source,
                "url": f"https://{source}.example.org/news/{k}",
                "title": title,
                "published": None if rnd.random() < 0.01 else day.isoformat(),
                "published_raw": day.strftime("%d %B %Y"),
                "summary": " ".join(rnd.choice(_WORDS) for _ in range(40)),
                "subtitle": None,
                "published_at": None,
                "modified_at": None,
                "body": None,
                "author": None,
                "language": "en",
                "listing_url": f"https://{source}.example.org/news?page=1",
                "crawled_at": f"{day.isoformat()}T{rnd.randrange(24):02d}:17:00Z",
                "revision": 1,
                "date_problem": None,
                "detail_error": None,
            }
            batch.append(orjson.dumps(record) + b"\n")
            if revised:
                batch.append(orjson.dumps({**record, "title": title + " (updated)", "revision": 2}) + b"\n")
            if len(batch) >= 10_000:
                f.write(b"".join(batch))
                batch.clear()
        f.write(b"".join(batch))


def _summary(started: dt.datetime, names, rnd, old: bool, silent: str | None) -> dict:
    finished = started + dt.timedelta(seconds=rnd.uniform(2, 40))
    roll = rnd.random()
    sources = {}
    code = outcome.OK
    for name in names:
        entry = {
            "pages": 2,
            "entries": 40,
            "new": rnd.choice((0, 0, 0, 1, 2)),
            "revised": 0,
            "duplicates": 38,
            "failed_pages": 0,
            "mode": "incremental",
            "stop_reason": "caught up",
            "walk_complete": True,
            "errors": [],
            "drift": [],
            "traps": [],
            "problems": [],
            "gone": [],
            "dropped": {},
        }
        if name == silent:
            entry["new"] = 0
            if not old:
                entry["silence"] = {"newest_release": None, "silent": True}
        sources[name] = entry
    if roll < 0.01:
        victim = rnd.choice(names)
        sources[victim].update(
            stop_reason="error",
            failed_pages=1,
            walk_complete=False,
            errors=[
                {"url": f"https://{victim}.example.org/news?page=2", "page": "listing", "error": "HTTP 503"}
            ],
        )
        code = outcome.PAGES_FAILED
    elif roll < 0.015:
        victim = rnd.choice(names)
        sources[victim].update(
            stop_reason="drift",
            walk_complete=False,
            drift=[
                {"url": f"https://{victim}.example.org/news", "problem": "no entries: css:article.teaser"}
            ],
        )
        code = outcome.DRIFT
    elif roll < 0.02:
        victim = rnd.choice(names)
        sources[victim].update(
            stop_reason="pagination loop",
            walk_complete=False,
            traps=[{"url": f"https://{victim}.example.org/news?page=1", "problem": "pagination loops back"}],
        )
        code = outcome.PAGES_FAILED
    elif silent:
        code = outcome.SILENT
    summary: dict = {
        "started_at": _iso(started),
        "finished_at": _iso(finished),
        "finish_reason": "finished",
        "exit_code": code,
        "exit_meaning": outcome.DESCRIPTIONS[code],
        "written": sum(s["new"] for s in sources.values()),
        "output": "/srv/pressbot/data/releases.jsonl",
        "repaired": [],
        "sources": sources,
    }
    if roll > 0.995:
        summary.update(finish_reason="not started", exit_code=outcome.LOCKED, sources={}, written=0)
        summary["exit_meaning"] = outcome.DESCRIPTIONS[outcome.LOCKED]
        summary["error"] = (
            "pressbot: error: another run (pid 4242 on crawler-1) holds the lock on data/state.sqlite3"
        )
    if not old:
        summary.update(
            duration_seconds=round((finished - started).total_seconds(), 3),
            job=hashlib.md5(summary["started_at"].encode()).hexdigest(),
            arguments={},
            settings={},
            version="0.1.0",
            host="crawler-1",
        )
    return summary


def _iso(when: dt.datetime) -> str:
    return when.isoformat(timespec="milliseconds").replace("+00:00", "Z")
