"""A loopback HTTP server for fixture sites: serves a folder, writes each response whole.

Used by the tests, the benchmark and anyone developing a profile against saved pages:

    python -m pressbot.devserver fixtures --port 8000

Each response goes out in one write (headers and body together): with small writes,
Nagle's algorithm and delayed ACKs stall every response by about 40 ms.
"""

from __future__ import annotations

import argparse
import contextlib
import mimetypes
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

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
        """Serve a file; ``name?query`` is answered by a file ``name@query.<ext>``, and a path
        without an extension by ``path.html``/``path.json``/``path.xml`` if it exists."""
        root = self.server.root
        target = (root / path.lstrip("/")).resolve()
        if not target.is_relative_to(root):
            self.send_whole(404, b"not found", "text/plain")
            return
        if path.endswith("/") or target.is_dir():
            target = target / "index"
        stem = f"{target.name}@{unquote(query)}" if query else target.name
        candidates = [target.with_name(stem)] if not query and target.suffix else []
        candidates += [target.with_name(stem + ext) for ext in ("", ".html", ".json", ".xml")]
        target = next((c for c in candidates if c.is_file()), None)
        if target is None:
            self.send_whole(404, b"not found", "text/plain")
            return
        ctype = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
        if ctype.startswith("text/") or ctype.endswith(("xml", "json")):
            ctype += "; charset=utf-8"
        self.send_whole(200, target.read_bytes(), ctype)

    def send_whole(self, status: int, body: bytes, ctype: str = "text/html; charset=utf-8",
                   headers: dict[str, str] | None = None) -> None:
        """Send status, headers and body in a single write."""
        lines = [f"HTTP/1.1 {status} {self.responses.get(status, ('',))[0]}",
                 f"Content-Type: {ctype}", f"Content-Length: {len(body)}"]
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

    def __init__(self, root: str | Path, port: int = 0, hook: Hook | None = None,
                 verbose: bool = False) -> None:
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
