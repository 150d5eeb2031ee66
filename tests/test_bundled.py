"""The bundled press rooms in-process: URL -> page, the middleware that answers, and the package
configuration that ships them (every crawl of them runs in tests/test_install.py)."""

from __future__ import annotations

import asyncio
import tomllib
import zipfile
from pathlib import Path

import pytest
from scrapy.http import HtmlResponse, JsonResponse, Request, XmlResponse
from scrapy.utils.test import get_crawler

from pressbot import bundled
from pressbot.addresses import is_local_url
from pressbot.middlewares import BundledSitesMiddleware, SafeDestinationMiddleware
from pressbot.profiles import available_sources, load_profile
from tests.conftest import FIXTURES, ROOT

HTML, JSON, XML = (
    "text/html; charset=utf-8",
    "application/json; charset=utf-8",
    "application/xml; charset=utf-8",
)


@pytest.mark.parametrize(
    ("path", "query", "status", "ctype", "file"),
    [
        # a folder is its index page, with or without the slash
        ("/wp-news/category/press-releases/", "", 200, HTML, "wp-news/category/press-releases/index.html"),
        ("/wp-news/category/press-releases", "", 200, HTML, "wp-news/category/press-releases/index.html"),
        ("/amnesty-ca/news/page-2.html", "", 200, HTML, "amnesty-ca/news/page-2.html"),
        # name?query is the file name@query.<ext>; the query as the URL has it, decoded
        ("/drupal-views/news", "page=2", 200, HTML, "drupal-views/news@page=2.html"),
        (
            "/json-newsroom/api/releases",
            "offset=4&limit=4",
            200,
            JSON,
            "json-newsroom/api/releases@offset=4&limit=4.json",
        ),
        (
            "/json-newsroom/api/releases",
            "offset%3D4&limit=4",
            200,
            JSON,
            "json-newsroom/api/releases@offset=4&limit=4.json",
        ),
        # a path without its extension: .html, .json or .xml
        ("/feed-newsroom/feed", "", 200, XML, "feed-newsroom/feed.xml"),
        ("/drupal-views/news", "page=1", 200, HTML, "drupal-views/news@page=1.html"),
        # past the last page: the site's own 404 page, the nearest one above
        ("/wp-news/category/press-releases/page/4/", "", 404, HTML, "wp-news/404.html"),
        ("/drupal-views/news", "page=9", 404, "text/plain", None),
        ("/nowhere", "", 404, "text/plain", None),
        # nothing outside the folder, however the path is written
        ("/../pyproject.toml", "", 404, "text/plain", None),
        ("/wp-news/../../README.md", "", 404, "text/plain", None),
        ("/wp-news/\0", "", 404, "text/plain", None),
    ],
)
def test_a_url_is_the_file_devserver_serves(path, query, status, ctype, file):
    found = bundled.page(FIXTURES, path, query)
    assert (found.status, found.content_type) == (status, ctype)
    if file is not None:
        assert found.body == (FIXTURES / file).read_bytes()
    else:
        assert found.body == b"not found"


def test_the_pages_read_the_same_from_a_zipped_egg(tmp_path):
    """scrapyd runs an egg as a zip: the sites are read from inside it, page for page."""
    egg = tmp_path / "pressbot.egg"
    with zipfile.ZipFile(egg, "w") as z:
        for f in FIXTURES.rglob("*"):
            if f.is_file():
                z.write(f, f"pressbot/fixtures/{f.relative_to(FIXTURES).as_posix()}")
    inside = zipfile.Path(egg, "pressbot/fixtures/")
    for path, query in [
        ("/wp-news/category/press-releases/", ""),
        ("/wp-news/category/press-releases/page/9/", ""),
        ("/drupal-views/news", "page=3"),
        ("/json-newsroom/api/releases", "offset=8&limit=4"),
        ("/feed-newsroom/atom", ""),
        ("/amnesty-ca/news/", ""),
        ("/../x", ""),
    ]:
        assert bundled.page(inside, path, query) == bundled.page(FIXTURES, path, query), path


def test_a_checkout_serves_its_own_fixtures_folder():
    # (an installed wheel or egg has pressbot/fixtures instead: tests/test_install.py)
    assert Path(str(bundled.sites())) == FIXTURES


def answer(url: str, root=FIXTURES):
    return BundledSitesMiddleware(root).process_request(Request(url))


@pytest.mark.parametrize(
    ("url", "kind", "status"),
    [
        ("https://fixtures.invalid/amnesty-ca/news/index.html", HtmlResponse, 200),
        ("https://fixtures.invalid/json-newsroom/api/releases?offset=0&limit=4", JsonResponse, 200),
        ("https://fixtures.invalid/feed-newsroom/feed", XmlResponse, 200),
        ("https://fixtures.invalid/wp-news/category/press-releases/page/7/", HtmlResponse, 404),
        ("http://fixtures.invalid/wp-news/category/press-releases/", HtmlResponse, 200),
        ("https://fixtures.invalid/robots.txt", None, 404),
    ],
)
def test_the_middleware_answers_the_bundled_origin_as_a_server_would(url, kind, status):
    response = answer(url)
    assert response.status == status and response.url == url
    if kind is not None:
        assert type(response) is kind
    assert int(response.headers[b"Content-Length"]) == len(response.body)


@pytest.mark.parametrize(
    "url",
    [
        "https://press.example.org/news/",
        "https://fixtures.invalid.example.org/news/",
        "https://example.org/fixtures.invalid/",
        "file:///srv/fixtures.invalid/news.html",
    ],
)
def test_every_other_request_goes_to_the_downloader(url):
    assert answer(url) is None


def test_a_folder_of_your_own_is_answered_instead(tmp_path):
    (tmp_path / "mine" / "news").mkdir(parents=True)
    (tmp_path / "mine" / "news" / "index.html").write_text("<html>mine</html>")
    assert answer("https://fixtures.invalid/mine/news/", tmp_path).body == b"<html>mine</html>"
    assert answer("https://fixtures.invalid/amnesty-ca/news/", tmp_path).status == 404


def test_the_bundled_origin_is_local_and_never_asked_of_dns():
    assert is_local_url("https://fixtures.invalid/wp-news/")  # no AutoThrottle for it

    async def no_dns(host, port):
        raise AssertionError(f"asked DNS for {host}")

    # Outside a run (scrapy fetch, scrapy shell) as inside one.
    guard = SafeDestinationMiddleware(get_crawler().stats, {}, resolve=no_dns)
    assert asyncio.run(guard.process_request(Request("https://fixtures.invalid/robots.txt"))) is None


def test_every_shipped_profile_is_on_the_bundled_origin_by_default():
    for name, path in available_sources().items():
        profile = load_profile(path)
        assert profile.base_url == f"{bundled.ORIGIN}/{name.removesuffix('-atom')}/", name
        assert list(profile.allowed_domains) == ["fixtures.invalid"], name


def test_every_package_and_the_fixtures_are_in_the_wheel_configuration():
    """A package left out of pyproject's list would be missing from every regular install."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    packages = {".".join(p.parent.relative_to(ROOT).parts) for p in (ROOT / "pressbot").rglob("__init__.py")}
    assert set(config["packages"]) == packages | {"pressbot.fixtures"}
    assert config["package-dir"] == {"pressbot.fixtures": "fixtures"}
    assert config["package-data"]["pressbot.fixtures"] == ["**/*"]


def test_a_saved_page_of_the_sites_stands_for_its_url_on_the_origin(tmp_path):
    """`scrapy inspect amnesty-ca fixtures/amnesty-ca/news/page-3.html` reads its links as the
    crawl does (the saved-page cases name their pages the same way)."""
    page = FIXTURES / "amnesty-ca" / "news" / "page-3.html"
    assert bundled.url_of(page) == "https://fixtures.invalid/amnesty-ca/news/page-3.html"
    assert (
        bundled.url_of(page, "http://127.0.0.1:8000/") == "http://127.0.0.1:8000/amnesty-ca/news/page-3.html"
    )
    (tmp_path / "mine" / "news").mkdir(parents=True)
    (tmp_path / "mine" / "news" / "index.html").write_text("<html/>")
    assert bundled.url_of(tmp_path / "mine" / "news" / "index.html", root=tmp_path) == (
        "https://fixtures.invalid/mine/news/index.html"
    )
    assert bundled.url_of(tmp_path / "mine" / "news" / "index.html") is None  # not under the sites
