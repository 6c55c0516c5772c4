"""Damage `check` used to miss: a DOCX whose document lost its relationship to the numbering or styles part (Word
then drops every list number and style), and HTML text hidden from readers by the page's own CSS or the hidden
attribute (words hidden are not present). Each case with its exact message."""

from __future__ import annotations

import json
import re
import zipfile
from pathlib import Path

import pytest

from publish.cli import main

ROOT = Path(__file__).resolve().parent.parent
TOUR = ROOT / "samples" / "feature-tour.md"
SEED = ROOT / "samples" / "dar-bishkek.txt"
FAST = "--skip=epubcheck,ace,html-checker,libreoffice"
RELS = "word/_rels/document.xml.rels"
VICTIM = "Before he arrived in Bishkek, Ishaq Dar attended the …"


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("misses")
    assert main(["build", str(TOUR), str(SEED), "--to", "html,docx", "--out", str(out)]) == 0
    return out


def _errors(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, list[str]]:
    code = main(["check", "--json", *args])
    report = json.loads(capsys.readouterr().out)
    return code, [f"{f['check']}: {f['message']}" + (f" ({f['where']})" if f["where"] else "")
                  for f in report["files"][0]["findings"] if f["severity"] == "error"]


@pytest.mark.parametrize(("kind", "message"), [
    ("numbering", "relationships: the document uses numbering definitions (w:numPr) but has no relationship to a "
                  "numbering part (word/_rels/document.xml.rels)"),
    ("styles", "relationships: the document uses named paragraph styles (w:pStyle) but has no relationship to a "
               "styles part (word/_rels/document.xml.rels)"),
])
def test_a_docx_without_its_numbering_or_styles_relationship_fails(built: Path, tmp_path: Path, kind: str,
                                                                   message: str,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    broken = tmp_path / "feature-tour.docx"
    with zipfile.ZipFile(built / "feature-tour.docx") as old, zipfile.ZipFile(broken, "w") as new:
        for info in old.infolist():
            data = old.read(info.filename)
            if info.filename == RELS:
                data, removed = re.subn(rb'<Relationship [^>]*relationships/' + kind.encode() + rb'"[^>]*/>', b"",
                                        data)
                assert removed == 1
            new.writestr(info, data)
    code, errors = _errors(capsys, str(broken), "--source", str(TOUR), FAST)
    assert code == 1
    assert errors == [message]


HIDDEN = "<p>Before he arrived"


@pytest.mark.parametrize(("style", "paragraph", "reason"), [
    ("", '<p style="display:none">Before he arrived', "display: none"),
    ("", '<p style="color: #fff; background-color: #fff">Before he arrived', "text colour same as background"),
    ("", '<p style="font-size:0">Before he arrived', "font-size: 0"),
    ("", "<p hidden>Before he arrived", "the hidden attribute"),
    (".aside { visibility: hidden }", '<p class="aside">Before he arrived', "visibility: hidden"),
    ("#p3 { display: none !important }", '<p id="p3">Before he arrived', "display: none"),
    ("@media screen { article p.x { opacity: 0 } }", '<p class="x">Before he arrived', "opacity: 0"),
])
def test_a_hidden_paragraph_is_reported_and_missing(built: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                    style: str, paragraph: str, reason: str) -> None:
    html = (built / "dar-bishkek.html").read_text(encoding="utf-8")
    assert html.count(HIDDEN) == 1
    html = html.replace(HIDDEN, paragraph).replace("</style>", style + "</style>", 1)
    page = tmp_path / "dar-bishkek.html"
    page.write_text(html, encoding="utf-8")
    line = html[: html.index(paragraph)].count("\n") + 1
    code, errors = _errors(capsys, str(page), "--source", str(SEED), FAST)
    assert code == 1
    assert errors == [
        f"hidden: <p> “{VICTIM}” is hidden from readers ({reason}): its words do not count as present (line {line})",
        f"parity: paragraph 3 “{VICTIM}” is missing",
    ]


def test_rules_that_do_not_hide_are_not_reported(built: Path, tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    html = (built / "dar-bishkek.html").read_text(encoding="utf-8")
    css = (".x { display: none } .x.y { display: block } @media print { p { display: none } } "
           "p { color: #000; background: #fff }")
    html = html.replace(HIDDEN, '<p class="x y">Before he arrived').replace("</style>", css + "</style>", 1)
    page = tmp_path / "dar-bishkek.html"
    page.write_text(html, encoding="utf-8")
    assert _errors(capsys, str(page), "--source", str(SEED), FAST) == (0, [])
