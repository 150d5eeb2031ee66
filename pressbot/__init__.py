"""pressbot: a Scrapy project that turns press-release listings into a JSON Lines dataset."""

__version__ = "0.1.0"
