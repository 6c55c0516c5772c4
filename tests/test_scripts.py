"""Right-to-left and non-Latin scripts: the Urdu and Japanese samples in all four formats, read back as a reader
would get them: direction, fonts that have the glyphs, every letter, Latin names and numbers in order."""

from __future__ import annotations

import io
import logging
import re
import unicodedata
import zipfile
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import docx
import pytest
from docx.oxml.ns import qn
from lxml import etree
from lxml import html as lxml_html
from pdf_facts import Run, fonts, reader, runs

from publish import model as m
from publish.backends import RenderContext
from publish.backends import docx as docx_backend
from publish.backends import epub as epub_backend
from publish.backends import html as html_backend
from publish.build.resources import Resources
from publish.checks import gate as checks
from publish.model import text
from publish.present.theme import load_theme
from publish.readers import read_file

from conftest import SAMPLES
from validators import run_epubcheck

URDU = read_file(SAMPLES / "urdu-library.md").article
JAPANESE = read_file(SAMPLES / "japanese-ferry.md").article
LATIN_IN_URDU = ["Frere Hall", "KMC", "Wi-Fi", "Mbps", "Braille", "Pakistan Studies", "Computer Science"]
NUMBERS_IN_URDU = ["1865", "40,000", "350", "2023", "200"]
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
XHTML = "{http://www.w3.org/1999/xhtml}"


def context(theme: str) -> RenderContext:
    loaded = load_theme(theme, publisher="Harbour Daily", logo=SAMPLES / "logo.png")
    return RenderContext(theme=loaded, resources=Resources(base_dir=SAMPLES, roots=(loaded.folder,)))


class Collected(logging.Handler):
    """WeasyPrint's log while a PDF renders: it warns for every glyph no font has (a .notdef box on the page)."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def render_pdf(article: m.Article, ctx: RenderContext) -> tuple[bytes, list[str]]:
    from publish.backends import pdf as pdf_backend

    handler, logger = Collected(), logging.getLogger("weasyprint")
    logger.addHandler(handler)
    try:
        return pdf_backend.render(article, ctx), handler.messages
    finally:
        logger.removeHandler(handler)


@pytest.fixture(scope="module")
def urdu_pdf() -> tuple[bytes, list[str]]:
    return render_pdf(URDU, context("brief"))


@pytest.fixture(scope="module")
def english_pdf() -> bytes:
    return render_pdf(read_file(SAMPLES / "feature-tour.md").article, context("brief"))[0]


def letters(value: str) -> Counter[str]:
    """The right-to-left letters of a text, counted (order-free: a PDF holds lines in visual order)."""
    return Counter(c for c in unicodedata.normalize("NFKC", value)
                   if unicodedata.bidirectional(c) in ("R", "AL") and unicodedata.category(c).startswith("L"))


def story_text(article: m.Article) -> str:
    return " ".join([article.meta.headline, article.meta.dek, *text.block_texts(article.blocks)])


# --- Urdu: the PDF -------------------------------------------------------------------------------------------------


def test_urdu_pdf_is_set_in_an_embedded_arabic_script_font_with_no_missing_glyphs(urdu_pdf) -> None:
    data, log = urdu_pdf
    assert [message for message in log if ".notdef" in message] == []  # WeasyPrint names every glyph no font has
    used = fonts(reader(data))
    assert used.get("Noto-Naskh-Arabic") is True and used.get("Noto-Naskh-Arabic-Bold") is True, used
    assert all(used.values()), used
    # every Urdu letter, the running head's and the page number's too, in the Urdu font: no word set in two fonts
    urdu = [run for run in runs(reader(data)) if letters(run.text)]
    assert urdu and {run.font for run in urdu} == {"Noto-Naskh-Arabic", "Noto-Naskh-Arabic-Bold"}


def test_urdu_pdf_text_has_every_letter_and_the_latin_names_and_numbers_in_order(urdu_pdf) -> None:
    pages = checks.pdf_text(urdu_pdf[0])
    found, expected = letters(" ".join(pages)), letters(story_text(URDU))
    short = {c: n - found[c] for c, n in expected.items() if found[c] < n}
    assert short == {}, f"letters missing from the PDF's text: {short}"
    flat = " ".join(" ".join(pages).split())
    for name in LATIN_IN_URDU:  # a left-to-right run inside right-to-left text keeps its own order
        assert name in flat, name
    for number in NUMBERS_IN_URDU:  # digits stay left to right (a PDF may glue them to the next word)
        assert number in flat, number


def _page_furniture(pdf: bytes, page: int) -> tuple[Line, Line, float]:
    """The running head (the topmost line) and page number (the lowest) of a page, and the page's width."""
    document = reader(pdf)
    on_page = [run for run in runs(document) if run.page == page]
    top, bottom = min(r.y for r in on_page), max(r.y for r in on_page)
    return (Line([r for r in on_page if abs(r.y - top) < 1]), Line([r for r in on_page if abs(r.y - bottom) < 1]),
            float(document.pages[page].mediabox.width))


class Line:
    """The runs drawn on one line: their text, and where the line starts and ends (its leftmost run's x)."""

    def __init__(self, pieces: list[Run]) -> None:
        self.text = " ".join(run.text for run in pieces)
        self.left = min(run.x for run in pieces)
        self.right = max(run.x for run in pieces)


def test_running_head_and_page_numbers_mirror_in_right_to_left_text(urdu_pdf, english_pdf) -> None:
    """The brief puts its running head at the start of the line and page numbers at the end: left and right in
    English, right and left in Urdu."""
    head, folio, width = _page_furniture(english_pdf, 1)
    assert head.text == "Night Ferry Trial Brings the Old Port Back to Life" and head.left < width / 4
    assert folio.text == "Page 2 of 2" and folio.left > width / 2
    head, folio, width = _page_furniture(urdu_pdf[0], 1)
    assert letters(head.text) == letters(URDU.meta.headline) and head.left > width / 2
    assert letters(folio.text) == letters("صفحہ از") and folio.right < width / 4
    # the letterhead's label, in Urdu over an Urdu story, at the line's end (mirrored)
    label = next(run for run in runs(reader(urdu_pdf[0])) if run.text == "پریس بریف")
    assert label.page == 0 and label.x < width / 4


# --- Urdu: HTML, EPUB, DOCX ------------------------------------------------------------------------------------


def test_urdu_html_is_right_to_left_in_urdu_words() -> None:
    page = lxml_html.document_fromstring(html_backend.render(URDU, context("brief")))
    assert (page.get("dir"), page.get("lang")) == ("rtl", "ur")
    assert page.find(".//address").text_content() == "تحریر: عائشہ ملک"
    assert page.find(".//time").text_content() == "14 جون 2024"
    css = page.findtext(".//style")
    assert re.search(r'body:lang\(ur\), \.article:lang\(ur\)[^{]*\{ font-family: "Noto Naskh Arabic"', css)
    assert "@top-right" in css and "@bottom-left" in css
    assert 'content: "صفحہ " counter(page) " از " counter(pages)' in css


def test_urdu_and_japanese_epubs_pass_epubcheck(tmp_path: Path) -> None:
    paths = [tmp_path / "urdu.epub", tmp_path / "japanese.epub"]
    paths[0].write_bytes(epub_backend.render(URDU, context("brief")))
    paths[1].write_bytes(epub_backend.render(JAPANESE, context("digest")))
    with ThreadPoolExecutor(max_workers=2) as pool:  # two Java processes at once: most of each run is Java starting
        reports = list(pool.map(run_epubcheck, paths))
    for report in reports:
        assert report["checker"]["nError"] == 0 and report["checker"]["nWarning"] == 0


def test_urdu_epub_is_right_to_left() -> None:
    data = epub_backend.render(URDU, context("brief"))
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        chapter = etree.fromstring(package.read(next(n for n in package.namelist() if n.endswith("chapter.xhtml"))))
        opf = etree.fromstring(package.read(next(n for n in package.namelist() if n.endswith(".opf"))))
    assert chapter.get("dir") == "rtl" and chapter.get("lang") == "ur"
    assert opf.find("{*}spine").get("page-progression-direction") == "rtl"
    body = [p.xpath("string()") for p in chapter.iterfind(f".//{XHTML}div[@class='article-body']/{XHTML}p")]
    assert body[0].startswith("کراچی: شہر کی تاریخی فریئر ہال (Frere Hall) لائبریری")


def _runs(paragraph: etree._Element) -> Iterator[tuple[bool, str]]:
    for run in paragraph.iter(f"{W}r"):
        value = "".join(t.text or "" for t in run.iter(f"{W}t"))
        if value:
            yield run.find(f"{W}rPr/{W}rtl") is not None, value


def test_urdu_docx_paragraphs_sections_and_tables_run_right_to_left() -> None:
    document = docx.Document(io.BytesIO(docx_backend.render(URDU, context("brief"))))
    body = document.element.body
    paragraphs = [p for p in body.iter(f"{W}p") if "".join(t.text or "" for t in p.iter(f"{W}t")).strip()]
    assert len(paragraphs) > 20
    assert all(p.find(f"{W}pPr/{W}bidi") is not None for p in paragraphs)
    assert body.find(f"{W}sectPr/{W}bidi") is not None
    assert body.find(f".//{W}tblPr/{W}bidiVisual") is not None
    for story in (document.sections[0].header, document.sections[0].footer):
        assert all(p._p.find(f"{W}pPr/{W}bidi") is not None for p in story.paragraphs)
    assert "صفحہ" in document.sections[0].footer.paragraphs[0].text
    normal = document.styles["Normal"]
    assert normal.element.rPr.rFonts.get(qn("w:cs")) == "Noto Naskh Arabic"
    assert normal.element.rPr.find(qn("w:lang")).get(qn("w:bidi")) == "ur"
    assert document.styles["Quote"].element.pPr.find(f"{qn('w:pBdr')}/{qn('w:right')}") is not None


def test_urdu_docx_marks_urdu_runs_rtl_and_keeps_latin_names_apart_in_order() -> None:
    document = docx.Document(io.BytesIO(docx_backend.render(URDU, context("default"))))
    lead = next(p for p in document.paragraphs if p.text.startswith("کراچی: شہر"))
    first = URDU.blocks[0]
    assert isinstance(first, m.Paragraph) and lead.text == text.plain(first.content)  # logical order, whole
    pieces = list(_runs(lead._p))
    assert pieces[:3] == [(True, "کراچی: شہر کی تاریخی فریئر ہال ("), (False, "Frere Hall"),
                          (True, ") لائبریری اب پیر سے ہفتہ تک صبح 9 بجے سے رات 10 بجے تک کھلی رہے گی۔ کراچی "
                                 "میٹروپولیٹن کارپوریشن (")]
    for is_rtl, value in _runs(document.element.body):
        assert is_rtl == any(unicodedata.bidirectional(c) in ("R", "AL") for c in value), value


def test_right_to_left_words_in_an_english_docx_are_marked_without_turning_the_paragraph() -> None:
    article = m.Article(m.Meta(headline="Signs", language="en"),
                        (m.Paragraph((m.Text("The sign read “کتب خانہ” above the door in 1865."),)),))
    document = docx.Document(io.BytesIO(docx_backend.render(article, context("default"))))
    sign = document.paragraphs[-1]
    assert sign._p.find(f"{W}pPr/{W}bidi") is None
    assert list(_runs(sign._p)) == [(False, "The sign read “"), (True, "کتب خانہ"),
                                    (False, "” above the door in 1865.")]


# --- Japanese ------------------------------------------------------------------------------------------------


def test_japanese_pdf_uses_the_japanese_cjk_font_and_keeps_every_character() -> None:
    data, log = render_pdf(JAPANESE, context("digest"))
    assert [message for message in log if ".notdef" in message] == []
    used = fonts(reader(data))
    assert any(name.startswith("Noto-Serif-CJK-JP") for name in used) and all(used.values()), used
    kana_or_kanji = [run for run in runs(reader(data)) if any("\u3040" <= c <= "\u9fff" for c in run.text)]
    assert kana_or_kanji and {run.font.rsplit("-", 1)[0] if run.font.endswith("-Bold") else run.font
                              for run in kana_or_kanji} == {"Noto-Serif-CJK-JP"}, {r.font for r in kana_or_kanji}
    flat = "".join("".join(checks.pdf_text(data)).split())
    for passage in text.block_texts(JAPANESE.blocks):  # lines break anywhere in Japanese: compare without them
        assert "".join(passage.split()) in flat, passage


def test_japanese_html_and_docx() -> None:
    ctx = context("digest")
    page = lxml_html.document_fromstring(html_backend.render(JAPANESE, ctx))
    assert (page.get("lang"), page.get("dir")) == ("ja", "ltr")
    assert page.find(".//time").text_content() == "2024年6月20日"
    assert 'body:lang(ja), .article:lang(ja) { font-family: "Noto Serif CJK JP"' in page.findtext(".//style")
    document = docx.Document(io.BytesIO(docx_backend.render(JAPANESE, ctx)))
    fonts_element = document.styles["Normal"].element.rPr.rFonts
    assert fonts_element.get(qn("w:eastAsia")) == "Noto Serif CJK JP" and fonts_element.get(qn("w:ascii")) == \
        "Charis SIL"
    assert document.styles["Normal"].element.rPr.find(qn("w:lang")).get(qn("w:eastAsia")) == "ja"
    defaults = document.styles.element.find(f"{W}docDefaults/{W}rPrDefault/{W}rPr/{W}rFonts")
    assert defaults.get(qn("w:hint")) == "eastAsia"  # shared punctuation (“”・) takes the Japanese font
    assert document.paragraphs[2].text == "文・山田 花子"
