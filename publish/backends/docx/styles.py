"""The DOCX backend's named styles: paragraph and character looks from the theme's tokens, and the styles part
they are written into."""

from __future__ import annotations

import datetime as dt
import io
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypedDict, cast

import docx
from docx.document import Document
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING, WD_TAB_ALIGNMENT, WD_TAB_LEADER
from docx.oxml.ns import qn
from docx.oxml.styles import CT_Style, CT_Styles
from docx.oxml.text.font import CT_RPr
from docx.shared import Mm, Pt, RGBColor
from docx.styles import BabelFish
from docx.styles.style import CharacterStyle, ParagraphStyle, StyleFactory
from lxml import etree  # type: ignore[import-untyped, unused-ignore]

from publish.backends.docx import package
from publish.backends.docx.oxml import W_VAL, CT_PPr
from publish.build import cache
from publish.errors import RenderError
from publish.model.text import direction as text_direction
from publish.present import SPACING
from publish.present.theme import EAST_ASIAN_LANGUAGES, ScriptFonts, Theme

TEMPLATE_TIME = dt.datetime(2000, 1, 1)
"""The ZIP time of a styled template kept in memory (never written out: each document is saved anew)."""
LIST_LEVELS = 3  # Word's built-in list styles go three deep; deeper lists use the third level's style


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
    shading: str | None = None
    """The #rrggbb colour of the paragraph's background (a code block's tint)."""
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


class _RoleFonts(TypedDict):
    """A role's fonts, as Look's keyword arguments."""

    font: str
    font_cs: str | None
    font_east_asia: str | None


def upright(language: str) -> bool:
    """Whether a language's script is never slanted: Chinese, Japanese and Korean have no italics (a word processor
    would shear the characters), so deks, quotes and subheads stay upright and emphasis is bold."""
    return language.split("-")[0].lower() in EAST_ASIAN_LANGUAGES


def paragraph_looks(theme: Theme, language: str = "en", *, packet: bool = False) -> dict[str, Look]:
    """Every paragraph style the backend uses, built-in or ours, with the theme's tokens for an article in
    `language` (its script's fonts, line height and paragraph indent; right to left where it is written so; no
    italics in Chinese, Japanese or Korean).
    In a `packet` Heading 1 is each article's headline: sized from the headline token, always larger than the dek
    below it, and bold where the theme's headlines are."""
    fonts, sizes, colors, typo = theme.fonts, theme.sizes, theme.colors, theme.typography
    complex_script, east_asian = fonts.complex_script(language), fonts.east_asian(language)
    own = fonts.script_for(language)
    scale = complex_script.scale if complex_script else 1.0

    def role(name: str) -> _RoleFonts:
        """The fonts of a role (body, heading, mono) for Latin, complex-script and East Asian text."""
        latin: tuple[str, ...] = getattr(fonts, name)
        return {"font": latin[0], "font_cs": _script_font(complex_script, name),
                "font_east_asia": _script_font(east_asian, name)}

    body, heading, mono = role("body"), role("heading"), role("mono")
    header_align = "center" if typo.header_align == "center" else "start"
    line_height = own.line_height if own else sizes.line_height
    indent = sizes.body * (own.first_line_indent if own and own.first_line_indent else 0)
    if typo.paragraph_style == "indented" and not indent:
        indent = sizes.body * SPACING.indent
    sub = {1: sizes.heading1, 2: sizes.heading2}
    rtl = text_direction(language) == "rtl"
    slanted = not upright(language)
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
                         italic=header_align == "center" and slanted, space_after=sizes.dek * 0.8,
                         line_spacing=SPACING.dek_line_height,
                         keep_with_next=True, alignment=header_align, suppress_hyphens=True, first_line_indent=0),
        "Byline": Look(**heading, size=sizes.body, color=colors.text, bold=True, space_after=1,
                       keep_with_next=True, alignment=header_align, first_line_indent=0),
        "Dateline": Look(**heading, size=sizes.small, color=colors.muted, space_after=sizes.body * 1.5,
                         keep_with_next=True, alignment=header_align, first_line_indent=0,
                         border_bottom=dateline_rule),
        "Quote": Look(**body, color=colors.text, italic=slanted, left_indent=quote_left, right_indent=quote_right,
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
        "Source Code": Look(**mono, size=sizes.body * 0.9, line_spacing=1.15, left_indent=5, right_indent=2,
                            shading=colors.tint, border_left=colors.rule, keep_together=True, suppress_hyphens=True,
                            first_line_indent=0, alignment="left",
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
                                space_before=sizes.headline, space_after=sizes.headline * 0.6, keep_with_next=True,
                                first_line_indent=0, suppress_hyphens=True, alignment=header_align),
        "TOC Heading": Look(**heading, size=sizes.heading1, color=colors.heading, bold=True,
                            space_after=sizes.heading1, first_line_indent=0),
        "toc 1": Look(**heading, size=sizes.small, color=colors.accent, bold=True, space_before=sizes.body,
                      space_after=2, keep_with_next=True, first_line_indent=0, tabs=page_tabs(theme)[1:]),
        "toc 2": Look(**body, size=sizes.body, color=colors.text, space_after=3, left_indent=4, first_line_indent=0,
                      alignment="start", tabs=((page_tabs(theme)[1][0], "end-dots"),)),
        "Header": Look(**heading, size=sizes.small, color=colors.muted, alignment="start", first_line_indent=0,
                       space_after=0, line_spacing=1.0, tabs=page_tabs(theme)),
        "Footer": Look(**heading, size=sizes.small, color=colors.muted, alignment="start", first_line_indent=0,
                       space_after=0, line_spacing=1.0, tabs=page_tabs(theme)),
        "Letterhead": Look(**heading, size=sizes.small, color=colors.muted, alignment="start", first_line_indent=0,
                           space_after=0, line_spacing=1.0, border_bottom=colors.accent, tabs=page_tabs(theme)[1:]),
    }
    for level in range(1, 7):
        size = sub.get(level, sizes.heading3)
        looks[f"Heading {level}"] = Look(**heading, size=size, color=colors.heading,
                                         bold=typo.subhead_style == "bold"
                                         or (not slanted and typo.subhead_style == "italic"),
                                         italic=slanted and typo.subhead_style == "italic",
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


def press_looks(theme: Theme, heading: _RoleFonts, body: _RoleFonts, rtl: bool) -> dict[str, Look]:
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


def page_tabs(theme: Theme) -> tuple[tuple[float, str], ...]:
    """Centre and end tab stops across the text block, for running heads, footers and the letterhead."""
    page = theme.page
    width = page.width_mm - page.margin_inner - page.margin_outer
    return ((round(width / 2, 1), "center"), (round(width, 1), "end"))


# The character styles for a theme and language, in the order their names join when marks nest (emphasis inside a
# link); emphasis is bold where the script has no italics.
CHARACTER_LOOKS: dict[str, Callable[[Theme, str], Look]] = {
    "Strong": lambda theme, language: Look(bold=True),
    "Emphasis": lambda theme, language: Look(bold=True, italic=False) if upright(language) else Look(italic=True),
    "Verbatim Char": lambda theme, language: Look(font=theme.fonts.mono[0]),
    "Hyperlink": lambda theme, language: Look(color=theme.colors.accent, underline=True),
    "Letterhead Label": lambda theme, language: Look(color=theme.colors.accent, bold=True, all_caps=True),
    "Letterhead Publisher": lambda theme, language: Look(
        font=theme.fonts.heading[0], size=round(theme.sizes.headline * SPACING.letterhead_publisher, 1),
        color=theme.colors.heading, bold=True),
}


STYLED_TEMPLATES = 16
"""How many styled templates (theme, language, packet or not) one process keeps."""
_styled: dict[tuple[Theme, str, bool], tuple[bytes, dict[str, str]]] = {}


def styled_document(theme: Theme, language: str, *, packet: bool = False) -> tuple[Document, dict[str, str]]:
    """A new document whose styles are the theme's for `language`, and the style ids by name.

    The styles are built once per theme (a frozen value: a changed token is another theme), language and kind of
    document, into python-docx's template, which is kept as a package: in memory for this process, and in the
    per-user cache (`publish.build.cache`, a signed entry keyed by the theme's tokens, publish's code and python-docx's
    version) for the next; each document opens a copy of it, so an article's DOCX does not restyle from scratch."""
    key = (theme, language, packet)
    if key not in _styled:
        if len(_styled) >= STYLED_TEMPLATES:
            del _styled[next(iter(_styled))]
        stored = _stored_template(theme, language, packet)
        if stored is None:  # the template just styled is this document (a copy of it is kept for the next)
            document, style_ids = _new_template(theme, language, packet)
            return document, dict(style_ids)
        _styled[key] = stored
    data, style_ids = _styled[key]
    return docx.Document(io.BytesIO(data)), dict(style_ids)


def _cache_key(theme: Theme, language: str, packet: bool) -> str | None:
    if cache.root() is None:
        return None
    return cache.fingerprint("docx-styles", cache.code_version(), docx.__version__, repr(theme), language,
                             "packet" if packet else "article")


def _stored_template(theme: Theme, language: str, packet: bool) -> tuple[bytes, dict[str, str]] | None:
    """The styled template from the per-user cache, or None."""
    key = _cache_key(theme, language, packet)
    payload = cache.get("pieces", key) if key else None
    if payload is None or b"\n" not in payload:
        return None
    head, data = payload.split(b"\n", 1)
    try:
        style_ids = json.loads(head)
    except ValueError:
        return None
    if not isinstance(style_ids, dict) or not all(isinstance(v, str) for v in style_ids.values()):
        return None
    return data, {str(name): value for name, value in style_ids.items()}


def _new_template(theme: Theme, language: str, packet: bool) -> tuple[Document, dict[str, str]]:
    """python-docx's template restyled from the theme, its bytes kept in memory and in the per-user cache."""
    template = docx.Document()
    _slim(template)
    style_ids = define_styles(template, theme, language, packet=packet)
    data = package.saved(template, TEMPLATE_TIME)
    _styled[(theme, language, packet)] = (data, style_ids)
    key = _cache_key(theme, language, packet)
    if key:
        cache.put("pieces", key, json.dumps(style_ids).encode("utf-8") + b"\n" + data)
    return template, style_ids


KEPT_TABLE_STYLES = frozenset({"Table Grid"})
"""The table styles of python-docx's template a document keeps besides the default one: those the writer uses."""
STYLES_WITH_EFFECTS = "http://schemas.microsoft.com/office/2007/relationships/stylesWithEffects"


def _slim(template: Document) -> None:
    """Leave out of python-docx's template what no document of ours uses, which every document would otherwise
    parse, write and compress again: 98 of its 100 table styles (Word's built-in table styles, which Word still
    offers from its own definitions, as for a Pandoc or LibreOffice document that never held them) and Word 2010's
    copy of the styles part (`stylesWithEffects.xml`, the template's styles before ours restyle them: Word 2013 and
    later neither read nor write it, Pandoc and LibreOffice write none). Together they were 0.79 MB of the 0.85 MB a
    document held uncompressed."""
    styles = cast(CT_Styles, template.styles.element)
    for style in styles.style_lst:
        if style.type == WD_STYLE_TYPE.TABLE and not style.default and style.name_val not in KEPT_TABLE_STYLES:
            styles.remove(style)
    part = template.part
    for rel_id, rel in list(part.rels.items()):
        if rel.reltype == STYLES_WITH_EFFECTS:
            part.drop_rel(rel_id)


def define_styles(document: Document, theme: Theme, language: str, *, packet: bool = False) -> dict[str, str]:
    """Restyle the template's built-in styles and add ours from the theme; the style ids by name."""
    styles = StylesByName(document)
    normal = styles["Normal"]
    for name in (*OWN_PARAGRAPH_STYLES, *THEME_PARAGRAPH_STYLES):
        style = styles.add(name, WD_STYLE_TYPE.PARAGRAPH)
        style.base_style = normal
        style.next_paragraph_style = normal
        style.quick_style = True
    if "Hyperlink" not in styles:  # the default template lacks it; Word knows it as built-in
        hyperlink = styles.add("Hyperlink", WD_STYLE_TYPE.CHARACTER, builtin=True)
        hyperlink.base_style = styles["Default Paragraph Font"]
        hyperlink.unhide_when_used = True
    for name in ("Verbatim Char", "Letterhead Label", "Letterhead Publisher"):
        if name not in styles:
            character = styles.add(name, WD_STYLE_TYPE.CHARACTER)
            character.base_style = styles["Default Paragraph Font"]
            character.quick_style = name == "Verbatim Char"
    looks = paragraph_looks(theme, language, packet=packet)
    for name, look in looks.items():
        apply_look(styles[name], look)
    for name, character_look in CHARACTER_LOOKS.items():
        apply_look(styles[name], character_look(theme, language))
    subtitle_numbering = styles["Subtitle"].element.pPr  # the template's Subtitle carries a stray w:numPr
    if subtitle_numbering is not None and subtitle_numbering.numPr is not None:
        subtitle_numbering.remove(subtitle_numbering.numPr)
    _drop_letter_spacing(styles.element)
    _set_language(normal.element.get_or_add_rPr(), language)
    _set_document_defaults(styles.element, looks["Normal"], language)
    for border in styles["Table Grid"].element.iterfind(f"{qn('w:tblPr')}/{qn('w:tblBorders')}/*"):
        border.set(qn("w:color"), theme.colors.rule[1:].upper())
    if packet:
        for name in ("Heading 1", "Section Heading", "TOC Heading"):  # in a packet these start a page
            styles[name].paragraph_format.page_break_before = True
    names = [*looks, *CHARACTER_LOOKS, "Table Grid", "List Continue", "List Continue 2", "List Continue 3",
             *(list_style(ordered, level) for ordered in (False, True) for level in range(1, LIST_LEVELS + 1))]
    return {name: styles[name].style_id for name in names}


class StylesByName:
    """A document's styles found by name through one table. python-docx's `styles[name]` runs an XPath query over
    every style, and `name in styles` and `add_style` read every style's name: restyling the template that way took
    0.10-0.13 s, three times what it takes now. Names are python-docx's (its UI names, such as "Heading 1"); the
    first style of a name wins, as in python-docx. Only styles added through `add` are known besides the
    document's own."""

    def __init__(self, document: Document) -> None:
        self.element = cast(CT_Styles, document.styles.element)
        self._by_name: dict[str, CT_Style] = {}
        for style in self.element.style_lst:
            name = style.name_val
            if name is not None:
                self._by_name.setdefault(name, style)

    def __getitem__(self, name: str) -> Any:
        try:
            return StyleFactory(self._by_name[BabelFish.ui2internal(name)])
        except KeyError:
            raise KeyError(f"no style with name '{name}'") from None

    def __contains__(self, name: str) -> bool:
        return BabelFish.ui2internal(name) in self._by_name

    def add(self, name: str, style_type: WD_STYLE_TYPE, builtin: bool = False) -> Any:
        """A new style of `style_type` named `name` (a ValueError if the document has one), as `add_style`."""
        internal = BabelFish.ui2internal(name)
        if internal in self._by_name:
            raise ValueError(f"document already contains style '{name}'")
        style = self.element.add_style_of_type(internal, style_type, builtin)  # type: ignore[no-untyped-call]
        self._by_name[internal] = style
        return StyleFactory(style)


def _drop_letter_spacing(styles_element: CT_Styles) -> None:
    """Remove the template's letter-spacing (w:spacing in a style's run properties: Title, Subtitle, Book Title...).

    Word has no complex-script variant of it, so it would pull apart the joined letters of Arabic, Urdu, Persian
    or Syriac; the theme asks for none on a headline or dek in any script."""
    for spacing in styles_element.iterfind(f"{qn('w:style')}/{qn('w:rPr')}/{qn('w:spacing')}"):
        spacing.getparent().remove(spacing)


def apply_look(style: CharacterStyle, look: Look) -> None:
    """Set a style's font and paragraph properties from a Look, leaving what it does not name."""
    if look.border_bottom or look.border_left or look.border_right:  # first: later properties follow in order
        _set_border(style, look.border_bottom, look.border_left, look.border_right, shaded=look.shading is not None)
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
    ppr = cast(CT_PPr, style.element.get_or_add_pPr())
    if look.widow_control is not None:
        fmt.widow_control = look.widow_control
    if look.suppress_hyphens is not None:
        ppr.set_suppress_auto_hyphens(look.suppress_hyphens)
    if look.right_to_left is not None:
        ppr.set_bidi(look.right_to_left)
    if look.shading is not None:
        _set_shading(ppr, look.shading)
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


def _set_border(style: CharacterStyle, bottom: str | None, left: str | None, right: str | None = None, *,
                shaded: bool = False) -> None:
    """A paragraph border in a style's pPr (replacing the template's), as a thin single line; beside a `shaded`
    background (a code block's), a thicker bar at the tint's edge, as the HTML's pre has it."""
    ppr = style.element.get_or_add_pPr()
    old = ppr.find(qn("w:pBdr"))
    borders = etree.Element(qn("w:pBdr"))
    for side, color, space in (("w:left", left, "8"), ("w:bottom", bottom, "4"), ("w:right", right, "8")):
        if color:
            etree.SubElement(borders, qn(side), {qn("w:val"): "single", qn("w:sz"): "18" if shaded else "8",
                                                 qn("w:space"): "6" if shaded else space,
                                                 qn("w:color"): color[1:].upper()})
    if old is not None:
        old.addnext(borders)
        ppr.remove(old)
    else:
        ppr.insert_element_before(borders, *_PPR_AFTER_BORDER)


def _set_shading(ppr: CT_PPr, color: str) -> None:
    """A paragraph's background (w:shd) in a flat colour, replacing any the template had."""
    old = ppr.find(qn("w:shd"))
    if old is not None:
        ppr.remove(old)
    ppr.insert_element_before(etree.Element(qn("w:shd"), {qn("w:val"): "clear", qn("w:color"): "auto",
                                                          qn("w:fill"): color[1:].upper()}),
                              *_PPR_AFTER_BORDER[1:])


_PPR_AFTER_BORDER = ("w:shd", "w:tabs", "w:suppressAutoHyphens", "w:kinsoku", "w:wordWrap", "w:overflowPunct",
                     "w:topLinePunct", "w:autoSpaceDE", "w:autoSpaceDN", "w:bidi", "w:adjustRightInd",
                     "w:snapToGrid", "w:spacing", "w:ind", "w:contextualSpacing", "w:mirrorIndents",
                     "w:suppressOverlap", "w:jc", "w:textDirection", "w:textAlignment", "w:textboxTightWrap",
                     "w:outlineLvl", "w:divId", "w:cnfStyle", "w:rPr", "w:sectPr", "w:pPrChange")


def _set_language(rpr: CT_RPr, language: str) -> None:
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


def _set_document_defaults(styles_element: CT_Styles, normal: Look, language: str) -> None:
    """The template's document defaults name theme fonts and en-US; give them the body fonts and the language
    (and, for Chinese, Japanese and Korean, the hint that shared punctuation is set in the East Asian font)."""
    rpr: CT_RPr | None = styles_element.find(f"{qn('w:docDefaults')}/{qn('w:rPrDefault')}/{qn('w:rPr')}")
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


def abstract_num_id(document: Document, style_id: str) -> int:
    """The abstract numbering a list style's own w:numId points at (the one a restarted list reuses)."""
    numbering = document.part.numbering_part.element
    style = document.styles.element.get_by_id(style_id)
    num_ids = style.xpath("./w:pPr/w:numPr/w:numId/@w:val") if style is not None else []
    if not num_ids:
        raise RenderError(f"the DOCX template's {style_id} style has no numbering to restart")
    return int(numbering.num_having_numId(int(num_ids[0])).abstractNumId.val)


def list_style(ordered: bool, level: int) -> str:
    """The name of the built-in list style for a list `level` deep (1 to LIST_LEVELS)."""
    return ("List Number" if ordered else "List Bullet") + (f" {level}" if level > 1 else "")
