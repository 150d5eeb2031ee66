"""The benchmark's targets, and whether the figures meet them."""

from __future__ import annotations

from typing import Any

from bench.crawl import NEW_RELEASES

TARGET_SPEED_RATIO = 1.1
TARGET_RSS_GROWTH = 1.2
#: Listing pages an incremental run reads past those with new releases: the page where it is
#: caught up, and PRESSBOT_OVERLAP_PAGES (1 by default) more.
_CAUGHT_UP_AND_OVERLAP = 2
#: An unchanged site: the first page is known, then the overlap.
TARGET_INCREMENTAL_PAGES = _CAUGHT_UP_AND_OVERLAP
#: After +NEW_RELEASES (one page of them): that page, then as above.
TARGET_PUBLISH_PAGES = 1 + _CAUGHT_UP_AND_OVERLAP
TARGET_INCREMENTAL_VS_ONE_PAGE = 1.5
TARGET_PARSER_VS_LXML = 0.5


def check_targets(results: dict[str, Any]) -> list[dict[str, Any]]:
    """Each target with the measured value, its limit and whether it holds."""
    checked = []
    sizes = results["sizes"]
    for listing_pages, size in sizes.items():
        ratio = size["ratio_pages_per_s"]["median"]
        checked.append(
            {
                "target": f"N={listing_pages}: pressbot pages/s >= {TARGET_SPEED_RATIO}x baseline",
                "value": ratio,
                "limit": TARGET_SPEED_RATIO,
                "holds": ratio is not None and ratio >= TARGET_SPEED_RATIO,
            }
        )
    if len(sizes) >= 2:
        smallest, largest = min(sizes, key=int), max(sizes, key=int)
        growth = (
            sizes[largest]["pressbot"]["peak_rss_mb"]["median"]
            / sizes[smallest]["pressbot"]["peak_rss_mb"]["median"]
        )
        checked.append(
            {
                "target": f"pressbot peak RSS at N={largest} <= {TARGET_RSS_GROWTH}x N={smallest}",
                "value": growth,
                "limit": TARGET_RSS_GROWTH,
                "holds": growth <= TARGET_RSS_GROWTH,
            }
        )
    for listing_pages, size in sizes.items():
        pages = max(
            size["incremental_unchanged"]["pages"]["max"],
            size["incremental_unchanged"]["summary_pages"]["max"],
        )
        checked.append(
            {
                "target": f"N={listing_pages}: incremental run (unchanged site) fetches "
                f"<= {TARGET_INCREMENTAL_PAGES} listing pages",
                "value": pages,
                "limit": TARGET_INCREMENTAL_PAGES,
                "holds": pages <= TARGET_INCREMENTAL_PAGES,
            }
        )
        ratio = size["ratio_incremental_one_page"]["median"]
        checked.append(
            {
                "target": f"N={listing_pages}: incremental run <= "
                f"{TARGET_INCREMENTAL_VS_ONE_PAGE}x Scrapy start + one page",
                "value": ratio,
                "limit": TARGET_INCREMENTAL_VS_ONE_PAGE,
                "holds": ratio <= TARGET_INCREMENTAL_VS_ONE_PAGE,
            }
        )
        pages = size["incremental_after_publish"]["pages"]["max"]
        checked.append(
            {
                "target": f"N={listing_pages}: incremental run after +{NEW_RELEASES} "
                f"releases fetches <= {TARGET_PUBLISH_PAGES} listing pages",
                "value": pages,
                "limit": TARGET_PUBLISH_PAGES,
                "holds": pages <= TARGET_PUBLISH_PAGES,
            }
        )
    if "parse" in results:
        ratio = results["parse"]["ratio_pressbot_lxml"]["median"]
        checked.append(
            {
                "target": f"parser >= {TARGET_PARSER_VS_LXML:.0%} of lxml.html.fromstring",
                "value": ratio,
                "limit": TARGET_PARSER_VS_LXML,
                "holds": ratio >= TARGET_PARSER_VS_LXML,
            }
        )
    return checked
