"""The destination guard in a real crawl: a profile whose start host is a name for the local
fixture server (``localhost``) crawls its own site, found by name or by address, and nothing
else on the machine."""

from __future__ import annotations

import socket

import pytest

from pressbot import outcome
from pressbot.synthetic import SyntheticSite
from tests.conftest import FIXTURES, run_crawl
from tests.faults import Faults

#: Real `scrapy crawl` processes and servers: the slow loop (README).
pytestmark = pytest.mark.integration

SYNTHETIC_DETAIL = str(FIXTURES / "synthetic" / "synthetic-detail.toml")
FAST = {"PRESSBOT_RETRY_BACKOFF": "0.05", "RETRY_TIMES": "0", "DOWNLOAD_TIMEOUT": "2"}


@pytest.fixture
def site():
    return SyntheticSite(releases=30, per_page=10)


def crawl(tmp_path, fixtures_url: str):
    return run_crawl(tmp_path, fixtures_url, "-a", f"profile={SYNTHETIC_DETAIL}", settings=FAST)


def test_a_start_host_named_localhost_crawls_its_own_site(tmp_path, serve, site):
    srv = serve(site.hook)
    result = crawl(tmp_path, srv.url.replace("127.0.0.1", "localhost"))
    assert result.returncode == outcome.OK, result.stderr[-3000:]
    records = result.records()
    assert len(records) == 30 and all(r["url"].startswith("http://localhost:") for r in records)
    assert all(r["body"] for r in records)  # every release page fetched
    source = result.summary["sources"]["synthetic"]
    assert source["traps"] == [] and source["stop_reason"] == "end of archive"


def test_its_site_by_address_too_but_not_another_port(tmp_path, serve, site):
    """Release links written with the address localhost resolves to are the same place; the
    same address on another port is not."""
    srv = serve()
    port = int(srv.url.rsplit(":", 1)[1])
    page = site.listing(1)
    page = page.replace(
        b'href="r/29.html"', f'href="http://127.0.0.1:{port}/synthetic/news/r/29.html"'.encode()
    )
    page = page.replace(
        b'href="r/28.html"', f'href="http://127.0.0.1:{port + 1}/synthetic/news/r/28.html"'.encode()
    )
    srv.hook = Faults(site.hook).on("/synthetic/news/index.html", ("body", page)).hook
    result = crawl(tmp_path, srv.url.replace("127.0.0.1", "localhost"))
    assert result.returncode == outcome.OK, result.stderr[-3000:]
    by_number = {int(r["url"].rsplit("/", 1)[1].split(".")[0]): r for r in result.records()}
    assert sorted(by_number) == list(range(30))
    assert by_number[29]["body"]  # fetched from 127.0.0.1, where localhost is
    assert by_number[28]["body"] is None  # refused: kept as the listing gives it
    [trap] = result.summary["sources"]["synthetic"]["traps"]
    assert trap["url"].startswith(f"http://127.0.0.1:{port + 1}/")
    assert "loopback, private or link-local address" in trap["problem"]


def _loopback_host_name() -> str | None:
    """This machine's host name, if it resolves to 127.0.0.1 alone (many hosts files say so)."""
    name = socket.gethostname()
    try:
        found = {info[4][0] for info in socket.getaddrinfo(name, 80, proto=socket.IPPROTO_TCP)}
    except OSError:
        return None
    return name if found == {"127.0.0.1"} and "." not in name and name != "localhost" else None


@pytest.mark.skipif(_loopback_host_name() is None, reason="this machine's name is not 127.0.0.1")
def test_a_start_host_name_that_resolves_to_loopback_crawls_its_own_site(tmp_path, serve, site):
    """Before, such a name was refused after DNS and the run reported a clean, empty walk."""
    srv = serve(site.hook)
    result = crawl(tmp_path, srv.url.replace("127.0.0.1", str(_loopback_host_name())))
    assert result.returncode == outcome.OK, result.stderr[-3000:]
    assert len(result.records()) == 30 and all(r["body"] for r in result.records())
    assert result.summary["sources"]["synthetic"]["traps"] == []
