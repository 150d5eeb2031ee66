"""`scrapy report`: the operator's report, one static HTML file (pressbot.report)."""

from __future__ import annotations

import sys
import time

from scrapy.commands import ScrapyCommand

from pressbot import outcome, report
from pressbot.catalogue import Catalogue
from pressbot.merge import worker_outputs
from pressbot.options import ArgumentError, check_settings


class Command(ScrapyCommand):
    requires_project = True
    requires_crawler_process = False
    default_settings = {"LOG_ENABLED": False}

    def syntax(self) -> str:
        return "[-o REPORT.html] [--runs DIR] [--dataset FILE ...] [--weeks N] [--runs-listed N]"

    def short_desc(self) -> str:
        return "Write a static HTML report of the run summaries and the dataset"

    def add_options(self, parser) -> None:
        super().add_options(parser)
        parser.add_argument("-o", "--output", default=None, help="the report (default: PRESSBOT_REPORT)")
        parser.add_argument("--runs", default=None, help="run summaries (default: PRESSBOT_RUNS_DIR)")
        parser.add_argument(
            "--dataset", action="append", default=None, help="JSON Lines dataset (default: PRESSBOT_OUTPUT)"
        )
        parser.add_argument("--weeks", default="52", help="weeks in each source's chart (default: 52)")
        parser.add_argument(
            "--runs-listed", default="100", help="rows of the recent runs table (default: 100)"
        )

    def run(self, args, opts) -> None:
        settings = self.settings
        assert settings is not None  # (requires_project)
        started = time.perf_counter()
        try:
            if args:
                raise ArgumentError(f"unexpected argument {args[0]!r}: the report is written with -o FILE")
            check_settings(settings)
            catalogue = Catalogue.from_settings(settings)  # (your sources' max_silence too)
            weeks = _count(opts.weeks, "--weeks", 1, 520)
            listed = _count(opts.runs_listed, "--runs-listed", 0, 100_000)
        except ArgumentError as exc:
            print(f"pressbot: error: {exc}", file=sys.stderr)
            self.exitcode = outcome.BAD_CONFIG
            return
        runs_dir = opts.runs or settings.get("PRESSBOT_RUNS_DIR")
        datasets = opts.dataset or _datasets(settings)
        out = opts.output or settings.get("PRESSBOT_REPORT")
        runs = report.read_runs(runs_dir)
        data = report.read_dataset(datasets)
        if not runs.rows and not data.files:
            print(
                f"pressbot: error: nothing to report: no run summaries in {runs_dir} and no dataset at "
                f"{', '.join(map(str, datasets))}",
                file=sys.stderr,
            )
            self.exitcode = outcome.BAD_CONFIG
            return
        names = set(runs.last) | set(data.sources)
        rules = report.rules_for(
            names,
            settings.getfloat("PRESSBOT_SILENCE_FACTOR"),
            settings.getfloat("PRESSBOT_SILENCE_MIN_DAYS"),
            settings.get("PRESSBOT_FIXTURES_URL"),
            catalogue,
        )
        text = report.build_report(
            runs,
            data,
            rules=rules,
            limits=report.Limits(weeks=weeks, runs=listed),
            where={"runs": str(runs_dir), "dataset": ", ".join(map(str, datasets))},
        )
        try:
            size = report.write_report(text, out)
        except OSError as exc:
            print(f"pressbot: error: cannot write the report {out}: {exc.strerror or exc}", file=sys.stderr)
            self.exitcode = outcome.BAD_CONFIG
            return
        print(
            f"wrote {out} ({size / 1024:,.0f} KB): {len(names)} sources, {len(runs.rows):,} runs, "
            f"{sum(s.releases for s in data.sources.values()):,} releases, in "
            f"{time.perf_counter() - started:.2f} s"
        )


def _count(text: str, option: str, least: int, most: int) -> int:
    try:
        value = int(text)
    except (TypeError, ValueError):
        raise ArgumentError(f"{option}: {text!r} is not a whole number") from None
    if not least <= value <= most:
        raise ArgumentError(f"{option}: {value} must be from {least} to {most}")
    return value


def _datasets(settings) -> list[str]:
    """PRESSBOT_OUTPUT, or, distributed, every worker's file it names."""
    pattern = settings.get("PRESSBOT_OUTPUT")
    if "{worker}" in pattern:
        return [str(p) for p in worker_outputs(pattern)] or [pattern]
    return [pattern]
