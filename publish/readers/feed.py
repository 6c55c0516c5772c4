"""Reader for RSS 0.9x/1.0/2.0 and Atom feeds: a feed is many articles, so it reads into a list of items.

feedparser parses every dialect (and the broken ones real sites serve) into one shape, without fetching anything
or expanding entities a DOCTYPE declares; each item's HTML then goes through the shared HTML mapper, which
sanitises it with nh3 (script, style, event handlers, `javascript:` links go, and are reported) into model
blocks. An item's body is its full content when the feed carries one (`content:encoded`, Atom
`content`), else its linked page when remote fetching is allowed, else its summary, with a warning. Title, authors,
date, link and categories (as keywords) come along; the feed's own title names the collection it builds.
`limit` (50 unless a manifest says otherwise) and `since` choose which items are read.
"""

from __future__ import annotations

import calendar
import dataclasses
import datetime as dt
import html
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from xml.sax import SAXParseException as SAXException

from publish import model
from publish.errors import InputError, PublishError
from publish.readers import Dropped, Inferred, Reading, Source
from publish.readers.fetch import FetchOptions

log = logging.getLogger(__name__)

DEFAULT_LIMIT = 50
"""Items read from one feed unless told otherwise: a day's digest, not a site's whole archive."""
ITEM_TAG = re.compile(rb"<(?:[\w.-]+:)?(?:item|entry)[\s>/]")
"""The start of an item (RSS) or entry (Atom), for the line numbers of reports."""
ROOT_TAG = re.compile(rb"<(?!\?|!)(?:[\w.-]+:)?([\w.-]+)")


@dataclass(frozen=True, slots=True)
class FeedItem:
    """One item of a feed, read as an article."""

    name: str
    """How messages name it: the feed and the item's number ("world.rss item 3")."""
    line: int
    """The line the item starts on in the feed (1 when it cannot be told)."""
    reading: Reading
    """The article and what was inferred and dropped on the way."""


@dataclass(frozen=True, slots=True)
class FeedReading:
    """What reading a feed gives: its title and language, its items as articles, and the report."""

    title: str
    """The feed's title (a collection built from it is titled so, unless told otherwise)."""
    language: str
    """The feed's language, or "" when it does not say."""
    items: tuple[FeedItem, ...]
    """The items kept, in the feed's order."""
    dropped: tuple[Dropped, ...] = ()
    """Items left out (past the limit, before `since`, empty), with the reason."""
    inferred: tuple[Inferred, ...] = ()
    """What the reader decided about the feed."""


PageReader = Callable[[str], model.Article | None]
"""Fetches and reads an item's linked page into an article (None when it cannot), for items without content."""


def linked_pages(options: FetchOptions) -> PageReader:
    """Reads an item's linked page (fetched within the options' limits) with publish's HTML reader; a page that
    cannot be fetched or read is reported, and the item falls back to its summary."""
    def read_page(url: str) -> model.Article | None:
        from publish.readers import READERS, read_source
        from publish.readers.fetch import fetch

        if "html" not in READERS:
            return None
        try:
            fetched = fetch(url, options)
            return read_source(Source(url, fetched.data, charset=fetched.charset), "html").article
        except PublishError as exc:
            log.warning("%s", exc)
            return None

    return read_page


def is_feed(data: bytes) -> bool:
    """Whether the bytes are an RSS (`rss`, `rdf:RDF`) or Atom (`feed`) document, by their root element."""
    stripped = re.sub(rb"<!--.*?-->|<!DOCTYPE[^\[>]*(?:\[.*?\])?\s*>", b"", data[:65536], flags=re.DOTALL)
    match = ROOT_TAG.search(stripped)
    return match is not None and match.group(1).lower() in (b"rss", b"rdf", b"feed")


class ManyArticles(InputError):
    """A feed reached where one article was expected (an input read by the registry, a fetched URL): it carries
    the source, so the build can read the feed as the collection it is instead."""

    def __init__(self, source: Source) -> None:
        super().__init__("is a feed of many articles, not one article; build it on its own (a collection titled by "
                         "the feed) or list it in a manifest section as feed: FILE", path=source.name)
        self.source = source

    def __reduce__(self) -> tuple[type, tuple[str], dict[str, object]]:
        """Across processes it is a plain InputError (the source's bytes stay behind)."""
        return (InputError, (self.message,), {k: v for k, v in self.__dict__.items() if k != "source"})


def read(source: Source) -> Reading:
    """A feed is many articles: the registry's one-article entry point refuses it (see `ManyArticles`)."""
    raise ManyArticles(source)


def read_feed(source: Source, *, limit: int = DEFAULT_LIMIT, since: dt.date | None = None,
              page_reader: PageReader | None = None) -> FeedReading:
    """Parse the feed and read each item chosen into an article; refuse what is not a feed with one line."""
    import feedparser

    if not is_feed(source.data):
        raise InputError("is not an RSS or Atom feed (its root element is not <rss>, <rdf:RDF> or <feed>)",
                         path=source.name, line=1)
    parsed = feedparser.parse(source.data, response_headers=_headers(source), sanitize_html=False,
                              resolve_relative_uris=True)
    if not parsed.get("version") and not parsed.entries:
        problem = parsed.get("bozo_exception")
        reason = f": {problem}" if problem else ""
        raise InputError(f"is not an RSS or Atom feed feedparser can read{reason}", path=source.name,
                         line=getattr(problem, "getLineNumber", lambda: 1)())
    if parsed.get("bozo") and isinstance(parsed.get("bozo_exception"), SAXException):
        problem = parsed["bozo_exception"]
        log.warning("%s:%d: is not well-formed XML (%s); read the items that could be", source.name,
                    problem.getLineNumber(), problem.getMessage())
    lines = _item_lines(source.data, len(parsed.entries))
    feed = parsed.feed
    title = _text(feed.get("title")) or source.name
    language = _text(feed.get("language"))
    inferred = [Inferred(1, title, "collection title (the feed's title)"),
                Inferred(1, str(parsed.get("version") or "feed"), "feed format")]
    dropped: list[Dropped] = []
    items: list[FeedItem] = []
    for number, entry in enumerate(parsed.entries, 1):
        line = lines[number - 1]
        name = f"{source.name} item {number}"
        published = _date(_field(entry, "published_parsed") or _field(entry, "updated_parsed"))
        if since is not None and published is not None and _day(published) < since:
            dropped.append(Dropped(line, _text(entry.get("title")), f"published {published:%Y-%m-%d}, before "
                                                                     f"since: {since.isoformat()}"))
            continue
        if len(items) == limit:
            dropped.append(Dropped(line, _text(entry.get("title")), f"past the limit of {limit} items"))
            continue
        item = _item(entry, name, line, feed, published, page_reader)
        if item is None:
            dropped.append(Dropped(line, _text(entry.get("title")), "item with no title and no text"))
            continue
        items.append(item)
    cut = sum(1 for d in dropped if d.reason.startswith("past the limit"))
    if cut:
        log.warning("%s: %s items; kept the first %d (limit: %d; a manifest's feed section can set another "
                    "limit:)", source.name, f"{len(parsed.entries):,}", limit, limit)
    if not items:
        raise InputError(f"has no items to read ({len(parsed.entries)} in the feed"
                         f"{', all before since: ' + since.isoformat() if since and parsed.entries else ''})",
                         path=source.name)
    return FeedReading(title, language, tuple(items), tuple(dropped), tuple(inferred))


def _item(entry: Any, name: str, line: int, feed: Any, published: model.Date | None,
          page_reader: PageReader | None) -> FeedItem | None:
    from publish.readers.htmlblocks import blocks_from_html

    title = _as_text(entry.get("title"), entry.get("title_detail"))
    link = str(entry.get("link") or "")
    contents = [c for c in entry.get("content") or () if _text(c.get("value"))]
    summary = _as_html(str(entry.get("summary") or ""), entry.get("summary_detail"))
    inferred: list[Inferred] = []
    dropped: list[Dropped] = []
    blocks: list[model.Block] = []
    page: model.Article | None = None
    if contents:
        markup = _as_html(str(contents[0]["value"]), contents[0])
        found, lost = blocks_from_html(markup, source=name, base_url=link or None)
        blocks, how = list(found), "body (the item's full content)"
        dropped += [dataclasses.replace(d, line=line) for d in lost]
    elif page_reader is not None and link and (page := page_reader(link)) is not None:
        blocks, how = list(page.blocks), "body (the item's linked page)"
    elif _text(summary):
        found, lost = blocks_from_html(summary, source=name, base_url=link or None)
        blocks, how = list(found), "body (the item's summary only: the feed carries no full text)"
        dropped += [dataclasses.replace(d, line=line) for d in lost]
        log.warning("%s: %s has no full text in the feed; used its summary%s", name,
                    repr(title) if title else "the untitled item",
                    "" if page_reader or not link else " (--allow-remote fetches the linked page)")
    else:
        how = ""
        if title:
            log.warning("%s: %r has no text in the feed; it is a headline alone%s", name, title,
                        "" if page_reader or not link else " (--allow-remote fetches the linked page)")
    if not title and not blocks:
        return None
    if not title:
        title = _first_words(blocks) or link or name
        inferred.append(Inferred(line, title, "headline (the item has no title: its first words)"))
    if how:
        inferred.append(Inferred(line, title, how))
    authors = [_text(a.get("name")) or _text(a.get("email")) for a in entry.get("authors") or ()]
    if not any(authors) and entry.get("author"):
        authors = [_text(entry.get("author"))]
    language = next((_text(c.get("language")) for c in contents if c.get("language")), "") or \
        _text(feed.get("language")) or (page.meta.language if page else "")
    meta = model.Meta(
        headline=title,
        authors=tuple(dict.fromkeys(a for a in authors if a)),
        published=published,
        updated=_updated(entry, published),
        source=_text(feed.get("title")),
        url=link,
        language=language or "en",
        keywords=tuple(dict.fromkeys(_text(t.get("label")) or _text(t.get("term")) for t in entry.get("tags") or ()
                                     if _text(t.get("label")) or _text(t.get("term")))),
        summary=_plain(summary) if contents and _plain(summary) else "",
        rights=_text(entry.get("rights")) or _text(feed.get("rights")),
        identifier=str(entry.get("id") or ""),
    )
    return FeedItem(name, line, Reading(model.Article(meta, tuple(blocks)), tuple(dropped), tuple(inferred)))


def _headers(source: Source) -> dict[str, str]:
    """An HTTP charset, when the feed came with one, for feedparser's encoding detection."""
    return {"content-type": f"application/xml; charset={source.charset}"} if source.charset else {}


def _item_lines(data: bytes, count: int) -> list[int]:
    """The line each item starts on, when the start tags found match the items parsed (else 1 for each)."""
    starts: list[int] = []
    line, offset = 1, 0
    for match in ITEM_TAG.finditer(data):  # count the newlines between one item and the next, once
        line += data.count(b"\n", offset, match.start())
        offset = match.start()
        starts.append(line)
    return starts if len(starts) == count else [1] * count


def _date(parsed: Any) -> dt.datetime | None:
    """feedparser's UTC struct_time as an aware datetime."""
    if not parsed:
        return None
    return dt.datetime.fromtimestamp(calendar.timegm(parsed), tz=dt.UTC)


def _field(entry: Any, key: str) -> Any:
    """An item's own field, without feedparser's fallbacks (it answers `updated` with `published`, and warns)."""
    return dict.get(entry, key)


def _updated(entry: Any, published: model.Date | None) -> dt.datetime | None:
    """When the item was updated, if the feed says so and it is not its publication time."""
    updated = _date(_field(entry, "updated_parsed"))
    return updated if updated != published and _field(entry, "published_parsed") else None


def _day(value: model.Date) -> dt.date:
    return value.date() if isinstance(value, dt.datetime) else value


def _as_text(value: Any, detail: Any) -> str:
    """A title as plain text: feedparser hands over markup when the feed says the title is HTML."""
    if value and isinstance(detail, dict) and str(detail.get("type", "")).endswith("html"):
        return _plain(str(value))
    return _text(value)


def _as_html(value: str, detail: Any) -> str:
    """Item content as HTML: plain-text content (Atom `type="text"`) becomes escaped paragraphs, split at blank
    lines, so a "<" in it stays a character and its paragraphs stay apart."""
    if isinstance(detail, dict) and detail.get("type") == "text/plain":
        return "".join(f"<p>{html.escape(part.strip())}</p>" for part in re.split(r"\n\s*\n", value) if part.strip())
    return value


def _text(value: Any) -> str:
    return " ".join(str(value).split()) if value else ""


def _plain(html: str) -> str:
    from publish.readers.sanitise import html_to_text

    return " ".join(html_to_text(html).split())


def _first_words(blocks: list[model.Block], count: int = 8) -> str:
    from publish.model import text

    words = " ".join(text.block_texts(tuple(blocks))).split()
    return " ".join(words[:count]) + ("…" if len(words) > count else "")
