"""Plain-text views of the model shared by backends and checks: inline text, direction, slugs, word lists."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator

from publish import model

RTL_LANGUAGES = {"ar", "arc", "ckb", "dv", "fa", "he", "ks", "ku-arab", "ps", "sd", "ug", "ur", "yi"}


def direction(language: str) -> str:
    """"rtl" for languages written right to left (Arabic, Urdu, Persian, Hebrew...), else "ltr"."""
    tag = language.lower()
    return "rtl" if tag.split("-")[0] in RTL_LANGUAGES or tag in RTL_LANGUAGES or "-arab" in tag else "ltr"


def slug(value: str, limit: int = 48) -> str:
    """A file-name-safe form of a title: lower-case ASCII words joined by hyphens ("article" if none are left)."""
    ascii_text = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text).strip("-")[:limit].rstrip("-") or "article"


def plain(inlines: Iterable[model.Inline]) -> str:
    """The accepted text of inlines without formatting; a line break reads as a newline; an image has no text (its
    alt text is for readers who cannot see it, as a figure's is); a pending deletion is not part of it."""
    return "".join(_plain(node) for node in model.iter_inlines(inlines, deletions=False))


def _plain(node: model.Inline) -> str:
    """The text a node adds itself (a mark's text is its children's, which the walk reaches next)."""
    match node:
        case model.Text() | model.Code():
            return node.text
        case model.LineBreak():
            return "\n"
        case model.Image() | model.Emphasis() | model.Strong() | model.Link() | model.Insertion() | model.Deletion() \
                | model.Comment():
            return ""
        case _:
            model.foreign(node)


def shown(inlines: Iterable[model.Inline]) -> str:
    """The text of inlines as a review copy shows it: pending deletions too (`plain` is the accepted text)."""
    return "".join(_plain(node) for node in model.iter_inlines(inlines))


def lede_has_dateline(article: model.Article) -> bool:
    """Whether the story's first paragraph already opens with its dateline ("KARACHI — ...", "کراچی: ..."), in
    which case the article header shows the date without the place, so no reader meets the place twice."""
    place = " ".join(article.meta.dateline.split()).casefold()
    first = next((block for block in article.blocks if isinstance(block, model.Paragraph)), None)
    if not place or first is None or article.blocks[0] is not first:
        return False
    opening = " ".join(plain(first.content).split()).casefold()
    rest = opening[len(place):len(place) + 1]
    return opening.startswith(place) and not (rest.isalnum() or rest == "\u0640")  # a whole word, not "Karachiites"


def block_texts(blocks: Iterable[model.Block]) -> Iterator[str]:
    """The text of each block in reading order (figures give alt-free caption and credit; a quote's attribution
    follows its text)."""
    for event, _, block in model.walk_tree(blocks):
        if event == "leave" and isinstance(block, model.BlockQuote) and block.attribution:
            yield plain(block.attribution)
        if event != "enter":
            continue
        match block:
            case model.Heading() | model.Paragraph():
                yield plain(block.content)
            case model.CodeBlock():
                yield block.text
            case model.Figure():
                yield plain(block.caption)
                yield block.credit
            case model.Table():
                yield plain(block.caption)
                for row in (block.header, *block.rows):
                    for cell in row:
                        yield plain(cell)
            case model.BlockQuote() | model.BulletList() | model.OrderedList() | model.Rule():
                pass
            case _:
                model.foreign(block)
