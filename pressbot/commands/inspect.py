"""`scrapy inspect PROFILE PAGE`: what each selector of a profile extracts from one page;
with --save-case NAME, the page saved as a case (pressbot/cases.py)."""

from __future__ import annotations

import sys
from pathlib import Path

from scrapy.commands import ScrapyCommand
from scrapy.exceptions import UsageError

from pressbot import bundled, outcome
from pressbot.cases import CASES_DIR, CaseError, save_case, saved_message
from pressbot.catalogue import Catalogue
from pressbot.inspect import inspect_page, read_page, resolve_profile
from pressbot.options import ArgumentError
from pressbot.profiles import ProfileError, show_deprecations


class Command(ScrapyCommand):
    requires_project = True
    requires_crawler_process = False
    default_settings = {"LOG_ENABLED": False}

    def syntax(self) -> str:
        return "[--url URL] [--detail] [--page N] [--save-case NAME] PROFILE PAGE"

    def short_desc(self) -> str:
        return "Show what a source profile's selectors extract from a saved or live page"

    def add_options(self, parser) -> None:
        super().add_options(parser)
        parser.add_argument("--url", help="the URL the saved page was fetched from (for links)")
        parser.add_argument(
            "--detail", action="store_true", help="the page is a release page: show the detail fields"
        )
        parser.add_argument(
            "--page",
            type=int,
            default=1,
            metavar="N",
            help="the listing page's place in its walk (default 1, a start page); with [listing.json], "
            "2 or more reads it as one of the JSON pages after the start pages",
        )
        parser.add_argument(
            "--save-case",
            metavar="NAME",
            help="save the page as a case, PRESSBOT_CASES_DIR/NAME/ (default "
            "fixtures/cases/NAME/), with a draft expected.json to check by hand",
        )

    def run(self, args, opts) -> None:
        if len(args) != 2:
            raise UsageError("give a profile (name or file) and a page (file or URL)")
        if opts.page < 1:
            raise UsageError("--page must be 1 or more")
        show_deprecations()
        settings = self.settings
        assert settings is not None  # (requires_project)
        try:
            catalogue = Catalogue.from_settings(settings)
            profile = resolve_profile(args[0], settings.get("PRESSBOT_FIXTURES_URL"), catalogue)
            body, url, encoding = read_page(args[1], settings.get("USER_AGENT"))
            if not args[1].startswith(("http://", "https://")):
                # A page of the fixture sites stands for its URL where {fixtures} is, as in a crawl.
                sites = settings.get("PRESSBOT_FIXTURES_DIR")
                origin = settings.get("PRESSBOT_FIXTURES_URL") or bundled.ORIGIN
                url = bundled.url_of(Path(args[1]), origin, Path(sites) if sites else None) or url
        except (ProfileError, ArgumentError) as exc:
            print(f"pressbot: error: {exc}", file=sys.stderr)
            self.exitcode = outcome.BAD_CONFIG
            return
        except (OSError, ValueError) as exc:  # a missing file, a dead server, a bad URL
            print(f"pressbot: error: cannot read {args[1]}: {exc}", file=sys.stderr)
            self.exitcode = outcome.BAD_CONFIG
            return
        case = None
        if opts.save_case:
            live = args[1].startswith(("http://", "https://"))
            try:
                case = save_case(
                    opts.save_case,
                    args[0],
                    body,
                    opts.url or (url if live else None),
                    "detail" if opts.detail else "listing",
                    page_file=None if live else Path(args[1]),
                    cases_dir=Path(settings.get("PRESSBOT_CASES_DIR") or CASES_DIR),
                    encoding=encoding,
                    page_no=opts.page,
                )
            except (CaseError, ProfileError) as exc:
                print(f"pressbot: error: {exc}", file=sys.stderr)
                self.exitcode = outcome.BAD_CONFIG
                return
        drift = inspect_page(
            profile,
            body,
            opts.url or url,
            sys.stdout,
            detail=opts.detail,
            encoding=encoding,
            page_no=opts.page,
        )
        if case is not None:
            print(f"\n{saved_message(case)}", file=sys.stdout)
        self.exitcode = outcome.DRIFT if drift else outcome.OK
