"""CriticMarkup in Markdown: suggestions and comments read into the model's insertions, deletions and comments;
accepted or rejected text; and samples/suggestions.md as tracked changes and comments in the DOCX (Word's XML,
python-docx) and in the review HTML."""

from __future__ import annotations

import zipfile
from pathlib import Path

import docx
import pytest
from lxml import etree
from lxml import html as lxml_html

from publish import model as m
from publish.cli import main
from publish.errors import InputError
from publish.model.text import block_texts
from publish.readers import read_file
from publish.readers.markdown import read_text

from conftest import SAMPLES

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
SUGGESTIONS = SAMPLES / "suggestions.md"
EDITOR = "Sara Malik"


def _body(markdown: str, mode: str = "all") -> tuple[m.Inline, ...]:
    reading = read_text(f"---\ntitle: T\n---\n\n{markdown}\n", source="draft.md", track_changes=mode)
    block = reading.article.blocks[0]
    assert isinstance(block, m.Paragraph)
    return block.content


def test_each_mark_reads_into_the_models_inlines() -> None:
    assert _body("a {++new *bold*++} b") == (
        m.Text("a "), m.Insertion((m.Text("new "), m.Emphasis((m.Text("bold"),)))), m.Text(" b"))
    assert _body("a {--old--}{author=\"Ana Ruiz\" date=\"2024-06-12T10:05:00Z\"} b") == (
        m.Text("a "), m.Deletion((m.Text("old"),), author="Ana Ruiz", date="2024-06-12T10:05:00Z"), m.Text(" b"))
    assert _body("{~~five~>six~~}{author=Ana} boats") == (
        m.Deletion((m.Text("five"),), author="Ana"), m.Insertion((m.Text("six"),), author="Ana"), m.Text(" boats"))
    assert _body("Boats{>> which ones? <<}") == (m.Text("Boats"), m.Comment((), "which ones?"))
    assert _body('{==at night==}{>>Source?<<}{author="Ana" initials=AR .resolved}'
                 '{>>The port office.<<}{.reply author="Timur Bek"}') == (
        m.Comment((m.Text("at night"),), "Source?", author="Ana", initials="AR", resolved=True,
                  replies=(m.Reply("The port office.", author="Timur Bek"),)),)


def test_accept_and_reject_give_the_words_and_report_the_comments() -> None:
    source = ("---\ntitle: T\n---\n\nThe {~~five~>six~~} boats {--will--}{++now++} run "
              "{==at night==}{>>Source?<<}{author=\"Ana\"}.\n")
    accepted = read_text(source, source="draft.md")  # accept is the default, as for Word files
    rejected = read_text(source, source="draft.md", track_changes="reject")
    assert list(block_texts(accepted.article.blocks)) == ["The six boats now run at night."]
    assert list(block_texts(rejected.article.blocks)) == ["The five boats will run at night."]
    assert [(d.text, d.reason) for d in accepted.dropped] == [
        ("Ana: Source?", "a comment; kept in a review copy (--track-changes all)")]


def test_what_is_not_criticmarkup_stays_text() -> None:
    assert _body(r"\{++escaped++} and {++unclosed and `{--code--}`") == (
        m.Text("{++escaped++} and {++unclosed and "), m.Code("{--code--}"))
    reading = read_text("---\ntitle: T\n---\n\nA {==highlight==} alone.\n", source="draft.md", track_changes="all")
    assert reading.article.blocks == (m.Paragraph((m.Text("A highlight alone."),)),)
    assert [d.reason for d in reading.dropped] == ["a CriticMarkup highlight with no comment after it (its text is "
                                                   "kept)"]


def test_an_unknown_track_changes_mode_is_refused() -> None:
    with pytest.raises(InputError, match="unknown --track-changes 'keep'; use accept, reject, all"):
        read_text("# T\n", source="draft.md", track_changes="keep")


@pytest.fixture(scope="module")
def review_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("review")
    assert main(["build", str(SUGGESTIONS), "--to", "docx,html", "--track-changes", "all", "--out", str(out)]) == 0
    return out


def test_suggestions_become_tracked_changes_in_word(review_copy: Path) -> None:
    with zipfile.ZipFile(review_copy / "suggestions.docx") as package:
        body = etree.fromstring(package.read("word/document.xml"))
    insertions = [(e.get(f"{W}author"), e.get(f"{W}date"), "".join(e.itertext())) for e in body.iter(f"{W}ins")]
    deletions = [(e.get(f"{W}author"), "".join(t.text or "" for t in e.iter(f"{W}delText")))
                 for e in body.iter(f"{W}del") if len(e)]
    assert insertions == [
        (EDITOR, "2024-06-14T09:12:00Z", "confirmed"), (EDITOR, "2024-06-14T09:13:00Z", "fifty per cent of"),
        (EDITOR, "2024-06-14T09:16:00Z", " heading home after midnight")]
    assert deletions == [(EDITOR, "said"), (EDITOR, "half"), (EDITOR, " will probably")]
    comments = [(c.author, c.initials, c.text) for c in docx.Document(str(review_copy / "suggestions.docx")).comments]
    assert comments == [
        (EDITOR, "SM", "Source for this figure? The authority's count or ours?"),
        ("Amina Qureshi", "AQ", "The authority's count, from its Thursday briefing."),
        (EDITOR, "SM", "Check the month with the board secretary."),
    ]


def test_suggestions_show_in_the_review_html(review_copy: Path) -> None:
    page = lxml_html.parse(str(review_copy / "suggestions.html")).getroot()
    assert [e.text_content() for e in page.iterfind(".//ins")] == [
        "confirmed", "fifty per cent of", " heading home after midnight"]
    assert [e.text_content() for e in page.iterfind(".//del")] == ["said", "half", " will probably"]
    assert page.find(".//ins").get("title") == f"{EDITOR}, 2024-06-14T09:12:00Z"
    notes = " ".join(n.text_content() for n in page.find_class("review-comment"))
    assert "Source for this figure? The authority's count or ours?" in notes
    assert "The authority's count, from its Thursday briefing." in notes
    assert "Check the month with the board secretary." in notes


def test_by_default_the_suggestions_are_accepted(tmp_path: Path) -> None:
    assert main(["build", str(SUGGESTIONS), "--to", "html,docx", "--out", str(tmp_path)]) == 0
    page = lxml_html.parse(str(tmp_path / "suggestions.html")).getroot()
    assert page.find(".//ins") is None and page.find(".//del") is None
    text = " ".join(page.find(".//article").text_content().split())
    assert "The harbour authority confirmed on Friday that night ferry fares will stay at fifty per cent of the " \
           "day rate" in text
    assert "most of them night-shift workers heading home after midnight." in text
    assert "A permanent timetable needs the approval" in text
    assert "Source for this figure" not in text
    document = docx.Document(str(tmp_path / "suggestions.docx"))
    assert list(document.comments) == []
    assert not list(etree.fromstring(zipfile.ZipFile(tmp_path / "suggestions.docx").read("word/document.xml"))
                    .iter(f"{W}ins"))


def test_review_copy_goes_to_word_and_back_to_the_same_markdown_model(review_copy: Path) -> None:
    """suggestions.md → DOCX (all) → Markdown (all) → model: every change, comment, reply, author and date kept."""
    out = review_copy / "md"
    assert main(["build", str(review_copy / "suggestions.docx"), "--to", "md", "--track-changes", "all",
                 "--out", str(out)]) == 0
    original = read_file(SUGGESTIONS, track_changes="all").article
    assert read_file(out / "suggestions.md", track_changes="all").article == original
    written = (out / "suggestions.md").read_text(encoding="utf-8")
    assert '{~~said~>confirmed~~}{author="Sara Malik" date="2024-06-14T09:12:00Z"}' in written
    assert '{>>The authority\'s count, from its Thursday briefing.<<}{.reply author="Amina Qureshi"' in written


@pytest.mark.parametrize("mode", ["accept", "reject", "all"])
def test_check_counts_the_drafts_own_words_as_the_build_read_them(mode: str, tmp_path: Path,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    """`publish check --source draft.md` takes the suggestions as the build did: the words of deletions are not
    missing from accepted text, nor those of insertions from rejected text; a review copy is checked as accepted."""
    assert main(["build", str(SUGGESTIONS), "--to", "html,docx", "--track-changes", mode, "--out", str(tmp_path)]) == 0
    capsys.readouterr()
    outputs = [str(tmp_path / "suggestions.html"), str(tmp_path / "suggestions.docx")]
    code = main(["check", *outputs, "--source", str(SUGGESTIONS), "--track-changes", mode, "--skip", "html-checker"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "[source]" not in out and out.count("words in order") == 2
