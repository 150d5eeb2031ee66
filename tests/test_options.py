"""Spider arguments: a table of bad inputs and the message each must give."""

from __future__ import annotations

import datetime as dt

import pytest

from pressbot.options import ArgumentError, RunOptions


def test_defaults_and_good_values():
    assert RunOptions.parse() == RunOptions()
    opts = RunOptions.parse(source="a, b", max_pages="3", since="2020-07-15", full="1")
    assert opts == RunOptions(sources=("a", "b"), max_pages=3, since=dt.date(2020, 7, 15), full=True)
    # Sources and profile files together; several files, comma-separated.
    both = RunOptions.parse(source="all", profile="a.toml, dir/b.toml")
    assert (both.sources, both.profiles, both.profile) == (
        ("all",),
        ("a.toml", "dir/b.toml"),
        "a.toml,dir/b.toml",
    )


def test_the_job_and_the_arguments_as_given_are_kept_for_the_summary():
    opts = RunOptions.parse(source="a, b", max_pages=3, _job="6487ec79")
    assert opts.job == "6487ec79"
    assert opts.arguments == {"source": "a, b", "max_pages": "3"}  # as given, _job aside
    assert opts == RunOptions(sources=("a", "b"), max_pages=3, job="6487ec79")
    assert RunOptions.parse().arguments == {} and RunOptions.parse().job is None


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"max_pages": "x"}, "max_pages: 'x' is not a whole number"),
        ({"max_pages": "0"}, "max_pages: 0 must be at least 1"),
        ({"since": "15/07/2020"}, "since: '15/07/2020' is not a date like 2020-07-15"),
        ({"full": "maybe"}, "full: 'maybe' must be 1 or 0"),
        ({"source": " , "}, "source: give one or more profile names"),
        ({"profile": " "}, "profile: give the path"),
        ({"profile": " , ,"}, "profile: give the path"),
        ({"profile": "a.toml,b.toml, a.toml"}, "profile: a.toml given twice"),
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
    ours = {
        "pressbot.summary.RunSummary",
        "pressbot.progress.LiveCounts",
        "scrapy.extensions.periodic_log.PeriodicLog",  # (standing aside unless PERIODIC_LOG_*)
    }
    assert set(enabled) == set(scrapys) - {"scrapy.extensions.remote_control.RemoteControl"} | ours


# --- settings: a table of bad values and the one line each must give ---------------------------
def settings_with(tmp_path, **values):
    from scrapy.settings import Settings

    from pressbot import settings as project

    settings = Settings()
    settings.setmodule(project, priority="project")
    settings.setdict(
        {
            "PRESSBOT_OUTPUT": str(tmp_path / "releases.jsonl"),
            "PRESSBOT_STATE": str(tmp_path / "state.sqlite3"),
            "PRESSBOT_RUNS_DIR": str(tmp_path / "runs"),
            "PRESSBOT_WORKER_ID": "host-1",
        },
        priority="cmdline",
    )
    settings.setdict({k: str(v).replace("@", str(tmp_path)) for k, v in values.items()}, priority="cmdline")
    return settings


@pytest.mark.parametrize(
    "values, message",
    [
        ({"PRESSBOT_STATE": ""}, "setting PRESSBOT_STATE: empty: give a path"),
        ({"PRESSBOT_OUTPUT": " "}, "setting PRESSBOT_OUTPUT: empty: give a path"),
        ({"PRESSBOT_RUNS_DIR": ""}, "setting PRESSBOT_RUNS_DIR: empty: give a path"),
        (
            {"PRESSBOT_STATE": "redis://127.0.0.1:notaport/0"},
            "setting PRESSBOT_STATE: 'redis://127.0.0.1:notaport/0' is not a usable Redis URL: "
            "Port could not be cast to integer value as 'notaport'",
        ),
        (
            {"PRESSBOT_STATE": "redis://127.0.0.1:70000/0"},
            "'redis://127.0.0.1:70000/0' is not a usable Redis URL: Port out of range 0-65535",
        ),
        (
            {"PRESSBOT_REDIS_URL": "redis://127.0.0.1:6379/zero"},
            "setting PRESSBOT_REDIS_URL: 'redis://127.0.0.1:6379/zero' is not a usable Redis URL: "
            "the database 'zero' is not a number",
        ),
        ({"PRESSBOT_FLUSH_SECONDS": "nan"}, "setting PRESSBOT_FLUSH_SECONDS: 'nan' is not a finite number"),
        ({"PRESSBOT_RETRY_MAX_DELAY": "inf"}, "setting PRESSBOT_RETRY_MAX_DELAY: 'inf' is not a finite"),
        ({"PRESSBOT_FLUSH_ITEMS": "1e99"}, "setting PRESSBOT_FLUSH_ITEMS: '1e99' is not a whole number"),
        ({"PRESSBOT_LOCK_TTL": "0.1"}, "setting PRESSBOT_LOCK_TTL: 0.1 must be at least 1"),
        ({"PRESSBOT_STOP_TIMEOUT": "-1"}, "setting PRESSBOT_STOP_TIMEOUT: -1.0 must be at least 0"),
        ({"PRESSBOT_RUNS_KEEP": "-1"}, "setting PRESSBOT_RUNS_KEEP: -1 must be at least 0"),
        ({"PRESSBOT_RUNS_KEEP": "many"}, "setting PRESSBOT_RUNS_KEEP: 'many' is not a whole number"),
        ({"PRESSBOT_RUNS_MAX_AGE": "a week"}, "setting PRESSBOT_RUNS_MAX_AGE: 'a week' is not a number"),
        ({"PRESSBOT_RUNS_MAX_AGE": "inf"}, "setting PRESSBOT_RUNS_MAX_AGE: 'inf' is not a finite number"),
        ({"PRESSBOT_PROGRESS_SECONDS": "-5"}, "setting PRESSBOT_PROGRESS_SECONDS: -5.0 must be at least 0"),
        ({"PRESSBOT_GC_THRESHOLD": "-5"}, "setting PRESSBOT_GC_THRESHOLD: -5 must be at least 0"),
        ({"PRESSBOT_GC_THRESHOLD": "lots"}, "setting PRESSBOT_GC_THRESHOLD: 'lots' is not a whole number"),
        (
            {"PRESSBOT_WORKER_ID": "../../x"},
            "setting PRESSBOT_WORKER_ID: '../../x' must be letters, digits, '.', '-' or '_'",
        ),
        ({"PRESSBOT_WORKER_ID": ".hidden"}, "setting PRESSBOT_WORKER_ID: '.hidden' must be"),
        ({"PRESSBOT_FIXTURES_DIR": "@/nowhere"}, "/nowhere' is not a folder"),
        (
            {"PRESSBOT_FIXTURES_DIR": "pyproject.toml"},
            "setting PRESSBOT_FIXTURES_DIR: 'pyproject.toml' is not",
        ),
    ],
)
def test_bad_settings(tmp_path, values, message):
    from pressbot.options import check_settings

    with pytest.raises(ArgumentError) as err:
        check_settings(settings_with(tmp_path, **values))
    assert message in str(err.value) and "\n" not in str(err.value)


def test_good_settings_pass(tmp_path):
    from pressbot.options import check_paths, check_settings

    settings = settings_with(tmp_path, PRESSBOT_STATE="redis://127.0.0.1:6379/0")
    check_settings(settings)
    check_paths(settings)
    settings = settings_with(tmp_path, PRESSBOT_OUTPUT="@/out/releases.{worker}.jsonl")
    settings.set("FEEDS", {str(tmp_path / "new.jsonl"): {"format": "jsonlines"}}, priority="cmdline")
    check_settings(settings)
    check_paths(settings)


def _file(path):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("x")


@pytest.mark.parametrize(
    "values, feeds, make, message",
    [
        (
            {"PRESSBOT_OUTPUT": "@/state.sqlite3"},
            {},
            None,
            "setting PRESSBOT_OUTPUT: @/state.sqlite3 (the output) is also the state file "
            "(PRESSBOT_STATE): give each its own file",
        ),
        (
            {"PRESSBOT_OUTPUT": "@/state.sqlite3-wal"},
            {},
            None,
            "(the output) is also the state's wal file (PRESSBOT_STATE)",
        ),
        (
            {"PRESSBOT_STATE": "@/releases.jsonl.partial"},
            {},
            None,
            "setting PRESSBOT_OUTPUT: @/releases.jsonl.partial (the output's torn-line file) is also "
            "the state file (PRESSBOT_STATE)",
        ),
        (
            {"PRESSBOT_RUNS_DIR": "@/releases.jsonl"},
            {},
            None,
            "(the output) is also the run summaries' folder (PRESSBOT_RUNS_DIR)",
        ),
        (
            {},
            {"@/releases.jsonl": {"format": "jsonlines"}},
            None,
            "feed @/releases.jsonl (-o/-O) would write to the output (PRESSBOT_OUTPUT): give the feed "
            "another file",
        ),
        (
            {},
            {"file://@/state.sqlite3": {"format": "json"}},
            None,
            "feed @/state.sqlite3 (-o/-O) would write to the state file (PRESSBOT_STATE)",
        ),
        (
            {},
            {"@/%(name)s.jsonl": {"format": "jsonlines"}},
            None,
            "feed @/releases.jsonl (-o/-O) would write to the output",
        ),
        (
            {"PRESSBOT_OUTPUT": "@/f/releases.jsonl"},
            {},
            "f",
            "setting PRESSBOT_OUTPUT: @/f/releases.jsonl is under @/f, which is a file, not a folder",
        ),
        ({"PRESSBOT_OUTPUT": "@/d"}, {}, "d/", "setting PRESSBOT_OUTPUT: @/d is a folder: give a file path"),
        (
            {"PRESSBOT_STATE": "/dev/null"},
            {},
            None,
            "setting PRESSBOT_STATE: /dev/null is not a regular file",
        ),
        ({"PRESSBOT_STATE": "@/d"}, {}, "d/", "setting PRESSBOT_STATE: @/d is a folder: give a file path"),
        (
            {"PRESSBOT_RUNS_DIR": "@/f/runs"},
            {},
            "f",
            "setting PRESSBOT_RUNS_DIR: @/f/runs is under @/f, which is a file, not a folder",
        ),
        (
            {"PRESSBOT_OUTPUT": "@/out/releases.{worker}.jsonl", "PRESSBOT_WORKER_ID": "a/../../x"},
            {},
            None,
            "setting PRESSBOT_WORKER_ID: 'a/../../x' would put the output outside its folder",
        ),
    ],
    ids=[
        "output=state",
        "output=wal",
        "partial=state",
        "runs=output",
        "feed=output",
        "feed=state",
        "feed=output-by-name",
        "output-under-a-file",
        "output-a-folder",
        "state-dev-null",
        "state-a-folder",
        "runs-under-a-file",
        "worker-escapes",
    ],
)
def test_paths_that_collide_or_cannot_be_written(tmp_path, values, feeds, make, message):
    from pressbot.options import check_paths

    if make:
        (tmp_path / make).mkdir() if make.endswith("/") else _file(tmp_path / make)
    settings = settings_with(tmp_path, **values)
    settings.set("FEEDS", {k.replace("@", str(tmp_path)): v for k, v in feeds.items()}, priority="cmdline")
    with pytest.raises(ArgumentError) as err:
        check_paths(settings)
    assert message.replace("@", str(tmp_path)) in str(err.value)


def test_the_settings_given_are_those_not_at_their_default_with_passwords_masked(tmp_path):
    from pressbot.options import given_settings

    settings = settings_with(tmp_path, PRESSBOT_FLUSH_ITEMS="50")
    settings.setdict(
        {
            "PRESSBOT_STATE": "redis://:s3cret@127.0.0.1:6379/0",
            "PRESSBOT_REDIS_URL": "redis://worker:pa55@10.0.0.1/1",
            "PRESSBOT_CONTACT_URL": "https://example.org/bot",
            "PRESSBOT_KNOWN_IN_A_ROW": "5",  # given, but the default: nothing to say
        },
        priority="cmdline",
    )
    settings.set("LOG_LEVEL", "DEBUG", priority="cmdline")  # not pressbot's
    given = given_settings(settings)
    assert given == {
        "PRESSBOT_CONTACT_URL": "https://example.org/bot",
        "PRESSBOT_FLUSH_ITEMS": "50",
        "PRESSBOT_OUTPUT": str(tmp_path / "releases.jsonl"),
        "PRESSBOT_REDIS_URL": "redis://worker:***@10.0.0.1/1",
        "PRESSBOT_RUNS_DIR": str(tmp_path / "runs"),
        "PRESSBOT_STATE": "redis://:***@127.0.0.1:6379/0",
        "PRESSBOT_WORKER_ID": "host-1",
    }
    assert "s3cret" not in repr(given) and "pa55" not in repr(given)


def test_the_alerts_secrets_are_never_among_the_settings_given(tmp_path):
    from pressbot.options import given_settings

    settings = settings_with(tmp_path)
    settings.setdict(
        {
            "PRESSBOT_ALERT_SLACK_WEBHOOK": "https://hooks.slack.com/services/T000/B000/T0K3N",
            "PRESSBOT_ALERT_WEBHOOK": "http://user:pw@127.0.0.1:8080/hook?key=K3Y",
            "PRESSBOT_ALERT_SMTP_PASSWORD": "smtp-s3cret",
            "PRESSBOT_ALERT_EMAIL_TO": "desk@example.org",
        },
        priority="cmdline",
    )
    given = given_settings(settings)
    assert given["PRESSBOT_ALERT_SLACK_WEBHOOK"] == "https://hooks.slack.com/***"
    assert given["PRESSBOT_ALERT_WEBHOOK"] == "http://127.0.0.1:8080/***"
    assert given["PRESSBOT_ALERT_SMTP_PASSWORD"] == "***"
    assert given["PRESSBOT_ALERT_EMAIL_TO"] == "desk@example.org"
    for secret in ("T0K3N", "K3Y", "pw@", "smtp-s3cret"):
        assert secret not in repr(given)
