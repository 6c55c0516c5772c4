"""What every output validator shares: findings, the inspection of one file, and running external validators
(epubcheck and the Nu HTML checker on Java, DAISY Ace, qpdf, LibreOffice) with clear errors when one is missing."""

from __future__ import annotations

import importlib.util
import io
import os
import shutil
import subprocess
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from publish.errors import PublishError

Severity = Literal["error", "warning", "info"]
TOOLS = ("epubcheck", "ace", "html-checker", "qpdf", "libreoffice", "parity")
"""What `publish check --skip` may leave out: the external validators, and word parity."""
JAVA_OPTIONS = ("-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Duser.language=en", "-Djava.awt.headless=true")
"""A validator runs for seconds: the quick JIT tier and the serial collector start a third faster."""


class ToolMissing(PublishError):
    """A validator `publish check` needs is not installed (or Java, which runs it, is not)."""


@dataclass(frozen=True, slots=True)
class Finding:
    """One thing a check found in one output file."""

    severity: Severity
    """"error" (the file is wrong), "warning" (it may be), "info" (a check that did not run, and why)."""
    check: str
    """Which check found it: "epubcheck", "parity", "fonts", "relationships"..."""
    message: str
    """What is wrong, in words that name the problem."""
    where: str = ""
    """Where inside the file, when known: a part or page and line."""

    def __str__(self) -> str:
        where = f" ({self.where})" if self.where else ""
        return f"{self.severity} [{self.check}] {self.message}{where}"


@dataclass
class Inspection:
    """What the in-process checks of one file found, and its text as a reader gets it (for parity)."""

    findings: list[Finding] = field(default_factory=list)
    """Problems found."""
    facts: dict[str, Any] = field(default_factory=dict)
    """What was measured: pages, fonts, bookmarks, declared conformance..."""
    text: list[str] | None = None
    """The text of the file, block by block or page by page; None when it could not be read."""
    other_readings: list[list[str]] = field(default_factory=list)
    """The same text read by other extractors, where installed (poppler's pdftotext in two modes, for a PDF)."""

    def error(self, check: str, message: str, where: str = "") -> None:
        """Record an error."""
        self.findings.append(Finding("error", check, message, where))

    def warning(self, check: str, message: str, where: str = "") -> None:
        """Record a warning."""
        self.findings.append(Finding("warning", check, message, where))

    def info(self, check: str, message: str, where: str = "") -> None:
        """Record a note."""
        self.findings.append(Finding("info", check, message, where))


def open_package(data: bytes, found: Inspection) -> zipfile.ZipFile | None:
    """The ZIP package of a DOCX or EPUB, or None with the error recorded when it is not one."""
    try:
        return zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as exc:
        found.error("package", f"not a ZIP package: {exc} (truncated or damaged?)")
        return None


def java(tool: str) -> str:
    """The java command to run `tool` with; ToolMissing naming how to get one when there is none."""
    home = os.environ.get("JAVA_HOME", "").strip()
    candidates = [str(Path(home) / "bin" / "java")] if home else []
    for candidate in [*candidates, "java"]:
        found = shutil.which(candidate)
        if found:
            return found
    raise ToolMissing(f"{tool} runs on Java, and no `java` was found (PATH or JAVA_HOME); install a Java 11+ "
                      f"runtime (Debian: apt-get install default-jre-headless), or leave {tool} out with "
                      f"--skip {tool}")


def bundled_jar(tool: str, package: str, jar: str, distribution: str) -> Path:
    """A validator's jar shipped inside a PyPI package; ToolMissing with the install command when absent."""
    spec = importlib.util.find_spec(package)
    origin = spec.origin if spec is not None else None
    path = Path(origin).parent / jar if origin else None
    if path is None or not path.is_file():
        raise ToolMissing(f"{tool} is not installed (it comes with the {distribution!r} package): "
                          f"pip install 'publish[check]', or leave it out with --skip {tool}")
    return path


def run(command: list[str], tool: str, timeout: float, **kwargs: Any) -> subprocess.CompletedProcess[str]:
    """Run a validator to the end, turning a missing program or a hang into one clear PublishError."""
    try:
        return subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False,
                              stdin=subprocess.DEVNULL, **kwargs)
    except FileNotFoundError:
        raise ToolMissing(f"{tool} could not be started ({command[0]} not found)") from None
    except subprocess.TimeoutExpired:
        raise PublishError(f"{tool} did not finish within {timeout:.0f} s") from None
