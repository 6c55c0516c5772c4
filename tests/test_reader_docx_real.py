"""Real Word files (written by Word, LibreOffice and python-docx, from public packages' test data; see
tests/fixtures/docx/README.md): reading never ends in a traceback, and the words read match Pandoc 3.9's."""

from __future__ import annotations

import difflib
import re
import subprocess
from pathlib import Path

import pytest

from publish.cli import main
from publish.readers import read_file
from publish.text import block_texts

REAL = Path(__file__).parent / "fixtures" / "docx"
FILES = sorted(REAL.glob("*.docx"))
AVERAGE = 0.97
"""The least average share of words that must match Pandoc's (difflib's ratio over the word sequences)."""


def _key(text: str) -> list[str]:
    """Words compared without case or punctuation (Pandoc's plain text adds list numbers, ^(...) and table rules)."""
    return [w for w in (re.sub(r"[^\w]", "", t.lower()) for t in text.split()) if w]


def test_every_real_word_file_reads_and_builds(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert len(FILES) >= 60
    assert main(["build", *map(str, FILES), "--to", "html", "--out", str(tmp_path)]) == 0
    assert len(list(tmp_path.glob("*.html"))) == len(FILES)


def test_words_match_pandoc() -> None:
    pandoc = pytest.importorskip("pypandoc", reason="pypandoc-binary (the test extra) is not installed: "
                                                    "no Pandoc to compare with").get_pandoc_path()
    scores: dict[str, float] = {}
    for path in FILES:
        reading = read_file(path)
        article = reading.article
        # Pandoc keeps a Title (or the document's title) as metadata; a headline taken from a heading it prints
        printed = any(item.role.startswith("headline (the first heading") for item in reading.inferred)
        ours = _key("\n".join([article.meta.headline] * printed + list(block_texts(article.blocks))))
        theirs = _key(subprocess.run([pandoc, "-t", "plain", "--wrap=none", str(path)], capture_output=True,
                                     text=True, check=True).stdout)
        if ours or theirs:
            scores[path.name] = difflib.SequenceMatcher(a=theirs, b=ours, autojunk=False).ratio()
    average = sum(scores.values()) / len(scores)
    worst = min(scores, key=scores.__getitem__)
    assert average >= AVERAGE, f"{average:.3f} on average; worst {worst} ({scores[worst]:.3f})"
    assert scores[worst] >= 0.9, f"{worst}: {scores[worst]:.3f}"
