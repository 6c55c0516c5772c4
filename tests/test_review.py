"""`publish review`: every tracked change and comment of an edited Word file with its author, date and paragraph,
and the edits made with Track Changes off in a DOCX publish wrote."""

from __future__ import annotations

import json
from pathlib import Path

import docx
import pytest
from editing import DATE, EDITOR, LATER, REPORTER, edited_docx

from publish.cli import main

from conftest import SAMPLES


def _review(path: Path, capsys: pytest.CaptureFixture[str]) -> list[dict[str, object]]:
    assert main(["review", str(path), "--json"]) == 0
    edits: list[dict[str, object]] = json.loads(capsys.readouterr().out)
    return edits


def test_review_lists_every_change_and_comment(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    edits = _review(edited_docx(tmp_path / "edited.docx"), capsys)
    found = {(e["kind"], e["author"], e["date"], e["paragraph"], e["text"]) for e in edits}
    expected = {
        ("insertion", EDITOR, DATE, 2, "on Tuesday "),
        ("deletion", EDITOR, DATE, 2, "night "),
        ("comment", EDITOR, LATER, 2, "Which Tuesday?"),
        ("comment", EDITOR, DATE, 2, "source?"),
        ("comment", REPORTER, LATER, 2, "Port office statement, 11 June."),
        ("move", EDITOR, DATE, 3, "Boats leave every forty minutes."),
        ("move", EDITOR, DATE, 5, "Boats leave every forty minutes."),
        ("deletion", EDITOR, DATE, 6, "¶"),
        ("deletion", EDITOR, DATE, 8, "¶"),
        ("deletion", EDITOR, DATE, 8, "Tickets are sold on board by card or cash."),
        ("insertion", EDITOR, DATE, 9, "¶"),
        ("insertion", REPORTER, LATER, 9, "The trial ends in September."),
        ("format", EDITOR, DATE, 10, "Service starts at ten."),
        ("insertion", EDITOR, DATE, 11, "the port office site"),
    }
    assert found == expected
    details = {(e["kind"], e["text"]): e["detail"] for e in edits}
    assert details[("format", "Service starts at ten.")] == "bold added"
    assert details[("comment", "Which Tuesday?")] == "on “on Tuesday”; resolved"
    assert details[("comment", "Port office statement, 11 June.")] == "on “extended”; reply to Desk Editor"
    assert all(e["first_words"] for e in edits if e["paragraph"] == 2)


def test_review_lists_edits_made_with_track_changes_off(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A DOCX publish wrote, edited without Track Changes (one paragraph rewritten, one removed, one added) and saved
    by python-docx: review names each paragraph and what it was."""
    assert main(["build", str(SAMPLES / "feature-tour.md"), "--to", "docx", "--out", str(tmp_path)]) == 0
    capsys.readouterr()
    document = docx.Document(str(tmp_path / "feature-tour.docx"))
    paragraphs = {" ".join(p.text.split()[:2]): p for p in document.paragraphs if len(p.text.split()) > 1}
    rewritten = paragraphs["The trial"]
    for run in rewritten.runs:
        run.text = ""
    rewritten.runs[0].text = "The trial lasts six weeks."
    removed = paragraphs["Night workers"]
    removed._p.getparent().remove(removed._p)
    paragraphs["Shopkeepers on"].insert_paragraph_before("A ferry captain said the crossing takes 35 minutes.")
    document.save(str(tmp_path / "edited.docx"))
    edits = _review(tmp_path / "edited.docx", capsys)
    assert [(e["kind"], e["text"]) for e in edits] == [
        ("changed", "The trial lasts six weeks."),
        ("removed", "Night workers were the first to cheer the news."),
        ("added", "A ferry captain said the crossing takes 35 minutes."),
    ]
    assert edits[0]["detail"] == ("was: The trial lasts a month. If enough riders use it, the authority says, the "
                                  "line will become permanent in September.")
    assert main(["review", str(tmp_path / "edited.docx")]) == 0
    first = capsys.readouterr().out.splitlines()[0]
    assert first == (f"{tmp_path}/edited.docx:6: paragraph changed (Track Changes off) in “The trial lasts six "
                     "weeks.”: “The trial lasts six weeks.” (was: The trial lasts a month. If enough riders use it, "
                     "the authority says, the line will become permanent in September.)")


def test_review_of_an_unedited_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["build", str(SAMPLES / "dar-bishkek.txt"), "--to", "docx", "--out", str(tmp_path)]) == 0
    capsys.readouterr()
    assert main(["review", str(tmp_path / "dar-bishkek.docx")]) == 0
    assert capsys.readouterr().out == f"{tmp_path}/dar-bishkek.docx: no tracked changes, comments or edits\n"
