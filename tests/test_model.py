"""The model's JSON form round-trips exactly and refuses malformed or other-version input with a clear message."""

from __future__ import annotations

import json

import pytest

from publish import model
from publish.errors import ModelError
from publish.model import jsonform

from conftest import every_type_article


def test_json_round_trip_is_exact() -> None:
    article = every_type_article()
    text = jsonform.dumps(article)
    assert jsonform.loads(text) == article
    assert jsonform.dumps(jsonform.loads(text)) == text  # stable text, not just an equal model


def test_json_carries_format_and_version_and_keeps_non_ascii() -> None:
    data = json.loads(jsonform.dumps(every_type_article()))
    assert data["format"] == "publish-article" and data["version"] == jsonform.VERSION
    assert "Tomás Ríos" in data["meta"]["authors"]
    assert data["meta"]["updated"] == "2024-06-13T09:30:00+05:00"


def _data() -> dict:
    return json.loads(jsonform.dumps(every_type_article()))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d.update(version=99), "version 99 is not supported"),
        (lambda d: d.update(format="other"), "not a publish article"),
        (lambda d: d["meta"].pop("headline"), 'meta: missing field "headline"'),
        (lambda d: d["meta"].update(published="12/06/2024"), "meta.published: '12/06/2024' is not an ISO 8601"),
        (lambda d: d["meta"].update(colour="red"), "meta: unknown field(s) colour"),
        (lambda d: d["blocks"][0].update(type="marquee"), "blocks[0]: 'marquee' is not a block type"),
        (lambda d: d["blocks"][1].update(level=9), "blocks[1]: heading level 9 is outside 1-6"),
        (lambda d: d["blocks"][1].update(level="1"), "blocks[1].level: expected a whole number"),
        (lambda d: d["blocks"][0]["content"].append({"type": "rule"}), "is not an inline type"),
        (lambda d: d["blocks"][5]["rows"][0].pop(), "table row 1 has 2 cells; the header has 3"),
    ],
)
def test_malformed_json_is_refused_with_where(change, message: str) -> None:
    data = _data()
    change(data)
    with pytest.raises(ModelError) as info:
        jsonform.loads(json.dumps(data), source="story.json")
    assert message in str(info.value)
    assert str(info.value).startswith("story.json")


def test_invalid_json_names_the_line() -> None:
    with pytest.raises(ModelError) as info:
        jsonform.loads('{\n  "format": "publish-article",\n  oops\n}', source="bad.json")
    assert str(info.value).startswith("bad.json:3: not valid JSON")


def test_uid_is_stable_and_prefers_the_given_identifier() -> None:
    meta = model.Meta(headline="A", url="https://example.org/a")
    assert meta.uid == model.Meta(headline="B", url="https://example.org/a").uid  # same URL, same article
    assert meta.uid.startswith("urn:uuid:")
    assert model.Meta(headline="A", identifier="doi:10.1/x").uid == "doi:10.1/x"
    assert model.Meta(headline="A").uid != model.Meta(headline="B").uid
