"""The visual regression check: every page of every sample and the morning brief, in every built-in theme, as PDF
and as LibreOffice lays out the DOCX, looks as its committed reference in tests/gallery/ does (scripts/gallery.py
draws both; `python3 scripts/gallery.py --update` changes the look on purpose). Also: the comparison sees a
changed word and a margin moved by 2 pt, and forgives nothing a second clean run would not repeat."""

from __future__ import annotations

import importlib.util
import json
import shutil
import sys
import tempfile
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from PIL import Image

import publish
from publish.model import jsonform
from publish.present.theme import load_theme

ROOT = Path(__file__).resolve().parent.parent


def _gallery() -> ModuleType:
    spec = importlib.util.spec_from_file_location("gallery", ROOT / "scripts" / "gallery.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["gallery"] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


gallery = _gallery()
HAS_LIBREOFFICE = (shutil.which("soffice") or shutil.which("libreoffice")) is not None
REDRAW = "If the new look is meant, redraw the references on purpose: python3 scripts/gallery.py --update, and look."

pytestmark = pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="needs poppler-utils (pdftoppm)")


@pytest.fixture(scope="module")
def drawn(tmp_path_factory: pytest.TempPathFactory) -> dict[object, list[Image.Image]]:
    """Every page drawn once for the module: the DOCX laid out by one LibreOffice run while the PDFs are made."""
    formats = gallery.FORMATS if HAS_LIBREOFFICE else ("pdf",)
    result: dict[object, list[Image.Image]] = gallery.draw(tmp_path_factory.mktemp("gallery"), formats)
    return result


@pytest.mark.parametrize("document", gallery.documents(), ids=lambda document: document.name)
def test_every_page_looks_as_its_reference(document: Any, drawn: dict[object, list[Image.Image]],
                                           tmp_path: Path) -> None:
    """Same number of pages, and each page within the tolerance of its picture; a differing page's reference, new
    page and changed pixels are written side by side into the test's tmp folder."""
    if document.format == "docx" and not HAS_LIBREOFFICE:
        pytest.skip("LibreOffice (soffice) is not installed; bash scripts/setup --test installs it")
    found = gallery.differences(document, drawn[document], out=tmp_path)
    assert not found, "\n".join([*found, REDRAW])


def test_the_references_cover_every_input_theme_and_format_and_stay_small() -> None:
    """A theme or sample added without references fails here, as do stray or missing pictures."""
    assert json.loads((gallery.REFERENCES / "manifest.json").read_text(encoding="utf-8"))["resolution"] \
        == gallery.RESOLUTION, REDRAW
    manifest = gallery.load_manifest()
    assert set(manifest) == set(gallery.documents()), REDRAW
    for entries in manifest.values():
        assert [entry["page"] for entry in entries] == list(range(1, len(entries) + 1))
        assert {entry["pages"] for entry in entries} == {len(entries)}
    files = {entry["file"] for entries in manifest.values() for entry in entries}
    assert files == {path.name for path in gallery.REFERENCES.glob("*.png")}, REDRAW
    for entries in manifest.values():
        for entry in entries:
            with Image.open(gallery.REFERENCES / entry["file"]) as picture:
                assert list(picture.size) == entry["size"]
                assert gallery.fingerprint(gallery.reduce(picture)) == entry["sha256"], entry["file"]
    assert sum(path.stat().st_size for path in gallery.REFERENCES.iterdir()) < 3_000_000


def _pages(article: publish.Article, theme: str) -> list[Image.Image]:
    with gallery.fixed_date(), tempfile.TemporaryDirectory() as tmp:
        pdf = Path(tmp, "page.pdf")
        pdf.write_bytes(publish.render(article, "pdf", theme=theme, base_dir=ROOT / "samples"))
        pages: list[Image.Image] = gallery._pages(pdf, Path(tmp, "pages"))
        return pages


def _theme(folder: Path, extends: str, margin: str, millimetres: float) -> str:
    folder.mkdir()
    (folder / "theme.toml").write_text(f'[theme]\nname = "{folder.name}"\ndescription = "one margin 2 pt wider"\n'
                                       f'extends = "{extends}"\n[page]\n{margin} = {millimetres}\n', encoding="utf-8")
    return str(folder)


def test_a_changed_word_and_a_margin_moved_2pt_are_seen_and_a_second_clean_run_is_not(tmp_path: Path) -> None:
    """The tolerance forgives nothing that changes what a reader sees: one word, a margin 2 pt (0.71 mm) wider, even
    the outer one of the ragged-right brief where no line rewraps and only the rules' ends move, a page more."""
    article = publish.read(ROOT / "samples" / "dar-bishkek.txt").article
    for theme, margin in (("default", "margin_inner"), ("brief", "margin_outer")):
        millimetres = getattr(load_theme(theme).page, margin) + 2 * 25.4 / 72
        document = gallery.Document("samples/dar-bishkek.txt", theme, "pdf")
        references = tmp_path / theme
        gallery.update({document: _pages(article, theme)}, references)

        assert gallery.differences(document, _pages(article, theme), references) == []

        wider = _pages(article, _theme(tmp_path / f"{theme}-wider", theme, margin, millimetres))
        found = gallery.differences(document, wider, references)
        assert len(found) == 1 and found[0].startswith(f"samples/dar-bishkek.txt, {theme} theme, PDF page 1: ")

    reworded = jsonform.loads(jsonform.dumps(article).replace("injured", "wounded", 1))
    found = gallery.differences(document, _pages(reworded, "brief"), references, out=tmp_path / "diff")
    assert len(found) == 1 and found[0].startswith("samples/dar-bishkek.txt, brief theme, PDF page 1: ")
    assert (tmp_path / "diff" / "dar-bishkek-brief-pdf-01.diff.png").is_file()

    found = gallery.differences(document, _pages(article, "brief") * 2, references)
    assert found == ["samples/dar-bishkek.txt, brief theme, PDF: 2 pages, the reference has 1"]
