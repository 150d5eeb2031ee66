"""What every benchmark crawl shares: paths, the site's page size, the common Scrapy settings."""

from __future__ import annotations

from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BENCH_DIR.parent
#: The synthetic press room's profile: listing pages only (the distributed section has its own).
SYNTHETIC_PROFILE = PROJECT_DIR / "fixtures" / "synthetic" / "synthetic.toml"
#: The plain Scrapy spider pressbot is compared with.
BASELINE_SPIDER = BENCH_DIR / "baseline.py"
#: Releases on each listing page of pressbot.synthetic.SyntheticSite.
RELEASES_PER_PAGE = 20

#: Settings given to both crawls, identically, on the command line. pressbot's own defaults
#: (pressbot/settings.py) for concurrency and robots.txt; no throttling; nothing listening.
COMMON_SETTINGS = {
    "CONCURRENT_REQUESTS": "16",
    "CONCURRENT_REQUESTS_PER_DOMAIN": "8",
    "ROBOTSTXT_OBEY": "True",
    "AUTOTHROTTLE_ENABLED": "False",
    "REMOTE_CONTROL_ENABLED": "False",
    "TELNETCONSOLE_ENABLED": "False",
    "LOG_LEVEL": "INFO",
}
