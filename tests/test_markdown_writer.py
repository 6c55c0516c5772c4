"""The Markdown writer (`--to md`): every sample, and any article the property generator makes, reads back to the
same model; the loop Markdown → DOCX → Markdown keeps the model; text that looks like Markdown syntax stays text;
what Markdown cannot hold exactly keeps its words and is reported."""

from __future__ import annotations

import base64
import dataclasses
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from markdown_it import MarkdownIt
from test_properties import ARTICLES

from publish import model as m
from publish.backends import BACKENDS, RenderContext
from publish.backends.markdown import merged as joined
from publish.backends.markdown import write, writing
from publish.build.jobs import DEFAULT_FORMATS
from publish.build.resources import Resources
from publish.checks import parity
from publish.cli import main
from publish.model import jsonform, text
from publish.present.theme import load_theme
from publish.readers import read_file
from publish.readers.markdown import read_text

from conftest import SAMPLES, every_type_article

COMMONMARK = MarkdownIt("commonmark")
ARTICLE_SAMPLES = sorted([*SAMPLES.glob("*.md"), *SAMPLES.glob("*.txt"), *SAMPLES.glob("brief/*")])
"""Every sample article: Markdown, scraped text, and the morning brief's articles."""


def _read_back(article: m.Article) -> m.Article:
    return read_text(write(article), source="written.md", track_changes="all").article


def _build(sample: Path, fmt: str, out: Path) -> Path:
    """`publish build SAMPLE --to FMT --track-changes all`; a brief article (its image is the brief's, outside its
    folder) is rendered as the manifest's build renders it, with the samples folder as a root for images."""
    if sample.parent == SAMPLES:
        assert main(["build", str(sample), "--to", fmt, "--track-changes", "all", "--out", str(out)]) == 0
        return out / f"{sample.stem}.{fmt}"
    article = read_file(sample, track_changes="all").article
    context = RenderContext(load_theme("default"), Resources(base_dir=sample.parent, roots=(SAMPLES,)))
    data = BACKENDS[fmt].load().render(article, context)
    path = out / f"{sample.stem}.{fmt}"
    path.write_bytes(data.encode() if isinstance(data, str) else data)
    return path


@pytest.mark.parametrize("sample", ARTICLE_SAMPLES, ids=lambda p: p.name)
def test_every_sample_reads_back_to_the_same_model(sample: Path, tmp_path: Path) -> None:
    """The sample's model → `publish build --to md` → the Markdown reader: the same JSON form."""
    original = read_file(sample, track_changes="all").article
    again = read_file(_build(sample, "md", tmp_path), track_changes="all").article
    assert jsonform.to_data(again) == jsonform.to_data(original)


@pytest.mark.parametrize("sample", ARTICLE_SAMPLES, ids=lambda p: p.name)
def test_markdown_to_word_and_back_to_markdown_keeps_the_model(sample: Path, tmp_path: Path) -> None:
    """The loop: article → DOCX → model, and article → DOCX → Markdown → model, both the article's own model (a
    figure's image comes back from Word as a data: URI of the very same bytes)."""
    original = jsonform.to_data(read_file(sample, track_changes="all").article)
    word = _build(sample, "docx", tmp_path)
    from_word = jsonform.to_data(read_file(word, track_changes="all").article)
    _same_images(from_word, original, sample.parent)
    assert from_word == original
    assert main(["build", str(word), "--to", "md", "--track-changes", "all", "--out", str(tmp_path / "md")]) == 0
    markdown = tmp_path / "md" / f"{sample.stem}.md"
    from_markdown = jsonform.to_data(read_file(markdown, track_changes="all").article)
    _same_images(from_markdown, original, sample.parent)
    assert from_markdown == original


def _figures(data: Any) -> Iterator[dict[str, Any]]:
    if isinstance(data, dict):
        if data.get("type") in ("figure", "image"):
            yield data
        for value in data.values():
            yield from _figures(value)
    elif isinstance(data, list):
        for value in data:
            yield from _figures(value)


def _same_images(read_back: Any, original: Any, folder: Path) -> None:
    """Each figure or inline image Word gave back as a data: URI gets the original's path, once its bytes are the
    very bytes of the original's image file."""
    for again, first in zip(_figures(read_back), _figures(original), strict=True):
        if again["src"].startswith("data:"):
            assert base64.b64decode(again["src"].split(",", 1)[1]) == (folder / first["src"]).read_bytes()
            again["src"] = first["src"]


def test_the_tour_article_reads_back_including_its_table_caption() -> None:
    article = every_type_article()
    assert _read_back(article) == article


def _expressible(article: m.Article) -> m.Article:
    """The article as Markdown can say it, which a reader's model always is: text runs joined; the highest subhead
    outside lists and quotes at level 1; a table aligned all-default has no alignment; a figure's missing alt text
    is its caption; link targets percent-encoded."""
    levels = [b.level for b in article.blocks if isinstance(b, m.Heading)]
    shift = min(levels) - 1 if levels else 0

    def block(node: m.Block, top: bool = False) -> m.Block:
        if isinstance(node, m.Heading):
            return m.Heading(node.level - shift if top else node.level, merged(node.content))
        if isinstance(node, m.Paragraph):
            return m.Paragraph(merged(node.content))
        if isinstance(node, m.BlockQuote):
            return m.BlockQuote(tuple(block(b) for b in node.blocks), merged(node.attribution))
        if isinstance(node, (m.BulletList, m.OrderedList)):
            return dataclasses.replace(node, items=tuple(tuple(block(b) for b in item) for item in node.items))
        if isinstance(node, m.Table):
            return m.Table(tuple(merged(c) for c in node.header), tuple(tuple(merged(c) for c in row)
                                                                        for row in node.rows),
                           node.align if any(node.align) else (), merged(node.caption))
        if isinstance(node, m.Figure):
            return dataclasses.replace(node, caption=merged(node.caption), alt=node.alt or text.plain(node.caption))
        return node

    def merged(inlines: tuple[m.Inline, ...]) -> tuple[m.Inline, ...]:
        return _encoded(joined(inlines))

    return m.Article(article.meta, tuple(block(b, top=True) for b in article.blocks))


def _encoded(inlines: tuple[m.Inline, ...]) -> tuple[m.Inline, ...]:
    """Link and image targets percent-encoded as CommonMark readers encode them (the same address)."""
    out: list[m.Inline] = []
    for node in inlines:
        if isinstance(node, m.Link):
            node = dataclasses.replace(node, url=COMMONMARK.normalizeLink(node.url), content=_encoded(node.content))
        elif isinstance(node, m.Image):
            node = dataclasses.replace(node, src=COMMONMARK.normalizeLink(node.src))
        elif isinstance(node, (m.Emphasis, m.Strong, m.Insertion, m.Deletion, m.Comment)):
            node = dataclasses.replace(node, content=_encoded(node.content))
        out.append(node)
    return tuple(out)


@settings(max_examples=150)
@given(ARTICLES)
def test_any_article_reads_back_to_the_same_model(article: m.Article) -> None:
    """Hypothesis: every block and inline type, nested lists and quotes, marks inside marks, line breaks at the
    start of a run, text in three scripts with HTML's special characters; model → Markdown → model is the same
    model, or, where the writer reports what Markdown cannot hold, every word still there in the same order."""
    markdown, problems = writing(article)
    again = read_text(markdown, source="written.md", track_changes="all").article
    if all(problem.startswith("the link or image target") for problem in problems):  # the same address, encoded
        assert jsonform.to_data(again) == jsonform.to_data(_expressible(article))
        return
    assert _in_order(_words(article), _words(again)), problems


def _in_order(words: list[str], within: list[str]) -> bool:
    """Whether `words` all appear in `within`, in order (a figure read back from an image may say its alt twice)."""
    rest = iter(within)
    return all(word in rest for word in words)


def _words(article: m.Article) -> list[str]:
    return " ".join(passage.text for passage in parity.passages(article)).split()


TRICKY = [
    "# not a heading", "## nor this #", "1. not a list", "2024) a year", "- not a bullet", "+ nor this", "* nor this",
    "> not a quote", "--- not a rule", "===", "~~~ not a fence", "``` nor this", "    four spaces in front",
    "a | pipe | row", "*not emphasis* and _not either_ and **not strong**", "[not a link](https://x.example)",
    "![not an image](x.png)", "<b>not html</b> and <https://not.autolink>", "&amp; stays &amp; and &#169; too",
    "a \\ backslash and \\*", "{++not an insertion++} {>>nor a comment<<}", "`not code`", "trailing space ",
    "non-breaking space at the end\u00a0", "\u00a0at the start", "a tab\tinside", "Table: not a caption",
    "— not an attribution", "a line\nsplit in the text",
]


@pytest.mark.parametrize("words", TRICKY)
def test_text_that_looks_like_markdown_stays_text(words: str) -> None:
    code = m.Code(words) if "\n" not in words else m.Text(words)  # code spans cannot hold a line break
    article = m.Article(m.Meta("Escaping"), (m.Paragraph((m.Text("Before.", ),)), m.Paragraph((m.Text(words),)),
                                             m.Table(((m.Text(words),),), (((code,),),))))
    assert _read_back(article) == article


def test_code_blocks_and_spans_longer_than_their_backticks() -> None:
    code = m.CodeBlock("```\nnested ```` fence\n~~~", "markdown")
    spans = m.Paragraph((m.Code("a ` b"), m.Text(" "), m.Code("``double``"), m.Text(" "), m.Code(" padded ")))
    article = m.Article(m.Meta("Code"), (code, spans))
    written = write(article)
    assert "`````markdown\n```\nnested ```` fence\n~~~\n`````" in written
    assert _read_back(article) == article


def test_markup_reads_as_the_same_html_in_another_commonmark_reader() -> None:
    """The Markdown is plain CommonMark plus pipe tables: markdown-it's own renderer shows it as HTML."""
    html = MarkdownIt("commonmark").enable("table").render(write(every_type_article()).split("---\n", 2)[2])
    assert "<em>Wednesday</em>" in html and "<strong>night ferry</strong>" in html
    assert '<td style="text-align:right">120</td>' in html
    assert "<ol start=\"3\">" in html and "<blockquote>" in html and "<pre><code class=\"language-text\">" in html
    assert '<a href="https://news.example/timetable" title="PDF">full timetable</a>' in html


def test_lists_in_a_row_stay_separate_lists() -> None:
    item = ((m.Paragraph((m.Text("one"),)),),)
    article = m.Article(m.Meta("Lists"), (m.BulletList(item), m.BulletList(item), m.BulletList(item),
                                          m.OrderedList(item), m.OrderedList(item, start=5)))
    assert _read_back(article) == article


def test_what_markdown_cannot_hold_keeps_its_words_and_is_reported(caplog: pytest.LogCaptureFixture) -> None:
    article = m.Article(m.Meta("Limits"), (
        m.Heading(2, (m.Text("A subhead below level 1"),)),
        m.Figure("harbour-at-dawn.png", "", (m.Text("A caption without alt text"),)),
    ))
    with caplog.at_level(logging.WARNING, logger="publish"):
        again = _read_back(article)
    assert again.blocks == (m.Heading(1, (m.Text("A subhead below level 1"),)),
                            m.Figure("harbour-at-dawn.png", "A caption without alt text",
                                     (m.Text("A caption without alt text"),)))
    messages = [r.getMessage() for r in caplog.records]
    assert any("heading levels start at 2" in message for message in messages), messages
    assert any("has a caption but no alt text" in message for message in messages), messages


def test_markdown_is_asked_for_never_built_by_default(tmp_path: Path) -> None:
    assert "md" in BACKENDS and "md" not in DEFAULT_FORMATS
    assert main(["build", str(SAMPLES / "japanese-ferry.md"), "--to", "html", "--out", str(tmp_path)]) == 0
    assert not list(tmp_path.glob("*.md"))


def test_a_collection_gives_one_markdown_file_per_article(tmp_path: Path) -> None:
    assert main(["build", str(SAMPLES / "morning-brief.yaml"), "--to", "md", "--out", str(tmp_path)]) == 0
    files = sorted((tmp_path / "morning-brief-md").iterdir())
    assert [f.name[:3] for f in files] == [f"{n:02d}-" for n in range(1, 8)]
    first = read_file(files[0]).article
    assert first.meta.headline == "Ishaq Dar Key Diplomatic Visit to Bishkek"




def test_the_readme_loop_commands_run_as_written(tmp_path: Path) -> None:
    """The README's commands for the loop through Markdown, run as written: the article goes to Word, comes back
    edited (here: as it went), and is written as Markdown that reads back to the article's model."""
    import shlex
    import subprocess
    import sys

    readme = (SAMPLES.parent / "README.md").read_text(encoding="utf-8")
    block = readme.split("**The loop through Markdown**", 1)[1].split("```sh\n", 1)[1].split("```", 1)[0]
    commands = [shlex.split(line.split("#", 1)[0]) for line in block.splitlines() if line.strip()]
    assert [c[3] for c in commands] == ["build", "review", "build", "build"]
    (tmp_path / "article.md").write_bytes((SAMPLES / "suggestions.md").read_bytes())
    for number, command in enumerate(commands):
        assert command[:3] == ["python3", "-m", "publish"]
        done = subprocess.run([sys.executable, *command[1:]], cwd=tmp_path, capture_output=True, text=True,
                              timeout=300)
        assert done.returncode == 0, (command, done.stderr)
        if number == 0:  # the editor's turn
            (tmp_path / "edited.docx").write_bytes((tmp_path / "out" / "article.docx").read_bytes())
    again = read_file(tmp_path / "draft" / "edited.md", track_changes="all").article
    assert again == read_file(SAMPLES / "suggestions.md").article  # built accepted, so nothing pending
