"""A per-user cache of work that is the same from run to run: compiled templates (the user's and the themes'; the
built-in templates' are kept beside them, publish.present.templating.TemplateCache), parsed hyphenation patterns,
per article its parsed model and its rendered pieces (an EPUB chapter), and per document what needs the whole of
it (a collection's near-duplicate verdict, a digest's EPUB), so a rebuild redoes only what changed.

It lives in $PUBLISH_CACHE_DIR, else $XDG_CACHE_HOME/publish, else ~/.cache/publish; PUBLISH_CACHE_DIR=off
turns it off. Entries are keyed by their sources (a template's checksum, a dictionary file's path, size and
modification time, and the library versions), so a stale entry is never used.

Nothing read from the cache can run code unless the cache made it: the folder is used only when it belongs to this
user and no one else can write in it (else it is ignored, with one warning); hyphenation patterns are stored as
JSON, plain data; compiled templates are code by nature, so each entry carries an HMAC-SHA256 keyed by a secret file
the cache creates for itself (readable by this user only), and an entry without the right signature is never loaded.
Per-article entries are plain data (JSON, XHTML), signed the same way, keyed by a hash of everything they depend on
(the input's bytes and the reader's code; the article's JSON form, the theme's tokens and files, the templates, the
options and publish's code), and bounded in total size (least recently used first; PUBLISH_CACHE_MAX_MB). They are
rows of one SQLite database in the folder, written in transactions (a build's all at its end); compiled templates
and hyphenation patterns are files, written to a temporary file and renamed into place: concurrent builds, on this
machine or others sharing the folder (on a file system with POSIX locks), never see half of an entry. Any problem
with the cache (a read-only home, a full disk, a damaged database, a damaged, foreign or stale entry) only costs the
time it would have saved.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import hmac
import json
import logging
import os
import re
import secrets
import shutil
import sqlite3
import stat
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from publish import __version__
from publish.build import speedups

if TYPE_CHECKING:
    from publish.readers import Reading

OFF = {"off", "0", "no", "false"}
log = logging.getLogger("publish")
_MAGIC = b"publish-cache-signed-1\n"
_KEY_NAME = "key"
_KEY_BYTES = 32
_turned_off = False
_misses = 0


def root() -> Path | None:
    """The cache folder, created private if missing; None when the cache is off, unusable, or not safe to use
    (owned by another user, or writable by others: then one warning says so). Decided once per folder and
    process."""
    if _turned_off:
        return None
    environ = os.environ
    return _root(environ.get("PUBLISH_CACHE_DIR", ""), environ.get("XDG_CACHE_HOME", ""), environ.get("HOME", ""))


@functools.cache
def _root(configured: str, base: str, home: str) -> Path | None:
    """`root` for these values of PUBLISH_CACHE_DIR, XDG_CACHE_HOME and HOME (a build asks a thousand times)."""
    configured = configured.strip()
    if configured.lower() in OFF:
        return None
    if configured:
        return _checked(Path(configured))
    base = base.strip()
    return _checked((Path(base) if base else Path.home() / ".cache") / "publish")


@functools.cache
def _checked(path: Path) -> Path | None:
    try:
        path.mkdir(parents=True, exist_ok=True, mode=0o700)
        info = path.stat()
    except OSError:
        return None
    why = unsafe(info)
    if why:
        log.warning("the cache folder %s is %s, so it is not used (an entry planted there could run code); make "
                    "it yours and private (chmod go-w), or point PUBLISH_CACHE_DIR elsewhere", path, why)
        return None
    return path if os.access(path, os.W_OK) else None


def unsafe(info: os.stat_result, *, root_may_own: bool = False) -> str:
    """Why a cache folder or file is not safe to trust, or "". `root_may_own`: a file root owns is trusted too (as
    an installed package's own files are: the built-in templates' compiled code)."""
    if hasattr(os, "geteuid") and info.st_uid != os.geteuid() and not (root_may_own and info.st_uid == 0):
        return "owned by another user"
    if info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        return "writable by other users"
    return ""


def folder(kind: str) -> Path | None:
    """The cache's folder for one kind of entry, created if needed; None when the cache is off or unusable.
    Decided once per cache folder, kind and process (a build asks for it hundreds of times)."""
    base = root()
    return None if base is None else _kind_folder(base, kind)


@functools.cache
def _kind_folder(base: Path, kind: str) -> Path | None:
    path = base / f"{kind}-{__version__}"
    try:
        path.mkdir(exist_ok=True, mode=0o700)
        if unsafe(path.stat()):
            return None
    except OSError:
        return None
    return path if os.access(path, os.W_OK) else None


def _key() -> bytes | None:
    """The cache's secret signing key, made on first use (0600); None if it cannot be made or is not private."""
    base = root()
    return None if base is None else _key_in(base)


@functools.cache
def _key_in(base: Path) -> bytes | None:
    path = base / _KEY_NAME
    with contextlib.suppress(FileExistsError, OSError):
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(secrets.token_bytes(_KEY_BYTES))
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        with os.fdopen(fd, "rb") as handle:
            info = os.fstat(handle.fileno())
            key = handle.read(_KEY_BYTES + 1)
    except OSError:
        return None
    if unsafe(info) or info.st_mode & 0o077 or not stat.S_ISREG(info.st_mode) or len(key) != _KEY_BYTES:
        return None
    return key


def _signature(key: bytes, context: str, payload: bytes) -> bytes:
    return hmac.new(key, context.encode("utf-8") + b"\0" + payload, hashlib.sha256).digest()


def read_signed(entry: Path, context: str) -> bytes | None:
    """An entry file's payload if it was written by `write_signed` of this cache for the same context, else None."""
    try:
        data = entry.read_bytes()
    except OSError:
        return None
    return _verified(data, context)


def write_signed(entry: Path, context: str, payload: bytes) -> None:
    """Store a payload in a file with this cache's signature for `context`; quietly nothing if it cannot be
    stored."""
    data = _signed(context, payload)
    if data is not None:
        _store(entry, data)


def _signed(context: str, payload: bytes) -> bytes | None:
    """A payload with this cache's signature for `context` before it, or None without a signing key."""
    key = _key()
    return None if key is None else _MAGIC + _signature(key, context, payload) + payload


def _verified(data: bytes, context: str) -> bytes | None:
    """The payload of `_signed`'s bytes if they are signed by this cache for `context`, else None."""
    key = _key()
    mac_end = len(_MAGIC) + hashlib.sha256().digest_size
    if key is None or not data.startswith(_MAGIC) or len(data) < mac_end:
        return None
    payload = data[mac_end:]
    return payload if hmac.compare_digest(data[len(_MAGIC):mac_end], _signature(key, context, payload)) else None


def load_hyphenation(languages: set[str]) -> None:
    """Put the parsed hyphenation patterns for these languages into pyphen's own cache (pyphen.hdcache), as
    `hyphenation.Patterns` (which never break a capitalised word), from this cache when they were parsed before
    (parsing a dictionary takes about 0.1 s; loading it, a few ms)."""
    import pyphen  # type: ignore[import-untyped]

    from publish.present import hyphenation

    path = folder("hyphenation") if speedups.on("cache") else None
    for language in languages:
        name = hyphenation.dictionary(language)
        if name is None:
            continue
        dictionary = Path(pyphen.LANGUAGES[name])
        if isinstance(pyphen.hdcache.get(dictionary), hyphenation.Patterns):
            continue
        try:
            info = dictionary.stat()
        except OSError:
            continue
        key = hashlib.sha256(f"{dictionary}|{info.st_size}|{info.st_mtime_ns}|{pyphen.__version__}".encode())
        entry = path / f"{name}-{key.hexdigest()[:16]}.json" if path is not None else None
        patterns = _patterns_from(_read_json(entry), pyphen) if entry is not None else None
        if patterns is None:
            patterns = hyphenation.Patterns(dictionary)
            if entry is not None:
                _store(entry, json.dumps(_patterns_as_data(patterns), ensure_ascii=False,
                                         separators=(",", ":")).encode("utf-8"))
        patterns.keep_capitalised = hyphenation.capitals_are_names(name)
        pyphen.hdcache[dictionary] = patterns


def _patterns_as_data(patterns: Any) -> dict[str, Any]:
    """pyphen's parsed patterns as plain JSON data: each pattern's start and values (a value with a nonstandard
    hyphenation as [value, change, index, cut])."""
    rows = []
    for tag, (start, values) in patterns.patterns.items():
        rows.append([tag, start, [[int(v), *v.data] if getattr(v, "data", None) else int(v) for v in values]])
    return {"maxlen": patterns.maxlen, "patterns": rows}


def _patterns_from(data: Any, pyphen: Any) -> Any:
    """A pyphen HyphDict from `_patterns_as_data`'s form; None for anything else (a damaged or foreign entry)."""
    if not isinstance(data, dict) or not isinstance(data.get("maxlen"), int) \
            or not isinstance(data.get("patterns"), list) or not data["patterns"]:
        return None
    table: dict[str, tuple[int, tuple[int, ...]]] = {}
    for row in data["patterns"]:
        if not (isinstance(row, list) and len(row) == 3 and isinstance(row[0], str) and isinstance(row[1], int)
                and isinstance(row[2], list)):
            return None
        values: list[int] = []
        for value in row[2]:
            if type(value) is int:
                values.append(value)
            elif (isinstance(value, list) and len(value) == 4 and type(value[0]) is int and isinstance(value[1], str)
                  and type(value[2]) is int and type(value[3]) is int):
                values.append(pyphen.DataInt(value[0], (value[1], value[2], value[3])))
            else:
                return None
        table[row[0]] = (row[1], tuple(values))
    from publish.present import hyphenation

    patterns = hyphenation.Patterns.__new__(hyphenation.Patterns)
    patterns.patterns, patterns.cache, patterns.maxlen = table, {}, data["maxlen"]
    return patterns


def _read_json(entry: Path) -> Any:
    try:
        return json.loads(entry.read_bytes())
    except (OSError, ValueError, RecursionError):
        return None


def _store(entry: Path, data: bytes) -> None:
    """Write an entry so a reader never sees half of it (`write_atomically`)."""
    try:
        write_atomically(entry, data)
    except FileNotFoundError:  # its folder removed meanwhile (`publish cache clear`): made again next time
        _kind_folder.cache_clear()
    except OSError:
        pass


def write_atomically(path: Path, data: bytes, mode: int | None = None) -> None:
    """Write a file through a temporary file beside it and a rename, so a reader never sees half of it (with `mode`,
    the file's permissions; else the temporary file's, readable by this user only). OSError if it cannot be written;
    no temporary file is left."""
    # a unique name: builds on other machines sharing the folder may have the same process id
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.{os.getpid()}.", suffix=".tmp")
    temporary = Path(name)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        if mode is not None:
            os.chmod(temporary, mode)
        os.replace(temporary, path)
    except OSError:
        temporary.unlink(missing_ok=True)
        raise


# --- per-article entries: parsed models and rendered pieces ---------------------------------------------------

DEFAULT_CAP_MB = 512
"""The cache's default size cap; PUBLISH_CACHE_MAX_MB changes it (the least recently used entries go first)."""
CAP_ENV = "PUBLISH_CACHE_MAX_MB"
LIBRARIES = ("markdown-it-py", "mdit-py-plugins", "PyYAML", "nh3", "Jinja2", "MarkupSafe", "ebooklib", "lxml", "Pillow",
             "pyphen", "langcodes")
"""The libraries whose versions are part of every per-article entry's key."""
ARTICLE_KINDS = ("models", "pieces", "documents", "languages", "pages")
"""The kinds of entry kept under the size cap: each read article's model (JSON), each article's rendered piece per
format, whole-document results (a digest's EPUB, a collection's near-duplicate verdict), the language tags
langcodes knew, and the parts of collections' PDFs (each part's layout report and its written pages)."""


def turn_off() -> None:
    """Use no cache in this process (a batch worker for `publish build --no-cache`)."""
    global _turned_off
    _turned_off = True


@contextlib.contextmanager
def turned_off() -> Iterator[None]:
    """No cache while the block runs (`publish build --no-cache`): everything is read and rendered afresh."""
    global _turned_off
    before = _turned_off
    _turned_off = True
    try:
        yield
    finally:
        _turned_off = before


def fingerprint(*parts: str | bytes) -> str:
    """A SHA-256 over the parts, each length-prefixed so no two lists of parts give the same hash."""
    digest = hashlib.sha256()
    for part in parts:
        data = part.encode("utf-8") if isinstance(part, str) else part
        digest.update(len(data).to_bytes(8, "big"))
        digest.update(data)
    return digest.hexdigest()


@functools.cache
def code_version() -> str:
    """publish's version, a hash of its own code and the versions of the libraries it reads and renders with, so
    an entry made by other code (a development checkout changed since, an upgraded parser) is never used."""
    package = Path(__file__).resolve().parent.parent
    parts: list[str | bytes] = [__version__, *installed(LIBRARIES)]
    for source in sorted(package.rglob("*.py")):
        with contextlib.suppress(OSError):
            parts += [str(source.relative_to(package)), source.read_bytes()]
    return fingerprint(*parts)


def installed(libraries: tuple[str, ...]) -> list[str]:
    """The installed versions of these libraries, as their dist-info folders on sys.path name them (one directory
    listing per path entry: importlib.metadata takes tens of milliseconds for the same)."""
    import sys

    wanted = {re.sub(r"[-_.]+", "_", name).lower() for name in libraries}
    found = []
    for entry in sys.path:
        try:
            names = os.listdir(entry or ".")
        except OSError:
            continue
        for name in names:
            if name.endswith(".dist-info") and re.sub(r"[-_.]+", "_", name.split("-", 1)[0]).lower() in wanted:
                found.append(name)
    return sorted(found)


def reader_version(module: str) -> str:
    """A reader's version for its cache key: publish's code for a built-in reader, else the plugin module's bytes."""
    if module.startswith("publish."):
        return code_version()
    import importlib.util

    try:
        spec = importlib.util.find_spec(module)
        origin = Path(spec.origin).read_bytes() if spec is not None and spec.origin else b""
    except (ImportError, ValueError, OSError):
        origin = b""
    return fingerprint(module, origin, code_version())


def folder_contents(folders: tuple[Path, ...]) -> str:
    """A hash of every file under the folders (names and bytes): a changed template or theme file changes it.

    A process works it out again only when a file under the folders was added, removed, replaced or changed since
    (its modification time in nanoseconds, size or inode moved; `_stamps`): a batch's worker asked for it once an
    input, and reading and hashing every template took a tenth of a one-article EPUB's time."""
    stamps = _stamps(folders)
    known = _CONTENTS.get(folders)
    if known is not None and known[0] == stamps:
        return known[1]
    digest = _folder_contents(folders)
    if len(_CONTENTS) >= 16:
        _CONTENTS.clear()
    _CONTENTS[folders] = (stamps, digest)
    return digest


_CONTENTS: dict[tuple[Path, ...], tuple[frozenset[tuple[str, int, int, int]], str]] = {}
"""`folder_contents` of the folders this process asked about: their files' stamps, and the hash."""


def _stamps(folders: tuple[Path, ...]) -> frozenset[tuple[str, int, int, int]]:
    """Every file under the folders that `_folder_contents` reads, and more: (path, modification time in
    nanoseconds, size, inode), through symbolic links to files but not into linked folders, as `Path.rglob`."""
    stamps: set[tuple[str, int, int, int]] = set()
    waiting = [str(base) for base in folders]
    while waiting:
        with contextlib.suppress(OSError), os.scandir(waiting.pop()) as entries:
            for entry in entries:
                with contextlib.suppress(OSError):
                    if entry.is_dir() and not entry.is_symlink():
                        if entry.name != "__pycache__":  # (compiled templates: not part of the hash)
                            waiting.append(entry.path)
                    elif entry.is_file():
                        info = entry.stat()
                        stamps.add((entry.path, info.st_mtime_ns, info.st_size, info.st_ino))
    return frozenset(stamps)


def _folder_contents(folders: tuple[Path, ...]) -> str:
    parts: list[str | bytes] = []
    for base in folders:
        parts.append(str(base))
        if not base.is_dir():
            continue
        for path in sorted(p for p in base.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
            with contextlib.suppress(OSError):
                parts += [str(path.relative_to(base)), path.read_bytes()]
    return fingerprint(*parts)


DATABASE = "entries.sqlite"
"""The file in the cache folder holding every entry `get` and `put` keep (per-article models and pieces, whole
documents, PDF pages, language tags, plugin tables): one SQLite database, not a file per entry. A file each cost
its making (on the benchmark machine 0.02-0.5 ms of kernel time, with the folder; a cold build of 200 articles
made 400) and a look at every file to learn the cache's size (benchmarks/cache_scale.py)."""
BUSY_SECONDS = 10.0
"""How long a statement waits for another process's transaction (one entry, or a build's entries up to DEFER_BYTES:
milliseconds to tens of them) before the cache gives up on it: a miss, or entries not kept."""
TOUCH_AFTER = 600.0
"""Seconds an entry's use time may lag before reading it refreshes it (for the size cap): a rebuild soon after
a build reads without writing."""
_SCHEMA = ("CREATE TABLE IF NOT EXISTS entries (kind TEXT NOT NULL, key TEXT NOT NULL, data BLOB NOT NULL, "
           "size INTEGER NOT NULL, used REAL NOT NULL, PRIMARY KEY (kind, key))")
LAYOUT = 1
"""The database's layout (its `user_version`): a publish finding another layout leaves that database alone and
works without the cache."""
_BY_USE = "CREATE INDEX IF NOT EXISTS entries_by_use ON entries (used, kind, size)"
"""What pruning reads (the total size, then the least recently used first): the index alone, not every entry."""
_held = threading.local()
"""`database`: (cache folder, process id, connection) of this thread's connection to the entries' database."""
_inherited: list[sqlite3.Connection] = []
"""Connections a forked process found open in its parent: never used (SQLite forbids carrying one across fork)
nor closed (closing could release what the parent holds), only kept from the garbage collector."""


def _database() -> sqlite3.Connection | None:
    """This thread's connection to the cache's entries database, opened (and the database made) on first use in
    this process and cache folder; None when the cache is off or the database cannot be opened."""
    base = root()
    if base is None:
        return None
    held = getattr(_held, "database", None)
    if held is not None:
        folder_of, pid, connection = held
        if pid != os.getpid():
            _inherited.append(connection)
        elif folder_of == base:
            return connection  # type: ignore[no-any-return]
        else:  # another cache folder (PUBLISH_CACHE_DIR changed): one connection per thread at a time
            with contextlib.suppress(sqlite3.Error):
                connection.close()
        _held.database = None
    connection = _connect(base / DATABASE)
    if connection is not None:
        _held.database = (base, os.getpid(), connection)
    return connection


def _connect(path: Path) -> sqlite3.Connection | None:
    """A connection to the entries database at `path`, made private on creation; a damaged database is removed
    and made anew (its entries were only time saved)."""
    for attempt in range(2):
        connection = None
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0), 0o600)
            info = os.fstat(fd)
            os.close(fd)
            if unsafe(info) or not stat.S_ISREG(info.st_mode):
                return None
            connection = sqlite3.connect(path, timeout=BUSY_SECONDS, isolation_level=None)
            connection.execute("PRAGMA journal_mode=PERSIST")  # the journal file made once, not per write, and
            connection.execute("PRAGMA journal_size_limit=1048576")  # cut back after a large transaction (a prune)
            connection.execute("PRAGMA synchronous=OFF")  # a cache: a crash of the machine costs it, no output
            connection.execute("PRAGMA auto_vacuum=INCREMENTAL")  # (taken when the database is new) pruning frees space
            ((layout,),) = connection.execute("PRAGMA user_version").fetchall()
            if layout not in (0, LAYOUT):  # a later publish's database: its entries are not for this one, nor is
                connection.close()        # anything of this one's added to it
                return None
            connection.execute(_SCHEMA)
            connection.execute(_BY_USE)
            if layout == 0:
                connection.execute(f"PRAGMA user_version = {LAYOUT}")
            return connection
        except (OSError, sqlite3.Error) as exc:
            if connection is not None:
                connection.close()
            if attempt or not _damaged(exc, path):
                return None
    return None


def _damaged(exc: BaseException, path: Path | None = None) -> bool:
    """Whether an error says the entries database is damaged (not a database, or malformed); if so, it is removed
    (this process's connection closed), to be made anew by the next connection."""
    if getattr(exc, "sqlite_errorcode", None) not in (sqlite3.SQLITE_NOTADB, sqlite3.SQLITE_CORRUPT):
        return False
    held = getattr(_held, "database", None)
    if held is not None and held[1] == os.getpid():
        with contextlib.suppress(sqlite3.Error):
            held[2].close()
        path = path or held[0] / DATABASE
    _held.database = None
    if path is not None:
        for name in (path, path.with_name(path.name + "-journal")):
            with contextlib.suppress(OSError):
                name.unlink()
    return True


def _versioned(kind: str) -> str:
    return f"{kind}-{__version__}"


def get(kind: str, key: str) -> bytes | None:
    """A signed entry's payload (its use time refreshed now and then, for the size cap), or None."""
    database = _database()
    if database is None:
        return None
    kind = _versioned(kind)
    waiting = _waiting()
    if waiting is not None and (kind, key) in waiting:
        return _verified(waiting[kind, key], f"{kind}|{key}")
    try:
        rows = database.execute("SELECT data, used FROM entries WHERE kind = ? AND key = ?", (kind, key)).fetchall()
    except sqlite3.Error as exc:  # (every statement is stepped to its end: no lock is held after it, nor at a fork)
        _damaged(exc)
        return None
    if not rows or not isinstance(rows[0][0], bytes):
        return None
    row = rows[0]
    payload = _verified(row[0], f"{kind}|{key}")
    now = time.time()
    if payload is not None and not now - TOUCH_AFTER < row[1] <= now:
        if waiting is not None:  # refreshed with the entries written at the end
            _deferred.touched.add((kind, key))
        else:
            with contextlib.suppress(sqlite3.Error):
                database.execute("UPDATE entries SET used = ? WHERE kind = ? AND key = ?", (now, kind, key))
    return payload


def put(kind: str, key: str, payload: bytes) -> None:
    """Store a signed entry in a transaction (concurrent builds never see half of one): now, or while `deferred`
    runs, with the others at its end; quietly nothing if it cannot be stored."""
    database = _database()
    kind = _versioned(kind)
    data = _signed(f"{kind}|{key}", payload)
    if database is None or data is None:
        return
    waiting = _waiting()
    if waiting is None:
        _insert(database, [(kind, key, data)])
        return
    waiting[kind, key] = data
    _deferred.size += len(data)
    if _deferred.size > DEFER_BYTES:  # written now, to keep this process's memory bounded
        _insert(database, [(kind, key, data) for (kind, key), data in waiting.items()])
        waiting.clear()
        _deferred.size = 0


def _insert(database: sqlite3.Connection, rows: list[tuple[str, str, bytes]],
            touched: set[tuple[str, str]] | frozenset[tuple[str, str]] = frozenset()) -> None:
    """Store entries, and refresh the use time of those `touched`, in one transaction."""
    now = time.time()
    try:
        with database:  # one transaction
            database.execute("BEGIN IMMEDIATE")
            database.executemany("INSERT OR REPLACE INTO entries VALUES (?, ?, ?, ?, ?)",
                                 [(kind, key, data, len(data), now) for kind, key, data in rows])
            database.executemany("UPDATE entries SET used = ? WHERE kind = ? AND key = ?",
                                 [(now, kind, key) for kind, key in touched])
    except sqlite3.Error as exc:  # busy past BUSY_SECONDS, a full disk, a read-only folder...
        _damaged(exc)


_deferred = threading.local()
"""While `deferred` runs in a thread: `entries` stored meanwhile (by kind and key, to be written at its end), their
`size`, the entries read whose use time is to be refreshed (`touched`), and the process deferring (`by`): a
process forked meanwhile writes its own entries as they come."""
DEFER_BYTES = 16 * 1024 * 1024
"""The most entries' bytes a thread keeps waiting to be written: past it, they are written at once."""


def _waiting() -> dict[tuple[str, str], bytes] | None:
    """The entries waiting to be written by this thread's `deferred`, or None when it is not deferring."""
    if getattr(_deferred, "by", 0) != os.getpid():
        return None
    entries: dict[tuple[str, str], bytes] = _deferred.entries
    return entries


@contextlib.contextmanager
def deferred() -> Iterator[None]:
    """Entries stored in this thread while the block runs are written when it ends (or every DEFER_BYTES), in
    one transaction with the use times of the entries it read: one lock taken, not one per entry. For work whose
    entries no other process reads until it has finished: a build (read by the next build), a forked share of
    publish.build.ahead (read by the build once the share has exited; a share writing each entry in turn while
    the build wrote its own made each wait for the other's lock). Meanwhile this thread finds them as if they
    were written; a process it forks does not."""
    if _waiting() is not None:  # already deferring: the outer block writes them
        yield
        return
    _deferred.entries, _deferred.size, _deferred.touched, _deferred.by = {}, 0, set(), os.getpid()
    try:
        yield
    finally:
        pending, touched = _deferred.entries, _deferred.touched
        _deferred.entries, _deferred.size, _deferred.touched, _deferred.by = {}, 0, set(), 0
        database = _database()
        if (pending or touched) and database is not None:
            _insert(database, [(kind, key, data) for (kind, key), data in pending.items()], touched)


def get_json(kind: str, key: str) -> Any:
    """A signed JSON entry as data, or None."""
    payload = get(kind, key)
    if payload is None:
        return None
    try:
        return json.loads(payload)
    except (ValueError, RecursionError):
        return None


def put_json(kind: str, key: str, data: Any) -> None:
    """Store plain data as a signed JSON entry."""
    put(kind, key, json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))


def cap_bytes() -> int:
    """The cache's size cap in bytes (PUBLISH_CACHE_MAX_MB, else 512 MiB)."""
    configured = os.environ.get(CAP_ENV, "").strip()
    try:
        megabytes = float(configured) if configured else DEFAULT_CAP_MB
    except ValueError:
        megabytes = DEFAULT_CAP_MB
    return max(0, int(megabytes * 1024 * 1024))


STORED_KINDS = (*ARTICLE_KINDS, "plugins")
"""The kinds of entry kept in the database (`get` and `put`); before it, each was a file under a folder of the
kind's name and publish's version."""


def _remove_entry_files() -> None:
    """Remove the folders where the database's kinds of entry were files (a cache made by publish before the
    database): nothing reads them, and nothing else would ever remove them."""
    base = root()
    if base is None:
        return
    for kind in STORED_KINDS:
        for path in base.glob(f"{kind}-*"):
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path, ignore_errors=True)


def prune(cap: int | None = None) -> int:
    """Remove the least recently used per-article entries until the cache is under its cap (to 80% of it, so
    builds do not prune on every run), and give the space they held back to the file system; the number removed.
    Another build's entries in use are safe to remove: a missing entry is only a miss. Entry files of a cache made
    before the database are removed too."""
    limit = cap_bytes() if cap is None else cap
    database = _database()
    if database is None:
        return 0
    _remove_entry_files()
    capped = f"substr(kind, 1, instr(kind, '-') - 1) IN ({', '.join('?' * len(ARTICLE_KINDS))})"
    try:
        ((total,),) = database.execute(f"SELECT coalesce(sum(size), 0) FROM entries WHERE {capped}",
                                       ARTICLE_KINDS).fetchall()
        if total <= limit:
            return 0
        doomed = []
        for kind, key, size in database.execute(f"SELECT kind, key, size FROM entries WHERE {capped} ORDER BY used",
                                                ARTICLE_KINDS).fetchall():
            if total <= limit * 0.8:
                break
            doomed.append((kind, key))
            total -= size
        with database:  # one transaction
            database.execute("BEGIN IMMEDIATE")
            database.executemany("DELETE FROM entries WHERE kind = ? AND key = ?", doomed)
        database.executescript("PRAGMA incremental_vacuum;")  # (execute() would free one page)
    except sqlite3.Error:
        return 0
    return len(doomed)


@dataclass(frozen=True, slots=True)
class CacheInfo:
    """What `publish cache info` shows."""

    folder: Path | None
    """The cache folder, or None when the cache is off or unusable."""
    entries: dict[str, tuple[int, int]]
    """Per kind of entry: how many, and their size in bytes."""
    cap: int
    """The size cap of the per-article entries, in bytes."""


def info() -> CacheInfo:
    """The cache's folder, entries per kind and size cap."""
    base = root()
    counts: dict[str, tuple[int, int]] = {}
    if base is not None:
        for path in sorted(base.iterdir()):
            if path.is_dir():
                files = [p for p in path.rglob("*") if p.is_file()]
                kind = path.name.rsplit("-", 1)[0]
                number, size = counts.get(kind, (0, 0))
                counts[kind] = (number + len(files), size + sum(p.stat().st_size for p in files))
        database = _database()
        with contextlib.suppress(sqlite3.Error):
            for kind, number, size in (() if database is None else database.execute(
                    "SELECT kind, count(*), sum(size) FROM entries GROUP BY kind").fetchall()):
                kind = kind.rsplit("-", 1)[0]
                before = counts.get(kind, (0, 0))
                counts[kind] = (before[0] + number, before[1] + size)
    return CacheInfo(base, counts, cap_bytes())


def clear() -> int:
    """Remove every entry (and the signing key, made anew on next use); the number of entries removed."""
    base = root()
    if base is None:
        return 0
    removed = 0
    database = _database()
    with contextlib.suppress(sqlite3.Error):
        if database is not None:
            ((removed,),) = database.execute("SELECT count(*) FROM entries").fetchall()
            database.close()
    _held.database = None
    for path in list(base.iterdir()):
        if path.is_dir() and not path.is_symlink():
            removed += sum(1 for p in path.rglob("*") if p.is_file())
            shutil.rmtree(path, ignore_errors=True)
        elif path.name in (_KEY_NAME, "pruned", DATABASE, f"{DATABASE}-journal") or path.name.endswith(".tmp"):
            with contextlib.suppress(OSError):
                path.unlink()
                removed += path.name not in (DATABASE, f"{DATABASE}-journal")
    _key_in.cache_clear()
    _kind_folder.cache_clear()
    return removed


class _Recorder(logging.Handler):
    """Keeps the warnings a reader gives, so a model read from the cache gives them again."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.said: list[list[Any]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.said.append([record.name, record.levelno, record.getMessage()])


def cached_reading(source_name: str, data: bytes, charset: str | None, reader: str, module: str,
                   read: Callable[[], Reading]) -> Reading:
    """The reading of an input: from the cache when these bytes were read by this reader's code before (its
    warnings said again), else read now and stored as JSON."""
    if root() is None:
        return read()
    from publish import readers
    from publish.errors import ModelError
    from publish.model import jsonform

    key = fingerprint("model", reader, reader_version(module), source_name, charset or "", data)
    payload = get("models", key)
    try:
        found = json.loads(payload) if payload is not None else None
    except (ValueError, RecursionError):
        found = None
    if isinstance(found, dict) and payload is not None:
        try:
            reading = readers.Reading(jsonform.from_trusted_data(found["article"]),  # signed: this code wrote it
                              tuple(readers.Dropped(*row) for row in found["dropped"]),
                              tuple(readers.Inferred(*row) for row in found["inferred"]))
            said = [(str(name), int(level), str(message)) for name, level, message in found["said"]]
            probed = [(str(path), bool(was)) for path, was in found.get("probed", [])]
        except (KeyError, TypeError, ValueError, ModelError):
            pass
        else:
            if any(Path(path).is_file() != was for path, was in probed):  # a file it looked for came or went
                return _read_and_store(key, read)
            for name, level, message in said:
                logging.getLogger(name).log(level, "%s", message)
            if reading.article.meta.language == found["article"]["meta"]["language"]:  # the form read is its own
                _remember_form(reading.article, _stored_form(payload) or _compact(found["article"]))
            _remember_extras(reading.article, found.get("extras"))
            return reading
    return _read_and_store(key, read)


def _read_and_store(key: str, read: Callable[[], Reading]) -> Reading:
    from publish.model import jsonform

    _missed()
    readings = _probed_by_thread.__dict__.setdefault("readings", [])
    readings.append([])
    try:
        with recording() as recorder:
            reading = read()
    finally:
        probed = readings.pop()
    article = jsonform.to_data(reading.article)
    _remember_form(reading.article, _compact(article))
    extras = {name: make(reading.article) for name, make in _EXTRAS.items()}
    _remember_extras(reading.article, extras)
    put_json("models", key, {"article": article,
                             "dropped": [[d.line, d.text, d.reason] for d in reading.dropped],
                             "inferred": [[i.line, i.text, i.role] for i in reading.inferred],
                             "said": recorder.said,
                             "probed": [[path, was] for path, was in dict.fromkeys(probed)],
                             "extras": extras})
    return reading


_EXTRAS: dict[str, Callable[[Any], str]] = {}
"""What is worked out from each article read and kept in its models entry beside it, by name (see
`keep_with_readings`)."""
_KEPT: dict[int, tuple[Any, dict[str, str]]] = {}
"""The extras of each article read in this process, by the article's identity (as `_FORMS`)."""


def keep_with_readings(name: str, make: Callable[[Any], str]) -> None:
    """From now on, work out `make(article)` for each article this process reads (a text; the name should change
    with what it means) and keep it with the reading in the cache, so that an article read from the cache has it
    without working it out again (`with_reading`). A collection's near-duplicate check registers its stories'
    shingles so: a forked reader works them out beside the others, and a rebuild after one story changed works
    out only that story's."""
    _EXTRAS[name] = make


def with_reading(article: Any, name: str) -> str | None:
    """What `keep_with_readings` kept under `name` for an article read in this process (from the cache or not), or
    None (read before the name was registered, or not read: then the caller works it out)."""
    known = _KEPT.get(id(article))
    if known is None or known[0] is not article:
        return None
    return known[1].get(name)


def _remember_extras(article: Any, extras: Any) -> None:
    if not isinstance(extras, dict) or not extras:
        return
    if len(_KEPT) >= MAX_FORMS:
        _KEPT.clear()
    _KEPT[id(article)] = (article, {str(name): value for name, value in extras.items() if isinstance(value, str)})


_probed_by_thread = threading.local()
"""`readings`: for each reading under way in this thread (the innermost last), the files it looked for and whether
each was there."""


def file_found(path: Path) -> bool:
    """Whether `path` is a file, noted for the reading under way: its model is taken from the cache again only
    while every file it looked for is still there, or still missing (an image copied beside a saved page after
    the page was first read shows in the next build)."""
    found = path.is_file()
    readings: list[list[tuple[str, bool]]] = _probed_by_thread.__dict__.get("readings", [])
    if readings:
        readings[-1].append((str(path.absolute()), found))
    return found


def _stored_form(payload: bytes) -> str:
    """The article's compact JSON form as a models entry holds it: its payload is `{"article":FORM,"dropped":...}`
    written compact, so the form is the text between (a quote inside the article's strings is escaped, so
    `,"dropped":[` cannot occur in it); "" if the payload is not of that shape."""
    head = b'{"article":'
    end = payload.rfind(b',"dropped":[')
    return payload[len(head):end].decode("utf-8") if payload.startswith(head) and end > len(head) else ""


_FORMS: dict[int, tuple[Any, str]] = {}
"""The JSON form of each article read in this process, by the article's identity (kept with it, so the identity
stays its own): a piece's key hashes the form, which reading the article made already."""
MAX_FORMS = 2_000
"""The most forms remembered: a long-running process (`publish serve`, a batch worker) reads many articles, and
forgets them all at this count (a collection of more costs their forms worked out again, never a wrong one)."""


def _remember_form(article: Any, form: str) -> None:
    if len(_FORMS) >= MAX_FORMS:
        _FORMS.clear()
    _FORMS[id(article)] = (article, form)


def _compact(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def article_form(article: Any) -> str:
    """The article's JSON form (publish.model.jsonform), compact: what a piece's key hashes. An article read in this
    process (and not changed since: the model is frozen) has it already."""
    known = _FORMS.get(id(article))
    if known is not None and known[0] is article:
        return known[1]
    from publish.model import jsonform

    return _compact(jsonform.to_data(article))


def theme_version(theme: Any, builtin_templates: Path) -> str:
    """A theme's part of a piece's key: its tokens, every file of its folders and template folders, and the
    built-in templates. Computed once per render of a document (a theme edited between builds changes it)."""
    folders = tuple(dict.fromkeys((*theme.template_path, builtin_templates)))
    return fingerprint(repr(theme), folder_contents(folders))


def article_piece(kind: str, article: Any, theme_key: str, options: str, images: list[str],
                  make: Callable[[Callable[[str], Any]], str], image: Callable[[str], Any]) -> str:
    """An article's rendered piece (an EPUB chapter's XHTML...): from the cache when the same article was rendered
    with the same theme, templates, options, images and publish's code, else made now and stored.

    `make` renders the piece, calling its image callback for each image it shows; those calls are recorded and,
    on a cache hit, made again in the same order (so the package registers the same images in the same order)."""
    if root() is None:
        return make(image)
    key = fingerprint("piece", kind, code_version(), theme_key, options, article_form(article), *images)
    found = get_json("pieces", key)
    if isinstance(found, dict) and isinstance(found.get("text"), str) and isinstance(found.get("images"), list) \
            and all(isinstance(src, str) for src in found["images"]):
        for src in found["images"]:
            image(src)
        return str(found["text"])
    _missed()
    called: list[str] = []

    def noted(src: str) -> Any:
        called.append(src)
        return image(src)

    with recording() as recorder:
        made = make(noted)
    if not recorder.said:  # a piece whose making warned is made again next time, and warns again
        put_json("pieces", key, {"text": made, "images": called})
    return made


def misses() -> int:
    """How many articles' readings and pieces this process did not find in the cache (publish.build.ahead asks)."""
    return _misses


def _missed() -> None:
    global _misses
    _misses += 1


@contextlib.contextmanager
def recording() -> Iterator[_Recorder]:
    """The warnings publish's loggers, and WeasyPrint's (a PDF's), give while the block runs (they are also said
    as usual)."""
    recorder = _Recorder()
    loggers = [logging.getLogger("publish"), logging.getLogger("weasyprint")]
    for logger in loggers:
        logger.addHandler(recorder)
    try:
        yield recorder
    finally:
        for logger in loggers:
            logger.removeHandler(recorder)


PRUNE_EVERY = 300.0
"""Seconds between two size checks of the cache (each looks at every entry's size and use time)."""


def prune_now_and_then() -> None:
    """Keep the cache under its cap, checking at most every few minutes (a stamp file says when it last did)."""
    base = root()
    if base is None:
        return
    stamp = base / "pruned"
    try:
        if time.time() - stamp.stat().st_mtime < PRUNE_EVERY:
            return
    except OSError:
        pass
    with contextlib.suppress(OSError):
        stamp.touch()
        prune()
