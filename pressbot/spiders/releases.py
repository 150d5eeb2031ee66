"""The one generic spider: requests, pagination and stopping. All selectors live in profiles."""

from __future__ import annotations

from typing import Any

import scrapy

from pressbot.dates import DateProblem, parse_date
from pressbot.items import Release
from pressbot.options import RunOptions
from pressbot.parsing import parse_listing
from pressbot.profiles import Profile, load_profile, load_sources


class ReleasesSpider(scrapy.Spider):
    name = "releases"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # Validate before anything else runs: a typo in -a must not cost a crawl.
        self.options = RunOptions.parse(*args, **kwargs)
        super().__init__()
        self.profiles: dict[str, Profile] = {}

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
        domains = {d for p in profiles for d in p.allowed_domains}
        if all(p.allowed_domains for p in profiles):
            spider.allowed_domains = sorted(domains)
        return spider

    async def start(self):
        for profile in self.profiles.values():
            for url in profile.start_urls:
                yield scrapy.Request(url, callback=self.parse_listing,
                                     cb_kwargs={"source": profile.name, "page_no": 1})

    def parse_listing(self, response, source: str, page_no: int):
        profile = self.profiles[source]
        listing = parse_listing(response.selector, response.url, profile)
        self.crawler.stats.inc_value("pressbot/pages")
        self.crawler.stats.inc_value(f"pressbot/source/{source}/pages")
        self.crawler.stats.inc_value(f"pressbot/source/{source}/entries", len(listing.entries))
        older = [self._before_since(profile, e.get("published_raw")) for e in listing.entries]
        for entry, old in zip(listing.entries, older, strict=True):
            if not old:
                yield Release(source=source, listing_url=response.url, **entry)
        limit = min(profile.max_pages, self.options.max_pages or profile.max_pages)
        # Listings run newest first: once the page's last entry predates `since`, so does every
        # later page. (The last, not the first: a sticky post at the top may be old.)
        if older and older[-1]:
            self._stop(source, "date limit")
        elif page_no >= limit:
            self._stop(source, "page limit")
        elif not listing.next_urls:
            self._stop(source, "end of archive")
        else:
            for url in listing.next_urls[:1]:
                yield response.follow(url, callback=self.parse_listing,
                                      cb_kwargs={"source": source, "page_no": page_no + 1})

    def _before_since(self, profile: Profile, raw: str | None) -> bool:
        if self.options.since is None:
            return False
        try:
            day = parse_date(raw, profile.date_formats, profile.date_languages, profile.date_order)
        except DateProblem:
            return False  # let the pipelines report it; never drop on a guess
        return day < self.options.since.isoformat()

    def _stop(self, source: str, reason: str) -> None:
        self.crawler.stats.set_value(f"pressbot/source/{source}/stop_reason", reason)
        self.logger.info("%s: stopped walking the listing: %s", source, reason)
