"""The DOCX backend: an article as a Word document built only from named styles set from the theme's tokens."""

from __future__ import annotations

import copy
import datetime as dt
import io
import re
import shutil
import subprocess
import tempfile
import unicodedata
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, assert_never

import docx
from docx.document import Document
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING, WD_TAB_ALIGNMENT, WD_TAB_LEADER
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.oxml.ns import qn
from docx.oxml.shape import CT_Inline
from docx.oxml.table import CT_Tbl
from docx.shared import Emu, Mm, Pt, RGBColor
from docx.styles.style import CharacterStyle, ParagraphStyle
from lxml import etree  # type: ignore[import-untyped, unused-ignore]

from publish import links, model, present, reproducible
from publish.backends import RenderContext, cannot_render
from publish.errors import RenderError
from publish.present import SPACING
from publish.readers.ooxml import MODEL_NAMESPACE, paragraph_text
from publish.text import direction as text_direction
from publish.text import lede_has_dateline, plain, slug
from publish.theme import EAST_ASIAN_LANGUAGES, ScriptFonts, Theme

if TYPE_CHECKING:
    from publish.collection import CollectionOptions

# WordprocessingML names, qualified once.
W_P, W_PPR, W_PSTYLE, W_JC = qn("w:p"), qn("w:pPr"), qn("w:pStyle"), qn("w:jc")
W_NUMPR, W_ILVL, W_NUMID = qn("w:numPr"), qn("w:ilvl"), qn("w:numId")
W_R, W_RPR, W_RSTYLE = qn("w:r"), qn("w:rPr"), qn("w:rStyle")
W_T, W_TAB, W_BR, W_DRAWING = qn("w:t"), qn("w:tab"), qn("w:br"), qn("w:drawing")
W_HYPERLINK, W_FLDCHAR, W_INSTRTEXT = qn("w:hyperlink"), qn("w:fldChar"), qn("w:instrText")
W_VAL, R_ID = qn("w:val"), qn("r:id")
W_BOOKMARK_START, W_BOOKMARK_END, W_NAME, W_ID = qn("w:bookmarkStart"), qn("w:bookmarkEnd"), qn("w:name"), qn("w:id")
XML_SPACE = "{http://www.w3.org/XML/1998/namespace}space"
MC_NS = "http://schemas.openxmlformats.org/markup-compatibility/2006"
COMMENTS_EXTENDED_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.commentsExtended+xml"
COMMENTS_EXTENDED_REL = "http://schemas.microsoft.com/office/2011/relationships/commentsExtended"

EMU_PER_PIXEL = 9525  # at 96 pixels to the inch, the size a browser gives an image without a width
MAX_FIGURE_HEIGHT = 0.7  # of the text block's height, leaving room on the page for the caption and credit
LIST_LEVELS = 3  # Word's built-in list styles go three deep; deeper lists use the third level's style
CORE_PROPERTY_LIMIT = 255  # python-docx refuses longer core properties


@dataclass(frozen=True, slots=True)
class Look:
    """What a named style looks like, in the theme's terms; None leaves the template's value alone."""

    font: str | None = None
    """The font family."""
    size: float | None = None
    """The type size in points."""
    color: str | None = None
    """The text colour as #rrggbb."""
    bold: bool | None = None
    """Bold or not."""
    italic: bool | None = None
    """Italic or not."""
    underline: bool | None = None
    """Underlined or not."""
    space_before: float | None = None
    """Space above the paragraph in points."""
    space_after: float | None = None
    """Space below the paragraph in points."""
    line_spacing: float | None = None
    """Line spacing as a multiple of single spacing."""
    keep_with_next: bool | None = None
    """Keep the paragraph on the same page as the next one."""
    keep_together: bool | None = None
    """Keep the paragraph's lines on one page."""
    alignment: str | None = None
    """left, center or right."""
    left_indent: float | None = None
    """Left indent in millimetres."""
    border_bottom: str | None = None
    """The #rrggbb colour of a rule below the paragraph."""
    border_left: str | None = None
    """The #rrggbb colour of a bar left of the paragraph."""
    border_right: str | None = None
    """The #rrggbb colour of a bar right of the paragraph (a right-to-left quote's)."""
    borderless: bool | None = None
    """Remove the template's borders (when no border is named)."""
    right_indent: float | None = None
    """Right indent in millimetres."""
    all_caps: bool | None = None
    """Letters shown as capitals."""
    font_cs: str | None = None
    """The font for complex scripts (Arabic, Urdu, Hebrew...): Word's w:cs font."""
    font_east_asia: str | None = None
    """The font for Chinese, Japanese and Korean: Word's w:eastAsia font."""
    size_cs: float | None = None
    """The type size of complex-script text in points (Word keeps it apart from the Latin size)."""
    line_at_least: float | None = None
    """Line height in points, as a minimum (taller glyphs, such as Nastaliq's, still fit); replaces line_spacing."""
    first_line_indent: float | None = None
    """First-line indent in points."""
    widow_control: bool | None = None
    """Keep a paragraph's first and last lines from standing alone on a page."""
    suppress_hyphens: bool | None = None
    """Never hyphenate this paragraph (headings, code)."""
    small_caps: bool | None = None
    """Lower-case letters as small capitals."""
    right_to_left: bool | None = None
    """A right-to-left paragraph (w:bidi): its start is on the right."""
    tabs: tuple[tuple[float, str], ...] = ()
    """Tab stops: (position in millimetres, "center", "end", or "end-dots": at the end with a dotted leader)."""


ALIGN = {"left": WD_ALIGN_PARAGRAPH.LEFT, "center": WD_ALIGN_PARAGRAPH.CENTER, "right": WD_ALIGN_PARAGRAPH.RIGHT,
         # transitional WordprocessingML: in a right-to-left paragraph "left" is its start (the right side)
         "start": WD_ALIGN_PARAGRAPH.LEFT, "end": WD_ALIGN_PARAGRAPH.RIGHT, "justify": WD_ALIGN_PARAGRAPH.JUSTIFY}
THEME_PARAGRAPH_STYLES = ("First Paragraph", "Letterhead")
"""Paragraph styles the theme adds: a body paragraph without an indent, and the first page's letterhead."""
PRESS_STYLES = ("Embargo", "End Mark", "Press Heading", "Note to Editors", "Contact", "Correction")
"""A press release's styles (`press_looks`): the header's embargo banner, the end mark, the titles of the notes to
editors and media contacts, a note, a contact, a correction."""
# Our own paragraph styles, each based on Normal; the built-in ones restyled below are already in the template.
OWN_PARAGRAPH_STYLES = ("Byline", "Dateline", "Quote Attribution", "Figure", "Image Credit", "Source Code",
                        "Table Heading", "Table Contents", "After Table", "Horizontal Rule", "Section Heading",
                        "Original Link", "Rights", "toc 1", "toc 2", *PRESS_STYLES)
TOC_FIELD = 'TOC \\h \\z \\t "Section Heading,1,Heading 1,2"'
"""Contents: section headings at level 1, article headlines (Heading 1 in a packet) at level 2."""
PAGE_PLACEHOLDER = "999"
"""Stands where a contents entry's page number goes while LibreOffice lays the packet out: as wide as any real
number, so no entry wraps later than it did in that layout."""
LAYOUT_TIMEOUT = 180
"""Seconds LibreOffice may take to lay a packet out (about 4 s for the morning brief)."""
PDF_EXPORT = 'pdf:writer_pdf_Export:{"ExportBookmarksToPDFDestination":{"type":"boolean","value":"true"}}'
"""LibreOffice's PDF export with every Word bookmark as a named destination (the page each one is on)."""


def paragraph_looks(theme: Theme, language: str = "en", *, packet: bool = False) -> dict[str, Look]:
    """Every paragraph style the backend uses, built-in or ours, with the theme's tokens for an article in
    `language` (its script's fonts, line height and paragraph indent; right to left where it is written so).
    In a `packet` Heading 1 is each article's headline: sized from the headline token, always larger than the dek
    below it, and bold where the theme's headlines are."""
    fonts, sizes, colors, typo = theme.fonts, theme.sizes, theme.colors, theme.typography
    complex_script, east_asian = fonts.complex_script(language), fonts.east_asian(language)
    own = fonts.script_for(language)
    scale = complex_script.scale if complex_script else 1.0

    def role(name: str) -> dict[str, Any]:
        """The fonts of a role (body, heading, mono) for Latin, complex-script and East Asian text."""
        return {"font": getattr(fonts, name)[0],
                "font_cs": _script_font(complex_script, name), "font_east_asia": _script_font(east_asian, name)}

    body, heading, mono = role("body"), role("heading"), role("mono")
    header_align = "center" if typo.header_align == "center" else "start"
    line_height = own.line_height if own else sizes.line_height
    indent = sizes.body * (own.first_line_indent if own and own.first_line_indent else 0)
    if typo.paragraph_style == "indented" and not indent:
        indent = sizes.body * SPACING.indent
    sub = {1: sizes.heading1, 2: sizes.heading2}
    rtl = text_direction(language) == "rtl"
    quote_indent = 8.0
    # a quote's bar and indent sit at the start of the line: the left, or the right in right-to-left text
    quote_left, quote_right = (0.0, quote_indent) if rtl else (quote_indent, None)
    # under a letterhead (its own rule in the accent colour) the title block ends with a hairline
    title_rule = None if header_align == "center" or theme.brand.letterhead else colors.accent
    dateline_rule = colors.accent if header_align == "center" else colors.rule if theme.brand.letterhead else None
    looks = {
        "Normal": Look(**body, size=sizes.body, size_cs=round(sizes.body * scale, 1), color=colors.text,
                       space_before=0,
                       space_after=0 if typo.paragraph_style == "indented" else
                       round(sizes.body * SPACING.paragraph, 1),
                       line_at_least=round(sizes.body * line_height, 1), first_line_indent=indent,
                       alignment="justify" if typo.justify else "start", widow_control=typo.widows > 1,
                       right_to_left=rtl),
        "First Paragraph": Look(first_line_indent=sizes.body * own.first_line_indent if own else 0),
        "Title": Look(**heading, size=sizes.headline, color=colors.heading, bold=typo.headline_bold,
                      space_after=sizes.headline / 3, line_spacing=1.1, keep_with_next=True,
                      border_bottom=title_rule, borderless=title_rule is None, alignment=header_align,
                      suppress_hyphens=True, first_line_indent=0),
        "Subtitle": Look(**body, size=sizes.dek, color=colors.muted if header_align == "center" else colors.text,
                         italic=header_align == "center", space_after=sizes.dek * 0.8,
                         line_spacing=SPACING.dek_line_height,
                         keep_with_next=True, alignment=header_align, suppress_hyphens=True, first_line_indent=0),
        "Byline": Look(**heading, size=sizes.body, color=colors.text, bold=True, space_after=1,
                       keep_with_next=True, alignment=header_align, first_line_indent=0),
        "Dateline": Look(**heading, size=sizes.small, color=colors.muted, space_after=sizes.body * 1.5,
                         keep_with_next=True, alignment=header_align, first_line_indent=0,
                         border_bottom=dateline_rule),
        "Quote": Look(**body, color=colors.text, italic=True, left_indent=quote_left, right_indent=quote_right,
                      first_line_indent=0, alignment="start",
                      border_left=None if rtl else colors.accent, border_right=colors.accent if rtl else None),
        "Quote Attribution": Look(**body, size=sizes.small, color=colors.muted, left_indent=quote_left,
                                  right_indent=quote_right,
                                  space_after=sizes.body * 1.2, first_line_indent=0, alignment="start"),
        "Figure": Look(alignment="center", line_spacing=1.0, space_before=sizes.body / 2, space_after=3,
                       keep_with_next=True, first_line_indent=0),
        "Caption": Look(**heading, size=sizes.small, color=colors.muted, bold=False, italic=False, space_after=2,
                        line_spacing=1.2, keep_with_next=True, first_line_indent=0, alignment="start"),
        "Image Credit": Look(**heading, size=sizes.small * 0.9, color=colors.muted, space_after=sizes.body,
                             line_spacing=1.2, first_line_indent=0, alignment="start"),
        "Source Code": Look(**mono, size=sizes.body * 0.9, line_spacing=1.15, left_indent=5,
                            keep_together=True, suppress_hyphens=True, first_line_indent=0, alignment="left",
                            right_to_left=False),
        "Table Heading": Look(**heading, size=sizes.small, color=colors.heading, bold=True, space_after=0,
                              line_spacing=1.1, keep_with_next=True, first_line_indent=0, alignment="start"),
        "Table Contents": Look(size=sizes.small * 1.1, space_after=0, line_spacing=1.1, first_line_indent=0,
                               alignment="start"),
        # an empty paragraph after a table: Word tables have no space below of their own
        "After Table": Look(size=sizes.small, space_before=0, space_after=round(sizes.body * SPACING.paragraph, 1),
                            line_spacing=1.0, first_line_indent=0),
        "Original Link": Look(**heading, size=sizes.small, color=colors.muted, space_before=sizes.body * 1.5,
                              space_after=2, line_spacing=1.2, first_line_indent=0, alignment="start",
                              keep_with_next=True),
        "Rights": Look(**heading, size=sizes.small, color=colors.muted, space_after=sizes.body, line_spacing=1.2,
                       first_line_indent=0, alignment="start"),
        "Horizontal Rule": Look(size=sizes.small, space_before=sizes.body / 2, space_after=sizes.body * 1.2,
                                line_spacing=1.0, border_bottom=colors.rule, first_line_indent=0),
        "Section Heading": Look(**heading, size=sizes.headline, color=colors.accent, bold=True,
                                space_before=sizes.headline * 4, space_after=sizes.headline, keep_with_next=True,
                                first_line_indent=0, suppress_hyphens=True),
        "TOC Heading": Look(**heading, size=sizes.heading1, color=colors.heading, bold=True,
                            space_after=sizes.heading1, first_line_indent=0),
        "toc 1": Look(**heading, size=sizes.small, color=colors.accent, bold=True, space_before=sizes.body,
                      space_after=2, keep_with_next=True, first_line_indent=0, tabs=_page_tabs(theme)[1:]),
        "toc 2": Look(**body, size=sizes.body, color=colors.text, space_after=3, left_indent=4, first_line_indent=0,
                      alignment="start", tabs=((_page_tabs(theme)[1][0], "end-dots"),)),
        "Header": Look(**heading, size=sizes.small, color=colors.muted, alignment="start", first_line_indent=0,
                       space_after=0, line_spacing=1.0, tabs=_page_tabs(theme)),
        "Footer": Look(**heading, size=sizes.small, color=colors.muted, alignment="start", first_line_indent=0,
                       space_after=0, line_spacing=1.0, tabs=_page_tabs(theme)),
        "Letterhead": Look(**heading, size=sizes.small, color=colors.muted, alignment="start", first_line_indent=0,
                           space_after=0, line_spacing=1.0, border_bottom=colors.accent, tabs=_page_tabs(theme)[1:]),
    }
    for level in range(1, 7):
        size = sub.get(level, sizes.heading3)
        looks[f"Heading {level}"] = Look(**heading, size=size, color=colors.heading,
                                         bold=typo.subhead_style == "bold", italic=typo.subhead_style == "italic",
                                         small_caps=typo.subhead_style == "small-caps",
                                         space_before=size * 1.2, space_after=size * SPACING.subhead_after,
                                         line_spacing=1.15,
                                         keep_with_next=True, suppress_hyphens=True, first_line_indent=0)
    looks.update(press_looks(theme, heading, body, rtl))
    if packet:
        size = round(max(sizes.headline * 0.75, sizes.dek * 1.3, sizes.heading1), 1)
        looks["Heading 1"] = Look(**heading, size=size, color=colors.heading, bold=typo.headline_bold,
                                  italic=False, small_caps=False, space_before=0, space_after=size * 0.4,
                                  line_spacing=1.1, keep_with_next=True, suppress_hyphens=True, first_line_indent=0,
                                  alignment=header_align)
    return looks


def press_looks(theme: Theme, heading: dict[str, Any], body: dict[str, Any], rtl: bool) -> dict[str, Look]:
    """A press release's styles, as the HTML's: a bold embargo line in the accent colour (in the page header), a
    centred end mark, the notes' and contacts' titles, notes and contacts a little smaller than the body, and
    corrections at the foot."""
    sizes, colors = theme.sizes, theme.colors
    between = round((sizes.body + sizes.small) / 2, 1)
    return {
        "Embargo": Look(**heading, size=sizes.small, color=colors.accent, bold=True, all_caps=not rtl, space_after=2,
                        line_spacing=1.0, first_line_indent=0, alignment="start"),
        "End Mark": Look(**heading, size=sizes.body, color=colors.heading, bold=True, alignment="center",
                         space_before=sizes.body, space_after=sizes.body * 1.4, first_line_indent=0),
        "Press Heading": Look(**heading, size=sizes.heading2, color=colors.heading, bold=True,
                              space_before=sizes.heading2 * 1.2, space_after=sizes.heading2 * 0.4,
                              keep_with_next=True, suppress_hyphens=True, first_line_indent=0, alignment="start"),
        "Note to Editors": Look(**body, size=between, space_after=round(between * 0.6, 1), first_line_indent=0,
                                alignment="start"),
        "Contact": Look(**body, size=between, space_after=round(between * 0.6, 1), line_spacing=1.2,
                        first_line_indent=0, alignment="start", keep_together=True),
        "Correction": Look(**heading, size=sizes.small, color=colors.text, space_before=sizes.body * 1.5,
                           space_after=2, line_spacing=1.2, first_line_indent=0, alignment="start"),
    }


def _script_font(script: ScriptFonts | None, role: str) -> str | None:
    if script is None:
        return None
    return (script.heading if role == "heading" else script.body)[0]


def _page_tabs(theme: Theme) -> tuple[tuple[float, str], ...]:
    """Centre and end tab stops across the text block, for running heads, footers and the letterhead."""
    page = theme.page
    width = page.width_mm - page.margin_inner - page.margin_outer
    return ((round(width / 2, 1), "center"), (round(width, 1), "end"))


# The character styles, in the order their names join when marks nest (emphasis inside a link).
CHARACTER_LOOKS: dict[str, Callable[[Theme], Look]] = {
    "Strong": lambda theme: Look(bold=True),
    "Emphasis": lambda theme: Look(italic=True),
    "Verbatim Char": lambda theme: Look(font=theme.fonts.mono[0]),
    "Hyperlink": lambda theme: Look(color=theme.colors.accent, underline=True),
    "Letterhead Label": lambda theme: Look(color=theme.colors.accent, bold=True, all_caps=True),
    "Letterhead Publisher": lambda theme: Look(font=theme.fonts.heading[0],
                                               size=round(theme.sizes.headline * SPACING.letterhead_publisher, 1),
                                               color=theme.colors.heading, bold=True),
}


def render(document: model.Document, context: RenderContext) -> bytes:
    """The article as a DOCX file, or a collection as an editor's packet."""
    match document:
        case model.Collection():
            return _packet(document, context)
        case model.Article():
            return _article(document, context)
        case _:
            assert_never(document)


def outputs(document: model.Document, stem: str, options: CollectionOptions) -> list[tuple[str, model.Document]]:
    """One DOCX file; or, for a collection with `docx_per_article`, one per article in a folder, in reading order:
    "STEM-docx/01-headline-words.docx" and so on."""
    match document:
        case model.Collection() if options.docx_per_article:
            return [(f"{stem}-docx/{number:02d}-{slug(article.meta.headline)}.docx", article)
                    for number, article in enumerate(document.articles, 1)]
        case _:
            return [(f"{stem}.docx", document)]


def _article(article: model.Article, context: RenderContext) -> bytes:
    """An article as a Word document: its title block, then its body."""
    when = _document_dates(article.meta)
    writer = _Writer(context, article.meta.language)
    writer.page({"headline": article.meta.headline, "source": article.meta.source,  # first: tables need its width
                 "date": present.article(article.meta, context.theme).date})
    write_embargo_header(writer, article.articles)
    writer.article(article, "article")
    finish(writer.document, context.theme, article.meta.language)
    _mark_changed_paragraphs(writer.document)
    writer.comment_threads()
    _number_paragraphs(writer.document)
    _set_properties(writer.document, article.meta, when)
    set_press_properties(writer.document, article.articles, context.theme)
    _embed_model(writer.document, article)
    out = io.BytesIO()
    writer.document.save(out)
    return _with_fixed_times(out.getvalue(), when[1])


def _packet(collection: model.Collection, context: RenderContext) -> bytes:
    """A collection as one DOCX packet: a title page, a contents field, then per section a divider page and its
    articles, each starting on a new page under a Heading 1 headline with its byline and dateline."""
    created = reproducible.moment(collection.edition).replace(tzinfo=None)
    writer = _Writer(context, collection.language, packet=True)
    writer.page({"headline": collection.title, "source": collection.publisher or collection.title}, cover=True)
    writer.heading_offset = 1
    styles = writer.document.styles
    for name in ("Heading 1", "Section Heading", "TOC Heading"):  # in a packet these start a page
        styles[name].paragraph_format.page_break_before = True
    write_embargo_header(writer, collection.articles)
    writer.title_page(collection)
    layout = _layout_program() if context.update_fields else None
    contents = writer.contents(collection, numbered=layout is not None)
    number = 0
    for section in collection.sections:
        if section.title:
            writer.bookmark(writer.paragraph("Section Heading", section.title), contents.pop(0).target)
        for article in section.articles:
            number += 1
            writer.article(article, f"a{number}", headline_style="Heading 1", contents_target=contents.pop(0).target)
    _set_collection_properties(writer.document, collection, created)
    set_press_properties(writer.document, collection.articles, context.theme)
    finish(writer.document, context.theme, collection.language)
    pages = _laid_out_pages(layout, _saved(writer.document), [entry.target for entry in writer.entries]) \
        if layout else None
    for entry in writer.entries:
        if entry.number is not None:
            if pages is None:  # never a wrong number: without a layout, only the tab and placeholder go
                entry.number.getparent().getparent().remove(entry.number.getparent())
                entry.tab.getparent().getparent().remove(entry.tab.getparent())
            else:
                entry.number.text = str(pages[entry.target])
    if pages is None:  # Word fills in the contents' page numbers on opening
        etree.SubElement(writer.document.settings.element, qn("w:updateFields")).set(W_VAL, "true")
    return _with_fixed_times(_saved(writer.document), created)


def _saved(document: Document) -> bytes:
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _layout_program() -> str | None:
    """LibreOffice, where installed: it lays a packet out so its contents can carry page numbers."""
    return shutil.which("soffice") or shutil.which("libreoffice")


def _laid_out_pages(program: str, data: bytes, targets: Sequence[str]) -> dict[str, int] | None:
    """The page (counted from 1, as the folio's PAGE field counts) on which LibreOffice lays out each bookmark in
    `targets`; None when it cannot (it fails, hangs, or a bookmark is not in its PDF)."""
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    with tempfile.TemporaryDirectory(prefix="publish-contents-") as tmp:
        source = Path(tmp, "packet.docx")
        source.write_bytes(data)
        try:
            subprocess.run([program, f"-env:UserInstallation={Path(tmp, 'profile').as_uri()}", "--headless",
                            "--norestore", "--nolockcheck", "--infilter=MS Word 2007 XML", "--convert-to",
                            PDF_EXPORT, "--outdir", tmp, str(source)], capture_output=True, timeout=LAYOUT_TIMEOUT,
                           check=False, stdin=subprocess.DEVNULL, cwd=tmp)
            reader = PdfReader(Path(tmp, "packet.pdf"))
            found = {str(name).lstrip("/"): page + 1 for name, destination in reader.named_destinations.items()
                     if (page := reader.get_destination_page_number(destination)) is not None}
        except (OSError, subprocess.TimeoutExpired, PyPdfError, ValueError):
            return None
    if not all(target in found for target in targets):
        return None
    return {target: found[target] for target in targets}


@dataclass(frozen=True, slots=True)
class _ContentsEntry:
    """One line of a packet's contents: the bookmark it points at, and its page number's tab and text (None when
    no page number is to be computed)."""

    target: str
    """The bookmark on the section heading or headline (letters and digits: a PDF destination keeps it as is)."""
    tab: Any = None
    """The w:tab before the page number."""
    number: Any = None
    """The w:t holding the page number."""


@dataclass(frozen=True, slots=True)
class _Scope:
    """Where a block sits: the style a plain paragraph takes there, and how deep in lists it is."""

    paragraph_style: str
    """The style id of a body paragraph here (Normal, Quote, List Continue)."""
    list_depth: int = 0
    """0 outside lists, 1 inside a top-level list item, and so on."""


class _Writer:
    """Appends an article's blocks to a python-docx Document as w:p elements in named styles."""

    def __init__(self, context: RenderContext, language: str, *, packet: bool = False) -> None:
        self.document: Document = docx.Document()
        self.theme = context.theme
        self.language = language
        self.resources = context.resources
        self.style_ids = _define_styles(self.document, self.theme, language, packet=packet)
        self.top = _Scope(self.style_ids["Normal"])
        body = self.document.element.body
        self._end = body.sectPr  # every block goes before the section properties, which stay last
        self._numbering = self.document.part.numbering_part.element
        self._last_num_id = max((num.numId for num in self._numbering.num_lst), default=0)
        self._list_abstract = {level: _abstract_num_id(self.document, self.style_ids[_list_style(True, level)])
                               for level in range(1, LIST_LEVELS + 1)}
        self._character_ids: dict[tuple[str, ...], str | None] = {(): None}
        self.heading_offset = 0
        """Added to every body heading's level: 1 in a packet, where headlines are Heading 1."""
        self._shape_id = 0
        self._bookmark_id = 0
        self.targets = links.Targets({})
        """Where the current article's links may point inside it."""
        self.article_id = "article"
        """The current article's id: heading bookmarks are named after it in a packet."""
        self._heading_number = 0
        self.entries: list[_ContentsEntry] = []
        """A packet's contents entries, in order."""
        page = self.theme.page
        self._text_width = Mm(page.width_mm - page.margin_inner - page.margin_outer)
        self._max_figure_height = Mm((page.height_mm - page.margin_top - page.margin_bottom) * MAX_FIGURE_HEIGHT)
        self._change: tuple[str, str, str] | None = None
        """The tracked change (w:ins or w:del, author, date) the runs being written belong to."""
        self._revision = 100_000  # revision ids apart from comment ids (0, 1, 2...): Word wants them unique
        self._comment_threads: list[tuple[Any, str, bool]] = []
        """(w:comment element, parent comment's id or "", resolved) for commentsExtended.xml."""

    def article(self, article: model.Article, article_id: str, headline_style: str = "Title",
                contents_target: str = "") -> None:
        """One article, alone or in a packet: its title block, its body, then the link to the original story and
        the rights; `contents_target` is the bookmark a packet's contents entry links to."""
        self.start_article(article, article_id)
        self.front_matter(article, headline_style, contents_target)
        for block in article.blocks:
            self.block(block, self.top)
        write_press_release(self, article.meta)
        self.article_footer(article.meta)

    def start_article(self, article: model.Article, article_id: str) -> None:
        """Before an article's front matter: its link targets, and heading bookmarks counted from 1."""
        self.targets = links.Targets.of(article)
        self.article_id = article_id
        self._heading_number = 0

    # --- the parts around the body ---------------------------------------------------------------------

    def front_matter(self, article: model.Article, headline_style: str = "Title", contents_target: str = "") -> None:
        """Headline, dek, byline and dateline, each in its style and the article's language; empty ones are left
        out, and so is the dateline's place when the lede opens with it."""
        meta = article.meta
        furniture = present.article(meta, self.theme, lede_has_place=lede_has_dateline(article))
        for style, text in ((headline_style, meta.headline), ("Subtitle", meta.dek),
                            ("Byline", furniture.byline), ("Dateline", furniture.dateline_text)):
            if text:
                p = self.paragraph(style, text)
                if style == headline_style:
                    self.bookmark(p, f"{self.article_id}-headline")
                    if contents_target:
                        self.bookmark(p, contents_target)

    def paragraph(self, style: str, text: str) -> Any:
        """A paragraph of plain text in a named style."""
        p = self._new_paragraph(self.style_ids[style])
        self._run(p, text, ())
        return p

    def bookmark(self, p: Any, anchor: str) -> None:
        """Mark a paragraph's content as the target of internal links to `anchor` (a heading id as in HTML)."""
        self._bookmark_id += 1
        start = etree.Element(W_BOOKMARK_START)
        start.set(W_ID, str(self._bookmark_id))
        start.set(W_NAME, _bookmark_name(anchor))
        ppr = p.find(W_PPR)
        if ppr is not None:
            ppr.addnext(start)
        else:
            p.insert(0, start)
        etree.SubElement(p, W_BOOKMARK_END).set(W_ID, str(self._bookmark_id))

    def title_page(self, collection: model.Collection) -> None:
        """The packet's first page: logo, title, subtitle, and the edition's date; the publisher is named once (by
        the letterhead where the theme has one, else the logo, else in the edition line)."""
        named = self.theme.brand.letterhead
        if collection.logo and not named:
            self._figure(model.Figure(collection.logo, collection.publisher or collection.title), self.top)
            named = True
        self.paragraph("Title", collection.title)
        if collection.subtitle:
            self.paragraph("Subtitle", collection.subtitle)
        furniture = present.collection(collection, self.theme)
        publisher = "" if named else collection.publisher
        edition = furniture.labels.comma.join(part for part in (furniture.edition, publisher) if part)
        if edition:
            self.paragraph("Dateline", edition)

    def article_footer(self, meta: model.Meta) -> None:
        """After the body, as the HTML, PDF and EPUB print them: corrections, the link to the original story and the
        rights."""
        write_corrections(self, meta)
        href = links.safe_href(meta.url) if meta.url else ""
        if href:
            p = self._new_paragraph(self.style_ids["Original Link"])
            self._run(p, present.article(meta, self.theme).original + " ", ())
            link = etree.SubElement(p, W_HYPERLINK)
            link.set(R_ID, self.document.part.relate_to(href, RT.HYPERLINK, is_external=True))
            link.set(qn("w:history"), "1")
            self._run(link, meta.url, ("Hyperlink",))
        if meta.rights:
            self.paragraph("Rights", meta.rights)

    def contents(self, collection: model.Collection, *, numbered: bool) -> list[_ContentsEntry]:
        """A contents page: a TOC field listing sections and headlines, its cached result filled in with the
        entries, each a link to its bookmark; with `numbered`, each ends in a tab and a placeholder for its page
        number (set once the packet is laid out). The entries, in order, to bookmark their targets with."""
        self.paragraph("TOC Heading", present.labels(collection.language, self.theme).contents)
        lines = [(level, title) for section in collection.sections for level, title in
                 ([(1, section.title)] if section.title else []) + [(2, a.meta.headline) for a in section.articles]]
        self.entries = []
        for index, (level, title) in enumerate(lines or [(1, "")]):
            p = self._new_paragraph(self.style_ids[f"toc {level}"])
            if index == 0:
                etree.SubElement(etree.SubElement(p, W_R), W_FLDCHAR).set(qn("w:fldCharType"), "begin")
                code = etree.SubElement(etree.SubElement(p, W_R), W_INSTRTEXT)
                code.text = f" {TOC_FIELD} "
                code.set(XML_SPACE, "preserve")
                etree.SubElement(etree.SubElement(p, W_R), W_FLDCHAR).set(qn("w:fldCharType"), "separate")
            if not lines:
                continue
            target = f"Contents{index + 1}"
            link = etree.SubElement(p, W_HYPERLINK)
            link.set(qn("w:anchor"), target)
            link.set(qn("w:history"), "1")
            self._run(link, title, ())
            tab = number = None
            if numbered:
                tab = etree.SubElement(etree.SubElement(link, W_R), W_TAB)
                number = etree.SubElement(etree.SubElement(link, W_R), W_T)
                number.text = PAGE_PLACEHOLDER
            self.entries.append(_ContentsEntry(target, tab, number))
        end = etree.SubElement(p, W_R)
        etree.SubElement(end, W_FLDCHAR).set(qn("w:fldCharType"), "end")
        return list(self.entries)

    def page(self, heads: dict[str, str], *, cover: bool = False) -> None:
        """Page size and margins; on the first page the letterhead (or nothing above the headline), from the second
        the running head; page numbers and the theme's footer text, each where the theme places it. `heads` holds
        what the running head may show (headline, source) and the letterhead's date. A packet's first page is its
        `cover`: no page number there."""
        page = self.theme.page
        section = self.document.sections[0]
        section.page_width, section.page_height = Mm(page.width_mm), Mm(page.height_mm)
        section.top_margin, section.bottom_margin = Mm(page.margin_top), Mm(page.margin_bottom)
        section.left_margin, section.right_margin = Mm(page.margin_inner), Mm(page.margin_outer)
        section.header_distance, section.footer_distance = Mm(page.margin_top / 2), Mm(page.margin_bottom / 2)
        settings = self.document.settings.element
        zoom = settings.find(qn("w:zoom"))
        mirror = etree.Element(qn("w:mirrorMargins"))  # inner and outer swap on facing pages
        if zoom is not None:
            zoom.addnext(mirror)
        else:
            settings.insert(0, mirror)
        if self.theme.typography.hyphenate:  # Word hyphenates by each run's language; headings suppress it
            tab_stop = settings.find(qn("w:defaultTabStop"))
            for name in ("w:doNotHyphenateCaps", "w:autoHyphenation"):
                flag = etree.Element(qn(name))
                if tab_stop is not None:
                    tab_stop.addnext(flag)
                else:
                    settings.append(flag)
        section.different_first_page_header_footer = True
        section.first_page_header.is_linked_to_previous = False  # an empty head above the headline
        # "outside" needs a head and foot for even pages; in a right-to-left section Word mirrors start and end
        outside = "outside" in (page.running_head_position, page.folio_position)
        sides = [("odd", section.header, section.footer)]
        if outside:
            self.document.settings.odd_and_even_pages_header_footer = True
            sides.append(("even", section.even_page_header, section.even_page_footer))
        folio = present.labels(self.language, self.theme).page_parts(page.folio)
        footer_at = "center" if page.folio_position == "outside" else "end" if page.folio_position == "start" \
            else "start"
        running_head = heads.get(page.running_head, "")
        for side, header, footer in sides:
            if running_head:
                self._page_line(header.paragraphs[0]._p, "Header",
                                {_slot(page.running_head_position, side): [running_head]})
            slots: dict[str, list[str]] = {}
            if folio:
                slots[_slot(page.folio_position, side)] = folio
            if page.footer_text:
                slots.setdefault(footer_at, []).append(page.footer_text)
            feet = [footer, section.first_page_footer] if side == "odd" and not cover else [footer]
            for foot in feet:
                if slots:
                    self._page_line(foot.paragraphs[0]._p, "Footer", slots)
        if self.theme.brand.letterhead:
            self._letterhead(section.first_page_header, heads)

    def _page_line(self, p: Any, style: str, slots: dict[str, list[str]]) -> None:
        """A header or footer line: text at its start, centre and end; "{page}" and "{pages}" become fields."""
        order = [name for name in ("start", "center", "end") if name in slots]
        if len(order) == 1:
            _set_style(p, self.style_ids[style], {"start": "", "center": "center", "end": "right"}[order[0]])
        else:
            _set_style(p, self.style_ids[style])
        for name in ("start", "center", "end"):  # the style's tab stops: the centre, then the end of the line
            to_centre = name == "center" and order[-1] != "start"
            if len(order) > 1 and (to_centre or (name == "end" and "end" in slots)):
                etree.SubElement(etree.SubElement(p, W_R), W_TAB)
            for piece in slots.get(name, []):
                if piece in ("{page}", "{pages}"):
                    self._field(p, "PAGE" if piece == "{page}" else "NUMPAGES", "1")
                else:
                    self._run(p, piece, ())

    def _letterhead(self, header: Any, heads: dict[str, str]) -> None:
        """The first page's letterhead: the logo (or the publisher's name) at the start; label and date at the end."""
        brand = self.theme.brand
        p = header.paragraphs[0]._p
        _set_style(p, self.style_ids["Letterhead"])
        logo = self.theme.logo_image()
        publisher = brand.publisher or heads.get("source", "")
        if logo is not None:
            height = Mm(SPACING.letterhead_logo_mm)
            width = height * logo.width // logo.height
            r_id, _ = header.part.get_or_add_image(io.BytesIO(logo.data))
            self._shape_id += 1
            inline = CT_Inline.new_pic_inline(self._shape_id, r_id, logo.file_name, Emu(width), Emu(height))
            inline.docPr.set("descr", publisher or heads.get("headline", ""))  # no English word of its own
            etree.SubElement(etree.SubElement(p, W_R), W_DRAWING).append(inline)
        elif publisher:
            self._run(p, publisher, ("Letterhead Publisher",))
        label, date = present.letterhead_label(brand.label, self.language, self.theme), heads.get("date", "")
        if label or date:
            etree.SubElement(etree.SubElement(p, W_R), W_TAB)
            if label:
                self._run(p, label, ("Letterhead Label",))
            if label and date:
                self._run(p, "  ·  ", ())
            if date:
                self._run(p, date, ())

    # --- blocks ----------------------------------------------------------------------------------------

    def block(self, block: model.Block, scope: _Scope) -> None:
        """Render one block; mypy proves every block type has its case."""
        match block:
            case model.Paragraph():
                self._paragraph(block, scope)
            case model.Heading():
                self._heading(block, scope)
            case model.BlockQuote():
                self._block_quote(block, scope)
            case model.BulletList():
                self._bullet_list(block, scope)
            case model.OrderedList():
                self._ordered_list(block, scope)
            case model.CodeBlock():
                self._code_block(block, scope)
            case model.Figure():
                self._figure(block, scope)
            case model.Table():
                self._table(block, scope)
            case model.Rule():
                self._rule(block, scope)
            case _:
                cannot_render(block, "DOCX", "block")

    def _paragraph(self, block: model.Paragraph, scope: _Scope) -> None:
        self._inlines(self._new_paragraph(scope.paragraph_style), block.content)

    def _heading(self, block: model.Heading, scope: _Scope) -> None:
        level = min(block.level + self.heading_offset, 6)
        p = self._new_paragraph(self.style_ids[f"Heading {level}"])
        self._inlines(p, block.content)
        self._heading_number += 1
        number = links.heading_id(self._heading_number)
        self.bookmark(p, number if self.article_id == "article" else f"{self.article_id}-{number}")

    def _block_quote(self, block: model.BlockQuote, scope: _Scope) -> None:
        inner = _Scope(self.style_ids["Quote"], scope.list_depth)
        for child in block.blocks:
            self.block(child, inner)
        if block.attribution:
            self._inlines(self._new_paragraph(self.style_ids["Quote Attribution"]), block.attribution)

    def _bullet_list(self, block: model.BulletList, scope: _Scope) -> None:
        self._list(block.items, scope, ordered=False, start=1)

    def _ordered_list(self, block: model.OrderedList, scope: _Scope) -> None:
        self._list(block.items, scope, ordered=True, start=block.start)

    def _list(self, items: Sequence[tuple[model.Block, ...]], scope: _Scope, *, ordered: bool, start: int) -> None:
        """Each item's first paragraph carries the marker; its other blocks follow in List Continue."""
        depth = scope.list_depth + 1
        level = min(depth, LIST_LEVELS)
        style = self.style_ids[_list_style(ordered, level)]
        num_id = self._restarted_numbering(level, start) if ordered else None
        inner = _Scope(self.style_ids["List Continue" + (f" {level}" if level > 1 else "")], depth)
        for item in items:
            first, rest = (item[0], item[1:]) if item else (None, ())
            if isinstance(first, model.Paragraph):
                self._inlines(self._new_paragraph(style, num_id), first.content)
            else:  # the marker needs a paragraph of its own when the item opens with a list, table or figure
                self._new_paragraph(style, num_id)
                rest = item
            for child in rest:
                self.block(child, inner)

    def _restarted_numbering(self, level: int, start: int) -> str:
        """A new w:num on the List Number style's abstract numbering, starting again at `start`."""
        self._last_num_id += 1
        num_id = str(self._last_num_id)
        num = etree.SubElement(self._numbering, qn("w:num"), {qn("w:numId"): num_id})  # the w:num come last
        etree.SubElement(num, qn("w:abstractNumId"), {W_VAL: str(self._list_abstract[level])})
        override = etree.SubElement(num, qn("w:lvlOverride"), {W_ILVL: "0"})
        etree.SubElement(override, qn("w:startOverride"), {W_VAL: str(start)})
        return num_id

    def _code_block(self, block: model.CodeBlock, scope: _Scope) -> None:
        self._run(self._new_paragraph(self.style_ids["Source Code"]), block.text, ())

    def _figure(self, block: model.Figure, scope: _Scope) -> None:
        image = self.resources.image(block.src)
        width = min(image.width * EMU_PER_PIXEL, self._text_width)
        height = width * image.height // image.width
        if height > self._max_figure_height:
            height = self._max_figure_height
            width = height * image.width // image.height
        r_id, _ = self.document.part.get_or_add_image(io.BytesIO(image.data))
        self._shape_id += 1
        inline = CT_Inline.new_pic_inline(self._shape_id, r_id, image.file_name, Emu(width), Emu(height))
        inline.docPr.set("descr", block.alt)
        caption = plain(block.caption)
        if caption:
            inline.docPr.set("title", caption)
        run = etree.SubElement(self._new_paragraph(self.style_ids["Figure"]), W_R)
        etree.SubElement(run, W_DRAWING).append(inline)
        if block.caption:
            self._inlines(self._new_paragraph(self.style_ids["Caption"]), block.caption)
        if block.credit:
            self._run(self._new_paragraph(self.style_ids["Image Credit"]), block.credit, ())

    def _table(self, block: model.Table, scope: _Scope) -> None:
        if not block.header:
            raise RenderError("the DOCX backend cannot render a table without columns")
        if block.caption:
            self._inlines(self._new_paragraph(self.style_ids["Caption"]), block.caption)
        table = CT_Tbl.new_tbl(1 + len(block.rows), len(block.header), self._text_width)  # as add_table makes it
        table.tblStyle_val = self.style_ids["Table Grid"]
        rows = table.tr_lst
        rows[0].get_or_add_trPr().append(etree.Element(qn("w:tblHeader")))  # repeats on each page
        align = block.align or ("",) * len(block.header)
        for index, (row, cells) in enumerate(zip(rows, (block.header, *block.rows), strict=True)):
            style = self.style_ids["Table Heading" if index == 0 else "Table Contents"]
            for cell, content, alignment in zip(row.tc_lst, cells, align, strict=True):
                p = cell.p_lst[0]
                _set_style(p, style, alignment)
                self._inlines(p, content)
        self._end.addprevious(table)
        self._new_paragraph(self.style_ids["After Table"])

    def _rule(self, block: model.Rule, scope: _Scope) -> None:
        self._new_paragraph(self.style_ids["Horizontal Rule"])

    def _new_paragraph(self, style_id: str, num_id: str | None = None) -> Any:
        """An empty w:p in a style (and a list's numbering), placed after the blocks so far."""
        p = etree.Element(W_P)
        _set_style(p, style_id, num_id=num_id)
        self._end.addprevious(p)
        return p

    # --- inlines ---------------------------------------------------------------------------------------

    def _inlines(self, parent: Any, inlines: Sequence[model.Inline], marks: tuple[str, ...] = ()) -> None:
        """Runs for inlines inside a w:p or w:hyperlink; `marks` names the character styles they are in."""
        for node in inlines:
            match node:
                case model.Text():
                    self._text(node, parent, marks)
                case model.Emphasis():
                    self._inlines(parent, node.content, (*marks, "Emphasis"))
                case model.Strong():
                    self._inlines(parent, node.content, (*marks, "Strong"))
                case model.Code():
                    self._code(node, parent, marks)
                case model.Link():
                    self._link(node, parent, marks)
                case model.LineBreak():
                    self._line_break(node, parent, marks)
                case model.Image():
                    self._image(node, parent, marks)
                case model.Insertion() | model.Deletion():
                    self._tracked(node, parent, marks)
                case model.Comment():
                    self._comment(node, parent, marks)
                case _:
                    cannot_render(node, "DOCX", "inline")

    def _text(self, node: model.Text, parent: Any, marks: tuple[str, ...]) -> None:
        self._run(parent, node.text, marks)

    def _code(self, node: model.Code, parent: Any, marks: tuple[str, ...]) -> None:
        self._run(parent, node.text, (*marks, "Verbatim Char"))

    def _link(self, node: model.Link, parent: Any, marks: tuple[str, ...]) -> None:
        if parent.tag == W_HYPERLINK:
            raise RenderError(f"a link to {node.url!r} sits inside another link; Word cannot nest hyperlinks")
        href = self.targets.href(node.url, article_id=self.article_id, packaged=True)
        if not href:  # javascript:, a heading that is not there: the words stay, the link does not (as in the HTML)
            self._inlines(parent, node.content, marks)
            return
        link = etree.SubElement(parent, W_HYPERLINK)
        if href.startswith("#"):  # a heading of the article: its bookmark
            link.set(qn("w:anchor"), _bookmark_name(href[1:]))
        else:
            link.set(R_ID, self.document.part.relate_to(href, RT.HYPERLINK, is_external=True))
        if node.title:
            link.set(qn("w:tooltip"), node.title)
        link.set(qn("w:history"), "1")
        self._inlines(link, node.content, (*marks, "Hyperlink"))

    def _line_break(self, node: model.LineBreak, parent: Any, marks: tuple[str, ...]) -> None:
        etree.SubElement(self._new_run(parent), W_BR)

    def _tracked(self, node: model.Insertion | model.Deletion, parent: Any, marks: tuple[str, ...]) -> None:
        """A pending tracked change: its runs inside w:ins or w:del (deleted text as w:delText), with author and
        date, so Word shows it as an unaccepted change."""
        outer = self._change
        self._change = ("w:ins" if isinstance(node, model.Insertion) else "w:del", node.author, node.date)
        self._inlines(parent, node.content, marks)
        self._change = outer

    def _new_run(self, parent: Any) -> Any:
        """A w:r at the end of `parent`, inside the current tracked change's w:ins or w:del when there is one."""
        if self._change is not None:
            tag, author, date = self._change
            last = parent[-1] if len(parent) else None
            if last is None or last.tag != qn(tag) or last.get(qn("w:author")) != (author or "Unknown") or \
                    last.get(qn("w:date"), "") != date:
                self._revision += 1
                last = etree.SubElement(parent, qn(tag), {qn("w:id"): str(self._revision),
                                                          qn("w:author"): author or "Unknown"})
                if date:
                    last.set(qn("w:date"), date)
            parent = last
        return etree.SubElement(parent, W_R)

    def _comment(self, node: model.Comment, parent: Any, marks: tuple[str, ...]) -> None:
        """A comment: range marks around the text it covers, the reference after it, the comment and its replies
        in the comments part (replies and resolved state in commentsExtended.xml, as Word 2013 and later write)."""
        ids = [self._add_comment(node.text, node.author, node.initials, node.date, "", node.resolved)]
        for reply in node.replies:
            ids.append(self._add_comment(reply.text, reply.author, reply.initials, reply.date, ids[0], node.resolved))
        for comment_id in ids:
            etree.SubElement(parent, qn("w:commentRangeStart"), {qn("w:id"): comment_id})
        self._inlines(parent, node.content, marks)
        for comment_id in ids:
            etree.SubElement(parent, qn("w:commentRangeEnd"), {qn("w:id"): comment_id})
        for comment_id in ids:
            run = etree.SubElement(parent, W_R)
            etree.SubElement(etree.SubElement(run, W_RPR), W_RSTYLE).set(W_VAL, "CommentReference")
            etree.SubElement(run, qn("w:commentReference"), {qn("w:id"): comment_id})

    def _add_comment(self, text: str, author: str, initials: str, date: str, parent_id: str, resolved: bool) -> str:
        comment = self.document.comments.add_comment(text=text, author=author or "Unknown", initials=initials)
        element = comment._comment_elm
        if date:
            element.set(qn("w:date"), date)
        else:  # python-docx stamps "now"; a comment without a date keeps none, so builds stay reproducible
            element.attrib.pop(qn("w:date"), None)
        self._comment_threads.append((element, parent_id, resolved))
        return str(comment.comment_id)

    def comment_threads(self) -> None:
        """commentsExtended.xml: each comment's paragraph id, its parent for a reply, and done for a resolved one."""
        if not self._comment_threads:
            return
        from docx.opc.packuri import PackURI
        from docx.opc.part import Part

        w15 = "http://schemas.microsoft.com/office/word/2012/wordml"
        w14 = "http://schemas.microsoft.com/office/word/2010/wordml"
        root = etree.Element(f"{{{w15}}}commentsEx", nsmap={"w15": w15, "mc": MC_NS})
        para_ids: dict[str, str] = {}
        for index, (element, parent_id, resolved) in enumerate(self._comment_threads, 1):
            para_id = f"{0x10000000 + index:08X}"
            paragraphs = element.findall(W_P)
            for number, p in enumerate(paragraphs):  # the thread refers to the comment's last paragraph
                last = number == len(paragraphs) - 1
                p.set(f"{{{w14}}}paraId", para_id if last else f"{0x20000000 + index * 64 + number:08X}")
            para_ids[element.get(qn("w:id"))] = para_id
            entry = etree.SubElement(root, f"{{{w15}}}commentEx", {f"{{{w15}}}paraId": para_id,
                                                                   f"{{{w15}}}done": "1" if resolved else "0"})
            if parent_id:
                entry.set(f"{{{w15}}}paraIdParent", para_ids[parent_id])
        blob = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
        part = Part(PackURI("/word/commentsExtended.xml"), COMMENTS_EXTENDED_TYPE, blob, self.document.part.package)
        self.document.part.relate_to(part, COMMENTS_EXTENDED_REL)

    def _image(self, node: model.Image, parent: Any, marks: tuple[str, ...]) -> None:
        """An inline picture at its pixel size (96 to the inch), no wider than the text; from the web, its alt text."""
        if links.is_remote(node.src):
            if node.alt:
                self._run(parent, node.alt, marks)
            return
        image = self.resources.image(node.src)
        width = min(image.width * EMU_PER_PIXEL, self._text_width)
        height = max(1, width * image.height // image.width)
        r_id, _ = self.document.part.get_or_add_image(io.BytesIO(image.data))
        self._shape_id += 1
        inline = CT_Inline.new_pic_inline(self._shape_id, r_id, image.file_name, Emu(width), Emu(height))
        inline.docPr.set("descr", node.alt)
        if node.title:
            inline.docPr.set("title", node.title)
        etree.SubElement(etree.SubElement(parent, W_R), W_DRAWING).append(inline)

    def _run(self, parent: Any, text: str, marks: tuple[str, ...]) -> None:
        """A w:r in the character style for `marks`; tabs become w:tab and newlines w:br, as in python-docx."""
        run = self._new_run(parent)
        text_tag = qn("w:delText") if self._change is not None and self._change[0] == "w:del" else W_T
        style_id = self._character_style(marks)
        if style_id is not None:
            etree.SubElement(etree.SubElement(run, W_RPR), W_RSTYLE).set(W_VAL, style_id)
        pieces = re.split(r"([\t\n])", text) if "\t" in text or "\n" in text else (text,)
        try:
            for piece in pieces:
                if piece == "\t":
                    etree.SubElement(run, W_TAB)
                elif piece == "\n":
                    etree.SubElement(run, W_BR)
                elif piece:
                    t = etree.SubElement(run, text_tag)
                    t.text = piece
                    t.set(XML_SPACE, "preserve")
        except ValueError:  # lxml refuses control characters, which XML cannot hold
            raise RenderError(f"text {text[:60]!r} holds a control character a Word document cannot contain") from None

    def _field(self, parent: Any, instruction: str, placeholder: str) -> None:
        """A complex field (PAGE, NUMPAGES) that Word computes; `placeholder` shows until it does."""
        for kind in ("begin", "instr", "separate", "result", "end"):
            run = etree.SubElement(parent, W_R)
            if kind == "instr":
                code = etree.SubElement(run, W_INSTRTEXT)
                code.text = f" {instruction} "
                code.set(XML_SPACE, "preserve")
            elif kind == "result":
                etree.SubElement(run, W_T).text = placeholder
            else:
                etree.SubElement(run, W_FLDCHAR).set(qn("w:fldCharType"), kind)

    def _character_style(self, marks: tuple[str, ...]) -> str | None:
        """The style id for nested marks: a built-in style for one, a combined style (created once) for several."""
        if marks in self._character_ids:
            return self._character_ids[marks]
        names = tuple(name for name in CHARACTER_LOOKS if name in marks)
        if len(names) == 1:
            style_id: str | None = self.style_ids[names[0]]
        elif names in self._character_ids:
            style_id = self._character_ids[names]
        else:
            styles = self.document.styles
            style = styles.add_style(" + ".join(names), WD_STYLE_TYPE.CHARACTER)
            style.style_id = "".join(c for c in style.name if c.isalnum())
            style.base_style = styles[names[-1]]
            for name in names:
                _apply_look(style, CHARACTER_LOOKS[name](self.theme))
            style_id = style.style_id
        self._character_ids[marks] = self._character_ids[names] = style_id
        return style_id


# --- a press release: embargo in the header, end mark, notes to editors, contacts, corrections ---------------


def write_embargo_header(writer: _Writer, articles: tuple[model.Article, ...]) -> None:
    """The embargo banner on every page's header, the first page's included, above what the header holds; in a
    packet, the banner of the embargo that lifts last."""
    embargoed = [a.meta for a in articles if a.meta.embargo is not None]
    if not embargoed:
        return
    latest = max(embargoed, key=lambda meta: meta.embargo or dt.datetime.min.replace(tzinfo=dt.UTC))
    banner = present.article(latest, writer.theme).press.embargo
    section = writer.document.sections[0]
    headers = [section.header, section.first_page_header]
    if writer.document.settings.odd_and_even_pages_header_footer:
        headers.append(section.even_page_header)
    for header in headers:
        first = header.paragraphs[0]._p
        p = copy.deepcopy(first)
        for child in list(p):
            p.remove(child)
        first.addprevious(p)
        _set_style(p, writer.style_ids["Embargo"])
        writer._run(p, banner, ())


def write_press_release(writer: _Writer, meta: model.Meta) -> None:
    """After the story, as the HTML, PDF and EPUB print them: the end mark, the notes to editors under their
    title, then the media contacts (name and role, phone, e-mail, one line each)."""
    press = present.article(meta, writer.theme).press
    if press.ends:
        writer.paragraph("End Mark", press.ends)
    if meta.notes_to_editors:
        writer.paragraph("Press Heading", press.notes_title)
        for note in meta.notes_to_editors:
            writer.paragraph("Note to Editors", note)
    if meta.contacts:
        writer.paragraph("Press Heading", press.contacts_title)
    comma = present.labels(meta.language, writer.theme).comma
    # in right-to-left text a phone number's groups and an address would be reordered: embed them left to right
    embed = ("\u202a", "\u202c") if text_direction(meta.language) == "rtl" else ("", "")
    for contact in meta.contacts:
        p = writer._new_paragraph(writer.style_ids["Contact"])
        writer._run(p, contact.name, ("Strong",))
        if contact.role:
            writer._run(p, comma + contact.role, ())
        for line in (contact.phone, contact.email):
            if line:
                etree.SubElement(etree.SubElement(p, W_R), qn("w:br"))
                writer._run(p, embed[0] + line + embed[1], ())


def write_corrections(writer: _Writer, meta: model.Meta) -> None:
    """Each correction at the foot: its label with the date in bold, then its text."""
    for line in present.article(meta, writer.theme).press.corrections:
        p = writer._new_paragraph(writer.style_ids["Correction"])
        writer._run(p, line.label, ("Strong",))
        writer._run(p, " " + line.text, ())


def set_press_properties(document: Document, articles: tuple[model.Article, ...], theme: Theme) -> None:
    """The embargo banner (the latest embargo's, for a packet) as the document's content status, and every
    correction as a custom document property ("Correction 1": its date, then its text), which Word shows under
    File > Properties."""
    embargoed = [a.meta for a in articles if a.meta.embargo is not None]
    if embargoed:
        latest = max(embargoed, key=lambda meta: meta.embargo or dt.datetime.min.replace(tzinfo=dt.UTC))
        document.core_properties.content_status = _limited(present.article(latest, theme).press.embargo)
    corrections = [c for a in articles for c in a.meta.corrections]
    if not corrections:
        return
    from docx.opc.packuri import PackURI
    from docx.opc.part import Part

    custom = "http://schemas.openxmlformats.org/officeDocument/2006/custom-properties"
    vt = "http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes"
    root = etree.Element(f"{{{custom}}}Properties", nsmap={None: custom, "vt": vt})
    for pid, correction in enumerate(corrections, 2):  # property ids start at 2
        prop = etree.SubElement(root, f"{{{custom}}}property", fmtid="{D5CDD505-2E9C-101B-9397-08002B2CF9AE}",
                                pid=str(pid), name=f"Correction {pid - 1}")
        etree.SubElement(prop, f"{{{vt}}}lpwstr").text = f"{correction.date.isoformat()}: {correction.text}"
    blob = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
    package = document.part.package
    assert package is not None
    part = Part(PackURI("/docProps/custom.xml"),
                "application/vnd.openxmlformats-officedocument.custom-properties+xml", blob, package)
    package.relate_to(part, RT.CUSTOM_PROPERTIES)


def _bookmark_name(anchor: str) -> str:
    """A Word bookmark name for a heading id: letters, digits and underscores, at most 40 characters."""
    return re.sub(r"[^A-Za-z0-9_]", "_", anchor)[:40]


def _slot(position: str, side: str) -> str:
    """Where on a header or footer line something placed at `position` goes on an odd or even page."""
    if position == "outside":
        return "end" if side == "odd" else "start"
    return position


def _list_style(ordered: bool, level: int) -> str:
    return ("List Number" if ordered else "List Bullet") + (f" {level}" if level > 1 else "")


def _set_style(p: Any, style_id: str, alignment: str = "", num_id: str | None = None) -> None:
    """Give a w:p its paragraph style, optionally a list numbering and an alignment (pPr children in schema order)."""
    old = p.find(W_PPR)  # python-docx's header and footer paragraphs come with one; ours replaces it
    if old is not None:
        p.remove(old)
    ppr = etree.Element(W_PPR)
    p.insert(0, ppr)
    etree.SubElement(ppr, W_PSTYLE).set(W_VAL, style_id)
    if num_id is not None:
        numpr = etree.SubElement(ppr, W_NUMPR)
        etree.SubElement(numpr, W_ILVL).set(W_VAL, "0")
        etree.SubElement(numpr, W_NUMID).set(W_VAL, num_id)
    if alignment:
        etree.SubElement(ppr, W_JC).set(W_VAL, alignment)


# --- styles --------------------------------------------------------------------------------------------


def _define_styles(document: Document, theme: Theme, language: str, *, packet: bool = False) -> dict[str, str]:
    """Restyle the template's built-in styles and add ours from the theme; the style ids by name."""
    styles = document.styles
    normal = styles["Normal"]
    for name in (*OWN_PARAGRAPH_STYLES, *THEME_PARAGRAPH_STYLES):
        style = styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
        style.base_style = normal
        style.next_paragraph_style = normal
        style.quick_style = True
    if "Hyperlink" not in styles:  # the default template lacks it; Word knows it as built-in
        hyperlink = styles.add_style("Hyperlink", WD_STYLE_TYPE.CHARACTER, builtin=True)
        hyperlink.base_style = styles["Default Paragraph Font"]
        hyperlink.unhide_when_used = True
    for name in ("Verbatim Char", "Letterhead Label", "Letterhead Publisher"):
        if name not in styles:
            character = styles.add_style(name, WD_STYLE_TYPE.CHARACTER)
            character.base_style = styles["Default Paragraph Font"]
            character.quick_style = name == "Verbatim Char"
    looks = paragraph_looks(theme, language, packet=packet)
    for name, look in looks.items():
        _apply_look(styles[name], look)
    for name, character_look in CHARACTER_LOOKS.items():
        _apply_look(styles[name], character_look(theme))
    subtitle_numbering = styles["Subtitle"].element.pPr  # the template's Subtitle carries a stray w:numPr
    if subtitle_numbering is not None and subtitle_numbering.numPr is not None:
        subtitle_numbering.remove(subtitle_numbering.numPr)
    _drop_letter_spacing(styles.element)
    _set_language(normal.element.get_or_add_rPr(), language)
    _set_document_defaults(styles.element, looks["Normal"], language)
    for border in styles["Table Grid"].element.iterfind(f"{qn('w:tblPr')}/{qn('w:tblBorders')}/*"):
        border.set(qn("w:color"), theme.colors.rule[1:].upper())
    names = [*looks, *CHARACTER_LOOKS, "Table Grid", "List Continue", "List Continue 2", "List Continue 3",
             *(_list_style(ordered, level) for ordered in (False, True) for level in range(1, LIST_LEVELS + 1))]
    return {name: styles[name].style_id for name in names}


def _drop_letter_spacing(styles_element: Any) -> None:
    """Remove the template's letter-spacing (w:spacing in a style's run properties: Title, Subtitle, Book Title...).

    Word has no complex-script variant of it, so it would pull apart the joined letters of Arabic, Urdu, Persian
    or Syriac; the theme asks for none on a headline or dek in any script."""
    for spacing in styles_element.iterfind(f"{qn('w:style')}/{qn('w:rPr')}/{qn('w:spacing')}"):
        spacing.getparent().remove(spacing)


def _apply_look(style: CharacterStyle, look: Look) -> None:
    """Set a style's font and paragraph properties from a Look, leaving what it does not name."""
    if look.border_bottom or look.border_left or look.border_right:  # first: later properties follow in order
        _set_border(style, look.border_bottom, look.border_left, look.border_right)
    elif look.borderless and isinstance(style, ParagraphStyle):
        old_borders = style.element.get_or_add_pPr().find(qn("w:pBdr"))
        if old_borders is not None:
            old_borders.getparent().remove(old_borders)
    font = style.font
    if look.font is not None:
        font.name = look.font
        fonts = style.element.rPr.rFonts
        fonts.set(qn("w:cs"), look.font_cs or look.font)  # Arabic-script and Hebrew text; Latin if the theme has none
        if look.font_east_asia:
            fonts.set(qn("w:eastAsia"), look.font_east_asia)
        for theme_attribute in ("w:asciiTheme", "w:hAnsiTheme", "w:cstheme", "w:eastAsiaTheme"):  # they would win
            fonts.attrib.pop(qn(theme_attribute), None)
    if look.size is not None:  # complex scripts (Arabic, Urdu, Hebrew) get their own size, weight and slant
        font.size = Pt(look.size)
        size = style.element.rPr.sz
        cs_size = size.getnext()
        if cs_size is None or cs_size.tag != qn("w:szCs"):
            cs_size = etree.Element(qn("w:szCs"))
            size.addnext(cs_size)
        cs_size.set(W_VAL, str(round((look.size_cs or look.size) * 2)))
    if look.color is not None:
        font.color.rgb = RGBColor.from_string(look.color[1:])
    if look.bold is not None:
        font.bold = font.cs_bold = look.bold
    if look.italic is not None:
        font.italic = look.italic
        font.cs_italic = look.italic and not look.font_cs  # Arabic script has no italics: never slant it
    if look.underline is not None:
        font.underline = look.underline
    if look.small_caps is not None:
        font.small_caps = look.small_caps
    if look.all_caps is not None:
        font.all_caps = look.all_caps
    if not isinstance(style, ParagraphStyle):
        return
    fmt = style.paragraph_format
    ppr = style.element.get_or_add_pPr()
    if look.widow_control is not None:
        fmt.widow_control = look.widow_control
    if look.suppress_hyphens is not None:
        _set_flag(ppr, "w:suppressAutoHyphens", look.suppress_hyphens)
    if look.right_to_left is not None:
        _set_flag(ppr, "w:bidi", look.right_to_left)
    if look.tabs:
        fmt.tab_stops.clear_all()
        for position, kind in look.tabs:
            fmt.tab_stops.add_tab_stop(Mm(position), WD_TAB_ALIGNMENT.CENTER if kind == "center"
                                       else WD_TAB_ALIGNMENT.RIGHT,
                                       WD_TAB_LEADER.DOTS if kind == "end-dots" else WD_TAB_LEADER.SPACES)
    if look.first_line_indent is not None:
        fmt.first_line_indent = Pt(look.first_line_indent)
    if look.space_before is not None:
        fmt.space_before = Pt(look.space_before)
    if look.space_after is not None:
        fmt.space_after = Pt(look.space_after)
    if look.line_spacing is not None:
        fmt.line_spacing = look.line_spacing
    if look.line_at_least is not None:
        fmt.line_spacing = Pt(look.line_at_least)
        fmt.line_spacing_rule = WD_LINE_SPACING.AT_LEAST
    if look.keep_with_next is not None:
        fmt.keep_with_next = look.keep_with_next
    if look.keep_together is not None:
        fmt.keep_together = look.keep_together
    if look.alignment is not None:
        fmt.alignment = ALIGN[look.alignment]
    if look.left_indent is not None:
        fmt.left_indent = Mm(look.left_indent)
    if look.right_indent is not None:
        fmt.right_indent = Mm(look.right_indent)


def _set_border(style: CharacterStyle, bottom: str | None, left: str | None, right: str | None = None) -> None:
    """A paragraph border in a style's pPr (replacing the template's), as a thin single line."""
    ppr = style.element.get_or_add_pPr()
    old = ppr.find(qn("w:pBdr"))
    borders = etree.Element(qn("w:pBdr"))
    for side, color, space in (("w:left", left, "8"), ("w:bottom", bottom, "4"), ("w:right", right, "8")):
        if color:
            etree.SubElement(borders, qn(side), {qn("w:val"): "single", qn("w:sz"): "8", qn("w:space"): space,
                                                 qn("w:color"): color[1:].upper()})
    if old is not None:
        old.addnext(borders)
        ppr.remove(old)
    else:
        ppr.insert_element_before(borders, *_PPR_AFTER_BORDER)


_PPR_AFTER_BORDER = ("w:shd", "w:tabs", "w:suppressAutoHyphens", "w:kinsoku", "w:wordWrap", "w:overflowPunct",
                     "w:topLinePunct", "w:autoSpaceDE", "w:autoSpaceDN", "w:bidi", "w:adjustRightInd",
                     "w:snapToGrid", "w:spacing", "w:ind", "w:contextualSpacing", "w:mirrorIndents",
                     "w:suppressOverlap", "w:jc", "w:textDirection", "w:textAlignment", "w:textboxTightWrap",
                     "w:outlineLvl", "w:divId", "w:cnfStyle", "w:rPr", "w:sectPr", "w:pPrChange")


def _set_language(rpr: Any, language: str) -> None:
    """The w:lang of a run-properties element (spell checking and hyphenation follow it): the language for Latin
    text, and for right-to-left or East Asian text too when it is written so."""
    lang = rpr.find(qn("w:lang"))
    if lang is None:
        lang = etree.Element(qn("w:lang"))
        rpr.insert_element_before(lang, "w:eastAsianLayout", "w:specVanish", "w:oMath")
    lang.set(W_VAL, language)
    if text_direction(language) == "rtl":
        lang.set(qn("w:bidi"), language)
    if language.split("-")[0].lower() in EAST_ASIAN_LANGUAGES:
        lang.set(qn("w:eastAsia"), language)


def _set_document_defaults(styles_element: Any, normal: Look, language: str) -> None:
    """The template's document defaults name theme fonts and en-US; give them the body fonts and the language
    (and, for Chinese, Japanese and Korean, the hint that shared punctuation is set in the East Asian font)."""
    rpr = styles_element.find(f"{qn('w:docDefaults')}/{qn('w:rPrDefault')}/{qn('w:rPr')}")
    if rpr is None:
        return
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is not None and normal.font:
        for attribute in ("w:asciiTheme", "w:hAnsiTheme", "w:cstheme", "w:eastAsiaTheme"):
            fonts.attrib.pop(qn(attribute), None)
        for attribute, font in (("w:ascii", normal.font), ("w:hAnsi", normal.font),
                                ("w:cs", normal.font_cs or normal.font), ("w:eastAsia", normal.font_east_asia)):
            if font:
                fonts.set(qn(attribute), font)
        if language.split("-")[0].lower() in EAST_ASIAN_LANGUAGES:
            fonts.set(qn("w:hint"), "eastAsia")
    _set_language(rpr, language)


PPR_ORDER = ("w:pStyle", "w:keepNext", "w:keepLines", "w:pageBreakBefore", "w:framePr", "w:widowControl",
             "w:numPr", "w:suppressLineNumbers", "w:pBdr", "w:shd", "w:tabs", "w:suppressAutoHyphens", "w:kinsoku",
             "w:wordWrap", "w:overflowPunct", "w:topLinePunct", "w:autoSpaceDE", "w:autoSpaceDN", "w:bidi",
             "w:adjustRightInd", "w:snapToGrid", "w:spacing", "w:ind", "w:contextualSpacing", "w:mirrorIndents",
             "w:suppressOverlap", "w:jc", "w:textDirection", "w:textAlignment", "w:textboxTightWrap",
             "w:outlineLvl", "w:divId", "w:cnfStyle", "w:rPr", "w:sectPr", "w:pPrChange")
"""The order WordprocessingML requires of a paragraph's properties."""


def _set_flag(ppr: Any, tag: str, on: bool) -> None:
    """Set or clear an on/off paragraph property (w:bidi, w:suppressAutoHyphens) in schema order."""
    name = qn(tag)
    old = ppr.find(name)
    if old is not None:
        ppr.remove(old)
    flag = etree.Element(name)
    if not on:
        flag.set(W_VAL, "0")
    later = {qn(t) for t in PPR_ORDER[PPR_ORDER.index(tag) + 1:]}
    follower = next((child for child in ppr if child.tag in later), None)
    if follower is not None:
        follower.addprevious(flag)
    else:
        ppr.append(flag)


def _abstract_num_id(document: Document, style_id: str) -> int:
    """The abstract numbering a list style's own w:numId points at (the one a restarted list reuses)."""
    numbering = document.part.numbering_part.element
    style = document.styles.element.get_by_id(style_id)
    num_ids = style.xpath("./w:pPr/w:numPr/w:numId/@w:val") if style is not None else []
    if not num_ids:
        raise RenderError(f"the DOCX template's {style_id} style has no numbering to restart")
    return int(numbering.num_having_numId(int(num_ids[0])).abstractNumId.val)


# --- document properties and the package -----------------------------------------------------------------


def _document_dates(meta: model.Meta) -> tuple[dt.datetime, dt.datetime]:
    """Created and modified, in UTC without a zone (as python-docx writes them): from the article when it has
    dates, else from SOURCE_DATE_EPOCH, else now."""
    created = reproducible.moment(meta.published or meta.updated)
    modified = reproducible.moment(meta.updated or meta.published)
    return created.replace(tzinfo=None), modified.replace(tzinfo=None)


def _set_properties(document: Document, meta: model.Meta, when: tuple[dt.datetime, dt.datetime]) -> None:
    """Core properties from the metadata, replacing every value python-docx's template carries."""
    props = document.core_properties
    props.title = _limited(meta.headline)
    props.author = _limited("; ".join(meta.authors))
    props.last_modified_by = _limited("; ".join(meta.authors))
    props.language = meta.language
    props.keywords = _limited(", ".join(meta.keywords))
    props.subject = _limited(meta.dek)
    props.comments = _limited(meta.summary)
    props.identifier = _limited(meta.uid)
    props.category = _limited(meta.source)
    props.revision = 1
    props.created, props.modified = when
    _drop_thumbnail(document)


def _set_collection_properties(document: Document, collection: model.Collection, created: dt.datetime) -> None:
    """Core properties of a packet: the collection's title, publisher, language and date, every article's
    keywords."""
    props = document.core_properties
    props.title = _limited(collection.title)
    props.author = props.last_modified_by = _limited(collection.publisher)
    props.language = collection.language
    props.keywords = _limited(", ".join(dict.fromkeys(k for a in collection.articles for k in a.meta.keywords)))
    props.subject = _limited(collection.subtitle)
    props.identifier = _limited(collection.uid)
    props.category = _limited(collection.publisher)
    props.comments = ""
    props.revision = 1
    props.created = props.modified = created
    _drop_thumbnail(document)


# The custom XML part (namespace MODEL_NAMESPACE) carries the model a DOCX was made from and each paragraph's text
# as written: `publish review` compares an edited copy with it, and reading the file back restores what Word has no
# place for (exact dates, the URL, a code block's language).


def _mark_changed_paragraphs(document: Document) -> None:
    """A paragraph whose whole text is one pending insertion or deletion gets its paragraph mark inserted or deleted
    too (w:pPr/w:rPr/w:ins|w:del), as Word records a paragraph added or removed: accepting or rejecting it in Word
    then leaves no empty paragraph behind."""
    for p in document.element.body.iter(W_P):
        changes = [child for child in p if child.tag in (qn("w:ins"), qn("w:del"))]
        if not changes or any(child.tag in (W_R, W_HYPERLINK) for child in p):
            continue
        kinds = {child.tag for child in changes}
        if len(kinds) != 1:
            continue
        first = changes[0]
        ppr = p.find(W_PPR)
        if ppr is None:
            ppr = etree.Element(W_PPR)
            p.insert(0, ppr)
        rpr = ppr.find(W_RPR)
        if rpr is None:
            rpr = etree.SubElement(ppr, W_RPR)
        mark = etree.SubElement(rpr, first.tag, {qn("w:id"): f"{first.get(qn('w:id'))}0",
                                                 qn("w:author"): first.get(qn("w:author"), "")})
        if first.get(qn("w:date")):
            mark.set(qn("w:date"), first.get(qn("w:date")))


def _number_paragraphs(document: Document) -> None:
    """A stable w14:paraId on every body paragraph (1, 2, 3... in hexadecimal), as Word gives each paragraph: an
    edited copy keeps them, so `publish review` can tell which paragraph of the original an edit touched."""
    w14 = "http://schemas.microsoft.com/office/word/2010/wordml"
    for number, p in enumerate(document.element.body.iter(W_P), 1):
        p.set(f"{{{w14}}}paraId", f"{number:08X}")


def _embed_model(document: Document, article: model.Article) -> None:
    """The article's JSON form in a custom XML part related to the main document (Word keeps it when saving)."""
    from docx.opc.part import Part

    from publish import jsonform

    root = etree.Element(f"{{{MODEL_NAMESPACE}}}article", nsmap={None: MODEL_NAMESPACE})
    root.set("version", str(jsonform.VERSION))
    root.text = jsonform.dumps(article)
    written = etree.SubElement(root, f"{{{MODEL_NAMESPACE}}}paragraphs")
    for p in document.element.body.iter(W_P):  # as rejected: a review copy's pending changes are not edits
        etree.SubElement(written, f"{{{MODEL_NAMESPACE}}}p").text = paragraph_text(p, "reject")
    blob = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
    package = document.part.package
    assert package is not None
    part = Part(package.next_partname("/customXml/item%d.xml"), "application/xml", blob, package)
    document.part.relate_to(part, RT.CUSTOM_XML)


def _drop_thumbnail(document: Document) -> None:
    """Remove python-docx's template thumbnail, which shows another document."""
    package = document.part.package
    if package is not None:
        for r_id, rel in list(package.rels.items()):
            if rel.reltype == RT.THUMBNAIL:
                del package.rels[r_id]


def _limited(text: str) -> str:
    """A core property within python-docx's 255-character limit (the body keeps the full text)."""
    return text if len(text) <= CORE_PROPERTY_LIMIT else text[: CORE_PROPERTY_LIMIT - 1] + "…"


def _with_fixed_times(data: bytes, when: dt.datetime) -> bytes:
    """The same package with every ZIP entry dated `when`, so the same article gives the same bytes."""
    stamp = reproducible.zip_date_time(when)
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=stamp)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o644 << 16
            target.writestr(entry, source.read(info))
    return out.getvalue()


# --- direction and paragraph shapes, after the body is written ------------------------------------------------


def finish(document: Document, theme: Theme, language: str) -> None:
    """What depends on the whole text: in a right-to-left language every paragraph, table and the section run
    right to left; in any language, runs are split where the script changes direction so right-to-left words are
    marked w:rtl (and take the complex-script font) while Latin names and numbers keep theirs; with indented
    paragraphs, a body paragraph that follows no other takes "First Paragraph" (no indent), as in Pandoc."""
    rtl = text_direction(language) == "rtl"
    parts = [document.element.body]
    for section in document.sections:
        for story in (section.header, section.footer, section.first_page_header, section.first_page_footer,
                      section.even_page_header, section.even_page_footer):
            if not story.is_linked_to_previous:
                parts.append(story._element)
    for root in parts:
        for p in root.iter(W_P):
            if rtl:
                ppr = p.find(W_PPR)
                if ppr is None:
                    ppr = etree.Element(W_PPR)
                    p.insert(0, ppr)
                _set_flag(ppr, "w:bidi", True)
            for run in list(p.iter(W_R)):
                _split_by_direction(run, "R" if rtl else "L")
    if rtl:
        for tbl_pr in document.element.body.iter(qn("w:tblPr")):
            tbl_pr.insert_element_before(etree.Element(qn("w:bidiVisual")), "w:tblStyleRowBandSize",
                                         "w:tblStyleColBandSize", "w:tblW", "w:jc", "w:tblCellSpacing", "w:tblInd",
                                         "w:tblBorders", "w:shd", "w:tblLayout", "w:tblCellMar", "w:tblLook",
                                         "w:tblCaption", "w:tblDescription", "w:tblPrChange")
        for sect_pr in document.element.body.iter(qn("w:sectPr")):
            sect_pr.insert_element_before(etree.Element(qn("w:bidi")), "w:rtlGutter", "w:docGrid",
                                          "w:printerSettings", "w:sectPrChange")
    if theme.typography.paragraph_style == "indented":
        _first_paragraphs(document)


def _first_paragraphs(document: Document) -> None:
    styles = document.styles
    normal, first = styles["Normal"].style_id, styles["First Paragraph"].style_id
    previous = None
    for block in document.element.body.iterchildren(W_P, qn("w:tbl")):
        style = block.find(f"{W_PPR}/{W_PSTYLE}") if block.tag == W_P else None
        style_id = style.get(W_VAL) if style is not None else (normal if block.tag == W_P else None)
        if style_id == normal and previous not in (normal, first):
            if style is None:
                _set_style(block, first)
            else:
                style.set(W_VAL, first)
            style_id = first
        previous = style_id


def _split_by_direction(run: Any, embedding: str) -> None:
    """Split a run whose text mixes right-to-left and left-to-right script into runs of one direction each; the
    right-to-left ones get w:rtl. Neutral characters (spaces, punctuation, digits) go with their neighbours when
    both run the same way, else with the paragraph's direction, as the Unicode bidi algorithm resolves them."""
    texts = run.findall(W_T)
    if not any(_holds_right_to_left(t.text or "") for t in texts):
        return
    pieces: list[tuple[str, Any]] = []  # (direction, a w:t / w:tab / w:br element)
    for child in run:
        if child.tag == W_RPR:
            continue
        if child.tag != W_T:
            pieces.append(("", child))
            continue
        for direction, chunk in _direction_chunks(child.text or "", embedding):
            t = etree.Element(W_T)
            t.text = chunk
            t.set(XML_SPACE, "preserve")
            pieces.append((direction, t))
    resolved: list[tuple[str, Any]] = []
    for direction, element in pieces:  # tabs and breaks go with what precedes them
        resolved.append((direction or (resolved[-1][0] if resolved else embedding), element))
    rpr = run.find(W_RPR)
    anchor = run
    group: list[Any] = []
    for index, (direction, element) in enumerate(resolved):
        group.append(element)
        if index + 1 < len(resolved) and resolved[index + 1][0] == direction:
            continue
        new = etree.Element(W_R)
        props = copy.deepcopy(rpr) if rpr is not None else None
        if direction == "R":
            if props is None:
                props = etree.Element(W_RPR)
            props.append(etree.Element(qn("w:rtl")))  # after w:rStyle, the only run property this backend sets
        if props is not None:
            new.append(props)
        new.extend(group)
        anchor.addnext(new)
        anchor, group = new, []
    run.getparent().remove(run)


RIGHT_TO_LEFT_BLOCKS = re.compile("[\u05be-\u08c9\u200f\ufb1d-\ufefc\U00010800-\U00010d23\U00010e80-\U00010ff6"
                                  "\U0001e800-\U0001e95f\U0001ec71-\U0001eebb]")
"""The Unicode blocks that hold every right-to-left character (bidi class R or AL), and a few neutrals between
them: a cheap test that spares English text a per-character look-up."""


def _holds_right_to_left(value: str) -> bool:
    """Whether `value` has a strong right-to-left character (checked per character only where one may be)."""
    if value.isascii() or RIGHT_TO_LEFT_BLOCKS.search(value) is None:
        return False
    return any(_strong(c) == "R" for c in value)


def _strong(char: str) -> str:
    kind = unicodedata.bidirectional(char)
    return "R" if kind in ("R", "AL") else "L" if kind == "L" else ""


def _direction_chunks(value: str, embedding: str) -> list[tuple[str, str]]:
    """`value` cut into (direction, text) chunks: "R" or "L", neutrals resolved between their strong neighbours."""
    kinds = [_strong(c) for c in value]
    resolved = list(kinds)
    index = 0
    while index < len(kinds):
        if kinds[index]:
            index += 1
            continue
        end = index
        while end < len(kinds) and not kinds[end]:
            end += 1
        before = kinds[index - 1] if index else embedding
        after = kinds[end] if end < len(kinds) else embedding
        resolved[index:end] = [before if before == after else embedding] * (end - index)
        index = end
    chunks: list[tuple[str, str]] = []
    for char, direction in zip(value, resolved, strict=True):
        if chunks and chunks[-1][0] == direction:
            chunks[-1] = (direction, chunks[-1][1] + char)
        else:
            chunks.append((direction, char))
    return chunks
