"""Valid inputs give valid outputs (point 6 of issue 8): links to the article's own headings work in every format,
links to places that are not there lose the link but keep their words, relative links never point into an EPUB
or DOCX package that lacks their target, URL fragments are encoded, and `lang: en_US` becomes `en-US`."""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import docx
import pytest
from built import assert_valid, build
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.oxml.ns import qn
from lxml import html as lxml_html

from publish import model as m
from publish.errors import ModelError
from publish.model import jsonform, language, links

FIXTURES = Path(__file__).parent / "fixtures" / "model"


@pytest.fixture
def links_md(tmp_path: Path) -> Path:
    shutil.copy(FIXTURES / "links.md", tmp_path / "links.md")
    return tmp_path / "links.md"


def anchors(page: str) -> dict[str, str]:
    """Each link's words → its href, in an HTML or XHTML page."""
    root = lxml_html.fromstring(page.encode())
    return {" ".join(a.text_content().split()): a.get("href") for a in root.iter("a")}


def test_links_build_to_valid_outputs_in_every_format(links_md: Path, capsys: pytest.CaptureFixture[str]) -> None:
    outputs, err = build(links_md, capsys)
    assert err == [
        f"publish: warning: {links_md}: the link “missing part” goes to #nowhere, which is no heading of this "
        "article; its words are kept without the link",
        f"publish: warning: {links_md}: the link “next page” goes to other.html, a file beside the article that "
        "EPUB and DOCX cannot hold; it points to https://example.org/guide/other.html in those",
    ]
    assert_valid(outputs, links_md)  # epubcheck (RSC-007/012), the Nu checker, parity: all pass


def test_html_links_go_to_the_headings_they_name(links_md: Path, capsys: pytest.CaptureFixture[str]) -> None:
    outputs, _ = build(links_md, capsys, formats=("html", "epub"))
    page = outputs["html"].read_text(encoding="utf-8")
    found = anchors(page)
    assert found["setup steps"] == "#s1"  # GitHub's slug of "Setup steps"
    assert found["second section"] == "#s2"  # our own id
    assert found["top"] == "#article-headline"
    assert "missing part" not in found and "a missing part," in lxml_html.fromstring(page).text_content()
    assert found["next page"] == "other.html"  # beside the HTML file, where a reader may have it
    assert found["text fragment"] == "https://example.org/a#b%23:~:text=ferry%20times"
    assert found["fragment with a space"] == "https://example.org/page#two%20words"
    ids = {element.get("id") for element in lxml_html.fromstring(page).iter() if element.get("id")}
    assert {"s1", "s2", "article-headline"} <= ids

    with zipfile.ZipFile(outputs["epub"]) as epub:
        chapter = anchors(epub.read("EPUB/chapter.xhtml").decode())
    assert chapter["setup steps"] == "#s1"
    assert chapter["next page"] == "https://example.org/guide/other.html"  # absolute against the article's url
    assert chapter["text fragment"] == "https://example.org/a#b%23:~:text=ferry%20times"
    assert "missing part" not in chapter


def test_without_a_url_a_relative_link_is_plain_text_in_the_epub(tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "notes.md"
    source.write_text("# Notes\n\nSee [the guide](docs/guide.md) and [the site](https://example.org/).\n",
                      encoding="utf-8")
    outputs, err = build(source, capsys, formats=("html", "epub", "docx"))
    assert err == [f"publish: warning: {source}: the link “the guide” goes to docs/guide.md, a file beside the "
                   "article that EPUB and DOCX cannot hold; its words are kept without the link in those"]
    with zipfile.ZipFile(outputs["epub"]) as epub:
        chapter = epub.read("EPUB/chapter.xhtml").decode()
    assert anchors(chapter) == {"the site": "https://example.org/"}
    assert "See the guide and" in lxml_html.fromstring(chapter.encode()).text_content()
    targets = [rel.target_ref for rel in docx.Document(str(outputs["docx"])).part.rels.values()
               if rel.reltype == RT.HYPERLINK]
    assert targets == ["https://example.org/"]
    assert_valid(outputs, source)


def test_docx_links_to_headings_are_bookmarks(links_md: Path, capsys: pytest.CaptureFixture[str]) -> None:
    outputs, _ = build(links_md, capsys, formats=("docx",))
    document = docx.Document(str(outputs["docx"]))
    body = document.element.body
    bookmarks = {b.get(qn("w:name")) for b in body.iter(qn("w:bookmarkStart"))}
    internal = {"".join(t.text for t in link.iter(qn("w:t"))): link.get(qn("w:anchor"))
                for link in body.iter(qn("w:hyperlink")) if link.get(qn("w:anchor"))}
    assert internal == {"setup steps": "s1", "second section": "s2", "top": "article_headline"}
    assert set(internal.values()) <= bookmarks
    heading = next(p for p in document.paragraphs if p.text == "Setup steps")
    assert heading._p.find(qn("w:bookmarkStart")).get(qn("w:name")) == "s1"
    external = sorted(rel.target_ref for rel in document.part.rels.values() if rel.reltype == RT.HYPERLINK)
    assert external == ["https://example.org/a#b%23:~:text=ferry%20times",
                        "https://example.org/guide/links.html",  # the original-URL line after the story
                        "https://example.org/guide/other.html", "https://example.org/page#two%20words"]
    words = " ".join(p.text for p in document.paragraphs)
    assert "a missing part," in words


def test_lang_in_posix_form_becomes_a_bcp47_tag_everywhere(links_md: Path,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    outputs, _ = build(links_md, capsys, formats=("html", "epub", "docx"))
    assert 'lang="en-US"' in outputs["html"].read_text(encoding="utf-8")
    with zipfile.ZipFile(outputs["epub"]) as epub:
        assert "<dc:language>en-US</dc:language>" in epub.read("EPUB/content.opf").decode()
    styles = docx.Document(str(outputs["docx"])).styles.element
    assert {lang.get(qn("w:val")) for lang in styles.iter(qn("w:lang")) if lang.get(qn("w:val"))} == {"en-US"}


@pytest.mark.parametrize(("written", "tag"), [
    ("en_US", "en-US"), ("zh_Hant_TW", "zh-Hant-TW"), ("en_US.UTF-8", "en-US"), ("de_DE@euro", "de-DE"),
    ("pt-BR", "pt-BR"), ("ur", "ur"), (" fr_CA ", "fr-CA"),
])
def test_posix_locales_become_bcp47_tags(written: str, tag: str) -> None:
    assert language.bcp47(written) == tag


@pytest.mark.parametrize("written", ["english", "en US", "C", "", "e", "en_US_!!"])
def test_malformed_language_tags_are_refused(written: str) -> None:
    with pytest.raises(ValueError, match=r"is not a BCP 47 language tag; write one like en, en-US, pt-BR or "
                                         r"zh-Hant-TW"):
        language.bcp47(written)


def test_the_json_form_normalises_and_checks_the_language_too() -> None:
    article = m.Article(m.Meta("T", language="en_GB"), (m.Paragraph((m.Text("x"),)),))
    assert jsonform.loads(jsonform.dumps(article)).meta.language == "en-GB"
    bad = jsonform.dumps(m.Article(m.Meta("T", language="english"), ()))
    with pytest.raises(ModelError) as caught:
        jsonform.loads(bad, source="a.json")
    assert str(caught.value) == ("a.json: meta.language: 'english' is not a BCP 47 language tag; write one like en, "
                                 "en-US, pt-BR or zh-Hant-TW")


@pytest.mark.parametrize(("url", "encoded"), [
    ("https://x/a#b#:~:text=hello", "https://x/a#b%23:~:text=hello"),
    ("https://x/a#two words", "https://x/a#two%20words"),
    ("https://x/a#already%20done", "https://x/a#already%20done"),
    ("https://x/a#100%", "https://x/a#100%25"),
    ("https://x/a#caf\u00e9", "https://x/a#caf%C3%A9"),
    ("https://x/a?q=1", "https://x/a?q=1"),
    ("#s2", "#s2"),
])
def test_fragments_hold_only_what_a_url_fragment_may(url: str, encoded: str) -> None:
    assert links.encode_fragment(url) == encoded


def test_heading_slugs_follow_github_and_pandoc() -> None:
    article = m.Article(m.Meta("Project"), (
        m.Heading(1, (m.Text("2.0.0 (2024-01-15)"),)), m.Heading(1, (m.Text("Usage"),)),
        m.Heading(2, (m.Text("Usage"),)), m.Heading(1, (m.Text("Über uns (2.0)"),)),
    ))
    targets = links.Targets.of(article)
    assert targets.href("#200-2024-01-15") == "#s1"  # GitHub keeps the leading digits
    assert targets.href("#usage") == "#s2" and targets.href("#usage-1") == "#s3"  # repeated headings numbered
    assert targets.href("#project") == "#article-headline"
    assert targets.href("#usage", article_id="a3") == "#a3-s2"  # in a collection
    assert targets.href("#nowhere") == ""
    assert targets.href("#über-uns-20") == targets.href("#%C3%BCber-uns-2.0") == "#s4"  # GitHub's; Pandoc's, escaped
    assert targets.href("#") == targets.href("#top") == "#article-headline"  # the top of the page, as in a browser


def test_many_links_to_files_beside_the_article_make_one_warning() -> None:
    article = m.Article(m.Meta("Guide", url="https://example.org/guide/"), (m.Paragraph((
        m.Link((m.Text("install"),), "docs/install.md"), m.Text(" and "), m.Link((m.Text("usage"),), "docs/usage.md"),
    )),))
    assert links.Targets.of(article).warnings(article) == [
        "2 links go to files beside the article (docs/install.md, …) that EPUB and DOCX cannot hold; they point to "
        "the same paths under https://example.org/guide/ in those"]
