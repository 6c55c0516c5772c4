"""Right-to-left text in the DOCX backend: paragraphs, tables and sections of a right-to-left language, and runs
split where the script changes direction; and the "First Paragraph" style of book-style indented themes."""

from __future__ import annotations

import copy
import re
import unicodedata
from typing import Any

from docx.document import Document
from docx.oxml.ns import qn
from lxml import etree  # type: ignore[import-untyped, unused-ignore]

from publish.backends.docx.oxml import W_P, W_PPR, W_PSTYLE, W_R, W_RPR, W_T, W_VAL, XML_SPACE, set_flag, set_style
from publish.text import direction as text_direction
from publish.theme import Theme


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
                set_flag(ppr, "w:bidi", True)
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
                set_style(block, first)
            else:
                style.set(W_VAL, first)
            style_id = first
        previous = style_id


def _split_by_direction(run: Any, embedding: str) -> None:
    """Split a run whose text mixes right-to-left and left-to-right script into runs of one direction each; the
    right-to-left ones get w:rtl. Neutral characters (spaces, punctuation, digits) go with their neighbours when
    both run the same way, else with the paragraph's direction, as the Unicode bidi algorithm resolves them."""
    texts = run.findall(W_T)
    if not any(holds_right_to_left(t.text or "") for t in texts):
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


def holds_right_to_left(value: str) -> bool:
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
