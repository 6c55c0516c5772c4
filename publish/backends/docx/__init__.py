"""The DOCX backend: an article as a Word document built only from named styles set from the theme's tokens, or a
collection as an editor's packet.

The package's modules, by job: `styles` (the named styles from the theme), `writer` (blocks and inlines as
paragraphs and runs), `page` (page size, letterhead, running heads and footers), `bidi` (right-to-left text and
first paragraphs), `press` (a press release's embargo, end mark, notes, contacts and corrections), `package`
(properties, the model's custom XML part, saving with fixed ZIP times, LibreOffice's layout of a packet),
`oxml` (WordprocessingML names and element helpers) and `document` (an article's document, a collection's
packet). This module decides what to build and imports python-docx only to build it: a packet none of whose
inputs changed comes from the cache whole.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, assert_never

from publish import model
from publish.backends import RenderContext, whole_collection
from publish.build import reproducible
from publish.model.text import slug

if TYPE_CHECKING:
    from publish.readers.collection import CollectionOptions

__all__ = ["outputs", "render"]


def render(document: model.Document, context: RenderContext) -> bytes:
    """The article as a DOCX file, or a collection as an editor's packet."""
    match document:
        case model.Collection() if not context.update_fields:  # LibreOffice's layout is not in the cache's key
            collection = document

            def packet() -> bytes:
                from publish.backends.docx import document as built

                return built.packet(collection, context)

            return whole_collection("docx-packet", collection, context, repr(reproducible.moment(collection.edition)),
                                    packet, libraries=("python-docx",))
        case model.Collection():
            from publish.backends.docx import document as built

            return built.packet(document, context)
        case model.Article():
            from publish.backends.docx import document as built

            return built.article_document(document, context)
        case _:
            assert_never(document)


def outputs(document: model.Document, stem: str, options: CollectionOptions) -> list[tuple[str, model.Document]]:
    """One DOCX file; or, for a collection with `docx_per_article`, one per article in a folder, in reading order:
    "STEM-docx/01-headline-words.docx" and so on."""
    match document:
        case model.Collection() if options.docx_per_article:
            return [(f"{stem}-docx/{number:02d}-{slug(article.meta.headline)}.docx", article)
                    for number, article in enumerate(document.articles, 1)]
        case _:
            return [(f"{stem}.docx", document)]
