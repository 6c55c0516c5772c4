"""A render changes nothing in the process's environment: a program (a CMS, the preview server) that renders in
one thread while another reads SOURCE_DATE_EPOCH or starts a subprocess sees the environment it set, and the
document's own date reaches the fonts WeasyPrint writes without passing through os.environ."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator, MutableMapping
from pathlib import Path

import pytest

import publish
from publish import model
from publish.readers.collection import load_manifest

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"
EPOCH = 1700000000
"""2023-11-14 22:13:20 UTC."""


PYTEST = "PYTEST_CURRENT_TEST"
"""The one variable pytest itself changes around every test."""


class WatchedEnvironment(MutableMapping[str, str]):
    """os.environ itself, with every change made through it written down (but pytest's own)."""

    def __init__(self, real: MutableMapping[str, str]) -> None:
        self.real = real
        self.changes: list[str] = []

    def __getitem__(self, key: str) -> str:
        return self.real[key]

    def __setitem__(self, key: str, value: str) -> None:
        if key != PYTEST:
            self.changes.append(f"{key}={value}")
        self.real[key] = value

    def __delitem__(self, key: str) -> None:
        if key != PYTEST:
            self.changes.append(f"del {key}")
        del self.real[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self.real)

    def __len__(self) -> int:
        return len(self.real)

    def copy(self) -> dict[str, str]:
        return dict(self.real)


@pytest.fixture
def environment(monkeypatch: pytest.MonkeyPatch) -> Iterator[WatchedEnvironment]:
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)  # the case where a render used to set it
    before = {key: value for key, value in os.environ.items() if key != PYTEST}
    watched = WatchedEnvironment(os.environ)
    monkeypatch.setattr(os, "environ", watched)
    yield watched
    assert {key: value for key, value in os.environ.items() if key != PYTEST} == before


@pytest.mark.parametrize("fmt", ["pdf", "html", "docx", "epub"])
def test_rendering_a_dated_article_changes_no_environment_variable(environment: WatchedEnvironment, fmt: str,
                                                                    ) -> None:
    tour = publish.read(SAMPLES / "feature-tour.md").article
    assert tour.meta.published is not None  # a date of its own: the PDF's fonts are stamped with it
    data = publish.render(tour, fmt, base_dir=SAMPLES)
    assert data
    assert environment.changes == []


def test_rendering_a_collection_as_pdf_changes_no_environment_variable(environment: WatchedEnvironment) -> None:
    brief = load_manifest(SAMPLES / "morning-brief.yaml").collection
    assert publish.render(brief, "pdf", base_dir=SAMPLES).startswith(b"%PDF")
    assert environment.changes == []


def _fonttools_pdf(article: model.Article, clock: float, monkeypatch: pytest.MonkeyPatch) -> bytes:
    """The article's PDF with its fonts subset by fontTools (as without libharfbuzz-subset), at this clock."""
    import weasyprint.pdf.fonts

    monkeypatch.setattr(weasyprint.pdf.fonts, "harfbuzz_subset", None)
    monkeypatch.setattr(time, "time", lambda: clock)
    return publish.render(article, "pdf", base_dir=SAMPLES)


BODY = (model.Paragraph((model.Text("Subset fonts record when they were made."),)),)


def test_subset_fonts_carry_the_users_source_date_epoch_without_a_date_in_the_article(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(EPOCH))
    undated = model.Article(model.Meta(headline="Fonts"), BODY)
    assert _fonttools_pdf(undated, 1.8e9, monkeypatch) == _fonttools_pdf(undated, 1.9e9, monkeypatch)
    assert os.environ["SOURCE_DATE_EPOCH"] == str(EPOCH)

