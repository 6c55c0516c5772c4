"""Wide tables fit the page or are warned about, never cut silently, and PDF parity reads only what is on the
page: text drawn off the page counts as missing."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from pypdf import PdfReader

from publish.checks.gate import poppler_text
from publish.cli import main

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "samples" / "dar-bishkek.txt"
FAST = "--skip=epubcheck,ace,html-checker,libreoffice"


def _table(folder: Path, columns: int, caption: str = "") -> Path:
    header = "| " + " | ".join(f"Col{c}" for c in range(1, columns + 1)) + " |"
    rows = ["| " + " | ".join(f"r{r}c{c}" for c in range(1, columns + 1)) + " |" for r in range(1, 4)]
    path = folder / f"table-{columns}.md"
    path.write_text(f"---\ntitle: A Table of {columns} Columns\n---\n\nBefore the table.\n\n{header}\n"
                    f"|{'---|' * columns}\n" + "\n".join(rows) + f"\n\n{caption}After the table.\n", encoding="utf-8")
    return path


def _theme(folder: Path, wide_tables: str) -> Path:
    theme = folder / f"theme-{wide_tables}"
    theme.mkdir()
    (theme / "theme.toml").write_text(f'[theme]\nextends = "default"\n[typography]\nwide_tables = "{wide_tables}"\n',
                                      encoding="utf-8")
    return theme


@pytest.mark.parametrize("wide_tables", ["shrink", "wrap", "landscape"])
def test_a_20_column_table_fits_the_page(tmp_path: Path, capsys: pytest.CaptureFixture[str], wide_tables: str) -> None:
    source = _table(tmp_path, 20)
    assert main(["build", str(source), "--to", "pdf", "--out", str(tmp_path), "--theme",
                 str(_theme(tmp_path, wide_tables)), "--check"]) == 0, capsys.readouterr()
    pdf = tmp_path / "table-20.pdf"
    on_page = "".join("".join(poppler_text(pdf, raw=True) or []).split())  # only what is on the page
    assert all(f"Col{c}" in on_page and f"r3c{c}" in on_page for c in range(1, 21))  # wrapped or not
    sizes = [(float(p.mediabox.width), float(p.mediabox.height)) for p in PdfReader(pdf).pages]
    if wide_tables == "landscape":  # the table has a landscape page of its own, the text around it does not
        assert [w > h for w, h in sizes] == [False, True, False]
    else:
        assert all(w < h for w, h in sizes)
    assert "warning" not in capsys.readouterr().err


def test_a_500_column_table_keeps_every_word_and_is_warned_about(tmp_path: Path) -> None:
    source = _table(tmp_path, 500)
    done = subprocess.run([sys.executable, "-m", "publish", "build", str(source), "--to", "pdf", "--out",
                           str(tmp_path), "--check"], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stderr.splitlines()[0] == (
        f"publish: warning: {source}: table 1 has 500 columns; a page holds about 20 legibly, so its type is set very "
        "small and cells may overlap: split it into narrower tables, or give it landscape pages with wide_tables = "
        "\"landscape\" in the theme's [typography]")
    on_page = set(" ".join(poppler_text(tmp_path / "table-500.pdf") or []).split())
    assert {"Col500", "r3c500", "After"} <= on_page  # the last column is on the page, not cut off


def test_text_drawn_off_the_page_is_missing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import weasyprint

    assert main(["build", str(SEED), "--to", "html", "--out", str(tmp_path)]) == 0
    html = (tmp_path / "dar-bishkek.html").read_text(encoding="utf-8")
    html = html.replace("<p>Before he arrived", '<p style="margin-left: 400mm; width: 150mm">Before he arrived')
    pdf = tmp_path / "dar-bishkek.pdf"
    weasyprint.HTML(string=html, base_url=str(tmp_path)).write_pdf(pdf)
    drawn = " ".join(page.extract_text() for page in PdfReader(pdf).pages)
    assert "Before he arrived in Bishkek" in drawn  # the words are in the file, drawn beyond the page's right edge

    assert main(["check", str(pdf), "--source", str(SEED), FAST]) == 1
    out = capsys.readouterr().out
    assert "error [parity] paragraph 3 “Before he arrived in Bishkek, Ishaq Dar attended the …” is missing" in out


def test_an_unknown_wide_tables_choice_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    theme = _theme(tmp_path, "tiny")
    assert main(["build", str(_table(tmp_path, 8)), "--to", "html", "--out", str(tmp_path), "--theme",
                 str(theme)]) == 1
    assert capsys.readouterr().err == (f"publish: error: {theme / 'theme.toml'}:4: [typography] wide_tables = 'tiny'; "
                                       "choose one of shrink, wrap, landscape\n")
