"""Smoke test of the release-page date benchmark (bench/pagedates.py) on the bundled pages.

It runs and prints its table; no accuracy or timing is asserted (those are the benchmark's to
print, on ../shared/datasets/detail-dates/).
"""

from __future__ import annotations

import json

from bench.pagedates import main
from tests.conftest import FIXTURES


def test_the_benchmark_prints_both_readers_on_the_same_pages(tmp_path, capsys):
    output = tmp_path / "chain.jsonl"
    assert main(["--dataset", str(FIXTURES / "pagedates"), "--output", str(output)]) == 0
    printed = capsys.readouterr().out
    assert printed.startswith("6 pages (")
    header = "| reader | right day | a date | wrong day | precision | CPU ms a page: median, mean, p95 |"
    assert header in printed
    rows = [line for line in printed.splitlines() if line.startswith("| ") and "reader" not in line]
    assert len(rows) == 2
    assert rows[0].startswith("| pressbot (pressbot.pagedates) | ") and rows[1].startswith("| htmldate ")
    assert "targets: right day >= 0.92, wrong day <= 0.04:" in printed
    assert "pressbot by date_source" in printed and "parsing the page with lxml" in printed
    # The chain's dates, one line a page, in the shared scorer's format.
    lines = [json.loads(line) for line in output.read_text().splitlines()]
    assert [sorted(line) for line in lines] == [["file", "published"]] * 6


def test_a_folder_without_expected_jsonl_is_a_one_line_error(tmp_path, capsys):
    assert main(["--dataset", str(tmp_path)]) == 64
    assert capsys.readouterr().err == f"bench.pagedates: error: {tmp_path / 'expected.jsonl'} not found\n"
