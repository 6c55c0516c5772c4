"""Bad label tables, in the catalogue's style (tests/test_bad_inputs.py): a theme's `labels/LANG.toml` with a key
missing, an unknown key, a value of the wrong type, or broken TOML. Each is one exact line naming the file, exit 1,
and no output: the earlier output is left as it was."""

from __future__ import annotations

from pathlib import Path

import pytest

from publish.cli import main
from publish.present import labels

EARLIER = b"an earlier, good output that a failed build must leave alone\n"
ENGLISH = (labels.builtin_folder() / "en.toml").read_text(encoding="utf-8").replace('"en"', '"eo"')
KEYS = "and, byline, comma, contacts, contents, correction, date, date_time, embargo, ends, language, months, " \
       "notes_to_editors, original, page_of_pages, separator, terms, updated"

CATALOGUE: dict[str, tuple[str, str] | tuple[str, str, int]] = {
    "missing key": (ENGLISH.replace('contents = "Contents"\n', ""),
                    f"label table: missing key 'contents'; a table has {KEYS}"),
    "unknown key": (ENGLISH.replace('contents = "Contents"\n', 'contents = "Contents"\nfolio = "Page"\n'),
                    f"label table: unknown key 'folio'; a table has {KEYS}"),
    "number for text": (ENGLISH.replace('byline = "By {names}"', "byline = 3"),
                        "label table: byline must be text in quotes, not int"),
    "eleven months": (ENGLISH.replace('"January", ', ""),
                      "label table: months lists the twelve months' names in quotes, January first"),
    "broken toml": (ENGLISH.replace('byline = "By {names}"', 'byline = "By {names}'),
                    "label table is not valid TOML: Illegal character '\\n'", 3),
}


@pytest.mark.parametrize("name", CATALOGUE)
def test_bad_label_table(name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                         capsys: pytest.CaptureFixture[str]) -> None:
    table, message, *line = CATALOGUE[name]
    where = f"{tmp_path / 'theme' / 'labels' / 'eo.toml'}" + "".join(f":{n}" for n in line)
    (tmp_path / "theme" / "labels").mkdir(parents=True)
    (tmp_path / "theme" / "theme.toml").write_text('[theme]\nname = "esperanto"\n', encoding="utf-8")
    (tmp_path / "theme" / "labels" / "eo.toml").write_text(table, encoding="utf-8")
    (tmp_path / "pramo.md").write_text("---\ntitle: Pramo\nlang: eo\n---\n\nTeksto.\n", encoding="utf-8")
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "pramo.html").write_bytes(EARLIER)
    monkeypatch.chdir(tmp_path)
    assert main(["build", "pramo.md", "--theme", "theme", "--to", "html", "--out", "out"]) == 1
    err = capsys.readouterr().err.splitlines()
    assert err == [f"publish: error: {where}: {message}"]
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["pramo.html"]
    assert (tmp_path / "out" / "pramo.html").read_bytes() == EARLIER
