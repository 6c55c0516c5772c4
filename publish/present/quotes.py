"""Typographic quotes at render time ([typography] smart_quotes): straight " and ' become the curly quotes of the
article's language in a copy of the article the templates render; the model keeps the source's characters, and
`publish.checks.parity` compares curly and straight quotes as equal."""

from __future__ import annotations

import dataclasses
import re

from publish import model

QUOTES = {
    "en": ("\u201c", "\u201d", "\u2018", "\u2019"),
    "de": ("\u201e", "\u201c", "\u201a", "\u2018"),
    "fr": ("\u00ab", "\u00bb", "\u2039", "\u203a"),
    "ru": ("\u00ab", "\u00bb", "\u201e", "\u201c"),
    "pl": ("\u201e", "\u201d", "\u00ab", "\u00bb"),
    "sv": ("\u201d", "\u201d", "\u2019", "\u2019"),
    "ja": ("\u300c", "\u300d", "\u300e", "\u300f"),
    "zh": ("\u201c", "\u201d", "\u2018", "\u2019"),
}
"""Opening and closing double, then single quotes, by language (others take English's, ur and ar included)."""

_OPENS_AFTER = re.compile(r"(?:^|[\s(\[{\u2014\u2013\-/])$")


def marks(language: str) -> tuple[str, str, str, str]:
    """The quotes of a BCP 47 language: opening and closing double, opening and closing single."""
    return QUOTES.get(language.lower().split("-")[0], QUOTES["en"])


def curl(text: str, language: str, before: str = "") -> str:
    """`text` with straight quotes curled; `before` is the text just before it (the previous run), which decides
    whether a quote at the start opens or closes. An apostrophe inside a word (it's) becomes ’."""
    open2, close2, open1, close1 = marks(language)
    out: list[str] = []
    for i, ch in enumerate(text):
        if ch not in "\"'":
            out.append(ch)
            continue
        previous = (before + "".join(out))[-1:] if i == 0 else out[-1]
        opening = bool(_OPENS_AFTER.search(previous))
        if ch == '"':
            out.append(open2 if opening else close2)
        else:
            following = text[i + 1: i + 2]
            out.append(open1 if opening and following.strip() else ("\u2019" if not opening and following.isalpha()
                                                                       else close1))
    return "".join(out)


def curled(article: model.Article) -> model.Article:
    """A copy of the article with straight quotes curled in its headline, dek and text (never in code)."""
    language = article.meta.language
    meta = dataclasses.replace(article.meta, headline=curl(article.meta.headline, language),
                               dek=curl(article.meta.dek, language))

    def text(content: tuple[model.Inline, ...]) -> tuple[model.Inline, ...]:
        """One run of text (a paragraph, a caption, a cell) curled in reading order; `before` carries the text so
        far, so a quote after an emphasis closes."""
        before = ""

        def node(inline: model.Inline) -> tuple[model.Inline, ...]:
            nonlocal before
            match inline:
                case model.Text():
                    new = curl(inline.text, language, before)
                    before = (before + new)[-1:]
                    return (dataclasses.replace(inline, text=new),)
                case model.Code():
                    before = inline.text[-1:] or before
            return (inline,)

        return model.map_inlines(content, node)

    def block(node: model.Block) -> tuple[model.Block, ...]:
        """A block with the text it holds itself curled (the walk reaches the blocks inside it)."""
        match node:
            case model.Paragraph() | model.Heading():
                return (dataclasses.replace(node, content=text(node.content)),)
            case model.BlockQuote():
                return (dataclasses.replace(node, attribution=text(node.attribution)),)
            case model.Figure():
                return (dataclasses.replace(node, caption=text(node.caption)),)
            case model.Table():
                return (dataclasses.replace(node, header=tuple(text(cell) for cell in node.header),
                                            rows=tuple(tuple(text(cell) for cell in row) for row in node.rows),
                                            caption=text(node.caption)),)
            case model.BulletList() | model.OrderedList() | model.CodeBlock() | model.Rule():
                return (node,)
            case _:
                model.foreign(node)

    return dataclasses.replace(article, meta=meta, blocks=model.map_blocks(article.blocks, block))
