"""Render every sample with every built-in theme to PDF, and keep the first two pages of each as a small PNG in
docs/gallery/, with a README.md that shows them side by side (run after changing a theme or a template; commit).

    python3 scripts/gallery.py [OUT_DIR]

Needs pdftoppm (Debian's poppler-utils). The letterhead carries samples/logo.png and the name Harbour Daily, as a
publish.toml with `logo` and `publisher` would. SOURCE_DATE_EPOCH is fixed, so the pictures change only when the
look does.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from publish.build import BuildOptions, build  # noqa: E402
from publish.theme import builtin_theme_names, load_theme  # noqa: E402

SAMPLES = {
    "dar-bishkek.txt": "The seed: a scraped news story (English)",
    "urdu-library.md": "Urdu, right to left, with English names and numbers",
    "japanese-ferry.md": "Japanese",
    "feature-tour.md": "Every block type: lists, table, figure, quote, code",
}
RESOLUTION = 40
"""Dots per inch of the pictures: an A4 page is 331 x 468 pixels."""
COLOURS = 48
"""The palette each picture is reduced to, which keeps it near 20 KB."""


def main(out: Path) -> None:
    if shutil.which("pdftoppm") is None:
        sys.exit("gallery: pdftoppm not found; install poppler-utils (bash scripts/setup --test)")
    os.environ["SOURCE_DATE_EPOCH"] = "1718000000"
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("*.png"):
        old.unlink()
    themes = builtin_theme_names()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for sample in SAMPLES:
            cells = []
            for theme in themes:
                options = BuildOptions(formats=("pdf",), out_dir=Path(tmp), theme=theme, publisher="Harbour Daily",
                                       logo=ROOT / "samples" / "logo.png")
                (written,) = build([ROOT / "samples" / sample], options)
                name = f"{Path(sample).stem}-{theme}.png"
                pages = _first_pages(written.path)
                (out / name).write_bytes(_spread(pages))
                cells.append(f"![{sample} in the {theme} theme]({name})")
                print(f"gallery: {out / name} ({(out / name).stat().st_size // 1024} KiB, {pages[1]} pages)",
                      file=sys.stderr)
            rows.append(f"| **{sample}**<br>{SAMPLES[sample]} | " + " | ".join(cells) + " |")
    header = "| sample | " + " | ".join(f"{t}<br>{load_theme(t).description}" for t in themes) + " |"
    (out / "README.md").write_text(
        "# Gallery: every sample in every built-in theme\n\n"
        "The first two pages of each sample's PDF (A4; `--page-size Letter` gives US Letter), with the letterhead's\n"
        "logo and publisher set as a `publish.toml` would set them. Regenerate with `python3 scripts/gallery.py`\n"
        "after changing a theme or a template, and look before you commit.\n\n"
        f"{header}\n|---|{'---|' * len(themes)}\n" + "\n".join(rows) + "\n", encoding="utf-8")


def _first_pages(pdf: Path) -> tuple[list[Image.Image], int]:
    """The PDF's first two pages as images, and its page count."""
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    count = int(next(line.split()[1] for line in info.splitlines() if line.startswith("Pages:")))
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(["pdftoppm", "-r", str(RESOLUTION), "-f", "1", "-l", "2", "-png", str(pdf), f"{tmp}/page"],
                       check=True)
        images = [Image.open(path).convert("RGB") for path in sorted(Path(tmp).glob("page*.png"))]
    return images, count


def _spread(pages: tuple[list[Image.Image], int]) -> bytes:
    """The pages side by side on a grey ground, reduced to a small palette."""
    images = pages[0]
    gap = 8
    width = sum(image.width for image in images) + gap * (len(images) + 1)
    height = max(image.height for image in images) + 2 * gap
    sheet = Image.new("RGB", (width, height), (200, 203, 207))
    x = gap
    for image in images:
        sheet.paste(image, (x, gap))
        x += image.width + gap
    out = io.BytesIO()
    sheet.quantize(colors=COLOURS, method=Image.Quantize.MEDIANCUT).save(out, format="PNG", optimize=True)
    return out.getvalue()


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs" / "gallery")
