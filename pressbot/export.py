"""The current dataset: one row per release (its latest revision), written through Scrapy's exporters.

The output (``PRESSBOT_OUTPUT``) holds every revision of every release, appended run after run.
An export reads it twice, so that memory holds one small entry per release however big the
file is: first the offset of each release's latest revision (the highest ``revision``; of two
equal ones the later line), then those lines alone, in the order they are in the file. Each
record goes to a Scrapy item exporter (``FEED_EXPORTERS``: JSON Lines, JSON, CSV, XML) and the
result replaces the export file at once, so a reader never sees half an export.
"""

from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import orjson
from scrapy.exporters import CsvItemExporter, XmlItemExporter
from scrapy.utils.misc import load_object

from pressbot.fields import FIELDS
from pressbot.options import ArgumentError

#: What ``-o -`` writes to.
STDOUT = "-"
#: The formats an export file's extension names.
_EXTENSIONS = {".jsonl": "jsonlines", ".jl": "jsonlines", ".json": "json", ".csv": "csv", ".xml": "xml"}
#: Text UTF-8 cannot hold (a lone surrogate from a JSON feed's "\ud800").
_SURROGATE = re.compile("[\ud800-\udfff]")
#: ...and, in XML, the characters XML 1.0 cannot hold either (control characters).
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


@dataclass
class Counts:
    """What an export read and wrote."""

    files: int = 0
    #: Whole record lines read (all revisions, before the --source filter).
    records: int = 0
    #: Releases written: one row each.
    releases: int = 0
    #: Older revisions of those releases, left out.
    older: int = 0
    #: Lines that are not records: a torn last line (a run that is writing, or was killed), or
    #: lines that are not JSON objects with an id and a revision.
    skipped: int = 0
    #: Text values with characters the format cannot hold, each replaced by U+FFFD.
    replaced: int = 0
    #: The sources the files hold, all of them (for telling a --source typo from an empty one).
    sources: set[str] = field(default_factory=set)


def choose_format(output: str, fmt: str | None, exporters: dict[str, Any]) -> tuple[str, str]:
    """(the file to write, the format), as ``scrapy crawl -o`` chooses them: ``-t FORMAT``, or
    ``FILE:FORMAT``, or the file's extension. An unknown format is an ArgumentError."""
    known = ", ".join(sorted(exporters))
    if fmt is not None:
        if fmt not in exporters:
            raise ArgumentError(f"-t {fmt}: unknown format; known: {known}")
        return output, fmt
    head, colon, tail = output.rpartition(":")
    if colon and head and tail in exporters:
        return head, tail
    if output == STDOUT:
        raise ArgumentError(
            f"-o -: give the format of standard output with -t FORMAT or -o -:FORMAT ({known})"
        )
    suffix = Path(output).suffix.lower()
    if suffix in _EXTENSIONS and _EXTENSIONS[suffix] in exporters:
        return output, _EXTENSIONS[suffix]
    raise ArgumentError(
        f"-o {output}: cannot tell the format from the extension {suffix or '(none)'}: give -t FORMAT "
        f"or -o {output}:FORMAT, with one of {known}"
    )


def latest_lines(
    files: Sequence[str | os.PathLike], sources: set[str] | None = None
) -> tuple[list[tuple[int, int]], Counts]:
    """First pass: the (file index, offset) of each release's latest revision, in file order,
    of the releases of ``sources`` (None: all)."""
    counts = Counts(files=len(files))
    latest: dict[str, tuple[int, int, int]] = {}  # id -> (revision, file index, offset)
    matched = 0
    for index, path in enumerate(files):
        with open(path, "rb") as f:
            offset = 0
            for raw in f:
                at, offset = offset, offset + len(raw)
                record = _record(raw)
                if record is None:
                    counts.skipped += 1
                    continue
                counts.records += 1
                source = record.get("source")
                if isinstance(source, str):
                    counts.sources.add(source)
                if sources is not None and source not in sources:
                    continue
                matched += 1
                rid, revision = record["id"], record["revision"]
                known = latest.get(rid)
                if known is None or revision >= known[0]:
                    latest[rid] = (revision, index, at)
    lines = sorted((index, at) for _, index, at in latest.values())
    counts.releases = len(lines)
    counts.older = matched - len(lines)
    return lines, counts


def _record(raw: bytes) -> dict[str, Any] | None:
    """One output line as a record with an id and a whole revision, or None."""
    if not raw.endswith(b"\n"):
        return None  # torn: the ledger sets it aside at the next run's start
    try:
        record = orjson.loads(raw)
    except orjson.JSONDecodeError:
        try:  # (a lone surrogate, which the ledger writes escaped and orjson refuses)
            record = json.loads(raw)
        except ValueError:
            return None
    if not isinstance(record, dict) or not isinstance(record.get("id"), str):
        return None
    revision = record.get("revision")
    if not isinstance(revision, int) or isinstance(revision, bool):
        return None
    return record


def read_lines(
    files: Sequence[str | os.PathLike], lines: Iterable[tuple[int, int]]
) -> Iterable[dict[str, Any]]:
    """Second pass: the records at those (file index, offset)s, in that order."""
    handles: dict[int, IO[bytes]] = {}
    try:
        for index, at in lines:
            f = handles.get(index)
            if f is None:
                f = handles[index] = open(files[index], "rb")  # noqa: SIM115 - closed below
            f.seek(at)
            record = _record(f.readline())
            if record is None:  # (the file changed between the passes: it is only appended to)
                raise OSError(f"{files[index]} changed while it was exported: export again")
            yield record
    finally:
        for f in handles.values():
            f.close()


def export(
    files: Sequence[str | os.PathLike],
    output: str,
    fmt: str,
    exporters: dict[str, Any],
    *,
    sources: set[str] | None = None,
    fields: Sequence[str] | None = None,
    encoding: str = "utf-8",
    indent: int | None = 0,
    protected: Iterable[str | os.PathLike] = (),
    known_sources: Iterable[str] = (),
) -> Counts:
    """Write the latest revision of every release in ``files`` (of ``sources``) to ``output``
    (a path, or ``-`` for standard output) as ``fmt``. ``protected``: files the export must not
    replace (the state). A name in ``sources`` that neither ``known_sources`` (the catalogue)
    nor the files hold is a typo, not an empty source. Refusals are ArgumentErrors, raised
    before the export file is touched; it is replaced only whole."""
    exporter_cls = load_object(exporters[fmt])
    names = list(fields or [f.name for f in FIELDS])
    if output != STDOUT:
        target = Path(output)
        if target.is_dir():
            raise ArgumentError(f"-o {output}: is a folder: give a file name")
        real = os.path.realpath(target)
        for other in [*files, *protected]:
            if os.path.realpath(other) == real:
                raise ArgumentError(
                    f"-o {output}: is {other}, which the export reads or keeps: give another file"
                )
    for path in files:
        if Path(path).is_dir():
            raise ArgumentError(f"{path}: is a folder, not a JSON Lines file")
        if not Path(path).is_file():
            raise ArgumentError(f"{path}: no such file: nothing has been crawled into it yet?")
    lines, counts = latest_lines(files, sources)
    unknown = sorted(set(sources or ()) - counts.sources - set(known_sources))
    if unknown:
        raise ArgumentError(f"--source: unknown source {', '.join(unknown)}: not in the data nor a profile")
    clean = _cleaner(exporter_cls, counts)
    kwargs: dict[str, Any] = {"fields_to_export": names, "encoding": encoding, "indent": indent}
    if issubclass(exporter_cls, XmlItemExporter):
        kwargs.update(item_element="release", root_element="releases")

    def write(stream: IO[bytes]) -> None:
        exporter = exporter_cls(stream, **kwargs)
        exporter.start_exporting()
        wrote = False
        for record in read_lines(files, lines):
            exporter.export_item(clean(record))
            wrote = True
        if not wrote and isinstance(exporter, CsvItemExporter):
            # (Scrapy writes a CSV's header with its first row: an empty export still has one.)
            exporter._write_headers_and_set_fields_to_export({})
        exporter.finish_exporting()

    if output == STDOUT:
        write(sys.stdout.buffer)
        sys.stdout.buffer.flush()
        return counts
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    return counts


def _cleaner(exporter_cls: type, counts: Counts) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """What a record needs before the format can hold it: text UTF-8 cannot encode replaced
    (counted); for XML, characters XML cannot hold replaced too, and null fields left out (an
    absent element is XML's null; Scrapy would write the text "None")."""
    xml = issubclass(exporter_cls, XmlItemExporter)
    bad = _NOT_XML if xml else _SURROGATE

    def clean(record: dict[str, Any]) -> dict[str, Any]:
        out = {}
        for key, value in record.items():
            if value is None and xml:
                continue
            # (Surrogates are never ASCII; XML's control characters are.)
            if isinstance(value, str) and (xml or not value.isascii()):
                value, n = bad.subn("\ufffd", value)
                counts.replaced += bool(n)
            out[key] = value
        return out

    return clean


def export_message(counts: Counts, output: str, fmt: str) -> str:
    """What an export did, in one line."""
    where = "standard output" if output == STDOUT else output
    text = (
        f"exported {counts.releases} releases to {where} as {fmt} ({counts.records} records read from "
        f"{counts.files} file{'s' if counts.files != 1 else ''}, {counts.older} older revisions left out"
    )
    if counts.skipped:
        text += f", {counts.skipped} lines that are not records skipped"
    if counts.replaced:
        text += f", {counts.replaced} values with characters {fmt} cannot hold replaced by U+FFFD"
    return text + ")"
