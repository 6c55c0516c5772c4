"""The plaintext backend: an article (or each article of a collection) as plain UTF-8 text."""

from publish import (
    Article,
    Block,
    BlockQuote,
    BulletList,
    Code,
    CodeBlock,
    Collection,
    Document,
    Emphasis,
    Figure,
    Heading,
    Inline,
    LineBreak,
    Link,
    OrderedList,
    Paragraph,
    Rule,
    Strong,
    Table,
    Text,
)
from publish.backends import RenderContext


def render(document: Document, context: RenderContext) -> str:
    """The document's words, one paragraph to a line, with a blank line between blocks."""
    articles = document.articles if isinstance(document, Collection) else (document,)
    head = [document.title, ""] if isinstance(document, Collection) else []
    return "\n".join(head + [_article(article) for article in articles])


def _article(article: Article) -> str:
    meta = article.meta
    parts = [meta.headline, *([meta.dek] if meta.dek else []), *([", ".join(meta.authors)] if meta.authors else [])]
    parts += [_block(block) for block in article.blocks]
    return "\n\n".join(parts) + "\n"


def _block(block: Block) -> str:
    match block:
        case Heading(content=content) | Paragraph(content=content):
            return _text(content)
        case BlockQuote(blocks=blocks, attribution=attribution):
            return "\n\n".join([_block(b) for b in blocks] + ([_text(attribution)] if attribution else []))
        case BulletList(items=items) | OrderedList(items=items):
            return "\n".join(" ".join(_block(b) for b in item) for item in items)
        case CodeBlock(text=text):
            return text
        case Figure(caption=caption, alt=alt, credit=credit):
            return " ".join(part for part in (_text(caption) or alt, credit) if part)
        case Table(header=header, rows=rows, caption=caption):
            lines = ["\t".join(_text(cell) for cell in row) for row in (header, *rows)]
            return "\n".join(([_text(caption)] if caption else []) + lines)
        case Rule():
            return "* * *"
    raise TypeError(f"plaintext cannot render a {type(block).__name__}")


def _text(inlines: tuple[Inline, ...]) -> str:
    out = []
    for node in inlines:
        match node:
            case Text(text=text) | Code(text=text):
                out.append(text)
            case LineBreak():
                out.append("\n")
            case Emphasis(content=content) | Strong(content=content) | Link(content=content):
                out.append(_text(content))
    return "".join(out)
