"""Smoke test of the benchmark (bench/): every measurement at a tiny size, end to end.

Structure and counts only: no timing is asserted (timings belong to `python -m bench`).
"""

from __future__ import annotations

import json

import pytest

from bench.__main__ import main
from bench.crawl import NEW_RELEASES
from bench.settings import RELEASES_PER_PAGE
from bench.table import format_table
from pressbot.devserver import redis_binary

#: Real `scrapy crawl` processes and servers: the slow loop (README).
pytestmark = pytest.mark.integration

N = 3


def test_benchmark_runs_end_to_end_at_a_tiny_size(tmp_path, capsys):
    out = tmp_path / "results" / "latest.json"
    assert (
        main(
            [
                "--sizes",
                str(N),
                "--repeats",
                "1",
                "--json",
                str(out),
                "--workdir",
                str(tmp_path / "work"),
                "--server-seconds",
                "0.2",
                "--parse-seconds",
                "0.05",
                "--distributed-size",
                str(N),
                "--distributed-workers",
                "1,2",  # (README's `bench --quick` runs the default 1, 2 and 4)
                "--redis-fill",
                "1000",
            ]
        )
        == 0
    )
    printed = capsys.readouterr().out
    results = json.loads(out.read_text(encoding="utf-8"))

    assert set(results) >= {
        "machine",
        "settings",
        "server",
        "sizes",
        "parse",
        "targets",
        "distributed",
        "duration_s",
    }
    assert results["settings"]["REMOTE_CONTROL_ENABLED"] == "False"
    assert results["server"]["requests"] > 0
    fig = results["sizes"][str(N)]
    assert fig["listing_pages"] == N and fig["releases"] == N * RELEASES_PER_PAGE
    for who in ("baseline", "pressbot"):
        for key in ("wall_s", "pages_per_s", "items_per_s", "peak_rss_mb"):
            stat = fig[who][key]
            assert set(stat) == {"median", "min", "max", "runs"}
            assert len(stat["runs"]) == 1 and stat["median"] > 0
        assert fig[who]["items"]["runs"] == [N * RELEASES_PER_PAGE]
        assert fig[who]["pages"]["runs"] == [N]
    for key in ("ratio_pages_per_s", "ratio_peak_rss", "ratio_incremental_one_page"):
        assert len(fig[key]["runs"]) == 1

    unchanged = fig["incremental_unchanged"]
    assert unchanged["written"]["runs"] == [0]
    assert unchanged["pages"]["runs"] == unchanged["summary_pages"]["runs"]
    assert fig["one_page_scrapy"]["pages"]["runs"] == [1]
    assert fig["one_page_scrapy"]["items"]["runs"] == [RELEASES_PER_PAGE]
    published = fig["incremental_after_publish"]
    assert published["written"]["runs"] == [NEW_RELEASES]
    assert published["items"]["runs"] == [NEW_RELEASES]

    parse = results["parse"]
    for key in (
        "pressbot_entries_per_s",
        "lxml_entries_per_s",
        "baseline_parsel_entries_per_s",
        "ratio_pressbot_lxml",
    ):
        assert len(parse[key]["runs"]) >= 3
    for target in results["targets"]:
        assert set(target) == {"target", "value", "limit", "holds"}
    assert len(results["targets"]) == 5  # one size: no memory-growth target

    dist = results["distributed"]
    if redis_binary() is None:  # the section says why it was skipped, and the rest still runs
        assert "redis-server" in dist["skipped"]
    else:
        assert dist["listing_pages"] == N and dist["releases"] == N * RELEASES_PER_PAGE
        assert list(dist["workers"]) == ["1", "2"]
        for w, fig in dist["workers"].items():
            assert fig["exactly_once"] and fig["pages_fetched_once"], w
            assert fig["distinct_ids"]["runs"] == [N * RELEASES_PER_PAGE]
            assert fig["ids_twice"]["runs"] == [0]
            assert fig["pages"]["runs"] == [N + N * RELEASES_PER_PAGE]
            assert len(fig["per_worker"]) == int(w)
            assert sum(v["items"]["median"] for v in fig["per_worker"].values()) == N * RELEASES_PER_PAGE
            assert all(v["peak_rss_mb"]["median"] > 0 for v in fig["per_worker"].values())
        assert dist["reference"]["complete"]
        redis = dist["redis_memory"]
        assert redis["last_run"]["hash_entries"] == N * RELEASES_PER_PAGE
        assert redis["hash_bytes_per_release"]["median"] > 0
        assert redis["fill"]["entries"] == 1000
        assert all(set(c) == {"check", "passed"} for c in dist["checks"])

    table = format_table(results)
    assert table in printed
    assert "pressbot: full crawl wall time" in table and "Targets" in table
    if "workers" in dist:
        assert "Distributed checks" in table and "[PASS] 2 worker(s): union" in table


def test_distributed_section_is_skipped_without_redis_server(tmp_path, monkeypatch):
    import bench.distributed as dist

    monkeypatch.setattr(dist, "redis_binary", lambda: None)
    fig = dist.bench_distributed(None, N, 1, tmp_path, log=lambda msg: None)
    assert "no redis-server" in fig["skipped"] and "pip install -e '.[test]'" in fig["skipped"]
    assert dist.text_lines(fig) == [f"Distributed section skipped: {fig['skipped']}"]
