"""The build: read every input, render each into the asked formats, and put all the files in place together."""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import logging
import os
import re
import tempfile
import time
from collections.abc import Callable, Container, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from publish.backends import BACKENDS, BackendSpec, RenderContext, backends_for
from publish.build import cache, processes, speedups
from publish.build.resources import Resources, without_remote_images
from publish.errors import InputError, PublishError
from publish.model import Article, Document, image_sources, limits
from publish.model.text import slug
from publish.present.theme import Theme, load_theme
from publish.readers import read_file, reader_for
from publish.readers.collection import (
    CollectionOptions,
    LoadedCollection,
    from_feed,
    from_inputs,
    is_feed,
    is_manifest,
    load_manifest,
    without_duplicates,
)
from publish.readers.feed import ManyArticles
from publish.readers.fetch import DEFAULT_TIMEOUT as FETCH_TIMEOUT
from publish.readers.fetch import FetchOptions, read_url, url_stem

log = logging.getLogger("publish")

DEFAULT_FORMATS = tuple(name for name in BACKENDS.builtin_names() if BACKENDS[name].default)
"""What a build writes when --to is not given: the built-in formats marked default (not md or ninjs, written
only when asked for)."""


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
    """Fetch http(s) inputs and the images pages refer to (else remote figures keep only their words)."""
    fetch_timeout: float = FETCH_TIMEOUT
    """Seconds one remote fetch may take (`--fetch-timeout`)."""
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
    pdf_parts: str = "auto"
    """A collection's PDF laid out in parts in parallel and stitched: "auto" (when large enough), "on", "off"."""
    update_fields: bool = False
    """Number a DOCX packet's contents by laying it out with LibreOffice, where installed (`--update-fields`)."""
    templates: tuple[Path, ...] = ()
    """Template folders searched before the theme's and the built-in templates (`--templates`)."""
    page_size: str | None = None
    """A page size replacing the theme's (`--page-size`); None keeps the theme's."""
    publisher: str | None = None
    """The publisher's name for the letterhead, replacing the theme's; None keeps it."""
    logo: Path | None = None
    """The publisher's logo for the letterhead, replacing the theme's; None keeps it."""
    timeout: float = processes.DEFAULT_TIMEOUT
    """Seconds one document's PDF may take to lay out before the build stops with an error (0: no limit)."""
    track_changes: str = "accept"
    """A Word input's tracked changes: accept, reject, or all (a review copy that shows them and its comments)."""
    strict: bool = False
    """Refuse to build an article whose embargo has not passed (`--strict`); without it the build warns."""

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
    source: Path | str
    """The input file (a manifest for a collection) or URL, named in errors."""
    document: Document
    """What to render."""
    resources: Resources
    """Where its images are found."""
    options: CollectionOptions
    """How a collection is rendered (defaults for a single article)."""
    files: tuple[Path, ...] = ()
    """The article files a manifest's collection was read from."""


def build(inputs: Sequence[Path | str], options: BuildOptions, progress: Callable[[Written], None] = lambda w: None,
          *, swept: frozenset[Path] = frozenset()) -> list[Written]:
    """Read all inputs first (a bad one stops the build before anything is written), render every output into a
    temporary file beside its target, and only when all are done rename them into place: a failure, a full disk
    or a signal leaves the earlier outputs as they were. The temporary files a killed earlier build left beside the
    targets are removed first (`remove_stale`), but for the folders in `swept`: a batch sweeps its output folder
    once, not once per input."""
    specs = backends_for(list(options.formats))
    speedups.turned_off()  # a bad switch is one line before anything runs
    cache.root()  # decided (and any warning given) once, before anything is read
    with processes.stop_on_signals(), cache.deferred():  # the entries it stores are written as one, at its end
        written = _build(inputs, options, specs, progress, swept)
    cache.prune_now_and_then()
    return written


def _build(inputs: Sequence[Path | str], options: BuildOptions, specs: list[BackendSpec],
           progress: Callable[[Written], None], swept: frozenset[Path] = frozenset()) -> list[Written]:
    theme = options.load_theme()
    manifest = _pdf_manifest(inputs, options, specs)
    prestarted = manifest is not None and _pdf_backend().prestart_if_expected(manifest, _layout_hint(options))
    try:
        return _build_jobs(inputs, options, specs, progress, theme, manifest, swept)
    finally:
        if prestarted:
            _pdf_backend().stop_prestarted()


def _pdf_manifest(inputs: Sequence[Path | str], options: BuildOptions, specs: list[BackendSpec]) -> Path | None:
    """The manifest this build renders, in parts, into a PDF (and other formats); None for any other build."""
    if (len(inputs) != 1 or not isinstance(inputs[0], Path) or options.collection is not None
            or options.pdf_parts == "off" or "pdf" not in {spec.name for spec in specs} or cache.root() is None
            or options.allow_remote or not is_manifest(inputs[0])):
        return None
    return inputs[0]


def _layout_hint(options: BuildOptions) -> str:
    return f"{options.article_break}|{options.pdf_variant}|{options.pdf_parts}"


def _pdf_backend() -> Any:
    """The PDF backend's module, imported when a build needs it."""
    from publish.backends import pdf

    return pdf


def _build_jobs(inputs: Sequence[Path | str], options: BuildOptions, specs: list[BackendSpec],
                progress: Callable[[Written], None], theme: Theme, manifest: Path | None,
                swept: frozenset[Path] = frozenset()) -> list[Written]:
    jobs = _jobs(inputs, options, theme.folder)
    _check_embargoes(jobs, strict=options.strict)
    _check_distinct_stems(jobs)
    plans = [(job, _targets(job, specs, options.out_dir)) for job in jobs]
    _check_targets([output.path for _, targets in plans for output in targets])
    _check_not_inputs([output.path for _, targets in plans for output in targets], inputs)
    staged: list[_Staged] = []
    new_folders = _missing_folders([output.path for _, targets in plans for output in targets])
    _remove_stale([output.path for _, targets in plans for output in targets], swept)
    done = False
    try:
        for job, targets in plans:
            context = RenderContext(theme=theme, resources=job.resources, allow_remote=options.allow_remote,
                                    article_break=job.options.article_break, pdf_variant=options.pdf_variant,
                                    pdf_parts=options.pdf_parts, update_fields=options.update_fields)
            if "pdf" in {spec.name for spec in specs}:
                for warning in limits.layout_warnings(job.document, options.timeout, _shape):
                    log.warning("%s: %s", job.source, warning)
            try:
                rendered = [render_timed(output.backend, output.document, context, str(job.source), options.timeout)
                            for output in targets]
            except PublishError as exc:
                if exc.path is None:
                    exc.path = str(job.source)
                raise
            for output, (data, seconds) in zip(targets, rendered, strict=True):
                staged.append(_stage(output.path, data, seconds, output.document))
            if manifest is not None and job.source == manifest:  # for the next build's guess
                _pdf_backend().remember_inputs(manifest, _layout_hint(options), job.files, job.document, context)
        with processes.signals_held():  # all rendered and stored: now put them all in place, uninterrupted
            for item in staged:
                assert item.temporary is not None
                try:
                    os.replace(item.temporary, item.target)
                except OSError as exc:
                    raise PublishError(f"cannot put the new file in place: {exc.strerror}", path=item.target) from None
                item.temporary = None
        done = True
    finally:
        for item in staged:
            if item.temporary is not None:
                item.temporary.unlink(missing_ok=True)
        if not done:
            for folder in new_folders:  # folders made for this build's files, left empty by its failure
                with contextlib.suppress(OSError):
                    folder.rmdir()
    for item in staged:
        progress(Written(item.target, item.size, item.seconds, item.document))
    return [Written(item.target, item.size, item.seconds, item.document) for item in staged]


@dataclass(frozen=True, slots=True)
class _Output:
    """One file a build writes."""

    path: Path
    """Where it goes."""
    backend: str
    """The backend that renders it."""
    document: Document
    """What it is rendered from."""


def _targets(job: _Job, specs: list[BackendSpec], out_dir: Path) -> list[_Output]:
    """Every file a job writes and what each is rendered from: one per format, unless the backend splits it (the
    DOCX backend's `docx_per_article`: one file per article of a collection)."""
    return [_Output(out_dir / name, spec.name, part) for spec in specs
            for name, part in spec.outputs(job.document, job.stem, job.options)]


def render_timed(backend: str, document: Document, context: RenderContext, source: str, timeout: float,
                 ) -> tuple[bytes | str, float]:
    """One output and how long it took; a PDF within the time limit, with WeasyPrint's log lines as warnings
    naming `source`."""
    started = time.perf_counter()
    module = BACKENDS[backend].load()
    if backend == "pdf":
        with _renderer_lines_as_warnings(source), processes.time_limit(timeout):
            data = module.render(document, context)
    else:
        data = module.render(document, context)
    return data, time.perf_counter() - started


class _AsWarning(logging.Filter):
    """Makes WeasyPrint's own log lines warnings that name the input, each said once: on a build that succeeds
    they are advice (a link to a missing anchor, a CSS property it ignores), never an error."""

    def __init__(self, source: str) -> None:
        super().__init__()
        self.source = source
        self.said: set[str] = set()

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if message in self.said:
            return False
        self.said.add(message)
        record.msg = f"{self.source}: {message}"
        record.args = None
        record.levelno, record.levelname = logging.WARNING, "WARNING"
        return True


@contextlib.contextmanager
def _renderer_lines_as_warnings(source: str) -> Iterator[None]:
    logger = logging.getLogger("weasyprint")
    line_filter = _AsWarning(source)
    logger.addFilter(line_filter)
    try:
        yield
    finally:
        logger.removeFilter(line_filter)


@dataclass(slots=True)
class _Staged:
    """One output rendered and stored in a temporary file beside its target, waiting to be renamed into place."""

    target: Path
    temporary: Path | None
    size: int
    seconds: float
    document: Document


def _stage(target: Path, data: bytes | str, seconds: float, document: Document) -> _Staged:
    """Store an output in a hidden temporary file in its target's folder (so the rename is atomic)."""
    payload = data.encode("utf-8") if isinstance(data, str) else data
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.{os.getpid()}.", suffix=".tmp")
    except OSError as exc:
        raise PublishError(f"cannot write here: {exc.strerror}", path=target.parent) from None
    temporary = Path(name)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(payload)
        os.chmod(temporary, 0o644)
    except OSError as exc:
        temporary.unlink(missing_ok=True)
        raise PublishError(f"cannot write: {exc.strerror}; the earlier outputs are left as they were",
                           path=target) from None
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return _Staged(target, temporary, len(payload), seconds, document)


def _remove_stale(targets: list[Path], swept: frozenset[Path]) -> None:
    """`remove_stale` for the targets' folders, each listed once, but for those already `swept`."""
    folders: dict[Path, set[str]] = {}
    for target in targets:
        if target.parent not in swept:
            folders.setdefault(target.parent, set()).add(target.name)
    for folder, names in folders.items():
        remove_stale(folder, names)


def remove_stale(folder: Path, names: Container[str] | None = None) -> None:
    """Remove the temporary files an earlier build left in `folder` when it was killed (SIGKILL, a power cut):
    ".NAME.PID.XXXX.tmp" (as `_stage` names them) whose process is gone, for the targets `names` (any target's
    when None). Another build's, still running, are left alone. One listing of the folder, however many targets:
    a listing per target and per input made a batch's time grow with the square of its inputs (3,000 outputs in
    one folder: 2 ms a listing)."""
    try:
        with os.scandir(folder) as entries:
            found = [(entry.path, match) for entry in entries if (match := _TEMPORARY.fullmatch(entry.name))]
    except OSError:  # no folder yet: nothing left there
        return
    for path, match in found:
        if (names is None or match["target"] in names) and not _alive(int(match["pid"])):
            with contextlib.suppress(OSError):
                os.unlink(path)


_TEMPORARY = re.compile(r"\.(?P<target>.+)\.(?P<pid>[0-9]+)\.[^.]+\.tmp")
"""A temporary output's name: `tempfile.mkstemp(prefix=".NAME.PID.", suffix=".tmp")` (its random part has no dot)."""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # someone else's process: alive
        return True
    return True


def _missing_folders(targets: list[Path]) -> list[Path]:
    """The folders the targets need that do not exist yet, deepest first."""
    missing: set[Path] = set()
    for target in targets:
        for folder in (target.parent, *target.parent.parents):
            if folder.exists():
                break
            missing.add(folder)
    return sorted(missing, key=lambda folder: len(folder.parts), reverse=True)


def _check_targets(targets: list[Path]) -> None:
    """Refuse, before anything is rendered, an output name taken by a folder or another non-file."""
    for target in targets:
        for folder in (target.parent, target.parent.parent):
            if folder.exists() and not folder.is_dir():
                raise PublishError("is a file, not a folder: outputs cannot be written in it", path=folder)
        if target.is_dir():
            raise PublishError("is a folder, where publish would write an output file of this name; move or "
                               "rename the folder, or give another --out", path=target)
        if target.exists() and not target.is_file():
            raise PublishError("is not a regular file (a device, pipe or socket), where publish would write an "
                               "output file; remove it, or give another --out", path=target)


def _check_not_inputs(targets: list[Path], inputs: Sequence[Path | str]) -> None:
    """Refuse an output that would replace one of the inputs (`--to md --out` the article's own folder)."""
    sources = {path.resolve() for path in inputs if isinstance(path, Path)}
    for target in targets:
        if target.resolve() in sources:
            raise PublishError("is an input, and publish would write an output over it; give another --out",
                               path=target)


def _jobs(inputs: Sequence[Path | str], options: BuildOptions, theme_folder: Path) -> list[_Job]:
    """Read every input: articles, manifests, or (with --collection) all inputs as one collection."""
    remote = FetchOptions(allow_remote=options.allow_remote, timeout=options.fetch_timeout)
    if options.collection is not None:  # files and feeds; URLs of feeds or pages, fetched with --allow-remote
        return [_collection_job(from_inputs(options.collection, inputs, options.input_format, remote=remote,
                                            track_changes=options.track_changes), inputs[0], options, theme_folder)]
    jobs = []
    for path in inputs:
        if isinstance(path, str):  # an http(s) URL (the command line keeps URLs as text)
            try:
                jobs.append(_remote_job(path, options, remote, theme_folder))
            except ManyArticles as many:  # the URL is a feed: a collection of its items
                jobs.append(_collection_job(from_feed(many.source, input_format=options.input_format, remote=remote),
                                            path, options, theme_folder))
        elif is_manifest(path):
            loaded = load_manifest(path, options.input_format, remote=remote, track_changes=options.track_changes)
            jobs.append(_collection_job(loaded, path, options, theme_folder))
        elif is_feed(path, options.input_format):  # a feed is many articles: a collection titled by the feed
            jobs.append(_collection_job(from_feed(path, input_format=options.input_format, remote=remote), path,
                                        options, theme_folder))
        else:
            article = _capped(read_file(path, options.input_format, options.track_changes).article, path)
            if reader_for(path, options.input_format).name in WEB_READERS and not options.allow_remote:
                article = _offline(article, str(path))
            resources = Resources(base_dir=path.parent.resolve(), roots=(theme_folder,), remote=remote)
            _check_images([(path, article)], resources)
            jobs.append(_Job(path.stem, path, article, resources, CollectionOptions()))
    return jobs


def _check_embargoes(jobs: Sequence[_Job], *, strict: bool, now: dt.datetime | None = None) -> None:
    """Warn, once per article, when an embargo has not passed yet; with `strict`, refuse the build before anything
    is written. Always against the real time now: SOURCE_DATE_EPOCH dates the outputs, not the release."""
    moment = now or dt.datetime.now(dt.UTC)
    for job in jobs:
        many = len(job.document.articles) > 1
        for number, article in enumerate(job.document.articles, 1):
            embargo = article.meta.embargo
            if embargo is None or embargo <= moment:
                continue
            which = f"article {number} “{article.meta.headline}” is" if many else "the article is"
            message = f"{which} under embargo until {embargo.isoformat()} ({_time_left(embargo - moment)} from now)"
            if strict:
                raise InputError(f"{message}; --strict builds nothing under embargo", path=job.source)
            log.warning("%s: %s: hold every output until then", job.source, message)


def _time_left(delta: dt.timedelta) -> str:
    """A rough span for a message: "3 days", "5 hours", "12 minutes"."""
    minutes = int(delta.total_seconds() // 60)
    count, unit = (minutes // 1440, "day") if minutes >= 1440 else (minutes // 60, "hour") if minutes >= 60 \
        else (max(1, minutes), "minute")
    return f"{count} {unit}{'' if count == 1 else 's'}"


WEB_READERS = ("html", "json", "ninjs")
"""Readers of pages made for the web and of wire items (ninjs, read through the `.json` reader), whose images are
usually on the publisher's site: without --allow-remote such a figure keeps its words (alt text, caption) and the
build warns, rather than refusing the page."""


def _remote_job(url: str, options: BuildOptions, remote: FetchOptions, theme_folder: Path) -> _Job:
    """An article fetched from an http(s) URL (refused without --allow-remote); its images are fetched likewise."""
    article = read_url(url, options.input_format, remote).article
    resources = Resources(base_dir=Path.cwd().resolve(), roots=(theme_folder,), remote=remote)
    _check_images([(url, article)], resources)
    return _Job(slug(url_stem(url) or article.meta.headline), url, article, resources, CollectionOptions())


def _offline(article: Article, name: str) -> Article:
    """The article with its http(s) figures reduced to their words, with one warning naming them."""
    article, left = without_remote_images(article)
    if left:
        more = f" and {len(left) - 1} more" if len(left) > 1 else ""
        log.warning("%s: image %s%s not fetched (add --allow-remote to fetch images from the web); the alt text and "
                    "caption are kept as text", name, left[0], more)
    return article


def _collection_job(loaded: LoadedCollection, source: Path | str, options: BuildOptions, theme_folder: Path,
                    ) -> _Job:
    chosen = loaded.options.merged(options.article_break, options.docx_per_article, options.keep_duplicates)
    for duplicate in loaded.duplicates:
        action = "kept both (--keep-duplicates)" if chosen.keep_duplicates else \
            f"left it out and kept {duplicate.kept} (--keep-duplicates keeps both)"
        log.warning("%s is the same story as %s (%.0f%% alike); %s", duplicate.duplicate, duplicate.kept,
                    duplicate.similarity * 100, action)
    if not chosen.keep_duplicates:
        loaded = without_duplicates(loaded)
    files = iter(loaded.files)
    sections = tuple(dataclasses.replace(section, articles=tuple(_capped(article, next(files))
                                                                 for article in section.articles))
                     for section in loaded.collection.sections)
    loaded = dataclasses.replace(loaded, collection=dataclasses.replace(loaded.collection, sections=sections))
    resources = Resources(base_dir=loaded.folder, roots=(theme_folder, *loaded.article_folders),
                          remote=FetchOptions(allow_remote=options.allow_remote, timeout=options.fetch_timeout))
    _check_images(list(zip(loaded.files, loaded.collection.articles, strict=True)), resources)
    return _Job(loaded.stem, source, loaded.collection, resources, chosen, loaded.files)


def _capped(article: Article, path: Path | str) -> Article:
    """The article with the inline runs that make layout explode set as plain text, each change warned about."""
    article, warnings = limits.capped(article, _shape(article))
    for warning in warnings:
        log.warning("%s: %s", path, warning)
    return article


def _shape(article: Article) -> limits.Shape:
    """The article's shape (publish.model.limits): the one kept with its reading, else counted now."""
    kept = cache.with_reading(article, _KEPT_SHAPE)
    known = limits.Shape.from_text(kept) if kept is not None else None
    return known if known is not None else limits.shape(article)


_KEPT_SHAPE = "limits-shape-1"
"""The name each reading's shape is kept under (publish.build.cache.keep_with_readings): counted by whichever
process reads the article, so a rebuild counts only the articles that changed."""
cache.keep_with_readings(_KEPT_SHAPE, lambda article: limits.shape(article).text())


def _check_images(articles: list[tuple[Path | str, Article]], resources: Resources) -> None:
    """Load every image (figures and local inline images) now, so a bad one is reported with the article file
    that refers to it."""
    for path, article in articles:
        for src in image_sources(article.blocks):
            try:
                resources.image(src)
            except PublishError as exc:
                exc.path = str(path)
                raise


def _check_distinct_stems(jobs: list[_Job]) -> None:
    seen: dict[str, Path | str] = {}
    for job in jobs:
        if job.stem in seen and seen[job.stem] != job.source:
            raise InputError(f"would write the same output files as {seen[job.stem]}; rename one of them",
                             path=job.source)
        seen[job.stem] = job.source
