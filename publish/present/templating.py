"""The shared Jinja2 environment: user, then theme, then built-in templates; autoescape and strict undefined."""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import itertools
import marshal
import os
import sys
import types
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

import jinja2
from markupsafe import Markup

from publish import __version__, model, present
from publish.build import cache, speedups
from publish.errors import PublishError, RenderError
from publish.model import links, text
from publish.present import quotes
from publish.present.labels import labels_for
from publish.present.theme import GENERIC_FAMILIES, Theme

SAFE_SCHEMES = links.SAFE_SCHEMES


@dataclass(frozen=True, slots=True)
class ImageRef:
    """How a template shows an image: the URL to write in src, and its pixel size."""

    url: str
    """A data: URI (standalone HTML) or a path inside the package (EPUB)."""
    width: int
    """Width in pixels."""
    height: int
    """Height in pixels."""


class TemplateCache(jinja2.BytecodeCache):
    """Jinja2's compiled templates: a built-in template's beside the built-in templates, as Python keeps a module's
    compiled code beside it, and every other one in publish's cache, signed by the cache.

    The built-in templates' code goes in their folder's `__pycache__` (`BESIDE`), written by the first build that
    compiles them where that folder can be written (a checkout, or an install the user owns), and read where it is
    trusted as the package's own modules are: owned by this user or root, and writable by no one else. So a build
    with a new cache folder (a container, a CI job, `publish cache clear`) does not compile them again, a tenth of a
    second or more of a cold build. A file's name holds the template's key, publish's code version, Jinja2's and
    Python's (a build of other code never reads it), and its header Jinja2's check of the template's source. A
    user's or a theme's template, or a built-in one whose folder cannot be written, is kept in the cache, where a
    missing, damaged, stale or foreign entry means compiling again, never loading code the cache did not write."""

    def __init__(self, directory: Path | None, builtin: Path | None = None) -> None:
        self.directory = directory
        self.builtin = builtin
        self.write_beside = not sys.dont_write_bytecode  # PYTHONDONTWRITEBYTECODE: nothing written beside, as Python
        self._beside: dict[str, Path] = {}  # a built-in template's bucket key -> its compiled file beside it

    def get_bucket(self, environment: jinja2.Environment, name: str, filename: str | None,
                   source: str) -> jinja2.bccache.Bucket:
        if self.builtin is not None and filename is not None and filename.startswith(f"{self.builtin}{os.sep}"):
            # as the built-in templates' loader names its files (not resolved: a link to them is not beside them)
            key = self.get_cache_key(name, filename)
            self._beside[key] = self.builtin / BESIDE / f"{key}.{_compiled_tag()}.j2c"
        return super().get_bucket(environment, name, filename, source)

    def _entry(self, bucket: jinja2.bccache.Bucket) -> tuple[Path, str]:
        assert self.directory is not None
        return self.directory / f"{bucket.key}.code", f"template|{bucket.key}|{bucket.checksum}"

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        beside = self._beside.get(bucket.key)
        if beside is not None and _trusted(beside):
            with contextlib.suppress(OSError), beside.open("rb") as handle:
                bucket.load_bytecode(handle)  # Jinja2's header: its format, Python's, and the source's checksum
            if bucket.code is not None:
                return
        if self.directory is None:
            return
        entry, context = self._entry(bucket)
        payload = cache.read_signed(entry, context)
        if payload is None:
            return
        try:
            code = marshal.loads(payload)
        except (EOFError, ValueError, TypeError):
            return
        if isinstance(code, types.CodeType):
            bucket.code = code

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        if bucket.code is None:
            return
        beside = self._beside.get(bucket.key)
        if beside is not None and self.write_beside and _write_beside(beside, bucket.bytecode_to_string()):
            return
        if self.directory is not None:
            entry, context = self._entry(bucket)
            cache.write_signed(entry, context, marshal.dumps(bucket.code))


BESIDE = "__pycache__"
"""The built-in templates' folder for their compiled code (ignored by git, and by the templates' cache keys)."""


@functools.cache
def _compiled_tag() -> str:
    """What a built-in template's compiled file is valid for: publish's code (which sets the environment's options),
    Jinja2 and Python."""
    return cache.fingerprint(cache.code_version(), jinja2.__version__, sys.implementation.cache_tag)[:20]


def _trusted(path: Path) -> bool:
    """Whether a compiled file beside the built-in templates, and its folder, are as safe as publish's modules: owned
    by this user or root, and writable by no one else."""
    try:
        return not any(cache.unsafe(os.stat(item), root_may_own=True) for item in (path.parent, path))
    except OSError:
        return False


def _write_beside(path: Path, data: bytes) -> bool:
    """Keep a built-in template's compiled code beside it (readable by all, as a module's; a concurrent build never
    reads half of it), removing what older code compiled of the same template; False where the folder cannot be
    written or is not trusted."""
    folder = path.parent
    try:
        folder.mkdir(mode=0o755, exist_ok=True)
        if cache.unsafe(os.stat(folder), root_may_own=True) or not os.access(folder, os.W_OK):
            return False
        cache.write_atomically(path, data, mode=0o644)
    except OSError:
        return False
    key = path.name.split(".", 1)[0]
    for older in folder.glob(f"{key}.*.j2c"):
        if older != path:
            older.unlink(missing_ok=True)
    return True


def compile_builtin_templates() -> int:
    """Compile every built-in template beside it, as `python -m compileall` does publish's modules, even with
    PYTHONDONTWRITEBYTECODE (`scripts/setup` runs this after installing); return how many there are. One already
    compiled beside it by this code is only read; one the per-user cache holds (a build with PYTHONDONTWRITEBYTECODE
    kept it there) is compiled again, to be written beside."""
    env = environment.__wrapped__(())  # its own: no template this process compiled before is taken from memory
    names = env.list_templates(filter_func=lambda name: name.endswith(".j2") and
                               not name.startswith(("builtin/", "themes/")))  # what a build asks for by these names
    if isinstance(env.bytecode_cache, TemplateCache):  # else the cache speed-up is turned off
        env.bytecode_cache.directory = None
        env.bytecode_cache.write_beside = True
        for name in names:
            env.get_template(name)
    return len(names)


def template_cache() -> TemplateCache | None:
    """The bytecode cache for the Jinja2 environment (see TemplateCache), or None when the cache speed-up is off."""
    if not speedups.on("cache"):
        return None
    return TemplateCache(cache.folder("templates"), Path(os.path.normpath(present.builtin_templates_dir())))


@functools.lru_cache(maxsize=16)
def environment(search_path: tuple[Path, ...]) -> jinja2.Environment:
    """One environment per template search path: the user's template folders, then the theme's folder and those
    of the themes it extends, then the built-in templates. "builtin/NAME" always reaches the shipped template, so
    an override can extend the template it replaces."""
    builtin = jinja2.FileSystemLoader(present.builtin_templates_dir())
    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader([
            *(jinja2.FileSystemLoader(folder) for folder in search_path),
            builtin,
            jinja2.PrefixLoader({"builtin": builtin}),
        ]),
        autoescape=_autoescape,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        bytecode_cache=template_cache(),  # compiling the templates costs 0.1 s a run
    )
    env.globals["unsupported"] = _unsupported
    env.globals["safe_href"] = safe_href
    env.globals["labels_for"] = labels_for
    env.globals["script_rules"] = script_rules
    env.globals["hyphenation_dictionary"] = _hyphenation_dictionary
    env.globals["spacing"] = present.SPACING
    env.filters["plain"] = text.plain
    env.filters["isodate"] = _isodate
    env.filters["mm"] = lambda value: f"{value:g}mm"
    env.filters["pt"] = lambda value: f"{value:g}pt"
    env.filters["font_stack"] = _font_stack
    env.filters["css_string"] = css_string
    env.filters["css_content"] = css_content
    env.filters["is_url"] = links.is_address
    env.filters["headline_lines"] = headline_lines
    return env


def render(theme: Theme, template: str, **values: Any) -> str:
    """Render one template with the theme in scope.

    A mistake in a user's or a theme's template (a syntax error, an undefined value, `{{ 1/0 }}`, a macro that
    calls itself) is one RenderError naming that template's file and line; an error raised in a built-in
    template alone is publish's own bug and keeps its traceback.
    """
    search_path = theme.template_path
    try:
        return environment(search_path).get_template(template).render(theme=theme, **values)
    except PublishError:
        raise  # publish's own messages (an image refused, a node the templates cannot render) pass as they are
    except jinja2.TemplateNotFound as exc:
        raise RenderError(f"template {exc.name!r} not found; {_available(search_path)}") from None
    except jinja2.TemplateSyntaxError as exc:
        raise RenderError(f"template syntax error: {exc.message}", path=exc.filename, line=exc.lineno) from None
    except jinja2.UndefinedError as exc:  # an override using a value the templates are not given
        path, line = _template_frame(exc)
        raise RenderError(f"template error: {exc.message}", path=path, line=line) from None
    except UnicodeDecodeError as exc:  # a template file that is not UTF-8, met while Jinja2 loads it
        raise RenderError(f"template is not UTF-8 text (byte 0x{exc.object[exc.start]:02x} at offset {exc.start})",
                          path=_loading(exc)) from None
    except RecursionError as exc:
        path, line = _template_frame(exc, search_path)
        if path is None:
            raise
        raise RenderError("the template recurses without end (a macro or include that calls itself)", path=path,
                          line=line) from None
    except Exception as exc:  # anything else a template's own code raised: ZeroDivisionError, TypeError...
        path, line = _template_frame(exc, search_path)
        if path is None:
            raise
        raise RenderError(f"template error: {exc} ({type(exc).__name__})"[:300], path=path, line=line) from None


def _template_frame(exc: BaseException, inside: tuple[Path, ...] | None = None) -> tuple[str | None, int | None]:
    """The innermost template file and line in an error's traceback (Jinja2 rewrites it to show them); with
    `inside`, the innermost one from those folders (the user's and the theme's templates), else (None, None)."""
    found: tuple[str | None, int | None] = (None, None)
    folders = None if inside is None else [str(folder) + "/" for folder in inside if not _builtin(folder)]
    trace = exc.__traceback__
    while trace is not None:
        filename = trace.tb_frame.f_code.co_filename
        if filename.endswith(".j2") if folders is None else filename.startswith(tuple(folders)):
            found = (filename, trace.tb_lineno)
        trace = trace.tb_next
    return found


def _loading(exc: BaseException) -> str | None:
    """The template file a Jinja2 loader was reading when `exc` was raised, if any."""
    found = None
    trace = exc.__traceback__
    while trace is not None:
        if trace.tb_frame.f_code.co_name == "get_source" and isinstance(trace.tb_frame.f_locals.get("filename"), str):
            found = trace.tb_frame.f_locals["filename"]
        trace = trace.tb_next
    return found


def _builtin(folder: Path) -> bool:
    """Whether a template folder is one shipped with publish (a built-in theme's), not the user's."""
    return folder.resolve().is_relative_to(present.builtin_templates_dir().resolve())


def _available(search_path: tuple[Path, ...]) -> str:
    """Where templates were looked for and which exist there, for an error message."""
    folders = [*search_path, present.builtin_templates_dir()]
    names = sorted({str(p.relative_to(folder)) for folder in folders for p in folder.rglob("*.j2")
                    if "themes" not in p.relative_to(folder).parts[:1]})
    where = ", ".join(str(f) for f in search_path)
    return (f"looked in {where + ', ' if where else ''}the built-in templates; templates there: {', '.join(names)} "
            "(an override can extend the one it replaces as \"builtin/NAME\")")


def article_values(article: model.Article, image: Callable[[str], ImageRef], *, article_id: str = "article",
                   heading_offset: int = 0, packaged: bool = False, remote_images: bool = False,
                   theme: Theme | None = None, for_pdf: bool = False) -> dict[str, Any]:
    """What the article partial needs: the article, its meta, heading ids, and how to show images and links.

    In a collection each article gets its own `article_id` (heading ids are prefixed with it, so they stay
    unique in one document) and `heading_offset` 2: the collection title (h1) and section titles (h2) sit above.
    `packaged` (an EPUB) drops or makes absolute relative links to files the package does not hold;
    `remote_images` (the PDF's HTML with --allow-remote) shows an inline image from the web, else its alt text.
    `furniture` is what is printed around the story (byline, dateline...), from `theme`'s label tables first;
    a theme with smart quotes renders a copy with curly quotes in the article's language (publish.present.quotes);
    `for_pdf` sets headlines for WeasyPrint (`headline_lines`).
    """
    if theme is not None and theme.typography.smart_quotes:
        article = quotes.curled(article)
    targets = links.Targets.of(article)
    furniture = present.article(article.meta, theme, lede_has_place=text.lede_has_dateline(article))

    def inline_image(src: str) -> ImageRef | None:
        if not links.is_remote(src):
            return image(src)
        return ImageRef(url=links.safe_href(src), width=0, height=0) if remote_images else None

    return {
        "article": article,
        "meta": article.meta,
        "article_id": article_id,
        "heading_offset": heading_offset,
        "for_pdf": for_pdf,
        "direction": text.direction(article.meta.language),
        "furniture": furniture,
        "labels": furniture.labels,
        # Headings are numbered in rendering order, which is the order `headings` walks them in.
        "anchor": anchors(article_id),
        "image": image,
        "inline_image": inline_image,
        "link_href": lambda url: targets.href(url, article_id=article_id, packaged=packaged),
        "version": __version__,
    }


def anchors(article_id: str = "article") -> Callable[[Any], str]:
    """The templates' `anchor(heading)`: the id of each heading of the article in turn (a new count per rendering)."""
    numbers = itertools.count(1)
    prefix = "" if article_id == "article" else f"{article_id}-"
    return lambda heading: heading_anchor(next(numbers), prefix)


def heading_anchor(number: int, prefix: str = "") -> str:
    """The id of the `number`th heading (from 1) in an article, as the templates write it."""
    return f"{prefix}{links.heading_id(number)}"


def headings(blocks: Iterable[model.Block]) -> Iterator[model.Heading]:
    """Every heading in reading order, including those inside quotes and list items."""
    return (block for block in model.iter_blocks(blocks) if isinstance(block, model.Heading))


safe_href = links.safe_href


def _autoescape(name: str | None) -> bool:
    """Escape everything but the CSS templates, whose values are the theme's own tokens."""
    return not (name or "").endswith(".css.j2")


def _unsupported(node: object) -> NoReturn:
    raise RenderError(f"the templates cannot render a {type(node).__name__} node")


def _isodate(value: dt.date | None) -> str:
    if isinstance(value, dt.datetime):
        return value.isoformat(timespec="seconds")
    return "" if value is None else value.isoformat()


@jinja2.pass_context
def _font_stack(context: jinja2.runtime.Context, families: tuple[str, ...], language: str = "") -> str:
    """A CSS font-family list. Given one of the theme's own stacks (fonts.body, fonts.heading, fonts.mono), the
    fonts of the theme's other scripts join it as fallbacks, and `language`'s script fonts lead it."""
    theme = context.get("theme")
    if isinstance(theme, Theme):
        fonts = theme.fonts
        role = next((name for name in ("body", "heading", "mono") if getattr(fonts, name) is families), None) or \
            next((name for name in ("body", "heading", "mono") if getattr(fonts, name) == families), None)
        if role is not None:
            families = fonts.stack(role, language)
    return css_families(families)


def css_families(families: Iterable[str]) -> str:
    """Font families as CSS writes them: generic families bare, the others quoted."""
    return ", ".join(f if f in GENERIC_FAMILIES else css_string(f) for f in families)


def css_string(value: str) -> str:
    """A CSS string literal holding `value` exactly: quotes, backslashes and line breaks escaped, and nothing that
    could close a <style> element (the HTML backend refuses "</")."""
    if value.isprintable() and not _CSS_ESCAPED.intersection(value):  # a font's name, a label: nothing to escape
        return f'"{value}"'
    escaped = "".join(c if c.isprintable() and c not in _CSS_ESCAPED else f"\\{ord(c):x} " for c in value)
    return f'"{escaped}"'


_CSS_ESCAPED = frozenset('"\\<>')


def css_content(parts: Iterable[str]) -> str:
    """A CSS `content` value from text pieces and the markers "{page}" and "{pages}" (page counters)."""
    counters = {"{page}": "counter(page)", "{pages}": "counter(pages)"}
    return " ".join(counters.get(part) or css_string(part) for part in parts) or "none"


def script_rules(theme: Theme, languages: Iterable[str] | None = None) -> list[dict[str, Any]]:
    """For each script table, most general first: the `:lang()` selectors it applies to and its font stacks.

    Given the document's `languages`, only the scripts of those languages: every `:lang()` selector costs the PDF
    renderer time on every element, and a document in English needs none of the Arabic or CJK rules.
    """
    ordered = sorted(theme.fonts.scripts, key=lambda s: min(lang.count("-") for lang in s.languages))
    if languages is not None:
        wanted = {language.lower().split("-")[0] for language in languages}
        ordered = [s for s in ordered if any(lang.lower().split("-")[0] in wanted for lang in s.languages)]
    return [{
        "script": script,
        "langs": script.languages,
        "body": css_families(theme.fonts.stack("body", script.languages[0])),
        "heading": css_families(theme.fonts.stack("heading", script.languages[0])),
        "mono": css_families(theme.fonts.stack("mono", script.languages[0])),
    } for script in ordered]


SHORT_LAST_WORDS = 16
"""The longest last two words of a headline (with the space) kept together on its last line."""


def headline_lines(value: str, language: str, for_pdf: bool = False) -> Markup:
    """A headline set to break well: in Japanese, Chinese and Thai (written without spaces) between phrases only,
    each phrase an unbreakable span (BudouX's segmentation). Elsewhere browsers balance its lines (CSS
    `text-wrap: balance`); WeasyPrint cannot, so `for_pdf` joins a short last two words with a no-break space,
    and no line holds one word alone ("Bishkek"). (An unbreakable span would do it without changing a character,
    but WeasyPrint 70 then breaks after the first word.)"""
    primary = language.lower().split("-")[0]
    parser = _phrase_parser(language) if primary in ("ja", "zh", "th") else None
    if parser is not None:
        phrases = parser.parse(value)
        if len(phrases) > 1:
            return Markup("").join(Markup('<span class="phrase">{}</span>').format(p) for p in phrases)
        return Markup.escape(value)
    words = value.split(" ")
    if for_pdf and len(words) >= 3 and len(words[-2]) + len(words[-1]) + 1 <= SHORT_LAST_WORDS:
        return Markup.escape(" ".join(words[:-1]) + "\u00a0" + words[-1])
    return Markup.escape(value)


@functools.cache
def _phrase_parser(language: str) -> Any:
    """BudouX's phrase parser for a language written without spaces, or None."""
    import budoux

    tag = language.lower()
    if tag.startswith("ja"):
        return budoux.load_default_japanese_parser()
    if tag.startswith("th"):
        return budoux.load_default_thai_parser()
    if tag.startswith("zh"):
        traditional = any(part in tag.split("-") for part in ("hant", "tw", "hk", "mo"))
        return budoux.load_default_traditional_chinese_parser() if traditional \
            else budoux.load_default_simplified_chinese_parser()
    return None


def _hyphenation_dictionary(language: str) -> str | None:
    """The name of the hyphenation patterns for a language (pyphen is imported only when a print CSS asks)."""
    from publish.present import hyphenation

    return hyphenation.dictionary(language)


