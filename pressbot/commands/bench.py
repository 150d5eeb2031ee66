"""`scrapy bench` inside the project: Scrapy's own benchmark, at full speed, touching nothing."""

from typing import Any, ClassVar

from scrapy.commands.bench import Command as ScrapyBench
from scrapy.settings import SETTINGS_PRIORITIES

from pressbot.run import LOOK_ONLY


class Command(ScrapyBench):
    default_settings: ClassVar[dict[str, Any]] = {**ScrapyBench.default_settings, **LOOK_ONLY}

    def process_options(self, args, opts) -> None:
        super().process_options(args, opts)
        assert self.settings is not None
        # Its server is on loopback: no AutoThrottle, as for pressbot's own local fixtures (the
        # project's setting outranks a command's defaults; -s AUTOTHROTTLE_ENABLED=1 still wins).
        priority = (SETTINGS_PRIORITIES["project"] + SETTINGS_PRIORITIES["cmdline"]) // 2
        self.settings.set("AUTOTHROTTLE_ENABLED", False, priority=priority)
