"""The public Python API, used as a CMS would: only what `publish` exports (read, render, build, check, the model),
real outputs read back with real clients; `import publish` stays light; the README's example runs as written."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import docx
import pytest
from pypdf import PdfReader

import publish

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"
TOUR = SAMPLES / "feature-tour.md"
HEADLINE = "Night Ferry Trial Brings the Old Port Back to Life"


def test_import_publish_loads_no_renderer_library() -> None:
    # nor the checks, nor the package metadata plugins are found in (read on the first lookup of a format)
    probe = ("import sys, publish; "
             "print(sorted(m for m in ('weasyprint', 'docx', 'ebooklib', 'pypdf', 'publish.checks.gate', "
             "'importlib.metadata') "
             "if m in sys.modules)); print(callable(publish.build), publish.build.__module__)")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["[]", "True publish.api"]


def test_all_names_what_the_api_offers() -> None:
    for name in publish.__all__:
        assert getattr(publish, name) is not None, name
    assert {"read", "render", "build", "check", "Article", "Meta", "Paragraph", "Text", "Collection", "Reading",
            "Source", "PublishError", "CheckReport"} <= set(publish.__all__)


def test_read_a_path_or_bytes_into_the_same_article() -> None:
    reading = publish.read(TOUR)
    assert isinstance(reading, publish.Reading) and isinstance(reading.article, publish.Article)
    assert reading.article.meta.headline == HEADLINE
    assert publish.read(str(TOUR)).article == reading.article
    data = TOUR.read_bytes()
    assert publish.read(data, name="feature-tour.md").article == reading.article
    assert publish.read(data, "markdown").article == reading.article
    assert isinstance(reading.article.blocks[0], publish.Paragraph)


def test_bytes_without_a_format_or_a_named_extension_are_one_clear_error() -> None:
    with pytest.raises(publish.PublishError) as info:
        publish.read(b"Headline\n\nBody.\n")
    known = ", ".join(f.name for f in publish.list_formats() if f.kind == "reader")
    assert str(info.value) == (f"cannot tell the format of bytes without a name; give format= (one of {known}) "
                               "or a name with an extension, such as name='story.md'")
    with pytest.raises(publish.PublishError) as info:
        publish.read(b"Caf\xe9\n", name="notes.txt")
    assert str(info.value) == "notes.txt:1: is not UTF-8 text (byte 0xe9 at offset 3)"
    with pytest.raises(publish.PublishError) as info:
        publish.read(b"Headline\n\nBody.\n", "odt")
    assert str(info.value) == "unknown input format 'odt'; known: scraped, markdown, json, html, feed, ninjs, docx"
    with pytest.raises(publish.PublishError) as info:
        publish.read(SAMPLES / "morning-brief.yaml")
    assert str(info.value) == (f"{SAMPLES / 'morning-brief.yaml'}: is a collection manifest; `read` reads one "
                               "article (`build` renders a manifest)")


def test_render_returns_each_format_as_bytes() -> None:
    article = publish.read(TOUR).article
    html = publish.render(article, "html", base_dir=SAMPLES)
    assert isinstance(html, bytes) and f"{HEADLINE}</h1>".encode() in html
    assert re.search(rb'<img[^>]+src="data:image/png;base64,', html)  # the figure, found in base_dir
    word = docx.Document(io.BytesIO(publish.render(article, "docx", theme="digest", base_dir=SAMPLES)))
    assert word.paragraphs[0].text == HEADLINE and word.core_properties.title == HEADLINE
    with zipfile.ZipFile(io.BytesIO(publish.render(article, "epub", base_dir=SAMPLES))) as book:
        assert book.read("mimetype") == b"application/epub+zip"
    pdf = PdfReader(io.BytesIO(publish.render(article, "pdf", theme="brief", page_size="Letter", base_dir=SAMPLES)))
    assert "Night Ferry Trial" in pdf.pages[0].extract_text()
    assert round(float(pdf.pages[0].mediabox.width)) == 612  # US Letter, 8.5 in


def test_render_finds_images_only_in_base_dir(tmp_path: Path) -> None:
    article = publish.read(TOUR).article
    with pytest.raises(publish.PublishError, match=r"image '(ferry-icon|harbour-at-dawn)\.png' not found"):
        publish.render(article, "html", base_dir=tmp_path)
    with pytest.raises(publish.PublishError, match=r"unknown output format 'odt'; known: html, pdf, docx, epub"):
        publish.render(article, "odt")


def test_a_hand_built_article_renders() -> None:
    article = publish.Article(publish.Meta(headline="Ferry Runs Late", authors=("Amina Qureshi",)),
                              (publish.Paragraph((publish.Text("The night ferry ran "),
                                                  publish.Emphasis((publish.Text("forty minutes late"),)),
                                                  publish.Text("."))),))
    html = publish.render(article, "html").decode("utf-8")
    assert "Ferry Runs Late</h1>" in html and "<em>forty minutes late</em>" in html


def test_a_collection_of_readings_renders_as_one_document() -> None:
    articles = tuple(publish.read(path).article for path in (TOUR, SAMPLES / "dar-bishkek.txt"))
    brief = publish.Collection("Morning brief", (publish.Section("", articles),))
    book = docx.Document(io.BytesIO(publish.render(brief, "docx", base_dir=SAMPLES)))
    headings = [p.text for p in book.paragraphs if p.style is not None and p.style.name == "Heading 1"]
    assert headings == [article.meta.headline for article in articles]


def test_build_then_check_with_word_parity(tmp_path: Path) -> None:
    seen: list[publish.Written] = []
    written = publish.build([TOUR], "html,docx", tmp_path / "out", theme="digest", progress=seen.append)
    assert [w.path for w in written] == [tmp_path / "out" / "feature-tour.html", tmp_path / "out" / "feature-tour.docx"]
    assert seen == written and all(w.path.stat().st_size == w.size for w in written)
    quick = publish.CheckOptions(skip=frozenset({"html-checker", "libreoffice"}))
    report = publish.check(written, options=quick)
    assert isinstance(report, publish.CheckReport) and report.ok, report.lines()
    assert all(f.facts.get("words") for f in report.files)  # parity ran, from the articles `build` returned
    other = publish.read(SAMPLES / "dar-bishkek.txt").article  # the wrong source: words are missing
    report = publish.check([w.path for w in written], source=other, options=quick)
    assert not report.ok and any(f.check == "parity" for file in report.files for f in file.findings)
    report = publish.check(written[0].path, source=TOUR, options=quick)
    assert report.ok and len(report.files) == 1


def test_build_options_carry_the_rest_and_arguments_win(tmp_path: Path) -> None:
    options = publish.BuildOptions(formats=("epub",), out_dir=tmp_path / "elsewhere", page_size="A5")
    written = publish.build(str(TOUR), "docx", tmp_path / "out", options=options)
    assert [w.path for w in written] == [tmp_path / "out" / "feature-tour.docx"]
    section = docx.Document(str(written[0].path)).sections[0]
    assert round(section.page_width.mm) == 148  # A5, from the options
    with pytest.raises(publish.PublishError, match="no such file"):
        publish.build([tmp_path / "missing.md"], "html", tmp_path / "out")


def test_a_theme_loaded_once_renders_many_articles() -> None:
    themes = {info.name: info for info in publish.list_themes()}
    assert {"default", "brief", "digest"} <= set(themes) and themes["digest"].package == "publish"
    assert themes["digest"].theme.fonts.body[0] == "Charis SIL"
    letter = publish.load_theme("digest", page_size="Letter")
    for path in (TOUR, SAMPLES / "dar-bishkek.txt"):
        word = docx.Document(io.BytesIO(publish.render(publish.read(path).article, "docx", theme=letter,
                                                       base_dir=SAMPLES)))
        assert round(word.sections[0].page_width.inches, 1) == 8.5
        assert word.styles["Normal"].font.name == "Charis SIL"


def test_list_formats_names_readers_and_backends() -> None:
    found = {(f.kind, f.name): f for f in publish.list_formats()}
    assert found["reader", "markdown"].extensions == (".md", ".markdown")
    assert found["backend", "pdf"].extensions == (".pdf",) and found["backend", "pdf"].package == "publish"


def _readme_example() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## The Python API", 1)[1]
    return section.split("```python\n", 1)[1].split("```", 1)[0]


def test_the_readme_example_runs(tmp_path: Path) -> None:
    (tmp_path / "samples").mkdir()
    for name in ("feature-tour.md", "harbour-at-dawn.png", "ferry-icon.png"):
        shutil.copy(SAMPLES / name, tmp_path / "samples" / name)
    (tmp_path / "example.py").write_text(_readme_example(), encoding="utf-8")
    done = subprocess.run([sys.executable, "example.py"], cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith(f"{HEADLINE} - ")
    assert lines[-2] == "['out/feature-tour.html', 'out/feature-tour.docx'] ok"
    assert lines[-1].startswith("cannot tell the format of bytes without a name")
    assert (tmp_path / "out" / "feature-tour.docx").is_file()
