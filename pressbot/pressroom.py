"""Finding an organisation's press room from its home page: the links whose text or path says
news, press or media, in the languages pressbot meets, ranked, each with the reason.

A pure function of the page's bytes (``find``); ``scrapy genprofile`` fetches the best few and
keeps the first that is a listing (pressbot.discover).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin, urlsplit

from pressbot.parsing import _base_url, page_from_bytes
from pressbot.text import element_text, squash

#: Link texts of press rooms, strongest first within each language (lower case, whole text).
PRESS_TEXTS = {
    3: (
        "press releases", "press release", "newsroom", "news room", "press room", "pressroom",
        "press centre", "press center", "media centre", "media center", "media releases",
        "communiqués de presse", "communiqués", "communiques de presse", "salle de presse",
        "espace presse", "pressemitteilungen", "pressemeldungen", "presseportal", "pressebereich",
        "notas de prensa", "sala de prensa", "comunicados de prensa", "comunicados",
        "persberichten", "perskamer", "comunicati stampa", "sala stampa", "notas à imprensa",
        "sala de imprensa", "comunicados de imprensa", "pressemeldinger", "pressemeddelelser",
        "pressmeddelanden", "tiedotteet", "komunikaty prasowe", "biuro prasowe",
        "пресс-релизы", "пресс-центр", "プレスリリース", "报道", "新闻发布", "新闻中心", "보도자료",
        "basın bültenleri", "δελτία τύπου",
    ),
    2: (
        "news", "latest news", "news & media", "news and media", "media", "press", "presse",
        "actualités", "actualites", "nouvelles", "aktuelles", "nachrichten", "neuigkeiten",
        "noticias", "prensa", "actualidad", "nieuws", "pers", "notizie", "stampa", "news e eventi",
        "notícias", "imprensa", "nyheter", "nyheder", "uutiset", "aktualności", "prasa",
        "новости", "ニュース", "お知らせ", "新闻", "新闻动态", "뉴스", "haberler", "basın", "ειδήσεις",
        "blog", "updates", "announcements", "stories",
    ),
}  # fmt: skip
#: Path segments of press rooms.
PRESS_PATHS = re.compile(
    r"(?:^|/)(?:press-?releases?|pressreleases|newsroom|press-?room|press|presse|media|"
    r"media-?releases|news|actualites|actualite|communiques?|pressemitteilungen|aktuelles|"
    r"nachrichten|noticias|prensa|sala-de-prensa|notas-de-prensa|nieuws|pers|notizie|"
    r"comunicati|stampa|noticias|imprensa|nyheter|nyheder|uutiset|aktualnosci|novosti|blog)"
    r"(?:/|$|\.|-)",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Pressroom:
    """A link that may lead to the press room, and why."""

    url: str
    text: str
    score: float
    why: str


def find(
    body: bytes, url: str, encoding: str = "utf-8", headers: Mapping[str, Any] | None = None
) -> list[Pressroom]:
    """The page's links that say press room, best first: by their text (a press release
    listing above news, above a blog), their path, and whether they stay on the site."""
    page = page_from_bytes(body, url, encoding, "html")
    root = page.root
    base = _base_url(root, url)
    host = (urlsplit(url).hostname or "").removeprefix("www.")
    found: dict[str, Pressroom] = {}
    for a in root.iter("a"):
        href = (a.get("href") or "").strip()
        if not href or href.startswith(("#", "javascript:", "mailto:", "tel:")):
            continue
        try:
            target = urljoin(base, href).split("#")[0]
        except ValueError:
            continue
        if not target.startswith(("http://", "https://", "file://")) or target.rstrip("/") == url.rstrip("/"):
            continue
        try:
            text = squash(element_text(a)).lower().strip(" :»›>")
        except Exception:
            continue
        label = (a.get("title") or a.get("aria-label") or "").lower().strip()
        score, why = 0.0, []
        for weight, texts in PRESS_TEXTS.items():
            if text in texts or label in texts:
                score += weight
                why.append(f"its text is {text or label!r}")
                break
        path = urlsplit(target).path
        if PRESS_PATHS.search(path):
            score += 1.0
            why.append(f"its path {path!r} says so")
        if not score:
            continue
        other = (urlsplit(target).hostname or "").removeprefix("www.")
        if other and other != host and not other.endswith("." + host):
            score -= 1.5
            why.append(f"it is on another site ({other})")
        if path.count("/") > 4:
            score -= 0.5  # a single release, not the room
        previous = found.get(target)
        if previous is None or previous.score < score:
            found[target] = Pressroom(target, text, score, ", ".join(why))
    return sorted((p for p in found.values() if p.score > 0), key=lambda p: -p.score)


def from_sitemap(body: bytes, url: str) -> list[Pressroom]:
    """A sitemap's (``/sitemap.xml``, a sitemap index too) URLs whose path says press room, as
    the rooms they are in (``/en/press/2024/budget.html`` is in ``/en/press/``), shortest path
    first."""
    found: dict[str, Pressroom] = {}
    for loc in re.findall(rb"<loc>\s*([^<\s]+)\s*</loc>", body[:5_000_000]):
        try:
            target = loc.decode("utf-8").replace("&amp;", "&")
        except UnicodeDecodeError:
            continue
        parts = urlsplit(target)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            continue
        segs = [s for s in parts.path.split("/") if s]
        for i, seg in enumerate(segs):
            if PRESS_PATHS.search(f"/{seg}/"):
                room = f"{parts.scheme}://{parts.netloc}/" + "/".join(segs[: i + 1]) + "/"
                found.setdefault(room, Pressroom(room, "", 1.0, f"the site's sitemap lists pages in {room}"))
                break
    return sorted(found.values(), key=lambda p: (len(urlsplit(p.url).path), p.url))
