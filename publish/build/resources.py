"""Resources an article refers to (its images): resolved inside allowed folders, checked to be real images."""

from __future__ import annotations

import base64
import hashlib
import io
import re
import stat
import warnings
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from urllib.parse import unquote, urlsplit

from publish import model
from publish.errors import ResourceError
from publish.model.text import plain
from publish.readers.fetch import FetchOptions, fetch

REMOTE_SCHEMES = ("http", "https")

MEDIA_TYPES = {"PNG": "image/png", "JPEG": "image/jpeg", "GIF": "image/gif"}
EXTENSIONS = {"image/png": ".png", "image/jpeg": ".jpg", "image/gif": ".gif"}
MAX_IMAGE_BYTES = 25 * 1024 * 1024
MAX_IMAGE_PIXELS = 60_000_000


@dataclass(frozen=True, slots=True)
class Image:
    """An image file read and checked."""

    src: str
    """The reference as written in the article."""
    path: Path
    """Where it was found."""
    data: bytes
    """The file's bytes."""
    media_type: str
    """image/png, image/jpeg or image/gif."""
    width: int
    """Width in pixels."""
    height: int
    """Height in pixels."""

    @property
    def file_name(self) -> str:
        """A name unique to the content, safe in a ZIP or URL: the stem, a short hash and the right extension."""
        stem = re.sub(r"[^A-Za-z0-9_-]+", "-", self.path.stem).strip("-")[:40] or "image"
        digest = hashlib.sha256(self.data).hexdigest()[:8]
        return f"{stem}-{digest}{EXTENSIONS[self.media_type]}"


@dataclass
class Resources:
    """Finds an article's images relative to its folder, never outside the allowed roots."""

    base_dir: Path
    """The article's own folder: relative references resolve here."""
    roots: tuple[Path, ...] = ()
    """Other folders references may point into (the theme's); the base folder is always allowed."""
    remote: FetchOptions = field(default_factory=FetchOptions)
    """Whether http(s) images are fetched (`--allow-remote`), and within which limits."""
    _cache: dict[str, Image] = field(default_factory=dict, repr=False)

    def allowed(self, path: Path) -> bool:
        """Whether a resolved path lies inside the article's folder or another allowed root."""
        resolved = path.resolve()
        return any(resolved.is_relative_to(root.resolve()) for root in (self.base_dir, *self.roots))

    def image(self, src: str) -> Image:
        """The checked image `src` refers to; ResourceError if it is remote, outside, missing or not an image."""
        if src not in self._cache:
            self._cache[src] = self._load(src)
        return self._cache[src]

    def _load(self, src: str) -> Image:
        if src.startswith("data:"):
            return _data_image(src)
        parts = urlsplit(src)
        if parts.scheme.lower() in REMOTE_SCHEMES and self.remote.allow_remote:
            return self._fetch(src)
        if parts.scheme and parts.scheme != "file" and len(parts.scheme) > 1:
            raise ResourceError(f"image {src!r}: remote images are not fetched; save it beside the article "
                                "and refer to it by a relative path")
        raw = unquote(parts.path) if parts.scheme == "file" else src
        candidate = Path(raw) if PurePosixPath(raw).is_absolute() else self.base_dir / raw
        if not self.allowed(candidate):
            raise ResourceError(f"image {src!r} is outside the article's folder; only files inside it are used")
        try:
            info = candidate.stat()
        except OSError:
            raise ResourceError(f"image {src!r} not found (looked for {candidate})") from None
        if not stat.S_ISREG(info.st_mode):  # a folder, device, pipe or socket: never read
            raise ResourceError(f"image {src!r} is not a regular file (looked at {candidate})")
        if info.st_size > MAX_IMAGE_BYTES:
            raise ResourceError(f"image {src!r} is {info.st_size // 1024 // 1024} MiB; the limit is "
                                f"{MAX_IMAGE_BYTES // 1024 // 1024} MiB")
        with candidate.open("rb") as handle:
            data = handle.read(MAX_IMAGE_BYTES + 1)
        if len(data) > MAX_IMAGE_BYTES:
            raise ResourceError(f"image {src!r} grew past {MAX_IMAGE_BYTES // 1024 // 1024} MiB while being read")
        media_type, width, height = _inspect(data, src)
        return Image(src=src, path=candidate, data=data, media_type=media_type, width=width, height=height)


    def _fetch(self, src: str) -> Image:
        """An http(s) image, allowed by --allow-remote: fetched within the time, size and redirect limits."""
        limits = FetchOptions(allow_remote=True, timeout=self.remote.timeout, max_bytes=MAX_IMAGE_BYTES,
                              max_redirects=self.remote.max_redirects)
        got = fetch(src, limits, error=ResourceError, what=f"image {src!r}")
        media_type, width, height = _inspect(got.data, src)
        name = PurePosixPath(unquote(urlsplit(got.final_url).path)).name or "image"
        return Image(src=src, path=Path(name), data=got.data, media_type=media_type, width=width, height=height)


def is_remote(src: str) -> bool:
    """Whether an image address is an http(s) URL."""
    return urlsplit(src).scheme.lower() in REMOTE_SCHEMES


def without_remote_images(article: model.Article) -> tuple[model.Article, list[str]]:
    """The article with each http(s) figure replaced by its alt text and caption, for a build without
    --allow-remote (nothing is fetched); and the addresses left unfetched, for one warning."""
    left: list[str] = []

    def offline(block: model.Block) -> list[model.Block]:
        if isinstance(block, model.Figure) and is_remote(block.src):
            left.append(block.src)
            return figure_words(block)
        return [block]

    blocks = model.map_blocks(article.blocks, offline)
    return (model.Article(article.meta, blocks) if left else article), left


def figure_words(figure: model.Figure) -> list[model.Block]:
    """What a figure says without its image: its alt text in brackets (unless the caption says the same), the
    caption and the credit, as one paragraph; nothing when it has none of them."""
    alt = " ".join(figure.alt.split())
    caption_text = " ".join(plain(figure.caption).split())
    inlines: list[model.Inline] = []
    if alt and alt != caption_text:
        inlines.append(model.Emphasis((model.Text(f"[{alt}]"),)))
    if figure.caption:
        inlines.extend([model.Text(" ")] if inlines else [])
        inlines.extend(figure.caption)
    if figure.credit:
        inlines.append(model.Text(f" {figure.credit}" if inlines else figure.credit))
    return [model.Paragraph(tuple(inlines))] if inlines else []


def _data_image(src: str) -> Image:
    """An image carried in the article itself as a base64 data: URI (a DOCX's pictures), checked like a file."""
    header, _, payload = src.partition(",")
    if not header.endswith(";base64") or len(payload) > MAX_IMAGE_BYTES * 4 // 3 + 4:
        raise ResourceError(f"image {src[:40]!r}…: only base64 data: URIs up to "
                            f"{MAX_IMAGE_BYTES // 1024 // 1024} MiB are read")
    try:
        data = base64.b64decode(payload, validate=True)
    except ValueError:
        raise ResourceError(f"image {src[:40]!r}…: the data: URI is not valid base64") from None
    media_type, width, height = inspect_image(data, src[:40] + "…")
    return Image(src=src, path=Path("figure"), data=data, media_type=media_type, width=width, height=height)


def inspect_image(data: bytes, src: str) -> tuple[str, int, int]:
    """The media type and size of an image, refusing non-images, unsupported formats and decompression bombs."""
    return _inspect(data, src)


def _inspect(data: bytes, src: str) -> tuple[str, int, int]:
    """The media type and size of an image, refusing non-images, unsupported formats and decompression bombs."""
    from PIL import Image as PILImage  # Pillow is already loaded by WeasyPrint; imported late for the other paths

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", PILImage.DecompressionBombWarning)
            with PILImage.open(io.BytesIO(data)) as img:
                fmt, (width, height) = img.format or "", img.size
                if width * height > MAX_IMAGE_PIXELS:
                    raise ResourceError(f"image {src!r} is {width}x{height} pixels; the limit is "
                                        f"{MAX_IMAGE_PIXELS:,} pixels")
                img.verify()
    except ResourceError:
        raise
    except (PILImage.DecompressionBombWarning, PILImage.DecompressionBombError):
        raise ResourceError(f"image {src!r} is too large to decode safely") from None
    except Exception:  # Pillow raises many types for a file that is not an image
        raise ResourceError(f"image {src!r} is not a readable image file") from None
    if fmt not in MEDIA_TYPES:
        raise ResourceError(f"image {src!r} is {fmt}; use PNG, JPEG or GIF")
    return MEDIA_TYPES[fmt], width, height
