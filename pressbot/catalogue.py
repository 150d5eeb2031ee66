"""Which sources a run can see: the shipped profiles and your PRESSBOT_PROFILE_DIRS folders, by name.

A source's name is its file's name without ``.toml`` (``-a source=NAME``), and the profile's
``name`` key must say the same, so that the records, the state and the run summaries all call
it by the name it is crawled by. The same name in two places (two folders, or a folder and the
shipped profiles) is an error naming both files, never a guess at which one was meant; a
broken profile costs only itself where sources are listed (``scrapy sources``).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

from pressbot.options import ArgumentError, RunOptions
from pressbot.profiles import SOURCES_DIR, Profile, ProfileError, load_profile

#: The setting naming your folders of profiles.
SETTING = "PRESSBOT_PROFILE_DIRS"
#: ``-a source=all``: every source the catalogue holds.
ALL = "all"
#: The folder label of the profiles that ship with pressbot.
SHIPPED = "shipped"


@dataclass(frozen=True)
class SourceFile:
    """One profile file the catalogue holds."""

    name: str
    path: Path | Traversable
    #: The folder it is in, as the setting gives it, or SHIPPED.
    folder: str

    @property
    def shipped(self) -> bool:
        return self.folder == SHIPPED


def profile_dirs(value: Any) -> tuple[Path, ...]:
    """The folders PRESSBOT_PROFILE_DIRS names: a list of paths, or one string of paths separated
    by the OS path separator (``:`` here); empty parts are skipped. Each must be a folder that
    exists: a path that is missing or is a file is an ArgumentError naming the setting."""
    if value is None:
        return ()
    if isinstance(value, str | os.PathLike):
        parts: list[Any] = str(value).split(os.pathsep)
    elif isinstance(value, list | tuple):
        parts = list(value)
    else:
        raise ArgumentError(f"setting {SETTING}: {value!r} is not a list of folders")
    folders: list[Path] = []
    for part in parts:
        if not isinstance(part, str | os.PathLike):
            raise ArgumentError(f"setting {SETTING}: {part!r} is not a folder path")
        text = str(part).strip()
        if not text:
            continue
        if "\0" in text:
            raise ArgumentError(f"setting {SETTING}: {text!r} holds a NUL character")
        path = Path(text)
        if not path.exists():
            hint = f" (folders are separated by {os.pathsep!r})" if "," in text and os.pathsep != "," else ""
            raise ArgumentError(f"setting {SETTING}: {path} does not exist: give a folder of profiles{hint}")
        if not path.is_dir():
            raise ArgumentError(f"setting {SETTING}: {path} is a file, not a folder of profiles")
        folders.append(path)
    return tuple(folders)


class Catalogue:
    """Every source a run can see, by name; a name may have several files (a clash)."""

    def __init__(self, files: Iterable[SourceFile]) -> None:
        self.files: dict[str, list[SourceFile]] = {}
        seen: set[str] = set()
        for f in files:
            # The same file reached twice (a folder listed twice, a link to it) is one source.
            real = os.path.realpath(str(f.path))
            if real in seen:
                continue
            seen.add(real)
            self.files.setdefault(f.name, []).append(f)

    @classmethod
    def from_folders(cls, folders: Sequence[Path], shipped: Path | Traversable = SOURCES_DIR) -> Catalogue:
        """The shipped profiles, then each folder's ``*.toml`` files (not its subfolders)."""
        files = list(_listed(shipped, SHIPPED))
        for folder in folders:
            files += _listed(folder, str(folder))
        return cls(files)

    @classmethod
    def from_settings(cls, settings) -> Catalogue:
        return cls.from_folders(profile_dirs(settings.get(SETTING)))

    def names(self) -> list[str]:
        return sorted(self.files)

    def find(self, name: str) -> SourceFile:
        """The one file of source ``name``: unknown, or in two places, is a ProfileError."""
        found = self.files.get(name)
        if not found:
            where = ", ".join([str(SOURCES_DIR), *self._folders()])
            raise ProfileError(where, "source", f"unknown source {name}; known: {', '.join(self.names())}")
        if len(found) > 1:
            first, second = found[0], found[1]
            raise ProfileError(
                str(second.path),
                "name",
                f"source {name!r} is also {first.path}: two profiles cannot share a name; "
                f"rename one of the files ({SETTING})",
            )
        return found[0]

    def load(self, name: str, fixtures_url: str | None = None) -> Profile:
        """Load source ``name``; its profile's ``name`` must be its file's name."""
        source = self.find(name)
        if name == ALL:
            raise ProfileError(
                str(source.path),
                "name",
                f"{ALL!r} is reserved (-a source={ALL} crawls every source): rename the file",
            )
        profile = load_profile(source.path, fixtures_url)
        if profile.name != name:
            raise ProfileError(
                str(source.path),
                "name",
                f"{profile.name!r} is not the file's name {name!r}: a source is crawled by its "
                "file's name, so the two must be the same",
            )
        return profile

    def _folders(self) -> list[str]:
        return list(dict.fromkeys(f.folder for fs in self.files.values() for f in fs if not f.shipped))


def _listed(folder: Path | Traversable, label: str) -> list[SourceFile]:
    try:
        entries = sorted(folder.iterdir(), key=lambda p: p.name)
    except OSError as exc:
        raise ArgumentError(f"setting {SETTING}: cannot read {folder}: {exc.strerror or exc}") from None
    return [
        SourceFile(p.name[: -len(".toml")], p, label)
        for p in entries
        # (Dot files are editors' and tools' own: .#name.toml, ._name.toml.)
        if p.name.endswith(".toml") and not p.name.startswith(".") and not p.is_dir()
    ]


def run_profiles(settings, options: RunOptions) -> list[Profile]:
    """The profiles a run crawls: its ``-a source`` names (``all``: every source the catalogue
    holds) and its ``-a profile`` files, or PRESSBOT_DEFAULT_SOURCE when it gives neither. Two
    profiles with one name are a ProfileError naming both files."""
    fixtures = settings.get("PRESSBOT_FIXTURES_URL")
    catalogue = Catalogue.from_settings(settings)
    names: Sequence[str] = options.sources or ()
    if not names and not options.profiles:
        names = [
            n.strip() for n in str(settings.get("PRESSBOT_DEFAULT_SOURCE") or "").split(",") if n.strip()
        ]
        if not names:
            raise ArgumentError("setting PRESSBOT_DEFAULT_SOURCE: empty: give a source name")
    if ALL in names:
        # (A file called all.toml is among them, and refused when it is loaded.)
        names = [*catalogue.names(), *(n for n in names if n != ALL)]
    loaded: list[tuple[Profile, str]] = []
    for name in dict.fromkeys(names):
        loaded.append((catalogue.load(name, fixtures), str(catalogue.find(name).path)))
    loaded += [(load_profile(path, fixtures), path) for path in options.profiles]
    by_name: dict[str, str] = {}
    for profile, path in loaded:
        if profile.name in by_name:
            raise ProfileError(
                path,
                "name",
                f"{profile.name!r} is also the name of {by_name[profile.name]}: a run crawls each "
                "source once; give each profile its own name",
            )
        by_name[profile.name] = path
    return [p for p, _ in loaded]


# --- what `scrapy sources` shows ------------------------------------------------------------------
def describe(settings) -> list[dict[str, Any]]:
    """Every source the catalogue holds, by name: its title, site (base URL), file and folder,
    the outcome of its last run (the newest run summary in PRESSBOT_RUNS_DIR that walked it, or
    None), and ``error``, why it cannot be loaded (None when it can): a broken profile, or a name
    in two places, costs only its own row."""
    catalogue = Catalogue.from_settings(settings)
    fixtures = settings.get("PRESSBOT_FIXTURES_URL")
    names = catalogue.names()
    runs = last_runs(settings.get("PRESSBOT_RUNS_DIR"), names)
    rows = []
    for name in names:
        source = catalogue.files[name][-1]
        row: dict[str, Any] = {
            "name": name,
            "title": None,
            "site": None,
            "file": str(source.path),
            "folder": source.folder,
            "error": None,
        }
        try:
            profile = catalogue.load(name, fixtures)
        except ProfileError as exc:
            row["error"] = str(exc)
        else:
            row["title"], row["site"] = profile.title, profile.base_url
        row["last_run"] = runs.get(name)
        rows.append(row)
    return rows


def last_runs(runs_dir: Any, names: Iterable[str]) -> dict[str, dict[str, Any]]:
    """Source name -> how its last run went, from the newest run summary that walked it.

    Summaries are read newest first (their files are named by the time they were written) until
    every source is found; ``latest.json`` answers when the per-run files are gone. Files that
    cannot be read are skipped: they are not a run's outcome."""
    wanted = set(names)
    found: dict[str, dict[str, Any]] = {}
    folder = Path(str(runs_dir)) if runs_dir else None
    if folder is None or not folder.is_dir():
        return found
    files = sorted((p for p in folder.glob("*.json") if p.name != "latest.json"), reverse=True)
    for path in [*files, folder / "latest.json"]:
        if not wanted - found.keys():
            break
        summary = _read_summary(path)
        if summary is None or not isinstance(sources := summary.get("sources"), dict):
            continue
        for name in wanted - found.keys():
            walked = sources.get(name)
            if isinstance(walked, dict):
                found[name] = _outcome(summary, walked, path)
    return found


def _read_summary(path: Path) -> dict[str, Any] | None:
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return value if isinstance(value, dict) else None


def _outcome(summary: dict[str, Any], walked: dict[str, Any], path: Path) -> dict[str, Any]:
    def count(key: str) -> int:
        value = walked.get(key)
        return len(value) if isinstance(value, list) else 0

    return {
        "finished_at": summary.get("finished_at"),
        "exit_code": summary.get("exit_code"),
        "exit_meaning": summary.get("exit_meaning"),
        "stop_reason": walked.get("stop_reason"),
        "walk_complete": walked.get("walk_complete"),
        "new": walked.get("new", 0),
        "revised": walked.get("revised", 0),
        "errors": count("errors"),
        "drift": count("drift"),
        "summary": str(path),
    }


def outcome_line(run: dict[str, Any] | None) -> str:
    """A last run in a few words: when, the run's exit status, how the walk ended, what it
    found and what went wrong."""
    if run is None:
        return "never run"
    text = f"{run['finished_at']} exit {run['exit_code']}: {run['stop_reason'] or 'not walked'}"
    text += f", {run['new']} new, {run['revised']} revised"
    if run["errors"]:
        text += f", {run['errors']} error{'s' if run['errors'] != 1 else ''}"
    if run["drift"]:
        text += f", drift on {run['drift']} page{'s' if run['drift'] != 1 else ''}"
    return text
