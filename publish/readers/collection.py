"""Collections: a YAML manifest (or a plain list of inputs) read into a Collection, near-duplicate stories found."""

from __future__ import annotations

import base64
import contextlib
import dataclasses
import datetime as dt
import logging
import os
import posixpath
import re
import stat
import sys
import zlib
from array import array
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from itertools import chain
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import urlsplit

from publish import model
from publish.build import ahead, cache
from publish.build.resources import without_remote_images
from publish.errors import FormatError, InputError, PublishError
from publish.model import text
from publish.model.language import bcp47
from publish.readers import READERS, Source, feed, load_text, pressfields, read_file, reader_for, yamlform
from publish.readers.fetch import FetchOptions

MANIFEST_EXTENSIONS = (".yaml", ".yml")
SHINGLE_WORDS = 3
"""Stories are compared as sets of overlapping three-word runs (shingles)."""
DUPLICATE_SIMILARITY = 0.6
"""Two stories sharing this share of their shingles (Jaccard) are the same story, give or take some edits."""
COMMON_SHINGLE = 50
"""A shingle found in more stories than this is stock phrasing, not evidence of a copy."""
TOP_KEYS = {"title", "subtitle", "edition", "date", "publisher", "language", "lang", "logo", "cover", "identifier",
            "options", "sections", "articles", *pressfields.FIELDS}
"""A manifest's keys; a press office's (embargo, contacts, notes_to_editors, ends, corrections) are every
article's that does not give its own."""
OPTION_KEYS = {"article_break", "docx", "duplicates"}

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class CollectionOptions:
    """How a collection is rendered; a manifest's `options:` and the command line set these."""

    article_break: bool = False
    """Start every article on a new page (PDF and print HTML; DOCX packets always do)."""
    docx_per_article: bool = False
    """Write the DOCX packet as one file per article in a folder instead of one document."""
    keep_duplicates: bool = False
    """Keep both copies of a story found twice; by default the later copy is left out."""

    def merged(self, article_break: bool | None, docx_per_article: bool | None, keep_duplicates: bool | None,
               ) -> CollectionOptions:
        """These options with the command line's choices (None: not given) taking precedence."""
        return CollectionOptions(
            self.article_break if article_break is None else article_break,
            self.docx_per_article if docx_per_article is None else docx_per_article,
            self.keep_duplicates if keep_duplicates is None else keep_duplicates,
        )


@dataclass(frozen=True, slots=True)
class FeedSource:
    """A feed read as a section's articles (a manifest's `feed:`, or a feed given on the command line)."""

    path: Path | Source | str
    """The feed file, a feed already fetched, or an http(s) URL to fetch it from (with --allow-remote)."""
    limit: int
    """The most items read from it."""
    since: dt.date | None = None
    """Items published before this day are left out."""


@dataclass(frozen=True, slots=True)
class Duplicate:
    """A story left out (or kept, if asked) because an earlier article in the collection is the same story."""

    kept: Path
    """The file of the earlier copy, which stays."""
    duplicate: Path
    """The file of the later copy."""
    similarity: float
    """Jaccard similarity of their three-word shingles, 0 to 1."""


@dataclass(frozen=True, slots=True)
class LoadedCollection:
    """A collection read from its files, with where its references resolve and what was noticed on the way."""

    collection: model.Collection
    """The collection; figure paths are relative to `folder`."""
    folder: Path
    """The collection's folder: the manifest's, or the working folder for a list of inputs."""
    article_folders: tuple[Path, ...]
    """Each article file's folder, for resources referenced from there."""
    options: CollectionOptions
    """The manifest's rendering options."""
    files: tuple[Path, ...]
    """The file of each article, in reading order."""
    duplicates: tuple[Duplicate, ...] = ()
    """Near-duplicate stories found."""
    stem: str = "collection"
    """The base name of the output files."""


def is_manifest(path: Path) -> bool:
    """Whether the input is a collection manifest (by extension)."""
    return path.suffix.lower() in MANIFEST_EXTENSIONS


def is_feed(path: Path, input_format: str | None = None) -> bool:
    """Whether the input is an RSS or Atom feed: `--from feed`, or a `.rss`/`.atom`/`.xml` file (an `.xml` file
    that is not a feed is refused by the feed reader with one line)."""
    try:
        return reader_for(path, input_format).name == "feed"
    except FormatError:
        return False


def from_feed(path: Path | Source, title: str | None = None, input_format: str | None = None, *,
              remote: FetchOptions | None = None) -> LoadedCollection:
    """A feed given on the command line (a file, or one fetched from a URL): a collection of its items, titled by
    the feed (or by `title`)."""
    source = FeedSource(path, feed.DEFAULT_LIMIT)
    entries: list[tuple[str, list[Entry]]] = [("", [source])]
    stem = text.slug(title) if title else path.stem if isinstance(path, Path) else _url_stem(path.name)
    return _assemble({"title": (title or "").strip()}, "", entries, Path.cwd().resolve(), CollectionOptions(),
                     stem=stem, input_format=input_format, remote=remote)


def load_manifest(path: Path, input_format: str | None = None, *, remote: FetchOptions | None = None,
                  track_changes: str = "accept") -> LoadedCollection:
    """Read a manifest and every article it lists; any problem names the manifest (and its line) or the article.
    `track_changes` is for its Word files and Markdown's suggestions, as for one article (--track-changes).

    Articles, logo and cover must lie inside the manifest's folder (symlinks followed): a manifest is often
    written by someone other than the person who builds it, and must not publish /proc/self/status or
    ../outside/secret.md, nor make an outside folder one images may come from.
    """
    source = load_text(path)
    try:
        data = yamlform.load(source, what="manifest")
    except yamlform.YamlProblem as exc:
        raise InputError(exc.message, path=path, line=exc.line or 1) from None
    if not isinstance(data, dict):
        raise InputError("a manifest is a mapping with title: and sections: (see samples/morning-brief.yaml)",
                         path=path, line=1)
    where = _Where(path, source)
    unknown = sorted(set(map(str, data)) - TOP_KEYS)
    if unknown:
        raise where.error(unknown[0], f"unknown manifest key {unknown[0]!r}; known: {', '.join(sorted(TOP_KEYS))}")
    title = _string(data, "title", where, required=True)
    folder = path.parent.resolve()
    sections_data = data.get("sections")
    sections_line = yamlform.line_of(data, "sections")
    if sections_data is None and "articles" in data:
        sections_data = [{"title": "", "articles": data["articles"]}]
        sections_line = yamlform.line_of(data, "articles")
    if not isinstance(sections_data, list) or not sections_data:
        raise InputError("give sections: a list of {title, articles}, or articles: a list of files", path=path,
                         line=sections_line)
    entries: list[tuple[str, list[Entry]]] = []
    empty: list[str] = []
    for number, section in enumerate(sections_data, 1):
        line = yamlform.line_of(sections_data, number - 1, sections_line)
        if isinstance(section, dict) and "feed" in section:
            entries.append((str(section.get("title") or ""), [_feed_entry(section, number, folder, where)]))
            continue
        if not isinstance(section, dict) or not isinstance(section.get("articles"), list):
            raise InputError(f"section {number}: give title: and articles: (a list of files)", path=path, line=line)
        extra = sorted(set(map(str, section)) - {"title", "articles"})
        if extra:
            raise InputError(f"section {number}: unknown key {extra[0]!r}; a section has title: and articles:",
                             path=path, line=yamlform.line_of(section, extra[0], line))
        section_title = _string(section, "title", where, line=yamlform.line_of(section, "title", line))
        listed = section["articles"]
        if not listed:  # a section planned before its stories are filed: the rest of the brief still builds
            named = f" ({section_title!r})" if section_title else ""
            empty.append(f"{path}:{yamlform.line_of(section, 'articles', line)}: section {number}{named} lists no "
                         "articles; it is left out")
            continue
        files: list[Entry] = [_article_entry(item, folder, path, yamlform.line_of(listed, index, line), input_format)
                 for index, item in enumerate(listed)]
        entries.append((section_title, files))
    if not entries:
        raise InputError("no section lists an article; give each section's articles: a list of files", path=path,
                         line=sections_line)
    for warning in empty:
        log.warning("%s", warning)
    options = _options(data.get("options") or {}, where)
    language = _string(data, "language", where) or _string(data, "lang", where)
    edition_key = "edition" if "edition" in data else "date"
    if language:
        try:
            language = bcp47(language)
        except ValueError as exc:
            key = "language" if data.get("language") else "lang"
            raise where.error(f"{key}:", f"{key}: {exc}") from None
    meta = {
        "title": title,
        "subtitle": _string(data, "subtitle", where),
        "edition": _date(data.get(edition_key), edition_key, path, yamlform.line_of(data, edition_key)),
        "publisher": _string(data, "publisher", where),
        "logo": _local_file(data, "logo", folder, path),
        "cover": _local_file(data, "cover", folder, path),
        "identifier": _string(data, "identifier", where),
    }
    press = _press_defaults(data, path)
    loaded = _assemble(meta, language, entries, folder, options, stem=path.stem, input_format=input_format,
                       remote=remote, track_changes=track_changes)
    return dataclasses.replace(loaded, collection=with_press_defaults(loaded.collection, press)) if press else loaded


def _press_defaults(data: dict[str, Any], path: Path) -> dict[str, Any]:
    """The press office's fields a manifest gives for all its articles, checked as a front matter's are."""
    found: dict[str, Any] = {}
    for key, value in data.items():
        field = pressfields.FIELDS.get(str(key))
        if field is None or value is None:
            continue
        line = yamlform.line_of(data, key, 1) or 1
        if field in found:
            raise InputError(f"the manifest gives {field} twice (key {key!r})", path=path, line=line)
        try:
            found[field] = pressfields.value(field, key, value, line)
        except pressfields.PressProblem as exc:
            raise InputError(exc.message, path=path, line=exc.line or line) from None
    return found


def with_press_defaults(collection: model.Collection, press: dict[str, Any]) -> model.Collection:
    """Every article with the manifest's press fields where it gives none of its own."""
    def filled(article: model.Article) -> model.Article:
        own = {name: value for name, value in press.items() if not getattr(article.meta, name)}
        return dataclasses.replace(article, meta=dataclasses.replace(article.meta, **own)) if own else article

    return dataclasses.replace(collection, sections=tuple(
        dataclasses.replace(section, articles=tuple(filled(a) for a in section.articles))
        for section in collection.sections))


def from_inputs(title: str, paths: Sequence[Path | str], input_format: str | None = None, *,
                remote: FetchOptions | None = None, track_changes: str = "accept") -> LoadedCollection:
    """A collection of one untitled section holding the inputs in the order given (`--collection TITLE`)."""
    if not title.strip():
        raise InputError("--collection needs a title, for example --collection \"Morning brief\"")
    listed: list[Entry] = [p if isinstance(p, str) else FeedSource(p, feed.DEFAULT_LIMIT)
                           if is_feed(p, input_format) else (p, input_format) for p in paths]
    entries: list[tuple[str | None, list[Entry]]] = [(None, [entry]) for entry in listed]  # a feed: its own section
    return _assemble({"title": title.strip()}, "", entries, Path.cwd().resolve(), CollectionOptions(),
                     stem=text.slug(title), input_format=input_format, remote=remote, track_changes=track_changes)


def _assemble(meta: dict[str, Any], language: str, entries: Sequence[tuple[str | None, list[Entry]]],
              folder: Path, options: CollectionOptions, *, stem: str, input_format: str | None,
              remote: FetchOptions | None = None, track_changes: str = "accept") -> LoadedCollection:
    """Read every article, rebase its figures onto the collection's folder, and find near-duplicate stories.

    A section titled None (an input on the command line) takes the title of the feed it holds, or, holding an
    article, joins the untitled section of the articles before it. A collection without a title takes its first
    feed's.
    """
    read: list[tuple[str, list[tuple[Path, model.Article]]]] = []
    prefixes: dict[Path, str] = {}  # an article folder's path from the collection's folder, worked out once
    loose = False  # the last section is articles from the command line, untitled: more of them join it
    readings = ahead.in_order([entry for _, listed in entries for entry in listed],  # cold: on every core
                              lambda entry: _read_entry(entry, input_format, remote, track_changes),
                              ahead=lambda entry: isinstance(entry, tuple))  # files only: nothing fetched twice
    with contextlib.closing(readings):
        for section_title, listed in entries:
            articles = []
            title = section_title
            for _ in listed:  # each entry's reading, in order
                feed_title, found = next(readings)
                if feed_title and not meta.get("title"):
                    meta = {**meta, "title": feed_title}
                title = feed_title if title is None else title
                for file, article in found:
                    if file.parent not in prefixes:
                        prefixes[file.parent] = _relative_folder(file.parent, folder)
                    articles.append((file, rebase_figures(article, prefixes[file.parent])))
            if loose and section_title is None and not title:
                read[-1][1].extend(articles)
            else:
                read.append((title or "", articles))
            loose = section_title is None and not title
    everything = [(file, article) for _, articles in read for file, article in articles]
    collection = model.Collection(
        sections=tuple(model.Section(title, tuple(a for _, a in articles)) for title, articles in read),
        language=language or everything[0][1].meta.language,
        **{k: v for k, v in meta.items() if v not in (None, "")},
    )
    folders = tuple(dict.fromkeys(file.parent.resolve() for file, _ in everything))
    files = tuple(file for file, _ in everything)
    return LoadedCollection(collection, folder, folders, options, files, tuple(find_duplicates(everything)), stem)


Entry = tuple[Path, str | None] | FeedSource | str
"""One line of a section: an article file (with a reader name or None), a feed of many articles, or an http(s)
URL (an article or a feed, told apart once fetched)."""


def _read_entry(entry: Entry, input_format: str | None, remote: FetchOptions | None, track_changes: str = "accept",
                ) -> tuple[str | None, list[tuple[Path, model.Article]]]:
    """The article of a file (and None), or a feed's title and the articles of its items: each named by a path for
    messages ("world.rss item 3"), in the feed's folder. With remote fetching allowed, an item without full text
    is read from its linked page."""
    if isinstance(entry, tuple):
        file, fmt = entry
        return None, [(file, read_file(file, fmt or input_format, track_changes).article)]
    if isinstance(entry, str):
        from publish.readers.fetch import read_url

        try:
            return None, [(Path(_url_stem(entry)), read_url(entry, input_format, remote or FetchOptions()).article)]
        except feed.ManyArticles as many:
            entry = FeedSource(many.source, feed.DEFAULT_LIMIT)
    pages = feed.linked_pages(remote) if remote is not None and remote.allow_remote else None
    source = _feed_source(entry.path, remote)
    reading = feed.read_feed(source, limit=entry.limit, since=entry.since, page_reader=pages)
    folder = entry.path.parent if isinstance(entry.path, Path) else Path()
    items = [(folder / (Path(item.name).name if isinstance(entry.path, Path) else
                        f"{_url_stem(source.name)} item {number}"), item.reading.article)
             for number, item in enumerate(reading.items, 1)]
    if remote is None or not remote.allow_remote:  # figures on the web keep their words, as a page's do
        offline = [(file, without_remote_images(article)) for file, article in items]
        left = [src for _, (_, srcs) in offline for src in srcs]
        if left:
            more = f" and {len(left) - 1} more" if len(left) > 1 else ""
            log.warning("%s: image %s%s not fetched (add --allow-remote to fetch images from the web); the alt text "
                        "and caption are kept as text", source.name, left[0], more)
        items = [(file, article) for file, (article, _) in offline]
    return reading.title, items


def _feed_source(where: Path | Source | str, remote: FetchOptions | None) -> Source:
    """A feed's bytes: from its file, as fetched already, or fetched now from its URL."""
    if isinstance(where, Source):
        return where
    if isinstance(where, Path):
        return Source.from_path(where)
    from publish.readers.fetch import fetch

    got = fetch(where, remote or FetchOptions())
    return Source(where, got.data, None, got.charset)


def _url_stem(url: str) -> str:
    from publish.readers.fetch import url_stem

    return text.slug(url_stem(url) or urlsplit(url).netloc)


def without_duplicates(loaded: LoadedCollection) -> LoadedCollection:
    """The collection with each later copy of a story left out (and sections left empty by that removed)."""
    dropped = {d.duplicate for d in loaded.duplicates}
    if not dropped:
        return loaded
    source = iter(loaded.files)
    sections = []
    for section in loaded.collection.sections:
        kept = tuple(article for article in section.articles if next(source) not in dropped)
        if kept:
            sections.append(model.Section(section.title, kept))
    files = tuple(f for f in loaded.files if f not in dropped)
    collection = dataclasses.replace(loaded.collection, sections=tuple(sections))
    return dataclasses.replace(loaded, collection=collection, files=files)


# --- near-duplicate stories ---------------------------------------------------------------------------------


def find_duplicates(articles: list[tuple[Path, model.Article]]) -> Iterator[Duplicate]:
    """Pairs of articles that are the same story: each later copy with the earliest one it repeats.

    Each story becomes a set of three-word shingles of its body, and an index lists the stories holding each
    shingle. Then, one story at a time, the shingles it shares with each earlier story are counted through that
    index (skipping stock phrases found in many stories): time and memory grow with the number of shingles, so
    linearly with the collection, and no table of pairs is ever held.
    """
    key = cache.fingerprint("duplicates", cache.code_version(), *(cache.article_form(article)
                                                                  for _, article in articles)) \
        if cache.root() is not None else ""  # the articles' JSON forms, known since they were read: the words
    found = _known_duplicates(key, len(articles)) if key else None  # are only gathered on a miss
    if found is None:
        found = _duplicates([_story_shingles(article) for _, article in articles])
        if key:
            cache.put_json("documents", key, found)
    for first, later, similarity in found:
        yield Duplicate(articles[first][0], articles[later][0], round(similarity, 3))


def _known_duplicates(key: str, count: int) -> list[tuple[int, int, float]] | None:
    """The pairs found before in stories of exactly these words, in this order (a rebuild of the same
    collection), from the cache; None if they were not looked for yet."""
    data = cache.get_json("documents", key)
    if not isinstance(data, list):
        return None
    found = []
    for row in data:
        if not (isinstance(row, list) and len(row) == 3 and all(type(i) is int and 0 <= i < count for i in row[:2])
                and isinstance(row[2], float)):
            return None
        found.append((row[0], row[1], row[2]))
    return found


def _duplicates(stories: list[array[int]]) -> list[tuple[int, int, float]]:
    """(earlier, later, similarity) for each later story that repeats an earlier one, in order; each story given
    as its shingles (each once).

    Two stories share evidence of a copy in the shingles that both hold and that are not stock phrasing (held by
    more than COMMON_SHINGLE stories); their similarity is the count of those over the shingles either holds.
    Only such shingles are looked at (found by counting every shingle in C), and only pairs that can reach
    DUPLICATE_SIMILARITY are compared (prefix filtering, as in similarity joins): a story of `n` shingles must
    share at least DUPLICATE_SIMILARITY * n of them with a copy, so with the shingles in one order (the rarest
    first), a copy holds one of the first `len(evidence) - that + 1` of its evidence, and each story is compared
    only with the earlier ones whose first shingles so counted meet its own. The pairs are those that comparing
    every pair gives; the time grows with the shingles, plus the pairs that are nearly copies."""
    holders = Counter(chain.from_iterable(stories))  # how many stories hold each shingle (counted in C)
    evidence = {shingle: count for shingle, count in holders.items() if 1 < count <= COMMON_SHINGLE}
    del holders
    index: dict[int, list[int]] = {}  # a shingle's earlier holders that have it among their first shingles
    held: list[set[int]] = []
    found: list[tuple[int, int, float]] = []
    for later, story in enumerate(stories):
        own = evidence.keys() & story  # (in C)
        held.append(own)
        needed = int(DUPLICATE_SIMILARITY * len(story))  # at most the shared shingles a copy has (rounded down)
        first = len(own) - needed + 1
        if first <= 0 or not own:
            continue
        prefix = sorted(own, key=lambda shingle: (evidence[shingle], shingle))[:first]
        candidates = sorted({earlier for shingle in prefix for earlier in index.get(shingle, ())})
        for earlier in candidates:
            count = len(held[earlier] & own)
            similarity = count / (len(stories[earlier]) + len(story) - count)
            if similarity >= DUPLICATE_SIMILARITY:
                found.append((earlier, later, similarity))
                break
        for shingle in prefix:
            index.setdefault(shingle, []).append(later)
    return sorted(found)


_WORD = re.compile(r"\w+")


def _shingles(story: str) -> set[int]:
    """The story's three-word runs, hashed (64-bit), the same in every process: each word by its CRC-32, each run by
    Python's hash of those numbers (a string's hash would change with each process's seed, and the shingles are
    kept in the cache for the next build)."""
    words = list(map(zlib.crc32, map(str.encode, _WORD.findall(story.lower()))))
    return set(map(hash, zip(*(words[i:] for i in range(SHINGLE_WORDS)), strict=False)))


def _story_shingles(article: model.Article) -> array[int]:
    """An article's shingles: those kept with its reading (worked out by whichever process read it), else worked
    out now."""
    kept = cache.with_reading(article, _KEPT_SHINGLES)
    if kept is not None:
        with contextlib.suppress(ValueError):
            return array("q", base64.b64decode(kept, validate=True))
    return _article_shingles(article)


def _article_shingles(article: model.Article) -> array[int]:
    return array("q", _shingles(" ".join(text.block_texts(article.blocks))))


def _kept_shingles(article: model.Article) -> str:
    return base64.b64encode(_article_shingles(article).tobytes()).decode()


_KEPT_SHINGLES = f"shingles-{SHINGLE_WORDS}-python{sys.version_info[0]}.{sys.version_info[1]}-{sys.byteorder}"
"""The name the shingles are kept under with each reading: it changes with what the numbers depend on (how many
words a run has; Python's hash of a tuple of numbers; the byte order they are written in)."""
cache.keep_with_readings(_KEPT_SHINGLES, _kept_shingles)


# --- figures ------------------------------------------------------------------------------------------------


def rebase_figures(article: model.Article, prefix: str) -> model.Article:
    """The article with relative figure paths made relative to a folder `prefix` levels above its own."""
    if not prefix or next(model.image_sources(article.blocks), None) is None:  # most stories have no images
        return article
    def figure(block: model.Block) -> Sequence[model.Block]:
        if isinstance(block, model.Figure):
            src = _rebased_src(block.src, prefix)
            return (block if src == block.src else dataclasses.replace(block, src=src),)
        return (block,)

    def image(node: model.Inline) -> Sequence[model.Inline]:
        if isinstance(node, model.Image):
            src = _rebased_src(node.src, prefix)
            return (node if src == node.src else dataclasses.replace(node, src=src),)
        return (node,)

    return dataclasses.replace(article, blocks=model.map_blocks(article.blocks, figure, image))


def _rebased_src(src: str, prefix: str) -> str:
    """A relative image path made relative to the folder `prefix` above; a URL or an absolute path as it is."""
    if urlsplit(src).scheme or src.startswith("/"):
        return src
    return posixpath.normpath(posixpath.join(prefix, src))


def _relative_folder(folder: Path, base: Path) -> str:
    """`folder` relative to `base` in POSIX form ("" when they are the same; may climb with "..")."""
    relative = os.path.relpath(folder.resolve(), base)
    return "" if relative == "." else PurePosixPath(*Path(relative).parts).as_posix()


# --- manifest fields ----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Where:
    """Finds the line a manifest key or value is on, for error messages."""

    path: Path
    source: str

    def error(self, needle: str, message: str) -> InputError:
        line = next((i for i, text_line in enumerate(self.source.splitlines(), 1) if needle in text_line), None)
        return InputError(message, path=self.path, line=line)


def _string(data: dict[str, Any], key: str, where: _Where, *, required: bool = False, line: int | None = None,
            ) -> str:
    value = data.get(key)
    if line is None:
        line = yamlform.line_of(data, key)
    if value is None or value == "":
        if required:
            raise where.error(key, f"the manifest needs a {key}:")
        return ""
    if isinstance(value, (str, dt.date)):  # YAML numbers are read as written, so text
        return str(value).strip()
    raise InputError(f"{key}: expected text, not {yamlform.kind(value)}", path=where.path, line=line)


def _date(value: Any, key: str, path: Path, line: int | None) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return yamlform.iso_date(value)
        except ValueError as exc:
            raise InputError(f"{key}: {yamlform.shown(value)} {exc}", path=path, line=line) from None
    raise InputError(f"{key}: {yamlform.shown(value)} is not a date; write YYYY-MM-DD", path=path, line=line)


def _inside(folder: Path, name: str, what: str, path: Path, line: int | None) -> Path:
    """The file `name` (relative to the manifest's `folder`), refused unless it is a regular file inside it."""
    listed = folder / name
    shown = yamlform.shown(name, 80)
    try:
        resolved = listed.resolve()
        if not resolved.is_relative_to(folder):
            raise InputError(f"{what} {shown} is outside the manifest's folder ({folder}); a manifest lists only "
                             "files inside its own folder", path=path, line=line)
        info = resolved.stat()
    except FileNotFoundError:
        raise InputError(f"{what} {shown} not found (looked for {listed})", path=path, line=line) from None
    except (OSError, RuntimeError) as exc:  # a symlink loop, a name too long, permission denied
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else "symlink loop"
        raise InputError(f"{what} {shown} cannot be read: {reason}", path=path, line=line) from None
    if stat.S_ISDIR(info.st_mode):
        raise InputError(f"{what} {shown} is a folder, not a file", path=path, line=line)
    if not stat.S_ISREG(info.st_mode):
        raise InputError(f"{what} {shown} is not a regular file (a device, pipe or socket)", path=path, line=line)
    return listed


def _local_file(data: dict[str, Any], key: str, folder: Path, path: Path) -> str:
    value = _string(data, key, _Where(path, ""))
    if value:
        _inside(folder, value, key, path, yamlform.line_of(data, key))
    return value


def _article_entry(item: Any, folder: Path, path: Path, line: int | None, input_format: str | None,
                   ) -> tuple[Path, str | None]:
    fmt: Any = None
    if isinstance(item, str) and item.strip():
        name = item
    elif isinstance(item, dict) and isinstance(item.get("path"), str) and set(map(str, item)) <= {"path", "from"}:
        name, fmt = item["path"], item.get("from")
        if fmt is not None and not (isinstance(fmt, str) and fmt in READERS):
            raise InputError(f"from: {fmt!r} is not an input format; known: {', '.join(READERS)}", path=path,
                             line=yamlform.line_of(item, "from", line))
    else:
        raise InputError(f"an article entry is a file name or {{path: ..., from: ...}}, not {yamlform.shown(item)}",
                         path=path, line=line)
    file = _inside(folder, name, "article", path, line)
    try:
        reader_for(file, fmt or input_format)
    except PublishError as exc:
        raise InputError(f"article {yamlform.shown(name, 80)}: {exc.message}", path=path, line=line) from None
    return file, fmt


def _feed_entry(section: dict[str, Any], number: int, folder: Path, where: _Where) -> FeedSource:
    """A section's `feed: FILE` with its optional `limit:` (items) and `since:` (a date). A feed file, like an
    article, must lie inside the manifest's folder."""
    from publish.readers.fetch import is_url

    name = section.get("feed")
    if not isinstance(name, str) or not name.strip():
        raise where.error("feed", f"section {number}: feed: names a feed file (.rss, .atom or .xml) or URL")
    line = yamlform.line_of(section, "feed")
    file = folder / name if is_url(name) else _inside(folder, name, "feed", where.path, line)
    limit: Any = section.get("limit", feed.DEFAULT_LIMIT)
    if isinstance(limit, str) and limit.strip().isdigit():  # numbers come from the YAML as they were written
        limit = int(limit.strip())
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
        raise where.error("limit", f"section {number}: limit: {limit!r} is not a number of items (1 or more)")
    since = section.get("since")
    if since is not None and not isinstance(since, dt.date):
        try:
            since = dt.date.fromisoformat(str(since))
        except ValueError:
            raise where.error("since", f"section {number}: since: {since!r} is not a date; write YYYY-MM-DD") \
                from None
    return FeedSource(name.strip() if is_url(name) else file, limit,
                      since.date() if isinstance(since, dt.datetime) else since)


def _options(data: Any, where: _Where) -> CollectionOptions:
    if not isinstance(data, dict):
        raise where.error("options", "options: expected a mapping")
    unknown = sorted(set(map(str, data)) - OPTION_KEYS)
    if unknown:
        raise where.error(unknown[0], f"unknown option {unknown[0]!r}; known: {', '.join(sorted(OPTION_KEYS))}")
    article_break = data.get("article_break", False)
    docx = data.get("docx", "single")
    duplicates = data.get("duplicates", "drop")
    if article_break not in (True, False, "page", "none"):
        raise where.error("article_break", "options.article_break: true (each article on a new page) or false")
    if docx not in ("single", "per-article"):
        raise where.error("docx", "options.docx: single (one packet) or per-article (a folder of files)")
    if duplicates not in ("drop", "keep"):
        raise where.error("duplicates", "options.duplicates: drop (keep the first copy) or keep")
    return CollectionOptions(article_break=article_break in (True, "page"), docx_per_article=docx == "per-article",
                             keep_duplicates=duplicates == "keep")
