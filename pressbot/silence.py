"""Silent sources: whether a source's newest release is older than its profile (or its history) allows.

A press room whose listing stops changing (a frozen cache, a moved press room) reports "caught
up" run after run; only the age of its newest release shows it. A source is *silent* when the
time since the end of its newest release's day is longer than it is allowed to be:

- its profile's ``[checks] max_silence`` (``"14d"``, ``"36h"``, ``"2w"``), judged at once; or,
  without one,
- ``PRESSBOT_SILENCE_FACTOR`` times its usual gap between releases, learned from its own
  history (the 90th percentile of the gaps between its last ``HISTORY_DAYS`` days with
  releases, once there are ``MIN_GAPS`` of them), and never less than
  ``PRESSBOT_SILENCE_MIN_DAYS``; judged only once pressbot has watched the source that long,
  so that the first runs over an old archive (or a test crawl of one) say nothing.

``max_silence = "off"`` (or ``PRESSBOT_SILENCE_FACTOR = 0`` for the learned rule) turns it off.
The history is the state's calendar of publication days (pressbot.state ``days``); the same
judgement serves the run summary and ``scrapy report``.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

#: The days with releases a source's usual gap is learned from (its newest ones).
HISTORY_DAYS = 100
#: Gaps needed before a usual gap is learned (so 11 days with releases).
MIN_GAPS = 10
#: The share of gaps the usual gap covers (the 90th percentile: a holiday is not an alarm).
PERCENTILE = 0.9

_DURATION = re.compile(r"\s*(\d+(?:\.\d+)?)\s*([hdw])\s*")
_UNITS = {"h": dt.timedelta(hours=1), "d": dt.timedelta(days=1), "w": dt.timedelta(weeks=1)}


class SilenceError(ValueError):
    """A max_silence value that cannot be read (the caller names where it came from)."""


def parse_duration(text: Any) -> dt.timedelta | None:
    """``"14d"``, ``"36h"``, ``"2w"`` (or ``"1.5d"``) as a duration; ``"off"`` as None."""
    if not isinstance(text, str):
        raise SilenceError(f'{text!r} must be a string such as "14d", "36h", "2w" or "off"')
    if text.strip().lower() == "off":
        return None
    match = _DURATION.fullmatch(text)
    if match is None:
        raise SilenceError(f'{text!r} is not a duration such as "14d", "36h", "2w" (or "off")')
    value = float(match.group(1))
    if value <= 0:
        raise SilenceError(f'{text!r} must be longer than zero ("off" turns the check off)')
    try:
        if not math.isfinite(value):
            raise OverflowError
        return value * _UNITS[match.group(2)]
    except OverflowError:
        raise SilenceError(f"{text!r} is longer than any date can be") from None


#: A profile without max_silence: the limit is learned from the source's history.
LEARN = "learn"


@dataclass(frozen=True)
class Rule:
    """How silent a source may be: the profile's own limit, else the learned one."""

    #: The profile's max_silence: a duration, None for "off", or ``LEARN`` (not given).
    max_silence: dt.timedelta | None | str = LEARN
    #: The learned limit is this many times the usual gap (0: no learned limit).
    factor: float = 3.0
    #: ...and never less than this.
    floor: dt.timedelta = dt.timedelta(days=7)


def usual_gap(days: Mapping[str, int] | list[str]) -> dt.timedelta | None:
    """The usual gap between a source's days with releases (the 90th percentile of the gaps
    between its newest HISTORY_DAYS days), or None with fewer than MIN_GAPS gaps."""
    ordinals = sorted({dt.date.fromisoformat(d).toordinal() for d in days})[-HISTORY_DAYS:]
    gaps = sorted(b - a for a, b in zip(ordinals, ordinals[1:], strict=False))
    if len(gaps) < MIN_GAPS:
        return None
    # Nearest rank: the smallest gap at least PERCENTILE of the gaps are no longer than.
    return dt.timedelta(days=gaps[max(0, math.ceil(PERCENTILE * len(gaps)) - 1)])


def judge(
    days: Mapping[str, int] | list[str],
    rule: Rule,
    now: dt.datetime,
    watched_since: dt.datetime | None = None,
) -> dict[str, Any]:
    """The silence of one source as the run summary and the report give it.

    ``days``: its days with releases (``YYYY-MM-DD``; counts are not needed); ``watched_since``:
    when pressbot first crawled it (a learned limit is judged only once it has watched that
    long). Returns ``newest_release``, ``silent_days`` (since the end of that day),
    ``allowed_days`` and ``allowed_by`` (``max_silence`` or ``usual gap``; None when there is no
    limit), ``usual_gap_days``, ``silent``, and ``note`` saying why it was not judged."""
    valid = [d for d in days if _is_day(d)]
    newest = max(valid) if valid else None
    gap = usual_gap(valid)
    verdict: dict[str, Any] = {
        "newest_release": newest,
        "silent_days": None,
        "allowed_days": None,
        "allowed_by": None,
        "usual_gap_days": None if gap is None else gap.days,
        "silent": False,
        "note": None,
    }
    if newest is None:
        verdict["note"] = "no dated release known"
        return verdict
    end_of_day = dt.datetime.combine(dt.date.fromisoformat(newest), dt.time(), dt.UTC) + dt.timedelta(days=1)
    quiet = max(dt.timedelta(0), now - end_of_day)
    verdict["silent_days"] = round(quiet / dt.timedelta(days=1), 2)
    if rule.max_silence is None:
        verdict["note"] = 'max_silence = "off"'
        return verdict
    if isinstance(rule.max_silence, dt.timedelta):
        allowed, by = rule.max_silence, "max_silence"
    else:
        if not rule.factor:
            verdict["note"] = "no max_silence, and the learned limit is off (PRESSBOT_SILENCE_FACTOR = 0)"
            return verdict
        if gap is None:
            days_needed = MIN_GAPS + 1
            verdict["note"] = f"no max_silence, and fewer than {days_needed} days with releases to learn from"
            return verdict
        allowed, by = max(rule.floor, rule.factor * gap), "usual gap"
    verdict["allowed_days"] = round(allowed / dt.timedelta(days=1), 2)
    verdict["allowed_by"] = by
    if by == "usual gap" and (watched_since is None or now - watched_since < allowed):
        verdict["note"] = "watched for less than the allowed silence: not judged yet"
        return verdict
    verdict["silent"] = quiet > allowed
    return verdict


def _is_day(value: Any) -> bool:
    if not isinstance(value, str) or len(value) != 10:
        return False
    try:
        dt.date.fromisoformat(value)
    except ValueError:
        return False
    return True


def describe(source: str, verdict: Mapping[str, Any]) -> str:
    """One line for the log and the alerts: how long the source has been silent, and the limit."""
    return (
        f"{source} is silent: its newest release is of {verdict.get('newest_release')}, "
        f"{verdict.get('silent_days')} days without one; {verdict.get('allowed_by')} allows "
        f"{verdict.get('allowed_days')} days"
    )
