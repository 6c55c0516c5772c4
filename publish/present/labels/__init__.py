"""The words the outputs print around an article (By, Updated, Contents, Page 2 of 5) and its dates, in its
language: one TOML file per language in this folder (en.toml, ur.toml...), so adding a language is adding a file.

A theme may carry its own tables in a `labels/` folder beside its theme.toml; those are looked up first.
"""

from __future__ import annotations

import datetime as dt
import functools
import importlib.resources
import re
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from publish.errors import PublishError

FALLBACK = "en"
"""The table used for a language without one."""


@dataclass(frozen=True, slots=True)
class Labels:
    """The furniture around an article in one language; {names}, {page}, {pages}... are filled in."""

    language: str
    """The language tag these are for ("en", "ur", "zh-Hant"), as the file is named."""
    byline: str
    """The byline: "By {names}"."""
    and_: str
    """Between the last two names: " and "."""
    comma: str
    """Between other names: ", "."""
    updated: str
    """Before the time of the last update: "Updated"."""
    page_of_pages: str
    """A page number with the page count: "Page {page} of {pages}"."""
    original: str
    """Before the link to the story's original web page: "Original:"."""
    contents: str
    """The title of a collection's contents: "Contents"."""
    separator: str
    """Between the parts of a dateline (place, date, update): " · "."""
    months: tuple[str, ...]
    """The months' names, January first."""
    date: str
    """A date: "{day} {month} {year}"; {month_number} is the month as a number."""
    date_time: str
    """A date with a time of day: "{date}, {time}"."""
    embargo: str
    """A press release's embargo banner: "Embargoed until {date}" ({date} holds the time and its zone)."""
    contacts: str
    """The title of the media contacts block: "Media contacts"."""
    notes_to_editors: str
    """The title of the notes after a press release: "Notes to editors"."""
    correction: str
    """Before a correction's text: "Correction, {date}:"."""
    ends: str
    """The end mark after a press release, as the language writes it: "ENDS"."""
    terms: Mapping[str, str] = field(default_factory=dict)
    """Words a theme names by key, such as its letterhead label "press_brief" ("Press brief")."""

    def names(self, authors: Sequence[str]) -> str:
        """"A", "A and B", "A, B and C"."""
        if len(authors) <= 1:
            return "".join(authors)
        return self.comma.join(authors[:-1]) + self.and_ + authors[-1]

    def byline_text(self, authors: Sequence[str]) -> str:
        """The whole byline as plain text; empty without authors."""
        return self.byline.format(names=self.names(authors)) if authors else ""

    def byline_parts(self) -> tuple[str, str]:
        """What comes before and after the names in a byline (templates put each name in its own element)."""
        before, _, after = self.byline.partition("{names}")
        return before, after

    def date_text(self, value: dt.date | None) -> str:
        """A date as a reader of the language expects it, with the time of day when there is one."""
        if value is None:
            return ""
        text = self.date.format(day=value.day, month=self.months[value.month - 1], month_number=value.month,
                                year=value.year)
        if isinstance(value, dt.datetime):
            text = self.date_time.format(date=text, time=f"{value:%H:%M}")
        return text

    def moment_text(self, value: dt.datetime) -> str:
        """A moment with its time zone, as written ("12 June 2024, 06:00 UTC+5"): an embargo's."""
        offset = value.utcoffset()
        zone = ""
        if offset is not None:
            minutes = round(offset.total_seconds() / 60)
            hours, rest = divmod(abs(minutes), 60)
            sign = "+" if minutes > 0 else "-"
            zone = "UTC" if not minutes else f"UTC{sign}{hours}" + (f":{rest:02d}" if rest else "")
        return self.date_time.format(date=self.date_text(value.date()), time=f"{value:%H:%M} {zone}".strip())

    def term(self, key: str) -> str:
        """A theme's word by its key in this language; a key the tables do not know is printed as written."""
        return self.terms.get(key, key)

    def page_parts(self, folio: str = "page-of-pages") -> list[str]:
        """The page-number text split into literal pieces and the markers "{page}" and "{pages}", in order."""
        if folio == "none":
            return []
        pattern = "{page}" if folio == "page" else self.page_of_pages
        return [piece for piece in re.split(r"(\{pages?\})", pattern) if piece]


_KEYS = {f.name.rstrip("_"): f.name for f in fields(Labels)}


def builtin_folder() -> Path:
    """The folder of the label tables shipped with publish."""
    return Path(str(importlib.resources.files("publish.present.labels")))


def load(path: Path) -> Labels:
    """One label table from its TOML file; a missing or unknown key is a PublishError naming the file."""
    try:
        data: dict[str, Any] = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise PublishError(f"cannot read the label table: {exc}", path=path) from None
    except tomllib.TOMLDecodeError as exc:  # "... (at line 3, column 21)": the line goes where every error puts it
        where = re.search(r" \(at line (\d+), column \d+\)$", str(exc))
        message = str(exc)[:where.start()] if where else str(exc)
        raise PublishError(f"label table is not valid TOML: {message}", path=path,
                           line=int(where[1]) if where else None) from None
    unknown = sorted(set(data) - set(_KEYS))
    missing = sorted(set(_KEYS) - set(data) - {"terms"})
    if unknown or missing:
        problem = f"unknown key {unknown[0]!r}" if unknown else f"missing key {missing[0]!r}"
        raise PublishError(f"label table: {problem}; a table has {', '.join(sorted(_KEYS))}", path=path)
    wrong = sorted(key for key, value in data.items() if key not in ("months", "terms") and not isinstance(value, str))
    if wrong:
        raise PublishError(f"label table: {wrong[0]} must be text in quotes, not {type(data[wrong[0]]).__name__}",
                           path=path)
    months = data["months"]
    if not isinstance(months, list) or len(months) != 12 or not all(isinstance(m, str) for m in months):
        raise PublishError("label table: months lists the twelve months' names in quotes, January first", path=path)
    terms = data.get("terms", {})
    if not isinstance(terms, dict) or not all(isinstance(v, str) for v in terms.values()):
        raise PublishError("label table: [terms] holds words in quotes, such as press_brief = \"Press brief\"",
                           path=path)
    values = {_KEYS[key]: value for key, value in data.items()}
    values["months"] = tuple(months)
    return Labels(**values)


def _candidates(language: str) -> list[str]:
    """File names to try for a BCP 47 tag, most specific first: Traditional Chinese is zh-Hant."""
    tag = language.lower()
    primary = tag.split("-")[0]
    if primary == "zh" and any(part in tag.split("-") for part in ("hant", "tw", "hk", "mo")):
        return ["zh-Hant", primary]
    return [primary] if primary == tag else [language, primary]


@functools.lru_cache(maxsize=64)
def _labels_for(language: str, folders: tuple[Path, ...]) -> Labels:
    for name in [*_candidates(language), FALLBACK]:
        for folder in (*folders, builtin_folder()):
            path = folder / f"{name}.toml"
            if path.is_file():
                return load(path)
    raise AssertionError("the built-in English label table is missing")  # pragma: no cover


def labels_for(language: str, folders: Iterable[Path] = ()) -> Labels:
    """The labels for a BCP 47 language tag (by its primary subtag; Traditional Chinese apart), English if unknown.
    `folders` (a theme's `labels/` folders) are searched before the built-in tables."""
    return _labels_for(language, tuple(folders))


def letterhead_label(label: str, language: str, folders: Iterable[Path] = ()) -> str:
    """A theme's letterhead label in the article's language: a key of the tables' [terms] ("press_brief"), or the
    English words of one ("Press brief"); any other label is printed as the theme gives it."""
    key = "_".join(label.casefold().split())
    labels = labels_for(language, folders)
    if key in labels.terms:
        return labels.terms[key]
    return label
