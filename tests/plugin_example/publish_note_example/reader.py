"""The note reader: the first non-blank line is the headline; paragraphs follow, separated by blank lines."""

from publish import Article, Meta, Paragraph, PublishError, Reading, Source, Text
from publish.readers import Inferred


def read(source: Source) -> Reading:
    """A note as an article."""
    lines = source.text().split("\n")
    start = next(number for number, line in enumerate(lines) if line.strip())  # Source.text() refuses blank input
    headline = lines[start].strip()
    paragraphs = [" ".join(part.split()) for part in "\n".join(lines[start + 1:]).split("\n\n") if part.strip()]
    if not paragraphs:
        raise PublishError("has a headline but no paragraphs", path=source.name, line=start + 1)
    article = Article(Meta(headline=headline), tuple(Paragraph((Text(text),)) for text in paragraphs))
    return Reading(article, inferred=(Inferred(start + 1, headline, "headline"),))
