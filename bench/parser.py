"""The parser measurement: pressbot's listing parser alone, beside parsel and the lxml floor.

One saved listing page (bytes) is parsed in a loop by each in turn, in entries/s.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from bench.settings import RELEASES_PER_PAGE, SYNTHETIC_PROFILE
from bench.stats import summarize


def parse_throughput(seconds: float = 1.0, rounds: int = 3) -> dict[str, Any]:
    """Entries/s of pressbot's listing parser (parsel page from bytes + parse_listing, as the
    spider does), of the baseline's parsel extraction, and of bare ``lxml.html.fromstring`` on
    the same bytes (entries/s equivalent: 20 per parse), over one synthetic page in a loop."""
    import lxml.html
    from parsel import Selector

    from bench.baseline import extract_entries
    from pressbot.parsing import page_from_bytes, parse_listing
    from pressbot.profiles import load_profile
    from pressbot.synthetic import SyntheticSite

    site_url = "http://127.0.0.1:8000"
    site = SyntheticSite(100 * RELEASES_PER_PAGE)
    body = site.listing(2)
    url = f"{site_url}/synthetic/news/page-2.html"
    profile = load_profile(str(SYNTHETIC_PROFILE), site_url)
    # False here: as the spider does, no table of id attributes.
    with_id_table = profile.uses_xpath_id
    pressbot_entries = len(parse_listing(page_from_bytes(body, url, ids=with_id_table), url, profile).entries)
    baseline_entries = len(list(extract_entries(Selector(body=body, type="html"), str)))
    if pressbot_entries != RELEASES_PER_PAGE or baseline_entries != RELEASES_PER_PAGE:
        raise RuntimeError(
            f"parsers found {pressbot_entries} / {baseline_entries} entries, not {RELEASES_PER_PAGE}"
        )

    def pressbot_parse() -> None:
        parse_listing(page_from_bytes(body, url, ids=with_id_table), url, profile)

    def lxml_floor() -> None:
        lxml.html.fromstring(body)

    def baseline_parse() -> None:
        for _ in extract_entries(Selector(body=body, base_url=url, type="html"), lambda href: href):
            pass

    entries_per_s: dict[str, list[float]] = {"pressbot": [], "lxml": [], "baseline_parsel": []}
    parsers: dict[str, Callable[[], None]] = {
        "pressbot": pressbot_parse,
        "lxml": lxml_floor,
        "baseline_parsel": baseline_parse,
    }
    for parse in parsers.values():
        parse()  # warm caches (compiled XPath, imports)
    # The three take turns in each round, so a noisy second slows all of them alike.
    for _ in range(rounds):
        for name, parse in parsers.items():
            entries_per_s[name].append(RELEASES_PER_PAGE / _seconds_per_call(parse, seconds))
    ratios = [
        pressbot / floor
        for pressbot, floor in zip(entries_per_s["pressbot"], entries_per_s["lxml"], strict=True)
    ]
    return {
        "page_bytes": len(body),
        "entries_per_page": RELEASES_PER_PAGE,
        "seconds_per_round": seconds,
        "pressbot_entries_per_s": summarize(entries_per_s["pressbot"]),
        "lxml_entries_per_s": summarize(entries_per_s["lxml"]),
        "baseline_parsel_entries_per_s": summarize(entries_per_s["baseline_parsel"]),
        "ratio_pressbot_lxml": summarize(ratios),
    }


def _seconds_per_call(call: Callable[[], None], seconds: float) -> float:
    """Call ``call`` for at least ``seconds``; the mean time a call took."""
    calls, started = 0, time.perf_counter()
    deadline = started + seconds
    while True:
        call()
        calls += 1
        now = time.perf_counter()
        if now >= deadline:
            return (now - started) / calls
