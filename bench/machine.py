"""What the figures were measured on: CPU, memory, load, and the versions of what was run."""

from __future__ import annotations

import contextlib
import os
import platform
from pathlib import Path
from typing import Any


def describe_machine() -> dict[str, Any]:
    """The machine and the library versions, with the load average at the start."""
    import lxml.etree
    import parsel
    import scrapy
    import twisted

    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory_mb = None
    with contextlib.suppress(OSError, ValueError, IndexError):
        memory_mb = int(Path("/proc/meminfo").read_text().split()[1]) // 1024
    return {
        "load_average_start": list(os.getloadavg()),
        "platform": platform.platform(),
        "cpu": cpu,
        "cpus": os.cpu_count(),
        "memory_mb": memory_mb,
        "python": platform.python_version(),
        "scrapy": scrapy.__version__,
        "twisted": twisted.__version__,
        "parsel": parsel.__version__,
        "lxml": ".".join(map(str, lxml.etree.LXML_VERSION)),
    }
