"""The feed reader: RSS and Atom items become the articles of a collection (a digest), end to end."""

from __future__ import annotations

import json
import re
import shutil
import zipfile
from collections.abc import Iterator
from pathlib import Path

import docx
import pytest
from lxml import etree
from lxml import html as lxml_html
from webserver import Site, serve

from publish.cli import main
from publish.model import text
from publish.readers import Source, feed
from publish.readers.collection import load_manifest, without_duplicates

from validators import assert_same_words, run_epubcheck

FEEDS = Path(__file__).parent / "fixtures" / "feeds"
REAL = FEEDS / "real"
DIGEST = FEEDS / "evening-digest.yaml"
ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture(scope="module")
def digest(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("digest")
    assert main(["build", str(DIGEST), "--out", str(out)]) == 0
    return out


def _digest_collection():  # type: ignore[no-untyped-def]
    return without_duplicates(load_manifest(DIGEST)).collection


def test_digest_of_two_feeds_keeps_19_of_20_items(digest: Path) -> None:
    loaded = load_manifest(DIGEST)
    assert len(loaded.collection.articles) == 20
    assert [(d.kept.name, d.duplicate.name) for d in loaded.duplicates] == [
        ("harbour-news.rss item 9", "coast-wire.atom item 1")]
    collection = _digest_collection()
    assert [s.title for s in collection.sections] == ["City", "Coast"]
    assert [len(s.articles) for s in collection.sections] == [10, 9]
    assert sorted(p.name for p in digest.iterdir()) == [f"evening-digest.{e}" for e in ("docx", "epub", "html", "pdf")]


def test_digest_epub_passes_epubcheck_with_19_articles(digest: Path) -> None:
    run_epubcheck(digest / "evening-digest.epub")
    with zipfile.ZipFile(digest / "evening-digest.epub") as package:
        chapters = [n for n in package.namelist() if re.fullmatch(r"EPUB/article-\d{3}\.xhtml", n)]
    assert len(chapters) == 19


def test_digest_docx_and_html_hold_19_articles(digest: Path) -> None:
    headlines = [a.meta.headline for a in _digest_collection().articles]
    document = docx.Document(str(digest / "evening-digest.docx"))
    assert [p.text for p in document.paragraphs if p.style.name == "Heading 1"] == headlines
    page = lxml_html.parse(str(digest / "evening-digest.html")).getroot()
    assert len(page.findall(".//article")) == 19
    assert "Coast Guard Rescues Six Fishermen From a Drifting Trawler" not in headlines  # the later copy went


@pytest.mark.parametrize("fmt", ["html", "pdf", "docx", "epub"])
def test_digest_every_word_in_order(digest: Path, fmt: str) -> None:
    assert_same_words(_digest_collection(), digest / f"evening-digest.{fmt}")


def test_items_keep_title_author_date_link_and_categories() -> None:
    reading = feed.read_feed(Source.from_path(FEEDS / "harbour-news.rss"))
    assert reading.title == "Harbour Daily: City"
    first = reading.items[0].reading.article
    meta = first.meta
    assert meta.headline == "Night Ferry Trial Begins Between Old Port and New District"
    assert meta.authors == ("Amina Qureshi",)
    assert meta.published is not None and meta.published.isoformat() == "2024-06-10T06:00:00+00:00"
    assert meta.url == "https://harbour-daily.example/city/1"
    assert meta.keywords == ("transport", "ferries")
    assert meta.source == "Harbour Daily: City"
    assert len(first.blocks) == 3  # the full content (content:encoded), not the one-paragraph description
    atom = feed.read_feed(Source.from_path(FEEDS / "coast-wire.atom")).items[1].reading.article.meta
    assert (atom.headline, atom.authors, atom.url) == ("Airport Rail Link Opens Ahead of Schedule", ("Nadia Karim",),
                                                       "https://coast-wire.example/2024/06/10/2")


def _titles(path: Path) -> list[str]:
    """Each item's title as the XML says it (RSS 1.0/2.0 in or out of a namespace, or Atom), read with lxml."""
    root = etree.parse(str(path)).getroot()
    items = [e for e in root.iter() if isinstance(e.tag, str) and etree.QName(e).localname in ("item", "entry")]
    return [" ".join(next(c for c in item if etree.QName(c).localname == "title").xpath("string()").split())
            for item in items]


@pytest.mark.parametrize("name", ["touchnokia.atom", "pocketsoap-rss1.0.xml", "pocketsoap-rss2.0.rss",
                                  "pocketsoap-rss2.0-namespaced.xml"])
def test_real_feeds_read_every_item_with_its_title(name: str) -> None:
    reading = feed.read_feed(Source.from_path(REAL / name))
    assert [item.reading.article.meta.headline for item in reading.items] == _titles(REAL / name)
    assert all(item.reading.article.blocks for item in reading.items)


def test_summary_only_items_warn_and_keep_the_summary(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["inspect", str(REAL / "pocketsoap-rss2.0-namespaced.xml")]) == 0  # warnings as the CLI prints them
    reading = feed.read_feed(Source.from_path(REAL / "pocketsoap-rss2.0-namespaced.xml"))
    body = reading.items[0].reading.article.blocks
    assert [b.content[0].text for b in body] == ["correct description"]  # not the clashing module's description
    assert "pocketsoap-rss2.0-namespaced.xml item 1: 'Test Item - RSS2.0 w/ NS, no default NS, localName clash' has " \
           "no full text in the feed; used its summary (--allow-remote fetches the linked page)" in \
           capsys.readouterr().err


def test_real_atom_feed_builds_in_russian(tmp_path: Path) -> None:
    assert main(["build", str(REAL / "touchnokia.atom"), "--to", "html,epub", "--out", str(tmp_path)]) == 0
    run_epubcheck(tmp_path / "touchnokia.epub")
    page = lxml_html.parse(str(tmp_path / "touchnokia.html")).getroot()
    assert page.get("lang") == "ru"
    assert len(page.findall(".//article")) == 15
    assert page.find(".//h1").text_content().startswith("Все для Nokia 5800")  # the feed's title
    assert "style=" not in (tmp_path / "touchnokia.html").read_text(encoding="utf-8").split("<body", 1)[1]


def test_collection_title_replaces_the_feeds_and_each_feed_is_a_section(tmp_path: Path) -> None:
    code = main(["build", "--collection", "Evening digest", str(FEEDS / "harbour-news.rss"),
                 str(FEEDS / "coast-wire.atom"), "--to", "html", "--out", str(tmp_path)])
    assert code == 0
    page = lxml_html.parse(str(tmp_path / "evening-digest.html")).getroot()
    assert page.find(".//h1").text_content() == "Evening digest"
    assert len(page.findall(".//article")) == 19
    assert [a.text_content() for a in page.iterfind(".//li[@class='toc-section']/a")] == [
        "Harbour Daily: City", "Coast Wire"]  # each feed is a section titled by the feed


def test_xml_file_whose_root_is_a_feed_and_from_feed(tmp_path: Path) -> None:
    shutil.copy(FEEDS / "coast-wire.atom", tmp_path / "wire.xml")
    shutil.copy(FEEDS / "coast-wire.atom", tmp_path / "wire.txt")
    assert main(["build", str(tmp_path / "wire.xml"), "--to", "html", "--out", str(tmp_path / "a")]) == 0
    assert main(["build", str(tmp_path / "wire.txt"), "--from", "feed", "--to", "html", "--out",
                 str(tmp_path / "b")]) == 0
    for out in (tmp_path / "a" / "wire.html", tmp_path / "b" / "wire.html"):
        assert len(lxml_html.parse(str(out)).getroot().findall(".//article")) == 10


def test_manifest_limit_and_since(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for name in ("harbour-news.rss", "coast-wire.atom"):
        shutil.copy(FEEDS / name, tmp_path / name)
    (tmp_path / "brief.yaml").write_text("title: Brief\nsections:\n  - title: City\n    feed: harbour-news.rss\n"
                                         "    limit: 3\n  - title: Coast\n    feed: coast-wire.atom\n"
                                         "    since: 2024-06-11\n", encoding="utf-8")
    assert main(["build", str(tmp_path / "brief.yaml"), "--to", "html", "--out", str(tmp_path / "out")]) == 1
    assert capsys.readouterr().err.splitlines() == [
        f"publish: warning: {tmp_path / 'harbour-news.rss'}: 10 items; kept the first 3 (limit: 3; a manifest's feed "
        "section can set another limit:)",
        f"publish: error: {tmp_path / 'coast-wire.atom'}: has no items to read (10 in the feed, all before since: "
        "2024-06-11)"]
    (tmp_path / "brief.yaml").write_text("title: Brief\nsections:\n  - title: City\n    feed: harbour-news.rss\n"
                                         "    limit: 3\n  - title: Coast\n    feed: coast-wire.atom\n"
                                         "    since: 2024-06-10\n", encoding="utf-8")
    collection = load_manifest(tmp_path / "brief.yaml").collection
    assert [len(s.articles) for s in collection.sections] == [3, 10]


@pytest.mark.parametrize(("section", "message"), [
    ("    feed: missing.rss\n", "brief.yaml:4: feed 'missing.rss' not found"),
    ("    feed: harbour-news.rss\n    limit: many\n", "brief.yaml:5: section 1: limit: 'many' is not a number of "
                                                       "items (1 or more)"),
    ("    feed: harbour-news.rss\n    since: last week\n", "brief.yaml:5: section 1: since: 'last week' is not a "
                                                            "date; write YYYY-MM-DD"),
])
def test_manifest_feed_mistakes_are_one_line(section: str, message: str, tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    shutil.copy(FEEDS / "harbour-news.rss", tmp_path / "harbour-news.rss")
    (tmp_path / "brief.yaml").write_text(f"title: Brief\nsections:\n  - title: City\n{section}", encoding="utf-8")
    assert main(["build", str(tmp_path / "brief.yaml"), "--to", "html", "--out", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(f"publish: error: {tmp_path}/{message}")


def test_inspect_shows_every_item_and_what_was_inferred_and_dropped(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["inspect", str(REAL / "touchnokia.atom")]) == 0
    out, err = capsys.readouterr()
    data = json.loads(out)
    assert data["feed"].startswith("Все для Nokia 5800") and len(data["items"]) == 15
    assert data["items"][0]["meta"]["headline"] == "Невидимая броня для Вашего Nokia 5800"
    lines = err.splitlines()
    name = str(REAL / "touchnokia.atom")
    assert f"{name}:1: feed format: 'atom10'" in lines
    assert f"{name}:15: body (the item's full content): 'Невидимая броня для Вашего Nokia 5800'" in lines
    assert f"{name}:15: dropped (<object> element removed with its content): '<object>'" in lines
    figure = data["items"][0]["blocks"][0]  # the model as read: the web image stays a figure until a build
    assert (figure["type"], figure["src"]) == ("figure", "http://savecase.ru/downloads/468-60.gif")


def test_a_feed_listed_as_an_article_is_refused_with_what_to_do(tmp_path: Path,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    shutil.copy(FEEDS / "harbour-news.rss", tmp_path / "harbour-news.rss")
    (tmp_path / "brief.yaml").write_text("title: Brief\narticles:\n  - harbour-news.rss\n", encoding="utf-8")
    assert main(["build", str(tmp_path / "brief.yaml"), "--to", "html", "--out", str(tmp_path / "out")]) == 1
    assert capsys.readouterr().err.strip() == (
        f"publish: error: {tmp_path}/harbour-news.rss: is a feed of many articles, not one article; build it on its "
        "own (a collection titled by the feed) or list it in a manifest section as feed: FILE")


def test_atom_titles_oracle_sees_the_entries() -> None:
    """The lxml oracle above reads what the feeds hold (so the comparison cannot pass on two empty lists)."""
    assert len(_titles(REAL / "touchnokia.atom")) == 15
    assert _titles(FEEDS / "coast-wire.atom")[0] == "Coast Guard Rescues Six Fishermen From a Drifting Trawler"
    assert etree.parse(str(FEEDS / "coast-wire.atom")).getroot().tag == f"{ATOM}feed"


# --- feeds and their items' pages from a server on 127.0.0.1 ------------------------------------------------------

LINKED_PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Pier 7 reopens</title></head><body>
<nav><a href="/">Home</a></nav><article><h1>Pier 7 Reopens After Repairs</h1>
<p>The harbour authority reopened Pier 7 on Monday after six weeks of repairs to its timber deck and mooring posts,
and ferries to the new district will call there again from Tuesday morning.</p>
<p>Engineers replaced forty planks and two of the iron rings that hold the ferries' lines, the authority said, and
the waiting room has new benches and a timetable board that shows the next three departures.</p></article></body></html>
"""


def _summary_feed(base: str) -> bytes:
    return (f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Pier Notices</title>'
            f"<item><title>Pier 7 Reopens After Repairs</title><link>{base}/pier-7.html</link>"
            "<description>Pier 7 is open again.</description></item>"
            f"<item><title>Tide Gauge Photo</title><link>{base}/gauge.html</link><content:encoded "
            'xmlns:content="http://purl.org/rss/1.0/modules/content/"><![CDATA[<p>The new tide gauge at the harbour '
            f'mouth.</p><figure><img src="{base}/gauge.png" alt="A tide gauge on a post"></figure>]]>'
            "</content:encoded></item></channel></rss>").encode()


def _png() -> bytes:
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), (20, 60, 120)).save(buffer, "PNG")
    return buffer.getvalue()


@pytest.fixture
def feed_site(monkeypatch: pytest.MonkeyPatch) -> Iterator[Site]:
    for name in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    with serve({}) as running:
        base = running.url("")
        running.files.update({
            "/feeds/notices": (_summary_feed(base), "application/rss+xml"),
            "/feeds/city.rss": ((FEEDS / "harbour-news.rss").read_bytes(), "application/rss+xml"),
            "/feeds/coast.atom": ((FEEDS / "coast-wire.atom").read_bytes(), "application/atom+xml"),
            "/pier-7.html": (LINKED_PAGE.encode(), "text/html; charset=utf-8"),
            "/gauge.png": (_png(), "image/png"),
        })
        yield running


def test_evening_digest_from_two_feed_urls_in_one_command(feed_site: Site, tmp_path: Path,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["build", "--collection", "Evening digest", feed_site.url("/feeds/city.rss"),
                 feed_site.url("/feeds/coast.atom"), "--allow-remote", "--to", "epub", "--out", str(tmp_path)])
    assert code == 0, capsys.readouterr().err
    run_epubcheck(tmp_path / "evening-digest.epub")
    with zipfile.ZipFile(tmp_path / "evening-digest.epub") as package:
        assert len([n for n in package.namelist() if re.fullmatch(r"EPUB/article-\d{3}\.xhtml", n)]) == 19
    assert feed_site.requests == ["/feeds/city.rss", "/feeds/coast.atom"]


def test_feed_url_without_allow_remote_is_refused_and_nothing_is_fetched(feed_site: Site, tmp_path: Path,
                                                                        capsys: pytest.CaptureFixture[str]) -> None:
    url = feed_site.url("/feeds/notices")
    assert main(["build", url, "--to", "html", "--out", str(tmp_path / "out")]) == 1
    assert capsys.readouterr().err.splitlines() == [
        f"publish: error: {url}: is a remote URL; add --allow-remote to fetch it (nothing remote is fetched without "
        "it)"]
    assert feed_site.requests == [] and not (tmp_path / "out").exists()


def test_summary_only_item_reads_its_linked_page_with_allow_remote(feed_site: Site, tmp_path: Path,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    url = feed_site.url("/feeds/notices")  # no extension: a feed by its media type
    assert main(["build", url, "--allow-remote", "--to", "html", "--out", str(tmp_path)]) == 0
    capsys.readouterr()
    page = lxml_html.parse(str(tmp_path / "notices.html")).getroot()
    words = " ".join(page.text_content().split())
    assert "Engineers replaced forty planks and two of the iron rings" in words  # the linked page, not the summary
    assert "Home" not in words
    assert page.find(".//img[@alt='A tide gauge on a post']") is not None  # fetched, and embedded
    assert feed_site.requests == ["/feeds/notices", "/pier-7.html", "/gauge.png"]


def test_saved_feed_without_allow_remote_keeps_figure_words_and_fetches_nothing(
        feed_site: Site, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    saved = tmp_path / "notices.rss"
    saved.write_bytes(_summary_feed(feed_site.url("")))
    assert main(["build", str(saved), "--to", "html", "--out", str(tmp_path / "out")]) == 0
    notices = [line for line in capsys.readouterr().err.splitlines() if not line.startswith("wrote ")]
    assert notices == [
        f"publish: warning: {saved} item 1: 'Pier 7 Reopens After Repairs' has no full text in the feed; used its "
        "summary (--allow-remote fetches the linked page)",
        f"publish: warning: {saved}: image {feed_site.url('/gauge.png')} not fetched (add --allow-remote to fetch "
        "images from the web); the alt text and caption are kept as text"]
    words = " ".join(lxml_html.parse(str(tmp_path / "out" / "notices.html")).getroot().text_content().split())
    assert "Pier 7 is open again." in words and "A tide gauge on a post" in words
    assert feed_site.requests == []


def test_publish_check_takes_a_feed_as_the_source(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    feed_file = FEEDS / "harbour-news.rss"
    assert main(["build", str(feed_file), "--to", "html", "--out", str(tmp_path)]) == 0
    capsys.readouterr()
    assert main(["check", str(tmp_path / "harbour-news.html"), "--source", str(feed_file), "--skip",
                 "html-checker"]) == 0
    assert f"ok     {tmp_path / 'harbour-news.html'}: all 650 words in order" in capsys.readouterr().out
    page = tmp_path / "harbour-news.html"
    page.write_text(page.read_text(encoding="utf-8").replace("forty minutes until two", "often until"),
                    encoding="utf-8")
    assert main(["check", str(page), "--source", str(feed_file), "--skip", "html-checker"]) == 1
    assert "article 1, paragraph 1 “The harbour authority said" in capsys.readouterr().out


RSS_092 = """<?xml version="1.0"?>
<rss version="0.92"><channel><title>Quay Notes</title><link>https://quay.example/</link>
<description>Short notes from the quay</description><language>en-gb</language>
<item><title>Crane 4 back in service</title><description>&lt;p&gt;Crane 4 lifted its first container since
March on &lt;b&gt;Monday&lt;/b&gt;.&lt;/p&gt;</description></item>
<item><description>A notice with no title: the harbour office closes early on Friday.</description></item>
</channel></rss>
"""


def test_rss_092_items_without_titles_or_links(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """RSS 0.9x: an item may have a description only (composed here: no public package ships such a feed)."""
    (tmp_path / "quay.rss").write_text(RSS_092, encoding="utf-8")
    assert main(["inspect", str(tmp_path / "quay.rss")]) == 0
    reading = feed.read_feed(Source.from_path(tmp_path / "quay.rss"))
    first, second = (item.reading.article for item in reading.items)
    assert (first.meta.headline, first.meta.language) == ("Crane 4 back in service", "en-gb")
    assert [b.kind for b in first.blocks] == ["paragraph"] and first.blocks[0].content[1].kind == "strong"
    assert second.meta.headline == "A notice with no title: the harbour office…"  # its first eight words
    assert ("headline (the item has no title: its first words)", second.meta.headline) in [
        (i.role, i.text) for i in reading.items[1].reading.inferred]
    err = capsys.readouterr().err
    assert "quay.rss item 1: 'Crane 4 back in service' has no full text in the feed; used its summary\n" in err
    assert "quay.rss item 2: the untitled item has no full text in the feed; used its summary\n" in err


def test_html_titles_and_plain_text_content(tmp_path: Path) -> None:
    """Atom says what its text is: an HTML title loses its tags, plain-text content keeps "<" and its paragraphs."""
    (tmp_path / "plain.atom").write_text(
        '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"><title>Plain</title>'
        "<id>urn:x</id><updated>2024-06-10T00:00:00Z</updated><entry><title type=\"html\">Ferries &lt;em&gt;return"
        "&lt;/em&gt; at dawn</title><id>urn:x:1</id><updated>2024-06-10T00:00:00Z</updated><content type=\"text\">"
        "The first ferry left at 5 &lt; 6 o'clock.\n\nA second paragraph, after a blank line.</content></entry>"
        "</feed>", encoding="utf-8")
    article = feed.read_feed(Source.from_path(tmp_path / "plain.atom")).items[0].reading.article
    assert article.meta.headline == "Ferries return at dawn"
    assert [text.plain(b.content) for b in article.blocks] == ["The first ferry left at 5 < 6 o'clock.",
                                                               "A second paragraph, after a blank line."]


def test_manifest_section_can_name_a_feed_url(feed_site: Site, tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    shutil.copy(FEEDS / "harbour-news.rss", tmp_path / "harbour-news.rss")
    url = feed_site.url("/feeds/coast.atom")
    (tmp_path / "digest.yaml").write_text(f"title: Digest\nsections:\n  - title: City\n    feed: harbour-news.rss\n"
                                          f"  - title: Coast\n    feed: {url}\n    limit: 5\n", encoding="utf-8")
    assert main(["build", str(tmp_path / "digest.yaml"), "--to", "html", "--out", str(tmp_path / "out")]) == 1
    assert capsys.readouterr().err.splitlines() == [
        f"publish: error: {url}: is a remote URL; add --allow-remote to fetch it (nothing remote is fetched without "
        "it)"]
    assert feed_site.requests == []
    assert main(["build", str(tmp_path / "digest.yaml"), "--allow-remote", "--to", "html", "--out",
                 str(tmp_path / "out")]) == 0
    page = lxml_html.parse(str(tmp_path / "out" / "digest.html")).getroot()
    assert len(page.findall(".//article")) == 14  # 10 + 5, less the rescue story found in both
    assert f"coast item 1 is the same story as {tmp_path / 'harbour-news.rss item 9'}" in capsys.readouterr().err
