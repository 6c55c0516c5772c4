"""Markdown backend: an article as CommonMark with YAML front matter that publish's Markdown reader reads back to
the same model; pending tracked changes and comments as CriticMarkup (`publish build --to md`).

What it writes: Pandoc's front matter keys and the news keys the reader knows; ATX headings; pipe tables with
their alignment and a Pandoc "Table: caption" line; figures as `![caption](src){alt="..." credit="..."}`;
fenced code longer than any backtick run inside; nested lists (their markers alternate so that two lists in a
row stay two) and quotes with their attribution as a last "— Name" paragraph; `\\` line breaks (`<br>` where
Markdown has no other way: a heading, a table cell, a paragraph's end); links with titles; insertions,
deletions and comments as `{++…++}`, `{--…--}`, `{==…==}{>>…<<}` with the author and date in a Pandoc-style
attribute block, a comment's replies as `{>>…<<}{.reply author="…"}`. Text is escaped where Markdown would read
it as syntax, and spaces Markdown would strip (at a line's ends) are written as character references.

Each paragraph is checked by reading it back with the reader's own parser; where emphasis delimiters would be
read differently, `_` for `*` and `<br>` for `\\` are tried. What Markdown cannot hold exactly keeps its words and
is reported as a warning naming the block: a figure with a caption but no alt text (read back with the caption
as its alt), subheads that start below level 1, a link target with spaces (read back percent-encoded), a local
image alone in its paragraph (read back as a figure), an empty code span, a line break inside inline code.
Inline images are `![alt](src "title")`.
"""

from __future__ import annotations

import dataclasses
import logging
import re
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, assert_never

import yaml
from markdown_it.tree import SyntaxTreeNode

from publish import model
from publish.backends import RenderContext
from publish.errors import FormatError
from publish.model import text
from publish.readers import markdown as reader

if TYPE_CHECKING:
    from publish.readers.collection import CollectionOptions

log = logging.getLogger("publish")

ALWAYS = re.compile(r"([\\`*_\[\]<{}|#])")
"""Characters escaped wherever they are in text: they open inline syntax (and `|` splits table cells)."""
ENTITY_LIKE = re.compile(r"&(?=#?[A-Za-z0-9]+;)")
LINE_START = re.compile(r"^(>|[-+=~:](?=\s|$|[-=~:])|\d{1,9}(?=[.)]))")
"""What would open a block at the start of a line: a heading, a quote, a list, a setext underline, a fence."""
FENCE_TICKS = re.compile(r"`+")


def outputs(document: model.Document, stem: str, options: CollectionOptions) -> list[tuple[str, model.Document]]:
    """One Markdown file per article: for a collection, "STEM-md/01-headline-words.md" and so on, in reading order
    (Markdown holds one article)."""
    match document:
        case model.Collection():
            return [(f"{stem}-md/{number:02d}-{text.slug(article.meta.headline)}.md", article)
                    for number, article in enumerate(document.articles, 1)]
        case model.Article():
            return [(f"{stem}.md", document)]
        case _:
            assert_never(document)


def render(document: model.Document, context: RenderContext) -> str:
    """The article as Markdown; a collection is refused (the build writes one Markdown file per article)."""
    match document:
        case model.Collection():
            raise FormatError("Markdown holds one article; build a collection's articles one by one, or let "
                              "`publish build MANIFEST --to md` write one file per article")
        case model.Article():
            return write(document)
        case _:
            assert_never(document)


def write(article: model.Article) -> str:
    """The article as Markdown with YAML front matter; what Markdown cannot hold exactly is logged as a warning."""
    markdown, problems = writing(article)
    for problem in problems:
        log.warning("%s: Markdown cannot hold this exactly (its words are kept): %s", article.meta.headline, problem)
    return markdown


def writing(article: model.Article) -> tuple[str, tuple[str, ...]]:
    """The article as Markdown, and what in it Markdown cannot hold exactly (empty when it reads back the same)."""
    writer = _Writer()
    body = writer.blocks(article.blocks)
    levels = [b.level for b in article.blocks if isinstance(b, model.Heading)]  # as the reader shifts them
    if levels and min(levels) > 1:
        writer.inexact(f"heading levels start at {min(levels)}; read back, the highest becomes level 1")
    markdown = f"---\n{front_matter(article.meta)}---\n\n" + "\n".join(body).rstrip("\n") + "\n"
    return markdown, tuple(writer.problems)


def front_matter(meta: model.Meta) -> str:
    """Pandoc's keys where they exist (title, subtitle, author, date, lang...), then the news keys."""
    data: dict[str, Any] = {"title": meta.headline}
    fields: list[tuple[str, Any]] = [
        ("subtitle", meta.dek), ("author", list(meta.authors)), ("dateline", meta.dateline),
        ("date", _date(meta.published)), ("updated", _date(meta.updated)), ("source", meta.source),
        ("url", meta.url), ("lang", meta.language), ("keywords", list(meta.keywords)), ("abstract", meta.summary),
        ("rights", meta.rights), ("identifier", meta.identifier),
        # a press office's, as the reader's keys name them
        ("embargo", _date(meta.embargo)),
        ("contacts", [{k: v for k, v in (("name", c.name), ("role", c.role), ("phone", c.phone),
                                         ("email", c.email)) if v} for c in meta.contacts]),
        ("notes_to_editors", list(meta.notes_to_editors)), ("ends", meta.ends),
        ("corrections", [{"date": _date(c.date), "text": c.text} for c in meta.corrections]),
    ]
    data.update((key, value) for key, value in fields if value)
    dumped: str = yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=1_000_000)
    return dumped


def _date(value: model.Date | None) -> str:
    return value.isoformat() if value is not None else ""


# --- text --------------------------------------------------------------------------------------------------


def escape(value: str) -> str:
    """Plain text as Markdown that reads back as exactly this text (outside line starts and ends)."""
    value = ALWAYS.sub(r"\\\1", value)
    value = ENTITY_LIKE.sub(r"\\&", value)
    return value.replace("\n", "&#10;").replace("\r", "&#13;")


def _reference(char: str) -> str:
    return f"&#{ord(char)};"


def fix_line_ends(line: str) -> str:
    """A line of inline Markdown with what a block would read as syntax at its start escaped, and the spaces
    Markdown strips at its ends written as character references."""
    if line[:1].isspace():
        line = _reference(line[0]) + line[1:]
    if line[-1:].isspace() and not line.endswith("\\"):
        line = line[:-1] + _reference(line[-1])
    match = LINE_START.match(line)
    if match:
        if match.group(1)[0].isdigit():
            end = match.end()
            line = line[:end] + "\\" + line[end:]
        else:
            line = "\\" + line
    return line


def attribute(key: str, value: str) -> str:
    """`key="value"`, with the quote and backslash escaped as the attribute parser reads them."""
    value = value.replace("{", "(").replace("}", ")")
    return f'{key}="' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def attributes(pairs: list[tuple[str, str]], classes: tuple[str, ...] = ()) -> str:
    written = [f".{name}" for name in classes] + [attribute(key, value) for key, value in pairs if value]
    return "{" + " ".join(written) + "}" if written else ""


# --- inlines -----------------------------------------------------------------------------------------------


class _Inlines:
    """Inlines as Markdown, with a choice of emphasis delimiter per nesting depth."""

    def __init__(self, style: Callable[[int], str], breaks: str, in_table: bool = False) -> None:
        self.style = style
        self.breaks = breaks  # "\\\n" in a paragraph; "<br>" where a line cannot end
        self.in_table = in_table
        self.problems: list[str] = []

    def run(self, inlines: tuple[model.Inline, ...], depth: int = 0) -> str:
        out: list[str] = []
        items = list(inlines)
        index = 0
        while index < len(items):
            node = items[index]
            following = items[index + 1] if index + 1 < len(items) else None
            if (isinstance(node, model.Deletion) and isinstance(following, model.Insertion)
                    and (node.author, node.date) == (following.author, following.date)):
                out.append("{~~" + self.run(node.content, depth) + "~>" + self.run(following.content, depth) + "~~}"
                           + attributes([("author", node.author), ("date", node.date)]))
                index += 2
                continue
            out.append(self.inline(node, depth))
            index += 1
        return "".join(out)

    def inline(self, node: model.Inline, depth: int) -> str:
        if isinstance(node, model.Text):
            return escape(node.text)
        if isinstance(node, model.Code):
            return self.code(node.text)
        if isinstance(node, model.LineBreak):
            return self.breaks
        if isinstance(node, (model.Emphasis, model.Strong)):
            mark = self.style(depth) * (1 if isinstance(node, model.Emphasis) else 2)
            inner = self.run(node.content, depth + 1)
            if inner[:1].isspace():  # a space next to a delimiter would stop it opening or closing
                inner = _reference(inner[0]) + inner[1:]
            if inner[-1:].isspace():
                inner = inner[:-1] + _reference(inner[-1])
            return mark + inner + mark
        if isinstance(node, model.Link):
            return f"[{self.run(node.content, depth)}]({destination(node.url)}{link_title(node.title)})"
        if isinstance(node, model.Image):
            return f"![{escape(node.alt)}]({destination(node.src)}{link_title(node.title)})"
        if isinstance(node, (model.Insertion, model.Deletion)):
            sign = "++" if isinstance(node, model.Insertion) else "--"
            return ("{" + sign + self.run(node.content, depth) + sign + "}"
                    + attributes([("author", node.author), ("date", node.date)]))
        if isinstance(node, model.Comment):
            covered = "{==" + self.run(node.content, depth) + "==}" if node.content else ""
            out = covered + comment_text(node.text) + attributes(
                [("author", node.author), ("initials", node.initials), ("date", node.date)],
                ("resolved",) if node.resolved else ())
            for reply in node.replies:
                out += comment_text(reply.text) + attributes(
                    [("author", reply.author), ("initials", reply.initials), ("date", reply.date)], ("reply",))
            return out
        raise FormatError(f"the Markdown backend cannot render a {type(node).__name__} inline")

    def code(self, literal: str) -> str:
        if not literal:
            self.problems.append("an empty code span")
            return ""
        if "\n" in literal:
            self.problems.append(f"a line break inside the code span {literal!r} (read back as a space)")
            literal = literal.replace("\n", " ")
        ticks = "`" * (max((len(run) for run in FENCE_TICKS.findall(literal)), default=0) + 1)
        padded = literal.startswith("`") or literal.endswith("`") or (
            literal.startswith(" ") and literal.endswith(" ") and literal.strip(" "))
        inner = f" {literal} " if padded else literal
        return ticks + (inner.replace("|", "\\|") if self.in_table else inner) + ticks


def link_title(title: str) -> str:
    """A link's or image's title after its target, quoted; empty when there is none."""
    return ' "' + title.replace("\\", "\\\\").replace('"', '\\"') + '"' if title else ""


def comment_text(value: str) -> str:
    """A comment's text between `{>>` and `<<}`: literal, with what would end or change it escaped."""
    value = value.replace("\\", "\\\\").replace("<", "\\<")
    value = ENTITY_LIKE.sub(r"\\&", value).replace("\n", "&#10;")
    if value[:1].isspace():
        value = _reference(value[0]) + value[1:]
    if value[-1:].isspace():
        value = value[:-1] + _reference(value[-1])
    return "{>>" + value + "<<}"


def destination(url: str) -> str:
    """A link or image target: bare when it can be, else in angle brackets."""
    url = ENTITY_LIKE.sub(r"\\&", url.replace("\\", "\\\\"))
    if url and not re.search(r"[\s()<>]", url):
        return url
    return "<" + url.replace("<", "\\<").replace(">", "\\>").replace("\n", "%0A") + ">"


STYLES: tuple[Callable[[int], str], ...] = (
    lambda depth: "*",
    lambda depth: "*_"[depth % 2],
    lambda depth: "_*"[depth % 2],
    lambda depth: "_",
)
"""Emphasis delimiters to try, by nesting depth: `*` everywhere first, then alternating with `_`."""


def _read_back(markdown: str) -> tuple[model.Inline, ...] | None:
    """What the reader makes of one paragraph of Markdown, or None when it is not one paragraph."""
    nodes = SyntaxTreeNode(reader._PARSER.parse(markdown)).children
    if len(nodes) != 1 or nodes[0].type != "paragraph":
        return None
    return reader._Reader("(check)", "all").inlines(nodes[0].children[0])


# --- blocks ------------------------------------------------------------------------------------------------


class _Writer:
    """One article's blocks as lines of Markdown."""

    def __init__(self) -> None:
        self.problems: list[str] = []

    def inexact(self, problem: str) -> None:
        self.problems.append(problem)

    def inlines(self, inlines: tuple[model.Inline, ...], where: str, *, breaks: str = "\\\n",
                in_table: bool = False) -> str:
        """Inline Markdown that reads back as `inlines`: each emphasis style is tried, with `\\` line breaks and
        then with `<br>`. Failing all, the marks are written with the spaces and breaks at their edges moved
        outside them, and failing that without the marks: the words are kept, and the change is reported."""
        expected = merged(inlines)
        for target in _targets(inlines):
            if _normal_url(target) != target:
                self.inexact(f"the link or image target {target[:60]!r} is read back as {_normal_url(target)[:60]!r}")
        attempts: list[tuple[str, list[str]]] = []
        for candidate in (inlines, tidied(inlines), unmarked(inlines)):
            for line_break in dict.fromkeys((breaks, "<br>")):
                for style in STYLES:
                    renderer = _Inlines(style, line_break, in_table)
                    written = self.written(renderer, candidate, line_break)
                    if not renderer.problems and _read_back(written) == _normal_urls(merged(candidate)):
                        if candidate is not inlines:
                            self.inexact(f"{where} {text.plain(inlines)[:60]!r}: "
                                         + ("the spaces and line breaks at the edges of its emphasis are moved outside"
                                            if candidate == tidied(inlines) else "its emphasis is left out"))
                        return written
                    if candidate is inlines:
                        attempts.append((written, renderer.problems))
        written, problems = attempts[0]
        for problem in problems or [f"{where} {text.plain(expected)[:60]!r} reads back with other marks"]:
            self.inexact(problem)
        return written

    @staticmethod
    def written(renderer: _Inlines, inlines: tuple[model.Inline, ...], line_break: str) -> str:
        tail = ""
        if line_break != "<br>" and inlines and isinstance(inlines[-1], model.LineBreak):
            inlines, tail = inlines[:-1], "<br>"  # a `\` cannot end a paragraph
        written = renderer.run(inlines) + tail
        return "\n".join(fix_line_ends(line) for line in written.split("\n"))

    def blocks(self, blocks: tuple[model.Block, ...]) -> list[str]:
        """The blocks' lines, a blank line between blocks; a list right after a list of the same kind gets other
        markers (`-`, `*`, `+`; `.`, `)`), or Markdown would read the two as one."""
        lines: list[str] = []
        previous: model.Block | None = None
        turn = 0
        for block in blocks:
            if lines:
                lines.append("")
            turn = turn + 1 if previous is not None and type(previous) is type(block) else 0
            if isinstance(block, model.BulletList):
                lines += self.list_items(block.items, ["-*+"[turn % 3]] * len(block.items))
            elif isinstance(block, model.OrderedList):
                lines += self.list_items(block.items, [f"{block.start + number}{'.)'[turn % 2]}"
                                                       for number in range(len(block.items))])
            else:
                lines += self.block(block)
            previous = block
        return lines

    def block(self, block: model.Block) -> list[str]:
        if isinstance(block, model.Paragraph):
            if not block.content:
                self.inexact("an empty paragraph")
                return []
            shown = [node for node in block.content if not (isinstance(node, model.Text) and not node.text.strip())]
            if len(shown) == 1 and isinstance(shown[0], model.Image) and not model.is_remote(shown[0].src):
                self.inexact(f"the image {shown[0].src[:60]!r} alone in its paragraph (read back as a figure)")
            return self.inlines(block.content, "the paragraph").split("\n")
        if isinstance(block, model.Heading):
            content = self.inlines(block.content, "the heading", breaks="<br>")
            return [("#" * block.level + " " + content).rstrip()]
        if isinstance(block, model.BlockQuote):
            inner = self.blocks(block.blocks)
            if block.attribution:
                if not block.blocks or not reader.ATTRIBUTION.match(text.plain(block.attribution)):
                    self.inexact(f"the quote attribution {text.plain(block.attribution)!r} (read back as a "
                                 "paragraph of the quote)")
                inner += ([""] if inner else []) + self.inlines(block.attribution, "an attribution").split("\n")
            elif block.blocks and _ends_like_attribution(block.blocks[-1]):
                self.inexact("a quote's last line starts with a dash (read back as its attribution)")
            return [f"> {line}" if line else ">" for line in inner] or [">"]
        if isinstance(block, model.CodeBlock):
            return self.code_block(block)
        if isinstance(block, model.Figure):
            return [self.figure(block)]
        if isinstance(block, model.Table):
            return self.table(block)
        if isinstance(block, model.Rule):
            return ["___"]
        raise FormatError(f"the Markdown backend cannot render a {type(block).__name__} block")

    def list_items(self, items: tuple[tuple[model.Block, ...], ...], markers: list[str]) -> list[str]:
        lines: list[str] = []
        for head, item in zip(markers, items, strict=True):  # a tight list: the model keeps no looseness
            indent = " " * (len(head) + 1)
            inner = self.blocks(item)
            if not inner:
                lines.append(head)
                continue
            lines.append(f"{head} {inner[0]}" if inner[0] else head)
            lines += [f"{indent}{line}" if line else "" for line in inner[1:]]
        return lines

    def code_block(self, block: model.CodeBlock) -> list[str]:
        runs = [len(run) for run in re.findall(r"`+|~+", block.text)]
        fence_char = "~" if "`" in block.language else "`"
        fence = fence_char * max(3, max(runs, default=0) + 1)
        language = block.language.replace("\n", " ")
        return [fence + language, *block.text.split("\n"), fence]

    def figure(self, figure: model.Figure) -> str:
        if model.is_remote(figure.src):
            self.inexact(f"the figure {figure.src[:60]!r} is on the web (read back as an image in a line of text)")
        caption = self.inlines(figure.caption, "a figure caption", breaks="<br>") if figure.caption else ""
        pairs: list[tuple[str, str]] = []
        if figure.alt != text.plain(figure.caption):
            if not figure.alt:
                self.inexact(f"the figure {figure.src[:60]!r} has a caption but no alt text (the caption is read "
                             "back as its alt text)")
            pairs.append(("alt", figure.alt))
        pairs.append(("credit", figure.credit))
        return f"![{caption}]({destination(figure.src)}){attributes(pairs)}"

    def table(self, table: model.Table) -> list[str]:
        def row(cells: tuple[model.Cell, ...]) -> str:
            return "| " + " | ".join(self.inlines(cell, "the table cell", breaks="<br>", in_table=True) if cell else " "
                                     for cell in cells) + " |"

        align = table.align or ("",) * len(table.header)
        rule = {"": "---", "left": ":---", "center": ":---:", "right": "---:"}
        lines = [row(table.header), "| " + " | ".join(rule[a] for a in align) + " |"]
        lines += [row(cells) for cells in table.rows]
        if table.caption:
            lines += ["", "Table: " + self.inlines(table.caption, "a table caption", breaks="<br>")]
        return lines


def tidied(inlines: tuple[model.Inline, ...]) -> tuple[model.Inline, ...]:
    """Emphasis and strong with the spaces and line breaks at their edges moved outside them (and gone if empty)."""
    def edges(node: model.Inline) -> list[model.Inline]:
        if not isinstance(node, (model.Emphasis, model.Strong)):
            return [node]
        content = list(node.content)
        before: list[model.Inline] = []
        after: list[model.Inline] = []
        while content and _blank(content[0]):
            before.append(content.pop(0))
        while content and _blank(content[-1]):
            after.insert(0, content.pop())
        for edge, side in ((before, 0), (after, -1)):
            if content and isinstance(content[side], model.Text):
                value = content[side].text  # type: ignore[union-attr]
                kept = value.lstrip() if side == 0 else value.rstrip()
                space = value[:len(value) - len(kept)] if side == 0 else value[len(kept):]
                content[side] = model.Text(kept)
                if side == 0:
                    edge.append(model.Text(space))
                else:
                    edge.insert(0, model.Text(space))
        return [*before, *([type(node)(tuple(content))] if content else []), *after]

    return model.map_inlines(inlines, edges, model.joined_text)


def unmarked(inlines: tuple[model.Inline, ...]) -> tuple[model.Inline, ...]:
    """The inlines without emphasis and strong (their content kept in place)."""
    return model.map_inlines(inlines, lambda node: node.content if isinstance(node, (model.Emphasis, model.Strong))
                             else (node,), model.joined_text)


def _normal_url(url: str) -> str:
    """A target as the reader gives it back: markdown-it percent-encodes spaces and other characters in it."""
    return str(reader._PARSER.normalizeLink(url))


def _targets(inlines: tuple[model.Inline, ...]) -> Iterator[str]:
    for node in model.iter_inlines(inlines):
        if isinstance(node, model.Link):
            yield node.url
        if isinstance(node, model.Image):
            yield node.src


def _normal_urls(inlines: tuple[model.Inline, ...]) -> tuple[model.Inline, ...]:
    """The inlines with their link and image targets as the reader gives them back."""
    def normal(node: model.Inline) -> tuple[model.Inline, ...]:
        if isinstance(node, model.Link):
            return (dataclasses.replace(node, url=_normal_url(node.url)),)
        if isinstance(node, model.Image):
            return (dataclasses.replace(node, src=_normal_url(node.src)),)
        return (node,)

    return model.map_inlines(inlines, normal)


def _blank(node: model.Inline) -> bool:
    return isinstance(node, model.LineBreak) or (isinstance(node, model.Text) and not node.text.strip())


def merged(inlines: tuple[model.Inline, ...]) -> tuple[model.Inline, ...]:
    """Inlines as any reader gives them: adjacent text runs joined, empty ones gone, at every depth."""
    return model.map_inlines(inlines, join=model.joined_text)


def _ends_like_attribution(block: model.Block) -> bool:
    if not isinstance(block, model.Paragraph):
        return False
    tail: list[model.Inline] = []
    for node in block.content:
        tail = [] if isinstance(node, model.LineBreak) else [*tail, node]
    return bool(tail) and isinstance(tail[0], model.Text) and bool(reader.ATTRIBUTION.match(tail[0].text))
