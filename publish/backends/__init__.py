"""The backend registry and what every backend receives: the article, its resources and the theme."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, Never, NoReturn, Protocol

from publish.build.resources import Resources
from publish.errors import FormatError, RenderError
from publish.model import BLOCK_TYPES, INLINE_TYPES, Collection, Document
from publish.plugins import Registry
from publish.present.theme import Theme

if TYPE_CHECKING:
    from publish.readers.collection import CollectionOptions


@dataclass(frozen=True, slots=True)
class RenderContext:
    """Everything a backend needs besides the article."""

    theme: Theme
    """The design tokens and the theme folder."""
    resources: Resources
    """Where the article's images are found."""
    allow_remote: bool = False
    """Whether the PDF renderer may fetch http(s) resources (off: nothing leaves the machine)."""
    article_break: bool = False
    """In a collection, start every article on a new page."""
    pdf_variant: str = ""
    """A PDF conformance level to declare ("pdf/a-3b", "pdf/ua-1"; see publish.checks.conformance), or ""."""
    pdf_parts: str = "auto"
    """A collection's PDF laid out in parts in parallel and stitched where that matches one pass (see
    publish.backends.pdfparts): "auto" (for collections large enough to gain, with a second core), "on" or
    "off"."""
    update_fields: bool = False
    """Lay a DOCX packet out with LibreOffice (where installed) so its contents carry page numbers
    (`--update-fields`); off, Word numbers them on opening."""


def cannot_render(node: Never, backend: str, kind: Literal["block", "inline"]) -> NoReturn:
    """The last case of a backend's `match` over block or inline types: mypy proves it unreachable (a type added
    to the model without a case fails the type check here); at run time, an object that is no model node (a
    plugin's, a test's) is a RenderError that names it and what the backend renders."""
    found: object = node
    known = INLINE_TYPES if kind == "inline" else BLOCK_TYPES
    raise RenderError(f"the {backend} backend cannot render a {type(found).__name__} {kind}; it renders "
                      f"{', '.join(t.__name__ for t in known)}")


class BackendModule(Protocol):
    """What each backend module provides: one verb. A module may also define `outputs(document, stem, options)`,
    the files it writes for a document (the DOCX backend writes a collection's articles one file each with
    `docx_per_article`); without it a document is one file, STEM plus the extension."""

    def render(self, document: Document, context: RenderContext) -> bytes | str:
        """The whole output file for an article or a collection: text for HTML, bytes for the others."""
        ...


@dataclass(frozen=True, slots=True)
class BackendSpec:
    """A registered backend: built in, or a plugin's (its entry point names one of these)."""

    name: str
    """The name given to --to."""
    extension: str
    """The output file's extension, with the dot."""
    module: str
    """The module that implements it (a `render(document, context) -> bytes | str` function), imported only
    when this format is asked for."""
    summary: str
    """One line for --help and `publish formats`."""
    default: bool = True
    """Built when no --to is given (Markdown, a source format, is built only when asked for)."""

    def outputs(self, document: Document, stem: str, options: CollectionOptions) -> list[tuple[str, Document]]:
        """The files the backend writes for a document, as paths relative to the output folder, each with what
        it is rendered from: one, STEM plus the extension, unless the backend's own `outputs` says otherwise."""
        split: Callable[[Document, str, CollectionOptions], list[tuple[str, Document]]] | None = \
            getattr(self.load(), "outputs", None)
        return split(document, stem, options) if split is not None else [(f"{stem}{self.extension}", document)]

    def load(self) -> BackendModule:
        """Import the backend's module (heavy libraries load here, not before)."""
        module: BackendModule = importlib.import_module(self.module)
        return module


BACKENDS: Registry[BackendSpec] = Registry(
    "backend", "publish.backends", BackendSpec, (
        BackendSpec("html", ".html", "publish.backends.html", "print-ready HTML5 with paged-media CSS"),
        BackendSpec("pdf", ".pdf", "publish.backends.pdf", "PDF rendered by WeasyPrint from the same HTML"),
        BackendSpec("docx", ".docx", "publish.backends.docx", "Word document with named styles"),
        BackendSpec("epub", ".epub", "publish.backends.epub", "EPUB 3 e-book"),
        BackendSpec("md", ".md", "publish.backends.markdown",
                    "Markdown with YAML front matter, suggestions and comments as CriticMarkup", default=False),
        BackendSpec("ninjs", ".ninjs.json", "publish.backends.ninjs", "IPTC ninjs 3.1 JSON for wires and partners",
                    default=False),
    ), lambda spec: (spec.extension,))
"""Every backend by name: the built-ins, then those plugins add (entry point group `publish.backends`, naming a
BackendSpec; see publish.plugins). A plugin's spec loads when first looked up; its module when first used."""


def whole_collection(kind: str, collection: Collection, context: RenderContext, stamp: str,
                     make: Callable[[], bytes], libraries: tuple[str, ...] = ()) -> bytes:
    """A collection's whole output (`make()`), from the cache when it was made before from the same collection
    (its fields and every article's JSON form), theme and templates, options, images, date (`stamp`, what the
    output's dates come from) and code: a rebuild with no article changed writes the last build's bytes. An output
    whose making gave a warning is not kept, so every build says it.
    `libraries` names what the backend writes with beyond the cache's own list (python-docx for a DOCX)."""
    from publish import present
    from publish.build import cache

    if cache.root() is None:
        return make()
    theme_key = cache.theme_version(context.theme, present.builtin_templates_dir())
    key = collection_key(kind, collection, context, theme_key, stamp, libraries)
    found = cache.get("documents", key)
    if found is None:
        with cache.recording() as recorder:
            found = make()
        if not recorder.said:  # an output whose making warned is made again next time, and warns again
            cache.put("documents", key, found)
    return found


def collection_key(kind: str, collection: Collection, context: RenderContext, theme_key: str, stamp: str,
                   libraries: tuple[str, ...] = ()) -> str:
    """What a collection's output depends on (see whole_collection)."""
    from publish.build import cache
    from publish.model import image_sources

    fields = [f"{name}={getattr(collection, name)!r}" for name in Collection.__dataclass_fields__
              if name != "sections"]
    options = [f"{name}={getattr(context, name)!r}" for name in type(context).__dataclass_fields__
               if name not in ("theme", "resources")]
    images = [src for src in (collection.cover, collection.logo) if src]
    parts: list[str | bytes] = [kind, cache.code_version(), *cache.installed(libraries), theme_key, *fields,
                                *options, stamp]
    for section in collection.sections:
        parts.append(f"section={section.title}")
        for article in section.articles:
            parts.append(cache.article_form(article))
            images += image_sources(article.blocks)
    for src in images:
        found = context.resources.image(src)
        parts += [src, found.file_name, found.media_type, f"{found.width}x{found.height}", found.data]
    return cache.fingerprint(*parts)


def backends_for(names: list[str]) -> list[BackendSpec]:
    """The backends named, in the order given, refusing unknown names with the list of known ones."""
    specs = []
    for name in names:
        key = name.strip().lower()
        if key not in BACKENDS:
            raise FormatError(f"unknown output format {name!r}; known: {', '.join(BACKENDS)}")
        if BACKENDS[key] not in specs:
            specs.append(BACKENDS[key])
    if not specs:
        raise FormatError(f"no output format given; known: {', '.join(BACKENDS)}")
    return specs
