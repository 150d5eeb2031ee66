"""pressbot from Python: ``crawl()`` runs one crawl and returns its summary and exit status.

    from pressbot.api import crawl
    result = crawl(sources=["amnesty-ca"], settings={"PRESSBOT_OUTPUT": "data/releases.jsonl"})
    result.exit_code, result.exit_meaning, result.summary["written"]

Every crawl runs as ``scrapy crawl releases`` in a child process: Twisted's reactor (and so
Scrapy's CrawlerProcess) can start only once in a process, and a notebook kernel already runs
an event loop of its own, so a crawl in the caller's process could run once and not in a
notebook at all. In a child it runs any number of times, from a script, a notebook or a
server, and ends exactly as the command does (the same exit statuses, summary, lock). What
the caller gives is checked here first: a bad argument, setting or profile raises a
ValueError subclass naming it (ArgumentError, ProfileError) before any crawl starts.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scrapy.settings import Settings

from pressbot import outcome
from pressbot.catalogue import describe, run_profiles
from pressbot.options import ArgumentError, RunOptions, check_paths, check_settings
from pressbot.profiles import ProfileError

__all__ = ["ArgumentError", "ProfileError", "Result", "crawl", "export", "sources"]

#: The project settings every crawl starts from; yours go on top.
SETTINGS_MODULE = "pressbot.settings"


@dataclass(frozen=True)
class Result:
    """How one crawl ended."""

    #: The exit status ``scrapy crawl`` would have given (pressbot.outcome; README's table).
    exit_code: int
    #: The run summary it wrote (PRESSBOT_RUNS_DIR), as a dict; ``{}`` if none could be written.
    summary: dict[str, Any] = field(default_factory=dict)
    #: Where that summary is.
    summary_path: Path | None = None
    #: The crawl's log (stderr of ``scrapy crawl``), unless LOG_FILE sent it to a file.
    log: str = ""

    @property
    def exit_meaning(self) -> str:
        return outcome.DESCRIPTIONS.get(self.exit_code, "unknown")

    @property
    def ok(self) -> bool:
        """A clean run (exit status 0), with or without new releases."""
        return self.exit_code == outcome.OK

    @property
    def written(self) -> int:
        """Records written (new or revised releases)."""
        return int(self.summary.get("written") or 0)

    @property
    def error(self) -> str | None:
        """The one-line error of a run refused at the start (the lock held, a corrupt state)."""
        return self.summary.get("error")


def crawl(
    sources: str | Iterable[str] | None = None,
    profiles: str | os.PathLike | Iterable[str | os.PathLike] | None = None,
    *,
    settings: Mapping[str, Any] | None = None,
    since: dt.date | str | None = None,
    max_pages: int | None = None,
    full: bool = False,
    echo: bool = False,
    url: str | None = None,
) -> Result:
    """Crawl ``sources`` (names: shipped, in PRESSBOT_PROFILE_DIRS, or ``"all"``) and
    ``profiles`` (your profile files); neither: PRESSBOT_DEFAULT_SOURCE. ``settings``: Scrapy
    and pressbot settings over pressbot's own (values: text, numbers, booleans, None, paths,
    lists and dicts of them). ``since``, ``max_pages``, ``full``: as ``-a since=…`` etc.
    ``echo``: copy the crawl's log to ``sys.stderr`` as it comes (a notebook shows it).
    ``url``: a listing to crawl with no profile (``-a url=…``; not with sources or profiles).

    Blocks until the crawl ends and returns its Result; raises ArgumentError or ProfileError
    (ValueErrors) for what is wrong before it starts. KeyboardInterrupt stops the crawl as
    SIGINT stops ``scrapy crawl`` (what it wrote is kept), then is raised."""
    args = _spider_args(sources, profiles, since, max_pages, full)
    if url is not None:
        args["url"] = str(url)
    values = _setting_values(settings)
    _check(values, args)
    with tempfile.TemporaryDirectory(prefix="pressbot-api-") as tmp:
        spec = Path(tmp) / "spec.json"
        result_file = Path(tmp) / "result.json"
        spec.write_text(json.dumps({"settings": values, "args": args, "result": str(result_file)}))
        code, log = _run_child(spec, echo)
        try:
            done = json.loads(result_file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            done = {}  # the child died before it could say (killed): its exit status says
    path = Path(done["summary_path"]) if done.get("summary_path") else None
    return Result(
        exit_code=done.get("exit_code", code),
        summary=done.get("summary") or {},
        summary_path=path,
        log=log,
    )


def sources(settings: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
    """Every source a crawl can see, as ``scrapy sources --json`` lists them: name, title,
    site, file, folder, ``error`` (why it cannot be loaded, or None) and ``last_run``."""
    return describe(_settings(_setting_values(settings)))


def export(
    output: str | os.PathLike,
    *,
    format: str | None = None,
    sources: str | Iterable[str] | None = None,
    files: Iterable[str | os.PathLike] | None = None,
    settings: Mapping[str, Any] | None = None,
) -> dict[str, int]:
    """``scrapy export -o OUTPUT``: each release's latest revision from PRESSBOT_OUTPUT (or
    ``files``), of ``sources`` (None: all), as ``format`` (None: from the extension). Returns
    the counts: releases written, records read, older revisions left out, lines skipped."""
    from scrapy.utils.python import without_none_values

    from pressbot.catalogue import Catalogue
    from pressbot.commands.export import _STATE_FILES, _dataset
    from pressbot.export import choose_format
    from pressbot.export import export as write_export

    if not isinstance(output, str | os.PathLike) or not str(output):
        raise ArgumentError(f"output: {output!r} is not a file path")
    if format is not None and not isinstance(format, str):
        raise ArgumentError(f"format: {format!r} is not a format name")
    wanted = set(_names("sources", sources).split(",")) if sources is not None else None
    s = _settings(_setting_values(settings))
    exporters = without_none_values(s.getwithbase("FEED_EXPORTERS"))
    out, fmt = choose_format(os.fspath(output), format, exporters)
    inputs = [os.fspath(f) for f in files] if files is not None else _dataset(s)
    state = str(s.get("PRESSBOT_STATE"))
    counts = write_export(
        inputs,
        out,
        fmt,
        exporters,
        sources=wanted,
        fields=s.getlist("FEED_EXPORT_FIELDS") or None,
        encoding=s.get("FEED_EXPORT_ENCODING") or "utf-8",
        indent=s.getint("FEED_EXPORT_INDENT"),
        protected=[] if "://" in state else [state + x for x in _STATE_FILES],
        known_sources=Catalogue.from_settings(s).names() if wanted else (),
    )
    return {
        "releases": counts.releases,
        "records": counts.records,
        "older": counts.older,
        "skipped": counts.skipped,
        "replaced": counts.replaced,
    }


# --- checking what the caller gave --------------------------------------------------------------
def _names(argument: str, value: Any) -> str:
    """Source names as ``-a source`` takes them: one string (comma-separated) or a list."""
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, Iterable) or isinstance(items, bytes | Mapping):
        raise ArgumentError(f"{argument}: {value!r} is not a source name or a list of them")
    names = []
    for item in items:
        if not isinstance(item, str):
            raise ArgumentError(f"{argument}: {item!r} is not a source name")
        names += [n.strip() for n in item.split(",") if n.strip()]
    if not names:
        raise ArgumentError(f"{argument}: give one or more source names")
    return ",".join(names)


def _paths(argument: str, value: Any) -> str:
    """Profile files as ``-a profile`` takes them: one path or a list of paths."""
    items = [value] if isinstance(value, str | os.PathLike) else value
    if not isinstance(items, Iterable) or isinstance(items, bytes | Mapping):
        raise ArgumentError(f"{argument}: {value!r} is not a profile path or a list of them")
    paths = []
    for item in items:
        if not isinstance(item, str | os.PathLike) or not str(os.fspath(item)).strip():
            raise ArgumentError(f"{argument}: {item!r} is not a profile path")
        text = str(os.fspath(item))
        if "," in text:
            raise ArgumentError(
                f"{argument}: {text!r} holds a comma: give a list of paths (or PRESSBOT_PROFILE_DIRS)"
            )
        paths.append(text)
    if not paths:
        raise ArgumentError(f"{argument}: give one or more profile files")
    return ",".join(paths)


def _spider_args(sources: Any, profiles: Any, since: Any, max_pages: Any, full: Any) -> dict[str, str]:
    """The ``-a`` arguments of the crawl, each checked (RunOptions has the last word)."""
    args: dict[str, str] = {}
    if sources is not None:
        args["source"] = _names("sources", sources)
    if profiles is not None:
        args["profile"] = _paths("profiles", profiles)
    if since is not None:
        if isinstance(since, dt.datetime) or not isinstance(since, dt.date | str):
            raise ArgumentError(f"since: {since!r} is not a date: give a datetime.date or 'YYYY-MM-DD'")
        args["since"] = since.isoformat() if isinstance(since, dt.date) else since
    if max_pages is not None:
        if isinstance(max_pages, bool) or not isinstance(max_pages, int):
            raise ArgumentError(f"max_pages: {max_pages!r} is not an int")
        args["max_pages"] = str(max_pages)
    if not isinstance(full, bool):
        raise ArgumentError(f"full: {full!r} must be True or False")
    if full:
        args["full"] = "1"
    return args


def _setting_values(settings: Any) -> dict[str, Any]:
    """The caller's settings as values a child process can be given (JSON): paths become text."""
    if settings is None:
        return {}
    if not isinstance(settings, Mapping):
        raise ArgumentError(f"settings: {settings!r} is not a dict of setting names and values")
    values: dict[str, Any] = {}
    for name, value in settings.items():
        if not isinstance(name, str) or not name:
            raise ArgumentError(f"settings: {name!r} is not a setting name")
        value = _plain(value)
        try:
            json.dumps(value, allow_nan=False)
        except (TypeError, ValueError):
            raise ArgumentError(
                f"settings[{name!r}]: {value!r} cannot be given to a crawl: use text, numbers, booleans, "
                "None, paths, or lists and dicts of them"
            ) from None
        values[name] = value
    return values


def _plain(value: Any) -> Any:
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    return value


def _settings(values: Mapping[str, Any]) -> Settings:
    s = Settings()
    s.setmodule(SETTINGS_MODULE, priority="project")
    s.setdict(dict(values), priority="cmdline")
    return s


def _check(values: Mapping[str, Any], args: Mapping[str, str]) -> None:
    """What the crawl checks before its first request, checked here (without the state or the
    lock, which only the run itself may open): raises as the crawl would exit 64."""
    from pressbot import distributed

    options = RunOptions.parse(**args)
    s = _settings(values)
    check_settings(s)
    if not options.url:  # (a URL's profile is its first page's)
        run_profiles(s, options)
    distributed.configure(s)
    check_paths(s)


# --- the child process ------------------------------------------------------------------------
def _run_child(spec: Path, echo: bool) -> tuple[int, str]:
    """Run the crawl of ``spec`` in a child; its exit status and log. Its own process group:
    a Ctrl-C reaches it once, from here, as one SIGINT (a graceful stop)."""
    env = {**os.environ, "SCRAPY_SETTINGS_MODULE": SETTINGS_MODULE, "PYTHONUNBUFFERED": "1"}
    # The child imports the very pressbot the caller did, wherever the caller's folder is.
    home = str(Path(__file__).resolve().parent.parent)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (home, os.environ.get("PYTHONPATH")) if p)
    proc = subprocess.Popen(
        [sys.executable, "-m", "pressbot.api", str(spec)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env=env,
        process_group=0,
    )
    lines: list[str] = []

    def read() -> None:
        assert proc.stdout is not None
        for raw in proc.stdout:
            line = raw.decode("utf-8", "replace")
            lines.append(line)
            if echo:
                sys.stderr.write(line)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    interrupted: KeyboardInterrupt | None = None
    while True:
        try:
            proc.wait()
            break
        except KeyboardInterrupt as exc:  # stop the crawl as Ctrl-C stops scrapy crawl, and wait
            interrupted = exc
            proc.send_signal(signal.SIGINT)
    reader.join()
    assert proc.stdout is not None
    proc.stdout.close()
    if interrupted is not None:
        raise interrupted
    return proc.returncode, "".join(lines)


def _child(spec_path: str) -> None:
    """In the child: ``scrapy crawl releases`` with the spec's arguments and settings (as
    values, not ``-s`` text); then say which run summary it wrote, and exit with its status."""
    from scrapy.cmdline import execute

    from pressbot import summary

    spec = json.loads(Path(spec_path).read_text(encoding="utf-8"))
    argv = ["scrapy", "crawl", "releases"]
    for name, value in spec["args"].items():
        argv += ["-a", f"{name}={value}"]
    code: int = outcome.INTERNAL_ERROR
    try:
        execute(argv, settings=_settings(spec["settings"]))
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else outcome.INTERNAL_ERROR)
    written = summary.WRITTEN[-1] if summary.WRITTEN else None
    summary_text: dict[str, Any] | None = None
    if written is not None:
        try:
            summary_text = json.loads(written.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            summary_text = None
    where = str(written.resolve()) if written else None
    done = {"exit_code": code, "summary_path": where, "summary": summary_text}
    Path(spec["result"]).write_text(json.dumps(done, ensure_ascii=False), encoding="utf-8")
    sys.exit(code)


if __name__ == "__main__":
    _child(sys.argv[1])
