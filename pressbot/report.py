"""The operator's report: one static HTML file from the run summaries and the dataset.

Everything is inside the file (styles, pygal's SVG charts, a few lines of script that give the
bars their tooltips): it opens offline in any browser and fetches nothing. It stays small and
fast for a year of hourly runs and a million releases: the dataset is read once, line by line,
into counts per source and week, the newest releases per source and each source's days with
releases; the summaries are read once each; tables are capped.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import html
import re
import sys
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from operator import itemgetter
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

from pressbot import outcome, silence

if TYPE_CHECKING:
    from pressbot.catalogue import Catalogue

_day_and_time = itemgetter(0, 1)

#: A run summary's file name (pressbot.summary.write_summary); latest.json is one of them too.
SUMMARY_NAME = re.compile(r"\d{8}T\d{6}\.\d{6}Z\.json")
#: Only these links are links in the report (a release's URL comes from a page: never javascript:).
_LINKABLE = ("http://", "https://", "file://")


@dataclass
class SourceData:
    """What the dataset says of one source."""

    releases: int = 0  # first records (revision 1)
    records: int = 0  # every record, revisions included
    undated: int = 0
    days: set[str] = field(default_factory=set)
    weeks: Counter[int] = field(default_factory=Counter)  # Monday's ordinal -> new releases
    #: The newest releases, newest first: (day, crawled_at, title, url).
    newest: list[tuple[str, str, str, str]] = field(default_factory=list)
    first_crawled: str | None = None


@dataclass
class Dataset:
    sources: dict[str, SourceData] = field(default_factory=dict)
    lines: int = 0
    unreadable: int = 0
    files: list[str] = field(default_factory=list)


@dataclass
class Runs:
    """What the run summaries say: every run in a few fields, and each source's last run."""

    rows: list[dict[str, Any]] = field(default_factory=list)  # oldest first
    last: dict[str, tuple[dict[str, Any], dict[str, Any]]] = field(default_factory=dict)  # (run, source)
    codes: Counter[int] = field(default_factory=Counter)
    failures: Counter[str] = field(default_factory=Counter)  # runs of each source that failed
    unreadable: list[str] = field(default_factory=list)


def read_dataset(paths: Iterable[str | Path], newest: int = 10) -> Dataset:
    """Stream JSON Lines datasets into per-source counts; a line that is not a record is
    counted as unreadable and skipped."""
    data = Dataset()
    mondays: dict[str, int | None] = {}  # a day's text -> its week's Monday (ordinal)
    candidates: dict[str, list[tuple[str, str, Any, Any]]] = {}  # newest releases, trimmed now and then
    for path in paths:
        path = Path(path)
        if not path.exists():
            continue
        data.files.append(str(path))
        with open(path, "rb") as f:
            for raw in f:
                data.lines += 1
                try:
                    rec = orjson.loads(raw)
                    name = rec["source"]
                    src = data.sources.get(name)
                except (orjson.JSONDecodeError, KeyError, TypeError):
                    data.unreadable += 1
                    continue
                if src is None:
                    if not isinstance(name, str):
                        data.unreadable += 1
                        continue
                    src = data.sources[name] = SourceData()
                    candidates[name] = []
                src.records += 1
                crawled = rec.get("crawled_at")
                if not isinstance(crawled, str):
                    crawled = ""
                elif src.first_crawled is None or crawled < src.first_crawled:
                    src.first_crawled = crawled
                if rec.get("revision") != 1:
                    continue
                src.releases += 1
                day = rec.get("published")
                monday = mondays.get(day, 0) if isinstance(day, str) else None
                if monday == 0:
                    monday = mondays[day] = _monday(day)
                if monday is None:
                    src.undated += 1
                    continue
                src.days.add(day)
                src.weeks[monday] += 1
                kept = candidates[name]
                kept.append((day, crawled, rec.get("title"), rec.get("url")))
                if len(kept) >= 4096:  # (sorting now and then is cheaper than a heap per line)
                    kept.sort(key=_day_and_time, reverse=True)
                    del kept[newest:]
    for name, kept in candidates.items():
        kept.sort(key=_day_and_time, reverse=True)
        data.sources[name].newest = [_text_item(item) for item in kept[:newest]]
    return data


def _text_item(item: tuple) -> tuple[str, str, str, str]:
    day, crawled, title, url = item
    return day, crawled, title if isinstance(title, str) else "", url if isinstance(url, str) else ""


def _monday(day: str) -> int | None:
    try:
        date = dt.date.fromisoformat(day)
    except ValueError:
        return None
    return date.toordinal() - date.weekday()


def read_runs(runs_dir: str | Path) -> Runs:
    """Read every run summary in ``runs_dir`` (latest.json aside: it is one of them), oldest
    first."""
    runs = Runs()
    folder = Path(runs_dir)
    names = (
        sorted(p.name for p in folder.iterdir() if SUMMARY_NAME.fullmatch(p.name)) if folder.is_dir() else []
    )
    for name in names:
        try:
            summary = orjson.loads((folder / name).read_bytes())
            if not isinstance(summary, dict):
                raise TypeError("not an object")
            row = _row(name, summary)
        except (OSError, orjson.JSONDecodeError, TypeError, ValueError, AttributeError):
            runs.unreadable.append(name)
            continue
        runs.rows.append(row)
        runs.codes[row["exit_code"]] += 1
        for source, entry in (summary.get("sources") or {}).items():
            if isinstance(entry, dict):
                runs.last[source] = (row, entry)
                if source_outcome(entry) in ("drift", "failed"):
                    runs.failures[source] += 1
    return runs


def source_outcome(entry: Mapping[str, Any]) -> str:
    """How a run went for one source: ``drift``, ``failed`` (pages failed, or its walk ended
    short), ``silent``, or ``ok`` (its run's exit status may be another source's)."""
    if entry.get("drift"):
        return "drift"
    if entry.get("errors") or entry.get("failed_pages"):
        return "failed"
    verdict = entry.get("silence")
    if isinstance(verdict, Mapping) and verdict.get("silent"):
        return "silent"
    return "ok"


_OUTCOME_CLASS = {"ok": "ok", "silent": "warn", "drift": "bad", "failed": "bad"}


def _outcome_badge(entry: Mapping[str, Any]) -> str:
    what = source_outcome(entry)
    return f'<span class="status {_OUTCOME_CLASS[what]}">{what}</span>'


def _row(name: str, s: dict[str, Any]) -> dict[str, Any]:
    """One run in the fields the report shows; summaries from before a field existed lack it."""
    duration = s.get("duration_seconds")
    if duration is None:
        try:
            start = dt.datetime.fromisoformat(str(s["started_at"]).replace("Z", "+00:00"))
            end = dt.datetime.fromisoformat(str(s["finished_at"]).replace("Z", "+00:00"))
            duration = round((end - start).total_seconds(), 3)
        except (KeyError, ValueError, TypeError):
            duration = None
    code = s.get("exit_code")
    return {
        "file": name,
        "started_at": s.get("started_at") or name,
        "duration": duration,
        "exit_code": code if isinstance(code, int) else None,
        "exit_meaning": s.get("exit_meaning") or "",
        "finish_reason": s.get("finish_reason") or "",
        "written": s.get("written", 0),
        "sources": sorted((s.get("sources") or {}).keys()),
        "job": s.get("job"),
        "host": s.get("host"),
        "version": s.get("version"),
        "arguments": s.get("arguments"),
        "error": s.get("error"),
    }


@dataclass(frozen=True)
class Limits:
    """How much the report shows."""

    weeks: int = 52  # bars per source chart
    runs: int = 100  # rows of the recent runs table
    releases: int = 10  # newest releases listed per source
    problems: int = 20  # errors, drift, traps listed per source


def build_report(
    runs: Runs,
    data: Dataset,
    *,
    rules: Mapping[str, silence.Rule] | None = None,
    default_rule: silence.Rule | None = None,
    now: dt.datetime | None = None,
    limits: Limits | None = None,
    where: Mapping[str, str] | None = None,
) -> str:
    """The report's HTML. ``rules``: each source's silence rule (its profile's max_silence,
    the settings' factor and floor); ``where``: what was read (shown in the header)."""
    now = now or dt.datetime.now(dt.UTC)
    limits = limits or Limits()
    rules = rules or {}
    default_rule = default_rule or silence.Rule()
    names = sorted(set(runs.last) | set(data.sources))
    verdicts = {
        name: silence.judge(
            sorted(data.sources[name].days) if name in data.sources else [],
            rules.get(name, default_rule),
            now,
            _when(data.sources[name].first_crawled) if name in data.sources else None,
        )
        for name in names
    }
    this_monday = now.date().toordinal() - now.date().weekday()
    weeks = [this_monday - 7 * i for i in range(limits.weeks - 1, -1, -1)]
    parts = [
        _HEAD,
        _header(runs, data, now, where or {}, verdicts),
        _overview(names, runs, data, verdicts, now),
    ]
    for name in names:
        parts.append(_source_section(name, runs, data, verdicts[name], weeks, limits))
    parts.append(_runs_section(runs, limits))
    parts.append(_TAIL)
    return "".join(parts)


def _when(text: str | None) -> dt.datetime | None:
    if not text:
        return None
    try:
        when = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return when if when.tzinfo else when.replace(tzinfo=dt.UTC)


def e(value: Any) -> str:
    """Text for HTML, escaped (titles and URLs come from the pages crawled)."""
    return html.escape("" if value is None else str(value), quote=True)


def link(url: Any, text: Any = None) -> str:
    """A link for an http(s) or file URL; any other text (``javascript:…``) only as text."""
    shown = e(text if text is not None else url)
    if isinstance(url, str) and url.lower().startswith(_LINKABLE):
        return f'<a href="{e(url)}" rel="noreferrer">{shown}</a>'
    return shown


def _status(code: int | None) -> str:
    if code is None:
        return '<span class="status unknown">?</span>'
    kind = "ok" if code == outcome.OK else "warn" if code in (outcome.SILENT, outcome.INTERRUPTED) else "bad"
    return f'<span class="status {kind}" title="{e(outcome.DESCRIPTIONS.get(code, "unknown"))}">{code}</span>'


def _ago(days: float | None) -> str:
    if days is None:
        return ""
    if days < 1:
        return "today"
    return f"{days:.0f} days ago" if days < 60 else f"{days / 30.44:.0f} months ago"


def _header(runs, data, now, where, verdicts) -> str:
    silent = [n for n, v in verdicts.items() if v["silent"]]
    failing = [n for n, (_, entry) in runs.last.items() if source_outcome(entry) in ("drift", "failed")]
    facts = [
        f"generated {e(now.strftime('%Y-%m-%d %H:%M UTC'))}",
        f"{len(runs.rows):,} runs"
        + (
            f" ({e(runs.rows[0]['started_at'][:10])} to {e(runs.rows[-1]['started_at'][:10])})"
            if runs.rows
            else ""
        ),
        f"{sum(s.releases for s in data.sources.values()):,} releases in {len(data.sources)} sources",
    ]
    if where:
        facts.append(" · ".join(f"{e(k)}: <code>{e(v)}</code>" for k, v in where.items()))
    notes = []
    if silent:
        notes.append(f'<p class="alarm silent">Silent: {_anchors(silent)}</p>')
    if failing:
        notes.append(f'<p class="alarm failing">Last run failed: {_anchors(sorted(failing))}</p>')
    if runs.unreadable:
        notes.append(
            f"<p>{len(runs.unreadable)} run summaries could not be read (e.g. {e(runs.unreadable[0])}).</p>"
        )
    if data.unreadable:
        notes.append(f"<p>{data.unreadable:,} dataset lines were not records and were skipped.</p>")
    return (
        '<header><h1>pressbot report</h1><p class="facts">'
        + " · ".join(facts)
        + "</p>"
        + "".join(notes)
        + "</header>"
    )


def _anchors(names: Iterable[str]) -> str:
    return ", ".join(f'<a href="#source-{e(n)}">{e(n)}</a>' for n in names)


def _overview(names, runs, data, verdicts, now) -> str:
    head = (
        "<tr><th>source</th><th>last run</th><th>outcome</th><th>exit</th><th>new</th><th>pages</th><th>stop reason</th>"
        "<th>newest release</th><th>since</th><th>silence</th><th>drift</th><th>traps</th><th>errors</th>"
        "<th>releases</th></tr>"
    )
    rows = []
    for name in names:
        row, entry = runs.last.get(name, ({}, {}))
        verdict = verdicts[name]
        src = data.sources.get(name, SourceData())
        silent = (
            '<span class="status warn">silent</span>'
            if verdict["silent"]
            else e(f"allowed {verdict['allowed_days']:g} days" if verdict["allowed_days"] else "not judged")
        )
        rows.append(
            f'<tr class="source" data-source="{e(name)}"><td><a href="#source-{e(name)}">{e(name)}</a></td>'
            f"<td>{e(str(row.get('started_at', ''))[:16].replace('T', ' '))}</td>"
            f"<td>{_outcome_badge(entry) if row else ''}</td><td>{_status(row.get('exit_code')) if row else ''}</td>"
            f"<td>{e(entry.get('new', ''))}</td><td>{e(entry.get('pages', ''))}</td>"
            f"<td>{e(entry.get('stop_reason') or '')}</td>"
            f"<td>{e(verdict['newest_release'] or '')}</td><td>{e(_ago(verdict['silent_days']))}</td>"
            f"<td>{silent}</td><td>{len(entry.get('drift') or [])}</td><td>{len(entry.get('traps') or [])}</td>"
            f"<td>{len(entry.get('errors') or [])}</td><td>{src.releases:,}</td></tr>"
        )
    return f'<section id="sources"><h2>Sources</h2><table class="overview">{head}{"".join(rows)}</table></section>'


def _pygal() -> Any:
    """pygal, without the import hook it adds for its map plugins (unused here): an old-style
    finder with no find_spec, which makes every later import that misses a module warn
    (ImportWarning) in the process that made a report."""
    import pygal  # (only the report needs it)

    sys.meta_path[:] = [f for f in sys.meta_path if type(f).__name__ != "PluginImportFixer"]
    return pygal


def _chart(name: str, weeks: list[int], counts: Counter[int]) -> str:
    pygal = _pygal()
    from pygal.style import Style

    style = Style(
        background="white",
        plot_background="white",
        colors=("#2b6cb0",),
        font_family="sans-serif",
        label_font_size=10,
        major_label_font_size=10,
    )
    chart = pygal.Bar(
        width=760,
        height=170,
        style=style,
        show_legend=False,
        js=[],  # no script fetched: the report's own lines give the tooltips
        disable_xml_declaration=True,
        no_prefix=True,
        show_minor_x_labels=False,
        truncate_label=-1,
        x_labels_major_every=max(1, len(weeks) // 8),
        margin=6,
        min_scale=1,
        max_scale=4,
        explicit_size=True,
    )
    chart.x_labels = [dt.date.fromordinal(w).isoformat() for w in weeks]
    chart.add(name, [counts.get(w, 0) for w in weeks])
    svg = chart.render(is_unicode=True)
    return f'<figure class="chart" data-bars="{len(weeks)}">{svg}<figcaption>releases per week (by publication date), the last {len(weeks)} weeks</figcaption></figure>'


def _problems(entry: Mapping[str, Any], limit: int) -> str:
    out = []
    for key, title, what in (
        ("errors", "Errors", "error"),
        ("drift", "Drift", "problem"),
        ("traps", "Traps", "problem"),
    ):
        items = [i for i in entry.get(key) or [] if isinstance(i, dict)]
        if not items:
            continue
        lis = "".join(
            f"<li>{link(i.get('url'))}: {e(i.get(what) or i.get('error') or i.get('problem'))}</li>"
            for i in items[:limit]
        )
        more = f"<li>… and {len(items) - limit} more (see the run summary)</li>" if len(items) > limit else ""
        out.append(f'<div class="problems {key}"><h4>{title} ({len(items)})</h4><ul>{lis}{more}</ul></div>')
    return "".join(out)


def _source_section(name, runs, data, verdict, weeks, limits) -> str:
    row, entry = runs.last.get(name, ({}, {}))
    src = data.sources.get(name, SourceData())
    facts = []
    if row:
        facts.append(
            f"last run {e(row['started_at'])}: {_outcome_badge(entry)} for this source; the run's exit "
            f"status {_status(row['exit_code'])} {e(row['exit_meaning'])}"
        )
        facts.append(
            f"{e(entry.get('new', 0))} new, {e(entry.get('revised', 0))} revised, {e(entry.get('pages', 0))} listing pages,"
            f" stop reason {e(entry.get('stop_reason'))}"
        )
        if runs.failures.get(name):
            facts.append(f"{runs.failures[name]:,} of its runs failed (drift, or pages failed)")
    else:
        facts.append("no run summary mentions it")
    facts.append(
        f"{src.releases:,} releases ({src.undated:,} undated), newest {e(verdict['newest_release'] or 'none')}"
        + (f", {e(_ago(verdict['silent_days']))}" if verdict["silent_days"] is not None else "")
    )
    if verdict["silent"]:
        facts.append(
            f'<span class="status warn">silent</span> {verdict["silent_days"]:g} days without a release; '
            f"{e(verdict['allowed_by'])} allows {verdict['allowed_days']:g}"
        )
    elif verdict["note"]:
        facts.append(f"silence: {e(verdict['note'])}")
    else:
        facts.append(f"silence allowed: {verdict['allowed_days']:g} days ({e(verdict['allowed_by'])})")
    newest = src.newest
    releases = "".join(
        f"<li><time>{e(d)}</time> {link(u, t or u)}</li>" for d, _, t, u in newest[: limits.releases]
    )
    return (
        f'<section class="source" id="source-{e(name)}"><h3>{e(name)}</h3>'
        f'<ul class="facts">{"".join(f"<li>{f}</li>" for f in facts)}</ul>'
        f"{_chart(name, weeks, src.weeks)}{_problems(entry, limits.problems)}"
        + (f'<h4>Newest releases</h4><ol class="releases">{releases}</ol>' if releases else "")
        + "</section>"
    )


def _runs_section(runs: Runs, limits: Limits) -> str:
    codes = "".join(
        f"<tr><td>{_status(code)}</td><td>{e(outcome.DESCRIPTIONS.get(code, 'unknown'))}</td><td>{n:,}</td></tr>"
        for code, n in sorted(runs.codes.items(), key=lambda kv: (kv[0] is None, kv[0] or 0))
    )
    head = "<tr><th>started</th><th>duration</th><th>exit</th><th>sources</th><th>written</th><th>job</th><th>host</th><th>note</th></tr>"
    rows = []
    for row in reversed(runs.rows[-limits.runs :]):
        duration = f"{row['duration']:.1f} s" if isinstance(row["duration"], int | float) else ""
        note = row["error"] or ("" if row["exit_code"] == outcome.OK else row["exit_meaning"])
        rows.append(
            f'<tr class="run"><td>{e(str(row["started_at"]).replace("T", " "))}</td><td>{e(duration)}</td>'
            f"<td>{_status(row['exit_code'])}</td><td>{e(', '.join(row['sources']))}</td><td>{e(row['written'])}</td>"
            f"<td>{e(row['job'] or '')}</td><td>{e(row['host'] or '')}</td><td>{e(note)}</td></tr>"
        )
    shown = min(len(runs.rows), limits.runs)
    return (
        '<section id="runs"><h2>Runs</h2>'
        f'<table class="codes"><tr><th>exit</th><th>meaning</th><th>runs</th></tr>{codes}</table>'
        f"<h3>The last {shown:,} of {len(runs.rows):,} runs</h3>"
        f'<table class="runs">{head}{"".join(rows)}</table></section>'
    )


_HEAD = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">
<title>pressbot report</title>
<style>
body{font:14px/1.45 system-ui,sans-serif;margin:1.5em auto;max-width:1100px;color:#1a202c;padding:0 1em}
h1{margin:0 0 .2em}h2{border-bottom:2px solid #e2e8f0;margin-top:2em}h3{margin:1.4em 0 .3em}
h4{margin:.8em 0 .2em}table{border-collapse:collapse;width:100%;font-size:13px}
th,td{border-bottom:1px solid #e2e8f0;padding:3px 6px;text-align:left;vertical-align:top}
th{background:#f7fafc}.facts{color:#4a5568}ul.facts{margin:.2em 0;padding-left:1.2em}
.status{display:inline-block;min-width:1.8em;text-align:center;border-radius:3px;padding:0 4px;font-weight:600}
.status.ok{background:#c6f6d5}.status.bad{background:#fed7d7}.status.warn{background:#feebc8}
.status.unknown{background:#e2e8f0}.alarm{background:#fff5f5;border-left:4px solid #e53e3e;padding:4px 8px}
section.source{border-top:1px solid #e2e8f0}figure.chart{margin:.4em 0}figcaption{color:#718096;font-size:12px}
figure.chart svg{max-width:100%;height:auto}ol.releases time{color:#718096;margin-right:.4em}
.problems li{word-break:break-all}code{font-size:12px}
</style></head><body>
"""

# Native tooltips for the bars (pygal's own tooltip script would be fetched from the web).
_TAIL = """<script>
for (const bar of document.querySelectorAll("svg.pygal-chart g.bar")) {
  const label = bar.querySelector("desc.x_label"), value = bar.querySelector("desc.value");
  const title = document.createElementNS("http://www.w3.org/2000/svg", "title");
  title.textContent = (label ? label.textContent + ": " : "") + (value ? value.textContent : "");
  bar.appendChild(title);
}
</script></body></html>
"""


def rules_for(
    names: Iterable[str],
    factor: float,
    floor_days: float,
    fixtures_url: str | None = None,
    catalogue: Catalogue | None = None,
) -> dict[str, silence.Rule]:
    """Each known source's silence rule (its profile's max_silence; ``catalogue``: the shipped
    profiles and PRESSBOT_PROFILE_DIRS, default the shipped ones); others learn theirs."""
    from pressbot.catalogue import Catalogue
    from pressbot.profiles import ProfileError

    known = catalogue if catalogue is not None else Catalogue.from_folders(())
    rules = {}
    for name in names:
        max_silence: Any = silence.LEARN
        if name in known.files:
            with contextlib.suppress(ProfileError):  # (the crawl says what is wrong with it)
                max_silence = known.load(name, fixtures_url).max_silence
        rules[name] = silence.Rule(
            max_silence=max_silence, factor=factor, floor=dt.timedelta(days=floor_days)
        )
    return rules


def write_report(text: str, path: str | Path) -> int:
    """Write the report atomically (a reader never sees half of it); its size in bytes."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    data = text.encode("utf-8")
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(data)
    tmp.replace(path)
    return len(data)
