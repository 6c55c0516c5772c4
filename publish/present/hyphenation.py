"""Hyphenation a typesetter accepts, for the PDF: the right patterns, no names broken, no broken last words.

WeasyPrint hyphenates with pyphen, by each element's language, keeping the fragment lengths CSS
`hyphenate-limit-chars` asks for (the theme's `hyphenate_before`/`hyphenate_after`). This module adds what CSS
cannot say:

- which patterns: pyphen's `en` is British; `en` and `en-US` get the American patterns (`en_US`), `en-GB` and
  the other English regions the British ones. The print CSS maps each `lang` to its dictionary (`-weasy-lang`);
- never a capitalised word (names: "Naz-arov", "Kaza-khstan"): `Patterns`, the parsed patterns publish puts into
  pyphen's cache, gives no break in a word that starts with a capital letter (except in German, whose nouns all
  start with one);
- never the last word of a paragraph or of a page (no hyphen carried over a page break): after a layout,
  `publish.present.pagination.unwanted_breaks` finds the words so broken, and the PDF backend lays the document out
  again with them `protected` (at most twice).
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator

import pyphen  # type: ignore[import-untyped]

HYPHEN = "\u2010"
"""The character WeasyPrint draws at a break (the print CSS's hyphenate-character)."""

_protected: contextvars.ContextVar[frozenset[str]] = contextvars.ContextVar("protected", default=frozenset())
_consulted: contextvars.ContextVar[set[str] | None] = contextvars.ContextVar("consulted", default=None)


def dictionary(language: str) -> str | None:
    """The name of pyphen's patterns for a BCP 47 language tag: American for `en` and `en-US`, British for
    `en-GB` (and pyphen's fallback, by truncation, for every other tag); None when pyphen has none."""
    parts = language.replace("_", "-").lower().split("-")
    if parts[0] == "en" and (len(parts) == 1 or parts[1] in ("us", "latn")):
        return "en_US"
    return pyphen.language_fallback(language.replace("-", "_")) if language else None


NOUNS_CAPITALISED = ("de", "lb")
"""Languages that capitalise every noun: a capital letter there does not mark a name."""


def capitals_are_names(name: str) -> bool:
    """Whether, in the language of these patterns (pyphen's name, such as en_US), a capitalised word is a name."""
    return name.split("_")[0].lower() not in NOUNS_CAPITALISED


class Patterns(pyphen.HyphDict):  # type: ignore[misc]
    """pyphen's parsed patterns, refusing to break a word being `protected`, and a capitalised word (a name) where
    `keep_capitalised` (not in German, which capitalises every noun)."""

    keep_capitalised = True

    def positions(self, word: str) -> list[int]:
        if (consulted := _consulted.get()) is not None:
            consulted.add(word.casefold())
        if (self.keep_capitalised and word[:1].isupper()) or word.casefold() in _protected.get():
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


@contextlib.contextmanager
def consulted() -> Iterator[set[str]]:
    """The words (case-folded) whose hyphenation is asked for while the block runs: a layout depends on whether a
    word is `protected` only if the word is among them (publish.backends.pdfparts lays out again only then)."""
    words: set[str] = set()
    token = _consulted.set(words)
    try:
        yield words
    finally:
        _consulted.reset(token)
