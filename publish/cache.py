"""A per-user cache of work that is the same from run to run: compiled templates and parsed hyphenation patterns.

It lives in $PUBLISH_CACHE_DIR, else $XDG_CACHE_HOME/publish, else ~/.cache/publish; PUBLISH_CACHE_DIR=off
turns it off. Entries are keyed by their sources (a template's checksum, a dictionary file's path, size and
modification time, and the library versions), so a stale entry is never used.

Nothing read from the cache can run code unless the cache made it: the folder is used only when it belongs to
this user and no one else can write in it (else it is ignored, with one warning); hyphenation patterns are
stored as JSON, plain data; compiled templates are code by nature, so each entry carries an HMAC-SHA256 keyed by
a secret file the cache creates for itself (readable by this user only), and an entry without the right
signature is never loaded. Any problem with the cache (a read-only home, a full disk, a damaged, foreign or
stale entry) only costs the time it would have saved.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import hmac
import json
import logging
import marshal
import os
import secrets
import stat
import types
from pathlib import Path
from typing import Any

import jinja2

from publish import __version__, speedups

OFF = {"off", "0", "no", "false"}
log = logging.getLogger("publish")
_MAGIC = b"publish-cache-signed-1\n"
_KEY_NAME = "key"
_KEY_BYTES = 32


def root() -> Path | None:
    """The cache folder, created private if missing; None when the cache is off, unusable, or not safe to use
    (owned by another user, or writable by others: then one warning says so). Decided once per folder and
    process."""
    configured = os.environ.get("PUBLISH_CACHE_DIR", "").strip()
    if configured.lower() in OFF or not speedups.on("cache"):
        return None
    if configured:
        return _checked(Path(configured))
    base = os.environ.get("XDG_CACHE_HOME", "").strip()
    return _checked((Path(base) if base else Path.home() / ".cache") / "publish")


@functools.cache
def _checked(path: Path) -> Path | None:
    try:
        path.mkdir(parents=True, exist_ok=True, mode=0o700)
        info = path.stat()
    except OSError:
        return None
    unsafe = _unsafe(info)
    if unsafe:
        log.warning("the cache folder %s is %s, so it is not used (an entry planted there could run code); make "
                    "it yours and private (chmod go-w), or point PUBLISH_CACHE_DIR elsewhere", path, unsafe)
        return None
    return path if os.access(path, os.W_OK) else None


def _unsafe(info: os.stat_result) -> str:
    """Why a cache folder or file is not safe to trust, or ""."""
    if hasattr(os, "geteuid") and info.st_uid != os.geteuid():
        return "owned by another user"
    if info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        return "writable by other users"
    return ""


def folder(kind: str) -> Path | None:
    """The cache's folder for one kind of entry, created if needed; None when the cache is off or unusable."""
    base = root()
    if base is None:
        return None
    path = base / f"{kind}-{__version__}"
    try:
        path.mkdir(exist_ok=True, mode=0o700)
        if _unsafe(path.stat()):
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
    if _unsafe(info) or info.st_mode & 0o077 or not stat.S_ISREG(info.st_mode) or len(key) != _KEY_BYTES:
        return None
    return key


def _signature(key: bytes, context: str, payload: bytes) -> bytes:
    return hmac.new(key, context.encode("utf-8") + b"\0" + payload, hashlib.sha256).digest()


def read_signed(entry: Path, context: str) -> bytes | None:
    """An entry's payload if it was written by `write_signed` of this cache for the same context, else None."""
    key = _key()
    if key is None:
        return None
    try:
        data = entry.read_bytes()
    except OSError:
        return None
    mac_end = len(_MAGIC) + hashlib.sha256().digest_size
    if not data.startswith(_MAGIC) or len(data) < mac_end:
        return None
    payload = data[mac_end:]
    return payload if hmac.compare_digest(data[len(_MAGIC):mac_end], _signature(key, context, payload)) else None


def write_signed(entry: Path, context: str, payload: bytes) -> None:
    """Store a payload with this cache's signature for `context`; quietly nothing if it cannot be stored."""
    key = _key()
    if key is not None:
        _store(entry, _MAGIC + _signature(key, context, payload) + payload)


class TemplateCache(jinja2.BytecodeCache):
    """Jinja2's compiled templates, each entry signed by the cache: a missing, damaged, stale or foreign entry
    means compiling again, never loading code the cache did not write."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def _entry(self, bucket: jinja2.bccache.Bucket) -> tuple[Path, str]:
        return self.directory / f"{bucket.key}.code", f"template|{bucket.key}|{bucket.checksum}"

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        entry, context = self._entry(bucket)
        payload = read_signed(entry, context)
        if payload is None:
            return
        try:
            code = marshal.loads(payload)
        except (EOFError, ValueError, TypeError):
            return
        if isinstance(code, types.CodeType):
            bucket.code = code

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        if bucket.code is not None:
            entry, context = self._entry(bucket)
            write_signed(entry, context, marshal.dumps(bucket.code))


def template_cache() -> TemplateCache | None:
    """The bytecode cache for the Jinja2 environment, or None without a usable cache folder."""
    path = folder("templates")
    return TemplateCache(path) if path is not None else None


def load_hyphenation(languages: set[str]) -> None:
    """Put the parsed hyphenation patterns for these languages into pyphen's own cache (pyphen.hdcache), as
    `hyphenation.Patterns` (which never break a capitalised word), from this cache when they were parsed before
    (parsing a dictionary takes about 0.1 s; loading it, a few ms)."""
    import pyphen  # type: ignore[import-untyped]

    from publish import hyphenation

    path = folder("hyphenation")
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
    from publish import hyphenation

    patterns = hyphenation.Patterns.__new__(hyphenation.Patterns)
    patterns.patterns, patterns.cache, patterns.maxlen = table, {}, data["maxlen"]
    return patterns


def _read_json(entry: Path) -> Any:
    try:
        return json.loads(entry.read_bytes())
    except (OSError, ValueError, RecursionError):
        return None


def _store(entry: Path, data: bytes) -> None:
    """Write an entry through a temporary file and a rename, so a reader never sees half of it."""
    temporary = entry.with_name(f".{entry.name}.{os.getpid()}.tmp")
    try:
        with temporary.open("wb") as handle:
            handle.write(data)
        os.replace(temporary, entry)
    except OSError:
        temporary.unlink(missing_ok=True)
