"""A synthetic press room of any size, generated on request, for tests and the benchmark.

Release k (0 is the oldest) has a fixed slug, date, title and teaser, so the site can grow
(``publish``) and be edited (``edit``) between runs exactly as a real listing does: newest
first, everything shifting down a page as new releases appear. Pages weigh about 40 KB, like a
real CMS listing with its menus and footer.
"""

from __future__ import annotations

import datetime as dt
import html
import random
import time

_WORDS = (
    "government minister council report rights health workers court ruling agency "
    "community investment climate security privacy data review statement public budget "
    "programme education transport housing safety inquiry funding regional national "
    "international partners agreement consultation measures response crisis recovery"
).split()
_START = dt.date(2010, 1, 1)
_SUBMENU = "".join(f'<li><a href="#s{j}">Sub entry {j}</a></li>' for j in range(8))
_MENU = "".join(
    f'<li class="menu-item"><a href="#m{i}">Menu entry {i} for section {i % 7}</a>'
    f'<ul class="submenu">{_SUBMENU}</ul></li>'
    for i in range(24)
)
_FOOTER = "".join(
    f'<p class="legal">Legal notice paragraph {i}: ' + " ".join(_WORDS) + "</p>" for i in range(14)
)


class SyntheticSite:
    """A newest-first listing of ``releases`` entries, ``per_page`` a page, under ``prefix``."""

    def __init__(
        self,
        releases: int,
        per_page: int = 20,
        prefix: str = "/synthetic",
        delay: float = 0.0,
        detail_delay: float = 0.0,
        pinned: int = 0,
        featured: int | None = None,
    ) -> None:
        self.total = releases
        self.per_page = per_page
        #: The oldest ``pinned`` releases are pinned at the top of every page (sticky posts).
        self.pinned = pinned
        #: A release shown a second time, with another title, at the top of page 1.
        self.featured = featured
        self.prefix = prefix.rstrip("/")
        self.delay = delay
        self.detail_delay = detail_delay
        self.titles: dict[int, str] = {}

    # --- content -------------------------------------------------------------------------
    def publish(self, count: int) -> None:
        """New releases appear at the top; every older one shifts down."""
        self.total += count

    def edit(self, k: int, title: str) -> None:
        self.titles[k] = title

    @property
    def pages(self) -> int:
        return max(1, -(-(self.total - self.pinned) // self.per_page))

    def date(self, k: int) -> dt.date:
        return _START + dt.timedelta(days=k // 8)

    def title(self, k: int) -> str:
        if k in self.titles:
            return self.titles[k]
        rnd = random.Random(k)
        return f"Release {k}: " + " ".join(rnd.choice(_WORDS) for _ in range(8)).capitalize()

    def teaser(self, k: int) -> list[str]:
        rnd = random.Random(-k - 1)
        return [" ".join(rnd.choice(_WORDS) for _ in range(70)).capitalize() + "." for _ in range(2)]

    def listing(self, page: int) -> bytes | None:
        """Listing page ``page``; the page after the last is the listing's template with no
        entries (as a CMS view answers past its end), any later one None (404)."""
        if not 1 <= page <= self.pages + 1:
            return None
        top = self.total - 1 - (page - 1) * self.per_page
        shown = [*range(self.pinned - 1, -1, -1), *range(top, max(top - self.per_page, self.pinned - 1), -1)]
        if page == 1 and self.featured is not None:
            shown.insert(0, self.featured)
        rows = []
        for n, k in enumerate(shown):
            day = self.date(k)
            title = self.title(k)
            if page == 1 and n == 0 and self.featured is not None:
                title = f"Featured: {title}"
            paras = "".join(f"<p>{html.escape(p)}</p>" for p in self.teaser(k))
            rows.append(
                f'<article class="teaser" id="r{k}"><div class="meta"><span class="date">'
                f'{day.strftime("%d %B %Y")}</span> <span class="tags"><a href="#t">News</a></span>'
                f'</div><h2 class="title"><a href="r/{k}.html">{html.escape(title)}</a>'
                f'</h2><div class="teaser-body">{paras}</div></article>'
            )
        nav = [
            f'<a href="{self._page_href(n)}">{n}</a>'
            for n in range(max(1, page - 4), min(self.pages, page + 4) + 1)
        ]
        if page < self.pages:
            nav.append(f'<a rel="next" class="next" href="{self._page_href(page + 1)}">Next</a>')
        body = (
            '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Newsroom</title>'
            '</head><body><header><nav class="main-menu"><ul>' + _MENU + "</ul></nav></header>"
            '<main><h1>Newsroom</h1><div class="news-list">' + "".join(rows) + "</div>"
            '<nav class="pager">'
            + " ".join(nav)
            + "</nav></main><footer>"
            + _FOOTER
            + "</footer></body></html>"
        )
        return body.encode("utf-8")

    def detail(self, k: int) -> bytes | None:
        if not 0 <= k < self.total:
            return None
        paras = "".join(f"<p>{html.escape(p)}</p>" for p in self.teaser(k) * 3)
        return (
            f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{k}</title></head><body>'
            f'<article><h1>{html.escape(self.title(k))}</h1><time datetime="'
            f'{self.date(k).isoformat()}T09:00:00Z">{self.date(k):%d %B %Y}</time>'
            f'<div class="body">{paras}</div></article></body></html>'
        ).encode()

    def _page_href(self, n: int) -> str:
        return "index.html" if n == 1 else f"page-{n}.html"

    # --- serving -------------------------------------------------------------------------
    def hook(self, handler, path: str) -> bool:
        """A FixtureServer hook answering every path under the prefix."""
        if not path.startswith(self.prefix + "/"):
            return False
        rest = path[len(self.prefix) + 1 :]
        body = None
        if rest in ("news/", "news/index.html"):
            body = self.listing(1)
        elif rest.startswith("news/page-") and rest.endswith(".html"):
            body = self.listing(_int(rest[len("news/page-") : -len(".html")]))
        elif rest.startswith("news/r/") and rest.endswith(".html"):
            body = self.detail(_int(rest[len("news/r/") : -len(".html")]))
        if body is None:
            handler.send_whole(404, b"not found", "text/plain")
            return True
        pause = self.detail_delay if "/r/" in rest else self.delay
        if pause:
            time.sleep(pause)
        handler.send_whole(200, body)
        return True


def _int(text: str) -> int:
    return int(text) if text.isdigit() else -1
