"""Each item pipeline built directly with its collaborators: a real ledger on SQLite, no crawl."""

from __future__ import annotations

import random
import time

import pytest
from scrapy.exceptions import DropItem, NotConfigured
from scrapy.utils.test import get_crawler

from pressbot.items import Release
from pressbot.ledger import Ledger
from pressbot.pipelines import (
    DeduplicatePipeline,
    NormalisePipeline,
    ValidatePipeline,
    WritePipeline,
    run_key,
)
from pressbot.profiles import load_sources
from pressbot.state import SQLiteState
from tests.conftest import FIXTURES, open_crawler, read_jsonl

PROFILES = {p.name: p for p in load_sources("amnesty-ca", "https://press.example.org")}
URL = "https://press.example.org/amnesty-ca/news/a.html"


@pytest.fixture
def stats():
    return get_crawler().stats


@pytest.fixture
def ledger(tmp_path):
    ledger = Ledger(SQLiteState(tmp_path / "state.sqlite3"), tmp_path / "out.jsonl")
    yield ledger
    ledger.close()


def release(**fields) -> Release:
    values = {
        "source": "amnesty-ca",
        "url": URL,
        "title": "  A   title ",
        "published_raw": "July 15, 2020",
        "listing_url": URL,
        **fields,
    }
    return Release(**values)


def normalised(stats, **fields) -> Release:
    return NormalisePipeline(stats, PROFILES).process_item(release(**fields))


def test_normalise_cleans_text_dates_and_gives_the_stable_id(stats):
    item = normalised(stats, summary="One\n  para.\n\n\nTwo.")
    # (A summary keeps its lines and paragraphs: the spider's text already has its layout.)
    assert (item.title, item.published, item.summary) == ("A title", "2020-07-15", "One\npara.\n\nTwo.")
    assert item.id and len(item.id) == 20 and item.crawled_at.endswith("Z")
    assert normalised(stats).id == item.id


def test_crawled_at_is_the_second_each_release_is_normalised_in(stats, monkeypatch):
    pipe = NormalisePipeline(stats, PROFILES)
    clock = [1_800_000_000.2]
    monkeypatch.setattr(time, "time", lambda: clock[0])
    stamps = []
    for step in (0, 0.7, 0.2, 3600, 0):
        clock[0] += step
        stamps.append(pipe.process_item(release()).crawled_at)
    assert stamps == ["2027-01-15T08:00:00Z"] * 2 + ["2027-01-15T08:00:01Z"] + ["2027-01-15T09:00:01Z"] * 2


def test_normalise_never_guesses_a_date_and_counts_it(stats):
    pipe = NormalisePipeline(stats, PROFILES)
    item = pipe.process_item(release(published_raw="Someday in July"))
    assert item.published is None and item.date_problem
    pipe.close_spider()
    assert stats.get_value("pressbot/source/amnesty-ca/date_problems") == 1


@pytest.mark.parametrize("missing", ["url", "title", "published_raw"])
def test_validate_drops_an_entry_missing_a_required_field(stats, missing):
    item = normalised(stats, **{missing: None})
    pipe = ValidatePipeline(stats)
    with pytest.raises(DropItem, match=f"missing {missing if missing != 'url' else 'id, url'}"):
        pipe.process_item(item)
    pipe.close_spider()
    assert stats.get_value("pressbot/dropped") == 1
    assert stats.get_value(f"pressbot/source/amnesty-ca/dropped/missing_{missing}") == 1


def test_validate_passes_a_whole_entry(stats):
    item = normalised(stats)
    assert ValidatePipeline(stats).process_item(item) is item


def test_deduplicate_numbers_new_changed_and_drops_known(stats, ledger):
    dedup, write = DeduplicatePipeline(stats, ledger), WritePipeline(stats, ledger)
    first = dedup.process_item(normalised(stats))
    assert first.revision == 1
    write.process_item(first)
    dedup.close_spider()
    # The next runs: the same release as it was, then changed.
    dedup = DeduplicatePipeline(stats, ledger)
    with pytest.raises(DropItem, match="duplicate"):
        dedup.process_item(normalised(stats))
    dedup.close_spider()
    dedup = DeduplicatePipeline(stats, ledger)
    changed = dedup.process_item(normalised(stats, title="A better title"))
    assert changed.revision == 2 and changed.id == first.id
    dedup.close_spider()
    assert stats.get_value("pressbot/new") == 1
    assert stats.get_value("pressbot/duplicates") == 1
    assert stats.get_value("pressbot/revised") == 1


def test_write_appends_then_the_release_is_known(stats, ledger):
    write = WritePipeline(stats, ledger)
    item = DeduplicatePipeline(stats, ledger).process_item(normalised(stats))
    write.process_item(item)
    write.close_spider()  # flushes: on disk, then in the state
    [line] = read_jsonl(ledger.output)
    assert line["id"] == item.id and line["title"] == "A title"
    assert ledger.state.lookup([item.id])[item.id].revision == 1
    assert stats.get_value("pressbot/written") == 1


def test_a_failing_last_write_is_an_internal_error_not_a_clean_run(stats, tmp_path):
    ledger = Ledger(SQLiteState(tmp_path / "state.sqlite3"), tmp_path / "out.jsonl")
    write = WritePipeline(stats, ledger)
    write.process_item(DeduplicatePipeline(stats, ledger).process_item(normalised(stats)))
    ledger._broken = "the disk is gone"  # what a write that could not be cut back leaves
    write.close_spider()
    assert stats.get_value("pressbot/internal_errors") == 1
    assert read_jsonl(ledger.output) == []
    with pytest.raises(OSError, match="the disk is gone"):
        ledger.close()  # still queued: closing tries once more, and says so


@pytest.mark.parametrize(
    "pipeline", [NormalisePipeline, ValidatePipeline, DeduplicatePipeline, WritePipeline]
)
def test_pipelines_stand_aside_outside_a_pressbot_run(pipeline):
    # scrapy shell, scrapy fetch or another spider: no run, no ledger opened, no lock taken.
    with pytest.raises(NotConfigured):
        pipeline.from_crawler(get_crawler())


def test_a_release_seen_twice_in_a_run_is_one_observation(stats, ledger):
    dedup, write = DeduplicatePipeline(stats, ledger), WritePipeline(stats, ledger)
    featured = dedup.process_item(normalised(stats, title="Featured: A title"))
    write.process_item(featured)
    with pytest.raises(DropItem, match="seen already in this run"):
        dedup.process_item(normalised(stats))  # its own entry, other text: no revision
    write.close_spider()
    # The next run sees the same two: the first is known as it is, the second is this run's twin.
    dedup = DeduplicatePipeline(stats, ledger)
    with pytest.raises(DropItem, match="duplicate"):
        dedup.process_item(normalised(stats, title="Featured: A title"))
    with pytest.raises(DropItem, match="seen already in this run"):
        dedup.process_item(normalised(stats))
    assert [r["revision"] for r in read_jsonl(ledger.output)] == [1]


@pytest.mark.parametrize("rid", ["0123456789abcdef0123", "00000000000000000000", "ffffffffffffffffffff"])
def test_the_run_keeps_our_ids_as_the_numbers_they_spell(rid):
    assert run_key(rid) == int(rid, 16)


@pytest.mark.parametrize(
    "rid",
    [
        "0123456789ABCDEF0123",  # int() reads upper case, signs, "_" and spaces too: not ours
        "0123456789abcdef012_",
        "0000000000_000000000",
        "+0000000000000000000",
        " 000000000000000000 ",
        "0123456789abcdef01234",
        "zzzzzzzzzzzzzzzzzzzz",
        "",
    ],
)
def test_the_run_keeps_any_other_id_as_it_is(rid):
    assert run_key(rid) == rid


def test_no_two_ids_share_a_key():
    rnd = random.Random(3)
    ids = {
        "".join(rnd.choice("0123456789abcdefABCDEF_+- x") for _ in range(rnd.choice((19, 20, 21))))
        for _ in range(20000)
    }
    ids |= {f"{rnd.getrandbits(80):020x}" for _ in range(20000)}
    assert len({run_key(i) for i in ids}) == len(ids)


def test_ids_that_spell_one_number_differently_are_different_releases(stats, ledger):
    dedup = DeduplicatePipeline(stats, ledger)
    for rid in (
        "0123456789abcdef0123",
        "0123456789ABCDEF0123",
        "00123456789abcdef012",
        "0123456789abcdef0123",
    ):
        item = normalised(stats, url=f"{URL}?{rid}")
        item.id = rid
        if rid == "0123456789abcdef0123" and dedup.this_run:
            with pytest.raises(DropItem, match="seen already in this run"):
                dedup.process_item(item)
        else:
            assert dedup.process_item(item).revision == 1
    assert len(dedup.this_run) == 3


def test_validate_keeps_an_undated_entry_of_a_source_whose_dates_are_optional(stats):
    # What from_crawler gives it: each source's required fields, from its profile.
    pipe = ValidatePipeline(stats, {"amnesty-ca": ("id", "source", "url", "title")})
    item = normalised(stats, published_raw=None)
    assert pipe.process_item(item) is item
    with pytest.raises(DropItem, match="missing title"):
        pipe.process_item(normalised(stats, published_raw=None, title=None))
    # A source it was not told about needs every required field.
    other = normalised(stats, published_raw=None)
    other.source = "other"
    with pytest.raises(DropItem, match="missing published_raw"):
        pipe.process_item(other)


def test_validate_is_built_with_each_source_s_required_fields(tmp_path):
    profile = tmp_path / "undated.toml"
    profile.write_text((FIXTURES / "dates" / "undated.toml").read_text())
    crawler, spider = open_crawler(tmp_path, profile=str(profile))
    assert ValidatePipeline.from_crawler(crawler).required == {"undated": ("id", "source", "url", "title")}
    spider.closed("finished")
