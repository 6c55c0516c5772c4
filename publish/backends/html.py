"""The print-ready HTML backend: one self-contained HTML5 file with paged-media CSS and NewsArticle JSON-LD."""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterable
from typing import Any, assert_never

from markupsafe import Markup

from publish import __version__, model, present
from publish.backends import RenderContext, whole_collection
from publish.build import cache
from publish.errors import RenderError
from publish.model import text
from publish.present import templating
from publish.present.theme import Theme


def render(document: model.Document, context: RenderContext, *, remote_images: bool = False,
           for_pdf: bool = False) -> str:
    """The whole HTML document; images are embedded as data: URIs so the file stands alone. An inline image from
    the web shows as its alt text, unless `remote_images` (the PDF's HTML with --allow-remote: WeasyPrint fetches
    it, within its limits)."""
    match document:
        case model.Collection() if remote_images or for_pdf:
            return render_collection(document, context, remote_images=remote_images, for_pdf=for_pdf)
        case model.Collection():  # the HTML file itself: the last build's when nothing it depends on changed
            return whole_collection("html", document, context, "",
                                    lambda: render_collection(document, context).encode()).decode()
        case model.Article():
            return render_article(document, context, remote_images=remote_images, for_pdf=for_pdf)
        case _:
            assert_never(document)


def render_article(article: model.Article, context: RenderContext, *, remote_images: bool = False,
                   for_pdf: bool = False) -> str:
    """An article as one document: letterhead (if the theme has one), the article, its footer."""
    return templating.render(
        context.theme,
        "article.html.j2",
        css=Markup(stylesheet(context.theme, paged=True, language=article.meta.language,
                              languages=document_languages(article))),
        json_ld=Markup(json_ld(article.meta)),
        letterhead=letterhead(article.meta, context.theme),
        **templating.article_values(article, lambda src: _embedded(src, context), remote_images=remote_images,
                                     theme=context.theme, for_pdf=for_pdf),
    )


def render_collection(collection: model.Collection, context: RenderContext, *, remote_images: bool = False,
                      for_pdf: bool = False) -> str:
    """A collection as one document: cover, linked contents (with page numbers in print), sections of articles."""
    theme_key = cache.theme_version(context.theme, present.builtin_templates_dir()) if cache.root() else ""
    made = (_collection_entry(f"a{number}", article, context, theme_key, remote_images=remote_images, for_pdf=for_pdf)
            for number, article in enumerate(collection.articles, 1))
    sections = [{"id": f"section-{index}", "title": section.title, "entries": [next(made) for _ in section.articles]}
                for index, section in enumerate(collection.sections, 1)]
    keywords = list(dict.fromkeys(k for a in collection.articles for k in a.meta.keywords))
    return templating.render(
        context.theme,
        "collection.html.j2",
        collection=collection,
        collection_furniture=present.collection(collection, context.theme),
        sections=sections,
        keywords=keywords,
        logo=_embedded(collection.logo, context) if collection.logo else None,
        article_break=context.article_break,
        direction=text.direction(collection.language),
        version=__version__,
        css=Markup(stylesheet(context.theme, paged=True, collection=True, language=collection.language,
                              languages=document_languages(collection))),
        json_ld=Markup(_script_safe(collection_json_ld(collection))),
    )


def stylesheet(theme: Theme, *, paged: bool, collection: bool = False, language: str = "en",
               languages: Iterable[str] | None = None) -> str:
    """The theme's CSS, with the paged-media rules for print when `paged`, and the collection's when asked.

    `language` sets the page furniture: its words ("Page 2 of 5") and, for a right-to-left language, which side
    the running head and page numbers take.
    """
    parts = [templating.render(theme, "theme.css.j2", languages=None if languages is None else sorted(languages))]
    if paged:
        parts.append(templating.render(theme, "print.css.j2", direction=text.direction(language),
                                       labels=present.label_table(language, theme), language=language,
                                       languages=sorted(languages or (language,))))
    if collection:
        parts.append(templating.render(theme, "collection.css.j2"))
    if collection and paged:
        parts.append(templating.render(theme, "collection-print.css.j2"))
    css = "".join(parts)
    if "</" in css:
        raise RenderError("the theme's CSS contains '</', which would end the <style> element", path=theme.folder)
    return css


def document_languages(document: model.Document) -> set[str]:
    """Every language a document is written in (its articles', and a collection's own)."""
    return {document.language, *(a.meta.language for a in document.articles)}


def json_ld(meta: model.Meta) -> str:
    """schema.org NewsArticle metadata, safe to place inside a <script> element."""
    return _script_safe(news_article(meta))


def collection_json_ld(collection: model.Collection) -> dict[str, Any]:
    """schema.org PublicationIssue metadata whose parts are the articles' NewsArticle records."""
    data: dict[str, Any] = {"@context": "https://schema.org", "@type": "PublicationIssue", "name": collection.title,
                            "identifier": collection.uid, "inLanguage": collection.language}
    if collection.edition:
        data["datePublished"] = collection.edition.isoformat()
    if collection.publisher:
        data["publisher"] = {"@type": "Organization", "name": collection.publisher}
    data["hasPart"] = [{k: v for k, v in news_article(a.meta).items() if k != "@context"}
                       for a in collection.articles]
    return data


def _script_safe(data: dict[str, Any]) -> str:
    return json.dumps(data, ensure_ascii=False).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def news_article(meta: model.Meta) -> dict[str, Any]:
    """schema.org NewsArticle metadata as data."""
    modified = meta.updated or meta.published
    data: dict[str, Any] = {"@context": "https://schema.org", "@type": "NewsArticle", "headline": meta.headline}
    optional: dict[str, Any] = {
        "alternativeHeadline": meta.dek,
        "author": [{"@type": "Person", "name": name} for name in meta.authors],
        "datePublished": meta.published.isoformat() if meta.published else "",
        "dateModified": modified.isoformat() if modified else "",
        "publisher": {"@type": "Organization", "name": meta.source} if meta.source else "",
        "inLanguage": meta.language,
        "keywords": ", ".join(meta.keywords),
        "description": meta.summary,
        "url": meta.url,
        "mainEntityOfPage": meta.url,
        "copyrightNotice": meta.rights,
        "identifier": meta.uid,
        "contentLocation": {"@type": "Place", "name": meta.dateline} if meta.dateline else "",
        "correction": [{"@type": "CorrectionComment", "datePublished": c.date.isoformat(), "text": c.text}
                       for c in meta.corrections],
    }
    data.update({key: value for key, value in optional.items() if value})
    return data


def letterhead(meta: model.Meta, theme: Theme) -> dict[str, Any] | None:
    """What the letterhead shows, when the theme has one: the logo (embedded), publisher, label and date."""
    brand = theme.brand
    if not brand.letterhead:
        return None
    logo = theme.logo_image()
    embedded = None if logo is None else templating.ImageRef(
        url=f"data:{logo.media_type};base64,{base64.b64encode(logo.data).decode('ascii')}",
        width=logo.width, height=logo.height)
    return {"logo": embedded, "publisher": brand.publisher or meta.source,
            "label": present.letterhead_label(brand.label, meta.language, theme),
            "date": meta.published or meta.updated, "date_text": present.article(meta, theme).date}


def _collection_entry(article_id: str, article: model.Article, context: RenderContext, theme_key: str, *,
                      remote_images: bool, for_pdf: bool) -> dict[str, Any]:
    """What the collection template needs of one article: the partial's values (for an override that includes
    `partials/article.html.j2` itself) and, as `html`, the partial rendered with them. The rendering is reused from
    the cache when this article was rendered before at the same place, with the same theme, templates, images,
    options and publish (publish.build.cache.article_piece): a rebuild after one story changed renders that one."""
    values = templating.article_values(article, lambda src: _embedded(src, context), article_id=article_id,
                                       heading_offset=2, remote_images=remote_images, theme=context.theme,
                                       for_pdf=for_pdf)

    typography = context.theme.typography
    keep_whole = for_pdf and typography.hyphenate  # for print: each paragraph's last word kept whole, in the piece

    def make(_: object = None) -> str:  # images are embedded as data: a piece taken from the cache needs none
        html = templating.render(context.theme, "partials/article.html.j2", **values)
        if not keep_whole:
            return html
        from publish.present import hyphenation  # with pyphen: for print only

        shortest = typography.hyphenate_before + typography.hyphenate_after
        return hyphenation.last_words_kept_whole_in_piece(html, shortest)

    if remote_images:  # an image on the web is fetched by WeasyPrint: nothing to key the piece by
        html = make()
    else:
        images = [f"{src}|{found.media_type}|{hashlib.sha256(found.data).hexdigest()}"  # figures and inline images
                  for src in dict.fromkeys(model.image_sources(article.blocks))
                  for found in (context.resources.image(src),)]
        html = cache.article_piece("html-article", article, theme_key, f"{article_id}|{for_pdf}", images, make,
                                   lambda src: None)
    return {**values, "anchor": templating.anchors(article_id), "html": Markup(html)}  # anchors counted anew


def _embedded(src: str, context: RenderContext) -> templating.ImageRef:
    image = context.resources.image(src)
    uri = f"data:{image.media_type};base64,{base64.b64encode(image.data).decode('ascii')}"
    return templating.ImageRef(url=uri, width=image.width, height=image.height)
