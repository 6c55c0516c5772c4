"""The parted PDF of a collection: its parts laid out in parallel by WeasyPrint, then stitched into one PDF.

One WeasyPrint layout is single-threaded (FACTS: layout 54%, writing 29% of a brief's PDF), so a collection's PDF is
cut where the single-pass layout breaks the page anyway: after the contents, and before every section (or, with
`--article-break`, every article). Each part is a small HTML document that keeps the collection's head and the
collection's element structure (the other parts are left as empty, undisplayed elements, so selectors such as
`.article + .article` still match) and is laid out in its own thread of a forked worker process:

1. **Layout, in the single pass's rounds.** A worker lays out a part's body; WeasyPrint then asks for its margin
   boxes, where publish's hook reads the part's pages as `publish.backends.pdfengine.write` reads the whole document's
   (publish.present.pagination: words hyphenated across a page or as a paragraph's last word, figures to scale, a
   near-empty last page), reports that with the page count, and waits for the parent's verdict. The parent decides
   for the whole document as the single pass would: another round with the words found kept whole everywhere
   (each part lays itself out again only if that can change it), the last story set tighter (copyfit: the last
   part alone is laid out again), or the layout stands. See "laying the parts out" below.
2. **Furniture.** Once the layouts stand, the hook gives WeasyPrint the part's page numbers and the total, so
   "Page N of M", running heads and every margin box are WeasyPrint's own, as in a single pass, and the part is
   written: a body part in two layers, its pages without their margin boxes and the margin boxes alone laid over
   them. The first layer needs no numbers, so a part may write it while another part is still laid out (see
   `_PartLayout._body`).
3. **Front matter last.** The cover and contents are laid out once with placeholder page numbers (to learn their
   length) and again, with the articles' real pages, when the body parts are done: each contents entry's target
   is a stub on a page whose counter is set to the article's page, so the theme's own `target-counter()` prints
   it. The stub pages are dropped.
4. **Stitching** (pikepdf, on qpdf): the pages in order, named destinations and the links to them (contents entries
   reach articles in other parts), one outline nested as WeasyPrint nests it (each part's bookmark levels, read
   from the layout that stands), the front part's document metadata, XMP, language, viewer preferences and output
   intents, and for tagged variants (PDF/UA, PDF/A-a) one structure tree: each part's tree under one document
   element, its parent tree renumbered, /StructParents per page, role maps merged. Each font's per-part subsets
   become one embedded font (`share_fonts`). Nothing of the cut shows in the bytes: each page names only the
   resources it uses, each image is embedded once, and the objects, the parent tree's keys and the table cells'
   IDs are numbered in the document's order, so the PDF is the same bytes however its pages were laid out together.

Named strings (`string-set`, the running heads) carry from part to part: each part reports the last values it
set, and the next part starts from them.

Used only when the result is the single pass's: the theme's pages must be alike on left and right (equal inner
and outer margins, furniture not placed "outside"), since a part cannot know on which side it starts until the
parts before it are laid out (and their lengths depend on their sides in turn); and the styles must not count
through the collection (CSS counters besides the page's automatic one) or move running elements. Otherwise, for a
single part, or where a part's pages would be read with its neighbour's (a part opening with a figure the single
pass might scale to fit the page before, or ending in a hyphen), the cover or contents hyphenates, or the contents
reflows with its real page numbers, the single pass runs.
"""

from __future__ import annotations

import contextlib
import contextvars
import copy
import dataclasses
import hashlib
import io
import itertools
import logging
import multiprocessing as mp
import os
import queue
import re
import signal
import sys
import threading
import traceback
import urllib.parse
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import Any

import lxml.html
import pikepdf
from lxml import etree

from publish import model, present
from publish.backends import RenderContext
from publish.backends import pdf as pdf_backend
from publish.build import cache, processes, reproducible
from publish.errors import PublishError, RenderError
from publish.present import hyphenation, pagination
from publish.present.templating import css_string
from publish.present.theme import Theme

PLACEHOLDER_PAGE = 888
"""The page number the contents shows while the front matter is laid out only to learn its length."""
MAX_WORKERS = 8
"""More layouts at once than this gain little: each part lays out the collection's styles again."""
MAX_PROCESSES = 8
"""Processes in the pool at most. A part's layout stays in its process until the parent numbers it (when every part
is counted), so each process holds one part while there are processes enough: the largest process holds one part's
pages, not several (a 1,000-article brief's sections are some 370 pages each)."""
PARTS = 12
"""Body parts at most: six per core on two cores, enough that a long part does not leave the other core idle at the
end (each part lays out the collection's styles again: more cost a cold build more). Not a multiple of the cores:
the PDF's bytes do not depend on the cut (`stitch`), but a part's layout is kept in the cache under its HTML, so
machines that share a cache folder find each other's parts only if they cut a brief alike."""
AUTO_ARTICLES = 24
"""`--pdf-parts auto` lays out in parts from this many articles; below, starting the workers and laying out the
theme's styles once per part cost more than they save."""
STUB_CLASS = "publish-part-stub"
LEAD_CLASS = "publish-part-lead"
HIDDEN = "display: none"
FURNITURE = "/PublishFurniture"
"""The name a page's resources give the form of its margin boxes (`_laid_over`)."""
_SAVE = b"q\n"
_DRAW = b"Q " + FURNITURE.encode() + b" Do\n"
"""The streams before and after a body page's content: its graphics state kept apart from the furniture's, then the
furniture drawn."""


class _Fallback(Exception):
    """The parted layout cannot match the single pass here (a rare reflow of the contents): lay it out once."""


def usable(document: model.Document, context: RenderContext) -> bool:
    """Whether the parted path applies: a collection of more than one part, a theme whose pages are alike on both
    sides, and forking processes (not inside a daemonic process, which may not have children, nor a process
    running other threads). Whatever the cores: on one, the parts are laid out one after another, which costs a
    brief of sections no more than the single pass (a brief cut by article a fifth or so more), gives the bytes
    a machine with more cores gives, and lets a rebuild take the unchanged parts from the cache."""
    match document:
        case model.Article():
            return False
    if context.pdf_parts == "off":
        return False
    units = len(document.articles) if context.article_break else len(document.sections)
    if context.pdf_parts == "auto" and len(document.articles) < AUTO_ARTICLES:
        return False
    return units > 1 and side_independent(context.theme) and processes.can_fork()


_COUNTER = re.compile(r"counter-(?:increment|reset|set)\s*:\s*([^;}]*)")
_RUNNING = re.compile(r"\b(?:running|element)\(")


def _flows_across_parts(html: str) -> bool:
    """Whether the styles carry something from page to page that parts cannot pass on: counters set by the theme
    (numbered figures across the collection, page numbers reset), or running elements (`position: running()`)."""
    css = "".join(re.findall(r"<style[^>]*>(.*?)</style>", html, re.S))
    for value in _COUNTER.findall(css):
        names = set(re.findall(r"[A-Za-z_][\w-]*", value)) - {"none", "inherit", "initial", "unset"}
        if names:
            return True
    return bool(_RUNNING.search(css))


def _cores() -> int:
    """The cores this process may run on."""
    return processes.cores()


def side_independent(theme: Theme) -> bool:
    """Whether a page is laid out the same whether it is a left or a right page."""
    page = theme.page
    return page.margin_inner == page.margin_outer and "outside" not in (page.running_head_position,
                                                                        page.folio_position)


# --- cutting the collection's HTML into parts ---------------------------------------------------------------


@dataclass(slots=True)
class Cut:
    """A collection's HTML, parsed once, and the elements each body part shows."""

    tree: Any
    """The whole document (lxml.html)."""
    units: list[list[Any]]
    """Per body part, its elements in document order: a run of sections, or of articles (each section's title goes
    with its first article)."""
    owners: dict[Any, int] = field(default_factory=dict)
    """Containers (sections around articles) and the part whose copy keeps their id."""
    members: list[list[list[Any]]] = field(default_factory=list)
    """Per body part, its units (a section, or an article with the elements before it in its section), each as its
    elements."""
    firsts: dict[Any, Any] = field(default_factory=dict)
    """Each container's first article (`owners` follows it)."""


def cut(html: str, by_article: bool, parts: int) -> Cut:
    """Parse the collection's HTML and cut it into at most `parts` body parts of about as many units each, each a
    run of sections, or of articles when every article starts a page."""
    tree = lxml.html.document_fromstring(html)
    for script in tree.xpath("/html/head/script"):  # metadata for search engines (the whole collection's JSON-LD)
        script.getparent().remove(script)
    main = tree.find("body/main")
    sections = [] if main is None else [child for child in main if isinstance(child.tag, str)]
    if len(sections) < 1 or any(s.tag != "section" or "section" not in s.get("class", "").split() for s in sections) \
            or main.getnext() is not None:
        raise _Fallback("a collection template whose main element is not a list of sections")
    units: list[list[Any]] = []
    firsts: dict[Any, Any] = {}
    for section in sections:
        articles = [child for child in section if child.tag == "article"]
        if not by_article or not articles:
            units.append([section])
            continue
        leading = [child for child in section[:section.index(articles[0])] if isinstance(child.tag, str)]
        firsts[section] = articles[0]
        for number, article in enumerate(articles):
            units.append((leading if number == 0 else []) + [article])
    group_of = _groups(len(units), parts)
    grouped: list[list[list[Any]]] = [[] for _ in range(max(group_of, default=-1) + 1)]
    for unit, group in zip(units, group_of, strict=True):
        grouped[group].append(unit)
    return regroup(Cut(tree, [], firsts=firsts), grouped)


def regroup(piece: Cut, members: list[list[list[Any]]]) -> Cut:
    """The cut with its units grouped into body parts as `members` says (each part a list of units)."""
    piece.members = members
    piece.units = [[element for unit in group for element in unit] for group in members]
    part_of = {id(element): number for number, group in enumerate(piece.units) for element in group}
    piece.owners = {section: part_of[id(first)] for section, first in piece.firsts.items()}
    return piece


def _groups(count: int, parts: int) -> list[int]:
    """Each of `count` units' group: consecutive units, at most `parts` groups of about as many units each. Where a
    group ends depends on the count alone, not on the units' lengths: an article that grows or shrinks leaves the
    other groups as they were, so a rebuild lays out its group again and only numbers the others anew."""
    return [index * min(parts, count) // count for index in range(count)]


def part_html(piece: Cut, index: int, copyfit: bool = False) -> str:
    """Body part `index` alone: the cover, contents and other parts left as empty hidden elements, and a lead page
    first (dropped when stitched) so that the part's first page is not the document's `:first`; with `copyfit`, the
    last story set tighter (pagination.COPYFIT)."""
    shown = {id(e) for e in piece.units[index]}
    hollow = _front_matter(piece)
    hollow += [e for number, unit in enumerate(piece.units) if number != index for e in unit]
    kept = [_hollow(element) for element in hollow]
    for container, owner in piece.owners.items():
        if not any(id(child) in shown for child in container):
            kept.append(_hollow(container, keep_children=True))
        elif owner != index:
            kept.append(_hollow(container, keep_children=True, hide=False))
    body = piece.tree.find("body")
    lead = etree.Element("div", {"class": LEAD_CLASS, "style": "break-after: page"})
    body.insert(0, lead)
    story = pagination.copyfit_target(piece.tree) if copyfit else None
    if story is not None:
        story.set(pagination.COPYFIT, "")
    try:
        return _serialise(piece.tree)
    finally:
        if story is not None:
            story.attrib.pop(pagination.COPYFIT, None)
        body.remove(lead)
        for saved in reversed(kept):
            _restore(*saved)


def front_html(piece: Cut, pages: dict[str, int] | None) -> str:
    """The cover and contents alone, with the page of every place the contents links to (`pages`; a placeholder
    number while unknown), followed by a stub for each place (pages dropped when stitched). Where the styles print
    the numbers as `target-counter(attr(href url), page)`, each link carries its number in an attribute the styles
    print instead (cheap: one stub page, no second layout for the numbers); otherwise each stub is on a page
    numbered as its place, so the styles' own `target-counter()` prints it."""
    numbers = _contents_targets(piece, pages)
    kept = [_hollow(e) for unit in piece.units for e in unit]
    kept += [_hollow(container, keep_children=True) for container in piece.owners]
    main = piece.tree.find("body/main")
    head = piece.tree.find("head")
    styles = [(element, element.text) for element in head.iter("style")]
    literal = pages is not None and _literal_numbers(piece)
    links: list[Any] = []
    stubs: list[Any] = []
    if literal:
        for element, text in styles:
            element.text = _NUMBER_LOOKUP.sub(f"attr({NUMBER_ATTRIBUTE})", text or "")
        for element in _front_matter(piece):
            for link in element.iter("a"):
                name = (link.get("href") or "")[1:]
                if (link.get("href") or "").startswith("#") and name in numbers:
                    link.set(NUMBER_ATTRIBUTE, str(numbers[name]))
                    links.append(link)
    # The stubs are the links' targets (WeasyPrint keeps no link to a missing anchor; stitching points them at the
    # real places); unless the numbers are given literally, each stub's page is numbered as its place's.
    stubs = [etree.SubElement(main, "div", {"class": STUB_CLASS, "id": name} if literal else
                              {"class": STUB_CLASS, "id": name, "style": f"page: publish-p{n}"})
             for name, n in numbers.items()]
    style = etree.SubElement(head, "style")
    style.text = "" if literal else "".join(f"@page publish-p{n} {{ counter-set: page {n}; }}\n"
                                            for n in sorted(set(numbers.values())))
    try:
        html = _serialise(piece.tree)
        return html if pages is not None else re.sub(r"<style[^>]*>.*?</style>", _draft_style, html, flags=re.S)
    finally:
        head.remove(style)
        for stub in stubs:
            main.remove(stub)
        for link in links:
            del link.attrib[NUMBER_ATTRIBUTE]
        for element, text in styles:
            element.text = text
        for saved in reversed(kept):
            _restore(*saved)


def stub_pages(piece: Cut, pages: dict[str, int] | None) -> int:
    """How many stub pages follow the cover and contents in `front_html(piece, pages)`."""
    if pages is None or _literal_numbers(piece):
        return 1  # every stub on one page
    return len(set(_contents_targets(piece, pages).values()))


_NUMBER_LOOKUP = re.compile(r"\btarget-counter\(\s*attr\(\s*href(?:\s+url)?\s*\)\s*,\s*page\s*\)")
NUMBER_ATTRIBUTE = "data-publish-page"


def _literal_numbers(piece: Cut) -> bool:
    """Whether every page number the styles look up is the plain `target-counter(attr(href url), page)`."""
    css = "".join(element.text or "" for element in piece.tree.find("head").iter("style"))
    return "target-counter(" in css and "target-counter(" not in _NUMBER_LOOKUP.sub("", css) \
        and "target-counters(" not in css and "target-text(" not in css


Saved = tuple[Any, list[Any] | None, str | None, dict[str, str]]


_LEADER = re.compile(r"\bleader\((?:[^()]|\([^()]*\))*\)")
_TARGET_COUNTER = re.compile(r"\btarget-counter\((?:[^()]|\([^()]*\))*\)")


def _draft_style(style: re.Match[str]) -> str:
    """A style element for the front matter laid out only to be counted: dot leaders (thousands of boxes; they only
    fill lines) left out, and the contents' page numbers given as the placeholder, not looked up."""
    return _TARGET_COUNTER.sub(f'"{PLACEHOLDER_PAGE}"', _LEADER.sub('""', style.group(0)))


def _front_matter(piece: Cut) -> list[Any]:
    """The body's elements before the main element: the cover and the contents."""
    main = piece.tree.find("body/main")
    return [child for child in main.itersiblings(preceding=True) if isinstance(child.tag, str)][::-1]


def _contents_targets(piece: Cut, pages: dict[str, int] | None) -> dict[str, int]:
    """Every place the contents links to, with its page (the placeholder while unknown); once the pages are known,
    a place found on none is left out, so the contents shows it as the single pass does."""
    links = [href for element in _front_matter(piece) for href in element.xpath(".//a/@href")]
    targets = dict.fromkeys(href[1:] for href in links if href.startswith("#"))
    if pages is None:
        return dict.fromkeys(targets, PLACEHOLDER_PAGE)
    return {name: pages[name] for name in targets if name in pages}


def _hollow(element: Any, *, keep_children: bool = False, hide: bool = True) -> Saved:
    """Empty an element (or keep its children), drop its id (another part has it) and hide it; return what to put
    back."""
    saved = (element, None if keep_children else list(element), element.text, dict(element.attrib))
    if not keep_children:
        for child in list(element):
            element.remove(child)  # lxml keeps a removed child's tail with the child
        element.text = None
    element.attrib.pop("id", None)
    if hide:
        element.set("style", HIDDEN)
    return saved


def _restore(element: Any, children: list[Any] | None, text: str | None, attributes: dict[str, str]) -> None:
    element.text = text
    element.attrib.clear()
    element.attrib.update(attributes)
    for child in children or ():
        element.append(child)


def _serialise(tree: Any) -> str:
    out: str = lxml.html.tostring(tree, encoding="unicode", method="html", doctype="<!DOCTYPE html>")
    return out


def render(collection: model.Collection, html: str | Callable[[], str], context: RenderContext) -> bytes | None:
    """The collection's PDF (of its print-ready `html`, or of what `html()` writes) laid out in parts and stitched,
    or None where that would not match a single pass. The workers are started first: WeasyPrint is imported for
    them while this process writes the HTML."""
    if not usable(collection, context):
        return None
    press = _Press(_Opener((context.resources.base_dir, *context.resources.roots, context.theme.folder),
                           context.resources.base_dir.resolve().as_uri() + "/", context.allow_remote),
                   _outline(collection), pdf_backend.layout_options(collection.uid, context.pdf_variant),
                   context.theme.typography.hyphenate)
    workers = min(_cores(), MAX_WORKERS)
    units = min(len(collection.articles) if context.article_break else len(collection.sections),
                PARTS)
    # a process for each body part, the front matter's two layouts and the last part's tighter copy
    pool = _Pool(min(MAX_PROCESSES, max(workers, units + 3)), press)
    try:
        text = html if isinstance(html, str) else html()
        if _flows_across_parts(text):
            return None
        piece = cut(text, context.article_break, PARTS)
        if len(piece.units) < 2:
            return None
        keys = _Keys.of(collection, context, press.options)
        plan = _borrowing(piece, keys) if keys is not None and piece.firsts and not context.pdf_variant else None
        laid = _Schedule(pool, piece, press.hyphenate, keys, workers, plan).run()
        pool.stop()  # every part is written: the workers end (a twentieth of a second) while the parts are stitched
        stitched = stitch(laid)
        processes.outlive((laid, piece))  # the parts' documents: never freed by a command that ends at once
        return stitched
    except _Fallback:
        return None
    finally:
        pool.close()


# --- laying the parts out in worker processes ---------------------------------------------------------------
#
# The single pass (publish.backends.pdfengine.write) lays the whole document out up to LAYOUTS times: after each layout,
# publish.present.pagination finds the words hyphenated where a typesetter would not (kept whole, everywhere, next time)
# and the figures that left a page too empty (scaled to fit); when its last page holds a few lines, it tries once
# more with its last story set tighter (copyfit) and keeps that if a page goes. Each finding is about one page or two
# neighbouring ones, and parts are cut where the single pass breaks the page anyway, so every part finds on its pages
# what the single pass finds there; but the decisions are the whole document's: a word kept whole is kept whole in
# every part, and every part is laid out again while any part found something; copyfit is the last part's alone.
# So the parent decides as the single pass would, round by round, from what every part reports; a part lays itself
# out again only when the decision can change its pages (copyfit, a figure it scaled, or a word now kept whole that
# its layout asked pyphen about: WeasyPrint is deterministic, and a word's hyphenation reaches the layout only
# through that question, whether the word then breaks at a line's end or only narrows a table column), and
# otherwise keeps the layout it has, which is what laying it out again would give. A copyfit that saves no page is
# undone (the last part laid out again as before it), where the single pass keeps its earlier layout in memory.


@dataclass(frozen=True, slots=True)
class _Press:
    """How a part becomes a PDF in a worker: opened as WeasyPrint's document (fetching only what the single pass
    may), laid out with WeasyPrint's options until the parent accepts a layout, and written. Plain data, sent to a
    keeper started before the collection was read (`prestart`)."""

    open: _Opener
    collection: model.Collection
    """The collection's outline (`_outline`): what dates the PDF and its fonts, and the languages hyphenated."""
    options: dict[str, Any]
    hyphenate: bool


@dataclass(frozen=True, slots=True)
class _Opener:
    """Opens a part's HTML as WeasyPrint's document, fetching only from the folders the single pass may."""

    roots: tuple[Path, ...]
    base_url: str
    allow_remote: bool

    def __call__(self, part: str) -> Any:  # in a worker
        from publish.backends import pdfengine

        fetcher = pdfengine.ContainedFetcher(self.roots, self.allow_remote)
        return pdfengine.weasyprint.HTML(string=part, base_url=self.base_url, url_fetcher=fetcher)


def _outline(collection: model.Collection) -> model.Collection:
    """The collection without its articles' bodies: its and their metadata are all a worker reads from it."""
    return dataclasses.replace(collection, sections=tuple(
        dataclasses.replace(section, articles=tuple(dataclasses.replace(article, blocks=())
                                                    for article in section.articles))
        for section in collection.sections))


@dataclass(frozen=True, slots=True)
class _Report:
    """What a part's layout tells the parent, before its margin boxes are made."""

    anchors: list[list[str]]
    """The ids first found on each page (the lead page's too)."""
    strings: dict[str, str]
    """The last value of each named string it sets."""
    levels: list[int]
    """The level of each of its bookmarks, in order."""
    words: frozenset[str]
    """Words hyphenated where a typesetter would not (publish.present.pagination.unwanted_breaks)."""
    fitted: bool
    """Whether a figure was scaled to fit the page before it (the tree changed: a new layout is due)."""
    near_empty: bool
    """Whether its last page holds a few lines only (publish.present.pagination.last_page_near_empty)."""
    inexact: str
    """Why the parts cannot match the single pass here ("" when they can)."""
    margins: list[_Margins] = field(default_factory=list)
    """What each page's margin boxes are made of, besides the numbers (`_furniture_alone`)."""
    consulted: frozenset[str] | None = None
    """The words whose hyphenation the layout asked for (None: not known): a later build that keeps other words
    whole takes the part from the cache without laying it out again (`_PartLayout._changes`)."""


@dataclass(frozen=True, slots=True)
class _Margins:
    """What a page's margin boxes show besides its number and the total: the page's name (`page`), whether it is
    blank, the named strings assigned on it in order, and those assigned by the first box of the page
    (`string(name, start)` reads them)."""

    name: str
    blank: bool
    strings: dict[str, list[str]]
    opening: list[str]


@dataclass(frozen=True, slots=True)
class _Furniture:
    """The parent's verdict that a layout stands: how far its page numbers are shifted, the total, and the named
    strings (`string-set`) the parts before it left, for running heads on its first pages."""

    shift: int
    total: int
    strings: dict[str, str]


@dataclass(frozen=True, slots=True)
class _Again:
    """The parent's verdict for another round: lay out again, with these words kept whole, set tighter or not, and
    with pagination's findings (`adjust`: unwanted breaks, figures to fit) or without (a copyfit layout)."""

    kept: frozenset[str]
    copyfit: bool = False
    adjust: bool = True


@dataclass(frozen=True, slots=True)
class _Back:
    """The parent's verdict after a copyfit that saved no page: lay out again as before it."""


@dataclass(frozen=True, slots=True)
class _Draft:
    """The parent's word that a core is free: write the layout's body now (its pages without their margin boxes),
    while it waits for its verdict; if the layout stands, only the furniture is left to write
    (`_PartLayout.draft`)."""


@dataclass(frozen=True, slots=True)
class _Abandon:
    """The parent's verdict that the parted layout is given up (or that this layout was only counted)."""


Verdict = _Furniture | _Again | _Back | _Draft | _Abandon


class _Redo(Exception):
    """Raised in a part's margin-box hook to lay the part out again, as the verdict says."""

    def __init__(self, verdict: _Again | _Back) -> None:
        super().__init__("lay the part out again")
        self.verdict = verdict


_local = threading.local()


class _PartLayout:
    """One part in a worker's thread: its layouts, each reported to the parent and held (in the margin-box hook)
    until the parent's verdict."""

    def __init__(self, index: int, lead: bool, kept: frozenset[str], inbox: queue.SimpleQueue[Verdict],
                 send: Callable[[tuple[Any, ...]], None], key: str | None = None,
                 borrow: _Borrow | None = None) -> None:
        self.index, self.lead, self.inbox, self.send = index, lead, inbox, send
        self.key = key
        """The part's cache key (publish.build.cache, kind "pages"), or None: its first layout's report is kept
        under it, and each PDF written from that layout under it and the furniture."""
        self.borrow = borrow
        """Pages of a part laid out before that this part's first layout would give (`_Borrow`), or None."""
        self.pristine = True
        """Whether the current layout is the part's first, as sent (what the cache keeps)."""
        self.warned = False
        """Whether laying out or writing the part gave a warning: then nothing of it is kept in the cache, so the
        next build lays it out again and says it again."""
        self.preset: _Furniture | None = None
        """The furniture of a layout the parent already accepted from the cached report: the hook applies it
        without reporting again."""
        self.kept = kept
        """The words kept whole in the current layout."""
        self.copyfit = False
        self.adjust = True
        self.pending: pagination.Restyled = []
        """Figures the current layout scaled, which the next layout shows."""
        self.before_copyfit: tuple[frozenset[str], pagination.Restyled] = (frozenset(), [])
        self.consulted: set[str] = set()
        """The words whose hyphenation the current layout asked for (publish.present.hyphenation.consulted)."""
        self.furniture: _Furniture | None = None
        self.levels: list[int] = []
        self.press: _Press | None = None
        self.opened: Any = None
        """The part's HTML as WeasyPrint opened it."""
        self.profiles: dict[str, Any] = {}
        """The colour profiles of the current layout's styles (WeasyPrint fills them in as it reads the styles)."""
        self.laid: tuple[Any, list[Any]] | None = None
        """The current layout's context and pages while it waits for its verdict (None for a cached report)."""
        self.body: bytes | None = None
        """The current layout's body written ahead of its verdict (`draft`), or None."""

    def make(self, press: _Press, html: str) -> bytes:
        """Lay the part out until the parent accepts a layout, and write it."""
        _local.making = self  # the warnings this thread gives are this part's (see _Said)
        try:
            return self._make(press, html)
        finally:
            _local.making = None

    def _make(self, press: _Press, html: str) -> bytes:
        from publish.backends import pdfengine

        self.press = press
        with pdfengine.fonts_dated(reproducible.font_moment(press.collection)):
            document = None
            known = _cached_report(self.key)
            if known is None and self.borrow is not None:
                known = _borrowed_report(self.borrow)
            if known is not None:  # laid out before: the parent decides from the report kept then
                self.levels = known.levels
                if known.consulted is not None:
                    self.consulted = set(known.consulted)
                verdict = self._wait(known, consulted_known=known.consulted is not None, fresh=False)
                if isinstance(verdict, _Furniture):
                    if (written := cache.get("pages", _written_key(self.key, verdict))) is not None:
                        return written
                    if (written := self._renumbered(html, known, verdict)) is not None:
                        return written
                    self.preset = verdict  # the same layout again, numbered as the parent says
                else:
                    document = press.open(html)
                    self.pristine = False
                    self._prepare(verdict, document.etree_element)
            document = self.opened = document or press.open(html)
            while True:
                self.furniture, self.body, self.profiles = None, None, {}
                _local.part = self
                try:
                    with hyphenation.protected(self.kept), hyphenation.consulted() as self.consulted:
                        laid = document.render(color_profiles=self.profiles, **press.options)
                except _Redo as redo:
                    self.pristine = False
                    self._prepare(redo.verdict, document.etree_element)
                    continue
                finally:
                    _local.part = None
                under = self.body  # written ahead: its pages were found fit for the two layers then
                body = self._body(backgrounds_laid=True) if under is None else None
                furniture = _furniture_only(laid) if under is not None or body is not None else None
                if furniture is not None:
                    under = under or pdfengine.write_laid_out(body, press.collection, press.options)
                    over = pdfengine.write_laid_out(furniture, press.collection, press.options)
                    written = _laid_over(under, over)
                else:
                    under = None
                    written = pdfengine.write_laid_out(laid, press.collection, press.options)
                self.laid = self.body = None
                if self.pristine and not self.warned and (furniture := self.numbered()) is not None:
                    cache.put("pages", _written_key(self.key, furniture), written)
                    if under is not None and self.key is not None:
                        cache.put("pages", _body_key(self.key), under)
                return written

    def _renumbered(self, html: str, known: _Report, furniture: _Furniture) -> bytes | None:
        """The part laid out before, numbered anew without laying it out again: its body from the cache, and its
        furniture made alone (`_furniture_alone`), or None when either is missing."""
        from publish.backends import pdfengine

        press = self.press
        if self.key is None or press is None or not known.margins:
            return None
        body = cache.get("pages", _body_key(self.key))
        borrowed = body is None and self.borrow is not None
        if borrowed:
            assert self.borrow is not None
            body = _borrowed_body(self.borrow, len(known.anchors))
        if body is None:
            return None
        alone = _furniture_alone(html, known.margins)
        if alone is None:
            return None
        document = press.open(alone)
        self.furniture, _local.part = furniture, self
        try:
            laid = document.render(**press.options)
        finally:
            _local.part = None
        over = _furniture_only(laid) if len(laid.pages) == len(known.margins) else None
        if over is None:
            return None
        written = _laid_over(body, pdfengine.write_laid_out(over, press.collection, press.options))
        if not self.warned:
            cache.put("pages", _written_key(self.key, furniture), written)
            if borrowed:  # kept as this part's own: the next build takes them without the run they came from
                cache.put_json("pages", self.key, _report_json(known))
                cache.put("pages", _body_key(self.key), body)
        return written

    def numbered(self) -> _Furniture | None:
        """The furniture the current layout was numbered with (set by the margin-box hook), once it stands."""
        return self.furniture

    def _prepare(self, verdict: _Again | _Back, root: Any) -> None:
        """Set the tree and the words kept whole for the next layout."""
        if isinstance(verdict, _Back):
            kept, restyled = self.before_copyfit
            pagination.restore(restyled)
            if (story := pagination.copyfit_target(root)) is not None:
                story.attrib.pop(pagination.COPYFIT, None)
            self.kept, self.copyfit, self.adjust = kept, False, False
        else:
            if verdict.copyfit and not self.copyfit and (story := pagination.copyfit_target(root)) is not None:
                self.before_copyfit = (self.kept, self.pending)
                story.set(pagination.COPYFIT, "")
            self.kept, self.copyfit, self.adjust = verdict.kept, verdict.copyfit, verdict.adjust
        self.pending = []

    def settle(self, context: Any, pages: list[Any]) -> _Furniture:
        """Report this layout and wait for the parent's verdict: furniture (the layout stands), or another round, in
        which the layout stands unless the round can change it."""
        self.laid = (context, pages)
        if self.preset is not None:
            return self.preset
        report = self._report(context, pages)
        if self.pristine and not self.warned and self.key is not None and not report.fitted:
            cache.put_json("pages", self.key, _report_json(report))
        verdict = self._wait(report, consulted_known=True, fresh=True)
        if isinstance(verdict, _Furniture):
            return verdict
        raise _Redo(verdict)

    def _wait(self, report: _Report, consulted_known: bool, fresh: bool) -> _Furniture | _Again | _Back:
        """Report a layout (`fresh`: laid out now, not a report kept before) and wait for the parent's verdict:
        furniture (the layout stands), or another round that can change it (any round, when the words the layout
        asked pyphen about are not known: a report kept by an earlier publish)."""
        self.send(("counted", self.index, report, fresh))
        while True:
            verdict = self.inbox.get()
            if isinstance(verdict, _Furniture):
                return verdict
            if isinstance(verdict, _Draft):
                self.draft()
                self.send(("drafted", self.index))
                continue
            if isinstance(verdict, _Abandon):
                raise _Fallback("abandoned")
            if isinstance(verdict, _Back) or not consulted_known or self._changes(verdict):
                return verdict
            self.send(("counted", self.index, report, fresh))

    def draft(self) -> None:
        """Write the body of the layout waiting for its verdict ahead (`_Draft`), when its furniture can be laid
        over it (`_body`)."""
        document = self._body(backgrounds_laid=False) if self.body is None else None
        if document is not None:
            from publish.backends import pdfengine

            press, written, failed = self.press, [], []
            assert press is not None  # _body found it

            def write() -> None:  # in a thread of its own, which yields its core to any layout (see below)
                _local.making = self
                _behind_layouts()
                try:
                    written.append(pdfengine.write_laid_out(document, press.collection, press.options))
                except BaseException as exc:  # raised again in the part's thread
                    failed.append(exc)

            thread = threading.Thread(target=contextvars.copy_context().run, args=(write,), daemon=True)
            thread.start()
            thread.join()
            if failed:
                raise failed[0]
            self.body = written[0]

    def _body(self, *, backgrounds_laid: bool) -> Any:
        """The current layout's pages without their margin boxes, as a document to write, or None.

        A body part is written in two layers: its pages without the margin boxes, which can be written before the
        verdict (the page numbers and the total wait for the other parts: `draft`, on a core that would otherwise
        wait for the last part's layout), and the margin boxes alone, written once numbered and laid over the pages
        (`_laid_over`, a twentieth of the writing). Every body part is written so, drafted or not, so that its bytes
        do not depend on the timing. Not for a PDF variant (a tagged one's furniture would stand outside the
        structure tree), nor where pages hold fixed boxes (laid out with the margin boxes), a border or crop marks
        (drawn with the page's background). `backgrounds_laid`: whether WeasyPrint laid out the pages' backgrounds
        already (it does with the margin boxes, after the verdict, unless the body was written ahead)."""
        if not self.lead or self.laid is None or self.press is None or "pdf_variant" in self.press.options:
            return None
        from weasyprint.document import Document, Page
        from weasyprint.formatting_structure import boxes
        from weasyprint.html import get_html_metadata
        from weasyprint.layout.background import layout_backgrounds
        from weasyprint.pdf.metadata import DocumentMetadata

        context, pages = self.laid
        if any(page.fixed_boxes or _framed(page) for page in pages):
            return None
        body = []
        for page in pages:
            root, *areas = [child for child in page.children if not isinstance(child, boxes.MarginBox)]
            alone = page.copy_with_children([root, *(area for area in areas if area.children)])
            if not backgrounds_laid:
                layout_backgrounds(alone, context.get_image_from_uri)
            body.append(Page(alone))
        html = self.opened
        return Document(body, DocumentMetadata(**get_html_metadata(html)), html.url_fetcher, context.font_config,
                        self.profiles, None)

    def _changes(self, verdict: _Again) -> bool:
        """Whether laying the part out again as `verdict` says could change its pages: set tighter or not, figures
        it scaled, or a word now kept whole whose hyphenation the layout asked for. Otherwise WeasyPrint, which is
        deterministic, would lay it out as it is."""
        if verdict.copyfit != self.copyfit or self.pending:
            return True
        return not (verdict.kept - self.kept).isdisjoint(self.consulted)

    def _report(self, context: Any, pages: list[Any]) -> _Report:
        press = self.press
        assert press is not None  # set by _make, which lays the part out
        flow = pages[1:] if self.lead else pages  # the lead page is not the document's
        words = pagination.unwanted_breaks(flow) if press.hyphenate and self.adjust else frozenset()
        if self.adjust:
            self.pending = pagination.fit_figures(flow)
        inexact = ""
        if self.lead and flow and pagination.opening_figure(flow[0]) is not None:
            inexact = "a part opens with a figure, which the single pass may scale to fit the page before it"
        elif pagination.ends_hyphenated(flow):
            inexact = "a part ends with a hyphen, which the single pass reads with the next part's first word"
        self.levels = [box.style["bookmark_level"] for page in pages for box in page.descendants()
                       if box.bookmark_label and box.style["bookmark_level"] != "none"]
        return _Report(_anchors(context), _last_strings(context), self.levels, words, bool(self.pending),
                       pagination.last_page_near_empty(pages), inexact, _margins(context, pages),
                       frozenset(self.consulted))


DRAFT_NICENESS = 10
"""How much lower a body written ahead runs than the layouts (added to the process's niceness, at most 19: 10 more
gets about a tenth of a core that a layout wants): writing ahead is for a core that would be idle, and must not
slow the layout the build waits for, nor the last part's writing."""


def _behind_layouts() -> None:
    """Lower the calling thread's priority (on Linux a thread has its own; elsewhere this would lower the whole
    process, so it is left as it is). A thread never raises its priority again, so this is for a thread of its
    own."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError):
            thread = threading.get_native_id()
            os.setpriority(os.PRIO_PROCESS, thread, min(os.getpriority(os.PRIO_PROCESS, thread) + DRAFT_NICENESS, 19))


def _framed(page: Any) -> bool:
    """Whether a page box draws more than its background under the body: a border, crop or cross marks."""
    style = page.style
    return bool(style["marks"]) or any(style[f"border_{side}_width"] for side in ("top", "right", "bottom", "left"))


def _furniture_only(laid: Any) -> Any:
    """The laid-out document's margin boxes alone, on pages without their background (drawn with the body), or
    None when a margin box holds a link, an anchor or a bookmark (which `_laid_over` would lose)."""
    from weasyprint.document import Document, Page
    from weasyprint.formatting_structure import boxes

    pages = []
    for page in laid.pages:
        box = page._page_box
        alone = box.copy_with_children([child for child in box.children if isinstance(child, boxes.MarginBox)])
        alone.background = alone.canvas_background = None
        furniture = Page(alone)
        if furniture.links or furniture.anchors or furniture.bookmarks:
            return None
        pages.append(furniture)
    return Document(pages, laid.metadata, laid.url_fetcher, laid.font_config, laid.color_profiles, laid.output_intent)


def _laid_over(body: bytes, furniture: bytes) -> bytes:
    """The body's pages with the furniture's pages drawn over them, each as a form, as WeasyPrint draws the margin
    boxes after the page's content. Each page is given resources of its own (WeasyPrint's pages share one
    dictionary), naming its form by one name: a page's bytes do not depend on its place in the part."""
    with pikepdf.open(io.BytesIO(body)) as out, pikepdf.open(io.BytesIO(furniture)) as over:
        save, draw, name = out.make_stream(_SAVE), out.make_stream(_DRAW), pikepdf.Name(FURNITURE)  # one for all
        for page, top in zip(out.pages, over.pages, strict=True):
            resources = _own_resources(page.obj)
            if pikepdf.Name.XObject not in resources:
                resources[pikepdf.Name.XObject] = pikepdf.Dictionary()
            resources[pikepdf.Name.XObject][name] = out.copy_foreign(top.as_form_xobject())
            page.contents_add(save, prepend=True)
            page.contents_add(draw)
        buffer = io.BytesIO()
        out.save(buffer, deterministic_id=True)
        return buffer.getvalue()


def _share_wrappers(out: pikepdf.Pdf) -> None:
    """One object in the whole PDF for each of the two streams `_laid_over` puts around every body page's content
    (each part has its own)."""
    shared: dict[bytes, Any] = {}
    for page in out.pages:
        contents = page.obj.get("/Contents")
        if not isinstance(contents, pikepdf.Array):
            continue
        for index, item in enumerate(contents):
            if isinstance(item, pikepdf.Stream) and int(item.stream_dict.get("/Length", 0)) < 64 \
                    and (data := item.read_bytes()) in (_SAVE, _DRAW):
                contents[index] = shared.setdefault(data, out.make_stream(data))


_NAME = re.compile(rb"/([^\s/\[\]()<>{}%]+)")
"""A name token in a content stream."""
_NUMBERED = re.compile(r"/[spx]\d+")
"""The names WeasyPrint gives graphics states, groups, patterns and shadings: counted through a document, so the
same page laid out in another part names them otherwise."""
_HAS_NUMBERED = re.compile(rb"/[spx]\d")
_NAMED_BY = {"gs": "/ExtGState", "Do": "/XObject", "sh": "/Shading", "scn": "/Pattern", "SCN": "/Pattern"}
"""The operators that name a resource, as their last operand, and its kind."""


def _canonical_resources(out: pikepdf.Pdf, read: dict[tuple[int, int], tuple[list[bytes], set[bytes]]] | None = None,
                         ) -> None:
    """Make every page's resources what its own content alone gives, whatever part it was laid out in.

    A part's pages share one resource dictionary naming all of the part's fonts, graphics states and images, and
    WeasyPrint embeds an image, a pattern or a group once per part and names groups, patterns and shadings by a
    count through the part: kept so, a page's bytes, and the numbering of every object after it, would depend on
    which pages were laid out together. So each page, and each form or tiling pattern it draws, is given resources
    naming only what its content uses; names counted through the part are numbered again in the order its content
    uses them; and each object so made (an image, a form, a pattern, a shading) is kept once for the whole PDF.
    Fonts are left to `share_fonts`. `read`: pages whose content and names were read already (`Opened`), by
    object."""
    shared: dict[bytes, Any] = {}
    done: dict[tuple[int, int], Any] = {}
    known: dict[tuple[int, int], bytes] = {}

    def canonical(item: Any) -> Any:
        if not isinstance(item, pikepdf.Object) or not item.is_indirect:
            return item
        if item.objgen not in done:
            if isinstance(item, pikepdf.Stream) and "/Resources" in item and (
                    item.get("/Subtype") == "/Form" or item.get("/PatternType") == 1):
                holder(item, [item])
            done[item.objgen] = shared.setdefault(_content_key(item, known), item)
        return done[item.objgen]

    def alone(form: Any) -> Any:
        """A page's furniture form: its own (its folio differs from every other page's), so not compared."""
        if form.objgen not in done:
            holder(form, [form])
            done[form.objgen] = form
        return form

    def holder(obj: Any, streams: list[Any]) -> None:
        resources = obj.get("/Resources")
        if not isinstance(resources, pikepdf.Dictionary):
            return
        content, used = (read or {}).get(obj.objgen) or _used(streams)
        own = pikepdf.Dictionary()
        for kind, value in resources.items():
            if isinstance(value, pikepdf.Dictionary):
                named = {key: item if kind == "/Font" else alone(item) if key == FURNITURE else canonical(item)
                         for key, item in value.items() if key.encode() in used}
                if named:
                    own[kind] = pikepdf.Dictionary(named)
            else:
                own[kind] = value
        numbered = {kind: [name for name in own[kind].keys() if _NUMBERED.fullmatch(name)]  # noqa: SIM118
                    for kind in sorted(set(_NAMED_BY.values())) if kind in own}
        if any(numbered.values()):
            renamed = _numbered_in_order(streams, content, {kind: set(names) for kind, names in numbered.items()})
            for kind, names in renamed.items():
                own[kind] = pikepdf.Dictionary({names.get(key, key): item for key, item in own[kind].items()})
        obj.Resources = own

    for page in out.pages:
        holder(page.obj, _content_streams(page.obj))


def _content_streams(page: Any) -> list[Any]:
    contents = page.get("/Contents")
    return list(contents) if isinstance(contents, pikepdf.Array) else [contents] if contents is not None else []


def _used(streams: list[Any]) -> tuple[list[bytes], set[bytes]]:
    """The streams' bytes, and the resource names they use."""
    content = [stream.read_bytes() for stream in streams]
    return content, {b"/" + _unescaped(name) for data in content for name in _NAME.findall(data)}


def _numbered_in_order(streams: list[Any], content: list[bytes], names: dict[str, set[str]],
                       ) -> dict[str, dict[str, str]]:
    """Number the counted resource `names` (per kind) again in the order the content streams use them, rewriting
    the streams that use them; return each kind's old name to new."""
    renamed: dict[str, dict[str, str]] = {kind: {} for kind in names}
    for stream, data in zip(streams, content, strict=True):
        if not _HAS_NUMBERED.search(data):
            continue
        instructions = list(pikepdf.parse_content_stream(stream))
        for index, instruction in enumerate(instructions):
            if not isinstance(instruction, pikepdf.ContentStreamInstruction):
                continue
            kind = _NAMED_BY.get(str(instruction.operator))
            operands = list(instruction.operands)
            if kind not in names or not operands or str(operands[-1]) not in names[kind]:
                continue
            old = str(operands[-1])
            new = renamed[kind].setdefault(old, f"{old[:2]}n{len(renamed[kind])}")  # never one of WeasyPrint's
            operands[-1] = pikepdf.Name(new)
            instructions[index] = pikepdf.ContentStreamInstruction(operands, instruction.operator)
        # written again even where no name changed: its bytes must not depend on whether one did
        stream.write(pikepdf.unparse_content_stream(instructions))
    return renamed


def _content_key(value: Any, known: dict[tuple[int, int], bytes], depth: int = 0) -> bytes:
    """A digest of what an object holds, whatever its objects' numbers: equal for the same image, form or pattern
    embedded by two parts. Each indirect object is read once (`known`: a font that every page's furniture names is
    not read again for every page)."""
    if isinstance(value, pikepdf.Object) and value.is_indirect and value.objgen in known:
        return known[value.objgen]
    if depth > 32:
        raise _Fallback("resources nested too deep to compare")
    digest = hashlib.sha256()
    if isinstance(value, pikepdf.Stream):
        digest.update(b"stream" + _content_key(pikepdf.Dictionary(
            {name: item for name, item in value.stream_dict.items() if name != "/Length"}), known, depth + 1))
        digest.update(value.read_raw_bytes())
    elif isinstance(value, pikepdf.Dictionary):
        for name, item in sorted(value.items()):
            digest.update(name.encode() + b" " + _content_key(item, known, depth + 1))
    elif isinstance(value, pikepdf.Array):
        for item in value:
            digest.update(b"[" + _content_key(item, known, depth + 1))
    else:
        digest.update(repr(value.unparse() if isinstance(value, pikepdf.Object) else value).encode())
    if isinstance(value, pikepdf.Object) and value.is_indirect:
        known[value.objgen] = digest.digest()
    return digest.digest()


def _unescaped(name: bytes) -> bytes:
    """A name token's characters, its `#xx` escapes decoded."""
    return re.sub(rb"#([0-9A-Fa-f]{2})", lambda m: bytes([int(m.group(1), 16)]), name) if b"#" in name else name


def _own_resources(holder: Any) -> Any:
    """Give a page a resource dictionary of its own (direct, its kinds copied), naming what the shared one named."""
    shared = holder.get("/Resources")
    own = pikepdf.Dictionary()
    if isinstance(shared, pikepdf.Dictionary):
        for kind, value in shared.items():
            own[kind] = pikepdf.Dictionary(dict(value.items())) if isinstance(value, pikepdf.Dictionary) else value
    holder.Resources = own
    return holder.Resources


def _margins(context: Any, pages: list[Any]) -> list[_Margins]:
    """Per laid-out page, what its margin boxes show besides the numbers (as WeasyPrint resolves `string()`)."""
    found = []
    for number, page in enumerate(pages, 1):
        opening: list[str] = []
        box = page
        while box is not None:  # the boxes that open the page, outermost first (WeasyPrint's `start`)
            if box.style["string_set"] != "none":
                opening += [name for name, _ in box.style["string_set"] if name not in opening]
            box = box.children[0] if getattr(box, "children", None) else None
        strings = {name: list(by_page[number]) for name, by_page in context.string_set.items() if by_page.get(number)}
        found.append(_Margins(page.page_type.name or "", bool(page.page_type.blank), strings,
                              [name for name in opening if name in strings]))
    return found


def _furniture_alone(html: str, margins: list[_Margins]) -> str | None:
    """A document of the part's styles and one empty page per page of the part, each named and assigning the named
    strings as the part's page did: laid out (numbered as the part) its margin boxes are the part's, and written
    alone the same bytes (`tests/test_rebuilds.py`). None where a page is blank (made by a break to a side) or the
    root or body sets inline styles of its own."""
    if any(page.blank for page in margins):
        return None
    tree = lxml.html.document_fromstring(html)
    body = tree.find("body")
    if body is None or tree.get("style") is not None or body.get("style") is not None:
        return None
    for element in (tree, body):  # what the styles assign there is in each page's record already
        element.set("style", "string-set: none !important")
    for child in list(body):
        body.remove(child)
    for number, page in enumerate(margins):
        named = [f"page: {page.name}"] if page.name else []  # every box of the page, or a name would break it
        steps: list[dict[str, str]] = [{name: page.strings[name][0] for name in page.opening}]  # the first box
        rest = {name: values[1:] if name in page.opening else values for name, values in page.strings.items()}
        for step in range(max((len(values) for values in rest.values()), default=0)):
            steps.append({name: values[step] for name, values in rest.items() if len(values) > step})
        for step, assigned in enumerate(steps):
            style = [*(["break-before: page"] if number and not step else []), *named]
            if assigned:
                style.append("string-set: " + ", ".join(f"{name} {css_string(value)}"
                                                        for name, value in assigned.items()))
            etree.SubElement(body, "div", style="; ".join(style))
    return _serialise(tree)


def _make_all_pages_hook(original: Callable[..., Iterator[Any]]) -> Callable[..., Iterator[Any]]:
    """WeasyPrint's page maker, keeping the pages it makes for a part's margin-box hook (which reads them all)."""
    def make_all_pages(*args: Any, **kwargs: Any) -> Iterator[Any]:
        pages: list[Any] = []
        _local.pages = pages
        for page in original(*args, **kwargs):
            pages.append(page)
            yield page
    return make_all_pages


def _margin_boxes_hook(original: Callable[..., Iterator[Any]]) -> Callable[..., Iterator[Any]]:
    """WeasyPrint's margin-box maker, run once the body is laid out: in a part's thread it first reports the layout
    and waits for the parent's verdict (lay out again, or the part's place in the whole document), then numbers the
    pages from there."""
    def margin_boxes(context: Any, page: Any, state: Any) -> Iterator[Any]:
        part: _PartLayout | None = getattr(_local, "part", None)
        if part is None:
            return original(context, page, state)
        if part.furniture is None:  # the layout's first page: report, and wait
            part.furniture = part.settle(context, _local.pages)
            for name, value in part.furniture.strings.items():  # on the lead page, which sets none: later pages
                context.string_set[name].setdefault(1, [value])   # fall back on these values
        state = copy.deepcopy(state)
        counters = state[1]
        counters["page"] = [counters.get("page", [0])[-1] + part.furniture.shift]
        counters["pages"] = [part.furniture.total]
        return original(context, page, state)
    return margin_boxes


def _backgrounds_hook(original: Callable[[Any, Any], None]) -> Callable[[Any, Any], None]:
    """WeasyPrint's background layout of a page with its margin boxes: in a part whose body was written ahead
    (`_PartLayout.draft`, which laid out the body's backgrounds), the margin boxes' alone (the page's own is drawn
    with the body, not with the furniture: `_furniture_only`)."""
    from weasyprint.formatting_structure import boxes
    from weasyprint.layout.background import layout_box_backgrounds

    def layout_backgrounds(page: Any, get_image_from_uri: Any) -> None:
        part: _PartLayout | None = getattr(_local, "part", None)
        if part is None or part.body is None:
            return original(page, get_image_from_uri)
        for child in page.children:
            if isinstance(child, boxes.MarginBox):
                layout_box_backgrounds(page, child, get_image_from_uri)
        return None
    return layout_backgrounds


def _install_hooks() -> None:
    from publish.backends import pdfengine
    layout = pdfengine.weasyprint.layout
    if not getattr(layout.make_margin_boxes, "publish_parts", False):
        boxes_hook = _margin_boxes_hook(layout.make_margin_boxes)
        pages_hook = _make_all_pages_hook(layout.make_all_pages)
        backgrounds_hook = _backgrounds_hook(layout.layout_backgrounds)
        boxes_hook.publish_parts = pages_hook.publish_parts = True  # type: ignore[attr-defined]
        layout.make_margin_boxes, layout.make_all_pages = boxes_hook, pages_hook
        layout.layout_backgrounds = backgrounds_hook


def _keeper(pipes: list[tuple[Connection, Connection]], press: _Press, parent: int) -> None:
    """The process that forks the workers, one per pipe, and waits for them (so their CPU time counts as the
    build's): it imports WeasyPrint with publish's hooks and loads the hyphenation patterns first, once for all the
    workers, while the parent writes the HTML. It dies with the parent, and the workers with it."""
    _held_by(parent)
    for ours, _ in pipes:
        ours.close()
    _install_hooks()
    if press.hyphenate:  # the patterns publish hyphenates with (the workers inherit them)
        cache.load_hyphenation({article.meta.language for article in press.collection.articles})
    keeper, children = os.getpid(), []
    for index, (_, theirs) in enumerate(pipes):
        child = os.fork()
        if child == 0:
            status = 1
            try:
                for other, (_, end) in enumerate(pipes):
                    if other != index:
                        end.close()  # the parent learns a worker died when its pipe's only other end closes
                _worker(theirs, press, keeper)
                status = 0
            finally:
                os._exit(status)
        children.append(child)
    for _, theirs in pipes:
        theirs.close()
    for child in children:
        os.waitpid(child, 0)


@dataclass(slots=True)
class _Early:
    """A keeper started before the collection was read (`prestart`), waiting to be told what its workers lay out."""

    keeper: Any
    control: Connection
    """The parent's end of the pipe the keeper waits on."""
    connections: list[Connection]
    """The parent's ends of the workers' pipes, MAX_PROCESSES of them."""


_early: _Early | None = None
"""This process's prestarted keeper, until a pool takes it or the build stops it."""


def prestart() -> None:
    """Start the keeper now, for a build expected to lay pages out (a rebuild after an article changed:
    publish.backends.pdf.prestart_if_expected): it imports WeasyPrint, a third of a second, while this process
    reads the articles, rather than after, while this process writes the HTML, which takes less. The first pool
    made takes it (`_Pool`); `stop_prestarted` ends it unused. Nothing when this process may not fork workers."""
    global _early
    if _early is not None or _cores() < 2 or not processes.can_fork():
        return
    context = mp.get_context("fork")
    pipes = [context.Pipe() for _ in range(MAX_PROCESSES)]
    control, theirs = context.Pipe()
    keeper = context.Process(target=_prestarted_keeper, args=(pipes, control, theirs, os.getpid()), daemon=True)
    keeper.start()
    theirs.close()
    for _, end in pipes:
        end.close()
    _early = _Early(keeper, control, [ours for ours, _ in pipes])


def stop_prestarted() -> None:
    """End the prestarted keeper if no pool took it (the PDF came from the cache, or the single pass ran)."""
    global _early
    early, _early = _early, None
    if early is not None:
        _stop_early(early)


def _stop_early(early: _Early) -> None:
    with contextlib.suppress(OSError):
        early.control.send(("stop",))
    for connection in (early.control, *early.connections):
        connection.close()
    early.keeper.join(timeout=5)
    if early.keeper.is_alive():
        early.keeper.kill()
        early.keeper.join()


def _take_prestarted(size: int, press: _Press) -> _Early | None:
    """The prestarted keeper, told to fork `size` workers for `press`; None if there is none or it died."""
    global _early
    early, _early = _early, None
    if early is None:
        return None
    try:
        early.control.send(("go", size, press))
    except OSError:  # it died: a keeper of its own is forked instead
        _stop_early(early)
        return None
    for connection in (early.control, *early.connections[size:]):
        connection.close()
    return early


def _prestarted_keeper(pipes: list[tuple[Connection, Connection]], control: Connection, theirs: Connection,
                       parent: int) -> None:
    """A keeper started early: WeasyPrint imported with publish's hooks, it waits for the pool's size and press,
    then is the keeper (`_keeper`) of that many of its pipes; it ends at once when told to stop."""
    _held_by(parent)
    control.close()
    _install_hooks()
    try:
        message = theirs.recv()
    except (EOFError, OSError):
        return
    finally:
        theirs.close()
    if message[0] != "go":
        return
    _, size, press = message
    for ours, end in pipes[size:]:
        ours.close()
        end.close()
    _keeper(pipes[:size], press, parent)


def _held_by(parent: int) -> None:
    """Die with the parent, even when it is killed outright, and leave Ctrl-C and SIGTERM to it (it stops the
    workers)."""
    processes.die_with_parent(parent)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole group: the parent stops the workers
    for name in ("SIGTERM", "SIGHUP"):  # the build's own handlers are not the worker's
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), signal.SIG_DFL)


def _worker(connection: Connection, press: _Press, parent: int) -> None:
    """A worker process: lays out each part it is sent in its own thread; the thread waits in the margin-box hook
    for the parent's verdict on each layout, while the next part is laid out."""
    _held_by(parent)
    sending = threading.Lock()
    inboxes: dict[int, queue.SimpleQueue[Verdict]] = {}
    threads: list[threading.Thread] = []

    def send(message: tuple[Any, ...]) -> None:
        with sending, contextlib.suppress(OSError):  # the parent has stopped listening: it gave up or failed
            connection.send(message)

    said = _Said(send)
    for name in ("publish", "weasyprint"):  # the parent says them, through its own loggers and their filters
        logger = logging.getLogger(name)
        logger.handlers, logger.filters, logger.propagate = [said], [], False

    def run(part: _PartLayout, html: str) -> None:
        try:
            pdf = part.make(press, html)
            send(("done", part.index, pdf, part.levels))
        except _Fallback:
            send(("abandoned", part.index))
        except PublishError as exc:
            send(("error", part.index, exc))
        except BaseException:  # a bug: its traceback crosses to the parent, which raises it there
            send(("failed", part.index, traceback.format_exc()))

    while True:
        message = connection.recv()
        if message[0] == "part":
            _, index, html, lead, kept, key, borrow = message
            inboxes[index] = queue.SimpleQueue()
            part = _PartLayout(index, lead, kept, inboxes[index], send, key, borrow)
            thread = threading.Thread(target=run, args=(part, html), daemon=True)
            threads.append(thread)
            thread.start()
        elif message[0] == "verdict":
            inboxes[message[1]].put(message[2])
        else:  # stop: a part still waiting for a verdict is abandoned (the parent gave up on the parted layout)
            for inbox in inboxes.values():
                inbox.put(_Abandon())
            break
    for thread in threads:
        thread.join()
    connection.close()


class _Said(logging.Handler):
    """A worker's warnings (WeasyPrint's, a refused fetch), sent to the parent to say, in the build's order and
    with its filters, rather than printed here; the part being made when one is given is not kept in the cache."""

    def __init__(self, send: Callable[[tuple[Any, ...]], None]) -> None:
        super().__init__(logging.WARNING)
        self.send = send

    def emit(self, record: logging.LogRecord) -> None:
        part = getattr(_local, "making", None)
        if part is not None:
            part.warned = True
        self.send(("said", record.name, record.levelno, record.getMessage()))


def _last_strings(context: Any) -> dict[str, str]:
    """The last value the part gives each named string (`string-set`)."""
    return {name: pages[max(pages)][-1] for name, pages in context.string_set.items() if pages}


def _anchors(context: Any) -> list[list[str]]:
    """The anchors (ids) first found on each laid-out page of a part, from WeasyPrint's page maker."""
    return [list(entry[4].get("anchors", ())) for entry in context.page_maker[:-1]]


@dataclass(slots=True)
class _Part:
    """A part's progress in the parent."""

    html: str
    lead: bool
    """Whether its first page is a lead page (a body part), dropped when stitched."""
    kept: frozenset[str] = frozenset()
    """The words its first layout keeps whole."""
    worker: int = -1
    report: _Report | None = None
    """Its current layout's report, once counted."""
    counted: bool = False
    """Whether the report answers the last request sent to it."""
    pdf: bytes | None = None
    levels: list[int] = field(default_factory=list)
    """The level of each of its bookmarks, in order, as written."""
    abandoning: bool = False
    drafted: bool = False
    """Whether its current layout was asked to write its body ahead of its verdict (`_Draft`)."""
    numbered: bool = False
    """Whether it was told its furniture (it is being written)."""
    units: list[tuple[str, frozenset[str]]] = field(default_factory=list)
    """Its units' keys and the ids in each (`_units`), where its layout may be indexed for later builds."""
    borrow: _Borrow | None = None
    """Pages it takes from a run laid out before (`_borrowing`)."""
    key: str | None = None
    """Its cache key, once handed out (`_Keys.part`)."""

    @property
    def pages(self) -> int:
        """Its page count, lead page and stubs included."""
        assert self.report is not None
        return len(self.report.anchors)


@dataclass(frozen=True, slots=True)
class Laid:
    """Every part laid out and written, numbered as in the whole document."""

    front: bytes
    """The cover and contents, then the stub pages to drop."""
    front_pages: int
    """How many of the front part's pages to keep."""
    body: tuple[bytes, ...]
    """Each body part's PDF; its first page is the lead page to drop."""
    levels: tuple[list[int], ...]
    """The bookmark levels of the front part, then of each body part."""
    opened: tuple[Opened | None, ...] = ()
    """The front part, then each body part, opened and read for the stitch as it came (`Opened`), if it was."""


@dataclass(slots=True)
class Opened:
    """A part's PDF opened, and each page's content read with the resource names it uses (what `stitch` reads of
    it), done while the parts after it are still laid out. The stitch copies the pages as they are: copies hold
    the same content."""

    data: bytes
    """The part's PDF as it was sent."""
    pdf: pikepdf.Pdf
    pages: list[tuple[list[bytes], set[bytes]]]
    """Per page, its content streams' bytes and the names they use."""

    @classmethod
    def of(cls, data: bytes) -> Opened:
        pdf = pikepdf.open(io.BytesIO(data))
        return cls(data, pdf, [_used(_content_streams(page.obj)) for page in pdf.pages])


_DIED = "a PDF worker process ended unexpectedly"


class _Pool:
    """Worker processes, each talking to the parent over its own pipe (a part's layouts must all reach the same
    process, which a ProcessPoolExecutor cannot promise), forked by one keeper process (`_keeper`) that imports
    WeasyPrint and loads the hyphenation patterns once for all of them, while the parent writes the HTML."""

    def __init__(self, size: int, press: _Press) -> None:
        self.stopping = False
        early = _take_prestarted(size, press)
        if early is not None:  # its keeper has imported WeasyPrint already, while this process read the articles
            self.connections: list[Connection] = early.connections[:size]
            self.keeper = early.keeper
            return
        context = mp.get_context("fork")
        pipes = [context.Pipe() for _ in range(size)]
        self.connections = [ours for ours, _ in pipes]
        self.keeper = context.Process(target=_keeper, args=(pipes, press, os.getpid()), daemon=True)
        self.keeper.start()
        for _, theirs in pipes:
            theirs.close()

    def send(self, worker: int, message: tuple[Any, ...]) -> None:
        try:
            self.connections[worker].send(message)
        except OSError:  # its end of the pipe closed: the worker died
            raise RenderError(_DIED) from None

    def receive(self) -> Iterator[tuple[int, tuple[Any, ...]]]:
        """Messages as they arrive, with the worker each came from."""
        while True:
            for connection in wait(self.connections):
                assert isinstance(connection, Connection)
                try:
                    message = connection.recv()
                except (EOFError, OSError):  # closed, or reset with data unread: the worker died
                    raise RenderError(_DIED) from None
                yield self.connections.index(connection), message

    def stop(self) -> None:
        """Tell the workers to stop (each ends once its parts' threads do), without waiting for them: the parent
        stitches while they end."""
        if not self.stopping:
            self.stopping = True
            for connection in self.connections:
                with contextlib.suppress(OSError):
                    connection.send(("stop",))

    def close(self) -> None:
        """Stop the workers and wait for them to end: any still running after five seconds is killed with the
        keeper (they die with it)."""
        self.stop()
        self.keeper.join(timeout=5)
        if self.keeper.is_alive():
            self.keeper.kill()
            self.keeper.join()
        for connection in self.connections:
            connection.close()


class _Schedule:
    """The parent's side: lays every part out in the pool, in the single pass's rounds (see above): the front matter
    first with placeholder numbers (only counted) and the body parts; once the rounds are done, each body part is
    numbered and written, and the front matter laid out again with the contents' real page numbers. With `keys`, a
    part laid out before (the same HTML, words kept whole, theme, images, options and publish) is not laid out
    again: its report comes from the cache, and its PDF too when it is numbered as then.

    It hands out layouts, at most `active` at once (the cores), each new part to an idle process holding the
    fewest parts (none while there are processes enough), a part's later layouts to the process holding it,
    decides each round as the single pass would, and numbers the parts once the last round is done."""

    def __init__(self, pool: _Pool, piece: Cut, hyphenate: bool, keys: _Keys | None = None, active: int = 2,
                 plan: _Plan | None = None) -> None:
        self.pool, self.piece, self.hyphenate, self.keys, self.active = pool, piece, hyphenate, keys, active
        self.plan = plan
        """Per body part, its units' keys and the pages it borrows (`_borrowing`), or None (not by article)."""
        self.htmls: dict[int, str] = {}
        """Per body part, its HTML, once made (`_html`)."""
        self.holding: list[set[int]] = [set() for _ in pool.connections]
        """Per process, the parts whose layouts it holds (until written or abandoned)."""
        self.parts: list[_Part] = []
        self.fresh: list[int] = []
        """New parts, for the first idle worker."""
        self.queued: list[list[tuple[int, Verdict]]] = [[] for _ in pool.connections]
        """Per worker, verdicts that start a layout, sent one at a time (a worker lays out one part at a time)."""
        self.busy: list[int | None] = [None] * len(pool.connections)
        self.drafting: set[int] = set()
        """The parts writing their body ahead of their verdict."""
        self.messages = pool.receive()
        self.rounds: list[tuple[frozenset[str], bool]] = []
        """Per round, what the parts found: the words hyphenated where a typesetter would not, and whether a
        figure was scaled (what the single pass finds after each of its layouts)."""
        self.copyfit: bool | None = None
        """Whether the document was set tighter (None: not tried)."""
        self.front = self.last = -1
        self.tighter: int | None = None
        """The last part laid out with its last story set tighter, started as soon as the last part's first layout
        ends on a near-empty page (beside the other parts' layouts): used if the rounds end with that layout."""

    def run(self) -> Laid:
        piece = self.piece
        units = len(piece.units)
        # the parts to lay out first, the last of them first (its copyfit can start early); then those whose report
        # the cache or an earlier run holds, which only wait for their numbers
        order = sorted(range(units), key=lambda number: (self._known(number), number != units - 1, number))
        added = {number: self._body_part(number) for number in order}
        body = [added[number] for number in range(units)]
        self.last = body[-1]
        # the front matter's count last, the shortest layout: the core that finishes its part first takes the next
        # long part at once, and the other core the count
        self.front = front = self._add(front_html(piece, None), lead=False)
        self._settle([front, *body])
        self._verdict(front, _Abandon())  # counted only
        kept: frozenset[str] = frozenset()  # the words kept whole from the next layout on
        laid_with = kept  # those the body parts' current layouts keep whole
        for round_ in range(1, pagination.LAYOUTS + 1):  # as publish.backends.pdfengine.write
            reports = self._reports(body)
            found = frozenset[str]().union(*(report.words for report in reports))
            fitted = any(report.fitted for report in reports)
            self.rounds.append((found, fitted))
            more = found - kept
            kept |= more
            if round_ == pagination.LAYOUTS or (not more and not fitted):
                break
            self._again(body, _Again(kept))
            laid_with = kept
        front_pages = self.parts[front].pages - stub_pages(piece, None)
        total = front_pages + sum(self.parts[index].pages - 1 for index in body)
        tighter, self.tighter = self.tighter, None
        if tighter is not None and self._reports(body)[-1].near_empty and len(self.rounds) == 1:
            self._settle([tighter])  # the copy set tighter, laid out from the same first round
            self.copyfit = self.parts[tighter].pages < self.parts[self.last].pages
            self._verdict(self.last if self.copyfit else tighter, _Abandon())
            body[-1] = tighter if self.copyfit else self.last
        elif self._reports(body)[-1].near_empty:  # the last story a little tighter (in the last part), kept if a
            self._forget(tighter)                 # page goes
            last = body[-1:]
            self._again(last, _Again(kept, copyfit=True, adjust=False))
            self.copyfit = front_pages + sum(self.parts[index].pages - 1 for index in body) < total
            if self.copyfit:
                laid_with = kept
            else:
                self._again(last, _Back())
        else:
            self._forget(tighter)
        return self._finish(body, front_pages, laid_with)

    def _forget(self, index: int | None) -> None:
        """A part no longer wanted: never laid out if it has not started, else abandoned once counted."""
        if index is None:
            return
        if index in self.fresh:
            self.fresh.remove(index)
            return
        self._settle([index])
        self._verdict(index, _Abandon())

    def _finish(self, body: list[int], front_pages: int, kept: frozenset[str]) -> Laid:
        """Number the body parts (each written as it is told) and lay out the real front matter, with the words the
        body parts keep whole."""
        pages: dict[str, int] = {}
        starts = []
        start = front_pages + 1
        for index in body:
            report = self.parts[index].report
            assert report is not None
            for page, names in enumerate(report.anchors[1:]):
                for name in names:
                    pages.setdefault(name, start + page)
            starts.append(start)
            start += len(report.anchors) - 1
        total = start - 1
        front_report = self.parts[self.front].report
        assert front_report is not None
        carried = dict(front_report.strings)  # the cover's and contents' strings carry into the first section
        for index, first in zip(body, starts, strict=True):
            report = self.parts[index].report
            assert report is not None
            self._verdict(index, _Furniture(first - 2, total, dict(carried)))
            carried.update(report.strings)
        real = self._add(front_html(self.piece, pages), lead=False, kept=kept)
        self._settle([real])
        report = self.parts[real].report
        assert report is not None
        if self.parts[real].pages - stub_pages(self.piece, pages) != front_pages:
            raise _Fallback("the contents changed length with its real page numbers")
        if report.fitted or report.words:
            raise _Fallback("the cover or contents scales a figure or breaks a word badly: the single pass redoes it")
        self._verdict(real, _Furniture(0, total, {}))
        written = [real, *body]
        opened: dict[int, Opened] = {}
        while any(self.parts[index].pdf is None for index in written):
            self._next()
            for index in written:  # each part opened for the stitch while the others are still being made
                data = self.parts[index].pdf
                if data is not None and (index not in opened or opened[index].data is not data):  # or sent again
                    opened[index] = Opened.of(data)
        return Laid(self.parts[real].pdf or b"", front_pages, tuple(self.parts[index].pdf or b"" for index in body),
                    tuple(self.parts[index].levels for index in written), tuple(map(opened.get, written)))

    def _reports(self, indexes: list[int]) -> list[_Report]:
        reports = [self.parts[index].report for index in indexes]
        for report in reports:
            assert report is not None
            if report.inexact:
                raise _Fallback(report.inexact)
        return reports  # type: ignore[return-value]

    def _known(self, number: int) -> bool:
        """Whether body part `number`'s first report is known without laying it out (kept in the cache, or
        borrowed from an earlier run)."""
        if self.plan is not None and self.plan.borrows[number] is not None:
            return True
        return self.keys is not None and cache.get_json("pages", self.keys.part(self._html(number),
                                                                                frozenset())) is not None

    def _html(self, number: int) -> str:
        """Body part `number`'s HTML (`part_html`), made once."""
        if number not in self.htmls:
            self.htmls[number] = part_html(self.piece, number)
        return self.htmls[number]

    def _body_part(self, number: int) -> int:
        """Add body part `number` of the cut, with what the plan says of it."""
        plan = self.plan
        return self._add(self._html(number), lead=True,
                         units=plan.units[number] if plan is not None else [],
                         borrow=plan.borrows[number] if plan is not None else None)

    def _add(self, html: str, lead: bool, kept: frozenset[str] = frozenset(),
             units: list[tuple[str, frozenset[str]]] | None = None, borrow: _Borrow | None = None) -> int:
        self.parts.append(_Part(html, lead, kept, units=units or [], borrow=borrow))
        index = len(self.parts) - 1
        self.fresh.append(index)
        self._give_all()
        return index

    def _again(self, indexes: list[int], verdict: _Again | _Back, also: tuple[int, ...] = ()) -> None:
        """Every part in `indexes` given the verdict (each laid out again or not, as it decides), and counted."""
        for index in indexes:
            part = self.parts[index]
            part.counted = part.drafted = False
            self.queued[part.worker].append((index, verdict))
        self._give_all()
        self._settle([*indexes, *also])

    def _verdict(self, index: int, verdict: Verdict) -> None:
        """A verdict that starts no layout: furniture (the part is written) or abandon."""
        part = self.parts[index]
        part.abandoning = isinstance(verdict, _Abandon)
        part.numbered = isinstance(verdict, _Furniture)
        self.pool.send(part.worker, ("verdict", index, verdict))

    def _give_all(self) -> None:
        """Start layouts while fewer than `active` run: verdicts that lay a held part out again first, then new
        parts, each to the idle process holding the fewest."""
        for worker, busy in enumerate(self.busy):
            if busy is None and self.queued[worker] and self._running() < self.active:
                index, verdict = self.queued[worker].pop(0)
                self.busy[worker] = index
                self.pool.send(worker, ("verdict", index, verdict))
        while self.fresh and self._running() < self.active:
            idle = [worker for worker, busy in enumerate(self.busy) if busy is None and not self.queued[worker]]
            if not idle:
                return
            worker = min(idle, key=lambda number: len(self.holding[number]))
            index = self.fresh.pop(0)
            part = self.parts[index]
            part.worker, part.counted = worker, False
            self.busy[worker] = index
            self.holding[worker].add(index)
            key = part.key = self.keys.part(part.html, part.kept) if self.keys is not None else None
            self.pool.send(worker, ("part", index, part.html, part.lead, part.kept, key, part.borrow))
        self._draft()

    def _draft(self) -> None:
        """While a core would be idle beside a layout, a body part counted and waiting for its verdict writes its
        body ahead (the last part last: a copyfit may lay it out again). Not once no layout runs: the parent is
        about to decide, and the front matter's last layout is next."""
        while self._running() < self.active and any(busy is not None and busy not in self.drafting
                                                    for busy in self.busy):
            waiting = [index for index, part in enumerate(self.parts)
                       if part.lead and part.counted and not (part.drafted or part.numbered or part.abandoning)
                       and index != self.tighter and self.busy[part.worker] is None and not self.queued[part.worker]]
            if not waiting:
                return
            index = min(waiting, key=lambda number: (number == self.last, number))
            part = self.parts[index]
            part.drafted = True
            self.drafting.add(index)
            self.busy[part.worker] = index
            self.pool.send(part.worker, ("verdict", index, _Draft()))

    def _running(self) -> int:
        return sum(busy is not None for busy in self.busy)

    def _settle(self, indexes: list[int]) -> None:
        """Wait until every part in `indexes` has reported its layout."""
        while not all(self.parts[index].counted for index in indexes):
            self._next()

    def _next(self) -> None:
        worker, message = next(self.messages)
        if message[0] == "said":  # a worker's warning: said here, where the build's warnings are
            logging.getLogger(message[1]).log(message[2], "%s", message[3])
            return
        kind, index = message[0], message[1]
        part = self.parts[index]
        if kind == "counted":
            part.report, part.counted = message[2], True
            if message[3] and not self.rounds and part.units and part.borrow is None and not part.kept:
                _index(part, message[2])
            if (index == self.last and self.tighter is None and not self.rounds and part.report.near_empty
                    and not part.report.words and not part.report.fitted):  # the copyfit, started early
                self.tighter = self._add(part_html(self.piece, len(self.piece.units) - 1, copyfit=True), lead=True)
            if self.busy[worker] == index:
                self.busy[worker] = None
                self._give_all()
        elif kind == "drafted":
            self.drafting.discard(index)
            if self.busy[worker] == index:
                self.busy[worker] = None
                self._give_all()
        elif kind == "done":
            part.pdf, part.levels = message[2], message[3]
            self.holding[worker].discard(index)
        elif kind == "abandoned":
            self.holding[worker].discard(index)
            if not part.abandoning:
                raise _Fallback("a part was abandoned")
        elif kind == "error":
            raise message[2]
        else:
            raise RuntimeError(f"a PDF part failed in its worker:\n{message[2]}")


# --- the parts kept in the cache ------------------------------------------------------------------------------
#
# A rebuild after one article changed lays out only the parts whose HTML changed: every other part's first report
# comes from the cache (kind "pages"), and its PDF too when it is numbered as before (the same first page number,
# total and running strings carried in). A part whose report says it scaled a figure is not kept (its next layout
# depends on the tree that layout changed), nor anything when images may come from the network.


@dataclass(frozen=True, slots=True)
class _Keys:
    """What a part's cache key holds besides its HTML and the words kept whole: publish's code, the theme and its
    templates, WeasyPrint's options, the date the fonts record and SOURCE_DATE_EPOCH, and the bytes of every local
    file the part's HTML names (`src`, `href` and `url()`), read once per build."""

    base: str
    folder: Path
    files: dict[str, str] = field(default_factory=dict)
    parts: dict[tuple[str, frozenset[str]], str] = field(default_factory=dict)

    @staticmethod
    def of(collection: model.Collection, context: RenderContext, options: dict[str, Any]) -> _Keys | None:
        if cache.root() is None or context.allow_remote:
            return None
        moment = reproducible.font_moment(collection)
        base = cache.fingerprint("pdf-part", cache.code_version(),
                                 cache.theme_version(context.theme, present.builtin_templates_dir()),
                                 repr(sorted(options.items())), str(moment),
                                 os.environ.get("SOURCE_DATE_EPOCH", ""))
        return _Keys(base, context.resources.base_dir.resolve())

    def part(self, html: str, kept: frozenset[str]) -> str:
        if (html, kept) not in self.parts:  # asked again when the part is handed out
            names = _named_files(html)
            self.parts[html, kept] = cache.fingerprint(self.base, html, *sorted(kept),
                                                       *(f"{name}|{self._file(name)}" for name in names))
        return self.parts[html, kept]

    def _file(self, name: str) -> str:
        if name not in self.files:
            address = urllib.parse.urlsplit(name)
            path = (Path(_url2pathname(address.path)) if address.scheme == "file"
                    else self.folder / urllib.parse.unquote(address.path))
            try:
                self.files[name] = cache.fingerprint(path.read_bytes()) if path.is_file() else ""
            except OSError:
                self.files[name] = ""
        return self.files[name]


_NAMED_FILE = re.compile(r"""(src=|href=|url\()["']?(?!data:|#|(?!file:)[a-z][a-z0-9+.-]*:)([^"')\s]+)""")
"""A local file a part's HTML names (a picture, a style sheet, a font): a relative or file: URL, after `url(` or an
attribute `src=` or `href=` (whitespace before it: `_named_files` checks, which lets the search skip ahead to each
`src=`, `href=` or `url(` rather than try three alternatives at every character of a part's megabyte)."""


def _named_files(html: str) -> list[str]:
    """The local files `html` names (`_NAMED_FILE`), each once, sorted."""
    names = set()
    at = 0
    while (found := _NAMED_FILE.search(html, at)) is not None:
        start = found.start()
        if found[1] == "url(" or (start and html[start - 1].isspace()):
            names.add(found[2])
            at = found.end()
        else:  # `data-src=`...: no name here, but one may begin inside what was matched
            at = start + 1
    return sorted(names)


def _cached_report(key: str | None) -> _Report | None:
    """A part's first report from the cache, or None."""
    data = cache.get_json("pages", key) if key is not None else None
    if not isinstance(data, dict):
        return None
    try:
        return _Report(anchors=[list(map(str, names)) for names in data["anchors"]],
                       strings={str(k): str(v) for k, v in data["strings"].items()},
                       levels=[int(level) for level in data["levels"]], words=frozenset(map(str, data["words"])),
                       fitted=bool(data["fitted"]), near_empty=bool(data["near_empty"]), inexact=str(data["inexact"]),
                       margins=[_Margins(str(page["name"]), bool(page["blank"]),
                                         {str(k): list(map(str, v)) for k, v in page["strings"].items()},
                                         list(map(str, page["opening"]))) for page in data.get("margins", [])],
                       consulted=None if data.get("consulted") is None else frozenset(map(str, data["consulted"])))
    except (KeyError, TypeError, ValueError, AttributeError):
        return None


def _report_json(report: _Report) -> dict[str, Any]:
    return dataclasses.asdict(report) | {"words": sorted(report.words), "consulted": None if report.consulted is None
                                         else sorted(report.consulted)}


@dataclass(frozen=True, slots=True)
class _Borrow:
    """Pages a part takes from a run of articles laid out before (`_borrowing`): the run's cache key, and the first
    and last of its pages taken (counted from 1; page 0 is the lead page)."""

    run: str
    first: int
    last: int


def _borrowed_report(borrow: _Borrow) -> _Report | None:
    """What a part's first layout would report, read from the run it borrows from: its pages' anchors and margin
    records, the named strings those pages leave, the run's bookmark levels (its PDF's outline is kept whole, each
    entry on a page left out pointing nowhere), and a near-empty last page only if it is the run's last. None when
    the run's report is not kept, or it found words or figures to change (a new layout could differ)."""
    run = _cached_report(borrow.run)
    if run is None or run.words or run.fitted or run.inexact or len(run.margins) != len(run.anchors) \
            or not 1 <= borrow.first <= borrow.last < len(run.anchors):
        return None
    pages = range(borrow.first, borrow.last + 1)
    strings: dict[str, str] = {}
    for page in pages:
        strings.update({name: values[-1] for name, values in run.margins[page].strings.items() if values})
    return _Report(anchors=[run.anchors[0], *(run.anchors[page] for page in pages)], strings=strings,
                   levels=run.levels, words=frozenset(), fitted=False,
                   near_empty=run.near_empty and borrow.last == len(run.anchors) - 1, inexact="",
                   margins=[run.margins[0], *(run.margins[page] for page in pages)],
                   consulted=run.consulted)  # the run's: more than its pages asked about, never fewer


def _borrowed_body(borrow: _Borrow, count: int) -> bytes | None:
    """The borrowed pages of the run's body (without margin boxes), after the run's lead page; outline entries and
    named destinations on the pages left out point nowhere (the stitcher skips them), so none of those pages is
    kept with them."""
    data = cache.get("pages", _body_key(borrow.run))
    if data is None:
        return None
    with pikepdf.open(io.BytesIO(data)) as pdf:
        if len(pdf.pages) < borrow.last + 1 or count != borrow.last - borrow.first + 2:
            return None
        dropped = {page.objgen for index, page in enumerate(pdf.pages) if index and not
                   borrow.first <= index <= borrow.last}
        del pdf.pages[borrow.last + 1:]
        del pdf.pages[1:borrow.first]
        outlines = pdf.Root.get("/Outlines")
        pending = [outlines.get("/First")] if outlines is not None else []
        while pending:
            item = pending.pop()
            if not isinstance(item, pikepdf.Dictionary):
                continue
            target = item.get("/Dest")
            if target is None and "/A" in item:
                target = item.A.get("/D")
            if isinstance(target, pikepdf.Array) and len(target) and isinstance(target[0], pikepdf.Dictionary) \
                    and target[0].objgen in dropped:
                item.Dest = pikepdf.Array()
                if "/A" in item:
                    del item.A
            pending += [item.get("/First"), item.get("/Next")]
        names = pdf.Root.get("/Names")
        if names is not None and "/Dests" in names:
            kept = {name: target for name, target in _named_destinations(pdf)
                    if not (len(target) and isinstance(target[0], pikepdf.Dictionary)
                            and target[0].objgen in dropped)}
            tree = pikepdf.NameTree.new(pdf)
            for name in sorted(kept):
                tree[name] = kept[name]
            names.Dests = tree.obj
        buffer = io.BytesIO()
        pdf.save(buffer, deterministic_id=True)
        return buffer.getvalue()


def _body_key(key: str) -> str:
    """Where the body of a part's first layout (its pages without margin boxes: `_PartLayout._body`) is kept: it
    does not depend on the page numbers."""
    return cache.fingerprint(key, "body")


def _written_key(key: str | None, furniture: _Furniture) -> str:
    """Where the PDF written from a part's first layout, numbered as `furniture` says, is kept."""
    return cache.fingerprint(key or "", str(furniture.shift), str(furniture.total),
                             *(f"{name}={value}" for name, value in sorted(furniture.strings.items())))


# --- a changed article laid out alone ------------------------------------------------------------------------
#
# With --article-break every article starts a page, so its pages depend on the article, the styles and the
# document's skeleton (the elements' names and attributes), not on the articles laid out with it: a run laid out
# before holds, page for page, what a run of other articles around the same ones would give, and the stitched
# bytes do not depend on how the pages were grouped (`_canonical_resources`). So each article's pages in a run
# whose first layout found nothing to change (no words to keep whole, no figure to scale) are indexed in the
# cache under a key of the article (`_units`); a later build splits a run whose articles changed into segments:
# the articles indexed as consecutive pages of one earlier run borrow those pages (`_Borrow`: no layout, only
# their margin boxes laid out anew from the record), and the others are laid out as a part of their own. An edit
# to one article of a run of seventeen lays out that article alone.

MAX_SEGMENTS = 5
"""A run is split into this many parts at most: each part laid out costs its styles again, each one borrowed its
margin boxes."""


@dataclass(frozen=True, slots=True)
class _Plan:
    units: list[list[tuple[str, frozenset[str]]]]
    """Per body part, its units' keys and ids."""
    borrows: list[_Borrow | None]
    """Per body part, the pages it borrows, or None."""


def _units(piece: Cut, keys: _Keys) -> list[list[tuple[str, frozenset[str]]]]:
    """Per body part, each unit's key (what its pages depend on when every article starts a page: its own HTML,
    the document's head, the skeleton of its elements and attributes, the files it names) and the ids in it (the
    section's too, for a unit that opens the section)."""
    tree = piece.tree
    main = tree.find("body/main")
    skeleton = repr([sorted(tree.attrib.items()), sorted(tree.find("body").attrib.items()),
                     *([element.tag, sorted(element.attrib.items()),
                        [(child.tag, sorted(child.attrib.items())) for child in element if isinstance(child.tag, str)]]
                       for element in main if isinstance(element.tag, str))])
    base = cache.fingerprint(keys.base, "unit-pages", lxml.html.tostring(tree.find("head"), encoding="unicode"),
                             skeleton)
    found = []
    for group in piece.members:
        keyed = []
        for unit in group:
            html = "".join(lxml.html.tostring(element, encoding="unicode", with_tail=False) for element in unit)
            names = _named_files(html)
            ids = {element.get("id") for top in unit for element in top.iter()
                   if isinstance(element.tag, str) and element.get("id")}
            section = unit[0].getparent()
            if len(unit) > 1 and section is not None and section.get("id"):
                ids.add(section.get("id"))
            keyed.append((cache.fingerprint(base, html, *(f"{name}|{keys._file(name)}" for name in names)),
                          frozenset(ids)))
        found.append(keyed)
    return found


def _index(part: _Part, report: _Report) -> None:
    """Keep where each of a freshly laid-out body part's units lies among its pages, for later builds to borrow;
    nothing when the layout found something to change, or the pages cannot be told apart by the units' ids."""
    if part.key is None or report.words or report.fitted or report.inexact or len(report.margins) != len(
            report.anchors):
        return
    owned = frozenset[str]().union(*(ids for _, ids in part.units))
    if sum(len(ids) for _, ids in part.units) != len(owned) or not owned.isdisjoint(report.anchors[0]):
        return  # an id in two units, or on the lead page
    where: dict[str, int] = {}
    for page, names in enumerate(report.anchors[1:], 1):
        for name in names:
            if name in where:
                return  # an id on two pages: the pages cannot be told apart by ids
            where[name] = page
    firsts = [min((where[name] for name in ids if name in where), default=0) for _, ids in part.units]
    pages = len(report.anchors) - 1
    if not firsts or firsts[0] != 1 or any(later <= earlier for earlier, later in itertools.pairwise(firsts)):
        return
    ranges = list(zip(firsts, [following - 1 for following in [*firsts[1:], pages + 1]], strict=True))
    if any(not first <= where[name] <= last for (_, ids), (first, last) in zip(part.units, ranges, strict=True)
           for name in ids if name in where):
        return  # a unit's id found among another unit's pages
    for (key, _), (first, last) in zip(part.units, ranges, strict=True):
        cache.put_json("pages", key, {"run": part.key, "first": first, "last": last, "pages": pages})


@dataclass(slots=True)
class _Segment:
    """Consecutive units of a run: borrowed pages `first` to `last` of an earlier run of `pages` pages (`run` its
    key), or, with `run` None, units to lay out."""

    run: str | None
    first: int
    last: int
    pages: int
    positions: list[int]
    """The units' places in their run."""


def _borrowing(piece: Cut, keys: _Keys) -> _Plan:
    """Split each run into segments (at most MAX_SEGMENTS): articles indexed as consecutive pages of one earlier
    run borrow them, the others are laid out together; the cut is regrouped so. The last part borrows only pages
    that end their run (whether its last page is near empty is known only there)."""
    units = _units(piece, keys)
    members: list[list[list[Any]]] = []
    keyed: list[list[tuple[str, frozenset[str]]]] = []
    borrows: list[_Borrow | None] = []
    for number, (group, found) in enumerate(zip(piece.members, units, strict=True)):
        segments: list[_Segment] = []
        for position, (key, _) in enumerate(found):
            entry = cache.get_json("pages", key)
            if not (isinstance(entry, dict) and isinstance(entry.get("run"), str)
                    and all(isinstance(entry.get(name), int) for name in ("first", "last", "pages"))):
                entry = None
            last = segments[-1] if segments else None
            if last is not None and (last.run is None if entry is None else
                                     last.run == entry["run"] and last.last + 1 == entry["first"]):
                last.positions.append(position)
                last.last = entry["last"] if entry is not None else 0
            elif entry is None:
                segments.append(_Segment(None, 0, 0, 0, [position]))
            else:
                segments.append(_Segment(entry["run"], entry["first"], entry["last"], entry["pages"], [position]))
        if number == len(piece.members) - 1 and segments[-1].last != segments[-1].pages:
            segments[-1].run = None
        if len(segments) > MAX_SEGMENTS or all(segment.run is None for segment in segments):
            segments = [_Segment(None, 0, 0, 0, list(range(len(group))))]
        for segment in segments:
            members.append([group[position] for position in segment.positions])
            keyed.append([found[position] for position in segment.positions])
            borrows.append(_Borrow(segment.run, segment.first, segment.last) if segment.run is not None else None)
    regroup(piece, members)
    return _Plan(keyed, borrows)


# --- stitching ----------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Mark:
    """One outline entry of the whole document: its heading level, title, page (from 0) and where on it."""

    level: int
    title: str
    page: int
    left: float
    top: float


def stitch(laid: Laid) -> bytes:
    """One PDF from the parts: the front part's pages up to its stubs, then each body part without its lead page;
    named destinations, outline, document metadata and (when tagged) the structure tree made whole."""
    opened = [given or Opened.of(data) for data, given in
              itertools.zip_longest((laid.front, *laid.body), laid.opened[:len(laid.body) + 1])]
    out = opened[0].pdf
    sources = [part.pdf for part in opened[1:]]
    read = {page.obj.objgen: found for page, found in zip(out.pages, opened[0].pages, strict=True)}
    front_kept = laid.front_pages
    marks: list[_Mark] = []
    destinations: dict[str, pikepdf.Array] = {}
    tree = out.Root.get("/StructTreeRoot")
    parts_trees: list[tuple[pikepdf.Pdf, int]] = []
    levels = laid.levels
    _collect_front(out, front_kept, marks, levels[0])
    del out.pages[front_kept:]
    if tree is not None:
        _prune_tree(tree, {p.obj.objgen for p in out.pages})
    for number, source in enumerate(sources, 1):
        first = len(out.pages)
        pages = list(source.pages)[1:]
        out.pages.extend(pages)
        copies = list(out.pages)[first:]
        mapping = {page.obj.objgen: copy_.obj for page, copy_ in zip(pages, copies, strict=True)}
        read.update((copy_.obj.objgen, found) for copy_, found in zip(copies, opened[number].pages[1:], strict=True))
        _collect_marks(source, mapping, first, marks, levels[number])
        for name, target in _named_destinations(source):
            page = target[0] if len(target) else None
            if isinstance(page, pikepdf.Dictionary) and page.objgen in mapping:
                destinations[name] = pikepdf.Array([mapping[page.objgen], *list(target)[1:]])
        if tree is not None:
            parts_trees.append((source, first))
    _merge_destinations(out, destinations)
    _write_outline(out, marks)
    if tree is not None:
        _merge_structure(out, tree, parts_trees)
    share_fonts(out)
    _canonical_resources(out, read)
    _share_wrappers(out)
    whole = _numbered_by_copy(out)
    buffer = io.BytesIO()
    whole.save(buffer, deterministic_id=True, compress_streams=True, min_version=out.pdf_version,
               object_stream_mode=pikepdf.ObjectStreamMode.generate if out.pdf_version >= "1.5"
               else pikepdf.ObjectStreamMode.disable)
    return buffer.getvalue()


def _numbered_by_copy(out: pikepdf.Pdf) -> pikepdf.Pdf:
    """The stitched document copied into a new PDF: its pages in order, then the rest of its catalogue and its
    document information. In `out` the objects are numbered as they were copied from the parts, so how the pages were
    shared out (a rebuild regroups them) would show in the packed file's object streams; in the copy they are
    numbered in the order the copy reaches them, which only the document decides. (A save and a second reading did
    the same in twice the time.) qpdf copies no pages tree with a catalogue: the pages are added first, and the
    catalogue's links, outline and structure tree then point to their copies."""
    whole = pikepdf.new()
    with warnings.catch_warnings():  # the named destinations are copied below, with the rest of the catalogue
        warnings.simplefilter("ignore", pikepdf.PageCopyWarning)
        whole.pages.extend(out.pages)
    rest = out.make_indirect(pikepdf.Dictionary({key: value for key, value in out.Root.items()
                                                 if key not in ("/Pages", "/Type")}))
    for key, value in whole.copy_foreign(rest).items():
        whole.Root[key] = value
    if "/Info" in out.trailer:
        whole.trailer.Info = whole.copy_foreign(out.trailer.Info)
    return whole


def _named_destinations(pdf: pikepdf.Pdf) -> Iterator[tuple[str, pikepdf.Array]]:
    names = pdf.Root.get("/Names")
    if names is None or "/Dests" not in names:
        return
    for name, target in pikepdf.NameTree(names.Dests).items():
        target = target.get("/D", target) if isinstance(target, pikepdf.Dictionary) else target
        if isinstance(target, pikepdf.Array):
            yield str(name), target


def _merge_destinations(out: pikepdf.Pdf, body: dict[str, pikepdf.Array]) -> None:
    """The front part's destinations that are on kept pages (its stubs' are not), then the body parts'."""
    kept = {page.obj.objgen for page in out.pages}
    merged: dict[str, pikepdf.Array] = {}
    for name, target in _named_destinations(out):
        page = target[0] if len(target) else None
        if isinstance(page, pikepdf.Dictionary) and page.objgen in kept:
            merged[name] = target
    merged.update(body)
    names = out.Root.get("/Names")
    if names is None:
        out.Root.Names = names = pikepdf.Dictionary()
    tree = pikepdf.NameTree.new(out)
    for name in sorted(merged):
        tree[name] = merged[name]
    names.Dests = tree.obj


def _outline_entries(pdf: pikepdf.Pdf) -> Iterator[tuple[int, str, pikepdf.Array]]:
    """The outline in reading order: depth, title and destination of each entry."""
    outlines = pdf.Root.get("/Outlines")

    def walk(item: Any, depth: int) -> Iterator[tuple[int, str, pikepdf.Array]]:
        while item is not None:
            target = item.get("/Dest")
            if target is None and "/A" in item:
                target = item.A.get("/D")
            yield depth, str(item.get("/Title", "")), target
            yield from walk(item.get("/First"), depth + 1)
            item = item.get("/Next")

    if outlines is not None:
        yield from walk(outlines.get("/First"), 1)


def _collect_front(pdf: pikepdf.Pdf, kept: int, marks: list[_Mark], levels: list[int]) -> None:
    mapping = {page.obj.objgen: page.obj for page in list(pdf.pages)[:kept]}
    _collect_marks(pdf, mapping, 0, marks, levels)


def _collect_marks(pdf: pikepdf.Pdf, mapping: dict[tuple[int, int], Any], first: int, marks: list[_Mark],
                   levels: list[int]) -> None:
    """A part's outline entries as marks on the whole document's pages, at their levels as the part's worker found
    them on the layout it wrote (the part's own nesting is shallower: the sections of other parts are empty there).
    Levels that do not line up with the entries would nest the outline wrongly: the single pass runs instead."""
    entries = list(_outline_entries(pdf))
    if len(levels) != len(entries):
        raise _Fallback("a part's bookmark levels do not match its bookmarks")
    order = {objgen: index for index, objgen in enumerate(mapping)}
    for level, (_, title, target) in zip(levels, entries, strict=True):
        page = target[0] if target is not None and len(target) else None
        if not isinstance(page, pikepdf.Dictionary) or page.objgen not in order:
            continue
        left = float(target[2]) if len(target) > 2 and isinstance(target[2], (int, float, pikepdf.Object)) else 0.0
        top = float(target[3]) if len(target) > 3 else 0.0
        marks.append(_Mark(level, title, first + order[page.objgen], left, top))


def _write_outline(out: pikepdf.Pdf, marks: list[_Mark]) -> None:
    """The whole document's outline, nested as WeasyPrint nests bookmarks: each under the last one of a lower
    level; every entry open, pointing at its place on its page (/XYZ left top, zoom kept). Written as the outline
    dictionaries themselves, as pikepdf's outline API writes them (which took four times as long)."""
    if "/Outlines" in out.Root:
        del out.Root["/Outlines"]
    if not marks:
        return
    pages = out.pages
    top: list[tuple[pikepdf.Dictionary, list[Any]]] = []
    stack: list[tuple[int, list[tuple[pikepdf.Dictionary, list[Any]]]]] = [(0, top)]
    for mark in marks:
        while stack[-1][0] >= mark.level:
            stack.pop()
        item = out.make_indirect(pikepdf.Dictionary(
            Title=pikepdf.String(mark.title),
            Dest=pikepdf.Array([pages[mark.page].obj, pikepdf.Name.XYZ, mark.left, mark.top, 0])))
        children: list[tuple[pikepdf.Dictionary, list[Any]]] = []
        stack[-1][1].append((item, children))
        stack.append((mark.level, children))

    def linked(parent: pikepdf.Dictionary, entries: list[tuple[pikepdf.Dictionary, list[Any]]]) -> int:
        """Link the entries under their parent; how many entries are below it (its /Count: all are open)."""
        count = 0
        for index, (item, children) in enumerate(entries):
            item.Parent = parent
            if index:
                item.Prev = entries[index - 1][0]
                entries[index - 1][0].Next = item
            count += 1 + linked(item, children)
        if entries:
            parent.First, parent.Last = entries[0][0], entries[-1][0]
        parent.Count = count
        return count

    root = out.make_indirect(pikepdf.Dictionary(Type=pikepdf.Name.Outlines))
    linked(root, top)
    out.Root.Outlines = root


def _pages_in(element: Any, seen: set[tuple[int, int]]) -> set[tuple[int, int]]:
    """The pages (by object id) that a structure element's content is on."""
    found: set[tuple[int, int]] = set()
    if not isinstance(element, pikepdf.Dictionary) or element.objgen in seen:
        return found
    if element.objgen != (0, 0):
        seen.add(element.objgen)
    page = element.get("/Pg")
    if isinstance(page, pikepdf.Dictionary):
        found.add(page.objgen)
    kids = element.get("/K")
    for kid in (kids if isinstance(kids, pikepdf.Array) else [kids] if kids is not None else []):
        found |= _pages_in(kid, seen)
    return found


def _document_element(tree: Any) -> Any:
    kids = tree.get("/K")
    return kids[0] if isinstance(kids, pikepdf.Array) and len(kids) == 1 else kids


def _prune_tree(tree: Any, kept: set[tuple[int, int]]) -> None:
    """Drop the structure of dropped pages (stubs, lead pages) and their parent tree entries."""
    document = _document_element(tree)
    kids = document.get("/K")
    if isinstance(kids, pikepdf.Array):
        document.K = pikepdf.Array([kid for kid in kids if not (pages := _pages_in(kid, set())) or pages & kept])


def _merge_structure(out: pikepdf.Pdf, tree: Any, parts: list[tuple[pikepdf.Pdf, int]]) -> None:
    """One structure tree: every part's top-level elements under the front part's document element, each part's
    parent tree entries renumbered after the ones before, /StructParents set to match, role maps merged."""
    document = _document_element(tree)
    nums = _parent_tree(tree)
    kept_keys = {int(page.obj.get("/StructParents", -1)) for page in out.pages}
    kept_keys |= {int(annotation.get("/StructParent", -1)) for page in out.pages
                  for annotation in page.obj.get("/Annots", [])}
    merged: dict[int, Any] = {key: value for key, value in nums.items() if key in kept_keys}
    next_key = max(merged, default=-1) + 1
    roles = dict(tree.get("/RoleMap", {}).items()) if "/RoleMap" in tree else {}
    kids = list(document.get("/K", []))
    for source, first in parts:
        source_tree = source.Root.StructTreeRoot
        source_document = _document_element(source_tree)
        for kid in source_document.get("/K", []):  # its parent is the stitched document's, not the part's (which
            if isinstance(kid, pikepdf.Dictionary) and "/P" in kid:  # holds the part's hollow elements): nothing
                del kid.P  # copied from the part brings the part's own tree along
        count = len(source.pages) - 1
        renumber: dict[int, int] = {}
        for index, page in enumerate(list(source.pages)[1:]):
            key = page.obj.get("/StructParents")
            if key is not None:
                renumber[int(key)] = next_key
                out.pages[first + index].obj.StructParents = next_key
                next_key += 1
        source_nums = _parent_tree(source_tree)
        for old, new in renumber.items():
            if old in source_nums:
                merged[new] = _copied(out, source_nums[old])
        for annotation_page in list(out.pages)[first:first + count]:
            for annotation in annotation_page.obj.get("/Annots", []):
                if "/StructParent" in annotation:
                    old = int(annotation.StructParent)
                    annotation.StructParent = next_key
                    if old in source_nums:
                        merged[next_key] = _copied(out, source_nums[old])
                    next_key += 1
        kept = {page.obj.objgen for page in list(source.pages)[1:]}
        for kid in source_document.get("/K", []):
            pages = _pages_in(kid, set())
            if pages and not pages & kept:
                continue
            copied = out.copy_foreign(kid)
            copied.P = document
            kids.append(copied)
        roles.update(dict(source_tree.get("/RoleMap", {}).items()) if "/RoleMap" in source_tree else {})
    document.K = pikepdf.Array(kids)
    # numbered again in the document's order, a page's content before its annotations: the keys do not depend on
    # how the pages were shared out among the parts
    numbered: dict[int, Any] = {}
    for page in out.pages:
        holders = [(page.obj, "/StructParents"), *((annotation, "/StructParent")
                                                   for annotation in page.obj.get("/Annots", []))]
        for holder, name in holders:
            if name in holder:
                numbered[len(numbered)] = merged.get(int(holder[name]))
                holder[name] = len(numbered) - 1
    merged = {key: value for key, value in numbered.items() if value is not None}
    _number_ids(document)
    in_tree = _parents_named(document)
    for value in merged.values():  # marked content WeasyPrint tags outside the tree (a NonStruct around a margin
        for element in value if isinstance(value, pikepdf.Array) else [value]:  # box's text) keeps the document
            climbed = 0  # as its parent, as in a single pass: not the part's own document element
            while isinstance(element, pikepdf.Dictionary) and element.objgen not in in_tree and climbed < 64:
                parent = element.get("/P")
                if isinstance(parent, pikepdf.Dictionary) and parent.get("/S") == "/Document":
                    element.P = document
                    break
                element, climbed = parent, climbed + 1
    next_key = len(numbered)
    tree.ParentTree = out.make_indirect(pikepdf.Dictionary(
        Nums=pikepdf.Array([item for key in sorted(merged) for item in (key, merged[key])])))
    tree.ParentTreeNextKey = next_key
    if roles:
        tree.RoleMap = pikepdf.Dictionary(roles)


def _parents_named(document: Any) -> set[tuple[int, int]]:
    """Point each structure element's /P at the element whose /K holds it (a part's top elements at the stitched
    document element), and return the elements of the tree."""
    seen: set[tuple[int, int]] = set()
    pending = [document]
    while pending:
        element = pending.pop()
        kids = element.get("/K")
        for kid in kids if isinstance(kids, pikepdf.Array) else [kids]:
            if isinstance(kid, pikepdf.Dictionary) and "/S" in kid and kid.is_indirect and kid.objgen not in seen:
                seen.add(kid.objgen)
                if kid.get("/P") is None or kid.P.objgen != element.objgen:
                    kid.P = element
                pending.append(kid)
    return seen


def _number_ids(document: Any) -> None:
    """Name the structure elements' IDs (a table's header cells, which its data cells' /Headers name) after their
    table's place in the document: WeasyPrint names them after an object of its own, which differs from part to
    part, and the stitched PDF must not depend on how the pages were shared out among the parts."""
    tables: dict[str, str] = {}
    renamed: dict[str, str] = {}

    def name(old: str) -> str:
        if old not in renamed:
            table, _, rest = old.partition("-")
            number = tables.setdefault(table, str(len(tables) + 1))
            renamed[old] = f"{number}-{rest}" if rest else number
        return renamed[old]

    seen: set[tuple[int, int]] = set()
    pending = [document]
    while pending:
        element = pending.pop()
        if not isinstance(element, pikepdf.Dictionary) or (element.is_indirect and element.objgen in seen):
            continue
        if element.is_indirect:
            seen.add(element.objgen)
        if isinstance(element.get("/ID"), pikepdf.String):
            element.ID = pikepdf.String(name(str(element.ID)))
        headers = element.get("/A")
        for attributes in (headers if isinstance(headers, pikepdf.Array) else [headers]):
            if isinstance(attributes, pikepdf.Dictionary) and attributes.is_indirect:
                if attributes.objgen in seen:
                    continue
                seen.add(attributes.objgen)
            if isinstance(attributes, pikepdf.Dictionary) and isinstance(attributes.get("/Headers"), pikepdf.Array):
                attributes.Headers = pikepdf.Array([pikepdf.String(name(str(item))) for item in attributes.Headers])
        kids = element.get("/K")
        pending += reversed(list(kids)) if isinstance(kids, pikepdf.Array) else [kids]


def _parent_tree(tree: Any) -> dict[int, Any]:
    parent = tree.get("/ParentTree")
    if parent is None:
        return {}
    return {int(key): value for key, value in pikepdf.NumberTree(parent).items()}


def _copied(out: pikepdf.Pdf, value: Any) -> Any:
    """A part's object brought into the stitched PDF (direct arrays and dictionaries copied item by item; qpdf
    copies each indirect object once, so copies of the same object are the same object)."""
    if isinstance(value, pikepdf.Object) and value.is_indirect:
        return out.copy_foreign(value)
    if isinstance(value, pikepdf.Array):
        return pikepdf.Array([_copied(out, item) for item in value])
    if isinstance(value, pikepdf.Dictionary):
        return pikepdf.Dictionary({key: _copied(out, item) for key, item in value.items()})
    return value


# --- one font instead of one per part -------------------------------------------------------------------------


def share_fonts(out: pikepdf.Pdf) -> None:
    """Merge the parts' subsets of each font into one embedded font that every page uses.

    WeasyPrint subsets each part's fonts to the glyphs it uses, keeping glyph ids (HarfBuzz's retain-gids) and
    naming a subset after its source font, so each part's subset of one font has the same name and the same ids:
    the merged font holds every part's glyphs at their ids, and the widths and the text mapping (ToUnicode) are the
    union of the parts'. A font only one part uses is made again the same way, so that its program is the one a
    cut sharing it among parts would give. Fonts of another kind (not TrueType-based CID fonts with identity glyph
    mapping) stay as they are.
    """
    dictionaries = _font_dictionaries(out)
    groups: dict[str, list[Any]] = {}
    seen: set[tuple[int, int]] = set()
    for font in (font for fonts in dictionaries for font in fonts.values()):
        if font.objgen not in seen and _shareable(font):
            seen.add(font.objgen)
            groups.setdefault(str(font.BaseFont), []).append(font)
    replacements: dict[tuple[int, int], Any] = {}
    for fonts in groups.values():  # a font of one part too: its program is the same bytes however the parts fell
        merged = _merged_font(out, fonts)
        if merged is not None:
            replacements.update({font.objgen: merged for font in fonts})
    for fonts in dictionaries:
        for name, font in list(fonts.items()):
            if font.objgen in replacements:
                fonts[name] = replacements[font.objgen]


def _font_dictionaries(out: pikepdf.Pdf) -> list[Any]:
    """Every font resource dictionary of the pages and of the forms they draw (the furniture laid over a part's
    pages), each resource dictionary and form visited once (a part's pages share their resources, which name every
    page's furniture form)."""
    found: list[Any] = []
    seen: set[tuple[int, int]] = set()

    def first_time(value: Any) -> bool:
        if not value.is_indirect:
            return True
        if value.objgen in seen:
            return False
        seen.add(value.objgen)
        return True

    def add(resources: Any) -> None:
        fonts = resources.get("/Font") if isinstance(resources, pikepdf.Dictionary) else None
        if isinstance(fonts, pikepdf.Dictionary) and first_time(fonts):
            found.append(fonts)

    for page in out.pages:
        resources = page.obj.get("/Resources")
        if not isinstance(resources, pikepdf.Dictionary) or not first_time(resources):
            continue
        add(resources)
        drawn = resources.get("/XObject")
        for form in drawn.values() if isinstance(drawn, pikepdf.Dictionary) else ():
            if isinstance(form, pikepdf.Stream) and form.get("/Subtype") == "/Form" and first_time(form):
                add(form.get("/Resources"))
    return found


def _shareable(font: Any) -> bool:
    if font.get("/Subtype") != "/Type0" or "/DescendantFonts" not in font or "/ToUnicode" not in font:
        return False
    cid = font.DescendantFonts[0]
    return (cid.get("/Subtype") == "/CIDFontType2" and cid.get("/CIDToGIDMap") == "/Identity"
            and "/FontFile2" in cid.get("/FontDescriptor", {}))


def _merged_font(out: pikepdf.Pdf, fonts: list[Any]) -> Any:
    """One Type0 font holding the glyphs, widths and text mapping of all `fonts` (subsets of the same font).

    The subsets keep the whole font's bounding box and maxima (HarfBuzz leaves `head` and `maxp` as they were, bar
    the glyph count), which hold for any union of its glyphs, and each glyph keeps its own box: nothing is measured
    again, and a glyph is decoded only to be moved into the merged font."""
    programs = [font.DescendantFonts[0].FontDescriptor.FontFile2.read_bytes() for font in fonts]
    widths: dict[int, Any] = {}
    mapping: dict[str, str] = {}
    for font in fonts:
        widths.update(_widths(font.DescendantFonts[0].get("/W", [])))
        mapping.update(_unicode_map(font.ToUnicode.read_bytes()))
    program = _merged_program(programs, _union_key(fonts[0], programs, widths, mapping))
    if program is None:
        return None
    first = fonts[0]
    descendant = first.DescendantFonts[0]
    descriptor = pikepdf.Dictionary({key: value for key, value in descendant.FontDescriptor.items()})
    descriptor.FontFile2 = out.make_stream(program)
    if "/CIDSet" in descriptor:
        last = max(widths, default=0)
        bits = bytearray(last // 8 + 1)
        for cid in widths:
            bits[cid // 8] |= 0x80 >> (cid % 8)
        descriptor.CIDSet = out.make_stream(bytes(bits))
    cid_font = pikepdf.Dictionary({key: value for key, value in descendant.items()})
    cid_font.FontDescriptor = out.make_indirect(descriptor)
    cid_font.W = pikepdf.Array([item for cid in sorted(widths) for item in (cid, pikepdf.Array([widths[cid]]))])
    merged = pikepdf.Dictionary({key: value for key, value in first.items()})
    merged.DescendantFonts = pikepdf.Array([out.make_indirect(cid_font)])
    merged.ToUnicode = out.make_stream(_cmap(mapping))
    return out.make_indirect(merged)


def _union_key(font: Any, programs: list[bytes], widths: dict[int, Any], mapping: dict[str, str]) -> str | None:
    """What the merged program depends on besides the subsets' bytes: the font (its name, its descriptor, and the
    `name` table's checksum and `head` version of every subset), the glyph ids the subsets draw (those the PDF
    gives widths for: HarfBuzz adds their components) and the characters they map. The merged program is a
    function of these (`_merged_program`), so a rebuild whose new subsets (an article laid out alone, a run split
    anew) hold no glyph and no character the build before held finds it in the cache though their bytes are new.
    None when a program's table directory cannot be read."""
    identity: set[bytes] = set()
    for program in programs:
        tables = _table_directory(program)
        if tables is None or "name" not in tables or "head" not in tables:
            return None
        name_checksum = tables["name"][0]
        head_offset = tables["head"][1]
        identity.add(name_checksum + program[head_offset:head_offset + 8] + program[head_offset + 18:head_offset + 20])
    descriptor = font.DescendantFonts[0].FontDescriptor
    return cache.fingerprint("merged-font-union", cache.code_version(),
                             *cache.installed(("fonttools", "weasyprint")), str(font.BaseFont),
                             repr(sorted((key, repr(value)) for key, value in descriptor.items() if key != "/FontFile2"
                                         and key != "/CIDSet")),
                             *sorted(identity), ",".join(map(str, sorted(widths))),
                             ",".join(f"{code}:{text}" for code, text in sorted(mapping.items())))


def _table_directory(program: bytes) -> dict[str, tuple[bytes, int]] | None:
    """A TrueType program's tables: each tag's checksum (as bytes) and offset."""
    if len(program) < 12:
        return None
    count = int.from_bytes(program[4:6], "big")
    if len(program) < 12 + 16 * count:
        return None
    tables = {}
    for index in range(count):
        record = program[12 + 16 * index:28 + 16 * index]
        tables[record[:4].decode("latin-1").strip()] = (record[4:8], int.from_bytes(record[8:12], "big"))
    return tables


def _merged_program(programs: list[bytes], union: str | None = None) -> bytes | None:
    """The font program holding every glyph of these subsets of one TrueType font, at their ids (None when one is
    not TrueType-outlined). Kept in the cache by the subsets' bytes: a rebuild after an edit that used no new glyph
    merges nothing (fontTools takes a quarter of a second for the brief's five faces).

    The program depends on the union of the subsets' glyphs, not on how they were shared out: whatever the parts, a
    glyph is taken as its subset has it (its bytes, not decoded), its metrics are the subsets' (a glyph a subset
    lacks is empty there, without width), and what HarfBuzz computes for a subset from its characters is computed
    again for the union (`cmap`, the character ranges in `OS/2`, and the maxima of `hhea` and `maxp`); tables that
    would be the largest subset's alone (`GDEF`, `GSUB`, `GPOS`, `MATH`, `kern`..., see `_PROGRAM_TABLES`), which a
    PDF's glyph ids never consult, are left out, and `post` keeps no glyph names; and the tables are
    written in the order OpenType recommends, not the largest subset's. So a brief's PDF is the same bytes however
    its pages were laid out together (`_canonical_resources`), and a merged font found in the cache by its union
    (`_union_key`) is the one these subsets would make."""
    key = cache.fingerprint("merged-font", cache.code_version(), *cache.installed(("fonttools",)), *programs) \
        if cache.root() is not None else None  # fontTools itself is imported only to merge
    found = cache.get("documents", key) if key else None
    if found is None and key and union:
        found = cache.get("documents", union)
        if found is not None:
            cache.put("documents", key, found)
    if found is not None:
        return found
    from fontTools.ttLib import TTFont

    subsets = [TTFont(io.BytesIO(program), recalcTimestamp=False, recalcBBoxes=False)  # the subsets' own date
               for program in programs]
    if any("glyf" not in subset for subset in subsets):
        return None
    base = max(subsets, key=lambda subset: len(subset.getGlyphOrder()))
    order = base.getGlyphOrder()
    glyf = base["glyf"]
    metrics: dict[str, tuple[int, int]] = {}
    characters: dict[tuple[int, int], dict[int, str]] = {}
    for subset in subsets:
        their_order, theirs, their_metrics = subset.getGlyphOrder(), subset["glyf"], subset["hmtx"].metrics
        for gid, name in enumerate(their_order):
            ours = order[gid]
            metrics[ours] = max(metrics.get(ours, (0, 0)), tuple(their_metrics[name]))
            if subset is not base and _drawn(theirs, name) and not _drawn(glyf, ours):
                glyf.glyphs[ours] = theirs.glyphs[name]  # as the subset has it: component ids are kept ids
        for table in subset["cmap"].tables:
            characters.setdefault((table.platformID, table.platEncID), {}).update(
                (code, order[subset.getGlyphID(name)]) for code, name in table.cmap.items())
    base["hmtx"].metrics = {name: metrics.get(name, (0, 0)) for name in order}
    _union_cmap(base, characters)
    for tag in [tag for tag in base.keys() if tag not in _PROGRAM_TABLES and tag != "GlyphOrder"]:  # noqa: SIM118
        del base[tag]
    if "post" in base and base["post"].formatType != 3.0:  # the glyph names of the base subset's glyphs alone
        base["post"].formatType = 3.0
    for tag, field_names, pick in (("hhea", ("advanceWidthMax", "xMaxExtent"), max),
                                   ("hhea", ("minLeftSideBearing", "minRightSideBearing"), min),
                                   ("head", ("xMax", "yMax"), max), ("head", ("xMin", "yMin"), min),
                                   ("maxp", _MAXP_MAXIMA, max), ("OS/2", ("usMaxContext",), max)):
        for name in field_names:
            values = [getattr(subset[tag], name) for subset in subsets if hasattr(subset[tag], name)]
            if values:
                setattr(base[tag], name, pick(values))
    if "OS/2" in base:
        os2, codes = base["OS/2"], [code for table in characters.values() for code in table]
        os2.usFirstCharIndex, os2.usLastCharIndex = min(min(codes, default=0), 0xFFFF), min(max(codes, default=0),
                                                                                           0xFFFF)
        os2.recalcUnicodeRanges(base)
        os2.recalcAvgCharWidth(base)
    data = io.BytesIO()
    # tables in the order OpenType recommends: HarfBuzz writes a subset's smallest first, so the order of the
    # largest subset's (kept with reorderTables=False) changes with the glyphs it holds
    base.save(data, reorderTables=True)
    if key:
        cache.put("documents", key, data.getvalue())
        if union:
            cache.put("documents", union, data.getvalue())
    return data.getvalue()


_PROGRAM_TABLES = frozenset({"head", "hhea", "maxp", "OS/2", "hmtx", "cmap", "loca", "glyf", "name", "post", "gasp",
                             "cvt ", "fpgm", "prep"})
"""The tables a merged program keeps: those a PDF's TrueType font needs (ISO 32000-1, 9.9: `head`, `hhea`, `loca`,
`maxp`, `cvt `, `prep`, `glyf`, `hmtx`, `fpgm`) and `cmap`, `OS/2`, `name`, `post`, `gasp`, each either the same in
every subset of a font or made again for the union. Any other (the layout tables, `MATH`, `kern`, device metrics)
would be the base subset's alone, describing its glyphs only: its bytes would depend on the cut, and a PDF, which
places every glyph by id, never reads it."""
_MAXP_MAXIMA = ("maxPoints", "maxContours", "maxCompositePoints", "maxCompositeContours", "maxZones",
                "maxTwilightPoints", "maxStorage", "maxFunctionDefs", "maxInstructionDefs", "maxStackElements",
                "maxSizeOfInstructions", "maxComponentElements", "maxComponentDepth")


def _union_cmap(font: Any, characters: dict[tuple[int, int], dict[int, str]]) -> None:
    """Give `font` a `cmap` of every character of its subsets, one subtable per platform and encoding they had:
    format 4 for the basic plane, 12 where a character lies beyond it."""
    from fontTools.ttLib import newTable
    from fontTools.ttLib.tables._c_m_a_p import cmap_classes

    table = newTable("cmap")
    table.tableVersion, table.tables = 0, []
    for (platform, encoding), mapping in sorted(characters.items()):
        kind = 12 if max(mapping, default=0) > 0xFFFF else 4
        subtable = cmap_classes[kind](kind)
        subtable.platformID, subtable.platEncID, subtable.language = platform, encoding, 0
        subtable.cmap = dict(sorted(mapping.items()))
        table.tables.append(subtable)
    font["cmap"] = table


def _drawn(glyf: Any, name: str) -> bool:
    """Whether a glyph has contours, read from its raw data when fontTools has not decoded it (a subset keeping
    every glyph id holds thousands of empty glyphs: decoding each cost most of the stitching)."""
    glyph = glyf.glyphs[name]
    data = glyph.__dict__.get("data")
    if data is not None:
        return len(data) >= 2 and int.from_bytes(data[:2], "big", signed=True) != 0
    return bool(glyph.numberOfContours != 0)


def _widths(array: Any) -> dict[int, Any]:
    """A CID font's /W array as {cid: width}."""
    items = list(array)
    widths: dict[int, Any] = {}
    index = 0
    while index < len(items):
        first = int(items[index])
        if isinstance(items[index + 1], pikepdf.Array):
            for offset, width in enumerate(items[index + 1]):
                widths[first + offset] = width
            index += 2
        else:
            for cid in range(first, int(items[index + 1]) + 1):
                widths[cid] = items[index + 2]
            index += 3
    return widths


_BFCHAR = re.compile(rb"<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>")


def _unicode_map(cmap: bytes) -> dict[str, str]:
    """The character-to-text entries (bfchar) of a ToUnicode CMap, as hex strings."""
    found: dict[str, str] = {}
    for block in re.findall(rb"beginbfchar(.*?)endbfchar", cmap, re.S):
        for code, text in _BFCHAR.findall(block):
            found[code.decode().lower()] = text.decode().lower()
    return found


def _cmap(mapping: dict[str, str]) -> bytes:
    """A ToUnicode CMap as WeasyPrint writes one, with the entries given (at most 100 per block)."""
    lines = ["/CIDInit /ProcSet findresource begin", "12 dict begin", "begincmap", "/CIDSystemInfo",
             "<< /Registry (Adobe)", "/Ordering (UCS)", "/Supplement 0", ">> def", "/CMapName /Adobe-Identity-UCS def",
             "/CMapType 2 def", "1 begincodespacerange", "<0000> <ffff>", "endcodespacerange"]
    codes = sorted(mapping, key=lambda code: int(code, 16))
    for start in range(0, len(codes), 100):
        block = codes[start:start + 100]
        lines.append(f"{len(block)} beginbfchar")
        lines += [f"<{code}> <{mapping[code]}>" for code in block]
        lines.append("endbfchar")
    lines += ["endcmap", "CMapName currentdict /CMap defineresource pop", "end", "end"]
    return "\n".join(lines).encode("ascii")


def _url2pathname(path: str) -> str:
    """A file: URL's path as a local path (urllib.request, imported when a part names a file: a build that
    names none saves its import, a hundredth of a second)."""
    import urllib.request

    return urllib.request.url2pathname(path)
