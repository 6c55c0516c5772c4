"""Reproducible builds: the one moment an output may record (the article's date or SOURCE_DATE_EPOCH), never now."""

from __future__ import annotations

import datetime as dt
import os
from typing import assert_never

from publish import model
from publish.errors import RenderError

ENV = "SOURCE_DATE_EPOCH"
"""The reproducible-builds.org variable: seconds since 1970, the time a build stamps instead of now."""


EARLIEST_EPOCH = -62_135_596_800
"""0001-01-01 00:00:00 UTC, the first second a date can hold."""
LATEST_EPOCH = 253_402_300_799
"""9999-12-31 23:59:59 UTC, the last second a date can hold."""
ZIP_FIRST = dt.datetime(1980, 1, 1, tzinfo=dt.UTC)
"""The earliest time a ZIP entry (DOCX, EPUB) can record: MS-DOS dates start in 1980."""
ZIP_LAST = dt.datetime(2107, 12, 31, 23, 59, 58, tzinfo=dt.UTC)
"""The latest: MS-DOS dates end in 2107 (and count seconds in twos)."""


def source_date_epoch() -> dt.datetime | None:
    """SOURCE_DATE_EPOCH as a UTC time, None when unset; RenderError naming the variable when it is not a whole
    number of seconds or lies outside the years 1 to 9999."""
    raw = os.environ.get(ENV, "").strip()
    if not raw:
        return None
    if not raw.isascii() or not raw.lstrip("-").isdigit():
        raise RenderError(f"{ENV}={raw[:40]!r} is not a whole number of seconds since 1970")
    if len(raw) > len(str(EARLIEST_EPOCH)) or not EARLIEST_EPOCH <= int(raw) <= LATEST_EPOCH:
        shown = raw if len(raw) <= 40 else f"{raw[:20]}… ({len(raw):,} digits)"
        raise RenderError(f"{ENV}={shown} is out of range: give seconds since 1970, from {EARLIEST_EPOCH} to "
                          f"{LATEST_EPOCH} (the years 1 to 9999)")
    return dt.datetime.fromtimestamp(int(raw), dt.UTC)


def zip_date_time(moment: dt.datetime) -> tuple[int, int, int, int, int, int]:
    """A ZIP entry's date_time for `moment`, brought into the years ZIP can record (1980 to 2107): a DOCX or EPUB
    dated 2108 or 1970 keeps that date in its metadata; only its entries' times are clamped."""
    when = min(max(utc(moment), ZIP_FIRST), ZIP_LAST)
    return (when.year, when.month, when.day, when.hour, when.minute, when.second)


def moment(stamp: model.Date | None) -> dt.datetime:
    """The time an output records, in UTC to the second: `stamp` (the document's own date) when given, else
    SOURCE_DATE_EPOCH, else now."""
    epoch = source_date_epoch()  # checked even when unused, so every format refuses a broken one alike
    if stamp is not None:
        return utc(stamp)
    return epoch or dt.datetime.now(dt.UTC).replace(microsecond=0)


def document_date(document: model.Document) -> model.Date | None:
    """The latest date the document itself carries: an article's update or publication, a collection's edition
    or else its newest article's."""
    match document:
        case model.Article():
            return document.meta.updated or document.meta.published
        case model.Collection():
            if document.edition is not None:
                return document.edition
            dates = [d for a in document.articles for d in (a.meta.updated, a.meta.published) if d is not None]
            return max(dates, key=utc) if dates else None
        case _:
            assert_never(document)


def utc(value: model.Date) -> dt.datetime:
    """A date or time as a UTC time to the second: a date alone is midnight UTC, a time without a zone is UTC.
    A time whose zone would carry it past the first or last day a date can hold (0001-01-01T00:30+01:00) stops
    there."""
    if not isinstance(value, dt.datetime):
        return dt.datetime(value.year, value.month, value.day, tzinfo=dt.UTC)
    if value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC, microsecond=0)
    try:
        return value.astimezone(dt.UTC).replace(microsecond=0)
    except OverflowError:
        edge = dt.datetime.min if value.year == dt.MINYEAR else dt.datetime.max
        return edge.replace(tzinfo=dt.UTC, microsecond=0)


def w3c(moment: dt.datetime) -> str:
    """A UTC time as W3C-DTF with a Z, as PDF and XMP metadata take it."""
    return moment.astimezone(dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def font_moment(document: model.Document) -> dt.datetime | None:
    """The time a font made for the document records (fontTools stamps every font it writes): SOURCE_DATE_EPOCH
    when set, else the document's own date, else None (the clock). Handed to the PDF backend, never put into
    os.environ."""
    epoch = source_date_epoch()
    if epoch is not None:
        return epoch
    stamp = document_date(document)
    return None if stamp is None else utc(stamp)
