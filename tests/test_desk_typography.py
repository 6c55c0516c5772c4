"""What a production desk checks on the pages: running heads that name the article the reader is in, hyphenation a
typesetter accepts, headlines that break well, captions apart from credits, no near-empty last page, curly quotes
where the theme asks, and an e-book contents page worth reading. Every sample and the morning brief are built in
every built-in theme and read back as a reader would: the PDF's text page by page (pdftotext), the HTML, the EPUB."""

from __future__ import annotations

import itertools
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
import tinycss2
from lxml import etree
from lxml import html as lxml_html

from publish.build.jobs import BuildOptions, build
from publish.checks import parity
from publish.present import pagination, quotes
from publish.readers import read_file
from publish.readers.collection import load_manifest

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"
INPUTS = ("dar-bishkek.txt", "urdu-library.md", "japanese-ferry.md", "feature-tour.md", "morning-brief.yaml")
THEMES = ("default", "brief", "digest")
HYPHEN = "\u2010"

pytestmark = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="needs poppler-utils")


@pytest.fixture(scope="module", params=THEMES)
def built(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path]:
    """Every sample and the brief as PDF, HTML and EPUB in one theme, with the letterhead the gallery uses."""
    theme = request.param
    out = tmp_path_factory.mktemp(theme)
    options = BuildOptions(formats=("pdf", "html", "epub"), out_dir=out, theme=theme, publisher="Harbour Daily",
                           logo=SAMPLES / "logo.png")
    build([SAMPLES / name for name in INPUTS], options)
    return theme, out


def pages(pdf: Path) -> list[list[str]]:
    """The text of each page, as its non-blank lines."""
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    count = int(re.search(r"Pages:\s+(\d+)", info).group(1))  # type: ignore[union-attr]
    return [[line.strip() for line in subprocess.run(["pdftotext", "-f", str(n), "-l", str(n), str(pdf), "-"],
                                                     capture_output=True, text=True, check=True).stdout.splitlines()
             if line.strip()] for n in range(1, count + 1)]


def _norm(value: str) -> str:
    return re.sub(r"\s+", " ", value.replace(HYPHEN + "\n", "")).strip()


def _is_folio(line: str) -> bool:
    return bool(re.fullmatch(r"(Page )?\d+( (of|/) \d+)?", line))


def test_running_heads_name_the_article_at_the_top_of_each_page(built: tuple[str, Path]) -> None:
    """On a page where one article ends and the next begins, the head names the one the reader is in at the top;
    on a page that opens with a headline, that article."""
    theme, out = built
    headlines = [a.meta.headline for a in load_manifest(SAMPLES / "morning-brief.yaml").collection.articles]
    current: int | None = None
    checked = 0
    for number, lines in enumerate(pages(out / "morning-brief.pdf"), 1):
        body = _norm(" ".join(lines[1:]))
        found = sorted((body.find(_norm(h)), i) for i, h in enumerate(headlines) if _norm(h) in body)
        if number == 1 or len(found) >= 3:  # the cover and the contents carry no running head
            continue
        at_top = current
        if found and len(body[:found[0][0]]) < 40 and not re.search(r"[a-z]{3,} [a-z]{3,}", body[:found[0][0]]):
            at_top = found[0][1]  # the page opens with this headline (a section title or source may stand above)
        if found:
            current = found[-1][1]
        assert at_top is not None
        assert headlines[at_top].startswith(lines[0]) or lines[0].startswith(headlines[at_top][:40]), \
            f"{theme} page {number}: the head says {lines[0]!r}, the page opens in {headlines[at_top]!r}"
        checked += 1
    assert checked >= 8


def test_hyphenation_never_breaks_a_name_leaves_two_letters_or_crosses_a_page(built: tuple[str, Path]) -> None:
    theme, out = built
    breaks = 0
    for name in INPUTS:
        pdf = out / f"{Path(name).stem}.pdf"
        for number, lines in enumerate(pages(pdf), 1):
            flow = [line for line in lines if not _is_folio(line)]
            assert not flow[-1].endswith(HYPHEN), f"{pdf.name} ({theme}) page {number} ends in a hyphen"
            for line, following in itertools.pairwise(flow):
                if not line.endswith(HYPHEN):
                    continue
                breaks += 1
                before = re.search(r"(\w+)" + HYPHEN + "$", line)
                after = re.match(r"\w+", following)
                word = f"{before.group(1) if before else ''}-{after.group(0) if after else ''}"
                assert before and len(before.group(1)) >= 3, f"{pdf.name} ({theme}) p{number}: {word}"
                assert after and len(after.group(0)) >= 3, f"{pdf.name} ({theme}) p{number}: {word}"
                assert not before.group(1)[0].isupper(), f"{pdf.name} ({theme}) p{number}: a name broken: {word}"
    assert breaks >= 5  # the samples are hyphenated at all


def test_english_takes_american_patterns_and_british_english_its_own() -> None:
    import pyphen  # type: ignore[import-untyped]

    from publish.build import cache
    from publish.present import hyphenation

    cache.load_hyphenation({"en", "en-GB", "de"})
    american = pyphen.Pyphen(lang=hyphenation.dictionary("en"), left=3, right=3)
    british = pyphen.Pyphen(lang=hyphenation.dictionary("en-GB"), left=3, right=3)
    assert american.inserted("permanent") == "per-ma-nent" and british.inserted("permanent") == "per-man-ent"
    assert american.inserted("Kazakhstan") == "Kazakhstan"  # a name is never broken
    assert pyphen.Pyphen(lang=hyphenation.dictionary("de")).inserted("Zeitungsartikel") == "Zei-tungs-ar-ti-kel"


def test_japanese_headlines_break_between_phrases_and_no_headline_ends_on_one_short_word(
        built: tuple[str, Path]) -> None:
    import budoux

    theme, out = built
    headline = read_file(SAMPLES / "japanese-ferry.md").article.meta.headline
    boundaries = set()
    position = 0
    for phrase in budoux.load_default_japanese_parser().parse(headline):
        position += len(phrase)
        boundaries.add(position)
    text = "\n".join(pages(out / "japanese-ferry.pdf")[0])
    start = text.index(headline[:4])
    lines = text[start:].splitlines()
    taken, joined = [], ""
    for line in lines:
        if len(joined) >= len(headline):
            break
        joined += line
        taken.append(len(joined))
    assert joined == headline, f"{theme}: {lines[:3]}"
    assert all(end in boundaries for end in taken[:-1]), f"{theme}: the headline breaks inside a word: {lines[:3]}"
    dar = read_file(SAMPLES / "dar-bishkek.txt").article.meta.headline
    page = pages(out / "dar-bishkek.pdf")[0]
    last_line = next(line for line in page if dar.endswith(line))
    assert " " in last_line.replace("\u00a0", " "), f"{theme}: {last_line!r} stands alone"
    # the same story in the brief, a collection's article: its headline is set alike
    brief = pages(out / "morning-brief.pdf")
    broken = [(line, page[number + 1]) for page in brief
              for number, line in enumerate(page[:-1]) if line != dar and dar.startswith(line)]
    assert broken or any(line == dar for page in brief for line in page), f"{theme}: no headline in the brief"
    for first, last_line in broken:  # (a headline on one line needs no check)
        assert f"{first} {last_line}" == dar and " " in last_line.replace("\u00a0", " "), \
            f"{theme}: {last_line!r} stands alone in the brief"


def test_captions_and_credits_stand_apart(built: tuple[str, Path]) -> None:
    theme, out = built
    text = "\n".join("\n".join(page) for page in pages(out / "feature-tour.pdf"))
    assert "The new district seen from Pier 7 at dawn\nIllustration: Harbour Daily" in text, theme
    page = lxml_html.parse(str(out / "feature-tour.html")).getroot()
    assert page.find(".//figcaption/span[@class='credit']") is not None


def test_a_figure_that_moves_on_leaves_less_than_a_fifth_of_a_page(built: tuple[str, Path]) -> None:
    """The tour's figure does not fit after the table: the page before it is not left a fifth empty."""
    from tests import pdf_facts

    theme, out = built
    data = (out / "feature-tour.pdf").read_bytes()
    pdf = pdf_facts.reader(data)
    runs = pdf_facts.runs(pdf)
    height = float(pdf.pages[0].mediabox.height)
    first_page = [run for run in runs if run.page == 0 and not _is_folio(run.text.strip())]
    folio = min((run.y for run in runs if run.page == 0 and _is_folio(run.text.strip())), default=height)
    top = min(run.y for run in first_page)
    lowest = max(run.y + run.size for run in first_page)
    empty = (folio - lowest) / (folio - top)
    assert empty < 0.2, f"{theme}: page 1 is left {empty:.0%} empty"


def test_no_near_empty_last_page_in_the_digest(built: tuple[str, Path]) -> None:
    theme, out = built
    if theme != "digest":
        pytest.skip("measured on the digest, whose generous setting spilled lines over")
    for name in INPUTS:
        found = pages(out / f"{Path(name).stem}.pdf")
        if len(found) > 1:
            flow = [line for line in found[-1][1:] if not _is_folio(line)]  # the running head, then the text
            assert len(flow) > pagination.LAST_PAGE_LINES, f"{name}: the last page holds {flow}"


@pytest.mark.parametrize("theme", ["default", "digest"])
def test_smart_quotes_curl_by_language_in_the_digest_and_the_source_keeps_its_own(theme: str, tmp_path: Path) -> None:
    """The CASA-1000 story is written with straight quotes: the digest prints them curly (HTML and PDF), the
    default theme as written, and the words compare equal to the source's either way."""
    from publish.checks import gate as checks

    source = SAMPLES / "brief" / "casa-1000-power-line.md"
    document = read_file(source).article
    assert '"' in " ".join(p.text for p in parity.passages(document))  # the model keeps the source's characters
    build([source], BuildOptions(formats=("html", "pdf"), out_dir=tmp_path, theme=theme))
    html = lxml_html.parse(str(tmp_path / f"{source.stem}.html")).getroot()
    body = html.find(".//div[@class='article-body']").text_content()
    pdf = "\n".join("\n".join(page) for page in pages(tmp_path / f"{source.stem}.pdf"))
    for text in (body, pdf):
        if theme == "digest":
            assert '"' not in text and "\u201cEvery tower" in text and "arriving.\u201d" in text
        else:
            assert '"Every tower' in text and "\u201c" not in text
    paths = [tmp_path / f"{source.stem}.html", tmp_path / f"{source.stem}.pdf"]
    report = checks.check_outputs(paths, dict.fromkeys(paths, document),
                                  checks.CheckOptions(strict=True, skip=frozenset({"libreoffice"})))
    assert report.ok, "\n".join(report.lines())


def test_curling_follows_the_language_and_the_text_around_a_quote() -> None:
    assert quotes.curl('"Fares," she said, "halve." It\'s \'late\'', "en") == \
        "\u201cFares,\u201d she said, \u201chalve.\u201d It\u2019s \u2018late\u2019"
    assert quotes.curl('"Fähre"', "de") == "\u201eFähre\u201c"
    assert quotes.curl('"しまかぜ"', "ja") == "「しまかぜ」"
    assert quotes.curl('" now', "en", before="word") == "\u201d now"  # after an emphasis that ended a word
    assert parity.key("\u201cFares,\u201d") == parity.key('"Fares,"')


def test_the_epub_contents_page_is_titled_in_the_books_language_styled_and_without_bylines(
        built: tuple[str, Path]) -> None:
    _, out = built
    with zipfile.ZipFile(out / "morning-brief.epub") as book:
        nav = etree.fromstring(book.read("EPUB/nav.xhtml"))
        css = book.read("EPUB/style.css").decode()
    ns = {"x": "http://www.w3.org/1999/xhtml"}
    assert nav.findtext(".//x:title", namespaces=ns) == "Contents"
    assert nav.findtext(".//x:nav/x:h2", namespaces=ns) == "Contents"
    entries = [a.text for a in nav.iterfind(".//x:nav//x:a", namespaces=ns)]
    assert "Ishaq Dar Key Diplomatic Visit to Bishkek" in entries
    assert not [e for e in entries if " — " in (e or "")], entries
    assert nav.find(".//x:link[@href='style.css']", namespaces=ns) is not None
    rules = {tinycss2.serialize(r.prelude).strip(): tinycss2.serialize(r.content)
             for r in tinycss2.parse_stylesheet(css, skip_comments=True, skip_whitespace=True)
             if r.type == "qualified-rule"}
    assert "list-style: none" in rules['nav[role="doc-toc"] ol']
    assert "text-decoration: none" in rules['nav[role="doc-toc"] a']
    with zipfile.ZipFile(out / "urdu-library.epub") as book:
        urdu = etree.fromstring(book.read("EPUB/nav.xhtml"))
    assert urdu.findtext(".//x:title", namespaces=ns) == "فہرست"


def test_html_text_is_18_px_on_screen_with_captions_of_15_px_or_more(built: tuple[str, Path]) -> None:
    theme, out = built
    css = lxml_html.parse(str(out / "feature-tour.html")).getroot().findtext(".//style")
    screen = next(r for r in tinycss2.parse_stylesheet(css, skip_comments=True, skip_whitespace=True)
                  if r.type == "at-rule" and r.lower_at_keyword == "media"
                  and tinycss2.serialize(r.prelude).strip() == "screen" and "body" in tinycss2.serialize(r.content))
    rules = {tinycss2.serialize(r.prelude).strip(): tinycss2.serialize(r.content)
             for r in tinycss2.parse_rule_list(screen.content, skip_comments=True, skip_whitespace=True)}
    assert "font-size: 1.125rem" in rules["body"]
    caption = float(re.search(r"font-size: ([\d.]+)px", rules["figcaption, caption"]).group(1))  # type: ignore[union-attr]
    assert caption >= 15, f"{theme}: captions are {caption} px"
