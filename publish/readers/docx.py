"""The DOCX reader: any Word document (Word, LibreOffice, Google Docs, python-docx, ours) into the article model.

Styles are resolved through their `basedOn` chain, so a "My Heading" based on Heading 2 is a subhead, and a style
with an outline level is a heading. Lists come from `w:numPr` and the numbering part; tables keep a header row;
images become figures (as `data:` URIs, checked like any image; the model never points into the package);
footnotes and endnotes become "[n]" in the text and numbered paragraphs after a rule at the end, as Pandoc's plain
text shows them. Tracked changes are accepted, rejected, or (with "all") kept as insertion and deletion inlines;
comments are kept as comment inlines over the range they cover. What cannot be read (an equation, an embedded
object, a chart) is reported as dropped, with the paragraph number as its line.
"""

from __future__ import annotations

import base64
import dataclasses
import functools
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from publish import model, present
from publish.build.resources import inspect_image
from publish.errors import InputError, ModelError, ResourceError
from publish.model import jsonform
from publish.model.text import lede_has_dateline, plain, shown
from publish.present.labels import labels_for
from publish.readers import TRACK_CHANGES, Dropped, Inferred, Reading, Source
from publish.readers.ooxml import MODEL_NAMESPACE, W14, W15, Package, W, part_related

R = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
WP = "{http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing}"
A = "{http://schemas.openxmlformats.org/drawingml/2006/main}"
M = "{http://schemas.openxmlformats.org/officeDocument/2006/math}"
MC = "{http://schemas.openxmlformats.org/markup-compatibility/2006}"
CORE = {"dc": "http://purl.org/dc/elements/1.1/", "dcterms": "http://purl.org/dc/terms/",
        "cp": "http://schemas.openxmlformats.org/package/2006/metadata/core-properties"}

MONOSPACE = re.compile(r"mono|courier|consolas|menlo|monaco|lucida console|source code|fira code|code|typewriter",
                       re.IGNORECASE)
QUOTE_STYLES = re.compile(r"^(quote|intense quote|block ?text|quotations?|block ?quote)$", re.IGNORECASE)
CODE_STYLES = re.compile(r"^(source code|html preformatted|preformatted text|code|code block|plain text)$",
                         re.IGNORECASE)
TOC_STYLES = re.compile(r"^(toc \d|toc heading|contents \d|contents heading|table of contents)$", re.IGNORECASE)
HEADING_STYLE = re.compile(r"^heading\s*(\d)$", re.IGNORECASE)
LIST_STYLE = re.compile(r"^list (?:bullet|number|continue)?\s*(\d)?$", re.IGNORECASE)
SCRIPTS = {
    "superscript": str.maketrans("0123456789+-=()n", "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁼⁽⁾ⁿ"),
    "subscript": str.maketrans("0123456789+-=()", "₀₁₂₃₄₅₆₇₈₉₊₋₌₍₎"),
}
"""Superscript and subscript characters for a raised or lowered run made only of digits and signs."""
INDENTED_QUOTE_TWIPS = 360
"""A plain paragraph indented at least this much (a quarter inch) on the left is a block quote, as in Pandoc."""


@dataclass(frozen=True, slots=True)
class Change:
    """A tracked change a run belongs to."""

    kind: str
    """insertion or deletion (a move from is a deletion, a move to an insertion)."""
    author: str
    """Who made it, as Word recorded it."""
    date: str
    """When, as Word recorded it (ISO 8601), or empty."""


@dataclass(frozen=True, slots=True)
class _Span:
    """A piece of a paragraph's text with what applies to it."""

    text: str
    """The characters; "\n" for a line break."""
    marks: frozenset[str] = frozenset()
    """strong, emphasis, code."""
    link: tuple[str, str] | None = None
    """(url, tooltip) of the hyperlink it is in."""
    change: Change | None = None
    """The tracked change it is part of."""
    comment: str = ""
    """The id of the comment whose range it is in (the first opened, when ranges overlap)."""
    reference: str = ""
    """For an empty span: the id of the comment referred to at this point."""
    image: model.Image | None = None
    """For an empty span: a picture in the line of text."""


@dataclass
class _Para:
    """A paragraph as read, before paragraphs are grouped into lists, quotes and figures."""

    number: int
    """The paragraph's number in the document (the report's line)."""
    style: str
    """Its paragraph style id."""
    role: str = "body"
    """body, title, subtitle, heading, quote, code, caption, byline, dateline, attribution, credit, rule, toc."""
    level: int = 0
    """The heading level for a heading."""
    spans: list[_Span] = field(default_factory=list)
    """Its text."""
    figures: list[model.Block] = field(default_factory=list)
    """Images it holds, and the paragraphs of its text boxes: blocks that follow its text."""
    list_depth: int = 0
    """1 or more for a list item (the nesting), 0 otherwise."""
    ordered: bool = False
    """A numbered list item."""
    list_key: str = ""
    """The numbering instance: items of one list share it."""
    start: int = 1
    """The item's number, for a numbered item."""
    continues: int = 0
    """For a "List Continue" paragraph, the list depth it continues."""
    mark: str = ""
    """"removed" when its paragraph mark is taken away (a deleted mark accepted, an inserted one rejected)."""


@dataclass
class _Style:
    """A style from styles.xml, as far as the reader needs it."""

    name: str
    kind: str
    based_on: str
    element: Any


class _Styles:
    """styles.xml with inheritance resolved."""

    def __init__(self, root: Any) -> None:
        self.styles: dict[str, _Style] = {}
        self.default_paragraph = ""
        self.language = ""
        if root is None:
            return
        lang = root.find(f"{W}docDefaults/{W}rPrDefault/{W}rPr/{W}lang")
        if lang is not None:
            self.language = lang.get(f"{W}val", "")
        for style in root.iter(f"{W}style"):
            style_id = style.get(f"{W}styleId", "")
            name = style.find(f"{W}name")
            based = style.find(f"{W}basedOn")
            self.styles[style_id] = _Style(name.get(f"{W}val", style_id) if name is not None else style_id,
                                           style.get(f"{W}type", ""),
                                           based.get(f"{W}val", "") if based is not None else "", style)
            if style.get(f"{W}type") == "paragraph" and style.get(f"{W}default") in ("1", "true", "on"):
                self.default_paragraph = style_id

    def chain(self, style_id: str) -> Iterator[_Style]:
        """The style and those it is based on, nearest first (a cycle ends the walk)."""
        seen: set[str] = set()
        while style_id and style_id in self.styles and style_id not in seen:
            seen.add(style_id)
            style = self.styles[style_id]
            yield style
            style_id = style.based_on

    def first(self, style_id: str, path: str) -> Any:
        """The nearest element at `path` in the style's chain."""
        for style in self.chain(style_id):
            found = style.element.find(path)
            if found is not None:
                return found
        return None

    def names(self, style_id: str) -> list[str]:
        """The names of the style's chain, nearest first."""
        return [s.name.strip() for s in self.chain(style_id)]


class _Numbering:
    """numbering.xml: which numbering instance and level is a bullet or a number, and where it starts."""

    def __init__(self, root: Any, styles: _Styles) -> None:
        self.abstract: dict[str, dict[int, tuple[str, int]]] = {}
        self.links: dict[str, str] = {}
        self.nums: dict[str, tuple[str, dict[int, int]]] = {}
        self.styles = styles
        if root is None:
            return
        for abstract in root.iter(f"{W}abstractNum"):
            levels: dict[int, tuple[str, int]] = {}
            for lvl in abstract.iter(f"{W}lvl"):
                fmt, start = lvl.find(f"{W}numFmt"), lvl.find(f"{W}start")
                levels[_int(lvl.get(f"{W}ilvl"), 0)] = (fmt.get(f"{W}val", "decimal") if fmt is not None else "decimal",
                                                        _int(start.get(f"{W}val") if start is not None else None, 1))
            abstract_id = abstract.get(f"{W}abstractNumId", "")
            self.abstract[abstract_id] = levels
            link = abstract.find(f"{W}numStyleLink")
            if link is not None:
                self.links[abstract_id] = link.get(f"{W}val", "")
        for num in root.iter(f"{W}num"):
            ref = num.find(f"{W}abstractNumId")
            overrides = {}
            for override in num.iter(f"{W}lvlOverride"):
                start = override.find(f"{W}startOverride")
                if start is not None:
                    overrides[_int(override.get(f"{W}ilvl"), 0)] = _int(start.get(f"{W}val"), 1)
            self.nums[num.get(f"{W}numId", "")] = (ref.get(f"{W}val", "") if ref is not None else "", overrides)

    def level(self, num_id: str, ilvl: int, depth: int = 0) -> tuple[str, int] | None:
        """(format, start) of a level, or None when the numbering is absent or shows no marker."""
        if num_id not in self.nums or depth > 4:
            return None
        abstract_id, overrides = self.nums[num_id]
        if abstract_id in self.links:  # numbering defined by a numbering style: follow it
            style = self.styles.first(self.links[abstract_id], f"{W}pPr/{W}numPr/{W}numId")
            if style is not None and style.get(f"{W}val") != num_id:
                found = self.level(style.get(f"{W}val", ""), ilvl, depth + 1)
                if found is not None:
                    return found
        levels = self.abstract.get(abstract_id, {})
        fmt, start = levels.get(ilvl, ("decimal" if levels else "bullet", 1))
        if fmt == "none":
            return None
        return fmt, overrides.get(ilvl, start)


def _hyperlink_field(instruction: str) -> str:
    """The target of a HYPERLINK field ("HYPERLINK \"https://...\" \\o \"tip\""), or "" for any other field."""
    match = re.match(r'\s*HYPERLINK\s+(?:\\[a-z]\s+)*"([^"]+)"', instruction)
    if match is None:
        match = re.match(r"\s*HYPERLINK\s+(\S+)", instruction)
    target = match.group(1) if match else ""
    return target if re.match(r"(?i)(https?|mailto|ftp):", target) else ""


def _int(value: str | None, default: int) -> int:
    try:
        return int(value) if value is not None else default
    except ValueError:
        return default


def _on(element: Any) -> bool | None:
    """An on/off property: None when absent."""
    if element is None:
        return None
    return element.get(f"{W}val", "true").lower() not in ("0", "false", "off", "none")


class _Reader:
    """Reads one package; collects what it drops and infers."""

    def __init__(self, package: Package, source: Source, track_changes: str) -> None:
        self.package = package
        self.source = source
        self.mode = track_changes
        self.styles = _Styles(package.xml(part_related(package, package.main, "styles")))
        self.numbering = _Numbering(package.xml(part_related(package, package.main, "numbering")), self.styles)
        self.dropped: list[Dropped] = []
        self.inferred: list[Inferred] = []
        self.paragraph_number = 0
        self.rels = package.related(package.main)
        self.counters: dict[tuple[str, int], int] = {}
        self.notes: list[tuple[int, list[_Para]]] = []
        self.furniture: dict[str, str] = {}
        """The original-story link's URL and the rights line, from the paragraphs publish writes after a story."""
        self.notes_to_editors: list[str] = []
        """Paragraphs in the Note to Editors style, as the document shows them."""
        self.note_parts: dict[str, dict[str, Any]] = {}
        self.part = package.main
        self.all_comments = _read_comments(package, package.main)
        self.comments = self.all_comments if track_changes == "all" else None
        self.active: list[str] = []
        """The comments whose ranges are open at the current point."""
        self.fields: list[list[str]] = []
        """The complex fields open at this point: [instruction, hyperlink target once known]."""
        self.comment_lines: dict[str, int] = {}
        """The paragraph each comment is anchored in."""

    def _inlines(self, spans: list[_Span]) -> tuple[model.Inline, ...]:
        return _inlines(spans, self.comments)

    # --- the document ------------------------------------------------------------------------------------

    def read(self) -> Reading:
        root = self.package.xml(self.package.main)
        body = root.find(f"{W}body") if root is not None else None
        if body is None:
            raise InputError("is not a Word document: its main part has no w:body", path=self.source.name)
        items = self._container(body)
        blocks, front = self._group(items)
        if self.notes:
            blocks.append(model.Rule())
            for number, paras in self.notes:
                inner, _ = self._group(paras)
                for index, block in enumerate(inner):
                    if index == 0 and isinstance(block, model.Paragraph):
                        block = model.Paragraph(tuple(_merged([model.Text(f"[{number}] "), *block.content])))
                    elif index == 0:
                        blocks.append(model.Paragraph((model.Text(f"[{number}]"),)))
                    blocks.append(block)
        meta, blocks = self._meta(front, blocks)
        for comment_id, comment in self.all_comments.found.items():
            if comment_id not in self.all_comments.emitted:
                why = ("a comment; kept in a review copy (--track-changes all)" if self.comments is None else
                       "a comment on the headline or front matter, which the model has no place for")
                self._drop(self.comment_lines.get(comment_id, 0), f"{comment.author}: {comment.text}", why)
        original = self.original
        if original is not None:
            languages = {b.text: b.language for b in model.iter_blocks(original.blocks)
                         if isinstance(b, model.CodeBlock) and b.language}
            blocks = [_with_language(b, languages) for b in blocks]
        return Reading(model.Article(meta, tuple(blocks)), tuple(self.dropped), tuple(self.inferred))

    def _drop(self, number: int, text: str, reason: str) -> None:
        self.dropped.append(Dropped(number, text, reason))

    def _container(self, parent: Any) -> list[_Para | model.Block]:
        """The paragraphs and tables of a body, cell, note or content control, in order."""
        out: list[_Para | model.Block] = []
        for child in parent:
            tag = child.tag
            if tag == f"{W}p":
                out.append(self._paragraph(child))
            elif tag == f"{W}tbl":
                table = self._table(child)
                if table is not None:
                    out.append(table)
            elif tag in (f"{W}sdt",):
                content = child.find(f"{W}sdtContent")
                if content is not None:
                    out.extend(self._container(content))
            elif tag in (f"{W}customXml", f"{W}sdtContent", f"{W}ins", f"{W}moveTo", f"{W}del", f"{W}moveFrom"):
                out.extend(self._container(child))
            elif tag == f"{MC}AlternateContent":
                fallback = child.find(f"{MC}Fallback")
                if fallback is not None:
                    out.extend(self._container(fallback))
        # a paragraph whose mark is removed joins the next one
        joined: list[_Para | model.Block] = []
        carry: list[_Span] = []
        for item in out:
            if isinstance(item, _Para):
                if carry:
                    item.spans[:0] = carry
                    carry = []
                if item.mark == "removed":
                    carry = item.spans
                    if item.figures:
                        joined.append(dataclasses.replace(item, spans=[], mark=""))
                    continue
            joined.append(item)
        if carry:
            last = next((i for i in reversed(joined) if isinstance(i, _Para)), None)
            if last is not None:
                last.spans.extend(carry)
        return joined

    # --- paragraphs --------------------------------------------------------------------------------------

    def _paragraph(self, p: Any) -> _Para:
        self.paragraph_number += 1
        ppr = p.find(f"{W}pPr")
        style_el = ppr.find(f"{W}pStyle") if ppr is not None else None
        style = style_el.get(f"{W}val", "") if style_el is not None else self.styles.default_paragraph
        if self.mode == "reject" and ppr is not None:  # a formatting change rejected: the old paragraph style
            old = ppr.find(f"{W}pPrChange/{W}pPr/{W}pStyle")
            if old is not None:
                style = old.get(f"{W}val", style)
        para = _Para(self.paragraph_number, style)
        self._classify(para, ppr)
        mark = ppr.find(f"{W}rPr") if ppr is not None else None
        if mark is not None:
            if (mark.find(f"{W}del") is not None or mark.find(f"{W}moveFrom") is not None) and self.mode != "reject":
                para.mark = "removed" if self.mode == "accept" else ""
            if (mark.find(f"{W}ins") is not None or mark.find(f"{W}moveTo") is not None) and self.mode == "reject":
                para.mark = "removed"
        self._inline_children(p, para, frozenset(), None, None)
        if any(span.image for span in para.spans) and not any(
                span.text.strip() for span in para.spans if not span.image):  # pictures alone: figures
            para.figures[:0] = [model.Figure(span.image.src, span.image.alt) for span in para.spans if span.image]
            para.spans = [span for span in para.spans if not span.image]
        return para

    def _classify(self, para: _Para, ppr: Any) -> None:
        names = [n.lower() for n in self.styles.names(para.style)]
        for name in names:
            heading = HEADING_STYLE.match(name)
            if name == "title":
                para.role = "title"
            elif name == "subtitle":
                para.role = "subtitle"
            elif heading:
                para.role, para.level = "heading", int(heading.group(1))
            elif QUOTE_STYLES.match(name):
                para.role = "quote"
            elif CODE_STYLES.match(name):
                para.role = "code"
            elif TOC_STYLES.match(name):
                para.role = "toc"
            elif name in ("caption", "byline", "dateline", "quote attribution", "image credit", "original link",
                          "rights"):
                para.role = {"quote attribution": "attribution", "image credit": "credit",
                             "original link": "original"}.get(name, name)
            elif name in ("horizontal rule", "horizontal line"):
                para.role = "rule"
            elif name in PRESS_STYLES:  # a press release's furniture, as publish writes it
                para.role = PRESS_STYLES[name]
            else:
                continue
            break
        if para.role == "body":
            outline = ppr.find(f"{W}outlineLvl") if ppr is not None else None
            if outline is None:
                outline = self.styles.first(para.style, f"{W}pPr/{W}outlineLvl")
            level = _int(outline.get(f"{W}val") if outline is not None else None, 9)
            if level < 9:
                para.role, para.level = "heading", level + 1
            else:
                font = self.styles.first(para.style, f"{W}rPr/{W}rFonts")
                if font is not None and MONOSPACE.search(font.get(f"{W}ascii", "") or font.get(f"{W}hAnsi", "")):
                    para.role = "code"
        if para.role not in ("body", "quote"):
            return
        list_style = next((m for m in (LIST_STYLE.match(n) for n in names) if m), None)
        style_depth = int(list_style.group(1)) if list_style and list_style.group(1) else 1
        if names and names[0].startswith("list continue"):
            para.continues = style_depth
            return
        numpr = ppr.find(f"{W}numPr") if ppr is not None else None
        num_id_el = numpr.find(f"{W}numId") if numpr is not None else None
        if num_id_el is None:
            num_id_el = self.styles.first(para.style, f"{W}pPr/{W}numPr/{W}numId")
        ilvl_el = numpr.find(f"{W}ilvl") if numpr is not None else None
        if ilvl_el is None:
            ilvl_el = self.styles.first(para.style, f"{W}pPr/{W}numPr/{W}ilvl")
        num_id = num_id_el.get(f"{W}val", "0") if num_id_el is not None else "0"
        ilvl = min(max(_int(ilvl_el.get(f"{W}val") if ilvl_el is not None else None, 0), 0), 8)
        numbered = self.numbering.level(num_id, ilvl) if num_id != "0" else None
        if numbered is None:
            if para.role == "body" and ppr is not None and _indent(ppr) >= INDENTED_QUOTE_TWIPS:
                para.role = "quote"
            return
        fmt, start = numbered
        para.list_depth = ilvl + style_depth
        para.ordered = fmt != "bullet"
        para.list_key = num_id
        key = (num_id, ilvl)
        for other in [k for k in self.counters if k[0] == num_id and k[1] > ilvl]:
            del self.counters[other]  # a shallower item restarts the deeper levels
        para.start = start + self.counters.get(key, 0)
        self.counters[key] = self.counters.get(key, 0) + 1

    # --- inlines -----------------------------------------------------------------------------------------

    def _inline_children(self, parent: Any, para: _Para, marks: frozenset[str], link: tuple[str, str] | None,
                         change: Change | None) -> None:
        for child in parent:
            tag = child.tag
            if not isinstance(tag, str):
                continue
            if tag == f"{W}r":
                self._run(child, para, marks, link, change)
            elif tag == f"{W}hyperlink":
                target = ""
                rel_id = child.get(f"{R}id")
                rels = self._rels()
                if rel_id and rel_id in rels and rels[rel_id].external:
                    target = rels[rel_id].target
                self._inline_children(child, para, marks, (target, child.get(f"{W}tooltip", "")) if target else link,
                                      change)
            elif tag in (f"{W}ins", f"{W}moveTo", f"{W}del", f"{W}moveFrom"):
                kind = "insertion" if tag in (f"{W}ins", f"{W}moveTo") else "deletion"
                if (self.mode == "accept" and kind == "deletion") or (self.mode == "reject" and kind == "insertion"):
                    continue
                found = Change(kind, child.get(f"{W}author", ""), child.get(f"{W}date", "")) \
                    if self.mode == "all" else change
                self._inline_children(child, para, marks, link, found)
            elif tag == f"{W}fldSimple":
                target = _hyperlink_field(child.get(f"{W}instr", ""))
                self._inline_children(child, para, marks, (target, "") if target else link, change)
            elif tag in (f"{W}smartTag", f"{W}customXml", f"{W}sdtContent", f"{W}dir",
                         f"{W}bdo"):
                self._inline_children(child, para, marks, link, change)
            elif tag == f"{W}sdt":
                content = child.find(f"{W}sdtContent")
                if content is not None:
                    self._inline_children(content, para, marks, link, change)
            elif tag == f"{MC}AlternateContent":
                choice = child.find(f"{MC}Fallback")
                if choice is not None:
                    self._inline_children(choice, para, marks, link, change)
            elif tag == f"{W}commentRangeStart":
                comment_id = child.get(f"{W}id", "")
                if comment_id not in self.all_comments.replies:
                    self.active.append(comment_id)
            elif tag == f"{W}commentRangeEnd":
                comment_id = child.get(f"{W}id", "")
                if comment_id in self.active:
                    self.active.remove(comment_id)
            elif tag in (f"{M}oMath", f"{M}oMathPara"):
                self._drop(para.number, "".join(child.itertext())[:80], "an equation, which the model cannot hold")

    def _rels(self) -> dict[str, Any]:
        if self.part == self.package.main:
            return self.rels
        if self.part not in self.note_parts:
            self.note_parts[self.part] = self.package.related(self.part)
        return self.note_parts[self.part]

    def _run(self, r: Any, para: _Para, marks: frozenset[str], link: tuple[str, str] | None,
             change: Change | None) -> None:
        rpr = r.find(f"{W}rPr")
        if self.mode == "reject" and rpr is not None and rpr.find(f"{W}rPrChange/{W}rPr") is not None:
            rpr = rpr.find(f"{W}rPrChange/{W}rPr")
        run_marks = set(marks)
        style = rpr.find(f"{W}rStyle") if rpr is not None else None
        style_id = style.get(f"{W}val", "") if style is not None else ""
        flags = self._run_flags(rpr, style_id)
        if flags.get("hidden"):
            return
        for name in ("strong", "emphasis", "code"):
            if flags.get(name):
                run_marks.add(name)
        frozen = frozenset(run_marks)
        raised = next((name for name in ("superscript", "subscript") if flags.get(name)), "")
        for child in r:
            tag = child.tag
            text = None
            if tag == f"{W}fldChar":  # a complex field: its result is what shows; a HYPERLINK field is a link
                kind = child.get(f"{W}fldCharType", "")
                if kind == "begin":
                    self.fields.append(["", ""])
                elif kind == "separate" and self.fields:
                    self.fields[-1][1] = _hyperlink_field(self.fields[-1][0])
                elif kind == "end" and self.fields:
                    self.fields.pop()
                continue
            if tag == f"{W}instrText" and self.fields:
                self.fields[-1][0] += child.text or ""
                continue
            if self.fields and self.fields[-1][1]:
                link = (self.fields[-1][1], "")
            if tag in (f"{W}t", f"{W}delText"):
                if tag == f"{W}delText" and self.mode == "accept":
                    continue
                text = child.text or ""
            elif tag == f"{W}tab" or tag == f"{W}ptab":
                text = "\t" if "code" in frozen or para.role == "code" else " "
            elif tag in (f"{W}br", f"{W}cr"):
                if child.get(f"{W}type", "textWrapping") == "textWrapping":
                    text = "\n"
            elif tag == f"{W}noBreakHyphen":
                text = "\u2011"
            elif tag == f"{W}sym":
                char = child.get(f"{W}char", "")
                try:
                    code = int(char, 16)
                    text = chr(code - 0xF000 if code >= 0xF000 else code)
                except ValueError:
                    text = None
            elif tag == f"{W}commentReference":
                para.spans.append(_Span("", reference=child.get(f"{W}id", "")))
                self.comment_lines.setdefault(child.get(f"{W}id", ""), para.number)
            elif tag in (f"{W}footnoteReference", f"{W}endnoteReference"):
                text = self._note(child, tag == f"{W}footnoteReference")
            elif tag == f"{W}drawing":
                self._drawing(child, para, link, change)
            elif tag in (f"{W}pict", f"{W}object"):
                if not self._text_box(child, para):
                    self._drop(para.number, "", "an embedded object or VML drawing, which the model cannot hold")
            elif tag == f"{MC}AlternateContent":
                drawing = child.find(f".//{W}drawing")
                if drawing is not None:
                    self._drawing(drawing, para, link, change)
                elif not self._text_box(child, para):
                    self._drop(para.number, "", "an embedded object or VML drawing, which the model cannot hold")
            if text and raised and all(ord(c) in SCRIPTS[raised] for c in text):  # "km²", "H₂O": the model has no
                text = text.translate(SCRIPTS[raised])  # superscript, and these characters read right everywhere
            if text:
                para.spans.append(_Span(text, frozen, link, change, self.active[0] if self.active else ""))

    def _run_flags(self, rpr: Any, style_id: str) -> dict[str, bool]:
        """strong, emphasis, code and hidden for a run: its own properties, then its character style's chain."""
        flags: dict[str, bool] = {}
        sources = [rpr] if rpr is not None else []
        sources += [s.element.find(f"{W}rPr") for s in self.styles.chain(style_id)]
        names = [n.lower() for n in self.styles.names(style_id)]
        for props in sources:
            if props is None:
                continue
            for flag, tags in (("strong", ("b",)), ("emphasis", ("i",)), ("hidden", ("vanish", "specVanish"))):
                if flag not in flags:
                    for tag in tags:
                        value = _on(props.find(f"{W}{tag}"))
                        if value is not None:
                            flags[flag] = value
                            break
            align = props.find(f"{W}vertAlign")
            if align is not None and "superscript" not in flags and "subscript" not in flags:
                value = align.get(f"{W}val", "")
                flags["superscript"], flags["subscript"] = value == "superscript", value == "subscript"
            if "code" not in flags:
                fonts = props.find(f"{W}rFonts")
                if fonts is not None and (fonts.get(f"{W}ascii") or fonts.get(f"{W}hAnsi")):
                    flags["code"] = bool(MONOSPACE.search(fonts.get(f"{W}ascii") or fonts.get(f"{W}hAnsi") or ""))
        if any(n in ("strong",) for n in names):
            flags.setdefault("strong", True)
        if any(n in ("emphasis",) for n in names):
            flags.setdefault("emphasis", True)
        if any(n in ("verbatim char", "html code", "source code char", "code char") for n in names):
            flags["code"] = True
        return flags

    def _note(self, ref: Any, footnote: bool) -> str:
        """A footnote or endnote reference: its number in the text; the note's paragraphs kept for the end."""
        kind = "footnotes" if footnote else "endnotes"
        part = part_related(self.package, self.package.main, kind)
        if part is None:
            return ""
        notes = self.note_parts.setdefault(f"xml:{part}", {})
        if not notes:
            root = self.package.xml(part)
            for note in (root if root is not None else []):
                notes[note.get(f"{W}id", "")] = note
        note = notes.get(ref.get(f"{W}id", ""))
        if note is None:
            return ""
        number = len(self.notes) + 1
        saved, saved_number, saved_counters = self.part, self.paragraph_number, self.counters
        self.part, self.counters = part, {}
        paras = [p for p in self._container(note) if isinstance(p, _Para)]
        self.part, self.paragraph_number, self.counters = saved, saved_number, saved_counters
        self.notes.append((number, paras))
        return f"[{number}]"

    def _text_box(self, holder: Any, para: _Para) -> bool:
        """A text box's paragraphs, as blocks after the paragraph that anchors it; False when there is none."""
        box = holder.find(f".//{W}txbxContent")
        if box is None:
            return False
        saved = self.active
        self.active = []
        inner, _ = self._group(self._container(box))
        self.active = saved
        para.figures.extend(inner)
        return True

    def _drawing(self, drawing: Any, para: _Para, link: tuple[str, str] | None = None,
                 change: Change | None = None) -> None:
        """A picture, its bytes checked and kept as a data: URI, alt text and title from wp:docPr: an image in the line
        of text (a figure once the paragraph turns out to hold nothing else)."""
        doc_pr = drawing.find(f".//{WP}docPr")
        alt = (doc_pr.get("descr") or doc_pr.get("title") or "") if doc_pr is not None else ""
        blip = drawing.find(f".//{A}blip")
        if blip is None:
            if not self._text_box(drawing, para):
                self._drop(para.number, alt, "a drawing that is not a picture (a chart or shape)")
            return
        rel_id = blip.get(f"{R}embed") or blip.get(f"{R}link") or ""
        rel = self._rels().get(rel_id)
        if rel is None or rel.external or not self.package.has(rel.target):
            self._drop(para.number, alt, "an image linked from outside the document, which is not fetched")
            return
        data = self.package.read(rel.target)
        try:
            media_type, _, _ = inspect_image(data, rel.target)
        except ResourceError as exc:
            if "use PNG, JPEG or GIF" in exc.message:
                self._drop(para.number, alt, f"an image in a format publish does not show ({exc.message})")
                return
            raise InputError(exc.message, path=self.source.name, line=para.number) from None
        src = f"data:{media_type};base64,{base64.b64encode(data).decode('ascii')}"
        title = doc_pr.get("title", "") if doc_pr is not None else ""
        image = model.Image(src, (doc_pr.get("descr") or "") if doc_pr is not None else "", title)
        para.spans.append(_Span("", link=link, change=change, comment=self.active[0] if self.active else "",
                                image=image))

    # --- tables ------------------------------------------------------------------------------------------

    def _table(self, tbl: Any) -> model.Table | None:
        rows: list[list[model.Cell]] = []
        aligns: list[str] = []
        for tr in tbl.iterfind(f"{W}tr"):
            if self.mode == "accept" and tr.find(f"{W}trPr/{W}del") is not None:
                continue
            if self.mode == "reject" and tr.find(f"{W}trPr/{W}ins") is not None:
                continue
            cells: list[model.Cell] = []
            for tc in tr.iterfind(f"{W}tc"):
                span = _int(tc.find(f"{W}tcPr/{W}gridSpan").get(f"{W}val") if tc.find(f"{W}tcPr/{W}gridSpan")
                            is not None else None, 1)
                content: list[model.Inline] = []
                for item in self._container(tc):
                    if isinstance(item, _Para):
                        para = item
                        inlines = self._inlines(para.spans)
                    elif isinstance(item, model.Table):  # a table in a cell: its cells' text, line by line
                        self.inferred.append(Inferred(self.paragraph_number, "", "a table inside a table cell, "
                                                      "kept as lines of the cell's text"))
                        inlines = tuple(_merged([node for row in (item.header, *item.rows) for cell in row
                                                 for node in (*cell, model.LineBreak()) if cell]))[:-1]
                    else:
                        continue
                    if inlines and content:
                        content.append(model.LineBreak())
                    content.extend(inlines)
                    if not isinstance(item, _Para):
                        continue
                    for figure in para.figures:
                        self._drop(para.number, figure.alt if isinstance(figure, model.Figure) else "",
                                   "an image or text box inside a table cell")
                if not rows:
                    jc = next((p.find(f"{W}pPr/{W}jc") for p in tc.iterfind(f"{W}p")
                               if p.find(f"{W}pPr/{W}jc") is not None), None)
                    value = jc.get(f"{W}val", "") if jc is not None else ""
                    aligns.extend([{"left": "left", "start": "left", "center": "center", "right": "right",
                                    "end": "right"}.get(value, "")] * span)
                cells.append(_trimmed(tuple(content)))
                cells.extend([()] * (span - 1))
            rows.append(cells)
        if not rows:
            return None
        width = max(len(row) for row in rows)
        rows = [row + [()] * (width - len(row)) for row in rows]
        header = rows[0]  # the repeated header row (w:tblHeader), else the first; further header rows are body rows
        align = tuple((aligns + [""] * width)[:width])
        return model.Table(tuple(header), tuple(tuple(r) for r in rows[1:]), align if any(align) else ())

    # --- grouping paragraphs into blocks -----------------------------------------------------------------

    def _group(self, items: Sequence[_Para | model.Block]) -> tuple[list[model.Block], dict[str, list[_Para]]]:
        """Blocks from paragraphs: quotes, code, lists, figures with captions; front matter set aside."""
        blocks: list[model.Block] = []
        front: dict[str, list[_Para]] = {}
        pending_caption: tuple[model.Inline, ...] = ()  # a Caption paragraph waiting for the table after it
        index = 0
        while index < len(items):
            item = items[index]
            index += 1
            if not isinstance(item, _Para):
                if isinstance(item, model.Table) and pending_caption:
                    item = dataclasses.replace(item, caption=pending_caption)
                pending_caption = ()
                blocks.append(item)
                continue
            para = item
            inlines = _trimmed(self._inlines(para.spans))
            if para.role in ("title", "subtitle", "byline", "dateline"):
                if inlines:
                    front.setdefault(para.role, []).append(para)
                self._figures(para, blocks)
                continue
            if para.role in ("original", "rights"):  # the story's furniture, as publish writes it: metadata
                if inlines:
                    links_in = [n for n in model.iter_inlines(tuple(inlines)) if isinstance(n, model.Link)]
                    self.furniture.setdefault(para.role, links_in[0].url if para.role == "original" and links_in
                                              else _plain(inlines))
                    self.inferred.append(Inferred(para.number, _plain(inlines), f"{para.role} line (metadata)"))
                continue
            if para.role.startswith("press"):  # metadata: the end mark, notes and contacts, corrections
                if para.role == "press-note" and inlines:
                    self.notes_to_editors.append(_plain(inlines))
                if inlines:
                    self.inferred.append(Inferred(para.number, _plain(inlines), "press release furniture (metadata)"))
                continue
            if para.role == "toc":
                if inlines:
                    self._drop(para.number, _plain(inlines), "a table of contents entry")
                continue
            if para.role == "rule":
                blocks.append(model.Rule())
                continue
            if para.list_depth or (para.continues and _in_list(blocks)):
                index = self._list(items, index - 1, blocks)
                continue
            if para.role == "heading":
                if inlines:
                    blocks.append(model.Heading(min(max(para.level, 1), 6), inlines))
                self._figures(para, blocks)
                continue
            if para.role == "code":
                lines = [_text(para.spans)]
                while index < len(items) and isinstance(items[index], _Para) and items[index].role == "code":  # type: ignore[union-attr]
                    lines.append(_text(items[index].spans))  # type: ignore[union-attr]
                    index += 1
                text = "\n".join(lines).strip("\n")
                if text.strip():
                    blocks.append(model.CodeBlock(text))
                continue
            if para.role == "quote":
                quoted: list[model.Block] = [model.Paragraph(inlines)] if inlines else []
                self._figures(para, quoted)
                while index < len(items) and isinstance(items[index], _Para) and items[index].role == "quote":  # type: ignore[union-attr]
                    more = _trimmed(self._inlines(items[index].spans))  # type: ignore[union-attr]
                    if more:
                        quoted.append(model.Paragraph(more))
                    self._figures(items[index], quoted)  # type: ignore[arg-type]
                    index += 1
                attribution: tuple[model.Inline, ...] = ()
                if index < len(items) and isinstance(items[index], _Para) and items[index].role == "attribution":  # type: ignore[union-attr]
                    attribution = _trimmed(self._inlines(items[index].spans))  # type: ignore[union-attr]
                    index += 1
                if quoted:
                    blocks.append(model.BlockQuote(tuple(quoted), attribution))
                continue
            if para.role == "caption" and inlines:
                last = blocks[-1] if blocks else None
                if isinstance(last, model.Figure) and not last.caption:
                    blocks[-1] = dataclasses.replace(last, caption=inlines)
                    continue
                next_item = items[index] if index < len(items) else None
                if isinstance(next_item, model.Table) and not next_item.caption:
                    pending_caption = inlines
                    continue
            if para.role == "credit" and inlines:
                last = blocks[-1] if blocks else None
                if isinstance(last, model.Figure) and not last.credit:
                    blocks[-1] = dataclasses.replace(last, credit=_plain(inlines))
                    continue
            if inlines:
                blocks.append(model.Paragraph(inlines))
            self._figures(para, blocks)
        return blocks, front

    def _figures(self, para: _Para, blocks: list[model.Block]) -> None:
        blocks.extend(para.figures)

    def _list(self, items: Sequence[_Para | model.Block], index: int, blocks: list[model.Block]) -> int:
        """Read a run of list paragraphs starting at `index` into (nested) lists; the index after them."""
        entries: list[_Para] = []
        while index < len(items):
            item = items[index]
            if not isinstance(item, _Para) or not (item.list_depth or item.continues):
                break
            entries.append(item)
            index += 1
        position = 0
        while position < len(entries):
            if not entries[position].list_depth:  # a continuation with no item before it
                inlines = _trimmed(self._inlines(entries[position].spans))
                if inlines:
                    blocks.append(model.Paragraph(inlines))
                position += 1
                continue
            block, position = self._build_list(entries, position, entries[position].list_depth)
            blocks.append(block)
        return index

    def _build_list(self, entries: list[_Para], position: int, depth: int) -> tuple[model.Block, int]:
        first = entries[position]
        ordered, key = first.ordered, first.list_key
        items: list[list[model.Block]] = []
        while position < len(entries):
            entry = entries[position]
            if entry.list_depth and entry.list_depth < depth:
                break
            if entry.continues and entry.continues < depth:
                break
            if entry.list_depth == depth:
                if items and (entry.ordered != ordered or entry.list_key != key):
                    break
                inlines = _trimmed(self._inlines(entry.spans))
                items.append([model.Paragraph(inlines)] if inlines else [])
                items[-1].extend(entry.figures)
                position += 1
            elif entry.list_depth > depth:
                nested, position = self._build_list(entries, position, entry.list_depth)
                if not items:
                    items.append([])
                items[-1].append(nested)
            else:  # a continuation paragraph of this level's current item
                inlines = _trimmed(self._inlines(entry.spans))
                if not items:
                    items.append([])
                if inlines:
                    items[-1].append(model.Paragraph(inlines))
                items[-1].extend(entry.figures)
                position += 1
        item_blocks = tuple(tuple(item) for item in items)
        if ordered:
            return model.OrderedList(item_blocks, first.start), position
        return model.BulletList(item_blocks), position

    # --- metadata ----------------------------------------------------------------------------------------

    def _meta(self, front: dict[str, list[_Para]], blocks: list[model.Block]) -> tuple[model.Meta, list[model.Block]]:
        core = self._core()
        language = core.get("language") or self.styles.language or "en"
        labels = labels_for(language)
        texts: dict[str, str] = {}
        extras: list[model.Block] = []
        for role, paras in front.items():
            # a title set over several paragraphs in a row is one title; a later one is a paragraph of the body
            run = 1
            while run < len(paras) and paras[run].number == paras[run - 1].number + 1:
                run += 1
            texts[role] = " ".join(_plain(_trimmed(_inlines(p.spans))) for p in paras[:run])
            for extra in paras[run:]:
                extras.append(model.Paragraph(_trimmed(self._inlines(extra.spans))))
                self.inferred.append(Inferred(extra.number, _text(extra.spans),
                                              f"a second {role}, kept as a paragraph"))
        blocks[:0] = extras
        headline = texts.get("title", "")
        if headline:
            self.inferred.append(Inferred(front["title"][0].number, headline, "headline"))
        elif blocks and isinstance(blocks[0], model.Heading):
            headline = _plain(blocks.pop(0).content)  # type: ignore[union-attr]
            self.inferred.append(Inferred(1, headline, "headline (the first heading; there is no Title paragraph)"))
        elif core.get("title"):
            headline = core["title"]
            self.inferred.append(Inferred(0, headline, "headline (from the document's title property)"))
        else:
            headline = re.sub(r"\.docx$", "", self.source.name.rsplit("/", 1)[-1], flags=re.IGNORECASE)
            self.inferred.append(Inferred(0, headline, "headline (the file name; the document has no title)"))
        authors: tuple[str, ...] = ()
        byline = texts.get("byline", "")
        if byline:
            before, after = labels.byline_parts()
            names = byline.removeprefix(before.rstrip()).removesuffix(after.lstrip()).strip(" :")
            pieces = re.split("|".join(re.escape(s) for s in {labels.comma, labels.and_, " and "} if s.strip() or s),
                              names)
            authors = tuple(p.strip() for p in pieces if p.strip())
        elif core.get("creator"):
            authors = tuple(a.strip() for a in re.split(r";", core["creator"]) if a.strip())
        dateline = texts.get("dateline", "")
        first = dateline.split(labels.separator.strip())[0].strip() if dateline else ""
        place = "" if any(ch.isdigit() for ch in first) else first  # "KARACHI · 12 June 2024": a date has digits
        lede = next((b for b in blocks[:1] if isinstance(b, model.Paragraph)), None)
        opening = LEDE_DATELINE.match(plain(lede.content)) if dateline and lede is not None else None
        if opening and not dateline.casefold().startswith(opening.group(1).casefold()):
            place = opening.group(1)  # the header printed the date alone: the lede opens with the place
            self.inferred.append(Inferred(1, place, "dateline (the place the first paragraph opens with)"))
        keywords = tuple(k.strip() for k in re.split(r"[,;]", core.get("keywords", "")) if k.strip())
        meta = model.Meta(headline=headline, dek=texts.get("subtitle", ""), authors=authors,
                          url=self.furniture.get("original", ""), rights=self.furniture.get("rights", ""),
                          dateline=place, language=language,
                          keywords=keywords, summary=core.get("description", ""), source=core.get("category", ""),
                          identifier=core.get("identifier", ""),
                          notes_to_editors=tuple(" ".join(n.split()) for n in self.notes_to_editors if n.strip()))
        original = self.original
        if original is not None:
            meta = _restore_meta(meta, original, texts, core)
        if meta.identifier and meta.identifier == dataclasses.replace(meta, identifier="").uid:
            meta = dataclasses.replace(meta, identifier="")  # only the one publish derives anyway
        return meta, blocks

    def _core(self) -> dict[str, str]:
        part = next((r.target for r in self.package.relationships("") if r.kind == "core-properties"), None)
        root = self.package.xml(part) if part else None
        found: dict[str, str] = {}
        if root is None:
            return found
        for prefix, names in (("dc", ("title", "creator", "language", "description", "identifier", "subject")),
                              ("cp", ("keywords", "category")), ("dcterms", ("created", "modified"))):
            for name in names:
                element = root.find(f"{{{CORE[prefix]}}}{name}")
                if element is not None and (element.text or "").strip():
                    found[name] = element.text.strip()
        return found

    @functools.cached_property
    def original(self) -> model.Article | None:
        """The model a publish-made DOCX carries in its custom XML part, or None (or when it is not a valid one:
        an edited file is read from what it shows)."""
        for rel in self.package.relationships(self.package.main):
            if rel.kind != "customXml" or rel.external or not self.package.has(rel.target):
                continue
            root = self.package.xml(rel.target)
            if root is not None and root.tag == f"{{{MODEL_NAMESPACE}}}article":
                try:
                    return jsonform.loads(root.text or "", source=f"{self.source.name}:{rel.target}")
                except ModelError:
                    return None
        return None


PRESS_STYLES = {"embargo": "press", "end mark": "press", "press heading": "press", "note to editors": "press-note",
                "contact": "press", "correction": "press"}
"""The styles publish writes a press release's furniture in (the embargo in the header), by their role here."""
LEDE_DATELINE = re.compile(r"^\s*([^\W\d_][^\W\d_ .'’-]*(?:[ .'’-][^\W\d_][^\W\d_.'’-]*){0,3})\s*[—–:]\s")
"""A lede that opens with its dateline: "KARACHI — …", "کراچی: …" (up to four words, then a dash or colon)."""


def _restore_meta(meta: model.Meta, article: model.Article, texts: dict[str, str], core: dict[str, str],
                  ) -> model.Meta:
    """The original's metadata wherever the document still shows what publish wrote from it (its exact dates,
    identifier and fields Word has no place for); what an editor changed is read from the document."""
    original = article.meta
    furniture = present.article(original, lede_has_place=lede_has_dateline(article))  # as the DOCX writer prints it
    labels, dateline = furniture.labels, furniture.dateline_text
    changes: dict[str, Any] = {"url": original.url, "rights": original.rights, "embargo": original.embargo,
                               "contacts": original.contacts, "ends": original.ends,
                               "corrections": original.corrections}
    if meta.notes_to_editors == original.notes_to_editors or not meta.notes_to_editors:
        changes["notes_to_editors"] = original.notes_to_editors
    if texts.get("dateline", "") == dateline:
        changes.update(dateline=original.dateline, published=original.published, updated=original.updated)
    if texts.get("byline", "") == labels.byline_text(original.authors):
        changes["authors"] = original.authors
    if core.get("keywords", "") == ", ".join(original.keywords):
        changes["keywords"] = original.keywords
    if core.get("identifier", "") == original.uid:
        changes["identifier"] = original.identifier
    if meta.language == original.language and core.get("description", "") == original.summary[:255].strip():
        changes["summary"] = original.summary
    return dataclasses.replace(meta, **changes)


@dataclass
class _Comments:
    """The comments part and its threads (commentsExtended.xml): comments as model inlines, each emitted once."""

    found: dict[str, model.Comment] = field(default_factory=dict)
    """Top-level comments by id, replies attached."""
    replies: set[str] = field(default_factory=set)
    """Ids of comments that are replies (their ranges are their parent's)."""
    emitted: set[str] = field(default_factory=set)
    """Ids already placed in the model."""

    def cover(self, comment_id: str, inner: list[model.Inline]) -> list[model.Inline]:
        comment = self.found.get(comment_id)
        if comment is None or comment_id in self.emitted:
            return inner
        self.emitted.add(comment_id)
        return [dataclasses.replace(comment, content=tuple(_merged(inner)))]

    def point(self, comment_id: str) -> list[model.Inline]:
        return self.cover(comment_id, []) if comment_id not in self.replies else []


def _read_comments(package: Package, main: str) -> _Comments:
    """Comments with author, initials, date and text; replies and resolved state from commentsExtended.xml."""
    comments = _Comments()
    root = package.xml(part_related(package, main, "comments"))
    if root is None:
        return comments
    threads: dict[str, tuple[str, bool]] = {}
    extended = package.xml(part_related(package, main, "commentsExtended"))
    for entry in (extended.iter(f"{W15}commentEx") if extended is not None else ()):
        threads[entry.get(f"{W15}paraId", "")] = (entry.get(f"{W15}paraIdParent", ""),
                                                  entry.get(f"{W15}done", "0") in ("1", "true"))
    by_para: dict[str, str] = {}
    parents: dict[str, str] = {}
    resolved: dict[str, bool] = {}
    records: dict[str, tuple[str, str, str, str]] = {}
    for element in root.iter(f"{W}comment"):
        comment_id = element.get(f"{W}id", "")
        paragraphs = element.findall(f".//{W}p")
        text = "\n".join("".join(t.text or "" for t in p.iter(f"{W}t")) for p in paragraphs).strip()
        records[comment_id] = (text, element.get(f"{W}author", ""), element.get(f"{W}initials", ""),
                               element.get(f"{W}date", ""))
        para_id = paragraphs[-1].get(f"{W14}paraId", "") if paragraphs else ""
        if para_id:
            by_para[para_id] = comment_id
            parent, done = threads.get(para_id, ("", False))
            resolved[comment_id] = done
            if parent:
                parents[comment_id] = parent
    for comment_id, (text, author, initials, date) in records.items():
        if comment_id in parents and parents[comment_id] in by_para:
            comments.replies.add(comment_id)
            continue
        comments.found[comment_id] = model.Comment((), text, author, initials, date, resolved.get(comment_id, False))
    for comment_id in sorted(comments.replies, key=lambda c: _int(c, 0)):
        root_id = by_para[parents[comment_id]]
        seen = {comment_id}
        while root_id in comments.replies and root_id not in seen:  # a reply to a reply: the thread's first
            seen.add(root_id)
            root_id = by_para.get(parents.get(root_id, ""), root_id)
        if root_id in comments.found:
            text, author, initials, date = records[comment_id]
            parent_comment = comments.found[root_id]
            comments.found[root_id] = dataclasses.replace(
                parent_comment, replies=(*parent_comment.replies, model.Reply(text, author, initials, date)))
    return comments


def _with_language(block: model.Block, languages: dict[str, str]) -> model.Block:
    """A code block whose text is unchanged from the original gets the original's language back (Word has no
    place for it); so do those inside quotes and lists."""
    def restored(node: model.Block) -> tuple[model.Block, ...]:
        if isinstance(node, model.CodeBlock) and not node.language and node.text in languages:
            return (dataclasses.replace(node, language=languages[node.text]),)
        return (node,)

    (mapped,) = model.map_blocks((block,), restored)
    return mapped


def _in_list(blocks: list[model.Block]) -> bool:
    return bool(blocks) and isinstance(blocks[-1], (model.BulletList, model.OrderedList))


def _indent(ppr: Any) -> int:
    ind = ppr.find(f"{W}ind")
    if ind is None:
        return 0
    left = _int(ind.get(f"{W}left") or ind.get(f"{W}start"), 0)
    hanging = _int(ind.get(f"{W}hanging"), 0)
    return left - hanging




def _text(spans: list[_Span]) -> str:
    return "".join(s.text for s in spans)


def _plain(inlines: tuple[model.Inline, ...] | list[model.Inline]) -> str:
    from publish.model.text import plain

    return plain(inlines)


MARK_TYPES: dict[str, Any] = {"strong": model.Strong, "emphasis": model.Emphasis}


def _inlines(spans: list[_Span], comments: _Comments | None = None) -> tuple[model.Inline, ...]:
    """Spans as nested inlines: comments outermost, then tracked changes, then links, then strong and emphasis,
    code innermost. Without `comments` (accepted or rejected text) comment ranges are ignored."""
    if comments is None:
        return _changed([s for s in spans if not s.reference])
    out: list[model.Inline] = []
    index = 0
    while index < len(spans):
        span = spans[index]
        if span.reference:
            out.extend(comments.point(span.reference))
            index += 1
            continue
        end = index + 1
        while end < len(spans) and spans[end].comment == span.comment and not spans[end].reference:
            end += 1
        inner = list(_changed(spans[index:end]))
        out.extend(comments.cover(span.comment, inner) if span.comment else inner)
        index = end
    return tuple(_merged(out))


def _changed(spans: list[_Span]) -> tuple[model.Inline, ...]:
    out: list[model.Inline] = []
    index = 0
    while index < len(spans):
        span = spans[index]
        end = index + 1
        while end < len(spans) and spans[end].change == span.change:
            end += 1
        group = spans[index:end]
        inner = _linked(group)
        out.extend(_wrap_change(span.change, inner))
        index = end
    return tuple(_merged(out))


def _wrap_change(change: Change | None, inner: list[model.Inline]) -> list[model.Inline]:
    if change is None:
        return inner
    wrapper = model.Insertion if change.kind == "insertion" else model.Deletion
    return [wrapper(tuple(inner), author=change.author, date=change.date)]


def _linked(spans: list[_Span]) -> list[model.Inline]:
    out: list[model.Inline] = []
    index = 0
    while index < len(spans):
        link = spans[index].link
        end = index + 1
        while end < len(spans) and spans[end].link == link:
            end += 1
        inner = _marked(spans[index:end])
        out.extend([model.Link(tuple(inner), link[0], link[1])] if link else inner)
        index = end
    return out


def _marked(spans: list[_Span]) -> list[model.Inline]:
    out: list[model.Inline] = []
    index = 0
    while index < len(spans):
        span = spans[index]
        best, best_end = "", index + 1
        for mark in ("strong", "emphasis"):
            if mark in span.marks:
                end = index
                while end < len(spans) and mark in spans[end].marks:
                    end += 1
                if end > best_end or not best:
                    best, best_end = mark, end
        if not best:
            out.extend(_leaves(span))
            index += 1
            continue
        inner = [dataclasses.replace(s, marks=s.marks - {best}) for s in spans[index:best_end]]
        out.append(MARK_TYPES[best](tuple(_merged(_marked(inner)))))
        index = best_end
    return _merged(out)


def _leaves(span: _Span) -> list[model.Inline]:
    if span.image is not None:
        return [span.image]
    out: list[model.Inline] = []
    for piece in re.split(r"(\n)", span.text):
        if piece == "\n":
            out.append(model.LineBreak())
        elif piece:
            out.append(model.Code(piece) if "code" in span.marks else model.Text(piece))
    return out


def _merged(inlines: list[model.Inline]) -> list[model.Inline]:
    """Adjacent text runs and adjacent identical marks joined (Word splits runs at every spell check)."""
    out: list[model.Inline] = []
    for node in inlines:
        last = out[-1] if out else None
        if isinstance(node, model.Text) and isinstance(last, model.Text):
            out[-1] = model.Text(last.text + node.text)
        elif isinstance(node, model.Code) and isinstance(last, model.Code):
            out[-1] = model.Code(last.text + node.text)
        elif type(node) is type(last) and isinstance(node, (model.Strong, model.Emphasis)):
            out[-1] = type(node)(tuple(_merged([*last.content, *node.content])))  # type: ignore[union-attr]
        else:
            out.append(node)
    return out


def _trimmed(inlines: tuple[model.Inline, ...]) -> tuple[model.Inline, ...]:
    """Leading and trailing spaces and line breaks of a paragraph removed (they show nothing)."""
    items = list(inlines)
    while items and isinstance(items[0], model.LineBreak):
        items.pop(0)
    while items and isinstance(items[-1], model.LineBreak):
        items.pop()
    if items and isinstance(items[0], model.Text):
        items[0] = model.Text(items[0].text.lstrip())
        if not items[0].text:
            items.pop(0)
    if items and isinstance(items[-1], model.Text):
        items[-1] = model.Text(items[-1].text.rstrip())
        if not items[-1].text:
            items.pop()
    if not any(shown([i]).strip() or isinstance(i, (model.Comment, model.Image)) for i in items):
        return ()
    return tuple(items)


def read(source: Source) -> Reading:
    """Read a Word document; tracked changes as `source.track_changes` says (accept by default)."""
    mode = source.track_changes
    if mode not in TRACK_CHANGES:
        raise InputError(f"unknown --track-changes {mode!r}; use {', '.join(TRACK_CHANGES)}", path=source.name)
    package = Package(source.data, source.name)
    return _Reader(package, source, mode).read()

