"""Themes: a folder whose theme.toml holds the design tokens every backend reads, and its template overrides.

A theme names only what differs from the theme it extends (`extends` in its [theme] table; the built-in default
theme when not given), so a house style can be "the brief, in our colours, with our logo" in a dozen lines.
"""

from __future__ import annotations

import copy
import dataclasses
import functools
import importlib.resources
import math
import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from publish.errors import FormatError, PublishError
from publish.plugins import BUILTIN, Plugin, plugins

if TYPE_CHECKING:
    from publish.build.resources import Image

PAGE_SIZES_MM = {"A4": (210.0, 297.0), "A5": (148.0, 210.0), "Letter": (215.9, 279.4), "Legal": (215.9, 355.6)}
RUNNING_HEADS = ("headline", "source", "none")
HEAD_POSITIONS = ("start", "center", "end", "outside")
"""Where a running head or page number sits: the start or end of the line (left and right in a left-to-right
article, mirrored in a right-to-left one), centred, or on the outer corner of facing pages."""
FOLIOS = ("page-of-pages", "page", "none")
"""How pages are numbered: "Page 2 of 5" (in the article's language), "2", or not at all."""
PARAGRAPH_STYLES = ("spaced", "indented")
"""Paragraphs set apart by space (reports, the web) or by a first-line indent (books)."""
EAST_ASIAN_LANGUAGES = {"zh", "ja", "ko"}
BASE_THEME = "default"
"""The built-in theme every other theme extends, directly or not; it names every token."""


def _range(low: float, high: float, unit: str) -> dict[str, Any]:
    """A number token's field metadata: the range its value must lie in (a theme outside it is refused), and the
    unit the message names."""
    return {"range": (low, high), "unit": unit}


@dataclass(frozen=True, slots=True)
class ScriptFonts:
    """The fonts for a writing system the Latin fonts do not cover (Arabic, Urdu, Chinese...), and its needs."""

    name: str
    """The table's name in theme.toml: [fonts.urdu] is "urdu"."""
    languages: tuple[str, ...] = dataclasses.field(metadata={"what": "a list of language tags"})
    """BCP 47 tags of the languages set in these fonts: "ur", or "zh-Hant" for one variety."""
    body: tuple[str, ...]
    """Body text, first choice first."""
    heading: tuple[str, ...]
    """Headline and subheads."""
    line_height: float = dataclasses.field(metadata=_range(0.8, 4, "times the type size"))
    """Body line height for text in this script (Nastaliq needs far more than Latin)."""
    scale: float = dataclasses.field(default=1.0, metadata=_range(0.5, 3, "times the theme's body size"))
    """Body size as a multiple of the theme's body size (some scripts read small at the same point size)."""
    first_line_indent: float = dataclasses.field(default=0.0, metadata=_range(0, 10, "em"))
    """Paragraph first-line indent in em, as the language's typography expects (2 for Chinese); 0 for none."""

    def serves(self, language: str) -> int:
        """How closely one of this table's tags matches `language`: its number of subtags, or 0 for no match."""
        tag = language.lower()
        best = 0
        for own in self.languages:
            own = own.lower()
            if tag == own or tag.startswith(own + "-"):
                best = max(best, own.count("-") + 1)
        return best

    @property
    def east_asian(self) -> bool:
        """Whether Word files these fonts as East Asian (Chinese, Japanese, Korean) rather than complex-script."""
        return any(lang.split("-")[0].lower() in EAST_ASIAN_LANGUAGES for lang in self.languages)


@dataclass(frozen=True, slots=True)
class Fonts:
    """Font families, each a list of fallbacks, first choice first, and the fonts for other writing systems."""

    body: tuple[str, ...]
    """Body text."""
    heading: tuple[str, ...]
    """Headline and subheads."""
    mono: tuple[str, ...]
    """Code."""
    scripts: tuple[ScriptFonts, ...] = ()
    """Fonts per writing system ([fonts.NAME] tables), in the order the theme lists them."""

    def script_for(self, language: str) -> ScriptFonts | None:
        """The script table that serves `language` most specifically ("zh-Hant" over "zh"), if any."""
        ranked = [(script.serves(language), index, script) for index, script in enumerate(self.scripts)]
        best = max(ranked, default=(0, 0, None), key=lambda item: (item[0], -item[1]))
        return best[2] if best[0] else None

    def stack(self, role: str, language: str = "") -> tuple[str, ...]:
        """The whole font stack for `role` (body, heading or mono) in `language`.

        The language's own script fonts come first (their Latin glyphs, if any, are the ones that fit them),
        then the first Latin font, then every other script's fonts, so a stray word in another script is set
        whole in that script's font, then the other Latin fallbacks (DejaVu and the like, which cover some of
        Arabic or Hebrew but not all of it: a word would be set in two fonts), and the generic family last.
        """
        own: tuple[str, ...] = getattr(self, role)
        generic = tuple(f for f in own if f in GENERIC_FAMILIES)
        named = [f for f in own if f not in GENERIC_FAMILIES]
        mine = self.script_for(language) if language else None
        first = list(_script_role(mine, role)) if mine else []
        others = [f for script in self.scripts if script is not mine for f in _script_role(script, role)]
        return tuple(dict.fromkeys([*first, *named[:1], *others, *named[1:], *generic]))

    def complex_script(self, language: str) -> ScriptFonts | None:
        """The fonts Word uses for complex scripts (Arabic, Urdu, Hebrew...): the language's own, or the first."""
        mine = self.script_for(language)
        if mine is not None and not mine.east_asian:
            return mine
        return next((s for s in self.scripts if not s.east_asian), None)

    def east_asian(self, language: str) -> ScriptFonts | None:
        """The fonts Word uses for Chinese, Japanese and Korean: the language's own, or the first."""
        mine = self.script_for(language)
        if mine is not None and mine.east_asian:
            return mine
        return next((s for s in self.scripts if s.east_asian), None)


GENERIC_FAMILIES = {"serif", "sans-serif", "monospace", "cursive", "fantasy", "system-ui"}


def _script_role(script: ScriptFonts, role: str) -> tuple[str, ...]:
    return script.heading if role == "heading" else script.body


@dataclass(frozen=True, slots=True)
class Sizes:
    """Type sizes in points, and the body line height as a ratio."""

    body: float = dataclasses.field(metadata=_range(4, 72, "points"))
    """Body text."""
    line_height: float = dataclasses.field(metadata=_range(0.8, 4, "times the body size"))
    """Body line height, as a multiple of the body size."""
    headline: float = dataclasses.field(metadata=_range(4, 144, "points"))
    """The headline."""
    dek: float = dataclasses.field(metadata=_range(4, 144, "points"))
    """The dek below the headline."""
    heading1: float = dataclasses.field(metadata=_range(4, 144, "points"))
    """Level-1 subheads."""
    heading2: float = dataclasses.field(metadata=_range(4, 144, "points"))
    """Level-2 subheads."""
    heading3: float = dataclasses.field(metadata=_range(4, 144, "points"))
    """Level-3 and deeper subheads."""
    small: float = dataclasses.field(metadata=_range(4, 72, "points"))
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
    tint: str = "#f4f5f7"
    """A light background: table heads, code blocks."""


@dataclass(frozen=True, slots=True)
class Page:
    """The printed page, in millimetres, and what its margins show."""

    size: str
    """A named size: A4, A5, Letter or Legal."""
    margin_top: float = dataclasses.field(metadata=_range(0, 100, "mm"))
    """Top margin."""
    margin_bottom: float = dataclasses.field(metadata=_range(0, 100, "mm"))
    """Bottom margin."""
    margin_inner: float = dataclasses.field(metadata=_range(0, 100, "mm"))
    """Inner (binding-side) margin."""
    margin_outer: float = dataclasses.field(metadata=_range(0, 100, "mm"))
    """Outer margin."""
    running_head: str
    """What the running head shows (from the second page): the headline, the source, or none."""
    running_head_position: str = "center"
    """Where it sits: start, center, end or outside."""
    folio: str = "page-of-pages"
    """How pages are numbered: page-of-pages ("Page 2 of 5"), page ("2") or none."""
    folio_position: str = "center"
    """Where the page number sits: start, center, end or outside."""
    footer_text: str = ""
    """Fixed text in the footer, opposite the page number ("For immediate release"); empty for none."""

    @property
    def width_mm(self) -> float:
        """The page width."""
        return PAGE_SIZES_MM[self.size][0]

    @property
    def height_mm(self) -> float:
        """The page height."""
        return PAGE_SIZES_MM[self.size][1]


@dataclass(frozen=True, slots=True)
class Typography:
    """How text is set: hyphenation, justification, paragraph separation, widows and orphans."""

    hyphenate: bool = True
    """Hyphenate by the article's language (headings, URLs, code, capitalised words and the last word of a
    paragraph or page never are)."""
    hyphenate_before: int = dataclasses.field(default=3, metadata=_range(1, 10, "letters"))
    """The fewest letters left before a hyphen."""
    hyphenate_after: int = dataclasses.field(default=3, metadata=_range(1, 10, "letters"))
    """The fewest letters carried to the next line."""
    smart_quotes: bool = False
    """Set straight quotes (" and ') as the article's language's curly ones when rendering (the model keeps the
    source's characters)."""
    justify: bool = False
    """Justify body text; ragged (aligned to the start) when false."""
    paragraph_style: str = "spaced"
    """spaced (space between paragraphs) or indented (a first-line indent, no space, as in books)."""
    widows: int = dataclasses.field(default=2, metadata=_range(1, 10, "lines"))
    """The fewest lines of a paragraph left alone at the top of a page."""
    orphans: int = dataclasses.field(default=2, metadata=_range(1, 10, "lines"))
    """The fewest lines of a paragraph left alone at the foot of a page."""
    header_align: str = "start"
    """The article header (headline, dek, byline, dateline): start (left in left-to-right text) or center."""
    headline_bold: bool = True
    """A bold headline; a regular one when false (book-like themes)."""
    subhead_style: str = "bold"
    """Subheads in bold, italic or small-caps."""
    wide_tables: str = "shrink"
    """How a table of many columns fits the page: shrink (smaller type, then cells wrap anywhere), wrap (cells wrap
    anywhere at the usual size) or landscape (on landscape pages of their own, shrunk as needed)."""


@dataclass(frozen=True, slots=True)
class Brand:
    """Who publishes: the letterhead the print outputs carry on their first page."""

    publisher: str = ""
    """The publisher's name; the article's source is used when empty."""
    logo: Path | None = None
    """A PNG, JPEG or GIF logo (a path in theme.toml is relative to its folder); None for none."""
    letterhead: bool = False
    """Show a letterhead (logo or publisher, a label and the date) above the headline in the PDF, HTML and DOCX."""
    label: str = ""
    """The letterhead's label: a key of the label tables' [terms] ("press_brief"), printed in the article's
    language, or words printed as written; empty for none."""
    ends: str = "ends"
    """The end mark after a press release's story: "ends" (the language's word: ENDS, ختم, 以上), "###", "none",
    or words printed as written. An article's own `ends` wins."""


@dataclass(frozen=True, slots=True)
class Theme:
    """A theme's tokens, where its folders are (for its templates and assets) and the user's template folders."""

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
    typography: Typography = Typography()
    """Hyphenation, justification and breaks."""
    brand: Brand = Brand()
    """Publisher, logo and letterhead."""
    description: str = ""
    """One line for `publish themes`."""
    lineage: tuple[Path, ...] = ()
    """The folders of the themes this one extends, nearest first (searched for templates after `folder`)."""
    templates: tuple[Path, ...] = ()
    """The user's template folders (--templates, publish.toml), searched before every theme folder."""

    @property
    def template_path(self) -> tuple[Path, ...]:
        """Where templates are looked for, in order, before the built-in ones."""
        return tuple(dict.fromkeys((*self.templates, self.folder, *self.lineage)))

    def logo_image(self) -> Image | None:
        """The logo, read and checked to be a real image; None when the brand has none."""
        from publish.build.resources import Resources

        logo = self.brand.logo
        if logo is None:
            return None
        return Resources(base_dir=logo.parent).image(logo.name)


# --- loading -------------------------------------------------------------------------------------------------


def builtin_themes_dir() -> Path:
    """The folder of the themes shipped with publish."""
    return Path(str(importlib.resources.files("publish.templates"))) / "themes"


def builtin_theme_names() -> list[str]:
    """The names of the built-in themes, sorted."""
    return sorted(p.name for p in builtin_themes_dir().iterdir() if (p / "theme.toml").is_file())


def load_theme(name_or_path: str = BASE_THEME, *, page_size: str | None = None, templates: tuple[Path, ...] = (),
               publisher: str | None = None, logo: Path | None = None) -> Theme:
    """Load a built-in theme by name, or a theme folder by path, and apply the project's overrides.

    `page_size` replaces the theme's page size, `templates` are the user's template folders (searched first),
    `publisher` and `logo` replace the brand's.
    """
    folder = _theme_folder(name_or_path)
    data, lineage = _merged(folder, ())
    theme = _build(folder, data, tuple(lineage))
    if page_size is not None:
        theme = dataclasses.replace(theme, page=dataclasses.replace(theme.page, size=page_size_name(page_size)))
    _check_text_block(theme.page, folder / "theme.toml")
    for template_dir in templates:
        if not template_dir.is_dir():
            raise PublishError("template folder not found", path=template_dir)
    brand = theme.brand
    if publisher is not None:
        brand = dataclasses.replace(brand, publisher=publisher)
    if logo is not None:
        if not logo.is_file():
            raise PublishError("logo not found", path=logo)
        brand = dataclasses.replace(brand, logo=logo.resolve())
    theme = dataclasses.replace(theme, templates=tuple(p.resolve() for p in templates), brand=brand)
    if brand.logo is not None:  # a bad logo is the theme's or the project's mistake, not the article's
        try:
            theme.logo_image()
        except PublishError as exc:
            raise PublishError(f"logo: {exc.message}", path=brand.logo) from None
    return theme


MIN_TEXT_BLOCK_MM = (40.0, 60.0)
"""The narrowest and shortest text block the margins may leave: a column of a few words, a few lines deep."""


def _check_text_block(page: Page, toml_path: Path) -> None:
    """Refuse margins that leave (almost) no room for text on the page size chosen."""
    width = page.width_mm - page.margin_inner - page.margin_outer
    height = page.height_mm - page.margin_top - page.margin_bottom
    for size, least, edges, dimension in ((width, MIN_TEXT_BLOCK_MM[0], "margin_inner and margin_outer", "wide"),
                                          (height, MIN_TEXT_BLOCK_MM[1], "margin_top and margin_bottom", "high")):
        if size < least:
            raise PublishError(f"[page] {edges} leave a text block {size:g} mm {dimension} on {page.size} paper; "
                               f"leave at least {least:g} mm", path=toml_path)


def list_themes() -> list[Theme]:
    """Every built-in and plugin theme, loaded (so a broken one shows here, not in the middle of a build)."""
    return [load_theme(name) for name in theme_names()]


def theme_names() -> dict[str, str]:
    """Every theme a name selects, sorted, with the package it comes from ("publish" for a built-in)."""
    names = dict.fromkeys(builtin_theme_names(), BUILTIN)
    names.update({name: plugin.package for name, plugin in plugin_themes().items()})
    return dict(sorted(names.items()))


def plugin_themes() -> dict[str, Plugin]:
    """The themes plugins add (entry point group `publish.themes`, naming a package whose folder holds theme.toml),
    by name; a name taken twice is an error naming both."""
    builtins = builtin_theme_names()
    found: dict[str, Plugin] = {}
    for plugin in plugins("publish.themes"):
        if plugin.name in builtins:
            raise FormatError(f"theme {plugin.name!r} is registered twice: built into publish, and by plugin {plugin}")
        if plugin.name in found:
            raise FormatError(f"theme {plugin.name!r} is registered twice: by plugin {found[plugin.name]}, and by "
                              f"plugin {plugin}")
        found[plugin.name] = plugin
    return found


def page_size_name(value: str) -> str:
    """The page size's canonical name ("letter" is "Letter"); an unknown one is an error naming the known ones."""
    for name in PAGE_SIZES_MM:
        if name.lower() == value.strip().lower():
            return name
    raise PublishError(f"unknown page size {value!r}; known sizes: {', '.join(PAGE_SIZES_MM)}")


def _theme_folder(name_or_path: str) -> Path:
    """The folder a theme name (built in, or a plugin's) or a theme folder's path selects."""
    folder = Path(name_or_path)
    if (folder / "theme.toml").is_file():
        return folder.resolve()
    from_plugins = plugin_themes()
    builtin = builtin_themes_dir() / name_or_path
    if "/" not in name_or_path and (builtin / "theme.toml").is_file():
        return builtin
    if name_or_path in from_plugins:
        plugin = from_plugins[name_or_path]
        found = plugin.folder()
        if not (found / "theme.toml").is_file():
            raise FormatError(f"theme plugin {plugin} has no theme.toml in {found}")
        return found
    hint = f"{folder} has no theme.toml; " if folder.is_dir() else ""
    others = f"; plugin themes: {', '.join(from_plugins)}" if from_plugins else ""
    raise PublishError(f"unknown theme {name_or_path!r}; {hint}built-in themes: {', '.join(builtin_theme_names())}"
                       f"{others} (or give a folder holding a theme.toml)")


def _merged(folder: Path, seen: tuple[Path, ...]) -> tuple[dict[str, Any], list[Path]]:
    """The theme's tokens over those of the themes it extends, and those themes' folders, nearest first."""
    toml_path = folder / "theme.toml"
    if folder in seen:
        chain = " -> ".join(str(p) for p in (*seen, folder))
        raise PublishError(f"themes extend each other in a circle: {chain}", path=toml_path)
    data = _read(toml_path)
    meta = data.get("theme", {})
    parent_name = meta.get("extends", "" if folder == builtin_themes_dir() / BASE_THEME else BASE_THEME)
    if not parent_name:
        return data, []
    relative = folder / parent_name
    parent = relative.resolve() if (relative / "theme.toml").is_file() else _theme_folder(parent_name)
    parent_data, lineage = _merged(parent, (*seen, folder))
    merged = _deep_merge(parent_data, data)
    merged.setdefault("theme", {})["name"] = meta.get("name", folder.name)
    merged["theme"]["description"] = meta.get("description", "")
    return merged, [parent, *lineage]


def _deep_merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in over.items():
        out[key] = _deep_merge(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) \
            else value
    return out


# --- reading and checking one theme.toml ------------------------------------------------------------------------


def _read(toml_path: Path) -> dict[str, Any]:
    """One theme.toml, every value checked (types, ranges, choices, colours) and paths made absolute; a mistake
    names the file and the line of the key."""
    try:
        source = toml_path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise PublishError(f"not a valid theme file: {exc}", path=toml_path) from None
    except OSError as exc:
        raise PublishError(f"cannot read: {exc.strerror}", path=toml_path) from None
    data = copy.deepcopy(_checked(toml_path, source))
    logo = data.get("brand", {}).get("logo")
    if logo:
        path = (toml_path.parent / logo).resolve()
        if not path.is_file():
            raise PublishError(f"[brand] logo {logo!r} not found (looked for {path})", path=toml_path,
                               line=toml_line(source, "brand", "logo"))
        data["brand"]["logo"] = str(path)
    return data


@functools.lru_cache(maxsize=32)
def _checked(toml_path: Path, source: str) -> dict[str, Any]:
    """A theme.toml's text parsed and checked, once per process for each text (a batch builds every input with
    the same theme: parsing and checking it again cost a one-article build a tenth of its time)."""
    try:
        data = tomllib.loads(source)
    except tomllib.TOMLDecodeError as exc:
        raise PublishError(f"not a valid theme file: {exc}", path=toml_path) from None
    except ValueError:  # tomllib leaves Python's own limit unwrapped: an integer of 5,000 digits
        raise PublishError(f"not a valid theme file: {HUGE_NUMBER}", path=toml_path,
                           line=huge_number_line(source)) from None
    known = {"theme", "fonts", "sizes", "colors", "page", "typography", "brand"}
    unknown = sorted(set(data) - known)
    if unknown:
        raise PublishError(f"unknown table(s) [{'], ['.join(unknown)}]; a theme has [{'], ['.join(sorted(known))}]",
                           path=toml_path, line=toml_line(source, unknown[0]))
    for name, table in data.items():
        if not isinstance(table, dict):
            raise PublishError(f"{name} must be a table ([{name}])", path=toml_path, line=toml_line(source, "", name))
    where = _TomlWhere(toml_path, source)
    _check_table("theme", data.get("theme", {}), THEME_KEYS, where)
    fonts = data.get("fonts", {})
    _check_table("fonts", {k: v for k, v in fonts.items() if not isinstance(v, dict)}, _tokens(Fonts, "scripts"),
                 where)
    for script_name, script in fonts.items():
        if isinstance(script, dict):
            _check_table(f"fonts.{script_name}", script, _tokens(ScriptFonts, "name"), where)
    for name, cls in SECTIONS.items():
        _check_table(name, data.get(name, {}), _tokens(cls), where)
    return data


HUGE_NUMBER = "a number is written with thousands of digits; no token needs more than a few"


def huge_number_line(source: str) -> int | None:
    """The line of the first number too long for Python to read (over 4,300 digits), if any."""
    match = re.search(r"\d{4300,}", source)
    return None if match is None else source.count("\n", 0, match.start()) + 1


@dataclass(frozen=True, slots=True)
class _TomlWhere:
    """A theme.toml and its text, to name the line of a key in an error."""

    path: Path
    source: str

    def error(self, table: str, key: str | None, message: str) -> PublishError:
        return PublishError(message, path=self.path, line=toml_line(self.source, table, key))


def toml_line(source: str, table: str, key: str | None = None) -> int | None:
    """The line of `key` in the [table] of a TOML text (of the table's header when `key` is None), if it is
    written in the usual way (one key per line, under its table's header)."""
    current = ""
    for number, line in enumerate(source.splitlines(), 1):
        stripped = line.strip()
        header = re.match(r"\[\s*([^\[\]]+?)\s*\](?:\s*#.*)?$", stripped)
        if header:
            current = re.sub(r"[\s\"']", "", header.group(1))
            if key is None and current == table:
                return number
            continue
        if key is not None and current == table and re.match(rf"[\"']?{re.escape(key)}[\"']?\s*=", stripped):
            return number
    return None


@dataclass(frozen=True, slots=True)
class _Kind:
    """What a token's value must be: its type (as the field annotates it) and, for numbers, its range."""

    type: str
    """The field's annotation: "float", "int", "str", "bool", "tuple[str, ...]", "Path | None"."""
    what: str = ""
    """How the message names a list ("a list of language tags"); the type's own words when empty."""
    range: tuple[float, float] | None = None
    """The lowest and highest value allowed."""
    unit: str = ""
    """The range's unit in the message: points, mm, lines..."""


def _tokens(cls: Any, *leave_out: str) -> dict[str, _Kind]:
    """What each token of a token dataclass must be, from its annotation and its field's metadata."""
    return {f.name: _Kind(str(f.type), f.metadata.get("what", ""), f.metadata.get("range"), f.metadata.get("unit", ""))
            for f in dataclasses.fields(cls) if f.name not in leave_out}


TYPES: dict[str, tuple[Callable[[Any], bool], str]] = {
    "tuple[str, ...]": (lambda v: isinstance(v, list) and bool(v) and all(isinstance(x, str) and x.strip()
                                                                         for x in v), "a list of font names"),
    "float": (lambda v: isinstance(v, (int, float)) and not isinstance(v, bool) and not math.isnan(v), "a number"),
    "int": (lambda v: isinstance(v, int) and not isinstance(v, bool), "a whole number"),
    "str": (lambda v: isinstance(v, str), "a string"),
    "bool": (lambda v: isinstance(v, bool), "true or false"),
    "Path | None": (lambda v: isinstance(v, str), "a file path"),
}
"""Each annotation's check, and how a message names it."""
THEME_KEYS: dict[str, _Kind] = {"name": _Kind("str"), "description": _Kind("str"), "extends": _Kind("str")}
SECTIONS: dict[str, Any] = {"sizes": Sizes, "colors": Colors, "page": Page, "typography": Typography, "brand": Brand}
CHOICES: dict[tuple[str, str], tuple[str, ...]] = {
    ("page", "size"): tuple(PAGE_SIZES_MM),
    ("page", "running_head"): RUNNING_HEADS,
    ("page", "running_head_position"): HEAD_POSITIONS,
    ("page", "folio"): FOLIOS,
    ("page", "folio_position"): HEAD_POSITIONS,
    ("typography", "paragraph_style"): PARAGRAPH_STYLES,
    ("typography", "header_align"): ("start", "center"),
    ("typography", "subhead_style"): ("bold", "italic", "small-caps"),
    ("typography", "wide_tables"): ("shrink", "wrap", "landscape"),
}


def _check_table(name: str, table: dict[str, Any], kinds: dict[str, _Kind], where: _TomlWhere) -> None:
    unknown = sorted(set(table) - set(kinds))
    if unknown:
        raise where.error(name, unknown[0], f"[{name}]: unknown key(s) {', '.join(unknown)}; known: "
                                            f"{', '.join(kinds)}")
    section = name.split(".")[0]
    for key, value in table.items():
        kind = kinds[key]
        shown = _shown(value)
        check, words = TYPES[kind.type]
        if not check(value):
            raise where.error(name, key, f"[{name}] {key} = {shown} is not {kind.what or words}")
        if kind.range is not None:
            low, high = kind.range
            if not low <= value <= high:
                raise where.error(name, key, f"[{name}] {key} = {shown}: must be between {low:g} and {high:g} "
                                             f"{kind.unit}")
        choices = CHOICES.get((section, key))
        if choices and value not in choices:
            raise where.error(name, key, f"[{name}] {key} = {shown}; choose one of {', '.join(choices)}")
        if section == "colors" and not (len(value) == 7 and value.startswith("#") and _is_hex(value[1:])):
            raise where.error(name, key, f"[colors] {key} = {shown}: colours are written #rrggbb")


def _shown(value: Any) -> str:
    """A token's value for a message, as TOML-like Python writes it, cut short when long."""
    text = repr(value) if not isinstance(value, int) or len(str(abs(value))) < 40 else \
        f"{str(value)[:20]}… ({len(str(abs(value))):,} digits)"
    return text if len(text) <= 60 else text[:57] + "…"


def _build(folder: Path, data: dict[str, Any], lineage: tuple[Path, ...]) -> Theme:
    """The Theme from merged tokens; every key must be set somewhere along the chain."""
    where = folder / "theme.toml"

    def section(cls: Any, name: str, table: dict[str, Any]) -> Any:
        missing = [f.name for f in dataclasses.fields(cls) if f.name not in table
                   and f.default is dataclasses.MISSING and f.name not in ("name", "scripts")]
        if missing:
            raise PublishError(f"[{name}]: missing key(s) {', '.join(missing)}", path=where,
                               line=toml_line(where.read_text(encoding="utf-8"), name))
        kinds = {f.name: str(f.type) for f in dataclasses.fields(cls)}
        values = {key: tuple(value) if isinstance(value, list) else float(value) if kinds[key] == "float" else value
                  for key, value in table.items()}
        return cls(**values)

    fonts_table = data.get("fonts", {})
    scripts = tuple(section(ScriptFonts, f"fonts.{key}", {"name": key, **value})
                    for key, value in fonts_table.items() if isinstance(value, dict))
    fonts = section(Fonts, "fonts", {k: v for k, v in fonts_table.items() if not isinstance(v, dict)})
    brand_table = dict(data.get("brand", {}))
    brand_table["logo"] = Path(brand_table["logo"]) if brand_table.get("logo") else None
    meta = data.get("theme", {})
    return Theme(
        name=str(meta.get("name", folder.name)),
        folder=folder,
        fonts=dataclasses.replace(fonts, scripts=scripts),
        sizes=section(Sizes, "sizes", data.get("sizes", {})),
        colors=section(Colors, "colors", data.get("colors", {})),
        page=section(Page, "page", data.get("page", {})),
        typography=section(Typography, "typography", data.get("typography", {})),
        brand=section(Brand, "brand", brand_table),
        description=str(meta.get("description", "")),
        lineage=lineage,
    )


def _is_hex(text: str) -> bool:
    return all(c in "0123456789abcdefABCDEF" for c in text)


