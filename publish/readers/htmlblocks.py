"""An HTML fragment (a page's story, a feed item's content, a wire item's body) as model blocks, sanitised first.

`blocks_from_html` cleans the markup with nh3 (script, style and similar elements go with their content; event
handlers, `style` and `javascript:` or other unsafe link targets are removed), then maps what is left onto the
model's closed set of blocks and inlines. Every word a reader of the page sees is kept: an element publish has no
block for keeps its text and is reported, and what the sanitiser removed is reported too.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from urllib.parse import quote, urljoin, urlsplit

import lxml.html
import nh3
from lxml import etree

from publish import model
from publish.model import limits, text
from publish.readers import Dropped, sanitise

HEADINGS = {f"h{n}": n for n in range(1, 7)}
EMPHASIS = {"em", "i", "cite", "dfn", "var"}
STRONG = {"strong", "b"}
CODE = {"code", "kbd", "samp", "tt"}
TRANSPARENT_INLINE = {
    "span", "abbr", "acronym", "small", "big", "sub", "sup", "u", "s", "strike", "del", "ins", "mark", "time",
    "q", "bdi", "bdo", "data", "font", "label", "ruby", "rb", "rt", "rp", "wbr", "nobr", "output", "meter",
}
"""Inline elements with no model counterpart whose text is simply part of the sentence: kept silently."""
CONTAINERS = {
    "div", "section", "article", "main", "header", "footer", "aside", "nav", "address", "center", "body", "html",
    "hgroup", "details", "summary", "dl", "dt", "dd", "picture", "fieldset", "legend", "form", "doc",
}
"""Block elements that only group other blocks: their content is read as blocks, the element itself vanishes."""
BLOCK_TAGS = {
    "p", *HEADINGS, "ul", "ol", "li", "blockquote", "pre", "table", "figure", "figcaption", "hr", "img",
    "thead", "tbody", "tfoot", "tr", "th", "td", "caption", *CONTAINERS,
}
INLINE_TAGS = {"a", "br", *EMPHASIS, *STRONG, *CODE, *TRANSPARENT_INLINE}
ALLOWED_TAGS = BLOCK_TAGS | INLINE_TAGS | {"col", "colgroup", "source", "video", "audio", "caption"}
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"}, "img": {"src", "alt", "title"}, "ol": {"start"}, "th": {"colspan"},
    "td": {"colspan"}, "code": {"class"}, "pre": {"class"}, "source": {"srcset"},
}
URL_SCHEMES = {"http", "https", "mailto", "tel", "ftp"}
"""Link targets kept (relative links are kept too); `javascript:`, `data:`, `file:` and the rest are removed."""
URL_SAFE = ";/?:@&=+$,-_.!~*'()#%"
"""What a URL may hold as it is (RFC 3986's reserved and unreserved characters, and "%" of an escape already made);
everything else is percent-encoded."""
UNSAFE_SCHEME = re.compile(r"^\s*([a-z][a-z0-9+.-]*):", re.IGNORECASE)
SPACE = re.compile(r"[ \t\n\r\f]+")
"""HTML's whitespace (not no-break space): a run of it reads as one space."""
CODE_LANGUAGE = re.compile(r"(?:^|\s)(?:language|lang)-([\w+#.-]+)")


def blocks_from_html(html: str, *, source: str, base_url: str | None = None) -> tuple[list[model.Block],
                                                                                        list[Dropped]]:
    """The blocks of a sanitised HTML fragment, and what was left out or kept only as text, with the reason.

    Headings become subheads relative to the highest one in the fragment (its top heading is level 1). Relative
    link and image addresses are resolved against `base_url` when one is given. `source` names the input in the
    reasons given (a file, a URL, a feed item).
    """
    dropped = _removed_by_sanitiser(html)
    cleaned = nh3.clean(
        html, tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES, clean_content_tags=set(sanitise.SCRIPT_LIKE),
        url_schemes=URL_SCHEMES, link_rel=None, strip_comments=True,
    )
    if not cleaned.strip():
        return [], dropped
    root = lxml.html.fragment_fromstring(cleaned, create_parent="doc")
    builder = _Builder(source, base_url, dropped)
    blocks = list(builder.blocks(root))
    return relative_headings(blocks), builder.dropped


# --- what the sanitiser removes, for the report ------------------------------------------------------------


def _removed_by_sanitiser(html: str) -> list[Dropped]:
    """Script-like elements, event handlers, unsafe link targets and unknown elements in the raw markup."""
    try:
        root = lxml.html.fragment_fromstring(html, create_parent="doc")
    except (etree.ParserError, ValueError):
        return []
    dropped: list[Dropped] = []
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        tag = element.tag.lower()
        line = element.sourceline or 0
        if tag in sanitise.SCRIPT_LIKE:
            content = " ".join((element.text_content() or "").split())[:80]
            dropped.append(Dropped(line, f"<{tag}>{content}", f"<{tag}> element removed with its content"))
            continue
        if any(ancestor.tag in sanitise.SCRIPT_LIKE for ancestor in element.iterancestors()
               if isinstance(ancestor.tag, str)):
            continue
        for name, value in element.attrib.items():
            if name.lower().startswith("on"):
                dropped.append(Dropped(line, f"<{tag} {name}=\"{value[:60]}\">", f"event handler {name} removed"))
            elif name.lower() in ("href", "src", "action", "formaction"):
                scheme = UNSAFE_SCHEME.match(value)
                if scheme and scheme.group(1).lower() not in URL_SCHEMES | {"data"}:
                    dropped.append(Dropped(line, f"<{tag} {name}=\"{value[:60]}\">",
                                           f"{scheme.group(1).lower()}: {name} removed (its words are kept)"))
        if tag not in ALLOWED_TAGS and tag not in {"doc", "head", "meta", "link", "base", "svg", "math"}:
            content = " ".join((element.text_content() or "").split())
            if content:
                dropped.append(Dropped(line, f"<{tag}>{content[:80]}", f"unknown element <{tag}>: its text is kept"))
            else:
                dropped.append(Dropped(line, f"<{tag}>", f"element <{tag}> with no text removed"))
    return dropped


# --- blocks ------------------------------------------------------------------------------------------------


class _Builder:
    """One conversion: walks the cleaned tree, collecting blocks and the report."""

    def __init__(self, source: str, base_url: str | None, dropped: list[Dropped]) -> None:
        self.source = source
        self.base_url = base_url
        self.dropped = dropped
        self.depth = 0

    def blocks(self, element: etree._Element) -> Iterator[model.Block]:
        """The blocks inside a container: runs of inline content become paragraphs."""
        pending: list[model.Inline] = []

        def flush() -> Iterator[model.Block]:
            inlines = _normalise(pending)
            pending.clear()
            for part in _split_at_blank_lines(inlines):
                yield model.Paragraph(part)

        if element.text:
            pending.append(model.Text(element.text))
        for child in element:
            if isinstance(child.tag, str) and child.tag.lower() in BLOCK_TAGS - {"doc"}:
                yield from flush()
                yield from self.block(child)
            elif isinstance(child.tag, str) and _image_only(child):  # <a href="big.jpg"><img></a>
                yield from flush()
                for img in child.iter("img"):
                    figure = self.figure_from_img(img, ())
                    if figure is not None:
                        yield figure
            elif isinstance(child.tag, str):
                pending.extend(self.inline(child))
            if child.tail:
                pending.append(model.Text(child.tail))
        yield from flush()

    def block(self, element: etree._Element) -> Iterator[model.Block]:
        tag = element.tag.lower()
        if tag == "p":
            if element.text_content().strip():  # text with images in its lines (icons, badges): inline images
                for part in _split_at_blank_lines(_normalise(self.inline_content(element))):
                    yield model.Paragraph(part)
            else:  # a <p> holding only an image: a figure
                yield from self.blocks(element)
        elif tag in HEADINGS:
            content = _normalise(self.inline_content(element))
            if content:
                yield model.Heading(HEADINGS[tag], content)
        elif tag in ("ul", "ol"):
            yield from self.list_block(element, ordered=tag == "ol")
        elif tag == "li":  # an item outside a list: its blocks, as they are
            yield from self.blocks(element)
        elif tag == "blockquote":
            inner = self.nested(element)
            if inner:
                yield model.BlockQuote(tuple(inner))
        elif tag == "pre":
            literal = element.text_content().removesuffix("\n")
            if literal.strip():
                code = element.find("code")
                classes = " ".join(filter(None, [element.get("class"), code.get("class") if code is not None
                                                 else None]))
                match = CODE_LANGUAGE.search(classes)
                yield model.CodeBlock(literal, match.group(1) if match else "")
        elif tag == "hr":
            yield model.Rule()
        elif tag == "img":
            figure = self.figure_from_img(element, ())
            if figure is not None:
                yield figure
        elif tag == "figure":
            yield from self.figure(element)
        elif tag == "table":
            yield from self.table(element)
        else:  # containers, stray table parts, a figcaption outside a figure: their content as blocks
            yield from self.blocks(element)

    def nested(self, element: etree._Element) -> list[model.Block]:
        """Blocks inside a list item or quote; past the depth publish renders, the text is kept flat."""
        self.depth += 1
        try:
            if self.depth >= limits.MAX_DEPTH:
                content = _normalise([model.Text(element.text_content())])
                return [model.Paragraph(content)] if content else []
            return list(self.blocks(element))
        finally:
            self.depth -= 1

    def list_block(self, element: etree._Element, *, ordered: bool) -> Iterator[model.Block]:
        items: list[tuple[model.Block, ...]] = []
        loose: list[model.Inline] = []  # text directly inside <ul>, outside any <li>
        for child in element:
            if isinstance(child.tag, str) and child.tag.lower() == "li":
                items.append(tuple(self.nested(child)))
            elif isinstance(child.tag, str) and child.tag.lower() in ("ul", "ol"):
                nested = tuple(self.nested_list(child))
                if items:
                    items[-1] = (*items[-1], *nested)
                else:
                    items.append(nested)
            elif isinstance(child.tag, str):
                loose.extend(self.inline_content(child))
            if child.tail and child.tail.strip():
                loose.append(model.Text(child.tail))
        if element.text and element.text.strip():
            loose.insert(0, model.Text(element.text))
        if loose and _normalise(loose):
            items.append((model.Paragraph(_normalise(loose)),))
        items = [item for item in items if item]
        if not items:
            return
        if ordered:
            start = element.get("start", "1")
            yield model.OrderedList(tuple(items), start=int(start) if start.strip().lstrip("-").isdigit() else 1)
        else:
            yield model.BulletList(tuple(items))

    def nested_list(self, element: etree._Element) -> Iterator[model.Block]:
        self.depth += 1
        try:
            yield from self.list_block(element, ordered=element.tag.lower() == "ol")
        finally:
            self.depth -= 1

    def figure(self, element: etree._Element) -> Iterator[model.Block]:
        """A figure: each image with the figure's caption (on the last image); other content as blocks."""
        caption_element = next((c for c in element.iter("figcaption")), None)
        caption = _normalise(self.inline_content(caption_element)) if caption_element is not None else ()
        images = [img for img in element.iter("img") if img.get("src")]
        others: list[model.Block] = []
        for child in element:
            if child is caption_element or not isinstance(child.tag, str) or _image_only(child):
                continue
            if child.tag.lower() in BLOCK_TAGS:
                others.extend(self.block(child))
            else:
                content = _normalise(self.inline_content(child))
                if content:
                    others.append(model.Paragraph(content))
        yield from others
        figures = [self.figure_from_img(img, caption if i == len(images) - 1 else ()) for i, img in enumerate(images)]
        kept = [f for f in figures if f is not None]
        yield from kept
        if caption and not kept:
            yield model.Paragraph(caption)

    def figure_from_img(self, img: etree._Element, caption: tuple[model.Inline, ...]) -> model.Figure | None:
        src = (img.get("src") or "").strip()
        alt = " ".join((img.get("alt") or img.get("title") or "").split())
        if not src:
            if alt:
                self.dropped.append(Dropped(img.sourceline or 0, f"<img alt=\"{alt}\">", "image with no source"))
            return None
        return model.Figure(src=self.address(src), alt=alt or sanitise_alt(caption), caption=caption)

    def address(self, url: str) -> str:
        """A link or image address as a valid URL: resolved against the base, protocol-relative made https,
        characters a URL cannot hold (spaces, brackets, "|", ">", letters outside ASCII) percent-encoded."""
        url = url.strip()
        if self.base_url:
            url = urljoin(self.base_url, url)
        elif url.startswith("//"):
            url = f"https:{url}"
        return quote(url, safe=URL_SAFE)

    def table(self, element: etree._Element) -> Iterator[model.Block]:
        rows: list[tuple[bool, list[tuple[model.Inline, ...]]]] = []  # (is a header row, cells)
        caption: tuple[model.Inline, ...] = ()
        for part in element.iter():
            if not isinstance(part.tag, str):
                continue
            tag = part.tag.lower()
            if tag == "caption" and _owned_by(part, element):
                caption = _normalise(self.inline_content(part))
            elif tag == "tr" and _owned_by(part, element):
                cells: list[tuple[model.Inline, ...]] = []
                header = part.getparent() is not None and part.getparent().tag == "thead"
                for cell in part:
                    if not isinstance(cell.tag, str) or cell.tag.lower() not in ("td", "th"):
                        continue
                    content = _normalise(self.inline_content(cell))
                    span = cell.get("colspan", "1")
                    width = min(int(span), 50) if span.isdigit() and int(span) > 0 else 1
                    cells.append(content)
                    cells.extend(() for _ in range(width - 1))
                if cells:
                    all_th = all(c.tag.lower() == "th" for c in part if isinstance(c.tag, str))
                    rows.append((header or all_th, cells))
        if not rows:
            if caption:
                yield model.Paragraph(caption)
            return
        head_index = next((i for i, (is_head, _) in enumerate(rows) if is_head), 0)
        head = rows.pop(head_index)[1]
        width = max(len(head), *(len(cells) for _, cells in rows)) if rows else len(head)

        def pad(cells: list[tuple[model.Inline, ...]]) -> tuple[tuple[model.Inline, ...], ...]:
            return tuple(cells) + tuple(() for _ in range(width - len(cells)))

        yield model.Table(header=pad(head), rows=tuple(pad(cells) for _, cells in rows), caption=caption)

    # --- inlines ---------------------------------------------------------------------------------------------

    def inline_content(self, element: etree._Element) -> list[model.Inline]:
        """The inlines inside an element; block elements inside it are read as text with a space around."""
        out: list[model.Inline] = []
        if element.text:
            out.append(model.Text(element.text))
        for child in element:
            if isinstance(child.tag, str):
                if child.tag.lower() in BLOCK_TAGS and child.tag.lower() != "img":
                    out.append(model.Text(" "))
                    out.extend(self.inline_content(child))
                    out.append(model.Text(" "))
                else:
                    out.extend(self.inline(child))
            if child.tail:
                out.append(model.Text(child.tail))
        return out

    def inline(self, element: etree._Element) -> list[model.Inline]:
        tag = element.tag.lower()
        if tag == "br":
            return [model.LineBreak()]
        if tag == "img":  # an image inside a line of text (an icon, a badge): an inline image, as in Pandoc
            figure = self.figure_from_img(element, ())
            if figure is None:
                return []
            return [model.Image(figure.src, figure.alt, " ".join((element.get("title") or "").split()))]
        self.depth += 1
        try:
            if self.depth >= limits.MAX_DEPTH:
                return [model.Text(element.text_content())]
            if tag in CODE:
                return [model.Code(element.text_content())] if element.text_content() else []
            content = self.inline_content(element)
            if tag in EMPHASIS:
                return [model.Emphasis(tuple(content))]
            if tag in STRONG:
                return [model.Strong(tuple(content))]
            if tag == "a":
                href = (element.get("href") or "").strip()
                if not href or href.startswith("#"):
                    return content
                return [model.Link(tuple(content), self.address(href), element.get("title") or "")]
            return content
        finally:
            self.depth -= 1


def _image_only(element: etree._Element) -> bool:
    """Whether an element is an image, or only wraps images (a link, a picture), with no text of its own."""
    if element.tag.lower() == "img":
        return True
    return any(True for _ in element.iter("img")) and not element.text_content().strip()


def sanitise_alt(caption: tuple[model.Inline, ...]) -> str:
    """Alternative text from a caption when the image has none."""
    return " ".join(text.plain(caption).split())


def _owned_by(part: etree._Element, table: etree._Element) -> bool:
    """Whether a row or caption belongs to this table, not to a table nested in one of its cells."""
    parent = part.getparent()
    while parent is not None and parent is not table:
        if isinstance(parent.tag, str) and parent.tag.lower() == "table":
            return False
        parent = parent.getparent()
    return True


def relative_headings(blocks: list[model.Block]) -> list[model.Block]:
    """Shift subheads so the fragment's highest heading is level 1 (the headline sits above them all)."""
    levels = [b.level for b in model.iter_blocks(tuple(blocks)) if isinstance(b, model.Heading)]
    shift = min(levels) - 1 if levels else 0
    if not shift:
        return blocks

    def shifted(block: model.Block) -> tuple[model.Block, ...]:
        return (model.Heading(block.level - shift, block.content),) if isinstance(block, model.Heading) else (block,)

    return list(model.map_blocks(tuple(blocks), shifted))


# --- whitespace --------------------------------------------------------------------------------------------


def _normalise(inlines: Iterable[model.Inline]) -> tuple[model.Inline, ...]:
    """HTML's whitespace rules: runs of spaces and newlines read as one space, none at the start or end of a
    block or around a line break; adjacent text runs merged; empty marks removed; no line break first."""
    state = {"space": True}  # whether the last character written was a space (or the block's start)
    out = _collapse(list(inlines), state)
    while out and isinstance(out[0], model.LineBreak):
        out.pop(0)
    return tuple(_trim_end(out))


def _split_at_blank_lines(inlines: tuple[model.Inline, ...]) -> list[tuple[model.Inline, ...]]:
    """Text between paragraphs made with two line breaks (`<br><br>`, as older pages do) as separate paragraphs."""
    parts: list[tuple[model.Inline, ...]] = []
    current: list[model.Inline] = []
    breaks = 0
    for node in inlines:
        if isinstance(node, model.LineBreak):
            breaks += 1
            continue
        if breaks >= 2 and current:
            parts.append(_normalise(current))
            current = []
        elif breaks == 1:
            current.append(model.LineBreak())
        breaks = 0
        current.append(node)
    if current:
        parts.append(_normalise(current))
    return [part for part in parts if part]


def _collapse(inlines: list[model.Inline], state: dict[str, bool]) -> list[model.Inline]:
    out: list[model.Inline] = []
    for node in inlines:
        converted: model.Inline | None
        if isinstance(node, model.Text):
            run = SPACE.sub(" ", node.text)
            if state["space"]:
                run = run.lstrip(" ")
            if not run:
                continue
            state["space"] = run.endswith(" ")
            converted = model.Text(run)
        elif isinstance(node, model.LineBreak):
            if out and isinstance(out[-1], model.Text) and out[-1].text.endswith(" "):
                stripped = out[-1].text.rstrip(" ")
                out[-1:] = [model.Text(stripped)] if stripped else []
            state["space"] = True
            converted = node
        elif isinstance(node, model.Code):
            if not node.text:
                continue
            state["space"] = False
            converted = node
        elif isinstance(node, model.Image):
            state["space"] = False
            converted = node
        else:
            content = _collapse(list(node.content), state)
            if not content:
                continue
            if isinstance(node, model.Link):
                converted = model.Link(tuple(content), node.url, node.title)
            elif isinstance(node, model.Emphasis):
                converted = model.Emphasis(tuple(content))
            else:
                converted = model.Strong(tuple(content))
        if isinstance(converted, model.Text) and out and isinstance(out[-1], model.Text):
            out[-1] = model.Text(out[-1].text + converted.text)
        else:
            out.append(converted)
    return out


def _trim_end(inlines: list[model.Inline]) -> list[model.Inline]:
    """Remove trailing spaces and line breaks at the end of a block, looking inside a last mark."""
    while inlines:
        last = inlines[-1]
        if isinstance(last, model.LineBreak):
            inlines.pop()
        elif isinstance(last, model.Text):
            stripped = last.text.rstrip(" ")
            if stripped:
                inlines[-1] = model.Text(stripped)
                break
            inlines.pop()
        elif isinstance(last, (model.Emphasis, model.Strong, model.Link)):
            content = _trim_end(list(last.content))
            if not content:
                inlines.pop()
                continue
            if isinstance(last, model.Link):
                inlines[-1] = model.Link(tuple(content), last.url, last.title)
            elif isinstance(last, model.Emphasis):
                inlines[-1] = model.Emphasis(tuple(content))
            else:
                inlines[-1] = model.Strong(tuple(content))
            break
        else:
            break
    # a block that is only line breaks and spaces has no content at all
    return inlines if any(not isinstance(i, model.LineBreak) for i in inlines) else []


def is_safe_url(url: str) -> bool:
    """Whether a link or image address is one the sanitiser keeps (relative, or of an allowed scheme)."""
    scheme = urlsplit(url.strip()).scheme.lower()
    return not scheme or scheme in URL_SCHEMES
