"""The DOCX backend, checked by re-reading its output with python-docx (and LibreOffice where installed)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import shutil
import subprocess
import zipfile
from pathlib import Path
from typing import Any

import docx
import pytest
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor

from publish import model as m
from publish import present
from publish.backends import RenderContext
from publish.backends.docx import render
from publish.errors import RenderError

SAMPLES = Path(__file__).resolve().parent.parent / "samples"
HEADLINE = "Harbour Authority Opens Night Ferry Line"

# Every top-level paragraph of the tour article, in reading order, as (style, text); the table sits between the
# table caption and the figure.
TOUR_PARAGRAPHS = [
    ("Title", HEADLINE),
    ("Subtitle", "A trial service links the old port with the new district — and riders say it’s overdue"),
    ("Byline", "By Amina Qureshi and Tomás Ríos"),
    ("Dateline", "12 June 2024 · Updated 13 June 2024, 09:30"),  # the lede opens with "KARACHI —": as HTML prints it
    ("Normal", "KARACHI — The harbour authority said on Wednesday that a night ferry will run from Pier 7 to the new "
               "district, “every 40 minutes” & until 2 a.m."),
    ("Heading 1", "What riders get"),
    ("List Bullet", "Fares at half the day rate"),
    ("List Bullet", "Bicycles carried free"),
    ("List Number 2", "Front deck first"),
    ("List Number 2", "Then the stern"),
    ("List Number", "Board at Pier 7"),
    ("List Number", "Pay on the boat"),
    ("Heading 2", "Timetable"),
    ("Caption", "Weeknight timetable for the trial month"),
    ("After Table", ""),  # the table itself is not a paragraph; the space below it is
    ("Figure", ""),
    ("Caption", "The new district seen from Pier 7"),
    ("Image Credit", "Photo: Harbour Daily"),
    ("Quote", "We have waited ten years for this boat.\nNow it is here."),
    ("Quote Attribution", "— Saima Baig, night-shift nurse"),
    ("Horizontal Rule", ""),
    ("Source Code", "route 7N\n  depart 22:00\n  arrive 22:35"),
    ("Normal", "Read the full timetable on the authority’s site, at piers marked ."),  # and the ferry sign's picture
    ("Original Link", "Original: https://news.example/harbour/night-ferry"),
    ("Rights", "© 2024 Harbour Daily"),
]


def open_docx(article: m.Article, context: RenderContext, tmp_path: Path, name: str = "out.docx") -> docx.Document:
    """Render, write the bytes where Word would open them, and read them back with python-docx."""
    path = tmp_path / name
    path.write_bytes(render(article, context))
    return docx.Document(str(path))


def article_with(blocks: tuple[Any, ...]) -> m.Article:
    """An article with a headline (always the first paragraph) and the given blocks."""
    return m.Article(m.Meta(headline="A headline"), blocks)


def numbering_of(paragraph: Any) -> tuple[str, Any]:
    """A list paragraph's own numId and the w:num it points at."""
    num_id = paragraph._p.pPr.numPr.numId.val
    return str(num_id), paragraph.part.numbering_part.element.num_having_numId(num_id)


def start_override(num: Any) -> int | None:
    values = num.xpath("./w:lvlOverride[@w:ilvl='0']/w:startOverride/@w:val")
    return int(values[0]) if values else None


# --- structure and styles ------------------------------------------------------------------------------------


def test_every_paragraph_in_order_with_its_style(tour_article, context, tmp_path):
    document = open_docx(tour_article, context, tmp_path)
    assert [(p.style.name, p.text) for p in document.paragraphs] == TOUR_PARAGRAPHS


def test_table_follows_its_caption(tour_article, context, tmp_path):
    document = open_docx(tour_article, context, tmp_path)
    body = list(document.element.body.iterchildren())
    table = document.tables[0]._tbl
    caption = next(p for p in document.paragraphs if p.text == "Weeknight timetable for the trial month")
    assert caption.style.name == "Caption"
    assert body[body.index(table) - 1] is caption._p


def test_inlines_are_character_styles_not_direct_formatting(tour_article, context, tmp_path):
    document = open_docx(tour_article, context, tmp_path)
    lead = document.paragraphs[4]
    styled = [(run.text, run.style.name) for run in lead.runs if run.style.name != "Default Paragraph Font"]
    assert styled == [("Wednesday", "Emphasis"), ("night ferry", "Strong"), ("Pier 7", "Verbatim Char")]
    assert all(run.bold is None and run.italic is None and run.font.name is None for run in lead.runs)
    # nothing in the body carries direct run formatting: fonts, sizes, colours, bold and italic come from styles
    for tag in ("w:b", "w:i", "w:sz", "w:color", "w:rFonts", "w:u"):
        assert document.element.body.findall(f".//{qn(tag)}") == [], tag


def test_line_break_is_a_w_br(tour_article, context, tmp_path):
    document = open_docx(tour_article, context, tmp_path)
    quote = next(p for p in document.paragraphs if p.style.name == "Quote")
    breaks = quote._p.findall(f".//{qn('w:br')}")
    assert len(breaks) == 1
    assert breaks[0].get(qn("w:type")) is None  # a line break, not a page break


def test_hyperlink_is_external_relationship_in_hyperlink_style(tour_article, context, tmp_path):
    document = open_docx(tour_article, context, tmp_path)
    (link,) = document.paragraphs[-3].hyperlinks  # before the original-URL and rights lines
    assert link.text == "full timetable"
    assert link.address == "https://news.example/timetable"
    relationship = document.part.rels[link._hyperlink.rId]
    assert relationship.is_external
    assert relationship.target_ref == "https://news.example/timetable"
    assert [run.style.name for run in link.runs] == ["Hyperlink"]
    assert link._hyperlink.get(qn("w:tooltip")) == "PDF"
    assert document.styles["Hyperlink"].font.underline is True


def test_nested_lists_use_deeper_list_styles(context, tmp_path):
    def item(text: str, *more: m.Block) -> tuple[m.Block, ...]:
        return (m.Paragraph((m.Text(text),)), *more)

    level4 = m.BulletList((item("four"),))
    level3 = m.BulletList((item("three", level4),))
    level2 = m.BulletList((item("two", level3), item("two again", m.Paragraph((m.Text("more of two"),)))))
    document = open_docx(article_with((m.BulletList((item("one", level2),)),)), context, tmp_path)
    assert [(p.style.name, p.text) for p in document.paragraphs[1:]] == [
        ("List Bullet", "one"), ("List Bullet 2", "two"), ("List Bullet 3", "three"), ("List Bullet 3", "four"),
        ("List Bullet 2", "two again"), ("List Continue 2", "more of two"),
    ]


def test_item_opening_with_a_list_still_gets_its_marker(context, tmp_path):
    inner = m.OrderedList(((m.Paragraph((m.Text("inner"),)),),))
    document = open_docx(article_with((m.OrderedList(((inner,),)),)), context, tmp_path)
    assert [(p.style.name, p.text) for p in document.paragraphs[1:]] == [("List Number", ""),
                                                                         ("List Number 2", "inner")]


# --- numbering --------------------------------------------------------------------------------------------------


def test_numbered_lists_restart_at_their_start(tour_article, context, tmp_path):
    document = open_docx(tour_article, context, tmp_path)
    by_text = {p.text: p for p in document.paragraphs}
    nested_id, nested = numbering_of(by_text["Front deck first"])
    second_id, _ = numbering_of(by_text["Then the stern"])
    board_id, board = numbering_of(by_text["Board at Pier 7"])
    pay_id, _ = numbering_of(by_text["Pay on the boat"])
    assert nested_id == second_id  # one list, one numbering
    assert board_id == pay_id
    assert board_id != nested_id
    assert start_override(board) == 3
    assert start_override(nested) == 1
    # each w:num reuses the abstract numbering of its list style, so the style still defines the look
    style_num = document.styles["List Number"].element.pPr.numPr.numId.val
    numbering = document.part.numbering_part.element
    assert board.abstractNumId.val == numbering.num_having_numId(style_num).abstractNumId.val
    assert board_id != str(style_num)


def test_second_numbered_list_starts_again_at_one(context, tmp_path):
    def numbered(*texts: str) -> m.OrderedList:
        return m.OrderedList(tuple((m.Paragraph((m.Text(t),)),) for t in texts))

    blocks = (numbered("a1", "a2"), m.Paragraph((m.Text("between"),)), numbered("b1", "b2"))
    document = open_docx(article_with(blocks), context, tmp_path)
    by_text = {p.text: p for p in document.paragraphs}
    first_id, first = numbering_of(by_text["a1"])
    again_id, again = numbering_of(by_text["b1"])
    assert first_id != again_id
    assert start_override(first) == start_override(again) == 1


# --- figures and tables -------------------------------------------------------------------------------------


def test_figure_is_embedded_with_alt_text_scaled_to_the_text_width(tour_article, context, tmp_path):
    document = open_docx(tour_article, context, tmp_path)
    figure, icon = document.inline_shapes  # the figure, and the inline picture of the ferry sign
    assert (icon._inline.docPr.get("descr"), icon.width, icon.height) == ("ferry sign", 32 * 9525, 32 * 9525)
    shape = figure
    doc_pr = shape._inline.docPr
    assert doc_pr.get("descr") == "Tower blocks behind the water at dawn, a ferry in the foreground"
    assert doc_pr.get("title") == "The new district seen from Pier 7"
    blip = shape._inline.xpath(".//a:blip/@r:embed")[0]
    assert document.part.related_parts[blip].blob == (SAMPLES / "harbour-at-dawn.png").read_bytes()
    page = context.theme.page
    text_width = Mm(page.width_mm - page.margin_inner - page.margin_outer)
    # 960 px at 96 dpi is wider than the text block; at its width it would be taller than the PDF sets a figure
    assert shape.width <= text_width
    assert shape.height == Mm(present.SPACING.figure_height_mm) or abs(shape.width - text_width) <= 1
    assert abs(shape.height / shape.width - 540 / 960) < 1e-3
    assert document.styles["Figure"].paragraph_format.keep_with_next is True
    assert document.styles["Caption"].paragraph_format.keep_with_next is True


def test_small_figure_keeps_its_own_size(tour_article, context, tmp_path):
    from PIL import Image

    Image.new("RGB", (96, 48), "navy").save(tmp_path / "small.png")
    small = RenderContext(theme=context.theme, resources=dataclasses.replace(context.resources, base_dir=tmp_path))
    document = open_docx(article_with((m.Figure("small.png", alt="A navy block"),)), small, tmp_path)
    (shape,) = document.inline_shapes
    assert (shape.width, shape.height) == (96 * 9525, 48 * 9525)  # one inch by half an inch
    assert [p.style.name for p in document.paragraphs[1:]] == ["Figure"]  # no caption or credit given


def test_table_header_row_repeats_and_cells_hold_the_text(tour_article, context, tmp_path):
    document = open_docx(tour_article, context, tmp_path)
    (table,) = document.tables
    assert table.style.name == "Table Grid"
    assert [[cell.text for cell in row.cells] for row in table.rows] == [
        ["Departure", "Arrival", "Fare (Rs)"], ["22:00", "22:35", "120"], ["22:40", "23:15", "120"]]
    header = table.rows[0]._tr
    assert header.trPr is not None and header.trPr.find(qn("w:tblHeader")) is not None
    assert table.rows[1]._tr.trPr is None
    assert {p.style.name for cell in table.rows[0].cells for p in cell.paragraphs} == {"Table Heading"}
    assert {p.style.name for row in table.rows[1:] for cell in row.cells for p in cell.paragraphs} == {
        "Table Contents"}
    fares = [row.cells[2].paragraphs[0] for row in table.rows]
    assert all(p.alignment == WD_ALIGN_PARAGRAPH.RIGHT for p in fares)
    assert table.rows[0].cells[0].paragraphs[0].alignment == WD_ALIGN_PARAGRAPH.LEFT
    assert [run.style.name for run in fares[2].runs] == ["Strong"]


def test_horizontal_rule_style_carries_a_bottom_border_in_the_rule_colour(tour_article, context, tmp_path):
    document = open_docx(tour_article, context, tmp_path)
    rule = next(p for p in document.paragraphs if p.style.name == "Horizontal Rule")
    assert rule.text == "" and rule._p.pPr.find(qn("w:pBdr")) is None  # the border is the style's, not direct
    bottom = document.styles["Horizontal Rule"].element.pPr.find(f"{qn('w:pBdr')}/{qn('w:bottom')}")
    assert bottom is not None
    assert bottom.get(qn("w:color")).lower() == context.theme.colors.rule[1:].lower()


# --- page, header and footer --------------------------------------------------------------------------------


def test_footer_has_page_of_numpages_and_header_the_headline(tour_article, context, tmp_path):
    document = open_docx(tour_article, context, tmp_path)
    section = document.sections[0]
    for footer in (section.footer, section.first_page_footer):
        (paragraph,) = footer.paragraphs
        assert paragraph.style.name == "Footer"
        assert len(paragraph._p.findall(f".//{qn('w:pStyle')}")) == 1  # python-docx's own one is replaced
        instructions = [t.text.strip() for t in paragraph._p.iter(qn("w:instrText"))]
        assert instructions == ["PAGE", "NUMPAGES"]
        assert " of " in paragraph.text
    assert section.different_first_page_header_footer  # the first page shows the headline itself
    (head,) = section.header.paragraphs
    assert (head.style.name, head.text) == ("Header", HEADLINE)
    assert all(p.text == "" for p in section.first_page_header.paragraphs)


def test_page_size_and_margins_come_from_the_theme(tour_article, context, tmp_path):
    page = dataclasses.replace(context.theme.page, size="A5", margin_inner=25, margin_outer=15, margin_top=18)
    a5 = dataclasses.replace(context, theme=dataclasses.replace(context.theme, page=page))
    section = open_docx(tour_article, a5, tmp_path).sections[0]
    assert round(section.page_width.mm) == 148 and round(section.page_height.mm) == 210
    assert (round(section.left_margin.mm), round(section.right_margin.mm), round(section.top_margin.mm)) == (
        25, 15, 18)


def test_running_head_none_leaves_the_header_empty(tour_article, context, tmp_path):
    page = dataclasses.replace(context.theme.page, running_head="none")
    plain_page = dataclasses.replace(context, theme=dataclasses.replace(context.theme, page=page))
    section = open_docx(tour_article, plain_page, tmp_path).sections[0]
    assert all(p.text == "" for p in section.header.paragraphs)


# --- metadata -----------------------------------------------------------------------------------------------


def test_core_properties_come_from_the_metadata(tour_article, context, tmp_path):
    props = open_docx(tour_article, context, tmp_path).core_properties
    meta = tour_article.meta
    assert props.title == HEADLINE
    assert props.author == "Amina Qureshi; Tomás Ríos"
    assert props.language == "en"
    assert props.keywords == "transport, ferries, Karachi"
    assert props.subject == meta.dek
    assert props.comments == "A night ferry trial starts on Monday."
    assert props.identifier == meta.uid
    assert props.created == dt.datetime(2024, 6, 12, tzinfo=dt.UTC)
    assert props.modified == dt.datetime(2024, 6, 13, 4, 30, tzinfo=dt.UTC)  # 09:30 at UTC+5


def test_without_dates_source_date_epoch_is_used_not_the_template_dates(context, tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    article = article_with((m.Paragraph((m.Text("Undated."),)),))
    props = open_docx(article, context, tmp_path).core_properties
    expected = dt.datetime.fromtimestamp(1700000000, dt.UTC)
    assert props.created == props.modified == expected
    assert "python-docx" not in (props.author, props.comments)
    assert render(article, context) == render(article, context)


def test_without_any_date_the_time_is_now(context, tmp_path, monkeypatch):
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    before = dt.datetime.now(dt.UTC).replace(microsecond=0)
    props = open_docx(article_with(()), context, tmp_path).core_properties
    assert before <= props.created <= dt.datetime.now(dt.UTC)


def test_same_article_same_bytes(tour_article, context):
    data = render(tour_article, context)
    assert data == render(tour_article, context)
    with zipfile.ZipFile(io.BytesIO(data)) as package:  # dated by the article, not by the clock
        assert {info.date_time for info in package.infolist()} == {(2024, 6, 13, 4, 30, 0)}


def test_language_reaches_normal_style_and_properties(tour_article, context, tmp_path):
    german = dataclasses.replace(tour_article, meta=dataclasses.replace(tour_article.meta, language="de"))
    document = open_docx(german, context, tmp_path)
    lang = document.styles["Normal"].element.rPr.find(qn("w:lang"))
    assert lang is not None and lang.get(qn("w:val")) == "de"
    assert document.core_properties.language == "de"


# --- the theme drives the styles ----------------------------------------------------------------------------


def test_styles_follow_the_theme_tokens(tour_article, context, tmp_path):
    theme = context.theme
    document = open_docx(tour_article, context, tmp_path, "default.docx")
    assert document.styles["Heading 1"].font.color.rgb == RGBColor.from_string(theme.colors.heading[1:])
    assert document.styles["Normal"].font.name == theme.fonts.body[0]
    assert document.styles["Normal"].font.size == Pt(theme.sizes.body)
    assert document.styles["Title"].font.size == Pt(theme.sizes.headline)
    assert document.styles["Source Code"].font.name == theme.fonts.mono[0]
    assert document.styles["Verbatim Char"].font.name == theme.fonts.mono[0]

    changed = dataclasses.replace(
        theme,
        colors=dataclasses.replace(theme.colors, heading="#123456"),
        fonts=dataclasses.replace(theme.fonts, body=("Liberation Serif", "serif")),
        sizes=dataclasses.replace(theme.sizes, heading1=20),
    )
    restyled = open_docx(tour_article, dataclasses.replace(context, theme=changed), tmp_path, "changed.docx")
    heading1 = restyled.styles["Heading 1"]
    assert heading1.font.color.rgb == RGBColor(0x12, 0x34, 0x56)
    assert heading1.font.size == Pt(20)
    assert restyled.styles["Normal"].font.name == "Liberation Serif"
    assert restyled.styles["Heading 1"].font.name == theme.fonts.heading[0]
    # Word prefers a theme-font attribute (asciiTheme) to a named font, so none may remain beside ours
    named = restyled.styles.element.xpath("//w:rFonts[@w:ascii]")
    assert len(named) > 10
    assert [f for f in named if f.get(qn("w:asciiTheme")) or f.get(qn("w:hAnsiTheme"))] == []


def test_own_styles_are_based_on_normal(tour_article, context, tmp_path):
    styles = open_docx(tour_article, context, tmp_path).styles
    for name in ("Byline", "Dateline", "Quote Attribution", "Image Credit", "Source Code", "Figure",
                 "Table Heading", "Table Contents", "Horizontal Rule"):
        assert styles[name].base_style.name == "Normal", name


def test_nested_marks_get_one_combined_character_style(context, tmp_path):
    paragraph = m.Paragraph((m.Strong((m.Text("bold "), m.Emphasis((m.Text("and italic"),)))),))
    document = open_docx(article_with((paragraph,)), context, tmp_path)
    runs = document.paragraphs[1].runs
    assert [(r.text, r.style.name) for r in runs] == [("bold ", "Strong"), ("and italic", "Strong + Emphasis")]
    combined = document.styles["Strong + Emphasis"]
    assert combined.font.bold is True and combined.font.italic is True


# --- what cannot be rendered is refused by name ---------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Sidebar:
    """A block type the model does not have."""

    text: str = "aside"


@dataclasses.dataclass(frozen=True)
class Footnote:
    """An inline type the model does not have."""

    text: str = "1"


def test_unknown_block_raises_render_error_naming_it(context):
    with pytest.raises(RenderError, match="Sidebar"):
        render(article_with((m.Paragraph((m.Text("before"),)), Sidebar())), context)


def test_unknown_inline_raises_render_error_naming_it(context):
    with pytest.raises(RenderError, match="Footnote"):
        render(article_with((m.Paragraph((m.Text("see"), Footnote())),)), context)


def test_link_inside_link_is_refused(context):
    inner = m.Link((m.Text("inner"),), "https://b.example")
    with pytest.raises(RenderError, match="inside another link"):
        render(article_with((m.Paragraph((m.Link((inner,), "https://a.example"),)),)), context)


def test_control_character_is_refused_with_a_message(context):
    with pytest.raises(RenderError, match="control character"):
        render(article_with((m.Paragraph((m.Text("bell\x07"),)),)), context)


# --- a real office suite, where installed ---------------------------------------------------------------------


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) is not installed")
def test_libreoffice_opens_the_document(tour_article, context, tmp_path):
    source = tmp_path / "tour.docx"
    source.write_bytes(render(tour_article, context))
    subprocess.run(
        [str(shutil.which("soffice")), f"-env:UserInstallation=file://{tmp_path / 'profile'}", "--headless",
         "--convert-to", "txt:Text (encoded):UTF8", "--outdir", str(tmp_path / "out"), str(source)],
        check=True, capture_output=True, timeout=180,
    )
    text = (tmp_path / "out" / "tour.txt").read_text(encoding="utf-8-sig")
    for expected in (HEADLINE, "By Amina Qureshi and Tomás Ríos", "Board at Pier 7", "Fare (Rs)",
                     "The new district seen from Pier 7", "full timetable"):
        assert expected in text
    assert text.index(HEADLINE) < text.index("What riders get") < text.index("Read the")


def test_unsafe_link_targets_keep_their_words_but_lose_the_link(context):
    article = m.Article(m.Meta(headline="Links"), (m.Paragraph((
        m.Link((m.Text("run me"),), "javascript:alert(1)"), m.Text(" and "),
        m.Link((m.Text("read me"),), "file:///etc/hostname"), m.Text(" but "),
        m.Link((m.Text("visit us"),), "https://news.example/"))),))
    data = render(article, context)
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        rels = package.read("word/_rels/document.xml.rels").decode()
        body = package.read("word/document.xml").decode()
    assert "javascript:" not in rels and "file:" not in rels and "https://news.example/" in rels
    assert body.count("<w:hyperlink") == 1
    assert "run me" in body and "read me" in body
