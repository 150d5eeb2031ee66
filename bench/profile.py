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

from bench import (
    BASELINE,
    BENCH,
    COMMON_SETTINGS,
    PER_PAGE,
    PROFILE,
    ROOT,
    SiteServer,
    _settings_args,
    run_process,
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.profile", description=__doc__.split(
        "\n")[0])
    parser.add_argument("--n", type=int, default=200, help="listing pages")
    parser.add_argument("--who", choices=("pressbot", "baseline"), default="pressbot")
    parser.add_argument("--sort", default="tottime", help="pstats sort key (tottime, cumulative)")
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--out", help="where to keep the profile (default: bench/results/)")
    args = parser.parse_args(argv)
    out = Path(args.out or BENCH / "results" / f"{args.who}-{args.n}.prof").resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="pressbot-profile-"))
    try:
        with SiteServer() as server:
            server.site(args.n * PER_PAGE)
            prof = [sys.executable, "-m", "cProfile", "-o", str(out), "-m", "scrapy"]
            if args.who == "pressbot":
                cmd = [*prof, "crawl", "releases", "-a", f"profile={PROFILE}",
                       "-s", f"PRESSBOT_FIXTURES_URL={server.url}",
                       "-s", f"PRESSBOT_OUTPUT={work / 'releases.jsonl'}",
                       "-s", f"PRESSBOT_STATE={work / 'state.sqlite3'}",
                       "-s", f"PRESSBOT_RUNS_DIR={work / 'runs'}"]
                cwd = ROOT
            else:
                cmd = [*prof, "runspider", str(BASELINE), "-a", f"start_url={server.start_url}",
                       "-O", str(work / "out.jsonl")]
                cwd = work
            proc = run_process([*cmd, *_settings_args(COMMON_SETTINGS)], cwd, work / "crawl.log",
                               timeout=3600)
            hits = server.control("stats")
        if proc.returncode != 0:
            print(proc.log[-3000:], file=sys.stderr)
            return proc.returncode
        print(f"{args.who}: {hits['listing_pages']} listing pages in {proc.wall_s:.2f} s under "
              f"cProfile ({hits['listing_pages'] / proc.wall_s:.1f} pages/s); profile: {out}")
        pstats.Stats(str(out)).strip_dirs().sort_stats(args.sort).print_stats(args.top)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
