"""A Word document built with python-docx: an article (its title block, then its body) or a collection's editor's
packet. publish.backends.docx decides what to build; this module builds it (and is imported only then)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass

from docx.oxml.ns import qn
from lxml import etree  # type: ignore[import-untyped, unused-ignore]

from publish import model, present
from publish.backends import RenderContext
from publish.backends.docx import package, page, press
from publish.backends.docx.oxml import W_VAL
from publish.backends.docx.writer import Writer, is_piece
from publish.build import ahead, cache, reproducible


def article_document(article: model.Article, context: RenderContext) -> bytes:
    """An article as a Word document: its title block, then its body."""
    when = package.document_dates(article.meta)
    writer = Writer(context, article.meta.language)
    page.set_up(writer, {"headline": writer.shown(article).meta.headline, "source": article.meta.source,  # first:
                         "date": present.article(article.meta, context.theme).date})  # tables need its width
    press.write_embargo_header(writer, article.articles)
    writer.article(article, "article")
    package.mark_changed_paragraphs(writer.document)
    writer.comment_threads()
    package.number_paragraphs(writer.document)
    package.set_properties(writer.document, article.meta, when)
    press.set_properties(writer.document, article.articles, context.theme)
    package.embed_model(writer.document, article)
    return package.saved(writer.document, when[1])


def packet(collection: model.Collection, context: RenderContext) -> bytes:
    """A collection as one DOCX packet: a title page, a contents field, then per section a divider page and its
    articles, each starting on a new page under a Heading 1 headline with its byline and dateline."""
    created = reproducible.moment(collection.edition).replace(tzinfo=None)
    writer = Writer(context, collection.language, packet=True)
    page.set_up(writer, {"headline": collection.title, "source": collection.publisher or collection.title},
                cover=True)
    writer.heading_offset = 1
    press.write_embargo_header(writer, collection.articles)
    writer.title_page(collection)
    layout = package.layout_program() if context.update_fields else None
    contents = writer.contents(collection, numbered=layout is not None)
    items: list[_Item] = []
    number = 0
    for section in collection.sections:
        heading = (section.title, contents.pop(0).target) if section.title else None
        for article in section.articles:
            number += 1
            items.append(_Item(heading, article, f"a{number}", contents.pop(0).target))
            heading = None
        if heading is not None:  # a section left without articles keeps its heading
            items.append(_Item(heading))
    kept = _kept_articles(context, collection.language)

    def write(item: _Item) -> None:
        if item.heading is not None:
            writer.bookmark(writer.paragraph("Section Heading", item.heading[0]), item.heading[1])
        if item.article is not None:
            kept(writer, item.article, item.article_id, item.target)

    for _ in ahead.in_order(items, write):  # a cold cache: a forked copy of this writer writes the later share
        pass  # of the articles to keep their pieces (publish.build.ahead), which this process then places
    package.mark_changed_paragraphs(writer.document)  # a review packet's changes and comment threads, as an
    writer.comment_threads()  # article's document has them
    package.set_collection_properties(writer.document, collection, created)
    press.set_properties(writer.document, collection.articles, context.theme)
    pages = package.laid_out_pages(layout, package.saved(writer.document, created),
                                   [entry.target for entry in writer.entries]) if layout else None
    for entry in writer.entries:
        if entry.number is not None:
            if pages is None:  # never a wrong number: without a layout, only the tab and placeholder go
                for run in entry.number_runs:
                    run.getparent().remove(run)
            else:
                entry.number.text = str(pages[entry.target])
    if pages is None:  # Word fills in the contents' page numbers on opening
        etree.SubElement(writer.document.settings.element, qn("w:updateFields")).set(W_VAL, "true")
    return package.saved(writer.document, created)


@dataclass(frozen=True, slots=True)
class _Item:
    """What a packet writes after its contents, one item at a time: a section's heading (its title and bookmark)
    when the item opens a section, then an article with its id and its contents entry's bookmark."""

    heading: tuple[str, str] | None
    article: model.Article | None = None
    article_id: str = ""
    target: str = ""


def _kept_articles(context: RenderContext, language: str) -> Callable[[Writer, model.Article, str, str], None]:
    """How a packet writes each article: with a cache, as a piece (`Writer.piece`) reused when the same article was
    written at the same place (its id, its contents entry, after a paragraph of the same style) in a packet of the
    same language, with the same theme, images, python-docx and publish; a rebuild after one story changed writes
    that one (and places the others' XML). Without a cache, written directly."""
    if cache.root() is None:
        return lambda writer, article, article_id, target: writer.article(article, article_id, "Heading 1", target)
    theme_key = cache.theme_version(context.theme, present.builtin_templates_dir())
    library = "|".join(cache.installed(("python-docx",)))

    def kept(writer: Writer, article: model.Article, article_id: str, target: str) -> None:
        images = [f"{src}|{found.file_name}|{hashlib.sha256(found.data).hexdigest()}"  # figures and inline images
                  for src in dict.fromkeys(model.image_sources(article.blocks))
                  for found in (context.resources.image(src),)]
        options = f"{article_id}|{target}|{writer.previous_style}|{language}|{library}"
        key, found = cache.find_piece("docx-article", article, theme_key, options, images)
        if is_piece(found):
            writer.place(found)
        else:
            cache.keep_piece(key, lambda: writer.piece(article, article_id, target), lambda piece: piece)

    return kept
