"""pressbot's Scrapy commands (COMMANDS_MODULE)."""
