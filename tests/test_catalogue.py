"""Which sources a run can see: shipped profiles, PRESSBOT_PROFILE_DIRS folders, -a profile files."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from scrapy.settings import Settings

from pressbot import outcome
from pressbot.catalogue import Catalogue, profile_dirs, run_profiles
from pressbot.options import ArgumentError, RunOptions
from pressbot.profiles import ProfileError, available_sources
from tests.conftest import ROOT, run_crawl

SHIPPED = sorted(available_sources())
AMNESTY = (ROOT / "pressbot" / "sources" / "amnesty-ca.toml").read_text(encoding="utf-8")


def profile_text(name: str) -> str:
    """A working profile called ``name`` (the shipped amnesty-ca under another name)."""
    return AMNESTY.replace('name = "amnesty-ca"', f'name = "{name}"')


def folder(path: Path, **profiles: str) -> Path:
    """A folder of profiles: file stem -> TOML text."""
    path.mkdir(parents=True, exist_ok=True)
    for stem, text in profiles.items():
        (path / f"{stem}.toml").write_text(text, encoding="utf-8")
    return path


def settings(**values) -> Settings:
    s = Settings()
    s.setmodule("pressbot.settings", priority="project")
    s.setdict({"PRESSBOT_FIXTURES_URL": "https://fixtures.invalid", **values}, priority="cmdline")
    return s


def test_profile_dirs_read_a_path_list_or_a_list(tmp_path):
    a, b = folder(tmp_path / "a"), folder(tmp_path / "b")
    assert profile_dirs(None) == profile_dirs("") == ()
    assert profile_dirs(f"{a}{os.pathsep}{os.pathsep}{b}{os.pathsep}") == (a, b)
    assert profile_dirs([str(a), b]) == (a, b)


@pytest.mark.parametrize(
    "value, message",
    [
        ("{tmp}/missing", "{tmp}/missing does not exist: give a folder of profiles"),
        ("{tmp}/file.toml", "{tmp}/file.toml is a file, not a folder of profiles"),
        (
            "{tmp},{tmp}",
            "{tmp},{tmp} does not exist: give a folder of profiles (folders are separated by ':')",
        ),
        (["{tmp}", 3], "3 is not a folder path"),
        (3, "3 is not a list of folders"),
        ("{tmp}/a\0b", "holds a NUL character"),
    ],
)
def test_bad_profile_dirs(tmp_path, value, message):
    (tmp_path / "file.toml").write_text(profile_text("file"))

    def filled(v):
        return v.format(tmp=tmp_path) if isinstance(v, str) else v

    with pytest.raises(ArgumentError) as err:
        profile_dirs([filled(v) for v in value] if isinstance(value, list) else filled(value))
    assert str(err.value).startswith("setting PRESSBOT_PROFILE_DIRS: ")
    assert str(err.value).endswith(filled(message))


def test_folders_add_their_profiles_beside_the_shipped_ones(tmp_path):
    mine = folder(tmp_path / "mine", **{"my-room": profile_text("my-room")})
    (mine / ".#my-room.toml").write_text("editor lock")  # dot files are not profiles
    (mine / "notes.txt").write_text("not a profile")
    folder(mine / "sub.toml", deep=profile_text("deep"))  # a folder, and what is in it: not read
    catalogue = Catalogue.from_folders([mine, mine])  # (listed twice: still one source)
    assert catalogue.names() == sorted([*SHIPPED, "my-room"])
    assert catalogue.find("my-room").folder == str(mine)
    assert catalogue.load("my-room").title == "Amnesty International Canada: News"


def test_a_name_in_two_places_is_an_error_naming_both_files(tmp_path):
    a = folder(tmp_path / "a", twin=profile_text("twin"))
    b = folder(tmp_path / "b", twin=profile_text("twin"), **{"amnesty-ca": profile_text("amnesty-ca")})
    catalogue = Catalogue.from_folders([a, b])
    with pytest.raises(ProfileError) as err:
        catalogue.find("twin")
    assert str(err.value).startswith(f"{b / 'twin.toml'}: [name] source 'twin' is also {a / 'twin.toml'}")
    with pytest.raises(ProfileError, match=r"source 'amnesty-ca' is also .*pressbot/sources/amnesty-ca.toml"):
        catalogue.load("amnesty-ca")
    # Other sources stay usable.
    assert catalogue.load("wp-news").name == "wp-news"


def test_a_folder_profile_is_named_as_its_file(tmp_path):
    mine = folder(tmp_path, **{"press": profile_text("other-name"), "all": profile_text("all")})
    catalogue = Catalogue.from_folders([mine])
    with pytest.raises(ProfileError) as err:
        catalogue.load("press")
    assert str(err.value) == (
        f"{mine / 'press.toml'}: [name] 'other-name' is not the file's name 'press': a source is "
        "crawled by its file's name, so the two must be the same"
    )
    with pytest.raises(ProfileError, match=r"all.toml: \[name\] 'all' is reserved"):
        catalogue.load("all")


def test_shipped_profiles_are_named_as_their_files():
    catalogue = Catalogue.from_folders([])
    assert [catalogue.load(n).name for n in SHIPPED] == SHIPPED


def test_unknown_source_lists_every_known_name(tmp_path):
    mine = folder(tmp_path, extra=profile_text("extra"))
    with pytest.raises(ProfileError) as err:
        Catalogue.from_folders([mine]).find("nowhere")
    assert f", {mine}: [source] unknown source nowhere; known: amnesty-ca, drupal-views, extra," in str(
        err.value
    )


# --- the profiles of a run ----------------------------------------------------------------------
def names(s: Settings, **args) -> list[str]:
    return [p.name for p in run_profiles(s, RunOptions.parse(**args))]


def test_run_profiles_by_source_all_and_files(tmp_path):
    mine = folder(tmp_path / "mine", zeta=profile_text("zeta"), alpha=profile_text("alpha"))
    own = folder(tmp_path / "own", one=profile_text("one-file"), two=profile_text("two-file"))
    s = settings(PRESSBOT_PROFILE_DIRS=str(mine))
    assert names(s) == ["amnesty-ca"]  # PRESSBOT_DEFAULT_SOURCE
    assert names(s, source="zeta,wp-news,zeta") == ["zeta", "wp-news"]
    assert names(s, source="all") == sorted([*SHIPPED, "alpha", "zeta"])
    assert names(s, source="zeta,all") == sorted([*SHIPPED, "alpha", "zeta"])
    assert names(s, profile=f"{own / 'two.toml'},{own / 'one.toml'}") == ["two-file", "one-file"]
    assert names(s, source="alpha", profile=str(own / "one.toml")) == ["alpha", "one-file"]
    assert names(settings(PRESSBOT_DEFAULT_SOURCE="all")) == SHIPPED


def test_a_broken_profile_fails_the_runs_that_would_crawl_it(tmp_path):
    mine = folder(tmp_path, good=profile_text("good"), broken='name = "broken"\n[listing]\nentry = "a..b"\n')
    s = settings(PRESSBOT_PROFILE_DIRS=str(mine))
    assert names(s, source="good") == ["good"]
    for args in ({"source": "all"}, {"source": "broken"}):
        with pytest.raises(ProfileError) as err:
            names(s, **args)
        assert str(err.value).startswith(f"{mine / 'broken.toml'}: [")


def test_two_profiles_of_one_name_in_a_run_name_both_files(tmp_path):
    own = folder(tmp_path, a=profile_text("same"), b=profile_text("same"), c=profile_text("wp-news"))
    s = settings()
    with pytest.raises(ProfileError) as err:
        names(s, profile=f"{own / 'a.toml'},{own / 'b.toml'}")
    assert str(err.value) == (
        f"{own / 'b.toml'}: [name] 'same' is also the name of {own / 'a.toml'}: a run crawls each "
        "source once; give each profile its own name"
    )
    # The same file by two paths is two profiles of one name too.
    with pytest.raises(ProfileError, match="'same' is also the name of"):
        names(s, profile=f"{own / 'a.toml'},{own}/../{own.name}/a.toml")
    with pytest.raises(ProfileError, match=r"c.toml: \[name\] 'wp-news' is also the name of .*wp-news.toml"):
        names(s, source="wp-news", profile=str(own / "c.toml"))


# --- real crawls and `scrapy sources` --------------------------------------------------------------
def scrapy(workdir: Path, *args: str, settings: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """A `scrapy` command (not crawl) in the project, with the run summaries of ``workdir``."""
    cmd = [sys.executable, "-m", "scrapy", *args, "-s", f"PRESSBOT_RUNS_DIR={workdir / 'runs'}"]
    for key, value in (settings or {}).items():
        cmd += ["-s", f"{key}={value}"]
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=60)


@pytest.mark.integration
def test_a_folder_source_crawls_by_name_and_source_all_crawls_every_source(tmp_path, server):
    mine = folder(tmp_path / "mine", **{"my-room": profile_text("my-room")})
    dirs = {"PRESSBOT_PROFILE_DIRS": str(mine)}
    work = tmp_path / "work"
    result = run_crawl(work, server.url, "-a", "source=my-room", settings=dirs)
    assert result.returncode == 0, result.stderr[-2000:]
    records = result.records()
    assert len(records) == 15 and {r["source"] for r in records} == {"my-room"}
    assert list(result.summary["sources"]) == ["my-room"]

    every = run_crawl(work, server.url, "-a", "source=all", settings=dirs)
    assert every.returncode == 0, every.stderr[-2000:]
    assert sorted(every.summary["sources"]) == sorted([*SHIPPED, "my-room"])
    assert every.summary["sources"]["my-room"]["stop_reason"] == "caught up"
    written = {r["source"] for r in every.records()}
    assert written == {*SHIPPED, "my-room"}
    # Without the folder, the name is unknown again.
    gone = run_crawl(work, server.url, "-a", "source=my-room")
    assert (
        gone.returncode == outcome.BAD_CONFIG and "unknown source my-room; known: amnesty-ca" in gone.stderr
    )


@pytest.mark.integration
def test_several_profiles_in_one_argument(tmp_path, server):
    own = folder(tmp_path / "own", first=profile_text("first"), second=profile_text("second"))
    result = run_crawl(
        tmp_path / "work", server.url, "-a", f"profile={own / 'first.toml'},{own / 'second.toml'}"
    )
    assert result.returncode == 0, result.stderr[-2000:]
    by_source: dict[str, int] = {}
    for r in result.records():
        by_source[r["source"]] = by_source.get(r["source"], 0) + 1
    assert by_source == {"first": 15, "second": 15}
    assert sorted(result.summary["sources"]) == ["first", "second"]


@pytest.mark.integration
def test_bad_sources_exit_64_in_one_line_before_any_request(tmp_path, server):
    mine = folder(
        tmp_path / "mine",
        good=profile_text("good"),
        broken='name = "broken"\nbase_url = "{fixtures}/"\nstart_urls = ["x"]\n[listing]\nentry = "a..b"\n',
        **{"wp-news": profile_text("wp-news")},
    )
    (tmp_path / "a-file").write_text("")
    own = folder(tmp_path / "own", one=profile_text("twin"), two=profile_text("twin"))
    dirs = {"PRESSBOT_PROFILE_DIRS": str(mine)}
    cases = [
        (
            ("-a", "source=good"),
            {"PRESSBOT_PROFILE_DIRS": f"{tmp_path}/none"},
            f"{tmp_path}/none does not exist",
        ),
        (
            ("-a", "source=good"),
            {"PRESSBOT_PROFILE_DIRS": f"{tmp_path}/a-file"},
            "a-file is a file, not a folder",
        ),
        (("-a", "source=broken"), dirs, f"{mine / 'broken.toml'}: [listing.entry] CSS selector 'a..b'"),
        (("-a", "source=all"), dirs, f"{mine / 'broken.toml'}: [listing.entry]"),
        (("-a", "source=wp-news"), dirs, f"{mine / 'wp-news.toml'}: [name] source 'wp-news' is also "),
        (("-a", f"profile={own / 'one.toml'},{own / 'one.toml'}"), {}, "one.toml given twice"),
        (("-a", f"profile={own / 'one.toml'},{own / 'two.toml'}"), {}, "'twin' is also the name of"),
        (("-a", f"profile={own / 'one.toml'},{own / 'missing.toml'}"), {}, "missing.toml: [file] no such"),
    ]
    for args, settings_, message in cases:
        result = run_crawl(tmp_path / "work", server.url, *args, settings=settings_)
        assert result.returncode == outcome.BAD_CONFIG, (args, result.stderr[-2000:])
        # (Scrapy's own log goes to stderr too: the error is one line of it.)
        errors = [line for line in result.stderr.splitlines() if line.startswith("pressbot: error: ")]
        assert len(errors) == 1 and message in errors[0], (args, result.stderr[-2000:])
        assert "Traceback" not in result.stderr
    assert server.hits == []
    # A good source of the same folder still crawls.
    assert run_crawl(tmp_path / "work", server.url, "-a", "source=good", settings=dirs).returncode == 0


@pytest.mark.integration
def test_sources_command_lists_every_source_with_its_last_run(tmp_path, server):
    mine = folder(
        tmp_path / "mine",
        **{
            "my-room": profile_text("my-room"),
            "broken": "this is not [toml\n",
            "wp-news": profile_text("wp-news"),
        },
    )
    work = tmp_path / "work"
    dirs = {"PRESSBOT_PROFILE_DIRS": str(mine)}
    assert run_crawl(work, server.url, "-a", "source=amnesty-ca", settings=dirs).returncode == 0
    assert run_crawl(work, server.url, "-a", "source=my-room", settings=dirs).returncode == 0
    again = run_crawl(work, server.url, "-a", "source=my-room", settings=dirs)
    assert again.returncode == 0
    shown = scrapy(work, "sources", settings={**dirs, "PRESSBOT_FIXTURES_URL": server.url})
    # The broken profile and the clash are rows of their own, and make the status 64.
    assert shown.returncode == outcome.BAD_CONFIG
    assert shown.stderr == "pressbot: error: 2 sources cannot be loaded: broken, wp-news\n"
    lines = shown.stdout.splitlines()
    assert lines[0].split() == ["source", "title", "site", "last", "run"]
    rows = {line.split()[0]: line for line in lines[1:]}
    assert sorted(rows) == sorted([*SHIPPED, "broken", "my-room"])
    assert (
        rows["broken"].split(None, 1)[1].startswith(f"BROKEN: {mine / 'broken.toml'}: [file] not valid TOML")
    )
    assert f"BROKEN: {mine / 'wp-news.toml'}: [name] source 'wp-news' is also " in rows["wp-news"]
    # my-room's last run is the second (caught up, nothing new); amnesty-ca's an earlier one.
    room = rows["my-room"]
    assert "Amnesty International Canada: News" in room and f"{server.url}/amnesty-ca/" in room
    assert room.endswith("exit 0: caught up, 0 new, 0 revised") and again.summary["finished_at"] in room
    assert rows["amnesty-ca"].endswith("exit 0: end of archive, 15 new, 0 revised")
    assert rows["gouv-fr"].endswith("never run")

    listed = scrapy(work, "sources", "--json", settings=dirs)
    got = {row["name"]: row for row in json.loads(listed.stdout)}
    assert got["my-room"]["folder"] == str(mine) and got["my-room"]["error"] is None
    assert got["my-room"]["last_run"]["summary"] == str(sorted((work / "runs").glob("2*.json"))[-1])
    assert got["amnesty-ca"]["last_run"]["new"] == 15 and got["gouv-fr"]["last_run"] is None
    assert got["broken"]["title"] is None and "not valid TOML" in got["broken"]["error"]

    fine = scrapy(work, "sources")
    assert fine.returncode == 0 and fine.stderr == "" and len(fine.stdout.splitlines()) == 1 + len(SHIPPED)
    bad = scrapy(work, "sources", settings={"PRESSBOT_PROFILE_DIRS": str(mine / "my-room.toml")})
    assert bad.returncode == outcome.BAD_CONFIG and bad.stdout == ""
    assert bad.stderr == (
        f"pressbot: error: setting PRESSBOT_PROFILE_DIRS: {mine / 'my-room.toml'} is a file, "
        "not a folder of profiles\n"
    )


@pytest.mark.integration
def test_inspect_finds_a_folder_source_by_name(tmp_path):
    mine = folder(tmp_path / "mine", **{"my-room": profile_text("my-room")})
    page = str(ROOT / "fixtures" / "amnesty-ca" / "news" / "page-3.html")
    shown = scrapy(tmp_path, "inspect", "my-room", page, settings={"PRESSBOT_PROFILE_DIRS": str(mine)})
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.startswith(f"profile my-room ({mine / 'my-room.toml'})")
    unknown = scrapy(tmp_path, "inspect", "my-room", page)  # (without the folder: a file name)
    assert unknown.returncode == outcome.BAD_CONFIG
    assert "my-room: [file] no such profile file" in unknown.stderr
