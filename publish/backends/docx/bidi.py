"""Right-to-left text in the DOCX backend: where a run is cut because the script changes direction, decided as
the run is written (the writer marks paragraphs, tables and the section of a right-to-left language as it makes
them)."""

from __future__ import annotations

import re
import unicodedata


def direction_groups(text: str, embedding: str, *, split: bool = True) -> list[tuple[bool, list[str]]]:
    """The runs `text` is written in: (right to left or not, its pieces: text, "\t" or "\n"), in order.

    Text without right-to-left script (or with `split` off: deleted text keeps one run) is one run. Otherwise it
    is cut where the script changes direction; neutral characters (spaces, punctuation, digits) go with their
    neighbours when both run the same way, else with the paragraph's direction (`embedding`, "R" or "L"), as the
    Unicode bidi algorithm resolves them; a tab or line break goes with what precedes it."""
    pieces = [piece for piece in _BREAKS.split(text) if piece] if "\t" in text or "\n" in text else [text] if text \
        else []
    if not split or not holds_right_to_left(text):
        return [(False, pieces)]
    resolved: list[tuple[str, str]] = []
    for piece in pieces:
        if piece in ("\t", "\n"):
            resolved.append((resolved[-1][0] if resolved else embedding, piece))
        else:
            resolved.extend(_direction_chunks(piece, embedding))
    groups: list[tuple[bool, list[str]]] = []
    previous = ""
    for direction, piece in resolved:
        if groups and direction == previous:
            groups[-1][1].append(piece)
        else:
            groups.append((direction == "R", [piece]))
            previous = direction
    return groups


_BREAKS = re.compile(r"([\t\n])")


RIGHT_TO_LEFT_BLOCKS = re.compile("[\u05be-\u08c9\u200f\ufb1d-\ufefc\U00010800-\U00010d23\U00010e80-\U00010ff6"
                                  "\U0001e800-\U0001e95f\U0001ec71-\U0001eebb]")
"""The Unicode blocks that hold every right-to-left character (bidi class R or AL), and a few neutrals between
them: a cheap test that spares English text a per-character look-up."""


def holds_right_to_left(value: str) -> bool:
    """Whether `value` has a strong right-to-left character (checked per character only where one may be)."""
    if value.isascii() or RIGHT_TO_LEFT_BLOCKS.search(value) is None:
        return False
    return any(_strong(c) == "R" for c in value)


def _strong(char: str) -> str:
    kind = unicodedata.bidirectional(char)
    return "R" if kind in ("R", "AL") else "L" if kind == "L" else ""


def _direction_chunks(value: str, embedding: str) -> list[tuple[str, str]]:
    """`value` cut into (direction, text) chunks: "R" or "L", neutrals resolved between their strong neighbours."""
    kinds = [_strong(c) for c in value]
    resolved = list(kinds)
    index = 0
    while index < len(kinds):
        if kinds[index]:
            index += 1
            continue
        end = index
        while end < len(kinds) and not kinds[end]:
            end += 1
        before = kinds[index - 1] if index else embedding
        after = kinds[end] if end < len(kinds) else embedding
        resolved[index:end] = [before if before == after else embedding] * (end - index)
        index = end
    chunks: list[tuple[str, str]] = []
    for char, direction in zip(value, resolved, strict=True):
        if chunks and chunks[-1][0] == direction:
            chunks[-1] = (direction, chunks[-1][1] + char)
        else:
            chunks.append((direction, char))
    return chunks
