"""WordprocessingML names, qualified once, and the few element helpers every part of the DOCX backend uses."""

from __future__ import annotations

from typing import Any

from docx.oxml.ns import qn
from lxml import etree  # type: ignore[import-untyped, unused-ignore]

W_P, W_PPR, W_PSTYLE, W_JC = qn("w:p"), qn("w:pPr"), qn("w:pStyle"), qn("w:jc")
W_NUMPR, W_ILVL, W_NUMID = qn("w:numPr"), qn("w:ilvl"), qn("w:numId")
W_R, W_RPR, W_RSTYLE = qn("w:r"), qn("w:rPr"), qn("w:rStyle")
W_T, W_TAB, W_BR, W_DRAWING = qn("w:t"), qn("w:tab"), qn("w:br"), qn("w:drawing")
W_HYPERLINK, W_FLDCHAR, W_INSTRTEXT = qn("w:hyperlink"), qn("w:fldChar"), qn("w:instrText")
W_VAL, R_ID = qn("w:val"), qn("r:id")
W_BOOKMARK_START, W_BOOKMARK_END, W_NAME, W_ID = qn("w:bookmarkStart"), qn("w:bookmarkEnd"), qn("w:name"), qn("w:id")
XML_SPACE = "{http://www.w3.org/XML/1998/namespace}space"
MC_NS = "http://schemas.openxmlformats.org/markup-compatibility/2006"
W14_NS = "http://schemas.microsoft.com/office/word/2010/wordml"
W15_NS = "http://schemas.microsoft.com/office/word/2012/wordml"


def set_style(p: Any, style_id: str, alignment: str = "", num_id: str | None = None) -> None:
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


PPR_ORDER = ("w:pStyle", "w:keepNext", "w:keepLines", "w:pageBreakBefore", "w:framePr", "w:widowControl",
             "w:numPr", "w:suppressLineNumbers", "w:pBdr", "w:shd", "w:tabs", "w:suppressAutoHyphens", "w:kinsoku",
             "w:wordWrap", "w:overflowPunct", "w:topLinePunct", "w:autoSpaceDE", "w:autoSpaceDN", "w:bidi",
             "w:adjustRightInd", "w:snapToGrid", "w:spacing", "w:ind", "w:contextualSpacing", "w:mirrorIndents",
             "w:suppressOverlap", "w:jc", "w:textDirection", "w:textAlignment", "w:textboxTightWrap",
             "w:outlineLvl", "w:divId", "w:cnfStyle", "w:rPr", "w:sectPr", "w:pPrChange")
"""The order WordprocessingML requires of a paragraph's properties."""


def set_flag(ppr: Any, tag: str, on: bool) -> None:
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
