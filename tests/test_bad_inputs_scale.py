"""Bad inputs for batches (the catalogue of tests/test_bad_inputs.py, continued): a bad file among good ones, two
inputs that would write the same files, a batch of one collection, a worker count that is not one. Each with the
exact lines it must print (the summary's seconds shown as N), and never a traceback or a stray file."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from publish.cli import main

FRONT = "---\ntitle: {title}\n---\n\n"


@dataclass(frozen=True)
class Case:
    """One bad batch and exactly what publish must print for it."""

    arguments: list[str]
    """The arguments after `publish build`."""
    messages: list[str]
    """The exact stderr lines besides "wrote ..." ones (a summary's seconds written as N)."""
    written: list[str]
    """The files in out/ afterwards."""
    code: int = 1
    """The exit status."""
    make: Callable[[Path], None] = lambda folder: None
    """Makes further inputs in the test folder."""


def _story(name: str, title: str) -> Callable[[Path], None]:
    def make(folder: Path) -> None:
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(FRONT.format(title=title) + "The ferry left at dawn.\n", encoding="utf-8")
    return make


def _both(*makers: Callable[[Path], None]) -> Callable[[Path], None]:
    def make(folder: Path) -> None:
        for maker in makers:
            maker(folder)
    return make


def _broken(folder: Path) -> None:
    (folder / "broken.md").write_text("---\ntitle: [unclosed\n---\n\nBody.\n", encoding="utf-8")


CATALOGUE: dict[str, Case] = {
    "a broken file among good ones": Case(
        ["a.md", "broken.md", "b.md", "-j", "2"],
        ["publish: error: broken.md:2: front matter is not valid YAML: did not find expected ',' or ']'",
         "publish: error: built 2 of 3 inputs (2 files) in N s; 1 failed: broken.md"],
        ["a.html", "b.html"], make=_both(_story("a.md", "A"), _story("b.md", "B"), _broken)),
    "a missing file among good ones": Case(
        ["a.md", "gone.md", "--batch"],
        ["publish: error: gone.md: no such file", "publish: error: built 1 of 2 inputs (1 file) in N s; 1 failed: "
                                                  "gone.md"],
        ["a.html"], make=_story("a.md", "A")),
    "two inputs that would write the same files": Case(
        ["a.md", "desk/a.md", "--batch"],
        ["publish: error: desk/a.md: would write the same output files as a.md; rename one of them"],
        [], make=_both(_story("a.md", "A"), _story("desk/a.md", "Another A"))),
    "a batch of one collection": Case(
        ["a.md", "b.md", "--collection", "Brief", "-j", "2"],
        ["publish: error: --collection renders all inputs as one document; it cannot be built as a batch (--batch, "
         "-j, --scheduler)"],
        [], make=_both(_story("a.md", "A"), _story("b.md", "B"))),
    "an unknown format for a batch": Case(
        ["a.md", "b.md", "--to", "odt", "--batch"],
        ["publish: error: unknown output format 'odt'; known: html, pdf, docx, epub, md, ninjs"],
        [], make=_both(_story("a.md", "A"), _story("b.md", "B"))),
}


@pytest.mark.parametrize("name", CATALOGUE)
def test_bad_batch(name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                   capsys: pytest.CaptureFixture[str]) -> None:
    case = CATALOGUE[name]
    case.make(tmp_path)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PUBLISH_CACHE_DIR", "off")
    arguments = case.arguments if "--to" in case.arguments else [*case.arguments, "--to", "html"]
    code = main(["build", *arguments, "--out", "out"])
    err = capsys.readouterr().err.splitlines()
    shown = [re.sub(r" in [0-9.]+ s", " in N s", line) for line in err if not line.startswith("wrote ")]
    assert shown == case.messages, name
    assert code == case.code
    out = tmp_path / "out"
    found = sorted(p.name for p in out.iterdir()) if out.exists() else []
    assert found == case.written, f"{name}: {found}"


def test_a_worker_count_that_is_not_one_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    for value in ("0", "-1", "two"):
        with pytest.raises(SystemExit) as stopped:
            main(["build", "a.md", "-j", value])
        assert stopped.value.code == 2
        assert capsys.readouterr().err.splitlines()[-1] == (
            f"publish build: error: argument -j/--jobs: {value!r} is not a number of processes (1 or more)")
