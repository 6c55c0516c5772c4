"""Checks on a ninjs file: it is JSON, valid against IPTC's schema of the version it declares, and its words."""

from __future__ import annotations

import json
from typing import Any

from lxml import etree
from lxml import html as lxml_html

from publish.checks.validators import Inspection

HTML_TYPES = ("text/html", "application/xhtml+xml")


def inspect(data: bytes) -> Inspection:
    """Validate the item with jsonschema against IPTC's vendored schema; read its text for parity."""
    from publish.readers import ninjs

    found = Inspection()
    try:
        item = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        found.error("package", f"not UTF-8 JSON: {exc}")
        return found
    version = ninjs.declared_version(item) if isinstance(item, dict) else None
    if version is None:
        found.error("ninjs-schema", "declares no ninjs version publish has a schema for (standard.version, "
                                    f"standard.schema); known: {', '.join(ninjs.VERSIONS)}")
        return found
    found.facts["ninjs"] = version
    problem = ninjs.first_error(item, version)
    if problem is not None:
        found.error("ninjs-schema", f"not valid ninjs {version}: at {problem.path}: {problem.message}")
    found.text = item_text(item)
    return found


def item_text(item: Any) -> list[str]:
    """The words a reader of the item gets, in order: headlines, then the HTML body's text (or the plain body),
    then each text association's (a composite's articles)."""
    if not isinstance(item, dict):
        return []
    out = [str(h.get("value", "")) for h in item.get("headlines") or () if isinstance(h, dict)]
    for body in item.get("bodies") or ():
        value = str(body.get("value", ""))
        kind = str(body.get("contentType", body.get("contenttype", ""))).lower()
        if kind.startswith(HTML_TYPES) and value.strip():
            try:
                out.extend(_html_text(value))
            except (etree.ParserError, ValueError):
                out.append(value)
        else:
            out.append(value)
    for association in item.get("associations") or ():
        if isinstance(association, dict) and association.get("type") == "text":
            out.extend(item_text(association))
    return [line for line in out if line.strip()]


def _html_text(fragment: str) -> list[str]:
    from publish.checks.gate import _element_text

    return _element_text(lxml_html.fragment_fromstring(fragment, create_parent="div"))
