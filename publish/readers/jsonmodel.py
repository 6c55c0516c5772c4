"""Reader for the article model's own JSON form."""

from __future__ import annotations

from publish import jsonform
from publish.readers import Reading, Source


def read(source: Source) -> Reading:
    """Read the source as UTF-8 text (see `read_text`)."""
    return read_text(source.text(), source=source.name)


def read_text(text: str, *, source: str) -> Reading:
    """Parse the versioned JSON form; nothing is inferred or dropped."""
    return Reading(jsonform.loads(text, source=source))
