"""The PDF backend: WeasyPrint lays out the print-ready HTML, fetching nothing outside the allowed folders."""

from __future__ import annotations

import contextlib
import ctypes.util
import logging
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import unquote, urlsplit
from urllib.request import url2pathname

from publish import model
from publish.backends import RenderContext
from publish.backends import html as html_backend


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
        with _direct_library_loading():
            import weasyprint
    except OSError:  # a system whose libraries are found only by the search: import again with it
        for name in [m for m in sys.modules if m == "weasyprint" or m.startswith("weasyprint.")]:
            del sys.modules[name]
        import weasyprint  # noqa: F401
    return sys.modules["weasyprint"]


weasyprint = _import_weasyprint()
URLFetcher: Any = weasyprint.urls.URLFetcher
log = logging.getLogger("publish")


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
            if path.is_file() and any(path.is_relative_to(root) for root in self.roots):
                return weasyprint.urls.URLFetcherResponse(url, path.read_bytes())
            reason = "outside the article's folder and the theme" if path.exists() else "not found"
        else:
            reason = "a remote resource (use --allow-remote to fetch it)" if scheme in ("http", "https") \
                else f"a {scheme or 'schemeless'} URL"
        self.refused.append(url)
        log.warning("refused to fetch %s: %s", url, reason)
        raise ValueError(f"publish refused {url}: {reason}")


def render(article: model.Article, context: RenderContext) -> bytes:
    """The PDF of the article's print-ready HTML: selectable text, embedded fonts, metadata and bookmarks."""
    html = html_backend.render(article, context)
    fetcher = ContainedFetcher((context.resources.base_dir, *context.resources.roots, context.theme.folder),
                               context.allow_remote)
    document = weasyprint.HTML(string=html, base_url=context.resources.base_dir.resolve().as_uri() + "/",
                               url_fetcher=fetcher)
    pdf: bytes = document.write_pdf(pdf_identifier=article.meta.uid.encode("utf-8"), presentational_hints=True)
    return pdf
