"""Profile one full crawl on the benchmark's synthetic site with cProfile, and print the top.

    python -m bench.profile [--n 200] [--who pressbot|baseline] [--sort tottime] [--top 30]
                            [--out bench/results/pressbot-200.prof]

The crawl runs as the benchmark runs it (same server, settings and command), with
``python -m cProfile -o FILE`` in front; the profile is kept for snakeviz/pstats.
"""

from __future__ import annotations

import argparse
import pstats
import shutil
import sys
import tempfile
from pathlib import Path

from bench.processes import run_process, settings_args
from bench.server_client import SiteServer
from bench.settings import (
    BASELINE_SPIDER,
    BENCH_DIR,
    COMMON_SETTINGS,
    PROJECT_DIR,
    RELEASES_PER_PAGE,
    SYNTHETIC_PROFILE,
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.profile", description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=200, help="listing pages")
    parser.add_argument("--who", choices=("pressbot", "baseline"), default="pressbot")
    parser.add_argument("--sort", default="tottime", help="pstats sort key (tottime, cumulative)")
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--out", help="where to keep the profile (default: bench/results/)")
    args = parser.parse_args(argv)
    profile_path = Path(args.out or BENCH_DIR / "results" / f"{args.who}-{args.n}.prof").resolve()
    profile_path.parent.mkdir(parents=True, exist_ok=True)
    workdir = Path(tempfile.mkdtemp(prefix="pressbot-profile-"))
    try:
        with SiteServer() as server:
            server.site(args.n * RELEASES_PER_PAGE)
            under_cprofile = [sys.executable, "-m", "cProfile", "-o", str(profile_path), "-m", "scrapy"]
            if args.who == "pressbot":
                cmd = [
                    *under_cprofile,
                    "crawl",
                    "releases",
                    "-a",
                    f"profile={SYNTHETIC_PROFILE}",
                    "-s",
                    f"PRESSBOT_FIXTURES_URL={server.url}",
                    "-s",
                    f"PRESSBOT_OUTPUT={workdir / 'releases.jsonl'}",
                    "-s",
                    f"PRESSBOT_STATE={workdir / 'state.sqlite3'}",
                    "-s",
                    f"PRESSBOT_RUNS_DIR={workdir / 'runs'}",
                ]
                cwd = PROJECT_DIR
            else:
                cmd = [
                    *under_cprofile,
                    "runspider",
                    str(BASELINE_SPIDER),
                    "-a",
                    f"start_url={server.start_url}",
                    "-O",
                    str(workdir / "out.jsonl"),
                ]
                cwd = workdir
            proc = run_process(
                [*cmd, *settings_args(COMMON_SETTINGS)], cwd, workdir / "crawl.log", timeout=3600
            )
            hits = server.control("stats")
        if proc.returncode != 0:
            print(proc.log[-3000:], file=sys.stderr)
            return proc.returncode
        print(
            f"{args.who}: {hits['listing_pages']} listing pages in {proc.wall_s:.2f} s under "
            f"cProfile ({hits['listing_pages'] / proc.wall_s:.1f} pages/s); "
            f"profile: {profile_path}"
        )
        pstats.Stats(str(profile_path)).strip_dirs().sort_stats(args.sort).print_stats(args.top)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
