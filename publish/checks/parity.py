"""Word parity: the model's words, passage by passage, found in an output's text in order; a dropped, changed,
moved or repeated passage is named ("paragraph 4 “Before he arrived…” is missing").

Outputs add words of their own (byline, dates, running heads, page numbers, a contents list), so extra words
are allowed anywhere; what is not allowed is a model word missing, or a whole body passage appearing twice.
The alignment anchors on words that occur once in both texts (as patience diff does), so it stays fast and
exact on long and repetitive texts, and falls back to difflib between anchors.
"""

from __future__ import annotations

import bisect
import difflib
import itertools
import unicodedata
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import assert_never

from publish import model
from publish.model import text
from publish.present.labels import labels_for
from publish.readers.sanitise import INVISIBLE

HYPHENS = ("-", "\u00ad", "\u2010", "\u2011")
MIN_REPEAT_WORDS = 4
"""A body passage this long or longer, found again among the output's extra words, is reported as repeated;
shorter ones (a table cell, "Page 2") repeat by chance."""
MAX_FINDINGS = 12
DIFFLIB_LIMIT = 400_000
"""Above this many word pairs between two anchors, difflib is too slow: the range is aligned greedily."""
BIDI_CONTROLS = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
VARIATION_SELECTORS = "".join(chr(c) for c in range(0xFE00, 0xFE10))
"""Emoji and text presentation selectors (U+FE0F after ❤): an extractor may keep or drop them."""
_DROP = {ord(ch): None for ch in INVISIBLE + BIDI_CONTROLS + VARIATION_SELECTORS + "\x00"}
_QUOTES = str.maketrans({**dict.fromkeys("\u2018\u2019\u201a\u201b\u2039\u203a", "'"),
                         **dict.fromkeys("\u201c\u201d\u201e\u201f\u00ab\u00bb", '"')})
"""Curly quotes as the straight ones they compare equal to."""


@dataclass(frozen=True, slots=True)
class Passage:
    """A run of the model's text a reader would point at: the headline, a paragraph, a list item, a cell."""

    label: str
    """How a person names it: "headline", "paragraph 4", "list item 2", "table 1, row 2, column 3"."""
    text: str
    """Its text."""
    body: bool = True
    """Whether it is body text (the headline and dek also stand in running heads and contents lists)."""

    def quoted(self, limit: int = 60) -> str:
        """The label with the start of the text: paragraph 4 “Before he arrived in Bishkek, …”."""
        flat = " ".join(self.text.split())
        short = flat if len(flat) <= limit else flat[:limit].rsplit(" ", 1)[0] + " …"
        return f"{self.label} “{short}”"


@dataclass(frozen=True, slots=True)
class Problem:
    """One way the output's words differ from the model's."""

    kind: str
    """"missing", "changed", "moved" or "repeated"."""
    passage: Passage
    """The passage concerned."""
    message: str
    """A sentence that names it."""


def passages(document: model.Document) -> list[Passage]:
    """Every passage of an article (or of each article of a collection) in reading order."""
    match document:
        case model.Article():  # on its own: its passages need no "article N, "
            return _article_passages(document, "")
        case model.Collection():
            return [passage for number, article in enumerate(document.articles, 1)
                    for passage in _article_passages(article, f"article {number}, ")]
        case _:
            assert_never(document)


def _article_passages(article: model.Article, prefix: str) -> list[Passage]:
    counts: Counter[str] = Counter()
    out = [Passage(f"{prefix}headline", article.meta.headline, body=False)]
    if article.meta.dek:
        out.append(Passage(f"{prefix}dek", article.meta.dek, body=False))

    def label(kind: str) -> str:
        counts[kind] += 1
        return f"{prefix}{kind} {counts[kind]}"

    context: list[tuple[str, str]] = []
    """The quotes and list items the walk is inside, outermost first: ("quote", "quote 2"), ("item", label)."""

    def placed(name: str) -> str:
        """A passage's label as its quotes and list items name it: "paragraph 3 (in quote 1)", "list item 2"."""
        for kind, number in reversed(context):
            if kind == "quote":
                name = f"{name} (in {number.removeprefix(prefix)})"
            elif kind == "item" and name.startswith(f"{prefix}paragraph"):
                name = number
        return name

    def walk(blocks: Iterable[model.Block]) -> Iterator[Passage]:
        for event, _, block in model.walk_tree(blocks):
            if event == "leave":
                _, number = context.pop()
                if isinstance(block, model.BlockQuote) and block.attribution:
                    yield Passage(placed(f"{number} attribution"), text.plain(block.attribution))
                continue
            if event == "item":
                context[-1] = ("item", label("list item"))
                continue
            match block:
                case model.Heading():
                    yield Passage(placed(label("subhead")), text.plain(block.content))
                case model.Paragraph():
                    yield Passage(placed(label("paragraph")), text.plain(block.content))
                case model.BlockQuote():
                    context.append(("quote", label("quote")))
                case model.BulletList() | model.OrderedList():
                    context.append(("list", ""))
                case model.CodeBlock():
                    yield Passage(placed(label("code block")), block.text)
                case model.Figure():
                    number = label("figure")
                    yield Passage(placed(f"{number} caption"), text.plain(block.caption))
                    yield Passage(placed(f"{number} credit"), block.credit)
                case model.Table():
                    number = label("table")
                    yield Passage(placed(f"{number} caption"), text.plain(block.caption))
                    for r, row in enumerate((block.header, *block.rows)):
                        for c, cell in enumerate(row, 1):
                            where = f"{number}, {'header' if r == 0 else f'row {r}'}, column {c}"
                            yield Passage(placed(where), text.plain(cell))
                case model.Rule():
                    pass
                case _:
                    model.foreign(block)

    out.extend(walk(article.blocks))
    out.extend(press_passages(article.meta, prefix))
    return [p for p in out if key_words(p.text)]


def press_passages(meta: model.Meta, prefix: str = "") -> Iterator[Passage]:
    """A press release's words after the story, in the order every format prints them: the notes to editors, the
    media contacts (name, role, phone, e-mail) and the corrections. (The embargo banner and the end mark are the
    label tables' words, like a byline's "By".)"""
    for number, note in enumerate(meta.notes_to_editors, 1):
        yield Passage(f"{prefix}note to editors {number}", note)
    comma = labels_for(meta.language).comma  # between a contact's name and role, as the outputs print it
    for number, contact in enumerate(meta.contacts, 1):
        named = contact.name + (comma + contact.role if contact.role else "")
        yield Passage(f"{prefix}contact {number}",
                      " ".join(part for part in (named, contact.phone, contact.email) if part))
    for number, correction in enumerate(meta.corrections, 1):
        yield Passage(f"{prefix}correction {number}", correction.text)


def key(word: str) -> str:
    """How a word compares across formats: compatibility-normalised (ligatures, full-width forms), without
    zero-width characters, direction controls, variation selectors or NULs, case-folded (a style may set a
    heading in capitals), with curly quotes as straight ones (a theme may set them curly) and an e-mail address
    without the "mailto:" a link's text may carry (the outputs print the address alone)."""
    folded = unicodedata.normalize("NFKC", word).translate(_DROP).translate(_QUOTES).casefold()
    return folded[len("mailto:"):] if folded.startswith("mailto:") and len(folded) > len("mailto:") else folded


def key_words(value: str) -> list[str]:
    """The comparison keys of a text's words."""
    return [k for k in (key(w) for w in value.split()) if k]


def compare(expected: Sequence[Passage], found_text: Iterable[str], *, rejoin_hyphens: bool = False) -> list[Problem]:
    """Every passage whose words are not all in the output, in order; every body passage found twice."""
    words: list[str] = []
    owner: list[int] = []
    for index, passage in enumerate(expected):
        for word in key_words(passage.text):
            words.append(word)
            owner.append(index)
    found = [k for line in found_text for k in key_words(line)]
    if rejoin_hyphens:
        found = _rejoin(found, set(words))
    pairs = _slide(align(words, found), words, owner)
    matched_a = {i for i, _ in pairs}
    matched_b = {j for _, j in pairs}
    problems: list[Problem] = []
    missing: dict[int, list[int]] = {}
    for i, word_owner in enumerate(owner):
        if i not in matched_a:
            missing.setdefault(word_owner, []).append(i)
    extra_runs = _runs([j for j in range(len(found)) if j not in matched_b])
    extra_texts = [found[start:end] for start, end in extra_runs]
    for passage in expected:  # the headline and dek stand again in running heads and contents lists
        if not passage.body:
            furniture = key_words(passage.text)
            for run in extra_texts:
                while (at := _find(run, furniture)) >= 0:
                    run[at:at + len(furniture)] = [""] * len(furniture)
    reported: set[int] = set()
    for index, gone in missing.items():
        passage = expected[index]
        total = len(key_words(passage.text))
        if len(gone) == total:
            moved = passage.body and total >= MIN_REPEAT_WORDS and any(
                _find(run, key_words(passage.text)) >= 0 for run in extra_texts)
            problems.append(Problem("moved" if moved else "missing", passage,
                                    f"{passage.quoted()} is {'out of order' if moved else 'missing'}"))
            reported.add(index)
        else:
            shown = " ".join(words[i] for i in gone[:8]) + (" …" if len(gone) > 8 else "")
            problems.append(Problem("changed", passage, f"{passage.quoted()}: {len(gone)} of {total} words missing "
                                                        f"or changed (“{shown}”)"))
    repeated = [(index, passage) for index, passage in enumerate(expected)
                if passage.body and index not in reported and len(key_words(passage.text)) >= MIN_REPEAT_WORDS]
    for run in extra_texts:
        for index, passage in repeated:
            needle = key_words(passage.text)
            at = _find(run, needle) if index not in reported else -1
            if at >= 0:
                problems.append(Problem("repeated", passage, f"{passage.quoted()} appears twice"))
                reported.add(index)
                run[at:at + len(needle)] = [""] * len(needle)  # these words are accounted for
    return problems


_LOOSE_DROP = _DROP


def loose_key(word: str) -> str:
    """A word as it survives text extraction from a right-to-left PDF: without punctuation (brackets come back
    mirrored, commas on the other side), diacritics (a mark can come back as a word of its own) or direction marks."""
    decomposed = unicodedata.normalize("NFKD", word.translate(_LOOSE_DROP))
    kept = "".join(ch for ch in decomposed if unicodedata.category(ch)[0] in "LN")
    return unicodedata.normalize("NFC", kept).casefold()


def compare_words(expected: Sequence[Passage], found_text: Iterable[str]) -> list[Problem]:
    """Every passage with words the output does not have, order aside: for text whose extraction does not keep
    the reading order (right-to-left lines with left-to-right words in them, from a PDF)."""
    marks_as_spaces = {ord(ch): " " for ch in BIDI_CONTROLS}  # an extractor's direction marks separate words
    available = Counter(k for line in found_text for k in (loose_key(w) for w in line.translate(marks_as_spaces)
                                                              .split()) if k)
    problems: list[Problem] = []
    for passage in expected:
        words = [k for k in (loose_key(w) for w in passage.text.split()) if k]
        gone = []
        for word in words:
            if available[word] > 0:
                available[word] -= 1
            else:
                gone.append(word)
        if gone and len(gone) == len(words):
            problems.append(Problem("missing", passage, f"{passage.quoted()} is missing"))
        elif gone:
            shown = " ".join(gone[:8]) + (" …" if len(gone) > 8 else "")
            problems.append(Problem("changed", passage, f"{passage.quoted()}: {len(gone)} of {len(words)} words "
                                                        f"missing or changed (“{shown}”)"))
    return problems


def align(a: Sequence[str], b: Sequence[str]) -> list[tuple[int, int]]:
    """Matched index pairs of a common subsequence of `a` and `b`: anchored on words unique to both, difflib
    between anchors (greedy where a range is too large for it)."""
    pairs: list[tuple[int, int]] = []
    stack = [(0, len(a), 0, len(b))]
    while stack:
        a0, a1, b0, b1 = stack.pop()
        while a0 < a1 and b0 < b1 and a[a0] == b[b0]:  # common prefix
            pairs.append((a0, b0))
            a0, b0 = a0 + 1, b0 + 1
        while a0 < a1 and b0 < b1 and a[a1 - 1] == b[b1 - 1]:  # common suffix
            pairs.append((a1 - 1, b1 - 1))
            a1, b1 = a1 - 1, b1 - 1
        if a0 == a1 or b0 == b1:
            continue
        anchors = _unique_anchors(a, a0, a1, b, b0, b1)
        if anchors:
            bounds = [(a0 - 1, b0 - 1), *anchors, (a1, b1)]
            pairs.extend(anchors)
            for (i0, j0), (i1, j1) in itertools.pairwise(bounds):
                if i1 - i0 > 1 and j1 - j0 > 1:
                    stack.append((i0 + 1, i1, j0 + 1, j1))
        elif (a1 - a0) * (b1 - b0) <= DIFFLIB_LIMIT:
            matcher = difflib.SequenceMatcher(None, a[a0:a1], b[b0:b1], autojunk=False)
            for block in matcher.get_matching_blocks():
                pairs.extend((a0 + block.a + k, b0 + block.b + k) for k in range(block.size))
        else:
            j = b0
            for i in range(a0, a1):
                for probe in range(j, b1):
                    if b[probe] == a[i]:
                        pairs.append((i, probe))
                        j = probe + 1
                        break
    return sorted(pairs)


def _slide(pairs: list[tuple[int, int]], a: Sequence[str], owner: Sequence[int]) -> list[tuple[int, int]]:
    """Move each run of unmatched model words, where the same words stand before or after it, so that it covers
    whole passages: "heading 5 heading 6" minus one heading is the loss of one heading, not of half of two."""
    match = dict(pairs)
    i = 0
    while i < len(a):
        if i in match:
            i += 1
            continue
        start = i
        while i < len(a) and i not in match:
            i += 1
        best, best_score = (start, start), -1.0
        for s, e in _positions(start, i, a, match):
            score = (2 if s == 0 or owner[s] != owner[s - 1] else 0) + \
                (2 if e == len(a) or owner[e - 1] != owner[e] else 0) - 0.1 * len(set(owner[s:e]))
            if score > best_score:
                best, best_score = (s, start), score
        shift = best[0] - start
        if shift:
            end = i
            if shift < 0:  # the words just before the run take over the matches of the run's last words
                for k in range(-shift):
                    match[end - 1 - k] = match.pop(start - 1 - k)
            else:
                for k in range(shift):
                    match[start + k] = match.pop(end + k)
            i = end + max(shift, 0)
    return sorted(match.items())


def _positions(start: int, end: int, a: Sequence[str], match: dict[int, int]) -> Iterator[tuple[int, int]]:
    """Where an unmatched run [start, end) can slide while the matched words stay the same words."""
    yield start, end
    s, e = start, end
    while s > 0 and (s - 1) in match and a[s - 1] == a[e - 1]:
        s, e = s - 1, e - 1
        yield s, e
    s, e = start, end
    while e < len(a) and e in match and a[s] == a[e]:
        s, e = s + 1, e + 1
        yield s, e


def _unique_anchors(a: Sequence[str], a0: int, a1: int, b: Sequence[str], b0: int, b1: int,
                    ) -> list[tuple[int, int]]:
    """The longest increasing run of words that occur exactly once in each range (patience sorting)."""
    count_a = Counter(a[a0:a1])
    count_b = Counter(b[b0:b1])
    where_b = {b[j]: j for j in range(b0, b1) if count_b[b[j]] == 1}
    candidates = [(i, where_b[a[i]]) for i in range(a0, a1) if count_a[a[i]] == 1 and a[i] in where_b]
    if not candidates:
        return []
    # longest increasing subsequence of the b positions, in a's order
    tails: list[int] = []
    tail_index: list[int] = []
    previous: list[int] = [-1] * len(candidates)
    for n, (_, j) in enumerate(candidates):
        k = bisect.bisect_left(tails, j)
        if k == len(tails):
            tails.append(j)
            tail_index.append(n)
        else:
            tails[k] = j
            tail_index[k] = n
        previous[n] = tail_index[k - 1] if k else -1
    chain = []
    n = tail_index[-1]
    while n != -1:
        chain.append(candidates[n])
        n = previous[n]
    return chain[::-1]


def _runs(indices: list[int]) -> list[tuple[int, int]]:
    runs: list[tuple[int, int]] = []
    for index in indices:
        if runs and runs[-1][1] == index:
            runs[-1] = (runs[-1][0], index + 1)
        else:
            runs.append((index, index + 1))
    return runs


def _find(haystack: Sequence[str], needle: Sequence[str]) -> int:
    """Where `needle` first occurs in `haystack` as a contiguous run, or -1."""
    if not needle or len(needle) > len(haystack):
        return -1
    first = needle[0]
    for start in range(len(haystack) - len(needle) + 1):
        if haystack[start] == first and list(haystack[start:start + len(needle)]) == list(needle):
            return start
    return -1


MAX_PIECES = 8
"""The most pieces a long word (a URL) may be broken into across lines and still be joined again."""


def _rejoin(found: list[str], vocabulary: set[str]) -> list[str]:
    """Words a PDF broke across lines (at a hyphen, or anywhere in a narrow column or a long URL), joined again
    when a piece alone is not one of the model's words and the pieces joined are ("libproc/" "version.c." is
    "libproc/version.c." even where "libproc/" is a word elsewhere)."""
    ordered = sorted(vocabulary)

    def starts_a_word(prefix: str) -> bool:
        at = bisect.bisect_left(ordered, prefix)
        return at < len(ordered) and ordered[at].startswith(prefix)

    out: list[str] = []
    i = 0
    while i < len(found):
        word = found[i]
        if i + 1 < len(found) and (word not in vocabulary or found[i + 1] not in vocabulary):
            kept = word + found[i + 1]
            dropped = word[:-1] + found[i + 1] if word.endswith(HYPHENS) else ""
            joined = kept if kept in vocabulary else dropped if dropped in vocabulary else None
            if joined is not None:
                out.append(joined)
                i += 2
                continue
            pieces = 2
            while joined is None and word not in vocabulary and pieces < MAX_PIECES and i + pieces < len(found) \
                    and starts_a_word(kept):
                kept += found[i + pieces]
                pieces += 1
                joined = kept if kept in vocabulary else None
            if joined is not None:
                out.append(joined)
                i += pieces
                continue
        out.append(word)
        i += 1
    return out
