"""PDF checks: it parses (pypdf, strictly, and `qpdf --check` where installed), every font is embedded, the
metadata and bookmarks are there, and a declared PDF/A or PDF/UA conformance is declared as asked."""

from __future__ import annotations

import io
import shutil
from math import inf
from pathlib import Path
from typing import Any

from lxml import etree

from publish.conformance import PDF_VARIANTS, PdfVariant
from publish.validators import Finding, Inspection, Severity, run

XMP_IDS = {"a": "http://www.aiim.org/pdfa/ns/id/", "ua": "http://www.aiim.org/pdfua/ns/id/"}
EMBEDDED_FONT_KEYS = ("/FontFile", "/FontFile2", "/FontFile3")
MISREAD = {code: None for code in range(32) if chr(code) not in "\t\n"}
"""Control characters pypdf puts between the characters of some two-byte fonts (NUL most often): never text."""
EDGE = 1.0
"""How far (in points) outside the page a text run may start and still count as on it (rounding)."""


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
    return found


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
