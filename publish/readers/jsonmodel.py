"""Reader for `.json` inputs: the article model's own JSON form, or an IPTC ninjs item handed to its reader.

Both kinds share the `.json` extension, so the content decides: publish's form says `"format": "publish-article"`;
a ninjs item names ninjs in `standard` or `$schema`, or has a `uri` and ninjs properties (`ninjs.is_ninjs`).
"""

from __future__ import annotations

from publish.model import jsonform
from publish.readers import Reading, Source


def read(source: Source) -> Reading:
    """Read the source as UTF-8 text (see `read_text`)."""
    return read_text(source.text(), source=source.name)


def read_text(text: str, *, source: str) -> Reading:
    """Parse the versioned JSON form (nothing is inferred or dropped), or read a ninjs item."""
    from publish.readers import ninjs

    data = jsonform.parse(text, source=source)
    if ninjs.is_ninjs(data):
        return ninjs.read_data(data, source=source, text=text)
    return Reading(jsonform.from_data(data, source=source))
