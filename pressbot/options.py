"""Per-run options (spider arguments), validated into a typed model before any request."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


class ArgumentError(ValueError):
    """A spider argument that cannot be used; the message names it and says what is accepted."""


_TRUE, _FALSE = {"1", "true", "yes", "on"}, {"0", "false", "no", "off", ""}


@dataclass(frozen=True)
class RunOptions:
    #: Bundled profile names, or None for the default.
    sources: tuple[str, ...] | None = None
    #: A user's own profile file, instead of bundled ones.
    profile: str | None = None
    #: Listing pages to walk per source at most (the profile's max_pages also applies).
    max_pages: int | None = None
    #: Ignore entries published before this date, and stop walking past them.
    since: dt.date | None = None
    #: Walk every listing page even where releases are already known.
    full: bool = False

    @classmethod
    def parse(
        cls,
        source: str | None = None,
        profile: str | None = None,
        max_pages: str | int | None = None,
        since: str | None = None,
        full: str | bool | None = None,
        _job: str | None = None,
        **unknown: object,
    ) -> RunOptions:
        # scrapyd passes its job id as the argument _job; it needs no handling here.
        if unknown:
            raise ArgumentError(
                f"unknown argument(s) {', '.join(sorted(unknown))}; accepted: "
                "source, profile, max_pages, since, full"
            )
        sources = None
        if source is not None:
            sources = tuple(s.strip() for s in str(source).split(",") if s.strip())
            if not sources:
                raise ArgumentError("source: give one or more profile names, comma-separated")
        if source is not None and profile is not None:
            raise ArgumentError("give either source or profile, not both")
        if profile is not None and not str(profile).strip():
            raise ArgumentError("profile: give the path of a profile file")
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
        return cls(sources=sources, profile=profile, max_pages=pages, since=day, full=flag)


#: pressbot's numeric settings: name -> (type, least value).
_NUMERIC_SETTINGS = {
    "PRESSBOT_FLUSH_ITEMS": (int, 1),
    "PRESSBOT_FLUSH_SECONDS": (float, 0),
    "PRESSBOT_KNOWN_IN_A_ROW": (int, 0),
    "PRESSBOT_OVERLAP_PAGES": (int, 0),
    "PRESSBOT_IDLE_CLOSE": (float, 0),
    "PRESSBOT_RETRY_BACKOFF": (float, 0),
    "PRESSBOT_RETRY_MAX_DELAY": (float, 0),
}


def check_settings(settings) -> None:
    """Refuse a pressbot setting that cannot be used (``-s PRESSBOT_FLUSH_ITEMS=lots``) before
    any request, naming the setting and what it accepts."""
    for name, (kind, least) in _NUMERIC_SETTINGS.items():
        raw = settings.get(name)
        try:
            value = kind(raw)
        except (TypeError, ValueError):
            what = "a whole number" if kind is int else "a number"
            raise ArgumentError(f"setting {name}: {raw!r} is not {what}") from None
        if value < least:
            raise ArgumentError(f"setting {name}: {value} must be at least {least}")
