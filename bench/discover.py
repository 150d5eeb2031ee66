"""The zero-configuration detector measured: pressbot.discover over real saved listing pages
(a dataset folder with ground truth and its scorer) and over the shipped fixture sites' cases.

    python -m bench.discover --dataset /work/shared/datasets/listings [--json out.json] [-v]

For each page: detect (timed), validate the profile, extract the releases as a crawl writes
them (pressbot.discover.releases), and score them with the dataset's own scorer (its
score_listing.py: precision, recall, title exact, date right); the fixture cases are scored
the same way against their hand-checked expected.json. Prints a line a page and pooled figures.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pressbot import discover
from pressbot.cases import case_names, load_case
from pressbot.profiles import FIXTURES_DIR, ProfileError

COLUMNS = ("page", "truth", "out", "match", "prec", "recall", "title", "date", "ms", "first ms", "sure")


def _scorer(dataset: Path):
    spec = importlib.util.spec_from_file_location("score_listing", dataset / "score_listing.py")
    if spec is None or spec.loader is None:
        raise SystemExit(f"no score_listing.py in {dataset}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def detect(body: bytes, url: str) -> tuple[discover.Discovery, list[dict[str, Any]], float, str | None]:
    """Detect, time it, and extract: (discovery, records, milliseconds, problem)."""
    started = time.perf_counter()
    discover.discover(body, url)  # the first look pays for the page's languages once
    cold = (time.perf_counter() - started) * 1000
    started = time.perf_counter()
    found = discover.discover(body, url)
    ms = (time.perf_counter() - started) * 1000
    found.notes["cold_ms"] = f"{cold:.0f}"
    if not found.sure or found.profile is None:
        return found, [], ms, found.reason
    try:
        profile = discover.load(found.profile)
    except ProfileError as exc:
        return found, [], ms, f"profile does not validate: {exc}"
    records, _ = discover.releases(profile, body, url)
    return found, records, ms, None


def entries(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Records as the scorer reads them."""
    return [{"url": r["url"], "title": r["title"], "published": r["published"]} for r in records]


def scored(
    body: bytes, url: str, score: Callable[[list[dict[str, Any]]], dict[str, Any]], verbose: bool
) -> dict[str, Any]:
    """One page detected, extracted and scored (``score`` takes its entries): a row of a table."""
    found, records, ms, problem = detect(body, url)
    row = score(entries(records))
    row.update(
        ms=ms,
        cold_ms=float(found.notes["cold_ms"]),
        sure=found.sure,
        problem=problem,
        reason=found.reason,
    )
    if verbose:
        _explain(row, found)
    return row


def dataset_rows(dataset: Path, verbose: bool, slugs: list[str] | None = None) -> list[dict[str, Any]]:
    scorer = _scorer(dataset)
    manifest = json.loads((dataset / "manifest.json").read_text(encoding="utf-8"))
    rows = []
    for page in manifest["pages"]:
        slug = page["slug"]
        if slugs and slug not in slugs:
            continue
        body = (dataset / "listings" / f"{slug}.html").read_bytes()
        rows.append(scored(body, page["url"], lambda out, slug=slug: scorer.score(slug, out), verbose))
    return rows


class _Truth:
    """The fixture cases in the scorer's shape: truth lines from expected.json's records."""

    def __init__(self, scorer) -> None:
        self.scorer = scorer

    def score(self, name: str, truth: list[dict], out: list[dict]) -> dict[str, Any]:
        original = self.scorer.truth_of
        self.scorer.truth_of = lambda _slug: truth
        try:
            return self.scorer.score(name, out)
        finally:
            self.scorer.truth_of = original

    def of(self, name: str, truth: list[dict]) -> Callable[[list[dict[str, Any]]], dict[str, Any]]:
        """A ``score`` for :func:`scored`: entries against this truth."""
        return lambda out: self.score(name, truth, out)


def fixture_rows(dataset: Path, verbose: bool) -> list[dict[str, Any]]:
    truth = _Truth(_scorer(dataset))
    rows = []
    for name in case_names():
        case = load_case(name)
        if case.kind != "listing" or case.profile().format != "html":
            continue
        expected = case.expected()["records"]
        lines = [
            {
                "url": r["url"],
                "title": r["title"],
                "title_raw": r["title"],
                "published": r["published"],
                "date_text": r.get("published_raw") or "",
            }
            for r in expected
        ]
        rows.append(scored(case.body(), case.url, truth.of(name, lines), verbose))
    return rows


def harbourside_rows(dataset: Path, verbose: bool) -> list[dict[str, Any]]:
    """The zero-configuration fixture press room (fixtures/discover), page by page."""
    truth = _Truth(_scorer(dataset))
    folder = FIXTURES_DIR / "discover"
    expected = json.loads((folder / "expected.json").read_text(encoding="utf-8"))["releases"]
    base = "https://harbourside.example/discover/"
    rows = []
    for name, path, lines in (
        ("harbourside-page-1", "press/index.html", expected[:5]),
        ("harbourside-page-2", "press/page-2.html", expected[5:]),
    ):
        wanted = [
            {"url": base + p, "title": t, "title_raw": t, "published": day, "date_text": raw}
            for p, t, raw, day in lines
        ]
        url = base + path.replace("index.html", "")
        rows.append(scored((folder / path).read_bytes(), url, truth.of(name, wanted), verbose))
    return rows


#: Whole fixture sites crawled with no profile: (name, start path under fixtures/, truth).
SITES = (
    ("amnesty-ca", "amnesty-ca/news/index.html", "cases:amnesty-ca-page-"),
    ("wp-news", "wp-news/category/press-releases/", "wp-news/expected.json"),
    ("drupal-views", "drupal-views/news", "drupal-views/expected.json"),
    ("gouv-fr", "gouv-fr/fr/communiques/index.html", "gouv-fr/expected.json"),
    ("gov-pdf", "gov-pdf/media/releases/", "gov-pdf/expected.json"),
    ("mixed-newsroom", "mixed-newsroom/news/index.html", "mixed-newsroom/expected.json"),
    ("feed-newsroom", "feed-newsroom/feed", "feed-newsroom/expected.json"),
    ("harbourside (press room)", "discover/press/", "discover"),
    ("harbourside (home page)", "discover/", "discover"),
)


def _site_truth(spec: str, origin: str) -> list[dict[str, Any]]:
    if spec.startswith("cases:"):
        seen: dict[str, dict] = {}
        for name in case_names():
            if name.startswith(spec[6:]):
                for r in load_case(name).expected()["records"]:
                    path = r["url"].split("fixtures.invalid", 1)[1]
                    seen.setdefault(
                        path, {"url": origin + path, "title": r["title"], "published": r["published"]}
                    )
        return list(seen.values())
    if spec == "discover":
        rows = json.loads((FIXTURES_DIR / "discover" / "expected.json").read_text(encoding="utf-8"))[
            "releases"
        ]
        return [{"url": f"{origin}/discover/{p}", "title": t, "published": day} for p, t, _, day in rows]
    rows = json.loads((FIXTURES_DIR / spec).read_text(encoding="utf-8"))
    return [
        {
            "url": r["path"] if r["path"].startswith("http") else origin + r["path"],
            "title": r["title"],
            "published": r["published"],
        }
        for r in rows
    ]


def site_rows(dataset: Path) -> list[dict[str, Any]]:
    """Each fixture site crawled whole by a real `scrapy crawl releases -a url=START` over
    HTTP on 127.0.0.1, with no profile, scored against the site's hand-checked releases."""
    import subprocess
    import tempfile

    from pressbot.devserver import FixtureServer

    truth = _Truth(_scorer(dataset))
    server = FixtureServer(FIXTURES_DIR).start()
    rows = []
    try:
        for name, start, spec in SITES:
            wanted = [{**w, "title_raw": w["title"], "date_text": ""} for w in _site_truth(spec, server.url)]
            with tempfile.TemporaryDirectory() as tmp:
                server.hits.clear()
                started = time.perf_counter()
                proc = subprocess.run(
                    [
                        sys.executable,
                        "-m",
                        "scrapy",
                        "crawl",
                        "releases",
                        "-a",
                        f"url={server.url}/{start}",
                        "-s",
                        f"PRESSBOT_OUTPUT={tmp}/out.jsonl",
                        "-s",
                        f"PRESSBOT_STATE={tmp}/state.sqlite3",
                        "-s",
                        f"PRESSBOT_RUNS_DIR={tmp}/runs",
                        "-s",
                        "LOG_LEVEL=WARNING",
                    ],  # fmt: skip
                    cwd=Path(__file__).resolve().parent.parent,
                    capture_output=True,
                    text=True,
                    timeout=300,
                )
                seconds = time.perf_counter() - started
                out_file = Path(tmp) / "out.jsonl"
                records = (
                    [json.loads(line) for line in out_file.read_text(encoding="utf-8").splitlines()]
                    if out_file.exists()
                    else []
                )
            row = truth.score(name, wanted, entries(records))
            row.update(
                ms=seconds * 1000,
                cold_ms=0.0,
                sure=proc.returncode == 0,
                exit=proc.returncode,
                pages=len(server.hits),
            )
            rows.append(row)
    finally:
        server.stop()
    return rows


def site_table(rows: list[dict[str, Any]]) -> str:
    cols = ("site", "truth", "out", "match", "prec", "recall", "title", "date", "exit", "requests", "s")
    lines = ["## fixture sites crawled whole with no profile (`scrapy crawl releases -a url=START`)", "",
             "| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]  # fmt: skip
    for r in rows:
        values = [
            r["slug"],
            r["truth"],
            r["output"],
            r["matched"],
            r["precision"],
            r["recall"],
            r["title_exact"],
            r["date_accuracy"],
            r["exit"],
            r["pages"],
            f"{r['ms'] / 1000:.1f}",
        ]  # noqa: E501
        lines.append("| " + " | ".join(_fmt(v) for v in values) + " |")
    p = pooled(rows)
    lines.append(
        f"\npooled over {p['pages']} sites ({p['truth']} releases): precision {_fmt(p['precision'])}, "
        f"recall {_fmt(p['recall'])}, title exact {_fmt(p['title_exact'])}, "
        f"date right {_fmt(p['date_accuracy'])}, duplicates {p['duplicates']}"
    )
    return "\n".join(lines)


def _explain(row: dict[str, Any], found: discover.Discovery) -> None:
    print(f"--- {row['slug']}: {found.reason}", file=sys.stderr)
    if found.profile:
        print(json.dumps(found.profile["listing"], ensure_ascii=False), file=sys.stderr)
        if "dates" in found.profile:
            print(json.dumps(found.profile["dates"], ensure_ascii=False)[:300], file=sys.stderr)
    for key in ("unmatched_output", "missed", "wrong_titles", "wrong_dates"):
        if row.get(key):
            print(f"  {key}: {row[key][:4]}", file=sys.stderr)
    print(f"  candidates: {found.candidates[:5]}", file=sys.stderr)


def pooled(rows: list[dict[str, Any]]) -> dict[str, Any]:
    t = {
        c: sum(r[c] for r in rows)
        for c in ("truth", "output", "matched", "titles_exact", "dated", "dates_right")
    }

    def ratio(a: str, b: str) -> float | None:
        return round(t[a] / t[b], 3) if t[b] else None

    times = sorted(r["ms"] for r in rows)
    return {
        "pages": len(rows),
        **{c: t[c] for c in ("truth", "output", "matched")},
        "precision": ratio("matched", "output"),
        "recall": ratio("matched", "truth"),
        "title_exact": ratio("titles_exact", "matched"),
        "date_accuracy": ratio("dates_right", "dated"),
        "duplicates": sum(len(r.get("duplicate_output") or []) for r in rows),
        "refused": sum(1 for r in rows if not r["sure"]),
        "ms_median": round(times[len(times) // 2], 1) if times else None,
        "ms_max": round(times[-1], 1) if times else None,
    }


def _fmt(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.3f}" if value <= 1.0 else f"{value:.0f}"
    return str(value)


def table(title: str, rows: list[dict[str, Any]]) -> str:
    lines = [f"## {title}", "", "| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    for r in rows:
        values = [
            r["slug"], r["truth"], r["output"], r["matched"], r["precision"], r["recall"],
            r["title_exact"], r["date_accuracy"], r["ms"], r["cold_ms"], "yes" if r["sure"] else "no",
        ]  # fmt: skip
        lines.append("| " + " | ".join(_fmt(v) for v in values) + " |")
    p = pooled(rows)
    lines.append(
        f"\npooled over {p['pages']} pages ({p['truth']} entries): precision {_fmt(p['precision'])}, "
        f"recall {_fmt(p['recall'])}, title exact {_fmt(p['title_exact'])}, date right "
        f"{_fmt(p['date_accuracy'])}, duplicates {p['duplicates']}, refused {p['refused']}; "
        f"detection {p['ms_median']} ms median, {p['ms_max']} ms at most"
    )
    return "\n".join(lines)


def warm_up() -> None:
    """Imports, the date patterns' compilation and dateparser's English: what the first page a
    process looks at pays once (about a second here), left out of the per-page times."""
    page = "".join(
        f'<li><a href="/news/release-number-{i}">A release with a title of words {i}</a>'
        f"<span>{i} March 2024</span></li>"
        for i in range(1, 6)
    )
    discover.discover(f"<html><body><ul>{page}</ul></body></html>".encode(), "https://example.invalid/news")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.discover", description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--dataset", type=Path, required=True, help="folder with manifest.json, listings/, score_listing.py"
    )
    parser.add_argument("--json", type=Path, help="write every page's figures here")
    parser.add_argument("-v", "--verbose", action="store_true", help="explain each page on stderr")
    parser.add_argument("--no-fixtures", action="store_true", help="leave out the fixture sites' cases")
    parser.add_argument("--slug", action="append", help="only this page of the dataset (again for more)")
    parser.add_argument(
        "--sites",
        action="store_true",
        help="also crawl each fixture site whole with no profile (real scrapy processes)",
    )
    args = parser.parse_args(argv)
    warm_up()
    rows = dataset_rows(args.dataset, args.verbose, args.slug)
    print(table(f"{args.dataset} (real saved pages)", rows))
    fixtures = (
        []
        if args.no_fixtures
        else fixture_rows(args.dataset, args.verbose) + harbourside_rows(args.dataset, args.verbose)
    )
    if fixtures:
        print()
        print(table("fixture sites (fixtures/cases' HTML listings, fixtures/discover)", fixtures))
        print()
        p = pooled(rows + fixtures)
        print(
            f"all {p['pages']} pages: precision {_fmt(p['precision'])}, recall {_fmt(p['recall'])}, "
            f"title exact {_fmt(p['title_exact'])}, date right {_fmt(p['date_accuracy'])}"
        )
    sites = site_rows(args.dataset) if args.sites else []
    if sites:
        print()
        print(site_table(sites))
    if args.json:
        figures = {"dataset": rows, "fixtures": fixtures, "sites": sites}
        args.json.write_text(json.dumps(figures, indent=1, ensure_ascii=False, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
