"""Inline images (point 7a of issue 8): an image inside a line of text is an `Image` inline, as in Pandoc, shown
in all four formats; one from the web is not fetched, and its alt text stands in for it, with one warning."""

from __future__ import annotations

import http.server
import io
import re
import shutil
import threading
import zipfile
from collections.abc import Iterator
from pathlib import Path

import docx
import pytest
from built import assert_valid, build
from lxml import etree
from PIL import Image as PILImage
from pypdf import PdfReader

from publish import model as m
from publish.backends import RenderContext
from publish.build.resources import Resources
from publish.checks import gate as checks
from publish.model import jsonform, text
from publish.present.theme import load_theme
from publish.readers.markdown import read_text as read

FIXTURES = Path(__file__).parent / "fixtures" / "model"
WP_DOCPR = "{http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing}docPr"
BADGES = ("Github-CI", "Coverage Status", "PyPI", "Conda", "Code style: black")
"""The alt text of the five badges of mdit-py-plugins' README."""


def icon(path: Path, size: tuple[int, int] = (24, 16)) -> Path:
    PILImage.new("RGB", size, (200, 40, 40)).save(path)
    return path


@pytest.fixture
def changelog(tmp_path: Path) -> Path:
    shutil.copy(FIXTURES / "changelog.md", tmp_path / "changelog.md")
    icon(tmp_path / "icon.png")
    return tmp_path / "changelog.md"


# --- the reader and the model ------------------------------------------------------------------------------


def test_an_image_in_a_line_of_text_is_an_inline_image() -> None:
    article = read("# T\n\nBuilt ![build *passing*](ci.png \"CI\") today, [![PyPI](v.png)](https://pypi.example/x)\n",
                   source="a.md").article
    assert article.blocks == (m.Paragraph((
        m.Text("Built "), m.Image("ci.png", "build passing", "CI"), m.Text(" today, "),
        m.Link((m.Image("v.png", "PyPI"),), "https://pypi.example/x"),
    )),)


def test_an_image_from_the_web_alone_in_its_paragraph_is_an_inline_image_with_its_credit_kept() -> None:
    article = read('# T\n\n![A chart](https://example.org/c.png){credit="Chart: Harbour Daily"}\n',
                   source="a.md").article
    assert article.blocks == (m.Paragraph((m.Image("https://example.org/c.png", "A chart"),
                                           m.Text(" Chart: Harbour Daily"))),)


def test_an_image_alone_in_its_paragraph_stays_a_figure() -> None:
    article = read("# T\n\n![The pier at dawn](pier.png){alt=\"Boats at a pier\"}\n", source="a.md").article
    assert article.blocks == (m.Figure("pier.png", "Boats at a pier", (m.Text("The pier at dawn"),)),)


def test_an_inline_image_has_no_words_of_its_own() -> None:
    """Its alt text is for those who cannot see it (as a figure's): not part of the text every format must hold."""
    assert text.plain((m.Text("a "), m.Image("x.png", "badge"), m.Text(" b"))) == "a  b"


def test_the_json_form_round_trips_an_inline_image() -> None:
    article = m.Article(m.Meta("T"), (m.Paragraph((m.Image("x.png", "an icon", "tip"), m.Text(" text"))),))
    data = jsonform.dumps(article)
    assert '"type": "image"' in data
    assert jsonform.loads(data) == article


# --- a real README with badges: every badge from the web, none fetched --------------------------------------


def test_badges_readme_builds_to_every_format_with_alt_text_and_one_warning(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "README.md"
    shutil.copy(FIXTURES / "mdit-py-plugins-readme.md", source)
    outputs, err = build(source, capsys)
    assert err == [f"publish: warning: {source}: 5 images (https://github.com/executablebooks/mdit-py-plugins/"
                   "workflows/continuous-integration/badge.svg, …) are on the web and not fetched; their alt text is "
                   "shown instead (--allow-remote shows them in the PDF)"]
    assert_valid(outputs, source)
    for fmt, path in outputs.items():
        shown = " ".join(checks.output_text(path))
        for alt in BADGES:
            assert alt in shown, f"{fmt}: badge text {alt!r} is missing"
    page = outputs["html"].read_text(encoding="utf-8")
    assert "img.shields.io" not in page.replace('href="https://img.shields.io', "")  # nothing loads from the web
    assert "<img" not in page
    with zipfile.ZipFile(outputs["epub"]) as epub:
        assert not [name for name in epub.namelist() if name.endswith(".svg")]


@pytest.fixture
def badge_server(tmp_path: Path) -> Iterator[tuple[str, list[str]]]:
    """A local HTTP server in a thread serving one PNG badge: its URL, and the paths requested from it."""
    data = io.BytesIO()
    PILImage.new("RGB", (40, 12), (30, 140, 60)).save(data, "PNG")
    requests: list[str] = []

    class Badge(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            requests.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.end_headers()
            self.wfile.write(data.getvalue())

        def log_message(self, format: str, *args: object) -> None:
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Badge)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/badge.png", requests
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=10)


def test_only_the_pdf_fetches_a_badge_and_only_with_allow_remote(
        tmp_path: Path, badge_server: tuple[str, list[str]], capsys: pytest.CaptureFixture[str]) -> None:
    url, requests = badge_server
    source = tmp_path / "status.md"
    source.write_text(f"# Status\n\nBuild: ![build passing]({url}) on main.\n", encoding="utf-8")
    outputs, _ = build(source, capsys)
    assert requests == []  # nothing fetched
    assert not PdfReader(outputs["pdf"]).pages[0].images
    assert "Build: build passing on main." in " ".join(checks.output_text(outputs["pdf"]))

    outputs, err = build(source, capsys, "--allow-remote")
    assert err == [f"publish: warning: {source}: the image {url} is on the web and not fetched; its alt text is "
                   "shown instead (--allow-remote shows it in the PDF)"]
    assert requests == ["/badge.png"]
    assert [image.image.size for image in PdfReader(outputs["pdf"]).pages[0].images] == [(40, 12)]
    page = outputs["html"].read_text(encoding="utf-8")
    assert "<p>Build: build passing on main.</p>" in page and "<img" not in page  # the HTML stands alone
    assert_valid(outputs, source)


# --- a local inline image: in the line, in all four formats -------------------------------------------------


def test_local_inline_image_is_in_every_format(changelog: Path, capsys: pytest.CaptureFixture[str]) -> None:
    outputs, _ = build(changelog, capsys)
    assert_valid(outputs, changelog)

    page = outputs["html"].read_text(encoding="utf-8")
    found = re.search(r'kept <img class="inline" src="data:image/png;base64,[^"]+" alt="new" width="24" '
                      r'height="16" title="new in 2.1"/> and shown', page)
    assert found, "the HTML image is not inline, embedded, with its alt text and size"

    with zipfile.ZipFile(outputs["epub"]) as epub:
        chapter = epub.read("EPUB/chapter.xhtml").decode()
        src = re.search(r'<img class="inline" src="([^"]+)" alt="new"', chapter)
        assert src, chapter
        assert f"EPUB/{src.group(1)}" in epub.namelist()

    document = docx.Document(str(outputs["docx"]))
    paragraph = next(p for p in document.paragraphs if "Inline images in paragraphs" in p.text)
    pictures = paragraph._p.findall(f".//{WP_DOCPR}")
    assert [(pic.get("descr"), pic.get("title")) for pic in pictures] == [("new", "new in 2.1")]
    assert "are kept  and shown" in paragraph.text  # the picture sits between the words, in the same line
    assert len(document.inline_shapes) == 1 and document.inline_shapes[0].width == 24 * 9525

    pdf = PdfReader(outputs["pdf"])
    assert [image.image.size for image in pdf.pages[0].images] == [(24, 16)]


def test_a_missing_inline_image_is_refused_as_a_missing_figure_is(tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    from publish.cli import main

    (tmp_path / "a.md").write_text("# T\n\nSee ![the chart](gone.png) here.\n", encoding="utf-8")
    assert main(["build", str(tmp_path / "a.md"), "--out", str(tmp_path / "out"), "--to", "html"]) == 1
    assert capsys.readouterr().err == (f"publish: error: {tmp_path}/a.md: image 'gone.png' not found "
                                       f"(looked for {tmp_path}/gone.png)\n")
    assert not (tmp_path / "out").exists()


def test_docx_inline_picture_no_wider_than_the_text(tmp_path: Path) -> None:
    from publish.backends import docx as docx_backend

    icon(tmp_path / "wide.png", (4000, 40))
    article = m.Article(m.Meta("T"), (m.Paragraph((m.Text("a "), m.Image("wide.png", "a wide strip"))),))
    data = docx_backend.render(article, RenderContext(theme=load_theme("default"),
                                                      resources=Resources(base_dir=tmp_path)))
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        body = etree.fromstring(package.read("word/document.xml"))
    extent = body.find(".//{http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing}extent")
    theme = load_theme("default")
    text_width = (theme.page.width_mm - theme.page.margin_inner - theme.page.margin_outer) * 36000
    assert int(extent.get("cx")) <= text_width + 1
    assert int(extent.get("cy")) * 100 == int(extent.get("cx"))  # the aspect ratio is kept


def test_a_collection_shows_inline_images_from_article_folders_and_links_within_each_article(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from publish.readers.collection import load_manifest

    (tmp_path / "stories").mkdir()
    icon(tmp_path / "stories" / "sign.png")
    (tmp_path / "stories" / "one.md").write_text(
        "# First story\n\nLook for the ![ferry sign](sign.png) sign. See [details](#details).\n\n## Details\n\nMore.\n",
        encoding="utf-8")
    (tmp_path / "stories" / "two.md").write_text("# Second story\n\nSee [details](#details) of the first? No.\n\n"
                                                 "## Details\n\nOther.\n", encoding="utf-8")
    manifest = tmp_path / "brief.yaml"
    manifest.write_text("title: Test brief\nsections:\n  - title: News\n"
                        "    articles: [stories/one.md, stories/two.md]\n", encoding="utf-8")
    outputs, err = build(manifest, capsys)
    assert err == []
    collection = load_manifest(manifest).collection
    report = checks.check_outputs(list(outputs.values()), dict.fromkeys(outputs.values(), collection),
                                  checks.CheckOptions(strict=True, skip=frozenset({"libreoffice"})))
    assert report.ok, "\n".join(report.lines())
    page = outputs["html"].read_text(encoding="utf-8")
    assert re.search(r'the <img class="inline" src="data:image/png;base64,[^"]+" alt="ferry sign"', page)
    # each article's "#details" goes to its own subhead
    assert page.count('<a href="#a1-s1">details</a>') == 1 and page.count('<a href="#a2-s1">details</a>') == 1
    with zipfile.ZipFile(outputs["docx"]) as package:
        body = package.read("word/document.xml").decode()
    assert 'w:anchor="a1_s1"' in body and 'w:anchor="a2_s1"' in body
    assert 'w:name="a1_s1"' in body and 'w:name="a2_s1"' in body
    assert 'descr="ferry sign"' in body
