"""The article model: one closed set of frozen types that every reader returns and every backend renders.

No I/O lives here. An `Article` is metadata plus a tuple of blocks; blocks hold inlines. The sets of block and
inline types are closed (`BLOCK_TYPES`, `INLINE_TYPES`): a backend handles each of them or says which it cannot.
Heading levels count from 1 below the headline: the headline is the article's title, level 1 is a subhead.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import ClassVar, Literal, Never, NoReturn, TypeVar

from publish.errors import UnknownNodeError

# --- inlines -----------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Text:
    """A run of plain text, exactly as written."""

    kind: ClassVar[str] = "text"
    text: str
    """The characters of the run, quotes, dashes and spaces untouched."""


@dataclass(frozen=True, slots=True)
class Emphasis:
    """Emphasised text (italics in most styles)."""

    kind: ClassVar[str] = "emphasis"
    content: tuple[Inline, ...]
    """The emphasised inlines."""


@dataclass(frozen=True, slots=True)
class Strong:
    """Strongly emphasised text (bold in most styles)."""

    kind: ClassVar[str] = "strong"
    content: tuple[Inline, ...]
    """The strong inlines."""


@dataclass(frozen=True, slots=True)
class Link:
    """A hyperlink."""

    kind: ClassVar[str] = "link"
    content: tuple[Inline, ...]
    """The link text."""
    url: str
    """The target, as written in the source."""
    title: str = ""
    """An advisory title (a tooltip in HTML)."""


@dataclass(frozen=True, slots=True)
class Code:
    """Inline code or a literal such as a file name."""

    kind: ClassVar[str] = "code"
    text: str
    """The literal characters."""


@dataclass(frozen=True, slots=True)
class LineBreak:
    """A hard line break inside a paragraph."""

    kind: ClassVar[str] = "line_break"


@dataclass(frozen=True, slots=True)
class Image:
    """An image inside a line of text (a badge, an icon), as Pandoc's `Image` inline; an image standing alone in
    its paragraph is a `Figure`."""

    kind: ClassVar[str] = "image"
    src: str
    """Where the image is, as written in the source: a path relative to the article's folder, or a URL."""
    alt: str
    """Alternative text: what a reader who cannot see the image reads instead."""
    title: str = ""
    """An advisory title (a tooltip in HTML)."""


@dataclass(frozen=True, slots=True)
class Insertion:
    """Text an editor inserted with change tracking on, neither accepted nor rejected yet."""

    kind: ClassVar[str] = "insertion"
    content: tuple[Inline, ...]
    """The inserted inlines."""
    author: str = ""
    """Who inserted it, as the editor's word processor recorded it."""
    date: str = ""
    """When, as recorded (ISO 8601, for example "2024-06-12T10:05:00Z"); empty when not recorded."""


@dataclass(frozen=True, slots=True)
class Deletion:
    """Text an editor deleted with change tracking on, neither accepted nor rejected yet: not part of the
    accepted text, shown struck through in a review copy."""

    kind: ClassVar[str] = "deletion"
    content: tuple[Inline, ...]
    """The deleted inlines."""
    author: str = ""
    """Who deleted it."""
    date: str = ""
    """When, as recorded (ISO 8601); empty when not recorded."""


@dataclass(frozen=True, slots=True)
class Reply:
    """A reply in a comment's thread."""

    kind: ClassVar[str] = "reply"
    text: str
    """What the reply says (paragraphs joined by newlines)."""
    author: str = ""
    """Who wrote it."""
    initials: str = ""
    """The author's initials, as Word shows them."""
    date: str = ""
    """When, as recorded (ISO 8601); empty when not recorded."""


@dataclass(frozen=True, slots=True)
class Comment:
    """An editor's comment on a stretch of text: the text it covers, what it says, and its thread."""

    kind: ClassVar[str] = "comment"
    content: tuple[Inline, ...]
    """The inlines the comment covers (part of the article's text); empty for a comment at a point."""
    text: str
    """What the comment says (paragraphs joined by newlines)."""
    author: str = ""
    """Who wrote it."""
    initials: str = ""
    """The author's initials, as Word shows them."""
    date: str = ""
    """When, as recorded (ISO 8601); empty when not recorded."""
    resolved: bool = False
    """True once marked done (resolved) in Word."""
    replies: tuple[Reply, ...] = ()
    """The replies, in order."""


Inline = Text | Emphasis | Strong | Link | Code | LineBreak | Image | Insertion | Deletion | Comment
INLINE_TYPES: tuple[type, ...] = (Text, Emphasis, Strong, Link, Code, LineBreak, Image, Insertion, Deletion,
                                  Comment)
REVIEW_TYPES: tuple[type, ...] = (Insertion, Deletion, Comment)
MARK_TYPES: tuple[type, ...] = (Emphasis, Strong, Link, Insertion, Deletion, Comment)
"""The inlines that hold inlines (each is one level of nesting)."""
"""The inlines of a review copy: pending tracked changes and comments (`publish build --track-changes all`)."""

Cell = tuple[Inline, ...]

# --- blocks ------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Heading:
    """A subhead inside the article body."""

    kind: ClassVar[str] = "heading"
    level: int
    """1 for a subhead directly below the headline, 2 below that, up to 6."""
    content: tuple[Inline, ...]
    """The heading text."""

    def __post_init__(self) -> None:
        if not 1 <= self.level <= 6:
            raise ValueError(f"heading level {self.level} is outside 1-6")


@dataclass(frozen=True, slots=True)
class Paragraph:
    """A paragraph of body text."""

    kind: ClassVar[str] = "paragraph"
    content: tuple[Inline, ...]
    """The paragraph's inlines."""


@dataclass(frozen=True, slots=True)
class BlockQuote:
    """A quoted passage, optionally with its attribution."""

    kind: ClassVar[str] = "block_quote"
    blocks: tuple[Block, ...]
    """The quoted blocks."""
    attribution: tuple[Inline, ...] = ()
    """Who said or wrote it, as written (for example "— Jane Doe, minister"); empty when not given."""


@dataclass(frozen=True, slots=True)
class BulletList:
    """A list whose items are not numbered."""

    kind: ClassVar[str] = "bullet_list"
    items: tuple[tuple[Block, ...], ...]
    """Each item's blocks; a nested list is a block inside an item."""


@dataclass(frozen=True, slots=True)
class OrderedList:
    """A numbered list."""

    kind: ClassVar[str] = "ordered_list"
    items: tuple[tuple[Block, ...], ...]
    """Each item's blocks; a nested list is a block inside an item."""
    start: int = 1
    """The number of the first item."""


@dataclass(frozen=True, slots=True)
class CodeBlock:
    """A block of literal, preformatted text."""

    kind: ClassVar[str] = "code_block"
    text: str
    """The literal lines, joined by newlines, without a final newline."""
    language: str = ""
    """The language named on the fence, if any."""


@dataclass(frozen=True, slots=True)
class Figure:
    """An image with its alternative text, caption and credit."""

    kind: ClassVar[str] = "figure"
    src: str
    """Where the image is, as written in the source: a path relative to the article's folder."""
    alt: str
    """Alternative text for readers who cannot see the image."""
    caption: tuple[Inline, ...] = ()
    """The visible caption."""
    credit: str = ""
    """Who made the image (photographer, agency)."""


@dataclass(frozen=True, slots=True)
class Table:
    """A table with one header row."""

    kind: ClassVar[str] = "table"
    header: tuple[Cell, ...]
    """The header row's cells."""
    rows: tuple[tuple[Cell, ...], ...]
    """The body rows, each as long as the header."""
    align: tuple[str, ...] = ()
    """Per column: "", "left", "center" or "right"; empty for all default."""
    caption: tuple[Inline, ...] = ()
    """The table's caption."""

    def __post_init__(self) -> None:
        width = len(self.header)
        for i, row in enumerate(self.rows, 1):
            if len(row) != width:
                raise ValueError(f"table row {i} has {len(row)} cells; the header has {width}")
        if self.align and len(self.align) != width:
            raise ValueError(f"table align has {len(self.align)} entries for {width} columns")
        for a in self.align:
            if a not in ALIGNMENTS:
                raise ValueError(f"table alignment {a!r} is not one of {', '.join(map(repr, ALIGNMENTS))}")


@dataclass(frozen=True, slots=True)
class Rule:
    """A thematic break (a horizontal rule)."""

    kind: ClassVar[str] = "rule"


Block = Heading | Paragraph | BlockQuote | BulletList | OrderedList | CodeBlock | Figure | Table | Rule
BLOCK_TYPES: tuple[type, ...] = (
    Heading, Paragraph, BlockQuote, BulletList, OrderedList, CodeBlock, Figure, Table, Rule,
)
ALIGNMENTS = ("", "left", "center", "right")

# --- walking the tree: the one place that knows which nodes hold which ------------------------------------
# Everyone who walks blocks and inlines (templates, text views, limits, collections, parity, links, accessibility,
# readers' clean-ups) goes through these; the walks keep their own stack, so a deeply nested model costs no deep
# recursion, and each `match` ends in `foreign` (typed Never, as `assert_never`), so mypy refuses a node type
# added without a case here.


def foreign(node: Never) -> NoReturn:
    """The last case of every `match` over node types: typed Never, so mypy fails when a model type lacks its case
    above; at run time a node of no model type (a plugin's, a test's) is an UnknownNodeError that names it."""
    found: object = node
    raise UnknownNodeError(f"a {type(found).__name__} is neither a block nor an inline of the model; blocks: "
                     f"{', '.join(t.__name__ for t in BLOCK_TYPES)}; inlines: "
                     f"{', '.join(t.__name__ for t in INLINE_TYPES)}")


def child_blocks(block: Block) -> tuple[tuple[Block, ...], ...]:
    """The block sequences a block holds: a quote's blocks, a list's items; none for the others."""
    match block:
        case BlockQuote():
            return (block.blocks,)
        case BulletList() | OrderedList():
            return block.items
        case Heading() | Paragraph() | CodeBlock() | Figure() | Table() | Rule():
            return ()
        case _:
            foreign(block)


def block_inlines(block: Block) -> tuple[tuple[Inline, ...], ...]:
    """The inline sequences a block holds directly (not those of the blocks inside a quote or list)."""
    match block:
        case Heading() | Paragraph():
            return (block.content,)
        case BlockQuote():
            return (block.attribution,)
        case Figure():
            return (block.caption,)
        case Table():
            return (block.caption, *block.header, *(cell for row in block.rows for cell in row))
        case BulletList() | OrderedList() | CodeBlock() | Rule():
            return ()
        case _:
            foreign(block)


def inline_children(node: Inline) -> tuple[Inline, ...]:
    """The inlines a mark holds (emphasis, strong, a link), and those a tracked change or a comment covers; none for
    text, code, a line break or an image."""
    match node:
        case Emphasis() | Strong() | Link() | Insertion() | Deletion() | Comment():
            return node.content
        case Text() | Code() | LineBreak() | Image():
            return ()
        case _:
            foreign(node)


def walk_blocks(blocks: Iterable[Block], depth: int = 0) -> Iterator[tuple[int, Block]]:
    """Every block in reading order with how many quotes and lists it sits inside (from `depth`)."""
    return ((level, block) for event, level, block in walk_tree(blocks, depth) if event == "enter")


TreeEvent = Literal["enter", "item", "leave"]
"""What `walk_tree` reports: a block reached, a list item about to start, a quote or list left."""


def walk_tree(blocks: Iterable[Block], depth: int = 0) -> Iterator[tuple[TreeEvent, int, Block]]:
    """Every block in reading order as ("enter", depth, block); for a list, ("item", depth, list) before each of
    its items (an empty one too); for a quote or list, ("leave", depth, block) after the blocks inside it. What a
    walk needs to number list items or close a container (a quote's attribution follows its text)."""
    stack: list[tuple[TreeEvent, int, Block | Iterator[Block]]] = [("enter", depth, iter(blocks))]
    while stack:
        event, level, pending = stack[-1]
        if isinstance(pending, Iterator):
            block = next(pending, None)
            if block is None:
                stack.pop()
                continue
            yield "enter", level, block
            children = child_blocks(block)
            if children:
                stack.append(("leave", level, block))
                for sequence in reversed(children):
                    stack.append(("enter", level + 1, iter(sequence)))
                    if not isinstance(block, BlockQuote):
                        stack.append(("item", level, block))
        else:
            stack.pop()
            yield event, level, pending


def walk_inlines(inlines: Iterable[Inline], depth: int = 0, *, deletions: bool = True) -> Iterator[tuple[int, Inline]]:
    """Every inline in reading order with how many marks it sits inside (from `depth`); without `deletions`, the
    text of pending deletions is not walked into (it is not part of the accepted text)."""
    stack: list[tuple[int, Iterator[Inline]]] = [(depth, iter(inlines))]
    while stack:
        level, pending = stack[-1]
        node = next(pending, None)
        if node is None:
            stack.pop()
            continue
        yield level, node
        if not deletions and isinstance(node, Deletion):
            continue
        children = inline_children(node)
        if children:
            stack.append((level + 1, iter(children)))


def iter_blocks(blocks: Iterable[Block]) -> Iterator[Block]:
    """Every block in reading order, including those inside quotes and list items."""
    return (block for _, block in walk_blocks(blocks))


def iter_inlines(inlines: Iterable[Inline], *, deletions: bool = True) -> Iterator[Inline]:
    """Every inline in reading order, including those inside emphasis, strong, links, tracked changes and comments
    (without `deletions`, not those inside a pending deletion)."""
    return (node for _, node in walk_inlines(inlines, deletions=deletions))


def iter_article_inlines(blocks: tuple[Block, ...]) -> Iterator[Inline]:
    """Every inline of every block in reading order."""
    for block in iter_blocks(blocks):
        for inlines in block_inlines(block):
            yield from iter_inlines(inlines)


def nesting_depth(blocks: Iterable[Block], limit: int) -> int:
    """How many quotes, lists and marks the most deeply nested node sits inside; counting stops past `limit`."""
    deepest = 0
    for depth, block in walk_blocks(blocks):
        inside = depth + 1 if isinstance(block, BlockQuote) or child_blocks(block) else depth
        deepest = max(deepest, inside)  # what a quote or list holds sits one level in
        for inlines in block_inlines(block):  # a quote's attribution sits inside the quote
            for level, node in walk_inlines(inlines, inside if isinstance(block, BlockQuote) else depth):
                deepest = max(deepest, level + 1 if isinstance(node, MARK_TYPES) else level)
                if deepest > limit:
                    return deepest
        if deepest > limit:
            return deepest
    return deepest


_Node = TypeVar("_Node")

InlineChange = Callable[[Inline], Sequence[Inline]]
"""What a map does to one inline (its children already mapped): the inlines that replace it."""
BlockChange = Callable[[Block], Sequence[Block]]
"""What a map does to one block (its children and inlines already mapped): the blocks that replace it."""


def _same_inline(node: Inline) -> Sequence[Inline]:
    return (node,)


def _same_block(block: Block) -> Sequence[Block]:
    return (block,)


def map_inlines(inlines: tuple[Inline, ...], change: InlineChange = _same_inline,
                join: Callable[[list[Inline]], list[Inline]] | None = None) -> tuple[Inline, ...]:
    """The inlines rebuilt from the innermost out: each node, its children mapped first, replaced by what `change`
    gives (none, itself, or several); `join`, when given, then tidies each rebuilt sequence (joins adjacent runs
    of text, say). Unchanged nodes stay the same objects."""
    out: list[Inline] = []
    for node in inlines:
        match node:
            case Emphasis() | Strong() | Link() | Insertion() | Deletion() | Comment():
                mapped = map_inlines(node.content, change, join)
                if mapped is not node.content:
                    node = dataclasses.replace(node, content=mapped)
        out.extend(change(node))
    return _kept(inlines, join(out) if join is not None else out)


def joined_text(inlines: list[Inline]) -> list[Inline]:
    """Inlines as any reader gives them back: adjacent runs of text joined, empty ones gone (a `join` for
    map_inlines)."""
    out: list[Inline] = []
    for node in inlines:
        if isinstance(node, Text):
            if not node.text:
                continue
            if out and isinstance(out[-1], Text):
                out[-1] = Text(out[-1].text + node.text)
                continue
        out.append(node)
    return out


def _kept(before: tuple[_Node, ...], after: list[_Node]) -> tuple[_Node, ...]:
    """`before` itself when mapping changed nothing (so callers can tell by identity), else the new tuple."""
    if len(before) == len(after) and all(a is b for a, b in zip(before, after, strict=True)):
        return before
    return tuple(after)


def map_blocks(blocks: tuple[Block, ...], change: BlockChange = _same_block,
               inline: InlineChange = _same_inline) -> tuple[Block, ...]:
    """The blocks rebuilt from the innermost out: every inline sequence mapped with `inline`, every block (its
    children mapped first) replaced by what `change` gives. A list item left empty, and a list left without
    items, are dropped. Unchanged blocks stay the same objects."""
    out: list[Block] = []
    for block in blocks:
        mapped = _mapped_children(block, change, inline)
        if mapped is not None:
            out.extend(change(mapped))
    return _kept(blocks, out)


def _mapped_children(block: Block, change: BlockChange, inline: InlineChange) -> Block | None:
    """The block with its children mapped; None for a list whose items all came out empty."""
    def inlines(content: tuple[Inline, ...]) -> tuple[Inline, ...]:
        return map_inlines(content, inline)

    match block:
        case Heading() | Paragraph():
            content = inlines(block.content)
            return block if content is block.content else dataclasses.replace(block, content=content)
        case BlockQuote():
            quoted, attribution = map_blocks(block.blocks, change, inline), inlines(block.attribution)
            if quoted is block.blocks and attribution is block.attribution:
                return block
            return dataclasses.replace(block, blocks=quoted, attribution=attribution)
        case BulletList() | OrderedList():
            items = [map_blocks(item, change, inline) for item in block.items]
            if all(a is b for a, b in zip(items, block.items, strict=True)):
                return block
            kept = tuple(item for item in items if item)
            return dataclasses.replace(block, items=kept) if kept else None
        case Figure():
            caption = inlines(block.caption)
            return block if caption is block.caption else dataclasses.replace(block, caption=caption)
        case Table():
            caption = inlines(block.caption)
            header = tuple(inlines(cell) for cell in block.header)
            rows = tuple(tuple(inlines(cell) for cell in row) for row in block.rows)
            if caption is block.caption and all(a is b for a, b in zip(header, block.header, strict=True)) and all(
                    a is b for row, old in zip(rows, block.rows, strict=True)
                    for a, b in zip(row, old, strict=True)):
                return block
            return dataclasses.replace(block, caption=caption, header=header, rows=rows)
        case CodeBlock() | Rule():
            return block
        case _:
            foreign(block)


def image_sources(blocks: tuple[Block, ...]) -> Iterator[str]:
    """Where every image the outputs embed comes from: each figure's, and each inline image's that is not on the
    web (those are never fetched into an output; their alt text stands in). Found once per blocks (they are
    frozen): a build asks for an article's several times (its figures' paths, their check, the cache's keys)."""
    known = _SOURCES.get(id(blocks))
    if known is not None and known[0] is blocks:
        return iter(known[1])
    found = tuple(_image_sources(blocks))
    if len(_SOURCES) >= MAX_SOURCES:
        _SOURCES.clear()
    _SOURCES[id(blocks)] = (blocks, found)
    return iter(found)


_SOURCES: dict[int, tuple[tuple[Block, ...], tuple[str, ...]]] = {}
"""The image sources of the blocks asked about, by the blocks' identity (kept with them, so it stays theirs)."""
MAX_SOURCES = 2_000
"""The most blocks whose sources are remembered: a long-running process forgets them all at this count."""


def _image_sources(blocks: tuple[Block, ...]) -> Iterator[str]:
    pending = list(reversed(blocks))  # a walk of its own, in reading order: it runs on every article of every
    while pending:  # build, several times, and the generic walks' layers of generators cost more than the search
        block = pending.pop()
        if isinstance(block, Figure):
            yield block.src
        for inlines in block_inlines(block):
            nodes = list(reversed(inlines))
            while nodes:
                node = nodes.pop()
                if isinstance(node, Text):
                    continue
                if isinstance(node, Image):
                    if not is_remote(node.src):
                        yield node.src
                else:
                    nodes += reversed(inline_children(node))
        for sequence in reversed(child_blocks(block)):
            pending += reversed(sequence)


def is_remote(src: str) -> bool:
    """Whether an image reference is a web address (http:, https: or //host/...): publish never fetches those
    into an output."""
    return src.strip().lower().startswith(("http:", "https:", "//"))


# --- metadata and the article ------------------------------------------------------------------------------

Date = dt.date | dt.datetime

ENDS_CHOICES = ("ends", "###", "none")
"""What an end mark may be besides words of its own: "ends" (the language's word, "ENDS"), "###", or none."""


@dataclass(frozen=True, slots=True)
class Contact:
    """Someone a journalist can call about a press release."""

    kind: ClassVar[str] = "contact"
    name: str
    """The person's (or desk's) name; never empty."""
    role: str = ""
    """Their role or organisation ("Head of communications")."""
    phone: str = ""
    """A telephone number, as written."""
    email: str = ""
    """An e-mail address."""

    def __post_init__(self) -> None:
        if not self.name.strip():
            raise ValueError("a contact needs a name")


@dataclass(frozen=True, slots=True)
class Correction:
    """A correction to an article after it was published: when, and what was corrected."""

    kind: ClassVar[str] = "correction"
    date: Date
    """When the correction was made (a date, or a date and time)."""
    text: str
    """What was wrong and what is right now, as one paragraph."""

    def __post_init__(self) -> None:
        if not self.text.strip():
            raise ValueError("a correction needs its text")


@dataclass(frozen=True, slots=True)
class Meta:
    """What is known about an article besides its body."""

    headline: str
    """The article's title."""
    dek: str = ""
    """The subtitle or standfirst below the headline."""
    authors: tuple[str, ...] = ()
    """The byline's names, in order."""
    dateline: str = ""
    """The place the story was filed from, for example "BISHKEK"."""
    published: Date | None = None
    """When the article was first published (a date, or a date and time)."""
    updated: Date | None = None
    """When it was last updated."""
    source: str = ""
    """The publisher or news agency."""
    url: str = ""
    """The canonical URL of the original."""
    language: str = "en"
    """The BCP 47 language tag of the text."""
    keywords: tuple[str, ...] = ()
    """Subject keywords."""
    summary: str = ""
    """A short abstract."""
    rights: str = ""
    """The copyright or licence statement."""
    identifier: str = ""
    """A stable identifier given by the source; see `uid` for the one always available."""
    embargo: dt.datetime | None = None
    """A press release's embargo: not to be published before this moment (a date and time with its zone)."""
    contacts: tuple[Contact, ...] = ()
    """Media contacts, printed in a block at the end."""
    notes_to_editors: tuple[str, ...] = ()
    """Notes to editors, one paragraph each, printed in a titled section after the story."""
    ends: str = ""
    """The end mark after the story: "" for the theme's, else "ends" (the language's word), "###", "none" or
    words of its own."""
    corrections: tuple[Correction, ...] = ()
    """Corrections made since publication, oldest first, printed at the foot and listed in the metadata."""

    def __post_init__(self) -> None:
        if self.embargo is not None and self.embargo.utcoffset() is None:
            raise ValueError("an embargo needs its time zone (for example 2024-06-12T06:00+05:00 or ...T01:00Z)")

    @property
    def is_press_release(self) -> bool:
        """Whether the article carries a press office's furniture (an embargo, contacts, notes to editors or an
        end mark of its own): only then is an end mark printed after the story."""
        return bool(self.embargo or self.contacts or self.notes_to_editors or self.ends)

    @property
    def uid(self) -> str:
        """The identifier, or one derived from the URL or headline and date (the same article, the same uid)."""
        if self.identifier:
            return self.identifier
        seed = self.url or f"{self.headline}|{self.published.isoformat() if self.published else ''}"
        return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, seed)}"


@dataclass(frozen=True, slots=True)
class Article:
    """One story: metadata and body blocks."""

    meta: Meta
    """Headline, byline, dates and the rest."""
    blocks: tuple[Block, ...] = field(default=())
    """The body, in reading order."""

    @property
    def articles(self) -> tuple[Article, ...]:
        """The article itself: what a collection's `articles` gives, so both are read the same way."""
        return (self,)

    @property
    def uid(self) -> str:
        """The article's identifier (see `Meta.uid`)."""
        return self.meta.uid

    @property
    def language(self) -> str:
        """The language of the article as a whole."""
        return self.meta.language


# --- collections -------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Section:
    """A titled group of articles in a collection."""

    title: str
    """The section's title ("World", "Business"); empty for a collection with one untitled section."""
    articles: tuple[Article, ...]
    """The section's articles, in order, each with its own metadata."""


@dataclass(frozen=True, slots=True)
class Collection:
    """Many articles under one title: a press brief, an e-book digest, an editor's packet."""

    title: str
    """The collection's title ("Morning Brief")."""
    sections: tuple[Section, ...]
    """The sections, in order."""
    subtitle: str = ""
    """A line below the title."""
    edition: Date | None = None
    """The edition's date."""
    publisher: str = ""
    """Who publishes the collection."""
    language: str = "en"
    """The BCP 47 language tag of the collection as a whole."""
    logo: str = ""
    """The publisher's logo: a path relative to the collection's folder, or empty."""
    cover: str = ""
    """A cover image: a path relative to the collection's folder, or empty (one is generated)."""
    identifier: str = ""
    """A stable identifier; see `uid`."""

    @property
    def articles(self) -> tuple[Article, ...]:
        """Every article in reading order."""
        return tuple(article for section in self.sections for article in section.articles)

    @property
    def uid(self) -> str:
        """The identifier, or one derived from the title, edition and publisher."""
        if self.identifier:
            return self.identifier
        seed = f"collection|{self.title}|{self.edition.isoformat() if self.edition else ''}|{self.publisher}"
        return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, seed)}"


Document = Article | Collection
