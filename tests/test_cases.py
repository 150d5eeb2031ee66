"""Every saved-page case, offline (fixtures/cases/<case>/): every field of every entry, and the
next links, against the expected file a person checked against the page. No reactor, no HTTP.

Re-run one case: ``python -m pytest tests/test_cases.py -k NAME``.
"""

from __future__ import annotations

import pytest

from pressbot.cases import case_diff, case_names, load_case, run_case

#: Cases where pressbot's output disagrees with the page. Their expected files say what the page
#: says; the test fails until pressbot does too (strict: a fix shows up as an XPASS).
WRONG: dict[str, str] = {}
CASES = case_names()


def _params():
    for name in CASES:
        marks = [pytest.mark.xfail(strict=True, reason=WRONG[name])] if name in WRONG else []
        yield pytest.param(name, marks=marks, id=name)


@pytest.mark.parametrize("name", list(_params()))
def test_case(name):
    case = load_case(name)
    problems = case_diff(case.expected(), run_case(case))
    assert not problems, (f"{name}: pressbot's output differs from {case.expected_file} "
                          f"(the page: {case.page}):\n" + "\n".join(problems))


def test_every_wrong_case_exists():
    assert set(WRONG) <= set(CASES)


def test_a_diff_names_each_value_that_differs():
    want = {"next": ["a"], "records": [{"title": "A", "published": "2020-07-29"}]}
    got = {"next": [], "records": [{"title": "A", "published": "2020-07-30"}, {"title": "B"}]}
    assert case_diff(want, got) == [
        "next:\n    expected ['a']\n    got      []",
        "records: expected 1 items, got 2",
        "records[0].published:\n    expected '2020-07-29'\n    got      '2020-07-30'",
    ]
