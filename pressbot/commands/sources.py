"""`scrapy sources`: every source a run can see, its title, site and the outcome of its last run."""

from __future__ import annotations

import json
import sys

from scrapy.commands import ScrapyCommand
from scrapy.exceptions import UsageError

from pressbot import outcome
from pressbot.catalogue import describe, outcome_line
from pressbot.options import ArgumentError


class Command(ScrapyCommand):
    requires_project = True
    requires_crawler_process = False
    default_settings = {"LOG_ENABLED": False}

    def syntax(self) -> str:
        return "[--json]"

    def short_desc(self) -> str:
        return "List every source (shipped and PRESSBOT_PROFILE_DIRS) with its title, site and last run"

    def add_options(self, parser) -> None:
        super().add_options(parser)
        parser.add_argument("--json", action="store_true", help="print a JSON list, one object per source")

    def run(self, args, opts) -> None:
        if args:
            raise UsageError("scrapy sources takes no arguments")
        assert self.settings is not None  # (requires_project)
        try:
            rows = describe(self.settings)
        except ArgumentError as exc:  # a folder that is missing or a file
            print(f"pressbot: error: {exc}", file=sys.stderr)
            self.exitcode = outcome.BAD_CONFIG
            return
        if opts.json:
            print(json.dumps(rows, ensure_ascii=False, indent=2))
        else:
            table = [("source", "title", "site", "last run")]
            for row in rows:
                if row["error"]:
                    table.append((row["name"], f"BROKEN: {row['error']}", "", ""))
                else:
                    table.append((row["name"], row["title"], row["site"], outcome_line(row["last_run"])))
            widths = [max(len(r[i]) for r in table if r[2] or i == 0) for i in range(3)]
            for row in table:
                if not row[2] and row is not table[0]:  # a broken profile: its error, whole
                    print(f"{row[0]:<{widths[0]}}  {row[1]}")
                else:
                    print("  ".join(f"{cell:<{w}}" for cell, w in zip(row[:3], widths, strict=True)), row[3])
        broken = [row["name"] for row in rows if row["error"]]
        if broken:
            print(
                f"pressbot: error: {len(broken)} sources cannot be loaded: {', '.join(broken)}",
                file=sys.stderr,
            )
            self.exitcode = outcome.BAD_CONFIG
