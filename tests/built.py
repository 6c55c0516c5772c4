"""Build an input to all four formats with the real CLI and judge the outputs as `publish check` does: epubcheck,
the Nu HTML Checker, the PDF and DOCX checks and word parity (LibreOffice left out: it adds a minute and checks
nothing these tests change)."""

from __future__ import annotations

from pathlib import Path

import pytest

from publish.checks import gate as checks
from publish.cli import main
from publish.readers import read_file

FORMATS = ("html", "pdf", "docx", "epub")


def build(source: Path, capsys: pytest.CaptureFixture[str], *extra: str,
          formats: tuple[str, ...] = FORMATS) -> tuple[dict[str, Path], list[str]]:
    """Build `source` into `out/` beside it; the outputs by format, and the lines publish printed besides "wrote"."""
    out = source.parent / "out"
    code = main(["build", str(source), "--to", ",".join(formats), "--out", str(out), *extra])
    err = [line for line in capsys.readouterr().err.splitlines() if not line.startswith("wrote ")]
    assert code == 0, err
    return {fmt: out / f"{source.stem}.{fmt}" for fmt in formats}, err


def assert_valid(outputs: dict[str, Path], source: Path) -> None:
    """Every output passes its validators with no error or warning, and holds every word of `source`."""
    document = read_file(source).article
    paths = list(outputs.values())
    report = checks.check_outputs(paths, {path: document for path in paths},
                                  checks.CheckOptions(strict=True, skip=frozenset({"libreoffice", "ace"})))
    assert report.ok, "\n".join(report.lines())
