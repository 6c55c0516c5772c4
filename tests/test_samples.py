"""The samples end to end: golden models, the same words in all four outputs, and what a reader of each format sees.

Regenerate the golden models after an intended reader change with `PUBLISH_ACCEPT=1 python3 -m pytest
tests/test_samples.py`, then review the diff.
"""

from __future__ import annotations

import io
import os
import zipfile
from pathlib import Path

import docx
import pytest
from lxml import etree
from lxml import html as lxml_html
from pypdf import PdfReader

from publish.checks import gate as checks
from publish.cli import main
from publish.model import jsonform
from publish.readers import read_file

from validators import assert_same_words, run_epubcheck

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = {"dar-bishkek": ROOT / "samples" / "dar-bishkek.txt", "feature-tour": ROOT / "samples" / "feature-tour.md"}
FORMATS = ("html", "pdf", "docx", "epub")
GOLDEN = Path(__file__).parent / "golden"

SEED_HEADLINE = "Ishaq Dar Key Diplomatic Visit to Bishkek"
SEED_SUBHEADS = [
    "Diplomatic Engagements and Advocacy",
    "Participation in the Shanghai Cooperation Organization (SCO)",
    "Meetings held in Kazakhstan & Tajikistan",
]
SEED_DEBRIS = ["back to top", "Related Articles", "Please enter your comment!", "Please enter your name here"]


def _seed_story_paragraphs() -> list[str]:
    """The seed's story paragraphs as they stand in the file: its long lines (the body text), in order."""
    lines = SAMPLES["dar-bishkek"].read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if len(line.split()) > 12]


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("out")
    assert main(["build", *map(str, SAMPLES.values()), "--out", str(out)]) == 0
    return out


@pytest.mark.parametrize("name", SAMPLES)
def test_model_matches_golden(name: str) -> None:
    actual = jsonform.dumps(read_file(SAMPLES[name]).article)
    golden = GOLDEN / f"{name}.json"
    if os.environ.get("PUBLISH_ACCEPT"):
        golden.write_text(actual, encoding="utf-8")
    assert actual == golden.read_text(encoding="utf-8"), f"model of {name} changed; see PUBLISH_ACCEPT above"


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("name", SAMPLES)
def test_every_word_in_order_in_every_format(built: Path, name: str, fmt: str) -> None:
    assert_same_words(read_file(SAMPLES[name]).article, built / f"{name}.{fmt}")


@pytest.mark.parametrize("name", SAMPLES)
def test_epubs_pass_epubcheck(built: Path, name: str) -> None:
    report = run_epubcheck(built / f"{name}.epub")
    assert report["checker"]["nError"] == 0 and report["checker"]["nWarning"] == 0


def test_seed_has_five_story_paragraphs() -> None:
    assert len(_seed_story_paragraphs()) == 5  # the seed's body, as the tests below expect it


@pytest.mark.parametrize("fmt", FORMATS)
def test_seed_web_debris_is_gone(built: Path, fmt: str) -> None:
    text = " ".join(checks.output_text(built / f"dar-bishkek.{fmt}")).lower()
    for debris in SEED_DEBRIS:
        assert debris.lower() not in text, f"{debris!r} in dar-bishkek.{fmt}"


def test_seed_html(built: Path) -> None:
    doc = lxml_html.parse(str(built / "dar-bishkek.html")).getroot()
    assert doc.findtext(".//title") == SEED_HEADLINE
    assert [h.text_content() for h in doc.iterfind(".//h1")] == [SEED_HEADLINE]
    assert [h.text_content() for h in doc.iterfind(".//h2")] == SEED_SUBHEADS
    body = [p.text_content() for p in doc.iterfind(".//div[@class='article-body']/p")]
    assert body == _seed_story_paragraphs()


def test_seed_docx(built: Path) -> None:
    document = docx.Document(str(built / "dar-bishkek.docx"))
    styled = [(p.style.name, p.text) for p in document.paragraphs if p.text.strip()]
    assert styled[0] == ("Title", SEED_HEADLINE)
    assert [text for style, text in styled if style == "Heading 1"] == SEED_SUBHEADS
    body = [text for style, text in styled if style in ("Normal", "Body Text")]
    assert body == _seed_story_paragraphs()
    assert document.core_properties.title == SEED_HEADLINE
    assert document.core_properties.language == "en"


def test_seed_pdf(built: Path) -> None:
    reader = PdfReader(built / "dar-bishkek.pdf")
    assert reader.metadata.title == SEED_HEADLINE
    outline = reader.outline
    assert outline[0].title == SEED_HEADLINE and [o.title for o in outline[1]] == SEED_SUBHEADS
    # the text as checks reads it: words the renderer hyphenated at a line end are whole again
    text = " ".join(" ".join(page.split()) for page in checks.pdf_text((built / "dar-bishkek.pdf").read_bytes()))
    for paragraph in _seed_story_paragraphs():
        assert " ".join(paragraph.split()) in text


def test_seed_epub(built: Path) -> None:
    with zipfile.ZipFile(built / "dar-bishkek.epub") as package:
        opf_name = next(n for n in package.namelist() if n.endswith(".opf"))
        opf = etree.parse(io.BytesIO(package.read(opf_name)))
        chapters = [n for n in package.namelist() if n.endswith(".xhtml") and "nav" not in n]
        chapter = etree.parse(io.BytesIO(package.read(chapters[0])))
    ns = {"dc": "http://purl.org/dc/elements/1.1/", "x": "http://www.w3.org/1999/xhtml"}
    assert opf.findtext(".//dc:title", namespaces=ns) == SEED_HEADLINE
    assert opf.findtext(".//dc:language", namespaces=ns) == "en"
    assert [h.xpath("string()") for h in chapter.iterfind(".//x:h2", ns)] == SEED_SUBHEADS
    body = [p.xpath("string()") for p in chapter.iterfind(".//x:div[@class='article-body']/x:p", ns)]
    assert body == _seed_story_paragraphs()
