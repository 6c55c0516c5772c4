"""The print-ready HTML backend: one self-contained HTML5 file with paged-media CSS and NewsArticle JSON-LD."""

from __future__ import annotations

import base64
import json
from typing import Any

from markupsafe import Markup

from publish import model, templating
from publish.backends import RenderContext
from publish.errors import RenderError
from publish.theme import Theme


def render(article: model.Article, context: RenderContext) -> str:
    """The whole HTML document; images are embedded as data: URIs so the file stands alone."""
    return templating.render(
        context.theme,
        "article.html.j2",
        css=Markup(stylesheet(context.theme, paged=True)),
        json_ld=Markup(json_ld(article.meta)),
        **templating.article_values(article, lambda src: _embedded(src, context)),
    )


def stylesheet(theme: Theme, *, paged: bool) -> str:
    """The theme's CSS, with the paged-media rules for print when `paged`."""
    parts = [templating.render(theme, "theme.css.j2")]
    if paged:
        parts.append(templating.render(theme, "print.css.j2"))
    css = "".join(parts)
    if "</" in css:
        raise RenderError("the theme's CSS contains '</', which would end the <style> element", path=theme.folder)
    return css


def json_ld(meta: model.Meta) -> str:
    """schema.org NewsArticle metadata, safe to place inside a <script> element."""
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
    }
    data.update({key: value for key, value in optional.items() if value})
    return json.dumps(data, ensure_ascii=False).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _embedded(src: str, context: RenderContext) -> templating.ImageRef:
    image = context.resources.image(src)
    uri = f"data:{image.media_type};base64,{base64.b64encode(image.data).decode('ascii')}"
    return templating.ImageRef(url=uri, width=image.width, height=image.height)
