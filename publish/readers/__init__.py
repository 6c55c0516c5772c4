"""The reader registry: which reader handles an input, and reading an input file into an article."""

from __future__ import annotations

import importlib
import logging
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from publish.build import cache
from publish.errors import FormatError, InputError
from publish.model import Article, limits, links
from publish.plugins import Registry
from publish.readers import sanitise

TRACK_CHANGES = ("accept", "reject", "all")
"""How a Word input's tracked changes are read, with Pandoc's names: accepted, rejected, or kept and marked."""
MAX_INPUT_BYTES = 10 * 1024 * 1024
"""The largest input read: about twenty novels of plain text, far past any article or collection part."""

log = logging.getLogger(__name__)


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


@dataclass(frozen=True, slots=True)
class Source:
    """An input as a reader receives it: its bytes, the name messages use, and where it lives."""

    name: str
    """The file or URL as the user gave it; every message about the input names it."""
    data: bytes
    """The bytes as read: a text reader decodes them with `text()`; a binary reader takes them as they are."""
    path: Path | None = None
    """The file on disk, when the input is one (its folder is where relative images resolve)."""
    charset: str | None = None
    """An encoding declared outside the bytes (an HTTP header), or None."""
    track_changes: str = "accept"
    """How a Word document's tracked changes are read: accept, reject, or all (kept, marked); Pandoc's names."""

    @classmethod
    def from_path(cls, path: Path, track_changes: str = "accept") -> Source:
        """Read a file, refusing what is missing, not a regular file, or oversized, with one clear line."""
        return cls(str(path), load_bytes(path), path, track_changes=track_changes)

    def text(self) -> str:
        """The bytes as UTF-8 text, refusing binary, non-UTF-8, empty or invisible input with one clear line.

        Control characters are removed (form feed and vertical tab become line breaks) and runs of zero-width
        characters or combining marks cut short, each with a warning: no output format can hold or show them.
        """
        data, name = self.data, self.name
        if b"\x00" in data:
            line = data[: data.index(b"\x00")].count(b"\n") + 1
            raise InputError("is a binary file (NUL byte), not text", path=name, line=line)
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            line = data[: exc.start].count(b"\n") + 1
            raise InputError(f"is not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start})",
                             path=name, line=line) from None
        if not text.strip():
            raise InputError("is empty", path=name)
        cleaned = sanitise.clean_text(text.replace("\r\n", "\n").replace("\r", "\n"))
        for line, note in cleaned.notes:
            log.warning("%s:%d: %s", name, line, note)
        if not sanitise.is_visible(cleaned.text):
            raise InputError("has no visible text (only spaces, control or zero-width characters)", path=name)
        return cleaned.text


class ReaderModule(Protocol):
    """What each reader module provides."""

    def read(self, source: Source) -> Reading:
        """Turn the source into a Reading; raise InputError naming `source.name` on bad input."""
        ...


@dataclass(frozen=True, slots=True)
class ReaderSpec:
    """A registered reader: built in, or a plugin's (its entry point names one of these)."""

    name: str
    """The name given to --from."""
    extensions: tuple[str, ...]
    """File extensions that select it, lower case, with the dot."""
    module: str
    """The module that implements it (a `read(source) -> Reading` function), imported only when used."""
    summary: str
    """One line for --help and `publish formats`."""


READERS: Registry[ReaderSpec] = Registry(
    "reader", "publish.readers", ReaderSpec, (
        ReaderSpec("scraped", (".txt", ".text"), "publish.readers.scraped", "plain text scraped from a web page"),
        ReaderSpec("markdown", (".md", ".markdown"), "publish.readers.markdown", "Markdown with YAML front matter"),
        ReaderSpec("json", (".json",), "publish.readers.jsonmodel",
                   "the article model's own JSON form, or an IPTC ninjs 2.x/3.x item (told apart by content)"),
        ReaderSpec("html", (".html", ".htm"), "publish.readers.html", "a web page: its story and the page's metadata"),
        ReaderSpec("feed", (".rss", ".atom", ".xml"), "publish.readers.feed",
                   "an RSS or Atom feed: its items become a collection (a manifest section: feed: FILE)"),
        ReaderSpec("ninjs", (), "publish.readers.ninjs",
                   "IPTC ninjs 2.x/3.x (a .json file that is ninjs is read as it)"),
        ReaderSpec("docx", (".docx", ".docm", ".dotx", ".doc"), "publish.readers.docx",
                   "a Word document (tracked changes: --track-changes accept|reject|all)"),
    ), lambda spec: spec.extensions)
"""Every reader by name: the built-ins, then those plugins add (entry point group `publish.readers`, naming a
ReaderSpec; see publish.plugins). A plugin's spec loads when first looked up; its module when first used."""


def reader_for(path: Path, name: str | None = None) -> ReaderSpec:
    """The reader named, or the one the file's extension selects (every reader's spec is loaded for that, so an
    extension two readers claim is an error naming both, whichever file is read)."""
    if name is not None:
        if name not in READERS:
            raise FormatError(f"unknown input format {name!r}; known: {', '.join(READERS)}")
        return READERS[name]
    ext = path.suffix.lower()
    specs = list(READERS.values())
    for spec in specs:
        if ext in spec.extensions:
            return spec
    known = ", ".join(e for s in specs for e in s.extensions)
    raise FormatError(f"cannot tell the input format from the extension {ext or '(none)'!r}; "
                      f"use --from {'|'.join(READERS)} or one of {known}", path=path)


def load_bytes(path: Path) -> bytes:
    """The file's bytes, refusing what is missing, a folder, a device or pipe, or oversized, with one clear line."""
    try:
        if path.is_dir():
            raise InputError("is a folder, not a file", path=path)
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):  # a device, a pipe or a socket: reading it may never end
            raise InputError("is not a regular file (a device, pipe or socket); give a text file", path=path)
        if info.st_size > MAX_INPUT_BYTES:
            raise InputError(f"is {info.st_size / (1024 * 1024):.0f} MiB; inputs over "
                             f"{MAX_INPUT_BYTES // (1024 * 1024)} MiB are refused (split it into several articles)",
                             path=path)
        with path.open("rb") as handle:  # the size stat gave and a byte more, not a buffer of the whole limit for
            data = handle.read(info.st_size + 1)  # each 4 KB story (18 us a file against 7)
            if len(data) > info.st_size:  # it grew since stat (or stat gives no size, as for /proc): on to the limit
                data += handle.read(MAX_INPUT_BYTES + 1 - len(data))
        if len(data) > MAX_INPUT_BYTES:
            raise InputError(f"grew past {MAX_INPUT_BYTES // (1024 * 1024)} MiB while being read", path=path)
    except FileNotFoundError:
        raise InputError("no such file", path=path) from None
    except PermissionError:
        raise InputError("permission denied", path=path) from None
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror}", path=path) from None
    return data


def load_text(path: Path) -> str:
    """The file's text (see `Source.text`): for manifests and other text the readers do not own."""
    return Source.from_path(path).text()


def read_file(path: Path, fmt: str | None = None, track_changes: str = "accept") -> Reading:
    """Read one input file with the reader its extension (or `fmt`) selects; `track_changes` for Word files."""
    return read_source(Source.from_path(path, track_changes), fmt)


def read_source(source: Source, fmt: str | None = None) -> Reading:
    """Read one input with the reader named, or the one its name's extension selects."""
    spec = reader_for(Path(source.name), fmt)
    path = source.name

    def read() -> Reading:  # the reader's module (markdown-it and all) is imported only when the cache misses
        module: ReaderModule = importlib.import_module(spec.module)
        reading = module.read(source)
        for warning in limits.check_article(reading.article, str(path)):  # said again on a cache hit
            log.warning("%s: %s", path, warning)
        return reading

    try:
        reading = cache.cached_reading(source.name, source.data, source.charset,  # a review copy reads apart
                                       f"{spec.name}|track-changes={source.track_changes}", spec.module, read)
    except RecursionError:  # a JSON model nested thousands deep: the parser runs out of stack before any check
        raise InputError(f"nests far too deeply to read; publish renders at most {limits.MAX_DEPTH} levels of "
                         "lists, quotes and marks", path=path) from None
    kept = cache.with_reading(reading.article, _KEPT_TARGETS)
    if kept is not None and links.Targets.remembered(reading.article) is None and (
            targets := links.Targets.from_text(kept)) is not None:
        links.Targets.remember(reading.article, targets)
    return reading


_KEPT_TARGETS = "link-targets-1"
"""The name each reading's link targets (publish.model.links.Targets) are kept under with it in the cache: every
backend asks for them, and an article read from the cache has them without walking its headings again."""
cache.keep_with_readings(_KEPT_TARGETS, lambda article: links.Targets.of(article).text())
