"""The DOCX package around the body: core properties, the custom XML part with the model, paragraph ids, the
comments' threads, saving with fixed ZIP times, and LibreOffice's layout for a packet's page numbers."""

from __future__ import annotations

import datetime as dt
import io
import shutil
import subprocess
import tempfile
import zipfile
from collections.abc import Sequence
from pathlib import Path

from docx.document import Document
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.opc.packuri import PackURI
from docx.opc.pkgwriter import PackageWriter
from docx.oxml.ns import qn
from docx.oxml.xmlchemy import BaseOxmlElement
from lxml import etree  # type: ignore[import-untyped, unused-ignore]

from publish import model
from publish.backends.docx.oxml import MC_NS, W14_NS, W15_NS, W_DEL, W_HYPERLINK, W_INS, W_P, W_PPR, W_R, W_RPR
from publish.build import reproducible
from publish.readers.ooxml import MODEL_NAMESPACE, paragraph_text

CORE_PROPERTY_LIMIT = 255  # python-docx refuses longer core properties
COMMENTS_EXTENDED_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.commentsExtended+xml"
COMMENTS_EXTENDED_REL = "http://schemas.microsoft.com/office/2011/relationships/commentsExtended"
LAYOUT_TIMEOUT = 180
"""Seconds LibreOffice may take to lay a packet out (about 4 s for the morning brief)."""
PDF_EXPORT = 'pdf:writer_pdf_Export:{"ExportBookmarksToPDFDestination":{"type":"boolean","value":"true"}}'
"""LibreOffice's PDF export with every Word bookmark as a named destination (the page each one is on)."""


def saved(document: Document, when: dt.datetime) -> bytes:
    """The document as a DOCX file in one pass, every ZIP entry dated `when` (so the same article gives the same
    bytes): python-docx's own package writer, through a ZIP writer of ours that fixes each entry's time and mode."""
    opc = document.part.package
    assert opc is not None
    out = io.BytesIO()
    if not all(hasattr(PackageWriter, step) for step in _WRITER_STEPS):  # another python-docx: save, then re-date
        document.save(out)
        return _with_fixed_times(out.getvalue(), when)
    for part in opc.parts:
        part.before_marshal()
    with _FixedTimeZip(out, reproducible.zip_date_time(when)) as physical:
        write_types, write_package_rels, write_parts = (getattr(PackageWriter, step) for step in _WRITER_STEPS)
        write_types(physical, opc.parts)
        write_package_rels(physical, opc.rels)
        write_parts(physical, opc.parts)
    return out.getvalue()


_WRITER_STEPS = ("_write_content_types_stream", "_write_pkg_rels", "_write_parts")
"""python-docx's `PackageWriter.write` in its three steps (it has no way to choose the ZIP entries' times)."""


def _with_fixed_times(data: bytes, when: dt.datetime) -> bytes:
    """The same package with every ZIP entry dated `when`."""
    stamp = reproducible.zip_date_time(when)
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=stamp)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o644 << 16
            target.writestr(entry, source.read(info))
    return out.getvalue()


class _FixedTimeZip:
    """python-docx's physical package writer interface (`write(pack_uri, blob)`) over a ZIP file whose entries all
    carry one date and the mode 0644."""

    def __init__(self, out: io.BytesIO, stamp: tuple[int, int, int, int, int, int]) -> None:
        self._zip = zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED)
        self._stamp = stamp

    def __enter__(self) -> _FixedTimeZip:
        return self

    def __exit__(self, *exc: object) -> None:
        self._zip.close()

    def write(self, pack_uri: PackURI, blob: bytes) -> None:
        """Store one part (or relationships item) under its member name."""
        entry = zipfile.ZipInfo(pack_uri.membername, date_time=self._stamp)
        entry.compress_type = zipfile.ZIP_DEFLATED
        entry.external_attr = 0o644 << 16
        self._zip.writestr(entry, blob)


def layout_program() -> str | None:
    """LibreOffice, where installed: it lays a packet out so its contents can carry page numbers."""
    return shutil.which("soffice") or shutil.which("libreoffice")


def laid_out_pages(program: str, data: bytes, targets: Sequence[str]) -> dict[str, int] | None:
    """The page (counted from 1, as the folio's PAGE field counts) on which LibreOffice lays out each bookmark in
    `targets`; None when it cannot (it fails, hangs, or a bookmark is not in its PDF)."""
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    with tempfile.TemporaryDirectory(prefix="publish-contents-") as tmp:
        source = Path(tmp, "packet.docx")
        source.write_bytes(data)
        try:
            subprocess.run([program, f"-env:UserInstallation={Path(tmp, 'profile').as_uri()}", "--headless",
                            "--norestore", "--nolockcheck", "--infilter=MS Word 2007 XML", "--convert-to",
                            PDF_EXPORT, "--outdir", tmp, str(source)], capture_output=True, timeout=LAYOUT_TIMEOUT,
                           check=False, stdin=subprocess.DEVNULL, cwd=tmp)
            reader = PdfReader(Path(tmp, "packet.pdf"))
            found = {str(name).lstrip("/"): page + 1 for name, destination in reader.named_destinations.items()
                     if (page := reader.get_destination_page_number(destination)) is not None}
        except (OSError, subprocess.TimeoutExpired, PyPdfError, ValueError):
            return None
    if not all(target in found for target in targets):
        return None
    return {target: found[target] for target in targets}


def document_dates(meta: model.Meta) -> tuple[dt.datetime, dt.datetime]:
    """Created and modified, in UTC without a zone (as python-docx writes them): from the article when it has
    dates, else from SOURCE_DATE_EPOCH, else now."""
    created = reproducible.moment(meta.published or meta.updated)
    modified = reproducible.moment(meta.updated or meta.published)
    return created.replace(tzinfo=None), modified.replace(tzinfo=None)


def set_properties(document: Document, meta: model.Meta, when: tuple[dt.datetime, dt.datetime]) -> None:
    """Core properties from the metadata, replacing every value python-docx's template carries."""
    props = document.core_properties
    props.title = limited(meta.headline)
    props.author = limited("; ".join(meta.authors))
    props.last_modified_by = limited("; ".join(meta.authors))
    props.language = meta.language
    props.keywords = limited(", ".join(meta.keywords))
    props.subject = limited(meta.dek)
    props.comments = limited(meta.summary)
    props.identifier = limited(meta.uid)
    props.category = limited(meta.source)
    props.revision = 1
    props.created, props.modified = when
    drop_thumbnail(document)


def set_collection_properties(document: Document, collection: model.Collection, created: dt.datetime) -> None:
    """Core properties of a packet: the collection's title, publisher, language and date, every article's
    keywords."""
    props = document.core_properties
    props.title = limited(collection.title)
    props.author = props.last_modified_by = limited(collection.publisher)
    props.language = collection.language
    props.keywords = limited(", ".join(dict.fromkeys(k for a in collection.articles for k in a.meta.keywords)))
    props.subject = limited(collection.subtitle)
    props.identifier = limited(collection.uid)
    props.category = limited(collection.publisher)
    props.comments = ""
    props.revision = 1
    props.created = props.modified = created
    drop_thumbnail(document)


# The custom XML part (namespace MODEL_NAMESPACE) carries the model a DOCX was made from and each paragraph's text
# as written: `publish review` compares an edited copy with it, and reading the file back restores what Word has no
# place for (exact dates, the URL, a code block's language).


_CHANGES = (W_INS, W_DEL)


def mark_changed_paragraphs(document: Document) -> None:
    """A paragraph whose whole text is one pending insertion or deletion gets its paragraph mark inserted or deleted
    too (w:pPr/w:rPr/w:ins|w:del), as Word records a paragraph added or removed: accepting or rejecting it in Word
    then leaves no empty paragraph behind."""
    for p in document.element.body.iter(W_P):
        changes = [child for child in p if child.tag in _CHANGES]
        if not changes or any(child.tag in (W_R, W_HYPERLINK) for child in p):
            continue
        kinds = {child.tag for child in changes}
        if len(kinds) != 1:
            continue
        first = changes[0]
        ppr = p.find(W_PPR)
        if ppr is None:
            ppr = etree.Element(W_PPR)
            p.insert(0, ppr)
        rpr = ppr.find(W_RPR)
        if rpr is None:
            rpr = etree.SubElement(ppr, W_RPR)
        mark = etree.SubElement(rpr, first.tag, {qn("w:id"): f"{first.get(qn('w:id'))}0",
                                                 qn("w:author"): first.get(qn("w:author"), "")})
        if first.get(qn("w:date")):
            mark.set(qn("w:date"), first.get(qn("w:date")))


def number_paragraphs(document: Document) -> None:
    """A stable w14:paraId on every body paragraph (1, 2, 3... in hexadecimal), as Word gives each paragraph: an
    edited copy keeps them, so `publish review` can tell which paragraph of the original an edit touched."""
    for number, p in enumerate(document.element.body.iter(W_P), 1):
        p.set(f"{{{W14_NS}}}paraId", f"{number:08X}")


def embed_model(document: Document, article: model.Article) -> None:
    """The article's JSON form in a custom XML part related to the main document (Word keeps it when saving)."""
    from docx.opc.part import Part

    from publish.model import jsonform

    root = etree.Element(f"{{{MODEL_NAMESPACE}}}article", nsmap={None: MODEL_NAMESPACE})
    root.set("version", str(jsonform.VERSION))
    root.text = jsonform.dumps(article)
    written = etree.SubElement(root, f"{{{MODEL_NAMESPACE}}}paragraphs")
    for p in document.element.body.iter(W_P):  # as rejected: a review copy's pending changes are not edits
        etree.SubElement(written, f"{{{MODEL_NAMESPACE}}}p").text = paragraph_text(p, "reject")
    blob = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
    package = document.part.package
    assert package is not None
    part = Part(package.next_partname("/customXml/item%d.xml"), "application/xml", blob, package)
    document.part.relate_to(part, RT.CUSTOM_XML)


def drop_thumbnail(document: Document) -> None:
    """Remove python-docx's template thumbnail, which shows another document."""
    package = document.part.package
    if package is not None:
        for r_id, rel in list(package.rels.items()):
            if rel.reltype == RT.THUMBNAIL:
                del package.rels[r_id]


def limited(text: str) -> str:
    """A core property within python-docx's 255-character limit (the body keeps the full text)."""
    return text if len(text) <= CORE_PROPERTY_LIMIT else text[: CORE_PROPERTY_LIMIT - 1] + "…"


def add_comments_extended(document: Document, threads: Sequence[tuple[BaseOxmlElement, int | None, bool]]) -> None:
    """commentsExtended.xml: each comment's paragraph id, its parent for a reply, and done for a resolved one;
    `threads` holds (w:comment element, parent comment's id or None, resolved) in the order they were added."""
    if not threads:
        return
    from docx.opc.packuri import PackURI
    from docx.opc.part import Part

    w15, w14 = W15_NS, W14_NS
    root = etree.Element(f"{{{w15}}}commentsEx", nsmap={"w15": w15, "mc": MC_NS})
    para_ids: dict[int, str] = {}
    for index, (element, parent_id, resolved) in enumerate(threads, 1):
        para_id = f"{0x10000000 + index:08X}"
        paragraphs = element.findall(W_P)
        for number, p in enumerate(paragraphs):  # the thread refers to the comment's last paragraph
            last = number == len(paragraphs) - 1
            p.set(f"{{{w14}}}paraId", para_id if last else f"{0x20000000 + index * 64 + number:08X}")
        para_ids[int(element.get(qn("w:id")))] = para_id
        entry = etree.SubElement(root, f"{{{w15}}}commentEx", {f"{{{w15}}}paraId": para_id,
                                                               f"{{{w15}}}done": "1" if resolved else "0"})
        if parent_id is not None:
            entry.set(f"{{{w15}}}paraIdParent", para_ids[parent_id])
    blob = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
    part = Part(PackURI("/word/commentsExtended.xml"), COMMENTS_EXTENDED_TYPE, blob, document.part.package)
    document.part.relate_to(part, COMMENTS_EXTENDED_REL)
