"""Shared fixtures: a hand-built article that uses every block and inline type, and its resources."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from publish import model as m
from publish.backends import RenderContext
from publish.build.resources import Resources
from publish.present.theme import load_theme

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"


def t(text: str) -> m.Text:
    return m.Text(text)


def every_type_article() -> m.Article:
    """An article using every block and inline type, with non-ASCII text and an image in samples/."""
    meta = m.Meta(
        headline="Harbour Authority Opens Night Ferry Line",
        dek="A trial service links the old port with the new district — and riders say it’s overdue",
        authors=("Amina Qureshi", "Tomás Ríos"),
        dateline="KARACHI",
        published=dt.date(2024, 6, 12),
        updated=dt.datetime(2024, 6, 13, 9, 30, tzinfo=dt.timezone(dt.timedelta(hours=5))),
        source="Harbour Daily",
        url="https://news.example/harbour/night-ferry",
        language="en",
        keywords=("transport", "ferries", "Karachi"),
        summary="A night ferry trial starts on Monday.",
        rights="© 2024 Harbour Daily",
    )
    blocks: tuple[m.Block, ...] = (
        m.Paragraph((t("KARACHI — The harbour authority said on "), m.Emphasis((t("Wednesday"),)),
                     t(" that a "), m.Strong((t("night ferry"),)), t(" will run from "), m.Code("Pier 7"),
                     t(" to the new district, “every 40 minutes” & until 2 a.m."))),
        m.Heading(1, (t("What riders get"),)),
        m.BulletList((
            (m.Paragraph((t("Fares at half the day rate"),)),),
            (m.Paragraph((t("Bicycles carried free"),)),
             m.OrderedList(((m.Paragraph((t("Front deck first"),)),), (m.Paragraph((t("Then the stern"),)),)))),
        )),
        m.OrderedList(((m.Paragraph((t("Board at Pier 7"),)),), (m.Paragraph((t("Pay on the boat"),)),)), start=3),
        m.Heading(2, (t("Timetable"),)),
        m.Table(
            header=((t("Departure"),), (t("Arrival"),), (t("Fare (Rs)"),)),
            rows=(
                ((t("22:00"),), (t("22:35"),), (t("120"),)),
                ((t("22:40"),), (t("23:15"),), (m.Strong((t("120"),)),)),
            ),
            align=("left", "left", "right"),
            caption=(t("Weeknight timetable for the trial month"),),
        ),
        m.Figure(src="harbour-at-dawn.png", alt="Tower blocks behind the water at dawn, a ferry in the foreground",
                 caption=(t("The new district seen from Pier 7"),), credit="Photo: Harbour Daily"),
        m.BlockQuote(
            (m.Paragraph((t("We have waited ten years for this boat."), m.LineBreak(), t("Now it is here."))),),
            attribution=(t("— Saima Baig, night-shift nurse"),),
        ),
        m.Rule(),
        m.CodeBlock("route 7N\n  depart 22:00\n  arrive 22:35", language="text"),
        m.Paragraph((t("Read the "), m.Link((t("full timetable"),), "https://news.example/timetable", title="PDF"),
                     t(" on the authority’s site, at piers marked "),
                     m.Image("ferry-icon.png", alt="ferry sign", title="Night ferry"), t("."))),
    )
    return m.Article(meta, blocks)


@pytest.fixture
def tour_article() -> m.Article:
    return every_type_article()


@pytest.fixture
def context() -> RenderContext:
    return RenderContext(theme=load_theme("default"), resources=Resources(base_dir=SAMPLES))
