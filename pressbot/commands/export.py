"""`scrapy export -o FILE`: the current dataset, one row per release (its latest revision)."""

from __future__ import annotations

import os
import sys

from scrapy.commands import ScrapyCommand
from scrapy.utils.python import without_none_values

from pressbot import outcome
from pressbot.catalogue import Catalogue
from pressbot.export import STDOUT, choose_format, export, export_message
from pressbot.merge import worker_outputs
from pressbot.options import ArgumentError

#: SQLite's files beside a state database: an export never replaces one.
_STATE_FILES = ("", "-wal", "-shm", "-journal")


class Command(ScrapyCommand):
    requires_project = True
    requires_crawler_process = False
    default_settings = {"LOG_ENABLED": False}

    def syntax(self) -> str:
        return "-o FILE[:FORMAT] [-t FORMAT] [--source NAME[,NAME...]] [INPUT.jsonl ...]"

    def short_desc(self) -> str:
        return "Write the current dataset (each release's latest revision) as JSON Lines, JSON, CSV or XML"

    def long_desc(self) -> str:
        return (
            "Write one row per release, its latest revision, from PRESSBOT_OUTPUT (or the JSON Lines "
            "files given) through Scrapy's feed exporters. The format is -t FORMAT, or FILE:FORMAT, or "
            "the file's extension (.jsonl .jl .json .csv .xml); -o - writes to standard output. The "
            "file is replaced whole."
        )

    def add_options(self, parser) -> None:
        super().add_options(parser)
        parser.add_argument("-o", "--output", metavar="FILE", help="the export file (- for standard output)")
        # (-O as scrapy crawl has it: an export always replaces its file.)
        parser.add_argument("-O", "--overwrite-output", dest="output", metavar="FILE", help="the same as -o")
        parser.add_argument("-t", "--output-format", dest="format", metavar="FORMAT", help="the format")
        parser.add_argument(
            "--source",
            action="append",
            default=[],
            metavar="NAME",
            help="only these sources (comma-separated)",
        )

    def run(self, args, opts) -> None:
        settings = self.settings
        assert settings is not None  # (requires_project)
        try:
            self.exitcode = self._export(settings, args, opts)
        except ArgumentError as exc:
            print(f"pressbot: error: {exc}", file=sys.stderr)
            self.exitcode = outcome.BAD_CONFIG
        except BrokenPipeError:
            # A reader of standard output that stopped early (head): no fault of the export's.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            self.exitcode = outcome.OK
        except OSError as exc:
            print(f"pressbot: error: {exc}", file=sys.stderr)
            self.exitcode = outcome.INTERNAL_ERROR

    def _export(self, settings, args, opts) -> int:
        if not opts.output:
            raise ArgumentError("give the export file: -o current.csv (or -o - -t csv for standard output)")
        exporters = without_none_values(settings.getwithbase("FEED_EXPORTERS"))
        output, fmt = choose_format(opts.output, opts.format, exporters)
        files = list(args) or _dataset(settings)
        wanted = {n.strip() for arg in opts.source for n in arg.split(",") if n.strip()}
        if opts.source and not wanted:
            raise ArgumentError("--source: give one or more source names, comma-separated")
        state = str(settings.get("PRESSBOT_STATE"))
        protected = [] if "://" in state else [state + s for s in _STATE_FILES]
        counts = export(
            files,
            output,
            fmt,
            exporters,
            sources=wanted or None,
            fields=settings.getlist("FEED_EXPORT_FIELDS") or None,
            encoding=settings.get("FEED_EXPORT_ENCODING") or "utf-8",
            indent=settings.getint("FEED_EXPORT_INDENT"),
            protected=protected,
            known_sources=Catalogue.from_settings(settings).names() if wanted else (),
        )
        print(export_message(counts, output, fmt), file=sys.stderr if output == STDOUT else sys.stdout)
        return outcome.OK


def _dataset(settings) -> list[str]:
    """The dataset's files: PRESSBOT_OUTPUT, or each distributed worker's file when it has ``{worker}``."""
    output = str(settings.get("PRESSBOT_OUTPUT"))
    if "{worker}" not in output:
        return [output]
    files = [str(p) for p in worker_outputs(output)]
    if not files:
        raise ArgumentError(f"setting PRESSBOT_OUTPUT: no worker outputs match {output}")
    return files
