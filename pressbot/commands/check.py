"""`scrapy check`: every saved-page case (fixtures/cases/, pressbot/cases.py) as a contract of the
releases spider, beside Scrapy's own docstring contracts of any other spider in the project.

A case is checked offline, as ``tests/test_cases.py`` checks it (page + URL + profile -> what
pressbot writes, against the expected file a person checked), so ``scrapy check`` needs no
server and touches nothing. Its output is Scrapy's: a dot per contract, ``FAIL:`` with the case
and every value that differs, ``Ran N contracts``, and exit status 1 when one fails.
"""

from __future__ import annotations

import sys
import time
import unittest
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any, ClassVar

from scrapy import Spider
from scrapy.commands.check import Command as ScrapyCheck
from scrapy.commands.check import TextTestResult
from scrapy.contracts import ContractsManager
from scrapy.utils.conf import build_component_list
from scrapy.utils.misc import load_object, set_environ

from pressbot import outcome
from pressbot.cases import CASES_DIR, Case, CaseError, case_diff, case_names, load_case, run_case
from pressbot.options import ArgumentError, RunOptions
from pressbot.profiles import ProfileError
from pressbot.run import LOOK_ONLY
from pressbot.spiders.releases import ReleasesSpider


class CaseProblem(AssertionError):
    """A case that does not hold, or cannot be read; the message says which and why."""


class CaseContract(unittest.TestCase):
    """One saved-page case, reported as Scrapy reports a contract."""

    def __init__(self, spider: str, name: str) -> None:
        super().__init__("runTest")
        self.spider, self.name = spider, name

    def runTest(self) -> None:  # noqa: N802 - unittest's naming
        """(Run by check_case, which reports to the result itself.)"""

    def __str__(self) -> str:
        return f"[{self.spider}] {self.name} (case)"

    def shortDescription(self) -> None:  # noqa: N802 - unittest's naming
        return None


class CaseResult(TextTestResult):
    """Scrapy's check result, with the cases' problems as plain text (no traceback: the case
    and its values are the news) and expected failures in the summary."""

    def _exc_info_to_string(self, err, test) -> str:  # (unittest's own, since 2.7)
        if isinstance(err[1], CaseProblem):
            return f"{err[1]}\n"
        return super()._exc_info_to_string(err, test)  # type: ignore[misc]

    def printSummary(self, start: float, stop: float) -> None:  # noqa: N802 - Scrapy's naming
        super().printSummary(start, stop)
        if self.expectedFailures:
            self.stream.writeln(
                f"({len(self.expectedFailures)} known wrong, as their case.json says: "
                + ", ".join(t.name for t, _ in self.expectedFailures if isinstance(t, CaseContract))
                + ")"
            )


def check_case(spider: str, case_name: str, cases_dir: Path, result: unittest.TestResult) -> None:
    """Check one case into ``result``: a success, a failure naming the case and each value
    that differs, an expected failure (a case marked ``wrong``), or an error (it cannot be
    read)."""
    test = CaseContract(spider, case_name)
    result.startTest(test)
    try:
        case = load_case(case_name, cases_dir)
        problems = case_diff(case.expected(), run_case(case))
    except (CaseError, ProfileError, OSError, ValueError) as exc:
        result.addError(test, _problem(f"{case_name}: cannot check the case: {exc}"))
    except Exception:
        result.addError(test, sys.exc_info())  # a bug: with its traceback
    else:
        if case.wrong is None and not problems:
            result.addSuccess(test)
        elif case.wrong is None:
            result.addFailure(test, _problem(_differs(case, problems)))
        elif problems:
            result.addExpectedFailure(test, _problem(_differs(case, problems)))
        else:
            result.addFailure(
                test,
                _problem(
                    f"{case_name}: marked wrong ({case.wrong}), but pressbot now reads the page as "
                    f'{case.expected_file} says: take "wrong" out of {case.folder / "case.json"}'
                ),
            )
    finally:
        result.stopTest(test)


def _differs(case: Case, problems: list[str]) -> str:
    return (
        f"{case.name}: pressbot's output differs from {case.expected_file} (the page: {case.page}, "
        f"source {case.profile_ref}):\n" + "\n".join(problems)
    )


def _problem(message: str):
    return CaseProblem, CaseProblem(message), None


class Command(ScrapyCheck):
    default_settings: ClassVar[dict[str, Any]] = {**ScrapyCheck.default_settings, **LOOK_ONLY}

    def short_desc(self) -> str:
        return "Check the saved-page cases (fixtures/cases/) and spider contracts"

    def long_desc(self) -> str:
        return (
            "Check every saved-page case of the releases spider (PRESSBOT_CASES_DIR, default "
            "fixtures/cases/; -a source=NAME[,NAME] for some sources only) offline, and the "
            "docstring contracts of any other spider. -l lists them."
        )

    def run(self, args: list[str], opts) -> None:
        settings = self.settings
        assert settings is not None and self.crawler_process is not None
        loader = self.crawler_process.spider_loader
        cases_dir = Path(settings.get("PRESSBOT_CASES_DIR") or CASES_DIR)
        conman = ContractsManager(
            load_object(c)
            for c in build_component_list(settings.get_component_priority_dict_with_base("SPIDER_CONTRACTS"))
        )
        # Each spider's checks: its cases (the releases spider) and its docstring contracts.
        cases: dict[str, list[str]] = {}
        methods: dict[str, list[str]] = {}
        for name in args or loader.list():
            spidercls = loader.load(name)
            if issubclass(spidercls, ReleasesSpider):
                try:
                    options = RunOptions.parse(**opts.spargs)
                except ArgumentError as exc:
                    print(f"pressbot: error: {exc}", file=sys.stderr)
                    self.exitcode = outcome.BAD_CONFIG
                    return
                cases[name] = _cases_of(cases_dir, options)
                if options.sources and not cases[name]:
                    print(
                        f"pressbot: error: source: no case of {', '.join(options.sources)} in {cases_dir}",
                        file=sys.stderr,
                    )
                    self.exitcode = outcome.BAD_CONFIG
                    return
            methods[name] = conman.tested_methods_from_spidercls(spidercls)

        if opts.list:
            for name in sorted(cases.keys() | methods.keys()):
                listed = [f"  * {c} (case)" for c in cases.get(name, [])]
                listed += [f"  * {m}" for m in sorted(methods.get(name, []))]
                if listed or opts.verbose:
                    print("\n".join([name, *listed]))
            return

        runner = unittest.TextTestRunner(verbosity=2 if opts.verbose else 1)
        result = CaseResult(runner.stream, runner.descriptions, runner.verbosity)
        start_time = time.monotonic()
        for name, names in cases.items():
            for case_name in names:
                check_case(name, case_name, cases_dir, result)
        contracted = [name for name, found in methods.items() if found]
        if contracted:
            self._check_contracts(contracted, conman, result, opts.spargs)
        stop = time.monotonic()
        result.printErrors()
        result.printSummary(start_time, stop)
        self.exitcode = int(not result.wasSuccessful() or self.crawler_process.bootstrap_failed)

    def _check_contracts(
        self, names: list[str], conman: ContractsManager, result: unittest.TestResult, spargs: dict
    ) -> None:
        """Scrapy's own check of docstring contracts (as scrapy.commands.check does it)."""
        assert self.crawler_process is not None
        loader = self.crawler_process.spider_loader

        async def start(self: Spider) -> AsyncIterator[Any]:
            for request in conman.from_spider(self, result):
                yield request

        with set_environ(SCRAPY_CHECK="true"):
            for name in names:
                spidercls = loader.load(name)
                spidercls.start = start  # type: ignore[method-assign]
                self.crawler_process.crawl(spidercls, **spargs)
            self.crawler_process.start()


def _cases_of(cases_dir: Path, options: RunOptions) -> list[str]:
    """The cases to check: all of them, or those of ``-a source=``'s sources."""
    names = case_names(cases_dir)
    if options.sources is None:
        return names
    wanted = set(options.sources)
    mine = []
    for name in names:
        try:
            ref = load_case(name, cases_dir).profile_ref
        except CaseError:
            ref = None  # checked all the same: it reports why it cannot be read
        if ref is None or ref in wanted:
            mine.append(name)
    return mine
