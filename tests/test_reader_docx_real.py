"""Real Word files (written by Word, LibreOffice and python-docx, from public packages' test data; see
tests/fixtures/docx/README.md): reading never ends in a traceback, and the words read match Pandoc 3.9's."""

from __future__ import annotations

import difflib
import re
import subprocess
from pathlib import Path

import pytest

from publish.cli import main
from publish.model.text import block_texts
from publish.readers import read_file

REAL = Path(__file__).parent / "fixtures" / "docx"
FILES = sorted(REAL.glob("*.docx"))
AVERAGE = 0.97
"""The least average share of words that must match Pandoc's (difflib's ratio over the word sequences)."""


def _key(text: str) -> list[str]:
    """Words compared without case or punctuation; Pandoc's list markers ("1.", "a)") and table rules left out."""
    text = re.sub(r"(?m)^\s*(?:\d+|[a-zA-Z]|[ivxlc]+)[.)]\s+", "", text)
    return [w for w in (re.sub(r"[^\w]", "", t.lower()) for t in text.split()) if w]


def test_every_real_word_file_reads_and_builds(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert len(FILES) >= 80
    assert main(["build", *map(str, FILES), "--to", "html", "--out", str(tmp_path)]) == 0
    assert len(list(tmp_path.glob("*.html"))) == len(FILES)


def test_words_match_pandoc() -> None:
    pandoc = pytest.importorskip("pypandoc", reason="pypandoc-binary (the test extra) is not installed: "
                                                    "no Pandoc to compare with").get_pandoc_path()
    scores: dict[str, float] = {}
    found: dict[str, float] = {}
    for path in FILES:
        reading = read_file(path)
        article = reading.article
        # Pandoc keeps a Title (or the document's title) as metadata; a headline taken from a heading it prints
        printed = any(item.role.startswith("headline (the first heading") for item in reading.inferred)
        ours = _key("\n".join([article.meta.headline] * printed + list(block_texts(article.blocks))))
        theirs = _key(subprocess.run([pandoc, "-t", "plain", "--wrap=none", str(path)], capture_output=True,
                                     text=True, check=True).stdout)
        if ours or theirs:
            matcher = difflib.SequenceMatcher(a=theirs, b=ours, autojunk=False)
            scores[path.name] = matcher.ratio()
            found[path.name] = sum(b.size for b in matcher.get_matching_blocks()) / max(len(theirs), 1)
    average = sum(scores.values()) / len(scores)
    worst = min(scores, key=scores.__getitem__)
    assert average >= AVERAGE, f"{average:.3f} on average; worst {worst} ({scores[worst]:.3f})"
    # every file: nearly all of Pandoc's words are read (LibreOffice's imageslabels holds text boxes Pandoc skips,
    # so its ratio is low while publish reads more, not less)
    least = min(found, key=found.__getitem__)
    assert found[least] >= 0.9, f"{least}: only {found[least]:.3f} of Pandoc's words read"
