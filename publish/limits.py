"""Limits on what an article may hold, checked once after reading: what every backend can render, and what is
more likely a mistake in the input than a story."""

from __future__ import annotations

from collections.abc import Iterable

from publish import model
from publish.errors import InputError

MAX_DEPTH = 32
"""The most lists, quotes and inline marks (emphasis, strong, links) one piece of text may sit inside (Word
numbers 9 list levels; 32 is far past any real story, and keeps every backend's recursion bounded)."""
LONG_HEADLINE = 300
"""A headline longer than this (in characters) is most likely a paragraph or a whole story in the title field."""


def check_article(article: model.Article, source: str) -> list[str]:
    """Refuse an article nested deeper than MAX_DEPTH (InputError naming `source`); return warnings for what
    renders but looks like a mistake."""
    if block_depth(article.blocks) > MAX_DEPTH:
        raise InputError(f"lists, quotes or emphasis nest more than {MAX_DEPTH} levels deep; publish renders at "
                         f"most {MAX_DEPTH}", path=source)
    warnings = []
    length = len(article.meta.headline)
    if length > LONG_HEADLINE:
        start = " ".join(article.meta.headline.split()[:8])
        warnings.append(f"the headline is {length:,} characters long (“{start} …”); headlines over "
                        f"{LONG_HEADLINE} characters are usually a paragraph given as the title")
    return warnings


def block_depth(blocks: Iterable[model.Block], depth: int = 0) -> int:
    """How many lists, quotes and marks the most deeply nested text sits inside (0 for a plain paragraph);
    the count stops just past MAX_DEPTH, so a pathological model costs no deep recursion."""
    deepest = depth
    for block in blocks:
        if depth + 1 > MAX_DEPTH + 1:  # already too deep: no need to walk further (and no deep recursion)
            return depth + 1
        if isinstance(block, model.BlockQuote):
            deepest = max(deepest, block_depth(block.blocks, depth + 1), _inline_depth(block.attribution, depth + 1))
        elif isinstance(block, (model.BulletList, model.OrderedList)):
            for item in block.items:
                deepest = max(deepest, block_depth(item, depth + 1))
        else:
            deepest = max(deepest, max((_inline_depth(part, depth) for part in _inline_parts(block)), default=depth))
    return deepest


def _inline_parts(block: model.Block) -> list[tuple[model.Inline, ...]]:
    if isinstance(block, (model.Heading, model.Paragraph)):
        return [block.content]
    if isinstance(block, model.Figure):
        return [block.caption]
    if isinstance(block, model.Table):
        return [block.caption, *block.header, *(cell for row in block.rows for cell in row)]
    return []


def _inline_depth(inlines: tuple[model.Inline, ...], depth: int) -> int:
    deepest = depth
    for node in inlines:
        if isinstance(node, (model.Emphasis, model.Strong, model.Link, model.Insertion, model.Deletion, model.Comment)):
            if depth + 1 > MAX_DEPTH + 1:
                return depth + 1
            deepest = max(deepest, _inline_depth(node.content, depth + 1))
    return deepest

