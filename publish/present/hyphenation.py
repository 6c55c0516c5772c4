"""Hyphenation a typesetter accepts, for the PDF: the right patterns, no names broken, no broken last words.

WeasyPrint hyphenates with pyphen, by each element's language, keeping the fragment lengths CSS
`hyphenate-limit-chars` asks for (the theme's `hyphenate_before`/`hyphenate_after`). This module adds what CSS
cannot say:

- which patterns: pyphen's `en` is British; `en` and `en-US` get the American patterns (`en_US`), `en-GB` and
  the other English regions the British ones. The print CSS maps each `lang` to its dictionary (`-weasy-lang`);
- never a capitalised word (names: "Naz-arov", "Kaza-khstan"): `Patterns`, the parsed patterns publish puts into
  pyphen's cache, gives no break in a word that starts with a capital letter (except in German, whose nouns all
  start with one);
- never the last word of a paragraph: `last_words_kept_whole` marks each paragraph's last word `hyphens: manual`
  in the HTML before the layout (a last line holding only the end of a broken word cannot happen then);
- never a hyphen carried over a page break: the PDF backend's layout moves a page's last line to the next page
  when it ends in a hyphen and the paragraph's orphans allow (publish.backends.pdfengine), as a typesetter shortens the
  page by a line. Where they do not (or a break moved to an earlier line by `break-after: avoid`),
  `publish.present.pagination.unwanted_breaks` finds the word after the layout, and the PDF backend lays the
  document out again with it `protected` (at most twice).
"""

from __future__ import annotations

import contextlib
import contextvars
import re
from collections.abc import Iterator
from html import escape

import lxml.html
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


BLOCK_TAGS = frozenset({
    "address", "article", "aside", "blockquote", "body", "caption", "dd", "details", "div", "dl", "dt", "figcaption",
    "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li", "main", "nav", "ol", "p",
    "pre", "section", "summary", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "ul"})
"""Elements laid out as blocks (the print CSS makes none of them inline): each ends a run of lines."""
KEEP_WHOLE = "hyphens: manual"
"""The style of the span around a paragraph's last word."""
_LAST_BREAK = re.compile(r"[ \t\n\r\f](?=[^ \t\n\r\f]*$)")
"""The last place a line may break between words (a no-break space holds its words together)."""

Slot = tuple[object, str]
"""An element and which of its texts: "text" (before its first child) or "tail" (after it, in its parent)."""


def last_words_kept_whole(html: str, shortest: int = 0, scope: str = "article-body") -> str:
    """The print-ready HTML with the last word of every paragraph (every run of inline text in a block inside the
    elements of class `scope`, which hyphenate) in a span that does not hyphenate, when it has at least `shortest`
    letters (the fewest the theme hyphenates). A typesetter never breaks a paragraph's last word: the last line
    would hold only the end of it. Marked before the layout, so that no layout has to be redone for it."""
    tree = lxml.html.document_fromstring(html)
    _mark_last_words(tree, shortest, scope)
    return str(lxml.html.tostring(tree, encoding="unicode", doctype="<!DOCTYPE html>"))  # publish writes HTML5


def last_words_kept_whole_in_piece(html: str, shortest: int = 0, scope: str = "article-body") -> str:
    """`last_words_kept_whole` for a piece of a document that holds its `scope` elements whole (an article of a
    collection, rendered and cached as one piece: a rebuild marks the pieces that changed, not the whole
    document): the same words marked, the piece's markup as lxml writes it."""
    if scope not in html:
        return html
    holder = lxml.html.fragment_fromstring(html, create_parent="div")
    _mark_last_words(holder, shortest, scope)
    return escape(holder.text or "", quote=False) + "".join(
        str(lxml.html.tostring(child, encoding="unicode")) for child in holder)


def _mark_last_words(tree: lxml.html.HtmlElement, shortest: int, scope: str) -> None:
    runs: list[list[Slot]] = []
    for body in tree.find_class(scope):
        for element in body.iter():
            if element is body or element.tag in BLOCK_TAGS:
                runs += _inline_runs(element)
    for run in runs:
        _keep_last_word(run, shortest)


def _inline_runs(block: object) -> list[list[Slot]]:
    """The runs of inline text of a block element, each a list of slots in reading order; a block inside it (or
    inside one of its inline elements) ends a run, and its own runs are its own."""
    runs: list[list[Slot]] = [[(block, "text")]]

    def inline(element: object) -> None:
        for child in element:  # type: ignore[attr-defined]
            if isinstance(child.tag, str) and child.tag in BLOCK_TAGS:
                runs.append([])
            elif isinstance(child.tag, str):
                runs[-1].append((child, "text"))
                inline(child)
            runs[-1].append((child, "tail"))

    inline(block)
    return [run for run in runs if any((getattr(node, attr) or "").strip() for node, attr in run)]


def _keep_last_word(run: list[Slot], shortest: int) -> None:
    """Put the run's last word (which may span several elements' texts) in spans that do not hyphenate, unless it
    has fewer than `shortest` letters (too short to hyphenate at all: no span, which costs the layout a little)."""
    pieces: list[tuple[Slot, int, int]] = []
    for node, attr in reversed(run):
        text: str = getattr(node, attr) or ""
        end = len(text) if pieces else len(text.rstrip())
        if end == 0:
            continue
        found = _LAST_BREAK.search(text[:end])
        start = found.end() if found else 0
        if start < end:
            pieces.append(((node, attr), start, end))
        if found:
            break
    word = "".join((getattr(node, attr) or "")[start:end] for (node, attr), start, end in pieces)
    if sum(character.isalpha() for character in word) < shortest:
        return
    for (node, attr), start, end in pieces:
        _wrap(node, attr, start, end)


def _wrap(node: object, attr: str, start: int, end: int) -> None:
    """Put text[start:end] of the slot in a span that does not hyphenate."""
    element: lxml.html.HtmlElement = node
    text: str = getattr(element, attr)
    span = lxml.html.Element("span", style=KEEP_WHOLE)
    span.text = text[start:end]
    if attr == "text":
        element.text = text[:start]
        element.insert(0, span)
    else:
        element.tail = text[:start]
        parent = element.getparent()
        assert parent is not None
        parent.insert(parent.index(element) + 1, span)
    span.tail = text[end:] or None
