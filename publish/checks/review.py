"""`publish review`: every tracked change and comment in an edited Word file, and, in a DOCX publish wrote, the edits
made with Track Changes off (paragraphs changed, added or removed since publish wrote it)."""

from __future__ import annotations

import difflib
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from publish.readers import load_bytes
from publish.readers.ooxml import (
    MODEL_NAMESPACE,
    W14,
    W15,
    Package,
    W,
    paragraph_text,
    part_related,
)


@dataclass(frozen=True, slots=True)
class Edit:
    """One edit an editor made."""

    kind: str
    """insertion, deletion, move, format, comment, or (with Track Changes off) changed, added, removed."""
    author: str
    """Who made it ("" for an untracked edit: Word does not record it)."""
    date: str
    """When, as recorded (ISO 8601), or ""."""
    paragraph: int
    """The paragraph's number in the document (every paragraph counts, tables' too)."""
    first_words: str
    """The paragraph's first words, to find it."""
    text: str
    """The text inserted, deleted, moved, reformatted or commented on; for a comment, the comment itself."""
    detail: str = ""
    """More: "moved from here", "bold added", the text a comment covers, "resolved", "reply to ...", the old text."""


def review(path: Path) -> list[Edit]:
    """Every tracked change and comment of a Word file, in document order, then untracked paragraph edits."""
    package = Package(load_bytes(path), str(path))
    root = package.xml(package.main)
    body = root.find(f"{W}body") if root is not None else None
    if body is None:
        return []
    comments = _comments(package)
    edits: list[Edit] = []
    listed: set[str] = set()
    paragraphs = list(body.iter(f"{W}p"))
    for number, p in enumerate(paragraphs, 1):
        words = " ".join(paragraph_text(p, "accept").split()[:8])
        edits.extend(_tracked(p, number, words))
        for anchor in p.iter(f"{W}commentRangeStart", f"{W}commentReference"):
            comment_id = anchor.get(f"{W}id", "")
            if comment_id in comments and comment_id not in listed:
                listed.add(comment_id)
                author, date, text, covered, state = comments[comment_id]
                detail = "; ".join(x for x in (f"on “{covered}”" if covered else "", state) if x)
                edits.append(Edit("comment", author, date, number, words, text, detail))
    return edits + _untracked(package, paragraphs)


def _tracked(p: Any, number: int, words: str) -> list[Edit]:
    out: list[Edit] = []
    mark = p.find(f"{W}pPr/{W}rPr")
    for child in (mark if mark is not None else ()):
        kind = {f"{W}ins": "insertion", f"{W}del": "deletion", f"{W}moveFrom": "move", f"{W}moveTo": "move"}.get(
            child.tag)
        if kind in ("insertion", "deletion"):  # a moved paragraph's mark moves with its text, listed below
            what = {"insertion": "paragraph mark inserted: a paragraph split or added",
                    "deletion": "paragraph mark deleted: joined with the next paragraph, or removed"}[kind]
            out.append(Edit(kind, child.get(f"{W}author", ""), child.get(f"{W}date", ""), number, words, "¶", what))
    change = p.find(f"{W}pPr/{W}pPrChange")
    if change is not None:
        old = change.find(f"{W}pPr/{W}pStyle")
        new = p.find(f"{W}pPr/{W}pStyle")
        detail = "paragraph formatting changed"
        if (old is not None) != (new is not None) or (old is not None and new is not None and
                                                      old.get(f"{W}val") != new.get(f"{W}val")):
            detail = (f"style {old.get(f'{W}val') if old is not None else 'Normal'} → "
                      f"{new.get(f'{W}val') if new is not None else 'Normal'}")
        out.append(Edit("format", change.get(f"{W}author", ""), change.get(f"{W}date", ""), number, words,
                        paragraph_text(p, "accept"), detail))
    for element in p.iter(f"{W}ins", f"{W}del", f"{W}moveFrom", f"{W}moveTo", f"{W}rPrChange"):
        if element.getparent() is not None and element.getparent().tag == f"{W}rPr" and element.tag != f"{W}rPrChange":
            continue  # a paragraph mark's change, listed above
        author, date = element.get(f"{W}author", ""), element.get(f"{W}date", "")
        if element.tag == f"{W}rPrChange":
            run = element.getparent().getparent()
            out.append(Edit("format", author, date, number, words, _run_text(run),
                            _format_change(element.getparent(), element)))
            continue
        text = "".join(t.text or "" for t in element.iter(f"{W}t", f"{W}delText"))
        if not text:
            continue
        kind = {f"{W}ins": "insertion", f"{W}del": "deletion"}.get(element.tag, "move")
        detail = {f"{W}moveFrom": "moved from here", f"{W}moveTo": "moved to here"}.get(element.tag, "")
        out.append(Edit(kind, author, date, number, words, text, detail))
    return out


def _run_text(run: Any) -> str:
    return "".join(t.text or "" for t in run.iter(f"{W}t", f"{W}delText"))


FORMAT_NAMES = {"b": "bold", "i": "italic", "u": "underline", "strike": "strikethrough", "caps": "capitals",
                "smallCaps": "small capitals", "vertAlign": "superscript or subscript", "rStyle": "character style",
                "rFonts": "font", "sz": "size", "color": "colour", "highlight": "highlight"}


def _format_change(rpr: Any, change: Any) -> str:
    """What a formatting change did, in words: "bold added", "italic removed", "font changed"."""
    new = {child.tag.split("}")[1] for child in rpr if child.tag != f"{W}rPrChange"}
    old_props = change.find(f"{W}rPr")
    old = {child.tag.split("}")[1] for child in old_props} if old_props is not None else set()
    parts = [f"{FORMAT_NAMES[n]} added" for n in sorted(new - old) if n in FORMAT_NAMES]
    parts += [f"{FORMAT_NAMES[n]} removed" for n in sorted(old - new) if n in FORMAT_NAMES]
    return ", ".join(parts) or "formatting changed"


def _comments(package: Package) -> dict[str, tuple[str, str, str, str, str]]:
    """Comments by id: (author, date, text, the text covered, state: resolved and whose reply it is)."""
    root = package.xml(part_related(package, package.main, "comments"))
    if root is None:
        return {}
    extended = package.xml(part_related(package, package.main, "commentsExtended"))
    threads = {e.get(f"{W15}paraId", ""): (e.get(f"{W15}paraIdParent", ""), e.get(f"{W15}done") in ("1", "true"))
               for e in (extended.iter(f"{W15}commentEx") if extended is not None else ())}
    by_para: dict[str, tuple[str, str]] = {}
    found: dict[str, tuple[str, str, str, str, str]] = {}
    covered = _covered(package)
    for element in root.iter(f"{W}comment"):
        comment_id = element.get(f"{W}id", "")
        paragraphs = element.findall(f".//{W}p")
        text = "\n".join("".join(t.text or "" for t in p.iter(f"{W}t")) for p in paragraphs).strip()
        author = element.get(f"{W}author", "")
        para_id = paragraphs[-1].get(f"{W14}paraId", "") if paragraphs else ""
        by_para[para_id] = (comment_id, author)
        parent, done = threads.get(para_id, ("", False))
        state = ", ".join(x for x in ("resolved" if done else "",
                                      f"reply to {by_para[parent][1]}" if parent in by_para else "") if x)
        found[comment_id] = (author, element.get(f"{W}date", ""), text, covered.get(comment_id, ""), state)
    return found


def _covered(package: Package) -> dict[str, str]:
    """The accepted text each comment's range covers, across paragraphs."""
    root = package.xml(package.main)
    open_ranges: dict[str, list[str]] = {}
    done: dict[str, str] = {}
    for element in root.iter(f"{W}commentRangeStart", f"{W}commentRangeEnd", f"{W}t"):
        if element.tag == f"{W}commentRangeStart":
            open_ranges[element.get(f"{W}id", "")] = []
        elif element.tag == f"{W}commentRangeEnd":
            comment_id = element.get(f"{W}id", "")
            done[comment_id] = "".join(open_ranges.pop(comment_id, [])).strip()
        else:
            for pieces in open_ranges.values():
                pieces.append(element.text or "")
    return done


def _untracked(package: Package, paragraphs: list[Any]) -> list[Edit]:
    """Paragraphs changed, added or removed without Track Changes since publish wrote the file: the text with every
    tracked change rejected, compared with the text publish wrote (kept in the file's model part)."""
    written = _written_paragraphs(package)
    if written is None:
        return []
    current = [paragraph_text(p, "reject") for p in paragraphs]
    edits: list[Edit] = []
    matcher = difflib.SequenceMatcher(a=written, b=current, autojunk=False)
    for tag, a0, a1, b0, b1 in matcher.get_opcodes():
        if tag == "equal":
            continue
        pairs = max(a1 - a0, b1 - b0)
        for offset in range(pairs):
            old = written[a0 + offset] if a0 + offset < a1 else None
            new = current[b0 + offset] if b0 + offset < b1 else None
            number = b0 + offset + 1 if new is not None else b0 + 1
            words = " ".join(paragraph_text(paragraphs[number - 1], "accept").split()[:8]) \
                if number <= len(paragraphs) else ""
            if old is not None and new is not None:
                edits.append(Edit("changed", "", "", number, words, new, f"was: {old}"))
            elif new is not None:
                edits.append(Edit("added", "", "", number, words, new))
            elif old is not None:
                edits.append(Edit("removed", "", "", number, words, old, "removed before this paragraph"))
    return edits


def _written_paragraphs(package: Package) -> list[str] | None:
    for rel in package.relationships(package.main):
        if rel.kind == "customXml" and not rel.external and package.has(rel.target):
            root = package.xml(rel.target)
            if root is not None and root.tag == f"{{{MODEL_NAMESPACE}}}article":
                paragraphs = root.find(f"{{{MODEL_NAMESPACE}}}paragraphs")
                if paragraphs is None:
                    return None
                return [p.text or "" for p in paragraphs]
    return None


def lines(path: Path, edits: list[Edit]) -> list[str]:
    """The edits for people: one line each, `FILE:PARAGRAPH: kind by author, date: “text” (detail)`."""
    out = []
    for edit in edits:
        who = f" by {edit.author}" if edit.author else ""
        when = f", {edit.date}" if edit.date else ""
        label = {"changed": "paragraph changed (Track Changes off)", "added": "paragraph added (Track Changes off)",
                 "removed": "paragraph removed (Track Changes off)"}.get(edit.kind, edit.kind)
        detail = f" ({edit.detail})" if edit.detail else ""
        out.append(f"{path}:{edit.paragraph}: {label}{who}{when} in “{edit.first_words}”: “{edit.text}”{detail}")
    return out


def as_json(edits: list[Edit]) -> list[dict[str, Any]]:
    """The edits as a list of objects: kind, author, date, paragraph, first_words, text, detail."""
    return [asdict(edit) for edit in edits]
