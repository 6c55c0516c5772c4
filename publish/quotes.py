"""Typographic quotes at render time ([typography] smart_quotes): straight " and ' become the curly quotes of the
article's language in a copy of the article the templates render; the model keeps the source's characters, and
`publish.parity` compares curly and straight quotes as equal."""

from __future__ import annotations

import dataclasses
import re
from typing import Any

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
    return dataclasses.replace(article, meta=meta, blocks=tuple(_block(b, language) for b in article.blocks))


def _inlines(items: tuple[model.Inline, ...], language: str, before: list[str]) -> tuple[model.Inline, ...]:
    """Curl text runs in order, `before` carrying the text so far (a quote after an emphasis closes)."""
    out: list[model.Inline] = []
    for item in items:
        if isinstance(item, model.Text):
            new = curl(item.text, language, before[0])
            before[0] = (before[0] + new)[-1:]
            out.append(dataclasses.replace(item, text=new))
        elif isinstance(item, model.Code):
            before[0] = item.text[-1:] or before[0]
            out.append(item)
        elif hasattr(item, "content"):
            out.append(dataclasses.replace(item, content=_inlines(item.content, language, before)))  # type: ignore[arg-type]
        else:
            out.append(item)
    return tuple(out)


def _block(block: Any, language: str) -> Any:
    if isinstance(block, (model.Paragraph, model.Heading)):
        return dataclasses.replace(block, content=_inlines(block.content, language, [""]))
    if isinstance(block, model.BlockQuote):
        return dataclasses.replace(block, blocks=tuple(_block(b, language) for b in block.blocks),
                                   attribution=_inlines(block.attribution, language, [""]))
    if isinstance(block, (model.BulletList, model.OrderedList)):
        return dataclasses.replace(block, items=tuple(tuple(_block(b, language) for b in item)
                                                      for item in block.items))
    if isinstance(block, model.Figure):
        return dataclasses.replace(block, caption=_inlines(block.caption, language, [""]))
    if isinstance(block, model.Table):
        def cells(row: tuple[Any, ...]) -> tuple[Any, ...]:
            return tuple(_inlines(cell, language, [""]) if isinstance(cell, tuple) else cell for cell in row)
        return dataclasses.replace(block, header=cells(block.header), rows=tuple(cells(r) for r in block.rows),
                                   caption=_inlines(block.caption, language, [""]))
    return block
