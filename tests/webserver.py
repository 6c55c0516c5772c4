"""A real HTTP server on 127.0.0.1 for the remote-input tests: serves pages and images, and misbehaves on request.

Routes: any file put in `files` by its path; `/slow` answers only after the test ends (a stuck server);
`/huge-declared` announces a 50 MiB body; `/huge-stream` streams 11 MiB with no length; `/loop` redirects to
itself; `/to-file` redirects to a file: URL; `/missing` is a 404. Every request's path is logged in `requests`,
so a test can assert what was (and was not) asked for.
"""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field


@dataclass
class Site:
    """A running server: its base URL, what it serves, and the paths requested so far."""

    base: str
    files: dict[str, tuple[bytes, str]]
    requests: list[str] = field(default_factory=list)
    release: threading.Event = field(default_factory=threading.Event)

    def url(self, path: str) -> str:
        return f"{self.base}{path}"


@contextmanager
def serve(files: dict[str, tuple[bytes, str]] | None = None) -> Iterator[Site]:
    """Run a server on a free port of 127.0.0.1 for the duration of the block."""
    site = Site("", dict(files or {}))

    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:  # the log is `site.requests`
            pass

        def do_GET(self) -> None:
            site.requests.append(self.path)
            if self.path in site.files:
                body, content_type = site.files[self.path]
                self.send_response(200)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            elif self.path == "/slow":
                site.release.wait(30)
            elif self.path == "/huge-declared":
                self.send_response(200)
                self.send_header("Content-Type", "text/html")
                self.send_header("Content-Length", str(50 * 1024 * 1024))
                self.end_headers()
                self.wfile.write(b"<html>")
            elif self.path == "/huge-stream":
                self.send_response(200)
                self.send_header("Content-Type", "text/html")
                self.end_headers()  # no length: HTTP/1.0 reads to the end of the connection
                piece = b"<p>" + b"word " * 20_000 + b"</p>\n"
                try:
                    for _ in range(11 * 1024 * 1024 // len(piece) + 1):
                        self.wfile.write(piece)
                except OSError:  # the client hung up at its limit
                    pass
            elif self.path in ("/loop", "/to-file"):
                self.send_response(302)
                self.send_header("Location", "/loop" if self.path == "/loop" else "file:///etc/passwd")
                self.send_header("Content-Length", "0")
                self.end_headers()
            else:
                self.send_error(404, "Not Found")

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    site.base = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield site
    finally:
        site.release.set()
        server.shutdown()
        server.server_close()
        thread.join()
