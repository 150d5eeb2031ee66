"""The median, min and max of a measurement's runs, each run's value kept."""

from __future__ import annotations

import statistics
from collections.abc import Iterable
from typing import Any


def summarize(values: Iterable[float | None]) -> dict[str, Any]:
    """``{"median", "min", "max", "runs"}`` of the values that are not None."""
    measured = [value for value in values if value is not None]
    if not measured:
        return {"median": None, "min": None, "max": None, "runs": []}
    return {
        "median": statistics.median(measured),
        "min": min(measured),
        "max": max(measured),
        "runs": measured,
    }


def summarize_runs(runs: list[dict[str, Any]], keys: Iterable[str]) -> dict[str, Any]:
    """Each of ``keys`` summarized over ``runs`` (a run without the key counts as None)."""
    return {key: summarize(run.get(key) for run in runs) for key in keys}
