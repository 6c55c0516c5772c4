"""Accessibility checked, not declared: DAISY Ace finds no serious or critical violation in the EPUB of any sample
or of the morning brief, `publish check` reports what Ace finds, and PDF/UA-1 PDFs carry what a reader needs."""

from __future__ import annotations

import io
import re
import shutil
import zipfile
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from publish import model
from publish.checks.validators import epub as epub_checks
from publish.checks.validators import pdf as pdf_checks
from publish.cli import main
from publish.model.text import plain

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


# --- PDF/UA-1: what can be checked without veraPDF -----------------------------------------------------------

ARTICLES = sorted([*ROOT.glob("samples/*.md"), *ROOT.glob("samples/*.txt")])


def _ua_pdf(source: Path, out: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    assert main(["build", str(source), "--to", "pdf", "--pdf-variant", "pdf/ua-1", "--out", str(out)]) == 0, \
        capsys.readouterr().err
    return out / f"{source.stem}.pdf"


def _normal(text: str) -> str:
    """Text as the PDF holds it and as the model does, alike: no renderer hyphens at line ends, single spaces."""
    return " ".join(re.sub("\u2010\\s+", "", text).split())


def _same(heard: str, text: str) -> bool:
    """The same block: equal, or nearly the same letters where a PDF cannot keep the characters' order (runs of
    Latin words and numbers inside Urdu lines come out in visual order; a line break between Japanese characters
    reads as a space) or maps a glyph back to other characters (an Urdu font's hamza ligature)."""
    if heard == text:
        return True
    a, b = (Counter(c for c in value if c.isalnum()) for value in (heard, text))
    return sum((a & b).values()) >= 0.9 * max(sum(a.values()), sum(b.values()), 1)


@pytest.mark.parametrize("source", [*ARTICLES, ROOT / "samples" / "morning-brief.yaml"], ids=lambda path: path.stem)
def test_pdf_ua_structure_reads_the_article_in_order(source: Path, tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    """A PDF/UA-1 build is tagged: `publish check` finds no problem with it; its structure tree's paragraphs and
    headings, in tree order, hold each article's headline, subheads and paragraphs in the article's order; every
    figure has alternative text; the language and a displayed title are set."""
    from pypdf import PdfReader

    from publish.readers import read_file
    from publish.readers.collection import load_manifest

    path = _ua_pdf(source, tmp_path, capsys)
    assert main(["check", str(path), "--pdf-variant", "pdf/ua-1", "--skip", "qpdf"]) == 0, capsys.readouterr().out
    reader = PdfReader(path)
    blocks = pdf_checks.structure_blocks(reader)
    assert blocks is not None
    if source.suffix == ".yaml":
        collection = load_manifest(source).collection
        articles, language = list(collection.articles), collection.language
    else:
        articles = [read_file(source).article]
        language = articles[0].meta.language
    heard = [_normal(block.text) for block in blocks]
    expected = [_normal(text) for article in articles for text in [article.meta.headline, *(
        plain(block.content) for block in article.blocks
        if isinstance(block, (model.Paragraph, model.Heading)) and plain(block.content).strip())]]
    position = 0
    for text in expected:
        found = next((i for i in range(position, len(heard)) if _same(heard[i], text)), None)
        assert found is not None, f"{text[:60]!r} is not in the structure tree after block {position}"
        if text == _normal(articles[0].meta.headline) and position == 0:
            assert blocks[found].role.startswith("H")
        position = found + 1
    assert pdf_checks.figures_without_alt(reader) == 0
    root = reader.trailer["/Root"]
    assert str(root["/Lang"]) == language
    assert root["/ViewerPreferences"]["/DisplayDocTitle"]


def test_pdf_structure_out_of_order_or_without_alt_is_an_error(tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    """A tagged PDF whose tree reads two paragraphs in the wrong order, or whose figure lost its /Alt, fails."""
    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import NameObject

    path = _ua_pdf(ROOT / "samples" / "feature-tour.md", tmp_path, capsys)
    assert not [f for f in pdf_checks.inspect(path.read_bytes(), None).findings if f.check == "structure"]

    def damaged(change: Callable[[Any], bool]) -> list[str]:
        writer = PdfWriter(clone_from=PdfReader(path))
        stack = [writer.root_object["/StructTreeRoot"]]
        while stack:
            element = stack.pop()
            element = element.get_object() if hasattr(element, "get_object") else element
            if isinstance(element, dict):
                if change(element):
                    break
                kids = element.get("/K", [])
                stack.extend(reversed(kids) if isinstance(kids, list) else [kids])
        out = io.BytesIO()
        writer.write(out)
        return [f.message for f in pdf_checks.inspect(out.getvalue(), None).findings if f.check == "structure"]

    def drop_alt(element: Any) -> bool:
        if element.get("/S") == "/Figure":
            del element[NameObject("/Alt")]
            return True
        return False

    def swap_paragraphs(element: Any) -> bool:
        kids = element.get("/K")
        if isinstance(kids, list):
            roles = [kid.get_object().get("/S") if hasattr(kid, "get_object") else None for kid in kids]
            if roles.count("/P") >= 2:
                first = roles.index("/P")
                second = roles.index("/P", first + 1)
                kids[first], kids[second] = kids[second], kids[first]
                return True
        return False

    assert damaged(drop_alt) == ["1 figure(s) in the structure tree have no alternative text (/Alt)"]
    (message,) = damaged(swap_paragraphs)
    assert "a screen reader would read out of order" in message
