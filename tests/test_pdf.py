"""The PDF: selectable text, embedded fonts, metadata, bookmarks from headings, page numbers, contained fetching."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader

from publish.backends import RenderContext, pdfengine
from publish.backends import pdf as backend

from conftest import every_type_article
from validators import assert_same_words


@pytest.fixture(scope="module")
def pdf() -> bytes:
    from publish.build.resources import Resources
    from publish.present.theme import load_theme

    context = RenderContext(theme=load_theme(), resources=Resources(base_dir=Path(__file__).parent.parent / "samples"))
    return backend.render(every_type_article(), context)


@pytest.fixture(scope="module")
def reader(pdf: bytes) -> PdfReader:
    return PdfReader(io.BytesIO(pdf))


def test_text_is_selectable_and_complete(pdf: bytes, tmp_path: Path) -> None:
    path = tmp_path / "tour.pdf"
    path.write_bytes(pdf)
    assert_same_words(every_type_article(), path)


def test_metadata(reader: PdfReader) -> None:
    info = reader.metadata
    assert info.title == "Harbour Authority Opens Night Ferry Line"
    assert info.author == "Amina Qureshi; Tomás Ríos"
    assert info["/Keywords"] == "transport, ferries, Karachi"
    assert info["/CreationDate"].startswith("D:20240612")
    assert reader.trailer["/Root"]["/Lang"] == "en"


def test_bookmarks_follow_headline_and_subheads(reader: PdfReader) -> None:
    def titles(outline: list) -> list:
        return [titles(item) if isinstance(item, list) else item.title for item in outline]

    assert titles(reader.outline) == ["Harbour Authority Opens Night Ferry Line", ["What riders get", ["Timetable"]]]


def test_fonts_are_embedded(reader: PdfReader) -> None:
    fonts = []
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            descriptor = font.get_object()["/DescendantFonts"][0].get_object()["/FontDescriptor"]
            fonts.append((font.get_object()["/BaseFont"], any(k in descriptor for k in ("/FontFile", "/FontFile2",
                                                                                          "/FontFile3"))))
    assert fonts and all(embedded for _, embedded in fonts), fonts


def test_page_numbers_and_running_head(reader: PdfReader) -> None:
    pages = [page.extract_text() for page in reader.pages]
    assert len(pages) >= 2
    for number, page in enumerate(pages, 1):
        assert f"Page {number} of {len(pages)}" in page
    headline = "Harbour Authority Opens Night Ferry Line"
    assert " ".join(pages[0].split()).count(headline) == 1  # the headline itself; no running head on page 1
    assert headline in pages[1]  # the running head: page 2 holds no other copy of the headline


def test_fetcher_serves_only_allowed_folders(tmp_path: Path) -> None:
    inside = tmp_path / "article"
    inside.mkdir()
    (inside / "ok.css").write_text("p{}")
    (tmp_path / "secret.txt").write_text("secret")
    fetcher = pdfengine.ContainedFetcher((inside,), allow_remote=False)
    assert fetcher.fetch((inside / "ok.css").as_uri()).read() == b"p{}"
    assert fetcher.fetch("data:text/plain,hi").read() == b"hi"
    for url in [(tmp_path / "secret.txt").as_uri(), (inside / ".." / "secret.txt").as_uri(),
                "http://127.0.0.1:9/x.css", "file:///etc/hostname", "ftp://example.org/x"]:
        with pytest.raises(ValueError, match="publish refused"):
            fetcher.fetch(url)
    assert len(fetcher.refused) == 5


GLYPHS = """<html lang="LANG"><head><style>
  @page { size: A5; margin: 1.5cm } body { font-family: FAMILY; font-size: 10.5pt; line-height: 1.35 }
  p { text-align: justify; hyphens: auto } .spaced { letter-spacing: 0.07em; word-spacing: 0.2em }
  .caps { font-variant: small-caps } .kern { font-size: 23pt } h1 { font-size: 17.3pt } code { font-family: monospace }
</style></head><body>TEXT</body></html>"""

LATIN = """<h1>AVAWAY, To Wa: “office” flights — the fjord’s affluent officials</h1>
  <p>The ministry’s <b>water agreement</b> was <i>finalised</i> on Tuesday after months of negotiation between the
  five riparian states, officials said, and affirmed that the <code>fn(x) -> 0x1F</code> quotas apply from 2027.</p>
  <p class="spaced">Letter-spaced words, with <span class="caps">Small Capitals</span> and x<sup>2</sup> + y<sub>i</sub>
  written with extra space between them: ½, ⅓, 10 km, €25, naïve café coöperate.</p>
  <p class="kern">AV Wa Te LT Yo</p>"""

WORLD = LATIN + """<p lang="ar" dir="rtl">اتفقت الدول على تقاسم المياهُ</p>
  <p lang="he" dir="rtl">הסכם המים נחתם ביום שלישי</p>
  <p lang="hi">जल समझौते पर हस्ताक्षर किए गए</p>
  <p lang="vi">Việt Nam ký hiệp định về nước; à é ộ (combining marks)</p>
  <p lang="zh">各国周二签署了水资源协议。</p><p lang="ja">水協定に署名した。</p>
  <p>Emoji 🌊🤝 and a character no font has: 󰀀 .</p>"""


@pytest.mark.parametrize(("language", "family", "text", "all_read_at_once"), [
    ("en", "sans-serif", LATIN, True),  # the default theme's kind of page: every line read at once
    ("en", "serif", LATIN, True),
    ("en", "Charis SIL", LATIN, True),  # the digest theme's font, whose kerning and ligatures Pango applies
    ("mul", "sans-serif", WORLD, False),  # right to left, marks placed by the shaper, CJK, emoji, missing glyphs
], ids=["sans-serif", "serif", "charis", "scripts"])
def test_glyphs_read_at_once_write_the_same_bytes(language: str, family: str, text: str, all_read_at_once: bool,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """publish reads a line's glyphs from Pango at once when WeasyPrint writes them (pdfengine
    ._glyphs_read_at_once): the PDF is the same, byte for byte, as with WeasyPrint's own writer, for kerned,
    letter-spaced, justified and hyphenated Latin text, and for every script and case it leaves to that writer
    (glyphs moved up or down by the shaper, colour emoji, glyphs no font has)."""
    from weasyprint.draw import text as drawn

    hooked = drawn.draw_first_line
    assert getattr(hooked, "publish_wrapped", False), "the hook is installed when pdfengine loads"
    html = GLYPHS.replace("LANG", language).replace("FAMILY", family).replace("TEXT", text)
    document = pdfengine.weasyprint.HTML(string=html).render()
    left: list[str] = []
    own = hooked.publish_original

    def counted(stream: Any, textbox: Any, *rest: Any) -> Any:
        left.append(textbox.text)
        return own(stream, textbox, *rest)

    monkeypatch.setattr(hooked, "publish_original", counted)
    ours = document.write_pdf()
    left_to_weasyprint = len(left)
    monkeypatch.setattr(drawn, "draw_first_line", counted)
    theirs = document.write_pdf()
    assert ours == theirs
    lines = len(left) - left_to_weasyprint
    if all_read_at_once:
        assert left_to_weasyprint == 0, left
    else:
        assert 0 < left_to_weasyprint < lines / 2, "most lines are read at once, the others written by WeasyPrint"


LEADERS = """<html lang="en"><head><style>
  @page { size: A6; margin: 1cm } body { font-family: FAMILY; font-size: 10pt } a { text-decoration: DECORATION }
  a::after { content: leader(".") " " attr(data-page) }
</style></head><body>
  <p><a href="#one" data-page="3">Ministers agree on water</a></p>
  <p><a href="#two" data-page="14">A longer headline that takes up most of its line</a></p>
  <p><a href="#three" data-page="128">Short</a></p>
  <p id="one">One</p><p id="two">Two</p><p id="three">Three</p>
</body></html>"""


@pytest.mark.parametrize(("family", "decoration", "merged"), [
    ("sans-serif", "none", True),  # the default theme's contents: a dot 267.993/1000 em wide, drawn as one run
    ("sans-serif", "underline", False),  # a line drawn per dot: the dots stay boxes of their own
    ("serif", "none", None),  # 249.976/1000 em: one run where 40 dots or fewer drift at most a thousandth of an em
])
def test_leader_dots_are_drawn_as_one_run_and_look_the_same(family: str, decoration: str, merged: bool | None,
                                                            monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """publish draws a leader's dots (the contents' dot leaders) as one run of text, not a text object per dot,
    and the page looks as with WeasyPrint's own dots: the same pixels at 200 dpi where a dot's width is (nearly)
    whole in thousandths of an em; otherwise a few edge pixels of a line's last dots shaded differently, as the
    run moves them by at most a thousandth of an em. Underlined dots (a line per dot) stay as they are."""
    import subprocess

    import pikepdf
    from PIL import Image
    from weasyprint.layout import inline

    html = LEADERS.replace("FAMILY", family).replace("DECORATION", decoration)

    def drawn(name: str) -> tuple[list[bytes], int, str]:
        pdf = pdfengine.weasyprint.HTML(string=html).write_pdf()
        (tmp_path / f"{name}.pdf").write_bytes(pdf)
        subprocess.run(["pdftoppm", "-r", "200", "-png", str(tmp_path / f"{name}.pdf"), str(tmp_path / name)],
                       check=True)
        images = [Image.open(png).convert("L").tobytes() for png in sorted(tmp_path.glob(f"{name}-*.png"))]
        with pikepdf.open(io.BytesIO(pdf)) as opened:
            shown = sum(1 for page in opened.pages for _, operator in pikepdf.parse_content_stream(page)
                        if str(operator) in ("Tj", "TJ"))
        text = subprocess.run(["pdftotext", str(tmp_path / f"{name}.pdf"), "-"], capture_output=True, text=True,
                              check=True).stdout
        return images, shown, text

    assert getattr(inline.handle_leader, "publish_wrapped", False), "the hook is installed when pdfengine loads"
    ours, ours_shown, ours_text = drawn("ours")
    monkeypatch.setattr(inline, "handle_leader", inline.handle_leader.publish_original)
    dotted, dotted_shown, dotted_text = drawn("dotted")
    if merged is None:
        assert ours_shown < dotted_shown, "the short lines' dots are one run"
        assert len(ours) == len(dotted)
        for mine, theirs in zip(ours, dotted, strict=True):
            shaded = [abs(a - b) for a, b in zip(mine, theirs, strict=True) if a != b]
            assert len(shaded) < len(mine) / 1000 and max(shaded, default=0) < 96, "edge pixels only"
        return
    assert ours == dotted, "the dots are drawn where WeasyPrint draws them"
    if merged:
        assert ours_shown < dotted_shown / 10, (ours_shown, dotted_shown)
    else:
        assert ours_shown == dotted_shown
    assert [line.replace(" ", "") for line in ours_text.splitlines()] == \
        [line.replace(" ", "") for line in dotted_text.splitlines()]
    assert "Ministers agree on water" in ours_text and "128" in ours_text
