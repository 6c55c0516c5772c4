"""`publish check` and `publish build --check`: the samples' outputs pass every validator and the parity check;
outputs broken on purpose (a paragraph deleted from the DOCX, a file removed from the EPUB, a truncated PDF,
a repeated or moved paragraph) fail with a message that names the problem."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from lxml import etree

from publish.checks import parity
from publish.cli import main
from publish.readers import read_file

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = {"dar-bishkek": ROOT / "samples" / "dar-bishkek.txt", "feature-tour": ROOT / "samples" / "feature-tour.md"}
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
FAST = "--skip=epubcheck,ace,html-checker,libreoffice"
"""For the tests about one in-process check: the external validators run in the samples test."""


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("check")
    assert main(["build", *map(str, SAMPLES.values()), "--out", str(out)]) == 0
    return out


def _check(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict[str, object]]:
    code = main(["check", "--json", *args])
    return code, json.loads(capsys.readouterr().out)


def test_the_samples_pass_every_check(built: Path, capsys: pytest.CaptureFixture[str]) -> None:
    outputs = [str(built / f"{name}.{fmt}") for name in SAMPLES for fmt in ("html", "pdf", "docx", "epub")]
    code, report = _check(capsys, *outputs, "--source", str(SAMPLES["dar-bishkek"]),
                          "--source", str(SAMPLES["feature-tour"]), "--strict")
    files = report["files"]
    assert isinstance(files, list)
    problems = [(f["path"], finding) for f in files for finding in f["findings"]]
    assert code == 0 and report["ok"] is True, problems
    assert problems == []  # not even a note: every validator ran (Java, qpdf and LibreOffice are installed)
    by_name = {Path(f["path"]).name: f["facts"] for f in files}
    assert by_name["feature-tour.pdf"]["bookmarks"] == 5 and by_name["feature-tour.pdf"]["pages"] >= 1
    assert by_name["feature-tour.epub"]["images"] == 2  # the figure, and the inline ferry sign
    assert by_name["feature-tour.epub"]["accessibility"]["accessibilityFeature"] == [
        "alternativeText", "displayTransformability", "readingOrder", "structuralNavigation", "tableOfContents",
        "unlocked"]
    model_words = sum(len(parity.key_words(p.text)) for p in parity.passages(read_file(SAMPLES["dar-bishkek"]).article))
    assert {by_name[f"dar-bishkek.{fmt}"]["words"] for fmt in ("html", "pdf", "docx", "epub")} == {model_words}


def _rezip(source: Path, target: Path, change: dict[str, bytes | None]) -> None:
    """A copy of a ZIP package with parts replaced (bytes) or removed (None)."""
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as new:
        for info in old.infolist():
            if info.filename in change:
                if change[info.filename] is not None:
                    new.writestr(info, change[info.filename])  # type: ignore[arg-type]
            else:
                new.writestr(info, old.read(info.filename))


def test_a_paragraph_deleted_from_the_docx_is_named(built: Path, tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    with zipfile.ZipFile(built / "dar-bishkek.docx") as package:
        root = etree.fromstring(package.read("word/document.xml"))
    victim = next(p for p in root.iter(f"{W}p") if "".join(p.itertext()).startswith("Before he arrived"))
    victim.getparent().remove(victim)
    broken = tmp_path / "dar-bishkek.docx"
    _rezip(built / "dar-bishkek.docx", broken, {"word/document.xml": etree.tostring(root)})

    code = main(["check", str(broken), "--source", str(SAMPLES["dar-bishkek"]), "--skip", "libreoffice"])
    captured = capsys.readouterr()
    assert code == 1
    assert "error [parity] paragraph 3 “Before he arrived in Bishkek, Ishaq Dar attended the …” is missing" \
        in captured.out
    assert captured.err == "publish: error: 1 of 1 output failed the checks\n"


def test_a_file_removed_from_the_epub_is_named(built: Path, tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    broken = tmp_path / "feature-tour.epub"
    with zipfile.ZipFile(built / "feature-tour.epub") as package:
        image = next(name for name in package.namelist() if name.endswith(".png"))
    _rezip(built / "feature-tour.epub", broken, {image: None})

    code, report = _check(capsys, str(broken), "--source", str(SAMPLES["feature-tour"]), FAST)
    assert code == 1 and report["ok"] is False
    messages = [f"{f['check']}: {f['message']}" for f in report["files"][0]["findings"]]  # type: ignore[index]
    assert messages == [f"package: the manifest lists {image}, which is not in the package"]


def test_a_truncated_pdf_is_named(built: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = (built / "feature-tour.pdf").read_bytes()
    broken = tmp_path / "feature-tour.pdf"
    broken.write_bytes(data[: len(data) // 2])

    code, report = _check(capsys, str(broken), "--source", str(SAMPLES["feature-tour"]))
    findings = report["files"][0]["findings"]  # type: ignore[index]
    assert code == 1
    assert {"severity": "error", "check": "parse", "where": "",
            "message": "the PDF does not parse: EOF marker not found (truncated or damaged?)"} in findings
    assert any(f["check"] == "qpdf" and f["severity"] == "error" for f in findings)


def _html_with(built: Path, tmp_path: Path, edit: str) -> Path:
    """The seed's HTML with its third story paragraph repeated or moved to the end."""
    html = (built / "dar-bishkek.html").read_text(encoding="utf-8")
    paragraph = re.search(r"<p>Before he arrived.*?</p>\n", html, re.DOTALL)
    assert paragraph is not None
    if edit == "repeat":
        html = html.replace(paragraph.group(), paragraph.group() * 2)
    else:
        html = html.replace(paragraph.group(), "").replace("</div>\n", paragraph.group() + "</div>\n", 1)
    path = tmp_path / "dar-bishkek.html"
    path.write_text(html, encoding="utf-8")
    return path


@pytest.mark.parametrize(("edit", "message"), [
    ("repeat", "paragraph 3 “Before he arrived in Bishkek, Ishaq Dar attended the …” appears twice"),
    ("move", "paragraph 3 “Before he arrived in Bishkek, Ishaq Dar attended the …” is out of order"),
])
def test_a_repeated_or_moved_paragraph_is_named(built: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                edit: str, message: str) -> None:
    code, report = _check(capsys, str(_html_with(built, tmp_path, edit)), "--source", str(SAMPLES["dar-bishkek"]),
                          FAST)
    findings = report["files"][0]["findings"]  # type: ignore[index]
    assert code == 1
    assert [f["message"] for f in findings if f["severity"] == "error"] == [message]


def test_the_report_for_people(built: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["check", str(built / "feature-tour.pdf"), str(built / "feature-tour.docx"), "--source",
                 str(SAMPLES["feature-tour"]), FAST])
    lines = capsys.readouterr().out.splitlines()
    assert code == 0
    assert re.fullmatch(r"ok     .*feature-tour\.pdf: \d+ pages?, \d+ fonts, 5 bookmarks, all 267 words in order",
                        lines[0]), lines
    assert re.fullmatch(r"ok     .*feature-tour\.docx: all 267 words in order", lines[1]), lines
    assert lines[-1].startswith("checked 2 files in ") and lines[-1].endswith(": 2 ok, 0 failed (0 errors, 0 warnings)")


def test_pdf_variant_is_built_and_its_declaration_checked(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["build", str(SAMPLES["feature-tour"]), "--to", "pdf,docx", "--out", str(tmp_path),
                 "--pdf-variant", "pdf/ua-1", "--check"]) == 0
    out = capsys.readouterr().out
    assert re.search(r"ok     .*feature-tour\.pdf: .*declares PDF/UA-1, all 267 words in order", out), out
    assert re.search(r"ok     .*feature-tour\.docx: .*all 267 words in order", out), out  # and LibreOffice ran

    code, report = _check(capsys, str(tmp_path / "feature-tour.pdf"), "--pdf-variant", "pdf/a-3b", FAST)
    assert code == 1
    errors = [f["message"] for f in report["files"][0]["findings"] if f["severity"] == "error"]  # type: ignore[index]
    assert errors == ["the PDF does not declare PDF/A-3b (it declares PDF/UA-1)",
                      "PDF/A-3b needs an output intent (a colour profile); there is none"]


def test_pdf_a_builds_and_passes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["build", str(SAMPLES["dar-bishkek"]), "--to", "pdf", "--out", str(tmp_path),
                 "--pdf-variant", "pdf/a-3b"]) == 0
    code, report = _check(capsys, str(tmp_path / "dar-bishkek.pdf"), "--pdf-variant", "pdf/a-3b",
                          "--source", str(SAMPLES["dar-bishkek"]), "--strict")
    assert code == 0 and report["files"][0]["facts"]["conformance"] == "PDF/A-3b"  # type: ignore[index]


def test_a_missing_java_is_one_clear_line(built: Path, tmp_path: Path) -> None:
    env = {key: value for key, value in os.environ.items() if key != "JAVA_HOME"}
    env["PATH"] = str(tmp_path)  # an empty folder: no java to be found
    done = subprocess.run([sys.executable, "-m", "publish", "check", str(built / "dar-bishkek.epub")],
                          capture_output=True, text=True, timeout=60, env=env)
    assert done.returncode == 1
    assert done.stderr == ("publish: error: epubcheck runs on Java, and no `java` was found (PATH or JAVA_HOME); "
                           "install a Java 11+ runtime (Debian: apt-get install default-jre-headless), or leave "
                           "epubcheck out with --skip epubcheck\n")
    assert done.stdout == ""


def test_checking_what_is_not_an_output_is_one_clear_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "notes.txt").write_text("not an output\n")
    assert main(["check", str(tmp_path / "notes.txt")]) == 1
    assert capsys.readouterr().err == (f"publish: error: {tmp_path / 'notes.txt'}: cannot check this kind of file; "
                                       "publish checks .html, .pdf, .docx, .epub, .json\n")
    assert main(["check", str(tmp_path / "gone.pdf")]) == 1
    assert capsys.readouterr().err == f"publish: error: {tmp_path / 'gone.pdf'}: no such file\n"
    assert main(["check", str(tmp_path / "gone.pdf"), "--skip", "spelling"]) == 1
    assert capsys.readouterr().err == ("publish: error: unknown check 'spelling' for --skip; known: epubcheck, "
                                       "ace, html-checker, qpdf, libreoffice, parity\n")


def test_a_docx_whose_relationship_points_nowhere_fails(built: Path, tmp_path: Path,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    with zipfile.ZipFile(built / "feature-tour.docx") as package:
        rels = package.read("word/_rels/document.xml.rels")
        media = next(n for n in package.namelist() if n.startswith("word/media/"))
    broken = tmp_path / "feature-tour.docx"
    _rezip(built / "feature-tour.docx", broken, {media: None})
    code, report = _check(capsys, str(broken), FAST)
    errors = [f["message"] for f in report["files"][0]["findings"] if f["severity"] == "error"]  # type: ignore[index]
    target = media.removeprefix("word/")
    assert code == 1 and target.encode() in rels
    assert any(m.endswith(f"(image) points to {media}, which is not in the package") for m in errors), errors
