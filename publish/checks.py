"""Checks on written outputs: the text a reader gets from each format, and word parity against the model."""

from __future__ import annotations

import io
import posixpath
import unicodedata
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from lxml import etree
from lxml import html as lxml_html

from publish import model, text
from publish.errors import PublishError

XHTML_NS = "http://www.w3.org/1999/xhtml"
W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
SKIPPED_HTML = {"script", "style", "head", "title"}


@dataclass(frozen=True, slots=True)
class ParityGap:
    """Where an output stops following the model's words."""

    index: int
    """The position of the first model word not found in order."""
    word: str
    """That word."""
    context: str
    """The model's words around it, to find the passage."""

    def __str__(self) -> str:
        return f"word {self.index + 1} {self.word!r} is missing or out of order (in “{self.context}”)"


def words(texts: Iterable[str]) -> list[str]:
    """Whitespace-separated words, Unicode-normalised (NFC) so the same text compares equal in every format."""
    return [w for t in texts for w in unicodedata.normalize("NFC", t).split()]


def model_words(article: model.Article) -> list[str]:
    """The article's words in reading order."""
    return words(text.article_words(article))


def parity_gap(expected: Sequence[str], found: Sequence[str]) -> ParityGap | None:
    """None if every expected word appears in `found` in order (other words may come between), else the first gap."""
    position = 0
    for i, word in enumerate(expected):
        try:
            position = found.index(word, position) + 1
        except ValueError:
            context = " ".join(expected[max(0, i - 6): i + 7])
            return ParityGap(i, word, context)
    return None


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
    """The text of each page of a PDF, as a PDF text extractor (pypdf) reads it."""
    from pypdf import PdfReader

    return [page.extract_text() or "" for page in PdfReader(io.BytesIO(data)).pages]


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


def _flatten(node: etree._Element, parts: list[str]) -> None:
    tag = etree.QName(node).localname if isinstance(node.tag, str) else ""
    if tag and tag not in SKIPPED_HTML:
        block = tag in BLOCK_TAGS
        if block:
            parts.append("\n")
        parts.append(node.text or "")
        for child in node:
            _flatten(child, parts)
        if block:
            parts.append("\n")
    parts.append(node.tail or "")
