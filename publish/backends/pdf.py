"""The PDF backend: WeasyPrint lays out the print-ready HTML, fetching nothing outside the allowed folders
(publish.backends.pdfengine); a collection's PDF in parts, in parallel (publish.backends.pdfparts).

A collection's PDF comes from the cache whole when nothing it depends on changed: then neither WeasyPrint nor the
HTML is needed, and a rebuild of an unchanged brief takes the time to read its articles."""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from publish import model
from publish.backends import RenderContext, whole_collection
from publish.backends import html as html_backend
from publish.build import cache, processes, reproducible
from publish.checks import conformance
from publish.present import hyphenation

LIBRARIES = ("weasyprint", "pydyf", "tinycss2", "cssselect2", "tinyhtml5", "fonttools", "cffi", "pikepdf")
"""What the PDF is laid out and written with, beyond what every cache key names (publish.build.cache.LIBRARIES)."""


def render(article: model.Document, context: RenderContext) -> bytes:
    """The PDF of the print-ready HTML of an article or a collection: selectable text, embedded fonts,
    metadata and bookmarks."""
    match article:
        case model.Collection() if not context.allow_remote:  # what the web serves is not in the key
            # the fonts record the document's date; parts or a single pass (and how many parts) depend on the
            # cores and whether this process may fork
            stamp = (f"{reproducible.font_moment(article)!r}|{reproducible.source_date_epoch()!r}|"
                     f"{processes.cores()}|{processes.can_fork()}")
            return whole_collection("pdf", article, context, stamp, lambda: _laid_out(article, context),
                                    libraries=LIBRARIES)
    return _laid_out(article, context)


def _laid_out(article: model.Document, context: RenderContext) -> bytes:
    html = functools.cache(lambda: print_html(article, context))
    match article:
        case model.Collection() if context.pdf_parts != "off":  # in parts, in parallel, stitched
            from publish.backends import pdfparts

            if (stitched := pdfparts.render(article, html, context)) is not None:
                return stitched
    if context.theme.typography.hyphenate:
        cache.load_hyphenation({a.meta.language for a in article.articles})
    from publish.backends import pdfengine

    fetcher = pdfengine.ContainedFetcher((context.resources.base_dir, *context.resources.roots,
                                          context.theme.folder), context.allow_remote)
    document = pdfengine.weasyprint.HTML(string=html(), base_url=context.resources.base_dir.resolve().as_uri() + "/",
                                         url_fetcher=fetcher)
    return pdfengine.write(document, article, layout_options(article.uid, context.pdf_variant),
                           context.theme.typography.hyphenate)


def layout_options(uid: str, variant_name: str) -> dict[str, Any]:
    """WeasyPrint's options for a document: presentational hints, the identifier from the uid, the variant."""
    variant = conformance.pdf_variant(variant_name)
    options: dict[str, Any] = {"presentational_hints": True, "pdf_identifier": uid.encode("utf-8")}
    if variant is not None:
        options["pdf_variant"] = variant.name
    return options


def print_html(article: model.Document, context: RenderContext) -> str:
    """The print-ready HTML WeasyPrint lays out: the HTML backend's, for the PDF, with every paragraph's last word
    kept whole where the theme hyphenates (publish.present.hyphenation; in a collection's, each article's piece
    comes so from the HTML backend, from the cache when it is unchanged)."""
    html = html_backend.render(article, context, remote_images=context.allow_remote, for_pdf=True)
    typography = context.theme.typography
    if not typography.hyphenate or isinstance(article, model.Collection):
        return html
    return hyphenation.last_words_kept_whole(html, typography.hyphenate_before + typography.hyphenate_after)


# --- starting the part workers early, for a rebuild -----------------------------------------------------------
#
# The parted PDF's workers are forked by a keeper process that imports WeasyPrint first (a third of a second). When
# it starts as the collection's PDF is rendered, a rebuild after one article changed waits for it: the articles
# come from the cache faster than that. So a build of a manifest whose inputs changed since its last build, which
# was laid out in parts, starts the keeper before reading (publish.backends.pdfparts.prestart). A guess, from the
# files' sizes and times, never from what they hold: a wrong one costs the keeper's import on another core, or the
# wait it saves; the PDF is the same either way.


def prestart_if_expected(manifest: Path, hint: str) -> bool:
    """Start the PDF's part workers now if this build of `manifest` is expected to lay pages out in parts: its
    last build did, and a file it read has changed since (`remember_inputs`), or it has not been built with these
    options (nothing of it is in the cache); whether it did. `hint` names the options that choose the layout.
    Started before the articles are read, the workers also do not hold a copy of them (a 1,000-article brief's
    build holds a third of a GiB by the time it lays pages out: a worker forked then counted it in its own)."""
    if not processes.can_fork() or processes.cores() < 2:
        return False
    record = cache.get_json("documents", _inputs_key(manifest, hint))
    if record is not None:
        if not (isinstance(record, dict) and record.get("parts") is True and isinstance(record.get("files"), list)
                and all(isinstance(name, str) for name in record["files"])):
            return False
        if record.get("stamp") == _stamp(record["files"]):
            return False  # nothing changed: the PDF comes from the cache whole
    from publish.backends import pdfparts

    pdfparts.prestart()
    return True


def stop_prestarted() -> None:
    """End the part workers started early if the PDF did not need them."""
    pdfparts = sys.modules.get("publish.backends.pdfparts")
    if pdfparts is not None:
        pdfparts.stop_prestarted()


def remember_inputs(manifest: Path, hint: str, files: Sequence[Path], document: model.Document,
                    context: RenderContext) -> None:
    """Note, after a build of `manifest` with a PDF, the files it read and whether its PDF was laid out in parts,
    for the next build's guess (`prestart_if_expected`)."""
    key = _inputs_key(manifest, hint)
    names = [str(path.absolute()) for path in (manifest, *files)]
    stamp = _stamp(names)
    pdfparts = sys.modules.get("publish.backends.pdfparts")  # imported when the PDF was laid out, not when cached
    if pdfparts is not None:
        parts = pdfparts.usable(document, context)
    else:
        known = cache.get_json("documents", key)
        parts = isinstance(known, dict) and known.get("parts") is True
    cache.put_json("documents", key, {"files": names, "stamp": stamp, "parts": parts})


def _inputs_key(manifest: Path, hint: str) -> str:
    return cache.fingerprint("pdf-inputs", str(manifest.absolute()), hint)


def _stamp(names: Sequence[str]) -> str:
    """What the named files' sizes and modification times are now (a file gone counts too)."""
    seen = []
    for name in names:
        try:
            info = os.stat(name)
        except OSError:
            seen.append("-")
        else:
            seen.append(f"{info.st_ino}|{info.st_size}|{info.st_mtime_ns}")
    return cache.fingerprint(*seen)
