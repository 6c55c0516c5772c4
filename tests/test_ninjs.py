"""IPTC ninjs in and out: IPTC's own test suite, wire items of 2.x and 3.x end to end, every ninjs file written
validated against IPTC's schema."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re
import shutil
from pathlib import Path

import docx
import jsonschema
import pytest
import referencing
from lxml import html as lxml_html
from referencing.jsonschema import DRAFT202012

from publish.cli import main
from publish.errors import InputError
from publish.model import jsonform, text
from publish.readers import ninjs as ninjs_reader
from publish.readers import read_file

from conftest import every_type_article
from validators import assert_same_words, run_epubcheck

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).parent / "fixtures" / "ninjs"
SUITE = FIXTURES / "iptc-test-suite"
SCHEMAS = ROOT / "publish" / "schemas" / "ninjs"
WIRES = {"2.1": FIXTURES / "wire-2.1.json", "3.0": FIXTURES / "wire-3.0.json"}


def _suite(outcome: str) -> list[Path]:
    return sorted(SUITE.glob(f"[23].*/{outcome}/*.json"))


def _id(path: Path) -> str:
    return f"{path.parent.parent.name}/{path.name}"


def iptc_validate(item: object, version: str = "3.1") -> list[str]:
    """Schema errors of an item against IPTC's schema, with jsonschema itself (not publish's reader)."""
    schema = json.loads((SCHEMAS / f"ninjs-schema_{version}.json").read_text(encoding="utf-8"))
    geojson = referencing.Resource.from_contents(
        json.loads((SCHEMAS / "geojson-local.json").read_text(encoding="utf-8")), default_specification=DRAFT202012)
    registry = referencing.Registry().with_resource("https://geojson.org/schema/GeoJSON.json", geojson)
    cls = jsonschema.validators.validator_for(schema)
    validator = cls(schema, registry=registry)
    return [f"{e.json_path}: {e.message}" for e in validator.iter_errors(item)]


def test_the_suite_is_all_there() -> None:
    assert len(_suite("should_pass")) == 51 and len(_suite("should_fail")) == 17


@pytest.mark.parametrize("path", _suite("should_pass"), ids=_id)
def test_every_valid_iptc_example_reads(path: Path) -> None:
    version = path.parent.parent.name
    data = json.loads(path.read_text(encoding="utf-8"))
    article = ninjs_reader.read_data(data, source=str(path), version=version).article  # as IPTC's suite runs it
    assert article.meta.headline
    assert read_file(path).article == article  # and through the .json reader, which tells ninjs by its content


@pytest.mark.parametrize("path", _suite("should_fail"), ids=_id)
def test_every_invalid_iptc_example_is_refused_with_the_first_schema_error(path: Path) -> None:
    version = path.parent.parent.name
    data = json.loads(path.read_text(encoding="utf-8"))
    with pytest.raises(InputError) as refused:
        ninjs_reader.read_data(data, source=path.name, text=path.read_text(encoding="utf-8"), version=version)
    message = str(refused.value)
    assert message.startswith(f"{path.name}:") and f": is not valid ninjs {version}: at $" in message
    assert "\n" not in message
    assert iptc_validate(data, version)  # jsonschema agrees it is invalid


@pytest.mark.parametrize(("name", "message"), [
    ("2.0/should_fail/001_bad_geojson.json", "18: is not valid ninjs in any version publish knows (closest: 2.2): at "
     "$.places[2].geojson: {'type': 'Foo', 'co-ordinates': ['dog', 'cat']} is not valid under any of the given "
     "schemas"),
    ("2.1/should_fail/004_bad_rights.json", "4: is not valid ninjs in any version publish knows (closest: 2.2): at "
     "$.rightsinfo: the object is valid under each of {'required': ['encodedrights']}, {'required': "
     "['linkedrights']}"),
    ("3.0/should_fail/003_event_with_conflicting_start.json", "1: is not valid ninjs 2.2: at $: Unevaluated "
     "properties are not allowed ('eventDetails' was unexpected)"),
    ("3.1/should_fail/001_bad_digital_source.json", "3: is not valid ninjs in any version publish knows (closest: "
     "3.1): at $.digitalSourceType: 'bad' is not of type 'object'"),
])
def test_invalid_items_are_one_line_on_the_command_line(name: str, message: str, tmp_path: Path,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    shutil.copy(SUITE / name, tmp_path / "item.json")
    assert main(["build", str(tmp_path / "item.json"), "--to", "html", "--out", str(tmp_path / "out")]) == 1
    assert capsys.readouterr().err.splitlines() == [f"publish: error: {tmp_path}/item.json:{message}"]
    assert not (tmp_path / "out").exists()


def test_refusal_names_the_line_and_path_of_the_error() -> None:
    data = json.loads(WIRES["3.0"].read_text(encoding="utf-8"))
    data["headlines"][1] = {"role": "sub"}
    source = json.dumps(data, indent=2)
    line = source.splitlines().index('  "headlines": [') + 1
    with pytest.raises(InputError) as refused:
        ninjs_reader.read_data(data, source="wire.json", text=source)
    assert str(refused.value) == (f"wire.json:{line}: is not valid ninjs 3.0: at $.headlines[1]: 'value' is a "
                                  "required property")


@pytest.mark.parametrize("version", WIRES)
def test_wire_item_maps_onto_the_article(version: str) -> None:
    reading = read_file(WIRES[version])
    meta = reading.article.meta
    if version == "2.1":
        assert meta.headline == "Night Ferry Trial Begins Between Old Port and New District"
        assert meta.dek == "Riders welcome a link they say is ten years overdue"
        assert meta.authors == ("Amina Qureshi", "Tomás Ríos")  # from "By Amina Qureshi and Tomás Ríos"
        assert (meta.dateline, meta.language, meta.source) == ("KARACHI", "en", "Harbour Wire")
        assert meta.published == dt.datetime(2024, 6, 12, 4, 10, tzinfo=dt.UTC)
        assert meta.keywords == ("transport", "ferries")
        figure = reading.article.blocks[-1]
        assert (figure.kind, figure.src, figure.credit) == ("figure", "harbour-at-dawn.png", "Photo: Harbour Wire")
        assert text.plain(figure.caption) == "The new district seen from Pier 7"
        assert any(d.reason.startswith("ednote: a note to editors") for d in reading.dropped)
    else:
        assert meta.headline == "Neighbours Agree to Share River Data Before the Summer Melt"
        assert meta.authors == ("Aizada Sultanova",)  # the author among the people, not the one mentioned
        assert (meta.dateline, meta.language, meta.rights) == ("BISHKEK", "en-GB", "© 2024 Steppe Wire")
        assert meta.url == "https://wire.example/items/2024/06/13/bishkek-water-talks"
        assert meta.keywords == ("water", "diplomacy", "Current")
        assert [b.kind for b in reading.article.blocks] == ["paragraph", "paragraph", "heading", "paragraph"]
        assert meta.embargo == dt.datetime(2024, 6, 13, 10, 0, tzinfo=dt.UTC)  # embargoedUntil, carried
    assert meta.summary and meta.identifier == json.loads(WIRES[version].read_text())["uri"]
    assert ("version (declared)", f"ninjs {version}") in [(i.role, i.text) for i in reading.inferred]


@pytest.mark.parametrize("version", WIRES)
def test_wire_item_builds_into_every_format(version: str, tmp_path: Path) -> None:
    source = WIRES[version]
    assert main(["build", str(source), "--to", "html,pdf,docx,epub,ninjs", "--out", str(tmp_path)]) == 0
    article = read_file(source).article
    stem = source.stem
    for fmt in ("html", "pdf", "docx", "epub"):
        assert_same_words(article, tmp_path / f"{stem}.{fmt}")
    run_epubcheck(tmp_path / f"{stem}.epub")
    page = lxml_html.parse(str(tmp_path / f"{stem}.html")).getroot()
    assert page.find(".//h1").text_content() == article.meta.headline
    assert docx.Document(str(tmp_path / f"{stem}.docx")).core_properties.title == article.meta.headline
    written = json.loads((tmp_path / f"{stem}.ninjs.json").read_text(encoding="utf-8"))
    assert iptc_validate(written) == []
    again = read_file(tmp_path / f"{stem}.ninjs.json").article
    assert again.meta == article.meta if version == "3.0" else again.meta.headline == article.meta.headline
    assert_same_words(article, tmp_path / f"{stem}.html")


def _write(article_json: str, folder: Path, name: str) -> Path:
    path = folder / name
    path.write_text(article_json, encoding="utf-8")
    return path


@pytest.mark.parametrize("name", ["feature-tour.md", "urdu-library.md", "japanese-ferry.md", "dar-bishkek.txt",
                                  "morning-brief.yaml"])
def test_every_ninjs_file_written_validates(name: str, tmp_path: Path) -> None:
    assert main(["build", str(ROOT / "samples" / name), "--to", "ninjs", "--out", str(tmp_path)]) == 0
    written = json.loads((tmp_path / f"{Path(name).stem}.ninjs.json").read_text(encoding="utf-8"))
    assert iptc_validate(written) == []
    assert written["standard"] == {"name": "ninjs", "version": "3.1",
                                   "schema": "http://www.iptc.org/std/ninjs/ninjs-schema_3.1.json"}
    for item in (written, *written.get("associations", ())):  # the formats the schema only annotates
        assert re.fullmatch(r"[a-z][a-z0-9+.-]*:\S+", item["uri"]), item["uri"]
        for key in ("firstCreated", "versionCreated"):
            if key in item:
                assert dt.datetime.fromisoformat(item[key].replace("Z", "+00:00")).tzinfo is not None


def test_collection_is_a_composite_of_its_articles(tmp_path: Path) -> None:
    assert main(["build", str(ROOT / "samples" / "morning-brief.yaml"), "--to", "ninjs", "--out", str(tmp_path)]) == 0
    item = json.loads((tmp_path / "morning-brief.ninjs.json").read_text(encoding="utf-8"))
    from publish.readers.collection import load_manifest

    collection = load_manifest(ROOT / "samples" / "morning-brief.yaml").collection
    assert item["type"] == "composite" and item["headlines"][0]["value"] == collection.title
    assert [a["headlines"][0]["value"] for a in item["associations"]] == [a.meta.headline
                                                                          for a in collection.articles]


def test_every_block_type_round_trips_through_ninjs(tmp_path: Path) -> None:
    article = every_type_article()
    for image in ("harbour-at-dawn.png", "ferry-icon.png"):  # the tour's figure and its inline icon
        shutil.copy(ROOT / "samples" / image, tmp_path / image)
    source = _write(jsonform.dumps(article), tmp_path, "tour.json")
    assert main(["build", str(source), "--to", "ninjs,html", "--out", str(tmp_path)]) == 0
    written = json.loads((tmp_path / "tour.ninjs.json").read_text(encoding="utf-8"))
    assert iptc_validate(written) == []
    assert written["firstCreated"] == "2024-06-12T00:00:00Z"  # a date alone, as ninjs' date-time
    shutil.copy(tmp_path / "tour.ninjs.json", tmp_path / "tour-again.json")
    again = read_file(tmp_path / "tour-again.json").article
    meta = article.meta
    assert (again.meta.headline, again.meta.dek, again.meta.authors, again.meta.dateline) == (
        meta.headline, meta.dek, meta.authors, meta.dateline)
    assert (again.meta.published, again.meta.updated, again.meta.keywords, again.meta.rights) == (
        meta.published, meta.updated, meta.keywords, meta.rights)
    assert (again.meta.url, again.meta.summary, again.meta.source, again.meta.language) == (
        meta.url, meta.summary, meta.source, meta.language)
    assert again.meta.uid == meta.uid  # the same article: the uri is the uid derived from its URL
    kinds = [b.kind for b in article.blocks]
    quote = kinds.index("block_quote")
    assert [b.kind for b in again.blocks] == [*kinds[:quote + 1], "paragraph", *kinds[quote + 1:]]  # see below
    assert [b for b in again.blocks if b.kind in ("bullet_list", "ordered_list", "code_block")] == [
        b for b in article.blocks if b.kind in ("bullet_list", "ordered_list", "code_block")]
    tables = [(b.header, b.rows, b.caption) for x in (again, article) for b in x.blocks if b.kind == "table"]
    assert tables[0] == tables[1]
    assert_same_words(again, tmp_path / "tour.html")


@pytest.mark.xfail(strict=True, reason="the shared HTML mapper reads a quote's <figcaption> as a paragraph after it, "
                                       "a figure's credit as part of its caption, and no table column alignment")
def test_quote_attribution_and_figure_credit_round_trip(tmp_path: Path) -> None:
    article = every_type_article()
    for image in ("harbour-at-dawn.png", "ferry-icon.png"):  # the tour's figure and its inline icon
        shutil.copy(ROOT / "samples" / image, tmp_path / image)
    source = _write(jsonform.dumps(article), tmp_path, "tour.json")
    assert main(["build", str(source), "--to", "ninjs", "--out", str(tmp_path)]) == 0
    shutil.copy(tmp_path / "tour.ninjs.json", tmp_path / "tour-again.json")
    assert read_file(tmp_path / "tour-again.json").article.blocks == article.blocks


def test_inspect_shows_what_the_ninjs_reader_inferred_and_dropped(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["inspect", str(WIRES["3.0"])]) == 0
    out, err = capsys.readouterr()
    assert json.loads(out)["meta"]["dateline"] == "BISHKEK"
    name = str(WIRES["3.0"])
    assert f"{name}:1: version (declared): 'ninjs 3.0'" in err.splitlines()
    assert f"{name}:21: byline (people with an author relation): 'Aizada Sultanova'" in err.splitlines()
    assert f"{name}:40: dropped (association of type text: only pictures become figures): 'related'" in err
    assert "embargo: '2024-06-13T10:00:00Z'" in err  # read into the model, printed by every format


def test_undeclared_version_is_the_newest_that_fits(tmp_path: Path) -> None:
    path = SUITE / "2.1" / "should_pass" / "011_contactinfo.json"  # declares nothing; valid as 2.1 and 2.2 only
    reading = read_file(path)
    assert ("version (none declared; the newest it is valid as)", "ninjs 2.2") in [
        (i.role, i.text) for i in reading.inferred]


def test_vendored_schemas_are_iptcs_and_keep_the_notices() -> None:
    for version in ("2.0", "2.1", "2.2", "3.0", "3.1"):
        schema = json.loads((SCHEMAS / f"ninjs-schema_{version}.json").read_text(encoding="utf-8"))
        assert "IPTC" in schema["description"] and "Creative Commons Attribution 4.0" in schema["description"]
    assert "International Press Telecommunications Council" in (SCHEMAS / "LICENSE").read_text(encoding="utf-8")
    import publish

    packaged = Path(publish.__file__).parent / "schemas" / "ninjs" / "ninjs-schema_3.1.json"
    assert packaged.is_file()


def test_publish_check_validates_ninjs_and_its_words(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = WIRES["3.0"]
    assert main(["build", str(source), "--to", "ninjs", "--out", str(tmp_path), "--check"]) == 0
    written = tmp_path / "wire-3.0.ninjs.json"
    assert f"ok     {written}: all " in capsys.readouterr().out
    item = json.loads(written.read_text(encoding="utf-8"))
    item["urgency"] = "high"
    item["bodies"][0]["value"] = item["bodies"][0]["value"].replace("<p>Twelve gauging stations", "<p>Some stations")
    written.write_text(json.dumps(item), encoding="utf-8")
    assert main(["check", str(written), "--source", str(source)]) == 1
    report = capsys.readouterr().out
    assert "error [ninjs-schema] not valid ninjs 3.1: at $.urgency: 'high' is not of type 'integer'" in report
    assert "error [parity] paragraph 2 “Twelve gauging stations" in report


def test_wire_pictures_on_the_web_are_fetched_only_with_allow_remote(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                     capsys: pytest.CaptureFixture[str]) -> None:
    from webserver import serve

    for name in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    png = (ROOT / "samples" / "harbour-at-dawn.png").read_bytes()
    with serve({"/photos/harbour.png": (png, "image/png")}) as site:
        item = json.loads(WIRES["2.1"].read_text(encoding="utf-8"))
        item["associations"][0]["renditions"][0]["href"] = site.url("/photos/harbour.png")
        (tmp_path / "wire.json").write_text(json.dumps(item), encoding="utf-8")
        assert main(["build", str(tmp_path / "wire.json"), "--to", "html", "--out", str(tmp_path / "offline")]) == 0
        assert site.requests == []
        assert capsys.readouterr().err.splitlines()[0] == (
            f"publish: warning: {tmp_path / 'wire.json'}: image {site.url('/photos/harbour.png')} not fetched (add "
            "--allow-remote to fetch images from the web); the alt text and caption are kept as text")
        offline = (tmp_path / "offline" / "wire.html").read_text(encoding="utf-8")
        assert "Tower blocks behind the water at dawn" in offline and "<img" not in offline.split("<body", 1)[1]
        assert main(["build", str(tmp_path / "wire.json"), "--allow-remote", "--to", "html", "--out",
                     str(tmp_path / "online")]) == 0
        assert site.requests == ["/photos/harbour.png"]
    online = lxml_html.parse(str(tmp_path / "online" / "wire.html")).getroot()
    image = online.find(".//img[@alt='Tower blocks behind the water at dawn, a ferry in the foreground']")
    assert image is not None and image.get("src").startswith("data:image/png;base64,")


def test_an_identifier_that_is_not_a_uri_travels_as_an_alt_id(tmp_path: Path) -> None:
    article = every_type_article()
    article = dataclasses.replace(article, meta=dataclasses.replace(article.meta, identifier="HD-2024-0612-ferry"))
    for image in ("harbour-at-dawn.png", "ferry-icon.png"):  # the tour's figure and its inline icon
        shutil.copy(ROOT / "samples" / image, tmp_path / image)
    source = _write(jsonform.dumps(article), tmp_path, "tour.json")
    assert main(["build", str(source), "--to", "ninjs", "--out", str(tmp_path)]) == 0
    written = json.loads((tmp_path / "tour.ninjs.json").read_text(encoding="utf-8"))
    assert iptc_validate(written) == []
    assert {"role": "identifier", "value": "HD-2024-0612-ferry"} in written["altIds"]
    shutil.copy(tmp_path / "tour.ninjs.json", tmp_path / "again.json")
    assert read_file(tmp_path / "again.json").article.meta.identifier == "HD-2024-0612-ferry"
