"""Which sources a run can see: shipped profiles, PRESSBOT_PROFILE_DIRS folders, -a profile files."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from scrapy.settings import Settings

from pressbot.catalogue import Catalogue, profile_dirs, run_profiles
from pressbot.options import ArgumentError, RunOptions
from pressbot.profiles import ProfileError, available_sources
from tests.conftest import ROOT

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
