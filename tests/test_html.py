"""The print-ready HTML: semantic structure, metadata, paged-media CSS, and no way for input to inject markup."""

from __future__ import annotations

import dataclasses
import json
import re

from lxml import html as lxml_html

from publish import model as m
from publish.backends import RenderContext
from publish.backends import html as backend

from conftest import every_type_article


def _doc(article: m.Article, context: RenderContext) -> lxml_html.HtmlElement:
    return lxml_html.document_fromstring(backend.render(article, context))


def test_semantic_article_header(context: RenderContext) -> None:
    doc = _doc(every_type_article(), context)
    assert doc.get("lang") == "en" and doc.get("dir") == "ltr"
    assert doc.findtext(".//title") == "Harbour Authority Opens Night Ferry Line"
    article = doc.find(".//article")
    assert article is not None
    assert [h.text_content() for h in article.findall("./header/h1")] == ["Harbour Authority Opens Night Ferry Line"]
    assert article.find("./header/address").text_content() == "By Amina Qureshi and Tomás Ríos"
    times = {t.get("class"): t.get("datetime") for t in article.iterfind(".//header//time")}
    assert times == {"published": "2024-06-12", "updated": "2024-06-13T09:30:00+05:00"}
    body = article.iterfind(".//div[@class='article-body']/*")
    assert [h.tag for h in body if re.fullmatch("h[1-6]", h.tag)] == ["h2", "h3"]


def test_body_blocks_are_the_right_elements(context: RenderContext) -> None:
    body = _doc(every_type_article(), context).find(".//div[@class='article-body']")
    assert body.find("./ol[@start='3']") is not None  # a numbered list that starts at 3
    assert body.find("./ul/li/ol") is not None  # a nested list
    table = body.find("./table")
    assert [th.text_content() for th in table.iterfind("./thead/tr/th")] == ["Departure", "Arrival", "Fare (Rs)"]
    assert table.find("./thead/tr/th[3]").get("class") == "align-right"
    img = body.find("./figure/img")
    assert img.get("alt").startswith("Tower blocks") and img.get("src").startswith("data:image/png;base64,")
    assert body.find("./figure/figcaption/span[@class='credit']").text == "Photo: Harbour Daily"
    assert body.find("./figure[@class='quote']/figcaption").text == "— Saima Baig, night-shift nurse"
    assert body.find(".//a[@href='https://news.example/timetable']").get("title") == "PDF"
    assert body.find("./pre/code").text == "route 7N\n  depart 22:00\n  arrive 22:35"


def test_metadata_and_json_ld(context: RenderContext) -> None:
    doc = _doc(every_type_article(), context)
    metas = {meta.get("name"): meta.get("content") for meta in doc.iterfind(".//meta[@name]")}
    assert metas["author"] == "Amina Qureshi; Tomás Ríos"
    assert metas["keywords"] == "transport, ferries, Karachi"
    assert metas["dcterms.created"] == "2024-06-12"
    data = json.loads(doc.find(".//script[@type='application/ld+json']").text)
    assert data["@type"] == "NewsArticle" and data["headline"] == "Harbour Authority Opens Night Ferry Line"
    assert [a["name"] for a in data["author"]] == ["Amina Qureshi", "Tomás Ríos"]
    assert data["datePublished"] == "2024-06-12" and data["publisher"]["name"] == "Harbour Daily"


def test_paged_media_css(context: RenderContext) -> None:
    css = _doc(every_type_article(), context).findtext(".//style")
    assert re.search(r"@page\s*{\s*size: A4;\s*margin: 22mm", css)
    assert "@bottom-center" in css and "counter(page)" in css and "counter(pages)" in css
    assert "@top-center" in css and "string(running-head)" in css
    assert "break-after: avoid" in css and "widows: 2" in css and "orphans: 2" in css


def test_theme_tokens_reach_the_css(context: RenderContext) -> None:
    theme = context.theme
    changed = dataclasses.replace(theme, colors=dataclasses.replace(theme.colors, heading="#00aa11"),
                                  page=dataclasses.replace(theme.page, size="Letter"))
    css = _doc(every_type_article(), dataclasses.replace(context, theme=changed)).findtext(".//style")
    assert "color: #00aa11" in css and "size: Letter" in css


def test_input_cannot_inject_markup_or_script_links(context: RenderContext) -> None:
    evil = m.Article(
        m.Meta(headline="</title><script>alert(1)</script>", authors=("<b>x</b>",)),
        (m.Paragraph((m.Text("<img src=x onerror=alert(1)>"),
                      m.Link((m.Text("click"),), "javascript:alert(1)"))),),
    )
    out = backend.render(evil, context)
    assert "<script>alert" not in out and "<img src=x" not in out and "<b>x</b>" not in out
    assert "javascript:" not in out
    doc = lxml_html.document_fromstring(out)
    assert doc.findtext(".//title") == "</title><script>alert(1)</script>"  # shown as text, exactly
    assert doc.find(".//div[@class='article-body']/p").text_content() == "<img src=x onerror=alert(1)>click"


def test_right_to_left_language_sets_dir(context: RenderContext) -> None:
    article = m.Article(m.Meta(headline="سرخی", language="ur"), (m.Paragraph((m.Text("متن"),)),))
    assert _doc(article, context).get("dir") == "rtl"


def test_heading_ids_are_unique_even_for_repeated_headings(context: RenderContext) -> None:
    heading = m.Heading(1, (m.Text("Same"),))
    article = m.Article(m.Meta(headline="H"), (heading, m.Paragraph((m.Text("a"),)), heading))
    ids = [h.get("id") for h in _doc(article, context).iterfind(".//h2")]
    assert ids == ["s1", "s2"]
