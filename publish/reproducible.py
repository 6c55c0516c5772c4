"""Reproducible builds: the one moment an output may record (the article's date or SOURCE_DATE_EPOCH), never now."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
from collections.abc import Iterator

from publish import model
from publish.errors import RenderError

ENV = "SOURCE_DATE_EPOCH"
"""The reproducible-builds.org variable: seconds since 1970, the time a build stamps instead of now."""


def source_date_epoch() -> dt.datetime | None:
    """SOURCE_DATE_EPOCH as a UTC time, None when unset; RenderError when it is not a whole number of seconds."""
    raw = os.environ.get(ENV, "").strip()
    if not raw:
        return None
    try:
        return dt.datetime.fromtimestamp(int(raw), dt.UTC)
    except (ValueError, OverflowError, OSError):
        raise RenderError(f"{ENV}={raw!r} is not a whole number of seconds since 1970") from None


def moment(stamp: model.Date | None) -> dt.datetime:
    """The time an output records, in UTC to the second: `stamp` (the document's own date) when given, else
    SOURCE_DATE_EPOCH, else now."""
    if stamp is not None:
        return utc(stamp)
    return source_date_epoch() or dt.datetime.now(dt.UTC).replace(microsecond=0)


def document_date(document: model.Document) -> model.Date | None:
    """The latest date the document itself carries: an article's update or publication, a collection's edition
    or else its newest article's."""
    if isinstance(document, model.Article):
        return document.meta.updated or document.meta.published
    if document.edition is not None:
        return document.edition
    dates = [d for a in document.articles for d in (a.meta.updated, a.meta.published) if d is not None]
    return max(dates, key=utc) if dates else None


def utc(value: model.Date) -> dt.datetime:
    """A date or time as a UTC time to the second: a date alone is midnight UTC, a time without a zone is UTC."""
    if not isinstance(value, dt.datetime):
        return dt.datetime(value.year, value.month, value.day, tzinfo=dt.UTC)
    if value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC, microsecond=0)
    return value.astimezone(dt.UTC).replace(microsecond=0)


def w3c(moment: dt.datetime) -> str:
    """A UTC time as W3C-DTF with a Z, as PDF and XMP metadata take it."""
    return moment.astimezone(dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


@contextlib.contextmanager
def epoch_from(document: model.Document) -> Iterator[None]:
    """Within the block, SOURCE_DATE_EPOCH is set to the document's own date when it was not set: libraries that
    stamp "now" (fontTools writes it into every subset font it makes) stamp that date instead."""
    if os.environ.get(ENV, "").strip():
        yield
        return
    stamp = document_date(document)
    if stamp is None:
        yield
        return
    os.environ[ENV] = str(int(utc(stamp).timestamp()))
    try:
        yield
    finally:
        os.environ.pop(ENV, None)
