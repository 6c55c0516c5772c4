"""Bad inputs for the desk's typography tokens ([typography] hyphenate_before, hyphenate_after, smart_quotes): each
refused with one line naming the theme file, the line and the valid values, nothing written."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from publish.cli import main

from catalogue import EARLIER

FIXTURES = Path(__file__).parent / "fixtures" / "bad-inputs"

CATALOGUE = {
    "hyphenate_before = 0 (a one-letter stub is worse)": (
        "[typography]\nhyphenate_before = 0\n",
        "publish: error: {dir}/t/theme.toml:3: [typography] hyphenate_before = 0: must be between 1 and 10 letters"),
    "hyphenate_after = 40": (
        "[typography]\nhyphenate = true\nhyphenate_after = 40\n",
        "publish: error: {dir}/t/theme.toml:4: [typography] hyphenate_after = 40: must be between 1 and 10 letters"),
    "hyphenate_before = 2.5": (
        "[typography]\nhyphenate_before = 2.5\n",
        "publish: error: {dir}/t/theme.toml:3: [typography] hyphenate_before = 2.5 is not a whole number"),
    "smart_quotes = \"yes\"": (
        "[typography]\nsmart_quotes = \"yes\"\n",
        "publish: error: {dir}/t/theme.toml:3: [typography] smart_quotes = 'yes' is not true or false"),
}


@pytest.mark.parametrize("name", CATALOGUE)
def test_bad_typography_token(name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                              capsys: pytest.CaptureFixture[str]) -> None:
    toml, message = CATALOGUE[name]
    shutil.copy(FIXTURES / "fine.md", tmp_path / "fine.md")
    (tmp_path / "t").mkdir()
    (tmp_path / "t" / "theme.toml").write_text(f"# t\n{toml}", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    (out / "fine.pdf").write_bytes(EARLIER)
    code = main(["build", "fine.md", "--theme", "t", "--to", "pdf", "--out", "out"])
    err = [line for line in capsys.readouterr().err.splitlines() if not line.startswith("wrote ")]
    assert code == 1
    assert err == [message.format(dir=tmp_path)]
    assert [p.name for p in out.iterdir()] == ["fine.pdf"] and (out / "fine.pdf").read_bytes() == EARLIER
