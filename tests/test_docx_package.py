"""The DOCX backend as a package: styles built once per theme and reused in one process, never leaking from one
theme or language into another; right-to-left runs and first paragraphs decided while the body is written."""

from __future__ import annotations

import dataclasses
import io
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import docx
import pytest
from docx.enum.style import WD_STYLE_TYPE
from docx.oxml.ns import qn
from docx.shared import RGBColor

from publish import model as m
from publish.backends import RenderContext
from publish.backends.docx import render
from publish.build.resources import Resources
from publish.present.theme import Theme, load_theme

import cached

SAMPLES = Path(__file__).resolve().parent.parent / "samples"


def context_for(theme: Theme) -> RenderContext:
    return RenderContext(theme=theme, resources=Resources(base_dir=SAMPLES, roots=(theme.folder,)))


@pytest.fixture(autouse=True)
def fixed_epoch(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1718000000")


def test_reused_styles_give_the_same_file_as_the_first_render(tour_article: m.Article) -> None:
    default, brief = load_theme("default"), load_theme("brief")
    first = render(tour_article, context_for(default))
    other = render(tour_article, context_for(brief))
    urdu = render(dataclasses.replace(tour_article, meta=dataclasses.replace(tour_article.meta, language="ur")),
                  context_for(default))
    again = render(tour_article, context_for(default))
    assert again == first  # another theme and another language in between change nothing
    assert other != first and urdu != first


def test_a_changed_theme_token_restyles_the_document(tour_article: m.Article) -> None:
    theme = load_theme("default")
    recoloured = dataclasses.replace(theme, colors=dataclasses.replace(theme.colors, accent="#123456"))

    def link_colour(chosen: Theme) -> RGBColor | None:
        document = docx.Document(io.BytesIO(render(tour_article, context_for(chosen))))
        return document.styles["Hyperlink"].font.color.rgb

    original = link_colour(theme)
    assert link_colour(recoloured) == RGBColor(0x12, 0x34, 0x56)
    assert link_colour(theme) == original != RGBColor(0x12, 0x34, 0x56)


def test_mixed_direction_runs_and_right_to_left_paragraphs_in_an_urdu_article() -> None:
    article = m.Article(m.Meta(headline="کراچی میں نئی فیری", language="ur"), (
        m.Paragraph((m.Text("فیری Pier 7 سے چلے گی"),)),
        m.Table(((m.Text("وقت"),), (m.Text("Time"),)), (((m.Text("۱۰ بجے"),), (m.Text("22:00"),)),)),
    ))
    document = docx.Document(io.BytesIO(render(article, context_for(load_theme("default")))))
    body = document.element.body
    lede = next(p for p in document.paragraphs if "Pier 7" in p.text)
    runs = [(run.text, run._r.rPr is not None and run._r.rPr.find(qn("w:rtl")) is not None) for run in lede.runs]
    # a Latin word keeps its own run; the neutrals between it and Urdu (space, digit) go with the paragraph
    assert runs == [("فیری ", True), ("Pier", False), (" 7 سے چلے گی", True)]
    assert all(p.pPr is not None and p.pPr.find(qn("w:bidi")) is not None for p in body.iter(qn("w:p")))
    assert body.find(f"{qn('w:tbl')}/{qn('w:tblPr')}/{qn('w:bidiVisual')}") is not None
    assert body.sectPr.find(qn("w:bidi")) is not None
    header = document.sections[0].first_page_header  # the empty head above the headline runs right to left too
    assert all(p._p.pPr.find(qn("w:bidi")) is not None for p in header.paragraphs)


def test_first_paragraph_after_each_break_in_an_indented_theme() -> None:
    article = m.Article(m.Meta(headline="A headline"), (
        m.Paragraph((m.Text("Lede."),)),
        m.Paragraph((m.Text("Second."),)),
        m.Heading(1, (m.Text("Subhead"),)),
        m.Paragraph((m.Text("After the subhead."),)),
        m.Table(((m.Text("A"),),), (((m.Text("1"),),),)),
        m.Paragraph((m.Text("After the table."),)),
    ))
    document = docx.Document(io.BytesIO(render(article, context_for(load_theme("digest")))))
    styles = {p.text: p.style.name for p in document.paragraphs if p.text}
    assert styles["Lede."] == "First Paragraph"
    assert styles["Second."] == "Normal"
    assert styles["After the subhead."] == "First Paragraph"
    assert styles["After the table."] == "First Paragraph"  # after the table and its spacer
    spaced = docx.Document(io.BytesIO(render(article, context_for(load_theme("default")))))
    assert "First Paragraph" not in {p.style.name for p in spaced.paragraphs}


def _publish(*args: str, cache_dir: Path) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "PUBLISH_CACHE_DIR": str(cache_dir), "SOURCE_DATE_EPOCH": "1700000000"}
    return subprocess.run([sys.executable, "-m", "publish", *args], env=environment, capture_output=True, text=True,
                          timeout=600)


def test_styled_template_is_kept_in_the_cache_and_gives_the_same_bytes(tmp_path: Path) -> None:
    """The theme's styles are built by the first build and read back by the next: the same DOCX cold, warm, with a
    damaged entry, and with --no-cache."""
    cache_dir = tmp_path / "cache"
    article, brief = str(SAMPLES / "urdu-library.md"), str(SAMPLES / "morning-brief.yaml")
    outputs = {}
    for run in ("cold", "warm", "damaged", "none"):
        if run == "damaged":
            for key, stored in cached.entries(cache_dir, "pieces").items():
                cached.change(cache_dir, "pieces", key, data=stored[:-100])
        extra = ("--no-cache",) if run == "none" else ()
        done = _publish("build", article, brief, "--to", "docx", "--out", str(tmp_path / run), *extra,
                        cache_dir=cache_dir)
        assert done.returncode == 0, done.stderr
        outputs[run] = {p.name: p.read_bytes() for p in (tmp_path / run).iterdir()}
        if run in ("cold", "warm"):  # one styled template per language and kind: the Urdu article, the English
            assert len(cached.entries(cache_dir, "pieces")) == 2  # packet; the warm build adds none
    assert len(outputs["cold"]) == 2
    assert outputs["cold"] == outputs["warm"] == outputs["damaged"] == outputs["none"]


def test_a_document_holds_the_styles_it_uses_once_and_every_style_it_names(tour_article: m.Article) -> None:
    """python-docx's template carries 100 table styles and Word 2010's copy of its styles part: 0.79 MB of the 0.85 MB
    every document parsed, wrote and compressed again. A document keeps the default table style and the one the
    writer uses, no copy, and defines every style its body, headers and footers name (including a table's)."""
    data = render(tour_article, context_for(load_theme("default")))
    document = docx.Document(io.BytesIO(data))
    styles = document.styles.element
    assert "word/stylesWithEffects.xml" not in zipfile.ZipFile(io.BytesIO(data)).namelist()
    assert not [rel for rel in document.part.rels.values() if rel.reltype.endswith("/stylesWithEffects")]
    tables = [style for style in styles.style_lst if style.type == WD_STYLE_TYPE.TABLE]
    assert sorted(style.name_val for style in tables) == ["Normal Table", "Table Grid"]
    assert document.tables and all(table.style.name == "Table Grid" for table in document.tables)
    defined = {style.styleId for style in styles.style_lst}
    named = set()
    parts = [document.element, *(section.header._element for section in document.sections),
             *(section.footer._element for section in document.sections)]
    for part in parts:
        for tag in ("w:pStyle", "w:rStyle", "w:tblStyle"):
            named.update(element.get(qn("w:val")) for element in part.iter(qn(tag)))
    for style in styles.style_lst:  # and every style another is based on, follows or links to
        for tag in ("w:basedOn", "w:next", "w:link"):
            found = style.find(qn(tag))
            if found is not None:
                named.add(found.get(qn("w:val")))
    assert named and named <= defined, sorted(named - defined)
    assert len(data) < 40_000  # was 46 KiB with the table styles and the copy
