"""Reader for Markdown (CommonMark, pipe tables, Pandoc-style image attributes) with YAML front matter."""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Iterable
from pathlib import PurePath
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.rules_block import StateBlock
from markdown_it.tree import SyntaxTreeNode
from mdit_py_plugins.attrs import attrs_plugin
from mdit_py_plugins.front_matter import front_matter_plugin

from publish import model
from publish.errors import InputError
from publish.model import language, limits, text
from publish.readers import TRACK_CHANGES, Dropped, Inferred, Reading, Source, pressfields, sanitise, yamlform
from publish.readers.criticmarkup import attribute_value, criticmarkup_plugin

# Pandoc's metadata keys where they exist, then the news keys; aliases map to the same model field.
META_KEYS: dict[str, str] = {
    "title": "headline", "subtitle": "dek", "author": "authors", "date": "published", "lang": "language",
    "keywords": "keywords", "abstract": "summary", "rights": "rights", "identifier": "identifier",
    "dateline": "dateline", "source": "source", "url": "url", "updated": "updated",
    # aliases
    "headline": "headline", "dek": "dek", "authors": "authors", "byline": "authors", "language": "language",
    "summary": "summary", "description": "summary", "publisher": "source", "date-modified": "updated",
    # a press office's
    **pressfields.FIELDS,
}
CAPTION = re.compile(r"^[ >]*Table: ")
"""A table's caption line, as Pandoc writes it (also inside a block quote)."""
ATTRIBUTION = re.compile(r"^\s*(?:—|―|–|--)\s*\S")

SCRIPT_OPEN = re.compile(rf"<({'|'.join(sanitise.SCRIPT_LIKE)})\b[^>]*>", re.IGNORECASE)
MAX_BLOCK_LEVEL = 2 * limits.MAX_DEPTH + 4
"""markdown-it's token nesting (a list is two levels: list and item) past which the reader stops: markdown-it
itself would silently skip the rest of the file at its own limit."""


class _TooDeep(Exception):
    def __init__(self, line: int) -> None:
        super().__init__(line)
        self.line = line


def _nesting_guard(state: StateBlock, start_line: int, end_line: int, silent: bool) -> bool:
    """A block rule that never matches: it stops the parse, naming the line, where blocks nest too deep."""
    if state.level >= MAX_BLOCK_LEVEL:
        raise _TooDeep(start_line + 1)
    return False


log = logging.getLogger(__name__)

_PARSER = MarkdownIt("commonmark", {"maxNesting": MAX_BLOCK_LEVEL + 8}).enable("table").use(front_matter_plugin) \
    .use(attrs_plugin).use(criticmarkup_plugin)
_PARSER.block.ruler.before("front_matter", "nesting_guard", _nesting_guard)


def read(source: Source) -> Reading:
    """Read the source as UTF-8 text (see `read_text`); CriticMarkup as `source.track_changes` says."""
    return read_text(source.text(), source=source.name, track_changes=source.track_changes)


def read_text(source_text: str, *, source: str, track_changes: str = "accept") -> Reading:
    """Parse Markdown into the model: front matter to metadata, blocks to typed blocks. CriticMarkup suggestions
    are accepted, rejected, or (with "all") kept as the model's insertions, deletions and comments."""
    if track_changes not in TRACK_CHANGES:
        raise InputError(f"unknown --track-changes {track_changes!r}; use {', '.join(TRACK_CHANGES)}", path=source)
    try:
        return _Reader(source, track_changes).read(source_text)
    except _TooDeep as exc:
        raise InputError(f"lists or quotes nest more than {limits.MAX_DEPTH} levels deep here; publish renders at "
                         f"most {limits.MAX_DEPTH}", path=source, line=exc.line) from None


class _Reader:
    """One read of one file: collects the report as it converts."""

    def __init__(self, source: str, track_changes: str = "accept") -> None:
        self.source = source
        self.mode = track_changes
        self.lines: list[str] = []
        self.dropped: list[Dropped] = []
        self.inferred: list[Inferred] = []

    def read(self, source_text: str) -> Reading:
        self.lines = source_text.split("\n")
        tree = SyntaxTreeNode(_PARSER.parse(source_text))
        nodes = list(tree.children)
        front: dict[str, Any] = {}
        front_node = None
        if nodes and nodes[0].type == "front_matter":
            front_node = nodes.pop(0)
            front = self.front_matter(front_node)
        if "language" in front:
            front["language"] = self.language(front["language"], front_node)
        blocks = list(self.blocks(nodes))
        if not front.get("headline"):  # none given, or `title: ""`
            front["headline"] = self.headline(blocks, nodes)
        blocks = _shift_headings(blocks)
        meta = model.Meta(**front)
        return Reading(model.Article(meta, tuple(blocks)), tuple(self.dropped), tuple(self.inferred))

    def language(self, value: str, front_node: SyntaxTreeNode | None) -> str:
        """The front matter's language as a BCP 47 tag (en_US becomes en-US); a malformed one is refused."""
        try:
            return language.bcp47(value)
        except ValueError as exc:
            content = front_node.content if front_node is not None else ""
            key = next((k for k in ("lang", "language") if re.search(rf"(?m)^{k}\s*:", content)), "lang")
            raise InputError(f"{key}: {exc}", path=self.source, line=_key_line(content, key)) from None

    def headline(self, blocks: list[model.Block], nodes: list[SyntaxTreeNode]) -> str:
        """The headline of a file without a title: a first `# Heading`, taken out of the body; else, with a
        warning, the first heading of any level (taken out too), else the file's name made readable."""
        at = next((i for i, b in enumerate(blocks) if isinstance(b, model.Heading) and text.plain(b.content).strip()),
                  None)
        if at is not None:
            nth = sum(1 for b in blocks[:at] if isinstance(b, model.Heading))
            line = [_line(node) for node in nodes if node.type == "heading"][nth]
            first = blocks.pop(at)
            assert isinstance(first, model.Heading)
            headline = " ".join(text.plain(first.content).split())
            if at == 0 and first.level == 1:
                self.inferred.append(Inferred(line, headline, "headline (the first level-1 heading)"))
                return headline
            log.warning("%s:%d: no title: the headline is the first heading, “%s” (give `title:` in the front "
                        "matter to choose another)", self.source, line, headline)
            self.inferred.append(Inferred(line, headline, "headline (the first heading)"))
            return headline
        headline = _readable_name(self.source)
        log.warning("%s: no title and no heading: the headline is the file's name, “%s” (give `title:` in the front "
                    "matter to choose another)", self.source, headline)
        self.inferred.append(Inferred(1, headline, "headline (the file's name)"))
        return headline

    # --- front matter ------------------------------------------------------------------------------------

    def front_matter(self, node: SyntaxTreeNode) -> dict[str, Any]:
        if not node.content.strip():
            return {}
        try:  # the front matter's first line is the file's second, after the opening ---
            data = yamlform.load(node.content, what="front matter", first_line=2)
        except yamlform.YamlProblem as exc:
            raise InputError(exc.message, path=self.source, line=exc.line or 1) from None
        if not isinstance(data, dict):
            raise InputError(f"front matter must be a mapping of keys to values, not {yamlform.kind(data)}",
                             path=self.source, line=1)
        meta: dict[str, Any] = {}
        for key, value in data.items():
            field = META_KEYS.get(str(key).lower())
            line = yamlform.line_of(data, key, 1) or 1
            if field is None:
                self.dropped.append(Dropped(line, f"{key}: {value}", "front matter key publish does not use"))
                continue
            if field in meta:
                raise InputError(f"front matter gives {field} twice (key {key!r})", path=self.source, line=line)
            if value is not None:
                meta[field] = self.meta_value(field, key, value, line)
        return meta

    def meta_value(self, field: str, key: Any, value: Any, line: int) -> Any:
        if field in pressfields.CHOSEN:
            try:
                return pressfields.value(field, key, value, line)
            except pressfields.PressProblem as exc:
                raise InputError(exc.message, path=self.source, line=exc.line or line) from None
        if field in ("published", "updated"):
            return self.date(key, value, line)
        if field == "authors":
            names = [value] if isinstance(value, str) else value
            if isinstance(names, list):
                out = [n.get("name") if isinstance(n, dict) else n for n in names]
                clean = [n.strip() for n in out if isinstance(n, str) and n.strip()]
                if len(clean) == len(out):
                    return tuple(clean)
            raise InputError(f"{key}: give a name or a list of names", path=self.source, line=line)
        if field == "keywords":
            items = value.split(",") if isinstance(value, str) else value
            if isinstance(items, list) and all(isinstance(k, (str, dt.date)) for k in items):
                return tuple(str(k).strip() for k in items if str(k).strip())
            raise InputError(f"{key}: give a list of keywords or a comma-separated string", path=self.source,
                             line=line)
        if isinstance(value, (str, dt.date)):  # a date where text is wanted (`title: 2024-05-01`) is that text
            return str(value).strip()
        raise InputError(f"{key}: expected text, not {yamlform.kind(value)}", path=self.source, line=line)

    def date(self, key: Any, value: Any, line: int) -> dt.date:
        if isinstance(value, dt.date):
            return value
        if isinstance(value, str):
            try:
                return yamlform.iso_date(value)
            except ValueError as exc:
                raise InputError(f"{key}: {yamlform.shown(value)} {exc}", path=self.source, line=line) from None
        raise InputError(f"{key}: {yamlform.shown(value)} is not a date; write YYYY-MM-DD or YYYY-MM-DDTHH:MM",
                         path=self.source, line=line)

    # --- blocks ------------------------------------------------------------------------------------------

    def blocks(self, nodes: Iterable[SyntaxTreeNode]) -> Iterable[model.Block]:
        pending: list[SyntaxTreeNode] = list(nodes)
        for index, node in enumerate(pending):
            if index and pending[index - 1].type == "table" and self.table_caption(node) is not None:
                continue  # read with its table
            block = self.block(node)
            if isinstance(block, model.Table) and index + 1 < len(pending):
                caption = self.table_caption(pending[index + 1])
                if caption is not None:
                    block = model.Table(block.header, block.rows, block.align, caption)
            if block is not None:
                yield block

    def table_caption(self, node: SyntaxTreeNode) -> tuple[model.Inline, ...] | None:
        """A paragraph after a table whose line starts "Table: " is its caption, as in Pandoc."""
        if node.type != "paragraph" or not node.map or not CAPTION.match(self.lines[node.map[0]]):
            return None
        content = list(self.inlines(node.children[0], line=_line(node)))
        if content and isinstance(content[0], model.Text):
            rest = CAPTION.sub("", content[0].text, count=1)
            content[0:1] = [model.Text(rest)] if rest else []
        return tuple(content)

    def block(self, node: SyntaxTreeNode) -> model.Block | None:
        kind = node.type
        if kind == "paragraph":
            return self.paragraph(node)
        if kind == "heading":
            return model.Heading(int(node.tag[1]), self.inlines(node.children[0]))
        if kind == "blockquote":
            return self.block_quote(node)
        if kind in ("bullet_list", "ordered_list"):
            items = tuple(tuple(self.blocks(item.children)) for item in node.children)
            if kind == "bullet_list":
                return model.BulletList(items)
            return model.OrderedList(items, start=int(node.attrs.get("start", 1)))
        if kind in ("fence", "code_block"):
            language = node.info.split()[0] if node.info.strip() else ""
            return model.CodeBlock(node.content.removesuffix("\n"), language)
        if kind == "hr":
            return model.Rule()
        if kind == "table":
            return self.table(node)
        if kind == "html_block":
            return self.raw_html(node)
        raise InputError(f"unsupported Markdown construct {kind!r}", path=self.source, line=_line(node))

    def paragraph(self, node: SyntaxTreeNode) -> model.Block:
        """A paragraph; one that is only a local image is a figure (an image from the web stays an inline image,
        shown as its alt text: publish does not fetch it)."""
        inline = node.children[0]
        parts = [c for c in inline.children if not (c.type == "text" and not c.content.strip())]
        if len(parts) == 1 and parts[0].type == "image" and not model.is_remote(str(parts[0].attrs["src"])):
            image = parts[0]
            caption = self.inlines(image)
            given = attribute_value(str(image.attrs.get("alt", "")))
            alt = given or text.plain(caption)
            return model.Figure(src=str(image.attrs["src"]), alt=alt, caption=caption,
                                credit=attribute_value(str(image.attrs.get("credit", ""))))
        return model.Paragraph(self.inlines(inline, line=_line(node)))

    def block_quote(self, node: SyntaxTreeNode) -> model.BlockQuote:
        """A quote; a last line that starts with a dash ("— Jane Doe") is its attribution, kept as written."""
        children = list(node.children)
        attribution: tuple[model.Inline, ...] = ()
        if children and children[-1].type == "paragraph":
            last = children[-1]
            parts = list(last.children[0].children)
            breaks = [i for i, part in enumerate(parts) if part.type in ("softbreak", "hardbreak")]
            start = breaks[-1] + 1 if breaks else 0
            tail = parts[start:]
            if (breaks or len(children) > 1) and tail and tail[0].type == "text" and ATTRIBUTION.match(tail[0].content):
                attribution = self.convert(tail, _line(last))
                kept = self.convert(parts[: breaks[-1]], _line(last)) if breaks else ()
                blocks = [*self.blocks(children[:-1]), *([model.Paragraph(kept)] if kept else [])]
                return model.BlockQuote(tuple(blocks), attribution)
        return model.BlockQuote(tuple(self.blocks(children)))

    def table(self, node: SyntaxTreeNode) -> model.Table:
        rows = [tr for section in node.children for tr in section.children]
        header, body = rows[0], rows[1:]
        align = tuple(_alignment(cell) for cell in header.children)
        return model.Table(
            header=tuple(self.inlines(cell.children[0]) if cell.children else () for cell in header.children),
            rows=tuple(tuple(self.inlines(cell.children[0]) if cell.children else () for cell in tr.children)
                       for tr in body),
            align=align if any(align) else (),
        )

    def raw_html(self, node: SyntaxTreeNode) -> model.Block | None:
        cleaned = sanitise.html_to_text(node.content).strip()
        line = _line(node)
        if not cleaned:
            self.dropped.append(Dropped(line, node.content.strip(), "raw HTML with no text"))
            return None
        self.inferred.append(Inferred(line, node.content.strip(), "raw HTML reduced to its text"))
        return model.Paragraph((model.Text(" ".join(cleaned.split())),))

    # --- inlines -----------------------------------------------------------------------------------------

    def inlines(self, node: SyntaxTreeNode, line: int | None = None) -> tuple[model.Inline, ...]:
        return self.convert(node.children, line)

    def convert(self, nodes: Iterable[SyntaxTreeNode], line: int | None = None) -> tuple[model.Inline, ...]:
        out: list[model.Inline] = []
        inside: str | None = None  # an inline <script>, <style>... whose content is code, not text
        pending = list(nodes)
        index = 0
        while index < len(pending):
            child = pending[index]
            index += 1
            tag = child.content.strip() if child.type == "html_inline" else ""
            if inside is not None:
                if re.fullmatch(rf"</{inside}\s*>", tag, re.IGNORECASE):
                    inside = None
                continue
            opening = SCRIPT_OPEN.fullmatch(tag)
            if opening:
                inside = opening.group(1).lower()
                self.dropped.append(Dropped(line or 0, child.content, f"inline HTML <{inside}> and its content"))
                continue
            if child.type in ("critic_highlight", "critic_comment"):
                index, converted = self.comment(pending, index - 1, line)
            else:
                converted = self.inline(child, line)
            for item in converted if isinstance(converted, tuple) else (converted,) if converted else ():
                if isinstance(item, model.Text) and out and isinstance(out[-1], model.Text):
                    out[-1] = model.Text(out[-1].text + item.text)
                else:
                    out.append(item)
            if isinstance(converted, model.Image) and str(child.attrs.get("credit") or "").strip():
                out.append(model.Text(f" {child.attrs['credit']}"))  # a figure's credit, kept with its words
        return tuple(out)

    # --- CriticMarkup ------------------------------------------------------------------------------------

    def change(self, node: SyntaxTreeNode, line: int | None) -> model.Inline | tuple[model.Inline, ...] | None:
        """A suggested insertion or deletion: kept as one (--track-changes all), or its text taken or left out."""
        content = self.inlines(node, line)
        insertion = node.type == "critic_insertion"
        if self.mode == "all":
            attrs = node.meta.get("attrs", {})
            kind = model.Insertion if insertion else model.Deletion
            return kind(content, author=attrs.get("author", ""), date=attrs.get("date", ""))
        return content if insertion == (self.mode == "accept") else None

    def comment(self, nodes: list[SyntaxTreeNode], index: int, line: int | None,
                ) -> tuple[int, model.Inline | tuple[model.Inline, ...] | None]:
        """A highlight and the comment after it, or a comment at a point, with the replies that follow it: the
        position after them and what they read as (a Comment, or in accepted or rejected text the covered text,
        the comment reported as left out)."""
        node = nodes[index]
        covered: tuple[model.Inline, ...] = ()
        if node.type == "critic_highlight":
            covered = self.inlines(node, line)
            index += 1
            if index >= len(nodes) or nodes[index].type != "critic_comment":
                self.dropped.append(Dropped(line or 0, text.plain(covered),
                                            "a CriticMarkup highlight with no comment after it (its text is kept)"))
                return index, covered
            node = nodes[index]
        attrs = node.meta.get("attrs", {})
        replies: list[model.Reply] = []
        index += 1
        while index < len(nodes) and nodes[index].type == "critic_comment" and _is_reply(nodes[index]):
            reply = nodes[index].meta.get("attrs", {})
            replies.append(model.Reply(nodes[index].content, author=reply.get("author", ""),
                                       initials=reply.get("initials", ""), date=reply.get("date", "")))
            index += 1
        if self.mode != "all":
            author = attrs.get("author", "")
            self.dropped.append(Dropped(line or 0, f"{author}: {node.content}" if author else node.content,
                                        "a comment; kept in a review copy (--track-changes all)"))
            return index, covered
        classes = attrs.get("class", "").split()
        return index, model.Comment(covered, node.content, author=attrs.get("author", ""),
                                    initials=attrs.get("initials", ""), date=attrs.get("date", ""),
                                    resolved="resolved" in classes, replies=tuple(replies))

    def inline(self, node: SyntaxTreeNode, line: int | None) -> model.Inline | tuple[model.Inline, ...] | None:
        kind = node.type
        if kind in ("critic_insertion", "critic_deletion"):
            return self.change(node, line)
        if kind in ("text", "text_special"):  # an escape or entity inside an image's label is not joined to its text
            return model.Text(node.content) if node.content else None  # markdown-it leaves empty text tokens
        if kind == "softbreak":
            return model.Text(" ")
        if kind == "hardbreak":
            return model.LineBreak()
        if kind == "em":
            return model.Emphasis(self.inlines(node, line))
        if kind == "strong":
            return model.Strong(self.inlines(node, line))
        if kind == "code_inline":
            return model.Code(node.content)
        if kind == "link":
            content = self.inlines(node, line)
            if node.markup == "autolink" and len(content) == 1 and isinstance(content[0], model.Text) \
                    and content[0].text[:7].lower() == "mailto:":  # <mailto:a@b.example>: its words are the address
                content = (model.Text(content[0].text[7:]),)
            return model.Link(content, str(node.attrs["href"]), str(node.attrs.get("title", "")))
        if kind == "html_inline":
            if re.fullmatch(r"<br\s*/?>", node.content.strip(), re.IGNORECASE):
                return model.LineBreak()
            self.dropped.append(Dropped(line or 0, node.content, "inline HTML tag (its text is kept)"))
            return None
        if kind == "image":  # inside a line of text (a badge, an icon); alone in its paragraph it is a Figure
            alt = str(node.attrs.get("alt") or "") or text.plain(self.inlines(node, line))
            return model.Image(str(node.attrs["src"]), " ".join(alt.split()), str(node.attrs.get("title") or ""))
        raise InputError(f"unsupported Markdown inline {kind!r}", path=self.source, line=line)


def _is_reply(node: SyntaxTreeNode) -> bool:
    return "reply" in str(node.meta.get("attrs", {}).get("class", "")).split()


def _readable_name(source: str) -> str:
    """A file's name as a headline: the stem, its hyphens and underscores as spaces ("release_notes" →
    "Release notes"); "Untitled" for a name with no letters or digits."""
    words = re.sub(r"[-_.\s]+", " ", PurePath(source).stem).strip()
    return (words[:1].upper() + words[1:]) if words else "Untitled"


def _line(node: SyntaxTreeNode) -> int:
    return node.map[0] + 1 if node.map else 0


def _key_line(yaml_text: str, key: str) -> int:
    """The 1-based file line of a top-level front matter key (the opening --- is line 1)."""
    for i, line in enumerate(yaml_text.splitlines()):
        if line.startswith(f"{key}:"):
            return i + 2
    return 1


def _alignment(cell: SyntaxTreeNode) -> str:
    style = str(cell.attrs.get("style", ""))
    match = re.search(r"text-align:\s*(left|center|right)", style)
    return match.group(1) if match else ""


def _shift_headings(blocks: list[model.Block]) -> list[model.Block]:
    """Make the highest body heading level 1, since the headline sits above every subhead."""
    levels = [b.level for b in blocks if isinstance(b, model.Heading)]
    shift = min(levels) - 1 if levels else 0
    if not shift:
        return blocks
    return [model.Heading(b.level - shift, b.content) if isinstance(b, model.Heading) else b for b in blocks]
