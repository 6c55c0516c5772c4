"""The build: read every input, render each into the asked formats, and write each file atomically."""

from __future__ import annotations

import logging
import multiprocessing as mp
import os
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from publish.backends import BACKENDS, BackendSpec, RenderContext, backends_for
from publish.collection import (
    CollectionOptions,
    LoadedCollection,
    from_inputs,
    is_manifest,
    load_manifest,
    without_duplicates,
)
from publish.errors import InputError, PublishError
from publish.model import Article, Collection, Document, Figure, iter_blocks
from publish.readers import read_file
from publish.resources import Resources
from publish.text import slug
from publish.theme import Theme, load_theme

log = logging.getLogger("publish")

DEFAULT_FORMATS = BACKENDS.builtin_names()


@dataclass(frozen=True, slots=True)
class BuildOptions:
    """What to build and where."""

    formats: tuple[str, ...] = DEFAULT_FORMATS
    """Output format names, in the order they are written."""
    out_dir: Path = Path("out")
    """The folder outputs are written to (created if missing)."""
    input_format: str | None = None
    """A reader name that overrides the inputs' extensions."""
    theme: str = "default"
    """A built-in theme name or a theme folder."""
    allow_remote: bool = False
    """Let the PDF renderer fetch http(s) resources."""
    collection: str | None = None
    """A title: render all inputs as one collection of that title (`--collection`)."""
    article_break: bool | None = None
    """Start each article of a collection on a new page; None leaves it to the manifest."""
    docx_per_article: bool | None = None
    """Write a collection's DOCX as one file per article; None leaves it to the manifest."""
    keep_duplicates: bool | None = None
    """Keep both copies of a story found twice in a collection; None leaves it to the manifest."""
    pdf_variant: str = ""
    """A PDF conformance level to declare ("pdf/a-3b", "pdf/ua-1"), or "" for a plain PDF."""
    templates: tuple[Path, ...] = ()
    """Template folders searched before the theme's and the built-in templates (`--templates`)."""
    page_size: str | None = None
    """A page size replacing the theme's (`--page-size`); None keeps the theme's."""
    publisher: str | None = None
    """The publisher's name for the letterhead, replacing the theme's; None keeps it."""
    logo: Path | None = None
    """The publisher's logo for the letterhead, replacing the theme's; None keeps it."""
    track_changes: str = "accept"
    """A Word input's tracked changes: accept, reject, or all (a review copy that shows them and its comments)."""

    def load_theme(self) -> Theme:
        """The theme, with these options' page size, template folders, publisher and logo applied."""
        return load_theme(self.theme, page_size=self.page_size, templates=self.templates, publisher=self.publisher,
                          logo=self.logo)


@dataclass(frozen=True, slots=True)
class Written:
    """One output file written."""

    path: Path
    """Where it is."""
    size: int
    """Its size in bytes."""
    seconds: float
    """How long rendering it took."""
    document: Document
    """What it was rendered from (an article, or a collection), for checking its words."""


@dataclass(frozen=True, slots=True)
class _Job:
    """One document to render: an article, or a collection of them."""

    stem: str
    """The base name of its output files."""
    source: Path
    """The input file (a manifest for a collection), named in errors."""
    document: Document
    """What to render."""
    resources: Resources
    """Where its images are found."""
    options: CollectionOptions
    """How a collection is rendered (defaults for a single article)."""


def build(inputs: list[Path], options: BuildOptions, progress: Callable[[Written], None] = lambda w: None,
          ) -> list[Written]:
    """Read all inputs first (a bad one stops the build before anything is written), then render and write."""
    specs = backends_for(list(options.formats))
    worker = _PdfWorker.start(specs)
    try:
        written = _build(inputs, options, specs, worker, progress)
    except BaseException:
        if worker is not None:
            worker.pool.shutdown(wait=False, cancel_futures=True)
        raise
    if worker is not None:
        worker.pool.shutdown()
    return written


def _build(inputs: list[Path], options: BuildOptions, specs: list[BackendSpec], worker: _PdfWorker | None,
           progress: Callable[[Written], None]) -> list[Written]:
    theme = options.load_theme()
    jobs = _jobs(inputs, options, theme.folder)
    _check_distinct_stems(jobs)
    written: list[Written] = []
    for job in jobs:
        context = RenderContext(theme=theme, resources=job.resources, allow_remote=options.allow_remote,
                                article_break=job.options.article_break, pdf_variant=options.pdf_variant)
        split = job.options.docx_per_article and isinstance(job.document, Collection)
        together = [spec for spec in specs if not (split and spec.name == "docx")]
        try:
            rendered = _render_formats(together, job.document, context, worker) if together else []
            separate = _render_articles(job.document, context, "docx") if split and len(together) < len(specs) \
                else []
        except PublishError as exc:
            if exc.path is None:
                exc.path = str(job.source)
            raise
        outputs = [(options.out_dir / f"{job.stem}{spec.extension}", data, seconds, job.document)
                   for spec, (data, seconds) in zip(together, rendered, strict=True)]
        outputs += [(options.out_dir / f"{job.stem}-docx" / name, data, seconds, article)
                    for name, data, seconds, article in separate]
        for target, data, seconds, document in outputs:  # all rendered: now write them all
            written.append(Written(target, write_atomic(target, data), seconds, document))
            progress(written[-1])
    return written


def _jobs(inputs: list[Path], options: BuildOptions, theme_folder: Path) -> list[_Job]:
    """Read every input: articles, manifests, or (with --collection) all inputs as one collection."""
    if options.collection is not None:
        return [_collection_job(from_inputs(options.collection, inputs, options.input_format),
                                inputs[0], options, theme_folder)]
    jobs = []
    for path in inputs:
        if is_manifest(path):
            jobs.append(_collection_job(load_manifest(path, options.input_format), path, options, theme_folder))
        else:
            article = read_file(path, options.input_format, options.track_changes).article
            resources = Resources(base_dir=path.parent.resolve(), roots=(theme_folder,))
            _check_images([(path, article)], resources)
            jobs.append(_Job(path.stem, path, article, resources, CollectionOptions()))
    return jobs


def _collection_job(loaded: LoadedCollection, source: Path, options: BuildOptions, theme_folder: Path) -> _Job:
    chosen = loaded.options.merged(options.article_break, options.docx_per_article, options.keep_duplicates)
    for duplicate in loaded.duplicates:
        action = "kept both (--keep-duplicates)" if chosen.keep_duplicates else \
            f"left it out and kept {duplicate.kept} (--keep-duplicates keeps both)"
        log.warning("%s is the same story as %s (%.0f%% alike); %s", duplicate.duplicate, duplicate.kept,
                    duplicate.similarity * 100, action)
    if not chosen.keep_duplicates:
        loaded = without_duplicates(loaded)
    resources = Resources(base_dir=loaded.folder, roots=(theme_folder, *loaded.article_folders))
    _check_images(list(zip(loaded.files, loaded.collection.articles, strict=True)), resources)
    return _Job(loaded.stem, source, loaded.collection, resources, chosen)


def _check_images(articles: list[tuple[Path, Article]], resources: Resources) -> None:
    """Load every figure's image now, so a bad one is reported with the article file that refers to it."""
    for path, article in articles:
        for block in iter_blocks(article.blocks):
            if isinstance(block, Figure):
                try:
                    resources.image(block.src)
                except PublishError as exc:
                    exc.path = str(path)
                    raise


def _render_articles(document: Document, context: RenderContext, backend: str,
                     ) -> list[tuple[str, bytes | str, float, Article]]:
    """Each article of a collection as a file of its own: "01-headline-words.docx" and so on, in reading order."""
    assert isinstance(document, Collection)
    spec = BACKENDS[backend]
    out = []
    for number, article in enumerate(document.articles, 1):
        data, seconds = _render_timed(spec, article, context)
        out.append((f"{number:02d}-{slug(article.meta.headline)}{spec.extension}", data, seconds, article))
    return out


@dataclass(frozen=True, slots=True)
class _PdfWorker:
    """A second process for the PDF, by far the slowest format (WeasyPrint's import and layout).

    It starts with the build, so WeasyPrint loads while this process reads the inputs; then the PDF of each
    document renders there while this process renders the other formats. Used when a PDF is asked for with other
    formats, there is a second core, and processes can fork.
    """

    pool: ProcessPoolExecutor
    """One forked worker process, kept for the whole build."""

    @classmethod
    def start(cls, specs: list[BackendSpec]) -> _PdfWorker | None:
        if "pdf" not in {spec.name for spec in specs} or len(specs) == 1 or (os.cpu_count() or 1) < 2 \
                or "fork" not in mp.get_all_start_methods():
            return None
        pool = ProcessPoolExecutor(max_workers=1, mp_context=mp.get_context("fork"))
        pool.submit(_load_backend, BACKENDS["pdf"])
        return cls(pool)


def _load_backend(spec: BackendSpec) -> None:
    spec.load()


def _render_formats(specs: list[BackendSpec], document: Document, context: RenderContext,
                    worker: _PdfWorker | None = None) -> list[tuple[bytes | str, float]]:
    """Every format's output and render time, in the order of `specs`; the PDF in the worker when there is one."""
    slow = next((spec for spec in specs if spec.name == "pdf"), None)
    if worker is None or slow is None or len(specs) == 1:
        return [_render_timed(spec, document, context) for spec in specs]
    pdf = worker.pool.submit(_render_timed, slow, document, context)
    others = {spec.name: _render_timed(spec, document, context) for spec in specs if spec is not slow}
    others[slow.name] = pdf.result()
    return [others[spec.name] for spec in specs]


def _render_timed(spec: BackendSpec, document: Document, context: RenderContext) -> tuple[bytes | str, float]:
    started = time.perf_counter()
    data = spec.load().render(document, context)
    return data, time.perf_counter() - started


def write_atomic(target: Path, data: bytes | str) -> int:
    """Write through a temporary file in the same folder and rename it into place; return the size in bytes."""
    payload = data.encode("utf-8") if isinstance(data, str) else data
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    except OSError as exc:
        raise PublishError(f"cannot write here: {exc.strerror}", path=target.parent) from None
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(payload)
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return len(payload)


def _check_distinct_stems(jobs: list[_Job]) -> None:
    seen: dict[str, Path] = {}
    for job in jobs:
        if job.stem in seen and seen[job.stem] != job.source:
            raise InputError(f"would write the same output files as {seen[job.stem]}; rename one of them",
                             path=job.source)
        seen[job.stem] = job.source
