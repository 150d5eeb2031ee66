"""Per-run options (spider arguments) and pressbot's settings, validated before any request."""

from __future__ import annotations

import datetime as dt
import math
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit


class ArgumentError(ValueError):
    """A spider argument that cannot be used; the message names it and says what is accepted."""


_TRUE, _FALSE = {"1", "true", "yes", "on"}, {"0", "false", "no", "off", ""}


@dataclass(frozen=True)
class RunOptions:
    #: Source names (shipped, or in PRESSBOT_PROFILE_DIRS; ``all``: every one), or None.
    sources: tuple[str, ...] | None = None
    #: Your own profile files (``-a profile=a.toml,b.toml``), crawled beside any sources.
    profiles: tuple[str, ...] = ()
    #: Listing pages to walk per source at most (the profile's max_pages also applies).
    max_pages: int | None = None
    #: Ignore entries published before this date, and stop walking past them.
    since: dt.date | None = None
    #: Walk every listing page even where releases are already known.
    full: bool = False
    #: A listing page to crawl with no profile: pressbot.discover finds its entries.
    url: str | None = None
    #: The job's id: scrapyd's ``_job`` argument (else PRESSBOT_JOB_ID), for the run summary.
    job: str | None = None
    #: The arguments as given (``_job`` aside), for the run summary.
    arguments: dict[str, str] = field(default_factory=dict, compare=False)

    @property
    def profile(self) -> str | None:
        """The profile files as ``-a profile`` gives them (comma-separated), or None."""
        return ",".join(self.profiles) if self.profiles else None

    @classmethod
    def parse(
        cls,
        source: str | None = None,
        profile: str | None = None,
        max_pages: str | int | None = None,
        since: str | None = None,
        full: str | bool | None = None,
        url: str | None = None,
        _job: str | None = None,
        **unknown: object,
    ) -> RunOptions:
        # scrapyd passes its job id as the argument _job: it names the run in its summary.
        if unknown:
            raise ArgumentError(
                f"unknown argument(s) {', '.join(sorted(unknown))}; accepted: "
                "source, profile, url, max_pages, since, full"
            )
        sources = None
        if source is not None:
            sources = tuple(s.strip() for s in str(source).split(",") if s.strip())
            if not sources:
                raise ArgumentError("source: give one or more profile names, comma-separated")
        files: tuple[str, ...] = ()
        if profile is not None:
            # (A path with a comma in it cannot be given here: PRESSBOT_PROFILE_DIRS can.)
            files = tuple(p.strip() for p in str(profile).split(",") if p.strip())
            if not files:
                raise ArgumentError("profile: give the path of a profile file (several: comma-separated)")
            twice = sorted({p for p in files if files.count(p) > 1})
            if twice:
                raise ArgumentError(f"profile: {', '.join(twice)} given twice: give each profile once")
        start = None
        if url is not None:
            start = str(url).strip()
            if source is not None or profile is not None:
                raise ArgumentError("give one of source, profile or url")
            parts = urlsplit(start)
            try:
                parts.port  # noqa: B018 - raises for a port out of range
            except ValueError as exc:
                raise ArgumentError(f"url: {start!r} is not a valid URL: {exc}") from None
            if parts.scheme not in ("http", "https") or not parts.hostname:
                raise ArgumentError(f"url: {start!r} is not an absolute http(s) URL")
        pages = None
        if max_pages is not None:
            try:
                pages = int(str(max_pages))
            except ValueError:
                raise ArgumentError(f"max_pages: {max_pages!r} is not a whole number") from None
            if pages < 1:
                raise ArgumentError(f"max_pages: {pages} must be at least 1")
        day = None
        if since is not None:
            try:
                day = dt.date.fromisoformat(str(since).strip())
            except ValueError:
                raise ArgumentError(f"since: {since!r} is not a date like 2020-07-15") from None
        if isinstance(full, bool):
            flag = full
        else:
            text = "" if full is None else str(full).strip().lower()
            if text not in _TRUE | _FALSE:
                raise ArgumentError(f"full: {full!r} must be 1 or 0")
            flag = text in _TRUE
        given = {
            "source": source,
            "profile": profile,
            "url": url,
            "max_pages": max_pages,
            "since": since,
            "full": full,
        }
        return cls(
            sources=sources,
            profiles=files,
            max_pages=pages,
            since=day,
            full=flag,
            url=start,
            job=None if _job is None else str(_job),
            arguments={k: str(v) for k, v in given.items() if v is not None},
        )


#: pressbot's numeric settings: name -> (type, least value).
_NUMERIC_SETTINGS = {
    "PRESSBOT_FLUSH_ITEMS": (int, 1),
    "PRESSBOT_FLUSH_SECONDS": (float, 0),
    "PRESSBOT_KNOWN_IN_A_ROW": (int, 0),
    "PRESSBOT_OVERLAP_PAGES": (int, 0),
    "PRESSBOT_IDLE_CLOSE": (float, 0),
    "PRESSBOT_RETRY_BACKOFF": (float, 0),
    "PRESSBOT_RETRY_MAX_DELAY": (float, 0),
    "PRESSBOT_LOCK_TTL": (float, 1),
    "PRESSBOT_STOP_TIMEOUT": (float, 0),
    "PRESSBOT_SILENCE_FACTOR": (float, 0),
    "PRESSBOT_SILENCE_MIN_DAYS": (float, 0),
    "PRESSBOT_PROGRESS_SECONDS": (float, 0),
    "PRESSBOT_RUNS_KEEP": (int, 0),
    "PRESSBOT_RUNS_MAX_AGE": (float, 0),
    "PRESSBOT_GC_THRESHOLD": (int, 0),
}
#: The settings that name files or folders pressbot writes.
_PATH_SETTINGS = ("PRESSBOT_OUTPUT", "PRESSBOT_STATE", "PRESSBOT_RUNS_DIR")
#: A worker id becomes part of a file name: no folders, no dot files.
_WORKER_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")
_REDIS = ("redis://", "rediss://", "unix://")


def check_settings(settings) -> None:
    """Refuse a pressbot setting that cannot be used (``-s PRESSBOT_FLUSH_ITEMS=lots``) before
    any request, naming the setting and what it accepts."""
    for name, (kind, least) in _NUMERIC_SETTINGS.items():
        raw = settings.get(name)
        try:
            value = kind(raw)
        except (TypeError, ValueError, OverflowError):
            what = "a whole number" if kind is int else "a number"
            raise ArgumentError(f"setting {name}: {raw!r} is not {what}") from None
        if not math.isfinite(value):
            raise ArgumentError(f"setting {name}: {raw!r} is not a finite number")
        if value < least:
            raise ArgumentError(f"setting {name}: {value} must be at least {least}")
    for name in _PATH_SETTINGS:
        raw = settings.get(name)
        if not isinstance(raw, str | os.PathLike) or not str(raw).strip():
            raise ArgumentError(f"setting {name}: empty: give a path")
        if "\0" in str(raw):
            raise ArgumentError(f"setting {name}: {str(raw)!r} holds a NUL character")
    for name in ("PRESSBOT_STATE", "PRESSBOT_REDIS_URL"):
        raw = settings.get(name)
        if isinstance(raw, str) and raw.startswith(_REDIS):
            problem = redis_url_problem(raw)
            if problem:
                raise ArgumentError(f"setting {name}: {raw!r} is not a usable Redis URL: {problem}")
    sites = settings.get("PRESSBOT_FIXTURES_DIR")
    if sites is not None and not Path(str(sites)).is_dir():
        raise ArgumentError(f"setting PRESSBOT_FIXTURES_DIR: {str(sites)!r} is not a folder")
    worker = settings.get("PRESSBOT_WORKER_ID")
    if worker is not None and not _WORKER_ID.fullmatch(str(worker)):
        raise ArgumentError(
            f"setting PRESSBOT_WORKER_ID: {str(worker)!r} must be letters, digits, '.', '-' or '_' "
            "(it becomes part of the output's file name), starting with a letter or digit"
        )


def redis_url_problem(url: str) -> str | None:
    """What is wrong with a Redis URL, or None (the client's own parser has the last word)."""
    parts = urlsplit(url)
    try:
        parts.port  # noqa: B018 - it raises for a port that is not a number in range
    except ValueError as exc:
        return str(exc)
    if parts.scheme != "unix":
        if not parts.hostname:
            return "no host"
        db = parts.path.strip("/")
        if db and not db.isdigit():
            return f"the database {db!r} is not a number"
    try:
        import redis
    except ImportError:
        return None  # opening the state says that the client is missing
    try:
        redis.ConnectionPool.from_url(url)
    except (ValueError, TypeError) as exc:
        return str(exc)
    return None


def check_paths(settings, spider: str = "releases") -> None:
    """Refuse, before any request, files that cannot be written or that would overwrite each
    other: the output, the state (and SQLite's files beside it), the run summaries and any
    ``-o``/``-O`` feed. Called once the output's ``{worker}`` is known (its final name)."""
    template = str(settings.get("PRESSBOT_OUTPUT"))
    worker = str(settings.get("PRESSBOT_WORKER_ID") or "")
    output = Path(template.replace("{worker}", worker))
    if "{worker}" in template and _real(output).parent != _real(Path(template)).parent:
        raise ArgumentError(f"setting PRESSBOT_WORKER_ID: {worker!r} would put the output outside its folder")
    state = str(settings.get("PRESSBOT_STATE"))
    runs = Path(str(settings.get("PRESSBOT_RUNS_DIR")))
    _check_file(output, "PRESSBOT_OUTPUT")
    _check_folder(runs, "PRESSBOT_RUNS_DIR")
    # Every file pressbot writes: (path, the setting it comes from, what it is).
    files: list[tuple[Path, str, str]] = []
    if not state.startswith(_REDIS):
        _check_file(Path(state), "PRESSBOT_STATE")
        files.append((Path(state), "PRESSBOT_STATE", "the state file"))
        files += [(Path(state + s), "PRESSBOT_STATE", f"the state's {s[1:]} file") for s in _SQLITE_FILES]
    files += [
        (runs, "PRESSBOT_RUNS_DIR", "the run summaries' folder"),
        (runs / "latest.json", "PRESSBOT_RUNS_DIR", "the latest run summary"),
        (output, "PRESSBOT_OUTPUT", "the output"),
        (Path(f"{output}.partial"), "PRESSBOT_OUTPUT", "the output's torn-line file"),
    ]
    seen: dict[Path, tuple[str, str]] = {}
    for path, name, what in files:
        real = _real(path)
        if real in seen and seen[real][0] != name:
            other, other_what = seen[real]
            raise ArgumentError(
                f"setting {name}: {path} ({what}) is also {other_what} ({other}): give each its own file"
            )
        seen.setdefault(real, (name, what))
    for uri in _feed_paths(settings.getdict("FEEDS"), spider):
        real = _real(uri)
        if real in seen:
            name, what = seen[real]
            raise ArgumentError(
                f"feed {uri} (-o/-O) would write to {what} ({name}): give the feed another file"
            )


#: The files SQLite keeps beside a database.
_SQLITE_FILES = ("-wal", "-shm", "-journal")


def _real(path: Path) -> Path:
    """A path with symbolic links resolved (as far as they exist), for comparing paths."""
    return Path(os.path.realpath(path))


def _check_file(path: Path, name: str) -> None:
    """``path`` can be a file pressbot writes: a regular file or none yet, not under a file."""
    if path.is_dir():
        raise ArgumentError(f"setting {name}: {path} is a folder: give a file path")
    if path.exists() and not path.is_file():
        raise ArgumentError(f"setting {name}: {path} is not a regular file")
    _check_folder(path.parent, name, of=path)


def _check_folder(folder: Path, name: str, of: Path | None = None) -> None:
    """``folder`` is, or can be made, a folder: no part of it is a file."""
    for part in (folder, *folder.parents):
        if part.exists():
            if not part.is_dir():
                what = f"{of} is under {part}" if of is not None else f"{folder} is under {part}"
                raise ArgumentError(f"setting {name}: {what}, which is a file, not a folder")
            return


def _feed_paths(feeds: dict, spider: str) -> Iterable[Path]:
    """The local files the crawl's feeds (``-o``/``-O``) write, where the name is fixed."""
    for uri in feeds:
        text = str(uri)
        if text.startswith("file://"):
            text = text[len("file://") :]
        elif re.match(r"[A-Za-z][A-Za-z0-9+.-]*://", text):
            continue  # s3://, ftp://, stdout:… are not local files
        if text.startswith("stdout:") or text == "-":
            continue
        text = text.replace("%(name)s", spider)
        if "%(" in text:
            continue  # a name made per batch or per time: it cannot be one of ours
        yield Path(text)


def given_settings(settings) -> dict[str, object]:
    """The PRESSBOT_ settings whose value is not pressbot's default, as the run's summary keeps
    them: plain JSON values, and the password of a URL (``redis://:secret@host``) masked."""
    from pressbot import settings as defaults

    given: dict[str, object] = {}
    for name, value in sorted(settings.items()):
        if not name.startswith("PRESSBOT_"):
            continue
        default = getattr(defaults, name, object())
        if value == default or (isinstance(value, str) and value == str(default)):  # ("-s X=5")
            continue
        if isinstance(value, os.PathLike):
            value = os.fspath(value)
        if not isinstance(value, str | int | float | bool | None):
            value = str(value)
        if name in _SECRET_SETTINGS and value is not None:
            value = "***"
        elif name in _WEBHOOK_SETTINGS and isinstance(value, str):
            value = _webhook_masked(value)
        given[name] = _masked(value) if isinstance(value, str) else value
    return given


#: Settings whose value is a secret, and webhooks whose path is one (a Slack URL's token): the
#: run summary never keeps them.
_SECRET_SETTINGS = {"PRESSBOT_ALERT_SMTP_PASSWORD"}
_WEBHOOK_SETTINGS = {"PRESSBOT_ALERT_WEBHOOK", "PRESSBOT_ALERT_SLACK_WEBHOOK"}


def _webhook_masked(value: str) -> str:
    """A URL's scheme and host, the rest ``***``."""
    try:
        parts = urlsplit(value)
        host = parts.hostname or ""
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return "***"
    return f"{parts.scheme}://{host}{port}/***" if parts.scheme and host else "***"


def _masked(value: str) -> str:
    """A URL's password replaced with ``***``; anything else as it is."""
    if "://" not in value or "@" not in value:
        return value
    try:
        parts = urlsplit(value)
    except ValueError:
        return value
    if not parts.password:
        return value
    userinfo, _, host = parts.netloc.rpartition("@")
    user = userinfo.partition(":")[0]
    return parts._replace(netloc=f"{user}:***@{host}").geturl()
