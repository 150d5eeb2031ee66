"""The one generic spider: requests, pagination and stopping. All selectors live in profiles."""

from __future__ import annotations

from typing import Any
from urllib.parse import urljoin, urlsplit

import scrapy
from scrapy import signals
from scrapy.exceptions import DownloadCancelledError, IgnoreRequest

from pressbot import __version__, distributed, outcome
from pressbot.dates import DateProblem, parse_date
from pressbot.items import Release, canonical_url, content_hash, release_id
from pressbot.ledger import Ledger
from pressbot.middlewares import is_local_url
from pressbot.normalise import normalise
from pressbot.options import RunOptions, check_settings
from pressbot.parsing import check_listing, page_from_bytes, parse_detail, parse_listing
from pressbot.profiles import Profile, load_profile, load_sources


class ReleasesSpider(scrapy.Spider):
    name = "releases"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # Validate before anything else runs: a typo in -a must not cost a crawl.
        self.options = RunOptions.parse(*args, **kwargs)
        super().__init__()
        self.profiles: dict[str, Profile] = {}
        #: Per source: mode, stop reason, failed pages, drift and traps, for the run summary.
        self.report: dict[str, dict[str, Any]] = {}
        self._visited: dict[str, set[str]] = {}
        self.tracker: distributed.RunTracker | None = None
        # One bound method per callback for the whole crawl: Scrapy inspects a callback's source
        # once per callable object (a weak cache), and a fresh bound method each request would
        # cost a source parse per page.
        self._on_listing, self._on_detail, self._on_error = (
            self.parse_listing, self.parse_detail, self.page_failed)

    @classmethod
    def from_crawler(cls, crawler, *args: Any, **kwargs: Any):
        spider = super().from_crawler(crawler, *args, **kwargs)
        settings = crawler.settings
        check_settings(settings)
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
        _polite_settings(settings, profiles)
        distributed.configure(settings)
        # Opening the ledger takes the run lock: a second run stops here, before any request.
        spider.ledger = Ledger.for_crawler(crawler)
        for name in spider.profiles:
            # Incremental stops are safe only once a walk of the whole listing has ended
            # cleanly: after a first run, a crash or a failed page, walk everything again.
            clean = spider.ledger.state.begin_walk(name, settings.get("PRESSBOT_RUN_ID"))
            incremental = clean and not opts.full
            spider.report[name] = {"mode": "incremental" if incremental else "full",
                                   "stop_reason": None, "errors": [], "drift": [], "traps": [],
                                   "known_streak": 0}
            spider._visited[name] = set()
        spider.tracker = None
        if settings.getbool("PRESSBOT_DISTRIBUTED"):
            spider.tracker = distributed.RunTracker(spider.ledger.state.redis,
                                                    settings.get("PRESSBOT_RUN_ID"))
        crawler.signals.connect(spider._request_scheduled, signal=signals.request_scheduled)
        crawler.signals.connect(spider._request_dropped, signal=signals.request_dropped)
        if spider.tracker is not None:
            # An item is owed until it is durable (the ledger's flush) or dropped.
            crawler.signals.connect(spider._item_dropped, signal=signals.item_dropped)
            spider.ledger.on_durable = lambda counts: [spider.tracker.add(s, -n)
                                                       for s, n in counts.items()]
        crawler.signals.connect(spider._item_error, signal=signals.item_error)
        return spider

    async def start(self):
        for profile in self.profiles.values():
            for url in profile.start_urls:
                self._track(profile.name, 1)
                yield self._listing_request(url, profile.name, 1)

    # --- listing pages ---------------------------------------------------------------------
    def _listing_request(self, url: str, source: str, page_no: int) -> scrapy.Request:
        self._visited[source].add(canonical_url(url))
        # Listing pages go first: the walk is sequential, release pages are not.
        return scrapy.Request(url, callback=self._on_listing, errback=self._on_error, priority=10,
                              cb_kwargs={"source": source, "page_no": page_no},
                              meta={"pressbot_source": source, "pressbot_page": "listing"})

    def parse_listing(self, response, source: str, page_no: int) -> list:
        outputs = list(self._listing_outputs(response, source, page_no))
        # Distributed: what this page produced is owed from now on, and the page is done, in
        # one count, so that a worker killed at any point leaves the run visibly unfinished.
        self._track(source, len(outputs) - 1)
        return outputs

    def _listing_outputs(self, response, source: str, page_no: int):
        profile = self.profiles[source]
        report = self.report[source]
        page = page_from_bytes(response.body, response.url,
                               getattr(response, "encoding", "utf-8"), profile.format,
                               ids=profile.uses_xpath_id)
        listing = parse_listing(page, response.url, profile)
        self._count(source, "pages")
        self._count(source, "entries", len(listing.entries))

        # An empty page after the first ends a template walk (that is how such archives end);
        # anywhere else, too few entries means the selectors no longer fit the site.
        end_of_template = (profile.pagination == "template" and page_no > 1
                           and not listing.entries)
        if not end_of_template:
            for problem in check_listing(listing, profile):
                self._count(source, "drift")
                report["drift"].append({"url": response.url, "problem": problem})
                self._track(source, 0, dirty=True)
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
        for entry, old, rid in zip(listing.entries, older, ids, strict=True):
            if old:
                continue
            if profile.follow_detail and rid and self._needs_detail(entry, profile, known.get(rid)):
                # Release pages may live on another host than the listing (a feed's links):
                # Scrapy's offsite filter would drop them silently; the safety guard still
                # checks every one.
                yield scrapy.Request(entry["url"], callback=self._on_detail,
                                     errback=self._on_error,
                                     cb_kwargs={"source": source, "entry": entry,
                                                "listing_url": response.url},
                                     meta={"pressbot_source": source, "pressbot_page": "detail",
                                           "allow_offsite": True})
            else:
                yield Release(source=source, listing_url=response.url, **entry)

        next_url = self._next_url(listing, profile, page_no)
        if report["drift"] and not listing.entries:
            self._stop(source, "drift")
        elif end_of_template:
            self._stop(source, "end of archive")
        elif caught_up:
            self._stop(source, "caught up")
        # Listings run newest first: once the page's last entry predates `since`, so does every
        # later page. (The last, not the first: a sticky post at the top may be old.)
        elif older and older[-1]:
            self._stop(source, "date limit")
        elif page_no >= profile.max_pages:
            self._stop(source, "page limit")
        elif self.options.max_pages and page_no >= self.options.max_pages:
            self._stop(source, "run page limit")
        elif next_url is None:
            self._stop(source, "end of archive")
        elif canonical_url(next_url) in self._visited[source]:
            self._trap(source, next_url, "pagination loops back to a page already read")
            self._stop(source, "end of archive")
        elif not self._on_site(next_url, profile):
            self._trap(source, next_url, "next page is on another site")
            self._stop(source, "end of archive")
        else:
            yield self._listing_request(next_url, source, page_no + 1)

    def _next_url(self, listing, profile: Profile, page_no: int) -> str | None:
        if profile.pagination == "template":
            n = profile.first + page_no * profile.step
            return urljoin(profile.base_url, profile.template.replace("{n}", str(n)))
        if profile.pagination == "pager":
            # A numbered pager: the first page link not read yet (pagers list pages in order).
            visited = self._visited[profile.name]
            return next((u for u in listing.next_urls if canonical_url(u) not in visited), None)
        return listing.next_urls[0] if listing.next_urls else None

    def _on_site(self, url: str, profile: Profile) -> bool:
        if not profile.allowed_domains:
            return urlsplit(url).scheme == urlsplit(profile.start_urls[0]).scheme
        host = (urlsplit(url).hostname or "").lower()
        return any(host == d or host.endswith("." + d) for d in profile.allowed_domains)

    # --- detail pages ----------------------------------------------------------------------
    def _needs_detail(self, entry: dict, profile: Profile, seen) -> bool:
        """Fetch a release page only for releases that are new or changed on the listing."""
        if seen is None:
            return True
        return seen.hash != content_hash(normalise(entry, profile))

    def parse_detail(self, response, source: str, entry: dict, listing_url: str):
        profile = self.profiles[source]
        page = page_from_bytes(response.body, response.url, getattr(response, "encoding", "utf-8"),
                               ids=profile.uses_xpath_id)
        found = parse_detail(page, response.url, profile)
        self._count(source, "detail_pages")
        merged = dict(entry)
        for key, value in found.items():
            # The listing's values stand; the page adds what the listing lacks.
            if value and not merged.get(key):
                merged[key] = value
        yield Release(source=source, listing_url=listing_url, **merged)

    # --- failures --------------------------------------------------------------------------
    def page_failed(self, failure):
        request = failure.request
        source = request.meta["pressbot_source"]
        outputs = self._failure_outputs(failure, request, source)
        self._track(source, len(outputs) - 1)
        return outputs

    def _failure_outputs(self, failure, request, source: str) -> list:
        kind = request.meta.get("pressbot_page", "listing")
        response = getattr(failure.value, "response", None)
        profile = self.profiles[source]
        if (kind == "listing" and response is not None and response.status == 404
                and profile.pagination == "template" and request.cb_kwargs.get("page_no", 1) > 1):
            self._stop(source, "end of archive")  # e.g. WordPress answers /page/N+1/ with 404
            return []
        if failure.check(IgnoreRequest, DownloadCancelledError) and response is None:
            # Refused by a guard (off-site, unsafe address, robots.txt, size cap): a trap.
            self._trap(source, request.url, failure.getErrorMessage() or "request refused")
            if kind == "listing":
                self._stop(source, "end of archive")
                return []
            # The release itself is good: keep what its listing entry says.
            entry = request.cb_kwargs["entry"]
            return [Release(source=source, listing_url=request.cb_kwargs["listing_url"],
                            **entry)]
        error = f"HTTP {response.status}" if response is not None else (
            failure.getErrorMessage() or failure.type.__name__)
        self._count(source, "failed_pages")
        self.report[source]["errors"].append({"url": request.url, "page": kind, "error": error})
        self._track(source, 0, dirty=True)
        self.logger.error("%s: %s page %s failed after retries: %s; its entries are not recorded "
                          "and the next run collects them", source, kind, request.url, error)
        if kind == "listing":
            self._stop(source, "error")
        return []

    def _request_scheduled(self, request, spider) -> None:
        # Scrapy's offsite filter drops a redirect off the site when it is scheduled, without
        # calling the errback: note it here so that it reaches the run summary.
        source = request.meta.get("pressbot_source")
        # (Release pages may live elsewhere: allow_offsite lets their redirects through too.)
        if source and request.meta.get("redirect_urls") and not request.meta.get("allow_offsite") \
                and not self._on_site(request.url, self.profiles[source]):
            self._trap(source, request.url,
                       f"redirected off the site from {request.meta['redirect_urls'][0]}")

    def _item_error(self, item, response, spider, failure) -> None:
        source = getattr(item, "source", None) or (item.get("source") if isinstance(item, dict)
                                                   else None)
        self.crawler.stats.inc_value("pressbot/internal_errors")
        if source in self.report:
            self._track(source, -1, dirty=True)
            self.report[source]["errors"].append(
                {"url": getattr(item, "url", None), "page": "item",
                 "error": f"{failure.type.__name__}: {failure.getErrorMessage()}"})

    def _request_dropped(self, request, spider) -> None:
        # A page asked for twice in a run (by two workers, or the same release on two listing
        # pages) is fetched once: the second request is done as it is dropped.
        source = request.meta.get("pressbot_source")
        if source in self.report:
            self._track(source, -1)

    def _item_dropped(self, item, response, exception, spider) -> None:
        source = getattr(item, "source", None)
        if source in self.report:
            self._track(source, -1)

    def _track(self, source: str, n: int, dirty: bool = False) -> None:
        """Distributed runs: count this worker's requests in and out, in Redis (RunTracker)."""
        if self.tracker is None:
            return
        if n:
            self.tracker.add(source, n)
        if dirty:
            self.tracker.dirty(source)

    def finished_walks(self, reason: str) -> dict[str, str]:
        """Sources whose walk ended cleanly, in a run that finished (so every request it made,
        detail pages included, is done); the ledger records them after its last flush. In a
        distributed run, the run's shared tracker answers for all workers."""
        if reason != "finished":
            return {}
        if self.tracker is not None:
            return self.tracker.finished(self.profiles)
        return {s: r["stop_reason"] for s, r in self.report.items()
                if r["stop_reason"] in outcome.CLEAN_STOPS and not r["errors"] and not r["drift"]}

    # --- helpers ---------------------------------------------------------------------------
    def _before_since(self, profile: Profile, raw: str | None) -> bool:
        if self.options.since is None:
            return False
        try:
            day = parse_date(raw, profile.date_formats, profile.date_languages, profile.date_order,
                             pattern=profile.date_pattern)
        except DateProblem:
            return False  # let the pipelines report it; never drop on a guess
        return day < self.options.since.isoformat()

    def _count(self, source: str, key: str, n: int = 1) -> None:
        self.crawler.stats.inc_value(f"pressbot/{key}", n)
        self.crawler.stats.inc_value(f"pressbot/source/{source}/{key}", n)

    def _trap(self, source: str, url: str, problem: str) -> None:
        self._count(source, "traps")
        self.report[source]["traps"].append({"url": url, "problem": problem})
        self.logger.warning("%s: not following %s: %s", source, url, problem)

    def _stop(self, source: str, reason: str) -> None:
        if self.tracker is not None:
            self.tracker.stopped(source, reason)
        if self.report[source]["stop_reason"] in (None, "end of archive") or reason == "error":
            self.report[source]["stop_reason"] = reason
        self.crawler.stats.set_value(f"pressbot/source/{source}/stop_reason",
                                     self.report[source]["stop_reason"])
        self.logger.info("%s: stopped walking the listing: %s", source, reason)


def _polite_settings(settings, profiles: list[Profile]) -> None:
    """Identity and throttling: AutoThrottle for real sites, full speed for local fixtures."""
    contact = settings.get("PRESSBOT_CONTACT_URL")
    if contact and settings.getpriority("USER_AGENT") <= settings.getpriority("BOT_NAME"):
        settings.set("USER_AGENT", f"pressbot/{__version__} (+{contact})", priority="spider")
    if all(is_local_url(u) for p in profiles for u in p.start_urls):
        settings.set("AUTOTHROTTLE_ENABLED", False, priority="spider")
