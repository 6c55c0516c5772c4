"""What a production desk sends back about the DOCX: Urdu letters joined in Word's styles, the packet's contents
with true page numbers, headlines stronger than their deks, the source and rights lines, and one publisher name."""

from __future__ import annotations

import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
from lxml import etree

from publish.cli import main
from publish.readers.collection import load_manifest

ROOT = Path(__file__).resolve().parent.parent
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
BIDI_CONTROLS = re.compile("[\u200e\u200f\u202a-\u202e\u2066-\u2069]")
needs_libreoffice = pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) is not installed")


def _build(source: Path, out: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> Path:
    assert main(["build", str(source), "--to", "docx", "--out", str(out), *extra]) == 0, capsys.readouterr().err
    return out / f"{source.stem}.docx"


def _libreoffice_pdf(path: Path) -> Path:
    """The DOCX laid out and exported by LibreOffice Writer."""
    subprocess.run([str(shutil.which("soffice")), f"-env:UserInstallation={(path.parent / 'profile').as_uri()}",
                    "--headless", "--convert-to", "pdf", "--outdir", str(path.parent), str(path)],
                   check=True, capture_output=True, timeout=300)
    return path.with_suffix(".pdf")


def _pdftotext(pdf: Path, *pages: str) -> str:
    done = subprocess.run(["pdftotext", *pages, "-layout", str(pdf), "-"], check=True, capture_output=True,
                          text=True, timeout=60)
    return BIDI_CONTROLS.sub("", done.stdout)


def _styles(path: Path) -> etree._Element:
    with zipfile.ZipFile(path) as package:
        return etree.fromstring(package.read("word/styles.xml"))


def test_no_urdu_style_carries_letter_spacing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """w:spacing in a style's run properties tracks every script alike: it would pull Urdu's joined letters apart."""
    styles = _styles(_build(ROOT / "samples" / "urdu-library.md", tmp_path, capsys))
    spaced = [style.get(f"{W}styleId") for style in styles.iter(f"{W}style")
              if style.find(f"{W}rPr/{W}spacing") is not None]
    assert spaced == []
    assert styles.find(f"{W}docDefaults/{W}rPrDefault/{W}rPr/{W}spacing") is None


@needs_libreoffice
@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler's pdftotext is not installed")
def test_libreoffice_keeps_the_urdu_headline_and_dek_letters_in_order(tmp_path: Path,
                                                                       capsys: pytest.CaptureFixture[str]) -> None:
    """The first page's text as LibreOffice lays it out reads, word for word, as the Word file holds the headline
    and dek (letter-spacing made pdftotext cut words apart: "ل ائبریریوں")."""
    path = _build(ROOT / "samples" / "urdu-library.md", tmp_path, capsys)
    with zipfile.ZipFile(path) as package:
        body = etree.fromstring(package.read("word/document.xml"))
    held = {}
    for p in body.iter(f"{W}p"):
        style = p.find(f"{W}pPr/{W}pStyle")
        if style is not None and style.get(f"{W}val") in ("Title", "Subtitle"):
            held[style.get(f"{W}val")] = "".join(t.text or "" for t in p.iter(f"{W}t"))
    assert set(held) == {"Title", "Subtitle"}
    page = " ".join(_pdftotext(_libreoffice_pdf(path), "-l", "1").replace("،", " ").split())
    words = set(page.split())
    for text in held.values():
        assert [word for word in text.replace("،", " ").split() if word not in words] == []
    assert " ".join(held["Title"].split()) in page  # the headline's letters and words in the order Word holds them


CONTENTS_LINE = re.compile(r"^\s*(?P<title>\S.*?)\s*(?:\.{3,}|\s{3,})\s*(?P<page>\d+)\s*$")


def _pages(pdf: Path) -> list[str]:
    return [" ".join(page.split()) for page in _pdftotext(pdf).split("\f")]


@needs_libreoffice
def test_packet_contents_page_numbers_match_libreoffice_layout(tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    """Converted by LibreOffice, the packet's contents lists every section and headline with the page it starts on
    in that same conversion: the page whose text (after the running head, and a section's title) begins with it."""
    path = _build(ROOT / "samples" / "morning-brief.yaml", tmp_path, capsys, "--update-fields")
    pdf = _libreoffice_pdf(path)
    text = _pdftotext(pdf)
    pages = _pages(pdf)
    contents = next(page for page in text.split("\f") if "Contents" in page)
    entries = [(m["title"], int(m["page"])) for line in contents.splitlines() if (m := CONTENTS_LINE.match(line))]
    assert [title for title, _ in entries][:2] == ["Region", "Ishaq Dar Key Diplomatic Visit to Bishkek"]
    assert len(entries) == 9  # two sections, seven articles
    sections = [section.title for section in load_manifest(ROOT / "samples" / "morning-brief.yaml").collection.sections]
    for title, number in entries:  # a section's first article follows its title on the same page
        body = pages[number - 1].removeprefix("Morning Brief").strip()
        assert any(body.startswith(start) for start in (title, *(f"{section} {title}" for section in sections))), \
            (title, number, body[:80])
    numbers = [number for _, number in entries]
    assert numbers == sorted(numbers) and numbers[0] > 2


def test_packet_contents_without_libreoffice_has_no_numbers(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """Where no office suite can lay the packet out, the contents lists the entries with no page number and asks
    Word to update the field on opening."""
    monkeypatch.setenv("PATH", str(tmp_path / "no-programs"))
    path = _build(ROOT / "samples" / "morning-brief.yaml", tmp_path, capsys, "--update-fields")
    with zipfile.ZipFile(path) as package:
        body = etree.fromstring(package.read("word/document.xml"))
        settings = etree.fromstring(package.read("word/settings.xml"))
    toc = [p for p in body.iter(f"{W}p") if (s := p.find(f"{W}pPr/{W}pStyle")) is not None
           and s.get(f"{W}val", "").startswith("toc")]
    assert len(toc) == 9
    assert all(p.find(f".//{W}tab") is None and not re.search(r"\d+$", "".join(t.text or "" for t in p.iter(f"{W}t")))
               for p in toc)
    assert settings.find(f"{W}updateFields").get(f"{W}val") == "true"


def _size(style: object) -> float:
    font = style.font  # type: ignore[attr-defined]
    while font.size is None and style.base_style is not None:  # type: ignore[attr-defined]
        style = style.base_style  # type: ignore[attr-defined]
        font = style.font  # type: ignore[attr-defined]
    return float(font.size.pt)


@pytest.mark.parametrize("theme", ["default", "digest", "brief"])
def test_packet_furniture(theme: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Each article's headline is larger than its dek, and bold where the theme's headlines are; the original-URL
    and rights lines follow each article as in HTML, PDF and EPUB; a table has space below it; the cover has no
    page number and names the publisher once."""
    import docx

    path = _build(ROOT / "samples" / "morning-brief.yaml", tmp_path, capsys, "--theme", theme)
    document = docx.Document(str(path))
    headline, dek = document.styles["Heading 1"], document.styles["Subtitle"]
    assert _size(headline) >= _size(dek) * 1.25
    assert not headline.font.small_caps and not headline.font.italic
    paragraphs = document.paragraphs
    styles = [p.style.name for p in paragraphs]
    assert styles.count("Heading 1") == 7
    articles = load_manifest(ROOT / "samples" / "morning-brief.yaml").collection.articles
    links = [p.text for p in paragraphs if p.style.name == "Original Link"]
    assert links == [f"Original: {a.meta.url}" for a in articles if a.meta.url] and links
    rights = [p.text for p in paragraphs if p.style.name == "Rights"]
    assert rights == [a.meta.rights for a in articles if a.meta.rights] and rights
    body = document.element.body
    for table in body.iterchildren(f"{W}tbl"):
        after = table.getnext()
        assert after.tag == f"{W}p" and after.find(f"{W}pPr/{W}pStyle").get(f"{W}val") == \
            document.styles["After Table"].style_id
    assert document.styles["After Table"].paragraph_format.space_after.pt > 0
    section = document.sections[0]
    assert section.different_first_page_header_footer
    assert "PAGE" not in etree.tostring(section.first_page_footer._element).decode()
    cover_end = styles.index("TOC Heading")
    cover_text = [p.text for p in paragraphs[:cover_end]] + [p.text for p in section.first_page_header.paragraphs]
    logos = sum(len(p._p.findall(f".//{W}drawing")) for p in [*paragraphs[:cover_end],
                                                              *section.first_page_header.paragraphs])
    assert sum(text.count("Harbour Daily") for text in cover_text) + logos == 1


STORY = """---
title: Port Opens Tender for a Deeper Wharf
dateline: Karachi
date: 2024-06-12
source: Harbour Daily
---

{lede} The port trust said on Wednesday that bids are due by the end of July.

The new wharf would take ships of up to fourteen metres' draught.
"""


@pytest.mark.parametrize("lede, shown", [("KARACHI — The port trust opened a tender.", False),
                                         ("The port trust in Karachi opened a tender.", True)])
def test_dateline_shown_once_in_every_format(lede: str, shown: bool, tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    """When the lede opens with the dateline ("KARACHI — ..."), the header keeps the date but not the place, in
    HTML, EPUB, DOCX and PDF; when it does not, the header names the place."""
    import docx
    from lxml import html as lxml_html

    from publish.checks import gate as checks

    source = tmp_path / "wharf.md"
    source.write_text(STORY.format(lede=lede), encoding="utf-8")
    assert main(["build", str(source), "--to", "html,epub,docx,pdf", "--out", str(tmp_path / "out")]) == 0
    out = tmp_path / "out"
    header = lxml_html.parse(str(out / "wharf.html")).getroot().find_class("dateline")[0].text_content()
    assert ("Karachi" in header) is shown and "12 June 2024" in header
    with zipfile.ZipFile(out / "wharf.epub") as package:
        chapter = lxml_html.fromstring(package.read("EPUB/chapter.xhtml"))
    assert ("Karachi" in chapter.find_class("dateline")[0].text_content()) is shown
    dateline = next(p.text for p in docx.Document(str(out / "wharf.docx")).paragraphs if p.style.name == "Dateline")
    assert ("Karachi" in dateline) is shown and "12 June 2024" in dateline
    first_page = checks.pdf_pages((out / "wharf.pdf").read_bytes())[0]
    assert first_page.casefold().count("karachi") == 1 + shown


def test_letterhead_label_in_the_article_language_and_no_second_publisher(tmp_path: Path,
                                                                          capsys: pytest.CaptureFixture[str]) -> None:
    """The brief theme's letterhead over an Urdu story says "press brief" in Urdu (HTML and the DOCX's first-page
    header), and the article header does not repeat the publisher the letterhead names."""
    import docx
    from lxml import html as lxml_html

    source = ROOT / "samples" / "urdu-library.md"
    assert main(["build", str(source), "--to", "html,docx", "--theme", "brief", "--out", str(tmp_path)]) == 0
    page = lxml_html.parse(str(tmp_path / "urdu-library.html")).getroot()
    assert [e.text_content() for e in page.find_class("letterhead-label")] == ["پریس بریف"]
    assert [e.text_content() for e in page.find_class("letterhead-publisher")] == ["ہاربر ڈیلی"]
    assert page.find_class("source") == []
    header = docx.Document(str(tmp_path / "urdu-library.docx")).sections[0].first_page_header
    assert "پریس بریف" in "".join(p.text for p in header.paragraphs)
    assert "Press brief" not in "".join(p.text for p in header.paragraphs)


def test_collection_cover_names_the_publisher_once(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The brief's cover shows the logo (which carries the publisher's name), not the name again below it."""
    from lxml import html as lxml_html

    assert main(["build", str(ROOT / "samples" / "morning-brief.yaml"), "--to", "html", "--out", str(tmp_path)]) == 0
    cover = lxml_html.parse(str(tmp_path / "morning-brief.html")).getroot().find_class("cover")[0]
    assert len(cover.findall(".//img")) == 1
    assert "Harbour Daily" not in cover.text_content()
