"""Date-like text on a listing page: where a printed date is, in which language, in which order.

The detector (pressbot.discover) must find the entries' dates without knowing the site's
language, so this module holds patterns for printed dates in many languages (month names from
dateparser's own locale data), and the tests that settle a profile's ``[dates]`` table from the
dates themselves: the languages that read them, the day/month order a date proves, and a
``pattern`` where the date sits inside a longer label. Nothing here guesses: a date is only a
date where ``pressbot.dates.parse_date`` reads it.
"""

from __future__ import annotations

import importlib
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from pressbot.dates import DateProblem, _day_month, _numeric_day, parse_date

#: Languages whose month names the patterns know, in dateparser's codes. A page's own language
#: (``<html lang>``) is tried first; these are the ones tried when it does not read the dates.
LANGUAGES = (
    "en", "fr", "de", "es", "it", "pt", "nl", "nb", "nn", "da", "sv", "fi", "is", "pl", "cs",
    "sk", "sl", "hr", "sr", "ro", "hu", "et", "lv", "lt", "ca", "eu", "gl", "tr", "el", "ru",
    "uk", "bg", "id", "ms", "vi", "tl", "af", "sq", "ga", "cy",
)  # fmt: skip
#: Language codes pages use that dateparser knows by another name.
_ALIASES = {"no": "nb", "iw": "he", "in": "id", "zh-hans": "zh", "zh-hant": "zh"}
_MONTHS = (
    "january", "february", "march", "april", "may", "june", "july", "august", "september",
    "october", "november", "december",
)  # fmt: skip
_YEAR = r"(?:19|20)\d{2}"
_DAY = r"(?:[12]\d|3[01]|0?[1-9])"


@lru_cache(maxsize=64)
def month_names(language: str) -> tuple[str, ...]:
    """The month names (and abbreviations of three letters or more) dateparser reads in
    ``language``, longest first; () for a language it does not know."""
    try:
        data = importlib.import_module(f"dateparser.data.date_translation_data.{language}")
    except ImportError:
        return ()
    names = {
        n.lower().rstrip(".")
        for month in _MONTHS
        for n in data.info.get(month, ())
        if isinstance(n, str) and len(n.rstrip(".")) >= 3
    }
    return tuple(sorted(names, key=lambda n: (-len(n), n)))


def _month_alternation(languages: Iterable[str]) -> str:
    names = sorted({n for lang in languages for n in month_names(lang)}, key=lambda n: (-len(n), n))
    return "(?:" + "|".join(re.escape(n) for n in names) + r")\.?"


def _kinds(months: str) -> dict[str, str]:
    """Named regular expressions for printed dates, each a whole date (day, month and year)."""
    day = _DAY + r"(?:\.|er|st|nd|rd|th|º|ª)?"
    return {
        "iso": rf"{_YEAR}-[01]?\d-[0-3]?\d"
        r"(?:[T ][0-2]?\d:[0-5]\d(?::[0-5]\d)?(?:\.\d+)?(?:Z|[+-][0-2]\d:?[0-5]\d)?)?",
        "ymd": rf"{_YEAR}\s?[./]\s?[01]?\d\s?[./]\s?[0-3]?\d(?![\d])",
        "cjk": rf"{_YEAR}\s*年\s*[01]?\d\s*月\s*[0-3]?\d\s*日",
        "korean": rf"{_YEAR}\s*년\s*[01]?\d\s*월\s*[0-3]?\d\s*일",
        "numeric": rf"(?<![\d.,/-]){_DAY}\s?([./-])\s?[0-3]?\d\s?\1\s?(?:{_YEAR}|\d{{2}})(?![\d])",
        "day-month": rf"(?<![\w]){day}\s*(?:de\s+)?{months}(?![^\W\d_])[\s,]*(?:de\s+|del\s+)?{_YEAR}(?!\d)",
        "month-day": rf"(?<![^\W\d_]){months}(?![^\W\d_])\s*{_DAY}(?:st|nd|rd|th)?(?!\d)[\s,]+{_YEAR}(?!\d)",
    }


def _named(regex: str) -> str:
    """A kind's expression with its separator group named, to stand in one alternation."""
    return regex.replace("([./-])", "(?P<sep>[./-])").replace(r"\1", "(?P=sep)")


@lru_cache(maxsize=128)  # (settle tries each language on its own)
def _compiled(languages: tuple[str, ...]) -> re.Pattern[str]:
    """Every kind in one expression (one search a text), each a named group."""
    kinds = _kinds(_month_alternation(languages))
    return re.compile(
        "|".join(f"(?P<{k.replace('-', '_')}>{_named(v)})" for k, v in kinds.items()), re.IGNORECASE
    )


def pattern_for(kind: str, languages: Sequence[str]) -> str:
    """A profile's ``[dates] pattern`` that cuts a date of ``kind`` out of a label: only the
    month names of the page's languages, case-insensitive, the date its group 1."""
    return f"(?i)({_named(_kinds(_month_alternation(languages))[kind])})"


#: Short patterns a person can read, for the kinds of dates with month names: a word stands for
#: the month (dateparser, reading the date, knows whether it is one).
_SHORT = {
    "day-month": r"(\d{1,2}(?:\.|er|st|nd|rd|th)?\s*(?:de\s+)?[^\W\d_]+\.?,?\s*(?:de\s+)?\d{4})",
    "month-day": r"([^\W\d_]+\.?\s+\d{1,2}(?:st|nd|rd|th)?,?\s+\d{4})",
}


@dataclass(frozen=True)
class Found:
    """A date found in a text: what kind, and where."""

    kind: str
    text: str
    start: int
    end: int


_DIGIT = re.compile(r"\d")


def find_date(text: str, languages: tuple[str, ...] = LANGUAGES) -> Found | None:
    """The first whole printed date in ``text`` (day, month and year), or None."""
    if not text or len(text) > 2000 or _DIGIT.search(text) is None:
        return None
    m = _compiled(languages).search(text)
    if m is None:
        return None
    kind = next(k for k, v in m.groupdict().items() if v is not None and k != "sep").replace("_", "-")
    return Found(kind, m.group(0), m.start(), m.end())


@lru_cache(maxsize=8)
def _partial(languages: tuple[str, ...]) -> re.Pattern[str]:
    months = _month_alternation(languages)
    day = _DAY + r"(?:\.|er|st|nd|rd|th)?"
    return re.compile(
        rf"(?:[01]?\d\s*月\s*[0-3]?\d\s*日|{_DAY}\s?[./-]\s?[01]?\d\.?|{day}\s*(?:de\s+)?{months}|{months}\s*{_DAY}(?:st|nd|rd|th)?)",
        re.IGNORECASE,
    )


def partial_date(text: str, languages: tuple[str, ...] = LANGUAGES) -> bool:
    """Whether ``text`` is a day and month with no year ("4月28日", "28.04.", "April 28"): a
    listing's row, but no date to read (the year is never guessed)."""
    text = " ".join(text.split())
    return 3 <= len(text) <= 16 and _partial(languages).fullmatch(text) is not None


def page_languages(lang_attr: str | None) -> tuple[str, ...]:
    """dateparser's code for a page's declared language (``<html lang="de-CH">``), or ()."""
    if not lang_attr:
        return ()
    code = lang_attr.strip().lower().replace("_", "-")
    code = _ALIASES.get(code, code)
    primary = _ALIASES.get(code.split("-")[0], code.split("-")[0])
    return (primary,) if primary.isalpha() and 2 <= len(primary) <= 3 else ()


@dataclass(frozen=True)
class DateSettings:
    """What a page's dates say about how to read them: its ``[dates]`` table, and how many of
    the dates it reads."""

    languages: tuple[str, ...]
    order: str | None
    pattern: str | None
    read: int
    total: int
    #: Why the order was set (or left to each page), in words for the report.
    order_reason: str


def settle(texts: Sequence[str], declared: tuple[str, ...] = ()) -> DateSettings:
    """The ``[dates]`` settings under which the most of ``texts`` (the entries' date labels,
    as the field selects them) read as dates: the fewest languages, the page's declared one
    first; a ``pattern`` when the labels hold more than the date; a day/month ``order`` only
    where a date proves it (a day above 12), never from a guess."""
    found = [find_date(t) for t in texts]
    dates = [f for f in found if f is not None]
    if not dates:
        return DateSettings(declared or ("en",), None, None, 0, len(texts), "no dates")
    kinds = Counter(f.kind for f in dates)
    kind = kinds.most_common(1)[0][0]
    spoken = [k for k in ("day-month", "month-day") if kinds[k]]
    tried: list[tuple[str, ...]] = []
    for option in (declared, ("en",), *((lang,) for lang in LANGUAGES)):
        if option and option not in tried:
            tried.append(option)
    if not spoken:
        languages = declared or ("en",)
    else:
        best, best_read = tried[0], -1
        words = [f.text for f in dates]
        for option in tried:
            if not any(find_date(w, option) for w in words):
                continue
            read = sum(_reads(w, option) for w in words)
            if read > best_read:
                best, best_read = option, read
            if read == len(words):
                break
        languages = best
    clean = all(
        f.start == 0 and f.end == len(" ".join(t.split())) for f, t in zip(found, texts, strict=True) if f
    )
    order, reason = _proven_order([f.text for f in dates])
    options: list[str | None] = [None]
    if not clean or len(dates) < len(texts):
        exact = pattern_for(kind, languages) if spoken or kind not in ("iso",) else pattern_for(kind, ())
        options = [_SHORT[kind], exact] if kind in _SHORT else [exact]
    chosen: tuple[int, str | None] = (-1, None)
    for pattern in options:  # the short one where it reads as many dates as the exact one
        read = sum(_read_with(t, languages, order, pattern) for t in texts)
        if read > chosen[0]:
            chosen = (read, pattern)
    return DateSettings(languages, order, chosen[1], chosen[0], len(texts), reason)


def _read_with(text: str, languages: tuple[str, ...], order: str | None, pattern: str | None) -> bool:
    try:
        parse_date(text, languages=languages, order=order, pattern=pattern)
    except DateProblem:
        return False
    return True


def _reads(text: str, languages: tuple[str, ...]) -> bool:
    try:
        parse_date(text, languages=languages)
    except DateProblem as exc:
        return "ambiguous" in str(exc)
    return True


def _proven_order(texts: Sequence[str]) -> tuple[str | None, str]:
    """The day/month order that a numeric date among ``texts`` proves (only one order reads
    it: a day above 12), if they agree; else None and why."""
    numeric = [n for t in texts if (n := _day_month(t)) is not None]
    if not numeric:
        return None, "no numeric dates: no day/month order needed"
    proofs = {
        o
        for n in numeric
        for o in ("DMY", "MDY")
        if _numeric_day(n, o) is not None and _numeric_day(n, "MDY" if o == "DMY" else "DMY") is None
    }
    if len(proofs) == 1:
        order = proofs.pop()
        return order, f"a date with a day above 12 proves {order} for the site"
    if proofs:
        return None, "the dates contradict each other: each listing page settles its own"
    return None, "no date proves the order: each listing page settles its own (newest first)"
