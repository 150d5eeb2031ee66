"""The code's own checks, run by the test command CI runs: ruff (lint and format) and mypy."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.conftest import ROOT

#: Tools run as processes of their own: the slow loop.
pytestmark = pytest.mark.integration


@pytest.mark.parametrize(
    "command",
    [
        ["ruff", "check", "."],
        ["ruff", "format", "--check", "."],
        ["mypy"],  # configured in pyproject.toml: the pressbot package
    ],
    ids=["ruff-check", "ruff-format", "mypy"],
)
def test_code_checks(command):
    proc = subprocess.run([sys.executable, "-m", *command], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
