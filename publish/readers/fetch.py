"""Remote fetching: http(s) URLs only, only when the user allows it, within a time, size and redirect limit.

Built on the standard library's urllib (no client to add or keep up; the three limits are a few lines with it):
the whole fetch, redirects and the body included, must finish within `timeout` seconds; a body over `max_bytes`
is refused from its Content-Length or as soon as it grows past the limit; more than `max_redirects` redirects, or
one to anything but http(s), is refused. Each gives one clear line naming the URL.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import IO, TYPE_CHECKING
from urllib.parse import urlsplit

from publish import __version__
from publish.errors import InputError, PublishError

if TYPE_CHECKING:  # urllib.request, http.client and email are imported when something is fetched (a build that
    import email.message  # fetches nothing saves their import)
    import http.client
    import urllib.request

    from publish.readers import Reading

SCHEMES = ("http", "https")
DEFAULT_TIMEOUT = 20.0
"""Seconds a whole fetch may take: long enough for a slow news site, short enough that a stuck one is noticed."""
DEFAULT_MAX_BYTES = 10 * 1024 * 1024
"""The largest page fetched, the same as the largest input file read (readers.MAX_INPUT_BYTES)."""
DEFAULT_MAX_REDIRECTS = 5
"""Redirects followed: sites commonly use one or two (http to https, a trailing slash); browsers stop at 20."""
CHUNK = 64 * 1024
USER_AGENT = f"publish/{__version__} (article reader)"


@dataclass(frozen=True, slots=True)
class FetchOptions:
    """Whether and how remote resources are fetched."""

    allow_remote: bool = False
    """Fetch http(s) inputs and the images they refer to (`--allow-remote`); nothing remote is fetched without."""
    timeout: float = DEFAULT_TIMEOUT
    """Seconds one fetch may take in all (`--fetch-timeout`)."""
    max_bytes: int = DEFAULT_MAX_BYTES
    """The largest response body accepted."""
    max_redirects: int = DEFAULT_MAX_REDIRECTS
    """The most redirects followed."""


@dataclass(frozen=True, slots=True)
class Fetched:
    """A response body and what its headers said about it."""

    url: str
    """The URL as asked for."""
    final_url: str
    """Where it was found after redirects."""
    data: bytes
    """The body."""
    media_type: str
    """The Content-Type's media type, lower case ("text/html"), or "" when not given."""
    charset: str | None
    """The Content-Type's charset parameter, or None."""


def is_url(name: str) -> bool:
    """Whether an input names a remote resource (any scheme://, so a file: or ftp: URL is refused, not read)."""
    scheme = urlsplit(name).scheme
    return len(scheme) > 1 and "://" in name


Refuse = Callable[[str], PublishError]


def fetch(url: str, options: FetchOptions, *, error: type[PublishError] = InputError, what: str = "") -> Fetched:
    """GET `url` within the options' limits; `error` is raised (naming the URL) for every failure.

    `what` names the resource in messages ("image https://..."); by default the URL itself is the path.
    """
    refuse = _refuser(url, error, what)
    scheme = urlsplit(url).scheme.lower()
    if scheme not in SCHEMES:
        raise refuse(f"only http and https URLs are fetched, not {scheme}:")
    if not options.allow_remote:
        raise refuse("is a remote URL; add --allow-remote to fetch it (nothing remote is fetched without it)")
    import urllib.error
    import urllib.request

    deadline = time.monotonic() + options.timeout
    opener = urllib.request.build_opener(_redirects()(options.max_redirects, refuse))
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT, "Accept-Encoding": "identity"})
    try:
        with opener.open(request, timeout=options.timeout) as response:
            headers: email.message.Message = response.headers
            length = headers.get("Content-Length", "")
            if length.isdigit() and int(length) > options.max_bytes:
                raise refuse(f"is {_size(int(length))}; responses over {_size(options.max_bytes)} are refused")
            data = _read(response, options, deadline, refuse)
            return Fetched(url, response.geturl(), data, headers.get_content_type().lower()
                           if headers.get("Content-Type") else "", headers.get_content_charset())
    except urllib.error.HTTPError as exc:
        exc.close()
        if 300 <= exc.code < 400:  # urllib refuses a redirect to file: or another scheme before asking us
            raise refuse(f"redirected to {exc.headers.get('Location', 'elsewhere')}; only http and https URLs "
                         "are fetched") from None
        raise refuse(f"the server answered HTTP {exc.code} {exc.reason}") from None
    except urllib.error.URLError as exc:
        if isinstance(exc.reason, TimeoutError):
            raise refuse(f"timed out after {options.timeout:g} s") from None
        reason = exc.reason.strerror if isinstance(exc.reason, OSError) and exc.reason.strerror else exc.reason
        raise refuse(f"cannot connect: {reason}") from None
    except TimeoutError:
        raise refuse(f"timed out after {options.timeout:g} s") from None
    except (OSError, ValueError) as exc:  # a reset connection, a malformed URL or response
        raise refuse(f"cannot fetch: {exc}") from None


def _read(response: http.client.HTTPResponse, options: FetchOptions, deadline: float, refuse: Refuse) -> bytes:
    """The body, in chunks, stopping at the size limit or the deadline (a server may send a byte a second)."""
    chunks: list[bytes] = []
    size = 0
    while True:
        if time.monotonic() > deadline:
            raise refuse(f"timed out after {options.timeout:g} s")
        chunk = response.read1(CHUNK)
        if not chunk:
            return b"".join(chunks)
        size += len(chunk)
        if size > options.max_bytes:
            raise refuse(f"is over {_size(options.max_bytes)}; responses over {_size(options.max_bytes)} are refused")
        chunks.append(chunk)


@functools.cache
def _redirects() -> Callable[[int, Refuse], urllib.request.BaseHandler]:
    """The redirect handler's class, made on the first fetch (urllib.request is imported only then)."""
    import urllib.request

    class Redirects(urllib.request.HTTPRedirectHandler):
        """Follows at most `limit` redirects, and only to http(s)."""

        max_repeats = max_redirections = 100  # our own count answers first, with a clear message

        def __init__(self, limit: int, refuse: Refuse) -> None:
            super().__init__()
            self.limit = limit
            self.refuse = refuse
            self.count = 0

        def redirect_request(self, req: urllib.request.Request, fp: IO[bytes], code: int, msg: str,
                             headers: http.client.HTTPMessage, newurl: str) -> urllib.request.Request | None:
            self.count += 1
            if self.count > self.limit or urlsplit(newurl).scheme.lower() not in SCHEMES:
                fp.close()  # urllib closes it only when we return a request
            if self.count > self.limit:
                raise self.refuse(f"redirected more than {self.limit} times (last to {newurl})")
            scheme = urlsplit(newurl).scheme.lower()
            if scheme not in SCHEMES:
                raise self.refuse(f"redirected to {newurl}; only http and https URLs are fetched")
            return super().redirect_request(req, fp, code, msg, headers, newurl)

    return Redirects


def _refuser(url: str, error: type[PublishError], what: str) -> Refuse:
    def refuse(message: str) -> PublishError:
        if what:
            return error(f"{what}: {message}")
        return error(message, path=url)

    return refuse


def url_stem(url: str) -> str:
    """The last segment of a URL's path without its extension ("night-ferry" for .../night-ferry.html)."""
    parts = [p for p in PurePosixPath(urlsplit(url).path).parts if p != "/"]
    return PurePosixPath(parts[-1]).stem if parts else ""


def _size(n: int) -> str:
    return f"{n / (1024 * 1024):.0f} MiB" if n >= 1024 * 1024 else f"{n / 1024:.0f} KiB" if n >= 1024 else f"{n} B"


MEDIA_READERS = {"text/html": "html", "application/xhtml+xml": "html", "application/rss+xml": "feed",
                 "application/atom+xml": "feed", "application/rdf+xml": "feed", "application/xml": "feed",
                 "text/xml": "feed"}
"""The reader for a fetched input whose URL has no known extension, by the media type the server gave."""


def read_url(url: str, input_format: str | None, options: FetchOptions) -> Reading:
    """Fetch an http(s) input (refused without --allow-remote) and read it with the reader `--from` names, else
    the one its URL's extension selects, else the one its media type selects."""
    from publish.readers import READERS, Source, read_source

    got = fetch(url, options)
    name = input_format
    if name is None:
        extension = PurePosixPath(urlsplit(url).path).suffix.lower()
        name = next((spec.name for spec in READERS.values() if extension and extension in spec.extensions),
                    MEDIA_READERS.get(got.media_type))
    if name is None:
        raise InputError(f"the server gave {got.media_type or 'no media type'}, which publish does not read; name "
                         f"the format with --from {'|'.join(READERS)}", path=url)
    return read_source(Source(url, got.data, None, got.charset), name)
