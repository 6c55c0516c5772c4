"""The DOCX writer: an article's blocks and inlines as paragraphs and runs in the named styles, with bookmarks,
hyperlinks, lists that restart, figures, tables, tracked changes and comments; a packet's title page and contents."""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import cast

from docx.document import Document
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.text import WD_PARAGRAPH_ALIGNMENT
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.oxml.ns import qn
from docx.oxml.numbering import CT_Num, CT_NumLvl
from docx.oxml.shape import CT_Inline
from docx.oxml.shared import CT_DecimalNumber, CT_String
from docx.oxml.table import CT_Tbl
from docx.oxml.text.font import CT_RPr
from docx.oxml.text.hyperlink import CT_Hyperlink
from docx.oxml.text.paragraph import CT_P
from docx.oxml.text.parfmt import CT_Jc
from docx.oxml.text.run import CT_R, CT_Text
from docx.oxml.xmlchemy import BaseOxmlElement
from docx.shared import Emu, Mm

from publish import model, present
from publish.backends import RenderContext, cannot_render
from publish.backends.docx import bidi, package, press
from publish.backends.docx.oxml import (
    W_BIDI,
    W_BOOKMARK_END,
    W_BOOKMARK_START,
    W_BR,
    W_COMMENT_RANGE_END,
    W_COMMENT_RANGE_START,
    W_COMMENT_REFERENCE,
    W_DEL,
    W_DELTEXT,
    W_DRAWING,
    W_FLDCHAR,
    W_HYPERLINK,
    W_ILVL,
    W_INS,
    W_INSTRTEXT,
    W_JC,
    W_NUMID,
    W_NUMPR,
    W_P,
    W_PPR,
    W_PSTYLE,
    W_RPR,
    W_RSTYLE,
    W_T,
    W_TAB,
    W_VAL,
    CT_Bookmark,
    CT_FldChar,
    CT_Markup,
    CT_PPr,
    CT_RunTrackChange,
    CT_SectPr,
    child,
    new_run,
    new_text,
)
from publish.backends.docx.styles import (
    CHARACTER_LOOKS,
    LIST_LEVELS,
    abstract_num_id,
    apply_look,
    list_style,
    styled_document,
)
from publish.errors import RenderError
from publish.model import links
from publish.model.text import direction as text_direction
from publish.model.text import lede_has_dateline, plain
from publish.present import quotes

EMU_PER_PIXEL = 9525  # at 96 pixels to the inch, the size a browser gives an image without a width
MAX_FIGURE_HEIGHT = 0.7
"""The tallest a figure's image may be, as a share of the text block's height (leaving room for the caption and
credit on a small page); on a larger page, no taller than the PDF sets it (`present.SPACING.figure_height_mm`), so
that a figure which does not fit below the text leaves no more than that gap when it moves to the next page."""
TOC_FIELD = 'TOC \\h \\z \\t "Section Heading,1,Heading 1,2"'
"""Contents: section headings at level 1, article headlines (Heading 1 in a packet) at level 2."""
PAGE_PLACEHOLDER = "999"
"""Stands where a contents entry's page number goes while LibreOffice lays the packet out: as wide as any real
number, so no entry wraps later than it did in that layout."""


@dataclass(frozen=True, slots=True)
class ContentsEntry:
    """One line of a packet's contents: the bookmark it points at, and its page number's tab and text (None when
    no page number is to be computed)."""

    target: str
    """The bookmark on the section heading or headline (letters and digits: a PDF destination keeps it as is)."""
    number: CT_Text | None = None
    """The w:t holding the page number."""
    number_runs: tuple[CT_R, ...] = ()
    """The runs of the tab before the page number and of the number (removed when no layout gives numbers)."""


@dataclass(frozen=True, slots=True)
class _Scope:
    """Where a block sits: the style a plain paragraph takes there, and how deep in lists it is."""

    paragraph_style: str
    """The style id of a body paragraph here (Normal, Quote, List Continue)."""
    list_depth: int = 0
    """0 outside lists, 1 inside a top-level list item, and so on."""


class Writer:
    """Appends an article's blocks to a python-docx Document as w:p elements in named styles."""

    def __init__(self, context: RenderContext, language: str, *, packet: bool = False) -> None:
        self.theme = context.theme
        self.language = language
        self.resources = context.resources
        self.document: Document
        self.document, self.style_ids = styled_document(self.theme, language, packet=packet)
        self.top = _Scope(self.style_ids["Normal"])
        self.right_to_left = text_direction(language) == "rtl"
        """Every paragraph, table and the section run right to left (w:bidi), as the language is written."""
        self._embedding = "R" if self.right_to_left else "L"
        self._body = self.document.element.body
        end = self._body.sectPr  # every block goes before the section properties, which stay last
        assert end is not None
        self._end = end
        if self.right_to_left:
            cast(CT_SectPr, end).get_or_add_bidi()
        self._normal, self._first = self.style_ids["Normal"], self.style_ids["First Paragraph"]
        self._first_paragraphs = self.theme.typography.paragraph_style == "indented"
        """Book-style indented paragraphs: a body paragraph that follows no other takes "First Paragraph" (no
        indent), as in Pandoc."""
        self._previous_style: str | None = None
        """The style of the last paragraph added to the body (None after a table or before any)."""
        self._numbering = self.document.part.numbering_part.element
        self._last_num_id = max((num.numId for num in self._numbering.num_lst), default=0)
        self._list_abstract = {level: abstract_num_id(self.document, self.style_ids[list_style(True, level)])
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
        self.entries: list[ContentsEntry] = []
        """A packet's contents entries, in order."""
        page = self.theme.page
        self._text_width = Mm(page.width_mm - page.margin_inner - page.margin_outer)
        self._max_figure_height = Mm(min((page.height_mm - page.margin_top - page.margin_bottom) * MAX_FIGURE_HEIGHT,
                                         present.SPACING.figure_height_mm))
        self._change: tuple[str, str, str] | None = None
        """The tracked change (w:ins or w:del, author, date) the runs being written belong to."""
        self._revision = 100_000  # revision ids apart from comment ids (0, 1, 2...): Word wants them unique
        self._comment_threads: list[tuple[BaseOxmlElement, int | None, bool]] = []
        """(w:comment element, parent comment's id or None, resolved) for commentsExtended.xml."""

    def article(self, article: model.Article, article_id: str, headline_style: str = "Title",
                contents_target: str = "") -> None:
        """One article, alone or in a packet: its title block, its body, then the link to the original story and
        the rights; `contents_target` is the bookmark a packet's contents entry links to. A theme with smart quotes
        writes a copy with curly quotes in the article's language, as the HTML, PDF and EPUB show it."""
        article = self.shown(article)
        self.start_article(article, article_id)
        self.front_matter(article, headline_style, contents_target)
        for block in article.blocks:
            self.block(block, self.top)
        press.write_release(self, article.meta)
        self.article_footer(article.meta)

    def shown(self, article: model.Article) -> model.Article:
        """The article as it is printed: with the theme's smart quotes, a copy with curly quotes (`quotes.curled`)."""
        return quotes.curled(article) if self.theme.typography.smart_quotes else article

    def new_shape_id(self) -> int:
        """A new id for a drawing (figure, inline picture, logo), unique in the document."""
        self._shape_id += 1
        return self._shape_id

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
        under_section = self._previous_style == self.style_ids.get("Section Heading")
        for style, text in ((headline_style, meta.headline), ("Subtitle", meta.dek),
                            ("Byline", furniture.byline), ("Dateline", furniture.dateline_text)):
            if text:
                p = self.paragraph(style, text)
                if style == headline_style and under_section:  # a section's first article shares its title's page
                    cast(CT_PPr, p.get_or_add_pPr()).pageBreakBefore_val = False
                if style == headline_style:
                    self.bookmark(p, f"{self.article_id}-headline")
                    if contents_target:
                        self.bookmark(p, contents_target)

    def paragraph(self, style: str, text: str) -> CT_P:
        """A paragraph of plain text in a named style."""
        p = self.new_paragraph(self.style_ids[style])
        self.run(p, text, ())
        return p

    def bookmark(self, p: CT_P, anchor: str) -> None:
        """Mark a paragraph's content as the target of internal links to `anchor` (a heading id as in HTML)."""
        self._bookmark_id += 1
        start = cast(CT_Bookmark, p.makeelement(W_BOOKMARK_START))
        start.id = self._bookmark_id
        start.name = bookmark_name(anchor)
        if p.pPr is not None:
            p.pPr.addnext(start)
        else:
            p.insert(0, start)
        cast(CT_Bookmark, child(p, W_BOOKMARK_END)).id = self._bookmark_id

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
        rights. The foot stays on the page of the story's last paragraph: none stands alone on a page."""
        last = self._end.getprevious()
        press.write_corrections(self, meta)
        href = links.safe_href(meta.url) if meta.url else ""
        if href:
            p = self.new_paragraph(self.style_ids["Original Link"])
            self.run(p, present.article(meta, self.theme).original + " ", ())
            link = cast(CT_Hyperlink, child(p, W_HYPERLINK))
            link.rId = self.document.part.relate_to(href, RT.HYPERLINK, is_external=True)
            link.set(qn("w:history"), "1")  # written out: python-docx leaves its default ("on") unwritten
            self.run(link, meta.url, ("Hyperlink",))
        if meta.rights:
            self.paragraph("Rights", meta.rights)
        foot = [last] if last is not None else []
        while foot and (following := foot[-1].getnext()) is not self._end:
            foot.append(following)
        for p in foot[:-1]:
            if isinstance(p, CT_P):
                cast(CT_PPr, p.get_or_add_pPr()).keepNext_val = True

    def contents(self, collection: model.Collection, *, numbered: bool) -> list[ContentsEntry]:
        """A contents page: a TOC field listing sections and headlines, its cached result filled in with the
        entries, each a link to its bookmark; with `numbered`, each ends in a tab and a placeholder for its page
        number (set once the packet is laid out). The entries, in order, to bookmark their targets with."""
        self.paragraph("TOC Heading", present.label_table(collection.language, self.theme).contents)
        lines = [(level, title) for section in collection.sections for level, title in
                 ([(1, section.title)] if section.title else [])
                 + [(2, self.shown(a).meta.headline) for a in section.articles]]
        self.entries = []
        for index, (level, title) in enumerate(lines or [(1, "")]):
            p = self.new_paragraph(self.style_ids[f"toc {level}"])
            if index == 0:
                _field_char(p, "begin")
                new_text(new_run(p), f" {TOC_FIELD} ", W_INSTRTEXT)
                _field_char(p, "separate")
            if not lines:
                continue
            target = f"Contents{index + 1}"
            link = cast(CT_Hyperlink, child(p, W_HYPERLINK))
            link.anchor = target
            link.set(qn("w:history"), "1")
            self.run(link, title, ())
            if numbered:
                tab = new_run(link)
                child(tab, W_TAB)
                number = cast(CT_Text, child(new_run(link), W_T))
                number.text = PAGE_PLACEHOLDER
                self.entries.append(ContentsEntry(target, number, (tab, cast(CT_R, number.getparent()))))
            else:
                self.entries.append(ContentsEntry(target))
        _field_char(p, "end")
        return list(self.entries)


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
        self._inlines(self.new_paragraph(scope.paragraph_style), block.content)

    def _heading(self, block: model.Heading, scope: _Scope) -> None:
        level = min(block.level + self.heading_offset, 6)
        p = self.new_paragraph(self.style_ids[f"Heading {level}"])
        self._inlines(p, block.content)
        self._heading_number += 1
        number = links.heading_id(self._heading_number)
        self.bookmark(p, number if self.article_id == "article" else f"{self.article_id}-{number}")

    def _block_quote(self, block: model.BlockQuote, scope: _Scope) -> None:
        inner = _Scope(self.style_ids["Quote"], scope.list_depth)
        for nested in block.blocks:
            self.block(nested, inner)
        if block.attribution:
            self._inlines(self.new_paragraph(self.style_ids["Quote Attribution"]), block.attribution)

    def _bullet_list(self, block: model.BulletList, scope: _Scope) -> None:
        self._list(block.items, scope, ordered=False, start=1)

    def _ordered_list(self, block: model.OrderedList, scope: _Scope) -> None:
        self._list(block.items, scope, ordered=True, start=block.start)

    def _list(self, items: Sequence[tuple[model.Block, ...]], scope: _Scope, *, ordered: bool, start: int) -> None:
        """Each item's first paragraph carries the marker; its other blocks follow in List Continue."""
        depth = scope.list_depth + 1
        level = min(depth, LIST_LEVELS)
        style = self.style_ids[list_style(ordered, level)]
        num_id = self._restarted_numbering(level, start) if ordered else None
        inner = _Scope(self.style_ids["List Continue" + (f" {level}" if level > 1 else "")], depth)
        for item in items:
            first, rest = (item[0], item[1:]) if item else (None, ())
            if isinstance(first, model.Paragraph):
                self._inlines(self.new_paragraph(style, num_id), first.content)
            else:  # the marker needs a paragraph of its own when the item opens with a list, table or figure
                self.new_paragraph(style, num_id)
                rest = item
            for nested in rest:
                self.block(nested, inner)

    def _restarted_numbering(self, level: int, start: int) -> int:
        """A new w:num on the List Number style's abstract numbering, starting again at `start`."""
        self._last_num_id += 1
        num = cast(CT_Num, child(self._numbering, qn("w:num")))  # the w:num come last
        num.set(qn("w:numId"), str(self._last_num_id))  # python-docx's numbering attributes are not typed
        cast(CT_DecimalNumber, child(num, qn("w:abstractNumId"))).val = self._list_abstract[level]
        override = cast(CT_NumLvl, child(num, qn("w:lvlOverride")))
        override.set(qn("w:ilvl"), "0")
        cast(CT_DecimalNumber, child(override, qn("w:startOverride"))).val = start
        return self._last_num_id

    def _code_block(self, block: model.CodeBlock, scope: _Scope) -> None:
        self.run(self.new_paragraph(self.style_ids["Source Code"]), block.text, ())

    def _figure(self, block: model.Figure, scope: _Scope) -> None:
        image = self.resources.image(block.src)
        width = min(image.width * EMU_PER_PIXEL, self._text_width)
        height = width * image.height // image.width
        if height > self._max_figure_height:
            height = self._max_figure_height
            width = height * image.width // image.height
        r_id, _ = self.document.part.get_or_add_image(io.BytesIO(image.data))
        inline = CT_Inline.new_pic_inline(self.new_shape_id(), r_id, image.file_name, Emu(width), Emu(height))
        inline.docPr.set("descr", block.alt)
        caption = plain(block.caption)
        if caption:
            inline.docPr.set("title", caption)
        child(new_run(self.new_paragraph(self.style_ids["Figure"])), W_DRAWING).append(inline)
        if block.caption:
            self._inlines(self.new_paragraph(self.style_ids["Caption"]), block.caption)
        if block.credit:
            self.run(self.new_paragraph(self.style_ids["Image Credit"]), block.credit, ())

    def _table(self, block: model.Table, scope: _Scope) -> None:
        if not block.header:
            raise RenderError("the DOCX backend cannot render a table without columns")
        if block.caption:
            self._inlines(self.new_paragraph(self.style_ids["Caption"]), block.caption)
        table = CT_Tbl.new_tbl(1 + len(block.rows), len(block.header), self._text_width)  # as add_table makes it
        table.tblStyle_val = self.style_ids["Table Grid"]
        if self.right_to_left:
            table.tblPr.get_or_add_bidiVisual()
        rows = table.tr_lst
        child(rows[0].get_or_add_trPr(), qn("w:tblHeader"))  # repeats on each page
        align = block.align or ("",) * len(block.header)
        for index, (row, cells) in enumerate(zip(rows, (block.header, *block.rows), strict=True)):
            style = self.style_ids["Table Heading" if index == 0 else "Table Contents"]
            for cell, content, alignment in zip(row.tc_lst, cells, align, strict=True):
                p = cell.p_lst[0]
                self.style(p, style, alignment)
                self._inlines(p, content)
        self._end.addprevious(table)
        self._previous_style = None
        self.new_paragraph(self.style_ids["After Table"])

    def _rule(self, block: model.Rule, scope: _Scope) -> None:
        self.new_paragraph(self.style_ids["Horizontal Rule"])

    def new_paragraph(self, style_id: str, num_id: int | None = None) -> CT_P:
        """An empty w:p in a style (and a list's numbering), placed after the blocks so far; with indented
        paragraphs, a body paragraph that follows no other is a first paragraph."""
        if self._first_paragraphs and style_id == self._normal and self._previous_style not in (self._normal,
                                                                                              self._first):
            style_id = self._first
        self._previous_style = style_id
        p = cast(CT_P, self._body.makeelement(W_P))
        self._end.addprevious(p)
        self._properties(p, style_id, "", num_id)
        return p

    def style(self, p: CT_P, style_id: str, alignment: str = "", num_id: int | None = None) -> None:
        """Give a w:p its paragraph style, optionally a list numbering and an alignment, and the direction of the
        language (python-docx's header and footer paragraphs come with properties; these replace them). The
        properties are made in schema order, so none has to look for its place."""
        if p.pPr is not None:
            p.remove(p.pPr)
        self._properties(p, style_id, alignment, num_id)

    def _properties(self, p: CT_P, style_id: str, alignment: str, num_id: int | None) -> None:
        """A new w:pPr, first in a paragraph that has none."""
        ppr = cast(CT_PPr, p.makeelement(W_PPR))
        p.insert(0, ppr)
        child(ppr, W_PSTYLE).set(W_VAL, style_id)  # (set, not python-docx's typed setter: 4 times as fast)
        if num_id is not None:
            numbering = child(ppr, W_NUMPR)
            child(numbering, W_ILVL).set(W_VAL, "0")
            child(numbering, W_NUMID).set(W_VAL, str(num_id))
        if self.right_to_left:
            child(ppr, W_BIDI)
        if alignment:
            cast(CT_Jc, child(ppr, W_JC)).val = WD_PARAGRAPH_ALIGNMENT.from_xml(alignment)

    def _inlines(self, parent: BaseOxmlElement, inlines: Sequence[model.Inline], marks: tuple[str, ...] = ()) -> None:
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

    def _text(self, node: model.Text, parent: BaseOxmlElement, marks: tuple[str, ...]) -> None:
        self.run(parent, node.text, marks)

    def _code(self, node: model.Code, parent: BaseOxmlElement, marks: tuple[str, ...]) -> None:
        self.run(parent, node.text, (*marks, "Verbatim Char"))

    def _link(self, node: model.Link, parent: BaseOxmlElement, marks: tuple[str, ...]) -> None:
        if isinstance(parent, CT_Hyperlink):
            raise RenderError(f"a link to {node.url!r} sits inside another link; Word cannot nest hyperlinks")
        href = self.targets.href(node.url, article_id=self.article_id, packaged=True)
        if not href:  # javascript:, a heading that is not there: the words stay, the link does not (as in the HTML)
            self._inlines(parent, node.content, marks)
            return
        link = cast(CT_Hyperlink, child(parent, W_HYPERLINK))
        if href.startswith("#"):  # a heading of the article: its bookmark
            link.anchor = bookmark_name(href[1:])
        else:
            link.rId = self.document.part.relate_to(href, RT.HYPERLINK, is_external=True)
        if node.title:
            link.set(qn("w:tooltip"), node.title)
        link.set(qn("w:history"), "1")
        shown = plain(node.content)
        if links.is_address(shown) and shown[:7].lower() == "mailto:":  # the address itself, as the HTML prints it
            self.run(link, shown[7:], (*marks, "Hyperlink"))
            return
        self._inlines(link, node.content, (*marks, "Hyperlink"))

    def _line_break(self, node: model.LineBreak, parent: BaseOxmlElement, marks: tuple[str, ...]) -> None:
        child(self._new_run(parent), W_BR)

    def _tracked(self, node: model.Insertion | model.Deletion, parent: BaseOxmlElement, marks: tuple[str, ...]) -> None:
        """A pending tracked change: its runs inside w:ins or w:del (deleted text as w:delText), with author and
        date, so Word shows it as an unaccepted change."""
        outer = self._change
        self._change = (W_INS if isinstance(node, model.Insertion) else W_DEL, node.author, node.date)
        self._inlines(parent, node.content, marks)
        self._change = outer

    def _new_run(self, parent: BaseOxmlElement) -> CT_R:
        """A w:r at the end of `parent`, inside the current tracked change's w:ins or w:del when there is one."""
        if self._change is not None:
            tag, author, date = self._change
            last = parent[-1] if len(parent) else None
            if not isinstance(last, CT_RunTrackChange) or last.tag != tag or last.author != (author or "Unknown") \
                    or (last.date or "") != date:
                self._revision += 1
                last = cast(CT_RunTrackChange, child(parent, tag))
                last.id = self._revision
                last.author = author or "Unknown"
                if date:
                    last.date = date
            parent = last
        return new_run(parent)

    def _comment(self, node: model.Comment, parent: BaseOxmlElement, marks: tuple[str, ...]) -> None:
        """A comment: range marks around the text it covers, the reference after it, the comment and its replies
        in the comments part (replies and resolved state in commentsExtended.xml, as Word 2013 and later write)."""
        ids = [self._add_comment(node.text, node.author, node.initials, node.date, None, node.resolved)]
        for reply in node.replies:
            ids.append(self._add_comment(reply.text, reply.author, reply.initials, reply.date, ids[0], node.resolved))
        for comment_id in ids:
            cast(CT_Markup, child(parent, W_COMMENT_RANGE_START)).id = comment_id
        self._inlines(parent, node.content, marks)
        for comment_id in ids:
            cast(CT_Markup, child(parent, W_COMMENT_RANGE_END)).id = comment_id
        for comment_id in ids:
            run = new_run(parent)
            cast(CT_String, child(child(run, W_RPR), W_RSTYLE)).val = "CommentReference"
            cast(CT_Markup, child(run, W_COMMENT_REFERENCE)).id = comment_id

    def _add_comment(self, text: str, author: str, initials: str, date: str, parent_id: int | None,
                     resolved: bool) -> int:
        comment = self.document.comments.add_comment(text=text, author=author or "Unknown", initials=initials)
        element = comment._comment_elm
        if date:
            element.set(qn("w:date"), date)
        else:  # python-docx stamps "now"; a comment without a date keeps none, so builds stay reproducible
            element.attrib.pop(qn("w:date"), None)
        self._comment_threads.append((element, parent_id, resolved))
        return comment.comment_id

    def comment_threads(self) -> None:
        """commentsExtended.xml for the comments written so far (nothing when there are none)."""
        package.add_comments_extended(self.document, self._comment_threads)

    def _image(self, node: model.Image, parent: BaseOxmlElement, marks: tuple[str, ...]) -> None:
        """An inline picture at its pixel size (96 to the inch), no wider than the text; from the web, its alt text."""
        if links.is_remote(node.src):
            if node.alt:
                self.run(parent, node.alt, marks)
            return
        image = self.resources.image(node.src)
        width = min(image.width * EMU_PER_PIXEL, self._text_width)
        height = max(1, width * image.height // image.width)
        r_id, _ = self.document.part.get_or_add_image(io.BytesIO(image.data))
        inline = CT_Inline.new_pic_inline(self.new_shape_id(), r_id, image.file_name, Emu(width), Emu(height))
        inline.docPr.set("descr", node.alt)
        if node.title:
            inline.docPr.set("title", node.title)
        child(new_run(parent), W_DRAWING).append(inline)

    def run(self, parent: BaseOxmlElement, text: str, marks: tuple[str, ...]) -> None:
        """Runs in the character style for `marks`: one, or one per direction where right-to-left script meets
        left-to-right (the right-to-left ones marked w:rtl, so they take the complex-script font); tabs become w:tab
        and newlines w:br, as in python-docx."""
        deleted = self._change is not None and self._change[0] == W_DEL
        style_id = self._character_style(marks)
        try:
            for right_to_left, pieces in bidi.direction_groups(text, self._embedding, split=not deleted):
                run = self._new_run(parent)
                if style_id is not None or right_to_left:
                    properties = cast(CT_RPr, child(run, W_RPR))
                    if style_id is not None:
                        child(properties, W_RSTYLE).set(W_VAL, style_id)
                    if right_to_left:
                        properties.get_or_add_rtl()
                for piece in pieces:
                    if piece == "\t":
                        child(run, W_TAB)
                    elif piece == "\n":
                        child(run, W_BR)
                    else:
                        new_text(run, piece, W_DELTEXT if deleted else W_T)
        except ValueError:  # lxml refuses control characters, which XML cannot hold
            raise RenderError(f"text {text[:60]!r} holds a control character a Word document cannot contain") from None

    def field(self, parent: BaseOxmlElement, instruction: str, placeholder: str) -> None:
        """A complex field (PAGE, NUMPAGES) that Word computes; `placeholder` shows until it does."""
        _field_char(parent, "begin")
        new_text(new_run(parent), f" {instruction} ", W_INSTRTEXT)
        _field_char(parent, "separate")
        cast(CT_Text, child(new_run(parent), W_T)).text = placeholder
        _field_char(parent, "end")

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
                apply_look(style, CHARACTER_LOOKS[name](self.theme, self.language))
            style_id = style.style_id
        self._character_ids[marks] = self._character_ids[names] = style_id
        return style_id


def bookmark_name(anchor: str) -> str:
    """A Word bookmark name for a heading id: letters, digits and underscores, at most 40 characters."""
    return re.sub(r"[^A-Za-z0-9_]", "_", anchor)[:40]


def _field_char(parent: BaseOxmlElement, kind: str) -> None:
    """A run holding a complex field's begin, separate or end mark."""
    cast(CT_FldChar, child(new_run(parent), W_FLDCHAR)).fldCharType = kind
