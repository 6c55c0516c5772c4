"""Themes: a folder whose theme.toml holds the design tokens every backend reads."""

from __future__ import annotations

import importlib.resources
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from publish.errors import PublishError

PAGE_SIZES_MM = {"A4": (210.0, 297.0), "A5": (148.0, 210.0), "Letter": (215.9, 279.4), "Legal": (215.9, 355.6)}
RUNNING_HEADS = ("headline", "source", "none")


@dataclass(frozen=True, slots=True)
class Fonts:
    """Font families, each a list of fallbacks, first choice first."""

    body: tuple[str, ...]
    """Body text."""
    heading: tuple[str, ...]
    """Headline and subheads."""
    mono: tuple[str, ...]
    """Code."""


@dataclass(frozen=True, slots=True)
class Sizes:
    """Type sizes in points, and the body line height as a ratio."""

    body: float
    """Body text."""
    line_height: float
    """Body line height, as a multiple of the body size."""
    headline: float
    """The headline."""
    dek: float
    """The dek below the headline."""
    heading1: float
    """Level-1 subheads."""
    heading2: float
    """Level-2 subheads."""
    heading3: float
    """Level-3 and deeper subheads."""
    small: float
    """Captions, credits, running heads and footers."""


@dataclass(frozen=True, slots=True)
class Colors:
    """Colours as #rrggbb."""

    text: str
    """Body text."""
    heading: str
    """Headline and subheads."""
    accent: str
    """Rules under the header, quote bars, links."""
    muted: str
    """Bylines, captions, running heads."""
    rule: str
    """Table and horizontal rules."""


@dataclass(frozen=True, slots=True)
class Page:
    """The printed page, in millimetres."""

    size: str
    """A named size: A4, A5, Letter or Legal."""
    margin_top: float
    """Top margin."""
    margin_bottom: float
    """Bottom margin."""
    margin_inner: float
    """Inner (binding-side) margin."""
    margin_outer: float
    """Outer margin."""
    running_head: str
    """What the running head shows: the headline, the source, or none."""

    @property
    def width_mm(self) -> float:
        """The page width."""
        return PAGE_SIZES_MM[self.size][0]

    @property
    def height_mm(self) -> float:
        """The page height."""
        return PAGE_SIZES_MM[self.size][1]


@dataclass(frozen=True, slots=True)
class Theme:
    """A theme's tokens and where its folder is (for its own templates and assets)."""

    name: str
    """The theme's name."""
    folder: Path
    """The folder holding theme.toml and any template overrides."""
    fonts: Fonts
    """Font families."""
    sizes: Sizes
    """Type sizes."""
    colors: Colors
    """Colours."""
    page: Page
    """Page size and margins."""


def builtin_themes_dir() -> Path:
    """The folder of the themes shipped with publish."""
    return Path(str(importlib.resources.files("publish.templates"))) / "themes"


def load_theme(name_or_path: str = "default") -> Theme:
    """Load a built-in theme by name, or a theme folder by path."""
    folder = Path(name_or_path)
    if not (folder / "theme.toml").is_file():
        folder = builtin_themes_dir() / name_or_path
    toml_path = folder / "theme.toml"
    if not toml_path.is_file():
        known = sorted(p.name for p in builtin_themes_dir().iterdir() if (p / "theme.toml").is_file())
        raise PublishError(f"unknown theme {name_or_path!r}; built-in themes: {', '.join(known)}")
    try:
        data = tomllib.loads(toml_path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise PublishError(f"not a valid theme file: {exc}", path=toml_path) from None
    return Theme(
        name=str(data.get("theme", {}).get("name", folder.name)),
        folder=folder,
        fonts=_section(Fonts, data, "fonts", toml_path),
        sizes=_section(Sizes, data, "sizes", toml_path),
        colors=_section(Colors, data, "colors", toml_path),
        page=_section(Page, data, "page", toml_path),
    )


def _section(cls: Any, data: dict[str, Any], name: str, path: Path) -> Any:
    table = data.get(name)
    fields = cls.__dataclass_fields__
    if not isinstance(table, dict):
        raise PublishError(f"missing [{name}] table with keys {', '.join(fields)}", path=path)
    unknown = sorted(set(table) - set(fields))
    missing = [k for k in fields if k not in table]
    if unknown or missing:
        problem = f"unknown key(s) {', '.join(unknown)}" if unknown else f"missing key(s) {', '.join(missing)}"
        raise PublishError(f"[{name}]: {problem}; expected {', '.join(fields)}", path=path)
    values: dict[str, Any] = {}
    for key, value in table.items():
        kind = fields[key].type
        if kind == "tuple[str, ...]" and isinstance(value, list) and value and all(isinstance(v, str) for v in value):
            values[key] = tuple(value)
        elif kind == "float" and isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0:
            values[key] = float(value)
        elif kind == "str" and isinstance(value, str):
            values[key] = value
        else:
            raise PublishError(f"[{name}] {key} = {value!r} is not a valid {kind}", path=path)
    if name == "colors":
        bad = [k for k, v in values.items() if not (len(v) == 7 and v.startswith("#") and _is_hex(v[1:]))]
        if bad:
            raise PublishError(f"[colors] {', '.join(bad)}: colours are written #rrggbb", path=path)
    if name == "page":
        if values["size"] not in PAGE_SIZES_MM:
            raise PublishError(f"[page] size {values['size']!r}; known sizes: {', '.join(PAGE_SIZES_MM)}", path=path)
        if values["running_head"] not in RUNNING_HEADS:
            raise PublishError(f"[page] running_head must be one of {', '.join(RUNNING_HEADS)}", path=path)
    return cls(**values)


def _is_hex(text: str) -> bool:
    return all(c in "0123456789abcdefABCDEF" for c in text)
