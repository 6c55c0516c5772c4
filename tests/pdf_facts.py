"""What a reader of a PDF can observe, read back with pypdf: embedded fonts, fill colours, and where text sits."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from typing import Any

from pypdf import PdfReader

PX = 0.75
"""WeasyPrint draws in CSS pixels, scaled to points by its page matrix."""


@dataclass(frozen=True)
class Run:
    """A piece of text as drawn: its page (from 0), size in points, position in points from the top left, font."""

    text: str
    page: int
    size: float
    x: float
    y: float
    font: str = ""


def reader(data: bytes) -> PdfReader:
    return PdfReader(io.BytesIO(data))


def fonts(pdf: PdfReader) -> dict[str, bool]:
    """Every font the pages use, by name without the subset prefix, and whether its file is embedded."""
    out: dict[str, bool] = {}
    for page in pdf.pages:
        for ref in page["/Resources"]["/Font"].values():
            font = ref.get_object()
            descriptor = font["/DescendantFonts"][0].get_object()["/FontDescriptor"]
            name = str(font["/BaseFont"]).lstrip("/").split("+", 1)[-1]
            out[name] = any(key in descriptor for key in ("/FontFile", "/FontFile2", "/FontFile3"))
    return out


def fill_colours(pdf: PdfReader) -> set[str]:
    """Every non-stroking RGB colour the pages set, as #rrggbb."""
    found: set[str] = set()
    for page in pdf.pages:
        data = page.get_contents().get_data()
        for rgb in re.findall(rb"([\d.]+) ([\d.]+) ([\d.]+) rg", data):
            found.add("#" + "".join(f"{round(float(v) * 255):02x}" for v in rgb))
    return found


def runs(pdf: PdfReader) -> list[Run]:
    """Every non-blank piece of text, in drawing order."""
    out: list[Run] = []
    for number, page in enumerate(pdf.pages):

        def visit(text: str, cm: list[float], tm: list[float], font: Any, size: float, number: int = number) -> None:
            if text.strip():  # WeasyPrint's page matrix flips y: the text matrix counts down from the top
                name = str(font.get("/BaseFont", "")).lstrip("/").split("+", 1)[-1] if font else ""
                out.append(Run(text.strip(), number, round(size * PX, 2), tm[4] * PX, tm[5] * PX, name))

        page.extract_text(visitor_text=visit)
    return out
