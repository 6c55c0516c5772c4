"""Input hygiene shared by the readers: control characters, zero-width floods and raw HTML reduced to its text."""

from __future__ import annotations

import html
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass

import nh3

LINE_SEPARATORS = {"\x0b": "\n", "\x0c": "\n", "\x85": "\n"}
"""Controls that mean "new line" (vertical tab, form feed, next line): kept as a line break."""
CONTROLS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff]")
"""C0 and C1 controls except tab and newline, DEL, and the two non-characters XML cannot hold."""
UNWRITABLE = re.compile(f"{CONTROLS.pattern[:-1]}\ud800-\udfff]")
"""What no output format can hold, where an escape lets it through (JSON's \\u0007, YAML's "\\x07"): the
controls above and lone surrogate halves (UTF-8 cannot encode them)."""
INVISIBLE = "\u00ad\u180e\u200b\u200c\u200d\u200e\u200f\u2060\u2061\u2062\u2063\u2064\ufeff"
"""Zero-width format characters: one has a use (a joiner in an emoji or a script, a mark of direction); a run
of them has none and can make a single "word" megabytes long."""
INVISIBLE_RUN = re.compile(f"[{INVISIBLE}]{{2,}}")
MAX_COMBINING = 30
"""The most combining marks kept on one character (Unicode's Stream-Safe Text Format limit, UAX #15)."""
COMBINING_MARKS = "\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f"
COMBINING_RUN = re.compile(f"[{COMBINING_MARKS}]{{{MAX_COMBINING + 1},}}")

SCRIPT_LIKE = ("script", "style", "template", "noscript", "iframe", "object", "textarea", "title", "xmp")
"""Elements whose content is code or hidden, not text a reader sees: dropped with the tags."""
HTML_TAG = re.compile(
    r"<!--.*?-->|<!\[CDATA\[.*?\]\]>|<![A-Za-z][^>]*>|</?(?:a|abbr|address|area|article|aside|audio|b|base|bdi|bdo|"
    r"big|blockquote|body|br|button|canvas|caption|center|cite|code|col|colgroup|data|datalist|dd|del|details|dfn|"
    r"dialog|div|dl|dt|em|embed|fieldset|figcaption|figure|font|footer|form|frame|frameset|h[1-6]|head|header|hr|"
    r"html|i|iframe|img|input|ins|kbd|label|legend|li|link|main|map|mark|marquee|math|menu|meta|meter|nav|noscript|"
    r"object|ol|optgroup|option|output|p|param|picture|pre|progress|q|rp|rt|ruby|s|samp|script|section|select|"
    r"small|source|span|strike|strong|style|sub|summary|sup|svg|table|tbody|td|template|textarea|tfoot|th|thead|"
    r"time|title|tr|track|tt|u|ul|var|video|wbr|xmp)(?=[\s/>])[^>]*>",
    re.IGNORECASE | re.DOTALL,
)
"""A tag of a known HTML element, a comment, CDATA or a doctype: what makes a line raw HTML rather than prose
that happens to contain "<" (as in "x < y" or "<3")."""


@dataclass(frozen=True, slots=True)
class Cleaned:
    """Text after hygiene, and what was changed, for one warning."""

    text: str
    """The cleaned text."""
    notes: tuple[tuple[int, str], ...] = ()
    """One (first line, phrase) per kind of change, with counts."""


def clean_text(text: str) -> Cleaned:
    """Remove what no output format can hold or show: control characters (line-separating ones become line
    breaks), runs of zero-width characters (the first is kept) and combining marks beyond 30 on one character."""
    notes: list[tuple[int, str]] = []
    if CONTROLS.search(text):
        found = Counter(ch for ch in CONTROLS.findall(text) if ch not in LINE_SEPARATORS)
        line = _line_of(text, CONTROLS.search(text))
        for ch, replacement in LINE_SEPARATORS.items():
            text = text.replace(ch, replacement)
        text = CONTROLS.sub("", text)
        if found:
            names = ", ".join(f"U+{ord(ch):04X}" for ch in sorted(found))
            count = sum(found.values())
            notes.append((line, f"removed {count:,} control character{_s(count)} ({names}): no output format "
                                f"can hold them"))
    if INVISIBLE_RUN.search(text):
        line = _line_of(text, INVISIBLE_RUN.search(text))
        removed = 0

        def first_only(match: re.Match[str]) -> str:
            nonlocal removed
            removed += len(match.group()) - 1
            return match.group()[0]

        text = INVISIBLE_RUN.sub(first_only, text)
        notes.append((line, f"removed {removed:,} zero-width character{_s(removed)} repeated in a row (one of "
                            "each run is kept)"))
    if COMBINING_RUN.search(text):
        line = _line_of(text, COMBINING_RUN.search(text))
        removed = 0

        def cap(match: re.Match[str]) -> str:
            nonlocal removed
            removed += len(match.group()) - MAX_COMBINING
            return match.group()[:MAX_COMBINING]

        text = COMBINING_RUN.sub(cap, text)
        notes.append((line, f"removed {removed:,} combining mark{_s(removed)} beyond {MAX_COMBINING} on one "
                            "character"))
    return Cleaned(text, tuple(notes))


def html_to_text(markup: str) -> str:
    """The text a reader would see of a piece of raw HTML: every tag removed (an empty allowlist), the content of
    script, style and similar elements dropped, entities decoded, whitespace kept as it was."""
    cleaned = nh3.clean(markup, tags=set(), clean_content_tags=set(SCRIPT_LIKE), strip_comments=True)
    return html.unescape(cleaned)


@dataclass(frozen=True, slots=True)
class Reduced:
    """A line of plain text that held raw HTML."""

    line: int
    """1-based line number."""
    before: str
    """The line as it was (or the first line of a script or style element spanning several)."""
    after: str
    """Its text; empty when nothing a reader sees was left."""


SCRIPT_ELEMENT = re.compile(rf"<({'|'.join(SCRIPT_LIKE)})\b[^>]*>.*?</\1\s*>", re.IGNORECASE | re.DOTALL)


def strip_markup(text: str) -> tuple[str, tuple[Reduced, ...]]:
    """Plain text with any raw HTML in it reduced to its text, line by line, keeping the line count (so line
    numbers in reports stay right); script, style and similar elements go with their content."""
    if "<" not in text:
        return text, ()
    changes: list[Reduced] = []

    def blank(match: re.Match[str]) -> str:
        line = text.count("\n", 0, match.start()) + 1
        changes.append(Reduced(line, match.group().split("\n", 1)[0], ""))
        return "\n" * match.group().count("\n")

    text = SCRIPT_ELEMENT.sub(blank, text)
    lines = text.split("\n")
    for number, line in enumerate(lines, 1):
        if has_html(line):
            reduced = html_to_text(line)
            changes.append(Reduced(number, line, reduced if is_visible(reduced) else ""))
            lines[number - 1] = reduced
    return "\n".join(lines), tuple(sorted(changes, key=lambda change: change.line))


def has_html(line: str) -> bool:
    """Whether a line of plain text holds raw HTML (a tag of a known element, a comment or a doctype)."""
    return "<" in line and HTML_TAG.search(line) is not None


def is_visible(text: str) -> bool:
    """Whether text has a character that shows (not only spaces and zero-width characters)."""
    return any(not ch.isspace() and unicodedata.category(ch) not in ("Cf", "Cc", "Mn", "Me") for ch in text)


def _line_of(text: str, match: re.Match[str] | None) -> int:
    return text.count("\n", 0, match.start()) + 1 if match else 1


def _s(n: int) -> str:
    return "" if n == 1 else "s"
