"""Profile validation: every bundled profile loads; each broken one names file, key and problem."""

from __future__ import annotations

import dataclasses

import pytest

from pressbot.fields import (
    BY_NAME,
    DETAIL_FIELDS,
    LISTING_FIELDS,
    REQUIRED_FIELDS,
    REQUIRED_LISTING_FIELDS,
)
from pressbot.profiles import (
    ProfileDeprecationWarning,
    ProfileError,
    ProfileWarning,
    available_sources,
    load_profile,
    load_sources,
)
from tests.conftest import ROOT

GOOD = """
name = "demo"
base_url = "https://press.example.org/"
start_urls = ["news"]
[listing]
entry = "article.teaser"
next_page = "a[rel=next]::attr(href)"
[listing.fields]
title = "h2 a"
url = "h2 a::attr(href)"
published_raw = { xpath = ".//time/@datetime" }
summary = "p"
[dates]
formats = ["%d %B %Y"]
languages = ["en"]
"""


def write(tmp_path, text):
    path = tmp_path / "demo.toml"
    path.write_text(text)
    return path


def test_bundled_profiles_load():
    sources = available_sources()
    assert "amnesty-ca" in sources
    for profile in load_sources(",".join(sources)):
        assert profile.start_urls and profile.entry


def test_good_profile(tmp_path):
    p = load_profile(write(tmp_path, GOOD))
    assert p.start_urls == ("https://press.example.org/news",)
    assert p.allowed_domains == ("press.example.org",)
    assert p.fields["published_raw"].kind == "xpath"
    assert p.fields["summary"].all and not p.fields["title"].all
    assert p.max_pages == 1000


def test_fixtures_placeholder(tmp_path):
    text = GOOD.replace("https://press.example.org/", "{fixtures}/demo/")
    p = load_profile(write(tmp_path, text), fixtures_url="http://127.0.0.1:8123")
    assert p.start_urls == ("http://127.0.0.1:8123/demo/news",)


@pytest.mark.parametrize(
    "change, key, problem",
    [
        (("[listing]", "[listing]\ncolour = 'red'"), "listing.colour", "unknown key"),
        (('name = "demo"', 'name = "demo"\nspeed = 3'), "speed", "unknown key"),
        (('entry = "article.teaser"', ""), "listing.entry", "missing"),
        (('entry = "article.teaser"', 'entry = "article..teaser"'), "listing.entry", "does not compile"),
        (
            ('entry = "article.teaser"', 'entry = { xpath = "//article[" }'),
            "listing.entry",
            "does not compile",
        ),
        (
            ('entry = "article.teaser"', 'entry = { css = "a", xpath = "//a" }'),
            "listing.entry",
            "exactly one of css or xpath",
        ),
        (('title = "h2 a"', 'title = "h2 a:nth-child("'), "listing.fields.title", "does not compile"),
        (('title = "h2 a"', 'headline = "h2 a"'), "listing.fields.headline", "unknown key"),
        (('title = "h2 a"', ""), "listing.fields.title", "required"),
        (
            ('base_url = "https://press.example.org/"', 'base_url = "press.example.org"'),
            "base_url",
            "not an absolute",
        ),
        (
            ('base_url = "https://press.example.org/"', 'base_url = "ftp://press.example.org/"'),
            "base_url",
            "not an absolute",
        ),
        (('start_urls = ["news"]', "start_urls = []"), "start_urls", "non-empty list"),
        (('name = "demo"', 'name = "de mo"'), "name", "letters, digits"),
        (('name = "demo"', ""), "name", "missing"),
        (('formats = ["%d %B %Y"]', 'formats = ["dd MM yyyy"]'), "dates.formats", "not a strptime"),
        (('languages = ["en"]', 'languages = ["en"]\norder = "XYZ"'), "dates.order", "one of"),
        (("[listing]", "[listing]\nmax_pages = 0"), "listing.max_pages", "at least 1"),
        (("[dates]", "[checks]\nmax_missing_share = 2\n[dates]"), "checks.max_missing_share", "from 0 to 1"),
        (("[dates]", "[detail]\nfields = 3\n[dates]"), "detail.fields", "must be a table"),
        (('start_urls = ["news"]', 'start_urls = ["news"'), "file", "not valid TOML"),
        (("[listing]", '[listing]\nformat = "yaml"'), "listing.format", "must be one of html, xml, json"),
        (("[listing]", '[listing]\npagination = "scroll"'), "listing.pagination", "must be one of"),
        (("[listing]", '[listing]\npagination = "template"'), "listing.template", "required"),
        (
            ("[listing]", '[listing]\npagination = "template"\ntemplate = "news?page=2"'),
            "listing.template",
            "with {n}",
        ),
        (("[listing]", '[listing]\ntemplate = "news?page={n}"'), "listing.template", "only used"),
        (("[listing]", '[listing]\npagination = "pager"'), "listing.pager", "missing"),
        (("[listing]", "[listing]\nstep = 0"), "listing.step", "at least 1"),
        (
            ('entry = "article.teaser"', 'entry = { jmes = "items" }'),
            "listing.entry",
            "exactly one of css or xpath",
        ),
        (("[listing]", '[listing]\nformat = "json"'), "listing.entry", "must be a table {jmes"),
        (
            ('languages = ["en"]', 'languages = ["en"]\npattern = "(unclosed"'),
            "dates.pattern",
            "not a regular expression",
        ),
        (("[dates]", "[detail]\nfollow = 1\n[dates]"), "detail.follow", "true or false"),
        (
            ('title = "h2 a"', 'title = { css = "h2 a", html = "yes" }'),
            "listing.fields.title.html",
            "true or false",
        ),
    ],
)
def test_broken_profiles(tmp_path, change, key, problem):
    path = write(tmp_path, GOOD.replace(*change, 1))
    with pytest.raises(ProfileError) as err:
        load_profile(path)
    assert err.value.key == key
    assert problem in err.value.problem
    assert str(err.value).startswith(f"{path}: [{key}] ")


def test_json_profile_needs_jmespath(tmp_path):
    text = GOOD.replace("[listing]", '[listing]\nformat = "json"')
    for old, new in [('entry = "article.teaser"', 'entry = { jmes = "items[" }')]:
        text = text.replace(old, new)
    with pytest.raises(ProfileError, match=r"\[listing.entry\] JMESPath 'items\[' does not compile"):
        load_profile(write(tmp_path, text))


def test_missing_file(tmp_path):
    with pytest.raises(ProfileError, match=r"no such profile file"):
        load_profile(tmp_path / "nope.toml")


def test_unknown_source_lists_known():
    with pytest.raises(ProfileError, match=r"unknown source nope; known: .*amnesty-ca"):
        load_sources("amnesty-ca,nope")


@pytest.mark.parametrize(
    "entry, message",
    [
        ('{ xpath = "count(//li)" }', "must select elements, not compute a number"),
        ('{ xpath = "string(//li)" }', "must select elements, not compute a string"),
        ('{ xpath = "//x:li" }', "does not run: Undefined namespace prefix"),
        ('{ xpath = "nosuch(//li)" }', "does not run: Unregistered function"),
    ],
)
def test_selectors_that_cannot_run_are_refused_at_load(tmp_path, entry, message):
    path = write(tmp_path, GOOD.replace('entry = "article.teaser"', f"entry = {entry}"))
    with pytest.raises(ProfileError) as err:
        load_profile(path)
    assert "listing.entry" in str(err.value) and message in str(err.value)


#: A profile that selects every field the table lets a listing and a detail page select.
EVERY_FIELD = (
    GOOD.split("[listing.fields]")[0]
    + "[listing.fields]\n"
    + "".join(f'{name} = "p.{name}"\n' for name in LISTING_FIELDS)
    + "[detail]\nfollow = true\n[detail.fields]\n"
    + "".join(f'{name} = "p.{name}"\n' for name in DETAIL_FIELDS)
)


def test_every_field_of_the_table_has_its_selector_key(tmp_path):
    p = load_profile(write(tmp_path, EVERY_FIELD))
    assert list(p.fields) == list(LISTING_FIELDS)
    assert list(p.detail_fields) == list(DETAIL_FIELDS)
    for name, sel in [*p.fields.items(), *p.detail_fields.items()]:
        # Paragraph fields keep every match unless the profile says otherwise; they and text
        # fields keep their lines and paragraphs.
        assert sel.all == BY_NAME[name].keeps_all, name
        assert sel.layout == BY_NAME[name].keeps_layout, name
        assert sel.query == f"p.{name}"


@pytest.mark.parametrize("name", REQUIRED_LISTING_FIELDS)
def test_every_required_listing_field_is_required(tmp_path, name):
    text = EVERY_FIELD.replace(f'{name} = "p.{name}"\n', "", 1)
    if name == "published_raw":  # (release pages that are followed may date the entries)
        text = text.replace("[detail]\nfollow = true\n", "[detail]\n")
    path = write(tmp_path, text)
    with pytest.raises(ProfileError) as err:
        load_profile(path)
    assert err.value.key == f"listing.fields.{name}" and "required" in err.value.problem


@pytest.mark.parametrize("table, fields", [("listing", LISTING_FIELDS), ("detail", DETAIL_FIELDS)])
def test_an_unknown_field_key_lists_the_table_s_keys(tmp_path, table, fields):
    path = write(
        tmp_path, EVERY_FIELD.replace(f"[{table}.fields]\n", f'[{table}.fields]\nheadline = "h1"\n', 1)
    )
    with pytest.raises(ProfileError) as err:
        load_profile(path)
    assert err.value.key == f"{table}.fields.headline"
    assert err.value.problem == f"unknown key; expected one of: {', '.join(sorted(fields))}"


OLD_KEYS = ROOT / "tests" / "old_profiles" / "amnesty-ca.toml"


def test_a_profile_with_the_old_published_keys_loads_the_same_and_warns(tmp_path):
    # The same file with today's keys (published_raw on the listing, published_at on the page).
    renamed = OLD_KEYS.read_text(encoding="utf-8").replace(
        '\npublished = ".node__date"', '\npublished_raw = ".node__date"'
    )
    renamed = renamed.replace('\npublished = "time', '\npublished_at = "time')
    (tmp_path / "amnesty-ca.toml").write_text(renamed, encoding="utf-8")
    with pytest.warns(ProfileWarning):
        new = load_profile(tmp_path / "amnesty-ca.toml")
    with pytest.warns((ProfileDeprecationWarning, ProfileWarning)) as caught:
        old = load_profile(OLD_KEYS)
    # Its [detail.fields] without follow = true did nothing, and still does: that is said too.
    assert [str(w.message) for w in caught if w.category is ProfileWarning] == [
        f"{OLD_KEYS}: [detail.fields] does nothing without [detail] follow = true: release pages "
        "are not fetched (only `scrapy inspect --detail` reads the table); set follow = true, or "
        "remove the table"
    ]
    caught = [w for w in caught if w.category is ProfileDeprecationWarning]
    assert sorted(str(w.message) for w in caught) == [
        f"{OLD_KEYS}: [detail.fields.published] is deprecated: the key is now published_at (the "
        f"item field it fills); rename it",
        f"{OLD_KEYS}: [listing.fields.published] is deprecated: the key is now published_raw "
        f"(the item field it fills); rename it",
    ]
    assert all(issubclass(w.category, DeprecationWarning) for w in caught)
    # The same Profile, so the same crawl: the fields keep their place, too.
    assert dataclasses.replace(old, path=new.path) == new
    assert list(old.fields) == list(new.fields) and list(old.detail_fields) == list(new.detail_fields)


def test_the_old_key_of_a_json_listing_warns_too(tmp_path):
    text = (
        GOOD.replace("[listing]", '[listing]\nformat = "json"')
        .replace('entry = "article.teaser"', 'entry = { jmes = "items" }')
        .replace('next_page = "a[rel=next]::attr(href)"', 'next_page = { jmes = "next" }')
    )
    text = (
        text.split("[listing.fields]")[0]
        + """[listing.fields]
title = { jmes = "headline" }
url = { jmes = "path" }
published = { jmes = "published" }
"""
    )
    with pytest.warns(ProfileDeprecationWarning, match=r"\[listing.fields.published\] .* published_raw"):
        p = load_profile(write(tmp_path, text))
    assert p.fields["published_raw"].query == "published" and "published" not in p.fields


@pytest.mark.parametrize("table, new", [("listing", "published_raw"), ("detail", "published_at")])
def test_an_old_key_beside_its_new_name_is_an_error(tmp_path, table, new):
    path = write(
        tmp_path, EVERY_FIELD.replace(f"[{table}.fields]\n", f'[{table}.fields]\npublished = "time"\n', 1)
    )
    with pytest.raises(ProfileError) as err:
        load_profile(path)
    assert err.value.key == f"{table}.fields.published"
    assert err.value.problem == f"the old name of {new}, which is given too: keep only {new}"


# --- [dates]: optional dates and the publisher's time zone ------------------------------------
@pytest.mark.parametrize(
    "line, key, problem",
    [
        ('timezone = "Europe/Pariss"', "dates.timezone", "unknown time zone 'Europe/Pariss'"),
        ('timezone = "europe/paris"', "dates.timezone", "unknown time zone"),  # names are exact
        ('timezone = "Europe"', "dates.timezone", "unknown time zone"),  # a folder, not a zone
        ('timezone = "../../etc/passwd"', "dates.timezone", "unknown time zone"),
        ('timezone = "/etc/localtime"', "dates.timezone", "unknown time zone"),
        ('timezone = ""', "dates.timezone", "unknown time zone"),
        ("timezone = 2", "dates.timezone", "unknown time zone 2"),
        ('optional = "yes"', "dates.optional", "true or false"),
        ('timezone = "UTC"\ncolour = 1', "dates.colour", "optional, order, pattern, timezone"),
    ],
)
def test_broken_dates_tables(tmp_path, line, key, problem):
    path = write(tmp_path, GOOD.replace('languages = ["en"]', f'languages = ["en"]\n{line}', 1))
    with pytest.raises(ProfileError) as err:
        load_profile(path)
    assert err.value.key == key
    assert problem in err.value.problem
    assert str(err.value).startswith(f"{path}: [{key}] ")


def test_a_dates_table_with_a_time_zone_and_optional_dates(tmp_path):
    p = load_profile(
        write(tmp_path, GOOD.replace('languages = ["en"]', 'timezone = "Europe/Paris"\noptional = true'))
    )
    assert (p.date_timezone, p.date_optional) == ("Europe/Paris", True)
    assert p.required_fields == ("id", "source", "url", "title")  # not the printed date


def test_profiles_that_loaded_before_load_the_same():
    # No [dates] optional or timezone: every field required as before, no time zone applied.
    # (gov-pdf came later, with both.)
    for profile in load_sources(",".join(n for n in available_sources() if n != "gov-pdf")):
        assert profile.required_fields == REQUIRED_FIELDS
        assert (profile.date_optional, profile.date_timezone) == (False, None)


@pytest.mark.parametrize(
    "change, key, problem",
    [
        (
            ('base_url = "https://press.example.org/"', 'base_url = "http://[::1/x"'),
            "base_url",
            "'http://[::1/x' is not a valid URL: Invalid IPv6 URL",
        ),
        (
            ('base_url = "https://press.example.org/"', 'base_url = "http://press.example.org:99999/"'),
            "base_url",
            "'http://press.example.org:99999/' is not a valid URL: Port out of range 0-65535",
        ),
        (
            ('base_url = "https://press.example.org/"', 'base_url = "http://press.example.org:http/"'),
            "base_url",
            "is not a valid URL: Port could not be cast to integer value as 'http'",
        ),
        (
            ('start_urls = ["news"]', 'start_urls = ["news", "http://[oops/x"]'),
            "start_urls[1]",
            "'http://[oops/x' is not a valid URL: Invalid IPv6 URL",
        ),
        (
            ('start_urls = ["news"]', 'start_urls = ["http://press.example.org:123456/news"]'),
            "start_urls[0]",
            "Port out of range 0-65535",
        ),
        (
            ("[listing]", '[listing]\npagination = "template"\ntemplate = "http://[::1/news?page={n}"'),
            "listing.template",
            "is not a valid URL: Invalid IPv6 URL",
        ),
        (
            ('name = "demo"', 'name = "demo"\ndeep = ' + "[" * 5000 + "]" * 5000),
            "file",
            "not valid TOML: arrays or tables nested too deeply",
        ),
        (
            ('name = "demo"', 'name = "demo"\ndeep = ' + "{ a = " * 5000 + "1" + " }" * 5000),
            "file",
            "not valid TOML: arrays or tables nested too deeply",
        ),
    ],
    ids=[
        "base-ipv6",
        "base-port",
        "base-port-name",
        "start-ipv6",
        "start-port",
        "template",
        "deep-arrays",
        "deep-tables",
    ],
)
def test_urls_and_toml_that_cannot_be_used_name_the_file_and_key(tmp_path, change, key, problem):
    path = write(tmp_path, GOOD.replace(*change, 1))
    with pytest.raises(ProfileError) as err:
        load_profile(path)
    assert err.value.key == key and problem in err.value.problem
    assert str(err.value).startswith(f"{path}: [{key}] ") and "\n" not in str(err.value)


# --- settings that do nothing: a warning naming the key; the profile loads as before ----------


@pytest.mark.parametrize(
    "change, key, why",
    [
        (
            ("[dates]", '[detail.fields]\nbody = ".entry p"\n[dates]'),
            "detail.fields",
            "without [detail] follow = true",
        ),
        (
            ("[dates]", '[detail]\nfollow = false\n[detail.fields]\nbody = ".entry p"\n[dates]'),
            "detail.fields",
            "without [detail] follow = true",
        ),
        (
            ("[listing]", '[listing]\npager = "nav a::attr(href)"'),
            "listing.pager",
            'only read with pagination = "pager"',
        ),
        (
            ("[listing]", '[listing]\npagination = "pager"\npager = "nav a::attr(href)"'),
            "listing.next_page",
            'not read with pagination = "pager"',
        ),
        (
            ("[listing]", '[listing]\npagination = "template"\ntemplate = "news?page={n}"'),
            "listing.next_page",
            'not read with pagination = "template"',
        ),
        (("[listing]", "[listing]\nfirst = 0"), "listing.first", 'only read with pagination = "template"'),
        (("[listing]", "[listing]\nstep = 10"), "listing.step", 'only read with pagination = "template"'),
        (
            ('entry = "article.teaser"', 'entry = { css = "article.teaser", all = true }'),
            "listing.entry.all",
            "every match of the entry selector is an entry",
        ),
        (
            ('url = "h2 a::attr(href)"', 'url = { css = "h2 a::attr(href)", exclude = [".sr-only"] }'),
            "listing.fields.url.exclude",
            "selects text, not elements",
        ),
        (
            (
                'published_raw = { xpath = ".//time/@datetime" }',
                'published_raw = { xpath = ".//time/@datetime", exclude = ["b"] }',
            ),
            "listing.fields.published_raw.exclude",
            "selects text, not elements",
        ),
    ],
)
def test_a_setting_that_does_nothing_is_a_warning_naming_its_key(tmp_path, change, key, why):
    assert change[0] in GOOD
    path = write(tmp_path, GOOD.replace(*change, 1))
    with pytest.warns(ProfileWarning) as caught:
        profile = load_profile(path)
    [warning] = caught
    assert str(warning.message).startswith(f"{path}: [{key}] ") and why in str(warning.message)
    assert warning.filename == __file__  # it points at the line that loaded the profile
    assert profile.fields.keys() == load_profile(write(tmp_path, GOOD)).fields.keys()


def test_an_exclude_on_a_json_value_does_nothing_unless_it_is_html(tmp_path):
    text = GOOD.replace("[listing]", '[listing]\nformat = "json"').replace(
        'entry = "article.teaser"', 'entry = { jmes = "items" }'
    )
    text = text.replace('next_page = "a[rel=next]::attr(href)"', 'next_page = { jmes = "next" }')
    text = text.split("[listing.fields]")[0] + (
        '[listing.fields]\ntitle = { jmes = "t", exclude = [".x"] }\nurl = { jmes = "u" }\n'
        'published_raw = { jmes = "d" }\nsummary = { jmes = "s", html = true, exclude = [".sr-only"] }\n'
    )
    with pytest.warns(ProfileWarning) as caught:
        profile = load_profile(write(tmp_path, text))
    assert [str(w.message).split("] ")[0].split("[")[1] for w in caught] == ["listing.fields.title.exclude"]
    assert profile.fields["summary"].exclude  # (with html = true it reads the HTML's elements)


def test_shipped_and_fixture_profiles_load_without_a_warning():
    import warnings

    from tests.conftest import FIXTURES

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for path in [*available_sources().values(), *FIXTURES.rglob("*.toml")]:
            load_profile(path)


@pytest.mark.parametrize(
    "exclude, key, problem",
    [
        ('".sr-only"', "listing.fields.title.exclude", "must be a list"),
        ('[".sr-only", 3]', "listing.fields.title.exclude[1]", "must be a CSS string or a table"),
        ('[""]', "listing.fields.title.exclude[0]", "must be a CSS string or a table"),
        ('["span..x"]', "listing.fields.title.exclude[0]", "does not compile"),
        ('[{ xpath = "count(//b)" }]', "listing.fields.title.exclude[0]", "must select elements"),
        ('[{ xpath = "//b[" }]', "listing.fields.title.exclude[0]", "does not compile"),
        ('[{ css = "b" }]', "listing.fields.title.exclude[0]", 'a table {xpath = "..."}'),
    ],
)
def test_a_broken_exclude_names_its_item(tmp_path, exclude, key, problem):
    path = write(
        tmp_path, GOOD.replace('title = "h2 a"', f'title = {{ css = "h2 a", exclude = {exclude} }}', 1)
    )
    with pytest.raises(ProfileError) as err:
        load_profile(path)
    assert err.value.key == key and problem in err.value.problem, err.value


def test_exclude_compiles_to_xpaths_within_the_match(tmp_path):
    path = write(
        tmp_path,
        GOOD.replace(
            'title = "h2 a"', 'title = { css = "h2 a", exclude = [".sr-only", { xpath = ".//svg" }] }', 1
        ),
    )
    title = load_profile(path).fields["title"]
    assert title.exclude[0].startswith("descendant-or-self::") and title.exclude[1] == ".//svg"
    assert not title.layout and load_profile(path).fields["summary"].layout


def test_a_schema_key_is_accepted_and_ignored(tmp_path):
    with_key = load_profile(write(tmp_path, '"$schema" = "https://x.invalid/profile.schema.json"\n' + GOOD))
    assert dataclasses.replace(with_key, path="") == dataclasses.replace(
        load_profile(write(tmp_path, GOOD)), path=""
    )
    with pytest.raises(ProfileError) as err:
        load_profile(write(tmp_path, '"$schema" = 3\n' + GOOD))
    assert err.value.key == "$schema"


# --- a listing that prints no dates: its release pages date it ---------------------------------


def test_a_listing_without_dates_may_leave_them_to_its_release_pages(tmp_path):
    undated = GOOD.replace('published_raw = { xpath = ".//time/@datetime" }\n', "")
    with pytest.raises(ProfileError) as error:
        load_profile(write(tmp_path, undated))
    assert "[listing.fields.published_raw] missing: this field is required" in str(error.value)
    assert "[detail] follow = true" in str(error.value)
    p = load_profile(write(tmp_path, undated + "[detail]\nfollow = true\n"))
    assert "published_raw" not in p.fields and p.follow_detail
    # Every entry is undated, so none is dropped for it, nor counted as drift.
    assert p.date_optional and "published_raw" not in p.required_fields
    # (With the selector, nothing changes: it stays required unless [dates] optional = true.)
    assert (
        "published_raw" in load_profile(write(tmp_path, GOOD + "[detail]\nfollow = true\n")).required_fields
    )
