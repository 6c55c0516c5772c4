"""The cache's entries database read from the tests as a curious user would with `sqlite3`: which entries a build
stored, and an entry changed behind the cache's back."""

from __future__ import annotations

import contextlib
import sqlite3
from pathlib import Path

from publish.build import cache


def entries(cache_dir: Path, kind: str) -> dict[str, bytes]:
    """The entries of one kind ("models", "pieces", "documents", "pages", "plugins"...) in a cache folder: each
    key's stored bytes (signature and payload); none when the database is not there."""
    path = cache_dir / cache.DATABASE
    if not path.is_file():
        return {}
    with contextlib.closing(sqlite3.connect(path)) as database:
        return dict(database.execute("SELECT key, data FROM entries WHERE kind LIKE ?", (f"{kind}-%",)))


def change(cache_dir: Path, kind: str, key: str, *, data: bytes | None = None, used: float | None = None) -> None:
    """Change one entry's stored bytes or its last use time, as something other than publish would."""
    with contextlib.closing(sqlite3.connect(cache_dir / cache.DATABASE)) as database, database:
        if data is not None:
            database.execute("UPDATE entries SET data = ? WHERE kind LIKE ? AND key = ?", (data, f"{kind}-%", key))
        if used is not None:
            database.execute("UPDATE entries SET used = ? WHERE kind LIKE ? AND key = ?", (used, f"{kind}-%", key))


def used(cache_dir: Path, kind: str, key: str) -> float:
    """When an entry was last used, as the database says."""
    with contextlib.closing(sqlite3.connect(cache_dir / cache.DATABASE)) as database:
        ((when,),) = database.execute("SELECT used FROM entries WHERE kind LIKE ? AND key = ?",
                                      (f"{kind}-%", key)).fetchall()
    return float(when)


def kinds(cache_dir: Path) -> set[str]:
    """The kinds of entry a cache folder holds: its folders' (compiled templates, hyphenation patterns) and its
    database's."""
    found = {path.name.rsplit("-", 1)[0] for path in cache_dir.glob("*-*") if path.is_dir()}
    path = cache_dir / cache.DATABASE
    if path.is_file():
        with contextlib.closing(sqlite3.connect(path)) as database:
            found |= {kind.rsplit("-", 1)[0] for (kind,) in database.execute("SELECT DISTINCT kind FROM entries")}
    return found
