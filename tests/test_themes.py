"""Themes: one theme.toml drives the HTML, the PDF, the EPUB's CSS and the DOCX's styles; themes extend each other;
`publish themes` lists them; a broken theme is one clear error."""

from __future__ import annotations

import io
import logging
import zipfile
from pathlib import Path

import docx
import pytest
from docx.shared import Pt, RGBColor
from lxml import html as lxml_html
from pdf_facts import fill_colours, fonts, reader, runs

from publish.backends import RenderContext
from publish.backends import docx as docx_backend
from publish.backends import epub as epub_backend
from publish.backends import html as html_backend
from publish.build.resources import Resources
from publish.cli import main
from publish.errors import PublishError
from publish.present.theme import builtin_theme_names, builtin_themes_dir, list_themes, load_theme

from conftest import SAMPLES, every_type_article

DEFAULT = builtin_themes_dir() / "default" / "theme.toml"


def context_for(theme_dir: str | Path, **options: object) -> RenderContext:
    theme = load_theme(str(theme_dir), **options)  # type: ignore[arg-type]
    return RenderContext(theme=theme, resources=Resources(base_dir=SAMPLES, roots=(theme.folder,)))


def write_theme(folder: Path, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "theme.toml").write_text(text, encoding="utf-8")
    return folder


def epub_css(data: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        return next(package.read(n).decode() for n in package.namelist() if n.endswith(".css"))


# --- the done-when: three tokens, four formats ----------------------------------------------------------------


def test_changing_three_tokens_in_theme_toml_changes_html_pdf_epub_css_and_docx_heading_styles(tmp_path: Path) -> None:
    """The heading colour, the heading font and the level-1 subhead size, changed in a theme.toml of its own, reach
    every format; with the default theme none of the new values appear."""
    changed = write_theme(tmp_path / "house", """
[theme]
name = "house"
[colors]
heading = "#0a7b3e"
[fonts]
heading = ["Noto Serif Display", "serif"]
[sizes]
heading1 = 20
""")
    article = every_type_article()
    before, after = context_for("default"), context_for(changed)
    assert after.theme.colors.accent == before.theme.colors.accent  # the rest comes from the theme it extends

    for ctx, colour, font, size in ((before, "#102a43", "Noto Sans", "15pt"), (after, "#0a7b3e",
                                                                                "Noto Serif Display", "20pt")):
        page = lxml_html.document_fromstring(html_backend.render(article, ctx))
        css = page.findtext(".//style")
        assert f"color: {colour}" in css and f'font-family: "{font}"' in css
        assert f"h2, .subhead-1 {{ font-size: {size}" in css
        book_css = epub_css(epub_backend.render(article, ctx))
        assert f"color: {colour}" in book_css and f'"{font}"' in book_css and f"font-size: {size}" in book_css
        styles = docx.Document(io.BytesIO(docx_backend.render(article, ctx))).styles
        heading1 = styles["Heading 1"]
        assert heading1.font.color.rgb == RGBColor.from_string(colour[1:])
        assert heading1.font.name == font
        assert heading1.font.size == Pt(float(size[:-2]))
    for old in ("#0a7b3e", "Noto Serif Display"):
        assert old not in html_backend.render(article, before)

    from publish.backends import pdf as pdf_backend

    pdf = reader(pdf_backend.render(article, after))
    assert "#0a7b3e" in fill_colours(pdf) and "#102a43" not in fill_colours(pdf)
    used = fonts(pdf)
    assert any(name.startswith("Noto-Serif-Display") for name in used), used
    assert not any(name.startswith("Noto-Sans") for name in used), used  # headings, bylines, captions all moved
    sizes = {run.text: run.size for run in runs(pdf)}
    assert sizes["What riders get"] == 20 and sizes["Timetable"] == after.theme.sizes.heading2


# --- extending, listing, page sizes ------------------------------------------------------------------------------


def test_a_theme_names_only_what_differs_from_the_theme_it_extends(tmp_path: Path) -> None:
    house = write_theme(tmp_path / "house", '[theme]\nextends = "brief"\ndescription = "Ours"\n'
                                            '[colors]\naccent = "#123456"\n[brand]\nlabel = "Statement"\n')
    theme, brief = load_theme(str(house)), load_theme("brief")
    assert theme.name == "house" and theme.description == "Ours"
    assert theme.colors.accent == "#123456" and theme.brand.label == "Statement"
    assert theme.fonts == brief.fonts and theme.page == brief.page and theme.brand.letterhead
    assert theme.lineage == (brief.folder, builtin_themes_dir() / "default")
    nested = write_theme(tmp_path / "nested", '[theme]\nextends = "../house"\n[page]\nsize = "A5"\n')
    assert load_theme(str(nested)).colors.accent == "#123456" and load_theme(str(nested)).page.size == "A5"


def test_built_in_themes_and_the_themes_command(capsys: pytest.CaptureFixture[str]) -> None:
    assert {"default", "brief", "digest"} <= set(builtin_theme_names())
    themes = {t.name: t for t in list_themes()}
    assert themes["brief"].fonts.body[0] == "Noto Sans" and themes["brief"].brand.letterhead
    assert themes["digest"].fonts.body[0] == "Charis SIL" and themes["digest"].typography.justify
    assert themes["digest"].page.folio_position == "outside"
    assert main(["themes"]) == 0
    listed = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in listed] == sorted(themes)
    assert all(themes[line.split()[0]].description in line for line in listed)


@pytest.mark.parametrize("theme", ["brief", "digest"])
def test_each_built_in_theme_comes_in_a4_and_us_letter(theme: str) -> None:
    article = every_type_article()
    for size, width_mm in (("A4", 210), ("letter", 215.9)):
        ctx = context_for(theme, page_size=size)
        css = lxml_html.document_fromstring(html_backend.render(article, ctx)).findtext(".//style")
        assert f"size: {ctx.theme.page.size};" in css
        section = docx.Document(io.BytesIO(docx_backend.render(article, ctx))).sections[0]
        assert round(section.page_width.mm, 1) == width_mm


@pytest.mark.parametrize("theme", ["default", "brief", "digest"])
def test_every_theme_css_is_understood_by_weasyprint(theme: str, caplog: pytest.LogCaptureFixture) -> None:
    """WeasyPrint only logs CSS it ignores; a typo or unsupported property in a theme would silently do nothing."""
    from publish.backends import pdfengine

    css = html_backend.stylesheet(load_theme(theme), paged=True, language="ur") + \
        html_backend.stylesheet(load_theme(theme), paged=True)
    with caplog.at_level(logging.WARNING, logger="weasyprint"):
        pdfengine.weasyprint.CSS(string=css)
    assert [r.getMessage() for r in caplog.records] == []


# --- broken themes ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("toml", "message"), [
    ('[colors]\nheading = "navy"\n', "[colors] heading = 'navy': colours are written #rrggbb"),
    ('[colours]\nheading = "#000000"\n', "unknown table(s) [colours]"),
    ('[sizes]\nbody = "ten"\n', "[sizes] body = 'ten' is not a number"),
    ('[page]\nsize = "B5"\n', "[page] size = 'B5'; choose one of A4, A5, Letter, Legal"),
    ('[page]\nfolio_position = "left"\n', "choose one of start, center, end, outside"),
    ('[typography]\nwidows = 0\n', "[typography] widows = 0: must be between 1 and 10 lines"),
    ('[fonts]\nbody = "Arial"\n', "[fonts] body = 'Arial' is not a list of font names"),
    ('[fonts.urdu]\nlanguage = ["ur"]\n', "[fonts.urdu]: unknown key(s) language"),
    ('[brand]\nlogo = "missing.png"\n', "[brand] logo 'missing.png' not found"),
    ('[theme]\nextends = "nope"\n', "unknown theme 'nope'; built-in themes: brief, default, digest"),
    ("[page\n", "not a valid theme file"),
])
def test_a_broken_theme_is_one_error_naming_the_file(tmp_path: Path, toml: str, message: str) -> None:
    folder = write_theme(tmp_path / "broken", toml)
    with pytest.raises(PublishError) as caught:
        load_theme(str(folder))
    assert message in str(caught.value)
    if "extends" not in toml:
        assert caught.value.path == str(folder.resolve() / "theme.toml")


def test_unknown_theme_and_circular_themes_are_refused(tmp_path: Path) -> None:
    with pytest.raises(PublishError, match=r"unknown theme 'nope'; built-in themes: brief, default, digest"):
        load_theme("nope")
    write_theme(tmp_path / "a", '[theme]\nextends = "../b"\n')
    write_theme(tmp_path / "b", '[theme]\nextends = "../a"\n')
    with pytest.raises(PublishError, match="in a circle"):
        load_theme(str(tmp_path / "a"))
    assert main(["build", str(SAMPLES / "feature-tour.md"), "--theme", "nope", "--out", str(tmp_path)]) == 1


def test_a_theme_copied_without_extends_still_loads(tmp_path: Path) -> None:
    """A copy of the default theme's file is a complete theme on its own."""
    folder = write_theme(tmp_path / "copy", DEFAULT.read_text(encoding="utf-8"))
    assert load_theme(str(folder)).fonts == load_theme("default").fonts


def test_the_gallery_shows_every_theme_on_the_seed_and_the_urdu_sample() -> None:
    """docs/gallery/ is regenerated by scripts/gallery.py; a theme added without its pictures fails here."""
    from PIL import Image

    gallery = Path(__file__).resolve().parent.parent / "docs" / "gallery"
    readme = (gallery / "README.md").read_text(encoding="utf-8")
    for theme in builtin_theme_names():
        for sample in ("dar-bishkek", "urdu-library", "japanese-ferry"):
            name = f"{sample}-{theme}.png"
            assert f"]({name})" in readme, name
            with Image.open(gallery / name) as picture:
                assert picture.format == "PNG" and picture.height > 400  # a page at 40 dpi, or two side by side
    assert sum(p.stat().st_size for p in gallery.glob("*.png")) < 600_000


def test_a_theme_is_read_again_when_its_file_or_logo_changes_in_one_process(tmp_path: Path) -> None:
    """A process keeps each theme file's checked tokens (a batch loads the theme once per input), by the file's
    text: an edited theme.toml is read anew, a logo removed since is refused, and one load's tokens never reach
    another's."""
    folder = write_theme(tmp_path / "mine", '[colors]\naccent = "#112233"\n')
    assert load_theme(str(folder)).colors.accent == "#112233"
    write_theme(folder, '[colors]\naccent = "#445566"\n')
    assert load_theme(str(folder)).colors.accent == "#445566"
    (folder / "logo.png").write_bytes((SAMPLES / "logo.png").read_bytes())
    write_theme(folder, '[brand]\nlogo = "logo.png"\n')
    first = load_theme(str(folder))
    assert first.brand.logo == (folder / "logo.png").resolve()
    (folder / "logo.png").unlink()
    with pytest.raises(PublishError, match=r"logo 'logo\.png' not found"):
        load_theme(str(folder))
    write_theme(folder, '[colors]\naccent = "#445566"\n')
    assert load_theme(str(folder)).brand.logo != first.brand.logo
