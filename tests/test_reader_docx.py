"""The DOCX reader: our own DOCX reads back to the model it was made from; Word documents from other programs read
into the right blocks."""

from __future__ import annotations

import base64
import io
import zipfile
from pathlib import Path
from typing import Any

import docx
import pytest
from docx.enum.style import WD_STYLE_TYPE
from docx.shared import Pt

from publish import model
from publish.cli import main
from publish.model import jsonform
from publish.readers import Source, read_file, read_source

from conftest import SAMPLES

ARTICLE_SAMPLES = sorted(p.name for p in SAMPLES.iterdir() if p.suffix in (".md", ".txt"))


def _build_docx(sample: Path, out: Path) -> Path:
    assert main(["build", str(sample), "--to", "docx", "--out", str(out)]) == 0
    return out / f"{sample.stem}.docx"


def _figures_to_files(data: Any, folder: Path) -> None:
    """Replace each figure's data: URI by the name of the sample image with the same bytes (asserting one exists)."""
    if isinstance(data, dict):
        if data.get("type") in ("figure", "image") and data["src"].startswith("data:"):
            payload = base64.b64decode(data["src"].split(",", 1)[1])
            names = [p.name for p in folder.iterdir() if p.is_file() and p.read_bytes() == payload]
            assert names, "the figure's image bytes differ from every image beside the sample"
            data["src"] = names[0]
        for value in data.values():
            _figures_to_files(value, folder)
    elif isinstance(data, list):
        for value in data:
            _figures_to_files(value, folder)


@pytest.mark.parametrize("name", ARTICLE_SAMPLES)
def test_own_docx_reads_back_to_the_same_model(name: str, tmp_path: Path) -> None:
    """Markdown → DOCX → model: the same JSON form, except that a figure's image is carried in the model as a
    data: URI holding exactly the bytes of the original file (the DOCX has no path to give back)."""
    original = read_file(SAMPLES / name).article
    read_back = read_file(_build_docx(SAMPLES / name, tmp_path)).article
    data = jsonform.to_data(read_back)
    _figures_to_files(data, SAMPLES)
    assert data == jsonform.to_data(original)


def _without_model_part(path: Path) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            data = source.read(info)
            if info.filename.startswith("customXml/") and b"urn:publish:article-model" in data:
                continue
            target.writestr(info, data)
    return out.getvalue()


@pytest.mark.parametrize("name", ARTICLE_SAMPLES)
def test_body_reads_back_without_the_embedded_model(name: str, tmp_path: Path) -> None:
    """With the carried model removed, the body still reads back the same from the visible document alone; only a
    code block's language (Word has no place for it) is lost, and the metadata Word has no field for."""
    original = read_file(SAMPLES / name).article
    path = _build_docx(SAMPLES / name, tmp_path)
    read_back = read_source(Source(str(path), _without_model_part(path))).article
    data = jsonform.to_data(read_back)
    _figures_to_files(data, SAMPLES)
    expected = jsonform.to_data(original)
    for block in expected["blocks"]:
        if block["type"] == "code_block":
            block.pop("language", None)
    assert data["blocks"] == expected["blocks"]
    meta = data["meta"]
    for key in ("headline", "dek", "authors", "dateline", "language", "keywords", "source", "summary"):
        assert meta[key] == expected["meta"][key], key


def _styled_document(tmp_path: Path) -> Path:
    """A document as another program writes it: its own style names based on the built-in ones, direct formatting,
    numbering, an indented quote, a table, footnote-free."""
    document = docx.Document()
    document.core_properties.title = "Ferry Report"
    document.core_properties.author = "Nadia Karimova; Timur Bek"
    styles = document.styles
    custom = styles.add_style("Desk Subhead", WD_STYLE_TYPE.PARAGRAPH)
    custom.base_style = styles["Heading 2"]
    document.add_paragraph("Night Ferries Return", style="Title")
    document.add_paragraph("The first crossing left at ten.")
    document.add_paragraph("What changes", style="Desk Subhead")
    p = document.add_paragraph("Tickets are ")
    p.add_run("cheaper").bold = True
    p.add_run(" and ")
    p.add_run("faster").italic = True
    p.add_run(" to buy at ")
    code = p.add_run("gate 7")
    code.font.name = "Courier New"
    p.add_run(".")
    document.add_paragraph("Pier 7", style="List Bullet")
    document.add_paragraph("Pier 9", style="List Bullet")
    document.add_paragraph("Upper deck", style="List Bullet 2")
    document.add_paragraph("First stop", style="List Number")
    document.add_paragraph("Second stop", style="List Number")
    quote = document.add_paragraph("We waited ten years for this boat.")
    quote.paragraph_format.left_indent = Pt(36)
    document.add_paragraph("Intense words here.", style="Intense Quote")
    table = document.add_table(rows=2, cols=2)
    table.cell(0, 0).text, table.cell(0, 1).text = "Pier", "Time"
    table.cell(1, 0).text, table.cell(1, 1).text = "7", "22:00"
    path = tmp_path / "styled.docx"
    document.save(str(path))
    return path


def test_a_foreign_document_reads_into_blocks(tmp_path: Path) -> None:
    article = read_file(_styled_document(tmp_path)).article
    assert article.meta.headline == "Night Ferries Return"
    assert article.meta.authors == ("Nadia Karimova", "Timur Bek")
    kinds = [type(b).__name__ for b in article.blocks]
    assert kinds == ["Paragraph", "Heading", "Paragraph", "BulletList", "OrderedList", "BlockQuote", "Table"]
    heading = article.blocks[1]
    assert isinstance(heading, model.Heading) and heading.level == 2
    paragraph = article.blocks[2]
    assert isinstance(paragraph, model.Paragraph)
    assert paragraph.content == (model.Text("Tickets are "), model.Strong((model.Text("cheaper"),)),
                                 model.Text(" and "), model.Emphasis((model.Text("faster"),)),
                                 model.Text(" to buy at "), model.Code("gate 7"), model.Text("."))
    bullets = article.blocks[3]
    assert isinstance(bullets, model.BulletList) and len(bullets.items) == 2
    assert isinstance(bullets.items[1][1], model.BulletList)
    quote = article.blocks[5]
    assert isinstance(quote, model.BlockQuote) and len(quote.blocks) == 2
    table = article.blocks[6]
    assert isinstance(table, model.Table) and table.header == ((model.Text("Pier"),), (model.Text("Time"),))
    assert table.rows == (((model.Text("7"),), (model.Text("22:00"),)),)


def test_footnotes_become_numbered_notes_at_the_end(tmp_path: Path) -> None:
    """A footnote reference reads as [1] in the text, the note as a numbered paragraph after a rule."""
    path = _styled_document(tmp_path)
    with zipfile.ZipFile(path) as package:
        parts = {name: package.read(name) for name in package.namelist()}
    w = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
    parts["word/footnotes.xml"] = (f'<?xml version="1.0" encoding="UTF-8"?><w:footnotes {w}>'
                                   '<w:footnote w:id="1"><w:p><w:r><w:t>Figures from the port office.</w:t></w:r>'
                                   '</w:p></w:footnote></w:footnotes>').encode()
    parts["word/_rels/document.xml.rels"] = parts["word/_rels/document.xml.rels"].replace(
        b"</Relationships>", b'<Relationship Id="rIdNotes" Type="http://schemas.openxmlformats.org/officeDocument/'
                             b'2006/relationships/footnotes" Target="footnotes.xml"/></Relationships>')
    parts["word/document.xml"] = parts["word/document.xml"].replace(
        b"<w:t>The first crossing left at ten.</w:t></w:r>",
        b'<w:t>The first crossing left at ten.</w:t></w:r><w:r><w:footnoteReference w:id="1"/></w:r>', 1)
    with zipfile.ZipFile(path, "w") as package:
        for name, data in parts.items():
            package.writestr(name, data)
    article = read_file(path).article
    assert article.blocks[0] == model.Paragraph((model.Text("The first crossing left at ten.[1]"),))
    assert isinstance(article.blocks[-2], model.Rule)
    assert article.blocks[-1] == model.Paragraph((model.Text("[1] Figures from the port office."),))


def _with_body(tmp_path: Path, paragraphs: list[str]) -> Path:
    """A python-docx document whose body is the given w:p contents (WordprocessingML as Word writes it)."""
    from lxml import etree

    document = docx.Document()
    body = document.element.body
    w = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
    m = 'xmlns:m="http://schemas.openxmlformats.org/officeDocument/2006/math"'
    for inner in paragraphs:
        body.sectPr.addprevious(etree.fromstring(f"<w:p {w} {m}>{inner}</w:p>"))
    path = tmp_path / "fields.docx"
    document.save(str(path))
    return path


def test_hyperlink_fields_and_what_is_dropped(tmp_path: Path) -> None:
    """A link written as a HYPERLINK field (as older Word does) is a link; an equation is reported as dropped, with
    the paragraph's number as its line."""
    path = _with_body(tmp_path, [
        '<w:pPr><w:pStyle w:val="Title"/></w:pPr><w:r><w:t>Port Notes</w:t></w:r>',
        '<w:r><w:t xml:space="preserve">See the </w:t></w:r><w:r><w:fldChar w:fldCharType="begin"/></w:r>'
        '<w:r><w:instrText xml:space="preserve"> HYPERLINK "https://port.example/times" </w:instrText></w:r>'
        '<w:r><w:fldChar w:fldCharType="separate"/></w:r><w:r><w:t>timetable</w:t></w:r>'
        '<w:r><w:fldChar w:fldCharType="end"/></w:r><w:r><w:t>.</w:t></w:r>',
        '<w:r><w:t xml:space="preserve">Fare rule: </w:t></w:r><m:oMath><m:r><m:t>x+1</m:t></m:r></m:oMath>',
    ])
    reading = read_file(path)
    assert reading.article.blocks[0] == model.Paragraph((
        model.Text("See the "), model.Link((model.Text("timetable"),), "https://port.example/times"), model.Text(".")))
    assert [(d.line, d.text, d.reason) for d in reading.dropped] == [
        (3, "x+1", "an equation, which the model cannot hold")]
