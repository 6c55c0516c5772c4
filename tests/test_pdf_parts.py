"""A collection's PDF laid out in parts and stitched (publish.backends.pdfparts) reads like the single pass: the same
pages and text on each, bookmarks, links, metadata; tagged when PDF/UA is asked for; reproducible; and it checks."""

from __future__ import annotations

import dataclasses
import io
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pikepdf
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pypdf import PdfReader

from publish.backends import RenderContext, pdfengine, pdfparts
from publish.backends import html as html_backend
from publish.backends import pdf as pdf_backend
from publish.build import cache
from publish.build.resources import Resources
from publish.present import hyphenation, pagination
from publish.present.theme import load_theme
from publish.readers import collection

from conftest import ROOT, SAMPLES

BRIEF = SAMPLES / "morning-brief.yaml"
BUILDS = [("sections", "default", False, "", 12), ("articles", "default", True, "", 12),
          ("articles-ua", "default", True, "pdf/ua-1", 12), ("grouped-ua", "default", True, "pdf/ua-1", 2),
          ("brief-sections", "brief", False, "", 12), ("brief-articles", "brief", True, "", 12)]
"""Per build: name, theme (both built-in ones hyphenate), --article-break, --pdf-variant, parts at most (2: two
parts of several articles each, one starting mid-section; 12: as many parts as articles)."""


def _context(article_break: bool, variant: str, theme: str = "default", templates: tuple[Path, ...] = (),
             ) -> tuple[Any, RenderContext]:
    loaded = collection.without_duplicates(collection.load_manifest(BRIEF))
    chosen = load_theme(theme, templates=templates)
    context = RenderContext(theme=chosen, resources=Resources(base_dir=loaded.folder, roots=(chosen.folder,)),
                            article_break=article_break, pdf_variant=variant, pdf_parts="on")
    return loaded.collection, context


@dataclasses.dataclass
class Decisions:
    """What a layout decided for the whole document: per layout (or round of the parts' layouts), the words found
    hyphenated where a typesetter would not and whether a figure was scaled; and whether it was set tighter
    (None: not tried)."""

    rounds: list[tuple[frozenset[str], bool]] = dataclasses.field(default_factory=list)
    copyfit: bool | None = None


def stitch_watched(brief: Any, context: RenderContext, parts: int = pdfparts.PARTS,
                   ) -> tuple[bytes, Decisions]:
    """The brief laid out in parts and stitched, with the parent's decisions."""
    decisions = Decisions()
    run = pdfparts._Schedule.run

    def watched(self: Any) -> Any:
        try:
            return run(self)
        finally:
            decisions.rounds, decisions.copyfit = self.rounds, self.copyfit

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(pdfparts, "PARTS", parts)
        patch.setattr(pdfparts._Schedule, "run", watched)
        stitched = pdfparts.render(brief, pdf_backend.print_html(brief, context), context)
    assert stitched is not None, "the brief was not laid out in parts"
    return stitched, decisions


def single_watched(brief: Any, context: RenderContext) -> tuple[bytes, Decisions]:
    """The brief laid out in one pass, with its decisions."""
    decisions = Decisions()
    unwanted, fit, near_empty = pagination.unwanted_breaks, pagination.fit_figures, pagination.last_page_near_empty
    render = pdfengine.weasyprint.HTML.render
    layouts: list[int] = []
    tried = False

    def watched_render(html: Any, *args: Any, **kwargs: Any) -> Any:
        document = render(html, *args, **kwargs)
        layouts.append(len(document.pages))
        return document

    def watched_unwanted(pages: list[Any]) -> frozenset[str]:
        found = unwanted(pages)
        decisions.rounds.append((found, False))
        return found

    def watched_fit(pages: list[Any]) -> pagination.Restyled:
        fitted = fit(pages)
        if len(decisions.rounds) < len(layouts):  # a theme that does not hyphenate
            decisions.rounds.append((frozenset(), False))
        decisions.rounds[-1] = (decisions.rounds[-1][0], bool(fitted))
        return fitted

    def watched_near_empty(pages: list[Any]) -> bool:
        nonlocal tried
        tried = near_empty(pages)
        return tried

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(pdfengine.weasyprint.HTML, "render", watched_render)
        patch.setattr(pagination, "unwanted_breaks", watched_unwanted)
        patch.setattr(pagination, "fit_figures", watched_fit)
        patch.setattr(pagination, "last_page_near_empty", watched_near_empty)
        single = pdf_backend.render(brief, dataclasses.replace(context, pdf_parts="off"))
    decisions.copyfit = layouts[-1] < layouts[-2] if tried else None  # a tighter layout is kept if a page goes
    return single, decisions


@pytest.fixture(scope="module", autouse=True)
def _no_cache() -> Any:
    """Every part laid out here, none taken from the cache: these tests change publish's settings (the lines of a
    near-empty page, the rules that keep words whole), which the cache's keys do not hold (they hold publish's
    code; tests/test_rebuilds.py tests the cache)."""
    with cache.turned_off():
        yield


@pytest.fixture(scope="module", params=BUILDS, ids=[b[0] for b in BUILDS])
def both(request: pytest.FixtureRequest) -> tuple[bytes, bytes, str, Decisions, Decisions]:
    """The brief stitched from parts, and laid out in one pass: (stitched, single, variant, and the decisions of
    each)."""
    _, theme, article_break, variant, parts = request.param
    brief, context = _context(article_break, variant, theme)
    stitched, parted = stitch_watched(brief, context, parts)
    single, once = single_watched(brief, context)
    return stitched, single, variant, parted, once


def page_texts(pdf: bytes, tmp: Path) -> list[str]:
    """pdftotext's text of each page, whitespace normalised."""
    path = tmp / "x.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout
    return [" ".join(page.split()) for page in text.split("\f")]


def outline(pdf: bytes) -> list[tuple[int, str, int]]:
    """Every bookmark: depth, title and target page (from 0)."""
    reader = PdfReader(io.BytesIO(pdf))

    def walk(items: list[Any], depth: int) -> list[tuple[int, str, int]]:
        out: list[tuple[int, str, int]] = []
        for item in items:
            if isinstance(item, list):
                out += walk(item, depth + 1)
            else:
                out.append((depth, item.title, reader.get_destination_page_number(item)))
        return out

    return walk(reader.outline, 0)


def internal_links(pdf: bytes) -> list[tuple[int, str, int]]:
    """Every internal link: its page, the destination's name and the page that destination is on."""
    reader = PdfReader(io.BytesIO(pdf))
    named = reader.named_destinations
    links = []
    for number, page in enumerate(reader.pages):
        for annotation in page.get("/Annots") or []:
            annotation = annotation.get_object()
            target = annotation.get("/Dest")
            if target is None and "/A" in annotation:
                target = annotation["/A"].get("/D")
            if isinstance(target, str):
                assert target in named, f"link on page {number + 1} to {target!r}, which is nowhere"
                links.append((number, target, reader.get_destination_page_number(named[target])))
    return links


def test_stitched_brief_has_the_single_pass_pages(both: Both, tmp_path: Path) -> None:
    stitched, single, *_ = both
    assert len(PdfReader(io.BytesIO(stitched)).pages) == len(PdfReader(io.BytesIO(single)).pages)
    mine, theirs = page_texts(stitched, tmp_path), page_texts(single, tmp_path)
    for number, (a, b) in enumerate(zip(mine, theirs, strict=True), 1):
        assert a == b, f"page {number} differs"
    assert any(HYPHENATED.search(page) for page in theirs), "the theme hyphenates the brief"
    contents = mine[1]
    assert re.search(r"Morning Brief|Contents", contents) and re.search(r"\. \d+", contents), \
        "the contents shows page numbers"
    total = len(mine) - 1  # pdftotext ends with a form feed
    assert f"Page {total} of {total}" in mine[-2]


Both = tuple[bytes, bytes, str, Decisions, Decisions]
HYPHENATED = re.compile("\\w\u2010 ")
"""A word hyphenated at a line's end, as pdftotext gives it (the print CSS's hyphenate-character, U+2010)."""


def test_parts_decide_as_the_single_pass_does(both: Both) -> None:
    """The parts find what the single pass finds, round by round, and copyfit alike; no layout is redone for
    hyphenation: no page ends in a hyphen and no paragraph in a broken word's end after the first layout (a second
    one comes only for a figure scaled to fit)."""
    *_, parted, once = both
    assert parted.rounds == once.rounds
    assert [words for words, _ in once.rounds] == [frozenset()] * len(once.rounds)
    assert len(once.rounds) == 1 + once.rounds[0][1]
    assert parted.copyfit == once.copyfit


def test_parts_keep_words_whole_as_the_single_pass_does(tmp_path: Path) -> None:
    """With the rules that keep words whole before and during the layout off (a paragraph's last word marked
    beforehand, a page's hyphenated last line moved on: publish.present.hyphenation.last_words_kept_whole and
    last_words_kept_whole_in_piece,
    publish.backends.pdfengine.MOVE_HYPHENATED_LINES), the single pass lays the brief out again to keep whole the words
    it hyphenated across a page or as a paragraph's last word; the parts find the same words in the same rounds,
    decided for the whole document, and the stitched pages are the single pass's. (This is the path a break moved
    by `break-after: avoid` takes.)"""
    brief, context = _context(False, "")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(pdfengine, "MOVE_HYPHENATED_LINES", False)
        patch.setattr(hyphenation, "last_words_kept_whole", lambda html, shortest: html)
        patch.setattr(hyphenation, "last_words_kept_whole_in_piece", lambda html, shortest: html)  # a collection's
        stitched, parted = stitch_watched(brief, context)
        single, once = single_watched(brief, context)
    assert len(once.rounds) > 1 and once.rounds[0][0], "the single pass kept words whole in a second layout"
    assert parted.rounds == once.rounds
    assert parted.copyfit == once.copyfit
    assert page_texts(stitched, tmp_path) == page_texts(single, tmp_path)


def page_images(pdf: bytes, tmp: Path, stem: str) -> list[bytes]:
    """Each page drawn by poppler at 30 dpi, as raw pixels."""
    from PIL import Image

    path = tmp / f"{stem}.pdf"
    path.write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", "30", "-png", str(path), str(tmp / stem)], check=True)
    return [Image.open(png).convert("RGB").tobytes() for png in sorted(tmp.glob(f"{stem}-*.png"))]


def test_stitched_brief_looks_like_the_single_pass(both: Both, tmp_path: Path) -> None:
    stitched, single, *_ = both
    mine, theirs = page_images(stitched, tmp_path, "stitched"), page_images(single, tmp_path, "single")
    assert len(mine) == len(theirs)
    assert [n for n, (a, b) in enumerate(zip(mine, theirs, strict=True), 1) if a != b] == [], "pages drawn differently"


def embedded_fonts(pdf: bytes) -> list[str]:
    """The name of every embedded font program, once per font object."""
    reader = PdfReader(io.BytesIO(pdf))
    found: dict[int, str] = {}
    for page in reader.pages:
        for ref in page["/Resources"]["/Font"].values():
            found[ref.idnum] = str(ref.get_object()["/BaseFont"])
    return sorted(found.values())


def test_stitched_brief_embeds_each_font_once(both: Both) -> None:
    stitched, single, *_ = both
    assert embedded_fonts(stitched) == embedded_fonts(single)


def test_stitched_brief_has_the_single_pass_bookmarks_and_links(both: Both) -> None:
    stitched, single, *_ = both
    assert outline(stitched) == outline(single)
    assert {0, 1, 2} <= {depth for depth, _, _ in outline(stitched)}, "sections > articles > subheads"
    links = internal_links(stitched)
    assert links == internal_links(single)
    assert any(page == 1 and target > 2 for page, _, target in links), "contents entries reach later parts"


def test_stitched_brief_keeps_the_document_metadata(both: Both) -> None:
    stitched, single, *_ = both
    mine, theirs = pikepdf.open(io.BytesIO(stitched)), pikepdf.open(io.BytesIO(single))
    assert str(mine.Root.Lang) == str(theirs.Root.Lang) == "en"
    for key in ("/Title", "/Author", "/Subject", "/Keywords", "/CreationDate", "/ModDate", "/Creator"):
        assert str(mine.docinfo[key]) == str(theirs.docinfo[key]), key
    assert str(mine.docinfo["/Title"]) == "Morning Brief"
    if "/Metadata" in theirs.Root:
        assert mine.open_metadata().get("dc:title") == theirs.open_metadata().get("dc:title") == "Morning Brief"


def _elements(element: Any, seen: set[tuple[int, int]]) -> list[Any]:
    if not isinstance(element, pikepdf.Dictionary) or element.objgen in seen:
        return []
    seen.add(element.objgen)
    kids = element.get("/K")
    found = [element]
    for kid in kids if isinstance(kids, pikepdf.Array) else [kids]:
        found += _elements(kid, seen)
    return found


def test_stitched_pdf_ua_is_tagged(both: Both) -> None:
    stitched, single, variant, *_ = both
    if variant != "pdf/ua-1":
        pytest.skip("only a tagged variant has a structure tree")
    pdf = pikepdf.open(io.BytesIO(stitched))
    assert bool(pdf.Root.MarkInfo.Marked) and str(pdf.Root.Lang) == "en"
    tree = pdf.Root.StructTreeRoot
    parents = dict(pikepdf.NumberTree(tree.ParentTree).items())
    pages = {page.obj.objgen: number for number, page in enumerate(pdf.pages)}
    elements = _elements(tree.K[0], set())
    for number, page in enumerate(pdf.pages):
        key = int(page.obj.StructParents)
        assert key in parents, f"page {number + 1}: /StructParents {key} is not in the parent tree"
        for element in parents[key]:
            if isinstance(element, pikepdf.Dictionary):
                assert pages[element.Pg.objgen] == number, "the parent tree points at an element on another page"
        for annotation in page.obj.get("/Annots", []):
            assert int(annotation.StructParent) in parents
    assert all(e.Pg.objgen in pages for e in elements if "/Pg" in e), "an element is on a page that is not there"
    figures = [e for e in elements if e.get("/S") == "/Figure"]
    theirs = pikepdf.open(io.BytesIO(single))
    single_elements = _elements(theirs.Root.StructTreeRoot.K[0], set())
    single_figures = [e for e in single_elements if e.get("/S") == "/Figure"]
    assert figures and all(str(e.get("/Alt", "")) for e in figures)
    assert [str(e.Alt) for e in figures] == [str(e.Alt) for e in single_figures]
    assert [str(e.get("/S")) for e in elements] == [str(e.get("/S")) for e in single_elements]
    assert int(tree.ParentTreeNextKey) > max(parents)


def test_running_heads_carry_across_parts(tmp_path: Path) -> None:
    """A running head set once per section (the section's title) still heads the pages of the section's later
    articles, which are laid out in other parts than the title."""
    (tmp_path / "collection-print.css.j2").write_text(
        '{% include "builtin/collection-print.css.j2" %}\n'
        "@page { @top-right { content: string(running-section); } }\n", encoding="utf-8")
    brief, context = _context(True, "", templates=(tmp_path,))
    stitched = pdfparts.render(brief, pdf_backend.print_html(brief, context), context)
    assert stitched is not None
    single = pdf_backend.render(brief, dataclasses.replace(context, pdf_parts="off"))
    mine, theirs = page_texts(stitched, tmp_path), page_texts(single, tmp_path)
    assert mine == theirs
    # (the box is the embargo's, which sets it in capitals)
    assert sum("city" in page.split(" Page ")[0][:200].casefold() for page in mine) >= 3, "the section heads its pages"


def test_stitched_builds_are_byte_identical(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1718150400")
    brief, context = _context(True, "")
    html = html_backend.render(brief, context)
    assert pdfparts.render(brief, html, context) == pdfparts.render(brief, html, context)


@pytest.mark.parametrize("variant", ["", "pdf/ua-1"])
def test_parts_opened_as_they_come_stitch_to_the_bytes_of_parts_opened_after(variant: str,
                                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """The parent opens each part's PDF and reads its pages as soon as the part comes back, while the others are
    still made; the stitch from those is the stitch from the parts' bytes alone (tagged or not)."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1718150400")
    brief, context = _context(True, variant)
    laid_out: list[pdfparts.Laid] = []
    stitch = pdfparts.stitch

    def kept(laid: pdfparts.Laid) -> bytes:
        laid_out.append(laid)
        return stitch(laid)

    monkeypatch.setattr(pdfparts, "stitch", kept)
    stitched = pdfparts.render(brief, html_backend.render(brief, context, for_pdf=True), context)
    (laid,) = laid_out
    assert len(laid.opened) == len(laid.body) + 1 and all(part is not None for part in laid.opened)
    assert stitched == stitch(pdfparts.Laid(laid.front, laid.front_pages, laid.body, laid.levels))


def test_a_brief_is_cut_alike_whatever_the_cores(monkeypatch: pytest.MonkeyPatch) -> None:
    """A part's layout is kept in the cache under its HTML, so the cut does not depend on the machine (machines
    sharing a cache folder find each other's parts): built as if on one core and on three, the brief is laid out in
    the same parts, and stitched into the same bytes."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1718150400")
    monkeypatch.setattr(pdfparts, "PARTS", 3)
    brief, context = _context(True, "")
    html = html_backend.render(brief, context)
    cut, parts, built = pdfparts.cut, [], []

    def counted(*args: Any) -> pdfparts.Cut:
        piece = cut(*args)
        parts.append(len(piece.units))
        return piece

    monkeypatch.setattr(pdfparts, "cut", counted)
    for cores in (1, 3):
        monkeypatch.setattr(pdfparts, "_cores", lambda cores=cores: cores)
        built.append(pdfparts.render(brief, html, context))
    assert parts == [3, 3] and len(brief.articles) > 3
    assert built[0] is not None and built[0] == built[1]


def _subset(font: Path, text: str, order: list[str] | None = None) -> bytes:
    """A subset of `font` holding `text`'s glyphs at their ids, as WeasyPrint's subsets do; its tables in `order`
    (HarfBuzz writes a subset's tables smallest first, so their order changes with the glyphs it holds)."""
    from fontTools import subset
    from fontTools.ttLib import TTFont, ttFont

    options = subset.Options()
    options.retain_gids = True
    options.layout_features = []
    with TTFont(font, recalcTimestamp=False) as whole:
        subsetter = subset.Subsetter(options)
        subsetter.populate(text=text)
        subsetter.subset(whole)
        saved = io.BytesIO()
        whole.save(saved)
    if order is None:
        return saved.getvalue()
    reordered = io.BytesIO()
    ttFont.reorderFontTables(io.BytesIO(saved.getvalue()), reordered, order)
    return reordered.getvalue()


def test_a_merged_font_is_the_same_bytes_whatever_order_its_subsets_tables_came_in(tmp_path: Path) -> None:
    """A rebuild found a merged font in the cache that a cut of other subsets had made: same glyphs, but the
    largest subset's tables (whose order the merged program kept) came in another order, so the PDF differed from
    a cold build's by its font. The merged program must be a function of the union of glyphs alone."""
    found = subprocess.run(["fc-match", "-f", "%{file}", "Noto Sans"], capture_output=True, text=True,
                           check=True).stdout
    font = Path(found)
    assert font.suffix == ".ttf" and font.is_file(), found
    text = "The quick brown fox jumps over the lazy dog"
    glyf_first = _subset(font, text, ["head", "glyf", "loca", "cmap"])
    loca_first = _subset(font, text, ["head", "loca", "glyf", "cmap"])
    tables = [sorted(pdfparts._table_directory(program) or {}, key=lambda tag, program=program:
                     (pdfparts._table_directory(program) or {})[tag][1]) for program in (glyf_first, loca_first)]
    assert tables[0] != tables[1] and set(tables[0]) == set(tables[1])
    other = _subset(font, "Hello")
    merged = {pdfparts._merged_program([largest, other]) for largest in (glyf_first, loca_first)}
    merged |= {pdfparts._merged_program([other, largest]) for largest in (glyf_first, loca_first)}
    assert None not in merged
    assert len(merged) == 1


@pytest.mark.parametrize("family", ["Noto Sans", "DejaVu Sans"])  # DejaVu's subsets keep a MATH table
def test_a_merged_font_is_the_same_bytes_however_its_glyphs_were_shared_out(family: str) -> None:
    """The subsets of one cut merged give what the subsets of another cut with the same glyphs give, and what one
    subset of all of them gives: no table of the merged program may be the largest subset's own."""
    found = subprocess.run(["fc-match", "-f", "%{file}", family], capture_output=True, text=True,
                           check=True).stdout
    font = Path(found)
    assert font.suffix == ".ttf" and font.is_file(), found
    whole = _subset(font, "Headlines (of) the morning: ∑ ∫ √ quick brown fox")  # sum, integral, root: in MATH
    cuts = [[whole], [_subset(font, "Headlines (of) the"), _subset(font, "morning: ∑ ∫ √ quick brown fox")],
            [_subset(font, "Hd∑("), _subset(font, "eadlines of) the morning: ∫ √ quick brown fox")]]
    merged = {pdfparts._merged_program(programs) for cut in cuts for programs in (cut, cut[::-1])}
    assert None not in merged
    assert len(merged) == 1


GROUPS_AND_GRADIENTS = (
    '{% include "builtin/collection-print.css.j2" %}\n'
    ".article h2 { opacity: 0.85; }\n"
    ".article-header { background: linear-gradient(#ffffff, #e8eef4); }\n"
    "blockquote { background: radial-gradient(#ffffff, #f0f0f0); }\n")
"""Styles for which WeasyPrint draws groups, patterns, shadings and graphics states, which it names by a count
through the document (through the part, when laid out in parts)."""


@pytest.mark.parametrize("variant", ["", "pdf/ua-1"])
@pytest.mark.parametrize("styles", ["theme", "gradients"])
def test_a_briefs_pdf_is_the_same_bytes_however_it_is_cut(variant: str, styles: str, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """Where the brief is cut into parts leaves no trace in its PDF: each page names only the fonts, images and
    graphics states it uses, each font is one program made from the union of its subsets, each image, form and
    pattern is embedded once, and the objects, the resources WeasyPrint counts, the structure tree's keys and its
    table cells' IDs are numbered in the document's order. So a rebuild may lay out the articles in other groups
    than the build before and still write its bytes. Built in two, three and seven parts (one per article), the
    brief is the same bytes, and draws the single pass's pages."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1718150400")
    templates: tuple[Path, ...] = ()
    if styles == "gradients":
        (tmp_path / "collection-print.css.j2").write_text(GROUPS_AND_GRADIENTS, encoding="utf-8")
        templates = (tmp_path,)
    brief, context = _context(True, variant, templates=templates)
    html = pdf_backend.print_html(brief, context)
    built = {}
    for parts in (2, 3, len(brief.articles)):
        monkeypatch.setattr(pdfparts, "PARTS", parts)
        built[parts] = pdfparts.render(brief, html, context)
    assert len(brief.articles) == 7 and all(data is not None for data in built.values())
    assert len(set(built.values())) == 1, {parts: len(data or b"") for parts, data in built.items()}
    with pikepdf.open(io.BytesIO(built[2])) as pdf:
        if styles == "gradients":
            assert any("/Pattern" in page.obj.Resources for page in pdf.pages), "the styles drew no pattern"
        drawn = [o for o in pdf.objects if isinstance(o, pikepdf.Stream) and o.get("/Subtype") in ("/Image", "/Form")]
        assert len({pdfparts._content_key(o, {}) for o in drawn}) == len(drawn)  # none twice
        for page in pdf.pages:
            fonts = page.obj.Resources.get("/Font", {})
            content = b"".join(s.read_bytes() for s in page.obj.Contents) \
                if isinstance(page.obj.Contents, pikepdf.Array) else page.obj.Contents.read_bytes()
            assert all(name.encode() in content for name in fonts)  # only what the page uses
    if styles == "gradients" and not variant:
        single = pdf_backend.render(brief, dataclasses.replace(context, pdf_parts="off"))
        mine, theirs = page_images(built[2], tmp_path, "stitched"), page_images(single, tmp_path, "single")
        assert len(mine) == len(theirs)
        assert [n for n, (a, b) in enumerate(zip(mine, theirs, strict=True), 1) if a != b] == []


def test_the_streams_around_each_page_are_one_object_each(both: Both) -> None:
    """Each body page is drawn between two small streams that set its margin boxes apart (`_laid_over`): one
    object each in the whole PDF, not one per page or per part, and each page names its margin boxes' form in
    resources of its own."""
    stitched, _, variant, _, _ = both
    if variant:
        pytest.skip("a PDF variant's pages are written with their margin boxes")
    pdf = pikepdf.open(io.BytesIO(stitched))
    wrapped = [page for page in pdf.pages if isinstance(page.obj.get("/Contents"), pikepdf.Array)]
    assert len(wrapped) > len(pdf.pages) // 2
    assert len({page.obj.Contents[0].objgen for page in wrapped}) == 1
    assert len({page.obj.Contents[-1].objgen for page in wrapped}) == 1
    assert wrapped[0].obj.Contents[-1].read_bytes() == b"Q /PublishFurniture Do\n"
    assert all([name for name in page.obj.Resources.XObject if name.startswith("/PublishFurniture")]
               == ["/PublishFurniture"] for page in wrapped)


def test_a_theme_with_sided_pages_is_laid_out_in_one_pass() -> None:
    brief, context = _context(True, "", theme="digest")  # page numbers on the outside corners, wider outer margin
    assert not pdfparts.usable(brief, context)
    assert pdfparts.render(brief, html_backend.render(brief, context), context) is None
    brief, context = _context(True, "")
    assert pdfparts.usable(brief, dataclasses.replace(context, pdf_parts="on"))
    assert not pdfparts.usable(brief, dataclasses.replace(context, pdf_parts="auto")), "too small to gain"


def test_parts_are_the_default_for_a_large_collection() -> None:
    """`auto` is the default everywhere (command line, API, build options): parts for a collection of
    AUTO_ARTICLES articles or more (whatever the cores), one pass for a smaller one or a sided theme, and
    one pass for each input of a batch, which keeps the cores busy already."""
    from publish import cli
    from publish.build import batch
    from publish.build.jobs import BuildOptions

    brief, context = _context(True, "")
    defaults = RenderContext(theme=context.theme, resources=context.resources, article_break=True)
    assert defaults.pdf_parts == BuildOptions().pdf_parts == "auto"
    assert cli._parser().parse_args(["build", "x.md"]).pdf_parts == "auto"
    articles = brief.articles * (pdfparts.AUTO_ARTICLES // len(brief.articles) + 1)
    large = dataclasses.replace(brief, sections=(dataclasses.replace(brief.sections[0], articles=articles),))
    assert not pdfparts.usable(brief, defaults), "too small to gain"
    assert pdfparts.usable(large, defaults)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(pdfparts, "_cores", lambda: 1)
        assert pdfparts.usable(large, defaults), "on one core too"
    _, sided = _context(True, "", theme="digest")
    assert not pdfparts.usable(large, dataclasses.replace(sided, pdf_parts="auto"))
    assert batch._one_of_many(BuildOptions()).pdf_parts == "off"
    assert batch._one_of_many(BuildOptions(pdf_parts="on")).pdf_parts == "on"


def test_contents_numbers_in_another_style_match(tmp_path: Path) -> None:
    """Contents numbers the stitcher cannot give literally (here zero-padded) come from stub pages numbered as the
    articles' pages, through the theme's own target-counter()."""
    (tmp_path / "collection-print.css.j2").write_text(
        '{% include "builtin/collection-print.css.j2" %}\n'
        '.toc-article a::after { content: leader(".") " p. " target-counter(attr(href url), page, '
        "decimal-leading-zero); }\n", encoding="utf-8")
    brief, context = _context(True, "", templates=(tmp_path,))
    html = html_backend.render(brief, context)
    assert not pdfparts._literal_numbers(pdfparts.cut(html, True, 2))
    stitched = pdfparts.render(brief, html, context)
    assert stitched is not None
    single = pdf_backend.render(brief, dataclasses.replace(context, pdf_parts="off"))
    mine = page_texts(stitched, tmp_path)
    assert mine == page_texts(single, tmp_path)
    assert re.search(r"p\. 0[3-9]", mine[1]), "the contents shows zero-padded page numbers"
    assert internal_links(stitched) == internal_links(single)


def test_styles_that_flow_across_parts_are_laid_out_in_one_pass(tmp_path: Path) -> None:
    """Figures numbered through the whole collection cannot be numbered part by part: one pass."""
    (tmp_path / "collection-print.css.j2").write_text(
        '{% include "builtin/collection-print.css.j2" %}\n'
        'figure { counter-increment: figure; } figcaption::before { content: "Figure " counter(figure) ". "; }\n',
        encoding="utf-8")
    brief, context = _context(True, "", templates=(tmp_path,))
    assert pdfparts.render(brief, html_backend.render(brief, context), context) is None


def test_cut_gives_every_article_to_one_part() -> None:
    brief, context = _context(True, "")
    html = html_backend.render(brief, context)
    piece = pdfparts.cut(html, by_article=True, parts=3)
    assert len(piece.units) == 3
    ids = [e.get("id") for unit in piece.units for e in unit if e.tag == "article"]
    assert ids == [f"a{n}" for n in range(1, len(brief.articles) + 1)]
    for index in range(3):  # a part shows its own articles and leaves the others empty
        part = pdfparts.part_html(piece, index)
        shown = {e.get("id") for e in piece.units[index] if e.tag == "article"}
        assert set(re.findall(r'<article class="article" id="(a\d+)"', part)) == shown
    assert pdfparts.part_html(piece, 0) != html and html_backend.render(brief, context) == html
    assert pdfparts._literal_numbers(piece), "the built-in contents' numbers are given literally"


def test_a_grown_article_leaves_the_other_parts_as_they_were() -> None:
    """Where the parts of a brief with --article-break end does not depend on the articles' lengths: after the
    first article grows by several pages, every article is in the part it was in (so a rebuild lays out that
    part again and only numbers the others anew)."""
    brief, context = _context(True, "")
    html = html_backend.render(brief, context)

    def parts(text: str) -> list[list[str]]:
        return [[e.get("id") for e in unit if e.tag == "article"] for unit in pdfparts.cut(text, True, 3).units]

    paragraph = "<p>" + "The desk added a long paragraph of background to the first story. " * 12 + "</p>"
    grown = html.replace("</article>", paragraph * 60 + "</article>", 1)
    assert len(grown) > len(html) * 1.5
    assert parts(grown) == parts(html) and len(parts(html)) == 3


def test_publish_check_passes_on_a_stitched_brief(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "publish", "build", str(BRIEF), "--to", "pdf", "--pdf-parts", "on",
                           "--article-break", "--pdf-variant", "pdf/ua-1", "--out", str(tmp_path), "--check"],
                          capture_output=True, text=True, cwd=ROOT, timeout=600, check=False)
    assert done.returncode == 0, done.stderr
    assert re.search(r"morning-brief\.pdf: 12 pages, .*declares PDF/UA-1, all [\d,]+ words in order", done.stdout)
    assert (tmp_path / "morning-brief.pdf").is_file()


@pytest.mark.parametrize("tighter", [False, True], ids=["kept-as-it-was", "set-tighter"])
def test_copyfit_decided_for_the_whole_document(tighter: bool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                ) -> None:
    """When the last page holds a few lines, the single pass sets the last story a little tighter and keeps that if
    a page goes; the parts do the same (here every last page counts as near-empty; with much tighter copyfit styles
    a page goes, with the theme's own none does)."""
    monkeypatch.setattr(pagination, "LAST_PAGE_LINES", 200)
    templates: tuple[Path, ...] = ()
    if tighter:
        (tmp_path / "collection-print.css.j2").write_text(
            '{% include "builtin/collection-print.css.j2" %}\n'
            "article[data-copyfit] .article-body { font-size: 0.75em; }\n", encoding="utf-8")
        templates = (tmp_path,)
    brief, context = _context(False, "", templates=templates)  # the last story shares its pages
    stitched, parted = stitch_watched(brief, context)
    single, once = single_watched(brief, context)
    assert once.copyfit is tighter and parted.copyfit is tighter
    assert parted.rounds == once.rounds
    assert page_texts(stitched, tmp_path) == page_texts(single, tmp_path)
    assert page_images(stitched, tmp_path, "stitched") == page_images(single, tmp_path, "single")
    assert outline(stitched) == outline(single) and internal_links(stitched) == internal_links(single)


def test_a_body_written_ahead_is_the_body_written_after(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A body part written ahead of its verdict (its pages without margin boxes, the furniture laid over later)
    gives the bytes of one written after it, so a stitched brief does not depend on which parts found a core free;
    and it still shows its running heads and "Page N of M" folios, as the single pass does."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1718150400")
    monkeypatch.setenv("PUBLISH_CACHE_DIR", "off")  # every part laid out and written, never taken from the cache
    brief, context = _context(False, "")
    html = pdf_backend.print_html(brief, context)
    monkeypatch.setattr(pdfparts._Schedule, "_draft", lambda self: None)
    after = pdfparts.render(brief, html, context)
    asked: list[int] = []

    def eager(self: Any) -> None:  # every body part writes ahead as soon as it is counted, whatever the cores
        for index, part in enumerate(self.parts):
            if (part.lead and part.counted and not (part.drafted or part.numbered or part.abandoning)
                    and self.busy[part.worker] is None and not self.queued[part.worker]):
                part.drafted = True
                self.drafting.add(index)
                self.busy[part.worker] = index
                asked.append(index)
                self.pool.send(part.worker, ("verdict", index, pdfparts._Draft()))

    monkeypatch.setattr(pdfparts._Schedule, "_draft", eager)
    drafts = tmp_path / "drafted"
    draft = pdfparts._PartLayout.draft

    def recorded(self: Any) -> None:  # in the worker processes: note each body really written ahead
        draft(self)
        if self.body is not None:
            with drafts.open("a") as out:
                out.write(f"{self.index}\n")

    monkeypatch.setattr(pdfparts._PartLayout, "draft", recorded)
    ahead = pdfparts.render(brief, html, context)
    assert asked, "no part was asked to write ahead"
    assert drafts.exists() and sorted(map(int, drafts.read_text().split())) == sorted(asked), "bodies written ahead"
    assert after is not None and ahead == after
    single = pdf_backend.render(brief, dataclasses.replace(context, pdf_parts="off"))
    assert page_texts(ahead, tmp_path) == page_texts(single, tmp_path)
    assert page_images(ahead, tmp_path, "ahead") == page_images(single, tmp_path, "single")
    with pikepdf.open(io.BytesIO(ahead)) as pdf:
        forms = [name for page in pdf.pages for name in page.Resources.get("/XObject", {})
                 if name.startswith("/PublishFurniture")]
    assert forms, "the furniture is laid over the body pages as forms"


def test_furniture_fonts_are_shared_with_the_body(tmp_path: Path) -> None:
    """The folios' and running heads' font, written apart from the body, is merged with the body's subsets of
    the same font: one embedded font per face."""
    brief, context = _context(False, "")
    stitched = pdfparts.render(brief, pdf_backend.print_html(brief, context), context)
    assert stitched is not None
    path = tmp_path / "brief.pdf"
    path.write_bytes(stitched)
    listing = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout
    faces = [line.split()[0].split("+")[-1] for line in listing.splitlines()[2:] if line.strip()]
    assert faces and len(faces) == len(set(faces)), listing


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="a thread of its own priority is Linux's")
def test_a_body_written_ahead_yields_its_core_to_layouts() -> None:
    """The thread that writes a body ahead runs at a lower priority than the layouts, and only that thread."""
    import os
    import threading

    seen: list[int] = []

    def writer() -> None:
        pdfparts._behind_layouts()
        seen.append(os.getpriority(os.PRIO_PROCESS, threading.get_native_id()))

    before = os.getpriority(os.PRIO_PROCESS, 0)
    thread = threading.Thread(target=writer)
    thread.start()
    thread.join()
    assert seen == [min(before + pdfparts.DRAFT_NICENESS, 19)]
    assert os.getpriority(os.PRIO_PROCESS, 0) == before, "the rest of the process keeps its priority"


def test_the_parent_of_a_parted_build_never_imports_weasyprint(tmp_path: Path) -> None:
    """The part workers' keeper imports WeasyPrint while the build writes the HTML: the build's own process lays
    nothing out, and so never loads it."""
    code = ("import sys\nfrom publish.cli import main\n"
            f"rc = main(['build', {str(BRIEF)!r}, '--to', 'pdf', '--out', {str(tmp_path)!r}, '--pdf-parts', 'on',"
            " '--no-cache'])\nprint('weasyprint' in sys.modules)\nsys.exit(rc)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split()[-1] == "False"
    assert PdfReader(tmp_path / f"{BRIEF.stem}.pdf").pages


def test_a_worker_that_dies_ends_the_layout_with_one_error(monkeypatch: pytest.MonkeyPatch) -> None:
    """A part worker that dies (killed, out of memory) ends the parted layout with one error, not a wait for ever,
    and leaves no process behind."""
    import multiprocessing
    import os

    from publish.errors import RenderError

    brief, context = _context(False, "")
    monkeypatch.setattr(pdfparts, "_worker", lambda connection, press, parent: os._exit(3))
    with pytest.raises(RenderError, match="a PDF worker process ended unexpectedly"):
        pdfparts.render(brief, lambda: pdf_backend.print_html(brief, context), context)
    assert multiprocessing.active_children() == []



def test_a_changed_run_is_split_into_borrowed_and_new_segments(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                               ) -> None:
    """A run's articles indexed as consecutive pages of one earlier run borrow them; the others are laid out
    together; pages that are not consecutive, or of another run, start a new segment; the last part borrows only
    pages that end their run (whether its last page is near empty is known only there)."""
    monkeypatch.setenv("PUBLISH_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(cache, "_turned_off", False)  # this module's builds use none; this test's index does
    brief, context = _context(True, "")
    piece = pdfparts.cut(html_backend.render(brief, context), True, 2)
    keys = pdfparts._Keys.of(brief, context, pdf_backend.layout_options(brief.uid, ""))
    assert keys is not None and [len(group) for group in piece.members] == [4, 3]
    first, second = pdfparts._units(piece, keys)

    def index(key: str, run: str, pages: tuple[int, int], of: int) -> None:
        cache.put_json("pages", key, {"run": run, "first": pages[0], "last": pages[1], "pages": of})

    index(first[0][0], "R", (1, 1), 6)  # the first article: page 1 of run R
    index(first[2][0], "R", (3, 4), 6)  # the second is new; the third and fourth follow each other in R
    index(first[3][0], "R", (5, 6), 6)
    index(second[0][0], "S", (1, 2), 9)
    index(second[1][0], "S", (3, 5), 9)
    index(second[2][0], "S", (7, 8), 9)  # not after page 5, and not the end of S: laid out
    articles = [[e.get("id") for group in piece.members for unit in group for e in unit if e.tag == "article"]]
    plan = pdfparts._borrowing(piece, keys)
    assert plan.borrows == [pdfparts._Borrow("R", 1, 1), None, pdfparts._Borrow("R", 3, 6),
                            pdfparts._Borrow("S", 1, 5), None]
    assert [len(group) for group in piece.members] == [1, 1, 2, 2, 1]
    assert [e.get("id") for group in piece.members for unit in group for e in unit if e.tag == "article"] \
        == articles[0], "the articles in their order"
    assert [[key for key, _ in units] for units in plan.units] == [
        [first[0][0]], [first[1][0]], [first[2][0], first[3][0]], [second[0][0], second[1][0]], [second[2][0]]]
    assert piece.owners and all(piece.firsts[section] in piece.units[owner] for section, owner in piece.owners.items())


def test_a_runs_articles_are_indexed_only_where_their_ids_tell_their_pages_apart(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each article of a run is indexed with the pages from the first holding one of its ids to the page before the
    next article's; nothing is indexed when an id is on two pages, in two articles, or among another article's
    pages (a raw HTML block repeating an id), nor when the layout found something to change."""
    monkeypatch.setenv("PUBLISH_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(cache, "_turned_off", False)
    margins = [pdfparts._Margins("", False, {}, [])] * 6

    def indexed(anchors: list[list[str]], units: list[frozenset[str]], **found: Any) -> list[Any]:
        keys = [cache.fingerprint(str(anchors), str(units), str(found), str(n)) for n in range(len(units))]
        part = pdfparts._Part("", True, units=list(zip(keys, units, strict=True)))
        part.key = "run"
        report = pdfparts._Report(anchors, {}, [], found.get("words", frozenset()), False, False, "",
                                  margins[:len(anchors)])
        pdfparts._index(part, report)
        return [cache.get_json("pages", key) for key in keys]

    good = [[], ["a", "a-headline"], [], ["b"], ["c", "c-note"], []]
    units = [frozenset({"a", "a-headline"}), frozenset({"b"}), frozenset({"c", "c-note"})]
    assert indexed(good, units) == [{"run": "run", "first": 1, "last": 2, "pages": 5},
                                    {"run": "run", "first": 3, "last": 3, "pages": 5},
                                    {"run": "run", "first": 4, "last": 5, "pages": 5}]
    assert indexed(good, units, words=frozenset({"harbour"})) == [None] * 3
    assert indexed([[], ["a"], ["b"], ["a"], ["c"], []], [frozenset({"a"}), frozenset({"b"}), frozenset({"c"})]) \
        == [None] * 3  # an id on two pages
    assert indexed([[], ["a"], ["b", "x"], [], ["c"], []], [frozenset({"a", "x"}), frozenset({"b", "x"}),
                                                           frozenset({"c"})]) == [None] * 3  # in two articles
    assert indexed([[], ["a"], ["b"], [], ["c", "z"], []], [frozenset({"a", "z"}), frozenset({"b"}),
                                                           frozenset({"c"})]) == [None] * 3  # among c's pages


_ONE_PATTERN = re.compile(r"""(?:\ssrc=|\shref=|url\()["']?(?!data:|#|(?!file:)[a-z][a-z0-9+.-]*:)([^"')\s]+)""")
"""The files a part names, as one pattern (slow: it tries three alternatives at every character of a part)."""


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from([" ", "\t", "\n", "\u2003", "x", "-", "=", "src=", "href=", "url(", '"', "'", ")",
                                 "a.png", "data:", "#top", "file:///f.css", "http://h/p", "data-src="]), max_size=24))
def test_the_files_a_part_names_are_found_as_one_pattern_finds_them(pieces: list[str]) -> None:
    """`_named_files` searches for each `src=`, `href=` and `url(` and checks the whitespace before an attribute
    itself: the names it finds are those of the one pattern, in every arrangement of the pieces of such markup."""
    html = "".join(pieces)
    assert pdfparts._named_files(html) == sorted(set(_ONE_PATTERN.findall(html)))
