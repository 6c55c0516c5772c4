"""A press release in every format: the sample releases (English and Urdu) carry an embargo, two media contacts,
notes to editors, an end mark and a correction, and each is read back from the HTML, the PDF (page by page: the
banner heads every page), the DOCX (header, styles, properties, and the model read back), the EPUB (chapter and
package metadata) and ninjs. Every output passes `publish check` (epubcheck, the Nu checker, word parity)."""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import subprocess
import zipfile
from pathlib import Path
from typing import Any

import docx
import pytest
from built import assert_valid
from lxml import etree
from lxml import html as lxml_html

from publish import model, present
from publish.checks import parity
from publish.checks.validators import epub as epub_checks
from publish.cli import main
from publish.model import jsonform
from publish.readers import read_file

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = {"en": ROOT / "samples" / "press-release.md", "ur": ROOT / "samples" / "press-release-ur.md"}
FORMATS = ("html", "pdf", "docx", "epub", "ninjs")
OPF = "{http://www.idpf.org/2007/opf}"
PUNCTUATION = ",.:;،؛()"


def _words(value: str) -> list[str]:
    """Words as compared across extractions: case-folded, without direction controls or punctuation at their ends
    (a right-to-left line's extraction moves a comma to the other side of a number)."""
    return [word.strip(PUNCTUATION) for word in parity.key_words(value) if word.strip(PUNCTUATION)]


@pytest.fixture(scope="module", params=sorted(SAMPLES))
def release(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """One sample built into every format with the default theme: its model, furniture and outputs."""
    source = SAMPLES[request.param]
    out = tmp_path_factory.mktemp(f"press-{request.param}")
    assert main(["build", str(source), "--to", ",".join(FORMATS), "--out", str(out)]) == 0
    article = read_file(source).article
    outputs = {fmt: out / f"{source.stem}.{'ninjs.json' if fmt == 'ninjs' else fmt}" for fmt in FORMATS}
    return {"source": source, "article": article, "press": present.article(article.meta).press, "out": outputs,
            "language": request.param}


def test_the_samples_are_press_releases() -> None:
    for source in SAMPLES.values():
        meta = read_file(source).article.meta
        assert meta.embargo is not None and meta.embargo.utcoffset() == dt.timedelta(hours=5)
        assert len(meta.contacts) == 2 and all(c.name and c.role and c.phone and c.email for c in meta.contacts)
        assert len(meta.notes_to_editors) == 3 and len(meta.corrections) == 1


def test_english_and_urdu_labels() -> None:
    en, ur = (present.article(read_file(SAMPLES[lang]).article.meta).press for lang in ("en", "ur"))
    assert en.embargo == "Embargoed until 12 June 2024, 06:00 UTC+5"
    assert (en.ends, en.notes_title, en.contacts_title) == ("ENDS", "Notes to editors", "Media contacts")
    assert en.corrections[0].label == "Correction, 13 June 2024:"
    assert ur.embargo == "12 جون 2024، 06:00 UTC+5 تک اشاعت ممنوع"
    assert (ur.ends, ur.notes_title, ur.contacts_title) == ("ختم", "مدیران کے لیے نوٹ", "میڈیا سے رابطہ")
    assert ur.corrections[0].label == "تصحیح، 13 جون 2024:"


def test_every_output_passes_its_checks(release: dict[str, Any]) -> None:
    """epubcheck, the Nu HTML checker, the PDF and DOCX checks, ninjs's schema and word parity: the notes, the
    contacts and the correction are words every format must carry, in order."""
    assert_valid(release["out"], release["source"])


def test_html(release: dict[str, Any]) -> None:
    meta, press = release["article"].meta, release["press"]
    page = lxml_html.parse(str(release["out"]["html"])).getroot()
    header = page.find_class("article-header")[0]
    assert header.find_class("embargo")[0].text_content() == press.embargo  # first thing in the header
    assert header[0].get("class") == "embargo"
    assert page.find_class("end-mark")[0].text_content() == press.ends
    notes = page.find_class("notes-to-editors")[0]
    assert notes[0].text_content() == press.notes_title
    assert [p.text_content() for p in notes.iter("p")] == list(meta.notes_to_editors)
    contacts = page.find_class("contacts")[0]
    assert contacts[0].text_content() == press.contacts_title
    assert [c.find_class("contact-name")[0].text for c in contacts.find_class("contact")] == \
        [c.name for c in meta.contacts]
    assert [a.get("href") for a in contacts.iter("a")] == [f"mailto:{c.email}" for c in meta.contacts]
    assert [s.text for s in contacts.find_class("contact-phone")] == [c.phone for c in meta.contacts]
    assert all(s.get("dir") == "ltr" for s in contacts.find_class("contact-phone"))  # never reordered in Urdu
    correction = page.find_class("correction")[0].text_content()
    assert correction == f"{press.corrections[0].label} {meta.corrections[0].text}"
    order = [page.find_class(name)[0] for name in ("article-body", "end-mark", "notes-to-editors", "contacts",
                                                   "correction")]
    positions = {element: index for index, element in enumerate(page.iter())}
    assert [positions[e] for e in order] == sorted(positions[e] for e in order)  # story, ENDS, notes, contacts, foot
    available = [m.get("content") for m in page.iter("meta") if m.get("name") == "dcterms.available"]
    assert available == [meta.embargo.isoformat()]
    data = json.loads(page.xpath("//script[@type='application/ld+json']")[0].text)
    assert data["correction"] == [{"@type": "CorrectionComment", "datePublished": "2024-06-13",
                                   "text": meta.corrections[0].text}]


def _pdftotext(pdf: Path, page: int, *crop: str) -> str:
    return subprocess.run(["pdftotext", "-f", str(page), "-l", str(page), *crop, str(pdf), "-"],
                          capture_output=True, text=True, check=True).stdout


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils is not installed")
def test_pdf_banner_heads_every_page(release: dict[str, Any]) -> None:
    """Page 1 opens with the banner above the headline; every later page carries it in its head (the top margin,
    cropped), beside the running head. Right-to-left pages are compared word by word, as extraction reorders."""
    pdf, press, meta = release["out"]["pdf"], release["press"], release["article"].meta
    pages = int(re.search(r"Pages:\s+(\d+)", subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True,
                                                            check=True).stdout)[1])
    assert pages >= 2
    banner = sorted(_words(press.embargo))
    for number in range(1, pages + 1):
        top = _pdftotext(pdf, number, "-x", "0", "-y", "0", "-W", "1000", "-H", "60" if number > 1 else "110")
        found = "".join(_words(top))  # an extractor may join a number to the word beside it in mixed-direction text
        assert all(word in found for word in banner), f"page {number}: {top!r}"
    first = " ".join(_words(_pdftotext(pdf, 1)))
    assert first.index(_words(press.embargo)[-1]) < first.index(_words(meta.headline)[-1])
    text = "".join(_words("".join(_pdftotext(pdf, n) for n in range(1, pages + 1))))
    for expected in (press.ends, press.notes_title, press.contacts_title, press.corrections[0].label,
                     *(c.email for c in meta.contacts), *(c.phone for c in meta.contacts)):
        assert all(word in text for word in _words(expected)), expected


def test_docx(release: dict[str, Any]) -> None:
    meta, press = release["article"].meta, release["press"]
    document = docx.Document(str(release["out"]["docx"]))
    section = document.sections[0]
    assert section.different_first_page_header_footer
    for header in (section.header, section.first_page_header):
        assert header.paragraphs[0].text == press.embargo and header.paragraphs[0].style.name == "Embargo"
    by_style: dict[str, list[str]] = {}
    for p in document.paragraphs:
        by_style.setdefault(p.style.name, []).append(p.text)
    assert by_style["End Mark"] == [press.ends]
    assert by_style["Press Heading"] == [press.notes_title, press.contacts_title]
    assert by_style["Note to Editors"] == list(meta.notes_to_editors)
    comma = present.label_table(meta.language).comma
    ltr = ("\u202a", "\u202c") if meta.language == "ur" else ("", "")  # numbers and addresses kept left to right
    assert by_style["Contact"] == [f"{c.name}{comma}{c.role}\n{ltr[0]}{c.phone}{ltr[1]}\n{ltr[0]}{c.email}{ltr[1]}"
                                   for c in meta.contacts]
    assert by_style["Correction"] == [f"{press.corrections[0].label} {meta.corrections[0].text}"]
    texts = [p.text for p in document.paragraphs]
    assert texts.index(press.ends) < texts.index(press.notes_title) < texts.index(press.contacts_title) \
        < texts.index(by_style["Correction"][0])
    assert document.core_properties.content_status == press.embargo
    with zipfile.ZipFile(release["out"]["docx"]) as package:
        custom = etree.fromstring(package.read("docProps/custom.xml"))
    assert [(p.get("name"), p[0].text) for p in custom] == [("Correction 1", f"2024-06-13: {meta.corrections[0].text}")]


def test_docx_reads_back_to_the_release(release: dict[str, Any]) -> None:
    """Our DOCX carries the model: the press fields come back exactly, and the furniture is not read as story."""
    back = read_file(release["out"]["docx"]).article
    assert back.meta == release["article"].meta
    assert back.blocks == release["article"].blocks


def test_docx_without_its_model_keeps_the_story_and_the_notes(release: dict[str, Any], tmp_path: Path) -> None:
    """An editor's copy that lost the custom XML part: the end mark, titles, contacts and correction are still not
    taken for story, and the notes to editors are read from their style."""
    stripped = tmp_path / "edited.docx"
    with zipfile.ZipFile(release["out"]["docx"]) as source, zipfile.ZipFile(stripped, "w") as target:
        for info in source.infolist():
            if not info.filename.startswith("customXml/"):
                target.writestr(info, source.read(info))
    back = read_file(stripped).article
    assert back.blocks == release["article"].blocks
    assert back.meta.notes_to_editors == release["article"].meta.notes_to_editors


def test_epub(release: dict[str, Any]) -> None:
    meta, press = release["article"].meta, release["press"]
    with zipfile.ZipFile(release["out"]["epub"]) as book:
        opf = etree.fromstring(book.read("EPUB/content.opf"))
        chapter = etree.fromstring(book.read("EPUB/chapter.xhtml"))
    metas = {(m.get("property"), m.text) for m in opf.iter(f"{OPF}meta") if m.get("property")}
    assert ("dcterms:available", meta.embargo.isoformat()) in metas
    assert ("schema:correction", f"2024-06-13: {meta.corrections[0].text}") in metas
    text = [" ".join("".join(e.itertext()).split()) for e in chapter.iter() if e.get("class")]
    classes = [e.get("class") for e in chapter.iter() if e.get("class")]
    assert text[classes.index("embargo")] == press.embargo
    assert classes.index("embargo") < classes.index("headline")  # on the first page, above the headline
    assert text[classes.index("end-mark")] == press.ends
    assert text.count(press.notes_title) == 1 and text.count(press.contacts_title) == 1
    assert [t for t, c in zip(text, classes, strict=True) if c == "contact-name"] == [c.name for c in meta.contacts]
    assert text[classes.index("correction")] == f"{press.corrections[0].label} {meta.corrections[0].text}"


@pytest.mark.skipif(epub_checks.ace_command() is None or shutil.which("chromium") is None,
                    reason="DAISY Ace (npm install -g @daisy/ace-cli) or Chromium is not installed")
def test_epub_ace(release: dict[str, Any]) -> None:
    findings = epub_checks.ace(release["out"]["epub"])
    assert not [str(f) for f in findings if f.severity == "error"]


def test_ninjs(release: dict[str, Any]) -> None:
    meta = release["article"].meta
    item = json.loads(release["out"]["ninjs"].read_text(encoding="utf-8"))
    assert item["embargoedUntil"] == meta.embargo.isoformat()
    body = lxml_html.fromstring(item["bodies"][0]["value"])
    assert [p.text_content() for p in body.find_class("notes-to-editors")[0].iter("p")] == list(meta.notes_to_editors)
    copy = release["out"]["ninjs"].with_name("wire.json")
    shutil.copy(release["out"]["ninjs"], copy)
    assert read_file(copy).article.meta.embargo == meta.embargo


def test_json_and_markdown_round_trip(release: dict[str, Any], tmp_path: Path,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    article = release["article"]
    assert jsonform.loads(jsonform.dumps(article)) == article
    source = release["source"]
    assert main(["build", str(source), "--to", "md", "--out", str(tmp_path)]) == 0, capsys.readouterr().err
    assert read_file(tmp_path / f"{source.stem}.md").article == article


def test_json_form_of_an_article_without_press_fields_is_unchanged() -> None:
    """The press fields are written only when set, so earlier JSON files and goldens stay as they were."""
    data = jsonform.to_data(model.Article(model.Meta("Headline")))
    assert not set(data["meta"]) & jsonform.OPTIONAL_META


@pytest.mark.parametrize(("theme", "ends", "expected"), [
    ("default", "", "ENDS"), ("brief", "", "ENDS"), ("digest", "", "###"), ("default", "###", "###"),
    ("digest", "none", None), ("default", "— 30 —", "— 30 —")])
def test_end_mark_by_theme_and_article(theme: str, ends: str, expected: str | None, tmp_path: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "release.md"
    text = SAMPLES["en"].read_text(encoding="utf-8")
    source.write_text(text.replace("---\n\n", f"ends: \"{ends}\"\n---\n\n", 1) if ends else text, encoding="utf-8")
    assert main(["build", str(source), "--to", "html", "--theme", theme, "--out", str(tmp_path)]) == 0
    marks = [e.text_content() for e in lxml_html.parse(str(tmp_path / "release.html")).getroot()
             .find_class("end-mark")]
    assert marks == ([expected] if expected else [])


def test_no_end_mark_on_a_news_story(tmp_path: Path) -> None:
    """Only a press release (an embargo, contacts, notes or an end mark of its own) ends with one; a news story with
    a correction does not."""
    source = tmp_path / "story.md"
    source.write_text("---\ntitle: Ferry\ncorrections:\n  - date: 2024-06-13\n    text: The pier is Pier 9.\n---\n\n"
                      "The ferry runs.\n", encoding="utf-8")
    assert main(["build", str(source), "--to", "html", "--out", str(tmp_path)]) == 0
    page = lxml_html.parse(str(tmp_path / "story.html")).getroot()
    assert not page.find_class("end-mark") and not page.find_class("embargo")
    assert page.find_class("correction")[0].text_content() == "Correction, 13 June 2024: The pier is Pier 9."


def test_manifest_press_fields_reach_every_article(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A manifest's embargo and contacts are every article's that gives none: one banner per article, and the PDF's
    page heads carry it."""
    for name in ("press-release.md",):
        shutil.copy(ROOT / "samples" / name, tmp_path / name)
    (tmp_path / "story.md").write_text("---\ntitle: Pier lighting\n---\n\nLights go up on Pier 9.\n", encoding="utf-8")
    (tmp_path / "brief.yaml").write_text(
        "title: Press brief\nembargo: 2024-06-11T22:00Z\ncontacts:\n  - name: Press office\n"
        "    phone: +92 21 3456 7000\narticles:\n  - press-release.md\n  - story.md\n", encoding="utf-8")
    assert main(["build", str(tmp_path / "brief.yaml"), "--to", "html", "--out", str(tmp_path)]) == 0
    assert capsys.readouterr().err.count("warning") == 0  # the embargo has passed
    page = lxml_html.parse(str(tmp_path / "brief.html")).getroot()
    banners = [e.text_content() for e in page.find_class("embargo")]
    assert banners == ["Embargoed until 12 June 2024, 06:00 UTC+5", "Embargoed until 11 June 2024, 22:00 UTC"]
    names = [e.text_content() for e in page.find_class("contact-name")]
    assert names == ["Sana Iqbal", "Daniel Osei", "Press office"]  # the release keeps its own


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils is not installed")
def test_collection_pdf_heads_carry_the_embargo_of_the_article_on_the_page(tmp_path: Path) -> None:
    """In a brief, a page of the embargoed release carries its banner in the head; a page of a story without an
    embargo carries none (each article sets the running string, empty for none)."""
    longer = "\n\nFerries will run every 30 minutes from three more piers, the authority said." * 40  # two pages
    (tmp_path / "release.md").write_text(SAMPLES["en"].read_text(encoding="utf-8") + longer, encoding="utf-8")
    (tmp_path / "story.md").write_text("---\ntitle: Pier lighting\n---\n\n" + "Lights go up on Pier 9 tonight. " * 60
                                       + "\n", encoding="utf-8")
    (tmp_path / "brief.yaml").write_text("title: Press brief\noptions:\n  article_break: true\narticles:\n"
                                         "  - release.md\n  - story.md\n", encoding="utf-8")
    assert main(["build", str(tmp_path / "brief.yaml"), "--to", "pdf", "--out", str(tmp_path)]) == 0
    pdf = tmp_path / "brief.pdf"
    pages = int(re.search(r"Pages:\s+(\d+)", subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True,
                                                            check=True).stdout)[1])
    heads = {n: " ".join(_words(_pdftotext(pdf, n, "-x", "0", "-y", "0", "-W", "1000", "-H", "60")))
             for n in range(1, pages + 1)}
    bodies = {n: " ".join(_words(_pdftotext(pdf, n))) for n in range(1, pages + 1)}
    release_pages = [n for n in bodies if "sana" in bodies[n] or "ferries will run" in bodies[n]]
    story_pages = [n for n in bodies if "pier lighting" in heads[n]]
    assert len(release_pages) >= 2 and story_pages
    assert all("embargoed" in heads[n] for n in release_pages)  # the cover is the brief's first page, not these
    assert bodies[release_pages[0]].count("embargoed") == 2  # its first page: in the head and the banner
    assert not any("embargoed" in heads[n] for n in story_pages)
