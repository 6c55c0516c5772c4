"""The reader registry: which reader handles an input, and reading an input file into an article."""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from publish.errors import FormatError, InputError
from publish.model import Article

MAX_INPUT_BYTES = 64 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class Dropped:
    """A source line the reader left out of the article, and why."""

    line: int
    """1-based line number in the input."""
    text: str
    """The line as it was."""
    reason: str
    """Why it is not part of the story."""


@dataclass(frozen=True, slots=True)
class Inferred:
    """A decision the reader made about the structure, for the report."""

    line: int
    """1-based line number in the input."""
    text: str
    """The line the decision is about."""
    role: str
    """What the line was taken to be: headline, subhead, byline, date, dateline, rights..."""


@dataclass(frozen=True, slots=True)
class Reading:
    """What a reader returns: the article and its report."""

    article: Article
    """The article model."""
    dropped: tuple[Dropped, ...] = ()
    """Every source line left out, with the reason."""
    inferred: tuple[Inferred, ...] = ()
    """Structure the reader inferred rather than read."""


class ReaderModule(Protocol):
    """What each reader module provides."""

    def read(self, text: str, *, source: str) -> Reading:
        """Turn the source text into a Reading; raise InputError naming `source` on bad input."""
        ...


@dataclass(frozen=True, slots=True)
class ReaderSpec:
    """A registered reader."""

    name: str
    """The name given to --from."""
    extensions: tuple[str, ...]
    """File extensions that select it, lower case, with the dot."""
    module: str
    """The module that implements it, imported only when used."""
    summary: str
    """One line for --help."""


def _registry(*specs: ReaderSpec) -> dict[str, ReaderSpec]:
    by_name: dict[str, ReaderSpec] = {}
    by_ext: dict[str, str] = {}
    for spec in specs:
        if spec.name in by_name:
            raise FormatError(f"reader {spec.name!r} is registered twice ({by_name[spec.name].module}, {spec.module})")
        for ext in spec.extensions:
            if ext in by_ext:
                raise FormatError(f"extension {ext} is claimed by readers {by_ext[ext]!r} and {spec.name!r}")
            by_ext[ext] = spec.name
        by_name[spec.name] = spec
    return by_name


READERS = _registry(
    ReaderSpec("scraped", (".txt", ".text"), "publish.readers.scraped", "plain text scraped from a web page"),
    ReaderSpec("markdown", (".md", ".markdown"), "publish.readers.markdown", "Markdown with YAML front matter"),
    ReaderSpec("json", (".json",), "publish.readers.jsonmodel", "the article model's own JSON form"),
)


def reader_for(path: Path, name: str | None = None) -> ReaderSpec:
    """The reader named, or the one the file's extension selects."""
    if name is not None:
        if name not in READERS:
            raise FormatError(f"unknown input format {name!r}; known: {', '.join(READERS)}")
        return READERS[name]
    ext = path.suffix.lower()
    for spec in READERS.values():
        if ext in spec.extensions:
            return spec
    known = ", ".join(e for s in READERS.values() for e in s.extensions)
    raise FormatError(f"cannot tell the input format from the extension {ext or '(none)'!r}; "
                      f"use --from {'|'.join(READERS)} or one of {known}", path=path)


def load_text(path: Path) -> str:
    """The file's text, refusing what is missing, empty, binary, oversized or not UTF-8, with one clear line."""
    try:
        if path.is_dir():
            raise InputError("is a folder, not a file", path=path)
        size = path.stat().st_size
        if size > MAX_INPUT_BYTES:
            raise InputError(f"is {size // (1024 * 1024)} MiB; inputs over {MAX_INPUT_BYTES // (1024 * 1024)} MiB "
                             "are refused", path=path)
        data = path.read_bytes()
    except FileNotFoundError:
        raise InputError("no such file", path=path) from None
    except PermissionError:
        raise InputError("permission denied", path=path) from None
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror}", path=path) from None
    if b"\x00" in data:
        line = data[: data.index(b"\x00")].count(b"\n") + 1
        raise InputError("is a binary file (NUL byte), not text", path=path, line=line)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise InputError(f"is not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start})",
                         path=path, line=line) from None
    if not text.strip():
        raise InputError("is empty", path=path)
    return text.replace("\r\n", "\n").replace("\r", "\n")


def read_file(path: Path, fmt: str | None = None) -> Reading:
    """Read one input file with the reader its extension (or `fmt`) selects."""
    text = load_text(path)
    spec = reader_for(path, fmt)
    module: ReaderModule = importlib.import_module(spec.module)
    return module.read(text, source=str(path))
