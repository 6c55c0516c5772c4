"""The bad-input catalogue: every input a newsroom's pipeline can throw at publish, each with the exact line it
must print, and never a traceback, a partial file or a lost earlier output.

Small inputs live in tests/fixtures/bad-inputs/; the big ones (a 50 MB text, 10,000 headings, lists nested 100
deep, a zero-width-joiner flood, a decompression bomb) are made at test time in the test's own folder.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from lxml import etree
from lxml import html as lxml_html

from catalogue import judge

FIXTURES = Path(__file__).parent / "fixtures" / "bad-inputs"


def _huge(folder: Path) -> None:
    with (folder / "huge.txt").open("wb") as handle:  # 50 MiB of real text, written in 1 MiB pieces
        line = b"Harbour authority news, repeated until the file is far too large for one article.\n"
        piece = line * (1024 * 1024 // len(line)) + b"x" * (1024 * 1024 % len(line))
        for _ in range(50):
            handle.write(piece)


def _headings(folder: Path) -> None:
    body = "".join(f"## Pier report {n}\n\nFerry {n} left on time.\n\n" for n in range(1, 10_001))
    (folder / "headings.md").write_text(f"---\ntitle: Ten Thousand Subheads\n---\n\n{body}", encoding="utf-8")


def _nested_list(folder: Path) -> None:
    items = "".join(f"{'  ' * depth}- level {depth + 1}\n" for depth in range(100))
    (folder / "nested-list.md").write_text(f"---\ntitle: Lists Inside Lists\n---\n\n{items}", encoding="utf-8")


def _nested_json(folder: Path, depth: int, name: str) -> None:
    block = json.dumps({"type": "paragraph", "content": [{"type": "text", "text": "deep"}]})
    for _ in range(depth):
        block = f'{{"type": "bullet_list", "items": [[{block}]]}}'
    (folder / name).write_text('{"format": "publish-article", "version": 1, "meta": {"headline": "Deep"}, '
                               f'"blocks": [{block}]}}', encoding="utf-8")


def _zwj_flood(folder: Path) -> None:
    flood = "\u200d" * 1_000_000
    (folder / "zwj-flood.md").write_text(f"---\ntitle: Invisible Joiners\n---\n\nBefore{flood}after, and a family "
                                         "emoji 👩\u200d👩\u200d👧 kept whole.\n", encoding="utf-8")


def _bomb_image(folder: Path) -> None:
    from PIL import Image

    Image.new("1", (10_000, 10_000)).save(folder / "bomb.png")  # 100 Mpixel, a few KB on disk
    (folder / "bomb-image.md").write_text("---\ntitle: A Small File, a Huge Image\n---\n\nThe figure below.\n\n"
                                          "![A blank square](bomb.png)\n", encoding="utf-8")


def _fifo_image(folder: Path) -> None:
    os.mkfifo(folder / "pipe.png")  # opening it for reading would block forever
    (folder / "fifo-image.md").write_text("---\ntitle: A Pipe Named PNG\n---\n\nThe figure below.\n\n"
                                          "![A pipe](pipe.png)\n", encoding="utf-8")


def _symlink_image(folder: Path) -> None:
    (folder / "link.png").symlink_to("/etc/hostname")
    (folder / "symlink-image.md").write_text("---\ntitle: A Link Out of the Folder\n---\n\nThe figure below.\n\n"
                                             "![Host](link.png)\n", encoding="utf-8")


@dataclass(frozen=True)
class Case:
    """One bad input and exactly what publish must do with it."""

    inputs: list[str]
    """Input paths (relative to the test folder) and any extra arguments."""
    message: str
    """The exact stderr line ("publish: error: ..." or "publish: warning: ..."), or lines joined by newlines; {dir}
    is the test folder."""
    builds: bool = False
    """True when the input is usable: the build succeeds (with the warning) and writes every format asked."""
    formats: str = "html"
    """--to for the build (a subset where a case does not need all four formats)."""
    make: Callable[[Path], None] | None = None
    """Makes the big inputs in the test folder."""
    check: Callable[[Path], None] | None = None
    """Extra assertions on the outputs of a case that builds."""
    extra_args: list[str] = field(default_factory=list)


def _headings_all_there(out: Path) -> None:
    page = lxml_html.parse(str(out / "headings.html")).getroot()
    subheads = [h.text_content() for h in page.iterfind(".//h2")]
    assert len(subheads) == 10_000 and subheads[0] == "Pier report 1" and subheads[-1] == "Pier report 10000"
    from publish.checks.gate import epub_text

    assert "Pier report 10000" in epub_text((out / "headings.epub").read_bytes())


def _no_control_characters(out: Path) -> None:
    html = (out / "control-characters.html").read_text(encoding="utf-8")
    assert not any(ch in html for ch in "\x07\x1b\x7f\x0c")
    assert "The log said [1mdone[0m and rang the bell twice." in html
    from publish.checks.gate import docx_text, epub_text

    assert "The log said [1mdone[0m and rang the bell twice." in docx_text((out / "control-characters.docx")
                                                                           .read_bytes())
    assert any("form feed" in line for line in epub_text((out / "control-characters.epub").read_bytes()))


def _flood_collapsed(out: Path) -> None:
    html = (out / "zwj-flood.html").read_text(encoding="utf-8")
    assert "Before\u200dafter" in html and "👩\u200d👩\u200d👧" in html
    assert (out / "zwj-flood.html").stat().st_size < 64 * 1024  # a million joiners would be 3 MB


def _long_title_everywhere(out: Path) -> None:
    from pypdf import PdfReader

    title = (FIXTURES / "long-title.md").read_text(encoding="utf-8").split("\n")[1].removeprefix("title: ")
    assert PdfReader(out / "long-title.pdf").metadata.title == title
    assert title in (out / "long-title.html").read_text(encoding="utf-8")


def _remote_image_not_fetched(out: Path) -> None:
    page = (out / "remote-image.html").read_text(encoding="utf-8")
    assert "127.0.0.1" not in page and "<p>A chart</p>" in page


CATALOGUE: dict[str, Case] = {
    "empty file": Case(["empty.md"], "publish: error: empty.md: is empty"),
    "binary file": Case(["binary.txt"], "publish: error: binary.txt:3: is a binary file (NUL byte), not text"),
    "invalid UTF-8": Case(["latin1.txt"],
                          "publish: error: latin1.txt:1: is not UTF-8 text (byte 0xe9 at offset 11)"),
    "50 MB text": Case(["huge.txt"], "publish: error: huge.txt: is 50 MiB; inputs over 10 MiB are refused "
                                     "(split it into several articles)", make=_huge),
    "a device as input": Case(["/dev/zero", "--from", "scraped"],
                              "publish: error: /dev/zero: is not a regular file (a device, pipe or socket); "
                              "give a text file"),
    "10,000 headings": Case(["headings.md"], "", builds=True, formats="html,epub,docx", make=_headings,
                            check=_headings_all_there),
    "deeply nested lists": Case(["nested-list.md"], "publish: error: nested-list.md:38: lists or quotes nest more "
                                                    "than 32 levels deep here; publish renders at most 32",
                                make=_nested_list),
    "lists nested 40 deep (JSON)": Case(["nested-40.json"], "publish: error: nested-40.json: lists, quotes or "
                                                             "emphasis nest more than 32 levels deep; publish renders "
                                                             "at most 32",
                                        make=lambda d: _nested_json(d, 40, "nested-40.json")),
    "lists nested 5,000 deep (JSON)": Case(["nested-5000.json"], "publish: error: nested-5000.json: nests far too "
                                                                  "deeply to read; publish renders at most 32 levels "
                                                                  "of lists, quotes and marks",
                                           make=lambda d: _nested_json(d, 5000, "nested-5000.json")),
    "missing image": Case(["missing-image.md"], "publish: error: missing-image.md: image 'missing.png' not found "
                                                "(looked for {dir}/missing.png)"),
    "image that is not an image": Case(["not-an-image.md"], "publish: error: not-an-image.md: image "
                                                            "'not-an-image.png' is not a readable image file"),
    "decompression bomb": Case(["bomb-image.md"], "publish: error: bomb-image.md: image 'bomb.png' is too "
                                                  "large to decode safely",
                               make=_bomb_image),
    "a pipe named .png": Case(["fifo-image.md"], "publish: error: fifo-image.md: image 'pipe.png' is not a regular "
                                                 "file (looked at {dir}/pipe.png)", make=_fifo_image),
    "image linked out of the folder": Case(["symlink-image.md"], "publish: error: symlink-image.md: image "
                                                                 "'link.png' is outside the article's folder; only "
                                                                 "files inside it are used", make=_symlink_image),
    "image at /dev/urandom": Case(["outside-image.md"], "publish: error: outside-image.md: image '/dev/urandom' is "
                                                        "outside the article's folder; only files inside it are used"),
    "remote image": Case(["remote-image.md"], "publish: warning: remote-image.md: the image "
                                              "http://127.0.0.1:9/chart.png is on the web and not fetched; its alt "
                                              "text is shown instead (--allow-remote shows it in the PDF)",
                         builds=True, formats="html,pdf,docx,epub", check=_remote_image_not_fetched),
    "front matter not a mapping": Case(["front-matter-list.md"], "publish: error: front-matter-list.md:1: front "
                                                                 "matter must be a mapping of keys to values, not a "
                                                                 "list"),
    "YAML alias bomb": Case(["yaml-alias-bomb.md"], "publish: error: yaml-alias-bomb.md:1: front matter holds more "
                                                    "than 10,000 values once its YAML aliases are expanded; write the "
                                                    "values out"),
    "no headline": Case(["no-headline.md"], "publish: warning: no-headline.md: no title and no heading: the "
                                            "headline is the file's name, “No headline” (give `title:` in the front "
                                            "matter to choose another)", builds=True),
    "title of 5,000 characters": Case(["long-title.md"], "publish: warning: long-title.md: the headline is 5,000 "
                                                         "characters long (“Harbour authority authority authority "
                                                         "authority authority authority authority …”); headlines over "
                                                         "300 characters are usually a paragraph given as the title",
                                      builds=True, formats="html,pdf,docx,epub", check=_long_title_everywhere),
    "control characters": Case(["control-characters.md"], "publish: warning: control-characters.md:5: removed 4 "
                                                          "control characters (U+0007, U+001B, U+007F): no output "
                                                          "format can hold them",
                               builds=True, formats="html,pdf,docx,epub", check=_no_control_characters),
    "zero-width-joiner flood": Case(["zwj-flood.md"], "publish: warning: zwj-flood.md:5: removed 999,999 zero-width "
                                                      "characters repeated in a row (one of each run is kept)\n"
                                                      # WeasyPrint's own lines, as the build reports them
                                                      # (the themes' fonts have no emoji)
                                                      "publish: warning: zwj-flood.md: .notdef glyph rendered for "
                                                      "Unicode string unsupported by fonts: \"👩\" (U+1F469)\n"
                                                      "publish: warning: zwj-flood.md: .notdef glyph rendered for "
                                                      "Unicode string unsupported by fonts: \"👧\" (U+1F467)",
                                    builds=True, formats="html,pdf,docx,epub", make=_zwj_flood,
                                    check=_flood_collapsed),
}


@pytest.mark.parametrize("name", CATALOGUE)
def test_bad_input(name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                   capsys: pytest.CaptureFixture[str]) -> None:
    case = CATALOGUE[name]
    for fixture in FIXTURES.iterdir():
        shutil.copy(fixture, tmp_path / fixture.name)
    if case.make is not None:
        case.make(tmp_path)
    monkeypatch.chdir(tmp_path)
    expected = case.message.format(dir=tmp_path).split("\n") if case.message else []
    judge(name, tmp_path, capsys, case.inputs, case.formats, expected, case.builds, case.check, _parses)


def _parses(path: Path) -> None:
    """The output opens in a reader of its format."""
    import zipfile

    if path.suffix == ".html":
        assert lxml_html.parse(str(path)).getroot().find("body") is not None
    elif path.suffix == ".pdf":
        from pypdf import PdfReader

        assert len(PdfReader(path, strict=True).pages) >= 1
    else:
        with zipfile.ZipFile(path) as package:
            assert package.testzip() is None
            for name in package.namelist():
                if name.endswith((".xml", ".xhtml", ".opf")):
                    etree.fromstring(package.read(name))


def test_a_refused_input_in_a_real_process_is_one_line(tmp_path: Path) -> None:
    _huge(tmp_path)
    done = subprocess.run([sys.executable, "-m", "publish", "build", "huge.txt"], cwd=tmp_path, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 1
    assert done.stderr == ("publish: error: huge.txt: is 50 MiB; inputs over 10 MiB are refused "
                           "(split it into several articles)\n")
    assert not (tmp_path / "out").exists()

