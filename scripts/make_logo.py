"""Draw samples/logo.png, the Harbour Daily logo: a lighthouse over waves beside the wordmark (run once; committed).

The logo is 600x160 px on a transparent background, in navy with a red accent. It is drawn four times larger and
scaled down, so the edges are smooth. The bold sans font is found with `fc-match` (DejaVu Sans Bold); pass another
font file as the second argument to use it instead:

    python3 scripts/make_logo.py [OUT.png] [FONT.ttf]
"""

from __future__ import annotations

import math
import shutil
import subprocess
import sys
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

W, H = 600, 160
SCALE = 4
"""Drawn at this multiple of the final size, then scaled down for anti-aliasing."""
NAVY = (16, 42, 67, 255)  # #102a43
RED = (159, 29, 32, 255)  # #9f1d20
WHITE = (255, 255, 255, 255)
WORDMARK = "HARBOUR DAILY"
FALLBACK_FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf")

Point = tuple[float, float]


def find_font() -> Path:
    """The file of a bold sans font: what fontconfig picks for DejaVu Sans Bold, else the usual Debian path."""
    fc_match = shutil.which("fc-match")
    if fc_match:
        found = subprocess.run([fc_match, "-f", "%{file}", "DejaVu Sans:bold"], capture_output=True, text=True,
                               check=False).stdout.strip()
        if found and Path(found).is_file():
            return Path(found)
    if FALLBACK_FONT.is_file():
        return FALLBACK_FONT
    raise SystemExit("no bold sans font found: pass a .ttf file as the second argument")


def s(value: float) -> int:
    """A length in final-size pixels, in drawing pixels."""
    return round(value * SCALE)


def wave(y: float, x0: float, x1: float, amplitude: float, period: float) -> list[Point]:
    """Points along a sine wave from x0 to x1 around height y (final-size pixels), in drawing pixels."""
    steps = 120
    return [(s(x0 + (x1 - x0) * i / steps),
             s(y + amplitude * math.sin(2 * math.pi * (x0 + (x1 - x0) * i / steps) / period)))
            for i in range(steps + 1)]


def draw_mark(draw: ImageDraw.ImageDraw, cx: float) -> None:
    """The lighthouse with its beams, standing over two waves, centred on x = cx."""
    base, top = 112.0, 52.0
    half_base, half_top = 17.0, 10.0

    # Beams: two red wedges fanning out from the lantern.
    lamp_y = 42.0
    for side in (-1, 1):
        draw.polygon([(s(cx + side * 8), s(lamp_y - 2)), (s(cx + side * 58), s(lamp_y - 14)),
                      (s(cx + side * 58), s(lamp_y + 6)), (s(cx + side * 8), s(lamp_y + 2))], fill=RED)

    # Tower: a tapered navy body with two white bands.
    draw.polygon([(s(cx - half_base), s(base)), (s(cx - half_top), s(top)),
                  (s(cx + half_top), s(top)), (s(cx + half_base), s(base))], fill=NAVY)
    def half(y: float) -> float:
        return half_top + (half_base - half_top) * (y - top) / (base - top)

    for y0, y1 in ((68.0, 76.0), (88.0, 96.0)):
        draw.polygon([(s(cx - half(y0)), s(y0)), (s(cx + half(y0)), s(y0)),
                      (s(cx + half(y1)), s(y1)), (s(cx - half(y1)), s(y1))], fill=WHITE)

    # Gallery, lantern room with its light, and the roof.
    draw.rectangle((s(cx - 14), s(top - 4), s(cx + 14), s(top)), fill=NAVY)
    draw.rectangle((s(cx - 8), s(lamp_y - 8), s(cx + 8), s(top - 4)), fill=NAVY)
    draw.rectangle((s(cx - 4), s(lamp_y - 5), s(cx + 4), s(lamp_y + 4)), fill=RED)
    draw.polygon([(s(cx - 11), s(lamp_y - 8)), (s(cx), s(lamp_y - 20)), (s(cx + 11), s(lamp_y - 8))], fill=NAVY)

    # Waves: a navy one under the tower's foot and a red one below it.
    draw.line(wave(118, cx - 58, cx + 58, 3.5, 29), fill=NAVY, width=s(5), joint="curve")
    draw.line(wave(132, cx - 58, cx + 58, 3.5, 29), fill=RED, width=s(4), joint="curve")


def draw_wordmark(draw: ImageDraw.ImageDraw, font_path: Path, left: float, right: float) -> None:
    """"HARBOUR DAILY" in navy, as large as fits between left and right, with a red rule under it."""
    width = s(right - left)
    size = s(60)
    font = ImageFont.truetype(str(font_path), size)
    while draw.textlength(WORDMARK, font=font) > width and size > s(10):
        size -= 1
        font = ImageFont.truetype(str(font_path), size)
    x0, y0, x1, y1 = draw.textbbox((0, 0), WORDMARK, font=font, anchor="ls")
    text_height = y1 - y0  # y0 is negative: the cap height above the baseline
    rule_gap, rule_height = s(12), s(5)
    block = text_height + rule_gap + rule_height
    baseline = (s(H) - block) // 2 + text_height
    draw.text((s(left), baseline), WORDMARK, font=font, fill=NAVY, anchor="ls")
    rule_top = baseline + rule_gap
    draw.rectangle((s(left) + x0, rule_top, s(left) + x1, rule_top + rule_height), fill=RED)


def main(out: Path, font_path: Path | None = None) -> None:
    img = Image.new("RGBA", (s(W), s(H)), (255, 255, 255, 0))
    draw = ImageDraw.Draw(img)
    draw_mark(draw, cx=76)
    draw_wordmark(draw, font_path or find_font(), left=150, right=W - 16)
    img.resize((W, H), Image.Resampling.LANCZOS).save(out, optimize=True)


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "samples/logo.png"),
         Path(sys.argv[2]) if len(sys.argv) > 2 else None)
