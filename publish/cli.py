"""The command line: `publish build`, `serve`, `check`, `inspect`, `formats`, `themes`, `cache`; user errors print
one line and exit non-zero. Each command parses its arguments, calls the public API (publish.api) and prints the
result."""

from __future__ import annotations

import argparse
import atexit
import contextlib
import json
import logging
import os
import sys
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from publish import __version__, api
from publish.backends import BACKENDS
from publish.build import cache, processes
from publish.build.config import CONFIG_NAME, SCHEDULER_ENV, load_config
from publish.build.jobs import DEFAULT_FORMATS, BuildOptions, Written
from publish.build.processes import DEFAULT_TIMEOUT
from publish.checks.conformance import PDF_VARIANTS
from publish.errors import PublishError
from publish.model import jsonform
from publish.present.theme import BASE_THEME, PAGE_SIZES_MM, load_theme, page_size_name
from publish.readers import READERS, TRACK_CHANGES, Dropped, Inferred
from publish.readers.fetch import DEFAULT_TIMEOUT as FETCH_TIMEOUT
from publish.readers.fetch import is_url

if TYPE_CHECKING:
    from publish.checks.gate import CheckReport


def run() -> NoReturn:
    """The `publish` command: `main`, then the process ends at once. What a normal exit does for others is done (the
    exit handlers run: multiprocessing's, logging's, temporary folders'; the output streams are flushed), but not
    Python's teardown of every object the run made, which takes a few hundredths of a second after a large build
    (pikepdf's documents, WeasyPrint's and lxml's trees) and changes nothing outside the process. A run that leaves
    other threads behind (none does) exits as usual, after waiting for them; so does one under a profiler, a
    debugger or a coverage tracer, which may write what it found after the program ends (`python -m cProfile`)."""
    processes.end_at_once()
    code = main()
    if threading.active_count() > 1 or sys.getprofile() is not None or sys.gettrace() is not None:
        sys.exit(code)
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # a closed pipe (`publish ... | head`) or stream
            stream.flush()
    os._exit(code)


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the exit code (0 done, 1 a user error, 2 a usage error)."""
    restore = _configure_logging()
    try:
        args = _parser().parse_args(argv)
        with cache.turned_off() if getattr(args, "no_cache", False) else contextlib.nullcontext():
            list(READERS), list(BACKENDS)  # every plugin format's name: a clash is one line, whatever the command
            return int(args.run(args))
    except PublishError as exc:
        print(f"publish: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("publish: interrupted", file=sys.stderr)
        return 130
    finally:
        restore()


def _build(args: argparse.Namespace) -> int:
    options = BuildOptions(
        **_project_options(args),
        input_format=args.input_format,
        allow_remote=args.allow_remote,
        fetch_timeout=args.fetch_timeout,
        collection=args.collection,
        article_break=args.article_break,
        docx_per_article=args.docx_per_article,
        keep_duplicates=args.keep_duplicates,
        pdf_variant=args.pdf_variant,
        pdf_parts=args.pdf_parts,
        update_fields=args.update_fields,
        track_changes=args.track_changes,
        strict=args.strict,
    )
    inputs = [name if is_url(name) else Path(name) for name in args.inputs]  # a Path would fold a URL's "//"
    scheduler = args.scheduler if args.scheduler is not None else os.environ.get(SCHEDULER_ENV, "").strip()
    with cache.turned_off() if args.no_cache else contextlib.nullcontext():
        if scheduler or args.batch or args.jobs:
            if args.collection is not None:
                raise PublishError("--collection renders all inputs as one document; it cannot be built as a "
                                   "batch (--batch, -j, --scheduler)")
            written, failed = _batch(args, options, scheduler)
        else:
            written, failed = api.build(inputs, options=options, progress=_progress), False
    if not args.check:
        return 1 if failed else 0
    from publish.checks.gate import FORMATS, CheckOptions

    checkable = [w for w in written if w.path.suffix.lower() in FORMATS]
    for w in written:
        if w not in checkable:  # a plugin's format: publish has no checks for it
            logging.getLogger("publish").warning("%s: not checked: publish checks %s files", w.path,
                                                 ", ".join(FORMATS))
    if not checkable:
        return 1 if failed else 0
    sources = args.inputs if args.collection is None else None  # each output's own file: its words, as written
    checked = _report(api.check(checkable, sources, input_format=args.input_format,
                                options=CheckOptions(pdf_variant=args.pdf_variant)), as_json=False)
    return 1 if failed else checked


def _batch(args: argparse.Namespace, options: BuildOptions, scheduler: str) -> tuple[list[Written], bool]:
    """Each input built on its own, in a process pool or on a Dask cluster; errors reported, the rest built."""
    from publish.build.batch import BatchOptions, Display, build_many

    batch = BatchOptions(jobs=args.jobs or 0, scheduler=scheduler, ship=args.ship, keep_documents=args.check,
                         use_cache=not args.no_cache)
    with Display(len(args.inputs), show_written=_progress) as display:
        report = build_many(args.inputs, options, batch, display)
    print(f"publish: {'error: ' if report.failed else ''}{report.summary()}", file=sys.stderr)
    return report.written, bool(report.failed)


def _cache(args: argparse.Namespace) -> int:
    if args.action == "clear":
        print(f"removed {cache.clear()} cache entries", file=sys.stderr)
        return 0
    found = cache.info()
    if found.folder is None:
        print("the cache is off or unusable (see PUBLISH_CACHE_DIR)")
        return 0
    print(f"folder: {found.folder}")
    for kind, (number, size) in sorted(found.entries.items()):
        print(f"{kind}: {number} entries, {_size(size)}")
    print(f"size cap of per-article entries: {_size(found.cap)} ({cache.CAP_ENV})")
    return 0


def _serve(args: argparse.Namespace) -> int:
    from publish.serve import ServeOptions, serve

    args.to, args.out, args.timeout = None, None, None
    options = BuildOptions(**{**_project_options(args), "formats": DEFAULT_FORMATS},
                           input_format=args.input_format, allow_remote=args.allow_remote)
    return serve(Path(args.input), options, ServeOptions(host=args.host, port=args.port, open_browser=args.open,
                                                         run_checks=args.checks))


def _check(args: argparse.Namespace) -> int:
    from publish.checks.gate import CheckOptions
    from publish.checks.validators import TOOLS

    skip = frozenset(name.strip() for name in (args.skip or "").split(",") if name.strip())
    unknown = sorted(skip - set(TOOLS))
    if unknown:
        raise PublishError(f"unknown check {unknown[0]!r} for --skip; known: {', '.join(TOOLS)}")
    report = api.check(args.outputs, source=args.source, input_format=args.input_format,
                       track_changes=args.track_changes,
                       options=CheckOptions(pdf_variant=args.pdf_variant, strict=args.strict, skip=skip))
    return _report(report, as_json=args.json)


def _review(args: argparse.Namespace) -> int:
    from publish.checks import review

    path = Path(args.input)
    edits = review.review(path)
    if args.json:
        print(json.dumps(review.as_json(edits), ensure_ascii=False, indent=2))
    else:
        print("\n".join(review.lines(path, edits)) if edits else f"{path}: no tracked changes, comments or edits")
    return 0


def _report(report: CheckReport, *, as_json: bool) -> int:
    if as_json:
        print(json.dumps(report.as_json(), ensure_ascii=False, indent=2))
    else:
        print("\n".join(report.lines()))
    if report.ok:
        return 0
    failed = sum(1 for file in report.files if file.failed(report.strict))
    print(f"publish: error: {failed} of {len(report.files)} output{'' if len(report.files) == 1 else 's'} "
          "failed the checks", file=sys.stderr)
    return 1


def _project_options(args: argparse.Namespace) -> dict[str, Any]:
    """Formats, output folder, theme, templates, page size, publisher, logo and timeout: each from its flag when given,
    else from publish.toml (--config, or the working folder's), else the default."""
    config = load_config(Path(args.config) if args.config else None)
    formats = tuple(f for f in args.to.split(",") if f.strip()) if args.to else config.formats or DEFAULT_FORMATS
    return {
        "formats": formats,
        "out_dir": Path(args.out) if args.out else config.out or Path("out"),
        "theme": args.theme or config.theme or BASE_THEME,
        "templates": tuple(Path(t) for t in args.templates) if args.templates else config.templates,
        "page_size": args.page_size or config.page_size,
        "publisher": config.publisher,
        "logo": config.logo,
        "timeout": next(t for t in (args.timeout, config.timeout, DEFAULT_TIMEOUT) if t is not None),
    }


def _themes(args: argparse.Namespace) -> int:
    """List the built-in and plugin themes (and the project's own, if publish.toml names a theme folder)."""
    config = load_config(Path(args.config) if args.config else None)
    themes = [(info.name, info.theme, info.package) for info in api.list_themes()]
    if config.theme and config.theme not in {name for name, _, _ in themes}:
        own = load_theme(config.theme)
        themes.append((own.name, own, str(config.path)))
    width = max(len(name) for name, _, _ in themes)
    for name, theme, package in themes:
        fonts = f"{theme.fonts.body[0]} / {theme.fonts.heading[0]}"
        origin = "" if package == "publish" else f" (from {package})"
        print(f"{name:<{width}}  {theme.page.size:<6} {fonts:<34} {theme.description}{origin}")
    print(f"\nUse one with --theme NAME (or a theme folder), another page size with --page-size "
          f"{'|'.join(PAGE_SIZES_MM)}.", file=sys.stderr)
    return 0


def _formats(args: argparse.Namespace) -> int:
    """List the readers (input formats) and backends (output formats), built in and from plugins."""
    found = api.list_formats()
    width = max(len(f.name) for f in found)
    exts = max(len(" ".join(f.extensions)) for f in found)
    summaries = max(len(f.summary) for f in found)
    for kind, title in (("reader", "Input formats (--from), chosen by extension:"),
                        ("backend", "Output formats (--to):")):
        print(title)
        for f in (f for f in found if f.kind == kind):
            print(f"  {f.name:<{width}}  {' '.join(f.extensions):<{exts}}  {f.summary:<{summaries}}  from {f.package}")
    return 0


def _progress(written: Written) -> None:
    print(f"wrote {written.path} ({_size(written.size)}, {written.seconds:.2f} s)", file=sys.stderr)


def _inspect(args: argparse.Namespace) -> int:
    from publish.readers.collection import is_feed

    if is_feed(Path(args.input), args.input_format):
        return _inspect_feed(args)
    reading = api.read(args.input, args.input_format, track_changes=args.track_changes)
    sys.stdout.write(jsonform.dumps(reading.article))
    _report_reading(args.input, reading.inferred, reading.dropped)
    return 0


def _inspect_feed(args: argparse.Namespace) -> int:
    """A feed: every item's article model in one JSON object on stdout, the feed's and each item's report."""
    from publish.readers import Source, feed

    reading = feed.read_feed(Source.from_path(Path(args.input)))
    data = {"feed": reading.title, "language": reading.language,
            "items": [jsonform.to_data(item.reading.article) for item in reading.items]}
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")
    _report_reading(args.input, reading.inferred, reading.dropped)
    for item in reading.items:
        _report_reading(args.input, item.reading.inferred, item.reading.dropped)
    return 0


def _report_reading(name: str, inferred: Iterable[Inferred], dropped: Iterable[Dropped]) -> None:
    for item in inferred:  # line 0: a decision about the whole input, not about one of its lines
        print(f"{name}{f':{item.line}' if item.line else ''}: {item.role}: {item.text!r}", file=sys.stderr)
    for line in dropped:
        print(f"{name}{f':{line.line}' if line.line else ''}: dropped ({line.reason}): {line.text!r}", file=sys.stderr)


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help(sys.stderr)
    return 2


def _page_size(value: str) -> str:
    try:
        return page_size_name(value)
    except PublishError as exc:
        raise argparse.ArgumentTypeError(exc.message) from None


def _seconds(value: str) -> float:
    try:
        seconds = float(value)
    except ValueError:
        seconds = -1.0
    if not 0 <= seconds < float("inf"):
        raise argparse.ArgumentTypeError(f"{value!r} is not a number of seconds (0 or more; 0 for no limit)")
    return seconds


def _fetch_seconds(value: str) -> float:
    try:
        seconds = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a number of seconds") from None
    if not 0 < seconds <= 3600:
        raise argparse.ArgumentTypeError(f"{value!r}: give a number of seconds above 0 and at most 3600")
    return seconds


def _count(value: str) -> int:
    if not value.isdigit() or int(value) < 1:
        raise argparse.ArgumentTypeError(f"{value!r} is not a number of processes (1 or more)")
    return int(value)


def _size(n: int) -> str:
    return f"{n} B" if n < 1024 else f"{n / 1024:.1f} KiB" if n < 1024 * 1024 else f"{n / 1024 / 1024:.1f} MiB"


def _track_changes_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--track-changes", choices=TRACK_CHANGES, default="accept",
                        help="a Word input's tracked changes (and Markdown's suggestions; a manifest's articles "
                             "too), as Pandoc names them: accept (the default) or reject them, or all: keep them "
                             "and the comments, for a review copy")


class _Help(argparse.HelpFormatter):
    """Help with the formats plugins add filled in ({readers}, {backends}) only when help is shown: listing them
    reads the installed packages' metadata, which a command that shows no help does not wait for."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        text = super()._get_help_string(action)
        if text is None or "{" not in text:
            return text
        return text.replace("{readers}", ", ".join(READERS)).replace("{backends}", ", ".join(BACKENDS))


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="publish",
        description="Turn news articles into print-ready HTML, PDF, DOCX and EPUB from one article model.",
        formatter_class=_Help,
    )
    parser.add_argument("--version", action="version", version=f"publish {__version__}")
    parser.set_defaults(run=lambda args: _usage(parser))
    commands = parser.add_subparsers(title="commands", metavar="COMMAND")

    b = commands.add_parser("build", formatter_class=_Help, help="render articles into output files",
                            description="Render each INPUT into every format asked for.")
    b.add_argument("inputs", nargs="+", metavar="INPUT",
                   help="article files ({readers}: see `publish formats`), http(s) URLs of web pages (with "
                        "--allow-remote) or collection manifests (.yaml)")
    b.add_argument("--to", metavar="FORMATS",
                   help="comma-separated output formats: {backends} (default: "
                        f"{', '.join(DEFAULT_FORMATS)})")
    b.add_argument("--out", metavar="DIR", help="output folder (default: publish.toml's out, else out)")
    b.add_argument("--from", dest="input_format", choices=READERS, metavar="FORMAT",
                   help="input format ({readers}), overriding the extension")
    b.add_argument("--theme", metavar="NAME|PATH",
                   help="theme name or folder (default: publish.toml's theme, else default; see `publish themes`)")
    b.add_argument("--templates", action="append", metavar="DIR",
                   help="a folder of templates searched before the theme's and the built-in ones (repeatable)")
    b.add_argument("--page-size", type=_page_size, metavar="SIZE",
                   help=f"page size replacing the theme's: {', '.join(PAGE_SIZES_MM)}")
    b.add_argument("--config", metavar="FILE", help=f"project file of defaults (default: ./{CONFIG_NAME} if present)")
    b.add_argument("--allow-remote", action="store_true",
                   help="fetch http(s) inputs and the images pages refer to (nothing remote is fetched without it)")
    b.add_argument("--fetch-timeout", type=_fetch_seconds, default=FETCH_TIMEOUT, metavar="SECONDS",
                   help=f"the longest one remote fetch may take (default: {FETCH_TIMEOUT:g})")
    b.add_argument("--pdf-variant", choices=list(PDF_VARIANTS), default="", metavar="VARIANT",
                   help=f"make the PDF conform to a standard and declare it: {', '.join(PDF_VARIANTS)}")
    b.add_argument("--timeout", type=_seconds, metavar="SECONDS",
                   help=f"stop with an error when one document's PDF takes longer than this to lay out (default: "
                        f"publish.toml's timeout, else {DEFAULT_TIMEOUT:g}; 0 for no limit)")
    b.add_argument("--check", action="store_true",
                   help="validate every file written, as `publish check` does, and compare its words with the input")
    _track_changes_option(b)
    b.add_argument("--strict", action="store_true",
                   help="refuse to build an article whose embargo has not passed (else the build warns)")
    b.add_argument("--no-cache", action="store_true",
                   help="read and render everything afresh, without the cache (see `publish cache`)")
    m = b.add_argument_group("batches (each input built on its own, in parallel; a bad one does not stop the "
                             "others)")
    m.add_argument("--batch", action="store_true",
                   help="build the inputs as a batch (implied by -j and --scheduler); without it, a bad input stops "
                        "the build before anything is written")
    m.add_argument("-j", "--jobs", type=_count, metavar="N", help="worker processes of a batch (default: one per core)")
    m.add_argument("--scheduler", metavar="tcp://HOST:PORT",
                   help=f"run the batch on this Dask cluster (default: ${SCHEDULER_ENV}, else this machine)")
    m.add_argument("--ship", action="store_true",
                   help="with --scheduler: send inputs as bytes and get the outputs back (for workers that do not "
                        "share these files; each input must stand alone)")
    c = b.add_argument_group("collections (a brief, digest or packet: a manifest, or --collection)")
    c.add_argument("--collection", metavar="TITLE",
                   help="render all inputs, in order, as one collection with this title")
    c.add_argument("--article-break", action=argparse.BooleanOptionalAction, default=None,
                   help="start each article on a new page (default: as the manifest says; off)")
    c.add_argument("--pdf-parts", choices=("auto", "on", "off"), default="auto",
                   help="lay a collection's PDF out in parts on every core and stitch them into one, page for page "
                        "as one pass would: auto (default: for collections large enough to gain, with a second "
                        "core), on, off (one pass)")
    c.add_argument("--update-fields", action="store_true",
                   help="number the DOCX packet's contents by laying it out with LibreOffice (where installed; a few "
                        "seconds); without it Word numbers them on opening")
    c.add_argument("--docx-per-article", action=argparse.BooleanOptionalAction, default=None,
                   help="write the DOCX packet as one file per article in NAME-docx/")
    c.add_argument("--keep-duplicates", action=argparse.BooleanOptionalAction, default=None,
                   help="keep both copies of a story found twice (default: keep the first only)")
    b.set_defaults(run=_build)

    k = commands.add_parser("check", help="validate output files and compare their words with the source",
                            formatter_class=_Help,
                            description="Validate each OUTPUT (HTML with the Nu HTML Checker, PDF with pypdf and "
                                        "qpdf, DOCX part by part and in LibreOffice, EPUB with epubcheck and its "
                                        "accessibility metadata) and, given --source, check that every word of the "
                                        "article is there, in order. Exit status 1 when any check fails.")
    k.add_argument("outputs", nargs="+", metavar="OUTPUT",
                   help="files written by publish build (.html .pdf .docx .epub .ninjs.json)")
    k.add_argument("--source", metavar="INPUT", action="append",
                   help="the article the outputs were made from, for word parity; repeat it for outputs of several "
                        "articles (each output is matched to the source of the same name)")
    k.add_argument("--from", dest="input_format", choices=READERS, metavar="FORMAT",
                   help="the source's format ({readers}), overriding its extension")
    k.add_argument("--pdf-variant", choices=list(PDF_VARIANTS), default="", metavar="VARIANT",
                   help=f"require every PDF to declare this conformance: {', '.join(PDF_VARIANTS)}")
    k.add_argument("--json", action="store_true", help="print the report as JSON")
    _track_changes_option(k)
    k.add_argument("--strict", action="store_true", help="count warnings as errors")
    k.add_argument("--skip", metavar="CHECKS", help="comma-separated checks to leave out: epubcheck, ace, "
                                                    "html-checker, qpdf, libreoffice, parity")
    k.set_defaults(run=_check)

    f = commands.add_parser("formats", help="list the input and output formats, built in and from plugins",
                            formatter_class=_Help,
                            description="List the readers (input formats: name, extensions, summary, package) and "
                                        "the backends (output formats), including those installed plugins add.")
    f.set_defaults(run=_formats)

    t = commands.add_parser("themes", formatter_class=_Help, help="list the themes",
                            description="List the built-in and plugin themes: name, page size, body and heading "
                                        "fonts, description (and the theme publish.toml names, if it is a folder).")
    t.add_argument("--config", metavar="FILE", help=f"project file (default: ./{CONFIG_NAME} if present)")
    t.set_defaults(run=_themes)

    s = commands.add_parser("serve", help="preview every format in a browser, rebuilt as you edit",
                            formatter_class=_Help,
                            description="Serve a live preview of INPUT (an article or a manifest) on 127.0.0.1: the "
                                        "HTML, the PDF's pages, the DOCX as LibreOffice lays it out, the EPUB's "
                                        "chapters, the reader's report and the checks. Saving the input, a file a "
                                        "manifest lists, the theme or a template rebuilds and reloads the page.")
    s.add_argument("input", metavar="INPUT")
    s.add_argument("--from", dest="input_format", choices=READERS, metavar="FORMAT",
                   help="input format ({readers}), overriding the extension")
    s.add_argument("--theme", metavar="NAME|PATH", help="theme name or folder (default: publish.toml's, else default)")
    s.add_argument("--templates", action="append", metavar="DIR", help="a folder of template overrides (repeatable)")
    s.add_argument("--page-size", type=_page_size, metavar="SIZE",
                   help=f"page size replacing the theme's: {', '.join(PAGE_SIZES_MM)}")
    s.add_argument("--config", metavar="FILE", help=f"project file of defaults (default: ./{CONFIG_NAME} if present)")
    s.add_argument("--allow-remote", action="store_true", help="let the PDF renderer fetch http(s) resources")
    s.add_argument("--port", type=int, default=8000, help="TCP port (default: 8000)")
    s.add_argument("--host", default="127.0.0.1",
                   help="address to listen on (default: 127.0.0.1, this machine only; anything else warns)")
    s.add_argument("--open", action="store_true", help="open the preview in the default browser")
    s.add_argument("--no-checks", dest="checks", action="store_false",
                   help="do not run `publish check` after each build")
    s.set_defaults(run=_serve)

    r = commands.add_parser("review", help="list an edited Word file's tracked changes, comments and other edits",
                            formatter_class=_Help,
                            description="List every tracked change (insertion, deletion, move, formatting) and "
                                        "comment in a Word file, with its author, date and paragraph; in a DOCX "
                                        "publish wrote, also the paragraphs edited with Track Changes off.")
    r.add_argument("input", metavar="FILE.docx")
    r.add_argument("--json", action="store_true", help="print a JSON list of objects (kind, author, date, "
                                                       "paragraph, first_words, text, detail)")
    r.set_defaults(run=_review)
    h = commands.add_parser("cache", help="show or clear the cache of templates, patterns and articles",
                            formatter_class=_Help,
                            description="`publish cache info` shows the cache folder, its entries and size cap; "
                                        "`publish cache clear` removes every entry.")
    h.add_argument("action", choices=["info", "clear"])
    h.set_defaults(run=_cache)

    i = commands.add_parser("inspect", help="print the article model as JSON and what the reader dropped",
                            formatter_class=_Help,
                            description="Print INPUT's article model as JSON on stdout and the reader's report "
                                        "(inferred structure, dropped lines) on stderr.")
    i.add_argument("input", metavar="INPUT")
    i.add_argument("--from", dest="input_format", choices=READERS, metavar="FORMAT",
                   help="input format ({readers}), overriding the extension")
    _track_changes_option(i)
    i.set_defaults(run=_inspect)
    return parser


class _OneLine(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return f"publish: {record.levelname.lower()}: {record.getMessage()}"


class _Stderr(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to sys.stderr as it is when a record comes (a caller, or a test, may have replaced it since)."""

    def emit(self, record: logging.LogRecord) -> None:
        self.stream = sys.stderr
        super().emit(record)


def _configure_logging() -> Callable[[], None]:
    """Print publish's and WeasyPrint's warnings as one line each; return what puts the loggers back as they were
    (main may run again in the same process: a test, a program calling it)."""
    handler = _Stderr(sys.stderr)
    handler.setFormatter(_OneLine())
    saved = []
    for name in ("publish", "weasyprint"):
        logger = logging.getLogger(name)
        saved.append((logger, logger.handlers[:], logger.level, logger.propagate))
        logger.handlers[:] = [handler]
        logger.setLevel(logging.WARNING)
        logger.propagate = False

    def restore() -> None:
        for logger, handlers, level, propagate in saved:
            logger.handlers[:] = handlers
            logger.setLevel(level)
            logger.propagate = propagate

    return restore


if __name__ == "__main__":
    run()
