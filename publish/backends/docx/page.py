"""The DOCX page: size and margins, the first page's letterhead, running heads and footers with page numbers,
each placed where the theme says (and mirrored on facing pages)."""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, cast

from docx.oxml.ns import qn
from docx.oxml.shape import CT_Inline
from docx.oxml.text.paragraph import CT_P
from docx.section import _Header
from docx.shared import Emu, Mm
from lxml import etree  # type: ignore[import-untyped, unused-ignore]

from publish import present
from publish.backends.docx.oxml import W_DRAWING, W_TAB, CT_PPr, child, new_run
from publish.present import SPACING

if TYPE_CHECKING:
    from publish.backends.docx.writer import Writer


def set_up(writer: Writer, heads: dict[str, str], *, cover: bool = False) -> None:
    """Page size and margins; on the first page the letterhead (or nothing above the headline), from the second
    the running head; page numbers and the theme's footer text, each where the theme places it. `heads` holds
    what the running head may show (headline, source) and the letterhead's date. A packet's first page is its
    `cover`: no page number there."""
    page = writer.theme.page
    section = writer.document.sections[0]
    section.page_width, section.page_height = Mm(page.width_mm), Mm(page.height_mm)
    section.top_margin, section.bottom_margin = Mm(page.margin_top), Mm(page.margin_bottom)
    section.left_margin, section.right_margin = Mm(page.margin_inner), Mm(page.margin_outer)
    section.header_distance, section.footer_distance = Mm(page.margin_top / 2), Mm(page.margin_bottom / 2)
    settings = writer.document.settings.element
    zoom = settings.find(qn("w:zoom"))
    mirror = etree.Element(qn("w:mirrorMargins"))  # inner and outer swap on facing pages
    if zoom is not None:
        zoom.addnext(mirror)
    else:
        settings.insert(0, mirror)
    if writer.theme.typography.hyphenate:  # Word hyphenates by each run's language; headings suppress it
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
        writer.document.settings.odd_and_even_pages_header_footer = True
        sides.append(("even", section.even_page_header, section.even_page_footer))
    folio = present.label_table(writer.language, writer.theme).page_parts(page.folio)
    footer_at = "center" if page.folio_position == "outside" else "end" if page.folio_position == "start" \
        else "start"
    running_head = heads.get(page.running_head, "")
    for side, header, footer in sides:
        if running_head:
            _page_line(writer, header.paragraphs[0]._p, "Header",
                            {_slot(page.running_head_position, side): [running_head]})
        slots: dict[str, list[str]] = {}
        if folio:
            slots[_slot(page.folio_position, side)] = folio
        if page.footer_text:
            slots.setdefault(footer_at, []).append(page.footer_text)
        feet = [footer, section.first_page_footer] if side == "odd" and not cover else [footer]
        for foot in feet:
            if slots:
                _page_line(writer, foot.paragraphs[0]._p, "Footer", slots)
    if writer.theme.brand.letterhead:
        _letterhead(writer, section.first_page_header, heads)
    if writer.right_to_left:  # the heads and feet written, and the empty first-page head, run right to left too
        for story in (section.header, section.footer, section.first_page_header, section.first_page_footer,
                      section.even_page_header, section.even_page_footer):
            if not story.is_linked_to_previous:
                for paragraph in story.paragraphs:
                    cast(CT_PPr, paragraph._p.get_or_add_pPr()).set_bidi(True)


def _page_line(writer: Writer, p: CT_P, style: str, slots: dict[str, list[str]]) -> None:
    """A header or footer line: text at its start, centre and end; "{page}" and "{pages}" become fields."""
    order = [name for name in ("start", "center", "end") if name in slots]
    if len(order) == 1:
        writer.style(p, writer.style_ids[style], {"start": "", "center": "center", "end": "right"}[order[0]])
    else:
        writer.style(p, writer.style_ids[style])
    for name in ("start", "center", "end"):  # the style's tab stops: the centre, then the end of the line
        to_centre = name == "center" and order[-1] != "start"
        if len(order) > 1 and (to_centre or (name == "end" and "end" in slots)):
            child(new_run(p), W_TAB)
        for piece in slots.get(name, []):
            if piece in ("{page}", "{pages}"):
                writer.field(p, "PAGE" if piece == "{page}" else "NUMPAGES", "1")
            else:
                writer.run(p, piece, ())


def _letterhead(writer: Writer, header: _Header, heads: dict[str, str]) -> None:
    """The first page's letterhead: the logo (or the publisher's name) at the start; label and date at the end."""
    brand = writer.theme.brand
    p = header.paragraphs[0]._p
    writer.style(p, writer.style_ids["Letterhead"])
    logo = writer.theme.logo_image()
    publisher = brand.publisher or heads.get("source", "")
    if logo is not None:
        height = Mm(SPACING.letterhead_logo_mm)
        width = height * logo.width // logo.height
        r_id, _ = header.part.get_or_add_image(io.BytesIO(logo.data))
        inline = CT_Inline.new_pic_inline(writer.new_shape_id(), r_id, logo.file_name, Emu(width), Emu(height))
        inline.docPr.set("descr", publisher or heads.get("headline", ""))  # no English word of its own
        child(new_run(p), W_DRAWING).append(inline)
    elif publisher:
        writer.run(p, publisher, ("Letterhead Publisher",))
    label, date = present.letterhead_label(brand.label, writer.language, writer.theme), heads.get("date", "")
    if label or date:
        child(new_run(p), W_TAB)
        if label:
            writer.run(p, label, ("Letterhead Label",))
        if label and date:
            writer.run(p, "  ·  ", ())
        if date:
            writer.run(p, date, ())



def _slot(position: str, side: str) -> str:
    """Where on a header or footer line something placed at `position` goes on an odd or even page."""
    if position == "outside":
        return "end" if side == "odd" else "start"
    return position
