"""The bundled press rooms (fixtures/): where they are in any install, and how a URL maps to a page.

The shipped profiles' ``{fixtures}`` is ``https://fixtures.invalid`` (``ORIGIN``), a host that
can never resolve (RFC 6761), answered in-process by ``pressbot.middlewares.BundledSites`` from
the fixture sites that travel with the package: no server, no network, and the same record URLs
from an editable install, a wheel or a scrapyd egg. ``page`` maps a URL path (and query) to a
file as ``python -m pressbot.devserver`` serves it, since both call it: a folder path is its
``index`` page, ``name?query`` is the file ``name@query.<ext>``, an extension (``.html``,
``.json``, ``.xml``, ``.pdf``) may be left out, and a missing page is the nearest ``404.html``
above it. The content type is the found file's, whatever the URL says: ``download?id=7`` can
answer a PDF, and ``notice.pdf`` a page (from ``notice.pdf.html``).
"""

from __future__ import annotations

import mimetypes
from dataclasses import dataclass
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path, PurePosixPath
from urllib.parse import unquote

#: What ``{fixtures}`` means unless PRESSBOT_FIXTURES_URL says otherwise.
ORIGIN = "https://fixtures.invalid"
HOST = "fixtures.invalid"
#: The suffixes a path without one may stand for, in this order.
_SUFFIXES = ("", ".html", ".json", ".xml", ".pdf")


def sites() -> Traversable:
    """The folder of bundled fixture sites: ``pressbot/fixtures`` inside an installed wheel or
    egg (pyproject.toml maps the checkout's ``fixtures/`` there), else the checkout's own
    ``fixtures/`` (an editable install, or the source tree on ``sys.path``)."""
    packaged = resources.files("pressbot") / "fixtures"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parent.parent / "fixtures"


def url_of(file: Path, origin: str = ORIGIN, root: Traversable | None = None) -> str | None:
    """The URL a saved page under the sites folder (``root``, default ``sites()``) has on
    ``origin``, as the saved-page cases name it (``wp-news/page/2/index.html`` is
    ``{origin}/wp-news/page/2/index.html``); None for a file elsewhere."""
    folder = sites() if root is None else root
    if not isinstance(folder, Path):
        return None  # inside a zipped egg: no file of the file system is there
    try:
        relative = file.resolve().relative_to(folder.resolve())
    except ValueError:
        return None
    return f"{origin.rstrip('/')}/{relative.as_posix()}"


@dataclass(frozen=True)
class Page:
    """An answer: status, body and content type."""

    status: int
    body: bytes
    content_type: str
    #: The file it came from (None for the plain "not found").
    name: str | None = None


NOT_FOUND = Page(404, b"not found", "text/plain")


def page(root: Traversable, path: str, query: str = "") -> Page:
    """The page ``root`` holds for a URL's ``path`` (decoded) and ``query`` (as in the URL):
    see the module docstring. Nothing outside ``root`` is ever read."""
    parts = [p for p in path.split("/") if p]
    if any(p in (".", "..") or "\\" in p or "\0" in p for p in parts):
        return NOT_FOUND
    target = root.joinpath(*parts) if parts else root
    if path.endswith("/") or not parts or target.is_dir():
        folder, name = parts, "index"
    else:
        folder, name = parts[:-1], parts[-1]
    stem = f"{name}@{unquote(query)}" if query else name
    names = [stem] if not query and PurePosixPath(name).suffix else []
    names += [stem + suffix for suffix in _SUFFIXES]
    where = root.joinpath(*folder) if folder else root
    for candidate in names:
        found = where / candidate
        if found.is_file():
            ctype = mimetypes.guess_type(candidate)[0] or "application/octet-stream"
            if ctype.startswith("text/") or ctype.endswith(("xml", "json")):
                ctype += "; charset=utf-8"
            return Page(200, found.read_bytes(), ctype, candidate)
    # The site's own "not found" page when it has one, as static hosts and most CMSs answer
    # (WordPress past its last page).
    for depth in range(len(folder), -1, -1):
        above = root.joinpath(*folder[:depth]) if depth else root
        not_found = above / "404.html"
        if not_found.is_file():
            return Page(404, not_found.read_bytes(), "text/html; charset=utf-8", "404.html")
    return NOT_FOUND
