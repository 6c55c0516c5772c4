"""A Word document built with python-docx: an article (its title block, then its body) or a collection's editor's
packet. publish.backends.docx decides what to build; this module builds it (and is imported only then)."""

from __future__ import annotations

from docx.oxml.ns import qn
from lxml import etree  # type: ignore[import-untyped, unused-ignore]

from publish import model, present
from publish.backends import RenderContext
from publish.backends.docx import package, page, press
from publish.backends.docx.oxml import W_VAL
from publish.backends.docx.writer import Writer
from publish.build import reproducible


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
    number = 0
    for section in collection.sections:
        if section.title:
            writer.bookmark(writer.paragraph("Section Heading", section.title), contents.pop(0).target)
        for article in section.articles:
            number += 1
            writer.article(article, f"a{number}", headline_style="Heading 1", contents_target=contents.pop(0).target)
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
