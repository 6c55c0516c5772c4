"""The bad-input catalogue for Word files: each with the exact line publish must print, exit 1, and no output
written or earlier output changed.

`legacy.doc` (LibreOffice's Word 97-2003 export) and `password.docx` (encrypted with msoffcrypto-tool) live in
tests/fixtures/bad-inputs-editor/ (see its README); the others are made at test time from a python-docx document.
"""

from __future__ import annotations

import io
import shutil
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import docx
import pytest

from publish.cli import main

FIXTURES = Path(__file__).parent / "fixtures" / "bad-inputs-editor"
EARLIER = b"an earlier, good output that a failed build must leave alone\n"
IMAGE = Path(__file__).resolve().parent.parent / "samples" / "harbour-at-dawn.png"


def _good(with_image: bool = False) -> dict[str, bytes]:
    """The parts of a small, valid Word document."""
    document = docx.Document()
    document.add_paragraph("Ferry Notes", style="Title")
    document.add_paragraph("The night ferry left Pier 7 at ten.")
    if with_image:
        document.add_picture(str(IMAGE))
    out = io.BytesIO()
    document.save(out)
    with zipfile.ZipFile(out) as package:
        return {name: package.read(name) for name in package.namelist()}


def _write(path: Path, parts: dict[str, bytes], compression: int = zipfile.ZIP_DEFLATED) -> None:
    with zipfile.ZipFile(path, "w", compression) as package:
        for name, data in parts.items():
            package.writestr(name, data)


def _truncated(folder: Path) -> None:
    _write(folder / "truncated.docx", _good())
    data = (folder / "truncated.docx").read_bytes()
    (folder / "truncated.docx").write_bytes(data[: len(data) // 2])


def _not_zip(folder: Path) -> None:
    (folder / "renamed.docx").write_text("The night ferry left Pier 7 at ten.\n", encoding="utf-8")


def _bomb(folder: Path) -> None:
    parts = _good()
    parts["word/document.xml"] = parts["word/document.xml"].replace(b"</w:body>", b" " * (8 * 1024 * 1024) +
                                                                   b"</w:body>")
    _write(folder / "bomb.docx", parts)


def _doctype(folder: Path) -> None:
    parts = _good()
    xml = parts["word/document.xml"]
    declaration, rest = xml.split(b"?>", 1)
    parts["word/document.xml"] = (declaration + b'?><!DOCTYPE w:document [<!ENTITY host SYSTEM "file:///etc/hostname">'
                                  b"]>" + rest.replace(b"at ten.", b"at &host;"))
    _write(folder / "entities.docx", parts)


def _docm(folder: Path) -> None:
    parts = _good()
    parts["[Content_Types].xml"] = parts["[Content_Types].xml"].replace(
        b"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml",
        b"application/vnd.ms-word.document.macroEnabled.main+xml")
    parts["word/vbaProject.bin"] = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504)
    _write(folder / "macros.docm", parts)


def _not_an_image(folder: Path) -> None:
    parts = _good(with_image=True)
    media = next(name for name in parts if name.startswith("word/media/"))
    parts[media] = b"<html><body>This is a web page, not a picture.</body></html>\n"
    _write(folder / "fake-image.docx", parts)


@dataclass(frozen=True)
class Case:
    """One bad Word file and exactly what publish must print."""

    input: str
    """The input's name in the test folder."""
    message: str
    """The exact stderr line."""
    make: Callable[[Path], None] | None = None
    """Makes the input in the test folder."""


CATALOGUE: dict[str, Case] = {
    "legacy .doc": Case("legacy.doc", "publish: error: legacy.doc: is a Word 97-2003 document (.doc), which publish "
                                      "does not read: save it as .docx (Word: File › Save As › Word Document; "
                                      "LibreOffice: soffice --convert-to docx)"),
    "encrypted .docx": Case("password.docx", "publish: error: password.docx: is an encrypted (password-protected) "
                                             "Word document; publish cannot open it: remove the password in Word "
                                             "(File › Info › Protect Document) and save again"),
    "truncated .docx": Case("truncated.docx", "publish: error: truncated.docx: is not a Word document: a .docx is a "
                                              "ZIP package and this file is not one, or it is truncated",
                            make=_truncated),
    "text renamed .docx": Case("renamed.docx", "publish: error: renamed.docx: is not a Word document: a .docx is a "
                                               "ZIP package and this file is not one, or it is truncated",
                               make=_not_zip),
    "ZIP bomb": Case("bomb.docx", "publish: error: bomb.docx: looks like a ZIP bomb: its part 'word/document.xml' "
                                  "unpacks to 8,390,308 bytes, over 200 times its packed size; refused", make=_bomb),
    "DOCTYPE with an entity": Case("entities.docx", "publish: error: entities.docx: its part 'word/document.xml' "
                                                    "declares a DOCTYPE or entities, which Word never writes; refused "
                                                    "(entities are never expanded)", make=_doctype),
    "macro-enabled .docm": Case("macros.docm", "publish: error: macros.docm: is a macro-enabled Word document (.docm);"
                                               " publish never runs or keeps macros: save it as a .docx (Word: File › "
                                               "Save As › Word Document) and read that", make=_docm),
    "image part that is not an image": Case("fake-image.docx", "publish: error: fake-image.docx:3: image "
                                                               "'word/media/image1.png' is not a readable image file",
                                            make=_not_an_image),
}


@pytest.mark.parametrize("name", CATALOGUE)
def test_bad_word_file(name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                       capsys: pytest.CaptureFixture[str]) -> None:
    case = CATALOGUE[name]
    for fixture in FIXTURES.iterdir():
        if fixture.suffix != ".md":
            shutil.copy(fixture, tmp_path / fixture.name)
    if case.make is not None:
        case.make(tmp_path)
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    stem = Path(case.input).stem
    earlier = {out / f"{stem}.{fmt}": EARLIER for fmt in ("html", "docx")}
    for path, data in earlier.items():
        path.write_bytes(data)
    code = main(["build", case.input, "--to", "html,docx", "--out", "out"])
    err = capsys.readouterr().err.splitlines()
    assert code == 1
    assert err == [case.message]
    assert sorted(p.name for p in out.iterdir()) == sorted(p.name for p in earlier)
    assert all(path.read_bytes() == EARLIER for path in earlier), f"{name}: an earlier output was changed"
