"""The parted PDF of a collection: its parts laid out in parallel by WeasyPrint, then stitched into one PDF.

One WeasyPrint layout is single-threaded (FACTS: layout 54%, writing 29% of a brief's PDF), so a collection's PDF is
cut where the single-pass layout breaks the page anyway: after the contents, and before every section (or, with
`--article-break`, every article). Each part is a small HTML document that keeps the collection's head and the
collection's element structure (the other parts are left as empty, undisplayed elements, so selectors such as
`.article + .article` still match) and is laid out in its own thread of a forked worker process:

1. **Layout.** A worker lays out a part's body; WeasyPrint then asks for its margin boxes, where publish's hook
   reports the part's page count and waits. The parent, once every part before it is counted, knows where the
   part starts; once all are counted, how many pages there are.
2. **Furniture.** The hook gives WeasyPrint the part's page numbers and the total, so "Page N of M", running
   heads and every margin box are WeasyPrint's own, as in a single pass, and the part is written.
3. **Front matter last.** The cover and contents are laid out once with placeholder page numbers (to learn their
   length) and again, with the articles' real pages, when the body parts are done: each contents entry's target
   is a stub on a page whose counter is set to the article's page, so the theme's own `target-counter()` prints
   it. The stub pages are dropped.
4. **Stitching** (pikepdf, on qpdf): the pages in order, named destinations and the links to them (contents entries
   reach articles in other parts), one outline nested as WeasyPrint nests it, the front part's document
   metadata, XMP, language, viewer preferences and output intents, and for tagged variants (PDF/UA, PDF/A-a) one
   structure tree: each part's tree under one document element, its parent tree renumbered, /StructParents per
   page, role maps merged. Each font's per-part subsets become one embedded font (`share_fonts`).

Named strings (`string-set`, the running heads) carry from part to part: each part reports the last values it
set, and the next part starts from them.

Used only when the result is the single pass's: the theme's pages must be alike on left and right (equal inner
and outer margins, furniture not placed "outside"), since a part cannot know on which side it starts until the
parts before it are laid out; and the styles must not count through the collection (CSS counters besides the
page's automatic one) or move running elements. Otherwise, for a single part, or when the contents reflows with
its real page numbers, the single pass runs.
"""

from __future__ import annotations

import contextlib
import copy
import io
import multiprocessing as mp
import os
import re
import threading
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from typing import Any

import lxml.html
import pikepdf
from lxml import etree

from publish import model, processes
from publish.backends import RenderContext
from publish.errors import PublishError, RenderError
from publish.theme import Theme

PLACEHOLDER_PAGE = 888
"""The page number the contents shows while the front matter is laid out only to learn its length."""
MAX_WORKERS = 8
"""More processes than this gain little: each part lays out the collection's styles again."""
PARTS_PER_WORKER = 6
"""Body parts per worker process: enough that a long part does not leave the other workers idle at the end."""
AUTO_ARTICLES = 24
"""`--pdf-parts auto` lays out in parts from this many articles; below, starting the workers and laying out the
theme's styles once per part cost more than they save."""
STUB_CLASS = "publish-part-stub"
LEAD_CLASS = "publish-part-lead"
HIDDEN = "display: none"


class _Fallback(Exception):
    """The parted layout cannot match the single pass here (a rare reflow of the contents): lay it out once."""


def usable(document: model.Document, context: RenderContext) -> bool:
    """Whether the parted path applies: a collection of more than one part, a theme whose pages are alike on both
    sides and that does not hyphenate, a second core and forking processes (not inside a daemonic process, which
    may not have children, nor a process running other threads)."""
    match document:
        case model.Article():
            return False
    if context.pdf_parts == "off":
        return False
    units = len(document.articles) if context.article_break else len(document.sections)
    if context.pdf_parts == "auto" and len(document.articles) < AUTO_ARTICLES:
        return False
    # a hyphenating theme's single pass lays the document out again to keep words whole across pages
    # (publish.pagination), which parts laid out on their own cannot yet reproduce: one pass for those
    return (units > 1 and side_independent(context.theme) and not context.theme.typography.hyphenate
            and _cores() > 1
            and "fork" in mp.get_all_start_methods() and not mp.current_process().daemon
            and threading.active_count() == 1)  # forking a threaded process (a server) can copy a held lock


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
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


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


def cut(html: str, by_article: bool, parts: int) -> Cut:
    """Parse the collection's HTML and cut it into at most `parts` body parts of similar length, each a run of
    sections, or of articles when every article starts a page."""
    tree = lxml.html.document_fromstring(html)
    for script in tree.xpath("/html/head/script"):  # metadata for search engines (the whole collection's JSON-LD)
        script.getparent().remove(script)
    main = tree.find("body/main")
    sections = [] if main is None else [child for child in main if isinstance(child.tag, str)]
    if len(sections) < 1 or any(s.tag != "section" or "section" not in s.get("class", "").split() for s in sections) \
            or main.getnext() is not None:
        raise _Fallback("a collection template whose main element is not a list of sections")
    units: list[list[Any]] = []
    first_unit: dict[Any, int] = {}
    for section in sections:
        articles = [child for child in section if child.tag == "article"]
        if not by_article or not articles:
            units.append([section])
            continue
        leading = [child for child in section[:section.index(articles[0])] if isinstance(child.tag, str)]
        first_unit[section] = len(units)
        for number, article in enumerate(articles):
            units.append((leading if number == 0 else []) + [article])
    group_of = _groups([sum(len(e.text_content()) + 500 for e in unit) for unit in units], parts)
    grouped: list[list[Any]] = [[] for _ in range(max(group_of, default=-1) + 1)]
    for unit, group in zip(units, group_of, strict=True):
        grouped[group].extend(unit)
    return Cut(tree, grouped, {section: group_of[unit] for section, unit in first_unit.items()})


def _groups(sizes: list[int], parts: int) -> list[int]:
    """Each unit's group: consecutive units, at most `parts` groups, of about equal total size."""
    total = sum(sizes) or 1
    groups, group, filled = [], 0, 0
    for size in sizes:
        if filled and filled + size / 2 > total * (group + 1) / parts and group + 1 < parts:
            group += 1
        groups.append(group)
        filled += size
    return groups


def part_html(piece: Cut, index: int) -> str:
    """Body part `index` alone: the cover, contents and other parts left as empty hidden elements, and a lead page
    first (dropped when stitched) so that the part's first page is not the document's `:first`."""
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
    try:
        return _serialise(piece.tree)
    finally:
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


def render(collection: model.Collection, html: str, context: RenderContext) -> bytes | None:
    """The collection's PDF (of its print-ready `html`) laid out in parts and stitched, or None where that would
    not match a single pass."""
    if not usable(collection, context) or _flows_across_parts(html):
        return None
    from publish.backends import pdf

    def render_part(part: str) -> bytes:
        fetcher = pdf.ContainedFetcher((context.resources.base_dir, *context.resources.roots, context.theme.folder),
                                       context.allow_remote)
        document = pdf.weasyprint.HTML(string=part, base_url=context.resources.base_dir.resolve().as_uri() + "/",
                                       url_fetcher=fetcher)
        return pdf._write(document, collection, collection.uid, context.pdf_variant)

    try:
        workers = min(_cores(), MAX_WORKERS)
        piece = cut(html, context.article_break, PARTS_PER_WORKER * workers)
        if len(piece.units) < 2:
            return None
        laid = lay_out(piece, render_part, workers)
        return stitch(laid)
    except _Fallback:
        return None


# --- laying the parts out in worker processes ---------------------------------------------------------------


@dataclass(slots=True)
class _Furniture:
    """What a part's margin boxes need from the parent: how far its page numbers are shifted, and the total."""

    ready: threading.Event = field(default_factory=threading.Event)
    shift: int = 0
    total: int = 0
    abandoned: bool = False
    strings: dict[str, str] = field(default_factory=dict)
    """The named strings (`string-set`) the parts before this one left, for running heads on its first pages."""
    seeded: bool = False


_local = threading.local()


def _margin_boxes_hook(original: Callable[..., Iterator[Any]]) -> Callable[..., Iterator[Any]]:
    """WeasyPrint's margin-box maker, run once the body is laid out: in a part's thread it first reports the page
    count and waits for the part's place in the whole document, then numbers the pages from there."""
    def margin_boxes(context: Any, page: Any, state: Any) -> Iterator[Any]:
        report: Callable[[Any], _Furniture] | None = getattr(_local, "report", None)
        if report is None:
            return original(context, page, state)
        _local.levels.extend(box.style["bookmark_level"] for box in page.descendants()
                             if box.bookmark_label and box.style["bookmark_level"] != "none")
        furniture = report(context)
        furniture.ready.wait()
        if furniture.abandoned:
            raise _Fallback("abandoned")
        if not furniture.seeded:  # on the lead page, which sets none: later pages fall back on these values
            furniture.seeded = True
            for name, value in furniture.strings.items():
                context.string_set[name].setdefault(1, [value])
        state = copy.deepcopy(state)
        counters = state[1]
        counters["page"] = [counters.get("page", [0])[-1] + furniture.shift]
        counters["pages"] = [furniture.total]
        return original(context, page, state)
    return margin_boxes


def _install_hook() -> None:
    from publish.backends import pdf
    layout = pdf.weasyprint.layout
    if not getattr(layout.make_margin_boxes, "publish_parts", False):
        hooked = _margin_boxes_hook(layout.make_margin_boxes)
        hooked.publish_parts = True  # type: ignore[attr-defined]
        layout.make_margin_boxes = hooked


def _worker(connection: Connection, render_part: Callable[[str], bytes], parent: int) -> None:
    """A worker process: lays out each part it is sent in its own thread; the thread waits in the margin-box hook
    until the parent sends that part's furniture, while the next part is laid out. It dies with its parent,
    even when the parent is killed outright."""
    processes.die_with_parent(parent)
    _install_hook()
    sending = threading.Lock()
    furniture: dict[int, _Furniture] = {}
    threads: list[threading.Thread] = []

    def send(message: tuple[Any, ...]) -> None:
        with sending, contextlib.suppress(OSError):  # the parent has stopped listening: it gave up or failed
            connection.send(message)

    def run(index: int, html: str) -> None:
        counted = False

        def report(context: Any) -> _Furniture:
            nonlocal counted
            if not counted:
                counted = True
                send(("counted", index, _anchors(context), _last_strings(context)))
            return furniture[index]

        _local.report = report
        _local.levels = []
        try:
            pdf = render_part(html)
            send(("done", index, pdf, _local.levels))
        except _Fallback:
            send(("abandoned", index))
        except PublishError as exc:
            send(("error", index, exc))
        except BaseException:  # a bug: its traceback crosses to the parent, which raises it there
            send(("failed", index, traceback.format_exc()))

    while True:
        message = connection.recv()
        if message[0] == "part":
            _, index, html = message
            furniture[index] = _Furniture()
            thread = threading.Thread(target=run, args=(index, html), daemon=True)
            threads.append(thread)
            thread.start()
        elif message[0] == "furniture":
            _, index, shift, total, strings = message
            chosen = furniture[index]
            chosen.shift, chosen.total, chosen.abandoned, chosen.strings = shift, total, shift is None, strings
            chosen.ready.set()
        else:  # stop: a part still waiting for its numbers is abandoned (the parent gave up on the parted layout)
            for waiting in furniture.values():
                if not waiting.ready.is_set():
                    waiting.abandoned = True
                    waiting.ready.set()
            break
    for thread in threads:
        thread.join()
    connection.close()


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
    worker: int = -1
    anchors: list[list[str]] | None = None
    """The ids first found on each page, once laid out."""
    strings: dict[str, str] = field(default_factory=dict)
    """The last value of each named string it sets."""
    pdf: bytes | None = None
    levels: list[int] = field(default_factory=list)
    """The level of each of its bookmarks, in order."""


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


class _Pool:
    """Forked worker processes, each talking to the parent over its own pipe (a part's two phases must reach the
    same process, which a ProcessPoolExecutor cannot promise)."""

    def __init__(self, size: int, render_part: Callable[[str], bytes]) -> None:
        context = mp.get_context("fork")
        self.connections: list[Connection] = []
        self.processes: list[Any] = []
        for _ in range(size):
            ours, theirs = context.Pipe()
            process = context.Process(target=_worker, args=(theirs, render_part, os.getpid()), daemon=True)
            process.start()
            theirs.close()
            self.connections.append(ours)
            self.processes.append(process)

    def send(self, worker: int, message: tuple[Any, ...]) -> None:
        self.connections[worker].send(message)

    def receive(self) -> Iterator[tuple[int, tuple[Any, ...]]]:
        """Messages as they arrive, with the worker each came from."""
        while True:
            for connection in wait(self.connections):
                assert isinstance(connection, Connection)
                try:
                    message = connection.recv()
                except EOFError:
                    raise RenderError("a PDF worker process ended unexpectedly") from None
                yield self.connections.index(connection), message

    def close(self) -> None:
        for connection in self.connections:
            with contextlib.suppress(OSError):
                connection.send(("stop",))
        for process in self.processes:
            process.join(timeout=5)
            if process.is_alive():
                process.kill()
                process.join()
        for connection in self.connections:
            connection.close()


def lay_out(piece: Cut, render_part: Callable[[str], bytes], workers: int = 2) -> Laid:
    """Every part laid out in the pool: the front matter first with placeholder numbers (only counted), the body
    parts; once all are counted, each body part is numbered and written, and the front matter laid out again with
    the contents' real page numbers."""
    parts = [_Part(front_html(piece, None))] + [_Part(part_html(piece, i)) for i in range(len(piece.units))]
    pool = _Pool(max(1, min(workers, len(parts))), render_part)
    try:
        return _Schedule(pool, piece, parts).run()
    finally:
        pool.close()


class _Schedule:
    """The parent's side: hands out parts one per idle worker, numbers them once all are counted."""

    def __init__(self, pool: _Pool, piece: Cut, parts: list[_Part]) -> None:
        self.pool, self.piece, self.parts = pool, piece, parts
        self.waiting = list(range(len(parts)))
        self.front_pages = 0
        self.total = 0
        self.front_stubs = 0

    def run(self) -> Laid:
        for worker in range(len(self.pool.connections)):
            self._give(worker)
        body = len(self.piece.units)
        for worker, message in self.pool.receive():
            kind, index = message[0], message[1]
            if kind == "counted":
                self._counted(worker, index, message[2], message[3])
            elif kind == "done":
                self.parts[index].pdf, self.parts[index].levels = message[2], message[3]
                if len(self.parts) == body + 2 and all(p.pdf is not None for p in self.parts[1:]):
                    front = self.parts[-1]
                    assert front.pdf is not None
                    return Laid(front.pdf, self.front_pages, tuple(p.pdf for p in self.parts[1:-1] if p.pdf),
                                (front.levels, *(p.levels for p in self.parts[1:-1])))
            elif kind == "abandoned":
                if index != 0:
                    raise _Fallback("a part was abandoned")
            elif kind == "error":
                raise message[2]
            else:
                raise RuntimeError(f"a PDF part failed in its worker:\n{message[2]}")
        raise AssertionError("the workers stopped before every part was written")

    def _give(self, worker: int) -> None:
        if self.waiting:
            index = self.waiting.pop(0)
            self.parts[index].worker = worker
            self.pool.send(worker, ("part", index, self.parts[index].html))

    def _counted(self, worker: int, index: int, anchors: list[list[str]], strings: dict[str, str]) -> None:
        parts = self.parts
        parts[index].anchors, parts[index].strings = anchors, strings
        body = len(self.piece.units)
        if index == 0:  # the placeholder front matter: only its length was wanted
            self.pool.send(worker, ("furniture", 0, None, 0, {}))
        elif index == body + 1:  # the real front matter: its length must not have changed
            if len(anchors) - self.front_stubs != self.front_pages:
                self.pool.send(worker, ("furniture", index, None, 0, {}))
                raise _Fallback("the contents changed length with its real page numbers")
            self.pool.send(worker, ("furniture", index, 0, self.total, {}))
            return
        self._give(worker)
        if self.waiting or any(p.anchors is None for p in parts) or len(parts) > body + 1:
            return
        placeholder = parts[0].anchors
        assert placeholder is not None
        self.front_pages = len(placeholder) - stub_pages(self.piece, None)
        start = self.front_pages + 1
        pages: dict[str, int] = {}
        starts = []
        for part in parts[1:]:
            assert part.anchors is not None
            for page, names in enumerate(part.anchors[1:]):
                for name in names:
                    pages.setdefault(name, start + page)
            starts.append(start)
            start += len(part.anchors) - 1
        self.total = start - 1
        carried = dict(parts[0].strings)  # the cover's and contents' strings carry into the first section
        for number, (part, first) in enumerate(zip(parts[1:], starts, strict=True), 1):
            self.pool.send(part.worker, ("furniture", number, first - 2, self.total, dict(carried)))
            carried.update(part.strings)
        front = _Part(front_html(self.piece, pages))
        self.front_stubs = stub_pages(self.piece, pages)
        parts.append(front)
        self.waiting.append(len(parts) - 1)
        self._give(worker)


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
    out = pikepdf.open(io.BytesIO(laid.front))
    sources = [pikepdf.open(io.BytesIO(data)) for data in laid.body]
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
    buffer = io.BytesIO()
    out.save(buffer, deterministic_id=True, compress_streams=True,
             object_stream_mode=pikepdf.ObjectStreamMode.generate if out.pdf_version >= "1.5"
             else pikepdf.ObjectStreamMode.disable)
    return buffer.getvalue()


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
    """A part's outline entries as marks on the whole document's pages, at their heading levels (as the part's
    worker found them; the part's own nesting when they do not line up)."""
    entries = list(_outline_entries(pdf))
    if len(levels) != len(entries):
        levels = [depth for depth, _, _ in entries]
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
    level."""
    if "/Outlines" in out.Root:
        del out.Root["/Outlines"]
    if not marks:
        return
    with out.open_outline() as outline:
        stack: list[tuple[int, list[pikepdf.OutlineItem]]] = [(0, outline.root)]
        for mark in marks:
            while stack[-1][0] >= mark.level:
                stack.pop()
            item = pikepdf.OutlineItem(mark.title, mark.page, "XYZ", left=mark.left, top=mark.top)
            stack[-1][1].append(item)
            stack.append((mark.level, item.children))


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
        source_document = _document_element(source_tree)
        for kid in source_document.get("/K", []):
            pages = _pages_in(kid, set())
            if pages and not pages & kept:
                continue
            copied = out.copy_foreign(kid)
            copied.P = document
            kids.append(copied)
        roles.update(dict(source_tree.get("/RoleMap", {}).items()) if "/RoleMap" in source_tree else {})
    document.K = pikepdf.Array(kids)
    tree.ParentTree = out.make_indirect(pikepdf.Dictionary(
        Nums=pikepdf.Array([item for key in sorted(merged) for item in (key, merged[key])])))
    tree.ParentTreeNextKey = next_key
    if roles:
        tree.RoleMap = pikepdf.Dictionary(roles)


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
    union of the parts'. Fonts of another kind (not TrueType-based CID fonts with identity glyph mapping) stay as
    they are.
    """
    groups: dict[str, list[Any]] = {}
    seen: set[tuple[int, int]] = set()
    for page in out.pages:
        for font in _page_fonts(page).values():
            if font.objgen not in seen and _shareable(font):
                seen.add(font.objgen)
                groups.setdefault(str(font.BaseFont), []).append(font)
    replacements: dict[tuple[int, int], Any] = {}
    for fonts in groups.values():
        if len(fonts) > 1:
            merged = _merged_font(out, fonts)
            if merged is not None:
                replacements.update({font.objgen: merged for font in fonts})
    if not replacements:
        return
    for page in out.pages:
        fonts = _page_fonts(page)
        for name, font in list(fonts.items()):
            if font.objgen in replacements:
                fonts[name] = replacements[font.objgen]


def _page_fonts(page: pikepdf.Page) -> Any:
    """The page's font resources (an empty dictionary when it has none)."""
    resources = page.obj.get("/Resources")
    fonts = resources.get("/Font") if isinstance(resources, pikepdf.Dictionary) else None
    return fonts if isinstance(fonts, pikepdf.Dictionary) else pikepdf.Dictionary()


def _shareable(font: Any) -> bool:
    if font.get("/Subtype") != "/Type0" or "/DescendantFonts" not in font or "/ToUnicode" not in font:
        return False
    cid = font.DescendantFonts[0]
    return (cid.get("/Subtype") == "/CIDFontType2" and cid.get("/CIDToGIDMap") == "/Identity"
            and "/FontFile2" in cid.get("/FontDescriptor", {}))


def _merged_font(out: pikepdf.Pdf, fonts: list[Any]) -> Any:
    """One Type0 font holding the glyphs, widths and text mapping of all `fonts` (subsets of the same font)."""
    from fontTools.ttLib import TTFont

    subsets = [TTFont(io.BytesIO(font.DescendantFonts[0].FontDescriptor.FontFile2.read_bytes()),
                      recalcTimestamp=False) for font in fonts]  # the subsets' own date: reproducible
    if any("glyf" not in subset for subset in subsets):
        return None
    base = max(subsets, key=lambda subset: len(subset.getGlyphOrder()))
    order = base.getGlyphOrder()
    glyf, hmtx = base["glyf"], base["hmtx"]
    for subset in subsets:
        if subset is base:
            continue
        their_order = subset.getGlyphOrder()
        for gid, name in enumerate(their_order):
            glyph = subset["glyf"][name]
            if glyph.numberOfContours == 0 or glyf[order[gid]].numberOfContours != 0:
                continue  # nothing to add: their glyph is empty, or ours is drawn already
            if glyph.isComposite():
                for component in glyph.components:
                    component.glyphName = order[their_order.index(component.glyphName)]
            glyf[order[gid]] = glyph
            hmtx[order[gid]] = subset["hmtx"][name]
    data = io.BytesIO()
    base.save(data, reorderTables=False)
    first = fonts[0]
    descendant = first.DescendantFonts[0]
    descriptor = pikepdf.Dictionary({key: value for key, value in descendant.FontDescriptor.items()})
    descriptor.FontFile2 = out.make_stream(data.getvalue())
    widths: dict[int, Any] = {}
    mapping: dict[str, str] = {}
    for font in fonts:
        widths.update(_widths(font.DescendantFonts[0].get("/W", [])))
        mapping.update(_unicode_map(font.ToUnicode.read_bytes()))
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
