"""The exit status of a crawl that ran, from its stats: the worst problem wins."""

from __future__ import annotations

import pytest

from pressbot import outcome


@pytest.mark.parametrize(
    "stats, code",
    [
        ({"pressbot/lock_lost": 1, "pressbot/drift": 1, "finish_reason": "lock lost"}, outcome.LOCKED),
        ({"pressbot/lock_lost": 1, "spider_exceptions/LedgerFailed": 3}, outcome.LOCKED),
        ({"pressbot/state_unavailable": 1, "spider_exceptions/LedgerFailed": 2}, outcome.UNAVAILABLE),
        ({"pressbot/state_unavailable": 1, "pressbot/drift": 1}, outcome.DRIFT),
        ({"pressbot/internal_errors": 1, "finish_reason": "output failed"}, outcome.INTERNAL_ERROR),
        ({"finish_reason": "shutdown", "pressbot/new": 3}, outcome.INTERRUPTED),
    ],
)
def test_the_worst_problem_wins(stats, code):
    assert outcome.exit_code(stats) == code


def test_every_status_has_a_meaning():
    codes = {v for k, v in vars(outcome).items() if k.isupper() and isinstance(v, int)}
    assert codes == set(outcome.DESCRIPTIONS)


def test_readme_gives_the_order_exit_code_applies():
    """README's "the first in this order wins" line is the order exit_code decides in (two
    branches once left two contradicting lines there)."""
    import re
    from pathlib import Path

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    (line,) = re.findall(r"When several apply, the first in this order wins[^:]*:([^.]*)\.", readme)
    order = [int(n) for n in re.findall(r"\d+", line)]
    worst_first = {
        outcome.LOCKED: {"pressbot/lock_lost": 1},
        outcome.DRIFT: {"pressbot/drift": 1},
        outcome.NOT_A_LISTING: {"pressbot/undetected": 1},
        outcome.PAGES_FAILED: {"pressbot/failed_pages": 1},
        outcome.INTERNAL_ERROR: {"pressbot/internal_errors": 1},
        outcome.INTERRUPTED: {"finish_reason": "shutdown"},
        outcome.SILENT: {"pressbot/silent": 1},
    }
    assert sorted(order) == sorted(worst_first)
    for i, code in enumerate(order):  # each wins over every one after it
        stats: dict = {}
        for later in order[i:]:
            stats.update(worst_first[later])
        assert outcome.exit_code(stats) == code, (code, stats)
