"""`scrapy fetch` inside the project: it looks at a page and touches nothing (pressbot.run.LOOK_ONLY)."""

from typing import Any, ClassVar

from scrapy.commands.fetch import Command as ScrapyFetch

from pressbot.run import LOOK_ONLY


class Command(ScrapyFetch):
    default_settings: ClassVar[dict[str, Any]] = {**ScrapyFetch.default_settings, **LOOK_ONLY}
