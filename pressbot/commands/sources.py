"""`scrapy sources`: every source a run can see, its title, site and the outcome of its last run."""

from __future__ import annotations

import json
import sys
from typing import Any

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
            for line in table_lines(rows):
                print(line)
        broken = [row["name"] for row in rows if row["error"]]
        if broken:
            many = "sources cannot" if len(broken) != 1 else "source cannot"
            print(f"pressbot: error: {len(broken)} {many} be loaded: {', '.join(broken)}", file=sys.stderr)
            self.exitcode = outcome.BAD_CONFIG


def table_lines(rows: list[dict[str, Any]]) -> list[str]:
    """The sources as aligned columns under a header; a broken profile's row holds its error."""
    good = [(r["name"], r["title"], r["site"], outcome_line(r["last_run"])) for r in rows if not r["error"]]
    header = ("source", "title", "site", "last run")
    widths = [max(len(cells[i]) for cells in [header, *good]) for i in range(3)]
    widths[0] = max(widths[0], *(len(r["name"]) for r in rows))

    def line(cells: tuple[str, ...]) -> str:
        return "  ".join(f"{c:<{w}}" for c, w in zip(cells, [*widths, 0], strict=True)).rstrip()

    cells = iter(good)
    return [
        line(header),
        *(
            f"{r['name']:<{widths[0]}}  BROKEN: {r['error']}" if r["error"] else line(next(cells))
            for r in rows
        ),
    ]
