"""`scrapy genprofile URL`: write the profile pressbot finds on a listing page (or on the press
room a home page links to) as a commented TOML file, with a report of what it matched."""

from __future__ import annotations

import sys
from pathlib import Path
from urllib.parse import urljoin, urlsplit

from scrapy.commands import ScrapyCommand
from scrapy.exceptions import UsageError
from w3lib.encoding import html_body_declared_encoding

from pressbot import discover, outcome, pressroom
from pressbot.genprofile import report, to_toml
from pressbot.inspect import read_page
from pressbot.profiles import ProfileError, load_profile

#: How many of a home page's press room links are tried, best first.
PRESSROOM_TRIES = 3


class Command(ScrapyCommand):
    requires_project = True
    requires_crawler_process = False
    default_settings = {"LOG_ENABLED": False}

    def syntax(self) -> str:
        return "[-o FILE] [--force] [--url URL] URL_OR_FILE"

    def short_desc(self) -> str:
        return "Write the profile pressbot detects on a listing page (or a home page's press room)"

    def add_options(self, parser) -> None:
        super().add_options(parser)
        parser.add_argument("-o", "--output", metavar="FILE", help="write the profile here (default: stdout)")
        parser.add_argument("--force", action="store_true", help="overwrite FILE if it exists")
        parser.add_argument(
            "--url", help="the URL a saved page was fetched from (its links resolve against it)"
        )

    def run(self, args, opts) -> None:
        if len(args) != 1:
            raise UsageError("give one page: an http(s) URL or a saved file")
        settings = self.settings
        assert settings is not None  # (requires_project)
        target = Path(opts.output) if opts.output else None
        if target is not None and target.exists() and not opts.force:
            self._fail(outcome.BAD_CONFIG, f"{target} exists: give --force to overwrite it")
            return
        agent = settings.get("USER_AGENT")
        try:
            body, url, encoding = read_page(args[0], agent)
        except (OSError, ValueError) as exc:
            self._fail(outcome.BAD_CONFIG, f"cannot read {args[0]}: {exc}")
            return
        url = opts.url or url
        headers = {"Content-Type": f"text/html; charset={encoding}"} if encoding else None
        found = _look(body, url, headers)
        why: list[str] = []
        if not found.sure and not found.article and url.startswith(("http://", "https://")):
            found, body, why = _pressroom(found, body, url, encoding, agent)
        out = sys.stderr if target is None else sys.stdout
        two = _page_two(found, body, agent) if found.sure and found.profile is not None else None
        print(report(found, body, why), file=out, end="")
        if two:
            print(two, file=out)
        if not found.sure or found.profile is None:
            self._fail(
                outcome.NOT_A_LISTING, f"no listing detected on {found.url}: {found.reason}; nothing written"
            )
            return
        command = "scrapy genprofile " + found.url
        text = to_toml(found, command, page=why[-1] if why else None)
        if target is None:
            sys.stdout.write(text)
            return
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
        try:
            load_profile(target)
        except ProfileError as exc:  # never: to_toml checks it reads back; said if it does
            self._fail(outcome.INTERNAL_ERROR, f"the profile written does not load: {exc}")
            return
        print(
            f"wrote {target} (name {found.profile['name']}); next: scrapy crawl releases -a profile={target}",
            file=out,
        )

    def _fail(self, code: int, message: str) -> None:
        print(f"pressbot: error: {message}", file=sys.stderr)
        self.exitcode = code


def _page_two(found: discover.Discovery, body: bytes, agent: str) -> str | None:
    """Read the page after the first as the profile would, and say what it gives; one that
    answers JSON (a "load more" endpoint) adds the ``[listing.json]`` table that reads it."""
    assert found.profile is not None
    if found.profile["listing"].get("format", "html") != "html":
        return None
    _, next_urls = discover.releases(discover.load(found.profile), body, found.url)
    if not next_urls:
        return None
    try:
        two, url, _ = read_page(next_urls[0], agent)
    except (OSError, ValueError) as exc:
        return f"page 2     {next_urls[0]}: cannot read it ({exc})"
    if discover.looks_like_json(two):
        table = discover.json_listing(two)
        if table is None:
            return f"page 2     {url} answers JSON with no array of items with titles and links"
        found.profile = discover.with_json_pages(found.profile, table)
        found.notes["pagination"] = "a load-more endpoint whose pages answer JSON ([listing.json])"
    records, _ = discover.releases(discover.load(found.profile).for_page(2), two, url)
    return f"page 2     {url}: {len(records)} releases"


def _same_site(url: str, given: str) -> bool:
    host = (urlsplit(url).hostname or "").removeprefix("www.")
    site = (urlsplit(given).hostname or "").removeprefix("www.")
    return bool(host) and (host == site or host.endswith("." + site) or site.endswith("." + host))


def _look(body: bytes, url: str, headers) -> discover.Discovery:
    if discover.looks_like_feed(body):
        return discover.discover_feed(body, url)
    return discover.discover(body, url, headers)


def _pressroom(found, body: bytes, url: str, encoding: str | None, agent: str):
    """A page that is no listing (a home page): try the press room links it gives, best
    first, then the feeds it advertises; the first listing wins."""
    rooms = pressroom.find(body, url, encoding or html_body_declared_encoding(body) or "utf-8")
    why = [f"{url} is not a listing ({found.reason})"]
    tries = [(r.url, f"{r.why} (score {r.score:g})") for r in rooms[:PRESSROOM_TRIES]]
    tries += [(feed, "the page advertises it as its feed") for feed in found.feeds[:2]]
    if not tries:
        sitemap = urljoin(url, "/sitemap.xml")
        try:
            listed, _, _ = read_page(sitemap, agent)
        except (OSError, ValueError):
            listed = b""
        tries = [(r.url, r.why) for r in pressroom.from_sitemap(listed, sitemap)[:PRESSROOM_TRIES]]
    # Only pages of the site given: a page's links are not where the user said to go.
    tries = [(u, r) for u, r in tries if _same_site(u, url)]
    if not tries:
        why.append(
            "and it links to no page whose text or path says news, press or media, advertises no "
            "feed, and its /sitemap.xml lists none"
        )
        return found, body, why
    for there_url, reason in tries:
        try:
            there_body, fetched, there_encoding = read_page(there_url, agent)
        except (OSError, ValueError) as exc:
            why.append(f"tried {there_url}: cannot read it: {exc}")
            continue
        headers = {"Content-Type": f"text/html; charset={there_encoding}"} if there_encoding else None
        there = _look(there_body, fetched, headers)
        if there.sure:
            why.append(f"chose {fetched}: {reason}, and it is a listing")
            return there, there_body, why
        why.append(f"tried {there_url} ({reason}): not a listing ({there.reason})")
    return found, body, why
