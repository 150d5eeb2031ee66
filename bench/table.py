"""The plain-text table ``python -m bench`` prints from the figures.

Median, min and max of the runs, then the server, the distributed section's notes and checks,
the targets and the machine.
"""

from __future__ import annotations

from typing import Any

from bench.distributed import table_rows as distributed_table_rows
from bench.distributed import text_lines as distributed_text_lines


def format_number(value: Any, digits: int = 2) -> str:
    """``value`` with thousands separators and ``digits`` decimals; ints as they are, None "-"."""
    if value is None:
        return "-"
    if isinstance(value, float) and value.is_integer() and digits == 0:
        return f"{int(value)}"
    if isinstance(value, int):
        return str(value)
    return f"{value:,.{digits}f}"


class StatTable:
    """Sections of rows (label, median, min, max, unit), each under a heading row."""

    def __init__(self) -> None:
        self.rows: list[tuple[str, str, str, str, str]] = []

    def add_heading(self, label: str) -> None:
        self.rows.append((label, "median", "min", "max", ""))

    def add_stat(self, label: str, stat: dict[str, Any] | None, unit: str = "", digits: int = 2) -> None:
        """One figure's median, min and max; nothing when it was not measured."""
        if stat is None:
            return
        self.rows.append(
            (
                label,
                format_number(stat["median"], digits),
                format_number(stat["min"], digits),
                format_number(stat["max"], digits),
                unit,
            )
        )

    def lines(self) -> list[str]:
        """The rows in aligned columns, a blank line before each heading."""
        widths = [max(len(row[column]) for row in self.rows) for column in range(5)]
        lines = []
        for label, median, low, high, unit in self.rows:
            if not label.startswith("  "):
                lines.append("")
            lines.append(
                f"{label:<{widths[0]}}  {median:>{widths[1]}}  {low:>{widths[2]}}  "
                f"{high:>{widths[3]}}  {unit}".rstrip()
            )
        return lines


def format_table(results: dict[str, Any]) -> str:
    """The figures as a plain-text table: median (min..max) of the runs."""
    table = StatTable()
    for listing_pages, size in results["sizes"].items():
        table.add_heading(
            f"N = {listing_pages} listing pages, {size['releases']} releases ({size['repeats']} runs)"
        )
        for who in ("baseline", "pressbot"):
            crawl = size[who]
            table.add_stat(f"  {who}: full crawl wall time", crawl["wall_s"], "s")
            table.add_stat(f"  {who}: pages/s (wall)", crawl["pages_per_s"], "pages/s", 1)
            table.add_stat(f"  {who}: items/s (wall)", crawl["items_per_s"], "items/s", 0)
            table.add_stat(
                f"  {who}: pages/s (Scrapy elapsed, no start-up)", crawl["crawl_pages_per_s"], "pages/s", 1
            )
            table.add_stat(f"  {who}: peak RSS", crawl["peak_rss_mb"], "MB", 1)
            table.add_stat(f"  {who}: CPU time (user+sys)", crawl["cpu_s"], "s")
            table.add_stat(f"  {who}: items written", crawl["items"], "", 0)
        table.add_stat("  ratio pressbot/baseline: pages/s (wall)", size["ratio_pages_per_s"], "x", 3)
        table.add_stat(
            "  ratio pressbot/baseline: pages/s (elapsed)", size["ratio_crawl_pages_per_s"], "x", 3
        )
        table.add_stat("  ratio pressbot/baseline: peak RSS", size["ratio_peak_rss"], "x", 3)
        table.add_stat("  ratio pressbot/baseline: CPU time", size["ratio_cpu_s"], "x", 3)
        unchanged = size["incremental_unchanged"]
        table.add_stat("  incremental, unchanged site: listing pages (server)", unchanged["pages"], "", 0)
        table.add_stat(
            "  incremental, unchanged site: pages (runs/latest.json)", unchanged["summary_pages"], "", 0
        )
        table.add_stat("  incremental, unchanged site: wall time", unchanged["wall_s"], "s")
        table.add_stat(
            "  Scrapy start + fetch one page (baseline): wall time", size["one_page_scrapy"]["wall_s"], "s"
        )
        table.add_stat("  ratio incremental / one-page start", size["ratio_incremental_one_page"], "x", 3)
        after_publish = size["incremental_after_publish"]
        published = size["published"]
        table.add_stat(
            f"  incremental after +{published} releases: listing pages", after_publish["pages"], "", 0
        )
        table.add_stat(f"  incremental after +{published} releases: written", after_publish["written"], "", 0)
        table.add_stat(f"  incremental after +{published} releases: wall time", after_publish["wall_s"], "s")
    distributed = results.get("distributed")
    if distributed and "workers" in distributed:
        distributed_table_rows(distributed, table.add_stat, table.add_heading)
    if "parse" in results:
        parse = results["parse"]
        table.add_heading(
            f"Parser, one {parse['page_bytes'] // 1024} KB page, "
            f"{parse['entries_per_page']} entries, in a loop"
        )
        table.add_stat(
            "  pressbot page_from_bytes + parse_listing", parse["pressbot_entries_per_s"], "entries/s", 0
        )
        table.add_stat(
            "  baseline parsel css extraction", parse["baseline_parsel_entries_per_s"], "entries/s", 0
        )
        table.add_stat("  lxml.html.fromstring alone (floor)", parse["lxml_entries_per_s"], "entries/s", 0)
        table.add_stat("  ratio pressbot/lxml", parse["ratio_pressbot_lxml"], "x", 3)
    lines = table.lines()
    server = results.get("server")
    if server:
        lines += [
            "",
            f"Server (bench/server.py, own process): {server['requests_per_s']:,.0f} "
            f"listing pages/s with {server['clients']} keep-alive clients = "
            f"{format_number(server.get('times_fastest_crawl'), 1)}x the fastest "
            f"crawl; {server['latency_ms_median']:.2f} ms median round trip; "
            f"{server['server_cpu_ms_per_request']:.3f} ms server CPU a page",
        ]
    if distributed:
        lines += ["", *distributed_text_lines(distributed)]
    if results.get("targets"):
        lines += ["", "Targets"]
        for target in results["targets"]:
            lines.append(
                f"  [{'ok' if target['holds'] else 'MISSED'}] {target['target']}: "
                f"{format_number(target['value'], 3)}"
            )
    machine = results["machine"]
    lines += [
        "",
        f"Machine: {machine['cpus']} CPUs ({machine['cpu']}), {machine['memory_mb']} "
        f"MB, {machine['platform']}; Python {machine['python']}, Scrapy "
        f"{machine['scrapy']}, Twisted {machine['twisted']}, parsel "
        f"{machine['parsel']}, lxml {machine['lxml']}",
    ]
    if "load_average_end" in machine:
        lines.append(
            f"Load average (1, 5, 15 min) at start "
            f"{', '.join(f'{load:.2f}' for load in machine['load_average_start'])}, "
            f"at end "
            f"{', '.join(f'{load:.2f}' for load in machine['load_average_end'])}"
        )
    if "duration_s" in results:
        lines.append(f"Benchmark took {results['duration_s']:.0f} s")
    return "\n".join(lines).lstrip("\n")
