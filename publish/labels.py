"""The words the outputs print around an article (By, Updated, Page 2 of 5) and its dates, in its language."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Labels:
    """The furniture around an article in one language; {names}, {page}, {pages}... are filled in."""

    language: str
    """The primary language subtag these are for ("en", "ur")."""
    byline: str
    """The byline: "By {names}"."""
    and_: str
    """Between the last two names: " and "."""
    comma: str
    """Between other names: ", "."""
    updated: str
    """Before the time of the last update: "Updated"."""
    updated_note: str
    """The same inside a sentence, after the publication date: "updated"."""
    page_of_pages: str
    """A page number with the page count: "Page {page} of {pages}"."""
    original: str
    """Before the link to the story's original web page: "Original:"."""
    months: tuple[str, ...]
    """The months' names, January first."""
    date: str
    """A date: "{day} {month} {year}"; {month_number} is the month as a number."""
    date_time: str
    """A date with a time of day: "{date}, {time}"."""
    contents: str = "Contents"
    """The title of a table of contents (an e-book's navigation page)."""

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

    def page_parts(self, folio: str = "page-of-pages") -> list[str]:
        """The page-number text split into literal pieces and the markers "{page}" and "{pages}", in order."""
        if folio == "none":
            return []
        pattern = "{page}" if folio == "page" else self.page_of_pages
        return [piece for piece in re.split(r"(\{pages?\})", pattern) if piece]


ENGLISH = Labels(
    language="en", byline="By {names}", and_=" and ", comma=", ", updated="Updated", updated_note="updated",
    page_of_pages="Page {page} of {pages}", original="Original:",
    months=("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
            "November", "December"),
    date="{day} {month} {year}", date_time="{date}, {time}",
)

_ARABIC_SCRIPT: dict[str, Any] = {"comma": "، ", "date": "{day} {month} {year}", "date_time": "{date}، {time}"}
_CJK_DATE: dict[str, Any] = {"date": "{year}年{month_number}月{day}日", "date_time": "{date} {time}", "comma": "、",
                             "and_": "、"}

LABELS: dict[str, Labels] = {label.language: label for label in (
    ENGLISH,
    dataclasses.replace(
        ENGLISH, language="ur", byline="تحریر: {names}", and_=" اور ", updated="تازہ ترین", updated_note="تازہ ترین",
        page_of_pages="صفحہ {page} از {pages}", original="اصل خبر:",
        months=("جنوری", "فروری", "مارچ", "اپریل", "مئی", "جون", "جولائی", "اگست", "ستمبر", "اکتوبر", "نومبر",
                "دسمبر"), **_ARABIC_SCRIPT),
    dataclasses.replace(
        ENGLISH, language="ar", byline="بقلم {names}", and_=" و", updated="آخر تحديث", updated_note="آخر تحديث",
        page_of_pages="صفحة {page} من {pages}", original="المصدر:",
        months=("يناير", "فبراير", "مارس", "أبريل", "مايو", "يونيو", "يوليو", "أغسطس", "سبتمبر", "أكتوبر", "نوفمبر",
                "ديسمبر"), **_ARABIC_SCRIPT),
    dataclasses.replace(
        ENGLISH, language="fa", byline="نوشتهٔ {names}", and_=" و ", updated="به‌روزرسانی",
        updated_note="به‌روزرسانی", page_of_pages="صفحهٔ {page} از {pages}", original="منبع:",
        months=("ژانویه", "فوریه", "مارس", "آوریل", "مه", "ژوئن", "ژوئیه", "اوت", "سپتامبر", "اکتبر", "نوامبر",
                "دسامبر"), **_ARABIC_SCRIPT),
    dataclasses.replace(
        ENGLISH, language="he", byline="מאת {names}", and_=" ו", updated="עודכן", updated_note="עודכן",
        page_of_pages="עמוד {page} מתוך {pages}", original="מקור:", date="{day} ב{month} {year}",
        months=("ינואר", "פברואר", "מרץ", "אפריל", "מאי", "יוני", "יולי", "אוגוסט", "ספטמבר", "אוקטובר", "נובמבר",
                "דצמבר")),
    dataclasses.replace(
        ENGLISH, language="ja", byline="文・{names}", updated="更新", updated_note="更新",
        page_of_pages="{page} / {pages}", original="元記事：", **_CJK_DATE),
    dataclasses.replace(
        ENGLISH, language="zh", byline="作者：{names}", updated="更新于", updated_note="更新于",
        page_of_pages="第 {page} 页，共 {pages} 页", original="原文：", **_CJK_DATE),
    dataclasses.replace(
        ENGLISH, language="ko", byline="글: {names}", and_=", ", updated="수정", updated_note="수정",
        page_of_pages="{page} / {pages}", original="원문:", date="{year}년 {month_number}월 {day}일",
        date_time="{date} {time}"),
    dataclasses.replace(
        ENGLISH, language="fr", byline="Par {names}", and_=" et ", updated="Mis à jour le",
        updated_note="mis à jour le",
        page_of_pages="Page {page} sur {pages}", original="Article original :", date_time="{date} à {time}",
        months=("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
                "novembre", "décembre")),
    dataclasses.replace(
        ENGLISH, language="de", byline="Von {names}", and_=" und ", updated="Aktualisiert am",
        updated_note="aktualisiert am", page_of_pages="Seite {page} von {pages}", original="Original:",
        date="{day}. {month} {year}",
        date_time="{date}, {time} Uhr",
        months=("Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September", "Oktober",
                "November", "Dezember")),
    dataclasses.replace(
        ENGLISH, language="es", byline="Por {names}", and_=" y ", updated="Actualizado el",
        updated_note="actualizado el", page_of_pages="Página {page} de {pages}", date="{day} de {month} de {year}",
        months=("enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre", "octubre",
                "noviembre", "diciembre")),
)}
CONTENTS = {"ur": "فہرست", "ar": "المحتويات", "fa": "فهرست مطالب", "he": "תוכן העניינים", "ja": "目次", "zh": "目录",
            "ko": "목차", "fr": "Sommaire", "de": "Inhalt", "es": "Índice"}
"""The title of a table of contents, by language (English's is the default)."""
LABELS = {tag: dataclasses.replace(label, contents=CONTENTS.get(tag, label.contents)) for tag, label in LABELS.items()}
TRADITIONAL_CHINESE = dataclasses.replace(LABELS["zh"], language="zh-Hant", updated="更新於", updated_note="更新於",
                                          page_of_pages="第 {page} 頁，共 {pages} 頁", contents="目錄")


def labels_for(language: str) -> Labels:
    """The labels for a BCP 47 language tag (by its primary subtag; Traditional Chinese apart), English if unknown."""
    tag = language.lower()
    if tag.startswith("zh-") and any(part in tag.split("-") for part in ("hant", "tw", "hk", "mo")):
        return TRADITIONAL_CHINESE
    return LABELS.get(tag.split("-")[0], ENGLISH)


LETTERHEAD_LABELS: dict[str, dict[str, str]] = {
    "press brief": {"ur": "پریس بریف", "ar": "موجز صحفي", "fa": "خلاصهٔ خبری", "he": "תדריך לעיתונות",
                    "ja": "報道資料", "zh": "新闻简报", "zh-Hant": "新聞簡報", "ko": "보도자료", "fr": "Note de presse",
                    "de": "Presseinformation", "es": "Nota de prensa"},
    "press release": {"ur": "پریس ریلیز", "ar": "بيان صحفي", "fa": "بیانیهٔ مطبوعاتی", "he": "הודעה לעיתונות",
                      "ja": "プレスリリース", "zh": "新闻稿", "zh-Hant": "新聞稿", "ko": "보도자료",
                      "fr": "Communiqué de presse", "de": "Pressemitteilung", "es": "Comunicado de prensa"},
}
"""The letterhead labels a theme may name in English, in the other languages publish has labels for."""


def letterhead_label(label: str, language: str) -> str:
    """A theme's letterhead label ("Press brief") in the article's language where it is a known one, else as the
    theme gives it."""
    known = LETTERHEAD_LABELS.get(" ".join(label.split()).casefold())
    if not known:
        return label
    code = labels_for(language).language
    return known.get(code, known.get(code.split("-")[0], label))
