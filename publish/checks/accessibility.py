"""Accessibility metadata (EPUB Accessibility 1.1, schema.org terms) computed from what an article holds."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from publish import model

SCHEMA_PROPERTIES = ("schema:accessMode", "schema:accessModeSufficient", "schema:accessibilityFeature",
                     "schema:accessibilityHazard", "schema:accessibilitySummary")
"""The discovery metadata EPUB Accessibility 1.1 asks every publication to carry."""


@dataclass(frozen=True, slots=True)
class Accessibility:
    """What a reader needs to know before opening a publication: how it is perceived, what helps, what hurts."""

    access_modes: tuple[str, ...]
    """The senses the content needs as published: "textual", plus "visual" when it has images."""
    sufficient: tuple[str, ...]
    """Sets of access modes that are enough on their own, each written comma-separated ("textual")."""
    features: tuple[str, ...]
    """schema.org accessibilityFeature values the content really has."""
    hazards: tuple[str, ...]
    """schema.org accessibilityHazard values; "none" when there is nothing that flashes, moves or sounds."""
    summary: str
    """One paragraph for people: what the features mean for this publication, and what it lacks."""


def describe(articles: Iterable[model.Article], *, cover: bool = False) -> Accessibility:
    """The accessibility of a publication of these articles (with a cover image, whose alt text the templates
    always write): every feature is claimed only when the content has it."""
    figures: list[model.Figure | model.Image] = [
        block for article in articles for block in model.iter_blocks(article.blocks) if isinstance(block, model.Figure)]
    figures += [node for article in articles for node in model.iter_article_inlines(article.blocks)
                if isinstance(node, model.Image) and not model.is_remote(node.src)]  # the web's are never packaged
    undescribed = sum(1 for figure in figures if not figure.alt.strip())
    images = len(figures) + (1 if cover else 0)
    modes = ("textual", "visual") if images else ("textual",)
    sufficient = ("textual", "textual,visual") if images and not undescribed else \
        ("textual,visual",) if images else ("textual",)
    features = ["displayTransformability", "readingOrder", "structuralNavigation", "tableOfContents", "unlocked"]
    if images and not undescribed:
        features.append("alternativeText")
    parts = ["Reflowable text whose fonts, sizes and colours a reading system may change, in one reading order, "
             "with headings and a table of contents to navigate by."]
    if images and not undescribed:
        parts.append("The image has alternative text." if images == 1 else
                     f"All {images} images have alternative text.")
    elif undescribed:
        parts.append(f"{undescribed} of {images} image{'' if images == 1 else 's'} "
                     f"{'has' if undescribed == 1 else 'have'} no alternative text and need sight to be understood.")
    parts.append("No flashing, motion or sound hazards.")
    return Accessibility(modes, sufficient, tuple(sorted(features)), ("none",), " ".join(parts))


def declare_epub(book: Any, accessibility: Accessibility) -> None:
    """Write the metadata into an ebooklib book's package document as EPUB 3 <meta property> elements."""
    values: list[tuple[str, str]] = [
        *(("schema:accessMode", mode) for mode in accessibility.access_modes),
        *(("schema:accessModeSufficient", modes) for modes in accessibility.sufficient),
        *(("schema:accessibilityFeature", feature) for feature in accessibility.features),
        *(("schema:accessibilityHazard", hazard) for hazard in accessibility.hazards),
        ("schema:accessibilitySummary", accessibility.summary),
    ]
    for name, value in values:
        book.add_metadata(None, "meta", value, {"property": name})
