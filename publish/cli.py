"""The command line: `publish build`, `publish inspect`; user errors print one line and exit non-zero."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from publish import __version__, jsonform
from publish.backends import BACKENDS
from publish.build import DEFAULT_FORMATS, BuildOptions, Written, build
from publish.errors import PublishError
from publish.readers import READERS, read_file


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the exit code (0 done, 1 a user error, 2 a usage error)."""
    parser = _parser()
    args = parser.parse_args(argv)
    _configure_logging()
    try:
        return int(args.run(args))
    except PublishError as exc:
        print(f"publish: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("publish: interrupted", file=sys.stderr)
        return 130


def _build(args: argparse.Namespace) -> int:
    options = BuildOptions(
        formats=tuple(f for f in args.to.split(",") if f.strip()) if args.to else DEFAULT_FORMATS,
        out_dir=Path(args.out),
        input_format=args.input_format,
        theme=args.theme,
        allow_remote=args.allow_remote,
    )
    build([Path(p) for p in args.inputs], options, progress=_progress)
    return 0


def _progress(written: Written) -> None:
    print(f"wrote {written.path} ({_size(written.size)}, {written.seconds:.2f} s)", file=sys.stderr)


def _inspect(args: argparse.Namespace) -> int:
    reading = read_file(Path(args.input), args.input_format)
    sys.stdout.write(jsonform.dumps(reading.article))
    for item in reading.inferred:
        print(f"{args.input}:{item.line}: {item.role}: {item.text!r}", file=sys.stderr)
    for dropped in reading.dropped:
        print(f"{args.input}:{dropped.line}: dropped ({dropped.reason}): {dropped.text!r}", file=sys.stderr)
    return 0


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help(sys.stderr)
    return 2


def _size(n: int) -> str:
    return f"{n} B" if n < 1024 else f"{n / 1024:.1f} KiB" if n < 1024 * 1024 else f"{n / 1024 / 1024:.1f} MiB"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="publish",
        description="Turn news articles into print-ready HTML, PDF, DOCX and EPUB from one article model.",
    )
    parser.add_argument("--version", action="version", version=f"publish {__version__}")
    parser.set_defaults(run=lambda args: _usage(parser))
    commands = parser.add_subparsers(title="commands", metavar="COMMAND")
    readers = ", ".join(f"{r.name} ({' '.join(r.extensions)})" for r in READERS.values())

    b = commands.add_parser("build", help="render articles into output files",
                            description="Render each INPUT into every format asked for.")
    b.add_argument("inputs", nargs="+", metavar="INPUT", help=f"article files: {readers}")
    b.add_argument("--to", metavar="FORMATS",
                   help=f"comma-separated output formats: {', '.join(BACKENDS)} (default: all)")
    b.add_argument("--out", default="out", metavar="DIR", help="output folder (default: out)")
    b.add_argument("--from", dest="input_format", choices=list(READERS), help="input format, overriding the extension")
    b.add_argument("--theme", default="default", metavar="NAME|PATH", help="theme name or folder (default: default)")
    b.add_argument("--allow-remote", action="store_true", help="let the PDF renderer fetch http(s) resources")
    b.set_defaults(run=_build)

    i = commands.add_parser("inspect", help="print the article model as JSON and what the reader dropped",
                            description="Print INPUT's article model as JSON on stdout and the reader's report "
                                        "(inferred structure, dropped lines) on stderr.")
    i.add_argument("input", metavar="INPUT")
    i.add_argument("--from", dest="input_format", choices=list(READERS), help="input format, overriding the extension")
    i.set_defaults(run=_inspect)
    return parser


class _OneLine(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return f"publish: {record.levelname.lower()}: {record.getMessage()}"


def _configure_logging() -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_OneLine())
    for name in ("publish", "weasyprint"):
        logger = logging.getLogger(name)
        logger.handlers[:] = [handler]
        logger.setLevel(logging.WARNING)
        logger.propagate = False


if __name__ == "__main__":
    sys.exit(main())
