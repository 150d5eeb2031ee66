"""Upgrading from 0.1: text now keeps its layout (list items one a line, paragraphs apart), and
an existing dataset gets no revision for that: a release whose words are the same is unchanged.

tests/data/hashes-0.1.0.json holds the content hashes 0.1.0 stored for every record of every
saved listing case (computed by 0.1.0 itself, at main 9265145): what an existing state holds.
"""

from __future__ import annotations

import json
import sqlite3

import pytest

from pressbot.cases import load_case, run_case
from pressbot.items import content_hash, content_hash_0_1, same_content
from tests.conftest import ROOT, run_crawl

STORED = json.loads((ROOT / "tests" / "data" / "hashes-0.1.0.json").read_text(encoding="utf-8"))["cases"]


@pytest.mark.parametrize("name", sorted(STORED))
def test_today_s_text_of_every_case_is_the_content_0_1_stored(name):
    records = {r["id"]: r for r in run_case(load_case(name))["records"]}
    assert set(records) == set(STORED[name])
    for rid, stored in STORED[name].items():
        assert same_content(stored, records[rid]), (name, records[rid]["title"])


def test_the_0_1_hash_is_what_keeps_multi_paragraph_summaries_unchanged():
    # Without content_hash_0_1, these would all be revised on the first run after the upgrade.
    fallback, changed_text = [], []
    for name, stored in STORED.items():
        for record in run_case(load_case(name))["records"]:
            if content_hash(record) != stored[record["id"]]:
                fallback.append(record["id"])
                assert content_hash_0_1(record) == stored[record["id"]]
            if "\n" in (record["subtitle"] or "") or "\n" in (record["summary"] or ""):
                changed_text.append(record["id"])
    assert len(fallback) >= 5  # amnesty-ca's summaries of several paragraphs, and the feeds'
    # The subtitles that are now one point a line hash as 0.1 did, with no fallback at all.
    assert len(changed_text) > len(fallback)


def test_a_real_change_is_still_a_revision():
    record = run_case(load_case("amnesty-ca-page-2"))["records"][4]
    stored = STORED["amnesty-ca-page-2"][record["id"]]
    assert same_content(stored, record)
    for field, value in [
        ("title", record["title"] + " (updated)"),
        ("subtitle", record["subtitle"].replace("JBS urged", "JBS told")),
        ("summary", record["summary"] + "\n\nA new paragraph."),
        ("published", "2020-07-16"),
    ]:
        assert not same_content(stored, {**record, field: value}), field


@pytest.mark.integration
def test_a_state_written_by_0_1_gets_no_revision_from_the_new_text(tmp_path, server):
    """The shipped amnesty-ca crawled, its state set back to the hashes 0.1 stored, and crawled
    again in full: nothing is written (every release's words are the same)."""
    first = run_crawl(tmp_path, server.url, "-a", "source=amnesty-ca")
    assert first.returncode == 0, first.stderr[-3000:]
    assert len(first.records()) == 15
    old = {
        rid: h
        for case, hashes in STORED.items()
        if case.startswith("amnesty-ca-")
        for rid, h in hashes.items()
    }
    with sqlite3.connect(tmp_path / "state.sqlite3") as db:
        ids = {row[0] for row in db.execute("SELECT id FROM releases")}
        assert ids == set(old)
        db.executemany("UPDATE releases SET hash = ? WHERE id = ?", [(h, i) for i, h in old.items()])
    again = run_crawl(tmp_path, server.url, "-a", "source=amnesty-ca", "-a", "full=1")
    assert again.returncode == 0, again.stderr[-3000:]
    assert len(again.records()) == 15  # nothing new, nothing revised
    assert again.summary["sources"]["amnesty-ca"]["revised"] == 0
