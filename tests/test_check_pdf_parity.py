"""PDF parity raises no false alarm on valid PDFs: real Markdown nobody here wrote, "--" at a line end, emoji
with variation selectors, direction controls, fonts that make pypdf return NULs, and a page pypdf gives up on
(pdftotext reads it instead)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from publish.checks import gate as checks
from publish.checks import parity
from publish.cli import main
from publish.readers import read_file

REAL = Path(__file__).resolve().parent / "fixtures" / "real-markdown"


def _build_and_check(source: Path, out: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(["build", str(source), "--to", "pdf", "--out", str(out), "--check"])
    return code, capsys.readouterr().out


@pytest.mark.parametrize("name", sorted(p.name for p in REAL.glob("*.md") if p.name != "README.md"))
def test_real_markdown_passes_pdf_parity(tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str) -> None:
    code, out = _build_and_check(REAL / name, tmp_path, capsys)
    assert code == 0, out
    assert "words in order" in out


def test_dashes_at_line_ends_are_no_false_alarm(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    paragraphs = [" ".join(["ab"] * k) + " use the --preview option and the wallpaper--style dash, then more text "
                  "after it." for k in range(1, 60)]  # "--" falls at a line end in several of them
    source = tmp_path / "dashes.md"
    source.write_text("---\ntitle: Dashes at Line Ends\n---\n\n" + "\n\n".join(paragraphs) + "\n", encoding="utf-8")
    code, out = _build_and_check(source, tmp_path, capsys)
    assert code == 0, out
    ordered = checks.poppler_text(tmp_path / "dashes.pdf")  # pdftotext's reading order turns "--" + "x" into "-x"
    assert ordered is not None and "wallpaper-style" in " ".join(" ".join(ordered).split())
    expected = parity.passages(read_file(source).article)
    assert parity.compare(expected, checks.rejoin_hyphenation(ordered), rejoin_hyphens=True)  # that alone fails


def test_emoji_direction_controls_and_mixed_fonts(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "marks.md"
    source.write_text(
        "---\ntitle: Marks and Mixed Fonts\n---\n\n"
        "I \u2764\ufe0f Bishkek and the \u2600\ufe0f sun, with `code spans`, **bold** and *italic* words.\n\n"
        "Hebrew \u202b\u05e9\u05dc\u05d5\u05dd\u202c inside \u202aEnglish\u202c text, marks \u200eleft\u200e and "
        "\u200fright\u200f, isolates \u2066inside\u2069 here.\n\n"
        "\u6771\u4eac and \u0395\u03bb\u03bb\u03b7\u03bd\u03b9\u03ba\u03ac and "
        "\u0440\u0443\u0441\u0441\u043a\u0438\u0439 in one paragraph with `more code`.\n", encoding="utf-8")
    code, out = _build_and_check(source, tmp_path, capsys)
    assert code == 0, out
    pages = checks.pdf_text((tmp_path / "marks.pdf").read_bytes())  # pypdf: NULs between characters, dropped
    assert "\x00" not in "".join(pages) and "I \u2764 Bishkek" in pages[0]
    assert parity.key("\u2764\ufe0f") == parity.key("\u2764") and parity.key("\u202aEnglish\u202c") == "english"


def test_a_page_pypdf_gives_up_on_is_read_by_pdftotext(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "brackets.md"
    source.write_text("---\ntitle: One Hundred Thousand Brackets\n---\n\nBefore the brackets.\n\n" + "(" * 100_000
                      + "\n\nAfter the brackets.\n", encoding="utf-8")
    assert main(["build", str(source), "--to", "pdf", "--out", str(tmp_path)]) == 0
    capsys.readouterr()
    assert main(["check", "--json", str(tmp_path / "brackets.pdf"), "--source", str(source)]) == 1
    report = json.loads(capsys.readouterr().out)["files"][0]
    assert report["facts"]["unread_pages"] == [1]
    # the PDF parses; the words around the brackets are found; the run of brackets, which cannot break, ran off
    # the page and is named
    assert [(f["severity"], f["check"], f["message"]) for f in report["findings"]] == [
        ("info", "text", "pypdf cannot read the text of page 1; the parity check reads it with pdftotext "
                         "(where installed)"),
        ("error", "parity", "paragraph 2 “(((((((((((((((((((((((((((((((((((((((((((((((((((((((((((( …” is "
                            "missing"),
    ]
