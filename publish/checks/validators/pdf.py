"""PDF checks: it parses (pypdf, strictly, and `qpdf --check` where installed), every font is embedded, the
metadata and bookmarks are there, a declared PDF/A or PDF/UA conformance is declared as asked, and a tagged PDF's
structure tree is what a screen reader needs (what can be checked without veraPDF: every figure has alternative
text, and the paragraphs and headings are in the tree in the order they are on the pages)."""

from __future__ import annotations

import io
import itertools
import shutil
from dataclasses import dataclass
from math import inf
from pathlib import Path
from typing import Any

from lxml import etree

from publish.checks.conformance import PDF_VARIANTS, PdfVariant
from publish.checks.validators import Finding, Inspection, Severity, run

XMP_IDS = {"a": "http://www.aiim.org/pdfa/ns/id/", "ua": "http://www.aiim.org/pdfua/ns/id/"}
EMBEDDED_FONT_KEYS = ("/FontFile", "/FontFile2", "/FontFile3")
MISREAD = {code: None for code in range(32) if chr(code) not in "\t\n"}
"""Control characters pypdf puts between the characters of some two-byte fonts (NUL most often): never text."""
EDGE = 1.0
"""How far (in points) outside the page a text run may start and still count as on it (rounding)."""
TEXT_ROLES = frozenset({"/P", "/H", "/H1", "/H2", "/H3", "/H4", "/H5", "/H6"})
"""The structure elements whose text a reader hears as the article's paragraphs and headings."""
MAX_DEPTH = 200
"""How deep a structure tree may nest before it counts as broken (a loop)."""


@dataclass(frozen=True, slots=True)
class StructureBlock:
    """A paragraph or heading of a tagged PDF's structure tree, with the text of its marked content."""

    role: str
    """The structure type without its slash: "P", "H1"..."""
    text: str
    """Its text, from the content it marks, whitespace collapsed."""
    position: tuple[int, int]
    """Where its first marked content is drawn: (page index, place in that page's drawing order)."""


def inspect(data: bytes, variant: PdfVariant | None) -> Inspection:
    """Parse the PDF and check its fonts, metadata, bookmarks and conformance declaration."""
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    found = Inspection()
    try:
        reader = PdfReader(io.BytesIO(data), strict=True)
        pages = list(reader.pages)
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, IndexError, RecursionError) as exc:
        found.error("parse", f"the PDF does not parse: {_reason(exc)} (truncated or damaged?)")
        return found
    found.facts["pages"] = len(pages)
    texts = [page_text(page) for page in pages]
    found.text = [text or "" for text in texts]
    found.facts["unread_pages"] = [number for number, text in enumerate(texts, 1) if text is None]
    if found.facts["unread_pages"]:
        found.info("text", f"pypdf cannot read the text of page {', '.join(map(str, found.facts['unread_pages']))}; "
                           "the parity check reads it with pdftotext (where installed)")
    if not pages:
        found.error("pages", "the PDF has no pages")
    _fonts(pages, found)
    _metadata(reader, found)
    _bookmarks(reader, found)
    _conformance(reader, variant, found)
    _structure(reader, found)
    return found


def structure_blocks(reader: Any) -> list[StructureBlock] | None:
    """The paragraphs and headings of a tagged PDF in the order of its structure tree (the order a screen reader
    reads them), each with its text; None when the PDF has no structure tree."""
    tree = reader.trailer["/Root"].get("/StructTreeRoot")
    if tree is None:
        return None
    pages = {page.indirect_reference.idnum: index for index, page in enumerate(reader.pages)
             if page.indirect_reference is not None}
    marked = [_marked_content(page) for page in reader.pages]
    blocks: list[StructureBlock] = []

    def content(kids: Any, page: int | None, depth: int) -> list[tuple[int, int]]:
        """The (page, MCID) pairs an element's kids mark, in order."""
        out: list[tuple[int, int]] = []
        for kid in kids if isinstance(kids, list) else [kids]:
            kid = kid.get_object() if hasattr(kid, "get_object") else kid
            if isinstance(kid, int):
                if page is not None:
                    out.append((page, kid))
            elif isinstance(kid, dict) and depth < MAX_DEPTH:
                where = _page_of(kid, pages, page)
                if kid.get("/Type") == "/MCR":
                    if where is not None and isinstance(kid.get("/MCID"), int):
                        out.append((where, int(kid["/MCID"])))
                elif kid.get("/Type") != "/OBJR":
                    out.extend(content(kid.get("/K", []), where, depth + 1))
        return out

    def visit(element: Any, page: int | None, depth: int) -> None:
        element = element.get_object() if hasattr(element, "get_object") else element
        if not isinstance(element, dict) or depth > MAX_DEPTH:
            return
        where = _page_of(element, pages, page)
        role = str(element.get("/S", ""))
        if role in TEXT_ROLES:
            ids = content(element.get("/K", []), where, depth)
            text = " ".join("".join(marked[p][0].get(m, "") for p, m in ids).split())
            if ids and text:
                first = min(ids, key=lambda pm: (pm[0], marked[pm[0]][1].get(pm[1], 0)))
                blocks.append(StructureBlock(role.lstrip("/"), text, (first[0], marked[first[0]][1].get(first[1], 0))))
            return
        kids = element.get("/K", [])
        for kid in kids if isinstance(kids, list) else [kids]:
            visit(kid, where, depth + 1)

    visit(tree, None, 0)
    return blocks


def figures_without_alt(reader: Any) -> int:
    """How many Figure elements of the structure tree have neither /Alt nor /ActualText."""
    tree = reader.trailer["/Root"].get("/StructTreeRoot")

    def count(element: Any, depth: int) -> int:
        element = element.get_object() if hasattr(element, "get_object") else element
        if isinstance(element, list):
            return sum(count(kid, depth) for kid in element)
        if not isinstance(element, dict) or depth > MAX_DEPTH or element.get("/Type") in ("/MCR", "/OBJR"):
            return 0
        missing = element.get("/S") == "/Figure" and not str(element.get("/Alt") or element.get("/ActualText")
                                                              or "").strip()
        return int(missing) + count(element.get("/K", []), depth + 1)

    return count(tree, 0) if tree is not None else 0


def _page_of(element: Any, pages: dict[int, int], inherited: int | None) -> int | None:
    """The page index an element's /Pg names, else the one it inherits."""
    page = element.get("/Pg")
    reference = getattr(page, "idnum", None)
    return pages.get(reference, inherited) if reference is not None else inherited


def _marked_content(page: Any) -> tuple[dict[int, str], dict[int, int]]:
    """A page's text by marked-content id (MCID), and the order in which each id is first drawn."""
    texts: dict[int, str] = {}
    order: dict[int, int] = {}
    stack: list[int | None] = []

    def before(operator: bytes, operands: Any, cm: Any, tm: Any) -> None:
        if operator == b"BDC":
            raw: Any = operands[1] if len(operands) > 1 else None
            properties = raw.get_object() if raw is not None and hasattr(raw, "get_object") else raw
            mcid = properties.get("/MCID") if isinstance(properties, dict) else None
            stack.append(int(mcid) if isinstance(mcid, int) else None)
            if isinstance(mcid, int):
                order.setdefault(int(mcid), len(order))
        elif operator == b"BMC":
            stack.append(None)
        elif operator == b"EMC" and stack:
            stack.pop()

    def text(value: str, cm: Any, tm: Any, font: Any, size: Any) -> None:
        current = next((mcid for mcid in reversed(stack) if mcid is not None), None)
        if current is not None:
            texts[current] = texts.get(current, "") + value

    try:
        page.extract_text(visitor_operand_before=before, visitor_text=text)
    except Exception:  # pypdf raises many kinds on content it cannot follow; the page then marks nothing
        return {}, {}
    return {mcid: value.translate(MISREAD) for mcid, value in texts.items()}, order


def _structure(reader: Any, found: Inspection) -> None:
    """A tagged PDF's structure tree: every figure described, and its paragraphs and headings in page order."""
    try:
        blocks = structure_blocks(reader)
        undescribed = figures_without_alt(reader)
    except Exception as exc:  # pypdf raises many kinds for a broken tree
        found.error("structure", f"the structure tree cannot be read: {_reason(exc)}")
        return
    if blocks is None:
        return
    found.facts["structure"] = {"blocks": len(blocks), "headings": sum(b.role.startswith("H") for b in blocks)}
    if undescribed:
        found.error("structure", f"{undescribed} figure(s) in the structure tree have no alternative text (/Alt)")
    if not blocks:
        found.error("structure", "the structure tree marks no paragraph or heading text")
    for before, after in itertools.pairwise(blocks):
        if after.position < before.position:
            found.error("structure", f"the structure tree reads {after.text[:60]!r} after {before.text[:60]!r}, "
                                     "but the page shows it before: a screen reader would read out of order",
                        f"page {after.position[0] + 1}")
            break


def page_text(page: Any) -> str | None:
    """The text of one page as pypdf reads it: only what is drawn inside the page (its crop box), so text that
    fell off the page counts as missing (where a run of text starts off the page; poppler's reading crops each
    character); NULs and other control characters pypdf puts between the characters of some fonts removed.
    None when pypdf gives up on the page (it raises on some content streams qpdf and poppler accept)."""
    try:
        box = page.cropbox
        left, bottom, right, top = (float(v) for v in (box.left, box.bottom, box.right, box.top))
    except Exception:  # a damaged box: read everything
        left, bottom, right, top = -inf, -inf, inf, inf
    parts: list[str] = []

    def visit(text: str, cm: Any, tm: Any, font: Any, size: Any) -> None:
        if not text.strip():
            parts.append(text)
            return
        x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
        y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
        inside = left - EDGE <= x <= right + EDGE and bottom - EDGE <= y <= top + EDGE
        parts.append(text if inside else " ")

    try:
        page.extract_text(visitor_text=visit)
    except Exception:  # pypdf raises many kinds (and RecursionError) on content it cannot follow
        return None
    return "".join(parts).translate(MISREAD)


def qpdf(path: Path) -> list[Finding]:
    """`qpdf --check`: the structure, cross-reference table and every stream decode; a note when not installed."""
    program = shutil.which("qpdf")
    if program is None:
        return [Finding("info", "qpdf", "qpdf is not installed; its structural check did not run "
                                        "(Debian: apt-get install qpdf)")]
    done = run([program, "--check", str(path)], "qpdf", timeout=120)
    if done.returncode == 0:
        return []
    severity: Severity = "warning" if done.returncode == 3 else "error"
    lines = [line.strip() for line in (done.stderr + "\n" + done.stdout).splitlines()
             if line.strip() and not line.startswith(("checking ", "PDF Version", "File is not", "No syntax"))]
    messages = [line.removeprefix("WARNING: ").removeprefix("qpdf: ").removeprefix(f"{path}: ") for line in lines]
    return [Finding(severity, "qpdf", message) for message in messages[:20]] \
        or [Finding(severity, "qpdf", f"qpdf --check exited with status {done.returncode}")]


def _fonts(pages: list[Any], found: Inspection) -> None:
    fonts: dict[str, bool] = {}
    for number, page in enumerate(pages, 1):
        for name, embedded in _page_fonts(page.get("/Resources"), depth=0):
            if not embedded and name not in fonts:
                found.error("fonts", f"font {name} is not embedded", f"page {number}")
            fonts.setdefault(name, embedded)
    found.facts["fonts"] = sorted(fonts)


def _page_fonts(resources: Any, depth: int) -> list[tuple[str, bool]]:
    """(name, embedded) for each font in a resource dictionary and the form XObjects it draws."""
    resources = resources.get_object() if resources is not None else None
    if not resources or depth > 8:
        return []
    out = []
    for font in (resources.get("/Font") or {}).values():
        font = font.get_object()
        name = str(font.get("/BaseFont", "(unnamed)")).lstrip("/")
        if font.get("/Subtype") == "/Type3":
            out.append((name, True))  # glyphs drawn by the PDF's own content streams
            continue
        descendant = font["/DescendantFonts"][0].get_object() if "/DescendantFonts" in font else font
        descriptor = descendant.get("/FontDescriptor")
        descriptor = descriptor.get_object() if descriptor is not None else {}
        out.append((name, any(key in descriptor for key in EMBEDDED_FONT_KEYS)))
    for xobject in (resources.get("/XObject") or {}).values():
        xobject = xobject.get_object()
        if xobject.get("/Subtype") == "/Form":
            out.extend(_page_fonts(xobject.get("/Resources"), depth + 1))
    return out


def _metadata(reader: Any, found: Inspection) -> None:
    info = reader.metadata or {}
    title = str(info.get("/Title") or "").strip()
    root = reader.trailer["/Root"]
    language = str(root.get("/Lang") or "").strip()
    found.facts["title"] = title
    found.facts["language"] = language
    found.facts["author"] = str(info.get("/Author") or "")
    found.facts["producer"] = str(info.get("/Producer") or "")
    if not title:
        found.error("metadata", "the PDF has no title in its document information (/Title)")
    if not language:
        found.error("metadata", "the PDF does not name its language (/Lang in the catalog)")
    if not str(info.get("/Creator") or info.get("/Producer") or "").strip():
        found.warning("metadata", "the PDF names no creator or producer")


def _bookmarks(reader: Any, found: Inspection) -> None:
    def count(items: list[Any]) -> int:
        return sum(count(item) if isinstance(item, list) else 1 for item in items)

    try:
        total = count(reader.outline)
    except Exception as exc:  # pypdf raises many kinds for a broken outline tree
        found.error("bookmarks", f"the bookmarks (outline) cannot be read: {_reason(exc)}")
        return
    found.facts["bookmarks"] = total
    if not total:
        found.error("bookmarks", "the PDF has no bookmarks (an outline of the headline and subheads)")


def declared_variant(reader: Any) -> tuple[PdfVariant | None, str]:
    """The conformance the XMP metadata declares (PDF/A or PDF/UA), and its description ("" for none)."""
    xmp = reader.trailer["/Root"].get("/Metadata")
    if xmp is None:
        return None, ""
    try:
        root = etree.fromstring(xmp.get_object().get_data(),
                                etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False))
    except etree.XMLSyntaxError:
        return None, "unreadable XMP metadata"
    declared: list[str] = []
    variant: PdfVariant | None = None
    for family, namespace in XMP_IDS.items():
        part = _xmp_value(root, namespace, "part")
        if not part:
            continue
        level = _xmp_value(root, namespace, "conformance").upper()
        label = f"PDF/{family.upper()}-{part}{level.lower()}"
        declared.append(label)
        match = next((v for v in PDF_VARIANTS.values()
                      if v.family == family and str(v.part) == part and v.conformance == level), None)
        variant = variant or match
    return variant, ", ".join(declared)


def _xmp_value(root: Any, namespace: str, name: str) -> str:
    """An XMP property written as an attribute of rdf:Description or as an element."""
    for element in root.iter():
        value = element.get(f"{{{namespace}}}{name}")
        if value:
            return str(value).strip()
    element = root.find(f".//{{{namespace}}}{name}")
    return (element.text or "").strip() if element is not None else ""


def _conformance(reader: Any, asked: PdfVariant | None, found: Inspection) -> None:
    variant, declared = declared_variant(reader)
    found.facts["conformance"] = declared
    if asked is not None and (variant is None or variant.name != asked.name):
        found.error("conformance", f"the PDF does not declare {asked.label} "
                                   f"(it declares {declared or 'no conformance'})")
    checked = asked or variant
    if checked is None:
        return
    root = reader.trailer["/Root"]
    if checked.family == "a" and not root.get("/OutputIntents"):
        found.error("conformance", f"{checked.label} needs an output intent (a colour profile); there is none")
    if checked.tagged:
        marked = (root.get("/MarkInfo") or {}).get("/Marked")
        if not root.get("/StructTreeRoot") or not marked:
            found.error("conformance", f"{checked.label} needs a tagged PDF (a structure tree, "
                                       "MarkInfo /Marked true); this one is not tagged")
    if checked.family == "ua":
        preferences = root.get("/ViewerPreferences") or {}
        if not preferences.get("/DisplayDocTitle"):
            found.error("conformance", "PDF/UA needs the viewer to show the document title "
                                       "(ViewerPreferences /DisplayDocTitle true)")


def _reason(exc: BaseException) -> str:
    return str(exc).strip() or type(exc).__name__
