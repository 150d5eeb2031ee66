"""The current dataset: each release's latest revision, through Scrapy's exporters, in every format."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from scrapy.settings import Settings
from scrapy.utils.python import without_none_values

from pressbot import outcome
from pressbot.export import choose_format, export, latest_lines
from pressbot.fields import FIELDS
from pressbot.options import ArgumentError
from pressbot.synthetic import SyntheticSite
from tests.conftest import ROOT, SYNTHETIC_PROFILE, read_jsonl, run_crawl

NAMES = [f.name for f in FIELDS]
EXPORTERS = without_none_values(Settings().getwithbase("FEED_EXPORTERS"))


def record(i: int, revision: int, source: str = "s", **fields) -> dict:
    """A whole record (every field), release ``i`` at ``revision``."""
    rec = dict.fromkeys(NAMES)
    rec.update(
        id=f"{i:020d}",  # (all digits: an id that readers must keep as text)
        source=source,
        url=f"https://x.test/{i}",
        title=f"Release {i}, revision {revision}",
        revision=revision,
        crawled_at=f"2026-01-0{revision}T00:00:00Z",
    )
    return {**rec, **fields}


def write_jsonl(path: Path, records: list[dict], tail: str = "") -> Path:
    path.write_text(
        "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records) + tail, encoding="utf-8"
    )
    return path


def read_back(path: Path, fmt: str) -> list[dict]:
    """An export parsed back as records: CSV and XML give text, so values are typed back as the
    schema has them (revision an int, empty a null)."""
    if fmt == "jsonlines":
        return read_jsonl(path)
    if fmt == "json":
        return json.loads(path.read_text(encoding="utf-8"))
    if fmt == "csv":
        with open(path, encoding="utf-8", newline="") as f:
            rows = list(csv.DictReader(f))
        assert not rows or list(rows[0]) == NAMES
        return [{k: (int(v) if k == "revision" else v or None) for k, v in row.items()} for row in rows]
    assert fmt == "xml"
    root = ET.parse(path).getroot()
    assert root.tag == "releases"
    out = []
    for release in root:
        assert release.tag == "release"
        got = {el.tag: el.text for el in release}
        out.append({k: (int(got[k]) if k == "revision" else got.get(k)) for k in NAMES})
    return out


FORMATS = ["jsonlines", "json", "csv", "xml"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_each_format_holds_the_latest_revision_of_each_release(tmp_path, fmt):
    records = [
        record(1, 1),
        record(2, 1, summary='Two paragraphs.\n\nThe second, with a comma, and "quotes".'),
        record(1, 2),
        record(3, 1, source="t", title="Café « déjà » 東京"),
        record(1, 3, published="2026-01-03"),
        record(2, 2),
    ]
    data = write_jsonl(tmp_path / "releases.jsonl", records)
    out = tmp_path / "out" / f"current.{fmt}"
    counts = export([data], str(out), fmt, EXPORTERS)
    assert (counts.releases, counts.records, counts.older, counts.skipped) == (3, 6, 3, 0)
    # In the order their latest revisions were written.
    assert read_back(out, fmt) == [records[3], records[4], records[5]]


def test_a_revision_is_the_highest_not_the_last_and_equal_ones_keep_the_later_line(tmp_path):
    later_equal = {**record(2, 1), "title": "the same revision, written again"}
    data = write_jsonl(tmp_path / "r.jsonl", [record(1, 2), record(1, 1), record(2, 1), later_equal])
    out = tmp_path / "c.jsonl"
    export([data], str(out), "jsonlines", EXPORTERS)
    assert [(r["id"][-1], r["revision"], r["title"]) for r in read_jsonl(out)] == [
        ("1", 2, "Release 1, revision 2"),
        ("2", 1, "the same revision, written again"),
    ]


def test_torn_and_broken_lines_are_skipped_and_counted(tmp_path):
    data = write_jsonl(
        tmp_path / "r.jsonl",
        [record(1, 1)],
        tail='not json\n["a list"]\n{"id": "x", "revision": "2"}\n{"id": 5, "revision": 1}\n'
        + '{"id": "torn", "rev',
    )
    lines, counts = latest_lines([data])
    assert (len(lines), counts.records, counts.skipped) == (1, 1, 5)


def test_several_files_and_a_source_filter(tmp_path):
    old = write_jsonl(tmp_path / "old.jsonl", [record(1, 1, source="a"), record(2, 1, source="b")])
    new = write_jsonl(tmp_path / "new.jsonl", [record(1, 2, source="a"), record(3, 1, source="c")])
    out = tmp_path / "c.jsonl"
    counts = export([old, new], str(out), "jsonlines", EXPORTERS, sources={"a", "c"})
    assert [(r["source"], r["revision"]) for r in read_jsonl(out)] == [("a", 2), ("c", 1)]
    assert (counts.files, counts.releases, counts.older, counts.sources) == (2, 2, 1, {"a", "b", "c"})
    # A name neither the data nor a profile knows is a typo, refused before the file is touched.
    with pytest.raises(ArgumentError, match="--source: unknown source nope"):
        export([old], str(out), "csv", EXPORTERS, sources={"a", "nope"}, known_sources=["zzz"])
    assert len(read_jsonl(out)) == 2
    # A known source with nothing yet exports nothing, with the header CSV readers need.
    csv_out = tmp_path / "c.csv"
    assert export([old], str(csv_out), "csv", EXPORTERS, sources={"zzz"}, known_sources=["zzz"]).releases == 0
    assert csv_out.read_text().splitlines() == [",".join(NAMES)]


def test_text_a_format_cannot_hold_is_replaced_and_counted(tmp_path):
    surrogate = {**record(1, 1), "title": "half \ud800 pair"}
    control = {**record(2, 1), "summary": "bell \x07 and tab\tkept"}
    data = tmp_path / "r.jsonl"
    # (How the ledger writes a lone surrogate: escaped, as json.dumps does.)
    data.write_text(json.dumps(surrogate) + "\n" + json.dumps(control) + "\n", encoding="utf-8")
    for fmt in FORMATS:
        out = tmp_path / f"c.{fmt}"
        counts = export([data], str(out), fmt, EXPORTERS)
        got = read_back(out, fmt)
        assert got[0]["title"] == "half \ufffd pair"
        if fmt == "xml":  # XML cannot hold a control character; the others can
            assert (got[1]["summary"], counts.replaced) == ("bell \ufffd and tab\tkept", 2)
        else:
            assert (got[1]["summary"], counts.replaced) == ("bell \x07 and tab\tkept", 1)


@pytest.mark.parametrize(
    "output, fmt, expected",
    [
        ("a.csv", None, ("a.csv", "csv")),
        ("A.JSONL", None, ("A.JSONL", "jsonlines")),
        ("a.jl", None, ("a.jl", "jsonlines")),
        ("a.json", None, ("a.json", "json")),
        ("a.xml", None, ("a.xml", "xml")),
        ("a.txt", "csv", ("a.txt", "csv")),
        ("a.txt:xml", None, ("a.txt", "xml")),
        ("-:csv", None, ("-", "csv")),
        ("-", "jsonl", ("-", "jsonl")),
    ],
)
def test_the_format_comes_from_t_a_colon_or_the_extension(output, fmt, expected):
    assert choose_format(output, fmt, EXPORTERS) == expected


@pytest.mark.parametrize(
    "output, fmt, message",
    [
        ("a.txt", None, "-o a.txt: cannot tell the format from the extension .txt: give -t FORMAT"),
        ("noext", None, "from the extension (none)"),
        ("a.csv", "yaml", "-t yaml: unknown format; known: csv, jl, json"),
        ("-", None, "-o -: give the format of standard output with -t FORMAT or -o -:FORMAT"),
    ],
)
def test_bad_formats(output, fmt, message):
    with pytest.raises(ArgumentError) as err:
        choose_format(output, fmt, EXPORTERS)
    assert message in str(err.value)


def test_an_export_never_replaces_what_it_reads_or_keeps(tmp_path):
    data = write_jsonl(tmp_path / "r.jsonl", [record(1, 1)])
    state = tmp_path / "state.sqlite3"
    state.write_bytes(b"state")
    (tmp_path / "folder.csv").mkdir()
    cases = [
        (str(data), "is " + str(data)),
        (str(tmp_path / "." / "r.jsonl"), "which the export reads or keeps"),
        (str(state), "is " + str(state)),
        (str(tmp_path / "folder.csv"), "is a folder"),
    ]
    for output, message in cases:
        with pytest.raises(ArgumentError, match=message):
            export([data], output, "csv", EXPORTERS, protected=[state])
    assert state.read_bytes() == b"state" and len(read_jsonl(data)) == 1
    with pytest.raises(ArgumentError, match="no such file: nothing has been crawled into it yet"):
        export([tmp_path / "missing.jsonl"], str(tmp_path / "x.csv"), "csv", EXPORTERS)
    with pytest.raises(ArgumentError, match="folder.csv: is a folder, not a JSON Lines file"):
        export([tmp_path / "folder.csv"], str(tmp_path / "x.csv"), "csv", EXPORTERS)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["folder.csv", "r.jsonl", "state.sqlite3"]


# --- `scrapy export` after real crawls -------------------------------------------------------------
def scrapy_export(workdir: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "scrapy",
            "export",
            "-s",
            f"PRESSBOT_OUTPUT={workdir / 'releases.jsonl'}",
            "-s",
            f"PRESSBOT_STATE={workdir / 'state.sqlite3'}",
            *args,
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.integration
def test_export_command_after_crawls_with_revisions(tmp_path, serve):
    site = SyntheticSite(releases=12, per_page=5)
    srv = serve(site.hook)
    work = tmp_path / "work"

    def crawl(*args: str) -> None:
        result = run_crawl(work, srv.url, "-a", f"profile={SYNTHETIC_PROFILE}", *args)
        assert result.returncode == 0, result.stderr[-2000:]

    crawl()
    site.edit(10, "Release 10: corrected")
    site.edit(4, "Release 4: corrected")
    crawl("-a", "full=1")
    site.edit(10, "Release 10: corrected twice")
    crawl("-a", "full=1")
    site.publish(1)
    crawl()
    lines = read_jsonl(work / "releases.jsonl")
    assert len(lines) == 12 + 2 + 1 + 1  # every revision is in the output
    # What the site shows now, release by release: its title and how often it changed.
    expected = {f"{k}.html": (site.title(k), {10: 3, 4: 2}.get(k, 1)) for k in range(13)}
    for fmt, name in [
        ("jsonlines", "current.jsonl"),
        ("json", "current.json"),
        ("csv", "c.csv"),
        ("xml", "c.xml"),
    ]:
        out = tmp_path / "exports" / name
        proc = scrapy_export(work, "-o", str(out))
        assert proc.returncode == 0, proc.stderr
        assert proc.stdout.strip() == (
            f"exported 13 releases to {out} as {fmt} "
            "(16 records read from 1 file, 3 older revisions left out)"
        )
        got = read_back(out, fmt)
        assert {r["url"].rsplit("/", 1)[1]: (r["title"], r["revision"]) for r in got} == expected
        # Each row is the very record the output holds for that revision.
        by_key = {(r["id"], r["revision"]): r for r in lines}
        assert all(r == by_key[r["id"], r["revision"]] for r in got), fmt
    # -t, -o -, and --source.
    proc = scrapy_export(work, "-o", "-", "-t", "csv", "--source", "synthetic")
    assert proc.returncode == 0 and "exported 13 releases to standard output as csv" in proc.stderr
    assert len(list(csv.DictReader(proc.stdout.splitlines()))) == 13


@pytest.mark.integration
def test_export_command_refuses_bad_input_in_one_line(tmp_path):
    work = tmp_path
    write_jsonl(work / "releases.jsonl", [record(1, 1, source="amnesty-ca")])
    (work / "state.sqlite3").write_bytes(b"")
    cases = [
        ((), "give the export file: -o current.csv"),
        (("-o", str(work / "a.txt")), "cannot tell the format from the extension .txt"),
        (("-o", str(work / "a.csv"), "-t", "yaml"), "-t yaml: unknown format"),
        (("-o", str(work / "releases.jsonl")), "which the export reads or keeps"),
        (("-o", str(work / "state.sqlite3"), "-t", "csv"), "which the export reads or keeps"),
        (("-o", str(work / "a.csv"), "--source", "nope"), "--source: unknown source nope"),
        (("-o", str(work / "a.csv"), "--source", " , "), "--source: give one or more source names"),
        (("-o", str(work / "a.csv"), str(work / "missing.jsonl")), "missing.jsonl: no such file"),
        (
            ("-o", str(work / "a.csv"), "--source", "x", "-s", f"PRESSBOT_PROFILE_DIRS={work}/none"),
            "none does not",
        ),
    ]
    for args, message in cases:
        proc = scrapy_export(work, *args)
        assert proc.returncode == outcome.BAD_CONFIG, (args, proc.stderr)
        assert proc.stderr.startswith("pressbot: error: ") and message in proc.stderr, (args, proc.stderr)
        assert len(proc.stderr.strip().splitlines()) == 1 and "Traceback" not in proc.stderr
    assert sorted(p.name for p in work.iterdir()) == ["releases.jsonl", "state.sqlite3"]


# --- README's pandas and DuckDB recipes, run as written ---------------------------------------------
def readme_block(marker: str) -> str:
    """The one ```python block of README.md that holds ``marker``."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = [b.split("```", 1)[0] for b in text.split("```python\n")[1:]]
    found = [b for b in blocks if marker in b]
    assert len(found) == 1, marker
    return found[0]


@pytest.mark.integration
@pytest.mark.parametrize("recipe", ["import pandas", "import duckdb"])
def test_readme_recipes_keep_the_latest_revision_of_each_release(
    tmp_path, serve, monkeypatch, capsys, recipe
):
    site = SyntheticSite(releases=12, per_page=5)
    srv = serve(site.hook)
    data = tmp_path / "data"
    assert run_crawl(data, srv.url, "-a", f"profile={SYNTHETIC_PROFILE}").returncode == 0
    site.edit(3, "Release 3: corrected")
    assert run_crawl(data, srv.url, "-a", f"profile={SYNTHETIC_PROFILE}", "-a", "full=1").returncode == 0
    # An id of digits only (readers must not take it for a number), in two revisions.
    with open(data / "releases.jsonl", "a", encoding="utf-8") as f:
        f.write(
            json.dumps(record(7, 1, source="digits"))
            + "\n"
            + json.dumps(record(7, 2, source="digits"))
            + "\n"
        )
    if recipe == "import duckdb":  # (a run is writing: a torn last line; README's pandas needs it whole)
        with open(data / "releases.jsonl", "a", encoding="utf-8") as f:
            f.write('{"id": "0123456789abcdef0123", "sou')
    out = tmp_path / "current.jsonl"
    export([data / "releases.jsonl"], str(out), "jsonlines", EXPORTERS)
    expected = {(r["id"], r["revision"]) for r in read_jsonl(out)}
    assert len(expected) == 13 and ("00000000000000000007", 2) in expected
    assert sum(revision == 2 for _, revision in expected) == 2  # release 3, and the digits one

    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    exec(compile(readme_block(recipe), "README.md", "exec"), namespace)  # noqa: S102 - our own README
    current = namespace["current"]
    if recipe == "import duckdb":
        rows = current.fetchall()
        columns = current.columns
        got = {(row[columns.index("id")], row[columns.index("revision")]) for row in rows}
        published = {type(row[columns.index("published")]).__name__ for row in rows}
        assert published == {"date", "NoneType"}  # (the digits records have no date)
    else:
        got = set(zip(current["id"], current["revision"], strict=True))
        assert str(current["published"].dtype).startswith("datetime64")
    assert got == expected
    printed = capsys.readouterr().out
    assert "synthetic" in printed and "digits" in printed
