"""Reading scales linearly: the near-duplicate check finds what comparing every pair finds, and the DOCX backend's
cheap right-to-left test misses no right-to-left character."""

from __future__ import annotations

import random
import re
import sys
import unicodedata
from collections import Counter
from pathlib import Path

from publish import model
from publish.backends.docx.bidi import RIGHT_TO_LEFT_BLOCKS, holds_right_to_left
from publish.model import text
from publish.readers.collection import COMMON_SHINGLE, DUPLICATE_SIMILARITY, SHINGLE_WORDS, find_duplicates

WORDS = ["harbour", "ferry", "council", "budget", "minister", "river", "bridge", "grain", "tariff", "school", "rail",
         "border", "market", "winter", "hospital", "export", "trade", "union", "farmers", "port", "city", "water",
         "fuel", "court", "ruling", "protest", "donors", "airport"]


def test_every_right_to_left_character_is_caught_by_the_cheap_test() -> None:
    missed = [hex(code) for code in range(sys.maxunicode + 1)
              if unicodedata.bidirectional(chr(code)) in ("R", "AL") and not RIGHT_TO_LEFT_BLOCKS.search(chr(code))]
    assert missed == []


def test_the_right_to_left_test_answers_as_the_per_character_scan() -> None:
    for value, expected in (("Plain English, 2024.", False), ("Café au lait — “quoted”", False),
                            ("The word سلام in a sentence", True), ("שלום", True), ("\u200f", True),
                            ("ـ tatweel alone", True), ("", False)):
        exact = any(unicodedata.bidirectional(c) in ("R", "AL") for c in value)
        assert holds_right_to_left(value) is exact is expected, value


def _story(rng: random.Random, words: int) -> list[str]:
    return [rng.choice(WORDS) + str(rng.randint(0, 40)) for _ in range(words)]


def _article(words: list[str]) -> model.Article:
    paragraphs = tuple(model.Paragraph((model.Text(" ".join(words[i:i + 60])),)) for i in range(0, len(words), 60))
    return model.Article(model.Meta(headline="Story"), paragraphs)


def _every_pair(articles: list[tuple[Path, model.Article]]) -> list[tuple[str, str, float]]:
    """The definition: for each later story, the earliest one sharing enough of its shingles (all pairs), where a
    shingle found in more than COMMON_SHINGLE stories is stock phrasing and not counted as shared."""
    def shingles(article: model.Article) -> set[tuple[str, ...]]:
        words = [w for t in text.block_texts(article.blocks) for w in re.findall(r"\w+", t.lower())]
        return {tuple(words[i:i + SHINGLE_WORDS]) for i in range(max(0, len(words) - SHINGLE_WORDS + 1))}

    sets = [shingles(article) for _, article in articles]
    holders = Counter(shingle for story in sets for shingle in story)
    stock = {shingle for shingle, count in holders.items() if count > COMMON_SHINGLE}
    found = []
    for later in range(len(sets)):
        for first in range(later):
            shared = len((sets[first] & sets[later]) - stock)
            similarity = shared / len(sets[first] | sets[later]) if shared else 0.0
            if similarity >= DUPLICATE_SIMILARITY:
                found.append((articles[first][0].name, articles[later][0].name, round(similarity, 3)))
                break
    return sorted(found, key=lambda f: (f[0], f[1]))


def test_near_duplicates_are_those_every_pair_compared_finds() -> None:
    rng = random.Random(17)
    stories = [_story(rng, 300) for _ in range(60)]
    # a word in 50, 20 and 14 changed: copies; one in 5 or every other one: other stories
    for copy_of, edit in ((3, 0.02), (10, 0.05), (10, 0.07), (41, 0.2), (7, 0.5)):
        edited = [rng.choice(WORDS) if rng.random() < edit else word for word in stories[copy_of]]
        stories.append(edited)
    articles = [(Path(f"{n:03d}.md"), _article(words)) for n, words in enumerate(stories)]
    found = sorted(((d.kept.name, d.duplicate.name, d.similarity) for d in find_duplicates(articles)),
                   key=lambda f: (f[0], f[1]))
    assert found == _every_pair(articles)
    assert {later for _, later, _ in found} >= {"060.md", "061.md", "062.md"}  # the light edits are caught
    assert not {"063.md", "064.md"} & {later for _, later, _ in found}


def test_stock_phrasing_in_many_stories_is_no_evidence_of_a_copy() -> None:
    rng = random.Random(29)
    stock = _story(rng, 120)  # a boilerplate paragraph, in more stories than COMMON_SHINGLE
    stories = [_story(rng, 80) + (stock if n % 4 else []) for n in range(4 * COMMON_SHINGLE // 3 + 8)]
    assert sum(1 for story in stories if story[-len(stock):] == stock) > COMMON_SHINGLE
    for copy_of, edit in ((4, 0.0), (8, 0.03), (12, 0.5)):  # two copies, and another story
        stories.append([rng.choice(WORDS) if rng.random() < edit else word for word in stories[copy_of]])
    articles = [(Path(f"{n:03d}.md"), _article(words)) for n, words in enumerate(stories)]
    found = sorted(((d.kept.name, d.duplicate.name, d.similarity) for d in find_duplicates(articles)),
                   key=lambda f: (f[0], f[1]))
    assert found == _every_pair(articles)
    later = {later for _, later, _ in found}
    assert later == {f"{len(stories) - 3:03d}.md", f"{len(stories) - 2:03d}.md"}  # the stock alone (60 % of a
    # story that holds it) makes no copy
