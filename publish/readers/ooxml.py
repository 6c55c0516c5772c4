"""A Word package opened safely: refused when it is a legacy or encrypted file, not a ZIP, a ZIP bomb, macro-enabled,
or holds XML with a DOCTYPE; its parts parsed by lxml without entities, DTDs or the network."""

from __future__ import annotations

import io
import posixpath
import zipfile
from dataclasses import dataclass
from typing import Any

from lxml import etree  # type: ignore[import-untyped, unused-ignore]

from publish.errors import InputError

OLE2_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
"""The first bytes of a Compound File: a Word 97-2003 .doc, or an encrypted (password-protected) .docx."""
MAX_PART_BYTES = 64 * 1024 * 1024
"""The largest single part read (a document.xml of a 2,000-page book is about 20 MiB)."""
MAX_TOTAL_BYTES = 256 * 1024 * 1024
"""The most bytes read from one package, uncompressed, whatever its entries declare."""
MAX_RATIO = 200
"""The highest compression ratio accepted for an entry over 1 MiB: Word's XML compresses 5-20 times, a bomb 1,000."""
MAX_ENTRIES = 10_000
"""The most entries in a package (a long book with many images has a few hundred)."""
MACRO_CONTENT_TYPES = ("application/vnd.ms-word.document.macroEnabled.main+xml",
                       "application/vnd.ms-word.template.macroEnabledTemplate.main+xml")
OFFICE_DOCUMENT = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"
STRICT_OFFICE_DOCUMENT = "http://purl.oclc.org/ooxml/officeDocument/relationships/officeDocument"

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
W14 = "{http://schemas.microsoft.com/office/word/2010/wordml}"
W15 = "{http://schemas.microsoft.com/office/word/2012/wordml}"
MODEL_NAMESPACE = "urn:publish:article-model"
"""The namespace of the custom XML part in which publish's own DOCX files carry the model they were made from and
the text of each paragraph as written (for `publish review`)."""
STRICT_NAMESPACES = (
    (b"http://purl.oclc.org/ooxml/wordprocessingml/main", b"http://schemas.openxmlformats.org/wordprocessingml/2006/main"),
    (b"http://purl.oclc.org/ooxml/officeDocument/relationships\"",
     b"http://schemas.openxmlformats.org/officeDocument/2006/relationships\""),
    (b"http://purl.oclc.org/ooxml/drawingml/main", b"http://schemas.openxmlformats.org/drawingml/2006/main"),
    (b"http://purl.oclc.org/ooxml/drawingml/wordprocessingDrawing",
     b"http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing"),
    (b"http://purl.oclc.org/ooxml/drawingml/picture", b"http://schemas.openxmlformats.org/drawingml/2006/picture"),
)
"""Strict Open XML namespaces and their transitional equivalents (Word can save either; they mean the same)."""
_INSERTED = (f"{W}ins", f"{W}moveTo")
_DELETED = (f"{W}del", f"{W}moveFrom")

_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False,
                          huge_tree=False, remove_comments=True, remove_pis=True)


@dataclass(frozen=True, slots=True)
class Relationship:
    """One relationship of a part: its type (the last segment of the type URI) and target."""

    kind: str
    """The relationship type's last path segment: image, hyperlink, footnotes, comments..."""
    target: str
    """The part name inside the package (no leading slash), or the external URL."""
    external: bool
    """True when the target is outside the package (a hyperlink, a linked image)."""


class Package:
    """A Word package's parts, read on demand within the size limits; every problem names the file."""

    def __init__(self, data: bytes, name: str) -> None:
        self.name = name
        if data.startswith(OLE2_SIGNATURE):
            if "EncryptionInfo".encode("utf-16-le") in data:
                raise InputError("is an encrypted (password-protected) Word document; publish cannot open it: "
                                 "remove the password in Word (File › Info › Protect Document) and save again",
                                 path=name)
            raise InputError("is a Word 97-2003 document (.doc), which publish does not read: save it as .docx "
                             "(Word: File › Save As › Word Document; LibreOffice: soffice --convert-to docx)",
                             path=name)
        try:
            self._zip = zipfile.ZipFile(io.BytesIO(data))
            infos = self._zip.infolist()
        except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError):
            raise InputError("is not a Word document: a .docx is a ZIP package and this file is not one, or it is "
                             "truncated", path=name) from None
        if len(infos) > MAX_ENTRIES:
            raise InputError(f"holds {len(infos):,} ZIP entries; a Word document over {MAX_ENTRIES:,} is refused",
                             path=name)
        declared = 0
        self._infos: dict[str, zipfile.ZipInfo] = {}
        for info in infos:
            declared += info.file_size
            if info.file_size > MAX_PART_BYTES or declared > MAX_TOTAL_BYTES:
                raise InputError(f"looks like a ZIP bomb: its part {info.filename!r} unpacks to {info.file_size:,} "
                                 f"bytes ({declared:,} so far); a Word document's parts are refused over "
                                 f"{MAX_PART_BYTES // 1024 // 1024} MiB each or {MAX_TOTAL_BYTES // 1024 // 1024} MiB "
                                 "in all", path=name)
            if info.file_size > 1024 * 1024 and info.file_size > MAX_RATIO * max(info.compress_size, 1):
                raise InputError(f"looks like a ZIP bomb: its part {info.filename!r} unpacks to {info.file_size:,} "
                                 f"bytes, over {MAX_RATIO} times its packed size; refused", path=name)
            self._infos[info.filename.lstrip("/")] = info
        self._read_total = 0
        types = self.xml("[Content_Types].xml")
        if types is None:
            raise InputError("is a ZIP file but not a Word document (it has no [Content_Types].xml)", path=name)
        self.content_types = {el.get("PartName", "").lstrip("/"): el.get("ContentType", "")
                              for el in types if isinstance(el.tag, str) and el.tag.endswith("Override")}
        main = next((r.target for r in self.relationships("") if r.kind == "officeDocument"), None)
        if main is None or main not in self._infos:
            raise InputError("is a ZIP file but not a Word document (no main document part)", path=name)
        macros = any(n.lower().endswith("vbaproject.bin") for n in self._infos)
        if self.content_types.get(main) in MACRO_CONTENT_TYPES or macros:
            raise InputError("is a macro-enabled Word document (.docm); publish never runs or keeps macros: save it "
                             "as a .docx (Word: File › Save As › Word Document) and read that", path=name)
        self.main = main

    def has(self, part: str) -> bool:
        """Whether the package holds the part."""
        return part in self._infos

    def read(self, part: str) -> bytes:
        """A part's bytes, never more than the limits allow whatever the ZIP entry declares."""
        info = self._infos[part]
        budget = min(MAX_PART_BYTES, MAX_TOTAL_BYTES - self._read_total)
        try:
            with self._zip.open(info) as handle:
                data = handle.read(budget + 1)
        except (zipfile.BadZipFile, EOFError, OSError, ValueError, NotImplementedError) as exc:
            raise InputError(f"is damaged: its part {part!r} cannot be unpacked ({exc})", path=self.name) from None
        if len(data) > budget:
            raise InputError(f"looks like a ZIP bomb: its part {part!r} unpacks to more than it declares; refused",
                             path=self.name)
        self._read_total += len(data)
        return data

    def xml(self, part: str | None) -> Any:
        """A part parsed as XML (None when absent); a DOCTYPE or entity declaration is refused, never resolved."""
        if part is None or part not in self._infos:
            return None
        data = self.read(part)
        if b"<!DOCTYPE" in data or b"<!ENTITY" in data or "<!DOCTYPE".encode("utf-16-le") in data:
            raise InputError(f"its part {part!r} declares a DOCTYPE or entities, which Word never writes; refused "
                             "(entities are never expanded)", path=self.name)
        if b"purl.oclc.org/ooxml/" in data:  # Strict Open XML (ISO 29500 strict): the transitional names
            for strict, transitional in STRICT_NAMESPACES:
                data = data.replace(strict, transitional)
        try:
            root = etree.fromstring(data, _PARSER)
        except etree.XMLSyntaxError as exc:
            raise InputError(f"its part {part!r} is not well-formed XML ({exc.msg})", path=self.name) from None
        if root.getroottree().docinfo.doctype:
            raise InputError(f"its part {part!r} declares a DOCTYPE, which Word never writes; refused",
                             path=self.name)
        return root

    def relationships(self, part: str) -> list[Relationship]:
        """The relationships of `part` ("" for the package's own)."""
        return list(self.related(part).values())

    def related(self, part: str) -> dict[str, Relationship]:
        """The relationships of `part` by id."""
        folder, base = posixpath.split(part)
        rels = self.xml(posixpath.join(folder, "_rels", f"{base}.rels"))
        found: dict[str, Relationship] = {}
        if rels is None:
            return found
        for rel in rels:
            if not isinstance(rel.tag, str) or not rel.tag.endswith("Relationship"):
                continue
            target = rel.get("Target", "")
            external = rel.get("TargetMode") == "External"
            if not external:
                target = target.lstrip("/") if target.startswith("/") else posixpath.normpath(
                    posixpath.join(folder, target))
            found[rel.get("Id", "")] = Relationship(rel.get("Type", "").rsplit("/", 1)[-1], target, external)
        return found


def paragraph_text(p: Any, view: str) -> str:
    """A w:p's text with its tracked changes accepted ("accept") or rejected ("reject"); tabs and breaks as spaces."""
    hidden = _DELETED if view == "accept" else _INSERTED
    parts: list[str] = []
    for node in p.iter(f"{W}t", f"{W}delText", f"{W}tab", f"{W}br"):
        if any(ancestor.tag in hidden for ancestor in node.iterancestors()):
            continue
        if node.tag == f"{W}delText" and view == "accept":
            continue
        parts.append(node.text or "" if node.tag in (f"{W}t", f"{W}delText") else " ")
    return "".join(parts)


def part_related(package: Package, source: str, kind: str) -> str | None:
    """The part `source` relates to with a relationship of `kind` (footnotes, comments...), if the package has it."""
    return next((r.target for r in package.relationships(source) if r.kind == kind and not r.external
                 and package.has(r.target)), None)
