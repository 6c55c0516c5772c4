"""Accessibility checked, not declared: DAISY Ace finds no serious or critical violation in the EPUB of any sample
or of the morning brief, `publish check` reports what Ace finds, and PDF/UA-1 PDFs carry what a reader needs."""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import pytest

from publish.cli import main
from publish.validators import epub as epub_checks

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = sorted([*ROOT.glob("samples/*.md"), *ROOT.glob("samples/*.txt"), ROOT / "samples" / "morning-brief.yaml"])
needs_ace = pytest.mark.skipif(epub_checks.ace_command() is None or shutil.which("chromium") is None,
                               reason="DAISY Ace (npm install -g @daisy/ace-cli) or Chromium is not installed")


def _epub(source: Path, out: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    assert main(["build", str(source), "--to", "epub", "--out", str(out)]) == 0, capsys.readouterr().err
    return out / f"{source.stem}.epub"


@needs_ace
@pytest.mark.parametrize("source", SAMPLES, ids=lambda path: path.stem)
def test_ace_finds_no_serious_or_critical_violation(source: Path, tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    findings = epub_checks.ace(_epub(source, tmp_path, capsys))
    assert not [str(f) for f in findings if f.severity == "error"]
    assert not [f for f in findings if f.severity == "info"], "Ace did not run"


@needs_ace
def test_publish_check_reports_an_ace_violation_as_an_error(tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    """An EPUB whose package lost its language: Ace's epub-lang (serious) fails `publish check`."""
    good = _epub(ROOT / "samples" / "feature-tour.md", tmp_path, capsys)
    broken = tmp_path / "no-lang.epub"
    with zipfile.ZipFile(good) as source, zipfile.ZipFile(broken, "w") as target:
        for info in source.infolist():
            data = source.read(info)
            if info.filename.endswith(".opf"):
                data = data.replace(b' xml:lang="en"', b"")
            target.writestr(info, data)
    assert main(["check", str(broken), "--skip", "epubcheck,html-checker,libreoffice,parity"]) == 1
    out = capsys.readouterr().out
    assert "error [ace] epub-lang (serious)" in out
    assert main(["check", str(good), "--skip", "epubcheck,html-checker,libreoffice,parity"]) == 0
    assert "[ace]" not in capsys.readouterr().out


def test_without_ace_the_check_is_a_note(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    good = _epub(ROOT / "samples" / "feature-tour.md", tmp_path, capsys)
    monkeypatch.setenv("PATH", str(tmp_path / "nowhere"))
    monkeypatch.setattr(epub_checks, "NPM_PREFIXES", ())
    monkeypatch.delenv("NPM_CONFIG_PREFIX", raising=False)
    assert epub_checks.ace(good) == [epub_checks.Finding(
        "info", "ace", "DAISY Ace is not installed; the accessibility check did not run "
                       "(npm install -g @daisy/ace-cli)")]


def test_skip_ace_leaves_it_out(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = _epub(ROOT / "samples" / "feature-tour.md", tmp_path, capsys)
    assert main(["check", str(good), "--skip", "ace,epubcheck,html-checker,libreoffice,parity"]) == 0
    assert "[ace]" not in capsys.readouterr().out
