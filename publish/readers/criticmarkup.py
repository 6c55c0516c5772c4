"""CriticMarkup for markdown-it: suggested insertions, deletions, substitutions, comments and highlights as tokens.

    {++added++}  {--removed--}  {~~old~>new~~}  {>>a comment<<}  {==covered text==}{>>a comment on it<<}

CriticMarkup records no author or date. publish reads them, and a comment's initials, from a Pandoc-style
attribute block right after the closing mark, with Pandoc's own key names for tracked changes:
`{++added++}{author="Ana Ruiz" date="2024-06-12T10:05:00Z"}`. A comment's attributes may also give `initials`
and the class `.resolved`; a comment right after another comment with the class `.reply` is a reply in its thread:
`{==text==}{>>source?<<}{author="Ana"}{>>The ministry's statement.<<}{.reply author="Timur"}`.

The rule turns each mark into tokens the Markdown reader converts to the model's Insertion, Deletion and Comment:
`critic_insertion_open/close`, `critic_deletion_open/close`, `critic_highlight_open/close` around the marked
inlines (parsed as Markdown), and one `critic_comment` token whose `content` is the comment's text (taken
literally, with backslash escapes and character references decoded). Each carries its attributes in `meta`.
"""

from __future__ import annotations

from markdown_it import MarkdownIt
from markdown_it.common.utils import unescapeAll
from markdown_it.rules_inline import StateInline
from mdit_py_plugins.attrs.parse import ParseError, parse

CLOSERS = {"++": "++}", "--": "--}", "~~": "~~}", "==": "==}", ">>": "<<}"}
KINDS = {"++": "insertion", "--": "deletion", "==": "highlight"}


def criticmarkup_plugin(md: MarkdownIt) -> None:
    """Add the CriticMarkup inline rule, before the rules that would read its characters as other syntax."""
    md.inline.ruler.before("escape", "criticmarkup", _critic)


def attribute_value(value: str) -> str:
    """An attribute's quoted value as written, its `\\"` and `\\\\` escapes undone (the attrs parser keeps them)."""
    out, index = [], 0
    while index < len(value):
        char = value[index]
        if char == "\\" and index + 1 < len(value) and value[index + 1] in "\"\\":
            char = value[index + 1]
            index += 1
        out.append(char)
        index += 1
    return "".join(out)


def _attributes(state: StateInline, pos: int) -> tuple[int, dict[str, str]]:
    """The attribute block starting at `pos`, if there is one: the position after it and its attributes."""
    if pos >= state.posMax or state.src[pos] != "{" or state.src[pos:pos + 3][1:] in CLOSERS:
        return pos, {}
    try:
        length, attrs = parse(state.src[pos:state.posMax])
    except ParseError:
        return pos, {}
    return pos + length + 1, {key: attribute_value(value) for key, value in attrs.items()}


def _critic(state: StateInline, silent: bool) -> bool:
    src, start = state.src, state.pos
    if src[start] != "{" or start + 3 > state.posMax:
        return False
    mark = src[start + 1:start + 3]
    closer = CLOSERS.get(mark)
    if closer is None:
        return False
    end = src.find(closer, start + 3, state.posMax)
    if end < 0:
        return False
    after, attrs = _attributes(state, end + 3)
    if silent:
        state.pos = after
        return True
    if mark == ">>":
        token = state.push("critic_comment", "", 0)
        token.content = unescapeAll(src[start + 3:end].strip())
        token.markup = mark
        token.meta = {"attrs": attrs}
    elif mark == "~~":
        arrow = src.find("~>", start + 3, end)
        if arrow < 0:  # a substitution without its arrow: the new text only, as an insertion
            _marked(state, "insertion", start + 3, end, attrs)
        else:
            _marked(state, "deletion", start + 3, arrow, attrs)
            _marked(state, "insertion", arrow + 2, end, attrs)
    else:
        _marked(state, KINDS[mark], start + 3, end, attrs)
    state.pos = after
    return True


def _marked(state: StateInline, kind: str, begin: int, end: int, attrs: dict[str, str]) -> None:
    """Open and close tokens around the inlines of src[begin:end], parsed as Markdown."""
    opening = state.push(f"critic_{kind}_open", "", 1)
    opening.meta = {"attrs": attrs}
    old_pos, old_max = state.pos, state.posMax
    state.pos, state.posMax = begin, end
    state.md.inline.tokenize(state)
    state.pos, state.posMax = old_pos, old_max
    state.push(f"critic_{kind}_close", "", -1)
