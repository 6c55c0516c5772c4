"""The presentation layer: what is printed around the story comes from the label tables of the article's language,
the same in every format.

An Urdu brief (samples/urdu-library.md and tests/fixtures/urdu/ferry.md) is built in all four formats and each is
read back as a reader meets it (lxml for the HTML, pdftotext for the PDF, python-docx for the DOCX, zipfile and
lxml for the EPUB): none may show an English label or an English date.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tomllib
import zipfile
from pathlib import Path
from typing import Any

import docx
import pytest
from lxml import etree
from lxml import html as lxml_html

from publish import present
from publish.cli import main
from publish.model import text
from publish.present import labels
from publish.readers import read_file

ROOT = Path(__file__).resolve().parent.parent
URDU = ROOT / "tests" / "fixtures" / "urdu"
TOUR = ROOT / "samples" / "feature-tour.md"
XHTML = "{http://www.w3.org/1999/xhtml}"


def english_words() -> re.Pattern[str]:
    """Every word of the English label table (By, Updated, Contents, Page, Original, Press brief, the months)."""
    table = tomllib.loads((labels.builtin_folder() / "en.toml").read_text(encoding="utf-8"))
    texts = [value for key, value in table.items() if isinstance(value, str) and key != "language"]
    texts += table["months"] + list(table["terms"].values())
    words = {word for text in texts for word in re.findall(r"[A-Za-z]{2,}", re.sub(r"\{\w+\}", "", text))}
    assert {"By", "Updated", "Contents", "Page", "June", "Press"} <= words
    return re.compile(r"\b(" + "|".join(sorted(words)) + r")\b")


def pdf_text(path: Path) -> str:
    """The PDF's text as pdftotext extracts it, without the bidirectional marks it adds around runs."""
    text = subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True, text=True,
                          check=True).stdout
    return re.sub("[\u202a-\u202e]", "", text)


def docx_text(path: Path) -> str:
    """Every paragraph a Word user sees: the body, tables, and every header and footer."""
    document = docx.Document(str(path))
    parts = [p.text for p in document.paragraphs]
    parts += [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    for section in document.sections:
        for part in (section.header, section.footer, section.first_page_header, section.first_page_footer,
                     section.even_page_header, section.even_page_footer):
            parts += [p.text for p in part.paragraphs]
    return "\n".join(parts)


def epub_text(path: Path) -> str:
    """The text of every content document, the nav and the NCX, and the alternative text of every image."""
    parts = []
    with zipfile.ZipFile(path) as package:
        for name in package.namelist():
            if name.endswith((".xhtml", ".ncx")):
                root = etree.fromstring(package.read(name))
                parts.append(" ".join(root.itertext()))
                parts += [str(alt) for alt in root.xpath("//@alt")]
    return "\n".join(parts)


@pytest.fixture(scope="module")
def urdu_brief(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The Urdu brief built in all four formats with the brief theme (letterhead label, page numbers)."""
    folder = tmp_path_factory.mktemp("urdu")
    shutil.copytree(URDU, folder / "in")
    shutil.copy(ROOT / "samples" / "urdu-library.md", folder / "in")
    assert main(["build", str(folder / "in" / "brief.yaml"), "--theme", "brief", "--out", str(folder / "out")]) == 0
    return folder / "out"


def test_urdu_brief_prints_no_english_label_or_date_in_any_format(urdu_brief: Path) -> None:
    english = english_words()
    texts = {
        "html": " ".join(lxml_html.parse(str(urdu_brief / "brief.html")).getroot().body.itertext()),
        "pdf": pdf_text(urdu_brief / "brief.pdf"),
        "docx": docx_text(urdu_brief / "brief.docx"),
        "epub": epub_text(urdu_brief / "brief.epub"),
    }
    for fmt, found in texts.items():
        assert "تحریر: عائشہ ملک اور حسن رضا" in found or fmt == "pdf", fmt  # the byline, in Urdu
        assert "فہرست" in found or fmt == "epub", fmt  # "Contents" (the EPUB's is its nav)
        assert "16 جون 2024" in found or (fmt == "pdf" and "جون" in found), fmt  # the edition's date, in Urdu
        assert english.findall(found) == [], fmt


def test_urdu_letterhead_and_page_numbers_are_in_urdu(urdu_brief: Path) -> None:
    assert "پریس بریف" in pdf_text(urdu_brief / "brief.pdf") or "پریس بریف" in docx_text(urdu_brief / "brief.docx")
    assert "صفحہ" in docx_text(urdu_brief / "brief.docx")


def docx_datelines(document: Any) -> list[str]:
    """The articles' datelines in a DOCX: in a packet, those after its contents, not the title page's edition."""
    styles = [p.style.name for p in document.paragraphs]
    start = styles.index("TOC Heading") if "TOC Heading" in styles else 0
    return [p.text for p in document.paragraphs[start:] if p.style.name == "Dateline"]


def datelines(folder: Path, stem: str) -> dict[str, list[str]]:
    """Each format's datelines, as read back from it."""
    page = lxml_html.parse(str(folder / f"{stem}.html")).getroot()
    with zipfile.ZipFile(folder / f"{stem}.epub") as package:
        chapters = [etree.fromstring(package.read(n)) for n in sorted(package.namelist())
                    if re.search(r"(chapter|article-\d+)\.xhtml$", n)]
    document = docx.Document(str(folder / f"{stem}.docx"))
    return {
        "html": [p.text_content() for p in page.find_class("dateline")],
        "epub": ["".join(p.itertext()) for c in chapters for p in c.iter(f"{XHTML}p") if p.get("class") == "dateline"],
        "docx": docx_datelines(document),
    }


def test_the_dateline_reads_the_same_in_all_four_formats(tmp_path: Path) -> None:
    assert main(["build", str(TOUR), "--out", str(tmp_path)]) == 0
    article = read_file(TOUR).article
    expected = present.article(article.meta, lede_has_place=text.lede_has_dateline(article)).dateline_text
    assert expected == "12 June 2024 · Updated 13 June 2024, 09:30"  # the lede opens with "KARACHI —": once is enough
    assert datelines(tmp_path, "feature-tour") == {"html": [expected], "epub": [expected], "docx": [expected]}
    assert expected in " ".join(pdf_text(tmp_path / "feature-tour.pdf").split())


def test_urdu_datelines_match_across_formats(urdu_brief: Path) -> None:
    found = datelines(urdu_brief, "brief")
    assert found["html"] == found["epub"] == found["docx"]
    assert found["html"][1] == "15 جون 2024، 08:00 · تازہ ترین 16 جون 2024، 17:45"  # the lede opens with "کراچی:"


def test_a_language_is_added_by_dropping_a_label_table_into_a_theme(tmp_path: Path) -> None:
    theme = tmp_path / "theme"
    (theme / "labels").mkdir(parents=True)
    (theme / "theme.toml").write_text('[theme]\nname = "esperanto"\n', encoding="utf-8")
    english = (labels.builtin_folder() / "en.toml").read_text(encoding="utf-8")
    table = english.replace('"en"', '"eo"').replace("By {names}", "De {names}").replace('"June"', '"junio"') \
        .replace('"Updated"', '"Ĝisdatigita"')
    (theme / "labels" / "eo.toml").write_text(table, encoding="utf-8")
    article = tmp_path / "artikolo.md"
    article.write_text("---\ntitle: Pramo\nauthor: Zamenhof\ndate: 2024-06-12\nlang: eo\n---\n\nTeksto.\n",
                       encoding="utf-8")
    assert main(["build", str(article), "--theme", str(theme), "--to", "html,docx", "--out", str(tmp_path)]) == 0
    page = lxml_html.parse(str(tmp_path / "artikolo.html")).getroot()
    assert page.find_class("byline")[0].text_content() == "De Zamenhof"
    assert page.find_class("dateline")[0].text_content() == "12 junio 2024"
    paragraphs = [p.text for p in docx.Document(str(tmp_path / "artikolo.docx")).paragraphs]
    assert "De Zamenhof" in paragraphs and "12 junio 2024" in paragraphs
