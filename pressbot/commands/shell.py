"""`scrapy shell` inside the project: it looks at pages and touches nothing (pressbot.run.LOOK_ONLY)."""

from typing import Any, ClassVar

from scrapy.commands.shell import Command as ScrapyShell

from pressbot.run import LOOK_ONLY


class Command(ScrapyShell):
    default_settings: ClassVar[dict[str, Any]] = {**ScrapyShell.default_settings, **LOOK_ONLY}
