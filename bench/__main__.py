"""The benchmark's command line: its flags, the --quick defaults, and where the figures go.

python -m bench [--sizes 200,2000] [--repeats 3] [--json bench/results/latest.json] [--quick]
[--no-distributed] [--distributed-size 100] [--distributed-workers 1,2,4] [--redis-fill 1000000]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from bench.run import run_benchmark
from bench.settings import BENCH_DIR
from bench.table import format_table


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description=("pressbot beside a plain Scrapy spider on a synthetic press room served on 127.0.0.1"),
    )
    parser.add_argument(
        "--sizes", default="200,2000", help="listing page counts N, comma-separated (20 releases a page)"
    )
    parser.add_argument("--repeats", type=int, default=3, help="runs of each measurement")
    parser.add_argument(
        "--json",
        default=str(BENCH_DIR / "results" / "latest.json"),
        help="where to write the figures (default: %(default)s)",
    )
    parser.add_argument(
        "--quick", action="store_true", help="a smoke run: N = 20, 50, one run each, short loops"
    )
    parser.add_argument(
        "--no-distributed",
        action="store_true",
        help="leave out the distributed section (1, 2, 4 workers on Redis)",
    )
    parser.add_argument(
        "--distributed-size",
        type=int,
        default=None,
        help="listing pages N of the distributed section (default 100, --quick 20)",
    )
    parser.add_argument(
        "--distributed-workers",
        default="1,2,4",
        help="worker counts of the distributed section (default %(default)s)",
    )
    parser.add_argument(
        "--redis-fill",
        type=int,
        default=None,
        help="entries written to Redis to measure memory per million releases "
        "(default 1000000, --quick 100000, 0: none)",
    )
    parser.add_argument("--workdir", help="keep the crawls' logs and state here")
    parser.add_argument(
        "--server-seconds",
        type=float,
        default=None,
        help="how long the server check runs (default 3, --quick 1)",
    )
    parser.add_argument(
        "--parse-seconds",
        type=float,
        default=None,
        help="length of each parser timing loop (default 1, --quick 0.3)",
    )
    args = parser.parse_args(argv)

    sizes = [int(size) for size in args.sizes.split(",") if size.strip()]
    repeats, server_seconds, parse_seconds = args.repeats, 3.0, 1.0
    distributed_size, redis_fill = 100, 1_000_000
    if args.quick:
        sizes, repeats, server_seconds, parse_seconds = [20, 50], 1, 1.0, 0.3
        distributed_size, redis_fill = 20, 100_000
    if args.distributed_size is not None:
        distributed_size = args.distributed_size
    if args.redis_fill is not None:
        redis_fill = args.redis_fill
    workers = [int(count) for count in args.distributed_workers.split(",") if count.strip()]
    if distributed_size < 1 or not workers or min(workers) < 1 or redis_fill < 0:
        parser.error("--distributed-size, --distributed-workers must be positive, --redis-fill >= 0")
    if args.server_seconds is not None:
        server_seconds = args.server_seconds
    if args.parse_seconds is not None:
        parse_seconds = args.parse_seconds
    if not sizes or min(sizes) < 1 or repeats < 1:
        parser.error("--sizes and --repeats must be positive")

    results = run_benchmark(
        sizes,
        repeats,
        server_seconds=server_seconds,
        parse_seconds=parse_seconds,
        workdir=Path(args.workdir).resolve() if args.workdir else None,
        log=lambda message: print(message, file=sys.stderr, flush=True),
        distributed=None if args.no_distributed else distributed_size,
        distributed_workers=workers,
        redis_fill=redis_fill,
    )
    print(format_table(results))
    figures_path = Path(args.json)
    figures_path.parent.mkdir(parents=True, exist_ok=True)
    figures_path.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(f"\nFigures written to {figures_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
