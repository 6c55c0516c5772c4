"""Collections end to end: the sample brief as PDF, EPUB digest, DOCX packet and HTML, duplicates, options."""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import docx
import pytest
from lxml import etree
from lxml import html as lxml_html
from pypdf import PdfReader

from publish import present
from publish.cli import main
from publish.readers import collection as collection_module
from publish.readers import read_file
from publish.readers.collection import find_duplicates, load_manifest

from validators import assert_same_words, run_epubcheck

ROOT = Path(__file__).resolve().parent.parent
MANIFEST = ROOT / "samples" / "morning-brief.yaml"
DUPLICATES = Path(__file__).parent / "fixtures" / "duplicates"
XHTML = "{http://www.w3.org/1999/xhtml}"


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("brief")
    assert main(["build", str(MANIFEST), "--out", str(out)]) == 0
    return out


@pytest.fixture(scope="session")
def sample() -> list[tuple[str, list[str]]]:
    """The sample brief's sections and their headlines, read from the manifest."""
    collection = load_manifest(MANIFEST).collection
    return [(s.title, [a.meta.headline for a in s.articles]) for s in collection.sections]


def _outline(reader: PdfReader) -> list[tuple[int, str, int]]:
    """(depth, title, 1-based page) for every bookmark, in order."""
    out: list[tuple[int, str, int]] = []

    def walk(items: list, depth: int) -> None:
        for item in items:
            if isinstance(item, list):
                walk(item, depth + 1)
            else:
                out.append((depth, item.title, reader.get_destination_page_number(item) + 1))

    walk(reader.outline, 0)
    return out


def test_manifest_builds_all_four(built: Path, sample: list[tuple[str, list[str]]]) -> None:
    assert sorted(p.name for p in built.iterdir()) == [f"morning-brief.{ext}" for ext in ("docx", "epub", "html",
                                                                                          "pdf")]
    assert len(sample) == 2 and sum(len(h) for _, h in sample) >= 6
    assert "Ishaq Dar Key Diplomatic Visit to Bishkek" in sample[0][1]  # the seed is in the brief


def test_pdf_bookmarks_nest_section_article_subhead(built: Path, sample: list[tuple[str, list[str]]]) -> None:
    outline = _outline(PdfReader(built / "morning-brief.pdf"))
    assert [(d, t) for d, t, _ in outline if d < 2] == [
        item for title, headlines in sample for item in [(0, title), *((1, h) for h in headlines)]]
    assert (2, "Diplomatic Engagements and Advocacy") in [(d, t) for d, t, _ in outline]


def test_pdf_contents_page_numbers_are_where_articles_start(built: Path) -> None:
    reader = PdfReader(built / "morning-brief.pdf")
    starts = {title: page for depth, title, page in _outline(reader) if depth == 1}
    contents = " ".join(reader.pages[1].extract_text().split())
    assert contents.startswith("Contents")
    for headline, page in starts.items():
        listed = re.search(re.escape(headline) + r"\s*\.*\s*(\d+)", contents)
        assert listed is not None, f"{headline!r} is not in the contents"
        assert int(listed.group(1)) == page, f"{headline!r}: contents says {listed.group(1)}, it starts on {page}"


def test_pdf_running_heads_name_the_article_and_footers_count_pages(built: Path) -> None:
    """The head names the article at the top of the page, not one that starts lower down."""
    reader = PdfReader(built / "morning-brief.pdf")
    starts = [(page, title) for depth, title, page in _outline(reader) if depth == 1]
    total = len(reader.pages)
    for number, page in enumerate(reader.pages, 1):
        lines = [line.strip() for line in page.extract_text().splitlines() if line.strip()]
        if number > 1:
            assert lines[-1] == f"Page {number} of {total}"
        if number <= 2:
            continue  # the cover and the contents carry no running head
        # the article the reader is in at the top of the page: one that opens the page (only a section title or
        # its source above its headline), else the one carried over from the page before
        starting_here = [title for page_number, title in starts if page_number == number]
        carried = [title for page_number, title in starts if page_number < number]
        opening = 0 <= " ".join(lines[:-2]).find(starting_here[0][:20]) < 40 if starting_here else False
        expected = starting_here[0] if opening else carried[-1]
        assert lines[-2] == expected, f"page {number}"


def test_epub_digest_nav_lists_every_article_under_its_section(built: Path,
                                                               sample: list[tuple[str, list[str]]]) -> None:
    run_epubcheck(built / "morning-brief.epub")
    with zipfile.ZipFile(built / "morning-brief.epub") as package:
        nav = etree.fromstring(package.read("EPUB/nav.xhtml"))
        names = package.namelist()
    sections = nav.findall(f".//{XHTML}nav/{XHTML}ol/{XHTML}li")
    found = [(li.find(f"{XHTML}a").text, [a.text.split(" — ")[0] for a in li.iterfind(f"{XHTML}ol/{XHTML}li/{XHTML}a")])
             for li in sections]
    assert found == sample
    assert "EPUB/images/cover.png" in names
    assert len([n for n in names if re.fullmatch(r"EPUB/article-\d{3}\.xhtml", n)]) == sum(len(h) for _, h in sample)


def test_epub_nav_lists_headlines_and_each_article_keeps_its_metadata(built: Path) -> None:
    """The contents a reading system shows lists headlines alone; the section page and the article carry bylines."""
    collection = load_manifest(MANIFEST).collection
    with zipfile.ZipFile(built / "morning-brief.epub") as package:
        nav = package.read("EPUB/nav.xhtml").decode()
        section = package.read("EPUB/section-1.xhtml").decode()
        second = etree.fromstring(package.read("EPUB/article-002.xhtml"))
    article = collection.articles[1]
    byline = present.article(article.meta).byline
    assert f">{article.meta.headline}</a>" in nav and byline not in nav
    assert byline in section
    assert second.find(f".//{XHTML}meta[@name='author']").get("content") == "; ".join(article.meta.authors)
    assert second.find(f".//{XHTML}address").xpath("string()") == present.article(article.meta).byline


def test_docx_packet_has_one_heading_1_per_article_and_every_byline(built: Path) -> None:
    collection = load_manifest(MANIFEST).collection
    document = docx.Document(str(built / "morning-brief.docx"))
    styled = [(p.style.name, p.text) for p in document.paragraphs]
    assert [t for s, t in styled if s == "Heading 1"] == [a.meta.headline for a in collection.articles]
    assert [t for s, t in styled if s == "Byline"] == [present.article(a.meta).byline for a in collection.articles
                                                       if a.meta.authors]
    assert [t for s, t in styled if s == "Section Heading"] == [s.title for s in collection.sections]
    assert document.styles["Heading 1"].paragraph_format.page_break_before is True
    assert document.core_properties.title == "Morning Brief" and document.core_properties.author == "Harbour Daily"
    body = document.element.body.xml
    assert 'TOC \\h \\z \\t "Section Heading,1,Heading 1,2"' in body


def test_html_contents_links_to_every_article(built: Path) -> None:
    doc = lxml_html.parse(str(built / "morning-brief.html")).getroot()
    links = [a.get("href")[1:] for a in doc.iterfind(".//nav[@class='contents']//li[@class='toc-article']/a")]
    ids = [article.find(".//*[@class='headline']").get("id") for article in doc.iterfind(".//article")]
    assert links == ids and len(ids) == 7
    assert len({h.get("id") for h in doc.iterfind(".//h3")}) == len(doc.findall(".//h3"))  # ids stay unique


@pytest.mark.parametrize("fmt", ["html", "pdf", "docx", "epub"])
def test_every_article_word_in_order(built: Path, fmt: str) -> None:
    collection = load_manifest(MANIFEST).collection
    assert_same_words(collection, built / f"morning-brief.{fmt}")


def _duplicate_manifest(folder: Path, options: str = "") -> Path:
    manifest = folder / "wires.yaml"
    for name in ("wire-a.md", "other.md", "wire-b.md"):  # a manifest lists only files inside its own folder
        shutil.copy(DUPLICATES / name, folder / name)
    manifest.write_text(f"title: Wires\n{options}sections:\n  - title: North\n    articles:\n"
                        "      - wire-a.md\n      - other.md\n      - wire-b.md\n")
    return manifest


def test_near_duplicate_stories_are_reported_and_kept_once(tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["build", str(_duplicate_manifest(tmp_path)), "--to", "html", "--out", str(tmp_path)]) == 0
    err = capsys.readouterr().err
    assert re.search(r"wire-b\.md is the same story as .*wire-a\.md \(\d+% alike\); left it out", err), err
    doc = lxml_html.parse(str(tmp_path / "wires.html")).getroot()
    headlines = [h.text_content() for h in doc.iterfind(".//article//*[@class='headline']")]
    first = read_file(DUPLICATES / "wire-a.md").article.meta.headline
    other = read_file(DUPLICATES / "other.md").article.meta.headline
    assert headlines == [first, other]


def test_keep_duplicates_keeps_both(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    manifest = _duplicate_manifest(tmp_path, "options:\n  duplicates: keep\n")
    assert main(["build", str(manifest), "--to", "html", "--out", str(tmp_path)]) == 0
    assert "kept both" in capsys.readouterr().err
    doc = lxml_html.parse(str(tmp_path / "wires.html")).getroot()
    assert len(doc.findall(".//article")) == 3
    assert main(["build", str(manifest), "--to", "html", "--out", str(tmp_path), "--no-keep-duplicates"]) == 0
    assert len(lxml_html.parse(str(tmp_path / "wires.html")).getroot().findall(".//article")) == 2


def test_similarity_separates_copies_from_stories_on_the_same_topic() -> None:
    articles = [(DUPLICATES / name, read_file(DUPLICATES / name).article)
                for name in ("wire-a.md", "other.md", "wire-b.md")]
    found = list(find_duplicates(articles))
    assert [(d.kept.name, d.duplicate.name) for d in found] == [("wire-a.md", "wire-b.md")]
    assert found[0].similarity > 0.7


def test_shingles_are_kept_with_readings_and_the_same_in_every_process(tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """A story's shingles are worked out when it is read and kept with its reading in the cache: a second reading
    of the collection after one story changed works out that story's alone, and finds the same duplicate. The
    numbers do not depend on the process's string-hash seed, or a kept story could never match a new one."""
    folder = tmp_path / "wires"
    shutil.copytree(DUPLICATES, folder)
    (folder / "wires.yaml").write_text("title: Wires\nsections:\n  - title: All\n    articles:\n"
                                      "      - wire-a.md\n      - other.md\n      - wire-b.md\n")
    monkeypatch.setenv("PUBLISH_CACHE_DIR", str(tmp_path / "cache"))
    first = load_manifest(folder / "wires.yaml")
    other = folder / "other.md"
    other.write_text(other.read_text(encoding="utf-8") + "\nOne more line for the rebuild.\n", encoding="utf-8")
    worked_out: list[str] = []
    shingles = collection_module._shingles

    def counted(story: str) -> set[int]:
        worked_out.append(story)
        return shingles(story)

    monkeypatch.setattr(collection_module, "_shingles", counted)
    second = load_manifest(folder / "wires.yaml")
    assert len(worked_out) == 1 and "One more line for the rebuild" in worked_out[0]
    assert [(d.kept.name, d.duplicate.name) for d in second.duplicates] == \
        [(d.kept.name, d.duplicate.name) for d in first.duplicates] == [("wire-a.md", "wire-b.md")]
    program = "from publish.readers.collection import _shingles; print(sorted(_shingles('the ferry sails at dawn')))"
    printed = {subprocess.run([sys.executable, "-c", program], env={**os.environ, "PYTHONHASHSEED": seed},
                              capture_output=True, text=True, check=True).stdout for seed in ("1", "2")}
    assert len(printed) == 1 and printed.pop().count(",") == 2  # three runs of three words, alike in both


def test_quick_collection_from_inputs(tmp_path: Path) -> None:
    inputs = [str(ROOT / "samples" / "feature-tour.md"), str(ROOT / "samples" / "dar-bishkek.txt")]
    assert main(["build", "--collection", "Morning brief", *inputs, "--to", "html,epub", "--out", str(tmp_path)]) == 0
    doc = lxml_html.parse(str(tmp_path / "morning-brief.html")).getroot()
    assert doc.findtext(".//h1[@class='cover-title']") == "Morning brief"
    assert len(doc.findall(".//article")) == 2
    run_epubcheck(tmp_path / "morning-brief.epub")


def test_article_break_starts_every_article_on_a_new_page(tmp_path: Path) -> None:
    assert main(["build", str(MANIFEST), "--to", "pdf", "--article-break", "--out", str(tmp_path)]) == 0
    reader = PdfReader(tmp_path / "morning-brief.pdf")
    starts = [(title, page) for depth, title, page in _outline(reader) if depth == 1]
    assert len({page for _, page in starts}) == len(starts) == 7
    for headline, page in starts:  # the story opens its page: only a section title or the source kicker above it
        lines = [line.strip() for line in reader.pages[page - 1].extract_text().splitlines() if line.strip()]
        first = next(line for line in lines if not line.isupper())
        assert headline.startswith(first), (headline, lines[:3])


def test_docx_per_article_writes_a_folder(tmp_path: Path) -> None:
    assert main(["build", str(MANIFEST), "--to", "docx", "--docx-per-article", "--out", str(tmp_path)]) == 0
    files = sorted((tmp_path / "morning-brief-docx").iterdir())
    collection = load_manifest(MANIFEST).collection
    assert len(files) == 7 and files[0].name == "01-ishaq-dar-key-diplomatic-visit-to-bishkek.docx"
    titles = [next(p.text for p in docx.Document(str(f)).paragraphs if p.style.name == "Title") for f in files]
    assert titles == [a.meta.headline for a in collection.articles]
    assert not (tmp_path / "morning-brief.docx").exists()


def test_a_bad_article_names_its_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "good.md").write_text("---\ntitle: Good\n---\n\nText.\n")
    (tmp_path / "bad.md").write_text("---\ntitle: Bad\n---\n\n![A photo](gone.png)\n")
    (tmp_path / "brief.yaml").write_text("title: B\nsections:\n  - title: S\n    articles: [good.md, bad.md]\n")
    assert main(["build", str(tmp_path / "brief.yaml"), "--out", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"publish: error: {tmp_path / 'bad.md'}: image 'gone.png' not found")
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("manifest", "message"),
    [
        ("title: B\nsections:\n  - title: S\n    articles: [nowhere.md]\n",
         "brief.yaml:4: article 'nowhere.md' not found"),
        ("sections: []\n", "brief.yaml: the manifest needs a title:"),
        ("title: B\nsections: []\n", "brief.yaml:2: give sections:"),
        ("title: B\ncolour: red\nsections: []\n", "brief.yaml:2: unknown manifest key 'colour'"),
        ("title: B\noptions: {docx: many}\narticles: [a.md]\n", "brief.yaml:2: options.docx: single"),
        ("title: [B\n", "brief.yaml:1: manifest is not valid YAML"),  # where the [ opened
        ("- a\n- b\n", "brief.yaml:1: a manifest is a mapping"),
    ],
)
def test_bad_manifest_is_one_clear_line(tmp_path: Path, capsys: pytest.CaptureFixture[str], manifest: str,
                                        message: str) -> None:
    (tmp_path / "a.md").write_text("---\ntitle: A\n---\n\nText.\n")
    (tmp_path / "brief.yaml").write_text(manifest)
    assert main(["build", str(tmp_path / "brief.yaml"), "--out", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"publish: error: {tmp_path / message}"), err
    assert len(err.splitlines()) == 1


def test_epub_and_docx_of_a_collection_stay_the_same_bytes(tmp_path: Path) -> None:
    for name in ("one", "two"):
        assert main(["build", str(MANIFEST), "--to", "epub,docx", "--out", str(tmp_path / name)]) == 0
    for ext in ("epub", "docx"):
        assert (tmp_path / "one" / f"morning-brief.{ext}").read_bytes() == \
            (tmp_path / "two" / f"morning-brief.{ext}").read_bytes()
    with zipfile.ZipFile(io.BytesIO((tmp_path / "one" / "morning-brief.epub").read_bytes())) as package:
        assert package.namelist()[0] == "mimetype"
