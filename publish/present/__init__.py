"""The presentation layer: everything printed around the story (byline, dateline, dates, Updated, Contents, the
letterhead's label, the original-URL line, contents entries) computed once per article and language from the
label tables, so that every backend, the templates and the DOCX alike, prints the same values."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

from publish import model
from publish.present.labels import Labels, labels_for
from publish.present.theme import Theme


def builtin_templates_dir() -> Path:
    """The folder of templates shipped with publish."""
    import importlib.resources

    return Path(str(importlib.resources.files("publish.templates")))


@dataclass(frozen=True, slots=True)
class DatelinePart:
    """One part of a dateline: the place, the publication date, or the update with its label."""

    kind: str
    """"place", "published" or "updated" (the HTML class of its element)."""
    text: str
    """The place, or the date as the language writes it."""
    label: str = ""
    """Printed before the text ("Updated"); empty for none."""
    value: model.Date | None = None
    """The date itself (for a machine-readable datetime), None for the place."""

    @property
    def full(self) -> str:
        """The part as read: label and text."""
        return f"{self.label} {self.text}" if self.label else self.text


@dataclass(frozen=True, slots=True)
class CorrectionLine:
    """One correction at an article's foot: its label with the date, then its text."""

    label: str
    """"Correction, 13 June 2024:"."""
    text: str
    """What was corrected."""
    value: model.Date
    """The correction's date (for a machine-readable datetime)."""


@dataclass(frozen=True, slots=True)
class PressFurniture:
    """What a press office adds around a story, in its language: every format prints these values."""

    embargo: str = ""
    """The banner: "Embargoed until 12 June 2024, 06:00 UTC+5"; empty without an embargo."""
    ends: str = ""
    """The end mark after the story ("ENDS", "###"); empty for none, or when the article is not a press release."""
    notes_title: str = ""
    """The notes to editors' title; empty without notes."""
    contacts_title: str = ""
    """The media contacts' title; empty without contacts."""
    corrections: tuple[CorrectionLine, ...] = ()
    """The corrections, oldest first."""


@dataclass(frozen=True, slots=True)
class Furniture:
    """What is printed around one article, in its language."""

    labels: Labels
    """The article language's label table (for what a template prints piece by piece, such as byline names)."""
    byline: str
    """"By A and B"; empty without authors."""
    dateline: tuple[DatelinePart, ...]
    """Place, publication date and update, those there are, in reading order."""
    date: str
    """The publication date (else the update's) as the language writes it: the letterhead's and a running head's."""
    original: str
    """Before the link to the original web page: "Original:"."""
    contents_entry: str
    """The article in a contents list: "Headline — By A"."""
    press: PressFurniture = dataclasses.field(default_factory=lambda: PressFurniture())
    """A press release's furniture: embargo banner, end mark, notes and contacts titles, corrections."""

    @property
    def dateline_text(self) -> str:
        """The dateline as one line, exactly as every format prints it: "KARACHI · 12 June 2024 · Updated …"."""
        return self.labels.separator.join(part.full for part in self.dateline)


@dataclass(frozen=True, slots=True)
class CollectionFurniture:
    """What is printed around a collection, in its language."""

    labels: Labels
    """The collection language's label table."""
    contents: str
    """The contents' title: "Contents"."""
    edition: str
    """The edition's date as the language writes it; empty without one."""
    articles: tuple[Furniture, ...]
    """Each article's furniture, in reading order."""


@dataclass(frozen=True, slots=True)
class Spacing:
    """Spacing ratios in ems of the text they apply to, for every format: the CSS writes them as ems, the DOCX
    multiplies them by the theme's type sizes. One place, so the print and the Word file keep the same rhythm."""

    paragraph: float = 0.7
    """Space after a body paragraph or list (when paragraphs are not indented)."""
    indent: float = 1.3
    """A first-line indent (indented paragraphs) and a quote attribution's indent."""
    dek_line_height: float = 1.3
    """The dek's line height."""
    subhead_after: float = 0.4
    """Space after a subhead."""
    letterhead_logo_mm: float = 13.0
    """The letterhead logo's height, in millimetres."""
    letterhead_publisher: float = 0.62
    """The letterhead's publisher name (shown without a logo), as a share of the headline's size."""
    figure_height_mm: float = 85.0
    """The tallest a figure's image is set on paper (the PDF and the Word file), in millimetres: a figure that does not
    fit below the text moves to the next page and leaves at most about this much of the page empty."""


SPACING = Spacing()
"""The spacing every format uses."""


def label_folders(theme: Theme | None) -> tuple[Path, ...]:
    """Where a theme's own label tables are: a `labels/` folder beside its templates, nearest first."""
    if theme is None:
        return ()
    return tuple(folder / "labels" for folder in theme.template_path if (folder / "labels").is_dir())


def label_table(language: str, theme: Theme | None = None) -> Labels:
    """The label table for a language, the theme's own tables first."""
    return labels_for(language, label_folders(theme))


def article(meta: model.Meta, theme: Theme | None = None, *, lede_has_place: bool = False) -> Furniture:
    """The furniture of one article, from its metadata and the label table of its language. When the story's lede
    already opens with the dateline's place ("KARACHI — ...", `text.lede_has_dateline`), the dateline leaves the
    place out, so that no reader meets it twice."""
    table = label_table(meta.language, theme)
    parts: list[DatelinePart] = []
    if meta.dateline and not lede_has_place:
        parts.append(DatelinePart("place", meta.dateline))
    if meta.published is not None:
        parts.append(DatelinePart("published", table.date_text(meta.published), value=meta.published))
    if meta.updated is not None:
        parts.append(DatelinePart("updated", table.date_text(meta.updated), table.updated, meta.updated))
    byline = table.byline_text(meta.authors)
    return Furniture(
        labels=table, byline=byline, dateline=tuple(parts),
        date=table.date_text(meta.published or meta.updated), original=table.original,
        contents_entry=f"{meta.headline} — {byline}" if byline else meta.headline,
        press=press(meta, table, theme),
    )


def press(meta: model.Meta, table: Labels, theme: Theme | None = None) -> PressFurniture:
    """A press release's furniture: the embargo banner, the end mark (the article's own, else the theme's; printed
    only after a press release's story), the titles of the notes and contacts, and each correction's label."""
    return PressFurniture(
        embargo=table.embargo.format(date=table.moment_text(meta.embargo)) if meta.embargo else "",
        ends=end_mark(meta.ends or (theme.brand.ends if theme is not None else "ends"), table)
        if meta.is_press_release else "",
        notes_title=table.notes_to_editors if meta.notes_to_editors else "",
        contacts_title=table.contacts if meta.contacts else "",
        corrections=tuple(CorrectionLine(table.correction.format(date=table.date_text(c.date)), c.text, c.date)
                          for c in meta.corrections),
    )


def end_mark(choice: str, table: Labels) -> str:
    """An end mark as printed: "ends" is the language's word ("ENDS", "ختم"), "none" is none, and anything else
    ("###", "— 30 —") is printed as written."""
    key = choice.strip().casefold()
    if key == "ends":
        return table.ends
    return "" if key in ("none", "") else choice.strip()


def collection(document: model.Collection, theme: Theme | None = None) -> CollectionFurniture:
    """The furniture of a collection and of each of its articles."""
    table = label_table(document.language, theme)
    return CollectionFurniture(labels=table, contents=table.contents, edition=table.date_text(document.edition),
                               articles=tuple(article(a.meta, theme) for a in document.articles))


def letterhead_label(key: str, language: str, theme: Theme | None = None) -> str:
    """A theme's letterhead label in the language: a key of the tables' [terms] ("press_brief"), else as written."""
    return label_table(language, theme).term(key) if key else ""

