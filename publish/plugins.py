"""Plugins: readers, backends and themes that other packages add through entry points, found and loaded lazily.

A package adds a reader, a backend or a theme by declaring an entry point in its `pyproject.toml`:

    [project.entry-points."publish.readers"]
    note = "newsroom_note:READER"          # a ReaderSpec: name, extensions, implementing module, summary
    [project.entry-points."publish.backends"]
    plaintext = "newsroom_note:BACKEND"    # a BackendSpec: name, extension, implementing module, summary
    [project.entry-points."publish.themes"]
    newsroom = "newsroom_note.theme"       # a package whose folder holds theme.toml

The entry point's name is the format's (or theme's) name, so names are known from the installed packages'
metadata without importing anything. A reader's or backend's entry point names a spec object in a small module
that imports nothing heavy: loading it gives the extensions and summary (for `publish formats` and for choosing a
reader by extension), while the module that does the work (the spec's `module`) is imported only when the format
is used. A theme's entry point names a package: its folder is the theme folder.
"""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Generic, Protocol, TypeVar

from publish.errors import FormatError

BUILTIN = "publish"
"""The package named as the origin of everything built in."""
GROUPS = ("publish.readers", "publish.backends", "publish.themes")
"""The entry point groups publish reads."""


@dataclass(frozen=True, slots=True)
class Plugin:
    """One entry point in a publish group: what a package declares, before anything of it is imported."""

    name: str
    """The entry point's name: the format's or theme's name."""
    value: str
    """What it names: "module:attribute" for a spec, "package" for a theme folder."""
    package: str
    """The distribution that declares it, as pip knows it ("publish-note-example")."""
    group: str
    """The entry point group: publish.readers, publish.backends or publish.themes."""

    def load(self) -> object:
        """Import what the entry point names; a failure is one line naming the plugin and its package."""
        from importlib.metadata import EntryPoint

        try:
            return EntryPoint(self.name, self.value, self.group).load()
        except Exception as exc:  # a broken plugin: ImportError, AttributeError, or whatever its module raised
            raise FormatError(f"plugin {self.name!r} ({self.group} = {self.value!r}, package {self.package}) cannot "
                              f"be loaded: {type(exc).__name__}: {exc}") from None

    def folder(self) -> Path:
        """The folder of the package the entry point names (a theme plugin's theme folder)."""
        import importlib.resources

        if ":" in self.value:
            raise FormatError(f"theme plugin {self.name!r} (package {self.package}) must name a package, "
                              f"not an object: {self.value!r}")
        try:
            folder = importlib.resources.files(self.value)
        except Exception as exc:
            raise FormatError(f"theme plugin {self.name!r} ({self.value!r}, package {self.package}) cannot be "
                              f"found: {type(exc).__name__}: {exc}") from None
        if not isinstance(folder, Path):
            raise FormatError(f"theme plugin {self.name!r} (package {self.package}) is not installed as files "
                              "(a zipped package cannot hold a theme folder)")
        return folder

    def __str__(self) -> str:
        return f"{self.name!r} from package {self.package} ({self.value})"


@functools.cache
def plugins(group: str) -> tuple[Plugin, ...]:
    """The entry points installed in `group`, in a stable order (read from package metadata; nothing imported)."""
    if group not in GROUPS:
        raise ValueError(f"publish reads no entry point group {group!r}")
    found = [Plugin(name, value, package, group) for in_group, name, value, package in _entry_points()
             if in_group == group]
    return tuple(sorted(found, key=lambda p: (p.name, p.package)))


@functools.cache
def _entry_points() -> tuple[tuple[str, str, str, str], ...]:
    """Every installed package's entry points in publish's groups (group, name, value, package), read once per
    process, and kept in publish's cache while no package's metadata on the import path changed: reading every
    installed package's metadata takes longer than a warm build reads its articles."""
    from publish.build import cache

    key = _metadata_state()
    found = cache.get_json("plugins", key)
    if isinstance(found, list) and all(isinstance(row, list) and len(row) == 4 and all(isinstance(v, str) for v in row)
                                       for row in found):
        return tuple((row[0], row[1], row[2], row[3]) for row in found)
    from importlib.metadata import entry_points

    installed = entry_points()
    table = tuple((group, ep.name, ep.value, ep.dist.name if ep.dist is not None else "(unknown package)")
                  for group in GROUPS for ep in installed.select(group=group))
    cache.put_json("plugins", key, table)
    return table


def _metadata_state() -> str:
    """What the installed packages' entry points depend on: each folder on the import path, the metadata folders
    in it (a package installed, removed or upgraded), and each one's entry_points.txt (edited in place)."""
    from publish.build import cache

    parts = []
    for entry in sys.path:
        folder = entry or "."
        try:
            names = sorted(name for name in os.listdir(folder) if name.endswith((".dist-info", ".egg-info")))
        except OSError:  # a zip file, or missing: its own stamp
            try:
                stamp = os.stat(folder)
                parts.append(f"{entry}|{stamp.st_mtime_ns}|{stamp.st_size}")
            except OSError:
                parts.append(f"{entry}|missing")
            continue
        parts.append(f"{entry}|folder")
        for name in names:
            try:
                stamp = os.stat(os.path.join(folder, name, "entry_points.txt"))
                parts.append(f"{name}|{stamp.st_mtime_ns}|{stamp.st_size}|{stamp.st_ino}")
            except OSError:
                parts.append(f"{name}|none")
    return cache.fingerprint("entry-points", *parts)


class Spec(Protocol):
    """What a registered reader or backend has: a name."""

    @property
    def name(self) -> str:
        """The format's name."""
        ...


S = TypeVar("S", bound=Spec)


class Registry(Mapping[str, S], Generic[S]):
    """Built-in specs and those plugins add, by name; plugin specs load when first looked up or listed.

    A name, or a claim (a file extension), that two registered specs share is a FormatError naming both, found
    when the second is loaded. Iterating gives every name (built-ins first) without loading any plugin.
    """

    def __init__(self, kind: str, group: str, spec_type: type[S], builtins: tuple[S, ...],
                 claims: Callable[[S], tuple[str, ...]]) -> None:
        self.kind = kind
        self.group = group
        self._spec_type = spec_type
        self._claims = claims
        self._builtins: dict[str, S] = {}
        self._loaded: dict[str, S] = {}
        self._claimed: dict[str, str] = {}  # extension -> name of the spec claiming it
        self._plugins: dict[str, Plugin] | None = None
        for spec in builtins:
            if spec.name in self._builtins:
                raise FormatError(f"{kind} {spec.name!r} is registered twice in publish")
            self._claim(spec, BUILTIN)
            self._builtins[spec.name] = self._loaded[spec.name] = spec

    def _plugin_table(self) -> dict[str, Plugin]:
        if self._plugins is None:
            table: dict[str, Plugin] = {}
            for plugin in plugins(self.group):
                if plugin.name in self._builtins:
                    raise FormatError(f"{self.kind} {plugin.name!r} is registered twice: built into publish, and "
                                      f"by plugin {plugin}")
                if plugin.name in table:
                    raise FormatError(f"{self.kind} {plugin.name!r} is registered twice: by plugin "
                                      f"{table[plugin.name]}, and by plugin {plugin}")
                table[plugin.name] = plugin
            self._plugins = table
        return self._plugins

    def _claim(self, spec: S, origin: str) -> None:
        for claim in self._claims(spec):
            if claim in self._claimed:
                other = self._claimed[claim]
                raise FormatError(f"extension {claim} is claimed by {self.kind}s {other!r} ({self.origin(other)}) "
                                  f"and {spec.name!r} ({origin})")
        for claim in self._claims(spec):
            self._claimed[claim] = spec.name

    def __getitem__(self, name: str) -> S:
        if name in self._loaded:
            return self._loaded[name]
        plugin = self._plugin_table()[name]  # KeyError for an unknown name, as a mapping should
        spec = plugin.load()
        if not isinstance(spec, self._spec_type):
            raise FormatError(f"plugin {plugin} names a {type(spec).__name__}, not a {self._spec_type.__name__}")
        if spec.name != name:
            raise FormatError(f"plugin {plugin} names a {self.kind} called {spec.name!r}; the entry point and the "
                              "spec must have the same name")
        odd = [claim for claim in self._claims(spec) if not claim.startswith(".") or claim != claim.lower()]
        if odd:
            raise FormatError(f"plugin {plugin} claims the extension {odd[0]!r}; write extensions in lower case "
                              "with the dot, such as '.note'")
        self._claim(spec, plugin.package)
        self._loaded[name] = spec
        return spec

    def __iter__(self) -> Iterator[str]:
        yield from self._builtins
        yield from self._plugin_table()

    def __len__(self) -> int:
        return len(self._builtins) + len(self._plugin_table())

    def __contains__(self, name: object) -> bool:
        return name in self._builtins or name in self._plugin_table()

    def origin(self, name: str) -> str:
        """The package a name comes from: "publish" for a built-in, else the plugin's distribution."""
        return BUILTIN if name in self._builtins else self._plugin_table()[name].package

    def builtin_names(self) -> tuple[str, ...]:
        """The built-in names, in their order."""
        return tuple(self._builtins)
