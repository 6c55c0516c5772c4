"""DOCX checks: the package opens, every part is well-formed XML with a content type, every relationship
resolves, python-docx reopens it, and LibreOffice (where installed) opens it as Word's format."""

from __future__ import annotations

import io
import posixpath
import shutil
import tempfile
import zipfile
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from lxml import etree

from publish.checks.validators import Finding, Inspection, open_package, run

CT_NS = "http://schemas.openxmlformats.org/package/2006/content-types"
REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
R_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
IMPLIED_PARTS = {
    "numbering": ("numPr", "numbering definitions (w:numPr)"),
    "styles": ("pStyle", "named paragraph styles (w:pStyle)"),
}
"""Parts the main document's content needs without naming a relationship id: what uses them, and how to say it.
Character and table styles (w:rStyle, w:tblStyle) need the styles part too."""
OFFICE_DOCUMENT = f"{R_NS}/officeDocument"
SAFE_LINK_SCHEMES = {"http", "https", "mailto"}
MAX_PART_BYTES = 256 * 1024 * 1024
PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=True)


def inspect(data: bytes) -> Inspection:
    """Check the package, its parts and relationships, and reopen it with python-docx."""
    found = Inspection()
    package = open_package(data, found)
    if package is None:
        return found
    with package:
        names = [info.filename for info in package.infolist() if not info.is_dir()]
        parts = _parts(package, names, found)
        if parts is None:
            return found
        types = _content_types(parts, names, found)
        relationships = _relationships(parts, names, found)
        _references(parts, relationships, found)
        if types is not None and "[Content_Types].xml" in parts:
            _main_document(relationships, names, found)
        _implied_parts(parts, relationships, found)
        found.facts["parts"] = len(names)
    _reopen(data, found)
    return found


def libreoffice(paths: list[Path]) -> dict[Path, list[Finding]]:
    """Open each DOCX in LibreOffice Writer as Word 2007+ (no format sniffing) and export a PDF; a file that
    does not open is an error. A note for every file when LibreOffice is not installed."""
    program = shutil.which("soffice") or shutil.which("libreoffice")
    if program is None:
        note = Finding("info", "libreoffice", "LibreOffice is not installed; the second-client check did not run "
                                              "(Debian: apt-get install libreoffice-writer-nogui)")
        return {path: [note] for path in paths}
    out: dict[Path, list[Finding]] = {}
    with tempfile.TemporaryDirectory(prefix="publish-lo-") as tmp:
        profile = Path(tmp, "profile").as_uri()  # a private profile: no clash with a running LibreOffice
        done = run([program, f"-env:UserInstallation={profile}", "--headless", "--norestore", "--nolockcheck",
                    "--infilter=MS Word 2007 XML", "--convert-to", "pdf", "--outdir", tmp,
                    *(str(path.resolve()) for path in paths)], "libreoffice", timeout=300, cwd=tmp)
        errors = [line.strip() for line in done.stderr.splitlines() if line.strip().startswith("Error")]
        for path in paths:
            pdf = Path(tmp, path.stem + ".pdf")
            if pdf.is_file() and pdf.stat().st_size > 0:
                out[path] = []
            else:
                reason = errors[0] if errors else f"exit status {done.returncode}, no PDF written"
                out[path] = [Finding("error", "libreoffice", f"LibreOffice cannot open it as a Word document: "
                                                             f"{reason}")]
    return out


def _parts(package: zipfile.ZipFile, names: list[str], found: Inspection) -> dict[str, Any] | None:
    """Every XML part parsed (None when the ZIP itself is broken)."""
    damaged = None
    try:
        damaged = package.testzip()
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        found.error("package", f"the ZIP package is damaged: {exc}")
        return None
    if damaged is not None:
        found.error("package", "a part's data does not match its checksum (damaged)", damaged)
        return None
    parts: dict[str, Any] = {}
    for name in names:
        if not (name.endswith(".xml") or name.endswith(".rels")):
            continue
        if package.getinfo(name).file_size > MAX_PART_BYTES:
            found.error("xml", f"part is larger than {MAX_PART_BYTES // 1024 // 1024} MiB", name)
            continue
        try:
            tree = etree.parse(io.BytesIO(package.read(name)), PARSER)
        except etree.XMLSyntaxError as exc:
            found.error("xml", f"not well-formed XML: {exc.msg}", f"{name}:{exc.lineno}")
            continue
        if tree.docinfo.doctype:
            found.error("xml", "declares a DOCTYPE, which Office Open XML forbids", name)
        parts[name] = tree.getroot()
    return parts


def _content_types(parts: dict[str, Any], names: list[str], found: Inspection) -> dict[str, str] | None:
    root = parts.get("[Content_Types].xml")
    if root is None:
        if "[Content_Types].xml" not in names:
            found.error("content-types", "the package has no [Content_Types].xml")
        return None
    defaults = {e.get("Extension", "").lower(): e.get("ContentType", "") for e in root.iter(f"{{{CT_NS}}}Default")}
    overrides = {e.get("PartName", "").lstrip("/"): e.get("ContentType", "") for e in root.iter(f"{{{CT_NS}}}Override")}
    for name in names:
        if name == "[Content_Types].xml":
            continue
        extension = posixpath.basename(name).rpartition(".")[2].lower() if "." in posixpath.basename(name) else ""
        if name not in overrides and extension not in defaults:
            found.error("content-types", "part has no content type", name)
    for name in overrides:
        if name not in names:
            found.error("content-types", f"a content type is declared for /{name}, which is not in the package")
    return overrides


def _relationships(parts: dict[str, Any], names: list[str], found: Inspection) -> dict[str, dict[str, Any]]:
    """For each part with relationships, its relationship elements by id; missing targets are errors."""
    out: dict[str, dict[str, Any]] = {}
    for rels_name, root in parts.items():
        if not rels_name.endswith(".rels"):
            continue
        folder, file_name = posixpath.split(rels_name)
        source = posixpath.join(posixpath.dirname(folder), file_name.removesuffix(".rels"))
        by_id: dict[str, Any] = {}
        for rel in root.iter(f"{{{REL_NS}}}Relationship"):
            rid, target = rel.get("Id", ""), rel.get("Target", "")
            if rid in by_id:
                found.error("relationships", f"relationship id {rid} is used twice", rels_name)
            by_id[rid] = rel
            if rel.get("TargetMode") == "External":
                scheme = urlsplit(target).scheme.lower()
                if rel.get("Type", "").endswith("/hyperlink") and scheme not in SAFE_LINK_SCHEMES and \
                        not target.startswith("#"):
                    found.warning("links", f"hyperlink {rid} points to {target!r}, a {scheme or 'local'} address "
                                           "a reader's machine would open", rels_name)
                continue
            resolved = _resolve(posixpath.dirname(source), target)
            if resolved not in names:
                found.error("relationships", f"{rid} ({rel.get('Type', '').rsplit('/', 1)[-1]}) points to "
                                             f"{resolved}, which is not in the package", rels_name)
        out[source] = by_id
    return out


def _references(parts: dict[str, Any], relationships: dict[str, dict[str, Any]], found: Inspection) -> None:
    """Every r:id, r:embed... used in a part names one of that part's relationships."""
    for name, root in parts.items():
        if name.endswith(".rels") or name == "[Content_Types].xml":
            continue
        known = relationships.get(name, {})
        missing = sorted({value for element in root.iter() for attr, value in element.attrib.items()
                          if attr.startswith(f"{{{R_NS}}}") and value and value not in known})
        for rid in missing:
            found.error("relationships", f"refers to relationship {rid}, which {name} does not have", name)


def _main_document(relationships: dict[str, dict[str, Any]], names: list[str], found: Inspection) -> None:
    package = relationships.get("", {})
    main = [rel for rel in package.values() if rel.get("Type") == OFFICE_DOCUMENT]
    if not main:
        found.error("package", "the package does not say which part is the document (no officeDocument "
                               "relationship in _rels/.rels)")


def _implied_parts(parts: dict[str, Any], relationships: dict[str, dict[str, Any]], found: Inspection) -> None:
    """Content that uses numbering or named styles needs the main document's relationship to that part: without
    it Word drops every list's numbering and every style (the words stay, the structure goes)."""
    package = relationships.get("", {})
    main = next((rel for rel in package.values() if rel.get("Type") == OFFICE_DOCUMENT), None)
    if main is None:
        return
    document = _resolve("", main.get("Target", ""))
    if document not in parts:
        return
    kinds = {rel.get("Type", "").rsplit("/", 1)[-1] for rel in relationships.get(document, {}).values()}
    content = [root for name, root in parts.items() if name.startswith(posixpath.dirname(document) + "/")
               and not name.endswith(".rels") and posixpath.basename(name) not in ("styles.xml", "numbering.xml")]
    for kind, (element, what) in IMPLIED_PARTS.items():
        tags = {f"{{{W_NS}}}{element}"} | ({f"{{{W_NS}}}rStyle", f"{{{W_NS}}}tblStyle"} if kind == "styles" else set())
        if kind not in kinds and any(True for root in content for _ in root.iter(*tags)):
            found.error("relationships", f"the document uses {what} but has no relationship to a {kind} part",
                        f"{posixpath.dirname(document)}/_rels/{posixpath.basename(document)}.rels")


def _resolve(folder: str, target: str) -> str:
    target = unquote(urlsplit(target).path)
    path = target.lstrip("/") if target.startswith("/") else posixpath.join(folder, target)
    return posixpath.normpath(path)


def _reopen(data: bytes, found: Inspection) -> None:
    import docx

    try:
        document = docx.Document(io.BytesIO(data))
        found.facts["paragraphs"] = len(document.paragraphs)
        found.facts["title"] = document.core_properties.title or ""
    except Exception as exc:  # python-docx raises many kinds for a package it cannot use
        found.error("python-docx", f"python-docx cannot open it: {str(exc).strip() or type(exc).__name__}")
        return
    if not found.facts["title"]:
        found.warning("metadata", "the document has no title in its core properties")
