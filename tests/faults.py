"""A fault-injecting hook for the fixture server: per path, a script of misbehaviours."""

from __future__ import annotations

import functools
import gzip
import socket
import struct
import time


class Faults:
    """Wraps a site hook; ``on(path, *actions)`` plays the actions on successive requests for
    the path (the last one repeats). Actions: "ok", "reset", "empty", "gzip-bomb",
    ("status", code, headers), ("sleep", seconds), ("redirect", url), ("body", bytes),
    ("truncate", fraction)."""

    def __init__(self, site_hook) -> None:
        self.site_hook = site_hook
        self.plan: dict[str, list] = {}

    def on(self, path: str, *actions) -> Faults:
        self.plan[path] = list(actions)
        return self

    def hook(self, handler, path: str) -> bool:
        actions = self.plan.get(path)
        if not actions:
            return self.site_hook(handler, path)
        action = actions.pop(0) if len(actions) > 1 else actions[0]
        name, *args = action if isinstance(action, tuple) else (action,)
        if name == "ok":
            return self.site_hook(handler, path)
        if name == "status":
            code, headers = args[0], (args[1] if len(args) > 1 else {})
            handler.send_whole(code, f"status {code}".encode(), "text/plain", headers)
        elif name == "sleep":
            time.sleep(args[0])
            return self.site_hook(handler, path)
        elif name == "reset":
            # SO_LINGER 0 makes close() send a TCP RST instead of a FIN.
            handler.request.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            handler.close_connection = True
            handler.request.close()
        elif name == "empty":
            handler.send_whole(200, b"")
        elif name == "redirect":
            handler.send_whole(302, b"", "text/plain", {"Location": args[0]})
        elif name == "body":
            handler.send_whole(200, args[0])
        elif name == "truncate":
            captured = _Capture()
            self.site_hook(captured, path)
            handler.send_whole(200, captured.body[: int(len(captured.body) * args[0])])
        elif name == "gzip-bomb":
            handler.send_whole(200, _gzip_bomb(), "text/html", {"Content-Encoding": "gzip"})
        else:
            raise ValueError(f"unknown fault {name!r}")
        return True


@functools.cache
def _gzip_bomb() -> bytes:
    """64 MiB of zeros in 64 KB: made once (0.4 s of CPU each time, seconds on a loaded machine:
    a crawl's download timeout ran out before the bomb was sent)."""
    return gzip.compress(b"\0" * (64 * 1024 * 1024), compresslevel=9)


class _Capture:
    """Stands in for a request handler to capture what a site hook would send."""

    body = b""

    def send_whole(self, status, body, *args, **kwargs) -> None:
        self.body = body
