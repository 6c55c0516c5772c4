"""The bad-input catalogue for the Markdown writer: each with the exact line publish must print, exit 1, and
nothing written, the input left as it was. (Broken CriticMarkup is not an error: an unclosed `{++` or a malformed
attribute block stays text, as in test_criticmarkup.)"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

DRAFT = "---\ntitle: Ferry Notes\n---\n\nThe night ferry {++now ++}leaves Pier 7 at ten.\n"
OVER_INPUT = ("publish: error: {path}: is an input, and publish would write an output over it; give another "
              "--out\n")


@pytest.mark.parametrize("formats", ["md", "html,md"], ids=["md alone", "md beside html"])
def test_markdown_output_over_its_own_input_is_refused(formats: str, tmp_path: Path) -> None:
    (tmp_path / "draft.md").write_text(DRAFT, encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "publish", "build", "draft.md", "--to", formats, "--out", "."],
                          cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert (done.returncode, done.stderr) == (1, OVER_INPUT.format(path="draft.md"))
    assert (tmp_path / "draft.md").read_text(encoding="utf-8") == DRAFT
    assert sorted(p.name for p in tmp_path.iterdir()) == ["draft.md"]
