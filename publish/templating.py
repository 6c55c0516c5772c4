"""The shared Jinja2 environment: theme templates before the built-in ones, autoescape and strict undefined."""

from __future__ import annotations

import datetime as dt
import functools
import importlib.resources
import itertools
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn
from urllib.parse import urlsplit

import jinja2

from publish import __version__, model, text
from publish.errors import RenderError
from publish.theme import Theme

SAFE_SCHEMES = {"", "http", "https", "mailto"}


@dataclass(frozen=True, slots=True)
class ImageRef:
    """How a template shows an image: the URL to write in src, and its pixel size."""

    url: str
    """A data: URI (standalone HTML) or a path inside the package (EPUB)."""
    width: int
    """Width in pixels."""
    height: int
    """Height in pixels."""


def builtin_templates_dir() -> Path:
    """The folder of templates shipped with publish."""
    return Path(str(importlib.resources.files("publish.templates")))


@functools.lru_cache(maxsize=8)
def environment(theme_folder: Path) -> jinja2.Environment:
    """One environment per theme: its folder is searched first; "builtin/NAME" always reaches the shipped one."""
    builtin = jinja2.FileSystemLoader(builtin_templates_dir())
    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader([
            jinja2.FileSystemLoader(theme_folder),
            builtin,
            jinja2.PrefixLoader({"builtin": builtin}),
        ]),
        autoescape=_autoescape,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.globals["unsupported"] = _unsupported
    env.globals["safe_href"] = safe_href
    env.filters["plain"] = text.plain
    env.filters["human_date"] = text.human_date
    env.filters["isodate"] = _isodate
    env.filters["mm"] = lambda value: f"{value:g}mm"
    env.filters["pt"] = lambda value: f"{value:g}pt"
    env.filters["font_stack"] = _font_stack
    return env


def render(theme: Theme, template: str, **values: Any) -> str:
    """Render one template with the theme in scope."""
    try:
        return environment(theme.folder).get_template(template).render(theme=theme, **values)
    except jinja2.TemplateNotFound as exc:
        raise RenderError(f"template {exc.name!r} not found in {theme.folder} or the built-in templates") from None
    except jinja2.TemplateSyntaxError as exc:
        raise RenderError(f"template syntax error: {exc.message}", path=exc.filename, line=exc.lineno) from None


def article_values(article: model.Article, image: Callable[[str], ImageRef], *, article_id: str = "article",
                   heading_offset: int = 0) -> dict[str, Any]:
    """What the article partial needs: the article, its meta, heading ids, and how to show images.

    In a collection each article gets its own `article_id` (heading ids are prefixed with it, so they stay
    unique in one document) and `heading_offset` 1, since section titles sit above the headlines.
    """
    numbers = itertools.count(1)
    prefix = "" if article_id == "article" else f"{article_id}-"
    return {
        "article": article,
        "meta": article.meta,
        "article_id": article_id,
        "heading_offset": heading_offset,
        "direction": text.direction(article.meta.language),
        # Headings are numbered in rendering order, which is the order `headings` walks them in.
        "anchor": lambda node: heading_anchor(next(numbers), prefix),
        "image": image,
        "version": __version__,
    }


def heading_anchor(number: int, prefix: str = "") -> str:
    """The id of the `number`th heading (from 1) in an article, as the templates write it."""
    return f"{prefix}s{number}"


def headings(blocks: Iterable[model.Block]) -> Iterator[model.Heading]:
    """Every heading in reading order, including those inside quotes and list items."""
    for block in blocks:
        if isinstance(block, model.Heading):
            yield block
        elif isinstance(block, model.BlockQuote):
            yield from headings(block.blocks)
        elif isinstance(block, (model.BulletList, model.OrderedList)):
            for item in block.items:
                yield from headings(item)


def safe_href(url: str) -> str:
    """The URL if a reader may follow it (http, https, mailto, or relative); "" for javascript: and the like."""
    scheme = urlsplit(url.strip()).scheme.lower()
    return url.strip() if scheme in SAFE_SCHEMES else ""


def _autoescape(name: str | None) -> bool:
    """Escape everything but the CSS templates, whose values are the theme's own tokens."""
    return not (name or "").endswith(".css.j2")


def _unsupported(node: object) -> NoReturn:
    raise RenderError(f"the templates cannot render a {type(node).__name__} node")


def _isodate(value: dt.date | None) -> str:
    if isinstance(value, dt.datetime):
        return value.isoformat(timespec="seconds")
    return "" if value is None else value.isoformat()


def _font_stack(families: tuple[str, ...]) -> str:
    generic = {"serif", "sans-serif", "monospace", "cursive", "fantasy", "system-ui"}
    return ", ".join(f if f in generic else '"' + f.replace('"', "") + '"' for f in families)
