"""Reader for web pages (.html, .htm, and http(s) URLs fetched with --allow-remote): the story, not the page.

The encoding comes from the bytes (a byte-order mark, then the charset an HTTP header gave, then `<meta charset>`),
checked against them; a missing or wrong one gives a warning and a best guess (charset_normalizer). trafilatura
finds the main content (it leads the published article-extraction benchmarks); its XML, with formatting, links,
images and tables, is mapped onto the model through `htmlblocks`, so it is sanitised like every HTML fragment.
The metadata comes from the page's own declarations: JSON-LD (NewsArticle and its kin), OpenGraph, `<meta>`,
`<link rel=canonical>` and `<html lang>`; trafilatura's own heuristics fill what the page does not declare.
Figure captions come back from the page's `<figcaption>`; the report lists each text block of the page left out
(navigation, sidebars, comments...), with the reason.
"""

from __future__ import annotations

import codecs
import datetime as dt
import functools
import json
import logging
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urljoin, urlsplit

import lxml.html
from lxml import etree

from publish import model
from publish.build import cache
from publish.build.resources import figure_words
from publish.errors import InputError
from publish.model import text
from publish.readers import Dropped, Inferred, Reading, Source, sanitise
from publish.readers.htmlblocks import blocks_from_html, relative_headings

log = logging.getLogger(__name__)

PRESCAN_BYTES = 4096
"""How far into the bytes a `<meta charset>` is looked for (the HTML standard's prescan reads 1024; pages put a
long `<head>` first more often than the standard hoped)."""
META_CHARSET = re.compile(rb"""<meta\b[^>]*?charset\s*=\s*["']?\s*([A-Za-z0-9_:.+-]+)""", re.IGNORECASE)
XML_ENCODING = re.compile(rb"""^<\?xml[^>]*encoding\s*=\s*["']([A-Za-z0-9_.+-]+)""")
LATIN1_LABELS = {"iso-8859-1", "iso8859-1", "latin1", "latin-1", "l1", "ascii", "us-ascii", "cp819", "iso_8859-1",
                 "iso-ir-100", "windows-1252", "cp1252", "x-cp1252"}
"""Labels the HTML standard reads as windows-1252 (a superset of Latin-1 that pages labelled Latin-1 use)."""
BOMS = ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"))

ARTICLE_TYPES = {"newsarticle", "article", "reportagenewsarticle", "analysisnewsarticle", "opinionnewsarticle",
                 "reviewnewsarticle", "backgroundnewsarticle", "blogposting", "liveblogposting", "report",
                 "scholarlyarticle", "techarticle", "socialmediaposting", "webpage", "medicalwebpage"}
"""JSON-LD types whose headline, author and dates describe the story (a WebPage's are a fallback)."""
DEK_CLASSES = re.compile(r"(?:^|[\s_-])(?:dek|standfirst|subtitle|sub-?headline|strapline|article-?summary|"
                         r"kicker-?text|sub-?title|lede-?text)(?:$|[\s_-])", re.IGNORECASE)
TITLE_SEPARATORS = re.compile(r"\s+(?:[|–—»:·•]|-{1,2}|::)\s+|(?<=\S)[|｜-](?=[^\s|｜-]{2,}$)")
"""What joins a headline and a site's name in a `<title>` ("Story | Site", "Story - Site", "Story-新华网")."""
BYLINE_PREFIX = re.compile(r"^\s*(?:by|from|von|par|por|di|door|av|af)\s+", re.IGNORECASE)
NAME_SPLIT = re.compile(r"\s*(?:;|,\s*and\s+|\s+and\s+|\s+&\s+|,|\s+und\s+|\s+et\s+|\s+y\s+)\s*")

SKIPPED_TAGS = {"script", "style", "noscript", "template", "head", "title", "svg", "math", "iframe", "object",
                "select", "option", "button", "textarea"}
TEXT_BLOCKS = {"p", "li", "h1", "h2", "h3", "h4", "h5", "h6", "td", "th", "dt", "dd", "figcaption", "blockquote",
               "pre", "caption", "address", "summary", "legend", "label"}
CONTAINER_BLOCKS = {"div", "section", "article", "aside", "nav", "header", "footer", "main", "form", "ul", "ol",
                    "table", "tr", "tbody", "thead", "figure", "body", "span", "a"}
FURNITURE = (
    (re.compile(r"comment", re.IGNORECASE), "comments"),
    (re.compile(r"related|more-?stories|recommend|most-?(?:read|popular)|trending|outbrain|taboola",
                re.IGNORECASE), "related stories"),
    (re.compile(r"share|social|sharing", re.IGNORECASE), "share buttons"),
    (re.compile(r"newsletter|subscribe|signup|sign-up|paywall|register", re.IGNORECASE), "newsletter or sign-up"),
    (re.compile(r"cookie|consent|gdpr", re.IGNORECASE), "cookie notice"),
    (re.compile(r"(?:^|[\s_-])(?:ad|ads|advert\w*|sponsor\w*|promo\w*|dfp|banner)(?:$|[\s_-])", re.IGNORECASE),
     "advertising"),
    (re.compile(r"breadcrumb", re.IGNORECASE), "breadcrumbs"),
    (re.compile(r"(?:^|[\s_-])(?:nav|menu|masthead)", re.IGNORECASE), "navigation"),
    (re.compile(r"foot", re.IGNORECASE), "page footer"),
    (re.compile(r"sidebar|rail|widget", re.IGNORECASE), "sidebar"),
)
"""A class or id on an ancestor that names what a left-out block was (checked in this order)."""
FURNITURE_TAGS = {"nav": "navigation", "footer": "page footer", "aside": "sidebar", "header": "page header",
                  "form": "form"}
RIGHTS = re.compile(r"^(?:©|\(c\)\s|copyright\b|all rights reserved)", re.IGNORECASE)
RIGHTS_MAX_WORDS = 60
"""A copyright line is a sentence or two; a longer paragraph starting "Copyright" is about copyright."""
METADATA_CHARS = 512 * 1024
"""How much of a page trafilatura searches for a byline and a date (they sit near its top; its date search over a
whole 7 MB page takes ten seconds)."""
BYLINE_MAX_WORDS = 14
"""A byline line is short: names, "and", a title or agency at most."""
MIN_SENTENCE_WORDS, MIN_SENTENCE_CHARS = 8, 40
"""A story has a paragraph of at least this many words (or characters without spaces, for Chinese or Japanese);
a page whose every block is shorter is menus and links."""


def read(source: Source) -> Reading:
    """Read a web page: decode it, find the story, map it and the page's metadata onto the model."""
    decoded = decode(source)
    for note in decoded.notes:
        log.warning("%s: %s", source.name, note)
    cleaned = sanitise.clean_text(decoded.text.replace("\r\n", "\n").replace("\r", "\n"))
    for line, note in cleaned.notes:
        log.warning("%s:%d: %s", source.name, line, note)
    page = _parse(cleaned.text, source.name)
    return _PageReader(source, page, cleaned.text).read()


# --- the encoding --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Decoded:
    """A page's text, the encoding it was read in, and what was wrong with the declared one."""

    text: str
    """The characters."""
    encoding: str
    """The Python codec used."""
    notes: tuple[str, ...] = ()
    """Warnings: a missing, unknown or wrong charset, and the guess made instead."""


def decode(source: Source) -> Decoded:
    """The page's text from its bytes: BOM, then HTTP charset, then `<meta charset>`, each checked; else a guess."""
    data = source.data
    if not data.strip():
        raise InputError("is empty", path=source.name)
    for bom, codec in BOMS:
        if data.startswith(bom):
            return _strict(data[len(bom):], codec, source) or _guess(data, source, f"starts with a {codec} byte-order "
                                                                                   "mark but is not")
    declared: list[tuple[str, str]] = []  # (label, where)
    if source.charset:
        declared.append((source.charset, "the server's Content-Type header"))
    head = data[:PRESCAN_BYTES]
    match = XML_ENCODING.match(head) or META_CHARSET.search(head)
    if match:
        declared.append((match.group(1).decode("ascii", "replace"), "the page's <meta charset>"))
    if b"\x00" in data:
        line = data[: data.index(b"\x00")].count(b"\n") + 1
        raise InputError("is a binary file (NUL byte), not a web page", path=source.name, line=line)
    for label, where in declared:
        chosen = _codec(label)
        if chosen is None:
            return _fallback(data, source, f"{where} names an unknown charset {label!r}")
        if chosen != "utf-8" and _is_utf8(data):
            return Decoded(data.decode("utf-8"), "utf-8", (f"{where} says {label}, but the bytes are UTF-8; read as "
                                                           "UTF-8",))
        found = _strict(data, chosen, source)
        if found is not None:
            return found
        return _fallback(data, source, f"{where} says {label}, but {_decode_error(data, chosen)}")
    if _is_ascii(data):
        return Decoded(data.decode("ascii"), "ascii")
    return _fallback(data, source, "declares no charset")


def _fallback(data: bytes, source: Source, problem: str) -> Decoded:
    if _is_utf8(data):
        return Decoded(data.decode("utf-8"), "utf-8", (f"{problem}; read as UTF-8 (the bytes are valid UTF-8)",))
    return _guess(data, source, problem)


def _guess(data: bytes, source: Source, problem: str) -> Decoded:
    """charset_normalizer's best guess (windows-1252 where that reads the bytes the same: the likelier label for a
    Western page), else windows-1252 itself, which with Latin-1 for its gaps reads any bytes."""
    from charset_normalizer import from_bytes

    best = from_bytes(data[: 2 * 1024 * 1024]).best()
    codec = _codec(best.encoding) if best is not None else None
    western = _windows_1252(data)
    if codec is not None and codec != "cp1252":
        found = _strict(data, codec, source)
        if found is not None and found.text != western:
            return Decoded(found.text, codec, (f"{problem}; read as {_label(codec)} (charset_normalizer's best "
                                               "guess)",))
    guessed = "charset_normalizer's best guess" if codec is not None else "no better guess"
    return Decoded(western, "cp1252", (f"{problem}; read as windows-1252 ({guessed})",))


def _label(codec: str) -> str:
    """A codec as pages name it ("windows-1251", "shift_jis", "iso8859-15")."""
    return re.sub(r"^cp(125\d)$", r"windows-\1", codec)


def _strict(data: bytes, codec: str, source: Source) -> Decoded | None:
    try:
        return Decoded(_windows_1252(data) if codec == "cp1252" else data.decode(codec), codec)
    except UnicodeDecodeError:
        return None


def _windows_1252(data: bytes) -> str:
    """windows-1252 as browsers read it: the five bytes it leaves undefined are the C1 controls of Latin-1."""
    return re.sub("[\udc80-\udcff]", lambda m: chr(ord(m.group()) - 0xDC00), data.decode("cp1252", "surrogateescape"))


def _codec(label: str) -> str | None:
    """The Python codec for a charset label, as the HTML standard reads labels; None when unknown."""
    name = label.strip().lower()
    if name in LATIN1_LABELS:
        return "cp1252"
    if name in ("utf-16", "utf-16le", "utf-16be", "unicode"):  # a <meta> cannot be read in UTF-16: it means UTF-8
        return "utf-8"
    try:
        codec = codecs.lookup(name).name
    except LookupError:
        return None
    return "utf-8" if codec in ("utf-8", "utf_8") else codec


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _is_ascii(data: bytes) -> bool:
    return data.isascii()


def _decode_error(data: bytes, codec: str) -> str:
    try:
        data.decode(codec)
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        return f"byte 0x{data[exc.start]:02x} on line {line} is not {_label(codec)}"
    return "the bytes do not match it"


# --- the page ------------------------------------------------------------------------------------------------


def _parse(page_text: str, name: str) -> etree._Element:
    try:
        root = lxml.html.document_fromstring(page_text)
    except (etree.ParserError, ValueError) as exc:
        raise InputError(f"is not a web page lxml can read: {exc}", path=name) from None
    return root


@dataclass
class _Metadata:
    """What the page declares about itself, each value with where it came from."""

    values: dict[str, tuple[Any, str, int]] = field(default_factory=dict)

    def offer(self, key: str, value: Any, where: str, line: int = 0) -> None:
        """Keep the first non-empty value offered for a key (callers offer the most trusted source first)."""
        if key not in self.values and value not in (None, "", (), []):
            self.values[key] = (value, where, line)

    def line(self, key: str) -> int:
        return self.values[key][2] if key in self.values else 0

    def get(self, key: str) -> Any:
        return self.values[key][0] if key in self.values else None

    def where(self, key: str) -> str:
        return self.values[key][1] if key in self.values else ""


class _PageReader:
    """One read of one page: the metadata, the story's blocks and the report."""

    def __init__(self, source: Source, page: etree._Element, page_text: str) -> None:
        self.source = source
        self.name = source.name
        self.page = page
        self.page_text = page_text
        self.dropped: list[Dropped] = []
        self.inferred: list[Inferred] = []
        self.meta = _Metadata()
        self.base = self._base_url()

    def _base_url(self) -> str | None:
        """Where the page's relative image addresses point: its <base href>, else its URL if it was fetched."""
        remote = self.name if urlsplit(self.name).scheme in ("http", "https") else None
        base = self.page.find(".//base[@href]")
        href = str(base.get("href") or "").strip() if base is not None else ""
        if href:
            return urljoin(remote, href) if remote else href
        return remote

    def read(self) -> Reading:
        self.declared_metadata()
        body = self.story()
        self.trafilatura_metadata()
        headline = self.headline()
        blocks = self.without_headline(body, headline)
        blocks = self.without_byline_and_rights(blocks)
        blocks = [_map_inlines(b, self.linked) for b in blocks]
        blocks = self.with_lead_image(blocks)
        if not self.meta.get("language"):
            guessed = _language_of(" ".join([headline, *text.block_texts(blocks)]))
            self.meta.offer("language", guessed, "the page declares none; guessed from the story's text by py3langid")
        meta = self.model_meta(headline)
        self.report_left_out(blocks, meta)
        return Reading(model.Article(meta, tuple(blocks)), tuple(self.dropped), tuple(self.inferred))

    # --- metadata ------------------------------------------------------------------------------------------

    def declared_metadata(self) -> None:
        """JSON-LD first (the publisher's structured claim), then OpenGraph and Twitter cards, then <meta>."""
        for item, line in _json_ld(self.page):
            kind = _types(item)
            if not kind & ARTICLE_TYPES:
                if "organization" in kind or "newsmediaorganization" in kind:
                    self.meta.offer("site", _text(item.get("name")), "JSON-LD Organization", line)
                continue
            named = item.get("@type")
            where = f"JSON-LD {named[0] if isinstance(named, list) and named else named}"
            rank = "" if kind - {"webpage", "medicalwebpage"} else "page-"  # a WebPage's claims come after
            self.meta.offer(f"{rank}headline", _text(item.get("headline") or item.get("name")), where, line)
            self.meta.offer(f"{rank}dek", _text(item.get("alternativeHeadline")), where, line)
            self.meta.offer(f"{rank}authors", _names(item.get("author") or item.get("creator")), where, line)
            self.meta.offer("published", _date(item.get("datePublished") or item.get("dateCreated")), where,
                            line)
            self.meta.offer("updated", _date(item.get("dateModified")), where, line)
            publisher = item.get("publisher")
            self.meta.offer("site", _text(publisher.get("name")) if isinstance(publisher, dict) else
                            _text(publisher), where + " publisher", line)
            self.meta.offer("language", _text(item.get("inLanguage")), where, line)
            self.meta.offer("description", _text(item.get("description")), where, line)
            self.meta.offer("keywords", _keywords(item.get("keywords")), where, line)
            self.meta.offer("image", _image(item.get("image")), where, line)
            self.meta.offer("url", _text(item.get("url")) if not rank else "", where, line)
            self.meta.offer("rights", _text(item.get("copyrightNotice")), where, line)
        for key in ("headline", "dek", "authors"):
            if f"page-{key}" in self.meta.values:
                self.meta.offer(key, *self.meta.values[f"page-{key}"])
        metas = _meta_tags(self.page)
        for key, names in (
            ("headline", ("og:title", "twitter:title", "dc.title", "title")),
            ("site", ("og:site_name", "application-name", "publisher", "dc.publisher")),
            ("description", ("description", "og:description", "twitter:description", "dc.description")),
            ("published", ("article:published_time", "datepublished", "pubdate", "publishdate", "date",
                           "dc.date.issued", "dc.date", "dcterms.created", "sailthru.date", "parsely-pub-date")),
            ("updated", ("article:modified_time", "og:updated_time", "datemodified", "last-modified",
                         "dcterms.modified")),
            ("authors", ("author", "article:author", "dc.creator", "byl", "sailthru.author", "parsely-author")),
            ("keywords", ("news_keywords", "keywords", "article:tag")),
            ("image", ("og:image", "og:image:url", "og:image:secure_url", "twitter:image", "twitter:image:src")),
            ("image-alt", ("og:image:alt", "twitter:image:alt")),
            ("language", ("og:locale", "content-language", "dc.language", "language")),
            ("url", ("og:url",)),
            ("rights", ("copyright", "dc.rights", "rights")),
        ):
            for name in names:
                found = metas.get(name, [])
                if not found:
                    continue
                values = [v for v, _ in found]
                value: Any = values[0]
                if key == "authors":
                    value = tuple(n for v in values for n in _split_names(v) if not _looks_like_url(n))
                elif key == "keywords":
                    value = tuple(k for v in values for k in _keywords(v))
                elif key in ("published", "updated"):
                    value = _date(value)
                elif key == "language":
                    value = value.replace("_", "-")
                self.meta.offer(key, value, f"<meta {name}>", found[0][1])
        canonical = self.page.find(".//link[@rel='canonical']")
        if canonical is not None:
            self.meta.offer("url", (canonical.get("href") or "").strip(), "<link rel=canonical>",
                            canonical.sourceline or 0)
        lang = self.page.get("lang") or self.page.get("{http://www.w3.org/XML/1998/namespace}lang") or ""
        self.meta.offer("language", lang.strip(), "<html lang>", self.page.sourceline or 0)
        title = self.page.find(".//title")
        if title is not None:
            self.meta.offer("title", " ".join(title.text_content().split()), "<title>", title.sourceline or 0)
        h1 = self.page.find(".//h1")
        header = h1.getparent() if h1 is not None else None  # a dek sits with the headline, not in a sidebar
        header = header.getparent() if header is not None and header.getparent() is not None else header
        dek = next((e for e in (header.iter() if header is not None else ()) if isinstance(e.tag, str)
                    and e.tag in ("p", "h2", "div", "span")
                    and (e.get("itemprop") == "alternativeHeadline" or DEK_CLASSES.search(e.get("class") or ""))
                    and 3 <= len(e.text_content().split()) <= 60), None)
        if dek is not None:
            self.meta.offer("dek", " ".join(dek.text_content().split()), f"<{dek.tag} class={dek.get('class')!r}>",
                            dek.sourceline or 0)

    def trafilatura_metadata(self) -> None:
        """trafilatura's heuristics for what the page does not declare: a byline in the text, a date."""
        import trafilatura

        if all(self.meta.get(key) for key in ("authors", "published", "site", "description", "image")):
            return
        found = trafilatura.extract_metadata(self.page_text[:METADATA_CHARS], default_url=self.base)
        self.meta.offer("authors", tuple(n for n in _split_names(found.author or "") if not _looks_like_url(n)),
                        "trafilatura (the page's byline)")
        self.meta.offer("published", _date(found.date), "trafilatura (htmldate)")
        self.meta.offer("site", found.sitename or "", "trafilatura")
        self.meta.offer("description", found.description or "", "trafilatura")
        self.meta.offer("image", found.image or "", "trafilatura")

    def headline(self) -> str:
        """The page's own headline: its <h1> when that is the story's title, else the declared one, else <title>
        without the site's name; a page with none of them takes its first line of text, with a warning."""
        h1s = [(" ".join(_visible_text(h).split()), h.sourceline or 0) for h in self.page.iter("h1")]
        h1s = [(h, line) for h, line in h1s if h]
        parts = [(part, h.sourceline or 0) for h in self.page.iter("h1") for part in _parts(h)]
        declared = [self.meta.get(k) for k in ("headline", "title") if self.meta.get(k)]
        site = self.meta.get("site") or ""
        titles = [*declared, *(_without_site(t, site) for t in declared)]
        for candidates, same in ((h1s + parts, _same_text), (parts + h1s, _same_title)):
            for candidate, line in candidates:
                if any(same(candidate, t) for t in titles):
                    self.inferred.append(Inferred(line, candidate, "headline (the page's <h1>, as its metadata "
                                                                   "names it)"))
                    return candidate
        if len(h1s) == 1 and not (site and _same_title(h1s[0][0], site)) and len(h1s[0][0].split()) >= 3:
            self.inferred.append(Inferred(h1s[0][1], h1s[0][0], "headline (the page's only <h1>)"))
            return h1s[0][0]
        if self.meta.get("headline"):
            title = _without_site(self.meta.get("headline"), site)
            self.inferred.append(Inferred(self.meta.line("headline"), title,
                                          f"headline ({self.meta.where('headline')})"))
            return str(title)
        if self.meta.get("title"):
            title = _without_site(self.meta.get("title"), site)
            self.inferred.append(Inferred(self.meta.line("title"), title, "headline (<title> without the site's name)"))
            return str(title)
        if h1s:
            self.inferred.append(Inferred(h1s[0][1], h1s[0][0], "headline (the page's first <h1>)"))
            return h1s[0][0]
        first = next((t for b in self.body_blocks for t in text.block_texts([b]) if t.strip()), "")
        line = " ".join(first.split())
        short = " ".join(line.split()[:12]) + (" …" if len(line.split()) > 12 else "")
        log.warning("%s: the page names no headline (no <h1>, <title> or metadata); took its first words: %r",
                    self.name, short)
        self.inferred.append(Inferred(0, short, "headline (the first words of the text: the page names none)"))
        return short

    def model_meta(self, headline: str) -> model.Meta:
        values: dict[str, Any] = {"headline": headline}
        for key, attr in (("dek", "dek"), ("authors", "authors"), ("published", "published"), ("updated", "updated"),
                          ("site", "source"), ("url", "url"), ("language", "language"),
                          ("keywords", "keywords"), ("description", "summary"), ("rights", "rights")):
            value = self.meta.get(key)
            if value in (None, "", ()):
                continue
            if key == "url":
                value = _absolute(value, self.name)
                if not value:
                    continue
            if key == "language":
                value = value.split(",")[0].strip()
                if not re.fullmatch(r"[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8})*", value):
                    continue
            if key == "dek" and _same_title(value, headline):
                continue
            values[attr] = value
            shown = value if isinstance(value, str) else ", ".join(value) if isinstance(value, tuple) else \
                value.isoformat()
            self.inferred.append(Inferred(self.meta.line(key), shown, f"{attr} ({self.meta.where(key)})"))
        if "language" not in values:
            self.inferred.append(Inferred(0, "en", "language (the page declares none; publish's default)"))
        if values.get("updated") is not None and values.get("published") is not None and \
                _as_datetime(values["updated"]) < _as_datetime(values["published"]):
            del values["updated"]
        return model.Meta(**values)

    # --- the story -----------------------------------------------------------------------------------------

    def story(self) -> list[model.Block]:
        """The main content as blocks: the page element readability-lxml scores as the story, with its own markup;
        trafilatura's extraction (precise, then default) when that holds no sentence; else there is no article."""
        blocks, dropped = self._readability()
        if not _has_sentence(blocks):
            blocks, dropped = self._trafilatura()
            if _has_sentence(blocks):
                self.inferred.append(Inferred(0, text.plain(_first_inlines(blocks))[:80],
                                              "story (trafilatura's extraction: readability-lxml found no sentence)"))
        if not _has_sentence(blocks):
            words = len(" ".join(self._page_texts()).split())
            raise InputError(f"no article found: none of its {words:,} word{'' if words == 1 else 's'} of text reads "
                             "as a story (only "
                             "navigation, links and page furniture); give the story's own page, or its text with "
                             "--from scraped", path=self.name)
        self.dropped.extend(dropped)
        self.body_blocks = [_map_inlines(kept, lambda link: [link], self.located_image)
                            for b in self.with_captions(blocks) for kept in _map_figures(b, self.located)]
        return self.body_blocks

    def _readability(self) -> tuple[list[model.Block], list[Dropped]]:
        from readability import Document
        from readability.readability import Unparseable

        try:
            html = Document(self.page_text, url=self.base).summary(html_partial=True)
        except (Unparseable, ValueError, etree.ParserError):
            return [], []
        return blocks_from_html(html, source=self.name, base_url=self.base)

    def _trafilatura(self) -> tuple[list[model.Block], list[Dropped]]:
        import trafilatura

        options: dict[str, Any] = {
            "output_format": "xml", "include_formatting": True, "include_links": True, "include_images": True,
            "include_tables": True, "include_comments": False, "with_metadata": False, "url": self.base,
        }
        for precision in (True, False):
            xml = trafilatura.extract(self.page_text, favor_precision=precision, **options)
            if xml is not None:
                blocks, dropped = blocks_from_html(_xml_to_html(xml), source=self.name, base_url=self.base)
                if _has_sentence(blocks):
                    return blocks, dropped
        return [], []

    def page_url(self) -> str:
        """The page's own absolute address: where it was fetched from, else its canonical URL, else ""."""
        if self.base and urlsplit(self.base).scheme in ("http", "https"):
            return self.base
        return _absolute(str(self.meta.get("url") or ""), self.name)

    def resolve(self, figure: model.Figure) -> model.Figure:
        """An image address as the build can find it: a file beside a saved page stays relative; anything else
        points at the page's site (its canonical URL), where a browser would have found it."""
        src = figure.src
        if urlsplit(src).scheme:
            return figure
        if self._beside_page(src):  # a file path, as the build looks for it ("pier%207.png" is "pier 7.png")
            return model.Figure(unquote(urlsplit(src).path), figure.alt, figure.caption, figure.credit)
        url = self.page_url()
        return model.Figure(urljoin(url, src), figure.alt, figure.caption, figure.credit) if url else figure

    def located(self, figure: model.Figure) -> list[model.Block]:
        """The figure with an address the build can use; one whose image is nowhere to be found (a relative
        address, no file beside the page, no site to point at) keeps only its words, and is reported."""
        resolved = self.resolve(figure)
        if urlsplit(resolved.src).scheme or self._beside_page(resolved.src):
            return [resolved]
        self.dropped.append(Dropped(0, f"<img src={figure.src!r}>", "image not found beside the page, and the page "
                                    "names no site it came from (its alt text and caption are kept as text)"))
        return figure_words(figure)

    def located_image(self, node: model.Image) -> list[model.Inline]:
        """An image inside a line of text, as `located` treats a figure: one nowhere to be found keeps its alt text."""
        resolved = self.resolve(model.Figure(node.src, node.alt))
        if urlsplit(resolved.src).scheme or self._beside_page(resolved.src):
            return [model.Image(resolved.src, node.alt, node.title)]
        self.dropped.append(Dropped(0, f"<img src={node.src!r}>", "image not found beside the page, and the page "
                                    "names no site it came from (its alt text is kept as text)"))
        return [model.Text(node.alt)] if node.alt else []

    def _beside_page(self, src: str) -> bool:
        folder = self.source.path.parent if self.source.path is not None else None
        return folder is not None and not src.startswith("/") and \
            cache.file_found(folder / unquote(urlsplit(src).path))  # the cached reading depends on the answer

    def with_captions(self, blocks: list[model.Block]) -> list[model.Block]:
        """Each figure with the caption the page gives it in a <figcaption> (trafilatura keeps only the image)."""
        captions = self._page_captions()
        out: list[model.Block] = []
        for block in blocks:
            if isinstance(block, model.Figure) and not block.caption:
                caption = captions.get(_image_key(block.src))
                if caption:
                    block = model.Figure(block.src, block.alt or " ".join(text.plain(caption).split()), caption)
            if isinstance(block, model.Paragraph) and out and isinstance(out[-1], model.Figure) and \
                    _same_text(text.plain(block.content), text.plain(out[-1].caption)):
                continue  # the caption again, as a paragraph
            out.append(block)
        return out

    def _page_captions(self) -> dict[str, tuple[model.Inline, ...]]:
        captions: dict[str, tuple[model.Inline, ...]] = {}
        for figure in self.page.iter("figure"):
            caption = figure.find(".//figcaption")
            if caption is None:
                continue
            inner = etree.tostring(caption, encoding="unicode", with_tail=False)
            blocks, _ = blocks_from_html(inner, source=self.name, base_url=self.base)
            inlines = tuple(i for b in blocks if isinstance(b, model.Paragraph) for i in b.content)
            if not inlines:
                continue
            for img in figure.iter("img"):
                for attr in ("src", "data-src", "data-original", "data-lazy-src"):
                    if img.get(attr):
                        captions.setdefault(_image_key(urljoin(self.base or "", img.get(attr))), inlines)
                        captions.setdefault(_image_key(img.get(attr)), inlines)
        return captions

    def without_headline(self, blocks: list[model.Block], headline: str) -> list[model.Block]:
        """The body without the headline, dek and byline the story element may repeat as its first blocks."""
        out = list(blocks)
        dek = self.meta.get("dek") or ""
        authors = self.meta.get("authors") or ()
        while out and isinstance(out[0], (model.Heading, model.Paragraph)):
            first = text.plain(out[0].content)
            if _same_text(first, headline) or (dek and _same_text(first, dek)) or _is_byline(first, authors):
                out.pop(0)
            else:
                break
        return relative_headings(out)

    def without_byline_and_rights(self, blocks: list[model.Block]) -> list[model.Block]:
        """The body without a byline paragraph (often at the end, beside the copyright) and with a closing copyright
        line taken as the article's rights, printed once as the rights line."""
        authors = self.meta.get("authors") or ()
        out = [b for b in blocks if not (authors and isinstance(b, model.Paragraph)
                                         and _is_byline(text.plain(b.content), authors))]
        for index in range(len(out) - 1, max(len(out) - 4, -1), -1):
            block = out[index]
            if isinstance(block, model.Paragraph):
                line = " ".join(text.plain(block.content).split())
                if RIGHTS.match(line) and len(line.split()) <= RIGHTS_MAX_WORDS:
                    if not self.meta.get("rights"):
                        self.meta.offer("rights", line, "the story's closing copyright line")
                    if _same_text(line, self.meta.get("rights") or ""):
                        del out[index]
                    break
        return out

    def linked(self, link: model.Link) -> list[model.Inline]:
        """A link as a reader can follow it: a relative address made absolute with the page's own address; where
        that is unknown, its words without the link."""
        if urlsplit(link.url).scheme or link.url.startswith("//"):
            return [link]
        url = self.page_url()
        if url:
            return [model.Link(link.content, urljoin(url, link.url), link.title)]
        return list(link.content)

    def with_lead_image(self, blocks: list[model.Block]) -> list[model.Block]:
        """The page's declared lead image first, unless the story shows it already."""
        image = self.meta.get("image")
        if not image:
            return blocks
        src = self.resolve(model.Figure(image, "")).src
        findable = bool(urlsplit(src).scheme) or self._beside_page(src)
        shown = any(isinstance(b, model.Figure) and _image_key(b.src) == _image_key(src)
                    for b in model.iter_blocks(tuple(blocks)))
        if not findable or shown:
            return blocks
        alt = " ".join(str(self.meta.get("image-alt") or "").split())
        self.inferred.append(Inferred(self.meta.line("image"), src, f"lead image ({self.meta.where('image')})"))
        return [model.Figure(src=src, alt=alt), *blocks]

    # --- the report ----------------------------------------------------------------------------------------

    def report_left_out(self, blocks: list[model.Block], meta: model.Meta) -> None:
        """Every text block of the page that is not in the story, with what it was (by its place in the page)."""
        kept = _squash(" ".join(text.block_texts(blocks)))
        titles = {_squash(meta.headline), _squash(meta.dek)} - {""}
        names = [_squash(name) for name in meta.authors]
        for element, block_text in self._page_blocks():
            squashed = _squash(block_text)
            if not squashed or squashed in kept:
                continue
            if squashed in titles:
                reason = "the headline or dek (kept as the article's)"
            elif any(name in squashed for name in names) and len(block_text.split()) <= 12:
                reason = "the byline (kept as the article's authors)"
            else:
                reason = f"{_furniture(element)}: not part of the story"
            self.dropped.append(Dropped(element.sourceline or 0, block_text[:200], reason))

    def _page_blocks(self) -> Iterator[tuple[etree._Element, str]]:
        """The page's text blocks in order: each element holding text of its own that is not inside another."""
        body = self.page.find("body")
        if body is None:
            return
        yield from _text_blocks(body)

    def _page_texts(self) -> Iterator[str]:
        return (t for _, t in self._page_blocks())


def _text_blocks(element: etree._Element) -> Iterator[tuple[etree._Element, str]]:
    pending: list[str] = []
    owner = element

    def flush() -> Iterator[tuple[etree._Element, str]]:
        joined = " ".join(" ".join(pending).split())
        pending.clear()
        if joined:
            yield owner, joined

    if element.text:
        pending.append(element.text)
    for child in element:
        if not isinstance(child.tag, str):
            if child.tail:
                pending.append(child.tail)
            continue
        tag = child.tag.lower()
        if tag in SKIPPED_TAGS:
            pass
        elif tag in TEXT_BLOCKS:
            yield from flush()
            words = " ".join(_visible_text(child).split())
            if words:
                yield child, words
        elif tag in CONTAINER_BLOCKS - {"span", "a"}:
            yield from flush()
            if _has_block_inside(child):
                yield from _text_blocks(child)
            else:
                words = " ".join(_visible_text(child).split())
                if words:
                    yield child, words
        else:
            pending.append(_visible_text(child))
        if child.tail:
            pending.append(child.tail)
    yield from flush()


def _has_block_inside(element: etree._Element) -> bool:
    return any(isinstance(e.tag, str) and e.tag.lower() in TEXT_BLOCKS | CONTAINER_BLOCKS - {"span", "a"}
               for e in element.iterdescendants())


def _parts(heading: etree._Element) -> list[str]:
    """A heading's lines, where it holds several (a headline and a byline, a headline and a site's name)."""
    parts: list[str] = [heading.text or ""]
    for child in heading:
        if isinstance(child.tag, str) and child.tag.lower() not in SKIPPED_TAGS:
            parts.append(_visible_text(child))
        parts.append(child.tail or "")
    cleaned = [" ".join(p.split()) for p in parts]
    cleaned = [p for p in cleaned if p]
    return cleaned if len(cleaned) > 1 else []


def _visible_text(element: etree._Element) -> str:
    """An element's text without that of scripts, styles and other content no reader sees."""
    parts = [element.text or ""]
    for child in element:
        if isinstance(child.tag, str) and child.tag.lower() not in SKIPPED_TAGS:
            parts.append(_visible_text(child))
        parts.append(child.tail or "")
    return "".join(parts)


def _furniture(element: etree._Element) -> str:
    for node in (element, *element.iterancestors()):
        if not isinstance(node.tag, str):
            continue
        if node.tag.lower() in FURNITURE_TAGS:
            return FURNITURE_TAGS[node.tag.lower()]
        names = f"{node.get('class') or ''} {node.get('id') or ''} {node.get('role') or ''}"
        if not names.strip():
            continue
        for pattern, reason in FURNITURE:
            if pattern.search(names):
                return reason
    return "page text the main-content extraction left out"


def _absolute(url: str, page: str) -> str:
    """A page's declared address as an absolute http(s) URL ("//host/path" as https), resolved against where the
    page was fetched from; "" for anything else (a bare "www.host/path" names no scheme, a link would not work)."""
    url = url.strip()
    if urlsplit(page).scheme in ("http", "https"):
        url = urljoin(page, url)
    elif url.startswith("//"):
        url = f"https:{url}"
    return url if urlsplit(url).scheme in ("http", "https") and urlsplit(url).netloc else ""


def _map_figures(block: model.Block, change: Callable[[model.Figure], list[model.Block]]) -> list[model.Block]:
    """The block with every figure in it (inside quotes and list items too) replaced by what `change` gives."""
    def figure(node: model.Block) -> Sequence[model.Block]:
        return change(node) if isinstance(node, model.Figure) else (node,)

    return list(model.map_blocks((block,), figure))


def _map_inlines(block: model.Block, change: Callable[[model.Link], list[model.Inline]],
                 image: Callable[[model.Image], list[model.Inline]] = lambda node: [node]) -> model.Block:
    """The block with every link in its text (captions, cells and nested blocks too) replaced by what `change`
    gives, and every inline image by what `image` gives."""
    def node(inline: model.Inline) -> Sequence[model.Inline]:
        match inline:
            case model.Link():
                return change(inline)
            case model.Image():
                return image(inline)
            case _:
                return (inline,)

    (mapped,) = model.map_blocks((block,), inline=node)
    return mapped


# --- trafilatura's XML as HTML -------------------------------------------------------------------------------

XML_TAGS = {"p": "p", "list": "ul", "item": "li", "quote": "blockquote", "code": "code", "table": "table",
            "row": "tr", "cell": "td", "lb": "br", "del": "del", "ref": "a", "graphic": "img", "main": "div"}
HI_TAGS = {"#b": "b", "#i": "i", "#u": "u", "#t": "code", "#sub": "sub", "#sup": "sup"}


def _xml_to_html(xml: str) -> str:
    """trafilatura's XML (TEI-like: head, p, hi, ref, list, quote, table, graphic, lb) as plain HTML."""
    root = etree.fromstring(xml.encode("utf-8"), etree.XMLParser(resolve_entities=False, no_network=True,
                                                                 huge_tree=False))
    main = root.find("main")
    if main is None:
        return ""
    for element in main.iter():
        tag = element.tag
        rend = element.get("rend", "")
        if tag == "head":
            element.tag = rend if re.fullmatch(r"h[1-6]", rend) else "h2"
        elif tag == "hi":
            element.tag = HI_TAGS.get(rend, "span")
        elif tag == "list":
            element.tag = "ol" if rend == "ol" else "ul"
        elif tag == "cell":
            element.tag = "th" if element.get("role") == "head" else "td"
        elif tag == "ref":
            element.tag = "a"
            if element.get("target"):
                element.set("href", element.get("target"))
        elif tag == "code":
            element.tag = "pre" if "\n" in (element.text or "") or element.getparent() is main else "code"
        elif tag == "graphic":
            element.tag = "img"
        elif tag in XML_TAGS:
            element.tag = XML_TAGS[tag]
        else:
            element.tag = "span" if element.getparent() is not None and element.getparent().tag in ("p", "li") \
                else "div"
        for attr in list(element.attrib):
            if attr not in ("href", "src", "alt", "title"):
                del element.attrib[attr]
    return "".join(etree.tostring(child, encoding="unicode", method="html") for child in main) if len(main) else \
        (main.text or "")


def _has_sentence(blocks: list[model.Block]) -> bool:
    """Whether some paragraph, list item or quote is long enough to be prose, not a menu."""
    for block in model.iter_blocks(tuple(blocks)):
        if isinstance(block, model.Paragraph):
            words = text.plain(block.content)
            if len(words.split()) >= MIN_SENTENCE_WORDS or len("".join(words.split())) >= MIN_SENTENCE_CHARS:
                return True
    return False


LANGUAGE_MIN_CHARS = 200
LANGUAGE_MIN_CONFIDENCE = 0.9
"""A guess of the language from less text, or with less confidence, is no better than publish's default."""


def _language_of(story: str) -> str:
    """The story's language as py3langid tells it from its text (a model it ships), or "" when unsure."""
    if len(story) < LANGUAGE_MIN_CHARS:
        return ""
    language, confidence = _language_identifier().classify(story[:20_000])
    return str(language) if confidence >= LANGUAGE_MIN_CONFIDENCE else ""


@functools.cache
def _language_identifier() -> Any:
    """py3langid's identifier with probabilities (its model loads in about two seconds: once, and only for a page
    that declares no language)."""
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def _is_byline(line: str, authors: tuple[str, ...]) -> bool:
    """A short line naming the authors ("By Amina Qureshi and Tomás Ríos"), or starting "By" before a name."""
    words = line.split()
    if not words or len(words) > BYLINE_MAX_WORDS:
        return False
    if authors and all(_squash(name) in _squash(line) for name in authors):
        return True
    return bool(BYLINE_PREFIX.match(line)) and len(words) <= 6 and words[1][:1].isupper() if len(words) > 1 else False


def _first_inlines(blocks: list[model.Block]) -> tuple[model.Inline, ...]:
    return next((b.content for b in model.iter_blocks(tuple(blocks)) if isinstance(b, model.Paragraph)), ())


# --- metadata helpers ----------------------------------------------------------------------------------------


def _json_ld(page: etree._Element) -> Iterator[tuple[dict[str, Any], int]]:
    """Every JSON-LD object on the page, @graph members included, in order, with its script's line."""
    for script in page.iter("script"):
        if (script.get("type") or "").strip().lower() != "application/ld+json":
            continue
        try:
            data = json.loads(script.text or "")
        except (json.JSONDecodeError, RecursionError):
            continue
        for item in _objects(data, 0):
            yield item, script.sourceline or 0


def _objects(data: Any, depth: int) -> Iterator[dict[str, Any]]:
    if depth > 4:
        return
    if isinstance(data, list):
        for item in data:
            yield from _objects(item, depth + 1)
    elif isinstance(data, dict):
        if "@graph" in data:
            yield from _objects(data["@graph"], depth + 1)
        if "@type" in data:
            yield data
            main = data.get("mainEntity")
            if isinstance(main, (dict, list)):
                yield from _objects(main, depth + 1)


def _types(item: dict[str, Any]) -> set[str]:
    kind = item.get("@type")
    kinds = kind if isinstance(kind, list) else [kind]
    return {str(k).rsplit("/", 1)[-1].lower() for k in kinds if k}


def _text(value: Any) -> str:
    if isinstance(value, list):
        value = next((v for v in value if v), "")
    if isinstance(value, dict):
        value = value.get("name") or value.get("@value") or ""
    if not isinstance(value, (str, int, float)):
        return ""
    return " ".join(sanitise.html_to_text(str(value)).split())


def _names(value: Any) -> tuple[str, ...]:
    values = value if isinstance(value, list) else [value]
    names: list[str] = []
    for item in values:
        name = _text(item.get("name") if isinstance(item, dict) else item)
        for part in _split_names(name):
            if part and not _looks_like_url(part) and part not in names:
                names.append(part)
    return tuple(names)


def _split_names(value: str) -> list[str]:
    value = BYLINE_PREFIX.sub("", " ".join(value.split()))
    return [n.strip(" .") for n in NAME_SPLIT.split(value) if n.strip(" .")]


def _looks_like_url(value: str) -> bool:
    return bool(re.match(r"^(?:https?:)?//|^www\.", value.strip()))


def _keywords(value: Any) -> tuple[str, ...]:
    items = value if isinstance(value, list) else str(value or "").split(",")
    out: list[str] = []
    for item in items:
        word = _text(item)
        if word and word not in out:
            out.append(word)
    return tuple(out)


def _image(value: Any) -> str:
    if isinstance(value, list):
        value = next((v for v in value if v), "")
    if isinstance(value, dict):
        value = value.get("url") or value.get("contentUrl") or ""
    return value.strip() if isinstance(value, str) else ""


def _date(value: Any) -> model.Date | None:
    """An ISO 8601 date or date-time, as pages write them ("2024-06-12", "2024-06-12T08:00:00Z")."""
    if isinstance(value, list):
        value = next((v for v in value if v), None)
    if not isinstance(value, str) or not value.strip():
        return None
    raw = value.strip()
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", raw):
            return dt.date.fromisoformat(raw)
        moment = dt.datetime.fromisoformat(raw.replace(" ", "T", 1) if re.match(r"\d{4}-\d{2}-\d{2} \d", raw)
                                           else raw)
    except ValueError:
        match = re.match(r"(\d{4}-\d{2}-\d{2})", raw)
        return dt.date.fromisoformat(match.group(1)) if match and _valid_date(match.group(1)) else None
    return moment


def _valid_date(value: str) -> bool:
    try:
        dt.date.fromisoformat(value)
    except ValueError:
        return False
    return True


def _as_datetime(value: model.Date) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    return dt.datetime(value.year, value.month, value.day, tzinfo=dt.UTC)


def _meta_tags(page: etree._Element) -> dict[str, list[tuple[str, int]]]:
    """<meta name|property|itemprop|http-equiv=... content=...> by lower-case name: values and lines in page order."""
    found: dict[str, list[tuple[str, int]]] = {}
    for meta in page.iter("meta"):
        content = " ".join((meta.get("content") or "").split())
        if not content:
            continue
        for attr in ("property", "name", "itemprop", "http-equiv"):
            key = (meta.get(attr) or "").strip().lower()
            if key:
                found.setdefault(key, []).append((sanitise.html_to_text(content), meta.sourceline or 0))
    return found


def _without_site(title: str, site: str) -> str:
    """A <title> or og:title without the site's name joined to it ("Story | Site" → "Story")."""
    parts = [p.strip() for p in TITLE_SEPARATORS.split(title) if p.strip()]
    if len(parts) < 2:
        return title
    if site:
        kept = [p for p in parts if not _same_title(p, site) and _squash(site) not in _squash(p)]
        if kept and len(kept) < len(parts):
            return _rejoin(title, kept)
    longest = max(parts, key=len)
    if len(longest.split()) >= 3 and (parts[0] == longest or parts[-1] == longest):
        return longest if parts[0] == longest else _rejoin(title, parts[1:]) if len(parts) > 2 else longest
    return title


def _rejoin(title: str, kept: list[str]) -> str:
    """The title from its first kept part to its last, with the separators between them as written."""
    start = title.find(kept[0])
    end = title.rfind(kept[-1]) + len(kept[-1])
    return title[start:end].strip() if 0 <= start < end else " ".join(kept)


NOT_ALPHANUMERIC = re.compile(r"[\W_]+")


def _squash(value: str) -> str:
    """Text reduced to lower-case letters and digits, for comparing what a page and its metadata say."""
    return NOT_ALPHANUMERIC.sub("", value.casefold())


def _same_text(a: str, b: str) -> bool:
    return bool(_squash(a)) and _squash(a) == _squash(b)


def _same_title(a: str, b: str) -> bool:
    """Whether two titles are the same, or one is the other with a site name or kicker added."""
    sa, sb = _squash(a), _squash(b)
    if not sa or not sb:
        return False
    if sa == sb:
        return True
    shorter, longer = sorted((sa, sb), key=len)
    return len(shorter) >= 0.6 * len(longer) and shorter in longer


def _image_key(src: str) -> str:
    """An image's address without query and fragment, for matching the same picture in the page and the story."""
    parts = urlsplit(src.strip())
    return f"{parts.netloc}{parts.path}".lower() if parts.netloc else parts.path.lower().lstrip("./")

