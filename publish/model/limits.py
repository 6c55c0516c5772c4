"""Limits on what an article may hold, checked once after reading: what every backend can render, what is
more likely a mistake in the input than a story, and the shapes that make a PDF's layout explode (capped where
every word can be kept, else warned about)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Sequence

from publish import model
from publish.errors import InputError
from publish.model import iter_blocks, links
from publish.model.text import plain

MAX_DEPTH = 32
"""The most lists, quotes and inline marks (emphasis, strong, links) one piece of text may sit inside (Word
numbers 9 list levels; 32 is far past any real story, and keeps every backend's recursion bounded)."""
LEGIBLE_COLUMNS = 20
"""The most table columns a page holds legibly: past this, even landscape pages and the smallest table type
(about 5 pt) leave a column too narrow for a word."""
LONG_HEADLINE = 300
"""A headline longer than this (in characters) is most likely a paragraph or a whole story in the title field."""
MAX_MARKS = 100
"""The emphasis, strong, code and link marks one paragraph keeps; past them, the rest of it is set as plain text.
WeasyPrint's line layout grows with the square of a paragraph's inline boxes (8 KB of `*a*b` repeated, 2,048 marks,
took over a minute; 256 marks, 4 s); no story's paragraph needs a hundred."""
LONG_PARAGRAPH = 100_000
"""A paragraph longer than this (in characters) takes the PDF's layout more than a few seconds: warned about."""
MANY_BLOCKS = 30_000
"""More paragraphs, headings and other blocks than this take the PDF's layout a minute or more: warned about."""
MANY_ARTICLES = 2_000
"""More articles than this in one collection take the PDF's layout a minute or more: warned about."""


def check_article(article: model.Article, source: str) -> list[str]:
    """Refuse an article nested deeper than MAX_DEPTH (InputError naming `source`); return warnings for what
    renders but looks like a mistake."""
    if block_depth(article.blocks) > MAX_DEPTH:
        raise InputError(f"lists, quotes or emphasis nest more than {MAX_DEPTH} levels deep; publish renders at "
                         f"most {MAX_DEPTH}", path=source)
    warnings = links.Targets.of(article).warnings(article)
    length = len(article.meta.headline)
    if length > LONG_HEADLINE:
        start = " ".join(article.meta.headline.split()[:8])
        warnings.append(f"the headline is {length:,} characters long (“{start} …”); headlines over "
                        f"{LONG_HEADLINE} characters are usually a paragraph given as the title")
    tables = [block for block in iter_blocks(article.blocks) if isinstance(block, model.Table)]
    for number, table in enumerate(tables, 1):
        columns = max(len(row) for row in (table.header, *table.rows))
        if columns > LEGIBLE_COLUMNS:
            caption = " ".join(" ".join(plain(table.caption).split()).split()[:6])
            named = f"table {number}" + (f" (“{caption}”)" if caption else "")
            warnings.append(f"{named} has {columns} columns; a page holds about {LEGIBLE_COLUMNS} legibly, so its "
                            "type is set very small and cells may overlap: split it into narrower tables, or give "
                            "it landscape pages with wide_tables = \"landscape\" in the theme's [typography]")
    return warnings


def block_depth(blocks: Iterable[model.Block]) -> int:
    """How many lists, quotes and marks the most deeply nested text sits inside (0 for a plain paragraph);
    the count stops just past MAX_DEPTH, so a pathological model costs no long walk."""
    return model.nesting_depth(blocks, MAX_DEPTH)


@dataclasses.dataclass(frozen=True, slots=True)
class Shape:
    """What the layout limits look at in an article, counted in one walk: its blocks (every paragraph, heading and
    other block, nested ones too), its longest paragraph's characters, and the most marks one paragraph, subhead
    or table cell holds (what `capped` caps). A build keeps it with each reading (publish.build.jobs), so an
    article read from the cache is not walked again."""

    blocks: int
    longest: int
    marks: int

    def text(self) -> str:
        return f"{self.blocks} {self.longest} {self.marks}"

    @staticmethod
    def from_text(text: str) -> Shape | None:
        numbers = text.split()
        if len(numbers) != 3 or not all(number.isdigit() for number in numbers):
            return None
        return Shape(*map(int, numbers))


def shape(article: model.Article) -> Shape:
    """The article's `Shape`."""
    blocks = longest = marks = 0
    for block in model.iter_blocks(article.blocks):
        blocks += 1
        match block:
            case model.Paragraph():
                longest = max(longest, sum(len(_text(node)) for node in block.content))
                marks = max(marks, sum(_marks(node) for node in block.content))
            case model.Heading():
                marks = max(marks, sum(_marks(node) for node in block.content))
            case model.Table():
                for cell in (*block.header, *(cell for row in block.rows for cell in row)):
                    marks = max(marks, sum(_marks(node) for node in cell))
    return Shape(blocks, longest, marks)


def capped(article: model.Article, known: Shape | None = None) -> tuple[model.Article, list[str]]:
    """The article with the marks past MAX_MARKS of every paragraph, subhead and table cell set as plain text
    (every word kept, in order), and a warning for each one changed. `known`, the article's shape, says at once
    that nothing needs capping (nearly every story)."""
    if known is not None and known.marks <= MAX_MARKS:
        return article, []
    found: list[tuple[str, int]] = []
    blocks = _capped_blocks(article.blocks, found)
    if not found:
        return article, []
    warnings = []
    for what in dict.fromkeys(what for what, _ in found):  # one line per kind of place, in order of appearance
        counts = [marks for kind, marks in found if kind == what]
        many = f"{what} holds {counts[0]:,}" if len(counts) == 1 else \
            f"{len(counts):,} {what.removeprefix('a ')}s hold up to {max(counts):,}"
        warnings.append(f"{many} emphasis, strong, code and link marks; past the first {MAX_MARKS} they are set as "
                        "plain text (every word kept), as laying out so many takes minutes")
    return dataclasses.replace(article, blocks=blocks), warnings


def layout_warnings(document: model.Document, timeout: float,
                    shape_of: Callable[[model.Article], Shape] = shape) -> list[str]:
    """Warnings for a document whose PDF will take minutes to lay out: very many blocks, or a huge paragraph
    (each article's shape from `shape_of`)."""
    articles = document.articles
    shapes = [shape_of(article) for article in articles]
    blocks = sum(found.blocks for found in shapes)
    longest = max((found.longest for found in shapes), default=0)
    stops = f"--timeout stops it after {timeout:g} s" if timeout > 0 else "no --timeout is set"
    warnings = []
    if len(articles) > MANY_ARTICLES:
        warnings.append(f"{len(articles):,} articles in one collection; a PDF this long takes minutes to lay out "
                        f"({stops})")
    elif blocks > MANY_BLOCKS:
        warnings.append(f"{blocks:,} paragraphs, headings and other blocks; a PDF this long takes minutes to lay out "
                        f"({stops})")
    if longest > LONG_PARAGRAPH:
        warnings.append(f"a paragraph of {longest:,} characters; a PDF takes minutes to lay out a paragraph this "
                        f"long ({stops}); blank lines between its paragraphs make it quick")
    return warnings


def _capped_blocks(blocks: tuple[model.Block, ...], found: list[tuple[str, int]]) -> tuple[model.Block, ...]:
    def cap(block: model.Block) -> Sequence[model.Block]:
        match block:
            case model.Paragraph():
                block = model.Paragraph(_capped_inlines(block.content, "a paragraph", found))
            case model.Heading():
                block = dataclasses.replace(block, content=_capped_inlines(block.content, "a subhead", found))
            case model.Table():
                header = tuple(_capped_inlines(cell, "a table cell", found) for cell in block.header)
                rows = tuple(tuple(_capped_inlines(cell, "a table cell", found) for cell in row) for row in block.rows)
                block = dataclasses.replace(block, header=header, rows=rows)
        return (block,)

    return model.map_blocks(blocks, cap)


def _capped_inlines(content: tuple[model.Inline, ...], what: str, found: list[tuple[str, int]],
                    ) -> tuple[model.Inline, ...]:
    marks = sum(_marks(node) for node in content)
    if marks <= MAX_MARKS:
        return content
    found.append((what, marks))
    return _plain_after(content, MAX_MARKS)


def _marks(node: model.Inline) -> int:
    """How many marks (emphasis, strong, links, code) a node is and holds."""
    return sum(1 for inner in model.iter_inlines((node,))
               if isinstance(inner, (model.Emphasis, model.Strong, model.Link, model.Code)))


def _plain_after(inlines: tuple[model.Inline, ...], keep: int) -> tuple[model.Inline, ...]:
    """The inlines with their first `keep` marks as they are and every later mark unwrapped into its content."""
    out: list[model.Inline] = []
    for node in inlines:
        marks = _marks(node)
        if marks <= keep:
            out.append(node)
            keep -= marks
        else:
            out.extend(_unwrapped(node))
            keep = 0
    merged: list[model.Inline] = []
    for node in out:  # adjacent runs of text become one run
        if isinstance(node, model.Text) and merged and isinstance(merged[-1], model.Text):
            merged[-1] = model.Text(merged[-1].text + node.text)
        else:
            merged.append(node)
    return tuple(merged)


def _unwrapped(node: model.Inline) -> list[model.Inline]:
    """A node's text with its marks taken off: code becomes text; line breaks, images, tracked changes and comments
    stay (their own text unwrapped too)."""
    def unmark(inner: model.Inline) -> Sequence[model.Inline]:
        match inner:
            case model.Emphasis() | model.Strong() | model.Link():
                return inner.content
            case model.Code():
                return (model.Text(inner.text),)
            case model.Text() | model.LineBreak() | model.Image() | model.Insertion() | model.Deletion() \
                    | model.Comment():
                return (inner,)
            case _:
                model.foreign(inner)

    return list(model.map_inlines((node,), unmark))


def _text(node: model.Inline) -> str:
    """A node's characters (its text, and its children's)."""
    return "".join(inner.text for inner in model.iter_inlines((node,)) if isinstance(inner, (model.Text, model.Code)))
