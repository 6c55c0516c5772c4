"""WeasyPrint for the PDF backend: imported (with its C libraries, a quarter of a second) only when a PDF is laid
out, with the hooks publish installs (fonts dated by the document, no hyphen at a page's foot), the fetcher that
keeps rendering inside the allowed folders, and the layout and writing of one document."""

from __future__ import annotations

import contextlib
import contextvars
import copy
import ctypes.util
import datetime as dt
import logging
import stat
import sys
import warnings
from array import array
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import unquote, urlsplit
from urllib.request import url2pathname

from publish import model
from publish.build import reproducible, speedups
from publish.present import hyphenation, pagination


@contextlib.contextmanager
def _direct_library_loading() -> Iterator[None]:
    """Let WeasyPrint load its C libraries by their sonames without ctypes' library search.

    WeasyPrint tries several names per library (libpango-1.0-0, pango-1.0, ..., libpango-1.0.so.0); for every
    name that misses, cffi calls ctypes.util.find_library, which on Linux runs ldconfig, gcc and ld: 0.2-0.3 s of
    a 1 s import. The sonames in its list load directly, so the search only costs time.
    """
    search = ctypes.util.find_library
    ctypes.util.find_library = lambda name: None
    try:
        yield
    finally:
        ctypes.util.find_library = search


def _import_weasyprint() -> ModuleType:
    try:
        with _direct_library_loading() if speedups.on("library-patch") else contextlib.nullcontext():
            import weasyprint
    except OSError:  # a system whose libraries are found only by the search: import again with it
        for name in [m for m in sys.modules if m == "weasyprint" or m.startswith("weasyprint.")]:
            del sys.modules[name]
        import weasyprint  # noqa: F401
    return sys.modules["weasyprint"]


weasyprint = _import_weasyprint()
_FONT_EPOCH: contextvars.ContextVar[int | None] = contextvars.ContextVar("publish_font_epoch", default=None)
"""Seconds since 1970 that the fonts written by the render running in this context record; None: the clock."""


def _date_fonts_by_context() -> None:
    """Have fontTools stamp the fonts it writes (subsets where libharfbuzz-subset is missing, instances of variable
    fonts) with this context's `_FONT_EPOCH` when one is set. fontTools reads "now" from SOURCE_DATE_EPOCH in
    os.environ, else the clock; the document's date reaches it this way instead, so a render never changes
    os.environ, and a render in another thread keeps its own date. Installed once, when this module loads."""
    from fontTools.misc import timeTools
    from fontTools.ttLib.tables import _h_e_a_d

    clock: Any = _h_e_a_d.timestampNow
    if getattr(clock, "publish_dated", False):
        return

    def timestamp_now() -> int:
        epoch = _FONT_EPOCH.get()
        return int(clock()) if epoch is None else int(timeTools.timestampSinceEpoch(epoch))

    timestamp_now.publish_dated = True  # type: ignore[attr-defined]
    _h_e_a_d.timestampNow = timestamp_now


@contextlib.contextmanager
def fonts_dated(moment: dt.datetime | None) -> Iterator[None]:
    """Within the block, in this thread, the fonts WeasyPrint has written record `moment` (None: the clock)."""
    token = _FONT_EPOCH.set(None if moment is None else int(moment.timestamp()))
    try:
        yield
    finally:
        _FONT_EPOCH.reset(token)


_date_fonts_by_context()


MOVE_HYPHENATED_LINES = True
"""Whether a page's last line ending in a hyphen moves to the next page during the layout (`_no_hyphen_at_page_end`);
off, only the layout again with the word kept whole avoids it (the tests compare both ways)."""


def _no_hyphen_at_page_end() -> None:
    """Have WeasyPrint carry no broken word over a page: when a page's last line ends in a hyphen, the line goes to
    the next page, or the whole paragraph does when the lines left would be fewer than its orphans (as for its
    orphans; not when the paragraph opens the page). A typesetter shortens the page by a line or two rather than
    finish a word overleaf. WeasyPrint breaks a paragraph across pages in one place, `_break_line` (after it keeps
    the widows the paragraph asks for), and resumes on the next page after the last line it kept; this wraps it.
    Where a break moves earlier for another reason (`break-after: avoid`), publish.present.pagination
    .unwanted_breaks finds the word after the layout. Installed once, when this module loads."""
    from weasyprint.formatting_structure import boxes
    from weasyprint.layout import block

    original: Any = block._break_line
    if getattr(original, "publish_wrapped", False):
        return

    def ends_hyphenated(line: Any) -> bool:
        texts = [box.text for box in line.descendants() if isinstance(box, boxes.TextBox) and box.text.strip()]
        return bool(texts) and texts[-1].rstrip().endswith(hyphenation.HYPHEN)

    def break_line(context: Any, box: Any, line: Any, new_children: list[Any], needed: int, page_is_empty: bool,
                   *rest: Any) -> Any:
        abort, stop, resume_at = original(context, box, line, new_children, needed, page_is_empty, *rest)
        absolute_boxes, fixed_boxes = rest[-2:]
        while MOVE_HYPHENATED_LINES and not abort and stop and new_children and ends_hyphenated(new_children[-1]):
            if len(new_children) > max(1, box.style["orphans"]):
                block.remove_placeholders(context, new_children[-1].children, absolute_boxes, fixed_boxes)
                del new_children[-1]
            elif not page_is_empty:
                return True, False, resume_at
            else:
                break
        return abort, stop, resume_at

    break_line.publish_wrapped = True  # type: ignore[attr-defined]
    block._break_line = break_line


_no_hyphen_at_page_end()


def _leaders_in_one_run() -> None:
    """Have WeasyPrint draw a leader's dots as one run of text. It fills a leader (`leader(".")`, the contents'
    dots) with a copy of the text box per dot, each drawn alone: Pango shapes every dot again when the page is
    written, 0.9 s of a 200-article contents' 1.6 s. After WeasyPrint places the copies, this puts one box in their
    place holding the dots side by side from the leftmost copy's position, when that lands each dot where the
    copies stood: a left-to-right line, one character (no space) without letter spacing or a line drawn under,
    over or through it (drawn per copy), whose run Pango makes exactly as wide as the copies (no kerning between
    the dots), and whose dots move by at most a thousandth of an em in all (WeasyPrint writes a glyph's advance
    rounded to thousandths of an em, where each copy had a position of its own); otherwise the copies stay.
    Installed once, when this module loads."""
    from weasyprint.layout import inline, leader
    from weasyprint.text import line_break

    original: Any = inline.handle_leader
    if getattr(original, "publish_wrapped", False):
        return

    def handle_leader(context: Any, line: Any, containing_block: Any) -> None:
        original(context, line, containing_block)
        index, box = leader.leader_index(line)
        if index is None or len(box.children) < 2 or line.style["direction"] != "ltr":
            return
        dots = sorted(box.children, key=lambda dot: dot.position_x)  # WeasyPrint places them from the right
        first = dots[0]
        text, width = first.text, first.width
        decoration = first.style["text_decoration_line"]
        if len(text) != 1 or text.isspace() or first.style["letter_spacing"] not in ("normal", 0) \
                or any(line in decoration for line in ("underline", "overline", "line-through")) \
                or any(dot.text != text or dot.pango_layout is not first.pango_layout for dot in dots):
            return
        if any(abs(dot.position_x - (first.position_x + number * width)) > 1e-6 for number, dot in enumerate(dots)):
            return
        layout = copy.copy(first.pango_layout)
        layout.max_width = None
        layout.setup(first.style)
        layout.set_text(text * len(dots))
        run, _ = layout.get_first_line()
        measured = line_break.line_size(run, first.style)[0]
        layout.deactivate()
        if abs(measured - width * len(dots)) > 1e-3:
            return
        advance = width * 1000 / first.style["font_size"]  # in thousandths of an em, as WeasyPrint writes it: it
        if abs(advance - round(advance)) * len(dots) > 1:  # rounds a glyph's advance, so each dot moves by the
            return                                         # difference; at most a thousandth of an em in all
        merged = first.copy_with_text(text * len(dots))
        merged.pango_layout, merged.width = layout, width * len(dots)
        box.children = (merged,)

    handle_leader.publish_wrapped = True  # type: ignore[attr-defined]
    handle_leader.publish_original = original  # type: ignore[attr-defined]
    inline.handle_leader = handle_leader


_leaders_in_one_run()


_GLYPH_FIELDS = 5
"""Pango's PangoGlyphInfo, as 32-bit integers: the glyph, its width and x and y offsets (Pango units), its visual
attributes."""


def _glyphs_read_at_once() -> None:
    """Have WeasyPrint read a line's glyphs from Pango's arrays at once when it writes them. Its writer walks each
    glyph through cffi, a dozen C structure lookups per glyph: half the time of writing a page of text (0.58 s of a
    97-page section's 1.09 s). This writes the same bytes, operator for operator, reading each run's glyphs as one
    block of memory, and keeps what it writes for a glyph of a given width (its id and the kerning after it) for the
    glyph's next appearance in that font and size; a line that needs more than text (a colour, bitmap or SVG font's
    glyphs drawn as pictures, a glyph the fonts lack, a raised or lowered glyph, an ellipsis) is left to
    WeasyPrint's own writer. Installed once, when this module loads."""
    from weasyprint.draw import text as drawn
    from weasyprint.text.ffi import FROM_UNITS, ffi, pango

    original: Any = drawn.draw_first_line
    if getattr(original, "publish_wrapped", False) or ffi.sizeof("PangoGlyphInfo") != 4 * _GLYPH_FIELDS:
        return

    def draw_first_line(stream: Any, textbox: Any, text_overflow: str, block_ellipsis: Any, matrix: Any) -> Any:
        own = draw_first_line.publish_original  # type: ignore[attr-defined]  # WeasyPrint's (a test counts them)
        if text_overflow == "ellipsis" or block_ellipsis != "none" or not textbox.text.strip() \
                or textbox.style["font_size"] < 1e-6:
            return own(stream, textbox, text_overflow, block_ellipsis, matrix)
        layout = textbox.pango_layout
        pango.pango_layout_set_single_paragraph_mode(layout.layout, True)
        first_line, _ = layout.get_first_line()
        runs = []
        run = first_line.runs[0]
        while run != ffi.NULL:
            item = run.data
            run = run.next
            font, size = stream.add_font(item.item.analysis.font)  # as WeasyPrint does, in the same order
            data = array("i")
            data.frombytes(ffi.buffer(item.glyphs.glyphs, item.glyphs.num_glyphs * 4 * _GLYPH_FIELDS))
            glyphs = data[0::_GLYPH_FIELDS]
            if font.bitmap or font.svg or font.png or font.colr or (glyphs and max(glyphs) > 0xFFFF) \
                    or any(data[3::_GLYPH_FIELDS]):
                return own(stream, textbox, text_overflow, block_ellipsis, matrix)  # above 0xFFFF: empty, missing
            runs.append((item, font, size, zip(glyphs, data[1::_GLYPH_FIELDS], data[2::_GLYPH_FIELDS], strict=True)))
        stream.set_text_matrix(*matrix.values)
        previous = None
        string = ""
        utf8 = None
        font_size = 0.0
        for item, font, size, infos in runs:  # infos: each glyph's id, width and x offset
            pango_font = item.item.analysis.font
            if pango_font != previous:  # a font of its own: as WeasyPrint, which sizes it by the style before
                previous = pango_font   # Pango 1.48.2 (pango/-/issues/530)
                font_size = textbox.style["font_size"] if pango.pango_version() < 14802 else size
                if string:
                    stream.show_text(string)
                string = ""
                stream.set_font_size(font.hash, font_size)
            pieces = ["<"]
            widths, to_unicode = font.widths, font.to_unicode
            written = font.__dict__.setdefault("publish_written", {}).setdefault(font_size, {})
            for i, (glyph, width, x_offset) in enumerate(infos):
                if not x_offset and (piece := written.get((glyph, width))) is not None:
                    pieces.append(piece)  # the glyph, its width and its characters known already
                    continue
                if glyph not in to_unicode:  # which characters the glyph shows, as WeasyPrint finds them
                    utf8 = utf8 or layout.text.encode()
                    clusters, start, length = item.glyphs.log_clusters, item.item.offset, item.item.length
                    if item.item.analysis.level % 2:
                        end = length if i == 0 else clusters[i - 1]
                    else:
                        end = length if i == item.glyphs.num_glyphs - 1 else clusters[i + 1]
                    to_unicode[glyph] = utf8[start + clusters[i]:start + end].decode()
                if glyph in widths:
                    logical = widths[glyph]
                else:
                    pango.pango_font_get_glyph_extents(pango_font, glyph, stream.ink_rect, stream.logical_rect)
                    logical = widths[glyph] = round(stream.logical_rect.width * 1000 * FROM_UNITS / font_size)
                offset = x_offset / font_size
                kerning = logical + offset - width * 1000 * FROM_UNITS / font_size  # as WeasyPrint rounds it
                piece = f"{glyph:04x}>{int(kerning)}<" if kerning else f"{glyph:04x}"
                if offset:
                    pieces.append(f">{-offset}<{piece}")
                else:
                    pieces.append(written.setdefault((glyph, width), piece))
            string += "".join(pieces)
            string = string[:-1] if string[-1] == "<" else string + ">"
        stream.show_text(string)
        return []

    draw_first_line.publish_wrapped = True  # type: ignore[attr-defined]
    draw_first_line.publish_original = original  # type: ignore[attr-defined]
    drawn.draw_first_line = draw_first_line


_glyphs_read_at_once()
URLFetcher: Any = weasyprint.urls.URLFetcher
log = logging.getLogger("publish")
MAX_FETCH_BYTES = 64 * 1024 * 1024
"""The largest file the renderer reads for a stylesheet, font or image."""


class _RefusalsReported(logging.Filter):
    """WeasyPrint logs an error for every resource it could not load; for one publish refused, the warning
    publish gave already says which and why. Its other lines are advice, never a build's error: warnings (a
    render names its input in them too, see publish.build)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if "publish refused" in record.getMessage():
            return False
        if record.levelno > logging.WARNING:
            record.levelno, record.levelname = logging.WARNING, "WARNING"
        return True


logging.getLogger("weasyprint").addFilter(_RefusalsReported())


class ContainedFetcher(URLFetcher):  # type: ignore[misc]
    """Serves data: URIs and regular files inside the allowed folders; http(s) only when allowed; refuses the rest."""

    def __init__(self, roots: tuple[Path, ...], allow_remote: bool) -> None:
        super().__init__(timeout=10, allowed_protocols=None, allow_redirects=False, fail_on_errors=False)
        self.roots = tuple(root.resolve() for root in roots)
        self.allow_remote = allow_remote
        self.refused: list[str] = []

    def fetch(self, url: str, headers: Any = None) -> Any:
        scheme = urlsplit(url).scheme.lower()
        if scheme == "data" or (scheme in ("http", "https") and self.allow_remote):
            return super().fetch(url, headers)
        if scheme == "file":
            path = Path(url2pathname(unquote(urlsplit(url).path))).resolve()
            reason = self._refusal(path)
            if reason is None:
                with path.open("rb") as handle:
                    data = handle.read(MAX_FETCH_BYTES + 1)
                if len(data) <= MAX_FETCH_BYTES:
                    return weasyprint.urls.URLFetcherResponse(url, data)
                reason = f"larger than {MAX_FETCH_BYTES // 1024 // 1024} MiB"
        else:
            reason = "a remote resource (use --allow-remote to fetch it)" if scheme in ("http", "https") \
                else f"a {scheme or 'schemeless'} URL"
        self.refused.append(url)
        log.warning("refused to fetch %s: %s", url, reason)
        raise ValueError(f"publish refused {url}: {reason}")

    def _refusal(self, path: Path) -> str | None:
        """Why a local file may not be read (outside the allowed folders, missing, not a regular file), or None."""
        if not any(path.is_relative_to(root) for root in self.roots):
            return "outside the article's folder and the theme"
        try:
            mode = path.stat().st_mode
        except OSError:
            return "not found"
        return None if stat.S_ISREG(mode) else "not a regular file (a device, pipe or socket)"


def write(html: Any, source: model.Document, options: dict[str, Any], hyphenate: bool = False) -> bytes:
    """Lay out and write the PDF reproducibly with WeasyPrint's `options` (publish.backends.pdf.layout_options: the
    identifier from the uid, the conformance level asked for declared): no "now" anywhere (the dates are the
    document's own, else SOURCE_DATE_EPOCH's, else none)."""
    with fonts_dated(reproducible.font_moment(source)):
        kept_whole: frozenset[str] = frozenset()
        for _ in range(pagination.LAYOUTS):
            with hyphenation.protected(kept_whole):
                document = html.render(**options)
            more = pagination.unwanted_breaks(document.pages) - kept_whole if hyphenate else frozenset()
            kept_whole |= more
            if not pagination.fit_figures(document.pages) and not more:
                break
        story = pagination.copyfit_target(html.etree_element)
        if story is not None and pagination.last_page_near_empty(document.pages):  # copyfit: the last story a
            story.set(pagination.COPYFIT, "")  # little tighter, kept if a page goes
            with hyphenation.protected(kept_whole):
                fitted = html.render(**options)
            if len(fitted.pages) < len(document.pages):
                document = fitted
        return write_laid_out(document, source, options)


def write_laid_out(document: Any, source: model.Document, options: dict[str, Any]) -> bytes:
    """A laid-out document's PDF (inside `fonts_dated(reproducible.font_moment(source))`): dated by the source, else by
    SOURCE_DATE_EPOCH."""
    epoch = reproducible.source_date_epoch()
    if epoch is not None and reproducible.document_date(source) is None:
        document.metadata.created = document.metadata.modified = reproducible.w3c(epoch)
    with warnings.catch_warnings():  # WeasyPrint 70 opens its sRGB profile (PDF/A) and never closes it
        warnings.simplefilter("ignore", ResourceWarning)
        pdf: bytes = document.write_pdf(**options)
    return pdf
