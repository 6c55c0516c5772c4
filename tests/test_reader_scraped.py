"""The scraped-text reader: page debris dropped and reported, headline, byline, dates and subheads inferred, and
every word of the story kept exactly as written.

Fixtures live in tests/fixtures/scraped/: NAME.txt (the scraped page) beside NAME.json (the expected article,
exactly as `jsonform.dumps` writes it, so it is also valid input for the json reader) and NAME.report.jsonl
(the expected report: one row per dropped or inferred line, in line order). After an intended reader change,
regenerate them with `PUBLISH_ACCEPT=1 python3 -m pytest tests/test_reader_scraped.py` and review the diff.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

import pytest

from publish import model as m
from publish.errors import InputError
from publish.model import jsonform
from publish.readers import Reading, load_text
from publish.readers.scraped import read_text as read

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "samples" / "dar-bishkek.txt"
FIXTURES = Path(__file__).parent / "fixtures" / "scraped"
FIXTURE_NAMES = sorted(path.name.removesuffix(".txt") for path in FIXTURES.glob("*.txt"))
MIN_FIXTURES = 7

SEED_HEADLINE = "Ishaq Dar Key Diplomatic Visit to Bishkek"
SEED_SUBHEADS = [
    "Diplomatic Engagements and Advocacy",
    "Participation in the Shanghai Cooperation Organization (SCO)",
    "Meetings held in Kazakhstan & Tajikistan",
]
SEED_PARAGRAPH_LINES = [6, 10, 14, 18, 20]
"""Where the seed's five story paragraphs stand in the file (1-based), each one whole line."""
SEED_DROPPED = [
    (1, "back to top", "navigation"),
    (22, "Related Articles", "related-articles block"),
    (25, "Please enter your comment!", "comment form"),
    (26, "Please enter your name here", "comment form"),
]


def _read(path: Path) -> Reading:
    return read(load_text(path), source=str(path))


def _texts(block: m.Block) -> list[str]:
    """The plain text of a block, one string per paragraph, heading or list item."""
    if isinstance(block, (m.Paragraph, m.Heading)):
        return ["".join(inline.text for inline in block.content if isinstance(inline, m.Text))]
    if isinstance(block, (m.BulletList, m.OrderedList)):
        return [text for item in block.items for child in item for text in _texts(child)]
    return []


def _story(article: m.Article) -> list[str]:
    """The headline, then every paragraph, subhead and list item of the body, in reading order."""
    return [article.meta.headline, *(text for block in article.blocks for text in _texts(block))]


def _kinds(article: m.Article) -> list[str]:
    return [block.kind for block in article.blocks]


def _report(reading: Reading) -> str:
    rows = [(d.line, 0, {"line": d.line, "dropped": d.reason, "text": d.text}) for d in reading.dropped]
    rows += [(i.line, 1, {"line": i.line, "inferred": i.role, "text": i.text}) for i in reading.inferred]
    rows.sort(key=lambda row: row[:2])
    return "".join(json.dumps(row, ensure_ascii=False) + "\n" for _, _, row in rows)


# --- fixtures: scraped page in, expected model and report out ------------------------------------------------


def test_every_fixture_has_its_expected_files() -> None:
    assert len(FIXTURE_NAMES) >= MIN_FIXTURES, f"only {len(FIXTURE_NAMES)} scraped fixtures in {FIXTURES}"
    expected = {p.name for p in FIXTURES.iterdir() if not p.name.endswith(".txt")}
    wanted = {f"{name}{suffix}" for name in FIXTURE_NAMES for suffix in (".json", ".report.jsonl")}
    if not os.environ.get("PUBLISH_ACCEPT"):
        assert wanted <= expected, f"missing: {sorted(wanted - expected)}; run with PUBLISH_ACCEPT=1 to write them"
    assert expected <= wanted, f"expected files without a NAME.txt input: {sorted(expected - wanted)}"


@pytest.mark.parametrize("name", FIXTURE_NAMES)
def test_fixture_reads_as_expected(name: str) -> None:
    reading = _read(FIXTURES / f"{name}.txt")
    actual = {f"{name}.json": jsonform.dumps(reading.article), f"{name}.report.jsonl": _report(reading)}
    for file_name, text in actual.items():
        path = FIXTURES / file_name
        if os.environ.get("PUBLISH_ACCEPT"):
            path.write_text(text, encoding="utf-8")
        assert path.exists(), f"{file_name} is missing; run with PUBLISH_ACCEPT=1 to write it, then review it"
        assert text == path.read_text(encoding="utf-8"), f"{file_name} differs (PUBLISH_ACCEPT=1 regenerates it)"
    assert jsonform.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8")) == reading.article


@pytest.mark.parametrize("path", [SEED, *(FIXTURES / f"{name}.txt" for name in FIXTURE_NAMES)], ids=lambda p: p.stem)
def test_every_line_is_in_the_article_or_in_the_report(path: Path) -> None:
    """Nothing vanishes silently: a non-blank line is dropped with a reason, inferred, or in the article's text."""
    lines = load_text(path).split("\n")
    reading = _read(path)
    dropped = {d.line: d for d in reading.dropped}
    inferred = {i.line for i in reading.inferred}
    body = "\n".join(_story(reading.article))
    rules = 0
    for number, line in enumerate(lines, 1):
        if not line.strip() or number in inferred:
            continue
        if number in dropped:
            assert dropped[number].text == line and dropped[number].reason, f"line {number} misreported"
        elif set(line.strip()) <= set("*-_ "):
            rules += 1
        else:
            kept = line.strip().split(" ", 1)[-1] if line.strip()[:1] in "•*-0123456789" else line.strip()
            assert kept in body, f"line {number} is neither in the article nor in the report: {line!r}"
    assert rules == _kinds(reading.article).count("rule")


# --- the seed ------------------------------------------------------------------------------------------------


def test_seed_headline_and_subheads() -> None:
    article = _read(SEED).article
    assert article.meta.headline == SEED_HEADLINE
    headings = [b for b in article.blocks if isinstance(b, m.Heading)]
    assert [(h.level, _texts(h)[0]) for h in headings] == [(1, text) for text in SEED_SUBHEADS]
    assert _kinds(article) == ["paragraph", "heading", "paragraph", "heading", "paragraph", "heading",
                               "paragraph", "paragraph"]


def test_seed_paragraphs_are_the_story_lines_verbatim() -> None:
    source_lines = SEED.read_text(encoding="utf-8").split("\n")
    article = _read(SEED).article
    paragraphs = [_texts(b)[0] for b in article.blocks if isinstance(b, m.Paragraph)]
    assert paragraphs == [source_lines[n - 1] for n in SEED_PARAGRAPH_LINES]
    body = "\n".join(paragraphs)
    for exact in ("Pakistan’s Foreign", "Besalov Adil – Deputy", "Ministers’ meeting", "neighboring\u00a0states.",
                  "@ presidential palace", "Raisi & foreign"):
        assert exact in body, f"{exact!r} was not kept byte for byte"


def test_seed_debris_is_dropped_with_reasons_and_nothing_else() -> None:
    reading = _read(SEED)
    assert [(d.line, d.text, d.reason) for d in reading.dropped] == SEED_DROPPED
    inferred = [(i.line, i.role) for i in reading.inferred]
    assert inferred == [(3, "headline"), (8, "subhead"), (12, "subhead"), (16, "subhead")]


def test_seed_has_no_byline_date_or_dateline() -> None:
    meta = _read(SEED).article.meta
    assert (meta.authors, meta.published, meta.dateline, meta.language) == ((), None, "", "en")


def test_seed_reads_the_same_with_single_newlines_between_paragraphs() -> None:
    text = load_text(SEED)
    squeezed = "\n".join(line for line in text.split("\n") if line.strip())
    assert read(squeezed, source="squeezed.txt").article == read(text, source=str(SEED)).article


# --- every story word kept, only debris dropped --------------------------------------------------------------

PAGE = [
    ("debris", "Skip to main content"),
    ("debris", "Home › Pakistan › Gilgit-Baltistan"),
    ("", ""),
    ("headline", "Floods cut road link between Gilgit and Skardu"),
    ("meta", "By Amna Rauf"),
    ("meta", "Published: July 2, 2024"),
    ("debris", "Share on Facebook"),
    ("debris", "Share on WhatsApp"),
    ("", ""),
    ("story", "GILGIT: Flash floods washed away a 40-metre section of the Gilgit–Skardu road on Tuesday, stranding "
              "about 300 travellers, officials said."),
    ("story", "Rescue teams used a cable car to move 120 people across the Indus by evening; the rest were housed in "
              "a school in Shigar."),
    ("debris", "Advertisement"),
    ("story", "“We have food for three days,” said Karim Baig, a hotel owner. “After that, we need the road.”"),
    ("", ""),
    ("subhead", "Repairs"),
    ("", ""),
    ("story", "The highways authority said a temporary steel bridge could be in place within a week, weather "
              "permitting, and asked drivers to share updates with its helpline @ 1-800-ROADS."),
    ("story", "Sign-ups for the authority’s newsletter of road closures rose fivefold overnight."),
    ("", ""),
    ("debris", "Related Articles"),
    ("debris", "Landslide blocks Karakoram Highway near Chilas"),
    ("debris", "Why is the glacier melting faster?"),
    ("", ""),
    ("debris", "Leave a Reply"),
    ("debris", "Please enter your comment!"),
    ("debris", "Please enter your name here"),
    ("debris", "You have entered an incorrect email address!"),
]


def _page() -> str:
    return "\n".join(text for _, text in PAGE) + "\n"


def test_every_story_word_is_kept_in_order() -> None:
    article = read(_page(), source="page.txt").article
    story = [text for role, text in PAGE if role in ("headline", "subhead", "story")]
    assert _story(article) == story
    assert " ".join(_story(article)).split() == " ".join(story).split()


def test_only_debris_is_dropped() -> None:
    reading = read(_page(), source="page.txt")
    debris = {n for n, (role, _) in enumerate(PAGE, 1) if role == "debris"}
    assert {d.line for d in reading.dropped} == debris
    roles = {n: role for n, (role, _) in enumerate(PAGE, 1)}
    assert {(i.line, i.role) for i in reading.inferred} == {
        (4, "headline"), (5, "byline"), (6, "published"), (10, "dateline"), (15, "subhead")}
    assert all(roles[i.line] != "debris" for i in reading.inferred)
    meta = reading.article.meta
    assert (meta.authors, meta.published, meta.dateline) == (("Amna Rauf",), dt.date(2024, 7, 2), "GILGIT")


def test_hard_wrapped_paragraphs_are_joined_with_single_spaces() -> None:
    path = FIXTURES / "hard-wrapped.txt"
    lines = load_text(path).split("\n")
    spans = [(7, 10), (12, 15), (17, 20), (22, 24), (30, 32)]  # the wrapped paragraphs, first and last line
    expected = [" ".join(lines[first - 1:last]) for first, last in spans]
    article = _read(path).article
    assert [_texts(b)[0] for b in article.blocks if isinstance(b, m.Paragraph)] == expected
    assert _kinds(article) == ["paragraph"] * 4 + ["heading", "paragraph"]


def test_lines_that_are_whole_units_stay_separate_paragraphs() -> None:
    text = ("Council votes to reopen the old bridge\n\nThe council voted 9-2 on Monday to reopen the bridge.\n"
            "Work will start in May.\nThe mayor abstained.\n")
    article = read(text, source="t.txt").article
    assert _story(article)[1:] == ["The council voted 9-2 on Monday to reopen the bridge.", "Work will start in May.",
                                   "The mayor abstained."]


def test_body_sentences_with_debris_words_are_kept() -> None:
    article = _read(FIXTURES / "words-like-debris.txt").article
    body = _story(article)
    for sentence in ("Share prices fell 3% in early trading.",
                     "Comments on the plan can be sent to the company until April 15.",
                     "Read more about the plan in the company’s annual report, Dahl said."):
        assert sentence in body
    assert any("subscribe to the newsletter" in text for text in body)
    assert any(text.startswith("Advertisement revenue") for text in body)


def test_wire_story_keeps_its_credit_line_and_reads_byline_date_and_dateline() -> None:
    article = _read(FIXTURES / "reuters-wire.txt").article
    meta = article.meta
    assert meta.headline == "Kyrgyzstan to fast-track visas for Pakistani textile workers after mob attack"
    assert meta.authors == ("Olzhas Amanov", "Saima Baig")
    assert meta.published == dt.datetime(2024, 6, 12, 10, 31, tzinfo=dt.timezone(dt.timedelta(hours=5)))
    assert (meta.dateline, meta.source) == ("BISHKEK", "Reuters")
    body = _story(article)[1:]
    assert body[0].startswith("BISHKEK, June 12 (Reuters) - Kyrgyzstan will")  # the dateline stays in the text
    assert body[-1] == "Reporting by Olzhas Amanov in Bishkek and Saima Baig in Islamabad; Editing by Mark Heinrich"
    assert meta.rights == "© 2024 Reuters. All rights reserved"


# --- metadata lines ------------------------------------------------------------------------------------------


def _meta_of(*header: str) -> m.Meta:
    text = "\n".join(["Kyiv reopens its central market", *header, "",
                      "The market reopened on Monday after repairs that took two years."])
    return read(text, source="h.txt").article.meta


@pytest.mark.parametrize(("line", "published", "updated"), [
    ("Published: June 12, 2024", dt.date(2024, 6, 12), None),
    ("12 June 2024", dt.date(2024, 6, 12), None),
    ("2024-06-12", dt.date(2024, 6, 12), None),
    ("Wednesday, June 12, 2024", dt.date(2024, 6, 12), None),
    ("Updated June 13, 2024 10:30 AM", None, dt.datetime(2024, 6, 13, 10, 30)),
    ("Last updated: 13 Jun 2024, 4:05 p.m. PKT", None, dt.datetime(2024, 6, 13, 16, 5)),
    ("Published June 12, 2024 Updated June 13, 2024", dt.date(2024, 6, 12), dt.date(2024, 6, 13)),
    ("2024-06-12T08:00:00Z", dt.datetime(2024, 6, 12, 8, tzinfo=dt.UTC), None),
])
def test_date_lines(line: str, published: m.Date | None, updated: m.Date | None) -> None:
    meta = _meta_of(line)
    assert (meta.published, meta.updated) == (published, updated)


@pytest.mark.parametrize(("line", "authors", "source"), [
    ("By Jane Doe", ("Jane Doe",), ""),
    ("By Jane Doe and John Roe", ("Jane Doe", "John Roe"), ""),
    ("BY JANE DOE, JOHN ROE AND ALI KHAN", ("JANE DOE", "JOHN ROE", "ALI KHAN"), ""),
    ("By Jane Doe in Kyiv", ("Jane Doe",), ""),
    ("By Jane Doe, Reuters", ("Jane Doe",), "Reuters"),
    ("Jane Doe | Reuters", ("Jane Doe",), "Reuters"),
    ("By Jane Doe | Kyiv Independent", ("Jane Doe",), "Kyiv Independent"),
    ("Staff Reporter", ("Staff Reporter",), ""),
])
def test_byline_lines(line: str, authors: tuple[str, ...], source: str) -> None:
    meta = _meta_of(line)
    assert (meta.authors, meta.source) == (authors, source)


def test_metadata_lines_are_reported_as_inferred_not_dropped() -> None:
    reading = read("Kyiv reopens its central market\nBy Jane Doe\nJune 12, 2024\n\nThe market reopened.\n",
                   source="h.txt")
    assert [(i.line, i.text, i.role) for i in reading.inferred] == [
        (1, "Kyiv reopens its central market", "headline"), (2, "By Jane Doe", "byline"),
        (3, "June 12, 2024", "published")]
    assert reading.dropped == ()


@pytest.mark.parametrize(("opening", "dateline"), [
    ("BISHKEK, June 12 (Reuters) - The talks ended.", "BISHKEK"),
    ("ISLAMABAD: The talks ended.", "ISLAMABAD"),
    ("NEW YORK (AP) — The talks ended.", "NEW YORK"),
    ("SAN JUAN, Puerto Rico (AP) — The talks ended.", "SAN JUAN, Puerto Rico"),
    ("BREAKING: The talks ended.", ""),
    ("The talks ended in Bishkek: no deal.", ""),
])
def test_dateline_is_read_but_the_paragraph_is_unchanged(opening: str, dateline: str) -> None:
    article = read(f"Talks end without a deal\n\n{opening}\n", source="d.txt").article
    assert article.meta.dateline == dateline
    assert _story(article)[1] == opening


def test_copyright_line_goes_to_rights_and_a_repeat_is_dropped() -> None:
    text = ("Harbour ferry returns\n\nThe ferry runs again from Monday.\n\n© 2024 Harbour Daily. All rights reserved.\n"
            "Copyright 2024 Harbour Daily\n")
    reading = read(text, source="c.txt")
    assert reading.article.meta.rights == "© 2024 Harbour Daily. All rights reserved."
    assert (5, "rights") in {(i.line, i.role) for i in reading.inferred}
    assert [(d.line, d.reason) for d in reading.dropped] == [(6, "copyright line")]


# --- lists, quotes, rules ------------------------------------------------------------------------------------


def test_bulleted_and_numbered_lists() -> None:
    article = _read(FIXTURES / "bulleted-list.txt").article
    bullets = next(b for b in article.blocks if isinstance(b, m.BulletList))
    numbered = next(b for b in article.blocks if isinstance(b, m.OrderedList))
    assert _texts(bullets) == ["Cooling tents at 12 major bus stops, open from 11 a.m. to 5 p.m.",
                               "Free oral rehydration salts at all government dispensaries",
                               "Extra ambulances on standby in Saddar, Korangi & Orangi Town"]
    assert numbered.start == 1 and len(numbered.items) == 3
    assert _texts(numbered)[0] == "Move the person to a cool, shaded place."
    assert "rule" in _kinds(article)


def test_numbered_list_keeps_its_start_and_a_lone_marker_line_stays_a_paragraph() -> None:
    text = ("Three more steps for the council\n\nThe council listed further steps on Monday.\n\n3. Widen the road.\n"
            "4. Light the underpass.\n\n- Reporting by Staff\n")
    article = read(text, source="l.txt").article
    assert [b.start for b in article.blocks if isinstance(b, m.OrderedList)] == [3]
    assert _story(article)[-1] == "- Reporting by Staff"


def test_whole_quoted_line_stays_a_paragraph_not_a_subhead() -> None:
    text = ("Fishermen return to the bay\n\nThe ban ended on Friday.\n\n“We are back”\n\n"
            "Boats left at dawn on Saturday.\n")
    article = read(text, source="q.txt").article
    assert _kinds(article) == ["paragraph", "paragraph", "paragraph"]
    assert _story(article)[2] == "“We are back”"


@pytest.mark.parametrize("rule", ["***", "---", "* * *"])
def test_rule_lines_become_rules_and_a_trailing_rule_is_dropped(rule: str) -> None:
    text = f"Bridge reopens\n\nThe bridge reopened today.\n{rule}\nTraffic was light.\n\n{rule}\n"
    reading = read(text, source="r.txt")
    assert _kinds(reading.article) == ["paragraph", "rule", "paragraph"]
    assert [(d.line, d.reason) for d in reading.dropped] == [(7, "rule at the edge of the story")]


def test_subhead_ending_in_a_question_mark() -> None:
    article = _read(FIXTURES / "question-subhead.txt").article
    assert [_texts(b)[0] for b in article.blocks if isinstance(b, m.Heading)] == [
        "What happens next?", "Why does it matter?"]


# --- language ------------------------------------------------------------------------------------------------

LANGUAGE_SAMPLES = {
    "ar": ("افتتاح محطة جديدة لتحلية المياه في العقبة",
           "أعلنت وزارة المياه الأردنية يوم الأربعاء افتتاح محطة جديدة لتحلية مياه البحر في مدينة العقبة."),
    "ur": ("کراچی میں نئی بس سروس کا آغاز", "شہر میں آج سے نئی بس سروس شروع کر دی گئی ہے۔"),
    "zh": ("上海开通首条无人驾驶地铁线路", "上海地铁公司周三表示，新线路全长二十公里，设有十二个车站。"),
    "ja": ("東京で新しい路面電車が開業", "東京都は水曜日、新しい路面電車の路線が来月から運行を始めると発表した。"),
    "ru": ("В Бишкеке открылся новый мост", "Мэрия Бишкека в среду открыла новый мост через реку Аламедин."),
}


@pytest.mark.parametrize("language", LANGUAGE_SAMPLES)
def test_language_is_guessed_from_a_non_latin_script_and_reported(language: str) -> None:
    headline, paragraph = LANGUAGE_SAMPLES[language]
    reading = read(f"Home › World\n\n{headline}\n\n{paragraph}\n", source="lang.txt")
    assert reading.article.meta.language == language
    assert (3, "language") in {(i.line, i.role) for i in reading.inferred}
    assert _story(reading.article) == [headline, paragraph]


def test_urdu_fixture_is_urdu_and_english_text_stays_english() -> None:
    assert _read(FIXTURES / "urdu.txt").article.meta.language == "ur"
    reading = _read(FIXTURES / "cookie-share-breadcrumbs.txt")
    assert reading.article.meta.language == "en"
    assert "language" not in {i.role for i in reading.inferred}


# --- errors --------------------------------------------------------------------------------------------------


def test_debris_only_input_is_refused_naming_the_source() -> None:
    page = "back to top\nHome › World\nShare\nFacebook\nAdvertisement\nRelated Articles\nPlease enter your comment!\n"
    with pytest.raises(InputError) as caught:
        read(page, source="debris.txt")
    assert caught.value.path == "debris.txt"
    assert str(caught.value).startswith("debris.txt: no story found: every line looks like page debris")


def test_text_without_a_headline_takes_its_first_line_and_warns(caplog: pytest.LogCaptureFixture) -> None:
    prose = ("The talks ended without a deal on Friday, officials said.\n\n"
             "Both sides said they would meet again next month in Geneva.\n")
    reading = read(prose, source="prose.txt")
    assert _story(reading.article) == ["The talks ended without a deal on Friday, officials said.",
                                       "Both sides said they would meet again next month in Geneva."]
    assert [r.getMessage() for r in caplog.records] == [
        "prose.txt:1: no headline found (no short line is followed by body text); the first line is taken as "
        "the headline: “The talks ended without a deal on Friday, officials said.”"]


def test_a_title_with_no_body_after_it_is_the_headline_and_nothing_is_refused(
        caplog: pytest.LogCaptureFixture) -> None:
    reading = read("Talks end without a deal\n\nShare\nRelated Articles\n", source="title.txt")
    assert reading.article.meta.headline == "Talks end without a deal"
    assert reading.article.blocks == ()
    assert [(d.line, d.reason) for d in reading.dropped] == [(3, "share buttons"), (4, "related-articles block")]
    assert "title.txt:1: no headline found" in caplog.text


# --- headlines chosen with evidence, and nothing lost ---------------------------------------------------------


def _dropped(reading: Reading) -> dict[int, str]:
    return {d.line: d.reason for d in reading.dropped}


def test_an_image_file_name_under_the_headline_does_not_stop_it() -> None:
    reading = _read(FIXTURES / "headline-then-image-file-name.txt")
    meta = reading.article.meta
    assert (meta.headline, meta.authors) == ("Harbour cranes return to Port Qasim after a year of repairs",
                                             ("Sana Iqbal",))
    assert _dropped(reading)[5] == _dropped(reading)[12] == "image file name"  # IMG_4127.JPG, harbour-crane-night.jpeg
    assert len(_story(reading.article)) == 4


def test_a_headline_ending_in_an_exclamation_mark_beats_a_shopping_line() -> None:
    reading = _read(FIXTURES / "exclaimed-headline-and-gift-card.txt")
    assert reading.article.meta.headline == "The night market is back!"
    assert reading.article.meta.dek == ""
    dropped = _dropped(reading)
    assert [dropped[n] for n in (2, 5, 6, 14, 16, 17)] == [
        "commerce or promotion", "advertisement", "commerce or promotion", "related-article link",
        "commerce or promotion", "commerce or promotion"]
    assert "Is it worth the queue?" in _story(reading.article)


def test_a_copyright_line_is_only_the_rights_line() -> None:
    reading = _read(FIXTURES / "copyright-line.txt")
    rights = "Copyright © 2024 The Island Courier. All rights reserved."
    assert reading.article.meta.rights == rights
    assert not any("Copyright" in text or "rights reserved" in text for text in _story(reading.article))


def test_an_authors_name_over_a_bio_at_the_end_is_not_the_headline() -> None:
    reading = _read(FIXTURES / "bio-at-the-end.txt")
    story = _story(reading.article)
    assert story[0] == "County fire crews contain the Ridge fire after a week on the hills above Glendale"
    assert story[1].startswith("Firefighters stopped the Ridge fire") and story[-1].startswith("Daniel Reyes covers")
    assert {_dropped(reading)[n] for n in range(1, 4)} == {"page widget"}  # Image 1 of 23, + (BUTTON), (BUTTON) Close


def test_widgets_link_markers_and_the_reference_list_of_a_lynx_dump_are_debris() -> None:
    reading = _read(FIXTURES / "lynx-dump-widgets.txt")
    meta = reading.article.meta
    assert (meta.headline, meta.authors, meta.published) == (
        "Library extends opening hours for the exam season", ("Priya Raman",), dt.date(2024, 6, 3))
    dropped = _dropped(reading)
    assert dropped[1] == "link header of a text dump" and dropped[9] == "page decoration"  # [IMG]
    assert [dropped[n] for n in (23, 24, 26, 28)] == ["page widget", "page widget", "link list of a text dump",
                                                      "link list of a text dump"]
    assert _kinds(reading.article) == ["paragraph", "paragraph"]


def test_story_above_the_headline_is_kept_not_dropped() -> None:
    reading = _read(FIXTURES / "story-above-headline.txt")
    story = _story(reading.article)
    assert story[1].startswith("The water board said on Thursday")
    assert story[2].startswith("Officials warned")
    assert story[3].startswith("Farmers in the valley")
    assert "before the headline" not in {_dropped(reading).get(n) for n in (4, 6)}


@pytest.mark.parametrize(("line", "reason"), [
    ("Image 1 of 23", "page widget"), ("+ (BUTTON)", "page widget"), ("(BUTTON)", "page widget"),
    ("Share this on WhatsApp", "page widget"), ("Read Later", "page widget"), ("[12]", "page decoration"),
    ("* [4]Home", "navigation"), ("[IMG]", "page decoration"),
    ("ADD TO CART: US$25 Market Gift Card", "commerce or promotion"), ("Shop now", "commerce or promotion"),
    ("Sponsored", "advertisement"), ("Read more: Ten markets to visit", "related-article link"),
    ("photo.JPG", "image file name"), ("IMG_1234.jpeg", "image file name"),
    ("Don't have an account?", "paywall prompt"),
])
def test_widget_commerce_and_file_name_lines_are_debris(line: str, reason: str) -> None:
    page = f"Market reopens after three years\n{line}\n\nThe riverside market reopened on Friday with 120 stalls.\n"
    reading = read(page, source="w.txt")
    assert reading.article.meta.headline == "Market reopens after three years"
    assert [(d.line, d.reason) for d in reading.dropped] == [(2, reason)]


def test_a_language_row_applies_only_on_pages_in_that_language() -> None:
    japanese = ("東京で新しい路面電車が開業\nこのニュースをシェア\n\n"
                "東京都は水曜日、新しい路面電車の路線が来月から運行を始めると発表した。\n")
    assert [d.reason for d in read(japanese, source="ja.txt").dropped] == ["share buttons"]
    english = ("Tram line opens in Tokyo\nこのニュースをシェア\n\n"
               "The city said on Wednesday the new tram line opens next month.\n")
    assert "このニュースをシェア" in _story(read(english, source="en.txt").article)


def test_a_footer_line_above_most_of_the_story_does_not_end_it() -> None:
    paragraph = "The council voted on Monday to keep the night buses running through the winter, {}."
    page = "\n\n".join(["Night buses will run all winter", paragraph.format("officials said"), "Privacy Policy",
                        *(paragraph.format(f"the {n}th speaker said") for n in range(4, 8))])
    reading = read(page, source="f.txt")
    assert len(_story(reading.article)) == 6
    assert [(d.line, d.reason) for d in reading.dropped] == [(5, "footer links")]


def test_warns_when_more_long_sentences_are_dropped_than_kept(caplog: pytest.LogCaptureFixture) -> None:
    banner = ("This website uses cookies to improve your experience, to show you personalised content and to "
              "measure how our pages are used by readers.")
    page = f"Bridge reopens\n\nThe bridge reopened today.\n\n{banner}\n\n{banner}\n"
    reading = read(page, source="cookies.txt")
    assert _story(reading.article) == ["Bridge reopens", "The bridge reopened today."]
    assert [r.getMessage() for r in caplog.records] == [
        "cookies.txt: more story-like text was dropped (46 words) than kept (4 words); the headline taken is "
        "“Bridge reopens”: see `publish inspect` for what was dropped"]


def test_a_headline_matching_the_pasted_page_title_wins_and_the_title_line_is_reported() -> None:
    page = ("Council approves new tram line to the airport | Valley News\n\nMost read\n\nTeachers win pay rise\n\n"
            "Teachers in the valley will get a 6 percent rise from April after a two-week strike, the union said.\n\n"
            "Council approves new tram line to the airport\n\n"
            "The council approved the airport tram line on Monday by 31 votes to 12, ending a decade of debate.\n\n"
            "Work will start next spring and the line should open in 2029, officials said.\n")
    reading = read(page, source="title.txt")
    assert reading.article.meta.headline == "Council approves new tram line to the airport"
    assert {(d.line, d.reason) for d in reading.dropped} >= {(1, "page title")}
    story = _story(reading.article)
    assert story[1].startswith("Teachers in the valley")  # a long sentence above the headline is kept
    assert story[-1] == "Work will start next spring and the line should open in 2029, officials said."


def test_a_story_without_a_headline_and_a_bio_at_the_end_loses_nothing(caplog: pytest.LogCaptureFixture) -> None:
    paragraphs = [f"The school board met on {day} and voted to keep the library open on weekends through the summer, "
                  "after parents collected more than 2,000 signatures." for day in ("Monday", "Tuesday", "Friday")]
    page = "\n\n".join([*paragraphs, "Ana Ruiz",
                        "Ana Ruiz covers education for the Metro desk. She joined the paper in 2020."]) + "\n"
    reading = read(page, source="bio.txt")
    assert reading.article.meta.headline != "Ana Ruiz"
    words = " ".join(_story(reading.article)).split()
    assert words == page.split()  # every word kept, in order
    assert "no headline found" in caplog.text
