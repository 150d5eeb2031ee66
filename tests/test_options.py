"""Spider arguments: a table of bad inputs and the message each must give."""

from __future__ import annotations

import datetime as dt

import pytest

from pressbot.options import ArgumentError, RunOptions


def test_defaults_and_good_values():
    assert RunOptions.parse() == RunOptions()
    opts = RunOptions.parse(source="a, b", max_pages="3", since="2020-07-15", full="1")
    assert opts == RunOptions(sources=("a", "b"), max_pages=3, since=dt.date(2020, 7, 15), full=True)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"max_pages": "x"}, "max_pages: 'x' is not a whole number"),
        ({"max_pages": "0"}, "max_pages: 0 must be at least 1"),
        ({"since": "15/07/2020"}, "since: '15/07/2020' is not a date like 2020-07-15"),
        ({"full": "maybe"}, "full: 'maybe' must be 1 or 0"),
        ({"source": " , "}, "source: give one or more profile names"),
        ({"source": "a", "profile": "b.toml"}, "either source or profile"),
        ({"profile": " "}, "profile: give the path"),
        ({"colour": "red"}, "unknown argument(s) colour"),
    ],
)
def test_bad_arguments(kwargs, message):
    with pytest.raises(ArgumentError) as err:
        RunOptions.parse(**kwargs)
    assert message in str(err.value)


def test_project_settings_keep_scrapys_extensions_but_the_remote_control():
    from scrapy.settings import Settings, default_settings
    from scrapy.utils.conf import build_component_list

    from pressbot import settings as project

    settings = Settings()
    settings.setmodule(project, priority="project")
    enabled = build_component_list(settings.getwithbase("EXTENSIONS"))
    scrapys = build_component_list(default_settings.EXTENSIONS_BASE)
    # (Scrapy 2.19 brought the remote control; before it the set difference changes nothing.)
    assert set(enabled) == (
        set(scrapys) - {"scrapy.extensions.remote_control.RemoteControl"} | {"pressbot.summary.RunSummary"}
    )
