"""The IPTC ninjs backend: an article (or a collection) as one ninjs 3.1 JSON item for wires and partners.

An article becomes a `text` item: headlines (main, and the dek as `sub`), `by` and authors as people, dates,
language, the dateline as `located`, keywords as subjects, the summary as a description, the body as HTML (the
shared block templates, so its words are the HTML's) and each figure as a picture association with a rendition
whose href is the image's path, as written in the article. A collection becomes a `composite` item whose
associations are its articles, in reading order. The file is `NAME.ninjs.json`: still `.json`, so publish and any
JSON tool read it back, but named apart from publish's own JSON form of the same article.
A press release's embargo is `embargoedUntil`; its end mark, notes to editors, media contacts and corrections
follow the story in the body, as the HTML prints them.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re
from typing import Any, assert_never

from publish import model, present
from publish.backends import RenderContext
from publish.model import text
from publish.present import templating

VERSION = "3.1"
SCHEMA_URI = f"http://www.iptc.org/std/ninjs/ninjs-schema_{VERSION}.json"
URI_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:\S+$")


def render(document: model.Document, context: RenderContext) -> str:
    """The ninjs item as indented JSON text."""
    match document:
        case model.Collection():
            item = collection_item(document, context)
        case model.Article():
            item = article_item(document, context)
        case _:
            assert_never(document)
    item = {"standard": {"name": "ninjs", "version": VERSION, "schema": SCHEMA_URI}, **item}
    return json.dumps(item, ensure_ascii=False, indent=2) + "\n"


def article_item(article: model.Article, context: RenderContext) -> dict[str, Any]:
    """One article as a ninjs `text` item (without `standard`, so it can also sit inside a composite)."""
    meta = article.meta
    derived = dataclasses.replace(meta, identifier="").uid
    item: dict[str, Any] = {"uri": _uri(meta.identifier, derived), "type": "text", "language": meta.language}
    if meta.published:
        item["firstCreated"] = _datetime(meta.published)
    latest = meta.updated or meta.published
    if latest:
        item["versionCreated"] = _datetime(latest)
    if meta.embargo:
        item["embargoedUntil"] = _datetime(meta.embargo)
    headlines = [{"role": "main", "value": meta.headline}]
    if meta.dek:
        headlines.append({"role": "sub", "value": meta.dek})
    item["headlines"] = headlines
    if meta.authors:
        item["by"] = present.article(meta, context.theme).byline
        item["people"] = [{"name": name, "rel": "author"} for name in meta.authors]
    if meta.dateline:
        item["located"] = meta.dateline
    if meta.keywords:
        item["subjects"] = [{"name": keyword} for keyword in meta.keywords]
    if meta.summary:
        item["descriptions"] = [{"role": "summary", "value": meta.summary}]
    if meta.source:
        item["infoSources"] = [{"name": meta.source}]
    if meta.rights:
        item["copyrightNotice"] = meta.rights
    alt_ids = []
    if meta.identifier and meta.identifier != item["uri"]:  # an identifier that is not a URI travels beside it
        alt_ids.append({"role": "identifier", "value": meta.identifier})
    if meta.url and meta.url != item["uri"]:
        alt_ids.append({"role": "url", "value": meta.url})
    if alt_ids:
        item["altIds"] = alt_ids
    item["bodies"] = [{"role": "main", "contentType": "text/html", "value": body_html(article, context)}]
    figures = [b for b in model.iter_blocks(article.blocks) if isinstance(b, model.Figure)]
    if figures:
        item["associations"] = [_picture(number, figure, item["uri"], context)
                                for number, figure in enumerate(figures, 1)]
    return item


def collection_item(collection: model.Collection, context: RenderContext) -> dict[str, Any]:
    """A collection as a ninjs `composite` item: its title and edition, its articles as associations."""
    derived = dataclasses.replace(collection, identifier="").uid
    item: dict[str, Any] = {"uri": _uri(collection.identifier, derived), "type": "composite",
                            "language": collection.language, "headlines": [{"role": "main", "value": collection.title}]}
    if collection.subtitle:
        item["headlines"].append({"role": "sub", "value": collection.subtitle})
    if collection.edition:
        item["versionCreated"] = _datetime(collection.edition)
    if collection.publisher:
        item["copyrightHolder"] = collection.publisher
    associations = []
    number = 0
    for section in collection.sections:
        for article in section.articles:
            number += 1
            association = {"name": f"article-{number:03d}", "rel": "article", **article_item(article, context)}
            if section.title:
                association["genres"] = [{"name": section.title}]  # the section the article is filed under
            associations.append(association)
    item["associations"] = associations
    return item


def body_html(article: model.Article, context: RenderContext) -> str:
    """The article's blocks as an HTML fragment: the templates the HTML uses, images by their path."""
    def image(src: str) -> templating.ImageRef:
        found = context.resources.image(src)
        return templating.ImageRef(url=src, width=found.width, height=found.height)

    html = templating.render(context.theme, "ninjs-body.html.j2", **templating.article_values(article, image))
    return re.sub(r"\n{2,}", "\n", html).strip() + "\n"


def _picture(number: int, figure: model.Figure, uri: str, context: RenderContext) -> dict[str, Any]:
    image = context.resources.image(figure.src)
    picture: dict[str, Any] = {
        "name": f"figure-{number}",
        "uri": f"{uri}#figure-{number}",
        "type": "picture",
        "headlines": [{"role": "alt", "value": figure.alt}],
        "renditions": [{"name": "original", "href": figure.src, "contentType": image.media_type,
                        "width": image.width, "height": image.height}],
    }
    if figure.caption:
        picture["descriptions"] = [{"role": "caption", "value": text.plain(figure.caption)}]
    if figure.credit:
        picture["by"] = figure.credit
    return picture


def _uri(identifier: str, derived: str) -> str:
    """The item's identifier when it is a URI, else the one derived from the article or collection (a urn:uuid)."""
    return identifier if URI_SCHEME.match(identifier) else derived


def _datetime(value: model.Date) -> str:
    """ninjs dates are RFC 3339 date-times: a date alone is written as midnight UTC (and read back as the date)."""
    if not isinstance(value, dt.datetime):
        return f"{value.isoformat()}T00:00:00Z"
    if value.tzinfo is None:  # RFC 3339's "-00:00": the time is right, its offset from UTC unknown
        return f"{value.isoformat()}-00:00"
    return value.isoformat().replace("+00:00", "Z")
