"""Smoke test of the many-sources benchmark (bench/many.py) at a tiny size, end to end.

Counts and checks only: no timing is asserted (timings belong to `python -m bench.many`).
"""

from __future__ import annotations

import json

import pytest

from bench.many import RUNS, main, write_profiles
from bench.many_server import ManySite, address
from pressbot.devserver import redis_binary
from pressbot.profiles import load_profile

pytestmark = pytest.mark.integration


def test_many_sources_benchmark_runs_end_to_end(tmp_path, capsys):
    # Two workers share one frontier (README's smoke run, tests/test_readme.py, runs one).
    workers = "2" if redis_binary() else ""
    out = tmp_path / "many.json"
    args = ["--sources", "4", "--small", "2", "--workers", workers, "--workdir", str(tmp_path / "w")]
    assert main([*args, "--json", str(out)]) == 0
    results = json.loads(out.read_text(encoding="utf-8"))
    rows = results["summary"]["rows"]
    expected = {"solo-2", "solo-4"} | ({"workers2-4"} if workers else set())
    assert set(rows) == expected
    for key, row in rows.items():
        assert row["checks_ok"], key
        sources = int(key.rsplit("-", 1)[1])
        assert row["first.items"] == sources * 40 and row["hourly.items"] == 0
        assert row["one-percent.items"] == 1
        assert row["first.pages"] == sources * 2  # two listing pages a source, each once
    for case in results["repeats"][0].values():
        assert (
            case["union"]["exactly_once"] and case["union"]["releases"] == case["first"]["sources"] * 40 + 1
        )
        for run in RUNS:
            assert case[run]["hosts"] == case[run]["sources"]  # each source its own host
            # Each walk is one worker's (pressbot.frontier): one robots.txt a host in all.
            assert case[run]["robots"] == case[run]["sources"], (run, case[run]["workers"])
    printed = capsys.readouterr().out
    assert "Targets" in printed and "every release exactly once, every case" in printed


def test_every_source_is_its_own_host_with_a_profile_that_loads(tmp_path):
    names = write_profiles(tmp_path, 3, 8123)
    profiles = [load_profile(tmp_path / f"{n}.toml") for n in names]
    assert [p.start_urls[0] for p in profiles] == [
        f"http://{address(i)}:8123/synthetic/news/index.html" for i in range(3)
    ]
    assert len({address(i) for i in range(1000)}) == 1000


def test_one_source_publishing_changes_only_its_own_pages():
    site = ManySite(40)
    before = site.get("127.1.0.1", "/synthetic/news/index.html")
    site.control("publish", "hosts=127.1.0.2&n=1")
    assert site.get("127.1.0.1", "/synthetic/news/index.html") == before
    assert site.get("127.1.0.2", "/synthetic/news/index.html") != before
    assert site.control("stats", "")[0]["published_hosts"] == 1
