"""WordprocessingML for the DOCX backend: names qualified once, and the few element classes python-docx lacks
(paragraph direction and hyphenation, a right-to-left section, tracked changes, bookmarks, fields, comment marks),
defined and registered the way python-docx defines its own, so every element the writer touches is typed.

Registering a subclass of python-docx's `CT_PPr` and `CT_SectPr` for `w:pPr` and `w:sectPr` keeps all they do
and adds the children they do not declare; the other tags here have no class in python-docx."""

from __future__ import annotations

from collections.abc import Callable
from typing import cast

from docx.oxml.ns import qn
from docx.oxml.parser import register_element_cls
from docx.oxml.section import CT_SectPr as _CT_SectPr
from docx.oxml.shared import CT_OnOff
from docx.oxml.simpletypes import ST_DecimalNumber, ST_String, XsdString
from docx.oxml.text.paragraph import CT_P
from docx.oxml.text.parfmt import CT_PPr as _CT_PPr
from docx.oxml.text.run import CT_R, CT_Text
from docx.oxml.xmlchemy import BaseOxmlElement, OptionalAttribute, RequiredAttribute, ZeroOrMore, ZeroOrOne
from lxml import etree  # type: ignore[import-untyped, unused-ignore]

W_P, W_PPR, W_PSTYLE, W_JC, W_BIDI = qn("w:p"), qn("w:pPr"), qn("w:pStyle"), qn("w:jc"), qn("w:bidi")
W_NUMPR, W_ILVL, W_NUMID = qn("w:numPr"), qn("w:ilvl"), qn("w:numId")
W_R, W_RPR, W_RSTYLE = qn("w:r"), qn("w:rPr"), qn("w:rStyle")
W_T, W_DELTEXT, W_TAB, W_BR, W_DRAWING = qn("w:t"), qn("w:delText"), qn("w:tab"), qn("w:br"), qn("w:drawing")
W_HYPERLINK, W_FLDCHAR, W_INSTRTEXT = qn("w:hyperlink"), qn("w:fldChar"), qn("w:instrText")
W_INS, W_DEL = qn("w:ins"), qn("w:del")
W_BOOKMARK_START, W_BOOKMARK_END = qn("w:bookmarkStart"), qn("w:bookmarkEnd")
W_COMMENT_RANGE_START, W_COMMENT_RANGE_END = qn("w:commentRangeStart"), qn("w:commentRangeEnd")
W_COMMENT_REFERENCE = qn("w:commentReference")
W_VAL = qn("w:val")
XML_SPACE = "{http://www.w3.org/XML/1998/namespace}space"
MC_NS = "http://schemas.openxmlformats.org/markup-compatibility/2006"
W14_NS = "http://schemas.microsoft.com/office/word/2010/wordml"
W15_NS = "http://schemas.microsoft.com/office/word/2012/wordml"

PPR_ORDER = ("w:pStyle", "w:keepNext", "w:keepLines", "w:pageBreakBefore", "w:framePr", "w:widowControl",
             "w:numPr", "w:suppressLineNumbers", "w:pBdr", "w:shd", "w:tabs", "w:suppressAutoHyphens", "w:kinsoku",
             "w:wordWrap", "w:overflowPunct", "w:topLinePunct", "w:autoSpaceDE", "w:autoSpaceDN", "w:bidi",
             "w:adjustRightInd", "w:snapToGrid", "w:spacing", "w:ind", "w:contextualSpacing", "w:mirrorIndents",
             "w:suppressOverlap", "w:jc", "w:textDirection", "w:textAlignment", "w:textboxTightWrap",
             "w:outlineLvl", "w:divId", "w:cnfStyle", "w:rPr", "w:sectPr", "w:pPrChange")
"""The order WordprocessingML requires of a paragraph's properties."""


def _after(sequence: tuple[str, ...], tag: str) -> tuple[str, ...]:
    return sequence[sequence.index(tag) + 1:]


class CT_PPr(_CT_PPr):
    """`w:pPr` with the children python-docx's class does not declare: hyphenation, direction, the paragraph mark's
    run properties (where a tracked insertion or deletion of the whole paragraph is recorded)."""

    get_or_add_rPr: Callable[[], BaseOxmlElement]
    _add_suppressAutoHyphens: Callable[[], CT_OnOff]
    _remove_suppressAutoHyphens: Callable[[], None]
    _add_bidi: Callable[[], CT_OnOff]
    _remove_bidi: Callable[[], None]
    suppressAutoHyphens: CT_OnOff | None = ZeroOrOne(  # type: ignore[assignment]
        "w:suppressAutoHyphens", successors=_after(PPR_ORDER, "w:suppressAutoHyphens"))
    bidi: CT_OnOff | None = ZeroOrOne("w:bidi", successors=_after(PPR_ORDER, "w:bidi"))  # type: ignore[assignment]
    rPr: BaseOxmlElement | None = ZeroOrOne("w:rPr", successors=_after(PPR_ORDER, "w:rPr"))  # type: ignore[assignment]

    def set_bidi(self, on: bool) -> None:
        """A right-to-left paragraph (its start on the right), or explicitly not one; replaces the one there."""
        self._remove_bidi()
        self._add_bidi().val = on

    def set_suppress_auto_hyphens(self, on: bool) -> None:
        """Never hyphenate the paragraph, or explicitly allow it; replaces the one there."""
        self._remove_suppressAutoHyphens()
        self._add_suppressAutoHyphens().val = on


class CT_SectPr(_CT_SectPr):
    """`w:sectPr` with `w:bidi`: a right-to-left section (its columns and gutter mirrored)."""

    get_or_add_bidi: Callable[[], CT_OnOff]
    bidi: CT_OnOff | None = ZeroOrOne(  # type: ignore[assignment]
        "w:bidi", successors=("w:rtlGutter", "w:docGrid", "w:printerSettings", "w:sectPrChange"))


class CT_RunTrackChange(BaseOxmlElement):
    """`w:ins` or `w:del` around runs: a pending tracked change by an author, at a date."""

    add_r: Callable[[], CT_R]
    id: int = RequiredAttribute("w:id", ST_DecimalNumber)  # type: ignore[assignment]
    author: str = RequiredAttribute("w:author", ST_String)  # type: ignore[assignment]
    date: str | None = OptionalAttribute("w:date", ST_String)  # type: ignore[assignment]
    r = ZeroOrMore("w:r")


class CT_Bookmark(BaseOxmlElement):
    """`w:bookmarkStart` (with its name) or `w:bookmarkEnd`: the target of an internal link."""

    id: int = RequiredAttribute("w:id", ST_DecimalNumber)  # type: ignore[assignment]
    name: str | None = OptionalAttribute("w:name", ST_String)  # type: ignore[assignment]


class CT_FldChar(BaseOxmlElement):
    """`w:fldChar`: the begin, separator or end of a complex field (PAGE, NUMPAGES, TOC)."""

    fldCharType: str = RequiredAttribute("w:fldCharType", XsdString)  # type: ignore[assignment]


class CT_Markup(BaseOxmlElement):
    """`w:commentRangeStart`, `w:commentRangeEnd` or `w:commentReference`: where a comment's range starts and ends,
    and the mark that shows it."""

    id: int = RequiredAttribute("w:id", ST_DecimalNumber)  # type: ignore[assignment]


register_element_cls("w:pPr", CT_PPr)
register_element_cls("w:sectPr", CT_SectPr)
register_element_cls("w:bidi", CT_OnOff)
register_element_cls("w:suppressAutoHyphens", CT_OnOff)
register_element_cls("w:ins", CT_RunTrackChange)
register_element_cls("w:del", CT_RunTrackChange)
register_element_cls("w:bookmarkStart", CT_Bookmark)
register_element_cls("w:bookmarkEnd", CT_Bookmark)
register_element_cls("w:fldChar", CT_FldChar)
register_element_cls("w:instrText", CT_Text)
register_element_cls("w:delText", CT_Text)
register_element_cls("w:commentRangeStart", CT_Markup)
register_element_cls("w:commentRangeEnd", CT_Markup)
register_element_cls("w:commentReference", CT_Markup)

RunParent = CT_P | BaseOxmlElement
"""What holds runs: a paragraph, a hyperlink, a tracked change."""


def child(parent: BaseOxmlElement, tag: str) -> BaseOxmlElement:
    """A new last child of `parent`: lxml makes it in `parent`'s document, so it is already of its registered class
    (and no namespace has to be reconciled, as python-docx's loose `OxmlElement` needs when it is inserted)."""
    return cast(BaseOxmlElement, etree.SubElement(parent, tag))


def new_run(parent: BaseOxmlElement) -> CT_R:
    """A new `w:r` at the end of a paragraph, hyperlink or tracked change."""
    return cast(CT_R, etree.SubElement(parent, W_R))


def new_text(run: CT_R, text: str, tag: str = W_T) -> CT_Text:
    """A `w:t` (or `w:delText`, `w:instrText`) at the end of `run`, its spaces kept."""
    element = cast(CT_Text, etree.SubElement(run, tag))
    element.text = text
    element.set(XML_SPACE, "preserve")
    return element
