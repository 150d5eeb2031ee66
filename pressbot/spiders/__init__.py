"""The spiders of pressbot: one generic spider, driven by source profiles."""
