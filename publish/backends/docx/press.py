"""A press release in Word: the embargo banner in every page header, the end mark, the notes to editors and media
contacts after the story, corrections at the foot, and the embargo and corrections among the document's
properties. Every word comes from publish.present, in the article's language."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from docx.document import Document
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from lxml import etree  # type: ignore[import-untyped, unused-ignore]

from publish import model, present
from publish.backends.docx import package
from publish.backends.docx.oxml import W_BR, child, new_run
from publish.model.text import direction as text_direction
from publish.present.theme import Theme

if TYPE_CHECKING:
    from publish.backends.docx.writer import Writer


def _latest_embargo(articles: tuple[model.Article, ...]) -> model.Meta | None:
    """The metadata of the article whose embargo lifts last, or None without an embargo."""
    embargoed = [a.meta for a in articles if a.meta.embargo is not None]
    if not embargoed:
        return None
    return max(embargoed, key=lambda meta: meta.embargo or dt.datetime.min.replace(tzinfo=dt.UTC))


def write_embargo_header(writer: Writer, articles: tuple[model.Article, ...]) -> None:
    """The embargo banner on every page's header, the first page's included, above what the header holds; in a
    packet, the banner of the embargo that lifts last."""
    latest = _latest_embargo(articles)
    if latest is None:
        return
    banner = present.article(latest, writer.theme).press.embargo
    section = writer.document.sections[0]
    headers = [section.header, section.first_page_header]
    if writer.document.settings.odd_and_even_pages_header_footer:
        headers.append(section.even_page_header)
    for header in headers:
        first = header.paragraphs[0]._p
        p = first.makeelement(first.tag, {})
        first.addprevious(p)
        writer.style(p, writer.style_ids["Embargo"])
        writer.run(p, banner, ())


def write_release(writer: Writer, meta: model.Meta) -> None:
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
    comma = present.label_table(meta.language, writer.theme).comma
    # in right-to-left text a phone number's groups and an address would be reordered: embed them left to right
    embed = ("\u202a", "\u202c") if text_direction(meta.language) == "rtl" else ("", "")
    for contact in meta.contacts:
        p = writer.new_paragraph(writer.style_ids["Contact"])
        writer.run(p, contact.name, ("Strong",))
        if contact.role:
            writer.run(p, comma + contact.role, ())
        for line in (contact.phone, contact.email):
            if line:
                child(new_run(p), W_BR)
                writer.run(p, embed[0] + line + embed[1], ())


def write_corrections(writer: Writer, meta: model.Meta) -> None:
    """Each correction at the foot: its label with the date in bold, then its text."""
    for line in present.article(meta, writer.theme).press.corrections:
        p = writer.new_paragraph(writer.style_ids["Correction"])
        writer.run(p, line.label, ("Strong",))
        writer.run(p, " " + line.text, ())


def set_properties(document: Document, articles: tuple[model.Article, ...], theme: Theme) -> None:
    """The embargo banner (the latest embargo's, for a packet) as the document's content status, and every
    correction as a custom document property ("Correction 1": its date, then its text), which Word shows under
    File > Properties."""
    latest = _latest_embargo(articles)
    if latest is not None:
        document.core_properties.content_status = package.limited(present.article(latest, theme).press.embargo)
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
    owner = document.part.package
    assert owner is not None
    part = Part(PackURI("/docProps/custom.xml"),
                "application/vnd.openxmlformats-officedocument.custom-properties+xml", blob, owner)
    owner.relate_to(part, RT.CUSTOM_PROPERTIES)
