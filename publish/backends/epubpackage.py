"""The EPUB 3 package: the shared templates as XHTML chapters, with the theme's CSS, a nav and an NCX (ebooklib),
stamped with the e-book's date. publish.backends.epub decides what to build; this module builds it."""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import io
import zipfile
from typing import TYPE_CHECKING, Any

from ebooklib import epub
from lxml import etree

from publish import model, present
from publish.backends import RenderContext
from publish.backends import html as html_backend
from publish.backends.epub import latest, modified_time
from publish.build import ahead, cache
from publish.checks import accessibility
from publish.errors import RenderError
from publish.model import text
from publish.present import quotes, templating
from publish.present.cover import draw_cover

if TYPE_CHECKING:
    from _typeshed import SizedBuffer

CHAPTER = "chapter.xhtml"
STYLESHEET = "style.css"
IMAGE_FOLDER = "images"
ZIP_FIRST = dt.datetime(1980, 1, 1, tzinfo=dt.UTC)
"""The earliest time a ZIP entry can carry."""
ZIP_LAST = dt.datetime(2107, 12, 31, 23, 59, 58, tzinfo=dt.UTC)
"""The latest."""
COVER_COST = 100
"""How many chapters' rendering drawing a digest's cover is worth when a cold build splits the work between
processes (publish.build.ahead): about a hundred (0.14 s in a forked share, where a chapter takes 1-2 ms; tried on
the 200-article digest: at 60 this process still waited for the share drawing the cover, at 150 the share for it)."""


def chapter_book(article: model.Article, context: RenderContext) -> bytes:
    """An article as a one-chapter e-book."""
    meta = article.meta
    package = _Package(context, article)
    chapter = package.article_chapter(CHAPTER, "chapter", article)
    book = _book(meta)
    declare_press(book, (article,))
    accessibility.declare_epub(book, accessibility.describe([article]))
    book.toc = [_toc(article, CHAPTER)]
    return package.write(book, [chapter], modified_time(meta.updated or meta.published), nav_in_spine=False,
                         language=meta.language)


def digest(collection: model.Collection, context: RenderContext) -> bytes:
    """A collection as a digest: a cover, the contents (nav), then per section a title page and one document per
    article."""
    package = _Package(context, collection)
    book = _collection_book(collection)
    declare_press(book, collection.articles)
    accessibility.declare_epub(book, accessibility.describe(collection.articles, cover=True))
    spine: list[Any] = [package.chapter("cover.xhtml", "cover", "epub/cover.xhtml.j2", {
        "collection": collection, "image": f"{IMAGE_FOLDER}/cover.png", "direction": package.direction,
        "edition": present.collection(collection, context.theme).edition})]
    toc: list[Any] = []
    number = 0
    work: list[tuple[str, str, model.Article] | None] = [
        (f"article-{n:03d}.xhtml", f"article-{n}", a) for n, a in enumerate(collection.articles, 1)]
    if not collection.cover:
        work.append(None)  # the cover to draw, last: with a cold cache, on another core than the first chapters

    def make(item: tuple[str, str, model.Article] | None) -> Any:
        return package.drawn_cover(collection) if item is None else package.article_chapter(*item)

    made = ahead.in_order(work, make,  # a cold cache: the chapters rendered (and the cover drawn) on every core,
                          cost=lambda item: COVER_COST if item is None else 1)  # each share as long as the other
    with contextlib.closing(made):
        for index, section in enumerate(collection.sections, 1):
            entries, chapters = [], []
            for article in section.articles:
                number += 1
                name = f"article-{number:03d}.xhtml"
                chapters.append(next(made))
                byline = present.article(article.meta, context.theme).byline
                headline = quotes.curl(article.meta.headline, article.meta.language) \
                    if context.theme.typography.smart_quotes else article.meta.headline
                entries.append({"href": name, "headline": headline, "byline": byline,
                                "link": epub.Link(name, headline, f"toc-article-{number}")})
            if section.title:
                page = package.chapter(f"section-{index}.xhtml", f"section-{index}", "epub/section.xhtml.j2", {
                    "title": section.title, "entries": entries, "direction": package.direction,
                    "language": collection.language})
                toc.append((epub.Section(section.title, href=page.file_name), [e["link"] for e in entries]))
                spine.append(page)
            else:
                toc.extend(e["link"] for e in entries)
            spine.extend(chapters)
        cover = next(made) if not collection.cover else package.context.resources.image(collection.cover).data
    book.set_cover(f"{IMAGE_FOLDER}/cover.png", cover, create_page=False)
    book.toc = toc
    return package.write(book, spine, modified_time(latest(collection)), nav_in_spine=True,
                         language=collection.language)


class _Package:
    """What every EPUB holds besides its metadata: the theme's stylesheet, images (each stored once) and content
    documents rendered from the shared templates."""

    def __init__(self, context: RenderContext, document: model.Document) -> None:
        language = document.language
        self.context = context
        self.direction = text.direction(language)
        self.images: dict[str, epub.EpubImage] = {}
        self.documents: list[epub.EpubItem] = []
        css = html_backend.stylesheet(context.theme, paged=False, collection=True,
                                      languages=html_backend.document_languages(document))
        self.css = epub.EpubItem(uid="style", file_name=STYLESHEET, media_type="text/css", content=css.encode())

    def image(self, src: str) -> templating.ImageRef:
        """Add the image once; what a template writes in src."""
        found = self.context.resources.image(src)
        href = f"{IMAGE_FOLDER}/{found.file_name}"
        if href not in self.images:
            self.images[href] = epub.EpubImage(uid=f"image-{len(self.images) + 1}", file_name=href,
                                               media_type=found.media_type, content=found.data)
        return templating.ImageRef(url=href, width=found.width, height=found.height)

    @functools.cached_property
    def theme_key(self) -> str:
        """The theme's and templates' part of the cached chapters' and cover's keys ("" without a cache: hashing
        every template file cost a batch's one-article EPUB a tenth of its time)."""
        if cache.root() is None:
            return ""
        return cache.theme_version(self.context.theme, present.builtin_templates_dir())

    def article_chapter(self, file_name: str, uid: str, article: model.Article) -> epub.EpubItem:
        """An article's chapter, reused from the cache when this article was rendered before with the same theme,
        templates, images and publish (see publish.build.cache.article_piece)."""
        images = [f"{src}|{found.file_name}|{found.width}x{found.height}"  # figures' and inline images' files
                  for src in dict.fromkeys(model.image_sources(article.blocks))
                  for found in (self.context.resources.image(src),)]

        def make(image: Any) -> str:
            return self.rendered("epub/chapter.xhtml.j2", templating.article_values(
                article, image, packaged=True, theme=self.context.theme))

        document = cache.article_piece("epub-chapter", article, self.theme_key,
                                       f"{STYLESHEET}|{self.direction}", images, make, self.image)
        return self.item(file_name, uid, document.encode())

    def drawn_cover(self, collection: model.Collection) -> bytes:
        """The cover drawn from the collection's title, publisher, edition and logo (reused from the cache when
        these and the theme are unchanged: drawing it takes a few tenths of a second)."""
        logo = self.context.resources.image(collection.logo).data if collection.logo else None
        key = cache.fingerprint("epub-cover", cache.code_version(), self.theme_key, collection.title,
                                collection.subtitle, collection.publisher, str(collection.edition), logo or b"")
        found = cache.get("pieces", key)
        if found is None:
            found = draw_cover(collection, self.context.theme, logo)
            cache.put("pieces", key, found)
        return found

    def rendered(self, template: str, values: dict[str, Any]) -> str:
        """A content document's XHTML from a template, checked to be well-formed."""
        document = templating.render(self.context.theme, template, stylesheet=STYLESHEET, **values)
        _check_well_formed(document.encode(), template)
        return document

    def chapter(self, file_name: str, uid: str, template: str, values: dict[str, Any]) -> epub.EpubItem:
        """A content document from a template, checked to be well-formed XHTML."""
        return self.item(file_name, uid, self.rendered(template, values).encode())

    def item(self, file_name: str, uid: str, document: bytes) -> epub.EpubItem:
        """Add a content document."""
        item = epub.EpubItem(uid=uid, file_name=file_name, media_type="application/xhtml+xml", content=document)
        self.documents.append(item)
        return item

    def write(self, book: epub.EpubBook, spine: list[Any], modified: dt.datetime, *, nav_in_spine: bool,
              language: str) -> bytes:
        """Package everything: the nav (titled "Contents" in the book's language; linear in a digest, left out of
        a single article's reading order, where a non-linear one would have to be linked from the chapter:
        OPF-096), the NCX, and a stamped ZIP."""
        contents = present.label_table(language, self.context.theme).contents
        nav = epub.EpubNav(uid="nav", title=contents, direction=self.direction)
        nav.add_item(self.css)
        for item in (*self.documents, self.css, *self.images.values(), nav, epub.EpubNcx(uid="ncx")):
            book.add_item(item)
        book.spine = [spine[0], nav, *spine[1:]] if nav_in_spine else spine
        out = io.BytesIO()
        writer = _Writer(out, book, modified, {
            "mtime": modified,
            "epub3_pages": False,
            "epub3_landmark": False,
            "epub2_guide": False,
            "play_order": {"enabled": True, "start_from": 1},
        })
        writer.process()
        writer.write()
        return out.getvalue()


def _w3c_date(value: model.Date) -> str:
    """A date as the OPF wants it (W3CDTF): a date alone, or a time with its zone (UTC when none is given)."""
    if not isinstance(value, dt.datetime):
        return value.isoformat()
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.replace(microsecond=0).isoformat().replace("+00:00", "Z")


def _book(meta: model.Meta) -> epub.EpubBook:
    """An article's package metadata: its own Dublin Core fields."""
    for field, value in (("headline", meta.headline), ("language", meta.language)):
        if not value.strip():
            raise RenderError(f"an EPUB needs a {field} (dc:{'title' if field == 'headline' else field}); "
                              "this article has none")
    return _new_book(meta.uid, meta.headline, meta.language, meta.authors or ((meta.source,) if meta.source else ()), [
        ("date", _w3c_date(meta.published) if meta.published else ""),
        ("publisher", meta.source),
        ("description", meta.summary or meta.dek),
        *(("subject", keyword) for keyword in meta.keywords),
        ("rights", meta.rights),
        ("source", meta.url),
    ])


def declare_press(book: epub.EpubBook, articles: tuple[model.Article, ...]) -> None:
    """A press release's embargo and corrections in the package metadata: `dcterms:available` (the moment the
    text may be published) and one `schema:correction` per correction, its date then its text (prefixes EPUB 3
    reserves, so the package needs no prefix declaration)."""
    embargoes = [a.meta.embargo for a in articles if a.meta.embargo is not None]
    if embargoes:  # a digest may be published when its last embargo lifts
        book.add_metadata(None, "meta", _w3c_date(max(embargoes)), {"property": "dcterms:available"})
    for correction in (c for a in articles for c in a.meta.corrections):
        book.add_metadata(None, "meta", f"{correction.date.isoformat()}: {correction.text}",
                          {"property": "schema:correction"})


def _collection_book(collection: model.Collection) -> epub.EpubBook:
    """The digest's package metadata: the collection's own, with every article's authors and keywords."""
    if not collection.title.strip():
        raise RenderError("an EPUB needs a title (dc:title); this collection has none")
    authors = tuple(dict.fromkeys(name for a in collection.articles for name in a.meta.authors))
    return _new_book(collection.uid, collection.title, collection.language,
                     authors or ((collection.publisher,) if collection.publisher else ()), [
        ("date", _w3c_date(collection.edition) if collection.edition else ""),
        ("publisher", collection.publisher),
        ("description", collection.subtitle),
        *(("subject", k) for k in dict.fromkeys(k for a in collection.articles for k in a.meta.keywords)),
    ])


def _new_book(identifier: str, title: str, language: str, creators: tuple[str, ...],
              optional: list[tuple[str, str]]) -> epub.EpubBook:
    """A book with its Dublin Core metadata (empty optional fields left out) and page progression direction."""
    book = epub.EpubBook()
    book.IDENTIFIER_ID = "uid"
    book.set_identifier(identifier)  # replaces the random one EpubBook() starts with
    book.set_title(title)
    book.set_language(language)
    for i, name in enumerate(creators, 1):
        book.add_author(name, uid=f"creator{i}")
    for name, value in optional:
        if value:
            book.add_metadata("DC", name, value)
    if text.direction(language) == "rtl":
        book.set_direction("rtl")
    return book


def _toc(article: model.Article, chapter: str) -> Any:
    """The headline linking to the chapter, with the subheads nested below it by level."""
    root: list[Any] = []
    stack: list[tuple[int, list[Any]]] = [(0, root)]
    for number, heading in enumerate(templating.headings(article.blocks), 1):
        while stack[-1][0] >= heading.level:
            stack.pop()
        anchor = templating.heading_anchor(number)
        link = epub.Link(f"{chapter}#{anchor}", text.plain(heading.content).strip(), f"toc-{anchor}")
        children: list[Any] = []
        stack[-1][1].append((link, children))
        stack.append((heading.level, children))
    return _ebooklib_toc(epub.Link(chapter, article.meta.headline, "toc-article"), root)


def _ebooklib_toc(link: Any, children: list[Any]) -> Any:
    """ebooklib's shape: a Link for a leaf, (Link, [children]) for a section (no children would make an empty <ol>)."""
    if not children:
        return link
    return (link, [_ebooklib_toc(child, grandchildren) for child, grandchildren in children])


def _check_well_formed(document: bytes, template: str) -> None:
    """Refuse a chapter that is not well-formed XML (a template override can produce one), naming the line."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    try:
        etree.fromstring(document, parser)
    except etree.XMLSyntaxError as exc:
        raise RenderError(f"the EPUB chapter is not well-formed XHTML: {exc.msg}",
                          path=f"{template} (rendered)", line=exc.lineno) from None


class _StampedZip(zipfile.ZipFile):
    """A ZipFile whose entries written by name all carry one fixed time and the same permissions."""

    def __init__(self, file: io.BytesIO, stamp: dt.datetime, compresslevel: int) -> None:
        super().__init__(file, "w", zipfile.ZIP_DEFLATED, compresslevel=compresslevel)
        moment = min(max(stamp, ZIP_FIRST), ZIP_LAST)
        self.date_time = (moment.year, moment.month, moment.day, moment.hour, moment.minute, moment.second)

    def writestr(self, zinfo_or_arcname: str | zipfile.ZipInfo, data: SizedBuffer | str,
                 compress_type: int | None = None, compresslevel: int | None = None) -> None:
        if isinstance(zinfo_or_arcname, str):
            info = zipfile.ZipInfo(zinfo_or_arcname, date_time=self.date_time)
            info.compress_type = self.compression if compress_type is None else compress_type
            info.external_attr = 0o644 << 16
            zinfo_or_arcname = info
        level = self.compresslevel if compresslevel is None else compresslevel
        super().writestr(zinfo_or_arcname, data, compress_type, level)


class _Writer(epub.EpubWriter):  # type: ignore[misc]
    """ebooklib's writer with entries stamped with the e-book's modification time instead of now."""

    def __init__(self, out: io.BytesIO, book: epub.EpubBook, stamp: dt.datetime, options: dict[str, Any]) -> None:
        super().__init__(out, book, options)
        self.stamp = stamp

    def write(self) -> None:
        """As EpubWriter.write: mimetype first and stored, then the container, the package and the items."""
        self.out = _StampedZip(self.file_name, self.stamp, self.options["compresslevel"])
        self.out.writestr("mimetype", "application/epub+zip", compress_type=zipfile.ZIP_STORED)
        self._write_container()
        self._write_opf()
        self._write_items()
        self.out.close()

    def _write_opf_metadata(self, root: Any) -> None:
        """As ebooklib's, with the book's language also on the package element (xml:lang), where reading systems
        and DAISY Ace look for the language of the package's own text (epub-lang)."""
        if self.book.language:
            root.set("{http://www.w3.org/XML/1998/namespace}lang", self.book.language)
        super()._write_opf_metadata(root)
