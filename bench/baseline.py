"""The baseline: what a competent user writes instead of pressbot, for the synthetic press room.

The profile's selectors (fixtures/synthetic/synthetic.toml) through parsel, the same next link,
plain dicts, JSON Lines through Scrapy's feed export. No pipelines, no state, no validation.

    cd "$(mktemp -d)" && scrapy runspider /path/to/bench/baseline.py \
        -a start_url=http://127.0.0.1:PORT/synthetic/news/index.html -O out.jsonl

Run it from a folder without scrapy.cfg so pressbot's settings (pipelines, extensions) are not
loaded; the benchmark does, and checks the log says no item pipeline was enabled.
``-a max_pages=1`` stops after the first page (Scrapy's cost to start and fetch one page).
"""

from __future__ import annotations

import scrapy


def extract_entries(sel, urljoin):
    """The profile's fields, through parsel: entry, title, url, published, summary."""
    for entry in sel.css("div.news-list article.teaser"):
        yield {
            "title": entry.css("h2.title a::text").get(),
            "url": urljoin(entry.css("h2.title a::attr(href)").get()),
            "published_raw": entry.css("span.date::text").get(),
            "summary": "\n\n".join(entry.css("div.teaser-body p::text").getall()),
        }


class BaselineSpider(scrapy.Spider):
    name = "baseline"

    def __init__(self, start_url: str, max_pages: str = "0", *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.start_urls = [start_url]
        self.max_pages = int(max_pages)
        self.pages = 0

    def parse(self, response):
        self.pages += 1
        for entry in extract_entries(response, response.urljoin):
            entry["listing_url"] = response.url
            yield entry
        if self.max_pages and self.pages >= self.max_pages:
            return
        next_page = response.css("nav.pager a[rel=next]::attr(href)").get()
        if next_page:
            yield response.follow(next_page, self.parse)
