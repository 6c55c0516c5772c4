"""The bad-input catalogue for points 6 and 7 of issue 8 (as tests/test_bad_inputs.py, in a file of its own): each
input with the exact line it must print. Ordinary Markdown (no title, a badge, links to other files or to places
not there, a POSIX locale as `lang`) builds, with one warning where something is not as written, to outputs that
pass their validators; a `lang` that is no language tag is refused with its file and line."""

from __future__ import annotations

import re
import shutil
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import docx
import pytest
from built import assert_valid
from lxml import html as lxml_html
from test_bad_inputs import _parses

from publish.cli import main

from catalogue import EARLIER

FIXTURES = Path(__file__).parent / "fixtures" / "bad-inputs-model"
ALL = "html,pdf,docx,epub"


def _headline(expected: str) -> Callable[[Path], None]:
    """The headline is `expected` in the HTML's h1, the DOCX's Title and the EPUB's dc:title; no h1 is empty."""
    def check(out: Path) -> None:
        stem = next(out.glob("*.html")).stem
        page = lxml_html.parse(str(out / f"{stem}.html")).getroot()
        assert [" ".join(h.text_content().split()) for h in page.iter("h1")] == [expected]
        titles = [p.text for p in docx.Document(str(out / f"{stem}.docx")).paragraphs if p.style.name == "Title"]
        assert titles == [expected]
        with zipfile.ZipFile(out / f"{stem}.epub") as epub:
            assert f"<dc:title>{expected}</dc:title>" in epub.read("EPUB/content.opf").decode()
    return check


def _language(tag: str) -> Callable[[Path], None]:
    def check(out: Path) -> None:
        stem = next(out.glob("*.html")).stem
        assert f'<html lang="{tag}"' in (out / f"{stem}.html").read_text(encoding="utf-8")
        with zipfile.ZipFile(out / f"{stem}.epub") as epub:
            assert f"<dc:language>{tag}</dc:language>" in epub.read("EPUB/content.opf").decode()
    return check


def _no_link_to(target: str, *, in_html: bool = False) -> Callable[[Path], None]:
    """No EPUB or DOCX links to `target` (nor the HTML unless `in_html`: a file beside it may be there)."""
    def check(out: Path) -> None:
        stem = next(out.glob("*.html")).stem
        assert (f'href="{target}"' in (out / f"{stem}.html").read_text(encoding="utf-8")) == in_html
        with zipfile.ZipFile(out / f"{stem}.epub") as epub:
            assert target not in epub.read("EPUB/chapter.xhtml").decode()
        with zipfile.ZipFile(out / f"{stem}.docx") as package:
            assert target not in package.read("word/_rels/document.xml.rels").decode()
    return check


def _encoded_fragment(out: Path) -> None:
    page = (out / "text-fragment.html").read_text(encoding="utf-8")
    assert 'href="https://example.org/a#b%23:~:text=night%20ferry"' in page
    with zipfile.ZipFile(out / "text-fragment.docx") as package:
        assert 'Target="https://example.org/a#b%23:~:text=night%20ferry"' in \
            package.read("word/_rels/document.xml.rels").decode()


def _alt_text_shown(out: Path) -> None:
    page = lxml_html.parse(str(out / "badge.html")).getroot()
    assert "Build: build passing on main." in " ".join(page.text_content().split())
    assert "<img" not in (out / "badge.html").read_text(encoding="utf-8")
    words = " ".join(p.text for p in docx.Document(str(out / "badge.docx")).paragraphs)
    assert "Build: build passing on main." in words


@dataclass(frozen=True)
class Case:
    """One input and exactly what publish must do with it."""

    inputs: list[str]
    """Input paths (relative to the test folder)."""
    message: str
    """The exact stderr line ("" for none); {dir} is the test folder."""
    builds: bool = False
    """True when the build succeeds and writes every format, each passing its validators with every word."""
    check: Callable[[Path], None] | None = None
    """Extra assertions on the outputs of a case that builds."""


NO_TITLE = "(give `title:` in the front matter to choose another)"
LANG = "is not a BCP 47 language tag; write one like en, en-US, pt-BR or zh-Hant-TW"
CATALOGUE: dict[str, Case] = {
    "changelog without a title or a first # heading": Case(
        ["no-title-changelog.md"], "publish: warning: no-title-changelog.md:1: no title: the headline is the first "
                                   f"heading, “1.2.0” {NO_TITLE}", builds=True, check=_headline("1.2.0")),
    "title: \"\"": Case(["empty-title.md"], "publish: warning: empty-title.md: no title and no heading: the headline "
                                            f"is the file's name, “Empty title” {NO_TITLE}", builds=True,
                        check=_headline("Empty title")),
    "lang: en_US.UTF-8": Case(["posix-lang.md"], "", builds=True, check=_language("en-US")),
    "lang: english": Case(["bad-lang.md"], f"publish: error: bad-lang.md:3: lang: 'english' {LANG}"),
    "language: english (JSON)": Case(["bad-lang.json"], f"publish: error: bad-lang.json: meta.language: 'english' "
                                                        f"{LANG}"),
    "lang: english (manifest)": Case(["bad-lang.yaml"], f"publish: error: bad-lang.yaml:2: lang: 'english' {LANG}"),
    "link to #nowhere": Case(["link-nowhere.md"], "publish: warning: link-nowhere.md: the link “the notes” goes to "
                                                  "#nowhere, which is no heading of this article; its words are kept "
                                                  "without the link", builds=True, check=_no_link_to("#nowhere")),
    "relative link to other.html": Case(["relative-link.md"], "publish: warning: relative-link.md: the link “next "
                                                              "page” goes to other.html, a file beside the article "
                                                              "that EPUB and DOCX cannot hold; its words are kept "
                                                              "without the link in those", builds=True,
                                        check=_no_link_to("other.html", in_html=True)),
    "text fragment with a second #": Case(["text-fragment.md"], "", builds=True, check=_encoded_fragment),
    "badge from the web": Case(["badge.md"], "publish: warning: badge.md: the image https://img.shields.io/badge/"
                                             "build-passing-green.svg is on the web and not fetched; its alt text is "
                                             "shown instead (--allow-remote shows it in the PDF)", builds=True,
                               check=_alt_text_shown),
    "missing inline image": Case(["missing-inline-image.md"], "publish: error: missing-inline-image.md: image "
                                                              "'gone.png' not found (looked for {dir}/gone.png)"),
}


@pytest.mark.parametrize("name", CATALOGUE)
def test_bad_input(name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                   capsys: pytest.CaptureFixture[str]) -> None:
    case = CATALOGUE[name]
    for fixture in FIXTURES.iterdir():
        shutil.copy(fixture, tmp_path / fixture.name)
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    stem = Path(case.inputs[0]).stem
    formats = ALL.split(",")
    earlier = {out / f"{stem}.{fmt}": EARLIER for fmt in formats}
    for path, data in earlier.items():
        path.write_bytes(data)

    code = main(["build", *case.inputs, "--to", ALL, "--out", "out"])
    err = capsys.readouterr().err.splitlines()

    notices = [line for line in err if not line.startswith("wrote ")]
    assert notices == ([case.message.format(dir=tmp_path)] if case.message else []), f"{name}: {notices}"
    assert not [line for line in notices if re.search(r"No anchor|Traceback", line)]
    left = sorted(p.name for p in out.iterdir())
    assert left == sorted(p.name for p in earlier), f"{name}: a temporary or stray file was left: {left}"
    if case.builds:
        assert code == 0
        for path in earlier:
            assert path.read_bytes() != EARLIER, f"{path.name} was not rewritten"
            _parses(path)
        assert_valid({fmt: out / f"{stem}.{fmt}" for fmt in formats}, tmp_path / case.inputs[0])
        if case.check is not None:
            case.check(out)
    else:
        assert code == 1
        assert all(path.read_bytes() == EARLIER for path in earlier), f"{name}: an earlier output was changed"
