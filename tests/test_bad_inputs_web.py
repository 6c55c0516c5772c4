"""The bad-input catalogue for web pages: wrong or missing charsets, a page with no article, a 50 MB page, script,
style, event handlers and `javascript:` links in the story; each with the exact line publish must print, never a
traceback, a partial file or a lost earlier output. Remote pages over the limits are in tests/test_fetch.py.

The pages are made at test time in the test's own folder, so each keeps its exact bytes (encodings included).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import html as lxml_html
from test_bad_inputs import Case, _parses

from catalogue import judge

STORY = ("The harbour authority said the night ferry will run from Pier 7 every forty minutes until two in the "
         "morning, for a trial month that riders have wanted for a decade. ")


def _page(folder: Path, name: str, data: bytes) -> None:
    (folder / name).write_bytes(data)


def _article(headline: str, body: str, head: str = "") -> str:
    return (f"<!doctype html><html><head>{head}<title>{headline} | Harbour Daily</title></head><body>"
            f"<nav><a href='/'>Home</a> <a href='/world'>World</a></nav><article><h1>{headline}</h1>"
            f"<p>{body}</p><p>{STORY}</p></article><footer>Harbour Daily</footer></body></html>")


def _wrong_charset(folder: Path) -> None:  # says UTF-8, is Latin-1: "é" is byte 0xe9
    _page(folder, "wrong-charset.html", _article("Café reopens by the harbour", "The café owner said " + STORY,
                                                 "<meta charset='utf-8'>").encode("latin-1"))


def _utf8_called_latin1(folder: Path) -> None:
    _page(folder, "utf8-called-latin1.html", _article("Café reopens by the harbour", "The café owner said " + STORY,
                                                      "<meta http-equiv='Content-Type' content='text/html; "
                                                      "charset=iso-8859-1'>").encode("utf-8"))


def _no_charset_cyrillic(folder: Path) -> None:
    body = ("Паром будет ходить от седьмого причала каждые сорок минут до двух часов ночи, сообщили в управлении "
            "порта. Жители ждали этого десять лет, и теперь ночной паром наконец вернулся в старый порт. ") * 2
    _page(folder, "no-charset.html", _article("Ночной паром вернулся в старый порт", body).encode("cp1251"))


def _unknown_charset(folder: Path) -> None:
    _page(folder, "unknown-charset.html", _article("Night ferry returns", STORY, "<meta charset='x-klingon'>")
          .encode("utf-8"))


def _no_article(folder: Path) -> None:
    _page(folder, "no-article.html", b"<!doctype html><html><head><title>Harbour Daily</title></head><body><nav><ul>"
          b"<li><a href='/'>Home</a></li><li><a href='/world'>World</a></li><li><a href='/sport'>Sport</a></li>"
          b"</ul></nav><form><input name=q><button>Search</button></form><footer>Harbour Daily</footer></body></html>")


def _huge_page(folder: Path) -> None:
    with (folder / "huge.html").open("wb") as handle:  # 50 MiB of real markup, written in 1 MiB pieces
        handle.write(b"<!doctype html><html><head><meta charset=utf-8><title>Huge</title></head><body>")
        paragraph = f"<p>{STORY}</p>\n".encode()
        piece = paragraph * (1024 * 1024 // len(paragraph))
        for _ in range(50):
            handle.write(piece)


SCRIPTED = ("<!doctype html><html><head><meta charset=utf-8><title>Night ferry returns | Harbour Daily</title>"
            "<script>alert('head')</script><style>p { color: red }</style></head><body><article>"
            "<h1>Night ferry returns</h1>"
            "<p onclick=\"steal()\">The harbour authority said on Wednesday that "
            "<a href=\"javascript:alert(document.cookie)\">the night ferry</a> will run from Pier 7 every forty "
            "minutes.<script>document.write('injected')</script></p><style>.x { display: none }</style>"
            "<p onmouseover=\"track()\">Fares are half the day rate, and the timetable will be posted at every pier by "
            "the weekend, along with maps of the route and its stops.</p>"
            "<p><a href=\" JaVaScRiPt:void(0)\" onfocus=\"x()\">Read the timetable</a> and "
            "<img src=\"x.png\" onerror=\"pwn()\" alt=\"\">subscribe.</p><noscript>Enable scripts</noscript>"
            "<iframe src=\"https://ads.example/\">frame text</iframe></article></body></html>")


def _scripted(folder: Path) -> None:
    _page(folder, "scripted.html", SCRIPTED.encode())


def _nothing_runs(out: Path) -> None:
    html = (out / "scripted.html").read_text(encoding="utf-8")
    page = lxml_html.fromstring(html)
    scripts = [s for s in page.iter("script") if s.get("type") != "application/ld+json"]
    assert scripts == []
    handlers = [name for e in page.iter() if isinstance(e.tag, str) for name in e.attrib if name.startswith("on")]
    assert handlers == []
    assert "javascript:" not in html.lower()
    for gone in ("alert", "injected", "steal", "track()", "pwn", "Enable scripts", "frame text", "color: red"):
        assert gone not in html, gone
    body = " ".join(page.find(".//article").text_content().split())
    for kept in ("said on Wednesday that the night ferry will run", "Read the timetable and subscribe."):
        assert kept in body, kept


def _nested_quotes(folder: Path) -> None:
    _page(folder, "nested-quotes.html", _article("Quotes inside quotes", "<blockquote>" * 200 + "Deepest words."
                                                 + "</blockquote>" * 200).replace("<p><blockquote>", "<blockquote>")
          .encode())


def _deepest_words_kept(out: Path) -> None:
    html = (out / "nested-quotes.html").read_text(encoding="utf-8")
    assert "Deepest words." in html and html.count("<blockquote") <= 32


def _nested_divs(folder: Path) -> None:
    _page(folder, "nested-divs.html", ("<html><body><h1>Divs inside divs</h1>" + "<div>" * 5000 + f"<p>{STORY}</p>"
                                       + "</div>" * 5000 + "</body></html>").encode())


def _wrong_charset_read_right(out: Path) -> None:
    assert "Café reopens by the harbour" in (out / "wrong-charset.html").read_text(encoding="utf-8")


def _cyrillic_read_right(out: Path) -> None:
    assert "Ночной паром вернулся в старый порт" in (out / "no-charset.html").read_text(encoding="utf-8")


CATALOGUE: dict[str, Case] = {
    "page says UTF-8 but is Latin-1": Case(
        ["wrong-charset.html"], "publish: warning: wrong-charset.html: the page's <meta charset> says utf-8, but byte "
                                "0xe9 on line 1 is not utf-8; read as windows-1252 (charset_normalizer's best guess)",
        builds=True, make=_wrong_charset, check=_wrong_charset_read_right),
    "page says Latin-1 but is UTF-8": Case(
        ["utf8-called-latin1.html"], "publish: warning: utf8-called-latin1.html: the page's <meta charset> says "
                                     "iso-8859-1, but the bytes are UTF-8; read as UTF-8",
        builds=True, make=_utf8_called_latin1),
    "page in windows-1251 with no charset": Case(
        ["no-charset.html"], "publish: warning: no-charset.html: declares no charset; read as windows-1251 "
                             "(charset_normalizer's best guess)",
        builds=True, make=_no_charset_cyrillic, check=_cyrillic_read_right),
    "page names an unknown charset": Case(
        ["unknown-charset.html"], "publish: warning: unknown-charset.html: the page's <meta charset> names an unknown "
                                  "charset 'x-klingon'; read as UTF-8 (the bytes are valid UTF-8)",
        builds=True, make=_unknown_charset),
    "page with no article": Case(
        ["no-article.html"], "publish: error: no-article.html: no article found: none of its 5 words of text reads as "
                             "a story (only navigation, links and page furniture); give the story's own page, or its "
                             "text with --from scraped", make=_no_article),
    "50 MB page": Case(["huge.html"], "publish: error: huge.html: is 50 MiB; inputs over 10 MiB are refused (split it "
                                      "into several articles)", make=_huge_page),
    "script, style, event handlers and javascript: links": Case(
        ["scripted.html"], "", builds=True, formats="html,epub", make=_scripted, check=_nothing_runs),
    "quotes nested 200 deep": Case(["nested-quotes.html"], "", builds=True, formats="html,docx,epub",
                                   make=_nested_quotes, check=_deepest_words_kept),
    "divs nested 5,000 deep": Case(["nested-divs.html"], "publish: error: nested-divs.html: no article found: none "
                                                         "of its 3 words of text reads as a story (only navigation, "
                                                         "links and page furniture); give the story's own page, or "
                                                         "its text with --from scraped", make=_nested_divs),
    "empty page": Case(["empty.html"], "publish: error: empty.html: is empty",
                       make=lambda d: _page(d, "empty.html", b" \n\t\n")),
    "binary file named .html": Case(["binary.html"], "publish: error: binary.html:2: is a binary file (NUL byte), "
                                                     "not a web page",
                                    make=lambda d: _page(d, "binary.html", b"<html>\n\x00\x01\x02")),
}


@pytest.mark.parametrize("name", CATALOGUE)
def test_bad_web_input(name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                       capsys: pytest.CaptureFixture[str]) -> None:
    case = CATALOGUE[name]
    assert case.make is not None
    case.make(tmp_path)
    monkeypatch.chdir(tmp_path)
    expected = [case.message.format(dir=tmp_path)] if case.message else []
    judge(name, tmp_path, capsys, case.inputs, case.formats, expected, case.builds, case.check, _parses)
