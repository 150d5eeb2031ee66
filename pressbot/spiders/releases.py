"""The one generic spider: Scrapy glue around the walk (pressbot.walk) and the run (pressbot.run).

No selectors and no policy here: a listing page is parsed (pressbot.parsing), its releases are
looked up in the ledger, and ``walk.step`` decides what to write, which release pages to fetch
and where to go next; the spider turns that into items and requests.
"""

from __future__ import annotations

from functools import partial
from typing import Any

import scrapy
from scrapy.exceptions import DownloadCancelledError, IgnoreRequest

from pressbot import walk
from pressbot.items import Release
from pressbot.normalise import read_listing_dates, with_page
from pressbot.options import RunOptions
from pressbot.parsing import EntryProblem, page_from_bytes, parse_detail, parse_listing
from pressbot.pdf import UNREADABLE_PDF, UnreadablePdf, is_pdf, parse_pdf
from pressbot.run import Run
from pressbot.structure import ends_whole, fingerprint, read_whole, same_template

#: Redirect statuses of release pages, handled by the spider (see _detail_request).
REDIRECTS = (301, 302, 303, 307, 308)
#: How many redirects to the same page written another way a release page may take.
MAX_DETAIL_HOPS = 3


class ReleasesSpider(scrapy.Spider):
    name = "releases"
    #: The crawl's run, opened in from_crawler (as Scrapy always builds spiders).
    run: Run
    allowed_domains: list[str]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # Validate before anything else runs: a typo in -a must not cost a crawl.
        self.options = RunOptions.parse(*args, **kwargs)
        super().__init__()
        # One bound method per callback for the whole crawl: Scrapy inspects a callback's source
        # once per callable object (a weak cache), and a fresh bound method each request would
        # cost a source parse per page.
        self._on_listing, self._on_detail, self._on_error = (
            self.parse_listing,
            self.parse_detail,
            self.page_failed,
        )

    @classmethod
    def from_crawler(cls, crawler, *args: Any, **kwargs: Any):
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.run = run = Run.open(crawler, spider.options)
        if all(p.allowed_domains for p in run.profiles.values()):
            spider.allowed_domains = sorted({d for p in run.profiles.values() for d in p.allowed_domains})
        return spider

    async def start(self):
        starts: list[tuple[str, str]] = []
        for profile in self.run.profiles.values():
            for url in profile.start_urls:
                if not walk.on_site(url, profile):
                    # Scrapy's offsite filter would drop it unseen: a walk that never starts.
                    self.run.walks[profile.name].end(walk.Stop.OFF_SITE)
                    domains = list(profile.allowed_domains)
                    problem = f"the start URL is not on the profile's allowed_domains {domains}"
                    self.run.stopped(profile.name, walk.Stop.OFF_SITE, url, problem)
                    continue
                starts.append((url, profile.name))
        requests = [self._listing_request(url, source, 1, start=True) for url, source in starts]
        # (Distributed, they go to the run's shared queue, in a round trip per 500 sources.)
        for request in self.run.share_starts(requests, self):
            yield request

    def closed(self, reason: str) -> None:
        self.run.close(reason)

    # --- listing pages ---------------------------------------------------------------------
    def _listing_request(self, url: str, source: str, page_no: int, start: bool = False) -> scrapy.Request:
        self.run.walks[source].ask(url)
        meta: dict[str, Any] = {"pressbot_source": source, "pressbot_page": "listing"}
        if start:  # a walk's first page (distributed, any worker may walk it: pressbot.frontier)
            meta["pressbot_start"] = True
        # Listing pages go first: the walk is sequential, release pages are not.
        return scrapy.Request(
            url,
            callback=self._on_listing,
            errback=self._on_error,
            priority=10,
            cb_kwargs={"source": source, "page_no": page_no},
            meta=meta,
        )

    def parse(self, response, **kwargs: Any) -> list:
        """``scrapy parse --spider=releases URL``: the page as a listing page of its source."""
        return self.parse_listing(response, **kwargs)

    def parse_listing(self, response, source: str | None = None, page_no: int = 1) -> list:
        run = self.run
        if source is None:  # a page from outside the walk (scrapy parse, the shell)
            source = run.walk_from(response.url)
        # No profile: the first page gives it (pressbot.discover), or the page it leads to.
        if source in run.pending:
            detected = run.detect(source, response.url, response.body, response.headers)
            if isinstance(detected, str):
                run.track(source, 0)
                return [self._listing_request(detected, source, 1)]
            if detected is None:
                run.track(source, -1)
                return []
        if page_no > 1 and source in run.detected:  # a detected "load more" may answer JSON
            run.later_pages(source, response.url, response.body)
        # (A profile whose later pages are JSON reads them with its [listing.json].)
        profile = run.profiles[source].for_page(page_no)
        state = run.walks[source]
        page = page_from_bytes(
            response.body,
            response.url,
            getattr(response, "encoding", "utf-8"),
            profile.format,
            ids=profile.uses_xpath_id,
        )
        listing = parse_listing(page, response.url, profile)
        run.count(source, "dates_out_of_order", read_listing_dates(listing, profile))
        run.count(source, "pages")
        # How far it got, for progress lines: the page, and the day of its last dated entry
        # (listings run newest first); not the entries (a thousand sources' pages are MBs).
        day = next((d for d in map(partial(walk.entry_day, profile), reversed(listing.entries)) if d), None)
        run.reached[source] = (page_no, day)
        run.count(source, "entries", len(listing.entries))
        if listing.problems:
            run.entry_problems(source, response.url, listing.problems)
        # What the walk needs to trust the page's end: was it read whole, and (for the first
        # page, and an empty one) what its template is made of.
        # (Only a template walk asks what its pages are made of: a thousand sources' first pages
        # are a millisecond of CPU and a few KB of memory each.)
        asks = profile.format == "html" and profile.pagination == "template"
        template = fingerprint(page.root) if asks and (page_no == 1 or not listing.entries) else None
        if page_no == 1 and state.first_page is None:
            state.first_page = template
        encoding = getattr(response, "encoding", None)
        if page_no == 1 and state.first_ends is None:
            state.first_ends = ends_whole(response.body, profile.format, encoding)
        whole = read_whole(
            response.body, profile.format, None if page_no == 1 else state.first_ends, encoding
        )
        # Look the page's releases up before yielding them: once yielded they become known.
        known = run.known([i for i in walk.entry_ids(profile, listing) if i])
        decided = walk.step(
            profile,
            state,
            listing,
            page_no,
            known,
            run.walk_options,
            whole=whole,
            template=template,
        )
        state.advance(decided)

        for problem in decided.drift:
            run.drift(source, response.url, problem)
        for trap in decided.traps:
            run.trap(source, trap)
        run.sighted(source, decided.listed, decided.unchanged)
        outputs: list = [self._detail_request(entry, source, response.url) for entry in decided.follow]
        outputs += [Release(source=source, listing_url=response.url, **entry) for entry in decided.emit]
        if decided.next_url is not None:
            outputs.append(self._listing_request(decided.next_url, source, page_no + 1))
        if decided.stop is not None:
            run.stopped(source, decided.stop, response.url, decided.problem)
        elif decided.problem is not None:
            run.short(source, response.url, decided.problem)  # it goes on, but cannot be complete
        # Distributed: what this page produced is owed from now on, and the page is done, in
        # one count, so that a worker killed at any point leaves the run visibly unfinished.
        run.track(source, len(outputs) - 1)
        return outputs

    # --- release pages ---------------------------------------------------------------------
    def _detail_request(
        self, entry: dict, source: str, listing_url: str | None, url: str | None = None, hops: int = 0
    ) -> scrapy.Request:
        # Release pages may live on another host than the listing (a feed's links): Scrapy's
        # offsite filter would drop them silently; the safety guard still checks every one.
        # Their redirects come here rather than to the redirect middleware: a release page that
        # redirects elsewhere (a maintenance page that thirty releases redirect to) must not
        # lend its text to the release, nor be dropped by the duplicate filter with it.
        return scrapy.Request(
            url or entry["url"],
            callback=self._on_detail,
            errback=self._on_error,
            dont_filter=hops > 0,
            cb_kwargs={"source": source, "entry": entry, "listing_url": listing_url},
            meta={
                "pressbot_source": source,
                "pressbot_page": "detail",
                "allow_offsite": True,
                "dont_redirect": True,
                "handle_httpstatus_list": list(REDIRECTS),
                "pressbot_hops": hops,
            },
        )

    def _keep_listing_values(self, source: str, entry: dict, listing_url: str | None, why: str) -> Release:
        """The release as its listing describes it, saying why its page added nothing."""
        return Release(source=source, listing_url=listing_url, detail_error=why, **entry)

    def parse_detail(
        self, response, source: str | None = None, entry: dict | None = None, listing_url: str | None = None
    ) -> list:
        if entry is None:  # a release page from outside the walk (scrapy parse -c parse_detail)
            source = source or self.run.source_of(response.url)
            entry = {"url": response.url}
        assert source is not None
        if response.status in REDIRECTS:
            return self._detail_redirect(response, source, entry, listing_url)
        profile = self.run.profiles[source]
        problems: list = []
        headers = response.headers
        if is_pdf(headers.get(b"Content-Type", b"").decode("latin-1"), response.body):
            try:
                found = parse_pdf(response.body, profile, problems)
            except UnreadablePdf as exc:
                return self._unreadable_pdf(response.url, source, entry, listing_url, str(exc))
        else:
            page = page_from_bytes(
                response.body, response.url, getattr(response, "encoding", "utf-8"), ids=profile.uses_xpath_id
            )
            found = parse_detail(
                page,
                response.url,
                profile,
                problems=problems,
                teaser=entry.get("summary"),
                content_language=headers.get(b"Content-Language", b"").decode("latin-1") or None,
                body=response.body,
            )
        self.run.count(source, "detail_pages")
        if problems:
            self.run.entry_problems(source, response.url, problems)
        return [Release(source=source, listing_url=listing_url, **with_page(entry, found))]

    def _unreadable_pdf(self, url: str, source: str, entry: dict, listing_url: str | None, why: str) -> list:
        """A PDF that cannot be read (broken, encrypted) is a release page that added nothing:
        reported in the summary's problems, not a failed page (the walk goes on, complete)."""
        why = f"the PDF could not be read: {why}"
        self.run.count(source, "detail_errors")
        self.run.entry_problems(source, url, [EntryProblem(None, None, UNREADABLE_PDF, why)])
        return [self._keep_listing_values(source, entry, listing_url, why)]

    def _detail_redirect(self, response, source: str, entry: dict, listing_url: str | None) -> list:
        location = response.headers.get(b"Location", b"").decode("latin-1").strip()
        target = walk.join_url(response.url, location)
        hops = response.meta.get("pressbot_hops", 0)
        if target and hops < MAX_DETAIL_HOPS and walk.same_page(target, entry["url"]):
            # The same page written another way (https, www., a trailing slash): follow it.
            return [self._detail_request(entry, source, listing_url, url=target, hops=hops + 1)]
        why = f"release page redirects elsewhere: {target or location or '(no Location)'}"
        self.run.detail_failed(source, response.url, why)
        return [self._keep_listing_values(source, entry, listing_url, why)]

    # --- failures --------------------------------------------------------------------------
    def page_failed(self, failure) -> list:
        run = self.run
        request = failure.request
        source = request.meta["pressbot_source"]
        kind = request.meta.get("pressbot_page", "listing")
        response = getattr(failure.value, "response", None)
        profile = run.profiles[source]
        page_no = request.cb_kwargs.get("page_no", 1)
        decided = walk.after_failure(
            profile,
            kind,
            request.url,
            page_no,
            status=response.status if response is not None else None,
            refused=bool(failure.check(IgnoreRequest, DownloadCancelledError)),
            message=failure.getErrorMessage() or failure.type.__name__,
            end_page=(
                kind == "listing" and response is not None and self._listing_end(response, source, page_no)
            ),
            walk=run.walks[source],
        )
        if decided.trap is not None:
            run.trap(source, decided.trap)
        if decided.error is not None:
            # A page that failed after redirects is reported under the URL the walk asked for.
            asked = (request.meta.get("redirect_urls") or [request.url])[0]
            run.page_failed(source, kind, asked, decided.error, failed=decided.failed)
        if decided.stop is not None:
            run.walks[source].end(decided.stop)
            run.stopped(source, decided.stop, request.url)
        outputs: list = []
        if decided.next_url is not None:  # a 404 that looks like the end: the page after confirms
            run.walks[source].suspected_end = decided.suspected_end
            outputs.append(self._listing_request(decided.next_url, source, page_no + 1))
        if decided.detail_error is not None:
            cb = request.cb_kwargs
            outputs.append(
                self._keep_listing_values(source, cb["entry"], cb["listing_url"], decided.detail_error)
            )
        run.track(source, len(outputs) - 1)
        return outputs

    def _listing_end(self, response, source: str, page_no: int) -> bool:
        """Whether a template walk's failed page (a 404) is the listing's own page with no
        entries, read whole: the archive's end, as WordPress answers past its last page."""
        profile = self.run.profiles[source].for_page(page_no)
        if profile.pagination != "template" or page_no <= 1 or profile.format != "html":
            return False
        body = response.body or b""
        page = page_from_bytes(body, response.url, getattr(response, "encoding", "utf-8"), "html")
        state = self.run.walks[source]
        if parse_listing(page, response.url, profile).entries or not read_whole(
            body, "html", state.first_ends
        ):
            return False
        return same_template(fingerprint(page.root), self.run.walks[source].first_page)
