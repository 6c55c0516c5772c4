"""Reader for the article model's own JSON form."""

from __future__ import annotations

from publish import jsonform
from publish.readers import Reading


def read(text: str, *, source: str) -> Reading:
    """Parse the versioned JSON form; nothing is inferred or dropped."""
    return Reading(jsonform.loads(text, source=source))
