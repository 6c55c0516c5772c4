"""What a typesetter fixes after seeing the pages, for the PDF: WeasyPrint lays the document out, these functions
read the pages, and the PDF backend lays it out again when they asked for a change (at most twice).

- `unwanted_breaks`: words hyphenated where a typesetter would not (see publish.present.hyphenation);
- `fit_figures`: a figure pushed to the next page whose previous page would be left more than a fifth empty is
  scaled down to fit there, when that keeps at least `SMALLEST_SCALE` of its picture's height;
- `last_page_near_empty`: a last page holding a few lines only; the document is then laid out once more with the
  `COPYFIT` attribute on its last story (`copyfit_target`), which the print CSS sets a little tighter (type, leading
  and spacing a few per cent smaller), and that layout is kept if it has a page fewer. Only the last story: a desk
  tightens the story that runs over, not the whole brief (and a brief in parts lays out only the last part again).
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from typing import Any

from publish.present.hyphenation import HYPHEN

Restyled = list[tuple[Any, str | None]]
"""Pictures scaled by `fit_figures`: each picture's element and the style attribute it had before (None: none)."""

LAYOUTS = 3
"""The most layouts of one document: the second and third redo it with what these functions found on the pages
(words hyphenated where a typesetter would not, kept whole; figures that left a page too empty, scaled)."""

EMPTY_SHARE = 0.12
"""The share of a page left empty above a figure that moved on, from which the figure is scaled to fit instead.
With print pictures at most 85 mm high (print.css) and scaled to no less than 40 per cent, a page is never left a fifth
empty for a figure."""
SMALLEST_SCALE = 0.4
"""The least a figure's picture is scaled to fit the page before it."""

LAST_PAGE_LINES = 6
"""The most lines of text on a last page (and nothing else) that count as near-empty."""
COPYFIT = "data-copyfit"
"""The last story's attribute that asks the print CSS for the tighter setting."""


def copyfit_target(root: Any) -> Any:
    """The element the copyfit sets tighter: the document's last story (`<article class="article">`); None in a
    template without one."""
    stories = [element for element in root.iter("article") if "article" in (element.get("class") or "").split()]
    return stories[-1] if stories else None

_WORD_END = re.compile(r"(\w+)\W*$")
_WORD_START = re.compile(r"^\W*(\w+)")


def unwanted_breaks(pages: list[Any]) -> frozenset[str]:
    """The words a WeasyPrint layout hyphenated where a typesetter would not: the last line of a page ending in
    a hyphen (the word carried over to the next page), and a paragraph whose last line is only the end of a
    hyphenated word. Each as a case-folded word to protect. `pages` are a document's pages or the page boxes of a
    layout in progress (publish.backends.pdfparts reads them before the margin boxes are made)."""
    words: set[str] = set()
    flows = [list(_lines(page)) for page in pages]
    for number, lines in enumerate(flows):
        following = flows[number + 1] if number + 1 < len(flows) else []
        if lines and lines[-1][1].endswith(HYPHEN):
            words.add(_joined(lines[-1][1], following[0][1] if following else ""))
        continued = following[0][0].element if following else None
        if len(lines) < 2:  # a page of one line or none (a wide table's page, a figure's)
            continue
        for (block, previous), (same_block, text), after in zip(lines[:-1], lines[1:], [*lines[2:], (None, "")],
                                                                strict=True):
            ends_block = after[0] is not same_block and same_block.element is not continued
            if previous.endswith(HYPHEN) and block is same_block and ends_block and " " not in text.strip():
                words.add(_joined(previous, text))
    words.discard("")
    return frozenset(words)


def ends_hyphenated(pages: list[Any]) -> bool:
    """Whether the last line of the last page ends with a hyphen (a word carried on to whatever follows)."""
    lines = list(_lines(pages[-1])) if pages else []
    return bool(lines) and lines[-1][1].endswith(HYPHEN)


def fit_figures(pages: list[Any]) -> Restyled:
    """Scale down each figure that opens a page while the page before it is left more than `EMPTY_SHARE` empty,
    so it fits there (a max-height on its picture, set in the document tree WeasyPrint lays out again); the
    pictures it scaled, with their earlier styles (empty, so false, when none). A figure is never scaled below
    `SMALLEST_SCALE` of its height."""
    changed: Restyled = []
    for before, page in itertools.pairwise(pages):
        area = _page_box(before)
        free = area.content_box_y() + area.height - _bottom(area)
        figure = opening_figure(page)
        if figure is None or free < EMPTY_SHARE * area.height:
            continue
        picture = next((box for box in figure.descendants() if getattr(box, "element_tag", "") == "img"), None)
        if picture is None or picture.element is None:
            continue
        height = picture.height - (figure.margin_height() - free) - 2
        if height >= SMALLEST_SCALE * picture.height:
            changed.append((picture.element, picture.element.get("style")))
            picture.element.set("style", f"max-height: {height:.1f}px")
    return changed


def restore(restyled: Restyled) -> None:
    """Undo `fit_figures`: give each picture the style it had."""
    for element, style in reversed(restyled):
        if style is None:
            element.attrib.pop("style", None)
        else:
            element.set("style", style)


def last_page_near_empty(pages: list[Any]) -> bool:
    """Whether the last page of several holds at most `LAST_PAGE_LINES` lines of text and no picture."""
    from weasyprint.formatting_structure import boxes

    if len(pages) < 2:
        return False
    page_box = _page_box(pages[-1])
    flow = [child for child in page_box.children if not isinstance(child, boxes.MarginBox)]
    if any(isinstance(box, boxes.ReplacedBox) for child in flow for box in child.descendants()):
        return False
    return len(list(_lines(pages[-1]))) <= LAST_PAGE_LINES


def opening_figure(page: Any) -> Any:
    """The figure a page's flow opens with (first child after first child), or None."""
    box = _page_box(page)
    while getattr(box, "children", None):
        box = box.children[0]
        if getattr(box, "element_tag", "") == "figure" and "figure" in (box.element.get("class") or "").split():
            return box
        if type(box).__name__ in ("LineBox", "TextBox", "MarginBox"):
            return None
    return None


def _bottom(page_box: Any) -> float:
    """Where the page's flow ends: the lowest bottom edge of its lines and replaced boxes (pictures)."""
    from weasyprint.formatting_structure import boxes

    bottom = page_box.content_box_y()
    for child in page_box.children:
        if isinstance(child, boxes.MarginBox):  # the running head and page number
            continue
        for box in child.descendants():
            if isinstance(box, (boxes.LineBox, boxes.ReplacedBox, boxes.TableRowBox)):
                bottom = max(bottom, box.position_y + box.margin_height())
    return float(bottom)


def _joined(before: str, after: str) -> str:
    """The case-folded word hyphenated at the end of `before` and finished at the start of `after`."""
    start = _WORD_END.search(before[: -len(HYPHEN)])
    end = _WORD_START.search(after)
    return ((start.group(1) if start else "") + (end.group(1) if end else "")).casefold() if start else ""


def _lines(page: Any) -> Iterator[tuple[Any, str]]:
    """The lines of a laid-out page's main flow, in order, each with the block that holds it."""
    from weasyprint.formatting_structure import boxes

    def walk(box: Any, parent: Any) -> Iterator[tuple[Any, str]]:
        if isinstance(box, boxes.MarginBox):
            return
        if isinstance(box, boxes.LineBox):
            text = "".join(child.text for child in box.descendants() if isinstance(child, boxes.TextBox))
            if text.strip():
                yield parent, text.rstrip()
            return
        for child in getattr(box, "children", ()):
            yield from walk(child, box)

    yield from walk(_page_box(page), None)


def _page_box(page: Any) -> Any:
    """A document page's box, or the page box itself (a layout in progress)."""
    return getattr(page, "_page_box", page)
