"""The report's benchmark: a year of hourly run summaries and a million releases, then the time
and size of `scrapy report` over them.

python -m bench.report [--runs 8760] [--releases 1000000] [--sources 12] [--keep DIR]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.history import write_history

ROOT = Path(__file__).resolve().parent.parent


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.report", description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=24 * 365, help="hourly run summaries (default: a year)")
    parser.add_argument("--releases", type=int, default=1_000_000, help="records in the dataset")
    parser.add_argument("--sources", type=int, default=12, help="sources")
    parser.add_argument("--repeats", type=int, default=3, help="builds of the report (the median is printed)")
    parser.add_argument("--keep", default=None, help="write the history and report here, and keep them")
    opts = parser.parse_args(argv)
    folder = Path(opts.keep) if opts.keep else Path(tempfile.mkdtemp(prefix="pressbot-report-"))
    try:
        began = time.perf_counter()
        write_history(folder, runs=opts.runs, releases=opts.releases, sources=opts.sources)
        made = time.perf_counter() - began
        dataset = folder / "releases.jsonl"
        print(
            f"history: {opts.runs:,} run summaries ({_size(folder / 'runs')}), {opts.releases:,} releases "
            f"in {opts.sources} sources ({dataset.stat().st_size / 1e6:,.0f} MB), written in {made:.1f} s"
        )
        times, rss, line = [], [], ""
        for _ in range(max(1, opts.repeats)):
            command = [
                sys.executable,
                "-c",
                "import resource, sys; from scrapy.cmdline import execute; "
                "sys.argv = ['scrapy', *sys.argv[1:]]\n"
                "try:\n    execute()\nfinally:\n"
                "    print('peak RSS', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)",
                "report",
                "-o",
                str(folder / "report.html"),
                "--runs",
                str(folder / "runs"),
                "--dataset",
                str(dataset),
            ]
            began = time.perf_counter()
            done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
            times.append(time.perf_counter() - began)
            if done.returncode != 0:
                print(done.stdout, done.stderr, file=sys.stderr)
                return 1
            line = done.stdout.strip()
            rss.append(int(done.stderr.rsplit("peak RSS", 1)[1]) / 1024)
        times.sort()
        size = (folder / "report.html").stat().st_size
        print(line)
        print(
            f"report: {size / 1024:,.0f} KB; `scrapy report` wall time, start-up included: median "
            f"{times[len(times) // 2]:.2f} s (min {times[0]:.2f}, max {times[-1]:.2f}, {len(times)} runs); "
            f"peak RSS {max(rss):,.0f} MB"
        )
    finally:
        if not opts.keep:
            shutil.rmtree(folder, ignore_errors=True)
    return 0


def _size(folder: Path) -> str:
    return f"{sum(p.stat().st_size for p in folder.iterdir()) / 1e6:,.0f} MB"


if __name__ == "__main__":
    sys.exit(main())
