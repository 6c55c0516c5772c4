"""A cover image drawn from a collection's title, subtitle, edition date and publisher, in the theme's colours."""

from __future__ import annotations

import functools
import io
import shutil
import subprocess
from typing import TYPE_CHECKING

from publish import model, present
from publish.present.theme import Theme

if TYPE_CHECKING:
    from PIL import ImageFont

WIDTH, HEIGHT = 1600, 2400
"""A 2:3 portrait cover, the shape e-book stores ask for."""
MARGIN = 140


def draw_cover(collection: model.Collection, theme: Theme, logo: bytes | None = None) -> bytes:
    """A PNG cover: publisher and logo at the top, the title large, subtitle and edition date below it."""
    from PIL import Image, ImageDraw

    background, ink, accent = (_rgb(theme.colors.heading), (255, 255, 255), _rgb(theme.colors.accent))
    image = Image.new("RGB", (WIDTH, HEIGHT), background)
    draw = ImageDraw.Draw(image)
    family = theme.fonts.heading
    y = MARGIN
    if logo is not None:
        with Image.open(io.BytesIO(logo)) as opened:
            mark = opened.convert("RGBA")
            mark.thumbnail((WIDTH - 2 * MARGIN, 260))
            plate = Image.new("RGB", (mark.width + 60, mark.height + 60), (255, 255, 255))
            plate.paste(mark, (30, 30), mark)
            image.paste(plate, (MARGIN, y))
            y += plate.height + 80
    if collection.publisher and logo is None:  # a logo already names the publisher
        draw.text((MARGIN, y), collection.publisher.upper(), font=_font(family, 64, bold=True), fill=accent)
        y += 120
    draw.rectangle((MARGIN, y, WIDTH - MARGIN, y + 12), fill=accent)
    y += 120
    for line in _wrap(draw, collection.title, _font(family, 150, bold=True), WIDTH - 2 * MARGIN)[:5]:
        draw.text((MARGIN, y), line, font=_font(family, 150, bold=True), fill=ink)
        y += 175
    if collection.subtitle:
        y += 40
        for line in _wrap(draw, collection.subtitle, _font(family, 64), WIDTH - 2 * MARGIN)[:4]:
            draw.text((MARGIN, y), line, font=_font(family, 64), fill=ink)
            y += 84
    if collection.edition:
        draw.text((MARGIN, HEIGHT - MARGIN - 80), present.collection(collection, theme).edition, font=_font(family, 72),
                  fill=ink)
    out = io.BytesIO()
    image.save(out, format="PNG", compress_level=6)  # optimize=True: 3% smaller, twice as long (0.24 s against 0.13)
    return out.getvalue()


def _wrap(draw: object, value: str, font: ImageFont.FreeTypeFont | ImageFont.ImageFont, width: int) -> list[str]:
    """Words of `value` in lines no wider than `width` pixels (a longer single word keeps a line of its own)."""
    lines: list[str] = []
    for word in value.split():
        candidate = f"{lines[-1]} {word}" if lines else word
        if lines and draw.textlength(candidate, font=font) <= width:  # type: ignore[attr-defined]
            lines[-1] = candidate
        else:
            lines.append(word)
    return lines


@functools.lru_cache(maxsize=16)
def _font(families: tuple[str, ...], size: int, bold: bool = False) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    """The first of the theme's families that fontconfig finds, at `size` pixels; Pillow's own font otherwise."""
    from PIL import ImageFont

    path = _font_file(families, bold)
    if path:
        try:
            return ImageFont.truetype(path, size)
        except OSError:
            pass
    return ImageFont.load_default(size)


def _font_file(families: tuple[str, ...], bold: bool) -> str:
    matcher = shutil.which("fc-match")
    if matcher is None:
        return ""
    for family in families:
        pattern = f"{family}:bold" if bold else family
        found = subprocess.run([matcher, "-f", "%{file}", pattern], capture_output=True, text=True, timeout=10,
                               check=False).stdout.strip()
        if found:
            return found
    return ""


def _rgb(colour: str) -> tuple[int, int, int]:
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)
