"""The one generic spider: requests, pagination and stopping. All selectors live in profiles."""

from __future__ import annotations

from typing import Any

import scrapy

from pressbot.dates import DateProblem, parse_date
from pressbot.items import Release, release_id
from pressbot.ledger import Ledger
from pressbot.options import RunOptions
from pressbot.parsing import check_listing, parse_listing
from pressbot.profiles import Profile, load_profile, load_sources

#: Why a source's walk stopped; the first four are clean ends of a walk.
CLEAN_STOPS = ("caught up", "page limit", "date limit", "end of archive")


class ReleasesSpider(scrapy.Spider):
    name = "releases"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # Validate before anything else runs: a typo in -a must not cost a crawl.
        self.options = RunOptions.parse(*args, **kwargs)
        super().__init__()
        self.profiles: dict[str, Profile] = {}
        #: Per source: mode, stop reason, failed pages and drift, for the run summary.
        self.report: dict[str, dict[str, Any]] = {}

    @classmethod
    def from_crawler(cls, crawler, *args: Any, **kwargs: Any):
        spider = super().from_crawler(crawler, *args, **kwargs)
        settings = crawler.settings
        fixtures = settings.get("PRESSBOT_FIXTURES_URL")
        opts = spider.options
        if opts.profile:
            profiles = [load_profile(opts.profile, fixtures)]
        else:
            names = ",".join(opts.sources) if opts.sources else settings.get(
                "PRESSBOT_DEFAULT_SOURCE")
            profiles = load_sources(names, fixtures)
        spider.profiles = {p.name: p for p in profiles}
        if all(p.allowed_domains for p in profiles):
            spider.allowed_domains = sorted({d for p in profiles for d in p.allowed_domains})
        spider.known_in_a_row = settings.getint("PRESSBOT_KNOWN_IN_A_ROW")
        # Opening the ledger takes the run lock: a second run stops here, before any request.
        spider.ledger = Ledger.for_crawler(crawler)
        for name in spider.profiles:
            # Incremental stops are safe only once a walk of the whole listing has ended
            # cleanly: after a first run, a crash or a failed page, walk everything again.
            incremental = not opts.full and spider.ledger.state.walk_complete(name)
            spider.ledger.state.set_walk(name, complete=False)
            spider.report[name] = {"mode": "incremental" if incremental else "full",
                                   "stop_reason": None, "errors": [], "drift": [],
                                   "known_streak": 0}
        return spider

    async def start(self):
        for profile in self.profiles.values():
            for url in profile.start_urls:
                yield self._listing_request(url, profile.name, 1)

    def _listing_request(self, url: str, source: str, page_no: int) -> scrapy.Request:
        return scrapy.Request(url, callback=self.parse_listing, errback=self.listing_failed,
                              cb_kwargs={"source": source, "page_no": page_no})

    def parse_listing(self, response, source: str, page_no: int):
        profile = self.profiles[source]
        report = self.report[source]
        listing = parse_listing(response.selector, response.url, profile)
        self._count(source, "pages")
        self._count(source, "entries", len(listing.entries))

        for problem in check_listing(listing, profile):
            self._count(source, "drift")
            report["drift"].append({"url": response.url, "problem": problem})
            self.logger.error("%s: drift on %s: %s", source, response.url, problem)

        # Look the page's releases up before yielding them: once yielded they become known.
        ids = [release_id(profile.name, profile.base_url, e["url"]) if e.get("url") else None
               for e in listing.entries]
        known = self.ledger.known([i for i in ids if i])
        caught_up = False
        if report["mode"] == "incremental" and listing.entries:
            streak = report["known_streak"]
            for i in ids:
                streak = streak + 1 if i in known else 0
                if self.known_in_a_row and streak >= self.known_in_a_row:
                    caught_up = True
            report["known_streak"] = streak
            caught_up = caught_up or all(i in known for i in ids)

        older = [self._before_since(profile, e.get("published_raw")) for e in listing.entries]
        for entry, old in zip(listing.entries, older, strict=True):
            if not old:
                yield Release(source=source, listing_url=response.url, **entry)

        limit = min(profile.max_pages, self.options.max_pages or profile.max_pages)
        if report["drift"] and not listing.entries:
            self._stop(source, "drift")
        elif caught_up:
            self._stop(source, "caught up")
        # Listings run newest first: once the page's last entry predates `since`, so does every
        # later page. (The last, not the first: a sticky post at the top may be old.)
        elif older and older[-1]:
            self._stop(source, "date limit")
        elif page_no >= limit:
            self._stop(source, "page limit")
        elif not listing.next_urls:
            self._stop(source, "end of archive")
        else:
            yield self._listing_request(listing.next_urls[0], source, page_no + 1)

    def listing_failed(self, failure):
        request = failure.request
        source = request.cb_kwargs["source"]
        self._count(source, "failed_pages")
        error = failure.getErrorMessage() or failure.type.__name__
        response = getattr(failure.value, "response", None)
        if response is not None:
            error = f"HTTP {response.status}"
        self.report[source]["errors"].append({"url": request.url, "error": error})
        self.logger.error("%s: listing page %s failed after retries: %s; its entries will be "
                          "collected by the next run", source, request.url, error)
        self._stop(source, "error")

    def finished_walks(self) -> dict[str, str]:
        """Sources whose walk ended cleanly this run, and why; the ledger records them last."""
        return {s: r["stop_reason"] for s, r in self.report.items()
                if r["stop_reason"] in CLEAN_STOPS and not r["errors"] and not r["drift"]}

    def _before_since(self, profile: Profile, raw: str | None) -> bool:
        if self.options.since is None:
            return False
        try:
            day = parse_date(raw, profile.date_formats, profile.date_languages, profile.date_order)
        except DateProblem:
            return False  # let the pipelines report it; never drop on a guess
        return day < self.options.since.isoformat()

    def _count(self, source: str, key: str, n: int = 1) -> None:
        self.crawler.stats.inc_value(f"pressbot/{key}", n)
        self.crawler.stats.inc_value(f"pressbot/source/{source}/{key}", n)

    def _stop(self, source: str, reason: str) -> None:
        self.report[source]["stop_reason"] = reason
        self.crawler.stats.set_value(f"pressbot/source/{source}/stop_reason", reason)
        self.logger.info("%s: stopped walking the listing: %s", source, reason)
