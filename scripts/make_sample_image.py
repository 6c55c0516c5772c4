"""Draw samples/harbour-at-dawn.png, the feature tour's figure: a harbour skyline at dawn (run once; committed)."""

from __future__ import annotations

import math
import sys
from pathlib import Path

from PIL import Image, ImageDraw

W, H = 960, 540


def main(out: Path) -> None:
    img = Image.new("RGB", (W, H))
    px = img.load()
    assert px is not None
    for y in range(H):
        t = y / H
        sky = (int(250 - 120 * t), int(190 - 90 * t), int(140 + 60 * t))
        sea = (int(40 + 30 * t), int(70 + 40 * t), int(110 + 30 * t))
        for x in range(W):
            px[x, y] = sky if y < H * 0.62 else sea
    draw = ImageDraw.Draw(img)
    draw.ellipse((600, 250, 720, 370), fill=(255, 214, 150))  # the sun on the horizon
    draw.rectangle((0, int(H * 0.62), W, H), fill=None)
    heights = [90, 140, 110, 180, 130, 220, 160, 120, 200, 100, 150, 90]
    x = 0
    for i, h in enumerate(heights):
        w = 60 + (i * 17) % 40
        draw.rectangle((x, int(H * 0.62) - h, x + w, int(H * 0.62)), fill=(45 + i * 4, 40 + i * 3, 70 + i * 5))
        for wy in range(int(H * 0.62) - h + 12, int(H * 0.62) - 8, 18):
            for wx in range(x + 8, x + w - 8, 14):
                if (wx * 7 + wy * 3 + i) % 5:
                    draw.rectangle((wx, wy, wx + 5, wy + 8), fill=(255, 220, 140))
        x += w + 6
    for k in range(14):  # glints on the water
        y = int(H * 0.66) + k * 12
        half = int(70 * math.exp(-k / 6))
        draw.line((660 - half, y, 660 + half, y), fill=(255, 200, 140), width=3)
    draw.polygon([(180, 430), (330, 430), (300, 460), (205, 460)], fill=(30, 30, 40))  # a ferry
    draw.rectangle((220, 405, 290, 430), fill=(230, 230, 235))
    img.save(out, optimize=True)


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "samples/harbour-at-dawn.png"))
