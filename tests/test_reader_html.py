"""HTML in: fragments to model blocks (shared with the feed and ninjs readers), and whole pages as articles."""

from __future__ import annotations

from publish import model as m
from publish import text
from publish.readers.htmlblocks import blocks_from_html


def t(value: str) -> m.Text:
    return m.Text(value)


def words(blocks: list[m.Block]) -> list[str]:
    return " ".join(text.block_texts(blocks)).split()


# --- fragments -> blocks -----------------------------------------------------------------------------------


def test_fragment_maps_every_block_and_inline_type() -> None:
    html = """
    <h2>What riders <em>get</em></h2>
    <p>The   harbour said on <i>Wednesday</i> that a <b>night ferry</b> runs from <code>Pier 7</code>
       to the <a href="/district" title="map">new district</a>.<br>Until 2 a.m.</p>
    <ul><li>Fares at half<ul><li>Bicycles free</li></ul></li><li><p>Pay on board</p></li></ul>
    <ol start="3"><li>Board</li><li>Pay</li></ol>
    <h3>Timetable</h3>
    <table><caption>Weeknights</caption><thead><tr><th>Departure</th><th>Fare</th></tr></thead>
      <tbody><tr><td>22:00</td><td><strong>120</strong></td></tr></tbody></table>
    <figure><img src="dawn.jpg" alt="Towers at dawn"><figcaption>The new <em>district</em></figcaption></figure>
    <blockquote><p>We waited ten years.</p></blockquote>
    <hr>
    <pre><code class="language-text">route 7N
  depart 22:00</code></pre>
    """
    blocks, dropped = blocks_from_html(html, source="story.html", base_url="https://news.example/harbour/")
    assert dropped == []
    assert blocks[0] == m.Heading(1, (t("What riders "), m.Emphasis((t("get"),))))
    assert blocks[1] == m.Paragraph((
        t("The harbour said on "), m.Emphasis((t("Wednesday"),)), t(" that a "), m.Strong((t("night ferry"),)),
        t(" runs from "), m.Code("Pier 7"), t(" to the "),
        m.Link((t("new district"),), "https://news.example/district", "map"), t("."), m.LineBreak(),
        t("Until 2 a.m."),
    ))
    assert blocks[2] == m.BulletList((
        (m.Paragraph((t("Fares at half"),)), m.BulletList(((m.Paragraph((t("Bicycles free"),)),),))),
        (m.Paragraph((t("Pay on board"),)),),
    ))
    assert blocks[3] == m.OrderedList(((m.Paragraph((t("Board"),)),), (m.Paragraph((t("Pay"),)),)), start=3)
    assert blocks[4] == m.Heading(2, (t("Timetable"),))
    assert blocks[5] == m.Table(header=((t("Departure"),), (t("Fare"),)),
                                rows=(((t("22:00"),), (m.Strong((t("120"),)),)),), caption=(t("Weeknights"),))
    assert blocks[6] == m.Figure(src="https://news.example/harbour/dawn.jpg", alt="Towers at dawn",
                                 caption=(t("The new "), m.Emphasis((t("district"),))))
    assert blocks[7] == m.BlockQuote((m.Paragraph((t("We waited ten years."),)),))
    assert blocks[8] == m.Rule()
    assert blocks[9] == m.CodeBlock("route 7N\n  depart 22:00", "text")
    assert len(blocks) == 10


def test_script_style_event_handlers_and_javascript_links_are_removed_and_reported() -> None:
    html = ('<p onclick="steal()">Click <a href="javascript:alert(1)">here</a> now.'
            '<script>document.cookie</script></p><style>p { color: red }</style>'
            '<p><a href=" JaVaScRiPt:evil()" onmouseover="x()">also</a> <img src="x.png" onerror="pwn()"></p>')
    blocks, dropped = blocks_from_html(html, source="story.html")
    assert words(blocks) == ["Click", "here", "now.", "also"]
    every_inline = repr(blocks)
    assert "javascript" not in every_inline.lower() and "cookie" not in every_inline and "steal" not in every_inline
    assert not any(isinstance(i, m.Link) for b in blocks if isinstance(b, m.Paragraph) for i in b.content)
    reasons = [d.reason for d in dropped]
    assert "event handler onclick removed" in reasons
    assert "javascript: href removed (its words are kept)" in reasons
    assert "<script> element removed with its content" in reasons
    assert "<style> element removed with its content" in reasons
    assert "event handler onerror removed" in reasons


def test_unknown_elements_keep_their_text_and_are_reported() -> None:
    blocks, dropped = blocks_from_html("<p>Before <blink>blinking</blink> after.</p><marquee>Old news</marquee>",
                                       source="s.html")
    assert words(blocks) == ["Before", "blinking", "after.", "Old", "news"]
    assert [d.reason for d in dropped] == ["unknown element <blink>: its text is kept",
                                           "unknown element <marquee>: its text is kept"]


def test_headings_are_relative_to_the_highest_one() -> None:
    blocks, _ = blocks_from_html("<h3>A</h3><p>x</p><h4>B</h4><h3>C</h3>", source="s.html")
    assert [(b.level, text.plain(b.content)) for b in blocks if isinstance(b, m.Heading)] == \
        [(1, "A"), (2, "B"), (1, "C")]


def test_text_outside_paragraphs_and_inside_containers_is_kept_in_order() -> None:
    html = "Loose words <div>in a div <span>and a span</span><p>then a paragraph</p> and a tail</div> end"
    blocks, _ = blocks_from_html(html, source="s.html")
    assert [text.plain(b.content) for b in blocks if isinstance(b, m.Paragraph)] == \
        ["Loose words", "in a div and a span", "then a paragraph", "and a tail", "end"]


def test_table_without_header_cells_takes_its_first_row_and_pads_short_rows() -> None:
    html = "<table><tr><td>Name</td><td>Age</td><td>Town</td></tr><tr><td colspan='2'>Ann, 40</td></tr></table>"
    blocks, _ = blocks_from_html(html, source="s.html")
    table = blocks[0]
    assert isinstance(table, m.Table)
    assert [text.plain(c) for c in table.header] == ["Name", "Age", "Town"]
    assert [[text.plain(c) for c in row] for row in table.rows] == [["Ann, 40", "", ""]]


def test_linked_image_becomes_a_figure_and_an_image_in_text_is_reported() -> None:
    html = '<p><a href="big.jpg"><img src="small.jpg" alt="Ferry"></a></p><h2>Title <img src="i.png" alt="icon"></h2>'
    blocks, dropped = blocks_from_html(html, source="s.html")
    assert blocks[0] == m.Figure(src="small.jpg", alt="Ferry")
    assert blocks[1] == m.Heading(1, (t("Title"),))
    assert dropped[0].reason == "image inside a line of text (alt: icon)"


def test_lists_nested_past_the_limit_keep_their_words() -> None:
    html = "<ul><li>" * 40 + "deep" + "</li></ul>" * 40
    blocks, _ = blocks_from_html(html, source="s.html")
    assert words(blocks) == ["deep"]


def test_empty_and_script_only_fragments_give_no_blocks() -> None:
    assert blocks_from_html("", source="s.html")[0] == []
    blocks, dropped = blocks_from_html("<script>x()</script>", source="s.html")
    assert blocks == [] and len(dropped) == 1
