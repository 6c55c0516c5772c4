"""Bad inputs for the build's writes and limits (the catalogue of tests/test_bad_inputs.py, continued): an output
name taken by a folder, inline runs and sizes that make the PDF's layout explode, WeasyPrint's own lines. Each
with the exact lines it must print, and never a traceback, a partial file or a lost earlier output."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from test_bad_inputs import _parses

from publish import readers
from publish.cli import main
from publish.errors import InputError
from publish.readers import read_file

from catalogue import EARLIER
from validators import assert_same_words

FRONT = "---\ntitle: {title}\n---\n\n"


@dataclass(frozen=True)
class Case:
    """One bad input and exactly what publish must print for it."""

    inputs: list[str]
    """The input file (made by `make` in the test folder) and any extra arguments."""
    messages: list[str]
    """The exact stderr lines besides "wrote ..." ones."""
    make: Callable[[Path], None]
    """Makes the input in the test folder."""
    builds: bool = False
    """True when the build succeeds (with the warnings) and rewrites every format asked."""
    formats: str = "html"
    """--to for the build."""
    folder_in_the_way: str = ""
    """An output name made a folder before the build."""


def _write(name: str, title: str, body: str) -> Callable[[Path], None]:
    def make(folder: Path) -> None:
        (folder / name).write_text(FRONT.format(title=title) + body, encoding="utf-8")
    return make


TIMEOUT_ERROR = ("publish: error: {name}: the PDF took longer than 2 s to lay out; give a longer --timeout (0 for no "
                 "limit), or split the document into smaller ones")

CATALOGUE: dict[str, Case] = {
    "an output name taken by a folder": Case(
        ["ok.md"], ["publish: error: out/ok.html: is a folder, where publish would write an output file of this "
                    "name; move or rename the folder, or give another --out"],
        _write("ok.md", "A Fine Story", "Every word of it is fine.\n"), formats="html,pdf",
        folder_in_the_way="ok.html"),
    "8 KB paragraph of *a*b": Case(
        ["runs.md"], ["publish: warning: runs.md: a paragraph holds 2,048 emphasis, strong, code and link marks; past "
                      "the first 100 they are set as plain text (every word kept), as laying out so many takes "
                      "minutes"],
        _write("runs.md", "Runs", "Before the run. " + "*a*b" * 2048 + "\n"), builds=True,
        formats="html,pdf,docx,epub"),
    "20 KB of *_": Case(
        ["marks.md"], ["publish: warning: marks.md: a paragraph holds 6,826 emphasis, strong, code and link marks; "
                       "past the first 100 they are set as plain text (every word kept), as laying out so many takes "
                       "minutes"],
        _write("marks.md", "Marks", "*_" * 10240 + "\n"), builds=True, formats="html,pdf"),
    "a link to a missing anchor": Case(
        ["nowhere.md"], ["publish: warning: nowhere.md: the link “the table” goes to #nowhere, which is no heading "
                         "of this article; its words are kept without the link"],
        _write("nowhere.md", "Missing Table", "See [the table](#nowhere) below, which is not there.\n"), builds=True,
        formats="html,pdf"),
    "100,000 paragraphs": Case(
        ["paragraphs.md", "--timeout", "2"],
        ["publish: warning: paragraphs.md: 100,000 paragraphs, headings and other blocks; a PDF this long takes "
         "minutes to lay out (--timeout stops it after 2 s)", TIMEOUT_ERROR.format(name="paragraphs.md")],
        _write("paragraphs.md", "Many", "".join(f"Ferry {n} left.\n\n" for n in range(100_000))), formats="pdf"),
    "a 3 MB line": Case(
        ["line.md", "--timeout", "2"],
        ["publish: warning: line.md: a paragraph of 3,145,735 characters; a PDF takes minutes to lay out a paragraph "
         "this long (--timeout stops it after 2 s); blank lines between its paragraphs make it quick",
         TIMEOUT_ERROR.format(name="line.md")],
        _write("line.md", "One Line", "ferry " * (3 * 1024 * 1024 // 6) + "ferries" + "\n"), formats="pdf"),
}


@pytest.mark.parametrize("name", CATALOGUE)
def test_bad_input(name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                   capsys: pytest.CaptureFixture[str]) -> None:
    case = CATALOGUE[name]
    case.make(tmp_path)
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    stem = Path(case.inputs[0]).stem
    formats = case.formats.split(",")
    earlier = {out / f"{stem}.{fmt}": EARLIER for fmt in formats if f"{stem}.{fmt}" != case.folder_in_the_way}
    for path, data in earlier.items():
        path.write_bytes(data)
    if case.folder_in_the_way:
        (out / case.folder_in_the_way).mkdir()

    code = main(["build", *case.inputs, "--to", case.formats, "--out", "out"])
    err = capsys.readouterr().err.splitlines()

    assert [line for line in err if not line.startswith("wrote ")] == case.messages, name
    expected = sorted([*(p.name for p in earlier), *([case.folder_in_the_way] if case.folder_in_the_way else [])])
    assert sorted(p.name for p in out.iterdir()) == expected, f"{name}: a temporary or stray file was left"
    if case.builds:
        assert code == 0
        document = read_file(Path(case.inputs[0])).article
        for fmt in formats:
            path = out / f"{stem}.{fmt}"
            assert path.read_bytes() != EARLIER
            _parses(path)
            if fmt == "html":  # every word kept, though the marks are gone (a PDF cannot show a "word" of thousands of
                assert_same_words(document, path)  # letters without a break: it runs off the page, as check says)
    else:
        assert code == 1
        assert all(path.read_bytes() == EARLIER for path in earlier), f"{name}: an earlier output was changed"


def test_a_folder_in_the_way_of_a_per_article_docx(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    """The DOCX of each article of a collection: a folder named like one of them is found before any rendering."""
    shutil.copytree(Path(__file__).resolve().parent.parent / "samples", tmp_path / "samples")
    monkeypatch.chdir(tmp_path)
    assert main(["build", "samples/morning-brief.yaml", "--to", "docx", "--docx-per-article", "--out", "out"]) == 0
    written = sorted((tmp_path / "out" / "morning-brief-docx").iterdir())
    capsys.readouterr()
    written[1].unlink()
    written[1].mkdir()
    assert main(["build", "samples/morning-brief.yaml", "--to", "docx", "--docx-per-article", "--out", "out"]) == 1
    assert capsys.readouterr().err == (f"publish: error: out/morning-brief-docx/{written[1].name}: is a folder, where "
                                       "publish would write an output file of this name; move or rename the folder, "
                                       "or give another --out\n")
    assert sorted(p.name for p in (tmp_path / "out" / "morning-brief-docx").iterdir()) == [p.name for p in written]


def test_marks_are_capped_in_subheads_and_table_cells_too(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    runs = "*a*b" * 300
    _write("places.md", "Places", f"## {runs}\n\n| Where | What |\n|---|---|\n| Pier | {runs} |\n"
                                  f"| Quay | {'*a*b' * 400} |\n")(tmp_path)
    monkeypatch.chdir(tmp_path)
    assert main(["build", "places.md", "--to", "html", "--out", "out"]) == 0
    notices = [line for line in capsys.readouterr().err.splitlines() if not line.startswith("wrote ")]
    assert notices == [f"publish: warning: places.md: {what} emphasis, strong, code and link marks; past the first 100 "
                       "they are set as plain text (every word kept), as laying out so many takes minutes"
                       for what in ("a subhead holds 300", "2 table cells hold up to 400")]
    html = (tmp_path / "out" / "places.html").read_text(encoding="utf-8")
    assert html.count("<em>a</em>") == 300 and "ab" * 200 in html  # 100 marks kept in each, the rest plain
    assert_same_words(read_file(Path("places.md")).article, tmp_path / "out" / "places.html")


def test_a_file_whose_size_stat_does_not_know_is_read_to_its_end_and_to_the_limit(monkeypatch: pytest.MonkeyPatch
                                                                                   ) -> None:
    """An input is read as far as stat said and a byte more; one that holds more (it grew meanwhile, or stat gives no
    size, as for /proc's files) is read on, to the limit, and refused past it as any large input is."""
    status = Path("/proc/self/status")
    if not status.is_file() or status.stat().st_size:
        pytest.skip("needs Linux's /proc, whose files stat as empty")
    data = readers.load_bytes(status)
    assert data.startswith(b"Name:") and b"\nVmPeak:" in data and data.endswith(b"\n")  # every line, not one byte
    monkeypatch.setattr(readers, "MAX_INPUT_BYTES", 64)
    with pytest.raises(InputError, match=r"/proc/self/status: grew past 0 MiB while being read"):
        readers.load_bytes(status)
