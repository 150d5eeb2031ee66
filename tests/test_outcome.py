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
