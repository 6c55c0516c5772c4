"""Bad inputs of the metadata kind, in the catalogue's style (tests/test_bad_inputs.py): impossible dates, numbers
of thousands of digits, duplicate YAML keys, empty sections, manifests that reach outside their folder, dates
past what ZIP can hold, out-of-range theme tokens and user templates that fail while rendering. Each has the one
line it must print; a refused input writes nothing and leaves earlier outputs alone.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import docx
import pytest
from test_bad_inputs import FIXTURES, _parses

from publish.present.theme import SECTIONS, ScriptFonts, Typography

from catalogue import judge

DIGITS = "9" * 5000


def _huge_identifier(folder: Path) -> None:
    (folder / "huge-identifier.md").write_text(f"---\ntitle: A Number Too Long to Print\nidentifier: {DIGITS}\n---\n\n"
                                               "The identifier is kept as written.\n", encoding="utf-8")


def _huge_date(folder: Path) -> None:
    (folder / "huge-date.md").write_text(f"---\ntitle: A Date of Digits\ndate: {DIGITS}\n---\n\nText.\n",
                                         encoding="utf-8")


def _huge_json(folder: Path) -> None:
    (folder / "huge-number.json").write_text(
        '{"format": "publish-article", "version": 1, "meta": {"headline": "Levels"},\n'
        f' "blocks": [{{"type": "heading", "level": {DIGITS}, "content": []}}]}}\n', encoding="utf-8")


def _theme(name: str, toml: str) -> Callable[[Path], None]:
    def make(folder: Path) -> None:
        (folder / name).mkdir()
        (folder / name / "theme.toml").write_text(f"# {name}\n{toml}", encoding="utf-8")
    return make


def _templates(name: str, body: str) -> Callable[[Path], None]:
    def make(folder: Path) -> None:
        (folder / name).mkdir()
        (folder / name / "article.html.j2").write_text('{% extends "builtin/article.html.j2" %}\n' + body,
                                                       encoding="utf-8")
    return make


def _latin1_template(folder: Path) -> None:
    (folder / "tpl").mkdir()
    (folder / "tpl" / "article.html.j2").write_bytes(b"\xff{{ meta.headline }}")


def _desk(manifest: str, link: bool = False) -> Callable[[Path], None]:
    """A desk folder holding the manifest, beside an outside folder holding a secret."""
    def make(folder: Path) -> None:
        (folder / "outside").mkdir()
        (folder / "outside" / "secret.md").write_text("---\ntitle: Secret\n---\n\nThe secret text.\n")
        (folder / "desk").mkdir()
        shutil.copy(FIXTURES / "fine.md", folder / "desk" / "fine.md")
        if link:
            (folder / "desk" / "link.md").symlink_to(folder / "outside" / "secret.md")
        (folder / "desk" / "escape.yaml").write_text(manifest, encoding="utf-8")
    return make


def _zip_dates_clamped(out: Path) -> None:
    """The DOCX and EPUB keep the article's year 2108 in their metadata; their ZIP entries stop at 2107."""
    for name in ("date-2108.docx", "date-2108.epub"):
        with zipfile.ZipFile(out / name) as package:
            assert {info.date_time[0] for info in package.infolist()} == {2107}
    assert docx.Document(str(out / "date-2108.docx")).core_properties.created == dt.datetime(2108, 1, 1, tzinfo=dt.UTC)
    with zipfile.ZipFile(out / "date-2108.epub") as package:
        assert b"2108-01-01" in package.read("EPUB/content.opf")


def _identifier_kept(out: Path) -> None:
    assert DIGITS in (out / "huge-identifier.html").read_text(encoding="utf-8")


def _empty_section_left_out(out: Path) -> None:
    html = (out / "empty-section.html").read_text(encoding="utf-8")
    assert "Harbour" in html and "Fine Weather at the Pier" in html and "Sport" not in html


@dataclass(frozen=True)
class Case:
    """One bad input and exactly what publish must do with it (as tests/test_bad_inputs.py's Case)."""

    inputs: list[str]
    """Input paths (relative to the test folder) and any extra arguments."""
    message: str
    """The exact stderr line; {dir} is the test folder."""
    builds: bool = False
    """True when the build succeeds (with the warning, if any) and writes every format asked."""
    formats: str = "html"
    """--to for the build."""
    make: Callable[[Path], None] | None = None
    """Makes inputs in the test folder."""
    check: Callable[[Path], None] | None = None
    """Extra assertions on the outputs of a case that builds."""
    env: dict[str, str] = field(default_factory=dict)
    """Environment variables set for the build."""


CATALOGUE: dict[str, Case] = {
    # impossible dates
    "date: 2024-02-30": Case(["impossible-date.md"], "publish: error: impossible-date.md:3: date: '2024-02-30' is not "
                                                     "a real date (day is out of range for month)"),
    "updated: 2024-04-31 10:00:00": Case(["impossible-update.md"], "publish: error: impossible-update.md:4: updated: "
                                                                   "'2024-04-31 10:00:00' is not a real date (day is "
                                                                   "out of range for month)"),
    "manifest edition: 2024-13-45": Case(["bad-edition.yaml"], "publish: error: bad-edition.yaml:2: edition: "
                                                               "'2024-13-45' is not a real date (month must be in "
                                                               "1..12)"),
    # numbers of thousands of digits
    "5,000-digit identifier (kept as text)": Case(["huge-identifier.md"], "", builds=True, make=_huge_identifier,
                                                  check=_identifier_kept),
    "5,000-digit date": Case(["huge-date.md"], f"publish: error: huge-date.md:3: date: '{'9' * 38}… (5,000 "
                                               "characters) is not a date; write YYYY-MM-DD or YYYY-MM-DDTHH:MM",
                             make=_huge_date),
    "5,000-digit number in JSON": Case(["huge-number.json"], "publish: error: huge-number.json: blocks[0].level: a "
                                                             "number of 5,000 digits; expected a whole number of at "
                                                             "most 9 digits", make=_huge_json),
    "NaN in JSON": Case(["nan.json"], "publish: error: nan.json: blocks[0].start: NaN is not a JSON value"),
    "control character in JSON": Case(["control-json.json"], "publish: error: control-json.json: meta.headline: holds "
                                                             "U+0007 (a control character or half a surrogate pair), "
                                                             "which no output format can hold"),
    # YAML keys
    "duplicate key in front matter": Case(["duplicate-key.md"], "publish: error: duplicate-key.md:4: front matter "
                                                                "gives the key 'date' twice (lines 3 and 4); keep "
                                                                "one"),
    "duplicate key in a manifest": Case(["duplicate-key.yaml"], "publish: error: duplicate-key.yaml:3: manifest gives "
                                                                "the key 'title' twice (lines 1 and 3); keep one"),
    "a list as a front matter key": Case(["list-key.md"], "publish: error: list-key.md:3: front matter uses a list or "
                                                          "a mapping as a key; keys are names such as title:"),
    "a control character written as an escape": Case(["escaped-control.md"], "publish: error: escaped-control.md:2: "
                                                                             "front matter holds U+0007 (a control "
                                                                             "character or half a surrogate pair), "
                                                                             "which no output format can hold"),
    "manifest entry from: an unknown reader": Case(["unknown-reader.yaml"], "publish: error: unknown-reader.yaml:4: "
                                                                            "from: 'word' is not an input format; "
                                                                            "known: scraped, markdown, json, html, "
                                                                            "feed, ninjs, docx"),
    "a YAML tag publish does not read": Case(["yaml-tag.md"], "publish: error: yaml-tag.md:3: front matter uses the "
                                                              "tag '!include', which publish does not read; write the "
                                                              "value without it"),
    # sections
    "a section with articles: []": Case(["empty-section.yaml"], "publish: warning: empty-section.yaml:4: section 1 "
                                                                "('Sport') lists no articles; it is left out",
                                        builds=True, check=_empty_section_left_out),
    "no section lists an article": Case(["no-articles.yaml"], "publish: error: no-articles.yaml:2: no section lists "
                                                              "an article; give each section's articles: a list of "
                                                              "files"),
    # containment
    "manifest listing ../outside/secret.md": Case(
        ["desk/escape.yaml"], "publish: error: desk/escape.yaml:5: article '../outside/secret.md' is outside the "
                              "manifest's folder ({dir}/desk); a manifest lists only files inside its own folder",
        make=_desk("title: Brief\nsections:\n  - title: Desk\n    articles:\n      - ../outside/secret.md\n")),
    "manifest listing a link out of its folder": Case(
        ["desk/escape.yaml"], "publish: error: desk/escape.yaml:4: article 'link.md' is outside the manifest's "
                              "folder ({dir}/desk); a manifest lists only files inside its own folder",
        make=_desk("title: Brief\narticles:\n  - fine.md\n  - link.md\n", link=True)),
    "manifest listing /proc/self/status": Case(["proc-article.yaml"], "publish: error: proc-article.yaml:4: article "
                                                                      "'/proc/self/status' is outside the manifest's "
                                                                      "folder ({dir}); a manifest lists only files "
                                                                      "inside its own folder"),
    # dates ZIP cannot hold
    "date: 2108-01-01 in DOCX and EPUB": Case(["date-2108.md"], "", builds=True, formats="html,pdf,docx,epub",
                                              check=_zip_dates_clamped),
    "SOURCE_DATE_EPOCH=99999999999": Case(["fine.md"], "", builds=True, formats="docx,epub,pdf",
                                          env={"SOURCE_DATE_EPOCH": "99999999999"}),
    "SOURCE_DATE_EPOCH=yesterday": Case(["fine.md"], "publish: error: fine.md: SOURCE_DATE_EPOCH='yesterday' is not "
                                                     "a whole number of seconds since 1970", formats="docx",
                                        env={"SOURCE_DATE_EPOCH": "yesterday"}),
    "SOURCE_DATE_EPOCH past 9999": Case(["fine.md"], "publish: error: fine.md: SOURCE_DATE_EPOCH=99999999999999 is "
                                                     "out of range: give seconds since 1970, from -62135596800 to "
                                                     "253402300799 (the years 1 to 9999)", formats="docx",
                                        env={"SOURCE_DATE_EPOCH": "99999999999999"}),
    # theme tokens
    "theme body = []": Case(["fine.md", "--theme", "t"], "publish: error: {dir}/t/theme.toml:3: [sizes] body = [] is "
                                                         "not a number", make=_theme("t", "[sizes]\nbody = []\n")),
    "theme body = inf": Case(["fine.md", "--theme", "t"], "publish: error: {dir}/t/theme.toml:3: [sizes] body = inf: "
                                                          "must be between 4 and 72 points",
                             make=_theme("t", "[sizes]\nbody = inf\n")),
    "theme body = 1e9": Case(["fine.md", "--theme", "t"], "publish: error: {dir}/t/theme.toml:4: [sizes] body = "
                                                          "1000000000.0: must be between 4 and 72 points",
                             make=_theme("t", "[sizes]\nheadline = 30\nbody = 1e9\n")),
    "theme body = 0 (invisible text)": Case(["fine.md", "--theme", "t"], "publish: error: {dir}/t/theme.toml:3: "
                                                                         "[sizes] body = 0: must be between 4 and 72 "
                                                                         "points",
                                            make=_theme("t", "[sizes]\nbody = 0\n")),
    "theme margin_top = -50": Case(["fine.md", "--theme", "t"], "publish: error: {dir}/t/theme.toml:3: [page] "
                                                                "margin_top = -50: must be between 0 and 100 mm",
                                   make=_theme("t", "[page]\nmargin_top = -50\n")),
    "theme margins that leave no text block": Case(
        ["fine.md", "--theme", "t", "--page-size", "A5"],
        "publish: error: {dir}/t/theme.toml: [page] margin_inner and margin_outer leave a text block 28 mm wide on "
        "A5 paper; leave at least 40 mm", make=_theme("t", "[page]\nmargin_inner = 60\nmargin_outer = 60\n")),
    "theme number of 5,000 digits": Case(["fine.md", "--theme", "t"], "publish: error: {dir}/t/theme.toml:3: not a "
                                                                      "valid theme file: a number is written with "
                                                                      "thousands of digits; no token needs more than "
                                                                      "a few",
                                         make=_theme("t", f"[sizes]\nbody = {DIGITS}\n")),
    "theme languages = []": Case(["fine.md", "--theme", "t"], "publish: error: {dir}/t/theme.toml:3: [fonts.urdu] "
                                                              "languages = [] is not a list of language tags",
                                 make=_theme("t", '[fonts.urdu]\nlanguages = []\nbody = ["Noto Nastaliq Urdu"]\n')),
    # user templates
    "template {{ 1/0 }}": Case(["fine.md", "--templates", "tpl"], "publish: error: {dir}/tpl/article.html.j2:3: "
                                                                  "template error: division by zero "
                                                                  "(ZeroDivisionError)",
                               make=_templates("tpl", "{% block article %}\n<p>{{ 1/0 }}</p>{{ super() }}"
                                                      "{% endblock %}\n")),
    "template with a recursive macro": Case(["fine.md", "--templates", "tpl"], "publish: error: "
                                                                               "{dir}/tpl/article.html.j2:2: the "
                                                                               "template recurses without end (a "
                                                                               "macro or include that calls itself)",
                                            make=_templates("tpl", "{% macro again(n) %}{{ again(n + 1) }}"
                                                                   "{% endmacro %}\n{% block article %}{{ again(1) }}"
                                                                   "{% endblock %}\n")),
    "template file not UTF-8": Case(["fine.md", "--templates", "tpl"], "publish: error: {dir}/tpl/article.html.j2: "
                                                                       "template is not UTF-8 text (byte 0xff at "
                                                                       "offset 0)",
                                    make=_latin1_template),
}


@pytest.mark.parametrize("name", CATALOGUE)
def test_bad_input(name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                   capsys: pytest.CaptureFixture[str]) -> None:
    case = CATALOGUE[name]
    for fixture in FIXTURES.iterdir():
        shutil.copy(fixture, tmp_path / fixture.name)
    if case.make is not None:
        case.make(tmp_path)
    for variable, value in case.env.items():
        monkeypatch.setenv(variable, value)
    monkeypatch.chdir(tmp_path)
    expected = [case.message.format(dir=tmp_path)] if case.message else []
    judge(name, tmp_path, capsys, case.inputs, case.formats, expected, case.builds, case.check, _parses)


def test_a_recursive_template_in_a_real_process_is_one_line(tmp_path: Path) -> None:
    """Not 1,517 lines of traceback: one line, exit 1, nothing written."""
    shutil.copy(FIXTURES / "fine.md", tmp_path / "fine.md")
    _templates("tpl", "{% macro again(n) %}{{ again(n + 1) }}{% endmacro %}\n{% block article %}{{ again(1) }}"
                      "{% endblock %}\n")(tmp_path)
    done = subprocess.run([sys.executable, "-m", "publish", "build", "fine.md", "--templates", "tpl"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120, env={**os.environ, "PUBLISH_CACHE_DIR": "off"})
    assert done.returncode == 1
    assert done.stderr == (f"publish: error: {tmp_path}/tpl/article.html.j2:2: the template recurses without end (a "
                           "macro or include that calls itself)\n")
    assert not (tmp_path / "out").exists()


def test_every_number_token_has_a_range() -> None:
    """A theme's numbers are checked generally, from their fields: none is left without a range and a unit."""
    import dataclasses

    for cls in (*SECTIONS.values(), ScriptFonts, Typography):
        for token in dataclasses.fields(cls):
            if str(token.type) in ("float", "int"):
                assert token.metadata.get("range") and token.metadata.get("unit"), f"{cls.__name__}.{token.name}"


def test_yaml_reads_numbers_as_written_and_only_true_false_as_booleans(tmp_path: Path) -> None:
    """`identifier: 0012` is not the octal number 10, `keywords: [1.10]` not 1.1, and `title: No` is text."""
    from publish.readers import read_file

    (tmp_path / "numbers.md").write_text("---\ntitle: No\nidentifier: 0012\nkeywords: [1.10, 2024]\n---\n\nText.\n")
    meta = read_file(tmp_path / "numbers.md").article.meta
    assert (meta.headline, meta.identifier, meta.keywords) == ("No", "0012", ("1.10", "2024"))


def test_a_yaml_merge_overriding_a_key_is_not_a_duplicate() -> None:
    """`<<: *base` then `title:` overrides a merged key, as YAML means it to; only a key written twice is refused."""
    from publish.readers import yamlform

    data = yamlform.load("base: &base {title: Old, lang: en}\narticle:\n  <<: *base\n  title: New\n", what="manifest")
    assert data["article"] == {"title": "New", "lang": "en"}
    assert yamlform.line_of(data["article"], "title") == 4
    with pytest.raises(yamlform.YamlProblem, match=r"manifest gives the key 'title' twice \(lines 3 and 4\)"):
        yamlform.load("article:\n  lang: en\n  title: Old\n  title: New\n", what="manifest")
