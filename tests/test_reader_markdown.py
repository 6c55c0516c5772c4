"""The Markdown reader: front matter to metadata, every block and inline type, clear errors with line numbers."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from publish import model as m
from publish.errors import InputError
from publish.readers import read_file
from publish.readers.markdown import read_text as read

SAMPLES = Path(__file__).resolve().parent.parent / "samples"


def test_feature_tour_uses_every_block_and_inline_type() -> None:
    article = read_file(SAMPLES / "feature-tour.md").article
    seen: set[type] = set()

    def walk(node: object) -> None:
        seen.add(type(node))
        for name in ("blocks", "content", "caption", "attribution"):
            for child in getattr(node, name, ()):
                walk(child)
        for item in getattr(node, "items", ()):
            for child in item:
                walk(child)
        for row in (getattr(node, "header", None), *getattr(node, "rows", ())):
            for cell in row or ():
                for child in cell:
                    walk(child)

    for block in article.blocks:
        walk(block)
    assert set(m.BLOCK_TYPES) <= seen, set(m.BLOCK_TYPES) - seen
    inline_types = set(m.INLINE_TYPES) - set(m.REVIEW_TYPES)  # a review copy's: from an edited Word file
    assert inline_types <= seen, inline_types - seen


def test_front_matter_maps_pandoc_and_news_keys() -> None:
    meta = read_file(SAMPLES / "feature-tour.md").article.meta
    assert meta.headline == "Night Ferry Trial Brings the Old Port Back to Life"
    assert meta.dek.startswith("A month-long service")
    assert meta.authors == ("Amina Qureshi", "Tomás Ríos")
    assert meta.published == dt.date(2024, 6, 12)
    assert meta.updated == dt.datetime(2024, 6, 13, 9, 30, tzinfo=dt.timezone(dt.timedelta(hours=5)))
    assert (meta.dateline, meta.source, meta.language) == ("KARACHI", "Harbour Daily", "en")
    assert meta.keywords == ("transport", "ferries", "Karachi", "night economy")
    assert meta.summary.startswith("The harbour authority starts")
    assert meta.url == "https://news.example/harbour/night-ferry-trial"


def test_first_level_one_heading_becomes_the_headline_and_subheads_shift() -> None:
    reading = read("# The Headline\n\nIntro.\n\n## A subhead\n\nText.\n\n### Deeper\n\nMore.\n", source="a.md")
    assert reading.article.meta.headline == "The Headline"
    headings = [b for b in reading.article.blocks if isinstance(b, m.Heading)]
    assert [(h.level, h.content) for h in headings] == [(1, (m.Text("A subhead"),)), (2, (m.Text("Deeper"),))]
    assert reading.inferred[0].role.startswith("headline")


def test_figure_takes_caption_alt_and_credit_like_pandoc() -> None:
    source = '---\ntitle: T\n---\n\n![A *boat*](b.png){alt="A small boat" credit="Photo: X"}\n\n![Plain](p.png)\n'
    blocks = read(source, source="a.md").article.blocks
    assert blocks[0] == m.Figure("b.png", "A small boat", (m.Text("A "), m.Emphasis((m.Text("boat"),))), "Photo: X")
    assert blocks[1] == m.Figure("p.png", "Plain", (m.Text("Plain"),))


def test_quote_attribution_and_hard_breaks() -> None:
    source = "---\ntitle: T\n---\n\n> First line\\\n> second line\n> — Jane Doe, minister\n"
    quote = read(source, source="a.md").article.blocks[0]
    assert quote == m.BlockQuote(
        (m.Paragraph((m.Text("First line"), m.LineBreak(), m.Text("second line"))),),
        attribution=(m.Text("— Jane Doe, minister"),),
    )


def test_table_alignment_and_lists_with_start() -> None:
    source = "---\ntitle: T\n---\n\n| a | b |\n|:-:|--:|\n| 1 | 2 |\n\n4. four\n5. five\n"
    table, ordered = read(source, source="a.md").article.blocks
    assert isinstance(table, m.Table) and table.align == ("center", "right")
    assert table.rows == (((m.Text("1"),), (m.Text("2"),)),)
    assert isinstance(ordered, m.OrderedList) and ordered.start == 4 and len(ordered.items) == 2


def test_raw_html_is_reduced_to_text_and_reported() -> None:
    source = "---\ntitle: T\n---\n\n<div>Hello <b>there</b><script>alert(1)</script></div>\n\nA <span>b</span> c\n"
    reading = read(source, source="a.md")
    assert reading.article.blocks[0] == m.Paragraph((m.Text("Hello there"),))
    assert reading.article.blocks[1] == m.Paragraph((m.Text("A b c"),))
    assert any(d.reason.startswith("inline HTML") for d in reading.dropped)
    assert "alert" not in repr(reading.article)


def test_unknown_front_matter_keys_are_reported_not_silently_lost() -> None:
    reading = read("---\ntitle: T\ncolour: red\n---\n\nText.\n", source="a.md")
    assert [(d.line, d.text) for d in reading.dropped] == [(3, "colour: red")]


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("---\ntitle: [oops\n---\n\nx\n", "a.md:2: front matter is not valid YAML"),
        ("---\n- a\n- b\n---\n\nx\n", "a.md:1: front matter must be a mapping"),
        ("---\ntitle: T\ndate: yesterday\n---\n\nx\n", "a.md:3: date: 'yesterday' is not a date"),
        ("---\ntitle: T\nauthor: {x: 1}\n---\n\nx\n", "a.md:3: author: give a name or a list of names"),
        ("---\ntitle: T\nlang: english\n---\n\nx\n", "a.md:3: lang: 'english' is not a BCP 47 language tag; "
                                                        "write one like en, en-US, pt-BR or zh-Hant-TW"),
    ],
)
def test_bad_markdown_is_one_clear_error(source: str, message: str) -> None:
    with pytest.raises(InputError) as info:
        read(source, source="a.md")
    assert str(info.value).startswith(message)
