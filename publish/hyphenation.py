"""Hyphenation a typesetter accepts, for the PDF: the right patterns, no names broken, no broken last words.

WeasyPrint hyphenates with pyphen, by each element's language, keeping the fragment lengths CSS
`hyphenate-limit-chars` asks for (the theme's `hyphenate_before`/`hyphenate_after`). This module adds what CSS
cannot say:

- which patterns: pyphen's `en` is British; `en` and `en-US` get the American patterns (`en_US`), `en-GB` and
  the other English regions the British ones. The print CSS maps each `lang` to its dictionary (`-weasy-lang`);
- never a capitalised word (names: "Naz-arov", "Kaza-khstan"): `Patterns`, the parsed patterns publish puts into
  pyphen's cache, gives no break in a word that starts with a capital letter;
- never the last word of a paragraph or of a page (no hyphen carried over a page break): after a layout,
  `unwanted_breaks` finds the words so broken, and the PDF backend lays the document out again with them
  `protected` (at most twice).
"""

from __future__ import annotations

import contextlib
import contextvars
import re
from collections.abc import Iterator
from typing import Any

import pyphen  # type: ignore[import-untyped]

HYPHEN = "\u2010"
"""The character WeasyPrint draws at a break (the print CSS's hyphenate-character)."""

_protected: contextvars.ContextVar[frozenset[str]] = contextvars.ContextVar("protected", default=frozenset())


def dictionary(language: str) -> str | None:
    """The name of pyphen's patterns for a BCP 47 language tag: American for `en` and `en-US`, British for
    `en-GB` (and pyphen's fallback, by truncation, for every other tag); None when pyphen has none."""
    parts = language.replace("_", "-").lower().split("-")
    if parts[0] == "en" and (len(parts) == 1 or parts[1] in ("us", "latn")):
        return "en_US"
    return pyphen.language_fallback(language.replace("-", "_")) if language else None


class Patterns(pyphen.HyphDict):  # type: ignore[misc]
    """pyphen's parsed patterns, refusing to break a capitalised word or a word being `protected`."""

    def positions(self, word: str) -> list[int]:
        if word[:1].isupper() or word.casefold() in _protected.get():
            return []
        return super().positions(word)  # type: ignore[no-any-return]


@contextlib.contextmanager
def protected(words: frozenset[str]) -> Iterator[None]:
    """Hyphenate none of these words (case-folded) while the block runs."""
    token = _protected.set(_protected.get() | words)
    try:
        yield
    finally:
        _protected.reset(token)


_WORD_END = re.compile(r"(\w+)\W*$")
_WORD_START = re.compile(r"^\W*(\w+)")


def unwanted_breaks(pages: list[Any]) -> frozenset[str]:
    """The words a WeasyPrint layout hyphenated where a typesetter would not: the last line of a page ending in
    a hyphen (the word carried over to the next page), and a paragraph whose last line is only the end of a
    hyphenated word. Each as a case-folded word to protect."""
    words: set[str] = set()
    flows = [list(_lines(page)) for page in pages]
    for number, lines in enumerate(flows):
        following = flows[number + 1] if number + 1 < len(flows) else []
        if lines and lines[-1][1].endswith(HYPHEN):
            words.add(_joined(lines[-1][1], following[0][1] if following else ""))
        continued = following[0][0].element if following else None
        for (block, previous), (same_block, text), after in zip(lines[:-1], lines[1:], [*lines[2:], (None, "")],
                                                                strict=True):
            ends_block = after[0] is not same_block and same_block.element is not continued
            if previous.endswith(HYPHEN) and block is same_block and ends_block and " " not in text.strip():
                words.add(_joined(previous, text))
    words.discard("")
    return frozenset(words)


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

    yield from walk(page._page_box, None)
