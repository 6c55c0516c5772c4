"""The model's one walk over the tree: reading order, list items and quote ends as events, maps that rebuild only
what changed, and no recursion limit for a deeply nested article."""

from __future__ import annotations

from publish import model as m
from publish.checks import parity
from publish.model import text
from publish.model.limits import MAX_DEPTH, block_depth


def para(words: str) -> m.Paragraph:
    return m.Paragraph((m.Text(words),))


QUOTE_IN_LIST = (
    m.BulletList(((para("first item"), m.BlockQuote((para("quoted"),), (m.Text("a source"),))), ())),
    para("after"),
)


def test_walk_tree_reports_items_and_the_end_of_each_quote_in_reading_order() -> None:
    events = [(event, depth, type(block).__name__) for event, depth, block in m.walk_tree(QUOTE_IN_LIST)]
    assert events == [
        ("enter", 0, "BulletList"), ("item", 0, "BulletList"), ("enter", 1, "Paragraph"),
        ("enter", 1, "BlockQuote"), ("enter", 2, "Paragraph"), ("leave", 1, "BlockQuote"),
        ("item", 0, "BulletList"), ("leave", 0, "BulletList"), ("enter", 0, "Paragraph"),
    ]


def test_a_quote_attribution_follows_its_words_in_every_text_view() -> None:
    assert list(text.block_texts(QUOTE_IN_LIST)) == ["first item", "quoted", "a source", "after"]
    labels = [p.label for p in parity.passages(m.Article(m.Meta(headline="H"), QUOTE_IN_LIST))]
    # a paragraph anywhere in a list item is named after the item, as before the walk moved into the model
    assert labels == ["headline", "list item 1", "list item 1", "quote 1 attribution", "paragraph 3"]


def test_map_blocks_rebuilds_only_what_changed_and_drops_emptied_lists() -> None:
    figure = m.Figure("a.png", "alt")
    blocks = (para("kept"), m.BulletList(((figure,),)), m.BlockQuote((figure, para("quoted"))))
    mapped = m.map_blocks(blocks, lambda b: () if isinstance(b, m.Figure) else (b,))
    assert mapped == (para("kept"), m.BlockQuote((para("quoted"),)))
    assert mapped[0] is blocks[0]
    assert m.map_blocks(blocks) is blocks


def test_map_inlines_replaces_links_inside_marks() -> None:
    content = (m.Emphasis((m.Link((m.Text("here"),), "https://example.org"),)),)
    unlinked = m.map_inlines(content, lambda n: n.content if isinstance(n, m.Link) else (n,))
    assert unlinked == (m.Emphasis((m.Text("here"),)),)


def test_an_absurdly_deep_article_is_measured_without_a_recursion_error() -> None:
    block: m.Block = para("deep")
    for _ in range(5_000):
        block = m.BlockQuote((block,))
    assert block_depth((block,)) == MAX_DEPTH + 1
    assert len(list(m.iter_blocks((block,)))) == 5_001
