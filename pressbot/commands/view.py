"""`scrapy view` inside the project: it looks at a page and touches nothing (pressbot.run.LOOK_ONLY)."""

from typing import Any, ClassVar

from scrapy.commands.view import Command as ScrapyView

from pressbot.run import LOOK_ONLY


class Command(ScrapyView):
    default_settings: ClassVar[dict[str, Any]] = {**ScrapyView.default_settings, **LOOK_ONLY}
