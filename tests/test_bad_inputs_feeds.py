"""The bad-input catalogue for feeds and ninjs: each with the exact line publish prints, and never a traceback, a
partial file or a lost earlier output (the same harness as tests/test_bad_inputs.py).

Small inputs live in tests/fixtures/feeds/bad-inputs/; the 10,000-item feed is made at test time.
"""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import pytest
from lxml import html as lxml_html
from test_bad_inputs import Case, _parses

from publish.cli import main

from catalogue import EARLIER

FIXTURES = Path(__file__).parent / "fixtures" / "feeds" / "bad-inputs"
HOSTILE = ("<script", "onclick", "onmouseover", "onerror", "onload", "javascript:", "evil.example", "<iframe",
           "document.cookie", "display: none", "alert(")


def _big_feed(folder: Path) -> None:
    items = "".join(f"<item><title>Tide table {n}</title><link>https://tides.example/{n}</link>"
                    f"<pubDate>Mon, 10 Jun 2024 06:00:00 GMT</pubDate><content:encoded><![CDATA[<p>High water at pier "
                    f"{n} is at six.</p>]]></content:encoded></item>\n" for n in range(1, 10_001))
    (folder / "big.rss").write_text('<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0" xmlns:content='
                                    '"http://purl.org/rss/1.0/modules/content/"><channel><title>Tides</title>\n'
                                    f"{items}</channel></rss>\n", encoding="utf-8")


def _fifty_tide_tables(out: Path) -> None:
    page = lxml_html.parse(str(out / "big.html")).getroot()
    headlines = [h.text_content() for h in page.iterfind(".//article//h3")]
    assert headlines == [f"Tide table {n}" for n in range(1, 51)]


def _no_code_left(out: Path) -> None:
    html = (out / "hostile.html").read_text(encoding="utf-8")
    body = html.split("<body", 1)[1]
    for needle in HOSTILE:
        assert needle not in body, needle
    assert "Season tickets can be bought at any pier office or" in body  # the link's words stay, not its target
    with zipfile.ZipFile(out / "hostile.epub") as package:
        chapters = "".join(package.read(n).decode() for n in package.namelist() if n.endswith(".xhtml"))
    for needle in HOSTILE:
        assert needle not in chapters, needle


CATALOGUE: dict[str, Case] = {
    "feed with 10,000 items": Case(["big.rss"], "publish: warning: big.rss: 10,000 items; kept the first 50 (limit: "
                                                "50; a manifest's feed section can set another limit:)",
                                   builds=True, formats="html,epub", make=_big_feed, check=_fifty_tide_tables),
    "a web page named .rss": Case(["page.rss"], "publish: error: page.rss:1: is not an RSS or Atom feed (its root "
                                                "element is not <rss>, <rdf:RDF> or <feed>)"),
    "an .xml file that is not a feed": Case(["notes.xml"], "publish: error: notes.xml:1: is not an RSS or Atom feed "
                                                           "(its root element is not <rss>, <rdf:RDF> or <feed>)"),
    "a feed with no items": Case(["empty.rss"], "publish: error: empty.rss: has no items to read (0 in the feed)"),
    "script, style, event handlers and javascript: links in feed content": Case(
        ["hostile.rss"], "publish: warning: hostile.rss: image https://hostile.example/x.png not fetched (add "
                         "--allow-remote to fetch images from the web); the alt text and caption are kept as text",
        builds=True, formats="html,epub", check=_no_code_left),
    "entity expansion bomb in a feed": Case(["laughs.rss"], "publish: warning: laughs.rss:5: is not well-formed XML "
                                                            "(undefined entity); read the items that could be\n"
                                                            "publish: warning: laughs.rss item 1: '&lol9;' has no "
                                                            "full text in the feed; used its summary",
                                            builds=True, formats="html"),
    "ninjs failing its schema": Case(["bad-ninjs.json"], "publish: error: bad-ninjs.json:6: is not valid ninjs 3.0: "
                                                         "at $.urgency: 'high' is not of type 'integer'"),
}


@pytest.mark.parametrize("name", CATALOGUE)
def test_bad_feed_input(name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                        capsys: pytest.CaptureFixture[str]) -> None:
    case = CATALOGUE[name]
    for fixture in FIXTURES.iterdir():
        shutil.copy(fixture, tmp_path / fixture.name)
    if case.make is not None:
        case.make(tmp_path)
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    stem = Path(case.inputs[0]).stem
    formats = case.formats.split(",")
    earlier = {out / f"{stem}.{fmt}": EARLIER for fmt in formats}
    for path, data in earlier.items():
        path.write_bytes(data)
    code = main(["build", *case.inputs, "--to", case.formats, "--out", "out"])
    err = capsys.readouterr().err.splitlines()
    notices = [line for line in err if not line.startswith("wrote ")]
    assert notices == (case.message.split("\n") if case.message else []), f"{name}: {notices}"
    assert sorted(p.name for p in out.iterdir()) == sorted(p.name for p in earlier), f"{name}: a stray file was left"
    if case.builds:
        assert code == 0
        for path in earlier:
            assert path.read_bytes() != EARLIER, f"{path.name} was not rewritten"
            _parses(path)
        if case.check is not None:
            case.check(out)
    else:
        assert code == 1
        assert all(path.read_bytes() == EARLIER for path in earlier), f"{name}: an earlier output was changed"


def test_truncated_feed_warns_and_keeps_what_it_could_read(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    shutil.copy(FIXTURES / "truncated.rss", tmp_path / "truncated.rss")
    assert main(["build", str(tmp_path / "truncated.rss"), "--to", "html", "--out", str(tmp_path / "out")]) == 0
    notices = [line for line in capsys.readouterr().err.splitlines() if not line.startswith("wrote ")]
    assert notices == [
        f"publish: warning: {tmp_path}/truncated.rss:21: is not well-formed XML (no element found); read the items "
        "that could be",
        f"publish: warning: {tmp_path}/truncated.rss item 2: 'Fish Market Moves Its Auction to Dawn' has no text in "
        "the feed; it is a headline alone",  # cut before its link: there is no page to fetch either
    ]
    page = lxml_html.parse(str(tmp_path / "out" / "truncated.html")).getroot()
    assert "Shift workers at the hospital on the east bank" in page.text_content()


def test_inspect_reports_what_the_sanitiser_removed_from_feed_content(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["inspect", str(FIXTURES / "hostile.rss")]) == 0
    reasons = [line.split(": dropped (", 1)[1].split(")", 1)[0] for line in capsys.readouterr().err.splitlines()
               if ": dropped (" in line]
    for removed in ("event handler onclick removed", "<script> element removed with its content",
                    "<style> element removed with its content", "javascript: href removed (its words are kept",
                    "event handler onmouseover removed", "<iframe> element removed with its content"):
        assert removed in reasons, removed


def test_a_feed_never_makes_publish_fetch_its_dtd_or_entities(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    """External entities and DTDs (XXE) in a feed are not fetched, even with --allow-remote: the server's log stays
    empty, and the entity's text is not in the output."""
    from webserver import serve

    for name in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    with serve({"/evil.dtd": (b'<!ENTITY leak "LEAKED-FROM-DTD">', "application/xml-dtd"),
                "/secret": (b"LEAKED-SECRET", "text/plain")}) as site:
        (tmp_path / "xxe.rss").write_text(
            f'<?xml version="1.0"?>\n<!DOCTYPE rss SYSTEM "{site.url("/evil.dtd")}" [\n'
            f'<!ENTITY secret SYSTEM "{site.url("/secret")}">\n]>\n<rss version="2.0"><channel><title>XXE</title>'
            "<item><title>Harbour notice</title><description>Before &secret; after, and &leak;.</description>"
            "</item></channel></rss>\n", encoding="utf-8")
        code = main(["build", str(tmp_path / "xxe.rss"), "--allow-remote", "--to", "html", "--out",
                     str(tmp_path / "out")])
        assert site.requests == []
    assert code == 0, capsys.readouterr().err
    html = (tmp_path / "out" / "xxe.html").read_text(encoding="utf-8")
    assert "Harbour notice" in html and "LEAKED" not in html
