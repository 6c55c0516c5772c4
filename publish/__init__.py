"""publish: read a news article once into one model, render it as print-ready HTML, PDF, DOCX and EPUB.

The public API is what `__all__` names: `read`, `render`, `build`, `check` (see publish.api), the article model
(publish.model), the reader's `Reading` and `Source`, and `PublishError`. Importing publish loads none of the
renderers' libraries (WeasyPrint, python-docx, ebooklib): a backend is imported when its format is first used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

__version__ = "0.1.0"

# `build` is both this function and the module publish.build: importing publish.api here first loads that module
# (which the import system binds as `publish.build`), and the function below takes the name back for good.
from publish.api import FormatInfo, ThemeInfo, build, check, list_formats, list_themes, read, render
from publish.backends import BackendSpec, RenderContext
from publish.build.jobs import BuildOptions, Written
from publish.errors import PublishError
from publish.model import (
    Article,
    Block,
    BlockQuote,
    BulletList,
    Code,
    CodeBlock,
    Collection,
    Comment,
    Contact,
    Correction,
    Deletion,
    Document,
    Emphasis,
    Figure,
    Heading,
    Inline,
    Insertion,
    LineBreak,
    Link,
    Meta,
    OrderedList,
    Paragraph,
    Reply,
    Rule,
    Section,
    Strong,
    Table,
    Text,
)
from publish.present.theme import Theme, load_theme
from publish.readers import Dropped, Inferred, ReaderSpec, Reading, Source

if TYPE_CHECKING:
    from publish.checks.gate import CheckOptions, CheckReport

__all__ = [
    "Article",
    "BackendSpec",
    "Block",
    "BlockQuote",
    "BuildOptions",
    "BulletList",
    "CheckOptions",
    "CheckReport",
    "Code",
    "CodeBlock",
    "Collection",
    "Comment",
    "Contact",
    "Correction",
    "Deletion",
    "Document",
    "Dropped",
    "Emphasis",
    "Figure",
    "FormatInfo",
    "Heading",
    "Inferred",
    "Inline",
    "Insertion",
    "LineBreak",
    "Link",
    "Meta",
    "OrderedList",
    "Paragraph",
    "PublishError",
    "ReaderSpec",
    "Reading",
    "RenderContext",
    "Reply",
    "Rule",
    "Section",
    "Source",
    "Strong",
    "Table",
    "Text",
    "Theme",
    "ThemeInfo",
    "Written",
    "__version__",
    "build",
    "check",
    "list_formats",
    "list_themes",
    "load_theme",
    "read",
    "render",
]


def __getattr__(name: str) -> object:
    """`CheckOptions` and `CheckReport` load publish.checks.gate (lxml, pypdf) only when first asked for."""
    if name in ("CheckOptions", "CheckReport"):
        from publish.checks import gate as checks

        return getattr(checks, name)
    raise AttributeError(f"module 'publish' has no attribute {name!r}")
