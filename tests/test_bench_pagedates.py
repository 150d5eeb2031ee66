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


def test_the_benchmark_reads_one_half_of_the_pages(tmp_path, capsys):
    # Pages 0, 2, 4 of the six, then 1, 3, 5: a rule made on one half is measured on the other.
    for half, files in (
        ("even", ["drupal-rdfa", "japanese", "german-text"]),
        ("odd", ["blogger", "wordpress-utc", "jsonld-graph"]),
    ):
        output = tmp_path / f"{half}.jsonl"
        assert main(["--dataset", str(FIXTURES / "pagedates"), "--half", half, "--output", str(output)]) == 0
        assert capsys.readouterr().out.startswith(f"3 pages ({FIXTURES / 'pagedates'}, the {half} half)")
        written = [json.loads(line)["file"] for line in output.read_text().splitlines()]
        assert written == [f"pages/{name}.html" for name in files]


def test_a_folder_without_expected_jsonl_is_a_one_line_error(tmp_path, capsys):
    assert main(["--dataset", str(tmp_path)]) == 64
    assert capsys.readouterr().err == f"bench.pagedates: error: {tmp_path / 'expected.jsonl'} not found\n"
