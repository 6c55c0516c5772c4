"""The EPUB 3 backend: an article as a one-chapter e-book, a collection as a digest (cover, contents, a title page
per section and a chapter per article), built by publish.backends.epubpackage. A digest none of whose inputs
changed comes from the cache whole, without loading ebooklib or the templates."""

from __future__ import annotations

import datetime as dt
from typing import assert_never

from publish import model
from publish.backends import RenderContext, whole_collection
from publish.build import reproducible


def render(document: model.Document, context: RenderContext) -> bytes:
    """The whole EPUB file, built in memory: an article as one chapter, a collection as a digest. The same input
    with a date (or SOURCE_DATE_EPOCH set) and the same theme gives the same bytes every time."""
    match document:
        case model.Collection():
            collection = document

            def digest() -> bytes:
                from publish.backends import epubpackage

                return epubpackage.digest(collection, context)

            return whole_collection("epub-digest", collection, context, repr(modified_time(latest(collection))),
                                    digest)
        case model.Article():
            from publish.backends import epubpackage

            return epubpackage.chapter_book(document, context)
        case _:
            assert_never(document)


def latest(collection: model.Collection) -> model.Date | None:
    """The digest's date: its edition, else its newest article's update or publication."""
    dates = [d for a in collection.articles for d in (a.meta.updated, a.meta.published) if d is not None]
    return collection.edition or (max(dates, key=reproducible.utc) if dates else None)


def modified_time(stamp: model.Date | None) -> dt.datetime:
    """When the e-book was last changed (dcterms:modified and the ZIP entries' time): the given date (an article's
    update or publication time, a collection's edition), else SOURCE_DATE_EPOCH, else now."""
    return reproducible.moment(stamp)
