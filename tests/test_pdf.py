"""The PDF: selectable text, embedded fonts, metadata, bookmarks from headings, page numbers, contained fetching."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from pypdf import PdfReader

from publish.backends import RenderContext, pdfengine
from publish.backends import pdf as backend

from conftest import every_type_article
from validators import assert_same_words


@pytest.fixture(scope="module")
def pdf() -> bytes:
    from publish.build.resources import Resources
    from publish.present.theme import load_theme

    context = RenderContext(theme=load_theme(), resources=Resources(base_dir=Path(__file__).parent.parent / "samples"))
    return backend.render(every_type_article(), context)


@pytest.fixture(scope="module")
def reader(pdf: bytes) -> PdfReader:
    return PdfReader(io.BytesIO(pdf))


def test_text_is_selectable_and_complete(pdf: bytes, tmp_path: Path) -> None:
    path = tmp_path / "tour.pdf"
    path.write_bytes(pdf)
    assert_same_words(every_type_article(), path)


def test_metadata(reader: PdfReader) -> None:
    info = reader.metadata
    assert info.title == "Harbour Authority Opens Night Ferry Line"
    assert info.author == "Amina Qureshi; Tomás Ríos"
    assert info["/Keywords"] == "transport, ferries, Karachi"
    assert info["/CreationDate"].startswith("D:20240612")
    assert reader.trailer["/Root"]["/Lang"] == "en"


def test_bookmarks_follow_headline_and_subheads(reader: PdfReader) -> None:
    def titles(outline: list) -> list:
        return [titles(item) if isinstance(item, list) else item.title for item in outline]

    assert titles(reader.outline) == ["Harbour Authority Opens Night Ferry Line", ["What riders get", ["Timetable"]]]


def test_fonts_are_embedded(reader: PdfReader) -> None:
    fonts = []
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            descriptor = font.get_object()["/DescendantFonts"][0].get_object()["/FontDescriptor"]
            fonts.append((font.get_object()["/BaseFont"], any(k in descriptor for k in ("/FontFile", "/FontFile2",
                                                                                          "/FontFile3"))))
    assert fonts and all(embedded for _, embedded in fonts), fonts


def test_page_numbers_and_running_head(reader: PdfReader) -> None:
    pages = [page.extract_text() for page in reader.pages]
    assert len(pages) >= 2
    for number, page in enumerate(pages, 1):
        assert f"Page {number} of {len(pages)}" in page
    headline = "Harbour Authority Opens Night Ferry Line"
    assert " ".join(pages[0].split()).count(headline) == 1  # the headline itself; no running head on page 1
    assert headline in pages[1]  # the running head: page 2 holds no other copy of the headline


def test_fetcher_serves_only_allowed_folders(tmp_path: Path) -> None:
    inside = tmp_path / "article"
    inside.mkdir()
    (inside / "ok.css").write_text("p{}")
    (tmp_path / "secret.txt").write_text("secret")
    fetcher = pdfengine.ContainedFetcher((inside,), allow_remote=False)
    assert fetcher.fetch((inside / "ok.css").as_uri()).read() == b"p{}"
    assert fetcher.fetch("data:text/plain,hi").read() == b"hi"
    for url in [(tmp_path / "secret.txt").as_uri(), (inside / ".." / "secret.txt").as_uri(),
                "http://127.0.0.1:9/x.css", "file:///etc/hostname", "ftp://example.org/x"]:
        with pytest.raises(ValueError, match="publish refused"):
            fetcher.fetch(url)
    assert len(fetcher.refused) == 5
