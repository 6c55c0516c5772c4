"""The PDF conformance levels a build can claim (WeasyPrint's PDF variants) and how each is declared in XMP."""

from __future__ import annotations

from dataclasses import dataclass

from publish.errors import FormatError


@dataclass(frozen=True, slots=True)
class PdfVariant:
    """A PDF standard and level, as WeasyPrint names it and as the XMP metadata declares it."""

    name: str
    """WeasyPrint's name, given to --pdf-variant: "pdf/a-3b", "pdf/ua-1"."""
    family: str
    """"a" (PDF/A, archiving) or "ua" (PDF/UA, universal accessibility)."""
    part: int
    """The part of the standard: pdfaid:part or pdfuaid:part."""
    conformance: str
    """PDF/A's level letter (pdfaid:conformance: "B", "U", "A", "E", "F"); empty for PDF/UA."""
    tagged: bool
    """Whether the standard requires a tagged PDF (a structure tree and MarkInfo)."""
    summary: str
    """One line for --help and reports."""

    @property
    def label(self) -> str:
        """The standard's own spelling: "PDF/A-3b", "PDF/UA-1"."""
        return f"PDF/{self.family.upper()}-{self.part}{self.conformance.lower()}"


PDF_VARIANTS: dict[str, PdfVariant] = {v.name: v for v in (
    PdfVariant("pdf/a-1b", "a", 1, "B", False, "PDF/A-1b, archival (visual appearance)"),
    PdfVariant("pdf/a-2b", "a", 2, "B", False, "PDF/A-2b, archival (visual appearance)"),
    PdfVariant("pdf/a-3b", "a", 3, "B", False, "PDF/A-3b, archival (visual appearance), attachments allowed"),
    PdfVariant("pdf/a-2u", "a", 2, "U", False, "PDF/A-2u, archival with Unicode text"),
    PdfVariant("pdf/a-3u", "a", 3, "U", False, "PDF/A-3u, archival with Unicode text"),
    PdfVariant("pdf/a-4u", "a", 4, "U", False, "PDF/A-4, archival (PDF 2.0)"),
    PdfVariant("pdf/a-2a", "a", 2, "A", True, "PDF/A-2a, archival and tagged"),
    PdfVariant("pdf/a-3a", "a", 3, "A", True, "PDF/A-3a, archival and tagged"),
    PdfVariant("pdf/ua-1", "ua", 1, "", True, "PDF/UA-1, accessible (tagged, titled, language set)"),
    PdfVariant("pdf/ua-2", "ua", 2, "", True, "PDF/UA-2, accessible (PDF 2.0)"),
)}


def pdf_variant(name: str) -> PdfVariant | None:
    """The variant named (case-insensitive), None for "" or "none"; FormatError listing the known ones otherwise."""
    key = name.strip().lower()
    if key in ("", "none"):
        return None
    if key not in PDF_VARIANTS:
        raise FormatError(f"unknown PDF variant {name!r}; known: {', '.join(PDF_VARIANTS)}")
    return PDF_VARIANTS[key]
