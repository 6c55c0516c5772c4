"""`check --source` compares an output with the source file's own words too, not only with the model its reader
made: a reader that loses story text (silently, or as "before the headline" under a wrong headline) fails the
check, and the lost passage is named with its lines. Page debris the reader reported dropping does not."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from publish import model
from publish.checks.gate import CheckOptions, check_outputs, source_words
from publish.cli import main
from publish.model import jsonform
from publish.readers import read_file

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "samples" / "dar-bishkek.txt"
FAST = "--skip=epubcheck,ace,html-checker,libreoffice"

WRONG_HEADLINE = """\
The city council voted on Tuesday to expand the bus network across the eastern suburbs, a plan stalled for years.

Supporters said the change would cut commutes for thousands of workers who spend over an hour on the road each way.

The first new routes are expected to open next spring, the transit agency said in a statement after the vote.

Maria Lopez

Maria Lopez covers transportation and city government for the paper. She joined the newsroom in 2019.
"""


def test_a_reader_that_silently_loses_a_paragraph_fails_check(tmp_path: Path) -> None:
    reading = read_file(SEED)
    paragraphs = [b for b in reading.article.blocks if isinstance(b, model.Paragraph)]
    lost = paragraphs[2]  # "Before he arrived in Bishkek, ..." (source line 14), gone without a word in the report
    lossy = dataclasses.replace(reading, article=dataclasses.replace(
        reading.article, blocks=tuple(b for b in reading.article.blocks if b is not lost)))
    story = tmp_path / "dar-bishkek.json"
    story.write_text(jsonform.dumps(lossy.article), encoding="utf-8")
    assert main(["build", str(story), "--to", "html,docx", "--out", str(tmp_path)]) == 0
    outputs = [tmp_path / "dar-bishkek.html", tmp_path / "dar-bishkek.docx"]

    words = source_words(SEED, reading=lossy)
    assert words is not None
    report = check_outputs(outputs, dict.fromkeys(outputs, lossy.article), CheckOptions(skip=frozenset(
        {"html-checker", "libreoffice"})), dict.fromkeys(outputs, words))

    for file in report.files:  # the model's words are all there: only the source's words show the loss
        assert [(f.check, f.message) for f in file.findings if f.severity == "error"] == [
            ("source", "dar-bishkek.txt line 14 “Before he arrived in Bishkek, Ishaq Dar attended the …” is missing "
                       "from the output, and the reader did not report dropping it")]
    assert not report.ok


def test_story_dropped_before_a_wrong_headline_fails_build_check(tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    story = tmp_path / "story.txt"
    story.write_text(WRONG_HEADLINE, encoding="utf-8")
    reading = read_file(story)
    code = main(["build", str(story), "--to", "html", "--out", str(tmp_path / "out"), "--check"])
    out = capsys.readouterr().out
    headline_wrong = reading.article.meta.headline == "Maria Lopez"
    if headline_wrong:  # the reader took the byline under the bio for the headline and dropped the story above it
        assert code == 1
        assert ("error [source] story.txt lines 1-5 “The city council voted on Tuesday to expand the bus network …” "
                "is missing from the output: the reader dropped it as “before the headline”, but it reads as story "
                "text") in out
    else:  # a reader that keeps the story passes
        assert code == 0, out


def test_debris_the_reader_reported_is_not_a_loss(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    fixtures = sorted((ROOT / "tests" / "fixtures" / "scraped").glob("*.txt"))
    for source in [*fixtures, SEED, *sorted((ROOT / "samples").glob("*.md"))]:
        assert main(["build", str(source), "--to", "html,docx", "--out", str(tmp_path)]) == 0
        outputs = [str(tmp_path / f"{source.stem}.{fmt}") for fmt in ("html", "docx")]
        capsys.readouterr()
        code = main(["check", *outputs, "--source", str(source), FAST])
        assert code == 0, (source, capsys.readouterr().out)
    words = source_words(SEED)
    assert words is not None and len(words.passages) == 9  # headline, 3 subheads, 5 paragraphs; no debris lines
    tour = source_words(ROOT / "samples" / "feature-tour.md")
    assert tour is not None
    labels = [p.label for p in tour.passages]
    assert len(labels) == len(set(labels))  # the cells of a table row are one passage, its line
