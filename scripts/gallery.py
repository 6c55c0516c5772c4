"""Draw every page of every sample (each file in samples/ that a reader takes, and the morning brief's manifest) in
every built-in theme, as PDF and as LibreOffice lays out the DOCX, and compare them with the reference pictures
committed in tests/gallery/ (the visual regression check that tests/test_gallery.py runs).

    python3 scripts/gallery.py            compare: draw every page in a temporary folder, report each page that
                                          differs from its reference (pictures in out/gallery-differences/); exit 1
    python3 scripts/gallery.py --update   change the look on purpose: redraw the references (tests/gallery/ and
                                          its manifest.json) and the spreads of docs/gallery/, then look and commit

Needs pdftoppm (Debian's poppler-utils) and, for the DOCX pages, LibreOffice (soffice); `bash scripts/setup --test`
installs both. The letterhead carries samples/logo.png and the name Harbour Daily, as a publish.toml with `logo`
and `publisher` would. SOURCE_DATE_EPOCH is fixed, so the pictures change only when the look does.

The references are small on purpose (50 dpi, 16 levels of grey): enough to see a moved margin, a changed word, a
lost line or a page more, not enough to weigh on the repository. A page matches its reference when, after a 3x3
blur that forgives a pixel's antialiasing, no more than MAX_CHANGED pixels differ by more than THRESHOLD grey levels.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageChops, ImageFilter

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from publish.build.jobs import BuildOptions, build  # noqa: E402
from publish.errors import PublishError  # noqa: E402
from publish.present.theme import builtin_theme_names, load_theme  # noqa: E402
from publish.readers import reader_for  # noqa: E402

SAMPLES = ROOT / "samples"
DESCRIPTIONS = {
    "dar-bishkek.txt": "The seed: a scraped news story (English)",
    "urdu-library.md": "Urdu, right to left, with English names and numbers",
    "japanese-ferry.md": "Japanese",
    "feature-tour.md": "Every block type: lists, table, figure, quote, code",
    "suggestions.md": "A draft with an editor's suggestions (CriticMarkup), accepted",
    "morning-brief.yaml": "The morning brief: a collection of articles in two sections",
}
"""What docs/gallery/'s table says of the samples it knows; any other sample is drawn too, under its name."""
FORMATS = ("pdf", "docx")
"""The PDF as WeasyPrint makes it; the DOCX as LibreOffice Writer lays it out (its PDF export)."""
REFERENCES = ROOT / "tests" / "gallery"
SPREADS = ROOT / "docs" / "gallery"
SOURCE_DATE_EPOCH = "1718000000"
RESOLUTION = 50
"""Dots per inch of the references: an A4 page is 413 x 585 pixels, a 2 pt margin 1.4 pixels."""
SPREAD_RESOLUTION = 40
"""Dots per inch of docs/gallery/'s spreads."""
LEVELS = 16
"""Levels of grey each reference keeps (4 bits a pixel), which keeps a page near 12 KB."""
THRESHOLD = 32
"""Grey levels (of 255) by which a blurred pixel must differ from the reference's to count as changed: above what
one pixel alone can move its 3x3 neighbourhood (255 / 9 = 28), so a lone pixel of antialiasing is forgiven."""
MAX_CHANGED = 4
"""Changed pixels a page may have and still match. Two clean runs give identical pixels (LibreOffice's too), so
this only absorbs a renderer's antialiasing on another machine; a changed word changes dozens, a margin moved by 2 pt
from seven (ragged right, where only the rules' ends move) to thousands."""
SPREAD_COLOURS = 48
"""The palette of docs/gallery/'s spreads (in colour, for people), which keeps one near 20 KB."""
LIBREOFFICE_TIMEOUT = 600
"""Seconds the one LibreOffice run that lays out every DOCX may take."""


@dataclass(frozen=True)
class Document:
    """One input drawn in one theme and format."""

    source: str
    """The input's path under samples/."""
    theme: str
    """A built-in theme's name."""
    format: str
    """"pdf" or "docx"."""

    @property
    def name(self) -> str:
        """The stem the pictures of its pages share: dar-bishkek-digest-docx."""
        return f"{Path(self.source).stem}-{self.theme}-{self.format}"

    def page_file(self, page: int) -> str:
        """The reference picture of a page (counted from 1)."""
        return f"{self.name}-{page:02d}.png"


@dataclass(frozen=True)
class Difference:
    """How a drawn page differs from its reference."""

    changed: int
    """Pixels that differ by more than THRESHOLD after the blur (or every pixel when the sizes differ)."""
    box: tuple[int, int, int, int] | None
    """Where they are: left, top, right, bottom in pixels; None when none are."""
    picture: Image.Image
    """The reference, the new page and the changed pixels (in red over the reference) side by side."""

    @property
    def matches(self) -> bool:
        return self.changed <= MAX_CHANGED


def inputs() -> list[str]:
    """Every sample: each file in samples/ (not its subfolders) that a reader takes, and each manifest; the ones
    DESCRIPTIONS knows first, in its order, then the others by name."""
    found = []
    for path in sorted(SAMPLES.iterdir()):
        if path.suffix.lower() in (".yaml", ".yml"):
            found.append(path.name)
        elif path.is_file():
            with contextlib.suppress(PublishError):
                reader_for(path)
                found.append(path.name)
    order = list(DESCRIPTIONS)
    return sorted(found, key=lambda name: (order.index(name) if name in order else len(order), name))


def documents() -> list[Document]:
    """Every sample in every built-in theme and format, in a fixed order."""
    return [Document(f"samples/{source}", theme, format) for source in inputs() for theme in builtin_theme_names()
            for format in FORMATS]


@contextlib.contextmanager
def fixed_date() -> Iterator[None]:
    """SOURCE_DATE_EPOCH set for the builds, and put back as it was afterwards."""
    old = os.environ.get("SOURCE_DATE_EPOCH")
    os.environ["SOURCE_DATE_EPOCH"] = SOURCE_DATE_EPOCH
    try:
        yield
    finally:
        if old is None:
            del os.environ["SOURCE_DATE_EPOCH"]
        else:
            os.environ["SOURCE_DATE_EPOCH"] = old


def draw(work: Path, formats: tuple[str, ...] = FORMATS) -> dict[Document, list[Image.Image]]:
    """Build every input in every theme into `work` and draw each page as a reference is drawn.

    The DOCX are built first and laid out by ONE LibreOffice run in the background while WeasyPrint makes the
    PDFs, theme by theme; each theme's PDFs are drawn (pdftoppm) while the next theme's are made."""
    if shutil.which("pdftoppm") is None:
        raise RuntimeError("gallery: pdftoppm not found; install poppler-utils (bash scripts/setup --test)")
    themes = builtin_theme_names()
    sources = [SAMPLES / source for source in inputs()]
    laid_out = work / "libreoffice"
    laid_out.mkdir(parents=True, exist_ok=True)
    pages: dict[Document, Future[list[Image.Image]]] = {}
    libreoffice: subprocess.Popen[bytes] | None = None
    with fixed_date(), ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:  # pdftoppm runs outside the GIL
        def draw_pages(document: Document, pdf: Path) -> None:
            pages[document] = pool.submit(_pages, pdf, work / "pages" / document.name)

        docx: dict[Document, Path] = {}
        if "docx" in formats:
            program = shutil.which("soffice") or shutil.which("libreoffice")
            if program is None:
                raise RuntimeError("gallery: LibreOffice (soffice) not found; install it (bash scripts/setup --test)")
            for theme in themes:
                for written in build(sources, _options(("docx",), work / theme / "docx", theme)):
                    # one folder for the one run: the name carries the theme, as the PDF LibreOffice writes will
                    target = work / "docx" / f"{written.path.stem}-{theme}.docx"
                    target.parent.mkdir(exist_ok=True)
                    shutil.copyfile(written.path, target)
                    docx[Document(_source_of(written.path.stem), theme, "docx")] = target
            libreoffice = subprocess.Popen(
                [program, f"-env:UserInstallation={(work / 'profile').as_uri()}", "--headless", "--norestore",
                 "--nolockcheck", "--convert-to", "pdf", "--outdir", str(laid_out), *map(str, docx.values())],
                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, cwd=work,
                start_new_session=True)  # its own process group: soffice.bin dies with it on a failure
        try:
            if "pdf" in formats:
                for theme in themes:
                    for written in build(sources, _options(("pdf",), work / theme / "pdf", theme)):
                        draw_pages(Document(_source_of(written.path.stem), theme, "pdf"), written.path)
            if libreoffice is not None:
                log = libreoffice.communicate(timeout=LIBREOFFICE_TIMEOUT)[0].decode(errors="replace")
                for document, source in docx.items():
                    pdf = laid_out / f"{source.stem}.pdf"
                    if not pdf.exists():
                        raise RuntimeError(f"gallery: LibreOffice laid out no PDF for {source}\n{log}")
                    draw_pages(document, pdf)
        finally:
            if libreoffice is not None and libreoffice.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(libreoffice.pid, signal.SIGKILL)
                libreoffice.wait()
        return {document: pages[document].result() for document in documents() if document in pages}


def _options(formats: tuple[str, ...], out: Path, theme: str) -> BuildOptions:
    return BuildOptions(formats=formats, out_dir=out, theme=theme, publisher="Harbour Daily",
                        logo=SAMPLES / "logo.png")


def _source_of(stem: str) -> str:
    return next(f"samples/{source}" for source in inputs() if Path(source).stem == stem)


def _pages(pdf: Path, folder: Path) -> list[Image.Image]:
    """Every page of a PDF at RESOLUTION, in LEVELS levels of grey."""
    folder.mkdir(parents=True, exist_ok=True)
    subprocess.run(["pdftoppm", "-r", str(RESOLUTION), "-gray", "-png", str(pdf), str(folder / "page")], check=True,
                   capture_output=True, timeout=300)
    pages = []
    for path in sorted(folder.glob("page-*.png"), key=lambda p: int(p.stem.rsplit("-", 1)[1])):
        with Image.open(path) as image:
            pages.append(reduce(image))
    return pages


def reduce(image: Image.Image) -> Image.Image:
    """A page in LEVELS levels of grey (white stays white, black black)."""
    step = 255 / (LEVELS - 1)
    return image.convert("L").point(lambda value: round(round(value / step) * step))


def encoded(page: Image.Image) -> bytes:
    """A page as a 4-bit grey PNG."""
    step = 255 / (LEVELS - 1)
    palette = page.point(lambda value: round(value / step)).convert("P")
    palette.putpalette([round(level * step) for level in range(LEVELS) for _ in range(3)])
    out = io.BytesIO()
    palette.save(out, format="PNG", optimize=True, bits=4)
    return out.getvalue()


def fingerprint(page: Image.Image) -> str:
    """The SHA-256 of a page's pixels (not of its PNG, which another zlib may pack differently)."""
    return hashlib.sha256(f"{page.width}x{page.height}:".encode() + page.convert("L").tobytes()).hexdigest()


def compare(reference: Image.Image, page: Image.Image) -> Difference:
    """How `page` differs from `reference`."""
    reference, page = reference.convert("L"), page.convert("L")
    if reference.size != page.size:
        return Difference(max(reference.width * reference.height, page.width * page.height),
                          (0, 0, max(reference.width, page.width), max(reference.height, page.height)),
                          _side_by_side(reference, page, None))
    blur = ImageFilter.BoxBlur(1)
    changed = ImageChops.difference(reference.filter(blur), page.filter(blur)).point(
        lambda value: 255 if value > THRESHOLD else 0)
    count = changed.histogram()[255]
    return Difference(count, changed.getbbox(), _side_by_side(reference, page, changed))


def _side_by_side(reference: Image.Image, page: Image.Image, changed: Image.Image | None) -> Image.Image:
    gap = 8
    marked = reference.convert("RGB")
    if changed is not None:
        marked.paste((230, 0, 0), mask=changed)
    pictures = [reference.convert("RGB"), page.convert("RGB"), marked]
    sheet = Image.new("RGB", (sum(p.width for p in pictures) + gap * 4, max(p.height for p in pictures) + gap * 2),
                      (200, 203, 207))
    x = gap
    for picture in pictures:
        sheet.paste(picture, (x, gap))
        x += picture.width + gap
    return sheet


def load_manifest(folder: Path = REFERENCES) -> dict[Document, list[dict[str, object]]]:
    """The committed references: per document, its pages' entries in order."""
    entries = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))["pages"]
    found: dict[Document, list[dict[str, object]]] = {}
    for entry in entries:
        found.setdefault(Document(entry["source"], entry["theme"], entry["format"]), []).append(entry)
    return found


def update(drawn: dict[Document, list[Image.Image]], folder: Path = REFERENCES) -> int:
    """Write the references and their manifest; return their total size in bytes."""
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.png"):
        old.unlink()
    entries = []
    for document, pages in drawn.items():
        for number, page in enumerate(pages, 1):
            (folder / document.page_file(number)).write_bytes(encoded(page))
            entries.append({"file": document.page_file(number), "source": document.source, "theme": document.theme,
                            "format": document.format, "page": number, "pages": len(pages),
                            "size": [page.width, page.height], "sha256": fingerprint(page)})
    manifest = {"resolution": RESOLUTION, "levels": LEVELS, "source_date_epoch": int(SOURCE_DATE_EPOCH),
                "threshold": THRESHOLD, "max_changed": MAX_CHANGED, "pages": entries}
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return sum(path.stat().st_size for path in folder.iterdir())


def differences(document: Document, pages: list[Image.Image], folder: Path = REFERENCES,
                out: Path | None = None) -> list[str]:
    """What differs between a document's drawn pages and its references, one line each (none when it matches);
    each differing page's picture is written to `out` as NAME-PAGE.diff.png."""
    manifest = load_manifest(folder)
    if document not in manifest:
        return [f"{document.name}: no reference; draw them on purpose with python3 scripts/gallery.py --update"]
    entries = manifest[document]
    found = []
    if len(pages) != len(entries):
        found.append(f"{document.source}, {document.theme} theme, {document.format.upper()}: {len(pages)} pages, "
                     f"the reference has {len(entries)}")
    for number, (entry, page) in enumerate(zip(entries, pages, strict=False), 1):
        if fingerprint(page) == entry["sha256"]:
            continue
        with Image.open(folder / str(entry["file"])) as reference:
            difference = compare(reduce(reference), page)
        if difference.matches:
            continue
        where = f"at {difference.box}" if difference.box else ""
        line = (f"{document.source}, {document.theme} theme, {document.format.upper()} page {number}: "
                f"{difference.changed} pixels differ (more than {MAX_CHANGED} allowed) {where}")
        if out is not None:
            out.mkdir(parents=True, exist_ok=True)
            picture = out / f"{document.name}-{number:02d}.diff.png"
            difference.picture.save(picture)
            line += f"; reference, new and changes in {picture}"
        found.append(line)
    return found


def spreads(work: Path, folder: Path = SPREADS) -> None:
    """docs/gallery/: the first two pages of each input's PDF in each theme (drawn into `work`) side by side, in
    colour, and a README showing them."""
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.png"):
        old.unlink()
    themes = builtin_theme_names()
    rows = []
    for source in inputs():
        cells = []
        for theme in themes:
            name = f"{Path(source).stem}-{theme}.png"
            pdf = work / theme / "pdf" / f"{Path(source).stem}.pdf"
            with tempfile.TemporaryDirectory() as tmp:
                subprocess.run(["pdftoppm", "-r", str(SPREAD_RESOLUTION), "-f", "1", "-l", "2", "-png", str(pdf),
                                f"{tmp}/page"], check=True, capture_output=True, timeout=300)
                pages = [Image.open(path).convert("RGB") for path in sorted(Path(tmp).glob("page*.png"))]
            (folder / name).write_bytes(_spread(pages))
            cells.append(f"![{source} in the {theme} theme]({name})")
        rows.append(f"| **{source}**<br>{DESCRIPTIONS.get(source, '')} | " + " | ".join(cells) + " |")
    header = "| input | " + " | ".join(f"{t}<br>{load_theme(t).description}" for t in themes) + " |"
    (folder / "README.md").write_text(
        "# Gallery: every sample in every built-in theme\n\n"
        "The first two pages of each sample's PDF (A4; `--page-size Letter` gives US Letter), with the letterhead's\n"
        "logo and publisher set as a `publish.toml` would set them. Every page of every PDF, and of every DOCX as\n"
        "LibreOffice lays it out, is kept in [tests/gallery/](../../tests/gallery/), which tests/test_gallery.py\n"
        "compares each build with. Regenerate both with `python3 scripts/gallery.py --update` after changing a theme\n"
        "or a template, and look before you commit.\n\n"
        f"{header}\n|---|{'---|' * len(themes)}\n" + "\n".join(rows) + "\n", encoding="utf-8")


def _spread(pages: list[Image.Image]) -> bytes:
    """Pages side by side on a grey ground, reduced to a small palette."""
    gap = 8
    sheet = Image.new("RGB", (sum(p.width for p in pages) + gap * (len(pages) + 1),
                              max(p.height for p in pages) + 2 * gap), (200, 203, 207))
    x = gap
    for page in pages:
        sheet.paste(page, (x, gap))
        x += page.width + gap
    out = io.BytesIO()
    sheet.quantize(colors=SPREAD_COLOURS, method=Image.Quantize.MEDIANCUT).save(out, format="PNG", optimize=True)
    return out.getvalue()


def main(arguments: list[str]) -> int:
    if arguments not in ([], ["--update"]):
        print(__doc__, file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="publish-gallery-") as tmp:
        drawn = draw(Path(tmp))
        if arguments == ["--update"]:
            size = update(drawn)
            spreads(Path(tmp))
            pages = sum(len(p) for p in drawn.values())
            print(f"gallery: {pages} pages of {len(drawn)} documents in {REFERENCES} ({size // 1024} KiB); "
                  f"spreads in {SPREADS}", file=sys.stderr)
            return 0
        out = ROOT / "out" / "gallery-differences"
        found = [line for document, pages in drawn.items() for line in differences(document, pages, out=out)]
    for line in found:
        print(f"gallery: {line}", file=sys.stderr)
    print(f"gallery: {len(found)} differences" if found else "gallery: every page matches its reference",
          file=sys.stderr)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
