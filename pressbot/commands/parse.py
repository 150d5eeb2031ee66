"""`scrapy parse` inside the project: the spider's callbacks on one page, touching nothing (LOOK_ONLY)."""

from typing import Any, ClassVar

from scrapy.commands.parse import Command as ScrapyParse

from pressbot.run import LOOK_ONLY


class Command(ScrapyParse):
    default_settings: ClassVar[dict[str, Any]] = {**ScrapyParse.default_settings, **LOOK_ONLY}
