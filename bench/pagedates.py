"""The release-page date benchmark: pressbot's chain (pressbot.pagedates) beside htmldate on saved pages.

python -m bench.pagedates --dataset PATH [--limit N] [--half even|odd] [--output chain.jsonl] [-v]

PATH holds ``expected.jsonl`` (one line a page: ``{"file": "pages/NNNN.html", "url": …,
"expected": "YYYY-MM-DD"}``, as ../shared/datasets/detail-dates/ does) and the pages. Both
readers get the same bytes and URL; the figures are scored by the dataset's own rules (its
``score.py``): right day / pages, a date returned / pages, a wrong day / pages, right /
returned. A page whose annotation is not a date (NaN) has no right answer: any date is wrong.
``--half even`` (or ``odd``) reads only the pages at even (odd) positions of ``expected.jsonl``:
a rule made while looking at one half is measured on the other.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from pressbot import pagedates
from pressbot.parsing import page_from_bytes

#: A page's cost is the CPU time this process spends on it: on a machine shared with other
#: work, wall time measures the neighbours too.
_clock = time.process_time

#: The issue's targets (issue 13): right day on at least 92% of pages, a wrong day on at most 4%.
TARGET_RIGHT, TARGET_WRONG = 0.92, 0.04


@dataclass
class Page:
    file: str
    url: str | None
    expected: str | None  # None: the annotation is not a date
    body: bytes


@dataclass
class Reader:
    name: str
    days: list[str | None] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)
    sources: list[str | None] = field(default_factory=list)

    def score(self, pages: list[Page]) -> dict[str, float]:
        right = sum(1 for p, d in zip(pages, self.days, strict=True) if d and d[:10] == p.expected)
        returned = sum(1 for d in self.days if d)
        n = len(pages) or 1
        return {
            "right": right / n,
            "coverage": returned / n,
            "wrong": (returned - right) / n,
            "precision": right / returned if returned else 0.0,
        }

    def cost(self) -> tuple[float, float, float]:
        """Milliseconds a page: median, mean, 95th percentile."""
        ms = sorted(s * 1000 for s in self.seconds) or [0.0]
        return statistics.median(ms), statistics.fmean(ms), ms[min(len(ms) - 1, int(len(ms) * 0.95))]


def load(dataset: Path, limit: int | None = None, half: str | None = None) -> list[Page]:
    pages = []
    with (dataset / "expected.jsonl").open(encoding="utf-8") as lines:
        for index, line in enumerate(line for line in lines if line.strip()):
            if half is not None and index % 2 != (half == "odd"):
                continue
            row = json.loads(line)  # (NaN, where a person found no date, reads as a float)
            expected = row.get("expected")
            pages.append(
                Page(
                    row["file"],
                    row.get("url"),
                    expected if isinstance(expected, str) else None,
                    (dataset / row["file"]).read_bytes(),
                )
            )
            if limit and len(pages) >= limit:
                break
    return pages


def run_chain(pages: list[Page]) -> tuple[Reader, list[float]]:
    """pressbot's chain on each page, parsed once as the crawl parses it; the parse is timed
    apart (the crawl parses every release page anyway, for its other fields)."""
    chain, parses = Reader("pressbot (pressbot.pagedates)"), []
    for page in pages:
        encoding = pagedates._declared_encoding(page.body)
        start = _clock()
        root = page_from_bytes(page.body, page.url or "", encoding, ids=False).root
        parsed = _clock()
        found = pagedates.tree_date(root, page.url, body=page.body)
        done = _clock()
        parses.append(parsed - start)
        chain.seconds.append(done - parsed)
        chain.days.append(found.day)
        chain.sources.append(found.source)
    return chain, parses


def run_htmldate(pages: list[Page]) -> Reader:
    from htmldate import __version__, find_date

    reader = Reader(f"htmldate {__version__} find_date(original_date=True)")
    for page in pages:
        start = _clock()
        try:
            day = find_date(page.body, url=page.url, original_date=True, extensive_search=True)
        except Exception:  # one page's failure is no date
            day = None
        reader.seconds.append(_clock() - start)
        reader.days.append(str(day) if day else None)
    return reader


def _warm_up(pages: list[Page]) -> None:
    """Both readers over every page once, untimed: imports, tables built once per process and
    dateparser's languages (htmldate loads one the first time a page needs it) are no page's
    cost."""
    run_chain(pages)
    run_htmldate(pages)


def report(
    dataset: Path,
    pages: list[Page],
    chain: Reader,
    parses: list[float],
    other: Reader,
    half: str | None = None,
) -> str:
    lines = [f"{len(pages)} pages ({dataset}{f', the {half} half' if half else ''})", ""]
    lines.append("| reader | right day | a date | wrong day | precision | CPU ms a page: median, mean, p95 |")
    lines.append("|---|---|---|---|---|---|")
    for reader in (chain, other):
        s, (median, mean, p95) = reader.score(pages), reader.cost()
        lines.append(
            f"| {reader.name} | {s['right']:.3f} | {s['coverage']:.3f} | {s['wrong']:.3f} | "
            f"{s['precision']:.3f} | {median:.2f}, {mean:.2f}, {p95:.2f} |"
        )
    s = chain.score(pages)
    verdict = "met" if s["right"] >= TARGET_RIGHT and s["wrong"] <= TARGET_WRONG else "NOT met"
    lines += [
        "",
        f"targets: right day >= {TARGET_RIGHT:.2f}, wrong day <= {TARGET_WRONG:.2f}: {verdict} "
        f"(pressbot {s['right']:.3f}, {s['wrong']:.3f})",
        "",
        "pressbot by date_source: pages, right, wrong, CPU ms a page (median, mean)",
    ]
    for source in (pagedates.PAGE_METADATA, pagedates.PAGE_TEXT, None):
        rows = [i for i, src in enumerate(chain.sources) if src == source]
        right = sum(1 for i in rows if chain.days[i] and chain.days[i] == pages[i].expected)
        wrong = sum(1 for i in rows if chain.days[i]) - right
        ms = [chain.seconds[i] * 1000 for i in rows] or [0.0]
        lines.append(
            f"  {source or 'no date':<14} {len(rows):>5} {right:>5} {wrong:>5}   "
            f"{statistics.median(ms):.2f}, {statistics.fmean(ms):.2f}"
        )
    parse_ms = sorted(p * 1000 for p in parses) or [0.0]
    lines += [
        "",
        f"parsing the page with lxml (once; the crawl does it for every release page anyway), CPU: "
        f"median {statistics.median(parse_ms):.2f} ms, mean {statistics.fmean(parse_ms):.2f} ms",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.pagedates",
        description="pressbot's release-page date chain beside htmldate, on saved pages with known dates",
    )
    parser.add_argument(
        "--dataset", required=True, type=Path, help="folder with expected.jsonl and the pages"
    )
    parser.add_argument("--limit", type=int, default=None, help="only the first N pages")
    parser.add_argument(
        "--half", choices=("even", "odd"), help="only the pages at even (odd) positions of expected.jsonl"
    )
    parser.add_argument("--output", type=Path, help="write the chain's dates here, in score.py's format")
    parser.add_argument("-v", "--verbose", action="store_true", help="list the pages the chain gets wrong")
    args = parser.parse_args(argv)
    if not (args.dataset / "expected.jsonl").is_file():
        print(f"bench.pagedates: error: {args.dataset / 'expected.jsonl'} not found", file=sys.stderr)
        return 64
    pages = load(args.dataset, args.limit, args.half)
    if not pages:
        print(f"bench.pagedates: error: no pages in {args.dataset / 'expected.jsonl'}", file=sys.stderr)
        return 64
    _warm_up(pages)
    chain, parses = run_chain(pages)
    other = run_htmldate(pages)
    print(report(args.dataset, pages, chain, parses, other, args.half))
    if args.verbose:
        for page, day, source in zip(pages, chain.days, chain.sources, strict=True):
            if day != page.expected:
                what = "none " if day is None else "wrong"
                print(f"{what} {page.file}: {day} ({source}), expected {page.expected}")
    if args.output:
        with args.output.open("w", encoding="utf-8") as out:
            for page, day in zip(pages, chain.days, strict=True):
                out.write(json.dumps({"file": page.file, "published": day}) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
