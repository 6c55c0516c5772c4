"""What a production desk sends back about the Word file's looks, read back with python-docx and, for the packet's
pages, from LibreOffice's PDF of it: curly quotes where the theme asks, e-mail links without "mailto:", no slanted
Japanese, a shaded code block, section titles that do not stand alone, an article's foot kept with its story, and
figures no taller than the PDF sets them."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import docx
import pytest
from docx.shared import Mm

from publish import present
from publish.build.jobs import BuildOptions, build
from publish.checks import gate as checks
from publish.present.theme import load_theme
from publish.readers import read_file
from publish.readers.collection import load_manifest

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def _texts(path: Path) -> dict[str, list[str]]:
    """Each paragraph style's paragraphs' text, in order (hyperlinks' text included)."""
    found: dict[str, list[str]] = {}
    for p in docx.Document(str(path)).paragraphs:
        found.setdefault(p.style.name if p.style is not None else "", []).append(
            "".join(t.text or "" for t in p._p.iter(f"{W}t")))
    return found


@pytest.mark.parametrize("theme", ["default", "digest"])
def test_smart_quotes_curl_the_word_file_as_the_html(theme: str, tmp_path: Path) -> None:
    """The CASA-1000 story is written with straight quotes: the digest's Word file prints them curly (body and
    running head), the default's as written, and `publish check` finds the words of the source either way."""
    source = SAMPLES / "brief" / "casa-1000-power-line.md"
    build([source], BuildOptions(formats=("docx",), out_dir=tmp_path, theme=theme))
    path = tmp_path / f"{source.stem}.docx"
    body = "\n".join(text for style, texts in _texts(path).items() if style != "Source Code" for text in texts)
    if theme == "digest":
        assert '"' not in body and "\u201cEvery tower" in body and "arriving.\u201d" in body
    else:
        assert '"Every tower' in body and "\u201c" not in body
    report = checks.check_outputs([path], {path: read_file(source).article},
                                  checks.CheckOptions(strict=True, skip=frozenset({"libreoffice"})))
    assert report.ok, "\n".join(report.lines())


def test_an_email_link_prints_the_address_without_its_scheme_in_every_format(tmp_path: Path) -> None:
    """`<mailto:ferries@news.example>` in the tour: Word, HTML and EPUB show "ferries@news.example", linked."""
    source = SAMPLES / "feature-tour.md"
    build([source], BuildOptions(formats=("docx", "html", "epub"), out_dir=tmp_path))
    document = docx.Document(str(tmp_path / "feature-tour.docx"))
    links = {"".join(t.text or "" for t in link.iter(f"{W}t")): link for p in document.paragraphs
             for link in p._p.iter(f"{W}hyperlink")}
    assert "ferries@news.example" in links
    assert not [text for text in links if "mailto:" in text]
    target = document.part.rels[links["ferries@news.example"].get(
        "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id")].target_ref
    assert target == "mailto:ferries@news.example"
    html = (tmp_path / "feature-tour.html").read_text(encoding="utf-8")
    assert ">ferries@news.example</a>" in html and ">mailto:" not in html


def test_japanese_is_never_slanted_in_word(tmp_path: Path) -> None:
    """In the digest (a centred, italic dek) the Japanese story's dek, quotes and emphasis are upright, emphasis
    bold; the English tour's dek and quotes in the same theme stay italic. The HTML's style sheet says the same."""
    build([SAMPLES / "japanese-ferry.md", SAMPLES / "feature-tour.md"],
          BuildOptions(formats=("docx", "html"), out_dir=tmp_path, theme="digest"))
    css = (tmp_path / "japanese-ferry.html").read_text(encoding="utf-8")
    upright = {selector.strip() for rule in re.findall(r"([^{}]+)\{\s*font-style:\s*normal;\s*\}", css)
               for selector in rule.split(",")}
    assert {".dek:lang(ja)", "blockquote:lang(ja)", "em:lang(ja)"} <= upright
    japanese = docx.Document(str(tmp_path / "japanese-ferry.docx")).styles
    english = docx.Document(str(tmp_path / "feature-tour.docx")).styles
    for name in ("Subtitle", "Quote", "Emphasis", *(f"Heading {level}" for level in range(1, 7))):
        assert not japanese[name].font.italic, name
    assert japanese["Emphasis"].font.bold
    assert english["Subtitle"].font.italic and english["Quote"].font.italic and english["Emphasis"].font.italic


@pytest.mark.parametrize("theme", ["default", "digest"])
def test_a_code_block_is_shaded_with_a_rule_at_its_left_as_in_the_html(theme: str, tmp_path: Path) -> None:
    build([SAMPLES / "feature-tour.md"], BuildOptions(formats=("docx",), out_dir=tmp_path, theme=theme))
    document = docx.Document(str(tmp_path / "feature-tour.docx"))
    colors = load_theme(theme).colors
    ppr = document.styles["Source Code"].element.pPr
    assert ppr.find(f"{W}shd").get(f"{W}fill") == colors.tint[1:].upper()
    assert ppr.find(f"{W}pBdr/{W}left").get(f"{W}color") == colors.rule[1:].upper()
    assert any(p.style.name == "Source Code" and "route 7N" in p.text for p in document.paragraphs)


def test_a_figure_is_no_taller_than_the_pdf_sets_it(tmp_path: Path) -> None:
    """The tour's harbour picture would be about 100 mm tall at the text's width: it is set at the PDF's 85 mm, its
    width in proportion."""
    build([SAMPLES / "feature-tour.md"], BuildOptions(formats=("docx",), out_dir=tmp_path))
    shapes = docx.Document(str(tmp_path / "feature-tour.docx")).inline_shapes
    figure = max(shapes, key=lambda shape: shape.height)
    assert figure.height == Mm(present.SPACING.figure_height_mm)
    page = load_theme().page
    assert figure.width < Mm(page.width_mm - page.margin_inner - page.margin_outer)
    assert '{{ "%g"|format(spacing.figure_height_mm) }}mm' in (ROOT / "templates" / "print.css.j2").read_text()


@pytest.fixture(scope="module")
def packet(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    """The morning brief's DOCX packet in the digest theme, and the text of each page of LibreOffice's PDF of it."""
    if shutil.which("soffice") is None or shutil.which("pdftotext") is None:
        pytest.skip("needs LibreOffice (soffice) and poppler's pdftotext")
    out = tmp_path_factory.mktemp("packet")
    build([SAMPLES / "morning-brief.yaml"], BuildOptions(formats=("docx",), out_dir=out, theme="digest"))
    path = out / "morning-brief.docx"
    subprocess.run([str(shutil.which("soffice")), f"-env:UserInstallation={(out / 'profile').as_uri()}",
                    "--headless", "--convert-to", "pdf", "--outdir", str(out), str(path)],
                   check=True, capture_output=True, timeout=300)
    text = subprocess.run(["pdftotext", str(path.with_suffix(".pdf")), "-"], check=True, capture_output=True,
                          text=True, timeout=60).stdout
    return path, text.split("\f")[:-1]


def _words(text: str) -> str:
    return " ".join(text.split())


def test_a_section_title_shares_its_page_with_the_first_article(packet: tuple[Path, list[str]]) -> None:
    path, pages = packet
    collection = load_manifest(SAMPLES / "morning-brief.yaml").collection
    titled = [section for section in collection.sections if section.title]
    assert titled
    for section in titled:
        page = next(page for page in pages if re.search(rf"(?m)^\s*{re.escape(section.title)}\s*$", page))
        assert _words(section.articles[0].meta.headline) in _words(page), section.title
    styles = [p.style.name for p in docx.Document(str(path)).paragraphs]
    for number, p in enumerate(docx.Document(str(path)).paragraphs):
        if p.style.name == "Heading 1" and styles[number - 1] == "Section Heading":
            assert p.paragraph_format.page_break_before is False


def test_an_articles_foot_stays_with_its_last_paragraph(packet: tuple[Path, list[str]]) -> None:
    """The original link and the rights are never alone at the top of a page: the story's last paragraph is kept
    with them (and LibreOffice's pages show text above every "Original:" line)."""
    path, pages = packet
    paragraphs = docx.Document(str(path)).paragraphs
    feet = [number for number, p in enumerate(paragraphs) if p.style.name == "Original Link"]
    articles = load_manifest(SAMPLES / "morning-brief.yaml").collection.articles
    assert len(feet) == sum(1 for article in articles if article.meta.url) > 1
    for number in feet:
        assert paragraphs[number - 1].paragraph_format.keep_with_next, paragraphs[number - 1].text
        assert paragraphs[number].paragraph_format.keep_with_next is not False
    for page in pages:
        lines = [line for line in page.splitlines() if line.strip()]
        for index, line in enumerate(lines):
            if line.strip().startswith("Original:"):
                assert index > 1, f"a page opens with an article's foot: {lines[:3]}"
