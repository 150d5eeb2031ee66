"""The in-process hot-path measurement (bench/hotpath.py) runs, and counts what it times.

No timing is asserted (timings belong to `python -m bench.hotpath`)."""

from __future__ import annotations

from bench.hotpath import hot_path, main
from bench.settings import RELEASES_PER_PAGE


def test_hot_path_times_every_release_of_every_page():
    figures = hot_path(pages=3)
    assert figures["releases"] == 3 * RELEASES_PER_PAGE
    parts = [figures[f"{n}_us_per_release"] for n in ("normalise", "validate", "deduplicate", "write")]
    assert all(p > 0 for p in parts) and figures["spider_us_per_page"] > 0
    assert abs(sum(parts) - figures["pipelines_us_per_release"]) < 1e-6


def test_hot_path_prints_its_table(capsys):
    assert main(["--pages", "2", "--runs", "1"]) == 0
    out = capsys.readouterr().out
    assert "spider callback, per listing page" in out and "the four pipelines, per release" in out
