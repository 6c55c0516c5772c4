"""EPUB checks: epubcheck (every fatal error, error and warning), DAISY Ace (accessibility, where installed), and
the accessibility metadata EPUB Accessibility 1.1 asks for, verified against the content (images with alt text,
headings, a table of contents)."""

from __future__ import annotations

import json
import os
import posixpath
import shutil
import tempfile
import zipfile
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from lxml import etree

from publish.checks.accessibility import SCHEMA_PROPERTIES
from publish.checks.validators import JAVA_OPTIONS, Finding, Inspection, Severity, bundled_jar, java, open_package, run

OPF_NS = "http://www.idpf.org/2007/opf"
XHTML_NS = "http://www.w3.org/1999/xhtml"
EPUB_NS = "http://www.idpf.org/2007/ops"
SEVERITIES: dict[str, Severity] = {"FATAL": "error", "ERROR": "error", "WARNING": "warning"}
PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
ACE_IMPACTS: dict[str, Severity] = {"critical": "error", "serious": "error", "moderate": "warning",
                                    "minor": "warning"}
"""How an Ace (axe) violation's impact counts: serious and critical ones fail the check."""
ACE_TIMEOUT = 300
"""Seconds one EPUB may take in Ace (about 3 s for an article; Chromium loads each content document)."""
NPM_PREFIXES = ("/usr/local", "/usr", "~/.npm-global", "~/.local")
"""Where `npm install -g` puts packages when `ace` is not on PATH: Debian's and npm's own default prefixes."""
BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
"""The Chromium Ace's Puppeteer may drive when PUPPETEER_EXECUTABLE_PATH is not set (Debian's first)."""


def inspect(data: bytes) -> Inspection:
    """Read the package document and content documents; check the accessibility metadata against them."""
    found = Inspection()
    package = open_package(data, found)
    if package is None:
        return found
    with package:
        try:
            container = etree.fromstring(package.read("META-INF/container.xml"), PARSER)
            opf_path = container.find(".//{*}rootfile").get("full-path")
            opf = etree.fromstring(package.read(opf_path), PARSER)
        except (KeyError, AttributeError, etree.XMLSyntaxError, zipfile.BadZipFile) as exc:
            found.error("package", f"the package document cannot be read: {exc}")
            return found
        documents = _content_documents(package, opf, opf_path, found)
    _accessibility(opf, documents, found)
    return found


def epubcheck(path: Path) -> list[Finding]:
    """Run epubcheck on one EPUB: its fatal errors and errors as errors, its warnings as warnings."""
    jar = bundled_jar("epubcheck", "epubcheck", "epubcheck.jar", "epubcheck")
    command = java("epubcheck")
    with tempfile.TemporaryDirectory(prefix="publish-epubcheck-") as tmp:
        report_path = Path(tmp, "report.json")
        done = run([command, *JAVA_OPTIONS, "-jar", str(jar), str(path.resolve()), "--json", str(report_path)],
                   "epubcheck", timeout=300)
        if not report_path.is_file():
            detail = (done.stderr.strip() or done.stdout.strip()).splitlines()
            return [Finding("error", "epubcheck", f"epubcheck wrote no report (exit status {done.returncode}"
                                                  f"{': ' + detail[-1] if detail else ''})")]
        report: dict[str, Any] = json.loads(report_path.read_text(encoding="utf-8"))
    findings = []
    for message in report.get("messages", []):
        severity = SEVERITIES.get(message.get("severity", ""))
        if severity is None:
            continue
        locations = message.get("locations") or []
        where = ", ".join(f"{loc.get('path')}:{loc.get('line')}:{loc.get('column')}" for loc in locations[:3]
                          if loc.get("path"))
        findings.append(Finding(severity, "epubcheck", f"{message.get('ID')}: {message.get('message')}", where))
    return findings


def ace_command() -> list[str] | None:
    """How to start DAISY Ace (@daisy/ace-cli from npm): `ace` or `ace-cli` on PATH, else its script under a known
    npm prefix (NPM_CONFIG_PREFIX first) run by node; None when it is not installed."""
    for name in ("ace", "ace-cli"):
        found = shutil.which(name)
        if found:
            return [found]
    node = shutil.which("node") or shutil.which("nodejs")
    prefixes = [os.environ.get("NPM_CONFIG_PREFIX", ""), *NPM_PREFIXES]
    for prefix in filter(None, prefixes):
        script = Path(prefix).expanduser() / "lib" / "node_modules" / "@daisy" / "ace-cli" / "bin" / "ace.js"
        if node and script.is_file():
            return [node, str(script)]
    return None


def ace(path: Path) -> list[Finding]:
    """Run DAISY Ace on one EPUB: each violation of serious or critical impact an error, the others warnings;
    a note when Ace (or a Chromium for it) is not installed."""
    command = ace_command()
    if command is None:
        return [Finding("info", "ace", "DAISY Ace is not installed; the accessibility check did not run "
                                       "(npm install -g @daisy/ace-cli)")]
    env = dict(os.environ)
    if not env.get("PUPPETEER_EXECUTABLE_PATH"):
        browser = next((found for name in BROWSERS if (found := shutil.which(name))), None)
        if browser is None:
            return [Finding("info", "ace", "DAISY Ace is installed but no Chromium was found for it; the "
                                           "accessibility check did not run (Debian: apt-get install chromium, or "
                                           "set PUPPETEER_EXECUTABLE_PATH)")]
        env["PUPPETEER_EXECUTABLE_PATH"] = browser
    with tempfile.TemporaryDirectory(prefix="publish-ace-") as tmp:
        report_path = Path(tmp, "report", "report.json")
        for _ in range(2):  # once more when Ace wrote nothing: its headless Chromium sometimes fails to start
            done = run([*command, "--silent", "--force", "--outdir", str(report_path.parent), "--tempdir",
                        str(Path(tmp, "work")), "--timeout", str(ACE_TIMEOUT * 1000), str(path.resolve())],
                       "ace", timeout=ACE_TIMEOUT + 30, env=env, cwd=tmp)
            if report_path.is_file():
                break
        if not report_path.is_file():
            detail = (done.stderr.strip() or done.stdout.strip()).splitlines()
            return [Finding("error", "ace", f"DAISY Ace wrote no report (exit status {done.returncode}"
                                            f"{': ' + detail[-1] if detail else ''})")]
        report: dict[str, Any] = json.loads(report_path.read_text(encoding="utf-8"))
    return ace_findings(report)


def ace_findings(report: dict[str, Any]) -> list[Finding]:
    """The violations in an Ace report (its JSON form: assertions per content document, each with its own
    assertions), one finding each, its severity from the impact."""
    findings = []
    for document in report.get("assertions", []):
        subject = (document.get("earl:testSubject") or {}).get("url", "")
        for assertion in document.get("assertions", []):
            if (assertion.get("earl:result") or {}).get("earl:outcome") != "fail":
                continue
            test = assertion.get("earl:test") or {}
            severity = ACE_IMPACTS.get(test.get("earl:impact", ""), "warning")
            result = assertion["earl:result"]
            description = " ".join(str(result.get("dct:description") or test.get("dct:description", "")).split())
            snippet = " ".join(str(result.get("html", "")).split())[:120]
            where = subject.lstrip("/") + (f": {snippet}" if snippet else "")
            findings.append(Finding(severity, "ace", f"{test.get('dct:title', 'violation')} "
                                                     f"({test.get('earl:impact', 'unknown')}): {description}", where))
    return findings


def _content_documents(package: zipfile.ZipFile, opf: Any, opf_path: str, found: Inspection) -> dict[str, Any]:
    """The XHTML content documents the manifest lists, parsed; a listed one that is missing is an error."""
    folder = posixpath.dirname(opf_path)
    documents: dict[str, Any] = {}
    names = set(package.namelist())
    for item in opf.iterfind(f".//{{{OPF_NS}}}manifest/{{{OPF_NS}}}item"):
        href = posixpath.normpath(posixpath.join(folder, unquote(item.get("href") or "")))
        if href not in names:
            found.error("package", f"the manifest lists {href}, which is not in the package")
            continue
        if item.get("media-type") != "application/xhtml+xml":
            continue
        try:
            documents[href] = etree.fromstring(package.read(href), PARSER)
        except etree.XMLSyntaxError as exc:
            found.error("xhtml", f"not well-formed XHTML: {exc.msg}", f"{href}:{exc.lineno}")
    return documents


def _accessibility(opf: Any, documents: dict[str, Any], found: Inspection) -> None:
    """The discovery metadata is there, and says nothing the content contradicts."""
    declared: dict[str, list[str]] = {name: [] for name in SCHEMA_PROPERTIES}
    for meta in opf.iterfind(f".//{{{OPF_NS}}}metadata/{{{OPF_NS}}}meta"):
        if meta.get("property") in declared:
            declared[meta.get("property")].append((meta.text or "").strip())
    for name in ("schema:accessMode", "schema:accessibilityFeature", "schema:accessibilityHazard",
                 "schema:accessibilitySummary"):
        if not any(declared[name]):
            found.error("accessibility", f"no {name} in the package metadata (EPUB Accessibility 1.1 asks for it)")
    if not any(declared["schema:accessModeSufficient"]):
        found.warning("accessibility", "no schema:accessModeSufficient in the package metadata")
    found.facts["accessibility"] = {name.removeprefix("schema:"): values for name, values in declared.items()}

    images = [(href, img) for href, root in documents.items() for img in root.iter(f"{{{XHTML_NS}}}img")]
    undescribed = [href for href, img in images if not (img.get("alt") or "").strip()
                   and img.get("role") not in ("presentation", "none")]
    headings = any(root.iter(*(f"{{{XHTML_NS}}}h{n}" for n in range(1, 7))) for root in documents.values())
    toc = any(nav.get(f"{{{EPUB_NS}}}type") == "toc" for root in documents.values()
              for nav in root.iter(f"{{{XHTML_NS}}}nav"))
    found.facts["images"] = len(images)
    features = set(declared["schema:accessibilityFeature"])
    sufficient = set(declared["schema:accessModeSufficient"])
    if images and "visual" not in declared["schema:accessMode"]:
        found.error("accessibility", f"the content has {len(images)} image(s) but schema:accessMode does not "
                                     "include visual")
    if undescribed:
        where = ", ".join(sorted(set(undescribed)))
        if "alternativeText" in features:
            found.error("accessibility", f"accessibilityFeature alternativeText is claimed but {len(undescribed)} "
                                         "image(s) have no alt text", where)
        if "textual" in sufficient:
            found.error("accessibility", f"accessModeSufficient says text alone is enough, but {len(undescribed)} "
                                         "image(s) have no alt text", where)
    if "structuralNavigation" in features and not headings:
        found.error("accessibility", "accessibilityFeature structuralNavigation is claimed but no content "
                                     "document has headings")
    if "tableOfContents" in features and not toc:
        found.error("accessibility", "accessibilityFeature tableOfContents is claimed but there is no "
                                     "nav epub:type=\"toc\"")
