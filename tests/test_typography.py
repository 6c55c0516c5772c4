"""Typography from the theme's tokens in every format: hyphenation by language, no heading stranded at a page foot,
table heads repeated on every page, widows and orphans, justified and indented book paragraphs, URLs."""

from __future__ import annotations

import dataclasses
import io
import re
from pathlib import Path

import docx
import pytest
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from lxml import html as lxml_html
from pdf_facts import reader, runs

from publish import model as m
from publish.backends import RenderContext
from publish.backends import docx as docx_backend
from publish.backends import html as html_backend
from publish.build import cache
from publish.build.resources import Resources
from publish.present.theme import load_theme

from conftest import SAMPLES, every_type_article
from validators import assert_same_words

WORDS = ["the", "harbour", "authority", "considered", "extraordinary", "administrative", "responsibilities",
         "concerning", "intergovernmental", "transportation", "infrastructure", "while", "representatives",
         "acknowledged", "characteristically", "unpredictable", "meteorological", "circumstances"]


def sentence(n: int, length: int) -> str:
    return " ".join(WORDS[(n * 7 + i) % len(WORDS)] for i in range(length)).capitalize() + "."


def long_article() -> m.Article:
    """Two dozen sections of uneven length (so some subhead falls near a page foot), then a table of 70 rows."""
    blocks: list[m.Block] = []
    for number in range(1, 25):
        blocks.append(m.Heading(1, (m.Text(f"Section {number} heading"),)))
        for paragraph in range(1 + number % 3):
            blocks.append(m.Paragraph((m.Text(sentence(number + paragraph, 9 + (number * 13 + paragraph * 5) % 40)),)))
    blocks.append(m.Table(header=((m.Text("Departure"),), (m.Text("Arrival"),)),
                          rows=tuple(((m.Text(f"row {i}"),), (m.Text(f"{i % 24:02d}:00"),)) for i in range(70))))
    return m.Article(m.Meta(headline="A long article", language="en"), tuple(blocks))


def context(theme: str = "default") -> RenderContext:
    return RenderContext(theme=load_theme(theme), resources=Resources(base_dir=SAMPLES))


@pytest.fixture(scope="module")
def long_pdf() -> bytes:
    from publish.backends import pdf as pdf_backend

    return pdf_backend.render(long_article(), context())


def stranded_subheads(pdf: bytes) -> list[str]:
    """The subheads that end a page: the last line above the bottom margin (where the page number is)."""
    document = reader(pdf)
    foot = float(document.pages[0].mediabox.height) - context().theme.page.margin_bottom * 72 / 25.4
    body = [run for run in runs(document) if run.y < foot]
    last_lines = [max((r for r in body if r.page == n), key=lambda r: r.y).text for n in range(len(document.pages))]
    assert len(last_lines) >= 4
    return [line for line in last_lines if line.startswith("Section ") and line.endswith("heading")]


def test_no_subhead_is_left_at_the_foot_of_a_page(long_pdf: bytes, tmp_path: Path) -> None:
    from publish.backends import pdf as pdf_backend

    assert stranded_subheads(long_pdf) == []
    # the control: with breaks after subheads allowed again, this article does leave some at a page foot
    (tmp_path / "article.html.j2").write_text('{% extends "builtin/article.html.j2" %}{% block styles %}'
                                              "h2 { break-after: auto !important; }{% endblock %}", encoding="utf-8")
    loose = RenderContext(theme=load_theme("default", templates=(tmp_path,)), resources=Resources(base_dir=SAMPLES))
    assert stranded_subheads(pdf_backend.render(long_article(), loose)) != []


def test_a_table_that_breaks_across_pages_repeats_its_header_row(long_pdf: bytes) -> None:
    document = reader(long_pdf)
    pages_with_rows = sorted({r.page for r in runs(document) if r.text.startswith("row ")})
    assert len(pages_with_rows) >= 2
    for number in pages_with_rows:
        on_page = " | ".join(r.text for r in runs(document) if r.page == number)
        assert "Departure" in on_page and "Arrival" in on_page, number


def test_words_are_hyphenated_in_the_pdf_and_read_back_whole(long_pdf: bytes, tmp_path: Path) -> None:
    from pypdf import PdfReader

    raw = "".join(page.extract_text() for page in PdfReader(io.BytesIO(long_pdf)).pages)
    assert raw.count("\u2010\n") >= 3  # WeasyPrint hyphenated (English, from the article's lang)
    (tmp_path / "long.pdf").write_bytes(long_pdf)
    assert_same_words(long_article(), tmp_path / "long.pdf")


def test_css_hyphenates_the_body_by_language_but_never_headings_urls_or_code() -> None:
    article = m.Article(m.Meta(headline="H", language="de"), (
        m.Paragraph((m.Link((m.Text("https://news.example/a/very/long/path/that/will/not/fit"),),
                            "https://news.example/a/very/long/path/that/will/not/fit"),
                     m.Text(" and "), m.Link((m.Text("the timetable"),), "https://news.example/t"))),))
    page = lxml_html.document_fromstring(html_backend.render(article, context()))
    assert page.get("lang") == "de"
    css = page.findtext(".//style")
    assert '.article-body { hyphens: auto; hyphenate-character: "\\2010"; }' in css
    assert "hyphens: manual" in css.split("h1, h2, h3, h4, h5, h6 {")[1].split("}")[0]
    assert "a.url, .canonical a { hyphens: manual; word-break: break-all; }" in css and "overflow-wrap: anywhere" in css
    links = page.findall(".//a")
    assert [a.get("class") for a in links] == ["url", None]
    no_hyphens = dataclasses.replace(context().theme, typography=dataclasses.replace(
        context().theme.typography, hyphenate=False, widows=3, orphans=4))
    css = lxml_html.document_fromstring(html_backend.render(article, RenderContext(
        theme=no_hyphens, resources=Resources(base_dir=SAMPLES)))).findtext(".//style")
    assert ".article-body { hyphens: manual;" in css and "widows: 3; orphans: 4;" in css


def test_docx_hyphenation_widow_control_and_headings_kept_with_their_text() -> None:
    document = docx.Document(io.BytesIO(docx_backend.render(every_type_article(), context())))
    settings = document.settings.element
    assert settings.find(qn("w:autoHyphenation")) is not None
    styles = document.styles
    assert styles["Normal"].paragraph_format.widow_control is True
    for name in ("Title", "Heading 1", "Heading 2", "Source Code"):
        assert styles[name].element.pPr.find(qn("w:suppressAutoHyphens")) is not None, name
    assert styles["Heading 1"].paragraph_format.keep_with_next is True
    plain = dataclasses.replace(context().theme, typography=dataclasses.replace(context().theme.typography,
                                                                                 hyphenate=False))
    document = docx.Document(io.BytesIO(docx_backend.render(every_type_article(), RenderContext(
        theme=plain, resources=Resources(base_dir=SAMPLES)))))
    assert document.settings.element.find(qn("w:autoHyphenation")) is None


def test_the_digest_sets_book_paragraphs_in_every_format(tmp_path: Path) -> None:
    """Justified, first-line indents without space between (none after a heading), small-caps subheads, a centred
    title block: in the CSS, and in the DOCX as styles an editor can change."""
    ctx = context("digest")
    article = every_type_article()
    css = lxml_html.document_fromstring(html_backend.render(article, ctx)).findtext(".//style")
    assert ".article-body p + p { text-indent: 1.3em; }" in css and "text-align: justify" in css
    assert "font-variant-caps: small-caps" in css and "text-align: center" in css
    document = docx.Document(io.BytesIO(docx_backend.render(article, ctx)))
    styles = document.styles
    assert styles["Normal"].paragraph_format.alignment == WD_ALIGN_PARAGRAPH.JUSTIFY
    assert styles["Normal"].paragraph_format.first_line_indent.pt == pytest.approx(ctx.theme.sizes.body * 1.3)
    assert styles["Normal"].paragraph_format.space_after.pt == 0
    assert styles["First Paragraph"].paragraph_format.first_line_indent.pt == 0
    assert styles["Heading 1"].font.small_caps is True and styles["Heading 1"].font.bold is False
    assert styles["Title"].paragraph_format.alignment == WD_ALIGN_PARAGRAPH.CENTER
    assert styles["Title"].element.pPr.find(qn("w:pBdr")) is None  # the template's rule is gone
    body = [(p.style.name, p.text[:20]) for p in document.paragraphs if p.style.name in ("Normal", "First Paragraph")]
    assert body[0][0] == "First Paragraph"  # after the dateline
    after_heading = [body[i] for i, (style, _) in enumerate(body) if style == "First Paragraph"]
    assert ("First Paragraph", "The authority listed") in after_heading or len(after_heading) >= 2
    sections = document.sections[0]
    assert document.settings.odd_and_even_pages_header_footer  # page numbers at the outer corners
    odd, even = sections.footer.paragraphs[0], sections.even_page_footer.paragraphs[0]
    assert odd.alignment == WD_ALIGN_PARAGRAPH.RIGHT and even.alignment in (None, WD_ALIGN_PARAGRAPH.LEFT)


def test_a_paragraphs_last_word_is_marked_whole_before_the_layout() -> None:
    """publish.present.hyphenation.last_words_kept_whole: the last word of each run of text in an article body
    (across inline elements, in nested lists) goes into a span that does not hyphenate, a word too short to
    hyphenate gets none, and nothing outside article bodies changes."""
    from publish.present.hyphenation import KEEP_WHOLE, last_words_kept_whole

    html = ('<!DOCTYPE html><html><body><div class="article-body"><p>Municipal crews cleared the <em>drains'
            '</em>.</p><ul><li>Teams inspected stations<ul><li>near the harbourside</li></ul> in low-lying '
            'neighbourhoods</li></ul><p>They said so.</p></div><p>Outside the article: unmarked paragraph</p>'
            '</body></html>')
    marked = last_words_kept_whole(html, shortest=6)
    kept = re.findall(f'<span style="{KEEP_WHOLE}">([^<]*)</span>', marked)
    assert kept == ["drains", ".", "stations", "harbourside", "neighbourhoods"]  # "so." is too short to break
    assert re.sub(r"<[^>]+>", "", marked).strip() == re.sub(r"<[^>]+>", "", html)  # the same words, in order
    assert marked.startswith("<!DOCTYPE html>") and "unmarked paragraph</p>" in marked


@pytest.mark.parametrize("theme_name", ["default", "brief"])
def test_a_collections_pieces_mark_the_words_marking_the_whole_document_marks(monkeypatch: pytest.MonkeyPatch,
                                                                            theme_name: str) -> None:
    """A collection's print HTML marks each article's last words in the article's own piece
    (last_words_kept_whole_in_piece, cached with the piece: a rebuild marks only what changed): the same words,
    in the same order, as marking the whole document at once, and the same text."""
    from publish.backends import pdf as pdf_backend
    from publish.present import hyphenation
    from publish.readers.collection import load_manifest

    loaded = load_manifest(SAMPLES / "morning-brief.yaml")
    theme = load_theme(theme_name)
    assert theme.typography.hyphenate
    context = RenderContext(theme=theme, resources=Resources(base_dir=loaded.folder, roots=(*loaded.article_folders,
                                                                                           theme.folder)))
    with cache.turned_off():
        pieces = pdf_backend.print_html(loaded.collection, context)
        with monkeypatch.context() as patch:
            patch.setattr(hyphenation, "last_words_kept_whole_in_piece", lambda html, shortest: html)
            unmarked = html_backend.render(loaded.collection, context, for_pdf=True)
    whole = hyphenation.last_words_kept_whole(unmarked, theme.typography.hyphenate_before
                                              + theme.typography.hyphenate_after)

    def kept(html: str) -> list[str]:
        tree = lxml_html.document_fromstring(html)
        return [span.text_content() for span in tree.iter("span") if span.get("style") == hyphenation.KEEP_WHOLE]

    assert unmarked != pieces and len(kept(pieces)) > 20
    assert kept(pieces) == kept(whole)
    text = [lxml_html.document_fromstring(html).text_content().split() for html in (pieces, whole)]
    assert text[0] == text[1]
