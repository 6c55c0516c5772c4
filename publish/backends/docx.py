"""The DOCX backend: an article as a Word document built only from named styles set from the theme's tokens."""

from __future__ import annotations

import datetime as dt
import io
import os
import re
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import docx
from docx.document import Document
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.oxml.ns import qn
from docx.oxml.shape import CT_Inline
from docx.oxml.table import CT_Tbl
from docx.shared import Emu, Mm, Pt, RGBColor
from docx.styles.style import CharacterStyle, ParagraphStyle
from lxml import etree  # type: ignore[import-untyped, unused-ignore]

from publish import model
from publish.backends import RenderContext
from publish.errors import RenderError
from publish.text import byline, human_date, plain
from publish.theme import Theme

# WordprocessingML names, qualified once.
W_P, W_PPR, W_PSTYLE, W_JC = qn("w:p"), qn("w:pPr"), qn("w:pStyle"), qn("w:jc")
W_NUMPR, W_ILVL, W_NUMID = qn("w:numPr"), qn("w:ilvl"), qn("w:numId")
W_R, W_RPR, W_RSTYLE = qn("w:r"), qn("w:rPr"), qn("w:rStyle")
W_T, W_TAB, W_BR, W_DRAWING = qn("w:t"), qn("w:tab"), qn("w:br"), qn("w:drawing")
W_HYPERLINK, W_FLDCHAR, W_INSTRTEXT = qn("w:hyperlink"), qn("w:fldChar"), qn("w:instrText")
W_VAL, R_ID = qn("w:val"), qn("r:id")
XML_SPACE = "{http://www.w3.org/XML/1998/namespace}space"

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


ALIGN = {"left": WD_ALIGN_PARAGRAPH.LEFT, "center": WD_ALIGN_PARAGRAPH.CENTER, "right": WD_ALIGN_PARAGRAPH.RIGHT}
# Our own paragraph styles, each based on Normal; the built-in ones restyled below are already in the template.
OWN_PARAGRAPH_STYLES = ("Byline", "Dateline", "Quote Attribution", "Figure", "Image Credit", "Source Code",
                        "Table Heading", "Table Contents", "Horizontal Rule")


def paragraph_looks(theme: Theme) -> dict[str, Look]:
    """Every paragraph style the backend uses, built-in or ours, with the theme's tokens."""
    fonts, sizes, colors = theme.fonts, theme.sizes, theme.colors
    body, heading, mono = fonts.body[0], fonts.heading[0], fonts.mono[0]
    sub = {1: sizes.heading1, 2: sizes.heading2}
    quote_indent = 8.0
    looks = {
        "Normal": Look(font=body, size=sizes.body, color=colors.text, space_before=0,
                       space_after=round(sizes.body * 0.7, 1), line_spacing=sizes.line_height),
        "Title": Look(font=heading, size=sizes.headline, color=colors.heading, bold=True,
                      space_after=sizes.headline / 3, line_spacing=1.1, keep_with_next=True,
                      border_bottom=colors.accent),
        "Subtitle": Look(font=body, size=sizes.dek, color=colors.text, italic=False, space_after=sizes.dek * 0.8,
                         line_spacing=1.3, keep_with_next=True),
        "Byline": Look(font=heading, size=sizes.body, color=colors.text, bold=True, space_after=1,
                       keep_with_next=True),
        "Dateline": Look(font=heading, size=sizes.small, color=colors.muted, space_after=sizes.body * 1.5,
                         keep_with_next=True),
        "Quote": Look(font=body, color=colors.text, italic=True, left_indent=quote_indent, border_left=colors.accent),
        "Quote Attribution": Look(font=body, size=sizes.small, color=colors.muted, left_indent=quote_indent,
                                  space_after=sizes.body * 1.2),
        "Figure": Look(alignment="center", line_spacing=1.0, space_before=sizes.body / 2, space_after=3,
                       keep_with_next=True),
        "Caption": Look(font=heading, size=sizes.small, color=colors.muted, bold=False, italic=False, space_after=2,
                        line_spacing=1.2, keep_with_next=True),
        "Image Credit": Look(font=heading, size=sizes.small * 0.9, color=colors.muted, space_after=sizes.body,
                             line_spacing=1.2),
        "Source Code": Look(font=mono, size=sizes.body * 0.9, line_spacing=1.15, left_indent=5,
                            keep_together=True),
        "Table Heading": Look(font=heading, size=sizes.small, color=colors.heading, bold=True, space_after=0,
                              line_spacing=1.1, keep_with_next=True),
        "Table Contents": Look(size=sizes.small * 1.1, space_after=0, line_spacing=1.1),
        "Horizontal Rule": Look(size=sizes.small, space_before=sizes.body / 2, space_after=sizes.body * 1.2,
                                line_spacing=1.0, border_bottom=colors.rule),
        "Header": Look(font=heading, size=sizes.small, color=colors.muted, alignment="center"),
        "Footer": Look(font=heading, size=sizes.small, color=colors.muted, alignment="center"),
    }
    for level in range(1, 7):
        size = sub.get(level, sizes.heading3)
        looks[f"Heading {level}"] = Look(font=heading, size=size, color=colors.heading, bold=True, italic=False,
                                         space_before=size * 1.2, space_after=size * 0.4, line_spacing=1.15,
                                         keep_with_next=True)
    return looks


# The character styles, in the order their names join when marks nest (emphasis inside a link).
CHARACTER_LOOKS: dict[str, Callable[[Theme], Look]] = {
    "Strong": lambda theme: Look(bold=True),
    "Emphasis": lambda theme: Look(italic=True),
    "Verbatim Char": lambda theme: Look(font=theme.fonts.mono[0]),
    "Hyperlink": lambda theme: Look(color=theme.colors.accent, underline=True),
}


def render(article: model.Article, context: RenderContext) -> bytes:
    """The article as a DOCX file."""
    when = _document_dates(article.meta)
    writer = _Writer(context, article.meta.language)
    writer.page(article.meta)  # first: tables take their width from the page
    writer.front_matter(article.meta)
    for block in article.blocks:
        writer.block(block, writer.top)
    _set_properties(writer.document, article.meta, when)
    out = io.BytesIO()
    writer.document.save(out)
    return _with_fixed_times(out.getvalue(), when[1])


@dataclass(frozen=True, slots=True)
class _Scope:
    """Where a block sits: the style a plain paragraph takes there, and how deep in lists it is."""

    paragraph_style: str
    """The style id of a body paragraph here (Normal, Quote, List Continue)."""
    list_depth: int = 0
    """0 outside lists, 1 inside a top-level list item, and so on."""


class _Writer:
    """Appends an article's blocks to a python-docx Document as w:p elements in named styles."""

    def __init__(self, context: RenderContext, language: str) -> None:
        self.document: Document = docx.Document()
        self.theme = context.theme
        self.resources = context.resources
        self.style_ids = _define_styles(self.document, self.theme, language)
        self.top = _Scope(self.style_ids["Normal"])
        body = self.document.element.body
        self._end = body.sectPr  # every block goes before the section properties, which stay last
        self._numbering = self.document.part.numbering_part.element
        self._last_num_id = max((num.numId for num in self._numbering.num_lst), default=0)
        self._list_abstract = {level: _abstract_num_id(self.document, self.style_ids[_list_style(True, level)])
                               for level in range(1, LIST_LEVELS + 1)}
        self._character_ids: dict[tuple[str, ...], str | None] = {(): None}
        self._shape_id = 0
        page = self.theme.page
        self._text_width = Mm(page.width_mm - page.margin_inner - page.margin_outer)
        self._max_figure_height = Mm((page.height_mm - page.margin_top - page.margin_bottom) * MAX_FIGURE_HEIGHT)
        self._block_handlers: dict[type, Callable[[Any, _Scope], None]] = {
            model.Paragraph: self._paragraph,
            model.Heading: self._heading,
            model.BlockQuote: self._block_quote,
            model.BulletList: self._bullet_list,
            model.OrderedList: self._ordered_list,
            model.CodeBlock: self._code_block,
            model.Figure: self._figure,
            model.Table: self._table,
            model.Rule: self._rule,
        }
        self._inline_handlers: dict[type, Callable[[Any, Any, tuple[str, ...]], None]] = {
            model.Text: self._text,
            model.Emphasis: self._marked("Emphasis"),
            model.Strong: self._marked("Strong"),
            model.Code: self._code,
            model.Link: self._link,
            model.LineBreak: self._line_break,
        }

    # --- the parts around the body ---------------------------------------------------------------------

    def front_matter(self, meta: model.Meta) -> None:
        """Headline, dek, byline and dateline, each in its style; empty ones are left out."""
        dates = human_date(meta.published)
        if meta.updated is not None:
            updated = f"updated {human_date(meta.updated)}"
            dates = f"{dates} ({updated})" if dates else updated.capitalize()
        dateline = ", ".join(part for part in (meta.dateline, dates) if part)
        for style, text in (("Title", meta.headline), ("Subtitle", meta.dek), ("Byline", byline(meta)),
                            ("Dateline", dateline)):
            if text:
                self._run(self._new_paragraph(self.style_ids[style]), text, ())

    def page(self, meta: model.Meta) -> None:
        """Page size and margins, the running head (not on the first page, which has the headline) and page numbers."""
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
        section.different_first_page_header_footer = True
        section.first_page_header.is_linked_to_previous = False  # an empty head above the headline
        running_head = {"headline": meta.headline, "source": meta.source}.get(page.running_head, "")
        if running_head:
            head = section.header.paragraphs[0]._p
            _set_style(head, self.style_ids["Header"])
            self._run(head, running_head, ())
        for footer in (section.footer, section.first_page_footer):
            foot = footer.paragraphs[0]._p
            _set_style(foot, self.style_ids["Footer"])
            self._run(foot, "Page ", ())
            self._field(foot, "PAGE", "1")
            self._run(foot, " of ", ())
            self._field(foot, "NUMPAGES", "1")

    # --- blocks ----------------------------------------------------------------------------------------

    def block(self, block: model.Block, scope: _Scope) -> None:
        """Render one block, or say which kind of block the DOCX backend cannot render."""
        handler = self._block_handlers.get(type(block))
        if handler is None:
            raise RenderError(f"the DOCX backend cannot render a {type(block).__name__} block; "
                              f"it renders {', '.join(t.__name__ for t in self._block_handlers)}")
        handler(block, scope)

    def _paragraph(self, block: model.Paragraph, scope: _Scope) -> None:
        self._inlines(self._new_paragraph(scope.paragraph_style), block.content)

    def _heading(self, block: model.Heading, scope: _Scope) -> None:
        self._inlines(self._new_paragraph(self.style_ids[f"Heading {block.level}"]), block.content)

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
            handler = self._inline_handlers.get(type(node))
            if handler is None:
                raise RenderError(f"the DOCX backend cannot render a {type(node).__name__} inline; "
                                  f"it renders {', '.join(t.__name__ for t in self._inline_handlers)}")
            handler(node, parent, marks)

    def _text(self, node: model.Text, parent: Any, marks: tuple[str, ...]) -> None:
        self._run(parent, node.text, marks)

    def _marked(self, style: str) -> Callable[[model.Emphasis | model.Strong, Any, tuple[str, ...]], None]:
        def visit(node: model.Emphasis | model.Strong, parent: Any, marks: tuple[str, ...]) -> None:
            self._inlines(parent, node.content, (*marks, style))
        return visit

    def _code(self, node: model.Code, parent: Any, marks: tuple[str, ...]) -> None:
        self._run(parent, node.text, (*marks, "Verbatim Char"))

    def _link(self, node: model.Link, parent: Any, marks: tuple[str, ...]) -> None:
        if parent.tag == W_HYPERLINK:
            raise RenderError(f"a link to {node.url!r} sits inside another link; Word cannot nest hyperlinks")
        link = etree.SubElement(parent, W_HYPERLINK)
        link.set(R_ID, self.document.part.relate_to(node.url, RT.HYPERLINK, is_external=True))
        if node.title:
            link.set(qn("w:tooltip"), node.title)
        link.set(qn("w:history"), "1")
        self._inlines(link, node.content, (*marks, "Hyperlink"))

    def _line_break(self, node: model.LineBreak, parent: Any, marks: tuple[str, ...]) -> None:
        etree.SubElement(etree.SubElement(parent, W_R), W_BR)

    def _run(self, parent: Any, text: str, marks: tuple[str, ...]) -> None:
        """A w:r in the character style for `marks`; tabs become w:tab and newlines w:br, as in python-docx."""
        run = etree.SubElement(parent, W_R)
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
                    t = etree.SubElement(run, W_T)
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


def _define_styles(document: Document, theme: Theme, language: str) -> dict[str, str]:
    """Restyle the template's built-in styles and add ours from the theme; the style ids by name."""
    styles = document.styles
    normal = styles["Normal"]
    for name in OWN_PARAGRAPH_STYLES:
        style = styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
        style.base_style = normal
        style.next_paragraph_style = normal
        style.quick_style = True
    if "Hyperlink" not in styles:  # the default template lacks it; Word knows it as built-in
        hyperlink = styles.add_style("Hyperlink", WD_STYLE_TYPE.CHARACTER, builtin=True)
        hyperlink.base_style = styles["Default Paragraph Font"]
        hyperlink.unhide_when_used = True
    if "Verbatim Char" not in styles:
        verbatim = styles.add_style("Verbatim Char", WD_STYLE_TYPE.CHARACTER)
        verbatim.base_style = styles["Default Paragraph Font"]
        verbatim.quick_style = True
    looks = paragraph_looks(theme)
    for name, look in looks.items():
        _apply_look(styles[name], look)
    for name, character_look in CHARACTER_LOOKS.items():
        _apply_look(styles[name], character_look(theme))
    subtitle_numbering = styles["Subtitle"].element.pPr  # the template's Subtitle carries a stray w:numPr
    if subtitle_numbering is not None and subtitle_numbering.numPr is not None:
        subtitle_numbering.remove(subtitle_numbering.numPr)
    _set_language(normal.element.get_or_add_rPr(), language)
    _set_document_defaults(styles.element, theme.fonts.body[0], language)
    for border in styles["Table Grid"].element.iterfind(f"{qn('w:tblPr')}/{qn('w:tblBorders')}/*"):
        border.set(qn("w:color"), theme.colors.rule[1:].upper())
    names = [*looks, *CHARACTER_LOOKS, "Table Grid", "List Continue", "List Continue 2", "List Continue 3",
             *(_list_style(ordered, level) for ordered in (False, True) for level in range(1, LIST_LEVELS + 1))]
    return {name: styles[name].style_id for name in names}


def _apply_look(style: CharacterStyle, look: Look) -> None:
    """Set a style's font and paragraph properties from a Look, leaving what it does not name."""
    if look.border_bottom or look.border_left:  # borders first: later properties then land in schema order
        _set_border(style, look.border_bottom, look.border_left)
    font = style.font
    if look.font is not None:
        font.name = look.font
        fonts = style.element.rPr.rFonts
        fonts.set(qn("w:cs"), look.font)
        for theme_attribute in ("w:asciiTheme", "w:hAnsiTheme", "w:cstheme"):  # theme fonts would win over ours
            fonts.attrib.pop(qn(theme_attribute), None)
    if look.size is not None:  # complex scripts (Arabic, Urdu, Hebrew) get the same size, weight and slant
        font.size = Pt(look.size)
        size = style.element.rPr.sz
        cs_size = size.getnext()
        if cs_size is None or cs_size.tag != qn("w:szCs"):
            cs_size = etree.Element(qn("w:szCs"))
            size.addnext(cs_size)
        cs_size.set(W_VAL, size.get(W_VAL))
    if look.color is not None:
        font.color.rgb = RGBColor.from_string(look.color[1:])
    if look.bold is not None:
        font.bold = font.cs_bold = look.bold
    if look.italic is not None:
        font.italic = font.cs_italic = look.italic
    if look.underline is not None:
        font.underline = look.underline
    if not isinstance(style, ParagraphStyle):
        return
    fmt = style.paragraph_format
    if look.space_before is not None:
        fmt.space_before = Pt(look.space_before)
    if look.space_after is not None:
        fmt.space_after = Pt(look.space_after)
    if look.line_spacing is not None:
        fmt.line_spacing = look.line_spacing
    if look.keep_with_next is not None:
        fmt.keep_with_next = look.keep_with_next
    if look.keep_together is not None:
        fmt.keep_together = look.keep_together
    if look.alignment is not None:
        fmt.alignment = ALIGN[look.alignment]
    if look.left_indent is not None:
        fmt.left_indent = Mm(look.left_indent)


def _set_border(style: CharacterStyle, bottom: str | None, left: str | None) -> None:
    """A paragraph border in a style's pPr (replacing the template's), as a thin single line."""
    ppr = style.element.get_or_add_pPr()
    old = ppr.find(qn("w:pBdr"))
    borders = etree.Element(qn("w:pBdr"))
    for side, color, space in (("w:left", left, "8"), ("w:bottom", bottom, "4")):
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
    """The w:lang of a run-properties element (spell checking and hyphenation follow it)."""
    lang = rpr.find(qn("w:lang"))
    if lang is None:
        lang = etree.Element(qn("w:lang"))
        rpr.insert_element_before(lang, "w:eastAsianLayout", "w:specVanish", "w:oMath")
    lang.set(W_VAL, language)


def _set_document_defaults(styles_element: Any, font: str, language: str) -> None:
    """The template's document defaults name theme fonts and en-US; give them the body font and the language."""
    rpr = styles_element.find(f"{qn('w:docDefaults')}/{qn('w:rPrDefault')}/{qn('w:rPr')}")
    if rpr is None:
        return
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is not None:
        for attribute in ("w:asciiTheme", "w:hAnsiTheme", "w:cstheme"):
            fonts.attrib.pop(qn(attribute), None)
        for attribute in ("w:ascii", "w:hAnsi", "w:cs"):
            fonts.set(qn(attribute), font)
    _set_language(rpr, language)


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
    fallback = _source_date_epoch()
    created = _utc(meta.published or meta.updated) or fallback
    modified = _utc(meta.updated or meta.published) or fallback
    return created, modified


def _utc(value: model.Date | None) -> dt.datetime | None:
    if value is None:
        return None
    if not isinstance(value, dt.datetime):
        return dt.datetime(value.year, value.month, value.day)
    if value.tzinfo is None:
        return value
    return value.astimezone(dt.UTC).replace(tzinfo=None)


def _source_date_epoch() -> dt.datetime:
    raw = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if not raw:
        return dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)
    try:
        return dt.datetime.fromtimestamp(int(raw), dt.UTC).replace(tzinfo=None)
    except (ValueError, OverflowError, OSError):
        raise RenderError(f"SOURCE_DATE_EPOCH={raw!r} is not a number of seconds since 1970") from None


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
    package = document.part.package
    if package is not None:  # the template's thumbnail shows another document
        for r_id, rel in list(package.rels.items()):
            if rel.reltype == RT.THUMBNAIL:
                del package.rels[r_id]


def _limited(text: str) -> str:
    """A core property within python-docx's 255-character limit (the body keeps the full text)."""
    return text if len(text) <= CORE_PROPERTY_LIMIT else text[: CORE_PROPERTY_LIMIT - 1] + "…"


def _with_fixed_times(data: bytes, when: dt.datetime) -> bytes:
    """The same package with every ZIP entry dated `when`, so the same article gives the same bytes."""
    stamp = max(when, dt.datetime(1980, 1, 1)).timetuple()[:6]
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=stamp)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o644 << 16
            target.writestr(entry, source.read(info))
    return out.getvalue()
