"""`publish serve` end to end: a real server process on a free loopback port, driven by a real headless Chromium
(Debian's, through Playwright with `executable_path`), edited on disk while the page is open.

`PUBLISH_ACCEPT=1` also writes the README's screenshot (docs/serve-preview.png) from the test's browser.
"""

from __future__ import annotations

import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from publish.cli import main

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]
HEADLINE = "Ishaq Dar Key Diplomatic Visit to Bishkek"

needs_chromium = pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (scripts/setup --test)")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _state(port: int) -> dict[str, Any]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        connection.request("GET", "/state")
        return dict(json.loads(connection.getresponse().read()))
    finally:
        connection.close()


class Server:
    """A `publish serve` process in a session of its own, and its port."""

    def __init__(self, process: subprocess.Popen[bytes], port: int, log: Path) -> None:
        self.process = process
        self.port = port
        self.log = log
        self.url = f"http://127.0.0.1:{port}/"

    def wait_for(self, predicate: Any, timeout: float = 90, what: str = "the preview") -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        last: dict[str, Any] = {}
        while time.monotonic() < deadline:
            assert self.process.poll() is None, f"the server died: {self.log.read_text()}"
            try:
                last = _state(self.port)
                if predicate(last):
                    return last
            except OSError:
                pass
            time.sleep(0.2)
        raise AssertionError(f"{what} did not come: {json.dumps(last)[:800]}\n{self.log.read_text()}")


@contextmanager
def serving(tmp_path: Path, *args: str, checks: bool = False) -> Iterator[Server]:
    port = _free_port()
    log = tmp_path / "serve.log"
    command = [sys.executable, "-m", "publish", "serve", *args, "--port", str(port)]
    if not checks:
        command.append("--no-checks")
    with log.open("wb") as out:
        process = subprocess.Popen(command, cwd=tmp_path, stdout=out, stderr=subprocess.STDOUT,
                                   start_new_session=True)
    server = Server(process, port, log)
    try:
        server.wait_for(lambda s: "html" in s["formats"], what="the first build")
        yield server
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


@contextmanager
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        try:
            yield chromium.new_page(viewport={"width": 1280, "height": 900})
        finally:
            chromium.close()


def _frame_text(page: Any, selector: str) -> str:
    frame = page.frame_locator("#html-frame")
    return str(frame.locator(selector).first.inner_text(timeout=1000))


def _poll(check: Any, timeout: float = 60, what: str = "the change") -> Any:
    deadline = time.monotonic() + timeout
    error: Exception | None = None
    while time.monotonic() < deadline:
        try:
            value = check()
            if value:
                return value
        except Exception as exc:  # the frame is being replaced: try again
            error = exc
        time.sleep(0.25)
    raise AssertionError(f"{what} did not show within {timeout} s ({error})")


@needs_chromium
def test_edit_reaches_the_open_page_in_every_pane(tmp_path: Path) -> None:
    story = tmp_path / "story.txt"
    shutil.copy(ROOT / "samples" / "dar-bishkek.txt", story)
    with serving(tmp_path, "story.txt", checks=True) as server, browser() as page:
        page.goto(server.url)
        _poll(lambda: _frame_text(page, "h1") == HEADLINE, what="the headline in the HTML pane")
        page.evaluate("window.__not_reloaded = true")

        story.write_text(story.read_text(encoding="utf-8").replace(HEADLINE, "Ishaq Dar Lands in Bishkek"),
                         encoding="utf-8")
        _poll(lambda: _frame_text(page, "h1") == "Ishaq Dar Lands in Bishkek", timeout=30,
              what="the new headline in the HTML pane")
        page.click("#tab-pdf")
        first = page.locator("#pdf-pages figure.page img").first
        _poll(lambda: "Ishaq Dar Lands in Bishkek" in (first.get_attribute("alt") or "") and
              page.evaluate("(img) => img.complete && img.naturalWidth > 300", first.element_handle()),
              timeout=30, what="the new headline on the PDF pane's first page")
        assert page.locator("#pdf-pages figcaption").first.inner_text() == "page 1 of 1"
        assert page.evaluate("window.__not_reloaded") is True  # the page updated itself

        page.click("#tab-report")  # the reader's report: the scraped page's debris, with reasons
        assert "dropped" in page.locator("#report").inner_text()
        page.click("#tab-epub")
        _poll(lambda: "Ishaq Dar Lands in Bishkek" in page.locator("#chapters").inner_text(), timeout=30,
              what="the EPUB's chapter list")
        epub_h1 = page.frame_locator("#epub-frame").locator("h1").first
        _poll(lambda: epub_h1.inner_text(timeout=1000) == "Ishaq Dar Lands in Bishkek", timeout=30,
              what="the EPUB chapter")
        page.click("#tab-docx")
        if shutil.which("soffice"):
            _poll(lambda: page.locator("#docx-pages figure.page img").count() >= 1, timeout=120,
                  what="the DOCX as LibreOffice lays it out")
            assert "Ishaq Dar Lands in Bishkek" in page.locator("#docx-pages img").first.get_attribute("alt")
        page.click("#tab-checks")
        _poll(lambda: "checked 4 files" in page.locator("#checks").inner_text(), timeout=180,
              what="the checks' results")
        checks = page.locator("#checks").inner_text()
        assert "FAILED" not in checks, checks
        if os.environ.get("PUBLISH_ACCEPT"):
            page.click("#tab-pdf")
            page.wait_for_timeout(500)
            page.screenshot(path=str(ROOT / "docs" / "serve-preview.png"))


@needs_chromium
def test_theme_and_template_changes_reach_the_page_and_errors_show_in_it(tmp_path: Path) -> None:
    shutil.copy(ROOT / "samples" / "dar-bishkek.txt", tmp_path / "story.txt")
    theme = tmp_path / "house"
    theme.mkdir()
    (theme / "theme.toml").write_text('[theme]\nextends = "default"\n[colors]\nheading = "#aa0000"\n',
                                      encoding="utf-8")
    overrides = tmp_path / "overrides"
    overrides.mkdir()
    template = overrides / "article.html.j2"
    good = ('{% extends "builtin/article.html.j2" %}\n'
            '{% block article %}<p class="embargo">EMBARGOED UNTIL 06:00 GMT</p>{{ super() }}{% endblock %}\n')
    template.write_text(good, encoding="utf-8")
    with serving(tmp_path, "story.txt", "--theme", "house", "--templates", "overrides") as server, \
            browser() as page:
        page.goto(server.url)
        heading = page.frame_locator("#html-frame").locator("h1").first
        colour = "(h) => getComputedStyle(h).color"
        _poll(lambda: heading.evaluate(colour, timeout=1000) == "rgb(170, 0, 0)", what="the theme's colour")
        assert _frame_text(page, ".embargo") == "EMBARGOED UNTIL 06:00 GMT"

        (theme / "theme.toml").write_text('[theme]\nextends = "default"\n[colors]\nheading = "#0000aa"\n',
                                          encoding="utf-8")
        _poll(lambda: heading.evaluate(colour, timeout=1000) == "rgb(0, 0, 170)", timeout=30,
              what="the changed colour")

        template.write_text(good.replace("{% endblock %}", "{% endblock"), encoding="utf-8")
        error = page.locator("#error")
        _poll(lambda: error.is_visible() and "article.html.j2" in error.inner_text(), timeout=30,
              what="the template's error")
        assert _frame_text(page, "h1") == HEADLINE  # the last good build stays on the page
        assert server.process.poll() is None

        template.write_text(good.replace("EMBARGOED", "HELD"), encoding="utf-8")
        _poll(lambda: not error.is_visible() and _frame_text(page, ".embargo") == "HELD UNTIL 06:00 GMT",
              timeout=30, what="the preview restored")


def _raw_get(port: int, path: str) -> tuple[int, bytes]:
    """A request with the path exactly as given (no client-side normalising of `..`)."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
        connection.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode())
        data = b""
        while chunk := connection.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split()[1]), body


def test_serves_only_its_outputs_on_loopback(tmp_path: Path) -> None:
    shutil.copy(ROOT / "samples" / "dar-bishkek.txt", tmp_path / "story.txt")
    (tmp_path / "secret.txt").write_text("root:x:0:0 a secret beside the article\n", encoding="utf-8")
    with serving(tmp_path, "story.txt") as server:
        server.wait_for(lambda s: "epub" in s["formats"], what="the EPUB")
        assert _raw_get(server.port, "/out/html")[0] == 200
        assert _raw_get(server.port, "/epub/EPUB/chapter.xhtml")[0] == 200
        for path in ["/../../etc/passwd", "/%2e%2e/%2e%2e/etc/passwd", "/%2E%2E%2F%2E%2E%2Fetc%2Fpasswd",
                     "/out/..%2f..%2f..%2fetc%2fpasswd", "/out/../../etc/passwd", "/epub/../../../etc/passwd",
                     "/epub/..%2f..%2f..%2fetc%2fpasswd", "/epub/%2e%2e/%2e%2e/etc/passwd", "/epub//etc/passwd",
                     "/pages/pdf/..%2f..%2fstory.png", "/out/story.txt", "/secret.txt", "/story.txt",
                     "/out/..%2fsecret.txt", "/epub/..%2f..%2fsecret.txt", "/pages/pdf/0.png", "//etc/passwd"]:
            status, body = _raw_get(server.port, path)
            assert status in (400, 404), path
            assert b"root:" not in body and b"secret" not in body, path
        listening = _listening_addresses(server.port)
        assert listening == {"127.0.0.1"}, listening


def _listening_addresses(port: int) -> set[str]:
    """The local addresses a TCP port listens on, from /proc/net/tcp and tcp6."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            address, port_hex = fields[1].split(":")
            if int(port_hex, 16) == port and fields[3] == "0A":  # LISTEN
                if len(address) == 8:
                    found.add(socket.inet_ntop(socket.AF_INET, bytes.fromhex(address)[::-1]))
                else:
                    found.add(address)
    return found


def test_another_host_is_a_warning(tmp_path: Path) -> None:
    shutil.copy(ROOT / "samples" / "dar-bishkek.txt", tmp_path / "story.txt")
    with serving(tmp_path, "story.txt", "--host", "0.0.0.0") as server:
        log = server.log.read_text()
        assert "publish: warning: serving on 0.0.0.0: anyone who can reach this machine can see the preview" in log


def test_ctrl_c_stops_it_and_leaves_nothing_running(tmp_path: Path) -> None:
    shutil.copy(ROOT / "samples" / "dar-bishkek.txt", tmp_path / "story.txt")
    with serving(tmp_path, "story.txt", checks=True) as server:
        time.sleep(1)  # LibreOffice and the checks are under way now
        server.process.send_signal(signal.SIGINT)
        assert server.process.wait(timeout=30) == 0
        deadline = time.monotonic() + 10
        while _session_members(server.process.pid) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert _session_members(server.process.pid) == []


def _session_members(session: int) -> list[int]:
    """Processes still alive in a session (the server's, started with start_new_session)."""
    members = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[3]) == session and fields[0] != "Z":
                members.append(int(entry.name))
    return members


def test_a_missing_input_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serve", str(tmp_path / "missing.md"), "--port", str(_free_port())]) == 1
    assert capsys.readouterr().err == f"publish: error: {tmp_path / 'missing.md'}: no such file\n"
