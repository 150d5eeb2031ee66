"""`scrapy merge`: join distributed workers' outputs into one duplicate-free dataset."""

from __future__ import annotations

import sys

from scrapy.commands import ScrapyCommand

from pressbot import outcome
from pressbot.merge import merge, worker_outputs


class Command(ScrapyCommand):
    requires_project = True
    requires_crawler_process = False
    default_settings = {"LOG_ENABLED": False}

    def syntax(self) -> str:
        return "[-o MERGED] [FILE ...]"

    def short_desc(self) -> str:
        return "Merge distributed workers' JSON Lines into one ordered, duplicate-free file"

    def add_options(self, parser) -> None:
        super().add_options(parser)
        parser.add_argument("-o", "--output", default=None, help="merged file (default: PRESSBOT_MERGED)")

    def run(self, args, opts) -> None:
        settings = self.settings
        assert settings is not None  # (requires_project)
        pattern = settings.get("PRESSBOT_OUTPUT")
        if "{worker}" not in pattern:
            stem, dot, suffix = pattern.rpartition(".")
            pattern = f"{stem}.{{worker}}.{suffix}" if dot else f"{pattern}.{{worker}}"
        files = args or [str(p) for p in worker_outputs(pattern)]
        if not files:
            print(f"pressbot: error: no worker outputs match {pattern}", file=sys.stderr)
            self.exitcode = outcome.BAD_CONFIG
            return
        out = opts.output or settings.get("PRESSBOT_MERGED")
        value = settings.get("PRESSBOT_MERGE_BUFFER")
        try:
            buffer = int(value)
        except (TypeError, ValueError):
            buffer = 0
        if buffer < 1:
            print(
                f"pressbot: error: setting PRESSBOT_MERGE_BUFFER: {value!r} is not a positive "
                "number of records",
                file=sys.stderr,
            )
            self.exitcode = outcome.BAD_CONFIG
            return
        counts = merge(files, out, buffer=buffer)
        print(
            f"merged {counts['files']} files, {counts['lines']} lines: {counts['written']} "
            f"records to {out} ({counts['duplicates']} duplicates, {counts['torn']} torn lines "
            "skipped)"
        )
