"""A per-user cache of work that is the same from run to run: compiled templates and parsed hyphenation patterns.

It lives in $PUBLISH_CACHE_DIR, else $XDG_CACHE_HOME/publish, else ~/.cache/publish; PUBLISH_CACHE_DIR=off
turns it off. Entries are keyed by their sources (a template's checksum, a dictionary file's path, size and
modification time, and the library versions), so a stale entry is never used. Like Python's own __pycache__, the
entries are code and data for this user only: the folder is created private to the user. Any problem with the
cache (a read-only home, a full disk) only costs the time it would have saved.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pickle
from pathlib import Path
from typing import Any

import jinja2

from publish import __version__

OFF = {"off", "0", "no", "false"}


def folder(kind: str) -> Path | None:
    """The cache's folder for one kind of entry, created if needed; None when the cache is off or unusable."""
    configured = os.environ.get("PUBLISH_CACHE_DIR", "").strip()
    if configured.lower() in OFF:
        return None
    if configured:
        root = Path(configured)
    else:
        base = os.environ.get("XDG_CACHE_HOME", "").strip()
        root = (Path(base) if base else Path.home() / ".cache") / "publish"
    path = root / f"{kind}-{__version__}"
    try:
        path.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError:
        return None
    return path if os.access(path, os.W_OK) else None


class TemplateCache(jinja2.FileSystemBytecodeCache):
    """Jinja2's bytecode cache, where failing to read or write an entry means compiling again, not an error."""

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        try:
            super().load_bytecode(bucket)
        except (OSError, EOFError, ValueError):
            bucket.reset()

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        with contextlib.suppress(OSError):
            super().dump_bytecode(bucket)


def template_cache() -> TemplateCache | None:
    """The bytecode cache for the Jinja2 environment, or None without a usable cache folder."""
    path = folder("templates")
    return TemplateCache(str(path)) if path is not None else None


def load_hyphenation(languages: set[str]) -> None:
    """Put the parsed hyphenation patterns for these languages into pyphen's own cache (pyphen.hdcache), from this
    cache when they were parsed before (parsing a dictionary takes about 0.1 s; loading it, a few ms)."""
    import pyphen  # type: ignore[import-untyped]

    path = folder("hyphenation")
    if path is None:
        return
    for language in languages:
        fallback = pyphen.language_fallback(language.replace("-", "_"))
        if fallback is None:
            continue
        dictionary = Path(pyphen.LANGUAGES[fallback])
        if dictionary in pyphen.hdcache:
            continue
        try:
            stat = dictionary.stat()
        except OSError:
            continue
        key = hashlib.sha256(f"{dictionary}|{stat.st_size}|{stat.st_mtime_ns}|{pyphen.__version__}".encode())
        entry = path / f"{fallback}-{key.hexdigest()[:16]}.pickle"
        patterns = _read(entry)
        if patterns is None:
            patterns = pyphen.HyphDict(dictionary)
            _write(entry, patterns)
        pyphen.hdcache[dictionary] = patterns


def _read(entry: Path) -> Any:
    try:
        with entry.open("rb") as handle:
            return pickle.load(handle)
    except (OSError, EOFError, pickle.UnpicklingError, AttributeError, ImportError, TypeError, ValueError):
        return None


def _write(entry: Path, value: Any) -> None:
    temporary = entry.with_suffix(f".{os.getpid()}.tmp")
    try:
        with temporary.open("wb") as handle:
            pickle.dump(value, handle, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(temporary, entry)
    except (OSError, pickle.PicklingError):
        temporary.unlink(missing_ok=True)
