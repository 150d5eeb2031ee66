"""Source profiles: load a press room's declarative TOML file and validate it into a typed Profile."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import sys
import tomllib
import warnings
import zoneinfo
from dataclasses import dataclass, field
from functools import cached_property
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import jmespath
from cssselect import SelectorError
from lxml import etree
from parsel.csstranslator import css2xpath

from pressbot import bundled, silence
from pressbot.fields import BY_NAME, DETAIL_FIELDS, FIELDS, LISTING_FIELDS, REQUIRED_LISTING_FIELDS
from pressbot.profile_keys import keys_of

#: The bundled profiles, read through importlib.resources so that they load from an egg too
#: (scrapyd runs zipped eggs).
SOURCES_DIR = resources.files("pressbot") / "sources"
FIXTURES_DIR = Path(__file__).resolve().parent.parent / "fixtures"

#: Field keys renamed, old -> new, by table. A selector's key is the item field it fills; the
#: listing's date text and the detail page's timestamp were both once called "published", which
#: is also the name of the ISO date normalisation makes. The old key still loads, with a warning.
RENAMED_FIELD_KEYS = {
    "listing.fields": {"published": "published_raw"},
    "detail.fields": {"published": "published_at"},
}
FORMATS = keys_of("listing")["format"].choices
PAGINATIONS = keys_of("listing")["pagination"].choices
#: Where selectors are tried once at load: an XPath that cannot run fails there, not mid-crawl.
_EMPTY_PAGE = etree.fromstring("<html><head/><body/></html>")
#: A call of XPath's id() function (not an attribute such as @data-id or a name ending in id).
_XPATH_ID = re.compile(r"(?<![\w.:@$-])id\s*\(")

_DATE_ORDERS = set(keys_of("dates")["order"].choices)
#: A selector's last step reads text or an attribute: a match with no elements inside.
_SELECTS_TEXT = re.compile(r"(::text|::attr\([^)]*\)|/@[\w:*-]+|text\(\)|/@\*)\s*$")


class ProfileError(ValueError):
    """A profile that cannot be used; the message names the file, the key and the problem."""

    def __init__(self, path: str | Path, key: str, problem: str) -> None:
        self.path, self.key, self.problem = str(path), key, problem
        super().__init__(f"{path}: [{key}] {problem}")


class ProfileWarning(UserWarning):
    """A profile that loads, but has a setting that does nothing (``[detail.fields]`` without
    ``follow = true``); the message names the file, the key and why."""


class ProfileDeprecationWarning(DeprecationWarning):
    """A profile that loads, but uses a key that has a new name; the message names the file,
    the old key and the new one."""


def show_deprecations() -> None:
    """Let ProfileDeprecationWarning through for the rest of the process, for commands to call:
    Python hides every DeprecationWarning not raised in __main__, and the person who can rename
    a profile's keys is the one running the command. A -W option given by the user stands."""
    if not sys.warnoptions:
        warnings.simplefilter("default", ProfileDeprecationWarning)


@dataclass(frozen=True)
class Selector:
    """One compiled selector: CSS or XPath as the user wrote it, and the XPath it runs as."""

    kind: str  # "css", "xpath" or "jmes" (JMESPath, for JSON listings)
    query: str
    xpath: str  # the XPath it runs as; for jmes, the JMESPath expression
    all: bool = False  # keep every match (joined as paragraphs) instead of the first
    html: bool = False  # the matched text is itself HTML (RSS descriptions): take its text
    #: XPaths, relative to a match, of elements whose text is left out of it.
    exclude: tuple[str, ...] = ()
    #: The text keeps its lines and paragraphs (the field's format: pressbot.fields).
    layout: bool = False

    def __str__(self) -> str:
        return f"{self.kind}:{self.query}"


@dataclass(frozen=True)
class Profile:
    """A validated press-room profile. Everything site-specific lives here."""

    name: str
    path: str
    title: str
    base_url: str
    start_urls: tuple[str, ...]
    allowed_domains: tuple[str, ...]
    entry: Selector
    fields: dict[str, Selector]
    next_page: Selector | None
    max_pages: int
    format: str = "html"
    pagination: str = "next"
    pager: Selector | None = None
    template: str | None = None
    first: int = 1
    step: int = 1
    date_formats: tuple[str, ...] = ()
    date_languages: tuple[str, ...] = ("en",)
    date_order: str | None = None
    date_pattern: str | None = None
    #: Entries may print no date: kept with a null date and the reason, not dropped.
    date_optional: bool = False
    #: The publisher's IANA time zone: the local day of timestamps in UTC or with no offset.
    date_timezone: str | None = None
    detail_fields: dict[str, Selector] = field(default_factory=dict)
    follow_detail: bool = False
    min_entries: int = 1
    max_missing_share: float = 0.5
    #: How long the source may go without a release (None: never silent; silence.LEARN: a
    #: multiple of its usual gap, see pressbot.silence).
    max_silence: dt.timedelta | None | str = silence.LEARN
    #: The pages after the start pages, where they are JSON (``[listing.json]``): this profile
    #: with that table's entry, fields and next_page, format "json".
    later: Profile | None = None

    def for_page(self, page_no: int) -> Profile:
        """The profile that reads listing page ``page_no`` of a walk (1: a start page)."""
        return self if self.later is None or page_no <= 1 else self.later

    @cached_property
    def uses_xpath_id(self) -> bool:
        """Whether a selector calls XPath's id(): pages must then be parsed with their table of
        id attributes, which is otherwise skipped (it costs 3% of a page's parse)."""
        selectors = [
            self.entry,
            self.next_page,
            self.pager,
            *self.fields.values(),
            *self.detail_fields.values(),
        ]
        return any(_XPATH_ID.search(s.xpath) for s in selectors if s is not None and s.kind != "jmes")

    @property
    def required_fields(self) -> tuple[str, ...]:
        """The fields a record of this source must have (validation drops one lacking any): the
        table's required fields, less those the profile declares optional (the printed date,
        with ``[dates] optional = true``)."""
        return tuple(f.name for f in FIELDS if f.required and not (f.profile_optional and self.date_optional))


def available_sources(directory=SOURCES_DIR) -> dict[str, Path]:
    """Profile name -> file, for every bundled profile."""
    files = sorted((p for p in directory.iterdir() if p.name.endswith(".toml")), key=lambda p: p.name)
    return {p.name[: -len(".toml")]: p for p in files}


def load_sources(names: str, fixtures_url: str | None = None, directory=SOURCES_DIR) -> list[Profile]:
    """Load bundled profiles by comma-separated name; unknown names are an error listing the known."""
    known = available_sources(directory)
    wanted = [n.strip() for n in names.split(",") if n.strip()]
    if not wanted:
        raise ProfileError(directory, "source", "no source name given")
    missing = [n for n in wanted if n not in known]
    if missing:
        raise ProfileError(
            directory, "source", f"unknown source {', '.join(missing)!s}; known: {', '.join(known)}"
        )
    return [load_profile(known[n], fixtures_url) for n in dict.fromkeys(wanted)]


def load_profile(path, fixtures_url: str | None = None) -> Profile:
    """Read and validate one profile file. ``{fixtures}`` in URLs becomes ``fixtures_url``
    (default: the bundled sites' origin, answered in-process)."""
    path = Path(path) if isinstance(path, str) else path
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ProfileError(path, "file", "no such profile file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ProfileError(path, "file", f"cannot read: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ProfileError(path, "file", f"not valid TOML: {exc}") from None
    except RecursionError:
        raise ProfileError(path, "file", "not valid TOML: arrays or tables nested too deeply") from None
    return parse_profile(raw, path, fixtures_url or bundled.ORIGIN)


def parse_profile(raw: dict[str, Any], path: str | Path, fixtures_url: str) -> Profile:
    """Validate a profile's parsed TOML. Every error names the offending key; a setting that
    does nothing is a ProfileWarning naming it."""
    notes: list[tuple[str, str]] = []  # (key, why it does nothing): warned once loaded
    _no_unknown(raw, set(keys_of("")), path, "")
    if "$schema" in raw and not isinstance(raw["$schema"], str):
        raise ProfileError(path, "$schema", "must be a string (the schema's URL or path, for editors)")
    name = _string(raw, "name", path)
    if not name.replace("-", "").replace("_", "").isalnum():
        raise ProfileError(path, "name", f"{name!r} must be letters, digits, '-' or '_'")
    base_url = _url(
        _string(raw, "base_url", path).replace("{fixtures}", fixtures_url.rstrip("/")), path, "base_url"
    )
    if not base_url.endswith("/"):
        base_url += "/"
    starts = raw.get("start_urls")
    if not isinstance(starts, list) or not starts or not all(isinstance(s, str) for s in starts):
        raise ProfileError(path, "start_urls", "must be a non-empty list of URLs")
    start_urls = tuple(
        _url(s.replace("{fixtures}", fixtures_url.rstrip("/")), path, f"start_urls[{i}]", base=base_url)
        for i, s in enumerate(starts)
    )
    domains = raw.get("allowed_domains")
    if domains is None:
        domains = sorted({h for u in start_urls if (h := urlsplit(u).hostname)})
    elif not isinstance(domains, list) or not all(isinstance(d, str) and d for d in domains):
        raise ProfileError(path, "allowed_domains", "must be a list of host names")
    title = raw.get("title", name)  # (any TOML value loads, as its text, as it always did)

    listing = _table(raw, "listing", path, required=True)
    _no_unknown(listing, set(keys_of("listing")), path, "listing.")
    fmt = listing.get("format", "html")
    if fmt not in FORMATS:
        raise ProfileError(path, "listing.format", f"{fmt!r} must be one of {', '.join(FORMATS)}")
    sel_kinds = ("jmes",) if fmt == "json" else ("css", "xpath")
    entry = _given(
        _selector(
            listing.get("entry"),
            path,
            "listing.entry",
            required=True,
            kinds=sel_kinds,
            nodes=True,
            notes=notes,
        )
    )
    # A listing that prints no dates may leave them to its release pages (pressbot.pagedates).
    detail_raw = raw.get("detail")
    dated_by_pages = isinstance(detail_raw, dict) and detail_raw.get("follow") is True
    fields = _fields(listing, "listing", path, sel_kinds, notes, dated_by_pages)
    next_page = _selector(
        listing.get("next_page"), path, "listing.next_page", default_all=True, kinds=sel_kinds, notes=notes
    )
    max_pages = _int(listing, "max_pages", 1000, 1, path, "listing.")
    pagination = listing.get("pagination", "next")
    if pagination not in PAGINATIONS:
        raise ProfileError(
            path, "listing.pagination", f"{pagination!r} must be one of {', '.join(PAGINATIONS)}"
        )
    pager = _selector(
        listing.get("pager"),
        path,
        "listing.pager",
        default_all=True,
        required=pagination == "pager",
        kinds=sel_kinds,
        notes=notes,
    )
    template = listing.get("template")
    if pagination == "template":
        if not isinstance(template, str) or "{n}" not in template:
            raise ProfileError(
                path,
                "listing.template",
                'required for pagination = "template": a URL with {n}, e.g. "news?page={n}"',
            )
        _url(template.replace("{n}", "1"), path, "listing.template", base=base_url)
    elif template is not None:
        raise ProfileError(path, "listing.template", 'only used with pagination = "template"')
    first = _int(listing, "first", 1, 0, path, "listing.")
    step = _int(listing, "step", 1, 1, path, "listing.")
    if pagination != "pager" and "pager" in listing:
        notes.append(
            ("listing.pager", f'is only read with pagination = "pager" (this one is "{pagination}")')
        )
    if pagination == "pager" and "next_page" in listing:
        notes.append(("listing.next_page", 'is not read with pagination = "pager": the pager leads on'))
    if pagination == "template" and "next_page" in listing:
        notes.append(("listing.next_page", 'is not read with pagination = "template": the template leads on'))
    for key in ("first", "step"):
        if pagination != "template" and key in listing:
            notes.append((f"listing.{key}", 'is only read with pagination = "template"'))

    later_spec = _table(listing, "json", path, prefix="listing.")
    if "json" in listing:
        _no_unknown(later_spec, set(keys_of("listing.json")), path, "listing.json.")
        if fmt != "html":
            raise ProfileError(
                path,
                "listing.json",
                f'is for an HTML listing whose later pages are JSON; this listing is format = "{fmt}"',
            )
        if pagination == "pager":
            raise ProfileError(
                path,
                "listing.json",
                'cannot follow a pager: a JSON page has none; use pagination = "next" (each page\'s '
                'next_page) or "template"',
            )
        if pagination == "next" and next_page is None:
            raise ProfileError(
                path,
                "listing.next_page",
                "required with [listing.json]: the link from the HTML page to the first JSON page, "
                'e.g. "button.load-more::attr(data-next)"',
            )

    dates = _table(raw, "dates", path)
    _no_unknown(dates, set(keys_of("dates")), path, "dates.")
    formats = _strings(dates, "formats", path, "dates.")
    for f in formats:
        if "%" not in f:
            raise ProfileError(path, "dates.formats", f"{f!r} is not a strptime format")
    languages = _strings(dates, "languages", path, "dates.") or ["en"]
    order = dates.get("order")
    if order is not None and order not in _DATE_ORDERS:
        raise ProfileError(path, "dates.order", f"{order!r} must be one of {sorted(_DATE_ORDERS)}")

    pattern = dates.get("pattern")
    if pattern is not None:
        try:
            if not isinstance(pattern, str) or not pattern:
                raise re.error("must be a non-empty string")
            re.compile(pattern)
        except re.error as exc:
            raise ProfileError(path, "dates.pattern", f"not a regular expression: {exc}") from None
    optional = dates.get("optional", False)
    if not isinstance(optional, bool):
        raise ProfileError(path, "dates.optional", "must be true or false")
    timezone = dates.get("timezone")
    if timezone is not None:
        try:
            if not isinstance(timezone, str):
                raise ValueError("not a string")
            zoneinfo.ZoneInfo(timezone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
            raise ProfileError(
                path,
                "dates.timezone",
                f"unknown time zone {timezone!r}: give an IANA name such as "
                '"Europe/Paris", "America/New_York" or "UTC"',
            ) from None

    detail = _table(raw, "detail", path)
    _no_unknown(detail, set(keys_of("detail")), path, "detail.")
    detail_specs = _renamed(_table(detail, "fields", path, prefix="detail."), path, "detail.fields")
    _no_unknown(detail_specs, set(DETAIL_FIELDS), path, "detail.fields.")
    detail_fields = {
        k: _given(
            _selector(
                v,
                path,
                f"detail.fields.{k}",
                default_all=BY_NAME[k].keeps_all,
                layout=BY_NAME[k].keeps_layout,
                notes=notes,
            )
        )
        for k, v in detail_specs.items()
    }
    follow = detail.get("follow", False)
    if not isinstance(follow, bool):
        raise ProfileError(path, "detail.follow", "must be true or false")
    if detail_fields and not follow:
        notes.append(
            (
                "detail.fields",
                "does nothing without [detail] follow = true: release pages are not fetched (only "
                "`scrapy inspect --detail` reads the table); set follow = true, or remove the table",
            )
        )

    checks = _table(raw, "checks", path)
    _no_unknown(checks, set(keys_of("checks")), path, "checks.")
    min_entries = checks.get("min_entries", 1)
    if not isinstance(min_entries, int) or isinstance(min_entries, bool) or min_entries < 0:
        raise ProfileError(path, "checks.min_entries", "must be a whole number of at least 0")
    share = checks.get("max_missing_share", 0.5)
    if not isinstance(share, int | float) or isinstance(share, bool) or not 0 <= share <= 1:
        raise ProfileError(path, "checks.max_missing_share", "must be a number from 0 to 1")
    max_silence: dt.timedelta | None | str = silence.LEARN
    if "max_silence" in checks:
        try:
            max_silence = silence.parse_duration(checks["max_silence"])
        except silence.SilenceError as exc:
            raise ProfileError(path, "checks.max_silence", str(exc)) from None

    profile = Profile(
        name=name,
        path=str(path),
        title=str(title),
        base_url=base_url,
        start_urls=start_urls,
        allowed_domains=tuple(domains),
        entry=entry,
        fields=fields,
        next_page=next_page,
        max_pages=max_pages,
        date_formats=tuple(formats),
        date_languages=tuple(languages),
        date_order=order,
        date_pattern=pattern,
        # No date selector: every entry is undated, and its release page dates it.
        date_optional=optional or "published_raw" not in fields,
        date_timezone=timezone,
        detail_fields=detail_fields,
        min_entries=min_entries,
        max_missing_share=float(share),
        max_silence=max_silence,
        format=fmt,
        pagination=pagination,
        pager=pager,
        template=template,
        first=first,
        step=step,
        follow_detail=follow,
    )
    if "json" in listing:
        kinds = ("jmes",)
        later_entry = _given(
            _selector(later_spec.get("entry"), path, "listing.json.entry", required=True, kinds=kinds)
        )
        later_next = _selector(
            later_spec.get("next_page"),
            path,
            "listing.json.next_page",
            default_all=True,
            kinds=kinds,
            notes=notes,
        )
        later_fields = _fields(later_spec, "listing.json", path, kinds, notes, dated_by_pages)
        profile = dataclasses.replace(
            profile,
            later=dataclasses.replace(
                profile,
                format="json",
                entry=later_entry,
                fields=later_fields,
                next_page=later_next,
                pager=None,
                date_optional=profile.date_optional or "published_raw" not in later_fields,
            ),
        )
    for key, why in notes:
        # stacklevel: the line that called load_profile, for whoever reads the warning.
        warnings.warn(f"{path}: [{key}] {why}", ProfileWarning, stacklevel=3)
    return profile


def _fields(
    table: dict[str, Any],
    where: str,
    path: str | Path,
    kinds: tuple[str, ...],
    notes: list[tuple[str, str]],
    dated_by_pages: bool = False,
) -> dict[str, Selector]:
    """The ``fields`` table of ``[where]``: a selector per item field, the required ones given
    (but the printed date, where release pages date the entries: ``dated_by_pages``)."""
    prefix = f"{where}.fields"
    specs = _table(table, "fields", path, required=True, prefix=f"{where}.")
    if prefix in RENAMED_FIELD_KEYS:
        specs = _renamed(specs, path, prefix, stacklevel=5)
    _no_unknown(specs, set(LISTING_FIELDS), path, f"{prefix}.")
    fields = {
        k: _given(
            _selector(
                v,
                path,
                f"{prefix}.{k}",
                default_all=BY_NAME[k].keeps_all,
                layout=BY_NAME[k].keeps_layout,
                kinds=kinds,
                notes=notes,
            )
        )
        for k, v in specs.items()
    }
    for k in REQUIRED_LISTING_FIELDS:
        if k == "published_raw" and k not in fields and not dated_by_pages:
            raise ProfileError(
                path,
                f"{prefix}.{k}",
                "missing: this field is required (or, for a listing that prints no dates, "
                "[detail] follow = true dates each release from its page)",
            )
        if k not in fields and k != "published_raw":
            raise ProfileError(path, f"{prefix}.{k}", "missing: this field is required")
    return fields


def _int(raw: dict[str, Any], key: str, default: int, minimum: int, path: str | Path, prefix: str) -> int:
    value = raw.get(key, default)
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        raise ProfileError(path, prefix + key, f"must be a whole number of at least {minimum}")
    return value


def _renamed(specs: dict[str, Any], path: str | Path, table: str, stacklevel: int = 4) -> dict[str, Any]:
    """``specs`` with old field keys under their new names, in place (the fields keep their
    order); each old key warns, and an old key given beside its new name is an error."""
    renames = RENAMED_FIELD_KEYS[table]
    if not renames.keys() & specs.keys():
        return specs
    out = {}
    for key, spec in specs.items():
        new = renames.get(key)
        if new is None:
            out[key] = spec
            continue
        if new in specs:
            raise ProfileError(
                path, f"{table}.{key}", f"the old name of {new}, which is given too: keep only {new}"
            )
        # stacklevel: the line that called load_profile, for whoever reads the warning.
        warnings.warn(
            f"{path}: [{table}.{key}] is deprecated: the key is now {new} (the item "
            f"field it fills); rename it",
            ProfileDeprecationWarning,
            stacklevel=stacklevel,
        )
        out[new] = spec
    return out


def _no_unknown(table: dict[str, Any], allowed: set[str], path: str | Path, prefix: str) -> None:
    for key in table:
        if key not in allowed:
            raise ProfileError(
                path, prefix + key, f"unknown key; expected one of: {', '.join(sorted(allowed))}"
            )


def _table(
    raw: dict[str, Any], key: str, path: str | Path, *, required: bool = False, prefix: str = ""
) -> dict[str, Any]:
    value = raw.get(key)
    if value is None:
        if required:
            raise ProfileError(path, prefix + key, "missing: this table is required")
        return {}
    if not isinstance(value, dict):
        raise ProfileError(path, prefix + key, "must be a table")
    return value


def _string(raw: dict[str, Any], key: str, path: str | Path) -> str:
    value = raw.get(key)
    if not isinstance(value, str) or not value.strip():
        raise ProfileError(path, key, "missing or empty: a non-empty string is required")
    return value.strip()


def _strings(raw: dict[str, Any], key: str, path: str | Path, prefix: str) -> list[str]:
    value = raw.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise ProfileError(path, prefix + key, "must be a list of non-empty strings")
    return value


def _url(url: str, path: str | Path, key: str, base: str | None = None) -> str:
    """``url`` (joined to ``base``, if given) when it is an absolute http(s) or file URL that
    can be fetched: a well-formed host, a port in range."""
    try:
        joined = urljoin(base, url) if base is not None else url
        parts = urlsplit(joined)
        parts.port  # noqa: B018 - raises for a port that is not a number from 0 to 65535
    except ValueError as exc:
        raise ProfileError(path, key, f"{url!r} is not a valid URL: {exc}") from None
    if parts.scheme not in {"http", "https", "file"} or (parts.scheme != "file" and not parts.hostname):
        raise ProfileError(path, key, f"{joined!r} is not an absolute http(s) or file URL")
    return joined


def _given(selector: Selector | None) -> Selector:
    """A selector whose spec was given (or required): _selector returned one, or raised."""
    assert selector is not None
    return selector


def _selector(
    spec: Any,
    path: str | Path,
    key: str,
    *,
    required: bool = False,
    default_all: bool = False,
    kinds: tuple[str, ...] = ("css", "xpath"),
    nodes: bool = False,
    layout: bool = False,
    notes: list[tuple[str, str]] | None = None,
) -> Selector | None:
    """A selector is a CSS string, or a table {css|xpath|jmes = "..."} with optional all, html
    and exclude (see pressbot.profile_keys). ``layout``: its field keeps lines and paragraphs.
    What is given but does nothing goes to ``notes``."""
    if spec is None:
        if required:
            raise ProfileError(
                path,
                key,
                'missing: a CSS string or {xpath = "..."} is required'
                if "css" in kinds
                else 'missing: {jmes = "..."} is required',
            )
        return None
    keep_all, is_html = default_all, False
    exclude: tuple[str, ...] = ()
    if isinstance(spec, str) and "css" in kinds:
        kind, query = "css", spec
    elif isinstance(spec, dict):
        known = keys_of("selector")
        unknown = set(spec) - set(known)
        if unknown:
            raise ProfileError(
                path,
                f"{key}.{sorted(unknown)[0]}",
                f"unknown key; expected one of: {', '.join(sorted(known))}",
            )
        given = [k for k in ("css", "xpath", "jmes") if k in spec]
        if len(given) != 1 or given[0] not in kinds:
            raise ProfileError(path, key, f"give exactly one of {' or '.join(kinds)}")
        kind, query = given[0], spec[given[0]]
        keep_all, is_html = spec.get("all", default_all), spec.get("html", False)
        for flag, value in (("all", keep_all), ("html", is_html)):
            if not isinstance(value, bool):
                raise ProfileError(path, f"{key}.{flag}", "must be true or false")
        if "exclude" in spec:
            exclude = _exclude(spec["exclude"], path, f"{key}.exclude")
        if notes is not None:
            if nodes and "all" in spec:
                notes.append((f"{key}.all", "does nothing: every match of the entry selector is an entry"))
            if exclude and kind == "jmes" and not is_html:
                notes.append(
                    (f"{key}.exclude", "does nothing: a JSON value has no elements (unless html = true)")
                )
            elif exclude and not is_html and _SELECTS_TEXT.search(query):
                notes.append((f"{key}.exclude", f"does nothing: {query!r} selects text, not elements"))
    elif "css" in kinds:
        raise ProfileError(path, key, "must be a CSS string or a table {css = ...} / {xpath = ...}")
    else:
        raise ProfileError(path, key, 'must be a table {jmes = "..."} (a JSON listing)')
    if not isinstance(query, str) or not query.strip():
        raise ProfileError(path, key, "empty selector")
    if kind == "jmes":
        try:
            jmespath.compile(query)
        except jmespath.exceptions.JMESPathError as exc:
            raise ProfileError(path, key, f"JMESPath {query!r} does not compile: {exc}") from None
        xpath = query
    else:
        xpath = _xpath(kind, query, path, key, nodes=nodes)
    return Selector(kind, query, xpath, all=keep_all, html=is_html, exclude=exclude, layout=layout)


def _exclude(spec: Any, path: str | Path, key: str) -> tuple[str, ...]:
    """An ``exclude`` list: CSS strings or {xpath = "..."} tables, as XPaths that select
    elements within a match (the match itself included)."""
    if not isinstance(spec, list):
        raise ProfileError(path, key, 'must be a list of CSS strings or {xpath = "..."} tables')
    out = []
    for i, item in enumerate(spec):
        where = f"{key}[{i}]"
        if isinstance(item, str) and item.strip():
            out.append(_xpath("css", item, path, where, nodes=True))
        elif isinstance(item, dict) and set(item) == {"xpath"} and isinstance(item["xpath"], str):
            out.append(_xpath("xpath", item["xpath"], path, where, nodes=True))
        else:
            raise ProfileError(path, where, 'must be a CSS string or a table {xpath = "..."}')
    return tuple(out)


def _xpath(kind: str, query: str, path: str | Path, key: str, *, nodes: bool = False) -> str:
    """The XPath a CSS or XPath selector runs as, tried once on an empty page."""
    if kind == "css":
        try:
            xpath = css2xpath(query)
        except (SelectorError, ValueError) as exc:
            raise ProfileError(path, key, f"CSS selector {query!r} does not compile: {exc}") from None
    else:
        xpath = query
    try:
        found = etree.XPath(xpath)(_EMPTY_PAGE)  # an unknown function or prefix fails here
    except etree.XPathSyntaxError as exc:
        raise ProfileError(path, key, f"{kind.upper()} selector {query!r} does not compile: {exc}") from None
    except etree.XPathEvalError as exc:
        raise ProfileError(path, key, f"{kind.upper()} selector {query!r} does not run: {exc}") from None
    if nodes and not isinstance(found, list):
        what = (
            "a true/false value"
            if isinstance(found, bool)
            else "a string"
            if isinstance(found, str)
            else "a number"
        )
        raise ProfileError(
            path, key, f"{kind.upper()} selector {query!r} must select elements, not compute {what}"
        )
    return xpath
