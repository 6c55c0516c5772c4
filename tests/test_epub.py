"""The EPUB backend: epubcheck-clean packages whose metadata, nav, text, image and CSS read back as expected."""

from __future__ import annotations

import dataclasses
import datetime as dt
import importlib.util
import io
import posixpath
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

import pytest
from lxml import etree

from publish import model as m
from publish.backends import RenderContext, epub
from publish.build.resources import Resources
from publish.errors import RenderError
from publish.model import text
from publish.present.theme import load_theme

from validators import describe, run_epubcheck

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"
NS = {
    "c": "urn:oasis:names:tc:opendocument:xmlns:container",
    "opf": "http://www.idpf.org/2007/opf",
    "dc": "http://purl.org/dc/elements/1.1/",
    "x": "http://www.w3.org/1999/xhtml",
    "ncx": "http://www.daisy.org/z3986/2005/ncx/",
}


class Package:
    """An EPUB opened for reading: the ZIP, the package document and where it lives."""

    def __init__(self, data: bytes) -> None:
        self.zip = zipfile.ZipFile(io.BytesIO(data))
        container = etree.fromstring(self.zip.read("META-INF/container.xml"))
        self.opf_path = container.xpath("string(//c:rootfile/@full-path)", namespaces=NS)
        self.opf = etree.fromstring(self.zip.read(self.opf_path))
        self.base = posixpath.dirname(self.opf_path)

    def path(self, href: str) -> str:
        """The ZIP entry name of an href relative to the package document (fragment dropped)."""
        return posixpath.normpath(posixpath.join(self.base, href.split("#")[0]))

    def xml(self, href: str) -> etree._Element:
        return etree.fromstring(self.zip.read(self.path(href)))

    def dc(self, name: str) -> list[str]:
        return [el.text for el in self.opf.findall(f"opf:metadata/dc:{name}", NS)]

    def items(self, **where: str) -> list[etree._Element]:
        return [item for item in self.opf.findall("opf:manifest/opf:item", NS)
                if all(item.get(key.replace("_", "-")) == value for key, value in where.items())]

    def item(self, **where: str) -> etree._Element:
        found = self.items(**where)
        assert len(found) == 1, f"expected one manifest item with {where}, found {len(found)}"
        return found[0]

    def spine(self) -> list[etree._Element]:
        return self.opf.findall("opf:spine/opf:itemref", NS)

    def chapter(self) -> tuple[str, etree._Element]:
        """The href and root of the first linear spine document."""
        first = next(ref for ref in self.spine() if ref.get("linear", "yes") == "yes")
        href = self.item(id=first.get("idref"))
        return href.get("href"), self.xml(href.get("href"))


def render(article: m.Article, context: RenderContext) -> bytes:
    data = epub.render(article, context)
    assert isinstance(data, bytes)
    return data


def paragraphs(blocks: tuple[m.Block, ...]) -> Iterator[str]:
    """The plain text of every paragraph, nested ones included, in reading order."""
    for block in blocks:
        if isinstance(block, m.Paragraph):
            yield text.plain(block.content)
        elif isinstance(block, m.BlockQuote):
            yield from paragraphs(block.blocks)
        elif isinstance(block, (m.BulletList, m.OrderedList)):
            for item in block.items:
                yield from paragraphs(item)


def squeeze(value: str) -> str:
    return " ".join(value.split())


def undated(article: m.Article) -> m.Article:
    return dataclasses.replace(article, meta=dataclasses.replace(article.meta, published=None, updated=None))


# --- validation (one epubcheck run per distinct EPUB) ------------------------------------------------------


def test_tour_article_passes_epubcheck(tour_article: m.Article, context: RenderContext, tmp_path: Path) -> None:
    path = tmp_path / "tour.epub"
    path.write_bytes(render(tour_article, context))
    report = run_epubcheck(path)
    counts = report["checker"]
    assert (counts["nFatal"], counts["nError"], counts["nWarning"]) == (0, 0, 0), \
        "\n".join(describe(msg) for msg in report["messages"])
    assert report["publication"]["ePubVersion"].startswith("3")
    assert report["publication"]["isBackwardCompatible"], "the EPUB 2 NCX is missing"


@pytest.mark.skipif(importlib.util.find_spec("publish.readers.scraped") is None,
                    reason="publish.readers.scraped (the reader for samples/dar-bishkek.txt) is not written yet")
def test_seed_sample_passes_epubcheck(tmp_path: Path, context: RenderContext) -> None:
    from publish.readers import read_file

    article = read_file(SAMPLES / "dar-bishkek.txt").article
    path = tmp_path / "dar-bishkek.epub"
    path.write_bytes(render(article, RenderContext(theme=context.theme, resources=Resources(base_dir=SAMPLES))))
    counts = run_epubcheck(path)["checker"]
    assert (counts["nFatal"], counts["nError"], counts["nWarning"]) == (0, 0, 0)
    assert Package(path.read_bytes()).dc("title") == [article.meta.headline]


def test_urdu_article_is_right_to_left(tour_article: m.Article, context: RenderContext, tmp_path: Path) -> None:
    article = dataclasses.replace(tour_article, meta=dataclasses.replace(tour_article.meta, language="ur"))
    path = tmp_path / "urdu.epub"
    path.write_bytes(render(article, context))
    package = Package(path.read_bytes())
    assert package.opf.find("opf:spine", NS).get("page-progression-direction") == "rtl"
    _, chapter = package.chapter()
    assert chapter.get("dir") == "rtl"
    assert chapter.get("{http://www.w3.org/XML/1998/namespace}lang") == "ur"
    assert package.dc("language") == ["ur"]
    run_epubcheck(path)


def test_left_to_right_article_has_no_rtl_progression(tour_article: m.Article, context: RenderContext) -> None:
    package = Package(render(tour_article, context))
    assert package.opf.find("opf:spine", NS).get("page-progression-direction") in (None, "ltr")
    assert package.chapter()[1].get("dir") == "ltr"


# --- what the package holds ---------------------------------------------------------------------------------


def test_package_metadata(tour_article: m.Article, context: RenderContext) -> None:
    package = Package(render(tour_article, context))
    meta = tour_article.meta
    uid_id = package.opf.get("unique-identifier")
    identifier = package.opf.find(f"opf:metadata/dc:identifier[@id='{uid_id}']", NS)
    assert identifier is not None and identifier.text == meta.uid
    assert package.dc("title") == ["Harbour Authority Opens Night Ferry Line"]
    assert package.dc("language") == ["en"]
    assert package.dc("creator") == ["Amina Qureshi", "Tomás Ríos"]
    assert package.dc("date") == ["2024-06-12"]
    assert package.dc("subject") == ["transport", "ferries", "Karachi"]
    assert package.dc("publisher") == ["Harbour Daily"]
    assert package.dc("description") == ["A night ferry trial starts on Monday."]
    assert package.dc("rights") == ["© 2024 Harbour Daily"]
    assert package.dc("source") == ["https://news.example/harbour/night-ferry"]
    modified = package.opf.findall("opf:metadata/opf:meta[@property='dcterms:modified']", NS)
    assert [el.text for el in modified] == ["2024-06-13T04:30:00Z"]  # updated 09:30 at UTC+5


def test_source_is_the_creator_without_authors(tour_article: m.Article, context: RenderContext) -> None:
    article = dataclasses.replace(tour_article, meta=dataclasses.replace(tour_article.meta, authors=()))
    assert Package(render(article, context)).dc("creator") == ["Harbour Daily"]


def test_nav_lists_headline_then_subheads_with_working_links(tour_article: m.Article, context: RenderContext) -> None:
    package = Package(render(tour_article, context))
    nav_item = package.item(properties="nav")
    nav = package.xml(nav_item.get("href"))
    toc = nav.find(".//x:nav[@{http://www.idpf.org/2007/ops}type='toc']", NS)
    assert toc is not None
    links = toc.findall(".//x:a", NS)
    assert [squeeze("".join(a.itertext())) for a in links] == [
        "Harbour Authority Opens Night Ferry Line", "What riders get", "Timetable"]
    top = toc.findall("x:ol/x:li", NS)
    assert len(top) == 1, "the headline is the one top-level entry"
    assert [squeeze("".join(a.itertext())) for a in top[0].findall("x:ol//x:a", NS)] == ["What riders get", "Timetable"]
    nav_dir = posixpath.dirname(nav_item.get("href"))
    targets = []
    for a in links:
        href = posixpath.join(nav_dir, a.get("href"))
        document, _, fragment = href.partition("#")
        assert package.item(href=document).get("media-type") == "application/xhtml+xml"
        root = package.xml(document)
        found = root.xpath("//*[@id=$id]", id=fragment) if fragment else [root]
        assert len(found) == 1, f"{href}: no element with id {fragment!r}"
        targets.append(found[0])
    assert [targets[0].tag] + [squeeze("".join(t.itertext())) for t in targets[1:]] == [
        f"{{{NS['x']}}}html", "What riders get", "Timetable"]
    ncx = package.xml(package.item(media_type="application/x-dtbncx+xml").get("href"))
    assert [squeeze(t) for t in ncx.xpath("//ncx:navPoint/ncx:navLabel/ncx:text/text()", namespaces=NS)] == [
        "Harbour Authority Opens Night Ferry Line", "What riders get", "Timetable"]


def test_chapter_has_every_paragraph_in_order(tour_article: m.Article, context: RenderContext) -> None:
    package = Package(render(tour_article, context))
    assert [ref.get("linear", "yes") for ref in package.spine()] == ["yes"]
    _, chapter = package.chapter()
    body = squeeze("".join(chapter.find("x:body", NS).itertext()))
    expected = list(paragraphs(tour_article.blocks))
    assert len(expected) == 9
    position = 0
    for paragraph in expected:
        for line in paragraph.split("\n"):  # a line break is <br/>: no text between the lines
            found = body.find(squeeze(line), position)
            assert found >= 0, f"{line!r} is missing or out of order"
            position = found + len(squeeze(line))


def test_image_is_packaged_once_with_its_alt_text(tour_article: m.Article, context: RenderContext) -> None:
    figure = next(b for b in tour_article.blocks if isinstance(b, m.Figure))
    twice = dataclasses.replace(tour_article, blocks=(figure, figure))
    package = Package(render(twice, context))
    images = [item for item in package.items() if item.get("media-type").startswith("image/")]
    assert len(images) == 1
    assert images[0].get("media-type") == "image/png"
    assert package.zip.read(package.path(images[0].get("href"))) == (SAMPLES / figure.src).read_bytes()
    href, chapter = package.chapter()
    imgs = chapter.findall(".//x:img", NS)
    assert len(imgs) == 2
    for img in imgs:
        assert img.get("alt") == "Tower blocks behind the water at dawn, a ferry in the foreground"
        src = posixpath.join(posixpath.dirname(href), img.get("src"))
        assert src.startswith("images/") and package.path(src) == package.path(images[0].get("href"))


def test_stylesheet_is_linked_and_carries_the_theme(tour_article: m.Article, context: RenderContext) -> None:
    package = Package(render(tour_article, context))
    href, chapter = package.chapter()
    links = chapter.findall("x:head/x:link[@rel='stylesheet']", NS)
    assert [link.get("href") for link in links] == ["style.css"]
    css_href = posixpath.join(posixpath.dirname(href), links[0].get("href"))
    assert package.item(href=css_href).get("media-type") == "text/css"
    css = package.zip.read(package.path(css_href)).decode("utf-8")
    assert context.theme.colors.accent in css
    assert "@page" not in css, "the EPUB takes the screen CSS, not the paged-media rules"


# --- reproducibility and the modification time -------------------------------------------------------------


def test_same_article_gives_the_same_bytes(tour_article: m.Article, context: RenderContext,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1718000000")
    article = undated(tour_article)
    first = render(article, context)
    second = render(article, RenderContext(theme=context.theme, resources=Resources(base_dir=SAMPLES)))
    assert first == second
    package = Package(first)
    modified = package.opf.find("opf:metadata/opf:meta[@property='dcterms:modified']", NS)
    assert modified is not None and modified.text == "2024-06-10T06:13:20Z"
    entries = package.zip.infolist()
    assert entries[0].filename == "mimetype" and entries[0].compress_type == zipfile.ZIP_STORED
    assert package.zip.read("mimetype") == b"application/epub+zip"
    assert {entry.date_time for entry in entries} == {(2024, 6, 10, 6, 13, 20)}


def test_modified_time_prefers_the_article_dates(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1718000000")
    meta = m.Meta(headline="H", published=dt.date(2024, 1, 2),
                  updated=dt.datetime(2024, 1, 3, 12, 0, 59, 999, tzinfo=dt.timezone(dt.timedelta(hours=-2))))
    assert epub.modified_time(meta.updated) == dt.datetime(2024, 1, 3, 14, 0, 59, tzinfo=dt.UTC)
    assert epub.modified_time(meta.published) == dt.datetime(2024, 1, 2, tzinfo=dt.UTC)
    assert epub.modified_time(None) == dt.datetime(2024, 6, 10, 6, 13, 20, tzinfo=dt.UTC)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "yesterday")
    with pytest.raises(RenderError, match="SOURCE_DATE_EPOCH"):
        epub.modified_time(None)
    monkeypatch.delenv("SOURCE_DATE_EPOCH")
    now = dt.datetime.now(dt.UTC)
    assert abs(epub.modified_time(None) - now) < dt.timedelta(seconds=5)


# --- what cannot be rendered ---------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Marquee:
    """A block type the model does not have."""

    kind: ClassVar[str] = "marquee"
    text: str


def test_unknown_block_is_an_error_naming_it(tour_article: m.Article, context: RenderContext) -> None:
    article = dataclasses.replace(tour_article, blocks=(*tour_article.blocks, Marquee("scrolling")))  # type: ignore[arg-type]
    with pytest.raises(RenderError, match="Marquee"):
        epub.render(article, context)


def test_article_without_headline_is_refused(tour_article: m.Article, context: RenderContext) -> None:
    article = dataclasses.replace(tour_article, meta=dataclasses.replace(tour_article.meta, headline=" "))
    with pytest.raises(RenderError, match="headline"):
        epub.render(article, context)


def test_malformed_chapter_from_a_theme_override_is_an_error(tour_article: m.Article, context: RenderContext,
                                                            tmp_path: Path) -> None:
    (tmp_path / "theme.toml").write_text((context.theme.folder / "theme.toml").read_text(encoding="utf-8"),
                                         encoding="utf-8")
    (tmp_path / "epub").mkdir()
    (tmp_path / "epub" / "chapter.xhtml.j2").write_text(
        '<html xmlns="http://www.w3.org/1999/xhtml">\n<body><p>{{ meta.headline }}</body></html>\n', encoding="utf-8")
    override = RenderContext(theme=load_theme(str(tmp_path)), resources=context.resources)
    with pytest.raises(RenderError, match="not well-formed") as caught:
        epub.render(tour_article, override)
    assert caught.value.line == 2
