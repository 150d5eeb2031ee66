"""The dependency floor and the tested versions agree with pyproject.toml: every dependency's
lower bound is pinned in constraints/floor.txt (which CI installs and tests, .ci/run), and
constraints/tested.txt pins every dependency at a version its bounds allow."""

from __future__ import annotations

import tomllib

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

from tests.conftest import ROOT

PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def pins(name: str) -> dict[str, str]:
    """A constraints file's ``name==version`` lines, by canonical name."""
    found = {}
    for line in (ROOT / "constraints" / name).read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            req = Requirement(line)
            (spec,) = req.specifier
            assert spec.operator == "==", line
            found[canonicalize_name(req.name)] = spec.version
    return found


def requirements(extras: bool) -> list[Requirement]:
    found = [Requirement(r) for r in PROJECT["dependencies"]]
    if extras:
        found += [Requirement(r) for rs in PROJECT["optional-dependencies"].values() for r in rs]
    return [r for r in found if canonicalize_name(r.name) != "pressbot"]


def test_the_floor_is_every_dependencys_lower_bound():
    floor = pins("floor.txt")
    for req in requirements(extras=False):
        lower = [s.version for s in req.specifier if s.operator == ">="]
        assert lower, f"{req}: give it a tested lower bound (>=)"
        pinned = floor.get(canonicalize_name(req.name))
        assert pinned is not None and Version(pinned) == Version(lower[0]), (
            f"{req}: constraints/floor.txt must pin {req.name}=={lower[0]} (and CI then tests it)"
        )
    assert set(floor) == {canonicalize_name(r.name) for r in requirements(extras=False)}


def test_the_tested_versions_are_within_every_bound():
    tested = pins("tested.txt")
    for req in requirements(extras=True):
        version = tested.get(canonicalize_name(req.name))
        assert version is not None, f"{req.name} is not in constraints/tested.txt"
        assert req.specifier.contains(version, prereleases=True), f"{req.name}=={version} is outside {req}"
