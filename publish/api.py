"""The public Python API: read an article, render it, build files, check outputs (the CLI is a layer over these).

Every function raises `PublishError` (with the file, line where known, and the valid choices) for a user's
mistake, as the command line prints it; anything else is a bug.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from publish.backends import BACKENDS, RenderContext, backends_for
from publish.build.jobs import BuildOptions, Written
from publish.build.jobs import build as _build
from publish.build.resources import Resources
from publish.errors import FormatError, PublishError
from publish.model import Document
from publish.present.theme import BASE_THEME, Theme, load_theme, theme_names
from publish.readers import READERS, Reading, Source, read_file, read_source
from publish.readers.collection import MANIFEST_EXTENSIONS
from publish.readers.fetch import is_url

if TYPE_CHECKING:
    from publish.checks.gate import CheckOptions, CheckReport, SourceWords

PathLike = str | os.PathLike[str]
"""A file or folder: a string or a path."""


def read(source: PathLike | bytes, format: str | None = None, *, name: str | None = None,
         track_changes: str = "accept") -> Reading:
    """Read one article into the model, with the reader's report (what it inferred, what it dropped).

    `source` is a file's path (a `str` is always a path, never the text itself), or the input's bytes. The
    reader is the one `format` names ("markdown", "scraped", "json", or a plugin's; see `publish formats`),
    else the one the file's extension selects. Bytes need `format`, or a `name` with an extension
    ("story.md"); `name` is also what error messages call the input (default "<bytes>"). `track_changes` says
    how a Word file's tracked changes are read: "accept" (the default), "reject", or "all" (kept, with its
    comments, as insertion, deletion and comment inlines: a review copy).
    """
    if isinstance(source, bytes | bytearray | memoryview):
        if format is None and (name is None or not Path(name).suffix):
            raise FormatError(f"cannot tell the format of bytes without a name; give format= (one of "
                              f"{', '.join(READERS)}) or a name with an extension, such as name='story.md'",
                              path=name)
        return read_source(Source(name or "<bytes>", bytes(source), track_changes=track_changes), format)
    path = Path(source)
    if path.suffix.lower() in MANIFEST_EXTENSIONS:
        raise FormatError("is a collection manifest; `read` reads one article (`build` renders a manifest)",
                          path=path)
    if name is None:
        return read_file(path, format, track_changes)
    loaded = Source.from_path(path)
    return read_source(Source(name, loaded.data, path, track_changes=track_changes), format)


def render(document: Document, format: str, *, theme: PathLike | Theme = BASE_THEME, base_dir: PathLike | None = None,
           allow_remote: bool = False, pdf_variant: str = "", page_size: str | None = None,
           templates: Sequence[PathLike] = (), article_break: bool = False) -> bytes:
    """Render an article (or a collection) in one format and return the file's bytes; nothing is written.

    Every format returns bytes: HTML as UTF-8, PDF, DOCX and EPUB as the file they are. `format` is a backend's
    name ("html", "pdf", "docx", "epub", or a plugin's). `theme` is a theme's name, a theme folder, or a
    `Theme` already loaded (`page_size` and `templates` then apply only to a name or folder). Images the
    document refers to are looked up in `base_dir` (the article's folder; default: the working folder) and
    the theme's folder, nowhere else; `allow_remote` lets the PDF renderer fetch http(s) resources.
    `pdf_variant` makes a PDF declare a conformance level ("pdf/a-3b", "pdf/ua-1"); `article_break` starts
    each article of a collection on a new page.
    """
    spec = backends_for([format])[0]
    if not isinstance(theme, Theme):
        theme = load_theme(str(theme), page_size=page_size, templates=tuple(Path(t) for t in templates))
    folder = Path(base_dir if base_dir is not None else Path.cwd()).resolve()
    context = RenderContext(theme=theme, resources=Resources(base_dir=folder, roots=(theme.folder,)),
                            allow_remote=allow_remote, article_break=article_break, pdf_variant=pdf_variant)
    data = spec.load().render(document, context)
    return data.encode("utf-8") if isinstance(data, str) else data


def build(inputs: PathLike | Iterable[PathLike], formats: str | Sequence[str] | None = None,
          out: PathLike | None = None, *, theme: PathLike | None = None, options: BuildOptions | None = None,
          progress: Callable[[Written], None] | None = None) -> list[Written]:
    """Read every input, render each in every format, and write the files into `out`; return what was written.

    `inputs` are article files and collection manifests (.yaml). `formats` is a list or a comma-separated
    string (default: html, pdf, docx, epub), `out` the output folder (default: out), `theme` a theme's name or
    folder (default: default). `options` holds every other setting (page size, templates, collection title,
    PDF variant...); the arguments given win over its fields. Every input is read before anything is written,
    and each file is written whole or not at all. `progress` is called after each file is written.
    """
    chosen = options or BuildOptions()
    if formats is not None:
        names = formats.split(",") if isinstance(formats, str) else list(formats)
        chosen = replace(chosen, formats=tuple(name.strip() for name in names if name.strip()))
    if out is not None:
        chosen = replace(chosen, out_dir=Path(out))
    if theme is not None:
        chosen = replace(chosen, theme=str(theme))
    listed = [inputs] if isinstance(inputs, str | os.PathLike) else list(inputs)
    paths: list[Path | str] = [p if isinstance(p, str) and is_url(p) else Path(p) for p in listed]
    if not paths:
        raise PublishError("no input given")
    return _build(paths, chosen, progress=progress or (lambda written: None))


def check(outputs: PathLike | Written | Iterable[PathLike | Written],
          source: PathLike | Document | Iterable[PathLike] | None = None, *, input_format: str | None = None,
          track_changes: str = "accept", options: CheckOptions | None = None) -> CheckReport:
    """Validate output files and compare their words with the article they were made from.

    `outputs` are files written by a build: paths, or the `Written` items `build` returns (which know their
    article, so `check(build(...))` checks words too). `source` is the article: a file (a manifest for a
    collection, read with `input_format` when given), a document already read, or several files, each output
    matched to the source of the same name (story.md made out/story.pdf); a Word source's words are its text
    with tracked changes accepted, or rejected with `track_changes="reject"`. `options` sets the PDF variant to
    require, strictness and the checks to skip. The report's `ok` says whether every file passed; a missing
    output, an unknown kind of file or a missing validator raises PublishError.
    """
    from publish.checks import gate as checks
    from publish.checks.validators import TOOLS

    options = options or checks.CheckOptions()
    unknown = sorted(options.skip - set(TOOLS))
    if unknown:
        raise PublishError(f"unknown check {unknown[0]!r} to skip; known: {', '.join(TOOLS)}")
    items = [outputs] if isinstance(outputs, str | os.PathLike | Written) else list(outputs)
    paths = [item.path if isinstance(item, Written) else Path(item) for item in items]
    by_output: dict[Path, Document | None] = {item.path: item.document for item in items if isinstance(item, Written)}
    words: dict[Path, SourceWords | None] = {}
    if isinstance(source, Document):
        by_output = dict.fromkeys(paths, source)
    elif source is not None:
        names = [source] if isinstance(source, str | os.PathLike) else list(source)
        sources = {Path(name).stem: _source_document(Path(name), input_format, track_changes) for name in names}
        if len(sources) == 1:  # one source: every output was made from it
            document, file_words = next(iter(sources.values()))
            by_output = {path: by_output.get(path) or document for path in paths}
            words = dict.fromkeys(paths, file_words)
        else:  # several: each output's source has its name
            for path in paths:
                if path.stem in sources:
                    document, words[path] = sources[path.stem]
                    by_output[path] = by_output.get(path) or document
    return checks.check_outputs(paths, by_output, options, words)


def _source_document(path: Path, input_format: str | None, track_changes: str = "accept",
                     ) -> tuple[Document, SourceWords | None]:
    """The document outputs were made from (an article, or a collection manifest with duplicates handled as in
    the build) and, for an article, its file's own words as written (so a reader's own losses show); a Word
    file's text with its tracked changes accepted, or rejected."""
    from publish.checks.gate import source_words
    from publish.readers.collection import from_feed, is_feed, is_manifest, load_manifest, without_duplicates

    if is_manifest(path):
        loaded = load_manifest(path, input_format, track_changes=track_changes)
        return (loaded if loaded.options.keep_duplicates else without_duplicates(loaded)).collection, None
    if is_feed(path, input_format):
        return without_duplicates(from_feed(path, input_format=input_format)).collection, None
    reading = read_file(path, input_format, track_changes)
    return reading.article, source_words(path, input_format, reading, track_changes)


@dataclass(frozen=True, slots=True)
class FormatInfo:
    """A reader or a backend, as `publish formats` lists it."""

    kind: str
    """"reader" (an input format) or "backend" (an output format)."""
    name: str
    """The name given to --from or --to (format= in `read` and `render`)."""
    extensions: tuple[str, ...]
    """The file extensions it reads, or the one it writes."""
    summary: str
    """One line about it."""
    package: str
    """The package it comes from: "publish" for a built-in, else the plugin's distribution."""


def list_formats() -> list[FormatInfo]:
    """Every reader, then every backend: the built-ins, then those plugins add (each plugin's spec is loaded,
    so a broken or conflicting plugin is reported here; no reader or backend module is imported)."""
    readers = [FormatInfo("reader", spec.name, spec.extensions, spec.summary, READERS.origin(spec.name))
               for spec in READERS.values()]
    backends = [FormatInfo("backend", spec.name, (spec.extension,), spec.summary, BACKENDS.origin(spec.name))
                for spec in BACKENDS.values()]
    return readers + backends


@dataclass(frozen=True, slots=True)
class ThemeInfo:
    """A theme a name selects, as `publish themes` lists it."""

    name: str
    """The name given to --theme (theme= in `render` and `build`)."""
    package: str
    """The package it comes from: "publish" for a built-in, else the plugin's distribution."""
    theme: Theme
    """The theme, loaded (its tokens, description and folder)."""


def list_themes() -> list[ThemeInfo]:
    """Every built-in and plugin theme, by name, each loaded (so a broken one is reported here)."""
    return [ThemeInfo(name, package, load_theme(name)) for name, package in theme_names().items()]
