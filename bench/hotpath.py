"""pressbot's own hot path in-process, in CPU time: the spider's listing callback per page and
each item pipeline per release, on the synthetic site's pages, with no server and no engine.

    python -m bench.hotpath [--pages 300] [--runs 3]

CPU time of this process (``time.process_time``), not wall time: on a machine shared with other
work the figures move less than a crawl's pages/s, though a busy machine still slows them
(shared caches): compare runs made one right after the other. Scrapy's share of a crawl is not
in them (``python -m bench`` measures the whole). Each run opens a fresh state and output in a
temporary folder.
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.settings import RELEASES_PER_PAGE, SYNTHETIC_PROFILE

#: The URL the pages pretend to come from (nothing listens there: no request is made).
SITE_URL = "http://127.0.0.1:8000"
_PIPELINES = ("normalise", "validate", "deduplicate", "write")


def hot_path(pages: int = 300) -> dict[str, Any]:
    """One run over ``pages`` listing pages: CPU µs per page of the spider's callback, and per
    release of each pipeline and of the four together."""
    from scrapy.crawler import Crawler
    from scrapy.exceptions import DropItem
    from scrapy.http import HtmlResponse, Request
    from scrapy.settings import Settings
    from scrapy.statscollectors import MemoryStatsCollector

    from pressbot.items import Release
    from pressbot.pipelines import DeduplicatePipeline, NormalisePipeline, ValidatePipeline, WritePipeline
    from pressbot.spiders.releases import ReleasesSpider
    from pressbot.synthetic import SyntheticSite

    site = SyntheticSite(pages * RELEASES_PER_PAGE)
    bodies = [site.listing(n) or b"" for n in range(1, pages + 1)]
    with tempfile.TemporaryDirectory(prefix="pressbot-hotpath-") as work:
        folder = Path(work)
        values = Settings()
        values.setmodule("pressbot.settings", priority="project")
        values.setdict(
            {
                "PRESSBOT_OUTPUT": str(folder / "releases.jsonl"),
                "PRESSBOT_STATE": str(folder / "state.sqlite3"),
                "PRESSBOT_RUNS_DIR": str(folder / "runs"),
                "PRESSBOT_FIXTURES_URL": SITE_URL,
            },
            priority="cmdline",
        )
        crawler = Crawler(ReleasesSpider, values)
        spider = ReleasesSpider.from_crawler(crawler, profile=str(SYNTHETIC_PROFILE))
        crawler.spider = spider
        crawler.stats = MemoryStatsCollector(crawler)
        run = spider.run
        chain = [
            NormalisePipeline(crawler.stats, run.profiles),
            ValidatePipeline(crawler.stats, {n: p.required_fields for n, p in run.profiles.items()}),
            DeduplicatePipeline(crawler.stats, run.ledger),
            WritePipeline(crawler.stats, run.ledger),
        ]
        steps = [pipe.process_item for pipe in chain]
        spent = [0.0] * len(steps)
        in_spider, releases = 0.0, 0
        clock = time.process_time
        for n, body in enumerate(bodies, 1):
            url = f"{SITE_URL}/synthetic/news/" + ("index.html" if n == 1 else f"page-{n}.html")
            response = HtmlResponse(url, body=body, encoding="utf-8", request=Request(url))
            began = clock()
            outputs = spider.parse_listing(response, "synthetic", n)
            in_spider += clock() - began
            for item in outputs:
                if not isinstance(item, Release):
                    continue
                releases += 1
                with contextlib.suppress(DropItem):
                    for k, process in enumerate(steps):
                        began = clock()
                        item = process(item)
                        spent[k] += clock() - began
        chain[-1].close_spider()
        spider.closed("finished")
    if releases != pages * RELEASES_PER_PAGE:
        raise RuntimeError(f"the spider gave {releases} releases, not {pages * RELEASES_PER_PAGE}")
    figures = {"spider_us_per_page": in_spider / pages * 1e6}
    for name, seconds in zip(_PIPELINES, spent, strict=True):
        figures[f"{name}_us_per_release"] = seconds / releases * 1e6
    figures["pipelines_us_per_release"] = sum(spent) / releases * 1e6
    figures["releases"] = releases
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.hotpath", description=__doc__.split("\n")[0])
    parser.add_argument("--pages", type=int, default=300, help="listing pages a run")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    runs = [hot_path(args.pages) for _ in range(args.runs)]
    print(f"pressbot's hot path, CPU time, {args.pages} pages x {args.runs} runs   median     min     max")
    labels = {"spider_us_per_page": "spider callback, per listing page"}
    labels |= {f"{n}_us_per_release": f"{n} pipeline, per release" for n in _PIPELINES}
    labels["pipelines_us_per_release"] = "the four pipelines, per release"
    for key, label in labels.items():
        values = [r[key] for r in runs]
        print(f"  {label:52s} {statistics.median(values):8.1f} {min(values):7.1f} {max(values):7.1f}  µs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
